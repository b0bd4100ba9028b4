// A real redis-server for tests: started on a free loopback port with its
// own temp dir (and a unix socket in it), waited for with PING, always
// stopped (destructor; SIGTERM, then SIGKILL). Failures to start throw
// std::runtime_error with the server's log attached.
//
// Thread-safety: start/stop/kill/restart from one thread; the accessors are
// safe from any thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace respool::test {

// TLS on the server's TCP port, which then speaks only TLS (redis-server
// --port 0 --tls-port P); the fixture's own probes (the start-up PING,
// raw_command) go over the unix socket instead.
struct RedisServerTls {
  std::string cert_file, key_file, ca_file;
  std::string auth_clients = "no";  // redis's tls-auth-clients: "no", "yes" or "optional"
};

struct RedisServerOptions {
  std::vector<std::string> extra_args;  // e.g. {"--requirepass", "secret"}
  int port = 0;                         // 0: pick a free one
  std::optional<RedisServerTls> tls{};  // unset: plaintext
};

class RedisServer {
 public:
  explicit RedisServer(RedisServerOptions options = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  std::string addr() const;  // "127.0.0.1:<port>"
  std::string unix_path() const { return dir_ + "/redis.sock"; }
  const std::string& dir() const { return dir_; }
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }

  void kill();    // SIGKILL, reaped; the port is then free
  void stop();    // SIGTERM, wait, SIGKILL after 5 s
  void start();   // (re)start on the same port and dir, wait for PING
  void freeze();  // SIGSTOP
  void thaw();    // SIGCONT

  // Send one inline command on a fresh raw connection (the unix socket for
  // a TLS server) and return the raw reply text (e.g. "+OK\r\n"); for
  // set-up in tests, independent of respool. The reply is read until a
  // 20 ms pause, or with until_complete, until it is one complete RESP
  // reply (arrays too): no 20 ms per call, for probes polled in a loop.
  enum class RawRead { until_pause, until_complete };
  std::string raw_command(const std::string& line, RawRead read = RawRead::until_pause) const;

 private:
  RedisServerOptions options_;
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// A port on 127.0.0.1 that was free a moment ago.
int free_port();

// One server per test process, started on first use, stopped at exit.
RedisServer& shared_server();

// Poll `cond` every millisecond until it is true or `limit` passes.
template <class F>
bool wait_until(F&& cond, std::chrono::milliseconds limit = std::chrono::seconds(10));

}  // namespace respool::test

#include <thread>
template <class F>
bool respool::test::wait_until(F&& cond, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}
