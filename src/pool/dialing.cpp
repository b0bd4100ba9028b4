// PoolState: dialing new connections (on demand and at creation) and their
// lifetimes. No lock is held while a dial runs.
#include <pthread.h>

#include <algorithm>
#include <utility>

#include "common/secret.hpp"
#include "pool/access.hpp"
#include "pool/state.hpp"
#include "respool/error.hpp"

namespace respool::detail {

namespace {
constexpr const char* kBackgroundThreadName = "respool-pool";  // at most 15 characters
}  // namespace

Result<std::unique_ptr<Client>> PoolState::dial_one() {
  auto r = cfg_.dial ? cfg_.dial(network, addr) : dial_default();
  if (!r) return r.error();
  if (!*r) return errc::invalid_argument;  // a DialFunc returned a null client
  if (auto ec = PoolAccess::adopt(**r)) return ec;
  PoolAccess::set_home(**r, weak_from_this(), &PoolState::abandoned);
  return r;
}

Result<std::unique_ptr<Client>> PoolState::dial_default() {
  DialOptions o = cfg_.dial_options;
  struct Wipe {
    std::string& s;
    ~Wipe() { wipe_secret(s); }
  } wipe{o.password};
  {
    std::lock_guard lk(m_);
    if (closed_) return errc::pool_closed;  // the password is gone
    o.password = dial_password_;
  }
  return Client::dial(network, addr, o);
}

Result<std::unique_ptr<Client>> PoolState::dial_reserved(std::int64_t generation) {
  Result<std::unique_ptr<Client>> r = errc::invalid_argument;
  try {
    r = dial_one();
  } catch (...) {
    // A throwing DialFunc: give the reservation back, then let it through.
    std::lock_guard lk(m_);
    --dialing_;
    ++st_.dial_errors;
    kick_front_locked();
    throw;
  }
  Lock lk(m_);
  --dialing_;
  if (!r) {
    ++st_.dial_errors;
    kick_front_locked();  // the slot we held is free again
    return r.error();
  }
  ++st_.dials;
  if (closed_) {
    ++st_.closed_emptied;
    lk.unlock();
    r->reset();  // close outside the lock
    return errc::pool_closed;
  }
  const auto now = clock::now();
  if (cfg_.max_lifetime.count() > 0) lifetimes_.insert_or_assign(r->get(), draw_expiry_locked(now));
  ++out_;
  PoolAccess::set_owner(**r, this);
  // Of the generation it was reserved in: a retire() during the dial makes
  // it close when it comes back.
  PoolAccess::set_stamp(**r, restamp(generation, coarse_now_ns()));
  return r;
}

clock::time_point PoolState::draw_expiry_locked(clock::time_point now) {
  // Uniform in [0.9, 1.0] x max_lifetime.
  const auto full = cfg_.max_lifetime.count();
  std::uniform_int_distribution<nanoseconds::rep> d(full - full / 10, full);
  return now + nanoseconds(d(rng_));
}

clock::time_point PoolState::lifetime_locked(const Client* c) const noexcept {
  if (cfg_.max_lifetime.count() == 0) return clock::time_point::max();
  auto it = lifetimes_.find(c);
  return it == lifetimes_.end() ? clock::time_point::max() : it->second;
}

std::error_code PoolState::start() {
  std::error_code first_error;
  const int n = cfg_.max_open > 0 ? std::min(cfg_.size, cfg_.max_open) : cfg_.size;
  for (int i = 0; i < n; ++i) {
    auto r = dial_one();
    std::lock_guard lk(m_);
    if (!r) {
      ++st_.dial_errors;
      first_error = r.error();
      break;
    }
    ++st_.dials;
    const auto now = clock::now();
    Idle e{std::move(*r), now, clock::time_point::max(), coarse_now_ns()};
    if (cfg_.max_lifetime.count() > 0) {
      e.expires = draw_expiry_locked(now);
      lifetimes_.insert_or_assign(e.conn.get(), e.expires);
    }
    PoolAccess::set_owner(*e.conn, &idle_tag_);
    main_.push_back(std::move(e));
  }
  if (cfg_.needs_background()) {
    try {
      bg_ = std::thread([this] { run(); });
      // Named before create() returns, so it can be told apart in top -H,
      // gdb and the tests from the first moment (best effort: a name is
      // cosmetic, its failure is ignored).
      pthread_setname_np(bg_.native_handle(), kBackgroundThreadName);
    } catch (const std::system_error& e) {
      // No thread: a pool without its maintenance would break its promises.
      shutdown();
      std::lock_guard lk(m_);
      closed_error_ = e.code();
      return e.code();
    }
  }
  return first_error;
}

}  // namespace respool::detail
