#!/usr/bin/env bash
# End-to-end checks of `ridge search` on the tiny campaign: the JSON schema,
# the files under --out, and clear errors for bad specs.
set -u
RIDGE="${RIDGE:-cli/ridge}"
# shellcheck source=cli/test_lib.sh
source "$(dirname "$0")/test_lib.sh"
SPEC="$(dirname "$0")/../examples/campaigns/tiny.textproto"

expect_ok "search" "$RIDGE" search --spec="$SPEC" --out="$TMP/run/nested" --format=json
json_check "search schema" "len(d['targets']) == 2 and all(set(t) >= {'hardware', 'budget_ms', 'argmax', 'latency_ms', 'front', 'hypervolume'} for t in d['targets']) and all(set(p) >= {'accuracy', 'latency_ms', 'arch_id'} for t in d['targets'] for p in t['front']) and [t['hardware'] for t in d['targets']] == ['pixel6_cpu', 'pixel8_edgetpu']"
for f in fronts.json fronts.csv search_log.csv; do [ -s "$TMP/run/nested/$f" ] || fail "missing $f"; done
[ "$(wc -l <"$TMP/run/nested/search_log.csv")" -eq 13 ] || fail "search_log.csv has $(wc -l <"$TMP/run/nested/search_log.csv") lines, want 13"
# Progress off a terminal: a plain line at most every few seconds and the
# last one, each short, without terminal control codes.
grep -q "^COARSE 12/12 elapsed [0-9]*[smh].* | pixel6_cpu@6ms [0-9.]*ms [-+][0-9.]*% R=" "$TMP/err" \
  || fail "no progress on stderr: $(head -5 "$TMP/err")"
grep -q $'\033' "$TMP/err" && fail "control codes in plain progress"
awk '/^(COARSE|FINE|EVALUATING) [0-9]/ && length($0) >= 160 { exit 1 }' "$TMP/err" || fail "a progress line of 160 columns or more"
[ -s "$TMP/run/nested/search.ckpt" ] || fail "no checkpoint under --out"
cp "$TMP/out" "$TMP/first.json"

# The plots (docs/plots.md): each hardware's front and the search curves,
# SVG that parses as XML, with every scored candidate and every step drawn.
check_plots() {
  $PY - "$1" <<'EOF' || fail "plots under $1"
import csv, sys, xml.etree.ElementTree as E
d, ns = sys.argv[1], '{http://www.w3.org/2000/svg}'
def series(path):
    root = E.parse(path).getroot()
    return root, [(g.get('data-label'), int(g.get('data-points'))) for g in root.iter(ns + 'g') if g.get('class') == 'series']
rows = list(csv.DictReader(open(d + '/fronts.csv')))
for hw in ('pixel6_cpu', 'pixel8_edgetpu'):
    root, s = series('%s/front_%s.svg' % (d, hw))
    s = dict(s)
    mine = [r for r in rows if r['hardware'] == hw]
    front = sum(r['on_front'] == '1' for r in mine)
    assert s['TuNAS: Pareto front'] == front and s.get('TuNAS: scored, off the front', 0) == len(mine) - front, s
    assert s['policy argmax (label: its budget)'] == 1 and s['reference architecture'] == 1, s
    texts = {t.text for t in root.iter(ns + 'text')}
    assert {'predicted latency (ms)', 'proxy accuracy (%)', 'fmnist_reference'} <= texts, texts
root, s = series(d + '/search_curves.svg')
assert [n for _, n in s] == [6, 6, 6, 6], s  # 12 steps of two policies, in two panels.
EOF
}
check_plots "$TMP/run/nested"

# The same command again resumes from the checkpoint: here the last one, so
# it goes straight to the fronts, which come out the same, and the log keeps
# every step.
expect_ok "resume" "$RIDGE" search --spec="$SPEC" --out="$TMP/run/nested" --format=json
grep -q "resumed from the checkpoint at step 12" "$TMP/err" || fail "no resume: $(head -3 "$TMP/err")"
$PY -c "import json,sys; a=json.load(open('$TMP/first.json')); b=json.load(open('$TMP/out')); sys.exit(0 if [t['front'] for t in a['targets']] == [t['front'] for t in b['targets']] else 1)" \
  || fail "resumed fronts differ"
[ "$(wc -l <"$TMP/run/nested/search_log.csv")" -eq 13 ] || fail "resumed search_log.csv has $(wc -l <"$TMP/run/nested/search_log.csv") lines"
check_plots "$TMP/run/nested"  # The curves come back from the log.
# A checkpoint of another campaign is refused, naming the file.
sed 's/budget_ms: \[6\]/budget_ms: [7]/' "$SPEC" >"$TMP/other.textproto"
expect_error "foreign checkpoint" "resuming: $TMP/run/nested/search.ckpt: was written by another campaign" \
  "$RIDGE" search --spec="$TMP/other.textproto" --out="$TMP/run/nested"
expect_error "another mode's checkpoint" "was written by another campaign" \
  "$RIDGE" search --spec="$SPEC" --baseline=random --out="$TMP/run/nested"

expect_ok "random baseline" "$RIDGE" search --spec="$SPEC" --baseline=random --format=json
json_check "baseline has the same schema" "d['mode'] == 'random' and len(d['targets']) == 2 and all(set(t) >= {'hardware', 'budget_ms', 'argmax', 'latency_ms', 'front', 'hypervolume'} for t in d['targets']) and all(p['arch_id'] for t in d['targets'] for p in t['front'])"
expect_error "bad baseline" "--baseline: 'grid' is not one of {random}" "$RIDGE" search --spec="$SPEC" --baseline=grid

