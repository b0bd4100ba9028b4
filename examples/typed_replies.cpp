// Typed replies: Resp::as<T>() from a reply to C++ values, the same code in
// RESP2 and RESP3, errors that say where and why, and a type of your own.
//   example_typed_replies [host:port]
#include <cinttypes>
#include <cstdio>
#include <map>
#include <optional>
#include <respool/respool.hpp>
#include <string>
#include <utility>
#include <vector>

// A type of yours, read from a hash: specialize respool::from_resp.
struct Account {
  std::string owner;
  std::int64_t balance = 0;
};

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
    if (!n) return n.error();
    return Account{std::move(owner->second), *n};
  }
};
static_assert(respool::HasFromResp<Account>);

namespace {

// The examples, on a pool speaking `protocol`; false on an unexpected result.
bool run(const char* addr, int protocol) {
  respool::PoolOptions options;
  options.dial_options.protocol = protocol;
  auto made = respool::Pool::create("tcp", addr, 2, options);
  if (made.error) {
    std::fprintf(stderr, "pool %s: %s\n", addr, made.error.message().c_str());
    return false;
  }
  auto& pool = *made.pool;
  std::printf("--- RESP%d\n", protocol);
  const std::string h = "example:typed:h", z = "example:typed:z", n = "example:typed:n",
                    acct = "example:typed:acct";
  (void)pool.cmd("DEL", h, z, n, acct);

  // A hash: a flat array in RESP2, a map in RESP3; the same std::map either way.
  (void)pool.cmd("HSET", h, "name", "ann", "visits", 3);
  auto fields = pool.cmd("HGETALL", h).as<std::map<std::string, std::string>>();
  if (!fields) return false;
  for (const auto& [k, v] : *fields) std::printf("HGETALL %s: %s = %s\n", h.c_str(), k.c_str(), v.c_str());

  // Scores: [member, score, ...] in RESP2, [[member, score], ...] in RESP3.
  (void)pool.cmd("ZADD", z, 1, "a", 2.5, "b");
  auto scores = pool.cmd("ZRANGE", z, 0, -1, "WITHSCORES").as<std::vector<std::pair<std::string, double>>>();
  if (!scores || scores->size() != 2) return false;
  for (const auto& [member, score] : *scores)
    std::printf("ZRANGE WITHSCORES: %s %g\n", member.c_str(), score);

  // A missing key is nil: std::nullopt.
  auto values = pool.cmd("MGET", h + ":none", n).as<std::vector<std::optional<std::int64_t>>>();
  if (!values || (*values)[0].has_value()) return false;
  std::printf("MGET of two missing keys: %zu values, none present\n", values->size());

  // Numbers are range-checked: an int8 of 128 is an error, not -128.
  (void)pool.cmd("SET", n, 127);
  std::string why;
  auto small = pool.cmd("INCR", n).as<std::int8_t>(why);
  if (small || small.error() != respool::errc::out_of_range) return false;
  std::printf("INCR as int8: %s (%s)\n", small.error().message().c_str(), why.c_str());
  auto big = pool.cmd("GET", n).as<std::int64_t>();
  if (!big || *big != 128) return false;
  std::printf("GET as int64: %" PRId64 "\n", *big);

  // Where and why: the path to the part that failed.
  auto visits = pool.cmd("HGETALL", h).as<std::map<std::string, int>>(why);
  if (visits) return false;
  std::printf("HGETALL as map<string, int>: %s\n", why.c_str());
  // A server error converts to its error, with the server's words.
  if (pool.cmd("INCR", h).as<std::int64_t>(why)) return false;
  std::printf("INCR of a hash: %s\n", why.c_str());

  // Your own type.
  (void)pool.cmd("HSET", acct, "owner", "ann", "balance", -250);
  auto account = pool.cmd("HGETALL", acct).as<Account>();
  if (!account) return false;
  std::printf("Account: owner %s, balance %" PRId64 "\n", account->owner.c_str(), account->balance);
  if (pool.cmd("HGETALL", h).as<Account>(why)) return false;
  std::printf("HGETALL %s as Account: %s\n", h.c_str(), why.c_str());

  (void)pool.cmd("DEL", h, z, n, acct);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const char* addr = argc > 1 ? argv[1] : "127.0.0.1:6379";
  for (int protocol : {2, 3}) {
    if (!run(addr, protocol)) {
      std::fprintf(stderr, "typed replies: unexpected result in RESP%d\n", protocol);
      return 1;
    }
  }
  return 0;
}
