// Address parsing and name resolution (see address.hpp).
#include "net/address.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <charconv>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string>

#include "respool/error.hpp"

namespace respool::net {
namespace {

// Decimal port 1..65535, digits only.
Result<std::uint16_t> parse_port(std::string_view s) {
  if (s.empty() || s.size() > 5) return errc::bad_address;
  unsigned v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return errc::bad_address;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v == 0 || v > 65535) return errc::bad_address;
  return static_cast<std::uint16_t>(v);
}

Endpoint ipv4_endpoint(const in_addr& a, std::uint16_t port) {
  Endpoint ep;
  auto* sa = reinterpret_cast<sockaddr_in*>(&ep.storage);
  sa->sin_family = AF_INET;
  sa->sin_port = htons(port);
  sa->sin_addr = a;
  ep.length = sizeof(sockaddr_in);
  return ep;
}

// getaddrinfo for `host` (nullptr: the local machine) with a numeric port.
Result<std::vector<Endpoint>> lookup(const char* host, std::uint16_t port, int family, int flags,
                                     errc on_failure) {
  addrinfo hints{};
  hints.ai_family = family;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  // No AI_ADDRCONFIG: on a machine with only loopback interfaces it would
  // hide 127.0.0.1 / ::1, the very addresses a local server listens on.
  hints.ai_flags = AI_NUMERICSERV | flags;
  char service[8];
  auto [end, ec] = std::to_chars(service, service + sizeof service - 1, port);
  (void)ec;  // five digits always fit
  *end = '\0';

  addrinfo* list = nullptr;
  if (::getaddrinfo(host, service, &hints, &list) != 0 || list == nullptr) return on_failure;
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(list, ::freeaddrinfo);

  std::vector<Endpoint> out;
  for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    if (ai->ai_addrlen > sizeof(sockaddr_storage)) continue;
    Endpoint ep;
    std::memcpy(&ep.storage, ai->ai_addr, ai->ai_addrlen);
    ep.length = ai->ai_addrlen;
    out.push_back(ep);
  }
  if (out.empty()) return on_failure;
  return out;
}

Result<std::vector<Endpoint>> resolve_tcp(std::string_view addr) {
  auto hp = split_host_port(addr);
  if (!hp) return hp.error();

  if (hp->host.empty()) return lookup(nullptr, hp->port, AF_UNSPEC, 0, errc::resolve_failed);

  const std::string host(hp->host);
  if (hp->bracketed) {
    // An IPv6 literal, possibly with a zone ("fe80::1%eth0"): numeric only.
    return lookup(host.c_str(), hp->port, AF_INET6, AI_NUMERICHOST, errc::bad_address);
  }
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) return std::vector<Endpoint>{ipv4_endpoint(v4, hp->port)};
  return lookup(host.c_str(), hp->port, AF_UNSPEC, 0, errc::resolve_failed);
}

Result<std::vector<Endpoint>> resolve_unix(std::string_view path) {
  Endpoint ep;
  auto* sa = reinterpret_cast<sockaddr_un*>(&ep.storage);
  // A pathname needs room for its terminating NUL; an abstract name ("@x")
  // is stored as NUL + name, with no terminator.
  if (path.empty() || path.size() >= sizeof sa->sun_path) return errc::bad_address;
  const bool abstract = path.front() == '@';
  if (abstract && path.size() == 1) return errc::bad_address;
  if (path.find('\0') != std::string_view::npos) return errc::bad_address;
  sa->sun_family = AF_UNIX;
  std::memcpy(sa->sun_path, path.data(), path.size());
  if (abstract) {
    sa->sun_path[0] = '\0';
    ep.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
  } else {
    sa->sun_path[path.size()] = '\0';
    ep.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  }
  return std::vector<Endpoint>{ep};
}

}  // namespace

Result<Network> parse_network(std::string_view network) {
  if (network == "tcp") return Network::tcp;
  if (network == "unix") return Network::unix_socket;
  return errc::unknown_network;
}

Result<HostPort> split_host_port(std::string_view addr) {
  HostPort hp;
  std::string_view port;
  if (!addr.empty() && addr.front() == '[') {
    const auto close = addr.find(']');
    if (close == std::string_view::npos || close == 1) return errc::bad_address;
    if (close + 1 >= addr.size() || addr[close + 1] != ':') return errc::bad_address;
    hp.host = addr.substr(1, close - 1);
    hp.bracketed = true;
    port = addr.substr(close + 2);
  } else {
    const auto colon = addr.rfind(':');
    if (colon == std::string_view::npos) return errc::bad_address;
    hp.host = addr.substr(0, colon);
    port = addr.substr(colon + 1);
    // An IPv6 literal must be bracketed: "::1:6379" is ambiguous.
    if (hp.host.find_first_of(":[]") != std::string_view::npos) return errc::bad_address;
  }
  if (hp.host.find_first_of("[]") != std::string_view::npos) return errc::bad_address;
  // A NUL byte would cut the host short at the C calls below: "127.0.0.1\0x"
  // must not dial 127.0.0.1.
  if (hp.host.find('\0') != std::string_view::npos) return errc::bad_address;
  auto p = parse_port(port);
  if (!p) return p.error();
  hp.port = *p;
  return hp;
}

Result<std::vector<Endpoint>> resolve(std::string_view network, std::string_view addr) {
  auto net = parse_network(network);
  if (!net) return net.error();
  return *net == Network::tcp ? resolve_tcp(addr) : resolve_unix(addr);
}

}  // namespace respool::net
