/* sweep.c - deterministic mutation sweep of the k2onnx readers.

   sweep [options] FILE|DIR ...

   Every input file (a directory contributes its *.h5 and *.keras files of at most --max-size
   bytes) is mutated four ways, each mutated copy held in a buffer of exactly its own size:
     truncations  every length 0 .. size-1
     cuts         HDF5 only: every length from the end of the superblock to size-1, with the
                  superblock's end-of-file address set to "undefined" (and a v2/v3 superblock's
                  checksum recomputed) so that the reader cannot refuse the file up front and has
                  to meet the missing bytes wherever they were
     flips        --flips single bit flips (default 200), half of them in the first 4 KiB
     overwrites   --overwrites overwrites of 1, 2, 4 or 8 bytes (little-endian) with interesting
                  values: 0, 1, 0x7f.., 0x80.., 0xff.., the file size, small and random numbers
                  (default 200)
   In a .keras (ZIP) file a flip or overwrite inside a stored member also fixes that member's
   CRC-32, so the JSON parser and the HDF5 reader see the damage instead of the CRC check.
   Positions and values come from a splitmix64 generator seeded with the file's base name and the
   case number, so every case can be rebuilt on its own (see --only).

   Each mutated buffer goes through k2onnx_convert (a writer that counts and discards the bytes)
   and, when the intact file lists, k2onnx_h5_list and k2onnx_h5_read of the first few datasets
   and attributes that the intact file lists. A case is clean when every call
     - returns a result inside the enum, and error.result agrees with it;
     - on failure leaves a non-empty message, NUL-terminated inside the 512-byte buffer, without
       control characters;
     - on a successful conversion reports a nonzero size equal to the bytes written;
     - frees every block it allocated (counted through options.allocator);
     - hands over warnings, entries and values that are well formed;
     - takes at most --case-seconds of CPU time (clock()).
   Each file runs in a child process (its cases run in that process, one after the other): a
   crash or a sanitizer report ends the child, the parent names the case from a shared page and
   goes on with the file's next mutation kind. A case still running after --hang-seconds is
   ended by SIGALRM and reported as a hang.

   Output: `FAIL ...` lines naming file and case, one line per file
   `FILE: T truncations, C cuts, F flips, O overwrites: all clean`, a `sweep: ...` total and last
   `N passed, M failed`, counting one test per file and mutation kind that has cases. Exit status
   1 if anything failed, 2 on a usage error.

   Options:
     --flips N  --overwrites N  --max-size BYTES (directories only; default 12288)
     --case-seconds S (default 2)  --hang-seconds S (default 60)  --max-memory MIB (default 256)
     --reads N      datasets/attributes read per case (default 4)
     --no-fork      run everything in this process (for a debugger)
     --only KIND:I  run one case (KIND trunc, cut, flip or over; I its number), print its outcome
     --save FILE    with --only: also write the mutated bytes to FILE
*/
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE 1
#define K2ONNX_IMPLEMENTATION
#include "../k2onnx.h"

#include <dirent.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if !defined(MAP_ANONYMOUS) && defined(MAP_ANON)
#define MAP_ANONYMOUS MAP_ANON
#endif

enum { KIND_TRUNC, KIND_CUT, KIND_FLIP, KIND_OVER, KIND_COUNT };
static const char *const kind_tag[KIND_COUNT] = {"trunc", "cut", "flip", "over"};
static const char *const kind_plural[KIND_COUNT] = {"truncations", "cuts", "flips", "overwrites"};

#define MAX_READS 16
#define MAX_MEMBERS 16
#define MAX_FAIL_LINES 5
#define MAX_CRASHES 3   /* crashes of one kind in one file before the rest of the kind is skipped */

typedef struct config {
    unsigned long flips, overwrites;
    unsigned long max_size;
    double case_seconds;
    unsigned hang_seconds;
    size_t max_memory;
    int reads;
    int no_fork;
    int only_kind;
    unsigned long only_index;
    const char *save;
    const char *self;      /* argv[0], for the reproduce lines */
} config;

/* Progress of the child, readable by the parent after a crash. */
typedef struct shared {
    int kind;                          /* kind of the case being run, -1 between cases */
    unsigned long index;               /* its number */
    int finished[KIND_COUNT];          /* the child completed this kind */
    unsigned long cases[KIND_COUNT];   /* cases run (including one that crashed) */
    unsigned long failed[KIND_COUNT];  /* cases found unclean */
} shared;

/* A stored ZIP member: its data and the two places that hold its CRC-32. */
typedef struct zmember {
    size_t start, len, local_crc, central_crc;
} zmember;

/* One input file and what the mutations need to know about it. */
typedef struct subject {
    const char *path;
    const unsigned char *orig;
    size_t size;
    unsigned long long seed;
    /* HDF5 superblock at the start of the file (for cuts) */
    int has_sb;
    size_t sb_at, sb_end, eof_pos, sum_pos;  /* sum_pos: v2/v3 checksum, 0 for v0/v1 */
    unsigned so;
    /* stored ZIP members (for CRC fix-ups) */
    zmember members[MAX_MEMBERS];
    int nmembers;
    /* which calls to make */
    int lists;                  /* the intact file lists: list and read too */
    char *reads[MAX_READS];     /* dataset / attribute paths to read */
    int nreads;
} subject;

