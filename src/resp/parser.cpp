// respool::Parser: an incremental RESP2/RESP3 parser (see respool/parser.hpp).
//
// How it works. Input bytes live in one contiguous buffer [rpos, wpos).
// Everything before rpos has been parsed: either returned as a reply or
// folded into the stack of partially built aggregates (`stack`). So a
// reply arriving in many pieces is parsed once, byte for byte: a completed
// element is never looked at again, an unfinished line remembers how far it
// was searched for its CR (`scan`), and a bulk string whose header has been
// read waits, in O(1) per call, until its whole payload and CRLF are
// buffered (`bulk_pending`).
//
// Strictness (anything else is errc::protocol_error):
//   - numbers in lengths, counts and ':' integers are canonical decimal
//     int64: an optional '-', then "0" or digits without a leading zero; no
//     '+', no "-0", no spaces, no overflow. Only "$-1" and "*-1" (RESP2 nil)
//     may be negative.
//   - a line ends with CRLF; a CR followed by anything but LF is an error.
//   - a bulk payload (bulk, verbatim, blob error) must be followed by CRLF.
//   - doubles: [+-]digits[.digits][(e|E)[+-]digits], "inf", "-inf", "+inf",
//     "nan", "-nan"; booleans: "t" or "f"; null: an empty line; big
//     numbers: [+-]digits; verbatim: at least "xxx:" (a 3-byte format).
//   - a number line (lengths, integers, null, boolean) longer than 32 bytes,
//     or a double line longer than 325 bytes, is rejected without waiting
//     for its CRLF.
// Limits (ParserLimits) are errc::limit_exceeded; the depth check happens
// on the aggregate's type byte, so "*-1" one level too deep is rejected too
// (as hiredis does).
#include "respool/parser.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include "resp/reply_memory.hpp"
#include "resp/wire_numbers.hpp"

namespace respool {
namespace {

using detail::all_digits;
using detail::parse_double;
using detail::parse_int64;

constexpr std::size_t kMaxNumberLine = 32;         // longest length / integer / null / boolean line
constexpr std::size_t kMaxDoubleLine = 325;        // longest double line (hiredis 1.x uses the same bound)
constexpr std::size_t kFirstElements = 16;         // first capacity of an aggregate, whatever its claim
constexpr std::size_t kMinBuffer = 16 * 1024;      // first allocation of the input buffer
constexpr std::size_t kShrinkAbove = 1024 * 1024;  // an empty buffer larger than this is given back

Resp::Type aggregate_type(char t) noexcept {
  switch (t) {
    case '%':
    case '|': return Resp::Type::map;
    case '~': return Resp::Type::set;
    case '>': return Resp::Type::push;
    default: return Resp::Type::array;
  }
}

std::size_t clamp_size(std::int64_t v) noexcept { return v <= 0 ? 0 : static_cast<std::size_t>(v); }

}  // namespace

struct Parser::Impl {
  // An aggregate being filled.
  struct Frame {
    Resp value;                         // type and elements so far (and its own attributes)
    std::int64_t remaining = 0;         // elements still to come
    bool attribute = false;             // a '|' block: attaches to the next value, is no element
    std::optional<Resp> pending_attrs;  // attributes waiting for this frame's next element
  };

  enum class Step { progress, reply, more, fail };
  enum class Line { ok, more, fail };

  explicit Impl(ParserLimits l) : limits(l), memory(l.max_reply_memory) {}

  ParserLimits limits;

  // Input buffer: live bytes are [rpos, wpos) of buf[0, cap).
  std::unique_ptr<char[]> buf;
  std::size_t cap = 0;
  std::size_t rpos = 0;
  std::size_t wpos = 0;

  std::size_t scan = 0;       // bytes after the current line's type byte known to hold no CR
  bool bulk_pending = false;  // a bulk header was read; its payload is awaited
  char bulk_type = 0;
  std::int64_t bulk_len = 0;

  std::vector<Frame> stack;
  std::optional<Resp> top_attrs;  // attributes for the next top-level reply
  std::int64_t reply_bytes = 0;   // wire bytes of the current reply already consumed
  detail::ReplyMemory memory;     // heap the current reply holds (max_reply_memory)
  std::error_code error;

  // --- buffer ---------------------------------------------------------------

