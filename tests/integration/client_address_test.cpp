// Networks and addresses: tcp over IPv4, IPv6 and host names, unix sockets,
// and clear errors for everything that can't be dialed.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "redis_server.hpp"
#include "respool/client.hpp"
#include "respool/error.hpp"

namespace respool {
namespace {

// host + ":" + the shared server's port. Appended rather than written
// "host:" + port(): GCC 12 at -O3 reports a false -Wrestrict in
// operator+(const char*, std::string&&).
std::string at(std::string_view host) {
  return std::string(host).append(":").append(std::to_string(test::shared_server().port()));
}

void expect_ping(std::string_view network, const std::string& addr) {
  auto c = Client::dial(network, addr);
  ASSERT_TRUE(c) << addr << ": " << c.error().message();
  EXPECT_EQ((*c)->cmd("PING").str().value(), "PONG");
}

bool ipv6_loopback_available() {
  const int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_addr = in6addr_loopback;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  ::close(fd);
  return ok;
}

TEST(ClientAddress, Ipv4Literal) { expect_ping("tcp", at("127.0.0.1")); }

TEST(ClientAddress, HostNameLocalhost) { expect_ping("tcp", at("localhost")); }

TEST(ClientAddress, EmptyHostIsTheLocalMachine) { expect_ping("tcp", at("")); }

TEST(ClientAddress, Ipv6LoopbackInBrackets) {
  if (!ipv6_loopback_available()) GTEST_SKIP() << "::1 is not available on this machine";
  expect_ping("tcp", at("[::1]"));
}

TEST(ClientAddress, UnixSocket) {
  expect_ping("unix", test::shared_server().unix_path());
  auto c = Client::dial("unix", test::shared_server().unix_path());
  ASSERT_TRUE(c);
  EXPECT_NE((*c)->cmd("CLIENT", "INFO").str().value().find("flags=U"), std::string::npos);
}

TEST(ClientAddress, UnixSocketThatDoesNotExistIsEnoent) {
  auto c = Client::dial("unix", test::shared_server().dir() + "/no-such.sock");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), std::error_code(ENOENT, std::system_category()));
}

TEST(ClientAddress, PortWithNoServerIsConnectionRefusedQuickly) {
  const int p = test::free_port();
  const auto start = std::chrono::steady_clock::now();
  auto c = Client::dial("tcp", "127.0.0.1:" + std::to_string(p));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), std::error_code(ECONNREFUSED, std::system_category())) << c.error().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST(ClientAddress, UnknownNetwork) {
  for (const char* network : {"udp", "TCP", "", "tcp4", "unixgram"}) {
    auto c = Client::dial(network, at("127.0.0.1"));
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error(), errc::unknown_network) << network;
  }
}

TEST(ClientAddress, BadTcpAddresses) {
  for (const char* addr : {"",
                           "127.0.0.1",
                           "127.0.0.1:",
                           "127.0.0.1:0",
                           "127.0.0.1:65536",
                           "127.0.0.1:99999",
                           "127.0.0.1:abc",
                           "127.0.0.1:63 79",
                           "127.0.0.1:+6379",
                           "127.0.0.1:-1",
                           "::1:6379",
                           "[::1]6379",
                           "[::1]",
                           "[::1",
                           "[]:6379",
                           "[127.0.0.1]:6379",
                           "a]:6379",
                           "[::1]:",
                           "[not-ipv6]:6379",
                           "localhost:6379x"}) {
    auto c = Client::dial("tcp", addr);
    ASSERT_FALSE(c) << addr;
    EXPECT_EQ(c.error(), errc::bad_address) << "'" << addr << "': " << c.error().message();
  }
}

TEST(ClientAddress, BadUnixPaths) {
  for (const std::string& path :
       {std::string(), std::string(200, 'x'), std::string("@"), std::string("with\0nul", 8)}) {
    auto c = Client::dial("unix", path);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error(), errc::bad_address) << path.size();
  }
}

TEST(ClientAddress, UnresolvableHostIsResolveFailed) {
  auto c = Client::dial("tcp", "no-such-host.invalid:6379");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), errc::resolve_failed) << c.error().message();
}

TEST(ClientAddress, HighestPortParses) {
  // 65535 is a valid port: the failure is a refused connection, not a bad address.
  auto c = Client::dial("tcp", "127.0.0.1:65535");
  if (c) GTEST_SKIP() << "something listens on port 65535";
  EXPECT_NE(c.error(), errc::bad_address);
}

}  // namespace
}  // namespace respool
