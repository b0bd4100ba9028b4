// RESP3 reply types from a real redis-server after DialOptions::protocol = 3
// (HELLO 3 at dial).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "redis_server.hpp"
#include "respool/client.hpp"
#include "respool/error.hpp"

namespace respool {
namespace {

std::unique_ptr<Client> dial_resp3() {
  DialOptions o;
  o.protocol = 3;
  auto c = Client::dial("tcp", test::shared_server().addr(), o);
  EXPECT_TRUE(c) << c.error().message();
  return c ? std::move(*c) : nullptr;
}

TEST(ClientResp3, HelloRepliesWithAMapThatSaysProto3) {
  auto c = dial_resp3();
  ASSERT_TRUE(c);
  Resp r = c->cmd("HELLO", 3);
  EXPECT_EQ(r.type(), Resp::Type::map);
  // map() converts values with str(), and "modules" is an array: walk the pairs.
  auto els = r.array().value();
  ASSERT_EQ(els.size() % 2, 0u);
  std::string server, proto;
  for (std::size_t i = 0; i < els.size(); i += 2) {
    if (els[i].str().value() == "server") server = els[i + 1].str().value();
    if (els[i].str().value() == "proto") proto = els[i + 1].str().value();
  }
  EXPECT_EQ(server, "redis");
  EXPECT_EQ(proto, "3");
}

TEST(ClientResp3, HgetallIsAMap) {
  auto c = dial_resp3();
  ASSERT_TRUE(c);
  ASSERT_EQ(c->cmd("HSET", "resp3:h", "a", 1, "b", 2).integer().value(), 2);
  Resp r = c->cmd("HGETALL", "resp3:h");
  EXPECT_EQ(r.type(), Resp::Type::map);
  EXPECT_EQ(r.array().value().size(), 4u);  // flat key, value, key, value
  auto m = r.map().value();
  EXPECT_EQ(m.size(), 2u);
  EXPECT_EQ(m.at("a"), "1");
  EXPECT_EQ(m.at("b"), "2");
}

TEST(ClientResp3, SmembersIsASet) {
  auto c = dial_resp3();
  ASSERT_TRUE(c);
  ASSERT_EQ(c->cmd("SADD", "resp3:s", "x", "y", "z").integer().value(), 3);
  Resp r = c->cmd("SMEMBERS", "resp3:s");
  EXPECT_EQ(r.type(), Resp::Type::set);
  auto l = r.list().value();
  std::sort(l.begin(), l.end());
  EXPECT_EQ(l, (std::vector<std::string>{"x", "y", "z"}));
}

TEST(ClientResp3, ZscoreIsADouble) {
  auto c = dial_resp3();
  ASSERT_TRUE(c);
  ASSERT_EQ(c->cmd("ZADD", "resp3:z", 2.5, "m").integer().value(), 1);
  Resp r = c->cmd("ZSCORE", "resp3:z", "m");
  EXPECT_EQ(r.type(), Resp::Type::double_number);
  EXPECT_EQ(r.number().value(), 2.5);
}

TEST(ClientResp3, InfiniteScoreIsAnInfiniteDouble) {
  auto c = dial_resp3();
  ASSERT_TRUE(c);
  ASSERT_EQ(c->cmd("ZADD", "resp3:zinf", "-inf", "m").integer().value(), 1);
  Resp r = c->cmd("ZSCORE", "resp3:zinf", "m");
  EXPECT_EQ(r.type(), Resp::Type::double_number);
  EXPECT_TRUE(std::isinf(r.number().value()));
  EXPECT_LT(r.number().value(), 0);
}

TEST(ClientResp3, LuaTrueIsABoolean) {
  auto c = dial_resp3();
  ASSERT_TRUE(c);
  Resp r = c->cmd("EVAL", "redis.setresp(3); return true", 0);
  EXPECT_EQ(r.type(), Resp::Type::boolean);
  EXPECT_TRUE(r.boolean().value());
}

TEST(ClientResp3, DebugProtocolFalseIsABoolean) {
  auto c = dial_resp3();
  ASSERT_TRUE(c);
  Resp r = c->cmd("DEBUG", "PROTOCOL", "false");
  EXPECT_EQ(r.type(), Resp::Type::boolean);
  EXPECT_FALSE(r.boolean().value());
}

TEST(ClientResp3, NullIsNil) {
  auto c = dial_resp3();
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->cmd("GET", "missing").is_nil());
  EXPECT_TRUE(c->cmd("DEBUG", "PROTOCOL", "null").is_nil());
}

TEST(ClientResp3, BigNumberKeepsItsDigits) {
  auto c = dial_resp3();
  ASSERT_TRUE(c);
  Resp r = c->cmd("DEBUG", "PROTOCOL", "bignum");
  EXPECT_EQ(r.type(), Resp::Type::big_number);
  EXPECT_EQ(r.str().value(), "1234567999999999999999999999999999999");
  EXPECT_EQ(r.integer().error(), errc::not_a_number);  // too big for int64
}

TEST(ClientResp3, VerbatimStringHasFormatAndText) {
  auto c = dial_resp3();
  ASSERT_TRUE(c);
  Resp r = c->cmd("DEBUG", "PROTOCOL", "verbatim");
  EXPECT_EQ(r.type(), Resp::Type::verbatim_string);
  EXPECT_EQ(r.format(), "txt");
  EXPECT_EQ(r.str().value(), "This is a verbatim\nstring");
}

TEST(ClientResp3, InfoIsAVerbatimString) {
  auto c = dial_resp3();
  ASSERT_TRUE(c);
  Resp r = c->cmd("INFO", "server");
  EXPECT_EQ(r.type(), Resp::Type::verbatim_string);
  EXPECT_NE(r.str().value().find("redis_version:"), std::string::npos);
}

TEST(ClientResp3, AttributeIsAttachedToTheReplyThatFollows) {
  auto c = dial_resp3();
  ASSERT_TRUE(c);
  Resp r = c->cmd("DEBUG", "PROTOCOL", "attrib");
  EXPECT_EQ(r.str().value(), "Some real reply following the attribute");
  ASSERT_NE(r.attributes(), nullptr);
  EXPECT_EQ(r.attributes()->type(), Resp::Type::map);
  auto els = r.attributes()->array().value();
  ASSERT_EQ(els.size(), 2u);
  EXPECT_EQ(els[0].str().value(), "key-popularity");
  EXPECT_EQ(els[1].array().value().size(), 2u);
  // The stream stays aligned: the next command gets its own reply.
  EXPECT_EQ(c->cmd("PING").str().value(), "PONG");
}

TEST(ClientResp3, SubscribeConfirmationAndMessagesArePushes) {
  auto sub = dial_resp3();
  auto pub = dial_resp3();
  ASSERT_TRUE(sub && pub);
  sub->pipe_append("SUBSCRIBE", "news");
  Resp confirm = sub->pipe_resp();
  EXPECT_EQ(confirm.type(), Resp::Type::push);
  EXPECT_EQ(sub->subscriptions(), 1);
  EXPECT_EQ(confirm.array().value()[0].str().value(), "subscribe");
  EXPECT_FALSE(sub->is_clean());  // a subscribed connection is never handed to someone else

  EXPECT_EQ(pub->cmd("PUBLISH", "news", "hello").integer().value(), 1);
  Resp msg = sub->read_reply();
  EXPECT_EQ(msg.type(), Resp::Type::push);
  EXPECT_EQ(msg.list().value(), (std::vector<std::string>{"message", "news", "hello"}));
}

// Client-side caching: an invalidation push that arrives before a command's
// reply is never taken for that reply (it would shift every reply after it
// by one); read_reply() hands it over afterwards.
TEST(ClientResp3, InvalidationPushIsNeverTakenForACommandsReply) {
  auto c = dial_resp3();
  ASSERT_TRUE(c);
  ASSERT_EQ(c->cmd("CLIENT", "TRACKING", "on").str().value_or("?"), "OK");
  ASSERT_FALSE(c->cmd("SET", "resp3:tracked", "1").err());
  ASSERT_FALSE(c->cmd("DEL", "resp3:ctr").err());
  ASSERT_EQ(c->cmd("GET", "resp3:tracked").str().value_or("?"), "1");  // now tracked
  auto other = Client::dial("tcp", test::shared_server().addr());
  ASSERT_TRUE(other);
  ASSERT_FALSE((*other)->cmd("SET", "resp3:tracked", "2").err());  // invalidates it for c
  Resp incr = c->cmd("INCR", "resp3:ctr");
  ASSERT_EQ(incr.type(), Resp::Type::integer) << "a push was taken for INCR's reply";
  EXPECT_EQ(incr.integer().value_or(-1), 1);
  c->pipe_append("GET", "resp3:tracked");
  c->pipe_append("INCR", "resp3:ctr");
  EXPECT_EQ(c->pipe_resp().str().value_or("?"), "2");
  EXPECT_EQ(c->pipe_resp().integer().value_or(-1), 2);
  Resp push = c->read_reply();  // set aside, not lost
  ASSERT_EQ(push.type(), Resp::Type::push);
  auto els = push.array().value();
  ASSERT_GE(els.size(), 2u);
  EXPECT_EQ(els[0].str().value_or("?"), "invalidate");
}

TEST(ClientResp3, UnsubscribeWithoutSubscriptionsRepliesWithAPush) {
  auto c = dial_resp3();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->cmd("UNSUBSCRIBE").err(), errc::pubsub_command);  // refused, nothing sent
  EXPECT_TRUE(c->is_clean());
  c->pipe_append("UNSUBSCRIBE");
  Resp r = c->pipe_resp();  // its RESP3 reply is a push: read as the reply
  EXPECT_EQ(r.type(), Resp::Type::push) << r.err().message();
  EXPECT_EQ(c->subscriptions(), 0);
  EXPECT_EQ(c->cmd("PING").str().value_or("?"), "PONG");
  EXPECT_FALSE(c->is_clean());  // UNSUBSCRIBE is noted as changing the session
}

TEST(ClientResp3, SetupCommandsAllInOneDial) {
  test::RedisServer server({.extra_args = {"--requirepass", "pw"}});
  DialOptions o;
  o.protocol = 3;
  o.password = "pw";
  o.db = 2;
  o.client_name = "resp3-client";
  auto c = Client::dial("tcp", server.addr(), o);
  ASSERT_TRUE(c) << c.error().message();
  auto info = (*c)->cmd("CLIENT", "INFO").str().value();
  EXPECT_NE(info.find("name=resp3-client"), std::string::npos) << info;
  EXPECT_NE(info.find("db=2"), std::string::npos) << info;
  EXPECT_NE(info.find("resp=3"), std::string::npos) << info;
}

}  // namespace
}  // namespace respool