  void ensure(std::size_t min) {
    const std::size_t live = wpos - rpos;
    if (live == 0) {
      rpos = wpos = 0;
      if (cap > kShrinkAbove && min <= kShrinkAbove) {
        buf.reset();
        cap = 0;
      }
    }
    if (cap - wpos >= min) return;
    // Slide the live bytes to the front when that is cheap: when they are no
    // more than what was consumed before them, or when the move frees at
    // least half of the buffer. Either way each byte is moved O(1) times.
    if (min <= cap && live <= cap - min && (rpos >= live || live + min <= cap / 2)) {
      std::memmove(buf.get(), buf.get() + rpos, live);
      rpos = 0;
      wpos = live;
      return;
    }
    std::size_t new_cap = std::max({cap * 2, live + min, kMinBuffer});
    auto fresh = std::make_unique_for_overwrite<char[]>(new_cap);
    if (live > 0) std::memcpy(fresh.get(), buf.get() + rpos, live);
    buf = std::move(fresh);
    cap = new_cap;
    rpos = 0;
    wpos = live;
  }

  // --- errors and bookkeeping -----------------------------------------------

  Step fail(errc e) {
    error = make_error_code(e);
    buf.reset();
    cap = rpos = wpos = 0;
    scan = 0;
    bulk_pending = false;
    stack.clear();
    top_attrs.reset();
    reply_bytes = 0;
    memory.clear();
    return Step::fail;
  }

  // Marks n more bytes of the current reply as parsed.
  bool consume(std::size_t n) {
    if (static_cast<std::int64_t>(n) > limits.max_reply_bytes - reply_bytes) {
      fail(errc::limit_exceeded);
      return false;
    }
    rpos += n;
    reply_bytes += static_cast<std::int64_t>(n);
    return true;
  }

  std::optional<Resp>& attrs_slot() { return stack.empty() ? top_attrs : stack.back().pending_attrs; }

  // Gives `v` the attributes waiting at the current level, if any: a heap
  // Resp, counted.
  bool attach_attrs(Resp& v) {
    auto& slot = attrs_slot();
    if (!slot) return true;
    if (!memory.take(sizeof(Resp))) return false;
    v.set_attributes(std::move(*slot));
    slot.reset();
    return true;
  }

  // Room for one more element in `f`. Capacity starts at kFirstElements and
  // grows fourfold, never past the claimed count: fewer reallocations than
  // doubling (each touches fresh memory), and the old buffer held during
  // the last one is at most a quarter of the final. The new buffer is
  // counted before it exists, and the old one given back once freed.
  bool grow(Frame& f) {
    auto& els = f.value.elements();
    if (els.size() < els.capacity()) return true;
    const std::uint64_t total = els.size() + static_cast<std::uint64_t>(f.remaining);
    const std::uint64_t room = std::min(total, std::max<std::uint64_t>(4 * els.capacity(), kFirstElements));
    const std::uint64_t old_bytes = els.capacity() * sizeof(Resp);
    if (room > memory.room() / sizeof(Resp) || !memory.take(room * sizeof(Resp))) return false;
    els.reserve(static_cast<std::size_t>(room));
    memory.give_back(old_bytes);
    return true;
  }

  // A complete value at the current level: attach waiting attributes, add it
  // to its parent, close every aggregate it completes.
  Step emit(Resp&& v, std::optional<Resp>& out) {
    for (;;) {
      if (!attach_attrs(v)) return fail(errc::limit_exceeded);
      if (stack.empty()) {
        out.emplace(std::move(v));
        reply_bytes = 0;
        memory.clear();
        if (rpos == wpos) rpos = wpos = 0;
        return Step::reply;
      }
      Frame& f = stack.back();
      if (!grow(f)) return fail(errc::limit_exceeded);
      f.value.elements().push_back(std::move(v));
      if (--f.remaining > 0) return Step::progress;
      if (!close_frame(v)) return Step::progress;
    }
  }

  // Pops the completed top frame. Returns true with the aggregate in `v`
  // when it is a value; false when it was an attribute block (now waiting
  // in its parent's slot).
  bool close_frame(Resp& v) {
    Frame done = std::move(stack.back());
    stack.pop_back();
    if (done.attribute) {
      attrs_slot() = std::move(done.value);
      return false;
    }
    v = std::move(done.value);
    return true;
  }

  // --- lines ----------------------------------------------------------------

  Line line_fail(errc e) {
    fail(e);
    return Line::fail;
  }

