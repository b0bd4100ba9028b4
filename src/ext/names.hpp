// Command names as the helpers compare them.
#pragma once

#include <cstddef>
#include <string_view>

namespace respool::ext {

// `name` equals `upper` in any case (ASCII letters only).
inline bool iequals(std::string_view name, std::string_view upper) noexcept {
  if (name.size() != upper.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != upper[i]) return false;
  }
  return true;
}

}  // namespace respool::ext
