// net::Socket (see socket.hpp).
#include "net/socket.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <utility>

#include "respool/error.hpp"

namespace respool::net {
namespace {

using std::chrono::nanoseconds;

thread_local IoCounters counters;

// now + t, saturating: a timeout of nanoseconds::max() means "practically
// never", not an overflow.
std::chrono::steady_clock::time_point deadline_after(nanoseconds t) noexcept {
  const auto now = std::chrono::steady_clock::now();
  const auto room = std::chrono::steady_clock::time_point::max() - now;
  return t >= room ? std::chrono::steady_clock::time_point::max() : now + t;
}

std::error_code sys_error(int e) noexcept { return {e, std::system_category()}; }

// errno of a failed send/recv on a connected socket.
std::error_code io_error(int e) noexcept {
  if (e == EAGAIN || e == EWOULDBLOCK) return errc::timeout;  // SO_RCVTIMEO / SO_SNDTIMEO elapsed
  if (e == ECONNRESET || e == EPIPE) return errc::connection_closed;
  return sys_error(e);
}

// A duration as a timeval for SO_RCVTIMEO / SO_SNDTIMEO, rounded up to a
// microsecond so that a tiny positive timeout never reads as "none".
timeval to_timeval(nanoseconds t) noexcept {
  const auto us = std::chrono::ceil<std::chrono::microseconds>(t).count();
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(us / 1'000'000);
  tv.tv_usec = static_cast<suseconds_t>(us % 1'000'000);
  return tv;
}

timespec to_timespec(nanoseconds t) noexcept {
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(t.count() / 1'000'000'000);
  ts.tv_nsec = static_cast<long>(t.count() % 1'000'000'000);
  return ts;
}

std::error_code set_blocking(int fd) noexcept {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) return sys_error(errno);
  return {};
}

// Wait for a non-blocking connect to finish, then collect its result.
std::error_code finish_connect(int fd, nanoseconds timeout) noexcept {
  const auto deadline = deadline_after(timeout);
  for (;;) {
    pollfd p{fd, POLLOUT, 0};
    timespec ts{};
    timespec* tsp = nullptr;
    if (timeout > nanoseconds::zero()) {
      const auto left = deadline - std::chrono::steady_clock::now();
      if (left <= nanoseconds::zero()) return errc::timeout;
      ts = to_timespec(left);
      tsp = &ts;
    }
    const int n = ::ppoll(&p, 1, tsp, nullptr);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error(errno);
    if (n == 0) return errc::timeout;
    break;
  }
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return sys_error(errno);
  if (err != 0) return sys_error(err);
  return {};
}

Result<Socket> connect_tcp(const Endpoint& ep, nanoseconds timeout) {
  Socket s(::socket(ep.family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!s.is_open()) return sys_error(errno);
  if (::connect(s.fd(), ep.address(), ep.length) != 0) {
    // EINTR: the connection goes on asynchronously, as with EINPROGRESS.
    if (errno != EINPROGRESS && errno != EINTR) return sys_error(errno);
    if (auto ec = finish_connect(s.fd(), timeout)) return ec;
  }
  if (auto ec = set_blocking(s.fd())) return ec;
  return s;
}

// A unix-socket connect only waits when the listener's backlog is full; a
// blocking connect honours SO_SNDTIMEO for that wait (EAGAIN when it ends).
Result<Socket> connect_unix(const Endpoint& ep, nanoseconds timeout) {
  Socket s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s.is_open()) return sys_error(errno);
  if (timeout > nanoseconds::zero()) {
    const timeval tv = to_timeval(timeout);
    if (::setsockopt(s.fd(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0) return sys_error(errno);
  }
  for (;;) {
    if (::connect(s.fd(), ep.address(), ep.length) == 0) break;
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return errc::timeout;
    return sys_error(errno);
  }
  if (timeout > nanoseconds::zero()) {
    const timeval none{};
    if (::setsockopt(s.fd(), SOL_SOCKET, SO_SNDTIMEO, &none, sizeof none) != 0) return sys_error(errno);
  }
  return s;
}

}  // namespace

IoCounters& io_counters() noexcept { return counters; }

Socket::Socket(Socket&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)),
      bytes_sent_(o.bytes_sent_),
      read_timeout_(o.read_timeout_),
      write_timeout_(o.write_timeout_),
      applied_read_(o.applied_read_),
      applied_write_(o.applied_write_),
      read_deadline_(o.read_deadline_),
      write_deadline_(o.write_deadline_),
      read_fresh_(o.read_fresh_),
      write_fresh_(o.write_fresh_) {}

Socket& Socket::operator=(Socket&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = std::exchange(o.fd_, -1);
    bytes_sent_ = o.bytes_sent_;
    read_timeout_ = o.read_timeout_;
    write_timeout_ = o.write_timeout_;
    applied_read_ = o.applied_read_;
    applied_write_ = o.applied_write_;
    read_deadline_ = o.read_deadline_;
    write_deadline_ = o.write_deadline_;
    read_fresh_ = o.read_fresh_;
    write_fresh_ = o.write_fresh_;
  }
  return *this;
}

void Socket::close() noexcept {
  if (fd_ >= 0) {
    ::close(fd_);  // never retried on EINTR: the descriptor is gone either way on Linux
    fd_ = -1;
  }
}

Result<Socket> Socket::connect(const Endpoint& ep, nanoseconds timeout) {
  if (timeout < nanoseconds::zero()) return errc::timeout;
  return ep.family() == AF_UNIX ? connect_unix(ep, timeout) : connect_tcp(ep, timeout);
}

Result<Socket> Socket::connect_any(std::span<const Endpoint> eps, nanoseconds timeout) {
  std::error_code first;
  for (const Endpoint& ep : eps) {
    auto s = connect(ep, timeout);
    if (s) return s;
    if (!first) first = s.error();
  }
  return first ? first : std::error_code(errc::bad_address);
}

std::error_code Socket::set_tcp_options(bool nodelay, std::chrono::seconds keepalive) noexcept {
  const int one = 1;
  if (nodelay && ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) return sys_error(errno);
  if (keepalive > std::chrono::seconds::zero()) {
    const auto idle_s = std::min<std::chrono::seconds::rep>(keepalive.count(), 32767);  // kernel maximum
    const int idle = static_cast<int>(idle_s);
    const int interval = std::max(1, idle / 3);
    const int count = 3;
    if (::setsockopt(fd_, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one) != 0 ||
        ::setsockopt(fd_, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle) != 0 ||
        ::setsockopt(fd_, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval) != 0 ||
        ::setsockopt(fd_, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count) != 0)
      return sys_error(errno);
  }
  return {};
}

void Socket::set_timeouts(nanoseconds read, nanoseconds write) noexcept {
  read_timeout_ = read;
  write_timeout_ = write;
}

std::error_code Socket::apply(int option, nanoseconds t, nanoseconds& applied) noexcept {
  if (t == applied) return {};
  const timeval tv = to_timeval(t);
  ++counters.sockopts;
  if (::setsockopt(fd_, SOL_SOCKET, option, &tv, sizeof tv) != 0) return sys_error(errno);
  applied = t;
  return {};
}

std::error_code Socket::begin_write() noexcept {
  if (fd_ < 0) return errc::client_closed;
  if (write_timeout_ < nanoseconds::zero()) return errc::timeout;
  // Common case: SO_SNDTIMEO already holds the write timeout (no syscall).
  if (auto ec = apply(SO_SNDTIMEO, write_timeout_, applied_write_)) return ec;
  if (write_timeout_ > nanoseconds::zero()) write_deadline_ = deadline_after(write_timeout_);
  write_fresh_ = true;
  return {};
}

Result<std::size_t> Socket::send_some(std::string_view data) noexcept {
  if (fd_ < 0) return errc::client_closed;
  for (;;) {
    if (!std::exchange(write_fresh_, false) && write_timeout_ > nanoseconds::zero()) {
      // A later send of the same write: only the time left.
      const auto left = write_deadline_ - clock::now();
      if (left <= nanoseconds::zero()) return errc::timeout;
      if (auto ec = apply(SO_SNDTIMEO, left, applied_write_)) return ec;
    }
    ++counters.sends;
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      bytes_sent_ += static_cast<std::size_t>(n);
      return static_cast<std::size_t>(n);
    }
    if (errno != EINTR) return io_error(errno);
  }
}

void Socket::send_now(std::string_view data) noexcept {
  if (fd_ < 0) return;
  ++counters.sends;
  (void)::send(fd_, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

Result<std::size_t> Socket::recv_now(std::span<char> buf) noexcept {
  if (fd_ < 0) return errc::client_closed;
  ++counters.recvs;
  const ssize_t n = ::recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT);
  if (n > 0) return static_cast<std::size_t>(n);
  if (n == 0) return errc::connection_closed;
  return io_error(errno);
}

std::error_code Socket::begin_read() noexcept {
  if (fd_ < 0) return errc::client_closed;
  if (read_timeout_ < nanoseconds::zero()) return errc::timeout;
  // Common case: SO_RCVTIMEO already holds the read timeout (no syscall).
  if (auto ec = apply(SO_RCVTIMEO, read_timeout_, applied_read_)) return ec;
  if (read_timeout_ > nanoseconds::zero()) read_deadline_ = deadline_after(read_timeout_);
  read_fresh_ = true;
  return {};
}

Result<std::size_t> Socket::recv_some(std::span<char> buf) noexcept {
  if (fd_ < 0) return errc::client_closed;
  for (;;) {
    if (!std::exchange(read_fresh_, false) && read_timeout_ > nanoseconds::zero()) {
      // A later read of the same reply: only the time left.
      const auto left = read_deadline_ - clock::now();
      if (left <= nanoseconds::zero()) return errc::timeout;
      if (auto ec = apply(SO_RCVTIMEO, left, applied_read_)) return ec;
    }
    ++counters.recvs;
    const ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
    if (n > 0) return static_cast<std::size_t>(n);
    if (n == 0) return errc::connection_closed;
    if (errno != EINTR) return io_error(errno);
  }
}

std::error_code Socket::write_all(std::string_view data, std::size_t& written) noexcept {
  written = 0;
  if (auto ec = begin_write()) return ec;
  while (!data.empty()) {
    auto n = send_some(data);
    if (!n) return n.error();
    data.remove_prefix(*n);
    written += *n;
  }
  return {};
}

Socket::PeerState Socket::peer_state() const noexcept {
  if (fd_ < 0) return PeerState::closed;
  pollfd p{fd_, POLLIN | POLLRDHUP, 0};
  int n = 0;
  do {
    n = ::poll(&p, 1, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return PeerState::closed;
  if (n == 0) return PeerState::quiet;
  if ((p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0) return PeerState::closed;
  return (p.revents & POLLIN) != 0 ? PeerState::readable : PeerState::quiet;
}

Result<std::size_t> Socket::read_some(std::span<char> buf, bool first) noexcept {
  if (first) {
    if (auto ec = begin_read()) return ec;
  }
  return recv_some(buf);
}

}  // namespace respool::net
