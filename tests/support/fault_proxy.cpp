#include "fault_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace respool::test {
namespace {

using clock = std::chrono::steady_clock;

// Stop reading from a side while this much is queued for the other one.
constexpr std::size_t queue_cap = 1 << 20;
// poll() never sleeps longer than this, whatever happens.
constexpr std::chrono::milliseconds max_tick{50};

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

void close_fd(int& fd, bool rst) {
  if (fd < 0) return;
  if (rst) {
    const linger l{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  ::close(fd);
  fd = -1;
}

int connect_upstream(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // Loopback: a connect either completes or is refused at once (a stopped
  // server's kernel still completes it), so a blocking connect is bounded.
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  set_nonblocking(fd);
  return fd;
}

}  // namespace

struct FaultProxy::Queue {
  struct Chunk {
    clock::time_point due;
    std::string bytes;
    std::size_t sent = 0;
  };
  std::deque<Chunk> chunks;
  std::size_t bytes = 0;

  bool has_due(clock::time_point now) const { return !chunks.empty() && chunks.front().due <= now; }
  void push(clock::time_point due, const char* p, std::size_t n) {
    chunks.push_back({due, std::string(p, n), 0});
    bytes += n;
  }
  // Write what is due; false on a write error.
  bool flush(int fd, clock::time_point now) {
    while (has_due(now)) {
      Chunk& c = chunks.front();
      const ssize_t n = ::send(fd, c.bytes.data() + c.sent, c.bytes.size() - c.sent, MSG_NOSIGNAL);
      if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
      c.sent += static_cast<std::size_t>(n);
      bytes -= static_cast<std::size_t>(n);
      if (c.sent < c.bytes.size()) return true;
      chunks.pop_front();
    }
    return true;
  }
};

struct FaultProxy::Conn {
  int fd[2] = {-1, -1};  // [to_server] = the upstream socket, [to_client] = the client's
  Queue queue[2];        // queue[d]: bytes waiting to be written towards direction d
  bool upstream_eof = false;
  bool cutting = false;  // cut_next_reply: forward cut_left more bytes, then close
  std::size_t cut_left = 0;
  bool blackholed() const { return fd[to_server] < 0; }
};

FaultProxy::FaultProxy(int upstream_port) : upstream_port_(upstream_port) {
  if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) throw std::runtime_error("FaultProxy: pipe2 failed");
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
      ::listen(listen_fd_, 128) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    if (listen_fd_ >= 0) ::close(listen_fd_);
    ::close(wake_[0]);
    ::close(wake_[1]);
    throw std::runtime_error("FaultProxy: listen failed");
  }
  port_ = ntohs(sa.sin_port);
  thread_ = std::thread([this] { run(); });
}

FaultProxy::~FaultProxy() {
  stop_.store(true);
  wake();
  thread_.join();
  ::close(listen_fd_);
  ::close(wake_[0]);
  ::close(wake_[1]);
}

std::string FaultProxy::addr() const { return "127.0.0.1:" + std::to_string(port_); }

void FaultProxy::wake() {
  const char b = 1;
  (void)!::write(wake_[1], &b, 1);
}

void FaultProxy::set_latency(Direction d, std::chrono::milliseconds latency) {
  std::lock_guard lk(mu_);
  latency_[d] = latency;
}

void FaultProxy::stall(bool on) {
  {
    std::lock_guard lk(mu_);
    stalled_ = on;
  }
  wake();
}

void FaultProxy::blackhole(bool on) {
  std::lock_guard lk(mu_);
  blackhole_ = on;
}

void FaultProxy::cut_next_reply(std::size_t n) {
  std::lock_guard lk(mu_);
  cut_bytes_ = n;
  cut_armed_ = true;
}

void FaultProxy::drop_all() { request_kill(Kill::fin); }
void FaultProxy::reset_all() { request_kill(Kill::rst); }

void FaultProxy::request_kill(Kill k) {
  std::unique_lock lk(mu_);
  kill_ = k;
  const auto ticket = ++kill_requested_;
  wake();
  if (!done_cv_.wait_for(lk, std::chrono::seconds(5), [&] { return kill_done_ >= ticket; }))
    throw std::runtime_error("FaultProxy: the proxy thread did not close its connections within 5 s");
}

