// The cluster test support checked against the servers themselves: the
// shape shared_cluster() builds, where redis-cli -c puts keys, and that
// migrate_slot and failover do what they say.
//
// Topology: MigrateSlot and Failover change it and put it back; the fixture
// checks after every test that the cluster has its initial shape (same
// primaries, replicas and slot ranges), so the order of tests doesn't matter.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "redis_cluster.hpp"

namespace respool::test {
namespace {

// The value after `name` in a flat RESP2 map (CLUSTER SHARDS).
const RawReply& get(const RawReply& map, const std::string& name) {
  for (size_t i = 0; i + 1 < map.elems.size(); i += 2)
    if (map.elems[i].str == name) return map.elems[i + 1];
  throw std::runtime_error("no " + name + " in reply");
}

// CLUSTER SHARDS of node `i`, one line per shard: its slot ranges, then its
// nodes as "role:port:health", sorted.
std::vector<std::string> shards(int i) {
  std::vector<std::string> out;
  for (const RawReply& shard : shared_cluster().command(i, "CLUSTER SHARDS").elems) {
    std::string line;
    const auto& slots = get(shard, "slots").elems;
    for (size_t k = 0; k + 1 < slots.size(); k += 2) line += slots[k].str + "-" + slots[k + 1].str + " ";
    std::set<std::string> nodes;
    for (const RawReply& n : get(shard, "nodes").elems)
      nodes.insert(get(n, "role").str + ":" + get(n, "port").str + ":" + get(n, "health").str);
    for (const auto& n : nodes) line += n + " ";
    out.push_back(line);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string info_field(const std::string& text, const std::string& name) {
  const size_t at = text.find(name + ":");
  if (at == std::string::npos) return "";
  const size_t start = at + name.size() + 1;
  return text.substr(start, text.find('\r', start) - start);
}

class ClusterSupport : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const auto t0 = std::chrono::steady_clock::now();
    shared_cluster();
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    std::printf("shared_cluster() ready after %lld ms\n", static_cast<long long>(ms.count()));
    initial_ = new std::vector<std::string>(shards(0));
  }
  static void TearDownTestSuite() {
    delete initial_;
    initial_ = nullptr;
  }
  void TearDown() override { EXPECT_EQ(shards(0), *initial_) << "a test left the cluster in another shape"; }

  RedisCluster& c = shared_cluster();
  static inline std::vector<std::string>* initial_ = nullptr;
};

TEST_F(ClusterSupport, ThreePrimariesEachWithOneReplicaAndEveryNodeAgrees) {
  ASSERT_EQ(c.size(), 6);
  EXPECT_EQ(c.primaries().size(), 3u);
  for (int i = 0; i < c.size(); ++i) {
    const auto s = shards(i);
    EXPECT_EQ(s, shards(0)) << "node " << i;
    ASSERT_EQ(s.size(), 3u);
    for (const auto& shard : s) {
      // "a-b master:P:online replica:Q:online "
      EXPECT_NE(shard.find("master:"), std::string::npos) << shard;
      EXPECT_NE(shard.find("replica:"), std::string::npos) << shard;
      EXPECT_EQ(shard.find("replica:", shard.find("replica:") + 1), std::string::npos) << shard;
      EXPECT_NE(shard.find(":online", shard.find(":online") + 1), std::string::npos) << shard;
    }
    // CLUSTER NODES: "<id> <addr> <flags> ..." per node
    std::istringstream lines(c.command(i, "CLUSTER NODES").str);
    int masters = 0, replicas = 0;
    for (std::string id, addr, flags, rest; lines >> id >> addr >> flags && std::getline(lines, rest);) {
      masters += flags.find("master") != std::string::npos;
      replicas += flags.find("slave") != std::string::npos;
    }
    EXPECT_EQ(masters, 3) << "node " << i;
    EXPECT_EQ(replicas, 3) << "node " << i;
    EXPECT_EQ(c.node_id(i), c.command(i, "CLUSTER MYID").str);
  }
  for (int p : c.primaries()) {
    const int r = c.replica_of(p);
    EXPECT_EQ(info_field(c.command(r, "INFO replication").str, "master_port"),
              std::to_string(c.node(p).port()));
    EXPECT_EQ(info_field(c.command(r, "INFO replication").str, "master_link_status"), "up");
  }
}

TEST_F(ClusterSupport, AllSlotsCovered) {
  for (int i = 0; i < c.size(); ++i) {
    const std::string info = c.command(i, "CLUSTER INFO").str;
    EXPECT_EQ(info_field(info, "cluster_state"), "ok");
    EXPECT_EQ(info_field(info, "cluster_slots_assigned"), "16384");
    EXPECT_EQ(info_field(info, "cluster_slots_ok"), "16384");
    EXPECT_EQ(info_field(info, "cluster_known_nodes"), "6");
  }
  std::set<int> owners;
  for (int slot : {0, 5460, 5461, 10922, 10923, 16383}) owners.insert(c.primary_for_slot(slot));
  const std::vector<int> primaries = c.primaries();
  EXPECT_EQ(owners, std::set<int>(primaries.begin(), primaries.end()));
}

TEST_F(ClusterSupport, KeyWrittenWithRedisCliLandsOnThePrimaryForItsSlot) {
  std::set<int> hit;
  for (std::string key : {"alpha", "beta", "gamma", "delta", "user:{42}:name", "x"}) {
    const int slot = std::stoi(c.command(0, "CLUSTER KEYSLOT " + key).str);
    EXPECT_EQ(slot, c.key_slot(key));
    const int p = c.primary_for_slot(slot);
    hit.insert(p);
    // Through whichever node is not the owner, so redis-cli -c must follow MOVED.
    const int via = p == 0 ? 1 : 0;
    c.cli("-c", "-p", std::to_string(c.node(via).port()), "SET", key, "v-" + key);
    EXPECT_EQ(c.command(p, "GET " + key).str, "v-" + key) << key;
    EXPECT_EQ(c.node(c.replica_of(p)).raw_command("GET " + key).rfind("-MOVED " + std::to_string(slot), 0),
              0u);
    c.command(p, "DEL " + key);
  }
  EXPECT_GT(hit.size(), 1u);
}

TEST_F(ClusterSupport, MigrateSlotMovesTheSlotWithItsKeys) {
  const int slot = c.key_slot("{mig}");
  const int from = c.primary_for_slot(slot);
  const auto primaries = c.primaries();
  const int to = primaries[0] == from ? primaries[1] : primaries[0];
  const std::string s = std::to_string(slot);
  for (int k = 0; k < 5; ++k) c.command(from, "SET {mig}" + std::to_string(k) + " v");
  EXPECT_EQ(c.command(from, "CLUSTER COUNTKEYSINSLOT " + s).str, "5");

  c.migrate_slot(slot, from, to);
  EXPECT_EQ(c.primary_for_slot(slot), to);
  EXPECT_EQ(c.command(from, "CLUSTER COUNTKEYSINSLOT " + s).str, "0");
  EXPECT_EQ(c.command(to, "CLUSTER COUNTKEYSINSLOT " + s).str, "5");
  EXPECT_EQ(c.command(to, "GET {mig}3").str, "v");
  EXPECT_EQ(c.node(from).raw_command("GET {mig}3").rfind("-MOVED " + s + " " + c.node(to).addr(), 0), 0u);

  // Back in steps: half-way, the moved keys answer ASK on the old owner.
  c.begin_migration(slot, to, from);
  c.move_keys(slot, to, from);
  EXPECT_EQ(c.node(to).raw_command("GET {mig}3").rfind("-ASK " + s + " " + c.node(from).addr(), 0), 0u);
  c.finish_migration(slot, from);
  EXPECT_EQ(c.primary_for_slot(slot), from);
  EXPECT_EQ(c.command(from, "CLUSTER COUNTKEYSINSLOT " + s).str, "5");
  EXPECT_EQ(c.command(to, "CLUSTER COUNTKEYSINSLOT " + s).str, "0");
  c.command(from, "DEL {mig}0 {mig}1 {mig}2 {mig}3 {mig}4");
}

TEST_F(ClusterSupport, FailoverSwapsRoles) {
  const int p = c.primary_for_slot(0);
  const int r = c.replica_of(p);
  c.failover(r);
  EXPECT_EQ(c.primary_for_slot(0), r);
  EXPECT_EQ(c.replica_of(r), p);
  EXPECT_EQ(info_field(c.command(p, "INFO replication").str, "role"), "slave");
  c.failover(p);  // back
  EXPECT_EQ(c.primary_for_slot(0), p);
  EXPECT_EQ(c.replica_of(p), r);
}

}  // namespace
}  // namespace respool::test
