// Network faults under the Pool, injected by the FaultProxy between the pool
// and a real redis-server: the caller gets a clear error within the read
// timeout, the broken connection is discarded (counted as closed_critical,
// not idle, gone from the server's CLIENT LIST), and the next command gets
// its own reply over a new connection. An idle connection dropped or reset
// while it sat idle costs no command at all: get() finds it dead first
// (closed_peer) and dials another.
#include <thread>

#include "fault_helpers.hpp"
#include "fault_proxy.hpp"

namespace faulttest {
namespace {

using respool::test::FaultProxy;

class FaultPool : public PoolTest {
 protected:
  FaultProxy proxy{server.port()};

  // One connection (so a kept broken one would be handed out again), no
  // pings (so only the command under test touches it), short timeouts.
  static PoolOptions options() {
    PoolOptions o;
    o.ping_interval = 0s;
    o.dial_options.connect_timeout = 1s;
    o.dial_options.read_timeout = 200ms;
    o.dial_options.write_timeout = 200ms;
    return o;
  }

  std::shared_ptr<Pool> make_pool(int size = 1, PoolOptions o = options()) {
    auto made = Pool::create("tcp", proxy.addr(), size, std::move(o));
    EXPECT_FALSE(made.error) << made.error.message();
    return made.pool;
  }

  // The one pooled connection, as the server sees it.
  long long only_client_id() {
    std::set<long long> ids;
    EXPECT_TRUE(wait_until([&] { return (ids = client_ids(server)).size() == 1; }, 5s));
    return ids.empty() ? -1 : *ids.begin();
  }

  // Run `cmd` under the fault: it must fail with `want` within `bound`.
  static void expect_error_within(const std::function<Resp()>& cmd, errc want, double bound_ms) {
    const auto t0 = Clock::now();
    Resp r = cmd();
    EXPECT_EQ(r.err(), want) << r.to_string();
    EXPECT_LT(ms_since(t0), bound_ms);
  }