void FaultProxy::run() {
  std::vector<std::unique_ptr<Conn>> conns;
  auto close_conn = [&](Conn& c, bool rst) {
    close_fd(c.fd[to_client], rst);
    close_fd(c.fd[to_server], rst);
    open_.fetch_sub(1);
  };
  // Accept every connection waiting in the backlog.
  auto accept_all = [&](bool blackhole) {
    for (;;) {
      int cfd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (cfd < 0) return;
      accepted_.fetch_add(1);
      auto c = std::make_unique<Conn>();
      c->fd[to_client] = cfd;
      if (!blackhole) {
        c->fd[to_server] = connect_upstream(upstream_port_);
        if (c->fd[to_server] < 0) {  // server down: refuse, as a real proxy would
          close_fd(cfd, true);
          continue;
        }
        const int one = 1;
        ::setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      }
      open_.fetch_add(1);
      conns.push_back(std::move(c));
    }
  };
  std::vector<pollfd> pfds;
  char buf[64 * 1024];
  std::chrono::milliseconds latency[2]{};
  bool stalled = false;
  bool blackhole = false;
  // A snapshot of the settings; kill requests are served here. Taken again
  // after each poll(), so that a control made while the thread slept applies
  // to every byte read after it returned.
  auto settings = [&] {
    std::lock_guard lk(mu_);
    latency[0] = latency_[0];
    latency[1] = latency_[1];
    stalled = stalled_;
    blackhole = blackhole_;
    if (kill_done_ < kill_requested_) {
      // Connections the kernel completed but the proxy has not accepted yet
      // are connections too: accept them first, so none escapes.
      accept_all(blackhole);
      for (auto& c : conns) close_conn(*c, kill_ == Kill::rst);
      conns.clear();
      kill_done_ = kill_requested_;
      done_cv_.notify_all();
    }
  };

  while (!stop_.load()) {
    settings();
    auto now = clock::now();
    auto wake_at = now + max_tick;
    pfds.clear();
    pfds.push_back({wake_[0], POLLIN, 0});
    pfds.push_back({listen_fd_, POLLIN, 0});
    for (auto& c : conns) {
      for (int side : {to_server, to_client}) {
        short ev = 0;
        const int other = 1 - side;  // bytes read from `side` go towards `other`
        if (!stalled && c->fd[side] >= 0) {
          const bool reading_allowed =
              side == to_client || (!c->upstream_eof && !(c->cutting && c->cut_left == 0));
          if (reading_allowed && c->queue[other].bytes < queue_cap) ev |= POLLIN;
          if (c->queue[side].has_due(now)) ev |= POLLOUT;
          if (!c->queue[side].chunks.empty()) wake_at = std::min(wake_at, c->queue[side].chunks.front().due);
        }
        if (stalled && side == to_client) ev = POLLRDHUP;  // only to notice a client that goes away
        // A server that has gone away is not polled again (it would report
        // HUP without end while its last bytes wait out their latency).
        const bool ignore = side == to_server && c->upstream_eof;
        pfds.push_back({ignore ? -1 : c->fd[side], ev, 0});
      }
    }
    const auto wait =
        std::chrono::ceil<std::chrono::milliseconds>(std::max(wake_at - now, clock::duration::zero()));
    const int n = ::poll(pfds.data(), pfds.size(), static_cast<int>(wait.count()));
    if (n < 0 && errno != EINTR) break;
    if (stop_.load()) break;
    if (pfds[0].revents != 0) {
      char drain[64];
      while (::read(wake_[0], drain, sizeof drain) > 0) {
      }
    }
    const bool stalled_while_polling = stalled;
    settings();
    if (!conns.empty() && pfds.size() != 2 + 2 * conns.size())
      continue;  // a kill changed the set: poll again
    now = clock::now();

    // Existing connections (indices match pfds[2 + 2i + side]).
    std::vector<bool> dead(conns.size(), false);
    if (!stalled && !stalled_while_polling) {
      for (std::size_t i = 0; i < conns.size(); ++i) {
        Conn& c = *conns[i];
        for (int side : {to_server, to_client}) {
          if (dead[i] || c.fd[side] < 0) continue;
          const pollfd& p = pfds[2 + 2 * i + static_cast<std::size_t>(side)];
          const int other = 1 - side;
          if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            const ssize_t got = ::recv(c.fd[side], buf, sizeof buf, 0);
            if (got > 0) {
              std::size_t take = static_cast<std::size_t>(got);
              if (c.blackholed()) continue;  // read and dropped
              if (side == to_server) {       // server -> client bytes
                {
                  std::lock_guard lk(mu_);
                  if (cut_armed_ && !c.cutting) {
                    cut_armed_ = false;
                    c.cutting = true;
                    c.cut_left = cut_bytes_;
                  }
                }
                if (c.cutting) {
                  take = std::min(take, c.cut_left);
                  c.cut_left -= take;
                }
              }
              if (take > 0) c.queue[other].push(now + latency[other], buf, take);
            } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
              if (side == to_client) {
                dead[i] = true;  // the client went away: nothing left to deliver
              } else {
                c.upstream_eof = true;  // deliver what is queued, then close
              }
            }
          }
          if (!dead[i] && (p.revents & POLLOUT) && !c.queue[side].flush(c.fd[side], now)) dead[i] = true;
        }
        // A cut connection, or one whose server went away, closes once its
        // reply bytes are delivered.
        const bool done_upstream = c.upstream_eof || (c.cutting && c.cut_left == 0);
        if (!dead[i] && done_upstream && c.queue[to_client].chunks.empty()) {
          dead[i] = true;
          if (c.cutting && c.cut_left == 0) cuts_.fetch_add(1);
        }
      }
    } else if (stalled_while_polling) {
      // Stalled: nothing moves, but a client that closes is noticed (and its
      // upstream connection closed), as the server would notice it.
      for (std::size_t i = 0; i < conns.size(); ++i) {
        const pollfd& p = pfds[2 + 2 * i + static_cast<std::size_t>(to_client)];
        if (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) dead[i] = true;
      }
    }
    for (std::size_t i = conns.size(); i-- > 0;) {
      if (!dead[i]) continue;
      close_conn(*conns[i], false);
      conns.erase(conns.begin() + static_cast<std::ptrdiff_t>(i));
    }

    // New connections.
    if (pfds[1].revents & POLLIN) accept_all(blackhole);
  }
  for (auto& c : conns) close_conn(*c, false);
  // Wake a control waiting for a kill that will never be served.
  std::lock_guard lk(mu_);
  kill_done_ = kill_requested_;
  done_cv_.notify_all();
}

}  // namespace respool::test
