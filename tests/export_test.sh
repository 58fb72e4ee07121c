#!/usr/bin/env bash
# Runs tests/export_test.py with Debian's Python (torch, onnx, cv2) on the
# `ridge` binary; see docs/export.md.
set -u
RIDGE="${RIDGE:-cli/ridge}"
exec /usr/bin/python3 "$(dirname "$0")/export_test.py" --ridge="$RIDGE" --tmp="${TEST_TMPDIR:-$(mktemp -d)}"
