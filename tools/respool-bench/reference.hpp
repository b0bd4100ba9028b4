// The reference of every figure: redis-benchmark, the C client the Redis
// project ships, run against the same server in the same run.
#pragma once

#include <string>

namespace respool::bench {

struct ReferenceRun {
  std::string host;
  int port = 0;
  int clients = 1;       // -c
  int pipeline = 1;      // -P
  long requests = 0;     // -n, per test (SET and GET each)
  bool cluster = false;  // --cluster: host:port is one node of a Redis Cluster
};

// Runs `redis-benchmark -t set,get -d 16 ...` and returns its combined
// SET+GET ops/s (the harmonic mean of the two rates, as both ran the same
// number of requests); 0 when it could not run. With --cluster it also
// prints per-node lines without --csv; with --csv, as here, only the totals.
double run_reference(const ReferenceRun& run);

// The command line run_reference uses, for the docs.
std::string reference_command(const ReferenceRun& run);

}  // namespace respool::bench
