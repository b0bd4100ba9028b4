// What a real server never sends, from the scripted fake server: replies
// split into single bytes, bytes that are not RESP, lengths past the limits,
// a connection closed half-way through a reply, a reply that never comes or
// only trickles in. Everything but the first is critical.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "fake_server.hpp"
#include "redis_server.hpp"
#include "respool/client.hpp"
#include "respool/error.hpp"

namespace respool {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;
using clock = std::chrono::steady_clock;
using test::FakeServer;
namespace fake = test::fake;

std::unique_ptr<Client> dial(const FakeServer& server, DialOptions o = {}) {
  auto c = Client::dial("tcp", server.addr(), o);
  EXPECT_TRUE(c) << c.error().message();
  return c ? std::move(*c) : nullptr;
}

TEST(ClientMalformedReplies, ReplySplitIntoSingleBytesIsReassembled) {
  FakeServer server({fake::read_command(), fake::send_slowly("*3\r\n$3\r\nfoo\r\n:-42\r\n*1\r\n+OK\r\n"),
                     fake::read_command(), fake::send_slowly("$5\r\nhe\0lo\r\n"s), fake::hang()});
  auto c = dial(server);
  ASSERT_TRUE(c);
  Resp r = c->cmd("GET", "x");
  EXPECT_EQ(r.to_string(), "[\"foo\", -42, [\"OK\"]]");
  EXPECT_EQ(c->cmd("GET", "y").str().value(), "he\0lo"s);
  EXPECT_TRUE(c->is_clean());
  EXPECT_EQ(server.commands().size(), 2u);
  EXPECT_EQ(server.commands()[0], (std::vector<std::string>{"GET", "x"}));
  EXPECT_TRUE(server.errors().empty());
}

TEST(ClientMalformedReplies, UnknownTypeByteIsProtocolErrorAndCritical) {
  FakeServer server({fake::read_command(), fake::send("?what\r\n"), fake::hang()});
  auto c = dial(server);
  ASSERT_TRUE(c);
  Resp r = c->cmd("PING");
  EXPECT_EQ(r.err(), errc::protocol_error) << r.to_string();
  EXPECT_TRUE(c->is_closed());
  EXPECT_EQ(c->last_critical(), errc::protocol_error);
  EXPECT_EQ(c->cmd("PING").err(), errc::protocol_error);
  EXPECT_EQ(server.commands().size(), 1u);  // the second call sent nothing
}

TEST(ClientMalformedReplies, BulkLengthPastTheLimitIsLimitExceeded) {
  // Only the header arrives: the client must not wait for (or allocate) the claimed payload.
  FakeServer server({fake::read_command(), fake::send("$2048\r\n"), fake::hang()});
  DialOptions o;
  o.limits.max_bulk_length = 1024;
  auto c = dial(server, o);
  ASSERT_TRUE(c);
  Resp r = c->cmd("GET", "k");
  EXPECT_EQ(r.err(), errc::limit_exceeded) << r.to_string();
  EXPECT_TRUE(c->is_closed());
  EXPECT_TRUE(is_critical(c->last_critical()));
}

TEST(ClientMalformedReplies, HugeClaimedLengthWithDefaultLimitsIsLimitExceeded) {
  FakeServer server({fake::read_command(), fake::send("$1099511627776\r\n"), fake::hang()});
  auto c = dial(server);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->cmd("GET", "k").err(), errc::limit_exceeded);
}

TEST(ClientMalformedReplies, TooManyElementsIsLimitExceeded) {
  FakeServer server({fake::read_command(), fake::send("*1000\r\n"), fake::hang()});
  DialOptions o;
  o.limits.max_elements = 10;
  auto c = dial(server, o);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->cmd("LRANGE", "l", 0, -1).err(), errc::limit_exceeded);
}

TEST(ClientMalformedReplies, ConnectionClosedHalfWayThroughAReply) {
  FakeServer server({fake::read_command(), fake::send("$10\r\nhello"), fake::close()});
  auto c = dial(server);
  ASSERT_TRUE(c);
  Resp r = c->cmd("GET", "k");
  EXPECT_EQ(r.err(), errc::connection_closed) << r.to_string();
  EXPECT_TRUE(c->is_closed());
  EXPECT_EQ(c->last_critical(), errc::connection_closed);
}

