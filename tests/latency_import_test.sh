#!/usr/bin/env bash
# Latencies measured elsewhere, imported: `ridge latency import` of a CSV for a
# device key no worker serves; all or nothing, idempotent, errors that name
# the line and column; `ridge latency report` on them; and a campaign that
# targets the key, priced by the model chosen on the imported measurements.
set -u
CTL="${CTL:-controller/ridge_controller}"
RIDGE="${RIDGE:-cli/ridge}"
# shellcheck source=cli/test_lib.sh
source "$(dirname "$0")/../cli/test_lib.sh"
STATE="$TMP/state"
pid=""
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null' EXIT
start_controller "$TMP/ctl.log"

# 30 architectures of fmnist_uib at 224x224x3, 1000 classes, "measured" on a
# phone that runs 1.7x slower than the pixel6_cpu roofline plus 0.4 ms.
"$RIDGE" space sample --space=fmnist_uib --count=30 --seed=5 --stratify=macs --format=json >"$TMP/sample.json" ||
  fail "space sample"
$PY - "$TMP/sample.json" >"$TMP/archs.txt" <<'PY'
import json, sys
for a in json.load(open(sys.argv[1])):
    print(a["canonical"].replace("28x28x1 classes=10", "224x224x3 classes=1000"))
PY
{
  echo "arch,latency_ms,runtime,threads,precision"
  while IFS= read -r enc; do
    ms=$("$RIDGE" latency predict --arch="$enc" --hardware=pixel6_cpu --format=json |
      $PY -c "import json,sys; print(round(1.7 * json.load(sys.stdin)['latency_ms'] + 0.4, 4))")
    echo "\"$enc\",$ms,tflite,4,fp32"
  done <"$TMP/archs.txt"
} >"$TMP/phone.csv"
[ "$(wc -l <"$TMP/phone.csv")" -eq 31 ] || fail "the CSV has $(wc -l <"$TMP/phone.csv") lines"

expect_ok "import" "$RIDGE" latency import --device=phone "$TMP/phone.csv"
grep -q "30 of 30 measurements stored (0 already present); 30 in all" "$TMP/out" || fail "import: $(cat "$TMP/out")"
expect_ok "import again" "$RIDGE" latency import --device=phone "$TMP/phone.csv"
grep -q "0 of 30 measurements stored (30 already present); 30 in all" "$TMP/out" || fail "again: $(cat "$TMP/out")"

# A bad row anywhere: refused with its line and column, and nothing stored.
sed '8s/,tflite,/x,tflite,/' "$TMP/phone.csv" | sed '1,3s/224x224x3/192x192x3/' >"$TMP/bad.csv"
expect_error "bad latency" "bad.csv:8, column latency_ms: '" "$RIDGE" latency import --device=phone "$TMP/bad.csv"
sed 's/,fp32$/,fp64/' "$TMP/phone.csv" >"$TMP/bad2.csv"
expect_error "bad precision" "(row 2).precision: 'fp64' is not a precision" \
  "$RIDGE" latency import --device=phone "$TMP/bad2.csv"
expect_error "no device" "--device: empty" "$RIDGE" latency import "$TMP/phone.csv"

expect_ok "report" "$RIDGE" latency report --device=phone --base_hardware=pixel6_cpu --format=json
json_check "report" "d['measurements'] == 30 and d['imported'] == 30 and \
  any(k.startswith('selected:calibrated_roofline') for k in d['models']) and \
  d['models']['calibrated_roofline']['within_10pct'] >= 0.9"
"$RIDGE" latency report --device=phone >"$TMP/out" 2>"$TMP/err" && fail "a report with no base profile succeeded"
grep -q "give base_hardware" "$TMP/err" || fail "report without a base: $(cat "$TMP/err")"

# A campaign on the key, with no worker online.
cat >"$TMP/spec.textproto" <<SPEC
name: "imported"
space_ref: "fmnist_uib"
dataset { name: "fashion_mnist" train_images: 128 valid_images: 64 }
training { coarse_steps: 6 batch_size: 32 }
targets { hardware: "pixel6_cpu" device_key: "phone" budget_ms: [12] }
deployment { input { height: 224 width: 224 channels: 3 } num_classes: 1000 }
top_samples: 1
SPEC
id=$("$RIDGE" campaign launch "$TMP/spec.textproto") || fail "launch"
"$RIDGE" campaign watch "$id" >"$TMP/watch.out" 2>"$TMP/watch.err" || fail "watch: $(tail -3 "$TMP/watch.err")"
grep -q "device phone: pricing with calibrated_roofline (5-fold cross-validation on 30 measurements" \
  "$TMP/watch.err" || fail "not priced by the imported measurements: $(grep -i device "$TMP/watch.err" | head -5)"
grep -q "no live worker" "$TMP/watch.err" || fail "the campaign did not say no worker serves the key"
expect_ok "front json" "$RIDGE" front show "$id" --format=json
json_check "front priced by the model" "d['points'] and all(p['latency_model'].startswith('calibrated_roofline') \
  for p in d['points'])"

# Fewer than 10 measured architectures: the roofline prices the key, and the
# campaign says why.
head -6 "$TMP/phone.csv" >"$TMP/few.csv"
expect_ok "import five" "$RIDGE" latency import --device=few "$TMP/few.csv"
sed 's/device_key: "phone"/device_key: "few"/' "$TMP/spec.textproto" >"$TMP/few.textproto"
id=$("$RIDGE" campaign launch "$TMP/few.textproto") || fail "launch few"
"$RIDGE" campaign watch "$id" >"$TMP/watch.out" 2>"$TMP/watch.err" || fail "watch few: $(tail -3 "$TMP/watch.err")"
grep -q "device few: pricing with its roofline: 5 measurements, and pricing by measurements needs 10" \
  "$TMP/watch.err" || fail "few: $(grep -i device "$TMP/watch.err" | head -3)"

kill -TERM $pid; wait $pid; pid=""
finish
