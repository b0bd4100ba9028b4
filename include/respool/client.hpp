// respool::Client: one connection to one Redis server (radix.v2's
// redis.Client).
//
// Thread-safety: none. A Client is used by one thread at a time; the pool
// guarantees that for the clients it hands out.
//
// Errors: every call returns a Resp or a Result; nothing throws on I/O
// failures, timeouts or server errors. An I/O error, a timeout or a protocol
// error is *critical*: the connection is closed at once, last_critical()
// returns it, and every later call fails with it (errc::client_closed after
// close()). A server error reply ("-ERR ...") is not critical.
//
// Blocking: cmd(), pipe_send(), pipe_resp() and pipe_clear() block on the
// socket, each read bounded by read_timeout and each write by write_timeout
// (zero = no limit); peer_closed() never blocks; dial() is bounded by
// connect_timeout for a host name's lookup, connect_timeout for each address
// tried, plus read/write timeouts for the set-up commands, plus
// connect_timeout for the TLS handshake when TLS is on.
//
// Delivery: a failed command's Resp::delivery() says whether it may have
// reached the server: not_sent when no byte of it was accepted by the
// kernel (retrying is safe), unknown once any was (see docs/ERRORS.md).
// Client never retries.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "respool/encode.hpp"
#include "respool/parser.hpp"
#include "respool/resp.hpp"
#include "respool/result.hpp"
#include "respool/tls.hpp"

namespace respool {

struct DialOptions {
  // Zero means no limit. Defaults: see docs/LIMITS.md.
  std::chrono::nanoseconds connect_timeout = std::chrono::seconds(5);
  std::chrono::nanoseconds read_timeout = std::chrono::seconds(5);
  std::chrono::nanoseconds write_timeout = std::chrono::seconds(5);

  // Sent at dial, in one round trip, in this order: HELLO (when protocol is
  // 3) or AUTH (when a password is set), SELECT (when db != 0), CLIENT
  // SETNAME (when client_name is set). A refused AUTH is errc::auth_failed,
  // any other refusal errc::handshake_failed; the password never appears in
  // an error.
  //
  // The password is kept only where a dial needs it: dial() wipes the
  // Client's own copy (overwritten, then emptied) before the handshake, so
  // options() shows it empty; a Pool keeps its copy of
  // PoolOptions::dial_options' password for its dials on demand and wipes it
  // when emptied or destroyed. Your own DialOptions (and what a DialFunc
  // captures) are yours to wipe.
  std::string username;  // ACL user; empty: the default user
  std::string password;  // empty: no AUTH
  int db = 0;
  std::string client_name;
  int protocol = 2;  // 2 (RESP2) or 3 (RESP3 via HELLO 3)

  bool tcp_nodelay = true;
  // TCP keep-alive probes after this much idle time (zero: off).
  std::chrono::seconds keepalive = std::chrono::seconds(60);

  ParserLimits limits;

  // TLS (off by default). When enabled the handshake runs at dial, before
  // the set-up commands, bounded by connect_timeout; then every read and
  // write is encrypted and bounded by read_timeout / write_timeout as in
  // plaintext. tcp only. Options, defaults and errors: respool/tls.hpp and
  // docs/TLS.md.
  TlsOptions tls;
};

// What a Client knows of its connection's session, from the server's
// replies (see Client::is_clean).
struct SessionState {
  bool in_multi = false;           // the server confirmed MULTI; no EXEC or DISCARD has ended it
  bool watching = false;           // the server confirmed WATCH; nothing has dropped it yet
  bool changed = false;            // a command that changes the session was sent (SELECT,
                                   // AUTH, RESET, SUBSCRIBE, CLIENT SETNAME, ...): for good
  std::int64_t subscriptions = 0;  // channels, patterns and shard channels
};

class Client {
 public:
  // network: "tcp" (addr "host:port", "1.2.3.4:6379", "[::1]:6379"; host
  // names resolved, each address tried in turn) or "unix" (addr: a socket
  // path). Errors: unknown_network, bad_address, resolve_failed, timeout,
  // an OS error (ECONNREFUSED, ...), auth_failed, handshake_failed; with TLS
  // also tls_config, tls_handshake_failed, tls_certificate_invalid,
  // tls_host_mismatch.
  static Result<std::unique_ptr<Client>> dial(std::string_view network, std::string_view addr,
                                              const DialOptions& options = {});

  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Send one command and read its reply. Arguments: see encode.hpp.
  // Fails, with nothing sent and the client still usable, with
  // pipeline_busy while pipelined commands are queued or unread, and with
  // pubsub_command for (P|S)(UN)SUBSCRIBE (one reply per channel: use
  // pipe_append and pipe_resp). Should an argument throw while it is
  // encoded (a range's iterator, say), the exception propagates and the
  // client is as it was before the call (strong guarantee).
  template <CommandArg... Args>
  Resp cmd(std::string_view name, const Args&... args) {
    if (auto ec = begin_command(name)) return Resp::io_error(ec, Delivery::not_sent);
    append_command(name, [&] { encode_command(out_, name, args...); });
    return round_trip();
  }
  // Runtime form: argv[0] is the command name.
  Resp cmd_argv(std::span<const std::string_view> argv);

