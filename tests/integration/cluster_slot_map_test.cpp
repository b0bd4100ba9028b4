// The slot-map parsers and parse_redirect on the replies of real
// cluster-enabled redis-servers: two one-node shards joined by CLUSTER MEET.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "cluster/slot_map.hpp"
#include "redis_server.hpp"
#include "respool/client.hpp"
#include "respool/cluster.hpp"

namespace respool::cluster {
namespace {

std::unique_ptr<Client> dial(const test::RedisServer& s, int protocol = 2) {
  DialOptions o;
  o.protocol = protocol;
  auto c = Client::dial("tcp", s.addr(), o);
  EXPECT_TRUE(c) << c.error().message();
  return c ? std::move(*c) : nullptr;
}

class ClusterSlotMapServer : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    const test::RedisServerOptions o{{"--cluster-enabled", "yes", "--cluster-node-timeout", "5000"}};
    a_ = new test::RedisServer(o);
    b_ = new test::RedisServer(o);
    auto ca = dial(*a_);
    auto cb = dial(*b_);
    ASSERT_TRUE(ca && cb);
    ASSERT_FALSE(ca->cmd("CLUSTER", "ADDSLOTSRANGE", 0, 8191).err());
    ASSERT_FALSE(cb->cmd("CLUSTER", "ADDSLOTSRANGE", 8192, 16383).err());
    ASSERT_FALSE(ca->cmd("CLUSTER", "MEET", "127.0.0.1", b_->port()).err());
    // Both nodes know both shards once gossip has carried the slots over.
    const bool joined = test::wait_until(
        [&] {
          for (Client* c : {ca.get(), cb.get()}) {
            auto m = parse_cluster_shards(c->cmd("CLUSTER", "SHARDS"), "127.0.0.1");
            if (!m || m->shards.size() != 2 || m->owner[0] < 0 || m->owner[16383] < 0) return false;
            // And the cluster is up: a node answers CLUSTERDOWN, not MOVED, until then.
            const auto info = c->cmd("CLUSTER", "INFO").str();
            if (!info || info->find("cluster_state:ok") == std::string::npos) return false;
          }
          return true;
        },
        std::chrono::seconds(20));
    ASSERT_TRUE(joined);
  }
  static void TearDownTestSuite() {
    delete a_;
    delete b_;
    a_ = b_ = nullptr;
  }
  static inline test::RedisServer* a_ = nullptr;
  static inline test::RedisServer* b_ = nullptr;

  void expect_two_shards(const SlotMap& m) {
    ASSERT_EQ(m.shards.size(), 2u);
    const std::int16_t sa = m.owner[0];
    const std::int16_t sb = m.owner[16383];
    ASSERT_GE(sa, 0);
    ASSERT_GE(sb, 0);
    EXPECT_EQ(m.shards[sa].primary, a_->addr());
    EXPECT_EQ(m.shards[sb].primary, b_->addr());
    EXPECT_TRUE(m.shards[sa].replicas.empty());
    for (int s = 0; s < slot_count; ++s) EXPECT_EQ(m.owner[s], s < 8192 ? sa : sb) << s;
  }
};

TEST_F(ClusterSlotMapServer, ClusterShardsInResp2AndResp3) {
  for (int protocol : {2, 3}) {
    SCOPED_TRACE(protocol);
    auto c = dial(*a_, protocol);
    ASSERT_TRUE(c);
    const Resp reply = c->cmd("CLUSTER", "SHARDS");
    auto m = parse_cluster_shards(reply, "127.0.0.1");
    ASSERT_TRUE(m) << m.error().message() << " " << reply.to_string();
    expect_two_shards(*m);
  }
}

TEST_F(ClusterSlotMapServer, ClusterSlotsInResp2AndResp3) {
  for (int protocol : {2, 3}) {
    SCOPED_TRACE(protocol);
    auto c = dial(*b_, protocol);
    ASSERT_TRUE(c);
    const Resp reply = c->cmd("CLUSTER", "SLOTS");
    auto m = parse_cluster_slots(reply, "127.0.0.1");
    ASSERT_TRUE(m) << m.error().message() << " " << reply.to_string();
    expect_two_shards(*m);
  }
}

TEST_F(ClusterSlotMapServer, MovedNamesTheOwner) {
  auto c = dial(*a_);
  ASSERT_TRUE(c);
  ASSERT_GE(key_slot("foo"), 8192);  // served by b
  const Resp r = c->cmd("GET", "foo");
  ASSERT_TRUE(r.is_server_error()) << r.to_string();
  auto redirect = parse_redirect(r.error_message(), "127.0.0.1");
  ASSERT_TRUE(redirect) << r.error_message();
  EXPECT_EQ(redirect->kind, Redirect::Kind::moved);
  EXPECT_EQ(redirect->slot, key_slot("foo"));
  EXPECT_EQ(redirect->addr, b_->addr());
  EXPECT_EQ(host_of(redirect->addr), "127.0.0.1");
}

TEST_F(ClusterSlotMapServer, KeySlotIsTheServers) {
  auto c = dial(*a_);
  ASSERT_TRUE(c);
  for (const char* key : {"foo", "bar", "123456789", "{user1000}.following", "foo{}{bar}", "foo{{bar}}zap",
                          "foo{bar}{zap}", "", "{", "}{", "a{b}c"}) {
    EXPECT_EQ(c->cmd("CLUSTER", "KEYSLOT", key).integer().value_or(-1), key_slot(key)) << key;
  }
}

}  // namespace
}  // namespace respool::cluster
