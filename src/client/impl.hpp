// Client::Impl: what a Client owns besides its output buffer and counters
// (private to src/client/).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "client/session.hpp"
#include "net/socket.hpp"
#include "net/stream.hpp"
#include "respool/client.hpp"
#include "respool/error.hpp"
#include "respool/resp.hpp"

namespace respool {

// RESP3 pushes (client-side caching invalidations, ...) that arrive while a
// command's reply is awaited are set aside for read_reply(), at most this
// many (the oldest are dropped beyond it).
inline constexpr std::size_t max_set_aside_pushes = 1024;

// Each read asks the parser for at least this much room, so a typical reply
// arrives in one recv.
inline constexpr std::size_t read_chunk = 16 * 1024;
// After a write, an output buffer bigger than this is released rather than
// kept for the next command.
inline constexpr std::size_t keep_out_capacity = 4 * 1024 * 1024;

struct Client::Impl {
  Impl(std::string network_, std::string addr_, const DialOptions& options_, net::Socket socket_)
      : network(std::move(network_)),
        addr(std::move(addr_)),
        options(options_),
        stream(std::move(socket_)),
        parser(options_.limits) {}

  std::string network;
  std::string addr;
  DialOptions options;
  net::Stream stream;  // plaintext, or TLS after dial's handshake
  Parser parser;

  std::deque<Resp> pushes;  // set aside by read_one, oldest first
  // Set by the pool while it reads the replies of one shared round trip:
  // read_one then keeps the read deadline started by the first reply
  // instead of starting one per reply, so one read_timeout bounds them all.
  bool one_deadline = false;

  // Replies whose answer changes the session: the n-th reply owed on this
  // connection (counting from the first command ever sent) is `seq`. Empty
  // unless such commands are in flight, so plain commands pay nothing.
  struct Pending {
    std::uint64_t seq;    // the first of its replies
    std::uint32_t count;  // replies it is owed (one per channel for pub/sub)
    session::Effect effect;
  };
  std::deque<Pending> pending;
  std::uint64_t next_seq = 0;  // index of the next reply a queued command will be owed
  std::uint64_t read_seq = 0;  // index of the next owed reply to read
  // Subscription counts as the server last confirmed them: channels and
  // patterns, and shard channels.
  std::int64_t channels = 0;
  std::int64_t shard_channels = 0;
  std::uint32_t confirmations_owed = 0;  // pub/sub replies pending

  // While true, a reply may be a pub/sub frame (a message, or a confirmation
  // beyond those counted, after an UNSUBSCRIBE without arguments).
  bool pubsub_active() const noexcept { return channels + shard_channels > 0 || confirmations_owed > 0; }

  // How read_one treats what it reads.
  enum class Expect : std::uint8_t {
    reply,         // a command's reply: RESP3 pushes, and pub/sub frames while
                   // subscribed, are set aside in `pushes`
    confirmation,  // a pub/sub confirmation: messages are set aside
    stream,        // anything (read_reply)
  };
  // The next reply: from bytes already buffered, else read straight into the
  // parser's buffer. Any error is critical. Pub/sub confirmations read in any
  // mode update the subscription counts.
  Result<Resp> read_one(Expect expect);
  // What the next owed reply is (confirmation or reply).
  Expect next_expect() const noexcept {
    return !pending.empty() && pending.front().seq == read_seq &&
                   pending.front().effect == session::Effect::pubsub
               ? Expect::confirmation
               : Expect::reply;
  }
  // Account for one owed reply just read: applies its command's effect.
  // Returns false when the reply leaves the connection unusable: a pub/sub
  // command QUEUED inside MULTI (EXEC would answer it with more frames
  // than its array holds); the caller then fails the client with
  // errc::pubsub_in_transaction.
  [[nodiscard]] bool settle(Client& c, const Resp& reply) noexcept;

  // The error a call on a closed client returns.
  static std::error_code closed_error(const Client& c) noexcept {
    return c.critical_ ? c.critical_ : std::error_code(errc::client_closed);
  }
  // Record a critical error: close the socket, forget the pipeline, and keep
  // the failure of each of the `owed` replies for pipe_resp
  // (Client::lost_unknown_ / lost_unsent_). `sent`: how many of the owed
  // commands (the oldest ones) may have reached the server; the rest were
  // never written.
  static void lose(Client& c, std::error_code ec, std::size_t owed, std::size_t sent);
  // lose(), then returns the failure of the oldest owed reply (lost_reply).
  static Resp fail(Client& c, std::error_code ec, std::size_t owed, std::size_t sent);
  // On a closed client: the failure of the next owed reply (Delivery::unknown
  // for those written, not_sent for the others and once none is owed).
  static Resp lost_reply(Client& c);
  // Write c.out_ in one send (as far as the kernel takes it), then empty it.
  // `written`: bytes the kernel accepted (zero: the peer saw none).
  static std::error_code flush(Client& c, std::size_t& written);
};

}  // namespace respool