  // Queue a command locally; nothing is sent until pipe_resp(). A
  // (P|S)(UN)SUBSCRIBE is owed one reply (confirmation) per channel or
  // pattern named (one when it names none; confirmations beyond it arrive
  // through read_reply()). Strong guarantee, as for cmd().
  template <CommandArg... Args>
  void pipe_append(std::string_view name, const Args&... args) {
    append_command(name, [&] { encode_command(out_, name, args...); });
  }
  // Sends every queued command in one write (when any are queued), then
  // returns the oldest unread reply; errc::pipeline_empty when none is owed.
  Resp pipe_resp();
  // Sends every queued command now, in one write, without reading any reply
  // (to write to several connections before reading from any); pipe_resp()
  // then reads the replies as usual. Nothing queued: does nothing, returns
  // {}. Returns the write's error, which is critical: the client is closed
  // and each later pipe_resp() reports one owed reply's failure, as after a
  // failed pipe_resp() write (Delivery::unknown when any byte was written,
  // not_sent otherwise). On a closed client: its error, nothing sent.
  std::error_code pipe_send();
  // Drops queued (unsent) commands, and reads and discards replies already
  // owed by the server (blocking, like pipe_resp). Returns {replies the
  // dropped commands were owed, replies discarded}.
  std::pair<std::size_t, std::size_t> pipe_clear();
  // Replies owed to commands appended and not yet read through pipe_resp.
  std::size_t pipe_pending() const noexcept { return queued_ + unread_; }

  // Read the next reply without sending anything: for SUBSCRIBE and MONITOR
  // streams, and RESP3 pushes. A RESP3 push that arrives while a command's
  // reply is awaited (a client-side caching invalidation, say), and a
  // pub/sub message that arrives while a confirmation is awaited, is never
  // taken for that reply: it is set aside (at most 1024, the oldest dropped
  // beyond) and read_reply() returns what was set aside first. The pool
  // drops a connection's set-aside pushes when it is put back.
  Resp read_reply();
  // True when read_reply() has input that poll() on native_handle() can't
  // see: a reply set aside, or bytes already read from the socket and not
  // yet returned (a reader waiting on the socket checks this first).
  bool has_unread_input() const noexcept;
  // Channels, patterns and shard channels this connection is subscribed
  // to, as the server's latest confirmation read said.
  std::int64_t subscriptions() const noexcept;
  // The session state as the replies read so far tell it.
  SessionState session() const noexcept;

  // Without waiting (one poll() on the socket, nothing read): true when the
  // connection can't serve another command: closed here, or closed or reset
  // by the peer (a server restart, an idle timeout on the server side), or,
  // on a plaintext RESP2 connection with nothing owed, bytes waiting that no
  // command asked for. With TLS or RESP3, waiting bytes may be a session
  // ticket or a push and don't count. Meant for an idle connection (the pool
  // checks those idle for a while before handing them out); it says nothing
  // about a server that is alive but frozen.
  bool peer_closed() const noexcept;

  // The critical error that closed this connection; empty while healthy.
  std::error_code last_critical() const noexcept { return critical_; }
  bool is_closed() const noexcept;
  // Close the connection. Idempotent; later calls fail with client_closed.
  void close() noexcept;

  // True when the connection is in the state dial() left it in: nothing
  // queued or owed, not inside MULTI or WATCH, and no command run that
  // changes the session (SELECT, AUTH, HELLO, SUBSCRIBE, MONITOR, RESET,
  // CLIENT SETNAME ...; CLIENT ID, INFO, LIST, GETNAME ... only read).
  // MULTI and WATCH count once the server confirmed them, and end when the
  // server's reply to EXEC, DISCARD or UNWATCH says they did (an "EXEC
  // without MULTI" error keeps a WATCH). The pool hands only clean
  // connections to the next caller.
  bool is_clean() const noexcept;

  // Change the read/write timeouts for the following calls (zero = none),
  // e.g. around a blocking command.
  void set_timeouts(std::chrono::nanoseconds read, std::chrono::nanoseconds write);

