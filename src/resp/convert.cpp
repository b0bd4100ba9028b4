// respool::Resp::as<T>(): the non-template parts (scalars, shapes, and the
// words of the reasons).
#include "respool/convert.hpp"

#include <charconv>
#include <cstdio>
#include <string>
#include <utility>

#include "resp/quote.hpp"

namespace respool {
namespace {

// Text joined with append: GCC 12 at -O3 reports a false -Wrestrict on
// `"literal" + std::string`, and release builds make warnings errors.
template <class... Parts>
std::string cat(const Parts&... parts) {
  std::string out;
  (out.append(std::string_view(parts)), ...);
  return out;
}

using Type = Resp::Type;

bool is_text_type(Type t) noexcept {
  return t == Type::simple_string || t == Type::bulk_string || t == Type::verbatim_string ||
         t == Type::big_number;
}

// The text of a string type or a big number (verbatim: without "fmt:").
std::string_view text_of(const Resp& r) {
  if (r.type() == Type::big_number) return r.text();
  auto b = r.bytes();
  return b ? *b : std::string_view();
}

std::string decimal(std::int64_t v) { return std::to_string(v); }
std::string decimal(std::uint64_t v) { return std::to_string(v); }

std::string shortest(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;  // the shortest form of a double fits
  return std::string(buf, end);
}

// At most 40 bytes of a number's text as the reply wrote it.
std::string clipped(std::string_view s) {
  constexpr std::size_t max = 40;
  return s.size() <= max ? std::string(s) : cat(s.substr(0, max), "...");
}

// A key for a path: quoted and escaped like Resp::to_string, at most 64 bytes.
std::string quoted(std::string_view s) {
  constexpr std::size_t max = 64;
  std::string out;
  detail::append_quoted(out, s.substr(0, max));
  if (s.size() > max) out += "...";
  return out;
}

// "array of 3 elements", "bulk string", ...
std::string described(const Resp& r) {
  std::string out(type_name(r.type()));
  if (r.is_aggregate()) {
    const std::size_t n = r.elements().size();
    out += cat(" of ", std::to_string(n), n == 1 ? " element" : " elements");
  }
  return out;
}

std::error_code out_of_range(std::string_view number, std::string_view name, std::string_view range,
                             convert_detail::Why& why) {
  std::string reason;
  if (why.wanted()) {
    reason = "integer ";
    reason.append(number).append(" out of range for ").append(name).append(" ").append(range);
  }
  return why.fail(errc::out_of_range, std::move(reason));
}

std::error_code not_a_number(const Resp& r, std::string_view expected, convert_detail::Why& why) {
  std::string reason;
  if (why.wanted()) {
    reason = "expected ";
    reason.append(expected).append(", got ").append(type_name(r.type()));
    reason += expected == "integer" ? " that is not an integer" : " that is not a number";
  }
  return why.fail(errc::not_a_number, std::move(reason));
}

}  // namespace

std::string_view type_name(Resp::Type t) noexcept {
  switch (t) {
    case Type::simple_string: return "simple string";
    case Type::bulk_string: return "bulk string";
    case Type::integer: return "integer";
    case Type::array: return "array";
    case Type::nil: return "nil";
    case Type::server_error: return "server error";
    case Type::io_error: return "io error";
    case Type::map: return "map";
    case Type::set: return "set";
    case Type::double_number: return "double";
    case Type::boolean: return "boolean";
    case Type::big_number: return "big number";
    case Type::verbatim_string: return "verbatim string";
    case Type::push: return "push";
  }
  return "unknown";
}

namespace convert_detail {

// --- where and why ----------------------------------------------------------

std::error_code Why::fail(std::error_code e, std::string reason) {
  if (wanted_) {
    reason_ = std::move(reason);
    path_.clear();
  }
  return e;
}

std::error_code Why::mismatch(const Resp& got, std::string_view expected) {
  const std::error_code e = got.is_nil() ? errc::nil_reply : errc::wrong_type;
  if (!wanted_) return e;
  std::string reason = "expected ";
  reason.append(expected).append(", got ").append(described(got));
  return fail(e, std::move(reason));
}

void Why::within(std::string segment) {
  if (!wanted_) return;
  if (!path_.empty()) segment += " / ";
  path_.insert(0, segment);
}

void Why::element(std::size_t i) {
  if (wanted_) within(cat("element ", std::to_string(i)));
}

void Why::key_of_entry(std::size_t i) {
  if (wanted_) within(cat("key of entry ", std::to_string(i)));
}

void Why::value_of(const Resp& key, std::size_t entry) {
  if (!wanted_) return;
  if (key.type() == Type::integer) {
    within(cat("value of key ", decimal(*key.integer())));
  } else if (is_text_type(key.type())) {
    within(cat("value of key ", quoted(text_of(key))));
  } else {
    within(cat("value of entry ", std::to_string(entry)));
  }
}

std::string Why::text() && {
  if (path_.empty()) return std::move(reason_);
  return cat(path_, ": ", reason_);
}

// --- scalars ----------------------------------------------------------------

std::error_code reply_error(const Resp& r, Why& why) {
  std::string reason;
  if (why.wanted()) reason = cat(r.is_server_error() ? "server error: " : "io error: ", r.error_message());
  return why.fail(r.err(), std::move(reason));
}

Result<std::string> string_of(const Resp& r, Why& why) {
  if (!is_text_type(r.type())) return why.mismatch(r, "string");
  return std::string(text_of(r));
}

Result<std::string> string_of(Resp&& r, Why& why) {
  if (!is_text_type(r.type())) return why.mismatch(r, "string");
  return std::move(r).str();  // moves the buffer out (verbatim: after dropping "fmt:" in place)
}

Result<std::int64_t> signed_of(const Resp& r, std::int64_t lo, std::int64_t hi, std::string_view name,
                               Why& why) {
  std::int64_t v = 0;
  if (r.type() == Type::integer) {
    v = *r.integer();
  } else if (is_text_type(r.type())) {
    const std::string_view s = text_of(r);
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc::result_out_of_range && ptr == s.data() + s.size()) {
      return out_of_range(clipped(s), name, cat("[", decimal(lo), ", ", decimal(hi), "]"), why);
    }
    if (s.empty() || ec != std::errc{} || ptr != s.data() + s.size()) return not_a_number(r, "integer", why);
  } else {
    return why.mismatch(r, "integer");
  }
  if (v < lo || v > hi)
    return out_of_range(decimal(v), name, cat("[", decimal(lo), ", ", decimal(hi), "]"), why);
  return v;
}

Result<std::uint64_t> unsigned_of(const Resp& r, std::uint64_t hi, std::string_view name, Why& why) {
  const std::string range = cat("[0, ", decimal(hi), "]");
  std::uint64_t v = 0;
  if (r.type() == Type::integer) {
    const std::int64_t i = *r.integer();
    if (i < 0) return out_of_range(decimal(i), name, range, why);
    v = static_cast<std::uint64_t>(i);
  } else if (is_text_type(r.type())) {
    const std::string_view s = text_of(r);
    const char* last = s.data() + s.size();
    if (!s.empty() && s.front() == '-') {
      // A negative integer is out of range; "-0" is 0.
      std::int64_t i = 0;
      auto [ptr, ec] = std::from_chars(s.data(), last, i);
      if (ptr != last || (ec != std::errc{} && ec != std::errc::result_out_of_range)) {
        return not_a_number(r, "integer", why);
      }
      if (ec != std::errc{} || i < 0) return out_of_range(clipped(s), name, range, why);
    } else {
      auto [ptr, ec] = std::from_chars(s.data(), last, v);
      if (ec == std::errc::result_out_of_range && ptr == last)
        return out_of_range(clipped(s), name, range, why);
      if (s.empty() || ec != std::errc{} || ptr != last) return not_a_number(r, "integer", why);
    }
  } else {
    return why.mismatch(r, "integer");
  }
  if (v > hi) return out_of_range(decimal(v), name, range, why);
  return v;
}

Result<double> double_of(const Resp& r, std::string_view name, Why& why) {
  const Type t = r.type();
  if (t != Type::double_number && t != Type::integer && !is_text_type(t)) return why.mismatch(r, name);
  auto v = r.number();
  if (!v) return not_a_number(r, name, why);
  return *v;
}

std::error_code float_out_of_range(double v, Why& why) {
  std::string reason;
  if (why.wanted()) reason = cat("double ", shortest(v), " out of range for float");
  return why.fail(errc::out_of_range, std::move(reason));
}

Result<bool> bool_of(const Resp& r, Why& why) {
  if (r.type() == Type::boolean) return *r.boolean();
  if (r.type() == Type::integer) {
    const std::int64_t v = *r.integer();
    if (v == 0 || v == 1) return v == 1;
    std::string reason;
    if (why.wanted()) reason = cat("integer ", decimal(v), " is not a boolean (0 or 1)");
    return why.fail(errc::out_of_range, std::move(reason));
  }
  return why.mismatch(r, "boolean");
}

// --- shapes -----------------------------------------------------------------

std::error_code check_size(const Resp& r, std::size_t n, Why& why) {
  if (r.is_aggregate() && r.elements().size() == n) return {};
  return why.mismatch(r, cat("array of ", std::to_string(n), n == 1 ? " element" : " elements"));
}

Result<PairShape> pair_shape(const Resp& r, Why& why) {
  if (!r.is_aggregate()) return why.mismatch(r, "map or array");
  const auto& els = r.elements();
  if (r.type() != Type::map && !els.empty() && els.front().is_aggregate()) return PairShape{true, els.size()};
  if (els.size() % 2 != 0) {
    std::string reason;
    if (why.wanted()) {
      reason = cat("expected key/value pairs, got ", described(r), " (an odd number)");
    }
    return why.fail(errc::odd_map_length, std::move(reason));
  }
  return PairShape{false, els.size() / 2};
}

std::error_code check_entry(const Resp& entry, std::size_t i, Why& why) {
  if (entry.is_aggregate() && entry.elements().size() == 2) return {};
  const std::error_code e = entry.is_server_error() || entry.is_io_error()
                                ? reply_error(entry, why)
                                : why.mismatch(entry, "array of 2 elements (key, value)");
  why.element(i);
  return e;
}

}  // namespace convert_detail
}  // namespace respool
