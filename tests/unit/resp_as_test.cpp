// Unit tests of Resp::as<T>() on hand-built replies: every built-in type,
// every error code with its reason text, integer ranges from int8 to uint64.
// The customization point and moves: resp_as_custom_test.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "resp_as_helpers.hpp"

namespace {

using namespace resp_as_test;

// --- scalars ------------------------------------------------------------------

TEST(RespAs, StringFromEveryStringType) {
  EXPECT_EQ(value<std::string>(bulk("v")), "v");
  EXPECT_EQ(value<std::string>(simple("OK")), "OK");
  EXPECT_EQ(value<std::string>(Resp::verbatim_string("txt", "some text")), "some text");
  EXPECT_EQ(value<std::string>(Resp::big_number("123456789012345678901234567890")),
            "123456789012345678901234567890");
  EXPECT_EQ(value<std::string>(bulk(std::string("a\0b", 3))), std::string("a\0b", 3));
  EXPECT_EQ(Resp::verbatim_string("mkd", "# hi").as<std::string>().value(), "# hi");  // rvalue
}

TEST(RespAs, StringRefusesNumbersAndAggregates) {
  EXPECT_EQ(failure<std::string>(num(1)), F(errc::wrong_type, "expected string, got integer"));
  EXPECT_EQ(failure<std::string>(Resp::double_value(1.5)),
            F(errc::wrong_type, "expected string, got double"));
  EXPECT_EQ(failure<std::string>(Resp::boolean_value(true)),
            F(errc::wrong_type, "expected string, got boolean"));
  EXPECT_EQ(failure<std::string>(nil), F(errc::nil_reply, "expected string, got nil"));
  EXPECT_EQ(failure<std::string>(arr({bulk("a"), bulk("b")})),
            F(errc::wrong_type, "expected string, got array of 2 elements"));
  EXPECT_EQ(failure<std::string>(set({bulk("a")})),
            F(errc::wrong_type, "expected string, got set of 1 element"));
}

TEST(RespAs, IntegerFromIntegerAndNumericText) {
  EXPECT_EQ(value<std::int64_t>(num(-42)), -42);
  EXPECT_EQ(value<int>(bulk("17")), 17);
  EXPECT_EQ(value<int>(simple("-3")), -3);
  EXPECT_EQ(value<long long>(Resp::big_number("123")), 123);
  EXPECT_EQ(value<unsigned>(Resp::verbatim_string("txt", "9")), 9u);
}

TEST(RespAs, IntegerRefusals) {
  EXPECT_EQ(failure<int>(bulk("abc")),
            F(errc::not_a_number, "expected integer, got bulk string that is not an integer"));
  EXPECT_EQ(failure<int>(bulk("1.5")),
            F(errc::not_a_number, "expected integer, got bulk string that is not an integer"));
  for (const char* bad : {"", " 1", "1 ", "+1", "0x10", "-", "1e3"}) {
    EXPECT_EQ(failure<std::int64_t>(bulk(bad)).first, errc::not_a_number) << bad;
    EXPECT_EQ(failure<std::uint64_t>(bulk(bad)).first, errc::not_a_number) << bad;
  }
  EXPECT_EQ(failure<int>(Resp::double_value(3.0)), F(errc::wrong_type, "expected integer, got double"));
  EXPECT_EQ(failure<int>(Resp::boolean_value(true)), F(errc::wrong_type, "expected integer, got boolean"));
  EXPECT_EQ(failure<unsigned>(nil), F(errc::nil_reply, "expected integer, got nil"));
  EXPECT_EQ(failure<short>(arr({})), F(errc::wrong_type, "expected integer, got array of 0 elements"));
}

// T's limits are accepted from an integer reply and from text; one past
// each fails with out_of_range and a reason that names T's range.
template <class I>
void check_range(const std::string& name) {
  SCOPED_TRACE(name);
  using L = std::numeric_limits<I>;
  const std::string range = "[" + std::to_string(L::min()) + ", " + std::to_string(L::max()) + "]";
  EXPECT_EQ(value<I>(bulk(std::to_string(L::min()))), L::min());
  EXPECT_EQ(value<I>(bulk(std::to_string(L::max()))), L::max());
  EXPECT_EQ(value<I>(bulk("0")), I{0});
  if constexpr (sizeof(I) < 8 || std::is_signed_v<I>) {
    EXPECT_EQ(value<I>(num(static_cast<std::int64_t>(L::min()))), L::min());
    EXPECT_EQ(value<I>(num(static_cast<std::int64_t>(L::max()))), L::max());
  }
  // One below the minimum, one above the maximum.
  std::string below, above;
  if constexpr (std::is_signed_v<I>) {
    if constexpr (sizeof(I) < 8) {
      below = std::to_string(static_cast<std::int64_t>(L::min()) - 1);
    } else {
      below = "-9223372036854775809";
    }
  } else {
    below = "-1";
  }
  if constexpr (sizeof(I) < 8) {
    above = std::to_string(static_cast<std::int64_t>(L::max()) + 1);
  } else if constexpr (std::is_signed_v<I>) {
    above = "9223372036854775808";
  } else {
    above = "18446744073709551616";
  }
  for (const auto& text : {below, above}) {
    EXPECT_EQ(failure<I>(bulk(text)),
              F(errc::out_of_range, "integer " + text + " out of range for " + name + " " + range));
    EXPECT_EQ(failure<I>(Resp::big_number(text)).first, errc::out_of_range) << text;
  }
  // From an integer reply too, where the reply can hold it.
  if constexpr (sizeof(I) < 8) {
    EXPECT_EQ(failure<I>(num(std::stoll(above))),
              F(errc::out_of_range, "integer " + above + " out of range for " + name + " " + range));
    EXPECT_EQ(failure<I>(num(std::stoll(below))).first, errc::out_of_range);
  } else if constexpr (!std::is_signed_v<I>) {
    EXPECT_EQ(failure<I>(num(-1)),
              F(errc::out_of_range, "integer -1 out of range for " + name + " " + range));
    EXPECT_EQ(failure<I>(num(std::numeric_limits<std::int64_t>::min())).first, errc::out_of_range);
  }
}

TEST(RespAs, IntegerRangesInt8ToUint64) {
  check_range<std::int8_t>("int8");
  check_range<std::uint8_t>("uint8");
  check_range<std::int16_t>("int16");
  check_range<std::uint16_t>("uint16");
  check_range<std::int32_t>("int32");
  check_range<std::uint32_t>("uint32");
  check_range<std::int64_t>("int64");
  check_range<std::uint64_t>("uint64");
  check_range<long>("int64");
  check_range<unsigned long long>("uint64");
}

TEST(RespAs, IntegerRangeEdges) {
  EXPECT_EQ(failure<std::int8_t>(num(300)),
            F(errc::out_of_range, "integer 300 out of range for int8 [-128, 127]"));
  EXPECT_EQ(value<std::uint64_t>(bulk("-0")), 0u);
  EXPECT_EQ(value<std::uint64_t>(Resp::big_number("18446744073709551615")), 18446744073709551615u);
  // A long number is clipped in the reason.
  EXPECT_EQ(
      failure<std::int64_t>(Resp::big_number(std::string(60, '9'))),
      F(errc::out_of_range, "integer " + std::string(40, '9') +
                                "... out of range for int64 [-9223372036854775808, 9223372036854775807]"));
  EXPECT_EQ(failure<std::uint32_t>(bulk("-99999999999999999999")).first, errc::out_of_range);
}

TEST(RespAs, DoubleFromDoubleIntegerAndText) {
  EXPECT_EQ(value<double>(Resp::double_value(1.5)), 1.5);
  EXPECT_EQ(value<double>(num(-3)), -3.0);
  EXPECT_EQ(value<double>(bulk("2.25")), 2.25);
  EXPECT_EQ(value<double>(simple("1e3")), 1000.0);
  EXPECT_EQ(value<double>(bulk("inf")), std::numeric_limits<double>::infinity());
  EXPECT_EQ(value<double>(bulk("-inf")), -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(value<double>(bulk("nan"))));
  EXPECT_EQ(value<double>(Resp::big_number("12345")), 12345.0);
  EXPECT_EQ(value<float>(bulk("0.5")), 0.5f);
  EXPECT_EQ(value<float>(Resp::double_value(-std::numeric_limits<double>::infinity())),
            -std::numeric_limits<float>::infinity());
  EXPECT_EQ(value<long double>(num(7)), 7.0L);
}

TEST(RespAs, DoubleRefusals) {
  EXPECT_EQ(failure<double>(bulk("1.5x")),
            F(errc::not_a_number, "expected double, got bulk string that is not a number"));
  EXPECT_EQ(failure<double>(nil), F(errc::nil_reply, "expected double, got nil"));
  EXPECT_EQ(failure<double>(Resp::boolean_value(false)), F(errc::wrong_type, "expected double, got boolean"));
  EXPECT_EQ(failure<float>(Resp::double_value(1e300)),
            F(errc::out_of_range, "double 1e+300 out of range for float"));
  EXPECT_EQ(failure<float>(bulk("-1e39")), F(errc::out_of_range, "double -1e+39 out of range for float"));
  EXPECT_EQ(failure<float>(arr({})), F(errc::wrong_type, "expected float, got array of 0 elements"));
}

TEST(RespAs, BoolFromBooleanAndZeroOrOne) {
  EXPECT_TRUE(value<bool>(Resp::boolean_value(true)));
  EXPECT_FALSE(value<bool>(Resp::boolean_value(false)));
  EXPECT_TRUE(value<bool>(num(1)));
  EXPECT_FALSE(value<bool>(num(0)));
  EXPECT_EQ(failure<bool>(num(2)), F(errc::out_of_range, "integer 2 is not a boolean (0 or 1)"));
  EXPECT_EQ(failure<bool>(num(-1)), F(errc::out_of_range, "integer -1 is not a boolean (0 or 1)"));
  // Text is not a boolean, not even "1".
  EXPECT_EQ(failure<bool>(bulk("1")), F(errc::wrong_type, "expected boolean, got bulk string"));
  EXPECT_EQ(failure<bool>(simple("true")), F(errc::wrong_type, "expected boolean, got simple string"));
  EXPECT_EQ(failure<bool>(nil), F(errc::nil_reply, "expected boolean, got nil"));
}

TEST(RespAs, OptionalIsNilOrTheValue) {
  EXPECT_EQ(value<std::optional<std::string>>(nil), std::nullopt);
  EXPECT_EQ(value<std::optional<std::string>>(bulk("x")), "x");
  EXPECT_EQ(value<std::optional<int>>(num(5)), 5);
  EXPECT_EQ(failure<std::optional<int>>(bulk("x")),
            F(errc::not_a_number, "expected integer, got bulk string that is not an integer"));
  EXPECT_EQ(failure<std::optional<int>>(Resp::server_error("ERR e")),
            F(errc::server_error, "server error: ERR e"));
}

// --- error replies --------------------------------------------------------------

TEST(RespAs, ErrorRepliesAreTheirError) {
  const Resp server = Resp::server_error("WRONGTYPE Operation against a key holding the wrong kind of value");
  const Resp io = Resp::io_error(kIo);
  EXPECT_EQ(failure<std::string>(server),
            F(errc::server_error,
              "server error: WRONGTYPE Operation against a key holding the wrong kind of value"));
  EXPECT_EQ(failure<std::vector<int>>(io), Failure(kIo, "io error: " + kIo.message()));
  EXPECT_EQ((failure<std::map<std::string, std::string>>(io).first), kIo);
  EXPECT_EQ(failure<bool>(io).first, kIo);
  // Inside an aggregate (an EXEC reply, say): the element's error, with its place.
  EXPECT_EQ(failure<std::vector<std::int64_t>>(arr({num(1), Resp::server_error("ERR no")})),
            F(errc::server_error, "element 1: server error: ERR no"));
  EXPECT_EQ((failure<std::map<std::string, int>>(map({bulk("k"), Resp::server_error("ERR v")}))),
            F(errc::server_error, "value of key \"k\": server error: ERR v"));
  EXPECT_EQ(
      (failure<std::map<std::string, int>>(arr({arr({bulk("k"), num(1)}), Resp::server_error("ERR e")}))),
      F(errc::server_error, "element 1: server error: ERR e"));
}

TEST(RespAs, RespIsTheIdentityErrorsIncluded) {
  const Resp r = arr({bulk("a"), num(1), nil});
  EXPECT_EQ(value<Resp>(r), r);
  EXPECT_EQ(Resp(r).as<Resp>().value(), r);
  // Per-element replies kept as they are: an EXEC reply with one failed command.
  auto v = value<std::vector<Resp>>(arr({simple("OK"), Resp::server_error("ERR x")}));
  ASSERT_EQ(v.size(), 2u);
  EXPECT_TRUE(v[1].is_server_error());
  EXPECT_EQ(value<Resp>(Resp::server_error("ERR top")), Resp::server_error("ERR top"));
  EXPECT_EQ(value<std::optional<Resp>>(nil), std::nullopt);
  EXPECT_EQ(value<std::optional<Resp>>(Resp::io_error(kIo)), Resp::io_error(kIo));
  auto m = value<std::map<std::string, Resp>>(map({bulk("k"), arr({num(1)})}));
  EXPECT_EQ(m.at("k"), arr({num(1)}));
}

// --- aggregates ---------------------------------------------------------------

TEST(RespAs, VectorFromEveryAggregate) {
  EXPECT_EQ(value<std::vector<std::string>>(arr({bulk("a"), simple("b")})),
            (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(value<std::vector<int>>(set({num(1), num(2)})), (std::vector<int>{1, 2}));
  EXPECT_EQ(value<std::vector<std::string>>(Resp::aggregate(T::push, {bulk("message"), bulk("ch")})),
            (std::vector<std::string>{"message", "ch"}));
  EXPECT_EQ(value<std::vector<std::string>>(map({bulk("k"), bulk("v")})),
            (std::vector<std::string>{"k", "v"}));
  EXPECT_EQ(value<std::vector<int>>(arr({})), std::vector<int>{});
  EXPECT_EQ(value<std::vector<std::optional<std::string>>>(arr({bulk("a"), nil, bulk("c")})),
            (std::vector<std::optional<std::string>>{"a", std::nullopt, "c"}));
}

TEST(RespAs, VectorRefusals) {
  EXPECT_EQ(failure<std::vector<int>>(bulk("a")), F(errc::wrong_type, "expected array, got bulk string"));
  EXPECT_EQ(failure<std::vector<int>>(nil), F(errc::nil_reply, "expected array, got nil"));
  EXPECT_EQ(failure<std::vector<std::int64_t>>(arr({num(0), num(1), num(2), nil})),
            F(errc::nil_reply, "element 3: expected integer, got nil"));
  EXPECT_EQ(failure<std::vector<std::vector<int>>>(arr({arr({num(1)}), arr({bulk("x")})})),
            F(errc::not_a_number,
              "element 1 / element 0: expected integer, got bulk string that is not an integer"));
}

TEST(RespAs, SetsCollapseRepeats) {
  EXPECT_EQ(value<std::set<std::string>>(set({bulk("b"), bulk("a")})), (std::set<std::string>{"a", "b"}));
  EXPECT_EQ(value<std::set<int>>(arr({num(2), num(1), num(2)})), (std::set<int>{1, 2}));
  EXPECT_EQ(value<std::unordered_set<std::string>>(arr({bulk("x"), bulk("x")})),
            (std::unordered_set<std::string>{"x"}));
  EXPECT_EQ(failure<std::set<int>>(num(1)), F(errc::wrong_type, "expected array or set, got integer"));
  EXPECT_EQ(failure<std::unordered_set<int>>(set({num(1), nil})),
            F(errc::nil_reply, "element 1: expected integer, got nil"));
}

TEST(RespAs, MapFromResp3MapFlatArrayAndPairs) {
  const std::map<std::string, std::string> want{{"a", "1"}, {"b", "2"}};
  EXPECT_EQ((value<std::map<std::string, std::string>>(map({bulk("a"), bulk("1"), bulk("b"), bulk("2")}))),
            want);
  EXPECT_EQ((value<std::map<std::string, std::string>>(arr({bulk("a"), bulk("1"), bulk("b"), bulk("2")}))),
            want);
  EXPECT_EQ((value<std::map<std::string, std::string>>(
                arr({arr({bulk("a"), bulk("1")}), arr({bulk("b"), bulk("2")})}))),
            want);
  const std::unordered_map<std::string, int> u =
      value<std::unordered_map<std::string, int>>(map({simple("x"), num(1), simple("y"), bulk("2")}));
  EXPECT_EQ(u, (std::unordered_map<std::string, int>{{"x", 1}, {"y", 2}}));
  EXPECT_EQ((value<std::map<int, bool>>(map({num(1), Resp::boolean_value(true)}))),
            (std::map<int, bool>{{1, true}}));
  EXPECT_EQ((value<std::map<std::string, int>>(arr({}))), (std::map<std::string, int>{}));
  // A repeated key: the last value wins.
  EXPECT_EQ((value<std::map<std::string, int>>(arr({bulk("k"), num(1), bulk("k"), num(2)}))),
            (std::map<std::string, int>{{"k", 2}}));
}

TEST(RespAs, MapRefusals) {
  using M = std::map<std::string, int>;
  EXPECT_EQ(failure<M>(arr({bulk("a"), num(1), bulk("b")})),
            F(errc::odd_map_length, "expected key/value pairs, got array of 3 elements (an odd number)"));
  EXPECT_EQ(failure<M>(num(3)), F(errc::wrong_type, "expected map or array, got integer"));
  EXPECT_EQ(failure<M>(nil), F(errc::nil_reply, "expected map or array, got nil"));
  EXPECT_EQ(failure<M>(map({bulk("name"), num(1), bulk("age"), bulk("old")})),
            F(errc::not_a_number,
              "value of key \"age\": expected integer, got bulk string that is not an integer"));
  EXPECT_EQ(failure<M>(map({num(1), num(1)})),
            F(errc::wrong_type, "key of entry 0: expected string, got integer"));
  EXPECT_EQ((failure<std::map<int, std::string>>(map({num(7), num(1)}))),
            F(errc::wrong_type, "value of key 7: expected string, got integer"));
  EXPECT_EQ((failure<std::map<int, int>>(map({arr({}), nil}))),
            F(errc::nil_reply, "value of entry 0: expected integer, got nil"));
  // Keys in a reason are quoted, escaped and clipped.
  EXPECT_EQ(failure<M>(map({bulk("a\"b\n\x01"), nil})).second,
            "value of key \"a\\\"b\\n\\x01\": expected integer, got nil");
  EXPECT_EQ(failure<M>(map({bulk(std::string(100, 'k')), nil})).second,
            "value of key \"" + std::string(64, 'k') + "\"...: expected integer, got nil");
  // Nested pairs: each entry must be a 2-element aggregate.
  EXPECT_EQ(
      failure<M>(arr({arr({bulk("a"), num(1)}), arr({bulk("b"), num(2), num(3)})})),
      F(errc::wrong_type, "element 1: expected array of 2 elements (key, value), got array of 3 elements"));
  EXPECT_EQ(failure<M>(arr({arr({bulk("a"), num(1)}), nil})),
            F(errc::nil_reply, "element 1: expected array of 2 elements (key, value), got nil"));
}

TEST(RespAs, NestedPathsNameEveryLevel) {
  using Users = std::map<std::string, std::map<std::string, int>>;
  const Resp r = map({bulk("user:1"), map({bulk("age"), num(30)}), bulk("user:2"), map({bulk("age"), nil})});
  EXPECT_EQ(failure<Users>(r),
            F(errc::nil_reply, "value of key \"user:2\" / value of key \"age\": expected integer, got nil"));
  using Rows = std::vector<std::pair<std::string, std::vector<std::int8_t>>>;
  EXPECT_EQ(failure<Rows>(
                arr({arr({bulk("r0"), arr({num(1)})}), arr({bulk("r1"), arr({num(1), num(2), num(200)})})})),
            F(errc::out_of_range,
              "value of key \"r1\" / element 2: integer 200 out of range for int8 [-128, 127]"));
  using Tuples = std::vector<std::tuple<std::string, int, std::optional<double>>>;
  EXPECT_EQ(value<Tuples>(arr({arr({bulk("a"), num(1), nil}), arr({bulk("b"), num(2), bulk("0.5")})})),
            (Tuples{{"a", 1, std::nullopt}, {"b", 2, 0.5}}));
  EXPECT_EQ(failure<Tuples>(arr({arr({bulk("a"), num(1), nil}), arr({bulk("b"), bulk("x"), nil})})),
            F(errc::not_a_number,
              "element 1 / element 1: expected integer, got bulk string that is not an integer"));
}

TEST(RespAs, PairsAndTuplesTakeExactlyTheirSize) {
  EXPECT_EQ((value<std::pair<std::string, int>>(arr({bulk("a"), num(1)}))),
            (std::pair<std::string, int>{"a", 1}));
  EXPECT_EQ((value<std::tuple<int, std::string, bool>>(arr({num(1), bulk("x"), num(0)}))),
            (std::tuple<int, std::string, bool>{1, "x", false}));
  EXPECT_EQ((value<std::pair<std::string, std::string>>(map({bulk("k"), bulk("v")}))),
            (std::pair<std::string, std::string>{"k", "v"}));
  EXPECT_EQ((failure<std::pair<int, int>>(arr({num(1), num(2), num(3)}))),
            F(errc::wrong_type, "expected array of 2 elements, got array of 3 elements"));
  EXPECT_EQ((failure<std::tuple<int>>(arr({}))),
            F(errc::wrong_type, "expected array of 1 element, got array of 0 elements"));
  EXPECT_EQ((failure<std::pair<int, int>>(nil)), F(errc::nil_reply, "expected array of 2 elements, got nil"));
  EXPECT_EQ((failure<std::tuple<int, int, int>>(arr({num(1), num(2), Resp::double_value(3)}))),
            F(errc::wrong_type, "element 2: expected integer, got double"));
}

// ZRANGE ... WITHSCORES: RESP2 is a flat [member, score, ...], RESP3 a list of [member, score].
TEST(RespAs, VectorOfPairsFromFlatOrNestedPairs) {
  using Scores = std::vector<std::pair<std::string, double>>;
  const Scores want{{"a", 1.0}, {"b", 2.5}};
  EXPECT_EQ(value<Scores>(arr({bulk("a"), bulk("1"), bulk("b"), bulk("2.5")})), want);
  EXPECT_EQ(value<Scores>(
                arr({arr({bulk("a"), Resp::double_value(1)}), arr({bulk("b"), Resp::double_value(2.5)})})),
            want);
  EXPECT_EQ(value<Scores>(map({bulk("a"), num(1), bulk("b"), Resp::double_value(2.5)})), want);
  EXPECT_EQ(value<Scores>(arr({})), Scores{});
  // Order and repeats are kept, unlike a map.
  EXPECT_EQ(value<Scores>(arr({bulk("b"), num(2), bulk("b"), num(1)})), (Scores{{"b", 2.0}, {"b", 1.0}}));
  EXPECT_EQ(failure<Scores>(arr({bulk("a"), bulk("1"), bulk("b")})).first, errc::odd_map_length);
  EXPECT_EQ(
      failure<Scores>(arr({bulk("a"), bulk("x")})),
      F(errc::not_a_number, "value of key \"a\": expected double, got bulk string that is not a number"));
}

}  // namespace
