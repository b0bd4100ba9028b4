// What one benchmark case measured: operations, latencies, the client
// process's CPU and context switches, and reply checks.
//
// Thread-safety: a Recorder belongs to one thread; Measurement is a value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace respool::bench {

// Latency samples of one thread, in nanoseconds.
class Recorder {
 public:
  void add(std::uint64_t ns) {
    samples_.push_back(ns > UINT32_MAX ? UINT32_MAX : static_cast<std::uint32_t>(ns));
  }
  std::vector<std::uint32_t>& samples() { return samples_; }

 private:
  std::vector<std::uint32_t> samples_;
};

// getrusage(RUSAGE_SELF) at one moment: CPU and context switches of every
// thread of this process.
struct Usage {
  double user_s = 0, sys_s = 0;
  std::int64_t ctx_switches = 0;
  std::int64_t involuntary = 0;  // of ctx_switches: preemptions (the rest: the thread slept)
  static Usage now();
};

struct Measurement {
  std::string name;       // "W1a", ...
  std::string params;     // "T=1 S=1"
  std::uint64_t ops = 0;  // commands (or get+put pairs for W2)
  double seconds = 0;
  double user_s = 0, sys_s = 0;
  std::int64_t ctx_switches = 0;
  std::int64_t involuntary = 0;
  double p50_us = 0, p99_us = 0, p999_us = 0;
  std::uint64_t errors = 0;         // commands that failed with an error
  std::uint64_t wrong_replies = 0;  // replies that were not the answer to the command sent
  std::uint64_t lost = 0;           // W4: GETs answered nil after the server lost the key in its restart
  double reference_ops_per_s = 0;   // redis-benchmark in the same run (0: not run)
  int broken_after = 0;             // W4: idle connections that failed a PING afterwards
  std::int64_t redirects = -1;      // W5: MOVED + ASK replies during the run (-1: not a cluster case)
  std::string note;                 // extra facts (W4 recovery time, ...)

  double ops_per_s() const { return seconds > 0 ? static_cast<double>(ops) / seconds : 0; }
  double cpu_us_per_op() const { return ops ? (user_s + sys_s) * 1e6 / static_cast<double>(ops) : 0; }
  double ctx_per_op() const { return ops ? static_cast<double>(ctx_switches) / static_cast<double>(ops) : 0; }
  double ratio() const { return reference_ops_per_s > 0 ? ops_per_s() / reference_ops_per_s : 0; }

  // Fill p50/p99/p99.9 from every thread's samples (consumes them).
  void set_latencies(std::vector<Recorder>& recorders);
  void set_usage(const Usage& before, const Usage& after);
};

// The median by ops/s of repeated runs of one case.
Measurement median(std::vector<Measurement> runs);

}  // namespace respool::bench
