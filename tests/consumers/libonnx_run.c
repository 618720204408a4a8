/*
 * libonnx_run: run one ONNX model with libonnx (xboot/libonnx, a C99 runtime used on firmware)
 * on raw tensors read from files, and write chosen tensors back as raw bytes.
 *
 *   libonnx_run MODEL.onnx [-s NAME D0xD1x...]... [-i NAME FILE]... [-o NAME FILE]...
 *
 *   -s NAME SHAPE  give graph input NAME this shape before -i fills it. Only its symbolic
 *                  dimensions may change: libonnx sets every symbolic dimension to 1.
 *   -i NAME FILE   fill tensor NAME with the little-endian bytes of FILE (float32, float64,
 *                  int32 or int64, as the tensor's type says); FILE must hold exactly the
 *                  tensor's size.
 *   -o NAME FILE   after the run, write tensor NAME's bytes to FILE.
 *
 * For each -o, one line `out NAME TYPE D0xD1x...` goes to stdout (`scalar` for rank 0), so the
 * caller can check the shape. Exit status 0 on success, 1 on any failure (one `libonnx_run: ...`
 * line per problem on stderr), 2 on a usage error.
 *
 * libonnx does not report failures itself, and a failed node leaves garbage behind, so this
 * program catches the two silent ways a run goes wrong:
 *   - a node whose operator libonnx lacks (an empty stub, or an opset it does not handle) runs
 *     libonnx's placeholder, which only prints `Unsupported opset => OP-N (domain)` to stdout.
 *     stdout is captured during the load and the run, and any such line is a failure naming
 *     the operator;
 *   - onnx_run() skips, without a word, a node whose reshape step refuses its inputs (bad
 *     broadcast, bad Reshape target, ...). The nodes are therefore run here with the same loop as
 *     onnx_run() but a refused reshape is a failure naming the node.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <onnx.h>

#define MAX_ARGS 256

struct tensor_arg {
    const char *name;
    const char *value; /* file name, or the shape text for -s */
};

static int failures;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void fail(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fprintf(stderr, "libonnx_run: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    failures++;
}

static void usage(void)
{
    fprintf(stderr, "usage: libonnx_run MODEL.onnx [-s NAME D0xD1x...]... [-i NAME FILE]... "
                    "[-o NAME FILE]...\n");
    exit(2);
}

/* The types a raw-bytes interface can carry unambiguously: the ones k2onnx puts on graph
 * inputs and outputs. */
static const char *raw_type_name(enum onnx_tensor_type_t type)
{
    switch (type) {
    case ONNX_TENSOR_TYPE_FLOAT32: return "float32";
    case ONNX_TENSOR_TYPE_INT32: return "int32";
    case ONNX_TENSOR_TYPE_INT64: return "int64";
    case ONNX_TENSOR_TYPE_FLOAT64: return "float64";
    default: return NULL;
    }
}

static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    long n;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        /* One spare byte so an empty file still gets a non-NULL buffer. */
        buf = malloc((size_t)n + 1);
        if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        }
        *len = (size_t)n;
    }
    fclose(f);
    return buf;
}

/* The graph input called NAME, or NULL if NAME is not one. */
static Onnx__ValueInfoProto *graph_input(struct onnx_context_t *ctx, const char *name)
{
    Onnx__GraphProto *g = ctx->model->graph;
    size_t i;

    for (i = 0; i < g->n_input; i++)
        if (strcmp(g->input[i]->name, name) == 0)
            return g->input[i];
    return NULL;
}

static void set_shape(struct onnx_context_t *ctx, const struct tensor_arg *a)
{
    struct onnx_tensor_t *t = onnx_tensor_search(ctx, a->name);
    Onnx__ValueInfoProto *vi = graph_input(ctx, a->name);
    Onnx__TensorShapeProto *shape;
    int dims[32], ndim = 0, k;
    const char *p = a->value;
    char *end;

    if (!t || !vi) {
        fail("-s %s: the model has no graph input of that name", a->name);
        return;
    }
    while (*p) {
        long d = strtol(p, &end, 10);
        if (end == p || d <= 0 || d > 1L << 30 || ndim == 32 || (*end && *end != 'x')) {
            fail("-s %s: bad shape '%s' (want D0xD1x..., each dimension > 0)", a->name, a->value);
            return;
        }
        dims[ndim++] = (int)d;
        p = *end ? end + 1 : end;
    }
    if (vi->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !vi->type->tensor_type->shape ||
        (int)vi->type->tensor_type->shape->n_dim != ndim) {
        fail("-s %s: shape '%s' does not have the rank of the graph input", a->name, a->value);
        return;
    }
    shape = vi->type->tensor_type->shape;
    for (k = 0; k < ndim; k++) {
        if (shape->dim[k]->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
            shape->dim[k]->dim_value != dims[k]) {
            fail("-s %s: shape '%s' changes a fixed dimension of the graph input", a->name, a->value);
            return;
        }
    }
    onnx_tensor_reinit(t, t->type, dims, ndim);
}

