// The session tracker against the server itself: random sequences of
// MULTI, EXEC, DISCARD, WATCH, UNWATCH, SELECT, RESET, (P)SUBSCRIBE,
// (P)UNSUBSCRIBE, commands queued with syntax errors, EXEC and DISCARD
// without MULTI, nested MULTI and WATCH inside MULTI, in RESP2 and RESP3.
// After each step, what Client::session() says is compared with what the
// server reports for that connection: CLIENT LIST (flags, multi, db, sub,
// psub) from another connection, and, for WATCH, whether a change to the
// watched keys from another connection makes EXEC abort.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "client_helpers.hpp"
#include "respool/client.hpp"

namespace respool {
namespace {

using test::dial_shared;

struct ServerView {
  bool multi = false;
  std::int64_t db = 0;
  std::int64_t subscriptions = 0;
};

// One connection's fields from CLIENT LIST ID, asked on `observer`.
ServerView server_view(Client& observer, std::int64_t id) {
  Resp r = observer.cmd("CLIENT", "LIST", "ID", id);
  std::string line = r.str().value_or("");
  std::map<std::string, std::string> fields;
  std::istringstream in(line);
  for (std::string kv; in >> kv;) {
    auto eq = kv.find('=');
    if (eq != std::string::npos) fields[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  EXPECT_EQ(fields.count("multi"), 1u) << line;
  ServerView v;
  v.multi = fields["multi"] != "-1";
  v.db = std::stoll(fields["db"]);
  v.subscriptions = std::stoll(fields["sub"]) + std::stoll(fields["psub"]);
  return v;
}

const char* const kWatched[] = {"sd:a", "sd:b"};

class SessionDifferential : public ::testing::TestWithParam<int> {};

TEST_P(SessionDifferential, TrackerMatchesTheServerAfterEveryStep) {
  const int protocol = GetParam();
  auto observer = dial_shared();
  ASSERT_TRUE(observer);
  std::mt19937 rng(20261202u + static_cast<unsigned>(protocol));
  int watch_probes = 0, watched_found = 0, steps = 0;

  for (int seq = 0; seq < 120; ++seq) {
    DialOptions o;
    o.protocol = protocol;
    auto c = dial_shared(o);
    ASSERT_TRUE(c);
    Resp id_reply = c->cmd("CLIENT", "ID");  // reads only: the connection stays clean
    const std::int64_t id = id_reply.integer().value_or(-1);
    ASSERT_GT(id, 0);
    ASSERT_TRUE(c->is_clean());
    std::vector<std::string> trace;
    bool resp3 = protocol == 3;  // until a RESET, which goes back to RESP2

    for (int step = 0; step < 14; ++step, ++steps) {
      const auto key = kWatched[rng() % 2];
      // Pub/sub inside MULTI closes the connection (tested on its own).
      const auto pick = rng() % 17;
      switch (c->session().in_multi && pick >= 13 ? 8 : pick) {
        case 0:
        case 1: trace.push_back("MULTI"), (void)c->cmd("MULTI"); break;
        case 2:
        case 3: trace.push_back("EXEC"), (void)c->cmd("EXEC"); break;
        case 4: trace.push_back("DISCARD"), (void)c->cmd("DISCARD"); break;
        case 5:
        case 6: trace.push_back("WATCH"), (void)c->cmd("WATCH", key); break;
        case 7: trace.push_back("UNWATCH"), (void)c->cmd("UNWATCH"); break;
        case 8: trace.push_back("SET"), (void)c->cmd("SET", "sd:other", step); break;
        case 9: trace.push_back("SET(arity)"), (void)c->cmd("SET", "sd:other"); break;
        case 10: trace.push_back("NOSUCH"), (void)c->cmd("NOSUCHCOMMAND", 1); break;
        case 11:
          if (rng() % 3 == 0) trace.push_back("SELECT"), (void)c->cmd("SELECT", rng() % 2);
          break;
        case 12:
          if (rng() % 3 == 0) trace.push_back("RESET"), (void)c->cmd("RESET"), resp3 = false;
          break;
        case 13:
          trace.push_back("SUBSCRIBE");
          c->pipe_append("SUBSCRIBE", "sd:ch1", "sd:ch2");
          break;
        case 14:
          trace.push_back("PSUBSCRIBE");
          c->pipe_append("PSUBSCRIBE", "sd:p*");
          break;
        case 15:
          trace.push_back("UNSUBSCRIBE");
          if (rng() % 2 == 0) {
            c->pipe_append("UNSUBSCRIBE");
          } else {
            c->pipe_append("UNSUBSCRIBE", "sd:ch1");
          }
          break;
        case 16:
          trace.push_back("PUNSUBSCRIBE");
          c->pipe_append("PUNSUBSCRIBE");
          break;
      }
      while (c->pipe_pending() != 0) {
        Resp r = c->pipe_resp();
        ASSERT_FALSE(r.is_io_error()) << r.err().message() << " " << trace.back();
      }
      // Settle what the server may still send (further confirmations of an
      // UNSUBSCRIBE without arguments): a PING's reply comes after them.
      ASSERT_FALSE(c->cmd("PING").is_io_error());
      ASSERT_FALSE(c->is_closed());

      const SessionState s = c->session();
      const ServerView v = server_view(*observer, id);
      std::string where = "protocol ";
      where.append(std::to_string(protocol)).append(", after ");
      for (auto& x : trace) where.append(x).append(" ");
      ASSERT_EQ(s.in_multi, v.multi) << where;
      ASSERT_EQ(s.subscriptions, v.subscriptions) << where;
      if (!s.changed) {
        ASSERT_EQ(v.db, 0) << where;
      }
      ASSERT_EQ(c->is_clean(), !s.in_multi && !s.watching && !s.changed && s.subscriptions == 0) << where;

      // WATCH: change the watched keys from elsewhere; EXEC aborts when the
      // server still watches them. This ends MULTI and WATCH on both sides.
      const bool can_probe = !v.multi && (resp3 || v.subscriptions == 0);
      if (can_probe && rng() % 3 == 0) {
        ++watch_probes;
        for (int db : {1, 0}) {  // the keys were watched in either
          ASSERT_FALSE(observer->cmd("SELECT", db).err());
          for (auto k : kWatched) ASSERT_FALSE(observer->cmd("INCR", k).err());
        }
        Resp multi = c->cmd("MULTI");
        ASSERT_EQ(multi.str().value_or("?"), "OK") << where << multi.to_string();
        Resp exec = c->cmd("EXEC");
        ASSERT_FALSE(exec.err()) << where << exec.to_string();
        const bool server_watching = exec.is_nil();
        watched_found += server_watching ? 1 : 0;
        ASSERT_EQ(s.watching, server_watching) << where;
        ASSERT_FALSE(c->session().watching);
        trace.push_back("(probe)");
      }
    }
  }
  // The sequences reached the states worth checking.
  EXPECT_GT(watch_probes, 100);
  EXPECT_GT(watched_found, 10);
  EXPECT_EQ(steps, 120 * 14);
}

INSTANTIATE_TEST_SUITE_P(Protocols, SessionDifferential, ::testing::Values(2, 3));

}  // namespace
}  // namespace respool
