// The number grammar of the RESP wire format (see wire_numbers.hpp).
#include "resp/wire_numbers.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

namespace respool::detail {

// A canonical decimal int64: "0", or an optional '-' then a non-zero digit
// and more digits; no overflow.
bool parse_int64(const char* p, std::size_t n, std::int64_t& out) noexcept {
  if (n == 0) return false;
  const bool neg = p[0] == '-';
  std::size_t i = neg ? 1 : 0;
  if (i == n) return false;
  if (p[i] == '0') {
    if (neg || n != 1) return false;
    out = 0;
    return true;
  }
  const std::uint64_t limit = neg ? std::uint64_t{1} << 63 : (std::uint64_t{1} << 63) - 1;
  std::uint64_t acc = 0;
  for (; i < n; ++i) {
    const auto d = static_cast<unsigned>(static_cast<unsigned char>(p[i]) - '0');
    if (d > 9) return false;
    if (acc > (limit - d) / 10) return false;
    acc = acc * 10 + d;
  }
  out = neg ? static_cast<std::int64_t>(0 - acc) : static_cast<std::int64_t>(acc);
  return true;
}

bool all_digits(std::string_view s) noexcept {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool parse_double(std::string_view s, double& out) noexcept {
  if (s == "inf" || s == "+inf") {
    out = std::numeric_limits<double>::infinity();
    return true;
  }
  if (s == "-inf") {
    out = -std::numeric_limits<double>::infinity();
    return true;
  }
  if (s == "nan" || s == "-nan") {
    out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  // [+-]digits[.digits][(e|E)[+-]digits]
  std::string_view rest = s;
  if (!rest.empty() && (rest.front() == '+' || rest.front() == '-')) rest.remove_prefix(1);
  auto digits = [&rest] {
    std::size_t k = 0;
    while (k < rest.size() && rest[k] >= '0' && rest[k] <= '9') ++k;
    rest.remove_prefix(k);
    return k;
  };
  if (digits() == 0) return false;
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    if (digits() == 0) return false;
  }
  if (!rest.empty() && (rest.front() == 'e' || rest.front() == 'E')) {
    rest.remove_prefix(1);
    if (!rest.empty() && (rest.front() == '+' || rest.front() == '-')) rest.remove_prefix(1);
    if (digits() == 0) return false;
  }
  if (!rest.empty()) return false;
  if (s.front() == '+') s.remove_prefix(1);  // from_chars takes no '+'
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out, std::chars_format::general);
  // Out of range (1e999): the grammar is right, the value is +-inf or 0.
  if (ec == std::errc::result_out_of_range) {
    const bool neg = s.front() == '-';
    const auto e = s.find_first_of("eE");
    const bool tiny = e != std::string_view::npos && e + 1 < s.size() && s[e + 1] == '-';
    out = tiny ? (neg ? -0.0 : 0.0)
               : (neg ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity());
    return true;
  }
  return ec == std::errc{} && ptr == s.data() + s.size();
}

}  // namespace respool::detail
