// DialOptions sent at dial: db (SELECT), client_name (CLIENT SETNAME, or
// HELLO SETNAME over RESP3), and the validation of the options themselves.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "redis_server.hpp"
#include "respool/client.hpp"
#include "respool/error.hpp"

namespace respool {
namespace {

TEST(ClientDialOptions, DbPutsKeysInThatDatabase) {
  DialOptions o;
  o.db = 3;
  auto in3 = Client::dial("tcp", test::shared_server().addr(), o);
  auto in0 = Client::dial("tcp", test::shared_server().addr());
  ASSERT_TRUE(in3 && in0);
  ASSERT_EQ((*in3)->cmd("SET", "where", "three").str().value(), "OK");
  EXPECT_TRUE((*in0)->cmd("GET", "where").is_nil());
  EXPECT_EQ((*in3)->cmd("GET", "where").str().value(), "three");
  EXPECT_TRUE((*in3)->is_clean());  // SELECT at dial is the state the pool expects
  EXPECT_NE((*in3)->cmd("CLIENT", "INFO").str().value().find(" db=3 "), std::string::npos);
}

TEST(ClientDialOptions, DbOutOfRangeIsHandshakeFailed) {
  DialOptions o;
  o.db = 100000;
  auto c = Client::dial("tcp", test::shared_server().addr(), o);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), errc::handshake_failed);
}

TEST(ClientDialOptions, ClientNameIsVisibleInClientList) {
  for (int protocol : {2, 3}) {
    DialOptions o;
    o.client_name = "respool-test-" + std::to_string(protocol);
    o.protocol = protocol;
    auto c = Client::dial("tcp", test::shared_server().addr(), o);
    ASSERT_TRUE(c) << c.error().message();
    EXPECT_EQ((*c)->cmd("CLIENT", "GETNAME").str().value(), o.client_name);
    auto observer = Client::dial("tcp", test::shared_server().addr());
    ASSERT_TRUE(observer);
    auto list = (*observer)->cmd("CLIENT", "LIST").str().value();
    EXPECT_NE(list.find("name=" + o.client_name + " "), std::string::npos) << list;
  }
}

TEST(ClientDialOptions, ClientNameWithSpaceIsHandshakeFailed) {
  for (int protocol : {2, 3}) {
    DialOptions o;
    o.client_name = "has space";
    o.protocol = protocol;
    auto c = Client::dial("tcp", test::shared_server().addr(), o);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error(), errc::handshake_failed) << "protocol " << protocol;
  }
}

TEST(ClientDialOptions, OptionsOutOfRangeAreInvalidArgument) {
  auto expect_invalid = [](DialOptions o) {
    auto c = Client::dial("tcp", test::shared_server().addr(), o);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error(), errc::invalid_argument);
  };
  DialOptions o;
  o.protocol = 1;
  expect_invalid(o);
  o = {};
  o.protocol = 4;
  expect_invalid(o);
  o = {};
  o.db = -1;
  expect_invalid(o);
  o = {};
  o.connect_timeout = std::chrono::milliseconds(-1);
  expect_invalid(o);
  o = {};
  o.read_timeout = std::chrono::milliseconds(-1);
  expect_invalid(o);
  o = {};
  o.write_timeout = std::chrono::milliseconds(-1);
  expect_invalid(o);
  o = {};
  o.limits.max_depth = 0;
  expect_invalid(o);
}

TEST(ClientDialOptions, AccessorsReportWhatWasDialed) {
  DialOptions o;
  o.client_name = "acc";
  auto c = Client::dial("tcp", test::shared_server().addr(), o);
  ASSERT_TRUE(c);
  EXPECT_EQ((*c)->network(), "tcp");
  EXPECT_EQ((*c)->addr(), test::shared_server().addr());
  EXPECT_EQ((*c)->options().client_name, "acc");
  EXPECT_GE((*c)->native_handle(), 0);
}

TEST(ClientDialOptions, ZeroTimeoutsMeanNoLimit) {
  DialOptions o;
  o.connect_timeout = o.read_timeout = o.write_timeout = std::chrono::nanoseconds::zero();
  o.keepalive = std::chrono::seconds::zero();
  o.tcp_nodelay = false;
  auto c = Client::dial("tcp", test::shared_server().addr(), o);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ((*c)->cmd("PING").str().value(), "PONG");
}

TEST(ClientDialOptions, HugeTimeoutsDoNotOverflow) {
  DialOptions o;
  o.connect_timeout = o.read_timeout = o.write_timeout = std::chrono::nanoseconds::max();
  o.keepalive = std::chrono::seconds::max();
  auto c = Client::dial("tcp", test::shared_server().addr(), o);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ((*c)->cmd("SET", "k", std::string(4 << 20, 'x')).str().value(),
            "OK");  // several reads and writes
  EXPECT_EQ((*c)->cmd("STRLEN", "k").integer().value(), 4 << 20);
  EXPECT_EQ((*c)->cmd("GET", "k").str().value().size(), 4u << 20);
}

}  // namespace
}  // namespace respool
