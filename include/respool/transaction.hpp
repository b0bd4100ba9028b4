// respool::transaction: optimistic locking (WATCH, MULTI, EXEC) with retries.
//
//   auto out = respool::transaction(*pool, {"acct:1"}, [](respool::Transaction& tx) {
//     auto bal = tx.cmd("GET", "acct:1").integer();   // runs now, on the watched connection
//     tx.queue("SET", "acct:1", bal.value_or(0) + 1);  // sent inside MULTI ... EXEC
//   });
//   if (!out) ... out.error() ...                      // else (*out)[i] answers queued command i
//
// One attempt: take one connection (Pool::lease, or Cluster::lease on the
// slot of the keys), WATCH the keys, call fn(tx), then send MULTI, the
// queued commands and EXEC in one write and read their replies. When EXEC
// answers nil (a watched key changed after WATCH) the attempt is thrown away
// and everything runs again, fn included, after a jittered backoff, up to
// TransactionOptions::max_attempts; then errc::transaction_aborted.
//
// Thread-safety: transaction() may be called from any thread, concurrently,
// on a shared Pool or Cluster. A Transaction belongs to the thread running
// fn: it must not be used from another thread or after fn returns.
//
// Blocking: transaction() blocks like Pool::lease (or Cluster::lease), then
// for WATCH's round trip, for fn (each tx.cmd is one round trip on the
// connection, bounded by its read/write timeouts), for the commit (one write,
// then one read timeout per reply), and for the backoff sleeps between
// attempts. It holds one connection from WATCH to EXEC and none while it
// sleeps. See docs/api.md.
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <memory>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "respool/batch.hpp"
#include "respool/client.hpp"
#include "respool/cluster.hpp"
#include "respool/encode.hpp"
#include "respool/error.hpp"
#include "respool/pool.hpp"
#include "respool/resp.hpp"
#include "respool/result.hpp"
#include "respool/string_list.hpp"

namespace respool {

// What happened, for callers who count (TransactionOptions::stats).
struct TransactionStats {
  int attempts = 0;  // attempts started (WATCH sent, or tried): 1 when nothing had to be retried
  int aborted = 0;   // EXECs that answered nil (a watched key changed): each one retried
  // When transaction() fails with a server error or an I/O error: the reply
  // that said so (a refused WATCH, the first command refused while queued
  // behind an EXECABORT, EXEC's own error, or the io_error, whose
  // delivery() tells whether EXEC may have run). Nil otherwise.
  Resp failure{};
};

struct TransactionOptions {
  // Most attempts in all (>= 1): the first and the retries after an
  // aborted EXEC.
  int max_attempts = 16;
  // Before retry n (n = 1, 2, ...) the call sleeps a random time in
  // [0, min(backoff_cap, backoff_base * 2^(n-1))] ("full jitter"), so
  // contending callers spread out instead of colliding again.
  std::chrono::nanoseconds backoff_base = std::chrono::microseconds(500);
  std::chrono::nanoseconds backoff_cap = std::chrono::milliseconds(50);
  // Filled in (overwritten) when not null.
  TransactionStats* stats = nullptr;
};

class Transaction;

namespace detail {
class TransactionRunner;
// True for the commands a transaction's function may not send itself (MULTI,
// EXEC, DISCARD: the transaction sends those) nor queue (those, WATCH, and
// (P|S)(UN)SUBSCRIBE, whose replies inside EXEC can't be framed).
bool refused_in_transaction(std::string_view name, bool queued) noexcept;

// fn, type-erased without allocation; valid for the call it is passed to.
struct TransactionBody {
  void* fn;
  void (*call)(void* fn, Transaction& tx);
};
}  // namespace detail

// Given to the transaction's function; used by its thread only, and only
// while the function runs.
class Transaction {
 public:
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // Runs one command now on the watched connection and returns its reply
  // (reads see the values the EXEC will be checked against). A command that
  // writes a watched key makes this attempt's EXEC abort, like any other
  // client's write. MULTI, EXEC and DISCARD are refused (errc::invalid_argument,
  // Delivery::not_sent, nothing sent); WATCH is allowed, to watch more keys
  // (on a Cluster, keys of the transaction's slot).
  template <CommandArg... Args>
  Resp cmd(std::string_view name, const Args&... args) {
    if (detail::refused_in_transaction(name, false))
      return Resp::io_error(make_error_code(errc::invalid_argument), Delivery::not_sent);
    return client_->cmd(name, args...);
  }

