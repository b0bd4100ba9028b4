// Unit tests of respool::Parser: every reply type, input split anywhere,
// prepare/commit, reset, every limit and every malformed input.
#include "respool/parser.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "alloc_probe.hpp"
#include "resp_builders.hpp"

namespace {

using namespace respool::test::build;

using respool::errc;
using respool::Parser;
using respool::ParserLimits;
using respool::Resp;
using respool_test::AllocationProbe;
using T = Resp::Type;

// Inputs are built with std::string::append, not "literal" + std::string:
// GCC 12 at -O3 reports a false -Wrestrict in operator+(const char*,
// std::string&&).

// Every reply in `in`, fed at once; fails the test on an error or leftover bytes.
std::vector<Resp> parse_all(std::string_view in, ParserLimits limits = {}) {
  Parser p(limits);
  p.feed(in);
  std::vector<Resp> out;
  for (;;) {
    auto r = p.next();
    EXPECT_TRUE(r.has_value()) << r.error().message() << " for input "
                               << testing::PrintToString(std::string(in));
    if (!r || !*r) break;
    out.push_back(std::move(**r));
  }
  EXPECT_EQ(p.buffered(), 0u);
  return out;
}

Resp parse_one(std::string_view in, ParserLimits limits = {}) {
  auto v = parse_all(in, limits);
  EXPECT_EQ(v.size(), 1u) << testing::PrintToString(std::string(in));
  return v.empty() ? Resp::io_error(errc::protocol_error) : std::move(v.front());
}

// The error the parser reports for `in` (fed at once), or an empty code.
std::error_code parse_error(std::string_view in, ParserLimits limits = {}) {
  Parser p(limits);
  p.feed(in);
  for (;;) {
    auto r = p.next();
    if (!r) return r.error();
    if (!*r) return {};
  }
}

// Outcome of a whole stream: the replies, then an error or "need more".
struct Outcome {
  std::vector<Resp> replies;
  std::error_code error;
  friend bool operator==(const Outcome&, const Outcome&) = default;
};

Outcome drain(Parser& p, Outcome acc = {}) {
  for (;;) {
    auto r = p.next();
    if (!r) {
      acc.error = r.error();
      return acc;
    }
    if (!*r) return acc;
    acc.replies.push_back(std::move(**r));
  }
}

Outcome run_pieces(std::string_view in, const std::vector<std::size_t>& cuts, ParserLimits limits = {}) {
  Parser p(limits);
  Outcome acc;
  std::size_t from = 0;
  for (std::size_t c : cuts) {
    p.feed(in.substr(from, c - from));
    from = c;
    acc = drain(p, std::move(acc));
  }
  p.feed(in.substr(from));
  return drain(p, std::move(acc));
}

// A stream with every RESP2 and RESP3 type, nesting and attributes.
const std::string kMixed =
    std::string(
        "+OK\r\n-ERR bad thing\r\n:42\r\n:-7\r\n$5\r\nhello\r\n$0\r\n\r\n$-1\r\n*-1\r\n"
        "*3\r\n:1\r\n*2\r\n+a\r\n$1\r\nb\r\n*0\r\n"
        "_\r\n,3.25\r\n,inf\r\n#t\r\n#f\r\n(12345678901234567890\r\n"
        "=15\r\ntxt:Some string\r\n!21\r\nSYNTAX invalid syntax\r\n"
        "%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n~3\r\n+x\r\n+y\r\n+z\r\n"
        ">3\r\n+message\r\n+chan\r\n$2\r\nhi\r\n"
        "|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.1923\r\n*2\r\n:2039123\r\n:9543892\r\n"
        "*3\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n:2\r\n:3\r\n$6\r\nbin") +
    std::string("\0\r\n", 3) + std::string("\r\n");

std::vector<Resp> mixed_expected() {
  std::vector<Resp> v;
  v.push_back(simple("OK"));
  v.push_back(Resp::server_error("ERR bad thing"));
  v.push_back(num(42));
  v.push_back(num(-7));
  v.push_back(bulk("hello"));
  v.push_back(bulk(""));
  v.push_back(Resp());
  v.push_back(Resp());
  v.push_back(arr({num(1), arr({simple("a"), bulk("b")}), arr({})}));
  v.push_back(Resp());
  v.push_back(Resp::double_value(3.25));
  v.push_back(Resp::double_value(std::numeric_limits<double>::infinity()));
  v.push_back(Resp::boolean_value(true));
  v.push_back(Resp::boolean_value(false));
  v.push_back(Resp::big_number("12345678901234567890"));
  v.push_back(Resp::verbatim_string("txt", "Some string"));
  v.push_back(Resp::server_error("SYNTAX invalid syntax"));
  v.push_back(Resp::aggregate(T::map, {simple("first"), num(1), simple("second"), num(2)}));
  v.push_back(Resp::aggregate(T::set, {simple("x"), simple("y"), simple("z")}));
  v.push_back(Resp::aggregate(T::push, {simple("message"), simple("chan"), bulk("hi")}));
  Resp withattr = arr({num(2039123), num(9543892)});
  withattr.set_attributes(Resp::aggregate(
      T::map, {simple("key-popularity"), Resp::aggregate(T::map, {bulk("a"), Resp::double_value(0.1923)})}));
  v.push_back(withattr);
  Resp two = num(2);
  two.set_attributes(Resp::aggregate(T::map, {simple("ttl"), num(3600)}));
  v.push_back(arr({num(1), two, num(3)}));
  v.push_back(bulk(std::string("bin\0\r\n", 6)));
  return v;
}

// --- every type -----------------------------------------------------------------

TEST(Parser, EveryTypeInOneFeed) { EXPECT_EQ(parse_all(kMixed), mixed_expected()); }

TEST(Parser, SimpleStringsAndErrors) {
  EXPECT_EQ(parse_one("+\r\n"), simple(""));
  EXPECT_EQ(parse_one("+hello world\r\n"), simple("hello world"));
  EXPECT_EQ(parse_one("-ERR x\r\n"), Resp::server_error("ERR x"));
  EXPECT_EQ(parse_one("-ERR x\r\n").err(), errc::server_error);
  // A bare LF inside a simple string is tolerated (hiredis does too).
  EXPECT_EQ(parse_one("+a\nb\r\n"), simple("a\nb"));
}

TEST(Parser, Integers) {
  EXPECT_EQ(parse_one(":0\r\n"), num(0));
  EXPECT_EQ(parse_one(":-1\r\n"), num(-1));
  EXPECT_EQ(parse_one(":9223372036854775807\r\n"), num(std::numeric_limits<std::int64_t>::max()));
  EXPECT_EQ(parse_one(":-9223372036854775808\r\n"), num(std::numeric_limits<std::int64_t>::min()));
}

TEST(Parser, BulkStrings) {
  EXPECT_EQ(parse_one("$0\r\n\r\n"), bulk(""));
  EXPECT_EQ(parse_one("$-1\r\n"), Resp());
  EXPECT_TRUE(parse_one("$-1\r\n").is_nil());
  const std::string payload("a\0b\r\nc\r", 7);
  EXPECT_EQ(parse_one("$7\r\n" + payload + "\r\n"), bulk(payload));
  const std::string big(100000, 'x');
  EXPECT_EQ(parse_one("$100000\r\n" + big + "\r\n"), bulk(big));
}

TEST(Parser, Arrays) {
  EXPECT_EQ(parse_one("*0\r\n"), arr({}));
  EXPECT_EQ(parse_one("*-1\r\n"), Resp());
  EXPECT_EQ(parse_one("*2\r\n*-1\r\n$-1\r\n"), arr({Resp(), Resp()}));
  EXPECT_EQ(parse_one("*1\r\n*1\r\n*1\r\n:5\r\n"), arr({arr({arr({num(5)})})}));
  EXPECT_EQ(parse_one("*2\r\n*0\r\n*0\r\n"), arr({arr({}), arr({})}));
}

TEST(Parser, Resp3Scalars) {
  EXPECT_EQ(parse_one("_\r\n"), Resp());
  EXPECT_EQ(parse_one("#t\r\n"), Resp::boolean_value(true));
  EXPECT_EQ(parse_one("#f\r\n"), Resp::boolean_value(false));
  EXPECT_EQ(parse_one("(-123\r\n"), Resp::big_number("-123"));
  EXPECT_EQ(parse_one("(+5\r\n"), Resp::big_number("+5"));
  EXPECT_EQ(parse_one("=4\r\ntxt:\r\n"), Resp::verbatim_string("txt", ""));
  auto v = parse_one("=9\r\nmkd:a\r\nbc\r\n");
  EXPECT_EQ(v.format(), "mkd");
  EXPECT_EQ(*v.str(), "a\r\nbc");
  EXPECT_EQ(parse_one("!0\r\n\r\n"), Resp::server_error(""));
}

TEST(Parser, Doubles) {
  const std::pair<const char*, double> cases[] = {
      {"1.5", 1.5},         {"10", 10.0},
      {"-2.5e-3", -2.5e-3}, {"1E5", 1e5},
      {"+3", 3.0},          {"0", 0.0},
      {"1.0e+2", 100.0},    {"1e400", std::numeric_limits<double>::infinity()},
      {"-0.0", -0.0},       {"3.141592653589793", 3.141592653589793}};
  for (auto [text, want] : cases) {
    auto r = parse_one(std::string(",") + text + "\r\n");
    ASSERT_EQ(r.type(), T::double_number) << text;
    EXPECT_EQ(*r.number(), want) << text;
  }
  EXPECT_EQ(*parse_one(",inf\r\n").number(), std::numeric_limits<double>::infinity());
  EXPECT_EQ(*parse_one(",+inf\r\n").number(), std::numeric_limits<double>::infinity());
  EXPECT_EQ(*parse_one(",-inf\r\n").number(), -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(*parse_one(",nan\r\n").number()));
  EXPECT_TRUE(std::isnan(*parse_one(",-nan\r\n").number()));
}

TEST(Parser, Resp3Aggregates) {
  EXPECT_EQ(parse_one("%0\r\n"), Resp::aggregate(T::map, {}));
  EXPECT_EQ(parse_one("%1\r\n+k\r\n*1\r\n:1\r\n"), Resp::aggregate(T::map, {simple("k"), arr({num(1)})}));
  EXPECT_EQ(parse_one("~2\r\n:1\r\n:2\r\n"), Resp::aggregate(T::set, {num(1), num(2)}));
  EXPECT_EQ(parse_one(">2\r\n+a\r\n+b\r\n"), Resp::aggregate(T::push, {simple("a"), simple("b")}));
  auto m = parse_one("%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n");
  EXPECT_EQ(m.elements().size(), 4u);
  EXPECT_EQ(m.map()->at("b"), "2");
}

TEST(Parser, Attributes) {
  // Top level: attaches to the reply that follows.
  auto r = parse_one("|1\r\n+a\r\n:1\r\n+OK\r\n");
  EXPECT_EQ(r, [] {
    Resp v = simple("OK");
    v.set_attributes(Resp::aggregate(T::map, {simple("a"), num(1)}));
    return v;
  }());
  ASSERT_NE(r.attributes(), nullptr);
  EXPECT_EQ(r.attributes()->type(), T::map);
  // An empty attribute block still attaches (an empty map).
  auto e = parse_one("|0\r\n:7\r\n");
  ASSERT_NE(e.attributes(), nullptr);
  EXPECT_TRUE(e.attributes()->elements().empty());
  // Inside an aggregate: attaches to the next element and is not an element.
  auto a = parse_one("*2\r\n|1\r\n+x\r\n+y\r\n:1\r\n:2\r\n");
  ASSERT_EQ(a.elements().size(), 2u);
  ASSERT_NE(a.elements()[0].attributes(), nullptr);
  EXPECT_EQ(a.elements()[1].attributes(), nullptr);
  // Before an aggregate: attaches to the aggregate, not to its first element.
  auto b = parse_one("|1\r\n+x\r\n+y\r\n*1\r\n:1\r\n");
  ASSERT_NE(b.attributes(), nullptr);
  EXPECT_EQ(b.elements()[0].attributes(), nullptr);
  // Attributes of the last element of nested aggregates.
  auto c = parse_all("*1\r\n*1\r\n|1\r\n+k\r\n+v\r\n:9\r\n+next\r\n");
  ASSERT_EQ(c.size(), 2u);
  ASSERT_NE(c[0].elements()[0].elements()[0].attributes(), nullptr);
  EXPECT_EQ(c[1].attributes(), nullptr);
}

TEST(Parser, PipelinedRepliesComeOutInOrder) {
  std::string in;
  for (int i = 0; i < 1000; ++i) in.append(":").append(std::to_string(i)).append("\r\n");
  auto v = parse_all(in);
  ASSERT_EQ(v.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(*v[i].integer(), i);
}

TEST(Parser, GetReplyAllocatesOnlyItsString) {
  {
    // Warm up: first uses in a thread (TSan's runtime, thread-local storage)
    // may allocate once; only what each reply costs is measured below.
    Parser w;
    w.feed("$16\r\n0123456789abcdef\r\n$2\r\nok\r\n:7\r\n");
    for (int i = 0; i < 3; ++i) (void)w.next();
  }
  Parser p;
  p.feed("$16\r\n0123456789abcdef\r\n$3\r\nabc\r\n:5\r\n");
  std::size_t allocations = 0;
  {
    AllocationProbe probe;
    auto r = p.next();  // 16 bytes: past std::string's inline capacity, one allocation
    allocations = probe.count();
    ASSERT_TRUE(r && *r);
    EXPECT_EQ(**r, bulk("0123456789abcdef"));
  }
  EXPECT_EQ(allocations, 1u);
  {
    AllocationProbe probe;
    auto a = p.next();  // short string and integer: none
    auto b = p.next();
    allocations = probe.count();
    ASSERT_TRUE(a && *a && b && *b);
  }
  EXPECT_EQ(allocations, 0u);
}

// --- split anywhere ---------------------------------------------------------------

TEST(Parser, OneByteAtATime) {
  Parser p;
  Outcome acc;
  for (char c : kMixed) {
    p.feed(std::string_view(&c, 1));
    acc = drain(p, std::move(acc));
  }
  EXPECT_FALSE(acc.error);
  EXPECT_EQ(acc.replies, mixed_expected());
  EXPECT_EQ(p.buffered(), 0u);
}

TEST(Parser, CutAtEveryOffset) {
  const Outcome want{mixed_expected(), {}};
  for (std::size_t cut = 0; cut <= kMixed.size(); ++cut) {
    ASSERT_EQ(run_pieces(kMixed, {cut}), want) << "cut at " << cut;
  }
}

TEST(Parser, CutAtEveryPairOfOffsets) {
  const std::string in = "*3\r\n$3\r\nfoo\r\n%1\r\n+k\r\n,1.5\r\n|1\r\n+a\r\n+b\r\n:12\r\n";
  Outcome want;
  want.replies = parse_all(in);
  for (std::size_t a = 0; a <= in.size(); ++a) {
    for (std::size_t b = a; b <= in.size(); ++b) ASSERT_EQ(run_pieces(in, {a, b}), want) << a << "," << b;
  }
}

TEST(Parser, ErrorsAreTheSameHoweverTheInputIsCut) {
  const std::string bad[] = {"*2\r\n:1\r\n@x\r\n", "$3\r\nabcXY", "*2\r\n:12a\r\n", "+ok\r\n+a\rb\r\n",
                             "$5\r\nab"};
  for (const auto& in : bad) {
    const Outcome whole = run_pieces(in, {});
    for (std::size_t cut = 0; cut <= in.size(); ++cut) EXPECT_EQ(run_pieces(in, {cut}), whole) << in << cut;
  }
}

TEST(Parser, ErrorKindDoesNotDependOnCuts) {
  // An unfinished line is bounded by its type's cap (protocol_error) and by
  // what is left of max_reply_bytes (limit_exceeded): the lower bound decides,
  // however many bytes have arrived (found by the fuzzer).
  const std::string dbl = std::string(",").append(400, '1');
  const ParserLimits small{.max_reply_bytes = 100};
  for (std::size_t cut = 0; cut <= dbl.size(); cut += 7) {
    EXPECT_EQ(run_pieces(dbl, {cut}, small).error, errc::limit_exceeded) << cut;
    EXPECT_EQ(run_pieces(dbl, {cut}).error, errc::protocol_error) << cut;
    EXPECT_EQ(run_pieces(dbl + "\r\n", {cut}, small).error, errc::limit_exceeded) << cut;
  }
}

TEST(Parser, LargeArrayInManyPiecesIsLinear) {
  // 200,000 elements fed in 7-byte pieces: a parser that re-scanned from the
  // start of the reply on each feed would do ~10^10 steps and time out.
  constexpr int kN = 200000;
  std::string in = std::string("*").append(std::to_string(kN)).append("\r\n");
  for (int i = 0; i < kN; ++i) in += "$5\r\nvalue\r\n";
  Parser p;
  Outcome acc;
  for (std::size_t i = 0; i < in.size(); i += 7) {
    p.feed(std::string_view(in).substr(i, 7));
    acc = drain(p, std::move(acc));
  }
  ASSERT_FALSE(acc.error);
  ASSERT_EQ(acc.replies.size(), 1u);
  ASSERT_EQ(acc.replies[0].elements().size(), static_cast<std::size_t>(kN));
  EXPECT_EQ(acc.replies[0].elements().back(), bulk("value"));
}

TEST(Parser, LongBulkInManyPieces) {
  const std::string payload(3 * 1024 * 1024 + 17, 'q');
  const std::string in =
      std::string("$").append(std::to_string(payload.size())).append("\r\n").append(payload).append("\r\n");
  Parser p;
  for (std::size_t i = 0; i < in.size(); i += 1000) {
    p.feed(std::string_view(in).substr(i, 1000));
    auto r = p.next();
    ASSERT_TRUE(r);
    if (i + 1000 < in.size()) {
      ASSERT_FALSE(*r);
      EXPECT_EQ(p.buffered(), i + 1000);
    } else {
      ASSERT_TRUE(*r);
      EXPECT_EQ((*r)->bytes()->size(), payload.size());
    }
  }
}

// --- prepare / commit, buffered, reset ----------------------------------------------

TEST(Parser, PrepareCommit) {
  Parser p;
  const std::string in = "*2\r\n$3\r\nfoo\r\n:5\r\n+next\r\n";
  // Write a few bytes at a time into prepared spans.
  std::size_t at = 0;
  Outcome acc;
  while (at < in.size()) {
    auto span = p.prepare(3);
    ASSERT_GE(span.size(), 3u);
    const std::size_t n = std::min<std::size_t>(3, in.size() - at);
    std::copy_n(in.data() + at, n, span.data());
    p.commit(n);
    at += n;
    acc = drain(p, std::move(acc));
  }
  EXPECT_FALSE(acc.error);
  EXPECT_EQ(acc.replies, (std::vector<Resp>{arr({bulk("foo"), num(5)}), simple("next")}));
  // A large prepare; commit fewer bytes than prepared.
  auto big = p.prepare(1 << 20);
  ASSERT_GE(big.size(), std::size_t{1} << 20);
  std::copy_n(":77\r\n", 5, big.data());
  p.commit(5);
  auto r = p.next();
  ASSERT_TRUE(r && *r);
  EXPECT_EQ(**r, num(77));
  // commit(0) is a no-op.
  p.prepare(10);
  p.commit(0);
  EXPECT_EQ(p.buffered(), 0u);
}

TEST(Parser, PrepareKeepsUnreadBytes) {
  Parser p;
  p.feed("$10\r\n01234");
  for (int i = 0; i < 50; ++i) {
    auto s = p.prepare(100000);  // forces the buffer to grow and move
    ASSERT_GE(s.size(), 100000u);
    p.commit(0);
  }
  p.feed("56789\r\n");
  auto r = p.next();
  ASSERT_TRUE(r && *r);
  EXPECT_EQ(**r, bulk("0123456789"));
}

TEST(Parser, Buffered) {
  Parser p;
  EXPECT_EQ(p.buffered(), 0u);
  p.feed("*2\r\n:1\r\n:2");
  EXPECT_TRUE(p.next() && !*p.next());
  EXPECT_EQ(p.buffered(), 10u);  // nothing returned yet
  p.feed("\r\n+x\r\n");
  auto r = p.next();
  ASSERT_TRUE(r && *r);
  EXPECT_EQ(p.buffered(), 4u);
  r = p.next();
  ASSERT_TRUE(r && *r);
  EXPECT_EQ(p.buffered(), 0u);
}

TEST(Parser, Reset) {
  Parser p;
  p.feed("*3\r\n:1\r\n$10\r\nabc");
  EXPECT_TRUE(p.next() && !*p.next());
  p.reset();
  EXPECT_EQ(p.buffered(), 0u);
  p.feed("+fresh\r\n");
  auto r = p.next();
  ASSERT_TRUE(r && *r);
  EXPECT_EQ(**r, simple("fresh"));
  // Reset also clears an error, and keeps the limits.
  Parser q(ParserLimits{.max_depth = 3});
  q.feed("@");
  EXPECT_EQ(q.next().error(), errc::protocol_error);
  q.reset();
  EXPECT_EQ(q.limits().max_depth, 3);
  q.feed(":1\r\n");
  r = q.next();
  ASSERT_TRUE(r && *r);
  EXPECT_EQ(**r, num(1));
}

TEST(Parser, MoveConstructAndAssign) {
  Parser a;
  a.feed("*2\r\n:1\r\n");
  EXPECT_TRUE(a.next() && !*a.next());
  Parser b(std::move(a));
  b.feed(":2\r\n");
  auto r = b.next();
  ASSERT_TRUE(r && *r);
  EXPECT_EQ(**r, arr({num(1), num(2)}));
  Parser c;
  c = std::move(b);
  c.feed("+x\r\n");
  r = c.next();
  ASSERT_TRUE(r && *r);
}

// --- malformed input ------------------------------------------------------------------

struct BadCase {
  const char* name;
  std::string input;
};

TEST(Parser, MalformedInputIsAProtocolError) {
  const BadCase cases[] = {
      {"unknown type byte", "@foo\r\n"},
      {"unknown type byte after a reply", "+OK\r\n?\r\n"},
      {"NUL type byte", std::string("\0\r\n", 3)},
      {"space type byte", " OK\r\n"},
      {"integer with letters", ":12a\r\n"},
      {"integer with plus", ":+5\r\n"},
      {"empty integer", ":\r\n"},
      {"integer minus only", ":-\r\n"},
      {"integer minus zero", ":-0\r\n"},
      {"integer leading zero", ":01\r\n"},
      {"integer with space", ": 1\r\n"},
      {"integer overflow", ":9223372036854775808\r\n"},
      {"integer underflow", ":-9223372036854775809\r\n"},
      {"integer 20 nines", ":99999999999999999999\r\n"},
      {"bulk length letters", "$abc\r\n"},
      {"bulk length empty", "$\r\n\r\n"},
      {"bulk length plus", "$+3\r\nabc\r\n"},
      {"bulk length leading zero", "$03\r\nabc\r\n"},
      {"bulk length -2", "$-2\r\n"},
      {"bulk length -0", "$-0\r\n\r\n"},
      {"bulk length overflow", "$99999999999999999999\r\n"},
      {"bulk missing CRLF", "$3\r\nabcXY"},
      {"bulk CR without LF after payload", "$3\r\nabc\rX"},
      {"bulk LF only after payload", "$3\r\nabc\n\n"},
      {"array count letters", "*x\r\n"},
      {"array count -2", "*-2\r\n"},
      {"array count empty", "*\r\n"},
      {"array count plus", "*+1\r\n:1\r\n"},
      {"CR without LF in a simple string", "+a\rb\r\n"},
      {"CR without LF in a length", "$3\rX\r\n"},
      {"CR without LF in an error", "-ERR\r\r\n"},
      {"bad double", ",1.2.3\r\n"},
      {"double without digits", ",\r\n"},
      {"double dot only", ",.\r\n"},
      {"double trailing dot", ",1.\r\n"},
      {"double leading dot", ",.5\r\n"},
      {"double bad exponent", ",1e\r\n"},
      {"double infinity word", ",infinity\r\n"},
      {"double hex", ",0x10\r\n"},
      {"double with space", ", 1\r\n"},
      {"boolean other letter", "#x\r\n"},
      {"boolean upper case", "#T\r\n"},
      {"boolean empty", "#\r\n"},
      {"boolean two letters", "#tt\r\n"},
      {"null with payload", "_x\r\n"},
      {"big number letters", "(12a\r\n"},
      {"big number empty", "(\r\n"},
      {"big number sign only", "(-\r\n"},
      {"verbatim too short", "=3\r\ntxt\r\n"},
      {"verbatim without colon", "=5\r\ntxtab\r\n"},
      {"verbatim nil", "=-1\r\n"},
      {"blob error nil", "!-1\r\n"},
      {"map nil", "%-1\r\n"},
      {"set nil", "~-1\r\n"},
      {"push nil", ">-1\r\n"},
      {"attribute nil", "|-1\r\n"},
      {"map count letters", "%a\r\n"},
      {"number line too long", std::string(":").append(40, '1')},
      {"length line too long", std::string("$").append(40, '1')},
      {"double line too long", std::string(",").append(400, '1')},
      {"malformed element of a nested aggregate", "*2\r\n*1\r\n:1\r\n*1\r\n:x\r\n"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(parse_error(c.input), errc::protocol_error) << c.name;
  }
}

TEST(Parser, AValidPrefixIsReturnedBeforeTheError) {
  Parser p;
  p.feed("+one\r\n:2\r\n@bad\r\n+never\r\n");
  auto r = p.next();
  ASSERT_TRUE(r && *r);
  EXPECT_EQ(**r, simple("one"));
  r = p.next();
  ASSERT_TRUE(r && *r);
  EXPECT_EQ(**r, num(2));
  EXPECT_EQ(p.next().error(), errc::protocol_error);
}

TEST(Parser, ErrorIsSticky) {
  Parser p;
  p.feed("*2\r\n:1\r\n:zz\r\n");
  EXPECT_EQ(p.next().error(), errc::protocol_error);
  EXPECT_EQ(p.next().error(), errc::protocol_error);
  p.feed("+OK\r\n");
  EXPECT_EQ(p.next().error(), errc::protocol_error);
  auto s = p.prepare(16);
  ASSERT_GE(s.size(), 16u);
  std::copy_n("+OK\r\n", 5, s.data());
  p.commit(5);
  EXPECT_EQ(p.next().error(), errc::protocol_error);
  EXPECT_EQ(p.buffered(), 0u);  // a broken parser keeps no bytes

  Parser q(ParserLimits{.max_bulk_length = 10});
  q.feed("$11\r\n");
  EXPECT_EQ(q.next().error(), errc::limit_exceeded);
  EXPECT_EQ(q.next().error(), errc::limit_exceeded);
}

TEST(Parser, ErrorsWithoutWaitingForMoreInput) {
  // Each of these is rejected at once: no more bytes could make it valid.
  EXPECT_EQ(parse_error("@"), errc::protocol_error);
  EXPECT_EQ(parse_error("+a\rb"), errc::protocol_error);
  EXPECT_EQ(parse_error(std::string(":").append(33, '1')), errc::protocol_error);
  EXPECT_EQ(parse_error("$4294967296\r\n"), errc::limit_exceeded);
  // ... while these wait.
  EXPECT_FALSE(parse_error(std::string(":").append(20, '1')));
  EXPECT_FALSE(parse_error("+abc\r"));
  EXPECT_FALSE(parse_error("$3\r\nabc\r"));
}

// --- limits ----------------------------------------------------------------------------

TEST(Parser, DefaultLimits) {
  const ParserLimits d;
  EXPECT_EQ(d.max_bulk_length, 512LL * 1024 * 1024);
  EXPECT_EQ(d.max_depth, 64);
  EXPECT_EQ(d.max_elements, 16LL * 1024 * 1024);
  EXPECT_EQ(d.max_reply_bytes, 1024LL * 1024 * 1024);
  EXPECT_EQ(Parser().limits().max_depth, 64);
}

TEST(Parser, ClaimedHugeBulkAllocatesNothing) {
  AllocationProbe probe;
  EXPECT_EQ(parse_error("$4294967296\r\n"), errc::limit_exceeded);           // 4 GiB > 512 MiB
  EXPECT_EQ(parse_error("$9223372036854775807\r\n"), errc::limit_exceeded);  // INT64_MAX
  // Within the limits: the parser waits for the bytes without reserving them.
  Parser p(ParserLimits{.max_bulk_length = std::numeric_limits<std::int64_t>::max(),
                        .max_reply_bytes = std::numeric_limits<std::int64_t>::max(),
                        .max_reply_memory = std::numeric_limits<std::int64_t>::max()});
  p.feed("$4294967296\r\nabc");
  auto r = p.next();
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r);
  EXPECT_LT(probe.largest(), std::size_t{1} << 20);
}

TEST(Parser, ClaimedHugeArrayAllocatesLittle) {
  AllocationProbe probe;
  EXPECT_EQ(parse_error("*1000000000\r\n"), errc::limit_exceeded);
  EXPECT_EQ(parse_error("%600000000\r\n"), errc::limit_exceeded);
  EXPECT_EQ(parse_error("~9223372036854775807\r\n"), errc::limit_exceeded);
  // Allowed by the limits: only a small reserve up front.
  Parser p(ParserLimits{.max_elements = std::numeric_limits<std::int64_t>::max()});
  p.feed("*1000000000\r\n:1\r\n:2\r\n");
  auto r = p.next();
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r);
  EXPECT_LT(probe.largest(), std::size_t{1} << 20);
  Parser m(ParserLimits{.max_elements = std::numeric_limits<std::int64_t>::max()});
  m.feed("%4611686018427387903\r\n+k\r\n");  // 2n would be INT64_MAX - 1
  r = m.next();
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r);
}

