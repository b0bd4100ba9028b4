#include "workloads.hpp"

#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "redis_server.hpp"
#include "respool/respool.hpp"

namespace respool::bench {
namespace {

std::shared_ptr<Pool> make_pool(const RunConfig& cfg, int size, bool cap) {
  PoolOptions o;
  if (cap) o.max_open = size;
  auto [pool, err] = Pool::create("tcp", cfg.target.addr(), size, o);
  if (err) std::fprintf(stderr, "respool-bench: pool: %s\n", err.message().c_str());
  return pool;
}

}  // namespace

Measurement run_w1(const RunConfig& cfg, const std::string& name, int threads, int pool_size) {
  auto pool = make_pool(cfg, pool_size, true);
  auto m = run_threads(cfg, name, threads, [&](int t, Counter& c, Recorder& rec, std::atomic<bool>& stop) {
    for (std::uint64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
      KeyValue kv(t, i);
      auto t0 = Clock::now();
      check_set(pool->cmd("SET", kv.k, kv.v), c);
      rec.add(ns_since(t0));
      t0 = Clock::now();
      check_get(pool->cmd("GET", kv.k), kv.v, c);
      rec.add(ns_since(t0));
      c.ops.fetch_add(2, std::memory_order_relaxed);
    }
  });
  m.params = "T=" + std::to_string(threads) + " S=" + std::to_string(pool_size);
  return m;
}

Measurement run_w2(const RunConfig& cfg, const std::string& name, int threads, int pool_size) {
  auto pool = make_pool(cfg, pool_size, true);
  auto m = run_threads(cfg, name, threads, [&](int, Counter& c, Recorder&, std::atomic<bool>& stop) {
    while (!stop.load(std::memory_order_relaxed)) {
      auto conn = pool->get();
      if (!conn) {
        ++c.errors;
        continue;
      }
      pool->put(std::move(*conn));
      c.ops.fetch_add(1, std::memory_order_relaxed);
    }
  });
  m.params = "T=" + std::to_string(threads) + " S=" + std::to_string(pool_size);
  char note[64];
  std::snprintf(note, sizeof note, "%.1f ns per get+put per thread",
                m.ops ? m.seconds * threads * 1e9 / static_cast<double>(m.ops) : 0.0);
  m.note = note;
  return m;
}

Measurement run_w3(const RunConfig& cfg, const std::string& name, int batch) {
  auto pool = make_pool(cfg, 1, true);
  auto m = run_threads(cfg, name, 1, [&](int t, Counter& c, Recorder& rec, std::atomic<bool>& stop) {
    auto lease = pool->lease();
    if (!lease) {
      ++c.errors;
      return;
    }
    std::vector<KeyValue> kvs;
    kvs.reserve(static_cast<std::size_t>(batch / 2));
    for (std::uint64_t i = 0; !stop.load(std::memory_order_relaxed);) {
      auto t0 = Clock::now();
      kvs.clear();
      for (int j = 0; j < batch / 2; ++j, ++i) {
        kvs.emplace_back(t, i);
        lease->pipe_append("SET", kvs.back().k, kvs.back().v);
        lease->pipe_append("GET", kvs.back().k);
      }
      for (const auto& kv : kvs) {
        check_set(lease->pipe_resp(), c);
        check_get(lease->pipe_resp(), kv.v, c);
      }
      rec.add(ns_since(t0) / static_cast<std::uint64_t>(batch));
      c.ops.fetch_add(static_cast<std::uint64_t>(batch), std::memory_order_relaxed);
    }
  });
  m.params = "pipeline=" + std::to_string(batch);
  return m;
}

Measurement run_w4(const RunConfig& cfg, const std::string& name) {
  auto* server = cfg.target.server;
  auto pool = make_pool(cfg, 8, true);
  std::atomic<std::int64_t> restarted_ns{0};  // since start; 0 until the server is back
  std::atomic<std::int64_t> first_ok_ns{0};
  auto start = Clock::now();
  std::thread killer([&] {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    server->kill();
    std::this_thread::sleep_for(std::chrono::seconds(1));
    server->start();
    restarted_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
  });
  RunConfig longer = cfg;
  if (longer.duration < std::chrono::seconds(5)) longer.duration = std::chrono::seconds(5);
  auto m = run_threads(longer, name, 8, [&](int t, Counter& c, Recorder& rec, std::atomic<bool>& stop) {
    for (std::uint64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
      KeyValue kv(t, i);
      auto t0 = Clock::now();
      auto errors_before = c.errors;
      check_set(pool->cmd("SET", kv.k, kv.v), c);
      check_get(pool->cmd("GET", kv.k), kv.v, c, true);
      rec.add(ns_since(t0) / 2);
      c.ops.fetch_add(2, std::memory_order_relaxed);
      auto back = restarted_ns.load();
      if (back && c.errors == errors_before) {
        std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
        std::int64_t expected = 0;
        first_ok_ns.compare_exchange_strong(expected, now);
      }
      if (c.errors != errors_before) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  killer.join();
  // Afterwards every idle connection must work: no broken one kept.
  int broken = 0, idle = pool->avail();
  std::vector<std::unique_ptr<Client>> held;
  for (int i = 0; i < idle; ++i) {
    auto conn = pool->get();
    if (!conn || (*conn)->cmd("PING").err()) ++broken;
    if (conn) held.push_back(std::move(*conn));
  }
  for (auto& h : held) pool->put(std::move(h));
  char note[256];
  std::snprintf(
      note, sizeof note,
      "first success %.0f ms after restart; %d of %d idle connections broken; %llu GETs found their "
      "key lost with the killed server",
      first_ok_ns && restarted_ns ? static_cast<double>(first_ok_ns - restarted_ns) / 1e6 : -1.0, broken,
      idle, static_cast<unsigned long long>(m.lost));
  m.note = note;
  m.params = "T=8 S=8, SIGKILL at 1 s, restart at 2 s";
  m.broken_after = broken;
  return m;
}

}  // namespace respool::bench
