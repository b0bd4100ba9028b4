// Helpers for the sentinel tests: the one Sentinel set-up of this process
// (started on first use, stopped at exit) and what a connection says about
// the server it talks to.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <respool/respool.hpp>
#include <string>

#include "redis_sentinel.hpp"

namespace sentineltest {

using namespace std::chrono_literals;
using respool::test::RedisSentinelSetup;
using respool::test::RedisServer;
using respool::test::wait_until;
using Clock = std::chrono::steady_clock;
using ClientPtr = std::unique_ptr<respool::Client>;

inline RedisSentinelSetup& setup() {
  static RedisSentinelSetup s;
  return s;
}

inline constexpr const char* kName = RedisSentinelSetup::kName;

// The port the server behind `c` listens on (INFO server), or -1.
inline int server_port(respool::Client& c) {
  auto text = c.cmd("INFO", "server").str();
  if (!text) return -1;
  const std::string v = respool::test::info_value(*text, "tcp_port");
  return v.empty() ? -1 : std::atoi(v.c_str());
}

// ROLE's first element ("master", "slave"), or "".
inline std::string role_of(respool::Client& c) {
  auto parts = c.cmd("ROLE").array();
  if (!parts || parts->empty()) return {};
  return (*parts)[0].str().value_or("");
}

// Threads of this process with the given name (/proc/self/task/*/comm).
inline int threads_named(const std::string& name) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(e.path() / "comm");
    std::string line;
    std::getline(comm, line);
    n += line == name ? 1 : 0;
  }
  return n;
}

inline double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// Short timeouts: a dead server is noticed quickly.
inline respool::DialOptions quick() {
  respool::DialOptions o;
  o.connect_timeout = 500ms;
  o.read_timeout = 1s;
  o.write_timeout = 1s;
  return o;
}

}  // namespace sentineltest
