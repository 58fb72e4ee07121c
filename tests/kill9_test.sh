#!/usr/bin/env bash
# Durability (docs/design.md §7): kill -9 the controller right after a launch
# is acknowledged, and again mid-campaign; after each restart the campaign is
# still there, resumes from its last checkpoint (losing at most one
# checkpoint interval) and finishes.
set -u
CTL="${CTL:-controller/ridge_controller}"
RIDGE="${RIDGE:-cli/ridge}"
# shellcheck source=cli/test_lib.sh
source "$(dirname "$0")/../cli/test_lib.sh"
STATE="$TMP/state"
EVERY=5
cat >"$TMP/spec.textproto" <<SPEC
name: "durable"
space_ref: "fmnist_uib"
dataset { name: "fashion_mnist" train_images: 256 valid_images: 64 }
training { coarse_steps: 80 batch_size: 32 }
targets { hardware: "pixel6_cpu" budget_ms: [6] }
targets { hardware: "pixel8_edgetpu" budget_ms: [0.5] }
checkpoint_every_steps: $EVERY
top_samples: 1
SPEC

pid=""
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null' EXIT

# start N: runs the controller in the background and points the client at it.
start() {
  "$CTL" --listen=127.0.0.1:0 --state_dir="$STATE" >"$TMP/ctl$1.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    grep -q "serving on" "$TMP/ctl$1.log" && break
    sleep 0.1
  done
  export RIDGE_CONTROLLER
  RIDGE_CONTROLLER=$(sed -n 's/.*serving on \([0-9.:]*\) .*/\1/p' "$TMP/ctl$1.log")
  export RIDGE_TOKEN_FILE="$STATE/tokens"
  [ -n "$RIDGE_CONTROLLER" ] || { fail "controller $1 did not start: $(cat "$TMP/ctl$1.log")"; finish; }
}

step_of() {
  "$RIDGE" campaign status "$1" --format=json 2>/dev/null |
    $PY -c "import json,sys; print(int(json.load(sys.stdin).get('step', 0)))" 2>/dev/null || echo -1
}

# 1. Killed right after the launch is acknowledged: the campaign survives.
start 1
id=$("$RIDGE" campaign launch "$TMP/spec.textproto") || fail "launch"
kill -9 "$pid"; wait "$pid" 2>/dev/null
start 2
expect_ok "status after kill at launch" "$RIDGE" campaign status "$id"
grep -q "campaign $id" "$TMP/out" || fail "campaign $id lost after kill -9 right after launch"

# 2. Killed mid-campaign, after some checkpoints.
seen=0
for _ in $(seq 600); do
  seen=$(step_of "$id")
  [ "$seen" -ge 30 ] && break
  sleep 0.1
done
[ "$seen" -ge 30 ] || fail "campaign did not reach step 30 (at $seen)"
kill -9 "$pid"; wait "$pid" 2>/dev/null
start 3
"$RIDGE" campaign watch "$id" >"$TMP/watch.out" 2>"$TMP/watch.err" || fail "watch after restart: $(tail -3 "$TMP/watch.err")"
grep -q "DONE" "$TMP/watch.out" || fail "campaign did not finish: $(tail -3 "$TMP/watch.out")"
resumed=$(sed -n 's/.*resumed from the checkpoint at step \([0-9]*\).*/\1/p' "$TMP/watch.err" | tail -1)
[ -n "$resumed" ] || fail "no resume event: $(head -5 "$TMP/watch.err")"
if [ -n "$resumed" ] && [ "$resumed" -lt $((seen - EVERY)) ]; then
  fail "resumed at step $resumed, but step $seen was reported before the kill (checkpoint every $EVERY)"
fi
echo "killed at step >= $seen, resumed at step $resumed"
expect_ok "front after resume" "$RIDGE" front show "$id" --format=csv
[ "$(wc -l <"$TMP/out")" -ge 2 ] || fail "empty front after resume"
kill -TERM "$pid"; wait "$pid"
pid=""
finish
