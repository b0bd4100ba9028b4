// Regressions: the defects of radix.v2's pool (docs/pool.md, "Differences
// from the Go pool"), and the lock discipline (no caller waits behind a dial
// or a ping).
#include <future>
#include <thread>

#include "pool_helpers.hpp"

namespace pooltest {
namespace {

TEST_F(PoolTest, PoolRegression_PutRacingEmptyLeaksNothing) {
  // radix.v2 checked "emptied?" and then sent on the channel: a Put between
  // the two landed in a pool nobody would ever drain.
  for (int round = 0; round < 5; ++round) {
    auto pool_made = Pool::create("tcp", server.addr(), 4, PoolOptions{.ping_interval = 0s});
    auto& pool = pool_made.pool;
    [[maybe_unused]] auto& err = pool_made.error;
    ASSERT_FALSE(err);
    std::atomic<bool> go{false};
    std::vector<std::thread> ts;
    for (int i = 0; i < 8; ++i) {
      ts.emplace_back([&] {
        while (!go) std::this_thread::yield();
        for (;;) {
          auto c = pool->get();
          if (!c) break;  // pool_closed
          pool->put(std::move(*c));
        }
      });
    }
    go = true;
    std::this_thread::sleep_for(20ms);
    pool->empty();
    for (auto& t : ts) t.join();
    EXPECT_EQ(pool->avail(), 0);
    EXPECT_EQ(pool->stats().in_use, 0);
    EXPECT_TRUE(wait_until([&] { return connected(server) == 0; })) << "round " << round;
  }
}

TEST_F(PoolTest, PoolRegression_GetWaitingAcrossEmptyWakes) {
  // radix.v2 issue #81: a Get blocked on an empty pool stayed blocked forever.
  auto pool = must_create("tcp", server.addr(), 0,
                          PoolOptions{.create_limit = respool::CreateLimit{0, 1h}, .max_open = 1});
  auto waiter = std::async(std::launch::async, [&] { return pool->get(); });
  ASSERT_TRUE(wait_until([&] { return pool->stats().waits == 1; }));
  pool->empty();
  ASSERT_EQ(waiter.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(waiter.get().error(), errc::pool_closed);
}

TEST_F(PoolTest, PoolRegression_DoubleAndConcurrentEmptyWithWaitersAndThePoolDestroyed) {
  auto pool = must_create("tcp", server.addr(), 2, PoolOptions{.ping_interval = 5ms, .max_open = 2});
  auto a = must_get(*pool), b = must_get(*pool);
  // Getting b may itself have waited, for a connection out for a ping.
  const auto waits_before = pool->stats().waits;
  std::vector<std::future<respool::Result<ClientPtr>>> waiters;
  for (int i = 0; i < 4; ++i) waiters.push_back(std::async(std::launch::async, [&] { return pool->get(); }));
  ASSERT_TRUE(wait_until([&] { return pool->stats().waits == waits_before + 4; }));
  std::vector<std::thread> ts;
  for (int i = 0; i < 6; ++i) ts.emplace_back([&] { pool->empty(); });
  for (auto& t : ts) t.join();
  for (auto& w : waiters) EXPECT_EQ(w.get().error(), errc::pool_closed);
  pool->put(std::move(a));
  pool.reset();  // the destructor empties once more
  EXPECT_EQ(b->cmd("PING").str().value_or(""), "PONG");
}

TEST_F(PoolTest, PoolRegression_HungPingDoesNotHoldUpEmpty) {
  // A ping to a frozen server with a long timeout: empty() shuts its socket
  // down instead of waiting for it.
  auto pool = must_create("tcp", server.addr(), 2, PoolOptions{.ping_interval = 50ms, .ping_timeout = 60s});
  server.freeze();
  // A ping is in flight once a connection has left the idle list.
  const bool pinging = wait_until([&] { return pool->avail() == 1; }, 10s);
  const auto t0 = Clock::now();
  pool->empty();
  const double took = ms_since(t0);
  server.thaw();
  ASSERT_TRUE(pinging);
  EXPECT_LT(took, 2000);
  EXPECT_TRUE(wait_until([&] { return connected(server) == 0; }));
}

TEST_F(PoolTest, PoolRegression_HungPingDoesNotHoldUpGetOrPut) {
  auto pool = must_create("tcp", server.addr(), 2, PoolOptions{.ping_interval = 50ms, .ping_timeout = 60s});
  auto held = must_get(*pool);
  server.freeze();
  const bool pinging = wait_until([&] { return pool->avail() == 0; }, 10s);
  // The pool's lock is free: put and get go through at once.
  const auto t0 = Clock::now();
  pool->put(std::move(held));
  auto again = pool->get();
  const double took = ms_since(t0);
  pool->put(std::move(*again));
  pool->empty();
  server.thaw();
  ASSERT_TRUE(pinging);
  EXPECT_LT(took, 1000);
}

TEST_F(PoolTest, PoolRegression_SlowDialDoesNotHoldUpOtherCallers) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> block{false};
  PoolOptions o;
  o.ping_interval = 0s;
  o.dial = [&](std::string_view n, std::string_view a) {
    if (block) released.wait();
    return respool::Client::dial(n, a);
  };
  auto pool = must_create("tcp", server.addr(), 1, std::move(o));
  auto idle = must_get(*pool);
  block = true;
  auto dialer = std::async(std::launch::async, [&] { return pool->get(); });  // dials, blocked
  ASSERT_TRUE(wait_until([&] { return pool->stats().dialing == 1; }));
  const auto t0 = Clock::now();
  for (int i = 0; i < 100; ++i) {
    pool->put(std::move(idle));
    idle = must_get(*pool);
  }
  (void)pool->stats();
  (void)pool->avail();
  EXPECT_LT(ms_since(t0), 1000);
  release.set_value();
  EXPECT_TRUE(dialer.get());
}

TEST_F(PoolTest, PoolRegression_ReturnedConnectionGoesToTheLongestWaiter) {
  // FIFO hand-off: three waiters get three returned connections in arrival
  // order, and a newcomer can't take one meant for a waiter.
  auto pool = must_create("tcp", server.addr(), 0, PoolOptions{.max_open = 1});
  auto c = must_get(*pool);
  std::vector<int> order;
  std::mutex m;
  std::vector<std::thread> ts;
  for (int i = 0; i < 3; ++i) {
    ts.emplace_back([&, i] {
      auto got = pool->get();
      ASSERT_TRUE(got);
      {
        std::lock_guard lk(m);
        order.push_back(i);
      }
      pool->put(std::move(*got));
    });
    ASSERT_TRUE(wait_until([&] { return pool->stats().waits == static_cast<unsigned>(i + 1); }));
  }
  pool->put(std::move(c));
  for (auto& t : ts) t.join();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(pool->stats().dials, 1u);
}

}  // namespace
}  // namespace pooltest
