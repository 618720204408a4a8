# The Cortex-M4 build of tests/firmware, sourced by run.sh (make firmware, make size) and by
# trim_sizes.sh (make trim-sizes), so that the figures they print come from the same flags and
# the same link. Run from the repository's root.
FW_ARM="-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16"
FW_CFLAGS="-std=c99 -Wall -Wextra -Wpedantic -Werror -Os -ffunction-sections -fdata-sections"

# fw_link DIR MAIN_O LIB_O MODELS_O: links DIR/firmware.elf with newlib-nano, no start files and
# unused sections dropped, and writes its map to DIR/firmware.map.
fw_link() {
    arm-none-eabi-gcc $FW_ARM --specs=nano.specs -nostartfiles -Wl,--gc-sections -Wl,-Map,"$1/firmware.map" \
        -T tests/firmware/mps2.ld -o "$1/firmware.elf" "$2" "$3" "$4"
}
