// Unit tests of respool::Resp: construction, every accessor on every type
// (value or the reason it can't), comparison, copies and rendering.
#include "respool/resp.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "resp_builders.hpp"

namespace {

using namespace respool::test::build;

using respool::errc;
using respool::Resp;
using T = Resp::Type;

const std::error_code kIo = std::make_error_code(std::errc::connection_reset);

// One of each type.
std::vector<Resp> one_of_each() {
  return {simple("OK"),
          bulk("v"),
          num(1),
          arr({num(1)}),
          Resp(),
          Resp::server_error("ERR x"),
          Resp::io_error(kIo),
          Resp::aggregate(T::map, {simple("k"), simple("v")}),
          Resp::aggregate(T::set, {simple("m")}),
          Resp::double_value(1.5),
          Resp::boolean_value(true),
          Resp::big_number("123"),
          Resp::verbatim_string("txt", "hi"),
          Resp::aggregate(T::push, {simple("message")})};
}

TEST(Resp, DefaultIsNil) {
  Resp r;
  EXPECT_TRUE(r.is_nil());
  EXPECT_EQ(r.type(), T::nil);
  EXPECT_FALSE(r.err());
  EXPECT_EQ(r.error_message(), "");
  EXPECT_EQ(r.str().error(), errc::nil_reply);
  EXPECT_EQ(r.bytes().error(), errc::nil_reply);
  EXPECT_EQ(r.integer().error(), errc::nil_reply);
  EXPECT_EQ(r.number().error(), errc::nil_reply);
  EXPECT_EQ(r.boolean().error(), errc::nil_reply);
  EXPECT_EQ(r.array().error(), errc::nil_reply);
  EXPECT_EQ(r.list().error(), errc::nil_reply);
  EXPECT_EQ(r.map().error(), errc::nil_reply);
  EXPECT_EQ(r.to_string(), "nil");
}

TEST(Resp, TypesAndPredicates) {
  const T types[] = {
      T::simple_string,   T::bulk_string, T::integer, T::array,         T::nil,     T::server_error,
      T::io_error,        T::map,         T::set,     T::double_number, T::boolean, T::big_number,
      T::verbatim_string, T::push};
  auto all = one_of_each();
  ASSERT_EQ(all.size(), std::size(types));
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].type(), types[i]) << i;
    const bool agg = types[i] == T::array || types[i] == T::map || types[i] == T::set || types[i] == T::push;
    EXPECT_EQ(all[i].is_aggregate(), agg) << i;
    EXPECT_EQ(all[i].is_nil(), types[i] == T::nil) << i;
    EXPECT_EQ(all[i].is_server_error(), types[i] == T::server_error) << i;
    EXPECT_EQ(all[i].is_io_error(), types[i] == T::io_error) << i;
  }
}

TEST(Resp, Errors) {
  auto s = Resp::server_error("ERR unknown command 'FOO'");
  EXPECT_EQ(s.err(), errc::server_error);
  EXPECT_FALSE(respool::is_critical(s.err()));
  EXPECT_EQ(s.error_message(), "ERR unknown command 'FOO'");
  EXPECT_EQ(s.to_string(), "(error) ERR unknown command 'FOO'");
  auto io = Resp::io_error(kIo);
  EXPECT_EQ(io.err(), kIo);
  EXPECT_EQ(io.error_message(), kIo.message());
  EXPECT_EQ(io.to_string(), "(io error) " + kIo.message());
  auto proto = Resp::io_error(errc::protocol_error);
  EXPECT_EQ(proto.err(), errc::protocol_error);
  // Every accessor of an error Resp returns that error.
  for (const Resp* r : {&s, &io}) {
    EXPECT_EQ(r->str().error(), r->err());
    EXPECT_EQ(r->bytes().error(), r->err());
    EXPECT_EQ(r->integer().error(), r->err());
    EXPECT_EQ(r->number().error(), r->err());
    EXPECT_EQ(r->boolean().error(), r->err());
    EXPECT_EQ(r->array().error(), r->err());
    EXPECT_EQ(r->list().error(), r->err());
    EXPECT_EQ(r->map().error(), r->err());
  }
  // Other types carry no error.
  for (const auto& r : one_of_each()) {
    if (!r.is_server_error() && !r.is_io_error()) {
      EXPECT_FALSE(r.err()) << r.to_string();
      EXPECT_EQ(r.error_message(), "") << r.to_string();
    }
  }
}