static void apply_input(struct onnx_context_t *ctx, const struct tensor_arg *a)
{
    struct onnx_tensor_t *t = onnx_tensor_search(ctx, a->name);
    unsigned char *buf;
    size_t len = 0, want;

    if (!t) {
        fail("-i %s: the model has no tensor of that name", a->name);
        return;
    }
    if (!raw_type_name(t->type)) {
        fail("-i %s: tensor type %s is not float32, float64, int32 or int64", a->name, onnx_tensor_type_tostring(t->type));
        return;
    }
    buf = read_file(a->value, &len);
    if (!buf) {
        fail("-i %s: cannot read %s", a->name, a->value);
        return;
    }
    want = t->ndata * (size_t)onnx_tensor_type_sizeof(t->type);
    if (len != want) {
        fail("-i %s: %s has %zu bytes, the tensor holds %zu", a->name, a->value, len, want);
    } else {
        onnx_tensor_apply(t, buf, len);
    }
    free(buf);
}

static void write_output(struct onnx_context_t *ctx, const struct tensor_arg *a)
{
    struct onnx_tensor_t *t = onnx_tensor_search(ctx, a->name);
    const char *type;
    size_t bytes;
    FILE *f;
    int k;

    if (!t) {
        fail("-o %s: the model has no tensor of that name", a->name);
        return;
    }
    type = raw_type_name(t->type);
    if (!type) {
        fail("-o %s: tensor type %s is not float32, float64, int32 or int64 (never computed?)", a->name,
             onnx_tensor_type_tostring(t->type));
        return;
    }
    if (!t->datas || t->ndata == 0) {
        fail("-o %s: the tensor holds no data after the run", a->name);
        return;
    }
    bytes = t->ndata * (size_t)onnx_tensor_type_sizeof(t->type);
    f = fopen(a->value, "wb");
    if (!f || fwrite(t->datas, 1, bytes, f) != bytes || fclose(f) != 0) {
        fail("-o %s: cannot write %s", a->name, a->value);
        return;
    }
    printf("out %s %s ", a->name, type);
    if (t->ndim == 0)
        printf("scalar");
    for (k = 0; k < t->ndim; k++)
        printf(k ? "x%d" : "%d", t->dims[k]);
    printf("\n");
}

/* What libonnx printed to the capture file since offset *pos, with its ANSI colour escapes and
 * \r removed; *pos moves to the end. libonnx prints with printf, so flush stdout first. */
static size_t take_captured(FILE *cap, long *pos, char *out, size_t cap_len)
{
    char buf[4096];
    size_t n, i, j = 0;
    int in_escape = 0;

    fflush(stdout);
    if (fseek(cap, *pos, SEEK_SET) != 0)
        return 0;
    while ((n = fread(buf, 1, sizeof buf, cap)) > 0) {
        for (i = 0; i < n; i++) {
            char c = buf[i];
            if (in_escape) {
                in_escape = c != 'm';
                continue;
            }
            if (c == '\033')
                in_escape = 1;
            else if (c != '\r' && j + 1 < cap_len)
                out[j++] = c;
        }
    }
    out[j] = 0;
    *pos = ftell(cap);
    return j;
}

/* Pass text libonnx printed on to stderr, except its `Unsupported opset` lines, which the caller
 * reports. Returns the first such line (in place, without the newline), or NULL. */
static char *relay_captured(char *text)
{
    char *unsupported = NULL, *line = text, *nl;

    while (line && *line) {
        nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        if (strstr(line, "Unsupported opset")) {
            if (!unsupported)
                unsupported = line;
        } else if (*line) {
            fprintf(stderr, "libonnx: %s\n", line);
        }
        line = nl ? nl + 1 : NULL;
    }
    return unsupported;
}

