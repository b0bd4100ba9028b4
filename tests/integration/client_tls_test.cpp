// TLS (DialOptions::tls) against a real redis-server serving TLS, with
// certificates made at test time: commands, verification of the chain and
// of the name, client certificates, mistakes that must fail fast with a
// clear error, the timeouts, and the cost per command.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <system_error>

#include "fake_server.hpp"
#include "net/socket.hpp"
#include "redis_server.hpp"
#include "respool/client.hpp"
#include "respool/error.hpp"
#include "silent_listener.hpp"
#include "tls_certs.hpp"

namespace respool {
namespace {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;
using test::RedisServer;
using test::RedisServerOptions;
using test::tls_certs;

// Dial settings for the "fails fast" cases: a long connect timeout, so that
// a failure well inside it can't be the timeout.
constexpr auto kLongTimeout = 10s;
constexpr auto kFast = 3s;

using test::tls_server;

DialOptions tls_options() {
  DialOptions o = test::tls_options();
  o.connect_timeout = kLongTimeout;
  return o;
}

std::string localhost_addr(const RedisServer& s) { return "localhost:" + std::to_string(s.port()); }

// The error of a dial, or else of the first command on the dialed client:
// with TLS 1.3 a server refuses a client certificate only after the
// client's side of the handshake is done.
std::error_code dial_or_first_command_error(const std::string& addr, const DialOptions& o) {
  auto c = Client::dial("tcp", addr, o);
  if (!c) return c.error();
  return (*c)->cmd("PING").err();
}

TEST(TlsClient, CommandsRepliesAndPipelinesWork) {
  RedisServer server(tls_server());
  auto c = Client::dial("tcp", server.addr(), tls_options());
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ((*c)->cmd("SET", "k", "v").str().value(), "OK");
  EXPECT_EQ((*c)->cmd("GET", "k").str().value(), "v");

  // Bigger than a TLS record (16 KiB) and than one read: many records.
  const std::string big(3 << 20, 'x');
  EXPECT_EQ((*c)->cmd("SET", "big", big).str().value(), "OK");
  EXPECT_EQ((*c)->cmd("GET", "big").str().value(), big);

  for (int i = 0; i < 500; ++i) (*c)->pipe_append("INCR", "n");
  for (int i = 1; i <= 500; ++i) ASSERT_EQ((*c)->pipe_resp().integer().value(), i);
  EXPECT_TRUE((*c)->is_clean());

  // The server sees a TLS connection (redis has no field for it; a
  // plaintext probe can't reach this port at all: see below).
  EXPECT_EQ((*c)->cmd("PING").str().value(), "PONG");
}

TEST(TlsClient, SetUpCommandsRunOverTls) {
  RedisServer server(tls_server());
  DialOptions o = tls_options();
  o.protocol = 3;
  o.db = 2;
  o.client_name = "tls-client";
  auto c = Client::dial("tcp", server.addr(), o);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ((*c)->cmd("CLIENT", "GETNAME").str().value(), "tls-client");
  EXPECT_NE((*c)->cmd("CLIENT", "INFO").str().value().find(" db=2 "), std::string::npos);
}

TEST(TlsClient, HostNameOrIpIsVerified) {
  RedisServer server(tls_server());
  // A name: SNI and a DNS subjectAltName check.
  auto by_name = Client::dial("tcp", localhost_addr(server), tls_options());
  ASSERT_TRUE(by_name) << by_name.error().message();
  EXPECT_EQ((*by_name)->cmd("PING").str().value(), "PONG");
  // An IP literal: an IP subjectAltName check.
  auto by_ip = Client::dial("tcp", server.addr(), tls_options());
  ASSERT_TRUE(by_ip) << by_ip.error().message();
  // server_name overrides the host of the address.
  DialOptions o = tls_options();
  o.tls.server_name = "localhost";
  auto named = Client::dial("tcp", server.addr(), o);
  ASSERT_TRUE(named) << named.error().message();
  EXPECT_EQ((*named)->cmd("PING").str().value(), "PONG");
}

TEST(TlsClient, WrongHostNameFailsFast) {
  RedisServer server(tls_server());
  for (const char* name : {"redis.example.com", "127.0.0.2", "localhost.evil"}) {
    DialOptions o = tls_options();
    o.tls.server_name = name;
    const auto start = clock::now();
    auto c = Client::dial("tcp", server.addr(), o);
    ASSERT_FALSE(c) << name;
    EXPECT_EQ(c.error(), errc::tls_host_mismatch) << name << ": " << c.error().message();
    EXPECT_LT(clock::now() - start, kFast);
  }
}

TEST(TlsClient, UntrustedCaFailsFast) {
  RedisServer server(tls_server());
  DialOptions o = tls_options();
  o.tls.ca_file = tls_certs().other_ca_file();
  const auto start = clock::now();
  auto c = Client::dial("tcp", server.addr(), o);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), errc::tls_certificate_invalid) << c.error().message();
  EXPECT_LT(clock::now() - start, kFast);
  EXPECT_TRUE(is_critical(c.error()));
}