typedef struct mutation {
    int kind;
    unsigned long index;
    size_t len;                /* truncation / cut: the new length */
    size_t pos;                /* flip / overwrite: first byte */
    unsigned width;            /* overwrite: 1, 2, 4 or 8 bytes */
    unsigned bit;              /* flip: bit number */
    unsigned long long value;  /* overwrite: little-endian value */
    int crc_fixed;             /* ZIP: the member's CRC-32 was recomputed */
} mutation;

/* ---- deterministic random numbers and the checksums of the formats ---- */

static unsigned long long splitmix64(unsigned long long *s)
{
    unsigned long long z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static unsigned long long name_seed(const char *path)
{
    const char *base = strrchr(path, '/');
    unsigned long long h = 0xcbf29ce484222325ULL; /* FNV-1a of the base name */
    base = base ? base + 1 : path;
    for (; *base; base++) h = (h ^ (unsigned char)*base) * 0x100000001b3ULL;
    return h;
}

static unsigned long get_le(const unsigned char *p, unsigned n)
{
    unsigned long v = 0;
    while (n--) v = (v << 8) | p[n];
    return v;
}

static void put_le(unsigned char *p, unsigned long long v, unsigned n)
{
    unsigned i;
    for (i = 0; i < n; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* Bob Jenkins' lookup3 hashlittle with initval 0: the HDF5 metadata checksum. */
static unsigned long lookup3(const unsigned char *k, size_t length)
{
#define ROT(x, r) ((((x) << (r)) | ((x) >> (32 - (r)))) & 0xffffffffUL)
    unsigned long a, b, c;
    unsigned char w[12];
    a = b = c = (0xdeadbeefUL + (unsigned long)length) & 0xffffffffUL;
    for (; length > 12; length -= 12, k += 12) {
        a = (a + get_le(k, 4)) & 0xffffffffUL;
        b = (b + get_le(k + 4, 4)) & 0xffffffffUL;
        c = (c + get_le(k + 8, 4)) & 0xffffffffUL;
        a = (a - c) & 0xffffffffUL; a ^= ROT(c, 4);  c = (c + b) & 0xffffffffUL;
        b = (b - a) & 0xffffffffUL; b ^= ROT(a, 6);  a = (a + c) & 0xffffffffUL;
        c = (c - b) & 0xffffffffUL; c ^= ROT(b, 8);  b = (b + a) & 0xffffffffUL;
        a = (a - c) & 0xffffffffUL; a ^= ROT(c, 16); c = (c + b) & 0xffffffffUL;
        b = (b - a) & 0xffffffffUL; b ^= ROT(a, 19); a = (a + c) & 0xffffffffUL;
        c = (c - b) & 0xffffffffUL; c ^= ROT(b, 4);  b = (b + a) & 0xffffffffUL;
    }
    if (length == 0) return c;
    memset(w, 0, sizeof w);
    memcpy(w, k, length);
    a = (a + get_le(w, 4)) & 0xffffffffUL;
    b = (b + get_le(w + 4, 4)) & 0xffffffffUL;
    c = (c + get_le(w + 8, 4)) & 0xffffffffUL;
    c ^= b; c = (c - ROT(b, 14)) & 0xffffffffUL;
    a ^= c; a = (a - ROT(c, 11)) & 0xffffffffUL;
    b ^= a; b = (b - ROT(a, 25)) & 0xffffffffUL;
    c ^= b; c = (c - ROT(b, 16)) & 0xffffffffUL;
    a ^= c; a = (a - ROT(c, 4)) & 0xffffffffUL;
    b ^= a; b = (b - ROT(a, 14)) & 0xffffffffUL;
    c ^= b; c = (c - ROT(b, 24)) & 0xffffffffUL;
    return c;
#undef ROT
}

static unsigned long crc32(const unsigned char *p, size_t n)
{
    unsigned long c = 0xffffffffUL;
    size_t i;
    int k;
    for (i = 0; i < n; i++) {
        c ^= p[i];
        for (k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320UL & (0UL - (c & 1)));
    }
    return c ^ 0xffffffffUL;
}

/* Finds the HDF5 superblock (after a user block of 0, 512, 1024, ... bytes) and where its
   end-of-file address and checksum sit. */
static void find_superblock(subject *s)
{
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    const unsigned char *p = s->orig;
    size_t at = 0;
    unsigned version;
    s->has_sb = 0;
    for (;;) {
        if (at + 8 > s->size) return;
        if (memcmp(p + at, sig, 8) == 0) break;
        at = at ? at * 2 : 512;
    }
    if (at + 16 > s->size) return;
    version = p[at + 8];
    if (version <= 1) {
        s->so = p[at + 13];
        s->eof_pos = at + (version == 1 ? 28 : 24) + 2 * (size_t)s->so;
        s->sb_end = s->eof_pos + 4 * (size_t)s->so + 24; /* EOF, driver info, root group symbol table entry */
        s->sum_pos = 0;
    } else if (version <= 3) {
        s->so = p[at + 9];
        s->eof_pos = at + 12 + 2 * (size_t)s->so;
        s->sum_pos = at + 12 + 4 * (size_t)s->so;
        s->sb_end = s->sum_pos + 4;
    } else {
        return;
    }
    if (!(s->so == 2 || s->so == 4 || s->so == 8) || s->sb_end > s->size) return;
    s->sb_at = at;
    s->has_sb = 1;
}

/* Lists the stored members of a ZIP archive from its central directory. */
static void find_members(subject *s)
{
    const unsigned char *p = s->orig;
    size_t n = s->size, at, eocd = 0, cd, count, i;
    int found = 0;
    s->nmembers = 0;
    if (n < 22 || get_le(p, 4) != 0x04034b50UL) return;
    for (at = n - 22 + 1; at-- > 0 && n - at <= 22u + 65535u;)
        if (get_le(p + at, 4) == 0x06054b50UL) {
            eocd = at;
            found = 1;
            break;
        }
    if (!found) return;
    count = get_le(p + eocd + 10, 2);
    cd = get_le(p + eocd + 16, 4);
    for (i = 0, at = cd; i < count && at + 46 <= n && get_le(p + at, 4) == 0x02014b50UL; i++) {
        size_t name = get_le(p + at + 28, 2), extra = get_le(p + at + 30, 2), comment = get_le(p + at + 32, 2);
        size_t local = get_le(p + at + 42, 4), csize = get_le(p + at + 20, 4);
        if (get_le(p + at + 10, 2) == 0 && local + 30 <= n && get_le(p + local, 4) == 0x04034b50UL && s->nmembers < MAX_MEMBERS) {
            zmember *m = &s->members[s->nmembers];
            m->start = local + 30 + get_le(p + local + 26, 2) + get_le(p + local + 28, 2);
            m->len = csize;
            m->local_crc = local + 14;
            m->central_crc = at + 16;
            if (m->start + m->len <= n) s->nmembers++;
        }
        at += 46 + name + extra + comment;
    }
}

/* ---- mutations ---- */

static unsigned long kind_count(int kind, const subject *s, const config *cfg)
{
    if (s->size == 0) return 0;
    switch (kind) {
    case KIND_TRUNC: return (unsigned long)s->size;
    case KIND_CUT: return s->has_sb && s->size > s->sb_end ? (unsigned long)(s->size - s->sb_end) : 0;
    case KIND_FLIP: return cfg->flips;
    default: return cfg->overwrites;
    }
}

static void make_mutation(int kind, unsigned long index, const subject *sub, mutation *m)
{
    unsigned long long s = sub->seed ^ ((unsigned long long)(kind + 1) << 56) ^ (unsigned long long)index * 0xd1342543de82ef95ULL;
    unsigned long long r;
    size_t size = sub->size;
    memset(m, 0, sizeof *m);
    m->kind = kind;
    m->index = index;
    splitmix64(&s);
    if (kind == KIND_TRUNC) {
        m->len = (size_t)index;
        return;
    }
    if (kind == KIND_CUT) {
        m->len = sub->sb_end + (size_t)index;
        return;
    }
    if (kind == KIND_FLIP) {
        r = splitmix64(&s);
        /* half of the flips land in the first 4 KiB, where the superblock, the root group and the
           first headers of an archive live; the rest anywhere */
        if ((r & 1) && size > 4096) m->pos = (size_t)(splitmix64(&s) % 4096);
        else m->pos = (size_t)(splitmix64(&s) % size);
        m->bit = (unsigned)(splitmix64(&s) % 8);
    } else {
        static const unsigned widths[4] = {1, 2, 4, 8};
        unsigned long long rnd, v[10];
        unsigned w;
        r = splitmix64(&s);
        w = widths[r % 4];
        while (w > size) w >>= 1;
        m->width = w;
        m->pos = (size_t)(splitmix64(&s) % (size - w + 1));
        rnd = splitmix64(&s);
        r = splitmix64(&s);
        switch (w) {
        case 1:
            v[0] = 0x00; v[1] = 0xff; v[2] = 0x7f; v[3] = 0x80; v[4] = 0x01; v[5] = 0xfe; v[6] = v[7] = rnd & 0xff;
            m->value = v[r % 8];
            break;
        case 2:
            v[0] = 0; v[1] = 0xffff; v[2] = 0x7fff; v[3] = 0x8000; v[4] = 1; v[5] = rnd & 0xffff;
            m->value = v[r % 6];
            break;
        case 4:
            v[0] = 0; v[1] = 1; v[2] = 0xffffffffULL; v[3] = 0x7fffffffULL; v[4] = 0x80000000ULL;
            v[5] = 0xfffffffeULL; v[6] = size & 0xffffffffULL; v[7] = (size + 1) & 0xffffffffULL;
            v[8] = rnd % 64; v[9] = rnd & 0xffffffffULL;
            m->value = v[r % 10];
            break;
        default:
            v[0] = 0; v[1] = 1; v[2] = ~0ULL; v[3] = 0x7fffffffffffffffULL; v[4] = 0x8000000000000000ULL;
            v[5] = 0x100000000ULL; v[6] = size; v[7] = size - 1; v[8] = rnd % 64; v[9] = rnd;
            m->value = v[r % 10];
            break;
        }
    }
    {
        /* inside a stored ZIP member: fix its CRC-32 (unless the change touches a CRC field) */
        int i;
        size_t end = m->pos + (m->kind == KIND_FLIP ? 1 : m->width);
        for (i = 0; i < sub->nmembers; i++) {
            const zmember *z = &sub->members[i];
            if (m->pos >= z->start && end <= z->start + z->len) m->crc_fixed = 1;
        }
    }
}

static void describe(const mutation *m, char *out, size_t cap)
{
    const char *crc = m->crc_fixed ? ", member CRC fixed" : "";
    if (m->kind == KIND_TRUNC)
        snprintf(out, cap, "trunc:%lu (truncated to %lu bytes)", m->index, (unsigned long)m->len);
    else if (m->kind == KIND_CUT)
        snprintf(out, cap, "cut:%lu (truncated to %lu bytes, end-of-file address undefined)", m->index, (unsigned long)m->len);
    else if (m->kind == KIND_FLIP)
        snprintf(out, cap, "flip:%lu (byte %lu bit %u%s)", m->index, (unsigned long)m->pos, m->bit, crc);
    else
        snprintf(out, cap, "over:%lu (%u byte%s at %lu = 0x%llx%s)", m->index, m->width, m->width > 1 ? "s" : "", (unsigned long)m->pos,
                 m->value, crc);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "sweep: out of memory\n");
        exit(3);
    }
    return p;
}

/* Applies m. Truncations and cuts return a fresh block of exactly the new length (free it with
   free()); flips and overwrites change `work`, a copy of the intact bytes. */
static unsigned char *apply(const mutation *m, const subject *s, unsigned char *work, size_t *len)
{
    if (m->kind == KIND_TRUNC || m->kind == KIND_CUT) {
        unsigned char *b = (unsigned char *)xmalloc(m->len);
        memcpy(b, s->orig, m->len);
        *len = m->len;
        if (m->kind == KIND_CUT) {
            memset(b + s->eof_pos, 0xff, s->so);
            if (s->sum_pos) put_le(b + s->sum_pos, lookup3(b + s->sb_at, s->sum_pos - s->sb_at), 4);
        }
        return b;
    }
    *len = s->size;
    if (m->kind == KIND_FLIP) work[m->pos] ^= (unsigned char)(1u << m->bit);
    else put_le(work + m->pos, m->value, m->width);
    if (m->crc_fixed) {
        int i;
        for (i = 0; i < s->nmembers; i++) {
            const zmember *z = &s->members[i];
            if (m->pos >= z->start && m->pos < z->start + z->len) {
                unsigned long c = crc32(work + z->start, z->len);
                put_le(work + z->local_crc, c, 4);
                put_le(work + z->central_crc, c, 4);
            }
        }
    }
    return work;
}

static void restore(const mutation *m, const subject *s, unsigned char *work, unsigned char *used)
{
    if (used != work) free(used);
    else if (m->crc_fixed) memcpy(work, s->orig, s->size);
    else memcpy(work + m->pos, s->orig + m->pos, m->kind == KIND_FLIP ? 1 : m->width);
}

/* ---- checking the calls of one case ---- */

static double case_limit = 2.0; /* --case-seconds */
static char problem[1024];      /* first problem of the current case; empty while clean */
static long live_blocks;        /* blocks handed out through the allocator and not yet freed */

static void set_problem(const char *fmt, ...)
{
    va_list ap;
    if (problem[0]) return;
    va_start(ap, fmt);
    vsnprintf(problem, sizeof problem, fmt, ap);
    va_end(ap);
}

static void *count_alloc(void *user, size_t size)
{
    void *p = malloc(size ? size : 1);
    (void)user;
    if (p) live_blocks++;
    return p;
}

static void count_free(void *user, void *p)
{
    (void)user;
    if (p) {
        live_blocks--;
        free(p);
    }
}

/* The first control character of s[0..n), or -1. */
static int control_char(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f) return (unsigned char)s[i];
    return -1;
}

