#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ with clang, ASan and UBSan (in a
# Bazel output base of their own) and runs each for RUNS executions (10^6 by
# default), starting from its seed corpus under tests/fuzz/corpus/. Prints,
# per fuzzer, the executions done and the crashes found; exits non-zero on any
# crash. A crash leaves its input under $OUT/<fuzzer>/ to reproduce with
#   $BIN/<fuzzer> <that file>.
# Usage: [RUNS=1000000] [SECONDS=0] [OUT=DIR] bash bench/fuzz.sh [FUZZER...]
# SECONDS > 0 runs each for that long instead (CI runs each for a few seconds).
set -uo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-1000000}
SECS=${SECONDS_EACH:-${FUZZ_SECONDS:-0}}
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
FUZZERS=("$@")
[ ${#FUZZERS[@]} -gt 0 ] || FUZZERS=(textproto_fuzzer canonical_encoding_fuzzer idx_fuzzer checkpoint_fuzzer
                                      soft_labels_fuzzer requests_fuzzer image_decode_fuzzer csv_fuzzer)
BASE=${FUZZ_OUTPUT_BASE:-$HOME/.cache/ridge-fuzz-bazel}
targets=()
for f in "${FUZZERS[@]}"; do targets+=("//tests:$f"); done
bazel --output_base="$BASE" build --config=fuzz "${targets[@]}" >"$OUT/build.log" 2>&1 || {
  tail -30 "$OUT/build.log"; echo "fuzzers did not build"; exit 1; }
BIN=$(bazel --output_base="$BASE" info --config=fuzz bazel-bin 2>/dev/null)
crashed=0
for f in "${FUZZERS[@]}"; do
  mkdir -p "$OUT/$f/corpus"
  cp -r "tests/fuzz/corpus/$f/." "$OUT/$f/corpus/" 2>/dev/null || true
  limit=(-runs="$RUNS")
  [ "$SECS" -gt 0 ] && limit=(-max_total_time="$SECS")
  ASAN_OPTIONS=detect_leaks=0 "$BIN/tests/$f" "${limit[@]}" -artifact_prefix="$OUT/$f/" -print_final_stats=1 \
    -rss_limit_mb=4096 -max_len=65536 "$OUT/$f/corpus" >"$OUT/$f/log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/$f/log" | tail -1)
  crashes=$(ls "$OUT/$f" | grep -c -E '^(crash|leak|timeout|oom)-' || true)
  [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ] && crashes=1
  printf '%-28s execs %-10s crashes %s\n' "$f" "${execs:-?}" "$crashes"
  if [ "$crashes" -ne 0 ]; then
    crashed=$((crashed + 1))
    grep -m 5 -E "ERROR|runtime error|SUMMARY" "$OUT/$f/log"
  fi
done
echo "RESULT fuzzers=${#FUZZERS[@]} crashed=$crashed runs_each=$([ "$SECS" -gt 0 ] && echo "${SECS}s" || echo "$RUNS")"
exit $((crashed > 0))
