// What every workload shares: per-thread counters, the live progress line,
// W1's keys and values, the reply checks, and run_threads, which runs a loop
// on T threads for the case's duration while measuring the process.
#pragma once

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "measure.hpp"
#include "respool/resp.hpp"
#include "workloads.hpp"

namespace respool::bench {

using Clock = std::chrono::steady_clock;

inline std::uint64_t ns_since(Clock::time_point t0) {
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
inline void check_set(const Resp& r, Counter& c) {
  if (r.err())
    ++c.errors;
  else if (auto s = r.bytes(); !s || *s != "OK")
    ++c.wrong;
}

// Counts a GET reply: the value just written by this thread, or an error.
// With `restart_possible` (W4), nil is the key lost with a killed server (the
// SET reached the old server, the GET the new one): counted apart, not wrong.
inline void check_get(const Resp& r, std::string_view expected, Counter& c, bool restart_possible = false) {
  if (r.err())
    ++c.errors;
  else if (restart_possible && r.is_nil())
    ++c.lost;
  else if (auto s = r.bytes(); !s || *s != expected)
    ++c.wrong;
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

}  // namespace respool::bench
