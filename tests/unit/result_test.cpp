// Unit tests of respool::Result<T> and of respool's error codes.
#include "respool/result.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <system_error>

#include "respool/error.hpp"

namespace {

using respool::errc;
using respool::Result;

struct Position {
  int x = 0;
  int y = 0;
};

TEST(Result, HoldsAValue) {
  Result<int> r = 5;
  EXPECT_TRUE(r.has_value());
  EXPECT_TRUE(static_cast<bool>(r));
  EXPECT_EQ(*r, 5);
  EXPECT_EQ(r.value(), 5);
  EXPECT_FALSE(r.error());
  EXPECT_EQ(r.value_or(9), 5);
  *r = 6;
  EXPECT_EQ(*r, 6);
}

TEST(Result, HoldsAnError) {
  Result<int> r = errc::nil_reply;
  EXPECT_FALSE(r.has_value());
  EXPECT_FALSE(static_cast<bool>(r));
  EXPECT_EQ(r.error(), errc::nil_reply);
  EXPECT_EQ(r.value_or(9), 9);
  Result<int> sys = std::make_error_code(std::errc::connection_refused);
  EXPECT_EQ(sys.error(), std::errc::connection_refused);
}

TEST(Result, ValueOnAnErrorThrowsSystemError) {
  Result<std::string> r = errc::wrong_type;
  try {
    (void)r.value();
    FAIL() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), errc::wrong_type);
  }
  const Result<std::string>& cr = r;
  EXPECT_THROW((void)cr.value(), std::system_error);
  EXPECT_THROW((void)std::move(r).value(), std::system_error);
}

TEST(Result, DefaultIsAValueInitialisedValue) {
  Result<int> r;
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 0);
  Result<std::string> s;
  ASSERT_TRUE(s);
  EXPECT_EQ(*s, "");
}

TEST(Result, ArrowAndConversions) {
  Result<Position> p = Position{1, 2};
  EXPECT_EQ(p->x, 1);
  p->y = 7;
  EXPECT_EQ(p.value().y, 7);
  const Result<Position>& cp = p;
  EXPECT_EQ(cp->y, 7);
  Result<std::string> s = "converted from const char*";
  EXPECT_EQ(*s, "converted from const char*");
  Result<long> l = 3;  // int -> long
  EXPECT_EQ(*l, 3);
}

TEST(Result, MoveOnlyValues) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(4);
  ASSERT_TRUE(r);
  EXPECT_EQ(**r, 4);
  std::unique_ptr<int> owned = *std::move(r);
  EXPECT_EQ(*owned, 4);
  Result<std::unique_ptr<int>> r2 = std::make_unique<int>(5);
  std::unique_ptr<int> owned2 = std::move(r2).value();
  EXPECT_EQ(*owned2, 5);
  Result<std::unique_ptr<int>> e = errc::pool_closed;
  EXPECT_EQ(e.error(), errc::pool_closed);
  auto fallback = std::move(e).value_or(std::make_unique<int>(6));
  EXPECT_EQ(*fallback, 6);
}

TEST(Result, Copies) {
  Result<std::string> a = std::string("x");
  Result<std::string> b = a;
  EXPECT_EQ(*b, "x");
  Result<std::string> e = errc::timeout;
  b = e;
  EXPECT_EQ(b.error(), errc::timeout);
}

TEST(ResultVoid, SuccessAndError) {
  Result<void> ok;
  EXPECT_TRUE(ok.has_value());
  EXPECT_TRUE(static_cast<bool>(ok));
  EXPECT_FALSE(ok.error());
  EXPECT_NO_THROW(ok.value());
  *ok;
  Result<void> bad = errc::auth_failed;
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.error(), errc::auth_failed);
  EXPECT_THROW(bad.value(), std::system_error);
  Result<void> sys = std::make_error_code(std::errc::timed_out);
  EXPECT_EQ(sys.error(), std::errc::timed_out);
  Result<void> empty_code = std::error_code{};  // an empty code is success
  EXPECT_TRUE(empty_code);
}

TEST(Errc, CategoryAndMessages) {
  const std::error_code ec = errc::get_timeout;
  EXPECT_STREQ(ec.category().name(), "respool");
  EXPECT_EQ(ec.message(), "get timed out");
  EXPECT_EQ(ec, errc::get_timeout);
  EXPECT_NE(ec, errc::pool_closed);
  std::set<std::string> messages;
  for (int i = static_cast<int>(errc::get_timeout); i <= static_cast<int>(errc::out_of_range); ++i) {
    const std::string m = make_error_code(static_cast<errc>(i)).message();
    EXPECT_FALSE(m.empty());
    EXPECT_NE(m, "unknown respool error") << i;
    messages.insert(m);
  }
  EXPECT_EQ(messages.size(), static_cast<std::size_t>(errc::out_of_range));  // all distinct
  EXPECT_EQ(std::error_code(999, respool::category()).message(), "unknown respool error");
}

TEST(Errc, Critical) {
  for (errc e : {errc::timeout, errc::connection_closed, errc::protocol_error, errc::limit_exceeded,
                 errc::client_closed, errc::pubsub_in_transaction}) {
    EXPECT_TRUE(respool::is_critical(e)) << make_error_code(e).message();
  }
  for (errc e :
       {errc::server_error, errc::wrong_type, errc::nil_reply, errc::not_a_number, errc::odd_map_length,
        errc::out_of_range, errc::get_timeout, errc::pipeline_busy, errc::pubsub_command}) {
    EXPECT_FALSE(respool::is_critical(e)) << make_error_code(e).message();
  }
  EXPECT_TRUE(respool::is_critical(std::make_error_code(std::errc::connection_reset)));
  EXPECT_TRUE(respool::is_critical(std::error_code(ECONNRESET, std::system_category())));
  EXPECT_FALSE(respool::is_critical(std::error_code{}));
}

}  // namespace