TEST(Parser, DeepNestingFailsCleanly) {
  std::string in;
  in.reserve(4'000'000);
  for (int i = 0; i < 1'000'000; ++i) in += "*1\r\n";
  AllocationProbe probe;
  EXPECT_EQ(parse_error(in), errc::limit_exceeded);
  EXPECT_LT(probe.largest(), in.size() + (std::size_t{1} << 16));  // the copy of the input, nothing more
  // One level at a time, as a server could trickle it.
  Parser p;
  std::error_code ec;
  for (int i = 0; i < 1000 && !ec; ++i) {
    p.feed("*1\r\n");
    auto r = p.next();
    if (!r) ec = r.error();
  }
  EXPECT_EQ(ec, errc::limit_exceeded);
}

TEST(Parser, MaxDepth) {
  const ParserLimits l{.max_depth = 3};
  EXPECT_EQ(parse_one("*1\r\n*1\r\n*1\r\n:1\r\n", l), arr({arr({arr({num(1)})})}));
  EXPECT_EQ(parse_error("*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n", l), errc::limit_exceeded);
  // The type byte alone is enough, and a nil or empty array counts too (as in hiredis).
  EXPECT_EQ(parse_error("*1\r\n*1\r\n*1\r\n*", l), errc::limit_exceeded);
  EXPECT_EQ(parse_error("*1\r\n*1\r\n*1\r\n*-1\r\n", l), errc::limit_exceeded);
  EXPECT_EQ(parse_error("*1\r\n*1\r\n*1\r\n*0\r\n", l), errc::limit_exceeded);
  // Every aggregate kind counts, attributes included.
  EXPECT_EQ(parse_error("%1\r\n+k\r\n~1\r\n>1\r\n*0\r\n", l), errc::limit_exceeded);
  EXPECT_EQ(parse_error("*1\r\n*1\r\n|1\r\n+k\r\n+v\r\n:1\r\n", ParserLimits{.max_depth = 2}),
            errc::limit_exceeded);
  EXPECT_FALSE(parse_error("%1\r\n+k\r\n~1\r\n>0\r\n", l));
  // max_depth 0: scalars only.
  EXPECT_EQ(parse_one(":1\r\n", ParserLimits{.max_depth = 0}), num(1));
  EXPECT_EQ(parse_error("*0\r\n", ParserLimits{.max_depth = 0}), errc::limit_exceeded);
}

