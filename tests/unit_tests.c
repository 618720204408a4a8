/* Unit tests of the k2onnx.h sections: support code, HDF5 pieces, JSON, the Keras model (configs,
   layer graph, weights), protobuf encoder, and the public API contract. Prints one line per
   failure and ends with "N passed, M failed". */
#define K2ONNX_IMPLEMENTATION
#include "../k2onnx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

static int passed, failed;

/* A fixture the test reads is missing: a failure, never a silent pass. */
#define CHECK(cond)                                                          \
    do {                                                                     \
        if (cond) passed++;                                                  \
        else { failed++; printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); } \
    } while (0)

/* --- helpers ----------------------------------------------------------------------------- */

typedef struct bytes {
    unsigned char data[4096];
    size_t size;
} bytes;

static int bytes_write(void *user, const void *data, size_t size)
{
    bytes *b = (bytes *)user;
    if (b->size + size > sizeof b->data) return 1;
    memcpy(b->data + b->size, data, size);
    b->size += size;
    return 0;
}

static void ctx_init(k2onnx__ctx *c)
{
    memset(c, 0, sizeof *c);
    c->error = &c->local_error;
    c->opt.max_memory = (size_t)1 << 26;
    c->opt.max_json_depth = 32;
    c->opt.max_objects = 100000;
    c->opt.max_dataset_ratio = 2048;
    c->opt.max_graph_depth = 4096;
    c->opt.opset = K2ONNX_DEFAULT_OPSET;
}

static unsigned char *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf;
    long n;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = (unsigned char *)malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) { free(buf); buf = NULL; }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

/* The fixture at path, read whole; NULL, counted as a failure, when it cannot be read. */
static unsigned char *load_fixture(const char *path, size_t *size)
{
    unsigned char *buf = read_file(path, size);
    if (buf) passed++;
    else {
        failed++;
        printf("FAIL a test file is missing or unreadable: %s\n", path);
    }
    return buf;
}

/* --- 1. support ----------------------------------------------------------------------------- */

static void test_format(void)
{
    k2onnx__ctx c;
    ctx_init(&c);
    k2onnx__fail(&c, k2onnx_result_invalid_model, "layer '%s' (%.*s): %d/%u", "lstm_1", 4, "LSTMxx", -42, (unsigned long long)18446744073709551615ull);
    CHECK(strcmp(c.local_error.message, "layer 'lstm_1' (LSTM): -42/18446744073709551615") == 0);
    CHECK(c.local_error.result == k2onnx_result_invalid_model);
    k2onnx__fail(&c, k2onnx_result_invalid_json, "second");
    CHECK(c.local_error.result == k2onnx_result_invalid_model); /* first error wins */
}

static void test_one_line_messages(void)
{
    k2onnx__ctx c;
    ctx_init(&c);
    k2onnx__fail(&c, k2onnx_result_invalid_file, "HDF5 path '%s' does not exist", "/a\nb\x7f\tc");
    CHECK(strcmp(c.local_error.message, "HDF5 path '/a?b??c' does not exist") == 0);
}

static void test_arena_limit(void)
{
    k2onnx__ctx c;
    ctx_init(&c);
    c.opt.max_memory = 100000;
    CHECK(k2onnx__alloc(&c, 1000) != NULL);
    CHECK(k2onnx__alloc(&c, 200000) == NULL);
    CHECK(c.local_error.result == k2onnx_result_limit_exceeded);
    CHECK(k2onnx__alloc_array(&c, (size_t)-1 / 2, 4) == NULL);
    k2onnx__free_all(&c);
    CHECK(c.blocks == NULL);
}

static void test_numbers(void)
{
    static const unsigned char le[] = {0x01, 0x02, 0x03, 0x04};
    CHECK(k2onnx__le(le, 4) == 0x04030201u);
    CHECK(k2onnx__be(le, 4) == 0x01020304u);
    CHECK(k2onnx__f16_to_f32(0x3c00) == 1.0f);
    CHECK(k2onnx__f16_to_f32(0xc000) == -2.0f);
    CHECK(k2onnx__f16_to_f32(0x0001) == ldexpf(1.0f, -24));
    CHECK(isinf(k2onnx__f16_to_f32(0x7c00)));
    CHECK(isnan(k2onnx__f16_to_f32(0x7e00)));
    CHECK(k2onnx__in_bounds(10, 10, 0));
    CHECK(!k2onnx__in_bounds(10, 10, 1));
    CHECK(!k2onnx__in_bounds(10, 2, UINT64_MAX));
}

/* --- 2. HDF5 -------------------------------------------------------------------------------- */

/* The libm-free square root agrees with the C library's to within an ulp or two. */
static void test_sqrt(void)
{
    double x;
    int bad = 0;
    for (x = 1e-300; x < 1e300; x *= 1.37) {
        double want = sqrt(x), got = k2onnx__sqrt(x);
        if (fabs(got - want) > 4e-16 * want) bad++;
    }
    CHECK(bad == 0);
    CHECK(k2onnx__sqrt(0.0) == 0.0 && k2onnx__sqrt(4.0) == 2.0 && k2onnx__sqrt(1e-3 + 1.0) == sqrt(1e-3 + 1.0));
    CHECK(isnan(k2onnx__sqrt(-1.0)));
}

static void test_lookup3(void)
{
    /* Reference values of Bob Jenkins' hashlittle with initval 0. */
    CHECK(k2onnx__lookup3((const unsigned char *)"", 0) == 0xdeadbeefu);
    CHECK(k2onnx__lookup3((const unsigned char *)"Four score and seven years ago", 30) == 0x17770551u);
}

static void test_h5_rejects_garbage(void)
{
    k2onnx__ctx c;
    k2onnx__h5 f;
    unsigned char junk[2048];
    memset(junk, 0xab, sizeof junk);
    ctx_init(&c);
    CHECK(!k2onnx__h5_open(&f, &c, junk, sizeof junk));
    CHECK(c.local_error.result == k2onnx_result_invalid_file);
    CHECK(strstr(c.local_error.message, "not an HDF5 file") != NULL);
    /* A signature with nothing after it is a truncated superblock, not a crash. */
    ctx_init(&c);
    memcpy(junk + 512, "\x89HDF\r\n\x1a\n", 8);
    CHECK(!k2onnx__h5_open(&f, &c, junk, 520));
    CHECK(strstr(c.local_error.message, "truncated") != NULL);
    k2onnx__free_all(&c);
}

/* Reads the Keras attributes and a weight of a committed fixture through the HDF5 section. */
static void test_h5_fixture(const char *path)
{
    k2onnx__ctx c;
    k2onnx__h5 f;
    k2onnx__h5obj root;
    k2onnx__h5array a;
    const k2onnx__h5attr *attr;
    const char *s = NULL;
    size_t size = 0, len = 0;
    unsigned char *buf = load_fixture(path, &size);
    if (!buf) return;
    ctx_init(&c);
    CHECK(k2onnx__h5_open(&f, &c, buf, size));
    CHECK(k2onnx__h5_object(&f, f.root_addr, "/", &root));
    attr = k2onnx__h5_attr(&root, "model_config");
    CHECK(attr != NULL);
    if (attr) {
        CHECK(k2onnx__h5_attr_string(&f, "/", attr, 0, &s, &len));
        CHECK(len > 10 && s[0] == '{');
    }
    CHECK(k2onnx__h5_open_path(&f, "/model_weights", &root, 0));
    CHECK(k2onnx__h5_attr(&root, "layer_names") != NULL);
    CHECK(!k2onnx__kweight_array(&f, "/model_weights/no_such_layer/kernel:0", &a));
    CHECK(strstr(c.local_error.message, "does not exist") != NULL);
    k2onnx__free_all(&c);
    free(buf);
}

/* Walking a path reads the links of the groups on the way and the attributes of its end alone:
   a walk to a weight (the root and three groups on the way) costs the arena less than reading
   the root with its attributes once. */
static void test_h5_path_memory(void)
{
    static unsigned char memory[256 * 1024];
    static const char *const weight = "/model_weights/lstm_1/lstm_1/kernel:0";
    k2onnx__ctx c;
    k2onnx__h5 f;
    k2onnx__h5obj o;
    size_t size = 0, before, root_cost, walk_cost, i;
    unsigned char *buf = load_fixture("tests/fixtures/k22_lstm_state.h5", &size);
    if (!buf) return;
    ctx_init(&c);
    c.memory = memory;
    c.memory_size = sizeof memory;
    CHECK(k2onnx__h5_open(&f, &c, buf, size));
    before = k2onnx__memory_used(&c);
    CHECK(k2onnx__h5_object(&f, f.root_addr, "/", &o) && o.nattrs == 4);
    root_cost = k2onnx__memory_used(&c) - before;
    before = k2onnx__memory_used(&c);
    for (i = 0; i < 10; i++) CHECK(k2onnx__h5_open_path(&f, weight, &o, 0) && o.has_layout && o.nattrs == 0);
    walk_cost = (k2onnx__memory_used(&c) - before) / 10;
#ifndef K2ONNX_DEBUG_ARENA /* there every object is a heap block of its own */
    CHECK(walk_cost < root_cost);
    if (walk_cost >= root_cost) fprintf(stderr, "  a walk took %lu bytes, the root %lu\n", (unsigned long)walk_cost, (unsigned long)root_cost);
#else
    (void)walk_cost;
    (void)root_cost;
#endif
    /* The end of a path has its attributes, a group's as a dataset's. */
    CHECK(k2onnx__h5_open_path(&f, "/model_weights/lstm_1/", &o, 0) && o.nattrs == 1 && k2onnx__h5_attr(&o, "weight_names"));
    CHECK(k2onnx__h5_open_path(&f, "/", &o, 0) && o.nattrs == 4);
    k2onnx__free_all(&c);
    free(buf);
}

/* --- 3. JSON -------------------------------------------------------------------------------- */

static int parse(k2onnx__ctx *c, const char *text, k2onnx__json *v)
{
    ctx_init(c);
    return k2onnx__json_parse(c, "test", text, strlen(text), v);
}

static void test_json_values(void)
{
    k2onnx__ctx c;
    k2onnx__json v;
    const k2onnx__json *a;
    CHECK(parse(&c, " {\"a\": [1, 2.5, -3e2, NaN, Infinity, -Infinity, true, false, null, \"x\\u00e9\\ud83d\\ude00\\n\"], \"b\": {}} ", &v));
    a = k2onnx__jget(&v, "a");
    CHECK(a && a->type == K2ONNX__JARRAY && a->n == 10);
    if (a && a->n == 10) {
        CHECK(a->items[0].number == 1.0);
        CHECK(a->items[1].number == 2.5);
        CHECK(a->items[2].number == -300.0);
        CHECK(isnan(a->items[3].number));
        CHECK(isinf(a->items[4].number) && a->items[4].number > 0);
        CHECK(isinf(a->items[5].number) && a->items[5].number < 0);
        CHECK(a->items[6].type == K2ONNX__JTRUE && a->items[7].type == K2ONNX__JFALSE && a->items[8].type == K2ONNX__JNULL);
        CHECK(strcmp(a->items[9].str, "x\xc3\xa9\xf0\x9f\x98\x80\n") == 0 && a->items[9].len == 8);
    }
    CHECK(k2onnx__jget(&v, "b") && k2onnx__jget(&v, "b")->type == K2ONNX__JOBJECT);
    CHECK(k2onnx__jget(&v, "missing") == NULL);
    k2onnx__free_all(&c);
    CHECK(parse(&c, "[0.1, 1e-7, 0.0010000000474974513, 123456789012345678901234, -0]", &v));
    CHECK(v.items[0].number == 0.1f && !v.items[0].integral);
    CHECK(v.items[1].number == 1e-7f);
    CHECK(v.items[2].number == 0.001f);
    CHECK(v.items[3].number == 1.23456789012345678901234e23f && !v.items[3].integral);
    CHECK(v.items[4].number == 0.0f && signbit(v.items[4].number) && v.items[4].integral && v.items[4].integer == 0);
    k2onnx__free_all(&c);
}

/* One JSON number: its float32 bits, whether it is an integer and which. */
static uint32_t number_bits(const char *text, int *integral, long long *integer)
{
    k2onnx__ctx c;
    k2onnx__json v;
    uint32_t bits = 0xdeadbeefu;
    if (parse(&c, text, &v) && v.type == K2ONNX__JNUMBER) {
        bits = k2onnx__f32_bits(v.number);
        *integral = v.integral;
        *integer = (long long)v.integer;
    }
    k2onnx__free_all(&c);
    return bits;
}

