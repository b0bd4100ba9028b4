// pubsub::Reader: the Subscriber's background thread: every connection's
// I/O, PINGs, reconnects and, on a cluster, where each shard channel is
// subscribed (private to src/pubsub/).
//
// Thread-safety: run() on one thread; first_dial() before it starts; the
// rest is private to that thread. Talks to callers only through Core.
//
// Blocking: one poll() over every connection and the Core's wake-up pipe,
// woken by a caller's task, input, a PING or dial falling due. Replies owed
// (confirmations, a PONG) are read right after their commands are written,
// each wait bounded by the dial's read timeout; dials by its connect
// timeout; on a cluster, a slot-map lookup by ClusterOptions::down_budget.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "pubsub/core.hpp"
#include "pubsub/link.hpp"
#include "respool/cluster.hpp"

namespace respool::pubsub {

class Reader {
 public:
  // One server: every name on one connection to `addr`.
  Reader(std::shared_ptr<Core> core, std::string network, std::string addr);
  // A cluster: channels and patterns on one connection to any primary,
  // each shard channel on a connection to the primary of its slot.
  Reader(std::shared_ptr<Core> core, std::shared_ptr<Cluster> cluster);

  // The first dial, on the caller's thread (one server only).
  std::error_code first_dial();
  // Until the Core is stopped; then closes every connection.
  void run();

 private:
  void apply(const Task& task);
  void apply_shard(Op op, const std::string& name);
  // Subscribe `name` at `addr` (empty: the slot's primary, from the
  // cluster's map, re-read first when `attempts` > 0). `notify`: a
  // `resubscribed` notice follows its confirmation.
  void place_shard(const std::string& name, std::string addr, bool notify, int attempts);
  void place_homeless(Clock::time_point now);
  Link* home_of(const std::string& shard_name);
  Link& shard_link(const std::string& addr);
  std::vector<Link*> links();

  // Dials `l` and subscribes everything it carries; the dial's error.
  std::error_code connect(Link& l);
  void lose(Link& l);
  // Writes what is queued on `l` and reads every reply owed.
  void flush(Link& l);
  void ping_idle(Clock::time_point now);
  // Closes cluster connections that carry no subscription any more.
  void close_unused();
  // Reads what arrived on `l` (at least one frame).
  void read_input(Link& l);
  void handle(Link& l, Resp r, const Owed* owed);
  void handle_confirmation(Link& l, Frame& f);
  void handle_error(Link& l, const Frame& f, const Owed& owed);
  // Milliseconds poll() may sleep: until the next PING, dial or placement.
  int poll_timeout(Clock::time_point now);
  std::chrono::nanoseconds backoff_after(int failures) const;
  // The wait after one more failure: twice `backoff`, within the options.
  std::chrono::nanoseconds grow(std::chrono::nanoseconds backoff) const;
  bool wants_connection(const Link& l) const noexcept;

  std::shared_ptr<Core> core_;
  std::shared_ptr<Cluster> cluster_;  // null: one server
  std::unique_ptr<Link> classic_;     // channels, patterns (and, on one server, shard channels)
  std::map<std::string, std::unique_ptr<Link>> shard_links_;  // by address (cluster only)
  struct Homeless {
    Clock::time_point at;
    int attempts = 0;
    bool notify = false;
  };
  std::map<std::string, Homeless> homeless_;  // shard channels waiting for a node
  std::set<std::string> notify_on_confirm_;
  std::size_t classic_pick_ = 0;  // which primary the cluster's classic link dials
};

}  // namespace respool::pubsub
