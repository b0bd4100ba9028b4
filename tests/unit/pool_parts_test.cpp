// The pool's decisions without a server: the creation-limit token bucket, the
// idle ring, option checks and defaults, and pools whose dial function never
// reaches a server.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <respool/respool.hpp>
#include <thread>

#include "pool/ring.hpp"
#include "pool/state.hpp"
#include "pool/token_bucket.hpp"

namespace {

using namespace std::chrono_literals;
using respool::errc;
using respool::Pool;
using respool::PoolOptions;
using respool::detail::Ring;
using respool::detail::TokenBucket;
using clock_type = std::chrono::steady_clock;

// --- the token bucket (create_limit) ----------------------------------------

TEST(PoolCreationLimit, BucketHeadroomThenOnePerInterval) {
  const auto t0 = clock_type::now();
  TokenBucket b(3, 100ms, t0);
  EXPECT_TRUE(b.try_take(t0));
  EXPECT_TRUE(b.try_take(t0));
  EXPECT_TRUE(b.try_take(t0));
  EXPECT_FALSE(b.try_take(t0));
  EXPECT_EQ(b.next_token(), t0 + 100ms);  // the refill clock started at the first take
  EXPECT_FALSE(b.try_take(t0 + 99ms));
  EXPECT_TRUE(b.try_take(t0 + 100ms));
  EXPECT_FALSE(b.try_take(t0 + 150ms));
  EXPECT_EQ(b.next_token(), t0 + 200ms);
  // Long idle: back to full (3), never more.
  EXPECT_EQ(b.available(t0 + 10s), 3);
}

TEST(PoolCreationLimit, BucketRefillKeepsItsPhase) {
  const auto t0 = clock_type::now();
  TokenBucket b(2, 100ms, t0);
  ASSERT_TRUE(b.try_take(t0));
  ASSERT_TRUE(b.try_take(t0));
  // One token at t0+100ms, the next at t0+200ms: at 250ms there are 2.
  EXPECT_EQ(b.available(t0 + 150ms), 1);
  EXPECT_EQ(b.available(t0 + 250ms), 2);
}

TEST(PoolCreationLimit, BucketHeadroomZeroLimitsEveryCreation) {
  const auto t0 = clock_type::now();
  TokenBucket b(0, 100ms, t0);
  EXPECT_FALSE(b.try_take(t0));  // the first slot opens one interval after the start
  EXPECT_EQ(b.next_token(), t0 + 100ms);
  EXPECT_TRUE(b.try_take(t0 + 120ms));
  EXPECT_FALSE(b.try_take(t0 + 200ms));
  EXPECT_EQ(b.next_token(), t0 + 220ms);  // one interval after the last creation
  EXPECT_TRUE(b.try_take(t0 + 220ms));
}

TEST(PoolCreationLimit, BucketIntervalZeroIsNoLimit) {
  TokenBucket b(0, 0ms, clock_type::now());
  EXPECT_FALSE(b.enabled());
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(b.try_take(clock_type::now()));
  TokenBucket disabled;
  EXPECT_TRUE(disabled.try_take(clock_type::now()));
}

// --- the ring (LIFO at the back for get(), oldest at the front for pings) ---

TEST(PoolIdleRing, RingIsLifoAtTheBackOldestAtTheFront) {
  Ring<int> r(3);
  EXPECT_TRUE(r.empty());
  r.push_back(1);
  r.push_back(2);
  r.push_back(3);
  EXPECT_TRUE(r.full());
  EXPECT_EQ(r.pop_back(), 3);   // most recently returned
  EXPECT_EQ(r.pop_front(), 1);  // idle the longest
  r.push_back(4);
  r.push_back(5);  // wraps around
  EXPECT_EQ(r[0], 2);
  EXPECT_EQ(r[1], 4);
  EXPECT_EQ(r[2], 5);
  std::vector<int> out;
  r.remove_if([](int v) { return v % 2 == 0; }, out);
  EXPECT_EQ(out, (std::vector<int>{2, 4}));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r.pop_front(), 5);
}

TEST(PoolIdleRing, RingOfCapacityZeroIsAlwaysFull) {
  Ring<int> r(0);
  EXPECT_TRUE(r.full());
  EXPECT_TRUE(r.empty());
}

// --- arguments and defaults -------------------------------------------------

