// respool::Cluster: Redis Cluster on one respool::Pool per node.
//
//   auto [cluster, err] = respool::Cluster::create({"127.0.0.1:7000"}, 8);
//   respool::Resp r = cluster->cmd("SET", "user:{42}:name", "ada");  // routed by slot
//   respool::Lease l = cluster->lease("user:{42}");  // MULTI/EXEC, WATCH, blocking commands
//
// Thread-safety: every member function may be called from any thread,
// concurrently with every other one (empty() included).
//
// Blocking: cmd(), run() and lease() block like Pool::cmd / Pool::lease on
// the node pools they use, plus, when the cluster is changing, one slot-map
// refresh (bounded by the dial's timeouts per node asked) and the waits of
// ClusterOptions::down_budget and tryagain_delay. stats() never blocks on I/O.
//
// Retries: a command is sent again only when it surely did not run (MOVED,
// ASK, TRYAGAIN, CLUSTERDOWN, a failed connect, or Delivery::not_sent). After
// an I/O error that leaves its outcome unknown it is never re-sent, unless
// sent through cmd_idempotent(). See docs/cluster.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "respool/batch.hpp"
#include "respool/encode.hpp"
#include "respool/pool.hpp"
#include "respool/resp.hpp"

namespace respool {

namespace detail {
class ClusterState;
}

// The slot (0..16383) of a key: CRC16 (XMODEM) of the key, or of the part
// between the first '{' and the next '}' when that part is not empty.
std::uint16_t key_slot(std::string_view key) noexcept;

// Where read-only commands go (those COMMAND flags "readonly": GET, MGET,
// HGETALL, ...). Writes always go to the primary.
enum class ReadFrom : std::uint8_t {
  primary,         // everything to primaries
  replica,         // reads to a replica of the slot's shard (round robin);
                   // to the primary when the shard has none in the map or
                   // the replica can't be reached (nothing was sent)
  prefer_replica,  // as replica, and also to the primary when the replica
                   // answers LOADING, MASTERDOWN or CLUSTERDOWN (still syncing)
};

struct ClusterOptions {
  // Every node's pool (dial options, TLS and AUTH included); size per node
  // is Cluster::create's argument.
  PoolOptions pool{};
  ReadFrom read_from = ReadFrom::primary;
  // Most MOVED, ASK and TRYAGAIN replies one command follows before it fails
  // with errc::too_many_redirects.
  int max_redirects = 5;
  // The slot map is re-read this often even when nothing failed. Zero: only
  // on MOVED and on connection failures.
  std::chrono::nanoseconds refresh_interval = std::chrono::seconds(10);
  // Rate limit: two refreshes start at least this far apart. Callers that
  // need one meanwhile wait for the next.
  std::chrono::nanoseconds min_refresh_gap = std::chrono::milliseconds(100);
  // How long a command keeps trying a slot that no node serves
  // (CLUSTERDOWN, an unassigned slot, every node of the slot unreachable)
  // before it fails with errc::cluster_down.
  std::chrono::nanoseconds down_budget = std::chrono::seconds(2);
  // Wait before sending again after TRYAGAIN (a multi-key command during a
  // slot migration); doubled each time, capped at 100 ms.
  std::chrono::nanoseconds tryagain_delay = std::chrono::milliseconds(5);
};

// Commands sent again, by the reason it was safe to.
struct ClusterRetries {
  std::uint64_t moved = 0;           // after MOVED, at the new owner
  std::uint64_t ask = 0;             // after ASK, with ASKING at the target
  std::uint64_t tryagain = 0;        // after TRYAGAIN
  std::uint64_t cluster_down = 0;    // after CLUSTERDOWN or a slot with no owner
  std::uint64_t connect_failed = 0;  // the node could not be reached: nothing sent
  std::uint64_t not_sent = 0;        // failed before a byte of it was written
  std::uint64_t idempotent = 0;      // outcome unknown, re-sent via cmd_idempotent
};

struct ClusterStats {
  std::map<std::string, PoolStats> nodes;  // every node's pool, by "host:port" ("host:port
                                           // (replica reads)" for a replica's read pool)
  std::uint64_t moved = 0;                 // MOVED replies received
  std::uint64_t ask = 0;                   // ASK replies received
  std::uint64_t refreshes = 0;             // slot-map reads that succeeded
  std::uint64_t refresh_errors = 0;        // slot-map reads that failed on every node asked
  std::uint64_t cross_slot_splits = 0;     // multi-key commands split by slot
  ClusterRetries retries;
};

class Cluster {
 public:
  struct CreateResult {
    std::shared_ptr<Cluster> cluster;  // never null
    std::error_code error;             // empty on success
  };
  // Reads the slot map from the first seed that answers (CLUSTER SHARDS, or
  // CLUSTER SLOTS on servers before 7.0) and the command table (COMMAND),
  // then opens a Pool of `size` per node (per primary, and per replica with
  // ReadFrom::replica or prefer_replica).
  //   - Bad arguments (no seed, an address that can't be parsed, bad pool
  //     options, max_redirects < 0): a closed cluster; every command fails
  //     with that error.
  //   - No seed answers: a usable cluster with an empty map and the last
  //     seed's error; each command retries the seeds (a refresh) first.
  static CreateResult create(std::vector<std::string> seeds, int size, ClusterOptions options = {});
  // Implies empty().
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // One command, routed by the slot of its keys (keyless: any primary).
  // Keys in different slots: errc::cross_slot, nothing sent; except MGET,
  // MSET, DEL, UNLINK, EXISTS and TOUCH, which are split by slot, sent to
  // all their nodes at once, and merged in the caller's order: not atomic
  // (see docs/cluster.md).
  template <CommandArg... Args>
  Resp cmd(std::string_view name, const Args&... args) {
    std::string buf = detail::take_command_buffer();
    encode_command(buf, name, args...);
    Resp r = cmd_encoded(buf, false);
    detail::give_command_buffer(std::move(buf));
    return r;
  }
  // cmd() for a command the caller knows is safe to run twice (a GET, a SET
  // of a fixed value): also re-sent, once, after an I/O error that leaves
  // its outcome unknown.
  template <CommandArg... Args>
  Resp cmd_idempotent(std::string_view name, const Args&... args) {
    std::string buf = detail::take_command_buffer();
    encode_command(buf, name, args...);
    Resp r = cmd_encoded(buf, true);
    detail::give_command_buffer(std::move(buf));
    return r;
  }
  // A command already encoded (a RESP array of bulk strings).
  Resp cmd_encoded(std::string_view encoded, bool idempotent = false);

