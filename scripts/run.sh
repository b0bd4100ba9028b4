#!/usr/bin/env bash
# respool's main job: installs what is missing, builds (release), starts a
# throwaway redis-server on a free loopback port, runs every example against
# it, then a short benchmark table beside redis-benchmark (2 s per case; the
# full figures come from scripts/bench.sh), and stops the server.
#
#   scripts/run.sh                    use a throwaway server
#   scripts/run.sh --addr HOST:PORT   use an existing server instead
set -euo pipefail
cd "$(dirname "$0")/.."

addr=""
while [ $# -gt 0 ]; do
  case "$1" in
    --addr) addr=${2:?--addr needs HOST:PORT}; shift 2 ;;
    --addr=*) addr=${1#--addr=}; shift ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "run: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

scripts/deps.sh
cmake --preset release >/dev/null
cmake --build --preset release

server_pid=""
tmp=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  [ -z "$tmp" ] || rm -rf "$tmp"
}
trap cleanup EXIT

if [ -z "$addr" ]; then
  tmp=$(mktemp -d)
  # A free port: one nothing answers on, from a random spot in the high range.
  for _ in $(seq 50); do
    port=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
  done
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" \
    --logfile "$tmp/redis.log" --daemonize no &
  server_pid=$!
  for _ in $(seq 200); do
    redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break
    sleep 0.05
  done
  addr="127.0.0.1:$port"
  echo "run: throwaway redis-server (pid $server_pid) on $addr"
fi

for example in build/release/examples/example_*; do
  if [ "$(basename "$example")" = example_sentinel ]; then
    echo "=== example_sentinel: built, not run (it needs Redis Sentinel)"
    continue
  fi
  echo "=== $(basename "$example") $addr"
  "$example" "$addr"
done
echo "run: all examples succeeded against $addr"

echo "=== respool-bench: a short look (scripts/bench.sh for the real figures, docs/BENCHMARKS.md)"
build/release/tools/respool-bench/respool-bench --addr "$addr" --compare --duration 2 --cases W1a,W1c,W3
