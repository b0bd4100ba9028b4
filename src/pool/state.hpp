// PoolState: everything a Pool is, shared by the Pool and its Leases so that a
// Lease outliving its Pool stays safe (private).
//
// Concurrency design (see docs/pool.md for the user-facing contract):
//   - One mutex, m_, guards the idle list, the overflow buffer, the waiters,
//     the counters and the token bucket. It is never held across a dial, a
//     command, or a close: connections to close are collected and closed
//     after it is released.
//   - Waiters: each get() that must wait takes a Waiter node from the pool's
//     spare list and links it at the back of an intrusive FIFO list. put()
//     moves the connection straight into the front waiter's slot, unlinks it
//     and notifies only it, after releasing the lock, so the waiter wakes to a
//     free mutex instead of blocking on it again: one wake-up per connection,
//     no newcomer can steal it. Nodes live as long as the pool (recycled,
//     never freed early), so a notify that arrives after its waiter left is a
//     harmless spurious wake-up of a node's next user. Invariant: while a
//     waiter exists, the idle list and the overflow buffer are empty.
//   - A waiter waits for a connection, or for the right to dial: only the
//     front waiter ever dials, when there is room under max_open and a
//     creation token. The front waiter watches the token clock itself; when
//     room appears (a connection closed) the front is "kicked".
//   - One background thread, when there is periodic work (ping, overflow
//     drain, idle timeout, lifetime), sleeping on bg_cv_ until the next
//     deadline. put() notifies it only when it brings a deadline earlier
//     than the one it sleeps until.
#pragma once

#include <time.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

#include "pool/access.hpp"
#include "pool/ring.hpp"
#include "pool/token_bucket.hpp"
#include "respool/client.hpp"
#include "respool/pool.hpp"
#include "respool/resp.hpp"
#include "respool/result.hpp"

namespace respool::detail {

using clock = std::chrono::steady_clock;
using std::chrono::nanoseconds;

// PoolOptions, validated and with defaults applied.
struct Config {
  int size = 0;
  int overflow = 0;
  nanoseconds drain_interval{0};
  nanoseconds ping_interval{0};
  nanoseconds ping_timeout{0};
  nanoseconds get_timeout{0};
  int max_open = 0;
  nanoseconds idle_timeout{0};
  nanoseconds max_lifetime{0};
  int create_headroom = 0;
  nanoseconds create_interval{0};
  DialFunc dial;
  DialOptions dial_options;

  bool timed() const noexcept { return idle_timeout.count() > 0 || max_lifetime.count() > 0; }
  bool needs_background() const noexcept { return ping_interval.count() > 0 || overflow > 0 || timed(); }
};

// The error for bad arguments to Pool::create, or {}.
std::error_code validate(std::string_view network, std::string_view addr, int size, const PoolOptions& o);
// Defaults applied. Precondition: validate() returned {}.
Config make_config(int size, PoolOptions&& o);

// A cheap clock to stamp idle connections on the fast paths:
// CLOCK_MONOTONIC_COARSE, a few nanoseconds (no system call), advancing in
// ticks of 1-4 ms. In nanoseconds.
inline std::int64_t coarse_now_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// A connection that has sat idle this long is checked with
// Client::peer_closed() before it is handed out: one poll() with no wait,
// which finds a connection the server closed or reset while it was idle (a
// restart). To keep the get+put pair at one clock read, the fast paths count
// idle time from when the connection was last handed out (put() reuses that
// stamp): an overestimate, so a connection held 5 ms or more is checked at
// its next get(), never one idle longer left unchecked. By the coarse clock,
// so 5 ms means 5-9 ms. A connection reused sooner is handed out unchecked:
// a busy pool pays no system call for it.
inline constexpr std::int64_t kCheckIdleAfterNs = 5'000'000;

// retire_connections()'s generations. Each connection carries the pool's
// generation as it was when its dial started, in the low 16 bits of its
// keeper stamp (the coarse hand-out time, whose low bits are worth 65 us at
// most, well under the clock's own 1-4 ms ticks): every place that
// re-stamps a connection keeps those bits (restamp). retire() bumps the
// generation and closes every idle connection under the lock, so every
// idle connection is of the current generation and get() compares nothing;
// put() (and a finished ping) compares the stamp's bits with the current
// generation under the lock it takes anyway: one more comparison on the
// fast path. 65536 retires while one connection is out would make it look
// current again.
inline constexpr std::int64_t kGenerationMask = 0xFFFF;
inline std::int64_t restamp(std::int64_t old_stamp, std::int64_t now) noexcept {
  return (now & ~kGenerationMask) | (old_stamp & kGenerationMask);
}

// An idle connection.
struct Idle {
  std::unique_ptr<Client> conn;
  clock::time_point since{};                             // put back at (only when timed)
  clock::time_point expires = clock::time_point::max();  // end of its lifetime
  std::int64_t parked = 0;                               // coarse_now_ns() when put back
};

// The command of a cmd(), which another cmd() holding a connection may send
// for it while it waits in line (see PoolState::cmd). Lives on the caller's
// stack; once `taken`, that caller waits (ignoring get_timeout) until
// `served`, and the carrier writes *reply before setting `served`.
struct SharedCommand {
  std::string_view name;
  std::string_view encoded;
  Resp* reply;
  bool shareable = false;  // decided by get() on its slow path only
  bool taken = false;      // under m_
  bool served = false;     // under m_
};

// Whether a command may ride in another's round trip, or carry others: small,
// not changing the session, not holding the connection (sharing.cpp).
bool shareable(std::string_view name, std::string_view encoded) noexcept;

// Whether a command (or a whole batch, by its first reply) that failed this
// way may be sent once more on another connection: it failed on a dead
// connection before any byte of it was written. A refusal of the pool (a
// get() error) is not such a failure (sharing.cpp).
bool retry_is_safe(const Resp& r) noexcept;

// A get() waiting; a node owned by the pool, reused (see the top of this file).
struct Waiter {
  SharedCommand* cmd = nullptr;  // set when a cmd() waits with a shareable command
  std::condition_variable cv;
  std::unique_ptr<Client> conn;  // handed over by put()
  std::error_code error;         // set by empty()
  bool kicked = false;           // notified to re-check whether it may dial
  bool watching = false;         // front waiter sleeping until the next token
  Waiter* prev = nullptr;
  Waiter* next = nullptr;
};

class PoolState : public std::enable_shared_from_this<PoolState> {
 public:
  // A closed state when `error` is set (bad arguments).
  PoolState(std::string_view network, std::string_view addr, Config config, std::error_code error);
  ~PoolState();
  PoolState(const PoolState&) = delete;
  PoolState& operator=(const PoolState&) = delete;

