// The hot path's system calls: a command is one send and, for a reply that
// fits in one read, one recv, with no setsockopt. Only a reply that needs
// several reads shrinks SO_RCVTIMEO to the time left (and the next reply
// restores it once).
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "client_helpers.hpp"
#include "net/socket.hpp"
#include "redis_server.hpp"
#include "respool/client.hpp"

namespace respool {
namespace {

using test::dial_shared;

net::IoCounters delta(const net::IoCounters& a, const net::IoCounters& b) {
  return {b.sends - a.sends, b.recvs - a.recvs, b.sockopts - a.sockopts};
}

TEST(ClientHotPath, CmdIsOneSendAndOneRecv) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  ASSERT_EQ(c->cmd("SET", "k", "v").str().value(), "OK");  // warm-up: applies the timeouts once
  for (int i = 0; i < 100; ++i) {
    const auto before = net::io_counters();
    Resp r = c->cmd("GET", "k");
    const auto d = delta(before, net::io_counters());
    ASSERT_EQ(r.str().value(), "v");
    ASSERT_EQ(d.sends, 1u);
    ASSERT_EQ(d.recvs, 1u);
    ASSERT_EQ(d.sockopts, 0u);
  }
}

TEST(ClientHotPath, ALargeReplyShrinksTheReadTimeoutAndTheNextCmdRestoresIt) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  ASSERT_EQ(c->cmd("SET", "big", std::string(4 << 20, 'x')).str().value(), "OK");
  auto before = net::io_counters();
  Resp r = c->cmd("GET", "big");
  auto d = delta(before, net::io_counters());
  ASSERT_EQ(r.bytes().value().size(), 4u << 20);
  EXPECT_GT(d.recvs, 1u);
  EXPECT_GE(d.sockopts, 1u);  // the reads after the first get the time left

  before = net::io_counters();
  EXPECT_EQ(c->cmd("PING").str().value(), "PONG");
  d = delta(before, net::io_counters());
  EXPECT_EQ(d.sockopts, 1u);  // the full read timeout is restored once
  before = net::io_counters();
  EXPECT_EQ(c->cmd("PING").str().value(), "PONG");
  EXPECT_EQ(delta(before, net::io_counters()).sockopts, 0u);
}

TEST(ClientHotPath, SetTimeoutsIsAppliedLazilyOnce) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  ASSERT_EQ(c->cmd("PING").str().value(), "PONG");
  c->set_timeouts(std::chrono::seconds(2), std::chrono::seconds(2));
  auto before = net::io_counters();
  ASSERT_EQ(c->cmd("PING").str().value(), "PONG");
  EXPECT_EQ(delta(before, net::io_counters()).sockopts, 2u);  // SO_SNDTIMEO and SO_RCVTIMEO
  before = net::io_counters();
  ASSERT_EQ(c->cmd("PING").str().value(), "PONG");
  EXPECT_EQ(delta(before, net::io_counters()).sockopts, 0u);
}

}  // namespace
}  // namespace respool
