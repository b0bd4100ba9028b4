// The cluster changing under full load, on a cluster of its own: a
// resharding, a CLUSTER FAILOVER (with a shard channel of the slot that
// fails over, which must keep hearing SPUBLISH), a node added and given slots, and a
// primary SIGKILLed. Eight threads run tagged SET/GET pairs and INCRs on
// counters the whole time, and every reply is checked:
//   - a GET must return what this thread last wrote to that key (a wrong
//     reply is counted, and must stay at zero);
//   - every INCR acknowledged is counted; at the end the counters must hold
//     exactly that many (resharding, manual failover), or, after a SIGKILL,
//     no more than acknowledged plus ambiguous (no doubled write), with the
//     writes lost to asynchronous replication counted and reported.
//
// The tests run in order on one cluster; the SIGKILL test comes last.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "redis_cluster.hpp"
#include "respool/respool.hpp"

namespace respool::test {
namespace {

constexpr int kThreads = 8;
constexpr int kCounters = 16;

std::string counter(int c) { return std::string("ctr:").append(std::to_string(c)); }

struct Load {
  std::atomic<bool> stop{false};
  std::atomic<long> ops{0}, wrong{0}, stale{0}, errors{0}, ambiguous_incr{0};
  std::atomic<long> acked[kCounters] = {};
  std::atomic<long> last_error_at_ms{0};  // since start, of the latest failed command
  std::vector<std::thread> threads;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  std::string first_wrong;
  std::mutex mu;

  void note_error() {
    ++errors;
    last_error_at_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start)
            .count();
  }

  void run(Cluster& cluster) {
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([this, &cluster, t] {
        std::vector<long> last(64, -1);  // the sequence number this thread last wrote to each key
        for (long i = 0; !stop; ++i) {
          const int k = static_cast<int>(i % 64);
          const std::string key = std::string("load:{t")
                                      .append(std::to_string(t))
                                      .append("-")
                                      .append(std::to_string(k))
                                      .append("}");
          Resp set = cluster.cmd("SET", key, std::string(key).append("=").append(std::to_string(i)));
          if (set.err()) {
            note_error();
            last[static_cast<size_t>(k)] = -1;  // outcome unknown: don't judge the next read
          } else {
            last[static_cast<size_t>(k)] = i;
          }
          Resp got = cluster.cmd("GET", key);
          if (got.err()) {
            note_error();
          } else if (const long want = last[static_cast<size_t>(k)]; want >= 0) {
            // The value names its key and sequence number: another key's
            // value, or one never written, is a wrong reply; an older one of
            // this key is a write lost by the server (asynchronous
            // replication across a SIGKILL).
            const std::string v = got.str().value_or("<not a string>");
            const std::string prefix = std::string(key).append("=");
            long seq = -1;
            if (v.rfind(prefix, 0) == 0) seq = std::stol(v.substr(prefix.size()));
            if (seq == want) {
            } else if (seq >= 0 && seq < want) {
              ++stale;
            } else if (wrong++ == 0) {
              std::lock_guard lk(mu);
              first_wrong = key + ": wrote seq " + std::to_string(want) + ", read " + got.to_string();
            }
          }
          const int c = static_cast<int>((i + t) % kCounters);
          Resp incr = cluster.cmd("INCR", counter(c));
          if (!incr.err()) {
            ++acked[c];
          } else {
            note_error();
            if (incr.delivery() == Delivery::unknown) ++ambiguous_incr;
          }
          ops += 3;
        }
      });
  }

  void finish() {
    stop = true;
    for (auto& th : threads) th.join();
    threads.clear();
  }
};

class ClusterUnderLoad : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = std::make_unique<RedisCluster>(); }
  static void TearDownTestSuite() { cluster_.reset(); }

  void SetUp() override {
    auto [c, err] =
        Cluster::create(cluster_->seeds(), 8,
                        ClusterOptions{.pool = PoolOptions{.get_timeout = std::chrono::seconds(5)},
                                       .down_budget = std::chrono::seconds(10)});
    ASSERT_FALSE(err) << err.message();
    client_ = c;
    for (int i = 0; i < kCounters; ++i) ASSERT_FALSE(client_->cmd("SET", counter(i), 0).err());
  }

  // The counters' values now, through a fresh cluster client.
  long counter_total() {
    auto [c, err] = Cluster::create(cluster_->seeds(), 1);
    long total = 0;
    for (int i = 0; i < kCounters; ++i) total += c->cmd("GET", counter(i)).integer().value_or(-1000000);
    return total;
  }

  static void report(const char* what, const Load& load, const ClusterStats& s) {
    std::printf(
        "%s: %ld ops, %ld errors (%ld ambiguous INCRs), %ld wrong; MOVED %llu, ASK %llu, refreshes %llu; "
        "retries moved %llu ask %llu tryagain %llu down %llu connect %llu not_sent %llu\n",
        what, load.ops.load(), load.errors.load(), load.ambiguous_incr.load(), load.wrong.load(),
        static_cast<unsigned long long>(s.moved), static_cast<unsigned long long>(s.ask),
        static_cast<unsigned long long>(s.refreshes), static_cast<unsigned long long>(s.retries.moved),
        static_cast<unsigned long long>(s.retries.ask), static_cast<unsigned long long>(s.retries.tryagain),
        static_cast<unsigned long long>(s.retries.cluster_down),
        static_cast<unsigned long long>(s.retries.connect_failed),
        static_cast<unsigned long long>(s.retries.not_sent));
  }

  static long acked_total(const Load& load) {
    long n = 0;
    for (const auto& a : load.acked) n += a.load();
    return n;
  }

  static std::unique_ptr<RedisCluster> cluster_;
  std::shared_ptr<Cluster> client_;
};
std::unique_ptr<RedisCluster> ClusterUnderLoad::cluster_;

