/* fuzz_json.c - libFuzzer target for the private JSON parser k2onnx__json_parse.

   The context is set up by k2onnx__ctx_init, as the public entry points do, with a 256 MiB
   memory cap and the default nesting limit. A parsed tree is walked completely (every key and
   string byte read, numbers converted the way the Keras loader converts them) and the key
   lookups the loader uses are tried on it. A document that is one number must give the float32
   the C library's strtof gives (exact in glibc), and its integer when it is one. */
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define K2ONNX_IMPLEMENTATION
#include "../../k2onnx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_MEMORY ((size_t)256 << 20)

static unsigned long fuzz_json_walk(const k2onnx__json *v)
{
    unsigned long sum = (unsigned long)v->type;
    size_t i;
    long long ll;
    switch (v->type) {
    case K2ONNX__JSTRING:
        /* Decoded strings are NUL-terminated and len bytes long. */
        for (i = 0; i <= v->len; i++) sum = sum * 31u + (unsigned char)v->str[i];
        if (v->str[v->len] != '\0') abort();
        break;
    case K2ONNX__JNUMBER:
        if (k2onnx__jint(v, -((long long)1 << 53), (long long)1 << 53, &ll)) sum += (unsigned long)ll;
        break;
    case K2ONNX__JARRAY:
    case K2ONNX__JOBJECT:
        if (v->n && !v->items) abort();
        for (i = 0; i < v->n; i++) {
            if (v->type == K2ONNX__JOBJECT) {
                const char *k = v->items[i].key;
                sum = sum * 31u + (unsigned long)strlen(k);
                if (k2onnx__jget(v, k) == NULL) abort();
            }
            sum += fuzz_json_walk(&v->items[i]);
        }
        break;
    default: break;
    }
    return sum;
}

/* The root is a number written in JSON's syntax: strtof reads the same text. */
static void fuzz_json_number(const uint8_t *data, size_t size, const k2onnx__json *v)
{
    char text[512];
    char *end;
    float f;
    uint32_t want, got;
    size_t i = 0;
    while (i < size && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r')) i++;
    if (i < size && (data[i] == 'N' || data[i] == 'I' || (data[i] == '-' && i + 1 < size && data[i + 1] == 'I'))) return;
    if (size - i >= sizeof text) return;
    memcpy(text, data + i, size - i);
    text[size - i] = '\0';
    f = strtof(text, &end);
    memcpy(&want, &f, 4);
    memcpy(&got, &v->number, 4);
    if (want != got) abort();
    if (v->integral && (double)v->integer != strtod(text, NULL)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static volatile unsigned long sink;
    static const char *const keys[] = {"class_name", "config", "layers", "inbound_nodes", "name", "model_config", "keras_version"};
    k2onnx__ctx ctx;
    k2onnx__json root;
    k2onnx_options opts;
    k2onnx_error err;
    size_t i;
    memset(&opts, 0, sizeof opts);
    opts.max_memory = FUZZ_MAX_MEMORY;
    if (!k2onnx__ctx_init(&ctx, data, size, &opts, &err)) return 0;
    if (k2onnx__json_parse(&ctx, "fuzz", (const char *)data, size, &root)) {
        unsigned long sum = fuzz_json_walk(&root);
        if (root.type == K2ONNX__JNUMBER) fuzz_json_number(data, size, &root);
        for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            const k2onnx__json *v = k2onnx__jget(&root, keys[i]);
            const char *s = k2onnx__jstr(v);
            sum += (unsigned long)k2onnx__jis_array(v) + (unsigned long)k2onnx__jbool(&root, keys[i], 0);
            if (s) sum += (unsigned long)strlen(s);
        }
        sink = sum;
    } else if (!ctx.failed) {
        abort(); /* a failed parse must record an error */
    }
    sink += (unsigned long)strlen(err.message);
    (void)sink;
    k2onnx__free_all(&ctx);
    return 0;
}

#include "fuzz_main.h"
