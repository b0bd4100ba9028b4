// respool::Result<T>: a value or the std::error_code that says why there is none.
//
// It has the interface of C++23 std::expected<T, std::error_code>
// (has_value, operator bool, operator*, operator->, value, error, value_or),
// so code written against it moves to std::expected unchanged. Errors are
// values on the normal path: only value() on an error throws
// (std::system_error), as std::expected::value() would.
//
// Thread-safety: a Result is a plain value; no internal synchronisation.
#pragma once

#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace respool {

template <class T>
class [[nodiscard]] Result {
  static_assert(!std::is_reference_v<T>, "Result<T&> is not supported");
  static_assert(!std::is_same_v<std::remove_cv_t<T>, std::error_code>,
                "Result<std::error_code> would be ambiguous");

 public:
  using value_type = T;
  using error_type = std::error_code;

  // A default Result holds a value-initialised T, as std::expected does.
  Result() requires std::is_default_constructible_v<T> : v_(std::in_place_index<0>) {}
  Result(const T& v) : v_(std::in_place_index<0>, v) {}        // NOLINT: implicit by design
  Result(T&& v) : v_(std::in_place_index<0>, std::move(v)) {}  // NOLINT
  template <class U>
  requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::remove_cvref_t<U>, T> &&
           !std::is_same_v<std::remove_cvref_t<U>, Result> &&
           !std::is_error_code_enum_v<std::remove_cvref_t<U>> &&
           !std::is_same_v<std::remove_cvref_t<U>, std::error_code>) Result(U&& v)
      : v_(std::in_place_index<0>, std::forward<U>(v)) {}       // NOLINT
  Result(std::error_code e) : v_(std::in_place_index<1>, e) {}  // NOLINT
  template <class E>
  requires std::is_error_code_enum_v<E> Result(E e)
      : v_(std::in_place_index<1>, make_error_code(e)) {}  // NOLINT

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  // Precondition for *, ->: has_value().
  T& operator*() & noexcept { return *std::get_if<0>(&v_); }
  const T& operator*() const& noexcept { return *std::get_if<0>(&v_); }
  T&& operator*() && noexcept { return std::move(*std::get_if<0>(&v_)); }
  T* operator->() noexcept { return std::get_if<0>(&v_); }
  const T* operator->() const noexcept { return std::get_if<0>(&v_); }

  // Throws std::system_error(error()) when there is no value.
  T& value() & {
    check();
    return *std::get_if<0>(&v_);
  }
  const T& value() const& {
    check();
    return *std::get_if<0>(&v_);
  }
  T&& value() && {
    check();
    return std::move(*std::get_if<0>(&v_));
  }

  template <class U>
  T value_or(U&& alt) const& {
    return has_value() ? **this : static_cast<T>(std::forward<U>(alt));
  }
  template <class U>
  T value_or(U&& alt) && {
    return has_value() ? std::move(**this) : static_cast<T>(std::forward<U>(alt));
  }

  // The error; an empty std::error_code when there is a value.
  std::error_code error() const noexcept {
    const auto* e = std::get_if<1>(&v_);
    return e ? *e : std::error_code{};
  }

 private:
  void check() const {
    if (!has_value()) throw std::system_error(*std::get_if<1>(&v_));
  }
  std::variant<T, std::error_code> v_;
};

// Result<void>: success, or the error that prevented it.
template <>
class [[nodiscard]] Result<void> {
 public:
  using value_type = void;
  using error_type = std::error_code;

  Result() = default;
  Result(std::error_code e) : e_(e) {}  // NOLINT: implicit by design
  template <class E>
  requires std::is_error_code_enum_v<E> Result(E e) : e_(make_error_code(e)) {}  // NOLINT

  bool has_value() const noexcept { return !e_; }
  explicit operator bool() const noexcept { return has_value(); }
  void operator*() const noexcept {}
  void value() const {
    if (e_) throw std::system_error(e_);
  }
  std::error_code error() const noexcept { return e_; }

 private:
  std::error_code e_;
};

}  // namespace respool
