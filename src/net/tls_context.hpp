// net::TlsContext: one configured OpenSSL SSL_CTX (trusted CAs, our
// certificate and key, verification mode, TLS >= 1.2), built from
// TlsOptions (private).
//
// Built contexts are cached process-wide, keyed by the options' files and
// checked against each file's identity (device, inode, size, mtime) at every
// lookup: a pool that dials often parses its CA bundle once, not per dial,
// and a certificate renewed on disk is picked up by the next dial. The cache
// holds at most a few contexts (least recently used ones are dropped).
//
// A context is immutable once built: connections share it from any thread
// (OpenSSL allows SSL_new on a configured SSL_CTX concurrently). Each SSL
// holds its own reference, so a context dropped from the cache stays alive
// while a connection uses it.
//
// Errors: errc::tls_config when a named file can't be read or parsed, the
// CA directory is not a directory, or the key doesn't match the
// certificate; std::errc::not_enough_memory when OpenSSL can't allocate.
//
// Blocks: get() reads files (a stat per named file on a cache hit). The
// cache's mutex is not held while files are parsed.
#pragma once

#include <cstdint>
#include <memory>

#include "respool/result.hpp"
#include "respool/tls.hpp"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace respool::net {

class TlsContext {
 public:
  // The context for `options` (whose `enabled`, `server_name` are not used):
  // from the cache when its files are unchanged, else freshly built.
  static Result<std::shared_ptr<const TlsContext>> get(const TlsOptions& options);

  explicit TlsContext(ssl_ctx_st* ctx) noexcept : ctx_(ctx) {}
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  ssl_ctx_st* native() const noexcept { return ctx_; }

 private:
  ssl_ctx_st* ctx_;
};

// Contexts built (files parsed) so far in this process: for tests of the
// cache.
std::uint64_t tls_context_builds() noexcept;

}  // namespace respool::net
