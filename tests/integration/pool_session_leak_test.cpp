// What one caller does to a connection never reaches the next caller
// through the pool: the review's reproductions, checked against the server.
#include "pool_helpers.hpp"

namespace pooltest {
namespace {

// WATCH, then EXEC without MULTI: the server answers "EXEC without MULTI"
// and keeps the WATCH. The connection must not go back as clean, or the
// next caller's transaction is aborted by a stranger's WATCH.
TEST_F(PoolTest, WatchThenExecWithoutMultiNeverReachesTheNextCaller) {
  auto pool = must_create("tcp", server.addr(), 1);
  auto observer = respool::Client::dial("tcp", server.addr());
  ASSERT_TRUE(observer);
  for (const char* ender : {"EXEC", "DISCARD"}) {
    {
      auto a = must_get(*pool);
      ASSERT_FALSE(a->cmd("WATCH", "leak:k").err());
      Resp r = a->cmd(ender);
      ASSERT_TRUE(r.is_server_error()) << r.to_string();  // "... without MULTI"
      EXPECT_TRUE(a->session().watching);
      EXPECT_FALSE(a->is_clean());
      pool->put(std::move(a));
    }
    auto b = must_get(*pool);
    ASSERT_FALSE((*observer)->cmd("SET", "leak:k", "changed").err());  // a stranger's key changes
    ASSERT_EQ(b->cmd("MULTI").str().value_or("?"), "OK");
    ASSERT_EQ(b->cmd("SET", "leak:mine", 1).str().value_or("?"), "QUEUED");
    Resp exec = b->cmd("EXEC");
    EXPECT_FALSE(exec.is_nil()) << "the next caller's MULTI/EXEC was aborted by the previous caller's WATCH";
    EXPECT_EQ(exec.elements().size(), 1u);
    pool->put(std::move(b));
  }
  EXPECT_EQ(pool->stats().closed_unclean, 2u);
}

// Read-only CLIENT subcommands keep the connection; those that change the
// session do not.
TEST_F(PoolTest, ReadOnlyClientSubcommandsKeepTheConnection) {
  auto pool = must_create("tcp", server.addr(), 1);
  const auto id = pool->cmd("CLIENT", "ID").integer();
  ASSERT_TRUE(id);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(pool->cmd("CLIENT", "ID").integer().value_or(-1), *id);  // the same connection each time
    EXPECT_TRUE(pool->cmd("client", "info").str());
    EXPECT_TRUE(pool->cmd("CLIENT", "LIST", "ID", *id).str());
    EXPECT_FALSE(pool->cmd("CLIENT", "GETNAME").err());
  }
  EXPECT_EQ(pool->stats().closed_unclean, 0u);
  EXPECT_EQ(pool->stats().dials, 1u);

  ASSERT_EQ(pool->cmd("CLIENT", "SETNAME", "mine").str().value_or("?"), "OK");
  EXPECT_EQ(pool->stats().closed_unclean, 1u);
  EXPECT_NE(pool->cmd("CLIENT", "ID").integer().value_or(-1), *id);
  EXPECT_TRUE(pool->cmd("CLIENT", "GETNAME").is_nil());  // the name stayed with the closed connection
  ASSERT_EQ(pool->cmd("CLIENT", "NO-EVICT", "on").str().value_or("?"), "OK");
  EXPECT_EQ(pool->stats().closed_unclean, 2u);
}

}  // namespace
}  // namespace pooltest
