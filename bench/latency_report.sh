#!/usr/bin/env bash
# Measured latency models on this machine: a controller and one ridge_worker,
# COUNT architectures sampled from fmnist_uib at 224x224x3 (1000 classes)
# measured for real, then `ridge latency report` fits the lookup-table,
# calibrated-roofline and hybrid models on 60% and scores them on the held-out
# 40%. Usage: [SEED=7] bash bench/latency_report.sh [COUNT=130] [THREADS=1]
# Keep the machine otherwise idle: timings share its cores.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-130}
THREADS=${2:-1}
bazel build //cli:ridge //controller:ridge_controller //workers:ridge_worker >/dev/null 2>&1
# KEEP_STATE=DIR keeps the controller's state there (and reuses it: with
# COUNT=0 nothing new is measured, and the report refits the models).
STATE=${KEEP_STATE:-$(mktemp -d)}
mkdir -p "$STATE"
trap 'kill $ctl $wrk 2>/dev/null; [ -n "${KEEP_STATE:-}" ] || rm -rf "$STATE"' EXIT
bazel-bin/controller/ridge_controller --listen=127.0.0.1:0 --state_dir="$STATE" >"$STATE/ctl.log" 2>&1 &
ctl=$!
for _ in $(seq 100); do grep -q "serving on" "$STATE/ctl.log" && break; sleep 0.1; done
export RIDGE_CONTROLLER RIDGE_TOKEN_FILE="$STATE/tokens"
RIDGE_CONTROLLER=$(sed -n 's/.*serving on \([0-9.:]*\) .*/\1/p' "$STATE/ctl.log")
bazel-bin/workers/ridge_worker --controller="$RIDGE_CONTROLLER" --token_file="$STATE/tokens" \
  --device_key=bench --threads="$THREADS" >"$STATE/worker.log" 2>&1 &
wrk=$!
ridge=bazel-bin/cli/ridge
[ "$COUNT" -gt 0 ] && $ridge latency measure --device=bench --count="$COUNT" --resolution=224 --classes=1000 \
  --seed="${SEED:-7}"
start=$(date +%s)
while [ "$COUNT" -gt 0 ]; do
  # Jobs still queued or leased (a kept state may hold earlier ones).
  left=$($ridge worker list --format=json | /usr/bin/python3 -c "import json,sys; j=json.load(sys.stdin)['jobs']; print(j.get('queued', 0) + j.get('leased', 0))")
  printf '\r%d jobs left (%ds)' "$left" $(($(date +%s) - start)) >&2
  [ "$left" -eq 0 ] && break
  sleep 5
done
echo >&2
$ridge worker list
$ridge latency report --device=bench
$ridge latency report --device=bench --format=json > "${REPORT_JSON:-/dev/null}"
