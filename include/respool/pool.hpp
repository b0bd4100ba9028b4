// respool::Pool: a thread-safe pool of Redis connections (radix.v2's
// pool.Pool), with its options, statistics and an RAII handle.
//
//   auto [pool, err] = respool::Pool::create("tcp", "127.0.0.1:6379", 10);
//   respool::Resp r = pool->cmd("SET", "key", 42);       // get + cmd + put
//   if (auto c = pool->get()) { (*c)->cmd("GET", "key"); pool->put(std::move(*c)); }
//   if (respool::Lease l = pool->lease()) l->cmd("GET", "key");  // put when l dies
//   respool::Batch b; b.add("INCR", "n").add("GET", "key");
//   std::vector<respool::Resp> rs = pool->run(b);         // one connection, one write
//
// Thread-safety: every Pool member function may be called from any thread at
// any time, concurrently with every other one (empty() included). A Client
// handed out by the pool belongs to its caller alone until it is put back.
// A Lease is a value owned by one thread at a time.
//
// Blocking: get() (and cmd(), run(), lease()) may wait for a connection
// (bounded by PoolOptions::get_timeout when set) and may dial one (bounded by
// the dial's own timeouts). put(), avail(), stats() never block on I/O; empty() waits
// only for the background thread to stop (it interrupts a ping in flight).
// The pool's lock is never held across a dial, a command or a close.
//
// Errors are values: get() returns Result, cmd() returns a Resp carrying the
// error (run() one per command), put() returns a std::error_code. Nothing here throws, except what a
// user-supplied DialFunc throws (passed through) and std::bad_alloc.
//
// See docs/pool.md for every option, default and difference from the Go pool.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "respool/batch.hpp"
#include "respool/client.hpp"
#include "respool/error.hpp"
#include "respool/resp.hpp"
#include "respool/result.hpp"

