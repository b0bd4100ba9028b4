// W5: the standard loops through respool::Cluster (docs/BENCHMARKS.md, W5).
//   W5a: W1's SET/GET loop, keys spread over every slot, through cluster->cmd.
//   W5b: MGET of 100 keys, each in a slot of its own (so split into 100
//        per-slot parts on every node and merged), per cluster->cmd.
// Every reply is checked; MOVED and ASK replies received during the run are
// reported (0 in steady state).
#include <atomic>
#include <cstdio>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

#include "harness.hpp"
#include "respool/cluster.hpp"
#include "workloads.hpp"

namespace respool::bench {
namespace {

std::shared_ptr<Cluster> make_cluster(const RunConfig& cfg, int size) {
  ClusterOptions o;
  o.pool.max_open = size;  // as W1: at most `size` connections, per node
  auto [cluster, err] = Cluster::create(cfg.cluster_seeds, size, o);
  if (err) std::fprintf(stderr, "respool-bench: cluster: %s\n", err.message().c_str());
  return cluster;
}

std::uint64_t redirects(const Cluster& cluster) {
  auto s = cluster.stats();
  return s.moved + s.ask;
}

std::string cluster_note(const Cluster& cluster, std::uint64_t redirected) {
  auto s = cluster.stats();
  return "redirects (MOVED+ASK) during the run: " + std::to_string(redirected) + "; " +
         std::to_string(cluster.primaries().size()) + " primaries; " + std::to_string(s.cross_slot_splits) +
         " multi-key commands split";
}

// Thread t's W5b keys: "bench:mget:t:n", the first `count` of them whose
// slots differ from each other, so any `keys` consecutive ones are `keys`
// slots. Value of each: W1's 16-byte value of (t, n), unique to the key.
struct MgetKeys {
  std::vector<std::string> keys, values;
  MgetKeys(int t, int count) {
    std::unordered_set<std::uint16_t> slots;
    for (std::uint64_t n = 0; static_cast<int>(keys.size()) < count; ++n) {
      std::string key = "bench:mget:" + std::to_string(t) + ":" + std::to_string(n);
      if (!slots.insert(key_slot(key)).second) continue;
      keys.push_back(std::move(key));
      values.emplace_back(KeyValue(t, n).v);
    }
  }
};

}  // namespace

Measurement run_w5a(const RunConfig& cfg, const std::string& name, int threads, int size) {
  auto cluster = make_cluster(cfg, size);
  const auto before = redirects(*cluster);
  auto m = run_threads(cfg, name, threads, [&](int t, Counter& c, Recorder& rec, std::atomic<bool>& stop) {
    for (std::uint64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
      KeyValue kv(t, i);
      auto t0 = Clock::now();
      check_set(cluster->cmd("SET", kv.k, kv.v), c);
      rec.add(ns_since(t0));
      t0 = Clock::now();
      check_get(cluster->cmd("GET", kv.k), kv.v, c);
      rec.add(ns_since(t0));
      c.ops.fetch_add(2, std::memory_order_relaxed);
    }
  });
  const auto redirected = redirects(*cluster) - before;
  m.redirects = static_cast<std::int64_t>(redirected);
  m.params = "T=" + std::to_string(threads) + " S=" + std::to_string(size) + "/node";
  m.note = cluster_note(*cluster, redirected);
  return m;
}

Measurement run_w5b(const RunConfig& cfg, const std::string& name, int threads, int size, int keys) {
  constexpr int kWindows = 10;  // each thread cycles over 10 x `keys` keys
  auto cluster = make_cluster(cfg, size);
  std::vector<MgetKeys> data;
  std::uint64_t setup_errors = 0;
  for (int t = 0; t < threads; ++t) {
    data.emplace_back(t, keys * kWindows);
    const auto& d = data.back();
    std::vector<std::string_view> args;
    for (std::size_t j = 0; j < d.keys.size(); ++j) args.insert(args.end(), {d.keys[j], d.values[j]});
    auto r = cluster->cmd("MSET", args);  // split by slot, like the MGETs
    if (auto ok = r.bytes(); r.err() || !ok || *ok != "OK") {
      std::fprintf(stderr, "respool-bench: %s: MSET of the keys failed: %s\n", name.c_str(),
                   r.to_string().c_str());
      ++setup_errors;
    }
  }
  const auto before = redirects(*cluster);
  const auto n = static_cast<std::size_t>(keys);
  auto m = run_threads(cfg, name, threads, [&](int t, Counter& c, Recorder& rec, std::atomic<bool>& stop) {
    const auto& d = data[static_cast<std::size_t>(t)];
    for (std::uint64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
      const std::size_t first = (i % kWindows) * n;
      auto t0 = Clock::now();
      Resp r = cluster->cmd("MGET", std::span<const std::string>(d.keys.data() + first, n));
      rec.add(ns_since(t0));
      c.ops.fetch_add(1, std::memory_order_relaxed);
      if (r.err()) {
        ++c.errors;
        continue;
      }
      auto values = r.array();
      if (!values || values->size() != n) {
        ++c.wrong;
        continue;
      }
      for (std::size_t j = 0; j < n; ++j)
        if (auto v = (*values)[j].bytes(); !v || *v != d.values[first + j]) {
          ++c.wrong;
          break;
        }
    }
  });
  const auto redirected = redirects(*cluster) - before;
  m.errors += setup_errors;
  m.redirects = static_cast<std::int64_t>(redirected);
  m.params =
      "T=" + std::to_string(threads) + " S=" + std::to_string(size) + "/node keys=" + std::to_string(keys);
  char rate[160];
  std::snprintf(rate, sizeof rate,
                "calls/s %.0f, keys/s %.0f (ops = MGET calls, each of %d keys in %d slots); ", m.ops_per_s(),
                m.ops_per_s() * keys, keys, keys);
  m.note =
      rate + cluster_note(*cluster, redirected) + "; no reference (redis-benchmark has no cross-slot MGET)";
  return m;
}

}  // namespace respool::bench
