// parse_cluster_shards / parse_cluster_slots on hand-built replies in the
// RESP2 and RESP3 shapes a server sends, parse_redirect and host_of.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cluster/slot_map.hpp"
#include "resp_builders.hpp"
#include "respool/error.hpp"

namespace respool::cluster {
namespace {

using namespace respool::test::build;

struct Node {
  std::string ip, endpoint, role, health = "online";
  std::int64_t port = 0, tls_port = -1;
};

class ClusterShards : public testing::TestWithParam<bool> {
 protected:
  Resp map(std::vector<Resp> v) const {
    return Resp::aggregate(GetParam() ? Resp::Type::map : Resp::Type::array, std::move(v));
  }
  Resp node(const Node& n) const {
    std::vector<Resp> v{bulk("id"), bulk("0123abcd"), bulk("port"), num(n.port)};
    if (n.tls_port >= 0) {
      v.push_back(bulk("tls-port"));
      v.push_back(num(n.tls_port));
    }
    for (Resp r : {bulk("ip"), bulk(n.ip), bulk("endpoint"), bulk(n.endpoint), bulk("role"), bulk(n.role),
                   bulk("replication-offset"), num(72156), bulk("health"), bulk(n.health)}) {
      v.push_back(std::move(r));
    }
    return map(std::move(v));
  }
  Resp shard(std::vector<std::int64_t> slots, std::vector<Node> nodes) const {
    std::vector<Resp> s, n;
    for (auto x : slots) s.push_back(num(x));
    for (const Node& x : nodes) n.push_back(node(x));
    return map({bulk("slots"), arr(std::move(s)), bulk("nodes"), arr(std::move(n))});
  }
};

TEST_P(ClusterShards, PrimariesReplicasAndSlots) {
  const Resp reply = arr({
      shard({0, 5460, 10923, 10999}, {{"10.0.0.1", "10.0.0.1", "master", "online", 7000},
                                      {"10.0.0.2", "10.0.0.2", "replica", "online", 7001},
                                      {"10.0.0.3", "10.0.0.3", "replica", "loading", 7002},
                                      {"10.0.0.4", "10.0.0.4", "replica", "fail", 7003}}),
      shard({5461, 10922}, {{"10.0.0.5", "node5.example", "master", "online", 7000}}),
  });
  auto m = parse_cluster_shards(reply, "seed");
  ASSERT_TRUE(m) << m.error().message();
  ASSERT_EQ(m->shards.size(), 2u);
  EXPECT_EQ(m->shards[0].primary, "10.0.0.1:7000");
  EXPECT_EQ(m->shards[0].replicas, std::vector<std::string>{"10.0.0.2:7001"});
  EXPECT_EQ(m->shards[1].primary, "node5.example:7000");  // endpoint before ip
  EXPECT_TRUE(m->shards[1].replicas.empty());
  EXPECT_EQ(m->owner[0], 0);
  EXPECT_EQ(m->owner[5460], 0);
  EXPECT_EQ(m->owner[5461], 1);
  EXPECT_EQ(m->owner[10922], 1);
  EXPECT_EQ(m->owner[10923], 0);
  EXPECT_EQ(m->owner[10999], 0);
  EXPECT_EQ(m->owner[11000], -1);
  EXPECT_EQ(m->owner[16383], -1);
}

TEST_P(ClusterShards, UnknownEndpointsAndTlsPorts) {
  const Resp reply = arr({
      shard({0, 100}, {{"10.0.0.9", "?", "master", "online", 7000},  // "?": the ip
                       {"", "", "replica", "online", 0, 7443},       // no ip: the queried host; tls port
                       {"::1", "", "replica", "online", 7002}}),     // IPv6 in brackets
      shard({101, 200}, {{"", "?", "master", "online", 7100}}),
  });
  auto m = parse_cluster_shards(reply, "seed.host");
  ASSERT_TRUE(m) << m.error().message();
  ASSERT_EQ(m->shards.size(), 2u);
  EXPECT_EQ(m->shards[0].primary, "10.0.0.9:7000");
  EXPECT_EQ(m->shards[0].replicas, (std::vector<std::string>{"seed.host:7443", "[::1]:7002"}));
  EXPECT_EQ(m->shards[1].primary, "seed.host:7100");
}

TEST_P(ClusterShards, ShardWithoutPrimaryIsIgnored) {
  const Resp reply = arr({
      shard({0, 10}, {{"10.0.0.2", "10.0.0.2", "replica", "online", 7001}}),
      shard({11, 20}, {{"10.0.0.1", "10.0.0.1", "master", "online", 7000}}),
  });
  auto m = parse_cluster_shards(reply, "seed");
  ASSERT_TRUE(m) << m.error().message();
  ASSERT_EQ(m->shards.size(), 1u);
  EXPECT_EQ(m->shards[0].primary, "10.0.0.1:7000");
  EXPECT_EQ(m->owner[5], -1);
  EXPECT_EQ(m->owner[15], 0);
}

TEST_P(ClusterShards, WrongShapeIsAProtocolError) {
  const Node primary{"10.0.0.1", "10.0.0.1", "master", "online", 7000};
  const Resp bad[] = {
      num(3),
      Resp::server_error("ERR This instance has cluster support disabled"),
      arr({num(1)}),
      arr({map({bulk("slots"), arr({})})}),  // no nodes
      arr({shard({0}, {primary})}),          // odd slot list
      arr({shard({10, 5}, {primary})}),      // end before start
      arr({shard({0, 16384}, {primary})}),   // past the last slot
      arr({map({bulk("slots"), arr({bulk("0"), bulk("1")}), bulk("nodes"), arr({node(primary)})})}),
      arr({map({bulk("slots"), arr({}), bulk("nodes"), arr({num(1)})})}),
  };
  for (const Resp& r : bad) {
    auto m = parse_cluster_shards(r, "seed");
    EXPECT_EQ(m.error(), errc::protocol_error) << r.to_string();
  }
}

TEST_P(ClusterShards, OnlinePrimaryWinsOverAFailedOne) {
  const Resp reply = arr({
      shard({0, 10}, {{"10.0.0.1", "10.0.0.1", "master", "fail", 7000},
                      {"10.0.0.2", "10.0.0.2", "master", "online", 7001},
                      {"10.0.0.3", "10.0.0.3", "master", "loading", 7002}}),
  });
  auto m = parse_cluster_shards(reply, "seed");
  ASSERT_TRUE(m) << m.error().message();
  ASSERT_EQ(m->shards.size(), 1u);
  EXPECT_EQ(m->shards[0].primary, "10.0.0.2:7001");
}

INSTANTIATE_TEST_SUITE_P(Resp2AndResp3, ClusterShards, testing::Bool(),
                         [](const testing::TestParamInfo<bool>& i) { return i.param ? "resp3" : "resp2"; });

TEST(ClusterSlots, RangesGroupedByPrimary) {
  const Resp reply = arr({
      arr({num(0), num(5460), arr({bulk("127.0.0.1"), num(7000), bulk("id0")}),
           arr({bulk("127.0.0.1"), num(7003), bulk("id3")})}),
      arr({num(5461), num(10922), arr({bulk(""), num(7001), bulk("id1")})}),  // empty: the queried host
      arr({num(10923), num(16383),
           arr({bulk("?"), num(7002), bulk("id2"), Resp::aggregate(Resp::Type::map, {})})}),
      arr({num(16000), num(16000), arr({bulk("127.0.0.1"), num(7000), bulk("id0")})}),  // a second range
  });
  auto m = parse_cluster_slots(reply, "seed");
  ASSERT_TRUE(m) << m.error().message();
  ASSERT_EQ(m->shards.size(), 3u);
  EXPECT_EQ(m->shards[0].primary, "127.0.0.1:7000");
  EXPECT_EQ(m->shards[0].replicas, std::vector<std::string>{"127.0.0.1:7003"});
  EXPECT_EQ(m->shards[1].primary, "seed:7001");
  EXPECT_EQ(m->shards[2].primary, "seed:7002");
  EXPECT_EQ(m->owner[0], 0);
  EXPECT_EQ(m->owner[5461], 1);
  EXPECT_EQ(m->owner[15999], 2);
  EXPECT_EQ(m->owner[16000], 0);
  EXPECT_EQ(m->owner[16001], 2);
}

TEST(ClusterSlots, WrongShapeIsAProtocolError) {
  const Resp bad[] = {
      num(1),
      arr({arr({num(0), num(10)})}),                                       // no primary
      arr({arr({num(0), num(10), bulk("127.0.0.1:7000")})}),               // node not an array
      arr({arr({num(0), num(10), arr({bulk("127.0.0.1"), bulk("x")})})}),  // port not a number
      arr({arr({num(10), num(0), arr({bulk("127.0.0.1"), num(7000)})})}),
      arr({arr({bulk("0"), num(10), arr({bulk("127.0.0.1"), num(7000)})})}),
  };
  for (const Resp& r : bad)
    EXPECT_EQ(parse_cluster_slots(r, "seed").error(), errc::protocol_error) << r.to_string();
}

TEST(ClusterRedirect, MovedAndAsk) {
  auto moved = parse_redirect("MOVED 3999 127.0.0.1:6381", "replier");
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->kind, Redirect::Kind::moved);
  EXPECT_EQ(moved->slot, 3999);
  EXPECT_EQ(moved->addr, "127.0.0.1:6381");

