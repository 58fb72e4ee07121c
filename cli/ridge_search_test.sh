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
grep -q "COARSE | pixel6_cpu@6ms argmax" "$TMP/err" || fail "no progress on stderr"
[ -s "$TMP/run/nested/search.ckpt" ] || fail "no checkpoint under --out"
cp "$TMP/out" "$TMP/first.json"

# The same command again resumes from the checkpoint: here the last one, so
# it goes straight to the fronts, which come out the same, and the log keeps
# every step.
expect_ok "resume" "$RIDGE" search --spec="$SPEC" --out="$TMP/run/nested" --format=json
grep -q "resumed from the checkpoint at step 12" "$TMP/err" || fail "no resume: $(head -3 "$TMP/err")"
$PY -c "import json,sys; a=json.load(open('$TMP/first.json')); b=json.load(open('$TMP/out')); sys.exit(0 if [t['front'] for t in a['targets']] == [t['front'] for t in b['targets']] else 1)" \
  || fail "resumed fronts differ"
[ "$(wc -l <"$TMP/run/nested/search_log.csv")" -eq 13 ] || fail "resumed search_log.csv has $(wc -l <"$TMP/run/nested/search_log.csv") lines"
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
expect_ok "retrain" "$RIDGE" search --spec="$TMP/retrain.textproto" --format=json
json_check "standalone accuracy" "all(0 < p['standalone_accuracy'] <= 1 for t in d['targets'] for p in t['front'])"
grep -q "retrained .* for 1 epochs: test accuracy" "$TMP/err" || fail "no retraining on stderr"

# Coarse then fine: the tiny campaign over the coarse space, then a fine stage.
sed -e 's/^space_ref: .*/coarse_space_ref: "fmnist_uib_coarse"/' -e 's/coarse_steps: 12/coarse_steps: 8 fine_steps: 6/' \
  "$SPEC" >"$TMP/two_stage.textproto"
expect_ok "coarse then fine" "$RIDGE" search --spec="$TMP/two_stage.textproto" --out="$TMP/two" --format=json
json_check "two stages" "d['steps'] == 14 and d['fine_steps'] == 6 and d['space'] == 'fmnist_uib_coarse_fine'"
grep -q "fine stage: one supernet over the 2 policies' coarse argmaxes" "$TMP/err" || fail "no fine stage on stderr"
grep -q ",FINE," "$TMP/two/search_log.csv" || fail "search_log.csv has no fine steps"
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
