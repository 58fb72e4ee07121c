#!/usr/bin/env bash
# A campaign on a generated image folder (docs/data.md): 400 32x32 PNGs and
# JPEGs in 10 classes, searched in cifar_uib by `ridge search` with the
# example spec cut to a few steps; it must finish with fronts. A space
# declared at 224x224x3 is searched at the images' 32x32x3 and priced at 224.
set -u
RIDGE="${RIDGE:-cli/ridge}"
# shellcheck source=cli/test_lib.sh
source "$(dirname "$0")/../cli/test_lib.sh"
SPEC="$(dirname "$0")/../examples/campaigns/image_folder_32x32.textproto"

$PY "$(dirname "$0")/make_image_folder.py" "$TMP/images" 10 40 32 7 || fail "generating the image folder"
sed -e "s|dir: \"[^\"]*\"|dir: \"$TMP/images\"|" -e 's/coarse_steps: [0-9]*/coarse_steps: 8 threads: 1/' \
  "$SPEC" >"$TMP/spec.textproto"
grep -q "coarse_steps: 8 threads: 1" "$TMP/spec.textproto" || fail "the spec was not cut short"

expect_ok "search" "$RIDGE" search --spec="$TMP/spec.textproto" --out="$TMP/run" --format=json
json_check "fronts" "d['space'] == 'cifar_uib' and len(d['targets']) == 3 and all(t['front'] and all(0 <= p['accuracy'] <= 1 and p['arch_id'] for p in t['front']) for t in d['targets'])"
for f in fronts.json fronts.csv search_log.csv; do [ -s "$TMP/run/$f" ] || fail "missing $f"; done
grep -q "v1 32x32x3 classes=10" "$TMP/run/fronts.csv" || fail "fronts.csv has no 32x32x3 architectures"

# A space declared at another shape is searched at the data's: ProxylessNAS's
# mobile space (224x224x3, 1,000 classes) on these 32x32x3 images, priced at 224.
sed -e 's/space_ref: .*/space_ref: "proxylessnas_mobile"/' -e 's/coarse_steps: 8/coarse_steps: 3/' \
  -e 's/budget_ms: \[[^]]*\]/budget_ms: [4]/' "$TMP/spec.textproto" >"$TMP/proxyless.textproto"
"$RIDGE" search --spec="$TMP/proxyless.textproto" --out="$TMP/proxyless" --format=json >"$TMP/out" 2>"$TMP/err" ||
  fail "proxylessnas_mobile on 32x32 images: $(tail -3 "$TMP/err")"
grep -q "space proxylessnas_mobile is declared at 224x224x3 with 1000 classes; it is searched at the dataset's \
32x32x3 with 10 classes and priced at 224x224x3 with 10 classes" "$TMP/err" ||
  fail "no note on the space's shape: $(grep -i space "$TMP/err" | head -3)"
grep -q "v1 32x32x3 classes=10 act=relu6" "$TMP/proxyless/fronts.csv" || fail "not searched at 32x32x3"
# At 32x32 these networks take microseconds on pixel6_cpu; at 224, milliseconds.
json_check "priced at 224" "all(t['latency_ms'] > 1 for t in d['targets'] if t['hardware'] == 'pixel6_cpu')"
# FBNet as HW-NAS-Bench defines it (32x32x3): its grouped 1x1 convs, channel
# shuffles and 1x1 skip convs train in the supernet and reach the fronts.
sed -e 's/space_ref: .*/space_ref: "fbnet"/' -e 's/coarse_steps: 8/coarse_steps: 3/' \
  -e 's/budget_ms: \[[^]]*\]/budget_ms: [1]/' "$TMP/spec.textproto" >"$TMP/fbnet.textproto"
"$RIDGE" search --spec="$TMP/fbnet.textproto" --out="$TMP/fbnet" --format=json >"$TMP/out" 2>"$TMP/err" ||
  fail "fbnet on 32x32 images: $(tail -3 "$TMP/err")"
json_check "fbnet fronts" "d['space'] == 'fbnet' and all(t['front'] for t in d['targets'])"
grep -q "uib(0,[35],[12],[0-9]*,1,2,1)" "$TMP/fbnet/fronts.csv" || fail "no g2 op on fbnet's fronts"
# The hybrid space (attention in the last stage: Mobile MQA or MHSA) needs a
# 2x2 map there, so 64x64 images; priced at its declared 224.
$PY "$(dirname "$0")/make_image_folder.py" "$TMP/images64" 10 32 64 5 || fail "generating the 64x64 folder"
sed -e 's/space_ref: .*/space_ref: "mnv4_hybrid_s"/' -e 's/coarse_steps: 8/coarse_steps: 3/' \
  -e "s|dir: \"[^\"]*\"|dir: \"$TMP/images64\"|" -e 's/height: 32/height: 64/' -e 's/width: 32/width: 64/' \
  -e 's/budget_ms: \[[^]]*\]/budget_ms: [4]/' "$TMP/spec.textproto" >"$TMP/hybrid.textproto"
"$RIDGE" search --spec="$TMP/hybrid.textproto" --out="$TMP/hybrid" --format=json >"$TMP/out" 2>"$TMP/err" ||
  fail "mnv4_hybrid_s on 64x64 images: $(tail -3 "$TMP/err")"
json_check "hybrid fronts" "d['space'] == 'mnv4_hybrid_s' and all(t['front'] for t in d['targets'])"
grep -q "v1 64x64x3 classes=10" "$TMP/hybrid/fronts.csv" || fail "the hybrid space was not searched at 64x64"
# A bad image is named.
printf 'garbage' >"$TMP/images/class_04/zz_bad.jpg"
expect_error "bad image" "$TMP/images/class_04/zz_bad.jpg: not a decodable image" \
  "$RIDGE" search --spec="$TMP/spec.textproto"

finish
