#!/usr/bin/python3
"""Refits the absolute scale of the paper-derived hardware profiles.

The MobileNetV4 paper (Qin et al., 2024) gives each target's fitted ridge point
(Table 16) but not its peak MAC/s. With the ridge point fixed, the roofline
latency of a model is S/P + L*o, where S = sum_i max(MACs_i, ridge * bytes_i),
L is its layer count, P the peak and o a per-layer overhead. Both are linear in
(1/P, o), so a least-squares fit on relative error to the paper's Table 6
latencies gives them; o is dropped when the fit makes it negative.

Usage: bazel build //cli:ridge && latency/profiles/fit_paper_profiles.py
Needs numpy (Debian's python3-numpy, pulled in by python3-torch).
"""
import json
import subprocess
import sys
import tempfile

import numpy as np

RIDGE = sys.argv[1] if len(sys.argv) > 1 else "bazel-bin/cli/ridge"
MODELS = ["mobilenetv4_conv_small", "mobilenetv4_conv_medium", "mobilenetv4_hybrid_medium",
          "mobilenetv4_conv_large", "mobilenetv4_hybrid_large", "mobilenetv2_100"]
# Table 6 latencies in ms, in MODELS order; None where the paper has no number.
TABLE6_MS = {
    "pixel6_cpu": [2.4, 11.4, 14.3, 59.9, 87.6, 5.0],
    "s23_cpu": [1.8, 8.6, 10.8, 43.0, 61.8, 4.1],
    "pixel4_dsp": [2.4, 7.3, None, 20.8, None, 3.9],
    "pixel8_edgetpu": [0.7, 1.1, 1.5, 2.4, 3.8, 0.7],
}
# Table 16 ridge points, MACs per byte.
RIDGE_POINT = {"pixel6_cpu": 31.2, "s23_cpu": 39.7, "pixel4_dsp": 347.3, "pixel8_edgetpu": 433.8}


def explain(model, ridge):
    with tempfile.NamedTemporaryFile("w", suffix=".textproto") as f:
        f.write('name: "fit" peak_macs_per_sec: 1e9 peak_bytes_per_sec: %r bytes_per_element: 1\n'
                % (1e9 / ridge))
        f.flush()
        out = subprocess.check_output([RIDGE, "latency", "explain", "--arch=" + model,
                                       "--hardware=" + f.name, "--format=json"])
    doc = json.loads(out)
    return doc["latency_ms"] * 1e-3 * 1e9, len(doc["layers"])  # S in MACs, L


for device, ridge in RIDGE_POINT.items():
    rows, terms = [], []
    for model, ms in zip(MODELS, TABLE6_MS[device]):
        s, layers = explain(model, ridge)
        terms.append((s, layers))
        if ms is not None:
            rows.append([s / ms, layers / ms])
    a = np.array(rows)
    ones = np.ones(len(rows))
    (inv_peak, overhead), *_ = np.linalg.lstsq(a, ones, rcond=None)
    if overhead < 0:
        inv_peak, overhead = np.linalg.lstsq(a[:, :1], ones, rcond=None)[0][0], 0.0
    peak = 1e3 / inv_peak  # inv_peak is ms per MAC.
    print("%-15s peak_macs_per_sec: %.3g peak_bytes_per_sec: %.3g per_layer_overhead_sec: %.3g"
          % (device, peak, peak / ridge, overhead * 1e-3))
    for model, (s, layers), ms in zip(MODELS, terms, TABLE6_MS[device]):
        print("    %-26s predicted %7.2f ms  paper %s" % (model, s / peak * 1e3 + layers * overhead, ms))
