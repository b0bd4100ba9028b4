// respool's error codes. Every failure respool reports is a std::error_code:
// either one of these (category "respool"), or an operating-system error
// (std::system_category(), e.g. ECONNREFUSED) from a socket call.
//
// `std::error_code ec = ...; if (ec == respool::errc::get_timeout) ...`
// works because respool::errc is registered as an error-code enum.
//
// Messages are fixed English text and never contain user data (no password,
// no key, no value).
#pragma once

#include <system_error>

namespace respool {

enum class errc {
  // pool (radix.v2: ErrGetTimeout)
  get_timeout = 1,     // "get timed out": GetTimeout elapsed with no connection
  pool_closed,         // the pool was emptied; it hands out nothing more
  foreign_connection,  // put() of a connection this pool did not hand out

  // arguments and configuration
  unknown_network,   // network is neither "tcp" nor "unix"
  bad_address,       // address can't be parsed for its network
  invalid_argument,  // a size, duration or option out of its range

  // dialing
  resolve_failed,    // host name lookup found no address
  auth_failed,       // AUTH was refused (wrong password or user)
  handshake_failed,  // SELECT, CLIENT SETNAME or HELLO sent at dial was refused

  // TLS (see respool/tls.hpp for when each happens)
  tls_config,               // a CA, certificate or key file can't be loaded
  tls_handshake_failed,     // the peer doesn't speak TLS or refused the handshake
  tls_certificate_invalid,  // the server's certificate chain is not trusted
  tls_host_mismatch,        // the server's certificate is not for the host dialed
  tls_error,                // TLS failure on an established connection (critical)

  // connection (critical: the connection is closed)
  timeout,                // connect, read or write timeout elapsed
  connection_closed,      // the peer closed the connection
  protocol_error,         // the peer sent bytes that are not RESP
  limit_exceeded,         // a reply exceeded a parser limit (ParserLimits)
  client_closed,          // the Client was closed (by close() or a critical error)
  pubsub_in_transaction,  // (P|S)(UN)SUBSCRIBE queued inside MULTI: EXEC's reply
                          // can't be framed, so the connection was closed

  // client use
  pipeline_empty,  // pipe_resp() with no pipelined command outstanding
  pipeline_busy,   // cmd() while pipelined commands are queued or unread
  pubsub_command,  // cmd() of (P|S)(UN)SUBSCRIBE, which answers once per channel

  // replies (not critical)
  server_error,    // the server replied with an error (see Resp::error_message)
  wrong_type,      // accessor called on a reply of another type
  nil_reply,       // accessor called on a nil reply
  not_a_number,    // integer()/number() of a string that is not a number
  odd_map_length,  // map() of an array with an odd number of elements
  out_of_range,    // as<T>() of a number that T can't hold (an int8 of 300, a bool of 2)

  // cluster and sentinel (nothing was run when these are returned)
  cross_slot,          // keys of one command hash to different slots
  cluster_down,        // no node serves the slot (CLUSTERDOWN, or the slot is
                       // unassigned) for longer than the retry budget
  too_many_redirects,  // more MOVED/ASK/TRYAGAIN than ClusterOptions::max_redirects
  no_primary,          // no sentinel named a reachable primary (or replica) that
                       // confirmed its role

  // transactions (respool/transaction.hpp; nothing queued was run)
  transaction_aborted,    // every attempt's EXEC was aborted: a watched key kept
                          // changing (TransactionOptions::max_attempts)
  transaction_discarded,  // the transaction's function called Transaction::abort()
};

const std::error_category& category() noexcept;

inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), category()}; }

// True for the errors after which a connection must not be used again:
// timeouts, I/O errors (any system_category error), protocol errors and
// limits hit, TLS failures other than tls_config, and a closed client.
bool is_critical(std::error_code ec) noexcept;

}  // namespace respool

template <>
struct std::is_error_code_enum<respool::errc> : std::true_type {};
