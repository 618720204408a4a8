/* k2onnx - command-line converter built on the public API of k2onnx.h.

   k2onnx MODEL.h5 -o MODEL.onnx [--opset N] [--unroll] [--batch N] [--steps T] [--input-shape NAME=D0xD1...]
   k2onnx MODEL.h5 --summary [--dot FILE.dot]   what the conversion makes, without writing it
   k2onnx --ls FILE.h5                 list every group, dataset and attribute
   k2onnx --dump FILE.h5 PATH [PATH...] print the values of datasets or attributes (obj@attr)
   Exit status: 0 success, 1 the file could not be converted or read, 2 usage error. */
#if defined(__linux__)
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* fallocate, besides what POSIX gives (g++ defines it already) */
#endif
#define K2ONNX_CLI_POSIX 1
#elif defined(__unix__) || defined(__APPLE__)
#define _POSIX_C_SOURCE 200809L /* mmap, mkstemp, fstat: the input is mapped, not copied */
#define K2ONNX_CLI_POSIX 1
#endif
#define K2ONNX_IMPLEMENTATION
#include "k2onnx.h"

#include <ctype.h>
#include <stdarg.h>
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
            "                     [--rename NAME=NEW] [--summary] [--dot FILE] [--quiet]\n"
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
            "  --rename NAME=NEW  give graph input or output NAME (a Keras input or output\n"
            "                     layer's name) the name NEW (repeatable)\n"
            "  --summary          print a model.summary() style table: layers, output shapes,\n"
            "                     parameters and the ONNX nodes each became (no -o: nothing\n"
            "                     is written)\n"
            "  --dot FILE         write a Graphviz picture of the ONNX graph ('-': standard\n"
            "                     output; no -o: no ONNX is written)\n"
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
#define MAX_RENAMES 64

/* NAME=NEW: the name is everything before the first '=' (Keras names have none). */
static int parse_rename(char *arg, k2onnx_rename *r)
{
    char *eq = strchr(arg, '=');
    if (!eq || eq == arg || eq[1] == '\0') return 0;
    *eq = '\0';
    r->from = arg;
    r->to = eq + 1;
    return 1;
}

/* The input's file name without its directories, recorded in the ONNX metadata. */
static const char *base_name(const char *path)
{
    const char *b = path, *p;
    for (p = path; *p; p++)
        if ((*p == '/' || *p == '\\') && p[1]) b = p + 1;
    return b;
}

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

/* The library's messages name its options; this program's user knows them as flags. */
static const char *const option_flags[][2] = {
    {"options.model_config", "--config"},
    {"options.state_io", "--state-io"},
    {"options.unroll", "--unroll"},
    {"options.steps", "--steps"},
};

/* "k2onnx: WHERE: [KIND]MESSAGE" on stderr, with the options the message names as flags. */
static void print_message(const char *where, const char *kind, const char *message)
{
    const char *p = message;
    fprintf(stderr, "k2onnx: %s: %s", where, kind);
    while (*p) {
        size_t i, n = 0;
        for (i = 0; i < sizeof option_flags / sizeof option_flags[0]; i++) {
            size_t len = strlen(option_flags[i][0]);
            if (strncmp(p, option_flags[i][0], len) == 0 && !(isalnum((unsigned char)p[len]) || p[len] == '_')) {
                fputs(option_flags[i][1], stderr);
                n = len;
                break;
            }
        }
        if (n) p += n;
        else fputc(*p++, stderr);
    }
    fputc('\n', stderr);
}

/* Reads a whole file into memory; returns NULL and prints the reason on failure. Release with
   k2onnx_free. */
static unsigned char *read_file(const char *path, size_t *size)
{
    k2onnx_error err;
    void *data;
    if (k2onnx_read_file(path, &data, size, &err) != k2onnx_result_success) {
        print_message(path, "", err.message);
        return NULL;
    }
    return (unsigned char *)data;
}

