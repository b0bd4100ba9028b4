// Redirects on a slot migrated by hand: ASK while the slot is migrating,
// TRYAGAIN for a multi-key command whose keys are split by the migration,
// MOVED once it is done (and the map fixed by it).
//
// Topology: each test moves one slot and moves it back before it ends.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "redis_cluster.hpp"
#include "respool/respool.hpp"

namespace respool::test {
namespace {

int other_primary(int than) {
  for (int p : shared_cluster().primaries())
    if (p != than) return p;
  throw std::runtime_error("no other primary");
}

std::string myid_of_lease(Cluster& cluster, const std::string& key) {
  Lease l = cluster.lease(key);
  return l ? l->cmd("CLUSTER", "MYID").str().value_or("") : "lease failed: " + l.error().message();
}

TEST(ClusterRedirects, AskWhileMigratingThenMovedOnceWhenDone) {
  Cluster::CreateResult created = Cluster::create(shared_cluster().seeds(), 4);
  const std::shared_ptr<Cluster>& cluster = created.cluster;
  const std::error_code err = created.error;
  ASSERT_FALSE(err) << err.message();
  const std::string k1 = "mig:{ask}:1", k2 = "mig:{ask}:2", k3 = "mig:{ask}:3";
  const int slot = key_slot(k1);
  const int from = shared_cluster().primary_for_slot(slot), to = other_primary(from);
  ASSERT_EQ(cluster->cmd("SET", k1, "a").to_string(), "\"OK\"");
  ASSERT_EQ(cluster->cmd("SET", k2, "b").to_string(), "\"OK\"");

  shared_cluster().begin_migration(slot, from, to);
  shared_cluster().move_keys(slot, from, to);  // keys at `to`; `from` still owns the slot
  EXPECT_EQ(cluster->cmd("GET", k1).to_string(), "\"a\"");
  EXPECT_EQ(cluster->cmd("MGET", k1, k2).to_string(), "[\"a\", \"b\"]");
  EXPECT_EQ(cluster->cmd("SET", k3, "c").to_string(), "\"OK\"");  // a new key goes to the target too
  ClusterStats s = cluster->stats();
  EXPECT_GE(s.ask, 3u);
  EXPECT_GE(s.retries.ask, 3u);
  EXPECT_EQ(s.moved, 0u);  // ASK leaves the map alone
  EXPECT_EQ(myid_of_lease(*cluster, k1), shared_cluster().node_id(from));

  shared_cluster().finish_migration(slot, to);
  EXPECT_EQ(cluster->cmd("GET", k3).to_string(), "\"c\"");  // MOVED, followed
  EXPECT_EQ(cluster->stats().moved, 1u);
  EXPECT_EQ(cluster->cmd("GET", k1).to_string(), "\"a\"");  // the map is fixed: no more MOVED
  EXPECT_EQ(cluster->cmd("GET", k2).to_string(), "\"b\"");
  EXPECT_EQ(cluster->stats().moved, 1u);
  EXPECT_EQ(myid_of_lease(*cluster, k1), shared_cluster().node_id(to));

  shared_cluster().migrate_slot(slot, to, from);
  EXPECT_EQ(cluster->cmd("GET", k1).to_string(), "\"a\"");
}

TEST(ClusterRedirects, TryagainIsRetriedWithinTheRedirectLimitThenReturned) {
  Cluster::CreateResult created =
      Cluster::create(shared_cluster().seeds(), 4, ClusterOptions{.max_redirects = 3});
  const std::shared_ptr<Cluster>& cluster = created.cluster;
  const std::error_code err = created.error;
  ASSERT_FALSE(err) << err.message();
  const std::string k1 = "mig:{try}:1", k2 = "mig:{try}:2";
  const int slot = key_slot(k1);
  const int from = shared_cluster().primary_for_slot(slot), to = other_primary(from);
  ASSERT_EQ(cluster->cmd("MSET", k1, "x", k2, "y").to_string(), "\"OK\"");

  shared_cluster().begin_migration(slot, from, to);
  // Move k1 only: a command on both keys can be served by neither node now.
  const std::string reply = shared_cluster().node(from).raw_command(
      "MIGRATE 127.0.0.1 " + std::to_string(shared_cluster().node(to).port()) + " " + k1 + " 0 5000");
  ASSERT_EQ(reply, "+OK\r\n");
  Resp r = cluster->cmd("MGET", k1, k2);
  ASSERT_TRUE(r.is_server_error()) << r.to_string();
  EXPECT_EQ(r.error_message().rfind("TRYAGAIN", 0), 0u) << r.error_message();
  EXPECT_EQ(cluster->stats().retries.tryagain, 3u);
  // Single keys still work meanwhile: k1 by ASK at the target, k2 at the source.
  EXPECT_EQ(cluster->cmd("GET", k1).to_string(), "\"x\"");
  EXPECT_EQ(cluster->cmd("GET", k2).to_string(), "\"y\"");

  shared_cluster().move_keys(slot, from, to);
  shared_cluster().finish_migration(slot, to);
  EXPECT_EQ(cluster->cmd("MGET", k1, k2).to_string(), "[\"x\", \"y\"]");
  shared_cluster().migrate_slot(slot, to, from);
}

TEST(ClusterRedirects, ABatchFollowsEachCommandsRedirectOnItsOwn) {
  Cluster::CreateResult created = Cluster::create(shared_cluster().seeds(), 4);
  const std::shared_ptr<Cluster>& cluster = created.cluster;
  const std::error_code err = created.error;
  ASSERT_FALSE(err) << err.message();
  const std::string moving = "mig:{batch}:1";
  const int slot = key_slot(moving);
  const int from = shared_cluster().primary_for_slot(slot), to = other_primary(from);
  ASSERT_EQ(cluster->cmd("SET", moving, "m").to_string(), "\"OK\"");
  shared_cluster().migrate_slot(slot, from, to);  // the cluster's map is now stale for this slot

  Batch b;
  for (int i = 0; i < 20; ++i) b.add("SET", std::string("mig:still:").append(std::to_string(i)), i);
  b.add("GET", moving).add("INCR", "mig:{batch}:n");
  std::vector<Resp> rs = cluster->run(b);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(rs[static_cast<size_t>(i)].to_string(), "\"OK\"");
  EXPECT_EQ(rs[20].to_string(), "\"m\"");
  EXPECT_EQ(rs[21].integer().value_or(-1), 1);  // sent again after MOVED, run exactly once
  EXPECT_GE(cluster->stats().moved, 1u);
  EXPECT_EQ(cluster->cmd("GET", "mig:{batch}:n").integer().value_or(-1), 1);
  shared_cluster().migrate_slot(slot, to, from);
}

}  // namespace
}  // namespace respool::test

