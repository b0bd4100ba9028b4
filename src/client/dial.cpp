// Client::dial: validate the options, connect, TLS handshake when enabled,
// then set the session up.
//
// TLS options are checked and their files loaded (net::TlsContext, cached)
// before anything is connected, so a configuration mistake costs no network
// round trip. A host name's lookup, each connect and the handshake each get
// their own connect_timeout.
//
// The set-up commands go out in ONE write and are answered in one round of
// reads: HELLO 3 [AUTH user pass] [SETNAME name] when protocol is 3, else
// AUTH [user] pass when a password is set; SELECT db when db != 0; CLIENT
// SETNAME name when a name is set and protocol is 2.
//
// Which refusal is which (the first error reply decides; the server's text
// is not passed on, so the password can't leak through it):
//   - any error reply to AUTH                     -> errc::auth_failed
//     (this includes "ERR AUTH <password> called without any password
//     configured": the caller asked to authenticate and the server did not
//     accept it; going on silently would hide talking to the wrong server)
//   - an error reply to any set-up command whose code is WRONGPASS or NOAUTH
//     (HELLO ... AUTH with a wrong password; SELECT or HELLO on a server
//     that requires a password none was given for) -> errc::auth_failed
//   - any other error reply (NOPROTO, a db out of range, a bad client name,
//     a server without HELLO)                   -> errc::handshake_failed
#include <array>
#include <cstddef>
#include <memory>
#include <string_view>
#include <utility>

#include "client/impl.hpp"
#include "common/secret.hpp"
#include "net/address.hpp"
#include "net/socket.hpp"
#include "net/tls.hpp"
#include "net/tls_context.hpp"
#include "respool/client.hpp"
#include "respool/error.hpp"

namespace respool {
namespace {

using std::chrono::nanoseconds;

std::error_code validate(const DialOptions& o) {
  if (o.protocol != 2 && o.protocol != 3) return errc::invalid_argument;
  if (o.db < 0) return errc::invalid_argument;
  if (o.connect_timeout < nanoseconds::zero() || o.read_timeout < nanoseconds::zero() ||
      o.write_timeout < nanoseconds::zero() || o.keepalive < std::chrono::seconds::zero())
    return errc::invalid_argument;
  // A user name alone can't be sent (AUTH and HELLO AUTH take both).
  if (!o.username.empty() && o.password.empty()) return errc::invalid_argument;
  // Our certificate is useless without its key, and the reverse.
  if (o.tls.enabled && o.tls.cert_file.empty() != o.tls.key_file.empty()) return errc::invalid_argument;
  const auto& l = o.limits;
  if (l.max_bulk_length <= 0 || l.max_depth <= 0 || l.max_elements <= 0 || l.max_reply_bytes <= 0)
    return errc::invalid_argument;
  return {};
}

struct TlsSetup {
  std::shared_ptr<const net::TlsContext> context;
  net::TlsPeer peer;
};

// The context and peer for a TLS dial; TLS is for tcp only (Redis serves
// it on TCP ports only).
Result<TlsSetup> prepare_tls(net::Network net, std::string_view addr, const TlsOptions& o) {
  if (net != net::Network::tcp) return errc::invalid_argument;
  auto hp = net::split_host_port(addr);
  if (!hp) return hp.error();
  auto peer = net::TlsPeer::from(hp->host, o);
  if (!peer) return peer.error();
  auto context = net::TlsContext::get(o);
  if (!context) return context.error();
  return TlsSetup{std::move(*context), std::move(*peer)};
}

enum class Step : std::uint8_t { hello, auth, select, setname };

bool starts_with_code(const std::string& text, std::string_view code) {
  return text.size() >= code.size() && std::string_view(text).substr(0, code.size()) == code &&
         (text.size() == code.size() || text[code.size()] == ' ');
}

std::error_code refusal(Step step, const Resp& reply) {
  if (step == Step::auth) return errc::auth_failed;
  const std::string& text = reply.text();
  if (starts_with_code(text, "WRONGPASS") || starts_with_code(text, "NOAUTH")) return errc::auth_failed;
  return errc::handshake_failed;
}

}  // namespace

Result<std::unique_ptr<Client>> Client::dial(std::string_view network, std::string_view addr,
                                             const DialOptions& options) {
  if (auto ec = validate(options)) return ec;
  auto net = net::parse_network(network);
  if (!net) return net.error();
  Result<TlsSetup> tls = TlsSetup{};
  if (options.tls.enabled) {
    tls = prepare_tls(*net, addr, options.tls);
    if (!tls) return tls.error();
  }
  auto endpoints = net::resolve(network, addr, options.connect_timeout);  // a name's lookup: bounded too
  if (!endpoints) return endpoints.error();
  auto socket = net::Socket::connect_any(*endpoints, options.connect_timeout);
  if (!socket) return socket.error();
  if (*net == net::Network::tcp) {
    if (auto ec = socket->set_tcp_options(options.tcp_nodelay, options.keepalive)) return ec;
  }
  socket->set_timeouts(options.read_timeout, options.write_timeout);

  std::unique_ptr<Client> c(new Client(
      std::make_unique<Impl>(std::string(network), std::string(addr), options, std::move(*socket))));
  // The client keeps its options (options() shows them), but not the
  // password: the set-up commands below are encoded from the caller's
  // `options`, and nothing after dial needs it.
  detail::wipe_secret(c->impl_->options.password);
  if (tls->context) {
    if (auto ec = c->impl_->stream.start_tls(*tls->context, tls->peer, options.connect_timeout)) return ec;
  }

  // The set-up commands, in order.
  std::array<Step, 3> steps{};
  std::size_t n = 0;
  std::string& out = c->out_;
  const bool auth = !options.password.empty();
  const std::string_view user = options.username.empty() ? "default" : std::string_view(options.username);
  if (options.protocol == 3) {
    steps[n++] = Step::hello;
    if (auth && !options.client_name.empty()) {
      encode_command(out, "HELLO", 3, "AUTH", user, options.password, "SETNAME", options.client_name);
    } else if (auth) {
      encode_command(out, "HELLO", 3, "AUTH", user, options.password);
    } else if (!options.client_name.empty()) {
      encode_command(out, "HELLO", 3, "SETNAME", options.client_name);
    } else {
      encode_command(out, "HELLO", 3);
    }
  } else if (auth) {
    steps[n++] = Step::auth;
    if (options.username.empty()) {
      encode_command(out, "AUTH", options.password);
    } else {
      encode_command(out, "AUTH", options.username, options.password);
    }
  }
  if (options.db != 0) {
    steps[n++] = Step::select;
    encode_command(out, "SELECT", options.db);
  }
  if (options.protocol == 2 && !options.client_name.empty()) {
    steps[n++] = Step::setname;
    encode_command(out, "CLIENT", "SETNAME", options.client_name);
  }
  if (n == 0) return c;

  std::size_t written = 0;
  auto ec = c->impl_->stream.write_all(out, written);
  detail::wipe_secret(out);  // the set-up commands may hold the password
  if (ec) return ec;
  for (std::size_t i = 0; i < n; ++i) {
    auto reply = c->impl_->read_one(Client::Impl::Expect::reply);
    if (!reply) return reply.error();
    if (reply->is_server_error()) return refusal(steps[i], *reply);
  }
  return c;
}

}  // namespace respool
