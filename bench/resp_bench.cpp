// Parser and encoder throughput (bytes/s), on replies and commands shaped
// like the W1 and W3 workloads; Resp::as<T>() beside the hand-written walk
// of the same reply.
#include <benchmark/benchmark.h>

#include <map>
#include <respool/respool.hpp>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace {

// 100 replies as W3 sees them: "+OK" and a 16-byte bulk string, alternating.
std::string w3_replies() {
  std::string s;
  for (int i = 0; i < 50; ++i) s += "+OK\r\n$16\r\n0001000000000abc\r\n";
  return s;
}

void BM_ParseW3Replies(benchmark::State& state) {
  const std::string input = w3_replies();
  respool::Parser parser;
  for (auto _ : state) {
    parser.feed(input);
    int n = 0;
    for (;;) {
      auto r = parser.next();
      if (!r || !*r) break;
      benchmark::DoNotOptimize(**r);
      ++n;
    }
    if (n != 100) state.SkipWithError("parser lost replies");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(input.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 100);
}
BENCHMARK(BM_ParseW3Replies);

void BM_ParseLargeArray(benchmark::State& state) {
  std::string input = "*10000\r\n";
  for (int i = 0; i < 10000; ++i) input += "$8\r\nvalue" + std::to_string(100 + i % 900) + "\r\n";
  respool::Parser parser;
  for (auto _ : state) {
    parser.feed(input);
    auto r = parser.next();
    if (!r || !*r) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(input.size()));
}
BENCHMARK(BM_ParseLargeArray);

void BM_EncodeSet(benchmark::State& state) {
  std::string out;
  std::string_view key = "bench:3:417", value = "0003000000000417";
  std::size_t bytes = 0;
  for (auto _ : state) {
    out.clear();
    respool::encode_command(out, "SET", key, value);
    bytes += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_EncodeSet);

void BM_EncodeMixedArgs(benchmark::State& state) {
  std::string out;
  std::vector<std::string> members(16, "member-xyz");
  std::size_t bytes = 0;
  for (auto _ : state) {
    out.clear();
    respool::encode_command(out, "ZADD", "key", 1.5, members, 42, true);
    bytes += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_EncodeMixedArgs);

// HGETALL of 1,000 fields as RESP2 gives it: [field, value, ...], each
// string past the small-string buffer, so that a copy of one allocates.
const respool::Resp& hgetall_reply() {
  static const respool::Resp reply = [] {
    std::vector<respool::Resp> els;
    for (int i = 0; i < 1000; ++i) {
      els.push_back(respool::Resp::bulk_string("field:" + std::to_string(100000 + i) + ":name"));
      els.push_back(respool::Resp::bulk_string("value:" + std::to_string(100000 + i) + ":0123456789"));
    }
    return respool::Resp::aggregate(respool::Resp::Type::array, std::move(els));
  }();
  return reply;
}

using StringMap = std::map<std::string, std::string>;

// By hand: move the elements out and each string out of its element. Each
// iteration moves from a fresh copy of the reply, made with the timer paused.
void BM_HgetallWalkToMap(benchmark::State& state) {
  const respool::Resp& input = hgetall_reply();
  for (auto _ : state) {
    state.PauseTiming();  // the copy to move from is not timed
    respool::Resp r = input;
    state.ResumeTiming();
    auto els = std::move(r).array();
    if (!els || els->size() % 2 != 0) state.SkipWithError("not a flat map");
    StringMap m;
    for (std::size_t i = 0; i + 1 < els->size(); i += 2) {
      auto k = std::move((*els)[i]).str();
      auto v = std::move((*els)[i + 1]).str();
      if (!k || !v) state.SkipWithError("not a string");
      m.insert_or_assign(std::move(*k), std::move(*v));
    }
    if (m.size() != 1000) state.SkipWithError("lost fields");
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 1000);
}
BENCHMARK(BM_HgetallWalkToMap);

// The same through as<T>() on the rvalue.
void BM_HgetallAsMap(benchmark::State& state) {
  const respool::Resp& input = hgetall_reply();
  for (auto _ : state) {
    state.PauseTiming();
    respool::Resp r = input;
    state.ResumeTiming();
    auto m = std::move(r).as<StringMap>();
    if (!m || m->size() != 1000) state.SkipWithError("conversion failed");
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 1000);
}
BENCHMARK(BM_HgetallAsMap);

// From a const reply (strings copied): as<T>() beside the older map() accessor.
void BM_HgetallMapAccessor(benchmark::State& state) {
  const respool::Resp& input = hgetall_reply();
  for (auto _ : state) {
    auto m = input.map();
    if (!m || m->size() != 1000) state.SkipWithError("map() failed");
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 1000);
}
BENCHMARK(BM_HgetallMapAccessor);

void BM_HgetallAsUnorderedMapConst(benchmark::State& state) {
  const respool::Resp& input = hgetall_reply();
  for (auto _ : state) {
    auto m = input.as<std::unordered_map<std::string, std::string>>();
    if (!m || m->size() != 1000) state.SkipWithError("conversion failed");
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 1000);
}
BENCHMARK(BM_HgetallAsUnorderedMapConst);

}  // namespace
