#include "workloads.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdio>
#include <string_view>
#include <thread>
#include <vector>

#include "redis_server.hpp"
#include "respool/respool.hpp"

namespace respool::bench {
namespace {

using Clock = std::chrono::steady_clock;

std::uint64_t ns_since(Clock::time_point t0) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count());
}

// Per-thread counters on their own cache lines, summed by the progress line.
struct alignas(64) Counter {
  std::atomic<std::uint64_t> ops{0};
  std::uint64_t errors = 0, wrong = 0;
  std::uint64_t lost = 0;  // W4: a GET answered nil because the SET before it died with the server
};

// Prints "\r  W1c  2.1 s  412,345 ops" to stderr every 250 ms while running.
class Progress {
 public:
  Progress(bool on, std::string name, std::vector<Counter>& counters, Clock::time_point start)
      : name_(std::move(name)) {
    if (!on) return;
    thread_ = std::thread([this, &counters, start] {
      while (!stop_.load(std::memory_order_relaxed)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
        std::uint64_t ops = 0;
        for (auto& c : counters) ops += c.ops.load(std::memory_order_relaxed);
        auto s = std::chrono::duration<double>(Clock::now() - start).count();
        std::fprintf(stderr, "\r  %-4s %5.1f s %12llu ops %10.0f ops/s ", name_.c_str(), s,
                     static_cast<unsigned long long>(ops), s > 0 ? static_cast<double>(ops) / s : 0.0);
      }
      std::fprintf(stderr, "\r%70s\r", "");
    });
  }
  ~Progress() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::string name_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// The key "bench:{t}:{i % 1000}" and 16-byte value (t and i in hex) of
// operation i of thread t, with no allocation and no printf: the harness's
// own cost is counted in the client's CPU, so it is kept small.
struct KeyValue {
  char key[48];
  char value[16];
  std::string_view k, v;
  KeyValue(int t, std::uint64_t i) {
    static constexpr char kPrefix[] = "bench:";
    char* p = std::copy(kPrefix, kPrefix + 6, key);
    p = std::to_chars(p, key + sizeof key, t).ptr;
    *p++ = ':';
    p = std::to_chars(p, key + sizeof key, i % 1000).ptr;
    k = std::string_view(key, static_cast<std::size_t>(p - key));
    static constexpr char kHex[] = "0123456789abcdef";
    std::uint64_t bits =
        (static_cast<std::uint64_t>(static_cast<unsigned>(t) & 0xffffu) << 48) | (i & 0xffffffffffffULL);
    for (int j = 15; j >= 0; --j, bits >>= 4) value[j] = kHex[bits & 0xf];
    v = std::string_view(value, 16);
  }
};

// Counts a SET reply: "OK", or an error, or anything else (a wrong reply).
void check_set(const Resp& r, Counter& c) {
  if (r.err())
    ++c.errors;
  else if (auto s = r.bytes(); !s || *s != "OK")
    ++c.wrong;
}

// Counts a GET reply: the value just written by this thread, or an error.
// With `restart_possible` (W4), nil is the key lost with a killed server (the
// SET reached the old server, the GET the new one): counted apart, not wrong.
void check_get(const Resp& r, std::string_view expected, Counter& c, bool restart_possible = false) {
  if (r.err())
    ++c.errors;
  else if (restart_possible && r.is_nil())
    ++c.lost;
  else if (auto s = r.bytes(); !s || *s != expected)
    ++c.wrong;
}

std::shared_ptr<Pool> make_pool(const RunConfig& cfg, int size, bool cap) {
  PoolOptions o;
  if (cap) o.max_open = size;
  auto [pool, err] = Pool::create("tcp", cfg.target.addr(), size, o);
  if (err) std::fprintf(stderr, "respool-bench: pool: %s\n", err.message().c_str());
  return pool;
}

// Runs body(thread_index, counter, recorder, stop) on `threads` threads for
// cfg.duration and measures the whole process meanwhile.
template <class Body>
Measurement run_threads(const RunConfig& cfg, const std::string& name, int threads, Body body) {
  std::vector<Counter> counters(static_cast<std::size_t>(threads));
  std::vector<Recorder> recorders(static_cast<std::size_t>(threads));
  std::atomic<bool> stop{false};
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      body(t, counters[static_cast<std::size_t>(t)], recorders[static_cast<std::size_t>(t)], stop);
    });
  }
  while (ready.load() < threads) std::this_thread::yield();
  auto before = Usage::now();
  auto start = Clock::now();
  go.store(true, std::memory_order_release);
  {
    Progress progress(cfg.progress, name, counters, start);
    std::this_thread::sleep_for(cfg.duration);
    stop = true;
    for (auto& th : pool) th.join();
  }
  Measurement m;
  m.name = name;
  m.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  m.set_usage(before, Usage::now());
  for (auto& c : counters) {
    m.ops += c.ops.load();
    m.errors += c.errors;
    m.wrong_replies += c.wrong;
    m.lost += c.lost;
  }
  m.set_latencies(recorders);
  return m;
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
