// Differential test: our Parser against hiredis's redisReader (Debian
// libhiredis 0.14.1, RESP2 only), fed the same bytes cut at the same
// points. Both must return the same replies and make the same accept /
// reject decision, for valid streams and for corrupted ones.
//
// What hiredis 0.14.1 (as packaged by Debian, with the CVE-2021-32765 fix)
// does, read from its read.c and checked by the KnownHiredisBehaviour test:
//   - type bytes: + - : $ * only; anything else is a protocol error.
//   - lengths, counts and integers go through string2ll: canonical decimal,
//     no '+', no leading zero, no "-0", no overflow. "$-1"/"*-1" are nil;
//     any other negative length or count is an error; a count > INT_MAX is
//     an error; a bulk length is otherwise unbounded.
//   - nesting: 8 levels of arrays; an aggregate type byte at the 9th level
//     is an error at once (even "*-1" and "*0"). Our limits match below.
//   - it looks for "\r\n": a CR not followed by LF is skipped over.
//   - after a bulk payload it skips 2 bytes without looking at them.
//
// Known divergences (our parser stays strict; each is detected precisely by
// the StrictWalk below, and only the replies before it are compared):
//   D1 resp3_type: a RESP3 type byte (_ , # ( = ! % ~ > |). hiredis 0.14
//      predates RESP3 and rejects it; we parse it.
//   D2 bare_cr_in_simple_line: a CR not followed by LF inside a '+' or '-'
//      line. hiredis keeps it in the string; RESP forbids CR in simple
//      strings, so we reject.
//   D3 bulk_without_crlf: a bulk payload not followed by CRLF. hiredis
//      skips whatever 2 bytes follow; we reject (the framing is lost).
//   D4 unfinished_bad_line: the input ends inside a length / integer line
//      that can no longer become valid (more than 32 bytes without CRLF, or
//      a CR not followed by LF). We reject at once; hiredis waits for a
//      CRLF (and rejects the line when it comes). Only the end state
//      differs: our error against hiredis's "need more".
//   D5 bulk_length_overflow: a bulk length so close to INT64_MAX that the
//      reply can't be counted in an int64 (length + 2 overflows). hiredis's
//      arithmetic overflows there (undefined behaviour in C); we report
//      limit_exceeded (max_reply_bytes is INT64_MAX in this test).
// Every other corruption is compared in full. A run prints how many cases
// fell in each class, and fails if fewer than half of the corrupted cases
// were compared in full.
//
// Reproduce a failure: the message prints the case's seed; run with
// RESPOOL_DIFF_SEED=<base seed> to change the base seed (default fixed).
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "respool/parser.hpp"