TEST(ClientMalformedReplies, ConnectionClosedHalfWayThroughAPipeline) {
  FakeServer server(
      {fake::read_command(), fake::read_command(), fake::send("+OK\r\n*2\r\n:1\r\n"), fake::close()});
  auto c = dial(server);
  ASSERT_TRUE(c);
  c->pipe_append("SET", "a", 1);
  c->pipe_append("MGET", "a", "b");
  EXPECT_EQ(c->pipe_resp().str().value(), "OK");
  EXPECT_EQ(c->pipe_resp().err(), errc::connection_closed);
  EXPECT_EQ(c->pipe_pending(), 0u);
}

TEST(ClientMalformedReplies, ReplyThatNeverComesIsTimeout) {
  FakeServer server({fake::read_command(), fake::hang()});
  DialOptions o;
  o.read_timeout = 100ms;
  auto c = dial(server, o);
  ASSERT_TRUE(c);
  const auto start = clock::now();
  Resp r = c->cmd("GET", "k");
  const auto took = clock::now() - start;
  EXPECT_EQ(r.err(), errc::timeout) << r.to_string();
  EXPECT_GE(took, 90ms);
  EXPECT_LT(took, 5s);
  EXPECT_TRUE(c->is_closed());
}

TEST(ClientMalformedReplies, ReadTimeoutBoundsAWholeTricklingReply) {
  // Every byte comes well within the read timeout, but the whole reply
  // takes 40 x 25 ms = 1 s: the read timeout bounds the reply, not each recv.
  FakeServer server({fake::read_command(), fake::send_slowly("$36\r\n" + std::string(36, 'x') + "\r\n", 25ms),
                     fake::hang()});
  DialOptions o;
  o.read_timeout = 300ms;
  auto c = dial(server, o);
  ASSERT_TRUE(c);
  const auto start = clock::now();
  Resp r = c->cmd("GET", "k");
  const auto took = clock::now() - start;
  EXPECT_EQ(r.err(), errc::timeout) << r.to_string();
  EXPECT_LT(took, 5s);
  EXPECT_TRUE(c->is_closed());
}

TEST(ClientMalformedReplies, GarbageInsideALengthIsProtocolError) {
  FakeServer server({fake::read_command(), fake::send("$1x\r\nab\r\n"), fake::hang()});
  auto c = dial(server);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->cmd("GET", "k").err(), errc::protocol_error);
}

TEST(ClientMalformedReplies, RepliesNobodyAskedForMakeTheClientUnclean) {
  // Two replies to one command: the extra one stays buffered, and the pool
  // must not hand this connection to the next caller.
  FakeServer server({fake::read_command(), fake::send("+OK\r\n+EXTRA\r\n"), fake::hang()});
  auto c = dial(server);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->cmd("PING").str().value(), "OK");
  EXPECT_FALSE(c->is_clean());
  EXPECT_EQ(c->read_reply().str().value(), "EXTRA");
  EXPECT_TRUE(c->is_clean());
}

TEST(ClientMalformedReplies, HandshakeReplyCutOffFailsDial) {
  FakeServer server({fake::read_command(), fake::send("+O"), fake::close()});
  DialOptions o;
  o.db = 1;
  auto c = Client::dial("tcp", server.addr(), o);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), errc::connection_closed);
}

TEST(ClientMalformedReplies, HandshakeReplyThatNeverComesTimesOutDial) {
  FakeServer server({fake::read_command(), fake::read_command(), fake::hang()});
  DialOptions o;
  o.password = "pw";
  o.db = 1;
  o.read_timeout = 100ms;
  auto c = Client::dial("tcp", server.addr(), o);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), errc::timeout);
  // Both set-up commands went out in one write.
  ASSERT_TRUE(test::wait_until([&] { return server.commands().size() == 2; }));
  EXPECT_EQ(server.commands()[0], (std::vector<std::string>{"AUTH", "pw"}));
  EXPECT_EQ(server.commands()[1], (std::vector<std::string>{"SELECT", "1"}));
}

}  // namespace
}  // namespace respool
