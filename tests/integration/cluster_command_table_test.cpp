// CommandTable against a real redis-server: the COMMAND reply parses in
// RESP2 and RESP3, both the table read from it and the built-in table find
// the keys COMMAND GETKEYS finds, and the built-in read-only flags are the
// server's. A plain (non-cluster) server answers COMMAND and GETKEYS.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/command_keys.hpp"
#include "redis_server.hpp"
#include "respool/client.hpp"

namespace respool::cluster {
namespace {

using Argv = std::vector<std::string_view>;

std::unique_ptr<Client> dial(int protocol) {
  DialOptions o;
  o.protocol = protocol;
  auto c = Client::dial("tcp", test::shared_server().addr(), o);
  EXPECT_TRUE(c) << c.error().message();
  return c ? std::move(*c) : nullptr;
}

std::shared_ptr<const CommandTable> table_from_server(int protocol) {
  auto c = dial(protocol);
  if (!c) return nullptr;
  const Resp reply = c->cmd("COMMAND");
  EXPECT_FALSE(reply.err()) << reply.error_message();
  auto t = CommandTable::from_command_reply(reply);
  EXPECT_TRUE(t) << t.error().message();
  return t ? *t : nullptr;
}

TEST(ClusterCommandTableServer, CommandReplyParsesInResp2AndResp3) {
  for (int protocol : {2, 3}) {
    SCOPED_TRACE(protocol);
    auto t = table_from_server(protocol);
    ASSERT_TRUE(t);
    EXPECT_TRUE(t->knows(Argv{"PING"}));
    EXPECT_TRUE(t->knows(Argv{"get"}));
    EXPECT_TRUE(t->knows(Argv{"XINFO", "HELP"}));
    EXPECT_TRUE(t->is_readonly(Argv{"GET", "k"}));
    EXPECT_FALSE(t->is_readonly(Argv{"SET", "k", "v"}));
    Argv keys;
    t->keys(Argv{"XREAD", "STREAMS", "a", "b", "0", "0"}, keys);
    EXPECT_EQ(keys, (Argv{"a", "b"}));
  }
}

// Commands with concrete arguments, each with at least one key (GETKEYS
// refuses a command without).
const std::vector<Argv>& sample_commands() {
  static const std::vector<Argv> commands = {
      {"GET", "k"},
      {"set", "k", "v", "EX", "10", "GET"},
      {"MGET", "a", "b", "c"},
      {"MSET", "a", "1", "b", "2", "c", "3"},
      {"MSETNX", "a", "1", "b", "2"},
      {"DEL", "a", "b"},
      {"UNLINK", "a"},
      {"EXISTS", "a", "b", "a"},
      {"TOUCH", "a", "b"},
      {"EXPIRE", "k", "10"},
      {"RENAME", "a", "b"},
      {"COPY", "a", "b", "REPLACE"},
      {"INCRBY", "k", "2"},
      {"HSET", "h", "f", "v"},
      {"HGETALL", "h"},
      {"LPUSH", "l", "a", "b"},
      {"BLPOP", "a", "b", "0"},
      {"LMOVE", "a", "b", "LEFT", "RIGHT"},
      {"SADD", "s", "m"},
      {"SINTERSTORE", "d", "a", "b"},
      {"SINTERCARD", "2", "a", "b", "LIMIT", "3"},
      {"SMOVE", "a", "b", "m"},
      {"ZADD", "z", "1", "m"},
      {"ZRANGESTORE", "d", "z", "0", "-1"},
      {"ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"},
      {"ZINTERSTORE", "d", "1", "a"},
      {"ZDIFFSTORE", "d", "2", "a", "b"},
      {"ZUNION", "3", "a", "b", "c", "WITHSCORES"},
      {"ZINTER", "2", "a", "b"},
      {"ZDIFF", "2", "a", "b"},
      {"ZINTERCARD", "2", "a", "b"},
      {"LMPOP", "2", "a", "b", "LEFT", "COUNT", "2"},
      {"BLMPOP", "0", "2", "a", "b", "RIGHT"},
      {"ZMPOP", "1", "a", "MIN"},
      {"BZMPOP", "0", "2", "a", "b", "MAX"},
      {"EVAL", "return 1", "2", "k1", "k2", "arg"},
      {"EVALSHA", "0123456789012345678901234567890123456789", "1", "k1"},
      {"EVAL_RO", "return 1", "1", "k1", "arg"},
      {"FCALL", "f", "2", "k1", "k2"},
      {"FCALL_RO", "f", "1", "k1"},
      {"XADD", "s", "*", "f", "v"},
      {"XREAD", "COUNT", "2", "STREAMS", "a", "b", "0", "0"},
      {"XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "a", "b", ">", ">"},
      {"XINFO", "STREAM", "s"},
      {"XGROUP", "CREATE", "s", "g", "$"},
      {"OBJECT", "ENCODING", "k"},
      {"MEMORY", "USAGE", "k"},
      {"SORT", "k"},
      {"SORT", "k", "BY", "w_*", "LIMIT", "0", "5", "GET", "o_*", "STORE", "d"},
      {"SORT_RO", "k", "BY", "w_*"},
      {"MIGRATE", "127.0.0.1", "6379", "k", "0", "5000"},
      {"MIGRATE", "127.0.0.1", "6379", "", "0", "5000", "COPY", "KEYS", "k1", "k2"},
      {"GEORADIUS", "g", "0", "0", "1", "km", "STORE", "d"},
      {"GEORADIUS", "g", "0", "0", "1", "km", "STOREDIST", "d"},
      {"GEORADIUSBYMEMBER", "g", "m", "1", "km", "STORE", "d"},
      {"GEOSEARCHSTORE", "d", "g", "FROMMEMBER", "m", "BYRADIUS", "1", "km"},
      {"BITOP", "AND", "d", "a", "b"},
      {"PFMERGE", "d", "a", "b"},
      {"WATCH", "a", "b"},
      {"BITFIELD", "k", "GET", "u8", "0"},
  };
  return commands;
}

// The server's own answer to COMMAND GETKEYS.
std::vector<std::string> server_keys(Client& c, const Argv& argv) {
  Argv request{"COMMAND", "GETKEYS"};
  request.insert(request.end(), argv.begin(), argv.end());
  const Resp r = c.cmd_argv(request);
  EXPECT_FALSE(r.err()) << r.error_message();
  return r.list().value_or(std::vector<std::string>{});
}

std::vector<std::string> table_keys(const CommandTable& t, const Argv& argv) {
  Argv keys;
  t.keys(argv, keys);
  return {keys.begin(), keys.end()};
}

TEST(ClusterCommandTableServer, KeysMatchCommandGetkeys) {
  auto c = dial(2);
  ASSERT_TRUE(c);
  const auto from_server = table_from_server(2);
  const auto from_server3 = table_from_server(3);
  ASSERT_TRUE(from_server && from_server3);
  const auto builtin = CommandTable::builtin();
  for (const Argv& argv : sample_commands()) {
    const std::string name = testing::PrintToString(std::vector<std::string>(argv.begin(), argv.end()));
    SCOPED_TRACE(name);
    const auto expected = server_keys(*c, argv);
    EXPECT_FALSE(expected.empty());
    EXPECT_EQ(table_keys(*from_server, argv), expected);
    EXPECT_EQ(table_keys(*from_server3, argv), expected);
    EXPECT_EQ(table_keys(*builtin, argv), expected);
    EXPECT_TRUE(builtin->knows(argv));
  }
}

// Every command and subcommand a COMMAND reply lists, as "name" or
// "container|sub", with its "readonly" flag.
void list_commands(const Resp& entries, std::vector<std::pair<std::string, bool>>& out) {
  for (const Resp& e : entries.elements()) {
    ASSERT_GE(e.elements().size(), 10u);
    bool readonly = false;
    for (const Resp& f : e.elements()[2].elements())
      readonly = readonly || f.str().value_or("") == "readonly";
    out.emplace_back(e.elements()[0].str().value(), readonly);
    list_commands(e.elements()[9], out);
  }
}

TEST(ClusterCommandTableServer, BuiltinReadonlyFlagsAreTheServers) {
  auto c = dial(2);
  ASSERT_TRUE(c);
  const Resp reply = c->cmd("COMMAND");
  ASSERT_FALSE(reply.err());
  std::vector<std::pair<std::string, bool>> commands;
  list_commands(reply, commands);
  ASSERT_GT(commands.size(), 200u);
  const auto builtin = CommandTable::builtin();
  const auto from_server = CommandTable::from_command_reply(reply).value();
  int known = 0;
  for (const auto& [name, readonly] : commands) {
    SCOPED_TRACE(name);
    Argv argv;
    const auto bar = name.find('|');
    if (bar == std::string::npos) {
      argv = {name};
    } else {
      argv = {std::string_view(name).substr(0, bar), std::string_view(name).substr(bar + 1)};
    }
    EXPECT_TRUE(from_server->knows(argv));
    EXPECT_EQ(from_server->is_readonly(argv), readonly);
    if (!builtin->knows(argv)) continue;
    ++known;
    EXPECT_EQ(builtin->is_readonly(argv), readonly);
  }
  // Every command of 7.0 with keys, subcommands included.
  EXPECT_GT(known, 180);
}

}  // namespace
}  // namespace respool::cluster
