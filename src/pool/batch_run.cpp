// Pool::run: a Batch on one connection, in one write (see pool.hpp).
//
// One get(), every command queued on the client (pipe_append_encoded notes
// what each does to the session, so put() sees a connection left in MULTI,
// after SELECT ...), one write (Client::pipe_send), the replies read in order
// (pipe_resp), one put(). A connection that fails mid-way makes the client
// report, per owed reply, whether that command may have run; the batch is
// sent once more only when none of it can have (retry_is_safe on the first
// reply), as Pool::cmd does for one command.
#include <cstddef>
#include <memory>
#include <system_error>
#include <utility>
#include <vector>

#include "pool/access.hpp"
#include "pool/state.hpp"
#include "respool/batch.hpp"
#include "respool/error.hpp"
#include "respool/pool.hpp"

namespace respool {
namespace {

void fail_all(const Batch& batch, std::vector<Resp>& rs, std::error_code ec) {
  rs.clear();
  for (std::size_t i = 0; i < batch.size(); ++i) rs.push_back(Resp::io_error(ec, Delivery::not_sent));
}

// A (P|S)(UN)SUBSCRIBE is owed one reply per channel and turns the
// connection into a subscriber: its replies would not map one to one.
bool has_pubsub(const Batch& batch) noexcept {
  for (std::size_t i = 0; i < batch.size(); ++i)
    if (PoolAccess::is_pubsub(PoolAccess::command_name(batch.command(i)))) return true;
  return false;
}

// One attempt: false when get() failed (rs then holds its error for every
// command).
bool run_once(Pool& pool, const Batch& batch, std::vector<Resp>& rs) {
  rs.clear();
  auto got = pool.get();
  if (!got) {
    fail_all(batch, rs, got.error());
    return false;
  }
  // Back to the pool whatever happens; closed when unwinding (std::bad_alloc
  // mid-way): its pipeline is then in an unknown state.
  struct PutBack {
    Pool& pool;
    std::unique_ptr<Client>& conn;
    bool completed = false;
    ~PutBack() {
      if (!completed) conn->close();
      pool.put(std::move(conn));
    }
  } put_back{pool, *got};

  Client& client = **got;
  for (std::size_t i = 0; i < batch.size(); ++i) client.pipe_append_encoded(batch.command(i));
  // A failed write is reported by each pipe_resp() below, per reply.
  (void)client.pipe_send();
  for (std::size_t i = 0; i < batch.size(); ++i) rs.push_back(client.pipe_resp());
  put_back.completed = true;
  return true;
}

}  // namespace

std::vector<Resp> Pool::run(const Batch& batch) {
  std::vector<Resp> rs;
  if (batch.empty()) return rs;
  rs.reserve(batch.size());
  if (has_pubsub(batch)) {
    fail_all(batch, rs, errc::pubsub_command);
    return rs;
  }
  if (run_once(*this, batch, rs) && detail::retry_is_safe(rs.front())) run_once(*this, batch, rs);
  return rs;
}

}  // namespace respool
