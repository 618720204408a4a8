#!/bin/sh
# The trimming macros: the converter built with each one (and with the minimal and the recurrent sets)
# must, on every fixture, either give the full build's bytes or refuse with a one-line error that
# names the macro (with K2ONNX_NO_ERROR_STRINGS: the result and the object only). Each macro must
# refuse something (its cut is real), and the seed's five models convert under every one.
# Runs: conversion of every fixture (and of one with --rename, one with --summary), --ls of every HDF5 fixture and
# --dump of the datasets of the HDF5 storage fixtures; without message texts, also the damaged
# deflate streams of tests/h5_corrupt.py. Ends with "N passed, M failed".
set -u
cd "$(dirname "$0")/.."
K2ONNX=${K2ONNX:-./k2onnx}
out=build/trim
mkdir -p "$out"
passed=0
failed=0
SEED="k22_rnn_state k22_gru_state k22_gru_ra_state k22_lstm_state k22_seq_rnn"
RECURRENT="-DK2ONNX_NO_ERROR_STRINGS -DK2ONNX_ONLY_RECURRENT -DK2ONNX_NO_DESCRIBE"
MINIMAL="-DK2ONNX_NO_ERROR_STRINGS -DK2ONNX_NO_ZIP -DK2ONNX_NO_H5_CHUNKED -DK2ONNX_NO_H5_DENSE -DK2ONNX_NO_H5_INSPECT -DK2ONNX_ONLY_RECURRENT -DK2ONNX_NO_SCAN_UNROLL -DK2ONNX_NO_KERAS1 -DK2ONNX_NO_RENAME -DK2ONNX_NO_DESCRIBE"

# The runs: one line each, "label<TAB>arguments".
: > "$out/runs.txt"
for f in tests/fixtures/*.h5 tests/fixtures/*.keras; do
    printf '%s\t%s -o OUT\n' "$(basename "$f")" "$f" >> "$out/runs.txt"
done
# options.renames, once on a seed model
printf 'rename:k22_seq_rnn.h5\ttests/fixtures/k22_seq_rnn.h5 -o OUT --rename dense_1=y\n' >> "$out/runs.txt"
printf 'summary:k22_seq_rnn.h5\ttests/fixtures/k22_seq_rnn.h5 -o OUT --summary\n' >> "$out/runs.txt"
for f in tests/fixtures/h5/*.h5; do
    printf 'ls:%s\t--ls %s\n' "$(basename "$f")" "$f" >> "$out/runs.txt"
done
for f in tests/fixtures/h5/filters.h5 tests/fixtures/h5/chunk_indexes_latest.h5 tests/fixtures/h5/chunk_btree_earliest.h5 tests/fixtures/h5/fill_values.h5; do
    "$K2ONNX" --ls "$f" | awk -F '\t' '$2 == "dataset" {print $1}' | while read -r p; do
        printf 'dump:%s:%s\t--dump %s %s\n' "$(basename "$f")" "$p" "$f" "$p" >> "$out/runs.txt"
    done
done

run_with() { # binary dir
    mkdir -p "$2"
    i=0
    while IFS="$(printf '\t')" read -r label args; do
        i=$((i + 1))
        a=$(echo "$args" | sed "s#OUT#$2/$i.onnx#")
        # shellcheck disable=SC2086
        $1 $a > "$2/$i.out" 2> "$2/$i.err"
        echo $? > "$2/$i.rc"
    done < "$out/runs.txt"
}

run_with "$K2ONNX" "$out/full"

check_config() { # name defines
    name=$1
    defines=$2
    bin=$out/k2onnx-$name
    dir=$out/$name
    rm -rf "$dir"
    if ! cc -std=c99 -Wall -Wextra -Wpedantic -Werror -O1 $defines -o "$bin" example.c 2> "$out/build-$name.log"; then
        failed=$((failed + 1))
        echo "FAIL trim $name: does not build warning-free: $(head -c 300 "$out/build-$name.log")"
        return
    fi
    run_with "$bin" "$dir"
    i=0
    same=0
    refused=0
    bad=0
    named=0
    while IFS="$(printf '\t')" read -r label args; do
        i=$((i + 1))
        frc=$(cat "$out/full/$i.rc")
        trc=$(cat "$dir/$i.rc")
        if [ "$frc" = "$trc" ] && cmp -s "$out/full/$i.out" "$dir/$i.out" && { [ ! -f "$out/full/$i.onnx" ] || cmp -s "$out/full/$i.onnx" "$dir/$i.onnx"; }; then
            same=$((same + 1))
            continue
        fi
        msg=$(cat "$dir/$i.err")
        lines=$(wc -l < "$dir/$i.err")
        if [ "$trc" = 1 ] && [ "$lines" = 1 ] && [ ! -s "$dir/$i.onnx" ] && { [ "$frc" != 0 ] || echo "$msg" | grep -q -e "(K2ONNX_[A-Z0-9_ or]*)" -e "unsupported" -e "invalid"; }; then
            refused=$((refused + 1))
            if echo "$msg" | grep -q "K2ONNX_"; then named=$((named + 1)); fi
            for s in $SEED; do
                if [ "$label" = "$s.h5" ]; then
                    bad=$((bad + 1))
                    echo "  the seed's $label is refused: $msg"
                fi
            done
        else
            bad=$((bad + 1))
            [ $bad -le 5 ] && echo "  $label: exit $frc -> $trc: $msg"
        fi
    done < "$out/runs.txt"
    cut=$refused
    case "$defines" in *NO_ERROR_STRINGS*)
        named=$refused
        # The message formats are gone from the binary; failures still say what and where.
        if grep -q "which does not fit the layer config" "$bin"; then bad=$((bad + 1)); echo "  the message formats are still in the binary"; fi
        cut=$((cut + $(cat "$dir"/*.rc | grep -cv '^0$')))
        # Damaged deflate streams are refused with no reason text to say why.
        case "$defines" in *NO_H5_CHUNKED* | *NO_DEFLATE* | *NO_H5_INSPECT*) ;; *)
            if ! K2ONNX="$bin" K2ONNX_EXPECT="invalid or corrupt file" "${PYTHON:-/usr/bin/python3}" tests/h5_corrupt.py deflate > "$out/corrupt-$name.log" 2>&1; then
                bad=$((bad + 1))
                echo "  damaged deflate streams: $(grep '^FAIL' "$out/corrupt-$name.log" | head -n 2)"
            fi
            ;;
        esac
        ;;
    esac
    if [ $bad = 0 ] && [ $cut -gt 0 ] && [ $named = $refused ]; then
        passed=$((passed + 1))
        echo "PASS trim $name: $same runs as the full build, $refused refused by name"
    else
        failed=$((failed + 1))
        echo "FAIL trim $name: $same as the full build, $refused refused ($named naming the macro), $bad wrong"
    fi
}

for m in NO_ERROR_STRINGS NO_ZIP NO_DEFLATE NO_H5_CHUNKED NO_H5_DENSE NO_H5_INSPECT NO_CONV NO_ATTENTION NO_SCAN_UNROLL NO_KERAS1 NO_RENAME NO_DESCRIBE ONLY_RECURRENT; do
    check_config "$m" "-DK2ONNX_$m"
done
check_config minimal "$MINIMAL"
check_config recurrent "$RECURRENT"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
