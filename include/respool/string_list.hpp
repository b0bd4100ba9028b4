// respool::StringList: a borrowed list of strings for a parameter, so that a
// call can take keys or arguments either as a braced list or as a range:
//
//   script.run(*pool, {"counter"}, {"5"});                   // braced lists
//   std::vector<std::string> keys = ...;
//   respool::transaction(*pool, keys, fn);                   // any range of strings
//
// It holds views into what it was built from: meant for a parameter (the
// caller's strings outlive the call), not to be stored.
//
// Thread-safety: a plain value.
#pragma once

#include <concepts>
#include <cstddef>
#include <initializer_list>
#include <ranges>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

namespace respool {

class StringList {
 public:
  StringList() = default;
  StringList(std::initializer_list<std::string_view> items) : items_(items) {}  // NOLINT: implicit by design
  // Any input range whose elements convert to std::string_view
  // (std::vector<std::string>, std::array<std::string_view, N>, ...). A
  // range that makes its strings as it goes (a transform view returning
  // std::string by value) is refused: the views would dangle at once.
  template <std::ranges::input_range R>
  requires(std::convertible_to<std::ranges::range_reference_t<const R&>, std::string_view> &&
           !std::is_same_v<std::remove_cvref_t<R>, StringList> &&
           (std::is_lvalue_reference_v<std::ranges::range_reference_t<const R&>> ||
            !std::is_class_v<std::remove_cvref_t<std::ranges::range_reference_t<const R&>>> ||
            std::is_same_v<std::remove_cvref_t<std::ranges::range_reference_t<const R&>>, std::string_view>))
      StringList(const R& range) {  // NOLINT
    if constexpr (std::ranges::sized_range<const R&>) items_.reserve(std::ranges::size(range));
    for (auto&& item : range) items_.emplace_back(item);
  }

  std::span<const std::string_view> items() const noexcept { return items_; }
  std::size_t size() const noexcept { return items_.size(); }
  bool empty() const noexcept { return items_.empty(); }
  auto begin() const noexcept { return items_.begin(); }
  auto end() const noexcept { return items_.end(); }
  std::string_view operator[](std::size_t i) const noexcept { return items_[i]; }

 private:
  std::vector<std::string_view> items_;
};

}  // namespace respool