/* libonnx picks an operator's kernel at load time from the types its inputs have by then; an
 * input made by an unsupported node has no type, so its consumers are left unresolved too.
 * Omitted optional inputs (empty names) do not count: libonnx maps them all to one untyped
 * tensor called "". */
static int has_untyped_input(const struct onnx_node_t *n)
{
    int j;

    for (j = 0; j < n->ninput; j++)
        if (n->proto->input[j][0] && n->inputs[j] && n->inputs[j]->type == ONNX_TENSOR_TYPE_UNDEFINED)
            return 1;
    return 0;
}

/* Run every node in file order, as onnx_run() does, but check each node on its own: a node whose
 * reshape step refuses its inputs (which onnx_run() skips silently) or that runs libonnx's
 * `Unsupported opset` placeholder is a failure naming the node. Nodes left unresolved only
 * because an earlier unsupported node gave them untyped inputs are counted, not listed. */
static void run_nodes(struct onnx_context_t *ctx, FILE *cap, long *pos)
{
    static char text[8192];
    int i, downstream = 0;

    for (i = 0; i < ctx->g->nlen; i++) {
        struct onnx_node_t *n = &ctx->g->nodes[i];
        const char *name = n->proto->name ? n->proto->name : "";
        char *unsupported;

        if (!n->reshape(n)) {
            fail("node %d '%s' (%s): libonnx cannot shape its outputs from its inputs; the node did not run",
                 i, name, n->proto->op_type);
            continue;
        }
        n->operator(n);
        take_captured(cap, pos, text, sizeof text);
        unsupported = relay_captured(text);
        if (!unsupported)
            continue;
        if (has_untyped_input(n))
            downstream++;
        else
            fail("node %d '%s': %s: libonnx has no implementation of this operator", i, name, unsupported);
    }
    if (downstream)
        fail("%d later node(s) not run: their inputs come from unsupported nodes", downstream);
}

int main(int argc, char **argv)
{
    struct tensor_arg shapes[MAX_ARGS], ins[MAX_ARGS], outs[MAX_ARGS];
    int nshape = 0, nin = 0, nout = 0, i, saved_stdout;
    struct onnx_context_t *ctx;
    static char load_text[8192];
    long pos = 0;
    FILE *cap;

    if (argc < 2 || argv[1][0] == '-')
        usage();
    for (i = 2; i < argc; i += 3) {
        struct tensor_arg *list;
        int *count;
        if (i + 2 >= argc)
            usage();
        if (strcmp(argv[i], "-s") == 0)
            list = shapes, count = &nshape;
        else if (strcmp(argv[i], "-i") == 0)
            list = ins, count = &nin;
        else if (strcmp(argv[i], "-o") == 0)
            list = outs, count = &nout;
        else
            usage();
        if (*count == MAX_ARGS)
            usage();
        list[*count].name = argv[i + 1];
        list[*count].value = argv[i + 2];
        ++*count;
    }

    /* libonnx reports only with printf: send stdout to a temporary file while it works. */
    cap = tmpfile();
    saved_stdout = dup(STDOUT_FILENO);
    if (!cap || saved_stdout < 0 || fflush(stdout) != 0 || dup2(fileno(cap), STDOUT_FILENO) < 0) {
        fprintf(stderr, "libonnx_run: cannot capture stdout: %s\n", strerror(errno));
        return 1;
    }

    ctx = onnx_context_alloc_from_file(argv[1], NULL, 0);
    /* Nothing is expected during the load; pass on whatever it printed. */
    take_captured(cap, &pos, load_text, sizeof load_text);
    relay_captured(load_text);
    if (ctx) {
        for (i = 0; i < nshape; i++)
            set_shape(ctx, &shapes[i]);
        for (i = 0; i < nin; i++)
            apply_input(ctx, &ins[i]);
        if (!failures)
            run_nodes(ctx, cap, &pos);
    }
    fflush(stdout);
    dup2(saved_stdout, STDOUT_FILENO);
    close(saved_stdout);
    fclose(cap);

    if (!ctx) {
        /* NULL covers an unreadable file, a protobuf that does not parse and a node whose
         * init step rejected its attributes: libonnx does not say which. */
        fail("%s: libonnx cannot load the model (unreadable, not ONNX, or a node's init failed)",
             argv[1]);
        return 1;
    }
    if (!failures)
        for (i = 0; i < nout; i++)
            write_output(ctx, &outs[i]);
    onnx_context_free(ctx);
    return failures ? 1 : 0;
}
