#!/bin/sh
# Conversion speed: converts each model several times and prints the mean wall time per
# conversion, the input and output sizes, and the totals. Uses the corpus when it is present.
#   sh tests/bench.sh [MODEL ...]        (K2ONNX = converter, default ./k2onnx; RUNS, default 10)
cd "$(dirname "$0")/.." || exit 2
K2ONNX=${K2ONNX:-./k2onnx}
RUNS=${RUNS:-10}
OUT=$(mktemp -d "${TMPDIR:-/tmp}/k2onnx-bench.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
if [ $# -eq 0 ]; then
    set -- tests/fixtures/k22_lstm_state.h5 tests/fixtures/tfk2_bidi_lstm_concat_seq.h5 tests/fixtures/k22_mask_lstm_seq.h5
    for f in ../shared/corpus/keras/*.h5 ../shared/corpus/keras/*.keras; do [ -f "$f" ] && set -- "$@" "$f"; done
fi
now_ns() { date +%s%N; }
total_ns=0; count=0
printf '%-72s %10s %10s %10s\n' model "ms/conv" "in KB" "out KB"
for f in "$@"; do
    "$K2ONNX" "$f" -o "$OUT/m.onnx" 2>/dev/null || continue
    t0=$(now_ns)
    i=0
    while [ $i -lt "$RUNS" ]; do "$K2ONNX" "$f" -o "$OUT/m.onnx" 2>/dev/null; i=$((i + 1)); done
    t1=$(now_ns)
    ns=$(( (t1 - t0) / RUNS ))
    total_ns=$((total_ns + ns)); count=$((count + 1))
    printf '%-72s %10s %10s %10s\n' "$(basename "$f" | cut -c1-72)" "$(echo "$ns" | awk '{printf "%.2f", $1 / 1e6}')" \
        "$(( $(wc -c < "$f") / 1024 ))" "$(( $(wc -c < "$OUT/m.onnx") / 1024 ))"
done
[ $count -gt 0 ] && echo "$count models, mean $(echo "$total_ns $count" | awk '{printf "%.2f", $1 / $2 / 1e6}') ms per conversion (process start included)"