namespace {

using respool::Parser;
using respool::ParserLimits;
using respool::Resp;

// Our limits set to hiredis 0.14.1's: 8 levels, counts up to INT_MAX, no
// bulk or reply size limit.
constexpr int kHiredisDepth = 8;
const ParserLimits kLimits{.max_bulk_length = std::numeric_limits<std::int64_t>::max(),
                           .max_depth = kHiredisDepth,
                           .max_elements = INT_MAX,
                           .max_reply_bytes = std::numeric_limits<std::int64_t>::max(),
                           .max_reply_memory = std::numeric_limits<std::int64_t>::max()};

struct Outcome {
  std::vector<Resp> replies;
  bool error = false;
};

std::string show(std::string_view s) {
  std::string out;
  for (unsigned char c : s.substr(0, 600)) {
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c >= 0x7f) {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", c);
      out += b;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (s.size() > 600) out += "...(" + std::to_string(s.size()) + " bytes)";
  return out;
}

std::string show(const Outcome& o) {
  std::string s = std::to_string(o.replies.size()) + " replies" + (o.error ? " then error" : "") + ":";
  for (std::size_t i = 0; i < o.replies.size() && i < 8; ++i)
    s += " " + o.replies[i].to_string().substr(0, 200);
  return s;
}

// --- our parser ------------------------------------------------------------------

Outcome run_ours(std::string_view in, const std::vector<std::size_t>& cuts) {
  Parser p(kLimits);
  Outcome o;
  std::size_t from = 0;
  auto drain = [&] {
    for (;;) {
      auto r = p.next();
      if (!r) {
        o.error = true;
        return;
      }
      if (!*r) return;
      o.replies.push_back(std::move(**r));
    }
  };
  for (std::size_t i = 0; i <= cuts.size() && !o.error; ++i) {
    const std::size_t to = i < cuts.size() ? cuts[i] : in.size();
    // Alternate between feed() and prepare()/commit().
    if (i % 2 == 0) {
      p.feed(in.substr(from, to - from));
    } else {
      auto span = p.prepare(to - from);
      std::copy(in.begin() + static_cast<std::ptrdiff_t>(from), in.begin() + static_cast<std::ptrdiff_t>(to),
                span.begin());
      p.commit(to - from);
    }
    from = to;
    drain();
  }
  return o;
}

// --- hiredis, building Resp trees through its reply-object hooks ---------------
// The hooks build our Resp directly: no redisReply (whose createArray would
// calloc the claimed count) and an exact picture of what hiredis decided.

void* attach(const redisReadTask* task, Resp v) {
  if (task->parent != nullptr) {
    auto* parent = static_cast<Resp*>(task->parent->obj);
    parent->elements().push_back(std::move(v));
    return &parent->elements().back();  // stable while hiredis fills it (no sibling is added meanwhile)
  }
  return new Resp(std::move(v));
}

void* create_string(const redisReadTask* task, char* s, size_t len) {
  std::string text(s, len);
  switch (task->type) {
    case REDIS_REPLY_STATUS: return attach(task, Resp::simple_string(std::move(text)));
    case REDIS_REPLY_ERROR: return attach(task, Resp::server_error(std::move(text)));
    default: return attach(task, Resp::bulk_string(std::move(text)));
  }
}

void* create_array(const redisReadTask* task, int elements) {
  Resp a = Resp::aggregate(Resp::Type::array, {});
  a.elements().reserve(static_cast<std::size_t>(std::clamp(elements, 0, 1024)));
  return attach(task, std::move(a));
}

void* create_integer(const redisReadTask* task, long long v) { return attach(task, Resp::integer_value(v)); }
void* create_nil(const redisReadTask* task) { return attach(task, Resp()); }
void free_object(void* p) { delete static_cast<Resp*>(p); }  // only ever called on a root

redisReplyObjectFunctions g_functions = {create_string, create_array, create_integer, create_nil,
                                         free_object};

Outcome run_hiredis(std::string_view in, const std::vector<std::size_t>& cuts) {
  redisReader* r = redisReaderCreateWithFunctions(&g_functions);
  Outcome o;
  std::size_t from = 0;
  for (std::size_t i = 0; i <= cuts.size() && !o.error; ++i) {
    const std::size_t to = i < cuts.size() ? cuts[i] : in.size();
    if (to > from) redisReaderFeed(r, in.data() + from, to - from);
    from = to;
    for (;;) {
      void* reply = nullptr;
      if (redisReaderGetReply(r, &reply) != REDIS_OK) {
        o.error = true;
        break;
      }
      if (reply == nullptr) break;
      o.replies.push_back(std::move(*static_cast<Resp*>(reply)));
      delete static_cast<Resp*>(reply);
    }
  }
  redisReaderFree(r);
  return o;
}

// --- the strict walk: where, if anywhere, the two may differ --------------------

enum class Kind {
  ok,                      // a complete reply
  incomplete,              // the input ends inside a reply: both wait
  error,                   // both must reject here
  resp3_type,              // D1
  bare_cr_in_simple_line,  // D2
  bulk_without_crlf,       // D3
  unfinished_bad_line,     // D4
  bulk_length_overflow,    // D5
};

const char* name(Kind k) {
  switch (k) {
    case Kind::ok: return "ok";
    case Kind::incomplete: return "incomplete";
    case Kind::error: return "error";
    case Kind::resp3_type: return "D1 resp3_type";
    case Kind::bare_cr_in_simple_line: return "D2 bare_cr_in_simple_line";
    case Kind::bulk_without_crlf: return "D3 bulk_without_crlf";
    case Kind::unfinished_bad_line: return "D4 unfinished_bad_line";
    case Kind::bulk_length_overflow: return "D5 bulk_length_overflow";
  }
  return "?";
}

bool is_divergence(Kind k) { return k > Kind::error; }

bool strict_int64(std::string_view s, std::int64_t& out) {
  if (s.empty() || s == "-") return false;
  const bool neg = s[0] == '-';
  const std::string_view d = neg ? s.substr(1) : s;
  if (d[0] == '0' && (neg || d.size() != 1)) return false;
  __int128 v = 0;
  for (char c : d) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
    if (v > (static_cast<__int128>(1) << 63)) return false;
  }
  if (neg) v = -v;
  if (v > std::numeric_limits<std::int64_t>::max() || v < std::numeric_limits<std::int64_t>::min())
    return false;
  out = static_cast<std::int64_t>(v);
  return true;
}

// Walks replies by the rules both parsers share, and stops at the first
// construct where they are known to differ (D1..D4).
struct StrictWalk {
  std::string_view s;
  std::size_t pos = 0;
  std::size_t reply_start = 0;

