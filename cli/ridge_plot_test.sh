#!/usr/bin/env bash
# The SVG plots (docs/plots.md) that need no search of their own: the
# ridge-point sweep, and `ridge front plot` against a real controller running
# two tiny campaigns. Each SVG must parse as XML and draw every point; bad
# input gets an error naming the field. (`ridge search --out`'s plots are
# checked in ridge_search_test.sh.)
set -u
RIDGE="${RIDGE:-cli/ridge}"
CTL="${CTL:-controller/ridge_controller}"
# shellcheck source=cli/test_lib.sh
source "$(dirname "$0")/test_lib.sh"
SPEC="$(dirname "$0")/../examples/campaigns/tiny.textproto"

# svg_check NAME FILE PYTHON_EXPR: EXPR over `s`, the (label, points) of each
# series in FILE, and `texts`, every text element's content.
svg_check() {
  $PY - "$2" "$3" <<'EOF' || fail "$1: $(head -c 300 "$2" 2>/dev/null)"
import sys, xml.etree.ElementTree as E
ns = '{http://www.w3.org/2000/svg}'
root = E.parse(sys.argv[1]).getroot()
s = [(g.get('data-label'), int(g.get('data-points'))) for g in root.iter(ns + 'g') if g.get('class') == 'series']
texts = {t.text for t in root.iter(ns + 'text')}
sys.exit(0 if eval(sys.argv[2]) else 1)
EOF
}

# The sweep: every zoo model over 0..500 MACs/byte, the paper's four ridge points marked.
expect_ok "sweep svg" "$RIDGE" latency sweep --format=svg --out="$TMP/sweep.svg"
svg_check "sweep of the zoo" "$TMP/sweep.svg" "len(s) == 6 and all(n == 21 for _, n in s) and {'ridge point (MACs/byte)', 'predicted latency (ms, log scale)', 'mobilenetv4_conv_small'} <= texts and sum(t.startswith(('pixel6_cpu (', 's23_cpu (', 'pixel4_dsp (', 'pixel8_edgetpu (')) for t in texts if t) == 4"
expect_ok "sweep svg of one model" "$RIDGE" latency sweep --arch=mobilenetv2_100 --hardware=local_cpu --step=50 --format=svg --out="$TMP/one.svg"
svg_check "one model, its hardware marked too" "$TMP/one.svg" "s == [('mobilenetv2_100', 11)] and any(t and t.startswith('local_cpu (') for t in texts)"
expect_error "sweep svg without --out" "--out: must name the .svg file to write" "$RIDGE" latency sweep --format=svg
expect_error "sweep svg to a .png" "--out: '$TMP/x.png' must end in .svg" "$RIDGE" latency sweep --format=svg --out="$TMP/x.png"
expect_error "sweep svg unwritable" "--out: cannot write the plot: $TMP/none/x.svg" \
  "$RIDGE" latency sweep --format=svg --out="$TMP/none/x.svg"
expect_error "table sweep still needs --arch" "--arch" "$RIDGE" latency sweep

# A controller with two tiny campaigns, the second with another seed.
STATE="$TMP/state"
pid=""
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null' EXIT
start_controller "$TMP/ctl.log"
{ cat "$SPEC"; echo "seed: 2"; } >"$TMP/seed2.textproto"
a=$("$RIDGE" campaign launch "$SPEC") || fail "launch"
b=$("$RIDGE" campaign launch "$TMP/seed2.textproto") || fail "launch baseline"
expect_ok "watch" "$RIDGE" campaign watch "$a"
expect_ok "watch baseline" "$RIDGE" campaign watch "$b"
# The same as JSON Lines: the replayed events, then the result.
expect_ok "watch jsonl" "$RIDGE" campaign watch "$a" --format=jsonl
$PY -c "import json,sys; e=[json.loads(l) for l in open('$TMP/out')]; r=e[-1]; sys.exit(0 if r['event'] == 'result' and r['state'] == 'DONE' and len(r['targets']) == 2 and r['front'] and any(x['event'] == 'step' for x in e) else 1)" \
  || fail "watch jsonl: $(head -c 600 "$TMP/out")"

expect_ok "front plot" "$RIDGE" front plot "$a" --out="$TMP/front.svg"
expect_ok "front csv" "$RIDGE" front show "$a" --format=csv
n6=$(grep -c "^pixel6_cpu," "$TMP/out")
n8=$(grep -c "^pixel8_edgetpu," "$TMP/out")
svg_check "front plot: a panel per hardware, every front point" "$TMP/front.svg" \
  "[n for l, n in s if l == 'tiny: Pareto front'] == [$n6, $n8] and {'predicted latency (ms)', 'proxy accuracy (%)', 'budget 6 ms', 'budget 0.5 ms'} <= texts and any(t and 'serves only the front' in t for t in texts)"
expect_ok "front plot of one hardware" "$RIDGE" front plot "$a" --hardware=pixel8_edgetpu --out="$TMP/one_hw.svg"
svg_check "one panel" "$TMP/one_hw.svg" "[n for l, n in s if l.endswith('Pareto front')] == [$n8]"
expect_ok "front plot with a baseline" "$RIDGE" front plot "$a" --baseline="$b" --out="$TMP/both.svg"
svg_check "baseline overlaid, named in the legend" "$TMP/both.svg" \
  "sum(1 for l, _ in s if l == 'tiny $b: Pareto front') == 2 and sum(1 for l, _ in s if l == 'tiny $a: Pareto front') == 2"

expect_error "unknown campaign" "ID: Get: campaign 'c0000000000000000' not found" \
  "$RIDGE" front plot c0000000000000000 --out="$TMP/x.svg"
expect_error "unknown baseline" "--baseline: Get: campaign 'c0000000000000000' not found" \
  "$RIDGE" front plot "$a" --baseline=c0000000000000000 --out="$TMP/x.svg"
expect_error "unknown hardware" "--hardware: 'tpu_v9' is not a hardware of campaign $a (its fronts: pixel6_cpu, pixel8_edgetpu)" \
  "$RIDGE" front plot "$a" --hardware=tpu_v9 --out="$TMP/x.svg"
expect_error "unwritable --out" "--out: cannot write the plot: $TMP/none/front.svg" \
  "$RIDGE" front plot "$a" --out="$TMP/none/front.svg"
expect_error "no --out" "--out: must name the .svg file to write" "$RIDGE" front plot "$a"
[ ! -e "$TMP/x.svg" ] || fail "a failed plot left $TMP/x.svg"

kill -TERM "$pid"; wait "$pid"
pid=""
finish
