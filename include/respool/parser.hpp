// respool::Parser: an incremental RESP2/RESP3 reply parser with no I/O.
//
// Feed it bytes as they arrive, split anywhere; take complete replies out in
// order. It never reads a socket, so it is tested byte by byte without a
// server (like hiredis's read.h).
//
//   Parser p;
//   p.feed(bytes);                       // or: auto buf = p.prepare(n); read into it; p.commit(got);
//   while (auto r = p.next()) {          // Result<std::optional<Resp>>
//     if (!*r) break;                    // need more bytes
//     use(**r);
//   }
//   // !r: protocol_error or limit_exceeded; the parser is then broken for
//   // good (every later next() returns the same error) and the connection
//   // must be closed.
//
// Limits (ParserLimits) are hard: a peer's claim (a bulk length, an element
// count) never sizes an allocation beyond what has actually arrived (an
// aggregate's room for elements grows with those that came: at most four
// times their number, or 16), the heap a reply holds stays within
// max_reply_memory, and a limit hit is errc::limit_exceeded, never an
// overflow or a crash.
//
// Thread-safety: none; one parser per connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "respool/resp.hpp"
#include "respool/result.hpp"

namespace respool {

struct ParserLimits {
  // Largest bulk / verbatim / blob-error / big-number payload, in bytes.
  // Default: 512 MiB, Redis's own proto-max-bulk-len.
  std::int64_t max_bulk_length = 512LL * 1024 * 1024;
  // Deepest nesting of aggregates; a top-level array is depth 1. Values
  // above max_depth_ceiling count as max_depth_ceiling: a Resp is destroyed,
  // copied, compared and printed recursively, so a deeper tree could
  // overflow the thread's stack.
  std::int64_t max_depth = 64;
  static constexpr std::int64_t max_depth_ceiling = 1024;
  // Most elements in one aggregate (a map of n pairs counts 2n).
  std::int64_t max_elements = 16LL * 1024 * 1024;
  // Most bytes one reply may occupy on the wire.
  std::int64_t max_reply_bytes = 1024LL * 1024 * 1024;
  // Most heap one reply may hold in memory, in bytes. Default: 1 GiB.
  //
  // Counted, as asked of operator new (the allocator's own per-block
  // overhead is not): every vector of elements at its capacity times
  // sizeof(Resp); every string too long to be stored inside its Resp at its
  // capacity + 1; sizeof(Resp) for each attribute block attached to a value.
  // That is the whole heap of the finished reply. Not counted: the Resp at
  // the root (it is the caller's), and the parser's own buffers, bounded
  // apart: the input buffer (bytes not yet parsed: at most one line or one
  // bulk payload, within max_reply_bytes, plus one read) and the stack of
  // open aggregates (at most max_depth frames of a few sizeof(Resp)).
  //
  // The count is checked before each allocation, so the heap the reply
  // holds never passes this limit, not even while a vector of elements is
  // reallocated (its old and new buffers are counted together). Worst case
  // per wire byte: a nil element ("_\r\n", 3 bytes) costs sizeof(Resp), so
  // max_reply_bytes alone would allow sizeof(Resp) / 3 times its value.
  // 0 or less: only replies that need no heap pass.
  std::int64_t max_reply_memory = 1024LL * 1024 * 1024;
};

class Parser {
 public:
  explicit Parser(ParserLimits limits = {});
  ~Parser();
  Parser(Parser&&) noexcept;
  Parser& operator=(Parser&&) noexcept;
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  // Copy bytes in.
  void feed(std::string_view bytes);
  // Zero-copy input: a writable span of at least `min_size` bytes at the end
  // of the buffer; after writing n bytes into it, call commit(n).
  std::span<char> prepare(std::size_t min_size);
  void commit(std::size_t n);

  // The next complete reply; std::nullopt when more bytes are needed; an
  // error (protocol_error, limit_exceeded) when the input is not RESP or
  // breaks a limit.
  Result<std::optional<Resp>> next();

  // Bytes fed but not yet consumed by a returned reply.
  std::size_t buffered() const noexcept;
  // Drop all buffered bytes and partial state (after a connection reset).
  void reset();

  const ParserLimits& limits() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace respool
