// SentinelSet: the sentinels a sentinel_pool asks, in the order it asks them
// (private). A sentinel that answers is moved to the front, so the next
// question goes to it first (as redis-py and go-redis do).
//
// Thread-safety: every member may be called from any thread (the dial
// function's callers and the watcher); the list and the dial options'
// password are under one mutex, never held across I/O.
//
// Blocking: ask() dials the sentinels one after the other until one
// answers: per sentinel, one dial and one command, each bounded by the
// sentinel dial options' timeouts.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "respool/client.hpp"
#include "respool/resp.hpp"
#include "respool/result.hpp"

namespace respool::detail {

class SentinelSet {
 public:
  SentinelSet(std::vector<std::string> addrs, DialOptions options);
  SentinelSet(const SentinelSet&) = delete;
  SentinelSet& operator=(const SentinelSet&) = delete;

  // Sends `argv` to the sentinels in turn until one gives a reply `accept`
  // takes; that sentinel moves to the front and its reply is returned.
  // With `kept` (the watcher's connection to the sentinel that answered it
  // last), that connection is asked first, and afterwards holds the
  // connection to the one that answered (or null). errc::no_primary when
  // no sentinel answers so; errc::pool_closed after wipe().
  Result<Resp> ask(std::span<const std::string_view> argv, const std::function<bool(const Resp&)>& accept,
                   std::unique_ptr<Client>* kept = nullptr);

  // A connection to the sentinel at `addr`, with the sentinel dial options.
  Result<std::unique_ptr<Client>> dial(const std::string& addr);

  // The sentinels, front first.
  std::vector<std::string> addresses() const;
  void move_to_front(const std::string& addr);

  // Wipes the password; later dials fail with errc::pool_closed.
  void wipe() noexcept;

 private:
  mutable std::mutex m_;
  std::vector<std::string> addrs_;
  DialOptions options_;
  bool wiped_ = false;
};

}  // namespace respool::detail
