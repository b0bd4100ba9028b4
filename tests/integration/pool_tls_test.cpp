// A Pool over TLS (dial_options.tls, or a custom dial with a client
// certificate), its dial errors, and the cache of TLS contexts that keeps a
// pool from parsing its CA file at every dial.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <respool/respool.hpp>
#include <string>
#include <thread>
#include <vector>

#include "net/tls_context.hpp"
#include "pool_helpers.hpp"
#include "redis_server.hpp"
#include "tls_certs.hpp"

namespace {

using namespace std::chrono_literals;
using respool::DialOptions;
using respool::errc;
using respool::Pool;
using respool::PoolOptions;
using respool::test::RedisServer;
using respool::test::tls_certs;

using respool::test::tls_options;
using respool::test::tls_server;

TEST(TlsPool, DialOptionsOverTlsFromManyThreads) {
  RedisServer server(tls_server());
  const auto builds_before = respool::net::tls_context_builds();
  // Named, not a structured binding: clang < 16 can't capture one in a lambda.
  auto made = Pool::create("tcp", server.addr(), 4, PoolOptions{.dial_options = tls_options()});
  ASSERT_FALSE(made.error) << made.error.message();
  auto& pool = made.pool;

  constexpr int kThreads = 4;
  constexpr int kCommands = 200;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string key = "tls-pool-" + std::to_string(t);
      for (int i = 0; i < kCommands; ++i) {
        if (pool->cmd("INCR", key).integer().value_or(-1) != i + 1) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE(pool->stats().dials, 8u);
  // Every dial of the pool shared one context: the CA file was parsed once.
  EXPECT_LE(respool::net::tls_context_builds() - builds_before, 1u);

  auto lease = pool->lease();
  ASSERT_TRUE(lease) << lease.error().message();
  EXPECT_EQ(lease->cmd("PING").str().value(), "PONG");
}

TEST(TlsPool, CustomDialWithClientCertificate) {
  RedisServer server(tls_server("yes"));
  DialOptions o = tls_options();
  o.tls.cert_file = tls_certs().client_cert();
  o.tls.key_file = tls_certs().client_key();
  std::atomic<int> dials{0};
  auto dial = [&, o](std::string_view network, std::string_view addr) {
    ++dials;
    return respool::Client::dial(network, addr, o);
  };
  auto [pool, err] = Pool::create("tcp", server.addr(), 2, PoolOptions{.dial = dial});
  ASSERT_FALSE(err) << err.message();
  EXPECT_EQ(dials.load(), 2);
  EXPECT_EQ(pool->cmd("SET", "k", "v").str().value(), "OK");
  EXPECT_EQ(pool->cmd("GET", "k").str().value(), "v");
}

TEST(TlsPool, DialErrorsAreReportedAndGetFailsTheSameWay) {
  RedisServer server(tls_server());
  DialOptions o = tls_options();
  o.tls.ca_file = tls_certs().other_ca_file();
  auto [pool, err] = Pool::create("tcp", server.addr(), 2, PoolOptions{.dial_options = o});
  EXPECT_EQ(err, errc::tls_certificate_invalid) << err.message();
  auto c = pool->get();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), errc::tls_certificate_invalid);
  EXPECT_EQ(pool->stats().dials, 0u);
}

TEST(TlsContextCache, SameFilesShareOneContextAndAChangedFileIsReloaded) {
  // A private copy of the CA file, so that touching it affects only us.
  const auto dir = std::filesystem::path(tls_certs().dir());
  const auto ca = dir / ("ca-copy-" + std::to_string(::getpid()) + ".crt");
  std::filesystem::copy_file(tls_certs().ca_file(), ca, std::filesystem::copy_options::overwrite_existing);
  respool::TlsOptions o;
  o.enabled = true;
  o.ca_file = ca.string();

  auto first = respool::net::TlsContext::get(o);
  ASSERT_TRUE(first) << first.error().message();
  auto again = respool::net::TlsContext::get(o);
  ASSERT_TRUE(again);
  EXPECT_EQ(first->get(), again->get());

  // Other options, other context.
  respool::TlsOptions unverified = o;
  unverified.verify = false;
  auto other = respool::net::TlsContext::get(unverified);
  ASSERT_TRUE(other);
  EXPECT_NE(other->get(), first->get());

  // The file renewed on disk (a new modification time): a new context.
  std::filesystem::last_write_time(ca, std::filesystem::last_write_time(ca) + 1s);
  auto renewed = respool::net::TlsContext::get(o);
  ASSERT_TRUE(renewed);
  EXPECT_NE(renewed->get(), first->get());

  // Gone: a configuration error, not the stale context.
  std::filesystem::remove(ca);
  auto gone = respool::net::TlsContext::get(o);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error(), errc::tls_config);
}

}  // namespace