  // After one failed command: the connection was discarded, not kept; the
  // server no longer has it; the next commands get their own replies over a
  // new connection.
  void expect_discarded_then_healed(
      Pool& pool, long long old_id,
      std::uint64_t respool::PoolStats::*closed = &respool::PoolStats::closed_critical) {
    const auto s = pool.stats();
    EXPECT_EQ(s.*closed, 1u);
    EXPECT_EQ(pool.avail(), closed == &respool::PoolStats::closed_critical ? 0 : 1);
    EXPECT_EQ(s.in_use, 0);
    EXPECT_TRUE(wait_until([&] { return client_ids(server).count(old_id) == 0; }, 5s))
        << "the broken connection is still open on the server";
    for (int i = 0; i < 20; ++i) {
      const std::string key = tag("key");
      const std::string value = tag("value");
      ASSERT_EQ(pool.cmd("SET", key, value).str().value_or("?"), "OK");
      ASSERT_EQ(pool.cmd("GET", key).str().value_or("?"), value);
    }
    EXPECT_EQ(pool.stats().dials, 2u);  // the pre-dialed one and its replacement
    EXPECT_EQ(pool.avail(), 1);
    const long long new_id = only_client_id();
    EXPECT_NE(new_id, old_id);
  }
};

TEST_F(FaultPool, ReplyLatencyBeyondTheReadTimeoutIsTimeoutAndTheConnectionIsDiscarded) {
  auto pool = make_pool();
  const long long id = only_client_id();
  proxy.set_latency(FaultProxy::to_client, 1500ms);
  expect_error_within([&] { return pool->cmd("ECHO", tag("late")); }, errc::timeout, 1200);
  proxy.set_latency(FaultProxy::to_client, 0ms);
  expect_discarded_then_healed(*pool, id);
}

TEST_F(FaultPool, StalledLinkIsTimeoutAndTheConnectionIsDiscarded) {
  auto pool = make_pool();
  const long long id = only_client_id();
  proxy.stall(true);
  expect_error_within([&] { return pool->cmd("ECHO", tag("stalled")); }, errc::timeout, 1200);
  proxy.stall(false);
  expect_discarded_then_healed(*pool, id);
}

TEST_F(FaultPool, IdleConnectionDroppedIsDiscardedBeforeUseAndTheCommandSucceeds) {
  auto pool = make_pool();
  const long long id = only_client_id();
  proxy.drop_all();
  std::this_thread::sleep_for(20ms);  // idle long enough to be checked
  const std::string v = tag("dropped");
  EXPECT_EQ(pool->cmd("ECHO", v).str().value_or("?"), v);
  EXPECT_EQ(pool->stats().closed_critical, 0u);
  expect_discarded_then_healed(*pool, id, &respool::PoolStats::closed_peer);
}

TEST_F(FaultPool, IdleConnectionResetIsDiscardedBeforeUseAndTheCommandSucceeds) {
  auto pool = make_pool();
  const long long id = only_client_id();
  proxy.reset_all();
  std::this_thread::sleep_for(20ms);
  const std::string v = tag("reset");
  EXPECT_EQ(pool->cmd("ECHO", v).str().value_or("?"), v);
  EXPECT_EQ(pool->stats().closed_critical, 0u);
  expect_discarded_then_healed(*pool, id, &respool::PoolStats::closed_peer);
}

TEST_F(FaultPool, ConnectionDroppedWhileInUseIsConnectionClosedAndDiscarded) {
  auto pool = make_pool();
  const long long id = only_client_id();
  {
    respool::Lease l = pool->lease();
    ASSERT_TRUE(l);
    proxy.drop_all();
    const Resp r = l->cmd("ECHO", tag("dropped"));
    EXPECT_EQ(r.err(), errc::connection_closed);
  }
  expect_discarded_then_healed(*pool, id);
}

TEST_F(FaultPool, ReplyCutHalfWayIsConnectionClosedAndDiscarded) {
  auto pool = make_pool();
  const long long id = only_client_id();
  const std::string key = tag("big");
  ASSERT_EQ(pool->cmd("SET", key, std::string(8192, 'x')).str().value_or(""), "OK");
  proxy.cut_next_reply(1000);
  expect_error_within([&] { return pool->cmd("GET", key); }, errc::connection_closed, 1200);
  EXPECT_EQ(proxy.cuts(), 1u);
  expect_discarded_then_healed(*pool, id);
  EXPECT_EQ(pool->cmd("GET", key).str().value_or("").size(), 8192u);
}

TEST_F(FaultPool, BlackholedServerIsADialTimeoutAndThePoolRecovers) {
  PoolOptions o = options();
  o.dial_options.client_name = "through-proxy";  // a set-up command the dial waits for
  auto pool = make_pool(0, o);
  proxy.blackhole(true);
  const auto t0 = Clock::now();
  auto c = pool->get();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), errc::timeout);
  EXPECT_LT(ms_since(t0), 1200);
  expect_error_within([&] { return pool->cmd("PING"); }, errc::timeout, 1200);
  auto s = pool->stats();
  EXPECT_EQ(s.dial_errors, 2u);
  EXPECT_EQ(s.dials, 0u);
  EXPECT_EQ(s.in_use, 0);
  EXPECT_EQ(s.dialing, 0);

  proxy.blackhole(false);
  const std::string t = tag("back");
  respool::Lease l = pool->lease();  // held: size 0 keeps no idle connection
  ASSERT_TRUE(l) << l.error().message();
  EXPECT_EQ(l->cmd("ECHO", t).str().value_or(""), t);
  EXPECT_EQ(count_with(client_list(server), "name=through-proxy"), 1);
}

// Several idle connections broken at once: the pool's pings find and
// discard every one, so callers don't have to fail on them first.
TEST_F(FaultPool, PingsDiscardEveryIdleConnectionBrokenByAReset) {
  PoolOptions o = options();
  o.ping_interval = 20ms;
  auto pool = make_pool(3, o);
  // A ping may already have one out (a slow create under a sanitizer).
  ASSERT_TRUE(wait_until([&] { return pool->avail() == 3; }));
  proxy.reset_all();
  EXPECT_TRUE(wait_until([&] { return pool->stats().closed_ping_failed == 3; }, 5s))
      << "pings " << pool->stats().pings << " failed " << pool->stats().closed_ping_failed;
  EXPECT_EQ(pool->avail(), 0);
  const std::string t = tag("after");
  EXPECT_EQ(pool->cmd("ECHO", t).str().value_or(""), t);
}

}  // namespace
}  // namespace faulttest
