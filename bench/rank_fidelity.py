#!/usr/bin/python3
"""Rank fidelity: does a trained supernet's proxy accuracy rank architectures
the way training them on their own does?

  /usr/bin/python3 bench/rank_fidelity.py [--supernet="--epochs=5"] [--eval="--finetune_steps=50"]

1. Samples architectures of the quickstart's space (`ridge space sample`):
   --count spread evenly over the space's MACs range, plus, for each hardware
   of the quickstart, --band_count within +-15% of its middle budget (where the
   search chooses), drawn from a uniform pool until filled.
2. Trains each one standalone under one fixed recipe (printed) for each of
   --seeds seeds, and takes test accuracy. Results are cached by architecture,
   recipe and seed in bench/rank_fidelity_cache.csv, one row as each run ends,
   so a rerun, a new supernet or a killed run loses nothing. The cache is meant
   to be committed: the ground truth grows across sessions and machines.
3. Trains a supernet with `ridge supernet train --space=fmnist_uib` and the
   --supernet flags, and scores every sampled architecture the way fronts are
   scored (BN recalibrated on 512 train images, the whole valid split).
4. Prints Kendall tau (with a bootstrap 95% interval), Spearman rho, the top-5
   overlap, tau within each latency band, the recipe's own seed noise against
   the spread across the sample, and the supernet's largest, smallest and
   median subnets; a RESULT line for each figure.

Standalone runs use one thread each and --jobs of them run at once (on two
cores, two one-thread runs train more images per second than one two-thread
run of these small networks).
"""
import argparse
import csv
import hashlib
import json
import math
import os
import random
import shlex
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPEC = os.path.join(ROOT, "examples/campaigns/quickstart.textproto")
CACHE_FIELDS = ["arch_id", "recipe", "seed", "test_accuracy", "valid_accuracy", "seconds", "macs", "canonical"]


class RidgeFailed(Exception):
    pass


def ridge(args, ridge_bin, **kw):
    out = subprocess.run([ridge_bin] + args, capture_output=True, text=True, **kw)
    if out.returncode != 0:
        raise RidgeFailed(f"ridge {' '.join(args[:3])} failed ({out.returncode}): {out.stderr.strip()[-600:]}")
    return out.stdout


