// net::Socket: one connected stream socket (tcp or unix), owned (private).
//
// Blocking I/O with the timeouts done by the kernel (SO_RCVTIMEO /
// SO_SNDTIMEO), so the common case of a command costs exactly one send and
// one recv. A timeout bounds a whole reply (or a whole write), not each
// system call: the first recv of a reply runs under the full read timeout;
// only when a reply needs more recvs is SO_RCVTIMEO shrunk to the time left
// (and restored before the next reply). Writes likewise.
//
// Errors: errc::timeout (the timeout elapsed; EAGAIN), errc::connection_closed
// (EOF, ECONNRESET or EPIPE: the peer went away), any other errno as
// std::error_code(errno, std::system_category()). Sends never raise SIGPIPE
// (MSG_NOSIGNAL). Every socket is close-on-exec.
//
// Thread-safety: none; one owner.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <system_error>

#include "net/address.hpp"
#include "respool/result.hpp"

namespace respool::net {

// System calls made on sockets by the calling thread: for tests and
// benchmarks that check the hot path (one send, one recv per command).
struct IoCounters {
  std::uint64_t sends = 0;
  std::uint64_t recvs = 0;
  std::uint64_t sockopts = 0;  // setsockopt calls after connect (timeout changes)
};
IoCounters& io_counters() noexcept;

class Socket {
 public:
  Socket() noexcept = default;
  explicit Socket(int fd) noexcept : fd_(fd) {}
  ~Socket() { close(); }
  Socket(Socket&& o) noexcept;
  Socket& operator=(Socket&& o) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  // Connect to `ep`, waiting at most `timeout` (zero: no limit). The socket
  // is blocking afterwards.
  static Result<Socket> connect(const Endpoint& ep, std::chrono::nanoseconds timeout);
  // Try each endpoint in turn, each bounded by `timeout`; the first error
  // when all fail.
  static Result<Socket> connect_any(std::span<const Endpoint> eps, std::chrono::nanoseconds timeout);

  // TCP_NODELAY, and keep-alive probes after `keepalive` idle (zero: off):
  // TCP_KEEPIDLE = keepalive, TCP_KEEPINTVL = keepalive / 3 (at least 1 s),
  // TCP_KEEPCNT = 3, as redis-server does for its own clients.
  std::error_code set_tcp_options(bool nodelay, std::chrono::seconds keepalive) noexcept;

  // Timeouts for the following reads and writes (zero: none; negative: an
  // immediate timeout). Applied to the socket lazily, at the next read or
  // write that needs them.
  void set_timeouts(std::chrono::nanoseconds read, std::chrono::nanoseconds write) noexcept;
  std::chrono::nanoseconds read_timeout() const noexcept { return read_timeout_; }
  std::chrono::nanoseconds write_timeout() const noexcept { return write_timeout_; }

  // Write all of `data` (looping on partial writes), bounded as a whole by
  // the write timeout. `written`: how many bytes the kernel accepted, all of
  // `data` on success; on failure, zero means the peer can't have seen any of
  // it.
  std::error_code write_all(std::string_view data, std::size_t& written) noexcept;

  // One recv into `buf` (at least one byte, or an error). `first`: the first
  // read of a new reply, which starts the read deadline; later reads of the
  // same reply get only the time left.
  Result<std::size_t> read_some(std::span<char> buf, bool first) noexcept;

  // The primitives under write_all and read_some, for a layer that does its
  // own framing over this socket (TLS). begin_read / begin_write start a
  // deadline of read_timeout / write_timeout from now; each recv_some /
  // send_some is then one system call (EINTR retried) that ends by that
  // deadline. The first one after begin_* costs no extra system call.
  std::error_code begin_read() noexcept;
  Result<std::size_t> recv_some(std::span<char> buf) noexcept;
  std::error_code begin_write() noexcept;
  Result<std::size_t> send_some(std::string_view data) noexcept;
  // One send / recv that never waits (MSG_DONTWAIT; nothing to read is
  // errc::timeout): for a courtesy message at close, and for what a peer
  // sent before it hung up.
  void send_now(std::string_view data) noexcept;
  Result<std::size_t> recv_now(std::span<char> buf) noexcept;

  // What an idle connection looks like, checked without waiting (one poll()
  // with a zero timeout; nothing is read): `closed` when the peer closed
  // (FIN) or reset it or an error is pending (a closed socket too),
  // `readable` when bytes wait to be read, else `quiet`.
  enum class PeerState : std::uint8_t { quiet, readable, closed };
  PeerState peer_state() const noexcept;

  // Bytes the kernel has accepted from send_some on this socket so far.
  std::uint64_t bytes_sent() const noexcept { return bytes_sent_; }

  bool is_open() const noexcept { return fd_ >= 0; }
  int fd() const noexcept { return fd_; }
  void close() noexcept;

 private:
  using clock = std::chrono::steady_clock;

  std::error_code apply(int option, std::chrono::nanoseconds t, std::chrono::nanoseconds& applied) noexcept;

  int fd_ = -1;
  std::uint64_t bytes_sent_ = 0;
  std::chrono::nanoseconds read_timeout_{0};
  std::chrono::nanoseconds write_timeout_{0};
  // What SO_RCVTIMEO / SO_SNDTIMEO are set to now (a fresh socket: none).
  std::chrono::nanoseconds applied_read_{0};
  std::chrono::nanoseconds applied_write_{0};
  clock::time_point read_deadline_{};
  clock::time_point write_deadline_{};
  // SO_RCVTIMEO / SO_SNDTIMEO hold the whole timeout, just started by
  // begin_read / begin_write: the next recv / send needs no adjustment.
  bool read_fresh_ = false;
  bool write_fresh_ = false;
};

}  // namespace respool::net
