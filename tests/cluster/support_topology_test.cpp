// The topology helpers that can't be undone on the shared cluster (a node
// added stays known), on a cluster of their own: kill and restart with the
// cluster's own failover, add_node, reshard, a forced failover.
#include <gtest/gtest.h>

#include <string>

#include "redis_cluster.hpp"

namespace respool::test {
namespace {

TEST(ClusterSupportTopology, KillRestartAddNodeReshard) {
  RedisCluster c;
  const int p = c.primary_for_slot(0);
  const int r = c.replica_of(p);

  // The cluster fails over by itself once p is gone for node_timeout.
  c.kill(p);
  c.wait_ok();
  EXPECT_EQ(c.primary_for_slot(0), r);
  c.restart(p);
  c.wait_ok();
  EXPECT_EQ(c.replica_of(r), p);

  // A new primary gets slots from r; a new replica follows it.
  const int n = c.add_node();
  EXPECT_EQ(n, 6);
  EXPECT_NE(c.command(0, "CLUSTER INFO").str.find("cluster_known_nodes:7"), std::string::npos);
  c.reshard(r, n, 10);
  EXPECT_EQ(c.primaries().size(), 4u);
  const int m = c.add_node(n);
  EXPECT_EQ(c.replica_of(n), m);

  // reshard takes the source's lowest slots, so 0..9 are n's now.
  ASSERT_EQ(c.primary_for_slot(0), n);

  // A forced failover on the new replica.
  c.failover(m, "FORCE");
  EXPECT_EQ(c.primary_for_slot(0), m);
  EXPECT_EQ(c.replica_of(m), n);
}

}  // namespace
}  // namespace respool::test
