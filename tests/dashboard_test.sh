#!/usr/bin/env bash
# The controller's web dashboard (docs/dashboard.md) in a real headless
# Chromium: a real ridge_controller with its HTTP listener runs a small
# campaign; its page, opened through the `?token=` link (cookie, redirect),
# shows the campaign, its progress changes between two loads, and the fronts
# appear once it is done. Without a token the dashboard answers 401, a bad
# campaign ID 400, and no page shows the token.
set -u
CTL="${CTL:-controller/ridge_controller}"
RIDGE="${RIDGE:-cli/ridge}"
# shellcheck source=cli/test_lib.sh
source "$(dirname "$0")/../cli/test_lib.sh"
STATE="$TMP/state"
export HOME="$TMP"  # Chromium writes its profile and caches under $HOME.
CHROME=(chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$TMP/chrome")
command -v chromium >/dev/null || { fail "chromium is not installed (scripts/install_deps.sh)"; finish; }

cat >"$TMP/spec.textproto" <<SPEC
name: "dash"
space_ref: "fmnist_uib"
dataset { name: "fashion_mnist" train_images: 512 valid_images: 128 }
training { coarse_steps: 40 batch_size: 32 }
targets { hardware: "pixel6_cpu" budget_ms: [6] }
targets { hardware: "pixel8_edgetpu" budget_ms: [0.5] }
top_samples: 1
SPEC

pid=""
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null' EXIT
start_controller "$TMP/ctl.log" --http_listen=127.0.0.1:0
BASE=$(sed -n 's/^ridge_controller: dashboard on \(http:[^ ]*\)\/$/\1/p' "$TMP/ctl.log")
[ -n "$BASE" ] || { fail "no dashboard line: $(cat "$TMP/ctl.log")"; finish; }
TOKEN=$(awk '$1 == "admin" { print $2 }' "$STATE/tokens")

# http PATH [TOKEN]: prints "STATUS BODY" of a GET, with a bearer token if given.
http() {
  $PY - "$BASE$1" "${2:-}" <<'PY'
import sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[1])
if sys.argv[2]: req.add_header("Authorization", "Bearer " + sys.argv[2])
try:
    with urllib.request.urlopen(req, timeout=30) as r: print(r.status, r.read().decode())
except urllib.error.HTTPError as e: print(e.code, e.read().decode())
PY
}

# dom URL_PATH: the page after its script ran for a few (virtual) seconds,
# opened with ?token= as `ridge up`'s link is.
dom() {
  local sep="?"; case "$1" in *\?*) sep="&";; esac
  timeout 60 "${CHROME[@]}" --virtual-time-budget=4000 --dump-dom "$BASE$1${sep}token=$TOKEN" 2>>"$TMP/chrome.log"
}

# progress FILE: "STATE STEP" as the page shows them.
progress() {
  $PY -c 'import re,sys; t=open(sys.argv[1]).read()
s=re.search(r"id=\"state\"[^>]*>(\w+)<", t); n=re.search(r"id=\"step\"[^>]*>(\d+)<", t)
print(s.group(1) if s else "?", n.group(1) if n else "?")' "$1"
}

# api_progress ID: "STATE STEP" from the JSON the page polls.
api_progress() {
  http "/api/campaign/$1" "$TOKEN" | sed 's/^[0-9]* //' |
    $PY -c 'import json,sys; c=json.load(sys.stdin)["campaign"]; print(c["state"], int(c["step"]))' 2>/dev/null
}

# 1. Refusals: no token, a bad token, a bad parameter.
http / | grep -q "^401 " || fail "/ without a token: $(http / | head -c 200)"
http /api/campaigns "wrong-token-0123456789" | grep -q "^401 " || fail "bad bearer token accepted"
timeout 60 "${CHROME[@]}" --dump-dom "$BASE/workers" >"$TMP/noauth.html" 2>>"$TMP/chrome.log"
grep -q "token is required" "$TMP/noauth.html" || fail "browser without a token: $(head -c 300 "$TMP/noauth.html")"
bad=$(http "/campaign/c0%3Cscript%3E" "$TOKEN")
case "$bad" in "400 "*campaign_id*) ;; *) fail "bad campaign ID: $(echo "$bad" | head -c 200)";; esac

# 2. A running campaign, loaded twice: its progress changes.
id=$("$RIDGE" campaign launch "$TMP/spec.textproto") || { fail "launch"; finish; }
dom "/campaign/$id" >"$TMP/load1.html"
grep -q "$id" "$TMP/load1.html" || fail "campaign $id not on its page: $(head -c 300 "$TMP/load1.html")"
first=$(progress "$TMP/load1.html")
[ "$first" != "? ?" ] || fail "no state or step on the page"
for _ in $(seq 240); do
  [ "$(api_progress "$id")" != "$first" ] && break
  sleep 0.5
done
dom "/campaign/$id" >"$TMP/load2.html"
second=$(progress "$TMP/load2.html")
[ "$second" != "$first" ] || fail "progress did not change between loads: $first"
echo "load 1: $first; load 2: $second"

# 3. Done: the fronts are on the page; the list and workers pages answer.
for _ in $(seq 360); do
  case "$(api_progress "$id")" in DONE*|FAILED*|CANCELLED*) break;; esac
  sleep 0.5
done
dom "/campaign/$id" >"$TMP/load3.html"
[ "$(progress "$TMP/load3.html")" = "DONE 40" ] || fail "not DONE: $(progress "$TMP/load3.html")"
grep -q "Pareto fronts" "$TMP/load3.html" || fail "no fronts on the finished campaign's page"
grep -q "pixel8_edgetpu" "$TMP/load3.html" || fail "no pixel8_edgetpu front"
dom "/" >"$TMP/list.html"
grep -q "/campaign/$id" "$TMP/list.html" || fail "campaign not listed on /"
http /workers "$TOKEN" | grep -q "^200 " || fail "/workers"
http /api/campaigns "$TOKEN" | grep -q "\"campaign_id\":\"$id\"" || fail "/api/campaigns lacks $id"
if grep -l "$TOKEN" "$TMP"/load*.html "$TMP/list.html" "$TMP/noauth.html"; then fail "a page shows the token"; fi

kill -TERM "$pid"; wait "$pid" || fail "controller exit $?"
trap - EXIT
finish