TEST(Resp, Str) {
  EXPECT_EQ(*simple("OK").str(), "OK");
  EXPECT_EQ(*bulk(std::string("a\0b", 3)).str(), std::string("a\0b", 3));
  EXPECT_EQ(*Resp::verbatim_string("txt", "payload").str(), "payload");
  EXPECT_EQ(*Resp::big_number("-12345678901234567890").str(), "-12345678901234567890");
  EXPECT_EQ(*num(-42).str(), "-42");
  EXPECT_EQ(*num(std::numeric_limits<std::int64_t>::min()).str(), "-9223372036854775808");
  EXPECT_EQ(*Resp::double_value(1.5).str(), "1.5");
  EXPECT_EQ(*Resp::double_value(0.1).str(), "0.1");
  EXPECT_EQ(*Resp::double_value(1e300).str(), "1e+300");
  EXPECT_EQ(*Resp::double_value(std::numeric_limits<double>::infinity()).str(), "inf");
  EXPECT_EQ(*Resp::double_value(-std::numeric_limits<double>::infinity()).str(), "-inf");
  EXPECT_EQ(*Resp::double_value(std::nan("")).str(), "nan");
  EXPECT_EQ(Resp::boolean_value(true).str().error(), errc::wrong_type);
  EXPECT_EQ(arr({}).str().error(), errc::wrong_type);
  EXPECT_EQ(Resp::aggregate(T::map, {}).str().error(), errc::wrong_type);
  EXPECT_EQ(Resp::aggregate(T::set, {}).str().error(), errc::wrong_type);
  EXPECT_EQ(Resp::aggregate(T::push, {}).str().error(), errc::wrong_type);
}

TEST(Resp, StrOnRvalueMovesTheText) {
  const std::string long_text(1000, 'z');
  EXPECT_EQ(*bulk(long_text).str(), long_text);
  EXPECT_EQ(*simple(long_text).str(), long_text);
  EXPECT_EQ(*Resp::big_number("99").str(), "99");
  EXPECT_EQ(*Resp::verbatim_string("mkd", "# hi").str(), "# hi");
  EXPECT_EQ(*num(7).str(), "7");
  EXPECT_EQ(Resp().str().error(), errc::nil_reply);
  Resp r = bulk(long_text);
  std::string moved = *std::move(r).str();
  EXPECT_EQ(moved, long_text);
}

// bytes() of a temporary would dangle: it does not compile.
template <class R>
concept CanTakeBytes = requires(R&& r) {
  std::forward<R>(r).bytes();
};
static_assert(CanTakeBytes<Resp&>);
static_assert(CanTakeBytes<const Resp&>);
static_assert(!CanTakeBytes<Resp>);

TEST(Resp, Bytes) {
  Resp b = bulk(std::string("\0\xff", 2));
  auto v = b.bytes();
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, std::string_view("\0\xff", 2));
  EXPECT_EQ(v->data(), b.text().data());  // a view, no copy
  Resp ok = simple("OK");
  EXPECT_EQ(*ok.bytes(), "OK");
  Resp verb = Resp::verbatim_string("txt", "abc");
  EXPECT_EQ(*verb.bytes(), "abc");
  // Only string payloads.
  Resp i = num(1);
  EXPECT_EQ(i.bytes().error(), errc::wrong_type);
  Resp big = Resp::big_number("1");
  EXPECT_EQ(big.bytes().error(), errc::wrong_type);
  Resp d = Resp::double_value(1);
  EXPECT_EQ(d.bytes().error(), errc::wrong_type);
  Resp a = arr({});
  EXPECT_EQ(a.bytes().error(), errc::wrong_type);
}

