// net::TlsSession (see tls.hpp): the handshake, encrypted reads and writes
// through a BIO over net::Socket, and how OpenSSL's failures become
// respool's error codes.
#include "net/tls.hpp"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <utility>

#include "net/tls_context.hpp"
#include "respool/error.hpp"

namespace respool::net {

// The BIO OpenSSL reads and writes through: its data pointer is the
// TlsSession, which forwards to the socket's timed primitives. It never
// sets retry flags: a failed call is final and its cause is in io_error_.
struct TlsBio {
  static int read(BIO* b, char* buf, size_t len, size_t* got) {
    return static_cast<TlsSession*>(BIO_get_data(b))->bio_read(buf, len, *got) ? 1 : 0;
  }
  static int write(BIO* b, const char* buf, size_t len, size_t* put) {
    return static_cast<TlsSession*>(BIO_get_data(b))->bio_write(buf, len, *put) ? 1 : 0;
  }
  static long ctrl(BIO*, int cmd, long, void*) {
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;  // writes go straight to the socket
  }
  static int create(BIO* b) {
    BIO_set_init(b, 1);
    return 1;
  }

  // Made once, never freed (OpenSSL may still use it during exit).
  static const BIO_METHOD* method() noexcept {
    static const BIO_METHOD* m = [] {
      BIO_METHOD* bm = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "respool socket");
      if (bm == nullptr) return static_cast<BIO_METHOD*>(nullptr);
      BIO_meth_set_read_ex(bm, read);
      BIO_meth_set_write_ex(bm, write);
      BIO_meth_set_ctrl(bm, ctrl);
      BIO_meth_set_create(bm, create);
      return bm;
    }();
    return m;
  }
};

