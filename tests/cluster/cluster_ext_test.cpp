// transaction, Script and scan on the shared 3+3 cluster: hash-tagged
// transactions are exact, cross-slot ones are refused, a script is loaded on
// each node that lacks it, SCAN walks every primary.
//
// Topology: no test here changes it.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cluster_helpers.hpp"
#include "redis_cluster.hpp"
#include "respool/respool.hpp"

namespace respool::test {
namespace {

// A key with tag `tag` whose slot is served by primary node `node` (or by
// another primary than `node` when `other` is set).
std::string key_on(const std::string& base, int node, bool other) {
  for (int i = 0; i < 100000; ++i) {
    const std::string k = base + "{" + std::to_string(i) + "}";
    const bool there = shared_cluster().primary_for_slot(key_slot(k)) == node;
    if (there != other) return k;
  }
  ADD_FAILURE() << "no key found";
  return base;
}

TEST(ClusterExt, TransactionOnHashTaggedKeysIsExact) {
  auto cluster = make_cluster();
  const std::string a = "ext:{acct}:a", b = "ext:{acct}:b";
  ASSERT_FALSE(cluster->cmd("MSET", a, 1000, b, 0).err());
  std::atomic<int> failures{0}, retries{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        TransactionStats stats;
        auto out = transaction(
            *cluster, {a, b},
            [&](Transaction& tx) {  // move 1 from a to b
              const auto x = tx.cmd("GET", a).integer().value_or(0);
              const auto y = tx.cmd("GET", b).integer().value_or(0);
              tx.queue("SET", a, x - 1);
              tx.queue("SET", b, y + 1);
            },
            TransactionOptions{.max_attempts = 1000, .stats = &stats});
        if (!out || out->size() != 2) ++failures;
        retries += stats.aborted;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(cluster->cmd("GET", a).integer().value_or(-1), 800);
  EXPECT_EQ(cluster->cmd("GET", b).integer().value_or(-1), 200);
  std::printf("[ cluster transaction ] 200 transfers, %d retries\n", retries.load());
}

TEST(ClusterExt, TransactionKeysInSeveralSlotsAreRefused) {
  auto cluster = make_cluster();
  int calls = 0;
  TransactionStats stats;
  auto out = transaction(
      *cluster, {"ext:{x}", "ext:{y}"}, [&](Transaction&) { ++calls; }, TransactionOptions{.stats = &stats});
  EXPECT_EQ(out.error(), errc::cross_slot);
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(stats.attempts, 0);  // nothing sent
  EXPECT_EQ(transaction(*cluster, {}, [&](Transaction&) { ++calls; }).error(), errc::invalid_argument);

  // A queued key in another slot: the server refuses the transaction, nothing runs.
  const int node = shared_cluster().primary_for_slot(key_slot("ext:{q}"));
  const std::string same_node = key_on("ext:same:", node, false);
  const std::string other_node = key_on("ext:other:", node, true);
  ASSERT_NE(key_slot(same_node), key_slot("ext:{q}"));
  for (const std::string& stray : {same_node, other_node}) {
    ASSERT_FALSE(cluster->cmd("DEL", stray).err());
    out = transaction(*cluster, {"ext:{q}"}, [&](Transaction& tx) {
      tx.queue("SET", "ext:{q}", 1);
      tx.queue("SET", stray, 1);
    });
    EXPECT_EQ(out.error(), errc::cross_slot) << stray << ": " << out.error().message();
    EXPECT_TRUE(cluster->cmd("GET", stray).is_nil()) << stray;
  }
}

TEST(ClusterExt, ScriptIsLoadedOnEveryNodeThatLacksIt) {
  auto cluster = make_cluster();
  Script s{"return redis.call('INCRBY', KEYS[1], ARGV[1])"};
  for (int p : shared_cluster().primaries())
    ASSERT_EQ(shared_cluster().node(p).raw_command("SCRIPT FLUSH"), "+OK\r\n");
  std::vector<std::string> keys;
  for (int p : shared_cluster().primaries()) keys.push_back(key_on("ext:script:", p, false));
  for (const std::string& k : keys) {
    ASSERT_FALSE(cluster->cmd("DEL", k).err());
    EXPECT_EQ(s.run(*cluster, {k}, {"3"}).integer().value_or(-1), 3) << k;  // NOSCRIPT, EVAL
    EXPECT_EQ(s.run(*cluster, {k}, {"3"}).integer().value_or(-1), 6) << k;  // EVALSHA
  }
  for (int p : shared_cluster().primaries()) {
    RawReply r = shared_cluster().command(p, "SCRIPT EXISTS " + s.sha1());
    ASSERT_EQ(r.elems.size(), 1u);
    EXPECT_EQ(r.elems[0].str, "1") << "node " << p;
  }
  Script keyless{"return 'pong'"};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(keyless.run(*cluster).str().value_or(""), "pong");
  Resp cross = s.run(*cluster, {keys[0], keys[1]}, {"1"});
  EXPECT_EQ(cross.err(), errc::cross_slot);
}

TEST(ClusterExt, ScanWalksEveryPrimary) {
  auto cluster = make_cluster();
  const std::string p = "ext:scan:";
  Batch b;
  for (int i = 0; i < 600; ++i) b.add("SET", p + std::to_string(i), i);
  for (const Resp& r : cluster->run(b)) ASSERT_FALSE(r.err()) << r.to_string();
  std::set<int> nodes;
  for (int i = 0; i < 600; ++i)
    nodes.insert(shared_cluster().primary_for_slot(key_slot(p + std::to_string(i))));
  ASSERT_EQ(nodes.size(), 3u);  // the keys are on every primary

  std::set<std::string> seen;
  Scanner keys = scan(*cluster, ScanOptions{.match = p + "*", .count = 100});
  for (const std::string& k : keys) seen.insert(k);
  EXPECT_FALSE(keys.error()) << keys.error().message();
  EXPECT_EQ(seen.size(), 600u);
  EXPECT_GE(keys.pages(), 3u);

  // HSCAN goes to the key's node.
  const std::string h = "ext:hscan:{hash}";
  ASSERT_FALSE(cluster->cmd("DEL", h).err());
  for (int i = 0; i < 300; ++i) ASSERT_FALSE(cluster->cmd("HSET", h, "f" + std::to_string(i), i).err());
  std::size_t n = 0;
  Scanner fields = scan(*cluster, ScanOptions{.count = 50, .command = "HSCAN", .key = h});
  for (const std::string& x : fields) n += x.starts_with("f") ? 1 : 0;
  EXPECT_FALSE(fields.error());
  EXPECT_EQ(n, 300u);
}

}  // namespace
}  // namespace respool::test
