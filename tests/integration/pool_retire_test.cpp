// Pool::retire_connections(): idle connections closed at once, handed-out
// ones when they come back, later get()s dial new ones. Against the shared
// server; each test names its connections (CLIENT SETNAME at dial) so that
// CLIENT LIST counts only its own.
#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "pool_helpers.hpp"

namespace pooltest {
namespace {

using respool::test::shared_server;

// A pool whose connections are named `name` on the server.
std::shared_ptr<respool::Pool> named_pool(const std::string& name, int size, respool::PoolOptions o = {}) {
  o.dial_options.client_name = name;
  return must_create("tcp", shared_server().addr(), size, std::move(o));
}

int open_named(const std::string& name) {
  return count_with(client_list(shared_server()), "name=" + name + " ");
}

std::int64_t client_id(respool::Client& c) {
  auto r = c.cmd("CLIENT", "ID").integer();
  EXPECT_TRUE(r) << r.error().message();
  return r ? *r : -1;
}

TEST(PoolRetire, ClosesIdleConnectionsAtOnce) {
  auto pool = named_pool("retire-idle", 3);
  ASSERT_TRUE(wait_until([] { return open_named("retire-idle") == 3; }));
  ASSERT_EQ(pool->avail(), 3);
  pool->retire_connections();
  EXPECT_EQ(pool->avail(), 0);
  EXPECT_EQ(pool->stats().closed_retired, 3u);
  EXPECT_TRUE(wait_until([] { return open_named("retire-idle") == 0; }));
}

TEST(PoolRetire, HandedOutOneStaysUsableAndIsClosedWhenPutBack) {
  auto pool = named_pool("retire-out", 1);
  ClientPtr c = must_get(*pool);
  ASSERT_TRUE(c);
  const auto old_id = client_id(*c);
  pool->retire_connections();
  // Nothing is interrupted: its holder keeps using it.
  EXPECT_EQ(c->cmd("PING").str().value_or(""), "PONG");
  EXPECT_EQ(open_named("retire-out"), 1);
  EXPECT_FALSE(pool->put(std::move(c)));
  EXPECT_EQ(pool->avail(), 0);
  EXPECT_EQ(pool->stats().closed_retired, 1u);
  EXPECT_TRUE(wait_until([] { return open_named("retire-out") == 0; }));

  // Later gets dial new ones, which are kept as usual.
  const auto dials = pool->stats().dials;
  ClientPtr d = must_get(*pool);
  ASSERT_TRUE(d);
  EXPECT_NE(client_id(*d), old_id);
  EXPECT_EQ(pool->stats().dials, dials + 1);
  EXPECT_FALSE(pool->put(std::move(d)));
  EXPECT_EQ(pool->avail(), 1);
  EXPECT_EQ(pool->stats().closed_retired, 1u);
}

TEST(PoolRetire, LaterGetsNeverSeeAnOlderConnection) {
  auto pool = named_pool("retire-later", 4);
  std::set<std::int64_t> before;
  std::vector<ClientPtr> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(must_get(*pool));
    ASSERT_TRUE(held.back());
    before.insert(client_id(*held.back()));
  }
  // Two back to the pool before the retire (closed by it), two after (closed
  // when put back).
  pool->put(std::move(held[0]));
  pool->put(std::move(held[1]));
  pool->retire_connections();
  pool->put(std::move(held[2]));
  pool->put(std::move(held[3]));
  EXPECT_EQ(pool->stats().closed_retired, 4u);
  for (int i = 0; i < 4; ++i) {
    ClientPtr c = must_get(*pool);
    ASSERT_TRUE(c);
    EXPECT_EQ(before.count(client_id(*c)), 0u);
    held[static_cast<std::size_t>(i)] = std::move(c);
  }
  for (auto& c : held) pool->put(std::move(c));
  EXPECT_EQ(pool->avail(), 4);
}

TEST(PoolRetire, RetiredConnectionIsNotHandedToAWaiter) {
  auto pool = named_pool("retire-wait", 1, respool::PoolOptions{.max_open = 1});
  ClientPtr c = must_get(*pool);
  ASSERT_TRUE(c);
  const auto old_id = client_id(*c);
  std::atomic<std::int64_t> waiter_id{0};
  std::thread waiter([&] {
    ClientPtr w = must_get(*pool);
    if (w) waiter_id = client_id(*w);
    pool->put(std::move(w));
  });
  ASSERT_TRUE(wait_until([&] { return pool->stats().waits == 1; }));
  pool->retire_connections();
  pool->put(std::move(c));
  waiter.join();
  EXPECT_NE(waiter_id.load(), 0);
  EXPECT_NE(waiter_id.load(), old_id);
  EXPECT_EQ(pool->stats().closed_retired, 1u);
}

TEST(PoolRetire, ADialInProgressCountsAsHandedOut) {
  // The dial function retires the pool in the middle of the dial: the new
  // connection is handed out, and closed when it comes back.
  std::shared_ptr<respool::Pool> pool;
  std::atomic<bool> retire_in_dial{false};
  respool::PoolOptions o;
  o.dial = [&](std::string_view network, std::string_view addr) {
    if (retire_in_dial.exchange(false)) pool->retire_connections();
    return respool::Client::dial(network, addr);
  };
  pool = must_create("tcp", shared_server().addr(), 1, std::move(o));
  pool->retire_connections();  // the pre-dialed one: get() must dial
  ASSERT_EQ(pool->stats().closed_retired, 1u);
  retire_in_dial = true;
  ClientPtr c = must_get(*pool);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->cmd("PING").str().value_or(""), "PONG");
  pool->put(std::move(c));
  EXPECT_EQ(pool->avail(), 0);
  EXPECT_EQ(pool->stats().closed_retired, 2u);
  c = must_get(*pool);  // a new one, kept
  pool->put(std::move(c));
  EXPECT_EQ(pool->avail(), 1);
}

