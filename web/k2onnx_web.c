/* k2onnx in the browser: k2onnx.h built for WebAssembly with no C library at all (make web).

   This file is the whole program around the header: the few string functions the header calls,
   an allocator over the module's linear memory, and the calls the page (web/page.html) makes.
   The page puts the model's bytes into memory from alloc(), calls convert(), and receives
   through its imports the ONNX bytes as they are written, the description of what was made
   (JSON, for the summary and the picture) and each warning. Nothing is read or written but
   what the page hands over and takes back. */
#include <stdarg.h>
#include <stddef.h>

static void *web_malloc(size_t size);
static void web_free(void *ptr);

#define K2ONNX_NO_STDIO
#define K2ONNX_NO_H5_INSPECT
#define K2ONNX_MALLOC(size) web_malloc(size)
#define K2ONNX_FREE(ptr) web_free(ptr)
#define K2ONNX_IMPLEMENTATION
#include "../k2onnx.h"

#define WEB_IMPORT(name) __attribute__((import_module("k2onnx"), import_name(name)))
#define WEB_EXPORT(name) __attribute__((export_name(name)))

WEB_IMPORT("onnx_bytes") void web_onnx_bytes(const void *data, size_t size);
WEB_IMPORT("model_info") void web_model_info(const char *json, size_t size);
WEB_IMPORT("warning") void web_warning(const char *message, size_t size);

/* ---- The C library functions the header calls ---- */

/* With the bulk-memory feature these builtins become single memory.copy / memory.fill
   instructions, never calls back into these functions. */
void *memcpy(void *dst, const void *src, size_t n)
{
    __builtin_memcpy(dst, src, n);
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    __builtin_memmove(dst, src, n);
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    __builtin_memset(dst, c, n);
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;
    for (; n; n--, p++, q++)
        if (*p != *q) return *p < *q ? -1 : 1;
    return 0;
}

size_t strlen(const char *s)
{
    const char *e = s;
    while (*e) e++;
    return (size_t)(e - s);
}

int strcmp(const char *a, const char *b)
{
    for (; *a && *a == *b; a++, b++) {}
    return (unsigned char)*a - (unsigned char)*b;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c) return (char *)s;
        if (!*s) return NULL;
    }
}

char *strrchr(const char *s, int c)
{
    const char *last = NULL;
    for (;; s++) {
        if (*s == (char)c) last = s;
        if (!*s) return (char *)last;
    }
}

char *strstr(const char *haystack, const char *needle)
{
    size_t n = strlen(needle);
    for (; *haystack; haystack++)
        if (memcmp(haystack, needle, n) == 0) return (char *)haystack;
    return *needle ? NULL : (char *)haystack;
}

/* 128-bit multiplication, which the compiler calls for the header's overflow-checked 64-bit
   products: the low 128 bits of a * b from 32-bit limbs. */
__extension__ typedef unsigned __int128 web_u128;

web_u128 __multi3(web_u128 a, web_u128 b);
web_u128 __multi3(web_u128 a, web_u128 b)
{
    unsigned long long a0 = (unsigned long long)a, a1 = (unsigned long long)(a >> 64);
    unsigned long long b0 = (unsigned long long)b, b1 = (unsigned long long)(b >> 64);
    unsigned long long al = a0 & 0xffffffffu, ah = a0 >> 32, bl = b0 & 0xffffffffu, bh = b0 >> 32;
    unsigned long long ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    unsigned long long mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);
    unsigned long long lo = (ll & 0xffffffffu) | (mid << 32);
    unsigned long long hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32) + a0 * b1 + a1 * b0;
    return ((web_u128)hi << 64) | lo;
}

/* ---- Memory: first fit over an address-ordered free list, neighbours merged on free ---- */

#define WEB_ALIGN 16u
#define WEB_HEADER 16u /* a block's size, padded so that what follows stays 16-byte aligned */
#define WEB_PAGE 65536ull

typedef struct web_block {
    size_t size;            /* bytes after the header */
    struct web_block *next; /* only while the block is free */
} web_block;

extern unsigned char __heap_base; /* set by the linker: where the stack and data end */

static unsigned char *web_top;    /* the first byte never handed out */
static web_block *web_free_list;  /* free blocks below web_top, by address */