TEST(Parser, MaxElements) {
  const ParserLimits l{.max_elements = 4};
  EXPECT_FALSE(parse_error("*4\r\n:1\r\n:2\r\n:3\r\n:4\r\n", l));
  EXPECT_EQ(parse_error("*5\r\n", l), errc::limit_exceeded);
  EXPECT_EQ(parse_error("~5\r\n", l), errc::limit_exceeded);
  EXPECT_EQ(parse_error(">5\r\n", l), errc::limit_exceeded);
  EXPECT_FALSE(parse_error("%2\r\n", l));  // 2 pairs = 4 elements
  EXPECT_EQ(parse_error("%3\r\n", l), errc::limit_exceeded);
  EXPECT_EQ(parse_error("|3\r\n", l), errc::limit_exceeded);
}

TEST(Parser, MaxBulkLength) {
  const ParserLimits l{.max_bulk_length = 5};
  EXPECT_EQ(parse_one("$5\r\nabcde\r\n", l), bulk("abcde"));
  EXPECT_EQ(parse_error("$6\r\n", l), errc::limit_exceeded);
  EXPECT_EQ(parse_error("!6\r\n", l), errc::limit_exceeded);
  EXPECT_EQ(parse_error("=6\r\n", l), errc::limit_exceeded);
  EXPECT_EQ(parse_one("(12345\r\n", l), Resp::big_number("12345"));
  EXPECT_EQ(parse_error("(123456\r\n", l), errc::limit_exceeded);
  EXPECT_EQ(parse_error("(123456", l), errc::limit_exceeded);  // without waiting for the CRLF
}

