// What commands do to a connection's session (private to respool; the pool
// reads it to decide which commands may share a round trip). The table is in
// session.cpp. Pure functions: thread-safe, no allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "respool/resp.hpp"

namespace respool {

// Bits of Client::session_ (see Client::is_clean and session.cpp).
namespace session {
inline constexpr std::uint8_t in_multi = 1;  // the server confirmed MULTI; no EXEC / DISCARD yet
inline constexpr std::uint8_t watching = 2;  // the server confirmed WATCH; no UNWATCH / EXEC / DISCARD yet
inline constexpr std::uint8_t changed = 4;   // a command changed the session (sticky)

// What a command does to the session (session.cpp has the table).
enum class Effect : std::uint8_t { none, multi, exec, discard, watch, unwatch, reset, pubsub, sticky };
// `name` is the command, `sub` its first argument (read for CLIENT and
// SCRIPT only). Case-insensitive; no allocation.
Effect effect_of(std::string_view name, std::string_view sub) noexcept;
// The session bits after `reply` answered a command of this effect.
std::uint8_t settle(std::uint8_t state, Effect effect, const Resp& reply) noexcept;
// True when `name` may change the session (CLIENT counts, whatever follows).
inline bool affects(std::string_view name) noexcept { return effect_of(name, {}) != Effect::none; }
// True when `name` may keep the connection busy long after its request
// (blocking commands), or ends its request/reply exchange (replication).
bool may_hold_connection(std::string_view name) noexcept;

// The argument at `index` (0: the name) of a command as encode_command wrote
// it ("*<n>\r\n$<len>\r\n<bytes>\r\n..."), and its element count in
// `*count` when not null. Empty when there is no such argument.
std::string_view encoded_argument(std::string_view encoded, std::size_t index, std::size_t* count) noexcept;

// What a pub/sub frame is: a subscription confirmation ([kind, channel,
// count]), for channels and patterns or for shard channels, or a message.
enum class PubsubKind : std::uint8_t { none, channel_confirmation, shard_confirmation, message };
PubsubKind pubsub_kind(const Resp& r) noexcept;
}  // namespace session

}  // namespace respool
