// Client: commands, pipelining, reading replies, the critical-error state.
//
// The hot path, cmd(): begin_command (no syscall), encode into out_ (reused
// buffer), one send, then normally one recv straight into the parser's
// buffer; no allocation beyond the reply's own.
#include "respool/client.hpp"

#include <algorithm>

#include "client/impl.hpp"
#include "respool/error.hpp"

namespace respool {

Result<Resp> Client::Impl::read_one(Expect expect) {
  bool first = true;
  for (;;) {
    auto r = parser.next();
    if (!r) return r.error();
    if (*r) {
      Resp& v = **r;
      const bool push = v.type() == Resp::Type::push;
      // The common case: a plain reply, with no pub/sub frame possible.
      if (!push && (v.type() != Resp::Type::array || !pubsub_active())) return std::move(v);
      const auto kind = session::pubsub_kind(v);
      if (kind == session::PubsubKind::channel_confirmation) channels = v.elements()[2].integer().value_or(0);
      if (kind == session::PubsubKind::shard_confirmation)
        shard_channels = v.elements()[2].integer().value_or(0);
      const bool confirmation = kind == session::PubsubKind::channel_confirmation ||
                                kind == session::PubsubKind::shard_confirmation;
      const bool take = expect == Expect::stream || (!push && kind == session::PubsubKind::none) ||
                        (expect == Expect::confirmation && confirmation);
      if (take) return std::move(v);
      if (pushes.size() == max_set_aside_pushes) pushes.pop_front();
      pushes.push_back(std::move(v));
      continue;
    }
    auto buf = parser.prepare(read_chunk);
    auto n = stream.read_some(buf, first && !one_deadline);
    if (!n) return n.error();
    parser.commit(*n);
    first = false;
  }
}

bool Client::Impl::settle(Client& c, const Resp& reply) noexcept {
  const std::uint64_t seq = read_seq++;
  if (pending.empty() || pending.front().seq != seq) return true;
  Pending& p = pending.front();
  if (p.effect == session::Effect::pubsub) {
    if (reply.type() == Resp::Type::simple_string && reply.text() == "QUEUED") return false;
    --confirmations_owed;
  } else {
    c.session_ = session::settle(c.session_, p.effect, reply);
    if (p.effect == session::Effect::reset && c.session_ == session::changed) channels = shard_channels = 0;
  }
  if (--p.count == 0) {
    pending.pop_front();
  } else {
    ++p.seq;
  }
  return true;
}

void Client::Impl::lose(Client& c, std::error_code ec, std::size_t owed, std::size_t sent) {
  c.critical_ = ec;
  c.close();
  sent = std::min(sent, owed);
  c.lost_unknown_ = sent;
  c.lost_unsent_ = owed - sent;
}

Resp Client::Impl::fail(Client& c, std::error_code ec, std::size_t owed, std::size_t sent) {
  lose(c, ec, owed, sent);
  return lost_reply(c);
}

Resp Client::Impl::lost_reply(Client& c) {
  // Replies owed when the connection failed: those written first.
  auto delivery = Delivery::not_sent;
  if (c.lost_unknown_ != 0) {
    --c.lost_unknown_;
    delivery = Delivery::unknown;
  } else if (c.lost_unsent_ != 0) {
    --c.lost_unsent_;
  } else if (c.unread_ != 0) {
    delivery = Delivery::unknown;  // written, then close()d
  }
  c.out_.clear();
  c.queued_ = 0;
  c.unread_ = 0;
  return Resp::io_error(closed_error(c), delivery);
}

std::error_code Client::Impl::flush(Client& c, std::size_t& written) {
  auto ec = c.impl_->stream.write_all(c.out_, written);
  c.out_.clear();
  if (c.out_.capacity() > keep_out_capacity) std::string().swap(c.out_);
  return ec;
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Client::~Client() {
  if (on_destroyed_ == nullptr || keeper_mark_ == nullptr) return;
  // Closed before the keeper hears of it: a pool may then reuse the slot
  // under max_open, and this socket must not still be open.
  impl_->stream.close();
  if (auto keeper = keeper_.lock(); keeper && keeper_mark_ == keeper.get())
    on_destroyed_(keeper.get(), *this);
}

std::error_code Client::begin_command(std::string_view name) noexcept {
  if (!impl_->stream.is_open()) return Impl::closed_error(*this);
  if (queued_ != 0 || unread_ != 0) return errc::pipeline_busy;
  if (session::effect_of(name, {}) == session::Effect::pubsub) return errc::pubsub_command;
  out_.clear();
  return {};
}

void Client::note_command(std::string_view name, std::string_view encoded) {
  using session::Effect;
  // CLIENT and SCRIPT depend on their subcommand (the only six-letter names
  // effect_of reads it for).
  const std::string_view sub =
      name.size() == 6 ? session::encoded_argument(encoded, 1, nullptr) : std::string_view{};
  const Effect effect = session::effect_of(name, sub);
  std::uint32_t replies = 1;
  if (effect == Effect::pubsub) {
    std::size_t args = 0;
    (void)session::encoded_argument(encoded, 0, &args);
    replies = args > 1 ? static_cast<std::uint32_t>(args - 1) : 1;
  }
  if (effect != Effect::none && effect != Effect::sticky)
    impl_->pending.push_back({impl_->next_seq, replies, effect});  // may throw: nothing changed yet
  if (effect == Effect::sticky || effect == Effect::reset || effect == Effect::pubsub)
    session_ |= session::changed;
  if (effect == Effect::pubsub) impl_->confirmations_owed += replies;
  impl_->next_seq += replies;
  queued_ += replies;
}

Resp Client::round_trip(std::string_view external) {
  // Owed while it is read: should the read throw (std::bad_alloc), the client
  // is not clean and the pool won't hand it on with the reply still coming.
  unread_ = std::exchange(queued_, 0);
  std::size_t written = 0;
  const auto ec = external.empty() ? Impl::flush(*this, written) : impl_->stream.write_all(external, written);
  if (ec) return Impl::fail(*this, ec, 1, written != 0 ? 1 : 0);
  auto r = impl_->read_one(Impl::Expect::reply);
  if (!r) return Impl::fail(*this, r.error(), 1, 1);
  unread_ = 0;
  if (!impl_->settle(*this, *r)) return Impl::fail(*this, errc::pubsub_in_transaction, 1, 1);
  return std::move(*r);
}

Resp Client::cmd_argv(std::span<const std::string_view> argv) {
  if (argv.empty()) return Resp::io_error(errc::invalid_argument, Delivery::not_sent);
  if (auto ec = begin_command(argv.front())) return Resp::io_error(ec, Delivery::not_sent);
  append_command(argv.front(), [&] { encode_argv(out_, argv); });
  return round_trip();
}

std::error_code Client::pipe_send() {
  if (!impl_->stream.is_open()) return Impl::closed_error(*this);
  if (queued_ == 0) return {};
  const std::size_t earlier = unread_;  // written before: their outcome is unknown either way
  unread_ += std::exchange(queued_, 0);
  std::size_t written = 0;
  const auto ec = Impl::flush(*this, written);
  if (ec) Impl::lose(*this, ec, unread_, written != 0 ? unread_ : earlier);
  return ec;
}

Resp Client::pipe_resp() {
  // Closed, or the write of the queued commands failed: the failure owed to
  // the oldest reply.
  if (pipe_send()) return Impl::lost_reply(*this);
  if (unread_ == 0) return Resp::io_error(errc::pipeline_empty, Delivery::not_sent);
  auto r = impl_->read_one(impl_->next_expect());
  if (!r) return Impl::fail(*this, r.error(), unread_, unread_);
  --unread_;
  if (!impl_->settle(*this, *r))
    return Impl::fail(*this, errc::pubsub_in_transaction, unread_ + 1, unread_ + 1);
  return std::move(*r);
}

std::pair<std::size_t, std::size_t> Client::pipe_clear() {
  const std::size_t dropped = std::exchange(queued_, 0);
  out_.clear();
  lost_unknown_ = lost_unsent_ = 0;
  // Forget what the dropped (never sent) commands would have done.
  auto& im = *impl_;
  im.next_seq -= dropped;
  while (!im.pending.empty() && im.pending.back().seq >= im.next_seq) {
    if (im.pending.back().effect == session::Effect::pubsub) im.confirmations_owed -= im.pending.back().count;
    im.pending.pop_back();
  }
  std::size_t discarded = 0;
  while (unread_ != 0 && impl_->stream.is_open()) {
    auto r = impl_->read_one(impl_->next_expect());
    if (!r) {
      Impl::fail(*this, r.error(), 0, 0);
      break;
    }
    --unread_;
    ++discarded;
    if (!impl_->settle(*this, *r)) Impl::fail(*this, errc::pubsub_in_transaction, 0, 0);
  }
  unread_ = 0;
  return {dropped, discarded};
}

Resp Client::read_reply() {
  if (!impl_->stream.is_open()) return Resp::io_error(Impl::closed_error(*this), Delivery::not_sent);
  if (queued_ != 0 || unread_ != 0) return Resp::io_error(errc::pipeline_busy, Delivery::not_sent);
  if (!impl_->pushes.empty()) {
    Resp p = std::move(impl_->pushes.front());
    impl_->pushes.pop_front();
    return p;
  }
  auto r = impl_->read_one(Impl::Expect::stream);
  if (!r) return Impl::fail(*this, r.error(), 1, 1);
  return std::move(*r);
}

bool Client::has_unread_input() const noexcept {
  return !impl_->pushes.empty() || impl_->parser.buffered() != 0;
}

std::int64_t Client::subscriptions() const noexcept { return impl_->channels + impl_->shard_channels; }

SessionState Client::session() const noexcept {
  return {.in_multi = (session_ & session::in_multi) != 0,
          .watching = (session_ & session::watching) != 0,
          .changed = (session_ & session::changed) != 0,
          .subscriptions = subscriptions()};
}

bool Client::is_closed() const noexcept { return !impl_->stream.is_open(); }

void Client::close() noexcept {
  impl_->stream.close();
  out_.clear();
  queued_ = 0;
  unread_ = 0;
  impl_->pending.clear();
  impl_->confirmations_owed = 0;
  lost_unknown_ = lost_unsent_ = 0;
}

void Client::pipe_append_encoded(std::string_view encoded) {
  const std::string_view name = session::encoded_argument(encoded, 0, nullptr);
  append_command(name, [&] { out_.append(encoded); });
}

Resp Client::cmd_encoded(std::string_view encoded) {
  const std::string_view name = session::encoded_argument(encoded, 0, nullptr);
  if (name.empty()) return Resp::io_error(errc::invalid_argument, Delivery::not_sent);
  if (auto ec = begin_command(name)) return Resp::io_error(ec, Delivery::not_sent);
  note_command(name, encoded);
  return round_trip(encoded);
}

void Client::discard_set_aside() noexcept {
  if (!impl_->pushes.empty()) impl_->pushes.clear();
}

void Client::restore_dial_timeouts() noexcept {
  auto& s = impl_->stream;
  const auto& o = impl_->options;
  if (s.read_timeout() != o.read_timeout || s.write_timeout() != o.write_timeout)
    s.set_timeouts(o.read_timeout, o.write_timeout);
}

void Client::keep_read_deadline(bool on) noexcept { impl_->one_deadline = on; }

std::error_code Client::accept_session_as_baseline() noexcept {
  if (is_closed()) return Impl::closed_error(*this);
  const auto was = session_;
  session_ = static_cast<std::uint8_t>(session_ & ~session::changed);
  if (!is_clean()) {
    session_ = was;
    return errc::invalid_argument;
  }
  return {};
}

bool Client::peer_closed() const noexcept {
  const auto& s = impl_->stream;
  switch (s.peer_state()) {
    case net::Socket::PeerState::closed: return true;
    case net::Socket::PeerState::readable:
      return !s.is_tls() && impl_->options.protocol == 2 && queued_ == 0 && unread_ == 0;
    case net::Socket::PeerState::quiet: return false;
  }
  return true;
}

bool Client::is_clean() const noexcept {
  return impl_->stream.is_open() && queued_ == 0 && unread_ == 0 && session_ == 0 &&
         !impl_->pubsub_active() && impl_->parser.buffered() == 0;
}

void Client::set_timeouts(std::chrono::nanoseconds read, std::chrono::nanoseconds write) {
  impl_->stream.set_timeouts(read, write);
}

const std::string& Client::network() const noexcept { return impl_->network; }
const std::string& Client::addr() const noexcept { return impl_->addr; }
const DialOptions& Client::options() const noexcept { return impl_->options; }
int Client::native_handle() const noexcept { return impl_->stream.fd(); }

}  // namespace respool
