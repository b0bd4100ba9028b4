// The slot map from CLUSTER SHARDS / CLUSTER SLOTS, and MOVED / ASK (see
// slot_map.hpp).
//
// Addresses are "host:port", with an IPv6 host in brackets ("[::1]:7000")
// whatever form the server wrote it in, so that one node always has one
// address string.
#include "cluster/slot_map.hpp"

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "cluster/reply_fields.hpp"

namespace respool::cluster {
namespace {

bool is_list(const Resp& r) { return r.type() == Resp::Type::array || r.type() == Resp::Type::set; }

bool is_pairs(const Resp& r) {
  return (r.type() == Resp::Type::map || r.type() == Resp::Type::array) && r.elements().size() % 2 == 0;
}

std::string_view text_of(const Resp* r) {
  if (!r) return {};
  const auto b = r->bytes();
  return b ? *b : std::string_view{};
}

bool unknown_host(std::string_view h) { return h.empty() || h == "?"; }

std::string join_addr(std::string_view host, std::int64_t port) {
  std::string out;
  const bool v6 = host.find(':') != std::string_view::npos && host.front() != '[';
  if (v6) out += '[';
  out += host;
  if (v6) out += ']';
  out += ':';
  out += std::to_string(port);
  return out;
}

bool valid_port(std::int64_t p) { return p > 0 && p <= 65535; }

// Marks [start, end] as owned by shard `index`. False: not a slot range.
bool assign(SlotMap& map, const Resp& start, const Resp& end, std::size_t index) {
  if (start.type() != Resp::Type::integer || end.type() != Resp::Type::integer) return false;
  const std::int64_t a = *start.integer();
  const std::int64_t b = *end.integer();
  if (a < 0 || b < a || b >= slot_count) return false;
  for (std::int64_t s = a; s <= b; ++s) map.owner[s] = static_cast<std::int16_t>(index);
  return true;
}

}  // namespace

Result<SlotMap> parse_cluster_shards(const Resp& reply, std::string_view queried_host) {
  if (!is_list(reply)) return errc::protocol_error;
  SlotMap map;
  for (const Resp& shard : reply.elements()) {
    if (!is_pairs(shard)) return errc::protocol_error;
    const Resp* slots = field(shard, "slots");
    const Resp* nodes = field(shard, "nodes");
    if (!slots || !nodes || !is_list(*slots) || !is_list(*nodes) || slots->elements().size() % 2 != 0) {
      return errc::protocol_error;
    }
    Shard s;
    bool primary_online = false;
    for (const Resp& node : nodes->elements()) {
      if (!is_pairs(node)) return errc::protocol_error;
      std::string_view host = text_of(field(node, "endpoint"));
      if (unknown_host(host)) host = text_of(field(node, "ip"));
      if (unknown_host(host)) host = queried_host;
      std::int64_t port = 0;
      if (const Resp* p = field(node, "port"); p && p->type() == Resp::Type::integer) port = *p->integer();
      if (const Resp* p = field(node, "tls-port"); port == 0 && p && p->type() == Resp::Type::integer) {
        port = *p->integer();
      }
      if (!valid_port(port) || host.empty()) continue;  // a node no one can reach
      const std::string_view role = text_of(field(node, "role"));
      const bool online = text_of(field(node, "health")) == "online";
      if (role == "master") {
        // Two primaries (a failover under way): the online one.
        if (s.primary.empty() || (online && !primary_online)) s.primary = join_addr(host, port);
        primary_online = primary_online || online;
      } else if ((role == "replica" || role == "slave") && online) {
        s.replicas.push_back(join_addr(host, port));
      }
    }
    if (s.primary.empty()) continue;
    const std::size_t index = map.shards.size();
    if (index >= slot_count) return errc::protocol_error;  // more shards than slots: owner can't index them
    const auto& range = slots->elements();
    for (std::size_t i = 0; i < range.size(); i += 2) {
      if (!assign(map, range[i], range[i + 1], index)) return errc::protocol_error;
    }
    map.shards.push_back(std::move(s));
  }
  return map;
}

Result<SlotMap> parse_cluster_slots(const Resp& reply, std::string_view queried_host) {
  if (!is_list(reply)) return errc::protocol_error;
  SlotMap map;
  std::map<std::string, std::size_t, std::less<>> by_primary;
  // [host, port, id, ...] -> "host:port"; empty when unusable.
  auto address = [queried_host](const Resp& node, std::string& out) {
    if (node.type() != Resp::Type::array || node.elements().size() < 2) return false;
    const auto& e = node.elements();
    std::string_view host = text_of(&e[0]);
    if (unknown_host(host)) host = queried_host;
    if (e[1].type() != Resp::Type::integer) return false;
    const std::int64_t port = *e[1].integer();
    out = valid_port(port) && !host.empty() ? join_addr(host, port) : std::string();
    return true;
  };
  for (const Resp& entry : reply.elements()) {
    if (entry.type() != Resp::Type::array || entry.elements().size() < 3) return errc::protocol_error;
    const auto& e = entry.elements();
    std::string primary;
    if (!address(e[2], primary)) return errc::protocol_error;
    if (primary.empty()) continue;
    if (map.shards.size() >= slot_count) return errc::protocol_error;
    auto [it, added] = by_primary.try_emplace(primary, map.shards.size());
    if (added) {
      Shard s;
      s.primary = primary;
      for (std::size_t i = 3; i < e.size(); ++i) {
        std::string replica;
        if (!address(e[i], replica)) return errc::protocol_error;
        if (!replica.empty()) s.replicas.push_back(std::move(replica));
      }
      map.shards.push_back(std::move(s));
    }
    if (!assign(map, e[0], e[1], it->second)) return errc::protocol_error;
  }
  return map;
}

std::optional<Redirect> parse_redirect(std::string_view error_message, std::string_view replying_host) {
  // A server error's Resp keeps the whole line after '-': "MOVED 3999 host:port".
  Redirect r{};
  std::string_view rest = error_message;
  if (rest.starts_with("MOVED ")) {
    r.kind = Redirect::Kind::moved;
    rest.remove_prefix(6);
  } else if (rest.starts_with("ASK ")) {
    r.kind = Redirect::Kind::ask;
    rest.remove_prefix(4);
  } else {
    return std::nullopt;
  }
  const auto space = rest.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const std::string_view slot = rest.substr(0, space);
  const std::string_view addr = rest.substr(space + 1);
  auto [end, ec] = std::from_chars(slot.data(), slot.data() + slot.size(), r.slot);
  if (ec != std::errc{} || end != slot.data() + slot.size() || r.slot < 0 || r.slot >= slot_count) {
    return std::nullopt;
  }
  const auto colon = addr.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view host = addr.substr(0, colon);
  const std::string_view port_text = addr.substr(colon + 1);
  std::int64_t port = 0;
  auto [pend, pec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (pec != std::errc{} || pend != port_text.data() + port_text.size() || !valid_port(port))
    return std::nullopt;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = replying_host;
  if (host.empty()) return std::nullopt;
  r.addr = join_addr(host, port);
  return r;
}

std::string_view host_of(std::string_view addr) noexcept {
  if (addr.starts_with('[')) {
    const auto close = addr.find(']');
    return close == std::string_view::npos ? addr : addr.substr(1, close - 1);
  }
  const auto colon = addr.rfind(':');
  return colon == std::string_view::npos ? addr : addr.substr(0, colon);
}

}  // namespace respool::cluster
