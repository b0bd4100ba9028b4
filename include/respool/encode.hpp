// The command encoder: a command and its arguments as one RESP array of bulk
// strings, appended straight to an output buffer (no temporary string per
// argument).
//
// Arguments may be:
//   - text: anything convertible to std::string_view (std::string, const char*, ...)
//   - UTF-8 text: anything convertible to std::u8string_view (std::u8string,
//     u8"..."), sent as its bytes
//   - bytes: contiguous ranges of std::byte, unsigned char, std::uint8_t or
//     char8_t
//   - integers (decimal), floating point (shortest text that round-trips;
//     inf as "inf"/"-inf"), bool ("1" / "0")
//   - std::pair of arguments (key, value), and ranges of any of the above,
//     flattened in order: a std::vector<std::string>, a std::map<K, V>, ...
// Anything else is a compile-time error naming the argument type. Wide
// characters (wchar_t, char16_t, char32_t) and their strings are refused
// with a message of their own: they are not bytes, and respool won't guess
// an encoding; convert them to UTF-8 first. Characters are never integers:
// no character type is sent as a number.
//
// Thread-safety: pure functions; the output buffer is the caller's.
#pragma once

#include <charconv>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace respool {
namespace encode_detail {

template <class T>
inline constexpr bool is_pair_v = false;
template <class A, class B>
inline constexpr bool is_pair_v<std::pair<A, B>> = true;

template <class T>
concept Text = std::convertible_to<const T&, std::string_view>;

template <class T>
concept Utf8Text = !Text<T> && std::convertible_to<const T&, std::u8string_view>;

template <class T>
concept ByteLike = std::same_as<T, std::byte> || std::same_as<T, unsigned char> || std::same_as<T, char8_t>;

template <class T>
concept Bytes = !Text<T> && !Utf8Text<T> && std::ranges::contiguous_range<const T> &&
                ByteLike<std::remove_cv_t<std::ranges::range_value_t<const T>>>;

template <class T>
concept WideChar = std::same_as<T, wchar_t> || std::same_as<T, char16_t> || std::same_as<T, char32_t>;

// Character types are text, never numbers.
template <class T>
concept CharType = WideChar<T> || std::same_as<T, char> || std::same_as<T, char8_t>;

template <class T>
concept Integer = std::integral<T> && !std::same_as<T, bool> && !CharType<T>;

template <class T>
concept Scalar =
    Text<T> || Utf8Text<T> || Bytes<T> || Integer<T> || std::floating_point<T> || std::same_as<T, bool>;

// A wide character, or anything made of them (std::wstring, u"...", ...).
template <class T>
constexpr bool is_wide() {
  if constexpr (WideChar<std::remove_cv_t<T>>) {
    return true;
  } else if constexpr (std::is_array_v<T>) {
    return is_wide<std::remove_extent_t<T>>();
  } else if constexpr (std::is_pointer_v<T>) {
    return WideChar<std::remove_cv_t<std::remove_pointer_t<T>>>;
  } else if constexpr (std::ranges::input_range<const T>) {
    return is_wide<std::remove_cvref_t<std::ranges::range_reference_t<const T>>>();
  } else {
    return false;
  }
}

template <class T>
struct is_arg;

template <class T>
concept Arg = is_arg<std::remove_cvref_t<T>>::value;

template <class T>
struct is_arg {
  static constexpr bool value = [] {
    if constexpr (Scalar<T>) {
      return true;
    } else if constexpr (is_pair_v<T>) {
      return is_arg<std::remove_cv_t<typename T::first_type>>::value &&
             is_arg<std::remove_cv_t<typename T::second_type>>::value;
    } else if constexpr (std::ranges::input_range<const T>) {
      return is_arg<std::remove_cvref_t<std::ranges::range_reference_t<const T>>>::value;
    } else {
      return false;
    }
  }();
};

// Number of bulk strings an argument becomes.
template <class T>
std::size_t count(const T& a) {
  if constexpr (Scalar<T>) {
    return 1;
  } else if constexpr (is_pair_v<T>) {
    return count(a.first) + count(a.second);
  } else {
    using E = std::remove_cvref_t<std::ranges::range_reference_t<const T>>;
    if constexpr (Scalar<E> && std::ranges::sized_range<const T>) {
      return static_cast<std::size_t>(std::ranges::size(a));
    } else {
      std::size_t n = 0;
      for (const auto& e : a) n += count(e);
      return n;
    }
  }
}

void append_bulk(std::string& out, std::string_view s);
void append_header(std::string& out, char type, std::size_t n);
void append_integer(std::string& out, long long v);
void append_unsigned(std::string& out, unsigned long long v);
void append_double(std::string& out, double v);

template <class T>
void write(std::string& out, const T& a) {
  if constexpr (Text<T>) {
    append_bulk(out, std::string_view(a));
  } else if constexpr (Utf8Text<T>) {
    const std::u8string_view u(a);
    append_bulk(out, std::string_view(reinterpret_cast<const char*>(u.data()), u.size()));
  } else if constexpr (Bytes<T>) {
    const auto* p = reinterpret_cast<const char*>(std::ranges::data(a));
    append_bulk(out, std::string_view(p, std::ranges::size(a)));
  } else if constexpr (std::same_as<T, bool>) {
    append_bulk(out, a ? "1" : "0");
  } else if constexpr (Integer<T> && std::is_signed_v<T>) {
    append_integer(out, static_cast<long long>(a));
  } else if constexpr (Integer<T>) {
    append_unsigned(out, static_cast<unsigned long long>(a));
  } else if constexpr (std::floating_point<T>) {
    append_double(out, static_cast<double>(a));
  } else if constexpr (is_pair_v<T>) {
    write(out, a.first);
    write(out, a.second);
  } else {
    for (const auto& e : a) write(out, e);
  }
}

template <class T>
constexpr void check_arg() {
  static_assert(!is_wide<std::remove_cvref_t<T>>(),
                "respool: wide characters (wchar_t, char16_t, char32_t) and their strings can't be sent "
                "to Redis: they are not bytes. Convert the text to UTF-8 (std::string or std::u8string) "
                "first. The type is the T of this check_arg<T> instantiation.");
  static_assert(is_wide<std::remove_cvref_t<T>>() || is_arg<std::remove_cvref_t<T>>::value,
                "respool: this argument type can't be sent to Redis; use text, bytes, an integer, "
                "a floating-point number, a bool, a std::pair or a range of those. The type "
                "is the T of this check_arg<T> instantiation.");
}

}  // namespace encode_detail

// True when T can be passed as a command argument.
template <class T>
concept CommandArg = encode_detail::Arg<T>;

// Append `name args...` as one RESP array of bulk strings to `out`.
// The command name itself may be multi-word ("CLIENT", "SETNAME", ... are
// separate arguments; "CLIENT SETNAME" is one argument, as Redis sees it).
template <class... Args>
void encode_command(std::string& out, std::string_view name, const Args&... args) {
  (encode_detail::check_arg<Args>(), ...);
  const std::size_t n = 1 + (std::size_t{0} + ... + encode_detail::count(args));
  encode_detail::append_header(out, '*', n);
  encode_detail::append_bulk(out, name);
  (encode_detail::write(out, args), ...);
}

// Runtime form: every element of `argv` is one bulk string (argv[0] is the
// command name). An empty argv appends nothing and returns false.
bool encode_argv(std::string& out, std::span<const std::string_view> argv);

}  // namespace respool
