// respool::scan: SCAN (or HSCAN, SSCAN, ZSCAN) as an input range of strings.
//
//   respool::Scanner keys = respool::scan(*pool, respool::ScanOptions{.match = "user:*", .count = 100});
//   for (const std::string& k : keys) { ... }
//   if (keys.error()) { ... }   // it stopped early, and why
//
// Each page is one command (Pool::cmd, or on a Cluster the node's pool),
// fetched when the previous page is used up: no connection is held between
// pages, so a scan may be left half-way at no cost. SCAN on a Cluster walks
// every primary of the map as it is when scan() is called, one after the
// other; HSCAN, SSCAN and ZSCAN go to the node serving their key.
//
// What the server guarantees (and so the scan): every element present from
// the start to the end of the scan is returned at least once; an element
// may be returned more than once (deduplicate if it matters); elements
// added or removed meanwhile may or may not be returned. MATCH and TYPE are
// applied by the server after it picks a page, so a page may be empty while
// the scan goes on. COUNT is a hint of the work per page, not a page size.
//
// What it yields: every string the server returns, in order. SCAN and
// SSCAN: keys, members. HSCAN: field, value, field, value ... (HSCAN NOVALUES
// is not sent). ZSCAN: member, score, member, score ...
//
// Thread-safety: a Scanner is used by one thread at a time (it is a cursor).
// Several Scanners may run at once on one Pool or Cluster, which must
// outlive them (the Scanner keeps a reference).
//
// Blocking: begin() and operator++ block for one command when they need the
// next page (Pool::cmd's wait for a connection, then one round trip); the
// rest never does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "respool/cluster.hpp"
#include "respool/pool.hpp"
#include "respool/resp.hpp"

namespace respool {

struct ScanOptions {
  std::string match{};           // MATCH pattern; empty: not sent (every element)
  std::int64_t count = 0;        // COUNT hint; 0: not sent (the server's default, 10)
  std::string type{};            // TYPE filter ("string", "hash" ...), SCAN only; empty: not sent
  std::string command = "SCAN";  // or "HSCAN", "SSCAN", "ZSCAN" (any case)
  std::string key{};             // the key of HSCAN, SSCAN, ZSCAN
};

namespace detail {
struct ScanState;
}

class Scanner {
 public:
  // An input iterator over the elements; compares equal to end() when the
  // scan is over (done, or stopped by an error). Copies share the Scanner's
  // position: advancing one moves them all (input iterator semantics).
  class iterator {
   public:
    using iterator_concept = std::input_iterator_tag;
    using iterator_category = std::input_iterator_tag;
    using value_type = std::string;
    using difference_type = std::ptrdiff_t;
    using reference = const std::string&;
    using pointer = const std::string*;

    iterator() = default;
    // Precondition: not at the end.
    reference operator*() const;
    pointer operator->() const { return &**this; }
    // May block: fetches the next page when this one is used up.
    iterator& operator++();
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept { return it.at_end(); }

   private:
    friend class Scanner;
    explicit iterator(detail::ScanState* s) noexcept : s_(s) {}
    bool at_end() const noexcept;
    detail::ScanState* s_ = nullptr;
  };

  Scanner(Scanner&&) noexcept;
  Scanner& operator=(Scanner&&) noexcept;
  Scanner(const Scanner&) = delete;
  Scanner& operator=(const Scanner&) = delete;
  ~Scanner();

  // Fetches the first page unless already started (may block). Iterate
  // once: a second begin() continues where the first left off.
  iterator begin();
  std::default_sentinel_t end() const noexcept { return {}; }

  // Why the scan stopped early (an io_error's error, errc::server_error for
  // a refusal such as WRONGTYPE, errc::protocol_error for a reply that is
  // not a page, errc::invalid_argument for bad options, errc::cluster_down
  // when a primary left the cluster's map mid-scan); empty while it runs and
  // when it ended because every page was read.
  std::error_code error() const noexcept;
  // The reply that stopped it (the server's error text, say); nil if none.
  const Resp& failure() const noexcept;
  // True once the last page was read (or an error stopped the scan).
  bool done() const noexcept;
  // Commands sent so far (pages fetched, including empty ones).
  std::size_t pages() const noexcept;

 private:
  friend Scanner scan(Pool& pool, ScanOptions options);
  friend Scanner scan(Cluster& cluster, ScanOptions options);
  explicit Scanner(std::unique_ptr<detail::ScanState> state) noexcept;
  std::unique_ptr<detail::ScanState> state_;
};

// The scan over `pool`'s server, or over every primary of `cluster` (HSCAN,
// SSCAN, ZSCAN: the node serving options.key). Sends nothing until begin().
Scanner scan(Pool& pool, ScanOptions options = {});
Scanner scan(Cluster& cluster, ScanOptions options = {});

}  // namespace respool
