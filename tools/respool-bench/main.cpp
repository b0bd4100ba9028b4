// respool-bench: the standard workloads (docs/BENCHMARKS.md) through
// respool's pool, beside redis-benchmark on the same server in the same run.
//
//   respool-bench                          every case, a server of its own, 5 s per case
//   respool-bench --addr 127.0.0.1:6379    an existing server (W4 needs its own: skipped)
//   respool-bench --cases W5a,W5b          Redis Cluster: a 3+3 cluster of its own on loopback
//   respool-bench --cluster-addr 127.0.0.1:7000 --cases W5a   W5 on an existing cluster
//   respool-bench --compare --repeat 3     median of 3, each paired with redis-benchmark
//   respool-bench --json --cases W1a,W3    one JSON record per case on stdout
//   respool-bench --smoke                  1 s per case, once: checks the tool and every reply
//                                          (every case but W5, unless named with --cases)
//   respool-bench --sweep 1,8,64 --sweep-size 8   W1 at each thread count, pool capped at 8
//
// Exits 1 when any reply was wrong, a case could not run, or a W5 command failed.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "measure.hpp"
#include "redis_cluster.hpp"
#include "redis_server.hpp"
#include "reference.hpp"
#include "report.hpp"
#include "workloads.hpp"

using namespace respool::bench;

namespace {

struct Case {
  std::string name;
  enum Kind { w1, w2, w3, w4, w5a, w5b } kind;
  int threads = 1, size = 1;  // W5: size per node
  bool cluster() const { return kind == w5a || kind == w5b; }
};

const std::vector<Case> kCases = {
    {"W1a", Case::w1, 1, 1},   {"W1b", Case::w1, 8, 8},  {"W1c", Case::w1, 64, 8}, {"W1d", Case::w1, 256, 32},
    {"W2a", Case::w2, 4, 4},   {"W2b", Case::w2, 4, 1},  {"W3", Case::w3, 1, 100}, {"W4", Case::w4, 8, 8},
    {"W5a", Case::w5a, 64, 8}, {"W5b", Case::w5b, 8, 8},
};
constexpr int kMgetKeys = 100;  // W5b

// "HOST:PORT" split; false when there is no colon.
bool split_addr(const std::string& addr, Target& t) {
  auto colon = addr.rfind(':');
  if (colon == std::string::npos) return false;
  t.host = addr.substr(0, colon);
  t.port = std::atoi(addr.c_str() + colon + 1);
  return true;
}

Measurement run_case(const Case& c, const RunConfig& cfg) {
  switch (c.kind) {
    case Case::w1: return run_w1(cfg, c.name, c.threads, c.size);
    case Case::w2: return run_w2(cfg, c.name, c.threads, c.size);
    case Case::w3: return run_w3(cfg, c.name, c.size);
    case Case::w4: return run_w4(cfg, c.name);
    case Case::w5a: return run_w5a(cfg, c.name, c.threads, c.size);
    case Case::w5b: return run_w5b(cfg, c.name, c.threads, c.size, kMgetKeys);
  }
  return {};
}

// redis-benchmark's parameters for a case, sized to run about as many
// requests as we did; nullopt when the case has no such reference. W5a's
// is redis-benchmark --cluster on the first seed; W5b has none.
std::optional<ReferenceRun> reference_for(const Case& c, const RunConfig& cfg, const Measurement& m) {
  if (c.kind != Case::w1 && c.kind != Case::w3 && c.kind != Case::w5a) return std::nullopt;
  ReferenceRun r;
  Target t = cfg.target;
  if (c.kind == Case::w5a && (cfg.cluster_seeds.empty() || !split_addr(cfg.cluster_seeds.front(), t)))
    return std::nullopt;
  r.host = t.host;
  r.port = t.port;
  r.cluster = c.kind == Case::w5a;
  r.clients = c.kind == Case::w3 ? 1 : c.threads;
  r.pipeline = c.kind == Case::w3 ? c.size : 1;
  r.requests = std::max<long>(2000, static_cast<long>(m.ops / 2));
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"respool-bench: respool's pool on the standard workloads, beside redis-benchmark"};
  std::string addr, cluster_addr, cases_arg;
  double seconds = 5;
  int repeat = 1;
  std::vector<int> sweep;
  int sweep_size = 8;
  bool compare = false, json = false, smoke = false;
  app.add_option("--addr", addr, "HOST:PORT of an existing server (default: start a throwaway redis-server)");
  app.add_option("--cluster-addr", cluster_addr,
                 "HOST:PORT of a node of an existing Redis Cluster, for W5 (default: start a 3+3 cluster)");
  app.add_option(
      "--cases", cases_arg,
      "comma-separated cases (default: all; --smoke: all but W5): W1a,W1b,W1c,W1d,W2a,W2b,W3,W4,W5a,W5b");
  app.add_option("--duration", seconds, "seconds per case")->check(CLI::PositiveNumber);
  app.add_option("--repeat", repeat, "runs per case; the median is reported")->check(CLI::Range(1, 99));
  app.add_flag("--compare", compare, "run redis-benchmark with the same parameters and print the ratio");
  app.add_flag("--json", json, "one JSON record per case on stdout instead of the table");
  app.add_option("--sweep", sweep, "W1 at each of these thread counts (cases W1@T), instead of --cases")
      ->delimiter(',')
      ->check(CLI::Range(1, 4096));
  app.add_option("--sweep-size", sweep_size, "pool size S (and cap) of the --sweep cases")
      ->check(CLI::Range(1, 4096));
  app.add_flag("--smoke", smoke, "1 second per case, once (a check, not a measurement)");
  CLI11_PARSE(app, argc, argv);
  if (smoke) {
    seconds = 1;
    repeat = 1;
  }

