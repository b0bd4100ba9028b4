// sentinel_pool across a real failover, under load: the primary is killed
// (SIGKILL) while 8 threads write and read; the pool must follow the new
// primary within the failover time plus one dial, never hand a caller a
// reply that is not its own, never send a write twice, and afterwards hold
// only connections to the new primary. Two replica pools read from the
// replica that gets promoted: they must drop it, refuse while no replica is
// healthy (never read from the primary), and read from the old primary once
// it is back as a replica. At the end the old primary is restarted (Sentinel
// makes it a replica) so the set-up is whole again.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "sentinel_helpers.hpp"

namespace sentineltest {
namespace {

struct ThreadCounts {
  long pairs_ok = 0;      // SET then GET on one connection, GET gave the value
  long wrong = 0;         // GET gave anything else: must stay 0
  long errors = 0;        // a failed get(), SET or GET (expected around the kill)
  long incr_acked = 0;    // INCR answered with a number
  long incr_unknown = 0;  // INCR failed after it may have been written
  long incr_unsent = 0;   // INCR failed before it was written (or refused)
};

std::int64_t ns_since_epoch(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

TEST(SentinelFailover, UnderLoadFollowsTheNewPrimary) {
  auto& s = setup();
  RedisServer* old_primary = s.primary();
  RedisServer* next = s.replica();
  ASSERT_NE(old_primary, nullptr);
  ASSERT_NE(next, nullptr);
  ASSERT_TRUE(s.wait_ready(old_primary->port()));
  // Whatever happens below, the killed server comes back for the tests
  // that follow.
  struct Restart {
    RedisSentinelSetup& setup;
    RedisServer* server;
    ~Restart() {
      if (!server->running()) setup.restart_as_replica(*server);
    }
  } restart{s, old_primary};

  // Each pool is named, not a structured binding: clang < 16 can't capture
  // one in a lambda.
  const std::string prefix = "fo" + std::to_string(std::random_device{}()) + ":";
  constexpr int kThreads = 8;
  auto made_pool =
      respool::sentinel_pool(s.sentinel_addrs(), kName, kThreads,
                             respool::SentinelOptions{.pool = respool::PoolOptions{.dial_options = quick()},
                                                      .sentinel_dial_options = quick()});
  ASSERT_FALSE(made_pool.error) << made_pool.error.message();
  auto& pool = made_pool.pool;
  // A second pool that only rechecks (no subscription): it must follow too,
  // within its recheck interval.
  auto made_polling =
      respool::sentinel_pool(s.sentinel_addrs(), kName, 1,
                             respool::SentinelOptions{.pool = respool::PoolOptions{.dial_options = quick()},
                                                      .sentinel_dial_options = quick(),
                                                      .recheck_interval = 200ms,
                                                      .subscribe = false});
  ASSERT_FALSE(made_polling.error) << made_polling.error.message();
  auto& polling = made_polling.pool;

  // Two idle pools: nothing of theirs fails, so only their watchers can
  // retire their connections to the old primary: one through the
  // +switch-master subscription alone (RESP3 sentinel connections, so the
  // announcement is a push), one through rechecks alone.
  respool::DialOptions resp3 = quick();
  resp3.protocol = 3;
  auto made_listening = respool::sentinel_pool(
      s.sentinel_addrs(), kName, 2,
      respool::SentinelOptions{.sentinel_dial_options = resp3, .recheck_interval = std::chrono::hours(1)});
  ASSERT_FALSE(made_listening.error) << made_listening.error.message();
  auto& listening = made_listening.pool;
  auto made_rechecking = respool::sentinel_pool(
      s.sentinel_addrs(), kName, 2,
      respool::SentinelOptions{
          .sentinel_dial_options = quick(), .recheck_interval = 200ms, .subscribe = false});
  ASSERT_FALSE(made_rechecking.error) << made_rechecking.error.message();
  auto& rechecking = made_rechecking.pool;

  // Two replica pools on the replica about to be promoted: one hears the
  // announcement, one only rechecks.
  auto made_replica_listening =
      respool::sentinel_pool(s.sentinel_addrs(), kName, 2,
                             respool::SentinelOptions{.sentinel_dial_options = quick(),
                                                      .role = respool::Role::replica,
                                                      .recheck_interval = std::chrono::hours(1)});
  ASSERT_FALSE(made_replica_listening.error) << made_replica_listening.error.message();
  auto& replica_listening = made_replica_listening.pool;
  auto made_replica_rechecking =
      respool::sentinel_pool(s.sentinel_addrs(), kName, 2,
                             respool::SentinelOptions{.sentinel_dial_options = quick(),
                                                      .role = respool::Role::replica,
                                                      .recheck_interval = 200ms,
                                                      .subscribe = false});
  ASSERT_FALSE(made_replica_rechecking.error) << made_replica_rechecking.error.message();
  auto& replica_rechecking = made_replica_rechecking.pool;
  for (auto* p : {&replica_listening, &replica_rechecking}) {
    respool::Lease l = (*p)->lease();
    ASSERT_TRUE(l) << l.error().message();
    ASSERT_EQ(role_of(*l), "slave");
    ASSERT_EQ(server_port(*l), next->port());
  }

  std::atomic<bool> stop{false};
  std::atomic<bool> killed{false};
  std::atomic<std::int64_t> first_success_ns{0};  // first SET+GET after the kill
  auto note_success = [&] {
    if (!killed) return;
    std::int64_t expected = 0;
    first_success_ns.compare_exchange_strong(expected, ns_since_epoch(Clock::now()));
  };
  std::vector<ThreadCounts> counts(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ThreadCounts& n = counts[static_cast<std::size_t>(t)];
      const std::string counter = prefix + "counter:" + std::to_string(t);
      for (long i = 0; !stop; ++i) {
        const std::string key = prefix + std::to_string(t) + ":" + std::to_string(i);
        const std::string value = "v" + std::to_string(t) + "." + std::to_string(i);
        bool failed = false;
        {
          respool::Lease l = pool->lease();
          if (!l) {
            failed = true;
          } else if (l->cmd("SET", key, value).str().value_or("") != "OK") {
            failed = true;
          } else {
            const respool::Resp got = l->cmd("GET", key);
            if (got.err()) {
              failed = true;
            } else if (got.str().value_or("<not a string>") != value) {
              ++n.wrong;
            } else {
              ++n.pairs_ok;
              note_success();
            }
          }
        }
        const respool::Resp inc = pool->cmd("INCR", counter);
        if (inc.integer()) {
          ++n.incr_acked;
        } else if (inc.is_io_error() && inc.delivery() == respool::Delivery::unknown) {
          ++n.incr_unknown;
        } else {
          ++n.incr_unsent;
        }
        if (failed) {
          ++n.errors;
          std::this_thread::sleep_for(10ms);  // a caller's own pacing of retries
        }
      }
    });
  }
  std::atomic<std::int64_t> polling_success_ns{0};
  std::thread poller([&] {
    while (!stop) {
      if (polling->cmd("SET", prefix + "poller", "x").str().value_or("") == "OK" && killed) {
        std::int64_t expected = 0;
        polling_success_ns.compare_exchange_strong(expected, ns_since_epoch(Clock::now()));
      }
      std::this_thread::sleep_for(5ms);
    }
  });

