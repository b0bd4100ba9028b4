// Name resolution is bounded by a timeout (net/address.hpp): a lookup that
// takes too long is abandoned with errc::timeout, and finishes on its own
// later without touching anything freed. The lookup function is replaced
// here by one that is slow on purpose (no DNS is needed).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "net/address.hpp"
#include "respool/client.hpp"
#include "respool/error.hpp"

namespace {

using namespace std::chrono_literals;
using respool::errc;
namespace net = respool::net;

std::atomic<int> slow_started{0};
std::atomic<int> slow_finished{0};

// getaddrinfo, 400 ms late.
int slow_lookup(const char* host, const char* service, const addrinfo* hints, addrinfo** res) {
  ++slow_started;
  std::this_thread::sleep_for(400ms);
  const int rc = ::getaddrinfo(host, service, hints, res);
  ++slow_finished;
  return rc;
}

struct SlowResolver : ::testing::Test {
  void SetUp() override {
    slow_started = slow_finished = 0;
    net::set_lookup_function_for_testing(&slow_lookup);
  }
  void TearDown() override {
    // Let every abandoned lookup finish before the next test.
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (slow_finished < slow_started && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(10ms);
    net::set_lookup_function_for_testing(nullptr);
  }
};

TEST(Resolve, NumericAddressesAndLocalhostStillResolve) {
  auto v4 = net::resolve("tcp", "127.0.0.1:6379", 1ns);  // no lookup: never waits
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->size(), 1u);
  auto v6 = net::resolve("tcp", "[::1]:6379", 1ns);
  ASSERT_TRUE(v6);
  auto local = net::resolve("tcp", "localhost:6379", 5s);
  ASSERT_TRUE(local) << local.error().message();
  EXPECT_FALSE(local->empty());
  auto unbounded = net::resolve("tcp", "localhost:6379");
  ASSERT_TRUE(unbounded);
  EXPECT_EQ(unbounded->size(), local->size());
}

TEST_F(SlowResolver, ALookupPastTheTimeoutIsTimeoutAndFinishesOnItsOwn) {
  const auto t0 = std::chrono::steady_clock::now();
  auto r = net::resolve("tcp", "localhost:6379", 50ms);
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::timeout);
  EXPECT_LT(took, 350ms);
  EXPECT_EQ(slow_started.load(), 1);
  // The abandoned lookup completes later and frees what it found.
  EXPECT_EQ(slow_finished.load(), 0);
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (slow_finished == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(slow_finished.load(), 1);
}

TEST_F(SlowResolver, ALookupWithinTheTimeoutSucceeds) {
  auto r = net::resolve("tcp", "localhost:6379", 5s);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_FALSE(r->empty());
}

TEST_F(SlowResolver, NumericAddressesNeverCallTheLookup) {
  EXPECT_TRUE(net::resolve("tcp", "127.0.0.1:6379", 1ms));
  EXPECT_TRUE(net::resolve("tcp", "[::1]:6379", 1ms));
  EXPECT_EQ(slow_started.load(), 0);
}

TEST_F(SlowResolver, DialIsBoundedByTheConnectTimeoutDuringTheLookup) {
  respool::DialOptions o;
  o.connect_timeout = 50ms;
  const auto t0 = std::chrono::steady_clock::now();
  auto c = respool::Client::dial("tcp", "localhost:1", o);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), errc::timeout);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 350ms);
}

}  // namespace
