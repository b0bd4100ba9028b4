// respool::scan (see respool/scan.hpp): one cursor step per page, each one
// command of its own through the pool (or the node's pool), nothing held
// between steps.
#include "respool/scan.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/ascii.hpp"
#include "respool/encode.hpp"

namespace respool {

struct detail::ScanState {
  Pool* pool = nullptr;  // a plain server, or
  Cluster* cluster = nullptr;
  ScanOptions options;
  bool keyed = false;              // HSCAN, SSCAN, ZSCAN
  std::vector<std::string> nodes;  // SCAN on a cluster: the primaries, in turn
  std::size_t node = 0;
  std::string cursor = "0";
  bool node_started = false;  // a page of the current node was read
  std::vector<std::string> page;
  std::size_t pos = 0;
  bool done = false;
  std::error_code error;
  Resp failure;
  std::size_t pages = 0;

  void stop(std::error_code ec, Resp why = Resp()) {
    done = true;
    error = ec;
    failure = std::move(why);
  }

  // Until an element is at `pos`, or the scan is over.
  void fill() {
    while (pos >= page.size() && !done) {
      if (node_started && cursor == "0") {  // this node's scan is complete
        if (++node < nodes.size()) {
          node_started = false;
          continue;
        }
        done = true;
        break;
      }
      fetch();
    }
  }

  void fetch() {
    const std::string_view name = options.command;
    std::vector<std::string_view> extra;  // MATCH, COUNT, TYPE: an empty range adds nothing
    const std::string count = std::to_string(options.count);
    if (!options.match.empty()) extra.insert(extra.end(), {"MATCH", options.match});
    if (options.count > 0) extra.insert(extra.end(), {"COUNT", count});
    if (!options.type.empty()) extra.insert(extra.end(), {"TYPE", options.type});
    std::string buf;
    if (keyed) {
      encode_command(buf, name, options.key, cursor, extra);
    } else {
      encode_command(buf, name, cursor, extra);
    }

    Resp r;
    if (pool != nullptr) {
      r = pool->cmd_encoded(name, buf);
    } else if (keyed) {
      r = cluster->cmd_encoded(buf);
    } else {
      std::shared_ptr<Pool> p = cluster->node_pool(nodes[node]);
      if (!p) return stop(make_error_code(errc::cluster_down));
      r = p->cmd_encoded(name, buf);
    }
    ++pages;
    if (r.err()) return stop(r.err(), std::move(r));
    const std::vector<Resp>& e = r.elements();
    if (r.type() != Resp::Type::array || e.size() != 2 || !e[0].bytes() || !e[1].is_aggregate())
      return stop(make_error_code(errc::protocol_error), std::move(r));
    std::vector<std::string> next;
    next.reserve(e[1].elements().size());
    for (const Resp& item : e[1].elements()) {
      Result<std::string> s = item.str();
      if (!s) return stop(make_error_code(errc::protocol_error), std::move(r));
      next.push_back(std::move(*s));
    }
    cursor = std::string(*e[0].bytes());
    node_started = true;
    page = std::move(next);
    pos = 0;
  }
};

namespace {

using respool::detail::iequals;

// Checks the options; stops the scan with invalid_argument when they are bad.
void check(detail::ScanState& s) {
  const std::string& c = s.options.command;
  s.keyed = iequals(c, "HSCAN") || iequals(c, "SSCAN") || iequals(c, "ZSCAN");
  const bool ok = (s.keyed ? !s.options.key.empty() && s.options.type.empty()
                           : iequals(c, "SCAN") && s.options.key.empty()) &&
                  s.options.count >= 0;
  if (!ok) s.stop(make_error_code(errc::invalid_argument));
}

}  // namespace

const std::string& Scanner::iterator::operator*() const { return s_->page[s_->pos]; }

Scanner::iterator& Scanner::iterator::operator++() {
  ++s_->pos;
  s_->fill();
  return *this;
}

bool Scanner::iterator::at_end() const noexcept { return s_ == nullptr || s_->pos >= s_->page.size(); }

Scanner::Scanner(std::unique_ptr<detail::ScanState> state) noexcept : state_(std::move(state)) {}
Scanner::Scanner(Scanner&&) noexcept = default;
Scanner& Scanner::operator=(Scanner&&) noexcept = default;
Scanner::~Scanner() = default;

Scanner::iterator Scanner::begin() {
  if (!state_) return iterator();
  state_->fill();
  return iterator(state_.get());
}

std::error_code Scanner::error() const noexcept { return state_ ? state_->error : std::error_code{}; }

const Resp& Scanner::failure() const noexcept {
  static const Resp none;
  return state_ ? state_->failure : none;
}

bool Scanner::done() const noexcept { return !state_ || state_->done; }

std::size_t Scanner::pages() const noexcept { return state_ ? state_->pages : 0; }

Scanner scan(Pool& pool, ScanOptions options) {
  auto s = std::make_unique<detail::ScanState>();
  s->pool = &pool;
  s->options = std::move(options);
  check(*s);
  return Scanner(std::move(s));
}

Scanner scan(Cluster& cluster, ScanOptions options) {
  auto s = std::make_unique<detail::ScanState>();
  s->cluster = &cluster;
  s->options = std::move(options);
  check(*s);
  if (!s->keyed && !s->done) {
    s->nodes = cluster.primaries();
    if (s->nodes.empty()) s->stop(make_error_code(errc::cluster_down));
  }
  return Scanner(std::move(s));
}

}  // namespace respool
