// Timeouts: read (DEBUG SLEEP), write (a frozen server), connect (a listener
// whose backlog is full), and set_timeouts. A timeout is critical: the
// connection is closed and every later call returns the same error.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "redis_server.hpp"
#include "respool/client.hpp"
#include "respool/error.hpp"
#include "silent_listener.hpp"

namespace respool {
namespace {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

TEST(ClientTimeout, ReadTimeoutDuringDebugSleepClosesTheClient) {
  DialOptions o;
  o.read_timeout = 100ms;
  auto c = Client::dial("tcp", test::shared_server().addr(), o);
  ASSERT_TRUE(c) << c.error().message();
  const auto start = clock::now();
  Resp r = (*c)->cmd("DEBUG", "SLEEP", 1);
  const auto took = clock::now() - start;
  EXPECT_EQ(r.err(), errc::timeout) << r.to_string();
  EXPECT_GE(took, 90ms);
  EXPECT_LT(took, 900ms);  // well before the reply would have come
  EXPECT_TRUE((*c)->is_closed());
  EXPECT_EQ((*c)->last_critical(), errc::timeout);
  EXPECT_TRUE(is_critical((*c)->last_critical()));
  EXPECT_EQ((*c)->cmd("PING").err(), errc::timeout);  // later calls: the same error
}

TEST(ClientTimeout, SetTimeoutsChangesTheReadTimeout) {
  auto c = Client::dial("tcp", test::shared_server().addr());
  ASSERT_TRUE(c);
  (*c)->set_timeouts(50ms, 1s);
  EXPECT_EQ((*c)->cmd("DEBUG", "SLEEP", 0.3).err(), errc::timeout);

  auto d = Client::dial("tcp", test::shared_server().addr());
  ASSERT_TRUE(d);
  (*d)->set_timeouts(50ms, 1s);
  (*d)->set_timeouts(std::chrono::nanoseconds::zero(), std::chrono::nanoseconds::zero());  // no limit
  EXPECT_EQ((*d)->cmd("DEBUG", "SLEEP", 0.2).str().value(), "OK");
}

TEST(ClientTimeout, NegativeTimeoutFromSetTimeoutsTimesOutAtOnce) {
  auto c = Client::dial("tcp", test::shared_server().addr());
  ASSERT_TRUE(c);
  (*c)->set_timeouts(-1ms, 1s);
  EXPECT_EQ((*c)->cmd("PING").err(), errc::timeout);
  EXPECT_TRUE((*c)->is_closed());
}

TEST(ClientTimeout, WriteTimeoutWhenTheServerStopsReading) {
  test::RedisServer server;
  DialOptions o;
  o.write_timeout = 200ms;
  o.read_timeout = 200ms;
  auto c = Client::dial("tcp", server.addr(), o);
  ASSERT_TRUE(c);
  server.freeze();
  const std::string value(64 << 20, 'x');  // far more than the socket buffers hold
  const auto start = clock::now();
  Resp r = (*c)->cmd("SET", "k", value);
  const auto took = clock::now() - start;
  server.thaw();
  EXPECT_EQ(r.err(), errc::timeout) << r.to_string();
  EXPECT_LT(took, 5s);
  EXPECT_TRUE((*c)->is_closed());
}

TEST(ClientTimeout, ConnectTimeoutWhenTheListenerBacklogIsFull) {
  // A listener that never accepts, with its backlog filled: further SYNs are
  // dropped, so a connect can only time out.
  test::SilentListener listener(0);
  const std::string addr = listener.addr();

  std::vector<std::unique_ptr<Client>> fillers;  // each completes the TCP handshake, then waits in the queue
  DialOptions quick;
  quick.connect_timeout = 200ms;
  std::error_code ec;
  for (int i = 0; i < 16 && !ec; ++i) {
    auto c = Client::dial("tcp", addr, quick);
    if (c) {
      fillers.push_back(std::move(*c));
    } else {
      ec = c.error();
    }
  }
  if (!ec) GTEST_SKIP() << "the kernel kept accepting connections into the backlog";
  EXPECT_EQ(ec, errc::timeout) << ec.message();
}

}  // namespace
}  // namespace respool
