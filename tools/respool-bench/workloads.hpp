// The standard workloads, run through respool's pool (each is described in
// full in docs/BENCHMARKS.md, "The workloads"): W1 (T threads share a pool of
// S; SET then GET through pool->cmd), W2 (get+put, no I/O), W3 (batches of
// 100 pipelined on one lease), W4 (server SIGKILLed and restarted under W1b),
// W5a/W5b (W1's loop and 100-key MGETs through respool::Cluster on a 3+3
// cluster; cluster_workloads.cpp). Every reply is checked against the
// command that was sent.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "measure.hpp"

namespace respool::test {
class RedisServer;
}

namespace respool::bench {

struct Target {
  std::string host = "127.0.0.1";
  int port = 0;
  respool::test::RedisServer* server = nullptr;  // set when the tool started it (W4 needs it)
  std::string addr() const { return host + ":" + std::to_string(port); }
};

struct RunConfig {
  Target target;
  std::vector<std::string> cluster_seeds;  // W5: "host:port" of the cluster's nodes
  std::chrono::milliseconds duration{5000};
  bool progress = false;  // a live line on stderr
};

Measurement run_w1(const RunConfig& cfg, const std::string& name, int threads, int pool_size);
Measurement run_w2(const RunConfig& cfg, const std::string& name, int threads, int pool_size);
Measurement run_w3(const RunConfig& cfg, const std::string& name, int batch);
Measurement run_w4(const RunConfig& cfg, const std::string& name);
// W5a: W1's SET/GET loop through cluster->cmd, a pool of `size` per node.
Measurement run_w5a(const RunConfig& cfg, const std::string& name, int threads, int size);
// W5b: MGET of `keys` keys, each in a slot of its own, per cluster->cmd.
Measurement run_w5b(const RunConfig& cfg, const std::string& name, int threads, int size, int keys);

}  // namespace respool::bench
