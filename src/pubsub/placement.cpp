// pubsub::Reader: callers' tasks, confirmations and refusals, and where
// each shard channel is subscribed (see reader.hpp).
//
// On one server everything rides the one connection. On a cluster a shard
// channel lives on the connection to its slot's primary. When its slot
// moves, the server sends SUNSUBSCRIBE for it on its own: it is then
// subscribed again at the new owner (the map, else the MOVED the old owner
// answers), and a `resubscribed` notice follows the new confirmation. A
// shard channel whose node can't be dialed is placed again, from a fresh
// map, with backoff.
#include <charconv>

#include "pubsub/reader.hpp"
#include "respool/error.hpp"

namespace respool::pubsub {

void Reader::apply(const Task& task) {
  const Family f = family_of(task.op);
  for (const std::string& name : task.names) {
    if (f == shards) {
      apply_shard(task.op, name);
      continue;
    }
    Link& l = *classic_;
    if (is_unsubscribe(task.op)) {
      l.names[f].erase(name);
      if (!l.up()) {
        core_->confirmed(task.op, name);  // nothing to undo on a closed connection
        continue;
      }
    } else {
      l.names[f].insert(name);
      if (!l.up()) continue;  // subscribed when the connection is back
    }
    l.send(task.op, name);
  }
}

void Reader::apply_shard(Op op, const std::string& name) {
  Link* home = home_of(name);
  if (!is_unsubscribe(op)) {
    if (homeless_.contains(name)) return;  // confirmed once placed
    if (home == nullptr) {
      place_shard(name, {}, false, 0);
    } else if (home->up()) {
      home->send(op, name);  // already there: the server confirms again
    }
    return;
  }
  homeless_.erase(name);
  notify_on_confirm_.erase(name);
  if (home != nullptr) home->names[shards].erase(name);
  if (home != nullptr && home->up()) {
    home->send(op, name);
  } else {
    core_->confirmed(op, name);
  }
}

Link* Reader::home_of(const std::string& name) {
  if (!cluster_) return classic_->names[shards].contains(name) ? classic_.get() : nullptr;
  for (auto& [addr, l] : shard_links_)
    if (l->names[shards].contains(name)) return l.get();
  return nullptr;
}

Link& Reader::shard_link(const std::string& addr) {
  auto& l = shard_links_[addr];
  if (!l) l = std::make_unique<Link>("tcp", addr);
  return *l;
}

void Reader::place_shard(const std::string& name, std::string addr, bool notify, int attempts) {
  Link* l = classic_.get();
  if (cluster_) {
    if (addr.empty()) addr = cluster_->primary_for(key_slot(name), attempts > 0);
    if (addr.empty()) {  // no node serves the slot now
      homeless_[name] = {Clock::now() + backoff_after(attempts + 1), attempts + 1, notify};
      return;
    }
    l = &shard_link(addr);
  }
  l->names[shards].insert(name);
  if (notify) notify_on_confirm_.insert(name);
  if (l->up()) l->send(Op::ssubscribe, name);  // else when it connects
}

void Reader::place_homeless(Clock::time_point now) {
  for (auto it = homeless_.begin(); it != homeless_.end();) {
    if (it->second.at > now) {
      ++it;
      continue;
    }
    const std::string name = it->first;
    const Homeless h = it->second;
    it = homeless_.erase(it);
    place_shard(name, {}, h.notify, h.attempts);
  }
}

void Reader::handle_confirmation(Link& l, Frame& f) {
  if (f.op == Op::sunsubscribe) {
    auto own = l.own_sunsubscribes.find(f.name);
    if (own == l.own_sunsubscribes.end()) {
      // The server's own: the slot moved away from this node.
      if (l.names[shards].erase(f.name) != 0) homeless_[f.name] = {Clock::now(), 0, true};
      return;
    }
    l.own_sunsubscribes.erase(own);
  }
  if (f.op == Op::ssubscribe && notify_on_confirm_.erase(f.name) != 0) {
    core_->count_resubscribed();
    Message notice;
    notice.kind = Message::Kind::resubscribed;
    notice.channel = f.name;
    notice.payload = l.client != nullptr ? l.client->addr() : l.addr;
    core_->deliver(std::move(notice));
  }
  core_->confirmed(f.op, f.name);
}

void Reader::handle_error(Link& l, const Frame& f, const Owed& owed) {
  const auto& [op, name] = *owed;
  const std::string_view text = f.text;
  if (cluster_ && op == Op::ssubscribe && l.names[shards].contains(name)) {
    const bool notify = notify_on_confirm_.erase(name) != 0;
    if (text.starts_with("MOVED ")) {
      // "MOVED <slot> <host:port>": the owner, whatever our map says.
      l.names[shards].erase(name);
      place_shard(name, std::string(text.substr(text.rfind(' ') + 1)), notify, 0);
      return;
    }
    if (text.starts_with("ASK ") || text.starts_with("TRYAGAIN") || text.starts_with("CLUSTERDOWN")) {
      // The slot is moving or unserved: ask the map again soon.
      l.names[shards].erase(name);
      homeless_[name] = {Clock::now() + backoff_after(1), 1, notify};
      return;
    }
  }
  if (!is_unsubscribe(op)) l.names[family_of(op)].erase(name);
  if (op == Op::sunsubscribe) {
    auto own = l.own_sunsubscribes.find(name);
    if (own != l.own_sunsubscribes.end()) l.own_sunsubscribes.erase(own);
  }
  core_->refused(op, name, errc::server_error);
}

}  // namespace respool::pubsub