  // A connection to the primary serving `key`'s slot, for MULTI/EXEC,
  // WATCH, blocking commands and pipelines on keys of that one slot. The
  // lease does not follow redirects: a MOVED read on it is the caller's to
  // handle (the map is corrected by the next cmd()).
  [[nodiscard]] Lease lease(std::string_view key);

  // The commands of `batch`, split by node, written to every node before
  // any reply is read; replies in the batch's order. Each command follows
  // its own redirects; multi-key commands are split as in cmd().
  std::vector<Resp> run(const Batch& batch);

  // Primaries in the current map, as "host:port".
  std::vector<std::string> primaries() const;
  // The primary serving `slot` (0..16383) in the current map, as
  // "host:port"; empty when no node serves it. With `refresh`, the map is
  // re-read first (rate-limited like every refresh; waits at most
  // down_budget for it). For code that keeps its own connections to the
  // nodes (respool::Subscriber's shard channels).
  std::string primary_for(std::uint16_t slot, bool refresh = false) const;
  // The pool of a node in the current map; null when the node is not in it.
  std::shared_ptr<Pool> node_pool(std::string_view addr) const;

  ClusterStats stats() const;
  // Empties every node's pool and stops the refresh timer; later commands
  // fail with errc::pool_closed. Idempotent.
  void empty();

 private:
  explicit Cluster(std::shared_ptr<detail::ClusterState> state) noexcept;
  std::shared_ptr<detail::ClusterState> state_;
};

}  // namespace respool
