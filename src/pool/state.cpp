// PoolState: get, put, waiting and hand-off (see state.hpp for the design).
//
// The fast paths: get() with an idle connection and put() into a pool with
// room are one lock/unlock each, no allocation, one read of the coarse clock
// per pair, in get() (no system call; the steady clock too when idle_timeout
// or max_lifetime is set), and no system call unless the connection sat idle
// past kCheckIdleAfterNs (then one poll()).
#include "pool/state.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

#include "common/secret.hpp"
#include "pool/access.hpp"
#include "respool/error.hpp"

namespace respool::detail {

namespace {
// A copy of the config's dial password, which is wiped in place.
std::string take_password(Config& config) {
  std::string password = config.dial_options.password;
  wipe_secret(config.dial_options.password);
  return password;
}
}  // namespace

PoolState::PoolState(std::string_view network_, std::string_view addr_, Config config, std::error_code error)
    : network(network_),
      addr(addr_),
      dial_password_(take_password(config)),
      cfg_(std::move(config)),
      timed_(cfg_.timed()),
      closed_(static_cast<bool>(error)),
      closed_error_(error ? error : make_error_code(errc::pool_closed)),
      main_(static_cast<std::size_t>(cfg_.size)),
      overflow_(static_cast<std::size_t>(cfg_.overflow)),
      rng_(static_cast<std::minstd_rand::result_type>(std::random_device{}())) {
  const auto now = clock::now();
  if (cfg_.create_interval.count() > 0)
    bucket_ = TokenBucket(cfg_.create_headroom, cfg_.create_interval, now);
  next_ping_ = now + cfg_.ping_interval;
  next_drain_ = now + cfg_.drain_interval;
}

PoolState::~PoolState() { shutdown(); }

// --- get ------------------------------------------------------------------

std::unique_ptr<Client> PoolState::take_idle_locked(clock::time_point now, Dead& dead, std::int64_t& parked) {
  for (;;) {
    Ring<Idle>* r = !main_.empty() ? &main_ : !overflow_.empty() ? &overflow_ : nullptr;
    if (r == nullptr) return nullptr;
    Idle e = r->pop_back();
    if (timed_ && expired(e, now)) {
      retire_expired_locked(e, now);
      PoolAccess::set_owner(*e.conn, nullptr);
      dead.push_back(std::move(e.conn));
      ++closing_;
      continue;
    }
    ++out_;
    PoolAccess::set_owner(*e.conn, this);
    parked = e.parked;
    return std::move(e.conn);
  }
}

std::unique_ptr<Client> PoolState::checked(std::unique_ptr<Client> c, std::int64_t parked) noexcept {
  const std::int64_t now = coarse_now_ns();
  PoolAccess::set_stamp(*c, restamp(PoolAccess::stamp(*c), now));  // put() stamps it idle with this
  if (now - parked < kCheckIdleAfterNs || !c->peer_closed()) [[likely]]
    return c;
  PoolAccess::set_owner(*c, nullptr);  // not abandoned: accounted for below
  const Client* gone = c.get();
  c.reset();  // closed while still counted in out_: max_open holds
  std::lock_guard lk(m_);
  --out_;
  ++st_.closed_peer;
  forget_locked(gone);
  kick_front_locked();
  return nullptr;
}

void PoolState::closed_after_unlock(int n) noexcept {
  if (n == 0) return;
  std::lock_guard lk(m_);
  closing_ -= n;
  kick_front_locked();  // room under max_open for a waiter
}

Result<std::unique_ptr<Client>> PoolState::get(SharedCommand* shared) {
  Lock lk(m_);
  ++st_.gets;
  // Fast path: an idle connection in the main pool and no deadlines to check.
  while (!timed_ && !main_.empty() && !closed_) {
    Idle& e = main_.back();
    Client* c = e.conn.release();
    const std::int64_t parked = e.parked;
    main_.drop_back();
    ++out_;
    lk.unlock();
    PoolAccess::set_owner(*c, this);
    if (auto ok = checked(std::unique_ptr<Client>(c), parked)) [[likely]]
      return ok;
    lk.lock();  // its peer closed it: try the next one
  }
  return get_locked(lk, shared);
}

Result<std::unique_ptr<Client>> PoolState::get_locked(Lock& lk, SharedCommand* shared) {
  if (shared != nullptr) shared->shareable = shareable(shared->name, shared->encoded);
  for (;;) {
    if (closed_) return closed_error_;
    const auto now = timed_ ? clock::now() : clock::time_point{};
    Dead dead;  // expired idle connections
    std::int64_t parked = 0;
    auto c = take_idle_locked(now, dead, parked);
    if (!dead.empty()) {
      // Closed now, before this caller dials or waits: they still hold
      // sockets (and slots under max_open) until then.
      lk.unlock();
      const int n = static_cast<int>(dead.size());
      dead.clear();
      closed_after_unlock(n);
      lk.lock();
      if (!c) continue;  // the pool may have changed meanwhile
    }
    if (c) {
      lk.unlock();
      if (auto ok = checked(std::move(c), parked)) return ok;
      lk.lock();
      continue;
    }
    // Nothing idle. Dial at once when nobody waits ahead of us and the limits
    // allow it; otherwise wait in line.
    if (head_ == nullptr && below_cap_locked() && bucket_.try_take(bucket_.enabled() ? clock::now() : now)) {
      ++dialing_;
      const std::int64_t generation = generation_;
      lk.unlock();
      return dial_reserved(generation);
    }
    auto r = wait(lk, shared != nullptr && shared->shareable ? shared : nullptr);
    if (lk.owns_lock()) lk.unlock();
    return r;
  }
}

Waiter& PoolState::acquire_waiter_locked() {
  if (spare_waiters_.empty()) {
    waiters_.push_back(std::make_unique<Waiter>());
    spare_waiters_.reserve(waiters_.size());  // so release never allocates
    return *waiters_.back();
  }
  Waiter* w = spare_waiters_.back();
  spare_waiters_.pop_back();
  return *w;
}

void PoolState::release_waiter_locked(Waiter& w) noexcept {
  w.cmd = nullptr;
  w.conn.reset();
  w.error.clear();
  w.kicked = w.watching = false;
  spare_waiters_.push_back(&w);
}

Result<std::unique_ptr<Client>> PoolState::wait(Lock& lk, SharedCommand* shared) {
  Waiter& w = acquire_waiter_locked();
  w.cmd = shared;
  // The node goes back to the spare list on every return, with the lock held
  // (the dial path releases it itself before unlocking).
  struct Release {
    PoolState& s;
    Waiter* w;
    ~Release() {
      if (w != nullptr) s.release_waiter_locked(*w);
    }
  } release{*this, &w};
  link_back(&w);
  ++st_.waits;
  const auto start = clock::now();
  const auto deadline = cfg_.get_timeout.count() > 0 ? start + cfg_.get_timeout : clock::time_point::max();
  auto account = [&](clock::time_point now) { st_.wait_time += now - start; };

  for (;;) {
    if (w.conn) {  // handed over by put(); unlinked, out_ counted, owner set
      account(clock::now());
      return std::move(w.conn);
    }
    if (w.error) {  // empty(); unlinked
      account(clock::now());
      return w.error;
    }
    if (w.cmd != nullptr && w.cmd->taken) {  // another cmd() sends it; unlinked
      if (w.cmd->served) {
        account(clock::now());
        return std::unique_ptr<Client>();
      }
      w.cv.wait(lk);
      continue;
    }
    const auto now = clock::now();
    w.kicked = false;
    auto until = deadline;
    if (head_ == &w && below_cap_locked()) {
      if (bucket_.try_take(now)) {
        unlink(&w);
        account(now);
        ++dialing_;
        kick_front_locked();  // the next in line may be able to dial too
        release_waiter_locked(w);
        release.w = nullptr;
        const std::int64_t generation = generation_;
        lk.unlock();
        return dial_reserved(generation);
      }
      w.watching = true;
      until = std::min(until, bucket_.next_token());
    } else {
      w.watching = false;
    }
    if (now >= deadline) {
      unlink(&w);
      account(now);
      ++st_.get_timeouts;
      kick_front_locked();
      return errc::get_timeout;
    }
    if (until == clock::time_point::max()) {
      w.cv.wait(lk);
    } else {
      w.cv.wait_until(lk, until);
    }
  }
}

void PoolState::link_back(Waiter* w) noexcept {
  w->prev = tail_;
  w->next = nullptr;
  if (tail_ != nullptr) {
    tail_->next = w;
  } else {
    head_ = w;
  }
  tail_ = w;
}

void PoolState::unlink(Waiter* w) noexcept {
  (w->prev != nullptr ? w->prev->next : head_) = w->next;
  (w->next != nullptr ? w->next->prev : tail_) = w->prev;
  w->prev = w->next = nullptr;
}

void PoolState::kick_front_locked() noexcept {
  Waiter* f = head_;
  if (f == nullptr || f->kicked || f->watching || !below_cap_locked()) return;
  f->kicked = true;
  f->cv.notify_one();
}

// --- put ------------------------------------------------------------------

std::unique_ptr<Client> PoolState::return_locked(Idle&& e, Waiter** wake) {
  const std::int64_t now = coarse_now_ns();
  if (head_ != nullptr) {
    // Straight to the longest-waiting get().
    Waiter* w = head_;
    unlink(w);
    PoolAccess::set_owner(*e.conn, this);
    PoolAccess::set_stamp(*e.conn, restamp(PoolAccess::stamp(*e.conn), now));
    w->conn = std::move(e.conn);
    ++out_;
    if (wake != nullptr) {
      *wake = w;
    } else {
      w->cv.notify_one();
    }
    kick_front_locked();
    return nullptr;
  }
  PoolAccess::set_owner(*e.conn, &idle_tag_);
  e.parked = now;
  if (!main_.full()) {
    if (timed_) note_deadline_locked(deadline_of(e));
    main_.push_back(std::move(e));
    return nullptr;
  }
  if (!overflow_.full()) {
    if (overflow_.empty()) {
      const auto t = clock::now();
      if (next_drain_ < t) next_drain_ = t + cfg_.drain_interval;
      note_deadline_locked(next_drain_);
    }
    if (timed_) note_deadline_locked(deadline_of(e));
    overflow_.push_back(std::move(e));
    return nullptr;
  }
  ++st_.closed_full;
  forget_locked(e.conn.get());
  PoolAccess::set_owner(*e.conn, nullptr);
  ++closing_;  // the caller closes it, then calls closed_after_unlock(1)
  return std::move(e.conn);
}

std::error_code PoolState::put(std::unique_ptr<Client>&& c) noexcept {
  if (!c) return {};
  Client& client = *c;
  if (PoolAccess::owner(client) != this) return put_foreign(std::move(c), PoolAccess::owner(client));
  // Fast path: clean, no deadlines, nobody waiting, room in the main pool.
  if (!timed_ && client.is_clean()) [[likely]] {
    PoolAccess::reset_for_next_caller(client);
    const std::int64_t parked = PoolAccess::stamp(client);  // when it was handed out: see kCheckIdleAfterNs
    std::unique_lock lk(m_);
    if (head_ == nullptr && !closed_ && !main_.full() && !retired_locked(client)) [[likely]] {
      --out_;
      PoolAccess::set_owner(client, &idle_tag_);
      Idle& slot = main_.push_slot();
      slot.conn = std::move(c);
      slot.parked = parked;
      return {};
    }
  }
  return put_slow(std::move(c));
}

std::error_code PoolState::put_slow(std::unique_ptr<Client>&& c) noexcept {
  const Why why = c->is_clean() ? Why::keep : c->is_closed() ? Why::critical : Why::unclean;
  if (why == Why::keep) PoolAccess::reset_for_next_caller(*c);
  const auto now = timed_ ? clock::now() : clock::time_point{};

  std::unique_ptr<Client> doomed;  // closed after the lock is released; counted in closing_
  std::error_code result;
  Waiter* wake = nullptr;  // handed the connection; notified after the lock is released
  {
    std::lock_guard lk(m_);
    --out_;
    PoolAccess::set_owner(*c, nullptr);  // destroyed below or re-tagged: not abandoned
    if (closed_) {
      ++st_.closed_emptied;
      doomed = std::move(c);
      ++closing_;
      result = errc::pool_closed;
    } else if (why != Why::keep) {
      ++(why == Why::critical ? st_.closed_critical : st_.closed_unclean);
      forget_locked(c.get());
      doomed = std::move(c);
      ++closing_;
    } else if (retired_locked(*c)) {
      ++st_.closed_retired;
      forget_locked(c.get());
      doomed = std::move(c);
      ++closing_;
    } else {
      const auto expires = lifetime_locked(c.get());
      Idle e{std::move(c), now, expires};
      if (timed_ && e.expires <= now) {
        ++st_.closed_lifetime;
        forget_locked(e.conn.get());
        doomed = std::move(e.conn);
        ++closing_;
      } else {
        doomed = return_locked(std::move(e), &wake);  // counted in closing_ when returned
      }
    }
  }
  if (wake != nullptr) wake->cv.notify_one();
  if (doomed) {
    // Closed with no lock held, and only then no longer counted under
    // max_open: a waiter dials only once the socket is gone.
    doomed.reset();
    closed_after_unlock(1);
  }
  return result;
}

void PoolState::abandoned(void* self, Client& c) noexcept {
  auto& s = *static_cast<PoolState*>(self);
  std::lock_guard lk(s.m_);
  --s.out_;
  s.forget_locked(&c);
  ++s.st_.abandoned;
  s.kick_front_locked();  // room under max_open for a waiter
}

std::error_code PoolState::put_foreign(std::unique_ptr<Client>&& c, const void* owner) noexcept {
  if (owner == &idle_tag_) {
    // Already idle in this pool (a second put of the same object): it is
    // owned by the pool, not by this unique_ptr.
    (void)c.release();
  } else {
    c.reset();  // closes it
  }
  std::lock_guard lk(m_);
  ++st_.foreign_puts;
  return errc::foreign_connection;
}

// --- deadlines --------------------------------------------------------------

clock::time_point PoolState::deadline_of(const Idle& e) const noexcept {
  auto t = e.expires;
  if (cfg_.idle_timeout.count() > 0) t = std::min(t, e.since + cfg_.idle_timeout);
  return t;
}

void PoolState::retire_expired_locked(const Idle& e, clock::time_point now) noexcept {
  ++(e.expires <= now ? st_.closed_lifetime : st_.closed_idle);
  forget_locked(e.conn.get());
}

void PoolState::note_deadline_locked(clock::time_point t) noexcept {
  if (t < bg_wake_at_) bg_cv_.notify_one();
}

// --- observers --------------------------------------------------------------

int PoolState::avail() const {
  std::lock_guard lk(m_);
  return static_cast<int>(main_.size() + overflow_.size());
}

PoolStats PoolState::stats() const {
  std::lock_guard lk(m_);
  PoolStats s = st_;
  s.idle = static_cast<int>(main_.size());
  s.overflow = static_cast<int>(overflow_.size());
  s.in_use = out_;
  s.dialing = dialing_;
  return s;
}

}  // namespace respool::detail

namespace respool {

// Here rather than in pool.cpp, so that the compiler may inline the fast
// paths into them.
Result<std::unique_ptr<Client>> Pool::get() { return state_->get(); }
std::error_code Pool::put(std::unique_ptr<Client> client) noexcept { return state_->put(std::move(client)); }

}  // namespace respool
