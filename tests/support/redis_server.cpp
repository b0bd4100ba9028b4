#include "redis_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>

namespace respool::test {
namespace {

// A blocking socket of `family` connected to `sa`, with 5 s send and receive
// timeouts; -1 on failure.
template <class Addr>
int connect_to(int family, const Addr& sa) {
  int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  return fd;
}

int connect_loopback(int port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return connect_to(AF_INET, sa);
}

int connect_unix(const std::string& path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof sa.sun_path) return -1;
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  return connect_to(AF_UNIX, sa);
}

constexpr size_t kIncomplete = std::string::npos;
constexpr size_t kUnknown = std::string::npos - 1;

// The end of the RESP2/RESP3 value that starts at `pos` in `s`: kIncomplete
// while more bytes are needed, kUnknown for a type byte it doesn't know.
size_t resp_end(const std::string& s, size_t pos) {
  const size_t eol = s.find("\r\n", pos);
  if (pos >= s.size() || eol == std::string::npos) return kIncomplete;
  long long n = 0;
  const char type = s[pos];
  if (std::string_view("$!=*~>%|").find(type) != std::string_view::npos)
    std::from_chars(s.data() + pos + 1, s.data() + eol, n);
  switch (type) {
    case '+':
    case '-':
    case ':':
    case '_':
    case '#':
    case ',':
    case '(': return eol + 2;
    case '$':
    case '!':
    case '=':
      if (n < 0) return eol + 2;
      return eol + 2 + static_cast<size_t>(n) + 2 <= s.size() ? eol + 2 + static_cast<size_t>(n) + 2
                                                              : kIncomplete;
    case '*':
    case '~':
    case '>':
    case '%':
    case '|': {
      size_t p = eol + 2;
      const long long count = n < 0 ? 0 : (type == '%' || type == '|') ? 2 * n : n;
      for (long long i = 0; i < count && p < kUnknown; ++i) p = resp_end(s, p);
      return type == '|' && p < kUnknown ? resp_end(s, p) : p;  // an attribute precedes its value
    }
    default: return kUnknown;
  }
}

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
    throw std::runtime_error("free_port: bind failed");
  socklen_t len = sizeof sa;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  ::close(fd);
  return ntohs(sa.sin_port);
}

RedisServer::RedisServer(RedisServerOptions options) : options_(std::move(options)) {
  char tmpl[] = "/tmp/respool-redis-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("RedisServer: mkdtemp failed");
  dir_ = tmpl;
  for (int attempt = 0;; ++attempt) {
    port_ = options_.port ? options_.port : free_port();
    try {
      start();
      return;
    } catch (const std::exception&) {
      // Another process may have taken the port between free_port() and
      // the server's bind: try another one.
      if (options_.port || attempt == 4) {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
        throw;
      }
    }
  }
}

RedisServer::~RedisServer() {
  stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string RedisServer::addr() const { return "127.0.0.1:" + std::to_string(port_); }

void RedisServer::start() {
  if (pid_ > 0) return;
  const std::string port = std::to_string(port_);
  std::vector<std::string> args = {"redis-server",
                                   "--port",
                                   port,
                                   "--bind",
                                   "127.0.0.1 -::1",
                                   "--save",
                                   "",
                                   "--appendonly",
                                   "no",
                                   "--dir",
                                   dir_,
                                   "--unixsocket",
                                   unix_path(),
                                   "--unixsocketperm",
                                   "700",
                                   "--enable-debug-command",
                                   "yes",
                                   "--logfile",
                                   dir_ + "/redis.log",
                                   "--daemonize",
                                   "no"};
  if (const auto& tls = options_.tls) {
    args[2] = "0";  // --port 0: no plaintext TCP port
    args.insert(args.end(),
                {"--tls-port", port, "--tls-cert-file", tls->cert_file, "--tls-key-file", tls->key_file,
                 "--tls-ca-cert-file", tls->ca_file, "--tls-auth-clients", tls->auth_clients});
  }
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  // The server's own stdout and stderr (config errors; the rest goes to
  // redis.log) to a file, not the test's: a server left behind by a crashed
  // test must not hold ctest's output pipe open.
  const std::string out_path = dir_ + "/redis.out";
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("RedisServer: fork failed");
  if (pid == 0) {
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (out >= 0) {
      ::dup2(out, 1);
      ::dup2(out, 2);
    }
    ::execvp("redis-server", argv.data());
    ::_exit(127);
  }
  pid_ = pid;

  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("redis-server exited at start; output:\n" + read_file(out_path) + "log:\n" +
                               read_file(dir_ + "/redis.log"));
    }
    try {
      if (raw_command("PING").rfind("+PONG", 0) == 0 || raw_command("PING").rfind("-NOAUTH", 0) == 0) return;
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill();
  throw std::runtime_error("redis-server did not answer PING within 10 s");
}

void RedisServer::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGCONT);
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void RedisServer::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGCONT);
  ::kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  kill();
}

void RedisServer::freeze() {
  if (pid_ > 0) ::kill(pid_, SIGSTOP);
}

void RedisServer::thaw() {
  if (pid_ > 0) ::kill(pid_, SIGCONT);
}

std::string RedisServer::raw_command(const std::string& line, RawRead read) const {
  int fd = options_.tls ? connect_unix(unix_path()) : connect_loopback(port_);
  if (fd < 0) throw std::runtime_error("raw_command: connect failed");
  std::string out = line + "\r\n";
  if (::send(fd, out.data(), out.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(out.size())) {
    ::close(fd);
    throw std::runtime_error("raw_command: send failed");
  }
  std::string reply;
  char buf[4096];
  // until_pause: simple-string, error and integer replies end at the first
  // CRLF; a bulk reply needs its length line plus payload: read until a
  // short pause. until_complete: until the reply is one complete RESP value
  // (arrays too), or for anything unrecognised, until a short pause.
  for (;;) {
    size_t end = reply.empty() ? kIncomplete : kUnknown;
    if (read == RawRead::until_complete && !reply.empty()) end = resp_end(reply, 0);
    if (end < kUnknown) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, end == kUnknown ? 20 : 5000) <= 0) break;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    reply.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (reply.empty()) throw std::runtime_error("raw_command: no reply");
  return reply;
}

RedisServer& shared_server() {
  static RedisServer server;
  return server;
}

}  // namespace respool::test
