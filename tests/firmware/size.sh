#!/bin/sh
# make size: the firmware figures of k2onnx on a Cortex-M4 (arm-none-eabi-gcc -Os, newlib-nano,
# --gc-sections), for the full library, the recurrent configuration (every file format and
# recurrent form, no message texts) and the minimal configuration (the trimming macros below),
# measured by building and running tests/firmware/run.sh for each:
#   library bytes   code + constants the linker keeps from the library's object file
#   stack           deepest painted-stack mark over the models converted; largest frame
#   heap            options.memory_used converting the seed's LSTM (k22_lstm_state.h5)
#   soft double     __aeabi_d* helpers linked (the FPU is single precision)
# The minimal configuration converts the seed's five models (the first five of models.txt), the
# recurrent one the first fifteen.
# Budgets, each a pass or a fail: the recurrent configuration in 64 KiB of code + constants and
# the minimal one in 40 KiB; in every configuration a painted stack of at most 8 KiB, a heap peak
# of at most 64 KiB for the seed's LSTM and nothing from libm; no soft-float double helper in the
# recurrent and minimal configurations. The full library's bytes are printed, not budgeted.
# Ends with "N passed, M failed" (the three firmware runs and the budgets), then the line
# "minimal: N bytes".
set -u
cd "$(dirname "$0")/../.."
MINIMAL="${K2ONNX_MINIMAL_DEFINES:--DK2ONNX_NO_ERROR_STRINGS -DK2ONNX_NO_ZIP -DK2ONNX_NO_H5_CHUNKED -DK2ONNX_NO_H5_DENSE -DK2ONNX_NO_H5_INSPECT -DK2ONNX_ONLY_RECURRENT -DK2ONNX_NO_SCAN_UNROLL -DK2ONNX_NO_KERAS1 -DK2ONNX_NO_RENAME -DK2ONNX_NO_DESCRIBE}"
RECURRENT="${K2ONNX_RECURRENT_DEFINES:--DK2ONNX_NO_ERROR_STRINGS -DK2ONNX_ONLY_RECURRENT -DK2ONNX_NO_DESCRIBE}"
passed=0
failed=0

measure() { # name defines models
    FW_NAME=$1 FW_DEFINES=$2 FW_MODELS=$3 sh tests/firmware/run.sh > "build/firmware-$1.log" 2>&1
    grep -e '^FAIL' "build/firmware-$1.log"
    p=$(tail -n 1 "build/firmware-$1.log" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p')
    passed=$((passed + ${p%% *}))
    failed=$((failed + ${p##* }))
    [ -n "$p" ] || failed=$((failed + 1))
}

figures() { # name -> sets lib, stack, frame, heap, dhelpers, libm
    d=build/firmware-$1
    lib=$(/usr/bin/python3 tests/firmware/lib_size.py "$d/firmware.map" fw_lib.o | awk '{print $2 + $4}')
    stack=$(grep '^memory ' "$d/target.txt" | awk '{print $NF}' | sort -n | tail -n 1)
    frame=$(sort -t "$(printf '\t')" -k2 -n "$d/fw_lib.su" | tail -n 1 | awk -F '\t' '{print $2}')
    heap=$(grep '^memory k22_lstm_state.h5 default ' "$d/target.txt" | awk '{print $5}')
    dhelpers=$(arm-none-eabi-nm "$d/firmware.elf" | grep -c ' __aeabi_d')
    libm=$(grep -c 'libm\.a' "$d/firmware.map")
}

measure full "" 1000
measure recurrent "$RECURRENT" 15
measure minimal "$MINIMAL" 5

budget() { # what value limit
    if [ -n "$2" ] && [ "$2" -le "$3" ]; then
        passed=$((passed + 1))
        echo "PASS budget: $1 $2 <= $3"
    else
        failed=$((failed + 1))
        echo "FAIL budget: $1 ${2:-unknown}, more than $3"
    fi
}

budgets() { # name: the budgets every configuration keeps
    budget "$1 stack (painted bytes)" "$stack" 8192
    budget "$1 heap peak, seed LSTM (bytes)" "$heap" 65536
    budget "$1 objects from libm" "$libm" 0
}

figures full
budgets full
f_lib=$lib f_stack=$stack f_frame=$frame f_heap=$heap f_d=$dhelpers f_m=$libm
figures recurrent
budgets recurrent
budget "recurrent library code + constants (bytes)" "$lib" 65536
budget "recurrent soft-float double helpers" "$dhelpers" 0
r_lib=$lib r_stack=$stack r_frame=$frame r_heap=$heap r_d=$dhelpers r_m=$libm
figures minimal
budgets minimal
budget "minimal library code + constants (bytes)" "$lib" 40960
budget "minimal soft-float double helpers" "$dhelpers" 0
echo
echo "| on Cortex-M4 (-Os, newlib-nano) | full | recurrent | minimal |"
echo "|---|---|---|---|"
echo "| library code + constants | $f_lib B | $r_lib B | $lib B |"
echo "| stack, deepest over the models run (painted) | $f_stack B | $r_stack B | $stack B |"
echo "| largest stack frame (-fstack-usage) | $f_frame B | $r_frame B | $frame B |"
echo "| heap peak, seed LSTM (options.memory_used) | $f_heap B | $r_heap B | $heap B |"
echo "| soft-float double helpers linked | $f_d | $r_d | $dhelpers |"
echo "| objects from libm linked | $f_m | $r_m | $libm |"
echo
echo "recurrent configuration: $RECURRENT"
echo "minimal configuration: $MINIMAL"
echo "$passed passed, $failed failed"
echo "minimal: $lib bytes"
