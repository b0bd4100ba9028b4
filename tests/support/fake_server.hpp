// A scripted fake Redis server, for what a real server never sends: replies
// split into single bytes, malformed or oversized replies, connections that
// close half-way, replies that never come.
//
// It listens on 127.0.0.1 (a port the kernel picks, so no race) from its
// constructor on, and serves connections one after another in one thread:
// the i-th accepted connection runs scripts[i] step by step; a connection
// beyond the last script is closed at once. After its last step a
// connection is closed.
//
//   FakeServer server({fake::read_command(), fake::send("+OK\r\n"), fake::hang()});
//   auto c = Client::dial("tcp", server.addr());
//
// Deterministic: steps run strictly in order. Every wait is bounded (a read
// step gives up after `step_limit`, hang() after `hang_limit` or when the peer
// closes), and the destructor wakes the thread and joins it, so a test can
// never hang on it. A step that can't complete (the peer closed early, a
// malformed command) ends that connection and is reported by errors().
//
// Thread-safety: the accessors may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace respool::test {

struct FakeStep {
  enum class Kind { read_command, expect_bytes, send, send_slowly, sleep, close, hang };
  Kind kind = Kind::close;
  std::string bytes;                 // send, send_slowly
  std::size_t count = 0;             // expect_bytes
  std::chrono::milliseconds gap{0};  // send_slowly: pause between bytes; sleep: how long
};

namespace fake {
// Read one command (a RESP array of bulk strings) from the client.
FakeStep read_command();
// Read exactly n raw bytes from the client.
FakeStep expect_bytes(std::size_t n);
// Send bytes in one write.
FakeStep send(std::string bytes);
// Send bytes one at a time, pausing `gap` after each.
FakeStep send_slowly(std::string bytes, std::chrono::milliseconds gap = std::chrono::milliseconds(1));
FakeStep sleep(std::chrono::milliseconds d);
// Close the connection now.
FakeStep close();
// Never answer: keep the connection open until the peer closes it or the
// server stops.
FakeStep hang();
}  // namespace fake

using FakeScript = std::vector<FakeStep>;

class FakeServer {
 public:
  explicit FakeServer(std::vector<FakeScript> scripts);
  explicit FakeServer(FakeScript script) : FakeServer(std::vector<FakeScript>{std::move(script)}) {}
  ~FakeServer();
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  int port() const { return port_; }
  std::string addr() const;  // "127.0.0.1:<port>"

  // Every command read by read_command steps, in order.
  std::vector<std::vector<std::string>> commands() const;
  // Connections accepted so far.
  std::size_t connections() const { return accepted_.load(); }
  // Connections whose script has ended (closed by the server).
  std::size_t finished() const { return finished_.load(); }
  // Why steps failed (empty when every step completed).
  std::vector<std::string> errors() const;

  // Bound on each read step.
  static constexpr std::chrono::milliseconds step_limit{10'000};
  // Bound on hang().
  static constexpr std::chrono::milliseconds hang_limit{30'000};

 private:
  enum class Wait { ready, stopped, timed_out, peer_closed };

  void run();
  void serve(int fd, const FakeScript& script);
  Wait wait_readable(int fd, std::chrono::milliseconds limit);
  bool fill(int fd, std::string& in);  // one recv into `in`; false at EOF / error / stop
  bool read_command(int fd, std::string& in);
  bool pause(std::chrono::milliseconds d);  // false when stopped
  void fail(std::string what);

  std::vector<FakeScript> scripts_;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};  // self-pipe: the destructor writes, the thread wakes
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> accepted_{0};
  std::atomic<std::size_t> finished_{0};
  mutable std::mutex mu_;
  std::vector<std::vector<std::string>> commands_;
  std::vector<std::string> errors_;
  std::thread thread_;
};

}  // namespace respool::test
