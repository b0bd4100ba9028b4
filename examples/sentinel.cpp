// A pool that follows the primary Redis Sentinel names, across failovers,
// and a second one that reads from replicas.
//   example_sentinel [sentinel-host:port[,host:port...]] [master-name]
// Defaults: 127.0.0.1:26379 mymaster. It needs a running Sentinel, so
// scripts/run.sh (which starts a plain redis-server) builds it but does not
// run it.
//
// During a failover a command may fail (the primary is gone, or a new one is
// not yet named): the pool never sends it again on its own, since a write
// whose outcome is unknown may have run. Here a failed INCR is reported and
// the loop goes on; a caller retries only what is safe to run twice.
#include <chrono>
#include <cstdio>
#include <respool/respool.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  std::vector<std::string> sentinels;
  std::stringstream list(argc > 1 ? argv[1] : "127.0.0.1:26379");
  for (std::string addr; std::getline(list, addr, ',');) sentinels.push_back(addr);
  const std::string name = argc > 2 ? argv[2] : "mymaster";

  using namespace std::chrono_literals;
  respool::DialOptions sentinel_dial;  // the sentinels' own timeouts, AUTH, TLS
  sentinel_dial.connect_timeout = sentinel_dial.read_timeout = sentinel_dial.write_timeout = 1s;
  respool::SentinelOptions options{
      .pool = respool::PoolOptions{.get_timeout = 2s},  // the data connections
      .sentinel_dial_options = sentinel_dial,
      .role = respool::Role::primary,
      .recheck_interval = 1s,  // also asked on every +switch-master
  };
  auto made = respool::sentinel_pool(sentinels, name, 10, options);
  auto& primary = made.pool;
  if (made.error) {
    // Bad arguments give a closed pool; anything else (no sentinel knows
    // the name yet, the primary is down) a usable one that keeps asking.
    std::fprintf(stderr, "sentinel_pool %s: %s\n", name.c_str(), made.error.message().c_str());
    if (primary->closed()) return 2;
  }

  options.role = respool::Role::replica;
  auto replicas = respool::sentinel_pool(sentinels, name, 4, options);
  if (replicas.error) std::fprintf(stderr, "replica pool: %s\n", replicas.error.message().c_str());

  int failures = 0;
  for (int i = 0; i < 10; ++i) {
    const respool::Resp n = primary->cmd("INCR", "example:sentinel:counter");
    if (auto v = n.integer()) {
      std::printf("INCR -> %lld\n", static_cast<long long>(*v));
    } else {
      ++failures;
      std::printf("INCR failed: %s (%s)\n", n.error_message().c_str(),
                  n.delivery() == respool::Delivery::unknown ? "may have run" : "did not run");
    }
    const respool::Resp r = replicas.pool->cmd("GET", "example:sentinel:counter");
    std::printf("replica GET -> %s\n", r.err() ? r.error_message().c_str() : r.to_string().c_str());
    std::this_thread::sleep_for(100ms);
  }
  return failures == 10 ? 1 : 0;
}
