// The number grammar of the RESP wire format, shared by the parser's parts.
// Pure functions of their input: no allocation, no state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace respool::detail {

// A canonical decimal int64: "0", or an optional '-' then a non-zero digit
// and more digits; no '+', no "-0", no overflow.
bool parse_int64(const char* p, std::size_t n, std::int64_t& out) noexcept;

// One or more ASCII digits.
bool all_digits(std::string_view s) noexcept;

// A RESP3 double: [+-]digits[.digits][(e|E)[+-]digits], "inf", "+inf",
// "-inf", "nan", "-nan". Out of range values become +-inf or +-0.
bool parse_double(std::string_view s, double& out) noexcept;

}  // namespace respool::detail
