// Watcher: the background thread of a sentinel_pool (private). It follows
// the target and retires the pool's connections when it moves.
//
//   - It subscribes to +switch-master on one sentinel (the front of the
//     list first; after a failure, the next one), and on an announcement
//     for its master takes the new address at once.
//   - Every recheck_interval it asks a sentinel again (over a connection it
//     keeps; the subscribed sentinel first, so that a sentinel that hasn't
//     heard of a failover yet doesn't undo the announcement), which also
//     catches a missed announcement and replica changes.
//   - When the target moved (by either path, or by a dial that asked the
//     sentinels again), it calls Pool::retire_connections().
//
// Lifetime: it holds the Pool weakly and stops by itself within ~100 ms of
// the Pool's empty() or destruction; its owner (destroyed with the Pool)
// stops and joins it in ~Watcher, which must not run on the thread itself
// (it can't: the thread never holds a strong reference beyond a call to
// retire_connections()/closed(), and its owner is not reachable from it).
//
// Blocking: the thread waits in poll() for at most 100 ms at a time (a stop
// ends the wait at once); a
// message read, a recheck and a (re)subscription are bounded by the sentinel
// dial options' timeouts (a sentinel that accepts connections but never
// answers can hold it, and so ~Watcher, that long).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>

#include "respool/client.hpp"
#include "respool/pool.hpp"
#include "sentinel/target.hpp"

namespace respool::detail {

class Watcher {
 public:
  Watcher(std::shared_ptr<Target> target, std::weak_ptr<Pool> pool, std::chrono::nanoseconds recheck_interval,
          bool subscribe);
  // Stops and joins the thread.
  ~Watcher();
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  // Starts the thread (named "respool-watcher"); the error of a thread that
  // can't be started.
  std::error_code start();

  // The longest the thread goes without checking whether to stop.
  static constexpr std::chrono::milliseconds kStopCheck{100};

 private:
  void run() noexcept;
  void loop();
  bool should_stop();
  // Subscribes to +switch-master on the next sentinel; sub_ stays null on
  // failure.
  void subscribe();
  // Waits until `until` (at most kStopCheck): for a message on sub_ when
  // subscribed (then handles it), else for a stop request.
  void wait_step(std::chrono::steady_clock::time_point until);
  void retire();

  const std::shared_ptr<Target> target_;
  const std::weak_ptr<Pool> pool_;
  const std::chrono::nanoseconds recheck_interval_;
  const bool subscribe_;

  std::mutex m_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
  const int wake_fd_;  // an eventfd, written by ~Watcher to end a poll(); -1 if none

  // The thread's own.
  std::unique_ptr<Client> sub_;    // subscribed to +switch-master
  std::unique_ptr<Client> query_;  // for rechecks
  std::size_t sub_index_ = 0;      // the sentinel to subscribe to next
  bool recheck_now_ = false;
};

}  // namespace respool::detail
