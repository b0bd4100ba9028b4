// sentinel_pool's watcher thread: it never outlives its pool, stops soon
// after empty(), and a Lease that outlives the Pool keeps no thread alive.
#include <atomic>
#include <thread>
#include <vector>

#include "sentinel_helpers.hpp"

namespace sentineltest {
namespace {

constexpr const char* kWatcher = "respool-watcher";

TEST(SentinelLifetime, WatcherEndsWithThePool) {
  auto& s = setup();
  const int before = threads_named(kWatcher);
  auto [pool, err] = respool::sentinel_pool(s.sentinel_addrs(), kName, 1);
  ASSERT_FALSE(err) << err.message();
  EXPECT_EQ(threads_named(kWatcher), before + 1);
  const auto t0 = Clock::now();
  pool.reset();  // joins it
  const double ms = ms_between(t0, Clock::now());
  EXPECT_EQ(threads_named(kWatcher), before);
  EXPECT_LT(ms, 1000.0);
  RecordProperty("destroy_ms", std::to_string(ms));
}

TEST(SentinelLifetime, EmptyStopsTheWatcherSoon) {
  auto& s = setup();
  const int before = threads_named(kWatcher);
  auto [pool, err] = respool::sentinel_pool(s.sentinel_addrs(), kName, 1);
  ASSERT_FALSE(err) << err.message();
  ASSERT_EQ(threads_named(kWatcher), before + 1);
  const auto t0 = Clock::now();
  pool->empty();
  EXPECT_TRUE(wait_until([&] { return threads_named(kWatcher) == before; }, 1s));
  const double ms = ms_between(t0, Clock::now());
  EXPECT_LT(ms, 500.0);
  RecordProperty("stop_after_empty_ms", std::to_string(ms));
  EXPECT_EQ(pool->get().error(), respool::errc::pool_closed);
}

TEST(SentinelLifetime, LeaseOutlivingThePoolKeepsNoThread) {
  auto& s = setup();
  const int before = threads_named(kWatcher);
  auto [pool, err] = respool::sentinel_pool(s.sentinel_addrs(), kName, 1);
  ASSERT_FALSE(err) << err.message();
  respool::Lease l = pool->lease();
  ASSERT_TRUE(l);
  pool.reset();
  EXPECT_EQ(threads_named(kWatcher), before);
  EXPECT_EQ(l->cmd("PING").str().value_or(""), "PONG");
  l.reset();  // closed: its pool is gone
}

TEST(SentinelLifetime, ManyPoolsMadeAndDroppedFromSeveralThreads) {
  auto& s = setup();
  const int before = threads_named(kWatcher);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        auto [pool, err] = respool::sentinel_pool(s.sentinel_addrs(), kName, 1,
                                                  respool::SentinelOptions{.recheck_interval = 10ms});
        if (err || pool->cmd("PING").str().value_or("") != "PONG") ++failures;
        if (i % 2 == 0) pool->empty();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(threads_named(kWatcher), before);
}

}  // namespace
}  // namespace sentineltest
