// Client::note_command: cheap tracking of the session state a command leaves
// behind, so the pool hands out only connections in the state dial() left
// them in (Client::is_clean).
//
// Runs on every command: it switches on the name's length, then compares at
// most a few fixed upper-case names case-insensitively. No allocation.
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
//   (P|S)UNSUBSCRIBE         -> subscribed (as the three above: under RESP3
//                               their replies are pushes, read as replies)
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

void Client::note_command(std::string_view name) noexcept {
  using namespace session;
  switch (name.size()) {
    case 4:
      if (is(name, "EXEC")) {
        session_ &= static_cast<std::uint8_t>(~(in_multi | watching));
      } else if (is(name, "AUTH") || is(name, "QUIT")) {
        session_ |= changed;
      }
      break;
    case 5:
      if (is(name, "MULTI")) {
        session_ |= in_multi;
      } else if (is(name, "WATCH")) {
        session_ |= watching;
      } else if (is(name, "HELLO") || is(name, "RESET")) {
        session_ |= changed;
      }
      break;
    case 6:
      if (is(name, "SELECT") || is(name, "CLIENT") || is(name, "ASKING")) session_ |= changed;
      break;
    case 7:
      if (is(name, "DISCARD")) {
        session_ &= static_cast<std::uint8_t>(~(in_multi | watching));
      } else if (is(name, "UNWATCH")) {
        session_ &= static_cast<std::uint8_t>(~watching);
      } else if (is(name, "MONITOR")) {
        session_ |= changed;
      }
      break;
    case 8:
      if (is(name, "READONLY")) session_ |= changed;
      break;
    case 9:
      if (is(name, "SUBSCRIBE")) {
        session_ |= changed | subscribed;
      } else if (is(name, "READWRITE")) {
        session_ |= changed;
      }
      break;
    case 10:
      if (is(name, "PSUBSCRIBE") || is(name, "SSUBSCRIBE")) session_ |= changed | subscribed;
      break;
    case 11:
      if (is(name, "UNSUBSCRIBE")) session_ |= subscribed;
      break;
    case 12:
      if (is(name, "PUNSUBSCRIBE") || is(name, "SUNSUBSCRIBE")) session_ |= subscribed;
      break;
    default: break;
  }
}

}  // namespace respool
