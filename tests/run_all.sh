#!/bin/sh
# Run every k2onnx test suite and sum their results.
#
#   sh tests/run_all.sh [suite ...]     (suites are passed on to run_e2e.js: fixtures corpus bad)
#
# Environment:
#   K2ONNX      converter under test (default ./k2onnx), e.g. K2ONNX=build/k2onnx-asan
#   UNIT_TESTS  C unit test binary (default build/unit_tests), e.g. build/unit_tests-asan
#   INFLATE_CHECK  the inflater test tool (default build/inflate_check), e.g. build/inflate_check-asan
#   NODE        node executable (default node)
#   PYTHON      python with h5py for the HDF5 suites (default /usr/bin/python3)
#   K2ONNX_OPSET_SWEEP  0 leaves out the every-opset suite
# plus what run_e2e.js reads (K2ONNX_CORPUS, K2ONNX_PYTHON, K2ONNX_TIMEOUT).
#
# Each runner prints `N passed, M failed` as its last such line; a runner that dies without one
# counts as one failure. Ends with the summed `N passed, M failed`; exit 1 if anything failed.

cd "$(dirname "$0")/.." || exit 2
UNIT_TESTS=${UNIT_TESTS:-build/unit_tests}
NODE=${NODE:-node}
LOG_DIR=tests/out
mkdir -p "$LOG_DIR"

. tests/run_lib.sh

if [ -x "$UNIT_TESTS" ]; then
    # A 128 MB model (four times the 32 MiB memory cap the unit test converts it under).
    BIG=build/bench/lstm_128mb.h5
    if [ ! -f "$BIG" ]; then
        mkdir -p build/bench && "${PYTHON:-/usr/bin/python3}" tests/bench/gen_big_model.py "$BIG" 128 > /dev/null || rm -f "$BIG"
    fi
    run "unit tests" "$LOG_DIR/unit_tests.log" "$UNIT_TESTS" tests/fixtures/k22_seq_rnn.h5 tests/fixtures/k22_dyn_lstm_seq.h5 "$BIG"
else
    echo "=== unit tests: $UNIT_TESTS not built, skipped"
fi

# tests/fixtures/INDEX.md (layer class -> fixtures -> references) matches the fixtures.
run "fixture index" "$LOG_DIR/fixture_index.log" "${PYTHON:-/usr/bin/python3}" tests/fixture_index.py --check

# The header's table of contents names every section and subsection anchor of its body, in order.
run "table of contents" "$LOG_DIR/toc.log" "${PYTHON:-/usr/bin/python3}" tests/toc_check.py k2onnx.h

# The inflater and the checksums against Python's zlib (thousands of streams, truncations, bit flips).
run "inflate against zlib" "$LOG_DIR/inflate.log" "${PYTHON:-/usr/bin/python3}" tests/inflate_diff.py "${INFLATE_CHECK:-build/inflate_check}"

run "end-to-end" "$LOG_DIR/e2e.log" "$NODE" tests/run_e2e.js "$@"

# The corpus again with every recurrent layer written as a Scan loop of primitive ops.
run "corpus via Scan" "$LOG_DIR/e2e_scan.log" env K2ONNX_ARGS=--scan-rnn "$NODE" tests/run_e2e.js corpus

# The fixtures again at opset 11 (Clip, Squeeze and Slice take other forms than at 17).
run "fixtures at opset 11" "$LOG_DIR/e2e_opset11.log" env K2ONNX_ARGS="--opset 11" "$NODE" tests/run_e2e.js fixtures

# The fixtures with their reference shapes fixed: nothing symbolic, no shapes computed at run time.
run "static shapes" "$LOG_DIR/e2e_static.log" "$NODE" tests/run_e2e.js static

# Every fixture at every opset 7..23, default and --unroll (long; the plain build only: the
# sanitizer pass sets K2ONNX_OPSET_SWEEP=0).
if [ "${K2ONNX_OPSET_SWEEP:-1}" = 1 ]; then
    run "every opset" "$LOG_DIR/e2e_opsets.log" "$NODE" tests/run_e2e.js opsets
fi

# The firmware consumers (onnx2c, libonnx; built by `make consumers`) and onnxruntime on the
# unrolled, fixed-shape form of every fixture, and on the one-step streaming cell.
run "consumers (--unroll)" "$LOG_DIR/consumers.log" env K2ONNX_ARGS=--unroll "$NODE" tests/run_consumers.js --list tests/consumers/unrolled.txt
run "streaming cell" "$LOG_DIR/consumers_stream.log" "$NODE" tests/run_consumers.js --stream --list tests/consumers/stream.txt
run "README walk-through (onnx2c)" "$LOG_DIR/walkthrough.log" env K2ONNX="$K2ONNX" sh tests/consumers/walkthrough.sh

# --summary text against tests/summary, every --dot picture rendered by Graphviz.
run "summary and picture" "$LOG_DIR/describe.log" env K2ONNX="${K2ONNX:-./k2onnx}" sh tests/describe.sh

run "hdf5 listing" "$LOG_DIR/h5.log" "${PYTHON:-/usr/bin/python3}" tests/run_h5_compare.py

run "hdf5 corruption" "$LOG_DIR/h5_corrupt.log" "${PYTHON:-/usr/bin/python3}" tests/h5_corrupt.py

echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
