// respool::Resp: one reply from Redis (RESP2 or RESP3), or the client-side
// failure that took its place (radix.v2's redis.Resp).
//
// A Resp is a plain value (copyable, movable, no shared state). Accessors
// never throw: each returns a Result holding the value or the reason it
// can't (nil_reply, wrong_type, not_a_number, odd_map_length, or the reply's
// own error when the Resp is an error).
//
// Borrowing accessors (bytes(), array() on an lvalue) return views into the
// Resp; they are deleted / move out on rvalues, so `pool->cmd(...).bytes()`
// does not compile rather than dangle, and `pool->cmd(...).array()` owns its
// elements.
#pragma once

#include <cstdint>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "respool/error.hpp"
#include "respool/result.hpp"

namespace respool {

// Whether a failed command may have reached the server (Resp::delivery()).
enum class Delivery : std::uint8_t {
  delivered,  // a reply came back: the server ran the command (or refused it)
  not_sent,   // an io_error raised before any byte of the command left this
              // process: the server never saw it, so sending it again is safe
  unknown,    // an io_error after the command was (maybe partly) written: it
              // may have run; never send it again unless it is idempotent
};

class Resp {
 public:
  enum class Type : std::uint8_t {
    simple_string,    // RESP2/3 '+'
    bulk_string,      // RESP2/3 '$'
    integer,          // RESP2/3 ':'
    array,            // RESP2/3 '*'
    nil,              // RESP2 "$-1" / "*-1", RESP3 '_'
    server_error,     // '-' or RESP3 blob error '!': radix.v2's AppErr
    io_error,         // client side: I/O, timeout, protocol: radix.v2's IOErr
    map,              // RESP3 '%': elements are key, value, key, value, ...
    set,              // RESP3 '~'
    double_number,    // RESP3 ','
    boolean,          // RESP3 '#'
    big_number,       // RESP3 '(' (kept as its decimal text)
    verbatim_string,  // RESP3 '=' (text without the "txt:" prefix; see format())
    push,             // RESP3 '>'
  };

  // A nil reply.
  Resp() noexcept : scalar_() {}

  // --- construction (used by the parser and by tests) ---------------------
  static Resp simple_string(std::string s);
  static Resp bulk_string(std::string s);
  static Resp integer_value(std::int64_t v);
  static Resp double_value(double v);
  static Resp boolean_value(bool v);
  static Resp big_number(std::string digits);
  static Resp verbatim_string(std::string format, std::string text);
  static Resp server_error(std::string message);
  // A client-side failure; `ec` should be non-empty. `delivery` says whether
  // the command may have reached the server (not_sent or unknown).
  static Resp io_error(std::error_code ec, Delivery delivery = Delivery::unknown);
  static Resp aggregate(Type t, std::vector<Resp> elements);  // array, map, set, push

  // --- what it is ---------------------------------------------------------
  Type type() const noexcept { return type_; }
  bool is_nil() const noexcept { return type_ == Type::nil; }
  bool is_server_error() const noexcept { return type_ == Type::server_error; }
  bool is_io_error() const noexcept { return type_ == Type::io_error; }
  bool is_aggregate() const noexcept;

  // radix.v2's r.Err: errc::server_error for a server error reply, the
  // client-side error for io_error, empty otherwise (nil is not an error).
  std::error_code err() const noexcept;
  // For an io_error: not_sent or unknown, as given to io_error(). For every
  // reply from the server (server errors included): delivered.
  Delivery delivery() const noexcept { return type_ == Type::io_error ? delivery_ : Delivery::delivered; }
  // The server's error text ("ERR unknown command ..."), or the client-side
  // error's message; empty when not an error.
  std::string error_message() const;

  // --- values -------------------------------------------------------------
  // Text of simple/bulk/verbatim strings, big numbers, and the decimal text
  // of integers and doubles (like radix.v2's Str()).
  Result<std::string> str() const&;
  Result<std::string> str() &&;
  // A view of the bytes of a simple/bulk/verbatim string: no copy. Valid as
  // long as this Resp lives and is not modified.
  Result<std::string_view> bytes() const&;
  Result<std::string_view> bytes() && = delete;
  // Integer value; strings holding a decimal integer are parsed (radix.v2's Int64).
  Result<std::int64_t> integer() const;
  // Floating value of doubles, integers and numeric strings (radix.v2's Float64).
  Result<double> number() const;
  // RESP3 boolean, or integer 0/1 (RESP2 replies such as SISMEMBER).
  Result<bool> boolean() const;
  // Elements of an array, set, map (flat key, value, ...) or push.
  Result<std::span<const Resp>> array() const&;
  Result<std::vector<Resp>> array() &&;
  // Elements, each converted with str(); nil or non-string elements fail.
  Result<std::vector<std::string>> list() const;
  // Key/value pairs of a RESP3 map, or of an array of even length (HGETALL
  // in RESP2). Keys and values converted with str().
  Result<std::unordered_map<std::string, std::string>> map() const;

