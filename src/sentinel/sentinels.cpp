// SentinelSet (see sentinels.hpp).
#include "sentinel/sentinels.hpp"

#include <algorithm>
#include <utility>

#include "common/secret.hpp"
#include "respool/error.hpp"

namespace respool::detail {

SentinelSet::SentinelSet(std::vector<std::string> addrs, DialOptions options)
    : addrs_(std::move(addrs)), options_(std::move(options)) {}

Result<std::unique_ptr<Client>> SentinelSet::dial(const std::string& addr) {
  DialOptions o;
  {
    std::lock_guard lk(m_);
    if (wiped_) return errc::pool_closed;
    o = options_;
  }
  struct Wipe {
    std::string& s;
    ~Wipe() { wipe_secret(s); }
  } wipe{o.password};
  return Client::dial("tcp", addr, o);
}

std::vector<std::string> SentinelSet::addresses() const {
  std::lock_guard lk(m_);
  return addrs_;
}

void SentinelSet::move_to_front(const std::string& addr) {
  std::lock_guard lk(m_);
  auto it = std::find(addrs_.begin(), addrs_.end(), addr);
  if (it != addrs_.end()) std::rotate(addrs_.begin(), it, it + 1);
}

Result<Resp> SentinelSet::ask(std::span<const std::string_view> argv,
                              const std::function<bool(const Resp&)>& accept, std::unique_ptr<Client>* kept) {
  if (kept != nullptr && *kept) {
    Resp r = (*kept)->cmd_argv(argv);
    if (!r.is_io_error() && accept(r)) {
      move_to_front((*kept)->addr());
      return r;
    }
    kept->reset();  // broken, or its sentinel doesn't know: ask them all
  }
  for (const std::string& addr : addresses()) {
    auto c = dial(addr);
    if (!c) {
      if (c.error() == errc::pool_closed) return c.error();
      continue;
    }
    Resp r = (*c)->cmd_argv(argv);
    if (r.is_io_error() || !accept(r)) continue;
    move_to_front(addr);
    if (kept != nullptr) *kept = std::move(*c);
    return r;
  }
  return errc::no_primary;
}

void SentinelSet::wipe() noexcept {
  std::lock_guard lk(m_);
  wiped_ = true;
  wipe_secret(options_.password);
}

}  // namespace respool::detail