/* A copy of s (at most 200 bytes) with control characters as '?', to quote in one line. */
static const char *printable(const char *s, char *buf, size_t cap)
{
    size_t i;
    for (i = 0; s[i] && i + 1 < cap && i < 200; i++) buf[i] = control_char(s + i, 1) >= 0 ? '?' : s[i];
    buf[i] = '\0';
    return buf;
}

static void on_warning(void *user, const char *message)
{
    const char *call = (const char *)user;
    char q[256];
    int c;
    if (!message) set_problem("%s: warning callback got NULL", call);
    else if (!message[0]) set_problem("%s: empty warning", call);
    else if ((c = control_char(message, strlen(message))) >= 0)
        set_problem("%s: control character 0x%02x in warning '%s'", call, c, printable(message, q, sizeof q));
}

/* Checks a call's outcome; *t0 is the clock() before the call and becomes the clock() after it. */
static void check_call(const char *call, k2onnx_result r, const k2onnx_error *e, clock_t *t0)
{
    clock_t t1 = clock();
    double secs = (double)(t1 - *t0) / CLOCKS_PER_SEC;
    const char *nul;
    char q[256];
    int c;
    *t0 = t1;
    if (live_blocks != 0) set_problem("%s: %ld allocated blocks not freed", call, live_blocks);
    live_blocks = 0;
    if (secs > case_limit) set_problem("%s: took %.2f s of CPU time", call, secs);
    if ((int)r < 0 || (int)r >= (int)k2onnx_result_count_) {
        set_problem("%s: result %d is outside the enum", call, (int)r);
        return;
    }
    if (r == k2onnx_result_success) {
        if (e->result != k2onnx_result_success) set_problem("%s: returned success but error.result is %d", call, (int)e->result);
        return;
    }
    if (e->result != r) set_problem("%s: returned %d but error.result is %d", call, (int)r, (int)e->result);
    nul = (const char *)memchr(e->message, '\0', sizeof e->message);
    if (!nul) set_problem("%s: error message not NUL-terminated within %u bytes", call, (unsigned)sizeof e->message);
    else if (nul == e->message) set_problem("%s: result %d (%s) with an empty message", call, (int)r, k2onnx_result_string(r));
    else if ((c = control_char(e->message, (size_t)(nul - e->message))) >= 0)
        set_problem("%s: control character 0x%02x in message '%s'", call, c, printable(e->message, q, sizeof q));
}