  // Pre-dials and starts the background thread; returns the first dial error.
  std::error_code start();

  // With `shared` (from cmd()), the caller may be served instead of handed a
  // connection: then both the value and the error are empty and the reply is
  // in *shared->reply.
  Result<std::unique_ptr<Client>> get(SharedCommand* shared = nullptr);
  // get() + one command + put(), sharing round trips (pool.hpp, Pool::cmd).
  Resp cmd(std::string_view name, std::string_view encoded);
  std::error_code put(std::unique_ptr<Client>&& c) noexcept;
  // A client this pool handed out was destroyed without coming back (called
  // by ~Client, no lock held): its slot under max_open is free again.
  static void abandoned(void* self, Client& c) noexcept;
  int avail() const;
  PoolStats stats() const;
  void shutdown();
  // Pool::retire_connections (maintenance.cpp).
  void retire();
  bool closed() const {
    std::lock_guard lk(m_);
    return closed_;
  }
  // For tests: whether the pool still holds a dial password.
  bool holds_dial_password() const {
    std::lock_guard lk(m_);
    return !dial_password_.empty();
  }

  const std::string network;
  const std::string addr;

 private:
  using Lock = std::unique_lock<std::mutex>;
  using Dead = std::vector<std::unique_ptr<Client>>;
  enum class Why : std::uint8_t { keep, critical, unclean };

  // --- get / put (state.cpp) ---
  // Everything but the fast paths. get_locked: with the lock held, gets
  // already counted; `shared` as for get().
  Result<std::unique_ptr<Client>> get_locked(Lock& lk, SharedCommand* shared);
  std::error_code put_slow(std::unique_ptr<Client>&& c) noexcept;
  // The most recent idle connection (*parked: when it became idle); expired
  // ones on the way go to `dead`, counted in closing_.
  std::unique_ptr<Client> take_idle_locked(clock::time_point now, Dead& dead, std::int64_t& parked);
  // Hands out `c` (taken from idle, counted in out_; no lock held) unless it
  // sat idle long enough to be checked and its peer closed it: then closes
  // it, forgets it (relocking) and returns null.
  std::unique_ptr<Client> checked(std::unique_ptr<Client> c, std::int64_t parked) noexcept;
  // Connections given up while the lock was held have been closed (no lock
  // held): they no longer count under max_open.
  void closed_after_unlock(int n) noexcept;
  Result<std::unique_ptr<Client>> wait(Lock& lk, SharedCommand* shared);