static unsigned char *block_end(web_block *b)
{
    return (unsigned char *)b + WEB_HEADER + b->size;
}

/* A new block at the top of the heap, growing the memory when the top passes its end. */
static void *web_grow(size_t need)
{
    unsigned long long end, have = (unsigned long long)__builtin_wasm_memory_size(0) * WEB_PAGE;
    web_block *b;
    if (!web_top) web_top = (unsigned char *)(((size_t)&__heap_base + WEB_ALIGN - 1) & ~(size_t)(WEB_ALIGN - 1));
    end = (unsigned long long)(size_t)web_top + WEB_HEADER + need;
    if (end > 0xffffffffull) return NULL;
    if (end > have && __builtin_wasm_memory_grow(0, (size_t)((end - have + WEB_PAGE - 1) / WEB_PAGE)) == (size_t)-1)
        return NULL;
    b = (web_block *)web_top;
    b->size = need;
    web_top = block_end(b);
    return (unsigned char *)b + WEB_HEADER;
}

static void *web_malloc(size_t size)
{
    web_block **link, *b;
    size_t need;
    if (size > 0x7fffffffu) return NULL;
    need = size ? (size + WEB_ALIGN - 1) & ~(size_t)(WEB_ALIGN - 1) : WEB_ALIGN;
    for (link = &web_free_list; (b = *link) != NULL; link = &b->next) {
        if (b->size < need) continue;
        if (b->size >= need + WEB_HEADER + WEB_ALIGN) {
            web_block *rest = (web_block *)((unsigned char *)b + WEB_HEADER + need);
            rest->size = b->size - need - WEB_HEADER;
            rest->next = b->next;
            *link = rest;
            b->size = need;
        } else {
            *link = b->next;
        }
        return (unsigned char *)b + WEB_HEADER;
    }
    return web_grow(need);
}

/* Lowers the top past free blocks that end there, so that a big block freed last is memory a
   bigger request can take again. */
static void web_lower_top(void)
{
    for (;;) {
        web_block **link = &web_free_list, *last = NULL, **last_link = NULL;
        for (; *link; link = &(*link)->next) {
            last = *link;
            last_link = link;
        }
        if (!last || block_end(last) != web_top) return;
        *last_link = NULL;
        web_top = (unsigned char *)last;
    }
}

static void web_free(void *ptr)
{
    web_block *b, **link, *prev = NULL;
    if (!ptr) return;
    b = (web_block *)((unsigned char *)ptr - WEB_HEADER);
    if (block_end(b) == web_top) {
        web_top = (unsigned char *)b;
        web_lower_top();
        return;
    }
    for (link = &web_free_list; *link && *link < b; link = &(*link)->next) prev = *link;
    b->next = *link;
    *link = b;
    if (b->next && block_end(b) == (unsigned char *)b->next) {
        b->size += WEB_HEADER + b->next->size;
        b->next = b->next->next;
    }
    if (prev && block_end(prev) == (unsigned char *)b) {
        prev->size += WEB_HEADER + b->size;
        prev->next = b->next;
    }
}

/* ---- What the conversion made, as JSON for the page ---- */

typedef struct web_json {
    char *p;
    size_t len, cap;
    int failed;
} web_json;

static void json_bytes(web_json *j, const char *s, size_t n)
{
    if (j->failed) return;
    if (n > j->cap - j->len) {
        size_t cap = j->cap * 2 + n + 256;
        char *bigger = (char *)web_malloc(cap);
        if (!bigger || cap < n) {
            j->failed = 1;
            return;
        }
        if (j->len) memcpy(bigger, j->p, j->len);
        web_free(j->p);
        j->p = bigger;
        j->cap = cap;
    }
    memcpy(j->p + j->len, s, n);
    j->len += n;
}

static void json_raw(web_json *j, const char *s)
{
    json_bytes(j, s, strlen(s));
}

static void json_unsigned(web_json *j, unsigned long long v)
{
    char digits[24];
    size_t n = sizeof digits;
    do digits[--n] = (char)('0' + (int)(v % 10u)); while ((v /= 10u) != 0);
    json_bytes(j, digits + n, sizeof digits - n);
}

