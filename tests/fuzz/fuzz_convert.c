/* fuzz_convert.c - libFuzzer target for the whole conversion, k2onnx_convert.

   The input is a Keras .h5 or .keras file. It is converted with default options (256 MiB memory
   cap, output discarded). When that succeeds it is converted a second time with scan_rnn=1,
   with state_io and the opset taken from the last input byte (bit 0: state_io; the byte modulo
   17 picks an opset 7..23), and a third time unrolled with fixed shapes (bits 1-2: steps 1..4;
   bit 3: batch 2), so that the recurrent-layer paths for other options are reached from the
   same inputs. */
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define K2ONNX_IMPLEMENTATION
#include "../../k2onnx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_MEMORY ((size_t)256 << 20)

typedef struct fuzz_sink {
    unsigned long bytes, sum;
} fuzz_sink;

static int fuzz_write(void *user, const void *data, size_t size)
{
    fuzz_sink *s = (fuzz_sink *)user;
    const unsigned char *p = (const unsigned char *)data;
    size_t i;
    /* Touch the first and last byte of each chunk: every byte would be slow for large models. */
    if (size) s->sum += (unsigned long)p[0] + p[size - 1];
    for (i = 0; i < size && i < 64; i++) s->sum = s->sum * 31u + p[i];
    s->bytes += (unsigned long)size;
    return 0;
}

static void fuzz_warn(void *user, const char *message)
{
    fuzz_sink *s = (fuzz_sink *)user;
    s->sum += (unsigned long)strlen(message);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static volatile unsigned long sink;
    k2onnx_options opts;
    k2onnx_error err;
    fuzz_sink out;
    size_t onnx_size = 0;
    memset(&opts, 0, sizeof opts);
    memset(&out, 0, sizeof out);
    opts.max_memory = FUZZ_MAX_MEMORY;
    opts.warn = fuzz_warn;
    opts.warn_user = &out;
    if (k2onnx_convert(data, size, &opts, fuzz_write, &out, &onnx_size, &err) == k2onnx_result_success) {
        if (onnx_size != out.bytes) abort(); /* out_size must match what was written */
        if (err.message[0] != '\0') abort();
        opts.scan_rnn = 1;
        opts.state_io = size ? (data[size - 1] & 1) : 0;
        opts.opset = K2ONNX_MIN_OPSET + (size ? data[size - 1] % (K2ONNX_MAX_OPSET - K2ONNX_MIN_OPSET + 1) : 0);
        out.bytes = 0;
        if (k2onnx_convert(data, size, &opts, fuzz_write, &out, &onnx_size, &err) == k2onnx_result_success && onnx_size != out.bytes)
            abort();
        opts.scan_rnn = 0;
        opts.unroll = 1;
        opts.steps = size ? 1u + ((data[size - 1] >> 1) & 3u) : 1u;
        opts.batch = size && (data[size - 1] & 8) ? 2u : 0u;
        out.bytes = 0;
        if (k2onnx_convert(data, size, &opts, fuzz_write, &out, &onnx_size, &err) == k2onnx_result_success && onnx_size != out.bytes)
            abort();
    } else if (err.result == k2onnx_result_success || err.message[0] == '\0') {
        abort(); /* a failure must say what failed */
    }
    sink = out.sum + out.bytes;
    (void)sink;
    return 0;
}

#include "fuzz_main.h"
