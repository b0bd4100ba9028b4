// A frozen server (SIGSTOP: the kernel still accepts connections and buffers
// bytes, nobody answers): every call fails within its own timeout, none
// hangs (a command with the read timeout, a get() waiting for a connection
// with get_timeout, a dial needing a set-up reply with the read timeout);
// after SIGCONT the pool heals and every command gets its own reply.
#include <thread>

#include "fault_helpers.hpp"

namespace faulttest {
namespace {

TEST_F(PoolTest, FaultFrozenServer_CallsFailWithinTheirTimeoutsAndThePoolHealsAfterThaw) {
  PoolOptions o;
  o.max_open = 2;
  o.get_timeout = 300ms;
  o.ping_interval = 0s;
  o.dial_options.connect_timeout = 1s;
  // Longer than get_timeout, so the third caller's get() times out before the
  // two stuck callers' connections are closed (which would let it dial).
  o.dial_options.read_timeout = 1s;
  o.dial_options.write_timeout = 1s;
  auto made = Pool::create("tcp", server.addr(), 2, o);
  ASSERT_FALSE(made.error);
  auto& pool = *made.pool;

  server.freeze();
  // Two callers take both connections and wait for replies that can't come.
  std::vector<std::thread> callers;
  std::atomic<int> timed_out{0};
  std::atomic<double> slowest{0};
  for (int i = 0; i < 2; ++i) {
    callers.emplace_back([&] {
      const auto t0 = Clock::now();
      Resp r = pool.cmd("ECHO", tag("frozen"));
      if (r.err() == errc::timeout) ++timed_out;
      const double took = ms_since(t0);
      double cur = slowest.load();
      while (took > cur && !slowest.compare_exchange_weak(cur, took)) {
      }
    });
  }
  ASSERT_TRUE(wait_until([&] { return pool.stats().in_use == 2; }, 5s));
  // A third caller finds the cap reached: get_timeout, not a hang.
  const auto t0 = Clock::now();
  auto c = pool.get();
  const double get_took = ms_since(t0);
  for (auto& t : callers) t.join();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), errc::get_timeout);
  EXPECT_GE(get_took, 250);
  EXPECT_LT(get_took, 3000);
  EXPECT_EQ(timed_out.load(), 2);
  EXPECT_LT(slowest.load(), 3000);
  EXPECT_EQ(pool.stats().closed_critical, 2u);
  EXPECT_EQ(pool.stats().get_timeouts, 1u);

  // Still frozen: a new connection is dialed (the kernel completes the TCP
  // handshake) and its command times out.
  const auto t1 = Clock::now();
  EXPECT_EQ(pool.cmd("PING").err(), errc::timeout);
  EXPECT_LT(ms_since(t1), 3000);
  // A dial that waits for a set-up reply times out too.
  respool::DialOptions named = o.dial_options;
  named.client_name = "frozen";
  const auto t2 = Clock::now();
  auto d = respool::Client::dial("tcp", server.addr(), named);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error(), errc::timeout);
  EXPECT_LT(ms_since(t2), 3000);

  server.thaw();
  const auto t3 = Clock::now();
  const std::string first = tag("thawed");
  EXPECT_EQ(pool.cmd("ECHO", first).str().value_or(""), first);  // the next command already works
  EXPECT_LT(ms_since(t3), 3000);
  for (int i = 0; i < 50; ++i) {
    const std::string t = tag("after");
    ASSERT_EQ(pool.cmd("ECHO", t).str().value_or(""), t);
  }
  EXPECT_EQ(pool.stats().in_use, 0);
  EXPECT_EQ(pool.avail(), 1);
  EXPECT_TRUE(wait_until([&] { return connected(server) == 1; }, 5s)) << connected(server);
}

}  // namespace
}  // namespace faulttest
