#!/usr/bin/env bash
# End-to-end checks of `ridge train`, `ridge eval` and `ridge supernet train`
# on a few hundred Fashion-MNIST images: outputs parse and carry the
# documented keys, checkpoints round-trip, bad input gets exit code 2.
set -u
RIDGE="${RIDGE:-cli/ridge}"
# shellcheck source=cli/test_lib.sh
source "$(dirname "$0")/test_lib.sh"


expect_ok "train" "$RIDGE" train --arch=fmnist_reference --epochs=2 --batch=64 --train_images=512 \
  --checkpoint="$TMP/ref.ckpt" --format=json --threads=1
json_check "train keys" "d['steps'] == 16 and 0 <= d['valid_accuracy'] <= 1 and 0 <= d['test_accuracy'] <= 1 and d['images_per_sec'] > 0 and d['steady_images_per_sec'] > 0"
grep -q "epoch 2/2" "$TMP/err" || fail "train shows no progress lines"
valid=$($PY -c "import json; print(json.load(open('$TMP/out'))['valid_accuracy'])")

expect_ok "eval" "$RIDGE" eval --checkpoint="$TMP/ref.ckpt" --format=json --threads=1
json_check "eval matches training" "d['epoch'] == 2 and abs(d['valid_accuracy'] - $valid) < 1e-9"

expect_ok "supernet train" "$RIDGE" supernet train --space=fmnist_uib --epochs=1 --batch=64 --train_images=512 \
  --samples=1 --format=json --threads=1
json_check "supernet keys" "d['steps'] == 8 and [s['label'] for s in d['subnets']] == ['largest', 'smallest', 'fmnist_reference', 'sample_0'] and all(0 <= s['proxy_accuracy'] <= 1 for s in d['subnets'])"

for cmd in "train" "eval" "supernet train"; do
  # shellcheck disable=SC2086
  expect_ok "help $cmd" "$RIDGE" $cmd --help
  grep -q "^usage: ridge $cmd" "$TMP/out" || fail "help $cmd"
done

expect_error "wrong input shape" "Fashion-MNIST needs input 28x28x1 and 10 classes" \
  "$RIDGE" train --arch=mobilenetv4_conv_small --epochs=1
expect_error "bad epochs" "--epochs: 0 must be in [1, 1000]" "$RIDGE" train --arch=fmnist_reference --epochs=0
expect_error "bad optimizer" "--optimizer: 'adam' is not one of {sgd, rmsprop}" \
  "$RIDGE" train --arch=fmnist_reference --optimizer=adam
expect_error "batch over images" "--train_images: 100 must be in [128, 50000]" \
  "$RIDGE" train --arch=fmnist_reference --train_images=100
expect_error "eval without checkpoint" "--checkpoint: must be given" "$RIDGE" eval
head -c 200 "$TMP/ref.ckpt" >"$TMP/cut.ckpt"
"$RIDGE" eval --checkpoint="$TMP/cut.ckpt" >"$TMP/out" 2>"$TMP/err"
[ $? -ne 0 ] && grep -q "checksum mismatch\|truncated" "$TMP/err" || fail "truncated checkpoint: $(cat "$TMP/err")"
expect_error "unknown space" "--space: 'nope' is neither a built-in space" "$RIDGE" supernet train --space=nope
expect_error "missing data" "/nonexistent/train-images-idx3-ubyte.gz: cannot open" \
  "$RIDGE" train --arch=fmnist_reference --data_dir=/nonexistent

finish