static uint64_t test_random(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Numbers become the nearest float32 with ties to even, as the C library's strtof gives them
   (exact in glibc and musl): floats printed short and in full, doubles, the exact halfway
   points between neighbouring floats (normal and subnormal) and decimals one digit off them,
   long significands, and the ends of the range. Integers are exact up to 2^63 - 1. */
static void test_json_float32_rounding(void)
{
    static const char *edges[] = {"1e-45", "7e-46", "7.1e-46", "1.4012984643248170709e-45", "1.17549435e-38", "1.1754942e-38",
                                  "3.4028235e38", "3.40282357e38", "3.4028236e38", "1e39", "1e-46", "16777217", "16777217.000000000000000000001",
                                  "16777218.999999999999999999999", "0.000000000000000000000000000000000000000000001", "123456789012345678901234567890e-30",
                                  "4.2e-400", "4.2e400", "0.00000000000000000000000000000000000000000000000000000000001e60"};
    uint64_t s = 0x9e3779b97f4a7c15ull;
    char text[256];
    int i, bad = 0, integral = -1;
    long long integer = 0;
    for (i = 0; i < (int)(sizeof edges / sizeof edges[0]); i++)
        if (number_bits(edges[i], &integral, &integer) != k2onnx__f32_bits(strtof(edges[i], NULL))) { bad++; printf("  %s\n", edges[i]); }
    for (i = 0; i < 60000; i++) {
        uint64_t r = test_random(&s);
        float f = k2onnx__f32_from_bits((uint32_t)r & 0x7f7fffffu), g;
        double d;
        switch (i % 5) {
        case 0: sprintf(text, "%.9g", (double)f); break;
        case 1: sprintf(text, "%.17g", (double)f); break;
        case 2: memcpy(&d, &r, 8); sprintf(text, "%.17g", d - d == 0 ? d : 1.0); break;
        default: /* halfway points (exact in double), subnormal ones too, and one digit off */
            if (i % 5 == 4) f = k2onnx__f32_from_bits((uint32_t)r & 0x00ffffffu);
            g = k2onnx__f32_from_bits(k2onnx__f32_bits(f) + 1u);
            sprintf(text, "%.120g", ((double)f + (double)g) / 2);
            if ((r >> 40) & 1u) {
                size_t n = strcspn(text, "e"), k = 1 + (size_t)(r >> 48) % (n > 1 ? n - 1 : 1);
                if (text[k] > '0' && text[k] < '9') text[k] = (char)(text[k] + ((r >> 41) & 1u ? 1 : -1));
            }
        }
        if (r >> 63 && text[0] != '-') { memmove(text + 1, text, strlen(text) + 1); text[0] = '-'; }
        if (number_bits(text, &integral, &integer) != k2onnx__f32_bits(strtof(text, NULL)) && bad++ < 5) printf("  %s\n", text);
    }
    CHECK(bad == 0);
    CHECK(number_bits("12.50e1", &integral, &integer) == k2onnx__f32_bits(125.0f) && integral && integer == 125);
    CHECK(number_bits("3.0", &integral, &integer) && integral && integer == 3);
    CHECK(number_bits("100e-2", &integral, &integer) && integral && integer == 1);
    CHECK(number_bits("-1099511627776", &integral, &integer) && integral && integer == -1099511627776ll);
    CHECK(number_bits("9223372036854775807", &integral, &integer) && integral && integer == 9223372036854775807ll);
    CHECK(number_bits("9223372036854775808", &integral, &integer) && !integral);
    CHECK(number_bits("1e19", &integral, &integer) && !integral);
    CHECK(number_bits("2.5", &integral, &integer) && !integral);
    CHECK(number_bits("1.0000000000000000000001", &integral, &integer) && !integral);
    CHECK(number_bits("1e-400", &integral, &integer) == 0u && !integral);
    /* digits past the first 120 still count: a halfway point and a one far behind it */
    memset(text, '0', sizeof text);
    memcpy(text, "16777217.", 9);
    strcpy(text + 140, "1");
    CHECK(number_bits(text, &integral, &integer) == k2onnx__f32_bits(16777218.0f) && !integral);
    text[140] = '\0';
    CHECK(number_bits(text, &integral, &integer) == k2onnx__f32_bits(16777216.0f) && integral && integer == 16777217);
    memset(text, '0', sizeof text);
    text[0] = '1';
    strcpy(text + 131, "e-100");
    CHECK(number_bits(text, &integral, &integer) == k2onnx__f32_bits(1e30f) && !integral);
}

/* float64 weights become the nearest float32, as the C conversion makes them. */
static void test_f64_to_f32(void)
{
    uint64_t s = 0x243f6a8885a308d3ull;
    int i, bad = 0;
    for (i = 0; i < 200000; i++) {
        uint64_t u = test_random(&s);
        double d;
        if (i % 3) u = (u & 0x800fffffffffffffull) | (uint64_t)(860 + (u >> 20) % 300) << 52; /* float32's range */
        if (i % 3 == 2) u = (u & ~0x1fffffffull) | 0x10000000ull; /* halfway between two floats */
        memcpy(&d, &u, 8);
        if (k2onnx__f32_bits(k2onnx__f32_from_f64_bits(u)) != k2onnx__f32_bits((float)d) && bad++ < 5)
            printf("  %016llx\n", (unsigned long long)u);
    }
    CHECK(bad == 0);
    CHECK(k2onnx__f32_bits(k2onnx__f32_from_f64_bits(0x7ff8000000000000ull)) == 0x7fc00000u);
    CHECK(k2onnx__f32_bits(k2onnx__f32_from_f64_bits(0xfff0000000000000ull)) == 0xff800000u);
}

static void expect_json_error(const char *text, const char *needle, k2onnx_result r)
{
    k2onnx__ctx c;
    k2onnx__json v;
    int ok = parse(&c, text, &v);
    CHECK(!ok);
    CHECK(c.local_error.result == r);
    if (!strstr(c.local_error.message, needle)) printf("  message was: %s\n", c.local_error.message);
    CHECK(strstr(c.local_error.message, needle) != NULL);
    k2onnx__free_all(&c);
}

/* What a parsed tree needs at the least: each container's values and each string and key. */
static size_t json_tree_bytes(const k2onnx__json *v)
{
    size_t b = 0, i;
    if (v->type == K2ONNX__JSTRING) return K2ONNX__ALIGNED(v->len + 1);
    if (v->type != K2ONNX__JARRAY && v->type != K2ONNX__JOBJECT) return 0;
    if (v->n) b += K2ONNX__ALIGNED(v->n * sizeof *v->items);
    for (i = 0; i < v->n; i++) {
        b += json_tree_bytes(&v->items[i]);
        if (v->type == K2ONNX__JOBJECT) b += K2ONNX__ALIGNED(strlen(v->items[i].key) + 1);
    }
    return b;
}

/* A container takes exactly as many values as it holds: a config of 300 small layers parses
   in at most 5/4 of what its tree needs (the rest is the stack of open values), where arrays
   grown value by value took twice as much. */
static void test_json_memory(void)
{
    static unsigned char memory[1 << 20];
    static const char layer[] = "{\"class_name\": \"Dense\", \"config\": {\"name\": \"d\", \"units\": 4, \"activation\": \"relu\", \"use_bias\": true}}";
    size_t cap = 300 * (sizeof layer + 2) + 100, at = 0, i, before, used, need;
    char *text = (char *)malloc(cap);
    k2onnx__ctx c;
    k2onnx__json v;
    if (!text) return;
    at += (size_t)sprintf(text, "{\"class_name\": \"Sequential\", \"config\": {\"layers\": [");
    for (i = 0; i < 300; i++) at += (size_t)sprintf(text + at, "%s%s", i ? ", " : "", layer);
    at += (size_t)sprintf(text + at, "]}}");
    ctx_init(&c);
    c.memory = memory;
    c.memory_size = sizeof memory;
    before = k2onnx__memory_used(&c);
    CHECK(k2onnx__json_parse(&c, "test", text, at, &v));
    used = k2onnx__memory_used(&c) - before;
    need = json_tree_bytes(&v);
#ifndef K2ONNX_DEBUG_ARENA /* there every object is a heap block of its own */
    CHECK(used <= need + need / 4);
    if (used > need + need / 4) fprintf(stderr, "  the tree needs %lu bytes, parsing took %lu\n", (unsigned long)need, (unsigned long)used);
#else
    (void)used;
    (void)need;
#endif
    CHECK(v.n == 2 && k2onnx__jget(k2onnx__jget(&v, "config"), "layers")->n == 300);
    k2onnx__free_all(&c);
    free(text);
}

static void test_json_errors(void)
{
    char deep[200];
    int i;
    expect_json_error("[1, 2,]", "at byte 6", k2onnx_result_invalid_json);
    expect_json_error("{\"a\" 1}", "expected ':'", k2onnx_result_invalid_json);
    expect_json_error("\"abc", "unterminated string", k2onnx_result_invalid_json);
    expect_json_error("\"a\tb\"", "control character", k2onnx_result_invalid_json);
    expect_json_error("01", "trailing characters", k2onnx_result_invalid_json);
    expect_json_error("-", "bad number", k2onnx_result_invalid_json);
    expect_json_error("1.", "bad number", k2onnx_result_invalid_json);
    expect_json_error("\"\\x\"", "bad escape", k2onnx_result_invalid_json);
    expect_json_error("\"\\u12G4\"", "bad hex digit", k2onnx_result_invalid_json);
    expect_json_error("", "unexpected end", k2onnx_result_invalid_json);
    expect_json_error("nul", "bad number", k2onnx_result_invalid_json);
    for (i = 0; i < 100; i++) deep[i] = '[';
    deep[100] = '\0';
    expect_json_error(deep, "nesting deeper than 32", k2onnx_result_limit_exceeded);
}

/* --- 5. Keras model ------------------------------------------------------------------------- */

/* JSON written with single quotes in the tests (no name here holds one), as the double-quoted
   text Keras writes. */
static char *dequote(const char *text)
{
    size_t n = strlen(text), i;
    char *out = (char *)malloc(n + 1);
    if (!out) return NULL;
    for (i = 0; i <= n; i++) out[i] = text[i] == '\'' ? '"' : text[i];
    return out;
}

/* A Keras 3 call argument that is the output `tensor` of call `node` of layer `name`. */
#define KT(name, node, tensor) "{'class_name': '__keras_tensor__', 'config': {'keras_history': ['" name "', " #node ", " #tensor "]}}"

typedef struct kmodel_env {
    k2onnx__ctx c;
    k2onnx__h5 f;
    k2onnx__kmodel m;
    unsigned char *buf;
    char *json;
} kmodel_env;

/* Loads a model as k2onnx_convert does: the .h5 or .keras file at `path`, with `json` (single
   quotes) as its architecture when given, the way options.model_config brings one to a weights
   file. 1 loaded, 0 refused (the message in e->c.local_error), -1 the file is missing. */
static int kmodel_open(kmodel_env *e, const char *path, const char *json)
{
    k2onnx_options opts;
    size_t size = 0;
    memset(e, 0, sizeof *e);
    memset(&opts, 0, sizeof opts);
    if (!(e->buf = load_fixture(path, &size))) return -1;
    if (json && !(opts.model_config = e->json = dequote(json))) return 0;
    k2onnx__ctx_init(&e->c, e->buf, size, &opts, NULL);
    return k2onnx__open_weights(&e->c, e->buf, size, &e->f) && k2onnx__kload(&e->m, &e->c, &e->f);
}

static void kmodel_close(kmodel_env *e)
{
    k2onnx__free_all(&e->c);
    free(e->buf);
    free(e->json);
}

/* The layer graph as one line: each layer as name:Class followed by one [...] per call listing
   the tensors it reads (layer@node.tensor, =keyword when passed by name), then the model's
   inputs and outputs. */
static const char *graph_text(const k2onnx__kmodel *m, char *out, size_t cap)
{
    size_t i, k, j, len = 0;
    const char *sep;
#define PUT(...) (len += (size_t)snprintf(out + len, len < cap ? cap - len : 0, __VA_ARGS__), len = len < cap ? len : cap)
#define REF(r) PUT("%s%s@%u.%u%s%s", sep, m->layers[(r).layer].name, (unsigned)(r).node, (unsigned)(r).tensor, (r).kwarg ? "=" : "", \
                   (r).kwarg ? (r).kwarg : ""), sep = ","
    out[0] = '\0';
    for (i = 0; i < m->nlayers; i++) {
        const k2onnx__klayer *L = &m->layers[i];
        PUT("%s%s:%s", i ? " " : "", L->name, L->cls);
        for (k = 0; k < L->ncalls; k++) {
            PUT("[");
            for (j = 0, sep = ""; j < L->calls[k].ninputs; j++) REF(L->calls[k].inputs[j]);
            PUT("]");
        }
    }
    PUT(" in:");
    for (i = 0, sep = ""; i < m->ninputs; i++) REF(m->inputs[i]);
    PUT(" out:");
    for (i = 0, sep = ""; i < m->noutputs; i++) REF(m->outputs[i]);
#undef REF
#undef PUT
    return out;
}

/* Loads a model as kmodel_open does and compares its layer graph with `expect`. Cases share one
   CHECK line, so a failure names its case by `what`. */
static int graph_is(kmodel_env *e, const char *what, const char *path, const char *json, const char *expect)
{
    char text[2048];
    int r = kmodel_open(e, path, json);
    if (r < 0) return 0;
    if (!r) {
        printf("  %s: refused: %s\n", what, e->c.local_error.message);
        return 0;
    }
    if (strcmp(graph_text(&e->m, text, sizeof text), expect) != 0) {
        printf("  %s:\n    graph:    %s\n    expected: %s\n", what, text, expect);
        return 0;
    }
    return 1;
}

/* A model config and the layer graph it must give; `more` checks what the graph text does not
   show (names, shared configs, weight groups, keyword arguments that are not tensors). */
typedef struct graph_case {
    const char *what, *json, *graph;
    void (*more)(const k2onnx__kmodel *m);
} graph_case;

/* `more` runs whatever the graph gave, as each case guards what it reads: a refused model still
   counts its checks. */
static void check_graphs(const char *weights, const graph_case *cases, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        kmodel_env e;
        CHECK(graph_is(&e, cases[i].what, weights, cases[i].json, cases[i].graph));
        if (cases[i].more) cases[i].more(&e.m);
        kmodel_close(&e);
    }
}

static void more_bare_list(const k2onnx__kmodel *m)
{
    size_t at = 0;
    if (m->nlayers != 3) return;
    CHECK(strcmp(m->name, "keras_model") == 0); /* a bare list has no name */
    /* the synthesized input finds its shape in the first layer's batch_input_shape */
    CHECK(m->layers[0].config == m->layers[1].config);
    CHECK(k2onnx__kfind_layer(m, "dense_1", &at) && at == 2);
    CHECK(!k2onnx__kfind_layer(m, "dense", &at));
    CHECK(strcmp(m->weights_root, "/model_weights") == 0 && m->keras3_paths == 0);
}

static void more_named_list(const k2onnx__kmodel *m)
{
    CHECK(m->name && strcmp(m->name, "sequential_1") == 0);
}

/* Sequential models: Keras 1 and Keras 2.0-2.2.2 store the bare layer list, later versions wrap it
   in {"name", "layers"}, Keras 3 adds module, registered_name and build_config and lists the
   InputLayer. Each layer is called once on the one before; without an InputLayer the input is
   synthesized and named after the first layer. */
static void test_kmodel_sequential(const char *weights)
{
    static const graph_case cases[] = {
        {"Keras 1 bare list",
         "{'class_name': 'Sequential', 'keras_version': '1.2.2', 'config': ["
         "{'class_name': 'LSTM', 'config': {'name': 'lstm_1', 'output_dim': 4, 'batch_input_shape': [null, 5, 2]}},"
         "{'class_name': 'Dense', 'config': {'name': 'dense_1', 'output_dim': 2}}]}",
         "lstm_1_input:InputLayer[] lstm_1:LSTM[lstm_1_input@0.0] dense_1:Dense[lstm_1@0.0] in:lstm_1_input@0.0 out:dense_1@0.0", more_bare_list},
        {"Keras 2.2.4 named list",
         "{'class_name': 'Sequential', 'keras_version': '2.2.4', 'config': {'name': 'sequential_1', 'layers': ["
         "{'class_name': 'GRU', 'config': {'name': 'gru_1', 'units': 4, 'batch_input_shape': [null, 5, 2]}},"
         "{'class_name': 'Dropout', 'config': {'name': 'dropout_1', 'rate': 0.5}},"
         "{'class_name': 'Dense', 'config': {'name': 'dense_1', 'units': 2}}]}}",
         "gru_1_input:InputLayer[] gru_1:GRU[gru_1_input@0.0] dropout_1:Dropout[gru_1@0.0] dense_1:Dense[dropout_1@0.0] "
         "in:gru_1_input@0.0 out:dense_1@0.0",
         more_named_list},
        {"Keras 3 with its InputLayer",
         "{'module': 'keras', 'class_name': 'Sequential', 'keras_version': '3.12.0', 'config': {'name': 'sequential', 'trainable': true, 'layers': ["
         "{'module': 'keras.layers', 'class_name': 'InputLayer', 'config': {'batch_shape': [null, 5, 2], 'name': 'input_layer'}, 'registered_name': null},"
         "{'module': 'keras.layers', 'class_name': 'LSTM', 'config': {'name': 'lstm', 'units': 4}, 'registered_name': null, "
         "'build_config': {'input_shape': [null, 5, 2]}},"
         "{'module': 'keras.layers', 'class_name': 'Dense', 'config': {'name': 'dense', 'units': 2}, 'registered_name': null, "
         "'build_config': {'input_shape': [null, 4]}}], 'build_input_shape': [null, 5, 2]}, "
         "'registered_name': null, 'build_config': {'input_shape': [null, 5, 2]}}",
         "input_layer:InputLayer[] lstm:LSTM[input_layer@0.0] dense:Dense[lstm@0.0] in:input_layer@0.0 out:dense@0.0", NULL},
        {"Keras 1 Merge of Sequential models: an input per branch, listed depth first",
         "{'class_name': 'Sequential', 'keras_version': '1.2.2', 'config': [{'class_name': 'Merge', 'config': {'name': 'merge_1', "
         "'mode': 'concat', 'layers': ["
         "{'class_name': 'Sequential', 'config': [{'class_name': 'Dense', 'config': {'name': 'dense_1', 'batch_input_shape': [null, 3]}}]},"
         "{'class_name': 'Sequential', 'config': [{'class_name': 'Dense', 'config': {'name': 'dense_2', 'batch_input_shape': [null, 4]}},"
         "{'class_name': 'Activation', 'config': {'name': 'activation_1'}}]}]}},"
         "{'class_name': 'Dense', 'config': {'name': 'dense_3'}}]}",
         "dense_1_input:InputLayer[] dense_1:Dense[dense_1_input@0.0] dense_2_input:InputLayer[] dense_2:Dense[dense_2_input@0.0] "
         "activation_1:Activation[dense_2@0.0] merge_1:Merge[dense_1@0.0,activation_1@0.0] dense_3:Dense[merge_1@0.0] "
         "in:dense_1_input@0.0,dense_2_input@0.0 out:dense_3@0.0",
         NULL},
    };
    check_graphs(weights, cases, sizeof cases / sizeof cases[0]);
}

/* What the version string decides: the Keras generation, tf.keras (whose layers differ from
   standalone Keras 2.2 in masking and defaults) and the number compared against thresholds. */
static void test_kmodel_versions(const char *weights)
{
    static const struct { const char *version; int major, tf_keras, legacy_mask; long number; } cases[] = {
        {"1.2.2", 1, 0, 1, 10202},   {"2.1.6", 2, 0, 1, 20106},  {"2.2.4-tf", 2, 1, 0, 20204},
        {"2.3.1", 2, 0, 0, 20301},   {"2.13.1", 2, 1, 0, 21301}, {"3.12.0", 3, 1, 0, 31200},
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kmodel_env e;
        char json[256];
        snprintf(json, sizeof json, "{'class_name': 'Sequential', 'keras_version': '%s', 'config': [{'class_name': 'Dense', 'config': {'name': 'd'}}]}",
                 cases[i].version);
        CHECK(kmodel_open(&e, weights, json) == 1);
        CHECK(strcmp(e.m.keras_version, cases[i].version) == 0);
        CHECK(e.m.keras_major == cases[i].major && e.m.tf_keras == cases[i].tf_keras && e.m.legacy_mask == cases[i].legacy_mask);
        CHECK(e.m.keras_version_number == cases[i].number);
        kmodel_close(&e);
    }
}

/* Keyword arguments that are not tensors stay with the call, for the layer's mapping to read. */
static void more_k2_kwargs(const k2onnx__kmodel *m)
{
    size_t at = 0;
    if (!k2onnx__kfind_layer(m, "mha", &at)) return;
    CHECK(m->layers[at].ncalls == 1 && k2onnx__jbool(m->layers[at].calls[0].kwargs, "return_attention_scores", 0) == 1);
    CHECK(strcmp(m->name, "model_1") == 0);
}

/* Functional models. Keras 1 writes each inbound tensor as [name, node, tensor], Keras 2 adds
   the call's keyword arguments, whose tensors ([name, node, tensor] again) become inputs kept
   under their keyword, initial states last and unnamed. tf.keras repeats the keyword arguments
   on every inbound tensor of a call; only the first one's count. A shared layer has one call per
   inbound node, read by node index. */
static void test_kmodel_functional_k2(const char *weights)
{
    static const graph_case cases[] = {
        {"Keras 1",
         "{'class_name': 'Model', 'keras_version': '1.2.2', 'config': {'name': 'model_1', 'layers': ["
         "{'name': 'x', 'class_name': 'InputLayer', 'config': {'name': 'x', 'batch_input_shape': [null, 3]}, 'inbound_nodes': []},"
         "{'name': 'd', 'class_name': 'Dense', 'config': {'name': 'd', 'output_dim': 2}, 'inbound_nodes': [[['x', 0, 0]]]}],"
         "'input_layers': [['x', 0, 0]], 'output_layers': [['d', 0, 0]]}}",
         "x:InputLayer[] d:Dense[x@0.0] in:x@0.0 out:d@0.0", NULL},
        {"tf.keras 2.2.4: shared layer, keyword tensors, initial_state",
         "{'class_name': 'Model', 'keras_version': '2.2.4-tf', 'config': {'name': 'model_1', 'layers': ["
         "{'name': 'a', 'class_name': 'InputLayer', 'config': {'name': 'a', 'batch_input_shape': [null, 5, 3]}, 'inbound_nodes': []},"
         "{'name': 'b', 'class_name': 'InputLayer', 'config': {'name': 'b', 'batch_input_shape': [null, 5, 3]}, 'inbound_nodes': []},"
         "{'name': 'shared', 'class_name': 'Dense', 'config': {'name': 'shared', 'units': 3}, 'inbound_nodes': [[['a', 0, 0, {}]], [['b', 0, 0, {}]]]},"
         "{'name': 'add_1', 'class_name': 'Add', 'config': {'name': 'add_1'}, 'inbound_nodes': [[['shared', 0, 0, {}], ['shared', 1, 0, {}]]]},"
         "{'name': 'mha', 'class_name': 'MultiHeadAttention', 'config': {'name': 'mha'}, "
         "'inbound_nodes': [[['add_1', 0, 0, {'value': ['b', 0, 0], 'return_attention_scores': true}]]]},"
         "{'name': 'lstm', 'class_name': 'LSTM', 'config': {'name': 'lstm', 'units': 3}, "
         "'inbound_nodes': [[['mha', 0, 1, {'initial_state': [['a', 0, 0], ['b', 0, 0]]}]]]}],"
         "'input_layers': [['a', 0, 0], ['b', 0, 0]], 'output_layers': [['lstm', 0, 0], ['shared', 1, 0]]}}",
         "a:InputLayer[] b:InputLayer[] shared:Dense[a@0.0][b@0.0] add_1:Add[shared@0.0,shared@1.0] "
         "mha:MultiHeadAttention[add_1@0.0,b@0.0=value] lstm:LSTM[mha@0.1,a@0.0,b@0.0] in:a@0.0,b@0.0 out:lstm@0.0,shared@1.0",
         more_k2_kwargs},
        {"tf.keras 2.13: initial_state on both inbound tensors, read once",
         "{'class_name': 'Functional', 'keras_version': '2.13.1', 'config': {'name': 'model', 'layers': ["
         "{'name': 'a', 'class_name': 'InputLayer', 'config': {'name': 'a', 'batch_input_shape': [null, 5, 3]}, 'inbound_nodes': []},"
         "{'name': 'b', 'class_name': 'InputLayer', 'config': {'name': 'b', 'batch_input_shape': [null, 5, 3]}, 'inbound_nodes': []},"
         "{'name': 'h', 'class_name': 'InputLayer', 'config': {'name': 'h', 'batch_input_shape': [null, 4]}, 'inbound_nodes': []},"
         "{'name': 'rnn', 'class_name': 'RNN', 'config': {'name': 'rnn'}, "
         "'inbound_nodes': [[['a', 0, 0, {'initial_state': [['h', 0, 0]]}], ['b', 0, 0, {'initial_state': [['h', 0, 0]]}]]]}],"
         "'input_layers': [['a', 0, 0], ['b', 0, 0], ['h', 0, 0]], 'output_layers': [['rnn', 0, 0]]}}",
         "a:InputLayer[] b:InputLayer[] h:InputLayer[] rnn:RNN[a@0.0,h@0.0,b@0.0] in:a@0.0,b@0.0,h@0.0 out:rnn@0.0", NULL},
    };
    check_graphs(weights, cases, sizeof cases / sizeof cases[0]);
}