static void print_warning(void *user, const char *message)
{
    print_message((const char *)user, "warning: ", message);
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

#ifndef K2ONNX_NO_DESCRIBE
/* ---- --summary and --dot: text made from what options.describe hands over ---- */

/* 1234567 as "1,234,567", the way Keras' summary writes counts. */
static const char *thousands(unsigned long long v, char *buf, size_t cap)
{
    char digits[32];
    size_t n = 0, i, out = 0;
    do { digits[n++] = (char)('0' + (int)(v % 10u)); v /= 10u; } while (v);
    for (i = n; i-- > 0 && out + 2 < cap;) {
        buf[out++] = digits[i];
        if (i && i % 3 == 0) buf[out++] = ',';
    }
    buf[out] = '\0';
    return buf;
}

/* Text built in memory (rows are padded to columns once their cells are known). */
typedef struct text {
    char *p;
    size_t len, cap;
    int failed;
} text;

static void add(text *t, const char *fmt, ...)
{
    va_list ap;
    int n;
    if (t->failed) return;
    for (;;) {
        size_t room = t->cap - t->len;
        va_start(ap, fmt);
        n = vsnprintf(t->p ? t->p + t->len : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = 1;
            return;
        }
        if ((size_t)n < room) break;
        {
            size_t cap = (t->cap ? t->cap * 2 : 256) + (size_t)n;
            char *bigger = (char *)realloc(t->p, cap);
            if (!bigger) {
                t->failed = 1;
                return;
            }
            t->p = bigger;
            t->cap = cap;
        }
    }
    t->len += (size_t)n;
}

/* A name from the file, on one line: control characters become '?'. */
static void add_name(text *t, const char *s)
{
    for (; *s; s++) add(t, "%c", (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

/* Pads the text with spaces to `column` characters after `from` (at least one space). */
static void pad_to(text *t, size_t from, size_t column)
{
    size_t n = t->len - from;
    do add(t, " "); while (++n < column);
}

/* Keras' tuple form: (None, 5, 3), and (None,) for one dimension. */
static void keras_shape(text *t, const k2onnx_tensor_info *v)
{
    size_t d;
    add(t, "(");
    for (d = 0; d < v->rank; d++) {
        if (v->dims[d] < 0) add(t, "%sNone", d ? ", " : "");
        else add(t, "%s%lld", d ? ", " : "", v->dims[d]);
    }
    add(t, v->rank == 1 ? ",)" : ")");
}

static void keras_shapes(text *t, const k2onnx_layer_info *L)
{
    size_t i;
    if (L->noutputs != 1) add(t, "[");
    for (i = 0; i < L->noutputs; i++) {
        if (i) add(t, ", ");
        keras_shape(t, &L->outputs[i]);
    }
    if (L->noutputs != 1) add(t, "]");
}

/* ONNX's form: [N, 5, 3] with the names of dynamic dimensions ("?" where unnamed). */
static void onnx_shape(text *t, const k2onnx_tensor_info *v)
{
    size_t d;
    add(t, "[");
    for (d = 0; d < v->rank; d++) {
        if (v->dims[d] >= 0) add(t, "%s%lld", d ? ", " : "", v->dims[d]);
        else {
            add(t, "%s", d ? ", " : "");
            add_name(t, v->dim_params[d] ? v->dim_params[d] : "?");
        }
    }
    add(t, "]");
}

/* The ops of a layer's nodes in the order they first appear, each with its count. */
static void op_list(text *t, const k2onnx_layer_info *L)
{
    size_t i, k, listed = 0;
    for (i = 0; i < L->nnodes; i++) {
        size_t count = 0, body = 0;
        for (k = 0; k < i && strcmp(L->nodes[k].op, L->nodes[i].op) != 0; k++) {}
        if (k < i) continue;
        for (k = i; k < L->nnodes; k++)
            if (strcmp(L->nodes[k].op, L->nodes[i].op) == 0) {
                count++;
                body += L->nodes[k].body_nodes;
            }
        add(t, "%s%s", listed++ ? ", " : "", L->nodes[i].op);
        if (count > 1) add(t, " x%lu", (unsigned long)count);
        if (body) add(t, " (body: %lu nodes)", (unsigned long)body);
    }
    if (!listed) add(t, "-");
}

/* The row label: "name (Class)", with Keras' [call] index for a layer called more than once. */
static void layer_label(text *t, const k2onnx_layer_info *L)
{
    if (!L->name) {
        add(t, "(graph outputs)");
        return;
    }
    add_name(t, L->name);
    if (L->ncalls > 1) add(t, "[%lu]", (unsigned long)L->call);
    add(t, " (");
    add_name(t, L->cls);
    add(t, ")");
}

static void tensor_lines(text *t, const char *title, const k2onnx_tensor_info *v, size_t n)
{
    size_t i;
    add(t, "%s:\n", title);
    for (i = 0; i < n; i++) {
        add(t, "  ");
        add_name(t, v[i].name);
        add(t, ": %s ", v[i].dtype);
        onnx_shape(t, &v[i]);
        add(t, "\n");
    }
}

#define SUMMARY_RULE "__________________________________________________________________________________________"
#define SUMMARY_BOLD "=========================================================================================="

/* A model.summary() style table, then the ONNX graph's totals, inputs and outputs. */
static void summary_text(text *t, const k2onnx_model_info *info)
{
    char num[32];
    unsigned long long total = 0;
    size_t i;
    add(t, "Model: \"");
    add_name(t, info->name);
    add(t, "\"\n" SUMMARY_RULE "\n");
    add(t, "Layer (type)                  Output Shape              Param #     ONNX nodes\n" SUMMARY_BOLD "\n");
    for (i = 0; i < info->nlayers; i++) {
        const k2onnx_layer_info *L = &info->layers[i];
        size_t row = t->len, cell;
        layer_label(t, L);
        pad_to(t, row, 30);
        cell = t->len;
        if (L->name) keras_shapes(t, L);
        else add(t, "-");
        pad_to(t, cell, 26);
        cell = t->len;
        if (!L->name) add(t, "-");
        else if (L->call > 0) add(t, "(shared)");
        else add(t, "%s", thousands(L->params, num, sizeof num));
        pad_to(t, cell, 12);
        op_list(t, L);
        add(t, "\n");
        total += L->params;
    }
    add(t, SUMMARY_BOLD "\nTotal params: %s\n", thousands(total, num, sizeof num));
    add(t, "ONNX graph: %lu nodes, %lu initializers (%s bytes), opset %d, IR version %lld\n", (unsigned long)info->nnodes,
        (unsigned long)info->ninitializers, thousands(info->initializer_bytes, num, sizeof num), info->opset, info->ir_version);
    tensor_lines(t, "Inputs", info->inputs, info->ninputs);
    tensor_lines(t, "Outputs", info->outputs, info->noutputs);
    add(t, SUMMARY_RULE "\n");
}

/* Names to numbers: which node makes a value, and which tensors have known shapes. Open
   addressing over FNV-1a hashes; the keys stay owned by the model info. */
typedef struct name_map {
    const char **keys;
    long *values;
    size_t cap;
} name_map;

static size_t name_hash(const char *s)
{
    size_t h = 2166136261u;
    while (*s) h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

static int map_init(name_map *m, size_t n)
{
    m->cap = 16;
    while (m->cap < 2 * n + 16) m->cap *= 2;
    m->keys = (const char **)calloc(m->cap, sizeof *m->keys);
    m->values = (long *)calloc(m->cap, sizeof *m->values);
    return m->keys && m->values;
}

static void map_put(name_map *m, const char *key, long value)
{
    size_t i = name_hash(key) & (m->cap - 1);
    while (m->keys[i] && strcmp(m->keys[i], key) != 0) i = (i + 1) & (m->cap - 1);
    m->keys[i] = key;
    m->values[i] = value;
}

static long map_get(const name_map *m, const char *key, long missing)
{
    size_t i = name_hash(key) & (m->cap - 1);
    while (m->keys[i]) {
        if (strcmp(m->keys[i], key) == 0) return m->values[i];
        i = (i + 1) & (m->cap - 1);
    }
    return missing;
}

static void map_free(name_map *m)
{
    free(m->keys);
    free(m->values);
}

/* A DOT string body: quotes and backslashes escaped, control characters as '?'. */
static void dot_string(text *t, const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') add(t, "\\%c", *s);
        else if ((unsigned char)*s < 0x20 || *s == 0x7f) add(t, "?");
        else add(t, "%c", *s);
    }
}

static void dot_tensor_label(text *t, const k2onnx_tensor_info *v)
{
    dot_string(t, v->name);
    add(t, "\\n%s ", v->dtype);
    onnx_shape(t, v);
}

/* The edge from the value `name` into node id `to`: from the node that makes it or the graph
   input it is, labelled with its shape where a Keras tensor or graph input gives one. */
static void dot_edge(text *t, const k2onnx_model_info *info, const name_map *made, const name_map *shapes, const char *name, const char *to)
{
    long from = map_get(made, name, 0), shape = map_get(shapes, name, -1);
    const k2onnx_tensor_info *v = NULL;
    if (!from) return; /* an initializer */
    if (shape >= 0) {
        size_t k = (size_t)shape, i;
        for (i = 0; i < info->nlayers && k >= info->layers[i].noutputs; i++) k -= info->layers[i].noutputs;
        v = i < info->nlayers ? &info->layers[i].outputs[k] : &info->inputs[k];
    }
    add(t, "  %s%ld -> %s", from > 0 ? "n" : "i", from > 0 ? from - 1 : -from - 1, to);
    if (v) {
        add(t, " [label=\"");
        onnx_shape(t, v);
        add(t, "\"]");
    }
    add(t, ";\n");
}

/* A Graphviz picture of the ONNX graph: one box per node, grouped by the Keras layer call that
   made it, graph inputs and outputs as ellipses, initializers left out. */
static void dot_text(text *t, const k2onnx_model_info *info)
{
    name_map made, shapes;
    size_t i, k, n = 0, nshapes = info->ninputs;
    char id[32];
    for (i = 0; i < info->nlayers; i++) nshapes += info->layers[i].noutputs;
    if (!map_init(&made, info->nnodes * 4 + info->ninputs) || !map_init(&shapes, nshapes)) {
        t->failed = 1;
        map_free(&made);
        map_free(&shapes);
        return;
    }
    /* shapes: layer outputs first, then graph inputs (numbered after them) */
    for (i = 0, k = 0; i < info->nlayers; i++) {
        size_t j;
        for (j = 0; j < info->layers[i].noutputs; j++) map_put(&shapes, info->layers[i].outputs[j].name, (long)k++);
    }
    for (i = 0; i < info->ninputs; i++) map_put(&shapes, info->inputs[i].name, (long)(k + i));
    for (i = 0; i < info->ninputs; i++) map_put(&made, info->inputs[i].name, -(long)i - 1);
    for (i = 0; i < info->nlayers; i++)
        for (k = 0; k < info->layers[i].nnodes; k++, n++) {
            size_t j;
            for (j = 0; j < info->layers[i].nodes[k].noutputs; j++)
                if (info->layers[i].nodes[k].outputs[j][0]) map_put(&made, info->layers[i].nodes[k].outputs[j], (long)n + 1);
        }
    add(t, "digraph \"");
    dot_string(t, info->name);
    add(t, "\" {\n  graph [rankdir=TB, fontname=\"Helvetica\", fontsize=11, label=\"");
    dot_string(t, info->name);
    add(t, ": ONNX opset %d\"];\n", info->opset);
    add(t, "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#eef2f7\", fontname=\"Helvetica\", fontsize=10];\n");
    add(t, "  edge [fontname=\"Helvetica\", fontsize=9];\n");
    for (i = 0; i < info->ninputs; i++) {
        add(t, "  i%lu [shape=ellipse, fillcolor=\"#d5e8d4\", label=\"", (unsigned long)i);
        dot_tensor_label(t, &info->inputs[i]);
        add(t, "\"];\n");
    }
    for (i = 0, n = 0; i < info->nlayers; i++) {
        const k2onnx_layer_info *L = &info->layers[i];
        if (!L->nnodes) continue;
        add(t, "  subgraph cluster_%lu {\n    label=\"", (unsigned long)i);
        if (L->name) {
            text label = {NULL, 0, 0, 0};
            layer_label(&label, L);
            if (label.failed) t->failed = 1;
            else dot_string(t, label.p);
            free(label.p);
        } else {
            add(t, "graph outputs");
        }
        add(t, "\";\n    style=\"rounded\"; color=\"#8da0b6\";\n");
        for (k = 0; k < L->nnodes; k++) {
            add(t, "    n%lu [label=\"%s", (unsigned long)(n + k), L->nodes[k].op);
            if (L->nodes[k].body_nodes) add(t, "\\n(body: %lu nodes)", (unsigned long)L->nodes[k].body_nodes);
            add(t, "\"];\n");
        }
        n += L->nnodes;
        add(t, "  }\n");
    }
    for (i = 0; i < info->noutputs; i++) {
        add(t, "  o%lu [shape=ellipse, fillcolor=\"#fde2c8\", label=\"", (unsigned long)i);
        dot_tensor_label(t, &info->outputs[i]);
        add(t, "\"];\n");
    }
    for (i = 0, n = 0; i < info->nlayers; i++)
        for (k = 0; k < info->layers[i].nnodes; k++, n++) {
            size_t j;
            snprintf(id, sizeof id, "n%lu", (unsigned long)n);
            for (j = 0; j < info->layers[i].nodes[k].ninputs; j++)
                if (info->layers[i].nodes[k].inputs[j][0]) dot_edge(t, info, &made, &shapes, info->layers[i].nodes[k].inputs[j], id);
        }
    for (i = 0; i < info->noutputs; i++) {
        snprintf(id, sizeof id, "o%lu", (unsigned long)i);
        dot_edge(t, info, &made, &shapes, info->outputs[i].name, id);
    }
    add(t, "}\n");
    map_free(&made);
    map_free(&shapes);
}

/* What --summary and --dot asked for, made while the conversion runs. */
typedef struct describe_request {
    int summary;
    const char *dot_path;
    text summary_text, dot;
} describe_request;

static int describe_model(void *user, const k2onnx_model_info *info)
{
    describe_request *r = (describe_request *)user;
    if (r->summary) summary_text(&r->summary_text, info);
    if (r->dot_path) dot_text(&r->dot, info);
    return r->summary_text.failed || r->dot.failed;
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
        print_message(path, "", err.message);
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

static int file_exists(const char *path)
{
#ifdef K2ONNX_CLI_POSIX
    struct stat st;
    return stat(path, &st) == 0;
#else
    FILE *fp = fopen(path, "rb");
    if (fp) fclose(fp);
    return fp != NULL;
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

/* Where the ONNX bytes go: the stream, whether it is a new file that will replace an existing
   output, and for such a file how much of it is written and how much of that has been handed to
   the system to write out. */
typedef struct output_file {
    FILE *fp;
    int replaces;
    int reserved;             /* its room was reserved before the first byte */
    unsigned long long written, started;
} output_file;

/* options.output_size for a new file: its room is reserved before the first byte (Linux
   fallocate, the file's length left as it is). ext4 then allocates the blocks in one step
   instead of one page at a time as the file grows (100 MB written in 1 MiB pieces: 15 ms
   instead of 23), and a rename over an existing output finds nothing left to allocate, so it
   does not wait on the disk. Advice only: where it fails or is not available, the file grows as
   it is written. */
static void reserve_output(void *user, unsigned long long size)
{
#if defined(__linux__) && defined(FALLOC_FL_KEEP_SIZE)
    output_file *out = (output_file *)user;
    if (size > 0 && size <= (unsigned long long)((off_t)1 << (sizeof(off_t) * 8 - 2)))
        out->reserved = fallocate(fileno(out->fp), FALLOC_FL_KEEP_SIZE, 0, (off_t)size) == 0;
#else
    (void)user;
    (void)size;
#endif
}

/* A file whose room could not be reserved and that will replace an existing output is written
   out as it goes: every 8 MiB, the system is asked to start writing out what is new (on Linux
   POSIX_FADV_DONTNEED starts writeback of the range and drops only pages already clean, which
   pages just written are not). Otherwise ext4 allocates and writes the whole file inside the
   rename (its auto_da_alloc safeguard) and the rename waits on the disk: 45 of its 65 ms on
   the 100 MB benchmark model. A rename that replaces nothing writes nothing out, so a new
   output gets no advice: starting writeback early only makes the conversion wait on the disk
   (65 -> 52 ms on that model); nor does a reserved file, for which the advice only costs (45 ->
   77 ms). Advice only: an error is ignored, and where it does nothing the file is written as
   before. */
#define OUTPUT_WRITEBACK_STEP ((unsigned long long)8 << 20)

static int write_file_chunk(void *user, const void *data, size_t size)
{
    output_file *out = (output_file *)user;
    if (fwrite(data, 1, size, out->fp) != size) return 1;
    out->written += size;
#if defined(K2ONNX_CLI_POSIX) && defined(POSIX_FADV_DONTNEED)
    if (out->replaces && !out->reserved && out->written - out->started >= OUTPUT_WRITEBACK_STEP) {
        if (fflush(out->fp) != 0) return 1;
        (void)posix_fadvise(fileno(out->fp), (off_t)out->started, (off_t)(out->written - out->started), POSIX_FADV_DONTNEED);
        out->started = out->written;
    }
#endif
    return 0;
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
    output_file out;
    k2onnx_error err;
    int ok;
    if (!open_input(input, &in)) return 1;
    memset(&out, 0, sizeof out);
    out.fp = stdout;
    ok = k2onnx_convert(in.data, in.size, opts, write_file_chunk, &out, NULL, &err) == k2onnx_result_success;
    close_input(&in);
    if (!ok && err.result != k2onnx_result_write_failed) print_message(input, "", err.message);
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
    output_file out;
    char *temp = NULL;
    FILE *fp;
    k2onnx_options file_opts;
    k2onnx_error err;
    int ok, existing_output;
    if (strcmp(output, "-") == 0) return convert_to_stdout(input, opts);
    if (same_file(input, output)) {
        fprintf(stderr, "k2onnx: %s: the output '%s' is the input file; nothing written\n", input, output);
        return 1;
    }
    if (!open_input(input, &in)) return 1;
    existing_output = file_exists(output);
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
    memset(&out, 0, sizeof out);
    out.fp = fp;
    out.replaces = temp != NULL && existing_output; /* a temporary file to rename over an output */
    file_opts = *opts;
    if (temp) {
        file_opts.output_size = reserve_output;
        file_opts.output_size_user = &out;
    }
    ok = k2onnx_convert(in.data, in.size, &file_opts, write_file_chunk, &out, NULL, &err) == k2onnx_result_success;
    close_input(&in);
    if (!ok) {
        if (err.result == k2onnx_result_write_failed) fprintf(stderr, "k2onnx: %s: write error on '%s'\n", input, output);
        else print_message(input, "", err.message);
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

#ifndef K2ONNX_NO_DESCRIBE
/* Writes `t` to `path` ("-": standard output) through a file beside it renamed over it, as the
   ONNX is written. */
static int write_text(const char *input, const char *path, const text *t)
{
    char *temp = NULL;
    FILE *fp;
    int ok;
    if (strcmp(path, "-") == 0) return fwrite(t->p, 1, t->len, stdout) == t->len && fflush(stdout) == 0;
    fp = is_special_file(path) ? fopen(path, "wb") : create_temp(path, &temp);
    ok = fp && fwrite(t->p, 1, t->len, fp) == t->len;
    if (fp && fclose(fp) != 0) ok = 0;
    if (ok && temp && rename(temp, path) != 0 && (remove(path) != 0 || rename(temp, path) != 0)) ok = 0;
    if (!ok) {
        fprintf(stderr, "k2onnx: %s: cannot write '%s'\n", input, path);
        if (temp) remove(temp);
    }
    free(temp);
    return ok;
}

/* --summary and --dot without -o: the conversion runs and is measured, nothing is written. */
static int convert_nowhere(const char *input, const k2onnx_options *opts)
{
    input_file in;
    k2onnx_error err;
    int ok;
    if (!open_input(input, &in)) return 1;
    ok = k2onnx_convert(in.data, in.size, opts, NULL, NULL, NULL, &err) == k2onnx_result_success;
    close_input(&in);
    if (!ok) print_message(input, "", err.message);
    return ok ? 0 : 1;
}

/* Converts with options.describe set, then prints the summary and writes the picture. */
static int convert_described(const char *input, const char *output, k2onnx_options *opts, describe_request *req)
{
    int status;
    if (req->dot_path && strcmp(req->dot_path, "-") != 0 && same_file(input, req->dot_path)) {
        fprintf(stderr, "k2onnx: %s: the --dot file '%s' is the input file; nothing written\n", input, req->dot_path);
        return 1;
    }
    opts->describe = describe_model;
    opts->describe_user = req;
    status = output ? convert(input, output, opts) : convert_nowhere(input, opts);
    if (status == 0 && req->summary && (fwrite(req->summary_text.p, 1, req->summary_text.len, stdout) != req->summary_text.len || fflush(stdout) != 0)) {
        fprintf(stderr, "k2onnx: %s: write error on standard output\n", input);
        status = 1;
    }
    if (status == 0 && req->dot_path && !write_text(input, req->dot_path, &req->dot)) status = 1;
    free(req->summary_text.p);
    free(req->dot.p);
    return status;
}
#endif

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
            print_message(argv[0], "", err.message);
            status = 1;
        }
    }
    for (i = 1; dump && i < argc && status == 0; i++) {
        if (argc > 2) printf("# %s\n", argv[i]);
        if (k2onnx_h5_read(data, size, argv[i], &opts, print_value, NULL, &err) != k2onnx_result_success) {
            print_message(argv[0], "", err.message);
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
    const char *input = NULL, *output = NULL, *config_path = NULL, *dot_path = NULL;
    unsigned char *config = NULL;
    int status, quiet = 0, summary = 0;
    k2onnx_options opts;
    k2onnx_input_shape shapes[MAX_INPUT_SHAPES];
    k2onnx_rename renames[MAX_RENAMES];
    size_t shape_dims[MAX_INPUT_SHAPES][8];
    int i;
    memset(&opts, 0, sizeof opts);
    opts.input_shapes = shapes;
    opts.renames = renames;
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
        } else if (strcmp(a, "--summary") == 0) {
            summary = 1;
        } else if (strcmp(a, "--dot") == 0) {
            if (++i >= argc) return usage_error("missing file after ", a);
            dot_path = argv[i];
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
        } else if (strcmp(a, "--rename") == 0) {
            if (++i >= argc) return usage_error("missing NAME=NEW after ", a);
            if (opts.renames_count == MAX_RENAMES) return usage_error("too many --rename options", NULL);
            if (!parse_rename(argv[i], &renames[opts.renames_count])) return usage_error("--rename wants NAME=NEW, got ", argv[i]);
            opts.renames_count++;
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
    if (!output && !summary && !dot_path) return usage_error("no output file (use -o FILE, --summary or --dot FILE)", NULL);
    {
        int to_stdout = (output && strcmp(output, "-") == 0) + summary + (dot_path && strcmp(dot_path, "-") == 0);
        if (to_stdout > 1) return usage_error("two of -o -, --summary and --dot - would write to standard output", NULL);
        if (output && dot_path && strcmp(output, "-") != 0 && strcmp(output, dot_path) == 0) return usage_error("-o and --dot name the same file: ", output);
    }
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
    opts.source_name = base_name(input);
    if (summary || dot_path) {
#ifdef K2ONNX_NO_DESCRIBE
        fprintf(stderr, "k2onnx: %s: --summary and --dot are left out of this build (K2ONNX_NO_DESCRIBE)\n", input);
        status = 1;
#else
        describe_request req;
        memset(&req, 0, sizeof req);
        req.summary = summary;
        req.dot_path = dot_path;
        status = convert_described(input, output, &opts, &req);
#endif
    } else {
        status = convert(input, output, &opts);
    }
    k2onnx_free(config);
    return status;
}