TEST(PoolRetire, OverflowBufferToo) {
  auto pool =
      named_pool("retire-ovf", 1,
                 respool::PoolOptions{.on_full_buffer = respool::OnFullBuffer{2, std::chrono::hours(1)}});
  std::vector<ClientPtr> held;
  for (int i = 0; i < 3; ++i) held.push_back(must_get(*pool));
  for (auto& c : held) pool->put(std::move(c));
  ASSERT_EQ(pool->stats().overflow, 2);
  pool->retire_connections();
  EXPECT_EQ(pool->avail(), 0);
  EXPECT_EQ(pool->stats().closed_retired, 3u);
  EXPECT_TRUE(wait_until([] { return open_named("retire-ovf") == 0; }));
}

TEST(PoolRetire, NoOpAfterEmptyAndClosedSaysSo) {
  auto pool = named_pool("retire-empty", 1);
  EXPECT_FALSE(pool->closed());
  pool->empty();
  EXPECT_TRUE(pool->closed());
  pool->retire_connections();
  EXPECT_EQ(pool->stats().closed_retired, 0u);
  auto bad = respool::Pool::create("tcp", "no port", 1);
  EXPECT_TRUE(bad.pool->closed());
}

TEST(PoolRetire, ConcurrentWithTraffic) {
  // Threads run commands while another retires over and over; afterwards
  // one last retire, and every connection handed out later is new.
  auto pool = named_pool("retire-busy", 4);
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      while (!stop) {
        if (pool->cmd("PING").str().value_or("") != "PONG") ++failures;
        if (respool::Lease l = pool->lease()) {
          if (l->cmd("ECHO", "x").str().value_or("") != "x") ++failures;
        } else {
          ++failures;
        }
      }
    });
  }
  for (int i = 0; i < 50; ++i) {
    pool->retire_connections();
    std::this_thread::sleep_for(2ms);
  }
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(pool->stats().closed_retired, 0u);
  std::int64_t newest = 0;
  {
    ClientPtr c = must_get(*pool);
    ASSERT_TRUE(c);
    newest = client_id(*c);  // may be an old one: retired below while out
    pool->put(std::move(c));
  }
  std::vector<ClientPtr> held;
  const int idle = pool->avail();
  for (int i = 0; i < idle; ++i) held.push_back(must_get(*pool));
  for (auto& c : held) newest = std::max(newest, client_id(*c));
  pool->retire_connections();
  for (auto& c : held) pool->put(std::move(c));
  EXPECT_EQ(pool->avail(), 0);
  for (int i = 0; i < 3; ++i) {
    respool::Lease l = pool->lease();
    ASSERT_TRUE(l);
    EXPECT_GT(client_id(*l), newest);
  }
  EXPECT_TRUE(wait_until([&] { return open_named("retire-busy") == pool->avail(); }));
  // Every connection dialed is idle, out, or closed for one reason.
  const auto st = pool->stats();
  const auto closed = st.closed_full + st.closed_critical + st.closed_unclean + st.closed_ping_failed +
                      st.closed_idle + st.closed_lifetime + st.closed_emptied + st.closed_peer +
                      st.closed_retired;
  EXPECT_EQ(st.dials - closed, static_cast<std::uint64_t>(st.idle + st.overflow + st.in_use));
}

}  // namespace
}  // namespace pooltest
