/* fuzz_inflate.c - libFuzzer target for the private inflater (k2onnx__zlib_inflate and
   k2onnx__raw_inflate).

   The input is a mode byte (bit 0 set: a zlib stream, else a raw deflate stream), a 2-byte
   little-endian output capacity, then the stream. The output buffer is a heap block of exactly
   that capacity, so that AddressSanitizer catches any write past it; the size returned must stay
   within it, and a failure must come with a message. */
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define K2ONNX_IMPLEMENTATION
#include "../../k2onnx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static volatile unsigned long sink;
    k2onnx__inflate_tables *tables;
    unsigned char *out;
    const char *err = NULL;
    size_t cap, got, i;
    unsigned long sum = 0;
    if (size < 3) return 0;
    cap = (size_t)data[1] | (size_t)data[2] << 8;
    tables = (k2onnx__inflate_tables *)malloc(sizeof *tables);
    out = (unsigned char *)malloc(cap ? cap : 1);
    if (!tables || !out) abort();
    if (data[0] & 1u) got = k2onnx__zlib_inflate(tables, data + 3, size - 3, out, cap, &err);
    else got = k2onnx__raw_inflate(tables, data + 3, size - 3, out, cap, &err);
    if (got > cap) abort();
    if (!err)
        for (i = 0; i < got; i++) sum = sum * 31u + out[i];
    else if (!err[0])
        abort();
    sink = sum;
    (void)sink;
    free(out);
    free(tables);
    return 0;
}

#include "fuzz_main.h"
