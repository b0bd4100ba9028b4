// Unit tests of ParserLimits::max_reply_memory: the parser counts the heap a
// reply takes as it builds it, and the count is the real heap (measured with
// AllocationProbe), so the limit bounds memory and not only wire bytes, and
// is never passed, not even while a vector of elements grows.
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "alloc_probe.hpp"
#include "respool/parser.hpp"

namespace {

// Concatenation by append: GCC 12 at -O3 warns (-Wrestrict, falsely) on
// "literal" + std::string.
template <class... Parts>
std::string cat(const Parts&... parts) {
  std::string s;
  (s.append(parts), ...);
  return s;
}

using respool::errc;
using respool::Parser;
using respool::ParserLimits;
using respool::Resp;
using respool_test::AllocationProbe;

constexpr std::int64_t kNoLimit = std::numeric_limits<std::int64_t>::max();

ParserLimits memory_limit(std::int64_t bytes) {
  return ParserLimits{.max_elements = kNoLimit, .max_reply_bytes = kNoLimit, .max_reply_memory = bytes};
}

std::string repeat(std::string_view s, int n) {
  std::string out;
  out.reserve(s.size() * static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

std::string nested(int depth) { return repeat("*1\r\n", depth) + "_\r\n"; }

struct Measured {
  std::error_code error;
  bool complete = false;
  Resp reply;
  std::size_t peak = 0;   // most heap in use during next()
  std::int64_t kept = 0;  // heap still in use after next(): the reply's
};

// One next() on `in` under a probe. The input is fed, and the parser's stack
// of open aggregates grown by a reply `depth` levels deep, before the probe
// starts: what the probe sees is the reply's own heap.
Measured measure(std::string_view in, std::int64_t limit, int depth) {
  Parser p(memory_limit(limit));
  p.feed(nested(depth));
  EXPECT_TRUE(p.next().value_or(std::nullopt).has_value()) << "warm-up failed at limit " << limit;
  p.feed(in);
  Measured out;
  AllocationProbe probe;
  {
    auto r = p.next();
    if (!r) {
      out.error = r.error();
    } else if (*r) {
      out.complete = true;
      out.reply = std::move(**r);
    }
  }
  out.peak = probe.peak();
  out.kept = probe.live();
  return out;
}

// The outcome of `in`, fed at once or one byte at a time.
std::error_code outcome(std::string_view in, std::int64_t limit, bool bytewise) {
  Parser p(memory_limit(limit));
  const std::size_t step = bytewise ? 1 : in.size();
  for (std::size_t at = 0; at < in.size(); at += step) {
    p.feed(in.substr(at, step));
    auto r = p.next();
    if (!r) return r.error();
    if (*r) return {};
  }
  return make_error_code(errc::protocol_error);  // incomplete: not expected here
}

// The smallest max_reply_memory with which `in` parses.
std::int64_t smallest_limit(std::string_view in) {
  std::int64_t lo = 0, hi = std::int64_t{1} << 32;  // lo fails or is 0, hi passes
  if (!outcome(in, 0, false)) return 0;
  while (hi - lo > 1) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    (outcome(in, mid, false) ? lo : hi) = mid;
  }
  return hi;
}

struct Case {
  const char* name;
  std::string wire;
  int depth;
};

std::vector<Case> cases() {
  const std::string long_text(1000, 'x');
  return {
      {"nil elements", cat("*1000\r\n", repeat("_\r\n", 1000)), 1},
      {"empty arrays", cat("*1000\r\n", repeat("*0\r\n", 1000)), 1},
      {"integers in a set", cat("~100\r\n", repeat(":12345\r\n", 100)), 1},
      {"bulk strings, short and long",
       cat("*3\r\n$3\r\nabc\r\n$40\r\n", std::string(40, 'b'), "\r\n$1000\r\n", long_text, "\r\n"), 1},
      {"long simple string", cat("+", long_text, "\r\n"), 0},
      {"long error", cat("-", long_text, "\r\n"), 0},
      {"long blob error", cat("!1000\r\n", long_text, "\r\n"), 0},
      {"long big number", cat("(", std::string(500, '7'), "\r\n"), 0},
      {"long verbatim", cat("=1004\r\ntxt:", long_text, "\r\n"), 0},
      {"nested arrays",
       cat("*3\r\n*2\r\n*1\r\n:1\r\n$50\r\n", std::string(50, 'n'), "\r\n*0\r\n",
           repeat("*2\r\n:1\r\n:2\r\n", 1)),
       3},
      {"map with attributes",
       cat("|1\r\n+ttl\r\n:3600\r\n%2\r\n+a\r\n|1\r\n+k\r\n+v\r\n:1\r\n+b\r\n*40\r\n", repeat("_\r\n", 40)),
       2},
  };
}

TEST(ReplyMemory, DefaultIsOneGiB) {
  EXPECT_EQ(ParserLimits{}.max_reply_memory, 1024LL * 1024 * 1024);
  EXPECT_EQ(Parser().limits().max_reply_memory, 1024LL * 1024 * 1024);
}

// The count is the heap the reply really takes: the smallest limit that lets
// a reply through is the peak of its heap while it was built (up to the
// rounding of one string allocation), and the finished reply keeps no more.
TEST(ReplyMemory, TheCountIsTheRealHeap) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    const Measured free_run = measure(c.wire, kNoLimit, c.depth);
    ASSERT_TRUE(free_run.complete) << free_run.error.message();
    const std::int64_t smallest = smallest_limit(c.wire);
    EXPECT_GE(smallest, static_cast<std::int64_t>(free_run.peak));
    EXPECT_LE(smallest, static_cast<std::int64_t>(free_run.peak) + 32);
    EXPECT_LE(free_run.kept, static_cast<std::int64_t>(free_run.peak));
    EXPECT_GT(free_run.peak, 0u);
  }
}

