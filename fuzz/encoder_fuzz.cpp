// libFuzzer target for the command encoder (respool/encode.hpp).
//
// The input is cut into arguments: each starts with a tag byte choosing its
// kind (text, bytes, int64, uint64, double, bool, a vector of strings, a
// map, a pair), then its content. The command is encoded twice, with
// encode_command (typed arguments) and encode_argv (the expected text of
// each argument), and both outputs are parsed back with respool::Parser:
// one array of bulk strings, equal to the expected arguments, nothing left.
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "respool/encode.hpp"
#include "respool/parser.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

class Reader {
 public:
  Reader(const std::uint8_t* d, std::size_t n) : d_(d), n_(n) {}
  bool empty() const { return at_ >= n_; }
  std::uint8_t byte() { return at_ < n_ ? d_[at_++] : 0; }
  std::string_view bytes(std::size_t n) {
    n = std::min(n, n_ - at_);
    std::string_view s(reinterpret_cast<const char*>(d_ + at_), n);
    at_ += n;
    return s;
  }
  template <class T>
  T pod() {
    T v{};
    auto s = bytes(sizeof v);
    std::memcpy(&v, s.data(), s.size());
    return v;
  }

 private:
  const std::uint8_t* d_;
  std::size_t n_;
  std::size_t at_ = 0;
};

std::string text_of(std::int64_t v) { return std::to_string(v); }
std::string text_of(std::uint64_t v) { return std::to_string(v); }

// What the encoder must have written for a double: the shortest text that
// reads back as the same value ("inf"/"-inf"; NaN: any "nan" text).
void check_double(std::string_view got, double want) {
  if (std::isnan(want)) {
    check(got == "nan" || got == "-nan");
    return;
  }
  if (std::isinf(want)) {
    check(got == (want > 0 ? "inf" : "-inf"));
    return;
  }
  double back = 0;
  auto [p, ec] = std::from_chars(got.data(), got.data() + got.size(), back);
  check(ec == std::errc{} && p == got.data() + got.size());
  check(std::memcmp(&back, &want, sizeof back) == 0);
}

std::vector<std::string> decode(const std::string& wire) {
  respool::Parser p(respool::ParserLimits{.max_depth = 1});
  p.feed(wire);
  auto r = p.next();
  check(r.has_value() && r->has_value());
  check(p.buffered() == 0);
  const respool::Resp& a = **r;
  check(a.type() == respool::Resp::Type::array);
  std::vector<std::string> out;
  for (const auto& e : a.elements()) {
    check(e.type() == respool::Resp::Type::bulk_string);
    out.push_back(e.text());
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Reader in(data, size);
  const std::string name(in.bytes(in.byte() % 16));
  std::string typed;
  std::vector<std::string> expected{name};
  std::vector<double> doubles;  // expected values of the double arguments, in order
  std::vector<std::size_t> double_at;

  // Arguments go one by one into `typed`: each encode_command call writes a
  // complete array, so the header of the whole command is rebuilt at the end.
  std::string body;
  std::size_t count = 1;
  auto add = [&](const auto& arg) {
    std::string one;
    respool::encode_command(one, "", arg);
    // Drop the "*N\r\n$0\r\n\r\n" prefix of the one-argument command.
    const std::size_t header_end = one.find("\r\n") + 2;
    const std::size_t n = std::strtoull(one.c_str() + 1, nullptr, 10) - 1;
    body.append(one, header_end + 6, std::string::npos);
    count += n;
  };

  for (int i = 0; i < 64 && !in.empty(); ++i) {
    switch (in.byte() % 9) {
      case 0: {
        std::string_view s = in.bytes(in.byte());
        add(s);
        expected.emplace_back(s);
        break;
      }
      case 1: {
        std::string_view s = in.bytes(in.byte());
        std::vector<std::byte> b(s.size());
        if (!s.empty()) std::memcpy(b.data(), s.data(), s.size());  // an empty vector's data() may be null
        add(b);
        expected.emplace_back(s);
        break;
      }
      case 2: {
        const auto v = in.pod<std::int64_t>();
        add(v);
        expected.push_back(text_of(v));
        break;
      }
      case 3: {
        const auto v = in.pod<std::uint64_t>();
        add(v);
        expected.push_back(text_of(v));
        break;
      }
      case 4: {
        const auto v = in.pod<double>();
        add(v);
        double_at.push_back(expected.size());
        doubles.push_back(v);
        expected.emplace_back();  // checked separately
        break;
      }
      case 5: {
        const bool v = in.byte() & 1;
        add(v);
        expected.emplace_back(v ? "1" : "0");
        break;
      }
      case 6: {
        std::vector<std::string> v(in.byte() % 8);
        for (auto& s : v) s = std::string(in.bytes(in.byte() % 32));
        add(v);
        expected.insert(expected.end(), v.begin(), v.end());
        break;
      }
      case 7: {
        std::map<std::string, std::int64_t> m;
        for (int k = in.byte() % 6; k > 0; --k)
          m[std::string(in.bytes(in.byte() % 16))] = in.pod<std::int32_t>();
        add(m);
        for (const auto& [k, v] : m) {
          expected.push_back(k);
          expected.push_back(text_of(v));
        }
        break;
      }
      default: {
        const std::pair<std::string, std::vector<std::int64_t>> p{
            std::string(in.bytes(in.byte() % 16)), {in.pod<std::int16_t>(), in.pod<std::int16_t>()}};
        add(p);
        expected.push_back(p.first);
        for (auto v : p.second) expected.push_back(text_of(v));
        break;
      }
    }
  }

  // encode_command's own output for the name, then the arguments.
  std::string whole;
  respool::encode_detail::append_header(whole, '*', count);
  respool::encode_detail::append_bulk(whole, name);
  whole += body;
  std::vector<std::string> got = decode(whole);
  check(got.size() == expected.size());
  for (std::size_t i = 0, d = 0; i < got.size(); ++i) {
    if (d < double_at.size() && double_at[d] == i) {
      check_double(got[i], doubles[d]);
      expected[i] = got[i];
      ++d;
      continue;
    }
    check(got[i] == expected[i]);
  }

  // encode_argv of the expected texts gives the same bytes.
  std::vector<std::string_view> argv(expected.begin(), expected.end());
  std::string by_argv;
  check(respool::encode_argv(by_argv, argv));
  check(by_argv == whole);
  // ... and so does encode_command with the texts as one flattened range.
  std::string by_range;
  respool::encode_command(by_range, name, std::vector<std::string>(expected.begin() + 1, expected.end()));
  check(by_range == whole);
  std::string none;
  check(!respool::encode_argv(none, {}) && none.empty());
  return 0;
}
