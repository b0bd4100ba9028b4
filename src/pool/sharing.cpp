// PoolState::cmd: the seed's Pool.Cmd with shared round trips. A cmd() that
// must wait for a connection waits with its encoded command attached; the
// next cmd() to be handed a connection takes the commands waiting behind it,
// sends them with its own in one write, reads the replies in order and gives
// each caller its own. Under contention this turns N round trips (N sends, N
// recvs, N wake-ups to hand a connection on, N more to read) into one
// pipelined round trip and one wake-up per caller.
//
// Safety: a command is shared only when it can't change what the commands
// after it on the same connection see, and can't block them (see
// shareable()). A failure of the carrying connection fails every command it
// carried with that error; nobody ever gets another caller's reply.
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

// Commands never carried for another caller, or carrying others: they change
// the connection's session (transactions, database, auth, protocol, client
// settings, pub/sub, replication, cluster routing, SCRIPT DEBUG) or may block
// the connection for long (blocking pops, stream reads, WAIT, DEBUG SLEEP).
constexpr std::array<std::string_view, 40> kNotShared = {
    "ASKING",   "AUTH",       "BLMOVE",    "BLMPOP",       "BLPOP",      "BRPOP",       "BRPOPLPUSH",
    "BZMPOP",   "BZPOPMAX",   "BZPOPMIN",  "CLIENT",       "DEBUG",      "DISCARD",     "EXEC",
    "FAILOVER", "HELLO",      "MONITOR",   "MULTI",        "PSUBSCRIBE", "PSYNC",       "PUNSUBSCRIBE",
    "QUIT",     "READONLY",   "READWRITE", "REPLCONF",     "RESET",      "SCRIPT",      "SELECT",
    "SHUTDOWN", "SSUBSCRIBE", "SUBSCRIBE", "SUNSUBSCRIBE", "SYNC",       "UNSUBSCRIBE", "UNWATCH",
    "WAIT",     "WAITAOF",    "WATCH",     "XREAD",        "XREADGROUP",
};

bool equals_upper(std::string_view name, std::string_view upper) noexcept {
  if (name.size() != upper.size()) return false;
  for (std::size_t i = 0; i < upper.size(); ++i) {
    char ch = name[i];
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
    if (ch != upper[i]) return false;
  }
  return true;
}

// Caps on what one round trip carries, so that one caller's large command
// can't make the others' write time out, nor delay them by much.
constexpr std::size_t kMaxSharedCommandBytes = 16 * 1024;  // a larger command travels alone
constexpr std::size_t kMaxCarriedBytes = 64 * 1024;        // all carried commands together

bool shareable(std::string_view name, std::string_view encoded) noexcept {
  if (encoded.size() > kMaxSharedCommandBytes) return false;
  for (auto n : kNotShared)
    if (equals_upper(name, n)) return false;
  return true;
}

thread_local std::string t_command_buffer;

}  // namespace

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

Resp PoolState::cmd(std::string_view name, std::string_view encoded) {
  std::unique_ptr<Client> c;
  std::array<Waiter*, kMaxShared> carried;
  std::size_t n = 0;
  {
    Lock lk(m_);
    ++st_.gets;
    if (!timed_ && !main_.empty() && !closed_) [[likely]] {
      // An idle connection, so nobody waits: nothing to carry.
      c.reset(main_.back().conn.release());
      main_.drop_back();
      ++out_;
      lk.unlock();
      PoolAccess::set_owner(*c, this);
    } else {
      const bool share = shareable(name, encoded);
      SharedCommand mine{name, encoded, Resp(), false, false};
      auto r = get_locked(lk, share ? &mine : nullptr);
      if (!r) return Resp::io_error(r.error());
      if (!*r) return std::move(mine.reply);  // carried by another cmd()
      c = std::move(*r);
      if (share) {
        lk.lock();
        n = take_shared_locked(carried.data());
      }
    }
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
          carried[i]->cmd->reply = Resp::io_error(std::make_error_code(std::errc::not_enough_memory));
      }
      if (n != 0) pool.answer_carried(carried, n);
      pool.put(std::move(conn));
    }
  } finish{*this, c, carried.data(), n};

  Client& client = *c;
  Resp reply;
  if (auto ec = PoolAccess::begin(client, name)) {
    reply = Resp::io_error(ec);
    for (std::size_t i = 0; i < n; ++i) carried[i]->cmd->reply = Resp::io_error(ec);
  } else {
    PoolAccess::queue_encoded(client, name, encoded);
    for (std::size_t i = 0; i < n; ++i)
      PoolAccess::queue_encoded(client, carried[i]->cmd->name, carried[i]->cmd->encoded);
    reply = client.pipe_resp();  // one write for all, then our reply
    // Written without the lock: their owners read them only once `served`
    // is set under the lock (answer_carried).
    for (std::size_t i = 0; i < n; ++i) carried[i]->cmd->reply = client.pipe_resp();
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
