#!/usr/bin/env bash
# Controller load, kept: builds ridge_controller and runs bench/load.py (50
# clients querying for 30 s, then 200 simulated workers leasing and reporting
# 2,000 jobs). Prints RPC/s, p50/p99 per method, errors, and RESULT lines;
# exits non-zero if any job was lost or done twice.
# Usage: bash bench/load.sh [--clients=50] [--seconds=30] [--workers=200] [--jobs=2000]
set -euo pipefail
cd "$(dirname "$0")/.."
bazel build //controller:ridge_controller >/dev/null 2>&1 || bazel build //controller:ridge_controller
grep -o -w -E 'avx512f|avx2|fma' /proc/cpuinfo | sort -u | tr '\n' ' ' | sed 's/^/cpu flags: /'; echo
exec /usr/bin/python3 bench/load.py "$@"
