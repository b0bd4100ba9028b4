// What commands do to a connection, in one place: session::after (used by
// Client::note_command on every command) tracks the session state a command
// leaves behind, so the pool hands out only connections in the state dial()
// left them in (Client::is_clean); session::may_hold_connection names the
// commands that keep a connection busy. The pool's shared round trips carry
// neither kind.
//
// after() switches on the name's length, then compares at most a few fixed
// upper-case names case-insensitively. No allocation.
//
//   MULTI                    -> in_multi
//   EXEC, DISCARD            -> clears in_multi and watching (both end a
//                               transaction and drop every WATCH)
//   WATCH                    -> watching
//   UNWATCH                  -> clears watching
//   SELECT, AUTH, HELLO, SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE, MONITOR, RESET,
//   CLIENT (any subcommand: conservative), QUIT, and the cluster's READONLY,
//   READWRITE and ASKING
//                            -> changed (sticky: the connection is not
//                               handed to anyone else)
//   SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE, (P|S)UNSUBSCRIBE
//                            -> subscribed (under RESP3 their replies are
//                               pushes, read as replies)
// Not tracked: SCRIPT DEBUG (a debugging aid that Redis says not to use in
// production; tracking SCRIPT would close every connection after SCRIPT
// LOAD). See docs/pool.md.
#include <cstddef>
#include <string_view>

#include "client/impl.hpp"
#include "respool/client.hpp"

namespace respool {
namespace {

// `name` equals the upper-case letters of `upper`, in any case. Only letters
// are compared: clearing bit 0x20 maps 'a'..'z' onto 'A'..'Z' and no other
// byte onto a letter.
constexpr bool is(std::string_view name, std::string_view upper) noexcept {
  for (std::size_t i = 0; i < upper.size(); ++i) {
    if ((static_cast<unsigned char>(name[i]) & 0xDFu) != static_cast<unsigned char>(upper[i])) return false;
  }
  return true;
}

}  // namespace

std::uint8_t session::after(std::uint8_t state, std::string_view name) noexcept {
  switch (name.size()) {
    case 4:
      if (is(name, "EXEC")) {
        state &= static_cast<std::uint8_t>(~(in_multi | watching));
      } else if (is(name, "AUTH") || is(name, "QUIT")) {
        state |= changed;
      }
      break;
    case 5:
      if (is(name, "MULTI")) {
        state |= in_multi;
      } else if (is(name, "WATCH")) {
        state |= watching;
      } else if (is(name, "HELLO") || is(name, "RESET")) {
        state |= changed;
      }
      break;
    case 6:
      if (is(name, "SELECT") || is(name, "CLIENT") || is(name, "ASKING")) state |= changed;
      break;
    case 7:
      if (is(name, "DISCARD")) {
        state &= static_cast<std::uint8_t>(~(in_multi | watching));
      } else if (is(name, "UNWATCH")) {
        state &= static_cast<std::uint8_t>(~watching);
      } else if (is(name, "MONITOR")) {
        state |= changed;
      }
      break;
    case 8:
      if (is(name, "READONLY")) state |= changed;
      break;
    case 9:
      if (is(name, "SUBSCRIBE")) {
        state |= changed | subscribed;
      } else if (is(name, "READWRITE")) {
        state |= changed;
      }
      break;
    case 10:
      if (is(name, "PSUBSCRIBE") || is(name, "SSUBSCRIBE")) state |= changed | subscribed;
      break;
    case 11:
      if (is(name, "UNSUBSCRIBE")) state |= subscribed;
      break;
    case 12:
      if (is(name, "PUNSUBSCRIBE") || is(name, "SUNSUBSCRIBE")) state |= subscribed;
      break;
    default: break;
  }
  return state;
}

bool session::may_hold_connection(std::string_view name) noexcept {
  // Blocking pops and stream reads, WAIT/WAITAOF, DEBUG (SLEEP), SCRIPT
  // (DEBUG: the Lua debugger takes the connection over), and replication or
  // shutdown commands that end the request/reply exchange.
  static constexpr std::string_view kNames[] = {
      "BLMOVE",   "BLMPOP", "BLPOP",    "BRPOP", "BRPOPLPUSH", "BZMPOP", "BZPOPMAX",
      "BZPOPMIN", "DEBUG",  "FAILOVER", "PSYNC", "REPLCONF",   "SCRIPT", "SHUTDOWN",
      "SYNC",     "WAIT",   "WAITAOF",  "XREAD", "XREADGROUP",
  };
  for (auto n : kNames)
    if (name.size() == n.size() && is(name, n)) return true;
  return false;
}

void Client::note_command(std::string_view name) noexcept { session_ = session::after(session_, name); }

}  // namespace respool
