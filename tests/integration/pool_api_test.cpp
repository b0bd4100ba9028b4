// avail, cmd, empty, the client through the pool,
// max_open, statistics, the RAII lease.
#include <future>
#include <map>
#include <thread>

#include "pool_helpers.hpp"

namespace pooltest {
namespace {

TEST_F(PoolTest, AvailCountsMainAndOverflowNotHandedOut) {
  auto pool =
      must_create("tcp", server.addr(), 2, PoolOptions{.on_full_buffer = respool::OnFullBuffer{2, 1h}});
  EXPECT_EQ(pool->avail(), 2);
  std::vector<ClientPtr> held;
  for (int i = 0; i < 4; ++i) held.push_back(must_get(*pool));
  EXPECT_EQ(pool->avail(), 0);  // handed out: not counted
  for (auto& c : held) pool->put(std::move(c));
  EXPECT_EQ(pool->avail(), 4);  // 2 main + 2 overflow
}

TEST_F(PoolTest, CmdIsGetCommandPut) {
  auto pool = must_create("tcp", server.addr(), 1);
  EXPECT_EQ(pool->cmd("SET", "k", 42).str().value_or(""), "OK");
  EXPECT_EQ(pool->cmd("GET", "k").integer().value_or(0), 42);
  const auto s = pool->stats();
  EXPECT_EQ(s.gets, 2u);
  EXPECT_EQ(s.in_use, 0);
  EXPECT_EQ(s.dials, 1u);  // the same connection both times
  EXPECT_EQ(pool->avail(), 1);
  // A server error is a reply, and the connection stays.
  auto bad = pool->cmd("INCR", "nonsense", "extra");
  EXPECT_TRUE(bad.is_server_error());
  EXPECT_EQ(pool->avail(), 1);
}

TEST_F(PoolTest, FailedGetIsAnErrorReplyNotAnException) {
  auto pool = must_create("tcp", server.addr(), 1, PoolOptions{.get_timeout = 50ms, .max_open = 1});
  auto held = must_get(*pool);
  respool::Resp r = pool->cmd("PING");
  EXPECT_TRUE(r.is_io_error());
  EXPECT_EQ(r.err(), errc::get_timeout);
  pool->empty();
  r = pool->cmd("PING");
  EXPECT_EQ(r.err(), errc::pool_closed);
}

TEST_F(PoolTest, EmptyClosesIdleStopsTheThreadAndFailsLaterGets) {
  const int threads = thread_count();
  auto pool = must_create("tcp", server.addr(), 3, PoolOptions{.ping_interval = 50ms});
  EXPECT_EQ(thread_count(), threads + 1);
  pool->empty();
  EXPECT_EQ(thread_count(), threads);  // joined before empty() returned
  EXPECT_EQ(pool->avail(), 0);
  EXPECT_EQ(pool->stats().closed_emptied, 3u);
  EXPECT_EQ(pool->get().error(), errc::pool_closed);
  EXPECT_TRUE(wait_until([&] { return connected(server) == 0; }));
}

TEST_F(PoolTest, EmptyTwiceAndConcurrentlyIsSafe) {
  auto pool = must_create("tcp", server.addr(), 4, PoolOptions{.ping_interval = 10ms});
  std::vector<std::thread> ts;
  for (int i = 0; i < 8; ++i) ts.emplace_back([&] { pool->empty(); });
  for (auto& t : ts) t.join();
  pool->empty();
  EXPECT_EQ(pool->stats().closed_emptied, 4u);
  EXPECT_TRUE(wait_until([&] { return connected(server) == 0; }));
}

TEST_F(PoolTest, HandedOutConnectionsAreClosedWhenTheyComeBack) {
  auto pool = must_create("tcp", server.addr(), 2);
  auto c = must_get(*pool);
  pool->empty();
  EXPECT_EQ(c->cmd("PING").str().value_or(""), "PONG");  // still the caller's, still works
  EXPECT_EQ(connected(server), 1);
  EXPECT_EQ(pool->put(std::move(c)), errc::pool_closed);
  EXPECT_TRUE(wait_until([&] { return connected(server) == 0; }));
}

TEST_F(PoolTest, DestroyingThePoolImpliesEmpty) {
  const int threads = thread_count();
  {
    auto [pool, err] = Pool::create("tcp", server.addr(), 3);
    ASSERT_FALSE(err);
    EXPECT_EQ(thread_count(), threads + 1);
    EXPECT_EQ(pool->avail(), 3);
  }
  EXPECT_EQ(thread_count(), threads);
  EXPECT_TRUE(wait_until([&] { return connected(server) == 0; }));
}

TEST_F(PoolTest, ClientThroughThePool) {
  auto pool = must_create("tcp", server.addr(), 2);
  // Arguments of every kind, flattened.
  std::vector<std::string> fields = {"f1", "v1"};
  std::map<std::string, int> more = {{"f2", 2}, {"f3", 3}};
  EXPECT_EQ(pool->cmd("HSET", "h", fields, more, std::pair{"f4", 4.5}, "f5", true).integer().value_or(-1), 5);
  auto all = pool->cmd("HGETALL", "h").map();
  ASSERT_TRUE(all);
  EXPECT_EQ((*all)["f4"], "4.5");
  EXPECT_EQ((*all)["f5"], "1");
  // Nil is not an error; a server error is not critical.
  auto nil = pool->cmd("GET", "missing");
  EXPECT_TRUE(nil.is_nil());
  EXPECT_FALSE(nil.err());
  // Pipelining on one connection held by a lease.
  respool::Lease l = pool->lease();
  ASSERT_TRUE(l);
  for (int i = 0; i < 5; ++i) l->pipe_append("INCR", "counter");
  for (int i = 1; i <= 5; ++i) EXPECT_EQ(l->pipe_resp().integer().value_or(-1), i);
  EXPECT_TRUE(l->is_clean());
}

TEST_F(PoolTest, MaxOpenCapsOpenConnections) {
  auto pool = must_create("tcp", server.addr(), 0, PoolOptions{.get_timeout = 200ms, .max_open = 2});
  auto a = must_get(*pool), b = must_get(*pool);
  EXPECT_EQ(pool->get().error(), errc::get_timeout);  // beyond the cap: waits, subject to GetTimeout
  EXPECT_EQ(connected(server), 2);
  // A waiting get receives the connection that comes back.
  respool::Client* pa = a.get();
  auto waiter = std::async(std::launch::async, [&] { return pool->get(); });
  ASSERT_TRUE(wait_until([&] { return pool->stats().waits == 2; }));
  pool->put(std::move(a));
  auto got = waiter.get();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->get(), pa);
}

TEST_F(PoolTest, CapCountsDialsInProgress) {
  // Six gets at once, slow dials, cap 2: never more than two open or
  // dialing; the other four wait for those two to come back.
  std::atomic<int> in_dial{0}, most{0}, dials{0};
  PoolOptions o;
  o.max_open = 2;
  o.dial = [&](std::string_view network, std::string_view addr) {
    const int now = ++in_dial;
    int m = most.load();
    while (now > m && !most.compare_exchange_weak(m, now)) {
    }
    ++dials;
    std::this_thread::sleep_for(100ms);
    auto c = respool::Client::dial(network, addr);
    --in_dial;
    return c;
  };
  auto pool = must_create("tcp", server.addr(), 0, std::move(o));
  std::vector<std::thread> ts;
  std::atomic<int> ok{0};
  for (int i = 0; i < 6; ++i) {
    ts.emplace_back([&] {
      auto c = pool->get();
      if (!c) return;
      ++ok;
      const auto s = pool->stats();
      EXPECT_LE(s.in_use + s.dialing + s.idle, 2);
      std::this_thread::sleep_for(20ms);
      pool->put(std::move(*c));
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok, 6);
  EXPECT_LE(most, 2);
  EXPECT_EQ(dials, 2);
}

TEST_F(PoolTest, ADiscardedConnectionFreesItsSlotForAWaiter) {
  auto pool = must_create("tcp", server.addr(), 0, PoolOptions{.max_open = 2});
  auto a = must_get(*pool), b = must_get(*pool);
  auto waiter = std::async(std::launch::async, [&] { return pool->get(); });
  ASSERT_TRUE(wait_until([&] { return pool->stats().waits == 1; }));
  a->close();
  pool->put(std::move(a));  // discarded: the waiter may dial
  auto got = waiter.get();
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(pool->stats().dials, 3u);
  EXPECT_EQ((*got)->cmd("PING").str().value_or(""), "PONG");
}

TEST_F(PoolTest, Statistics) {
  std::atomic<bool> fail{false};
  PoolOptions o;
  o.dial = [&](std::string_view n, std::string_view a) -> respool::Result<ClientPtr> {
    if (fail) return errc::timeout;
    return respool::Client::dial(n, a);
  };
  o.get_timeout = 100ms;
  o.max_open = 3;
  o.on_full_buffer = respool::OnFullBuffer{1, 1h};
  o.ping_interval = 20ms;
  auto pool = must_create("tcp", server.addr(), 1, std::move(o));
  ASSERT_TRUE(wait_until([&] { return pool->stats().pings >= 1; }));
  auto a = must_get(*pool), b = must_get(*pool), c = must_get(*pool);
  auto s = pool->stats();
  EXPECT_EQ(s.in_use, 3);
  EXPECT_EQ(s.idle, 0);
  EXPECT_EQ(s.dials, 3u);
  EXPECT_EQ(pool->get().error(), errc::get_timeout);
  c->pipe_append("PING");  // unclean
  pool->put(std::move(c));
  fail = true;
  EXPECT_EQ(pool->get().error(), errc::timeout);  // a slot is free: dial (fails)
  fail = false;
  pool->put(std::move(a));
  pool->put(std::move(b));
  s = pool->stats();
  EXPECT_EQ(s.gets, 5u);
  EXPECT_EQ(s.waits, 1u);
  EXPECT_GE(s.wait_time, 80ms);
  EXPECT_EQ(s.get_timeouts, 1u);
  EXPECT_EQ(s.dials, 3u);
  EXPECT_EQ(s.dial_errors, 1u);
  EXPECT_EQ(s.closed_unclean, 1u);
  EXPECT_EQ(s.idle, 1);
  EXPECT_EQ(s.overflow, 1);
  EXPECT_EQ(s.in_use, 0);
  EXPECT_EQ(s.dialing, 0);
  EXPECT_GE(s.pings, 1u);
  pool->empty();
  EXPECT_EQ(pool->stats().closed_emptied, 2u);
}

TEST_F(PoolTest, LeaseGoesBackAtScopeExit) {
  auto pool = must_create("tcp", server.addr(), 1);
  {
    respool::Lease l = pool->lease();
    ASSERT_TRUE(l);
    EXPECT_EQ(l->cmd("PING").str().value_or(""), "PONG");
    EXPECT_EQ((*l).cmd("PING").str().value_or(""), "PONG");
    EXPECT_EQ(pool->stats().in_use, 1);
  }
  EXPECT_EQ(pool->stats().in_use, 0);
  EXPECT_EQ(pool->avail(), 1);
}

TEST_F(PoolTest, LeaseMovesResetsAndReleases) {
  auto pool = must_create("tcp", server.addr(), 2);
  respool::Lease a = pool->lease();
  respool::Lease b = std::move(a);
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_TRUE(b);
  b.reset();
  EXPECT_FALSE(b);
  EXPECT_EQ(pool->avail(), 2);
  respool::Lease c = pool->lease();
  ClientPtr raw = c.release();
  EXPECT_FALSE(c);
  EXPECT_EQ(pool->stats().in_use, 1);
  EXPECT_EQ(pool->put(std::move(raw)), std::error_code());
  respool::Lease d = pool->lease(), e = pool->lease();
  d = std::move(e);  // d's connection goes back first
  EXPECT_EQ(pool->stats().in_use, 1);
}

// A Client from get() destroyed instead of put back (an early return, an
// exception) frees its slot: a get() waiting at the cap dials at once.
TEST_F(PoolTest, ClientDestroyedInsteadOfPutBackFreesItsSlot) {
  // get_timeout: were the slot lost, the waiter fails fast instead of hanging.
  auto pool = must_create("tcp", server.addr(), 1, PoolOptions{.get_timeout = 5s, .max_open = 1});
  auto c = must_get(*pool);
  auto waiter = std::async(std::launch::async, [&] { return pool->get(); });
  ASSERT_TRUE(wait_until([&] { return pool->stats().waits == 1; }));
  c.reset();  // never put back
  auto got = waiter.get();
  ASSERT_TRUE(got) << got.error().message();
  const auto st = pool->stats();
  EXPECT_EQ(st.abandoned, 1u);
  EXPECT_EQ(st.in_use, 1);
  EXPECT_EQ(st.dials, 2u);
  pool->put(std::move(*got));
  EXPECT_EQ(pool->stats().in_use, 0);
  EXPECT_EQ(pool->stats().abandoned, 1u);  // a put is not an abandonment
}

// A Client that outlives its pool tells nobody when it is destroyed.
TEST_F(PoolTest, ClientOutlivingItsPoolIsDestroyedSafely) {
  ClientPtr c;
  {
    auto pool = must_create("tcp", server.addr(), 1, PoolOptions{.ping_interval = 10ms});
    c = must_get(*pool);
  }
  ASSERT_TRUE(c);
  EXPECT_EQ(c->cmd("PING").str().value_or(""), "PONG");
  c.reset();
  EXPECT_TRUE(wait_until([&] { return connected(server) == 0; }));
}

TEST_F(PoolTest, LeaseOutlivingItsPoolIsSafe) {
  respool::Lease l;
  {
    auto pool_made = Pool::create("tcp", server.addr(), 2, PoolOptions{.ping_interval = 10ms});
    auto& pool = pool_made.pool;
    [[maybe_unused]] auto& err = pool_made.error;
    ASSERT_FALSE(err);
    l = pool->lease();
    ASSERT_TRUE(l);
  }                                                      // the Pool is destroyed: empty(), thread joined
  EXPECT_EQ(l->cmd("PING").str().value_or(""), "PONG");  // the connection is still the caller's
  EXPECT_TRUE(wait_until([&] { return connected(server) == 1; }));
  l.reset();  // closed, not pooled
  EXPECT_TRUE(wait_until([&] { return connected(server) == 0; }));
}

}  // namespace
}  // namespace pooltest