  Kind number_line(std::int64_t& n) {
    const std::size_t start = pos + 1;
    const std::size_t cr = s.find('\r', start);
    const bool crlf_later = s.find("\r\n", start) != std::string_view::npos;
    if (cr == std::string_view::npos)
      return s.size() - start > 32 ? Kind::unfinished_bad_line : Kind::incomplete;
    const std::size_t len = cr - start;
    if (len > 32) return crlf_later ? Kind::error : Kind::unfinished_bad_line;
    if (cr + 1 == s.size()) return Kind::incomplete;
    if (s[cr + 1] != '\n') return crlf_later ? Kind::error : Kind::unfinished_bad_line;
    if (!strict_int64(s.substr(start, len), n)) return Kind::error;
    pos = cr + 2;
    return Kind::ok;
  }

  Kind one(int depth) {
    if (pos >= s.size()) return Kind::incomplete;
    const char t = s[pos];
    switch (t) {
      case '+':
      case '-': {
        const std::size_t cr = s.find('\r', pos + 1);
        if (cr == std::string_view::npos || cr + 1 == s.size()) return Kind::incomplete;
        if (s[cr + 1] != '\n') return Kind::bare_cr_in_simple_line;
        pos = cr + 2;
        return Kind::ok;
      }
      case ':': {
        std::int64_t n = 0;
        return number_line(n);
      }
      case '$': {
        std::int64_t n = 0;
        if (Kind k = number_line(n); k != Kind::ok) return k;
        if (n == -1) return Kind::ok;
        if (n < 0) return Kind::error;
        const auto used = static_cast<std::int64_t>(pos - reply_start);
        if (n > std::numeric_limits<std::int64_t>::max() - used - 2) return Kind::bulk_length_overflow;
        if (static_cast<std::uint64_t>(n) + 2 > s.size() - pos) return Kind::incomplete;
        const auto u = static_cast<std::size_t>(n);
        if (s[pos + u] != '\r' || s[pos + u + 1] != '\n') return Kind::bulk_without_crlf;
        pos += u + 2;
        return Kind::ok;
      }
      case '*': {
        if (depth >= kHiredisDepth) return Kind::error;
        std::int64_t n = 0;
        if (Kind k = number_line(n); k != Kind::ok) return k;
        if (n == -1) return Kind::ok;
        if (n < 0 || n > INT_MAX) return Kind::error;
        for (std::int64_t i = 0; i < n; ++i) {
          if (Kind k = one(depth + 1); k != Kind::ok) return k;
        }
        return Kind::ok;
      }
      case '_':
      case ',':
      case '#':
      case '(':
      case '=':
      case '!':
      case '%':
      case '~':
      case '>':
      case '|': return Kind::resp3_type;
      default: return Kind::error;
    }
  }

  // Complete replies, then how the input ends.
  std::pair<std::size_t, Kind> all() {
    std::size_t n = 0;
    while (pos < s.size()) {
      reply_start = pos;
      const Kind k = one(0);
      if (k != Kind::ok) return {n, k};
      ++n;
    }
    return {n, Kind::incomplete};
  }
};

// --- random valid streams --------------------------------------------------------

struct Stream {
  std::string bytes;
  std::vector<Resp> replies;
  std::vector<std::size_t> number_lines;  // offsets of ':' '$' '*' type bytes
  std::vector<std::size_t> type_bytes;    // offsets of every type byte
};

class Generator {
 public:
  explicit Generator(std::uint64_t seed) : rng_(seed) {}

