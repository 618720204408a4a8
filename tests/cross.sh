#!/bin/sh
# The converter built for other machines and C libraries gives the same bytes as the native build:
# s390x and 32-bit PowerPC (big-endian), i686 and armhf (32-bit) under qemu-user, and statically
# linked musl and tcc builds natively, and a native build whose K2ONNX_SQRT is the C library's
# sqrt. Every fixture is converted (default and --scan-rnn) and
# listed (--ls); each output is compared with cmp against the native converter's ($K2ONNX).
# Then the unit tests under qemu-x86_64 on older x86-64 models.
# Ends with "N passed, M failed".
set -u
cd "$(dirname "$0")/.."
K2ONNX=${K2ONNX:-./k2onnx}
out=build/cross
mkdir -p "$out"
passed=0
failed=0
WARN="-std=c99 -Wall -Wextra -Wpedantic -Werror"

ls tests/fixtures/*.h5 tests/fixtures/*.keras tests/fixtures/h5/*.h5 > "$out/files.txt"

# Native outputs: one directory per run kind, one file per fixture.
run_all() { # runner label -> writes $out/<label>/...
    runner=$1
    label=$2
    rm -rf "$out/$label"
    mkdir -p "$out/$label"
    while read -r f; do
        b=$(echo "$f" | tr '/' '_')
        $runner "$f" -o "$out/$label/$b.onnx" > "$out/$label/$b.err" 2>&1
        echo "exit $?" >> "$out/$label/$b.err"
        $runner "$f" -o "$out/$label/$b.scan.onnx" --scan-rnn > "$out/$label/$b.scan.err" 2>&1
        echo "exit $?" >> "$out/$label/$b.scan.err"
        $runner --ls "$f" > "$out/$label/$b.ls" 2>&1
        echo "exit $?" >> "$out/$label/$b.ls"
    done < "$out/files.txt"
}

compare() { # label
    label=$1
    bad=0
    for p in "$out/native"/*; do
        q="$out/$label/$(basename "$p")"
        if ! cmp -s "$p" "$q"; then
            bad=$((bad + 1))
            [ $bad -le 5 ] && echo "  differs: $(basename "$p")"
        fi
    done
    n=$(ls "$out/native" | wc -l)
    if [ $bad = 0 ]; then
        passed=$((passed + 1))
        echo "PASS cross $label: $n outputs identical to the native ones"
    else
        failed=$((failed + 1))
        echo "FAIL cross $label: $bad of $n outputs differ"
    fi
}

run_all "$K2ONNX" native

for target in s390x-linux-gnu:qemu-s390x powerpc-linux-gnu:qemu-ppc i686-linux-gnu:qemu-i386 arm-linux-gnueabihf:qemu-arm \
              musl:native tcc:native libm-sqrt:native; do
    cc=${target%%:*}
    emu=${target#*:}
    bin=$out/k2onnx-$cc
    case $cc in
    musl) build="musl-gcc $WARN -O2 -static -o $bin example.c" ;;
    tcc) build="tcc -Wall -Werror -o $bin example.c" ;;
    libm-sqrt) build="cc $WARN -O2 -DK2ONNX_SQRT(x)=sqrt(x) -o $bin example.c -lm" ;;
    *) build="$cc-gcc $WARN -O2 -static -o $bin example.c" ;;
    esac
    if ! $build > "$out/build-$cc.log" 2>&1; then
        failed=$((failed + 1))
        echo "FAIL cross $cc: does not build warning-free: $(head -c 300 "$out/build-$cc.log")"
        continue
    fi
    # Only a build that calls the C library's sqrt shows that K2ONNX_SQRT is what the header uses.
    if [ "$cc" = libm-sqrt ] && ! nm "$bin" | grep -q ' U sqrt'; then
        failed=$((failed + 1))
        echo "FAIL cross $cc: the converter does not call the C library's sqrt"
        continue
    fi
    if [ "$emu" = native ]; then run_all "$bin" "$cc"
    else run_all "$emu $bin" "$cc"; fi
    compare "$cc"
done
# The checksum code picks its form at run time (table, PCLMULQDQ, VPCLMULQDQ): the unit tests,
# which check every form against the bitwise definition, on x86-64 models that lack the newer
# instructions (Nehalem: none, Westmere: PCLMULQDQ only).
UNIT=${UNIT_TESTS_NATIVE:-build/unit_tests}
[ -x "$UNIT" ] || cc $WARN -O2 -o "$UNIT" tests/unit_tests.c -lm
for cpu in Nehalem Westmere; do
    if qemu-x86_64 -cpu $cpu "$UNIT" tests/fixtures/k22_seq_rnn.h5 tests/fixtures/k22_dyn_lstm_seq.h5 > "$out/unit-$cpu.log" 2>&1 &&
        tail -n 1 "$out/unit-$cpu.log" | grep -q " passed, 0 failed$"; then
        passed=$((passed + 1))
        echo "PASS cross x86-64 $cpu: unit tests, $(tail -n 1 "$out/unit-$cpu.log")"
    else
        failed=$((failed + 1))
        echo "FAIL cross x86-64 $cpu: unit tests: $(tail -n 3 "$out/unit-$cpu.log")"
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
