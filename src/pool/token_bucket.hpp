// TokenBucket: the pool's creation limit (CreateLimit), computed lazily from
// the clock, so nothing has to tick (private).
//
// Capacity `headroom`, full at the start. Taking a token from a full bucket
// starts the refill clock; while the bucket is not full, one token comes back
// every `interval`. With capacity 0 no token is ever stored: a creation slot
// opens one interval after the start and then one interval after each
// creation, so creations are at most one per interval.
//
// Thread-safety: none; the pool's mutex guards it.
#pragma once

#include <chrono>

namespace respool::detail {

class TokenBucket {
 public:
  using clock = std::chrono::steady_clock;

  // Disabled: every take succeeds.
  TokenBucket() = default;
  TokenBucket(int headroom, std::chrono::nanoseconds interval, clock::time_point start) noexcept
      : cap_(headroom), tokens_(headroom), interval_(interval), next_(start + interval) {}

  bool enabled() const noexcept { return interval_.count() > 0; }

  // Takes a token when one is available at `now`.
  bool try_take(clock::time_point now) noexcept {
    if (!enabled()) return true;
    if (cap_ == 0) {
      if (now < next_) return false;
      next_ = now + interval_;
      return true;
    }
    refill(now);
    if (tokens_ == 0) return false;
    if (tokens_ == cap_) next_ = now + interval_;
    --tokens_;
    return true;
  }

  // When the next token is due. Meaningful after try_take() failed.
  clock::time_point next_token() const noexcept { return next_; }

  // Tokens available at `now` (for tests).
  int available(clock::time_point now) noexcept {
    if (!enabled()) return 1;
    if (cap_ == 0) return now >= next_ ? 1 : 0;
    refill(now);
    return tokens_;
  }

 private:
  void refill(clock::time_point now) noexcept {
    if (tokens_ >= cap_ || now < next_) return;
    const auto n = (now - next_) / interval_ + 1;
    if (n >= cap_ - tokens_) {
      tokens_ = cap_;
    } else {
      tokens_ += static_cast<int>(n);
      next_ += n * interval_;
    }
  }

  int cap_ = 0;
  int tokens_ = 0;
  std::chrono::nanoseconds interval_{0};
  clock::time_point next_{};
};

}  // namespace respool::detail