  // Finds the CRLF of the line starting at `base` (just after its type
  // byte). `line_cap` bounds its length (error `cap_err` beyond it), and so
  // does what is left of max_reply_bytes (limit_exceeded). Whichever bound
  // is lower decides, so the outcome never depends on how the input was cut.
  Line find_line(const char* base, std::size_t avail, std::size_t line_cap, errc cap_err, std::size_t& len) {
    const std::int64_t budget =
        limits.max_reply_bytes - reply_bytes - 3;  // content bytes the reply can still take
    std::size_t bound = line_cap;
    errc err = cap_err;
    if (budget < 0 || static_cast<std::uint64_t>(budget) < line_cap) {
      bound = clamp_size(budget);
      err = errc::limit_exceeded;
    }
    const void* cr = scan < avail ? std::memchr(base + scan, '\r', avail - scan) : nullptr;
    if (cr == nullptr) {
      scan = avail;
      if (avail > bound) return line_fail(err);
      return Line::more;
    }
    const auto i = static_cast<std::size_t>(static_cast<const char*>(cr) - base);
    if (i > bound) return line_fail(err);
    if (i + 1 == avail) {
      scan = i;  // a CR at the very end: wait for its LF
      return Line::more;
    }
    if (base[i + 1] != '\n') return line_fail(errc::protocol_error);
    scan = 0;
    len = i;
    return Line::ok;
  }

  // --- parsing ----------------------------------------------------------------

  Step finish_bulk(std::optional<Resp>& out) {
    const auto need = static_cast<std::size_t>(bulk_len) + 2;
    if (wpos - rpos < need) return Step::more;
    const char* p = buf.get() + rpos;
    const auto n = static_cast<std::size_t>(bulk_len);
    if (p[n] != '\r' || p[n + 1] != '\n') return fail(errc::protocol_error);
    if (bulk_type == '=' && p[3] != ':') return fail(errc::protocol_error);  // "xxx:" then the text
    bulk_pending = false;
    if (!consume(need)) return Step::fail;
    // bulk_header() checked that n bytes fit in max_reply_memory.
    switch (bulk_type) {
      case '$': return counted(Resp::bulk_string(std::string(p, n)), out);
      case '!': return counted(Resp::server_error(std::string(p, n)), out);
      default: {
        std::string text;  // "fmt:text" is built in this one buffer
        text.reserve(n);
        text.assign(p + 4, n - 4);
        return counted(Resp::verbatim_string(std::string(p, 3), std::move(text)), out);
      }
    }
  }

  // Whether a string of n bytes fits in what is left of max_reply_memory;
  // checked before the string is built.
  bool string_fits(std::size_t n) const noexcept { return detail::string_heap_bound(n) <= memory.room(); }

  // Counts the heap of a new leaf (its text), then emits it.
  Step counted(Resp&& v, std::optional<Resp>& out) {
    if (!memory.take(detail::string_heap(v.text()))) return fail(errc::limit_exceeded);
    return emit(std::move(v), out);
  }

  Step value(Resp&& v, std::size_t wire, std::optional<Resp>& out) {
    if (!consume(wire)) return Step::fail;
    return counted(std::move(v), out);
  }

  Step step(std::optional<Resp>& out) {
    if (bulk_pending) return finish_bulk(out);
    const std::size_t avail = wpos - rpos;
    if (avail == 0) return Step::more;
    const char* p = buf.get() + rpos;
    const char t = p[0];

    std::size_t line_cap = kMaxNumberLine;
    errc cap_err = errc::protocol_error;
    switch (t) {
      case '+':
      case '-': line_cap = std::numeric_limits<std::size_t>::max(); break;  // bounded by max_reply_bytes
      case '(':
        line_cap = clamp_size(limits.max_bulk_length);
        cap_err = errc::limit_exceeded;
        break;
      case ',': line_cap = kMaxDoubleLine; break;
      case '*':
      case '%':
      case '~':
      case '>':
      case '|':
        if (static_cast<std::int64_t>(stack.size()) >=
            std::min(limits.max_depth, ParserLimits::max_depth_ceiling))
          return fail(errc::limit_exceeded);
        break;
      case ':':
      case '$':
      case '_':
      case '#':
      case '=':
      case '!': break;
      default: return fail(errc::protocol_error);
    }

    std::size_t len = 0;
    switch (find_line(p + 1, avail - 1, line_cap, cap_err, len)) {
      case Line::ok: break;
      case Line::more: return Step::more;
      case Line::fail: return Step::fail;
    }
    const std::string_view line(p + 1, len);
    const std::size_t wire = len + 3;
    if ((t == '+' || t == '-' || t == '(') && !string_fits(len)) return fail(errc::limit_exceeded);

    switch (t) {
      case '+': return value(Resp::simple_string(std::string(line)), wire, out);
      case '-': return value(Resp::server_error(std::string(line)), wire, out);
      case ':': {
        std::int64_t v = 0;
        if (!parse_int64(line.data(), line.size(), v)) return fail(errc::protocol_error);
        return value(Resp::integer_value(v), wire, out);
      }
      case ',': {
        double d = 0;
        if (!parse_double(line, d)) return fail(errc::protocol_error);
        return value(Resp::double_value(d), wire, out);
      }
      case '#':
        if (line != "t" && line != "f") return fail(errc::protocol_error);
        return value(Resp::boolean_value(line == "t"), wire, out);
      case '_':
        if (!line.empty()) return fail(errc::protocol_error);
        return value(Resp(), wire, out);
      case '(': {
        std::string_view digits = line;
        if (!digits.empty() && (digits.front() == '-' || digits.front() == '+')) digits.remove_prefix(1);
        if (!all_digits(digits)) return fail(errc::protocol_error);
        return value(Resp::big_number(std::string(line)), wire, out);
      }
      case '$':
      case '=':
      case '!': return bulk_header(t, line, wire, out);
      default: return aggregate_header(t, line, wire, out);
    }
  }

