#!/usr/bin/env bash
# End-to-end checks of `ridge train`, `ridge eval` and `ridge supernet train`
# on a few hundred Fashion-MNIST images and a generated image folder: outputs
# parse and carry the documented keys, checkpoints round-trip, bad input gets
# exit code 2.
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

# A teacher's soft labels: the whole 50,000-image train split whatever
# --train_images was; a student learns from them; a supernet trains by the
# sandwich rule with them; a saved supernet scores listed architectures.
expect_ok "save soft labels" "$RIDGE" train --arch=fmnist_reference --epochs=1 --batch=64 --train_images=256 \
  --save_soft_labels="$TMP/teacher.sl" --soft_label_temperature=3 --evaluate=false --format=json --threads=1
[ "$(stat -c %s "$TMP/teacher.sl")" -eq $((32 + 50000 * 52 + 4)) ] || fail "soft-label file size $(stat -c %s "$TMP/teacher.sl")"
expect_ok "distill" "$RIDGE" train --arch=fmnist_reference --epochs=1 --batch=64 --train_images=256 \
  --distill="$TMP/teacher.sl" --distill_alpha=0.7 --format=json --threads=1
json_check "distilled student" "d['steps'] == 4 and d['train_loss'] > 0"
expect_ok "sandwich supernet" "$RIDGE" supernet train --space=fmnist_uib --epochs=1 --batch=64 --train_images=256 \
  --sandwich --sandwich_samples=1 --distill="$TMP/teacher.sl" --samples=0 --checkpoint="$TMP/super.ckpt" \
  --format=json --threads=1
json_check "sandwich keys" "d['steps'] == 4 and [s['label'] for s in d['subnets']] == ['largest', 'smallest', 'fmnist_reference']"
largest=$($PY -c "import json; print(json.load(open('$TMP/out'))['subnets'][0]['proxy_accuracy'])")
"$RIDGE" space sample --space=fmnist_uib --count=2 --seed=5 --format=csv | tail -n +2 | sed 's/.*,"\{0,1\}\(v1 [^"]*\)"\{0,1\}$/\1/' >"$TMP/archs.txt"
expect_ok "supernet eval" "$RIDGE" supernet eval --checkpoint="$TMP/super.ckpt" --archs="$TMP/archs.txt" --samples=0 \
  --train_images=256 --format=json --threads=1
json_check "eval scores the listed" "[s['label'] for s in d['subnets']] == ['largest', 'smallest', 'fmnist_reference', 'listed', 'listed'] and abs(d['subnets'][0]['proxy_accuracy'] - $largest) < 1e-9"
expect_error "distill from a missing file" "--distill: $TMP/nope.sl: cannot open" \
  "$RIDGE" train --arch=fmnist_reference --epochs=1 --distill="$TMP/nope.sl"
head -c 1000 "$TMP/teacher.sl" >"$TMP/cut.sl"
expect_error "truncated soft labels" "(truncated or padded)" \
  "$RIDGE" train --arch=fmnist_reference --epochs=1 --distill="$TMP/cut.sl"
expect_error "bad alpha" "--distill_alpha: 1.5 must be in [0, 1]" "$RIDGE" train --arch=fmnist_reference --distill_alpha=1.5
echo "v1 28x28x1 classes=10 act=relu ls=0 : conv(3,2,8) pool fc" >"$TMP/foreign.txt"
expect_error "an architecture outside the space" "--archs: $TMP/foreign.txt:1" \
  "$RIDGE" supernet eval --checkpoint="$TMP/super.ckpt" --archs="$TMP/foreign.txt" --train_images=256

for cmd in "train" "eval" "supernet train" "supernet eval"; do
  # shellcheck disable=SC2086
  expect_ok "help $cmd" "$RIDGE" $cmd --help
  grep -q "^usage: ridge $cmd" "$TMP/out" || fail "help $cmd"
done

expect_error "wrong input shape" "--arch: architecture 'mobilenetv4_conv_small' takes 224x224x3 images and 1000 classes, but the dataset (idx in /usr/share/datasets/fashion-mnist) has 28x28x1 images and 10 classes; use an architecture with input { height: 28 width: 28 channels: 1 }" \
  "$RIDGE" train --arch=mobilenetv4_conv_small --epochs=1
expect_error "bad epochs" "--epochs: 0 must be in [1, 1000]" "$RIDGE" train --arch=fmnist_reference --epochs=0
expect_error "bad optimizer" "--optimizer: 'adam' is not one of {sgd, rmsprop}" \
  "$RIDGE" train --arch=fmnist_reference --optimizer=adam
