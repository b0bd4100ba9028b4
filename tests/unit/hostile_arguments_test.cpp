// Careless arguments that used to crash (regressions for two library fixes):
//   - Pool::create with a huge size reserved a slot per idle connection up
//     front: size INT_MAX threw std::bad_alloc (an abort under ASan). Now
//     anything above Pool::max_size is errc::invalid_argument.
//   - ParserLimits::max_depth raised to 10^6 let a hostile server build a
//     reply 10^6 levels deep, whose recursive destruction overflowed the
//     stack (SIGSEGV). Now depth stops at ParserLimits::max_depth_ceiling.
#include <gtest/gtest.h>

#include <climits>
#include <string>

#include "alloc_probe.hpp"
#include "respool/error.hpp"
#include "respool/parser.hpp"
#include "respool/pool.hpp"

namespace {

using namespace std::chrono_literals;
using respool::errc;
using respool::Parser;
using respool::ParserLimits;
using respool::Pool;
using respool_test::AllocationProbe;

TEST(HostileArguments, PoolSizeAboveMaxSizeIsInvalidArgumentNotAHugeAllocation) {
  for (int size : {Pool::max_size + 1, INT_MAX}) {
    AllocationProbe probe;
    auto made = Pool::create("tcp", "127.0.0.1:1", size);
    EXPECT_EQ(made.error, errc::invalid_argument) << size;
    EXPECT_EQ(made.pool->get().error(), errc::invalid_argument);
    EXPECT_LT(probe.largest(), std::size_t{1} << 20);
  }
  auto overflow =
      Pool::create("tcp", "127.0.0.1:1", 0, {.on_full_buffer = respool::OnFullBuffer{INT_MAX, 1s}});
  EXPECT_EQ(overflow.error, errc::invalid_argument);
  // The largest size is accepted (nothing listens on port 1: a dial error, not a bad argument).
  auto biggest = Pool::create("tcp", "127.0.0.1:1", Pool::max_size, {.ping_interval = 0s});
  EXPECT_NE(biggest.error, errc::invalid_argument);
  EXPECT_NE(biggest.error, errc::pool_closed);
}

std::string nested(int depth) {
  std::string s;
  for (int i = 0; i < depth; ++i) s += "*1\r\n";
  return s + ":1\r\n";
}

TEST(HostileArguments, ParserDepthLimitAboveTheCeilingStopsAtTheCeiling) {
  const ParserLimits raised{.max_depth = 1'000'000};
  {
    Parser p(raised);
    p.feed(nested(1'000'000));
    auto r = p.next();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), errc::limit_exceeded);
  }
  {
    // Exactly at the ceiling: parsed, printed, compared, copied, destroyed.
    Parser p(raised);
    p.feed(nested(static_cast<int>(ParserLimits::max_depth_ceiling)));
    auto r = p.next();
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_TRUE(*r);
    const respool::Resp copy = **r;
    EXPECT_EQ(copy, **r);
    EXPECT_NE(copy.to_string().find("[1]"), std::string::npos);
  }
  {
    Parser p(raised);
    p.feed(nested(static_cast<int>(ParserLimits::max_depth_ceiling) + 1));
    auto r = p.next();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), errc::limit_exceeded);
  }
}

}  // namespace
