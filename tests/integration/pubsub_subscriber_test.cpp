// Subscriber against the shared server, over RESP2 and RESP3: many
// channels and patterns (every message once, in order per channel),
// unsubscribes, shard channels on a plain server, the callback (which may
// subscribe from inside), bad options and refusals.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "pubsub_helpers.hpp"

namespace respool::test {
namespace {

class SubscriberTest : public ::testing::TestWithParam<int> {
 protected:
  SubscriberOptions options() const {
    SubscriberOptions o;
    o.dial_options.protocol = GetParam();
    return o;
  }
  std::string prefix(const std::string& name) const { return name + ":" + std::to_string(GetParam()) + ":"; }
};

TEST_P(SubscriberTest, HundredChannelsAndTenPatternsDeliverEveryMessageOnceInOrder) {
  auto [sub, err] = Subscriber::create("tcp", shared_server().addr(), options());
  ASSERT_FALSE(err) << err.message();
  const std::string p = prefix("many");
  std::vector<std::string> channels, patterns;
  for (int i = 0; i < 100; ++i) channels.push_back(p + "ch:" + std::to_string(i));
  for (int i = 0; i < 10; ++i) patterns.push_back(p + "pat:" + std::to_string(i) + ":*");
  ASSERT_FALSE(sub->subscribe(channels));
  ASSERT_FALSE(sub->psubscribe(patterns));

  auto pub = dial_shared();
  ASSERT_TRUE(pub);
  constexpr int rounds = 20;
  for (int r = 0; r < rounds; ++r) {
    for (const auto& c : channels) pub->pipe_append("PUBLISH", c, std::to_string(r));
    for (int i = 0; i < 10; ++i)
      pub->pipe_append("PUBLISH", p + "pat:" + std::to_string(i) + ":x", std::to_string(r));
    while (pub->pipe_pending() != 0) ASSERT_EQ(pub->pipe_resp().integer().value_or(-1), 1);
  }

  std::map<std::string, int> next_seq;  // channel -> next payload expected
  const int total = rounds * 110;
  for (int n = 0; n < total; ++n) {
    std::optional<Message> m = sub->next(std::chrono::seconds(5));
    ASSERT_TRUE(m) << "after " << n << " messages";
    if (m->channel.starts_with(p + "ch:")) {
      EXPECT_EQ(m->kind, Message::Kind::message);
      EXPECT_TRUE(m->pattern.empty());
    } else {
      EXPECT_EQ(m->kind, Message::Kind::pmessage);
      EXPECT_EQ(m->pattern, m->channel.substr(0, m->channel.size() - 1) + "*");
    }
    EXPECT_EQ(m->payload, std::to_string(next_seq[m->channel]++)) << m->channel;
  }
  EXPECT_EQ(next_seq.size(), 110u);
  EXPECT_FALSE(sub->next(std::chrono::milliseconds(200))) << "a message arrived twice";
  SubscriberStats s = sub->stats();
  EXPECT_EQ(s.received, static_cast<std::uint64_t>(total));
  EXPECT_EQ(s.delivered, static_cast<std::uint64_t>(total));
  EXPECT_EQ(s.dropped, 0u);
  EXPECT_EQ(s.reconnects, 0u);
  EXPECT_EQ(s.buffered, 0u);
}

TEST_P(SubscriberTest, UnsubscribedNamesGetNothingMore) {
  auto [sub, err] = Subscriber::create("tcp", shared_server().addr(), options());
  ASSERT_FALSE(err);
  const std::string a = prefix("unsub") + "a", b = prefix("unsub") + "b";
  ASSERT_FALSE(sub->subscribe({a, b}));
  ASSERT_FALSE(sub->psubscribe({prefix("unsub") + "*"}));
  ASSERT_FALSE(sub->unsubscribe({a}));
  ASSERT_FALSE(sub->punsubscribe());  // every pattern
  auto pub = dial_shared();
  EXPECT_EQ(pub->cmd("PUBLISH", a, "1").integer().value_or(-1), 0);
  EXPECT_EQ(pub->cmd("PUBLISH", b, "2").integer().value_or(-1), 1);
  std::optional<Message> m = sub->next(std::chrono::seconds(5));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->channel, b);
  EXPECT_EQ(m->payload, "2");
  ASSERT_FALSE(sub->unsubscribe());  // every channel
  EXPECT_EQ(pub->cmd("PUBLISH", b, "3").integer().value_or(-1), 0);
  EXPECT_FALSE(sub->next(std::chrono::milliseconds(100)));
  // Nothing to unsubscribe: no round trip, no error.
  EXPECT_FALSE(sub->unsubscribe());
  EXPECT_FALSE(sub->subscribe({}));
}

TEST_P(SubscriberTest, ShardChannelsWorkOnAPlainServer) {
  auto [sub, err] = Subscriber::create("tcp", shared_server().addr(), options());
  ASSERT_FALSE(err);
  const std::string s = prefix("shard") + "s";
  ASSERT_FALSE(sub->ssubscribe({s}));
  auto pub = dial_shared();
  EXPECT_EQ(pub->cmd("SPUBLISH", s, "x").integer().value_or(-1), 1);
  std::optional<Message> m = sub->next(std::chrono::seconds(5));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->kind, Message::Kind::smessage);
  EXPECT_EQ(m->channel, s);
  EXPECT_EQ(m->payload, "x");
  ASSERT_FALSE(sub->sunsubscribe({s}));
  EXPECT_EQ(pub->cmd("SPUBLISH", s, "y").integer().value_or(-1), 0);
}

