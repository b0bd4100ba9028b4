#!/usr/bin/env bash
# Runs every test of respool: installs what is missing, checks formatting,
# then builds and runs the suite in three configurations (g++ debug with the
# consumer projects; clang ASan+UBSan+LSan; clang TSan), builds the whole tree
# once more at -O3 (g++, release-o3 preset, build only), then runs each
# libFuzzer target for a bounded time. Every preset makes warnings errors.
# The tests start and stop their own redis-server instances on free loopback
# ports. Ends with one line "tests: N passed, M failed".
#
# CI time (2 cores; the target is well under 20 minutes in all): the debug,
# asan, tsan and fuzz presets are unity builds (8 files per compile), the
# sanitizer builds compile at -O0 (the sanitizers need no optimizer, and
# template-heavy tests compile three times faster without it), and ctest
# runs 4 tests at a time on 2 cores, since most of them wait on sockets and
# servers. release-o3 compiles every file on its own, so a file that only
# builds with its unity neighbours' includes is still caught. Each stage
# prints the seconds elapsed since the start.
#
#   scripts/test.sh            everything (what CI runs)
#   scripts/test.sh --quick    the debug configuration only
#
# FUZZ_SECONDS (default 30) sets each fuzz target's time.
set -uo pipefail
cd "$(dirname "$0")/.."

quick=0
[ "${1:-}" = "--quick" ] && quick=1
FUZZ_SECONDS=${FUZZ_SECONDS:-30}

scripts/deps.sh || { echo "test: could not install the dependencies"; exit 1; }

passed=0
failed=0
status=0

# run_suite PRESET: configure, build, ctest; adds ctest's counts to the totals.
run_suite() {
  local preset=$1 log
  echo "=== $preset: build (at $((SECONDS - start)) s)"
  if ! { cmake --preset "$preset" >/dev/null && cmake --build --preset "$preset"; }; then
    echo "=== $preset: BUILD FAILED"
    failed=$((failed + 1)); status=1
    return
  fi
  echo "=== $preset: test (at $((SECONDS - start)) s)"
  log=$(mktemp)
  ctest --preset "$preset" --timeout 300 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local line total nfail
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n1)
  if [ -n "$line" ]; then
    total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
    nfail=$(sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/' <<<"$line")
    passed=$((passed + total - nfail)); failed=$((failed + nfail))
  elif [ "$rc" -ne 0 ]; then
    failed=$((failed + 1))
  fi
  [ "$rc" -eq 0 ] || status=1
  rm -f "$log"
}

# build_only PRESET [CMAKE_ARGS...]: configure and build every target of the
# preset, without running any test. Used for release-o3: the library, the
# examples, the tools and the benchmarks at -O3 as a plain Release build
# compiles them, warnings fatal. GCC's flow-based warnings (-Wrestrict,
# -Wstringop-overflow, -Wmaybe-uninitialized) depend on inlining: GCC 12
# reports at -O3 a false -Wrestrict that -O0 and -O2 don't. The tests are
# left out there (RESPOOL_BUILD_TESTS=OFF): three configurations above
# already compile them, and compiling them a fourth time would cost CI
# minutes the suite needs. Counts as one pass or failure.
build_only() {
  local preset=$1
  shift
  echo "=== $preset: build only (at $((SECONDS - start)) s)"
  if cmake --preset "$preset" "$@" >/dev/null && cmake --build --preset "$preset"; then
    passed=$((passed + 1))
  else
    echo "=== $preset: BUILD FAILED"
    failed=$((failed + 1)); status=1
  fi
}

# run_fuzzers: build the fuzz preset and run each target for FUZZ_SECONDS on
# a scratch copy of its corpus (the repository's corpus stays small).
run_fuzzers() {
  echo "=== fuzz: build (at $((SECONDS - start)) s)"
  if ! { cmake --preset fuzz >/dev/null && cmake --build --preset fuzz; }; then
    echo "=== fuzz: BUILD FAILED"; failed=$((failed + 1)); status=1; return
  fi
  # Both fuzzers at once, one per core (each is single-threaded).
  local target
  local -A work pid
  for target in parser encoder; do
    work[$target]=$(mktemp -d)
    cp -r "fuzz/corpus/$target/." "${work[$target]}/"
    echo "=== fuzz: ${target}_fuzz for ${FUZZ_SECONDS}s"
    "build/fuzz/fuzz/${target}_fuzz" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 \
      -print_final_stats=1 "${work[$target]}" >"${work[$target]}.log" 2>&1 &
    pid[$target]=$!
  done
  for target in parser encoder; do
    if wait "${pid[$target]}"; then
      echo "=== fuzz: ${target}_fuzz: $(grep -E 'stat::number_of_executed_units' "${work[$target]}.log")"
      passed=$((passed + 1))
    else
      tail -n 40 "${work[$target]}.log"; echo "=== fuzz: ${target}_fuzz FOUND A CRASH"
      failed=$((failed + 1)); status=1
    fi
    rm -rf "${work[$target]}" "${work[$target]}.log"
  done
}

# check_format: every tracked C++ file is as clang-format (.clang-format) leaves it.
check_format() {
  echo "=== format: clang-format --dry-run"
  local bad
  bad=$(git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run 2>&1 | grep 'warning: code should be clang-formatted' | cut -d: -f1 | sort -u)
  if [ -n "$bad" ]; then
    echo "=== format: clang-format would change:"; echo "$bad"; echo "    (fix: clang-format -i FILE)"
    failed=$((failed + 1)); status=1
  else
    passed=$((passed + 1))
  fi
}

start=$SECONDS
check_format
run_suite debug
if [ "$quick" -eq 0 ]; then
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 run_suite asan
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" run_suite tsan
  build_only release-o3 -DRESPOOL_BUILD_TESTS=OFF
  run_fuzzers
fi
echo "=== total time: $((SECONDS - start)) s"
echo "tests: $passed passed, $failed failed"
exit $status
