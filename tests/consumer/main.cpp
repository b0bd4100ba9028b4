// An outside program using respool through its installed package (or as a
// subdirectory): it must compile, link, and reach the library at run time.
#include <cstdio>
#include <respool/respool.hpp>

int main() {
  // No server needed: an unknown network is a clear error from the library.
  auto c = respool::Client::dial("udp", "127.0.0.1:6379");
  if (c || c.error() != respool::errc::unknown_network) return 1;
  std::printf("consumer ok: %s\n", c.error().message().c_str());
  return 0;
}