  // The reply as a T (respool/convert.hpp, docs/api.md "Typed replies"):
  // std::string, an integer (range-checked), double, bool, std::optional,
  // std::vector, std::set, std::unordered_set, std::map, std::unordered_map,
  // std::pair, std::tuple, nested, Resp, or a type with a respool::from_resp
  // specialization. On an rvalue, strings and elements are moved out. With
  // `why`: on failure, where and why ("element 3: expected integer, got
  // nil"); emptied on success.
  template <class T>
  Result<T> as() const&;
  template <class T>
  Result<T> as() &&;
  template <class T>
  Result<T> as(std::string& why) const&;
  template <class T>
  Result<T> as(std::string& why) &&;

  // Verbatim string format ("txt", "mkd"); empty for other types.
  std::string_view format() const noexcept;
  // RESP3 attributes that preceded this reply (a map), or null.
  const Resp* attributes() const noexcept { return attributes_.get(); }
  void set_attributes(Resp attrs);

  // Raw storage, for the parser and for serialisation in tests. text() is
  // empty unless the Resp is a string type, a big number or a server error;
  // elements() is empty unless it is an aggregate. On a Resp that is not an
  // aggregate, the mutable elements() is a scratch list of the calling
  // thread, emptied at each call and not part of the Resp.
  const std::string& text() const noexcept { return holds(type_) == Holds::text ? text_ : no_text(); }
  const std::vector<Resp>& elements() const noexcept {
    return holds(type_) == Holds::elements ? elements_ : no_elements();
  }
  std::vector<Resp>& elements() noexcept {
    return holds(type_) == Holds::elements ? elements_ : scratch_elements();
  }

  friend bool operator==(const Resp& a, const Resp& b);

  // A readable rendering for logs and test failures, e.g. `["OK", 1, nil]`.
  std::string to_string() const;

 private:
  Result<std::string_view> view() const;

  // The one scalar a type has; which member is live follows from type_.
  union Scalar {
    Scalar() noexcept : integer(0) {}
    std::int64_t integer;  // integer
    double number;         // double_number
    bool boolean;          // boolean
    std::error_code ec;    // io_error
  };

  // Which member of the union below a type uses.
  enum class Holds : std::uint8_t { scalar, text, elements };
  static constexpr Holds holds(Type t) noexcept {
    switch (t) {
      case Type::simple_string:
      case Type::bulk_string:
      case Type::verbatim_string:
      case Type::big_number:
      case Type::server_error: return Holds::text;
      case Type::array:
      case Type::map:
      case Type::set:
      case Type::push: return Holds::elements;
      default: return Holds::scalar;
    }
  }
  static const std::string& no_text() noexcept;
  static const std::vector<Resp>& no_elements() noexcept;
  static std::vector<Resp>& scratch_elements() noexcept;
  // Makes the member for `t` live (empty), ending the scalar's life.
  void become(Type t) noexcept;

  Type type_ = Type::nil;
  Delivery delivery_ = Delivery::delivered;
  // A node holds one value, so the members share their storage (48-byte
  // nodes rather than 88): which one is live follows from type_ (holds()).
  union {
    Scalar scalar_;
    std::string text_;  // strings, error text, big number digits, verbatim "fmt:text"
    std::vector<Resp> elements_;
  };
  std::unique_ptr<Resp> attributes_;

 public:
  Resp(const Resp& o);
  Resp& operator=(const Resp& o);
  Resp(Resp&& o) noexcept;
  Resp& operator=(Resp&& o) noexcept;
  ~Resp();
};

// Inline: a vector of elements moves and destroys its nodes with these.
inline Resp::Resp(Resp&& o) noexcept
    : type_(o.type_), delivery_(o.delivery_), attributes_(std::move(o.attributes_)) {
  switch (holds(type_)) {
    case Holds::scalar: new (&scalar_) Scalar(o.scalar_); break;
    case Holds::text: new (&text_) std::string(std::move(o.text_)); break;
    case Holds::elements: new (&elements_) std::vector<Resp>(std::move(o.elements_)); break;
  }
}

inline Resp::~Resp() {
  switch (holds(type_)) {
    case Holds::scalar: break;
    case Holds::text: text_.~basic_string(); break;
    case Holds::elements: elements_.~vector(); break;
  }
}

}  // namespace respool

// Resp::as<T>() is defined there.
#include "respool/convert.hpp"  // IWYU pragma: export
