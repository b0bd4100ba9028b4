// pubsub::Core: what the callers of a Subscriber share with its reader
// thread: the wanted subscriptions, the (un)subscribe operations not yet
// taken by the reader, callers waiting for confirmations, the message
// buffer and the counters (private to src/pubsub/).
//
// Thread-safety: every member may be called from any thread; one mutex
// guards the state, and on_message runs outside it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <list>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "respool/subscriber.hpp"

namespace respool::pubsub {

enum class Op : std::uint8_t { subscribe, psubscribe, ssubscribe, unsubscribe, punsubscribe, sunsubscribe };

// What an Op's names are: channels, patterns or shard channels.
enum Family : std::uint8_t { channels = 0, patterns = 1, shards = 2 };
inline Family family_of(Op op) noexcept { return static_cast<Family>(static_cast<int>(op) % 3); }
inline bool is_unsubscribe(Op op) noexcept { return static_cast<int>(op) >= 3; }
inline Op subscribe_op(Family f) noexcept { return static_cast<Op>(f); }
// The command's name, as sent ("SUBSCRIBE", ...).
std::string_view command_of(Op op) noexcept;
// The Op of a confirmation frame's first element ("subscribe", any case).
std::optional<Op> op_of_confirmation(std::string_view kind) noexcept;

// Operations of callers, in order, for the reader.
struct Task {
  Op op;
  std::vector<std::string> names;
};

class Core {
 public:
  // Opens the wake-up pipe; check wake_error().
  explicit Core(SubscriberOptions options);
  ~Core();
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  const SubscriberOptions& options() const noexcept { return options_; }
  std::error_code wake_error() const noexcept { return wake_error_; }

  // --- callers ------------------------------------------------------------
  // Records the operation, wakes the reader, and (unless on the reader
  // thread) waits for every name's confirmation.
  std::error_code request(Op op, const std::vector<std::string>& names);
  std::optional<Message> next(std::chrono::nanoseconds timeout);
  SubscriberStats stats() const;
  // Marks the core stopped, wakes the reader and every waiting caller.
  void stop();
  bool stopped() const;

  // --- the reader thread --------------------------------------------------
  void set_reader_thread(std::thread::id id);
  bool on_reader_thread() const;
  std::vector<Task> take_tasks();
  // A confirmation of `op` for `name` came (or the operation needed none).
  void confirmed(Op op, const std::string& name);
  // The server refused `op` for `name`: the name is no longer wanted.
  void refused(Op op, const std::string& name, std::error_code ec);
  // A message or notice: to on_message, or to the buffer.
  void deliver(Message m);
  void count_received() noexcept;
  void count_reconnect() noexcept;
  void count_disconnect() noexcept;
  void count_resubscribed() noexcept;
  void count_ping() noexcept;
  // The read end of the wake-up pipe (poll it), and emptying it.
  int wake_fd() const noexcept { return wake_[0]; }
  void drain_wake() noexcept;

 private:
  struct Waiter {
    std::multiset<std::pair<Op, std::string>> waiting;
    std::error_code error;
  };
  void wake() noexcept;
  // Under mu_: drops one name from every waiter expecting it.
  void settle_locked(Op op, const std::string& name, std::error_code ec);

  const SubscriberOptions options_;
  int wake_[2] = {-1, -1};
  std::error_code wake_error_;

  mutable std::mutex mu_;
  std::condition_variable messages_cv_;
  std::condition_variable confirm_cv_;
  bool stopped_ = false;
  std::thread::id reader_;
  std::set<std::string> wanted_[3];  // by Family, as callers asked
  std::vector<Task> tasks_;
  std::list<Waiter*> waiters_;
  std::deque<Message> buffer_;
  std::size_t notices_ = 0;  // notices in buffer_
  SubscriberStats stats_;
};

}  // namespace respool::pubsub
