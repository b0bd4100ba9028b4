// Bounds the pool promises (pool.hpp, docs/RELIABILITY.md), checked against
// real server state and real sockets:
//   - a carried command waits at most one read timeout for its reply, however
//     many commands share the round trip;
//   - an expired idle connection is closed before a get() starts waiting;
//   - max_open caps the sockets open at every moment, under churn.
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fake_server.hpp"
#include "fault_helpers.hpp"
#include "silent_listener.hpp"

namespace faulttest {
namespace {

TEST(PoolBounds, ACarriedCommandWaitsAtMostOneReadTimeoutForTheWholeRoundTrip) {
  // A scripted server (a real one writes a pipeline's replies together):
  // the carrier's reply at once, then each carried reply 200 ms after the
  // previous, each within one read timeout of the one before it, all six
  // 1.2 s after the write.
  constexpr int carried = 6;
  respool::test::FakeScript script;
  for (int i = 0; i <= carried; ++i) script.push_back(respool::test::fake::read_command());
  script.push_back(respool::test::fake::send("$7\r\ncarrier\r\n"));
  for (int i = 0; i < carried; ++i) {
    script.push_back(respool::test::fake::sleep(200ms));
    script.push_back(respool::test::fake::send(":1\r\n"));
  }
  script.push_back(respool::test::fake::hang());
  respool::test::FakeServer fake(script);

  PoolOptions o;
  o.max_open = 1;
  o.ping_interval = std::chrono::nanoseconds::zero();
  o.dial_options.read_timeout = 300ms;
  auto pool = must_create("tcp", fake.addr(), 1, o);
  std::vector<Resp> replies(carried + 1);
  std::vector<double> waited(carried + 1);
  Clock::time_point released;
  {
    auto lease = pool->lease();
    ASSERT_TRUE(lease);
    std::vector<std::thread> threads;
    for (int i = 0; i <= carried; ++i) {
      const auto waits = pool->stats().waits;
      threads.emplace_back([&, i] {
        auto& r = replies[static_cast<std::size_t>(i)];
        r = i == 0 ? pool->cmd("ECHO", "carrier")
                   : pool->cmd("INCR", std::string("k").append(std::to_string(i)));
        waited[static_cast<std::size_t>(i)] = ms_since(released);
      });
      ASSERT_TRUE(wait_until([&] { return pool->stats().waits == waits + 1; }));
    }
    released = Clock::now();
    lease.reset();
    for (auto& t : threads) t.join();
  }
  EXPECT_EQ(pool->stats().shared, static_cast<std::uint64_t>(carried));
  EXPECT_EQ(replies[0].str().value_or("?"), "carrier") << replies[0].err().message();
  int timeouts = 0;
  for (int i = 1; i <= carried; ++i) {
    const auto& r = replies[static_cast<std::size_t>(i)];
    if (r.err() == errc::timeout) {
      ++timeouts;
      EXPECT_EQ(r.delivery(), Delivery::unknown);
    } else {
      EXPECT_EQ(r.integer().value_or(-1), 1) << "caller " << i << ": " << r.err().message();
    }
    // write_timeout (nothing to wait for here) + one read_timeout, with a
    // margin for a loaded machine; one deadline per reply would be 1.2 s.
    EXPECT_LT(waited[static_cast<std::size_t>(i)], 800) << "caller " << i;
  }
  EXPECT_GE(timeouts, carried - 1);  // only the first fits in 300 ms
}

TEST_F(PoolTest, PoolBounds_AnExpiredIdleConnectionIsClosedBeforeTheCallerWaits) {
  // The first connection goes to a listener that never answers, so the
  // background thread is stuck pinging it and can't evict the second (to
  // the real server) when it expires: the get() below finds it expired.
  respool::test::SilentListener silent(8);
  std::atomic<int> dials{0};
  PoolOptions o;
  o.dial = [&](std::string_view network, std::string_view) {
    return Client::dial(network, dials++ == 0 ? silent.addr() : server.addr());
  };
  o.ping_interval = 50ms;
  o.ping_timeout = 5s;
  o.idle_timeout = 300ms;
  o.create_limit = respool::CreateLimit{0, std::chrono::hours(1)};  // no token: get() must wait
  o.get_timeout = 1500ms;
  auto pool = must_create("tcp", server.addr(), 2, o);
  ASSERT_EQ(connected(server), 1);
  ASSERT_TRUE(wait_until([&] { return pool->avail() == 1; }));  // the ping took the silent one
  std::this_thread::sleep_for(400ms);                           // the other one has expired

  std::thread getter([&] {
    auto c = pool->get();
    EXPECT_EQ(c.error(), errc::get_timeout);
  });
  ASSERT_TRUE(wait_until([&] { return pool->stats().waits == 1; }));
  // While the caller waits, the expired connection is already gone.
  EXPECT_EQ(connected(server), 0);
  EXPECT_EQ(pool->stats().closed_idle, 1u);
  getter.join();
  pool->empty();  // interrupts the ping
}

// --- max_open --------------------------------------------------------------

// Inodes of the TCP sockets whose remote port is `port` (any state but LISTEN).
std::set<unsigned long> socket_inodes_to(int port) {
  std::set<unsigned long> inodes;
  for (const char* file : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::FILE* in = std::fopen(file, "r");
    if (in == nullptr) continue;
    char line[512];
    if (std::fgets(line, sizeof line, in) == nullptr) {  // header
      std::fclose(in);
      continue;
    }
    // sl local remote st queues timer retransmits uid timeout inode ...
    while (std::fgets(line, sizeof line, in) != nullptr) {
      unsigned remote_port = 0, state = 0;
      unsigned long inode = 0;
      if (std::sscanf(line, "%*s %*s %*[0-9A-Fa-f]:%x %x %*s %*s %*s %*s %*s %lu", &remote_port, &state,
                      &inode) != 3)
        continue;
      if (state != 0x0A && static_cast<int>(remote_port) == port) inodes.insert(inode);
    }
    std::fclose(in);
  }
  return inodes;
}

// TCP sockets to `port` the kernel still attaches to a file (any state but
// LISTEN, an inode), descriptor or not: a socket whose close() is still
// lingering has left the descriptor table but not this list.
int kernel_sockets_to(int port) {
  int n = 0;
  for (unsigned long inode : socket_inodes_to(port)) n += inode != 0 ? 1 : 0;
  return n;
}

// Sockets to `port` this process holds open, at this moment (one socket
// may have several descriptors: the pool dups the one it pings). Each
// descriptor is asked for its peer itself, rather than looked up in
// /proc/net/tcp, whose cost grows with every socket on the machine (the
// suite's other tests leave thousands in TIME_WAIT). A socket whose peer
// reset it has no peer any more and is not counted: the server here never
// resets one. The descriptors belong to the pool's threads, which may close
// one meanwhile (then fstat fails, or finds another socket, open at that
// moment): the calls go through syscall() so that ThreadSanitizer, which
// would take that for a race on the descriptor, does not watch them.
int open_sockets_to(int port) {
  std::set<ino_t> open;
  DIR* d = ::opendir("/proc/self/fd");
  if (d == nullptr) return -1;
  const int own = ::dirfd(d);
  while (dirent* e = ::readdir(d)) {
    const int fd = std::atoi(e->d_name);
    if (fd == own || e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    struct stat st {};
    if (::syscall(SYS_fstat, fd, &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    if (::syscall(SYS_getpeername, fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0) continue;
    int peer_port = -1;
    if (peer.ss_family == AF_INET) peer_port = ntohs(reinterpret_cast<const sockaddr_in&>(peer).sin_port);
    if (peer.ss_family == AF_INET6) peer_port = ntohs(reinterpret_cast<const sockaddr_in6&>(peer).sin6_port);
    if (peer_port == port) open.insert(st.st_ino);
  }
  ::closedir(d);
  return static_cast<int>(open.size());
}

TEST_F(PoolTest, PoolBounds_MaxOpenCapsTheSocketsOpenAtEveryMomentUnderChurn) {
  constexpr int max_open = 3;
  std::atomic<int> worst_at_dial{0};  // sockets already open when a dial starts
  std::atomic<int> worst_sampled{0};
  auto note = [](std::atomic<int>& worst, int n) {
    int cur = worst.load();
    while (n > cur && !worst.compare_exchange_weak(cur, n)) {
    }
  };
  const int port = server.port();
  PoolOptions o;
  o.max_open = max_open;
  o.ping_interval = 20ms;  // pings take connections out and put them back too
  o.idle_timeout = 30ms;   // and expiries close them
  o.get_timeout = 5s;
  o.dial = [&](std::string_view network, std::string_view addr) {
    note(worst_at_dial, open_sockets_to(port));
    return Client::dial(network, addr);
  };
  auto pool = must_create("tcp", server.addr(), 2, o);

  std::atomic<bool> stop{false};
  std::thread sampler([&] {
    while (!stop) note(worst_sampled, open_sockets_to(port));
  });
  const auto rounds = under_sanitizer() ? 40 : 150;
  std::vector<std::thread> workers;
  std::atomic<int> failures{0};
  for (int w = 0; w < 6; ++w) {
    workers.emplace_back([&, w] {
      std::minstd_rand rng(static_cast<unsigned>(w + 1));
      for (int i = 0; i < rounds; ++i) {
        switch (rng() % 5) {
          case 0: {  // dirty: closed by put() after the lock is released
            auto c = pool->get();
            if (!c) break;
            (*c)->cmd("SELECT", 0);
            pool->put(std::move(*c));
            break;
          }
          case 1: {  // abandoned: destroyed instead of put back
            auto c = pool->get();
            if (c) (*c)->cmd("PING");
            break;
          }
          case 2: {  // broken: closed, then put back
            auto c = pool->get();
            if (!c) break;
            (*c)->close();
            pool->put(std::move(*c));
            break;
          }
          default:
            if (pool->cmd("PING").err()) ++failures;
        }
      }
    });
  }
  for (auto& t : workers) t.join();
  stop = true;
  sampler.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE(worst_at_dial.load(), max_open - 1) << "a dial started with the cap already reached";
  EXPECT_LE(worst_sampled.load(), max_open);
  EXPECT_GT(worst_sampled.load(), 0) << "the probe saw no socket at all: it measures nothing";
  const auto st = pool->stats();
  EXPECT_GT(st.closed_unclean, 0u);
  EXPECT_GT(st.abandoned, 0u);
  EXPECT_GT(st.closed_critical, 0u);
}

TEST(PoolBounds, AConnectionBeingClosedStillCountsUnderMaxOpen) {
  // A close that takes a while: with SO_LINGER, close() waits (up to 2 s)
  // for bytes still in the socket's send queue, and this listener answers
  // "+OK" at once but never reads, with a tiny receive buffer.
  const int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(lfd, 0);
  const int tiny = 4096;
  ::setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &tiny, sizeof tiny);  // inherited by accepted sockets
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ASSERT_EQ(::listen(lfd, 8), 0);
  ASSERT_EQ(::getsockname(lfd, reinterpret_cast<sockaddr*>(&sa), &len), 0);
  const int port = ntohs(sa.sin_port);
  const std::string addr = std::string("127.0.0.1:").append(std::to_string(port));

  std::atomic<int> open_at_dial{-1};  // sockets already open when the last dial started
  PoolOptions o;
  o.max_open = 1;
  o.ping_interval = std::chrono::nanoseconds::zero();
  o.get_timeout = 10s;
  o.dial = [&](std::string_view network, std::string_view a) {
    open_at_dial = kernel_sockets_to(port);  // only this test connects to `port`
    auto c = Client::dial(network, a);
    if (c) {
      const int big = 1 << 20;
      ::setsockopt((*c)->native_handle(), SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
      const linger l{1, 2};
      ::setsockopt((*c)->native_handle(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    return c;
  };
  auto pool = must_create("tcp", addr, 1, o);
  ASSERT_EQ(open_at_dial.load(), 0);
  const int peer = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(peer, 0);

  std::thread putter([&] {
    auto c = pool->get();
    ASSERT_TRUE(c);
    // The reply only now: bytes waiting on an idle connection would make
    // get() discard it as broken.
    ASSERT_EQ(::send(peer, "+OK\r\n", 5, MSG_NOSIGNAL), 5);
    // Written in full (into the send queue), answered at once, and the
    // session changed: put() closes it, and the close lingers.
    const Resp r = (*c)->cmd("SELECT", std::string(64 * 1024, '1'));
    EXPECT_EQ(r.str().value_or("?"), "OK") << r.err().message();
    pool->put(std::move(*c));
  });
  if (!wait_until([&] { return pool->stats().closed_unclean == 1; })) {
    putter.join();
    FAIL() << "the connection was not put back dirty";
  }
  const auto t0 = Clock::now();
  auto c = pool->get();  // the cap is one socket: wait until the old one is closed
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(open_at_dial.load(), 0) << "dialed while the closing socket was still open";
  EXPECT_GT(ms_since(t0), 100);  // it did wait for the lingering close
  putter.join();
  pool->put(std::move(*c));
  pool->empty();
  ::close(peer);
  ::close(lfd);
}

}  // namespace
}  // namespace faulttest
