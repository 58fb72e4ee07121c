#!/usr/bin/env bash
# End-to-end checks of the `ridge` binary: outputs parse and carry the
# documented keys, every subcommand answers --help, and bad input gets a
# clear error and exit code 2, never a crash.
set -u
RIDGE="${RIDGE:-cli/ridge}"
# shellcheck source=cli/test_lib.sh
source "$(dirname "$0")/test_lib.sh"


expect_ok "model list json" "$RIDGE" model list --format=json
json_check "model list has six models with integer counts" \
  "len(d) == 6 and all(set(m) == {'name','resolution','classes','params','macs','activations'} and all(type(m[k]) is int for k in ('params','macs','activations','resolution','classes')) for m in d) and d[0]['name'] == 'mobilenetv4_conv_small' and d[0]['params'] == 3774024"

expect_ok "model list table" "$RIDGE" model list
grep -q "mobilenetv2_100 .* 3504872" "$TMP/out" || fail "model list table lacks mobilenetv2_100"

expect_ok "model show json" "$RIDGE" model show mobilenetv4_hybrid_medium --resolution=224 --classes=10 --format=json
json_check "model show keys" \
  "d['resolution'] == 224 and d['classes'] == 10 and len(d['layers']) == 138 and d['macs'] == sum(l['macs'] for l in d['layers']) and d['params'] == sum(l['params'] for l in d['layers'])"

expect_ok "latency predict json" "$RIDGE" latency predict --arch=mobilenetv4_conv_small --hardware=pixel6_cpu --format=json
json_check "predict keys" "d['model'] == 'roofline:pixel6_cpu' and d['latency_ms'] > 0 and d['arch'] == 'mobilenetv4_conv_small'"

expect_ok "latency explain csv" "$RIDGE" latency explain --arch=mobilenetv2_100 --hardware=pixel8_edgetpu --format=csv
head -1 "$TMP/out" | grep -q "^layer,op_class,macs,bytes,intensity,bound,time_ms,share_pct$" || fail "explain csv header"
[ "$(wc -l <"$TMP/out")" -eq 55 ] || fail "explain csv has $(wc -l <"$TMP/out") lines, want 55"

expect_ok "latency explain json" "$RIDGE" latency explain --arch=mobilenetv2_100 --hardware=pixel4_dsp --format=json
json_check "explain shares sum to 1" "abs(sum(l['share'] for l in d['layers']) - 1) < 1e-6 and {l['bound'] for l in d['layers']} <= {'compute','memory'}"

expect_ok "latency sweep" "$RIDGE" latency sweep --arch=mobilenetv4_conv_medium --format=csv
[ "$(wc -l <"$TMP/out")" -eq 22 ] || fail "sweep csv has $(wc -l <"$TMP/out") lines, want 22 (header + 0..500 by 25)"

expect_ok "hardware list json" "$RIDGE" hardware list --format=json
json_check "hardware list" "{'pixel6_cpu','s23_cpu','pixel4_dsp','pixel8_edgetpu','local_cpu'} <= {p['name'] for p in d}"

# A profile written by `hardware show --format=textproto` is accepted back.
expect_ok "hardware show textproto" "$RIDGE" hardware show s23_cpu --format=textproto
cp "$TMP/out" "$TMP/s23.textproto"
expect_ok "predict with a profile file" "$RIDGE" latency predict --arch=mobilenetv2_100 --hardware="$TMP/s23.textproto" --format=json
json_check "file profile" "d['hardware'] == 's23_cpu'"

for cmd in "model list" "model show" "latency predict" "latency explain" "latency sweep" "hardware list" "hardware show"; do
  # shellcheck disable=SC2086
  expect_ok "help $cmd" "$RIDGE" $cmd --help
  grep -q "^usage: ridge $cmd" "$TMP/out" || fail "help $cmd: $(head -1 "$TMP/out")"
done
expect_ok "top help" "$RIDGE" --help

