"""`ridge export` end to end (docs/export.md).

For the six zoo models, two Mobile MQA architectures (KV downsampling on
and off), one of FBNet's grouped UIB ops (grouped 1x1 convs with a channel
shuffle) and one with MHSA blocks (a key and value head per query head), at a
reduced resolution so the test stays quick, this exports the seeded weights
as PyTorch and as ONNX and checks:
  - onnx.checker passes, and OpenCV's DNN module runs the ONNX model;
  - OpenCV's and PyTorch's outputs match Ridge's inference executor
    (`ridge export --reference_input`) within 1e-4, relative to the largest
    |logit|, on random inputs;
  - the .pt loads with torch.load(weights_only=True and False) and equals
    the ONNX initializers (same weights in every format);
  - one SGD step of the PyTorch module trains (finite loss, weights change);
  - for MHSA, that the attention branches move the logits far beyond the
    tolerance, so the match covers them.
Then a `ridge train` checkpoint exports with its trained weights, and a
checkpoint of another architecture, an unknown --arch and an unwritable
--out are refused.
"""
import argparse
import importlib.util
import math
import os
import subprocess
import sys

import cv2
import numpy as np
import onnx
import torch
from onnx import numpy_helper

TOLERANCE = 1e-4
BATCH = 2
# The zoo at 64x64 (published: 224-384) and 10 classes: the weights stay the
# published size, the activations get small, so all eight run in seconds.
RESOLUTION = 64
ZOO = ["mobilenetv4_conv_small", "mobilenetv4_conv_medium", "mobilenetv4_conv_large",
       "mobilenetv4_hybrid_medium", "mobilenetv4_hybrid_large", "mobilenetv2_100"]
# label: (encoding, input shape CHW).
MQA = {
    "mqa_kv_downsampled": ("v1 32x32x3 classes=10 act=gelu ls=1 : conv(3,2,16) fused(3,1,16,2) uib(3,5,2,24,4) "
                          "uib(5,0,1,24,3) uib(0,0,1,24,2) mqa(4,8,2) uib(0,3,1,24,1) conv(1,1,64) pool fc", (3, 32, 32)),
    "mqa_full_kv": ("v1 16x16x3 classes=7 act=hard_swish ls=0 : conv(3,2,16) uib(0,3,2,32,4) mqa(2,16,1) "
                   "mqa(3,8,1) conv(1,1,48) pool fc", (3, 16, 16)),
}
# FBNet's grouped ops (uib(start,mid,stride,filters,expansion,groups,expand_always)):
# e1 with its expand conv kept, IB at stride 2, ExtraDW in 4 groups, FFN, and
# ConvNext with the stride on the start DW. No layer scale: at its initial
# 1e-5 a wrong shuffle in a residual branch would hide below the tolerance.
GROUPED = {
    "fbnet_grouped": ("v1 32x32x3 classes=10 act=relu ls=0 : conv(3,2,16) uib(0,3,1,16,1,2,1) uib(0,5,2,24,3,2,0) "
                      "uib(3,3,1,24,2,4,0) uib(0,0,1,24,2,2,0) uib(3,0,2,40,3,2,0) conv(1,1,64) pool fc", (3, 32, 32)),
}
# MHSA (mqa(heads,key_dim,kv_stride,1): a key and value head per query head),
# downsampled and not. No layer scale, for the same reason; and the check
# that the attention branches (blocks 2 and 3) move the logits.
MHSA = {
    "mhsa": ("v1 16x16x3 classes=7 act=gelu ls=0 : conv(3,2,16) uib(0,3,1,16,2) mqa(2,8,2,1) mqa(4,8,1,1) "
             "conv(1,1,32) pool fc", (3, 16, 16)),
}
MHSA_ATTENTION_BLOCKS = (2, 3)
FMNIST_OTHER = "v1 28x28x1 classes=10 act=relu ls=0 : conv(3,2,16) uib(0,5,1,16,2) pool fc"

failures = []


def check(ok, message):
    print(("ok    " if ok else "FAIL  ") + message, flush=True)
    if not ok:
        failures.append(message)


def ridge(args, *flags, expect=0):
    r = subprocess.run([args.ridge, *flags], capture_output=True, text=True)
    if r.returncode != expect:
        check(False, f"ridge {' '.join(flags)}: exit {r.returncode}, want {expect}: {r.stderr[-800:]}")
    return r


def relative_error(got, want):
    return float(np.abs(got - want).max() / max(np.abs(want).max(), 1e-30))


