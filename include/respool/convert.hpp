// Typed replies: Resp::as<T>() turns a reply into a C++ value, nested to any
// depth: std::string, integers (range-checked), float/double, bool,
// std::optional, std::vector, std::set, std::unordered_set, std::map,
// std::unordered_map, std::pair, std::tuple, Resp itself, and any type with
// a respool::from_resp<T> specialization (the customization point below).
// docs/api.md ("Typed replies") lists the reply shapes each type accepts.
//
//   auto m = pool->cmd("HGETALL", "h").as<std::map<std::string, std::string>>();
//   std::string why;
//   auto v = reply.as<std::vector<std::int64_t>>(why);  // why: "element 3: expected integer, got nil"
//
// Errors: the Result holds one std::error_code: the reply's own error for a
// server_error or io_error reply (anywhere in it: Resp::err()), nil_reply,
// wrong_type, not_a_number, odd_map_length or out_of_range. The overloads
// taking `std::string& why` also say where and why in words; unlike error
// codes, that text may quote keys and numbers of the reply.
//
// Moves: as<T>() on an rvalue (`pool->cmd(...).as<T>()`, `std::move(r).as<T>()`)
// moves strings and elements out of the reply; on an lvalue it copies them
// and leaves the reply unchanged.
//
// This header is included by resp.hpp; include either.
#pragma once

#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "respool/error.hpp"
#include "respool/resp.hpp"
#include "respool/result.hpp"

namespace respool {

// The customization point. Specialize it for a type of yours:
//
//   template <>
//   struct respool::from_resp<Point> {
//     static respool::Result<Point> convert(respool::Resp&& r, std::string& why);
//   };
//
// convert() gets the reply (never an error reply: those fail before it is
// called; nil does reach it) and returns the value, or an error code after
// writing the reason to `why` (without a place: respool adds "element 2: "
// and the like in front; left empty, the code's message is used). It may
// convert parts with as<U>(why). An extra overload taking `const Resp&`, if
// present, serves as<T>() on lvalues; otherwise the reply is copied first.
template <class T>
struct from_resp {};

// T has a usable from_resp<T> specialization.
template <class T>
concept HasFromResp = requires(Resp&& r, std::string& why) {
  { from_resp<T>::convert(std::move(r), why) } -> std::same_as<Result<T>>;
};

// "bulk string", "nil", "map", ...: for reasons written by from_resp code.
std::string_view type_name(Resp::Type t) noexcept;

namespace convert_detail {

// Where and why a conversion failed. The text is collected only when the
// caller asked for it (wanted()); the segments are added on the way out of
// the nested conversions, innermost first.
class Why {
 public:
  explicit Why(bool wanted) noexcept : wanted_(wanted) {}
  bool wanted() const noexcept { return wanted_; }

  // Records the reason; returns `e`.
  std::error_code fail(std::error_code e, std::string reason);
  // The reply is nil (nil_reply) or of another type (wrong_type) than `expected`.
  std::error_code mismatch(const Resp& got, std::string_view expected);
  // "element 3", "key of entry 2", "value of key \"age\"" in front of the path.
  void element(std::size_t i);
  void key_of_entry(std::size_t i);
  void value_of(const Resp& key, std::size_t entry);
  // "path: reason" (or the reason alone).
  std::string text() &&;

