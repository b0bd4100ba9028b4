// net::TlsSession: TLS (OpenSSL) over a connected net::Socket (private).
//
// OpenSSL reads and writes through a small BIO of ours that calls the
// socket's timed primitives (begin_read/recv_some, begin_write/send_some), so
// the timeouts mean exactly what they mean in plaintext: a read timeout
// bounds a whole reply however many records and recvs it takes, a write
// timeout a whole write; sends never raise SIGPIPE. The handshake is bounded
// as a whole by the timeout given to connect().
//
// Errors: those of the socket (timeout, connection_closed, errno), or
// tls_handshake_failed, tls_certificate_invalid, tls_host_mismatch,
// tls_error (see respool/tls.hpp). After any error the session is broken:
// the caller must close the connection; no close_notify is sent then.
//
// Thread-safety: none; one owner. OpenSSL's per-thread error queue is left
// empty after every call.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "net/socket.hpp"
#include "respool/result.hpp"
#include "respool/tls.hpp"

struct ssl_st;  // OpenSSL's SSL

namespace respool::net {

class TlsContext;

// Whom the server's certificate must name, and the SNI to send.
struct TlsPeer {
  std::string name;  // a host name, or an IP literal (no brackets, no zone)
  bool is_ip = false;

  // From the address's host and the options: server_name when set, else the
  // host. Errors: invalid_argument when verification is on and there is no
  // name to check (an empty host such as ":6379", and no server_name).
  static Result<TlsPeer> from(std::string_view host, const TlsOptions& options);
};

class TlsSession {
 public:
  // The client's side of the handshake over `socket`, which must stay open
  // and at its address for the session's life. Blocks until done, at most
  // `timeout` in all (zero: no limit; errc::timeout when it elapses). The
  // socket's own read/write timeouts are unchanged afterwards.
  static Result<std::unique_ptr<TlsSession>> connect(Socket& socket, const TlsContext& context,
                                                     const TlsPeer& peer, std::chrono::nanoseconds timeout);

  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // As Socket::read_some / write_all, with the bytes encrypted.
  Result<std::size_t> read_some(std::span<char> buf, bool first) noexcept;
  // `written`: bytes of TLS records the socket accepted (not plaintext
  // bytes); zero means the peer saw nothing of this write.
  std::error_code write_all(std::string_view data, std::size_t& written) noexcept;

  // Send close_notify if the session is healthy, without waiting (one
  // non-blocking send; dropped if the socket buffer is full). Later reads
  // and writes fail.
  void notify_close() noexcept;

 private:
  explicit TlsSession(Socket& socket) noexcept : socket_(socket) {}

  // The error for a failed SSL call; marks the session broken.
  std::error_code failure(int ret, bool handshake) noexcept;
  // After a write found the peer gone: whether it had sent an alert
  // refusing the handshake (read without waiting).
  bool refused_before_close() noexcept;

  // Called by the BIO (see tls.cpp).
  friend struct TlsBio;
  bool bio_read(char* buf, std::size_t len, std::size_t& got) noexcept;
  bool bio_write(const char* buf, std::size_t len, std::size_t& put) noexcept;

  Socket& socket_;
  ssl_st* ssl_ = nullptr;
  // The socket error behind a failed BIO call: it, not OpenSSL's view of it,
  // is what the caller gets.
  std::error_code io_error_;
  // A read (write) deadline is running for the current operation; a BIO
  // read (write) outside one starts its own (e.g. a write OpenSSL must do
  // while reading).
  bool read_begun_ = false;
  bool write_begun_ = false;
  bool broken_ = false;    // an error happened: no close_notify, no more I/O
  bool closing_ = false;   // notify_close(): BIO writes never wait
  bool draining_ = false;  // refused_before_close(): BIO reads never wait
};

}  // namespace respool::net
