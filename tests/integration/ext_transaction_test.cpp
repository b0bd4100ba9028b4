// respool::transaction against a real server: concurrent read-modify-write
// is exact and its retries are counted, an exception or abort() in the
// function leaves no WATCH behind (checked on the server), max_attempts
// exhausted, errors inside EXEC's reply, EXECABORT, refused commands.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "pool_helpers.hpp"
#include "redis_server.hpp"
#include "respool/respool.hpp"

namespace respool::test {
namespace {

using namespace std::chrono_literals;

// A key of this test alone on the shared server.
std::string test_key(const std::string& suffix) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return std::string("txn:") + info->name() + ":" + suffix;
}

TEST(Transaction, SixteenThreadsIncrementOneKeyExactlyAndRetriesAreCounted) {
  auto pool = pooltest::must_create("tcp", shared_server().addr(), 16);
  const std::string key = test_key("counter");
  ASSERT_FALSE(pool->cmd("DEL", key).err());
  constexpr int kThreads = 16;
  constexpr int kEach = 200;
  std::atomic<long> aborted{0}, attempts{0}, failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        TransactionStats stats;
        auto out = transaction(
            *pool, {key},
            [&](Transaction& tx) {
              auto n = tx.cmd("GET", key).integer();  // nil on the first: 0
              tx.queue("SET", key, n.value_or(0) + 1);
            },
            TransactionOptions{.max_attempts = 1000, .stats = &stats});
        if (!out || out->size() != 1 || (*out)[0].str().value_or("") != "OK") ++failures;
        aborted += stats.aborted;
        attempts += stats.attempts;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(pool->cmd("GET", key).integer().value_or(-1), kThreads * kEach);
  EXPECT_EQ(attempts.load(), kThreads * kEach + aborted.load());
  EXPECT_GT(aborted.load(), 0) << "16 threads on one key should collide";
  std::printf("[ transaction ] %d transactions, %ld attempts, %ld retries after an aborted EXEC\n",
              kThreads * kEach, attempts.load(), aborted.load());
  RecordProperty("retries", std::to_string(aborted.load()));
  EXPECT_EQ(pool->stats().closed_unclean, 0u);  // every connection went back clean
}

// The pool's one connection: whether the server still has a WATCH on it is
// asked of the server itself: another connection changes `key`, then
// MULTI/SET/EXEC on the pool's connection; EXEC answers nil only if a WATCH
// on `key` survived.
void expect_no_watch_left(Pool& pool, const std::string& key, std::int64_t client_id) {
  EXPECT_EQ(pool.stats().closed_unclean, 0u);
  EXPECT_EQ(pool.avail(), 1);  // kept, not closed
  ASSERT_EQ(shared_server().raw_command("SET " + key + " changed-by-another"), "+OK\r\n");
  Lease l = pool.lease();
  ASSERT_TRUE(l) << l.error().message();
  EXPECT_EQ(l->cmd("CLIENT", "ID").integer().value_or(-1), client_id);  // the same connection
  EXPECT_TRUE(l->is_clean());
  EXPECT_EQ(l->cmd("MULTI").str().value_or(""), "OK");
  EXPECT_EQ(l->cmd("SET", key, "mine").str().value_or(""), "QUEUED");
  Resp exec = l->cmd("EXEC");
  ASSERT_EQ(exec.type(), Resp::Type::array) << "EXEC aborted: a WATCH was left on the connection";
  EXPECT_EQ(l->cmd("GET", key).str().value_or(""), "mine");
}

TEST(Transaction, AnExceptionInTheFunctionLeavesNoWatchOnTheConnection) {
  auto pool = pooltest::must_create("tcp", shared_server().addr(), 1, PoolOptions{.max_open = 1});
  const std::string key = test_key("k");
  std::int64_t id = -1;
  int calls = 0;
  EXPECT_THROW((void)transaction(*pool, {key},
                                 [&](Transaction& tx) {
                                   ++calls;
                                   id = tx.cmd("CLIENT", "ID").integer().value_or(-1);
                                   (void)tx.cmd("GET", key);
                                   tx.queue("SET", key, "never");
                                   throw std::runtime_error("boom");
                                 }),
               std::runtime_error);
  EXPECT_EQ(calls, 1);  // not retried
  EXPECT_NE(pool->cmd("GET", key).str().value_or(""), "never");
  expect_no_watch_left(*pool, key, id);
}

TEST(Transaction, AbortSendsNothingQueuedAndLeavesNoWatch) {
  auto pool = pooltest::must_create("tcp", shared_server().addr(), 1, PoolOptions{.max_open = 1});
  const std::string key = test_key("k");
  ASSERT_FALSE(pool->cmd("SET", key, "before").err());
  std::int64_t id = -1;
  TransactionStats stats;
  auto out = transaction(
      *pool, {key},
      [&](Transaction& tx) {
        id = tx.cmd("CLIENT", "ID").integer().value_or(-1);
        tx.queue("SET", key, "never");
        tx.abort();
      },
      TransactionOptions{.stats = &stats});
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error(), errc::transaction_discarded);
  EXPECT_EQ(stats.attempts, 1);
  EXPECT_EQ(pool->cmd("GET", key).str().value_or(""), "before");
  expect_no_watch_left(*pool, key, id);

