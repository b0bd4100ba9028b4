// sentinel_pool: arguments, discovery of the primary and of a replica, the
// order in which sentinels are asked, the ROLE check, an unknown name.
#include <atomic>
#include <string>
#include <vector>

#include "sentinel_helpers.hpp"
#include "silent_listener.hpp"

namespace sentineltest {
namespace {

TEST(SentinelPool, BadArgumentsGiveAClosedPool) {
  struct Case {
    std::vector<std::string> sentinels;
    std::string name;
    respool::SentinelOptions options;
    respool::errc expected;
  };
  std::vector<Case> cases;
  cases.push_back({{}, "mymaster", {}, respool::errc::invalid_argument});
  cases.push_back({{"127.0.0.1:26379"}, "", {}, respool::errc::invalid_argument});
  cases.push_back({{"127.0.0.1:26379", "no port"}, "mymaster", {}, respool::errc::bad_address});
  cases.push_back(
      {{"127.0.0.1:26379"}, "mymaster", {.recheck_interval = 0s}, respool::errc::invalid_argument});
  cases.push_back({{"127.0.0.1:26379"},
                   "mymaster",
                   {.pool = respool::PoolOptions{.get_timeout = -1s}},
                   respool::errc::invalid_argument});
  for (auto& c : cases) {
    auto [pool, err] = respool::sentinel_pool(c.sentinels, c.name, 2, c.options);
    ASSERT_NE(pool, nullptr);
    EXPECT_EQ(err, c.expected) << err.message();
    EXPECT_TRUE(pool->closed());
    auto got = pool->get();
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error(), c.expected);
  }
  EXPECT_EQ(threads_named("respool-watcher"), 0);
}

TEST(SentinelPool, FindsThePrimary) {
  auto& s = setup();
  RedisServer* primary = s.primary();
  ASSERT_NE(primary, nullptr);
  auto [pool, err] = respool::sentinel_pool(s.sentinel_addrs(), kName, 4);
  ASSERT_FALSE(err) << err.message();
  EXPECT_EQ(pool->network(), "tcp");
  EXPECT_EQ(pool->addr(), primary->addr());
  EXPECT_EQ(pool->avail(), 4);
  EXPECT_EQ(pool->cmd("SET", "sentinel:discovery", "here").str().value_or(""), "OK");
  // Written on the server whose ROLE is master, seen by a raw probe there.
  EXPECT_EQ(primary->raw_command("GET sentinel:discovery"), "$4\r\nhere\r\n");
  for (int i = 0; i < 4; ++i) {
    respool::Lease l = pool->lease();
    ASSERT_TRUE(l) << l.error().message();
    EXPECT_EQ(server_port(*l), primary->port());
    EXPECT_EQ(role_of(*l), "master");
  }
}

TEST(SentinelPool, ReplicaRoleReadsFromTheReplica) {
  auto& s = setup();
  RedisServer* replica = s.replica();
  ASSERT_NE(replica, nullptr);
  auto [primary_pool, perr] = respool::sentinel_pool(s.sentinel_addrs(), kName, 1);
  ASSERT_FALSE(perr) << perr.message();
  // Named, not a structured binding: clang < 16 can't capture one in a lambda.
  auto made = respool::sentinel_pool(s.sentinel_addrs(), kName, 2,
                                     respool::SentinelOptions{.role = respool::Role::replica});
  ASSERT_FALSE(made.error) << made.error.message();
  auto& pool = made.pool;
  EXPECT_EQ(pool->addr(), replica->addr());
  {
    respool::Lease l = pool->lease();
    ASSERT_TRUE(l) << l.error().message();
    EXPECT_EQ(server_port(*l), replica->port());
    EXPECT_EQ(role_of(*l), "slave");
    // A write is refused by the replica.
    EXPECT_TRUE(l->cmd("SET", "sentinel:replica", "x").is_server_error());
  }
  // What the primary pool writes, the replica pool reads once replicated.
  ASSERT_EQ(primary_pool->cmd("SET", "sentinel:replica", "copied").str().value_or(""), "OK");
  EXPECT_TRUE(
      wait_until([&] { return pool->cmd("GET", "sentinel:replica").str().value_or("") == "copied"; }));
}

TEST(SentinelPool, FirstSentinelDeadStillWorks) {
  auto& s = setup();
  std::vector<std::string> list{"127.0.0.1:" + std::to_string(respool::test::free_port())};
  for (const auto& a : s.sentinel_addrs()) list.push_back(a);
  const auto t0 = Clock::now();
  auto [pool, err] = respool::sentinel_pool(list, kName, 2);
  const double ms = ms_between(t0, Clock::now());
  ASSERT_FALSE(err) << err.message();
  EXPECT_LT(ms, 2000.0);
  RecordProperty("create_ms", std::to_string(ms));
  respool::Lease l = pool->lease();
  ASSERT_TRUE(l) << l.error().message();
  EXPECT_EQ(role_of(*l), "master");
}

TEST(SentinelPool, AnsweringSentinelMovesToTheFront) {
  // The first sentinel accepts connections but never answers: asking it
  // costs a read timeout (400 ms). Once another one answered, it is asked
  // first: a dial that must ask again doesn't wait for the silent one.
  auto& s = setup();
  respool::test::SilentListener silent(16);
  std::vector<std::string> list{silent.addr()};
  for (const auto& a : s.sentinel_addrs()) list.push_back(a);
  auto fail_next = std::make_shared<std::atomic<bool>>(false);
  respool::SentinelOptions o;
  o.sentinel_dial_options.read_timeout = 400ms;
  o.subscribe = false;
  o.pool.dial = [fail_next](std::string_view network, std::string_view addr) -> respool::Result<ClientPtr> {
    if (fail_next->exchange(false)) return respool::errc::timeout;  // makes the dial ask again
    return respool::Client::dial(network, addr);
  };
  auto t0 = Clock::now();
  auto [pool, err] = respool::sentinel_pool(list, kName, 0, o);
  const double create_ms = ms_between(t0, Clock::now());
  ASSERT_FALSE(err) << err.message();
  EXPECT_GE(create_ms, 350.0);  // asked the silent one first
  *fail_next = true;
  t0 = Clock::now();
  respool::Lease l = pool->lease();
  const double get_ms = ms_between(t0, Clock::now());
  ASSERT_TRUE(l) << l.error().message();
  EXPECT_EQ(role_of(*l), "master");
  EXPECT_LT(get_ms, 300.0);  // asked the one that answered before
  RecordProperty("create_ms", std::to_string(create_ms));
  RecordProperty("get_ms", std::to_string(get_ms));
}

TEST(SentinelPool, NoSentinelReachableGivesNoPrimaryAndAUsablePool) {
  const std::vector<std::string> dead{"127.0.0.1:" + std::to_string(respool::test::free_port())};
  auto [pool, err] = respool::sentinel_pool(dead, kName, 2);
  EXPECT_EQ(err, respool::errc::no_primary) << err.message();
  EXPECT_FALSE(pool->closed());
  auto c = pool->get();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), respool::errc::no_primary);
}

