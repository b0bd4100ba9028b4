// respool::scan against a real server: 1,000 keys with MATCH and COUNT,
// TYPE, HSCAN/SSCAN/ZSCAN of big keys, no connection held between pages,
// error() when the server goes away mid-scan, bad options.
#include <gtest/gtest.h>

#include <iterator>
#include <map>
#include <ranges>
#include <set>
#include <string>
#include <vector>

#include "pool_helpers.hpp"
#include "redis_server.hpp"
#include "respool/respool.hpp"

namespace respool::test {
namespace {

static_assert(std::ranges::input_range<Scanner>);
static_assert(std::input_iterator<Scanner::iterator>);

std::string prefix() {
  return std::string("scan:") + ::testing::UnitTest::GetInstance()->current_test_info()->name() + ":";
}

void write_keys(Pool& pool, const std::string& p, int n) {
  Batch b;
  for (int i = 0; i < n; ++i) b.add("SET", p + std::to_string(i), i);
  for (const Resp& r : pool.run(b)) ASSERT_FALSE(r.err()) << r.to_string();
}

TEST(Scan, AThousandKeysWithMatchAndCountAreAllSeen) {
  auto pool = pooltest::must_create("tcp", shared_server().addr(), 2);
  const std::string p = prefix();
  write_keys(*pool, p, 1000);
  write_keys(*pool, "scan-noise:", 50);
  ASSERT_FALSE(pool->cmd("SET", "scan-unrelated", 1).err());
  Scanner keys = scan(*pool, ScanOptions{.match = p + "*", .count = 100});
  std::set<std::string> seen;
  std::size_t yielded = 0;
  for (const std::string& k : keys) {
    ASSERT_TRUE(k.starts_with(p)) << k;
    seen.insert(k);
    ++yielded;
    EXPECT_EQ(pool->stats().in_use, 0);  // nothing held between pages
  }
  EXPECT_FALSE(keys.error()) << keys.error().message();
  EXPECT_TRUE(keys.done());
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_GE(yielded, 1000u);  // duplicates are allowed, none missing
  EXPECT_GT(keys.pages(), 1u);
  EXPECT_TRUE(keys.begin() == keys.end());  // over: a second begin() is at the end
}

TEST(Scan, TypeFilter) {
  auto pool = pooltest::must_create("tcp", shared_server().addr(), 1);
  const std::string p = prefix();
  for (int i = 0; i < 20; ++i) {
    ASSERT_FALSE(pool->cmd("SET", p + "s" + std::to_string(i), i).err());
    ASSERT_FALSE(pool->cmd("HSET", p + "h" + std::to_string(i), "f", i).err());
  }
  std::set<std::string> seen;
  Scanner hashes = scan(*pool, ScanOptions{.match = p + "*", .count = 50, .type = "hash"});
  for (const std::string& k : hashes) seen.insert(k);
  EXPECT_FALSE(hashes.error());
  ASSERT_EQ(seen.size(), 20u);
  for (const auto& k : seen) EXPECT_TRUE(k.starts_with(p + "h")) << k;
}

TEST(Scan, HscanSscanZscanOfBigKeys) {
  auto pool = pooltest::must_create("tcp", shared_server().addr(), 1);
  const std::string p = prefix();
  const int n = 1000;  // far past the listpack limits: a real hash table, many pages
  Batch b;
  for (int i = 0; i < n; ++i) {
    const std::string m = "m" + std::to_string(i);
    b.add("HSET", p + "hash", m, i).add("SADD", p + "set", m).add("ZADD", p + "zset", i, m);
  }
  for (const Resp& r : pool->run(b)) ASSERT_FALSE(r.err());

  std::map<std::string, std::string> fields;
  Scanner h = scan(*pool, ScanOptions{.count = 50, .command = "HSCAN", .key = p + "hash"});
  for (auto it = h.begin(); it != h.end(); ++it) {  // field, value, field, value ...
    const std::string field = *it;
    ++it;
    ASSERT_TRUE(it != h.end());
    fields[field] = *it;
  }
  EXPECT_FALSE(h.error());
  EXPECT_GT(h.pages(), 1u);
  ASSERT_EQ(fields.size(), static_cast<std::size_t>(n));
  EXPECT_EQ(fields["m7"], "7");

  std::set<std::string> members;
  Scanner s = scan(*pool, ScanOptions{.match = "m1*", .command = "sscan", .key = p + "set"});
  for (const std::string& m : s) members.insert(m);
  EXPECT_FALSE(s.error());
  EXPECT_EQ(members.size(), 111u);  // m1, m10-m19, m100-m199

  std::map<std::string, double> scores;
  Scanner z = scan(*pool, ScanOptions{.command = "ZSCAN", .key = p + "zset"});
  for (auto it = z.begin(); it != z.end(); ++it) {  // member, score ...
    const std::string member = *it;
    ++it;
    ASSERT_TRUE(it != z.end());
    scores[member] = std::stod(*it);
  }
  EXPECT_FALSE(z.error());
  ASSERT_EQ(scores.size(), static_cast<std::size_t>(n));
  EXPECT_EQ(scores["m999"], 999.0);
}

TEST(Scan, StopsWithAnErrorWhenTheServerGoesAwayMidScan) {
  RedisServer server;
  auto pool = pooltest::must_create("tcp", server.addr(), 1);
  write_keys(*pool, "k", 1000);
  Scanner keys = scan(*pool, ScanOptions{.count = 10});
  std::set<std::string> seen;
  auto it = keys.begin();
  ASSERT_TRUE(it != keys.end());
  const std::size_t first_page = keys.pages();
  server.kill();  // between pages
  for (; it != keys.end(); ++it) seen.insert(*it);
  EXPECT_TRUE(keys.error()) << "the scan should have stopped early";
  EXPECT_TRUE(keys.done());
  EXPECT_TRUE(keys.failure().is_io_error()) << keys.failure().to_string();
  EXPECT_LT(seen.size(), 1000u);
  EXPECT_EQ(keys.pages(), first_page + 1);  // the one that failed; nothing after it
}

TEST(Scan, AServerRefusalStopsIt) {
  auto pool = pooltest::must_create("tcp", shared_server().addr(), 1);
  const std::string p = prefix();
  ASSERT_FALSE(pool->cmd("SET", p + "str", "x").err());
  Scanner h = scan(*pool, ScanOptions{.command = "HSCAN", .key = p + "str"});
  EXPECT_TRUE(h.begin() == h.end());
  EXPECT_EQ(h.error(), errc::server_error);
  EXPECT_NE(h.failure().error_message().find("WRONGTYPE"), std::string::npos);
}

TEST(Scan, BadOptionsSendNothing) {
  auto pool = pooltest::must_create("tcp", shared_server().addr(), 1);
  const std::vector<ScanOptions> bad{
      ScanOptions{.command = "HSCAN"},                              // no key
      ScanOptions{.key = "k"},                                      // SCAN takes no key
      ScanOptions{.command = "KEYS"},                               // not a scan
      ScanOptions{.count = -1},                                     // negative COUNT
      ScanOptions{.type = "hash", .command = "SSCAN", .key = "k"},  // TYPE is SCAN's
  };
  for (const ScanOptions& o : bad) {
    Scanner s = scan(*pool, o);
    EXPECT_TRUE(s.begin() == s.end());
    EXPECT_EQ(s.error(), errc::invalid_argument);
    EXPECT_EQ(s.pages(), 0u);
  }
  EXPECT_EQ(pool->stats().gets, 0u);
}

TEST(Scan, AnEmptyDatabaseIsOnePageAndNoElement) {
  RedisServer server;
  auto pool = pooltest::must_create("tcp", server.addr(), 1);
  Scanner s = scan(*pool);
  EXPECT_EQ(std::ranges::distance(s), 0);
  EXPECT_FALSE(s.error());
  EXPECT_EQ(s.pages(), 1u);
}

}  // namespace
}  // namespace respool::test