/* Keyword arguments that are not tensors stay with the call, as in Keras 2. */
static void more_k3_kwargs(const k2onnx__kmodel *m)
{
    size_t at = 0;
    if (k2onnx__kfind_layer(m, "gru", &at)) CHECK(k2onnx__jbool(m->layers[at].calls[0].kwargs, "training", 1) == 0);
}

/* Keras 3 inbound nodes are {"args": [...], "kwargs": {...}} holding __keras_tensor__ objects
   anywhere in the structure (a list argument holds several); initial_state tensors join the
   positional ones, other keyword tensors are kept under their keyword. input_layers and
   output_layers may be a single [name, node, tensor]. */
static void test_kmodel_functional_k3(const char *weights)
{
    static const graph_case cases[] = {
        {"Keras 3: initial_state, shared layer, list argument, keyword tensors",
         "{'module': 'keras.src.models.functional', 'class_name': 'Functional', 'keras_version': '3.12.0', "
         "'config': {'name': 'functional', 'trainable': true, 'layers': ["
         "{'module': 'keras.layers', 'class_name': 'InputLayer', 'config': {'batch_shape': [null, 5, 2], 'name': 'x'}, "
         "'registered_name': null, 'name': 'x', 'inbound_nodes': []},"
         "{'module': 'keras.layers', 'class_name': 'InputLayer', 'config': {'batch_shape': [null, 4], 'name': 'h'}, "
         "'registered_name': null, 'name': 'h', 'inbound_nodes': []},"
         "{'module': 'keras.layers', 'class_name': 'GRU', 'config': {'name': 'gru', 'units': 4}, 'registered_name': null, "
         "'build_config': {'input_shape': [null, 5, 2]}, 'name': 'gru', "
         "'inbound_nodes': [{'args': [" KT("x", 0, 0) "], 'kwargs': {'training': false, 'mask': null, 'initial_state': [" KT("h", 0, 0) "]}}]},"
         "{'module': 'keras.layers', 'class_name': 'Dense', 'config': {'name': 'dense', 'units': 4}, 'name': 'dense', "
         "'inbound_nodes': [{'args': [" KT("gru", 0, 0) "], 'kwargs': {}}, {'args': [" KT("dense", 0, 0) "], 'kwargs': {}}]},"
         "{'module': 'keras.layers', 'class_name': 'Concatenate', 'config': {'name': 'concatenate'}, 'name': 'concatenate', "
         "'inbound_nodes': [{'args': [[" KT("dense", 0, 0) ", " KT("dense", 1, 0) "]], 'kwargs': {}}]},"
         "{'module': 'keras.layers', 'class_name': 'MultiHeadAttention', 'config': {'name': 'mha'}, 'name': 'mha', "
         "'inbound_nodes': [{'args': [" KT("concatenate", 0, 0) "], 'kwargs': {'value': " KT("x", 0, 0) ", 'attention_mask': " KT("h", 0, 0) "}}]}],"
         "'input_layers': [['x', 0, 0], ['h', 0, 0]], 'output_layers': ['mha', 0, 0]}, 'registered_name': 'Functional'}",
         "x:InputLayer[] h:InputLayer[] gru:GRU[x@0.0,h@0.0] dense:Dense[gru@0.0][dense@0.0] concatenate:Concatenate[dense@0.0,dense@1.0] "
         "mha:MultiHeadAttention[concatenate@0.0,x@0.0=value,h@0.0=attention_mask] in:x@0.0,h@0.0 out:mha@0.0",
         more_k3_kwargs},
    };
    check_graphs(weights, cases, sizeof cases / sizeof cases[0]);
}

static void more_nested_weights(const k2onnx__kmodel *m)
{
    size_t at = 0;
    if (k2onnx__kfind_layer(m, "inner/d1", &at)) {
        const k2onnx__klayer *L = &m->layers[at];
        CHECK(L->weights_group && strcmp(L->weights_group, "/model_weights/inner") == 0);
        CHECK(L->weights_prefix && strcmp(L->weights_prefix, "d1") == 0);
        CHECK(L->nest_parent == 3 && L->nest_depth == 1 && strcmp(L->file_cls, "Dense") == 0);
    }
}

/* A model used as a layer is unfolded: its layers join the outer ones as "<model>/<layer>", one
   call per call of the model, reading what the model was called on; the model's own call then
   reads the inner output. Their weights stay in the model's group, found by the inner name. An
   inner call reads its keyword tensors as an outer call does: kept under their keyword, tf.keras
   initial states added as inputs from the first inbound tensor's keywords only. */
static void test_kmodel_nested(const char *weights)
{
#define K2_INPUT(name, shape) "{'name': '" name "', 'class_name': 'InputLayer', 'config': {'name': '" name "', 'batch_input_shape': " shape "}, 'inbound_nodes': []}"
#define K3_INPUT(name, shape) "{'class_name': 'InputLayer', 'config': {'batch_shape': " shape ", 'name': '" name "'}, 'name': '" name "', 'inbound_nodes': []}"
/* A tf.keras model calling nested model 'enc' twice, on x, y, h, c and then on y, x, c, h; enc
   passes its inputs ia, ib, ih, ic to its one other layer `name`, its output. The second call
   shows an inner keyword tensor following the inputs of the call it belongs to. */
#define NESTED_TFK2(name, cls, inbound)                                                                                                    \
    "{'class_name': 'Functional', 'keras_version': '2.13.1', 'config': {'name': 'outer', 'layers': [" K2_INPUT("x", "[null, 5, 3]") "," \
    K2_INPUT("y", "[null, 5, 3]") "," K2_INPUT("h", "[null, 4]") "," K2_INPUT("c", "[null, 4]") ","                                       \
    "{'name': 'enc', 'class_name': 'Functional', 'config': {'name': 'enc', 'layers': [" K2_INPUT("ia", "[null, 5, 3]") ","                 \
    K2_INPUT("ib", "[null, 5, 3]") "," K2_INPUT("ih", "[null, 4]") "," K2_INPUT("ic", "[null, 4]") ","                                     \
    "{'name': '" name "', 'class_name': '" cls "', 'config': {'name': '" name "'}, 'inbound_nodes': " inbound "}],"                      \
    "'input_layers': [['ia', 0, 0], ['ib', 0, 0], ['ih', 0, 0], ['ic', 0, 0]], 'output_layers': [['" name "', 0, 0]]}, "                  \
    "'inbound_nodes': [[['x', 0, 0, {}], ['y', 0, 0, {}], ['h', 0, 0, {}], ['c', 0, 0, {}]], "                                           \
    "[['y', 0, 0, {}], ['x', 0, 0, {}], ['c', 0, 0, {}], ['h', 0, 0, {}]]]}],"                                                          \
    "'input_layers': [['x', 0, 0], ['y', 0, 0], ['h', 0, 0], ['c', 0, 0]], 'output_layers': [['enc', 0, 0], ['enc', 1, 0]]}}"
#define NESTED_TFK2_GRAPH(name, inner)                                                                                \
    "x:InputLayer[] y:InputLayer[] h:InputLayer[] c:InputLayer[] enc:Functional[enc/" name "@0.0][enc/" name "@1.0] " \
    inner " in:x@0.0,y@0.0,h@0.0,c@0.0 out:enc@0.0,enc@1.0"
    static const graph_case cases[] = {
        {"Sequential model called twice",
         "{'class_name': 'Model', 'config': {'name': 'outer', 'layers': ["
         "{'name': 'a', 'class_name': 'InputLayer', 'config': {'name': 'a', 'batch_input_shape': [null, 3]}, 'inbound_nodes': []},"
         "{'name': 'b', 'class_name': 'InputLayer', 'config': {'name': 'b', 'batch_input_shape': [null, 3]}, 'inbound_nodes': []},"
         "{'name': 'inner', 'class_name': 'Sequential', 'config': {'name': 'inner', 'layers': ["
         "{'class_name': 'InputLayer', 'config': {'name': 'inner_in', 'batch_input_shape': [null, 3]}},"
         "{'class_name': 'Dense', 'config': {'name': 'd1', 'units': 3}}, {'class_name': 'Dense', 'config': {'name': 'd2', 'units': 2}}]}, "
         "'inbound_nodes': [[['a', 0, 0, {}]], [['b', 0, 0, {}]]]},"
         "{'name': 'add', 'class_name': 'Add', 'config': {'name': 'add'}, 'inbound_nodes': [[['inner', 0, 0, {}], ['inner', 1, 0, {}]]]}],"
         "'input_layers': [['a', 0, 0], ['b', 0, 0]], 'output_layers': [['add', 0, 0]]}}",
         "a:InputLayer[] b:InputLayer[] inner:Sequential[inner/d2@0.0][inner/d2@1.0] add:Add[inner@0.0,inner@1.0] "
         "inner/d1:Dense[a@0.0][b@0.0] inner/d2:Dense[inner/d1@0.0][inner/d1@1.0] in:a@0.0,b@0.0 out:add@0.0",
         more_nested_weights},
        {"Keras 3 keyword tensors inside a nested model, from an inner input and an inner layer",
         "{'class_name': 'Functional', 'keras_version': '3.12.0', 'config': {'name': 'outer', 'layers': ["
         K3_INPUT("q", "[null, 5, 3]") "," K3_INPUT("v", "[null, 5, 3]") "," K3_INPUT("m", "[null, 5, 5]") ","
         "{'class_name': 'Functional', 'config': {'name': 'inner', 'layers': ["
         K3_INPUT("iq", "[null, 5, 3]") "," K3_INPUT("iv", "[null, 5, 3]") "," K3_INPUT("im", "[null, 5, 5]") ","
         "{'class_name': 'Dense', 'config': {'name': 'proj', 'units': 3}, 'name': 'proj', 'inbound_nodes': [{'args': [" KT("iv", 0, 0) "], 'kwargs': {}}]},"
         "{'class_name': 'MultiHeadAttention', 'config': {'name': 'mha'}, 'name': 'mha', 'inbound_nodes': [{'args': [" KT("iq", 0, 0) "], "
         "'kwargs': {'value': " KT("proj", 0, 0) ", 'attention_mask': " KT("im", 0, 0) "}}]}],"
         "'input_layers': [['iq', 0, 0], ['iv', 0, 0], ['im', 0, 0]], 'output_layers': ['mha', 0, 0]}, 'name': 'inner', "
         "'inbound_nodes': [{'args': [[" KT("q", 0, 0) ", " KT("v", 0, 0) ", " KT("m", 0, 0) "]], 'kwargs': {}}]}],"
         "'input_layers': [['q', 0, 0], ['v', 0, 0], ['m', 0, 0]], 'output_layers': ['inner', 0, 0]}}",
         "q:InputLayer[] v:InputLayer[] m:InputLayer[] inner:Functional[inner/mha@0.0] inner/proj:Dense[v@0.0] "
         "inner/mha:MultiHeadAttention[q@0.0,inner/proj@0.0=value,m@0.0=attention_mask] in:q@0.0,v@0.0,m@0.0 out:inner@0.0",
         NULL},
        {"tf.keras initial_state inside a nested model",
         NESTED_TFK2("lstm", "LSTM", "[[['ia', 0, 0, {'initial_state': [['ih', 0, 0], ['ic', 0, 0]]}]]]"),
         NESTED_TFK2_GRAPH("lstm", "enc/lstm:LSTM[x@0.0,h@0.0,c@0.0][y@0.0,c@0.0,h@0.0]"), NULL},
        {"tf.keras keyword tensor inside a nested model",
         NESTED_TFK2("att", "MultiHeadAttention", "[[['ia', 0, 0, {'value': ['ib', 0, 0]}]]]"),
         NESTED_TFK2_GRAPH("att", "enc/att:MultiHeadAttention[x@0.0,y@0.0=value][y@0.0,x@0.0=value]"), NULL},
        {"tf.keras initial_state on both inbound tensors inside a nested model, read once",
         NESTED_TFK2("rnn", "RNN", "[[['ia', 0, 0, {'initial_state': [['ih', 0, 0]]}], ['ib', 0, 0, {'initial_state': [['ih', 0, 0]]}]]]"),
         NESTED_TFK2_GRAPH("rnn", "enc/rnn:RNN[x@0.0,h@0.0,y@0.0][y@0.0,c@0.0,x@0.0]"), NULL},
    };
#undef NESTED_TFK2_GRAPH
#undef NESTED_TFK2
#undef K3_INPUT
#undef K2_INPUT
    check_graphs(weights, cases, sizeof cases / sizeof cases[0]);
}

/* The graphs of saved files: a Keras 2 model calling a nested functional model twice, a Keras 3
   nested model with a layer it calls twice, TimeDistributed around a Sequential model (folded
   into the batch, then unfolded like any nested model), and a .keras file with six outputs. */
static void test_kmodel_fixtures(void)
{
    static const struct { const char *path, *graph; } cases[] = {
        {"tests/fixtures/k22_nested_shared.h5",
         "left:InputLayer[] right:InputLayer[] model_1:Model[model_1/dense_1@0.0][model_1/dense_1@1.0] "
         "subtract_1:Subtract[model_1@0.0,model_1@1.0] gru_1:GRU[subtract_1@0.0] dense_2:Dense[gru_1@0.0] "
         "model_1/lstm_1:LSTM[left@0.0][right@0.0] model_1/dense_1:Dense[model_1/lstm_1@0.0][model_1/lstm_1@1.0] "
         "in:left@0.0,right@0.0 out:dense_2@0.0,model_1@0.0"},
        {"tests/fixtures/k3_keras_nested_reuse.keras",
         "input_layer_1:InputLayer[] functional:Functional[functional/dense_1@0.0] lstm_1:LSTM[functional@0.0] dense_2:Dense[lstm_1@0.0] "
         "functional/dense:Dense[input_layer_1@0.0][functional/dense@0.0] functional/lstm:LSTM[functional/dense@1.0] "
         "functional/dense_1:Dense[functional/lstm@0.0] in:input_layer_1@0.0 out:dense_2@0.0"},
        {"tests/fixtures/k3_keras_timedist_model.keras",
         "input_layer_1:InputLayer[] time_distributed:TimeDistributed[input_layer_1@0.0,time_distributed/sequential@0.0] "
         "lstm:LSTM[time_distributed@0.0] dense_1:Dense[lstm@0.0] time_distributed/fold:k2onnx.FoldSteps[input_layer_1@0.0] "
         "time_distributed/sequential:Sequential[time_distributed/sequential/dense@0.0] "
         "time_distributed/sequential/flatten:Flatten[time_distributed/fold@0.0] "
         "time_distributed/sequential/dense:Dense[time_distributed/sequential/flatten@0.0] in:input_layer_1@0.0 out:dense_1@0.0"},
        {"tests/fixtures/k3_keras_convlstm_masked.keras",
         "input_layer:InputLayer[] embedding:Embedding[input_layer@0.0] time_distributed:TimeDistributed[embedding@0.0] "
         "time_distributed_1:TimeDistributed[embedding@0.0] conv_lstm2d:ConvLSTM2D[time_distributed@0.0] "
         "conv_lstm2d_1:ConvLSTM2D[conv_lstm2d@0.0] conv_lstm1d:ConvLSTM1D[time_distributed_1@0.0] "
         "bidirectional:Bidirectional[time_distributed@0.0] in:input_layer@0.0 "
         "out:conv_lstm2d@0.0,conv_lstm2d_1@0.0,conv_lstm1d@0.0,conv_lstm1d@0.1,conv_lstm1d@0.2,bidirectional@0.0"},
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kmodel_env e;
        CHECK(graph_is(&e, cases[i].path, cases[i].path, NULL, cases[i].graph));
        kmodel_close(&e);
    }
}

/* Connections that cannot be made are refused with the layer and the fault named. The model
   loader checks names and the form of each reference; whether a referenced call or output
   exists is known only once the calls are counted, and the walk over the graph refuses it. */
