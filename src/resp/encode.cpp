// Out-of-line pieces of the command encoder (see respool/encode.hpp).
#include "respool/encode.hpp"

#include <cmath>

namespace respool {
namespace encode_detail {

void append_header(std::string& out, char type, std::size_t n) {
  char buf[24];
  buf[0] = type;
  auto [end, ec] = std::to_chars(buf + 1, buf + sizeof buf - 2, n);
  (void)ec;  // 20 digits always fit
  *end++ = '\r';
  *end++ = '\n';
  out.append(buf, static_cast<std::size_t>(end - buf));
}

void append_bulk(std::string& out, std::string_view s) {
  append_header(out, '$', s.size());
  out.append(s);
  out.append("\r\n", 2);
}

void append_integer(std::string& out, long long v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  append_bulk(out, std::string_view(buf, static_cast<std::size_t>(end - buf)));
}

void append_unsigned(std::string& out, unsigned long long v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  append_bulk(out, std::string_view(buf, static_cast<std::size_t>(end - buf)));
}

void append_double(std::string& out, double v) {
  // Redis parses "inf", "-inf" and "+inf" (INCRBYFLOAT, ZADD); nan it rejects
  // with its own error, which is the clearest place to report it.
  if (std::isinf(v)) {
    append_bulk(out, v > 0 ? "inf" : "-inf");
    return;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
  (void)ec;
  append_bulk(out, std::string_view(buf, static_cast<std::size_t>(end - buf)));
}

}  // namespace encode_detail

bool encode_argv(std::string& out, std::span<const std::string_view> argv) {
  if (argv.empty()) return false;
  encode_detail::append_header(out, '*', argv.size());
  for (auto a : argv) encode_detail::append_bulk(out, a);
  return true;
}

}  // namespace respool
