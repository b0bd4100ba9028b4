// respool::Batch: a reusable list of commands, encoded once, sent in one
// write by Pool::run (one connection) or Cluster::run (split by node).
//
//   respool::Batch b;
//   b.add("SET", "k", 1).add("GET", "k");
//   std::vector<respool::Resp> rs = pool->run(b);   // rs[i] answers command i
//
// Thread-safety: a plain value. Several threads may run the same Batch at
// once (run() only reads it); add() and clear() need exclusive use.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "respool/encode.hpp"

namespace respool {

class Batch {
 public:
  // Append one command; arguments as for Client::cmd (see encode.hpp).
  // Strong guarantee: an argument that throws while encoded leaves the
  // batch as it was.
  template <CommandArg... Args>
  Batch& add(std::string_view name, const Args&... args) {
    const std::size_t mark = encoded_.size();
    try {
      encode_command(encoded_, name, args...);
    } catch (...) {
      encoded_.resize(mark);
      throw;
    }
    ends_.push_back(encoded_.size());
    return *this;
  }

  std::size_t size() const noexcept { return ends_.size(); }
  bool empty() const noexcept { return ends_.empty(); }
  // Forget every command; keeps the memory for reuse.
  void clear() noexcept {
    encoded_.clear();
    ends_.clear();
  }

  // Command i as encoded on the wire (a RESP array of bulk strings).
  // Precondition: i < size().
  std::string_view command(std::size_t i) const noexcept {
    const std::size_t begin = i == 0 ? 0 : ends_[i - 1];
    return std::string_view(encoded_).substr(begin, ends_[i] - begin);
  }
  // Every command, back to back: what one write sends.
  std::string_view encoded() const noexcept { return encoded_; }

 private:
  std::string encoded_;
  std::vector<std::size_t> ends_;  // end offset of each command in encoded_
};

}  // namespace respool
