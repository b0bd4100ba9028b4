// What sentinels answer, parsed (sentinel/replies.hpp): no server needed.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "respool/resp.hpp"
#include "sentinel/replies.hpp"

namespace {

using respool::Resp;
using respool::Role;
namespace d = respool::detail;

Resp bulk_array(const std::vector<std::string>& items) {
  std::vector<Resp> e;
  for (const auto& s : items) e.push_back(Resp::bulk_string(s));
  return Resp::aggregate(Resp::Type::array, std::move(e));
}

TEST(SentinelReplies, JoinHostPortBracketsIpv6) {
  EXPECT_EQ(d::join_host_port("127.0.0.1", "6379"), "127.0.0.1:6379");
  EXPECT_EQ(d::join_host_port("::1", "6380"), "[::1]:6380");
  EXPECT_EQ(d::join_host_port("redis-a", "1"), "redis-a:1");
}

TEST(SentinelReplies, MasterAddr) {
  EXPECT_EQ(d::parse_master_addr(bulk_array({"10.0.0.5", "6379"})), "10.0.0.5:6379");
  EXPECT_EQ(d::parse_master_addr(bulk_array({"fe80::1", "6379"})), "[fe80::1]:6379");
  EXPECT_FALSE(d::parse_master_addr(Resp()));  // nil: unknown name
  EXPECT_FALSE(d::parse_master_addr(Resp::server_error("ERR No such master with that name")));
  EXPECT_FALSE(d::parse_master_addr(bulk_array({"10.0.0.5"})));
  EXPECT_FALSE(d::parse_master_addr(bulk_array({"", "6379"})));
  EXPECT_FALSE(d::parse_master_addr(Resp::integer_value(1)));
}

Resp replica(const std::string& ip, const std::string& port, const std::string& flags, bool as_map) {
  std::vector<Resp> kv;
  for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"name", ip + ":" + port}, {"ip", ip}, {"port", port}, {"flags", flags}}) {
    kv.push_back(Resp::bulk_string(k));
    kv.push_back(Resp::bulk_string(v));
  }
  return Resp::aggregate(as_map ? Resp::Type::map : Resp::Type::array, std::move(kv));
}

TEST(SentinelReplies, HealthyReplicasSkipDownAndDisconnected) {
  for (bool as_map : {false, true}) {  // RESP2 flat arrays, RESP3 maps
    const Resp reply = Resp::aggregate(
        Resp::Type::array,
        {replica("10.0.0.1", "1", "slave", as_map), replica("10.0.0.2", "2", "s_down,slave", as_map),
         replica("10.0.0.3", "3", "slave,o_down", as_map),
         replica("10.0.0.4", "4", "slave,disconnected", as_map), replica("::1", "5", "slave", as_map)});
    auto healthy = d::parse_healthy_replicas(reply);
    ASSERT_TRUE(healthy);
    EXPECT_EQ(*healthy, (std::vector<std::string>{"10.0.0.1:1", "[::1]:5"}));
  }
  auto none = d::parse_healthy_replicas(Resp::aggregate(Resp::Type::array, {}));
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  EXPECT_FALSE(d::parse_healthy_replicas(Resp::server_error("ERR No such master with that name")));
  EXPECT_FALSE(d::parse_healthy_replicas(Resp::aggregate(Resp::Type::array, {Resp::integer_value(3)})));
}

TEST(SentinelReplies, SwitchMaster) {
  const Resp m = bulk_array({"message", "+switch-master", "mymaster 127.0.0.1 6379 127.0.0.1 6380"});
  EXPECT_EQ(d::parse_switch_master(m, "mymaster"), "127.0.0.1:6380");
  EXPECT_FALSE(d::parse_switch_master(m, "other"));
  // A RESP3 push carries the same.
  const Resp push = Resp::aggregate(
      Resp::Type::push, bulk_array({"message", "+switch-master", "mymaster ::1 6379 ::1 6380"}).elements());
  EXPECT_EQ(d::parse_switch_master(push, "mymaster"), "[::1]:6380");
  EXPECT_FALSE(d::parse_switch_master(bulk_array({"subscribe", "+switch-master"}), "mymaster"));
  EXPECT_FALSE(d::parse_switch_master(bulk_array({"message", "+sdown", "master mymaster 127.0.0.1 6379"}),
                                      "mymaster"));
  EXPECT_FALSE(
      d::parse_switch_master(bulk_array({"message", "+switch-master", "mymaster 127.0.0.1"}), "mymaster"));
}

TEST(SentinelReplies, Role) {
  std::vector<Resp> master{Resp::bulk_string("master"), Resp::integer_value(0),
                           Resp::aggregate(Resp::Type::array, {})};
  const Resp m = Resp::aggregate(Resp::Type::array, master);
  EXPECT_TRUE(d::role_matches(m, Role::primary));
  EXPECT_FALSE(d::role_matches(m, Role::replica));
  const Resp s = bulk_array({"slave", "127.0.0.1", "6379", "connected"});
  EXPECT_TRUE(d::role_matches(s, Role::replica));
  EXPECT_FALSE(d::role_matches(s, Role::primary));
  EXPECT_FALSE(d::role_matches(Resp::server_error("ERR unknown command"), Role::primary));
  EXPECT_FALSE(d::role_matches(Resp::aggregate(Resp::Type::array, {}), Role::primary));
  EXPECT_FALSE(d::role_matches(bulk_array({"sentinel", "mymaster"}), Role::primary));
}

}  // namespace