  std::this_thread::sleep_for(500ms);  // load on the old primary
  const auto t_kill = Clock::now();
  RedisServer* const killed_server = s.kill_primary();
  killed = true;
  // Promotion: when the first sentinel names the new primary; the others
  // learn it from that one's hello messages, a little later. The idle
  // pools' retirements are watched in the same loop.
  Clock::time_point t_promoted{}, t_all{}, t_listening{}, t_rechecking{}, t_replicas{};
  auto unset = [](Clock::time_point t) { return t == Clock::time_point{}; };
  const bool promoted_and_retired = wait_until(
      [&] {
        if (unset(t_listening) && listening->stats().closed_retired == 2) t_listening = Clock::now();
        if (unset(t_rechecking) && rechecking->stats().closed_retired == 2) t_rechecking = Clock::now();
        if (unset(t_replicas) && replica_listening->stats().closed_retired == 2 &&
            replica_rechecking->stats().closed_retired == 2)
          t_replicas = Clock::now();
        if (unset(t_all)) {
          int naming = 0;
          for (int i = 0; i < 3; ++i) naming += s.sentinel_primary_port(i) == next->port() ? 1 : 0;
          if (naming > 0 && unset(t_promoted)) t_promoted = Clock::now();
          if (naming == 3) t_all = Clock::now();
        }
        return !unset(t_all) && !unset(t_listening) && !unset(t_rechecking) && !unset(t_replicas);
      },
      30s);
  const bool promoted = !unset(t_all);
  const bool retired = !unset(t_listening) && !unset(t_rechecking);
  const bool followed = wait_until([&] { return first_success_ns != 0 && polling_success_ns != 0; }, 15s);
  std::this_thread::sleep_for(500ms);  // load on the new primary
  stop = true;
  for (auto& th : threads) th.join();
  poller.join();
  ASSERT_EQ(killed_server, old_primary);
  ASSERT_TRUE(promoted) << "no failover within 30 s";
  (void)promoted_and_retired;
  EXPECT_TRUE(s.wait_for_failover(old_primary->port(), 1s));
  ASSERT_TRUE(followed) << "the pools never succeeded after the failover";
  ASSERT_TRUE(retired) << "idle pools: retired " << listening->stats().closed_retired << " (subscribed), "
                       << rechecking->stats().closed_retired << " (rechecking)";
  const double listen_ms = ms_between(t_promoted, t_listening);
  const double recheck_ms = ms_between(t_promoted, t_rechecking);
  // The subscribed one hears its sentinel's announcement; the other asks
  // within its 200 ms recheck once its sentinel knows.
  EXPECT_LT(listen_ms, ms_between(t_promoted, t_all) + 1000.0);
  EXPECT_LT(recheck_ms, ms_between(t_promoted, t_all) + 1000.0);
  for (auto* p : {&listening, &rechecking}) {
    respool::Lease l = (*p)->lease();
    ASSERT_TRUE(l) << l.error().message();
    EXPECT_EQ(server_port(*l), next->port());
  }
  // The replica pools dropped the promoted replica, and with no healthy
  // replica left they refuse: no read goes to the primary.
  ASSERT_FALSE(unset(t_replicas)) << "replica pools: retired " << replica_listening->stats().closed_retired
                                  << " (subscribed), " << replica_rechecking->stats().closed_retired
                                  << " (rechecking)";
  const double replicas_ms = ms_between(t_promoted, t_replicas);
  EXPECT_LT(replicas_ms, ms_between(t_promoted, t_all) + 1000.0);
  for (auto* p : {&replica_listening, &replica_rechecking}) {
    respool::Lease l = (*p)->lease();
    if (l) {
      EXPECT_EQ(role_of(*l), "slave") << "a replica pool handed out a connection to the primary";
    } else {
      EXPECT_EQ(l.error(), respool::errc::no_primary) << l.error().message();
    }
  }