TEST(Parser, MaxReplyBytes) {
  const ParserLimits l{.max_reply_bytes = 20};
  EXPECT_FALSE(parse_error("+123456789012345\r\n", l));        // 18 bytes
  EXPECT_FALSE(parse_error("$13\r\n1234567890123\r\n", l));    // 20 bytes
  EXPECT_EQ(parse_error("$14\r\n", l), errc::limit_exceeded);  // a claim past the limit fails at once
  EXPECT_EQ(parse_error("*3\r\n$3\r\nabc\r\n$3\r\nabc\r\n", l), errc::limit_exceeded);
  // Each reply has its own budget.
  EXPECT_FALSE(parse_error("+123456789012345\r\n+123456789012345\r\n+123456789012345\r\n", l));
  // Attributes count towards the reply they precede.
  EXPECT_EQ(parse_error("|1\r\n+k\r\n+v\r\n+1234567\r\n", l), errc::limit_exceeded);
}

TEST(Parser, EndlessSimpleLineHitsMaxReplyBytes) {
  // A '+' line that never ends must not grow the buffer without bound.
  Parser p(ParserLimits{.max_reply_bytes = 1 << 20});
  p.feed("+");
  const std::string chunk(64 * 1024, 'a');
  std::error_code ec;
  std::size_t fed = 1;
  for (int i = 0; i < 100 && !ec; ++i) {
    p.feed(chunk);
    fed += chunk.size();
    auto r = p.next();
    if (!r) ec = r.error();
  }
  EXPECT_EQ(ec, errc::limit_exceeded);
  EXPECT_LE(fed, (std::size_t{1} << 20) + chunk.size() + 1);
  EXPECT_EQ(p.buffered(), 0u);
}

}  // namespace
