#!/bin/sh
# Installs what the tests need, only when missing: valgrind, graphviz, clang (with libFuzzer), lld and
# chromium (the web page), cmake and
# protobuf (to build onnx2c), cross compilers, qemu, musl, tcc and the arm-none-eabi toolchain, Debian's h5py/numpy/onnx for /usr/bin/python3
# (fixture generation, HDF5 reading of reference files, onnx.checker) and the npm packages pinned
# in package-lock.json (onnxruntime-node runs the converted models, tfjs computes references).
set -e
cd "$(dirname "$0")/.."
SUDO=
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then SUDO=sudo; fi

if ! /usr/bin/python3 -c 'import h5py, numpy, onnx' >/dev/null 2>&1; then
    echo "installing python3-h5py python3-numpy python3-onnx"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-h5py python3-numpy python3-onnx >/dev/null
fi
if ! command -v clang >/dev/null 2>&1 || ! command -v g++ >/dev/null 2>&1; then
    echo "installing clang g++"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq clang g++ >/dev/null
fi
# onnx2c, one of the consumers tests/run_consumers.js runs, is built from ../shared/tools with
# cmake and protobuf (sh ../shared/tools/build_consumers.sh build/consumers).
if ! command -v cmake >/dev/null 2>&1 || ! command -v g++ >/dev/null 2>&1 || ! command -v protoc >/dev/null 2>&1 \
    || [ ! -f /usr/include/google/protobuf/message.h ]; then
    echo "installing cmake g++ libprotobuf-dev protobuf-compiler"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq cmake g++ libprotobuf-dev protobuf-compiler >/dev/null
fi
# The cross runs (tests/cross.sh: big-endian and 32-bit targets under qemu-user, musl, tcc) and
# the Cortex-M4 firmware test (tests/firmware: arm-none-eabi-gcc with newlib-nano under
# qemu-system-arm).
missing=
for tool in s390x-linux-gnu-gcc:gcc-s390x-linux-gnu powerpc-linux-gnu-gcc:gcc-powerpc-linux-gnu \
    i686-linux-gnu-gcc:gcc-i686-linux-gnu arm-linux-gnueabihf-gcc:gcc-arm-linux-gnueabihf qemu-s390x:qemu-user \
    musl-gcc:musl-tools tcc:tcc arm-none-eabi-gcc:gcc-arm-none-eabi qemu-system-arm:qemu-system-arm; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || missing="$missing ${tool#*:}"
done
[ -f /usr/lib/arm-none-eabi/newlib/thumb/v7e-m+fp/hard/libc_nano.a ] || missing="$missing libnewlib-arm-none-eabi"
if [ -n "$missing" ]; then
    echo "installing$missing"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi
if ! command -v man >/dev/null 2>&1; then
    echo "installing man-db (tests/install.sh renders the man page)"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq man-db >/dev/null
fi
if ! command -v dot >/dev/null 2>&1; then
    echo "installing graphviz (tests/describe.sh renders every --dot picture)"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq graphviz >/dev/null
fi
# The web page: clang's wasm32 target with lld's wasm-ld (make web), run in Debian's Chromium
# by playwright-core (tests/web.js).
if ! command -v wasm-ld >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1; then
    echo "installing lld chromium (make web, tests/web.js)"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq lld chromium >/dev/null
fi
if ! command -v valgrind >/dev/null 2>&1; then
    echo "installing valgrind"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq valgrind >/dev/null
fi
if [ ! -d node_modules/onnxruntime-node ] || [ ! -d node_modules/@tensorflow/tfjs ] || [ ! -d node_modules/playwright-core ]; then
    echo "installing npm packages (npm ci)"
    # The package's install script would try to fetch CUDA files; the CPU binary is in the package.
    ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund >/dev/null
fi