static void json_signed(web_json *j, long long v)
{
    if (v < 0) {
        json_raw(j, "-");
        json_unsigned(j, 0ull - (unsigned long long)v);
    } else {
        json_unsigned(j, (unsigned long long)v);
    }
}

/* A JSON string, or null. The converter's names are UTF-8 already; quotes, backslashes and
   control characters are escaped. */
static void json_string(web_json *j, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    if (!s) {
        json_raw(j, "null");
        return;
    }
    json_raw(j, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            json_bytes(j, e, 2);
        } else if (c < 0x20) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            json_bytes(j, e, 6);
        } else {
            json_bytes(j, (const char *)&c, 1);
        }
    }
    json_raw(j, "\"");
}

/* Appends fmt, where %s is a JSON string (or null for NULL), %u an unsigned long long and %d a
   long long (cast every argument to those types). */
static void json_fmt(web_json *j, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    while (*fmt) {
        size_t n = 0;
        while (fmt[n] && fmt[n] != '%') n++;
        json_bytes(j, fmt, n);
        fmt += n;
        if (!*fmt) break;
        if (fmt[1] == 's') json_string(j, va_arg(ap, const char *));
        else if (fmt[1] == 'u') json_unsigned(j, va_arg(ap, unsigned long long));
        else if (fmt[1] == 'd') json_signed(j, va_arg(ap, long long));
        fmt += 2;
    }
    va_end(ap);
}

static void json_tensor(web_json *j, const k2onnx_tensor_info *t)
{
    size_t d;
    json_fmt(j, "{\"name\":%s,\"dtype\":%s,\"dims\":[", t->name, t->dtype);
    for (d = 0; d < t->rank; d++) json_fmt(j, d ? ",%d" : "%d", (long long)t->dims[d]);
    json_fmt(j, "],\"dim_params\":[");
    for (d = 0; d < t->rank; d++) json_fmt(j, d ? ",%s" : "%s", t->dim_params ? t->dim_params[d] : NULL);
    json_fmt(j, "]}");
}

/* `what` writes element i of `items` (an array of `size`-byte elements) as JSON. */
static void json_array(web_json *j, const void *items, size_t n, size_t size, void (*what)(web_json *, const void *))
{
    size_t i;
    json_fmt(j, "[");
    for (i = 0; i < n; i++) {
        if (i) json_fmt(j, ",");
        what(j, (const unsigned char *)items + i * size);
    }
    json_fmt(j, "]");
}

static void json_tensor_item(web_json *j, const void *item)
{
    json_tensor(j, (const k2onnx_tensor_info *)item);
}

static void json_string_item(web_json *j, const void *item)
{
    json_string(j, *(const char *const *)item);
}

static void json_node_item(web_json *j, const void *item)
{
    const k2onnx_node_info *n = (const k2onnx_node_info *)item;
    json_fmt(j, "{\"op\":%s,\"name\":%s,\"inputs\":", n->op, n->name);
    json_array(j, n->inputs, n->ninputs, sizeof *n->inputs, json_string_item);
    json_fmt(j, ",\"outputs\":");
    json_array(j, n->outputs, n->noutputs, sizeof *n->outputs, json_string_item);
    json_fmt(j, ",\"body_nodes\":%u}", (unsigned long long)n->body_nodes);
}

static void json_layer_item(web_json *j, const void *item)
{
    const k2onnx_layer_info *L = (const k2onnx_layer_info *)item;
    json_fmt(j, "{\"name\":%s,\"cls\":%s,\"call\":%u,\"ncalls\":%u,\"params\":%u,\"outputs\":", L->name, L->cls,
             (unsigned long long)L->call, (unsigned long long)L->ncalls, L->params);
    json_array(j, L->outputs, L->noutputs, sizeof *L->outputs, json_tensor_item);
    json_fmt(j, ",\"nodes\":");
    json_array(j, L->nodes, L->nnodes, sizeof *L->nodes, json_node_item);
    json_fmt(j, "}");
}

