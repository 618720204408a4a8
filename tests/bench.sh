#!/bin/sh
# Conversion speed against the floor of copying the file (`make bench`).
#
#   sh tests/bench.sh                    (K2ONNX = converter, default ./k2onnx)
#
# 1. Large models (stacked LSTMs + Dense, tests/bench/gen_big_model.py; SIZES in MB, default
#    "1 10 100 201.5", cached in build/bench/): RUNS paired runs (default 5) of
#    `dd if=MODEL of=COPY bs=1M` then `k2onnx MODEL -o OUT`; the medians, MB/s, the ratio to dd
#    and k2onnx's peak resident memory (GNU time's %M, when /usr/bin/time is there).
# 2. A seed-sized model (a 17 KB fixture) against `cp`, SMALL_RUNS paired runs (default 50).
# 3. The mean time per conversion of a few fixtures and of every corpus model (RUNS_EACH, default
#    10 each), process start included.
cd "$(dirname "$0")/.." || exit 2
K2ONNX=${K2ONNX:-./k2onnx}
RUNS=${RUNS:-5}
SMALL_RUNS=${SMALL_RUNS:-50}
RUNS_EACH=${RUNS_EACH:-10}
SIZES=${SIZES:-"1 10 100 201.5"}
PY=${PYTHON:-/usr/bin/python3}
OUT=$(mktemp -d "${TMPDIR:-/tmp}/k2onnx-bench.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
mkdir -p build/bench

now_ns() { date +%s%N; }
# Runs a command, prints its wall time in ns.
wall() { t0=$(now_ns); "$@" > /dev/null 2>&1; t1=$(now_ns); echo $((t1 - t0)); }
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
peak_kb() {
    if [ -x /usr/bin/time ]; then /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1; else echo "-"; fi
}

echo "## Large models: k2onnx against dd bs=1M of the same file (medians of $RUNS paired runs)"
echo
echo "| model | size MB | dd ms | k2onnx ms | k2onnx MB/s | k2onnx / dd | peak RSS MB |"
echo "|---|---|---|---|---|---|---|"
for mb in $SIZES; do
    model=build/bench/lstm_${mb}mb.h5
    [ -f "$model" ] || "$PY" tests/bench/gen_big_model.py "$model" "$mb" > "$OUT/gen.txt" || { echo "cannot generate $model"; exit 1; }
    "$K2ONNX" "$model" -o "$OUT/m.onnx" || exit 1
    : > "$OUT/dd.txt"; : > "$OUT/k.txt"
    i=0
    while [ $i -lt "$RUNS" ]; do
        wall dd if="$model" of="$OUT/copy" bs=1M >> "$OUT/dd.txt"
        wall "$K2ONNX" "$model" -o "$OUT/m.onnx" >> "$OUT/k.txt"
        i=$((i + 1))
    done
    bytes=$(wc -c < "$model")
    dd_ns=$(median < "$OUT/dd.txt"); k_ns=$(median < "$OUT/k.txt")
    rss=$(peak_kb "$K2ONNX" "$model" -o "$OUT/m.onnx")
    units=$("$PY" -c "import h5py; f = h5py.File('$model'); print(f['model_weights/lstm/lstm/lstm_cell/recurrent_kernel:0'].shape[0])" 2>/dev/null || echo "?")
    echo "$bytes $dd_ns $k_ns $rss $units" | awk '{
        mb = $1 / 1e6; rss = ($4 == "-") ? "-" : sprintf("%.0f", $4 / 1024);
        printf "| 3 x LSTM(%s) over 512 + Dense | %.1f | %.1f | %.1f | %.0f | %.2f | %s |\n", $5, mb, $2 / 1e6, $3 / 1e6, mb / ($3 / 1e9), $3 / $2, rss }'
done
rm -f "$OUT/copy"

echo
small=tests/fixtures/k22_lstm_last_state.h5
echo "## A seed-sized model ($(wc -c < "$small") bytes) against cp (medians of $SMALL_RUNS paired runs)"
echo
: > "$OUT/cp.txt"; : > "$OUT/k.txt"
i=0
while [ $i -lt "$SMALL_RUNS" ]; do
    wall cp "$small" "$OUT/small.copy" >> "$OUT/cp.txt"
    wall "$K2ONNX" "$small" -o "$OUT/small.onnx" >> "$OUT/k.txt"
    i=$((i + 1))
done
echo "$(median < "$OUT/cp.txt") $(median < "$OUT/k.txt")" | awk '{printf "cp %.2f ms, k2onnx %.2f ms (%.2f x cp), process start included\n", $1 / 1e6, $2 / 1e6, $2 / $1}'

echo
echo "## Fixtures and corpus: mean wall time per conversion ($RUNS_EACH runs each)"
echo
set -- tests/fixtures/k22_lstm_state.h5 tests/fixtures/tfk2_bidi_lstm_concat_seq.h5 tests/fixtures/k22_mask_lstm_seq.h5
for f in ../shared/corpus/keras/*.h5 ../shared/corpus/keras/*.keras; do [ -f "$f" ] && set -- "$@" "$f"; done
total_ns=0; count=0
printf '%-72s %10s %10s %10s\n' model "ms/conv" "in KB" "out KB"
for f in "$@"; do
    "$K2ONNX" "$f" -o "$OUT/m.onnx" 2>/dev/null || continue
    t0=$(now_ns)
    i=0
    while [ $i -lt "$RUNS_EACH" ]; do "$K2ONNX" "$f" -o "$OUT/m.onnx" 2>/dev/null; i=$((i + 1)); done
    t1=$(now_ns)
    ns=$(( (t1 - t0) / RUNS_EACH ))
    total_ns=$((total_ns + ns)); count=$((count + 1))
    printf '%-72s %10s %10s %10s\n' "$(basename "$f" | cut -c1-72)" "$(echo "$ns" | awk '{printf "%.2f", $1 / 1e6}')" \
        "$(( $(wc -c < "$f") / 1024 ))" "$(( $(wc -c < "$OUT/m.onnx") / 1024 ))"
done
[ $count -gt 0 ] && echo "$count models, mean $(echo "$total_ns $count" | awk '{printf "%.2f", $1 / $2 / 1e6}') ms per conversion (process start included)"
exit 0
