// pubsub::Core: wanted subscriptions, waiters for confirmations, the
// bounded buffer (see core.hpp).
#include "pubsub/core.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/ascii.hpp"
#include "respool/error.hpp"

namespace respool::pubsub {
namespace {

constexpr std::string_view kCommands[] = {"SUBSCRIBE",   "PSUBSCRIBE",   "SSUBSCRIBE",
                                          "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE"};

}  // namespace

std::string_view command_of(Op op) noexcept { return kCommands[static_cast<int>(op)]; }

std::optional<Op> op_of_confirmation(std::string_view kind) noexcept {
  for (int i = 0; i < 6; ++i)
    if (detail::iequals(kind, kCommands[i])) return static_cast<Op>(i);
  return std::nullopt;
}

Core::Core(SubscriberOptions options) : options_(std::move(options)) {
  if (::pipe2(wake_, O_NONBLOCK | O_CLOEXEC) != 0) {
    wake_error_ = std::error_code(errno, std::system_category());
    wake_[0] = wake_[1] = -1;
  }
}

Core::~Core() {
  for (int fd : wake_)
    if (fd >= 0) ::close(fd);
}

std::error_code Core::request(Op op, const std::vector<std::string>& names) {
  const Family f = family_of(op);
  Waiter waiter;
  std::unique_lock lock(mu_);
  if (stopped_) return errc::client_closed;
  Task task{op, {}};
  if (is_unsubscribe(op) && names.empty()) {
    task.names.assign(wanted_[f].begin(), wanted_[f].end());
  } else {
    task.names = names;
    std::sort(task.names.begin(), task.names.end());
    task.names.erase(std::unique(task.names.begin(), task.names.end()), task.names.end());
  }
  if (task.names.empty()) return {};
  for (const std::string& n : task.names) {
    if (is_unsubscribe(op)) {
      wanted_[f].erase(n);
    } else {
      wanted_[f].insert(n);
    }
    waiter.waiting.emplace(op, n);
  }
  tasks_.push_back(std::move(task));
  wake();
  // The reader can't wait for itself: it takes the task on its next turn.
  if (std::this_thread::get_id() == reader_) return {};
  waiters_.push_back(&waiter);
  const auto deadline = std::chrono::steady_clock::now() + options_.confirm_timeout;
  confirm_cv_.wait_until(lock, deadline, [&] { return stopped_ || waiter.waiting.empty(); });
  waiters_.remove(&waiter);
  if (waiter.error) return waiter.error;
  if (waiter.waiting.empty()) return {};
  return stopped_ ? std::error_code(errc::client_closed) : std::error_code(errc::timeout);
}

void Core::settle_locked(Op op, const std::string& name, std::error_code ec) {
  bool any = false;
  for (Waiter* w : waiters_) {
    auto it = w->waiting.find({op, name});
    if (it == w->waiting.end()) continue;
    w->waiting.erase(it);
    if (ec && !w->error) w->error = ec;
    any = true;
  }
  if (any) confirm_cv_.notify_all();
}

void Core::confirmed(Op op, const std::string& name) {
  std::lock_guard lock(mu_);
  settle_locked(op, name, {});
}

void Core::refused(Op op, const std::string& name, std::error_code ec) {
  std::lock_guard lock(mu_);
  if (!is_unsubscribe(op)) wanted_[family_of(op)].erase(name);
  settle_locked(op, name, ec);
}

std::optional<Message> Core::next(std::chrono::nanoseconds timeout) {
  if (options_.on_message) return std::nullopt;
  std::unique_lock lock(mu_);
  if (!messages_cv_.wait_for(lock, timeout, [&] { return stopped_ || !buffer_.empty(); }))
    return std::nullopt;
  if (buffer_.empty()) return std::nullopt;
  Message m = std::move(buffer_.front());
  buffer_.pop_front();
  if (m.is_notice()) --notices_;
  ++stats_.delivered;
  return m;
}

void Core::deliver(Message m) {
  if (options_.on_message) {
    options_.on_message(std::move(m));
    std::lock_guard lock(mu_);
    ++stats_.delivered;
    return;
  }
  std::lock_guard lock(mu_);
  if (buffer_.size() >= options_.buffer_size && notices_ < buffer_.size()) {
    // Full: the oldest message goes (a notice stays: it says a loss happened).
    auto oldest =
        std::find_if(buffer_.begin(), buffer_.end(), [](const Message& b) { return !b.is_notice(); });
    buffer_.erase(oldest);
    ++stats_.dropped;
  }
  if (m.is_notice()) ++notices_;
  buffer_.push_back(std::move(m));
  messages_cv_.notify_one();
}

SubscriberStats Core::stats() const {
  std::lock_guard lock(mu_);
  SubscriberStats s = stats_;
  s.buffered = buffer_.size();
  return s;
}

void Core::stop() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
  }
  messages_cv_.notify_all();
  confirm_cv_.notify_all();
  wake();
}

bool Core::stopped() const {
  std::lock_guard lock(mu_);
  return stopped_;
}

void Core::set_reader_thread(std::thread::id id) {
  std::lock_guard lock(mu_);
  reader_ = id;
}

bool Core::on_reader_thread() const {
  std::lock_guard lock(mu_);
  return std::this_thread::get_id() == reader_;
}

std::vector<Task> Core::take_tasks() {
  std::lock_guard lock(mu_);
  return std::exchange(tasks_, {});
}

void Core::count_received() noexcept {
  std::lock_guard lock(mu_);
  ++stats_.received;
}
void Core::count_reconnect() noexcept {
  std::lock_guard lock(mu_);
  ++stats_.reconnects;
}
void Core::count_disconnect() noexcept {
  std::lock_guard lock(mu_);
  ++stats_.disconnects;
}
void Core::count_resubscribed() noexcept {
  std::lock_guard lock(mu_);
  ++stats_.resubscribed;
}
void Core::count_ping() noexcept {
  std::lock_guard lock(mu_);
  ++stats_.pings;
}

void Core::wake() noexcept {
  if (wake_[1] < 0) return;
  const char b = 1;
  // A full pipe already wakes the reader: EAGAIN is fine.
  [[maybe_unused]] const auto n = ::write(wake_[1], &b, 1);
}

void Core::drain_wake() noexcept {
  char buf[64];
  while (wake_[0] >= 0 && ::read(wake_[0], buf, sizeof buf) > 0) {
  }
}

}  // namespace respool::pubsub
