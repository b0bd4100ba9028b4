// respool::Subscriber: pub/sub on connections of its own, read by one
// background thread.
//
//   auto [sub, err] = respool::Subscriber::create("tcp", "127.0.0.1:6379");
//   sub->subscribe({"news", "alerts"});
//   sub->psubscribe({"user:*"});
//   if (std::optional<respool::Message> m = sub->next(std::chrono::seconds(1))) use(*m);
//
// Threads: create() dials on the caller's thread, then starts the reader
// thread, which does all the I/O from then on: it sends the (un)subscribe
// commands and PINGs, reads every message, reconnects, and runs
// SubscriberOptions::on_message. Every member function may be called from
// any thread, concurrently with every other one, except that the destructor
// must not run concurrently with another call.
//
// Blocking: (un)subscribe calls wait for the server's confirmations, at most
// confirm_timeout; next() waits at most its timeout; stats() and close()
// don't block on I/O (close() waits for the reader thread to leave what it
// is doing: at most a read timeout, or a connect timeout while it dials).
// See docs/api.md, "Pub/sub".
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "respool/client.hpp"

namespace respool {

class Cluster;

// One message, or a notice that messages may have been lost.
struct Message {
  enum class Kind : std::uint8_t {
    message,       // PUBLISH to a channel subscribed with subscribe()
    pmessage,      // PUBLISH to a channel matching a pattern of psubscribe()
    smessage,      // SPUBLISH to a shard channel of ssubscribe()
    reconnected,   // notice: a connection was lost and is back, every
                   // subscription it carried renewed; messages published
                   // meanwhile are lost. payload: the node's "host:port"
    resubscribed,  // notice: a shard channel moved (its slot migrated, or its
                   // node was lost) and is subscribed at its new owner;
                   // messages published meanwhile are lost. channel: the
                   // shard channel; payload: the new owner's "host:port"
  };
  Kind kind = Kind::message;
  std::string channel;
  std::string pattern;  // pmessage only: the pattern that matched
  std::string payload;

  bool is_notice() const noexcept { return kind == Kind::reconnected || kind == Kind::resubscribed; }
};

struct SubscriberStats {
  std::uint64_t received = 0;      // messages read from the servers
  std::uint64_t delivered = 0;     // messages and notices returned by next() or passed to on_message
  std::uint64_t dropped = 0;       // messages dropped because the buffer was full (oldest first)
  std::uint64_t disconnects = 0;   // connections lost (closed, reset, or a PING unanswered)
  std::uint64_t reconnects = 0;    // lost connections established again and resubscribed
  std::uint64_t resubscribed = 0;  // shard channels moved to a new owner and subscribed there
  std::uint64_t pings = 0;         // PINGs sent on idle connections
  std::size_t buffered = 0;        // messages and notices waiting for next() now
};

struct SubscriberOptions {
  // For every connection (RESP3 with protocol = 3: messages arrive as
  // pushes). read_timeout bounds each wait for a reply (a confirmation, a
  // PONG); zero disables dead-link detection.
  DialOptions dial_options{};
  // Messages and notices kept for next(); beyond it the oldest message is
  // dropped (and counted): notices are never dropped. At least 1.
  std::size_t buffer_size = 10000;
  // When set, every message and notice goes to this function instead of the
  // buffer, called on the reader thread, one at a time, in order. It delays
  // every later message while it runs (a slow one makes the server's output
  // buffer grow until it drops the connection). It may call subscribe() and
  // the others (they then return at once, without waiting for the
  // confirmation), next(), stats() and close(), and even destroy the
  // Subscriber (its thread then ends on its own).
  std::function<void(Message&&)> on_message;
  // A connection that read nothing for this long sends a PING; a dead link
  // (a frozen server, a lost network) is noticed within ping_interval +
  // dial_options.read_timeout. Zero: no PINGs.
  std::chrono::nanoseconds ping_interval = std::chrono::seconds(15);
  // Wait before dialing again after a lost connection or a failed dial:
  // min_backoff, doubled after each failure up to max_backoff.
  std::chrono::nanoseconds min_backoff = std::chrono::milliseconds(20);
  std::chrono::nanoseconds max_backoff = std::chrono::seconds(2);
  // Longest wait of an (un)subscribe call for the server's confirmations.
  std::chrono::nanoseconds confirm_timeout = std::chrono::seconds(5);
};

class Subscriber {
 public:
  struct CreateResult {
    std::unique_ptr<Subscriber> subscriber;  // null only for invalid options
    std::error_code error;                   // empty on success
  };
  // One server. Dials at once; when that fails the subscriber is returned
  // with the dial's error and keeps dialing (backoff) in the background.
  // Invalid options (buffer_size 0, a negative duration, min_backoff above
  // max_backoff, an unknown network): a null subscriber and
  // errc::invalid_argument (or the network's error).
  static CreateResult create(std::string_view network, std::string_view addr, SubscriberOptions options = {});
  // Redis Cluster: channels and patterns on one connection to any primary
  // (classic pub/sub is broadcast to every node), shard channels on one
  // connection per primary that owns their slots. Every connection uses
  // options.dial_options (tcp). Keeps `cluster` alive.
  static CreateResult create(std::shared_ptr<Cluster> cluster, SubscriberOptions options = {});

  // close(), then frees everything.
  ~Subscriber();
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  // (Un)subscribe and wait until the server confirmed every name, at most
  // confirm_timeout. Errors: timeout (the connection is down or slow: the
  // subscription is kept and made as soon as the connection is back),
  // server_error (refused, e.g. by an ACL: the name is dropped),
  // client_closed after close(). An empty list subscribes to nothing; for
  // the unsubscribes it means every name of that kind. Called on the reader
  // thread (from on_message), they return {} at once and don't wait.
  std::error_code subscribe(const std::vector<std::string>& channels);
  std::error_code psubscribe(const std::vector<std::string>& patterns);
  std::error_code ssubscribe(const std::vector<std::string>& shard_channels);
  std::error_code unsubscribe(const std::vector<std::string>& channels = {});
  std::error_code punsubscribe(const std::vector<std::string>& patterns = {});
  std::error_code sunsubscribe(const std::vector<std::string>& shard_channels = {});

  // The oldest buffered message or notice; nullopt when none came within
  // `timeout` (zero: don't wait), after close(), or with on_message set.
  std::optional<Message> next(std::chrono::nanoseconds timeout);

  SubscriberStats stats() const;

  // Stops the reader thread and closes every connection; waiting calls
  // return (next(): nullopt; subscribe(): client_closed). Idempotent.
  void close();

 private:
  struct Impl;
  explicit Subscriber(std::unique_ptr<Impl> impl) noexcept;
  // Starts the reader thread running `reader_loop`, and wraps `impl`.
  static CreateResult launch(std::unique_ptr<Impl> impl, std::function<void()> reader_loop,
                             std::error_code dial_error);
  std::unique_ptr<Impl> impl_;
};

}  // namespace respool
