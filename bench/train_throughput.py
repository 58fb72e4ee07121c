#!/usr/bin/python3
"""Training throughput: Ridge against PyTorch on the same network and batch.

One training step (forward, backward, update) in images/s, side by side in one
invocation, each in its own process so peak memory is its own. PyTorch runs in
its fastest mode here (channels_last, 2 threads, glibc told to keep its
memory: see docs/design.md §10). Ends with
  RESULT train_throughput ridge=<img/s> pytorch=<img/s> ratio=<ridge/pytorch>

Each engine runs --repeats times, taking turns, after the same 5 untimed
warm-up steps; the medians are compared.

Usage: bench/train_throughput.py [--arch=fmnist_reference] [--batch=128] [--steps=100] [--repeats=5]
Needs `bazel build //cli:ridge` first (the script does it).
"""
import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RIDGE = os.path.join(ROOT, "bazel-bin", "cli", "ridge")
FMNIST = "/usr/share/datasets/fashion-mnist"
# Untimed steps before timing, the same for both engines (Ridge's
# kUntimedSteps in supernet/trainer.h): the first steps create primitives.
WARMUP = 5
TORCH_ENV = {"MALLOC_MMAP_THRESHOLD_": "33554432", "MALLOC_TRIM_THRESHOLD_": "68719476736"}


# Runs `cmd` under a fresh Python so that RUSAGE_CHILDREN is that command's
# own peak RSS; returns (stdout, peak MiB).
MEASURE = ("import resource, subprocess, sys\n"
           "out = subprocess.run(sys.argv[1:], check=True, capture_output=True, text=True).stdout\n"
           "print(out)\n"
           "print('MAXRSS', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")


def measure(cmd, env=None):
    out = subprocess.run(["/usr/bin/python3", "-c", MEASURE] + cmd, check=True, capture_output=True,
                         text=True, env=env).stdout.strip().splitlines()
    peak_kb = int(out[-1].split()[1])
    return "\n".join(out[:-1]), peak_kb / 1024


def run_ridge(args):
    # WARMUP untimed steps, then args.steps timed ones (steady_images_per_sec).
    cmd = [RIDGE, "train", "--arch=" + args.arch, "--epochs=1", "--batch=%d" % args.batch,
           "--train_images=%d" % (args.batch * (args.steps + WARMUP)), "--threads=%d" % args.threads,
           "--augment=false", "--evaluate=false", "--format=json"]
    out, peak_mb = measure(cmd)
    return json.loads(out)["steady_images_per_sec"], peak_mb


def torch_child(args):
    """Runs in a child process: trains the network in PyTorch, prints JSON."""
    import numpy as np
    import torch
    sys.path.insert(0, HERE)
    import torch_models

    torch.set_num_threads(args.threads)
    encoding = json.loads(subprocess.run([RIDGE, "model", "show", args.arch, "--format=json"], check=True,
                                         capture_output=True, text=True).stdout)["canonical"]
    model, (c, h, w), classes = torch_models.build(encoding)
    model = model.to(memory_format=torch.channels_last)
    with gzip.open(os.path.join(FMNIST, "train-images-idx3-ubyte.gz")) as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)[:50000]
    with gzip.open(os.path.join(FMNIST, "train-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)[:50000]
    x_all = (torch.from_numpy(images.astype(np.float32)) / 255 - 0.2860) / 0.3530
    y_all = torch.from_numpy(labels.astype(np.int64))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-5)
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=0.1)
    gen = torch.Generator().manual_seed(1)

    def step():
        idx = torch.randint(0, x_all.shape[0], (args.batch,), generator=gen)
        x = x_all[idx].contiguous(memory_format=torch.channels_last)
        loss = loss_fn(model(x), y_all[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    model.train()
    for _ in range(WARMUP):  # First runs pay for allocation and primitive creation.
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    seconds = time.perf_counter() - start
    print(json.dumps({"images_per_sec": args.steps * args.batch / seconds}))


def run_torch(args):
    env = dict(os.environ, **TORCH_ENV)
    cmd = ["/usr/bin/python3", os.path.abspath(__file__), "--torch-child", "--arch=" + args.arch,
           "--batch=%d" % args.batch, "--steps=%d" % args.steps, "--threads=%d" % args.threads]
    out, peak_mb = measure(cmd, env)
    return json.loads(out.strip().splitlines()[-1])["images_per_sec"], peak_mb


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--arch", default="fmnist_reference")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=5, help="runs per engine, taking turns; medians are compared")
    p.add_argument("--torch-child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.torch_child:
        torch_child(args)
        return
    subprocess.run(["bazel", "build", "//cli:ridge"], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print("train_throughput: %s, batch %d, %d steps, %d threads, Fashion-MNIST 28x28"
          % (args.arch, args.batch, args.steps, args.threads))
    # The engines take turns, and each reports its median: this VM's speed
    # drifts by 10-20% over minutes, which one run apiece would turn into noise
    # in the ratio.
    runs = {"ridge": [], "pytorch": []}
    for _ in range(args.repeats):
        runs["ridge"].append(run_ridge(args))
        runs["pytorch"].append(run_torch(args))
    for name, r in runs.items():
        print("%-8s runs: %s images/s" % (name, " ".join("%.1f" % ips for ips, _ in r)))
    ridge = statistics.median(ips for ips, _ in runs["ridge"])
    torch_ips = statistics.median(ips for ips, _ in runs["pytorch"])
    ridge_mb = max(mb for _, mb in runs["ridge"])
    torch_mb = max(mb for _, mb in runs["pytorch"])
    # Each turn's own ratio shows the spread the VM's drift leaves in the result.
    pairs = sorted(r[0] / t[0] for r, t in zip(runs["ridge"], runs["pytorch"]))
    print("per-turn ratios: %s (median %.3f)" % (" ".join("%.2f" % x for x in pairs), statistics.median(pairs)))
    print("%-8s %10s %14s" % ("engine", "median img/s", "peak RSS MiB"))
    print("%-8s %10.1f %14.0f" % ("ridge", ridge, ridge_mb))
    print("%-8s %10.1f %14.0f" % ("pytorch", torch_ips, torch_mb))
    print("RESULT train_throughput ridge=%.1f pytorch=%.1f ratio=%.3f" % (ridge, torch_ips, ridge / torch_ips))


if __name__ == "__main__":
    main()
