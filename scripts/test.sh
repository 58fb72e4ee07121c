#!/usr/bin/env bash
# Installs what Ridge needs, builds everything and runs every test offline.
# Ends with the line "N passed, N failed" and exits non-zero if anything
# failed or did not build. Test cases are counted from each target's test.xml
# (gtest cases individually); a target that did not build or run counts as
# one failure.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/install_deps.sh || exit 1

log=$(mktemp)
bazel test //... --keep_going "$@" 2>&1 | tee "$log"
bazel_rc=${PIPESTATUS[0]}

# The fuzzers, a few seconds each from their seed corpora (bench/fuzz.sh runs
# them for 10^6 executions). Each counts as one test: "<fuzzer> PASSED".
fuzz_out=$(mktemp -d)
FUZZ_SECONDS=${FUZZ_SECONDS:-5} OUT="$fuzz_out" bash bench/fuzz.sh | tee -a "$log" |
  sed -n 's/^\([a-z_]*_fuzzer\) .* crashes \([0-9]*\)$/\1 \2/p' |
  while read -r name crashes; do
    if [ "$crashes" -eq 0 ]; then echo "fuzz:$name PASSED"; else echo "fuzz:$name FAILED"; fi
  done >>"$log"
grep -q "fuzzers did not build" "$log" && echo "fuzz:build FAILED" >>"$log"

/usr/bin/python3 - "$log" "$bazel_rc" <<'PY'
import glob, os, re, sys
import xml.etree.ElementTree as ET

log, bazel_rc = sys.argv[1], int(sys.argv[2])
# Bazel's summary: "//pkg:target   (cached) PASSED in 0.1s", "FAILED TO BUILD", ...
line_re = re.compile(r"^(//\S+|fuzz:\S+)\s+(?:\(cached\)\s+)?(PASSED|FAILED TO BUILD|FAILED|FLAKY|TIMEOUT|NO STATUS|INCOMPLETE)\b")
passed = failed = 0
seen = 0
for line in open(log, errors="replace"):
    m = line_re.match(line.strip())
    if not m:
        continue
    seen += 1
    target, status = m.groups()
    if target.startswith("fuzz:"):  # A fuzzer's smoke run: one case.
        passed += status == "PASSED"
        failed += status != "PASSED"
        if status != "PASSED":
            print(f"failed: {target}")
        continue
    logs = os.path.join("bazel-testlogs", target[2:].replace(":", "/"))
    # A sharded test has one test.xml per shard (shard_K_of_N/test.xml).
    xmls = [os.path.join(logs, "test.xml")] if os.path.exists(os.path.join(logs, "test.xml")) else \
        sorted(glob.glob(os.path.join(logs, "shard_*_of_*", "test.xml")))
    if status in ("PASSED", "FAILED", "FLAKY", "TIMEOUT") and xmls:
        cases = [c for x in xmls for c in ET.parse(x).getroot().iter("testcase")]
        bad = [c for c in cases if c.find("failure") is not None or c.find("error") is not None]
        if status != "PASSED" and not bad:
            bad = cases[:1] or [None]  # A crash or timeout after the cases ran.
        for c in bad:
            name = "" if c is None else f" {c.get('classname', '')}.{c.get('name', '')}"
            print(f"failed: {target}{name}")
        passed += len(cases) - len([c for c in bad if c is not None])
        failed += len(bad)
    else:
        print(f"failed: {target} {status}")
        failed += 1
if bazel_rc != 0 and failed == 0:
    print(f"bazel test exited with {bazel_rc}")
    failed = 1
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed or not seen else 0)
PY
rc=$?
rm -f "$log"
exit $rc