namespace respool {

namespace detail {
class PoolState;
// A per-thread buffer for Pool::cmd's encoded command, moved out while in
// use, so a nested cmd() (from a DialFunc, say) gets a buffer of its own.
std::string take_command_buffer() noexcept;
void give_command_buffer(std::string&& buf) noexcept;
}  // namespace detail

// How the pool opens each connection (radix.v2's DialFunc): it is called for
// the connections dialed by create() and for every one dialed on demand, with
// the network and address given to create(). Use it to run AUTH, SELECT,
// CLIENT SETNAME ... on each new connection. Whatever session state the
// function leaves behind is the connection's baseline: the pool does not
// count it as "dirty" (see Client::is_clean). It must not leave the
// connection inside MULTI or WATCH, with replies unread, or in SUBSCRIBE or
// MONITOR mode. It may be called from any thread that calls get(), several
// at once; it is never called with the pool's lock held.
using DialFunc =
    std::function<Result<std::unique_ptr<Client>>(std::string_view network, std::string_view addr)>;

// radix.v2's CreateLimit(headroom, interval): once no connection is idle, up
// to `headroom` connections are dialed as fast as needed; after that at most
// one per `interval` (a token bucket of capacity `headroom`, one token back
// per interval, full at creation). A get() that needs a new connection and
// finds no token waits for whichever comes first: a returned connection, the
// next token, or get_timeout. A failed dial still spends its token.
// interval == 0: no limit. headroom == 0: every creation waits for a token;
// the first one is due one interval after create().
struct CreateLimit {
  int headroom = 0;
  std::chrono::nanoseconds interval{0};
};

// radix.v2's OnFullBuffer(size, drainInterval): a connection put back while
// the main pool holds `size` idle ones goes to an overflow buffer of `size`
// connections instead of being closed; every `drain_interval` one connection
// leaves the buffer (into the main pool if it has room, closed otherwise).
// get() takes from the buffer directly when the main pool is empty.
// size > 0 needs drain_interval > 0.
struct OnFullBuffer {
  int size = 0;
  std::chrono::nanoseconds drain_interval{0};
};

// Options of Pool::create. Defaults are radix.v2's: no creation limit, no
// overflow buffer, no get timeout, a ping every 10 s / size. Every duration
// must be >= 0 (zero = off), every count >= 0; anything else makes create()
// fail with errc::invalid_argument. Every member has a default initializer,
// so designated initializers (`PoolOptions{.dial = df}`) name only what they
// change, without -Wmissing-field-initializers noise.
struct PoolOptions {
  // Empty: Client::dial(network, addr, dial_options).
  DialFunc dial{};
  // Used by the default dial function only.
  DialOptions dial_options{};
  // Unset: no limit.
  std::optional<CreateLimit> create_limit{};
  // Longest time get() waits for a connection (not counting the time spent
  // dialing one, which is bounded by the dial's own timeouts). Zero: no limit.
  std::chrono::nanoseconds get_timeout{0};
  // Unset: no overflow buffer (a connection put back into a full pool is
  // closed).
  std::optional<OnFullBuffer> on_full_buffer{};
  // Every ping_interval the pool sends PING over the connection idle the
  // longest. Unset: 10 s / size (no pings when size == 0). Zero: no pings.
  std::optional<std::chrono::nanoseconds> ping_interval{};
  // The read and write timeout of each PING; must be > 0. A ping that fails
  // or times out discards its connection.
  std::chrono::nanoseconds ping_timeout = std::chrono::seconds(1);
  // Cap on open sockets: idle + handed out + being dialed + being pinged +
  // given up but not yet closed (a connection counts until its socket is
  // closed, so the process never holds more than this many). At the cap,
  // get() waits for a connection to come back (subject to get_timeout).
  // Zero: no cap.
  int max_open = 0;
  // An idle connection unused for this long is closed. Zero: never.
  std::chrono::nanoseconds idle_timeout{0};
  // A connection is closed once it is this old: each connection's lifetime is
  // drawn at random in [0.9, 1.0] x max_lifetime, so connections dialed
  // together don't all expire together. A connection handed out when it
  // expires is closed when it comes back. Zero: no limit.
  std::chrono::nanoseconds max_lifetime{0};
};

// A snapshot of a pool's counters. Counters only grow; the last
// four fields are current values (a connection out for a PING is in none of
// them for that moment).
struct PoolStats {
  std::uint64_t gets = 0;                 // get() calls (also through cmd() and lease())
  std::uint64_t waits = 0;                // get() calls that had to wait
  std::chrono::nanoseconds wait_time{0};  // total time spent waiting
  std::uint64_t get_timeouts = 0;         // get() calls that failed with get_timeout
  std::uint64_t dials = 0;                // connections dialed successfully
  std::uint64_t dial_errors = 0;          // dials that failed
  std::uint64_t pings = 0;                // PINGs sent
  std::uint64_t foreign_puts = 0;         // put() of a connection this pool didn't hand out
  std::uint64_t shared = 0;               // cmd() calls answered in another cmd()'s round trip
  std::uint64_t abandoned = 0;            // handed out, then destroyed (or put into another pool)
                                          // instead of put back: its slot was freed
  // Connections closed by the pool, by reason.
  std::uint64_t closed_full = 0;      // put back (or drained) into a full pool
  std::uint64_t closed_critical = 0;  // put back closed or after a critical error
  std::uint64_t closed_unclean = 0;   // put back with unread replies, in MULTI, SUBSCRIBE, after SELECT ...
  std::uint64_t closed_ping_failed = 0;  // PING failed or timed out
  std::uint64_t closed_peer = 0;         // found closed by the server while idle, before
                                         // being handed out (see Pool::get)
  std::uint64_t closed_idle = 0;         // idle longer than idle_timeout
  std::uint64_t closed_lifetime = 0;     // older than its lifetime
  std::uint64_t closed_emptied = 0;      // closed by empty(), or put back after it
  std::uint64_t closed_retired = 0;      // dialed before retire_connections(): closed by it
                                         // (idle) or when put back (handed out)
  int idle = 0;                          // idle in the main pool
  int overflow = 0;                      // idle in the overflow buffer
  int in_use = 0;                        // handed out and neither put back nor destroyed
  int dialing = 0;                       // dials in progress
};

class Lease;

class Pool {
 public:
  struct CreateResult {
    std::shared_ptr<Pool> pool;  // never null
    std::error_code error;       // empty on success
  };

  // radix.v2's New / NewCustom. Pre-dials up to `size` connections (at most
  // max_open when set) one after the other and stops at the first failure, so
  // it blocks for at most one failed dial (its connect timeout) beyond the
  // successful ones.
  //   - Bad arguments (network neither "tcp" nor "unix": unknown_network; an
  //     address that can't be parsed: bad_address; a negative size, count or
  //     duration, an overflow buffer without a drain interval, ping_timeout
  //     <= 0, a size or overflow size above max_size: invalid_argument):
  //     nothing is dialed and the returned pool is already closed; every
  //     get() fails with that same error.
  //   - A dial that fails: a usable pool holding the connections dialed so
  //     far, and the dial's error (the pool dials again on demand).
  // `size` is the most idle connections the pool keeps, not a cap on open
  // connections (see max_open).
  // The largest size (and overflow buffer size) create() accepts: the pool
  // reserves a slot per idle connection up front, and no process can hold
  // more connections than this many descriptors anyway (Linux's default
  // fs.nr_open).
  static constexpr int max_size = 1 << 20;

  static CreateResult create(std::string_view network, std::string_view addr, int size,
                             PoolOptions options = {});

