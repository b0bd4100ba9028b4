// Socket options set at dial (TCP_NODELAY, keep-alive, close-on-exec), and
// writes that never raise SIGPIPE.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <memory>
#include <string>

#include "fake_server.hpp"
#include "redis_server.hpp"
#include "respool/client.hpp"
#include "respool/error.hpp"

namespace respool {
namespace {

int int_option(int fd, int level, int name) {
  int v = -1;
  socklen_t len = sizeof v;
  EXPECT_EQ(::getsockopt(fd, level, name, &v, &len), 0);
  return v;
}

TEST(ClientSocketOptions, TcpDefaultsAreNodelayAndKeepalive) {
  auto c = Client::dial("tcp", test::shared_server().addr());
  ASSERT_TRUE(c);
  const int fd = (*c)->native_handle();
  EXPECT_NE(int_option(fd, IPPROTO_TCP, TCP_NODELAY), 0);
  EXPECT_NE(int_option(fd, SOL_SOCKET, SO_KEEPALIVE), 0);
  EXPECT_EQ(int_option(fd, IPPROTO_TCP, TCP_KEEPIDLE), 60);
  EXPECT_EQ(int_option(fd, IPPROTO_TCP, TCP_KEEPINTVL), 20);
  EXPECT_EQ(int_option(fd, IPPROTO_TCP, TCP_KEEPCNT), 3);
  EXPECT_NE(::fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
  EXPECT_EQ(::fcntl(fd, F_GETFL) & O_NONBLOCK, 0);  // blocking after the timed connect
}

TEST(ClientSocketOptions, KeepaliveAndNodelayCanBeTurnedOff) {
  DialOptions o;
  o.keepalive = std::chrono::seconds::zero();
  o.tcp_nodelay = false;
  auto c = Client::dial("tcp", test::shared_server().addr(), o);
  ASSERT_TRUE(c);
  const int fd = (*c)->native_handle();
  EXPECT_EQ(int_option(fd, IPPROTO_TCP, TCP_NODELAY), 0);
  EXPECT_EQ(int_option(fd, SOL_SOCKET, SO_KEEPALIVE), 0);
}

TEST(ClientSocketOptions, UnixSocketIsCloseOnExec) {
  auto c = Client::dial("unix", test::shared_server().unix_path());
  ASSERT_TRUE(c);
  EXPECT_NE(::fcntl((*c)->native_handle(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST(ClientSocketOptions, WritingToAClosedPeerNeverRaisesSigpipe) {
  // The peer closes at once; 16 MiB can't fit in the socket buffers, so the
  // write runs into the reset. Without MSG_NOSIGNAL this process would die.
  test::FakeServer server(test::FakeScript{test::fake::close()});
  auto c = Client::dial("tcp", server.addr());
  ASSERT_TRUE(c);
  ASSERT_TRUE(test::wait_until([&] { return server.finished() == 1; }));
  Resp r = (*c)->cmd("SET", "k", std::string(16 << 20, 'x'));
  EXPECT_EQ(r.err(), errc::connection_closed) << r.to_string();
  EXPECT_TRUE((*c)->is_closed());
}

}  // namespace
}  // namespace respool
