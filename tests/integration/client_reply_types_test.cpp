// Every RESP2 reply type, as a real redis-server sends it, through Client::cmd.
#include <gtest/gtest.h>

#include <memory>

#include "client_helpers.hpp"
#include "redis_server.hpp"
#include "respool/client.hpp"
#include "respool/error.hpp"

namespace respool {
namespace {

using test::dial_shared;

TEST(ClientReplyTypes, SimpleStringFromSet) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  Resp r = c->cmd("SET", "k", "v");
  EXPECT_EQ(r.type(), Resp::Type::simple_string);
  EXPECT_EQ(r.str().value(), "OK");
  EXPECT_FALSE(r.err());
}

TEST(ClientReplyTypes, BulkStringFromGet) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  ASSERT_FALSE(c->cmd("SET", "k", "hello world").err());
  Resp r = c->cmd("GET", "k");
  EXPECT_EQ(r.type(), Resp::Type::bulk_string);
  EXPECT_EQ(r.bytes().value(), "hello world");
}

TEST(ClientReplyTypes, EmptyBulkString) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  ASSERT_FALSE(c->cmd("SET", "k", "").err());
  Resp r = c->cmd("GET", "k");
  EXPECT_EQ(r.type(), Resp::Type::bulk_string);
  EXPECT_EQ(r.bytes().value(), "");
}

TEST(ClientReplyTypes, IntegerFromIncrAndNegative) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  Resp r = c->cmd("INCRBY", "n", -42);
  EXPECT_EQ(r.type(), Resp::Type::integer);
  EXPECT_EQ(r.integer().value(), -42);
  EXPECT_EQ(c->cmd("INCR", "n").integer().value(), -41);
}

TEST(ClientReplyTypes, ArrayFromLrange) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  ASSERT_EQ(c->cmd("RPUSH", "l", "a", "b", "c").integer().value(), 3);
  Resp r = c->cmd("LRANGE", "l", 0, -1);
  EXPECT_EQ(r.type(), Resp::Type::array);
  EXPECT_EQ(r.list().value(), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(ClientReplyTypes, EmptyArrayFromMissingList) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  Resp r = c->cmd("LRANGE", "missing", 0, -1);
  EXPECT_EQ(r.type(), Resp::Type::array);
  EXPECT_TRUE(r.array().value().empty());
}

TEST(ClientReplyTypes, NilBulkFromMissingKey) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  Resp r = c->cmd("GET", "missing");
  EXPECT_TRUE(r.is_nil());
  EXPECT_FALSE(r.err());  // nil is not an error
  EXPECT_EQ(r.str().error(), errc::nil_reply);
}

TEST(ClientReplyTypes, NilArrayFromBlpopTimeout) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  Resp r = c->cmd("BLPOP", "missing", 0.01);
  EXPECT_TRUE(r.is_nil()) << r.to_string();
}

TEST(ClientReplyTypes, NilElementsInsideArray) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  ASSERT_FALSE(c->cmd("SET", "a", "1").err());
  Resp r = c->cmd("MGET", "a", "missing");
  auto els = r.array();
  ASSERT_TRUE(els);
  ASSERT_EQ(els->size(), 2u);
  EXPECT_EQ((*els)[0].str().value(), "1");
  EXPECT_TRUE((*els)[1].is_nil());
}

TEST(ClientReplyTypes, NestedArraysFromLua) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  Resp r = c->cmd("EVAL", "return {1, {2, {3, 'x'}}, 'y'}", 0);
  EXPECT_EQ(r.to_string(),
            Resp::aggregate(Resp::Type::array,
                            {Resp::integer_value(1),
                             Resp::aggregate(Resp::Type::array,
                                             {Resp::integer_value(2),
                                              Resp::aggregate(Resp::Type::array, {Resp::integer_value(3),
                                                                                  Resp::bulk_string("x")})}),
                             Resp::bulk_string("y")})
                .to_string());
  EXPECT_EQ(r.array().value()[1].array().value()[1].array().value()[1].str().value(), "x");
}

TEST(ClientReplyTypes, ServerErrorIsNotCritical) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  Resp r = c->cmd("NOSUCHCOMMAND", "x");
  EXPECT_TRUE(r.is_server_error());
  EXPECT_EQ(r.err(), errc::server_error);
  EXPECT_NE(r.error_message().find("unknown command"), std::string::npos) << r.error_message();
  EXPECT_FALSE(c->last_critical());
  EXPECT_FALSE(c->is_closed());
  EXPECT_EQ(c->cmd("PING").str().value(), "PONG");
}

TEST(ClientReplyTypes, WrongTypeErrorIsNotCritical) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  ASSERT_FALSE(c->cmd("SET", "s", "v").err());
  Resp r = c->cmd("LPUSH", "s", "x");
  EXPECT_TRUE(r.is_server_error());
  EXPECT_EQ(r.error_message().rfind("WRONGTYPE", 0), 0u) << r.error_message();
  EXPECT_TRUE(c->is_clean());
  EXPECT_EQ(c->cmd("GET", "s").str().value(), "v");
}

TEST(ClientReplyTypes, RuntimeArgvForm) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  const std::string_view argv[] = {"SET", "k", "via argv"};
  EXPECT_EQ(c->cmd_argv(argv).str().value(), "OK");
  EXPECT_EQ(c->cmd("GET", "k").str().value(), "via argv");
}

TEST(ClientReplyTypes, EmptyArgvIsInvalidArgumentAndNotCritical) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  Resp r = c->cmd_argv({});
  EXPECT_TRUE(r.is_io_error());
  EXPECT_EQ(r.err(), errc::invalid_argument);
  EXPECT_FALSE(c->last_critical());
  EXPECT_EQ(c->cmd("PING").str().value(), "PONG");
}

TEST(ClientReplyTypes, ArgumentsOfEveryKindAreEncoded) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  const std::vector<std::string> fields = {"f1", "a", "f2", "b"};
  EXPECT_EQ(c->cmd("HSET", "h", fields, std::pair{"f3", 3}, "f4", 2.5, "f5", true).integer().value(), 5);
  auto m = c->cmd("HGETALL", "h").map().value();
  EXPECT_EQ(m.at("f1"), "a");
  EXPECT_EQ(m.at("f3"), "3");
  EXPECT_EQ(m.at("f4"), "2.5");
  EXPECT_EQ(m.at("f5"), "1");
}

}  // namespace
}  // namespace respool
