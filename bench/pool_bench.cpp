// W2: the pool's own cost, a get+put pair with no command sent, uncontended
// and with waiting (pool capped at threads/4), beside the reference: an
// uncontended std::mutex lock+unlock pair measured in the same binary.
#include <benchmark/benchmark.h>

#include <memory>
#include <mutex>
#include <respool/respool.hpp>

#include "redis_server.hpp"

namespace {

respool::test::RedisServer& server() {
  static respool::test::RedisServer s;
  return s;
}

void BM_MutexLockUnlock(benchmark::State& state) {
  static std::mutex m;
  for (auto _ : state) {
    m.lock();
    m.unlock();
  }
}
BENCHMARK(BM_MutexLockUnlock)->Threads(1);

// One pool for all the threads of a run, made by thread 0.
std::shared_ptr<respool::Pool> g_pool;

void BM_PoolGetPut(benchmark::State& state) {
  const int size = static_cast<int>(state.range(0));
  if (state.thread_index() == 0) {
    respool::PoolOptions o;
    o.max_open = size;
    g_pool = respool::Pool::create("tcp", server().addr(), size, o).pool;
  }
  for (auto _ : state) {
    auto c = g_pool->get();
    if (!c) {
      state.SkipWithError("get failed");
      break;
    }
    g_pool->put(std::move(*c));
  }
  if (state.thread_index() == 0) state.counters["pool_size"] = size;
}
// Uncontended: one thread, one connection.
BENCHMARK(BM_PoolGetPut)->Arg(1)->Threads(1);
// No waiting: S = T.
BENCHMARK(BM_PoolGetPut)->Arg(4)->Threads(4)->UseRealTime();
// Waiting: S = T / 4.
BENCHMARK(BM_PoolGetPut)->Arg(1)->Threads(4)->UseRealTime();

}  // namespace
