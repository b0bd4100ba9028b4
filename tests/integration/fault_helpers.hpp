// Helpers shared by the fault tests (fault_*_test.cpp): unique tags for
// values, what the real server says about its clients, descriptor counts.
#pragma once

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <string_view>

#include "pool_helpers.hpp"

namespace faulttest {

using namespace pooltest;

// A value no other command of this process (or of an earlier run against
// the same server) ever carries: "<what>:<pid>:<run nonce>:<counter>". A
// reply meant for another command can't be mistaken for this one.
inline std::string tag(std::string_view what) {
  static const std::uint64_t nonce = std::random_device{}();
  static std::atomic<std::uint64_t> counter{0};
  return std::string(what) + ":" + std::to_string(::getpid()) + ":" + std::to_string(nonce) + ":" +
         std::to_string(++counter);
}

// Ids of the clients the server has open (not counting the probe).
inline std::set<long long> client_ids(const RedisServer& s) {
  std::set<long long> ids;
  for (const auto& line : client_list(s)) ids.insert(std::atoll(line.c_str() + 3));  // "id=<n> ..."
  return ids;
}

// Open file descriptors of this process.
inline int open_fds() {
  int n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n - 1;  // the iterator's own descriptor
}

// Whether this binary runs under a sanitizer (they slow everything 2-15x).
constexpr bool under_sanitizer() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
  return true;
#else
  return false;
#endif
#else
  return false;
#endif
}

}  // namespace faulttest
