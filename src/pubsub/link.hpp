// pubsub::Link: one connection of a Subscriber, with the names it carries,
// and what a frame read on it is (private to src/pubsub/).
//
// Thread-safety: none; only the reader thread touches a Link (and the
// caller of create(), before that thread starts).
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "pubsub/core.hpp"
#include "respool/client.hpp"
#include "respool/resp.hpp"

namespace respool::pubsub {

using Clock = std::chrono::steady_clock;

// A reply owed on a link: to one (un)subscribe of one name, or to a PING
// (nullopt).
using Owed = std::optional<std::pair<Op, std::string>>;

struct Link {
  Link(std::string network_, std::string addr_) : network(std::move(network_)), addr(std::move(addr_)) {}

  std::string network;
  std::string addr;  // empty: chosen at each dial (a cluster's classic link)
  std::unique_ptr<Client> client;
  // What this connection carries, by Family: subscribed once it is up, and
  // again after each reconnect.
  std::set<std::string> names[3];
  // Our own SUNSUBSCRIBEs not yet confirmed: a SUNSUBSCRIBE confirmation
  // for any other shard channel is the server's (its slot moved away).
  std::multiset<std::string> own_sunsubscribes;
  std::deque<Owed> owed;  // oldest first
  Clock::time_point last_input{};
  Clock::time_point retry_at{};        // next dial, when down
  Clock::time_point up_since{};        // the last successful dial
  std::chrono::nanoseconds backoff{};  // the last wait before a dial
  bool lost = false;                   // was up, went down, not yet back

  bool up() const noexcept { return client != nullptr && !client->is_closed(); }
  bool carries_any() const noexcept { return !names[0].empty() || !names[1].empty() || !names[2].empty(); }
  // Queues one command (one name per command: an error answers it alone).
  void send(Op op, const std::string& name);
  void send_ping();
};

// What one frame read from a server is.
struct Frame {
  enum class Kind : std::uint8_t { message, confirmation, error, other };
  Kind kind = Kind::other;
  Message message;   // Kind::message
  Op op{};           // Kind::confirmation
  std::string name;  // Kind::confirmation: the channel or pattern (empty when nil)
  std::string text;  // Kind::error: the server's error
};
Frame classify(Resp&& r);

}  // namespace respool::pubsub
