// What commands do to a connection, in one place. The pool hands out only
// connections in the state dial() left them in (Client::is_clean), so the
// client tracks that state from the server's own answers, not from the
// commands alone:
//
//   command          when noted (queued)   when its reply is read
//   MULTI            -                     OK: in_multi (an error, e.g. a
//                                          nested MULTI, changes nothing)
//   EXEC             -                     an array, nil, or EXECABORT: the
//                                          transaction is over, every WATCH
//                                          dropped; any other error ("EXEC
//                                          without MULTI", OOM, NOPERM) leaves
//                                          MULTI and WATCH as they were
//   DISCARD          -                     OK: as EXEC; an error: nothing
//   WATCH            -                     OK: watching (inside MULTI it is an
//                                          error and changes nothing)
//   UNWATCH          -                     OK: not watching (QUEUED inside
//                                          MULTI: EXEC will drop the watches)
//   RESET            changed (sticky)      RESET: no MULTI, WATCH or channels
//   (P|S)(UN)SUBSCRIBE  changed (sticky)   each confirmation sets the
//                                          server's subscription counts
//   SELECT, AUTH, HELLO, MONITOR, QUIT, READONLY, READWRITE, ASKING,
//   SCRIPT DEBUG, CLIENT (any subcommand but ID, INFO, LIST, GETNAME,
//   GETREDIR, TRACKINGINFO, HELP, PAUSE, UNPAUSE)
//                    changed (sticky)      -
//
// A sticky change is never undone: such a connection is closed when it goes
// back to the pool. may_hold_connection names the commands that keep a
// connection busy. The pool's shared round trips carry neither kind.
//
// effect_of() switches on the name's length, then compares a few fixed
// upper-case names case-insensitively. No allocation.
#include <cstddef>
#include <string_view>

#include "client/impl.hpp"
#include "common/ascii.hpp"
#include "respool/client.hpp"

namespace respool {
namespace {

using respool::detail::iequals;

// CLIENT subcommands that only read: they leave the session as it was.
bool client_subcommand_reads_only(std::string_view sub) noexcept {
  static constexpr std::string_view kReadOnly[] = {"ID",           "INFO", "LIST",  "GETNAME", "GETREDIR",
                                                   "TRACKINGINFO", "HELP", "PAUSE", "UNPAUSE"};
  for (auto n : kReadOnly)
    if (iequals(sub, n)) return true;
  return false;
}

}  // namespace

session::Effect session::effect_of(std::string_view name, std::string_view sub) noexcept {
  switch (name.size()) {
    case 4:
      if (iequals(name, "EXEC")) return Effect::exec;
      if (iequals(name, "AUTH") || iequals(name, "QUIT")) return Effect::sticky;
      break;
    case 5:
      if (iequals(name, "MULTI")) return Effect::multi;
      if (iequals(name, "WATCH")) return Effect::watch;
      if (iequals(name, "RESET")) return Effect::reset;
      if (iequals(name, "HELLO")) return Effect::sticky;
      break;
    case 6:
      if (iequals(name, "SELECT") || iequals(name, "ASKING")) return Effect::sticky;
      if (iequals(name, "CLIENT")) return client_subcommand_reads_only(sub) ? Effect::none : Effect::sticky;
      if (iequals(name, "SCRIPT")) return iequals(sub, "DEBUG") ? Effect::sticky : Effect::none;
      break;
    case 7:
      if (iequals(name, "DISCARD")) return Effect::discard;
      if (iequals(name, "UNWATCH")) return Effect::unwatch;
      if (iequals(name, "MONITOR")) return Effect::sticky;
      break;
    case 8:
      if (iequals(name, "READONLY")) return Effect::sticky;
      break;
    case 9:
      if (iequals(name, "SUBSCRIBE")) return Effect::pubsub;
      if (iequals(name, "READWRITE")) return Effect::sticky;
      break;
    case 10:
      if (iequals(name, "PSUBSCRIBE") || iequals(name, "SSUBSCRIBE")) return Effect::pubsub;
      break;
    case 11:
      if (iequals(name, "UNSUBSCRIBE")) return Effect::pubsub;
      break;
    case 12:
      if (iequals(name, "PUNSUBSCRIBE") || iequals(name, "SUNSUBSCRIBE")) return Effect::pubsub;
      break;
    default: break;
  }
  return Effect::none;
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
    if (iequals(name, n)) return true;
  return false;
}

session::PubsubKind session::pubsub_kind(const Resp& r) noexcept {
  if (r.type() != Resp::Type::array && r.type() != Resp::Type::push) return PubsubKind::none;
  const auto& e = r.elements();
  if (e.size() < 2 || e.size() > 4) return PubsubKind::none;
  const auto t = e[0].type();
  if (t != Resp::Type::bulk_string && t != Resp::Type::simple_string) return PubsubKind::none;
  const std::string_view k = e[0].text();
  if (e.size() == 3 && e[2].type() == Resp::Type::integer) {
    if (iequals(k, "SUBSCRIBE") || iequals(k, "PSUBSCRIBE") || iequals(k, "UNSUBSCRIBE") ||
        iequals(k, "PUNSUBSCRIBE"))
      return PubsubKind::channel_confirmation;
    if (iequals(k, "SSUBSCRIBE") || iequals(k, "SUNSUBSCRIBE")) return PubsubKind::shard_confirmation;
  }
  if ((e.size() == 3 && (iequals(k, "MESSAGE") || iequals(k, "SMESSAGE"))) ||
      (e.size() == 4 && iequals(k, "PMESSAGE")))
    return PubsubKind::message;
  return PubsubKind::none;
}

std::uint8_t session::settle(std::uint8_t state, Effect effect, const Resp& reply) noexcept {
  constexpr auto transaction = static_cast<std::uint8_t>(in_multi | watching);
  const bool error = reply.is_server_error() || reply.is_io_error();
  const bool ok = reply.type() == Resp::Type::simple_string && reply.text() == "OK";
  switch (effect) {
    case Effect::multi:
      if (ok) state |= in_multi;
      break;
    case Effect::exec:
      if (!error || (reply.is_server_error() && reply.text().starts_with("EXECABORT")))
        state &= static_cast<std::uint8_t>(~transaction);
      break;
    case Effect::discard:
      if (ok) state &= static_cast<std::uint8_t>(~transaction);
      break;
    case Effect::watch:
      if (ok) state |= watching;
      break;
    case Effect::unwatch:
      if (ok) state &= static_cast<std::uint8_t>(~watching);
      break;
    case Effect::reset:
      if (reply.type() == Resp::Type::simple_string && reply.text() == "RESET")
        state &= static_cast<std::uint8_t>(~transaction);
      break;
    default: break;
  }
  return state;
}

std::string_view session::encoded_argument(std::string_view encoded, std::size_t index,
                                           std::size_t* count) noexcept {
  std::size_t pos = 0, n = 0;
  auto number = [&]() {
    std::size_t v = 0;
    for (++pos; pos < encoded.size() && encoded[pos] >= '0' && encoded[pos] <= '9'; ++pos)
      v = v * 10 + static_cast<std::size_t>(encoded[pos] - '0');
    pos += 2;  // CRLF
    return v;
  };
  n = number();
  if (count != nullptr) *count = n;
  for (std::size_t i = 0; i < n && pos < encoded.size(); ++i) {
    const std::size_t len = number();
    if (pos > encoded.size() || len > encoded.size() - pos) return {};
    if (i == index) return encoded.substr(pos, len);
    pos += len + 2;
  }
  return {};
}

}  // namespace respool
