/* inflate_check: the private inflater and checksums of k2onnx.h, driven by
 * tests/inflate_diff.py, which compares every result with Python's zlib.
 *
 *   inflate_check < JOBS > RESULTS
 *
 * JOBS is a sequence of records: a kind byte ('z' inflate a zlib stream, 'r' a raw deflate
 * stream, 's' checksums), the output capacity and the input length as 4-byte little-endian
 * numbers, then the input. Each result is a status byte (0 success, 1 error), a 4-byte
 * little-endian length and that many bytes: the inflated data, the error message, or for 's' the
 * text "CRC32 ADLER32 FLETCHER32" in hex. Every input and every output buffer is a heap block of
 * its exact size, so that AddressSanitizer catches an access past either. */
#define K2ONNX_IMPLEMENTATION
#include "../k2onnx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int read_u32(uint32_t *v)
{
    unsigned char b[4];
    if (fread(b, 1, 4, stdin) != 4) return 0;
    *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return 1;
}

static void put_result(int status, const void *data, size_t n)
{
    unsigned char h[5];
    h[0] = (unsigned char)status;
    h[1] = (unsigned char)n;
    h[2] = (unsigned char)(n >> 8);
    h[3] = (unsigned char)(n >> 16);
    h[4] = (unsigned char)(n >> 24);
    fwrite(h, 1, 5, stdout);
    fwrite(data, 1, n, stdout);
}

static void run_job(int kind, const unsigned char *in, size_t n, size_t cap, k2onnx__inflate_tables *tables, const uint32_t *crc)
{
    const char *err = NULL;
    unsigned char *out;
    size_t got;
    if (kind == 's') {
        char text[40];
        sprintf(text, "%08lx %08lx %08lx", (unsigned long)k2onnx__crc32(crc, 1, in, n), (unsigned long)k2onnx__adler32(in, n),
                (unsigned long)k2onnx__fletcher32(in, n));
        put_result(0, text, strlen(text));
        return;
    }
    if (!(out = (unsigned char *)malloc(cap ? cap : 1))) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    if (kind == 'z') got = k2onnx__zlib_inflate(tables, in, n, out, cap, &err);
    else got = k2onnx__raw_inflate(tables, in, n, out, cap, &err);
    if (got > cap) {
        fprintf(stderr, "returned size %lu is past the buffer of %lu\n", (unsigned long)got, (unsigned long)cap);
        exit(3);
    }
    if (err) put_result(1, err, strlen(err));
    else put_result(0, out, got);
    free(out);
}

int main(void)
{
    static k2onnx__inflate_tables tables;
    k2onnx__ctx ctx;
    uint32_t *crc;
    int kind;
    k2onnx__ctx_init(&ctx, "", 0, NULL, NULL);
    if (!(crc = k2onnx__crc32_tables(&ctx, 1))) return fprintf(stderr, "out of memory\n"), 2;
    while ((kind = getchar()) != EOF) {
        uint32_t cap, n;
        unsigned char *in;
        if (!read_u32(&cap) || !read_u32(&n) || !(in = (unsigned char *)malloc(n ? n : 1)) || fread(in, 1, n, stdin) != n)
            return fprintf(stderr, "damaged job record\n"), 2;
        run_job(kind, in, n, cap, &tables, crc);
        free(in);
    }
    k2onnx__free_all(&ctx);
    return 0;
}
