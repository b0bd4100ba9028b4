// Resp::as<T>() on a real redis-server's replies, in RESP2 and in RESP3
// (DialOptions::protocol = 3): the same C++ types from both reply shapes.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <respool/respool.hpp>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "redis_server.hpp"

namespace {

using respool::errc;
using respool::Resp;

// A user type read from a hash (HGETALL) through the customization point.
struct Account {
  std::string owner;
  std::int64_t balance = 0;
};

}  // namespace

template <>
struct respool::from_resp<Account> {
  static respool::Result<Account> convert(respool::Resp&& r, std::string& why) {
    auto fields = std::move(r).as<std::map<std::string, std::string>>(why);
    if (!fields) return fields.error();
    auto owner = fields->find("owner");
    auto balance = fields->find("balance");
    if (owner == fields->end() || balance == fields->end()) {
      why = "not an account: no field \"owner\" or \"balance\"";
      return respool::errc::wrong_type;
    }
    auto n = respool::Resp::bulk_string(std::move(balance->second)).as<std::int64_t>(why);
    if (!n) {
      why = "field \"balance\": " + why;
      return n.error();
    }
    return Account{std::move(owner->second), *n};
  }
};

namespace {

class RespAsServer : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    respool::PoolOptions o;
    o.dial_options.protocol = GetParam();
    auto made = respool::Pool::create("tcp", respool::test::shared_server().addr(), 2, std::move(o));
    ASSERT_FALSE(made.error) << made.error.message();
    pool = made.pool;
  }
  void TearDown() override {
    if (pool && !keys.empty()) {
      for (const auto& k : keys) (void)pool->cmd("DEL", k);
    }
  }
  // A key of this test and protocol, deleted before and after it.
  std::string key(const std::string& name) {
    std::string k = "resp_as:" + std::to_string(GetParam()) + ":" + name;
    (void)pool->cmd("DEL", k);
    keys.push_back(k);
    return k;
  }
  std::shared_ptr<respool::Pool> pool;
  std::vector<std::string> keys;
};

INSTANTIATE_TEST_SUITE_P(Protocols, RespAsServer, ::testing::Values(2, 3),
                         [](const ::testing::TestParamInfo<int>& p) {
                           return "Resp" + std::to_string(p.param);
                         });

TEST_P(RespAsServer, HgetallIntoMapAndUnorderedMap) {
  const std::string h = key("h");
  ASSERT_EQ(pool->cmd("HSET", h, "name", "ann", "age", 41, "city", "Oslo").as<int>().value(), 3);
  const Resp reply = pool->cmd("HGETALL", h);
  EXPECT_EQ(reply.type(), GetParam() == 3 ? Resp::Type::map : Resp::Type::array);
  auto m = reply.as<std::map<std::string, std::string>>();
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(*m, (std::map<std::string, std::string>{{"age", "41"}, {"city", "Oslo"}, {"name", "ann"}}));
  auto u = pool->cmd("HGETALL", h).as<std::unordered_map<std::string, std::string>>();
  ASSERT_TRUE(u);
  EXPECT_EQ(u->at("name"), "ann");
  EXPECT_EQ(u->size(), 3u);
  // A value that is not a number names its key.
  std::string why;
  EXPECT_EQ((pool->cmd("HGETALL", h).as<std::map<std::string, int>>(why).error()), errc::not_a_number);
  EXPECT_TRUE(why == "value of key \"name\": expected integer, got bulk string that is not an integer" ||
              why == "value of key \"city\": expected integer, got bulk string that is not an integer")
      << why;
  // A missing hash is an empty map.
  EXPECT_TRUE((pool->cmd("HGETALL", key("none")).as<std::map<std::string, std::string>>()->empty()));
}

TEST_P(RespAsServer, SmembersIntoSet) {
  const std::string s = key("s");
  ASSERT_EQ(pool->cmd("SADD", s, "x", "y", "z").as<int>().value(), 3);
  EXPECT_EQ(pool->cmd("SMEMBERS", s).as<std::set<std::string>>().value(),
            (std::set<std::string>{"x", "y", "z"}));
  EXPECT_TRUE(pool->cmd("SISMEMBER", s, "x").as<bool>().value());
  EXPECT_FALSE(pool->cmd("SISMEMBER", s, "w").as<bool>().value());
}

