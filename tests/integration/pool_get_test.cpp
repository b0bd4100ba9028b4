// get(): LIFO order, dialing on demand, the creation limit, get_timeout,
// waking on empty().
#include <future>
#include <thread>

#include "pool_helpers.hpp"

namespace pooltest {
namespace {

TEST_F(PoolTest, MostRecentlyReturnedFirst) {
  auto pool = must_create("tcp", server.addr(), 3);
  ClientPtr a = must_get(*pool), b = must_get(*pool), c = must_get(*pool);
  respool::Client *pa = a.get(), *pb = b.get(), *pc = c.get();
  pool->put(std::move(a));
  pool->put(std::move(b));
  pool->put(std::move(c));
  ClientPtr x = must_get(*pool), y = must_get(*pool), z = must_get(*pool);
  EXPECT_EQ(x.get(), pc);
  EXPECT_EQ(y.get(), pb);
  EXPECT_EQ(z.get(), pa);
}

TEST_F(PoolTest, MainPoolBeforeOverflowBuffer) {
  auto pool =
      must_create("tcp", server.addr(), 1, PoolOptions{.on_full_buffer = respool::OnFullBuffer{2, 1h}});
  ClientPtr a = must_get(*pool), b = must_get(*pool), c = must_get(*pool);
  respool::Client *pa = a.get(), *pb = b.get(), *pc = c.get();
  pool->put(std::move(a));  // main
  pool->put(std::move(b));  // overflow
  pool->put(std::move(c));  // overflow
  EXPECT_EQ(pool->stats().idle, 1);
  EXPECT_EQ(pool->stats().overflow, 2);
  EXPECT_EQ(must_get(*pool).get(), pa);  // main first (then dropped: see below)
  EXPECT_EQ(pool->stats().overflow, 2);
  auto y = must_get(*pool);
  EXPECT_EQ(y.get(), pc);  // then the overflow buffer, LIFO
  auto z = must_get(*pool);
  EXPECT_EQ(z.get(), pb);
}

TEST_F(PoolTest, NothingIdleAndNoLimitDialsAtOnce) {
  auto pool = must_create("tcp", server.addr(), 0);
  EXPECT_EQ(connected(server), 0);
  auto c = must_get(*pool);
  EXPECT_EQ(pool->stats().dials, 1u);
  EXPECT_EQ(pool->stats().waits, 0u);
  EXPECT_EQ(connected(server), 1);
}

TEST_F(PoolTest, CreateLimitHeadroomThenOnePerInterval) {
  const auto interval = 400ms;
  auto pool =
      must_create("tcp", server.addr(), 0, PoolOptions{.create_limit = respool::CreateLimit{2, interval}});
  const auto t0 = Clock::now();
  auto a = must_get(*pool);
  auto b = must_get(*pool);
  EXPECT_EQ(pool->stats().waits, 0u);  // headroom: as fast as needed
  auto c = must_get(*pool);            // waits for the next slot
  const double waited = ms_since(t0);
  EXPECT_GE(waited, 300);
  EXPECT_LT(waited, 5000);
  EXPECT_EQ(pool->stats().waits, 1u);
  EXPECT_EQ(pool->stats().dials, 3u);
}

TEST_F(PoolTest, WaitEndsWithAReturnedConnectionWhenThatComesFirst) {
  auto pool = must_create("tcp", server.addr(), 0, PoolOptions{.create_limit = respool::CreateLimit{1, 1h}});
  auto a = must_get(*pool);
  respool::Client* pa = a.get();
  auto waiter = std::async(std::launch::async, [&] { return pool->get(); });
  ASSERT_TRUE(wait_until([&] { return pool->stats().waits == 1; }));
  pool->put(std::move(a));
  auto got = waiter.get();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->get(), pa);
  EXPECT_EQ(pool->stats().dials, 1u);
}

TEST_F(PoolTest, HeadroomZeroLimitsEveryCreation) {
  auto pool =
      must_create("tcp", server.addr(), 0, PoolOptions{.create_limit = respool::CreateLimit{0, 300ms}});
  const auto t0 = Clock::now();
  auto a = must_get(*pool);
  EXPECT_GE(ms_since(t0), 200);  // even the first creation waits for a slot
  const auto t1 = Clock::now();
  auto b = must_get(*pool);
  EXPECT_GE(ms_since(t1), 200);
  EXPECT_EQ(pool->stats().waits, 2u);
}

TEST_F(PoolTest, IntervalZeroDisablesTheLimit) {
  auto pool = must_create("tcp", server.addr(), 0, PoolOptions{.create_limit = respool::CreateLimit{0, 0s}});
  std::vector<ClientPtr> held;
  for (int i = 0; i < 8; ++i) held.push_back(must_get(*pool));
  EXPECT_EQ(pool->stats().waits, 0u);
  EXPECT_EQ(connected(server), 8);
}

TEST_F(PoolTest, FailedDialSpendsItsSlot) {
  std::atomic<int> calls{0};
  PoolOptions o;
  o.create_limit = respool::CreateLimit{1, 1h};
  o.get_timeout = 100ms;
  o.dial = [&](std::string_view, std::string_view) -> respool::Result<ClientPtr> {
    ++calls;
    return errc::auth_failed;
  };
  auto pool = must_create("tcp", server.addr(), 0, std::move(o));
  EXPECT_EQ(pool->get().error(), errc::auth_failed);
  EXPECT_EQ(pool->get().error(), errc::get_timeout);
  EXPECT_EQ(calls, 1);
}

TEST_F(PoolTest, WaitersAreServedInOrderOneTokenEach) {
  // 3 waiters, one token per 150 ms: all three get a connection, in turn.
  auto pool =
      must_create("tcp", server.addr(), 0, PoolOptions{.create_limit = respool::CreateLimit{0, 150ms}});
  std::vector<std::future<respool::Result<ClientPtr>>> waiters;
  for (int i = 0; i < 3; ++i) {
    waiters.push_back(std::async(std::launch::async, [&] { return pool->get(); }));
    ASSERT_TRUE(wait_until([&] { return pool->stats().waits == static_cast<unsigned>(i + 1); }));
  }
  const auto t0 = Clock::now();
  for (auto& w : waiters) EXPECT_TRUE(w.get());
  EXPECT_LT(ms_since(t0), 5000);
  EXPECT_EQ(pool->stats().dials, 3u);
}

TEST_F(PoolTest, GetTimeoutFailsWithTheGetTimeoutError) {
  auto pool = must_create("tcp", server.addr(), 0, PoolOptions{.get_timeout = 200ms, .max_open = 1});
  auto held = must_get(*pool);
  const auto t0 = Clock::now();
  auto c = pool->get();
  const double waited = ms_since(t0);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), errc::get_timeout);
  EXPECT_EQ(c.error().message(), "get timed out");
  EXPECT_GE(waited, 150);
  EXPECT_LT(waited, 5000);
  EXPECT_EQ(pool->stats().get_timeouts, 1u);
  EXPECT_GE(pool->stats().wait_time, 150ms);
}

