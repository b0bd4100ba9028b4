// The background thread (overflow drain, pings, idle
// timeout, lifetime).
#include <thread>

#include "pool_helpers.hpp"

namespace pooltest {
namespace {

// Takes n connections then puts them all back.
void cycle(Pool& pool, int n) {
  std::vector<ClientPtr> held;
  for (int i = 0; i < n; ++i) held.push_back(must_get(pool));
  for (auto& c : held) pool.put(std::move(c));
}

TEST_F(PoolTest, OneConnectionLeavesTheOverflowEveryDrainInterval) {
  auto pool =
      must_create("tcp", server.addr(), 1,
                  PoolOptions{.on_full_buffer = respool::OnFullBuffer{2, 200ms}, .ping_interval = 0s});
  cycle(*pool, 3);
  const auto t0 = Clock::now();
  ASSERT_EQ(pool->stats().overflow, 2);
  ASSERT_TRUE(wait_until([&] { return pool->stats().overflow == 1; }));
  EXPECT_GE(ms_since(t0), 150);
  ASSERT_TRUE(wait_until([&] { return pool->stats().overflow == 0; }));
  EXPECT_GE(ms_since(t0), 300);  // one per interval, not both at once
  // The main pool was full: both were closed.
  EXPECT_EQ(pool->stats().closed_full, 2u);
  EXPECT_EQ(pool->avail(), 1);
  EXPECT_TRUE(wait_until([&] { return connected(server) == 1; }));
}

TEST_F(PoolTest, DrainedConnectionGoesToTheMainPoolWhenItHasRoom) {
  auto pool =
      must_create("tcp", server.addr(), 2,
                  PoolOptions{.on_full_buffer = respool::OnFullBuffer{2, 100ms}, .ping_interval = 0s});
  cycle(*pool, 4);                                // main 2, overflow 2
  auto a = must_get(*pool), b = must_get(*pool);  // main 0, overflow 2
  ASSERT_EQ(pool->stats().overflow, 2);
  ASSERT_TRUE(wait_until([&] { return pool->stats().overflow == 0; }));
  EXPECT_EQ(pool->stats().idle, 2);
  EXPECT_EQ(pool->stats().closed_full, 0u);
}

TEST_F(PoolTest, PingsGoToTheConnectionIdleTheLongest) {
  // LIFO gets but FIFO pings: in 3 pings, each of the 3 connections gets one.
  auto pool = must_create("tcp", server.addr(), 3, PoolOptions{.ping_interval = 100ms});
  const auto before = ping_calls(server);
  EXPECT_TRUE(wait_until([&] { return count_with(client_list(server), "cmd=ping") == 3; }));
  EXPECT_GE(ping_calls(server) - before, 3);
  EXPECT_GE(pool->stats().pings, 3u);
  EXPECT_EQ(pool->avail(), 3);
}

TEST_F(PoolTest, FailedPingDiscardsTheConnection) {
  auto pool = must_create("tcp", server.addr(), 2, PoolOptions{.ping_interval = 50ms});
  // The server drops every connection but the probe's.
  server.raw_command("CLIENT KILL TYPE normal SKIPME yes");
  // (avail() alone would also be 0 while the second one is out for its ping.)
  EXPECT_TRUE(wait_until([&] { return pool->stats().closed_ping_failed == 2; }));
  EXPECT_EQ(pool->avail(), 0);
  EXPECT_EQ(pool->cmd("PING").str().value_or(""), "PONG");  // healed on demand
}

TEST_F(PoolTest, PingHasATimeout) {
  auto pool = must_create("tcp", server.addr(), 1, PoolOptions{.ping_interval = 50ms, .ping_timeout = 200ms});
  server.freeze();
  const bool failed = wait_until([&] { return pool->stats().closed_ping_failed == 1; }, 10s);
  server.thaw();
  EXPECT_TRUE(failed);
  EXPECT_EQ(pool->avail(), 0);
}

TEST_F(PoolTest, ZeroDisablesPinging) {
  // Nothing periodic to do: no background thread at all.
  const int threads = thread_count();
  auto [pool, err] = Pool::create("tcp", server.addr(), 3, PoolOptions{.ping_interval = 0s});
  ASSERT_FALSE(err);
  EXPECT_EQ(thread_count(), threads);
  EXPECT_EQ(pool->avail(), 3);
  auto [pinging, err2] = Pool::create("tcp", server.addr(), 3);
  ASSERT_FALSE(err2);
  EXPECT_EQ(thread_count(), threads + 1);
  EXPECT_EQ(pinging->avail(), 3);
}

TEST_F(PoolTest, IdleTimeoutClosesIdleConnections) {
  const auto t0 = Clock::now();
  auto pool = must_create("tcp", server.addr(), 3, PoolOptions{.ping_interval = 0s, .idle_timeout = 200ms});
  ASSERT_TRUE(wait_until([&] { return pool->avail() == 0; }));
  EXPECT_GE(ms_since(t0), 150);
  EXPECT_EQ(pool->stats().closed_idle, 3u);
  EXPECT_TRUE(wait_until([&] { return connected(server) == 0; }));
}

TEST_F(PoolTest, UsedConnectionsDoNotIdleOut) {
  auto pool = must_create("tcp", server.addr(), 1, PoolOptions{.ping_interval = 0s, .idle_timeout = 300ms});
  const auto t0 = Clock::now();
  while (ms_since(t0) < 700) ASSERT_FALSE(pool->cmd("PING").err());  // in use all the time
  EXPECT_EQ(pool->stats().closed_idle, 0u);
  EXPECT_EQ(pool->stats().dials, 1u);
}

TEST_F(PoolTest, GetNeverHandsOutAnExpiredConnection) {
  auto pool = must_create("tcp", server.addr(), 1, PoolOptions{.ping_interval = 0s, .idle_timeout = 100ms});
  std::this_thread::sleep_for(250ms);  // the scenario: idle past its timeout
  auto c = must_get(*pool);
  EXPECT_EQ(pool->stats().closed_idle, 1u);
  EXPECT_EQ(pool->stats().dials, 2u);
}

TEST_F(PoolTest, MaxLifetimeClosesOldConnections) {
  const auto t0 = Clock::now();
  auto pool = must_create("tcp", server.addr(), 3, PoolOptions{.ping_interval = 0s, .max_lifetime = 400ms});
  ASSERT_TRUE(wait_until([&] { return pool->stats().closed_lifetime == 3; }));
  EXPECT_GE(ms_since(t0), 0.9 * 400 - 20);
  EXPECT_EQ(pool->avail(), 0);
  EXPECT_TRUE(wait_until([&] { return connected(server) == 0; }));
}

TEST_F(PoolTest, HandedOutConnectionPastItsLifetimeIsClosedOnPut) {
  auto pool = must_create("tcp", server.addr(), 1, PoolOptions{.ping_interval = 0s, .max_lifetime = 200ms});
  auto c = must_get(*pool);
  std::this_thread::sleep_for(300ms);  // the scenario: in use past its lifetime
  pool->put(std::move(c));
  EXPECT_EQ(pool->avail(), 0);
  EXPECT_EQ(pool->stats().closed_lifetime, 1u);
}

TEST_F(PoolTest, LifetimesAreJittered) {
  // Ten connections dialed together don't all expire at the same moment:
  // each lifetime is drawn in [0.9, 1.0] x max_lifetime.
  const auto t0 = Clock::now();
  auto pool = must_create("tcp", server.addr(), 10, PoolOptions{.ping_interval = 0s, .max_lifetime = 1s});
  double first = -1, last = -1;
  ASSERT_TRUE(wait_until([&] {
    const auto n = pool->stats().closed_lifetime;
    if (n >= 1 && first < 0) first = ms_since(t0);
    if (n == 10) last = ms_since(t0);
    return n == 10;
  }));
  EXPECT_GE(first, 850);
  EXPECT_GT(last - first, 5);
  EXPECT_LT(last, 5000);
}

}  // namespace
}  // namespace pooltest
