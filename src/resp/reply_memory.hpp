// The heap one reply holds while the parser builds it, against
// ParserLimits::max_reply_memory (see parser.hpp for what is counted).
//
// Counting is done before each allocation, from what the allocation will
// be, so the limit is never passed, not even for a moment: a vector that
// grows is counted with its old and its new buffer until the old one is
// freed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace respool::detail {

class ReplyMemory {
 public:
  explicit ReplyMemory(std::int64_t limit) noexcept
      : limit_(limit <= 0 ? 0 : static_cast<std::uint64_t>(limit)) {}

  // Bytes the reply may still take.
  std::uint64_t room() const noexcept { return limit_ - used_; }
  // Counts n more bytes; false (nothing counted) when they don't fit.
  bool take(std::uint64_t n) noexcept {
    if (n > room()) return false;
    used_ += n;
    return true;
  }
  // n bytes counted earlier were freed.
  void give_back(std::uint64_t n) noexcept { used_ -= n; }
  std::uint64_t used() const noexcept { return used_; }
  // A reply was handed out or dropped: the next one starts from zero.
  void clear() noexcept { used_ = 0; }

 private:
  std::uint64_t limit_;
  std::uint64_t used_ = 0;
};

// Bytes a string can hold without a heap buffer.
inline std::size_t string_in_place() noexcept {
  static const std::size_t n = std::string().capacity();
  return n;
}

// Heap bytes `s` owns: its capacity and the terminating NUL, or 0 while its
// text fits in the string object itself.
inline std::uint64_t string_heap(const std::string& s) noexcept {
  return s.capacity() > string_in_place() ? s.capacity() + 1 : 0;
}

// At most what string_heap() will say of a string of n bytes that the
// parser builds (constructed from n bytes, or reserved for n): a first heap
// buffer may be rounded up to twice the in-place capacity.
inline std::uint64_t string_heap_bound(std::size_t n) noexcept {
  if (n <= string_in_place()) return 0;
  return std::uint64_t{n < 2 * string_in_place() ? 2 * string_in_place() : n} + 1;
}

}  // namespace respool::detail
