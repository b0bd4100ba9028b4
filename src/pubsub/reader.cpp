// pubsub::Reader: the loop, dials and reconnects, PINGs, and reading (see
// reader.hpp). Where shard channels go is in placement.cpp.
#include "pubsub/reader.hpp"

#include <poll.h>

#include <algorithm>

#include "respool/error.hpp"

namespace respool::pubsub {

Reader::Reader(std::shared_ptr<Core> core, std::string network, std::string addr)
    : core_(std::move(core)), classic_(std::make_unique<Link>(std::move(network), std::move(addr))) {}

Reader::Reader(std::shared_ptr<Core> core, std::shared_ptr<Cluster> cluster)
    : core_(std::move(core)), cluster_(std::move(cluster)), classic_(std::make_unique<Link>("tcp", "")) {}

std::error_code Reader::first_dial() {
  const std::error_code ec = connect(*classic_);
  if (ec || classic_->up()) return ec;
  return errc::connection_closed;
}

std::vector<Link*> Reader::links() {
  std::vector<Link*> out{classic_.get()};
  for (auto& [addr, l] : shard_links_) out.push_back(l.get());
  return out;
}

bool Reader::wants_connection(const Link& l) const noexcept {
  // One server: always connected (PINGs keep the link checked); on a
  // cluster, only links carrying a subscription.
  return (!cluster_ && &l == classic_.get()) || l.carries_any();
}

std::chrono::nanoseconds Reader::grow(std::chrono::nanoseconds backoff) const {
  const auto& o = core_->options();
  return std::clamp(std::max<std::chrono::nanoseconds>(backoff * 2, std::chrono::milliseconds(1)),
                    o.min_backoff, o.max_backoff);
}

std::chrono::nanoseconds Reader::backoff_after(int failures) const {
  const auto& o = core_->options();
  auto b = o.min_backoff;
  for (int i = 1; i < failures && b < o.max_backoff; ++i) b *= 2;
  return std::min(b, o.max_backoff);
}

void Reader::run() {
  core_->set_reader_thread(std::this_thread::get_id());
  std::vector<pollfd> fds;
  std::vector<Link*> polled;
  while (!core_->stopped()) {
    for (const Task& t : core_->take_tasks()) apply(t);
    place_homeless(Clock::now());
    for (Link* l : links())
      if (!l->up() && wants_connection(*l) && Clock::now() >= l->retry_at) connect(*l);
    for (Link* l : links()) flush(*l);
    close_unused();
    ping_idle(Clock::now());

    fds.clear();
    polled.clear();
    fds.push_back({core_->wake_fd(), POLLIN, 0});
    for (Link* l : links()) {
      if (!l->up()) continue;
      fds.push_back({l->client->native_handle(), POLLIN, 0});
      polled.push_back(l);
    }
    const int timeout = poll_timeout(Clock::now());
    const int n = ::poll(fds.data(), static_cast<nfds_t>(fds.size()), timeout);
    if (n < 0) continue;  // EINTR: go round again
    if (fds[0].revents != 0) core_->drain_wake();
    for (std::size_t i = 0; i < polled.size(); ++i) {
      Link& l = *polled[i];
      if (l.up() && (fds[i + 1].revents != 0 || l.client->has_unread_input())) read_input(l);
    }
  }
  for (Link* l : links()) l->client.reset();
}

int Reader::poll_timeout(Clock::time_point now) {
  Clock::time_point until = now + std::chrono::seconds(1);
  const auto ping = core_->options().ping_interval;
  for (Link* l : links()) {
    if (l->up()) {
      if (l->client->has_unread_input()) return 0;
      if (ping.count() > 0) until = std::min(until, l->last_input + ping);
    } else if (wants_connection(*l)) {
      until = std::min(until, l->retry_at);
    }
  }
  for (const auto& [name, h] : homeless_) until = std::min(until, h.at);
  if (until <= now) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(until - now).count();
  return static_cast<int>(std::min<decltype(ms)>(ms, 1000));
}

std::error_code Reader::connect(Link& l) {
  const auto& o = core_->options();
  std::string addr = l.addr;
  if (cluster_ && &l == classic_.get()) {
    // Classic pub/sub is broadcast to every node: any primary will do.
    const std::vector<std::string> primaries = cluster_->primaries();
    addr = primaries.empty() ? std::string() : primaries[classic_pick_ % primaries.size()];
  }
  Result<std::unique_ptr<Client>> c = addr.empty() ? Result<std::unique_ptr<Client>>(errc::cluster_down)
                                                   : Client::dial(l.network, addr, o.dial_options);
  if (!c) {
    l.backoff = grow(l.backoff);
    l.retry_at = Clock::now() + l.backoff;
    ++classic_pick_;
    if (cluster_ && &l != classic_.get()) {
      // The node may be gone (a failover): find each channel's owner again.
      for (const std::string& name : l.names[shards]) homeless_[name] = {Clock::now() + l.backoff, 1, true};
      l.names[shards].clear();
    }
    return c.error();
  }
  l.client = std::move(*c);
  l.last_input = l.up_since = Clock::now();
  for (int f = 0; f < 3; ++f)
    for (const std::string& name : l.names[f]) l.send(subscribe_op(static_cast<Family>(f)), name);
  flush(l);
  if (!l.up()) return {};
  if (l.lost) {
    l.lost = false;
    core_->count_reconnect();
    Message notice;
    notice.kind = Message::Kind::reconnected;
    notice.payload = addr;
    core_->deliver(std::move(notice));
  }
  return {};
}

void Reader::lose(Link& l) {
  const auto& o = core_->options();
  if (l.client) {
    l.lost = true;
    core_->count_disconnect();
  }
  l.client.reset();
  l.owed.clear();
  l.own_sunsubscribes.clear();
  // A connection that was up a while is dialed again after min_backoff; one
  // lost soon after its dial (a server that takes connections and drops
  // them, or never answers) waits longer each time.
  const bool flapping = Clock::now() - l.up_since < o.max_backoff;
  l.backoff = flapping ? grow(l.backoff) : o.min_backoff;
  l.retry_at = Clock::now() + l.backoff;
  ++classic_pick_;
}

void Reader::flush(Link& l) {
  while (l.up() && !l.owed.empty()) {
    Resp r = l.client->pipe_resp();  // writes what is queued first
    const Owed owed = std::move(l.owed.front());
    l.owed.pop_front();
    if (r.is_io_error()) {
      lose(l);
      return;
    }
    l.last_input = Clock::now();
    handle(l, std::move(r), &owed);
  }
}

void Reader::close_unused() {
  // A node that no longer owns any of our shard channels (they moved, or
  // were unsubscribed): its connection goes, without a notice.
  for (auto& [addr, l] : shard_links_)
    if (l->up() && !l->carries_any() && l->owed.empty() && !l->client->has_unread_input()) l->client.reset();
}

void Reader::ping_idle(Clock::time_point now) {
  const auto ping = core_->options().ping_interval;
  if (ping.count() <= 0) return;
  for (Link* l : links()) {
    if (!l->up() || now - l->last_input < ping) continue;
    l->send_ping();
    core_->count_ping();
    flush(*l);
  }
}

void Reader::read_input(Link& l) {
  // A bounded run, so other connections and callers' tasks get their turn.
  for (int i = 0; i < 1024 && l.up(); ++i) {
    if (i > 0 && !l.client->has_unread_input()) break;
    Resp r = l.client->read_reply();
    if (r.is_io_error()) {
      lose(l);
      return;
    }
    l.last_input = Clock::now();
    handle(l, std::move(r), nullptr);
  }
}

void Reader::handle(Link& l, Resp r, const Owed* owed) {
  Frame f = classify(std::move(r));
  switch (f.kind) {
    case Frame::Kind::message:
      core_->count_received();
      core_->deliver(std::move(f.message));
      break;
    case Frame::Kind::confirmation: handle_confirmation(l, f); break;
    case Frame::Kind::error:
      if (owed != nullptr && owed->has_value()) handle_error(l, f, *owed);
      break;
    case Frame::Kind::other: break;  // a PONG, another kind of push
  }
}

}  // namespace respool::pubsub
