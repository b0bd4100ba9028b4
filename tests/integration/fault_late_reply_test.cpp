// The famous late-reply bugs, through the Pool: go-redis #1113 (mismatched
// responses after a timeout), Jedis #909 (a connection returned after a
// timeout hands its late reply to the next borrower), hiredis #306 (a late
// reply read by the next command). A command times out while its reply is
// still on its way; every later command must get its own reply, never the
// late one. The pool has one connection (max_open 1), so a connection kept
// after the timeout would certainly serve the next command.
#include "fault_helpers.hpp"
#include "fault_proxy.hpp"

namespace faulttest {
namespace {

using respool::test::FaultProxy;

PoolOptions one_connection(std::chrono::milliseconds read_timeout) {
  PoolOptions o;
  o.max_open = 1;
  o.ping_interval = 0s;
  o.dial_options.read_timeout = read_timeout;
  return o;
}

// Keep running tagged commands until `until`: each must get its own reply.
void expect_own_replies_until(Pool& pool, Clock::time_point until) {
  int n = 0;
  do {
    const std::string t = tag("own");
    Resp r = pool.cmd("ECHO", t);
    ASSERT_EQ(r.str().value_or(std::string("<").append(r.to_string()).append(">")), t)
        << "after " << n << " commands";
    ++n;
  } while (Clock::now() < until);
}

TEST_F(PoolTest, FaultLateReply_GoRedis1113_ReplyDelayedPastTheReadTimeoutIsNeverSeenByTheNextCommand) {
  FaultProxy proxy(server.port());
  auto made = Pool::create("tcp", proxy.addr(), 1, one_connection(200ms));
  ASSERT_FALSE(made.error);
  auto& pool = *made.pool;
  const std::string key_a = tag("a"), value_a = tag("value-a");
  ASSERT_EQ(pool.cmd("SET", key_a, value_a).str().value_or(""), "OK");

  proxy.set_latency(FaultProxy::to_client, 600ms);  // GET a's reply is on its way for 600 ms
  const auto t0 = Clock::now();
  EXPECT_EQ(pool.cmd("GET", key_a).err(), errc::timeout);
  proxy.set_latency(FaultProxy::to_client, 0ms);
  EXPECT_EQ(pool.stats().closed_critical, 1u);

  const std::string key_b = tag("b"), value_b = tag("value-b");
  ASSERT_EQ(pool.cmd("SET", key_b, value_b).str().value_or(""), "OK");
  EXPECT_EQ(pool.cmd("GET", key_b).str().value_or(""), value_b);
  // Across the moment the late reply (value_a) would have arrived.
  expect_own_replies_until(pool, t0 + 900ms);
  EXPECT_EQ(pool.stats().dials, 2u);
}

TEST_F(PoolTest, FaultLateReply_Jedis909_DebugSleepTimeoutThenTheNextBorrowerGetsItsOwnReply) {
  auto made = Pool::create("tcp", server.addr(), 1, one_connection(5s));
  ASSERT_FALSE(made.error);
  auto& pool = *made.pool;
  const auto t0 = Clock::now();
  {
    respool::Lease l = pool.lease();
    ASSERT_TRUE(l);
    l->set_timeouts(100ms, 1s);
    // The server is busy for 400 ms; both replies ("OK" and the tag) come late.
    l->pipe_append("DEBUG", "SLEEP", "0.4");
    l->pipe_append("ECHO", tag("late"));
    EXPECT_EQ(l->pipe_resp().err(), errc::timeout);
  }  // back to the pool: discarded, not kept
  EXPECT_EQ(pool.stats().closed_critical, 1u);
  EXPECT_EQ(pool.avail(), 0);
  // The next borrower waits for the server (5 s read timeout) and gets its
  // own reply, never "OK" nor the late tag.
  const std::string mine = tag("mine");
  EXPECT_EQ(pool.cmd("ECHO", mine).str().value_or(""), mine);
  EXPECT_GE(ms_since(t0), 350);  // it really waited out the sleep
  expect_own_replies_until(pool, Clock::now() + 200ms);
}

TEST_F(PoolTest, FaultLateReply_HiRedis306_EachTimedOutCallerLeavesNoReplyBehind) {
  // Round after round on a one-connection pool: one command times out while
  // its reply is delayed, then tagged commands run across its late arrival.
  FaultProxy proxy(server.port());
  auto made = Pool::create("tcp", proxy.addr(), 1, one_connection(100ms));
  ASSERT_FALSE(made.error);
  auto& pool = *made.pool;
  for (int round = 0; round < 5; ++round) {
    proxy.set_latency(FaultProxy::to_client, 250ms);
    EXPECT_EQ(pool.cmd("ECHO", tag("late")).err(), errc::timeout);
    proxy.set_latency(FaultProxy::to_client, 0ms);
    expect_own_replies_until(pool, Clock::now() + 200ms);
  }
  EXPECT_EQ(pool.stats().closed_critical, 5u);
  EXPECT_EQ(pool.stats().dials, 6u);
}

}  // namespace
}  // namespace faulttest
