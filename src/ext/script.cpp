// respool::Script (see respool/script.hpp): EVALSHA, and EVAL after NOSCRIPT.
#include "respool/script.hpp"

#include <openssl/evp.h>

#include <array>
#include <string>
#include <string_view>
#include <utility>

#include "respool/encode.hpp"

namespace respool {
namespace {

std::string sha1_hex(std::string_view text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  if (EVP_Digest(text.data(), text.size(), md.data(), &len, EVP_sha1(), nullptr) != 1 || len != 20) return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 0xFu]);
  }
  return out;
}

bool is_noscript(const Resp& r) { return r.is_server_error() && r.text().starts_with("NOSCRIPT"); }

// EVALSHA (or EVAL with the source) sha-or-source numkeys keys... args...
std::string encode(std::string_view name, std::string_view body, const StringList& keys,
                   const StringList& args) {
  std::string buf;
  encode_command(buf, name, body, keys.size(), keys.items(), args.items());
  return buf;
}

// EVALSHA through `send(name, encoded)`; EVAL through it again only after
// NOSCRIPT (the script did not run).
template <class Send>
Resp run_with(const std::string& sha1, const std::string& source, const StringList& keys,
              const StringList& args, Send&& send) {
  if (!sha1.empty()) {
    Resp r = send(std::string_view("EVALSHA"), encode("EVALSHA", sha1, keys, args));
    if (!is_noscript(r)) return r;
  }
  return send(std::string_view("EVAL"), encode("EVAL", source, keys, args));
}

}  // namespace

Script::Script(std::string source) : source_(std::move(source)), sha1_(sha1_hex(source_)) {}

Resp Script::run(Pool& pool, const StringList& keys, const StringList& args) const {
  return run_with(sha1_, source_, keys, args, [&](std::string_view name, const std::string& encoded) {
    return pool.cmd_encoded(name, encoded);
  });
}

Resp Script::run(Cluster& cluster, const StringList& keys, const StringList& args) const {
  return run_with(sha1_, source_, keys, args,
                  [&](std::string_view, const std::string& encoded) { return cluster.cmd_encoded(encoded); });
}

Resp Script::run(Client& client, const StringList& keys, const StringList& args) const {
  return run_with(sha1_, source_, keys, args,
                  [&](std::string_view, const std::string& encoded) { return client.cmd_encoded(encoded); });
}

}  // namespace respool