TEST_P(SubscriberTest, CallbackRunsOnTheReaderAndMaySubscribeFromInside) {
  std::mutex mu;
  std::vector<std::string> got;
  std::atomic<Subscriber*> self{nullptr};
  const std::string first = prefix("cb") + "first", second = prefix("cb") + "second";
  SubscriberOptions o = options();
  o.on_message = [&](Message&& m) {
    if (m.channel == first && m.payload == "go") {
      // Would deadlock if it waited for the reader (this thread).
      EXPECT_FALSE(self.load()->subscribe({second}));
    }
    std::lock_guard lock(mu);
    got.push_back(m.channel + "=" + m.payload);
  };
  auto [sub, err] = Subscriber::create("tcp", shared_server().addr(), o);
  ASSERT_FALSE(err);
  self = sub.get();
  ASSERT_FALSE(sub->subscribe({first}));
  auto pub = dial_shared();
  pub->cmd("PUBLISH", first, "go");
  ASSERT_TRUE(wait_until(
      [&] { return pub->cmd("PUBSUB", "NUMSUB", second).array()->back().integer().value_or(0) == 1; }));
  pub->cmd("PUBLISH", second, "hello");
  ASSERT_TRUE(wait_until([&] {
    std::lock_guard lock(mu);
    return got.size() == 2;
  }));
  std::lock_guard lock(mu);
  EXPECT_EQ(got, (std::vector<std::string>{first + "=go", second + "=hello"}));
  EXPECT_FALSE(sub->next(std::chrono::milliseconds(0)));  // nothing is buffered with a callback
}

INSTANTIATE_TEST_SUITE_P(Protocols, SubscriberTest, ::testing::Values(2, 3),
                         [](const auto& param_info) { return "resp" + std::to_string(param_info.param); });

TEST(Subscriber, TheCallbackMayDestroyItsSubscriber) {
  std::mutex mu;
  std::unique_ptr<Subscriber> holder;
  std::atomic<bool> gone{false};
  SubscriberOptions o;
  o.on_message = [&](Message&&) {
    std::unique_ptr<Subscriber> victim;
    {
      std::lock_guard lock(mu);
      victim = std::move(holder);
    }
    victim.reset();  // on the reader thread: no join of itself
    gone = true;
  };
  auto created = Subscriber::create("tcp", shared_server().addr(), o);
  ASSERT_FALSE(created.error);
  ASSERT_FALSE(created.subscriber->subscribe({"cb:destroy"}));
  {
    std::lock_guard lock(mu);
    holder = std::move(created.subscriber);
  }
  auto pub = dial_shared();
  pub->cmd("PUBLISH", "cb:destroy", "bye");
  EXPECT_TRUE(wait_until([&] { return gone.load(); }));
  // Its thread ends on its own and closes its connection.
  EXPECT_TRUE(wait_until([&] {
    return pub->cmd("PUBSUB", "NUMSUB", "cb:destroy").array()->back().integer().value_or(-1) == 0;
  }));
}

TEST(Subscriber, InvalidOptionsGiveNoSubscriber) {
  SubscriberOptions o;
  o.buffer_size = 0;
  EXPECT_EQ(Subscriber::create("tcp", shared_server().addr(), o).error, errc::invalid_argument);
  o = {};
  o.min_backoff = std::chrono::seconds(3);
  o.max_backoff = std::chrono::seconds(1);
  EXPECT_EQ(Subscriber::create("tcp", shared_server().addr(), o).error, errc::invalid_argument);
  auto bad = Subscriber::create("udp", shared_server().addr());
  EXPECT_EQ(bad.error, errc::unknown_network);
  EXPECT_FALSE(bad.subscriber);
  EXPECT_EQ(Subscriber::create("tcp", "no-port-here").error, errc::bad_address);
}

TEST(Subscriber, AnUnreachableServerStillGivesASubscriberThatWaitsForIt) {
  SubscriberOptions o;
  o.confirm_timeout = std::chrono::milliseconds(200);
  auto [sub, err] = Subscriber::create("tcp", "127.0.0.1:" + std::to_string(free_port()), o);
  EXPECT_TRUE(err);
  ASSERT_TRUE(sub);
  EXPECT_EQ(sub->subscribe({"x"}), errc::timeout);
  sub->close();
  EXPECT_EQ(sub->subscribe({"y"}), errc::client_closed);
  EXPECT_FALSE(sub->next(std::chrono::seconds(1)));
}

TEST(Subscriber, ARefusedSubscriptionIsAServerError) {
  // An ACL user who may only use channels "ok:*".
  const std::string user = "pubsub_limited";
  ASSERT_EQ(shared_server().raw_command("ACL SETUSER " + user + " on nopass resetchannels &ok:* +@all ~*"),
            "+OK\r\n");
  SubscriberOptions o;
  o.dial_options.username = user;
  o.dial_options.password = "any";
  auto [sub, err] = Subscriber::create("tcp", shared_server().addr(), o);
  ASSERT_FALSE(err) << err.message();
  EXPECT_EQ(sub->subscribe({"ok:1", "forbidden"}), errc::server_error);
  auto pub = dial_shared();
  EXPECT_EQ(pub->cmd("PUBLISH", "ok:1", "v").integer().value_or(-1), 1);
  std::optional<Message> m = sub->next(std::chrono::seconds(5));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->channel, "ok:1");
  shared_server().raw_command("ACL DELUSER " + user);
}

}  // namespace
}  // namespace respool::test
