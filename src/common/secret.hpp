// Wiping secrets (passwords) from memory respool owns (private).
#pragma once

#include <string>

namespace respool::detail {

// Overwrites every byte of `s` in a way the compiler can't drop as a dead
// store (OPENSSL_cleanse), then empties it.
void wipe_secret(std::string& s) noexcept;

}  // namespace respool::detail
