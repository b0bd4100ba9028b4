// A fault-injecting TCP proxy for tests: it listens on a free loopback port,
// forwards every connection to a real redis-server (127.0.0.1:<upstream>),
// and can be told, at any moment and from any thread, to misbehave the way
// networks and servers do:
//
//   FaultProxy proxy(server.port());
//   auto c = Client::dial("tcp", proxy.addr());
//   proxy.set_latency(FaultProxy::to_client, 300ms);  // replies arrive late
//   proxy.stall(true);                                // nothing moves any more
//   proxy.reset_all();                                // every connection gets an RST
//
// Faults (each control takes effect before it returns, unless said otherwise):
//   - set_latency(direction, d): bytes read from one side from now on are
//     written to the other side `d` later (bytes already queued keep their
//     own delivery time). Order is kept.
//   - stall(true): stop reading and writing on every connection, keep every
//     socket open: the "silently dropped packets" case (redis-plus-plus
//     #579). Bytes in flight stay in the kernel buffers and move again after
//     stall(false), as TCP would after a partition heals. A client that
//     closes its end meanwhile is still noticed: its upstream is closed.
//   - drop_all(): close every connection (a FIN to both sides).
//   - reset_all(): close every connection with SO_LINGER 0 (an RST to both
//     sides).
//   - cut_next_reply(n): the first connection to receive server->client bytes
//     after the call gets only n more of them, then is closed (FIN): a
//     connection closed half-way through a reply.
//   - blackhole(true): connections accepted from now on are never connected
//     upstream nor answered; what they send is read and dropped. They stay
//     that way until closed (blackhole(false) affects only later ones).
//
// Contract: one thread runs poll() over every socket; every wait is bounded
// (poll wakes at least every 50 ms, and at once on a control through a
// self-pipe); the destructor stops the thread, joins it, and closes every
// socket. A connection upstream that can't be made (server down) closes the
// client's connection at once, as a refused connection would look through
// a real proxy. Controls are thread-safe; a control that acts on existing
// connections (drop_all, reset_all) returns once they are closed (or after
// 5 s, then it throws).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace respool::test {

class FaultProxy {
 public:
  enum Direction { to_server = 0, to_client = 1 };

  // Forwards to 127.0.0.1:upstream_port.
  explicit FaultProxy(int upstream_port);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  int port() const { return port_; }
  std::string addr() const;  // "127.0.0.1:<port>"

  void set_latency(Direction d, std::chrono::milliseconds latency);
  void stall(bool on);
  void drop_all();
  void reset_all();
  void cut_next_reply(std::size_t n);
  void blackhole(bool on);

  // Connections open through the proxy now (blackholed ones included).
  std::size_t open_connections() const { return open_.load(); }
  // Connections accepted so far.
  std::size_t accepted() const { return accepted_.load(); }
  // Cuts done by cut_next_reply so far.
  std::size_t cuts() const { return cuts_.load(); }

 private:
  struct Conn;
  struct Queue;
  enum class Kill { none, fin, rst };

  void run();
  void wake();
  void request_kill(Kill k);

  int upstream_port_;
  int port_ = 0;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};

  mutable std::mutex mu_;  // guards the settings below and the request counters
  std::condition_variable done_cv_;
  std::chrono::milliseconds latency_[2]{};
  bool stalled_ = false;
  bool blackhole_ = false;
  std::size_t cut_bytes_ = 0;
  bool cut_armed_ = false;
  Kill kill_ = Kill::none;
  std::uint64_t kill_requested_ = 0;
  std::uint64_t kill_done_ = 0;

  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> open_{0};
  std::atomic<std::size_t> accepted_{0};
  std::atomic<std::size_t> cuts_{0};
  std::thread thread_;
};

}  // namespace respool::test