  const double promote_ms = ms_between(t_kill, t_promoted);
  const double follow_ms =
      ms_between(t_promoted, Clock::time_point(std::chrono::nanoseconds(first_success_ns)));
  const double poll_follow_ms =
      ms_between(t_promoted, Clock::time_point(std::chrono::nanoseconds(polling_success_ns)));
  ThreadCounts total;
  for (const auto& n : counts) {
    total.pairs_ok += n.pairs_ok;
    total.wrong += n.wrong;
    total.errors += n.errors;
    total.incr_acked += n.incr_acked;
    total.incr_unknown += n.incr_unknown;
    total.incr_unsent += n.incr_unsent;
  }

  // Zero wrong replies.
  EXPECT_EQ(total.wrong, 0);
  EXPECT_GT(total.pairs_ok, 0);
  // Followed within the failover time (until every sentinel names the new
  // primary) plus one dial; the polling pool plus its recheck interval.
  const double all_ms = ms_between(t_promoted, t_all);
  EXPECT_LT(follow_ms, all_ms + 1000.0);
  EXPECT_LT(poll_follow_ms, all_ms + 1000.0);

  // No doubled writes: each counter ends at most at the INCRs that may have
  // run; acknowledged ones may be lost (asynchronous replication): counted.
  long lost = 0;
  for (int t = 0; t < kThreads; ++t) {
    const auto& n = counts[static_cast<std::size_t>(t)];
    const auto final_value = pool->cmd("GET", prefix + "counter:" + std::to_string(t)).integer();
    ASSERT_TRUE(final_value) << final_value.error().message();
    EXPECT_LE(*final_value, n.incr_acked + n.incr_unknown) << "thread " << t;
    lost += std::max<long>(0, n.incr_acked - static_cast<long>(*final_value));
  }

