#!/usr/bin/env bash
# respool's main job: installs what is missing, builds (release), starts a
# throwaway redis-server on a free loopback port, runs every example against
# it, then a short benchmark table beside redis-benchmark (2 s per case; the
# full figures come from scripts/bench.sh), and stops the server.
#
#   scripts/run.sh                    use a throwaway server
#   scripts/run.sh --addr HOST:PORT   use an existing server instead
#   scripts/run.sh --cluster          only example_cluster, against a throwaway
#                                     3-primary, 3-replica Redis Cluster
set -euo pipefail
cd "$(dirname "$0")/.."

addr=""
cluster=0
while [ $# -gt 0 ]; do
  case "$1" in
    --addr) addr=${2:?--addr needs HOST:PORT}; shift 2 ;;
    --addr=*) addr=${1#--addr=}; shift ;;
    --cluster) cluster=1; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "run: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ "$cluster" = 1 ] && [ -n "$addr" ]; then
  echo "run: --cluster starts its own cluster; it doesn't take --addr" >&2
  exit 2
fi

scripts/deps.sh
cmake --preset release >/dev/null
cmake --build --preset release

server_pids=()
tmp=""
cleanup() {
  for pid in "${server_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${server_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ -z "$tmp" ] || rm -rf "$tmp"
}
trap cleanup EXIT

# free_port sets $free to a free port: one nothing answers on, below the
# kernel's range for outgoing connections (whose ports a listener can't
# take), and not one handed out before (the bus ports of a cluster don't
# answer until their nodes start).
used_ports=" "
free=""
free_port() {
  local low
  low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 60000)
  ((low > 21000)) || low=60000
  for _ in $(seq 50); do
    free=$((20000 + RANDOM % (low - 20000)))
    case "$used_ports" in *" $free "*) continue ;; esac
    (exec 3<>"/dev/tcp/127.0.0.1/$free") 2>/dev/null || break
  done
  used_ports+="$free "
}

# start_redis DIR [ARGS...]: a redis-server in DIR on a free port ($port;
# with --cluster, its bus on another), waited for with PING; if it dies at
# start (a port taken meanwhile), again on new ports, 5 tries in all.
start_redis() {
  local dir=$1 pid bus_args=()
  shift
  for _ in 1 2 3 4 5; do
    free_port; port=$free
    if [ "$cluster" = 1 ]; then free_port; bus_args=(--cluster-port "$free"); fi
    redis-server --port "$port" "${bus_args[@]}" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
      --logfile "$dir/redis.log" --daemonize no "$@" &
    pid=$!
    for _ in $(seq 200); do
      if redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; then
        server_pids+=("$pid")
        return 0
      fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.05
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  echo "run: redis-server would not start; its log:" >&2
  cat "$dir/redis.log" >&2
  return 1
}

if [ "$cluster" = 1 ]; then
  # A throwaway 3+3 cluster: six nodes, each in its own dir, the bus on a
  # port of its own (port+10000 may pass 65535), joined by redis-cli.
  tmp=$(mktemp -d)
  nodes=()
  for i in 1 2 3 4 5 6; do
    mkdir "$tmp/node$i"
    start_redis "$tmp/node$i" --cluster-enabled yes --cluster-config-file nodes.conf \
      --cluster-node-timeout 1000 --repl-diskless-sync-delay 0
    nodes+=("127.0.0.1:$port")
  done
  if ! redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes >"$tmp/create.log" 2>&1; then
    cat "$tmp/create.log" >&2
    echo "run: redis-cli --cluster create failed" >&2
    exit 1
  fi
  for n in "${nodes[@]}"; do
    for _ in $(seq 300); do
      # cluster_state:ok, and a replica's link to its primary up
      if redis-cli -p "${n#*:}" cluster info 2>/dev/null | grep -q '^cluster_state:ok' &&
        ! redis-cli -p "${n#*:}" info replication 2>/dev/null | grep -q '^master_link_status:down'; then
        continue 2
      fi
      sleep 0.1
    done
    echo "run: node $n is not cluster_state:ok (or its replication link is down) after 30 s" >&2
    exit 1
  done
  seed=${nodes[0]}
  echo "run: throwaway Redis Cluster (3 primaries, 3 replicas) in $tmp, seed $seed"
  example=build/release/examples/example_cluster
  if [ ! -x "$example" ]; then
    echo "run: $example was not built (no examples/cluster.cpp?)" >&2
    exit 1
  fi
  echo "=== $(basename "$example") $seed"
  "$example" "$seed"
  echo "run: example_cluster succeeded against $seed"
  exit 0
fi

if [ -z "$addr" ]; then
  tmp=$(mktemp -d)
  start_redis "$tmp"
  addr="127.0.0.1:$port"
  echo "run: throwaway redis-server (pid ${server_pids[0]}) on $addr"
fi

for example in build/release/examples/example_*; do
  case "$(basename "$example")" in
    example_cluster) continue ;;  # needs a cluster: scripts/run.sh --cluster
    example_sentinel)
      echo "=== example_sentinel: built, not run (it needs Redis Sentinel)"
      continue ;;
  esac
  echo "=== $(basename "$example") $addr"
  "$example" "$addr"
done
echo "run: all examples succeeded against $addr"

echo "=== respool-bench: a short look (scripts/bench.sh for the real figures, docs/BENCHMARKS.md)"
build/release/tools/respool-bench/respool-bench --addr "$addr" --compare --duration 2 --cases W1a,W1c,W3
