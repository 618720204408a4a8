#!/bin/sh
# Regenerate tests/fixtures: the Keras .h5 files (gen_fixtures.py, h5py) and their reference
# outputs (ref_numpy.py, float64 numpy, then ref_tfjs.js, tfjs-layers, which picks the reference
# per model and cross-checks the two). Run from anywhere; needs /usr/bin/python3 with h5py+numpy
# and node with the repo's node_modules (@tensorflow/tfjs).
#   tests/make_fixtures.sh [--keep-work]
# K2ONNX_FIXTURES_OUT=DIR writes the fixtures to DIR instead of tests/fixtures.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
PY=${K2ONNX_PYTHON:-/usr/bin/python3}
OUT=${K2ONNX_FIXTURES_OUT:-"$HERE/fixtures"}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/k2onnx-fixtures.XXXXXX")
[ "${1:-}" = "--keep-work" ] || trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"
rm -f "$OUT"/*.h5 "$OUT"/*.keras "$OUT"/*.ref.json
"$PY" "$HERE/gen_fixtures.py" --outdir "$OUT" --workdir "$WORK"
CORPUS="$ROOT/../shared/corpus"
rc=0
if [ -d "$CORPUS" ]; then
    "$PY" "$HERE/ref_numpy.py" "$WORK" --corpus "$CORPUS" >"$WORK/numpy.log" 2>&1 || rc=$?
else
    "$PY" "$HERE/ref_numpy.py" "$WORK" >"$WORK/numpy.log" 2>&1 || rc=$?
fi
grep -e '^FAIL' -e '^corpus' -e '^ref_numpy' "$WORK/numpy.log" || true
if [ $rc -ne 0 ]; then echo "make_fixtures: ref_numpy.py failed (exit $rc)" >&2; exit $rc; fi
cd "$ROOT"
node "$HERE/ref_tfjs.js" "$WORK" "$OUT" >"$WORK/ref.log" 2>&1 || rc=$?
grep -v -e '^=*$' -e 'Hi, looks like you are running' -e 'Orthogonal initializer' "$WORK/ref.log" || true
if [ $rc -ne 0 ]; then echo "make_fixtures: ref_tfjs.js failed (exit $rc)" >&2; exit $rc; fi
[ "${1:-}" = "--keep-work" ] && echo "work files kept in $WORK"
echo "fixtures: $(ls "$OUT"/*.h5 | wc -l) .h5, $(ls "$OUT"/*.keras | wc -l) .keras, $(ls "$OUT"/*.ref.json | wc -l) .ref.json, $(du -ch "$OUT"/*.h5 "$OUT"/*.keras "$OUT"/*.ref.json | tail -1 | cut -f1) total"