  auto ask = parse_redirect("ASK 3999 :6381", "10.1.1.1");
  ASSERT_TRUE(ask);
  EXPECT_EQ(ask->kind, Redirect::Kind::ask);
  EXPECT_EQ(ask->slot, 3999);
  EXPECT_EQ(ask->addr, "10.1.1.1:6381");

  auto v6 = parse_redirect("MOVED 0 ::1:7000", "x");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->addr, "[::1]:7000");
  auto v6b = parse_redirect("MOVED 16383 [::1]:7000", "x");
  ASSERT_TRUE(v6b);
  EXPECT_EQ(v6b->slot, 16383);
  EXPECT_EQ(v6b->addr, "[::1]:7000");
  auto v6_replier = parse_redirect("ASK 1 :7000", "::1");
  ASSERT_TRUE(v6_replier);
  EXPECT_EQ(v6_replier->addr, "[::1]:7000");
}

TEST(ClusterRedirect, WhatAServerErrorRespHolds) {
  // The parser keeps the whole error line after '-', prefix included.
  const Resp r = Resp::server_error("MOVED 12182 node3:7002");
  auto redirect = parse_redirect(r.error_message(), "x");
  ASSERT_TRUE(redirect);
  EXPECT_EQ(redirect->slot, 12182);
  EXPECT_EQ(redirect->addr, "node3:7002");
}

