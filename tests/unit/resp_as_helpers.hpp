// Helpers for the Resp::as<T>() unit tests: hand-built replies, and the
// value or the (code, reason) of a conversion.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "resp_builders.hpp"
#include "respool/convert.hpp"

namespace resp_as_test {

using respool::errc;
using respool::Resp;
using T = Resp::Type;
using namespace respool::test::build;

inline const Resp nil;
inline const std::error_code kIo = std::make_error_code(std::errc::connection_reset);

using Failure = std::pair<std::error_code, std::string>;
inline Failure F(errc e, std::string why) { return {make_error_code(e), std::move(why)}; }

// The error code and the reason of a conversion that must fail.
template <class V>
Failure failure(const Resp& r) {
  std::string why;
  auto v = r.as<V>(why);
  EXPECT_FALSE(v) << r.to_string();
  EXPECT_EQ(r.as<V>().error(), v.error()) << "with and without why";
  return {v.error(), why};
}

// The value of a conversion that must succeed (and empty `why`).
template <class V>
V value(const Resp& r) {
  std::string why = "not emptied";
  auto v = r.as<V>(why);
  EXPECT_TRUE(v) << r.to_string() << ": " << why;
  EXPECT_EQ(why, "");
  return v ? *v : V{};
}

}  // namespace resp_as_test
