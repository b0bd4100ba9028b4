// Watcher: the thread that follows failovers (see watcher.hpp).
#include "sentinel/watcher.hpp"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "sentinel/replies.hpp"

namespace respool::detail {

namespace {
constexpr const char* kThreadName = "respool-watcher";  // at most 15 characters
using clock = std::chrono::steady_clock;
}  // namespace

Watcher::Watcher(std::shared_ptr<Target> target, std::weak_ptr<Pool> pool,
                 std::chrono::nanoseconds recheck_interval, bool subscribe)
    : target_(std::move(target)),
      pool_(std::move(pool)),
      recheck_interval_(recheck_interval),
      subscribe_(subscribe),
      wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

Watcher::~Watcher() {
  {
    std::lock_guard lk(m_);
    stop_ = true;
  }
  cv_.notify_all();
  if (wake_fd_ >= 0) {
    const std::uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);  // ends a poll() in flight
  }
  if (thread_.joinable()) thread_.join();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

std::error_code Watcher::start() {
  try {
    thread_ = std::thread([this] { run(); });
  } catch (const std::system_error& e) {
    return e.code();
  }
  pthread_setname_np(thread_.native_handle(), kThreadName);  // cosmetic: failure ignored
  return {};
}

bool Watcher::should_stop() {
  {
    std::lock_guard lk(m_);
    if (stop_) return true;
  }
  auto pool = pool_.lock();
  return !pool || pool->closed();
}

void Watcher::retire() {
  if (auto pool = pool_.lock()) pool->retire_connections();
}

void Watcher::run() noexcept {
  // std::bad_alloc must not end the process: the loop starts again after a
  // pause, its connections dropped.
  for (;;) {
    try {
      loop();
      break;
    } catch (const std::bad_alloc&) {
      sub_.reset();
      query_.reset();
      std::unique_lock lk(m_);
      if (cv_.wait_for(lk, kStopCheck, [this] { return stop_; })) break;
    }
  }
  sub_.reset();
  query_.reset();
  // The pool is gone or emptied: no dial needs the passwords any more.
  target_->close();
}

void Watcher::loop() {
  auto next_recheck = clock::now() + recheck_interval_;
  auto next_subscribe = clock::now();
  while (!should_stop()) {
    if (target_->take_changed()) retire();
    auto now = clock::now();
    if (subscribe_ && !sub_ && now >= next_subscribe) {
      subscribe();
      next_subscribe = clock::now() + recheck_interval_;
    }
    const bool subscribed = sub_ != nullptr;
    wait_step(recheck_now_ ? clock::now() : next_recheck);
    if (subscribed && !sub_) next_subscribe = clock::now();  // lost: the next sentinel, at once
    now = clock::now();
    if (recheck_now_ || now >= next_recheck) {
      recheck_now_ = false;
      (void)target_->refresh(&query_);  // failures: asked again next time
      next_recheck = clock::now() + recheck_interval_;
    }
  }
}

void Watcher::subscribe() {
  const std::vector<std::string> addrs = target_->sentinels().addresses();
  // Each sentinel in turn, from the one after the last that failed.
  for (std::size_t i = 0; i < addrs.size(); ++i) {
    const std::size_t at = sub_index_++ % addrs.size();
    auto c = target_->sentinels().dial(addrs[at]);
    if (!c) continue;
    (*c)->pipe_append("SUBSCRIBE", "+switch-master");
    const Resp confirmed = (*c)->pipe_resp();
    if (confirmed.err() || (*c)->subscriptions() != 1) continue;
    sub_ = std::move(*c);
    sub_index_ = at + 1;  // should it fail, the next one
    // Rechecks (and dials) ask this sentinel first: the one whose
    // announcements it hears. Another, still unaware of a failover this one
    // announced, would name the old primary again.
    target_->sentinels().move_to_front(addrs[at]);
    if (query_ && query_->addr() != addrs[at]) query_.reset();
    // Announcements made before it listened are caught by this recheck.
    recheck_now_ = true;
    return;
  }
}

void Watcher::wait_step(clock::time_point until) {
  const auto now = clock::now();
  const auto wait = std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(until - now),
                               std::chrono::milliseconds(0), std::chrono::milliseconds(kStopCheck));
  if (!sub_) {
    std::unique_lock lk(m_);
    cv_.wait_for(lk, wait, [this] { return stop_; });
    return;
  }
  // The stop signal too (without eventfd, -1: poll() skips it and a stop
  // waits for this poll's end).
  pollfd p[2] = {{sub_->native_handle(), POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  const int n = ::poll(p, 2, static_cast<int>(wait.count()));
  if (n <= 0 || p[0].revents == 0) return;  // nothing yet, EINTR, or a stop
  const Resp m = sub_->read_reply();
  if (m.is_io_error()) {
    sub_.reset();  // its sentinel went away: the next one, at once
    return;
  }
  if (auto addr = parse_switch_master(m, target_->name())) {
    target_->announce_primary(*addr);
    recheck_now_ = true;  // confirms it, and follows replicas
  }
}

}  // namespace respool::detail