  const std::string& network() const noexcept;
  const std::string& addr() const noexcept;
  // The options it was dialed with, except the password: always empty here
  // (wiped at dial, see DialOptions::password).
  const DialOptions& options() const noexcept;
  int native_handle() const noexcept;

  // --- For code that keeps Clients for others (a pool) ----------------------
  // Everyday code needs none of these. Same thread-safety as the rest: the
  // Client's one user at a time.

  // Queue one command already encoded as a RESP array of bulk strings (what
  // encode_command appends), as pipe_append would queue it. Strong
  // guarantee. Precondition: `encoded` holds exactly one whole command.
  void pipe_append_encoded(std::string_view encoded);
  // cmd() for a command already encoded, written straight from `encoded`
  // (no copy). Same errors as cmd(); invalid_argument when `encoded` holds
  // no command.
  Resp cmd_encoded(std::string_view encoded);
  // Drop the RESP3 pushes and pub/sub messages set aside for read_reply().
  void discard_set_aside() noexcept;
  // Read and write timeouts back to those it was dialed with (no system
  // call: the socket applies them on its next wait).
  void restore_dial_timeouts() noexcept;
  // While on, each reply read keeps the read deadline that the previous one
  // started instead of starting its own, so one read timeout bounds a whole
  // run of replies (a round trip shared by several callers).
  void keep_read_deadline(bool on) noexcept;
  // Take the session as it is now as the one is_clean() compares with: what
  // a dial function set up (AUTH, SELECT, CLIENT SETNAME ...) stops counting
  // as a change. Fails, changing nothing, when the client is closed (its
  // error), or inside MULTI or WATCH, subscribed, or with replies owed
  // (invalid_argument).
  std::error_code accept_session_as_baseline() noexcept;

  // A keeper (a pool) may mark the clients it manages and be told when one
  // is destroyed while it is marked: set_keeper() names it once (held
  // weakly); ~Client, after closing the socket, calls
  // on_destroyed(keeper, *this) when the keeper is still alive and the mark
  // is the keeper's own address. The Client only stores the mark and the
  // stamp (the keeper's clock, say), and never reads them.
  using KeeperCallback = void (*)(void* keeper, Client& c) noexcept;
  void set_keeper(std::weak_ptr<void> keeper, KeeperCallback on_destroyed) noexcept {
    keeper_ = std::move(keeper);
    on_destroyed_ = on_destroyed;
  }
  const void* keeper_mark() const noexcept { return keeper_mark_; }
  void set_keeper_mark(const void* mark) noexcept { keeper_mark_ = mark; }
  std::int64_t keeper_stamp() const noexcept { return keeper_stamp_; }
  void set_keeper_stamp(std::int64_t stamp) noexcept { keeper_stamp_ = stamp; }

 private:
  struct Impl;
  explicit Client(std::unique_ptr<Impl> impl);

  // Returns an error (and sends nothing) when the client is closed, a
  // pipeline is in flight or `name` is a pub/sub command; otherwise clears
  // out_.
  std::error_code begin_command(std::string_view name) noexcept;
  // Encodes one command at the end of out_ with `encode`, then notes it.
  // Should either throw, out_ and the counters are as before and the
  // exception propagates.
  template <class Encode>
  void append_command(std::string_view name, Encode&& encode) {
    const std::size_t mark = out_.size();
    try {
      encode();
      note_command(name, std::string_view(out_).substr(mark));
    } catch (...) {
      out_.resize(mark);
      throw;
    }
  }
  // Counts the command just encoded (`encoded`, at the end of out_) as
  // queued and notes what its replies will do to the session. Strong
  // guarantee.
  void note_command(std::string_view name, std::string_view encoded);
  // Writes the command queued in out_ (or, when `external` is not empty,
  // that encoded command instead, straight from the caller's buffer), then
  // reads its reply.
  Resp round_trip(std::string_view external = {});

  std::string out_;           // encoded commands not yet written
  std::size_t queued_ = 0;    // replies owed to the commands in out_ (pipeline)
  std::size_t unread_ = 0;    // commands written whose replies are unread
  std::uint8_t session_ = 0;  // session-state flags (see is_clean)
  // Replies owed when a critical error closed the connection, reported by
  // the next pipe_resp() calls: first those whose commands were written
  // (Delivery::unknown), then those never sent (Delivery::not_sent).
  std::size_t lost_unknown_ = 0;
  std::size_t lost_unsent_ = 0;
  std::error_code critical_;
  std::unique_ptr<Impl> impl_;
  // The keeper's (see set_keeper).
  const void* keeper_mark_ = nullptr;
  std::int64_t keeper_stamp_ = 0;
  std::weak_ptr<void> keeper_;
  KeeperCallback on_destroyed_ = nullptr;
};

}  // namespace respool
