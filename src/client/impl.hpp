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

#include "net/socket.hpp"
#include "net/stream.hpp"
#include "respool/client.hpp"
#include "respool/error.hpp"

namespace respool {

// Bits of Client::session_ (see Client::is_clean and session.cpp).
namespace session {
inline constexpr std::uint8_t in_multi = 1;    // MULTI sent, no EXEC / DISCARD yet
inline constexpr std::uint8_t watching = 2;    // WATCH sent, no UNWATCH / EXEC / DISCARD yet
inline constexpr std::uint8_t changed = 4;     // a command changed the session (sticky)
inline constexpr std::uint8_t subscribed = 8;  // (P|S)(UN)SUBSCRIBE sent: RESP3 pushes are replies
inline constexpr std::uint8_t all = in_multi | watching | changed | subscribed;

// The session state after sending command `name` in state `state`
// (session.cpp says which commands do what). Case-insensitive; no allocation.
std::uint8_t after(std::uint8_t state, std::string_view name) noexcept;
// True when `name` sets or clears any session state.
inline bool affects(std::string_view name) noexcept { return after(0, name) != 0 || after(all, name) != all; }
// True when `name` may keep the connection busy long after its request
// (blocking commands), or ends its request/reply exchange (replication).
bool may_hold_connection(std::string_view name) noexcept;
}  // namespace session

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

  // The next reply: from bytes already buffered, else read straight into the
  // parser's buffer. Any error is critical. With `set_pushes_aside`, RESP3
  // pushes are not replies: they go to `pushes` and reading goes on (a push
  // is never the answer to a command, except under SUBSCRIBE).
  Result<Resp> read_one(bool set_pushes_aside);

  // The error a call on a closed client returns.
  static std::error_code closed_error(const Client& c) noexcept {
    return c.critical_ ? c.critical_ : std::error_code(errc::client_closed);
  }
  // Record a critical error: close the socket, forget the pipeline. Returns
  // the failure of the oldest owed reply; the later ones are kept for
  // pipe_resp (Client::lost_unknown_ / lost_unsent_). `sent`: how many of
  // the owed commands (the oldest ones) may have reached the server; the
  // rest were never written.
  static Resp fail(Client& c, std::error_code ec, std::size_t owed, std::size_t sent);
  // Write c.out_ in one send (as far as the kernel takes it), then empty it.
  // `written`: bytes the kernel accepted (zero: the peer saw none).
  static std::error_code flush(Client& c, std::size_t& written);
};

}  // namespace respool
