// respool::sentinel_pool: argument checks, discovery at creation, and the
// assembly of Pool + Target + Watcher.
//
// Ownership: the Pool the caller gets shares ownership with a Holder that
// owns the real Pool and the Watcher (an aliasing shared_ptr). When the
// caller's last reference goes, ~Holder stops and joins the watcher (on the
// caller's thread: the watcher holds the Pool only weakly and never the
// Holder), then destroys the Pool, then wipes the Target's passwords. The
// pool's dial function holds the Target, not the Holder: a Lease that
// outlives the Pool keeps no thread alive.
#include <memory>
#include <string>
#include <utility>

#include "net/address.hpp"
#include "pool/state.hpp"
#include "respool/error.hpp"
#include "respool/sentinel.hpp"
#include "sentinel/target.hpp"
#include "sentinel/watcher.hpp"

namespace respool {
namespace {

struct Holder {
  std::shared_ptr<Pool> pool;
  std::shared_ptr<detail::Target> target;
  std::unique_ptr<detail::Watcher> watcher;

  ~Holder() {
    watcher.reset();  // stops and joins
    pool.reset();
    target->close();
  }
};

// A pool created closed, failing with the error Pool::create gives for the
// same kind of bad argument (it never dials).
Pool::CreateResult closed_pool(std::string_view bad_addr, int size, const PoolOptions& options) {
  if (!bad_addr.empty()) return Pool::create("tcp", bad_addr, 0);  // bad_address
  if (detail::validate("tcp", "127.0.0.1:1", size, options))       // the option's error
    return Pool::create("tcp", "127.0.0.1:1", size, options);
  return Pool::create("tcp", "127.0.0.1:1", -1);  // invalid_argument
}

}  // namespace

Pool::CreateResult sentinel_pool(const std::vector<std::string>& sentinels, std::string_view master_name,
                                 int size, SentinelOptions options) {
  // --- arguments: nothing is dialed when one is bad ---
  for (const auto& s : sentinels) {
    if (!net::split_host_port(s)) return closed_pool(s, size, options.pool);
  }
  if (detail::validate("tcp", "127.0.0.1:1", size, options.pool) || sentinels.empty() ||
      master_name.empty() || options.recheck_interval.count() <= 0 ||
      (options.role != Role::primary && options.role != Role::replica))
    return closed_pool({}, size, options.pool);

  // --- discovery, then the pool, dialing through the Target ---
  auto target = std::make_shared<detail::Target>(
      sentinels, std::move(options.sentinel_dial_options), std::string(master_name), options.role,
      std::move(options.pool.dial), std::move(options.pool.dial_options));
  const std::error_code found = target->refresh();
  const std::string addr = found ? sentinels.front() : target->current();
  PoolOptions po = std::move(options.pool);
  po.dial = [target](std::string_view, std::string_view) { return target->dial(); };
  po.dial_options = DialOptions{};  // the Target keeps (and wipes) the data dial options
  auto made = Pool::create("tcp", addr, size, std::move(po));
  (void)target->take_changed();  // the pre-dials may have asked again: nothing to retire yet

  auto holder = std::make_shared<Holder>();
  holder->pool = made.pool;
  holder->target = target;
  holder->watcher = std::make_unique<detail::Watcher>(target, std::weak_ptr<Pool>(made.pool),
                                                      options.recheck_interval, options.subscribe);
  if (auto ec = holder->watcher->start()) {
    // No watcher: a pool that can't follow a failover would break its promise.
    holder->pool->empty();
    return {std::shared_ptr<Pool>(holder, holder->pool.get()), ec};
  }
  std::error_code error = made.error ? made.error : found;
  return {std::shared_ptr<Pool>(holder, holder->pool.get()), error};
}

}  // namespace respool