static void test_kmodel_refusals(const char *weights)
{
#define K2_MODEL(layers, outputs)                                                                                              \
    "{'class_name': 'Model', 'config': {'name': 'm', 'layers': [{'name': 'x', 'class_name': 'InputLayer', 'config': {'name': 'x', " \
    "'batch_input_shape': [null, 2]}, 'inbound_nodes': []}" layers "], 'input_layers': [['x', 0, 0]], 'output_layers': " outputs "}}"
#define K3_MODEL(layers)                                                                                                              \
    "{'class_name': 'Functional', 'config': {'name': 'm', 'layers': [{'class_name': 'InputLayer', 'name': 'x', 'config': {'name': 'x', " \
    "'batch_shape': [null, 2]}, 'inbound_nodes': []}" layers "], 'input_layers': ['x', 0, 0], 'output_layers': ['d', 0, 0]}}"
#define DENSE(inbound) ", {'name': 'd', 'class_name': 'Dense', 'config': {'name': 'd', 'units': 2}, 'inbound_nodes': " inbound "}"
    static const struct { int convert; const char *json, *message; } cases[] = {
        {0, K2_MODEL(DENSE("[[['nope', 0, 0, {}]]]"), "[['d', 0, 0]]"), "model_config: a connection names unknown layer 'nope'"},
        {0, K3_MODEL(DENSE("[{'args': [" KT("nope", 0, 0) "], 'kwargs': {}}]")), "model_config: a connection names unknown layer 'nope'"},
        {0, K2_MODEL(DENSE("[[['x', 0, 0, {}]]]"), "[['nope', 0, 0]]"), "model_config: a connection names unknown layer 'nope'"},
        {0, K2_MODEL(DENSE("{}"), "[['d', 0, 0]]"), "model_config: layer 'd' has malformed inbound_nodes"},
        {0, K2_MODEL(DENSE("['x']"), "[['d', 0, 0]]"), "model_config: layer 'd' has a malformed inbound node"},
        {0, K2_MODEL(DENSE("[[['x', '0', 0, {}]]]"), "[['d', 0, 0]]"), "model_config: layer 'd' has a malformed inbound tensor"},
        {0, K2_MODEL(DENSE("[[['x', -1, 0, {}]]]"), "[['d', 0, 0]]"), "model_config: layer 'd' has a malformed inbound tensor"},
        {0, K2_MODEL(DENSE("[[['x', 1048577, 0, {}]]]"), "[['d', 0, 0]]"), "model_config: layer 'd' has a malformed inbound tensor"},
        {0, K2_MODEL(DENSE("[[['x', 0]]]"), "[['d', 0, 0]]"), "model_config: layer 'd' has a malformed inbound tensor"},
        {0, K3_MODEL(DENSE("[{'args': [{'class_name': '__keras_tensor__', 'config': {'keras_history': ['x', 0]}}], 'kwargs': {}}]")),
         "model_config: malformed keras_history"},
        {0, K3_MODEL(DENSE("[{'args': [" KT("x", 0, 0) "], 'kwargs': {'mask': {'class_name': '__keras_tensor__', 'config': {}}}}]")),
         "model_config: malformed keras_history"},
        {0, K2_MODEL(DENSE("[[['x', 0, 0, {}]]]"), "[['d', 0]]"), "model_config: malformed entry in 'output_layers'"},
        {0, "{'class_name': 'Model', 'config': {'name': 'm', 'layers': [], 'output_layers': []}}", "model_config: missing or malformed 'input_layers'"},
        {0, "{'class_name': 'Model', 'config': {'name': 'm'}}", "model_config: functional model without a 'layers' list"},
        {0, K2_MODEL(", {'class_name': 'Dense', 'config': {'units': 2}, 'inbound_nodes': []}", "[['x', 0, 0]]"),
         "model_config: layer entry lacks class_name or name"},
        {0, K2_MODEL(DENSE("[]") DENSE("[]"), "[['d', 0, 0]]"), "model_config: two layers are named 'd'"},
        {0, "{'class_name': 'Sequential', 'config': {'name': 's', 'layers': []}}", "model_config: Sequential model without layers"},
        {0, "{'class_name': 'Sequential', 'config': [{'class_name': 'Dense', 'config': {'name': 'd'}}, {'class_name': 'InputLayer', 'config': {'name': 'i'}}]}",
         "model_config: InputLayer 'i' in the middle of a Sequential model"},
        {0, "{'class_name': 'Sequential', 'config': [{'config': {'name': 'd'}}]}", "model_config: Sequential layer entry lacks class_name or name"},
        {0, "{'class_name': 'Sequential', 'config': [{'class_name': 'Merge', 'config': {'name': 'merge_1', 'layers': []}}]}",
         "model_config: Merge 'merge_1' lists no models"},
        {0, "{'class_name': 'Graph', 'config': {'name': 'g'}}", "model class 'Graph' is not supported (expected Sequential, Model or Functional)"},
        {0, "{'class_name': 'Sequential'}", "model_config lacks class_name or config"},
        {0, K2_MODEL(", {'name': 'n', 'class_name': 'Model', 'config': {'name': 'n', 'layers': [{'name': 'i', 'class_name': 'InputLayer', 'config': {'name': 'i'}, "
                     "'inbound_nodes': []}, {'name': 'e', 'class_name': 'Dense', 'config': {'name': 'e'}, 'inbound_nodes': [[['nope', 0, 0, {}]]]}], "
                     "'input_layers': [['i', 0, 0]], 'output_layers': [['e', 0, 0]]}, 'inbound_nodes': [[['x', 0, 0, {}]]]}",
                     "[['n', 0, 0]]"),
         "model_config: nested model 'n' names unknown layer 'nope'"},
        {0, K2_MODEL(", {'name': 'n', 'class_name': 'Functional', 'config': {'name': 'n', 'layers': [{'name': 'i', 'class_name': 'InputLayer', 'config': {'name': 'i'}, "
                     "'inbound_nodes': []}, {'name': 'e', 'class_name': 'Dense', 'config': {'name': 'e'}, 'inbound_nodes': [{'args': [" KT("i", 1, 0) "]}]}], "
                     "'input_layers': ['i', 0, 0], 'output_layers': ['e', 0, 0]}, 'inbound_nodes': [[['x', 0, 0, {}]]]}",
                     "[['n', 0, 0]]"),
         "model_config: nested model 'n' reads call 1 of 'i', whose calls are 0 to 0"},
        {1, K2_MODEL(DENSE("[[['x', 1, 0, {}]]]"), "[['d', 0, 0]]"), "model_config: layer 'x' has no inbound node 1"},
        {1, K2_MODEL(DENSE("[[['x', 0, 0, {}]]]"), "[['d', 2, 0]]"), "model_config: layer 'd' has no inbound node 2"},
        {1, K2_MODEL(DENSE("[[['x', 0, 3, {}]]]"), "[['d', 0, 0]]"), "model_config: layer 'd' reads output 3 of 'x', which has 1"},
    };
#undef DENSE
#undef K3_MODEL
#undef K2_MODEL
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kmodel_env e;
        const char *got = "";
        int r = kmodel_open(&e, weights, cases[i].json);
        if (r < 0) return;
        CHECK(r == !!cases[i].convert);
        if (r && cases[i].convert) { /* the same config through the whole conversion */
            k2onnx_options opts;
            k2onnx_error err;
            size_t size = 0;
            unsigned char *buf = read_file(weights, &size);
            memset(&opts, 0, sizeof opts);
            opts.model_config = e.json;
            CHECK(buf && k2onnx_convert(buf, size, &opts, NULL, NULL, NULL, &err) == k2onnx_result_invalid_model);
            got = err.message;
            if (strcmp(got, cases[i].message) != 0) printf("  case %u: %s\n", (unsigned)i, got);
            CHECK(strcmp(got, cases[i].message) == 0);
            free(buf);
        } else if (!r) {
            got = e.c.local_error.message;
            if (strcmp(got, cases[i].message) != 0) printf("  case %u: %s\n", (unsigned)i, got);
            CHECK(strcmp(got, cases[i].message) == 0);
        }
        kmodel_close(&e);
    }
}

/* Weights in the order the layer's mapping expects them. Keras 1 and 2 files list them by
   position in weight_names (a nested model's group lists all of its layers', each picked out by
   its name); Keras 3 files keep them at layers/<snake_case class>[_N]/vars/<i>, N counting the
   earlier siblings of the same class, then in child groups (an RNN's cell, Bidirectional's
   forward_layer before backward_layer, TimeDistributed's layer); tf.keras 2.13 doubles N. */
static void test_kmodel_weights(void)
{
    static const struct { const char *path, *layer, *dims; size_t at; const char *weight_path; } cases[] = {
        {"tests/fixtures/k22_lstm_state.h5", "lstm_1", "2x20 5x20 20", 1, "/model_weights/lstm_1/lstm_1/recurrent_kernel:0"},
        {"tests/fixtures/k22_lstm_state.h5", "dense_1", "5x2 2", 0, "/model_weights/dense_1/dense_1/kernel:0"},
        {"tests/fixtures/k22_lstm_state.h5", "state_h", "", 0, NULL},
        {"tests/fixtures/k22_nested_shared.h5", "model_1/lstm_1", "2x16 4x16 16", 2, "/model_weights/model_1/lstm_1/bias:0"},
        {"tests/fixtures/k22_nested_shared.h5", "model_1/dense_1", "4x3 3", 0, "/model_weights/model_1/dense_1/kernel:0"},
        {"tests/fixtures/k22_nested_shared.h5", "gru_1", "3x12 4x12 12", 0, "/model_weights/gru_1/gru_1/kernel:0"},
        {"tests/fixtures/k3_keras_nested_reuse.keras", "lstm_1", "3x16 4x16 16", 0, "/layers/lstm/cell/vars/0"},
        {"tests/fixtures/k3_keras_nested_reuse.keras", "dense_2", "4x2 2", 1, "/layers/dense/vars/1"},
        {"tests/fixtures/k3_keras_nested_reuse.keras", "functional/lstm", "2x16 4x16 16", 0, "/layers/functional/layers/lstm/cell/vars/0"},
        {"tests/fixtures/k3_keras_nested_reuse.keras", "functional/dense_1", "4x3 3", 0, "/layers/functional/layers/dense_1/vars/0"},
        {"tests/fixtures/k3_keras_convlstm_masked.keras", "conv_lstm2d_1", "3x3x3x8 3x3x2x8 8", 0, "/layers/conv_lstm2d_1/cell/vars/0"},
        {"tests/fixtures/k3_keras_convlstm_masked.keras", "bidirectional", "3x3x1x12 3x3x3x12 12 3x3x1x12 3x3x3x12 12", 3,
         "/layers/bidirectional/backward_layer/cell/vars/0"},
        {"tests/fixtures/k3_keras_convlstm_masked.keras", "time_distributed", "", 0, NULL},
        {"tests/fixtures/k3_keras_timedist_model.keras", "time_distributed/sequential/dense", "6x4 4", 0,
         "/layers/time_distributed/layer/layers/dense/vars/0"},
        {"tests/fixtures/k3_keras_timedist_model.keras", "dense_1", "4x2 2", 0, "/layers/dense/vars/0"},
        {"tests/fixtures/tfk2_keras213_nested_reuse.keras", "model/dense_1", "4x3 3", 0,
         "/_layer_checkpoint_dependencies/functional/_layer_checkpoint_dependencies/dense_2/vars/0"},
        {"tests/fixtures/tfk2_keras213_nested_reuse.keras", "dense_2", "4x2 2", 0, "/_layer_checkpoint_dependencies/dense/vars/0"},
    };
    size_t i, k, at = 0;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kmodel_env e;
        char dims[128];
        int r = kmodel_open(&e, cases[i].path, NULL), counts = 1;
        CHECK(r != 0);
        if (r == 1 && k2onnx__kfind_layer(&e.m, cases[i].layer, &at)) {
            k2onnx__klayer *L = &e.m.layers[at];
            size_t len = 0;
            CHECK(k2onnx__kweights(&e.m, L));
            dims[0] = '\0';
            for (k = 0; k < L->nweights; k++) {
                const k2onnx__h5array *a = &L->weights[k];
                uint64_t count = 1;
                unsigned d;
                for (d = 0; d < a->rank; d++) {
                    len += (size_t)snprintf(dims + len, len < sizeof dims ? sizeof dims - len : 0, "%s%llu", d ? "x" : k ? " " : "",
                                            (unsigned long long)a->dims[d]);
                    count *= a->dims[d];
                }
                counts &= count == a->count && a->elem_size == 4;
            }
            if (strcmp(dims, cases[i].dims) != 0) printf("  %s %s: weights %s\n", cases[i].path, cases[i].layer, dims);
            CHECK(strcmp(dims, cases[i].dims) == 0 && counts);
            CHECK(cases[i].weight_path ? cases[i].at < L->nweights && strcmp(L->weight_paths[cases[i].at], cases[i].weight_path) == 0
                                       : L->nweights == 0);
            /* loaded once: a second lookup is the same list */
            {
                const k2onnx__h5array *first = L->weights;
                size_t n = L->nweights;
                CHECK(k2onnx__kweights(&e.m, L) && L->weights == first && L->nweights == n);
            }
        } else if (r == 1) {
            printf("  %s: no layer '%s'\n", cases[i].path, cases[i].layer);
            CHECK(0);
        } else if (r == 0) {
            printf("  %s: %s\n", cases[i].path, e.c.local_error.message);
        }
        kmodel_close(&e);
    }
}

/* --- 7. protobuf ---------------------------------------------------------------------------- */

static int encoded(void (*fn)(k2onnx__pb *), const char *expect_hex)
{
    k2onnx__pb pb;
    bytes b;
    char hex[512];
    unsigned char buf[K2ONNX__PB_BUF];
    size_t i;
    memset(&pb, 0, sizeof pb);
    memset(&b, 0, sizeof b);
    pb.write = bytes_write;
    pb.user = &b;
    pb.buf = buf;
    fn(&pb);
    k2onnx__pb_flush(&pb);
    for (i = 0; i < b.size && i * 2 + 2 < sizeof hex; i++) {
        static const char digits[] = "0123456789abcdef";
        hex[2 * i] = digits[b.data[i] >> 4];
        hex[2 * i + 1] = digits[b.data[i] & 15];
    }
    hex[2 * i] = '\0';
    if (strcmp(hex, expect_hex) != 0) printf("  encoded %s, expected %s\n", hex, expect_hex);
    return strcmp(hex, expect_hex) == 0 && pb.n == b.size;
}

static void enc_varints(k2onnx__pb *pb)
{
    k2onnx__pb_varint(pb, 0);
    k2onnx__pb_varint(pb, 1);
    k2onnx__pb_varint(pb, 127);
    k2onnx__pb_varint(pb, 128);
    k2onnx__pb_varint(pb, 300);
}
static void enc_max(k2onnx__pb *pb) { k2onnx__pb_varint(pb, UINT64_MAX); }
static void enc_negative(k2onnx__pb *pb) { k2onnx__pb_int(pb, 3, -1); }
static void enc_type_tag(k2onnx__pb *pb) { k2onnx__pb_int(pb, 20, 2); }
static void enc_float(k2onnx__pb *pb) { k2onnx__pb_float(pb, 2, 1.0f); }
static void enc_string(k2onnx__pb *pb) { k2onnx__pb_string(pb, 1, "axis"); }

static void enc_attr(k2onnx__pb *pb)
{
    k2onnx__attr a;
    static const int64_t perm[3] = {1, 0, 2};
    memset(&a, 0, sizeof a);
    a.name = "perm";
    a.type = K2ONNX__AINTS;
    a.v.ints = perm;
    a.n = 3;
    k2onnx__pb_message(pb, 5, k2onnx__pb_attr, &a);
}

static void test_protobuf(void)
{
    CHECK(encoded(enc_varints, "00017f8001ac02"));
    CHECK(encoded(enc_max, "ffffffffffffffffff01"));
    CHECK(encoded(enc_negative, "18ffffffffffffffffff01"));
    CHECK(encoded(enc_type_tag, "a00102"));
    CHECK(encoded(enc_float, "150000803f"));
    CHECK(encoded(enc_string, "0a0461786973"));
    /* AttributeProto{name:"perm", ints:[1,0,2] unpacked, type:INTS} inside field 5. */
    CHECK(encoded(enc_attr, "2a0f0a047065726d400140004002a00107"));
}

/* --- 8. public API -------------------------------------------------------------------------- */

typedef struct counting_alloc {
    long live, total;
} counting_alloc;

static void *count_alloc(void *user, size_t size)
{
    counting_alloc *c = (counting_alloc *)user;
    c->live++;
    c->total++;
    return malloc(size);
}

static void count_free(void *user, void *p)
{
    ((counting_alloc *)user)->live--;
    free(p);
}

typedef struct growbuf {
    unsigned char *data;
    size_t size;
    int fail_after;
} growbuf;

static int grow_write(void *user, const void *data, size_t size)
{
    growbuf *g = (growbuf *)user;
    unsigned char *bigger;
    if (g->fail_after > 0 && --g->fail_after == 0) return 1;
    bigger = (unsigned char *)realloc(g->data, g->size + size);
    if (!bigger) return 1;
    memcpy(bigger + g->size, data, size);
    g->data = bigger;
    g->size += size;
    return 0;
}

/* True when the ONNX bytes hold a node of this op_type (NodeProto field 4, a short string). */
static int has_op(const growbuf *g, const char *op)
{
    size_t n = strlen(op), i;
    for (i = 0; i + n + 2 <= g->size; i++)
        if (g->data[i] == 0x22 && g->data[i + 1] == n && memcmp(g->data + i + 2, op, n) == 0) return 1;
    return 0;
}

static int has_text(const growbuf *g, const char *text)
{
    size_t n = strlen(text), i;
    for (i = 0; i + n <= g->size; i++)
        if (memcmp(g->data + i, text, n) == 0) return 1;
    return 0;
}

/* k2onnx_convert_file: the same bytes as k2onnx_convert, the input never overwritten, and an
   existing output kept when a conversion fails, with no temporary file left. */
static void test_convert_file(const char *fixture)
{
    const char *out = "build/unit_convert_file.onnx", *bad = "build/unit_convert_file.bad.h5";
    size_t size = 0, osize = 0, bsize = 0;
    unsigned char *buf = load_fixture(fixture, &size), *written, *kept;
    k2onnx_error err;
    growbuf g;
    FILE *fp;
    memset(&g, 0, sizeof g);
    if (!buf) return;
    CHECK(k2onnx_convert(buf, size, NULL, grow_write, &g, NULL, &err) == k2onnx_result_success);
    remove(out);
    CHECK(k2onnx_convert_file(fixture, out, NULL, &err) == k2onnx_result_success);
    written = read_file(out, &osize);
    CHECK(written && osize == g.size && memcmp(written, g.data, osize) == 0);
    CHECK(k2onnx_convert_file(fixture, fixture, NULL, &err) == k2onnx_result_invalid_argument);
    CHECK(strstr(err.message, "the output is the input file") != NULL);
    /* A truncated model fails; the earlier output stays and no temporary file is left. */
    fp = fopen(bad, "wb");
    CHECK(fp != NULL);
    if (fp) {
        fwrite(buf, 1, size / 2, fp);
        fclose(fp);
    }
    CHECK(k2onnx_convert_file(bad, out, NULL, &err) != k2onnx_result_success);
    kept = read_file(out, &bsize);
    CHECK(kept && bsize == osize && memcmp(kept, written, osize) == 0);
    fp = fopen("build/unit_convert_file.onnx.k2onnx-tmp", "rb");
    CHECK(fp == NULL);
    if (fp) fclose(fp);
    remove(out);
    remove(bad);
    free(kept);
    free(written);
    free(g.data);
    free(buf);
}

/* Heap use that follows bytes, not blocks: each block carries its size in front. */
typedef struct byte_counter {
    size_t live, peak;
} byte_counter;

static void *bytes_alloc(void *user, size_t size)
{
    byte_counter *c = (byte_counter *)user;
    size_t *p = (size_t *)malloc(size + sizeof(size_t) * 2);
    if (!p) return NULL;
    p[0] = size;
    c->live += size;
    if (c->live > c->peak) c->peak = c->live;
    return p + 2;
}

static void bytes_free(void *user, void *ptr)
{
    size_t *p = (size_t *)ptr;
    if (!ptr) return;
    ((byte_counter *)user)->live -= p[-2];
    free(p - 2);
}

typedef struct sink_writer {
    unsigned long long bytes;
    unsigned sum;
} sink_writer;

