// Pool::run (pool.hpp): a Batch on one connection, in one write, replies in
// order; a batch is sent once more only when none of it can have reached the
// server.
#include <string>
#include <thread>
#include <vector>

#include "fault_helpers.hpp"
#include "fault_proxy.hpp"
#include "net/socket.hpp"

namespace faulttest {
namespace {

using respool::Batch;
using respool::test::FaultProxy;

// A fresh server per test (exact connection counts); no pings, which would
// add sends and find dead connections on their own.
class PoolBatch : public PoolTest {};

PoolOptions quiet_options() {
  PoolOptions o;
  o.ping_interval = std::chrono::nanoseconds::zero();
  o.dial_options.connect_timeout = 1s;
  o.dial_options.read_timeout = 1s;
  o.dial_options.write_timeout = 1s;
  return o;
}

// The integer value of `key` on the server (0 when it doesn't exist).
long long server_counter(const RedisServer& s, const std::string& key) {
  const std::string reply = s.raw_command(std::string("GET ").append(key));  // "$1\r\n1\r\n" or "$-1\r\n"
  if (reply.rfind("$-1", 0) == 0) return 0;
  return std::atoll(reply.c_str() + reply.find("\r\n") + 2);
}

TEST_F(PoolBatch, AHundredMixedCommandsAnswerInOrder) {
  auto pool = must_create("tcp", server.addr(), 2, quiet_options());
  Batch b;
  for (int i = 0; i < 25; ++i) {
    const std::string key = "batch:k" + std::to_string(i);
    b.add("SET", key, i).add("GET", key).add("INCR", "batch:counter").add("ECHO", "e" + std::to_string(i));
  }
  ASSERT_EQ(b.size(), 100u);
  const auto rs = pool->run(b);
  ASSERT_EQ(rs.size(), 100u);
  for (int i = 0; i < 25; ++i) {
    const auto at = static_cast<std::size_t>(i) * 4;
    EXPECT_EQ(rs[at].str().value_or("?"), "OK") << i << ": " << rs[at].to_string();
    EXPECT_EQ(rs[at + 1].str().value_or("?"), std::to_string(i)) << i;
    EXPECT_EQ(rs[at + 2].integer().value_or(-1), i + 1) << i;
    EXPECT_EQ(rs[at + 3].str().value_or("?"), "e" + std::to_string(i)) << i;
  }
  EXPECT_EQ(pool->avail(), 2);  // clean: back in the pool
}

TEST_F(PoolBatch, OneConnectionOneWriteOneGet) {
  auto pool = must_create("tcp", server.addr(), 2, quiet_options());
  Batch b;
  b.add("CLIENT", "ID");
  for (int i = 0; i < 20; ++i) b.add("PING");
  b.add("CLIENT", "ID");
  const auto gets = pool->stats().gets;
  const auto before = respool::net::io_counters();
  const auto rs = pool->run(b);
  const auto after = respool::net::io_counters();
  ASSERT_EQ(rs.size(), 22u);
  ASSERT_TRUE(rs.front().integer()) << rs.front().to_string();
  EXPECT_EQ(rs.front().integer().value(), rs.back().integer().value_or(-1));  // the same connection
  EXPECT_EQ(after.sends - before.sends, 1u);                                  // one write
  EXPECT_EQ(pool->stats().gets, gets + 1);
  EXPECT_EQ(pool->stats().dials, 2u);
}

TEST_F(PoolBatch, AnEmptyBatchTakesNoConnection) {
  auto pool = must_create("tcp", server.addr(), 1, quiet_options());
  const auto gets = pool->stats().gets;
  EXPECT_TRUE(pool->run(Batch{}).empty());
  EXPECT_EQ(pool->stats().gets, gets);
}

TEST_F(PoolBatch, ABatchRunsAgainAndFromSeveralThreadsAtOnce) {
  auto pool = must_create("tcp", server.addr(), 4, quiet_options());
  Batch b;
  b.add("INCR", "batch:again").add("GET", "batch:again");
  auto rs = pool->run(b);
  EXPECT_EQ(rs[0].integer().value_or(-1), 1);
  EXPECT_EQ(rs[1].str().value_or("?"), "1");
  rs = pool->run(b);
  EXPECT_EQ(rs[0].integer().value_or(-1), 2);
  EXPECT_EQ(rs[1].str().value_or("?"), "2");

  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i)
        for (const auto& r : pool->run(b)) errors += r.err() ? 1 : 0;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(server_counter(server, "batch:again"), 202);
}

TEST_F(PoolBatch, OnAClosedPoolEveryCommandFailsUnsent) {
  auto pool = must_create("tcp", server.addr(), 1, quiet_options());
  pool->empty();
  Batch b;
  b.add("SET", "batch:closed", 1).add("GET", "batch:closed").add("PING");
  const auto rs = pool->run(b);
  ASSERT_EQ(rs.size(), 3u);
  for (const auto& r : rs) {
    EXPECT_TRUE(r.is_io_error());
    EXPECT_EQ(r.err(), errc::pool_closed);
    EXPECT_EQ(r.delivery(), Delivery::not_sent);
  }
  EXPECT_EQ(server_counter(server, "batch:closed"), 0);
}

TEST_F(PoolBatch, MultiWithoutExecLeavesNoDirtyConnectionInThePool) {
  auto pool = must_create("tcp", server.addr(), 1, quiet_options());
  Batch b;
  b.add("MULTI").add("SET", "batch:multi", 1);
  const auto rs = pool->run(b);
  EXPECT_EQ(rs[0].str().value_or("?"), "OK");
  EXPECT_EQ(rs[1].str().value_or("?"), "QUEUED");
  EXPECT_EQ(pool->stats().closed_unclean, 1u);
  EXPECT_TRUE(wait_until([&] { return count_with(client_list(server), "flags=x") == 0; }));
  // The next caller gets a fresh connection, not the open transaction.
  EXPECT_TRUE(pool->cmd("GET", "batch:multi").is_nil());
  EXPECT_EQ(server_counter(server, "batch:multi"), 0);
}

TEST_F(PoolBatch, MultiExecInABatchRunsAtomicallyAndLeavesTheConnectionClean) {
  auto pool = must_create("tcp", server.addr(), 1, quiet_options());
  Batch b;
  b.add("MULTI").add("INCR", "batch:tx").add("INCR", "batch:tx").add("EXEC");
  const auto rs = pool->run(b);
  ASSERT_EQ(rs.size(), 4u);
  EXPECT_EQ(rs[2].str().value_or("?"), "QUEUED");
  ASSERT_EQ(rs[3].elements().size(), 2u) << rs[3].to_string();
  EXPECT_EQ(rs[3].elements()[1].integer().value_or(-1), 2);
  EXPECT_EQ(pool->stats().closed_unclean, 0u);
  EXPECT_EQ(pool->avail(), 1);
}

TEST_F(PoolBatch, AServerErrorInTheMiddleLeavesTheOthersAlone) {
  auto pool = must_create("tcp", server.addr(), 1, quiet_options());
  Batch b;
  b.add("SET", "batch:str", "v").add("LPUSH", "batch:str", "x").add("GET", "batch:str");
  const auto rs = pool->run(b);
  EXPECT_EQ(rs[0].str().value_or("?"), "OK");
  EXPECT_TRUE(rs[1].is_server_error());
  EXPECT_EQ(rs[2].str().value_or("?"), "v");
  EXPECT_EQ(pool->avail(), 1);  // a server error is not critical
  EXPECT_EQ(pool->stats().closed_critical, 0u);
}

TEST_F(PoolBatch, PubSubCommandsAreRefusedWithNothingSent) {
  auto pool = must_create("tcp", server.addr(), 1, quiet_options());
  Batch b;
  b.add("SET", "batch:pubsub", 1).add("SUBSCRIBE", "a", "b");
  const auto gets = pool->stats().gets;
  const auto rs = pool->run(b);
  ASSERT_EQ(rs.size(), 2u);
  for (const auto& r : rs) {
    EXPECT_EQ(r.err(), errc::pubsub_command);
    EXPECT_EQ(r.delivery(), Delivery::not_sent);
  }
  EXPECT_EQ(pool->stats().gets, gets);
  EXPECT_EQ(server_counter(server, "batch:pubsub"), 0);
}

TEST_F(PoolBatch, IdleConnectionsKilledByTheServerCostNothing) {
  auto pool = must_create("tcp", server.addr(), 3, quiet_options());
  ASSERT_TRUE(wait_until([&] { return connected(server) == 3; }));
  std::this_thread::sleep_for(20ms);  // idle long enough to be checked when handed out
  server.raw_command("CLIENT KILL TYPE normal");
  ASSERT_TRUE(wait_until([&] { return connected(server) == 0; }));
  Batch b;
  b.add("INCR", "batch:killed").add("INCR", "batch:killed");
  const auto rs = pool->run(b);
  EXPECT_EQ(rs[0].integer().value_or(-1), 1) << rs[0].err().message();
  EXPECT_EQ(rs[1].integer().value_or(-1), 2) << rs[1].err().message();
  EXPECT_EQ(server_counter(server, "batch:killed"), 2);
}

// A connection reset while handed straight to a waiting run(): its one write
// fails before a byte leaves, and the whole batch runs on a new connection.
TEST(PoolBatchFault, ABatchSurelyNotSentRunsOnceMoreOnAnotherConnection) {
  RedisServer server;
  FaultProxy proxy(server.port());
  PoolOptions o = quiet_options();
  o.max_open = 1;
  auto pool = must_create("tcp", proxy.addr(), 1, o);
  std::vector<std::string> keys;
  Batch b;
  for (int i = 0; i < 4; ++i) b.add("INCR", keys.emplace_back(tag("batch-retried")));
  std::vector<Resp> rs;
  {
    auto lease = pool->lease();
    ASSERT_TRUE(lease);
    const auto waits = pool->stats().waits;
    std::thread t([&] { rs = pool->run(b); });
    ASSERT_TRUE(wait_until([&] { return pool->stats().waits == waits + 1; }));
    proxy.reset_all();
    ASSERT_TRUE(wait_until([&] { return lease->peer_closed(); }));
    lease.reset();  // handed straight to the waiting run(), no check on that path
    t.join();
  }
  ASSERT_EQ(rs.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(rs[i].integer().value_or(-1), 1) << i << ": " << rs[i].err().message();
    EXPECT_EQ(server_counter(server, keys[i]), 1) << i;
  }
  const auto st = pool->stats();
  EXPECT_EQ(st.closed_critical, 1u);
  EXPECT_EQ(st.dials, 2u);
}

TEST(PoolBatchFault, ABatchWhoseOutcomeIsUnknownIsNeverSentTwice) {
  RedisServer server;
  FaultProxy proxy(server.port());
  auto pool = must_create("tcp", proxy.addr(), 1, quiet_options());
  std::vector<std::string> keys;
  Batch b;
  for (int i = 0; i < 3; ++i) b.add("INCR", keys.emplace_back(tag("batch-unknown")));
  proxy.cut_next_reply(0);  // the batch reaches the server; no reply comes back
  const auto rs = pool->run(b);
  ASSERT_EQ(rs.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(rs[i].err(), errc::connection_closed) << i;
    EXPECT_EQ(rs[i].delivery(), Delivery::unknown) << i;
    EXPECT_EQ(server_counter(server, keys[i]), 1) << i;
  }
  EXPECT_EQ(pool->stats().dials, 1u);  // no second connection for a retry
}

}  // namespace
}  // namespace faulttest
