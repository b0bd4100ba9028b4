// Command names and keywords as respool compares them (private).
#pragma once

#include <cstddef>
#include <string_view>

namespace respool::detail {

// `a` equals `b` ignoring ASCII case ("watch" == "WATCH"). Bytes outside
// 'A'..'Z' / 'a'..'z' compare as they are. No allocation; usable in
// constant expressions.
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

}  // namespace respool::detail
