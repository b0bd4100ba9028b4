// The "respool" error category: fixed messages, never user data.
#include "respool/error.hpp"

#include <string>

namespace respool {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "respool"; }

  std::string message(int code) const override {
    switch (static_cast<errc>(code)) {
      case errc::get_timeout: return "get timed out";
      case errc::pool_closed: return "pool is closed";
      case errc::foreign_connection: return "connection does not belong to this pool";
      case errc::unknown_network: return "unknown network (expected \"tcp\" or \"unix\")";
      case errc::bad_address: return "bad address";
      case errc::invalid_argument: return "invalid argument";
      case errc::resolve_failed: return "host name lookup failed";
      case errc::auth_failed: return "authentication failed";
      case errc::handshake_failed: return "connection set-up command refused by the server";
      case errc::tls_config:
        return "TLS configuration error: a CA, certificate or key file could not be loaded";
      case errc::tls_handshake_failed:
        return "TLS handshake failed: the peer does not speak TLS or refused it";
      case errc::tls_certificate_invalid: return "TLS: the server's certificate is not trusted";
      case errc::tls_host_mismatch: return "TLS: the server's certificate does not match the host name";
      case errc::tls_error: return "TLS error on the connection";
      case errc::timeout: return "i/o timeout";
      case errc::connection_closed: return "connection closed by peer";
      case errc::protocol_error: return "protocol error: malformed reply";
      case errc::limit_exceeded: return "protocol error: reply exceeds a parser limit";
      case errc::client_closed: return "client is closed";
      case errc::pubsub_in_transaction:
        return "(P|S)(UN)SUBSCRIBE inside MULTI: the server's reply to EXEC can't be framed, so the "
               "connection was closed (the transaction was not run)";
      case errc::pipeline_empty: return "no pipelined command is outstanding";
      case errc::pipeline_busy: return "pipelined commands are outstanding";
      case errc::pubsub_command:
        return "(P|S)(UN)SUBSCRIBE answers once per channel: send it with pipe_append() and read each "
               "confirmation with pipe_resp(), or use a Subscriber";
      case errc::server_error: return "server replied with an error";
      case errc::wrong_type: return "reply has another type";
      case errc::nil_reply: return "reply is nil";
      case errc::not_a_number: return "reply is not a number";
      case errc::odd_map_length: return "reply has an odd number of elements for a map";
      case errc::out_of_range: return "reply is a number out of the requested type's range";
      case errc::cross_slot: return "keys of one command hash to different cluster slots";
      case errc::cluster_down: return "no cluster node serves the slot (cluster down or slot unassigned)";
      case errc::too_many_redirects: return "too many cluster redirects (MOVED, ASK or TRYAGAIN)";
      case errc::no_primary: return "no sentinel named a reachable server in the requested role";
      case errc::transaction_aborted:
        return "transaction aborted on every attempt: a watched key kept changing (nothing queued ran)";
      case errc::transaction_discarded:
        return "transaction discarded by its own function (nothing queued ran)";
    }
    return "unknown respool error";
  }
};

}  // namespace

const std::error_category& category() noexcept {
  static const Category instance;
  return instance;
}

bool is_critical(std::error_code ec) noexcept {
  if (!ec) return false;
  if (ec.category() == category()) {
    switch (static_cast<errc>(ec.value())) {
      case errc::timeout:
      case errc::connection_closed:
      case errc::protocol_error:
      case errc::limit_exceeded:
      case errc::client_closed:
      case errc::pubsub_in_transaction:
      case errc::tls_handshake_failed:
      case errc::tls_certificate_invalid:
      case errc::tls_host_mismatch:
      case errc::tls_error: return true;
      default: return false;
    }
  }
  return ec.category() == std::system_category() || ec.category() == std::generic_category();
}

}  // namespace respool