 private:
  void within(std::string segment);
  bool wanted_;
  std::string reason_, path_;
};

// Non-template parts (src/resp/convert.cpp).
std::error_code reply_error(const Resp& r, Why& why);  // for server_error and io_error
Result<std::string> string_of(const Resp& r, Why& why);
Result<std::string> string_of(Resp&& r, Why& why);
Result<std::int64_t> signed_of(const Resp& r, std::int64_t lo, std::int64_t hi, std::string_view name,
                               Why& why);
Result<std::uint64_t> unsigned_of(const Resp& r, std::uint64_t hi, std::string_view name, Why& why);
Result<double> double_of(const Resp& r, std::string_view name, Why& why);
std::error_code float_out_of_range(double v, Why& why);
Result<bool> bool_of(const Resp& r, Why& why);
// An aggregate of exactly n elements (pairs and tuples).
std::error_code check_size(const Resp& r, std::size_t n, Why& why);
// How key/value pairs are laid out: a flat list k, v, k, v, ... (a map, or
// an array whose first element is not an aggregate) or a list of 2-element
// aggregates. `count` pairs.
struct PairShape {
  bool nested;
  std::size_t count;
};
Result<PairShape> pair_shape(const Resp& r, Why& why);
std::error_code check_entry(const Resp& entry, std::size_t i, Why& why);  // a 2-element aggregate

// Moving out of the reply (R an rvalue: Resp) or copying (R an lvalue reference).
template <class R>
inline constexpr bool moving = !std::is_lvalue_reference_v<R>;

// Element i of the aggregate r: an rvalue when moving, a const lvalue otherwise.
template <class R, class P>
decltype(auto) element_of(P& r, std::size_t i) {
  if constexpr (moving<R>) {
    return std::move(r.elements()[i]);
  } else {
    return std::as_const(r.elements()[i]);
  }
}

template <class T>
concept Integer =
    std::integral<T> && !std::same_as<T, bool> && !std::same_as<T, char> && !std::same_as<T, wchar_t> &&
    !std::same_as<T, char8_t> && !std::same_as<T, char16_t> && !std::same_as<T, char32_t>;

template <Integer T>
constexpr std::string_view integer_name() {
  constexpr bool s = std::is_signed_v<T>;
  switch (sizeof(T)) {
    case 1: return s ? "int8" : "uint8";
    case 2: return s ? "int16" : "uint16";
    case 4: return s ? "int32" : "uint32";
    default: return s ? "int64" : "uint64";
  }
}

// The built-in conversions: one specialization per supported type.
template <class T>
struct Convert {
  static constexpr bool supported = false;
};

}  // namespace convert_detail

// as<T>() accepts T: Resp, a from_resp specialization, or a built-in type
// (whose parts are RespConvertible).
template <class T>
concept RespConvertible = std::same_as<T, Resp> || HasFromResp<T> || convert_detail::Convert<T>::supported;

namespace convert_detail {

template <class T, class R>
Result<T> convert(R&& r, Why& why);

template <>
struct Convert<std::string> {
  static constexpr bool supported = true;
  template <class R>
  static Result<std::string> from(R&& r, Why& why) {
    if constexpr (moving<R>) {
      return string_of(std::move(r), why);
    } else {
      return string_of(std::as_const(r), why);
    }
  }
};

template <Integer T>
struct Convert<T> {
  static constexpr bool supported = true;
  static Result<T> from(const Resp& r, Why& why) {
    using L = std::numeric_limits<T>;
    if constexpr (std::is_signed_v<T>) {
      auto v = signed_of(r, L::min(), L::max(), integer_name<T>(), why);
      if (!v) return v.error();
      return static_cast<T>(*v);
    } else {
      auto v = unsigned_of(r, L::max(), integer_name<T>(), why);
      if (!v) return v.error();
      return static_cast<T>(*v);
    }
  }
};

template <std::floating_point T>
struct Convert<T> {
  static constexpr bool supported = true;
  static Result<T> from(const Resp& r, Why& why) {
    constexpr bool is_float = sizeof(T) < sizeof(double);
    auto v = double_of(r, is_float ? "float" : "double", why);
    if (!v) return v.error();
    if constexpr (is_float) {
      constexpr double max = std::numeric_limits<T>::max();
      // inf and nan convert as they are; a finite double beyond float's range fails
      if (std::isfinite(*v) && (*v > max || *v < -max)) return float_out_of_range(*v, why);
    }
    return static_cast<T>(*v);
  }
};

template <>
struct Convert<bool> {
  static constexpr bool supported = true;
  static Result<bool> from(const Resp& r, Why& why) { return bool_of(r, why); }
};

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

template <class T>
struct Convert<std::optional<T>> {
  static constexpr bool supported = RespConvertible<T>;
  template <class R>
  static Result<std::optional<T>> from(R&& r, Why& why) {
    if (r.is_nil()) return std::optional<T>();
    auto v = convert<T>(std::forward<R>(r), why);
    if (!v) return v.error();
    return std::optional<T>(std::move(*v));
  }
};

// Converts each element of the aggregate r to T and passes it to add().
template <class T, class R, class Add>
std::error_code each_element(R&& r, Why& why, Add add) {
  const std::size_t n = r.elements().size();
  for (std::size_t i = 0; i < n; ++i) {
    auto v = convert<T>(element_of<R>(r, i), why);
    if (!v) {
      why.element(i);
      return v.error();
    }
    add(std::move(*v));
  }
  return {};
}

// Reads key/value pairs (see PairShape) into `out`: a map (a repeated key:
// the last value wins) or a vector of pairs.
template <class K, class V, class R, class Out>
std::error_code read_pairs(R&& r, Why& why, Out& out) {
  auto shape = pair_shape(r, why);
  if (!shape) return shape.error();
  if constexpr (requires { out.reserve(shape->count); }) out.reserve(shape->count);
  auto& els = r.elements();  // const unless moving (or r is a mutable lvalue)
  for (std::size_t i = 0; i < shape->count; ++i) {
    if (shape->nested) {
      if (auto ec = check_entry(els[i], i, why)) return ec;
    }
    auto& from = shape->nested ? els[i] : r;  // holds the key at k and the value at k + 1
    const std::size_t k = shape->nested ? 0 : 2 * i;
    // The value first, so that a failure can name its key.
    auto v = convert<V>(element_of<R>(from, k + 1), why);
    if (!v) {
      why.value_of(from.elements()[k], i);
      return v.error();
    }
    auto key = convert<K>(element_of<R>(from, k), why);
    if (!key) {
      why.key_of_entry(i);
      return key.error();
    }
    if constexpr (requires { out.emplace_back(std::move(*key), std::move(*v)); }) {
      out.emplace_back(std::move(*key), std::move(*v));
    } else {
      out.insert_or_assign(std::move(*key), std::move(*v));
    }
  }
  return {};
}

template <class T>
struct is_pair : std::false_type {};
template <class A, class B>
struct is_pair<std::pair<A, B>> : std::true_type {};

template <class T, class A>
struct Convert<std::vector<T, A>> {
  static constexpr bool supported = RespConvertible<T>;
  template <class R>
  static Result<std::vector<T, A>> from(R&& r, Why& why) {
    std::vector<T, A> out;
    if constexpr (is_pair<T>::value) {
      using K = typename T::first_type;
      using V = typename T::second_type;
      if (auto ec = read_pairs<K, V>(std::forward<R>(r), why, out)) return ec;
    } else {
      if (!r.is_aggregate()) return why.mismatch(r, "array");
      out.reserve(r.elements().size());
      if (auto ec = each_element<T>(std::forward<R>(r), why, [&](T&& v) { out.push_back(std::move(v)); }))
        return ec;
    }
    return out;
  }
};

// std::set and std::unordered_set: from any aggregate (repeats collapse).
template <class Set>
struct ConvertSet {
  using T = typename Set::value_type;
  static constexpr bool supported = RespConvertible<T>;
  template <class R>
  static Result<Set> from(R&& r, Why& why) {
    if (!r.is_aggregate()) return why.mismatch(r, "array or set");
    Set out;
    if constexpr (requires { out.reserve(std::size_t{}); }) out.reserve(r.elements().size());
    if (auto ec = each_element<T>(std::forward<R>(r), why, [&](T&& v) { out.insert(std::move(v)); }))
      return ec;
    return out;
  }
};
template <class T, class C, class A>
struct Convert<std::set<T, C, A>> : ConvertSet<std::set<T, C, A>> {};
template <class T, class H, class E, class A>
struct Convert<std::unordered_set<T, H, E, A>> : ConvertSet<std::unordered_set<T, H, E, A>> {};

// std::map and std::unordered_map: key/value pairs (see PairShape).
template <class Map>
struct ConvertMap {
  using K = typename Map::key_type;
  using V = typename Map::mapped_type;
  static constexpr bool supported = RespConvertible<K> && RespConvertible<V>;
  template <class R>
  static Result<Map> from(R&& r, Why& why) {
    Map out;
    if (auto ec = read_pairs<K, V>(std::forward<R>(r), why, out)) return ec;
    return out;
  }
};
template <class K, class V, class C, class A>
struct Convert<std::map<K, V, C, A>> : ConvertMap<std::map<K, V, C, A>> {};
template <class K, class V, class H, class E, class A>
struct Convert<std::unordered_map<K, V, H, E, A>> : ConvertMap<std::unordered_map<K, V, H, E, A>> {};

// std::pair and std::tuple: an aggregate of exactly that many elements.
template <class Tuple, class... Ts>
struct ConvertTuple {
  static constexpr bool supported = (RespConvertible<Ts> && ...);
  template <class R>
  static Result<Tuple> from(R&& r, Why& why) {
    if (auto ec = check_size(r, sizeof...(Ts), why)) return ec;
    std::tuple<std::optional<Ts>...> parts;
    std::error_code ec;
    auto one = [&]<std::size_t I>(std::integral_constant<std::size_t, I>) {
      using E = std::tuple_element_t<I, std::tuple<Ts...>>;
      auto v = convert<E>(element_of<R>(r, I), why);
      if (!v) {
        why.element(I);
        ec = v.error();
        return false;
      }
      std::get<I>(parts).emplace(std::move(*v));
      return true;
    };
    return [&]<std::size_t... I>(std::index_sequence<I...>)->Result<Tuple> {
      if (!(one(std::integral_constant<std::size_t, I>{}) && ...)) return ec;
      return Tuple(std::move(*std::get<I>(parts))...);
    }
    (std::index_sequence_for<Ts...>{});
  }
};
template <class A, class B>
struct Convert<std::pair<A, B>> : ConvertTuple<std::pair<A, B>, A, B> {};
template <class... Ts>
struct Convert<std::tuple<Ts...>> : ConvertTuple<std::tuple<Ts...>, Ts...> {};

template <class T>
concept FromConstResp = requires(const Resp& r, std::string& why) {
  { from_resp<T>::convert(r, why) } -> std::same_as<Result<T>>;
};

// A from_resp specialization: called with an rvalue, or a const lvalue when
// it takes one; its reason (or the code's message) goes to `why`.
template <class T, class R>
Result<T> custom(R&& r, Why& why) {
  std::string reason;
  Result<T> out = [&]() -> Result<T> {
    if constexpr (moving<R>) {
      return from_resp<T>::convert(std::move(r), reason);
    } else if constexpr (FromConstResp<T>) {
      return from_resp<T>::convert(std::as_const(r), reason);
    } else {
      return from_resp<T>::convert(Resp(r), reason);
    }
  }();
  if (!out) {
    const std::error_code e = out.error();
    if (reason.empty() && why.wanted()) reason = e.message();
    why.fail(e, std::move(reason));
  }
  return out;
}

template <class T, class R>
Result<T> convert(R&& r, Why& why) {
  if constexpr (std::same_as<T, Resp>) {
    return Resp(std::forward<R>(r));  // identity: error replies included
  } else if constexpr (is_optional<T>::value) {
    return Convert<T>::from(std::forward<R>(r),
                            why);  // not nil: T decides (std::optional<Resp> keeps errors)
  } else {
    if (r.is_server_error() || r.is_io_error()) return reply_error(r, why);
    if constexpr (HasFromResp<T>) {
      return custom<T>(std::forward<R>(r), why);
    } else {
      return Convert<T>::from(std::forward<R>(r), why);
    }
  }
}

template <class T, class R>
Result<T> convert_top(R&& r, std::string* why_text) {
  static_assert(
      RespConvertible<T>,
      "Resp::as<T>: no conversion to T; specialize respool::from_resp<T> (docs/api.md, Typed replies)");
  Why why(why_text != nullptr);
  Result<T> out = convert<T>(std::forward<R>(r), why);
  if (why_text) *why_text = out ? std::string() : std::move(why).text();
  return out;
}

}  // namespace convert_detail

template <class T>
Result<T> Resp::as() const& {
  return convert_detail::convert_top<T>(*this, nullptr);
}
template <class T>
Result<T> Resp::as() && {
  return convert_detail::convert_top<T>(std::move(*this), nullptr);
}
template <class T>
Result<T> Resp::as(std::string& why) const& {
  return convert_detail::convert_top<T>(*this, &why);
}
template <class T>
Result<T> Resp::as(std::string& why) && {
  return convert_detail::convert_top<T>(std::move(*this), &why);
}

}  // namespace respool
