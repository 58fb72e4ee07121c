#!/usr/bin/env bash
# A campaign on a generated image folder (docs/data.md): 400 32x32 PNGs and
# JPEGs in 10 classes, searched in cifar_uib by `ridge search` with the
# example spec cut to a few steps; it must finish with fronts. A space whose
# input does not fit the images is refused, naming both shapes.
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

# The space must take the dataset's images: fmnist_uib is 28x28x1.
sed -e 's/space_ref: .*/space_ref: "fmnist_uib"/' "$TMP/spec.textproto" >"$TMP/wrong_space.textproto"
expect_error "space and dataset differ" "dataset: space 'fmnist_uib' takes 28x28x1 images and 10 classes, but the dataset (image_folder in $TMP/images) has 32x32x3 images and 10 classes; use a space with input { height: 32 width: 32 channels: 3 } and num_classes: 10" \
  "$RIDGE" search --spec="$TMP/wrong_space.textproto"
# A bad image is named.
printf 'garbage' >"$TMP/images/class_04/zz_bad.jpg"
expect_error "bad image" "$TMP/images/class_04/zz_bad.jpg: not a decodable image" \
  "$RIDGE" search --spec="$TMP/spec.textproto"

finish