static int sink_write(void *user, const void *data, size_t size)
{
    sink_writer *w = (sink_writer *)user;
    w->bytes += size;
    if (size) w->sum += ((const unsigned char *)data)[size - 1];
    return 0;
}

/* A model several times larger than max_memory converts with a streaming writer: the heap holds
   the graph and one reordering buffer, never the weights. */
static void test_big_model(const char *path)
{
    size_t size = 0;
    unsigned char *buf = load_fixture(path, &size);
    k2onnx_options opts;
    k2onnx_error err;
    byte_counter bc;
    sink_writer w;
    if (!buf) return;
    memset(&opts, 0, sizeof opts);
    memset(&bc, 0, sizeof bc);
    memset(&w, 0, sizeof w);
    opts.max_memory = (size_t)32 << 20;
    opts.allocator.alloc = bytes_alloc;
    opts.allocator.free = bytes_free;
    opts.allocator.user = &bc;
    CHECK(size > 3 * opts.max_memory);
    CHECK(k2onnx_convert(buf, size, &opts, sink_write, &w, NULL, &err) == k2onnx_result_success);
    CHECK(w.bytes > size * 9 / 10);
    CHECK(bc.peak < opts.max_memory && bc.live == 0);
    printf("big model: %lu MB in, %llu MB out, peak heap %lu KB\n", (unsigned long)(size >> 20), w.bytes >> 20, (unsigned long)(bc.peak >> 10));
    free(buf);
}

/* One caller buffer and nothing else: the seed's LSTM converts in it, memory_used tells how much
   it took (and that much is enough), and a buffer too small is a clean limit error. */
static void test_memory_buffer(const char *fixture)
{
    static unsigned char arena[256 * 1024];
    size_t size = 0, used = 0, heap_used = 0;
    unsigned char *buf = load_fixture(fixture, &size);
    k2onnx_options opts;
    k2onnx_error err;
    counting_alloc ca;
    growbuf a, b;
    if (!buf) return;
    memset(&opts, 0, sizeof opts);
    memset(&ca, 0, sizeof ca);
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    CHECK(k2onnx_convert(buf, size, &opts, grow_write, &a, NULL, &err) == k2onnx_result_success);
    opts.memory = arena;
    opts.memory_size = sizeof arena;
    opts.memory_used = &used;
    opts.allocator.alloc = count_alloc; /* must not be called */
    opts.allocator.free = count_free;
    opts.allocator.user = &ca;
    CHECK(k2onnx_convert(buf, size, &opts, grow_write, &b, NULL, &err) == k2onnx_result_success);
    CHECK(ca.total == 0);
    CHECK(used > 0 && used <= sizeof arena);
    CHECK(a.size == b.size && memcmp(a.data, b.data, a.size) == 0);
    printf("seed model in a caller buffer: %lu bytes used\n", (unsigned long)used);
    /* Exactly the bytes reported are enough. */
    opts.memory_size = used;
    opts.memory_used = NULL;
    CHECK(k2onnx_convert(buf, size, &opts, NULL, NULL, NULL, &err) == k2onnx_result_success);
    opts.memory_used = &used;
    opts.memory_size = 2048;
    CHECK(k2onnx_convert(buf, size, &opts, NULL, NULL, NULL, &err) == k2onnx_result_limit_exceeded);
    CHECK(strstr(err.message, "the memory buffer of 2048 bytes is too small") != NULL);
    opts.memory_size = 16;
    CHECK(k2onnx_convert(buf, size, &opts, NULL, NULL, NULL, &err) == k2onnx_result_invalid_argument);
    /* Without a buffer, memory_used reports the allocator's peak. */
    memset(&opts, 0, sizeof opts);
    opts.memory_used = &heap_used;
    CHECK(k2onnx_convert(buf, size, &opts, NULL, NULL, NULL, &err) == k2onnx_result_success && heap_used > 0);
    free(a.data);
    free(b.data);
    free(buf);
}

/* Memory the converter fills before reading (the reordering buffer, an inflated ZIP member) is
   not zeroed: whatever the allocator hands over, and whatever a caller's buffer held, the ONNX
   bytes are the same. */
static void *patterned_alloc(void *user, size_t size)
{
    unsigned char *p = (unsigned char *)malloc(size);
    if (p) memset(p, *(const unsigned char *)user, size);
    return p;
}

static void patterned_free(void *user, void *p)
{
    (void)user;
    free(p);
}

static void test_unzeroed_memory(const char *fixture)
{
    static unsigned char arena[512 * 1024];
    const unsigned char patterns[2] = {0xa5, 0xff};
    unsigned char pattern;
    size_t size = 0;
    unsigned char *buf = load_fixture(fixture, &size);
    k2onnx_options opts;
    k2onnx_error err;
    growbuf plain;
    int i;
    if (!buf) return;
    memset(&opts, 0, sizeof opts);
    memset(&plain, 0, sizeof plain);
    CHECK(k2onnx_convert(buf, size, &opts, grow_write, &plain, NULL, &err) == k2onnx_result_success);
    for (i = 0; i < 4; i++) {
        growbuf g;
        memset(&g, 0, sizeof g);
        memset(&opts, 0, sizeof opts);
        pattern = patterns[i % 2];
        if (i < 2) {
            opts.allocator.alloc = patterned_alloc;
            opts.allocator.free = patterned_free;
            opts.allocator.user = &pattern;
        } else {
            memset(arena, pattern, sizeof arena);
            opts.memory = arena;
            opts.memory_size = sizeof arena;
        }
        CHECK(k2onnx_convert(buf, size, &opts, grow_write, &g, NULL, &err) == k2onnx_result_success);
        CHECK(g.size == plain.size && g.size > 0 && memcmp(g.data, plain.data, g.size) == 0);
        free(g.data);
    }
    free(plain.data);
    free(buf);
}

/* unroll, batch, steps and input_shapes: validated, and what they promise. */
static void test_shape_options(const char *fixture, const char *dynamic_fixture)
{
    size_t size = 0, dsize = 0;
    unsigned char *buf = read_file(fixture, &size), *dyn = read_file(dynamic_fixture, &dsize);
    const size_t good[3] = {2, 1, 2}, zero[3] = {2, 0, 2}, wide[3] = {2, 1, 7};
    k2onnx_input_shape is;
    k2onnx_options opts;
    k2onnx_error err;
    growbuf g;
    CHECK(buf != NULL && dyn != NULL);
    if (!buf || !dyn) {
        free(buf);
        free(dyn);
        return;
    }
    memset(&opts, 0, sizeof opts);
    memset(&g, 0, sizeof g);
    opts.unroll = opts.scan_rnn = 1;
    CHECK(k2onnx_convert(buf, size, &opts, NULL, NULL, NULL, &err) == k2onnx_result_invalid_argument);
    CHECK(strstr(err.message, "exclude each other") != NULL);
    opts.scan_rnn = 0;
    /* Whole shapes: a name, 1 to 8 dimensions of 1 to 2^30, an input of that name and rank. */
    opts.input_shapes = &is;
    opts.input_shapes_count = 1;
    is.name = NULL;
    is.dims = good;
    is.rank = 3;
    CHECK(k2onnx_convert(buf, size, &opts, NULL, NULL, NULL, &err) == k2onnx_result_invalid_argument);
    is.name = "simple_rnn_1_input";
    is.dims = zero;
    CHECK(k2onnx_convert(buf, size, &opts, NULL, NULL, NULL, &err) == k2onnx_result_invalid_argument);
    CHECK(strstr(err.message, "dimension 1 must be 1 to 2^30") != NULL);
    is.dims = good;
    is.rank = 9;
    CHECK(k2onnx_convert(buf, size, &opts, NULL, NULL, NULL, &err) == k2onnx_result_invalid_argument);
    is.rank = 2;
    CHECK(k2onnx_convert(buf, size, &opts, NULL, NULL, NULL, &err) == k2onnx_result_invalid_argument);
    CHECK(strstr(err.message, "has 2 dimensions, the input has 3") != NULL);
    is.rank = 3;
    is.dims = wide;
    CHECK(k2onnx_convert(buf, size, &opts, NULL, NULL, NULL, &err) == k2onnx_result_invalid_argument);
    CHECK(strstr(err.message, "sets dimension 2 to 7, the model fixes it to 2") != NULL);
    is.dims = good;
    is.name = "no_such_input";
    CHECK(k2onnx_convert(buf, size, &opts, NULL, NULL, NULL, &err) == k2onnx_result_invalid_argument);
    CHECK(strstr(err.message, "'no_such_input', which is not an input") != NULL);
    is.name = "simple_rnn_1_input";
    CHECK(k2onnx_convert(buf, size, &opts, grow_write, &g, NULL, &err) == k2onnx_result_success);
    CHECK(has_op(&g, "MatMul") && !has_op(&g, "RNN") && !has_op(&g, "Scan") && !has_op(&g, "Shape"));
    free(g.data);
    memset(&g, 0, sizeof g);
    opts.input_shapes = NULL;
    opts.input_shapes_count = 1;
    CHECK(k2onnx_convert(buf, size, &opts, NULL, NULL, NULL, &err) == k2onnx_result_invalid_argument);
    opts.input_shapes_count = 0;
    opts.batch = ((size_t)1 << 30) + 1;
    CHECK(k2onnx_convert(buf, size, &opts, NULL, NULL, NULL, &err) == k2onnx_result_invalid_argument);
    opts.batch = 0;
    /* A dynamic time axis cannot be unrolled until options.steps gives it a length; the message
       names the options (the command-line tool shows them as --unroll and --steps). */
    CHECK(k2onnx_convert(dyn, dsize, &opts, NULL, NULL, NULL, &err) == k2onnx_result_unsupported_model);
    CHECK(strstr(err.message, "(LSTM): options.unroll needs a known number of time steps: give options.steps") != NULL);
    /* The one-step streaming cell: state inputs and outputs, no loop, no fused cell. */
    opts.steps = 1;
    opts.batch = 1;
    opts.state_io = 1;
    CHECK(k2onnx_convert(dyn, dsize, &opts, grow_write, &g, NULL, &err) == k2onnx_result_success);
    CHECK(has_text(&g, "lstm_1/h0") && has_text(&g, "lstm_1/c0") && has_text(&g, "lstm_1/h_n") && has_text(&g, "lstm_1/c_n"));
    CHECK(!has_op(&g, "LSTM") && !has_op(&g, "Scan") && !has_op(&g, "Concat") && !has_op(&g, "ConstantOfShape"));
    free(g.data);
    free(buf);
    free(dyn);
}

/* --unroll moves time steps with 0/1 matrices; one past 2^40 values is refused by name before
   anything that size is allocated. */
static void test_unroll_matrix_limit(const char *fixture)
{
    size_t size = 0;
    unsigned char *buf = load_fixture(fixture, &size);
    k2onnx_options opts;
    k2onnx_error err;
    if (!buf) return;
    memset(&opts, 0, sizeof opts);
    opts.unroll = 1;
    opts.steps = (size_t)1 << 21;
    CHECK(k2onnx_convert(buf, size, &opts, NULL, NULL, NULL, &err) == k2onnx_result_limit_exceeded);
    CHECK(strstr(err.message, "layer 'cropping1d_1' (Cropping1D): the step map is too large") != NULL);
    free(buf);
}

/* options.source_name and options.renames through the library: the metadata holds valid UTF-8
   whatever the caller's bytes, and a rename is checked against the graph before it applies. */
static void test_metadata_and_renames(const char *fixture)
{
    size_t size = 0;
    unsigned char *buf = load_fixture(fixture, &size);
    k2onnx_rename r[2];
    k2onnx_options opts;
    k2onnx_error err;
    growbuf g;
    if (!buf) return;
    memset(&opts, 0, sizeof opts);
    memset(&g, 0, sizeof g);
    opts.source_name = "m\xff\xc3\xa9\xed\xa0\x80\x01.h5"; /* a stray byte, U+00E9, a surrogate, a control */
    CHECK(k2onnx_convert(buf, size, &opts, grow_write, &g, NULL, &err) == k2onnx_result_success);
    CHECK(has_text(&g, "source_file\x12\x0bm?\xc3\xa9????.h5"));
    CHECK(has_text(&g, "from m?\xc3\xa9????.h5, converted by k2onnx " K2ONNX_VERSION_STRING));
    CHECK(has_text(&g, "converter_options\x12\x08opset=17"));
    free(g.data);
    memset(&g, 0, sizeof g);
    opts.source_name = NULL;
    opts.renames = r;
    opts.renames_count = 2;
    r[0].from = "simple_rnn_1_input";
    r[0].to = "x";
    r[1].from = "dense_1";
    r[1].to = "";
    CHECK(k2onnx_convert(buf, size, &opts, NULL, NULL, NULL, &err) == k2onnx_result_invalid_argument);
    CHECK(strstr(err.message, "rename 1 needs a name and a non-empty new name") != NULL);
    r[1].to = "simple_rnn_1/W";
    CHECK(k2onnx_convert(buf, size, &opts, NULL, NULL, NULL, &err) == k2onnx_result_invalid_argument);
    CHECK(strcmp(err.message, "rename: 'simple_rnn_1/W' is already a name in the graph") == 0);
    r[1].to = "y";
    CHECK(k2onnx_convert(buf, size, &opts, grow_write, &g, NULL, &err) == k2onnx_result_success);
    CHECK(!has_text(&g, "simple_rnn_1_input") && has_text(&g, "\x0a\x01x") && has_text(&g, "\x12\x01y"));
    CHECK(!has_text(&g, "source_file") && has_text(&g, "Keras model 'sequential_1', converted by"));
    free(g.data);
    opts.renames = NULL;
    CHECK(k2onnx_convert(buf, size, &opts, NULL, NULL, NULL, &err) == k2onnx_result_invalid_argument);
    free(buf);
}

/* What options.describe receives for the seed's LSTM with initial states: the layers in order,
   Keras' parameter counts, the nodes each call made, and the graph's totals. */
typedef struct described {
    int calls;
    size_t nlayers, nnodes, layer_nodes, ninits;
    unsigned long long params, bytes;
    char ops[256], names[256], shape[64];
} described;

static int record_description(void *user, const k2onnx_model_info *info)
{
    described *d = (described *)user;
    size_t i, k;
    d->calls++;
    d->nlayers = info->nlayers;
    d->nnodes = info->nnodes;
    d->ninits = info->ninitializers;
    d->bytes = info->initializer_bytes;
    for (i = 0; i < info->nlayers; i++) {
        const k2onnx_layer_info *L = &info->layers[i];
        size_t len = strlen(d->names);
        snprintf(d->names + len, sizeof d->names - len, "%s%s:%s", i ? " " : "", L->name ? L->name : "-", L->cls ? L->cls : "-");
        d->params += L->params;
        d->layer_nodes += L->nnodes;
        for (k = 0; k < L->nnodes; k++) {
            len = strlen(d->ops);
            snprintf(d->ops + len, sizeof d->ops - len, "%s%s", d->ops[0] ? "," : "", L->nodes[k].op);
        }
        if (L->name && strcmp(L->name, "lstm_1") == 0 && L->noutputs == 1 && L->outputs[0].rank == 3)
            snprintf(d->shape, sizeof d->shape, "%s %s %lld,%lld,%lld", L->outputs[0].name, L->outputs[0].dtype, L->outputs[0].dims[0],
                     L->outputs[0].dims[1], L->outputs[0].dims[2]);
    }
    return 0;
}

static int stop_description(void *user, const k2onnx_model_info *info)
{
    (void)user;
    (void)info;
    return 1;
}

static void test_describe(void)
{
    size_t size = 0, plain_size = 0, described_size = 0;
    unsigned char *buf = load_fixture("tests/fixtures/k22_lstm_state.h5", &size);
    k2onnx_options opts;
    k2onnx_error err;
    described d;
    if (!buf) return;
    memset(&opts, 0, sizeof opts);
    memset(&d, 0, sizeof d);
    CHECK(k2onnx_convert(buf, size, &opts, NULL, NULL, &plain_size, &err) == k2onnx_result_success);
    opts.describe = record_description;
    opts.describe_user = &d;
    CHECK(k2onnx_convert(buf, size, &opts, NULL, NULL, &described_size, &err) == k2onnx_result_success);
    CHECK(d.calls == 1 && described_size == plain_size);
    CHECK(strcmp(d.names, "inputs:InputLayer state_h:InputLayer state_c:InputLayer lstm_1:LSTM dense_1:Dense -:-") == 0);
    /* Keras: LSTM(5) over 2 features 4 * (2 * 5 + 5 * 5 + 5) = 160, Dense(2) over 5: 12 */
    CHECK(d.params == 172);
    CHECK(d.layer_nodes == d.nnodes && d.nnodes == 10 && d.ninits == 8);
    CHECK(strcmp(d.ops, "Transpose,Unsqueeze,Unsqueeze,LSTM,Squeeze,Transpose,MatMul,Add,Sigmoid,Identity") == 0);
    CHECK(strcmp(d.shape, "lstm_1/sequences float32 -1,1,5") == 0);
    /* ONNX B holds both halves of the bias (Keras has one: the other is zeros); three int64 axes */
    CHECK(d.bytes == (40 + 100 + 40 + 10 + 2) * 4 + 3 * 8);
    opts.describe = stop_description;
    CHECK(k2onnx_convert(buf, size, &opts, NULL, NULL, NULL, &err) == k2onnx_result_write_failed);
    CHECK(strcmp(err.message, "the describe callback stopped the conversion") == 0);
    free(buf);
    /* A model whose first output (a dropout of the input) is converted before the layers of the
       second: its output Identity stands between their nodes, and is described with the
       graph outputs' all the same. */
    buf = load_fixture("tests/fixtures/tfk2_noise_lstm.h5", &size);
    if (!buf) return;
    memset(&d, 0, sizeof d);
    opts.describe = record_description;
    CHECK(k2onnx_convert(buf, size, &opts, NULL, NULL, NULL, &err) == k2onnx_result_success);
    CHECK(d.layer_nodes == d.nnodes && d.nnodes == 7);
    CHECK(strcmp(d.ops, "Transpose,LSTM,Squeeze,MatMul,Add,Identity,Identity") == 0);
    free(buf);
}