namespace respool::test {
namespace {

TEST(ClusterRefresh, ManyCallersHittingMovedShareOneRefresh) {
  Cluster::CreateResult created = Cluster::create(shared_cluster().seeds(), 16,
                                                  ClusterOptions{.min_refresh_gap = std::chrono::seconds(1)});
  const std::shared_ptr<Cluster>& cluster = created.cluster;
  const std::error_code err = created.error;
  ASSERT_FALSE(err) << err.message();
  const std::string tag = "{storm}";
  const int slot = key_slot(tag);
  const int from = shared_cluster().primary_for_slot(slot), to = other_primary(from);
  ASSERT_FALSE(cluster->cmd("SET", tag, "x").err());
  shared_cluster().migrate_slot(slot, from, to);  // the cluster's map is stale for this slot
  const std::uint64_t refreshes = cluster->stats().refreshes;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 16; ++t)
    threads.emplace_back([&] { ok += cluster->cmd("GET", tag).to_string() == "\"x\"" ? 1 : 0; });
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok, 16);
  EXPECT_GE(cluster->stats().moved, 1u);
  EXPECT_LE(cluster->stats().refreshes - refreshes, 1u);  // at most one per min_refresh_gap
  shared_cluster().migrate_slot(slot, to, from);
}

TEST(ClusterRefresh, TheMapIsReReadOnATimer) {
  Cluster::CreateResult created =
      Cluster::create(shared_cluster().seeds(), 1,
                      ClusterOptions{.refresh_interval = std::chrono::milliseconds(50),
                                     .min_refresh_gap = std::chrono::milliseconds(10)});
  const std::shared_ptr<Cluster>& cluster = created.cluster;
  const std::error_code err = created.error;
  ASSERT_FALSE(err) << err.message();
  const std::uint64_t before = cluster->stats().refreshes;
  EXPECT_TRUE(wait_until([&] { return cluster->stats().refreshes >= before + 3; }, std::chrono::seconds(5)));
}

}  // namespace
}  // namespace respool::test

