// respool::Cluster: the public face of ClusterState (see state.hpp).
#include <algorithm>

#include "cluster/state.hpp"
#include "respool/error.hpp"

namespace respool {
namespace detail {

std::error_code ClusterState::validate() const {
  if (seeds_.empty() || size_ < 0 || options_.max_redirects < 0 || options_.refresh_interval.count() < 0 ||
      options_.min_refresh_gap.count() < 0 || options_.down_budget.count() < 0 ||
      options_.tryagain_delay.count() < 0)
    return errc::invalid_argument;
  for (const std::string& seed : seeds_) {
    // A pool of size 0 checks the address and the options, and dials nothing.
    Pool::CreateResult probe = Pool::create("tcp", seed, 0, options_.pool);
    probe.pool->empty();
    if (probe.error) return probe.error;
  }
  return {};
}

std::error_code ClusterState::start() {
  if (std::error_code ec = validate()) {
    config_error_ = ec;
    empty();
    return ec;
  }
  return start_refresher();
}

}  // namespace detail

namespace {

thread_local std::vector<std::string_view> t_argv;
thread_local std::vector<std::string_view> t_keys;

}  // namespace

Cluster::Cluster(std::shared_ptr<detail::ClusterState> state) noexcept : state_(std::move(state)) {}

Cluster::~Cluster() { state_->empty(); }

Cluster::CreateResult Cluster::create(std::vector<std::string> seeds, int size, ClusterOptions options) {
  auto state = std::make_shared<detail::ClusterState>(std::move(seeds), size, std::move(options));
  std::error_code ec = state->start();
  return {std::shared_ptr<Cluster>(new Cluster(std::move(state))), ec};
}

Resp Cluster::cmd_encoded(std::string_view encoded, bool idempotent) {
  detail::ClusterState& st = *state_;
  if (st.closed()) return Resp::io_error(st.closed_error(), Delivery::not_sent);
  std::vector<std::string_view>& argv = t_argv;
  if (!cluster::split_encoded(encoded, argv) || argv.empty())
    return Resp::io_error(errc::invalid_argument, Delivery::not_sent);
  Result<detail::Route> route = detail::route_of(st, argv, t_keys);
  if (!route) {
    if (route.error() != errc::cross_slot) return Resp::io_error(route.error(), Delivery::not_sent);
    std::vector<std::string_view> mine(argv.begin(), argv.end());  // t_argv may be reused below
    return detail::split_command(st, mine);
  }
  return detail::route_command(st, encoded, argv[0], *route, idempotent);
}

Lease Cluster::lease(std::string_view key) {
  detail::ClusterState& st = *state_;
  const detail::Route route{key_slot(key), false};
  const auto deadline = std::chrono::steady_clock::now() + st.options().down_budget;
  for (;;) {
    if (st.closed()) return Lease(st.closed_error());
    std::shared_ptr<const detail::Topology> topo = st.topology();
    detail::NodePool* node = st.choose(*topo, route, true);
    std::error_code why = errc::cluster_down;
    if (node != nullptr) {
      Lease l = node->pool->lease();
      if (l) return l;
      why = l.error();
      if (why == errc::get_timeout || why == errc::invalid_argument) return l;
    }
    // No owner, or its node can't be reached (nothing was sent): a fresh map.
    if (std::chrono::steady_clock::now() >= deadline || !st.refresh_and_wait(deadline)) return Lease(why);
  }
}

std::vector<Resp> Cluster::run(const Batch& batch) {
  detail::ClusterState& st = *state_;
  std::vector<Resp> out(batch.size());
  if (batch.empty()) return out;
  if (st.closed()) {
    for (Resp& r : out) r = Resp::io_error(st.closed_error(), Delivery::not_sent);
    return out;
  }
  std::vector<detail::Unit> units;
  std::vector<std::size_t> unit_of;  // batch index of each unit
  std::vector<std::size_t> split;    // batch indexes of multi-slot commands
  std::vector<std::string_view> argv, keys;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const std::string_view encoded = batch.command(i);
    if (!cluster::split_encoded(encoded, argv) || argv.empty()) {
      out[i] = Resp::io_error(errc::invalid_argument, Delivery::not_sent);
      continue;
    }
    Result<detail::Route> route = detail::route_of(st, argv, keys);
    if (!route) {
      if (route.error() == errc::cross_slot)
        split.push_back(i);
      else
        out[i] = Resp::io_error(route.error(), Delivery::not_sent);
      continue;
    }
    units.push_back(detail::Unit{encoded, argv[0], *route, Resp()});
    unit_of.push_back(i);
  }
  detail::run_units(st, units);
  for (std::size_t u = 0; u < units.size(); ++u) out[unit_of[u]] = std::move(units[u].reply);
  for (std::size_t i : split) {
    (void)cluster::split_encoded(batch.command(i), argv);
    out[i] = detail::split_command(st, argv);
  }
  return out;
}

std::vector<std::string> Cluster::primaries() const {
  std::vector<std::string> out;
  for (const auto& sp : state_->topology()->shards)
    if (sp.primary) out.push_back(sp.primary->addr);
  return out;
}

std::string Cluster::primary_for(std::uint16_t slot, bool refresh) const {
  if (slot >= cluster::slot_count || state_->closed()) return {};
  if (refresh) state_->refresh_and_wait(std::chrono::steady_clock::now() + state_->options().down_budget);
  std::shared_ptr<const detail::Topology> topo = state_->topology();
  const detail::NodePool* node = state_->choose(*topo, detail::Route{.slot = slot, .readonly = false}, true);
  return node != nullptr ? node->addr : std::string();
}

std::shared_ptr<Pool> Cluster::node_pool(std::string_view addr) const {
  std::shared_ptr<const detail::Topology> topo = state_->topology();
  auto it = topo->pools.find(std::string(addr));
  return it == topo->pools.end() ? nullptr : it->second->pool;
}

ClusterStats Cluster::stats() const {
  const detail::ClusterState::Counters& c = state_->counters;
  auto get = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  ClusterStats s;
  for (const auto& [key, node] : state_->topology()->pools) {
    const std::string name = node->replica ? node->addr + " (replica reads)" : node->addr;
    s.nodes[name] = node->pool->stats();
  }
  s.moved = get(c.moved);
  s.ask = get(c.ask);
  s.refreshes = get(c.refreshes);
  s.refresh_errors = get(c.refresh_errors);
  s.cross_slot_splits = get(c.cross_slot_splits);
  s.retries = ClusterRetries{get(c.r_moved),   get(c.r_ask),      get(c.r_tryagain),  get(c.r_down),
                             get(c.r_connect), get(c.r_not_sent), get(c.r_idempotent)};
  return s;
}

void Cluster::empty() { state_->empty(); }

}  // namespace respool
