#!/usr/bin/env bash
# End-to-end check of the Python client: start ridge_controller on a free port,
# run ridge_client.py on the tiny campaign, check its output, stop the controller.
set -u
RUNFILES="${TEST_SRCDIR:?run this with bazel test}/ridge"
CONTROLLER="$RUNFILES/controller/ridge_controller"
TMP="${TEST_TMPDIR:?run this with bazel test}"
# Python and the client's generated stubs write only under $TEST_TMPDIR.
export PYTHONDONTWRITEBYTECODE=1 TMPDIR="$TMP"

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

"$CONTROLLER" --listen=127.0.0.1:0 --state_dir="$TMP/state" >"$TMP/controller.out" 2>"$TMP/controller.err" &
pid=$!
# Whatever happens below, the controller does not outlive the test.
trap 'kill -KILL "$pid" 2>/dev/null' EXIT

# The controller prints "ridge_controller: serving on HOST:PORT (tokens: FILE)".
port=""
for _ in $(seq 300); do
  port=$(sed -n 's/^ridge_controller: serving on 127\.0\.0\.1:\([0-9][0-9]*\) .*/\1/p' "$TMP/controller.out")
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$port" ]; then
  echo "FAIL: the controller did not start: $(tail -3 "$TMP/controller.err")"
  exit 1
fi

/usr/bin/python3 "$RUNFILES/examples/python_client/ridge_client.py" --controller="127.0.0.1:$port" \
  --token_file="$TMP/state/tokens" --spec="$RUNFILES/examples/campaigns/tiny.textproto" \
  --proto_root="$RUNFILES" >"$TMP/client.out" 2>"$TMP/client.err" \
  || fail "client: exit $? ($(tail -3 "$TMP/client.err"))"
echo "--- client output"; cat "$TMP/client.out"

grep -Eq '^campaign: [0-9a-z]+$' "$TMP/client.out" || fail "no campaign ID"
grep -Eq '^event: DONE ' "$TMP/client.out" || fail "no DONE event"
grep -Eq '^  [0-9a-f]+ +(argmax|sample|reference|random) +[0-9.]+ +[0-9.]+$' "$TMP/client.out" \
  || fail "no Pareto point row"
grep -Eq '^Pareto front on [a-z0-9_]+: hypervolume [0-9.]+$' "$TMP/client.out" || fail "no hypervolume"

# SIGTERM stops the controller cleanly, within 30 s.
kill -TERM "$pid"
for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then
  fail "the controller ignored SIGTERM"
else
  wait "$pid" || fail "the controller exited $? on SIGTERM ($(tail -2 "$TMP/controller.err"))"
fi

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
