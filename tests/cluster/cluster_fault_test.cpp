// What a cluster does when a node's connection breaks mid-command: the
// command whose outcome is unknown is never sent again (the server ran it
// exactly once), unless the caller said it is idempotent. Each primary is
// reached through a fault proxy, by a dial function that maps the node's
// address to its proxy's.
//
// Topology: unchanged.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "fault_proxy.hpp"
#include "redis_cluster.hpp"
#include "respool/respool.hpp"

namespace respool::test {
namespace {

class ClusterFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < shared_cluster().size(); ++i) {
      const RedisServer& node = shared_cluster().node(i);
      proxies_[node.addr()] = std::make_unique<FaultProxy>(node.port());
    }
    PoolOptions pool{.dial =
                         [this](std::string_view network, std::string_view addr) {
                           auto it = proxies_.find(std::string(addr));
                           return Client::dial(network, it == proxies_.end() ? addr : it->second->addr());
                         },
                     .ping_interval = std::chrono::nanoseconds(0)};
    auto [c, err] =
        Cluster::create(shared_cluster().seeds(), 2,
                        ClusterOptions{.pool = pool, .refresh_interval = std::chrono::nanoseconds(0)});
    ASSERT_FALSE(err) << err.message();
    cluster_ = c;
  }

  FaultProxy& proxy_of(const std::string& key) {
    const int owner = shared_cluster().primary_for_slot(key_slot(key));
    return *proxies_.at(shared_cluster().node(owner).addr());
  }

  std::map<std::string, std::unique_ptr<FaultProxy>> proxies_;
  std::shared_ptr<Cluster> cluster_;
};

TEST_F(ClusterFaults, ACommandCutMidReplyIsNeverSentAgain) {
  const std::string k = "fault:{once}:n";
  ASSERT_FALSE(cluster_->cmd("DEL", k).err());
  proxy_of(k).cut_next_reply(0);
  Resp r = cluster_->cmd("INCR", k);
  ASSERT_TRUE(r.is_io_error()) << r.to_string();
  EXPECT_EQ(r.delivery(), Delivery::unknown);
  EXPECT_EQ(cluster_->cmd("GET", k).integer().value_or(-1), 1);  // it ran, once
  const ClusterRetries retries = cluster_->stats().retries;
  EXPECT_EQ(retries.idempotent, 0u);
  EXPECT_EQ(retries.not_sent, 0u);
}

TEST_F(ClusterFaults, AnIdempotentCommandCutMidReplyIsSentOnceMore) {
  const std::string k = "fault:{twice}:s";
  proxy_of(k).cut_next_reply(0);
  Resp r = cluster_->cmd_idempotent("SET", k, "v");
  EXPECT_EQ(r.to_string(), "\"OK\"");
  EXPECT_EQ(cluster_->stats().retries.idempotent, 1u);
  EXPECT_EQ(cluster_->cmd("GET", k).to_string(), "\"v\"");
}

TEST_F(ClusterFaults, IdleConnectionsResetByTheNetworkCostNoCaller) {
  const std::string k = "fault:{reset}:n";
  ASSERT_FALSE(cluster_->cmd("SET", k, 0).err());
  for (auto& [addr, proxy] : proxies_) proxy->reset_all();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // past the pool's idle check threshold
  for (int i = 0; i < 10; ++i) ASSERT_FALSE(cluster_->cmd("INCR", k).err()) << i;
  EXPECT_EQ(cluster_->cmd("GET", k).integer().value_or(-1), 10);
}

}  // namespace
}  // namespace respool::test
