// Ring<T>: a fixed-capacity double-ended queue with no allocation after
// reset(): the pool's idle list and overflow buffer (private).
//
// Front = oldest entry, back = newest. The pool pushes returned connections
// at the back and hands out from the back (LIFO); pings and drains take from
// the front (the entry idle the longest).
//
// Thread-safety: none; the pool's mutex guards it.
#pragma once

#include <cassert>
#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

namespace respool::detail {

template <class T>
class Ring {
 public:
  Ring() = default;
  explicit Ring(std::size_t capacity) { reset(capacity); }

  // Drops every entry and sets the capacity.
  void reset(std::size_t capacity) {
    slots_ = capacity ? std::make_unique<T[]>(capacity) : nullptr;
    cap_ = capacity;
    head_ = 0;
    count_ = 0;
  }

  std::size_t size() const noexcept { return count_; }
  std::size_t capacity() const noexcept { return cap_; }
  bool empty() const noexcept { return count_ == 0; }
  bool full() const noexcept { return count_ == cap_; }

  // Logical index: 0 = front.
  T& operator[](std::size_t i) noexcept { return slots_[phys(i)]; }
  const T& operator[](std::size_t i) const noexcept { return slots_[phys(i)]; }

  // Precondition: !full().
  void push_back(T&& v) noexcept {
    assert(!full());
    slots_[phys(count_)] = std::move(v);
    ++count_;
  }
  // The slot one past the back, made part of the ring: for filling in place.
  // Precondition: !full(). (Slots of removed entries hold moved-from values.)
  T& push_slot() noexcept {
    assert(!full());
    T& s = slots_[phys(count_)];
    ++count_;
    return s;
  }
  // Precondition: !empty().
  T& back() noexcept { return slots_[phys(count_ - 1)]; }
  // Forget the back entry; the caller moved its contents out first.
  void drop_back() noexcept {
    assert(!empty());
    --count_;
  }
  // Precondition: !empty().
  T pop_back() noexcept {
    assert(!empty());
    --count_;
    return std::move(slots_[phys(count_)]);
  }
  T pop_front() noexcept {
    assert(!empty());
    T v = std::move(slots_[head_]);
    head_ = head_ + 1 == cap_ ? 0 : head_ + 1;
    --count_;
    return v;
  }

  // Moves every entry for which pred(entry) is true to `out` (oldest first),
  // keeping the others in order.
  template <class Pred>
  void remove_if(Pred pred, std::vector<T>& out) {
    out.reserve(out.size() + count_);  // may throw; after it, nothing does
    std::size_t kept = 0;
    for (std::size_t i = 0; i < count_; ++i) {
      T& e = slots_[phys(i)];
      if (pred(e)) {
        out.push_back(std::move(e));
      } else {
        if (kept != i) slots_[phys(kept)] = std::move(e);
        ++kept;
      }
    }
    for (std::size_t i = kept; i < count_; ++i) slots_[phys(i)] = T{};
    count_ = kept;
  }

 private:
  std::size_t phys(std::size_t i) const noexcept {
    const std::size_t p = head_ + i;
    return p >= cap_ ? p - cap_ : p;
  }

  std::unique_ptr<T[]> slots_;
  std::size_t cap_ = 0;
  std::size_t head_ = 0;
  std::size_t count_ = 0;
};

}  // namespace respool::detail