# Bad input: exit 2 with a message naming the flag, the value and the rule.
expect_error "bad format" "--format: 'xml' is not one of {table, json}" "$RIDGE" model list --format=xml
expect_error "flag does not apply" "flag --arch does not apply to \`ridge model list\`" "$RIDGE" model list --arch=x
expect_error "unknown model" "'resnet50' is neither a zoo model" "$RIDGE" latency predict --arch=resnet50 --hardware=pixel6_cpu
expect_error "unknown hardware" "--hardware: 'tpu' is neither a built-in profile" "$RIDGE" latency predict --arch=mobilenetv2_100 --hardware=tpu
expect_error "missing hardware" "--hardware: must be given" "$RIDGE" latency predict --arch=mobilenetv2_100
expect_error "negative resolution" "--resolution: -3 must be in [1, 8192]" "$RIDGE" model show mobilenetv2_100 --resolution=-3
expect_error "too small resolution" "cannot downsample a 1x1 feature map" "$RIDGE" model show mobilenetv2_100 --resolution=8
expect_error "missing argument" "\`ridge model show\` takes NAME; got 0 argument(s)" "$RIDGE" model show
expect_error "unknown command" "unknown command 'model frobnicate'" "$RIDGE" model frobnicate
expect_error "bad sweep step" "--step: 0 must be > 0" "$RIDGE" latency sweep --arch=mobilenetv2_100 --step=0

printf 'name: "t"\nblocks { conv { kernel: 3 stride: 2' >"$TMP/truncated.textproto"
expect_error "truncated file" "$TMP/truncated.textproto:2:" "$RIDGE" model show "$TMP/truncated.textproto"
printf 'name: "t"\nwidth_multiplier: 2\n' >"$TMP/unknown.textproto"
expect_error "unknown field" "width_multiplier" "$RIDGE" model show "$TMP/unknown.textproto"
printf 'input { height: 32 width: 32 channels: 3 }\nnum_classes: 10\nactivation: RELU\nblocks { uib { start_dw_kernel: 4 mid_dw_kernel: 3 stride: 1 filters: 8 expansion: 2 } }\nblocks { global_pool {} }\nblocks { classifier {} }\n' >"$TMP/badkernel.textproto"
expect_error "bad kernel in file" "architecture.blocks[0].uib.start_dw_kernel: 4 is not one of {0, 3, 5, 7}" "$RIDGE" model show "$TMP/badkernel.textproto"

# ridge space sample: distinct, spread over the MACs range, priced on the spec's targets.
SPEC="$(dirname "$0")/../examples/campaigns/tiny.textproto"
expect_ok "space sample" "$RIDGE" space sample --spec="$SPEC" --count=12 --stratify=macs --seed=3 --format=json
json_check "stratified sample" "len(d) == 12 and len({a['arch_id'] for a in d}) == 12 and [a['macs'] for a in d] == sorted(a['macs'] for a in d) and d[-1]['macs'] > 4 * d[0]['macs'] and all(set(a['latency_ms']) == {'pixel6_cpu', 'pixel8_edgetpu'} and all(v > 0 for v in a['latency_ms'].values()) for a in d)"
cp "$TMP/out" "$TMP/sample1.json"
expect_ok "space sample again" "$RIDGE" space sample --spec="$SPEC" --count=12 --stratify=macs --seed=3 --format=json
cmp -s "$TMP/out" "$TMP/sample1.json" || fail "the same seed gave another sample"
expect_ok "space sample of a space" "$RIDGE" space sample --space=fmnist_uib --count=3 --format=csv
[ "$(wc -l <"$TMP/out")" -eq 4 ] || fail "space sample csv: $(cat "$TMP/out")"

# ridge space list / show: what each built-in space holds.
expect_ok "space list" "$RIDGE" space list --format=json
json_check "space list" "{'fmnist_uib', 'proxylessnas_mobile'} <= {x['space'] for x in d} and \
  all(x['min_macs'] < x['max_macs'] for x in d)"
expect_ok "space show" "$RIDGE" space show proxylessnas_mobile
# ProxylessNAS: 6 stages' first blocks with 6 choices, 15 more blocks with 7 (skip too).
grep -q "architectures: 2.2e17" "$TMP/out" || fail "space show size: $(head -3 "$TMP/out")"
grep -q "slot 3: UIB stride 1 start_dw {0} mid_dw {3, 5, 7} expansion {3, 6} optional" "$TMP/out" ||
  fail "space show slots: $(sed -n 5,8p "$TMP/out")"
expect_error "space show of an unknown space" "no_such_space" "$RIDGE" space show no_such_space
expect_error "bad stratify" "--stratify: 'flops' is not one of {none, macs}" "$RIDGE" space sample --space=fmnist_uib --stratify=flops
expect_error "bad count" "--count: -1 must be in [1, 10000]" "$RIDGE" space sample --space=fmnist_uib --count=-1

finish
