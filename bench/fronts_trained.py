#!/usr/bin/python3
"""Fronts judged on trained accuracy: the search against random search at the
same budget, with every front member trained on its own.

  /usr/bin/python3 bench/fronts_trained.py [--spec=examples/campaigns/quickstart.textproto]
      [--seeds=1,2,3,4,5] [--out=DIR]

With --two_stage_spec it also runs that spec (coarse then fine) per seed and
compares it with --spec's single stage on the same trained figures (the seed
paper's one-stage against two-stage comparison, at equal total steps if the
specs say so; bench/quickstart_two_stage.textproto does).

For each seed it runs `ridge search` and `ridge search --baseline=random` on
the spec (same steps, same number of scored candidates; a run whose
fronts.json is already in --out is reused), then trains standalone every front
member of both, every searched argmax and the space's reference, under the
recipe and cache of bench/rank_fidelity.py (seeds averaged), and compares:

- each hardware's hypervolume over trained test accuracy against latency
  (reference point: twice the hardware's largest budget, accuracy 0), search
  against random;
- at each budget, the searched argmax, trained, against the best trained
  random-search network at equal or lower latency;
- each searched argmax at or below the reference's latency against the
  trained reference;
- proxy against trained accuracy of all front members (Kendall tau).
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rank_fidelity as rf  # noqa: E402  (the recipe, the cache and the statistics)

ROOT = rf.ROOT


def run_search(args, seed, mode):
    out = os.path.join(args.out, f"{mode}_{seed}")
    if os.path.exists(os.path.join(out, "fronts.json")):
        return out
    source = args.two_stage_spec if mode == "two_stage" else args.spec
    spec = os.path.join(args.out, f"spec_{mode}_{seed}.textproto")
    with open(spec, "w") as f:
        f.write("".join(line for line in open(source) if not line.startswith("seed:")) + f"seed: {seed}\n")
    cmd = [args.ridge, "search", f"--spec={spec}", f"--out={out}", "--format=json", "--log_level=warn"]
    if mode == "random":
        cmd.append("--baseline=random")
    print(f"seed {seed}: {mode} search", file=sys.stderr)
    with open(out + ".log", "w") as log:
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=log)
    return out


def candidates(run_dir):
    """Every scored candidate of a run: (hardware, arch_id) -> row of fronts.csv."""
    import csv
    rows = {}
    for row in csv.DictReader(open(os.path.join(run_dir, "fronts.csv"))):
        row["accuracy"], row["latency_ms"] = float(row["accuracy"]), float(row["latency_ms"])
        rows[(row["hardware"], row["arch_id"])] = row
    return rows


def front_of(points):
    """Non-dominated (latency, accuracy) points: lower latency, higher accuracy."""
    front = []
    for lat, acc in sorted(points, key=lambda p: (p[0], -p[1])):
        if not front or acc > front[-1][1]:
            front.append((lat, acc))
    return front


def hypervolume(points, ref_latency):
    """Area dominated by the front below latency ref_latency and above accuracy
    0, as search/pareto.h's Hypervolume counts it."""
    area = 0.0
    front = front_of([p for p in points if p[0] < ref_latency and p[1] > 0])
    for i, (lat, acc) in enumerate(front):
        nxt = front[i + 1][0] if i + 1 < len(front) else ref_latency
        area += (nxt - lat) * acc
    return area


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ridge", default=os.path.join(ROOT, "bazel-bin/cli/ridge"))
    p.add_argument("--spec", default=os.path.join(ROOT, "examples/campaigns/quickstart.textproto"))
    p.add_argument("--two_stage_spec", default="",
                   help="also run this (coarse then fine) spec per seed and compare it with --spec's one stage")
    p.add_argument("--seeds", default="1,2,3,4,5")
    p.add_argument("--out", default=os.path.join(ROOT, "ridge-data/fronts_trained"))
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--train_images", type=int, default=25000)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--seeds_averaged", type=int, default=2, dest="avg")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--cache", default=os.path.join(ROOT, "bench/rank_fidelity_cache.csv"))
    args = p.parse_args()
    args.seeds_list = [int(s) for s in args.seeds.split(",")]
    args.seeds, args.noise_seeds = args.avg, args.avg  # What rank_fidelity's trainer reads.
    os.makedirs(args.out, exist_ok=True)
    print("cpu flags: " + " ".join(sorted({f for line in open("/proc/cpuinfo") if line.startswith("flags")
                                           for f in line.split() if f.startswith(("avx", "fma"))})))
    modes = ("search", "random") + (("two_stage",) if args.two_stage_spec else ())
    runs = {(s, m): run_search(args, s, m) for s in args.seeds_list for m in modes}
    results = {k: json.load(open(os.path.join(v, "fronts.json"))) for k, v in runs.items()}
    cands = {k: candidates(v) for k, v in runs.items()}

    # What to train: front members of both, the searched argmaxes, the reference.
    archs = {}
    for (seed, mode), rows in cands.items():
        for (hw, arch_id), row in rows.items():
            if row["on_front"] == "1" or row["origin"] == "reference":
                archs[arch_id] = {"arch_id": arch_id, "canonical": row["canonical"], "macs": "", "groups": set()}
    for (seed, mode), d in results.items():
        for t in d["targets"]:
            archs.setdefault(t["argmax"]["arch_id"], {"arch_id": t["argmax"]["arch_id"],
                                                       "canonical": t["argmax"]["canonical"], "macs": "",
                                                       "groups": set()})
    truth = rf.ground_truth(args, archs, [])
    trained = {i: sum(truth[(i, s)] for s in range(1, args.avg + 1)) / args.avg for i in archs}
    report(args, results, cands, trained)
    if args.two_stage_spec:
        report_two_stage(args, results, cands, trained)


