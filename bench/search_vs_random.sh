#!/usr/bin/env bash
# The searched fronts against the random-search baseline at equal budget
# (issue 4's done-when), over several seeds: for each seed, `ridge search`
# and `ridge search --baseline=random` on the same spec (same training steps,
# same number of scored candidates), then each hardware's front hypervolume
# (reference point: twice the hardware's largest budget, accuracy 0) and how
# far each policy's argmax lands from its budget.
# Usage: [OUT=DIR] [REUSE_RANDOM=DIR] bash bench/search_vs_random.sh [SPEC=examples/campaigns/quickstart.textproto] [SEEDS="1 2 3"]
# A quickstart-sized spec takes about 6 minutes per run, two runs per seed.
# Random search's fronts do not depend on the policies' settings (learning
# rate, reward, beta), so when only those change, REUSE_RANDOM=DIR takes
# random_<seed>.json from an earlier run's OUT instead of running it again.
# Keep the steps and the dataset the same.
set -euo pipefail
cd "$(dirname "$0")/.."
SPEC=${1:-examples/campaigns/quickstart.textproto}
SEEDS=${2:-1 2 3}
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
bazel build //cli:ridge >/dev/null 2>&1
for seed in $SEEDS; do
  { grep -v '^seed:' "$SPEC"; echo "seed: $seed"; } >"$OUT/spec_$seed.textproto"
  for mode in search random; do
    if [ "$mode" = random ] && [ -n "${REUSE_RANDOM:-}" ]; then
      cp "$REUSE_RANDOM/random_$seed.json" "$OUT/random_$seed.json"
      continue
    fi
    flag=""
    [ "$mode" = random ] && flag="--baseline=random"
    echo "seed $seed: $mode" >&2
    bazel-bin/cli/ridge search --spec="$OUT/spec_$seed.textproto" $flag --format=json \
      >"$OUT/${mode}_$seed.json" 2>"$OUT/${mode}_$seed.log"
  done
done
/usr/bin/python3 - "$OUT" $SEEDS <<'PY'
import json, sys, statistics
out, seeds = sys.argv[1], sys.argv[2:]
def load(mode, seed):
    return json.load(open(f"{out}/{mode}_{seed}.json"))
def hv(d):  # One hypervolume per hardware (each target repeats its hardware's front).
    return {t["hardware"]: t["hypervolume"] for t in d["targets"]}
ratios, wins, total, off = [], 0, 0, []
print(f"{'seed':>4}  {'hardware':<16} {'search HV':>10} {'random HV':>10} {'ratio':>6}")
for seed in seeds:
    s, r = load("search", seed), load("random", seed)
    for hw, v in hv(s).items():
        ratio = v / hv(r)[hw]
        ratios.append(ratio)
        wins += v > hv(r)[hw]
        total += 1
        print(f"{seed:>4}  {hw:<16} {v:>10.4f} {hv(r)[hw]:>10.4f} {ratio:>6.3f}")
    for t in s["targets"]:
        off.append(100 * (t["latency_ms"] / t["budget_ms"] - 1))
within = sum(abs(o) <= 10 for o in off)
print(f"search beats random on {wins} of {total} (seed, hardware) fronts; "
      f"mean HV ratio {statistics.mean(ratios):.3f} (min {min(ratios):.3f})")
print(f"argmaxes within +-10% of their budget: {within} of {len(off)} "
      f"(offsets {', '.join(f'{o:+.1f}%' for o in off)})")
print(f"RESULT hypervolume_search_vs_random ratio={statistics.mean(ratios):.3f}")
PY
