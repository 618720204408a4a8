/* k2onnx - command-line converter built on the public API of k2onnx.h.

   k2onnx MODEL.h5 -o MODEL.onnx [--opset N]
   Exit status: 0 converted, 1 conversion failed, 2 usage error. */
#define K2ONNX_IMPLEMENTATION
#include "k2onnx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: k2onnx MODEL.h5 -o MODEL.onnx [--opset N]\n"
            "Convert a saved Keras model (HDF5 .h5) to ONNX.\n"
            "\n"
            "  -o, --output FILE  ONNX file to write (written only if the conversion succeeds)\n"
            "  --opset N          target ai.onnx opset, %d..%d (default %d)\n"
            "  -h, --help         show this help\n"
            "  --version          show the version\n",
            K2ONNX_MIN_OPSET, K2ONNX_MAX_OPSET, K2ONNX_DEFAULT_OPSET);
}

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "k2onnx: %s%s\n", msg, arg ? arg : "");
    fprintf(stderr, "Try 'k2onnx --help'.\n");
    return 2;
}

static int parse_opset(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < K2ONNX_MIN_OPSET || v > K2ONNX_MAX_OPSET) return 0;
    *out = (int)v;
    return 1;
}

int main(int argc, char **argv)
{
    const char *input = NULL, *output = NULL;
    k2onnx_options opts;
    k2onnx_error err;
    int i;
    memset(&opts, 0, sizeof opts);
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            printf("k2onnx %s\n", K2ONNX_VERSION_STRING);
            return 0;
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            if (++i >= argc) return usage_error("missing file after ", a);
            output = argv[i];
        } else if (strcmp(a, "--opset") == 0) {
            if (++i >= argc) return usage_error("missing number after ", a);
            if (!parse_opset(argv[i], &opts.opset)) return usage_error("--opset must be an integer in 7..23, got ", argv[i]);
        } else if (a[0] == '-' && a[1] != '\0') {
            return usage_error("unknown option ", a);
        } else if (!input) {
            input = a;
        } else {
            return usage_error("more than one input file: ", a);
        }
    }
    if (!input) return usage_error("no input file", NULL);
    if (!output) return usage_error("no output file (use -o FILE)", NULL);
    if (k2onnx_convert_file(input, output, &opts, &err) != k2onnx_result_success) {
        fprintf(stderr, "k2onnx: %s: %s\n", input, err.message);
        return 1;
    }
    return 0;
}