typedef struct sink {
    size_t bytes;
} sink;

static int sink_write(void *user, const void *data, size_t size)
{
    sink *s = (sink *)user;
    if (size && !data) {
        set_problem("convert: writer got NULL data for %lu bytes", (unsigned long)size);
    } else if (size) {
        /* touch the first and the last byte so that a sanitizer sees a bad pointer */
        volatile unsigned char x = ((const unsigned char *)data)[0];
        x = ((const unsigned char *)data)[size - 1];
        (void)x;
    }
    s->bytes += size;
    return 0;
}

static int entry_fn(void *user, const k2onnx_h5_entry *e)
{
    (void)user;
    if (!e->path || !e->kind_name || !e->dtype || !e->shape) {
        set_problem("list: entry with a NULL field");
        return 1;
    }
    if ((int)e->kind < 0 || (int)e->kind > (int)k2onnx_h5_user_link) {
        char q[256];
        set_problem("list: entry '%s' with kind %d", printable(e->path, q, sizeof q), (int)e->kind);
        return 1;
    }
    /* read every string once */
    if (strlen(e->path) + strlen(e->kind_name) + strlen(e->dtype) + strlen(e->shape) == 0) set_problem("list: empty entry");
    return 0;
}

static int value_fn(void *user, const k2onnx_h5_value *v)
{
    (void)user;
    if ((int)v->kind < 0 || (int)v->kind > (int)k2onnx_value_string) {
        set_problem("read: value kind %d", (int)v->kind);
        return 1;
    }
    if (v->kind == k2onnx_value_string && v->len) {
        volatile unsigned char x;
        if (!v->s) {
            set_problem("read: string value of %lu bytes at NULL", (unsigned long)v->len);
            return 1;
        }
        x = (unsigned char)v->s[0];
        x = (unsigned char)v->s[v->len - 1];
        (void)x;
    }
    return 0;
}