TEST(TlsClient, VerifyOffAcceptsAnyCertificate) {
  RedisServer server(tls_server());
  DialOptions o = tls_options();
  o.tls.ca_file = tls_certs().other_ca_file();
  o.tls.server_name = "redis.example.com";
  o.tls.verify = false;
  auto c = Client::dial("tcp", server.addr(), o);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ((*c)->cmd("PING").str().value(), "PONG");
}

TEST(TlsClient, ClientCertificateRequiredByTheServer) {
  RedisServer server(tls_server("yes"));
  DialOptions with = tls_options();
  with.tls.cert_file = tls_certs().client_cert();
  with.tls.key_file = tls_certs().client_key();
  auto c = Client::dial("tcp", server.addr(), with);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ((*c)->cmd("PING").str().value(), "PONG");

  const auto start = clock::now();
  const std::error_code without = dial_or_first_command_error(server.addr(), tls_options());
  EXPECT_EQ(without, errc::tls_handshake_failed) << without.message();
  EXPECT_LT(clock::now() - start, kFast);

  // A certificate the server's CA did not sign is refused the same way.
  DialOptions foreign = tls_options();
  foreign.tls.cert_file = tls_certs().other_ca_file();  // self-signed by the unrelated CA
  foreign.tls.key_file = tls_certs().dir() + "/other-ca.key";
  const std::error_code refused = dial_or_first_command_error(server.addr(), foreign);
  EXPECT_EQ(refused, errc::tls_handshake_failed) << refused.message();
}

TEST(TlsClient, ClientCertificateMissingUnderTls12FailsAtDial) {
  // TLS 1.2 refuses inside the handshake itself.
  RedisServerOptions so = tls_server("yes");
  so.extra_args = {"--tls-protocols", "TLSv1.2"};
  RedisServer server(so);
  const auto start = clock::now();
  auto c = Client::dial("tcp", server.addr(), tls_options());
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), errc::tls_handshake_failed) << c.error().message();
  EXPECT_LT(clock::now() - start, kFast);

  DialOptions with = tls_options();
  with.tls.cert_file = tls_certs().client_cert();
  with.tls.key_file = tls_certs().client_key();
  auto d = Client::dial("tcp", server.addr(), with);
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ((*d)->cmd("PING").str().value(), "PONG");
}

TEST(TlsClient, PeerThatDoesNotSpeakTlsFailsFast) {
  test::FakeServer server({test::fake::send("-ERR this is not TLS\r\n"), test::fake::hang()});
  const auto start = clock::now();
  auto c = Client::dial("tcp", server.addr(), tls_options());
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), errc::tls_handshake_failed) << c.error().message();
  EXPECT_LT(clock::now() - start, kFast);
}

TEST(TlsClient, PlaintextClientToTlsPortFailsFast) {
  RedisServer server(tls_server());
  DialOptions o;
  o.connect_timeout = kLongTimeout;
  o.read_timeout = kLongTimeout;
  o.client_name = "plain";  // a set-up command, so that dial itself talks to the server
  const auto start = clock::now();
  auto c = Client::dial("tcp", server.addr(), o);
  ASSERT_FALSE(c);
  // The server answers bytes that are not TLS with a TLS alert, or hangs up.
  EXPECT_TRUE(c.error() == errc::protocol_error || c.error() == errc::connection_closed)
      << c.error().message();
  EXPECT_LT(clock::now() - start, kFast);

  // Without set-up commands the dial is TCP only; the first command fails.
  o.client_name.clear();
  auto d = Client::dial("tcp", server.addr(), o);
  ASSERT_TRUE(d);
  const auto t0 = clock::now();
  const Resp r = (*d)->cmd("PING");
  EXPECT_TRUE(r.err() == errc::protocol_error || r.err() == errc::connection_closed) << r.to_string();
  EXPECT_LT(clock::now() - t0, kFast);
  EXPECT_TRUE((*d)->is_closed());
}

