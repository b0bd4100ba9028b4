// Unit tests of Resp::as<T>(): the from_resp customization point, moves out
// of an rvalue reply (no string copied) and copies from an lvalue.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "resp_as_helpers.hpp"

namespace {

using namespace resp_as_test;

// --- the customization point ----------------------------------------------------

struct Point {
  double x = 0, y = 0;
  bool operator==(const Point&) const = default;
};

// A user type, from a list of alternating field names and values, with a
// reason of its own.
struct User {
  std::string name;
  int age = 0;
};

// A type whose converter also takes a const Resp& (used for lvalues).
struct Tag {
  std::string text;
  bool from_lvalue = false;
};

}  // namespace

template <>
struct respool::from_resp<Point> {
  static respool::Result<Point> convert(respool::Resp&& r, std::string& why) {
    auto xy = std::move(r).as<std::pair<double, double>>(why);
    if (!xy) return xy.error();
    return Point{xy->first, xy->second};
  }
};

template <>
struct respool::from_resp<User> {
  static respool::Result<User> convert(respool::Resp&& r, std::string& why) {
    auto fields = std::move(r).as<std::unordered_map<std::string, std::string>>(why);
    if (!fields) return fields.error();
    auto name = fields->find("name");
    if (name == fields->end()) {
      why = "no field \"name\"";
      return respool::errc::wrong_type;
    }
    User u{std::move(name->second), 0};
    if (auto age = fields->find("age"); age != fields->end()) {
      auto n = respool::Resp::bulk_string(age->second).as<int>();
      if (!n) return n.error();  // no reason: the code's message is used
      u.age = *n;
    }
    return u;
  }
};

template <>
struct respool::from_resp<Tag> {
  static respool::Result<Tag> convert(respool::Resp&& r, std::string& why) {
    auto s = std::move(r).as<std::string>(why);
    if (!s) return s.error();
    return Tag{std::move(*s), false};
  }
  static respool::Result<Tag> convert(const respool::Resp& r, std::string& why) {
    auto s = r.as<std::string>(why);
    if (!s) return s.error();
    return Tag{std::move(*s), true};
  }
};

