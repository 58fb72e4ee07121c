#!/usr/bin/python3
"""Inference latency: Ridge's executor against PyTorch on the same networks.

Batch-1 latency at 224x224 of each model in Ridge (`ridge infer`, the
workers' executor) and in PyTorch in three modes: eager NCHW, eager
channels_last, and torch.jit.trace + torch.jit.optimize_for_inference (frozen,
with its oneDNN fusions). Both sides use the same thread count and the same
protocol (workers/timing.h): warmup runs, then runs per repeat doubled until a
repeat lasts min_repeat_ms, then the median over repeats of ms per run. Each
engine runs in its own process. The whole comparison runs --rounds times,
interleaved, and each engine/mode keeps its best median: other processes on
this shared 2-core VM stall 2-thread OpenMP runs by whole scheduler slices,
and the best round is the one least disturbed, for both sides alike. Also
prints the roofline bound of this machine
(`ridge latency predict --hardware=local_cpu`). Ends with one line per model:
  RESULT infer_<model> ridge=<ms> pytorch=<best ms> ratio=<pytorch/ridge>

Usage: bench/infer_latency.py [--models=mobilenetv4_conv_small,mobilenetv2_100]
       [--threads=2] [--resolution=224] [--rounds=2]
Needs `bazel build //cli:ridge` first (the script does it).
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RIDGE = os.path.join(ROOT, "bazel-bin", "cli", "ridge")
# As train_throughput.py: glibc keeps its memory, so PyTorch's per-call
# allocations do not become page faults.
TORCH_ENV = {"MALLOC_MMAP_THRESHOLD_": "33554432", "MALLOC_TRIM_THRESHOLD_": "68719476736"}
MODES = ["eager", "channels_last", "jit_frozen"]
# The protocol `ridge infer` uses (cli/infer_commands.cc).
WARMUP, REPEAT, MIN_REPEAT_MS = 5, 10, 200.0


def ridge_json(args):
    out = subprocess.run([RIDGE] + args + ["--format=json"], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def time_runs(run):
    """workers/timing.cc's TimeRuns in Python: returns (median ms, samples)."""
    for _ in range(WARMUP):
        run()
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            run()
        if (time.perf_counter() - start) * 1e3 >= MIN_REPEAT_MS:
            break
        number *= 2
    samples = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        for _ in range(number):
            run()
        samples.append((time.perf_counter() - start) * 1e3 / number)
    ordered = sorted(samples)
    mid = len(ordered) // 2
    median = ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
    return median, samples


def torch_child(args):
    """Runs in a child process: times one model in one PyTorch mode, prints JSON."""
    import torch
    sys.path.insert(0, HERE)
    import torch_models

    torch.set_num_threads(args.threads)
    encoding = ridge_json(["model", "show", args.models, "--resolution=%d" % args.resolution])["canonical"]
    model, (c, h, w), _ = torch_models.build(encoding)
    model.eval()
    x = torch.randn(1, c, h, w, generator=torch.Generator().manual_seed(1))
    with torch.inference_mode() if args.mode != "jit_frozen" else torch.no_grad():
        if args.mode == "channels_last":
            model = model.to(memory_format=torch.channels_last)
            x = x.contiguous(memory_format=torch.channels_last)
        elif args.mode == "jit_frozen":
            model = torch.jit.optimize_for_inference(torch.jit.trace(model, x))
        median, samples = time_runs(lambda: model(x))
    print(json.dumps({"median_ms": median, "samples_ms": samples}))


def run_torch(model, mode, args):
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), **TORCH_ENV)
    cmd = ["/usr/bin/python3", os.path.abspath(__file__), "--torch-child", "--models=" + model, "--mode=" + mode,
           "--threads=%d" % args.threads, "--resolution=%d" % args.resolution]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])["median_ms"]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", default="mobilenetv4_conv_small,mobilenetv2_100")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--resolution", type=int, default=224)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--torch-child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--mode", choices=MODES, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.torch_child:
        torch_child(args)
        return
    subprocess.run(["bazel", "build", "//cli:ridge"], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    models = args.models.split(",")
    print("infer_latency: batch 1, %dx%d, %d threads; median ms per image, best of %d rounds (lower is better)"
          % (args.resolution, args.resolution, args.threads, args.rounds))
    ridge_ms = {m: float("inf") for m in models}
    torch_ms = {m: {mode: float("inf") for mode in MODES} for m in models}
    roofline = {}
    for _ in range(args.rounds):
        for model in models:
            flags = ["--arch=" + model, "--resolution=%d" % args.resolution]
            ridge = ridge_json(["infer"] + flags + ["--batch=1", "--threads=%d" % args.threads])
            ridge_ms[model] = min(ridge_ms[model], ridge["median_ms"])
            roofline[model] = ridge_json(["latency", "predict", "--hardware=local_cpu"] + flags)["latency_ms"]
            for mode in MODES:
                torch_ms[model][mode] = min(torch_ms[model][mode], run_torch(model, mode, args))
    rows = [(m, ridge_ms[m], torch_ms[m], roofline[m]) for m in models]
    env = ridge["environment"]
    print("%s, %s, %d cores, oneDNN %s" % (env["cpu_model"], env["isa"], env["cores"], env["onednn_version"]))
    header = ["model", "ridge", "torch_eager", "torch_chlast", "torch_jit", "best_torch", "roofline", "torch/ridge"]
    print("%-24s" % header[0] + "".join("%13s" % h for h in header[1:]))
    for model, r_ms, t_ms, bound in rows:
        best = min(t_ms.values())
        cells = [r_ms] + [t_ms[m] for m in MODES] + [best, bound, best / r_ms]
        print("%-24s" % model + "".join("%13.3f" % v for v in cells))
    for model, r_ms, t_ms, _ in rows:
        best = min(t_ms.values())
        print("RESULT infer_%s ridge=%.3f pytorch=%.3f ratio=%.3f" % (model, r_ms, best, best / r_ms))


if __name__ == "__main__":
    main()
