// Network faults under one Client, injected by the FaultProxy between the
// client and a real redis-server: each becomes a clear, critical error within
// the configured timeout, and a reply that comes late is never read.
#include "fault_helpers.hpp"
#include "fault_proxy.hpp"

namespace faulttest {
namespace {

using respool::test::FaultProxy;

// Short timeouts, so that every fault shows quickly.
DialOptions quick() {
  DialOptions o;
  o.connect_timeout = 1s;
  o.read_timeout = 200ms;
  o.write_timeout = 200ms;
  return o;
}

class FaultClient : public ::testing::Test {
 protected:
  RedisServer& server = respool::test::shared_server();
  FaultProxy proxy{server.port()};

  ClientPtr dial(DialOptions o = quick()) {
    auto c = Client::dial("tcp", proxy.addr(), o);
    EXPECT_TRUE(c) << c.error().message();
    return c ? std::move(*c) : nullptr;
  }

  // After a critical error: closed, and every later call fails the same way
  // without sending anything.
  static void expect_closed_with(Client& c, errc e) {
    EXPECT_TRUE(c.is_closed());
    EXPECT_EQ(c.last_critical(), e);
    EXPECT_EQ(c.cmd("ECHO", tag("after")).err(), e);
  }
};

TEST_F(FaultClient, ProxyWithoutFaultsIsTransparent) {
  auto c = dial();
  ASSERT_TRUE(c);
  const std::string key = tag("k");
  const std::string big(1 << 20, 'b');
  EXPECT_EQ(c->cmd("SET", key, big).str().value_or(""), "OK");
  EXPECT_EQ(c->cmd("GET", key).str().value_or(""), big);
  std::vector<std::string> tags;
  for (int i = 0; i < 1000; ++i) {
    tags.push_back(tag("p"));
    c->pipe_append("ECHO", tags.back());
  }
  for (const auto& t : tags) ASSERT_EQ(c->pipe_resp().str().value_or(""), t);
  EXPECT_EQ(proxy.accepted(), 1u);
}

TEST_F(FaultClient, ReplyLatencyBelowTheReadTimeoutOnlySlowsTheReply) {
  DialOptions o = quick();
  o.read_timeout = 5s;
  auto c = dial(o);
  ASSERT_TRUE(c);
  proxy.set_latency(FaultProxy::to_client, 100ms);
  const auto t0 = Clock::now();
  const std::string t = tag("slow");
  EXPECT_EQ(c->cmd("ECHO", t).str().value_or(""), t);
  EXPECT_GE(ms_since(t0), 95);
  EXPECT_TRUE(c->is_clean());
}

TEST_F(FaultClient, ReplyLatencyBeyondTheReadTimeoutIsTimeout) {
  auto c = dial();
  ASSERT_TRUE(c);
  proxy.set_latency(FaultProxy::to_client, 2s);
  const auto t0 = Clock::now();
  Resp r = c->cmd("ECHO", tag("late"));
  EXPECT_EQ(r.err(), errc::timeout) << r.to_string();
  EXPECT_GE(ms_since(t0), 190);
  EXPECT_LT(ms_since(t0), 1500);  // the read timeout, not the latency
  expect_closed_with(*c, errc::timeout);
}

TEST_F(FaultClient, RequestLatencyBeyondTheReadTimeoutIsTimeout) {
  auto c = dial();
  ASSERT_TRUE(c);
  proxy.set_latency(FaultProxy::to_server, 2s);
  const auto t0 = Clock::now();
  EXPECT_EQ(c->cmd("ECHO", tag("late")).err(), errc::timeout);
  EXPECT_LT(ms_since(t0), 1500);
  expect_closed_with(*c, errc::timeout);
}

// redis-plus-plus #579: packets silently dropped (no FIN, no RST) must not
// hang the caller.
TEST_F(FaultClient, StalledLinkIsTimeoutNotAHang) {
  auto c = dial();
  ASSERT_TRUE(c);
  ASSERT_EQ(c->cmd("PING").str().value_or(""), "PONG");
  proxy.stall(true);
  const auto t0 = Clock::now();
  EXPECT_EQ(c->cmd("ECHO", tag("stalled")).err(), errc::timeout);
  EXPECT_GE(ms_since(t0), 190);
  EXPECT_LT(ms_since(t0), 1500);
  expect_closed_with(*c, errc::timeout);
}

TEST_F(FaultClient, DroppedConnectionIsConnectionClosed) {
  auto c = dial();
  ASSERT_TRUE(c);
  ASSERT_EQ(c->cmd("PING").str().value_or(""), "PONG");
  proxy.drop_all();
  const auto t0 = Clock::now();
  EXPECT_EQ(c->cmd("ECHO", tag("dropped")).err(), errc::connection_closed);
  EXPECT_LT(ms_since(t0), 1500);  // generous; the errc shows it was no timeout
  expect_closed_with(*c, errc::connection_closed);
}

TEST_F(FaultClient, ResetConnectionIsConnectionClosed) {
  auto c = dial();
  ASSERT_TRUE(c);
  ASSERT_EQ(c->cmd("PING").str().value_or(""), "PONG");
  proxy.reset_all();
  const auto t0 = Clock::now();
  EXPECT_EQ(c->cmd("ECHO", tag("reset")).err(), errc::connection_closed);  // ECONNRESET
  EXPECT_LT(ms_since(t0), 1500);
  expect_closed_with(*c, errc::connection_closed);
}

TEST_F(FaultClient, ConnectionClosedHalfWayThroughAReplyIsConnectionClosed) {
  auto c = dial();
  ASSERT_TRUE(c);
  const std::string key = tag("k");
  ASSERT_EQ(c->cmd("SET", key, std::string(4096, 'v')).str().value_or(""), "OK");
  proxy.cut_next_reply(100);  // "$4096\r\n" and 93 bytes of the value
  const auto t0 = Clock::now();
  EXPECT_EQ(c->cmd("GET", key).err(), errc::connection_closed);
  EXPECT_LT(ms_since(t0), 1500);
  EXPECT_EQ(proxy.cuts(), 1u);
  expect_closed_with(*c, errc::connection_closed);
}

TEST_F(FaultClient, ConnectionClosedHalfWayThroughAPipelineFailsEveryOwedReply) {
  auto c = dial();
  ASSERT_TRUE(c);
  proxy.cut_next_reply(10);
  const std::string first = tag("0");  // "$N\r\n" + the tag is longer than 10 bytes
  c->pipe_append("ECHO", first);
  c->pipe_append("ECHO", tag("1"));
  c->pipe_append("ECHO", tag("2"));
  EXPECT_EQ(c->pipe_resp().err(), errc::connection_closed);
  EXPECT_EQ(c->pipe_pending(), 0u);
  EXPECT_EQ(c->pipe_resp().err(), errc::connection_closed);
}

TEST_F(FaultClient, BlackholedServerIsTimeoutAtTheFirstCommandOrAtDial) {
  proxy.blackhole(true);
  auto c = dial();  // no set-up command: the TCP connect alone succeeds
  ASSERT_TRUE(c);
  const auto t0 = Clock::now();
  EXPECT_EQ(c->cmd("PING").err(), errc::timeout);
  EXPECT_LT(ms_since(t0), 1500);
  expect_closed_with(*c, errc::timeout);

  DialOptions o = quick();
  o.client_name = "blackholed";  // a set-up command: the dial itself waits for its reply
  const auto t1 = Clock::now();
  auto d = Client::dial("tcp", proxy.addr(), o);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error(), errc::timeout);
  EXPECT_LT(ms_since(t1), 1500);
}

// hiredis #306: after a read timeout, the reply that arrives late must never
// be taken for the reply of the next command. The client closes on the
// timeout, so the next command fails without reading anything.
TEST_F(FaultClient, LateReplyIsNeverReadByTheNextCommand) {
  auto c = dial();
  ASSERT_TRUE(c);
  proxy.set_latency(FaultProxy::to_client, 400ms);
  const std::string first = tag("first");
  EXPECT_EQ(c->cmd("ECHO", first).err(), errc::timeout);
  proxy.set_latency(FaultProxy::to_client, 0ms);
  // Past the moment the late reply would have been delivered, the client
  // still refuses to read: every call fails with the timeout that closed it.
  const auto until = Clock::now() + 600ms;
  int calls = 0;
  while (Clock::now() < until) {
    Resp r = c->cmd("ECHO", tag("next"));
    ASSERT_EQ(r.err(), errc::timeout) << r.to_string();
    ++calls;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_GT(calls, 0);
  EXPECT_TRUE(wait_until([&] { return proxy.open_connections() == 0; }, 5s));  // the proxy saw the close
}

}  // namespace
}  // namespace faulttest