TEST(ClusterRedirect, OtherErrorsAreNotRedirects) {
  for (const char* m : {"", "ERR unknown command", "TRYAGAIN Multiple keys request during rehashing of slot",
                        "CLUSTERDOWN The cluster is down", "MOVED", "MOVED 3999", "MOVED x 1.2.3.4:5",
                        "MOVED 16384 1.2.3.4:5", "MOVED -1 1.2.3.4:5", "MOVED 1 1.2.3.4",
                        "MOVED 1 1.2.3.4:", "MOVED 1 1.2.3.4:0", "MOVED 1 1.2.3.4:65536",
                        "MOVED 1 1.2.3.4:12x", "moved 1 h:1", "ASKING 1 h:1", "MOVED 1 :7000"}) {
    EXPECT_FALSE(parse_redirect(m, "")) << m;
  }
}

TEST(ClusterHostOf, HostPart) {
  EXPECT_EQ(host_of("127.0.0.1:7000"), "127.0.0.1");
  EXPECT_EQ(host_of("node.example:7000"), "node.example");
  EXPECT_EQ(host_of("[::1]:7000"), "::1");
  EXPECT_EQ(host_of("localhost"), "localhost");
  EXPECT_EQ(host_of(""), "");
}

}  // namespace
}  // namespace respool::cluster