TEST(Resp, Integer) {
  EXPECT_EQ(*num(5).integer(), 5);
  EXPECT_EQ(*bulk("123").integer(), 123);
  EXPECT_EQ(*bulk("-9223372036854775808").integer(), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(*simple("0").integer(), 0);
  EXPECT_EQ(*Resp::verbatim_string("txt", "12").integer(), 12);
  EXPECT_EQ(*Resp::big_number("9223372036854775807").integer(), std::numeric_limits<std::int64_t>::max());
  for (const char* bad : {"", "abc", "12a", " 12", "12 ", "+1", "1.5", "9223372036854775808", "0x10", "-"}) {
    EXPECT_EQ(bulk(bad).integer().error(), errc::not_a_number) << bad;
  }
  EXPECT_EQ(Resp::big_number("99999999999999999999").integer().error(), errc::not_a_number);
  EXPECT_EQ(Resp::double_value(1.0).integer().error(), errc::wrong_type);
  EXPECT_EQ(Resp::boolean_value(true).integer().error(), errc::wrong_type);
  EXPECT_EQ(arr({num(1)}).integer().error(), errc::wrong_type);
}

TEST(Resp, Number) {
  EXPECT_EQ(*Resp::double_value(2.5).number(), 2.5);
  EXPECT_EQ(*num(-3).number(), -3.0);
  EXPECT_EQ(*bulk("3.14").number(), 3.14);
  EXPECT_EQ(*bulk("10").number(), 10.0);
  EXPECT_EQ(*bulk("-1e-3").number(), -1e-3);
  EXPECT_EQ(*bulk("inf").number(), std::numeric_limits<double>::infinity());
  EXPECT_EQ(*bulk("+inf").number(), std::numeric_limits<double>::infinity());
  EXPECT_EQ(*bulk("-inf").number(), -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(*bulk("nan").number()));
  EXPECT_EQ(*simple("1.5").number(), 1.5);
  EXPECT_EQ(*Resp::big_number("12345678901234567890").number(), 12345678901234567890.0);
  for (const char* bad : {"", "abc", "1.5x", " 1", "1 ", "++1", "+-1", "0x1p3"}) {
    EXPECT_EQ(bulk(bad).number().error(), errc::not_a_number) << bad;
  }
  EXPECT_EQ(Resp::boolean_value(true).number().error(), errc::wrong_type);
  EXPECT_EQ(arr({}).number().error(), errc::wrong_type);
}

TEST(Resp, Boolean) {
  EXPECT_EQ(*Resp::boolean_value(true).boolean(), true);
  EXPECT_EQ(*Resp::boolean_value(false).boolean(), false);
  EXPECT_EQ(*num(1).boolean(), true);
  EXPECT_EQ(*num(0).boolean(), false);
  EXPECT_EQ(num(2).boolean().error(), errc::wrong_type);
  EXPECT_EQ(num(-1).boolean().error(), errc::wrong_type);
  EXPECT_EQ(bulk("1").boolean().error(), errc::wrong_type);
  EXPECT_EQ(Resp::double_value(1).boolean().error(), errc::wrong_type);
  EXPECT_EQ(arr({}).boolean().error(), errc::wrong_type);
}

TEST(Resp, Array) {
  Resp a = arr({num(1), bulk("x"), Resp()});
  auto span = a.array();
  ASSERT_TRUE(span);
  ASSERT_EQ(span->size(), 3u);
  EXPECT_EQ(span->data(), a.elements().data());  // a view
  EXPECT_EQ((*span)[1], bulk("x"));
  for (T t : {T::map, T::set, T::push}) {
    EXPECT_EQ(Resp::aggregate(t, {num(1), num(2)}).array()->size(), 2u);
  }
  EXPECT_EQ(bulk("x").array().error(), errc::wrong_type);
  EXPECT_EQ(num(1).array().error(), errc::wrong_type);
  // On an rvalue it owns its elements.
  std::vector<Resp> owned = *arr({bulk("a"), bulk("b")}).array();
  EXPECT_EQ(owned, (std::vector<Resp>{bulk("a"), bulk("b")}));
  EXPECT_EQ(Resp().array().error(), errc::nil_reply);
  EXPECT_EQ(simple("x").array().error(), errc::wrong_type);
  auto rv = Resp::server_error("ERR").array();
  EXPECT_EQ(rv.error(), errc::server_error);
}

TEST(Resp, List) {
  auto l = arr({bulk("a"), simple("b"), num(3), Resp::double_value(0.5), Resp::big_number("7")}).list();
  ASSERT_TRUE(l);
  EXPECT_EQ(*l, (std::vector<std::string>{"a", "b", "3", "0.5", "7"}));
  EXPECT_EQ(arr({}).list()->size(), 0u);
  EXPECT_EQ(Resp::aggregate(T::set, {bulk("m")}).list()->at(0), "m");
  // Fails on the first element that is no string.
  EXPECT_EQ(arr({bulk("a"), Resp(), num(1)}).list().error(), errc::nil_reply);
  EXPECT_EQ(arr({bulk("a"), arr({})}).list().error(), errc::wrong_type);
  EXPECT_EQ(arr({Resp::server_error("ERR")}).list().error(), errc::server_error);
  EXPECT_EQ(bulk("a").list().error(), errc::wrong_type);
}

TEST(Resp, Map) {
  auto m = arr({bulk("k1"), bulk("v1"), bulk("k2"), num(2)}).map();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->size(), 2u);
  EXPECT_EQ(m->at("k1"), "v1");
  EXPECT_EQ(m->at("k2"), "2");
  auto m3 = Resp::aggregate(T::map, {simple("a"), Resp::double_value(1.5)}).map();
  ASSERT_TRUE(m3);
  EXPECT_EQ(m3->at("a"), "1.5");
  EXPECT_EQ(arr({}).map()->size(), 0u);
  EXPECT_EQ(arr({bulk("k")}).map().error(), errc::odd_map_length);
  EXPECT_EQ(arr({bulk("k"), Resp()}).map().error(), errc::nil_reply);
  EXPECT_EQ(arr({arr({}), bulk("v")}).map().error(), errc::wrong_type);
  // A repeated key: the last value wins.
  EXPECT_EQ(arr({bulk("k"), bulk("1"), bulk("k"), bulk("2")}).map()->at("k"), "2");
  // Sets and pushes are no maps.
  EXPECT_EQ(Resp::aggregate(T::set, {bulk("a"), bulk("b")}).map().error(), errc::wrong_type);
  EXPECT_EQ(Resp::aggregate(T::push, {bulk("a"), bulk("b")}).map().error(), errc::wrong_type);
  EXPECT_EQ(bulk("x").map().error(), errc::wrong_type);
}

