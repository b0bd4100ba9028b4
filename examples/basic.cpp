// radix.v2's pool example "Basic usage": create a pool, share it between threads, and in
// each one Get a connection, run a command, and Put it back.
//   example_basic [host:port]
//
// Go (radix.v2):                         C++ (respool):
//   p, err := pool.New("tcp", addr, 10)    auto [pool, err] = Pool::create("tcp", addr, 10);
//   conn, err := p.Get()                   auto conn = pool->get();
//   conn.Cmd("SOME", "CMD").Err            (*conn)->cmd("SOME", "CMD").err()
//   p.Put(conn)                            pool->put(std::move(*conn));
#include <atomic>
#include <cstdio>
#include <respool/respool.hpp>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  const std::string addr = argc > 1 ? argv[1] : "127.0.0.1:6379";

  auto [pool, err] = respool::Pool::create("tcp", addr, 10);
  if (err) {
    // The pool is still usable (it dials on demand), but here the server
    // should be up: report and stop.
    std::fprintf(stderr, "create pool for %s: %s\n", addr.c_str(), err.message().c_str());
    return 1;
  }

  // In other threads (radix.v2's "in another go-routine"): the pool is
  // thread-safe; each connection is used by one thread at a time.
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    // Each thread shares ownership of the pool (an init-capture, which also
    // works with compilers that can't capture structured bindings).
    threads.emplace_back([pool = pool, &failures, t] {
      auto conn = pool->get();
      if (!conn) {
        std::fprintf(stderr, "get: %s\n", conn.error().message().c_str());
        ++failures;
        return;
      }
      const std::string key = "example:basic:" + std::to_string(t);
      if (auto r = (*conn)->cmd("SET", key, t); r.err()) {
        std::fprintf(stderr, "SET: %s\n", r.error_message().c_str());
        ++failures;
      }
      pool->put(std::move(*conn));  // back to the pool for the next caller
    });
  }
  for (auto& th : threads) th.join();
  if (failures != 0) return 1;

  auto conn = pool->get();
  if (!conn) return 1;
  for (int t = 0; t < 4; ++t) {
    auto v = (*conn)->cmd("GET", "example:basic:" + std::to_string(t)).integer();
    if (!v || *v != t) {
      std::fprintf(stderr, "GET example:basic:%d: unexpected reply\n", t);
      return 1;
    }
  }
  (void)(*conn)->cmd("DEL", "example:basic:0", "example:basic:1", "example:basic:2", "example:basic:3");
  pool->put(std::move(*conn));

  std::printf("4 threads shared a pool of %d idle connections to %s\n", pool->avail(), pool->addr().c_str());
  return 0;
}
