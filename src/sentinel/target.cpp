// Target: discovery, the ROLE check, and the pool's dial function (see
// target.hpp).
#include "sentinel/target.hpp"

#include <algorithm>
#include <array>
#include <string_view>
#include <utility>

#include "common/secret.hpp"
#include "respool/error.hpp"
#include "sentinel/replies.hpp"

namespace respool::detail {

Target::Target(std::vector<std::string> sentinels, DialOptions sentinel_options, std::string name, Role role,
               DialFunc user_dial, DialOptions data_options)
    : sentinels_(std::move(sentinels), std::move(sentinel_options)),
      name_(std::move(name)),
      role_(role),
      user_dial_(std::move(user_dial)),
      data_options_(std::move(data_options)) {}

std::error_code Target::refresh(std::unique_ptr<Client>* kept) {
  const std::array<std::string_view, 3> master{"SENTINEL", "GET-MASTER-ADDR-BY-NAME", name_};
  auto m = sentinels_.ask(
      master, [](const Resp& x) { return parse_master_addr(x).has_value(); }, kept);
  // No sentinel reachable, or none knows the name: asking them all again
  // for replicas would only double the wait.
  if (!m) return m.error();
  const std::string primary = *parse_master_addr(*m);
  if (role_ == Role::primary) {
    update({primary});
    return {};
  }
  forget(primary);
  // A sentinel that knows no healthy replica is passed over: another may.
  const std::array<std::string_view, 3> argv{"SENTINEL", "REPLICAS", name_};
  auto r = sentinels_.ask(
      argv,
      [&primary](const Resp& x) {
        auto healthy = parse_healthy_replicas(x);
        return healthy && std::any_of(healthy->begin(), healthy->end(),
                                      [&primary](const std::string& a) { return a != primary; });
      },
      kept);
  if (!r) return r.error();
  std::vector<std::string> replicas = *parse_healthy_replicas(*r);
  std::erase(replicas, primary);
  update(std::move(replicas));
  return {};
}

std::error_code Target::refresh_shared() {
  std::unique_lock lk(refresh_m_);
  if (refreshing_) {
    const std::uint64_t seen = refreshes_;
    refresh_cv_.wait(lk, [&] { return refreshes_ != seen; });
    return refresh_error_;
  }
  refreshing_ = true;
  lk.unlock();
  std::error_code ec = errc::no_primary;
  struct Done {
    Target& t;
    std::error_code& ec;
    ~Done() {  // also when refresh() throws (std::bad_alloc): nobody waits forever
      std::lock_guard g(t.refresh_m_);
      t.refreshing_ = false;
      ++t.refreshes_;
      t.refresh_error_ = ec;
      t.refresh_cv_.notify_all();
    }
  } done{*this, ec};
  ec = refresh();
  return ec;
}

void Target::announce_primary(const std::string& addr) {
  if (role_ == Role::primary) {
    update({addr});
  } else {
    forget(addr);
  }
}

void Target::forget(const std::string& addr) {
  std::lock_guard lk(m_);
  if (std::erase(cache_, addr) > 0) changed_ = true;
}

void Target::update(std::vector<std::string> addrs) {
  std::lock_guard lk(m_);
  bool gone = false;
  for (const auto& a : cache_) gone = gone || std::find(addrs.begin(), addrs.end(), a) == addrs.end();
  if (gone) changed_ = true;
  cache_ = std::move(addrs);
}

std::string Target::current() const {
  std::lock_guard lk(m_);
  return cache_.empty() ? std::string() : cache_.front();
}

std::string Target::pick() {
  std::lock_guard lk(m_);
  if (cache_.empty()) return {};
  return cache_[next_++ % cache_.size()];
}

Result<std::unique_ptr<Client>> Target::dial_to(const std::string& addr) {
  if (user_dial_) return user_dial_("tcp", addr);
  DialOptions o;
  {
    std::lock_guard lk(m_);
    if (closed_) return errc::pool_closed;
    o = data_options_;
  }
  struct Wipe {
    std::string& s;
    ~Wipe() { wipe_secret(s); }
  } wipe{o.password};
  return Client::dial("tcp", addr, o);
}

Result<std::unique_ptr<Client>> Target::dial() {
  std::error_code last = errc::no_primary;
  for (int attempt = 0; attempt < 2; ++attempt) {
    // First the cached address; the retry (and a first dial with nothing
    // cached) asks the sentinels again.
    std::string addr = attempt == 0 ? pick() : std::string();
    if (addr.empty()) {
      if (auto ec = refresh_shared()) return ec;
      addr = pick();
      if (addr.empty()) return errc::no_primary;
    }
    auto c = dial_to(addr);
    if (!c) {
      if (c.error() == errc::pool_closed) return c.error();
      last = c.error();
      continue;
    }
    if (!*c) return errc::invalid_argument;  // a DialFunc returned a null client
    const Resp role = (**c).cmd("ROLE");
    if (role_matches(role, role_)) return c;
    // Not what the sentinels said (a demoted primary, a promoted replica):
    // closed, and asked again.
    last = role.is_io_error() ? role.err() : make_error_code(errc::no_primary);
  }
  return last;
}

void Target::close() noexcept {
  {
    std::lock_guard lk(m_);
    closed_ = true;
    wipe_secret(data_options_.password);
  }
  sentinels_.wipe();
}

}  // namespace respool::detail