TEST(Resp, VerbatimFormat) {
  Resp v = Resp::verbatim_string("mkd", "# title");
  EXPECT_EQ(v.format(), "mkd");
  EXPECT_EQ(*v.str(), "# title");
  EXPECT_EQ(v.text(), "mkd:# title");
  EXPECT_EQ(Resp::verbatim_string("txt", "a:b").format(), "txt");
  EXPECT_EQ(*Resp::verbatim_string("txt", "a:b").str(), "a:b");
  EXPECT_EQ(bulk("txt:x").format(), "");
  EXPECT_EQ(Resp().format(), "");
}

TEST(Resp, Equality) {
  auto all = one_of_each();
  for (std::size_t i = 0; i < all.size(); ++i) {
    for (std::size_t j = 0; j < all.size(); ++j) EXPECT_EQ(all[i] == all[j], i == j) << i << "," << j;
  }
  EXPECT_NE(simple("a"), bulk("a"));
  EXPECT_NE(bulk("a"), bulk("b"));
  EXPECT_NE(num(1), num(2));
  EXPECT_NE(Resp::double_value(1), Resp::double_value(2));
  EXPECT_EQ(Resp::double_value(std::nan("")), Resp::double_value(std::nan("")));
  EXPECT_NE(Resp::double_value(0.0), Resp::double_value(-0.0));
  EXPECT_NE(Resp::boolean_value(true), Resp::boolean_value(false));
  EXPECT_NE(Resp::io_error(kIo), Resp::io_error(errc::timeout));
  EXPECT_NE(arr({num(1)}), arr({num(1), num(2)}));
  EXPECT_NE(arr({num(1)}), Resp::aggregate(T::set, {num(1)}));
  EXPECT_EQ(arr({arr({bulk("x")})}), arr({arr({bulk("x")})}));
  EXPECT_NE(arr({arr({bulk("x")})}), arr({arr({bulk("y")})}));
  // Attributes take part.
  Resp a = num(1);
  Resp b = num(1);
  a.set_attributes(arr({}));
  EXPECT_NE(a, b);
  b.set_attributes(arr({}));
  EXPECT_EQ(a, b);
  b.set_attributes(arr({num(1)}));
  EXPECT_NE(a, b);
}

TEST(Resp, CopiesAreDeep) {
  Resp inner = bulk("deep");
  inner.set_attributes(Resp::aggregate(T::map, {simple("k"), simple("v")}));
  Resp a = arr({inner, num(2)});
  a.set_attributes(Resp::aggregate(T::map, {simple("ttl"), num(5)}));
  Resp b(a);
  EXPECT_EQ(a, b);
  ASSERT_NE(b.attributes(), nullptr);
  EXPECT_NE(b.attributes(), a.attributes());  // its own copy
  EXPECT_NE(b.elements()[0].attributes(), a.elements()[0].attributes());
  b.elements()[0] = bulk("changed");
  EXPECT_EQ(a.elements()[0].text(), "deep");
  Resp c;
  c = a;
  EXPECT_EQ(c, a);
  Resp& alias = c;
  c = alias;  // self-assignment
  EXPECT_EQ(c, a);
  Resp moved(std::move(c));
  EXPECT_EQ(moved, a);
  ASSERT_NE(moved.attributes(), nullptr);
}