def budgets_of_quickstart():
    """(hardware, middle budget) of each quickstart target, read from the spec."""
    targets, hardware = [], None
    for line in open(SPEC):
        line = line.split("#")[0]
        if "hardware:" in line:
            hardware = line.split("hardware:")[1].split()[0].strip('"')
        if "budget_ms:" in line and hardware:
            budgets = [float(b) for b in line.split("[")[1].split("]")[0].split(",")]
            targets.append((hardware, sorted(budgets)[len(budgets) // 2]))
    return targets


def sample(args):
    """The stratified sample, then each band's members; a dict by arch_id."""
    spread = json.loads(ridge(["space", "sample", f"--spec={SPEC}", f"--count={args.count}", "--stratify=macs",
                               f"--seed={args.seed}", "--format=json"], args.ridge))
    chosen = {a["arch_id"]: dict(a, groups={"spread"}) for a in spread}
    pool = json.loads(ridge(["space", "sample", f"--spec={SPEC}", "--count=4000", f"--seed={args.seed + 1}",
                             "--format=json"], args.ridge))
    bands = []
    for hardware, budget in budgets_of_quickstart():
        name = f"{hardware}@{budget:g}ms"
        members = [a for a in pool if abs(a["latency_ms"][hardware] / budget - 1) <= 0.15][:args.band_count]
        if len(members) < args.band_count:
            print(f"warning: band {name} has only {len(members)} of {args.band_count} in the pool", file=sys.stderr)
        for a in members:
            chosen.setdefault(a["arch_id"], dict(a, groups=set()))["groups"].add(name)
        bands.append(name)
    return chosen, bands


def recipe_name(args):
    # The name stands for `ridge train`'s defaults besides these (batch 128,
    # SGD with Nesterov momentum, cosine with 3% warmup, label smoothing 0.1,
    # augmentation): if those defaults change, the name must change too.
    return f"e{args.epochs}_n{args.train_images}_b128_lr{args.lr}"


def load_cache(path):
    cache = {}
    if os.path.exists(path):
        for row in csv.DictReader(open(path)):
            cache[(row["arch_id"], row["recipe"], int(row["seed"]))] = row
    return cache


def train_standalone(args, arch, seed):
    cmd = ["train", f"--arch={arch['canonical']}", f"--epochs={args.epochs}", f"--train_images={args.train_images}",
           f"--lr={args.lr}", f"--seed={seed}", "--threads=1", "--format=json", "--log_level=warn"]
    start = time.time()
    out = json.loads(ridge(cmd, args.ridge, env=dict(os.environ, OMP_NUM_THREADS="1")))
    return {"arch_id": arch["arch_id"], "recipe": recipe_name(args), "seed": seed,
            "test_accuracy": out["test_accuracy"], "valid_accuracy": out["valid_accuracy"],
            "seconds": round(time.time() - start, 1), "macs": arch["macs"], "canonical": arch["canonical"]}


def ground_truth(args, archs, noise_ids):
    """Test accuracy per (arch_id, seed), training what the cache lacks."""
    cache = load_cache(args.cache)
    recipe = recipe_name(args)
    wanted = [(a, s) for a in archs.values() for s in range(1, args.seeds + 1)]
    wanted += [(archs[i], s) for i in noise_ids for s in range(args.seeds + 1, args.noise_seeds + 1)]
    todo = [(a, s) for a, s in wanted if (a["arch_id"], recipe, s) not in cache]
    print(f"standalone runs: {len(wanted)} wanted, {len(wanted) - len(todo)} cached, {len(todo)} to train",
          file=sys.stderr)
    new_file = not os.path.exists(args.cache)
    with open(args.cache, "a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CACHE_FIELDS)
        if new_file:
            writer.writeheader()
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            futures = [pool.submit(train_standalone, args, *job) for job in todo]
            for i, future in enumerate(as_completed(futures)):
                try:
                    row = future.result()
                except RidgeFailed as e:  # Keep every other run's result.
                    print(f"  [{i + 1}/{len(todo)}] {e}", file=sys.stderr)
                    continue
                writer.writerow(row)
                f.flush()
                cache[(row["arch_id"], recipe, row["seed"])] = row
                print(f"  [{i + 1}/{len(todo)}] {row['arch_id']} seed {row['seed']}: {row['test_accuracy']:.4f} "
                      f"({row['seconds']} s)", file=sys.stderr)
    missing = [(a["arch_id"], s) for a, s in wanted if (a["arch_id"], recipe, s) not in cache]
    if missing:
        sys.exit(f"{len(missing)} standalone runs failed (first: {missing[0]}); rerun to retry them")
    return {(k[0], k[2]): float(v["test_accuracy"]) for k, v in cache.items() if k[1] == recipe}


def proxies(args, archs):
    """Proxy accuracy of each architecture from a supernet trained with
    --supernet, cached by those flags in --proxy_cache (a supernet takes
    minutes; the cache makes a rerun with more standalone seeds instant)."""
    key = " ".join(shlex.split(args.supernet))
    if args.eval:
        key += " | eval " + " ".join(shlex.split(args.eval))
    cache = json.load(open(args.proxy_cache)) if os.path.exists(args.proxy_cache) else {}
    entry = cache.get(key)
    if entry and all(i in entry["scored"] for i in archs):
        return {i: {"proxy_accuracy": v} for i, v in entry["scored"].items()}, entry["special"], entry["seconds"]
    scored, special, seconds = train_supernet(args, archs)
    cache[key] = {"scored": {i: s["proxy_accuracy"] for i, s in scored.items()}, "special": special,
                  "seconds": round(seconds, 1)}
    with open(args.proxy_cache + ".tmp", "w") as f:
        json.dump(cache, f, indent=1, sort_keys=True)
    os.replace(args.proxy_cache + ".tmp", args.proxy_cache)
    return scored, special, seconds


def supernet_checkpoint(args):
    """Where the supernet trained with --supernet is kept, so that --eval
    variants (fine-tuning before scoring, say) reuse it instead of retraining."""
    key = " ".join(shlex.split(args.supernet))
    os.makedirs(args.checkpoint_dir, exist_ok=True)
    return os.path.join(args.checkpoint_dir, hashlib.sha1(key.encode()).hexdigest()[:16] + ".ckpt")


def train_supernet(args, archs):
    with tempfile.TemporaryDirectory() as tmp:
        listed = os.path.join(tmp, "archs.txt")
        with open(listed, "w") as f:
            f.write("".join(a["canonical"] + "\n" for a in archs.values()))
        start = time.time()
        common = [f"--archs={listed}", "--samples=0", "--format=json"]
        if args.eval:
            checkpoint = supernet_checkpoint(args)
            if not os.path.exists(checkpoint):
                ridge(["supernet", "train", "--space=fmnist_uib", f"--checkpoint={checkpoint}"] + common +
                      shlex.split(args.supernet), args.ridge)
            out = json.loads(ridge(["supernet", "eval", f"--checkpoint={checkpoint}"] + common +
                                   shlex.split(args.eval), args.ridge))
        else:
            out = json.loads(ridge(["supernet", "train", "--space=fmnist_uib"] + common +
                                   shlex.split(args.supernet), args.ridge))
    scored = {s["arch_id"]: s for s in out["subnets"] if s["label"] == "listed"}
    special = {s["label"]: s["proxy_accuracy"] for s in out["subnets"] if s["label"] in ("largest", "smallest")}
    return scored, special, time.time() - start


def ranks(v):
    order = sorted(range(len(v)), key=lambda i: v[i])
    r = [0.0] * len(v)
    i = 0
    while i < len(v):
        j = i
        while j + 1 < len(v) and v[order[j + 1]] == v[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2
        i = j + 1
    return r


def kendall(x, y):
    """Kendall's tau-b."""
    conc = disc = tx = ty = 0
    for i in range(len(x)):
        for j in range(i + 1, len(x)):
            dx, dy = x[i] - x[j], y[i] - y[j]
            if dx == 0 and dy == 0:
                continue
            if dx == 0:
                tx += 1
            elif dy == 0:
                ty += 1
            elif dx * dy > 0:
                conc += 1
            else:
                disc += 1
    denom = math.sqrt((conc + disc + tx) * (conc + disc + ty))
    return (conc - disc) / denom if denom else float("nan")


def spearman(x, y):
    rx, ry = ranks(x), ranks(y)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    sx = math.sqrt(sum((a - mx) ** 2 for a in rx))
    sy = math.sqrt(sum((b - my) ** 2 for b in ry))
    return cov / (sx * sy) if sx and sy else float("nan")


def bootstrap_tau(x, y, n=2000, seed=1):
    rng = random.Random(seed)
    taus = []
    for _ in range(n):
        idx = [rng.randrange(len(x)) for _ in x]
        t = kendall([x[i] for i in idx], [y[i] for i in idx])
        if not math.isnan(t):
            taus.append(t)
    taus.sort()
    return taus[int(0.025 * len(taus))], taus[int(0.975 * len(taus)) - 1]


def stdev(v):
    m = sum(v) / len(v)
    return math.sqrt(sum((a - m) ** 2 for a in v) / (len(v) - 1)) if len(v) > 1 else 0.0


def result(name, value, **extra):
    rest = " ".join(f"{k}={v}" for k, v in extra.items())
    print(f"RESULT {name} value={value:.4f} {rest}".rstrip())


def seed_mean(truth, i, seeds):
    return sum(truth[(i, s)] for s in seeds) / len(seeds)


def truth_ceiling(args, ids, truth):
    """What tau a perfect proxy could reach against this ground truth. The
    seeds split in two halves; the tau between the halves' means is the ground
    truth's agreement with itself. Under a normal model, Pearson
    r = sin(pi tau / 2) (Greiner's relation), the mean of all seeds has
    reliability 2r / (1 + r) (Spearman-Brown), and a perfect proxy correlates
    with it at sqrt(reliability)."""
    half = args.seeds // 2
    if half < 1:
        return
    first = [seed_mean(truth, i, range(1, half + 1)) for i in ids]
    second = [seed_mean(truth, i, range(half + 1, 2 * half + 1)) for i in ids]
    tau_half = kendall(first, second)
    lo, hi = bootstrap_tau(first, second)
    r = math.sin(math.pi * tau_half / 2)
    reliability = 2 * r / (1 + r) if r > 0 else 0.0
    ceiling = 2 / math.pi * math.asin(math.sqrt(reliability))
    print(f"ground truth against itself: mean of seeds 1..{half} against {half + 1}..{2 * half}, "
          f"tau {tau_half:.3f} ({lo:.3f}..{hi:.3f}); a perfect proxy would reach about tau {ceiling:.2f} "
          f"against the mean of all {2 * half}")
    result("truth_split_half_tau", tau_half, seeds_per_half=half, ci_low=f"{lo:.4f}", ci_high=f"{hi:.4f}")
    result("truth_tau_ceiling", ceiling)


def report(args, archs, bands, truth, scored, special, noise_ids, supernet_seconds):
    ids = sorted(archs, key=lambda i: archs[i]["macs"])
    mean = {i: seed_mean(truth, i, range(1, args.seeds + 1)) for i in ids}
    print(f"\nrecipe: ridge train --epochs={args.epochs} --train_images={args.train_images} --lr={args.lr} "
          f"--batch=128 (SGD Nesterov, cosine, label smoothing 0.1, augmentation), test accuracy, "
          f"mean of seeds 1..{args.seeds}")
    print(f"supernet: ridge supernet train --space=fmnist_uib {args.supernet} ({supernet_seconds:.0f} s)")
    if args.eval:
        print(f"scored by: ridge supernet eval {args.eval}")
    print()
    print(f"{'arch_id':18} {'MMACs':>7} {'proxy':>7} {'standalone':>10}  groups")
    for i in ids:
        print(f"{i:18} {archs[i]['macs'] / 1e6:7.2f} {scored[i]['proxy_accuracy']:7.4f} {mean[i]:10.4f}  "
              f"{','.join(sorted(archs[i]['groups']))}")

    # The recipe's own noise: the seed-to-seed standard deviation, pooled over
    # every architecture's seeds (and the noise architectures' extra ones),
    # against the spread (standard deviation) of the seed means across the
    # spread sample.
    def seeds_of(i):
        n = args.noise_seeds if i in noise_ids else args.seeds
        return [truth[(i, s)] for s in range(1, max(n, args.seeds) + 1)]
    squares = sum(stdev(seeds_of(i)) ** 2 * (len(seeds_of(i)) - 1) for i in ids)
    dof = sum(len(seeds_of(i)) - 1 for i in ids)
    seed_sd = math.sqrt(squares / dof)
    spread_sd = stdev([mean[i] for i in ids if "spread" in archs[i]["groups"]])
    mean_sd = seed_sd / math.sqrt(args.seeds)
    print(f"\nrecipe noise: seed sd {seed_sd:.4f}, pooled over {len(ids)} architectures ({dof} degrees of freedom); "
          f"the mean of {args.seeds} seeds has sd {mean_sd:.4f}; sd across the spread sample {spread_sd:.4f}; "
          f"ratio {mean_sd / spread_sd:.2f} (want <= 0.33)")
    result("recipe_seed_sd", seed_sd, archs=len(ids), dof=dof)
    result("sample_spread_sd", spread_sd)
    result("noise_to_spread", mean_sd / spread_sd, seeds_averaged=args.seeds)

    truth_ceiling(args, ids, truth)

    proxy = [scored[i]["proxy_accuracy"] for i in ids]
    true = [mean[i] for i in ids]
    tau = kendall(proxy, true)
    lo, hi = bootstrap_tau(proxy, true)
    print(f"\nall {len(ids)}: Kendall tau {tau:.3f} (95% bootstrap {lo:.3f}..{hi:.3f}), "
          f"Spearman rho {spearman(proxy, true):.3f}")
    result("kendall_tau", tau, n=len(ids), ci_low=f"{lo:.4f}", ci_high=f"{hi:.4f}")
    result("spearman_rho", spearman(proxy, true), n=len(ids))
    macs_tau = kendall([archs[i]["macs"] for i in ids], true)
    print(f"for scale, MACs alone: Kendall tau {macs_tau:.3f}")
    result("macs_kendall_tau", macs_tau, n=len(ids))
    top_true = set(sorted(ids, key=lambda i: -mean[i])[:5])
    top_proxy = set(sorted(ids, key=lambda i: -scored[i]["proxy_accuracy"])[:5])
    result("top5_overlap", len(top_true & top_proxy) / 5)
    for band in bands:
        members = [i for i in ids if band in archs[i]["groups"]]
        if len(members) >= 3:
            p = [scored[i]["proxy_accuracy"] for i in members]
            t = [mean[i] for i in members]
            lo, hi = bootstrap_tau(p, t)
            print(f"band {band}: {len(members)} architectures, tau {kendall(p, t):.3f} ({lo:.3f}..{hi:.3f})")
            result("band_kendall_tau", kendall(p, t), band=band, n=len(members), ci_low=f"{lo:.4f}",
                   ci_high=f"{hi:.4f}")

    median_proxy = sorted(proxy)[len(proxy) // 2]
    print(f"\nlargest subnet proxy {special.get('largest', float('nan')):.4f}, smallest "
          f"{special.get('smallest', float('nan')):.4f}, median sample {median_proxy:.4f}")
    result("largest_minus_smallest", special["largest"] - special["smallest"])
    result("largest_minus_median", special["largest"] - median_proxy)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ridge", default=os.path.join(ROOT, "bazel-bin/cli/ridge"))
    p.add_argument("--seed", type=int, default=1, help="sampling seed")
    p.add_argument("--count", type=int, default=20, help="architectures spread over the MACs range")
    p.add_argument("--band_count", type=int, default=8, help="architectures per latency band")
    p.add_argument("--epochs", type=int, default=4, help="standalone recipe: epochs")
    p.add_argument("--train_images", type=int, default=25000, help="standalone recipe: training images")
    p.add_argument("--lr", type=float, default=0.1, help="standalone recipe: peak learning rate")
    p.add_argument("--seeds", type=int, default=4, help="standalone seeds averaged per architecture")
    p.add_argument("--noise_seeds", type=int, default=3, help="seeds of the noise architectures")
    p.add_argument("--jobs", type=int, default=2, help="standalone runs at once, one thread each")
    p.add_argument("--supernet", default="--epochs=5", help="flags for `ridge supernet train`")
    p.add_argument("--eval", default="", help="score with `ridge supernet eval` and these flags (for example "
                   "--finetune_steps=50), from the --supernet checkpoint kept in --checkpoint_dir")
    p.add_argument("--checkpoint_dir", default=os.path.join(ROOT, "ridge-data/rank_fidelity"))
    p.add_argument("--cache", default=os.path.join(ROOT, "bench/rank_fidelity_cache.csv"))
    p.add_argument("--proxy_cache", default=os.path.join(ROOT, "bench/rank_fidelity_proxies.json"))
    p.add_argument("--truth_only", action="store_true", help="train the ground truth, then stop")
    args = p.parse_args()
    print("cpu flags: " + " ".join(sorted({f for line in open("/proc/cpuinfo") if line.startswith("flags")
                                           for f in line.split() if f.startswith(("avx", "fma"))})))
    archs, bands = sample(args)
    spread = sorted((a for a in archs.values() if "spread" in a["groups"]), key=lambda a: a["macs"])
    noise_ids = [spread[len(spread) * q // 4]["arch_id"] for q in (1, 2, 3)]
    truth = ground_truth(args, archs, noise_ids)
    if args.truth_only:
        return
    scored, special, seconds = proxies(args, archs)
    report(args, archs, bands, truth, scored, special, noise_ids, seconds)


if __name__ == "__main__":
    try:
        main()
    except RidgeFailed as e:
        sys.exit(str(e))
