// Subscriber on a server of its own, under faults: CLIENT KILL TYPE pubsub
// and a server restart in the middle of a stream (later messages arrive,
// a `reconnected` notice tells of the gap, nothing arrives twice), a frozen
// server found by PING within ping_interval + read_timeout, and a slow
// consumer (the buffer keeps its bound, drops the oldest messages, counts
// them, and keeps notices).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "pubsub_helpers.hpp"

namespace respool::test {
namespace {

using namespace std::chrono_literals;

// Publishes 0, 1, 2, ... to `channel` about every millisecond on its own
// thread, dialing again whenever its connection fails. A number whose
// PUBLISH failed is never used again, so payloads only grow.
class Publisher {
 public:
  Publisher(std::string addr, std::string channel)
      : addr_(std::move(addr)), channel_(std::move(channel)), thread_([this] { run(); }) {}
  ~Publisher() {
    stop_ = true;
    thread_.join();
  }

 private:
  void run() {
    std::unique_ptr<Client> c;
    for (long i = 0; !stop_; ++i) {
      if (!c || c->is_closed()) {
        auto d = Client::dial("tcp", addr_, {});
        c = d ? std::move(*d) : nullptr;
      }
      if (c) c->cmd("PUBLISH", channel_, std::to_string(i));
      std::this_thread::sleep_for(1ms);
    }
  }
  std::string addr_, channel_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class SubscriberRecovery : public ::testing::TestWithParam<int> {
 protected:
  SubscriberOptions options() const {
    SubscriberOptions o;
    o.dial_options.protocol = GetParam();
    o.max_backoff = 200ms;
    return o;
  }

  // Reads the stream of `channel` until 200 messages came after a
  // `reconnected` notice; `fault` runs once 200 came before it. Payloads
  // must only grow (nothing twice, nothing out of order).
  template <class Fault>
  void survive(RedisServer& server, Fault fault) {
    auto [sub, err] = Subscriber::create("tcp", server.addr(), options());
    ASSERT_FALSE(err) << err.message();
    ASSERT_FALSE(sub->subscribe({"seq"}));
    Publisher pub(server.addr(), "seq");
    long last = -1;
    int before = 0, after = 0;
    bool noticed = false;
    while (after < 200) {
      std::optional<Message> m = next_or_fail(*sub);
      ASSERT_TRUE(m);
      if (m->kind == Message::Kind::reconnected) {
        EXPECT_FALSE(noticed) << "a second notice";
        EXPECT_EQ(m->payload, server.addr());
        noticed = true;
        continue;
      }
      const long v = std::stol(m->payload);
      EXPECT_GT(v, last) << "out of order or twice";
      last = v;
      if (noticed) {
        ++after;
      } else if (++before == 200) {
        fault();
      }
    }
    SubscriberStats s = sub->stats();
    EXPECT_EQ(s.disconnects, 1u);
    EXPECT_EQ(s.reconnects, 1u);
    EXPECT_EQ(s.dropped, 0u);
  }
};

TEST_P(SubscriberRecovery, ClientKillMidStreamResubscribesWithANotice) {
  RedisServer server;
  survive(server, [&] { EXPECT_EQ(server.raw_command("CLIENT KILL TYPE pubsub"), ":1\r\n"); });
}

TEST_P(SubscriberRecovery, ServerRestartMidStreamResubscribesWithANotice) {
  RedisServer server;
  survive(server, [&] {
    server.kill();
    server.start();
  });
}

TEST_P(SubscriberRecovery, PingFindsAFrozenServerWithinPingIntervalPlusReadTimeout) {
  RedisServer server;
  SubscriberOptions o = options();
  o.ping_interval = 300ms;
  o.dial_options.read_timeout = 500ms;
  Subscriber::CreateResult created = Subscriber::create("tcp", server.addr(), o);
  ASSERT_FALSE(created.error);
  std::unique_ptr<Subscriber>& sub = created.subscriber;  // lambdas can't capture a structured binding
  ASSERT_FALSE(sub->subscribe({"f"}));
  // Idle longer than ping_interval: PINGs answered, nothing lost.
  std::this_thread::sleep_for(700ms);
  EXPECT_GE(sub->stats().pings, 1u);
  EXPECT_EQ(sub->stats().disconnects, 0u);

  const auto frozen_at = std::chrono::steady_clock::now();
  server.freeze();
  const bool noticed = wait_until([&] { return sub->stats().disconnects >= 1; }, 5s);
  const auto took = std::chrono::steady_clock::now() - frozen_at;
  server.thaw();
  ASSERT_TRUE(noticed);
  // ping_interval + read_timeout, plus slack for a loaded machine.
  EXPECT_LT(took, 800ms + 700ms);

  std::optional<Message> m = next_or_fail(*sub);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->kind, Message::Kind::reconnected);
  auto pub = Client::dial("tcp", server.addr(), {});
  ASSERT_TRUE(pub);
  EXPECT_EQ((*pub)->cmd("PUBLISH", "f", "after").integer().value_or(-1), 1);
  m = next_or_fail(*sub);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->payload, "after");
}

INSTANTIATE_TEST_SUITE_P(Protocols, SubscriberRecovery, ::testing::Values(2, 3),
                         [](const auto& param_info) { return "resp" + std::to_string(param_info.param); });

TEST(SubscriberBuffer, ASlowConsumerLosesTheOldestMessagesCountedButNeverANotice) {
  RedisServer server;
  SubscriberOptions o;
  o.buffer_size = 100;
  Subscriber::CreateResult created = Subscriber::create("tcp", server.addr(), o);
  ASSERT_FALSE(created.error);
  std::unique_ptr<Subscriber>& sub = created.subscriber;  // lambdas can't capture a structured binding
  ASSERT_FALSE(sub->subscribe({"slow"}));
  auto pub = std::move(*Client::dial("tcp", server.addr(), {}));
  auto publish = [&](int from, int to) {
    for (int i = from; i < to; ++i) pub->pipe_append("PUBLISH", "slow", std::to_string(i));
    while (pub->pipe_pending() != 0) ASSERT_EQ(pub->pipe_resp().integer().value_or(-1), 1);
  };
  publish(0, 1000);
  ASSERT_TRUE(wait_until([&] { return sub->stats().received == 1000; }));
  SubscriberStats s = sub->stats();
  EXPECT_EQ(s.buffered, 100u);
  EXPECT_EQ(s.dropped, 900u);

  // A notice into the full buffer pushes out a message, never itself.
  EXPECT_EQ(server.raw_command("CLIENT KILL TYPE pubsub"), ":1\r\n");
  ASSERT_TRUE(wait_until([&] { return sub->stats().reconnects == 1; }));
  publish(1000, 1050);
  ASSERT_TRUE(wait_until([&] { return sub->stats().received == 1050; }));
  s = sub->stats();
  EXPECT_EQ(s.buffered, 100u);
  EXPECT_EQ(s.dropped, 951u);

  std::vector<std::string> got;
  while (std::optional<Message> m = sub->next(0ms))
    got.push_back(m->kind == Message::Kind::reconnected ? "notice" : m->payload);
  ASSERT_EQ(got.size(), 100u);
  EXPECT_EQ(got[0], "951");
  EXPECT_EQ(got[48], "999");
  EXPECT_EQ(got[49], "notice");
  EXPECT_EQ(got[50], "1000");
  EXPECT_EQ(got[99], "1049");
  EXPECT_EQ(sub->stats().delivered, 100u);
}

}  // namespace
}  // namespace respool::test
