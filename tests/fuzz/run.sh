#!/bin/sh
# Builds the libFuzzer targets and runs each in turn.
#
#     sh tests/fuzz/run.sh                      # all five targets, FUZZ_SECONDS each
#     FUZZ_SECONDS=600 TARGETS="h5 zip" sh tests/fuzz/run.sh
#     FUZZ_ARGS="-fork=1 -ignore_crashes=1" sh tests/fuzz/run.sh   # keep going past crashes
#
# To fuzz past a finding that is known but not fixed yet, make its check recoverable and
# suppress it (see known-ubsan.supp):
#     FUZZ_CFLAGS=-fsanitize-recover=pointer-overflow \
#     UBSAN_OPTIONS=suppressions=tests/fuzz/known-ubsan.supp sh tests/fuzz/run.sh
#
# The targets are built with FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION: k2onnx.h then skips the
# comparison of checksums (HDF5 lookup3 and Fletcher-32, Adler-32, ZIP CRC-32), so that mutations
# reach the structures behind them; tests/fuzz/replay.sh replays in that mode too.
#
# The sources (targets and k2onnx.h) are copied to build/fuzz/src first, so a stack trace's line
# numbers refer to that snapshot even if k2onnx.h is edited meanwhile. Each target runs with the
# dictionary, on the working corpus build/fuzz/corpus-<target> (new inputs go there) plus the
# seeds in tests/fuzz/seeds/<target>; crash, timeout and out-of-memory inputs are written to
# build/fuzz/artifacts/<target>-*, the log to build/fuzz/<target>.log. One summary line per
# target; the exit status is non-zero if any target found something.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=$ROOT/build/fuzz
CLANG=${CLANG:-clang}
FUZZ_SECONDS=${FUZZ_SECONDS:-180}
TARGETS=${TARGETS:-h5 json zip convert inflate}
FUZZ_ARGS=${FUZZ_ARGS:-}
FUZZ_CFLAGS=${FUZZ_CFLAGS:-}
CFLAGS="-std=c99 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -DK2ONNX_DEBUG_ARENA -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -Wall -Wextra -Wpedantic $FUZZ_CFLAGS"

mkdir -p "$OUT/src/tests/fuzz" "$OUT/artifacts"
cp "$ROOT/k2onnx.h" "$OUT/src/k2onnx.h"
cp "$HERE"/*.c "$HERE"/*.h "$OUT/src/tests/fuzz/"
echo "k2onnx.h snapshot: $(cksum < "$OUT/src/k2onnx.h" | cut -d' ' -f1) ($(wc -l < "$OUT/src/k2onnx.h") lines), git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT" diff --quiet -- k2onnx.h 2>/dev/null || echo '+local changes')"

failed=0
for t in $TARGETS; do
    case $t in
    json) max_len=8192 ;;
    *) max_len=65536 ;;
    esac
    bin=$OUT/fuzz_$t
    if ! $CLANG $CFLAGS -o "$bin" "$OUT/src/tests/fuzz/fuzz_$t.c" -lm; then
        echo "fuzz $t: BUILD FAILED"
        failed=1
        continue
    fi
    corpus=$OUT/corpus-$t
    mkdir -p "$corpus"
    seeds=$HERE/seeds/$t
    [ -d "$seeds" ] || seeds=
    before=$(ls "$OUT/artifacts" | grep -c "^$t-" || true)
    log=$OUT/$t.log
    start=$(date +%s)
    # shellcheck disable=SC2086
    "$bin" -dict="$HERE/k2onnx.dict" -max_len=$max_len -timeout=10 -rss_limit_mb=2048 \
        -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$t-" \
        $FUZZ_ARGS "$corpus" $seeds > "$log" 2>&1
    rc=$?
    secs=$(( $(date +%s) - start ))
    after=$(ls "$OUT/artifacts" | grep -c "^$t-" || true)
    last=$(grep -E 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1)
    # -fork mode prints no final stats in the parent: take the count of its last status line.
    execs=$(grep 'stat::number_of_executed_units' "$log" | awk '{s += $2} END {print s + 0}')
    [ "$execs" -gt 0 ] || execs=$(echo "$last" | sed -n 's/^#\([0-9]*\).*/\1/p')
    cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
    corp=$(echo "$last" | sed -n 's/.*corp: \([0-9]*\).*/\1/p')
    files=$(ls "$corpus" | wc -l)
    bytes=$(( ($(find "$corpus" -type f -exec cat {} + | wc -c) + 1023) / 1024 ))
    found=no
    if [ "$rc" -ne 0 ] || [ "$after" -gt "$before" ]; then
        found="YES ($((after - before)) new artifacts, exit $rc; see $log)"
        failed=1
    fi
    echo "fuzz $t: ${secs}s, execs ${execs:-?}, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?} in use, ${files} files (${bytes} KiB) in $corpus, crash: $found"
done
exit $failed
