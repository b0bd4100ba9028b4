// The slot map: reading it from the nodes, publishing it as an immutable
// Topology, and the refresher thread that keeps it fresh.
//
// Refreshes are shared work: one thread (the refresher) performs them, one
// at a time, at most one per min_refresh_gap; callers ask for one and,
// when they need its result, wait for the next one to finish instead of
// starting their own. Pools of nodes that leave the map are emptied after
// the new map is published, so a command routed on the old map at worst
// finds its pool closed and routes again.
#include <algorithm>
#include <random>

#include "cluster/state.hpp"
#include "common/ascii.hpp"
#include "respool/error.hpp"

namespace respool::detail {
namespace {

std::atomic<std::uint64_t> g_next_cluster_id{1};

struct Snapshot {
  std::uint64_t owner = 0;
  std::uint64_t generation = 0;
  std::shared_ptr<const Topology> topo;
};
thread_local Snapshot t_snapshot;

std::string pool_key(const std::string& addr, bool replica) { return replica ? addr + "#r" : addr; }

bool starts_with_word(std::string_view msg, std::string_view word) {
  return msg.size() >= word.size() && iequals(msg.substr(0, word.size()), word);
}

}  // namespace

ClusterState::ClusterState(std::vector<std::string> seeds, int size, ClusterOptions options)
    : seeds_(std::move(seeds)),
      size_(size),
      options_(std::move(options)),
      id_(g_next_cluster_id.fetch_add(1)),
      topo_(std::make_shared<Topology>()),
      builtin_commands_(cluster::CommandTable::builtin()) {
  commands_.store(builtin_commands_.get(), std::memory_order_release);
}

ClusterState::~ClusterState() { empty(); }

const cluster::CommandTable& ClusterState::commands() const noexcept {
  return *commands_.load(std::memory_order_acquire);
}

std::shared_ptr<const Topology> ClusterState::topology() const {
  const std::uint64_t gen = generation_.load(std::memory_order_acquire);
  Snapshot& s = t_snapshot;
  if (s.owner == id_ && s.generation == gen && s.topo) return s.topo;
  std::shared_ptr<const Topology> t;
  {
    std::lock_guard lk(topo_mu_);
    t = topo_;
    s.generation = generation_.load(std::memory_order_relaxed);
  }
  s.owner = id_;
  s.topo = t;
  return t;
}

void ClusterState::publish(std::shared_ptr<const Topology> next) {
  std::shared_ptr<const Topology> old;
  {
    std::lock_guard lk(topo_mu_);
    old = std::move(topo_);
    topo_ = next;
    generation_.fetch_add(1, std::memory_order_release);
  }
  // Pools the new map no longer names (nodes that left, or a pool made for
  // a redirect meanwhile) are emptied: whoever still uses one gets
  // pool_closed and routes again.
  for (const auto& [key, node] : old->pools) {
    auto it = next->pools.find(key);
    if (it == next->pools.end() || it->second != node) node->pool->empty();
  }
}

std::shared_ptr<NodePool> ClusterState::make_pool(const std::string& addr, bool replica) {
  PoolOptions opts = options_.pool;
  if (replica) {
    // Reads on a replica need READONLY; done at dial, it is the baseline.
    DialFunc user = options_.pool.dial;
    DialOptions dial_options = options_.pool.dial_options;
    opts.dial = [user, dial_options](std::string_view network,
                                     std::string_view a) -> Result<std::unique_ptr<Client>> {
      Result<std::unique_ptr<Client>> c = user ? user(network, a) : Client::dial(network, a, dial_options);
      if (!c) return c;
      Resp r = (*c)->cmd("READONLY");
      if (r.is_io_error()) return r.err();
      if (r.is_server_error()) return errc::handshake_failed;
      return c;
    };
  }
  auto node = std::make_shared<NodePool>();
  node->addr = addr;
  node->replica = replica;
  node->pool = Pool::create("tcp", addr, size_, std::move(opts)).pool;
  return node;
}

std::shared_ptr<NodePool> ClusterState::pool_for(const std::string& addr) {
  if (closed()) return nullptr;
  {
    std::lock_guard lk(topo_mu_);
    auto it = topo_->pools.find(addr);
    if (it != topo_->pools.end()) return it->second;
  }
  std::shared_ptr<NodePool> made = make_pool(addr, false);  // dials: outside the lock
  std::lock_guard lk(topo_mu_);
  auto it = topo_->pools.find(addr);
  if (it != topo_->pools.end()) {  // another thread made it meanwhile
    made->pool->empty();
    return it->second;
  }
  auto next = std::make_shared<Topology>(*topo_);
  next->pools.emplace(addr, made);
  topo_ = std::move(next);
  generation_.fetch_add(1, std::memory_order_release);
  if (closed()) made->pool->empty();
  return made;
}

void ClusterState::apply_moved(int slot, const std::string& addr) {
  if (slot < 0 || slot >= cluster::slot_count) return;
  std::shared_ptr<NodePool> target = pool_for(addr);
  if (!target) return;
  std::lock_guard lk(topo_mu_);
  const Topology& cur = *topo_;
  int shard = -1;
  for (std::size_t i = 0; i < cur.shards.size(); ++i)
    if (cur.shards[i].primary && cur.shards[i].primary->addr == addr) shard = static_cast<int>(i);
  if (shard >= 0 && cur.owner[static_cast<std::size_t>(slot)] == shard) return;
  auto next = std::make_shared<Topology>(cur);
  if (shard < 0) {
    next->shards.push_back(Topology::ShardPools{target, {}});
    shard = static_cast<int>(next->shards.size() - 1);
  }
  next->owner[static_cast<std::size_t>(slot)] = static_cast<std::int16_t>(shard);
  topo_ = std::move(next);
  generation_.fetch_add(1, std::memory_order_release);
}

NodePool* ClusterState::choose(const Topology& topo, const Route& route, bool force_primary) const {
  if (topo.shards.empty()) return nullptr;
  int shard;
  if (route.slot >= 0) {
    shard = topo.owner[static_cast<std::size_t>(route.slot)];
    if (shard < 0) return nullptr;
  } else {
    thread_local unsigned next = 0;  // keyless: spread over the primaries
    shard = static_cast<int>(next++ % topo.shards.size());
  }
  const Topology::ShardPools& sp = topo.shards[static_cast<std::size_t>(shard)];
  if (route.readonly && !force_primary && options_.read_from != ReadFrom::primary && !sp.replicas.empty()) {
    thread_local unsigned pick = 0;
    return sp.replicas[pick++ % sp.replicas.size()].get();
  }
  return sp.primary.get();
}

// --- reading the map -------------------------------------------------------

Result<cluster::SlotMap> ClusterState::read_map_from(const std::string& addr) {
  const DialFunc& user = options_.pool.dial;
  Result<std::unique_ptr<Client>> c =
      user ? user("tcp", addr) : Client::dial("tcp", addr, options_.pool.dial_options);
  if (!c) return c.error();
  Client& client = **c;
  const std::string_view host = cluster::host_of(addr);
  Resp r = client.cmd("CLUSTER", "SHARDS");
  Result<cluster::SlotMap> map = errc::protocol_error;
  if (r.is_server_error() && !starts_with_word(r.error_message(), "CLUSTERDOWN")) {
    r = client.cmd("CLUSTER", "SLOTS");  // servers before 7.0
    if (r.is_io_error() || r.is_server_error()) return r.err();
    map = cluster::parse_cluster_slots(r, host);
  } else {
    if (r.is_io_error() || r.is_server_error()) return r.err();
    map = cluster::parse_cluster_shards(r, host);
  }
  if (map && !server_commands_) {
    Resp cmds = client.cmd("COMMAND");
    if (!cmds.is_io_error() && !cmds.is_server_error()) {
      if (auto table = cluster::CommandTable::from_command_reply(cmds)) {
        server_commands_ = std::move(*table);
        commands_.store(server_commands_.get(), std::memory_order_release);
      }
    }
  }
  return map;
}

bool ClusterState::refresh_once() {
  // Known primaries first (in random order, so no one node takes every
  // refresh), then the seeds.
  std::vector<std::string> candidates;
  {
    std::shared_ptr<const Topology> cur = topology();
    for (const auto& sp : cur->shards)
      if (sp.primary) candidates.push_back(sp.primary->addr);
  }
  thread_local std::minstd_rand rng{std::random_device{}()};
  std::shuffle(candidates.begin(), candidates.end(), rng);
  for (const auto& s : seeds_)
    if (std::find(candidates.begin(), candidates.end(), s) == candidates.end()) candidates.push_back(s);

  for (const std::string& addr : candidates) {
    if (closed()) return false;
    Result<cluster::SlotMap> map = read_map_from(addr);
    // A node that serves no slot at all (one reset or removed from the
    // cluster, or not yet joined) knows nothing about it: ask the next.
    if (!map || map->shards.empty() ||
        std::all_of(map->owner.begin(), map->owner.end(), [](std::int16_t o) { return o < 0; }))
      continue;
    auto next = std::make_shared<Topology>();
    next->owner = std::move(map->owner);
    std::shared_ptr<const Topology> cur = topology();
    auto reuse = [&](const std::string& a, bool replica) {
      const std::string key = pool_key(a, replica);
      auto it = next->pools.find(key);
      if (it != next->pools.end()) return it->second;
      auto old = cur->pools.find(key);
      std::shared_ptr<NodePool> node = old != cur->pools.end() ? old->second : make_pool(a, replica);
      next->pools.emplace(key, node);
      return node;
    };
    for (const cluster::Shard& shard : map->shards) {
      Topology::ShardPools sp;
      sp.primary = reuse(shard.primary, false);
      if (options_.read_from != ReadFrom::primary)
        for (const std::string& r : shard.replicas) sp.replicas.push_back(reuse(r, true));
      next->shards.push_back(std::move(sp));
    }
    publish(std::move(next));
    counters.refreshes.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  counters.refresh_errors.fetch_add(1, std::memory_order_relaxed);
  return false;
}

// --- the refresher -----------------------------------------------------------

std::error_code ClusterState::start_refresher() {
  std::error_code err;
  if (!refresh_once()) err = errc::cluster_down;
  {
    std::lock_guard lk(refresh_mu_);
    last_refresh_ = std::chrono::steady_clock::now();
  }
  refresher_ = std::thread([this] { refresher_loop(); });
  return err;
}

void ClusterState::refresher_loop() {
  std::unique_lock lk(refresh_mu_);
  for (;;) {
    const bool timer = options_.refresh_interval.count() > 0;
    const auto due = last_refresh_ + options_.refresh_interval;
    auto wanted = [&] {
      return stopping_ || refresh_wanted_ || (timer && std::chrono::steady_clock::now() >= due);
    };
    if (timer)
      refresh_cv_.wait_until(lk, due, wanted);
    else
      refresh_cv_.wait(lk, wanted);
    if (stopping_) break;
    if (!wanted()) continue;
    const auto allowed = last_refresh_ + options_.min_refresh_gap;
    if (std::chrono::steady_clock::now() < allowed) {
      refresh_cv_.wait_until(lk, allowed, [&] { return stopping_; });
      if (stopping_) break;
    }
    refresh_wanted_ = false;
    ++refresh_started_;
    last_refresh_ = std::chrono::steady_clock::now();
    lk.unlock();
    refresh_once();
    lk.lock();
    ++refresh_finished_;
    refreshed_cv_.notify_all();
  }
  refreshed_cv_.notify_all();
}

void ClusterState::request_refresh() noexcept {
  {
    std::lock_guard lk(refresh_mu_);
    if (refresh_wanted_) return;
    refresh_wanted_ = true;
  }
  refresh_cv_.notify_one();
}

bool ClusterState::refresh_and_wait(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lk(refresh_mu_);
  if (stopping_ || !refresher_.joinable()) return false;
  const std::uint64_t target = refresh_started_ + 1;
  refresh_wanted_ = true;
  refresh_cv_.notify_one();
  return refreshed_cv_.wait_until(lk, deadline, [&] { return stopping_ || refresh_finished_ >= target; }) &&
         !stopping_;
}

void ClusterState::empty() {
  closed_.store(true, std::memory_order_release);
  std::call_once(stop_once_, [this] {
    {
      std::lock_guard lk(refresh_mu_);
      stopping_ = true;
    }
    refresh_cv_.notify_all();
    refreshed_cv_.notify_all();
    if (refresher_.joinable()) refresher_.join();
  });
  std::shared_ptr<const Topology> t;
  {
    std::lock_guard lk(topo_mu_);
    t = topo_;
  }
  for (const auto& [key, node] : t->pools) node->pool->empty();
}

}  // namespace respool::detail
