/* k2onnx - command-line converter built on the public API of k2onnx.h.

   k2onnx MODEL.h5 -o MODEL.onnx [--opset N] [--unroll] [--batch N] [--steps T] [--input-shape NAME=D0xD1...]
   k2onnx --ls FILE.h5                 list every group, dataset and attribute
   k2onnx --dump FILE.h5 PATH [PATH...] print the values of datasets or attributes (obj@attr)
   Exit status: 0 success, 1 the file could not be converted or read, 2 usage error. */
#if defined(__unix__) || defined(__APPLE__)
#define _POSIX_C_SOURCE 200809L /* mmap, mkstemp, fstat: the input is mapped, not copied */
#define K2ONNX_CLI_POSIX 1
#endif
#define K2ONNX_IMPLEMENTATION
#include "k2onnx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef K2ONNX_CLI_POSIX
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#endif

static void usage(FILE *out)
{
    fprintf(out,
            "usage: k2onnx MODEL.h5 -o MODEL.onnx [--opset N] [--state-io] [--scan-rnn | --unroll]\n"
            "                     [--batch N] [--steps T] [--input-shape NAME=D0xD1x...] [--config ARCH.json]\n"
            "                     [--quiet]\n"
            "       k2onnx --ls FILE.h5\n"
            "       k2onnx --dump FILE.h5 PATH [PATH...]\n"
            "Convert a saved Keras model (HDF5 .h5) to ONNX, or inspect an HDF5 file.\n"
            "\n"
            "  -o, --output FILE  ONNX file to write; it replaces an existing file only when\n"
            "                     the whole conversion succeeded, and never the input model;\n"
            "                     '-o -' writes the ONNX bytes to standard output\n"
            "  --opset N          target ai.onnx opset, %d..%d (default %d)\n"
            "  --state-io         make every recurrent layer's initial states graph inputs\n"
            "                     (<layer>/h0, c0) and its final states graph outputs\n"
            "                     (<layer>/h_n, c_n), to run a model one step at a time\n"
            "  --scan-rnn         write recurrent layers as ONNX Scan loops of primitive ops\n"
            "                     instead of fused RNN/GRU/LSTM ops\n"
            "  --unroll           write recurrent layers step by step with primitive ops\n"
            "                     (MatMul, Add, Mul, activations, Reshape, Concat): no\n"
            "                     RNN/GRU/LSTM/Scan, for onnx2c, libonnx and similar runtimes;\n"
            "                     needs a static time axis (the model's or --steps)\n"
            "  --batch N          fix the batch dimension of every input to N\n"
            "  --steps T          fix the time axis of every sequence input to T (1 with\n"
            "                     --unroll --state-io gives a one-step streaming cell)\n"
            "  --input-shape NAME=D0xD1x...\n"
            "                     fix the whole shape of input NAME, batch included (repeatable)\n"
            "  --config FILE      architecture JSON (model.to_json()) for a weights-only .h5\n"
            "  --ls FILE          list every group, dataset, attribute and link, sorted by path:\n"
            "                     PATH<TAB>KIND<TAB>DTYPE<TAB>SHAPE (attributes are OBJECT@NAME)\n"
            "  --dump FILE PATH.. print each value of a dataset or attribute on its own line\n"
            "                     (%%.9g for float16/32, %%.17g for float64); several PATHs each\n"
            "                     get a '# PATH' header line\n"
            "  -q, --quiet        print no warnings (errors are still printed)\n"
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

/* A size for --batch, --steps or a dimension of --input-shape: 1 to 2^30, digits only. */
static int parse_size(const char *s, const char **end, size_t *out)
{
    size_t v = 0;
    const char *p = s;
    while (*p >= '0' && *p <= '9' && v <= ((size_t)1 << 30)) v = v * 10 + (size_t)(*p++ - '0');
    *end = p;
    *out = v;
    return p != s && v >= 1 && v <= ((size_t)1 << 30);
}

static int parse_whole_size(const char *s, size_t *out)
{
    const char *end;
    return parse_size(s, &end, out) && *end == '\0';
}

#define MAX_INPUT_SHAPES 64

/* NAME=D0xD1x...: the name is everything before the last '='. */
static int parse_input_shape(char *arg, k2onnx_input_shape *is, size_t *dims)
{
    char *eq = strrchr(arg, '=');
    const char *p;
    size_t rank = 0;
    if (!eq || eq == arg) return 0;
    *eq = '\0';
    p = eq + 1;
    for (;;) {
        if (rank == 8 || !parse_size(p, &p, &dims[rank])) break;
        rank++;
        if (*p == '\0') {
            is->name = arg;
            is->dims = dims;
            is->rank = rank;
            return 1;
        }
        if (*p++ != 'x') break;
    }
    *eq = '='; /* whole again for the error message */
    return 0;
}

/* Reads a whole file into memory; returns NULL and prints the reason on failure. Release with
   k2onnx_free. */
static unsigned char *read_file(const char *path, size_t *size)
{
    k2onnx_error err;
    void *data;
    if (k2onnx_read_file(path, &data, size, &err) != k2onnx_result_success) {
        fprintf(stderr, "k2onnx: %s: %s\n", path, err.message);
        return NULL;
    }
    return (unsigned char *)data;
}

static void print_warning(void *user, const char *message)
{
    fprintf(stderr, "k2onnx: %s: warning: %s\n", (const char *)user, message);
}

#ifndef K2ONNX_NO_H5_INSPECT
static int print_entry(void *user, const k2onnx_h5_entry *e)
{
    (void)user;
    return printf("%s\t%s\t%s\t%s\n", e->path, e->kind_name, e->dtype, e->shape) < 0;
}

static int print_value(void *user, const k2onnx_h5_value *v)
{
    (void)user;
    switch (v->kind) {
    case k2onnx_value_int: return printf("%lld\n", v->i) < 0;
    case k2onnx_value_uint: return printf("%llu\n", v->u) < 0;
    case k2onnx_value_float:
        if (v->f != v->f) return printf("nan\n") < 0; /* one spelling whatever the sign bit */
        return printf(v->bits == 64 ? "%.17g\n" : "%.9g\n", v->f) < 0;
    default: return fwrite(v->s, 1, v->len, stdout) != v->len || putchar('\n') == EOF;
    }
}
#endif

/* The model file, mapped where the platform can (no copy, no zeroed buffer), else read. */
typedef struct input_file {
    const unsigned char *data;
    size_t size;
    void *read;      /* from k2onnx_read_file, or NULL when mapped */
    size_t mapped;   /* length of the mapping, 0 when read */
} input_file;

static int open_input(const char *path, input_file *in)
{
    k2onnx_error err;
    void *data;
    memset(in, 0, sizeof *in);
#ifdef K2ONNX_CLI_POSIX
    {
        struct stat st;
        int fd = open(path, O_RDONLY);
        if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 && (unsigned long long)st.st_size <= (size_t)-1) {
            void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
            if (p != MAP_FAILED) {
                close(fd);
                in->data = (const unsigned char *)p;
                in->size = in->mapped = (size_t)st.st_size;
                return 1;
            }
        }
        if (fd >= 0) close(fd);
    }
#endif
    if (k2onnx_read_file(path, &data, &in->size, &err) != k2onnx_result_success) {
        fprintf(stderr, "k2onnx: %s: %s\n", path, err.message);
        return 0;
    }
    in->read = data;
    in->data = (const unsigned char *)data;
    return 1;
}

static void close_input(input_file *in)
{
#ifdef K2ONNX_CLI_POSIX
    if (in->mapped) munmap((void *)(size_t)in->data, in->mapped);
#endif
    k2onnx_free(in->read);
    memset(in, 0, sizeof *in);
}

/* True when writing `output` would replace `input` itself (the same file through any name,
   symbolic links followed). */
static int same_file(const char *input, const char *output)
{
#ifdef K2ONNX_CLI_POSIX
    struct stat a, b;
    return stat(input, &a) == 0 && stat(output, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
#else
    return strcmp(input, output) == 0;
#endif
}

/* An existing output that is not a regular file (a device, a pipe) is written in place: renaming
   a file over it would replace the device node itself. */
static int is_special_file(const char *path)
{
#ifdef K2ONNX_CLI_POSIX
    struct stat st;
    return stat(path, &st) == 0 && !S_ISREG(st.st_mode);
#else
    (void)path;
    return 0;
#endif
}

static int write_file_chunk(void *user, const void *data, size_t size)
{
    return fwrite(data, 1, size, (FILE *)user) != size;
}

/* A new file beside `output` for the ONNX bytes; renamed over `output` only when everything was
   written, so that a failed conversion or a full disk leaves an existing output as it was. */
static FILE *create_temp(const char *output, char **temp_path)
{
    size_t n = strlen(output);
    char *t = (char *)malloc(n + 16);
    FILE *fp = NULL;
    *temp_path = t;
    if (!t) return NULL;
    memcpy(t, output, n);
#ifdef K2ONNX_CLI_POSIX
    memcpy(t + n, ".k2onnx-XXXXXX", 15);
    {
        int fd = mkstemp(t);
        if (fd < 0) return NULL;
        {
            mode_t mask = umask(0); /* mkstemp makes 0600; the output gets the usual 0666 & ~umask */
            umask(mask);
            fchmod(fd, 0666 & ~mask);
        }
        fp = fdopen(fd, "wb");
        if (!fp) {
            close(fd);
            remove(t);
        }
    }
#else
    memcpy(t + n, ".k2onnx-tmp", 12);
    fp = fopen(t, "wb");
#endif
    if (fp) setvbuf(fp, NULL, _IOFBF, (size_t)1 << 20);
    return fp;
}

/* `-o -`: the ONNX bytes go to standard output as they are made (a pipe has nothing to keep
   safe); a failure is reported on stderr with exit status 1, as for a file. */
static int convert_to_stdout(const char *input, const k2onnx_options *opts)
{
    input_file in;
    k2onnx_error err;
    int ok;
    if (!open_input(input, &in)) return 1;
    ok = k2onnx_convert(in.data, in.size, opts, write_file_chunk, stdout, NULL, &err) == k2onnx_result_success;
    close_input(&in);
    if (!ok && err.result != k2onnx_result_write_failed) fprintf(stderr, "k2onnx: %s: %s\n", input, err.message);
    if (fflush(stdout) != 0 || ferror(stdout) || (!ok && err.result == k2onnx_result_write_failed)) {
        if (ok || err.result == k2onnx_result_write_failed) fprintf(stderr, "k2onnx: %s: write error on standard output\n", input);
        ok = 0;
    }
    return ok ? 0 : 1;
}

/* Converts `input` to `output` in one pass, streaming the ONNX into a temporary file. */
static int convert(const char *input, const char *output, const k2onnx_options *opts)
{
    input_file in;
    char *temp = NULL;
    FILE *fp;
    k2onnx_error err;
    int ok;
    if (strcmp(output, "-") == 0) return convert_to_stdout(input, opts);
    if (same_file(input, output)) {
        fprintf(stderr, "k2onnx: %s: the output '%s' is the input file; nothing written\n", input, output);
        return 1;
    }
    if (!open_input(input, &in)) return 1;
    if (is_special_file(output)) {
        fp = fopen(output, "wb");
        if (fp) setvbuf(fp, NULL, _IOFBF, (size_t)1 << 20);
    } else {
        fp = create_temp(output, &temp);
    }
    if (!fp) {
        fprintf(stderr, "k2onnx: %s: cannot create a file beside '%s'\n", input, output);
        close_input(&in);
        free(temp);
        return 1;
    }
    ok = k2onnx_convert(in.data, in.size, opts, write_file_chunk, fp, NULL, &err) == k2onnx_result_success;
    close_input(&in);
    if (!ok) {
        if (err.result == k2onnx_result_write_failed) fprintf(stderr, "k2onnx: %s: write error on '%s'\n", input, output);
        else fprintf(stderr, "k2onnx: %s: %s\n", input, err.message);
    }
    if (fclose(fp) != 0 && ok) {
        fprintf(stderr, "k2onnx: %s: write error on '%s'\n", input, output);
        ok = 0;
    }
    if (ok && temp && rename(temp, output) != 0) {
        /* Platforms whose rename does not replace an existing file. */
        if (remove(output) != 0 || rename(temp, output) != 0) {
            fprintf(stderr, "k2onnx: %s: cannot write '%s'\n", input, output);
            ok = 0;
        }
    }
    if (!ok && temp) remove(temp);
    free(temp);
    return ok ? 0 : 1;
}

/* --ls FILE and --dump FILE PATH...: the inspection commands. */
static int inspect(int argc, char **argv, int dump)
{
    k2onnx_options opts;
    k2onnx_error err;
    unsigned char *data;
    size_t size = 0;
    int i, status = 0;
    if (argc < 1) return usage_error(dump ? "--dump needs a file and a path" : "--ls needs a file", NULL);
    if (dump && argc < 2) return usage_error("--dump needs a path after the file", NULL);
    if (!dump && argc > 1) return usage_error("--ls takes one file, got also ", argv[1]);
#ifdef K2ONNX_NO_H5_INSPECT
    (void)opts;
    (void)err;
    (void)data;
    (void)size;
    (void)i;
    (void)status;
    fprintf(stderr, "k2onnx: %s: --ls and --dump are left out of this build (K2ONNX_NO_H5_INSPECT)\n", argv[0]);
    return 1;
#else
    memset(&opts, 0, sizeof opts);
    data = read_file(argv[0], &size);
    if (!data) return 1;
    if (!dump) {
        if (k2onnx_h5_list(data, size, &opts, print_entry, NULL, &err) != k2onnx_result_success) {
            fprintf(stderr, "k2onnx: %s: %s\n", argv[0], err.message);
            status = 1;
        }
    }
    for (i = 1; dump && i < argc && status == 0; i++) {
        if (argc > 2) printf("# %s\n", argv[i]);
        if (k2onnx_h5_read(data, size, argv[i], &opts, print_value, NULL, &err) != k2onnx_result_success) {
            fprintf(stderr, "k2onnx: %s: %s\n", argv[0], err.message);
            status = 1;
        }
    }
    k2onnx_free(data);
    if (fflush(stdout) != 0) status = 1;
    return status;
#endif
}

int main(int argc, char **argv)
{
    const char *input = NULL, *output = NULL, *config_path = NULL;
    unsigned char *config = NULL;
    int status, quiet = 0;
    k2onnx_options opts;
    k2onnx_input_shape shapes[MAX_INPUT_SHAPES];
    size_t shape_dims[MAX_INPUT_SHAPES][8];
    int i;
    memset(&opts, 0, sizeof opts);
    opts.input_shapes = shapes;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (i == 1 && (strcmp(a, "--ls") == 0 || strcmp(a, "--dump") == 0)) {
            return inspect(argc - 2, argv + 2, strcmp(a, "--dump") == 0);
        } else if (strcmp(a, "--version") == 0) {
            printf("k2onnx %s\n", K2ONNX_VERSION_STRING);
            return 0;
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            if (++i >= argc) return usage_error("missing file after ", a);
            output = argv[i];
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else if (strcmp(a, "--state-io") == 0) {
            opts.state_io = 1;
        } else if (strcmp(a, "--scan-rnn") == 0) {
            opts.scan_rnn = 1;
        } else if (strcmp(a, "--unroll") == 0) {
            opts.unroll = 1;
        } else if (strcmp(a, "--batch") == 0 || strcmp(a, "--steps") == 0) {
            if (++i >= argc) return usage_error("missing number after ", a);
            if (!parse_whole_size(argv[i], a[2] == 'b' ? &opts.batch : &opts.steps))
                return usage_error(a[2] == 'b' ? "--batch must be an integer from 1 to 2^30, got " : "--steps must be an integer from 1 to 2^30, got ", argv[i]);
        } else if (strcmp(a, "--input-shape") == 0) {
            if (++i >= argc) return usage_error("missing NAME=D0xD1x... after ", a);
            if (opts.input_shapes_count == MAX_INPUT_SHAPES) return usage_error("too many --input-shape options", NULL);
            if (!parse_input_shape(argv[i], &shapes[opts.input_shapes_count], shape_dims[opts.input_shapes_count]))
                return usage_error("--input-shape wants NAME=D0xD1x... (1 to 8 dimensions, each 1 to 2^30), got ", argv[i]);
            opts.input_shapes_count++;
        } else if (strcmp(a, "--config") == 0) {
            if (++i >= argc) return usage_error("missing file after ", a);
            config_path = argv[i];
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
    if (opts.unroll && opts.scan_rnn) return usage_error("--unroll and --scan-rnn exclude each other", NULL);
    if (config_path) {
        size_t n = 0;
        config = read_file(config_path, &n);
        if (!config) return 1;
        opts.model_config = (const char *)config;
        opts.model_config_size = n;
    }
    status = 0;
    opts.warn = quiet ? NULL : print_warning;
    opts.warn_user = (void *)input;
    status = convert(input, output, &opts);
    k2onnx_free(config);
    return status;
}