  // Implies empty().
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // A connection for the caller's exclusive use; give it back with put().
  // Order: the idle connection returned most recently (LIFO), from the main
  // pool, then from the overflow buffer; else a new one dialed at once (with
  // no creation limit and below max_open); else wait, first come first
  // served, for a returned connection or the right to dial. Idle connections
  // past idle_timeout or their lifetime are closed, never handed out, and
  // closed before the caller dials or waits. An idle connection unused for
  // 5 ms or more (counted from when it was last handed out, by a coarse
  // clock: 5-9 ms) is first checked without
  // waiting (Client::peer_closed(), one poll()): one the server closed or
  // reset while it sat idle (a restart) is closed (PoolStats::closed_peer)
  // and the next one taken, or a new one dialed. Sooner, no check: a busy
  // pool makes no system call here.
  // Errors: pool_closed (after empty(); a waiting get() wakes at once),
  // get_timeout, the configuration error of a pool created closed, or the
  // dial's error. Blocks: see the top of this file.
  [[nodiscard]] Result<std::unique_ptr<Client>> get();

  // Give a connection back. Never blocks on I/O (a connection to close is
  // closed after the pool's lock is released, on the caller's thread; it
  // counts under max_open until it is closed).
  //   - null: nothing happens; returns {}.
  //   - a connection this pool did not hand out (another pool's, or one from
  //     Client::dial): it is closed and destroyed (the pool that handed it
  //     out, if still alive, frees its slot); returns
  //     errc::foreign_connection. A connection this pool already holds idle
  //     (a second put of the same object): not touched again; returns
  //     errc::foreign_connection.
  //   - closed, or its last error was critical: discarded.
  //   - not clean (unread replies, inside MULTI or WATCH, after SUBSCRIBE,
  //     MONITOR, SELECT, AUTH, CLIENT ...): closed, never handed to another
  //     caller, whose commands would read the replies
  //     meant for it or run inside its transaction (no RESET: see
  //     docs/pool.md).
  //   - after empty(): closed; returns errc::pool_closed.
  //   - otherwise: to the longest-waiting get() if any, else the main pool,
  //     else the overflow buffer, else closed. Its read/write timeouts are
  //     reset to those it was dialed with.
  std::error_code put(std::unique_ptr<Client> client) noexcept;

  // get(), one command, put(): radix.v2's Pool.Cmd. A failed get() comes back
  // as a Resp of type io_error carrying the get error (Delivery::not_sent).
  //
  // Retry: a command that failed on its connection before any byte of it
  // was written (Resp::delivery() == Delivery::not_sent, with a critical
  // connection error) is sent once more, on another connection (get()
  // again); the caller sees the second outcome. Never retried: a failed
  // get() (get_timeout, pool_closed, a dial or configuration error), a
  // server error reply, and anything whose outcome is unknown
  // (Delivery::unknown): such a command is never sent twice. See
  // docs/ERRORS.md.
  //
  // Shared round trips: when no connection is free, a cmd() waiting in line
  // may be answered by another cmd() that has just been handed one: that
  // caller sends its own command and those of the cmd() calls waiting behind
  // it in one write, reads the replies in order, and hands each waiting
  // caller its own reply. Each caller still gets exactly the reply to its own
  // command, or an error; commands that change the session or block
  // (MULTI, WATCH, SELECT, CLIENT, SUBSCRIBE, BLPOP, WAIT, DEBUG, ... see
  // docs/pool.md) are never shared. get_timeout applies until a caller's
  // command is taken; from then on its wait is bounded by the carrying
  // connection's write timeout (one write) plus one read timeout for the
  // whole round trip: the deadline the carrier's own reply starts bounds
  // every carried reply too (one not in by then fails with errc::timeout,
  // Delivery::unknown). The retry rule above applies to each carried
  // command. Counted in PoolStats::shared.
  template <CommandArg... Args>
  Resp cmd(std::string_view name, const Args&... args) {
    std::string buf = detail::take_command_buffer();
    encode_command(buf, name, args...);
    Resp r = cmd_encoded(name, buf);
    detail::give_command_buffer(std::move(buf));
    return r;
  }

  // cmd() for a command already encoded (a RESP array of bulk strings, as
  // encode_command writes it); `name` is its first argument. Same contract
  // as cmd(), shared round trips and retry included.
  Resp cmd_encoded(std::string_view name, std::string_view encoded);

