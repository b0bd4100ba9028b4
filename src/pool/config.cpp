// Pool::create's argument checks and defaults.
#include <chrono>

#include "net/address.hpp"
#include "pool/state.hpp"
#include "respool/error.hpp"

namespace respool::detail {
namespace {

bool negative(nanoseconds d) { return d.count() < 0; }

// Longer durations are taken as this: "forever" for any purpose, and small
// enough that steady_clock::now() + it can't overflow (nanoseconds::max() as
// a get_timeout must mean "no limit", not a deadline wrapped into the past).
constexpr nanoseconds kLongest = std::chrono::hours(24 * 365 * 100);

nanoseconds bounded(nanoseconds d) { return d > kLongest ? kLongest : d; }

}  // namespace

std::error_code validate(std::string_view network, std::string_view addr, int size, const PoolOptions& o) {
  // The address is parsed, never resolved here: a host name lookup may block,
  // and a name that doesn't resolve yet is a dial error, not a bad argument.
  auto net = net::parse_network(network);
  if (!net) return net.error();
  if (*net == net::Network::tcp) {
    if (auto hp = net::split_host_port(addr); !hp) return hp.error();
  } else {
    if (auto eps = net::resolve(network, addr); !eps) return eps.error();  // no lookup for unix
  }

  if (size < 0 || size > Pool::max_size || o.max_open < 0) return errc::invalid_argument;
  if (negative(o.get_timeout) || negative(o.idle_timeout) || negative(o.max_lifetime))
    return errc::invalid_argument;
  if (o.ping_timeout.count() <= 0) return errc::invalid_argument;
  if (o.ping_interval && negative(*o.ping_interval)) return errc::invalid_argument;
  if (o.create_limit && (o.create_limit->headroom < 0 || negative(o.create_limit->interval)))
    return errc::invalid_argument;
  if (o.on_full_buffer) {
    const auto& b = *o.on_full_buffer;
    if (b.size < 0 || b.size > Pool::max_size || negative(b.drain_interval)) return errc::invalid_argument;
    if (b.size > 0 && b.drain_interval.count() == 0) return errc::invalid_argument;
  }
  return {};
}

Config make_config(int size, PoolOptions&& o) {
  Config c;
  c.size = size;
  if (o.on_full_buffer) {
    c.overflow = o.on_full_buffer->size;
    c.drain_interval = bounded(o.on_full_buffer->drain_interval);
  }
  // radix.v2's default: every idle connection pinged once per 10 s.
  if (o.ping_interval) {
    c.ping_interval = bounded(*o.ping_interval);
  } else if (size > 0) {
    c.ping_interval = nanoseconds(std::chrono::seconds(10)) / size;
  }
  c.ping_timeout = bounded(o.ping_timeout);
  c.get_timeout = bounded(o.get_timeout);
  c.max_open = o.max_open;
  c.idle_timeout = bounded(o.idle_timeout);
  c.max_lifetime = bounded(o.max_lifetime);
  if (o.create_limit) {
    c.create_headroom = o.create_limit->headroom;
    c.create_interval = bounded(o.create_limit->interval);
  }
  c.dial = std::move(o.dial);
  c.dial_options = std::move(o.dial_options);
  return c;
}

}  // namespace respool::detail
