#!/usr/bin/env bash
# The main job on its embedded default: `ridge up` starts an in-process
# controller with SQLite under ./ridge-data/, launches the quickstart campaign
# (examples/campaigns/quickstart.textproto: six latency budgets on two
# hardware targets, one shared supernet, Fashion-MNIST) and watches it to its
# Pareto fronts. About 7 minutes on 2 cores. Ctrl-C checkpoints; running this
# again resumes. Installs what is needed first; runs offline.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install_deps.sh
bazel build //cli:ridge //controller:ridge_controller
exec bazel-bin/cli/ridge up --state_dir=ridge-data "$@"