TEST_F(ClusterUnderLoad, ReshardingLosesAndDoublesNothing) {
  Load load;
  load.run(*client_);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::vector<int> primaries = cluster_->primaries();
  cluster_->reshard(primaries[0], primaries[1], 300);
  cluster_->reshard(primaries[1], primaries[2], 300);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  load.finish();
  report("resharding", load, client_->stats());
  EXPECT_EQ(load.wrong, 0) << load.first_wrong;
  EXPECT_EQ(load.stale, 0);
  EXPECT_EQ(load.errors, 0);  // a resharding refuses nothing: every command is redirected
  EXPECT_EQ(counter_total(), acked_total(load));
  EXPECT_GT(client_->stats().moved + client_->stats().ask, 0u);
}

// The shard messages of `channel` that arrive within 10 s, up to `n` of
// them (notices skipped), as their payloads.
std::vector<std::string> next_shard_messages(Subscriber& sub, std::size_t n) {
  std::vector<std::string> got;
  while (got.size() < n) {
    std::optional<Message> m = sub.next(std::chrono::seconds(10));
    if (!m) break;
    if (m->kind == Message::Kind::smessage) got.push_back(m->payload);
  }
  return got;
}

TEST_F(ClusterUnderLoad, ManualFailoverLosesAndDoublesNothing) {
  // A shard channel in the slot that fails over keeps hearing SPUBLISH.
  const std::string channel = "{" + counter(0) + "}:events";
  auto [sub, sub_err] = Subscriber::create(client_);
  ASSERT_FALSE(sub_err) << sub_err.message();
  ASSERT_FALSE(sub->ssubscribe({channel}));
  const std::vector<std::string> before{"b0", "b1", "b2"}, after{"a0", "a1", "a2", "a3", "a4"};
  for (const std::string& m : before) ASSERT_FALSE(client_->cmd("SPUBLISH", channel, m).err());
  EXPECT_EQ(next_shard_messages(*sub, before.size()), before);

  Load load;
  load.run(*client_);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const int primary = cluster_->primary_for_slot(key_slot(counter(0)));
  cluster_->failover(cluster_->replica_of(primary));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  load.finish();
  for (const std::string& m : after) ASSERT_FALSE(client_->cmd("SPUBLISH", channel, m).err());
  EXPECT_EQ(next_shard_messages(*sub, after.size()), after) << "shard channel after CLUSTER FAILOVER";
  for (std::optional<Message> m; (m = sub->next(std::chrono::milliseconds(200)));)
    EXPECT_TRUE(m->is_notice()) << "came twice: " << m->payload;
  const SubscriberStats ss = sub->stats();
  std::printf("shard channel through the failover: %llu resubscribed, %llu reconnects\n",
              static_cast<unsigned long long>(ss.resubscribed),
              static_cast<unsigned long long>(ss.reconnects));
  report("CLUSTER FAILOVER", load, client_->stats());
  EXPECT_EQ(load.wrong, 0) << load.first_wrong;
  EXPECT_EQ(load.stale, 0);
  // A manual failover waits for the replica to catch up: nothing acknowledged is lost.
  const long ambiguous = load.ambiguous_incr;
  const long total = counter_total(), acked = acked_total(load);
  EXPECT_GE(total, acked);
  EXPECT_LE(total, acked + ambiguous);  // never doubled
  EXPECT_EQ(ambiguous, 0) << "connections to the demoted primary were cut mid-command";
}

TEST_F(ClusterUnderLoad, AnAddedNodeGivenSlotsReceivesTraffic) {
  Load load;
  load.run(*client_);
  const int added = cluster_->add_node();
  cluster_->reshard(cluster_->primaries()[0], added, 500);
  const std::string addr = cluster_->node(added).addr();
  ASSERT_TRUE(wait_until([&] { return client_->node_pool(addr) != nullptr; }, std::chrono::seconds(15)));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  load.finish();
  report("add-node", load, client_->stats());
  EXPECT_EQ(load.wrong, 0) << load.first_wrong;
  EXPECT_EQ(load.stale, 0);
  EXPECT_EQ(counter_total(), acked_total(load));
  const PoolStats on_new = client_->node_pool(addr)->stats();
  EXPECT_GT(on_new.gets, 0u);
  EXPECT_GT(std::stol(cluster_->command(added, "DBSIZE").str), 0);
}

