// net::TlsContext: building SSL_CTXs and caching them (see tls_context.hpp).
#include "net/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "respool/error.hpp"

namespace respool::net {
namespace {

constexpr std::size_t kCacheSize = 8;

std::atomic<std::uint64_t> builds{0};

// What a file was when its context was built; a change means "rebuild".
struct Stamp {
  bool present = false;
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  long long mtime_ns = 0;

  bool operator==(const Stamp&) const = default;
};

Stamp stamp_of(const std::string& path) {
  Stamp s;
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) return s;
  s.present = true;
  s.dev = st.st_dev;
  s.ino = st.st_ino;
  s.size = st.st_size;
  s.mtime_ns = static_cast<long long>(st.st_mtim.tv_sec) * 1'000'000'000LL + st.st_mtim.tv_nsec;
  return s;
}

// The files a context is built from. The system's default CA file counts
// when no CA is named, so that an update of the system store is seen too.
struct Key {
  std::string ca_file, ca_dir, cert_file, key_file;
  bool verify = true;

  bool operator==(const Key&) const = default;

  bool uses_default_store() const noexcept { return verify && ca_file.empty() && ca_dir.empty(); }

  std::array<Stamp, 3> stamps() const {
    const std::string ca = uses_default_store() ? std::string(X509_get_default_cert_file()) : ca_file;
    return {stamp_of(ca), stamp_of(cert_file), stamp_of(key_file)};
  }
};

struct Entry {
  Key key;
  std::array<Stamp, 3> stamps;
  std::shared_ptr<const TlsContext> context;
  std::uint64_t used = 0;  // for least-recently-used eviction
};

struct Cache {
  std::mutex m;
  std::vector<Entry> entries;
  std::uint64_t clock = 0;
};

// Never destroyed: OpenSSL cleans itself up at exit, possibly before a
// static destructor of ours would free the contexts.
Cache& cache() {
  static Cache* c = new Cache;
  return *c;
}

// An encrypted key must fail as tls_config, never prompt on a terminal.
int no_passphrase(char*, int, int, void*) { return 0; }

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::error_code configure(SSL_CTX* ctx, const Key& k) {
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) return errc::tls_config;
  // Renegotiation (TLS 1.2) would let the server make a read wait for a
  // write; nothing Redis needs.
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
  // Read whole records at once: usually one recv per reply, as in plaintext.
  SSL_CTX_set_read_ahead(ctx, 1);
  SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
  SSL_CTX_set_verify(ctx, k.verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);

  if (!k.ca_dir.empty() && !is_directory(k.ca_dir)) return errc::tls_config;
  if (!k.ca_file.empty() || !k.ca_dir.empty()) {
    const char* file = k.ca_file.empty() ? nullptr : k.ca_file.c_str();
    const char* dir = k.ca_dir.empty() ? nullptr : k.ca_dir.c_str();
    if (SSL_CTX_load_verify_locations(ctx, file, dir) != 1) return errc::tls_config;
  } else if (k.verify && SSL_CTX_set_default_verify_paths(ctx) != 1) {
    return errc::tls_config;
  }

  if (!k.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, k.cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, k.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1)
      return errc::tls_config;
  }
  return {};
}

Result<std::shared_ptr<const TlsContext>> build(const Key& k) {
  ERR_clear_error();
  SSL_CTX* raw = SSL_CTX_new(TLS_client_method());
  if (raw == nullptr) {
    ERR_clear_error();
    return std::make_error_code(std::errc::not_enough_memory);
  }
  auto context = std::make_shared<const TlsContext>(raw);  // owns raw from here
  builds.fetch_add(1, std::memory_order_relaxed);
  if (auto ec = configure(raw, k)) {
    ERR_clear_error();  // OpenSSL's queue is per thread: leave it clean
    return ec;
  }
  return context;
}

}  // namespace

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

std::uint64_t tls_context_builds() noexcept { return builds.load(std::memory_order_relaxed); }

Result<std::shared_ptr<const TlsContext>> TlsContext::get(const TlsOptions& o) {
  Key key{o.ca_file, o.ca_dir, o.cert_file, o.key_file, o.verify};
  const auto stamps = key.stamps();
  Cache& c = cache();
  {
    std::lock_guard lk(c.m);
    for (Entry& e : c.entries) {
      if (e.key == key && e.stamps == stamps) {
        e.used = ++c.clock;
        return e.context;
      }
    }
  }

  auto built = build(key);
  if (!built) return built.error();

  std::lock_guard lk(c.m);
  // Drop the entry for the same options (its files changed), then the least
  // recently used one when full.
  std::erase_if(c.entries, [&](const Entry& e) { return e.key == key; });
  if (c.entries.size() >= kCacheSize) {
    auto oldest = std::min_element(c.entries.begin(), c.entries.end(),
                                   [](const Entry& a, const Entry& b) { return a.used < b.used; });
    c.entries.erase(oldest);
  }
  c.entries.push_back(Entry{std::move(key), stamps, *built, ++c.clock});
  return built;
}

}  // namespace respool::net
