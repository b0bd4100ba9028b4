// Parser and encoder throughput (bytes/s), on replies and commands shaped
// like the W1 and W3 workloads.
#include <benchmark/benchmark.h>

#include <respool/respool.hpp>
#include <string>

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

}  // namespace
