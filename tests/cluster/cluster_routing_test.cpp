// Cluster against the shared 3+3 cluster: routing by slot (checked on the
// nodes themselves), hash tags, cross_slot, split multi-key commands,
// batches, lease(key), keyless commands, stats, and bad arguments.
//
// Topology: no test here changes it.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "cluster_helpers.hpp"
#include "redis_cluster.hpp"
#include "respool/respool.hpp"

namespace respool::test {
namespace {

std::string key(const std::string& prefix, int i) { return std::string(prefix).append(std::to_string(i)); }

// Whether node `i` holds `k`, asked of the node itself: ":1" from the
// owner that has it, "-MOVED ..." from every other primary.
bool node_has(int i, const std::string& k) {
  return shared_cluster().node(i).raw_command("EXISTS " + k) == ":1\r\n";
}

TEST(ClusterRouting, CreateReadsTheMapOfThreePrimaries) {
  auto cluster = make_cluster();
  std::vector<std::string> primaries = cluster->primaries();
  ASSERT_EQ(primaries.size(), 3u);
  std::set<std::string> expected;
  for (int p : shared_cluster().primaries()) expected.insert(shared_cluster().node(p).addr());
  EXPECT_EQ(std::set<std::string>(primaries.begin(), primaries.end()), expected);
  ClusterStats s = cluster->stats();
  EXPECT_GE(s.refreshes, 1u);
  EXPECT_EQ(s.nodes.size(), 3u);
}

TEST(ClusterRouting, EveryKeyLandsOnTheNodeServingItsSlot) {
  auto cluster = make_cluster();
  const int n = 2000;
  for (int i = 0; i < n; ++i) ASSERT_EQ(cluster->cmd("SET", key("route:", i), i).to_string(), "\"OK\"") << i;
  for (int i = 0; i < n; ++i) ASSERT_EQ(cluster->cmd("GET", key("route:", i)).integer().value_or(-1), i);
  // Checked on the servers: each key sits on its slot's primary only.
  for (int i = 0; i < n; i += 37) {
    const std::string k = key("route:", i);
    const int owner = shared_cluster().primary_for_slot(key_slot(k));
    for (int p : shared_cluster().primaries()) EXPECT_EQ(node_has(p, k), p == owner) << k;
  }
  ClusterStats s = cluster->stats();
  EXPECT_EQ(s.moved, 0u);  // a fresh map needs no redirect
  EXPECT_EQ(s.ask, 0u);
}

TEST(ClusterRouting, KeySlotIsTheServersSlot) {
  for (int i = 0; i < 200; i += 7) {
    const std::string k = key("slot:{tag", i).append("}x");
    EXPECT_EQ(key_slot(k), shared_cluster().key_slot(k)) << k;
  }
}

TEST(ClusterRouting, HashTagsKeepKeysTogether) {
  auto cluster = make_cluster();
  const std::uint64_t splits = cluster->stats().cross_slot_splits;
  EXPECT_EQ(cluster->cmd("MSET", "{user:7}:a", "1", "{user:7}:b", "2").to_string(), "\"OK\"");
  EXPECT_EQ(cluster->cmd("RENAME", "{user:7}:a", "{user:7}:c").to_string(), "\"OK\"");
  EXPECT_EQ(cluster->cmd("MGET", "{user:7}:b", "{user:7}:c").to_string(), "[\"2\", \"1\"]");
  EXPECT_EQ(cluster->stats().cross_slot_splits, splits);  // one slot: nothing split
  const int owner = shared_cluster().primary_for_slot(key_slot("{user:7}"));
  EXPECT_TRUE(node_has(owner, "{user:7}:b"));
  EXPECT_TRUE(node_has(owner, "{user:7}:c"));
}

TEST(ClusterRouting, CrossSlotIsRefusedWithNothingSent) {
  auto cluster = make_cluster();
  ASSERT_NE(key_slot("xs:a"), key_slot("xs:b"));
  cluster->cmd("SADD", "xs:a", "1");
  Resp r = cluster->cmd("SUNIONSTORE", "xs:dest", "xs:a", "xs:b");
  EXPECT_EQ(r.err(), errc::cross_slot);
  EXPECT_EQ(r.delivery(), Delivery::not_sent);
  for (int p : shared_cluster().primaries()) EXPECT_FALSE(node_has(p, "xs:dest"));
  EXPECT_EQ(cluster->cmd("RENAME", "xs:a", "xs:b").err(), errc::cross_slot);
}

TEST(ClusterRouting, MultiKeyCommandsAcrossSlotsAreSplitAndMergedInOrder) {
  auto cluster = make_cluster();
  std::vector<std::string> args;
  for (int i = 0; i < 100; ++i) {
    args.push_back(key("split:", i));
    args.push_back(key("v", i));
  }
  const std::uint64_t splits = cluster->stats().cross_slot_splits;
  EXPECT_EQ(cluster->cmd("MSET", args).to_string(), "\"OK\"");
  std::vector<std::string> keys;
  for (int i = 99; i >= 0; --i) keys.push_back(key("split:", i));
  keys.push_back("split:missing");
  Resp values = cluster->cmd("MGET", keys);
  ASSERT_EQ(values.elements().size(), 101u);
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(values.elements()[static_cast<size_t>(i)].str().value_or("?"), key("v", 99 - i));
  EXPECT_TRUE(values.elements()[100].is_nil());
  // Written where they belong, as the servers say.
  for (int i = 0; i < 100; i += 9) {
    const std::string k = key("split:", i);
    EXPECT_TRUE(node_has(shared_cluster().primary_for_slot(key_slot(k)), k));
  }
  EXPECT_EQ(cluster->cmd("EXISTS", "split:1", "split:1", "split:2", "split:missing").integer().value_or(-1),
            3);
  EXPECT_EQ(cluster->cmd("TOUCH", "split:1", "split:2", "split:3").integer().value_or(-1), 3);
  EXPECT_EQ(cluster->cmd("DEL", keys).integer().value_or(-1), 100);
  EXPECT_EQ(cluster->cmd("UNLINK", "split:1", "split:2").integer().value_or(-1), 0);
  EXPECT_GE(cluster->stats().cross_slot_splits, splits + 6);
}

TEST(ClusterRouting, ABatchAcrossNodesAnswersInOrderWithOneConnectionPerNode) {
  auto cluster = make_cluster();
  Batch b;
  for (int i = 0; i < 150; ++i) b.add("SET", key("batch:", i), i).add("INCR", key("batch:", i));
  b.add("MGET", "batch:1", "batch:2", "batch:3");  // split inside a batch
  b.add("SUNIONSTORE", "batch:1", "batch:2");      // cross_slot inside a batch
  std::map<std::string, std::uint64_t> gets_before;
  for (const auto& [addr, s] : cluster->stats().nodes) gets_before[addr] = s.gets;
  std::vector<Resp> rs = cluster->run(b);
  ASSERT_EQ(rs.size(), b.size());
  for (int i = 0; i < 150; ++i) {
    EXPECT_EQ(rs[static_cast<size_t>(2 * i)].to_string(), "\"OK\"");
    EXPECT_EQ(rs[static_cast<size_t>(2 * i + 1)].integer().value_or(-1), i + 1);
  }
  EXPECT_EQ(rs[300].to_string(), "[\"2\", \"3\", \"4\"]");
  EXPECT_EQ(rs[301].err(), errc::cross_slot);
  // One lease per node for the routed part, one per node of the split MGET.
  for (const auto& [addr, s] : cluster->stats().nodes) EXPECT_LE(s.gets - gets_before[addr], 2u) << addr;
  EXPECT_TRUE(cluster->run(Batch{}).empty());
}

TEST(ClusterRouting, LeaseTalksToTheOwnerOfTheKeysSlot) {
  auto cluster = make_cluster();
  const int owner = shared_cluster().primary_for_slot(key_slot("{acct:9}"));
  Lease l = cluster->lease("{acct:9}");
  ASSERT_TRUE(l) << l.error().message();
  EXPECT_EQ(l->cmd("CLUSTER", "MYID").str().value_or(""), shared_cluster().node_id(owner));
  EXPECT_EQ(l->cmd("WATCH", "{acct:9}:balance").to_string(), "\"OK\"");
  EXPECT_EQ(l->cmd("MULTI").to_string(), "\"OK\"");
  l->cmd("INCRBY", "{acct:9}:balance", 5);
  l->cmd("RPUSH", "{acct:9}:log", "+5");
  Resp exec = l->cmd("EXEC");
  ASSERT_EQ(exec.elements().size(), 2u) << exec.to_string();
  l.reset();
  EXPECT_EQ(cluster->cmd("LLEN", "{acct:9}:log").integer().value_or(0),
            cluster->cmd("GET", "{acct:9}:balance").integer().value_or(-1) / 5);
}

TEST(ClusterRouting, KeylessCommandsGoToAPrimary) {
  auto cluster = make_cluster();
  for (int i = 0; i < 6; ++i) EXPECT_EQ(cluster->cmd("PING").to_string(), "\"PONG\"");
  std::set<std::string> ids;
  for (int i = 0; i < 6; ++i) ids.insert(cluster->cmd("CLUSTER", "MYID").str().value_or(""));
  std::set<std::string> primaries;
  for (int p : shared_cluster().primaries()) primaries.insert(shared_cluster().node_id(p));
  for (const auto& id : ids) EXPECT_TRUE(primaries.count(id)) << id;
  EXPECT_GT(ids.size(), 1u);  // spread, not all on one node
}

TEST(ClusterRouting, ReplicaReadsGoToReplicasAndWritesToPrimaries) {
  auto cluster = make_cluster(4, ClusterOptions{.read_from = ReadFrom::replica});
  ASSERT_EQ(cluster->cmd("SET", "rr:{k}", "v").to_string(), "\"OK\"");
  const int primary = shared_cluster().primary_for_slot(key_slot("rr:{k}"));
  const int replica = shared_cluster().replica_of(primary);
  // Replication is asynchronous: wait until the replica has the key.
  ASSERT_TRUE(wait_until([&] { return cluster->cmd("GET", "rr:{k}").to_string() == "\"v\""; }));
  auto reads_on = [&](int node) {
    const std::string info = shared_cluster().command(node, "INFO commandstats").str;
    const std::size_t at = info.find("cmdstat_get:calls=");
    return at == std::string::npos ? 0L : std::stol(info.substr(at + 18));
  };
  const long replica_before = reads_on(replica), primary_before = reads_on(primary);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(cluster->cmd("GET", "rr:{k}").to_string(), "\"v\"");
  EXPECT_EQ(reads_on(replica) - replica_before, 20);
  EXPECT_EQ(reads_on(primary) - primary_before, 0);
  bool replica_pool = false;
  for (const auto& [addr, s] : cluster->stats().nodes)
    replica_pool |= addr.find("replica") != std::string::npos;
  EXPECT_TRUE(replica_pool);
}

TEST(ClusterRouting, BadArgumentsGiveAClosedClusterAndAClearError) {
  auto [none, e1] = Cluster::create({}, 4);
  EXPECT_EQ(e1, errc::invalid_argument);
  EXPECT_EQ(none->cmd("GET", "k").err(), errc::invalid_argument);
  auto [bad, e2] = Cluster::create({"not an address"}, 4);
  EXPECT_EQ(e2, errc::bad_address);
  EXPECT_EQ(bad->cmd("GET", "k").err(), errc::bad_address);
  EXPECT_EQ(bad->cmd("GET", "k").delivery(), Delivery::not_sent);
  auto [neg, e3] = Cluster::create(shared_cluster().seeds(), 4, ClusterOptions{.max_redirects = -1});
  EXPECT_EQ(e3, errc::invalid_argument);
  EXPECT_FALSE(neg->lease("k"));
  EXPECT_EQ(neg->lease("k").error(), errc::invalid_argument);
}

TEST(ClusterRouting, NoSeedAnsweringGivesAUsableClusterThatSaysClusterDown) {
  const std::string dead = "127.0.0.1:" + std::to_string(free_port());
  auto [cluster, err] =
      Cluster::create({dead}, 2, ClusterOptions{.down_budget = std::chrono::milliseconds(300)});
  EXPECT_EQ(err, errc::cluster_down);
  Resp r = cluster->cmd("GET", "k");
  EXPECT_TRUE(r.is_io_error());
  EXPECT_EQ(r.delivery(), Delivery::not_sent);
  EXPECT_GE(cluster->stats().refresh_errors, 1u);
}

TEST(ClusterRouting, EmptyClosesEverything) {
  auto cluster = make_cluster();
  EXPECT_EQ(cluster->cmd("SET", "empty:k", 1).to_string(), "\"OK\"");
  cluster->empty();
  cluster->empty();
  EXPECT_EQ(cluster->cmd("GET", "empty:k").err(), errc::pool_closed);
  EXPECT_EQ(cluster->lease("empty:k").error(), errc::pool_closed);
  Batch b;
  b.add("GET", "empty:k");
  EXPECT_EQ(cluster->run(b)[0].err(), errc::pool_closed);
  for (const auto& [addr, s] : cluster->stats().nodes) EXPECT_EQ(s.idle, 0) << addr;
}

}  // namespace
}  // namespace respool::test
