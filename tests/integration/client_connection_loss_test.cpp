// A connection that goes away under the client: CLIENT KILL, a killed
// server. Each is critical: the client closes and keeps returning the error.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "redis_server.hpp"
#include "respool/client.hpp"
#include "respool/error.hpp"

namespace respool {
namespace {

TEST(ClientConnectionLoss, ClientKillFromAnotherClientIsConnectionClosed) {
  auto victim = Client::dial("tcp", test::shared_server().addr());
  auto killer = Client::dial("tcp", test::shared_server().addr());
  ASSERT_TRUE(victim && killer);
  const auto id = (*victim)->cmd("CLIENT", "ID").integer().value();
  ASSERT_EQ((*killer)->cmd("CLIENT", "KILL", "ID", id).integer().value(), 1);

  Resp r = (*victim)->cmd("PING");
  EXPECT_EQ(r.err(), errc::connection_closed) << r.to_string();
  EXPECT_TRUE(r.is_io_error());
  EXPECT_TRUE((*victim)->is_closed());
  EXPECT_EQ((*victim)->last_critical(), errc::connection_closed);
  EXPECT_EQ((*victim)->cmd("PING").err(), errc::connection_closed);
  EXPECT_EQ((*victim)->read_reply().err(), errc::connection_closed);
  (*victim)->pipe_append("PING");
  EXPECT_EQ((*victim)->pipe_resp().err(), errc::connection_closed);
  EXPECT_FALSE((*victim)->is_clean());
}

TEST(ClientConnectionLoss, KilledServerIsCriticalAndRedialFailsRefused) {
  test::RedisServer server;
  auto c = Client::dial("tcp", server.addr());
  ASSERT_TRUE(c);
  ASSERT_EQ((*c)->cmd("PING").str().value(), "PONG");
  server.kill();
  Resp r = (*c)->cmd("PING");
  EXPECT_EQ(r.err(), errc::connection_closed) << r.to_string();
  EXPECT_TRUE((*c)->is_closed());
  auto again = Client::dial("tcp", server.addr());
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error(), std::error_code(ECONNREFUSED, std::system_category()));
}

TEST(ClientConnectionLoss, ReconnectAfterServerRestart) {
  test::RedisServer server;
  auto c = Client::dial("tcp", server.addr());
  ASSERT_TRUE(c);
  server.kill();
  server.start();
  EXPECT_TRUE((*c)->cmd("PING").is_io_error());
  auto fresh = Client::dial("tcp", server.addr());
  ASSERT_TRUE(fresh) << fresh.error().message();
  EXPECT_EQ((*fresh)->cmd("PING").str().value(), "PONG");
}

TEST(ClientConnectionLoss, PipelineCutByClientKillFailsAllOwedReplies) {
  auto victim = Client::dial("tcp", test::shared_server().addr());
  auto killer = Client::dial("tcp", test::shared_server().addr());
  ASSERT_TRUE(victim && killer);
  const auto id = (*victim)->cmd("CLIENT", "ID").integer().value();
  ASSERT_EQ((*killer)->cmd("CLIENT", "KILL", "ID", id).integer().value(), 1);
  for (int i = 0; i < 3; ++i) (*victim)->pipe_append("PING");
  EXPECT_EQ((*victim)->pipe_resp().err(), errc::connection_closed);
  EXPECT_EQ((*victim)->pipe_pending(), 0u);
  EXPECT_EQ((*victim)->pipe_resp().err(), errc::connection_closed);
}

}  // namespace
}  // namespace respool