def front_points(cands, hw, trained):
    return [(row["latency_ms"], trained[a]) for (h, a), row in cands.items() if h == hw and row["on_front"] == "1"]


def report_two_stage(args, results, cands, trained):
    """One stage (--spec) against coarse then fine (--two_stage_spec), on
    trained accuracy: each front's hypervolume, and each budget's argmax."""
    print(f"\none stage ({os.path.basename(args.spec)}) against two ({os.path.basename(args.two_stage_spec)})")
    wins = total = 0
    d_acc, d_lat = [], []
    for seed in args.seeds_list:
        one, two = results[(seed, "search")], results[(seed, "two_stage")]
        for hw in sorted({t["hardware"] for t in one["targets"]}):
            ref_lat = 2 * max(t["budget_ms"] for t in one["targets"] if t["hardware"] == hw)
            h1 = hypervolume(front_points(cands[(seed, "search")], hw, trained), ref_lat)
            h2 = hypervolume(front_points(cands[(seed, "two_stage")], hw, trained), ref_lat)
            wins += h2 >= h1
            total += 1
            print(f"seed {seed} {hw:15} trained HV one stage {h1:.4f} two stages {h2:.4f}")
            argmax_two = {t["budget_ms"]: t for t in two["targets"] if t["hardware"] == hw}
            for t in (t for t in one["targets"] if t["hardware"] == hw):
                u = argmax_two[t["budget_ms"]]
                a1, a2 = trained[t["argmax"]["arch_id"]], trained[u["argmax"]["arch_id"]]
                d_acc.append(a2 - a1)
                d_lat.append(u["latency_ms"] / t["latency_ms"] - 1)
                print(f"    @{t['budget_ms']:g} ms: one {t['latency_ms']:.3f} ms {a1:.4f}; "
                      f"two {u['latency_ms']:.3f} ms {a2:.4f}")
    rf.result("two_stage_hv_wins_or_ties", wins / total, wins=wins, fronts=total)
    rf.result("two_stage_argmax_accuracy_delta", sum(d_acc) / len(d_acc), budgets=len(d_acc))
    rf.result("two_stage_argmax_latency_delta", sum(d_lat) / len(d_lat), budgets=len(d_lat))


def latency_of(cands, hw, arch_id):
    row = cands.get((hw, arch_id))
    return row["latency_ms"] if row else None


def report(args, results, cands, trained):
    print(f"\nrecipe: {rf.recipe_name(args)}, test accuracy averaged over {args.avg} seeds\n")
    wins = total = 0
    budget_ok = budget_total = ref_ok = ref_total = 0
    proxy, true = [], []
    for seed in args.seeds_list:
        s, r = results[(seed, "search")], results[(seed, "random")]
        for hw in sorted({t["hardware"] for t in s["targets"]}):
            ref_lat = 2 * max(t["budget_ms"] for t in s["targets"] if t["hardware"] == hw)
            pts = {}
            for mode in ("search", "random"):
                members = [(row["latency_ms"], trained[a]) for (h, a), row in cands[(seed, mode)].items()
                           if h == hw and row["on_front"] == "1"]
                pts[mode] = members
                for (h, a), row in cands[(seed, mode)].items():
                    if h == hw and row["on_front"] == "1":
                        proxy.append(row["accuracy"])
                        true.append(trained[a])
            hs, hr = hypervolume(pts["search"], ref_lat), hypervolume(pts["random"], ref_lat)
            wins += hs > hr
            total += 1
            print(f"seed {seed} {hw:15} trained HV search {hs:.4f} random {hr:.4f} ({'search' if hs > hr else 'random'})")
            ref = [(row["latency_ms"], trained[a]) for (h, a), row in cands[(seed, "search")].items()
                   if h == hw and row["origin"] == "reference"]
            for t in (t for t in s["targets"] if t["hardware"] == hw):
                a = t["argmax"]["arch_id"]
                lat, acc = t["latency_ms"], trained[a]
                best_random = max((acc_r for lat_r, acc_r in pts["random"] if lat_r <= lat), default=None)
                budget_total += 1
                ok = best_random is None or acc >= best_random
                budget_ok += ok
                line = (f"    @{t['budget_ms']:g} ms: argmax {a[:8]} {lat:.3f} ms trained {acc:.4f}; best random at "
                        f"<= its latency {best_random if best_random is None else round(best_random, 4)}")
                for ref_lat_ms, ref_acc in ref:
                    if lat <= ref_lat_ms:
                        ref_total += 1
                        ref_ok += acc > ref_acc
                        line += f"; reference {ref_lat_ms:.3f} ms {ref_acc:.4f}"
                print(line + ("" if ok else "  <- random's is better"))
    print(f"\nsearch beats random in trained hypervolume on {wins} of {total} (seed, hardware) fronts")
    rf.result("trained_hv_search_wins", wins / total, wins=wins, fronts=total)
    rf.result("argmax_at_least_best_random", budget_ok / budget_total, ok=budget_ok, budgets=budget_total)
    if ref_total:
        rf.result("argmax_beats_reference", ref_ok / ref_total, ok=ref_ok, cases=ref_total)
    tau = rf.kendall(proxy, true)
    lo, hi = rf.bootstrap_tau(proxy, true)
    print(f"proxy against trained accuracy of the front members: tau {tau:.3f} ({lo:.3f}..{hi:.3f}), n={len(proxy)}")
    rf.result("front_members_proxy_tau", tau, n=len(proxy), ci_low=f"{lo:.4f}", ci_high=f"{hi:.4f}")


if __name__ == "__main__":
    try:
        main()
    except rf.RidgeFailed as e:
        sys.exit(str(e))
