// respool::Resp: construction, accessors, comparison and rendering.
#include "respool/resp.hpp"

#include <charconv>
#include <cmath>
#include <cstring>
#include <new>
#include <utility>

#include "resp/quote.hpp"

namespace respool {

namespace detail {

void append_quoted(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\r': out += "\\r"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20 || u >= 0x7f) {
          out += "\\x";
          out.push_back(hex[u >> 4]);
          out.push_back(hex[u & 0xf]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

}  // namespace detail

namespace {

using detail::append_quoted;

bool is_string_type(Resp::Type t) noexcept {
  return t == Resp::Type::simple_string || t == Resp::Type::bulk_string || t == Resp::Type::verbatim_string;
}

// The decimal text of an integer.
std::string integer_text(std::int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;  // 20 characters always fit
  return std::string(buf, end);
}

// The shortest text that reads back as the same double; "inf", "-inf", "nan"
// as Redis writes them.
std::string double_text(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;  // the shortest form of a double is at most 24 characters
  return std::string(buf, end);
}

// A whole string as a decimal int64: optional '-', digits, nothing else.
Result<std::int64_t> parse_integer(std::string_view s) {
  std::int64_t v = 0;
  const char* first = s.data();
  const char* last = s.data() + s.size();
  if (first == last) return errc::not_a_number;
  auto [ptr, ec] = std::from_chars(first, last, v);
  if (ec != std::errc{} || ptr != last) return errc::not_a_number;
  return v;
}

// A whole string as a double, as Redis writes them: decimal or exponent
// form, "inf", "+inf", "-inf", "nan" (any case).
Result<double> parse_double(std::string_view s) {
  if (s.empty()) return errc::not_a_number;
  if (s.front() == '+') {
    s.remove_prefix(1);
    if (s.empty() || s.front() == '-' || s.front() == '+') return errc::not_a_number;
  }
  double v = 0;
  const char* last = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), last, v, std::chars_format::general);
  if (ec != std::errc{} || ptr != last) return errc::not_a_number;
  return v;
}

void render(std::string& out, const Resp& r);

void render_elements(std::string& out, const Resp& r, const char* open, const char* close, bool pairs) {
  out += open;
  const auto& els = r.elements();
  for (std::size_t i = 0; i < els.size(); ++i) {
    if (i > 0) out += (pairs && i % 2 == 1) ? ": " : ", ";
    render(out, els[i]);
  }
  out += close;
}

void render(std::string& out, const Resp& r) {
  if (const Resp* a = r.attributes()) {
    out += "(attributes ";
    render(out, *a);
    out += ") ";
  }
  switch (r.type()) {
    case Resp::Type::simple_string:
    case Resp::Type::bulk_string: append_quoted(out, r.text()); break;
    case Resp::Type::verbatim_string:
      out += "(verbatim ";
      out += r.format();
      out += ") ";
      append_quoted(out, *r.bytes());
      break;
    case Resp::Type::integer:
    case Resp::Type::double_number: out += *r.str(); break;
    case Resp::Type::big_number:
      out += "(big number) ";
      out += r.text();
      break;
    case Resp::Type::boolean: out += *r.boolean() ? "true" : "false"; break;
    case Resp::Type::nil: out += "nil"; break;
    case Resp::Type::server_error:
      out += "(error) ";
      out += r.text();
      break;
    case Resp::Type::io_error:
      out += "(io error) ";
      out += r.error_message();
      break;
    case Resp::Type::array: render_elements(out, r, "[", "]", false); break;
    case Resp::Type::set: render_elements(out, r, "(set) [", "]", false); break;
    case Resp::Type::push: render_elements(out, r, "(push) [", "]", false); break;
    case Resp::Type::map: render_elements(out, r, "{", "}", true); break;
  }
}

}  // namespace

// --- construction ----------------------------------------------------------

Resp Resp::simple_string(std::string s) {
  Resp r;
  r.become(Type::simple_string);
  r.text_ = std::move(s);
  return r;
}

Resp Resp::bulk_string(std::string s) {
  Resp r;
  r.become(Type::bulk_string);
  r.text_ = std::move(s);
  return r;
}

Resp Resp::integer_value(std::int64_t v) {
  Resp r;
  r.become(Type::integer);
  r.scalar_.integer = v;
  return r;
}

Resp Resp::double_value(double v) {
  Resp r;
  r.become(Type::double_number);
  r.scalar_.number = v;
  return r;
}

Resp Resp::boolean_value(bool v) {
  Resp r;
  r.become(Type::boolean);
  r.scalar_.boolean = v;
  return r;
}

Resp Resp::big_number(std::string digits) {
  Resp r;
  r.become(Type::big_number);
  r.text_ = std::move(digits);
  return r;
}

Resp Resp::verbatim_string(std::string format, std::string text) {
  Resp r;
  r.become(Type::verbatim_string);
  format.push_back(':');
  if (text.capacity() >= format.size() + text.size()) {
    // Built in text's own buffer: a large payload is never held twice (the
    // parser counts on it, see max_reply_memory).
    text.insert(0, format);
    r.text_ = std::move(text);
    return r;
  }
  r.text_.reserve(format.size() + text.size());
  r.text_.append(format).append(text);
  return r;
}

Resp Resp::server_error(std::string message) {
  Resp r;
  r.become(Type::server_error);
  r.text_ = std::move(message);
  return r;
}

Resp Resp::io_error(std::error_code ec, Delivery delivery) {
  Resp r;
  r.become(Type::io_error);
  r.delivery_ = delivery;
  r.scalar_.ec = ec;
  return r;
}

Resp Resp::aggregate(Type t, std::vector<Resp> elements) {
  Resp r;
  r.become(t);
  if (holds(t) == Holds::elements) r.elements_ = std::move(elements);  // else not an aggregate: no elements
  return r;
}

void Resp::become(Type t) noexcept {
  type_ = t;
  switch (holds(t)) {
    case Holds::scalar: break;
    case Holds::text: new (&text_) std::string(); break;
    case Holds::elements: new (&elements_) std::vector<Resp>(); break;
  }
}

const std::string& Resp::no_text() noexcept {
  static const std::string none;
  return none;
}

const std::vector<Resp>& Resp::no_elements() noexcept {
  static const std::vector<Resp> none;
  return none;
}

std::vector<Resp>& Resp::scratch_elements() noexcept {
  thread_local std::vector<Resp> scratch;
  scratch.clear();
  return scratch;
}

Resp::Resp(const Resp& o)
    : type_(o.type_),
      delivery_(o.delivery_),
      attributes_(o.attributes_ ? std::make_unique<Resp>(*o.attributes_) : nullptr) {
  switch (holds(type_)) {
    case Holds::scalar: new (&scalar_) Scalar(o.scalar_); break;
    case Holds::text: new (&text_) std::string(o.text_); break;
    case Holds::elements: new (&elements_) std::vector<Resp>(o.elements_); break;
  }
}

Resp& Resp::operator=(const Resp& o) {
  if (this != &o) {
    Resp copy(o);
    *this = std::move(copy);
  }
  return *this;
}

Resp& Resp::operator=(Resp&& o) noexcept {
  if (this != &o) {
    Resp taken(std::move(o));  // first: `o` may live inside *this (an element)
    this->~Resp();
    new (this) Resp(std::move(taken));
  }
  return *this;
}

// --- what it is ------------------------------------------------------------

bool Resp::is_aggregate() const noexcept {
  return type_ == Type::array || type_ == Type::map || type_ == Type::set || type_ == Type::push;
}

std::error_code Resp::err() const noexcept {
  if (type_ == Type::server_error) return make_error_code(errc::server_error);
  if (type_ == Type::io_error) return scalar_.ec;
  return {};
}

std::string Resp::error_message() const {
  if (type_ == Type::server_error) return text_;
  if (type_ == Type::io_error) return scalar_.ec.message();
  return {};
}

std::string_view Resp::format() const noexcept {
  if (type_ != Type::verbatim_string) return {};
  std::string_view t = text_;
  return t.substr(0, t.find(':'));
}

void Resp::set_attributes(Resp attrs) { attributes_ = std::make_unique<Resp>(std::move(attrs)); }

// --- values ----------------------------------------------------------------

// The payload of a string type; the reason there is none otherwise.
Result<std::string_view> Resp::view() const {
  switch (type_) {
    case Type::simple_string:
    case Type::bulk_string: return std::string_view(text_);
    case Type::verbatim_string: {
      std::string_view t = text_;
      const auto colon = t.find(':');
      return colon == std::string_view::npos ? t : t.substr(colon + 1);
    }
    case Type::nil: return errc::nil_reply;
    case Type::server_error:
    case Type::io_error: return err();
    default: return errc::wrong_type;
  }
}

Result<std::string> Resp::str() const& {
  switch (type_) {
    case Type::big_number: return text_;
    case Type::integer: return integer_text(scalar_.integer);
    case Type::double_number: return double_text(scalar_.number);
    default: {
      auto v = view();
      if (!v) return v.error();
      return std::string(*v);
    }
  }
}

Result<std::string> Resp::str() && {
  if (type_ == Type::simple_string || type_ == Type::bulk_string || type_ == Type::big_number) {
    return std::move(text_);
  }
  if (type_ == Type::verbatim_string) {
    // Drop "fmt:" in place: the payload keeps its buffer, no copy is made.
    const auto colon = text_.find(':');
    if (colon != std::string::npos) text_.erase(0, colon + 1);
    return std::move(text_);
  }
  return static_cast<const Resp&>(*this).str();
}

Result<std::string_view> Resp::bytes() const& { return view(); }

Result<std::int64_t> Resp::integer() const {
  if (type_ == Type::integer) return scalar_.integer;
  if (type_ == Type::big_number) return parse_integer(text_);
  if (is_string_type(type_)) return parse_integer(*view());
  auto v = view();  // nil, errors, wrong type
  return v.error();
}

Result<double> Resp::number() const {
  if (type_ == Type::double_number) return scalar_.number;
  if (type_ == Type::integer) return static_cast<double>(scalar_.integer);
  if (type_ == Type::big_number) return parse_double(text_);
  if (is_string_type(type_)) return parse_double(*view());
  auto v = view();
  return v.error();
}

Result<bool> Resp::boolean() const {
  if (type_ == Type::boolean) return scalar_.boolean;
  if (type_ == Type::integer) {
    if (scalar_.integer == 0 || scalar_.integer == 1) return scalar_.integer == 1;
    return errc::wrong_type;
  }
  auto v = view();
  return v ? Result<bool>(errc::wrong_type) : Result<bool>(v.error());
}

Result<std::span<const Resp>> Resp::array() const& {
  if (is_aggregate()) return std::span<const Resp>(elements_);
  auto v = view();
  return v ? Result<std::span<const Resp>>(errc::wrong_type) : Result<std::span<const Resp>>(v.error());
}

Result<std::vector<Resp>> Resp::array() && {
  if (is_aggregate()) return std::move(elements_);
  auto v = view();
  return v ? Result<std::vector<Resp>>(errc::wrong_type) : Result<std::vector<Resp>>(v.error());
}

Result<std::vector<std::string>> Resp::list() const {
  auto els = array();
  if (!els) return els.error();
  std::vector<std::string> out;
  out.reserve(els->size());
  for (const Resp& e : *els) {
    auto s = e.str();
    if (!s) return s.error();
    out.push_back(std::move(*s));
  }
  return out;
}

Result<std::unordered_map<std::string, std::string>> Resp::map() const {
  if (type_ != Type::map && type_ != Type::array) {
    auto v = view();
    using R = Result<std::unordered_map<std::string, std::string>>;
    return v ? R(errc::wrong_type) : R(v.error());
  }
  if (elements_.size() % 2 != 0) return errc::odd_map_length;
  std::unordered_map<std::string, std::string> out;
  out.reserve(elements_.size() / 2);
  for (std::size_t i = 0; i < elements_.size(); i += 2) {
    auto k = elements_[i].str();
    if (!k) return k.error();
    auto v = elements_[i + 1].str();
    if (!v) return v.error();
    out.insert_or_assign(std::move(*k), std::move(*v));  // a repeated key: the last value wins
  }
  return out;
}

// --- comparison and rendering -----------------------------------------------

bool operator==(const Resp& a, const Resp& b) {
  if (a.type_ != b.type_) return false;
  switch (a.type_) {
    case Resp::Type::integer:
      if (a.scalar_.integer != b.scalar_.integer) return false;
      break;
    case Resp::Type::boolean:
      if (a.scalar_.boolean != b.scalar_.boolean) return false;
      break;
    case Resp::Type::double_number:
      // Bitwise-style equality: nan equals nan, so that a parsed ",nan" compares equal to itself.
      if (!(a.scalar_.number == b.scalar_.number ||
            (std::isnan(a.scalar_.number) && std::isnan(b.scalar_.number))))
        return false;
      if (a.scalar_.number == 0 && std::signbit(a.scalar_.number) != std::signbit(b.scalar_.number))
        return false;
      break;
    case Resp::Type::io_error:
      if (a.scalar_.ec != b.scalar_.ec) return false;
      break;
    default: break;
  }
  if (a.text() != b.text() || a.elements() != b.elements()) return false;
  if ((a.attributes_ == nullptr) != (b.attributes_ == nullptr)) return false;
  return a.attributes_ == nullptr || *a.attributes_ == *b.attributes_;
}

std::string Resp::to_string() const {
  std::string out;
  render(out, *this);
  return out;
}

}  // namespace respool
