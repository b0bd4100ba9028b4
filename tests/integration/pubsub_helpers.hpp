// Helpers for the Subscriber's integration tests.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

#include "client_helpers.hpp"
#include "redis_server.hpp"
#include "respool/respool.hpp"

namespace respool::test {

// The next message or notice of `sub`, skipping nothing; a test failure
// when none comes within `limit`.
inline std::optional<Message> next_or_fail(Subscriber& sub,
                                           std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  std::optional<Message> m = sub.next(limit);
  EXPECT_TRUE(m) << "nothing within " << limit.count() << " ms";
  return m;
}

}  // namespace respool::test
