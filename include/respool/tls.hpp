// respool::TlsOptions: TLS for a connection (DialOptions::tls). OpenSSL 3
// does the work; no OpenSSL type appears in respool's public headers.
//
// Defaults are the safe ones: when TLS is enabled, the server's certificate
// chain is verified against the system's trusted CAs (or ca_file / ca_dir),
// and its name is checked against the host of the address dialed. See
// docs/TLS.md for the reasons and for how each mistake shows up.
//
// What blocks: the TLS handshake runs inside Client::dial and is bounded, as
// a whole, by DialOptions::connect_timeout (errc::timeout when it elapses).
// Afterwards each read and write is bounded by read_timeout / write_timeout
// exactly as on a plaintext connection. Loading the files is done at dial
// (once per distinct set of files while they are unchanged: see docs/TLS.md).
//
// Errors (at dial unless said otherwise):
//   tls_config              a CA, certificate or key file can't be read or
//                           parsed, or the key doesn't match the certificate
//   tls_certificate_invalid the server's certificate chain is not trusted
//                           (unknown CA, expired, not a server certificate)
//   tls_host_mismatch       the certificate is valid but not for this host
//   tls_handshake_failed    the peer doesn't speak TLS, or refused the
//                           handshake (no common protocol version, our client
//                           certificate missing or not trusted). With TLS 1.3
//                           a server refuses a client certificate only after
//                           the client's side of the handshake is done, so
//                           this may come from the first command instead
//   tls_error               a TLS failure on an established connection
//                           (critical: the connection is closed)
//   invalid_argument        enabled over a unix socket; verify on with no
//                           name to check (":6379" and no server_name);
//                           cert_file without key_file or the reverse
// Messages are fixed text: never a path, a name or key material.
#pragma once

#include <string>

namespace respool {

struct TlsOptions {
  // Off by default: a plaintext connection, and the fields below are ignored.
  bool enabled = false;

  // Trusted CAs: a PEM file of one or more certificates, and/or a directory
  // of hashed certificates (as made by `openssl rehash`). Both empty: the
  // system's default trust store.
  std::string ca_file;
  std::string ca_dir;

  // Our own certificate (PEM, may hold the chain) and its private key (PEM,
  // unencrypted: respool never prompts for a passphrase), for servers run
  // with `tls-auth-clients yes`. Both or neither.
  std::string cert_file;
  std::string key_file;

  // The name sent as SNI and checked against the server's certificate.
  // Empty: the host of the address dialed. An IP address (written here or
  // in the address) is checked against the certificate's IP SANs and sent
  // as no SNI, as RFC 6066 requires.
  std::string server_name;

  // Verify the server's certificate chain and name. Turning it off accepts
  // any server, including an attacker in the middle: for tests only.
  bool verify = true;
};

}  // namespace respool