static void init_options(k2onnx_options *o, const config *cfg, const char *call)
{
    memset(o, 0, sizeof *o);
    o->max_memory = cfg->max_memory;
    o->allocator.alloc = count_alloc;
    o->allocator.free = count_free;
    o->warn = on_warning;
    o->warn_user = (void *)call;
}

/* Makes every call on one buffer; returns 1 when clean (else `problem` says why). *converted
   (optional) tells whether the conversion succeeded. */
static int run_case(const subject *s, const unsigned char *data, size_t size, const config *cfg, int *converted)
{
    k2onnx_options o;
    k2onnx_error e;
    k2onnx_result r;
    clock_t t0;
    int i;
    problem[0] = '\0';
    live_blocks = 0;
    t0 = clock();
    {
        sink out;
        size_t n = 12345;
        out.bytes = 0;
        init_options(&o, cfg, "convert");
        memset(&e, 0x55, sizeof e);
        r = k2onnx_convert(data, size, &o, sink_write, &out, &n, &e);
        check_call("convert", r, &e, &t0);
        if (converted) *converted = r == k2onnx_result_success;
        if (r == k2onnx_result_success) {
            if (n == 0) set_problem("convert: success with output size 0");
            else if (n != out.bytes) set_problem("convert: out_size %lu but %lu bytes written", (unsigned long)n, (unsigned long)out.bytes);
        } else if (n != 0) {
            set_problem("convert: failed but out_size is %lu", (unsigned long)n);
        }
    }
    if (!s->lists) return problem[0] == '\0';
    init_options(&o, cfg, "list");
    memset(&e, 0x55, sizeof e);
    r = k2onnx_h5_list(data, size, &o, entry_fn, NULL, &e);
    check_call("list", r, &e, &t0);
    for (i = 0; i < s->nreads && i < cfg->reads; i++) {
        char call[300];
        snprintf(call, sizeof call, "read %.250s", s->reads[i]);
        init_options(&o, cfg, "read");
        memset(&e, 0x55, sizeof e);
        r = k2onnx_h5_read(data, size, s->reads[i], &o, value_fn, NULL, &e);
        check_call(call, r, &e, &t0);
    }
    return problem[0] == '\0';
}

/* ---- preparing a file ---- */

typedef struct collect {
    subject *s;
    int datasets, attributes;
} collect;

/* Keeps the first datasets and attributes of the intact file. */
static int collect_fn(void *user, const k2onnx_h5_entry *e)
{
    collect *c = (collect *)user;
    if (c->s->nreads < MAX_READS && ((e->kind == k2onnx_h5_dataset && c->datasets < MAX_READS / 2) ||
                                     (e->kind == k2onnx_h5_attribute && c->attributes < MAX_READS / 2))) {
        size_t n = strlen(e->path) + 1;
        char *p = (char *)xmalloc(n);
        memcpy(p, e->path, n);
        c->s->reads[c->s->nreads++] = p;
        if (e->kind == k2onnx_h5_dataset) c->datasets++;
        else c->attributes++;
    }
    return 0;
}

