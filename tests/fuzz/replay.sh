#!/bin/sh
# Replays every file in tests/regress/ (or the files and directories given as arguments) through
# all five fuzz targets, built without libFuzzer: with $CC (default cc) once under
# AddressSanitizer + UndefinedBehaviorSanitizer and once plain, and, when CC is not set and clang
# is installed, once more with clang's sanitizers (clang's UBSan also flags arithmetic on a null
# pointer, which gcc's does not) in the fuzzing mode of tests/fuzz/run.sh, which skips checksum
# comparisons (FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION), so that inputs found that way replay.
#
#     sh tests/fuzz/replay.sh [FILE|DIR ...]
#     CC=gcc sh tests/fuzz/replay.sh
#
# One case per file per target; it fails if any build reports a sanitizer error or exits
# non-zero. Ends with "N passed, M failed" and exits non-zero if any case failed.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=$ROOT/build/fuzz-replay
VARIANTS="asan plain"
if [ -z "${CC:-}" ] && command -v clang > /dev/null 2>&1; then VARIANTS="asan plain clang-asan"; fi
CC=${CC:-cc}
WARN="-std=c99 -Wall -Wextra -Wpedantic"
TARGETS="h5 json zip convert inflate"
mkdir -p "$OUT"

for t in $TARGETS; do
    $CC $WARN -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -DK2ONNX_DEBUG_ARENA \
        -DK2ONNX_FUZZ_STANDALONE -o "$OUT/fuzz_$t-asan" "$HERE/fuzz_$t.c" -lm || { echo "build of fuzz_$t (asan) failed"; exit 2; }
    $CC $WARN -O2 -g -DK2ONNX_FUZZ_STANDALONE -o "$OUT/fuzz_$t-plain" "$HERE/fuzz_$t.c" -lm || { echo "build of fuzz_$t failed"; exit 2; }
    case $VARIANTS in
    *clang-asan*)
        clang $WARN -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -DK2ONNX_DEBUG_ARENA \
            -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -DK2ONNX_FUZZ_STANDALONE -o "$OUT/fuzz_$t-clang-asan" "$HERE/fuzz_$t.c" -lm || { echo "build of fuzz_$t (clang) failed"; exit 2; } ;;
    esac
done

list=$OUT/inputs.txt
: > "$list"
[ $# -gt 0 ] || set -- "$ROOT/tests/regress"
for arg in "$@"; do
    if [ -d "$arg" ]; then
        find "$arg" -type f ! -name 'README*' ! -name '.*' | sort >> "$list"
    else
        echo "$arg" >> "$list"
    fi
done

pass=0
fail=0
while IFS= read -r f; do
    for t in $TARGETS; do
        ok=1
        for v in $VARIANTS; do
            bin=$OUT/fuzz_$t-$v
            if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
                "$bin" "$f" > "$OUT/last.log" 2>&1; then
                ok=0
                echo "FAIL $t ($v): $f"
                grep -E 'ERROR|SUMMARY|runtime error|#[0-3] ' "$OUT/last.log" | head -n 8 | sed 's/^/    /'
            fi
        done
        if [ "$ok" -eq 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
    done
done < "$list"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