  // A reason of the caller's own comes back as given.
  out = transaction(*pool, {key},
                    [](Transaction& tx) { tx.abort(std::make_error_code(std::errc::operation_canceled)); });
  EXPECT_EQ(out.error(), std::errc::operation_canceled);
}

TEST(Transaction, MaxAttemptsExhaustedIsTransactionAbortedAndNothingQueuedRan) {
  auto pool = pooltest::must_create("tcp", shared_server().addr(), 2);
  const std::string key = test_key("k");
  ASSERT_FALSE(pool->cmd("SET", key, 0).err());
  TransactionStats stats;
  int calls = 0;
  auto out = transaction(
      *pool, {key},
      [&](Transaction& tx) {
        ++calls;
        EXPECT_EQ(tx.attempt(), calls);
        (void)tx.cmd("GET", key);
        // Another connection changes the watched key: this EXEC must abort.
        EXPECT_FALSE(pool->cmd("INCR", key).err());
        tx.queue("SET", key, "never");
      },
      TransactionOptions{.max_attempts = 4, .backoff_base = 100us, .backoff_cap = 1ms, .stats = &stats});
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error(), errc::transaction_aborted);
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(stats.attempts, 4);
  EXPECT_EQ(stats.aborted, 4);
  EXPECT_EQ(pool->cmd("GET", key).integer().value_or(-1), 4);  // the INCRs; no SET ran
  EXPECT_EQ(pool->stats().closed_unclean, 0u);                 // EXEC dropped every WATCH
}

TEST(Transaction, AQueuedCommandThatFailsIsAnElementAndTheOthersRan) {
  auto pool = pooltest::must_create("tcp", shared_server().addr(), 1);
  const std::string key = test_key("k");
  auto out = transaction(*pool, {key}, [&](Transaction& tx) {
    tx.queue("SET", key, "text");
    tx.queue("INCR", key);  // fails when run: not an integer
    tx.queue("APPEND", key, "!");
    EXPECT_EQ(tx.queued(), 3u);
  });
  ASSERT_TRUE(out) << out.error().message();
  ASSERT_EQ(out->size(), 3u);
  EXPECT_EQ((*out)[0].str().value_or(""), "OK");
  EXPECT_TRUE((*out)[1].is_server_error());
  EXPECT_NE((*out)[1].error_message().find("not an integer"), std::string::npos);
  EXPECT_EQ((*out)[2].integer().value_or(-1), 5);
  EXPECT_EQ(pool->cmd("GET", key).str().value_or(""), "text!");
}