TEST(TlsClient, TlsClientToPlaintextPortFailsWithinTheConnectTimeout) {
  // A plaintext redis-server reads a ClientHello as an inline command that
  // never ends (it holds NUL bytes, and redis answers nothing): no client can
  // tell it from a slow server, so the handshake's bound, connect_timeout,
  // is what ends the dial.
  RedisServer server;  // plaintext
  DialOptions o = tls_options();
  o.connect_timeout = 300ms;
  o.read_timeout = 10s;  // not what bounds the handshake
  const auto start = clock::now();
  auto c = Client::dial("tcp", server.addr(), o);
  const auto took = clock::now() - start;
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), errc::timeout) << c.error().message();
  EXPECT_GE(took, 290ms);
  EXPECT_LT(took, kFast);
}

TEST(TlsClient, ConfigurationErrors) {
  RedisServer server(tls_server());
  const auto& certs = tls_certs();
  auto dial_error = [&](DialOptions o) {
    auto c = Client::dial("tcp", server.addr(), o);
    return c ? std::error_code() : c.error();
  };
  DialOptions o = tls_options();
  o.tls.ca_file = certs.dir() + "/missing-ca.crt";
  const auto start = clock::now();
  const std::error_code missing = dial_error(o);
  EXPECT_EQ(missing, errc::tls_config);
  EXPECT_LT(clock::now() - start, kFast);
  // Fixed text: no path, no name.
  EXPECT_EQ(missing.message().find("missing-ca"), std::string::npos);
  EXPECT_EQ(missing.message().find(certs.dir()), std::string::npos);

  o = tls_options();
  o.tls.ca_file = certs.server_key();  // not a certificate
  EXPECT_EQ(dial_error(o), errc::tls_config);
  o = tls_options();
  o.tls.ca_file.clear();
  o.tls.ca_dir = certs.dir() + "/no-such-dir";
  EXPECT_EQ(dial_error(o), errc::tls_config);
  o = tls_options();
  o.tls.cert_file = certs.client_cert();
  o.tls.key_file = certs.dir() + "/missing.key";
  EXPECT_EQ(dial_error(o), errc::tls_config);
  o.tls.key_file = certs.server_key();  // not the client certificate's key
  EXPECT_EQ(dial_error(o), errc::tls_config);

  // Options that can't make sense.
  o = tls_options();
  o.tls.cert_file = certs.client_cert();  // a certificate without its key
  EXPECT_EQ(dial_error(o), errc::invalid_argument);
  o = tls_options();
  auto unix_c = Client::dial("unix", server.unix_path(), o);
  ASSERT_FALSE(unix_c);
  EXPECT_EQ(unix_c.error(), errc::invalid_argument);  // TLS is for tcp only
  auto no_host = Client::dial("tcp", ":" + std::to_string(server.port()), o);
  ASSERT_FALSE(no_host);
  EXPECT_EQ(no_host.error(), errc::invalid_argument);  // no name to verify
  o.tls.server_name = "localhost";
  auto named = Client::dial("tcp", ":" + std::to_string(server.port()), o);
  EXPECT_TRUE(named) << named.error().message();
}

TEST(TlsClient, CaDirectoryIsTrusted) {
  RedisServer server(tls_server());
  DialOptions o = tls_options();
  o.tls.ca_file.clear();
  o.tls.ca_dir = tls_certs().ca_dir();
  auto c = Client::dial("tcp", server.addr(), o);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ((*c)->cmd("PING").str().value(), "PONG");
}

