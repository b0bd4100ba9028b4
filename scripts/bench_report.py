#!/usr/bin/env python3
"""Turns scripts/bench.sh's raw results (docs/bench/*.jsonl, micro.json) into
the generated part of docs/BENCHMARKS.md (between the 'generated' markers)
and a gnuplot script for the thread-sweep chart. Standard library only."""
import json
import pathlib
import sys

out = pathlib.Path(sys.argv[1])
doc = pathlib.Path(sys.argv[2])

# respool's goals, also listed in words under "The targets, one by one" in
# docs/BENCHMARKS.md: change both together.
TARGETS = {  # case: (min ratio, max cpu us/op, max p99 us, max ctx/op)
    "W1a": (1.25, 16, None, None),
    "W1b": (1.15, 16, None, None),
    "W1c": (1.0, None, 2000, 1.0),
    "W1d": (1.15, None, 8000, None),
    "W3": (0.9, 0.5, None, None),
}


def records(name):
    path = out / name
    return [json.loads(l) for l in path.read_text().splitlines() if l.strip()] if path.exists() else []


def verdict(r):
    t = TARGETS.get(r["case"])
    if not t:
        return ""
    ok = []
    if t[0] is not None:
        ok.append(r["ratio"] >= t[0])
    if t[1] is not None:
        ok.append(r["cpu_us_per_op"] <= t[1])
    if t[2] is not None:
        ok.append(r["p99_us"] <= t[2])
    if t[3] is not None:
        ok.append(r["ctx_switches_per_op"] <= t[3])
    goal = ", ".join(
        s for s in [
            f"ratio ≥ {t[0]}" if t[0] is not None else None,
            f"≤ {t[1]} µs CPU" if t[1] is not None else None,
            f"p99 ≤ {t[2] / 1000:g} ms" if t[2] is not None else None,
            f"≤ {t[3]} ctx/cmd" if t[3] is not None else None,
        ] if s)
    return f"{goal}: **{'met' if all(ok) else 'not met'}**"


lines = []
machine = (out / "machine.txt").read_text().strip() if (out / "machine.txt").exists() else ""
commands = (out / "commands.txt").read_text().strip() if (out / "commands.txt").exists() else ""
lines += ["### Machine", "", machine, "", "### Commands", "", "```sh", "scripts/bench.sh   # runs:", commands, "```", ""]