  std::mt19937_64& rng() { return rng_; }
  std::uint64_t below(std::uint64_t n) {
    return std::uniform_int_distribution<std::uint64_t>(0, n - 1)(rng_);
  }
  bool chance(int percent) { return below(100) < static_cast<std::uint64_t>(percent); }

  Stream stream() {
    Stream s;
    const std::uint64_t n = 1 + below(6);
    for (std::uint64_t i = 0; i < n; ++i) s.replies.push_back(reply(s, 0));
    return s;
  }

 private:
  std::string text(std::size_t n) {
    std::string t;
    for (std::size_t i = 0; i < n; ++i) t.push_back(static_cast<char>(' ' + below(95)));
    if (n > 0 && chance(3)) t[below(n)] = '\n';  // a bare LF: tolerated by both
    return t;
  }

  // Streams stay small (a few KiB, now and then ~70 KiB) so that thousands
  // of cases run in seconds, also under sanitizers.
  static constexpr std::size_t kBudget = 16 * 1024;

  std::size_t bulk_size(const Stream& s) {
    if (s.bytes.size() > kBudget) return below(8);
    const auto r = below(100);
    if (r < 70) return below(41);
    if (r < 97) return below(1000);
    return 20000 + below(50000);
  }

  std::int64_t integer() {
    switch (below(5)) {
      case 0: return static_cast<std::int64_t>(below(100));
      case 1: return -static_cast<std::int64_t>(below(1000));
      case 2: return std::numeric_limits<std::int64_t>::min() + static_cast<std::int64_t>(below(2));
      case 3: return std::numeric_limits<std::int64_t>::max() - static_cast<std::int64_t>(below(2));
      default: return static_cast<std::int64_t>(rng_());
    }
  }

  void header(Stream& s, char t, std::int64_t n) {
    s.type_bytes.push_back(s.bytes.size());
    s.number_lines.push_back(s.bytes.size());
    s.bytes += t + std::to_string(n) + "\r\n";
  }

  Resp reply(Stream& s, int depth) {
    const auto r = below(100);
    const bool may_nest = depth < kHiredisDepth;
    if (r < 15) {
      s.type_bytes.push_back(s.bytes.size());
      std::string t = text(below(30));
      s.bytes += "+" + t + "\r\n";
      return Resp::simple_string(std::move(t));
    }
    if (r < 22) {
      s.type_bytes.push_back(s.bytes.size());
      std::string t = "ERR " + text(below(30));
      s.bytes += "-" + t + "\r\n";
      return Resp::server_error(std::move(t));
    }
    if (r < 37) {
      const std::int64_t v = integer();
      header(s, ':', v);
      return Resp::integer_value(v);
    }
    if (r < 40) {
      header(s, '$', -1);
      return Resp();
    }
    if (r < 42 && may_nest) {  // a nil array counts as a level for hiredis
      header(s, '*', -1);
      return Resp();
    }
    if (r < 72 || !may_nest || (s.bytes.size() > kBudget && chance(50))) {
      std::string payload(bulk_size(s), '\0');
      for (std::size_t i = 0; i < payload.size(); i += 8) {  // 8 random bytes per draw
        const std::uint64_t bits = rng_();
        std::memcpy(payload.data() + i, &bits, std::min<std::size_t>(8, payload.size() - i));
      }
      header(s, '$', static_cast<std::int64_t>(payload.size()));
      s.bytes += payload + "\r\n";
      return Resp::bulk_string(std::move(payload));
    }
    const std::uint64_t n = s.bytes.size() > kBudget ? below(2) : chance(5) ? below(60) : below(5);
    header(s, '*', static_cast<std::int64_t>(n));
    std::vector<Resp> els;
    for (std::uint64_t i = 0; i < n; ++i) els.push_back(reply(s, depth + 1));
    return Resp::aggregate(Resp::Type::array, std::move(els));
  }

