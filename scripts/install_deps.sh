#!/usr/bin/env bash
# Installs every Debian package Ridge needs to build, test, run and benchmark.
# Idempotent: packages already present are skipped by apt; run as root.
# Only Debian's archive is used (see docs/build.md); nothing else is downloaded.
set -euo pipefail

PACKAGES=(
  # Build: Bazel 4 and the Java rules its toolchain registration loads.
  bazel-bootstrap bazel-rules-java
  build-essential pkg-config
  # Libraries, linked through third_party/BUILD.bazel.
  libabsl-dev libprotobuf-dev protobuf-compiler
  libgrpc++-dev protobuf-compiler-grpc
  libdnnl-dev libgtest-dev libgmock-dev libspdlog-dev libfmt-dev
  libsqlite3-dev zlib1g-dev
  # Image-folder datasets decode PNG and JPEG (supernet/image_decode.h).
  libpng-dev libjpeg62-turbo-dev
  # The controller's dashboard serves HTTP with cpp-httplib (docs/dashboard.md).
  libcpp-httplib-dev
  # ONNX's onnx.proto, compiled for `ridge export --format=onnx` (//third_party:onnx_proto).
  libonnx-dev
  # Data: Fashion-MNIST under /usr/share/datasets/fashion-mnist/.
  dataset-fashion-mnist
  # The TLS test makes a throwaway certificate with openssl's CLI.
  openssl
  # The fuzzers (bench/fuzz.sh): clang with libFuzzer and the sanitizers.
  clang-14 libclang-rt-14-dev
  # Rendering the SVG plots to PNG to look at them (docs/plots.md), and the
  # dashboard's headless-browser test (tests/dashboard_test.sh).
  chromium
  # Benchmarks and the Python client example only.
  python3-torch python3-grpcio python3-grpc-tools python3-onnx
  # tests/export_test.py runs exported ONNX models in OpenCV's DNN module.
  python3-opencv
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install_deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install_deps: missing packages (${missing[*]}); run as root" >&2
  exit 1
fi
echo "install_deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
