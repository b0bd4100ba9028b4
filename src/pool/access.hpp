// PoolAccess: the pool's bookkeeping on its clients (private), through the
// Client's public keeper interface only (Client::set_keeper_mark, ...).
//
//   keeper mark: which pool a client belongs to and where it is. A pool sets
//   it to its state while the client is handed out, and to the state's idle
//   tag while the client sits idle in the pool; put() accepts only the
//   former. The keeper stamp: the pool's coarse clock when it last handed
//   the client out.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <system_error>

#include "client/session.hpp"
#include "respool/client.hpp"
#include "respool/error.hpp"

namespace respool {

struct PoolAccess {
  static const void* owner(const Client& c) noexcept { return c.keeper_mark(); }
  static void set_owner(Client& c, const void* owner) noexcept { c.set_keeper_mark(owner); }
  // When the pool last handed it out (its coarse clock): put() stamps an
  // idle connection with it instead of reading the clock again.
  static std::int64_t stamp(const Client& c) noexcept { return c.keeper_stamp(); }
  static void set_stamp(Client& c, std::int64_t t) noexcept { c.set_keeper_stamp(t); }
  // Destroying the client while handed out (instead of putting it back, or
  // by putting it into another pool) calls on_abandoned with the pool.
  static void set_home(Client& c, std::weak_ptr<void> home, Client::KeeperCallback on_abandoned) noexcept {
    c.set_keeper(std::move(home), on_abandoned);
  }

  // A client just returned by a dial function: accept the session state it
  // set up (AUTH, SELECT, CLIENT SETNAME ... by a custom DialFunc) as its
  // baseline. Fails when the client can't be pooled: closed, already owned
  // by a pool, or left inside MULTI / WATCH or with replies owed.
  static std::error_code adopt(Client& c) noexcept {
    if (c.is_closed()) return c.last_critical() ? c.last_critical() : make_error_code(errc::client_closed);
    if (c.keeper_mark() != nullptr) return errc::invalid_argument;
    return c.accept_session_as_baseline();
  }

  // What a caller may leave on a clean client, undone before the next one
  // gets it: its timeouts go back to those it was dialed with (no system
  // call), and RESP3 pushes set aside for read_reply() are dropped (they
  // were for the caller that had it).
  static void reset_for_next_caller(Client& c) noexcept {
    c.discard_set_aside();
    c.restore_dial_timeouts();
  }

  // What a command does to a connection (client/session.cpp).
  static bool affects_session(std::string_view name) noexcept { return session::affects(name); }
  static bool may_hold_connection(std::string_view name) noexcept {
    return session::may_hold_connection(name);
  }

  // The name of a command encoded as encode_command writes it; empty when
  // `encoded` holds no command.
  static std::string_view command_name(std::string_view encoded) noexcept {
    return session::encoded_argument(encoded, 0, nullptr);
  }
  static bool is_pubsub(std::string_view name) noexcept {
    return session::effect_of(name, {}) == session::Effect::pubsub;
  }

  // Whether a client handed out by the pool can start a pipeline with
  // command `name`, as Client::cmd would check: not when it is closed or has
  // commands in flight, nor for a pub/sub command (one reply per channel).
  static std::error_code begin(const Client& c, std::string_view name) noexcept {
    if (c.is_closed()) return c.last_critical() ? c.last_critical() : make_error_code(errc::client_closed);
    if (c.pipe_pending() != 0) return errc::pipeline_busy;
    if (is_pubsub(name)) return errc::pubsub_command;
    return {};
  }
};

}  // namespace respool