TEST(Transaction, ACommandRefusedWhenQueuedDiscardsEverything) {
  auto pool = pooltest::must_create("tcp", shared_server().addr(), 1);
  const std::string key = test_key("k");
  ASSERT_FALSE(pool->cmd("SET", key, "before").err());
  TransactionStats stats;
  auto out = transaction(
      *pool, {key},
      [&](Transaction& tx) {
        tx.queue("SET", key, "never");
        tx.queue("SET", key);  // wrong arity: refused at once, EXEC answers EXECABORT
      },
      TransactionOptions{.stats = &stats});
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error(), errc::server_error);
  EXPECT_NE(stats.failure.error_message().find("wrong number of arguments"), std::string::npos)
      << stats.failure.to_string();
  EXPECT_EQ(stats.aborted, 0);
  EXPECT_EQ(pool->cmd("GET", key).str().value_or(""), "before");
  EXPECT_EQ(pool->stats().closed_unclean, 0u);
}

TEST(Transaction, MultiExecDiscardAndWatchInsideAreRefused) {
  auto pool = pooltest::must_create("tcp", shared_server().addr(), 1);
  const std::string key = test_key("k");
  ASSERT_FALSE(pool->cmd("SET", key, "before").err());
  auto out = transaction(*pool, {key}, [&](Transaction& tx) {
    Resp r = tx.cmd("multi");
    EXPECT_EQ(r.err(), errc::invalid_argument);
    EXPECT_EQ(r.delivery(), Delivery::not_sent);
    EXPECT_EQ(tx.cmd("EXEC").err(), errc::invalid_argument);
    EXPECT_EQ(tx.cmd("WATCH", key + ":other").str().value_or(""), "OK");  // watching more is fine
    tx.queue("SET", key, "never");
    tx.queue("WATCH", key);  // not inside MULTI
  });
  EXPECT_EQ(out.error(), errc::invalid_argument);
  EXPECT_EQ(pool->cmd("GET", key).str().value_or(""), "before");
  EXPECT_EQ(pool->stats().closed_unclean, 0u);
}

TEST(Transaction, WithoutKeysItIsMultiExecAlone) {
  auto pool = pooltest::must_create("tcp", shared_server().addr(), 1);
  const std::string key = test_key("k");
  auto out = transaction(*pool, {}, [&](Transaction& tx) {
    tx.queue("SET", key, 1);
    tx.queue("INCRBY", key, 41);
  });
  ASSERT_TRUE(out) << out.error().message();
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[1].integer().value_or(0), 42);

  // Nothing queued: an empty EXEC.
  out = transaction(*pool, std::vector<std::string>{key}, [](Transaction&) {});
  ASSERT_TRUE(out);
  EXPECT_TRUE(out->empty());
}

TEST(Transaction, BadOptionsAndAClosedPool) {
  auto pool = pooltest::must_create("tcp", shared_server().addr(), 1);
  int calls = 0;
  auto body = [&](Transaction&) { ++calls; };
  EXPECT_EQ(transaction(*pool, {"k"}, body, TransactionOptions{.max_attempts = 0}).error(),
            errc::invalid_argument);
  EXPECT_EQ(transaction(*pool, {"k"}, body, TransactionOptions{.backoff_base = -1ns}).error(),
            errc::invalid_argument);
  pool->empty();
  EXPECT_EQ(transaction(*pool, {"k"}, body).error(), errc::pool_closed);
  EXPECT_EQ(calls, 0);
}

TEST(Transaction, ItsErrorsHaveMessagesAndAreNotCritical) {
  for (errc e : {errc::transaction_aborted, errc::transaction_discarded}) {
    const std::error_code ec = e;
    EXPECT_NE(ec.message(), "unknown respool error");
    EXPECT_NE(ec.message(), std::error_code(errc::no_primary).message());
    EXPECT_FALSE(is_critical(ec));
  }
  EXPECT_NE(std::error_code(errc::transaction_aborted).message(),
            std::error_code(errc::transaction_discarded).message());
}

}  // namespace
}  // namespace respool::test
