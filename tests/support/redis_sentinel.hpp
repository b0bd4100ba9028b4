// A Sentinel-managed pair for tests: one primary and one replica
// (RedisServer, the replica started with --replicaof) and three
// redis-sentinel processes monitoring them as "mymaster" (quorum 2,
// down-after 1 s, failover-timeout 3 s, hostnames not resolved), all on free
// loopback ports, each sentinel in a directory of its own (it rewrites its
// config file). The constructor waits until every sentinel sees the primary,
// a healthy replica and the two other sentinels; the destructor stops
// everything. Failures to start throw std::runtime_error with the log
// attached.
//
// Thread-safety: as RedisServer: set-up and kills from one thread; the
// accessors (and the probes, each on a connection of its own) from any.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "redis_server.hpp"

namespace respool::test {

// One redis-sentinel process.
class SentinelProcess {
 public:
  // Writes `dir`/sentinel.conf monitoring `name` at 127.0.0.1:`primary_port`
  // and starts the sentinel on a free port.
  SentinelProcess(std::string dir, int primary_port, const std::string& name);
  ~SentinelProcess();
  SentinelProcess(const SentinelProcess&) = delete;
  SentinelProcess& operator=(const SentinelProcess&) = delete;

  int port() const { return port_; }
  std::string addr() const { return "127.0.0.1:" + std::to_string(port_); }
  bool running() const { return pid_ > 0; }
  void start();  // (re)start on the same port and config, wait for PING
  void kill();   // SIGKILL, reaped

 private:
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

class RedisSentinelSetup {
 public:
  static constexpr const char* kName = "mymaster";

  RedisSentinelSetup();
  ~RedisSentinelSetup();
  RedisSentinelSetup(const RedisSentinelSetup&) = delete;
  RedisSentinelSetup& operator=(const RedisSentinelSetup&) = delete;

  // "127.0.0.1:<port>" of each sentinel.
  std::vector<std::string> sentinel_addrs() const;
  SentinelProcess& sentinel(int i) { return *sentinels_.at(static_cast<std::size_t>(i)); }
  // Server 0 started as the primary, server 1 as its replica.
  RedisServer& server(int i) { return *servers_.at(static_cast<std::size_t>(i)); }

  // The running server whose ROLE says master (nullptr when none does).
  RedisServer* primary();
  // The running server whose ROLE says slave (nullptr when none does).
  RedisServer* replica();

  // The primary's port as sentinel `i` names it (GET-MASTER-ADDR-BY-NAME),
  // or 0.
  int sentinel_primary_port(int i) const;

  // SIGKILL the current primary; returns it (nullptr when none runs). Its
  // RedisServer::start() brings it back (Sentinel then makes it a replica).
  RedisServer* kill_primary();
  // Start a killed server again as a replica of the current primary (at
  // once, rather than waiting the seconds Sentinel takes to convert a
  // returning old primary).
  void restart_as_replica(RedisServer& server);
  // True once every running sentinel names a primary other than
  // `old_port`; false when `limit` passes first.
  bool wait_for_failover(int old_port, std::chrono::milliseconds limit = std::chrono::seconds(30)) const;

  // True once every running sentinel names `port` as the primary, sees one
  // healthy replica and the two other sentinels, and the replica's link to
  // the primary is up.
  bool ready(int primary_port) const;
  // Polls ready() until `limit`; false when it never became true.
  bool wait_ready(int primary_port, std::chrono::milliseconds limit = std::chrono::seconds(30)) const;

 private:
  std::string dir_;
  std::vector<std::unique_ptr<RedisServer>> servers_;
  std::vector<std::unique_ptr<SentinelProcess>> sentinels_;
};

// INFO-style "field:value" from `text`, or "".
std::string info_value(const std::string& text, const std::string& field);

}  // namespace respool::test
