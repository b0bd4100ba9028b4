// respool::transaction (see respool/transaction.hpp): WATCH, the caller's
// function, then MULTI + queued + EXEC in one write; again after an aborted
// EXEC. Built on the public API only: Pool::lease / Cluster::lease and the
// Client's pipeline.
//
// Why one write for the commit: the replies of MULTI and of each queued
// command are only "OK" and "QUEUED" (or a refusal that makes EXEC answer
// EXECABORT, so nothing runs), so waiting for them one by one would buy
// nothing and cost a round trip per command.
#include "respool/transaction.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "common/ascii.hpp"

namespace respool {
namespace {

using respool::detail::iequals;

// The full-jitter wait before retry `n` (1, 2, ...).
std::chrono::nanoseconds backoff(const TransactionOptions& o, int n) {
  std::chrono::nanoseconds ceiling = o.backoff_base;
  for (int i = 1; i < n && ceiling < o.backoff_cap; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, o.backoff_cap);
  if (ceiling.count() <= 0) return std::chrono::nanoseconds(0);
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<std::chrono::nanoseconds::rep> pick(0, ceiling.count());
  return std::chrono::nanoseconds(pick(rng));
}

// The slot a MOVED or ASK error names ("MOVED 3999 127.0.0.1:6381"), or -1.
int redirect_slot(const Resp& r) {
  if (!r.is_server_error()) return -1;
  std::string_view t = r.text();
  if (t.starts_with("MOVED ")) {
    t.remove_prefix(6);
  } else if (t.starts_with("ASK ")) {
    t.remove_prefix(4);
  } else {
    return -1;
  }
  int slot = -1;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), slot);
  return ec == std::errc{} ? slot : -1;
}

}  // namespace

bool detail::refused_in_transaction(std::string_view name, bool queued) noexcept {
  if (iequals(name, "MULTI") || iequals(name, "EXEC") || iequals(name, "DISCARD")) return true;
  if (!queued) return false;
  return iequals(name, "WATCH") || iequals(name, "SUBSCRIBE") || iequals(name, "PSUBSCRIBE") ||
         iequals(name, "SSUBSCRIBE") || iequals(name, "UNSUBSCRIBE") || iequals(name, "PUNSUBSCRIBE") ||
         iequals(name, "SUNSUBSCRIBE");
}

class detail::TransactionRunner {
 public:
  // `slot`: the transaction's cluster slot, or -1 on a plain server.
  TransactionRunner(const StringList& keys, TransactionBody body, const TransactionOptions& options, int slot)
      : keys_(keys),
        body_(body),
        options_(options),
        slot_(slot),
        stats_(options.stats ? options.stats : &local_) {
    *stats_ = TransactionStats{};
  }