namespace respool::test {
namespace {

TEST(ClusterLimits, MoreRedirectsThanAllowedFailWithNothingRun) {
  Cluster::CreateResult created =
      Cluster::create(shared_cluster().seeds(), 2,
                      ClusterOptions{.max_redirects = 0, .refresh_interval = std::chrono::nanoseconds(0)});
  const std::shared_ptr<Cluster>& cluster = created.cluster;
  const std::error_code err = created.error;
  ASSERT_FALSE(err) << err.message();
  const std::string k = "limit:{redirects}";
  const int slot = key_slot(k);
  const int from = shared_cluster().primary_for_slot(slot), to = other_primary(from);
  shared_cluster().migrate_slot(slot, from, to);  // the cluster's map is stale for this slot
  Resp r = cluster->cmd("INCR", k);
  EXPECT_EQ(r.err(), errc::too_many_redirects);
  EXPECT_EQ(r.delivery(), Delivery::not_sent);
  EXPECT_EQ(shared_cluster().node(to).raw_command("EXISTS " + k), ":0\r\n");  // not run
  shared_cluster().migrate_slot(slot, to, from);
}

TEST(ClusterLimits, ASlotWithNoOwnerIsRetriedWithinTheBudgetThenClusterDown) {
  Cluster::CreateResult created = Cluster::create(
      shared_cluster().seeds(), 2, ClusterOptions{.down_budget = std::chrono::milliseconds(400)});
  const std::shared_ptr<Cluster>& cluster = created.cluster;
  const std::error_code err = created.error;
  ASSERT_FALSE(err) << err.message();
  const std::string k = "limit:{down}";
  const int slot = key_slot(k);
  const int owner = shared_cluster().primary_for_slot(slot);
  ASSERT_FALSE(cluster->cmd("SET", k, "v").err());
  ASSERT_FALSE(cluster->cmd("DEL", k).err());  // DELSLOTS wants no keys in the slot
  for (int i = 0; i < shared_cluster().size(); ++i)
    shared_cluster().node(i).raw_command("CLUSTER DELSLOTS " + std::to_string(slot));
  const auto t0 = std::chrono::steady_clock::now();
  Resp r = cluster->cmd("GET", k);
  const auto waited = std::chrono::steady_clock::now() - t0;
  // Either the last CLUSTERDOWN refusal (the cluster as a whole is down
  // without this slot) or cluster_down: not run, either way.
  if (r.is_server_error())
    EXPECT_EQ(r.error_message().rfind("CLUSTERDOWN", 0), 0u) << r.to_string();
  else
    EXPECT_TRUE(r.err() == errc::cluster_down && r.delivery() == Delivery::not_sent) << r.to_string();
  EXPECT_GE(waited, std::chrono::milliseconds(400));
  EXPECT_GT(cluster->stats().retries.cluster_down, 0u);
  shared_cluster().node(owner).raw_command("CLUSTER ADDSLOTS " + std::to_string(slot));
  shared_cluster().wait_ok();
  EXPECT_EQ(cluster->cmd("SET", k, "back").to_string(), "\"OK\"");  // serving again
}

}  // namespace
}  // namespace respool::test
