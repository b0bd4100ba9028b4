// Address parsing and name resolution for Client::dial (private).
//
//   network "tcp":  "host:port", "1.2.3.4:6379", "[::1]:6379", "[fe80::1%eth0]:6379",
//                   ":6379" (empty host: the local machine, as in Go's net.Dial).
//                   The port is decimal, 1..65535. Literal addresses are parsed
//                   without a lookup; names go through getaddrinfo and may give
//                   several endpoints (tried in turn by the caller).
//   network "unix": a socket path, shorter than sun_path; a leading '@' names a
//                   Linux abstract socket.
//
// Errors: unknown_network (network is neither), bad_address (the address
// can't be parsed: missing or out-of-range port, stray brackets or colons,
// empty or too-long path), resolve_failed (the lookup found nothing),
// timeout (the lookup of a name took longer than allowed).
//
// Blocking: a name lookup runs on a thread of its own; the caller waits for
// it at most `timeout` and then returns errc::timeout, leaving the lookup to
// finish on its own: it owns everything it touches (shared with the caller,
// freed by whichever lets go last), so nothing it uses is ever freed under
// it. Literal addresses and unix paths never wait.
//
// Thread-safety: every function may be called from any thread.
#pragma once

#include <netdb.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <string_view>
#include <vector>

#include "respool/result.hpp"

namespace respool::net {

// One address to connect to.
struct Endpoint {
  sockaddr_storage storage{};
  socklen_t length = 0;

  int family() const noexcept { return storage.ss_family; }
  const sockaddr* address() const noexcept { return reinterpret_cast<const sockaddr*>(&storage); }
};

enum class Network : std::uint8_t { tcp, unix_socket };

// "tcp" or "unix"; anything else is unknown_network.
Result<Network> parse_network(std::string_view network);

struct HostPort {
  std::string_view host;  // without brackets; empty: the local machine
  std::uint16_t port = 0;
  bool bracketed = false;  // written as "[host]:port" (an IPv6 literal)
};

// Split a tcp address without resolving it.
Result<HostPort> split_host_port(std::string_view addr);

// Every endpoint `addr` stands for on `network`, in the resolver's order.
// A host name's lookup is bounded by `timeout` (zero: no limit; it then runs
// on the caller's thread).
Result<std::vector<Endpoint>> resolve(std::string_view network, std::string_view addr,
                                      std::chrono::nanoseconds timeout = std::chrono::nanoseconds::zero());

// The function that looks names up: getaddrinfo, unless a test replaced it
// (nullptr restores getaddrinfo). Its result is released with freeaddrinfo.
using LookupFunction = int (*)(const char* host, const char* service, const addrinfo* hints, addrinfo** res);
void set_lookup_function_for_testing(LookupFunction f) noexcept;

}  // namespace respool::net
