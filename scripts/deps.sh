#!/usr/bin/env bash
# Installs, with apt-get, every Debian package respool's build, tests,
# examples and benchmarks need, skipping what is already installed.
# Extra package names given as arguments are installed too
# (scripts/bench.sh adds gnuplot-nox for its chart).
# Needs root (or sudo) the first time on a fresh machine; changes nothing
# when everything is present.
set -euo pipefail

PACKAGES=(
  cmake ninja-build g++ pkg-config            # build
  clang libclang-rt-14-dev lld                # sanitizers (ASan, UBSan, TSan, LSan) and libFuzzer
  clang-format                                # the formatting check (.clang-format)
  libgtest-dev libgmock-dev googletest        # tests
  libbenchmark-dev                            # micro-benchmarks
  libhiredis-dev                              # test-only: the differential parser oracle
  libssl-dev                                  # TLS (OpenSSL 3)
  openssl ca-certificates                     # test certificates made at test time; the system trust store
  libcli11-dev                                # respool-bench's command line
  redis-server redis-tools redis-sentinel     # the real servers the tests start, and redis-benchmark
  "$@"
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

echo "deps: installing ${missing[*]}"
SUDO=()
[ "$(id -u)" -eq 0 ] || SUDO=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
