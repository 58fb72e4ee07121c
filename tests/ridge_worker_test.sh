#!/usr/bin/env bash
# The measurement loop for real: a controller, a ridge_worker timing real
# oneDNN inference, `ridge latency measure`, `ridge worker list`,
# `ridge latency report`, and a campaign whose target is the worker's device
# key (its model is fitted to the measurements and its front is measured).
set -u
CTL="${CTL:-controller/ridge_controller}"
WORKER="${WORKER:-workers/ridge_worker}"
RIDGE="${RIDGE:-cli/ridge}"
# shellcheck source=cli/test_lib.sh
source "$(dirname "$0")/../cli/test_lib.sh"
STATE="$TMP/state"
KEY=zen-2c
pid="" wrk=""
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; [ -n "$wrk" ] && kill -9 $wrk 2>/dev/null' EXIT

start_controller "$TMP/ctl.log" --measure_every=3 --refit_every=6
"$WORKER" --controller="$RIDGE_CONTROLLER" --token_file="$STATE/tokens" --device_key=$KEY --threads=1 \
  >"$TMP/worker.log" 2>&1 &
wrk=$!

# jobs_done: the count of done jobs the controller reports.
jobs_done() {
  "$RIDGE" worker list --format=json 2>/dev/null | $PY -c "import json,sys; print(json.load(sys.stdin)['jobs'].get('done', 0))" 2>/dev/null || echo 0
}

expect_ok "measure" "$RIDGE" latency measure --device=$KEY --count=10 --resolution=64 --classes=10
grep -q "queued 10 measurement jobs" "$TMP/out" || fail "measure: $(cat "$TMP/out")"
for _ in $(seq 600); do [ "$(jobs_done)" -ge 10 ] && break; sleep 0.5; done
[ "$(jobs_done)" -ge 10 ] || fail "10 jobs not done: $(jobs_done); worker: $(tail -3 "$TMP/worker.log")"

expect_ok "worker list" "$RIDGE" worker list --format=json
json_check "worker list" "len(d['workers']) == 1 and d['workers'][0]['device_key'] == '$KEY' and d['workers'][0]['state'] in ('idle', 'busy') and d['workers'][0]['jobs_done'] >= 10"

expect_ok "latency report" "$RIDGE" latency report --device=$KEY --format=json
json_check "report schema" "d['measurements'] >= 10 and all(set(m) >= {'spearman', 'kendall', 'mape', 'within_10pct'} for m in d['models'].values()) and 'calibrated_roofline' in d['models'] and 'hybrid' in d['models'] and d['models']['calibrated_roofline']['n'] >= 3"
expect_error "report of an unknown key" "has 0 measurements" "$RIDGE" latency report --device=nobody

# A campaign whose only target is the device key: priced by the fitted
# model, its front measured by the worker.
cat >"$TMP/spec.textproto" <<SPEC
name: "device"
space_ref: "fmnist_uib"
dataset { name: "fashion_mnist" train_images: 128 valid_images: 64 }
training { coarse_steps: 9 batch_size: 32 }
targets { device_key: "$KEY" budget_ms: [1.5] }
deployment { input { height: 64 width: 64 channels: 3 } num_classes: 10 }
top_samples: 1
retrain_epochs: 1
SPEC
id=$("$RIDGE" campaign launch "$TMP/spec.textproto") || fail "launch"
"$RIDGE" campaign watch "$id" >"$TMP/watch.out" 2>"$TMP/watch.err" || fail "watch: $(tail -3 "$TMP/watch.err")"
grep -q "pricing with [a-z_:0-9]* ([0-9]-fold cross-validation" "$TMP/watch.err" || fail "no fitted model: $(grep '\[' "$TMP/watch.err" | head -5)"
grep -q "measured [1-9][0-9]* of" "$TMP/watch.err" || fail "front not measured: $(grep '\[' "$TMP/watch.err" | tail -4)"
expect_ok "front json" "$RIDGE" front show "$id" --format=json
json_check "measured front" "all(p['hardware'] == '$KEY' and p.get('measured_latency_ms', 0) > 0 and not p['latency_model'].startswith('roofline:') for p in d['points'])"

# A front member, exported with the weights the campaign retrained (at the
# proxy shape, 28x28x1), then without them (the deployment shape, seeded).
arch=$($PY -c "import json,sys; print(json.load(open('$TMP/out'))['points'][0]['arch_id'])")
expect_ok "front export pytorch" "$RIDGE" front export "$id" --arch_id="$arch" --format=pytorch --out="$TMP/fm"
[ -s "$TMP/fm/ridge_$arch.py" ] && [ -s "$TMP/fm/ridge_$arch.pt" ] || fail "front export wrote: $(ls "$TMP/fm")"
grep -q "retrained by campaign $id" "$TMP/fm/ridge_$arch.py" || fail "the module does not say its weights are retrained"
$PY - "$TMP/fm" "ridge_$arch" <<'PY' || fail "the exported module does not load and run in PyTorch"
import importlib.util, sys, torch
spec = importlib.util.spec_from_file_location("m", f"{sys.argv[1]}/{sys.argv[2]}.py")
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
logits = m.load()(torch.zeros(2, 1, 28, 28))
assert tuple(logits.shape) == (2, 10), logits.shape
PY
expect_ok "front export onnx, untrained" "$RIDGE" front export "$id" --arch_id="$arch" --format=onnx --weights=none \
  --out="$TMP/fm.onnx"
[ -s "$TMP/fm.onnx" ] || fail "no onnx file"
expect_error "front export of an unknown member" "0123456789abcdef" "$RIDGE" front export "$id" \
  --arch_id=0123456789abcdef --format=onnx --weights=retrained --out="$TMP/x.onnx"
[ ! -e "$TMP/x.onnx" ] || fail "a failed export left a file"

kill -TERM $wrk; wait $wrk; wrk=""
kill -TERM $pid; wait $pid; pid=""
finish
