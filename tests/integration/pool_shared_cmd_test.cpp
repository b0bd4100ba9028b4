// Shared round trips in Pool::cmd (pool.hpp): a cmd() waiting for a
// connection is carried by the next cmd() handed one. Each test holds the
// pool's only connection with a Lease, lines callers up behind it (waiting
// until stats().waits says they are all in line), then lets go.
#include <string>
#include <thread>
#include <vector>

#include "pool_helpers.hpp"

namespace pooltest {
namespace {

// A pool of one connection, capped at one.
std::shared_ptr<Pool> one_connection_pool(const RedisServer& server, PoolOptions o = {}) {
  o.max_open = 1;
  return must_create("tcp", server.addr(), 1, std::move(o));
}

// Starts `body(i)` on its own thread for each i in order, each only once the
// previous one is waiting for a connection, so the waiting line is in order.
template <class Body>
std::vector<std::thread> line_up(Pool& pool, int n, Body body) {
  std::vector<std::thread> threads;
  const auto waits = pool.stats().waits;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back(body, i);
    EXPECT_TRUE(wait_until([&] { return pool.stats().waits == waits + static_cast<std::uint64_t>(i) + 1; }));
  }
  return threads;
}

void join(std::vector<std::thread>& threads) {
  for (auto& t : threads) t.join();
}

TEST_F(PoolTest, PoolSharedCmd_WaitingCallersAreCarriedInOneRoundTripEachWithItsOwnReply) {
  auto pool = one_connection_pool(server);
  std::vector<Resp> replies(6);
  {
    auto lease = pool->lease();
    ASSERT_TRUE(lease);
    auto threads = line_up(*pool, 6, [&](int i) {
      replies[static_cast<std::size_t>(i)] = pool->cmd("ECHO", "caller-" + std::to_string(i));
    });
    lease.reset();  // the first in line gets the connection and carries the other five
    join(threads);
  }
  for (int i = 0; i < 6; ++i) {
    auto s = replies[static_cast<std::size_t>(i)].str();
    ASSERT_TRUE(s) << "caller " << i << ": " << replies[static_cast<std::size_t>(i)].err().message();
    EXPECT_EQ(*s, "caller-" + std::to_string(i));
  }
  const auto st = pool->stats();
  EXPECT_EQ(st.shared, 5u);
  EXPECT_EQ(st.dials, 1u);
  EXPECT_EQ(pool->avail(), 1);
}

TEST_F(PoolTest, PoolSharedCmd_SessionAndBlockingCommandsAreNeitherCarriedNorCarriers) {
  auto pool = one_connection_pool(server);
  // In line: GET, BLPOP (blocking: not shared), SELECT (session: not shared),
  // ECHO. The GET carries only the ECHO; BLPOP and SELECT each run alone.
  std::vector<Resp> replies(4);
  {
    auto lease = pool->lease();
    ASSERT_TRUE(lease);
    ASSERT_FALSE((*lease).cmd("SET", "shared:k", "v").err());
    auto threads = line_up(*pool, 4, [&](int i) {
      auto& r = replies[static_cast<std::size_t>(i)];
      switch (i) {
        case 0: r = pool->cmd("GET", "shared:k"); break;
        case 1: r = pool->cmd("blpop", "shared:empty", "0.05"); break;
        case 2: r = pool->cmd("Select", 0); break;
        default: r = pool->cmd("ECHO", "last"); break;
      }
    });
    lease.reset();
    join(threads);
  }
  EXPECT_EQ(replies[0].str().value_or("?"), "v");
  EXPECT_TRUE(replies[1].is_nil()) << replies[1].err().message();
  EXPECT_EQ(replies[2].str().value_or("?"), "OK");
  EXPECT_EQ(replies[3].str().value_or("?"), "last");
  EXPECT_EQ(pool->stats().shared, 1u);
  // SELECT made its connection unclean: closed on put, never handed on.
  EXPECT_EQ(pool->stats().closed_unclean, 1u);
}

TEST_F(PoolTest, PoolSharedCmd_LargeCommandsTravelAlone) {
  auto pool = one_connection_pool(server);
  const std::string big(20 * 1024, 'x');  // over the 16 KiB a shared command may have
  std::vector<Resp> replies(3);
  {
    auto lease = pool->lease();
    ASSERT_TRUE(lease);
    auto threads = line_up(*pool, 3, [&](int i) {
      auto& r = replies[static_cast<std::size_t>(i)];
      r = i == 1 ? pool->cmd("SET", "shared:big", big) : pool->cmd("ECHO", "small-" + std::to_string(i));
    });
    lease.reset();
    join(threads);
  }
  EXPECT_EQ(replies[0].str().value_or("?"), "small-0");
  EXPECT_EQ(replies[1].str().value_or("?"), "OK");
  EXPECT_EQ(replies[2].str().value_or("?"), "small-2");
  EXPECT_EQ(pool->stats().shared, 1u);  // the first ECHO carried the second, not the SET
}

TEST_F(PoolTest, PoolSharedCmd_GetTimeoutStillBoundsAWaitingCmd) {
  auto pool = one_connection_pool(server, PoolOptions{.get_timeout = 100ms});
  auto lease = pool->lease();
  ASSERT_TRUE(lease);
  const auto t0 = Clock::now();
  Resp r = pool->cmd("GET", "shared:k");
  EXPECT_EQ(r.err(), errc::get_timeout);
  EXPECT_GE(ms_since(t0), 90);
  EXPECT_LT(ms_since(t0), 5000);
  EXPECT_EQ(pool->stats().shared, 0u);
}

TEST_F(PoolTest, PoolSharedCmd_EmptyWakesWaitingCmdsWithPoolClosed) {
  auto pool = one_connection_pool(server);
  auto lease = pool->lease();
  ASSERT_TRUE(lease);
  std::vector<Resp> replies(3);
  auto threads = line_up(*pool, 3, [&](int i) { replies[static_cast<std::size_t>(i)] = pool->cmd("PING"); });
  pool->empty();
  join(threads);
  for (const auto& r : replies) EXPECT_EQ(r.err(), errc::pool_closed);
  EXPECT_EQ(pool->stats().shared, 0u);
}

TEST_F(PoolTest, PoolSharedCmd_CarrierTimeoutFailsEveryCarriedCommandAndNobodyGetsAnothersReply) {
  PoolOptions o;
  o.dial_options.read_timeout = 200ms;
  auto pool = one_connection_pool(server, o);
  // The carrier's own command keeps the server busy past the read timeout.
  const char* busy =
      "local t = redis.call('TIME') local s = t[1] * 1000000 + t[2] "
      "repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] - s > 500000 return 1";
  std::vector<Resp> replies(4);
  {
    auto lease = pool->lease();
    ASSERT_TRUE(lease);
    auto threads = line_up(*pool, 4, [&](int i) {
      auto& r = replies[static_cast<std::size_t>(i)];
      r = i == 0 ? pool->cmd("EVAL", busy, 0) : pool->cmd("ECHO", "mine-" + std::to_string(i));
    });
    lease.reset();
    join(threads);
  }
  for (const auto& r : replies) EXPECT_EQ(r.err(), errc::timeout);
  EXPECT_EQ(pool->stats().shared, 3u);
  EXPECT_EQ(pool->stats().closed_critical, 1u);
  // The late replies died with the connection: the next command gets its own.
  ASSERT_TRUE(wait_until([&] { return !pool->cmd("PING").err(); }));
  EXPECT_EQ(pool->cmd("ECHO", "after").str().value_or("?"), "after");
}

TEST_F(PoolTest, PoolSharedCmd_ManyThreadsOneConnectionEveryReplyIsTheCallersOwn) {
  auto pool = one_connection_pool(server);
  constexpr int kThreads = 16, kRounds = 300;
  std::atomic<int> wrong{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        const std::string key = "shared:" + std::to_string(t);
        const std::string value = std::to_string(t) + ":" + std::to_string(i);
        Resp set = pool->cmd("SET", key, value);
        Resp get = pool->cmd("GET", key);
        if (set.err() || get.err()) {
          ++failed;
        } else if (get.str().value_or("") != value || set.str().value_or("") != "OK") {
          ++wrong;
        }
      }
    });
  }
  join(threads);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_GT(pool->stats().shared, 0u);  // 16 callers, one connection: some rode along
  EXPECT_EQ(pool->stats().dials, 1u);
}

}  // namespace
}  // namespace pooltest
