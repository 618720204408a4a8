#!/bin/sh
# --summary and --dot on every fixture: the summary text equals tests/summary/<fixture>.txt, and
# the DOT picture renders with Graphviz (dot -Tsvg, with no warning). Also: --summary beside -o
# leaves the ONNX bytes as they are, and the describe-only run writes no ONNX file.
#   sh tests/describe.sh            check
#   sh tests/describe.sh --update   rewrite the expected summaries (review the diff by hand)
# Ends with "N passed, M failed".
set -u
cd "$(dirname "$0")/.."
K2ONNX=${K2ONNX:-./k2onnx}
out=tests/out/describe
rm -rf "$out"
mkdir -p "$out" tests/summary
passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }

if ! command -v dot > /dev/null 2>&1; then
    echo "FAIL describe: Graphviz dot is missing (make deps installs graphviz)"
    echo "0 passed, 1 failed"
    exit 1
fi
for f in tests/fixtures/*.h5 tests/fixtures/*.keras; do
    b=$(basename "$f")
    "$K2ONNX" "$f" --summary --dot "$out/$b.dot" > "$out/$b.txt" 2> "$out/$b.err"
    rc=$?
    if [ "${1:-}" = --update ]; then
        [ $rc = 0 ] && cp "$out/$b.txt" "tests/summary/$b.txt"
        continue
    fi
    if [ ! -f "tests/summary/$b.txt" ]; then
        [ $rc = 0 ] && fail "summary $b: no tests/summary/$b.txt" || pass
        continue
    fi
    if [ $rc != 0 ]; then
        fail "summary $b: exit $rc: $(head -c 300 "$out/$b.err")"
    elif ! cmp -s "$out/$b.txt" "tests/summary/$b.txt"; then
        fail "summary $b differs from tests/summary/$b.txt:"
        diff "tests/summary/$b.txt" "$out/$b.txt" | head -n 8
    else
        pass
    fi
    if [ $rc = 0 ]; then
        if dot -Tsvg "$out/$b.dot" > "$out/$b.svg" 2> "$out/$b.doterr" && [ ! -s "$out/$b.doterr" ] && grep -q '</svg>' "$out/$b.svg"; then
            pass
        else
            fail "dot $b: $(head -c 300 "$out/$b.doterr")"
        fi
        rm -f "$out/$b.svg"
    fi
done
[ "${1:-}" = --update ] && { echo "updated $(ls tests/summary | wc -l) summaries"; exit 0; }

# The summary and the picture do not change the ONNX, and without -o nothing else is written.
seed=tests/fixtures/k22_lstm_state.h5
"$K2ONNX" "$seed" -o "$out/plain.onnx" && "$K2ONNX" "$seed" -o "$out/described.onnx" --summary --dot "$out/seed.dot" > "$out/seed.txt" &&
    cmp -s "$out/plain.onnx" "$out/described.onnx" && cmp -s "$out/seed.txt" tests/summary/k22_lstm_state.h5.txt &&
    cmp -s "$out/seed.dot" "$out/k22_lstm_state.h5.dot" && pass || fail "describe: -o with --summary and --dot changes the ONNX or the text"
"$K2ONNX" "$seed" --dot - > "$out/stdout.dot" && cmp -s "$out/stdout.dot" "$out/k22_lstm_state.h5.dot" && pass || fail "describe: --dot - differs from --dot FILE"
before=$(ls "$out" | wc -l)
"$K2ONNX" "$seed" --summary > /dev/null && [ "$(ls "$out" | wc -l)" = "$before" ] && pass || fail "describe: --summary alone wrote a file"
# A refused model prints nothing on standard output and writes no picture.
"$K2ONNX" tests/fixtures/k22_seq_rnn.h5 --summary --dot "$out/refused.dot" --opset 7 --rename nope=x > "$out/refused.txt" 2> "$out/refused.err"
[ $? = 1 ] && [ ! -s "$out/refused.txt" ] && [ ! -e "$out/refused.dot" ] && [ "$(wc -l < "$out/refused.err")" = 1 ] && pass ||
    fail "describe: a refused conversion printed a summary or wrote a picture"
# A model name with a newline and a tab (from the file) stays on its line, and the picture parses.
"${PYTHON:-/usr/bin/python3}" - "$out/ctrl.h5" <<'PY'
import json, shutil, sys
import h5py
shutil.copy("tests/fixtures/k22_seq_rnn.h5", sys.argv[1])
with h5py.File(sys.argv[1], "r+") as f:
    cfg = json.loads(f.attrs["model_config"])
    cfg["config"]["name"] = "seq\nuential\t1"
    f.attrs["model_config"] = json.dumps(cfg)
PY
"$K2ONNX" "$out/ctrl.h5" --summary --dot "$out/ctrl.dot" > "$out/ctrl.txt" 2> "$out/ctrl.err" && head -n 1 "$out/ctrl.txt" | grep -qx 'Model: "seq?uential?1"' &&
    [ "$(wc -l < "$out/ctrl.txt")" = "$(wc -l < tests/summary/k22_seq_rnn.h5.txt)" ] && dot -Tsvg "$out/ctrl.dot" > /dev/null 2>&1 && pass ||
    fail "describe: a model name with control characters: $(head -c 200 "$out/ctrl.err")"
# Usage: two writers on standard output, --dot onto the input or the output.
for args in "--summary -o -" "--summary --dot -" "--dot - -o -" "--dot $out/same -o $out/same"; do
    # shellcheck disable=SC2086
    "$K2ONNX" "$seed" $args > /dev/null 2>&1
    [ $? = 2 ] && pass || fail "describe: '$args' is not a usage error"
done
cp "$seed" "$out/input.h5"
"$K2ONNX" "$out/input.h5" --dot "$out/input.h5" > /dev/null 2>&1
[ $? = 1 ] && cmp -s "$seed" "$out/input.h5" && pass || fail "describe: --dot onto the input model"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