TEST(SentinelPool, UnknownNameGivesNoPrimaryThenRecovers) {
  auto& s = setup();
  RedisServer* primary = s.primary();
  ASSERT_NE(primary, nullptr);
  auto [pool, err] = respool::sentinel_pool(s.sentinel_addrs(), "othermaster", 2);
  EXPECT_EQ(err, respool::errc::no_primary) << err.message();
  EXPECT_FALSE(pool->closed());
  EXPECT_EQ(pool->cmd("PING").err(), respool::errc::no_primary);

  // Once the sentinels monitor that name, the same pool finds it on get().
  for (const auto& a : s.sentinel_addrs()) {
    auto c = respool::Client::dial("tcp", a);
    ASSERT_TRUE(c);
    ASSERT_EQ(
        (*c)->cmd("SENTINEL", "MONITOR", "othermaster", "127.0.0.1", primary->port(), 2).str().value_or(""),
        "OK");
  }
  {
    respool::Lease l = pool->lease();
    ASSERT_TRUE(l) << l.error().message();
    EXPECT_EQ(server_port(*l), primary->port());
  }
  pool.reset();
  for (const auto& a : s.sentinel_addrs()) {
    auto c = respool::Client::dial("tcp", a);
    ASSERT_TRUE(c);
    EXPECT_EQ((*c)->cmd("SENTINEL", "REMOVE", "othermaster").str().value_or(""), "OK");
  }
}

