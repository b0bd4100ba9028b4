// Optimistic transactions, scripts and scans on a pool: threads move money
// between two accounts with respool::transaction (WATCH, read, MULTI/EXEC,
// retried when another thread got there first), a Lua script adds interest,
// and a scan lists the accounts.
//   example_transaction [host:port]
#include <atomic>
#include <cstdio>
#include <respool/respool.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  const std::string addr = argc > 1 ? argv[1] : "127.0.0.1:6379";
  auto [pool, err] = respool::Pool::create("tcp", addr, 8);
  if (err) {
    std::fprintf(stderr, "create pool for %s: %s\n", addr.c_str(), err.message().c_str());
    return 1;
  }
  const std::string from = "example:txn:acct:1", to = "example:txn:acct:2";
  if (pool->cmd("MSET", from, 1000, to, 0).err()) {
    std::fprintf(stderr, "MSET failed\n");
    return 1;
  }

  // 8 threads, 25 transfers of 1 each: the balances must add up exactly.
  std::atomic<int> failures{0}, retries{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, pool = pool] {
      for (int i = 0; i < 25; ++i) {
        respool::TransactionStats stats;
        auto out = respool::transaction(
            *pool, {from, to},
            [&](respool::Transaction& tx) {
              const auto a = tx.cmd("GET", from).integer();  // runs now, on the watched connection
              const auto b = tx.cmd("GET", to).integer();
              if (!a || !b || *a < 1) {
                tx.abort();  // nothing queued is sent
                return;
              }
              tx.queue("SET", from, *a - 1);  // sent inside MULTI ... EXEC
              tx.queue("SET", to, *b + 1);
            },
            respool::TransactionOptions{.max_attempts = 100, .stats = &stats});
        if (!out) {
          std::fprintf(stderr, "transfer: %s\n", out.error().message().c_str());
          ++failures;
        }
        retries += stats.aborted;
      }
    });
  }
  for (auto& th : threads) th.join();
  const auto a = pool->cmd("GET", from).integer().value_or(-1);
  const auto b = pool->cmd("GET", to).integer().value_or(-1);
  std::printf("200 transfers: %lld and %lld (%d retries after a watched key changed)\n",
              static_cast<long long>(a), static_cast<long long>(b), retries.load());
  if (failures != 0 || a != 800 || b != 200) return 1;

  // A script, sent by its SHA1; loaded transparently the first time.
  static const respool::Script interest{
      "local v = tonumber(redis.call('GET', KEYS[1])) "
      "local n = v + math.floor(v * tonumber(ARGV[1]) / 100) "
      "redis.call('SET', KEYS[1], n) return n"};
  const auto with_interest = interest.run(*pool, {to}, {"5"}).integer();
  std::printf("script %s: %s now holds %lld\n", interest.sha1().c_str(), to.c_str(),
              static_cast<long long>(with_interest.value_or(-1)));
  if (with_interest.value_or(-1) != 210) return 1;

  // A scan: one page per command, no connection held between pages.
  std::set<std::string> accounts;
  respool::Scanner keys =
      respool::scan(*pool, respool::ScanOptions{.match = "example:txn:acct:*", .count = 100});
  for (const std::string& k : keys) accounts.insert(k);  // duplicates are possible: a set
  if (keys.error()) {
    std::fprintf(stderr, "scan: %s\n", keys.error().message().c_str());
    return 1;
  }
  std::printf("scan found %zu accounts\n", accounts.size());
  (void)pool->cmd("DEL", from, to);
  return accounts.size() == 2 ? 0 : 1;
}