std = records("standard.jsonl")
lines += ["### Standard workloads (median of the runs; ratio = respool ops/s ÷ redis-benchmark ops/s, same server, same run)", "",
          "| case | params | ops/s | ratio | p50 µs | p99 µs | p99.9 µs | client CPU µs/cmd | ctx switches/cmd (involuntary) | errors | wrong replies | target |",
          "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
for r in std:
    ratio = f"{r['ratio']:.2f}" if r["reference_ops_per_s"] > 0 else "–"
    lines.append(f"| {r['case']} | {r['params']} | {r['ops_per_s']:,.0f} | {ratio} | {r['p50_us']:.1f} | {r['p99_us']:.1f} | "
                 f"{r['p999_us']:.1f} | {r['cpu_us_per_op']:.2f} | {r['ctx_switches_per_op']:.3f} ({r.get('involuntary_per_op', 0):.3f}) | {r['errors']} | "
                 f"{r['wrong_replies']} | {verdict(r)} |")
notes = [f"- {r['case']}: {r['note']}" for r in std if r.get("note")]
if notes:
    lines += [""] + notes
lines.append("")

cluster = records("cluster.jsonl")
if cluster:
    lines += ["### Redis Cluster (W5; ratio = respool ops/s ÷ `redis-benchmark --cluster` ops/s, same cluster, same run)", ""]
    if (out / "cluster.txt").exists():
        lines += [(out / "cluster.txt").read_text().strip(), ""]
    lines += ["| case | params | ops/s | keys/s | ratio | p50 µs | p99 µs | p99.9 µs | client CPU µs/op | ctx switches/op | redirects | errors | wrong replies |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in cluster:
        keys = int(r["params"].split("keys=")[1]) if "keys=" in r["params"] else 1
        ratio = f"{r['ratio']:.2f}" if r["reference_ops_per_s"] > 0 else "no reference"
        lines.append(f"| {r['case']} | {r['params']} | {r['ops_per_s']:,.0f} | {r['ops_per_s'] * keys:,.0f} | {ratio} | "
                     f"{r['p50_us']:.0f} | {r['p99_us']:.0f} | {r['p999_us']:.0f} | {r['cpu_us_per_op']:.2f} | "
                     f"{r['ctx_switches_per_op']:.3f} | {r.get('redirects', -1)} | {r['errors']} | {r['wrong_replies']} |")
    lines += ["", "W5a: an op is one SET or GET (`redis-benchmark --cluster` ops/s in the same run: " +
              ", ".join(f"{r['reference_ops_per_s']:,.0f}" for r in cluster if r["reference_ops_per_s"] > 0) +
              "). W5b: an op is one MGET call of 100 keys in 100 slots (latency, CPU and context switches per call); "
              "no reference: `redis-benchmark` has no cross-slot MGET.", ""]

sweep = records("sweep.jsonl")
if sweep:
    lines += ["### Thread sweep (W1, pool capped at 8 connections)", "", "![ops/s and p99 against threads](bench/threads.png)", "",
              "| threads | ops/s | redis-benchmark ops/s (-c threads) | ratio | p99 µs | ctx switches/cmd |", "|---:|---:|---:|---:|---:|---:|"]
    with open(out / "threads.dat", "w") as f:
        f.write("# threads respool_ops redis_benchmark_ops respool_p99_ms\n")
        for r in sweep:
            t = int(r["case"].split("@")[1])
            f.write(f"{t} {r['ops_per_s']:.0f} {r['reference_ops_per_s']:.0f} {r['p99_us'] / 1000:.3f}\n")
            lines.append(f"| {t} | {r['ops_per_s']:,.0f} | {r['reference_ops_per_s']:,.0f} | {r['ratio']:.2f} | {r['p99_us']:.0f} | "
                         f"{r['ctx_switches_per_op']:.2f} |")
    lines.append("")
    (out / "threads.gp").write_text(f"""set terminal pngcairo size 900,500 font ",10"
set output '{out}/threads.png'
set title 'W1 through pool->cmd, pool capped at 8 connections (redis-benchmark: -c threads)'
set logscale x 2
set xlabel 'caller threads'
set ylabel 'ops/s'
set y2label 'respool p99 (ms)'
set ytics nomirror
set y2tics
set key top left
set grid
plot '{out}/threads.dat' using 1:2 with linespoints title 'respool ops/s', \\
     '' using 1:3 with linespoints title 'redis-benchmark ops/s', \\
     '' using 1:4 axes x1y2 with linespoints dashtype 2 title 'respool p99 (ms)'
""")

micro = out / "micro.json"
if micro.exists():
    data = json.loads(micro.read_text())
    lines += ["### Micro-benchmarks (Google Benchmark, median of the repetitions)", "",
              "| benchmark | ns per iteration (real) | CPU ns | throughput |", "|---|---:|---:|---:|"]
    # With repetitions, the medians; with a single run, the runs themselves.
    rows = [b for b in data["benchmarks"] if b.get("aggregate_name") == "median"] or \
        [b for b in data["benchmarks"] if b.get("run_type") == "iteration"]
    for b in rows:
        tp = f"{b['bytes_per_second'] / 1e6:,.0f} MB/s" if "bytes_per_second" in b else ""
        lines.append(f"| {b['run_name']} | {b['real_time']:.1f} | {b['cpu_time']:.1f} | {tp} |")
    lines.append("")

text = doc.read_text() if doc.exists() else "<!-- generated:begin -->\n<!-- generated:end -->\n"
begin, end = "<!-- generated:begin -->", "<!-- generated:end -->"
head, rest = text.split(begin, 1)
_, tail = rest.split(end, 1)
doc.write_text(head + begin + "\n" + "\n".join(lines) + "\n" + end + tail)
