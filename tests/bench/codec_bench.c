/* Speed of k2onnx's checksums and inflater (`make bench`), next to zlib's (tests/bench/zlib_bench.py).
 *
 *   codec_bench DATA [ZLIB_STREAM]
 *
 * DATA: any file; CRC-32, Adler-32 and Fletcher-32 run over its bytes. ZLIB_STREAM: DATA
 * compressed by zlib; it is inflated into a buffer of DATA's size and compared with DATA. Each
 * figure is the best of several timed rounds of at least 0.2 s, in MB/s (10^6 bytes of DATA per
 * second). */
#define _POSIX_C_SOURCE 200112L /* clock_gettime */
#define K2ONNX_IMPLEMENTATION
#include "../../k2onnx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned char *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    long len;
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = (unsigned char *)malloc((size_t)len + 1);
        if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
            free(buf);
            buf = NULL;
        }
        *n = (size_t)len;
    }
    fclose(f);
    return buf;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

enum { CRC32, ADLER32, FLETCHER32, INFLATE };

typedef struct job {
    int kind;
    const unsigned char *data, *z;
    size_t n, zn;
    unsigned char *out;
    uint32_t *crc_tables;
    k2onnx__inflate_tables *tables;
    uint32_t sink;
} job;

static int run_once(job *j)
{
    const char *err = NULL;
    switch (j->kind) {
    case CRC32: j->sink ^= k2onnx__crc32(j->crc_tables, 1, j->data, j->n); return 1;
    case ADLER32: j->sink ^= k2onnx__adler32(j->data, j->n); return 1;
    case FLETCHER32: j->sink ^= k2onnx__fletcher32(j->data, j->n); return 1;
    default:
        if (k2onnx__zlib_inflate(j->tables, j->z, j->zn, j->out, j->n, &err) != j->n || err) return 0;
        return 1;
    }
}

/* Best MB/s of 5 rounds, each repeating the job for at least 0.2 s. */
static double mb_per_s(job *j)
{
    double best = 0;
    int round;
    for (round = 0; round < 5; round++) {
        double t0 = now_s(), t;
        size_t reps = 0;
        do {
            if (!run_once(j)) return -1;
            reps++;
            t = now_s() - t0;
        } while (t < 0.2);
        if ((double)j->n * (double)reps / t / 1e6 > best) best = (double)j->n * (double)reps / t / 1e6;
    }
    return best;
}

int main(int argc, char **argv)
{
    static const char *names[] = {"crc32", "adler32", "fletcher32", "inflate"};
    static k2onnx__inflate_tables tables;
    k2onnx__ctx ctx;
    job j;
    int kind;
    if (argc < 2) {
        fprintf(stderr, "usage: codec_bench DATA [ZLIB_STREAM]\n");
        return 2;
    }
    memset(&j, 0, sizeof j);
    k2onnx__ctx_init(&ctx, "", 0, NULL, NULL);
    j.data = read_all(argv[1], &j.n);
    if (!j.data) return fprintf(stderr, "cannot read %s\n", argv[1]), 1;
    if (argc > 2 && !(j.z = read_all(argv[2], &j.zn))) return fprintf(stderr, "cannot read %s\n", argv[2]), 1;
    j.crc_tables = k2onnx__crc32_tables(&ctx, 1);
    j.tables = &tables;
    j.out = (unsigned char *)malloc(j.n + 1);
    if (!j.crc_tables || !j.out) return fprintf(stderr, "out of memory\n"), 1;
    for (kind = CRC32; kind <= INFLATE; kind++) {
        double r;
        if (kind == INFLATE && !j.z) break;
        j.kind = kind;
        r = mb_per_s(&j);
        if (r < 0) return fprintf(stderr, "inflate failed\n"), 1;
        if (kind == INFLATE && memcmp(j.out, j.data, j.n) != 0) return fprintf(stderr, "inflate differs from DATA\n"), 1;
        printf("%s %.0f\n", names[kind], r);
    }
    k2onnx__free_all(&ctx);
    return 0;
}