namespace {

using std::chrono::nanoseconds;

std::error_code out_of_memory() noexcept { return std::make_error_code(std::errc::not_enough_memory); }

bool is_ip_literal(const std::string& s) noexcept {
  unsigned char buf[sizeof(in6_addr)];
  return ::inet_pton(AF_INET, s.c_str(), buf) == 1 || ::inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

// The alerts a server sends when it refuses the handshake, in particular our
// certificate (missing, untrusted, expired ...). With TLS 1.3 they arrive
// after our side of the handshake is done, at the first read.
bool is_refusal_alert(int reason) noexcept {
  switch (reason - SSL_AD_REASON_OFFSET) {
    case SSL_AD_HANDSHAKE_FAILURE:
    case SSL_AD_BAD_CERTIFICATE:
    case SSL_AD_UNSUPPORTED_CERTIFICATE:
    case SSL_AD_CERTIFICATE_REVOKED:
    case SSL_AD_CERTIFICATE_EXPIRED:
    case SSL_AD_CERTIFICATE_UNKNOWN:
    case SSL_AD_UNKNOWN_CA:
    case SSL_AD_ACCESS_DENIED:
    case SSL_AD_DECRYPT_ERROR:
    case SSL_AD_PROTOCOL_VERSION:
    case SSL_AD_INSUFFICIENT_SECURITY:
    case SSL_AD_CERTIFICATE_REQUIRED: return true;
    default: return false;
  }
}

}  // namespace

Result<TlsPeer> TlsPeer::from(std::string_view host, const TlsOptions& options) {
  TlsPeer p;
  p.name = options.server_name.empty() ? std::string(host) : options.server_name;
  if (const auto zone = p.name.find('%'); zone != std::string::npos) p.name.resize(zone);  // fe80::1%eth0
  if (p.name.empty()) {
    if (options.verify) return errc::invalid_argument;
    return p;
  }
  p.is_ip = is_ip_literal(p.name);
  return p;
}

Result<std::unique_ptr<TlsSession>> TlsSession::connect(Socket& socket, const TlsContext& context,
                                                        const TlsPeer& peer, nanoseconds timeout) {
  ERR_clear_error();
  std::unique_ptr<TlsSession> s(new TlsSession(socket));
  s->ssl_ = SSL_new(context.native());
  const BIO_METHOD* method = TlsBio::method();
  BIO* bio = s->ssl_ != nullptr && method != nullptr ? BIO_new(method) : nullptr;
  if (bio == nullptr) {
    ERR_clear_error();
    return out_of_memory();
  }
  BIO_set_data(bio, s.get());
  SSL_set_bio(s->ssl_, bio, bio);  // the SSL owns the BIO

  if (!peer.name.empty()) {
    X509_VERIFY_PARAM* param = SSL_get0_param(s->ssl_);
    bool ok = true;
    if (peer.is_ip) {
      ok = X509_VERIFY_PARAM_set1_ip_asc(param, peer.name.c_str()) == 1;  // no SNI for an IP (RFC 6066)
    } else {
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      ok = SSL_set_tlsext_host_name(s->ssl_, peer.name.c_str()) == 1 &&
           SSL_set1_host(s->ssl_, peer.name.c_str()) == 1;
    }
    if (!ok) {
      ERR_clear_error();
      return errc::invalid_argument;  // a name OpenSSL can't check (e.g. too long for SNI)
    }
  }

  // Both directions share one deadline: the handshake as a whole is bounded.
  const nanoseconds read_timeout = socket.read_timeout();
  const nanoseconds write_timeout = socket.write_timeout();
  socket.set_timeouts(timeout, timeout);
  std::error_code ec = socket.begin_read();
  if (!ec) ec = socket.begin_write();
  int ret = 0;
  if (!ec) {
    s->read_begun_ = s->write_begun_ = true;
    ret = SSL_connect(s->ssl_);
    if (ret != 1) ec = s->failure(ret, true);
  }
  socket.set_timeouts(read_timeout, write_timeout);
  s->read_begun_ = s->write_begun_ = false;
  if (ec) return ec;
  return s;
}

TlsSession::~TlsSession() {
  SSL_free(ssl_);  // and its BIO; sends nothing
}

Result<std::size_t> TlsSession::read_some(std::span<char> buf, bool first) noexcept {
  if (broken_ || !socket_.is_open()) return errc::client_closed;
  if (first) {
    if (auto ec = socket_.begin_read()) return ec;
    read_begun_ = true;
    write_begun_ = false;
  }
  std::size_t n = 0;
  const int ret = SSL_read_ex(ssl_, buf.data(), buf.size(), &n);
  if (ret == 1) return n;
  return failure(ret, false);
}

std::error_code TlsSession::write_all(std::string_view data, std::size_t& written) noexcept {
  written = 0;
  if (broken_ || !socket_.is_open()) return errc::client_closed;
  const std::uint64_t sent_before = socket_.bytes_sent();
  // Whatever OpenSSL got onto the socket (a partial record included).
  struct Count {
    const Socket& socket;
    std::uint64_t before;
    std::size_t& written;
    ~Count() { written = static_cast<std::size_t>(socket.bytes_sent() - before); }
  } count{socket_, sent_before, written};
  if (auto ec = socket_.begin_write()) return ec;
  write_begun_ = true;
  read_begun_ = false;
  // Blocking semantics (the BIO never asks for a retry): SSL_write_ex
  // returns once everything is written, or on an error.
  while (!data.empty()) {
    std::size_t n = 0;
    const int ret = SSL_write_ex(ssl_, data.data(), data.size(), &n);
    if (ret != 1) {
      const std::error_code ec = failure(ret, false);
      // With TLS 1.3 a server refuses our certificate after our side of the
      // handshake is done, then hangs up: the first write fails. Its alert,
      // already received, says why.
      if (ec == errc::connection_closed && refused_before_close()) return errc::tls_handshake_failed;
      return ec;
    }
    data.remove_prefix(n);
  }
  return {};
}

void TlsSession::notify_close() noexcept {
  if (broken_ || closing_ || !socket_.is_open()) return;
  closing_ = true;
  broken_ = true;  // no I/O after this
  (void)SSL_shutdown(ssl_);
  ERR_clear_error();
}

bool TlsSession::refused_before_close() noexcept {
  draining_ = true;
  char buf[512];
  std::size_t n = 0;
  const int ret = SSL_read_ex(ssl_, buf, sizeof buf, &n);
  const bool refused = ret != 1 && SSL_get_error(ssl_, ret) == SSL_ERROR_SSL &&
                       ERR_GET_LIB(ERR_peek_last_error()) == ERR_LIB_SSL &&
                       is_refusal_alert(ERR_GET_REASON(ERR_peek_last_error()));
  ERR_clear_error();
  io_error_ = {};
  draining_ = false;
  return refused;
}

bool TlsSession::bio_read(char* buf, std::size_t len, std::size_t& got) noexcept {
  if (closing_) return false;
  if (draining_) {
    auto n = socket_.recv_now({buf, len});
    if (!n) {
      io_error_ = n.error();
      return false;
    }
    got = *n;
    return true;
  }
  if (!read_begun_) {
    if (auto ec = socket_.begin_read()) {
      io_error_ = ec;
      return false;
    }
    read_begun_ = true;
  }
  auto n = socket_.recv_some({buf, len});
  if (!n) {
    io_error_ = n.error();
    return false;
  }
  got = *n;
  return true;
}

bool TlsSession::bio_write(const char* buf, std::size_t len, std::size_t& put) noexcept {
  if (closing_) {
    socket_.send_now({buf, len});
    put = len;  // what did not fit is dropped: close_notify is a courtesy
    return true;
  }
  if (!write_begun_) {
    if (auto ec = socket_.begin_write()) {
      io_error_ = ec;
      return false;
    }
    write_begun_ = true;
  }
  auto n = socket_.send_some({buf, len});
  if (!n) {
    io_error_ = n.error();
    return false;
  }
  put = *n;
  return true;
}

std::error_code TlsSession::failure(int ret, bool handshake) noexcept {
  broken_ = true;
  const int kind = SSL_get_error(ssl_, ret);
  const unsigned long err = ERR_peek_last_error();  // ours: the most recent
  ERR_clear_error();
  // A socket error (timeout, reset, EOF, errno) is reported as such.
  if (auto ec = std::exchange(io_error_, {})) return ec;
  if (kind == SSL_ERROR_ZERO_RETURN) return errc::connection_closed;  // the peer's close_notify
  if (kind == SSL_ERROR_SSL && ERR_GET_LIB(err) == ERR_LIB_SSL) {
    const int reason = ERR_GET_REASON(err);
    if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED) {
      const long v = SSL_get_verify_result(ssl_);
      return v == X509_V_ERR_HOSTNAME_MISMATCH || v == X509_V_ERR_IP_ADDRESS_MISMATCH
                 ? errc::tls_host_mismatch
                 : errc::tls_certificate_invalid;
    }
    if (is_refusal_alert(reason)) return errc::tls_handshake_failed;
  }
  if (kind == SSL_ERROR_SYSCALL && err == 0) return errc::connection_closed;  // EOF mid-record
  return handshake ? errc::tls_handshake_failed : errc::tls_error;
}

}  // namespace respool::net
