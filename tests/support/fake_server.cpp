#include "fake_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <stdexcept>

namespace respool::test {

namespace fake {
FakeStep read_command() { return {FakeStep::Kind::read_command, {}, 0, {}}; }
FakeStep expect_bytes(std::size_t n) { return {FakeStep::Kind::expect_bytes, {}, n, {}}; }
FakeStep send(std::string bytes) { return {FakeStep::Kind::send, std::move(bytes), 0, {}}; }
FakeStep send_slowly(std::string bytes, std::chrono::milliseconds gap) {
  return {FakeStep::Kind::send_slowly, std::move(bytes), 0, gap};
}
FakeStep sleep(std::chrono::milliseconds d) { return {FakeStep::Kind::sleep, {}, 0, d}; }
FakeStep close() { return {FakeStep::Kind::close, {}, 0, {}}; }
FakeStep hang() { return {FakeStep::Kind::hang, {}, 0, {}}; }
}  // namespace fake

FakeServer::FakeServer(std::vector<FakeScript> scripts) : scripts_(std::move(scripts)) {
  if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) throw std::runtime_error("FakeServer: pipe2 failed");
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
      ::listen(listen_fd_, 16) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    if (listen_fd_ >= 0) ::close(listen_fd_);
    ::close(wake_[0]);
    ::close(wake_[1]);
    throw std::runtime_error("FakeServer: listen failed");
  }
  port_ = ntohs(sa.sin_port);
  thread_ = std::thread([this] { run(); });
}

FakeServer::~FakeServer() {
  stop_.store(true);
  const char b = 1;
  (void)!::write(wake_[1], &b, 1);
  thread_.join();
  ::close(listen_fd_);
  ::close(wake_[0]);
  ::close(wake_[1]);
}

std::string FakeServer::addr() const { return "127.0.0.1:" + std::to_string(port_); }

std::vector<std::vector<std::string>> FakeServer::commands() const {
  std::lock_guard lock(mu_);
  return commands_;
}

std::vector<std::string> FakeServer::errors() const {
  std::lock_guard lock(mu_);
  return errors_;
}

void FakeServer::fail(std::string what) {
  std::lock_guard lock(mu_);
  errors_.push_back(std::move(what));
}

FakeServer::Wait FakeServer::wait_readable(int fd, std::chrono::milliseconds limit) {
  pollfd p[2] = {{fd, POLLIN, 0}, {wake_[0], POLLIN, 0}};
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (stop_.load()) return Wait::stopped;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return Wait::timed_out;
    const int n = ::poll(p, 2, static_cast<int>(left.count()) + 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Wait::peer_closed;
    if (p[1].revents != 0) return Wait::stopped;
    if (p[0].revents & POLLIN) return Wait::ready;
    if (p[0].revents & (POLLHUP | POLLERR)) return Wait::peer_closed;
  }
}

bool FakeServer::pause(std::chrono::milliseconds d) {
  pollfd p{wake_[0], POLLIN, 0};
  const auto deadline = std::chrono::steady_clock::now() + d;
  for (;;) {
    if (stop_.load()) return false;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return true;
    const int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return false;
  }
}

bool FakeServer::fill(int fd, std::string& in) {
  if (wait_readable(fd, step_limit) != Wait::ready) return false;
  char buf[4096];
  const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  if (n <= 0) return false;
  in.append(buf, static_cast<std::size_t>(n));
  return true;
}

// Parse one "*N\r\n($len\r\nbytes\r\n)*N" from the front of `in`, reading
// more as needed.
bool FakeServer::read_command(int fd, std::string& in) {
  std::size_t pos = 0;
  // A line (without CRLF) starting at pos; advances pos past the CRLF.
  auto line = [&](std::string& out) {
    for (;;) {
      const auto end = in.find("\r\n", pos);
      if (end != std::string::npos) {
        out = in.substr(pos, end - pos);
        pos = end + 2;
        return true;
      }
      if (!fill(fd, in)) return false;
    }
  };
  auto number = [](const std::string& s, char type, long long& v) {
    if (s.size() < 2 || s[0] != type) return false;
    auto [p, ec] = std::from_chars(s.data() + 1, s.data() + s.size(), v);
    return ec == std::errc{} && p == s.data() + s.size() && v >= 0;
  };
  std::string header;
  long long argc = 0;
  if (!line(header)) return false;
  if (!number(header, '*', argc)) {
    fail("fake server: not a RESP command: " + header);
    return false;
  }
  std::vector<std::string> argv;
  for (long long i = 0; i < argc; ++i) {
    long long len = 0;
    if (!line(header)) return false;
    if (!number(header, '$', len)) {
      fail("fake server: bad bulk header: " + header);
      return false;
    }
    const auto need = pos + static_cast<std::size_t>(len) + 2;
    while (in.size() < need) {
      if (!fill(fd, in)) return false;
    }
    argv.push_back(in.substr(pos, static_cast<std::size_t>(len)));
    pos = need;
  }
  in.erase(0, pos);
  std::lock_guard lock(mu_);
  commands_.push_back(std::move(argv));
  return true;
}

void FakeServer::serve(int fd, const FakeScript& script) {
  std::string in;
  for (std::size_t i = 0; i < script.size(); ++i) {
    const FakeStep& step = script[i];
    const std::string where = "fake server: step " + std::to_string(i) + ": ";
    switch (step.kind) {
      case FakeStep::Kind::read_command:
        if (!read_command(fd, in)) {
          if (!stop_.load()) fail(where + "no complete command");
          return;
        }
        break;
      case FakeStep::Kind::expect_bytes:
        while (in.size() < step.count) {
          if (!fill(fd, in)) {
            if (!stop_.load()) fail(where + "fewer bytes than expected");
            return;
          }
        }
        in.erase(0, step.count);
        break;
      case FakeStep::Kind::send:
        if (::send(fd, step.bytes.data(), step.bytes.size(), MSG_NOSIGNAL) !=
            static_cast<ssize_t>(step.bytes.size())) {
          fail(where + "send failed");
          return;
        }
        break;
      case FakeStep::Kind::send_slowly:
        for (char b : step.bytes) {
          if (::send(fd, &b, 1, MSG_NOSIGNAL) != 1) {
            fail(where + "send failed");
            return;
          }
          if (!pause(step.gap)) return;
        }
        break;
      case FakeStep::Kind::sleep:
        if (!pause(step.gap)) return;
        break;
      case FakeStep::Kind::close: return;
      case FakeStep::Kind::hang: {
        // Drain whatever the client sends until it closes, or we stop.
        const auto deadline = std::chrono::steady_clock::now() + hang_limit;
        while (std::chrono::steady_clock::now() < deadline) {
          const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
              deadline - std::chrono::steady_clock::now());
          if (wait_readable(fd, left) != Wait::ready) return;
          char buf[4096];
          if (::recv(fd, buf, sizeof buf, 0) <= 0) return;
        }
        return;
      }
    }
  }
}

void FakeServer::run() {
  while (!stop_.load()) {
    const Wait w = wait_readable(listen_fd_, hang_limit);
    if (w == Wait::stopped) return;
    if (w != Wait::ready) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    const std::size_t i = accepted_.fetch_add(1);
    if (i < scripts_.size()) serve(fd, scripts_[i]);
    ::close(fd);
    finished_.fetch_add(1);
  }
}

}  // namespace respool::test
