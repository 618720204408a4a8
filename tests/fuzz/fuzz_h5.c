/* fuzz_h5.c - libFuzzer target for the HDF5 reader alone.

   The input is an HDF5 file (or a .keras archive, whose model.weights.h5 the public calls
   open). k2onnx_h5_list walks it; the paths of the first 256 datasets and attributes are kept
   and each is then read with k2onnx_h5_read, every value handed over being touched.

   Newer HDF5 structures end in a Jenkins lookup3 checksum, which a mutation almost always
   breaks, so the reader would refuse nearly every mutant of a libver-latest file at the
   checksum. The target therefore also runs a copy of the input in which the checksums of the
   structures whose length can be told from their own first bytes (superblock v2/v3, OHDR, BTHD,
   FRHP, FAHD, EAHD) are recomputed, when that changes any byte. A crash found that way is
   reproduced by the fixed copy, which the replay main() makes the same way. */
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define K2ONNX_IMPLEMENTATION
#include "../../k2onnx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_H5_MAX_PATHS 256
#define FUZZ_MAX_MEMORY ((size_t)256 << 20)

typedef struct fuzz_h5_paths {
    char *path[FUZZ_H5_MAX_PATHS];
    size_t n;
    unsigned long checksum;
} fuzz_h5_paths;

static void fuzz_touch(unsigned long *sum, const char *s, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++) *sum = *sum * 31u + (unsigned char)s[i];
}

static int fuzz_h5_entry(void *user, const k2onnx_h5_entry *e)
{
    fuzz_h5_paths *p = (fuzz_h5_paths *)user;
    size_t len = strlen(e->path);
    /* Every string of the entry must be readable and terminated. */
    fuzz_touch(&p->checksum, e->path, len);
    fuzz_touch(&p->checksum, e->kind_name, strlen(e->kind_name));
    fuzz_touch(&p->checksum, e->dtype, strlen(e->dtype));
    fuzz_touch(&p->checksum, e->shape, strlen(e->shape));
    if ((e->kind == k2onnx_h5_dataset || e->kind == k2onnx_h5_attribute) && p->n < FUZZ_H5_MAX_PATHS) {
        char *copy = (char *)malloc(len + 1);
        if (copy) {
            memcpy(copy, e->path, len + 1);
            p->path[p->n++] = copy;
        }
    }
    return 0;
}

static int fuzz_h5_value(void *user, const k2onnx_h5_value *v)
{
    fuzz_h5_paths *p = (fuzz_h5_paths *)user;
    switch (v->kind) {
    case k2onnx_value_int: p->checksum += (unsigned long)v->i; break;
    case k2onnx_value_uint: p->checksum += (unsigned long)v->u; break;
    case k2onnx_value_float: p->checksum += (unsigned long)(v->f == v->f); break;
    case k2onnx_value_string: fuzz_touch(&p->checksum, v->s, v->len); break;
    }
    p->checksum += v->bits;
    return 0;
}

/* Writes the checksum of the `len`-byte structure at `pos` (checksum included) if it fits. */
static int fuzz_fix_checksum(unsigned char *buf, size_t size, size_t pos, uint64_t len)
{
    uint32_t sum;
    size_t at;
    if (len < 8 || pos > size || len > size - pos) return 0;
    at = pos + (size_t)len - 4;
    sum = k2onnx__lookup3(buf + pos, (size_t)len - 4);
    if ((uint32_t)k2onnx__le(buf + at, 4) == sum) return 0;
    k2onnx__store_le32(buf + at, sum);
    return 1;
}

/* Recomputes the checksums described above; returns non-zero if a byte changed. */
static int fuzz_fix_checksums(unsigned char *buf, size_t size)
{
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    uint64_t so = 8, sl = 8;
    size_t at;
    int changed = 0;
    for (at = 0; at + 16 <= size; at = at ? at * 2 : 512) {
        if (memcmp(buf + at, sig, 8) != 0) continue;
        if (buf[at + 8] <= 1) {
            so = buf[at + 13];
            sl = buf[at + 14];
        } else if (buf[at + 8] <= 3) {
            so = buf[at + 9];
            sl = buf[at + 10];
            changed |= fuzz_fix_checksum(buf, size, at, 12 + 4 * so + 4);
        }
        break;
    }
    if (!(so == 2 || so == 4 || so == 8) || !(sl == 2 || sl == 4 || sl == 8)) return changed;
    for (at = 0; at + 16 <= size; at++) {
        const unsigned char *p = buf + at;
        if (memcmp(p, "OHDR", 4) == 0 && p[4] == 2) {
            unsigned flags = p[5], width = 1u << (flags & 3u);
            size_t pre = 6 + ((flags & 0x20u) ? 16 : 0) + ((flags & 0x10u) ? 4 : 0);
            if (pre + width <= size - at)
                changed |= fuzz_fix_checksum(buf, size, at, pre + width + k2onnx__le(p + pre, width) + 4);
        } else if (memcmp(p, "BTHD", 4) == 0) {
            changed |= fuzz_fix_checksum(buf, size, at, 16 + so + 2 + sl + 4);
        } else if (memcmp(p, "FAHD", 4) == 0) {
            changed |= fuzz_fix_checksum(buf, size, at, 8 + sl + so + 4);
        } else if (memcmp(p, "EAHD", 4) == 0) {
            changed |= fuzz_fix_checksum(buf, size, at, 12 + 6 * sl + so + 4);
        } else if (memcmp(p, "FRHP", 4) == 0) {
            uint64_t filter_len = k2onnx__le(p + 7, 2);
            changed |= fuzz_fix_checksum(buf, size, at, 14 + 12 * sl + 3 * so + 8 + (filter_len ? sl + 4 + filter_len : 0) + 4);
        }
    }
    return changed;
}

static void fuzz_h5_run(const uint8_t *data, size_t size, unsigned long *checksum)
{
    fuzz_h5_paths p;
    k2onnx_options opts;
    k2onnx_error err;
    size_t i;
    memset(&p, 0, sizeof p);
    memset(&opts, 0, sizeof opts);
    opts.max_memory = FUZZ_MAX_MEMORY;
    k2onnx_h5_list(data, size, &opts, fuzz_h5_entry, &p, &err);
    fuzz_touch(&p.checksum, err.message, strlen(err.message));
    for (i = 0; i < p.n; i++) {
        k2onnx_h5_read(data, size, p.path[i], &opts, fuzz_h5_value, &p, &err);
        fuzz_touch(&p.checksum, err.message, strlen(err.message));
        free(p.path[i]);
    }
    *checksum += p.checksum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static volatile unsigned long sink;
    unsigned long checksum = 0;
    unsigned char *fixed;
    fuzz_h5_run(data, size, &checksum);
    /* An exact-size copy keeps reads past the end visible to AddressSanitizer. */
    fixed = (unsigned char *)malloc(size ? size : 1);
    if (fixed) {
        if (size) memcpy(fixed, data, size);
        if (fuzz_fix_checksums(fixed, size)) fuzz_h5_run(fixed, size, &checksum);
        free(fixed);
    }
    sink = checksum;
    (void)sink;
    return 0;
}

#include "fuzz_main.h"
