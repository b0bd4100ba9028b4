// respool::sentinel_pool: a plain respool::Pool whose connections go to the
// primary (or a replica) that Redis Sentinel names, and that follows
// failovers.
//
//   auto [pool, err] = respool::sentinel_pool({"127.0.0.1:26379", "127.0.0.1:26380"}, "mymaster", 10);
//   respool::Resp r = pool->cmd("SET", "key", 42);  // on the current primary
//
// The result is an ordinary std::shared_ptr<Pool> (get, put, cmd, lease,
// stats ... as in pool.hpp). Its network() is "tcp" and its addr() the
// address found at creation (the first sentinel's address when none was
// found then); neither changes on failover.
//
// Every connection is dialed to the address a sentinel names and checked
// with ROLE before the pool hands it out. A background thread (the watcher)
// listens for Sentinel's +switch-master announcements and asks a sentinel
// again every recheck_interval; when the address changes it calls
// Pool::retire_connections(), so connections to the old server are closed
// (idle ones at once, handed-out ones when they come back). The pool never
// sends a command twice on its own: during a failover a caller sees errors,
// never a write sent again behind its back. See docs/sentinel.md.
//
// Thread-safety: as Pool. Blocking: sentinel_pool() asks the sentinels and
// pre-dials like Pool::create; get() may ask the sentinels before it dials
// (bounded by sentinel_dial_options' timeouts per sentinel asked). The
// watcher stops within ~100 ms of empty() or of the Pool's destruction; the
// destruction of the Pool waits for it (see docs/sentinel.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "respool/client.hpp"
#include "respool/pool.hpp"

namespace respool {

// Which server of the monitored set the pool's connections go to.
enum class Role : std::uint8_t {
  primary,  // the primary (ROLE answers "master")
  replica,  // a healthy replica (ROLE answers "slave"), one after the other
};

struct SentinelOptions {
  // The pool of data connections. When `pool.dial` is set, it is called with
  // ("tcp", the discovered address) for each connection; otherwise
  // Client::dial with `pool.dial_options`. Validated as Pool::create does.
  PoolOptions pool{};
  // How the sentinels themselves are dialed: their own timeouts, AUTH
  // (username/password), TLS. Default: DialOptions{} (5 s timeouts).
  DialOptions sentinel_dial_options{};
  // Default: the primary.
  Role role = Role::primary;
  // How often the watcher asks a sentinel for the address even when no
  // announcement came (a missed +switch-master, a replica set that changed).
  // Default 1 s; must be > 0.
  std::chrono::nanoseconds recheck_interval = std::chrono::seconds(1);
  // Whether the watcher subscribes to +switch-master on a sentinel, which
  // makes it follow a failover as soon as it is announced instead of at the
  // next recheck. Default: true.
  bool subscribe = true;
};

// A pool that follows the primary (or a replica) Sentinel names for
// `master_name`. `sentinels`: "host:port" addresses, asked in turn; one that
// answers is moved to the front. `size`: as Pool::create.
//   - Bad arguments (no sentinel, an empty name, a sentinel address that
//     can't be parsed: bad_address; recheck_interval <= 0 or a bad
//     PoolOptions: as Pool::create): a closed pool and that error.
//   - No sentinel reachable, or none knows the name, or the server it names
//     fails the ROLE check twice: a usable pool that keeps asking on each
//     get() that needs a dial, and errc::no_primary (or the dial's error when
//     the server named can't be reached).
Pool::CreateResult sentinel_pool(const std::vector<std::string>& sentinels, std::string_view master_name,
                                 int size, SentinelOptions options = {});

}  // namespace respool