  template <class GetLease>
  Result<std::vector<Resp>> run(GetLease&& get_lease) {
    if (options_.max_attempts < 1 || options_.backoff_base.count() < 0 || options_.backoff_cap.count() < 0)
      return errc::invalid_argument;
    for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
      if (attempt > 1) std::this_thread::sleep_for(backoff(options_, attempt - 1));
      stats_->attempts = attempt;
      Lease lease = get_lease();
      if (!lease) return lease.error();
      bool aborted = false;
      Result<std::vector<Resp>> out = once(*lease, attempt, aborted);
      if (!aborted) return out;
      ++stats_->aborted;
      // The lease goes back to the pool here: no connection is held while
      // sleeping before the next attempt.
    }
    return errc::transaction_aborted;
  }

 private:
  // One attempt on `c`. Sets `aborted` when EXEC answered nil.
  Result<std::vector<Resp>> once(Client& c, int attempt, bool& aborted) {
    if (!keys_.empty()) {
      Resp w = c.cmd("WATCH", keys_.items());
      if (w.err()) return fail(std::move(w));
    }
    Transaction tx(c, attempt);
    try {
      body_.call(body_.fn, tx);
    } catch (...) {
      clean(c);
      throw;
    }
    if (tx.error_) {
      clean(c);
      return tx.error_;
    }
    return commit(c, tx.queued_, aborted);
  }

  Result<std::vector<Resp>> commit(Client& c, const Batch& queued, bool& aborted) {
    const std::size_t n = queued.size();
    c.pipe_append("MULTI");
    for (std::size_t i = 0; i < n; ++i) c.pipe_append_encoded(queued.command(i));
    c.pipe_append("EXEC");
    Resp multi = c.pipe_resp();  // writes everything, then reads in order
    std::vector<Resp> replies;
    replies.reserve(n);
    for (std::size_t i = 0; i < n; ++i) replies.push_back(c.pipe_resp());
    Resp exec = c.pipe_resp();

    if (exec.is_io_error()) return fail(std::move(exec));  // delivery() says whether it may have run
    if (multi.is_server_error()) return fail(std::move(multi));
    if (exec.is_nil()) {
      aborted = true;
      return errc::transaction_aborted;
    }
    if (exec.is_server_error()) return refused(std::move(exec), replies);
    Result<std::vector<Resp>> elements = std::move(exec).array();
    if (!elements) return fail(Resp::io_error(make_error_code(errc::protocol_error)));
    return elements;
  }

  // EXEC answered an error: EXECABORT (a queued command was refused when
  // queued) or, on a cluster, CROSSSLOT. Nothing ran.
  Result<std::vector<Resp>> refused(Resp exec, std::vector<Resp>& replies) {
    if (slot_ >= 0 && exec.text().starts_with("CROSSSLOT")) return cross_slot(std::move(exec));
    for (Resp& r : replies) {
      if (!r.is_server_error()) continue;
      if (slot_ >= 0) {
        const int to = redirect_slot(r);
        if (r.text().starts_with("CROSSSLOT") || (to >= 0 && to != slot_)) return cross_slot(std::move(r));
      }
      return fail(std::move(r));
    }
    return fail(std::move(exec));
  }

  Result<std::vector<Resp>> cross_slot(Resp why) {
    stats_->failure = std::move(why);
    return errc::cross_slot;
  }

  Result<std::vector<Resp>> fail(Resp why) {
    const std::error_code ec = why.err();
    stats_->failure = std::move(why);
    return ec;
  }

  // After fn threw or gave up: no WATCH may stay on the connection for its
  // next user. UNWATCH keeps it; should that fail, it is closed (the pool
  // then discards it).
  static void clean(Client& c) noexcept {
    if (c.is_closed()) return;
    if (c.pipe_pending() != 0) (void)c.pipe_clear();
    if (!c.session().watching) return;
    try {
      Resp r = c.cmd("UNWATCH");
      if (r.err() || c.session().watching) c.close();
    } catch (...) {  // std::bad_alloc
      c.close();
    }
  }

  const StringList& keys_;
  TransactionBody body_;
  const TransactionOptions& options_;
  int slot_;
  TransactionStats local_;
  TransactionStats* stats_;
};

Result<std::vector<Resp>> detail::run_transaction(Pool& pool, const StringList& keys, TransactionBody body,
                                                  const TransactionOptions& options) {
  TransactionRunner runner(keys, body, options, -1);
  return runner.run([&] { return pool.lease(); });
}

Result<std::vector<Resp>> detail::run_transaction(Cluster& cluster, const StringList& keys,
                                                  TransactionBody body, const TransactionOptions& options) {
  if (keys.empty()) {
    if (options.stats != nullptr) *options.stats = TransactionStats{};
    return errc::invalid_argument;
  }
  const std::uint16_t slot = key_slot(keys[0]);
  for (std::string_view k : keys) {
    if (key_slot(k) != slot) {
      if (options.stats != nullptr) *options.stats = TransactionStats{};
      return errc::cross_slot;
    }
  }
  TransactionRunner runner(keys, body, options, slot);
  return runner.run([&] { return cluster.lease(keys[0]); });
}

}  // namespace respool
