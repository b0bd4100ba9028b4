// Address parsing and name resolution (see address.hpp).
#include "net/address.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <atomic>
#include <charconv>
#include <condition_variable>
#include <cstddef>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>

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

std::atomic<LookupFunction> g_lookup{nullptr};

LookupFunction lookup_function() noexcept {
  LookupFunction f = g_lookup.load(std::memory_order_acquire);
  return f != nullptr ? f : &::getaddrinfo;
}

// One lookup, shared by the caller and the thread running it: whichever
// lets go last frees it (and the addresses found).
struct Query {
  std::optional<std::string> host;  // empty: the local machine
  char service[8] = {};
  addrinfo hints{};
  LookupFunction fn = nullptr;

  std::mutex m;
  std::condition_variable cv;
  bool done = false;  // under m
  int rc = EAI_FAIL;  // under m, with list
  addrinfo* list = nullptr;

  Query() = default;
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  ~Query() {
    if (list != nullptr) ::freeaddrinfo(list);
  }

  void run() noexcept {
    addrinfo* found = nullptr;
    const int r = fn(host ? host->c_str() : nullptr, service, &hints, &found);
    std::lock_guard lk(m);
    rc = r;
    list = r == 0 ? found : nullptr;
    done = true;
    cv.notify_one();
  }
};

// Runs the query on a thread of its own and waits for it at most `timeout`.
// Returns the lookup's return code, or a timeout / the thread's creation
// failure.
Result<int> run_bounded(const std::shared_ptr<Query>& q, std::chrono::nanoseconds timeout) {
  try {
    std::thread([q] { q->run(); }).detach();
  } catch (const std::system_error& e) {
    return e.code();
  }
  std::unique_lock lk(q->m);
  if (!q->cv.wait_for(lk, timeout, [&] { return q->done; })) return errc::timeout;
  return q->rc;
}

// getaddrinfo for `host` (nullptr: the local machine) with a numeric port;
// bounded by `timeout` unless it is zero or the host is numeric.
Result<std::vector<Endpoint>> lookup(const char* host, std::uint16_t port, int family, int flags,
                                     errc on_failure, std::chrono::nanoseconds timeout) {
  auto q = std::make_shared<Query>();
  if (host != nullptr) q->host.emplace(host);
  // A numeric host is parsed, never looked up: no need for the replaceable one.
  q->fn = (flags & AI_NUMERICHOST) != 0 ? &::getaddrinfo : lookup_function();
  addrinfo& hints = q->hints;
  hints.ai_family = family;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  // No AI_ADDRCONFIG: on a machine with only loopback interfaces it would
  // hide 127.0.0.1 / ::1, the very addresses a local server listens on.
  hints.ai_flags = AI_NUMERICSERV | flags;
  auto [end, ec] = std::to_chars(q->service, q->service + sizeof q->service - 1, port);
  (void)ec;  // five digits always fit
  *end = '\0';

  if (timeout > std::chrono::nanoseconds::zero() && (flags & AI_NUMERICHOST) == 0) {
    auto rc = run_bounded(q, timeout);
    if (!rc) return rc.error();
  } else {
    q->run();
  }
  std::lock_guard lk(q->m);  // done: only for the analysers' sake
  if (q->rc != 0 || q->list == nullptr) return on_failure;
  const addrinfo* list = q->list;

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

Result<std::vector<Endpoint>> resolve_tcp(std::string_view addr, std::chrono::nanoseconds timeout) {
  auto hp = split_host_port(addr);
  if (!hp) return hp.error();

  if (hp->host.empty()) return lookup(nullptr, hp->port, AF_UNSPEC, 0, errc::resolve_failed, timeout);

  const std::string host(hp->host);
  if (hp->bracketed) {
    // An IPv6 literal, possibly with a zone ("fe80::1%eth0"): numeric only.
    return lookup(host.c_str(), hp->port, AF_INET6, AI_NUMERICHOST, errc::bad_address, timeout);
  }
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) return std::vector<Endpoint>{ipv4_endpoint(v4, hp->port)};
  return lookup(host.c_str(), hp->port, AF_UNSPEC, 0, errc::resolve_failed, timeout);
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

Result<std::vector<Endpoint>> resolve(std::string_view network, std::string_view addr,
                                      std::chrono::nanoseconds timeout) {
  auto net = parse_network(network);
  if (!net) return net.error();
  return *net == Network::tcp ? resolve_tcp(addr, timeout) : resolve_unix(addr);
}

void set_lookup_function_for_testing(LookupFunction f) noexcept {
  g_lookup.store(f, std::memory_order_release);
}

}  // namespace respool::net