  std::mt19937_64 rng_;
};

// Random cut points: none, a few, or every byte.
std::vector<std::size_t> random_cuts(Generator& g, std::size_t size) {
  std::vector<std::size_t> cuts;
  if (size == 0) return cuts;
  const auto r = g.below(100);
  if (r < 5 && size < 3000) {
    for (std::size_t i = 1; i < size; ++i) cuts.push_back(i);
    return cuts;
  }
  const std::uint64_t n = r < 20 ? 0 : g.below(10);
  for (std::uint64_t i = 0; i < n; ++i) cuts.push_back(g.below(size + 1));
  std::sort(cuts.begin(), cuts.end());
  return cuts;
}

// --- corruptions -----------------------------------------------------------------

const char* const kBadNumbers[] = {"-2",
                                   "-100",
                                   "+3",
                                   "",
                                   "03",
                                   "-0",
                                   " 3",
                                   "3 ",
                                   "abc",
                                   "1x",
                                   "99999999999999999999",
                                   "2147483648",
                                   "2147483647",
                                   "9223372036854775808",
                                   "-9223372036854775809",
                                   "0",
                                   "1",
                                   "2",
                                   "7",
                                   "100",
                                   "1000000000000",
                                   "-"};

std::string corrupt(Generator& g, const Stream& s, std::string& kind) {
  std::string b = s.bytes;
  if (b.empty()) return b;
  switch (g.below(9)) {
    case 0: {  // flip one byte to a random value
      kind = "byte flip";
      b[g.below(b.size())] = static_cast<char>(g.below(256));
      break;
    }
    case 1: {  // flip one bit in a few places
      kind = "bit flips";
      for (std::uint64_t i = 0, n = 1 + g.below(3); i < n; ++i)
        b[g.below(b.size())] ^= static_cast<char>(1 << g.below(8));
      break;
    }
    case 2: {  // a bad length, count or integer
      kind = "bad number";
      if (s.number_lines.empty()) break;  // only simple strings and errors
      const std::size_t at = s.number_lines[g.below(s.number_lines.size())];
      const std::size_t end = b.find("\r\n", at);
      if (end == std::string::npos) break;
      b = b.substr(0, at + 1) + kBadNumbers[g.below(std::size(kBadNumbers))] + b.substr(end);
      break;
    }
    case 3: {  // truncation
      kind = "truncation";
      b.resize(g.below(b.size()));
      break;
    }
    case 4: {  // a garbage type byte
      kind = "type byte";
      const char pool[] = "+-:$*_,#(=!%~>|@?\x00 \r\nA0\xff";
      b[s.type_bytes[g.below(s.type_bytes.size())]] = pool[g.below(sizeof pool - 1)];
      break;
    }
    case 5: {  // damage a CR or LF
      kind = "CRLF damage";
      std::vector<std::size_t> at;
      for (std::size_t i = 0; i < b.size(); ++i) {
        if (b[i] == '\r' || b[i] == '\n') at.push_back(i);
      }
      if (at.empty()) break;
      const std::size_t i = at[g.below(at.size())];
      const char repl[] = {'\r', '\n', 'x', '0', ' ', '\0'};
      if (g.chance(30)) {
        b.erase(i, 1);
      } else {
        b[i] = repl[g.below(sizeof repl)];
      }
      break;
    }
    case 6: {  // insert random bytes
      kind = "insertion";
      std::string junk(1 + g.below(4), '\0');
      for (auto& c : junk) c = static_cast<char>(g.below(256));
      if (g.chance(50)) junk = std::string(1, "\r\n$*:+-"[g.below(7)]);
      b.insert(g.below(b.size() + 1), junk);
      break;
    }
    case 7: {  // delete a range
      kind = "deletion";
      const std::size_t at = g.below(b.size());
      b.erase(at, 1 + g.below(std::min<std::size_t>(8, b.size() - at)));
      break;
    }
    default: {  // nesting around the hiredis limit
      kind = "nesting";
      std::string prefix;
      const std::uint64_t levels = kHiredisDepth - 2 + g.below(5);
      for (std::uint64_t i = 0; i < levels; ++i) prefix += "*1\r\n";
      b = prefix + b;
      break;
    }
  }
  return b;
}

bool same_prefix(const Outcome& a, const Outcome& b, std::size_t n) {
  if (a.replies.size() < n || b.replies.size() < n) return false;
  return std::equal(a.replies.begin(), a.replies.begin() + static_cast<std::ptrdiff_t>(n), b.replies.begin());
}

// Checks one stream; returns the class it fell in ("" when it failed).
std::string check(std::string_view bytes, const std::vector<std::size_t>& cuts, const std::string& context) {
  const Outcome ours = run_ours(bytes, cuts);
  const Outcome theirs = run_hiredis(bytes, cuts);
  const auto walk = StrictWalk{bytes}.all();
  const std::size_t count = walk.first;  // (no structured binding: clang 14 can't capture one)
  const Kind end = walk.second;
  auto fail = [&](const char* what) {
    ADD_FAILURE() << what << "\n  " << context << "\n  walk: " << count << " replies then " << name(end)
                  << "\n  input: " << show(bytes) << "\n  ours:    " << show(ours)
                  << "\n  hiredis: " << show(theirs);
    return std::string();
  };
  if (!is_divergence(end)) {
    const bool want_error = end == Kind::error;
    if (ours.error != want_error || ours.replies.size() != count)
      return fail("our parser disagrees with the walk");
    if (theirs.error != ours.error) return fail("accept/reject differs from hiredis");
    if (theirs.replies != ours.replies) return fail("replies differ from hiredis");
    return want_error ? "compared: both reject" : "compared: both accept";
  }
  if (!same_prefix(ours, theirs, count)) return fail("replies before a known divergence differ");
  switch (end) {
    case Kind::resp3_type: break;
    case Kind::unfinished_bad_line:
      if (theirs.error || theirs.replies.size() != count) return fail("hiredis did not wait as expected");
      [[fallthrough]];
    default:
      if (!ours.error || ours.replies.size() != count)
        return fail("our parser accepted a known-bad construct");
  }
  return name(end);
}

std::uint64_t base_seed() {
  if (const char* env = std::getenv("RESPOOL_DIFF_SEED")) return std::strtoull(env, nullptr, 10);
  return 0x5eed2024;
}

// --- tests -------------------------------------------------------------------------

TEST(HiredisDiff, KnownHiredisBehaviour) {
  // Pins the hiredis behaviour the comments above rely on; if the system
  // hiredis changes, this says so first.
  auto hi = [](std::string_view s) { return run_hiredis(s, {}); };
  EXPECT_EQ(hi("+a\rb\r\n").replies, std::vector<Resp>{Resp::simple_string("a\rb")});  // D2
  EXPECT_EQ(hi("$3\r\nabcXY:1\r\n").replies,
            (std::vector<Resp>{Resp::bulk_string("abc"), Resp::integer_value(1)}));  // D3
  EXPECT_TRUE(hi("%1\r\n").error);                                                   // D1
  const Outcome d4 = hi(":123456789012345678901234567890123456789");                 // D4
  EXPECT_FALSE(d4.error);
  EXPECT_TRUE(d4.replies.empty());
  std::string eight, nine;
  for (int i = 0; i < 8; ++i) eight += "*1\r\n";
  nine = eight + "*1\r\n";
  EXPECT_FALSE(hi(eight + ":1\r\n").error);
  EXPECT_TRUE(hi(nine + ":1\r\n").error);
  EXPECT_TRUE(hi(eight + "*-1\r\n").error);
  EXPECT_TRUE(hi("*2147483648\r\n").error);
  EXPECT_FALSE(hi("*2147483647\r\n").error);
  for (const char* bad : {":+5\r\n", ":\r\n", ":01\r\n", ":-0\r\n", "$-2\r\n", "*-2\r\n", "$03\r\nabc\r\n"}) {
    EXPECT_TRUE(hi(bad).error) << show(bad);
  }
}

TEST(HiredisDiff, HandPickedStreams) {
  std::string eight;
  for (int i = 0; i < 8; ++i) eight += "*1\r\n";
  const std::string cases[] = {"+OK\r\n",
                               "-ERR x\r\n",
                               ":0\r\n",
                               ":-9223372036854775808\r\n",
                               ":9223372036854775808\r\n",
                               "$0\r\n\r\n",
                               "$-1\r\n",
                               "*-1\r\n",
                               "*0\r\n",
                               "$-2\r\n",
                               "*-2\r\n",
                               "*2147483648\r\n",
                               "*2147483647\r\n",
                               ":+1\r\n",
                               ":01\r\n",
                               ":-0\r\n",
                               "$+1\r\na\r\n",
                               "$\r\n",
                               ":\r\n",
                               "@\r\n",
                               std::string("\0", 1),
                               eight + ":1\r\n",
                               eight + "*0\r\n",
                               eight + "*-1\r\n",
                               eight + "*",
                               "*2\r\n$3\r\nfoo\r\n:1\r\n",
                               "*2\r\n$3\r\nfoo\r\n",
                               "+a\nb\r\n",
                               ":12\n:5\r\n",
                               "$3\r\nabc\r",
                               "$1000000000000\r\nabc",
                               "+a\rb\r\n",
                               "$3\r\nabcXY",
                               "%1\r\n+a\r\n+b\r\n",
                               ":" + std::string(40, '1'),
                               ":" + std::string(40, '1') + "\r\n",
                               "$3\rX",
                               "$3\rX\r\n",
                               "*1\r\n+x\r\n" + eight + eight,
                               "$9223372036854775807\r\n",
                               "$9223372036854775805\r\n"};
  for (const auto& c : cases) {
    const std::string cls = check(c, {}, "hand-picked");
    EXPECT_FALSE(cls.empty()) << show(c);
    // The same stream one byte at a time.
    std::vector<std::size_t> every;
    for (std::size_t i = 1; i < c.size(); ++i) every.push_back(i);
    EXPECT_FALSE(check(c, every, "hand-picked, byte by byte").empty()) << show(c);
  }
}

TEST(HiredisDiff, ValidStreamsCutAtRandomPoints) {
  const std::uint64_t base = base_seed();
  for (std::uint64_t i = 0; i < 4000; ++i) {
    const std::uint64_t seed = base + i;
    Generator g(seed);
    const Stream s = g.stream();
    const auto cuts = random_cuts(g, s.bytes.size());
    const std::string context = "valid stream, seed " + std::to_string(seed);
    const Outcome ours = run_ours(s.bytes, cuts);
    ASSERT_FALSE(ours.error) << context << "\n  input: " << show(s.bytes);
    ASSERT_EQ(ours.replies, s.replies) << context << "\n  input: " << show(s.bytes);
    ASSERT_EQ(check(s.bytes, cuts, context), "compared: both accept") << context;
  }
}

TEST(HiredisDiff, CorruptedStreams) {
  const std::uint64_t base = base_seed() ^ 0xc0ffee;
  std::map<std::string, int> classes;
  std::map<std::string, int> kinds;
  int compared = 0;
  constexpr int kCases = 12000;
  for (int i = 0; i < kCases; ++i) {
    const std::uint64_t seed = base + static_cast<std::uint64_t>(i);
    Generator g(seed);
    const Stream s = g.stream();
    std::string kind;
    std::string bytes = corrupt(g, s, kind);
    if (g.chance(20)) {  // sometimes a second corruption on top
      std::string second;
      Stream again = s;
      again.bytes = bytes;
      if (!again.bytes.empty() && bytes.size() == s.bytes.size()) {
        bytes = corrupt(g, again, second);
        kind += " + " + second;
      }
    }
    const auto cuts = random_cuts(g, bytes.size());
    const std::string cls = check(bytes, cuts, "corruption '" + kind + "', seed " + std::to_string(seed));
    ASSERT_FALSE(cls.empty()) << "seed " << seed;
    ++classes[cls];
    ++kinds[kind.substr(0, kind.find(" + "))];
    if (cls.rfind("compared", 0) == 0) ++compared;
  }
  std::cout << "[ corrupted streams by class ]\n";
  for (const auto& [cls, n] : classes) std::cout << "  " << cls << ": " << n << "\n";
  std::cout << "[ corrupted streams by corruption ]\n";
  for (const auto& [k, n] : kinds) std::cout << "  " << k << ": " << n << "\n";
  EXPECT_GE(compared, kCases / 2) << "too few corrupted streams were compared in full";
}

}  // namespace