  Step bulk_header(char t, std::string_view line, std::size_t wire, std::optional<Resp>& out) {
    std::int64_t n = 0;
    if (!parse_int64(line.data(), line.size(), n)) return fail(errc::protocol_error);
    if (n == -1 && t == '$') return value(Resp(), wire, out);
    if (n < 0) return fail(errc::protocol_error);
    if (n > limits.max_bulk_length) return fail(errc::limit_exceeded);
    if (t == '=' && n < 4) return fail(errc::protocol_error);
    // The whole item must fit in what is left of max_reply_bytes.
    const std::int64_t left = limits.max_reply_bytes - reply_bytes - static_cast<std::int64_t>(wire) - 2;
    if (left < 0 || n > left) return fail(errc::limit_exceeded);
    if (!string_fits(static_cast<std::size_t>(n))) return fail(errc::limit_exceeded);
    if (!consume(wire)) return Step::fail;
    bulk_pending = true;
    bulk_type = t;
    bulk_len = n;
    return finish_bulk(out);
  }

  Step aggregate_header(char t, std::string_view line, std::size_t wire, std::optional<Resp>& out) {
    std::int64_t n = 0;
    if (!parse_int64(line.data(), line.size(), n)) return fail(errc::protocol_error);
    if (n == -1 && t == '*') return value(Resp(), wire, out);
    if (n < 0) return fail(errc::protocol_error);
    const bool pairs = t == '%' || t == '|';
    if (n > (pairs ? limits.max_elements / 2 : limits.max_elements)) return fail(errc::limit_exceeded);
    const std::int64_t count = pairs ? 2 * n : n;
    if (!consume(wire)) return Step::fail;

    Frame f;
    f.value = Resp::aggregate(aggregate_type(t), {});
    f.attribute = t == '|';
    // Attributes seen before this aggregate belong to it.
    if (!f.attribute && !attach_attrs(f.value)) return fail(errc::limit_exceeded);
    if (count == 0) {
      if (f.attribute) {
        attrs_slot() = std::move(f.value);
        return Step::progress;
      }
      return emit(std::move(f.value), out);
    }
    f.remaining = count;  // elements get room as they arrive (grow())
    stack.push_back(std::move(f));
    return Step::progress;
  }
};

Parser::Parser(ParserLimits limits) : impl_(std::make_unique<Impl>(limits)) {}
Parser::~Parser() = default;
Parser::Parser(Parser&&) noexcept = default;
Parser& Parser::operator=(Parser&&) noexcept = default;

void Parser::feed(std::string_view bytes) {
  if (bytes.empty() || impl_->error) return;
  impl_->ensure(bytes.size());
  std::memcpy(impl_->buf.get() + impl_->wpos, bytes.data(), bytes.size());
  impl_->wpos += bytes.size();
}

std::span<char> Parser::prepare(std::size_t min_size) {
  Impl& s = *impl_;
  s.ensure(std::max<std::size_t>(min_size, 1));
  return {s.buf.get() + s.wpos, s.cap - s.wpos};
}

void Parser::commit(std::size_t n) {
  Impl& s = *impl_;
  if (s.error) return;  // a broken parser keeps nothing
  s.wpos += std::min(n, s.cap - s.wpos);
}

Result<std::optional<Resp>> Parser::next() {
  Impl& s = *impl_;
  if (s.error) return s.error;
  Result<std::optional<Resp>> out = std::optional<Resp>{};  // the reply is built in place (NRVO)
  for (;;) {
    switch (s.step(*out)) {
      case Impl::Step::progress: continue;
      case Impl::Step::reply:
      case Impl::Step::more: return out;
      case Impl::Step::fail:
        out = s.error;  // every path returns `out`: no copy of the reply (NRVO)
        return out;
    }
  }
}

std::size_t Parser::buffered() const noexcept {
  return impl_->wpos - impl_->rpos + static_cast<std::size_t>(impl_->reply_bytes);
}

void Parser::reset() { *impl_ = Impl(impl_->limits); }

const ParserLimits& Parser::limits() const noexcept { return impl_->limits; }

}  // namespace respool
