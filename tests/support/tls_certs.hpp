// Throwaway TLS certificates for tests, made by the `openssl` command in a
// temp dir (removed by the destructor): a CA, a server certificate for
// localhost / 127.0.0.1 / ::1 (subjectAltName) signed by it, a client
// certificate signed by it, a second, unrelated CA, and a hashed directory
// holding the first CA. EC P-256 keys, valid
// for two days. Failures throw std::runtime_error with openssl's output.
//
// Thread-safety: immutable once made; tls_certs() makes one set per test
// process, on first use (thread-safe static).
#pragma once

#include <string>
#include <utility>

#include "redis_server.hpp"
#include "respool/client.hpp"

namespace respool::test {

class TlsCerts {
 public:
  TlsCerts();
  ~TlsCerts();
  TlsCerts(const TlsCerts&) = delete;
  TlsCerts& operator=(const TlsCerts&) = delete;

  const std::string& dir() const { return dir_; }
  std::string ca_file() const { return dir_ + "/ca.crt"; }
  std::string server_cert() const { return dir_ + "/server.crt"; }
  std::string server_key() const { return dir_ + "/server.key"; }
  std::string client_cert() const { return dir_ + "/client.crt"; }
  std::string client_key() const { return dir_ + "/client.key"; }
  std::string other_ca_file() const { return dir_ + "/other-ca.crt"; }  // trusts none of the above
  std::string ca_dir() const { return dir_ + "/ca-dir"; }               // the CA, hashed by `openssl rehash`

 private:
  std::string dir_;
};

const TlsCerts& tls_certs();

// A redis-server serving TLS only, with tls_certs()'s server certificate;
// auth_clients is its tls-auth-clients ("no", "yes", "optional").
inline RedisServerOptions tls_server(std::string auth_clients = "no") {
  const auto& c = tls_certs();
  RedisServerOptions o;
  o.tls = RedisServerTls{c.server_cert(), c.server_key(), c.ca_file(), std::move(auth_clients)};
  return o;
}

// DialOptions with TLS on, trusting tls_certs()'s CA.
inline DialOptions tls_options() {
  DialOptions o;
  o.tls.enabled = true;
  o.tls.ca_file = tls_certs().ca_file();
  return o;
}

}  // namespace respool::test
