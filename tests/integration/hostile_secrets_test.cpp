// Passwords never leak into errors, are kept only while a dial may need them,
// and a wrong password through the Pool is a clear error, never a broken
// pool. (client_auth_test.cpp covers the Client's dial; this covers every
// errc message, every path a failed AUTH takes to the caller, a server that
// echoes the password back, and the Pool.)
#include "fake_server.hpp"
#include "fault_helpers.hpp"
#include "pool/state.hpp"

namespace faulttest {
namespace {

namespace fake = respool::test::fake;

constexpr const char* kSecret = "s3cret-Hostile-Pa55";
constexpr const char* kWrong = "wr0ng-Hostile-Guess";

void expect_no_secret(const std::string& text, const std::string& where) {
  EXPECT_EQ(text.find(kSecret), std::string::npos) << where << ": " << text;
  EXPECT_EQ(text.find(kWrong), std::string::npos) << where << ": " << text;
}

TEST(HostileSecrets, EveryErrorMessageIsFixedTextWithoutUserData) {
  // Every code of the category, and some beyond it.
  for (int code = 0; code <= 64; ++code) {
    const std::error_code ec(code, respool::category());
    const std::string msg = ec.message();
    EXPECT_FALSE(msg.empty()) << code;
    expect_no_secret(msg, "errc " + std::to_string(code));
    expect_no_secret(Resp::io_error(ec).to_string(), "io_error " + std::to_string(code));
  }
}

class HostileSecretsServer : public ::testing::Test {
 protected:
  RedisServer server{{.extra_args = {"--requirepass", kSecret}}};
};

TEST_F(HostileSecretsServer, FailedAuthNeverShowsThePasswordOnAnyPath) {
  for (int protocol : {2, 3}) {
    for (const char* user : {"", "default"}) {
      DialOptions o;
      o.password = kWrong;
      o.username = user;
      o.protocol = protocol;
      const std::string where = "protocol " + std::to_string(protocol) + " user '" + user + "'";
      auto c = Client::dial("tcp", server.addr(), o);
      ASSERT_FALSE(c) << where;
      EXPECT_EQ(c.error(), errc::auth_failed) << where;
      expect_no_secret(c.error().message(), where);
    }
  }
  // AUTH sent by hand: the server's refusal is passed on as a value; Redis's
  // text names no password, and neither does anything respool adds.
  auto c = Client::dial("tcp", server.addr());
  ASSERT_TRUE(c);
  Resp r = (*c)->cmd("AUTH", kWrong);
  EXPECT_TRUE(r.is_server_error());
  expect_no_secret(r.error_message(), "AUTH by hand");
  expect_no_secret(r.to_string(), "AUTH by hand");
  expect_no_secret(r.err().message(), "AUTH by hand");
}

TEST(HostileSecrets, AServerEchoingThePasswordBackDoesNotLeakItIntoTheDialError) {
  // A hostile (or buggy) server quotes the password in its refusal: the
  // dial's error is auth_failed's fixed text, never the server's.
  respool::test::FakeServer server(
      {fake::read_command(), fake::send(std::string("-WRONGPASS your password ") + kWrong + " is wrong\r\n"),
       fake::hang()});
  DialOptions o;
  o.password = kWrong;
  auto c = Client::dial("tcp", server.addr(), o);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), errc::auth_failed);
  expect_no_secret(c.error().message(), "echoing server");
}

TEST_F(HostileSecretsServer, WrongPasswordThroughThePoolIsAClearErrorAtCreateAndAtGet) {
  PoolOptions o;
  o.dial_options.password = kWrong;
  auto made = Pool::create("tcp", server.addr(), 3, o);
  EXPECT_EQ(made.error, errc::auth_failed);
  expect_no_secret(made.error.message(), "create");
  auto& pool = *made.pool;
  EXPECT_EQ(pool.avail(), 0);

  auto c = pool.get();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), errc::auth_failed);
  Resp r = pool.cmd("PING");
  EXPECT_EQ(r.err(), errc::auth_failed);
  expect_no_secret(r.to_string(), "cmd");
  respool::Lease l = pool.lease();
  EXPECT_FALSE(l);
  EXPECT_EQ(l.error(), errc::auth_failed);
  const auto s = pool.stats();
  EXPECT_EQ(s.dial_errors, 4u);  // create (stops at the first failure) + get + cmd + lease
  EXPECT_EQ(s.dials, 0u);
  EXPECT_EQ(s.in_use, 0);
  EXPECT_EQ(s.dialing, 0);
  // The refused connections were closed: only the admin's own is left.
  DialOptions admin_o;
  admin_o.password = kSecret;
  auto admin = Client::dial("tcp", server.addr(), admin_o);
  ASSERT_TRUE(admin) << admin.error().message();
  EXPECT_TRUE(wait_until(
      [&] {
        return info_field((*admin)->cmd("INFO", "clients").str().value_or(""), "connected_clients") == 1;
      },
      5s))
      << "refused connections left open";

  // Not a broken pool: once the server accepts that password, it just works.
  ASSERT_EQ((*admin)->cmd("CONFIG", "SET", "requirepass", kWrong).str().value_or(""), "OK");
  const std::string t = tag("auth");
  EXPECT_EQ(pool.cmd("ECHO", t).str().value_or(""), t);
  EXPECT_EQ(pool.avail(), 1);
}

TEST_F(HostileSecretsServer, ThePoolKeepsThePasswordForItsDialsUntilEmptied) {
  // Through PoolState, the Pool's insides, to see what it holds; shutdown()
  // is what Pool::empty() and ~Pool call.
  PoolOptions o;
  o.dial_options.password = kSecret;
  o.dial_options.username = "default";
  auto state = std::make_shared<respool::detail::PoolState>(
      "tcp", server.addr(), respool::detail::make_config(1, std::move(o)), std::error_code{});
  ASSERT_FALSE(state->start());
  EXPECT_TRUE(state->holds_dial_password());

  // Pre-dialed, then dialed on demand: both authenticated, neither client
  // keeps the password.
  auto first = state->get();
  auto second = state->get();
  ASSERT_TRUE(first) << first.error().message();
  ASSERT_TRUE(second) << second.error().message();
  for (auto* c : {&*first, &*second}) {
    EXPECT_EQ((*c)->cmd("PING").str().value_or(""), "PONG");
    EXPECT_TRUE((*c)->options().password.empty());
    EXPECT_EQ((*c)->options().username, "default");
  }
  EXPECT_EQ(state->stats().dials, 2u);
  state->put(std::move(*first));
  state->put(std::move(*second));
  EXPECT_TRUE(state->holds_dial_password());

  state->shutdown();
  EXPECT_FALSE(state->holds_dial_password());
  // Nothing dials without it: a later get() is pool_closed, not a dial
  // without the password.
  auto late = state->get();
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error(), errc::pool_closed);
}

}  // namespace
}  // namespace faulttest
