#!/usr/bin/env bash
# Regenerates every figure of docs/BENCHMARKS.md: builds the release preset,
# runs respool-bench on the standard workloads (described in
# docs/BENCHMARKS.md) beside redis-benchmark (same server, same run), a
# thread sweep for the chart, and the Google Benchmark micro-benchmarks; then
# rewrites the generated part of docs/BENCHMARKS.md and
# docs/bench/threads.png. Not part of the test suite (a 1-second smoke run
# of the tool is). W5 starts its own 3+3 Redis Cluster on loopback (about
# 3 s). Takes about 7 minutes.
#
#   scripts/bench.sh                 REPEAT=3 runs of DURATION=5 s per case
#   REPEAT=1 DURATION=2 scripts/bench.sh   a quick look
set -euo pipefail
cd "$(dirname "$0")/.."

REPEAT=${REPEAT:-3}
DURATION=${DURATION:-5}
SWEEP=${SWEEP:-1,2,4,8,16,32,64,128,256}

scripts/deps.sh gnuplot-nox linux-perf
cmake --preset release >/dev/null
cmake --build --preset release

out=docs/bench
mkdir -p "$out"
bench=build/release/tools/respool-bench/respool-bench
micro=build/release/bench/respool_micro_bench

run() { echo "+ $*" >&2; "$@"; }

# The command lines are recorded with the results: the doc quotes them.
{
  echo "$bench --compare --repeat $REPEAT --duration $DURATION --json --cases W1a,W1b,W1c,W1d,W3"
  echo "$bench --repeat $REPEAT --duration $DURATION --json --cases W2a,W2b,W4"
  echo "$bench --compare --repeat 1 --duration $DURATION --json --sweep $SWEEP --sweep-size 8"
  echo "$bench --compare --repeat $REPEAT --duration $DURATION --json --cases W5a,W5b"
  echo "$micro --benchmark_repetitions=$REPEAT --benchmark_report_aggregates_only=true --benchmark_format=json"
} >"$out/commands.txt"

run "$bench" --compare --repeat "$REPEAT" --duration "$DURATION" --json --cases W1a,W1b,W1c,W1d,W3 >"$out/standard.jsonl"
run "$bench" --repeat "$REPEAT" --duration "$DURATION" --json --cases W2a,W2b,W4 >>"$out/standard.jsonl"
run "$bench" --compare --repeat 1 --duration "$DURATION" --json --sweep "$SWEEP" --sweep-size 8 >"$out/sweep.jsonl"
# W5 (cluster): its command and the machine's load go with its figures.
{
  echo "- command: \`$bench --compare --repeat $REPEAT --duration $DURATION --json --cases W5a,W5b\`"
  echo "- load average (1, 5, 15 min) before the run: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores; $(date -u +%Y-%m-%d)"
} >"$out/cluster.txt"
run "$bench" --compare --repeat "$REPEAT" --duration "$DURATION" --json --cases W5a,W5b >"$out/cluster.jsonl"
run "$micro" --benchmark_repetitions="$REPEAT" --benchmark_report_aggregates_only=true \
  --benchmark_format=json >"$out/micro.json"

{
  echo "- CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -n1), $(nproc) cores"
  echo "- kernel: $(uname -r); $(redis-server --version | cut -d' ' -f1-3); $(redis-benchmark --version 2>/dev/null | head -n1 || echo redis-benchmark)"
  echo "- compiler: $(g++ --version | head -n1), preset \`release\` (-O2 -g)"
  echo "- date: $(date -u +%Y-%m-%d)"
} >"$out/machine.txt"

python3 scripts/bench_report.py "$out" docs/BENCHMARKS.md
gnuplot "$out/threads.gp"
echo "bench: docs/BENCHMARKS.md and $out/threads.png regenerated"