  // Every command of `batch` on one connection: one get(), every command
  // sent in one write, the replies read in order, one put(). rs[i] answers
  // command i; rs.size() == batch.size(). An empty batch: an empty vector,
  // no connection taken. A batch is not a transaction: other clients'
  // commands may run between its commands on the server; for atomicity put
  // MULTI ... EXEC in the batch.
  //
  // Errors, per element (each a Resp of type io_error, or the server's error
  // reply for that command alone; the others are unaffected):
  //   - a failed get(): its error on every element (Delivery::not_sent);
  //   - a (P|S)(UN)SUBSCRIBE anywhere in the batch (its replies don't map
  //     one to one): errc::pubsub_command on every element, nothing taken
  //     or sent;
  //   - the connection failing mid-way: the replies read before stay; every
  //     later element carries the connection's error, Delivery::unknown
  //     (possibly run) or not_sent (surely not) as Client::pipe_resp says.
  // Retry: when nothing of the batch was written (the first reply failed
  // with Delivery::not_sent on a critical connection error), the whole
  // batch runs once more, on another connection (get() again), and the
  // caller sees only the second outcome. Never retried: a failed get(), and
  // any batch of which a byte may have left (Delivery::unknown): no command
  // is ever sent twice.
  //
  // Commands that change the session (MULTI, EXEC, WATCH, SELECT, CLIENT
  // SETNAME ...) are allowed: a connection they leave unclean (MULTI
  // without EXEC, after SELECT ...) is closed by put(), never handed on
  // (PoolStats::closed_unclean). Blocking commands (BLPOP ...) hold the
  // connection, and delay the later replies, as on a Client.
  //
  // Blocks like get(), then for one write (write_timeout) and the replies
  // (read_timeout per reply), twice at most with the retry. Thread-safe like
  // every Pool member; several threads may run the same Batch at once.
  std::vector<Resp> run(const Batch& batch);

  // get() wrapped in an RAII handle that puts the connection back when it is
  // destroyed (radix.v2's `defer p.Put(conn)`). Blocks like get().
  [[nodiscard]] Lease lease();

  // Idle connections: main pool plus overflow buffer (not those handed out).
  int avail() const;

  // Close every idle connection, stop the background thread (interrupting a
  // ping in flight), wake every waiting get() with pool_closed, and make
  // every later get() fail with pool_closed. Connections handed out are
  // closed when they come back. Idempotent; safe to call from several threads
  // at once (each returns once the pool is fully shut down).
  void empty();

  // Close every idle connection now, and each connection handed out (or
  // being dialed) at this moment when it comes back; later get()s take only
  // connections dialed after this call, and dial new ones. For when the
  // server behind the address changed (a failover: see sentinel_pool). A
  // connection handed out stays usable by its holder meanwhile: nothing is
  // interrupted. Never blocks on I/O (the idle connections are closed on the
  // caller's thread after the lock is released). Counted in
  // PoolStats::closed_retired. No-op after empty().
  void retire_connections();

  // True once empty() was called (or the destructor ran), or when create()
  // returned a closed pool (bad arguments). Takes the pool's lock.
  bool closed() const;

  // As given to create().
  const std::string& network() const noexcept;
  const std::string& addr() const noexcept;

  // A consistent snapshot of the counters.
  PoolStats stats() const;

 private:
  explicit Pool(std::shared_ptr<detail::PoolState> state) noexcept;
  std::shared_ptr<detail::PoolState> state_;
};

// A connection taken from a pool, put back when the Lease is destroyed or
// reset(). Move-only. It holds the pool's internal state, not the Pool, so it
// stays safe after the Pool is destroyed: the connection is then closed when
// the Lease lets it go.
//
//   respool::Lease l = pool->lease();
//   if (!l) return l.error();
//   l->cmd("MULTI"); ...
class Lease {
 public:
  // An empty lease with no error.
  Lease() noexcept = default;
  // An empty lease that says why no connection could be had (for layers
  // that hand out leases of their own, such as a cluster).
  explicit Lease(std::error_code error) noexcept : error_(error) {}
  Lease(Lease&& other) noexcept = default;
  // Puts back the connection held, then takes other's.
  Lease& operator=(Lease&& other) noexcept;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease() { reset(); }

  // True when it holds a connection.
  explicit operator bool() const noexcept { return client_ != nullptr; }
  // Why get() failed; empty when it holds a connection.
  std::error_code error() const noexcept { return error_; }

  // Precondition: it holds a connection.
  Client* operator->() const noexcept { return client_.get(); }
  Client& operator*() const noexcept { return *client_; }
  Client* get() const noexcept { return client_.get(); }

  // Put the connection back now (no-op when empty). The lease becomes empty.
  void reset() noexcept;
  // Take the connection out of the lease: the caller now owns it and should
  // give it back with pool->put(). The lease becomes empty.
  [[nodiscard]] std::unique_ptr<Client> release() noexcept { return std::move(client_); }

 private:
  friend class Pool;
  Lease(std::shared_ptr<detail::PoolState> state, std::unique_ptr<Client> client) noexcept
      : state_(std::move(state)), client_(std::move(client)) {}

  std::shared_ptr<detail::PoolState> state_;
  std::unique_ptr<Client> client_;
  std::error_code error_;
};

}  // namespace respool
