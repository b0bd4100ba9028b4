// A hostile server's claims through the Client (FakeServer): a 4 GiB bulk
// string, a 10^9-element array, 10^6 levels of nesting. None may cause a
// large allocation or a crash, whatever the limits: with the default limits
// the claim is refused at once (limit_exceeded); with limits raised to allow
// it, the client waits for bytes that never come, allocating only for bytes
// that arrived, and fails cleanly when the server closes.
// (The parser's own unit tests, tests/unit/parser_test.cpp, prove the same
// on the parser alone; these prove it for a Client reading a socket.)
#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <memory>
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

constexpr std::size_t one_mib = std::size_t{1} << 20;

DialOptions unlimited() {
  DialOptions o;
  o.read_timeout = 5s;
  o.limits.max_bulk_length = std::numeric_limits<std::int64_t>::max();
  o.limits.max_elements = std::numeric_limits<std::int64_t>::max();
  o.limits.max_reply_bytes = std::numeric_limits<std::int64_t>::max();
  o.limits.max_reply_memory = std::numeric_limits<std::int64_t>::max();
  return o;
}

// Dial, run one command under an allocation probe; the reply's error and the
// largest allocation.
std::pair<std::error_code, std::size_t> probe_one(FakeServer& server, const DialOptions& o) {
  auto c = Client::dial("tcp", server.addr(), o);
  EXPECT_TRUE(c) << c.error().message();
  if (!c) return {};
  AllocationProbe probe;
  Resp r = (*c)->cmd("GET", "k");
  EXPECT_TRUE((*c)->is_closed());
  return {r.err(), probe.largest()};
}

TEST(HostileReplies, FourGiBBulkClaimIsRefusedWithDefaultLimits) {
  FakeServer server({fake::read_command(), fake::send("$4294967296\r\nabc"), fake::hang()});
  auto [err, largest] = probe_one(server, DialOptions{});
  EXPECT_EQ(err, errc::limit_exceeded);
  EXPECT_LT(largest, one_mib);
}

TEST(HostileReplies, FourGiBBulkClaimAllowedByTheLimitsAllocatesOnlyWhatArrives) {
  FakeServer server(
      {fake::read_command(), fake::send("$4294967296\r\n" + std::string(100'000, 'x')), fake::close()});
  auto [err, largest] = probe_one(server, unlimited());
  EXPECT_EQ(err, errc::connection_closed);
  EXPECT_LT(largest, one_mib);
}

TEST(HostileReplies, BillionElementArrayClaimIsRefusedWithDefaultLimits) {
  FakeServer server({fake::read_command(), fake::send("*1000000000\r\n:1\r\n"), fake::hang()});
  auto [err, largest] = probe_one(server, DialOptions{});
  EXPECT_EQ(err, errc::limit_exceeded);
  EXPECT_LT(largest, one_mib);
}

TEST(HostileReplies, BillionElementArrayClaimAllowedByTheLimitsAllocatesOnlyWhatArrives) {
  std::string body = "*1000000000\r\n";
  for (int i = 0; i < 1000; ++i) body += ":1\r\n";
  FakeServer server({fake::read_command(), fake::send(body), fake::close()});
  auto [err, largest] = probe_one(server, unlimited());
  EXPECT_EQ(err, errc::connection_closed);
  EXPECT_LT(largest, one_mib);
}

TEST(HostileReplies, MillionLevelsOfNestingAreRefusedWithoutAllocationOrRecursion) {
  std::string body;
  body.reserve(4'000'004);
  for (int i = 0; i < 1'000'000; ++i) body += "*1\r\n";
  body += ":1\r\n";
  // The client stops reading after the limit; the rest of the send may fail.
  FakeServer server({fake::read_command(), fake::send(std::move(body)), fake::hang()});
  auto [err, largest] = probe_one(server, DialOptions{});
  EXPECT_EQ(err, errc::limit_exceeded);
  EXPECT_LT(largest, one_mib);
}

// Regression: with max_depth raised to 2,000,000 this reply parsed, and its
// destruction recursed 10^6 levels deep and overflowed the stack (SIGSEGV).
TEST(HostileReplies, MillionLevelsOfNestingWithTheDepthLimitRaisedStopAtTheCeiling) {
  std::string body;
  body.reserve(4'000'004);
  for (int i = 0; i < 1'000'000; ++i) body += "*1\r\n";
  body += ":1\r\n";
  FakeServer server({fake::read_command(), fake::send(std::move(body)), fake::hang()});
  DialOptions o;
  o.limits.max_depth = 2'000'000;
  auto [err, largest] = probe_one(server, o);
  EXPECT_EQ(err, errc::limit_exceeded);
  EXPECT_LT(largest, one_mib);
}

TEST(HostileReplies, ClaimsInsideAPipelineFailTheRestOfThePipeline) {
  FakeServer server({fake::read_command(), fake::read_command(), fake::read_command(),
                     fake::send("+OK\r\n$4294967296\r\n"), fake::hang()});
  auto c = Client::dial("tcp", server.addr());
  ASSERT_TRUE(c);
  for (int i = 0; i < 3; ++i) (*c)->pipe_append("GET", "k");
  AllocationProbe probe;
  EXPECT_EQ((*c)->pipe_resp().str().value_or(""), "OK");
  EXPECT_EQ((*c)->pipe_resp().err(), errc::limit_exceeded);
  EXPECT_EQ((*c)->pipe_resp().err(), errc::limit_exceeded);
  EXPECT_EQ((*c)->pipe_pending(), 0u);
  EXPECT_LT(probe.largest(), one_mib);
}

}  // namespace
}  // namespace respool
