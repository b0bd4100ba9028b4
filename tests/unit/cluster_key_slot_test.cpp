// key_slot(): CRC16-XMODEM mod 16384 with hash tags, against the vectors of
// the Redis cluster spec.
#include <gtest/gtest.h>

#include <string>

#include "respool/cluster.hpp"

namespace respool {
namespace {

TEST(ClusterKeySlot, CrcCheckValueModSlots) {
  // CRC16-XMODEM("123456789") is 0x31C3, below 16384.
  EXPECT_EQ(key_slot("123456789"), 0x31C3 % 16384);
  EXPECT_EQ(key_slot("123456789"), 12739);
}

TEST(ClusterKeySlot, KnownKeys) {
  EXPECT_EQ(key_slot("foo"), 12182);
  EXPECT_EQ(key_slot("bar"), 5061);
  EXPECT_EQ(key_slot(""), 0);
}

TEST(ClusterKeySlot, AlwaysBelowSlotCount) {
  std::string key;
  for (int i = 0; i < 2000; ++i) {
    key += static_cast<char>(i * 7);
    EXPECT_LT(key_slot(key), 16384);
  }
}

TEST(ClusterKeySlot, HashTagPicksTheSlot) {
  EXPECT_EQ(key_slot("{user1000}.following"), key_slot("{user1000}.followers"));
  EXPECT_EQ(key_slot("{user1000}.following"), key_slot("user1000"));
  EXPECT_EQ(key_slot("a{foo}b"), key_slot("foo"));
}

TEST(ClusterKeySlot, EmptyTagHashesTheWholeKey) {
  EXPECT_EQ(key_slot("foo{}{bar}"), 8363);  // CRC16 of all ten bytes, mod 16384
  EXPECT_NE(key_slot("foo{}{bar}"), key_slot("bar"));
}

TEST(ClusterKeySlot, TagIsFirstOpenToFirstCloseAfterIt) {
  EXPECT_EQ(key_slot("foo{{bar}}zap"), key_slot("{bar"));
  EXPECT_EQ(key_slot("{bar"), 4015);
  EXPECT_EQ(key_slot("foo{bar}{zap}"), key_slot("bar"));
  // No '}' after the '{': the whole key.
  EXPECT_EQ(key_slot("foo{bar"), 15278);
  // A '}' before the '{' doesn't close it.
  EXPECT_EQ(key_slot("}x{bar}"), key_slot("bar"));
}

TEST(ClusterKeySlot, BinaryKeys) {
  const std::string k("a\0b", 3);
  EXPECT_EQ(key_slot(k), key_slot(std::string_view("a\0b", 3)));
  EXPECT_NE(key_slot(k), key_slot("a"));
}

}  // namespace
}  // namespace respool
