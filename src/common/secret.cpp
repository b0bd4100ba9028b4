#include "common/secret.hpp"

#include <openssl/crypto.h>

namespace respool::detail {

void wipe_secret(std::string& s) noexcept {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

}  // namespace respool::detail
