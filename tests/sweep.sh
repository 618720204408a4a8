#!/bin/sh
# Deterministic mutation sweep (tests/sweep.c) under AddressSanitizer + UndefinedBehaviorSanitizer.
#
#   sh tests/sweep.sh                 every fixture of at most SWEEP_MAX_SIZE bytes
#   sh tests/sweep.sh [sweep args]    e.g. tests/fixtures/k1_gru_seq.h5, or --flips 1000 DIR
#   build/sweep-asan --only flip:17 FILE [--save out.bin]    rebuild and rerun one case
#
# Environment:
#   CC              compiler (default cc)
#   SWEEP           sweep binary to run instead of building build/sweep-asan (e.g. a plain -O2 build)
#   SWEEP_MAX_SIZE  size cap for the default fixture set (default 16384; at the time of writing 186
#                   files, 5.4 million cases, about 3 minutes on one core under ASan+UBSan)
#
# Builds build/sweep-asan when it is missing or older than its sources. Ends with the sweep's
# `N passed, M failed` line (one test per file and mutation kind); if the sweep dies without one,
# or cannot be built, prints `0 passed, 1 failed`. Exit status 1 if anything failed.

cd "$(dirname "$0")/.." || exit 2
CC=${CC:-cc}
BIN=${SWEEP:-build/sweep-asan}
MAX_SIZE=${SWEEP_MAX_SIZE:-16384}
LOG_DIR=tests/out
mkdir -p "$LOG_DIR" build

if [ -z "$SWEEP" ]; then
    if [ ! -x "$BIN" ] || [ -n "$(find tests/sweep.c k2onnx.h -newer "$BIN")" ]; then
        echo "sweep: building $BIN"
        if ! $CC -std=c99 -Wall -Wextra -Wpedantic -Werror -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -DK2ONNX_DEBUG_ARENA \
            -fno-omit-frame-pointer -o "$BIN" tests/sweep.c -lm; then
            echo "sweep: build failed"
            echo "0 passed, 1 failed"
            exit 1
        fi
    fi
fi

# A small quarantine: each call frees its arena before the next one, and a large quarantine only
# costs page faults. Sanitizer reports must end the child (the sweep names the case then).
ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=16}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
export ASAN_OPTIONS UBSAN_OPTIONS

if [ $# -eq 0 ]; then
    set -- --max-size "$MAX_SIZE" tests/fixtures tests/fixtures/h5
fi

log=$LOG_DIR/sweep.log
start=$(date +%s)
{ "$BIN" "$@" 2>&1; echo $? > "$log.rc"; } | tee "$log"
rc=$(cat "$log.rc" 2>/dev/null || echo 99)
echo "sweep: $(( $(date +%s) - start )) s wall"
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
if [ -z "$summary" ]; then
    echo "sweep: no 'N passed, M failed' line (exit status $rc)"
    echo "0 passed, 1 failed"
    exit 1
fi
p=${summary%% passed*}
f=${summary#*, }; f=${f%% failed}
if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "sweep: exit status $rc with no failed test"
    f=1
fi
echo "$p passed, $f failed"
[ "$f" -eq 0 ]
