// Helpers for the Client's integration tests.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "redis_server.hpp"
#include "respool/client.hpp"

namespace respool::test {

// A new connection to the suite's shared server (redis_server.hpp); null,
// with a test failure recorded, when the dial fails.
inline std::unique_ptr<Client> dial_shared(const DialOptions& options = {}) {
  auto c = Client::dial("tcp", shared_server().addr(), options);
  EXPECT_TRUE(c) << c.error().message();
  return c ? std::move(*c) : nullptr;
}

}  // namespace respool::test
