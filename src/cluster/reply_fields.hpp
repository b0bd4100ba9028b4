// Reading the servers' key/value replies (COMMAND key specs, CLUSTER
// SHARDS), which come as a RESP3 map or a RESP2 flat array of pairs.
#pragma once

#include <string_view>

#include "respool/resp.hpp"

namespace respool::cluster {

// The value of `key` in `m`; null when absent (or `m` holds no pairs).
inline const Resp* field(const Resp& m, std::string_view key) {
  const auto& e = m.elements();
  for (std::size_t i = 0; i + 1 < e.size(); i += 2) {
    const auto k = e[i].bytes();
    if (k && *k == key) return &e[i + 1];
  }
  return nullptr;
}

}  // namespace respool::cluster
