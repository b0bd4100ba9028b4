// Redis Cluster: commands routed by slot, a split MGET, a batch across
// nodes, and a transaction on one slot through lease().
//   example_cluster [host:port ...]      seeds (default 127.0.0.1:7000)
// scripts/run.sh --cluster starts a throwaway cluster and runs this.
#include <cstdio>
#include <respool/respool.hpp>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  std::vector<std::string> seeds(argv + 1, argv + argc);
  if (seeds.empty()) seeds.push_back("127.0.0.1:7000");

  auto [cluster, err] = respool::Cluster::create(seeds, 4);
  if (err) {
    std::fprintf(stderr, "cluster at %s: %s\n", seeds[0].c_str(), err.message().c_str());
    return 1;
  }
  int failures = 0;
  auto check = [&](const char* what, const respool::Resp& r) {
    if (r.err()) {
      std::fprintf(stderr, "%s: %s\n", what, r.error_message().c_str());
      ++failures;
    }
  };

  // Keys spread over the slots; each command goes to the node serving it.
  for (int i = 0; i < 10; ++i) check("SET", cluster->cmd("SET", "example:cluster:" + std::to_string(i), i));

  // Keys in different slots: split by slot, sent to every node at once,
  // merged in order (not atomic: each node runs its own part).
  respool::Resp values = cluster->cmd("MGET", "example:cluster:0", "example:cluster:5", "example:cluster:9");
  check("MGET", values);
  std::printf("MGET: %s\n", values.to_string().c_str());

  // A batch: one write per node, replies in the batch's order.
  respool::Batch batch;
  for (int i = 0; i < 10; ++i) batch.add("INCR", "example:cluster:" + std::to_string(i));
  std::vector<respool::Resp> replies = cluster->run(batch);
  for (const respool::Resp& r : replies) check("INCR", r);

  // A transaction: keys that share a hash tag share a slot, and one leased
  // connection to its node runs WATCH/MULTI/EXEC.
  if (respool::Lease l = cluster->lease("{example:account}")) {
    check("WATCH", l->cmd("WATCH", "{example:account}:balance"));
    check("MULTI", l->cmd("MULTI"));
    check("INCRBY", l->cmd("INCRBY", "{example:account}:balance", 10));
    check("LPUSH", l->cmd("LPUSH", "{example:account}:log", "+10"));
    respool::Resp exec = l->cmd("EXEC");
    check("EXEC", exec);
    std::printf("EXEC: %s\n", exec.to_string().c_str());
  } else {
    std::fprintf(stderr, "lease: %s\n", l.error().message().c_str());
    ++failures;
  }

  respool::ClusterStats s = cluster->stats();
  std::printf("nodes: %zu, MOVED: %llu, refreshes: %llu, cross-slot splits: %llu\n", s.nodes.size(),
              static_cast<unsigned long long>(s.moved), static_cast<unsigned long long>(s.refreshes),
              static_cast<unsigned long long>(s.cross_slot_splits));
  return failures == 0 ? 0 : 1;
}