// At the smallest limit the reply parses; one byte less and it fails with
// limit_exceeded, having never held more than the limit. Either way the
// outcome doesn't depend on how the input is cut.
TEST(ReplyMemory, TheLimitIsNeverPassed) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    const std::int64_t smallest = smallest_limit(c.wire);
    const std::int64_t warm_up = static_cast<std::int64_t>(sizeof(Resp)) * c.depth;
    ASSERT_GT(smallest - 1, warm_up);

    const Measured fits = measure(c.wire, smallest, c.depth);
    EXPECT_TRUE(fits.complete) << fits.error.message();
    EXPECT_LE(fits.peak, static_cast<std::size_t>(smallest));

    const Measured over = measure(c.wire, smallest - 1, c.depth);
    EXPECT_EQ(over.error, errc::limit_exceeded);
    EXPECT_LE(over.peak, static_cast<std::size_t>(smallest - 1));

    EXPECT_FALSE(outcome(c.wire, smallest, true));
    EXPECT_EQ(outcome(c.wire, smallest - 1, true), errc::limit_exceeded);
  }
}

TEST(ReplyMemory, AReplyThatFitsIsReturnedWhole) {
  const Measured r =
      measure(cat("*3\r\n$40\r\n", std::string(40, 'b'), "\r\n_\r\n=8\r\ntxt:abcd\r\n"), 1024, 1);
  ASSERT_TRUE(r.complete);
  EXPECT_EQ(r.reply, Resp::aggregate(Resp::Type::array, {Resp::bulk_string(std::string(40, 'b')), Resp(),
                                                         Resp::verbatim_string("txt", "abcd")}));
}

// A claim is refused as soon as its header shows it can't fit, before its
// bytes arrive; an element count sizes nothing beyond a small first room.
TEST(ReplyMemory, ClaimsAreRefusedOrSizeNothing) {
  Parser p(memory_limit(1000));
  p.feed("$1000\r\n");
  EXPECT_EQ(p.next().error(), errc::limit_exceeded);

  Parser q(memory_limit(kNoLimit));
  q.feed("*1000000000\r\n_\r\n_\r\n");
  AllocationProbe probe;  // the input buffer is not the reply's
  auto r = q.next();
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r);
  EXPECT_LE(probe.largest(), 16 * sizeof(Resp));
}

// Each reply has its own budget: what a reply took is free again for the next.
TEST(ReplyMemory, EachReplyHasItsOwnBudget) {
  const std::string one = cat("*100\r\n", repeat("_\r\n", 100));
  const std::int64_t smallest = smallest_limit(one);
  Parser p(memory_limit(smallest));
  p.feed(one + one + one);
  for (int i = 0; i < 3; ++i) {
    auto r = p.next();
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_TRUE(*r);
    EXPECT_EQ((**r).elements().size(), 100u);
  }
}

TEST(ReplyMemory, ZeroLetsOnlyRepliesWithoutHeapThrough) {
  EXPECT_FALSE(outcome("+OK\r\n", 0, false));
  EXPECT_FALSE(outcome(":1\r\n", 0, false));
  EXPECT_FALSE(outcome("*0\r\n", 0, false));
  EXPECT_EQ(outcome("*1\r\n:1\r\n", 0, false), errc::limit_exceeded);
  EXPECT_EQ(outcome("$100\r\n", -5, false), errc::limit_exceeded);
}

// The review's case: 10^6 nil elements (3 MB on the wire) took 216 MB. With
// a limit, the heap stays under it; with the default, the reply either
// parses within it or fails with limit_exceeded.
TEST(ReplyMemory, AMillionNilElementsStayWithinTheLimit) {
  const std::string wire = cat("*1000000\r\n", repeat("_\r\n", 1'000'000));
  const Measured small = measure(wire, 16 << 20, 1);
  EXPECT_EQ(small.error, errc::limit_exceeded);
  EXPECT_LE(small.peak, std::size_t{16} << 20);

  const std::int64_t dflt = ParserLimits{}.max_reply_memory;
  const Measured with_default = measure(wire, dflt, 1);
  EXPECT_LE(with_default.peak, static_cast<std::size_t>(dflt));
  if (with_default.complete) {
    ASSERT_EQ(with_default.reply.elements().size(), 1'000'000u);
    for (const Resp& e : with_default.reply.elements()) ASSERT_TRUE(e.is_nil());
  } else {
    EXPECT_EQ(with_default.error, errc::limit_exceeded);
  }
}

// The node is compact: a scalar, a string or a list of elements share one
// slot, so a node is its type, that slot and the attributes pointer.
TEST(ReplyMemory, RespNodeIsCompact) { EXPECT_LE(sizeof(Resp), 8 + sizeof(std::string) + sizeof(void*)); }

}  // namespace
