#!/bin/sh
# make trim-sizes: what each trimming macro saves on its own, on the Cortex-M4 of make size
# (arm-none-eabi-gcc -Os, newlib-nano, --gc-sections): the library's code + constants in the
# linked firmware image of tests/firmware with the macro, against the full library. Links
# against the objects of make size's full build (build/firmware-full), which it makes when
# missing. Prints a Markdown table.
set -u
cd "$(dirname "$0")/../.."
full=build/firmware-full
out=build/firmware-trim
MACROS="${K2ONNX_TRIM_MACROS:-}"
[ -n "$MACROS" ] || { echo "K2ONNX_TRIM_MACROS is empty (make trim-sizes sets it)"; exit 1; }
if [ ! -f "$full/fw_main.o" ] || [ ! -f "$full/fw_models.o" ]; then
    FW_NAME=full FW_MODELS=1000 sh tests/firmware/run.sh > "$full.log" 2>&1 || { echo "the full firmware build failed: $full.log"; exit 1; }
fi
mkdir -p "$out"
. tests/firmware/arm.sh
CFLAGS="$FW_CFLAGS -DFW_TARGET -I$full"

# library bytes (code + constants) of a build with the given macros
lib_bytes() {
    arm-none-eabi-gcc $FW_ARM $CFLAGS "$@" -c -o "$out/fw_lib.o" tests/firmware/fw_lib.c || return 1
    fw_link "$out" "$full/fw_main.o" "$out/fw_lib.o" "$full/fw_models.o" || return 1
    /usr/bin/python3 tests/firmware/lib_size.py "$out/firmware.map" fw_lib.o | awk '{print $2 + $4}'
}

base=$(lib_bytes) || { echo "the full library does not build"; exit 1; }
echo "| macro | library bytes | saved alone |"
echo "|---|---|---|"
echo "| (none: the full library) | $base | - |"
for m in $MACROS; do
    n=$(lib_bytes "$m") || { echo "| \`${m#-D}\` | build failed | - |"; continue; }
    echo "$m $n $base" | awk '{ printf "| `%s` | %d | %.1f KB |\n", substr($1, 3), $2, ($3 - $2) / 1000 }'
done