static void test_api(const char *fixture)
{
    size_t size = 0, measured = 0, measured8 = 0;
    unsigned char *buf = load_fixture(fixture, &size);
    k2onnx_options opts;
    k2onnx_error err;
    growbuf a, b;
    counting_alloc ca;
    if (!buf) return;
    memset(&opts, 0, sizeof opts);
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    CHECK(k2onnx_convert(buf, size, NULL, NULL, NULL, &measured, NULL) == k2onnx_result_success);
    CHECK(k2onnx_convert(buf, size, &opts, grow_write, &a, NULL, &err) == k2onnx_result_success);
    CHECK(a.size == measured && measured > 100);
    /* Deterministic: the same bytes twice. */
    CHECK(k2onnx_convert(buf, size, &opts, grow_write, &b, NULL, &err) == k2onnx_result_success);
    CHECK(a.size == b.size && memcmp(a.data, b.data, a.size) == 0);
    /* ModelProto starts with ir_version 8 for the default opset 17. */
    CHECK(a.size > 2 && a.data[0] == 0x08 && a.data[1] == 8);
    opts.opset = 8;
    CHECK(k2onnx_convert(buf, size, &opts, NULL, NULL, &measured8, &err) == k2onnx_result_success);
    CHECK(measured8 != measured);
    opts.opset = 6;
    CHECK(k2onnx_convert(buf, size, &opts, NULL, NULL, NULL, &err) == k2onnx_result_invalid_argument);
    CHECK(strstr(err.message, "opset 6") != NULL);
    opts.opset = 0;
    /* A failing writer is reported, not ignored. */
    free(b.data);
    memset(&b, 0, sizeof b);
    b.fail_after = 1;
    CHECK(k2onnx_convert(buf, size, &opts, grow_write, &b, NULL, &err) == k2onnx_result_write_failed);
    /* User allocator: every block handed out is given back. */
    memset(&ca, 0, sizeof ca);
    opts.allocator.alloc = count_alloc;
    opts.allocator.free = count_free;
    opts.allocator.user = &ca;
    CHECK(k2onnx_convert(buf, size, &opts, NULL, NULL, NULL, &err) == k2onnx_result_success);
    CHECK(ca.total > 0 && ca.live == 0);
    opts.allocator.free = NULL;
    CHECK(k2onnx_convert(buf, size, &opts, NULL, NULL, NULL, &err) == k2onnx_result_invalid_argument);
    memset(&opts.allocator, 0, sizeof opts.allocator);
    opts.max_memory = 1000;
    CHECK(k2onnx_convert(buf, size, &opts, NULL, NULL, NULL, &err) == k2onnx_result_limit_exceeded);
    opts.max_memory = 0;
    /* Truncations never crash and always explain themselves. */
    {
        size_t cut;
        int all_clean = 1;
        for (cut = 0; cut < size; cut += 1 + cut / 16) {
            k2onnx_result r = k2onnx_convert(buf, cut, &opts, NULL, NULL, NULL, &err);
            if (r == k2onnx_result_success || err.message[0] == '\0') all_clean = 0;
        }
        CHECK(all_clean);
    }
    CHECK(k2onnx_convert(NULL, 0, &opts, NULL, NULL, NULL, &err) == k2onnx_result_invalid_file);
    CHECK(strcmp(k2onnx_result_string(k2onnx_result_unsupported_model), "unsupported Keras feature") == 0);
    CHECK(strcmp(k2onnx_result_string((k2onnx_result)999), "unknown result") == 0);
    free(a.data);
    free(b.data);
    free(buf);
}

/* What options.output_size was told, and how many bytes had been written by then. */
typedef struct size_note {
    int calls;
    unsigned long long size;
    size_t written_before;
    const growbuf *out;
} size_note;

static void note_output_size(void *user, unsigned long long size)
{
    size_note *n = (size_note *)user;
    n->calls++;
    n->size = size;
    n->written_before = n->out->size;
}

/* options.output_size is told the exact size once, before the first byte; never when nothing is
   written. */
static void test_output_size(const char *fixture)
{
    size_t size = 0, measured = 0;
    unsigned char *buf = load_fixture(fixture, &size);
    k2onnx_options opts;
    k2onnx_error err;
    growbuf out;
    size_note note;
    if (!buf) return;
    memset(&opts, 0, sizeof opts);
    memset(&out, 0, sizeof out);
    memset(&note, 0, sizeof note);
    note.out = &out;
    opts.output_size = note_output_size;
    opts.output_size_user = &note;
    CHECK(k2onnx_convert(buf, size, &opts, grow_write, &out, &measured, &err) == k2onnx_result_success);
    CHECK(note.calls == 1 && note.written_before == 0);
    CHECK(note.size == out.size && out.size == measured && measured > 100);
    note.calls = 0;
    CHECK(k2onnx_convert(buf, size, &opts, NULL, NULL, &measured, &err) == k2onnx_result_success);
    CHECK(note.calls == 0);
    opts.unroll = 1;
    free(out.data);
    memset(&out, 0, sizeof out);
    if (k2onnx_convert(buf, size, &opts, grow_write, &out, NULL, &err) == k2onnx_result_success) CHECK(note.calls == 1 && note.size == out.size);
    free(out.data);
    free(buf);
}

static const char inflate_text[] = "k2onnx inflates what h5py deflates. k2onnx inflates what h5py deflates. "
                                   "k2onnx inflates what h5py deflates. ";

/* zlib.compress(inflate_text, 0): one stored block. */
static const unsigned char zlib_stored[] = {
    0x78, 0x01, 0x01, 0x6c, 0x00, 0x93, 0xff, 0x6b, 0x32, 0x6f, 0x6e, 0x6e, 0x78, 0x20, 0x69, 0x6e, 0x66, 0x6c, 0x61,
    0x74, 0x65, 0x73, 0x20, 0x77, 0x68, 0x61, 0x74, 0x20, 0x68, 0x35, 0x70, 0x79, 0x20, 0x64, 0x65, 0x66, 0x6c, 0x61,
    0x74, 0x65, 0x73, 0x2e, 0x20, 0x6b, 0x32, 0x6f, 0x6e, 0x6e, 0x78, 0x20, 0x69, 0x6e, 0x66, 0x6c, 0x61, 0x74, 0x65,
    0x73, 0x20, 0x77, 0x68, 0x61, 0x74, 0x20, 0x68, 0x35, 0x70, 0x79, 0x20, 0x64, 0x65, 0x66, 0x6c, 0x61, 0x74, 0x65,
    0x73, 0x2e, 0x20, 0x6b, 0x32, 0x6f, 0x6e, 0x6e, 0x78, 0x20, 0x69, 0x6e, 0x66, 0x6c, 0x61, 0x74, 0x65, 0x73, 0x20,
    0x77, 0x68, 0x61, 0x74, 0x20, 0x68, 0x35, 0x70, 0x79, 0x20, 0x64, 0x65, 0x66, 0x6c, 0x61, 0x74, 0x65, 0x73, 0x2e,
    0x20, 0x65, 0x1d, 0x27, 0x13};

/* zlib.compress(inflate_text, 9): fixed Huffman codes with back-references. */
static const unsigned char zlib_fixed[] = {
    0x78, 0xda, 0xcb, 0x36, 0xca, 0xcf, 0xcb, 0xab, 0x50, 0xc8, 0xcc, 0x4b, 0xcb, 0x49, 0x2c, 0x49, 0x2d, 0x56, 0x28,
    0xcf, 0x48, 0x2c, 0x51, 0xc8, 0x30, 0x2d, 0xa8, 0x54, 0x48, 0x49, 0x85, 0x08, 0xe9, 0x29, 0x64, 0x53, 0x49, 0x0d,
    0x00, 0x65, 0x1d, 0x27, 0x13};

static void test_inflate(void)
{
    static k2onnx__inflate_tables tables;
    unsigned char out[256], bad[sizeof zlib_fixed];
    const char *err = NULL;
    size_t n, want = strlen(inflate_text), i;
    n = k2onnx__zlib_inflate(&tables, zlib_stored, sizeof zlib_stored, out, sizeof out, &err);
    CHECK(err == NULL && n == want && memcmp(out, inflate_text, want) == 0);
    n = k2onnx__zlib_inflate(&tables, zlib_fixed, sizeof zlib_fixed, out, sizeof out, &err);
    CHECK(err == NULL && n == want && memcmp(out, inflate_text, want) == 0);
    /* Output is bounded by the caller's buffer: one byte short is an error, never an overrun. */
    k2onnx__zlib_inflate(&tables, zlib_fixed, sizeof zlib_fixed, out, want - 1, &err);
    CHECK(err != NULL && strstr(err, "larger than the chunk") != NULL);
    k2onnx__zlib_inflate(&tables, zlib_stored, sizeof zlib_stored, out, want - 1, &err);
    CHECK(err != NULL && strstr(err, "larger than the chunk") != NULL);
    memcpy(bad, zlib_fixed, sizeof bad);
    bad[sizeof bad - 1] ^= 1u;
    k2onnx__zlib_inflate(&tables, bad, sizeof bad, out, sizeof out, &err);
    CHECK(err != NULL && strcmp(err, "zlib checksum mismatch") == 0);
    k2onnx__zlib_inflate(&tables, zlib_fixed, 2, out, sizeof out, &err);
    CHECK(err != NULL && strcmp(err, "not a zlib stream") == 0);
    /* Every truncation ends in an error, none reads past the input. */
    for (i = 3; i < sizeof zlib_fixed; i++) {
        err = NULL;
        k2onnx__zlib_inflate(&tables, zlib_fixed, i, out, sizeof out, &err);
        CHECK(err != NULL);
    }
    CHECK(k2onnx__adler32((const unsigned char *)inflate_text, want) == 0x651d2713u);
}

/* Adler-32 by its definition, one byte at a time. */
static uint32_t adler32_bytewise(const unsigned char *p, size_t n)
{
    uint32_t a = 1, b = 0;
    while (n--) {
        a = (a + *p++) % 65521u;
        b = (b + a) % 65521u;
    }
    return b << 16 | a;
}

typedef uint32_t (*checksum_fn)(const unsigned char *p, size_t n);

/* A checksum's fast paths against its reference at every length to 640 and at the given
   lengths (around the runs between reductions), at four alignments, on random bytes, on 0xff
   (the largest sums), on zeros and on zeros but for one 0xffff (a sum that is a multiple of
   65535). */
static void compare_checksum_paths(checksum_fn fast, checksum_fn reference, const size_t *lengths, size_t nlengths)
{
    size_t total = 640, i, n, off;
    unsigned char *buf;
    uint32_t x = 777u;
    int fill;
    for (i = 0; i < nlengths; i++)
        if (lengths[i] > total) total = lengths[i];
    total += 4;
    if (!(buf = (unsigned char *)malloc(total))) {
        CHECK(buf != NULL);
        return;
    }
    for (fill = 0; fill < 4; fill++) {
        for (i = 0; i < total; i++) {
            x = x * 1103515245u + 12345u;
            buf[i] = fill == 0 ? (unsigned char)(x >> 24) : fill == 1 ? 0xffu : 0u;
        }
        if (fill == 3) buf[100] = buf[101] = 0xffu;
        for (n = 0; n <= 640; n++)
            for (off = 0; off < 4; off++) CHECK(fast(buf + off, n) == reference(buf + off, n));
        for (i = 0; i < nlengths; i++)
            for (off = 0; off < 4; off++) CHECK(fast(buf + off, lengths[i]) == reference(buf + off, lengths[i]));
    }
    free(buf);
}

/* Adler-32 (8 and 16 bytes a step, 5552-byte runs) against the byte-by-byte definition. */
static void test_adler32_paths(void)
{
    static const size_t lengths[] = {5535, 5551, 5552, 5553, 5568, 5584, 11103, 11104, 11105, 16656, 16657, 16688, 3 * 5552 + 47};
    compare_checksum_paths(k2onnx__adler32, adler32_bytewise, lengths, sizeof lengths / sizeof lengths[0]);
}

/* Fletcher-32 (eight words a step in 4096-byte runs, on x86-64) against libhdf5's loop. */
static void test_fletcher32_paths(void)
{
    static const size_t lengths[] = {4079, 4095, 4096, 4097, 4111, 4112, 8191, 8192, 8193, 12288, 12289, 12303, 3 * 4096 + 47};
    compare_checksum_paths(k2onnx__fletcher32, k2onnx__fletcher32_words_loop, lengths, sizeof lengths / sizeof lengths[0]);
}

/* The weight transposition (4 x 4 register blocks, prefetching the rows ahead) against the
   definition dst[k * rows + i] = src[i * stride + k], on shapes around the block and prefetch
   edges, each source in a buffer of exactly its size so that ASan sees any read past it. */
static void test_transpose_le32(void)
{
    static const size_t row_counts[] = {1, 3, 4, 5, 8, 19, 20, 21, 23, 24, 37, 64};
    static const size_t col_counts[] = {1, 3, 4, 5, 15, 16, 17, 33};
    size_t a, b, pad, i, k;
    for (a = 0; a < sizeof row_counts / sizeof row_counts[0]; a++)
        for (b = 0; b < sizeof col_counts / sizeof col_counts[0]; b++)
            for (pad = 0; pad < 6; pad += 5) {
                size_t rows = row_counts[a], cols = col_counts[b], stride = cols + pad;
                size_t src_bytes = ((rows - 1) * stride + cols) * 4;
                unsigned char *src = (unsigned char *)malloc(src_bytes), *dst = (unsigned char *)malloc(rows * cols * 4);
                int same = 1;
                CHECK(src != NULL && dst != NULL);
                if (src && dst) {
                    for (i = 0; i < src_bytes; i++) src[i] = (unsigned char)(i * 7 + i / 251);
                    k2onnx__transpose_le32(dst, src, rows, cols, stride);
                    for (i = 0; i < rows; i++)
                        for (k = 0; k < cols; k++) same &= memcmp(dst + (k * rows + i) * 4, src + (i * stride + k) * 4, 4) == 0;
                    CHECK(same);
                }
                free(src);
                free(dst);
            }
}

/* CRC-32, sliced and a byte at a time: the standard check value of "123456789", the bitwise
   definition over every prefix (each length splits into 16-byte steps and a byte-by-byte tail
   differently), zlib's value. */
