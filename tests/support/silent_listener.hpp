// SilentListener: a TCP listener on 127.0.0.1 that never accepts. The kernel
// completes up to `backlog` handshakes into its queue, then drops further
// SYNs; nobody ever reads or answers. For connect and handshake timeouts.
//
// Owns its socket (closed by the destructor); throws std::runtime_error when
// it can't listen.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

namespace respool::test {

class SilentListener {
 public:
  explicit SilentListener(int backlog) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
        ::listen(fd_, backlog) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
      if (fd_ >= 0) ::close(fd_);
      throw std::runtime_error("SilentListener: can't listen on 127.0.0.1");
    }
    port_ = ntohs(sa.sin_port);
  }
  ~SilentListener() { ::close(fd_); }
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;

  // "127.0.0.1:<port>"
  std::string addr() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_;
  int port_ = 0;
};

}  // namespace respool::test
