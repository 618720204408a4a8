#!/bin/sh
# Conversion speed against the floor of copying the file (`make bench`).
#
#   sh tests/bench.sh                    (K2ONNX = converter, default ./k2onnx)
#
# 1. Large models (stacked LSTMs + Dense, tests/bench/gen_big_model.py; SIZES in MB, default
#    "1 10 100 201.5", cached in build/bench/): RUNS paired runs (default 5) of
#    `dd if=MODEL of=COPY bs=1M` then `k2onnx MODEL -o OUT`; the medians, MB/s, the ratio to dd
#    and k2onnx's peak resident memory (GNU time's %M, when /usr/bin/time is there).
# 2. Compressed and archived forms of the same generated model (ARCHIVE_MB, default 100): its
#    weights chunked through the deflate filter (`.h5`, against dd), a Keras 3 `.keras` archive as
#    Keras saves it, members stored (against `cp` of the archive, and `cp` to a new file then `mv`
#    over the old copy, which is how k2onnx replaces its output; and both to a new file, with no
#    earlier output to replace, first with the archive as its writer just left it in the page
#    cache, then as read back from disk), and the same archive with
#    deflated members (against `unzip -p ARCHIVE model.weights.h5 > FILE`); then every `.keras`
#    archive of the corpus, as stored and re-packed deflated, against the same. RUNS paired runs.
# 3. Checksums and inflate, k2onnx's (tests/bench/codec_bench.c) next to zlib's
#    (tests/bench/zlib_bench.py, Python's zlib module), on the weights of the corpus' largest
#    .keras archive and of the 10 MB model, in MB/s.
# 4. A seed-sized model (a 17 KB fixture) against `cp`, SMALL_RUNS paired runs (default 50).
# 5. The mean time per conversion of a few fixtures and of every corpus model (RUNS_EACH, default
#    10 each), process start included.
cd "$(dirname "$0")/.." || exit 2
K2ONNX=${K2ONNX:-./k2onnx}
RUNS=${RUNS:-5}
SMALL_RUNS=${SMALL_RUNS:-50}
RUNS_EACH=${RUNS_EACH:-10}
SIZES=${SIZES:-"1 10 100 201.5"}
ARCHIVE_MB=${ARCHIVE_MB:-100}
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

# One paired row: label, the reference command's name, then the reference command and the
# k2onnx arguments separated by "--".
paired_row() {
    label=$1 refname=$2 mb=$3
    shift 3
    ref=""
    while [ "$1" != "--" ]; do ref="$ref $1"; shift; done
    shift
    : > "$OUT/r.txt"; : > "$OUT/k.txt"
    i=0
    while [ $i -lt "$RUNS" ]; do
        t0=$(now_ns); sh -c "$ref" > /dev/null 2>&1; t1=$(now_ns); echo $((t1 - t0)) >> "$OUT/r.txt"
        wall "$K2ONNX" "$@" >> "$OUT/k.txt"
        i=$((i + 1))
    done
    echo "$(median < "$OUT/r.txt") $(median < "$OUT/k.txt")" | awk -v l="$label" -v r="$refname" -v mb="$mb" '{
        printf "| %s | %.1f | %s | %.1f | %.1f | %.0f | %.2f |\n", l, mb, r, $1 / 1e6, $2 / 1e6, mb / ($2 / 1e9), $2 / $1 }'
}

# Drops a file's cached pages and reads it once: the cache then holds it in the large pieces
# read-ahead makes, as for a file read from disk rather than just written. k2onnx maps its
# input, and mapping a file cached in small pieces costs more (cp copies inside the kernel and
# does not map it).
read_from_disk() { sync; dd if="$1" iflag=nocache count=0 status=none; cat "$1" > /dev/null; }

# The same with no earlier output: both outputs are removed (untimed) before each run.
paired_row_new() {
    label=$1 mb=$2 f=$3
    : > "$OUT/r.txt"; : > "$OUT/k.txt"
    i=0
    while [ $i -lt "$RUNS" ]; do
        rm -f "$OUT/copy"; wall cp "$f" "$OUT/copy" >> "$OUT/r.txt"
        rm -f "$OUT/m.onnx"; wall "$K2ONNX" "$f" -o "$OUT/m.onnx" >> "$OUT/k.txt"
        i=$((i + 1))
    done
    echo "$(median < "$OUT/r.txt") $(median < "$OUT/k.txt")" | awk -v l="$label" -v mb="$mb" '{
        printf "| %s | %.1f | cp to a new file | %.1f | %.1f | %.0f | %.2f |\n", l, mb, $1 / 1e6, $2 / 1e6, mb / ($2 / 1e9), $2 / $1 }'
}