TEST_P(RespAsServer, ZrangeWithscoresIntoPairs) {
  const std::string z = key("z");
  ASSERT_EQ(pool->cmd("ZADD", z, 1, "a", 2.5, "b", "-inf", "c").as<int>().value(), 3);
  using Scores = std::vector<std::pair<std::string, double>>;
  const double inf = std::numeric_limits<double>::infinity();
  const Resp reply = pool->cmd("ZRANGE", z, 0, -1, "WITHSCORES");
  // RESP2: [member, score, ...]; RESP3: [[member, score], ...].
  EXPECT_EQ(reply.elements().size(), GetParam() == 3 ? 3u : 6u);
  EXPECT_EQ(reply.as<Scores>().value(), (Scores{{"c", -inf}, {"a", 1.0}, {"b", 2.5}}));
  EXPECT_EQ((pool->cmd("ZRANGE", z, 0, -1, "WITHSCORES").as<std::map<std::string, double>>().value()),
            (std::map<std::string, double>{{"a", 1.0}, {"b", 2.5}, {"c", -inf}}));
  // A score is a double from a bulk string (RESP2) or a RESP3 double.
  EXPECT_EQ(pool->cmd("ZSCORE", z, "b").as<double>().value(), 2.5);
  EXPECT_EQ(pool->cmd("ZSCORE", z, "nope").as<std::optional<double>>().value(), std::nullopt);
  // as<std::string> takes strings only: the RESP3 double is not one.
  auto text = pool->cmd("ZSCORE", z, "b").as<std::string>();
  if (GetParam() == 2) {
    EXPECT_EQ(text.value(), "2.5");
  } else {
    EXPECT_EQ(text.error(), errc::wrong_type);
  }
}

TEST_P(RespAsServer, XrangeEntries) {
  const std::string x = key("x");
  ASSERT_TRUE(pool->cmd("XADD", x, "1-1", "f1", "v1", "f2", "v2").as<std::string>());
  ASSERT_TRUE(pool->cmd("XADD", x, "2-1", "f", "w").as<std::string>());
  using Fields = std::vector<std::pair<std::string, std::string>>;
  using Entries = std::vector<std::pair<std::string, Fields>>;
  EXPECT_EQ(pool->cmd("XRANGE", x, "-", "+").as<Entries>().value(),
            (Entries{{"1-1", {{"f1", "v1"}, {"f2", "v2"}}}, {"2-1", {{"f", "w"}}}}));
  using ById = std::map<std::string, std::map<std::string, std::string>>;
  EXPECT_EQ(pool->cmd("XRANGE", x, "-", "+").as<ById>().value(),
            (ById{{"1-1", {{"f1", "v1"}, {"f2", "v2"}}}, {"2-1", {{"f", "w"}}}}));
}

TEST_P(RespAsServer, MgetWithAMissingKey) {
  const std::string a = key("a"), b = key("b"), c = key("c");
  ASSERT_TRUE(pool->cmd("MSET", a, "1", c, "3").as<std::string>());
  EXPECT_EQ(pool->cmd("MGET", a, b, c).as<std::vector<std::optional<std::string>>>().value(),
            (std::vector<std::optional<std::string>>{"1", std::nullopt, "3"}));
  EXPECT_EQ(pool->cmd("MGET", a, b, c).as<std::vector<std::optional<int>>>().value(),
            (std::vector<std::optional<int>>{1, std::nullopt, 3}));
  std::string why;
  EXPECT_EQ(pool->cmd("MGET", a, b, c).as<std::vector<std::string>>(why).error(), errc::nil_reply);
  EXPECT_EQ(why, "element 1: expected string, got nil");
  EXPECT_EQ(pool->cmd("GET", b).as<std::optional<std::string>>().value(), std::nullopt);
}

TEST_P(RespAsServer, IncrIntoInt64AndInt8Range) {
  const std::string n = key("n");
  ASSERT_TRUE(pool->cmd("SET", n, 126).as<std::string>());
  EXPECT_EQ(pool->cmd("INCR", n).as<std::int64_t>().value(), 127);
  EXPECT_EQ(pool->cmd("GET", n).as<std::int8_t>().value(), 127);  // a bulk string that is a number
  std::string why;
  auto r = pool->cmd("INCR", n).as<std::int8_t>(why);
  EXPECT_EQ(r.error(), errc::out_of_range);
  EXPECT_EQ(why, "integer 128 out of range for int8 [-128, 127]");
  EXPECT_EQ(pool->cmd("GET", n).as<std::uint8_t>().value(), 128);
  // A server error reply converts to its error, with the server's text.
  ASSERT_TRUE(pool->cmd("SET", n, "text").as<std::string>());
  auto bad = pool->cmd("INCR", n).as<std::int64_t>(why);
  EXPECT_EQ(bad.error(), errc::server_error);
  EXPECT_EQ(why, "server error: ERR value is not an integer or out of range");
}

TEST_P(RespAsServer, UserTypeThroughFromResp) {
  const std::string h = key("acct");
  ASSERT_TRUE(pool->cmd("HSET", h, "owner", "ann", "balance", -250).as<int>());
  auto a = pool->cmd("HGETALL", h).as<Account>();
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(a->owner, "ann");
  EXPECT_EQ(a->balance, -250);
  // Several at once: a pipeline of HGETALLs read as a vector of replies, then converted.
  const std::string other = key("acct2");
  ASSERT_TRUE(pool->cmd("HSET", other, "owner", "bob").as<int>());
  std::vector<Resp> replies{pool->cmd("HGETALL", h), pool->cmd("HGETALL", other)};
  std::string why;
  auto all = Resp::aggregate(Resp::Type::array, std::move(replies)).as<std::vector<Account>>(why);
  EXPECT_EQ(all.error(), errc::wrong_type);
  EXPECT_EQ(why, "element 1: not an account: no field \"owner\" or \"balance\"");
}

}  // namespace
