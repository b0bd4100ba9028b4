// respool::Script against a real server: the SHA1 is the server's, EVALSHA
// first and EVAL only after NOSCRIPT (counted on the server), after SCRIPT
// FLUSH and after a restart; keys and arguments; script errors are not
// re-sent; the Client overload.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "pool_helpers.hpp"
#include "redis_server.hpp"
#include "respool/respool.hpp"

namespace respool::test {
namespace {

// How many times the server ran `command` (INFO commandstats, calls=N).
long long calls(const RedisServer& server, const std::string& command) {
  const std::string text = server.raw_command("INFO commandstats");
  const std::string field = "cmdstat_" + command + ":calls=";
  const auto at = text.find(field);
  return at == std::string::npos ? 0 : std::atoll(text.c_str() + at + field.size());
}

const char* const kIncrBy = "return redis.call('INCRBY', KEYS[1], ARGV[1])";

TEST(Script, Sha1IsWhatTheServerComputes) {
  Script s{kIncrBy};
  auto pool = pooltest::must_create("tcp", shared_server().addr(), 1);
  EXPECT_EQ(s.sha1().size(), 40u);
  EXPECT_EQ(pool->cmd("SCRIPT", "LOAD", s.source()).str().value_or(""), s.sha1());
  EXPECT_EQ(Script{""}.sha1(), "da39a3ee5e6b4b0d3255bfef95601890afd80709");  // SHA1 of nothing
}

TEST(Script, EvalOnlyAfterNoscriptThenEvalsha) {
  RedisServer server;
  auto pool = pooltest::must_create("tcp", server.addr(), 2);
  Script s{kIncrBy};
  EXPECT_EQ(s.run(*pool, {"counter"}, {"5"}).integer().value_or(-1), 5);  // NOSCRIPT, then EVAL
  EXPECT_EQ(calls(server, "eval"), 1);
  EXPECT_EQ(s.run(*pool, {"counter"}, {"5"}).integer().value_or(-1), 10);  // cached now
  EXPECT_EQ(s.run(*pool, {"counter"}, {"5"}).integer().value_or(-1), 15);
  EXPECT_EQ(calls(server, "eval"), 1);
  EXPECT_GE(calls(server, "evalsha"), 2);

  // The server forgets it: NOSCRIPT, loaded again, run once.
  ASSERT_EQ(server.raw_command("SCRIPT FLUSH"), "+OK\r\n");
  EXPECT_EQ(s.run(*pool, {"counter"}, {"5"}).integer().value_or(-1), 20);
  EXPECT_EQ(calls(server, "eval"), 2);
  EXPECT_EQ(pool->cmd("GET", "counter").integer().value_or(-1), 20);
}

TEST(Script, WorksAfterTheServerRestarts) {
  RedisServer server;
  auto pool = pooltest::must_create("tcp", server.addr(), 2);
  Script s{"redis.call('SET', KEYS[1], ARGV[1]); return redis.call('GET', KEYS[1])"};
  EXPECT_EQ(s.run(*pool, {"k"}, {"one"}).str().value_or(""), "one");
  EXPECT_EQ(s.run(*pool, {"k"}, {"two"}).str().value_or(""), "two");
  server.stop();
  server.start();  // empty script cache, and the pool's idle connections are dead
  Resp r = s.run(*pool, {"k"}, {"three"});
  EXPECT_EQ(r.str().value_or(""), "three") << r.to_string();
  EXPECT_EQ(calls(server, "eval"), 1);
  EXPECT_EQ(s.run(*pool, {"k"}, {"four"}).str().value_or(""), "four");
  EXPECT_EQ(calls(server, "eval"), 1);
}

TEST(Script, KeysAndArgumentsFromRangesAndNoneAtAll) {
  auto pool = pooltest::must_create("tcp", shared_server().addr(), 1);
  Script s{"return {#KEYS, #ARGV, KEYS[1], ARGV[2]}"};
  const std::vector<std::string> keys{"script:a", "script:b"};
  const std::vector<std::string> args{"x", "y", "z"};
  Resp r = s.run(*pool, keys, args);
  EXPECT_EQ(r.to_string(), "[2, 3, \"script:a\", \"y\"]");
  Script none{"return 7"};
  EXPECT_EQ(none.run(*pool).integer().value_or(-1), 7);
}

TEST(Script, AScriptErrorIsReturnedAndNotSentAgain) {
  RedisServer server;
  auto pool = pooltest::must_create("tcp", server.addr(), 1);
  Script s{"return redis.error_reply('MYERR nope')"};
  Resp r = s.run(*pool);  // NOSCRIPT, EVAL: the error
  EXPECT_TRUE(r.is_server_error());
  EXPECT_NE(r.error_message().find("MYERR nope"), std::string::npos) << r.to_string();
  r = s.run(*pool);  // EVALSHA: the error, and no EVAL after it
  EXPECT_TRUE(r.is_server_error());
  EXPECT_EQ(calls(server, "eval"), 1);
}

TEST(Script, RunsOnAClientToo) {
  RedisServer server;
  auto c = Client::dial("tcp", server.addr());
  ASSERT_TRUE(c) << c.error().message();
  Script s{kIncrBy};
  EXPECT_EQ(s.run(**c, {"n"}, {"2"}).integer().value_or(-1), 2);
  EXPECT_EQ(s.run(**c, {"n"}, {"2"}).integer().value_or(-1), 4);
  EXPECT_EQ(calls(server, "eval"), 1);
  EXPECT_TRUE((*c)->is_clean());
}

TEST(Script, AnIoErrorIsReturnedNotRetried) {
  RedisServer server;
  auto pool = pooltest::must_create("tcp", server.addr(), 1);
  Script s{kIncrBy};
  EXPECT_EQ(s.run(*pool, {"n"}, {"1"}).integer().value_or(-1), 1);
  server.kill();
  Resp r = s.run(*pool, {"n"}, {"1"});
  EXPECT_TRUE(r.is_io_error()) << r.to_string();
}

}  // namespace
}  // namespace respool::test
