// PoolState::cmd: radix.v2's Pool.Cmd with shared round trips. A cmd() that
// must wait for a connection waits with its encoded command attached; the
// next cmd() to be handed a connection takes the commands waiting behind it,
// sends them with its own in one write, reads the replies in order and gives
// each caller its own. Under contention this turns N round trips (N sends, N
// recvs, N wake-ups to hand a connection on, N more to read) into one
// pipelined round trip and one wake-up per caller.
//
// Safety: a command is shared only when it can't change what the commands
// after it on the same connection see, and can't block them (shareable(),
// from the client's own knowledge of commands: client/session.cpp). A failure of the carrying connection
// fails every command it carried with that error; nobody ever gets another caller's reply.
//
// Bounds: the carrier writes everything in one write (write_timeout), then
// reads every reply under the one read deadline its own reply started
// (read_timeout for the whole round trip, not per reply).
//
// Retry: a command that failed on a connection before any byte of it was
// written (Delivery::not_sent, a connection error) is sent once more on
// another connection; its caller sees only the second outcome. A command
// that may have been written (Delivery::unknown) is never sent again.
#include <array>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "pool/access.hpp"
#include "pool/state.hpp"
#include "respool/error.hpp"

namespace respool::detail {
namespace {

// Caps on what one round trip carries, so that one caller's large command
// can't make the others' write time out, nor delay them by much.
constexpr std::size_t kMaxSharedCommandBytes = 16 * 1024;  // a larger command travels alone
constexpr std::size_t kMaxCarriedBytes = 64 * 1024;        // all carried commands together

thread_local std::string t_command_buffer;

}  // namespace

bool shareable(std::string_view name, std::string_view encoded) noexcept {
  return encoded.size() <= kMaxSharedCommandBytes && !PoolAccess::affects_session(name) &&
         !PoolAccess::may_hold_connection(name);
}

std::string take_command_buffer() noexcept {
  std::string b = std::move(t_command_buffer);
  b.clear();
  return b;
}

void give_command_buffer(std::string&& buf) noexcept {
  if (buf.capacity() <= 64 * 1024) t_command_buffer = std::move(buf);  // don't pin a huge one
}

std::size_t PoolState::take_shared_locked(Waiter** out) noexcept {
  std::size_t n = 0, bytes = 0;
  for (Waiter* w = head_; w != nullptr && n < kMaxShared;) {
    Waiter* next = w->next;
    if (w->cmd != nullptr) {
      bytes += w->cmd->encoded.size();
      if (bytes > kMaxCarriedBytes) break;
      unlink(w);
      w->cmd->taken = true;
      out[n++] = w;
    }
    w = next;
  }
  if (n != 0) kick_front_locked();  // a new front waiter may be able to dial
  return n;
}

// A failure on a connection that surely left the command unsent: a dead
// connection, not a refusal of this pool (get() errors never get here).
bool retry_is_safe(const Resp& r) noexcept {
  return r.is_io_error() && r.delivery() == Delivery::not_sent && is_critical(r.err());
}

Resp PoolState::cmd(std::string_view name, std::string_view encoded) {
  bool on_connection = false;
  Resp r = cmd_once(name, encoded, on_connection);
  if (on_connection && retry_is_safe(r)) r = cmd_once(name, encoded, on_connection);
  return r;
}

Resp PoolState::cmd_once(std::string_view name, std::string_view encoded, bool& on_connection) {
  on_connection = false;
  Resp reply;
  SharedCommand mine{name, encoded, &reply};
  auto r = get(&mine);
  if (!r) return Resp::io_error(r.error(), Delivery::not_sent);
  on_connection = true;
  if (!*r) return reply;  // carried by another cmd()
  std::unique_ptr<Client> c = std::move(*r);
  // Only after the slow path (so: not when an idle connection was at hand,
  // and then nobody waits) may there be commands to carry.
  std::array<Waiter*, kMaxShared> carried;
  std::size_t n = 0;
  if (mine.shareable) {
    std::lock_guard lk(m_);
    n = take_shared_locked(carried.data());
  }

  // Whatever happens from here on, std::bad_alloc included, every carried
  // caller is answered and the connection goes back (closed, if we are
  // unwinding: its state is unknown). Otherwise a carried caller, which no
  // longer heeds get_timeout or empty(), would wait forever.
  struct Finish {
    PoolState& pool;
    std::unique_ptr<Client>& conn;
    Waiter** carried;
    std::size_t n;
    bool completed = false;
    ~Finish() {
      if (!completed) {
        conn->close();
        for (std::size_t i = 0; i < n; ++i)
          *carried[i]->cmd->reply = Resp::io_error(std::make_error_code(std::errc::not_enough_memory));
      }
      if (n != 0) pool.answer_carried(carried, n);
      conn->keep_read_deadline(false);
      pool.put(std::move(conn));
    }
  } finish{*this, c, carried.data(), n};

  Client& client = *c;
  if (auto ec = PoolAccess::begin(client, name)) {
    reply = Resp::io_error(ec, Delivery::not_sent);
    for (std::size_t i = 0; i < n; ++i) *carried[i]->cmd->reply = Resp::io_error(ec, Delivery::not_sent);
  } else if (n == 0) {
    reply = client.cmd_encoded(encoded);  // written from the caller's buffer: no copy
  } else {
    // One write for all: each command is copied once, into the carrier's
    // output buffer.
    client.pipe_append_encoded(encoded);
    for (std::size_t i = 0; i < n; ++i) client.pipe_append_encoded(carried[i]->cmd->encoded);
    reply = client.pipe_resp();  // one write for all, then our reply
    // The carried replies under the deadline ours started. Written without
    // the lock: their owners read them only once `served` is set under the
    // lock (answer_carried).
    client.keep_read_deadline(true);
    for (std::size_t i = 0; i < n; ++i) *carried[i]->cmd->reply = client.pipe_resp();
  }
  finish.completed = true;
  return reply;
}

void PoolState::answer_carried(Waiter** carried, std::size_t n) noexcept {
  {
    std::lock_guard lk(m_);
    for (std::size_t i = 0; i < n; ++i) carried[i]->cmd->served = true;
    st_.shared += n;
  }
  for (std::size_t i = 0; i < n; ++i) carried[i]->cv.notify_one();  // nodes outlive their waits
}

}  // namespace respool::detail

namespace respool {

Resp Pool::cmd_encoded(std::string_view name, std::string_view encoded) { return state_->cmd(name, encoded); }

}  // namespace respool
