// net::Stream: a connection's bytes: a Socket, with TLS over it once
// start_tls() succeeded (private).
//
// Plaintext stays as fast as a bare Socket: each read or write is one
// predictable branch on whether TLS is on, then the socket's own call; no
// virtual call, no allocation. Timeouts live in the socket and mean the same
// with or without TLS (see socket.hpp).
//
// Not movable: the TLS session refers to the socket by address.
// Thread-safety: none; one owner.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <string_view>
#include <system_error>
#include <utility>

#include "net/socket.hpp"
#include "net/tls.hpp"
#include "respool/result.hpp"

namespace respool::net {

class Stream {
 public:
  explicit Stream(Socket socket) noexcept : socket_(std::move(socket)) {}
  ~Stream() { close(); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // The TLS handshake (see TlsSession::connect); on success every later
  // read and write is encrypted. On failure the stream is unchanged: the
  // caller closes it.
  std::error_code start_tls(const TlsContext& context, const TlsPeer& peer,
                            std::chrono::nanoseconds timeout) {
    auto s = TlsSession::connect(socket_, context, peer, timeout);
    if (!s) return s.error();
    tls_ = std::move(*s);
    return {};
  }
  bool is_tls() const noexcept { return tls_ != nullptr; }

  Result<std::size_t> read_some(std::span<char> buf, bool first) noexcept {
    return tls_ ? tls_->read_some(buf, first) : socket_.read_some(buf, first);
  }
  // `written`: bytes the kernel accepted (with TLS: bytes of records);
  // zero on failure means the peer saw nothing of this write.
  std::error_code write_all(std::string_view data, std::size_t& written) noexcept {
    return tls_ ? tls_->write_all(data, written) : socket_.write_all(data, written);
  }

  // The raw socket's state, without waiting (see Socket::peer_state). With
  // TLS, `readable` may be a record the server sent on its own (a session
  // ticket, a key update): only `closed` says the connection is gone.
  Socket::PeerState peer_state() const noexcept { return socket_.peer_state(); }

  void set_timeouts(std::chrono::nanoseconds read, std::chrono::nanoseconds write) noexcept {
    socket_.set_timeouts(read, write);
  }
  std::chrono::nanoseconds read_timeout() const noexcept { return socket_.read_timeout(); }
  std::chrono::nanoseconds write_timeout() const noexcept { return socket_.write_timeout(); }

  bool is_open() const noexcept { return socket_.is_open(); }
  int fd() const noexcept { return socket_.fd(); }

  // Idempotent. With TLS: a close_notify first when the session is healthy
  // (never waiting), then the session is freed. Then the socket is closed.
  void close() noexcept {
    if (tls_) {
      tls_->notify_close();
      tls_.reset();
    }
    socket_.close();
  }

 private:
  Socket socket_;
  std::unique_ptr<TlsSession> tls_;  // declared after socket_: destroyed first
};

}  // namespace respool::net
