// One command through the cluster: pick the node from the slot map, send,
// and follow what the reply says. The retry rules (docs/cluster.md):
//   MOVED        the slot has a new owner: patch the map, ask for a refresh,
//                send there. Counts toward max_redirects.
//   ASK          the slot is migrating and this key already left: ASKING
//                plus the command at the target; the map stays. Counts.
//   TRYAGAIN     a multi-key command whose keys are split by a migration:
//                wait (doubling from tryagain_delay) and send again. Counts.
//   CLUSTERDOWN, no owner for the slot, a node that can't be reached
//                (nothing was sent): wait for a fresh map and send again,
//                until down_budget runs out.
//   not_sent     the pool found its node's connections gone before writing
//                (its own retry already spent) or its pool was emptied:
//                route again.
//   unknown      the command may have run: never sent again, except once
//                when the caller said it is idempotent.
// Everything else (a reply, a server error) goes back to the caller.
#include <algorithm>
#include <thread>

#include "cluster/state.hpp"
#include "respool/error.hpp"

namespace respool::detail {
namespace {

using clock = std::chrono::steady_clock;

bool has_prefix(std::string_view msg, std::string_view word) {
  return msg.size() > word.size() && msg.substr(0, word.size()) == word && msg[word.size()] == ' ';
}

// ASKING and the command in one write on one connection; the command's reply.
Resp send_asking(NodePool& node, std::string_view encoded) {
  Lease l = node.pool->lease();
  if (!l) return Resp::io_error(l.error(), Delivery::not_sent);
  l->pipe_append("ASKING");
  l->pipe_append_encoded(encoded);
  Resp asking = l->pipe_resp();
  Resp r = l->pipe_resp();
  if (asking.is_io_error()) return r.is_io_error() ? r : Resp::io_error(asking.err(), Delivery::unknown);
  // ASKING lasts for one command only, so it leaves the session as the
  // dial did; anything the command itself changed (WATCH ...) still counts.
  if (!r.is_io_error()) (void)l->accept_session_as_baseline();
  return r;
}

// Errors of the pool itself, not of the node: the caller's to see.
bool pool_refusal(std::error_code ec) noexcept {
  return ec == errc::get_timeout || ec == errc::invalid_argument || ec == errc::unknown_network ||
         ec == errc::bad_address || ec == errc::tls_config;
}

}  // namespace

Resp route_command(ClusterState& st, std::string_view encoded, std::string_view name, Route route,
                   bool idempotent, Resp* first_reply, const std::string* first_addr) {
  const ClusterOptions& opt = st.options();
  std::optional<clock::time_point> down_deadline;
  auto may_wait_for_cluster = [&] {
    if (!down_deadline) down_deadline = clock::now() + opt.down_budget;
    if (clock::now() >= *down_deadline) return false;
    st.refresh_and_wait(*down_deadline);
    return !st.closed();
  };

  int redirects = 0;
  auto tryagain_wait = opt.tryagain_delay;
  bool asking = false, force_primary = false, resent_unknown = false, rerouted_closed = false;
  std::shared_ptr<NodePool> target;  // set by MOVED/ASK for the next send only
  std::string addr;                  // the node that gave the reply being looked at
  bool from_replica = false;

  for (;;) {
    Resp r;
    if (first_reply != nullptr) {
      r = std::move(*first_reply);
      addr = first_addr != nullptr ? *first_addr : std::string();
      first_reply = nullptr;
    } else {
      if (st.closed()) return Resp::io_error(st.closed_error(), Delivery::not_sent);
      std::shared_ptr<const Topology> topo = st.topology();
      NodePool* node = target ? target.get() : st.choose(*topo, route, force_primary);
      if (node == nullptr) {
        if (!may_wait_for_cluster()) return Resp::io_error(errc::cluster_down, Delivery::not_sent);
        st.counters.r_down.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      r = asking ? send_asking(*node, encoded) : node->pool->cmd_encoded(name, encoded);
      addr = node->addr;
      from_replica = node->replica;
      target.reset();
      asking = false;
    }

    if (r.is_server_error()) {
      const std::string& msg = r.text();
      const bool moved = has_prefix(msg, "MOVED"), ask = has_prefix(msg, "ASK");
      if (moved || ask) {
        std::optional<cluster::Redirect> rd = cluster::parse_redirect(msg, cluster::host_of(addr));
        if (!rd) return r;
        (moved ? st.counters.moved : st.counters.ask).fetch_add(1, std::memory_order_relaxed);
        if (++redirects > opt.max_redirects)
          return Resp::io_error(errc::too_many_redirects, Delivery::not_sent);
        if (moved) {
          st.apply_moved(rd->slot, rd->addr);
          st.request_refresh();
          st.counters.r_moved.fetch_add(1, std::memory_order_relaxed);
        } else {
          asking = true;
          st.counters.r_ask.fetch_add(1, std::memory_order_relaxed);
        }
        target = st.pool_for(rd->addr);
        if (!target) return Resp::io_error(st.closed_error(), Delivery::not_sent);
        continue;
      }
      if (has_prefix(msg, "TRYAGAIN")) {
        if (++redirects > opt.max_redirects) return r;
        std::this_thread::sleep_for(tryagain_wait);
        tryagain_wait = std::min<std::chrono::nanoseconds>(tryagain_wait * 2, std::chrono::milliseconds(100));
        st.counters.r_tryagain.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      if (has_prefix(msg, "CLUSTERDOWN") || has_prefix(msg, "LOADING") || has_prefix(msg, "MASTERDOWN")) {
        if (from_replica && opt.read_from == ReadFrom::prefer_replica && !force_primary) {
          force_primary = true;  // a replica that can't serve yet: its primary can
          continue;
        }
        if (!may_wait_for_cluster()) return r;
        st.counters.r_down.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      return r;
    }

    if (!r.is_io_error()) return r;
    const std::error_code ec = r.err();
    if (r.delivery() == Delivery::not_sent) {
      if (pool_refusal(ec) || st.closed()) return r;
      if (from_replica && opt.read_from != ReadFrom::primary && !force_primary) {
        force_primary = true;  // a replica that is down: read from its primary
        st.counters.r_connect.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      if (ec == errc::pool_closed && !rerouted_closed) {  // that node left the map meanwhile
        rerouted_closed = true;
        st.counters.r_not_sent.fetch_add(1, std::memory_order_relaxed);
      } else {
        if (!may_wait_for_cluster()) return r;
        st.counters.r_connect.fetch_add(1, std::memory_order_relaxed);
      }
      continue;
    }
    // The command may have run. The node may be failing: learn the map anew.
    st.request_refresh();
    if (idempotent && !resent_unknown) {
      resent_unknown = true;
      st.counters.r_idempotent.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    return r;
  }
}

}  // namespace respool::detail