TEST(TlsClient, TheSystemTrustStoreIsTheDefault) {
  // Our test CA is not in the system store: verification fails, which shows
  // that verification is on when no CA is named.
  RedisServer server(tls_server());
  DialOptions o = tls_options();
  o.tls.ca_file.clear();
  auto c = Client::dial("tcp", server.addr(), o);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), errc::tls_certificate_invalid) << c.error().message();
}

TEST(TlsClient, HandshakeIsBoundedByTheConnectTimeout) {
  // A listener that never accepts: the kernel completes the TCP handshake
  // from the backlog, but nobody ever answers the ClientHello.
  respool::test::SilentListener listener(8);

  DialOptions o = tls_options();
  o.connect_timeout = 200ms;
  o.read_timeout = 10s;  // not what bounds the handshake
  const auto start = clock::now();
  auto c = Client::dial("tcp", listener.addr(), o);
  const auto took = clock::now() - start;
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), errc::timeout) << c.error().message();
  EXPECT_GE(took, 190ms);
  EXPECT_LT(took, kFast);
}

TEST(TlsClient, ReadTimeoutClosesTheConnection) {
  RedisServer server(tls_server());
  DialOptions o = tls_options();
  o.read_timeout = 100ms;
  auto c = Client::dial("tcp", server.addr(), o);
  ASSERT_TRUE(c) << c.error().message();
  const auto start = clock::now();
  const Resp r = (*c)->cmd("DEBUG", "SLEEP", 1);
  const auto took = clock::now() - start;
  EXPECT_EQ(r.err(), errc::timeout) << r.to_string();
  EXPECT_GE(took, 90ms);
  EXPECT_LT(took, 900ms);
  EXPECT_TRUE((*c)->is_closed());
  EXPECT_EQ((*c)->cmd("PING").err(), errc::timeout);
}

TEST(TlsClient, WriteTimeoutWhenTheServerStopsReading) {
  RedisServer server(tls_server());
  DialOptions o = tls_options();
  o.write_timeout = 200ms;
  o.read_timeout = 200ms;
  auto c = Client::dial("tcp", server.addr(), o);
  ASSERT_TRUE(c) << c.error().message();
  ASSERT_EQ((*c)->cmd("PING").str().value(), "PONG");
  server.freeze();
  const std::string value(64 << 20, 'x');
  const auto start = clock::now();
  const Resp r = (*c)->cmd("SET", "k", value);
  const auto took = clock::now() - start;
  server.thaw();
  EXPECT_EQ(r.err(), errc::timeout) << r.to_string();
  EXPECT_LT(took, kFast);
  EXPECT_TRUE((*c)->is_closed());
}

TEST(TlsClient, OneSendAndOneRecvPerCommand) {
  RedisServer server(tls_server());
  auto c = Client::dial("tcp", server.addr(), tls_options());
  ASSERT_TRUE(c) << c.error().message();
  // The first reply may come with the server's session tickets, in more
  // than one recv (the read timeout is then shrunk, and restored by the
  // next command: that setsockopt belongs to the warm-up).
  ASSERT_EQ((*c)->cmd("SET", "k", "v").str().value(), "OK");
  ASSERT_EQ((*c)->cmd("GET", "k").str().value(), "v");
  const auto before = net::io_counters();
  for (int i = 0; i < 100; ++i) ASSERT_EQ((*c)->cmd("GET", "k").str().value(), "v");
  const auto after = net::io_counters();
  EXPECT_EQ(after.sends - before.sends, 100u);
  EXPECT_EQ(after.recvs - before.recvs, 100u);
  EXPECT_EQ(after.sockopts - before.sockopts, 0u);
}

TEST(TlsClient, CloseIsCleanAndIdempotent) {
  RedisServer server(tls_server());
  auto c = Client::dial("tcp", server.addr(), tls_options());
  ASSERT_TRUE(c) << c.error().message();
  (*c)->close();
  (*c)->close();
  EXPECT_TRUE((*c)->is_closed());
  EXPECT_EQ((*c)->cmd("PING").err(), errc::client_closed);
  // The server saw the connection go: only the probe's own is left.
  EXPECT_TRUE(test::wait_until([&] {
    return server.raw_command("INFO clients").find("connected_clients:1\r\n") != std::string::npos;
  }));
}

}  // namespace
}  // namespace respool
