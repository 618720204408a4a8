#!/bin/sh
# The README's "Running on a microcontroller" commands, run as written: convert a fixture to a
# one-step streaming cell, turn it into C with onnx2c, compile it with tests/consumers/cell_main.c
# and step the first sequence of the fixture's reference inputs through it. Every step's output
# (a return_sequences=False model: the Dense of the last h) must match; the last step is the
# Keras output. Prints `N passed, M failed`.
cd "$(dirname "$0")/../.." || exit 2
K2ONNX=${K2ONNX:-./k2onnx}
ONNX2C=${CONSUMERS_DIR:-build/consumers}/onnx2c
PY=${K2ONNX_PYTHON:-/usr/bin/python3}
WORK=tests/out/walkthrough
rm -rf "$WORK" && mkdir -p "$WORK" || exit 2
fail() { echo "FAIL walkthrough: $*"; echo "0 passed, 1 failed"; exit 1; }

"$K2ONNX" tests/fixtures/tfk2_lstm_last.h5 -o "$WORK/cell.onnx" --unroll --steps 1 --state-io --batch 1 || fail "conversion"
"$ONNX2C" "$WORK/cell.onnx" > "$WORK/cell.c" 2> "$WORK/onnx2c.log" || fail "onnx2c: $(tail -n 1 "$WORK/onnx2c.log")"
grep -q '^void entry(const float tensor_inputs\[1\]\[1\]\[2\], const float tensor_lstm_h0\[1\]\[5\], const float tensor_lstm_c0\[1\]\[5\], float tensor_dense\[1\]\[2\], float tensor_lstm_h_n\[1\]\[5\], float tensor_lstm_c_n\[1\]\[5\])' "$WORK/cell.c" \
    || fail "entry() is not the one the README shows: $(grep '^void entry' "$WORK/cell.c")"
${CC:-cc} -O2 -o "$WORK/cell" tests/consumers/cell_main.c "$WORK/cell.c" -lm 2> "$WORK/cc.log" || fail "cc: $(head -n 3 "$WORK/cc.log")"
# The first sequence of the reference inputs, one step per line; the expected last line.
"$PY" - "$WORK" <<'PYEOF' || fail "reading the reference"
import json, sys
work = sys.argv[1]
ref = json.load(open("tests/fixtures/tfk2_lstm_last.ref.json"))
x, y = ref["inputs"][0], ref["outputs"][0]
n, t, f = x["shape"]
with open(work + "/steps.txt", "w") as out:
    for s in range(t):
        out.write(" ".join("%.9g" % x["data"][s * f + k] for k in range(f)) + "\n")
with open(work + "/expected.txt", "w") as out:
    out.write(" ".join("%.9g" % v for v in y["data"][:y["shape"][1]]) + "\n")
PYEOF
"$WORK/cell" < "$WORK/steps.txt" > "$WORK/got.txt" || fail "the compiled cell failed"
"$PY" - "$WORK" <<'PYEOF' || exit 1
import sys
work = sys.argv[1]
got = open(work + "/got.txt").read().split("\n")
got = [l for l in got if l.strip()]
want = [float(v) for v in open(work + "/expected.txt").read().split()]
steps = len(open(work + "/steps.txt").read().split("\n")) - 1
last = [float(v) for v in got[-1].split()] if got else []
ok = len(got) == steps and len(last) == len(want) and all(abs(a - b) <= 1e-4 + 1e-3 * abs(b) for a, b in zip(last, want))
print("%s walkthrough: %d steps through onnx2c's C, last output %s, Keras %s" % ("PASS" if ok else "FAIL", len(got), last, want))
print("%d passed, %d failed" % (1 if ok else 0, 0 if ok else 1))
sys.exit(0 if ok else 1)
PYEOF
