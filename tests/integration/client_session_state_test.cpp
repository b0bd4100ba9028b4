// is_clean(): the pool hands out only connections in the state dial() left
// them in. And close(): idempotent, later calls fail with client_closed.
#include <gtest/gtest.h>

#include <memory>

#include "client_helpers.hpp"
#include "redis_server.hpp"
#include "respool/client.hpp"
#include "respool/error.hpp"

namespace respool {
namespace {

using test::dial_shared;

TEST(ClientSessionState, FreshClientIsCleanAndStaysCleanAfterPlainCommands) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->is_clean());
  (void)c->cmd("SET", "k", "v");
  (void)c->cmd("GET", "k");
  (void)c->cmd("NOSUCHCOMMAND");
  EXPECT_TRUE(c->is_clean());
}

TEST(ClientSessionState, MultiUntilExecOrDiscard) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->cmd("MULTI").str().value(), "OK");
  EXPECT_FALSE(c->is_clean());
  EXPECT_EQ(c->cmd("INCR", "n").str().value(), "QUEUED");
  EXPECT_FALSE(c->is_clean());
  EXPECT_EQ(c->cmd("EXEC").array().value().size(), 1u);
  EXPECT_TRUE(c->is_clean());
  (void)c->cmd("multi");  // any case
  EXPECT_FALSE(c->is_clean());
  (void)c->cmd("Discard");
  EXPECT_TRUE(c->is_clean());
}

TEST(ClientSessionState, WatchUntilUnwatchOrExec) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  (void)c->cmd("WATCH", "k");
  EXPECT_FALSE(c->is_clean());
  (void)c->cmd("UNWATCH");
  EXPECT_TRUE(c->is_clean());
  (void)c->cmd("watch", "k");
  (void)c->cmd("MULTI");
  (void)c->cmd("EXEC");
  EXPECT_TRUE(c->is_clean());
}

TEST(ClientSessionState, SessionChangingCommandsAreSticky) {
  for (const char* name : {"SELECT", "select", "CLIENT", "HELLO", "AUTH", "RESET", "MONITOR", "SUBSCRIBE",
                           "PSUBSCRIBE", "SSUBSCRIBE", "QUIT", "READONLY", "readwrite", "ASKING"}) {
    auto c = dial_shared();
    ASSERT_TRUE(c);
    c->pipe_append(name, "x");  // noted when queued; never sent
    (void)c->pipe_clear();
    EXPECT_FALSE(c->is_clean()) << name;
    (void)c->cmd("PING");
    (void)c->cmd("EXEC");
    EXPECT_FALSE(c->is_clean()) << name << " (sticky)";
  }
}

TEST(ClientSessionState, SelectAndClientSetnameRunForRealMakeItUnclean) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->cmd("CLIENT", "SETNAME", "renamed").str().value(), "OK");
  EXPECT_FALSE(c->is_clean());
  auto d = dial_shared();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->cmd("SELECT", 1).str().value(), "OK");
  EXPECT_FALSE(d->is_clean());
}

TEST(ClientSessionState, SimilarNamesDoNotCount) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  for (const char* name :
       {"EXECX", "MULT", "SELECTS", "CLIENTS", "GET", "SUBSCRIBEX", "UNSUBSCRIBED", "PUBLISH"})
    c->pipe_append(name);
  (void)c->pipe_clear();
  EXPECT_TRUE(c->is_clean());
}

TEST(ClientSessionState, CloseIsIdempotentAndLaterCallsFailWithClientClosed) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  c->close();
  c->close();
  EXPECT_TRUE(c->is_closed());
  EXPECT_FALSE(c->is_clean());
  EXPECT_FALSE(c->last_critical());  // closed by the caller, not by an error
  EXPECT_EQ(c->cmd("PING").err(), errc::client_closed);
  EXPECT_EQ(c->read_reply().err(), errc::client_closed);
  c->pipe_append("PING");
  EXPECT_EQ(c->pipe_resp().err(), errc::client_closed);
  EXPECT_EQ(c->pipe_pending(), 0u);
  EXPECT_EQ(c->native_handle(), -1);
  c->close();
}

}  // namespace
}  // namespace respool
