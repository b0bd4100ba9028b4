// radix.v2's pool examples "defer p.Put(conn)" and "p.Cmd": a Lease puts the connection
// back when it goes out of scope, whatever path leaves the scope; pool->cmd
// does get + command + put for a single command.
//   example_deferred_put [host:port]
//
// Go (radix.v2):                         C++ (respool):
//   conn, err := p.Get()                   respool::Lease conn = pool->lease();
//   defer p.Put(conn)                      (implied: the Lease's destructor)
//   conn.Cmd("SOME", "CMD").Err            conn->cmd("SOME", "CMD").err()
//   r := p.Cmd("SOME", "CMD")              respool::Resp r = pool->cmd("SOME", "CMD");
#include <cstdio>
#include <respool/respool.hpp>
#include <string>

namespace {

// Several commands on one connection; every return puts it back.
bool several_commands(respool::Pool& pool) {
  respool::Lease conn = pool.lease();
  if (!conn) {
    std::fprintf(stderr, "get: %s\n", conn.error().message().c_str());
    return false;
  }
  if (auto r = conn->cmd("SET", "example:deferred", "hello"); r.err()) {
    std::fprintf(stderr, "SET: %s\n", r.error_message().c_str());
    return false;  // the connection goes back here...
  }
  if (auto r = conn->cmd("APPEND", "example:deferred", ", world"); r.err()) {
    std::fprintf(stderr, "APPEND: %s\n", r.error_message().c_str());
    return false;  // ...or here...
  }
  return true;  // ...or here
}

}  // namespace

int main(int argc, char** argv) {
  const std::string addr = argc > 1 ? argv[1] : "127.0.0.1:6379";
  auto [pool, err] = respool::Pool::create("tcp", addr, 10);
  if (err) {
    std::fprintf(stderr, "create pool for %s: %s\n", addr.c_str(), err.message().c_str());
    return 1;
  }

  if (!several_commands(*pool)) return 1;
  // Every connection is back: none is handed out.
  if (pool->stats().in_use != 0) {
    std::fprintf(stderr, "a connection was not put back\n");
    return 1;
  }

  // One command: the pool gets and puts for you. A failed get comes back as
  // an error reply, never as an exception.
  respool::Resp r = pool->cmd("GET", "example:deferred");
  if (r.err()) {
    std::fprintf(stderr, "GET: %s\n", r.error_message().c_str());
    return 1;
  }
  auto value = r.str();
  if (!value || *value != "hello, world") {
    std::fprintf(stderr, "GET example:deferred: unexpected reply %s\n", r.to_string().c_str());
    return 1;
  }
  std::printf("GET example:deferred -> %s\n", value->c_str());
  (void)pool->cmd("DEL", "example:deferred");
  return 0;
}
