/* fuzz_zip.c - libFuzzer target for the private ZIP reader k2onnx__zip_member.

   The input is a ZIP archive. The three members a .keras file has are looked up, each with a
   fresh context (k2onnx__ctx_init, 256 MiB cap), and every byte of a member that was found is
   read so that AddressSanitizer checks the returned span. */
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define K2ONNX_IMPLEMENTATION
#include "../../k2onnx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_MEMORY ((size_t)256 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static volatile unsigned long sink;
    static const char *const names[] = {"config.json", "metadata.json", "model.weights.h5"};
    k2onnx_options opts;
    k2onnx_error err;
    unsigned long sum = 0;
    size_t i, j;
    memset(&opts, 0, sizeof opts);
    opts.max_memory = FUZZ_MAX_MEMORY;
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        k2onnx__ctx ctx;
        const unsigned char *member = NULL;
        size_t len = 0;
        if (!k2onnx__ctx_init(&ctx, data, size, &opts, &err)) return 0;
        if (k2onnx__zip_member(&ctx, data, size, names[i], &member, &len)) {
            if (ctx.failed || (len && !member)) abort();
            for (j = 0; j < len; j++) sum = sum * 31u + member[j];
        } else if (!ctx.failed) {
            abort(); /* a failed lookup must record an error */
        }
        sum += (unsigned long)strlen(err.message);
        k2onnx__free_all(&ctx);
    }
    sink = sum;
    (void)sink;
    return 0;
}

#include "fuzz_main.h"
