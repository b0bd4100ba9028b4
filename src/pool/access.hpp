// PoolAccess: the pool's bookkeeping on its clients (private). Client
// befriends it; nothing else touches Client's private members.
//
//   owner_: which pool a client belongs to and where it is. A pool sets it to
//   its state while the client is handed out, and to the state's idle tag
//   while the client sits idle in the pool; put() accepts only the former.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>
#include <system_error>

#include "client/impl.hpp"
#include "respool/client.hpp"
#include "respool/error.hpp"

namespace respool {

struct PoolAccess {
  static const void* owner(const Client& c) noexcept { return c.owner_; }
  static void set_owner(Client& c, const void* owner) noexcept { c.owner_ = owner; }
  // When the pool last handed it out (its coarse clock): put() stamps an
  // idle connection with it instead of reading the clock again.
  static std::int64_t stamp(const Client& c) noexcept { return c.pool_stamp_; }
  static void set_stamp(Client& c, std::int64_t t) noexcept { c.pool_stamp_ = t; }
  static void set_home(Client& c, std::weak_ptr<void> home,
                       void (*on_abandoned)(void*, Client&) noexcept) noexcept {
    c.home_ = std::move(home);
    c.on_abandoned_ = on_abandoned;
  }

  // A client just returned by a dial function: accept the session state it
  // set up (AUTH, SELECT, CLIENT SETNAME ... by a custom DialFunc) as its
  // baseline. Fails when the client can't be pooled: closed, already owned
  // by a pool, or left inside MULTI / WATCH or with replies owed.
  static std::error_code adopt(Client& c) noexcept {
    if (c.is_closed()) return c.last_critical() ? c.last_critical() : make_error_code(errc::client_closed);
    if (c.owner_ != nullptr) return errc::invalid_argument;
    c.session_ = static_cast<std::uint8_t>(c.session_ & ~session::changed);
    if (!c.is_clean()) return errc::invalid_argument;
    return {};
  }

  // What a caller may leave on a clean client, undone before the next one
  // gets it: its timeouts go back to those it was dialed with (no system
  // call: the socket applies them lazily), and RESP3 pushes set aside for
  // read_reply() are dropped (they were for the caller that had it).
  static void reset_for_next_caller(Client& c) noexcept {
    if (!c.impl_->pushes.empty()) c.impl_->pushes.clear();
    auto& s = c.impl_->stream;
    const auto& o = c.impl_->options;
    if (s.read_timeout() != o.read_timeout || s.write_timeout() != o.write_timeout)
      s.set_timeouts(o.read_timeout, o.write_timeout);
  }

  // What a command does to a connection (client/session.cpp).
  static bool affects_session(std::string_view name) noexcept { return session::affects(name); }
  static bool may_hold_connection(std::string_view name) noexcept {
    return session::may_hold_connection(name);
  }

  // Start a pipeline on a client handed out by the pool: fails (nothing
  // queued) when it is closed or has commands in flight.
  static std::error_code begin(Client& c, std::string_view name) { return c.begin_command(name); }
  // Queue one already-encoded command; its reply comes from pipe_resp().
  static void queue_encoded(Client& c, std::string_view name, std::string_view encoded) {
    c.append_command(name, [&] { c.out_.append(encoded); });
  }

  // While on, each reply read keeps the read deadline the previous one
  // started (set after the first reply of a shared round trip): one
  // read_timeout bounds the rest of the round trip, not one per reply.
  static void set_one_deadline(Client& c, bool on) noexcept { c.impl_->one_deadline = on; }

  static void set_timeouts(Client& c, std::chrono::nanoseconds read,
                           std::chrono::nanoseconds write) noexcept {
    c.impl_->stream.set_timeouts(read, write);
  }
};

}  // namespace respool