  // Every connection the pool holds talks to the new primary.
  const int idle = pool->avail();
  std::vector<std::unique_ptr<respool::Client>> held;
  for (int i = 0; i < idle; ++i) {
    auto c = pool->get();
    ASSERT_TRUE(c) << c.error().message();
    EXPECT_EQ(role_of(**c), "master");
    EXPECT_EQ(server_port(**c), next->port());
    held.push_back(std::move(*c));
  }
  for (auto& c : held) pool->put(std::move(c));
  const auto st = pool->stats();
  EXPECT_GT(st.closed_retired + st.closed_critical + st.closed_peer, 0u);

  std::printf(
      "failover: kill->promoted %.0f ms, promoted->all sentinels %.0f ms, promoted->first success %.1f ms "
      "(polling pool %.1f ms); idle pools retired after %.0f ms (subscribed), %.0f ms (rechecking); "
      "pairs ok %ld, wrong %ld, errors %ld; INCR acked %ld, unknown %ld, unsent %ld, lost %ld; "
      "retired %llu, critical %llu, peer %llu, dials %llu, dial errors %llu\n",
      promote_ms, all_ms, follow_ms, poll_follow_ms, listen_ms, recheck_ms, total.pairs_ok, total.wrong,
      total.errors, total.incr_acked, total.incr_unknown, total.incr_unsent, lost,
      static_cast<unsigned long long>(st.closed_retired), static_cast<unsigned long long>(st.closed_critical),
      static_cast<unsigned long long>(st.closed_peer), static_cast<unsigned long long>(st.dials),
      static_cast<unsigned long long>(st.dial_errors));
  RecordProperty("kill_to_promoted_ms", std::to_string(promote_ms));
  RecordProperty("promoted_to_first_success_ms", std::to_string(follow_ms));
  RecordProperty("incr_lost", std::to_string(lost));

  // The old primary back, as a replica of the new one.
  pool.reset();
  polling.reset();
  listening.reset();
  rechecking.reset();
  s.restart_as_replica(*old_primary);
  const auto t_restart = Clock::now();
  EXPECT_TRUE(s.wait_ready(next->port()));
  std::printf(
      "old primary back as a replica, seen by every sentinel, after %.0f ms; replica pools dropped "
      "the promoted replica %.0f ms after the promotion\n",
      ms_between(t_restart, Clock::now()), replicas_ms);
  // The replica pools read from it now.
  for (auto* p : {&replica_listening, &replica_rechecking}) {
    EXPECT_TRUE(wait_until(
        [&] {
          respool::Lease l = (*p)->lease();
          return l && role_of(*l) == "slave" && server_port(*l) == old_primary->port();
        },
        10s))
        << "a replica pool never read from the old primary, back as a replica";
  }
}

}  // namespace
}  // namespace sentineltest
