#!/usr/bin/env bash
# A tour of Ridge's latency tooling: list the model zoo,
# then predict and explain the latency of one model on two hardware profiles
# (a CPU and an accelerator, whose ridge points differ by 14x).
# Installs what is needed first; runs offline.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install_deps.sh
bazel build //cli:ridge
ridge=bazel-bin/cli/ridge
model=${1:-mobilenetv4_conv_small}

section() { printf '\n== %s\n\n' "$*"; }

section "The model zoo (params and MACs counted from the layer tables)"
$ridge model list

section "Hardware profiles"
$ridge hardware list

for hw in pixel6_cpu pixel8_edgetpu; do
  section "Predicted latency of $model on $hw"
  $ridge latency predict --arch="$model" --hardware="$hw"
done

for hw in pixel6_cpu pixel8_edgetpu; do
  section "Why: per-layer roofline of $model on $hw"
  $ridge latency explain --arch="$model" --hardware="$hw"
done

section "Next"
cat <<TXT
  $ridge model show $model                    per-layer shapes and costs
  $ridge latency sweep --arch=$model          latency over ridge points 0..500
  $ridge latency predict --arch=$model --hardware=local_cpu   this machine, measured now
  $ridge --help
TXT