TEST(SentinelPool, UserDialFunctionGetsTheDiscoveredAddress) {
  auto& s = setup();
  RedisServer* primary = s.primary();
  ASSERT_NE(primary, nullptr);
  auto seen = std::make_shared<std::vector<std::string>>();
  auto m = std::make_shared<std::mutex>();
  respool::SentinelOptions o;
  o.pool.dial = [seen, m](std::string_view network, std::string_view addr) {
    {
      std::lock_guard lk(*m);
      seen->push_back(std::string(network) + " " + std::string(addr));
    }
    return respool::Client::dial(network, addr);
  };
  auto [pool, err] = respool::sentinel_pool(s.sentinel_addrs(), kName, 2, o);
  ASSERT_FALSE(err) << err.message();
  std::lock_guard lk(*m);
  ASSERT_EQ(seen->size(), 2u);
  for (const auto& x : *seen) EXPECT_EQ(x, "tcp " + primary->addr());
}

TEST(SentinelPool, WrongRoleIsClosedAskedAgainAndRefused) {
  // A dial function that always reaches the replica: for Role::primary the
  // ROLE check refuses it, the sentinels are asked again, the dial retried
  // once, then errc::no_primary.
  auto& s = setup();
  RedisServer* replica = s.replica();
  ASSERT_NE(replica, nullptr);
  auto calls = std::make_shared<std::atomic<int>>(0);
  respool::SentinelOptions o;
  const std::string wrong = replica->addr();
  o.pool.dial = [calls, wrong](std::string_view network, std::string_view) {
    ++*calls;
    return respool::Client::dial(network, wrong);
  };
  auto [pool, err] = respool::sentinel_pool(s.sentinel_addrs(), kName, 1, o);
  EXPECT_EQ(err, respool::errc::no_primary) << err.message();
  EXPECT_EQ(calls->load(), 2);
  auto c = pool->get();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), respool::errc::no_primary);
  EXPECT_EQ(calls->load(), 4);
  EXPECT_EQ(pool->stats().in_use, 0);
}

TEST(SentinelPool, SentinelAskedWithItsOwnDialOptions) {
  // The sentinels need no password: a wrong one makes every sentinel refuse
  // the dial (AUTH fails), so none answers.
  auto& s = setup();
  respool::SentinelOptions o;
  o.sentinel_dial_options.password = "not-the-password";
  auto [pool, err] = respool::sentinel_pool(s.sentinel_addrs(), kName, 1, o);
  EXPECT_EQ(err, respool::errc::no_primary) << err.message();
  // The data connections have their own options: a client name shows.
  respool::SentinelOptions named;
  named.pool.dial_options.client_name = "sentinel-data";
  auto [pool2, err2] = respool::sentinel_pool(s.sentinel_addrs(), kName, 1, named);
  ASSERT_FALSE(err2) << err2.message();
  respool::Lease l = pool2->lease();
  ASSERT_TRUE(l);
  EXPECT_EQ(l->cmd("CLIENT", "GETNAME").str().value_or(""), "sentinel-data");
}

TEST(SentinelPool, SentinelsOverResp3) {
  // HELLO 3 to the sentinels: SENTINEL REPLICAS answers maps, and the
  // watcher's subscription gets pushes.
  auto& s = setup();
  RedisServer* replica = s.replica();
  ASSERT_NE(replica, nullptr);
  respool::SentinelOptions o;
  o.sentinel_dial_options.protocol = 3;
  o.role = respool::Role::replica;
  auto [pool, err] = respool::sentinel_pool(s.sentinel_addrs(), kName, 1, o);
  ASSERT_FALSE(err) << err.message();
  respool::Lease l = pool->lease();
  ASSERT_TRUE(l) << l.error().message();
  EXPECT_EQ(server_port(*l), replica->port());
  o.role = respool::Role::primary;
  auto [primary_pool, perr] = respool::sentinel_pool(s.sentinel_addrs(), kName, 1, o);
  ASSERT_FALSE(perr) << perr.message();
  EXPECT_EQ(primary_pool->cmd("ROLE").array().value_or(std::vector<respool::Resp>{}).size(), 3u);
}

}  // namespace
}  // namespace sentineltest
