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
grep -q "search" "$TMP/err" || fail "no progress on stderr"

expect_ok "random baseline" "$RIDGE" search --spec="$SPEC" --baseline=random --format=json
json_check "baseline has the same schema" "d['mode'] == 'random' and len(d['targets']) == 2 and all(set(t) >= {'hardware', 'budget_ms', 'argmax', 'latency_ms', 'front', 'hypervolume'} for t in d['targets']) and all(p['arch_id'] for t in d['targets'] for p in t['front'])"
expect_error "bad baseline" "--baseline: 'grid' is not one of {random}" "$RIDGE" search --spec="$SPEC" --baseline=grid

# Front members retrained standalone report their test accuracy.
{ cat "$SPEC"; echo "retrain_epochs: 1"; } >"$TMP/retrain.textproto"
expect_ok "retrain" "$RIDGE" search --spec="$TMP/retrain.textproto" --format=json
json_check "standalone accuracy" "all(0 < p['standalone_accuracy'] <= 1 for t in d['targets'] for p in t['front'])"
grep -q "retrained .* for 1 epochs: test accuracy" "$TMP/err" || fail "no retraining on stderr"

expect_ok "help" "$RIDGE" search --help
grep -q "^usage: ridge search" "$TMP/out" || fail "help"

printf 'name: "x"\nspace_ref: "fmnist_uib"\nstepz: 3\n' >"$TMP/unknown.textproto"
expect_error "unknown field" "stepz" "$RIDGE" search --spec="$TMP/unknown.textproto"
printf 'name: "x"\nspace_ref: "fmnist_uib"\ntargets { hardware: "pixel6_cpu" budget_ms: [-2] }\n' >"$TMP/budget.textproto"
expect_error "bad budget" "campaign.targets[0].budget_ms[0]: -2 must be > 0" "$RIDGE" search --spec="$TMP/budget.textproto"
printf 'name: "x"\nspace_ref: "fmnist_uib"\ntargets { hardware: "tpu_v9" budget_ms: [1] }\n' >"$TMP/hw.textproto"
expect_error "unknown hardware" "targets[0].hardware: 'tpu_v9' is neither a built-in profile" "$RIDGE" search --spec="$TMP/hw.textproto"
printf 'name: "x"\ntargets { hardware: "pixel6_cpu" budget_ms: [1] }\n' >"$TMP/nospace.textproto"
expect_error "no space" "exactly one of space, space_ref and coarse_space must be set" "$RIDGE" search --spec="$TMP/nospace.textproto"
expect_error "missing spec" "--spec: must be given" "$RIDGE" search

finish
