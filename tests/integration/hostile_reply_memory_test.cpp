// Replies that are small on the wire and large in memory, through a real
// Client reading a FakeServer: 10^6 nil elements (3 MB) and 10^6 empty
// arrays (4 MB). Each element is a Resp node in memory, so before
// max_reply_memory such a reply took 216 MB, bounded by nothing but
// max_reply_bytes. The client's peak heap (AllocationProbe) must stay within
// the documented bound: max_reply_memory plus the parser's own buffers, far
// below 1 MiB here (every item is a few bytes; the client reads 16 KiB at a
// time). A reply that fits must come back whole.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "alloc_probe.hpp"
#include "fake_server.hpp"
#include "respool/client.hpp"
#include "respool/error.hpp"

namespace respool {
namespace {

using namespace std::chrono_literals;
using respool_test::AllocationProbe;
using test::FakeServer;
namespace fake = test::fake;

constexpr std::size_t kElements = 1'000'000;
constexpr std::size_t kBuffers = std::size_t{1} << 20;  // the parser's own buffers, and the client's

std::string million(std::string_view element) {
  std::string out = "*";
  out.append(std::to_string(kElements)).append("\r\n");
  out.reserve(out.size() + element.size() * kElements);
  for (std::size_t i = 0; i < kElements; ++i) out += element;
  return out;
}

struct Received {
  Resp reply;
  std::size_t peak = 0;
  bool closed = false;
};

Received receive(const std::string& body, const DialOptions& o) {
  FakeServer server({fake::read_command(), fake::send(body), fake::hang()});
  auto c = Client::dial("tcp", server.addr(), o);
  EXPECT_TRUE(c) << c.error().message();
  if (!c) return {};
  Received out;
  {
    AllocationProbe probe;
    out.reply = (*c)->cmd("LRANGE", "k", "0", "-1");
    out.peak = probe.peak();
  }
  out.closed = (*c)->is_closed();
  return out;
}

DialOptions with_memory_limit(std::int64_t bytes) {
  DialOptions o;
  o.read_timeout = 30s;  // slow sanitizer builds
  o.limits.max_reply_memory = bytes;
  return o;
}

void expect_all(const Resp& r, Resp::Type t) {
  ASSERT_EQ(r.type(), Resp::Type::array) << r.err().message();
  ASSERT_EQ(r.elements().size(), kElements);
  for (const Resp& e : r.elements()) {
    ASSERT_EQ(e.type(), t);
    ASSERT_TRUE(e.elements().empty());
  }
}

struct Shape {
  const char* name;
  const char* element;
  Resp::Type type;
};

const Shape kShapes[] = {{"nil elements", "_\r\n", Resp::Type::nil},
                         {"empty arrays", "*0\r\n", Resp::Type::array}};

// A limit the reply can't fit in: the reply fails with limit_exceeded (the
// connection closes) and the client never held more than the limit.
TEST(HostileReplyMemory, AMillionTinyElementsStopAtTheLimit) {
  constexpr std::int64_t limit = 16 << 20;
  for (const Shape& s : kShapes) {
    SCOPED_TRACE(s.name);
    const Received got = receive(million(s.element), with_memory_limit(limit));
    EXPECT_EQ(got.reply.err(), errc::limit_exceeded);
    EXPECT_TRUE(got.closed);
    EXPECT_LE(got.peak, static_cast<std::size_t>(limit) + kBuffers);
  }
}

// A limit the reply fits in: it comes back whole, within the limit.
TEST(HostileReplyMemory, AMillionTinyElementsThatFitComeBackWhole) {
  constexpr std::int64_t limit = 160 << 20;
  for (const Shape& s : kShapes) {
    SCOPED_TRACE(s.name);
    const Received got = receive(million(s.element), with_memory_limit(limit));
    expect_all(got.reply, s.type);
    EXPECT_FALSE(got.closed);
    EXPECT_LE(got.peak, static_cast<std::size_t>(limit) + kBuffers);
  }
}

// The default limits: the reply parses within max_reply_memory, or fails
// with limit_exceeded.
TEST(HostileReplyMemory, AMillionTinyElementsWithTheDefaultLimits) {
  const DialOptions o = with_memory_limit(ParserLimits{}.max_reply_memory);
  for (const Shape& s : kShapes) {
    SCOPED_TRACE(s.name);
    const Received got = receive(million(s.element), o);
    EXPECT_LE(got.peak, static_cast<std::size_t>(o.limits.max_reply_memory) + kBuffers);
    if (got.reply.is_io_error()) {
      EXPECT_EQ(got.reply.err(), errc::limit_exceeded);
    } else {
      expect_all(got.reply, s.type);
    }
  }
}

}  // namespace
}  // namespace respool
