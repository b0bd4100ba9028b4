// Commands that go to several nodes at once: batches, and multi-key
// commands whose keys span slots. Each node gets one write carrying all of
// its commands; every node is written before any reply is read, so the
// round trips overlap. Leases are taken in one global order (by pool
// address), so two callers fanning out over the same nodes can't each hold
// the connection the other waits for.
#include <algorithm>
#include <unordered_map>

#include "cluster/state.hpp"
#include "common/ascii.hpp"
#include "respool/error.hpp"

namespace respool::detail {
namespace {

enum class Merge { values, all_ok, sum, none };

// How a cross-slot command splits: keys from argv[1], `stride` arguments
// per key (MSET: key and value), and how the parts' replies merge.
Merge merge_of(std::string_view name, std::size_t& stride) {
  stride = 1;
  if (iequals(name, "MGET")) return Merge::values;
  if (iequals(name, "MSET")) {
    stride = 2;
    return Merge::all_ok;
  }
  if (iequals(name, "DEL") || iequals(name, "UNLINK") || iequals(name, "EXISTS") || iequals(name, "TOUCH"))
    return Merge::sum;
  return Merge::none;
}

// The first failure among the parts: an io_error whose outcome is unknown
// first (some part may have run), then any other error.
const Resp* first_failure(std::span<const Unit> units) {
  const Resp* found = nullptr;
  for (const Unit& u : units) {
    if (u.reply.is_io_error() && u.reply.delivery() == Delivery::unknown) return &u.reply;
    if (found == nullptr && (u.reply.is_io_error() || u.reply.is_server_error())) found = &u.reply;
  }
  return found;
}

}  // namespace

Result<Route> route_of(const ClusterState& st, std::span<const std::string_view> argv,
                       std::vector<std::string_view>& keys) {
  keys.clear();
  const cluster::CommandTable& table = st.commands();
  table.keys(argv, keys);
  // Sharded pub/sub names a channel, not a key, yet the channel's slot
  // picks the node.
  if (keys.empty() && argv.size() >= 2 && iequals(argv[0], "SPUBLISH")) keys.push_back(argv[1]);
  Route route;
  route.readonly = st.options().read_from != ReadFrom::primary && table.is_readonly(argv);
  if (keys.empty()) return route;
  const int slot = key_slot(keys[0]);
  for (std::size_t i = 1; i < keys.size(); ++i)
    if (key_slot(keys[i]) != slot) return errc::cross_slot;
  route.slot = slot;
  return route;
}

void run_units(ClusterState& st, std::span<Unit> units) {
  struct Group {
    NodePool* node;
    std::vector<std::size_t> units;
    Lease lease;
  };
  std::shared_ptr<const Topology> topo = st.topology();
  std::vector<Group> groups;
  std::vector<NodePool*> node_of(units.size(), nullptr);
  for (std::size_t i = 0; i < units.size(); ++i) {
    NodePool* node = st.choose(*topo, units[i].route, false);
    node_of[i] = node;
    if (node == nullptr) {
      units[i].reply = Resp::io_error(errc::cluster_down, Delivery::not_sent);
      continue;
    }
    auto g = std::find_if(groups.begin(), groups.end(), [&](const Group& x) { return x.node == node; });
    if (g == groups.end()) g = groups.insert(groups.end(), Group{node, {}, Lease()});
    g->units.push_back(i);
  }
  std::sort(groups.begin(), groups.end(), [](const Group& a, const Group& b) { return a.node < b.node; });

  for (Group& g : groups) {  // write everywhere ...
    g.lease = g.node->pool->lease();
    if (!g.lease) {
      for (std::size_t i : g.units) units[i].reply = Resp::io_error(g.lease.error(), Delivery::not_sent);
      continue;
    }
    for (std::size_t i : g.units) g.lease->pipe_append_encoded(units[i].encoded);
    (void)g.lease->pipe_send();  // a failure shows in each reply read below
  }
  for (Group& g : groups) {  // ... then read everywhere
    if (!g.lease) continue;
    for (std::size_t i : g.units) units[i].reply = g.lease->pipe_resp();
    g.lease.reset();
  }
  // Redirects, and what was never sent, one by one.
  for (std::size_t i = 0; i < units.size(); ++i) {
    Resp& r = units[i].reply;
    if (!r.is_server_error() && !(r.is_io_error() && r.delivery() == Delivery::not_sent)) continue;
    const std::string addr = node_of[i] != nullptr ? node_of[i]->addr : std::string();
    r = route_command(st, units[i].encoded, units[i].name, units[i].route, false, &r, &addr);
  }
}

Resp split_command(ClusterState& st, std::span<const std::string_view> argv) {
  std::size_t stride = 1;
  const Merge merge = merge_of(argv[0], stride);
  if (merge == Merge::none || argv.size() < 2 || (argv.size() - 1) % stride != 0)
    return Resp::io_error(errc::cross_slot, Delivery::not_sent);
  st.counters.cross_slot_splits.fetch_add(1, std::memory_order_relaxed);

  // Group the keys by slot, in order of first appearance.
  const std::size_t nkeys = (argv.size() - 1) / stride;
  std::vector<std::vector<std::size_t>> parts;  // key indexes per slot
  std::vector<int> part_slot;
  std::unordered_map<int, std::size_t> part_of;
  for (std::size_t k = 0; k < nkeys; ++k) {
    const int slot = key_slot(argv[1 + k * stride]);
    auto [it, fresh] = part_of.emplace(slot, parts.size());
    if (fresh) {
      parts.emplace_back();
      part_slot.push_back(slot);
    }
    parts[it->second].push_back(k);
  }

  // Encode each part; the units point into one buffer built first.
  std::string buf;
  std::vector<std::size_t> ends;
  std::vector<std::string_view> part_argv;
  for (const auto& keys : parts) {
    part_argv.assign(1, argv[0]);
    for (std::size_t k : keys)
      for (std::size_t j = 0; j < stride; ++j) part_argv.push_back(argv[1 + k * stride + j]);
    encode_argv(buf, part_argv);
    ends.push_back(buf.size());
  }
  std::vector<Unit> units(parts.size());
  const bool readonly = merge == Merge::values && st.options().read_from != ReadFrom::primary;
  for (std::size_t p = 0; p < parts.size(); ++p) {
    const std::size_t begin = p == 0 ? 0 : ends[p - 1];
    units[p].encoded = std::string_view(buf).substr(begin, ends[p] - begin);
    units[p].name = argv[0];
    units[p].route = Route{part_slot[p], readonly};
  }
  run_units(st, units);

  if (const Resp* failed = first_failure(units)) return *failed;
  switch (merge) {
    case Merge::values: {
      std::vector<Resp> values(nkeys);
      for (std::size_t p = 0; p < parts.size(); ++p) {
        std::vector<Resp>& got = units[p].reply.elements();
        if (got.size() != parts[p].size()) return Resp::io_error(errc::protocol_error, Delivery::delivered);
        for (std::size_t j = 0; j < got.size(); ++j) values[parts[p][j]] = std::move(got[j]);
      }
      return Resp::aggregate(Resp::Type::array, std::move(values));
    }
    case Merge::all_ok: return Resp::simple_string("OK");
    case Merge::sum: {
      std::int64_t total = 0;
      for (const Unit& u : units) {
        Result<std::int64_t> n = u.reply.integer();
        if (!n) return Resp::io_error(errc::protocol_error, Delivery::delivered);
        total += *n;
      }
      return Resp::integer_value(total);
    }
    case Merge::none: break;
  }
  return Resp::io_error(errc::cross_slot, Delivery::not_sent);
}

}  // namespace respool::detail