TEST(PoolAddress, UnknownNetworkIsAClearErrorAndTheClosedPoolSaysSo) {
  auto [pool, err] = Pool::create("udp", "127.0.0.1:6379", 3);
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(err, errc::unknown_network);
  auto c = pool->get();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), errc::unknown_network);
  EXPECT_EQ(pool->cmd("PING").err(), errc::unknown_network);
  EXPECT_EQ(pool->avail(), 0);
  EXPECT_EQ(pool->network(), "udp");
  pool->empty();  // harmless
}

TEST(PoolAddress, BadAddressesAreClearErrors) {
  for (const char* addr : {"127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:70000", "::1:6379",
                           "[::1]6379", "[]:6379", "host:port"}) {
    EXPECT_EQ(Pool::create("tcp", addr, 1).error, errc::bad_address) << addr;
  }
  EXPECT_EQ(Pool::create("unix", "", 1).error, errc::bad_address);
  EXPECT_EQ(Pool::create("unix", std::string(200, 'x'), 1).error, errc::bad_address);
}

TEST(PoolAddress, BadOptionsAreInvalidArgument) {
  auto bad = [](int size, PoolOptions o) {
    return Pool::create("tcp", "127.0.0.1:1", size, std::move(o)).error;
  };
  EXPECT_EQ(bad(-1, {}), errc::invalid_argument);
  EXPECT_EQ(bad(0, {.max_open = -1}), errc::invalid_argument);
  EXPECT_EQ(bad(0, {.get_timeout = -1ms}), errc::invalid_argument);
  EXPECT_EQ(bad(0, {.create_limit = respool::CreateLimit{-1, 1s}}), errc::invalid_argument);
  EXPECT_EQ(bad(0, {.create_limit = respool::CreateLimit{1, -1s}}), errc::invalid_argument);
  EXPECT_EQ(bad(0, {.ping_interval = -1s}), errc::invalid_argument);
  EXPECT_EQ(bad(0, {.ping_timeout = 0s}), errc::invalid_argument);
  EXPECT_EQ(bad(0, {.idle_timeout = -1s}), errc::invalid_argument);
  EXPECT_EQ(bad(0, {.max_lifetime = -1s}), errc::invalid_argument);
  EXPECT_EQ(bad(0, {.on_full_buffer = respool::OnFullBuffer{-1, 1s}}), errc::invalid_argument);
  // Overflow configured with no way to drain it.
  EXPECT_EQ(bad(0, {.on_full_buffer = respool::OnFullBuffer{2, 0s}}), errc::invalid_argument);
  EXPECT_EQ(bad(0, {.on_full_buffer = respool::OnFullBuffer{2, -1s}}), errc::invalid_argument);
  // Valid: size 0 needs no drain interval; zero everywhere means "off".
  EXPECT_FALSE(bad(0, {.on_full_buffer = respool::OnFullBuffer{0, 0s}}));
  EXPECT_FALSE(bad(0, {.create_limit = respool::CreateLimit{0, 0s}, .ping_interval = 0s}));
}

TEST(PoolDefaults, DefaultsAreRadixV2s) {
  auto c = respool::detail::make_config(10, PoolOptions{});
  EXPECT_EQ(c.ping_interval, 1s);  // 10 s / size
  EXPECT_EQ(respool::detail::make_config(4, PoolOptions{}).ping_interval, 2500ms);
  EXPECT_EQ(c.create_interval, 0s);  // no creation limit
  EXPECT_EQ(c.overflow, 0);          // no overflow buffer
  EXPECT_EQ(c.get_timeout, 0s);      // no get timeout
  EXPECT_EQ(c.max_open, 0);
  // No pings when size is 0, so no background thread at all.
  auto zero = respool::detail::make_config(0, PoolOptions{});
  EXPECT_EQ(zero.ping_interval, 0s);
  EXPECT_FALSE(zero.needs_background());
  // Options override defaults; a zero interval turns pinging off.
  EXPECT_EQ(respool::detail::make_config(10, PoolOptions{.ping_interval = 0s}).ping_interval, 0s);
  EXPECT_EQ(respool::detail::make_config(10, PoolOptions{.ping_interval = 3s}).ping_interval, 3s);
  EXPECT_FALSE(respool::detail::make_config(10, PoolOptions{.ping_interval = 0s}).needs_background());
}