echo
echo "## Compressed and archived models: the same ${ARCHIVE_MB} MB model in each form (medians of $RUNS paired runs)"
echo
echo "| form | size MB | reference | reference ms | k2onnx ms | k2onnx MB/s | k2onnx / reference |"
echo "|---|---|---|---|---|---|---|"
base=build/bench/lstm_${ARCHIVE_MB}mb
for form in h5 h5-gzip keras keras-deflated; do
    case $form in
    h5) f=$base.h5 ;;
    h5-gzip) f=$base.gzip.h5 ;;
    keras) f=$base.keras ;;
    keras-deflated) f=$base.deflated.keras ;;
    esac
    [ -f "$f" ] || "$PY" tests/bench/gen_big_model.py --form $form "$f" "$ARCHIVE_MB" > "$OUT/gen.txt" || { echo "cannot generate $f"; exit 1; }
    "$K2ONNX" "$f" -o "$OUT/m.onnx" || exit 1
    mb=$(wc -c < "$f" | awk '{printf "%.1f", $1 / 1e6}')
    case $form in
    h5) paired_row ".h5, contiguous datasets" "dd bs=1M" "$mb" dd if="$f" of="$OUT/copy" bs=1M -- "$f" -o "$OUT/m.onnx" ;;
    h5-gzip) paired_row ".h5, gzip-chunked datasets" "dd bs=1M" "$mb" dd if="$f" of="$OUT/copy" bs=1M -- "$f" -o "$OUT/m.onnx" ;;
    keras)
        # written anew, so that its cached pages are as a writer leaves them on every run
        "$PY" tests/bench/gen_big_model.py --form keras "$f" "$ARCHIVE_MB" > "$OUT/gen.txt" || { echo "cannot generate $f"; exit 1; }
        paired_row ".keras, members stored" "cp" "$mb" cp "$f" "$OUT/copy" -- "$f" -o "$OUT/m.onnx"
        # k2onnx writes a new file and renames it over the old output, as cp + mv does
        paired_row ".keras, members stored" "cp + mv" "$mb" cp "$f" "$OUT/copy.new" "&&" mv "$OUT/copy.new" "$OUT/copy" -- "$f" -o "$OUT/m.onnx"
        paired_row_new ".keras, members stored, no earlier output" "$mb" "$f"
        read_from_disk "$f"
        paired_row_new ".keras, members stored, no earlier output, read from disk" "$mb" "$f" ;;
    keras-deflated) paired_row ".keras, members deflated" "unzip -p" "$mb" unzip -p "$f" model.weights.h5 ">" "$OUT/copy" -- "$f" -o "$OUT/m.onnx" ;;
    esac
    rm -f "$OUT/copy"
done

echo
echo "## Corpus .keras archives, stored as saved and re-packed deflated (medians of $RUNS paired runs)"
echo
echo "| archive | size MB | reference | reference ms | k2onnx ms | k2onnx MB/s | k2onnx / reference |"
echo "|---|---|---|---|---|---|---|"
mkdir -p build/bench/deflated
for f in ../shared/corpus/keras/*.keras; do
    [ -f "$f" ] || continue
    "$K2ONNX" "$f" -o "$OUT/m.onnx" 2>/dev/null || continue
    name=$(basename "$f")
    d=build/bench/deflated/$name
    [ -f "$d" ] || "$PY" -c "import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, zipfile.ZipFile(sys.argv[2], 'w', zipfile.ZIP_DEFLATED) as o:
    for i in z.infolist(): o.writestr(i.filename, z.read(i.filename))" "$f" "$d" || continue
    short=$(echo "$name" | cut -c1-48)
    paired_row "$short" "cp" "$(wc -c < "$f" | awk '{printf "%.1f", $1 / 1e6}')" cp "$f" "$OUT/copy" -- "$f" -o "$OUT/m.onnx"
    paired_row "$short, deflated" "unzip -p" "$(wc -c < "$d" | awk '{printf "%.1f", $1 / 1e6}')" unzip -p "$d" model.weights.h5 ">" "$OUT/copy" -- "$d" -o "$OUT/m.onnx"
    rm -f "$OUT/copy"
done

echo
echo "## Checksums and inflate: k2onnx next to zlib (MB/s of uncompressed data, best of 5 rounds)"
echo
echo "| data | size MB | CRC-32 k2onnx / zlib | Adler-32 k2onnx / zlib | Fletcher-32 k2onnx | inflate k2onnx / zlib |"
echo "|---|---|---|---|---|---|"
set --
big=$(ls -S ../shared/corpus/keras/*.keras 2>/dev/null | head -n 1)
if [ -n "$big" ]; then
    unzip -p "$big" model.weights.h5 > "$OUT/corpus_weights.h5" && set -- "$OUT/corpus_weights.h5"
fi
set -- "$@" build/bench/lstm_10mb.h5
for data in "$@"; do
    [ -f "$data" ] || continue
    "$PY" -c "import sys, zlib; open(sys.argv[2], 'wb').write(zlib.compress(open(sys.argv[1], 'rb').read(), 6))" "$data" "$OUT/data.zlib"
    build/codec_bench "$data" "$OUT/data.zlib" > "$OUT/ours.txt" || { echo "codec_bench failed on $data"; exit 1; }
    "$PY" tests/bench/zlib_bench.py "$data" "$OUT/data.zlib" > "$OUT/zlib.txt" || exit 1
    label=$(basename "$data"); [ "$data" = "$OUT/corpus_weights.h5" ] && label="model.weights.h5 of $(basename "$big" | cut -c1-40)"
    awk -v l="$label" -v mb="$(wc -c < "$data" | awk '{printf "%.1f", $1 / 1e6}')" '
        FNR == NR { ours[$1] = $2; next } { ref[$1] = $2 }
        END { printf "| %s | %s | %d / %d | %d / %d | %d | %d / %d |\n", l, mb, ours["crc32"], ref["crc32"], ours["adler32"],
              ref["adler32"], ours["fletcher32"], ours["inflate"], ref["inflate"] }' "$OUT/ours.txt" "$OUT/zlib.txt"
done

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
