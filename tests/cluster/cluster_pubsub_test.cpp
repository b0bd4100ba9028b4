// Subscriber on the shared 3+3 cluster: classic channels on one node see
// PUBLISH sent to any node; shard channels are subscribed at their slot's
// primary and get SPUBLISH; a shard channel whose slot migrates (and comes
// back) is subscribed again at the new owner, with a `resubscribed` notice,
// and keeps receiving.
//
// Topology: the migration test moves one slot and moves it back.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "cluster_helpers.hpp"
#include "redis_cluster.hpp"
#include "respool/respool.hpp"

namespace respool::test {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<Subscriber> make_subscriber(std::shared_ptr<Cluster> cluster, int protocol = 2) {
  SubscriberOptions o;
  o.dial_options.protocol = protocol;
  o.dial_options.client_name = "cps-sub";
  o.max_backoff = 200ms;
  auto [sub, err] = Subscriber::create(std::move(cluster), o);
  EXPECT_FALSE(err) << err.message();
  return std::move(sub);
}

TEST(ClusterPubsub, PrimaryForNamesTheSlotsOwner) {
  auto cluster = make_cluster(2);
  for (int slot : {0, 5000, 16383}) {
    const int owner = shared_cluster().primary_for_slot(slot);
    EXPECT_EQ(cluster->primary_for(static_cast<std::uint16_t>(slot)), shared_cluster().node(owner).addr());
    EXPECT_EQ(cluster->primary_for(static_cast<std::uint16_t>(slot), true),
              shared_cluster().node(owner).addr());
  }
  EXPECT_EQ(cluster->primary_for(16384), "");
}

TEST(ClusterPubsub, ClassicChannelsHearPublishFromEveryNode) {
  auto cluster = make_cluster(2);
  auto sub = make_subscriber(cluster);
  ASSERT_TRUE(sub);
  ASSERT_FALSE(sub->subscribe({"cps:news"}));
  ASSERT_FALSE(sub->psubscribe({"cps:user:*"}));
  int sent = 0;
  for (const std::string& addr : cluster->primaries()) {
    std::shared_ptr<Pool> pool = cluster->node_pool(addr);
    ASSERT_TRUE(pool);
    pool->cmd("PUBLISH", "cps:news", addr);
    pool->cmd("PUBLISH", "cps:user:1", addr);
    sent += 2;
  }
  std::multiset<std::string> got;
  for (int i = 0; i < sent; ++i) {
    std::optional<Message> m = sub->next(5s);
    ASSERT_TRUE(m);
    got.insert(m->channel + "|" + m->payload);
  }
  for (const std::string& addr : cluster->primaries()) {
    EXPECT_EQ(got.count("cps:news|" + addr), 1u);
    EXPECT_EQ(got.count("cps:user:1|" + addr), 1u);
  }
  EXPECT_FALSE(sub->next(100ms));
}

class ClusterShardPubsub : public ::testing::TestWithParam<int> {};

TEST_P(ClusterShardPubsub, ShardChannelsOnEveryPrimaryGetSpublish) {
  auto cluster = make_cluster(2);
  auto sub = make_subscriber(cluster, GetParam());
  ASSERT_TRUE(sub);
  // Enough channels to land on every primary.
  std::vector<std::string> channels;
  std::set<std::string> owners;
  for (int i = 0; i < 30; ++i) {
    channels.push_back("cps:shard:" + std::to_string(GetParam()) + ":" + std::to_string(i));
    owners.insert(cluster->primary_for(key_slot(channels.back())));
  }
  EXPECT_EQ(owners.size(), 3u);
  ASSERT_FALSE(sub->ssubscribe(channels));
  for (int round = 0; round < 3; ++round)
    for (const auto& c : channels)
      EXPECT_EQ(cluster->cmd("SPUBLISH", c, std::to_string(round)).integer().value_or(-1), 1) << c;
  std::map<std::string, int> next_seq;
  for (std::size_t i = 0; i < channels.size() * 3; ++i) {
    std::optional<Message> m = sub->next(5s);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->kind, Message::Kind::smessage);
    EXPECT_EQ(m->payload, std::to_string(next_seq[m->channel]++));
  }
  EXPECT_FALSE(sub->next(100ms));
  ASSERT_FALSE(sub->sunsubscribe({channels[0]}));
  EXPECT_EQ(cluster->cmd("SPUBLISH", channels[0], "x").integer().value_or(-1), 0);
}

TEST_P(ClusterShardPubsub, ShardChannelFollowsItsSlotThroughAMigrationAndBack) {
  RedisCluster& rc = shared_cluster();
  auto cluster = make_cluster(2);
  auto sub = make_subscriber(cluster, GetParam());
  ASSERT_TRUE(sub);
  const std::string channel = "cps:moving:" + std::to_string(GetParam());
  const int slot = key_slot(channel);
  const int from = rc.primary_for_slot(slot);
  int to = -1;
  for (int p : rc.primaries())
    if (p != from) to = p;
  ASSERT_GE(to, 0);
  ASSERT_FALSE(sub->ssubscribe({channel}));

  int seq = 0;
  std::vector<std::string> got;  // payloads, and "@<addr>" for a notice
  auto publish_and_read = [&](int n) {
    for (int i = 0; i < n; ++i)
      EXPECT_EQ(cluster->cmd("SPUBLISH", channel, std::to_string(seq++)).integer().value_or(-1), 1);
    for (int i = 0; i < n;) {
      std::optional<Message> m = sub->next(10s);
      ASSERT_TRUE(m) << "message " << i;
      if (m->kind == Message::Kind::resubscribed) {
        EXPECT_EQ(m->channel, channel);
        got.push_back("@" + m->payload);
        continue;
      }
      got.push_back(m->payload);
      ++i;
    }
  };
  auto wait_resubscribed = [&](std::uint64_t n) {
    for (auto deadline = std::chrono::steady_clock::now() + 10s; sub->stats().resubscribed < n;) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "not subscribed at the new owner";
      std::this_thread::sleep_for(5ms);
    }
  };

  publish_and_read(10);
  rc.migrate_slot(slot, from, to);
  wait_resubscribed(1);
  // The old owner carries none of our shard channels now: its connection went.
  EXPECT_TRUE(wait_until(
      [&] { return rc.node(from).raw_command("CLIENT LIST").find("name=cps-sub ") == std::string::npos; },
      5s));
  publish_and_read(10);
  rc.migrate_slot(slot, to, from);
  wait_resubscribed(2);
  publish_and_read(10);

  std::vector<std::string> expected;
  for (int i = 0; i < 30; ++i) {
    if (i == 10) expected.push_back("@" + rc.node(to).addr());
    if (i == 20) expected.push_back("@" + rc.node(from).addr());
    expected.push_back(std::to_string(i));
  }
  EXPECT_EQ(got, expected);
  EXPECT_EQ(sub->stats().resubscribed, 2u);
  EXPECT_FALSE(sub->next(100ms));
}

INSTANTIATE_TEST_SUITE_P(Protocols, ClusterShardPubsub, ::testing::Values(2, 3),
                         [](const auto& param_info) { return "resp" + std::to_string(param_info.param); });

}  // namespace
}  // namespace respool::test
