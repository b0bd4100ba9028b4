// Target: where a sentinel_pool's connections go, and the pool's dial
// function (private).
//
// It caches what the sentinels said last: the primary's address, or the
// healthy replicas (picked one after the other). A dial goes to the cached
// address (asking the sentinels first when there is none), checks the new
// connection with ROLE, and on a failed dial or a wrong role asks the
// sentinels again and retries once; a second wrong role is
// errc::no_primary. When an answer moves the target (a new primary; a
// replica that left the healthy set), changed() is raised for the watcher,
// which retires the pool's connections.
//
// Thread-safety: every member may be called from any thread; the cache is
// under a mutex never held across I/O.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

#include "respool/client.hpp"
#include "respool/pool.hpp"
#include "respool/result.hpp"
#include "respool/sentinel.hpp"
#include "sentinel/sentinels.hpp"

namespace respool::detail {

class Target {
 public:
  // `user_dial`: SentinelOptions::pool.dial (may be empty); `data_options`:
  // SentinelOptions::pool.dial_options, used when it is empty.
  Target(std::vector<std::string> sentinels, DialOptions sentinel_options, std::string name, Role role,
         DialFunc user_dial, DialOptions data_options);
  Target(const Target&) = delete;
  Target& operator=(const Target&) = delete;

  // Asks the sentinels (see SentinelSet::ask for `kept`) and updates the
  // cache. errc::no_primary when no sentinel names a primary (or a healthy
  // replica). For replicas the primary is asked for too, and never kept as
  // a replica: one just promoted leaves the cache even while the sentinels
  // have no healthy replica to name instead.
  std::error_code refresh(std::unique_ptr<Client>* kept = nullptr);
  // refresh() for the dial path: callers that arrive while one is in
  // flight wait for it and share its outcome (one round of questions to
  // the sentinels, not one per failing get(), during an outage).
  std::error_code refresh_shared();
  // A +switch-master announcement: the primary is now at `addr` (for
  // replicas: `addr` is a replica no more).
  void announce_primary(const std::string& addr);

  // The pool's dial function.
  Result<std::unique_ptr<Client>> dial();

  // True once after each change of target since the last call.
  bool take_changed() noexcept { return changed_.exchange(false); }
  // The primary's address, or the first healthy replica's; empty when
  // unknown.
  std::string current() const;

  // Wipes the passwords (data and sentinel); later dials fail with
  // errc::pool_closed.
  void close() noexcept;

  SentinelSet& sentinels() noexcept { return sentinels_; }
  const std::string& name() const noexcept { return name_; }
  Role role() const noexcept { return role_; }

 private:
  // The address to dial next from the cache (round robin over replicas);
  // empty when the cache is empty.
  std::string pick();
  Result<std::unique_ptr<Client>> dial_to(const std::string& addr);
  // Replaces the cache; raises changed_ when a cached address is gone.
  void update(std::vector<std::string> addrs);
  // Drops `addr` from the cache; raises changed_ when it was there.
  void forget(const std::string& addr);

  SentinelSet sentinels_;
  const std::string name_;
  const Role role_;
  const DialFunc user_dial_;

  mutable std::mutex m_;
  DialOptions data_options_;  // password wiped by close()
  bool closed_ = false;
  std::vector<std::string> cache_;  // the primary, or the healthy replicas
  std::size_t next_ = 0;            // round robin over replicas
  std::atomic<bool> changed_{false};

  // refresh_shared()'s single flight.
  std::mutex refresh_m_;
  std::condition_variable refresh_cv_;
  bool refreshing_ = false;
  std::uint64_t refreshes_ = 0;  // completed
  std::error_code refresh_error_;
};

}  // namespace respool::detail