// --- create, create_limit, get_timeout and cmd() with a dial function -----
// --- that never reaches a server ---------------------------------------------

TEST(PoolCreate, DialFailureStillGivesAUsablePoolAndTheError) {
  std::atomic<int> calls{0};
  PoolOptions o;
  o.dial = [&](std::string_view, std::string_view) -> respool::Result<std::unique_ptr<respool::Client>> {
    ++calls;
    return std::error_code(ECONNREFUSED, std::system_category());
  };
  auto [pool, err] = Pool::create("tcp", "127.0.0.1:1", 5, std::move(o));
  EXPECT_EQ(err, std::error_code(ECONNREFUSED, std::system_category()));
  EXPECT_EQ(calls, 1);  // stopped at the first failure
  EXPECT_EQ(pool->avail(), 0);
  // Usable: get dials again on demand (and reports that dial's error).
  auto c = pool->get();
  EXPECT_EQ(c.error(), std::error_code(ECONNREFUSED, std::system_category()));
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(pool->stats().dial_errors, 2u);
  // cmd(): the failed get is an error reply, not an exception.
  auto r = pool->cmd("PING");
  EXPECT_TRUE(r.is_io_error());
  EXPECT_EQ(r.err(), std::error_code(ECONNREFUSED, std::system_category()));
}

TEST(PoolDialFunction, NullClientFromADialFunctionIsAnError) {
  PoolOptions o;
  o.dial = [](std::string_view, std::string_view) -> respool::Result<std::unique_ptr<respool::Client>> {
    return std::unique_ptr<respool::Client>();
  };
  auto [pool, err] = Pool::create("tcp", "127.0.0.1:1", 1, std::move(o));
  EXPECT_EQ(err, errc::invalid_argument);
}

TEST(PoolDialFunction, ThrowingDialFunctionPassesThroughAndFreesItsSlot) {
  PoolOptions o;
  o.max_open = 1;
  o.dial = [](std::string_view, std::string_view) -> respool::Result<std::unique_ptr<respool::Client>> {
    throw std::runtime_error("dial function failed");
  };
  auto [pool, err] = Pool::create("tcp", "127.0.0.1:1", 0, std::move(o));
  ASSERT_FALSE(err);
  EXPECT_THROW((void)pool->get(), std::runtime_error);
  EXPECT_THROW((void)pool->get(), std::runtime_error);  // the cap slot came back
  EXPECT_EQ(pool->stats().dialing, 0);
}

TEST(PoolCreationLimit, FailedDialSpendsItsToken) {
  std::atomic<int> calls{0};
  PoolOptions o;
  o.create_limit = respool::CreateLimit{1, 1h};
  o.get_timeout = 50ms;
  o.dial = [&](std::string_view, std::string_view) -> respool::Result<std::unique_ptr<respool::Client>> {
    ++calls;
    return std::error_code(ECONNREFUSED, std::system_category());
  };
  auto [pool, err] = Pool::create("tcp", "127.0.0.1:1", 0, std::move(o));
  ASSERT_FALSE(err);
  EXPECT_EQ(pool->get().error(), std::error_code(ECONNREFUSED, std::system_category()));
  EXPECT_EQ(pool->get().error(), errc::get_timeout);  // no token left: waited, timed out
  EXPECT_EQ(calls, 1);
}

TEST(PoolEmpty, EmptyOnAClosedOrEmptyPoolIsHarmless) {
  auto [pool, err] = Pool::create("tcp", "127.0.0.1:1", 0);
  ASSERT_FALSE(err);
  pool->empty();
  pool->empty();
  EXPECT_EQ(pool->get().error(), errc::pool_closed);
  EXPECT_EQ(pool->put(nullptr), std::error_code());
}

TEST(PoolLease, LeaseOfAFailedGetCarriesTheError) {
  auto [pool, err] = Pool::create("tcp", "127.0.0.1:1", 0);
  pool->empty();
  respool::Lease l = pool->lease();
  EXPECT_FALSE(l);
  EXPECT_EQ(l.error(), errc::pool_closed);
  respool::Lease empty;
  EXPECT_FALSE(empty);
  EXPECT_FALSE(empty.error());
  l = std::move(empty);
}

}  // namespace
