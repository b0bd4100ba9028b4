// Careless or hostile arguments to public functions, where the other tests
// don't already cover them. Already covered elsewhere:
//   Client::dial: unknown network, bad tcp/unix addresses, unresolvable
//     hosts (client_address_test); out-of-range options (dial_options_test);
//     a user name without password (client_auth_test)
//   Client: cmd_argv({}) (reply_types_test); cmd/read_reply while a pipeline
//     is in flight, pipe_resp with nothing owed (pipeline_test); negative
//     set_timeouts (timeout_test)
//   Pool::create: bad network/address (pool_construction_test); negative
//     sizes, counts, durations, overflow without drain, a null client from a
//     DialFunc (unit/pool_parts_test); a size above Pool::max_size
//     (unit/hostile_arguments_test)
//   Pool::put: null, foreign, twice (pool_put_test)
// Filled here: command injection through arguments, names and passwords;
// an empty command name; every call on a closed Client; NUL bytes inside an
// address; an empty Lease.
#include "fault_helpers.hpp"

namespace faulttest {
namespace {

using namespace std::string_literals;

class HostileArguments : public ::testing::Test {
 protected:
  RedisServer& server = respool::test::shared_server();
  std::string sentinel = tag("sentinel");

  void SetUp() override {
    auto c = Client::dial("tcp", server.addr());
    ASSERT_TRUE(c);
    ASSERT_EQ((*c)->cmd("SET", sentinel, "alive").str().value_or(""), "OK");
  }
  // FLUSHALL never ran.
  void expect_sentinel_alive() {
    auto c = Client::dial("tcp", server.addr());
    ASSERT_TRUE(c);
    EXPECT_EQ((*c)->cmd("GET", sentinel).str().value_or(""), "alive");
  }
};

TEST_F(HostileArguments, CrlfInArgumentsNamesOrPasswordsInjectsNoCommand) {
  const std::string inject = "x\r\nFLUSHALL\r\n";
  auto c = Client::dial("tcp", server.addr());
  ASSERT_TRUE(c);
  const std::string key = tag("k") + inject;
  EXPECT_EQ((*c)->cmd("SET", key, inject).str().value_or(""), "OK");
  EXPECT_EQ((*c)->cmd("GET", key).str().value_or(""), inject);
  // A command name with CRLF is one (unknown) command: a server error, not critical.
  Resp r = (*c)->cmd("PING\r\nFLUSHALL");
  EXPECT_TRUE(r.is_server_error()) << r.to_string();
  EXPECT_FALSE((*c)->last_critical());

  DialOptions named;
  named.client_name = "n" + inject;
  auto d = Client::dial("tcp", server.addr(), named);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error(), errc::handshake_failed);

  DialOptions pw;
  pw.password = "p" + inject;
  d = Client::dial("tcp", server.addr(), pw);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error(), errc::auth_failed);
  expect_sentinel_alive();
}

TEST_F(HostileArguments, EmptyCommandNameIsAServerErrorAndTheConnectionStaysUsable) {
  auto c = Client::dial("tcp", server.addr());
  ASSERT_TRUE(c);
  Resp r = (*c)->cmd("");
  EXPECT_TRUE(r.is_server_error()) << r.to_string();
  EXPECT_EQ(r.err(), errc::server_error);
  const std::string t = tag("after");
  EXPECT_EQ((*c)->cmd("ECHO", t).str().value_or(""), t);
  EXPECT_TRUE((*c)->is_clean());
}

TEST_F(HostileArguments, EveryCallOnAClosedClientIsClientClosed) {
  auto c = Client::dial("tcp", server.addr());
  ASSERT_TRUE(c);
  (*c)->close();
  (*c)->close();  // idempotent
  EXPECT_TRUE((*c)->is_closed());
  EXPECT_FALSE((*c)->is_clean());
  EXPECT_EQ((*c)->cmd("PING").err(), errc::client_closed);
  const std::string_view argv[] = {"PING"};
  EXPECT_EQ((*c)->cmd_argv(argv).err(), errc::client_closed);
  EXPECT_EQ((*c)->read_reply().err(), errc::client_closed);
  (*c)->pipe_append("PING");
  EXPECT_EQ((*c)->pipe_resp().err(), errc::client_closed);
  EXPECT_EQ((*c)->pipe_pending(), 0u);
  (*c)->pipe_append("PING");
  EXPECT_EQ((*c)->pipe_clear(), (std::pair<std::size_t, std::size_t>{1, 0}));
  (*c)->set_timeouts(1s, 1s);  // harmless
  EXPECT_EQ((*c)->cmd("PING").err(), errc::client_closed);
  EXPECT_LT((*c)->native_handle(), 0);
}

// Regression: "127.0.0.1\0evil.example:<port>" dialed 127.0.0.1 (the host
// went to inet_pton/getaddrinfo as a C string, cut at the NUL).
TEST_F(HostileArguments, NulBytesInsideAnAddressAreBadAddress) {
  const std::string port = std::to_string(server.port());
  for (const std::string& addr :
       {"127.0.0.1:"s + port + "\0x"s, "127.0.0.1\0evil.example:"s + port, "\0"s + ":"s + port}) {
    auto c = Client::dial("tcp", addr);
    EXPECT_FALSE(c) << "an address with a NUL byte was dialed";
    if (!c) {
      EXPECT_EQ(c.error(), errc::bad_address) << c.error().message();
    }
    EXPECT_EQ(respool::Pool::create("tcp", addr, 1).error, errc::bad_address);
  }
  auto u = Client::dial("unix", server.unix_path() + "\0junk"s);
  EXPECT_FALSE(u) << "a unix path with a NUL byte was dialed";
}

TEST(HostileArgumentsLease, AnEmptyLeaseIsHarmless) {
  respool::Lease l;
  EXPECT_FALSE(l);
  EXPECT_FALSE(l.error());
  EXPECT_EQ(l.get(), nullptr);
  l.reset();
  l.reset();
  EXPECT_EQ(l.release(), nullptr);
  respool::Lease m = std::move(l);
  EXPECT_FALSE(m);
}

}  // namespace
}  // namespace faulttest