  // Queues one command for MULTI ... EXEC; nothing is sent before fn
  // returns. Element i of transaction()'s result answers the i-th command
  // queued by the last attempt. Queuing MULTI, EXEC, DISCARD, WATCH or a
  // (P|S)(UN)SUBSCRIBE fails the whole transaction with
  // errc::invalid_argument, with nothing queued sent.
  template <CommandArg... Args>
  void queue(std::string_view name, const Args&... args) {
    if (detail::refused_in_transaction(name, true)) {
      if (!error_) error_ = make_error_code(errc::invalid_argument);
      return;
    }
    queued_.add(name, args...);
  }

  // Ends the transaction after fn returns: nothing queued is sent, the
  // watches are dropped (UNWATCH), and transaction() returns `reason`
  // without retrying. Later calls keep the first reason.
  void abort(std::error_code reason = make_error_code(errc::transaction_discarded)) noexcept {
    if (!error_) error_ = reason;
  }

  // Commands queued so far in this attempt.
  std::size_t queued() const noexcept { return queued_.size(); }
  // This attempt's number: 1 for the first.
  int attempt() const noexcept { return attempt_; }

 private:
  friend class detail::TransactionRunner;
  Transaction(Client& client, int attempt) noexcept : client_(&client), attempt_(attempt) {}

  Client* client_;
  int attempt_;
  Batch queued_;
  std::error_code error_;
};

namespace detail {
Result<std::vector<Resp>> run_transaction(Pool& pool, const StringList& keys, TransactionBody body,
                                          const TransactionOptions& options);
Result<std::vector<Resp>> run_transaction(Cluster& cluster, const StringList& keys, TransactionBody body,
                                          const TransactionOptions& options);

template <class F>
TransactionBody make_body(F& fn) noexcept {
  static_assert(std::is_void_v<std::invoke_result_t<F&, Transaction&>>,
                "a transaction's function returns void: call tx.abort() (or throw) to give up");
  return {const_cast<void*>(static_cast<const void*>(std::addressof(fn))),
          [](void* f, Transaction& tx) { (*static_cast<F*>(f))(tx); }};
}
}  // namespace detail

// WATCH `keys` (none: no WATCH, MULTI ... EXEC only) on one connection of
// `pool`, call fn(tx), then MULTI, the queued commands, EXEC.
//
// Returns EXEC's replies, one per queued command: a queued command that
// failed when it ran (INCR of a string ...) is a server_error element, the
// others ran (Redis does not roll back). Errors (nothing queued ran unless
// said):
//   - errc::transaction_aborted: max_attempts EXECs aborted;
//   - errc::transaction_discarded (or abort()'s reason): fn called abort();
//   - errc::invalid_argument: fn queued a refused command, or max_attempts < 1
//     or a negative backoff;
//   - errc::server_error: WATCH or MULTI refused, or EXECABORT (a queued
//     command refused when queued: wrong arity, unknown command ...);
//     TransactionStats::failure holds the reply;
//   - the lease's error (get_timeout, pool_closed, a dial error ...);
//   - an I/O error (timeout, connection lost): never retried; when it hit
//     the commit, EXEC may have run (TransactionStats::failure.delivery()).
// An exception thrown by fn propagates after the connection was cleaned up
// (UNWATCH) or, should that fail, closed: the next user of the connection
// never inherits a WATCH.
template <class F>
requires std::invocable<F&, Transaction&> Result<std::vector<Resp>> transaction(
    Pool& pool, const StringList& keys, F&& fn, TransactionOptions options = {}) {
  return detail::run_transaction(pool, keys, detail::make_body(fn), options);
}

// The same on a Cluster: every key of the transaction must be in one slot
// (use hash tags: "acct:{42}:balance", "acct:{42}:log"). `keys` must not be
// empty: the connection is Cluster::lease(keys[0]), on the primary serving
// that slot. Watched keys in several slots: errc::cross_slot, nothing sent.
// A queued command whose keys are in another slot makes the server refuse
// the transaction (a MOVED or CROSSSLOT reply, nothing runs):
// errc::cross_slot too. Redirects are not followed on the transaction's
// connection: a slot moving meanwhile fails it with server_error (the MOVED
// reply in TransactionStats::failure) and the next Cluster::cmd refreshes
// the map.
template <class F>
requires std::invocable<F&, Transaction&> Result<std::vector<Resp>> transaction(
    Cluster& cluster, const StringList& keys, F&& fn, TransactionOptions options = {}) {
  return detail::run_transaction(cluster, keys, detail::make_body(fn), options);
}

}  // namespace respool
