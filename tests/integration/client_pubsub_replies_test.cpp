// Commands with several replies on a Client: (P|S)(UN)SUBSCRIBE answers
// once per channel. cmd() refuses them (it reads one reply); pipe_append
// counts one reply per channel, so no confirmation is ever left for the
// next command to take. The subscription count follows the server's.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "client_helpers.hpp"
#include "respool/client.hpp"
#include "respool/error.hpp"

namespace respool {
namespace {

using test::dial_shared;

// sub + psub of connection `id`, as CLIENT LIST reports them.
std::int64_t server_subscriptions(Client& observer, std::int64_t id) {
  std::istringstream in(observer.cmd("CLIENT", "LIST", "ID", id).str().value_or(""));
  std::int64_t n = 0;
  for (std::string kv; in >> kv;) {
    if (kv.starts_with("sub=") || kv.starts_with("psub=")) n += std::stoll(kv.substr(kv.find('=') + 1));
  }
  return n;
}

class PubsubReplies : public ::testing::TestWithParam<int> {
 protected:
  std::unique_ptr<Client> dial() {
    DialOptions o;
    o.protocol = GetParam();
    return dial_shared(o);
  }
};

TEST_P(PubsubReplies, CmdRefusesSubscribeAndTheNextCommandGetsItsOwnReply) {
  auto c = dial();
  ASSERT_TRUE(c);
  for (const char* name :
       {"SUBSCRIBE", "psubscribe", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE"}) {
    Resp r = c->cmd(name, "a", "b");
    EXPECT_EQ(r.err(), errc::pubsub_command) << name;
    EXPECT_EQ(r.delivery(), Delivery::not_sent);
    EXPECT_FALSE(c->is_closed());
    EXPECT_TRUE(c->is_clean()) << name;
  }
  std::string_view argv[] = {"SUBSCRIBE", "a"};
  EXPECT_EQ(c->cmd_argv(argv).err(), errc::pubsub_command);
  EXPECT_EQ(c->cmd("PING").str().value_or("?"), "PONG");
  EXPECT_EQ(c->cmd("ECHO", "x").str().value_or("?"), "x");
}

TEST_P(PubsubReplies, EveryConfirmationIsReadAndTheCountFollowsTheServer) {
  auto c = dial();
  auto observer = dial_shared();
  ASSERT_TRUE(c && observer);
  const auto id = c->cmd("CLIENT", "ID").integer().value_or(-1);
  c->pipe_append("SUBSCRIBE", "pr:a", "pr:b");
  c->pipe_append("PSUBSCRIBE", "pr:p*");
  EXPECT_EQ(c->pipe_pending(), 3u);
  for (const char* ch : {"pr:a", "pr:b", "pr:p*"}) {
    Resp r = c->pipe_resp();
    ASSERT_TRUE(r.is_aggregate()) << r.to_string();
    EXPECT_EQ(r.elements()[1].str().value_or("?"), ch);
  }
  EXPECT_EQ(c->pipe_pending(), 0u);
  EXPECT_EQ(c->subscriptions(), 3);
  EXPECT_EQ(server_subscriptions(*observer, id), 3);

  // A message published now is read as a message, not as a reply.
  ASSERT_EQ(observer->cmd("PUBLISH", "pr:a", "hello").integer().value_or(-1), 1);
  Resp msg = c->read_reply();
  ASSERT_TRUE(msg.is_aggregate()) << msg.to_string();
  EXPECT_EQ(msg.elements()[0].str().value_or("?"), "message");
  EXPECT_EQ(msg.elements()[2].str().value_or("?"), "hello");

  // A message that arrives while a confirmation is awaited is set aside.
  ASSERT_EQ(observer->cmd("PUBLISH", "pr:b", "early").integer().value_or(-1), 1);
  c->pipe_append("UNSUBSCRIBE", "pr:a");
  Resp conf = c->pipe_resp();
  ASSERT_TRUE(conf.is_aggregate());
  EXPECT_EQ(conf.elements()[0].str().value_or("?"), "unsubscribe");
  EXPECT_EQ(c->subscriptions(), 2);
  Resp early = c->read_reply();
  EXPECT_EQ(early.elements().size(), 3u);
  EXPECT_EQ(early.elements()[2].str().value_or("?"), "early");

  c->pipe_append("UNSUBSCRIBE");
  c->pipe_append("PUNSUBSCRIBE");
  while (c->pipe_pending() != 0) ASSERT_FALSE(c->pipe_resp().is_io_error());
  EXPECT_EQ(c->subscriptions(), 0);
  EXPECT_EQ(server_subscriptions(*observer, id), 0);
  // Out of subscribed mode: PING is a plain PONG again, in RESP2 too.
  EXPECT_EQ(c->cmd("PING").str().value_or("?"), "PONG");
  EXPECT_EQ(c->cmd("ECHO", "after").str().value_or("?"), "after");
  EXPECT_FALSE(c->is_clean());  // subscribing changed the session for good
}

TEST_P(PubsubReplies, SubscribeInsideMultiClosesTheConnection) {
  auto c = dial();
  ASSERT_TRUE(c);
  ASSERT_EQ(c->cmd("MULTI").str().value_or("?"), "OK");
  c->pipe_append("SUBSCRIBE", "pr:x", "pr:y");
  Resp r = c->pipe_resp();
  EXPECT_EQ(r.err(), errc::pubsub_in_transaction) << r.to_string();
  EXPECT_TRUE(c->is_closed());
}

TEST_P(PubsubReplies, HasUnreadInputSeesWhatPollCannot) {
  auto c = dial();
  auto publisher = dial_shared();
  ASSERT_TRUE(c && publisher);
  c->pipe_append("SUBSCRIBE", "pr:unread");
  ASSERT_FALSE(c->pipe_resp().err());
  EXPECT_FALSE(c->has_unread_input());
  publisher->cmd("PUBLISH", "pr:unread", "1");
  publisher->cmd("PUBLISH", "pr:unread", "2");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // both in the socket
  EXPECT_EQ(c->read_reply().elements().back().text(), "1");
  // One recv took both: the second is buffered, and the socket is empty.
  EXPECT_TRUE(c->has_unread_input());
  EXPECT_EQ(c->read_reply().elements().back().text(), "2");
  EXPECT_FALSE(c->has_unread_input());
}

INSTANTIATE_TEST_SUITE_P(Protocols, PubsubReplies, ::testing::Values(2, 3));

}  // namespace
}  // namespace respool
