// Pipelining: pipe_append queues locally, the first pipe_resp sends every
// queued command in one write, replies come back in order; cmd() refuses to
// run while a pipeline is outstanding; pipe_clear re-aligns the stream;
// pipe_send writes the queued commands without reading.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "client_helpers.hpp"
#include "fault_proxy.hpp"
#include "net/socket.hpp"
#include "redis_server.hpp"
#include "respool/client.hpp"
#include "respool/error.hpp"

namespace respool {
namespace {

using test::dial_shared;

TEST(ClientPipeline, OneCommand) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  c->pipe_append("PING");
  EXPECT_EQ(c->pipe_pending(), 1u);
  EXPECT_EQ(c->pipe_resp().str().value(), "PONG");
  EXPECT_EQ(c->pipe_pending(), 0u);
  EXPECT_TRUE(c->is_clean());
}

TEST(ClientPipeline, EmptyPipelineRespIsNotCritical) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  Resp r = c->pipe_resp();
  EXPECT_EQ(r.err(), errc::pipeline_empty);
  EXPECT_FALSE(c->last_critical());
  EXPECT_EQ(c->cmd("PING").str().value(), "PONG");
}

TEST(ClientPipeline, TenThousandCommandsGoOutInOneSendAndAnswerInOrder) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  constexpr int n = 10'000;
  for (int i = 0; i < n; ++i) c->pipe_append("INCR", "counter");
  EXPECT_EQ(c->pipe_pending(), static_cast<std::size_t>(n));
  const auto before = net::io_counters();
  for (int i = 1; i <= n; ++i) {
    Resp r = c->pipe_resp();
    ASSERT_EQ(r.integer().value(), i) << r.to_string();
  }
  const auto after = net::io_counters();
  EXPECT_EQ(after.sends - before.sends, 1u);
  // ~70 KB of replies: a handful of 16 KiB reads, not one per reply.
  EXPECT_LT(after.recvs - before.recvs, 200u);
  EXPECT_EQ(c->pipe_pending(), 0u);
  EXPECT_TRUE(c->is_clean());
}

TEST(ClientPipeline, MixedRepliesIncludingErrorsStayInOrder) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  c->pipe_append("SET", "k", "v");
  c->pipe_append("NOSUCHCOMMAND");
  c->pipe_append("GET", "k");
  c->pipe_append("GET", "missing");
  EXPECT_EQ(c->pipe_resp().str().value(), "OK");
  EXPECT_TRUE(c->pipe_resp().is_server_error());
  EXPECT_EQ(c->pipe_resp().str().value(), "v");
  EXPECT_TRUE(c->pipe_resp().is_nil());
  EXPECT_EQ(c->pipe_resp().err(), errc::pipeline_empty);
}

TEST(ClientPipeline, AppendAfterPartialReadSendsTheNewCommandsNext) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  c->pipe_append("ECHO", "a");
  c->pipe_append("ECHO", "b");
  EXPECT_EQ(c->pipe_resp().str().value(), "a");
  c->pipe_append("ECHO", "c");
  EXPECT_EQ(c->pipe_pending(), 2u);
  EXPECT_EQ(c->pipe_resp().str().value(), "b");
  EXPECT_EQ(c->pipe_resp().str().value(), "c");
}

TEST(ClientPipeline, CmdWhileCommandsAreQueuedIsBusyAndSendsNothing) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  c->pipe_append("SET", "k", "queued");
  Resp r = c->cmd("SET", "k", "direct");
  EXPECT_EQ(r.err(), errc::pipeline_busy);
  EXPECT_FALSE(c->last_critical());
  EXPECT_FALSE(c->is_closed());
  EXPECT_EQ(c->pipe_pending(), 1u);
  EXPECT_EQ(c->pipe_resp().str().value(), "OK");
  EXPECT_EQ(c->cmd("GET", "k").str().value(), "queued");  // the refused SET never ran
}

TEST(ClientPipeline, CmdWhileRepliesAreUnreadIsBusy) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  c->pipe_append("ECHO", "1");
  c->pipe_append("ECHO", "2");
  EXPECT_EQ(c->pipe_resp().str().value(), "1");
  EXPECT_EQ(c->cmd("PING").err(), errc::pipeline_busy);
  EXPECT_EQ(c->read_reply().err(), errc::pipeline_busy);
  EXPECT_EQ(c->pipe_resp().str().value(), "2");
  EXPECT_EQ(c->cmd("PING").str().value(), "PONG");
}