expect_error "batch over images" "--train_images: 100 must be in [128, 10000000]" \
  "$RIDGE" train --arch=fmnist_reference --train_images=100
expect_error "eval without checkpoint" "--checkpoint: must be given" "$RIDGE" eval
head -c 200 "$TMP/ref.ckpt" >"$TMP/cut.ckpt"
"$RIDGE" eval --checkpoint="$TMP/cut.ckpt" >"$TMP/out" 2>"$TMP/err"
[ $? -ne 0 ] && grep -q "checksum mismatch\|truncated" "$TMP/err" || fail "truncated checkpoint: $(cat "$TMP/err")"
expect_error "unknown space" "--space: 'nope' is neither a built-in space" "$RIDGE" supernet train --space=nope
expect_error "missing data" "/nonexistent/train-images-idx3-ubyte.gz: cannot open" \
  "$RIDGE" train --arch=fmnist_reference --data_dir=/nonexistent

# Another dataset (docs/data.md): an image folder of 32x32 RGB PNGs and JPEGs
# in 10 classes, resized to the network's input; 80 images leave 64 to train.
$PY "$(dirname "$0")/../tests/make_image_folder.py" "$TMP/folder" 10 8 || fail "generating the image folder"
expect_error "split seed on IDX" "--split_seed: 2: --data_format=idx splits by position" \
  "$RIDGE" train --arch=fmnist_reference --split_seed=2 --epochs=1
FOLDER=(--data="$TMP/folder" --data_format=image_folder --split_seed=3)
expect_ok "train on an image folder" "$RIDGE" train --arch=cifar_reference "${FOLDER[@]}" --epochs=2 --batch=16 \
  --checkpoint="$TMP/cifar.ckpt" --format=json --threads=1
json_check "image folder train" "d['steps'] == 8 and 0 <= d['valid_accuracy'] <= 1 and 0 <= d['test_accuracy'] <= 1"
valid=$($PY -c "import json; print(json.load(open('$TMP/out'))['valid_accuracy'])")
expect_ok "eval on an image folder" "$RIDGE" eval --checkpoint="$TMP/cifar.ckpt" "${FOLDER[@]}" --format=json --threads=1
json_check "image folder eval matches training" "abs(d['valid_accuracy'] - $valid) < 1e-9"
expect_ok "supernet on an image folder" "$RIDGE" supernet train --space=cifar_uib "${FOLDER[@]}" --epochs=1 --batch=16 \
  --samples=0 --format=json --threads=1
json_check "image folder supernet" "d['steps'] == 4 and [s['label'] for s in d['subnets']] == ['largest', 'smallest', 'cifar_reference']"
$PY "$(dirname "$0")/../tests/make_image_folder.py" "$TMP/three" 3 4 || fail "generating the 3-class folder"
# A concrete architecture must fit the data; a space is fitted to it.
expect_error "classes differ" "architecture 'cifar_reference' takes 32x32x3 images and 10 classes, but the dataset (image_folder in $TMP/three) has 32x32x3 images and 3 classes; use an architecture with input { height: 32 width: 32 channels: 3 } and num_classes: 3" \
  "$RIDGE" train --arch=cifar_reference --data="$TMP/three" --data_format=image_folder --epochs=1 --batch=4
expect_ok "space fitted to the classes" "$RIDGE" supernet train --space=cifar_uib --data="$TMP/three" \
  --data_format=image_folder --epochs=1 --batch=4 --samples=0 --threads=1
grep -q "space cifar_uib trained at the dataset's 32x32x3 with 3 classes" "$TMP/err" ||
  fail "the supernet did not say it fitted the space: $(tail -2 "$TMP/err")"
printf 'not an image' >"$TMP/three/class_01/bad.png"
expect_error "bad image" "$TMP/three/class_01/bad.png: not a decodable image" \
  "$RIDGE" train --arch=cifar_reference --data="$TMP/three" --data_format=image_folder --epochs=1 --batch=4
expect_error "format without data" "--data: must be given with --data_format=cifar10" \
  "$RIDGE" train --arch=cifar_reference --data_format=cifar10
expect_error "unknown format" "--data_format: 'bmp' is not one of {idx, cifar10, cifar100, image_folder}" \
  "$RIDGE" train --arch=cifar_reference --data_format=bmp
expect_error "missing cifar" "$TMP/nocifar/data_batch_1.bin: cannot open" \
  "$RIDGE" train --arch=cifar_reference --data="$TMP/nocifar" --data_format=cifar10

finish
