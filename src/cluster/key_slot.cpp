// key_slot(): the Redis Cluster hash slot of a key (cluster spec, "Keys
// distribution model"): CRC16-XMODEM (poly 0x1021, init 0, no reflection)
// of the key or of its hash tag, mod 16384.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "respool/cluster.hpp"

namespace respool {
namespace {

constexpr std::array<std::uint16_t, 256> make_crc16_table() noexcept {
  std::array<std::uint16_t, 256> t{};
  for (unsigned i = 0; i < 256; ++i) {
    unsigned crc = i << 8;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1;
    t[i] = static_cast<std::uint16_t>(crc);
  }
  return t;
}

constexpr std::array<std::uint16_t, 256> crc16_table = make_crc16_table();

constexpr std::uint16_t crc16(std::string_view s) noexcept {
  unsigned crc = 0;
  for (char c : s) {
    const unsigned byte = static_cast<unsigned char>(c);
    crc = ((crc << 8) ^ crc16_table[((crc >> 8) ^ byte) & 0xff]) & 0xffff;
  }
  return static_cast<std::uint16_t>(crc);
}

static_assert(crc16("123456789") == 0x31C3, "CRC16-XMODEM check value");

}  // namespace

std::uint16_t key_slot(std::string_view key) noexcept {
  // The hash tag: between the first '{' and the first '}' after it, when
  // that part is not empty; otherwise the whole key.
  if (const auto open = key.find('{'); open != std::string_view::npos) {
    if (const auto close = key.find('}', open + 1); close != std::string_view::npos && close > open + 1) {
      key = key.substr(open + 1, close - open - 1);
    }
  }
  return static_cast<std::uint16_t>(crc16(key) & 0x3FFF);
}

}  // namespace respool