namespace {

static_assert(respool::HasFromResp<Point>);
static_assert(!respool::HasFromResp<int>);
static_assert(
    respool::RespConvertible<std::vector<std::map<std::string, std::optional<std::tuple<int, double>>>>>);
static_assert(respool::RespConvertible<std::vector<Point>>);
static_assert(respool::RespConvertible<Resp>);
static_assert(!respool::RespConvertible<char>);
static_assert(!respool::RespConvertible<std::string_view>);
static_assert(!respool::RespConvertible<std::vector<const char*>>);
static_assert(!respool::RespConvertible<std::map<std::string, std::vector<wchar_t>>>);

TEST(RespAs, UserTypeThroughFromResp) {
  EXPECT_EQ(value<Point>(arr({bulk("1.5"), Resp::double_value(-2)})), (Point{1.5, -2}));
  EXPECT_EQ(value<std::vector<Point>>(arr({arr({num(0), num(1)}), arr({num(2), num(3)})})),
            (std::vector<Point>{{0, 1}, {2, 3}}));
  // Its reason gets the place in front.
  EXPECT_EQ(failure<std::vector<Point>>(arr({arr({num(0), num(1)}), arr({num(2)})})),
            F(errc::wrong_type, "element 1: expected array of 2 elements, got array of 1 element"));
  EXPECT_EQ((failure<std::map<std::string, Point>>(map({bulk("home"), arr({num(0), nil})}))),
            F(errc::nil_reply, "value of key \"home\": element 1: expected double, got nil"));
  // Error replies never reach the converter.
  EXPECT_EQ(failure<Point>(Resp::server_error("ERR p")), F(errc::server_error, "server error: ERR p"));

  auto u = value<User>(arr({bulk("name"), bulk("ann"), bulk("age"), bulk("41")}));
  EXPECT_EQ(u.name, "ann");
  EXPECT_EQ(u.age, 41);
  EXPECT_EQ(failure<std::vector<User>>(arr({map({bulk("age"), bulk("1")})})),
            F(errc::wrong_type, "element 0: no field \"name\""));
  EXPECT_EQ(failure<User>(map({bulk("name"), bulk("bob"), bulk("age"), bulk("x")})),
            Failure(make_error_code(errc::not_a_number), make_error_code(errc::not_a_number).message()));
}

TEST(RespAs, UserConverterForConstRespServesLvalues) {
  const Resp r = bulk("t");
  EXPECT_TRUE(r.as<Tag>()->from_lvalue);
  EXPECT_FALSE(Resp(r).as<Tag>()->from_lvalue);
  EXPECT_TRUE(r.as<std::vector<Tag>>().error() == errc::wrong_type);
  const Resp list = arr({bulk("a")});
  EXPECT_TRUE(list.as<std::vector<Tag>>()->at(0).from_lvalue);
  EXPECT_FALSE(Resp(list).as<std::vector<Tag>>()->at(0).from_lvalue);
  // A converter with only the rvalue form gets a copy for an lvalue: the reply is unchanged.
  const Resp p = arr({num(1), num(2)});
  EXPECT_EQ(p.as<Point>().value(), (Point{1, 2}));
  EXPECT_EQ(p, arr({num(1), num(2)}));
}

// --- moves and copies -------------------------------------------------------------

// 1,000 strings too long for the small-string buffer.
Resp large_reply(std::vector<const char*>& data) {
  std::vector<Resp> els;
  for (int i = 0; i < 1000; ++i) els.push_back(bulk("value-" + std::to_string(i) + std::string(40, 'x')));
  Resp r = arr(std::move(els));
  for (const Resp& e : r.elements()) data.push_back(e.text().data());
  return r;
}

TEST(RespAs, RvalueMovesTheStringsOut) {
  std::vector<const char*> before;
  Resp r = large_reply(before);
  auto v = std::move(r).as<std::vector<std::string>>();
  ASSERT_TRUE(v);
  ASSERT_EQ(v->size(), before.size());
  for (std::size_t i = 0; i < before.size(); ++i) ASSERT_EQ((*v)[i].data(), before[i]) << i;

  // Keys and values of a map, and a verbatim string's payload.
  Resp m = arr({bulk(std::string(50, 'k')), bulk(std::string(50, 'v'))});
  const char* k = m.elements()[0].text().data();
  const char* val = m.elements()[1].text().data();
  auto mv = std::move(m).as<std::map<std::string, std::string>>();
  ASSERT_TRUE(mv);
  EXPECT_EQ(mv->begin()->first.data(), k);
  EXPECT_EQ(mv->begin()->second.data(), val);
  Resp verb = Resp::verbatim_string("txt", std::string(100, 't'));
  const char* payload = verb.text().data();
  auto s = std::move(verb).as<std::string>();
  ASSERT_TRUE(s);
  EXPECT_EQ(*s, std::string(100, 't'));
  EXPECT_EQ(s->data(), payload);
  // Through optional, pairs and user types too.
  Resp opt = arr({bulk(std::string(50, 'o')), Resp()});
  const char* o = opt.elements()[0].text().data();
  auto ov = std::move(opt).as<std::pair<std::optional<std::string>, std::optional<std::string>>>();
  ASSERT_TRUE(ov);
  EXPECT_EQ(ov->first->data(), o);
  EXPECT_EQ(ov->second, std::nullopt);
}

TEST(RespAs, LvalueCopiesAndLeavesTheReplyAlone) {
  std::vector<const char*> before;
  const Resp r = large_reply(before);
  const Resp copy = r;
  auto v = r.as<std::vector<std::string>>();
  ASSERT_TRUE(v);
  for (std::size_t i = 0; i < before.size(); ++i) {
    ASSERT_NE((*v)[i].data(), before[i]);
    ASSERT_EQ((*v)[i], r.elements()[i].text());
  }
  EXPECT_EQ(r, copy);
  EXPECT_EQ(r.elements()[0].text().data(), before[0]);
}

TEST(RespAs, WhyIsEmptiedOnSuccessAndKeptOnFailure) {
  std::string why = "old";
  EXPECT_TRUE(num(1).as<int>(why));
  EXPECT_EQ(why, "");
  EXPECT_FALSE(nil.as<int>(why));
  EXPECT_EQ(why, "expected integer, got nil");
  EXPECT_FALSE(Resp(nil).as<int>(why));  // rvalue form
  EXPECT_EQ(why, "expected integer, got nil");
}

}  // namespace
