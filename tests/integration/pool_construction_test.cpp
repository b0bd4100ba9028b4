// Creating a pool: networks and addresses, pre-dialing, size, defaults, the
// dial function.
#include <thread>

#include "pool_helpers.hpp"

namespace pooltest {
namespace {

TEST_F(PoolTest, NewUsesTheDefaultDialOnTcp) {
  auto pool_made = Pool::create("tcp", server.addr(), 2);
  auto& pool = pool_made.pool;
  [[maybe_unused]] auto& err = pool_made.error;
  ASSERT_FALSE(err) << err.message();
  EXPECT_EQ(pool->network(), "tcp");
  EXPECT_EQ(pool->addr(), server.addr());
  EXPECT_EQ(connected(server), 2);
  EXPECT_EQ(pool->cmd("SET", "k", "v").str().value_or(""), "OK");
  EXPECT_EQ(pool->cmd("GET", "k").str().value_or(""), "v");
}

TEST_F(PoolTest, Ipv6HostNamesAndUnixSockets) {
  const std::string port = std::to_string(server.port());
  for (auto [network, addr] : {std::pair<std::string, std::string>{"tcp", "[::1]:" + port},
                               {"tcp", "localhost:" + port},
                               {"unix", server.unix_path()}}) {
    auto pool_made = Pool::create(network, addr, 1);
    auto& pool = pool_made.pool;
    [[maybe_unused]] auto& err = pool_made.error;
    ASSERT_FALSE(err) << network << " " << addr << ": " << err.message();
    EXPECT_EQ(pool->cmd("PING").str().value_or(""), "PONG") << addr;
  }
}

TEST_F(PoolTest, AnythingElseIsAClearErrorNotACrash) {
  for (auto [network, addr, want] :
       {std::tuple<std::string, std::string, errc>{"udp", server.addr(), errc::unknown_network},
        {"", server.addr(), errc::unknown_network},
        {"TCP", server.addr(), errc::unknown_network},
        {"tcp", "127.0.0.1", errc::bad_address},
        {"tcp", "[::1:" + std::to_string(server.port()), errc::bad_address},
        {"unix", "", errc::bad_address}}) {
    auto pool_made = Pool::create(network, addr, 3);
    auto& pool = pool_made.pool;
    [[maybe_unused]] auto& err = pool_made.error;
    EXPECT_EQ(err, want) << network << " " << addr;
    ASSERT_NE(pool, nullptr);
    EXPECT_EQ(pool->get().error(), want);
  }
  EXPECT_EQ(connected(server), 0);  // nothing was dialed
}

TEST_F(PoolTest, PreDialsSizeConnections) {
  auto pool = must_create("tcp", server.addr(), 5);
  EXPECT_EQ(pool->avail(), 5);
  EXPECT_EQ(pool->stats().dials, 5u);
  EXPECT_EQ(connected(server), 5);
}

TEST_F(PoolTest, DialFailureGivesAUsablePoolAndTheError) {
  const int port = respool::test::free_port();  // nothing listens there
  const std::string addr = "127.0.0.1:" + std::to_string(port);
  auto pool_made = Pool::create("tcp", addr, 3);
  auto& pool = pool_made.pool;
  [[maybe_unused]] auto& err = pool_made.error;
  EXPECT_EQ(err, std::error_code(ECONNREFUSED, std::system_category())) << err.message();
  EXPECT_EQ(pool->avail(), 0);
  // Usable: once a server is there, get dials on demand.
  respool::test::RedisServerOptions late_options;
  late_options.port = port;
  RedisServer late(late_options);
  auto c = pool->get();
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ((*c)->cmd("PING").str().value_or(""), "PONG");
  pool->put(std::move(*c));
  EXPECT_EQ(pool->avail(), 1);
}

TEST_F(PoolTest, StopsAtTheFirstFailedDialSoCreateNeverBlocksLong) {
  // The second dial fails slowly (as a connect timeout would): create must
  // not try the 8 others.
  std::atomic<int> calls{0};
  PoolOptions o;
  o.dial = [&](std::string_view network, std::string_view addr) -> respool::Result<ClientPtr> {
    if (++calls == 2) {
      std::this_thread::sleep_for(200ms);
      return errc::timeout;
    }
    return respool::Client::dial(network, addr);
  };
  const auto t0 = Clock::now();
  auto pool_made = Pool::create("tcp", server.addr(), 10, std::move(o));
  auto& pool = pool_made.pool;
  [[maybe_unused]] auto& err = pool_made.error;
  EXPECT_EQ(err, errc::timeout);
  EXPECT_EQ(calls, 2);
  EXPECT_LT(ms_since(t0), 5000);  // one slow dial, not ten
  EXPECT_EQ(pool->avail(), 1);
  EXPECT_EQ(pool->stats().dial_errors, 1u);
}

TEST_F(PoolTest, SizeIsTheIdleLimitNotAnOpenLimit) {
  auto pool = must_create("tcp", server.addr(), 2);
  std::vector<ClientPtr> held;
  for (int i = 0; i < 5; ++i) held.push_back(must_get(*pool));
  EXPECT_EQ(connected(server), 5);
  EXPECT_EQ(pool->stats().in_use, 5);
  for (auto& c : held) pool->put(std::move(c));
  EXPECT_EQ(pool->avail(), 2);
  EXPECT_EQ(pool->stats().closed_full, 3u);
  EXPECT_TRUE(wait_until([&] { return connected(server) == 2; }));
}

TEST_F(PoolTest, DefaultPingIsTenSecondsOverSize) {
  // size 40: a ping every 250 ms by default.
  const auto before = ping_calls(server);
  auto pool = must_create("tcp", server.addr(), 40);
  EXPECT_TRUE(wait_until([&] { return ping_calls(server) - before >= 2; }, 10s));
  EXPECT_GE(pool->stats().pings, 2u);
}

TEST_F(PoolTest, DefaultsHaveNoCreationLimitNoOverflowNoGetTimeout) {
  auto pool = must_create("tcp", server.addr(), 1);
  // No creation limit: 6 gets with nothing idle dial 6 at once, none waits.
  std::vector<ClientPtr> held;
  for (int i = 0; i < 6; ++i) held.push_back(must_get(*pool));
  EXPECT_EQ(pool->stats().waits, 0u);
  // No overflow buffer: beyond size, put closes.
  for (auto& c : held) pool->put(std::move(c));
  EXPECT_EQ(pool->stats().overflow, 0);
  EXPECT_EQ(pool->avail(), 1);
}

TEST_F(PoolTest, DialFunctionRunsForEveryDial) {
  CountingDial dial;
  auto pool = must_create("tcp", server.addr(), 2, PoolOptions{.dial = dial.func()});
  EXPECT_EQ(*dial.calls, 2);
  std::vector<ClientPtr> held;
  for (int i = 0; i < 5; ++i) held.push_back(must_get(*pool));
  EXPECT_EQ(*dial.calls, 5);  // 2 pre-dialed + 3 on demand
  for (auto& c : held) pool->put(std::move(c));
}

TEST_F(PoolTest, SessionSetUpByTheDialFunctionIsTheBaseline) {
  // SELECT and CLIENT SETNAME in the dial function: the connections stay
  // poolable (not "dirty"), and every one is in db 3 with its name.
  PoolOptions o;
  o.dial = [](std::string_view network, std::string_view addr) -> respool::Result<ClientPtr> {
    auto c = respool::Client::dial(network, addr);
    if (!c) return c.error();
    if (auto r = (*c)->cmd("SELECT", 3); r.err()) return r.err();
    if (auto r = (*c)->cmd("CLIENT", "SETNAME", "pooled"); r.err()) return r.err();
    return c;
  };
  auto pool_made = Pool::create("tcp", server.addr(), 2, std::move(o));
  auto& pool = pool_made.pool;
  [[maybe_unused]] auto& err = pool_made.error;
  ASSERT_FALSE(err) << err.message();
  for (int i = 0; i < 10; ++i) ASSERT_FALSE(pool->cmd("SET", "in-db-3", i).err());
  EXPECT_EQ(pool->stats().closed_unclean, 0u);
  EXPECT_EQ(pool->stats().dials, 2u);
  EXPECT_EQ(count_with(client_list(server), "name=pooled"), 2);
  respool::DialOptions db3_options;
  db3_options.db = 3;
  auto db3 = respool::Client::dial("tcp", server.addr(), db3_options);
  ASSERT_TRUE(db3);
  EXPECT_EQ((*db3)->cmd("GET", "in-db-3").integer().value_or(-1), 9);
}

}  // namespace
}  // namespace pooltest
