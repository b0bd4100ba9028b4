// Unit tests of the command encoder: exact bytes for each argument kind,
// flattening of pairs and containers, encode_argv, and a round trip through
// the Parser.
#include "respool/encode.hpp"

#include <gtest/gtest.h>

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <list>
#include <map>
#include <random>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "alloc_probe.hpp"
#include "respool/parser.hpp"

namespace {

using respool::encode_argv;
using respool::encode_command;
using namespace std::string_literals;

template <class... Args>
std::string cmd(std::string_view name, const Args&... args) {
  std::string out;
  encode_command(out, name, args...);
  return out;
}

// The bulk strings of one encoded command, parsed back with our Parser.
std::vector<std::string> decode(const std::string& wire) {
  respool::Parser p;
  p.feed(wire);
  auto r = p.next();
  EXPECT_TRUE(r && *r) << testing::PrintToString(wire);
  if (!r || !*r) return {};
  EXPECT_EQ(p.buffered(), 0u);
  std::vector<std::string> out;
  for (const auto& e : (*r)->elements()) {
    EXPECT_EQ(e.type(), respool::Resp::Type::bulk_string);
    out.push_back(e.text());
  }
  return out;
}

using Args = std::vector<std::string>;

TEST(Encode, Text) {
  EXPECT_EQ(cmd("PING"), "*1\r\n$4\r\nPING\r\n");
  EXPECT_EQ(cmd("GET", "key"), "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n");
  const std::string s = "value";
  const std::string_view sv = "view";
  const char* cs = "cstr";
  char arr[] = "array";
  EXPECT_EQ(decode(cmd("SET", s, sv, cs, arr)), (Args{"SET", "value", "view", "cstr", "array"}));
  EXPECT_EQ(cmd("SET", ""), "*2\r\n$3\r\nSET\r\n$0\r\n\r\n");
  // Multi-word names are one argument.
  EXPECT_EQ(decode(cmd("CLIENT SETNAME", "x")), (Args{"CLIENT SETNAME", "x"}));
}

TEST(Encode, BinarySafeText) {
  const std::string nul("a\0b\r\n\0", 6);
  EXPECT_EQ(cmd("SET", nul), "*2\r\n$3\r\nSET\r\n$6\r\na\0b\r\n\0\r\n"s);
  EXPECT_EQ(decode(cmd("SET", "k", nul)), (Args{"SET", "k", nul}));
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  EXPECT_EQ(decode(cmd("SET", all)), (Args{"SET", all}));
}

TEST(Encode, Bytes) {
  const std::vector<std::byte> b{std::byte{0}, std::byte{0xff}, std::byte{'\r'}};
  const std::vector<unsigned char> u{'a', 0, 'b'};
  const std::array<std::uint8_t, 2> a{1, 2};
  const std::span<const std::byte> sp(b);
  EXPECT_EQ(decode(cmd("SET", b, u, a, sp)), (Args{"SET", std::string("\0\xff\r", 3), std::string("a\0b", 3),
                                                   "\x01\x02", std::string("\0\xff\r", 3)}));
  EXPECT_EQ(cmd("X", std::vector<std::byte>{}), "*2\r\n$1\r\nX\r\n$0\r\n\r\n");  // one (empty) argument
}

TEST(Encode, Integers) {
  EXPECT_EQ(cmd("INCRBY", "k", 42), "*3\r\n$6\r\nINCRBY\r\n$1\r\nk\r\n$2\r\n42\r\n");
  EXPECT_EQ(decode(cmd("X", 0, -1, short{-32768}, 7u, 8L, 9UL, std::uint8_t{255}, std::int8_t{-128})),
            (Args{"X", "0", "-1", "-32768", "7", "8", "9", "255", "-128"}));
  EXPECT_EQ(decode(cmd("X", std::numeric_limits<std::int64_t>::min(),
                       std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::uint64_t>::max())),
            (Args{"X", "-9223372036854775808", "9223372036854775807", "18446744073709551615"}));
}

TEST(Encode, Bool) { EXPECT_EQ(decode(cmd("X", true, false)), (Args{"X", "1", "0"})); }

TEST(Encode, FloatingPoint) {
  EXPECT_EQ(decode(cmd("X", 1.5, 0.1, -2.0, 1e300, 5e-324, 3.0f)),
            (Args{"X", "1.5", "0.1", "-2", "1e+300", "5e-324", "3"}));
  EXPECT_EQ(
      decode(cmd("X", std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity())),
      (Args{"X", "inf", "-inf"}));
  EXPECT_EQ(decode(cmd("X", -0.0)), (Args{"X", "-0"}));
}

TEST(Encode, DoublesRoundTrip) {
  std::mt19937_64 rng(12345);
  for (int i = 0; i < 20000; ++i) {
    double d = 0;
    const std::uint64_t bits = rng();
    std::memcpy(&d, &bits, sizeof d);
    if (std::isnan(d) || std::isinf(d)) continue;
    auto args = decode(cmd("X", d));
    ASSERT_EQ(args.size(), 2u);
    double back = 0;
    auto [p, ec] = std::from_chars(args[1].data(), args[1].data() + args[1].size(), back);
    ASSERT_EQ(ec, std::errc{}) << args[1];
    ASSERT_EQ(p, args[1].data() + args[1].size());
    ASSERT_EQ(std::memcmp(&back, &d, sizeof d), 0) << args[1];
  }
}

TEST(Encode, ContainersAreFlattened) {
  const std::vector<std::string> keys{"a", "b", "c"};
  EXPECT_EQ(decode(cmd("DEL", keys)), (Args{"DEL", "a", "b", "c"}));
  EXPECT_EQ(cmd("DEL", keys), "*4\r\n$3\r\nDEL\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
  const std::map<std::string, int> fields{{"f1", 1}, {"f2", 2}};
  EXPECT_EQ(decode(cmd("HSET", "h", fields)), (Args{"HSET", "h", "f1", "1", "f2", "2"}));
  const std::list<double> scores{1.5, 2};
  const std::set<int> ints{3, 1, 2};
  EXPECT_EQ(decode(cmd("X", scores, ints)), (Args{"X", "1.5", "2", "1", "2", "3"}));
  EXPECT_EQ(decode(cmd("X", std::vector<int>{}, "y")), (Args{"X", "y"}));  // an empty range adds nothing
  const std::vector<std::vector<int>> nested{{1, 2}, {}, {3}};
  EXPECT_EQ(decode(cmd("X", nested)), (Args{"X", "1", "2", "3"}));
  const std::array<const char*, 2> cstrs{"p", "q"};
  EXPECT_EQ(decode(cmd("X", cstrs)), (Args{"X", "p", "q"}));
  const std::vector<std::vector<std::byte>> blobs{{std::byte{1}}, {std::byte{2}, std::byte{3}}};
  EXPECT_EQ(decode(cmd("X", blobs)), (Args{"X", "\x01", "\x02\x03"}));
}

TEST(Encode, Pairs) {
  EXPECT_EQ(decode(cmd("HSET", "h", std::pair{"f", 1})), (Args{"HSET", "h", "f", "1"}));
  const std::pair<std::string, std::vector<int>> nested{"k", {1, 2}};
  EXPECT_EQ(decode(cmd("X", nested)), (Args{"X", "k", "1", "2"}));
  const std::vector<std::pair<double, std::string>> members{{1.5, "a"}, {2, "b"}};
  EXPECT_EQ(decode(cmd("ZADD", "z", members)), (Args{"ZADD", "z", "1.5", "a", "2", "b"}));
  const std::pair<std::pair<int, bool>, std::map<int, std::string>> deep{{1, true}, {{2, "two"}}};
  EXPECT_EQ(decode(cmd("X", deep)), (Args{"X", "1", "1", "2", "two"}));
}

TEST(Encode, AppendsToExistingOutput) {
  std::string out = "prefix";
  encode_command(out, "PING");
  encode_command(out, "ECHO", "x");
  EXPECT_EQ(out, "prefix*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$1\r\nx\r\n");
}

TEST(Encode, NoAllocationIntoAReservedBuffer) {
  std::string out;
  out.reserve(4096);
  const std::vector<std::string> keys{"key-number-one-is-long", "key-number-two-is-long"};
  const std::map<std::string, double> m{{"member-with-a-long-name", 1.25}};
  std::size_t allocations = 0;
  {
    respool_test::AllocationProbe probe;
    encode_command(out, "MIXED", "text", 42, -7LL, 3.5, true, keys, m, std::pair{"a", 1u});
    allocations = probe.count();
  }
  EXPECT_EQ(allocations, 0u);
  EXPECT_EQ(decode(out), (Args{"MIXED", "text", "42", "-7", "3.5", "1", "key-number-one-is-long",
                               "key-number-two-is-long", "member-with-a-long-name", "1.25", "a", "1"}));
}

TEST(Encode, Argv) {
  std::string out;
  EXPECT_FALSE(encode_argv(out, {}));
  EXPECT_EQ(out, "");
  const std::string_view argv[] = {"SET", "k", std::string_view("v\0v", 3)};
  EXPECT_TRUE(encode_argv(out, argv));
  EXPECT_EQ(out, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nv\0v\r\n"s);
  EXPECT_EQ(out, cmd("SET", "k", std::string_view("v\0v", 3)));
  const std::string_view one[] = {""};
  std::string o2;
  EXPECT_TRUE(encode_argv(o2, one));
  EXPECT_EQ(o2, "*1\r\n$0\r\n\r\n");
}

TEST(Encode, LargeArgument) {
  const std::string big(1 << 20, 'v');
  auto args = decode(cmd("SET", "k", big));
  ASSERT_EQ(args.size(), 3u);
  EXPECT_EQ(args[2], big);
}

// What compiles as an argument (the concept the static_assert names).
struct NotAnArg {};
static_assert(respool::CommandArg<std::string>);
static_assert(respool::CommandArg<const char*>);
static_assert(respool::CommandArg<std::string_view>);
static_assert(respool::CommandArg<int>);
static_assert(respool::CommandArg<unsigned long long>);
static_assert(respool::CommandArg<double>);
static_assert(respool::CommandArg<bool>);
static_assert(respool::CommandArg<std::vector<std::byte>>);
static_assert(respool::CommandArg<std::vector<unsigned char>>);
static_assert(respool::CommandArg<std::map<std::string, std::vector<double>>>);
static_assert(respool::CommandArg<std::pair<int, std::string>>);
static_assert(!respool::CommandArg<NotAnArg>);
static_assert(!respool::CommandArg<void*>);
static_assert(!respool::CommandArg<char>);  // ambiguous: a character or a number?
static_assert(!respool::CommandArg<std::vector<NotAnArg>>);
static_assert(!respool::CommandArg<std::pair<int, NotAnArg>>);

}  // namespace

// Characters are text, never numbers; wide characters are not bytes.
static_assert(!respool::CommandArg<wchar_t>);
static_assert(!respool::CommandArg<char16_t>);
static_assert(!respool::CommandArg<char32_t>);
static_assert(!respool::CommandArg<std::wstring>);
static_assert(!respool::CommandArg<std::u32string>);
static_assert(respool::CommandArg<std::u8string>);
static_assert(respool::CommandArg<char8_t[3]>);

TEST(Encode, Utf8TextIsBytes) {
  EXPECT_EQ(decode(cmd("RPUSH", u8"ab", std::u8string(u8"\u00e9"))),
            (std::vector<std::string>{"RPUSH", "ab", "\xc3\xa9"}));
  const std::vector<char8_t> raw{u8'x', 0, u8'y'};
  EXPECT_EQ(decode(cmd("SET", raw)), (std::vector<std::string>{"SET", std::string("x\0y", 3)}));
}
