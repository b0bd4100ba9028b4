// ClusterState: what a Cluster shares with its background refresher. The
// slot map is an immutable Topology swapped whole; readers take a snapshot
// (cheap: a per-thread cache checked against a generation number) and
// route on it without a lock.
//
// Thread-safety: every member may be called from any thread. Locks are
// never held across I/O, except that refresh() runs on the refresher thread
// only and publishes its result under topo_mu_.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "cluster/command_keys.hpp"
#include "cluster/slot_map.hpp"
#include "respool/cluster.hpp"
#include "respool/pool.hpp"

namespace respool::detail {

// One node's pool, used either for primary work or for replica reads (a
// replica pool dials with READONLY).
struct NodePool {
  std::string addr;
  bool replica = false;
  std::shared_ptr<Pool> pool;
};

// An immutable picture of the cluster: who serves each slot.
struct Topology {
  std::vector<std::int16_t> owner = std::vector<std::int16_t>(cluster::slot_count, -1);
  struct ShardPools {
    std::shared_ptr<NodePool> primary;
    std::vector<std::shared_ptr<NodePool>> replicas;  // only with ReadFrom::replica / prefer_replica
  };
  std::vector<ShardPools> shards;
  // Every pool of the picture, keyed "addr" (primary use) or "addr#r" (reads).
  std::unordered_map<std::string, std::shared_ptr<NodePool>> pools;
};

// Where one command goes and how it is sent.
struct Route {
  int slot = -1;          // -1: keyless
  bool readonly = false;  // may go to a replica
};

class ClusterState : public std::enable_shared_from_this<ClusterState> {
 public:
  ClusterState(std::vector<std::string> seeds, int size, ClusterOptions options);
  ~ClusterState();

  // Checks the arguments (an error closes the cluster for good), reads the
  // map and the command table from the seeds, and starts the refresher
  // thread. Blocks for the dials (bounded by their connect timeouts).
  std::error_code start();
  std::error_code validate() const;
  void empty();
  bool closed() const noexcept { return closed_.load(std::memory_order_acquire); }
  std::error_code closed_error() const noexcept { return config_error_ ? config_error_ : errc::pool_closed; }

  // --- topology -----------------------------------------------------------
  // The current picture (never null; empty before the first refresh).
  std::shared_ptr<const Topology> topology() const;
  // Ask the refresher for a new map soon (returns at once).
  void request_refresh() noexcept;
  // Ask for a refresh and wait until one has finished that began after this
  // call, or `deadline` passes. False when none finished in time.
  bool refresh_and_wait(std::chrono::steady_clock::time_point deadline);
  // A MOVED told us `slot` now lives at `addr`: patch the map at once (a
  // refresh follows to learn the rest).
  void apply_moved(int slot, const std::string& addr);
  // The pool of `addr` for primary use, created on demand (an ASK or MOVED
  // target the map doesn't know yet). Null when closed.
  std::shared_ptr<NodePool> pool_for(const std::string& addr);

  // --- routing ------------------------------------------------------------
  const cluster::CommandTable& commands() const noexcept;
  // The pool to use for `route` in `topo` (valid while `topo` is held); null
  // when no node serves the slot.
  NodePool* choose(const Topology& topo, const Route& route, bool force_primary) const;

  const ClusterOptions& options() const noexcept { return options_; }
  int size() const noexcept { return size_; }

  struct Counters {
    std::atomic<std::uint64_t> moved{0}, ask{0}, refreshes{0}, refresh_errors{0}, cross_slot_splits{0};
    std::atomic<std::uint64_t> r_moved{0}, r_ask{0}, r_tryagain{0}, r_down{0}, r_connect{0}, r_not_sent{0},
        r_idempotent{0};
  };
  Counters counters;

 private:
  // The first refresh (on the caller's thread), then the refresher thread.
  std::error_code start_refresher();
  void refresher_loop();
  // One refresh: ask known primaries, then seeds, until one answers.
  bool refresh_once();
  Result<cluster::SlotMap> read_map_from(const std::string& addr);
  std::shared_ptr<NodePool> make_pool(const std::string& addr, bool replica);
  void publish(std::shared_ptr<const Topology> next);

  const std::vector<std::string> seeds_;
  const int size_;
  const ClusterOptions options_;
  std::error_code config_error_;
  std::atomic<bool> closed_{false};
  const std::uint64_t id_;  // unique per ClusterState, for the per-thread snapshot cache

  mutable std::mutex topo_mu_;
  std::shared_ptr<const Topology> topo_;
  std::atomic<std::uint64_t> generation_{0};

  // The built-in table until the first COMMAND reply is read; then that
  // reply's table (written once, before commands_ points at it).
  std::shared_ptr<const cluster::CommandTable> builtin_commands_;
  std::shared_ptr<const cluster::CommandTable> server_commands_;
  std::atomic<const cluster::CommandTable*> commands_{nullptr};

  std::mutex refresh_mu_;
  std::condition_variable refresh_cv_;    // wakes the refresher
  std::condition_variable refreshed_cv_;  // wakes callers waiting for a refresh
  bool refresh_wanted_ = false;
  bool stopping_ = false;
  std::uint64_t refresh_started_ = 0;   // refreshes begun
  std::uint64_t refresh_finished_ = 0;  // refreshes ended (success or not)
  std::chrono::steady_clock::time_point last_refresh_{};
  std::thread refresher_;
  std::once_flag stop_once_;
};

// Sends one command (already encoded; `name` is its first argument) to the
// node serving `route`, with every safe retry (see route.cpp). When
// `first_reply` is given, it is the reply the command already got from the
// node at `first_addr` (in a batch), and is looked at first.
Resp route_command(ClusterState& st, std::string_view encoded, std::string_view name, Route route,
                   bool idempotent, Resp* first_reply = nullptr, const std::string* first_addr = nullptr);

// One command of a fan-out: its encoding, where it goes, and its reply.
struct Unit {
  std::string_view encoded;
  std::string_view name;
  Route route;
  Resp reply;
};
// Sends every unit: grouped by node, one write per node, every node
// written before any reply is read; then each reply that asks for it
// (a redirect, nothing sent) is followed on its own through route_command.
void run_units(ClusterState& st, std::span<Unit> units);

// The route of an encoded command split into `argv`: its slot, or -1 when
// keyless; errc::cross_slot when its keys hash to several slots (`keys`
// then holds them, for split_command).
Result<Route> route_of(const ClusterState& st, std::span<const std::string_view> argv,
                       std::vector<std::string_view>& keys);
// A command whose keys span several slots, split by slot and merged in
// the caller's order: MGET, MSET, DEL, UNLINK, EXISTS, TOUCH. Others:
// errc::cross_slot, nothing sent.
Resp split_command(ClusterState& st, std::span<const std::string_view> argv);

}  // namespace respool::detail