  // --- shared round trips (sharing.cpp) ---
  // get() + one command + put(); *on_connection: the command went to a
  // connection (its own or a carrier's), i.e. get() did not fail.
  Resp cmd_once(std::string_view name, std::string_view encoded, bool& on_connection);
  static constexpr std::size_t kMaxShared = 63;  // most commands carried for others in one round trip
  // Unlinks up to kMaxShared waiters that carry a shareable command, oldest
  // first, marks their commands taken; returns how many.
  std::size_t take_shared_locked(Waiter** out) noexcept;
  // Marks carried commands served (their replies already written) and wakes
  // their callers.
  void answer_carried(Waiter** carried, std::size_t n) noexcept;
  // Gives an idle-to-be connection to the front waiter, else the main pool,
  // else the overflow buffer; returns it when there is no room (to close).
  // A waiter handed the connection is stored in *wake, to be notified once
  // the lock is released (wake == nullptr: notified at once, under the lock).
  std::unique_ptr<Client> return_locked(Idle&& e, Waiter** wake = nullptr);
  // A Waiter node from the spare list (allocated when it is empty), and back.
  Waiter& acquire_waiter_locked();
  void release_waiter_locked(Waiter& w) noexcept;
  std::error_code put_foreign(std::unique_ptr<Client>&& c, const void* owner) noexcept;
  void link_back(Waiter* w) noexcept;
  void unlink(Waiter* w) noexcept;
  // Wakes the front waiter when it may now be able to dial.
  void kick_front_locked() noexcept;
  bool below_cap_locked() const noexcept { return cfg_.max_open == 0 || open_locked() < cfg_.max_open; }
  int open_locked() const noexcept {
    return static_cast<int>(main_.size() + overflow_.size()) + out_ + dialing_ + pinging_ + closing_;
  }
  bool expired(const Idle& e, clock::time_point now) const noexcept {
    return e.expires <= now || (cfg_.idle_timeout.count() > 0 && e.since + cfg_.idle_timeout <= now);
  }
  clock::time_point deadline_of(const Idle& e) const noexcept;
  // Counts an expired idle connection's closing and forgets it.
  void retire_expired_locked(const Idle& e, clock::time_point now) noexcept;
  void note_deadline_locked(clock::time_point t) noexcept;
  // Dialed before the latest retire(): to be closed, not kept.
  bool retired_locked(const Client& c) const noexcept {
    return ((PoolAccess::stamp(c) ^ generation_) & kGenerationMask) != 0;
  }

  // --- dialing (dialing.cpp) ---
  // Runs the dial function with no lock held; dialing_ was incremented.
  // `generation`: the pool's generation when the dial was reserved, stamped
  // on the new connection.
  Result<std::unique_ptr<Client>> dial_reserved(std::int64_t generation);
  Result<std::unique_ptr<Client>> dial_one();
  // Client::dial with cfg_.dial_options and dial_password_ (copied under m_,
  // wiped from the copy once dialed); errc::pool_closed after shutdown().
  Result<std::unique_ptr<Client>> dial_default();
  clock::time_point draw_expiry_locked(clock::time_point now);
  void forget_locked(const Client* c) noexcept {
    if (cfg_.max_lifetime.count() > 0) lifetimes_.erase(c);
  }
  clock::time_point lifetime_locked(const Client* c) const noexcept;

  // --- background (maintenance.cpp) ---
  void run();       // the thread's body: maintain(), resumed after std::bad_alloc
  void maintain();  // until closed_
  void ping_locked(Lock& lk, Idle e);
  void drain_one_locked(clock::time_point now, Dead& dead);
  void evict_locked(clock::time_point now, Dead& dead);
  clock::time_point next_wake_locked() const noexcept;

  // cfg_.dial_options' password, taken out of cfg_ (which is const) so that
  // shutdown() can wipe it; under m_. Declared before cfg_: the constructor
  // takes it from the config before cfg_ is made.
  std::string dial_password_;
  const Config cfg_;
  const bool timed_;
  char idle_tag_ = 0;  // owner_ of the connections idle in this pool: &idle_tag_

  mutable std::mutex m_;
  bool closed_ = false;
  std::int64_t generation_ = 0;  // bumped by retire()
  std::error_code closed_error_;
  Ring<Idle> main_;
  Ring<Idle> overflow_;
  int out_ = 0;      // handed out
  int dialing_ = 0;  // dials in progress
  int pinging_ = 0;  // taken from idle by the background thread for a PING
  // Given up under the lock, closed once it is released: still open sockets,
  // so still counted under max_open until closed_after_unlock().
  int closing_ = 0;
  Waiter* head_ = nullptr;
  Waiter* tail_ = nullptr;
  std::vector<std::unique_ptr<Waiter>> waiters_;  // every node ever made; owns them
  std::vector<Waiter*> spare_waiters_;            // those not in use
  TokenBucket bucket_;
  PoolStats st_;
  // End of each open connection's lifetime (only with max_lifetime).
  std::unordered_map<const Client*, clock::time_point> lifetimes_;
  std::minstd_rand rng_;

  // Background thread.
  std::thread bg_;
  std::condition_variable bg_cv_;
  clock::time_point bg_wake_at_ = clock::time_point::min();  // min while awake
  clock::time_point next_ping_{};
  clock::time_point next_drain_{};
  int ping_fd_ = -1;  // dup of the socket being pinged; empty() shuts it down

  std::mutex shutdown_m_;  // serialises shutdown() (join, closes)
};

}  // namespace respool::detail