TEST(Resp, Attributes) {
  Resp r = simple("OK");
  EXPECT_EQ(r.attributes(), nullptr);
  r.set_attributes(Resp::aggregate(T::map, {simple("a"), num(1)}));
  ASSERT_NE(r.attributes(), nullptr);
  EXPECT_EQ(r.attributes()->type(), T::map);
  EXPECT_EQ(*r.str(), "OK");  // attributes don't change the value
}

TEST(Resp, ToString) {
  EXPECT_EQ(arr({simple("OK"), num(1), Resp(), Resp::server_error("ERR x")}).to_string(),
            R"(["OK", 1, nil, (error) ERR x])");
  EXPECT_EQ(bulk(std::string("a\"b\\c\r\n\t\0\x7f\xff", 11)).to_string(), R"("a\"b\\c\r\n\t\x00\x7f\xff")");
  EXPECT_EQ(Resp::aggregate(T::map, {simple("k"), num(1), simple("j"), num(2)}).to_string(),
            R"({"k": 1, "j": 2})");
  EXPECT_EQ(Resp::aggregate(T::set, {num(1)}).to_string(), "(set) [1]");
  EXPECT_EQ(Resp::aggregate(T::push, {simple("m")}).to_string(), R"((push) ["m"])");
  EXPECT_EQ(Resp::double_value(1.5).to_string(), "1.5");
  EXPECT_EQ(Resp::boolean_value(false).to_string(), "false");
  EXPECT_EQ(Resp::big_number("123").to_string(), "(big number) 123");
  EXPECT_EQ(Resp::verbatim_string("txt", "hi").to_string(), R"((verbatim txt) "hi")");
  EXPECT_EQ(arr({}).to_string(), "[]");
  Resp r = num(1);
  r.set_attributes(Resp::aggregate(T::map, {simple("a"), num(2)}));
  EXPECT_EQ(r.to_string(), R"((attributes {"a": 2}) 1)");
}

TEST(Resp, RawStorage) {
  Resp a = arr({num(1)});
  a.elements().push_back(num(2));
  EXPECT_EQ(a.elements().size(), 2u);
  EXPECT_EQ(Resp::big_number("42").text(), "42");
  EXPECT_EQ(Resp::server_error("E").text(), "E");
}

// A node keeps one value in a shared slot: copies, moves and assignments
// between every pair of types keep each value whole.
TEST(Resp, EveryTypeCopiesMovesAndAssignsOverEveryOther) {
  const std::string long_text(100, 'x');  // a string with a heap buffer
  std::vector<Resp> all = one_of_each();
  all.push_back(bulk(long_text));
  all.push_back(arr({bulk(long_text), arr({num(2)})}));
  for (const Resp& from : all) {
    for (const Resp& to : all) {
      Resp copied = to;
      copied = from;
      EXPECT_EQ(copied, from);
      Resp moved = to;
      Resp source = from;
      moved = std::move(source);
      EXPECT_EQ(moved, from);
      Resp constructed(std::move(moved));
      EXPECT_EQ(constructed, from);
    }
  }
}

TEST(Resp, MoveAssigningAnElementToItsParent) {
  Resp r = arr({arr({bulk(std::string(100, 'y')), num(1)})});
  r = std::move(r.elements()[0]);
  EXPECT_EQ(r, arr({bulk(std::string(100, 'y')), num(1)}));
  r = std::move(r.elements()[0]);
  EXPECT_EQ(r, bulk(std::string(100, 'y')));
}

TEST(Resp, RawStorageOfOtherTypesIsEmpty) {
  EXPECT_TRUE(num(7).text().empty());
  EXPECT_TRUE(arr({num(1)}).text().empty());
  EXPECT_TRUE(bulk("abc").elements().empty());
  EXPECT_TRUE(Resp().elements().empty());
  // The mutable list of a non-aggregate is scratch: the Resp is unchanged.
  Resp s = bulk("abc");
  s.elements().push_back(num(1));
  EXPECT_TRUE(s.elements().empty());
  EXPECT_EQ(s, bulk("abc"));
  Resp i = num(5);
  i.elements().push_back(num(1));
  EXPECT_EQ(i.integer().value(), 5);
  // aggregate() with a type that is no aggregate keeps no elements.
  EXPECT_TRUE(Resp::aggregate(T::nil, {num(1)}).elements().empty());
}

}  // namespace
