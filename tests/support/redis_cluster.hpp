// A real Redis Cluster for tests: `primaries` primaries with `replicas`
// replicas each, every node a RedisServer (own temp dir, free loopback port,
// its cluster bus on a second free port via --cluster-port), joined with
// `redis-cli --cluster create` and waited for until every node agrees (see
// wait_ok). Failures throw std::runtime_error with redis-cli's output or the
// disagreement attached. The destructor stops every node.
//
// Nodes are named by index (0..size()-1, in creation order; add_node appends).
// Roles change (failover, a primary that loses its last slot becomes a
// replica), so ask primary_for_slot / replica_of / primaries rather than
// assuming index 0 is a primary.
//
// Thread-safety: one thread at a time.
#pragma once

#include <chrono>
#include <concepts>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "redis_server.hpp"

namespace respool::test {

// A parsed RESP2 reply (of raw_command): its type byte ('+', '-', ':', '$',
// '*'), the text of a simple, error, integer or bulk reply, the elements of
// an array. A null bulk or array is type '$' or '*' with nothing in it.
struct RawReply {
  char type = 0;
  std::string str;
  std::vector<RawReply> elems;
};
RawReply parse_reply(const std::string& raw);  // throws std::runtime_error if truncated

struct RedisClusterOptions {
  int primaries = 3;
  int replicas = 1;                              // per primary
  std::chrono::milliseconds node_timeout{1000};  // --cluster-node-timeout
  std::vector<std::string> extra_args;           // for every node's redis-server
};

class RedisCluster {
 public:
  static constexpr int kSlots = 16384;

  explicit RedisCluster(RedisClusterOptions options = {});
  ~RedisCluster();
  RedisCluster(const RedisCluster&) = delete;
  RedisCluster& operator=(const RedisCluster&) = delete;

  int size() const { return static_cast<int>(nodes_.size()); }
  RedisServer& node(int i) const { return *nodes_.at(static_cast<size_t>(i)); }
  std::vector<std::reference_wrapper<RedisServer>> nodes() const;
  std::vector<std::string> addrs() const;  // every node, "127.0.0.1:<port>"
  std::vector<std::string> seeds() const;  // the running nodes
  std::string seed() const;                // the first running node
  int index_of_port(int port) const;       // -1 if no node has it

  // Topology, as the first running node sees it (CLUSTER SLOTS / NODES).
  int primary_for_slot(int slot) const;
  int replica_of(int primary) const;           // its first replica; throws if none
  std::vector<int> primaries() const;          // nodes that serve slots
  std::string node_id(int i) const;            // CLUSTER MYID, remembered
  int key_slot(const std::string& key) const;  // CLUSTER KEYSLOT

  // raw_command on node `i`, parsed; std::runtime_error on an error reply.
  RawReply command(int i, const std::string& line) const;

  // Run redis-cli with `args`; its stdout, or std::runtime_error with
  // stdout and stderr on a non-zero exit.
  std::string cli(const std::vector<std::string>& args) const;
  template <class... A>
  requires(std::constructible_from<std::string, A>&&...) std::string cli(A&&... args)
  const { return cli(std::vector<std::string>{std::string(std::forward<A>(args))...}); }

  // Move `slot` and its keys from node `from` to node `to`, by hand: the
  // whole sequence, or its steps (stop after move_keys, or before it, to
  // leave the slot MIGRATING/IMPORTING and get ASK redirections).
  void migrate_slot(int slot, int from, int to);
  void begin_migration(int slot, int from, int to);  // IMPORTING on to, MIGRATING on from
  void move_keys(int slot, int from, int to);        // GETKEYSINSLOT + MIGRATE, in batches
  void finish_migration(int slot, int to);           // SETSLOT NODE on to, then every primary; wait_ok

  // CLUSTER FAILOVER [FORCE|TAKEOVER] on `replica`; waits until it is a
  // primary and wait_ok.
  void failover(int replica, std::string_view option = "");
  void kill(int i) { node(i).kill(); }      // SIGKILL; the cluster notices after node_timeout
  void restart(int i) { node(i).start(); }  // same port, dir, nodes.conf; wait_ok to see it rejoin

  // A new empty node, joined with redis-cli --cluster add-node (as a
  // replica of `replica_of_primary` if >= 0); waits until every node knows
  // it. Returns its index.
  int add_node(int replica_of_primary = -1);
  // redis-cli --cluster reshard: `slots` slots from node `from` to `to`.
  void reshard(int from, int to, int slots);

  // Until every running node (a frozen one counts: thaw it first) says
  // cluster_state:ok, knows every node, sees no running node failing,
  // agrees with the others on roles and slot owners (CLUSTER NODES and
  // SLOTS), shows every running node online in CLUSTER SHARDS, and every
  // running replica's link to its primary is up. Throws with the last
  // disagreement.
  void wait_ok(std::chrono::milliseconds limit = std::chrono::seconds(30)) const;

 private:
  std::unique_ptr<RedisServer> start_node() const;
  std::string query(int i, const std::string& line) const;  // raw reply; throws on -ERR
  std::string disagreement() const;                         // "" when wait_ok would return
  int first_running() const;

  RedisClusterOptions options_;
  std::vector<std::unique_ptr<RedisServer>> nodes_;
  std::vector<std::string> ids_;
};

// One 3-primary, 3-replica cluster per test process, created on first use,
// stopped at exit.
RedisCluster& shared_cluster();

}  // namespace respool::test