static void json_model(web_json *j, const k2onnx_model_info *info)
{
    json_fmt(j, "{\"name\":%s,\"opset\":%d,\"ir_version\":%d,\"nnodes\":%u,\"ninitializers\":%u,\"initializer_bytes\":%u,\"inputs\":",
             info->name, (long long)info->opset, info->ir_version, (unsigned long long)info->nnodes,
             (unsigned long long)info->ninitializers, info->initializer_bytes);
    json_array(j, info->inputs, info->ninputs, sizeof *info->inputs, json_tensor_item);
    json_fmt(j, ",\"outputs\":");
    json_array(j, info->outputs, info->noutputs, sizeof *info->outputs, json_tensor_item);
    json_fmt(j, ",\"layers\":");
    json_array(j, info->layers, info->nlayers, sizeof *info->layers, json_layer_item);
    json_fmt(j, "}");
}

static int describe_to_page(void *user, const k2onnx_model_info *info)
{
    web_json j = {NULL, 0, 0, 0};
    int failed;
    (void)user;
    json_model(&j, info);
    if (!j.failed) web_model_info(j.p, j.len);
    failed = j.failed;
    web_free(j.p);
    return failed;
}

/* ---- The calls the page makes ---- */

static int write_to_page(void *user, const void *data, size_t size)
{
    (void)user;
    web_onnx_bytes(data, size);
    return 0;
}

static void warn_page(void *user, const char *message)
{
    (void)user;
    web_warning(message, strlen(message));
}

WEB_EXPORT("alloc") void *web_export_alloc(size_t size)
{
    return web_malloc(size);
}

WEB_EXPORT("release") void web_export_release(void *ptr)
{
    web_free(ptr);
}

WEB_EXPORT("error_size") size_t web_error_size(void)
{
    return sizeof(k2onnx_error);
}

WEB_EXPORT("error_message_offset") size_t web_error_message_offset(void)
{
    return offsetof(k2onnx_error, message);
}

/* "FROM=TO" lines (split at the first '='), edited in place into the rename list; returns
   cap + 1 when there are more. */
static size_t parse_renames(char *text, k2onnx_rename *out, size_t cap)
{
    size_t n = 0;
    while (text && *text) {
        char *line = text, *eq;
        text = strchr(text, '\n');
        if (text) *text++ = '\0';
        if (!*line) continue;
        if (n == cap) return cap + 1;
        eq = strchr(line, '=');
        out[n].from = line;
        out[n].to = "";
        if (eq) {
            *eq = '\0';
            out[n].to = eq + 1;
        }
        n++;
    }
    return n;
}

#define WEB_MAX_RENAMES 256u

/* recurrent_form: 0 fused RNN/GRU/LSTM ops, 1 Scan loops, 2 unrolled. `renames` is NULL or
   "FROM=TO" lines; `source_name` is the file's name for the metadata. Returns a k2onnx_result;
   `error` (error_size() bytes) receives the message. */
WEB_EXPORT("convert")
int web_convert(const void *data, size_t size, int opset, int recurrent_form, int state_io, size_t batch, size_t steps,
                const char *source_name, char *renames, int describe, k2onnx_error *error)
{
    k2onnx_options o;
    k2onnx_rename *list = NULL;
    k2onnx_result r;
    memset(&o, 0, sizeof o);
    o.opset = opset;
    o.scan_rnn = recurrent_form == 1;
    o.unroll = recurrent_form == 2;
    o.state_io = state_io;
    o.batch = batch;
    o.steps = steps;
    o.source_name = source_name;
    o.warn = warn_page;
    if (describe) o.describe = describe_to_page;
    if (renames && *renames) {
        list = (k2onnx_rename *)web_malloc(WEB_MAX_RENAMES * sizeof *list);
        if (!list) {
            error->result = k2onnx_result_out_of_memory;
            memcpy(error->message, "out of memory", 14);
            return (int)error->result;
        }
        o.renames = list;
        o.renames_count = parse_renames(renames, list, WEB_MAX_RENAMES);
        if (o.renames_count > WEB_MAX_RENAMES) {
            web_free(list);
            error->result = k2onnx_result_invalid_argument;
            memcpy(error->message, "at most 256 renames", 20);
            return (int)error->result;
        }
    }
    r = k2onnx_convert(data, size, &o, write_to_page, NULL, NULL, error);
    web_free(list);
    return (int)r;
}
