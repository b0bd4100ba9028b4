// libFuzzer target for respool::Parser.
//
// Input layout: 4 bytes choose the limits (max_reply_memory from the high
// bits of the 4th, 512 B to 16 MiB) and the seed of the split points, the
// rest is the byte stream. Checks:
//   - no crash, leak, overflow or UB (ASan + UBSan), whatever the bytes;
//   - the outcome does not depend on how the input is cut: fed at once, and
//     fed in data-chosen pieces through feed() and prepare()/commit(), the
//     replies and the final error are the same;
//   - an error is sticky, and leaves no bytes buffered;
//   - every reply renders (to_string) and its accessors return;
//   - every reply, serialised again as RESP3, parses back to an equal Resp.
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "respool/parser.hpp"

namespace {

using respool::Parser;
using respool::ParserLimits;
using respool::Resp;

void check(bool ok) {
  if (!ok) std::abort();
}

struct Outcome {
  std::vector<Resp> replies;
  std::error_code error;
};

void drain(Parser& p, Outcome& o) {
  while (!o.error) {
    auto r = p.next();
    if (!r) {
      o.error = r.error();
      check(o.error == respool::errc::protocol_error || o.error == respool::errc::limit_exceeded);
      check(p.next().error() == o.error);  // sticky
      check(p.buffered() == 0);
      return;
    }
    if (!*r) return;
    o.replies.push_back(std::move(**r));
  }
}

// RESP3 serialisation of a parsed reply (binary-safe forms throughout).
void serialise(std::string& out, const Resp& r) {
  if (const Resp* a = r.attributes()) {
    out += "|" + std::to_string(a->elements().size() / 2) + "\r\n";
    for (const Resp& e : a->elements()) serialise(out, e);
  }
  auto blob = [&out](char t, std::string_view s) {
    out += t;
    out += std::to_string(s.size());
    out += "\r\n";
    out += s;
    out += "\r\n";
  };
  switch (r.type()) {
    case Resp::Type::simple_string:
    case Resp::Type::bulk_string: blob('$', r.text()); break;
    case Resp::Type::verbatim_string: blob('=', r.text()); break;
    case Resp::Type::server_error: blob('!', r.text()); break;
    case Resp::Type::integer: out += ":" + *r.str() + "\r\n"; break;
    case Resp::Type::double_number: out += "," + *r.str() + "\r\n"; break;
    case Resp::Type::boolean: out += *r.boolean() ? "#t\r\n" : "#f\r\n"; break;
    case Resp::Type::big_number: out += "(" + r.text() + "\r\n"; break;
    case Resp::Type::nil: out += "_\r\n"; break;
    case Resp::Type::io_error: std::abort();  // the parser never makes one
    case Resp::Type::array:
    case Resp::Type::set:
    case Resp::Type::push:
    case Resp::Type::map: {
      const char t = r.type() == Resp::Type::array  ? '*'
                     : r.type() == Resp::Type::set  ? '~'
                     : r.type() == Resp::Type::push ? '>'
                                                    : '%';
      const std::size_t n = r.elements().size();
      if (t == '%') check(n % 2 == 0);
      out += t + std::to_string(t == '%' ? n / 2 : n) + "\r\n";
      for (const Resp& e : r.elements()) serialise(out, e);
      break;
    }
  }
}

// What a simple string or error turned into: our serialiser writes them as
// blobs, so compare after mapping the type back.
Resp normalise(const Resp& r) {
  Resp out;
  switch (r.type()) {
    case Resp::Type::simple_string: out = Resp::bulk_string(r.text()); break;
    default: out = r; break;
  }
  if (r.is_aggregate()) {
    out.elements().clear();
    for (const Resp& e : r.elements()) out.elements().push_back(normalise(e));
  }
  if (const Resp* a = r.attributes()) out.set_attributes(normalise(*a));
  return out;
}

void exercise(const Resp& r) {
  (void)r.to_string();
  (void)r.str();
  (void)r.integer();
  (void)r.number();
  (void)r.boolean();
  (void)r.array();
  (void)r.list();
  (void)r.map();
  (void)r.format();
  (void)r.err();
  Resp copy = r;
  check(copy == r);
  check(!r.is_io_error());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  ParserLimits limits;
  limits.max_bulk_length = std::int64_t{1} << (data[0] % 20);
  limits.max_depth = data[1] % 12;
  limits.max_elements = std::int64_t{1} << (data[2] % 14);
  limits.max_reply_bytes = std::int64_t{1} << (8 + data[3] % 16);
  limits.max_reply_memory = std::int64_t{1} << (9 + data[3] / 16);  // 512 B to 16 MiB
  std::uint32_t seed = static_cast<std::uint32_t>(data[0]) << 24 | static_cast<std::uint32_t>(data[1]) << 16 |
                       static_cast<std::uint32_t>(data[2]) << 8 | data[3];
  const std::string_view in(reinterpret_cast<const char*>(data) + 4, size - 4);

  // Fed at once.
  Outcome whole;
  {
    Parser p(limits);
    p.feed(in);
    drain(p, whole);
  }

  // Fed in pieces chosen by the seed (xorshift), through both input paths.
  Outcome pieces;
  {
    Parser p(limits);
    std::size_t at = 0;
    bool use_prepare = false;
    while (at < in.size() && !pieces.error) {
      seed ^= seed << 13;
      seed ^= seed >> 17;
      seed ^= seed << 5;
      const std::size_t n = std::min<std::size_t>(in.size() - at, 1 + seed % ((seed >> 8) % 4 == 0 ? 1 : 64));
      if (use_prepare) {
        auto span = p.prepare(n);
        check(span.size() >= n);
        std::memcpy(span.data(), in.data() + at, n);
        p.commit(n);
      } else {
        p.feed(in.substr(at, n));
      }
      use_prepare = !use_prepare;
      at += n;
      drain(p, pieces);
    }
    if (!pieces.error) check(p.buffered() <= in.size());
  }

  check(whole.error == pieces.error);
  check(whole.replies == pieces.replies);

  // Each reply renders, and parses back from its serialisation.
  for (const Resp& r : whole.replies) {
    exercise(r);
    std::string wire;
    serialise(wire, r);
    Parser back;  // default limits: far above the fuzzer's
    back.feed(wire);
    auto again = back.next();
    check(again.has_value() && again->has_value());
    check(back.buffered() == 0);
    check(normalise(**again) == normalise(r));
  }
  return 0;
}