TEST_F(PoolTest, DialTimeIsNotCounted) {
  PoolOptions o;
  o.get_timeout = 50ms;
  o.dial = [](std::string_view network, std::string_view addr) {
    std::this_thread::sleep_for(300ms);  // a slow dial, longer than the get timeout
    return respool::Client::dial(network, addr);
  };
  auto pool = must_create("tcp", server.addr(), 0, std::move(o));
  auto c = pool->get();
  EXPECT_TRUE(c) << c.error().message();
}

TEST_F(PoolTest, ZeroMeansNoLimit) {
  auto pool = must_create("tcp", server.addr(), 0, PoolOptions{.max_open = 1});
  auto held = must_get(*pool);
  auto waiter = std::async(std::launch::async, [&] { return pool->get(); });
  ASSERT_TRUE(wait_until([&] { return pool->stats().waits == 1; }));
  // Still waiting well past any small timeout; then served.
  EXPECT_EQ(waiter.wait_for(300ms), std::future_status::timeout);
  pool->put(std::move(held));
  EXPECT_TRUE(waiter.get());
  EXPECT_EQ(pool->stats().get_timeouts, 0u);
}

// nanoseconds::max() (or any huge duration) means "no limit", never a
// deadline that wraps around into the past.
TEST_F(PoolTest, HugeDurationsMeanNoLimitNotOverflow) {
  constexpr auto forever = std::chrono::nanoseconds::max();
  auto pool = must_create("tcp", server.addr(), 1,
                          PoolOptions{.get_timeout = forever,
                                      .ping_interval = forever,
                                      .max_open = 1,
                                      .idle_timeout = forever,
                                      .max_lifetime = forever});
  auto held = must_get(*pool);
  auto waiter = std::async(std::launch::async, [&] { return pool->get(); });
  ASSERT_TRUE(wait_until([&] { return pool->stats().waits == 1; }));
  EXPECT_EQ(waiter.wait_for(300ms), std::future_status::timeout);  // no wrapped get_timeout
  pool->put(std::move(held));
  auto c = waiter.get();
  ASSERT_TRUE(c) << c.error().message();
  pool->put(std::move(*c));
  // No wrapped idle timeout or lifetime closed it, no wrapped ping interval
  // pinged in a loop.
  EXPECT_EQ(pool->cmd("PING").str().value_or("?"), "PONG");
  const auto st = pool->stats();
  EXPECT_EQ(st.dials, 1u);
  EXPECT_EQ(st.closed_idle + st.closed_lifetime, 0u);
  EXPECT_EQ(st.pings, 0u);
  EXPECT_EQ(st.get_timeouts, 0u);
}

TEST_F(PoolTest, WaitingGetWakesWithPoolClosedWhenEmptied) {
  auto pool = must_create("tcp", server.addr(), 0, PoolOptions{.max_open = 1});
  auto held = must_get(*pool);
  std::vector<std::future<respool::Result<ClientPtr>>> waiters;
  for (int i = 0; i < 4; ++i) waiters.push_back(std::async(std::launch::async, [&] { return pool->get(); }));
  ASSERT_TRUE(wait_until([&] { return pool->stats().waits == 4; }));
  const auto t0 = Clock::now();
  pool->empty();
  for (auto& w : waiters) EXPECT_EQ(w.get().error(), errc::pool_closed);
  EXPECT_LT(ms_since(t0), 2000);
  EXPECT_EQ(pool->get().error(), errc::pool_closed);
}

}  // namespace
}  // namespace pooltest