TEST_F(ClusterUnderLoad, ReadsFallBackToThePrimaryWhenTheReplicaIsDown) {
  Cluster::CreateResult created =
      Cluster::create(cluster_->seeds(), 2, ClusterOptions{.read_from = ReadFrom::replica});
  const std::shared_ptr<Cluster>& reader = created.cluster;
  const std::error_code err = created.error;
  ASSERT_FALSE(err) << err.message();
  const std::string k = "replica:{down}";
  ASSERT_FALSE(reader->cmd("SET", k, "v").err());
  ASSERT_TRUE(wait_until([&] { return reader->cmd("GET", k).to_string() == "\"v\""; }));
  const int replica = cluster_->replica_of(cluster_->primary_for_slot(key_slot(k)));
  cluster_->kill(replica);
  // A read in flight on the replica when it dies has an unknown outcome and
  // is not sent again (only cmd_idempotent would); once its connections are
  // seen closed (the pool checks those idle 5 ms or more), reads go to the
  // primary.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  for (int i = 0; i < 20; ++i) EXPECT_EQ(reader->cmd("GET", k).to_string(), "\"v\"") << i;
  EXPECT_GT(reader->stats().retries.connect_failed, 0u);
  cluster_->restart(replica);
  cluster_->wait_ok();
}

TEST_F(ClusterUnderLoad, ANodeThatLeavesTheMapHasItsPoolEmptied) {
  // Give a node's slots away and remove it from the cluster (it is shut
  // down): the next refresh drops it from the map and empties its pool.
  const int leaving = cluster_->size() - 1;  // the node the add-node test added and gave slots

  const std::string addr = cluster_->node(leaving).addr();
  std::shared_ptr<Pool> pool = client_->node_pool(addr);
  ASSERT_NE(pool, nullptr);
  const int receiver = cluster_->primaries().front();
  int owned = 0;
  for (int slot = 0; slot < RedisCluster::kSlots; ++slot)
    if (cluster_->primary_for_slot(slot) == leaving) ++owned;
  if (owned > 0) cluster_->reshard(leaving, receiver, owned);
  int replica = -1;
  try {
    replica = cluster_->replica_of(leaving);
  } catch (const std::exception&) {
  }
  if (replica >= 0) cluster_->cli("--cluster", "del-node", cluster_->seed(), cluster_->node_id(replica));
  cluster_->cli("--cluster", "del-node", cluster_->seed(), cluster_->node_id(leaving));
  // Traffic meets MOVED for the slots that left, which asks for a refresh.
  ASSERT_TRUE(wait_until(
      [&] {
        for (int c = 0; c < kCounters; ++c) (void)client_->cmd("GET", counter(c));
        return client_->node_pool(addr) == nullptr;
      },
      std::chrono::seconds(15)))
      << "primaries in the map: " << ::testing::PrintToString(client_->primaries())
      << "; CLUSTER NODES: " << cluster_->command(receiver, "CLUSTER NODES").str;
  EXPECT_TRUE(pool->closed());
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(client_->cmd("INCR", counter(i % kCounters)).err()) << i;
}

TEST_F(ClusterUnderLoad, SigkilledPrimaryIsReplacedWithNoWrongReplyAndNoDoubledWrite) {
  Load load;
  load.run(*client_);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const int victim = cluster_->primary_for_slot(key_slot(counter(0)));
  const auto killed_at = std::chrono::steady_clock::now();
  const long killed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(killed_at - load.start).count();
  cluster_->kill(victim);
  // Serving again: an INCR on a counter of the victim's slots succeeds.
  auto probe =
      Cluster::create(cluster_->seeds(), 1, ClusterOptions{.down_budget = std::chrono::seconds(20)}).cluster;
  ASSERT_FALSE(probe->cmd("INCR", "probe:{ctr:0}").err());
  const auto back_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - killed_at)
          .count();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  load.finish();
  report("SIGKILL", load, client_->stats());
  std::printf(
      "SIGKILL: serving again %lld ms after the kill (node timeout 1000 ms); last error %ld ms after it\n",
      static_cast<long long>(back_ms), load.last_error_at_ms.load() - killed_ms);
  EXPECT_EQ(load.wrong, 0) << load.first_wrong;
  const long total = counter_total(), acked = acked_total(load), ambiguous = load.ambiguous_incr;
  std::printf("SIGKILL: %ld reads saw a write lost to asynchronous replication\n", load.stale.load());
  std::printf("SIGKILL: counters %ld, acknowledged %ld, ambiguous %ld, lost to async replication %ld\n",
              total, acked, ambiguous, acked > total ? acked - total : 0);
  EXPECT_LE(total, acked + ambiguous);  // never doubled
  // Node timeout (1 s) + election + one refresh: well within 10 s.
  EXPECT_LT(back_ms, 10000);
  cluster_->restart(victim);
}

}  // namespace
}  // namespace respool::test
