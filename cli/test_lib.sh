# Shared helpers for the CLI's shell tests. Source it after setting RIDGE.
# Each helper records a failure instead of exiting, so one run reports all.
PY=/usr/bin/python3
TMP="${TEST_TMPDIR:-$(mktemp -d)}"
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect_ok NAME CMD... : exit 0, stdout saved to $TMP/out.
expect_ok() {
  local name=$1; shift
  "$@" >"$TMP/out" 2>"$TMP/err" || fail "$name: exit $? ($(tail -3 "$TMP/err"))"
}

# expect_error NAME EXPECTED_SUBSTRING CMD... : exit 2 and the message on stderr.
expect_error() {
  local name=$1 want=$2; shift 2
  "$@" >"$TMP/out" 2>"$TMP/err"
  local code=$?
  [ "$code" -eq 2 ] || fail "$name: exit $code, want 2 ($(tail -2 "$TMP/err"))"
  grep -qF -- "$want" "$TMP/err" || fail "$name: stderr lacks '$want': $(tail -2 "$TMP/err")"
}

# json_check NAME PYTHON_EXPR: evaluates EXPR with `d` = parsed $TMP/out.
json_check() {
  $PY -c "import json,sys; d=json.load(open('$TMP/out')); sys.exit(0 if ($2) else 1)" \
    || fail "$1: $(head -c 600 "$TMP/out")"
}

# finish: the exit status of the test.
finish() {
  if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed"
    exit 1
  fi
  echo "all checks passed"
}

# start_controller LOG [FLAGS...]: runs $CTL on a free loopback port with its
# state in $STATE, sets `pid` (the caller's EXIT trap kills it) and points the
# client at it (RIDGE_CONTROLLER, RIDGE_TOKEN_FILE). Ends the test if it does
# not start.
start_controller() {
  local log=$1; shift
  "$CTL" --listen=127.0.0.1:0 --state_dir="$STATE" "$@" >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do grep -q "serving on" "$log" && break; sleep 0.1; done
  export RIDGE_CONTROLLER RIDGE_TOKEN_FILE="$STATE/tokens"
  RIDGE_CONTROLLER=$(sed -n 's/.*serving on \([0-9.:]*\) .*/\1/p' "$log")
  [ -n "$RIDGE_CONTROLLER" ] || { fail "controller did not start: $(tail -5 "$log")"; finish; }
}