static unsigned char *load(const char *path, size_t *size)
{
    FILE *fp = fopen(path, "rb");
    unsigned char *buf;
    long n;
    if (!fp) return NULL;
    if (fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0) {
        fclose(fp);
        return NULL;
    }
    buf = (unsigned char *)xmalloc((size_t)n);
    if (fread(buf, 1, (size_t)n, fp) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(fp);
    *size = (size_t)n;
    return buf;
}

/* Loads a file and finds what its mutations and calls need; returns 0 if it cannot be read. */
static int prepare(subject *s, const char *path, const config *cfg)
{
    k2onnx_options o;
    k2onnx_error e;
    collect c;
    char *ds[MAX_READS], *at[MAX_READS];
    int nd = 0, na = 0, i, k = 0;
    memset(s, 0, sizeof *s);
    s->path = path;
    s->seed = name_seed(path);
    s->orig = load(path, &s->size);
    if (!s->orig) return 0;
    find_superblock(s);
    find_members(s);
    memset(&o, 0, sizeof o);
    o.max_memory = cfg->max_memory;
    c.s = s;
    c.datasets = c.attributes = 0;
    s->lists = k2onnx_h5_list(s->orig, s->size, &o, collect_fn, &c, &e) == k2onnx_result_success;
    /* datasets and attributes alternately, so that a small --reads gets both */
    for (i = 0; i < s->nreads; i++) {
        if (strchr(s->reads[i], '@')) at[na++] = s->reads[i];
        else ds[nd++] = s->reads[i];
    }
    for (i = 0; i < nd || i < na; i++) {
        if (i < nd) s->reads[k++] = ds[i];
        if (i < na) s->reads[k++] = at[i];
    }
    if (s->has_sb) {
        /* a cut at the full length only makes the end-of-file address undefined: the reader must
           take that file as it takes the intact one, or the cuts test nothing */
        k2onnx_result r0 = k2onnx_convert(s->orig, s->size, &o, NULL, NULL, NULL, &e), r1;
        mutation m;
        size_t len;
        unsigned char *b;
        make_mutation(KIND_CUT, (unsigned long)(s->size - s->sb_end), s, &m);
        b = apply(&m, s, NULL, &len);
        r1 = k2onnx_convert(b, len, &o, NULL, NULL, NULL, &e);
        free(b);
        if (r0 != r1) {
            printf("note %s: with an undefined end-of-file address the intact file gives result %d instead of %d (%s); no cuts\n", path,
                   (int)r1, (int)r0, e.message);
            s->has_sb = 0;
        }
    }
    return 1;
}

static void release(subject *s)
{
    int i;
    for (i = 0; i < s->nreads; i++) free(s->reads[i]);
    free((void *)s->orig);
    memset(s, 0, sizeof *s);
}

/* ---- sweeping a file ---- */

/* Runs the cases from case `from` of kind `first` on, recording progress in sh. */
static void sweep_file(const subject *s, int first, unsigned long from, const config *cfg, volatile shared *sh)
{
    unsigned char *work = (unsigned char *)xmalloc(s->size);
    int kind;
    memcpy(work, s->orig, s->size);
    for (kind = first; kind < KIND_COUNT; kind++) {
        unsigned long i, n = kind_count(kind, s, cfg);
        for (i = kind == first ? from : 0; i < n; i++) {
            mutation m;
            size_t len;
            unsigned char *buf;
            int clean;
            make_mutation(kind, i, s, &m);
            sh->kind = kind;
            sh->index = i;
            sh->cases[kind]++;
            if (cfg->hang_seconds && !cfg->no_fork) alarm(cfg->hang_seconds);
            buf = apply(&m, s, work, &len);
            clean = run_case(s, buf, len, cfg, NULL);
            restore(&m, s, work, buf);
            if (!clean) {
                if (sh->failed[kind] < MAX_FAIL_LINES) {
                    char d[200];
                    describe(&m, d, sizeof d);
                    printf("FAIL %s %s: %s\n", s->path, d, problem);
                    printf("     reproduce: %s --only %s:%lu %s\n", cfg->self, kind_tag[kind], i, s->path);
                    fflush(stdout);
                }
                sh->failed[kind]++;
            }
        }
        if (cfg->hang_seconds && !cfg->no_fork) alarm(0);
        if (sh->failed[kind] > MAX_FAIL_LINES)
            printf("FAIL %s: ... and %lu more unclean %s\n", s->path, sh->failed[kind] - MAX_FAIL_LINES, kind_plural[kind]);
        sh->kind = -1;
        sh->finished[kind] = 1;
    }
    free(work);
}

typedef struct totals {
    unsigned long files, passed, failed, unclean;
    unsigned long cases[KIND_COUNT];
} totals;

/* Sweeps one file in a child process; after a crash the next kind starts in a new child. */
static void do_file(const char *path, const config *cfg, shared *sh, totals *tot)
{
    subject s;
    unsigned long cases[KIND_COUNT], failed[KIND_COUNT], bad = 0, from = 0;
    int kind, first = 0, crashed = 0, crashes[KIND_COUNT];
    memset(cases, 0, sizeof cases);
    memset(failed, 0, sizeof failed);
    memset(crashes, 0, sizeof crashes);
    if (!prepare(&s, path, cfg)) {
        printf("FAIL %s: cannot read the file\n", path);
        tot->failed++;
        return;
    }
    tot->files++;
    while (first < KIND_COUNT) {
        int status = 0;
        memset(sh, 0, sizeof *sh);
        sh->kind = -1;
        if (cfg->no_fork) {
            sweep_file(&s, first, from, cfg, sh);
        } else {
            pid_t pid;
            fflush(stdout);
            fflush(stderr);
            pid = fork();
            if (pid < 0) {
                perror("sweep: fork");
                exit(3);
            }
            if (pid == 0) {
                sweep_file(&s, first, from, cfg, sh);
                fflush(stdout);
                exit(0);
            }
            if (waitpid(pid, &status, 0) < 0) {
                perror("sweep: waitpid");
                exit(3);
            }
        }
        for (kind = first; kind < KIND_COUNT; kind++) {
            cases[kind] += sh->cases[kind];
            failed[kind] += sh->failed[kind];
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) break;
        crashed = 1;
        if (sh->kind >= 0) {
            mutation m;
            char d[200];
            make_mutation(sh->kind, sh->index, &s, &m);
            describe(&m, d, sizeof d);
            if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
                printf("FAIL %s %s: hang: still running after %u s\n", path, d, cfg->hang_seconds);
            else if (WIFSIGNALED(status))
                printf("FAIL %s %s: killed by signal %d\n", path, d, WTERMSIG(status));
            else
                printf("FAIL %s %s: crashed with exit status %d (sanitizer report above)\n", path, d, WEXITSTATUS(status));
            printf("     reproduce: %s --only %s:%lu %s\n", cfg->self, kind_tag[sh->kind], sh->index, path);
            failed[sh->kind]++;
            /* go on after the case, or with the next kind after too many crashes */
            if (++crashes[sh->kind] < MAX_CRASHES) {
                first = sh->kind;
                from = sh->index + 1;
            } else {
                if (sh->index + 1 < kind_count(sh->kind, &s, cfg))
                    printf("FAIL %s: %d crashes: the other %s are skipped\n", path, MAX_CRASHES, kind_plural[sh->kind]);
                first = sh->kind + 1;
                from = 0;
            }
        } else {
            /* e.g. LeakSanitizer at the child's exit: counted against the last kind */
            printf("FAIL %s: the child ended with status 0x%x outside any case\n", path, (unsigned)status);
            for (kind = first; kind < KIND_COUNT; kind++)
                if (!sh->finished[kind]) failed[kind]++;
            failed[KIND_COUNT - 1]++;
            break;
        }
    }
    for (kind = 0; kind < KIND_COUNT; kind++) {
        tot->cases[kind] += cases[kind];
        bad += failed[kind];
        if (failed[kind]) tot->failed++;
        else if (cases[kind]) tot->passed++;
    }
    tot->unclean += bad;
    printf("%s: %lu truncations, %lu cuts, %lu flips, %lu overwrites%s: ", path, cases[KIND_TRUNC], cases[KIND_CUT], cases[KIND_FLIP],
           cases[KIND_OVER], s.lists ? "" : " (convert only)");
    if (!bad) printf("all clean\n");
    else printf("%lu unclean%s\n", bad, crashed ? " (crashed)" : "");
    fflush(stdout);
    release(&s);
}

/* ---- --only ---- */

static int only_case(const char *path, const config *cfg)
{
    subject s;
    mutation m;
    unsigned char *work, *buf;
    size_t len;
    char d[200];
    int clean, converted = 0;
    if (!prepare(&s, path, cfg)) {
        fprintf(stderr, "sweep: cannot read %s\n", path);
        return 1;
    }
    if (cfg->only_index >= kind_count(cfg->only_kind, &s, cfg) && (cfg->only_kind == KIND_TRUNC || cfg->only_kind == KIND_CUT)) {
        fprintf(stderr, "sweep: %s has only %lu %s\n", path, kind_count(cfg->only_kind, &s, cfg), kind_plural[cfg->only_kind]);
        release(&s);
        return 2;
    }
    work = (unsigned char *)xmalloc(s.size);
    memcpy(work, s.orig, s.size);
    make_mutation(cfg->only_kind, cfg->only_index, &s, &m);
    describe(&m, d, sizeof d);
    printf("%s %s\n", path, d);
    fflush(stdout);
    buf = apply(&m, &s, work, &len);
    if (cfg->save) {
        FILE *fp = fopen(cfg->save, "wb");
        if (!fp || fwrite(buf, 1, len, fp) != len || fclose(fp) != 0) {
            fprintf(stderr, "sweep: cannot write %s\n", cfg->save);
            return 1;
        }
        printf("wrote %lu bytes to %s\n", (unsigned long)len, cfg->save);
        fflush(stdout);
    }
    clean = run_case(&s, buf, len, cfg, &converted);
    {
        k2onnx_options o;
        k2onnx_error e;
        memset(&o, 0, sizeof o);
        o.max_memory = cfg->max_memory;
        char q[256];
        if (k2onnx_convert(buf, len, &o, NULL, NULL, NULL, &e) == k2onnx_result_success) printf("convert: success\n");
        else printf("convert: %s\n", printable(e.message, q, sizeof q));
    }
    printf("%s\n", clean ? "clean" : problem);
    fflush(stdout);
    restore(&m, &s, work, buf);
    free(work);
    release(&s);
    return clean ? 0 : 1;
}

/* ---- inputs ---- */

typedef struct strlist {
    char **v;
    size_t n, cap;
} strlist;

static void push(strlist *l, const char *str)
{
    size_t n = strlen(str) + 1;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **v = (char **)realloc(l->v, cap * sizeof *v);
        if (!v) exit(3);
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n] = (char *)xmalloc(n);
    memcpy(l->v[l->n++], str, n);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int ends_with(const char *str, const char *suffix)
{
    size_t a = strlen(str), b = strlen(suffix);
    return a >= b && strcmp(str + a - b, suffix) == 0;
}

/* Adds the directory's *.h5 and *.keras files of at most max_size bytes, sorted by name. */
static void add_dir(strlist *files, const char *dir, unsigned long max_size)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    strlist found = {NULL, 0, 0};
    size_t i;
    if (!d) {
        fprintf(stderr, "sweep: cannot open directory %s\n", dir);
        exit(2);
    }
    while ((de = readdir(d)) != NULL) {
        char p[4096];
        struct stat st;
        if (!ends_with(de->d_name, ".h5") && !ends_with(de->d_name, ".keras")) continue;
        snprintf(p, sizeof p, "%s%s%s", dir, ends_with(dir, "/") ? "" : "/", de->d_name);
        if (stat(p, &st) != 0 || !S_ISREG(st.st_mode) || (unsigned long)st.st_size > max_size) continue;
        push(&found, p);
    }
    closedir(d);
    if (found.n) qsort(found.v, found.n, sizeof *found.v, cmp_str);
    for (i = 0; i < found.n; i++) {
        push(files, found.v[i]);
        free(found.v[i]);
    }
    free(found.v);
}

