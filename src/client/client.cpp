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

Result<Resp> Client::Impl::read_one(bool set_pushes_aside) {
  bool first = true;
  for (;;) {
    auto r = parser.next();
    if (!r) return r.error();
    if (*r) {
      if (!set_pushes_aside || (**r).type() != Resp::Type::push) return std::move(**r);
      if (pushes.size() == max_set_aside_pushes) pushes.pop_front();
      pushes.push_back(std::move(**r));
      continue;
    }
    auto buf = parser.prepare(read_chunk);
    auto n = stream.read_some(buf, first && !one_deadline);
    if (!n) return n.error();
    parser.commit(*n);
    first = false;
  }
}

Resp Client::Impl::fail(Client& c, std::error_code ec, std::size_t owed, std::size_t sent) {
  c.critical_ = ec;
  c.impl_->stream.close();
  c.out_.clear();
  c.queued_ = 0;
  c.unread_ = 0;
  sent = std::min(sent, owed);
  const Delivery first = sent != 0 ? Delivery::unknown : Delivery::not_sent;
  c.lost_unknown_ = sent != 0 ? sent - 1 : 0;
  c.lost_unsent_ = owed - sent - (sent != 0 || owed == 0 ? 0 : 1);
  return Resp::io_error(ec, first);
}

std::error_code Client::Impl::flush(Client& c, std::size_t& written) {
  auto ec = c.impl_->stream.write_all(c.out_, written);
  c.out_.clear();
  if (c.out_.capacity() > keep_out_capacity) std::string().swap(c.out_);
  return ec;
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Client::~Client() {
  if (on_abandoned_ == nullptr || owner_ == nullptr) return;
  // Closed before the pool hears of it, so that the slot it frees under
  // max_open is never taken while this socket is still open.
  impl_->stream.close();
  if (auto home = home_.lock(); home && owner_ == home.get()) on_abandoned_(home.get(), *this);
}

std::error_code Client::begin_command(std::string_view name) {
  if (!impl_->stream.is_open()) return Impl::closed_error(*this);
  if (queued_ != 0 || unread_ != 0) return errc::pipeline_busy;
  note_command(name);
  out_.clear();
  return {};
}

Resp Client::round_trip() {
  std::size_t written = 0;
  if (auto ec = Impl::flush(*this, written)) return Impl::fail(*this, ec, 1, written != 0 ? 1 : 0);
  // Owed while it is read: should the read throw (std::bad_alloc), the client
  // is not clean and the pool won't hand it on with the reply still coming.
  unread_ = 1;
  auto r = impl_->read_one(pushes_are_not_replies());
  if (!r) return Impl::fail(*this, r.error(), 1, 1);
  unread_ = 0;
  return std::move(*r);
}

Resp Client::cmd_argv(std::span<const std::string_view> argv) {
  if (argv.empty()) return Resp::io_error(errc::invalid_argument, Delivery::not_sent);
  if (auto ec = begin_command(argv.front())) return Resp::io_error(ec, Delivery::not_sent);
  encode_argv(out_, argv);
  return round_trip();
}

Resp Client::pipe_resp() {
  if (!impl_->stream.is_open()) {
    // Replies owed when the connection failed: those written first.
    auto delivery = Delivery::not_sent;
    if (lost_unknown_ != 0) {
      --lost_unknown_;
      delivery = Delivery::unknown;
    } else if (lost_unsent_ != 0) {
      --lost_unsent_;
    } else if (unread_ != 0) {
      delivery = Delivery::unknown;  // written, then close()d
    }
    out_.clear();
    queued_ = 0;
    unread_ = 0;
    return Resp::io_error(Impl::closed_error(*this), delivery);
  }
  if (queued_ != 0) {
    const std::size_t earlier = unread_;  // written before: their outcome is unknown either way
    unread_ += std::exchange(queued_, 0);
    std::size_t written = 0;
    if (auto ec = Impl::flush(*this, written))
      return Impl::fail(*this, ec, unread_, written != 0 ? unread_ : earlier);
  }
  if (unread_ == 0) return Resp::io_error(errc::pipeline_empty, Delivery::not_sent);
  auto r = impl_->read_one(pushes_are_not_replies());
  if (!r) return Impl::fail(*this, r.error(), unread_, unread_);
  --unread_;
  return std::move(*r);
}

std::pair<std::size_t, std::size_t> Client::pipe_clear() {
  const std::size_t dropped = std::exchange(queued_, 0);
  out_.clear();
  lost_unknown_ = lost_unsent_ = 0;
  std::size_t discarded = 0;
  while (unread_ != 0 && impl_->stream.is_open()) {
    auto r = impl_->read_one(pushes_are_not_replies());
    if (!r) {
      Impl::fail(*this, r.error(), 0, 0);
      break;
    }
    --unread_;
    ++discarded;
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
  auto r = impl_->read_one(false);
  if (!r) return Impl::fail(*this, r.error(), 1, 1);
  return std::move(*r);
}

bool Client::pushes_are_not_replies() const noexcept { return (session_ & session::subscribed) == 0; }

bool Client::is_closed() const noexcept { return !impl_->stream.is_open(); }

void Client::close() noexcept {
  impl_->stream.close();
  out_.clear();
  queued_ = 0;
  unread_ = 0;
  lost_unknown_ = lost_unsent_ = 0;
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
         impl_->parser.buffered() == 0;
}

void Client::set_timeouts(std::chrono::nanoseconds read, std::chrono::nanoseconds write) {
  impl_->stream.set_timeouts(read, write);
}

const std::string& Client::network() const noexcept { return impl_->network; }
const std::string& Client::addr() const noexcept { return impl_->addr; }
const DialOptions& Client::options() const noexcept { return impl_->options; }
int Client::native_handle() const noexcept { return impl_->stream.fd(); }

}  // namespace respool