# Front members retrained standalone report their test accuracy.
{ cat "$SPEC"; echo "retrain_epochs: 1"; } >"$TMP/retrain.textproto"
expect_ok "retrain" "$RIDGE" search --spec="$TMP/retrain.textproto" --out="$TMP/retrain" --format=json
json_check "standalone accuracy" "all(0 < p['standalone_accuracy'] <= 1 for t in d['targets'] for p in t['front'])"
grep -q "retrained .* for 1 epochs: test accuracy" "$TMP/err" || fail "no retraining on stderr"
# Their weights are kept (DIR/weights/<arch_id>.ckpt) and export with them.
IFS=$'\t' read -r member canonical < <($PY -c "import csv; r=[r for r in csv.DictReader(open('$TMP/retrain/fronts.csv')) if r['on_front'] == '1'][0]; print(r['arch_id'] + '\t' + r['canonical'])")
[ -s "$TMP/retrain/weights/$member.ckpt" ] || fail "no retrained weights for $member: $(ls "$TMP/retrain/weights")"
expect_ok "export retrained" "$RIDGE" export --arch="$canonical" --checkpoint="$TMP/retrain/weights/$member.ckpt" \
  --format=onnx --out="$TMP/retrain/$member.onnx"
[ -s "$TMP/retrain/$member.onnx" ] || fail "no onnx export of the retrained member"

# Coarse then fine: the tiny campaign over the coarse space, then a fine stage.
sed -e 's/^space_ref: .*/coarse_space_ref: "fmnist_uib_coarse"/' -e 's/coarse_steps: 12/coarse_steps: 8 fine_steps: 6/' \
  "$SPEC" >"$TMP/two_stage.textproto"
expect_ok "coarse then fine" "$RIDGE" search --spec="$TMP/two_stage.textproto" --out="$TMP/two" --format=json
json_check "two stages" "d['steps'] == 14 and d['fine_steps'] == 6 and d['space'] == 'fmnist_uib_coarse_fine'"
grep -q "fine stage: one supernet over the 2 policies' coarse argmaxes" "$TMP/err" || fail "no fine stage on stderr"
grep -q ",FINE," "$TMP/two/search_log.csv" || fail "search_log.csv has no fine steps"
# --format=jsonl: JSON Lines on stdout, for `| while read line`: the stage
# changes, messages and steps, then the result (the --format=json object).
expect_ok "jsonl" "$RIDGE" search --spec="$TMP/two_stage.textproto" --format=jsonl
$PY - "$TMP/out" <<'EOF' || fail "jsonl: $(head -c 600 "$TMP/out")"
import json, sys
events = [json.loads(line) for line in open(sys.argv[1])]
kinds = [e['event'] for e in events]
assert [e['stage'] for e in events if e['event'] == 'stage'] == ['COARSE', 'FINE', 'EVALUATING'], kinds
steps = [e for e in events if e['event'] == 'step']
assert steps[-1]['step'] == steps[-1]['total_steps'] == 14 and len(steps[-1]['policies']) == 2, steps[-1]
assert {'hardware', 'budget_ms', 'latency_ms', 'reward', 'arch_id'} <= set(steps[-1]['policies'][0]), steps[-1]
assert 'message' in kinds and kinds.count('result') == 1 and kinds[-1] == 'result', kinds
assert events[-1]['steps'] == 14 and len(events[-1]['targets']) == 2, events[-1]
EOF
expect_ok "two-stage random baseline" "$RIDGE" search --spec="$TMP/two_stage.textproto" --baseline=random --format=json
json_check "baseline of a two-stage campaign" "d['mode'] == 'random' and d['steps'] == 14 and d['space'] == 'fmnist_uib_coarse_widened'"
sed -e 's/^space_ref: .*/space_ref: "fmnist_uib"/' -e 's/coarse_steps: 12/fine_steps: 6/' "$SPEC" >"$TMP/fine_one.textproto"
expect_error "fine steps need a coarse space" "campaign.training.fine_steps: 6: only a coarse_space or coarse_space_ref" \
  "$RIDGE" search --spec="$TMP/fine_one.textproto"

expect_ok "help" "$RIDGE" search --help
grep -q "^usage: ridge search" "$TMP/out" || fail "help"

printf 'name: "x"\nspace_ref: "fmnist_uib"\nstepz: 3\n' >"$TMP/unknown.textproto"
expect_error "unknown field" "stepz" "$RIDGE" search --spec="$TMP/unknown.textproto"
printf 'name: "x"\nspace_ref: "fmnist_uib"\ntargets { hardware: "pixel6_cpu" budget_ms: [-2] }\n' >"$TMP/budget.textproto"
expect_error "bad budget" "campaign.targets[0].budget_ms[0]: -2 must be > 0" "$RIDGE" search --spec="$TMP/budget.textproto"
printf 'name: "x"\nspace_ref: "fmnist_uib"\ntargets { hardware: "tpu_v9" budget_ms: [1] }\n' >"$TMP/hw.textproto"
expect_error "unknown hardware" "targets[0].hardware: 'tpu_v9' is neither a built-in profile" "$RIDGE" search --spec="$TMP/hw.textproto"
printf 'name: "x"\ntargets { hardware: "pixel6_cpu" budget_ms: [1] }\n' >"$TMP/nospace.textproto"
expect_error "no space" "exactly one of space, space_ref, coarse_space and coarse_space_ref must be set" "$RIDGE" search --spec="$TMP/nospace.textproto"
expect_error "missing spec" "--spec: must be given" "$RIDGE" search

finish
