// put(): what is discarded, what is never handed on (unread replies, MULTI,
// WATCH, SUBSCRIBE, MONITOR, SELECT ...), where a kept connection goes, put
// after empty(), foreign connections.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "net/socket.hpp"
#include "pool_helpers.hpp"

namespace pooltest {
namespace {

TEST_F(PoolTest, ClosedConnectionIsDiscarded) {
  auto pool = must_create("tcp", server.addr(), 2);
  auto c = must_get(*pool);
  c->close();
  EXPECT_EQ(pool->put(std::move(c)), std::error_code());
  EXPECT_EQ(pool->avail(), 1);
  EXPECT_EQ(pool->stats().closed_critical, 1u);
  EXPECT_EQ(pool->stats().in_use, 0);
}

TEST_F(PoolTest, ConnectionAfterACriticalErrorIsDiscarded) {
  auto pool = must_create("tcp", server.addr(), 1);
  auto c = must_get(*pool);
  c->set_timeouts(100ms, 100ms);
  auto r = c->cmd("DEBUG", "SLEEP", "0.3");  // the read times out: critical
  ASSERT_EQ(r.err(), errc::timeout);
  ASSERT_TRUE(c->last_critical());
  pool->put(std::move(c));
  EXPECT_EQ(pool->avail(), 0);
  EXPECT_EQ(pool->stats().closed_critical, 1u);
  // The next caller gets a fresh connection and its own reply.
  EXPECT_EQ(pool->cmd("ECHO", "mine").str().value_or(""), "mine");
}

TEST_F(PoolTest, ServerErrorReplyIsNotCritical) {
  auto pool = must_create("tcp", server.addr(), 1);
  auto c = must_get(*pool);
  respool::Client* pc = c.get();
  EXPECT_TRUE(c->cmd("NOSUCHCOMMAND").is_server_error());
  pool->put(std::move(c));
  EXPECT_EQ(pool->avail(), 1);
  EXPECT_EQ(must_get(*pool).get(), pc);
}

// The connection's local port: tells connections apart (a Client's address
// may be reused by the next one once the first is freed).
int local_port(const respool::Client& c) {
  sockaddr_storage sa{};
  socklen_t len = sizeof sa;
  if (::getsockname(c.native_handle(), reinterpret_cast<sockaddr*>(&sa), &len) != 0) return -1;
  return ntohs(reinterpret_cast<sockaddr_in*>(&sa)->sin_port);
}

// Puts back a connection left in some state by `dirty`, then checks it was
// closed, never handed on, and the next caller gets its own replies.
template <class F>
void expect_never_passed_on(RedisServer& server, F dirty) {
  auto pool = must_create("tcp", server.addr(), 1);
  auto c = must_get(*pool);
  const int port = local_port(*c);
  dirty(*c);
  EXPECT_FALSE(c->is_clean());
  EXPECT_EQ(pool->put(std::move(c)), std::error_code());
  EXPECT_EQ(pool->avail(), 0);
  EXPECT_EQ(pool->stats().closed_unclean, 1u);
  auto next = must_get(*pool);
  EXPECT_EQ(pool->stats().dials, 2u);  // a new connection, not the dirty one
  EXPECT_NE(local_port(*next), port);
  EXPECT_EQ(next->cmd("ECHO", "mine").str().value_or(""), "mine");
  EXPECT_EQ(next->cmd("ECHO", "mine too").str().value_or(""), "mine too");
  pool->put(std::move(next));
  EXPECT_TRUE(wait_until([&] { return connected(server) == 1; }));
}

TEST_F(PoolTest, UnreadRepliesNeverReachTheNextCaller) {
  expect_never_passed_on(server, [](respool::Client& c) {
    c.pipe_append("SET", "rule12", "x");
    c.pipe_append("GET", "rule12");
    (void)c.pipe_resp();  // sends both, reads one: one reply left unread
    ASSERT_EQ(c.pipe_pending(), 1u);
    (void)c.cmd("DEL", "rule12");  // refused locally: pipeline busy
  });
}

TEST_F(PoolTest, QueuedUnsentCommandsNeverReachTheNextCaller) {
  expect_never_passed_on(server, [](respool::Client& c) { c.pipe_append("SET", "rule12", "x"); });
}

TEST_F(PoolTest, InsideMulti) {
  expect_never_passed_on(server, [](respool::Client& c) {
    ASSERT_FALSE(c.cmd("MULTI").err());
    ASSERT_FALSE(c.cmd("SET", "rule12", "x").err());  // QUEUED: must never run for someone else
  });
  EXPECT_EQ(server.raw_command("EXISTS rule12"), ":0\r\n");
}

TEST_F(PoolTest, Watch) {
  expect_never_passed_on(server, [](respool::Client& c) { ASSERT_FALSE(c.cmd("WATCH", "rule12").err()); });
}

TEST_F(PoolTest, Subscribe) {
  expect_never_passed_on(server, [](respool::Client& c) {
    c.pipe_append("SUBSCRIBE", "chan");
    ASSERT_FALSE(c.pipe_resp().err());
    ASSERT_EQ(c.subscriptions(), 1);
  });
}

TEST_F(PoolTest, Monitor) {
  expect_never_passed_on(server, [](respool::Client& c) { ASSERT_FALSE(c.cmd("MONITOR").err()); });
}

TEST_F(PoolTest, Select) {
  expect_never_passed_on(server, [](respool::Client& c) { ASSERT_FALSE(c.cmd("SELECT", 5).err()); });
}

TEST_F(PoolTest, FinishedTransactionIsCleanAndKept) {
  auto pool = must_create("tcp", server.addr(), 1);
  auto c = must_get(*pool);
  respool::Client* pc = c.get();
  ASSERT_FALSE(c->cmd("WATCH", "k").err());
  ASSERT_FALSE(c->cmd("MULTI").err());
  ASSERT_FALSE(c->cmd("SET", "k", 1).err());
  ASSERT_FALSE(c->cmd("EXEC").err());
  pool->put(std::move(c));
  EXPECT_EQ(pool->avail(), 1);
  EXPECT_EQ(must_get(*pool).get(), pc);
}

TEST_F(PoolTest, ChangedTimeoutsAreResetOnPut) {
  auto pool = must_create("tcp", server.addr(), 1);
  auto c = must_get(*pool);
  c->set_timeouts(50ms, 50ms);
  pool->put(std::move(c));
  auto again = must_get(*pool);
  // With the dial's 5 s read timeout a 0.3 s command succeeds.
  EXPECT_FALSE(again->cmd("DEBUG", "SLEEP", "0.3").err());
}

// Client-side caching set up by the dial function (RESP3 + CLIENT TRACKING
// as the baseline): invalidation pushes are never taken for a command's
// reply, and those set aside are not handed to the next caller.
TEST_F(PoolTest, Resp3PushesNeverReachTheNextCaller) {
  respool::DialOptions o;
  o.protocol = 3;
  auto pool =
      must_create("tcp", server.addr(), 1,
                  PoolOptions{.dial =
                                  [o](std::string_view network, std::string_view addr) {
                                    auto c = respool::Client::dial(network, addr, o);
                                    if (c && (*c)->cmd("CLIENT", "TRACKING", "on").err())
                                      return respool::Result<ClientPtr>(respool::errc::handshake_failed);
                                    return c;
                                  },
                              .max_open = 1});
  ASSERT_FALSE(pool->cmd("SET", "push:k", "1").err());
  ASSERT_EQ(pool->cmd("GET", "push:k").str().value_or("?"), "1");  // tracked on the pool's connection
  ASSERT_EQ(server.raw_command("SET push:k 2"), "+OK\r\n");        // invalidation pushed to it
  Resp r = pool->cmd("INCR", "push:ctr");
  ASSERT_EQ(r.type(), Resp::Type::integer) << "a push was taken for a reply";
  EXPECT_EQ(r.integer().value_or(-1), 1);
  auto lease = pool->lease();
  ASSERT_TRUE(lease);
  EXPECT_EQ(lease->pipe_pending(), 0u);
  lease->set_timeouts(100ms, 100ms);
  Resp next = lease->read_reply();  // nothing set aside for this caller: it waits, then times out
  EXPECT_EQ(next.err(), errc::timeout);
  EXPECT_EQ(pool->stats().dials, 1u);
}

TEST_F(PoolTest, RoomGoesToMainThenOverflowThenClosed) {
  auto pool =
      must_create("tcp", server.addr(), 1, PoolOptions{.on_full_buffer = respool::OnFullBuffer{1, 1h}});
  std::vector<ClientPtr> held;
  for (int i = 0; i < 3; ++i) held.push_back(must_get(*pool));
  pool->put(std::move(held[0]));
  EXPECT_EQ(pool->stats().idle, 1);
  pool->put(std::move(held[1]));
  EXPECT_EQ(pool->stats().overflow, 1);
  pool->put(std::move(held[2]));
  EXPECT_EQ(pool->stats().closed_full, 1u);
  EXPECT_EQ(pool->avail(), 2);
  EXPECT_TRUE(wait_until([&] { return connected(server) == 2; }));
}

TEST_F(PoolTest, FullWithoutOverflowCloses) {
  auto pool = must_create("tcp", server.addr(), 1);
  auto a = must_get(*pool), b = must_get(*pool);
  pool->put(std::move(a));
  pool->put(std::move(b));
  EXPECT_EQ(pool->avail(), 1);
  EXPECT_EQ(pool->stats().closed_full, 1u);
  EXPECT_TRUE(wait_until([&] { return connected(server) == 1; }));
}

TEST_F(PoolTest, PutAfterEmptyCloses) {
  auto pool = must_create("tcp", server.addr(), 2);
  auto c = must_get(*pool);
  pool->empty();
  EXPECT_EQ(pool->put(std::move(c)), errc::pool_closed);
  EXPECT_EQ(pool->avail(), 0);
  EXPECT_EQ(pool->stats().closed_emptied, 2u);
  EXPECT_TRUE(wait_until([&] { return connected(server) == 0; }));
}

TEST_F(PoolTest, PutNeverDoesIo) {
  auto pool =
      must_create("tcp", server.addr(), 1, PoolOptions{.on_full_buffer = respool::OnFullBuffer{1, 1h}});
  auto clean = must_get(*pool), dirty = must_get(*pool), extra = must_get(*pool), closed = must_get(*pool);
  dirty->pipe_append("PING");
  (void)dirty->pipe_resp();  // nothing unread, but
  dirty->pipe_append("PING");
  dirty->pipe_append("PING");
  (void)dirty->pipe_resp();  // one reply owed: a pool that "drained" it would recv
  closed->close();
  const auto before = respool::net::io_counters();
  pool->put(std::move(clean));
  pool->put(std::move(dirty));
  pool->put(std::move(extra));
  pool->put(std::move(closed));
  const auto after = respool::net::io_counters();
  EXPECT_EQ(after.sends, before.sends);
  EXPECT_EQ(after.recvs, before.recvs);
  EXPECT_EQ(after.sockopts, before.sockopts);
}

TEST_F(PoolTest, NullIsANoOp) {
  auto pool = must_create("tcp", server.addr(), 1);
  EXPECT_EQ(pool->put(nullptr), std::error_code());
  EXPECT_EQ(pool->avail(), 1);
}

TEST_F(PoolTest, ConnectionFromAnotherPoolIsAClearError) {
  auto pool_made = Pool::create("tcp", server.addr(), 1);
  auto& pool = pool_made.pool;
  [[maybe_unused]] auto& err = pool_made.error;
  auto other_made = Pool::create("tcp", server.addr(), 1);
  auto& other = other_made.pool;
  [[maybe_unused]] auto& err2 = other_made.error;
  ASSERT_FALSE(err);
  ASSERT_FALSE(err2);
  auto theirs = must_get(*other);
  EXPECT_EQ(pool->put(std::move(theirs)), errc::foreign_connection);
  EXPECT_EQ(pool->avail(), 1);
  EXPECT_EQ(pool->stats().foreign_puts, 1u);
  // It was closed: only `pool`'s idle connection is left.
  EXPECT_TRUE(wait_until([&] { return connected(server) == 1; }));
}

// The other pool learns that its connection is gone: its slot under
// max_open is free again, not lost for good.
TEST_F(PoolTest, ConnectionPutIntoAnotherPoolFreesItsSlotInItsOwn) {
  auto owner = must_create("tcp", server.addr(), 1, PoolOptions{.get_timeout = 200ms, .max_open = 1});
  auto other = must_create("tcp", server.addr(), 1);
  auto c = must_get(*owner);
  ASSERT_EQ(owner->stats().in_use, 1);
  EXPECT_EQ(other->put(std::move(c)), errc::foreign_connection);
  EXPECT_EQ(owner->stats().in_use, 0);
  EXPECT_EQ(owner->stats().abandoned, 1u);
  auto again = owner->get();  // dials a new one at once, within the cap
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(owner->stats().get_timeouts, 0u);
  owner->put(std::move(*again));
}

TEST_F(PoolTest, HandDialedConnectionIsForeign) {
  auto pool = must_create("tcp", server.addr(), 1);
  auto mine = respool::Client::dial("tcp", server.addr());
  ASSERT_TRUE(mine);
  EXPECT_EQ(pool->put(std::move(*mine)), errc::foreign_connection);
  EXPECT_EQ(pool->avail(), 1);
}

TEST_F(PoolTest, SecondPutOfTheSameConnectionIsNoDuplicate) {
  auto pool = must_create("tcp", server.addr(), 2);
  auto c = must_get(*pool);
  respool::Client* raw = c.get();
  EXPECT_EQ(pool->put(std::move(c)), std::error_code());
  // A buggy caller that kept the raw pointer puts it again.
  EXPECT_EQ(pool->put(ClientPtr(raw)), errc::foreign_connection);
  EXPECT_EQ(pool->avail(), 2);
  auto x = must_get(*pool), y = must_get(*pool);
  EXPECT_NE(x.get(), y.get());
  EXPECT_EQ(x->cmd("PING").str().value_or(""), "PONG");
}

}  // namespace
}  // namespace pooltest
