// split_encoded and CommandTable: the built-in table's keys and read-only
// flags, and tables read from hand-built COMMAND replies (RESP2 and RESP3).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "alloc_probe.hpp"
#include "cluster/command_keys.hpp"
#include "cluster/key_spec.hpp"
#include "resp_builders.hpp"
#include "respool/encode.hpp"
#include "respool/error.hpp"

namespace respool::cluster {
namespace {

using namespace respool::test::build;

using Argv = std::vector<std::string_view>;

Argv keys_of(const CommandTable& t, Argv argv) {
  Argv out;
  t.keys(argv, out);
  return out;
}

Argv builtin_keys(Argv argv) { return keys_of(*CommandTable::builtin(), std::move(argv)); }

bool builtin_readonly(Argv argv) { return CommandTable::builtin()->is_readonly(argv); }

// --- split_encoded ----------------------------------------------------------

TEST(ClusterSplitEncoded, RoundTripsEncodeCommand) {
  std::string buf;
  const std::string binary("a\r\nb\0c", 6);
  encode_command(buf, "SET", "key", binary, "", 42);
  Argv argv;
  ASSERT_TRUE(split_encoded(buf, argv));
  ASSERT_EQ(argv.size(), 5u);
  EXPECT_EQ(argv[0], "SET");
  EXPECT_EQ(argv[1], "key");
  EXPECT_EQ(argv[2], binary);
  EXPECT_EQ(argv[3], "");
  EXPECT_EQ(argv[4], "42");
  // Views into the buffer, not copies.
  EXPECT_GE(argv[1].data(), buf.data());
  EXPECT_LT(argv[1].data(), buf.data() + buf.size());
}

TEST(ClusterSplitEncoded, ReplacesWhatArgvHeld) {
  std::string buf;
  encode_command(buf, "PING");
  Argv argv{"old", "stuff"};
  ASSERT_TRUE(split_encoded(buf, argv));
  EXPECT_EQ(argv, (Argv{"PING"}));
}

TEST(ClusterSplitEncoded, RefusesAnythingElse) {
  const std::string_view bad[] = {
      "",
      "*0\r\n",
      "*1\r\n$3\r\nGET\r\nX",                    // trailing byte
      "*1\r\n$3\r\nGET\r\n*1\r\n$3\r\nGET\r\n",  // two commands
      "*2\r\n$3\r\nGET\r\n",                     // an element missing
      "*1\r\n:3\r\n",                            // not a bulk string
      "*1\r\n+GET\r\n",
      "*1\r\n$4\r\nGET\r\n",  // short
      "*1\r\n$2\r\nGET\r\n",  // long
      "*1\r\n$3\r\nGETxx",    // no CRLF after the bytes
      "*1\r\n$-1\r\n",
      "*-1\r\n",
      "*1\n$3\r\nGET\r\n",
      "*1\r\n$\r\n\r\n",
      "*1\r\n$99999999999999999999999\r\nGET\r\n",
      "*99999999999999999999999\r\n$3\r\nGET\r\n",
      "+OK\r\n",
      "*1\r\n$3\r\nGET",
  };
  for (std::string_view b : bad) {
    Argv argv{"left"};
    EXPECT_FALSE(split_encoded(b, argv)) << testing::PrintToString(std::string(b));
    EXPECT_TRUE(argv.empty());
  }
}

TEST(ClusterSplitEncoded, RefusesEveryTruncationAndExtension) {
  std::string buf;
  encode_command(buf, "MSET", "a", "1", "bb", "");
  Argv argv;
  for (std::size_t n = 0; n < buf.size(); ++n) {
    EXPECT_FALSE(split_encoded(std::string_view(buf).substr(0, n), argv)) << n;
  }
  EXPECT_FALSE(split_encoded(buf + "\r\n", argv));
  EXPECT_TRUE(split_encoded(buf, argv));
  EXPECT_EQ(argv, (Argv{"MSET", "a", "1", "bb", ""}));
}

// --- the built-in table: keys -----------------------------------------------

TEST(ClusterCommandKeys, FixedPositions) {
  EXPECT_EQ(builtin_keys({"GET", "k"}), (Argv{"k"}));
  EXPECT_EQ(builtin_keys({"get", "k"}), (Argv{"k"}));
  EXPECT_EQ(builtin_keys({"gEt", "k"}), (Argv{"k"}));
  EXPECT_EQ(builtin_keys({"SET", "k", "v", "EX", "10"}), (Argv{"k"}));
  EXPECT_EQ(builtin_keys({"MGET", "a", "b", "c"}), (Argv{"a", "b", "c"}));
  EXPECT_EQ(builtin_keys({"MSET", "a", "1", "b", "2"}), (Argv{"a", "b"}));
  EXPECT_EQ(builtin_keys({"DEL", "a", "b"}), (Argv{"a", "b"}));
  EXPECT_EQ(builtin_keys({"HGETALL", "h"}), (Argv{"h"}));
  EXPECT_EQ(builtin_keys({"ZADD", "z", "1", "m"}), (Argv{"z"}));
  EXPECT_EQ(builtin_keys({"LMOVE", "a", "b", "LEFT", "RIGHT"}), (Argv{"a", "b"}));
  EXPECT_EQ(builtin_keys({"BLPOP", "a", "b", "0"}), (Argv{"a", "b"}));
  EXPECT_EQ(builtin_keys({"XADD", "s", "*", "f", "v"}), (Argv{"s"}));
}

TEST(ClusterCommandKeys, KeynumCommands) {
  EXPECT_EQ(builtin_keys({"EVAL", "return 1", "2", "k1", "k2", "a1"}), (Argv{"k1", "k2"}));
  EXPECT_EQ(builtin_keys({"EVALSHA_RO", "abc", "1", "k1", "a1"}), (Argv{"k1"}));
  EXPECT_EQ(builtin_keys({"FCALL", "f", "1", "k1"}), (Argv{"k1"}));
  EXPECT_EQ(builtin_keys({"EVAL", "return 1", "0", "a1"}), Argv{});
  EXPECT_EQ(builtin_keys({"EVAL", "return 1", "5", "k1"}), Argv{});   // count past the end
  EXPECT_EQ(builtin_keys({"EVAL", "return 1", "-1", "k1"}), Argv{});  // not a count
  EXPECT_EQ(builtin_keys({"EVAL", "return 1", "x", "k1"}), Argv{});
  EXPECT_EQ(builtin_keys({"ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"}), (Argv{"d", "a", "b"}));
  EXPECT_EQ(builtin_keys({"ZINTERSTORE", "d", "1", "a"}), (Argv{"d", "a"}));
  EXPECT_EQ(builtin_keys({"ZUNION", "2", "a", "b", "WITHSCORES"}), (Argv{"a", "b"}));
  EXPECT_EQ(builtin_keys({"ZINTERCARD", "2", "a", "b", "LIMIT", "1"}), (Argv{"a", "b"}));
  EXPECT_EQ(builtin_keys({"SINTERCARD", "1", "a"}), (Argv{"a"}));
  EXPECT_EQ(builtin_keys({"LMPOP", "2", "a", "b", "LEFT"}), (Argv{"a", "b"}));
  EXPECT_EQ(builtin_keys({"BLMPOP", "0", "2", "a", "b", "LEFT"}), (Argv{"a", "b"}));
  EXPECT_EQ(builtin_keys({"BZMPOP", "0", "1", "a", "MIN"}), (Argv{"a"}));
}

TEST(ClusterCommandKeys, KeywordCommands) {
  EXPECT_EQ(builtin_keys({"XREAD", "COUNT", "2", "STREAMS", "a", "b", "0", "0"}), (Argv{"a", "b"}));
  EXPECT_EQ(builtin_keys({"xread", "streams", "a", "0"}), (Argv{"a"}));
  EXPECT_EQ(builtin_keys({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "a", ">"}), (Argv{"a"}));
  EXPECT_EQ(builtin_keys({"GEORADIUS", "k", "0", "0", "1", "km", "STORE", "d"}), (Argv{"k", "d"}));
  EXPECT_EQ(builtin_keys({"GEORADIUS", "k", "0", "0", "1", "km", "STOREDIST", "d"}), (Argv{"k", "d"}));
  EXPECT_EQ(builtin_keys({"GEORADIUSBYMEMBER", "k", "m", "1", "km", "STORE", "d"}), (Argv{"k", "d"}));
  EXPECT_EQ(builtin_keys({"GEORADIUS", "k", "0", "0", "1", "km"}), (Argv{"k"}));
}

TEST(ClusterCommandKeys, SortAndMigrateRules) {
  EXPECT_EQ(builtin_keys({"SORT", "k"}), (Argv{"k"}));
  EXPECT_EQ(builtin_keys({"SORT", "k", "BY", "w_*", "STORE", "d"}), (Argv{"k", "d"}));
  // BY/GET take a pattern and LIMIT two numbers: a "store" there is not the keyword.
  EXPECT_EQ(builtin_keys({"SORT", "k", "GET", "store", "LIMIT", "0", "1"}), (Argv{"k"}));
  EXPECT_EQ(builtin_keys({"SORT", "k", "STORE", "d1", "STORE", "d2"}), (Argv{"k", "d2"}));
  EXPECT_EQ(builtin_keys({"SORT_RO", "k", "BY", "w_*"}), (Argv{"k"}));
  EXPECT_EQ(builtin_keys({"MIGRATE", "h", "6379", "k", "0", "5000"}), (Argv{"k"}));
  EXPECT_EQ(builtin_keys({"MIGRATE", "h", "6379", "", "0", "5000", "COPY", "KEYS", "k1", "k2"}),
            (Argv{"k1", "k2"}));
  // AUTH's password is not the KEYS keyword.
  EXPECT_EQ(builtin_keys({"MIGRATE", "h", "6379", "", "0", "5000", "AUTH", "keys", "KEYS", "k1"}),
            (Argv{"k1"}));
}

TEST(ClusterCommandKeys, Subcommands) {
  EXPECT_EQ(builtin_keys({"XINFO", "STREAM", "s"}), (Argv{"s"}));
  EXPECT_EQ(builtin_keys({"object", "encoding", "k"}), (Argv{"k"}));
  EXPECT_EQ(builtin_keys({"MEMORY", "USAGE", "k"}), (Argv{"k"}));
  EXPECT_EQ(builtin_keys({"XGROUP", "CREATE", "s", "g", "$"}), (Argv{"s"}));
  EXPECT_TRUE(CommandTable::builtin()->knows(Argv{"XINFO", "stream", "s"}));
  EXPECT_FALSE(CommandTable::builtin()->knows(Argv{"XINFO", "HELP"}));  // no keys: not in the table
}

TEST(ClusterCommandKeys, KeylessAndUnknown) {
  EXPECT_EQ(builtin_keys({"PING"}), Argv{});
  EXPECT_EQ(builtin_keys({"INFO", "server"}), Argv{});
  EXPECT_EQ(builtin_keys({"NOSUCHCOMMAND", "a"}), Argv{});
  EXPECT_EQ(builtin_keys({"GET"}), Argv{});  // too short: no key
  EXPECT_EQ(builtin_keys({}), Argv{});
  EXPECT_FALSE(CommandTable::builtin()->knows(Argv{"PING"}));
  EXPECT_FALSE(CommandTable::builtin()->knows(Argv{std::string_view(std::string(200, 'g'))}));
  // Sharded pub/sub channels are not keys to COMMAND GETKEYS either.
  EXPECT_EQ(builtin_keys({"SPUBLISH", "ch", "m"}), Argv{});
}

TEST(ClusterCommandKeys, AppendsToWhatKeysHeld) {
  Argv out{"first"};
  const Argv argv{"MGET", "a", "b"};
  CommandTable::builtin()->keys(argv, out);
  EXPECT_EQ(out, (Argv{"first", "a", "b"}));
}

TEST(ClusterCommandKeys, ReadonlyFlags) {
  EXPECT_TRUE(builtin_readonly({"GET", "k"}));
  EXPECT_TRUE(builtin_readonly({"mget", "a", "b"}));
  EXPECT_TRUE(builtin_readonly({"HGETALL", "h"}));
  EXPECT_TRUE(builtin_readonly({"XREAD", "STREAMS", "a", "0"}));
  EXPECT_TRUE(builtin_readonly({"EVAL_RO", "s", "0"}));
  EXPECT_TRUE(builtin_readonly({"SORT_RO", "k"}));
  EXPECT_TRUE(builtin_readonly({"XINFO", "STREAM", "s"}));
  EXPECT_FALSE(builtin_readonly({"SET", "k", "v"}));
  EXPECT_FALSE(builtin_readonly({"EVAL", "s", "0"}));
  EXPECT_FALSE(builtin_readonly({"SORT", "k"}));
  EXPECT_FALSE(builtin_readonly({"XGROUP", "CREATE", "s", "g", "$"}));
  EXPECT_FALSE(builtin_readonly({"PING"}));
  EXPECT_FALSE(builtin_readonly({"NOSUCH"}));
}

TEST(ClusterCommandKeys, HotPathDoesNotAllocate) {
  const auto table = CommandTable::builtin();
  const Argv argvs[] = {
      {"GET", "k"},
      {"GEORADIUSBYMEMBER_RO", "k", "m", "1", "km"},
      {"CLIENT", "TRACKINGINFO"},
      {"XREAD", "STREAMS", "a", "b", "0", "0"},
      {"SORT", "k", "STORE", "d"},
  };
  Argv out;
  out.reserve(16);
  respool_test::AllocationProbe probe;
  for (const Argv& argv : argvs) {
    out.clear();
    table->keys(argv, out);
    (void)table->is_readonly(argv);
    (void)table->knows(argv);
  }
  EXPECT_EQ(probe.count(), 0u);
}

TEST(ClusterCommandKeys, KeysAreAlwaysArgumentsOfTheCommand) {
  // Every built-in command with argv of every length up to 9, arguments
  // drawn from words its specs look for and numbers that steer them: each
  // key found is one of argv[1..], and the search never reads past argv.
  const std::string_view words[] = {"STREAMS", "STORE", "KEYS", "LIMIT", "BY", "GET", "AUTH",
                                    "0",       "1",     "2",    "-1",    "",   "k"};
  std::uint32_t seed = 12345;
  auto next = [&seed] {
    seed = seed * 1664525u + 1013904223u;
    return seed >> 8;
  };
  const auto table = CommandTable::builtin();
  for (const detail::BuiltinCommand& c : detail::builtin_commands()) {
    std::string name = c.name;
    const auto bar = name.find('|');
    for (std::size_t len = 1; len <= 9; ++len) {
      for (int round = 0; round < 20; ++round) {
        Argv argv;
        if (bar == std::string::npos) {
          argv.push_back(name);
        } else {
          argv.push_back(std::string_view(name).substr(0, bar));
          argv.push_back(std::string_view(name).substr(bar + 1));
        }
        while (argv.size() < len) argv.push_back(words[next() % std::size(words)]);
        Argv keys;
        table->keys(argv, keys);
        for (std::string_view k : keys) {
          const bool inside = std::any_of(argv.begin() + 1, argv.end(), [&](std::string_view a) {
            return a.data() == k.data() && a.size() == k.size();
          });
          EXPECT_TRUE(inside) << c.name << " len " << len;
        }
      }
    }
  }
}

// --- tables from COMMAND replies ---------------------------------------------

// RESP2 sends maps as flat arrays; RESP3 as maps (and flags as sets).
struct Shape {
  bool resp3;
  Resp map(std::vector<Resp> v) const {
    return Resp::aggregate(resp3 ? Resp::Type::map : Resp::Type::array, std::move(v));
  }
  Resp flags(std::initializer_list<const char*> names) const {
    std::vector<Resp> v;
    for (const char* n : names) v.push_back(simple(n));
    return Resp::aggregate(resp3 ? Resp::Type::set : Resp::Type::array, std::move(v));
  }
  Resp index_range(int index, int lastkey, int step, int limit) const {
    return map(
        {bulk("flags"), flags({"RO"}), bulk("begin_search"),
         map({bulk("type"), bulk("index"), bulk("spec"), map({bulk("index"), num(index)})}),
         bulk("find_keys"),
         map({bulk("type"), bulk("range"), bulk("spec"),
              map({bulk("lastkey"), num(lastkey), bulk("keystep"), num(step), bulk("limit"), num(limit)})})});
  }
  Resp keyword_keynum(const char* keyword, int startfrom, int keynumidx, int firstkey, int step) const {
    return map({bulk("flags"), flags({"RW"}), bulk("begin_search"),
                map({bulk("type"), bulk("keyword"), bulk("spec"),
                     map({bulk("keyword"), bulk(keyword), bulk("startfrom"), num(startfrom)})}),
                bulk("find_keys"),
                map({bulk("type"), bulk("keynum"), bulk("spec"),
                     map({bulk("keynumidx"), num(keynumidx), bulk("firstkey"), num(firstkey), bulk("keystep"),
                          num(step)})})});
  }
  Resp command(const char* name, std::initializer_list<const char*> fl, int first, int last, int step,
               std::vector<Resp> specs, std::vector<Resp> subs = {}) const {
    return arr({bulk(name), num(-2), flags(fl), num(first), num(last), num(step), arr({}), arr({}),
                arr(std::move(specs)), arr(std::move(subs))});
  }
  Resp reply() const {
    return arr({
        command("get", {"readonly", "fast"}, 1, 1, 1, {index_range(1, 0, 1, 0)}),
        // A module command whose keys follow "KEYS n": key specs make it routable.
        command("mod.multi", {"write", "movablekeys"}, 0, 0, 0, {keyword_keynum("KEYS", 1, 0, 1, 1)}),
        command("ping", {"fast"}, 0, 0, 0, {}),
        command("box", {}, 0, 0, 0, {},
                {command("box|peek", {"readonly"}, 2, 2, 1, {index_range(2, 0, 1, 0)}),
                 command("box|help", {"loading"}, 0, 0, 0, {})}),
    });
  }
};

class ClusterCommandTableReply : public testing::TestWithParam<bool> {};

TEST_P(ClusterCommandTableReply, UsesKeySpecsAndFlags) {
  const Shape s{GetParam()};
  auto t = CommandTable::from_command_reply(s.reply());
  ASSERT_TRUE(t) << t.error().message();
  const CommandTable& table = **t;
  EXPECT_EQ(keys_of(table, {"GET", "k"}), (Argv{"k"}));
  EXPECT_TRUE(table.is_readonly(Argv{"GET", "k"}));
  EXPECT_EQ(keys_of(table, {"MOD.MULTI", "x", "KEYS", "2", "a", "b", "c"}), (Argv{"a", "b"}));
  EXPECT_EQ(keys_of(table, {"mod.multi", "x"}), Argv{});
  EXPECT_FALSE(table.is_readonly(Argv{"mod.multi"}));
  EXPECT_TRUE(table.knows(Argv{"PING"}));
  EXPECT_EQ(keys_of(table, {"PING"}), Argv{});
  EXPECT_EQ(keys_of(table, {"BOX", "PEEK", "k"}), (Argv{"k"}));
  EXPECT_TRUE(table.is_readonly(Argv{"box", "peek", "k"}));
  EXPECT_TRUE(table.knows(Argv{"BOX", "HELP"}));
  EXPECT_FALSE(table.is_readonly(Argv{"BOX", "HELP"}));
  // The container itself, alone or with a subcommand the reply doesn't list.
  EXPECT_TRUE(table.knows(Argv{"box"}));
  EXPECT_TRUE(table.knows(Argv{"box", "nosuch"}));
  EXPECT_FALSE(table.is_readonly(Argv{"box", "nosuch"}));
  // A plain command's first argument is never taken for a subcommand.
  EXPECT_EQ(keys_of(table, {"GET", "peek"}), (Argv{"peek"}));
  // Left out of the reply: the built-in table answers.
  EXPECT_EQ(keys_of(table, {"MSET", "a", "1", "b", "2"}), (Argv{"a", "b"}));
  EXPECT_TRUE(table.is_readonly(Argv{"MGET", "a"}));
  EXPECT_FALSE(table.knows(Argv{"NOSUCH"}));
}

INSTANTIATE_TEST_SUITE_P(Resp2AndResp3, ClusterCommandTableReply, testing::Bool(),
                         [](const testing::TestParamInfo<bool>& i) { return i.param ? "resp3" : "resp2"; });

TEST(ClusterCommandTable, FirstLastStepWithoutKeySpecs) {
  // A Redis 6 reply: six or seven elements per command, no key specs.
  const Resp reply = arr({
      arr({bulk("mset"), num(-3), arr({simple("write")}), num(1), num(-1), num(2)}),
      arr({bulk("old.range"), num(-2), arr({simple("readonly")}), num(2), num(-2), num(1), arr({})}),
      // Movable keys and no specs: the built-in table's EVAL keys win.
      arr({bulk("eval"), num(-3), arr({simple("noscript"), simple("movablekeys")}), num(0), num(0), num(0)}),
  });
  auto t = CommandTable::from_command_reply(reply);
  ASSERT_TRUE(t) << t.error().message();
  EXPECT_EQ(keys_of(**t, {"MSET", "a", "1", "b", "2"}), (Argv{"a", "b"}));
  EXPECT_EQ(keys_of(**t, {"OLD.RANGE", "x", "a", "b", "last"}), (Argv{"a", "b"}));
  EXPECT_TRUE((*t)->is_readonly(Argv{"old.range"}));
  EXPECT_EQ(keys_of(**t, {"EVAL", "s", "1", "k", "a"}), (Argv{"k"}));
}

TEST(ClusterCommandTable, WrongShapeIsAProtocolError) {
  const Shape s{false};
  const Resp bad[] = {
      num(1),
      Resp::server_error("ERR unknown command"),
      Resp(),
      arr({num(1)}),                                                      // an entry that is not an array
      arr({arr({bulk("get"), num(2), arr({})})}),                         // too short
      arr({arr({bulk("get"), num(2), num(0), num(1), num(1), num(1)})}),  // flags not a list
      arr({arr({bulk("get"), num(2), arr({}), bulk("x"), num(1), num(1)})}),
      arr({s.command("get", {}, 1, 1, 1, {arr({bulk("flags"), arr({})})})}),  // key spec without a search
      arr({s.command("get", {}, 1, 1, 1, {arr({bulk("flags")})})}),           // odd key spec
      arr({s.command("box", {}, 0, 0, 0, {}, {num(3)})}),                     // a subcommand not an array
  };
  for (const Resp& r : bad) {
    auto t = CommandTable::from_command_reply(r);
    EXPECT_EQ(t.error(), errc::protocol_error) << r.to_string();
  }
}

TEST(ClusterCommandTable, UnknownSearchTypesAddNoKeys) {
  const Shape s{true};
  Resp spec = s.map({bulk("flags"), s.flags({"RW"}), bulk("begin_search"),
                     s.map({bulk("type"), bulk("unknown"), bulk("spec"), arr({})}), bulk("find_keys"),
                     s.map({bulk("type"), bulk("unknown"), bulk("spec"), arr({})})});
  auto t =
      CommandTable::from_command_reply(arr({s.command("mod.odd", {"write"}, 0, 0, 0, {std::move(spec)})}));
  ASSERT_TRUE(t) << t.error().message();
  EXPECT_TRUE((*t)->knows(Argv{"mod.odd"}));
  EXPECT_EQ(keys_of(**t, {"mod.odd", "a"}), Argv{});
}

}  // namespace
}  // namespace respool::cluster
