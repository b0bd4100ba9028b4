// Values are binary-safe: NUL bytes, every byte value, and large values
// survive a round trip unchanged.
#include <gtest/gtest.h>

#include <cstddef>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "client_helpers.hpp"
#include "redis_server.hpp"
#include "respool/client.hpp"

namespace respool {
namespace {

using test::dial_shared;

TEST(ClientBinary, NulBytesInKeyAndValue) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  const std::string key("k\0ey", 4);
  const std::string value("\0a\0\r\n\0", 6);
  ASSERT_EQ(c->cmd("SET", key, value).str().value(), "OK");
  EXPECT_EQ(c->cmd("GET", key).str().value(), value);
  EXPECT_TRUE(c->cmd("GET", "k").is_nil());
  EXPECT_EQ(c->cmd("STRLEN", key).integer().value(), 6);
}

TEST(ClientBinary, EveryByteValueAsStdByteBuffer) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  std::vector<std::byte> value;
  for (int i = 0; i < 256; ++i) value.push_back(static_cast<std::byte>(i));
  ASSERT_EQ(c->cmd("SET", "bytes", value).str().value(), "OK");
  Resp r = c->cmd("GET", "bytes");
  auto b = r.bytes().value();
  ASSERT_EQ(b.size(), 256u);
  for (std::size_t i = 0; i < 256; ++i) ASSERT_EQ(static_cast<unsigned char>(b[i]), i);
}

TEST(ClientBinary, OneMebibyteRandomValue) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  std::string value(1 << 20, '\0');
  std::mt19937 rng(42);
  for (char& ch : value) ch = static_cast<char>(rng());
  ASSERT_EQ(c->cmd("SET", "big", value).str().value(), "OK");
  Resp r = c->cmd("GET", "big");
  ASSERT_EQ(r.bytes().value().size(), value.size());
  EXPECT_TRUE(r.bytes().value() == value);
  EXPECT_EQ(c->cmd("STRLEN", "big").integer().value(), 1 << 20);
}

TEST(ClientBinary, ManyLargeValuesInOnePipeline) {
  auto c = dial_shared();
  ASSERT_TRUE(c);
  const std::string value(1 << 20, 'v');
  for (int i = 0; i < 8; ++i) c->pipe_append("SET", i, value);
  for (int i = 0; i < 8; ++i) c->pipe_append("GET", i);
  for (int i = 0; i < 8; ++i) ASSERT_EQ(c->pipe_resp().str().value(), "OK");
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(c->pipe_resp().str().value() == value);
}

}  // namespace
}  // namespace respool
