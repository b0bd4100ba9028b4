// PoolState: the background thread (pings, overflow drain, idle and lifetime
// eviction) and shutdown. The thread sleeps on bg_cv_ until its next
// deadline; nothing polls.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <new>
#include <utility>

#include "common/secret.hpp"
#include "pool/access.hpp"
#include "pool/state.hpp"
#include "respool/error.hpp"

namespace respool::detail {

void PoolState::run() {
  // std::bad_alloc must not end the process (an exception escaping a thread
  // calls std::terminate) nor the pool's maintenance: each step below leaves
  // the pool consistent when it throws, so the loop starts again after a
  // pause (empty() still wakes it).
  for (;;) {
    try {
      maintain();
      return;
    } catch (const std::bad_alloc&) {
      Lock lk(m_);
      if (closed_) return;
      bg_cv_.wait_for(lk, std::chrono::milliseconds(100));
    }
  }
}

void PoolState::maintain() {
  Dead dead;  // counted in closing_ until closed
  dead.reserve(8);
  Lock lk(m_);
  // Closes `dead` with no lock held; they stop counting under max_open once
  // closed. Called and returns with lk locked.
  auto close_dead = [&] {
    const int n = static_cast<int>(dead.size());
    lk.unlock();
    dead.clear();
    lk.lock();
    closing_ -= n;
    kick_front_locked();
  };
  while (!closed_) {
    const auto now = clock::now();
    if (timed_) evict_locked(now, dead);
    if (!overflow_.empty() && now >= next_drain_) {
      drain_one_locked(now, dead);
      next_drain_ = now + cfg_.drain_interval;
    }
    if (cfg_.ping_interval.count() > 0 && now >= next_ping_) {
      next_ping_ = now + cfg_.ping_interval;
      // The connection idle the longest: the front of the main pool, else of
      // the overflow buffer. (Idle connections and waiters never coexist.)
      Ring<Idle>* r = !main_.empty() ? &main_ : !overflow_.empty() ? &overflow_ : nullptr;
      if (r != nullptr) {
        Idle e = r->pop_front();
        ++pinging_;
        if (!dead.empty()) close_dead();
        ping_locked(lk, std::move(e));
        continue;
      }
    }
    if (!dead.empty()) {
      close_dead();
      continue;
    }
    const auto wake = next_wake_locked();
    bg_wake_at_ = wake;
    if (wake == clock::time_point::max()) {
      bg_cv_.wait(lk);
    } else {
      bg_cv_.wait_until(lk, wake);
    }
    bg_wake_at_ = clock::time_point::min();
  }
  if (!dead.empty()) close_dead();
}

clock::time_point PoolState::next_wake_locked() const noexcept {
  auto t = clock::time_point::max();
  if (cfg_.ping_interval.count() > 0) t = std::min(t, next_ping_);
  if (!overflow_.empty()) t = std::min(t, next_drain_);
  if (timed_) {
    for (std::size_t i = 0; i < main_.size(); ++i) t = std::min(t, deadline_of(main_[i]));
    for (std::size_t i = 0; i < overflow_.size(); ++i) t = std::min(t, deadline_of(overflow_[i]));
  }
  return t;
}

void PoolState::evict_locked(clock::time_point now, Dead& dead) {
  std::vector<Idle> gone;
  auto is_expired = [&](const Idle& e) { return expired(e, now); };
  main_.remove_if(is_expired, gone);
  overflow_.remove_if(is_expired, gone);
  for (auto& e : gone) {
    retire_expired_locked(e, now);
    dead.push_back(std::move(e.conn));
    ++closing_;
  }
}

void PoolState::drain_one_locked(clock::time_point /*now*/, Dead& dead) {
  Idle e = overflow_.pop_front();
  if (!main_.full()) {
    main_.push_back(std::move(e));
  } else {
    ++st_.closed_full;
    forget_locked(e.conn.get());
    dead.push_back(std::move(e.conn));
    ++closing_;
  }
}

// Sends PING over `e` with no lock held. Called and returns with lk locked;
// pinging_ counts the connection meanwhile.
void PoolState::ping_locked(Lock& lk, Idle e) {
  Client& c = *e.conn;
  lk.unlock();
  // A duplicate of the socket, for empty() to shut down if the ping hangs:
  // it refers to the same socket even if the client closes its own
  // descriptor (whose number may then be reused), so shutting it down can
  // only ever hit this connection.
  const int dup = ::fcntl(c.native_handle(), F_DUPFD_CLOEXEC, 0);
  lk.lock();
  bool ok = false;
  int fd = dup;  // ours to close unless empty() takes it
  if (!closed_) {
    ping_fd_ = dup;
    lk.unlock();
    c.set_timeouts(cfg_.ping_timeout, cfg_.ping_timeout);
    try {
      const Resp r = c.cmd("PING");
      ok = !r.err() && c.is_clean();
    } catch (const std::bad_alloc&) {
      c.close();  // state unknown: discarded below as a failed ping
    }
    PoolAccess::reset_for_next_caller(c);
    lk.lock();
    ++st_.pings;
    fd = std::exchange(ping_fd_, -1);  // -1 when empty() took it (and closed it)
  }
  --pinging_;
  std::unique_ptr<Client> doomed;  // counted in closing_ until closed
  if (closed_) {
    ++st_.closed_emptied;
    forget_locked(e.conn.get());
    doomed = std::move(e.conn);
    ++closing_;
  } else if (!ok) {
    ++st_.closed_ping_failed;
    forget_locked(e.conn.get());
    doomed = std::move(e.conn);
    ++closing_;
  } else if (retired_locked(*e.conn)) {  // retire() ran during the ping
    ++st_.closed_retired;
    forget_locked(e.conn.get());
    doomed = std::move(e.conn);
    ++closing_;
  } else {
    doomed = return_locked(std::move(e));  // since (last use) is kept; closing_ counted when returned
  }
  lk.unlock();
  if (fd >= 0) ::close(fd);
  const bool closing = doomed != nullptr;
  doomed.reset();
  lk.lock();
  if (closing) {
    --closing_;
    kick_front_locked();
  }
}

void PoolState::retire() {
  Dead dead;
  {
    std::lock_guard lk(m_);
    if (closed_) return;
    ++generation_;
    for (auto* r : {&main_, &overflow_}) {
      while (!r->empty()) {
        Idle e = r->pop_front();
        ++st_.closed_retired;
        forget_locked(e.conn.get());
        dead.push_back(std::move(e.conn));
        ++closing_;
      }
    }
  }
  // Closed with no lock held; they count under max_open until then.
  const int n = static_cast<int>(dead.size());
  dead.clear();
  closed_after_unlock(n);
}

void PoolState::shutdown() {
  std::lock_guard sg(shutdown_m_);
  Dead dead;
  int fd = -1;
  {
    std::lock_guard lk(m_);
    if (!closed_) {
      closed_ = true;
      closed_error_ = errc::pool_closed;
      for (auto* r : {&main_, &overflow_}) {
        while (!r->empty()) {
          ++st_.closed_emptied;
          dead.push_back(r->pop_front().conn);
        }
      }
      while (head_ != nullptr) {
        Waiter* w = head_;
        unlink(w);
        w->error = errc::pool_closed;
        w->cv.notify_one();
      }
      lifetimes_.clear();
    }
    wipe_secret(dial_password_);  // no dial needs it any more
    fd = std::exchange(ping_fd_, -1);
    bg_cv_.notify_all();
  }
  if (fd >= 0) {
    // Interrupt a ping in flight: its blocked read returns at once.
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
  }
  if (bg_.joinable()) bg_.join();
  dead.clear();
}

}  // namespace respool::detail
