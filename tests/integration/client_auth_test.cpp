// Authentication at dial: AUTH with requirepass, ACL users, and the
// auth_failed rule (any refused AUTH; WRONGPASS or NOAUTH on any set-up
// command). The password never appears in an error.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "redis_server.hpp"
#include "respool/client.hpp"
#include "respool/error.hpp"

namespace respool {
namespace {

constexpr const char* secret = "s3cret-Pa55";

test::RedisServer& password_server() {
  static test::RedisServer server({.extra_args = {"--requirepass", secret}});
  return server;
}

DialOptions with_password(std::string password, int protocol = 2) {
  DialOptions o;
  o.password = std::move(password);
  o.protocol = protocol;
  return o;
}

TEST(ClientAuth, RequirepassWithRightPassword) {
  auto c = Client::dial("tcp", password_server().addr(), with_password(secret));
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ((*c)->cmd("PING").str().value(), "PONG");
  EXPECT_TRUE((*c)->is_clean());
}

TEST(ClientAuth, RequirepassWithRightPasswordOverResp3) {
  auto c = Client::dial("tcp", password_server().addr(), with_password(secret, 3));
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ((*c)->cmd("PING").str().value(), "PONG");
}

TEST(ClientAuth, TheClientKeepsNoCopyOfThePasswordAfterDial) {
  for (int protocol : {2, 3}) {
    DialOptions o = with_password(secret, protocol);
    o.client_name = "kept";
    auto c = Client::dial("tcp", password_server().addr(), o);
    ASSERT_TRUE(c) << "protocol " << protocol << ": " << c.error().message();
    EXPECT_TRUE((*c)->options().password.empty()) << "protocol " << protocol;
    EXPECT_EQ((*c)->options().client_name, "kept");  // the other options are kept
    EXPECT_EQ(o.password, secret);                   // the caller's copy is the caller's
    // Authenticated all the same: no NOAUTH.
    EXPECT_EQ((*c)->cmd("PING").str().value(), "PONG") << "protocol " << protocol;
  }
}

TEST(ClientAuth, WrongPasswordFailsAtDialWithoutLeakingIt) {
  const std::string wrong = "not-the-password-xyz";
  for (int protocol : {2, 3}) {
    auto c = Client::dial("tcp", password_server().addr(), with_password(wrong, protocol));
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error(), errc::auth_failed) << "protocol " << protocol << ": " << c.error().message();
    EXPECT_EQ(c.error().message().find(wrong), std::string::npos);
    EXPECT_EQ(c.error().message().find(secret), std::string::npos);
  }
}

TEST(ClientAuth, NoPasswordGivenThenCommandsGetNoauthButDialSucceeds) {
  // Nothing is sent at dial without options, so the refusal comes later, as
  // a (non-critical) server error.
  auto c = Client::dial("tcp", password_server().addr());
  ASSERT_TRUE(c) << c.error().message();
  Resp r = (*c)->cmd("GET", "k");
  EXPECT_TRUE(r.is_server_error());
  EXPECT_EQ(r.error_message().rfind("NOAUTH", 0), 0u) << r.error_message();
  EXPECT_FALSE((*c)->last_critical());
}

TEST(ClientAuth, NoPasswordGivenButSetupCommandsIsAuthFailed) {
  DialOptions o;
  o.db = 1;
  auto c = Client::dial("tcp", password_server().addr(), o);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), errc::auth_failed);  // SELECT answered -NOAUTH

  DialOptions hello;
  hello.protocol = 3;
  c = Client::dial("tcp", password_server().addr(), hello);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), errc::auth_failed);  // HELLO 3 answered -NOAUTH
}

TEST(ClientAuth, AclUserWithItsPassword) {
  auto admin = Client::dial("tcp", test::shared_server().addr());
  ASSERT_TRUE(admin);
  ASSERT_EQ((*admin)->cmd("ACL", "SETUSER", "alice", "on", ">wonderland", "~*", "&*", "+@all").str().value(),
            "OK");
  for (int protocol : {2, 3}) {
    DialOptions o;
    o.username = "alice";
    o.password = "wonderland";
    o.protocol = protocol;
    auto c = Client::dial("tcp", test::shared_server().addr(), o);
    ASSERT_TRUE(c) << "protocol " << protocol << ": " << c.error().message();
    EXPECT_EQ((*c)->cmd("ACL", "WHOAMI").str().value(), "alice");
  }
}

TEST(ClientAuth, AclUserWithWrongPasswordOrDisabledIsAuthFailed) {
  auto admin = Client::dial("tcp", test::shared_server().addr());
  ASSERT_TRUE(admin);
  ASSERT_EQ((*admin)->cmd("ACL", "SETUSER", "bob", "on", ">builder", "~*", "+@all").str().value(), "OK");
  ASSERT_EQ((*admin)->cmd("ACL", "SETUSER", "carol", "off", ">pw", "~*", "+@all").str().value(), "OK");
  for (int protocol : {2, 3}) {
    DialOptions o;
    o.protocol = protocol;
    o.username = "bob";
    o.password = "wrong";
    auto c = Client::dial("tcp", test::shared_server().addr(), o);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error(), errc::auth_failed);
    o.username = "carol";
    o.password = "pw";
    c = Client::dial("tcp", test::shared_server().addr(), o);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error(), errc::auth_failed);
  }
}

TEST(ClientAuth, AclUserWithoutPermissionForSelectIsHandshakeFailed) {
  auto admin = Client::dial("tcp", test::shared_server().addr());
  ASSERT_TRUE(admin);
  ASSERT_EQ((*admin)->cmd("ACL", "SETUSER", "dave", "on", ">pw", "~*", "+@all", "-select").str().value(),
            "OK");
  DialOptions o;
  o.username = "dave";
  o.password = "pw";
  o.db = 1;
  auto c = Client::dial("tcp", test::shared_server().addr(), o);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), errc::handshake_failed);  // authenticated; SELECT refused (NOPERM)
}

TEST(ClientAuth, PasswordForAServerWithoutOneIsAuthFailed) {
  // Redis answers "ERR AUTH <password> called without any password
  // configured": the caller asked for authentication and did not get it.
  auto c = Client::dial("tcp", test::shared_server().addr(), with_password("whatever"));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), errc::auth_failed);
}

TEST(ClientAuth, UsernameWithoutPasswordIsInvalidArgument) {
  DialOptions o;
  o.username = "alice";
  auto c = Client::dial("tcp", test::shared_server().addr(), o);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), errc::invalid_argument);
}

}  // namespace
}  // namespace respool