TEST(ClientPipeline, ClearDropsQueuedCommandsUnsent) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  c->pipe_append("SET", "never", "1");
  c->pipe_append("SET", "never2", "1");
  auto [dropped, discarded] = c->pipe_clear();
  EXPECT_EQ(dropped, 2u);
  EXPECT_EQ(discarded, 0u);
  EXPECT_EQ(c->pipe_pending(), 0u);
  EXPECT_EQ(c->cmd("EXISTS", "never", "never2").integer().value(), 0);
}

TEST(ClientPipeline, ClearDrainsOwedRepliesSoTheNextCmdGetsItsOwn) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  for (int i = 0; i < 5; ++i) c->pipe_append("ECHO", i);
  EXPECT_EQ(c->pipe_resp().str().value(), "0");  // sends all five, reads one
  c->pipe_append("ECHO", "queued");
  auto [dropped, discarded] = c->pipe_clear();
  EXPECT_EQ(dropped, 1u);
  EXPECT_EQ(discarded, 4u);
  EXPECT_TRUE(c->is_clean());
  EXPECT_EQ(c->cmd("ECHO", "mine").str().value(), "mine");
}

TEST(ClientPipeline, QueuedCommandsMakeTheClientUnclean) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  c->pipe_append("PING");
  EXPECT_FALSE(c->is_clean());
  (void)c->pipe_resp();
  EXPECT_TRUE(c->is_clean());
}

TEST(ClientPipeline, PipeSendWritesNowAndPipeRespReadsTheRepliesAfter) {
  auto c = dial_shared();
  auto probe = dial_shared();
  ASSERT_TRUE(c && probe);
  const std::string key = "pipe_send:" + std::to_string(c->cmd("CLIENT", "ID").integer().value_or(0));
  for (int i = 0; i < 3; ++i) c->pipe_append("INCR", key);
  const auto before = net::io_counters();
  EXPECT_FALSE(c->pipe_send());
  const auto sent = net::io_counters();
  EXPECT_EQ(sent.sends - before.sends, 1u);
  EXPECT_EQ(sent.recvs - before.recvs, 0u);  // nothing read yet
  EXPECT_EQ(c->pipe_pending(), 3u);
  // The server ran them before any reply was read.
  EXPECT_TRUE(test::wait_until([&] { return probe->cmd("GET", key).str().value_or("") == "3"; }));
  const auto read_from = net::io_counters();  // (the probe's commands counted too)
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(c->pipe_resp().integer().value_or(-1), i);
  EXPECT_EQ(net::io_counters().sends - read_from.sends, 0u);  // pipe_resp wrote nothing more
  EXPECT_TRUE(c->is_clean());
}

TEST(ClientPipeline, PipeSendWithNothingQueuedDoesNothing) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  const auto before = net::io_counters();
  EXPECT_FALSE(c->pipe_send());
  EXPECT_EQ(net::io_counters().sends - before.sends, 0u);
  EXPECT_EQ(c->pipe_resp().err(), errc::pipeline_empty);
  EXPECT_EQ(c->cmd("PING").str().value_or("?"), "PONG");
}

TEST(ClientPipeline, PipeSendOnAClosedClientReturnsItsError) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  c->close();
  c->pipe_append("PING");
  EXPECT_EQ(c->pipe_send(), errc::client_closed);
  const Resp r = c->pipe_resp();
  EXPECT_EQ(r.err(), errc::client_closed);
  EXPECT_EQ(r.delivery(), Delivery::not_sent);
}

TEST(ClientPipeline, AFailedPipeSendLeavesEachReplyItsFailureNotSent) {
  test::FaultProxy proxy(test::shared_server().port());
  auto d = Client::dial("tcp", proxy.addr());
  ASSERT_TRUE(d);
  auto& c = *d;
  proxy.reset_all();  // RST: the kernel refuses the next write
  ASSERT_TRUE(test::wait_until([&] { return c->peer_closed(); }));
  for (int i = 0; i < 3; ++i) c->pipe_append("INCR", "pipe_send:never");
  const auto ec = c->pipe_send();
  EXPECT_TRUE(ec);
  EXPECT_TRUE(is_critical(ec)) << ec.message();
  EXPECT_TRUE(c->is_closed());
  for (int i = 0; i < 3; ++i) {
    const Resp r = c->pipe_resp();
    EXPECT_EQ(r.err(), ec) << i;
    EXPECT_EQ(r.delivery(), Delivery::not_sent) << i;
  }
}

}  // namespace
}  // namespace respool