def import_module(path):
    spec = importlib.util.spec_from_file_location(os.path.basename(path)[:-3], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sgd_step(model, x, classes):
    model.train()
    before = [p.detach().clone() for p in model.parameters()]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    loss = torch.nn.functional.cross_entropy(model(x), torch.arange(x.shape[0]) % classes)
    loss.backward()
    optimizer.step()
    changed = any(not torch.equal(a, b.detach()) for a, b in zip(before, model.parameters()))
    return float(loss), changed


def export_both(args, label, arch, extra, shape):
    """Exports `arch` as PyTorch and ONNX with Ridge's outputs on random inputs."""
    out = os.path.join(args.tmp, label)
    os.makedirs(out, exist_ok=True)
    x = np.random.default_rng(len(label)).uniform(-1, 1, (BATCH, *shape)).astype(np.float32)
    x.tofile(os.path.join(out, "input.bin"))
    r = ridge(args, "export", f"--arch={arch}", *extra, "--format=pytorch", f"--out={out}/torch",
              f"--reference_input={out}/input.bin", f"--reference_output={out}/ridge.bin")
    ridge(args, "export", f"--arch={arch}", *extra, "--format=onnx", f"--out={out}/model.onnx")
    py = [line for line in r.stdout.split() if line.endswith(".py")]
    return out, x, np.fromfile(f"{out}/ridge.bin", np.float32).reshape(BATCH, -1), py[0] if py else None


def check_attention_matters(label, module, x, want, blocks):
    """Zeroing the attention blocks' output convs moves the logits by far more
    than the tolerance, so the match with Ridge checked the attention itself."""
    model = module.load()
    with torch.no_grad():
        for i in blocks:
            model.blocks[i].output.conv.weight.zero_()
        err = relative_error(model(torch.from_numpy(x)).numpy(), want)
    check(err > 100 * TOLERANCE, f"{label}: the attention branches matter ({err:.2e} off without them)")


def check_model(args, label, arch, shape, extra=(), attention=()):
    out, x, want, py = export_both(args, label, arch, extra, shape)
    onnx.checker.check_model(f"{out}/model.onnx")
    net = cv2.dnn.readNetFromONNX(f"{out}/model.onnx")
    net.setInput(x)
    err_cv = relative_error(net.forward(), want)
    module = import_module(py)
    model = module.load()
    with torch.no_grad():
        err_torch = relative_error(model(torch.from_numpy(x)).numpy(), want)
    check(err_cv <= TOLERANCE and err_torch <= TOLERANCE,
          f"{label}: max relative error vs ridge: opencv {err_cv:.2e}, pytorch {err_torch:.2e}")
    if attention:
        check_attention_matters(label, module, x, want, attention)
    state = torch.load(py[:-3] + ".pt", weights_only=False)
    initializers = {t.name: numpy_helper.to_array(t) for t in onnx.load(f"{out}/model.onnx").graph.initializer}
    same = all(np.array_equal(initializers[k].reshape(v.shape), v.numpy()) for k, v in state.items() if k in initializers)
    covered = sum(k in initializers for k in state) == sum(not k.endswith("num_batches_tracked") for k in state)
    check(same and covered, f"{label}: the .pt and the ONNX initializers hold the same weights")
    loss, changed = sgd_step(model, torch.from_numpy(x), want.shape[1])
    check(math.isfinite(loss) and changed, f"{label}: one SGD step (loss {loss:.4f}, weights changed: {changed})")
    return model


def check_checkpoint(args):
    ckpt = os.path.join(args.tmp, "reference.ckpt")
    ridge(args, "train", "--arch=fmnist_reference", "--epochs=1", "--batch=32", "--train_images=64",
          f"--checkpoint={ckpt}", "--evaluate=false", "--threads=1")
    label = "fmnist_reference_trained"
    out, x, want, py = export_both(args, label, "fmnist_reference", [f"--checkpoint={ckpt}"], (1, 28, 28))
    trained = import_module(py).load()
    with torch.no_grad():
        err = relative_error(trained(torch.from_numpy(x)).numpy(), want)
    seeded = export_both(args, "fmnist_reference_seeded", "fmnist_reference", [], (1, 28, 28))[2]
    check(err <= TOLERANCE and not np.allclose(seeded, want),
          f"{label}: trained weights exported (pytorch vs ridge {err:.2e}; differs from the seeded export)")
    r = ridge(args, "export", f"--arch={FMNIST_OTHER}", f"--checkpoint={ckpt}", "--format=onnx",
              f"--out={args.tmp}/x.onnx", expect=2)
    check("holds another architecture" in r.stderr and "uib(0,5,1,16,2)" in r.stderr,
          f"checkpoint of another architecture refused: {r.stderr.strip()[-200:]}")


def check_errors(args):
    r = ridge(args, "export", "--arch=no_such_model", "--format=onnx", f"--out={args.tmp}/x.onnx", expect=2)
    check("no_such_model" in r.stderr, "unknown --arch refused")
    blocker = os.path.join(args.tmp, "a_file")
    open(blocker, "w").write("x")
    r = subprocess.run([args.ridge, "export", "--arch=fmnist_reference", "--format=onnx",
                        f"--out={blocker}/sub/x.onnx"], capture_output=True, text=True)
    check(r.returncode != 0 and "--out" in r.stderr, f"unwritable --out refused: {r.stderr.strip()[-160:]}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ridge", required=True)
    parser.add_argument("--tmp", required=True)
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(2)
    zoo = ["--resolution=%d" % RESOLUTION, "--classes=10"]
    cases = [(name, lambda n=name: check_model(args, n, n, (3, RESOLUTION, RESOLUTION), zoo)) for name in ZOO]
    cases += [(label, lambda l=label, a=arch: check_model(args, l, *a)) for label, arch in {**MQA, **GROUPED}.items()]
    cases += [(label, lambda l=label, a=arch: check_model(args, l, *a, attention=MHSA_ATTENTION_BLOCKS))
              for label, arch in MHSA.items()]
    cases += [("checkpoint", lambda: check_checkpoint(args)), ("errors", lambda: check_errors(args))]
    # Bazel's sharding (shard_count in tests/BUILD.bazel): every shard runs
    # every n-th case, so the large zoo models spread over the shards.
    total, index = int(os.environ.get("TEST_TOTAL_SHARDS", 1)), int(os.environ.get("TEST_SHARD_INDEX", 0))
    if "TEST_SHARD_STATUS_FILE" in os.environ:
        open(os.environ["TEST_SHARD_STATUS_FILE"], "w").close()
    for label, run in cases[index::total]:
        try:
            run()
        except Exception as e:  # One case's failure must not hide the others'.
            check(False, f"{label}: {type(e).__name__}: {e}")
    print(f"{len(failures)} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