  std::vector<Case> selected;
  if (!sweep.empty()) {
    for (int t : sweep) selected.push_back({"W1@" + std::to_string(t), Case::w1, t, sweep_size});
  } else if (cases_arg.empty()) {
    for (const auto& c : kCases)
      if (!smoke || !c.cluster()) selected.push_back(c);
  } else {
    std::stringstream ss(cases_arg);
    for (std::string name; std::getline(ss, name, ',');) {
      bool found = false;
      for (const auto& c : kCases)
        if (c.name == name) selected.push_back(c), found = true;
      if (!found) {
        std::fprintf(stderr, "respool-bench: unknown case %s\n", name.c_str());
        return 2;
      }
    }
  }

  RunConfig cfg;
  cfg.duration = std::chrono::milliseconds(static_cast<long>(seconds * 1000));
  cfg.progress = ::isatty(2) && seconds >= 3;
  bool need_server = false, need_cluster = false;
  for (const auto& c : selected) (c.cluster() ? need_cluster : need_server) = true;
  std::unique_ptr<respool::test::RedisServer> own;
  std::unique_ptr<respool::test::RedisCluster> own_cluster;
  if (addr.empty() && need_server) {
    try {
      own = std::make_unique<respool::test::RedisServer>();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "respool-bench: could not start redis-server: %s\n", e.what());
      return 1;
    }
    cfg.target.port = own->port();
    cfg.target.server = own.get();
  } else if (!addr.empty() && !split_addr(addr, cfg.target)) {
    std::fprintf(stderr, "respool-bench: --addr must be HOST:PORT\n");
    return 2;
  }
  if (!cluster_addr.empty()) {
    Target check;
    if (!split_addr(cluster_addr, check)) {
      std::fprintf(stderr, "respool-bench: --cluster-addr must be HOST:PORT\n");
      return 2;
    }
    cfg.cluster_seeds = {cluster_addr};
  } else if (need_cluster) {
    try {
      auto t0 = std::chrono::steady_clock::now();
      own_cluster = std::make_unique<respool::test::RedisCluster>();
      std::fprintf(stderr, "respool-bench: started a 3+3 cluster in %.1f s\n",
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "respool-bench: could not start a Redis Cluster: %s\n", e.what());
      return 1;
    }
    cfg.cluster_seeds = own_cluster->seeds();
  }

  std::vector<Measurement> results;
  bool bad = false;
  for (const auto& c : selected) {
    if (c.kind == Case::w4 && !cfg.target.server) {
      std::fprintf(stderr,
                   "respool-bench: W4 skipped: it restarts the server, so it needs its own (no --addr)\n");
      continue;
    }
    std::vector<Measurement> runs;
    for (int i = 0; i < repeat; ++i) {
      auto m = run_case(c, cfg);
      if (compare)
        if (auto ref = reference_for(c, cfg, m)) m.reference_ops_per_s = run_reference(*ref);
      runs.push_back(m);
    }
    auto m = median(runs);
    if (m.wrong_replies || m.broken_after || m.ops == 0) bad = true;
    if (c.cluster() && m.errors) bad = true;  // nothing fails a steady cluster on purpose
    if (json) print_json(stdout, m);
    results.push_back(m);
  }
  if (!json) print_table(stdout, results);
  if (compare && !json && need_server)
    std::printf(
        "\nratio = respool ops/s / redis-benchmark ops/s on the same server in the same run, e.g.\n  %s\n",
        reference_command({cfg.target.host, cfg.target.port, 8, 1, 100000}).c_str());
  if (Target seed; compare && !json && need_cluster && split_addr(cfg.cluster_seeds.front(), seed))
    std::printf("W5a's: redis-benchmark --cluster on the same cluster in the same run, e.g.\n  %s\n",
                reference_command({seed.host, seed.port, 64, 1, 100000, true}).c_str());
  return bad ? 1 : 0;
}
