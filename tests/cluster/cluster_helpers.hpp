// Helpers for the cluster tests.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <utility>

#include "redis_cluster.hpp"
#include "respool/respool.hpp"

namespace respool::test {

// A Cluster over the suite's shared 3+3 cluster that should come up: records
// a test failure when create returns an error (the object is returned either
// way, like Cluster::create's).
inline std::shared_ptr<Cluster> make_cluster(int size = 4, ClusterOptions options = {}) {
  auto [cluster, err] = Cluster::create(shared_cluster().seeds(), size, std::move(options));
  EXPECT_FALSE(err) << err.message();
  return cluster;
}

}  // namespace respool::test