static void test_crc32(int sliced)
{
    k2onnx__ctx ctx;
    const uint32_t *t;
    size_t n;
    k2onnx__ctx_init(&ctx, "", 0, NULL, NULL);
    t = k2onnx__crc32_tables(&ctx, sliced);
    CHECK(t != NULL);
    if (!t) return;
    CHECK(k2onnx__crc32(t, sliced, (const unsigned char *)"123456789", 9) == 0xcbf43926u);
    CHECK(k2onnx__crc32(t, sliced, (const unsigned char *)"", 0) == 0u);
    /* Against the bitwise definition on the first n bytes of inflate_text. */
    for (n = 0; n < 40; n++) {
        uint32_t c = 0xffffffffu;
        size_t i;
        unsigned k;
        for (i = 0; i < n; i++) {
            c ^= (unsigned char)inflate_text[i];
            for (k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
        }
        CHECK(k2onnx__crc32(t, sliced, (const unsigned char *)inflate_text, n) == ~c);
    }
    CHECK(k2onnx__crc32(t, sliced, (const unsigned char *)inflate_text, strlen(inflate_text)) == 0xf348da26u);
    k2onnx__free_all(&ctx);
}

static uint32_t crc32_bitwise(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    unsigned k;
    while (n--) {
        c ^= *p++;
        for (k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return ~c;
}

/* Every way k2onnx__crc32 splits its input: lengths around the 16-, 64- and 128-byte steps of
   the carry-less multiply forms (x86-64), the three 4 KiB blocks of the table form, unaligned starts,
   each against the bitwise definition, sliced and a byte at a time; and the carry-less form
   itself from other registers. */
static void test_crc32_paths(void)
{
    static const size_t lengths[] = {63, 64, 65, 79, 80, 127, 128, 129, 1000, 3 * 4096 - 1, 3 * 4096, 3 * 4096 + 17, 7 * 4096 + 63};
    k2onnx__ctx ctx;
    const uint32_t *t, *bytewise;
    unsigned char *buf;
    size_t i, n, off, total = 8 * 4096 + 64;
    uint32_t x = 12345u;
    k2onnx__ctx_init(&ctx, "", 0, NULL, NULL);
    t = k2onnx__crc32_tables(&ctx, 1);
    bytewise = k2onnx__crc32_tables(&ctx, 0);
    buf = (unsigned char *)k2onnx__alloc(&ctx, total);
    CHECK(t != NULL && bytewise != NULL && buf != NULL);
    if (!t || !bytewise || !buf) return;
    /* The shift tables move a register over a block of zero bytes, as stepping over it does. */
    for (i = 0; i < 64; i++) {
        static const unsigned char zeros[16] = {0};
        uint32_t r = x, stepped = x;
        x = x * 1103515245u + 12345u;
        for (n = 0; n < K2ONNX__CRC_BLOCK; n += 16) stepped = k2onnx__crc32_step16(t, stepped, zeros);
        CHECK(k2onnx__crc32_shift(t, r) == stepped);
    }
    for (i = 0; i < 32; i++) {
        static const unsigned char zeros[16] = {0};
        uint32_t stepped = (uint32_t)1 << i;
        for (n = 0; n < K2ONNX__CRC_BLOCK; n += 16) stepped = k2onnx__crc32_step16(t, stepped, zeros);
        CHECK(k2onnx__crc32_shift(t, (uint32_t)1 << i) == stepped);
    }
    for (i = 0; i < total; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (unsigned char)(x >> 16);
    }
    for (n = 0; n <= 300; n++)
        for (off = 0; off < 4; off++) {
            CHECK(k2onnx__crc32(t, 1, buf + off, n) == crc32_bitwise(buf + off, n));
            CHECK(k2onnx__crc32(bytewise, 0, buf + off, n) == crc32_bitwise(buf + off, n));
        }
    for (i = 0; i < sizeof lengths / sizeof lengths[0]; i++)
        for (off = 0; off < 2; off++) {
            CHECK(k2onnx__crc32(t, 1, buf + off, lengths[i]) == crc32_bitwise(buf + off, lengths[i]));
            CHECK(k2onnx__crc32(bytewise, 0, buf + off, lengths[i]) == crc32_bitwise(buf + off, lengths[i]));
        }
#ifdef K2ONNX__CLMUL
    if (k2onnx__has_clmul()) {
        uint32_t starts[3] = {0u, 0xffffffffu, 0x9e3779b9u};
        for (i = 0; i < 3; i++)
            for (n = 64; n <= 1024; n += 16) {
                uint32_t c = starts[i];
                size_t j;
                for (j = 0; j < n; j++) c = (c >> 8) ^ t[(c ^ buf[j + 3]) & 0xffu];
                CHECK(k2onnx__crc32_clmul(starts[i], buf + 3, n) == c);
                if (n >= 128 && k2onnx__has_vclmul()) CHECK(k2onnx__crc32_vclmul(starts[i], buf + 3, n) == c);
            }
    }
#endif
    k2onnx__free_all(&ctx);
}

static void test_shuffle_fletcher(void)
{
    /* 3 four-byte elements shuffled, plus 2 leftover bytes kept in place. */
    const unsigned char shuffled[14] = {1, 5, 9, 2, 6, 10, 3, 7, 11, 4, 8, 12, 13, 14};
    unsigned char out[14];
    unsigned i;
    k2onnx__unshuffle(shuffled, out, sizeof out, 4);
    for (i = 0; i < 14; i++) CHECK(out[i] == i + 1);
    /* Fletcher-32 over 16-bit big-endian words: "ab" -> sum1 = 0x6162, sum2 = 0x6162. */
    CHECK(k2onnx__fletcher32((const unsigned char *)"ab", 2) == 0x61626162u);
    /* An odd trailing byte counts as the high half of a word: "abc" adds 0x6300, so sum1 = 0xc462
       and sum2 = 0x6162 + 0xc462 = 0x125c4, folded to 0x25c5. */
    CHECK(k2onnx__fletcher32((const unsigned char *)"abc", 3) == 0x25c5c462u);
    CHECK(k2onnx__bytes_for(255) == 1 && k2onnx__bytes_for(256) == 2 && k2onnx__bytes_for(0) == 1);
}

static void count_warning(void *user, const char *message)
{
    int *n = (int *)user;
    if (strstr(message, "stateful=true is converted as a stateless layer") && strstr(message, "(GRU)")) (*n)++;
}

static int count_zero_values(void *user, const k2onnx_h5_value *v)
{
    size_t *n = (size_t *)user;
    if (v->kind == k2onnx_value_float && v->f == 0.0) (*n)++;
    return 0;
}

/* Appends s to a growing text buffer (for JSON built in the test). */
static void text_add(growbuf *b, const char *s)
{
    grow_write(b, s, strlen(s));
}

/* Each safety limit of k2onnx_options, hit on purpose: a named limit_exceeded error. */
static void test_limits(const char *fixture)
{
    size_t size = 0, zeros = 0, i;
    unsigned char *buf = load_fixture(fixture, &size), *exp;
    k2onnx_options opts;
    k2onnx_error err;
    growbuf json;
    if (!buf) return;
    memset(&opts, 0, sizeof opts);
    opts.max_objects = 20;
    CHECK(k2onnx_convert(buf, size, &opts, NULL, NULL, NULL, &err) == k2onnx_result_limit_exceeded);
    CHECK(strstr(err.message, "more than max_objects (20)") != NULL);
    opts.max_objects = 0;
    /* input -> simple_rnn_1 -> dense_1: the output's inputs are converted one level down */
    opts.max_graph_depth = 1;
    CHECK(k2onnx_convert(buf, size, &opts, NULL, NULL, NULL, &err) == k2onnx_result_success);
    opts.max_graph_depth = 0;
    CHECK(k2onnx_convert(buf, size, &opts, NULL, NULL, NULL, &err) == k2onnx_result_success);

    {
        size_t dsize = 0;
        unsigned char *deep = read_file("tests/fixtures/k22_deep_lstm_gru_rnn.h5", &dsize);
        CHECK(deep != NULL);
        opts.max_graph_depth = 2;
        CHECK(deep && k2onnx_convert(deep, dsize, &opts, NULL, NULL, NULL, &err) == k2onnx_result_limit_exceeded);
        CHECK(strstr(err.message, "the layer graph is deeper than max_graph_depth (2) at layer '") != NULL);
        opts.max_graph_depth = 0;
        free(deep);
    }

    /* 4096 model outputs (one layer, named apart by suffixes) convert; 4097 are refused. */
    memset(&json, 0, sizeof json);
    text_add(&json, "{\"class_name\": \"Model\", \"config\": {\"name\": \"m\", \"layers\": [{\"class_name\": \"InputLayer\", \"name\": \"x\", "
                    "\"config\": {\"name\": \"x\", \"batch_input_shape\": [null, 2]}, \"inbound_nodes\": []}], "
                    "\"input_layers\": [[\"x\", 0, 0]], \"output_layers\": [[\"x\", 0, 0]");
    for (i = 1; i < 4096; i++) text_add(&json, ", [\"x\", 0, 0]");
    text_add(&json, "]}}");
    opts.model_config = (const char *)json.data;
    opts.model_config_size = json.size;
    CHECK(k2onnx_convert(buf, size, &opts, NULL, NULL, NULL, &err) == k2onnx_result_success);
    json.size -= 3;
    text_add(&json, ", [\"x\", 0, 0]]}}");
    opts.model_config = (const char *)json.data;
    opts.model_config_size = json.size;
    CHECK(k2onnx_convert(buf, size, &opts, NULL, NULL, NULL, &err) == k2onnx_result_limit_exceeded);
    CHECK(strstr(err.message, "'output_layers' lists more than 4096 tensors") != NULL);
    free(json.data);
    free(buf);

    /* 1 MiB of compressed zeros in a 5 KB file: read under the default ratio, refused at 100. */
    memset(&opts, 0, sizeof opts);
    exp = load_fixture("tests/fixtures/h5/expands.h5", &size);
    if (!exp) return;
    CHECK(k2onnx_h5_read(exp, size, "/zeros_f32", &opts, count_zero_values, &zeros, &err) == k2onnx_result_success);
    CHECK(zeros == 512 * 512);
    opts.max_dataset_ratio = 100;
    CHECK(k2onnx_h5_read(exp, size, "/zeros_f32", &opts, count_zero_values, &zeros, &err) == k2onnx_result_limit_exceeded);
    CHECK(strstr(err.message, "HDF5 dataset '/zeros_f32' would expand to 1048576 bytes, more than max_dataset_ratio (100)") != NULL);
    free(exp);
}

/* A stateful layer converts, with one warning through options.warn (corpus file, when present). */
static void test_warnings(void)
{
    size_t size = 0;
    unsigned char *buf = read_file("../shared/corpus/keras/Dobiasd-frugally-deep__test_stateful_test_temp_stateful__at52fc9082.h5", &size);
    k2onnx_options opts;
    k2onnx_error err;
    int warnings = 0;
    if (!buf) {
        /* the corpus is beside the repository in CI, not in every checkout */
        printf("SKIP test_warnings: ../shared/corpus is not there\n");
        return;
    }
    memset(&opts, 0, sizeof opts);
    opts.warn = count_warning;
    opts.warn_user = &warnings;
    CHECK(k2onnx_convert(buf, size, &opts, NULL, NULL, NULL, &err) == k2onnx_result_success);
    CHECK(warnings == 1);
    opts.state_io = 1;
    warnings = 0;
    CHECK(k2onnx_convert(buf, size, &opts, NULL, NULL, NULL, &err) == k2onnx_result_success);
    CHECK(warnings == 0);
    free(buf);
}

/* The model_config of a fixture with the first `from` replaced by `to`, malloc'd; NULL if absent. */
static char *edited_config(const char *path, const char *from, const char *to, size_t *out_len)
{
    k2onnx__ctx c;
    k2onnx__h5 f;
    k2onnx__h5obj root;
    const k2onnx__h5attr *attr;
    const char *s = NULL, *at;
    size_t size = 0, len = 0;
    char *out = NULL;
    unsigned char *buf = read_file(path, &size);
    if (!buf) return NULL;
    ctx_init(&c);
    if (k2onnx__h5_open(&f, &c, buf, size) && k2onnx__h5_object(&f, f.root_addr, "/", &root) &&
        (attr = k2onnx__h5_attr(&root, "model_config")) != NULL && k2onnx__h5_attr_string(&f, "/", attr, 0, &s, &len)) {
        char *text = (char *)malloc(len + 1);
        if (text) {
            memcpy(text, s, len);
            text[len] = '\0';
            if ((at = strstr(text, from)) != NULL && (out = (char *)malloc(len + strlen(to) + 1)) != NULL) {
                size_t head = (size_t)(at - text);
                memcpy(out, text, head);
                strcpy(out + head, to);
                strcat(out, at + strlen(from));
                *out_len = strlen(out);
            }
            free(text);
        }
    }
    k2onnx__free_all(&c);
    free(buf);
    return out;
}

/* An op layer inside a nested model: its inbound node is its lone first argument there too,
   here a constant (2.0 - x as math.subtract(2.0, y=x)). */
static void test_op_layer_in_nested_model(void)
{
    static const char config[] =
        "{\"class_name\": \"Functional\", \"config\": {\"name\": \"outer\", \"layers\": ["
        "{\"class_name\": \"InputLayer\", \"config\": {\"batch_input_shape\": [null, 5, 4], \"dtype\": \"float32\", \"name\": \"inputs\"}, \"name\": \"inputs\", \"inbound_nodes\": []},"
        "{\"class_name\": \"Functional\", \"config\": {\"name\": \"inner\", \"layers\": ["
        "{\"class_name\": \"InputLayer\", \"config\": {\"batch_input_shape\": [null, 5, 4], \"dtype\": \"float32\", \"name\": \"x\"}, \"name\": \"x\", \"inbound_nodes\": []},"
        "{\"class_name\": \"TFOpLambda\", \"config\": {\"name\": \"tf.math.subtract\", \"function\": \"math.subtract\"}, \"name\": \"tf.math.subtract\","
        " \"inbound_nodes\": [[\"_CONSTANT_VALUE\", -1, 2.0, {\"y\": [\"x\", 0, 0], \"name\": null}]]}],"
        " \"input_layers\": [[\"x\", 0, 0]], \"output_layers\": [[\"tf.math.subtract\", 0, 0]]}, \"name\": \"inner\", \"inbound_nodes\": [[[\"inputs\", 0, 0, {}]]]}],"
        " \"input_layers\": [[\"inputs\", 0, 0]], \"output_layers\": [[\"inner\", 0, 0]]}}";
    static const char sub[] = "inner/tf.math.subtract/Sub";
    k2onnx_options opts;
    k2onnx_error err;
    bytes out;
    size_t size = 0, i, found = 0;
    unsigned char *buf = load_fixture("tests/fixtures/tfk2_tf_lambda.h5", &size);
    if (!buf) return;
    memset(&opts, 0, sizeof opts);
    memset(&out, 0, sizeof out);
    opts.model_config = config;
    opts.model_config_size = sizeof config - 1;
    CHECK(k2onnx_convert(buf, size, &opts, bytes_write, &out, NULL, &err) == k2onnx_result_success);
    for (i = 0; i + sizeof sub - 1 <= out.size; i++) found += memcmp(out.data + i, sub, sizeof sub - 1) == 0;
    CHECK(found > 0);
    free(buf);
}

/* Keras 1 convolutions, pooling, Merge and the Merge of models: what Keras 1 computed differently on Theano, never
   offered, or left to Python code, is refused by name; so is a Keras 3 activation a cell cannot
   take. */
static void test_refusals_by_name(void)
{
    static const struct { const char *fixture, *from, *to, *message; int opset; } cases[] = {
        {"tests/fixtures/k1_conv_same_th_gru.h5", "\"border_mode\": \"valid\"", "\"border_mode\": \"same\"",
         "layer 'averagepooling1d_1' (AveragePooling1D): Keras 1 Theano border_mode 'same' is not supported yet", 0},
        {"tests/fixtures/k1_conv_pool_lstm.h5", "\"border_mode\": \"valid\"", "\"border_mode\": \"full\"",
         "layer 'convolution1d_1' (Convolution1D): padding 'full' is not supported", 0},
        {"tests/fixtures/k1_conv_pool_lstm.h5", "\"border_mode\": \"valid\"", "\"border_mode\": \"causal\"",
         "layer 'convolution1d_1' (Convolution1D): border_mode 'causal' is not a Keras 1 border mode", 0},
        {"tests/fixtures/k1_merge_last.h5", "\"mode_type\": \"raw\"", "\"mode_type\": \"lambda\"",
         "layer 'merge_1' (Merge): a merge mode given as a Python lambda cannot be converted", 0},
        {"tests/fixtures/k1_merge_last.h5", "\"mode\": \"sum\"", "\"mode\": \"min\"", "layer 'merge_1' (Merge): merge mode 'min' is not supported", 0},
        {"tests/fixtures/k1_merged_models_concat.h5", "{\"class_name\": \"Sequential\", \"config\": [{\"class_name\": \"LSTM\"",
         "{\"class_name\": \"Model\", \"config\": [{\"class_name\": \"LSTM\"", "layer 'merge_1' (Merge): merging a Model is not supported yet, only Sequential models", 0},
        {"tests/fixtures/k1_conv_legacy_lstm.h5", "\"nb_filter\": 3", "\"nb_filter\": 2",
         "weight '/model_weights/convolution1d_1/convolution1d_1_W' (W) has shape [3x2x2x1], which does not fit the layer config", 0},
        {"tests/fixtures/k3_act_rnn_squareplus_last.h5", "\"activation\": \"squareplus\"", "\"activation\": \"glu\"",
         "(SimpleRNN): activation 'glu' changes the size of the state; a recurrent cell cannot use it", 0},
        {"tests/fixtures/tfk2_conv2d_layers.h5", "\"interpolation\": \"nearest\"", "\"interpolation\": \"bilinear\"",
         "layer 'up_sampling2d' (UpSampling2D): interpolation 'bilinear' is not supported yet (nearest)", 0},
        {"tests/fixtures/k22_conv2d_layers.h5", "\"depth_multiplier\": 2", "\"nb_filter\": 3, \"depth_multiplier\": 2",
         "layer 'depthwise_conv2d_1' (DepthwiseConv2D): Keras 1 DepthwiseConv2D is not supported yet", 0},
        {"tests/fixtures/tfk2_timedist_conv2d.h5", "{\"class_name\": \"Conv2D\"", "{\"class_name\": \"Sequential\"",
         "model_config: nested model 'time_distributed/conv2d' has no layers", 0},
        {"tests/fixtures/tfk2_mha_axes_scores.h5", "\"return_attention_scores\": true", "\"use_causal_mask\": true",
         "layer 'multi_head_attention' (MultiHeadAttention): masks with inputs of rank 4 are not supported yet", 0},
        {"tests/fixtures/tfk2_nested_functional.h5", "\"inbound_nodes\": [[[\"input\", 0, 0, {}]]]", "\"inbound_nodes\": [[[\"input\", 1, 0, {}]]]",
         "model_config: nested model 'model' reads call 1 of 'input', whose calls are 0 to 0", 0},
        {"tests/fixtures/tfk2_nested_reuse.h5", "\"inbound_nodes\": [[[\"dense\", 1, 0, {}]]]", "\"inbound_nodes\": [[[\"dense\", 2, 0, {}]]]",
         "model_config: nested model 'model' reads call 2 of 'dense', whose calls are 0 to 1", 0},
        /* TensorFlowOpLayer: ops, shapes and types outside what maps to ONNX */
        {"tests/fixtures/tfk2_tf_ops.h5", "\"op\": \"Tanh\"", "\"op\": \"StridedSlice\"",
         "layer 'tf_op_layer_Tanh' (TensorFlowOpLayer): TensorFlow op 'StridedSlice' is not supported", 0},
        {"tests/fixtures/tfk2_tf_ops.h5", "\"constants\": {\"1\": [-1, 20]}", "\"constants\": {\"1\": [2, 10]}",
         "layer 'tf_op_layer_Reshape' (TensorFlowOpLayer): Reshape must keep the batch axis first as -1", 0},
        {"tests/fixtures/tfk2_tf_ops.h5", "\"constants\": {\"1\": [-1, 20]}", "\"constants\": {\"1\": [-1, 10]}",
         "layer 'tf_op_layer_Reshape' (TensorFlowOpLayer): Reshape changes the batch size", 0},
        {"tests/fixtures/tfk2_tf_ops.h5", "\"constants\": {\"1\": [0, 2, 1]}", "\"constants\": {\"1\": [1, 0, 2]}",
         "layer 'tf_op_layer_Transpose' (TensorFlowOpLayer): Transpose must keep the batch axis first", 0},
        {"tests/fixtures/tfk2_tf_ops.h5", "\"constants\": {\"1\": 2}", "\"constants\": {\"1\": 0}",
         "layer 'tf_op_layer_Mean' (TensorFlowOpLayer): an op along the batch axis is not supported", 0},
        {"tests/fixtures/tfk2_tf_ops.h5", "\"squeeze_dims\": {\"list\": {\"i\": [\"2\"]}}", "\"squeeze_dims\": {\"list\": {\"i\": [\"1\"]}}",
         "layer 'tf_op_layer_Squeeze' (TensorFlowOpLayer): squeeze_dims entry 0 is not an axis of size 1 after the batch", 0},
        {"tests/fixtures/tfk2_tf_ops.h5", "\"T\": {\"type\": \"DT_FLOAT\"}", "\"T\": {\"type\": \"DT_INT32\"}",
         "layer 'tf_op_layer_AddV2' (TensorFlowOpLayer): TensorFlow op 'AddV2' on DT_INT32: only DT_FLOAT is supported", 0},
        {"tests/fixtures/tfk2_tf_ops.h5", "\"constants\": {\"1\": [0, 2, 1]}", "\"constants\": {}",
         "layer 'tf_op_layer_Transpose' (TensorFlowOpLayer): op input 1 is neither a Keras tensor nor a constant", 0},
        {"tests/fixtures/tfk2_tf_ops.h5", "\"constants\": {\"1\": [-1, 20]}", "\"constants\": {\"1\": [-1, 1099511627776, 1099511627776]}",
         "layer 'tf_op_layer_Reshape' (TensorFlowOpLayer): Reshape shape is too large", 0},
        /* a target shape whose size does not fit 64 bits */
        {"tests/fixtures/tfk2_reshape_lstm.h5", "\"target_shape\": [-1, 2]", "\"target_shape\": [-1, 1099511627776, 1099511627776]",
         "(Reshape): target shape is too large", 0},
        /* TFOpLambda: functions and arguments outside what maps to ONNX */
        {"tests/fixtures/tfk2_tf_lambda.h5", "\"function\": \"math.tanh\"", "\"function\": \"math.atan2\"",
         "layer 'tf.math.tanh' (TFOpLambda): TensorFlow function 'math.atan2' is not supported", 0},
        {"tests/fixtures/tfk2_tf_lambda.h5", "{\"y\": 0.5, \"name\": null}", "{\"name\": null}",
         "layer 'tf.math.multiply' (TFOpLambda): TensorFlow function 'math.multiply' lacks its argument 'y'", 0},
        /* both operands constants, the call's one tensor passed under another keyword */
        {"tests/fixtures/tfk2_tf_lambda.h5", "[\"_CONSTANT_VALUE\", -1, 1.0, {\"y\": [\"tf.__operators__.add\", 0, 0], \"name\": null}]",
         "[\"_CONSTANT_VALUE\", -1, 1.0, {\"y\": 3.0, \"name\": [\"tf.__operators__.add\", 0, 0]}]",
         "layer 'tf.math.subtract' (TFOpLambda): an op on constants alone is not supported", 0},
        {"tests/fixtures/tfk2_tf_lambda.h5", "[[\"tf.transpose\", 0, 0, {\"axis\": -1, \"name\": null}]]", "[[\"tf.transpose\", 0, 0, {\"axis\": 1, \"name\": null}]]",
         "layer 'tf.nn.softmax' (TFOpLambda): softmax over another axis than the last is not supported", 0},
        /* SlicingOpLambda: x[...] beyond integer indices, step-1 slices and an ellipsis */
        {"tests/fixtures/tfk2_tf_slicing.h5", "{\"start\": 1, \"stop\": 3, \"step\": null}", "{\"start\": 1, \"stop\": 3, \"step\": 2}",
         "layer 'tf.__operators__.getitem_1' (SlicingOpLambda): slices with a step are not supported", 0},
        {"tests/fixtures/tfk2_tf_slicing.h5", "\"slice_spec\": [{\"start\": null, \"stop\": null, \"step\": null}, 2]", "\"slice_spec\": [0, 2]",
         "layer 'tf.__operators__.getitem_3' (SlicingOpLambda): slicing the batch axis is not supported", 0},
        {"tests/fixtures/tfk2_tf_slicing.h5", "\"slice_spec\": [{\"start\": null, \"stop\": null, \"step\": null}, 2]", "\"slice_spec\": [{\"start\": null, \"stop\": null, \"step\": null}, -7]",
         "layer 'tf.__operators__.getitem_3' (SlicingOpLambda): index -7 is outside axis 1 of size 6", 0},
        {"tests/fixtures/tfk2_tf_slicing.h5", "\"slice_spec\": [{\"start\": null, \"stop\": null, \"step\": null}, 2]", "\"slice_spec\": [null, null, 1, 0]",
         "layer 'tf.__operators__.getitem_3' (SlicingOpLambda): x[...] has 4 indices for a rank-3 tensor", 0},
        {"tests/fixtures/tfk2_tf_slicing.h5", "\"slice_spec\": [{\"class_name\": \"__ellipsis__\"}, {\"start\": 1, \"stop\": 3, \"step\": null}]",
         "\"slice_spec\": [{\"class_name\": \"__ellipsis__\"}, {\"class_name\": \"__ellipsis__\"}, {\"class_name\": \"__ellipsis__\"}, {\"class_name\": \"__ellipsis__\"}, {\"class_name\": \"__ellipsis__\"}, 0]",
         "layer 'tf.__operators__.getitem_1' (SlicingOpLambda): x[...] has more than one ellipsis", 0},
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        k2onnx_options opts;
        k2onnx_error err;
        size_t size = 0, clen = 0;
        unsigned char *buf = read_file(cases[i].fixture, &size);
        char *cfg = edited_config(cases[i].fixture, cases[i].from, cases[i].to, &clen);
        CHECK(buf != NULL && cfg != NULL);
        if (buf && cfg) {
            memset(&opts, 0, sizeof opts);
            opts.model_config = cfg;
            opts.model_config_size = clen;
            opts.opset = cases[i].opset;
            CHECK(k2onnx_convert(buf, size, &opts, NULL, NULL, NULL, &err) != k2onnx_result_success);
            CHECK(strstr(err.message, cases[i].message) != NULL);
            if (!strstr(err.message, cases[i].message)) fprintf(stderr, "  got: %s\n", err.message);
        }
        free(cfg);
        free(buf);
    }
}

static void put_le(unsigned char *p, uint64_t v, unsigned n)
{
    unsigned i;
    for (i = 0; i < n; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, unsigned n)
{
    uint64_t v = 0;
    while (n--) v = v << 8 | p[n];
    return v;
}

/* A ZIP64 archive (Python's zipfile with its ZIP64 threshold lowered) converts; its ZIP64
   records damaged one at a time are refused with the record named. */
static void test_zip64(void)
{
    static const char *const path = "tests/fixtures/k3_keras_zip64_lstm_lstm.keras";
    size_t size = 0, eocd, loc, rec, k;
    unsigned char *orig = read_file(path, &size), *buf;
    k2onnx_options opts;
    k2onnx_error err;
    struct {
        int what;           /* 0 locator's record offset, 1 entry count, 2 a directory entry's 64-bit sizes */
        uint64_t value;
        const char *message;
    } cases[] = {
        {0, 0xfffffff0u, "the ZIP64 end of central directory record is damaged"},
        {1, (uint64_t)1 << 40, "central directory is shorter than its"},
        {2, 0, "needs ZIP64 sizes and has no ZIP64 extra field"},
    };
    CHECK(orig != NULL && size > 100);
    if (!orig || size <= 100) {
        free(orig);
        return;
    }
    memset(&opts, 0, sizeof opts);
    CHECK(k2onnx_convert(orig, size, &opts, NULL, NULL, NULL, &err) == k2onnx_result_success);
    eocd = size - 22;
    loc = eocd - 20;
    CHECK(get_le(orig + eocd, 4) == 0x06054b50u && get_le(orig + loc, 4) == 0x07064b50u);
    rec = (size_t)get_le(orig + loc + 8, 8);
    CHECK(rec < size && get_le(orig + rec, 4) == 0x06064b50u);
    buf = (unsigned char *)malloc(size);
    CHECK(buf != NULL);
    for (k = 0; buf && k < sizeof cases / sizeof cases[0]; k++) {
        memcpy(buf, orig, size);
        if (cases[k].what == 0) put_le(buf + loc + 8, cases[k].value, 8);
        if (cases[k].what == 1) put_le(buf + rec + 32, cases[k].value, 8);
        if (cases[k].what == 2) { /* the first entry with 64-bit sizes: its extra field renamed to an unknown id */
            size_t at = (size_t)get_le(buf + rec + 48, 8), n;
            while (at + 46 < size && get_le(buf + at, 4) == 0x02014b50u && get_le(buf + at + 20, 4) != 0xffffffffu)
                at += 46 + (size_t)get_le(buf + at + 28, 2) + (size_t)get_le(buf + at + 30, 2) + (size_t)get_le(buf + at + 32, 2);
            n = (size_t)get_le(buf + at + 28, 2);
            CHECK(at + 48 + n < size && get_le(buf + at + 20, 4) == 0xffffffffu && get_le(buf + at + 46 + n, 2) == 1);
            if (at + 48 + n < size) put_le(buf + at + 46 + n, 0x7777, 2);
        }
        CHECK(k2onnx_convert(buf, size, &opts, NULL, NULL, NULL, &err) != k2onnx_result_success);
        CHECK(strstr(err.message, cases[k].message) != NULL);
        if (!strstr(err.message, cases[k].message)) fprintf(stderr, "  got: %s\n", err.message);
    }
    free(buf);
    free(orig);
}

/* A ZIP archive built in memory, its members stored (method 0) or as one stored deflate block
   (method 8, which the inflater must still decode); `damage` changes one field after the build. */
typedef struct zip_entry {
    const char *name;
    const char *data;
    unsigned method, flags;
} zip_entry;

enum {
    ZIP_INTACT, ZIP_BAD_CRC, ZIP_NO_EOCD, ZIP_CD_OUTSIDE, ZIP_COUNT_TOO_BIG, ZIP_BAD_LOCAL, ZIP_STORED_SIZES_DIFFER,
    ZIP_OFFSET_PAST_END, ZIP_DEFLATE_SIZE, ZIP_DAMAGED_ENTRY
};

static size_t zip_build(unsigned char *out, const zip_entry *e, size_t n, const char *comment, int damage)
{
    size_t at = 0, i, cd, cd_size, local[8], clen[8];
    for (i = 0; i < n; i++) {
        size_t name_len = strlen(e[i].name), len = strlen(e[i].data);
        uint32_t crc = crc32_bitwise((const unsigned char *)e[i].data, len);
        unsigned char *h = out + at;
        local[i] = at;
        put_le(h, 0x04034b50u, 4);
        put_le(h + 4, 20, 2);
        put_le(h + 6, e[i].flags, 2);
        put_le(h + 8, e[i].method, 2);
        put_le(h + 10, 0, 4);
        put_le(h + 14, crc, 4);
        put_le(h + 26, name_len, 2);
        put_le(h + 28, 0, 2);
        memcpy(h + 30, e[i].name, name_len);
        at += 30 + name_len;
        if (e[i].method == 8) { /* one final stored block: BFINAL=1 BTYPE=00, LEN, NLEN */
            out[at] = 1;
            put_le(out + at + 1, len, 2);
            put_le(out + at + 3, ~len & 0xffffu, 2);
            at += 5;
        }
        memcpy(out + at, e[i].data, len);
        at += len;
        clen[i] = at - local[i] - 30 - name_len;
        put_le(h + 18, clen[i], 4);
        put_le(h + 22, len, 4);
    }
    cd = at;
    for (i = 0; i < n; i++) {
        size_t name_len = strlen(e[i].name), len = strlen(e[i].data);
        unsigned char *c = out + at;
        memset(c, 0, 46);
        put_le(c, 0x02014b50u, 4);
        put_le(c + 8, e[i].flags, 2);
        put_le(c + 10, e[i].method, 2);
        put_le(c + 16, crc32_bitwise((const unsigned char *)e[i].data, len) ^ (damage == ZIP_BAD_CRC ? 1u : 0u), 4);
        put_le(c + 20, clen[i] + (damage == ZIP_STORED_SIZES_DIFFER ? 1u : 0u), 4);
        put_le(c + 24, len + (damage == ZIP_DEFLATE_SIZE ? 3u : 0u), 4);
        put_le(c + 28, name_len + (damage == ZIP_DAMAGED_ENTRY ? 60000u : 0u), 2);
        put_le(c + 42, damage == ZIP_OFFSET_PAST_END ? 0x7fffffffu : local[i], 4);
        memcpy(c + 46, e[i].name, name_len);
        at += 46 + name_len;
    }
    cd_size = at - cd;
    if (damage == ZIP_BAD_LOCAL && n > 1) out[local[1]] ^= 0xff; /* the second member's */
    put_le(out + at, damage == ZIP_NO_EOCD ? 0x06054b51u : 0x06054b50u, 4);
    put_le(out + at + 4, 0, 4);
    put_le(out + at + 8, n, 2);
    put_le(out + at + 10, damage == ZIP_COUNT_TOO_BIG ? 60000u : n, 2);
    put_le(out + at + 12, cd_size, 4);
    put_le(out + at + 16, damage == ZIP_CD_OUTSIDE ? at + 100 : cd, 4);
    put_le(out + at + 20, strlen(comment), 2);
    memcpy(out + at + 22, comment, strlen(comment));
    return at + 22 + strlen(comment);
}

/* The ZIP reader alone: members found by name among several (stored, deflated, after an archive
   comment), and every damaged field or unsupported feature refused with its message; the same
   in a caller's buffer, where the CRC-32 goes a byte at a time on one 1 KB table (a sliced
   CRC's 20 KB of tables would not fit in the 12 KB given). */
static void test_zip_reader(void)
{
    static const zip_entry three[] = {
        {"config.json", "{\"class_name\": \"Sequential\"}", 0, 0},
        {"model.weights.h5", "HDF5 bytes stand here", 8, 0},
        {"metadata.json", "{\"keras_version\": \"3.3.3\"}", 0, 0},
    };
    static const struct {
        const char *member;
        unsigned method, flags;
        int damage;
        const char *comment;
        const char *expect; /* the member's bytes, or a piece of the message */
        int ok;
    } cases[] = {
        {"config.json", 0, 0, ZIP_INTACT, "", "{\"class_name\": \"Sequential\"}", 1},
        {"metadata.json", 0, 0, ZIP_INTACT, "written by a test", "{\"keras_version\": \"3.3.3\"}", 1},
        {"model.weights.h5", 0, 0, ZIP_INTACT, "", "HDF5 bytes stand here", 1},
        {"model.weights.h5", 8, 0, ZIP_INTACT, "", "HDF5 bytes stand here", 1},
        {"model.weights.h5", 0, 0, ZIP_BAD_CRC, "", "ZIP member 'model.weights.h5': CRC-32 mismatch", 0},
        {"model.weights.h5", 8, 0, ZIP_BAD_CRC, "", "ZIP member 'model.weights.h5': CRC-32 mismatch", 0},
        {"model.h5", 0, 0, ZIP_INTACT, "", "ZIP archive has no member 'model.h5'", 0},
        {"model.weights.h5", 0, 1, ZIP_INTACT, "", "ZIP member 'model.weights.h5' is encrypted", 0},
        {"model.weights.h5", 12, 0, ZIP_INTACT, "", "ZIP member 'model.weights.h5': compression method 12 is not supported", 0},
        {"model.weights.h5", 0, 0, ZIP_NO_EOCD, "", "ZIP archive: no end of central directory record", 0},
        {"model.weights.h5", 0, 0, ZIP_CD_OUTSIDE, "", "ZIP archive: central directory is outside the file", 0},
        {"model.weights.h5", 0, 0, ZIP_COUNT_TOO_BIG, "", "ZIP archive: central directory is shorter than its 60000 entries", 0},
        {"model.weights.h5", 0, 0, ZIP_BAD_LOCAL, "", "ZIP member 'model.weights.h5': local header is damaged", 0},
        {"model.weights.h5", 0, 0, ZIP_STORED_SIZES_DIFFER, "", "ZIP member 'model.weights.h5': stored sizes differ", 0},
        {"model.weights.h5", 0, 0, ZIP_OFFSET_PAST_END, "", "ZIP member 'model.weights.h5' runs past the end of the file", 0},
        {"model.weights.h5", 8, 0, ZIP_DEFLATE_SIZE, "", "ZIP member 'model.weights.h5': deflate: ", 0},
        {"model.weights.h5", 0, 0, ZIP_DAMAGED_ENTRY, "", "ZIP archive: central directory entry 0 is damaged", 0},
    };
    static unsigned char memory[12 * 1024];
    size_t k;
    for (k = 0; k < 2 * sizeof cases / sizeof cases[0]; k++) {
        zip_entry e[3];
        unsigned char buf[2048];
        const unsigned char *data = NULL;
        size_t size, len = 0, i, in_buffer = k % 2;
        k2onnx__ctx ctx;
        int ok;
        for (i = 0; i < 3; i++) {
            e[i] = three[i];
            if (strcmp(e[i].name, cases[k / 2].member) == 0 || (i == 1 && strcmp(cases[k / 2].member, "model.h5") == 0)) {
                e[i].method = cases[k / 2].method;
                e[i].flags = cases[k / 2].flags;
            }
        }
        size = zip_build(buf, e, 3, cases[k / 2].comment, cases[k / 2].damage);
        ctx_init(&ctx);
        if (in_buffer) {
            ctx.memory = memory;
            ctx.memory_size = sizeof memory;
        }
        ok = k2onnx__zip_member(&ctx, buf, size, cases[k / 2].member, &data, &len);
        CHECK(ok == cases[k / 2].ok);
        if (cases[k / 2].ok) {
            CHECK(ok && len == strlen(cases[k / 2].expect) && memcmp(data, cases[k / 2].expect, len) == 0);
            CHECK(cases[k / 2].method != 0 || (data > buf && data < buf + size)); /* stored: read in place */
        } else {
            CHECK(strstr(ctx.error->message, cases[k / 2].expect) != NULL);
            if (!strstr(ctx.error->message, cases[k / 2].expect)) fprintf(stderr, "  case %d got: %s\n", (int)k, ctx.error->message);
        }
        k2onnx__free_all(&ctx);
    }
}

/* Every memory limit on the way to converting a model with a shared nested model ends in
   success or a limit error: an allocation that fails while the nested model is unfolded is
   reported, never used. */
static void test_nested_memory_limits(void)
{
    size_t size = 0, lim;
    unsigned char *buf = load_fixture("tests/fixtures/k22_nested_shared.h5", &size);
    int clean = 1, converted = 0;
    if (!buf) return;
    for (lim = 1024; lim < ((size_t)1 << 20) && !converted; lim += 251) {
        k2onnx_options opts;
        k2onnx_error err;
        k2onnx_result r;
        memset(&opts, 0, sizeof opts);
        opts.max_memory = lim;
        r = k2onnx_convert(buf, size, &opts, NULL, NULL, NULL, &err);
        if (r == k2onnx_result_success) converted = 1;
        else if (r != k2onnx_result_limit_exceeded) clean = 0;
    }
    CHECK(clean);
    CHECK(converted);
    free(buf);
}

int main(int argc, char **argv)
{
    const char *fixture = argc > 1 ? argv[1] : "tests/fixtures/k22_seq_rnn.h5";
    test_format();
    test_one_line_messages();
    test_arena_limit();
    test_numbers();
    test_lookup3();
    test_sqrt();
    test_inflate();
    test_adler32_paths();
    test_crc32(1);
    test_crc32(0);
    test_crc32_paths();
    test_shuffle_fletcher();
    test_fletcher32_paths();
    test_transpose_le32();
    test_h5_rejects_garbage();
    test_h5_fixture(fixture);
    test_json_values();
    test_json_float32_rounding();
    test_f64_to_f32();
    test_json_errors();
    test_json_memory();
    test_kmodel_sequential(fixture);
    test_kmodel_versions(fixture);
    test_kmodel_functional_k2(fixture);
    test_kmodel_functional_k3(fixture);
    test_kmodel_nested(fixture);
    test_kmodel_fixtures();
    test_kmodel_refusals(fixture);
    test_kmodel_weights();
    test_protobuf();
    test_api(fixture);
    test_metadata_and_renames(fixture);
    test_describe();
    test_convert_file(fixture);
    test_memory_buffer("tests/fixtures/k22_lstm_state.h5");
    test_h5_path_memory();
    test_unzeroed_memory("tests/fixtures/k22_lstm_state.h5");
    test_output_size(fixture);
    test_output_size("tests/fixtures/k3_keras_seq_lstm_lstm.keras");
    test_output_size("tests/fixtures/k1_conv2d_tf.h5");
    test_unzeroed_memory("tests/fixtures/k3_keras_seq_lstm_lstm.keras");
    test_unzeroed_memory("tests/fixtures/k3_keras_deflate_rnn_lstm.keras");
    if (argc > 3) test_big_model(argv[3]);
    test_shape_options(fixture, argc > 2 ? argv[2] : "tests/fixtures/k22_dyn_lstm_seq.h5");
    test_unroll_matrix_limit("tests/fixtures/k22_pad_crop_lstm.h5");
    test_warnings();
    test_refusals_by_name();
    test_op_layer_in_nested_model();
    test_nested_memory_limits();
    test_zip64();
    test_zip_reader();
    test_limits(fixture);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
