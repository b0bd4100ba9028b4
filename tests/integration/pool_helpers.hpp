// Helpers for the pool's integration tests: what the server says about its
// connections and commands, probed over raw connections independent of
// respool (each probe is one connection of its own, not counted below).
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <respool/respool.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "redis_server.hpp"

namespace pooltest {

using namespace std::chrono_literals;
using respool::Client;
using respool::Delivery;
using respool::DialOptions;
using respool::errc;
using respool::Pool;
using respool::PoolOptions;
using respool::Resp;
using respool::test::RedisServer;
using respool::test::wait_until;
using Clock = std::chrono::steady_clock;

// The value of `field:` in an INFO-style reply, or -1.
inline long long info_field(const std::string& text, const std::string& field) {
  const auto at = text.find(field + ":");
  if (at == std::string::npos) return -1;
  return std::atoll(text.c_str() + at + field.size() + 1);
}

// Connections the server has open, not counting the probe's own.
inline int connected(const RedisServer& s) {
  return static_cast<int>(info_field(s.raw_command("INFO clients"), "connected_clients")) - 1;
}

// PING commands the server has run (cmdstat_ping:calls=N).
inline long long ping_calls(const RedisServer& s) {
  const std::string text = s.raw_command("INFO commandstats");
  const auto at = text.find("cmdstat_ping:calls=");
  return at == std::string::npos ? 0 : std::atoll(text.c_str() + at + 19);
}

// CLIENT LIST lines, without the probe's own.
inline std::vector<std::string> client_list(const RedisServer& s) {
  const std::string text = s.raw_command("CLIENT LIST");
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    if (line.find("id=") != std::string::npos && line.find("cmd=client|list") == std::string::npos)
      lines.push_back(line.substr(line.find("id=")));
    pos = end + 1;
  }
  return lines;
}

inline int count_with(const std::vector<std::string>& lines, const std::string& needle) {
  int n = 0;
  for (const auto& l : lines) n += l.find(needle) != std::string::npos ? 1 : 0;
  return n;
}

// Pool background threads of this process (named "respool-pool"; threads of
// other names, such as a sanitizer's own, are not counted).
inline int thread_count() {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(e.path() / "comm");
    std::string name;
    std::getline(comm, name);
    n += name == "respool-pool" ? 1 : 0;
  }
  return n;
}

inline double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

using ClientPtr = std::unique_ptr<respool::Client>;

inline ClientPtr must_get(respool::Pool& p) {
  auto c = p.get();
  EXPECT_TRUE(c) << c.error().message();
  return c ? std::move(*c) : nullptr;
}

// Pool::create that should succeed: records a test failure when it returns
// an error (the pool, never null, is returned either way).
inline std::shared_ptr<respool::Pool> must_create(std::string_view network, std::string_view addr, int size,
                                                  respool::PoolOptions options = {}) {
  auto made = respool::Pool::create(network, addr, size, std::move(options));
  EXPECT_FALSE(made.error) << made.error.message();
  return made.pool;
}

// A dial function that counts its calls (and can be told to fail).
struct CountingDial {
  std::shared_ptr<std::atomic<int>> calls = std::make_shared<std::atomic<int>>(0);
  respool::DialOptions options{};
  respool::DialFunc func() const {
    auto n = calls;
    auto o = options;
    return [n, o](std::string_view network, std::string_view addr) {
      ++*n;
      return respool::Client::dial(network, addr, o);
    };
  }
};

// A fresh server per test, so that connection counts are exact.
class PoolTest : public ::testing::Test {
 protected:
  RedisServer server;
};

}  // namespace pooltest