static int usage(void)
{
    fprintf(stderr, "usage: sweep [--flips N] [--overwrites N] [--max-size BYTES] [--case-seconds S] [--hang-seconds S]\n"
                    "             [--max-memory MIB] [--reads N] [--no-fork] [--only KIND:I [--save FILE]] FILE|DIR...\n");
    return 2;
}

int main(int argc, char **argv)
{
    config cfg;
    strlist files = {NULL, 0, 0}, dirs = {NULL, 0, 0};
    totals tot;
    shared *sh;
    int i, only = 0, status = 0;
    size_t k;
    memset(&cfg, 0, sizeof cfg);
    memset(&tot, 0, sizeof tot);
    cfg.flips = 200;
    cfg.overwrites = 200;
    cfg.max_size = 12288;
    cfg.case_seconds = 2.0;
    cfg.hang_seconds = 60;
    cfg.max_memory = (size_t)256 << 20;
    cfg.reads = 4;
    cfg.self = argv[0];
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--no-fork") == 0) {
            cfg.no_fork = 1;
        } else if (a[0] == '-' && a[1] == '-') {
            if (!v) return usage();
            i++;
            if (strcmp(a, "--flips") == 0) cfg.flips = strtoul(v, NULL, 10);
            else if (strcmp(a, "--overwrites") == 0) cfg.overwrites = strtoul(v, NULL, 10);
            else if (strcmp(a, "--max-size") == 0) cfg.max_size = strtoul(v, NULL, 10);
            else if (strcmp(a, "--case-seconds") == 0) cfg.case_seconds = atof(v);
            else if (strcmp(a, "--hang-seconds") == 0) cfg.hang_seconds = (unsigned)strtoul(v, NULL, 10);
            else if (strcmp(a, "--max-memory") == 0) cfg.max_memory = (size_t)strtoul(v, NULL, 10) << 20;
            else if (strcmp(a, "--reads") == 0) cfg.reads = atoi(v);
            else if (strcmp(a, "--save") == 0) cfg.save = v;
            else if (strcmp(a, "--only") == 0) {
                const char *colon = strchr(v, ':');
                int kind;
                only = 1;
                cfg.only_kind = -1;
                for (kind = 0; colon && kind < KIND_COUNT; kind++)
                    if (strlen(kind_tag[kind]) == (size_t)(colon - v) && strncmp(v, kind_tag[kind], (size_t)(colon - v)) == 0) cfg.only_kind = kind;
                if (cfg.only_kind < 0) return usage();
                cfg.only_index = strtoul(colon + 1, NULL, 10);
            } else {
                return usage();
            }
        } else {
            push(&dirs, a);
        }
    }
    /* directories are expanded once --max-size is known, whatever the order of the arguments */
    for (k = 0; k < dirs.n; k++) {
        struct stat st;
        if (stat(dirs.v[k], &st) == 0 && S_ISDIR(st.st_mode)) add_dir(&files, dirs.v[k], cfg.max_size);
        else push(&files, dirs.v[k]);
        free(dirs.v[k]);
    }
    free(dirs.v);
    if (cfg.reads > MAX_READS) cfg.reads = MAX_READS;
    case_limit = cfg.case_seconds;
    if (!files.n) return usage();
    if (only) {
        for (k = 0; k < files.n; k++) {
            int st = only_case(files.v[k], &cfg);
            if (st > status) status = st;
        }
    } else {
        sh = (shared *)mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (sh == MAP_FAILED) {
            perror("sweep: mmap");
            return 3;
        }
        for (k = 0; k < files.n; k++) do_file(files.v[k], &cfg, sh, &tot);
        munmap(sh, sizeof *sh);
        printf("sweep: %lu files x (every truncation and cut + %lu flips + %lu overwrites) = %lu cases (%lu truncations, %lu cuts, %lu flips, "
               "%lu overwrites), ",
               tot.files, cfg.flips, cfg.overwrites, tot.cases[0] + tot.cases[1] + tot.cases[2] + tot.cases[3], tot.cases[KIND_TRUNC],
               tot.cases[KIND_CUT], tot.cases[KIND_FLIP], tot.cases[KIND_OVER]);
        if (tot.unclean) printf("%lu unclean\n", tot.unclean);
        else printf("all clean\n");
        printf("%lu passed, %lu failed\n", tot.passed, tot.failed);
        status = tot.failed ? 1 : 0;
    }
    for (k = 0; k < files.n; k++) free(files.v[k]);
    free(files.v);
    return status;
}
