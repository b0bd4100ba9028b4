// The cluster's slot map as a server reports it, and the redirect errors
// that correct it. Pure parsing: no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "respool/resp.hpp"
#include "respool/result.hpp"

namespace respool::cluster {

inline constexpr int slot_count = 16384;

// One primary and its replicas, as "host:port" addresses.
struct Shard {
  std::string primary;
  std::vector<std::string> replicas;  // only those reported healthy (online)
};

struct SlotMap {
  std::vector<Shard> shards;
  std::vector<std::int16_t> owner = std::vector<std::int16_t>(slot_count, -1);  // index into shards, -1: none
};

// From a CLUSTER SHARDS reply (Redis 7+; RESP2 or RESP3). `queried_host` is
// the host of the node that answered: it stands in for an empty or "?"
// endpoint. Errors: protocol_error for a reply of the wrong shape.
Result<SlotMap> parse_cluster_shards(const Resp& reply, std::string_view queried_host);
// From a CLUSTER SLOTS reply (every version).
Result<SlotMap> parse_cluster_slots(const Resp& reply, std::string_view queried_host);

// A MOVED or ASK error: "MOVED 3999 127.0.0.1:6381". An empty host
// (":6381") is replaced by `replying_host`.
struct Redirect {
  enum class Kind : std::uint8_t { moved, ask } kind;
  int slot;
  std::string addr;
};
std::optional<Redirect> parse_redirect(std::string_view error_message, std::string_view replying_host);

// The host part of "host:port" (IPv6 "[::1]:7000" -> "::1").
std::string_view host_of(std::string_view addr) noexcept;

}  // namespace respool::cluster
