/* k2onnx.h - convert saved Keras models (.h5) to ONNX. Single header, C99, no dependencies.

   USAGE
     In exactly one C or C++ file:
         #define K2ONNX_IMPLEMENTATION
         #include "k2onnx.h"
     Everywhere else include "k2onnx.h" without the define.

     k2onnx_options opts;              // zero means defaults (opset 17, malloc/free)
     k2onnx_error err;
     memset(&opts, 0, sizeof opts);
     if (k2onnx_convert(h5_bytes, h5_size, &opts, my_write, my_user, NULL, &err) != k2onnx_result_success)
         report(err.message);        // e.g. "layer 'lstm_1' (LSTM): go_backwards=true is not supported"

     The converter reads the whole model from memory and streams the ONNX bytes to `write` in one
     pass (a NULL writer only measures the size). The heap holds the graph; Dense and recurrent
     weights stored contiguous go from the input bytes to `write` without a copy on it (weights
     that are decompressed or rebuilt, such as convolution kernels, are held there). It never
     reads or writes files itself unless you use k2onnx_convert_file.

     The HDF5 reader is also public: k2onnx_h5_list walks any HDF5 file (groups, datasets,
     attributes, links) and k2onnx_h5_read hands over the values of one dataset or attribute.

   CONFIGURATION MACROS (define before the implementation include)
     K2ONNX_STATIC           make every public function static
     K2ONNX_NO_STDIO         leave out k2onnx_convert_file and <stdio.h>
     K2ONNX_MALLOC(size)     allocator used when options.allocator is empty
     K2ONNX_FREE(ptr)        (define both or neither; default malloc/free). Firmware that passes
                             options.memory can define them to return NULL / do nothing.
     K2ONNX_ASSERT(x)        checks of internal invariants (a caller's capacity); default
                             assert(x), nothing with K2ONNX_NO_STDIO
     K2ONNX_SQRT(x)          double square root of the constants folded at conversion
                             (BatchNormalization, MultiHeadAttention's scale); default a
                             libm-free one, so define it (e.g. as sqrt(x)) only where libm or
                             a double-precision FPU is there anyway
     K2ONNX_DEBUG_ARENA      every arena object in a heap block of its own (sanitizer builds)
     K2ONNX_NO_SIMD          plain C only: no SSE2 weight transposition, Adler-32 and
                             Fletcher-32 (where __SSE2__ is defined) and no carry-less
                             multiply CRC-32 on x86-64 (PCLMULQDQ, used when the processor has
                             it, with gcc and clang)
     FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION  checksums are not compared (fuzzing builds only)

   TRIMMING MACROS (smaller code for firmware; what they remove is refused with an error that
   names the macro, and everything else converts to the same bytes)
     K2ONNX_NO_ERROR_STRINGS messages shrink to the result and the object (HDF5 path, layer name
                             and class), e.g. "layer 'lstm_1' (LSTM): unsupported Keras feature";
                             the classes other macros leave out are refused as unknown classes
                             are (the same message), and their names leave the layer table
     K2ONNX_NO_ZIP           no Keras 3 .keras archives (ZIP reader, CRC-32)
     K2ONNX_NO_DEFLATE       no inflate: deflated HDF5 chunks and ZIP members are refused
     K2ONNX_NO_H5_CHUNKED    no chunked HDF5 datasets (chunk indexes, filters); Keras writes its
                             weights contiguous
     K2ONNX_NO_H5_DENSE      no dense HDF5 links and attributes (fractal heaps, v2 B-trees)
     K2ONNX_NO_H5_INSPECT    no k2onnx_h5_list / k2onnx_h5_read
     K2ONNX_NO_CONV          no 1-D and 2-D convolutions and pooling, ConvLSTM1D/2D
     K2ONNX_NO_ATTENTION     no Attention, AdditiveAttention, MultiHeadAttention
     K2ONNX_NO_SCAN_UNROLL   recurrent layers only as fused RNN/GRU/LSTM ops: no Scan, no unroll
                             (options.scan_rnn / unroll, masks into recurrent layers, activations
                             the fused ops lack and ConvLSTM are refused)
     K2ONNX_NO_KERAS1        no Keras 1 per-gate recurrent weights or input_dim configs
     K2ONNX_NO_RENAME        no options.renames (graph inputs and outputs keep the Keras names)
     K2ONNX_NO_DESCRIBE      no options.describe (k2onnx --summary, --dot)
     K2ONNX_ONLY_RECURRENT   only InputLayer, Dense, Activation, the dropout and noise layers,
                             Masking, SimpleRNN, GRU, LSTM, RNN, CuDNN*, Bidirectional (implies
                             K2ONNX_NO_CONV and K2ONNX_NO_ATTENTION), no nested models, and of
                             the activations those that are one ONNX op or close to it (no
                             gelu, mish, ...)
     All of them together still convert plain SimpleRNN, GRU and LSTM models, in about 40 KB of
     Cortex-M4 code (make size); K2ONNX_ONLY_RECURRENT with K2ONNX_NO_ERROR_STRINGS and
     K2ONNX_NO_DESCRIBE keeps every file format and recurrent form in under 64 KiB.

   TABLE OF CONTENTS (implementation sections, in pipeline order; search for a subsection by
   its "--- name" anchor)
     1. Support: arena allocation, errors, byte reading, inflate
          --- inflate (RFC 1951) with the zlib wrapper (RFC 1950)
     2. HDF5 reader          (knows nothing about Keras)
          --- datatypes, dataspaces, attributes
          --- v2 B-trees and fractal heaps
          --- filters: shuffle, Fletcher-32
          --- dataset storage: compact, contiguous, chunked
          --- groups
          --- inspection: recursive listing and element values
     3. ZIP reader           (Keras 3 .keras archives)
     4. JSON parser
     5. Keras model          (config, layer graph, weights by position or by Keras 3 path)
          --- nested models
          --- layer config readers
     6. ONNX graph builder
          --- initializer payloads: the bytes of raw_data, in ONNX order
          --- ONNX operators with their opset and runtime variants
     7. Layer mappings       (one function per Keras layer class, found through one table)
          --- core layers: InputLayer
          --- activations: those written out of several ops, the element-wise ones, Activation
          --- pass-through layers, Masking, Dense, Highway, MaxoutDense
          --- recurrent layers
          --- the unrolled form
          --- ConvLSTM1D / ConvLSTM2D
          --- Bidirectional
          --- reshaping: RepeatVector, Flatten, Reshape, Permute
          --- 1-D convolution and pooling
          --- 2-D convolution and pooling
          --- normalization, global 1-D pooling, merging, Embedding
          --- activation layers
          --- sequence edges: Cropping1D, ZeroPadding1D, UpSampling1D
          --- Dot and the Keras 1 Merge layer
          --- TensorFlowOpLayer: raw TensorFlow ops
          --- attention
          --- the layer table (and the stubs of trimmed builds)
          --- the walk over the layer graph
     8. Protobuf encoder     (knows nothing about layers)
     9. Public entry points
     10. stdio helpers

   Thread safety: no global mutable state; concurrent conversions with separate options are safe.
   License: see the end of the file.
*/
#ifndef K2ONNX_H
#define K2ONNX_H

#include <stddef.h>

#define K2ONNX_VERSION_MAJOR 0
#define K2ONNX_VERSION_MINOR 1
#define K2ONNX_VERSION_PATCH 0
#define K2ONNX_VERSION_STRING "0.1.0"

/* Opsets the converter can target; 17 is the default because it is the newest that common
   checkers and runtimes all understand. */
#define K2ONNX_DEFAULT_OPSET 17
#define K2ONNX_MIN_OPSET 7
#define K2ONNX_MAX_OPSET 23

#ifdef K2ONNX_STATIC
#if defined(__GNUC__) || defined(__clang__)
#define K2ONNX_DEF static __attribute__((unused)) /* a unit may use only some of the API */
#else
#define K2ONNX_DEF static
#endif
#else
#define K2ONNX_DEF extern
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum k2onnx_result {
    k2onnx_result_success = 0,
    k2onnx_result_invalid_argument,   /* bad options or parameters */
    k2onnx_result_out_of_memory,
    k2onnx_result_limit_exceeded,     /* a safety limit in the options was hit */
    k2onnx_result_io_error,           /* file could not be read or written (stdio helpers) */
    k2onnx_result_invalid_file,       /* not an HDF5 file or corrupt structure */
    k2onnx_result_unsupported_file,   /* valid HDF5 using a feature this reader lacks */
    k2onnx_result_invalid_json,       /* model_config is not valid JSON */
    k2onnx_result_invalid_model,      /* the Keras model is inconsistent (missing weights, bad shapes) */
    k2onnx_result_unsupported_model,  /* a layer, option or activation that is not supported yet */
    k2onnx_result_write_failed,       /* the write callback reported failure */
    k2onnx_result_count_
} k2onnx_result;

typedef struct k2onnx_allocator {
    void *(*alloc)(void *user, size_t size);
    void (*free)(void *user, void *ptr);
    void *user;
} k2onnx_allocator;

/* The full shape of one graph input (the Keras input layer's name), batch axis included. */
typedef struct k2onnx_input_shape {
    const char *name;
    const size_t *dims;
    size_t rank;
} k2onnx_input_shape;

/* ---- What a conversion made (options.describe; `k2onnx --summary` and `--dot`) ---- */

/* A tensor and the shape the converter knows: dims[i] < 0 is dynamic, and dim_params[i] names
   it (NULL where it has no name). */
typedef struct k2onnx_tensor_info {
    const char *name;
    const char *dtype;              /* "float32", "float64", "float16", "int32", "int64", "uint8", "int8",
                                       "uint16", "int16", "bool" */
    size_t rank;
    const long long *dims;
    const char *const *dim_params;
} k2onnx_tensor_info;

typedef struct k2onnx_node_info {
    const char *op, *name;
    const char *const *inputs;      /* "" marks an omitted optional input */
    size_t ninputs;
    const char *const *outputs;
    size_t noutputs;
    size_t body_nodes;              /* nodes of its body graph (Scan), 0 for other ops */
} k2onnx_node_info;

/* One call of a Keras layer and the ONNX nodes it became, in graph order. */
typedef struct k2onnx_layer_info {
    const char *name;               /* NULL for the nodes that belong to no layer (the graph outputs') */
    const char *cls;                /* the Keras class the file names */
    size_t call, ncalls;            /* which call of the layer this is, of how many (shared layers) */
    unsigned long long params;      /* weight elements of the layer in the file (0 for calls after the first) */
    const k2onnx_tensor_info *outputs;
    size_t noutputs;
    const k2onnx_node_info *nodes;
    size_t nnodes;
} k2onnx_layer_info;

typedef struct k2onnx_model_info {
    const char *name;               /* the Keras model's name, also the ONNX graph's */
    int opset;
    long long ir_version;
    const k2onnx_layer_info *layers;  /* in the order they were converted */
    size_t nlayers;
    const k2onnx_tensor_info *inputs, *outputs, *initializers;
    size_t ninputs, noutputs, ninitializers;
    unsigned long long initializer_bytes;
    size_t nnodes;                  /* nodes of the main graph */
} k2onnx_model_info;

/* Returns 0 to go on, non-zero to stop the conversion (k2onnx_result_write_failed). */
typedef int (*k2onnx_describe_fn)(void *user, const k2onnx_model_info *info);

/* A new name for a graph input or output (options.renames); graph names are the Keras ones. */
typedef struct k2onnx_rename {
    const char *from, *to;
} k2onnx_rename;

/* Valid when zero-initialised. */
typedef struct k2onnx_options {
    int opset;                   /* target ai.onnx opset; 0 = K2ONNX_DEFAULT_OPSET */
    k2onnx_allocator allocator;  /* all fields NULL = K2ONNX_MALLOC / K2ONNX_FREE */
    size_t max_memory;           /* cap on bytes allocated during a conversion; 0 = 1 GiB */
    unsigned max_json_depth;     /* nesting limit of model_config; 0 = 64 (Keras writes about 12) */
    size_t max_objects;          /* HDF5 object headers, links and attributes read, JSON values and
                                    Keras layers, together; 0 = 1000000 */
    unsigned max_dataset_ratio;  /* a dataset read may expand to at most this many times the size
                                    of the HDF5 file (compression, fill values); 0 = 2048 */
    unsigned max_graph_depth;    /* longest chain of layers (recursion depth); 0 = 4096 */
    int state_io;                /* non-zero: every recurrent layer's initial states become graph
                                    inputs and its final states graph outputs (streaming) */
    int scan_rnn;                /* non-zero: recurrent layers as ONNX Scan loops of primitive ops,
                                    never as fused RNN/GRU/LSTM ops */
    int unroll;                  /* non-zero: recurrent layers written out step by step with
                                    primitive ops (no RNN/GRU/LSTM/Scan/Loop); needs a static time
                                    axis (the model's, or `steps`) */
    size_t batch;                /* non-zero: the batch dimension of every input */
    size_t steps;                /* non-zero: the time axis of every sequence input (rank >= 3, or
                                    token ids [batch, time]: integers, or what an Embedding reads),
                                    replacing the model's */
    const k2onnx_input_shape *input_shapes; /* optional: whole shapes of named inputs */
    size_t input_shapes_count;
    void *memory;                /* optional: the one buffer a conversion allocates from (no
                                    malloc at all); 16-byte aligned is best */
    size_t memory_size;
    size_t *memory_used;         /* optional: receives the bytes the conversion took from the
                                    allocator or `memory` at its peak, to size that buffer */
    const char *model_config;    /* optional architecture JSON (model.to_json()) for a file that
                                    holds weights only; overrides the file's model_config */
    size_t model_config_size;
    /* optional: called with each warning (a conversion that differs from Keras in a way the
       user should know, e.g. stateful layers converted as stateless) */
    void (*warn)(void *user, const char *message);
    void *warn_user;
    const char *source_name;     /* optional: the model file's name, recorded in the ONNX model's
                                    doc_string and metadata_props ("source_file") */
    const k2onnx_rename *renames; /* optional: graph inputs and outputs to rename */
    size_t renames_count;
    /* optional: called once the graph is built, before any ONNX byte is written, with what the
       conversion made: layers, the nodes each became, shapes, parameter counts */
    k2onnx_describe_fn describe;
    void *describe_user;
    /* optional: called once, before the first byte goes to `write`, with how many bytes `write`
       will get in all, so that a file can have its room reserved at once (a file system
       allocates reserved room in one step instead of a page at a time as the file grows) */
    void (*output_size)(void *user, unsigned long long size);
    void *output_size_user;
} k2onnx_options;

/* Caller-owned; filled in on failure. The message names the object that failed: an HDF5 path,
   a layer name and class, or a byte offset. */
typedef struct k2onnx_error {
    k2onnx_result result;
    char message[512];
} k2onnx_error;

/* Receives the ONNX bytes in order; returns 0 on success, non-zero to abort. */
typedef int (*k2onnx_write_fn)(void *user, const void *data, size_t size);

/* Converts a Keras HDF5 model held in memory. `write` may be NULL to only compute the size.
   `out_size` (optional) receives the number of ONNX bytes. `error` may be NULL. */
K2ONNX_DEF k2onnx_result k2onnx_convert(const void *data, size_t size, const k2onnx_options *options,
                                        k2onnx_write_fn write, void *write_user, size_t *out_size,
                                        k2onnx_error *error);

K2ONNX_DEF const char *k2onnx_result_string(k2onnx_result result);

/* ---- HDF5 inspection (what `k2onnx --ls` and `--dump` print) ---- */

typedef enum k2onnx_h5_kind {
    k2onnx_h5_group,
    k2onnx_h5_dataset,
    k2onnx_h5_datatype,       /* a committed (named) datatype */
    k2onnx_h5_attribute,
    k2onnx_h5_soft_link,
    k2onnx_h5_external_link,  /* reported, never followed */
    k2onnx_h5_user_link
} k2onnx_h5_kind;

typedef struct k2onnx_h5_entry {
    const char *path;         /* "/a/b"; an attribute is "/a/b@name" */
    k2onnx_h5_kind kind;
    const char *kind_name;    /* "group", "dataset", "datatype", "attribute", "softlink", "extlink", "udlink" */
    const char *dtype;        /* "float32", ">i2", "str", "vlen-str", "compound", ...; link target for links; "-" */
    const char *shape;        /* "3x4", "scalar", "null", or "-" */
} k2onnx_h5_entry;

typedef enum k2onnx_value_kind {
    k2onnx_value_int,         /* field i */
    k2onnx_value_uint,        /* field u */
    k2onnx_value_float,       /* field f; bits tells float16/32/64 */
    k2onnx_value_string       /* s, len: not NUL-terminated */
} k2onnx_value_kind;

typedef struct k2onnx_h5_value {
    k2onnx_value_kind kind;
    unsigned bits;            /* width of the stored number */
    long long i;
    unsigned long long u;
    double f;
    const char *s;
    size_t len;
} k2onnx_h5_value;

/* Callbacks return 0 to go on, non-zero to stop (the call then returns k2onnx_result_write_failed). */
typedef int (*k2onnx_h5_entry_fn)(void *user, const k2onnx_h5_entry *entry);
typedef int (*k2onnx_h5_value_fn)(void *user, const k2onnx_h5_value *value);

#ifndef K2ONNX_NO_H5_INSPECT
/* Lists every group, dataset, committed datatype, attribute and link of an HDF5 file held in
   memory (or of the model.weights.h5 in a .keras archive), recursively, sorted by path. Hard
   links back to an ancestor are listed, not entered. */
K2ONNX_DEF k2onnx_result k2onnx_h5_list(const void *data, size_t size, const k2onnx_options *options,
                                        k2onnx_h5_entry_fn fn, void *user, k2onnx_error *error);

/* Passes each element of the dataset or attribute at `path` to fn, in C order. Reads integers,
   floats, strings (fixed and variable length), enums (as their integer values) and bitfields (as
   unsigned integers); other datatype classes are refused by name. */
K2ONNX_DEF k2onnx_result k2onnx_h5_read(const void *data, size_t size, const char *path, const k2onnx_options *options,
                                        k2onnx_h5_value_fn fn, void *user, k2onnx_error *error);
#endif

#ifndef K2ONNX_NO_STDIO
/* Reads a whole file (any stream: no reliance on its size being known) into a buffer from
   K2ONNX_MALLOC; *data is NULL on failure. Release the buffer with k2onnx_free. */
K2ONNX_DEF k2onnx_result k2onnx_read_file(const char *path, void **data, size_t *size, k2onnx_error *error);
K2ONNX_DEF void k2onnx_free(void *ptr);

/* Reads `input_path`, converts it once, streaming into `<output_path>.k2onnx-tmp`, and renames that
   over `output_path` only if everything succeeded (else it is removed and an existing output
   stays as it was). An output path equal to the input path is refused. */
K2ONNX_DEF k2onnx_result k2onnx_convert_file(const char *input_path, const char *output_path,
                                             const k2onnx_options *options, k2onnx_error *error);
#endif

#ifdef __cplusplus
}
#endif
#endif /* K2ONNX_H */

/* ============================================================================================ */
#ifdef K2ONNX_IMPLEMENTATION
#ifndef K2ONNX_IMPLEMENTATION_DONE
#define K2ONNX_IMPLEMENTATION_DONE

#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <math.h>
/* SSE2 comes with every x86-64 processor; the weight transposition and the Adler-32 and
   Fletcher-32 sums use it. */
#if !defined(K2ONNX_NO_SIMD) && defined(__SSE2__)
#include <emmintrin.h>
#define K2ONNX__SSE2 1
#endif

/* Marks helpers that some trimmed builds leave without a caller; keeps a function's frame out of
   its caller's (when the caller recurses). */
#if defined(__GNUC__) || defined(__clang__)
#define K2ONNX__MAYBE_UNUSED __attribute__((unused))
#define K2ONNX__NOINLINE __attribute__((noinline))
#elif defined(_MSC_VER)
#define K2ONNX__MAYBE_UNUSED
#define K2ONNX__NOINLINE __declspec(noinline)
#else
#define K2ONNX__MAYBE_UNUSED
#define K2ONNX__NOINLINE
#endif
#if defined(K2ONNX_MALLOC) != defined(K2ONNX_FREE)
#error "define both K2ONNX_MALLOC and K2ONNX_FREE, or neither"
#endif
#ifndef K2ONNX_MALLOC
#include <stdlib.h>
#define K2ONNX_MALLOC(size) malloc(size)
#define K2ONNX_FREE(ptr) free(ptr)
#endif
/* A build without stdio has nowhere to report a failed assert, so there the checks are left out. */
#ifndef K2ONNX_ASSERT
#ifdef K2ONNX_NO_STDIO
#define K2ONNX_ASSERT(x) ((void)0)
#else
#include <assert.h>
#define K2ONNX_ASSERT(x) assert(x)
#endif
#endif
#ifndef K2ONNX_SQRT
#define K2ONNX_SQRT(x) k2onnx__sqrt(x)
#define K2ONNX__OWN_SQRT
#endif

/* ============================================================================================
   1. Support: arena allocation, errors, byte reading, inflate
   ============================================================================================ */

#define K2ONNX__DEFAULT_MAX_MEMORY ((size_t)1 << 30)
#define K2ONNX__DEFAULT_JSON_DEPTH 64u
#define K2ONNX__DEFAULT_MAX_OBJECTS 1000000u
#define K2ONNX__DEFAULT_DATASET_RATIO 2048u
#define K2ONNX__DEFAULT_GRAPH_DEPTH 4096u
#define K2ONNX__MAX_ENDPOINTS 4096   /* model inputs or outputs */
#define K2ONNX__MAX_RANK 8       /* tensors in the ONNX graph */
#define K2ONNX__H5_MAX_RANK 32   /* HDF5 dataspaces, libhdf5's own limit */
#define K2ONNX__UNDEF_ADDR UINT64_MAX

/* Fuzzing builds (the usual FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION) skip the comparison of
   checksums, so that mutated inputs reach the parsers behind them; bounds are still checked. */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define K2ONNX__VERIFY_SUMS 0
#else
#define K2ONNX__VERIFY_SUMS 1
#endif

/* What the trimming macros leave in: inflate serves deflated HDF5 chunks and ZIP members, v2
   B-trees serve dense storage and chunk indexes. */
#if defined(K2ONNX_ONLY_RECURRENT) && !defined(K2ONNX_NO_CONV)
#define K2ONNX_NO_CONV
#endif
#if defined(K2ONNX_ONLY_RECURRENT) && !defined(K2ONNX_NO_ATTENTION)
#define K2ONNX_NO_ATTENTION
#endif
#if !defined(K2ONNX_NO_DEFLATE) && (!defined(K2ONNX_NO_H5_CHUNKED) || !defined(K2ONNX_NO_ZIP))
#define K2ONNX__INFLATE 1
#else
#define K2ONNX__INFLATE 0
#endif
/* Without the Scan and unrolled forms, the code for options.unroll compiles away. */
#ifdef K2ONNX_NO_SCAN_UNROLL
#define K2ONNX__UNROLLS(ctx) 0
#else
#define K2ONNX__UNROLLS(ctx) ((ctx)->opt.unroll)
#endif
#if !defined(K2ONNX_NO_H5_CHUNKED) || !defined(K2ONNX_NO_H5_DENSE)
#define K2ONNX__H5_BTREE2 1
#else
#define K2ONNX__H5_BTREE2 0
#endif

typedef struct k2onnx__block {
    struct k2onnx__block *next;
    size_t size, used;
} k2onnx__block;

/* Every allocation of one conversion comes from this arena and is released at once at the end,
   which keeps the many early-exit error paths leak-free. */
typedef struct k2onnx__ctx {
    k2onnx__block *blocks;
    size_t allocated;
    size_t footprint;             /* bytes taken from the allocator or the buffer, headers included */
    size_t next_block;            /* arena blocks grow from 4 KiB, so small models need little */
    unsigned char *memory;        /* options.memory: blocks are carved from it, never freed */
    size_t memory_size, memory_at;
    size_t objects;
    const char *keras_version;   /* from a .keras archive's metadata.json */
    uint32_t *crc32_tables;      /* computed when the first ZIP member is checked */
    struct k2onnx__inflate_tables *inflate_tables; /* taken at the first deflated chunk or member */
    int describe;                /* options.describe is set: the graph keeps which layer made each node */
    k2onnx_error *error;
    int failed;
    k2onnx_options opt;           /* the caller's options, zeros replaced by their defaults */
    k2onnx_error local_error;
} k2onnx__ctx;

static void k2onnx__append(char *buf, size_t cap, size_t *len, const char *s, size_t n)
{
    while (n-- > 0 && *len + 1 < cap) buf[(*len)++] = *s++;
    buf[*len] = '\0';
}

/* A tiny formatter so that error messages need no <stdio.h>: %s, %.*s, %d, %u (unsigned long long),
   %c. Output is truncated to the buffer. */
static void k2onnx__vformat(char *buf, size_t cap, const char *fmt, va_list ap)
{
    size_t len = 0;
    buf[0] = '\0';
    while (*fmt) {
        if (*fmt != '%') {
            k2onnx__append(buf, cap, &len, fmt++, 1);
            continue;
        }
        fmt++;
        if (fmt[0] == '.' && fmt[1] == '*' && fmt[2] == 's') {
            int n = va_arg(ap, int);
            const char *s = va_arg(ap, const char *);
            k2onnx__append(buf, cap, &len, s ? s : "(null)", s ? (size_t)(n < 0 ? 0 : n) : 6);
            fmt += 3;
        } else if (*fmt == 's') {
            const char *s = va_arg(ap, const char *);
            if (!s) s = "(null)";
            k2onnx__append(buf, cap, &len, s, strlen(s));
            fmt++;
        } else if (*fmt == 'd' || *fmt == 'u') {
            char digits[24];
            size_t n = 0;
            unsigned long long v;
            int neg = 0;
            if (*fmt == 'd') {
                long long s = va_arg(ap, int);
                neg = s < 0;
                v = neg ? (unsigned long long)(-(s + 1)) + 1u : (unsigned long long)s;
            } else {
                v = va_arg(ap, unsigned long long);
            }
            do { digits[n++] = (char)('0' + (int)(v % 10u)); v /= 10u; } while (v && n < sizeof digits);
            if (neg) k2onnx__append(buf, cap, &len, "-", 1);
            while (n > 0) k2onnx__append(buf, cap, &len, &digits[--n], 1);
            fmt++;
        } else if (*fmt == 'c') {
            char c = (char)va_arg(ap, int);
            k2onnx__append(buf, cap, &len, &c, 1);
            fmt++;
        } else {
            k2onnx__append(buf, cap, &len, "%", 1);
            if (*fmt == '%') fmt++;
        }
    }
}

/* Appends formatted text to a NUL-terminated buffer, truncating at its end. */
static void k2onnx__format_append(char *buf, size_t cap, const char *fmt, ...)
{
    size_t len = strlen(buf);
    va_list ap;
    va_start(ap, fmt);
    k2onnx__vformat(buf + len, cap - len, fmt, ap);
    va_end(ap);
}

/* Names inside messages come from the file: control characters become '?', so a message is
   always one printable line. */
static void k2onnx__one_line(char *msg)
{
    for (; *msg; msg++)
        if ((unsigned char)*msg < 0x20 || (unsigned char)*msg == 0x7f) *msg = '?';
}

static const char *k2onnx__result_text(k2onnx_result result)
{
    switch (result) {
    case k2onnx_result_success: return "success";
    case k2onnx_result_invalid_argument: return "invalid argument";
    case k2onnx_result_out_of_memory: return "out of memory";
    case k2onnx_result_limit_exceeded: return "safety limit exceeded";
    case k2onnx_result_io_error: return "I/O error";
    case k2onnx_result_invalid_file: return "invalid or corrupt file";
    case k2onnx_result_unsupported_file: return "unsupported file feature";
    case k2onnx_result_invalid_json: return "invalid JSON in the model config";
    case k2onnx_result_invalid_model: return "invalid Keras model";
    case k2onnx_result_unsupported_model: return "unsupported Keras feature";
    case k2onnx_result_write_failed: return "write callback failed";
    default: return "unknown result";
    }
}

/* Records the first error only: later failures are usually consequences of it. Returns 0 so that
   callers can `return k2onnx__fail(...)`. */
static int k2onnx__fail(k2onnx__ctx *c, k2onnx_result r, const char *fmt, ...)
{
    va_list ap;
    if (c->failed) return 0;
    c->failed = 1;
    c->error->result = r;
    va_start(ap, fmt);
    k2onnx__vformat(c->error->message, sizeof c->error->message, fmt, ap);
    va_end(ap);
    k2onnx__one_line(c->error->message);
    return 0;
}

/* The reason a lower layer (inflate) records for a failure its caller reports: the caller tests it
   for NULL, so without message texts it is an empty string. */
#ifdef K2ONNX_NO_ERROR_STRINGS
#define K2ONNX__WHY(text) ""
#else
#define K2ONNX__WHY(text) text
#endif

#ifdef K2ONNX_NO_ERROR_STRINGS
/* Without message texts a failure names its result and, where the helper knows it, the object
   (an HDF5 path, a layer); the formats and their arguments are not compiled in. */
static int k2onnx__fail_code(k2onnx__ctx *c, k2onnx_result r)
{
    return (k2onnx__fail)(c, r, "%s", k2onnx__result_text(r));
}
#define k2onnx__fail(c, r, ...) k2onnx__fail_code((c), (r))
#endif

/* One more object read from the input (HDF5 header, link or attribute, JSON value, layer):
   bounds the work a small hostile file can cause. */
static int k2onnx__count_object(k2onnx__ctx *ctx)
{
    if (++ctx->objects <= ctx->opt.max_objects) return 1;
    return k2onnx__fail(ctx, k2onnx_result_limit_exceeded, "the input holds more than max_objects (%u) HDF5 objects, links, attributes, JSON values and layers",
                        (unsigned long long)ctx->opt.max_objects);
}

#define K2ONNX__ALIGN 16u
/* n rounded up to the arena's alignment: what an object of n bytes takes of a block. */
#define K2ONNX__ALIGNED(n) (((n) + K2ONNX__ALIGN - 1) / K2ONNX__ALIGN * K2ONNX__ALIGN)

static void *k2onnx__raw_alloc(k2onnx__ctx *c, size_t size)
{
    if (c->memory) {
        /* aligned in memory, not only within the buffer: the caller's may start anywhere */
        size_t misalign = (size_t)(((uintptr_t)c->memory + c->memory_at) % K2ONNX__ALIGN);
        size_t at = c->memory_at + (misalign ? K2ONNX__ALIGN - misalign : 0);
        if (at > c->memory_size || c->memory_size - at < size) return NULL;
        c->footprint += at - c->memory_at;
        c->memory_at = at + size;
        return c->memory + at;
    }
    if (c->opt.allocator.alloc) return c->opt.allocator.alloc(c->opt.allocator.user, size);
    return K2ONNX_MALLOC(size);
}

static void k2onnx__raw_free(k2onnx__ctx *c, void *p)
{
    if (!p || c->memory) return;
    if (c->opt.allocator.free) c->opt.allocator.free(c->opt.allocator.user, p);
    else K2ONNX_FREE(p);
}

#define K2ONNX__HEADER_SIZE K2ONNX__ALIGNED(sizeof(k2onnx__block))

/* K2ONNX_DEBUG_ARENA gives every object a heap block of its own size, so that AddressSanitizer
   and valgrind see a write past any object (the tests' sanitizer builds use it). */
#ifdef K2ONNX_DEBUG_ARENA
#define K2ONNX__ARENA_BLOCK 0u
#else
#define K2ONNX__ARENA_BLOCK 65536u
#endif

/* Arena memory the caller fills completely before reading it (a reordering buffer, an inflated
   member): left as the allocator gave it, since zeroing megabytes only to overwrite them costs a
   pass over them. */
static void *k2onnx__alloc_unzeroed(k2onnx__ctx *c, size_t size)
{
    k2onnx__block *b = c->blocks;
    size_t need;
    if (c->failed) return NULL;
    if (size > c->opt.max_memory) {
        k2onnx__fail(c, k2onnx_result_limit_exceeded, "allocation of %u bytes exceeds max_memory (%u)",
                     (unsigned long long)size, (unsigned long long)c->opt.max_memory);
        return NULL;
    }
    need = K2ONNX__ARENA_BLOCK ? K2ONNX__ALIGNED(size) : size;
    if (!b || b->size - b->used < need || !K2ONNX__ARENA_BLOCK) {
        size_t bsize = need > c->next_block ? need : c->next_block;
        /* A caller's buffer is one block: all of it, so that nothing is lost to block rounding. */
        if (c->memory && K2ONNX__ARENA_BLOCK && c->memory_size - c->memory_at > K2ONNX__HEADER_SIZE + K2ONNX__ALIGN + bsize)
            bsize = (c->memory_size - c->memory_at - K2ONNX__HEADER_SIZE - K2ONNX__ALIGN) / K2ONNX__ALIGN * K2ONNX__ALIGN;
        if (c->allocated + bsize > c->opt.max_memory) {
            k2onnx__fail(c, k2onnx_result_limit_exceeded, "conversion needs more than max_memory (%u bytes)",
                         (unsigned long long)c->opt.max_memory);
            return NULL;
        }
        b = (k2onnx__block *)k2onnx__raw_alloc(c, K2ONNX__HEADER_SIZE + bsize);
        if (!b) {
            if (c->memory)
                k2onnx__fail(c, k2onnx_result_limit_exceeded, "the memory buffer of %u bytes is too small", (unsigned long long)c->memory_size);
            else
                k2onnx__fail(c, k2onnx_result_out_of_memory, "out of memory (%u bytes)", (unsigned long long)bsize);
            return NULL;
        }
        c->allocated += bsize;
        c->footprint += K2ONNX__HEADER_SIZE + bsize;
        if (c->next_block * 2 <= K2ONNX__ARENA_BLOCK) c->next_block *= 2;
        b->size = bsize;
        b->used = 0;
        b->next = c->blocks;
        c->blocks = b;
    }
    {
        unsigned char *p = (unsigned char *)b + K2ONNX__HEADER_SIZE + b->used;
        b->used += need;
        return p;
    }
}

/* Zeroed arena memory: every structure starts with its counts 0 and its pointers NULL. */
static void *k2onnx__alloc(k2onnx__ctx *c, size_t size)
{
    void *p = k2onnx__alloc_unzeroed(c, size);
    if (p) memset(p, 0, size);
    return p;
}

/* What the conversion took at its peak (nothing is freed before the end): the blocks it asked
   the allocator for, or, from a caller's buffer, the part of it that was used. */
static size_t k2onnx__memory_used(const k2onnx__ctx *c)
{
    const k2onnx__block *b;
    size_t used;
    if (!c->memory) return c->footprint;
    used = c->memory_at;
    for (b = c->blocks; b; b = b->next) used -= b->size - b->used;
    return used;
}

static void k2onnx__free_all(k2onnx__ctx *c)
{
    while (c->blocks) {
        k2onnx__block *next = c->blocks->next;
        k2onnx__raw_free(c, c->blocks);
        c->blocks = next;
    }
}

/* n * size with overflow check, then allocate. */
static void *k2onnx__alloc_array(k2onnx__ctx *c, size_t n, size_t size)
{
    if (size && n > ((size_t)-1) / size) {
        k2onnx__fail(c, k2onnx_result_limit_exceeded, "array of %u elements is too large", (unsigned long long)n);
        return NULL;
    }
    return k2onnx__alloc(c, n * size);
}

/* Grows an arena array to hold at least `need` elements; old storage stays in the arena, so
   doubling keeps the waste bounded by the final size. */
static int k2onnx__reserve(k2onnx__ctx *c, void **items, size_t *cap, size_t need, size_t elem)
{
    void *bigger;
    size_t ncap;
    if (need <= *cap) return 1;
    ncap = *cap ? *cap * 2 : (elem > 64 ? 2 : 8); /* large records (HDF5 attributes) start small */
    while (ncap < need) ncap *= 2;
    bigger = k2onnx__alloc_array(c, ncap, elem);
    if (!bigger) return 0;
    if (*items && *cap) memcpy(bigger, *items, *cap * elem);
    *items = bigger;
    *cap = ncap;
    return 1;
}

static char *k2onnx__strndup(k2onnx__ctx *c, const char *s, size_t n)
{
    char *d = (char *)k2onnx__alloc(c, n + 1);
    if (!d) return NULL;
    if (n) memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* Formats into a new arena string (used for ONNX value names). */
static char *k2onnx__sprintf(k2onnx__ctx *c, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    k2onnx__vformat(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return k2onnx__strndup(c, buf, strlen(buf));
}

/* strnlen is POSIX, not C99. */
static size_t k2onnx__strnlen(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n]) n++;
    return n;
}

static int k2onnx__streq(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    return alen == blen && memcmp(a, b, alen) == 0;
}

/* Little-endian integer of n bytes (1..8); the caller has checked the range. */
static uint64_t k2onnx__le(const unsigned char *p, unsigned n)
{
    uint64_t v = 0;
    while (n-- > 0) v = (v << 8) | p[n];
    return v;
}

/* k2onnx__le(p, 4) without the loop, for the paths that read every weight or checksum word */
static uint32_t k2onnx__le32_at(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t k2onnx__be(const unsigned char *p, unsigned n)
{
    uint64_t v = 0;
    unsigned i;
    for (i = 0; i < n; i++) v = (v << 8) | p[i];
    return v;
}

#if defined(K2ONNX__SSE2) && !defined(K2ONNX_NO_H5_CHUNKED)
/* The totals of the four 32-bit lanes of sum, prev and weighted, where the SSE2 steps of Adler-32
   and Fletcher-32 keep their partial sums. */
static void k2onnx__lane_totals(__m128i sum, __m128i prev, __m128i weighted, uint64_t *s, uint64_t *e, uint64_t *w)
{
    uint32_t lanes[3][4];
    unsigned i;
    _mm_storeu_si128((__m128i *)(void *)lanes[0], sum);
    _mm_storeu_si128((__m128i *)(void *)lanes[1], prev);
    _mm_storeu_si128((__m128i *)(void *)lanes[2], weighted);
    *s = *e = *w = 0;
    for (i = 0; i < 4; i++) {
        *s += lanes[0][i];
        *e += lanes[1][i];
        *w += lanes[2][i];
    }
}
#endif

static void k2onnx__store_le32(unsigned char *b, uint32_t u)
{
    b[0] = (unsigned char)u; b[1] = (unsigned char)(u >> 8); b[2] = (unsigned char)(u >> 16); b[3] = (unsigned char)(u >> 24);
}

static float k2onnx__f32_from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static uint32_t k2onnx__f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static float k2onnx__f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
    if (exp == 0x1f) return k2onnx__f32_from_bits(sign | 0x7f800000u | (man << 13));
    if (exp == 0) {
        float v = (float)man * (1.0f / 16777216.0f); /* 2^-24 */
        return sign ? -v : v;
    }
    return k2onnx__f32_from_bits(sign | ((exp + 112u) << 23) | (man << 13));
}

/* Rounding to float32 without floating-point arithmetic: firmware FPUs do single precision only,
   and double would pull in soft-float helpers. Numbers of up to 512 bits as little-endian 32-bit
   words; callers bound their sizes so that they fit (see k2onnx__decimal_f32). */
typedef struct k2onnx__big {
    uint32_t w[16];
    unsigned n;
} k2onnx__big;

static void k2onnx__big_set(k2onnx__big *a, uint64_t m)
{
    a->w[0] = (uint32_t)m;
    a->w[1] = (uint32_t)(m >> 32);
    a->n = a->w[1] ? 2u : 1u;
}

/* a = a * f + add */
static void k2onnx__big_mul(k2onnx__big *a, uint32_t f, uint32_t add)
{
    uint64_t c = add;
    unsigned i;
    for (i = 0; i < a->n; i++) {
        c += (uint64_t)a->w[i] * f;
        a->w[i] = (uint32_t)c;
        c >>= 32;
    }
    if (c) a->w[a->n++] = (uint32_t)c;
}

/* The next factor of 5^*e taken in steps: 5^13 (the largest power of 5 in 32 bits) or what is
   left of *e, which it lowers by the step. */
static uint32_t k2onnx__pow5_step(long *e)
{
    uint32_t p = 1;
    long n = *e < 13 ? *e : 13;
    *e -= n;
    while (n-- > 0) p *= 5;
    return p;
}

/* a /= d; non-zero when the division left a remainder. */
static int k2onnx__big_div(k2onnx__big *a, uint32_t d)
{
    uint64_t r = 0;
    unsigned i = a->n;
    while (i--) {
        r = r << 32 | a->w[i];
        a->w[i] = (uint32_t)(r / d);
        r %= d;
    }
    while (a->n > 1 && !a->w[a->n - 1]) a->n--;
    return r != 0;
}

static unsigned k2onnx__big_bit(const k2onnx__big *a, long i)
{
    return i >= 0 && i < 32l * (long)a->n ? (unsigned)(a->w[i / 32] >> (i % 32)) & 1u : 0u;
}

/* The number of bits up to the highest one. */
static long k2onnx__big_len(const k2onnx__big *a)
{
    long len = 32l * (long)(a->n - 1);
    uint32_t top;
    for (top = a->w[a->n - 1]; top; top >>= 1) len++;
    return len;
}

/* The bits of the float32 nearest to q * 2^b2, ties to even; `sticky` says the number is a
   little more than that. */
static uint32_t k2onnx__round_f32(const k2onnx__big *q, long b2, int sticky)
{
    long len = k2onnx__big_len(q), s, biased, i;
    uint32_t mant = 0;
    if (!len) return 0;
    s = len - 24;
    biased = b2 + s + 150;
    if (biased > 254) return 0x7f800000u;
    if (biased < 1) { /* subnormal: fewer significant bits */
        s += 1 - biased;
        biased = 0;
    }
    if (s > len) return 0;
    if (s <= 0) {
        mant = q->w[0] << -s; /* exact: at most 24 bits */
    } else {
        for (i = 23; i >= 0; i--) mant = mant << 1 | k2onnx__big_bit(q, s + i);
        for (i = 0; i < (s - 1) / 32; i++) sticky |= q->w[i] != 0;
        for (i *= 32; i < s - 1; i++) sticky |= (int)k2onnx__big_bit(q, i);
        if (k2onnx__big_bit(q, s - 1) && (sticky || (mant & 1u))) mant++;
    }
    mant += biased ? (uint32_t)(biased - 1) << 23 : 0u; /* a carry out of the significand moves the exponent */
    return mant < 0x7f800000u ? mant : 0x7f800000u;
}

/* float64 bits to the nearest float32; NaN keeps its sign and the top of its payload. */
static float k2onnx__f32_from_f64_bits(uint64_t u)
{
    uint32_t sign = (uint32_t)(u >> 32) & 0x80000000u, e = (uint32_t)(u >> 52) & 0x7ffu;
    uint64_t man = u & 0xfffffffffffffull;
    k2onnx__big q;
    if (e == 0x7ff) return k2onnx__f32_from_bits(sign | 0x7f800000u | (man ? 0x400000u | (uint32_t)(man >> 29) : 0u));
    k2onnx__big_set(&q, e ? man | (uint64_t)1 << 52 : man);
    return k2onnx__f32_from_bits(sign | k2onnx__round_f32(&q, (long)(e ? e : 1) - 1075, 0));
}

/* True when [off, off+len) lies inside a buffer of `size` bytes, without overflow. */
static int k2onnx__in_bounds(uint64_t size, uint64_t off, uint64_t len)
{
    return off <= size && len <= size - off;
}

#if K2ONNX__INFLATE
/* --- inflate (RFC 1951) with the zlib wrapper (RFC 1950): HDF5 deflate filter and ZIP members --- */

/* Huffman codes up to this many bits decode with one table lookup; longer (rare) codes are
   decoded bit by bit from the same canonical tables. */
#define K2ONNX__FAST_BITS 10

typedef struct k2onnx__huffman {
    unsigned short fast[1u << K2ONNX__FAST_BITS]; /* next bits -> symbol | length << 9; 0: longer code */
    unsigned short count[16];                     /* codes of each length */
    unsigned short symbol[288];                   /* symbols ordered by code */
} k2onnx__huffman;

/* The literal/length and distance tables: about 5 KB, taken from the arena, not the stack. */
typedef struct k2onnx__inflate_tables {
    k2onnx__huffman lit, dist;
} k2onnx__inflate_tables;

/* One set per conversion, reused by every deflated chunk and ZIP member. */
static k2onnx__inflate_tables *k2onnx__inflate_tables_of(k2onnx__ctx *ctx)
{
    if (!ctx->inflate_tables) ctx->inflate_tables = (k2onnx__inflate_tables *)k2onnx__alloc(ctx, sizeof *ctx->inflate_tables);
    return ctx->inflate_tables;
}

typedef struct k2onnx__inflate {
    const unsigned char *in;
    size_t in_len, in_pos;
    uint64_t bitbuf;  /* the next input bits, least significant first */
    unsigned bitcnt;  /* valid bits in bitbuf */
    unsigned pad;     /* zero bytes appended after the input ran out */
    unsigned char *out;
    size_t out_cap, out_pos;
    k2onnx__inflate_tables *t;
    const char *error;
} k2onnx__inflate;

/* Tops the bit buffer up to at least 56 bits: 48 cover the longest length/distance pair. Past
   the end of the input it appends zero bytes and counts them; consuming one is an error. */
static inline void k2onnx__inf_refill(k2onnx__inflate *s)
{
    if (s->in_len - s->in_pos >= 8) {
        const unsigned char *p = s->in + s->in_pos;
        uint64_t v = (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 |
                     (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
        /* Whole bytes that fit are taken; the bits of a partly fitting byte are added again by the
           next refill at the same place, so they are the input's own bits either way. */
        s->bitbuf |= v << s->bitcnt;
        s->in_pos += (63u - s->bitcnt) >> 3;
        s->bitcnt |= 56u;
        return;
    }
    while (s->bitcnt <= 56u) {
        if (s->in_pos < s->in_len) s->bitbuf |= (uint64_t)s->in[s->in_pos++] << s->bitcnt;
        else s->pad++;
        s->bitcnt += 8u;
    }
}

/* True (and the error set) once bits past the end of the input were consumed. */
static int k2onnx__inf_overrun(k2onnx__inflate *s)
{
    if (s->bitcnt >= 8u * s->pad) return 0;
    if (!s->error) s->error = K2ONNX__WHY("compressed data ends early");
    return 1;
}

static inline void k2onnx__inf_drop(k2onnx__inflate *s, unsigned n)
{
    s->bitbuf >>= n;
    s->bitcnt -= n;
}

static unsigned k2onnx__inf_bits(k2onnx__inflate *s, unsigned need)
{
    unsigned v;
    if (s->bitcnt < need) k2onnx__inf_refill(s);
    v = (unsigned)(s->bitbuf & ((1u << need) - 1u));
    k2onnx__inf_drop(s, need);
    return k2onnx__inf_overrun(s) ? 0 : v;
}

/* Goes to the next byte boundary and gives the whole bytes still buffered back to the input
   (stored blocks and the zlib trailer are read from in_pos). */
static int k2onnx__inf_align(k2onnx__inflate *s)
{
    size_t unread;
    k2onnx__inf_drop(s, s->bitcnt & 7u);
    if (k2onnx__inf_overrun(s)) return 0;
    unread = s->bitcnt / 8u - s->pad;
    s->in_pos -= unread;
    s->bitbuf = 0;
    s->bitcnt = 0;
    s->pad = 0;
    return 1;
}

/* Builds canonical code tables; returns 0 for an over-subscribed set of lengths. */
static int k2onnx__huff_build(k2onnx__huffman *h, const unsigned char *lengths, unsigned n)
{
    unsigned short offs[16], next[16];
    unsigned i, len, code = 0;
    int left = 1;
    memset(h->count, 0, sizeof h->count);
    memset(h->fast, 0, sizeof h->fast);
    for (i = 0; i < n; i++) h->count[lengths[i]]++;
    for (len = 1; len < 16; len++) {
        left = left * 2 - h->count[len];
        if (left < 0) return 0;
    }
    offs[1] = 0;
    for (len = 1; len < 15; len++) offs[len + 1] = (unsigned short)(offs[len] + h->count[len]);
    for (len = 1; len < 16; len++) {
        next[len] = (unsigned short)code;
        code = (code + h->count[len]) << 1;
    }
    for (i = 0; i < n; i++) {
        unsigned l = lengths[i], c, rev = 0, k;
        if (!l) continue;
        h->symbol[offs[l]++] = (unsigned short)i;
        c = next[l]++;
        if (l > K2ONNX__FAST_BITS) continue;
        /* Deflate sends codes most significant bit first into a stream read from bit 0 up. */
        for (k = 0; k < l; k++) rev |= ((c >> k) & 1u) << (l - 1u - k);
        for (k = rev; k < (1u << K2ONNX__FAST_BITS); k += 1u << l) h->fast[k] = (unsigned short)(i | l << 9);
    }
    return 1;
}

/* A code longer than the fast table covers, walked bit by bit through the canonical counts;
   returns symbol | length << 9 like a fast-table entry, 0 for a code the table does not have. */
static unsigned k2onnx__huff_slow(const k2onnx__huffman *h, uint64_t bits)
{
    int code = 0, first = 0, index = 0;
    unsigned len;
    for (len = 1; len < 16; len++) {
        int count = h->count[len];
        code |= (int)(bits & 1u);
        bits >>= 1;
        if (code - count < first) return h->symbol[index + (code - first)] | len << 9;
        index += count;
        first = (first + count) << 1;
        code <<= 1;
    }
    return 0;
}

/* Decodes one symbol; the caller has refilled the bit buffer and checks for overrun. */
static inline int k2onnx__huff_decode(k2onnx__inflate *s, const k2onnx__huffman *h)
{
    unsigned e = h->fast[s->bitbuf & ((1u << K2ONNX__FAST_BITS) - 1u)];
    if (!e && !(e = k2onnx__huff_slow(h, s->bitbuf))) {
        s->error = K2ONNX__WHY("invalid Huffman code");
        return -1;
    }
    k2onnx__inf_drop(s, e >> 9);
    return (int)(e & 0x1ffu);
}

static int k2onnx__inf_codes_in(k2onnx__inflate *s)
{
    static const unsigned short len_base[29] = {3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
                                                35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
    static const unsigned char len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
                                                3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
    static const unsigned short dist_base[30] = {1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129,
                                                 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
                                                 4097, 6145, 8193, 12289, 16385, 24577};
    static const unsigned char dist_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6,
                                                 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
    unsigned char *out = s->out;
    const k2onnx__huffman *lit = &s->t->lit, *dist = &s->t->dist;
    for (;;) {
        int sym;
        k2onnx__inf_refill(s);
        if (s->pad && k2onnx__inf_overrun(s)) return 0;
        sym = k2onnx__huff_decode(s, lit);
        if (sym < 0) return 0;
        if (sym < 256) {
            if (s->out_pos >= s->out_cap) { s->error = K2ONNX__WHY("decompressed data is larger than the chunk"); return 0; }
            out[s->out_pos++] = (unsigned char)sym;
        } else if (sym == 256) {
            return !k2onnx__inf_overrun(s);
        } else {
            size_t len, d, from;
            int ds;
            sym -= 257;
            if (sym >= 29) { s->error = K2ONNX__WHY("invalid length code"); return 0; }
            len = len_base[sym] + (unsigned)(s->bitbuf & ((1u << len_extra[sym]) - 1u));
            k2onnx__inf_drop(s, len_extra[sym]);
            ds = k2onnx__huff_decode(s, dist);
            if (ds < 0) return 0;
            if (ds >= 30) { s->error = K2ONNX__WHY("invalid distance code"); return 0; }
            d = dist_base[ds] + (unsigned)(s->bitbuf & ((1u << dist_extra[ds]) - 1u));
            k2onnx__inf_drop(s, dist_extra[ds]);
            if (k2onnx__inf_overrun(s)) return 0;
            if (d > s->out_pos) { s->error = K2ONNX__WHY("distance reaches before the start of the data"); return 0; }
            if (len > s->out_cap - s->out_pos) { s->error = K2ONNX__WHY("decompressed data is larger than the chunk"); return 0; }
            from = s->out_pos - d;
            if (d >= len) {
                memcpy(out + s->out_pos, out + from, len);
                s->out_pos += len;
            } else {
                /* An overlapping copy repeats the last d bytes, byte by byte on purpose. */
                while (len--) out[s->out_pos++] = out[from++];
            }
        }
    }
}

/* The decoding loop runs on a local copy of the state, so that the compiler can keep the bit
   buffer in registers: stores into the output could otherwise alias it. */
static int k2onnx__inf_codes(k2onnx__inflate *s)
{
    k2onnx__inflate local = *s;
    int ok = k2onnx__inf_codes_in(&local);
    *s = local;
    return ok;
}

static int k2onnx__inf_stored(k2onnx__inflate *s)
{
    unsigned len, nlen;
    if (!k2onnx__inf_align(s)) return 0;
    if (s->in_len - s->in_pos < 4) { s->error = K2ONNX__WHY("compressed data ends early"); return 0; }
    len = s->in[s->in_pos] | (unsigned)s->in[s->in_pos + 1] << 8;
    nlen = s->in[s->in_pos + 2] | (unsigned)s->in[s->in_pos + 3] << 8;
    s->in_pos += 4;
    if (len != (~nlen & 0xffffu)) { s->error = K2ONNX__WHY("stored block length check fails"); return 0; }
    if (len > s->in_len - s->in_pos) { s->error = K2ONNX__WHY("compressed data ends early"); return 0; }
    if (len > s->out_cap - s->out_pos) { s->error = K2ONNX__WHY("decompressed data is larger than the chunk"); return 0; }
    if (len) memcpy(s->out + s->out_pos, s->in + s->in_pos, len);
    s->in_pos += len;
    s->out_pos += len;
    return 1;
}

static int k2onnx__inf_fixed(k2onnx__inflate *s)
{
    unsigned char lengths[288];
    unsigned i;
    for (i = 0; i < 144; i++) lengths[i] = 8;
    for (; i < 256; i++) lengths[i] = 9;
    for (; i < 280; i++) lengths[i] = 7;
    for (; i < 288; i++) lengths[i] = 8;
    k2onnx__huff_build(&s->t->lit, lengths, 288);
    for (i = 0; i < 30; i++) lengths[i] = 5;
    k2onnx__huff_build(&s->t->dist, lengths, 30);
    return k2onnx__inf_codes(s);
}

static int k2onnx__inf_dynamic(k2onnx__inflate *s)
{
    static const unsigned char order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
    unsigned char lengths[320];
    k2onnx__huffman *lit = &s->t->lit;
    unsigned nlen = k2onnx__inf_bits(s, 5) + 257, ndist = k2onnx__inf_bits(s, 5) + 1, ncode = k2onnx__inf_bits(s, 4) + 4, i;
    if (s->error) return 0;
    if (nlen > 286 || ndist > 30) { s->error = K2ONNX__WHY("invalid dynamic block header"); return 0; }
    memset(lengths, 0, sizeof lengths);
    for (i = 0; i < ncode; i++) lengths[order[i]] = (unsigned char)k2onnx__inf_bits(s, 3);
    if (s->error) return 0;
    if (!k2onnx__huff_build(lit, lengths, 19)) { s->error = K2ONNX__WHY("invalid code-length code"); return 0; }
    memset(lengths, 0, sizeof lengths);
    for (i = 0; i < nlen + ndist;) {
        int sym;
        unsigned repeat, value = 0;
        k2onnx__inf_refill(s);
        sym = k2onnx__huff_decode(s, lit);
        if (sym < 0) return 0;
        if (sym < 16) {
            lengths[i++] = (unsigned char)sym;
            continue;
        }
        if (sym == 16) {
            if (i == 0) { s->error = K2ONNX__WHY("length repeat with no previous length"); return 0; }
            value = lengths[i - 1];
            repeat = 3 + k2onnx__inf_bits(s, 2);
        } else if (sym == 17) {
            repeat = 3 + k2onnx__inf_bits(s, 3);
        } else {
            repeat = 11 + k2onnx__inf_bits(s, 7);
        }
        if (s->error) return 0;
        if (i + repeat > nlen + ndist) { s->error = K2ONNX__WHY("code lengths overflow"); return 0; }
        while (repeat--) lengths[i++] = (unsigned char)value;
    }
    if (k2onnx__inf_overrun(s)) return 0;
    if (lengths[256] == 0) { s->error = K2ONNX__WHY("no end-of-block code"); return 0; }
    if (!k2onnx__huff_build(lit, lengths, nlen) || !k2onnx__huff_build(&s->t->dist, lengths + nlen, ndist)) {
        s->error = K2ONNX__WHY("invalid literal or distance code lengths");
        return 0;
    }
    return k2onnx__inf_codes(s);
}

#ifndef K2ONNX_NO_H5_CHUNKED
#ifdef K2ONNX__SSE2
/* The sixteen bytes of x weighted 16..1, as 32-bit partial sums in four lanes. */
static __m128i k2onnx__adler32_weighted(__m128i x)
{
    const __m128i zero = _mm_setzero_si128();
    const __m128i w_lo = _mm_setr_epi16(16, 15, 14, 13, 12, 11, 10, 9), w_hi = _mm_setr_epi16(8, 7, 6, 5, 4, 3, 2, 1);
    return _mm_add_epi32(_mm_madd_epi16(_mm_unpacklo_epi8(x, zero), w_lo), _mm_madd_epi16(_mm_unpackhi_epi8(x, zero), w_hi));
}

/* The n bytes at p (a multiple of 16, at most 5552) added to the Adler-32 sums a and b, reduced.
   Sixteen bytes a step: their sum by psadbw, their sum weighted 16..1 by pmaddwd on the bytes
   widened to 16 bits; over the steps b also gains 16 times the bytes of every earlier step (prev
   below). Within 5552 bytes every lane stays below 2^32. */
static void k2onnx__adler32_sse2(uint32_t *a, uint32_t *b, const unsigned char *p, size_t n)
{
    const __m128i zero = _mm_setzero_si128();
    __m128i sum = zero, prev = zero, weighted = zero;
    uint64_t s, e, w;
    size_t i;
    for (i = 0; i + 32 <= n; i += 32) {
        /* two steps: the second's earlier bytes are the first's plus its own */
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i)), y = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 16));
        __m128i sx = _mm_sad_epu8(x, zero);
        prev = _mm_add_epi32(prev, _mm_add_epi32(_mm_add_epi32(sum, sum), sx));
        sum = _mm_add_epi32(sum, _mm_add_epi32(sx, _mm_sad_epu8(y, zero)));
        weighted = _mm_add_epi32(weighted, _mm_add_epi32(k2onnx__adler32_weighted(x), k2onnx__adler32_weighted(y)));
    }
    if (i < n) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        prev = _mm_add_epi32(prev, sum);
        sum = _mm_add_epi32(sum, _mm_sad_epu8(x, zero));
        weighted = _mm_add_epi32(weighted, k2onnx__adler32_weighted(x));
    }
    k2onnx__lane_totals(sum, prev, weighted, &s, &e, &w);
    *b = (uint32_t)((*b + (uint64_t)n * *a + 16u * e + w) % 65521u);
    *a = (uint32_t)((*a + s) % 65521u);
}
#endif

/* Adler-32, eight bytes per step: b gains 8a plus the bytes weighted 8..1, the sum the byte by
   byte loop reaches, so the same reduction interval keeps it below 2^32. */
static uint32_t k2onnx__adler32(const unsigned char *p, size_t n)
{
    uint32_t a = 1, b = 0;
    while (n > 0) {
        size_t run = n < 5552 ? n : 5552; /* keeps the sums below 2^32 between reductions */
        n -= run;
#ifdef K2ONNX__SSE2
        if (run >= 16) {
            size_t bulk = run & ~(size_t)15;
            k2onnx__adler32_sse2(&a, &b, p, bulk);
            p += bulk;
            run -= bulk;
        }
#endif
        for (; run >= 8; run -= 8, p += 8) {
            uint32_t s0 = (uint32_t)p[0] + p[1] + p[2] + p[3], s1 = (uint32_t)p[4] + p[5] + p[6] + p[7];
            b += 8u * a + 8u * p[0] + 7u * p[1] + 6u * p[2] + 5u * p[3] + 4u * p[4] + 3u * p[5] + 2u * p[6] + p[7];
            a += s0 + s1;
        }
        while (run--) {
            a += *p++;
            b += a;
        }
        a %= 65521u;
        b %= 65521u;
    }
    return (b << 16) | a;
}
#endif

/* Inflates raw deflate blocks from s->in[s->in_pos..]; sets s->error on failure. On success
   s->in_pos is the first byte after the stream. */
static void k2onnx__inflate_blocks(k2onnx__inflate *s)
{
    int last = 0;
    while (!last) {
        unsigned type;
        int ok;
        last = (int)k2onnx__inf_bits(s, 1);
        type = k2onnx__inf_bits(s, 2);
        if (s->error) return;
        if (type == 0) ok = k2onnx__inf_stored(s);
        else if (type == 1) ok = k2onnx__inf_fixed(s);
        else if (type == 2) ok = k2onnx__inf_dynamic(s);
        else { s->error = K2ONNX__WHY("invalid block type"); ok = 0; }
        if (!ok) return;
    }
    k2onnx__inf_align(s);
}

static void k2onnx__inflate_start(k2onnx__inflate *s, k2onnx__inflate_tables *t, const unsigned char *in, size_t in_len,
                                  unsigned char *out, size_t cap)
{
    memset(s, 0, sizeof *s);
    s->t = t;
    s->in = in;
    s->in_len = in_len;
    s->out = out;
    s->out_cap = cap;
}

#ifndef K2ONNX_NO_ZIP
/* Inflates a raw deflate stream (a ZIP member) into out[0..cap); returns the size or sets *error. */
static size_t k2onnx__raw_inflate(k2onnx__inflate_tables *t, const unsigned char *in, size_t in_len, unsigned char *out, size_t cap,
                                  const char **error)
{
    k2onnx__inflate s;
    k2onnx__inflate_start(&s, t, in, in_len, out, cap);
    k2onnx__inflate_blocks(&s);
    *error = s.error;
    return s.out_pos;
}
#endif

#ifndef K2ONNX_NO_H5_CHUNKED
/* Inflates a zlib stream into out[0..cap); returns the size or sets *error. */
static size_t k2onnx__zlib_inflate(k2onnx__inflate_tables *t, const unsigned char *in, size_t in_len, unsigned char *out, size_t cap,
                                   const char **error)
{
    k2onnx__inflate s;
    if (in_len < 6 || (in[0] & 0x0fu) != 8 || ((unsigned)in[0] << 8 | in[1]) % 31u != 0 || (in[1] & 0x20u)) {
        *error = K2ONNX__WHY("not a zlib stream");
        return 0;
    }
    k2onnx__inflate_start(&s, t, in, in_len, out, cap);
    s.in_pos = 2;
    k2onnx__inflate_blocks(&s);
    if (!s.error) {
        if (s.in_len - s.in_pos < 4) s.error = K2ONNX__WHY("zlib checksum is missing");
        else if (K2ONNX__VERIFY_SUMS && k2onnx__be(in + s.in_pos, 4) != k2onnx__adler32(out, s.out_pos)) s.error = K2ONNX__WHY("zlib checksum mismatch");
    }
    *error = s.error;
    return s.out_pos;
}
#endif

#endif

#ifndef K2ONNX_NO_ZIP
/* CRC-32 (IEEE, reflected), as ZIP stores it, sixteen bytes per step ("slicing by 16"), on
   three blocks at a time. The sixteen 256-entry tables and the four that shift a CRC over a
   block of zero bytes (20 KB) are computed into the arena on first use, so firmware pays in
   memory only when it reads a .keras archive, never in code size. In a caller's buffer only
   the first table is made (1 KB) and the CRC goes a byte at a time: there, as for the
   reordering buffer, fitting matters more than speed. */
#define K2ONNX__CRC_BLOCK 4096u

/* The CRC register after 16 more bytes at p. */
static uint32_t k2onnx__crc32_step16(const uint32_t *t, uint32_t c, const unsigned char *p)
{
    uint32_t w0 = c ^ k2onnx__le32_at(p), w1 = k2onnx__le32_at(p + 4), w2 = k2onnx__le32_at(p + 8), w3 = k2onnx__le32_at(p + 12);
    return t[15 * 256 + (w0 & 0xffu)] ^ t[14 * 256 + (w0 >> 8 & 0xffu)] ^ t[13 * 256 + (w0 >> 16 & 0xffu)] ^ t[12 * 256 + (w0 >> 24)] ^
           t[11 * 256 + (w1 & 0xffu)] ^ t[10 * 256 + (w1 >> 8 & 0xffu)] ^ t[9 * 256 + (w1 >> 16 & 0xffu)] ^ t[8 * 256 + (w1 >> 24)] ^
           t[7 * 256 + (w2 & 0xffu)] ^ t[6 * 256 + (w2 >> 8 & 0xffu)] ^ t[5 * 256 + (w2 >> 16 & 0xffu)] ^ t[4 * 256 + (w2 >> 24)] ^
           t[3 * 256 + (w3 & 0xffu)] ^ t[2 * 256 + (w3 >> 8 & 0xffu)] ^ t[256 + (w3 >> 16 & 0xffu)] ^ t[w3 >> 24];
}

/* The register r after K2ONNX__CRC_BLOCK zero bytes (a linear map: one lookup per byte of r). */
static uint32_t k2onnx__crc32_shift(const uint32_t *t, uint32_t r)
{
    const uint32_t *z = t + 16u * 256u;
    return z[r & 0xffu] ^ z[256 + (r >> 8 & 0xffu)] ^ z[512 + (r >> 16 & 0xffu)] ^ z[768 + (r >> 24)];
}

/* m applied to v, for a linear map m given by where it sends each of the 32 bits. */
static uint32_t k2onnx__crc32_apply(const uint32_t *m, uint32_t v)
{
    uint32_t r = 0;
    unsigned k;
    for (k = 0; k < 32; k++)
        if (v >> k & 1u) r ^= m[k];
    return r;
}

/* The tables of k2onnx__crc32: all twenty when `sliced`, else the first alone. */
static uint32_t *k2onnx__crc32_tables(k2onnx__ctx *ctx, int sliced)
{
    static const unsigned char zeros[16] = {0};
    uint32_t *t = (uint32_t *)k2onnx__alloc(ctx, (sliced ? 20u : 1u) * 256u * sizeof(uint32_t)), basis[32], twice[32];
    unsigned i, k, len;
    if (!t) return NULL;
    for (i = 0; i < 256; i++) {
        uint32_t c = i;
        for (k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
        t[i] = c;
    }
    if (!sliced) return t;
    /* t[k][i]: the CRC of byte i followed by k zero bytes. */
    for (i = 0; i < 256; i++)
        for (k = 1; k < 16; k++) t[k * 256u + i] = (t[(k - 1u) * 256u + i] >> 8) ^ t[t[(k - 1u) * 256u + i] & 0xffu];
    /* The shift tables from where each bit of the register goes over a block of zeros: over 16
       bytes by one step, then the map over twice as many bytes is the map applied twice
       (K2ONNX__CRC_BLOCK is 16 times a power of two). */
    for (i = 0; i < 32; i++) basis[i] = k2onnx__crc32_step16(t, (uint32_t)1 << i, zeros);
    for (len = 16; len < K2ONNX__CRC_BLOCK; len *= 2) {
        for (i = 0; i < 32; i++) twice[i] = k2onnx__crc32_apply(basis, basis[i]);
        memcpy(basis, twice, sizeof basis);
    }
    for (i = 0; i < 4u * 256u; i++) {
        uint32_t v = 0;
        for (k = 0; k < 8; k++)
            if (i >> k & 1u) v ^= basis[(i >> 8) * 8u + k];
        t[16u * 256u + i] = v;
    }
    return t;
}

#if !defined(K2ONNX_NO_SIMD) && defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(__TINYC__)
#include <immintrin.h>
#define K2ONNX__CLMUL 1
#define K2ONNX__CLMUL_TARGET __attribute__((target("pclmul,sse4.1")))
#define K2ONNX__VCLMUL_TARGET __attribute__((target("vpclmulqdq,avx2,pclmul,sse4.1")))

/* Carry-less multiplies (Intel's "Fast CRC Computation for Generic Polynomials Using
   PCLMULQDQ"): 128-bit lanes of the input are folded forward by multiplying with powers of x
   modulo the bit-reflected polynomial, then a Barrett reduction brings the 64-bit remainder to
   the 32-bit register. A constant written x^e below is x^e mod P, bit-reflected, shifted left
   by one. */

/* x^(128-32), x^(128+32): one 128-bit lane folded over the next */
#define K2ONNX__CRC_FOLD1 _mm_set_epi64x(0x0ccaa009eLL, 0x1751997d0LL)

/* Folds a over 16 more bytes and adds them. */
K2ONNX__CLMUL_TARGET static __m128i k2onnx__crc32_fold16(__m128i a, __m128i next)
{
    const __m128i fold1 = K2ONNX__CRC_FOLD1;
    return _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(a, fold1, 0x00), _mm_clmulepi64_si128(a, fold1, 0x11)), next);
}

/* The register from the folded remainder a followed by the n bytes at p (n a multiple of 16). */
K2ONNX__CLMUL_TARGET static uint32_t k2onnx__crc32_clmul_finish(__m128i a, const unsigned char *p, size_t n)
{
    const __m128i fold1 = K2ONNX__CRC_FOLD1;
    const __m128i k5 = _mm_set_epi64x(0, 0x163cd6124LL);                  /* x^64 */
    const __m128i barrett = _mm_set_epi64x(0x1f7011641LL, 0x1db710641LL); /* mu, P */
    const __m128i low32 = _mm_setr_epi32(-1, 0, -1, 0);
    __m128i t;
    for (; n >= 16; p += 16, n -= 16) a = k2onnx__crc32_fold16(a, _mm_loadu_si128((const __m128i *)p));
    /* 128 bits to 64, then 64 to 32 (Barrett). */
    a = _mm_xor_si128(_mm_srli_si128(a, 8), _mm_clmulepi64_si128(a, fold1, 0x10));
    a = _mm_xor_si128(_mm_srli_si128(a, 4), _mm_clmulepi64_si128(_mm_and_si128(a, low32), k5, 0x00));
    t = _mm_clmulepi64_si128(_mm_and_si128(a, low32), barrett, 0x10);
    t = _mm_clmulepi64_si128(_mm_and_si128(t, low32), barrett, 0x00);
    return (uint32_t)_mm_extract_epi32(_mm_xor_si128(a, t), 1);
}

/* The CRC register after the n bytes at p (n >= 64, a multiple of 16): four lanes fold 64 bytes
   a step. */
K2ONNX__CLMUL_TARGET static uint32_t k2onnx__crc32_clmul(uint32_t c, const unsigned char *p, size_t n)
{
    const __m128i fold4 = _mm_set_epi64x(0x1c6e41596LL, 0x154442bd4LL); /* x^(4*128-32), x^(4*128+32) */
    __m128i a = _mm_xor_si128(_mm_loadu_si128((const __m128i *)p), _mm_cvtsi32_si128((int)c));
    __m128i b = _mm_loadu_si128((const __m128i *)(p + 16));
    __m128i d = _mm_loadu_si128((const __m128i *)(p + 32));
    __m128i e = _mm_loadu_si128((const __m128i *)(p + 48));
    for (p += 64, n -= 64; n >= 64; p += 64, n -= 64) {
        a = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(a, fold4, 0x00), _mm_clmulepi64_si128(a, fold4, 0x11)), _mm_loadu_si128((const __m128i *)p));
        b = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(b, fold4, 0x00), _mm_clmulepi64_si128(b, fold4, 0x11)), _mm_loadu_si128((const __m128i *)(p + 16)));
        d = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(d, fold4, 0x00), _mm_clmulepi64_si128(d, fold4, 0x11)), _mm_loadu_si128((const __m128i *)(p + 32)));
        e = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(e, fold4, 0x00), _mm_clmulepi64_si128(e, fold4, 0x11)), _mm_loadu_si128((const __m128i *)(p + 48)));
    }
    return k2onnx__crc32_clmul_finish(k2onnx__crc32_fold16(k2onnx__crc32_fold16(k2onnx__crc32_fold16(a, b), d), e), p, n);
}

/* The same with 256-bit carry-less multiplies (VPCLMULQDQ): eight lanes fold 128 bytes a step,
   twice the independent work per step, so the multiplier's latency is hidden (n >= 128, a
   multiple of 16). */
K2ONNX__VCLMUL_TARGET static uint32_t k2onnx__crc32_vclmul(uint32_t c, const unsigned char *p, size_t n)
{
    const __m256i fold8 = _mm256_set_epi64x(0x14a7fe880LL, 0x1e88ef372LL, 0x14a7fe880LL, 0x1e88ef372LL); /* x^(8*128-32), x^(8*128+32) */
    __m256i y[4];
    __m128i a;
    unsigned k;
    for (k = 0; k < 4; k++) y[k] = _mm256_loadu_si256((const __m256i *)(p + 32 * k));
    y[0] = _mm256_xor_si256(y[0], _mm256_zextsi128_si256(_mm_cvtsi32_si128((int)c)));
    for (p += 128, n -= 128; n >= 128; p += 128, n -= 128)
        for (k = 0; k < 4; k++)
            y[k] = _mm256_xor_si256(_mm256_xor_si256(_mm256_clmulepi64_epi128(y[k], fold8, 0x00), _mm256_clmulepi64_epi128(y[k], fold8, 0x11)),
                                    _mm256_loadu_si256((const __m256i *)(p + 32 * k)));
    /* the eight lanes in input order into one */
    a = _mm256_castsi256_si128(y[0]);
    for (k = 0; k < 4; k++) {
        if (k) a = k2onnx__crc32_fold16(a, _mm256_castsi256_si128(y[k]));
        a = k2onnx__crc32_fold16(a, _mm256_extracti128_si256(y[k], 1));
    }
    return k2onnx__crc32_clmul_finish(a, p, n);
}

static int k2onnx__has_clmul(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
}

/* Asked only where k2onnx__has_clmul said yes. */
static int k2onnx__has_vclmul(void)
{
    return __builtin_cpu_supports("vpclmulqdq") && __builtin_cpu_supports("avx2");
}
#endif

/* The CRC-32 of n bytes at p, with the tables k2onnx__crc32_tables made for the same `sliced`. */
static uint32_t k2onnx__crc32(const uint32_t *t, int sliced, const unsigned char *p, size_t n)
{
    const size_t B = K2ONNX__CRC_BLOCK;
    uint32_t c = 0xffffffffu;
#ifdef K2ONNX__CLMUL
    if (n >= 64 && k2onnx__has_clmul()) {
        size_t bulk = n & ~(size_t)15;
        c = n >= 128 && k2onnx__has_vclmul() ? k2onnx__crc32_vclmul(c, p, bulk) : k2onnx__crc32_clmul(c, p, bulk);
        p += bulk;
        n -= bulk;
    }
#endif
    /* Three blocks' CRCs run side by side (the lookups of one wait on none of the others), then
       join: the register is linear in its start value, so the first block's register is shifted
       over the next block and the second block's, started from zero, added. */
    for (; sliced && n >= 3 * B; n -= 3 * B, p += 3 * B) {
        uint32_t a = c, b = 0, d = 0;
        size_t i;
        for (i = 0; i < B; i += 16) {
            a = k2onnx__crc32_step16(t, a, p + i);
            b = k2onnx__crc32_step16(t, b, p + B + i);
            d = k2onnx__crc32_step16(t, d, p + 2 * B + i);
        }
        c = k2onnx__crc32_shift(t, k2onnx__crc32_shift(t, a) ^ b) ^ d;
    }
    for (; sliced && n >= 16; n -= 16, p += 16) c = k2onnx__crc32_step16(t, c, p);
    while (n--) c = (c >> 8) ^ t[(c ^ *p++) & 0xffu];
    return ~c;
}

#endif

/* ============================================================================================
   2. HDF5 reader
   Reads what h5py/libhdf5 write: superblock v0-v3 (user blocks), object headers v1/v2 with
   continuations, symbol-table groups (v1 B-trees, SNOD, local heap), compact and dense links
   and attributes (fractal heap + v2 B-tree name index), committed datatypes, global heap
   strings, compact/contiguous/chunked datasets with every chunk index (v1 B-tree, single,
   implicit, fixed array, extensible array, v2 B-tree), fill values, and the deflate, shuffle
   and Fletcher-32 filters. Every address and length is checked against the buffer before use,
   and every v2 metadata checksum is verified.
   ============================================================================================ */

typedef struct k2onnx__h5 {
    k2onnx__ctx *ctx;
    const unsigned char *buf;
    uint64_t size;
    uint64_t base;          /* file addresses are relative to this offset */
    unsigned so, sl;        /* sizes of offsets and lengths */
    uint64_t root_addr;     /* object header address of "/" */
    unsigned superblock_version;
} k2onnx__h5;

/* A bounds-checked reading position; a read past `end` sets `bad` and yields zeros. */
typedef struct k2onnx__cur {
    const k2onnx__h5 *f;
    uint64_t pos, end;
    int bad;
} k2onnx__cur;

static k2onnx__cur k2onnx__cursor(const k2onnx__h5 *f, uint64_t pos, uint64_t len)
{
    k2onnx__cur c;
    c.f = f;
    c.pos = pos;
    c.bad = !k2onnx__in_bounds(f->size, pos, len);
    c.end = c.bad ? pos : pos + len;
    return c;
}

static uint64_t k2onnx__cur_uint(k2onnx__cur *c, unsigned n)
{
    uint64_t v;
    if (c->bad || c->end - c->pos < n) {
        c->bad = 1;
        return 0;
    }
    v = k2onnx__le(c->f->buf + c->pos, n);
    c->pos += n;
    return v;
}

static void k2onnx__cur_skip(k2onnx__cur *c, uint64_t n)
{
    if (c->bad || c->end - c->pos < n) c->bad = 1;
    else c->pos += n;
}

static const unsigned char *k2onnx__cur_bytes(k2onnx__cur *c, uint64_t n)
{
    const unsigned char *p;
    if (c->bad || c->end - c->pos < n) {
        c->bad = 1;
        return NULL;
    }
    p = c->f->buf + c->pos;
    c->pos += n;
    return p;
}

/* Reads a file address and turns it into a buffer offset; undefined addresses stay undefined. */
static uint64_t k2onnx__cur_addr(k2onnx__cur *c)
{
    uint64_t a = k2onnx__cur_uint(c, c->f->so);
    uint64_t undef = c->f->so >= 8 ? UINT64_MAX : (((uint64_t)1 << (8 * c->f->so)) - 1);
    if (a == undef) return K2ONNX__UNDEF_ADDR;
    if (a > UINT64_MAX - c->f->base) return K2ONNX__UNDEF_ADDR;
    return a + c->f->base;
}

/* Reads a run of fields spelled as in the format specification's tables, one letter a field:
   B H I Q an unsigned of 1, 2, 4 or 8 bytes, O a file address (as k2onnx__cur_addr), L a length
   of the file's length size. An upper-case letter stores into the next uint64_t * argument, the
   lower-case letter skips the field, a decimal count before a letter repeats it, spaces are for
   the reader. Returns 0 when the fields run past the cursor's end. */
static K2ONNX__MAYBE_UNUSED int k2onnx__cur_fields(k2onnx__cur *c, const char *layout, ...)
{
    va_list ap;
    va_start(ap, layout);
    while (*layout) {
        unsigned count = 0, width;
        char kind;
        while (*layout >= '0' && *layout <= '9') count = count * 10u + (unsigned)(*layout++ - '0');
        kind = *layout++;
        switch (kind | 0x20) {
        case 'b': width = 1; break;
        case 'h': width = 2; break;
        case 'i': width = 4; break;
        case 'q': width = 8; break;
        case 'o': width = c->f->so; break;
        case 'l': width = c->f->sl; break;
        default: continue;
        }
        for (count += !count; count; count--) {
            if (kind & 0x20) k2onnx__cur_skip(c, width);
            else *va_arg(ap, uint64_t *) = kind == 'O' ? k2onnx__cur_addr(c) : k2onnx__cur_uint(c, width);
        }
    }
    va_end(ap);
    return !c->bad;
}

static int k2onnx__sig(const k2onnx__h5 *f, uint64_t pos, const char *sig)
{
    return k2onnx__in_bounds(f->size, pos, 4) && memcmp(f->buf + pos, sig, 4) == 0;
}

/* Reads 12 bytes of a checksummed block into w, with the block's own checksum field (the 4 bytes
   at `hole`) read as zeros. */
static void k2onnx__lookup3_window(const unsigned char *k, size_t at, size_t n, size_t hole, unsigned char *w)
{
    size_t i;
    memset(w, 0, 12);
    memcpy(w, k + at, n);
    if (hole != (size_t)-1)
        for (i = 0; i < n; i++)
            if (at + i >= hole && at + i < hole + 4) w[i] = 0;
}

/* Jenkins lookup3 hashlittle, which HDF5 uses for its v2 metadata checksums. */
static uint32_t k2onnx__lookup3_hole(const unsigned char *k, size_t length, size_t hole)
{
#define K2ONNX__ROT(x, r) (((x) << (r)) | ((x) >> (32 - (r))))
    uint32_t a, b, c;
    size_t at = 0;
    unsigned char w[12];
    a = b = c = 0xdeadbeefu + (uint32_t)length;
    while (length > 12) {
        k2onnx__lookup3_window(k, at, 12, hole, w);
        a += (uint32_t)k2onnx__le(w, 4);
        b += (uint32_t)k2onnx__le(w + 4, 4);
        c += (uint32_t)k2onnx__le(w + 8, 4);
        a -= c; a ^= K2ONNX__ROT(c, 4); c += b;
        b -= a; b ^= K2ONNX__ROT(a, 6); a += c;
        c -= b; c ^= K2ONNX__ROT(b, 8); b += a;
        a -= c; a ^= K2ONNX__ROT(c, 16); c += b;
        b -= a; b ^= K2ONNX__ROT(a, 19); a += c;
        c -= b; c ^= K2ONNX__ROT(b, 4); b += a;
        length -= 12;
        at += 12;
    }
    if (length == 0) return c;
    k2onnx__lookup3_window(k, at, length, hole, w);
    a += (uint32_t)k2onnx__le(w, 4);
    b += (uint32_t)k2onnx__le(w + 4, 4);
    c += (uint32_t)k2onnx__le(w + 8, 4);
    c ^= b; c -= K2ONNX__ROT(b, 14);
    a ^= c; a -= K2ONNX__ROT(c, 11);
    b ^= a; b -= K2ONNX__ROT(a, 25);
    c ^= b; c -= K2ONNX__ROT(b, 16);
    a ^= c; a -= K2ONNX__ROT(c, 4);
    b ^= a; b -= K2ONNX__ROT(a, 14);
    c ^= b; c -= K2ONNX__ROT(b, 24);
    return c;
#undef K2ONNX__ROT
}

static uint32_t k2onnx__lookup3(const unsigned char *k, size_t length)
{
    return k2onnx__lookup3_hole(k, length, (size_t)-1);
}

static int k2onnx__checksum_ok(const k2onnx__h5 *f, uint64_t pos, uint64_t len)
{
    if (len < 4 || !k2onnx__in_bounds(f->size, pos, len)) return 0;
    return !K2ONNX__VERIFY_SUMS || k2onnx__lookup3(f->buf + pos, (size_t)(len - 4)) == (uint32_t)k2onnx__le(f->buf + pos + len - 4, 4);
}

static int k2onnx__h5_open(k2onnx__h5 *f, k2onnx__ctx *ctx, const unsigned char *buf, size_t size)
{
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    uint64_t at = 0, eof = K2ONNX__UNDEF_ADDR;
    k2onnx__cur c;
    memset(f, 0, sizeof *f);
    f->ctx = ctx;
    f->buf = buf;
    f->size = size;
    /* The superblock may follow a user block of 512, 1024, 2048, ... bytes. */
    for (;;) {
        if (!k2onnx__in_bounds(size, at, 8))
            return k2onnx__fail(ctx, k2onnx_result_invalid_file, "not an HDF5 file (no superblock signature)");
        if (memcmp(buf + at, sig, 8) == 0) break;
        at = at ? at * 2 : 512;
    }
    f->so = f->sl = 8;
    c = k2onnx__cursor(f, at + 8, size - at - 8);
    f->superblock_version = (unsigned)k2onnx__cur_uint(&c, 1);
    if (f->superblock_version <= 1) {
        k2onnx__cur_skip(&c, 4); /* free-space, root symbol table, reserved, shared header versions */
        f->so = (unsigned)k2onnx__cur_uint(&c, 1);
        f->sl = (unsigned)k2onnx__cur_uint(&c, 1);
        k2onnx__cur_skip(&c, 1 + 2 + 2 + 4);
        if (f->superblock_version == 1) k2onnx__cur_skip(&c, 4);
    } else if (f->superblock_version <= 3) {
        f->so = (unsigned)k2onnx__cur_uint(&c, 1);
        f->sl = (unsigned)k2onnx__cur_uint(&c, 1);
        k2onnx__cur_skip(&c, 1);
    } else {
        return k2onnx__fail(ctx, k2onnx_result_unsupported_file, "HDF5 superblock version %d is not supported",
                            (int)f->superblock_version);
    }
    if (c.bad) return k2onnx__fail(ctx, k2onnx_result_invalid_file, "HDF5 superblock is truncated");
    if (!(f->so == 2 || f->so == 4 || f->so == 8) || !(f->sl == 2 || f->sl == 4 || f->sl == 8))
        return k2onnx__fail(ctx, k2onnx_result_invalid_file, "HDF5 superblock declares offset size %d and length size %d",
                            (int)f->so, (int)f->sl);
    {
        uint64_t base = k2onnx__cur_uint(&c, f->so);
        /* Writers store the absolute position of the superblock here; a base of 0 with a user
           block would point into the user block, so fall back to the signature position. */
        f->base = (base == at || base == 0) ? at : base;
    }
    if (f->superblock_version <= 1) {
        k2onnx__cur_skip(&c, f->so); /* free-space info */
        eof = k2onnx__cur_uint(&c, f->so);
        k2onnx__cur_skip(&c, f->so); /* driver info */
        k2onnx__cur_skip(&c, f->so); /* root entry: link name offset */
        f->root_addr = k2onnx__cur_addr(&c);
    } else {
        uint64_t sb_len;
        k2onnx__cur_skip(&c, f->so); /* superblock extension */
        eof = k2onnx__cur_uint(&c, f->so);
        f->root_addr = k2onnx__cur_addr(&c);
        sb_len = c.pos + 4 - at;
        if (c.bad || !k2onnx__checksum_ok(f, at, sb_len))
            return k2onnx__fail(ctx, k2onnx_result_invalid_file, "HDF5 superblock checksum mismatch");
    }
    if (c.bad) return k2onnx__fail(ctx, k2onnx_result_invalid_file, "HDF5 superblock is truncated");
    /* Checked after the checksum, so a damaged v2/v3 superblock is reported as such. */
    if (f->base > size) return k2onnx__fail(ctx, k2onnx_result_invalid_file, "HDF5 base address is past the end of the file");
    /* Like libhdf5, refuse a file shorter than its recorded end: it was cut off. The end is
       compared as an absolute offset, user block included, as libhdf5 does. */
    if (eof != K2ONNX__UNDEF_ADDR && eof != (f->so >= 8 ? UINT64_MAX : (((uint64_t)1 << (8 * f->so)) - 1)) && eof > size)
        return k2onnx__fail(ctx, k2onnx_result_invalid_file, "HDF5 file is truncated: it should be %u bytes, it has %u",
                            (unsigned long long)eof, (unsigned long long)size);
    if (f->root_addr == K2ONNX__UNDEF_ADDR || f->root_addr >= size)
        return k2onnx__fail(ctx, k2onnx_result_invalid_file, "HDF5 root group address is outside the file");
    return 1;
}

/* --- datatypes, dataspaces, attributes ------------------------------------------------------ */

enum {
    K2ONNX__H5T_FIXED = 0, K2ONNX__H5T_FLOAT = 1, K2ONNX__H5T_TIME = 2, K2ONNX__H5T_STRING = 3,
    K2ONNX__H5T_BITFIELD = 4, K2ONNX__H5T_OPAQUE = 5, K2ONNX__H5T_COMPOUND = 6, K2ONNX__H5T_REFERENCE = 7,
    K2ONNX__H5T_ENUM = 8, K2ONNX__H5T_VLEN = 9, K2ONNX__H5T_ARRAY = 10
};

typedef struct k2onnx__h5type {
    unsigned cls;
    unsigned bits;        /* class bit field (24 bits) */
    uint64_t size;        /* bytes per element */
    int big_endian;
    int is_signed;
    unsigned bit_offset, precision;  /* fixed-point: where the value sits inside its bytes */
    unsigned str_pad;     /* strings: 0 NUL-terminated, 1 NUL-padded, 2 space-padded */
    int vlen_string;      /* class 9 holding strings */
    uint64_t base_size;   /* class 9: element size of the base type */
} k2onnx__h5type;

typedef struct k2onnx__h5space {
    int is_null;
    unsigned rank;
    uint64_t *dims;       /* rank entries each, in the arena: a header on the stack or in an */
    uint64_t *maxdims;    /* attribute array stays small whatever rank the file allows */
    uint64_t count;       /* number of elements (1 for scalar) */
} k2onnx__h5space;

typedef struct k2onnx__h5attr {
    const char *name;
    size_t name_len;
    k2onnx__h5type type;
    k2onnx__h5space space;
    uint64_t data_pos, data_size;  /* buffer offset and length of the raw value */
} k2onnx__h5attr;

enum { K2ONNX__LINK_HARD = 0, K2ONNX__LINK_SOFT = 1, K2ONNX__LINK_EXTERNAL = 64 };

typedef struct k2onnx__h5link {
    const char *name;
    size_t name_len;
    unsigned link_type;
    uint64_t addr;        /* hard links: object header; otherwise undefined */
    const char *value;    /* soft: target path; external: flags byte, file name, NUL, object path */
    size_t value_len;
} k2onnx__h5link;

typedef struct k2onnx__h5filter {
    unsigned id, flags, nvalues;
    uint32_t values[8];   /* client data; only the first few matter to the filters read here */
} k2onnx__h5filter;

enum {
    K2ONNX__CHUNK_BTREE1 = 0, K2ONNX__CHUNK_SINGLE = 1, K2ONNX__CHUNK_IMPLICIT = 2,
    K2ONNX__CHUNK_FARRAY = 3, K2ONNX__CHUNK_EARRAY = 4, K2ONNX__CHUNK_BTREE2 = 5
};
/* Data layout classes of the layout message. */
enum { K2ONNX__LAYOUT_COMPACT = 0, K2ONNX__LAYOUT_CONTIGUOUS = 1, K2ONNX__LAYOUT_CHUNKED = 2, K2ONNX__LAYOUT_VIRTUAL = 3 };
#define K2ONNX__MAX_FILTERS 16

typedef struct k2onnx__h5obj {
    uint64_t addr;
    const char *path;     /* for error messages */
    unsigned depth;       /* committed-datatype indirections followed to reach this header */
    k2onnx__h5attr *attrs;
    size_t nattrs, attrs_cap;
    k2onnx__h5link *links;
    size_t nlinks, links_cap;
    int has_symtab, has_link_info, has_attr_info;
    uint64_t btree_addr, heap_addr;              /* symbol table */
    uint64_t link_heap, link_names;              /* dense links: fractal heap, name-index v2 B-tree */
    uint64_t attr_heap, attr_names;              /* dense attributes */
    int has_type, has_space, has_layout;
    k2onnx__h5type type;
    k2onnx__h5space space;
    int layout_class;     /* K2ONNX__LAYOUT_*, as the file gives it */
    uint64_t data_pos, data_size;
    /* chunked storage */
    unsigned chunk_index, chunk_rank, chunk_layout_flags;
    uint64_t *chunk_dims;  /* chunk_rank entries (arena), the last one is the element size */
    uint64_t chunk_index_addr;
    unsigned index_params[6];
    uint64_t single_chunk_size;
    unsigned single_chunk_mask;
    k2onnx__h5filter *filters; /* nfilters entries (arena) */
    unsigned nfilters;
    int has_new_fill, fill_defined;
    uint64_t fill_pos, fill_size;
} k2onnx__h5obj;

static int k2onnx__h5_bad(const k2onnx__h5 *f, const char *path, const char *what)
{
#ifdef K2ONNX_NO_ERROR_STRINGS
    (void)what;
    return (k2onnx__fail)(f->ctx, k2onnx_result_invalid_file, "HDF5 object '%s': invalid file", path);
#else
    return k2onnx__fail(f->ctx, k2onnx_result_invalid_file, "HDF5 object '%s': %s", path, what);
#endif
}
#ifdef K2ONNX_NO_ERROR_STRINGS
#define k2onnx__h5_bad(f, path, what) (k2onnx__h5_bad)((f), (path), NULL)
#endif

#ifndef K2ONNX_NO_H5_INSPECT
static const char *k2onnx__h5_class_name(unsigned cls)
{
    static const char *const names[] = {"integer", "float", "time", "string", "bitfield", "opaque",
                                        "compound", "reference", "enum", "vlen", "array"};
    return cls < sizeof names / sizeof names[0] ? names[cls] : "unknown";
}
#endif

static int k2onnx__h5_parse_type_at(const k2onnx__h5 *f, const char *path, uint64_t pos, uint64_t len,
                                    k2onnx__h5type *t, unsigned nesting)
{
    k2onnx__cur c = k2onnx__cursor(f, pos, len);
    unsigned b0 = (unsigned)k2onnx__cur_uint(&c, 1);
    memset(t, 0, sizeof *t);
    t->cls = b0 & 0x0fu;
    t->bits = (unsigned)k2onnx__cur_uint(&c, 3);
    t->size = k2onnx__cur_uint(&c, 4);
    if (c.bad) return k2onnx__h5_bad(f, path, "truncated datatype message");
    if (nesting > 16) return k2onnx__h5_bad(f, path, "datatype nests too deeply");
    switch (t->cls) {
    case K2ONNX__H5T_FIXED:
    case K2ONNX__H5T_BITFIELD:
        t->big_endian = t->bits & 1u;
        t->is_signed = t->cls == K2ONNX__H5T_FIXED && ((t->bits >> 3) & 1u);
        t->bit_offset = (unsigned)k2onnx__cur_uint(&c, 2);
        t->precision = (unsigned)k2onnx__cur_uint(&c, 2);
        if (c.bad) return k2onnx__h5_bad(f, path, "truncated integer datatype");
        break;
    case K2ONNX__H5T_FLOAT:
        /* Bit 6 with bit 0 means VAX order, which no reader here supports. */
        if (t->bits & 0x40u)
            return k2onnx__fail(f->ctx, k2onnx_result_unsupported_file, "HDF5 object '%s': VAX-order floating point", path);
        t->big_endian = t->bits & 1u;
        break;
    case K2ONNX__H5T_STRING: t->str_pad = t->bits & 0x0fu; break;
    case K2ONNX__H5T_ENUM: {
        /* Read as its base integer type, which comes first in the properties. */
        k2onnx__h5type base;
        if (!k2onnx__h5_parse_type_at(f, path, c.pos, c.end - c.pos, &base, nesting + 1)) return 0;
        if (base.cls == K2ONNX__H5T_FIXED && base.size == t->size) {
            t->big_endian = base.big_endian;
            t->is_signed = base.is_signed;
            t->bit_offset = base.bit_offset;
            t->precision = base.precision;
            t->base_size = base.size;
        }
        break;
    }
    case K2ONNX__H5T_VLEN: {
        k2onnx__h5type base;
        t->vlen_string = (t->bits & 0x0fu) == 1u;
        t->str_pad = (t->bits >> 4) & 0x0fu;
        if (!k2onnx__h5_parse_type_at(f, path, c.pos, c.end - c.pos, &base, nesting + 1)) return 0;
        t->base_size = base.size;
        break;
    }
    default: break; /* described by class; refused by name where a value is needed */
    }
    if (t->size == 0 && t->cls != K2ONNX__H5T_VLEN) return k2onnx__h5_bad(f, path, "datatype has size 0");
    return 1;
}

static int k2onnx__h5_parse_type(const k2onnx__h5 *f, const char *path, uint64_t pos, uint64_t len, k2onnx__h5type *t)
{
    return k2onnx__h5_parse_type_at(f, path, pos, len, t, 0);
}

static int k2onnx__h5_object_at(const k2onnx__h5 *f, uint64_t addr, const char *path, k2onnx__h5obj *o, unsigned depth, int with_attrs);

/* A shared datatype message points at a committed datatype's object header. */
static int k2onnx__h5_shared_type(const k2onnx__h5 *f, const char *path, uint64_t pos, uint64_t len,
                                  unsigned depth, k2onnx__h5type *t)
{
    k2onnx__cur c = k2onnx__cursor(f, pos, len);
    unsigned version = (unsigned)k2onnx__cur_uint(&c, 1);
    unsigned kind = (unsigned)k2onnx__cur_uint(&c, 1);
    uint64_t addr;
    k2onnx__h5obj committed;
    if (version == 1) k2onnx__cur_skip(&c, 6u + f->sl); /* reserved, then an unused name offset */
    else if (version == 3 && kind == 1)
        return k2onnx__fail(f->ctx, k2onnx_result_unsupported_file,
                            "HDF5 object '%s': datatype stored in the shared object header message heap", path);
    else if (version != 2 && version != 3)
        return k2onnx__fail(f->ctx, k2onnx_result_unsupported_file, "HDF5 object '%s': shared message version %d", path, (int)version);
    addr = k2onnx__cur_addr(&c);
    if (c.bad) return k2onnx__h5_bad(f, path, "truncated shared datatype message");
    if (depth >= 4) return k2onnx__h5_bad(f, path, "committed datatypes refer to each other in a loop");
    if (!k2onnx__h5_object_at(f, addr, path, &committed, depth + 1, 0)) return 0;
    if (!committed.has_type) return k2onnx__h5_bad(f, path, "shared datatype points at an object without a datatype");
    *t = committed.type;
    return 1;
}

/* n 64-bit values in the arena (n > 0). */
static uint64_t *k2onnx__h5_u64s(const k2onnx__h5 *f, size_t n)
{
    return (uint64_t *)k2onnx__alloc(f->ctx, n * sizeof(uint64_t));
}

static int k2onnx__h5_parse_space(const k2onnx__h5 *f, const char *path, uint64_t pos, uint64_t len, k2onnx__h5space *s)
{
    k2onnx__cur c = k2onnx__cursor(f, pos, len);
    unsigned version = (unsigned)k2onnx__cur_uint(&c, 1);
    unsigned rank = (unsigned)k2onnx__cur_uint(&c, 1);
    unsigned flags = (unsigned)k2onnx__cur_uint(&c, 1), i;
    memset(s, 0, sizeof *s);
    if (version == 1) {
        k2onnx__cur_skip(&c, 5);
    } else if (version == 2) {
        unsigned kind = (unsigned)k2onnx__cur_uint(&c, 1);
        s->is_null = kind == 2;
    } else {
        return k2onnx__fail(f->ctx, k2onnx_result_unsupported_file, "HDF5 object '%s': dataspace version %d", path, (int)version);
    }
    if (rank > K2ONNX__H5_MAX_RANK)
        return k2onnx__fail(f->ctx, k2onnx_result_unsupported_file, "HDF5 object '%s': dataspace of rank %d", path, (int)rank);
    s->rank = s->is_null ? 0 : rank;
    s->count = s->is_null ? 0 : 1;
    if (s->rank) {
        s->dims = k2onnx__h5_u64s(f, 2u * s->rank);
        if (!s->dims) return 0;
        s->maxdims = s->dims + s->rank;
    }
    for (i = 0; i < s->rank; i++) {
        s->dims[i] = k2onnx__cur_uint(&c, f->sl);
        if (s->dims[i] && s->count > UINT64_MAX / s->dims[i]) return k2onnx__h5_bad(f, path, "dataspace size overflows");
        s->count *= s->dims[i];
    }
    for (i = 0; i < s->rank; i++) {
        s->maxdims[i] = (flags & 1u) ? k2onnx__cur_uint(&c, f->sl) : s->dims[i];
        if (f->sl < 8 && s->maxdims[i] == ((uint64_t)1 << (8 * f->sl)) - 1) s->maxdims[i] = UINT64_MAX;
    }
    if (c.bad) return k2onnx__h5_bad(f, path, "truncated dataspace message");
    return 1;
}

/* Parses an attribute message held anywhere in the buffer (object header or fractal heap). */
static int k2onnx__h5_add_attr(const k2onnx__h5 *f, k2onnx__h5obj *o, uint64_t pos, uint64_t len)
{
    k2onnx__cur c = k2onnx__cursor(f, pos, len);
    unsigned version = (unsigned)k2onnx__cur_uint(&c, 1);
    unsigned flags = (unsigned)k2onnx__cur_uint(&c, 1);
    uint64_t name_size, type_size, space_size;
    const unsigned char *name;
    k2onnx__h5attr *a;
    name_size = k2onnx__cur_uint(&c, 2);
    type_size = k2onnx__cur_uint(&c, 2);
    space_size = k2onnx__cur_uint(&c, 2);
    if (version == 3) k2onnx__cur_skip(&c, 1); /* name character set */
    else if (version != 1 && version != 2)
        return k2onnx__fail(f->ctx, k2onnx_result_unsupported_file, "HDF5 object '%s': attribute message version %d", o->path, (int)version);
    if (version == 1) flags = 0;
    if (flags & 0x02u)
        return k2onnx__fail(f->ctx, k2onnx_result_unsupported_file, "HDF5 object '%s': attribute with a shared dataspace", o->path);
    if (!k2onnx__reserve(f->ctx, (void **)&o->attrs, &o->attrs_cap, o->nattrs + 1, sizeof *o->attrs)) return 0;
    a = &o->attrs[o->nattrs];
    name = k2onnx__cur_bytes(&c, name_size);
    if (version == 1) k2onnx__cur_skip(&c, (8 - name_size % 8) % 8);
    if (c.bad || name_size == 0) return k2onnx__h5_bad(f, o->path, "truncated attribute message");
    a->name = (const char *)name;
    a->name_len = k2onnx__strnlen((const char *)name, (size_t)name_size);
    if (flags & 0x01u) {
        if (!k2onnx__h5_shared_type(f, o->path, c.pos, type_size, o->depth, &a->type)) return 0;
    } else if (!k2onnx__h5_parse_type(f, o->path, c.pos, type_size, &a->type)) {
        return 0;
    }
    k2onnx__cur_skip(&c, version == 1 ? (type_size + 7) / 8 * 8 : type_size);
    if (c.bad) return k2onnx__h5_bad(f, o->path, "truncated attribute datatype");
    if (!k2onnx__h5_parse_space(f, o->path, c.pos, space_size, &a->space)) return 0;
    k2onnx__cur_skip(&c, version == 1 ? (space_size + 7) / 8 * 8 : space_size);
    if (c.bad) return k2onnx__h5_bad(f, o->path, "truncated attribute dataspace");
    a->data_pos = c.pos;
    a->data_size = c.end - c.pos;
    if (a->type.cls == K2ONNX__H5T_VLEN && a->type.size != 4u + f->so + 4u)
        return k2onnx__h5_bad(f, o->path, "variable-length element has an unexpected size");
    if (a->type.size && a->space.count > a->data_size / a->type.size)
        return k2onnx__h5_bad(f, o->path, "attribute value is larger than its message");
    o->nattrs++;
    return 1;
}

/* Parses a link message held anywhere in the buffer (object header or fractal heap). */
static int k2onnx__h5_add_link(const k2onnx__h5 *f, k2onnx__h5obj *o, uint64_t pos, uint64_t len)
{
    k2onnx__cur c = k2onnx__cursor(f, pos, len);
    unsigned version = (unsigned)k2onnx__cur_uint(&c, 1);
    unsigned flags = (unsigned)k2onnx__cur_uint(&c, 1);
    unsigned link_type = 0;
    uint64_t name_len;
    const unsigned char *name;
    k2onnx__h5link *l;
    if (version != 1) return k2onnx__fail(f->ctx, k2onnx_result_unsupported_file, "HDF5 object '%s': link message version %d", o->path, (int)version);
    if (flags & 0x08u) link_type = (unsigned)k2onnx__cur_uint(&c, 1);
    if (flags & 0x04u) k2onnx__cur_skip(&c, 8);
    if (flags & 0x10u) k2onnx__cur_skip(&c, 1);
    name_len = k2onnx__cur_uint(&c, 1u << (flags & 3u));
    name = k2onnx__cur_bytes(&c, name_len);
    if (c.bad || name_len == 0) return k2onnx__h5_bad(f, o->path, "truncated link message");
    if (!k2onnx__reserve(f->ctx, (void **)&o->links, &o->links_cap, o->nlinks + 1, sizeof *o->links)) return 0;
    l = &o->links[o->nlinks];
    memset(l, 0, sizeof *l);
    l->name = (const char *)name;
    l->name_len = (size_t)name_len;
    l->link_type = link_type;
    l->addr = K2ONNX__UNDEF_ADDR;
    if (link_type == K2ONNX__LINK_HARD) {
        l->addr = k2onnx__cur_addr(&c);
    } else {
        uint64_t n = k2onnx__cur_uint(&c, 2);
        l->value = (const char *)k2onnx__cur_bytes(&c, n);
        l->value_len = (size_t)n;
    }
    if (c.bad) return k2onnx__h5_bad(f, o->path, "truncated link message");
    o->nlinks++;
    return 1;
}

static int k2onnx__h5_filters(const k2onnx__h5 *f, k2onnx__h5obj *o, uint64_t pos, uint64_t len)
{
    k2onnx__cur c = k2onnx__cursor(f, pos, len);
    unsigned version = (unsigned)k2onnx__cur_uint(&c, 1);
    unsigned n = (unsigned)k2onnx__cur_uint(&c, 1), i, j;
    if (version == 1) k2onnx__cur_skip(&c, 6);
    else if (version != 2)
        return k2onnx__fail(f->ctx, k2onnx_result_unsupported_file, "HDF5 object '%s': filter pipeline message version %d", o->path, (int)version);
    if (n > K2ONNX__MAX_FILTERS) return k2onnx__h5_bad(f, o->path, "filter pipeline has too many filters");
    o->nfilters = 0;
    o->filters = n ? (k2onnx__h5filter *)k2onnx__alloc(f->ctx, n * sizeof *o->filters) : NULL;
    if (n && !o->filters) return 0;
    for (i = 0; i < n; i++) {
        k2onnx__h5filter *flt = &o->filters[i];
        uint64_t name_len = 0;
        flt->id = (unsigned)k2onnx__cur_uint(&c, 2);
        if (version == 1 || flt->id >= 256) name_len = k2onnx__cur_uint(&c, 2);
        flt->flags = (unsigned)k2onnx__cur_uint(&c, 2);
        flt->nvalues = (unsigned)k2onnx__cur_uint(&c, 2);
        k2onnx__cur_skip(&c, version == 1 ? (name_len + 7) / 8 * 8 : name_len);
        for (j = 0; j < flt->nvalues; j++) {
            uint32_t v = (uint32_t)k2onnx__cur_uint(&c, 4);
            if (j < 8) flt->values[j] = v;
        }
        if (version == 1 && (flt->nvalues & 1u)) k2onnx__cur_skip(&c, 4);
        if (c.bad) return k2onnx__h5_bad(f, o->path, "truncated filter pipeline message");
    }
    o->nfilters = n;
    return 1;
}

static int k2onnx__h5_fill(const k2onnx__h5 *f, k2onnx__h5obj *o, unsigned type, uint64_t pos, uint64_t len)
{
    k2onnx__cur c = k2onnx__cursor(f, pos, len);
    int has_value;
    if (type == 0x04) {          /* old fill value message: used only without a new one */
        if (o->has_new_fill) return 1;
        has_value = 1;
    } else {
        unsigned version = (unsigned)k2onnx__cur_uint(&c, 1);
        o->has_new_fill = 1;
        o->fill_defined = 0;
        if (version == 1 || version == 2) {
            unsigned defined;
            k2onnx__cur_skip(&c, 2); /* allocation and write times */
            defined = (unsigned)k2onnx__cur_uint(&c, 1);
            has_value = defined != 0; /* libhdf5 reads the size only then, in version 1 too */
        } else if (version == 3) {
            unsigned flags = (unsigned)k2onnx__cur_uint(&c, 1);
            has_value = (flags >> 5) & 1u;
        } else {
            return k2onnx__fail(f->ctx, k2onnx_result_unsupported_file, "HDF5 object '%s': fill value message version %d", o->path, (int)version);
        }
    }
    if (has_value) {
        uint64_t n = k2onnx__cur_uint(&c, 4);
        o->fill_pos = c.pos;
        k2onnx__cur_skip(&c, n);
        o->fill_size = n;
        o->fill_defined = n > 0;
    }
    if (c.bad) return k2onnx__h5_bad(f, o->path, "truncated fill value message");
    return 1;
}

static int k2onnx__h5_layout(const k2onnx__h5 *f, k2onnx__h5obj *o, uint64_t pos, uint64_t len)
{
    k2onnx__cur c = k2onnx__cursor(f, pos, len);
    unsigned version = (unsigned)k2onnx__cur_uint(&c, 1), i;
    o->has_layout = 1;
    if (version == 3 || version == 4) {
        o->layout_class = (int)k2onnx__cur_uint(&c, 1);
        if (o->layout_class == K2ONNX__LAYOUT_COMPACT) {
            o->data_size = k2onnx__cur_uint(&c, 2);
            o->data_pos = c.pos;
            k2onnx__cur_skip(&c, o->data_size);
        } else if (o->layout_class == K2ONNX__LAYOUT_CONTIGUOUS) {
            o->data_pos = k2onnx__cur_addr(&c);
            o->data_size = k2onnx__cur_uint(&c, f->sl);
        } else if (o->layout_class == K2ONNX__LAYOUT_CHUNKED) {
            unsigned enc = 4;
            if (version == 4) o->chunk_layout_flags = (unsigned)k2onnx__cur_uint(&c, 1);
            o->chunk_rank = (unsigned)k2onnx__cur_uint(&c, 1);
            if (version == 3) o->chunk_index_addr = k2onnx__cur_addr(&c);
            else enc = (unsigned)k2onnx__cur_uint(&c, 1);
            if (o->chunk_rank < 1 || o->chunk_rank > K2ONNX__H5_MAX_RANK + 1 || enc < 1 || enc > 8)
                return k2onnx__h5_bad(f, o->path, "chunked layout has an invalid rank");
            if (!(o->chunk_dims = k2onnx__h5_u64s(f, o->chunk_rank))) return 0;
            for (i = 0; i < o->chunk_rank; i++) o->chunk_dims[i] = k2onnx__cur_uint(&c, enc);
            if (version == 3) {
                o->chunk_index = K2ONNX__CHUNK_BTREE1;
            } else {
                o->chunk_index = (unsigned)k2onnx__cur_uint(&c, 1);
                switch (o->chunk_index) {
                case K2ONNX__CHUNK_SINGLE:
                    if (o->chunk_layout_flags & 0x02u) {
                        o->single_chunk_size = k2onnx__cur_uint(&c, f->sl);
                        o->single_chunk_mask = (unsigned)k2onnx__cur_uint(&c, 4);
                    }
                    break;
                case K2ONNX__CHUNK_IMPLICIT: break;
                case K2ONNX__CHUNK_FARRAY: o->index_params[0] = (unsigned)k2onnx__cur_uint(&c, 1); break;
                case K2ONNX__CHUNK_EARRAY:
                    for (i = 0; i < 5; i++) o->index_params[i] = (unsigned)k2onnx__cur_uint(&c, 1);
                    break;
                case K2ONNX__CHUNK_BTREE2:
                    o->index_params[0] = (unsigned)k2onnx__cur_uint(&c, 4);
                    o->index_params[1] = (unsigned)k2onnx__cur_uint(&c, 1);
                    o->index_params[2] = (unsigned)k2onnx__cur_uint(&c, 1);
                    break;
                default:
                    return k2onnx__fail(f->ctx, k2onnx_result_unsupported_file, "HDF5 object '%s': chunk index type %d",
                                        o->path, (int)o->chunk_index);
                }
                o->chunk_index_addr = k2onnx__cur_addr(&c);
            }
        }
    } else if (version == 1 || version == 2) {
        unsigned rank = (unsigned)k2onnx__cur_uint(&c, 1);
        o->layout_class = (int)k2onnx__cur_uint(&c, 1);
        k2onnx__cur_skip(&c, 5);
        if (o->layout_class != K2ONNX__LAYOUT_COMPACT) o->data_pos = k2onnx__cur_addr(&c);
        if (o->layout_class == K2ONNX__LAYOUT_CHUNKED) {
            if (rank < 1 || rank > K2ONNX__H5_MAX_RANK + 1) return k2onnx__h5_bad(f, o->path, "chunked layout has an invalid rank");
            o->chunk_rank = rank;
            o->chunk_index = K2ONNX__CHUNK_BTREE1;
            o->chunk_index_addr = o->data_pos;
            if (!(o->chunk_dims = k2onnx__h5_u64s(f, rank))) return 0;
            for (i = 0; i < rank; i++) o->chunk_dims[i] = k2onnx__cur_uint(&c, 4); /* the last is the element size */
        } else {
            k2onnx__cur_skip(&c, 4u * rank);
        }
        if (o->layout_class == K2ONNX__LAYOUT_COMPACT) {
            o->data_size = k2onnx__cur_uint(&c, 4);
            o->data_pos = c.pos;
            k2onnx__cur_skip(&c, o->data_size);
        } else {
            o->data_size = UINT64_MAX; /* computed from the dataspace later */
        }
    } else {
        return k2onnx__fail(f->ctx, k2onnx_result_unsupported_file, "HDF5 object '%s': data layout message version %d", o->path, (int)version);
    }
    if (c.bad) return k2onnx__h5_bad(f, o->path, "truncated data layout message");
    return 1;
}

enum {
    K2ONNX__MSG_NIL = 0x00, K2ONNX__MSG_DATASPACE = 0x01, K2ONNX__MSG_LINK_INFO = 0x02,
    K2ONNX__MSG_DATATYPE = 0x03, K2ONNX__MSG_FILL_OLD = 0x04, K2ONNX__MSG_FILL = 0x05,
    K2ONNX__MSG_LINK = 0x06, K2ONNX__MSG_EXTERNAL_FILES = 0x07, K2ONNX__MSG_LAYOUT = 0x08,
    K2ONNX__MSG_FILTERS = 0x0b, K2ONNX__MSG_ATTRIBUTE = 0x0c, K2ONNX__MSG_CONTINUATION = 0x10,
    K2ONNX__MSG_SYMBOL_TABLE = 0x11, K2ONNX__MSG_ATTR_INFO = 0x15, K2ONNX__MSG_LAST_KNOWN = 0x18
};

/* The link info and attribute info messages: version, flags, the maximum creation index when
   flags bit 0 is set, then the fractal heap of the entries and the v2 B-tree indexing their names. */
static int k2onnx__h5_heap_index(const k2onnx__h5 *f, const k2onnx__h5obj *o, uint64_t pos, uint64_t len, size_t index_size, uint64_t *heap,
                                 uint64_t *names, const char *truncated)
{
    k2onnx__cur c = k2onnx__cursor(f, pos, len);
    (void)truncated; /* message only */
    k2onnx__cur_skip(&c, 1);
    if ((unsigned)k2onnx__cur_uint(&c, 1) & 1u) k2onnx__cur_skip(&c, index_size);
    *heap = k2onnx__cur_addr(&c);
    *names = k2onnx__cur_addr(&c);
    if (c.bad) return k2onnx__h5_bad(f, o->path, truncated);
    return 1;
}

static int k2onnx__h5_message(const k2onnx__h5 *f, k2onnx__h5obj *o, unsigned type, unsigned flags,
                              uint64_t pos, uint64_t len)
{
    k2onnx__cur c;
    if ((flags & 0x02u) && type == K2ONNX__MSG_DATATYPE) {
        o->has_type = 1;
        return k2onnx__h5_shared_type(f, o->path, pos, len, o->depth, &o->type);
    }
    if ((flags & 0x02u) && type != K2ONNX__MSG_ATTRIBUTE)
        return k2onnx__fail(f->ctx, k2onnx_result_unsupported_file, "HDF5 object '%s': shared header message (type %d)", o->path, (int)type);
    switch (type) {
    case K2ONNX__MSG_DATASPACE:
        o->has_space = 1;
        return k2onnx__h5_parse_space(f, o->path, pos, len, &o->space);
    case K2ONNX__MSG_DATATYPE:
        o->has_type = 1;
        return k2onnx__h5_parse_type(f, o->path, pos, len, &o->type);
    case K2ONNX__MSG_FILL_OLD:
    case K2ONNX__MSG_FILL: return k2onnx__h5_fill(f, o, type, pos, len);
    case K2ONNX__MSG_LAYOUT: return k2onnx__h5_layout(f, o, pos, len);
    case K2ONNX__MSG_EXTERNAL_FILES:
        return k2onnx__fail(f->ctx, k2onnx_result_unsupported_file, "HDF5 dataset '%s': data stored in external files", o->path);
    case K2ONNX__MSG_FILTERS: return k2onnx__h5_filters(f, o, pos, len);
    case K2ONNX__MSG_ATTRIBUTE:
        if (flags & 0x02u)
            return k2onnx__fail(f->ctx, k2onnx_result_unsupported_file, "HDF5 object '%s': shared attribute message", o->path);
        return k2onnx__h5_add_attr(f, o, pos, len);
    case K2ONNX__MSG_LINK: return k2onnx__h5_add_link(f, o, pos, len);
    case K2ONNX__MSG_LINK_INFO:
        /* the maximum creation index is 8 bytes here, 2 in the attribute info message */
        o->has_link_info = k2onnx__h5_heap_index(f, o, pos, len, 8, &o->link_heap, &o->link_names, "truncated link info message");
        return o->has_link_info;
    case K2ONNX__MSG_ATTR_INFO:
        o->has_attr_info = k2onnx__h5_heap_index(f, o, pos, len, 2, &o->attr_heap, &o->attr_names, "truncated attribute info message");
        return o->has_attr_info;
    case K2ONNX__MSG_SYMBOL_TABLE:
        c = k2onnx__cursor(f, pos, len);
        o->btree_addr = k2onnx__cur_addr(&c);
        o->heap_addr = k2onnx__cur_addr(&c);
        if (c.bad) return k2onnx__h5_bad(f, o->path, "truncated symbol table message");
        o->has_symtab = 1;
        return 1;
    default:
        /* Writers set bit 7 on messages a reader must understand to read the object at all. */
        if (type > K2ONNX__MSG_LAST_KNOWN && (flags & 0x80u))
            return k2onnx__fail(f->ctx, k2onnx_result_unsupported_file, "HDF5 object '%s': unknown header message type %d marked as required",
                                o->path, (int)type);
        return 1; /* messages that do not change how data is read are skipped */
    }
}

#ifndef K2ONNX_NO_H5_DENSE
static int k2onnx__h5_load_dense_attrs(const k2onnx__h5 *f, k2onnx__h5obj *o);
static int k2onnx__h5_load_dense_links(const k2onnx__h5 *f, k2onnx__h5obj *o);
#endif

/* Parses one object header (v1 or v2) with its continuation chain, then its dense attributes;
   without `with_attrs` (a group passed on the way along a path) no attribute is read. */
static int k2onnx__h5_object_at(const k2onnx__h5 *f, uint64_t addr, const char *path, k2onnx__h5obj *o, unsigned depth, int with_attrs)
{
    /* Bounded queue of header blocks: a cycle of continuations cannot run forever. */
    enum { MAX_BLOCKS = 4096 };
    uint64_t block_pos[64], block_len[64];
    size_t nblocks = 0, head = 0, total_blocks = 0;
    int version;
    memset(o, 0, sizeof *o);
    o->addr = addr;
    o->path = path;
    if (!k2onnx__count_object(f->ctx)) return 0;
    o->depth = depth;
    o->link_heap = o->link_names = o->attr_heap = o->attr_names = K2ONNX__UNDEF_ADDR;
    if (addr == K2ONNX__UNDEF_ADDR || !k2onnx__in_bounds(f->size, addr, 16))
        return k2onnx__h5_bad(f, path, "object header address is outside the file");
    if (k2onnx__sig(f, addr, "OHDR")) {
        k2onnx__cur c = k2onnx__cursor(f, addr + 4, f->size - addr - 4);
        unsigned flags;
        uint64_t chunk_size;
        version = (int)k2onnx__cur_uint(&c, 1);
        flags = (unsigned)k2onnx__cur_uint(&c, 1);
        if (version != 2) return k2onnx__fail(f->ctx, k2onnx_result_unsupported_file, "HDF5 object '%s': object header version %d", path, version);
        if (flags & 0x20u) k2onnx__cur_skip(&c, 16);
        if (flags & 0x10u) k2onnx__cur_skip(&c, 4);
        chunk_size = k2onnx__cur_uint(&c, 1u << (flags & 3u));
        if (c.bad || !k2onnx__in_bounds(f->size, c.pos, chunk_size + 4)) return k2onnx__h5_bad(f, path, "truncated object header");
        if (!k2onnx__checksum_ok(f, addr, c.pos + chunk_size + 4 - addr)) return k2onnx__h5_bad(f, path, "object header checksum mismatch");
        block_pos[0] = c.pos;
        block_len[0] = chunk_size;
        nblocks = 1;
        /* v2 message headers carry a creation-order field when flag bit 2 is set. */
        version = (flags & 0x04u) ? 3 : 2;
    } else {
        k2onnx__cur c = k2onnx__cursor(f, addr, 16);
        version = (int)k2onnx__cur_uint(&c, 1);
        if (version != 1) return k2onnx__h5_bad(f, path, "unknown object header version");
        k2onnx__cur_skip(&c, 1 + 2 + 4);
        block_len[0] = k2onnx__cur_uint(&c, 4);
        block_pos[0] = addr + 16;
        if (!k2onnx__in_bounds(f->size, block_pos[0], block_len[0])) return k2onnx__h5_bad(f, path, "truncated object header");
        nblocks = 1;
    }
    while (head < nblocks) {
        uint64_t pos = block_pos[head % 64], end = pos + block_len[head % 64];
        head++;
        while (end - pos >= (version == 1 ? 8u : 4u)) {
            unsigned type, flags;
            uint64_t len;
            k2onnx__cur c = k2onnx__cursor(f, pos, end - pos);
            if (version == 1) {
                type = (unsigned)k2onnx__cur_uint(&c, 2);
                len = k2onnx__cur_uint(&c, 2);
                flags = (unsigned)k2onnx__cur_uint(&c, 1);
                k2onnx__cur_skip(&c, 3);
            } else {
                type = (unsigned)k2onnx__cur_uint(&c, 1);
                len = k2onnx__cur_uint(&c, 2);
                flags = (unsigned)k2onnx__cur_uint(&c, 1);
                if (version == 3) k2onnx__cur_skip(&c, 2);
            }
            if (c.bad || end - c.pos < len) return k2onnx__h5_bad(f, path, "header message runs past its block");
            if (type == K2ONNX__MSG_CONTINUATION) {
                k2onnx__cur m = k2onnx__cursor(f, c.pos, len);
                uint64_t cpos = k2onnx__cur_addr(&m), clen = k2onnx__cur_uint(&m, f->sl);
                if (m.bad || cpos == K2ONNX__UNDEF_ADDR || !k2onnx__in_bounds(f->size, cpos, clen))
                    return k2onnx__h5_bad(f, path, "continuation block is outside the file");
                if (++total_blocks > MAX_BLOCKS || nblocks - head >= 64)
                    return k2onnx__h5_bad(f, path, "too many continuation blocks (cycle?)");
                if (version != 1) {
                    if (clen < 8 || !k2onnx__sig(f, cpos, "OCHK")) return k2onnx__h5_bad(f, path, "continuation block lacks its OCHK signature");
                    if (!k2onnx__checksum_ok(f, cpos, clen)) return k2onnx__h5_bad(f, path, "continuation block checksum mismatch");
                    cpos += 4;
                    clen -= 8;
                }
                block_pos[nblocks % 64] = cpos;
                block_len[nblocks % 64] = clen;
                nblocks++;
            } else if ((with_attrs || type != K2ONNX__MSG_ATTRIBUTE) && !k2onnx__h5_message(f, o, type, flags, c.pos, len)) {
                return 0;
            }
            pos = c.pos + len;
        }
    }
    if (!with_attrs) o->has_attr_info = 0;
#ifdef K2ONNX_NO_H5_DENSE
    if ((o->has_attr_info && o->attr_heap != K2ONNX__UNDEF_ADDR) || (o->has_link_info && o->link_heap != K2ONNX__UNDEF_ADDR))
        return k2onnx__fail(f->ctx, k2onnx_result_unsupported_file, "HDF5 object '%s': dense links and attributes are left out of this build (K2ONNX_NO_H5_DENSE)", o->path);
#else
    if (o->has_attr_info && o->attr_heap != K2ONNX__UNDEF_ADDR && !k2onnx__h5_load_dense_attrs(f, o)) return 0;
    if (o->has_link_info && o->link_heap != K2ONNX__UNDEF_ADDR && !k2onnx__h5_load_dense_links(f, o)) return 0;
#endif
    return 1;
}

static int k2onnx__h5_object(const k2onnx__h5 *f, uint64_t addr, const char *path, k2onnx__h5obj *o)
{
    return k2onnx__h5_object_at(f, addr, path, o, 0, 1);
}

#if K2ONNX__H5_BTREE2
/* --- v2 B-trees and fractal heaps (dense groups and attributes, chunk and huge-object indexes) --- */

/* Bytes needed to store values up to n, as libhdf5 sizes its counters (at least one). */
static unsigned k2onnx__bytes_for(uint64_t n)
{
    unsigned b = 1;
    while (b < 8 && (n >> (8 * b)) != 0) b++;
    return b;
}

static unsigned k2onnx__log2(uint64_t n)
{
    unsigned r = 0;
    while (n >>= 1) r++;
    return r;
}

typedef int (*k2onnx__bt2_record_fn)(void *user, uint64_t pos, unsigned size);

#define K2ONNX__BT2_MAX_DEPTH 24

typedef struct k2onnx__bt2 {
    const k2onnx__h5 *f;
    const char *path;
    uint64_t type, node_size, rec_size, depth, root, root_nrec; /* header fields */
    uint64_t max_nrec[K2ONNX__BT2_MAX_DEPTH + 1];
    unsigned nrec_size;                            /* width of "records in child" fields */
    unsigned total_size[K2ONNX__BT2_MAX_DEPTH + 1]; /* width of "total records" for a child at depth d */
    uint64_t visits, max_visits;
    k2onnx__bt2_record_fn fn;
    void *user;
    int stop;
} k2onnx__bt2;

static int k2onnx__bt2_open(k2onnx__bt2 *t, const k2onnx__h5 *f, const char *path, uint64_t addr, unsigned type)
{
    k2onnx__cur c = k2onnx__cursor(f, addr, f->size > addr ? f->size - addr : 0);
    uint64_t cum[K2ONNX__BT2_MAX_DEPTH + 1], version;
    unsigned d;
    memset(t, 0, sizeof *t);
    t->f = f;
    t->path = path;
    if (addr == K2ONNX__UNDEF_ADDR || !k2onnx__sig(f, addr, "BTHD")) return k2onnx__h5_bad(f, path, "v2 B-tree header lacks its BTHD signature");
    /* signature, version, type, node size, record size, depth, split and merge percentages,
       root node address, records in the root node, total records */
    k2onnx__cur_fields(&c, "4b B B I H H 2b O H l", &version, &t->type, &t->node_size, &t->rec_size, &t->depth, &t->root,
                       &t->root_nrec);
    if (version != 0) return k2onnx__h5_bad(f, path, "unknown v2 B-tree version");
    if (c.bad || !k2onnx__checksum_ok(f, addr, c.pos + 4 - addr)) return k2onnx__h5_bad(f, path, "v2 B-tree header checksum mismatch");
    if (t->type != type) return k2onnx__h5_bad(f, path, "v2 B-tree has the wrong record type");
    if (t->rec_size == 0 || t->node_size < 10u + t->rec_size || t->depth > K2ONNX__BT2_MAX_DEPTH)
        return k2onnx__h5_bad(f, path, "v2 B-tree header has impossible sizes");
    /* Field widths follow libhdf5's derivation from the node and record sizes. */
    t->max_nrec[0] = cum[0] = (t->node_size - 10u) / t->rec_size;
    t->nrec_size = k2onnx__bytes_for(t->max_nrec[0]);
    t->total_size[0] = 0;
    for (d = 1; d <= t->depth; d++) {
        unsigned ptr = f->so + t->nrec_size + (d > 1 ? t->total_size[d - 1] : 0);
        if (t->node_size < 10u + ptr + t->rec_size + ptr) return k2onnx__h5_bad(f, path, "v2 B-tree nodes are too small for their depth");
        t->max_nrec[d] = (t->node_size - 10u - ptr) / (t->rec_size + ptr);
        cum[d] = cum[d - 1] > UINT64_MAX / (t->max_nrec[d] + 2) ? UINT64_MAX : (t->max_nrec[d] + 1) * cum[d - 1] + t->max_nrec[d];
        t->total_size[d] = k2onnx__bytes_for(cum[d]);
    }
    t->max_visits = f->size / 10u + 1;
    return 1;
}

static int k2onnx__bt2_node(k2onnx__bt2 *t, uint64_t addr, uint64_t nrec, unsigned depth)
{
    const k2onnx__h5 *f = t->f;
    unsigned ptr = depth ? f->so + t->nrec_size + (depth > 1 ? t->total_size[depth - 1] : 0) : 0;
    uint64_t body, i;
    k2onnx__cur c;
    if (nrec == 0) return 1;
    if (++t->visits > t->max_visits) return k2onnx__h5_bad(f, t->path, "v2 B-tree visits more nodes than the file can hold");
    if (nrec > t->max_nrec[depth]) return k2onnx__h5_bad(f, t->path, "v2 B-tree node holds more records than fit");
    body = 6u + nrec * t->rec_size + (depth ? (nrec + 1) * ptr : 0);
    if (addr == K2ONNX__UNDEF_ADDR || !k2onnx__sig(f, addr, depth ? "BTIN" : "BTLF"))
        return k2onnx__h5_bad(f, t->path, "v2 B-tree node lacks its signature");
    if (!k2onnx__checksum_ok(f, addr, body + 4)) return k2onnx__h5_bad(f, t->path, "v2 B-tree node checksum mismatch");
    if (f->buf[addr + 4] != 0 || f->buf[addr + 5] != t->type) return k2onnx__h5_bad(f, t->path, "v2 B-tree node has the wrong version or type");
    if (depth == 0) {
        for (i = 0; i < nrec && !t->stop; i++)
            if (!t->fn(t->user, addr + 6 + i * t->rec_size, t->rec_size)) t->stop = 1;
        return !t->f->ctx->failed;
    }
    c = k2onnx__cursor(f, addr + 6 + nrec * t->rec_size, (nrec + 1) * ptr);
    for (i = 0; i <= nrec && !t->stop; i++) {
        uint64_t child = k2onnx__cur_addr(&c), child_nrec = k2onnx__cur_uint(&c, t->nrec_size);
        if (depth > 1) k2onnx__cur_skip(&c, t->total_size[depth - 1]);
        if (c.bad) return k2onnx__h5_bad(f, t->path, "truncated v2 B-tree node");
        if (!k2onnx__bt2_node(t, child, child_nrec, depth - 1)) return 0;
        if (i < nrec && !t->stop && !t->fn(t->user, addr + 6 + i * t->rec_size, t->rec_size)) t->stop = 1;
    }
    return !t->f->ctx->failed;
}

/* Calls fn for every record of the v2 B-tree at `addr`, in key order; fn returns 0 to stop. */
static int k2onnx__bt2_iterate(const k2onnx__h5 *f, const char *path, uint64_t addr, unsigned type,
                               k2onnx__bt2_record_fn fn, void *user)
{
    k2onnx__bt2 t;
    if (!k2onnx__bt2_open(&t, f, path, addr, type)) return 0;
    t.fn = fn;
    t.user = user;
    return k2onnx__bt2_node(&t, t.root, t.root_nrec, t.depth);
}

#endif

#ifndef K2ONNX_NO_H5_DENSE
typedef struct k2onnx__fheap {
    const k2onnx__h5 *f;
    const char *path;
    uint64_t addr;
    uint64_t id_len, filter_len, flags, max_managed, huge_btree; /* header fields */
    uint64_t width, start_block, max_direct, max_heap_bits, root, cur_rows;
    unsigned off_size, len_size, first_row_bits, max_direct_rows;
    uint64_t checked[4];    /* direct blocks whose checksum was verified */
    unsigned nchecked;
} k2onnx__fheap;

static int k2onnx__fheap_open(k2onnx__fheap *h, const k2onnx__h5 *f, const char *path, uint64_t addr)
{
    k2onnx__cur c = k2onnx__cursor(f, addr, f->size > addr ? f->size - addr : 0);
    uint64_t version;
    memset(h, 0, sizeof *h);
    h->f = f;
    h->path = path;
    h->addr = addr;
    if (addr == K2ONNX__UNDEF_ADDR || !k2onnx__sig(f, addr, "FRHP")) return k2onnx__h5_bad(f, path, "fractal heap header lacks its FRHP signature");
    /* signature, version, heap id length, I/O filters' encoded length, flags, maximum size of
       managed objects, next huge object id, v2 B-tree of huge objects, free space in managed
       blocks, its manager, 8 statistics, table width, starting block size, maximum direct block
       size, maximum heap size (bits), starting rows of the root indirect block, root block
       address, current rows of the root indirect block */
    k2onnx__cur_fields(&c, "4b B H H B I l O l o 8l H L L H h O H", &version, &h->id_len, &h->filter_len, &h->flags,
                       &h->max_managed, &h->huge_btree, &h->width, &h->start_block, &h->max_direct, &h->max_heap_bits,
                       &h->root, &h->cur_rows);
    if (version != 0) return k2onnx__h5_bad(f, path, "unknown fractal heap version");
    if (h->filter_len) k2onnx__cur_skip(&c, f->sl + 4u + h->filter_len);
    if (c.bad || !k2onnx__checksum_ok(f, addr, c.pos + 4 - addr)) return k2onnx__h5_bad(f, path, "fractal heap header checksum mismatch");
    if (h->filter_len)
        return k2onnx__fail(f->ctx, k2onnx_result_unsupported_file, "HDF5 object '%s': filtered fractal heap (compressed dense storage)", path);
    /* Sizes must be powers of two for the doubling table to make sense. */
    if (h->width == 0 || h->width > 65536u || h->start_block == 0 || (h->start_block & (h->start_block - 1)) ||
        (h->width & (h->width - 1)) || h->max_direct < h->start_block || (h->max_direct & (h->max_direct - 1)) ||
        h->max_heap_bits == 0 || h->max_heap_bits > 64 || h->id_len < 2)
        return k2onnx__h5_bad(f, path, "fractal heap header has impossible sizes");
    h->off_size = (h->max_heap_bits + 7) / 8;
    {
        unsigned direct_off_size = (k2onnx__log2(h->max_direct) + 7) / 8;
        unsigned managed_size = k2onnx__bytes_for(h->max_managed);
        h->len_size = direct_off_size < managed_size ? direct_off_size : managed_size;
    }
    h->first_row_bits = k2onnx__log2(h->start_block) + k2onnx__log2(h->width);
    h->max_direct_rows = k2onnx__log2(h->max_direct) - k2onnx__log2(h->start_block) + 2;
    h->checked[0] = h->checked[1] = h->checked[2] = h->checked[3] = K2ONNX__UNDEF_ADDR;
    return 1;
}

static uint64_t k2onnx__fheap_row_size(const k2onnx__fheap *h, unsigned row)
{
    return row == 0 ? h->start_block : h->start_block << (row - 1);
}

/* Verifies a direct block's checksum once; its field sits after the block header and is hashed
   as zeros. A few recent blocks are remembered since objects cluster in blocks. */
static int k2onnx__fheap_block_checked(const k2onnx__fheap *h, uint64_t block, uint64_t size)
{
    k2onnx__fheap *m = (k2onnx__fheap *)h;
    size_t field = 5u + h->f->so + h->off_size;
    unsigned i;
    for (i = 0; i < 4; i++)
        if (m->checked[i] == block) return 1;
    if (size < field + 4 || size > (uint64_t)(size_t)-1 ||
        (K2ONNX__VERIFY_SUMS && k2onnx__lookup3_hole(h->f->buf + block, (size_t)size, field) != (uint32_t)k2onnx__le(h->f->buf + block + field, 4)))
        return k2onnx__h5_bad(h->f, h->path, "fractal heap direct block checksum mismatch");
    m->checked[m->nchecked++ % 4] = block;
    return 1;
}

/* Finds managed object bytes [off, off+len) of the heap's address space in the file by walking
   the doubling table from the root block. */
static int k2onnx__fheap_managed(const k2onnx__fheap *h, uint64_t off, uint64_t len, uint64_t *pos)
{
    const k2onnx__h5 *f = h->f;
    uint64_t block = h->root, block_off = 0, size = h->start_block;
    unsigned nrows = h->cur_rows, hops = 0;
    while (nrows > 0) {
        uint64_t rel = off - block_off, row_off, entry, at;
        unsigned row, col;
        k2onnx__cur c;
        if (++hops > 64 || !k2onnx__sig(f, block, "FHIB")) return k2onnx__h5_bad(f, h->path, "fractal heap indirect block lacks its FHIB signature");
        if (!k2onnx__checksum_ok(f, block, 9u + f->so + h->off_size + (uint64_t)nrows * h->width * f->so))
            return k2onnx__h5_bad(f, h->path, "fractal heap indirect block checksum mismatch");
        row = rel < h->start_block * h->width ? 0 : k2onnx__log2(rel) - h->first_row_bits + 1;
        if (row >= nrows || row >= 64) return k2onnx__h5_bad(f, h->path, "fractal heap object offset is outside its block");
        row_off = row == 0 ? 0 : (h->start_block * h->width) << (row - 1);
        size = k2onnx__fheap_row_size(h, row);
        col = (unsigned)((rel - row_off) / size);
        if (col >= h->width) return k2onnx__h5_bad(f, h->path, "fractal heap object offset is outside its block");
        /* Direct-block entries come first, then the indirect-block entries; all are addresses. */
        entry = (uint64_t)row * h->width + col;
        at = entry * f->so;
        c = k2onnx__cursor(f, block + 5u + f->so + h->off_size + at, f->so);
        block = k2onnx__cur_addr(&c);
        if (c.bad || block == K2ONNX__UNDEF_ADDR) return k2onnx__h5_bad(f, h->path, "fractal heap object is in a block that was never allocated");
        block_off += row_off + (uint64_t)col * size;
        nrows = row < h->max_direct_rows ? 0 : k2onnx__log2(size) - h->first_row_bits + 1;
    }
    if (!k2onnx__sig(f, block, "FHDB")) return k2onnx__h5_bad(f, h->path, "fractal heap direct block lacks its FHDB signature");
    if (off - block_off > size || len > size - (off - block_off))
        return k2onnx__h5_bad(f, h->path, "fractal heap object runs past its direct block");
    if (!k2onnx__in_bounds(f->size, block, size)) return k2onnx__h5_bad(f, h->path, "fractal heap direct block is outside the file");
    if ((h->flags & 0x02u) && !k2onnx__fheap_block_checked(h, block, size)) return 0;
    *pos = block + (off - block_off);
    return 1;
}

typedef struct k2onnx__huge_find {
    const k2onnx__h5 *f;
    uint64_t id, pos, len;
    int found;
} k2onnx__huge_find;

/* Record type 1: address, length, ID of a huge object stored outside the heap's blocks. */
static int k2onnx__huge_find_cb(void *user, uint64_t pos, unsigned size)
{
    k2onnx__huge_find *s = (k2onnx__huge_find *)user;
    k2onnx__cur c = k2onnx__cursor(s->f, pos, size);
    uint64_t addr = k2onnx__cur_addr(&c), len = k2onnx__cur_uint(&c, s->f->sl), id = k2onnx__cur_uint(&c, s->f->sl);
    if (c.bad || id != s->id) return 1;
    s->pos = addr;
    s->len = len;
    s->found = 1;
    return 0;
}

/* Locates the object a heap ID names; its bytes are [*pos, *pos + *len) of the buffer. */
static int k2onnx__fheap_object(const k2onnx__fheap *h, const unsigned char *id, uint64_t *pos, uint64_t *len)
{
    const k2onnx__h5 *f = h->f;
    unsigned kind = (id[0] >> 4) & 3u;
    if ((id[0] >> 6) != 0) return k2onnx__h5_bad(f, h->path, "unknown fractal heap ID version");
    if (kind == 0) {
        uint64_t off, n;
        if (h->id_len < 1u + h->off_size + h->len_size) return k2onnx__h5_bad(f, h->path, "fractal heap ID is too short");
        off = k2onnx__le(id + 1, h->off_size);
        n = k2onnx__le(id + 1 + h->off_size, h->len_size);
        *len = n;
        return k2onnx__fheap_managed(h, off, n, pos);
    }
    if (kind == 2) { /* tiny: the object lives inside the ID */
        int extended = h->id_len > 18;
        uint64_t n = extended ? ((uint64_t)(id[0] & 0x0fu) << 8 | id[1]) + 1 : (uint64_t)(id[0] & 0x0fu) + 1;
        unsigned skip = extended ? 2u : 1u;
        if (n > h->id_len - skip) return k2onnx__h5_bad(f, h->path, "tiny fractal heap object is longer than its ID");
        *pos = (uint64_t)(id + skip - f->buf);
        *len = n;
        return 1;
    }
    if (kind == 1) {
        k2onnx__huge_find s;
        memset(&s, 0, sizeof s);
        if (h->id_len >= 1u + f->so + f->sl) { /* address and length stored directly */
            k2onnx__cur c = k2onnx__cursor(f, (uint64_t)(id + 1 - f->buf), f->so + f->sl);
            s.pos = k2onnx__cur_addr(&c);
            s.len = k2onnx__cur_uint(&c, f->sl);
            if (c.bad) return k2onnx__h5_bad(f, h->path, "truncated huge fractal heap ID");
        } else {
            memset(&s, 0, sizeof s);
            s.f = f;
            s.id = k2onnx__le(id + 1, h->id_len - 1u < 8u ? h->id_len - 1u : 8u);
            if (!k2onnx__bt2_iterate(f, h->path, h->huge_btree, 1, k2onnx__huge_find_cb, &s)) return 0;
            if (!s.found) return k2onnx__h5_bad(f, h->path, "huge fractal heap object is missing from its index");
        }
        if (s.pos == K2ONNX__UNDEF_ADDR || !k2onnx__in_bounds(f->size, s.pos, s.len))
            return k2onnx__h5_bad(f, h->path, "huge fractal heap object is outside the file");
        *pos = s.pos;
        *len = s.len;
        return 1;
    }
    return k2onnx__h5_bad(f, h->path, "unknown fractal heap ID type");
}

typedef struct k2onnx__h5_dense_walk {
    k2onnx__fheap heap;
    k2onnx__h5obj *o;
    unsigned id_offset;   /* where the heap ID sits inside a name-index record */
    int attrs;
    uint64_t count, max_count;
} k2onnx__h5_dense_walk;

static int k2onnx__h5_dense_walk_step(void *user, uint64_t pos, unsigned size)
{
    k2onnx__h5_dense_walk *d = (k2onnx__h5_dense_walk *)user;
    const k2onnx__h5 *f = d->heap.f;
    uint64_t at = 0, len = 0;
    if (size < d->id_offset + d->heap.id_len) return k2onnx__h5_bad(f, d->o->path, "dense storage record is smaller than a heap ID");
    if (++d->count > d->max_count) return k2onnx__h5_bad(f, d->o->path, "dense storage has more records than the file can hold");
    /* attribute name records: heap ID (8), message flags (1), creation order (4), hash (4) */
    if (d->attrs && size < 9u) return k2onnx__h5_bad(f, d->o->path, "dense attribute record has no message flags");
    if (d->attrs && (f->buf[pos + 8] & 0x02u) != 0)
        return k2onnx__fail(f->ctx, k2onnx_result_unsupported_file, "HDF5 object '%s': shared attribute message", d->o->path);
    if (!k2onnx__fheap_object(&d->heap, f->buf + pos + d->id_offset, &at, &len)) return 0;
    return d->attrs ? k2onnx__h5_add_attr(f, d->o, at, len) : k2onnx__h5_add_link(f, d->o, at, len);
}

static int k2onnx__h5_load_dense(const k2onnx__h5 *f, k2onnx__h5obj *o, uint64_t heap, uint64_t names, int attrs)
{
    k2onnx__h5_dense_walk d;
    memset(&d, 0, sizeof d);
    if (!k2onnx__fheap_open(&d.heap, f, o->path, heap)) return 0;
    d.o = o;
    d.attrs = attrs;
    d.id_offset = attrs ? 0u : 4u; /* attribute records start with the ID, link records with a hash */
    d.max_count = f->size / 4u + 1;
    if (attrs && d.heap.id_len != 8) return k2onnx__h5_bad(f, o->path, "dense attribute heap IDs are not 8 bytes");
    return k2onnx__bt2_iterate(f, o->path, names, attrs ? 8u : 5u, k2onnx__h5_dense_walk_step, &d);
}

static int k2onnx__h5_load_dense_attrs(const k2onnx__h5 *f, k2onnx__h5obj *o)
{
    return k2onnx__h5_load_dense(f, o, o->attr_heap, o->attr_names, 1);
}

static int k2onnx__h5_load_dense_links(const k2onnx__h5 *f, k2onnx__h5obj *o)
{
    return k2onnx__h5_load_dense(f, o, o->link_heap, o->link_names, 0);
}

#endif

#ifndef K2ONNX_NO_H5_CHUNKED
/* --- filters: shuffle, Fletcher-32 (inflate is in section 1) ---------------------------------- */

static void k2onnx__unshuffle(const unsigned char *in, unsigned char *out, size_t n, size_t elem)
{
    size_t count = elem ? n / elem : 0, i, j;
    if (elem <= 1 || count <= 1) {
        memcpy(out, in, n);
        return;
    }
    for (j = 0; j < elem; j++)
        for (i = 0; i < count; i++) out[i * elem + j] = in[j * count + i];
    memcpy(out + count * elem, in + count * elem, n - count * elem); /* leftover bytes are stored as is */
}

#ifdef K2ONNX__SSE2
/* The eight big-endian words of x as 32-bit partial sums in four lanes (pmaddwd on the bytes
   widened to 16 bits, a word's high byte weighted 256 times its low byte), plain or weighted
   8..1. */
static __m128i k2onnx__fletcher32_words(__m128i x, int weighted)
{
    const __m128i zero = _mm_setzero_si128();
    const __m128i w_lo = weighted ? _mm_setr_epi16(8 * 256, 8, 7 * 256, 7, 6 * 256, 6, 5 * 256, 5) : _mm_setr_epi16(256, 1, 256, 1, 256, 1, 256, 1);
    const __m128i w_hi = weighted ? _mm_setr_epi16(4 * 256, 4, 3 * 256, 3, 2 * 256, 2, 256, 1) : w_lo;
    return _mm_add_epi32(_mm_madd_epi16(_mm_unpacklo_epi8(x, zero), w_lo), _mm_madd_epi16(_mm_unpackhi_epi8(x, zero), w_hi));
}

/* Fletcher-32's sums over the n bytes at p (a multiple of 16, at most 4096) added to a and b
   modulo 65535; *nonzero is set when a byte is not zero. Eight words a step, as Adler-32's
   SSE2 steps: their sum, their sum weighted 8..1, and over the steps b also gains 8 times the
   words of every earlier step (prev below). Within 4096 bytes every lane stays below 2^32 (prev,
   the largest, below 256 * 255 / 2 * 131070). */
static void k2onnx__fletcher32_sse2(uint32_t *a, uint32_t *b, int *nonzero, const unsigned char *p, size_t n)
{
    const __m128i zero = _mm_setzero_si128();
    __m128i sum = zero, prev = zero, weighted = zero, any = zero;
    uint64_t s, e, w;
    size_t i;
    for (i = 0; i + 32 <= n; i += 32) {
        /* two steps: the second's earlier words are the first's plus its own */
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i)), y = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 16));
        __m128i sx = k2onnx__fletcher32_words(x, 0);
        any = _mm_or_si128(any, _mm_or_si128(x, y));
        prev = _mm_add_epi32(prev, _mm_add_epi32(_mm_add_epi32(sum, sum), sx));
        sum = _mm_add_epi32(sum, _mm_add_epi32(sx, k2onnx__fletcher32_words(y, 0)));
        weighted = _mm_add_epi32(weighted, _mm_add_epi32(k2onnx__fletcher32_words(x, 1), k2onnx__fletcher32_words(y, 1)));
    }
    if (i < n) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        any = _mm_or_si128(any, x);
        prev = _mm_add_epi32(prev, sum);
        sum = _mm_add_epi32(sum, k2onnx__fletcher32_words(x, 0));
        weighted = _mm_add_epi32(weighted, k2onnx__fletcher32_words(x, 1));
    }
    k2onnx__lane_totals(sum, prev, weighted, &s, &e, &w);
    if (_mm_movemask_epi8(_mm_cmpeq_epi8(any, zero)) != 0xffff) *nonzero = 1;
    *b = (uint32_t)((*b + (uint64_t)(n / 2) * *a + 8u * e + w) % 65535u);
    *a = (uint32_t)((*a + s) % 65535u);
}

/* The sums of k2onnx__fletcher32_words_loop below, kept modulo 65535 and written as HDF5's folding
   leaves them: a sum is 0 only when every word is, and 0xffff when it is a positive multiple of
   65535 (a fold never turns a positive sum into 0). */
static uint32_t k2onnx__fletcher32_wide(const unsigned char *p, size_t n)
{
    uint32_t a = 0, b = 0;
    int nonzero = 0;
    size_t bulk = n & ~(size_t)15, i, run;
    for (i = 0; i < bulk; i += run) {
        run = bulk - i < 4096 ? bulk - i : 4096;
        k2onnx__fletcher32_sse2(&a, &b, &nonzero, p + i, run);
    }
    for (; i < n; i += 2) {
        uint32_t word = (uint32_t)p[i] << 8 | (i + 1 < n ? p[i + 1] : 0u);
        a = (a + word) % 65535u;
        b = (b + a) % 65535u;
        if (word) nonzero = 1;
    }
    if (!nonzero) return 0;
    return (b ? b : 0xffffu) << 16 | (a ? a : 0xffffu);
}
#endif

/* HDF5's Fletcher-32: 16-bit big-endian words, odd trailing byte as the high half of a word;
   libhdf5's loop, folding the sums to 16 bits after every 360 words. */
static uint32_t k2onnx__fletcher32_words_loop(const unsigned char *p, size_t n)
{
    uint32_t sum1 = 0, sum2 = 0;
    size_t words = n / 2;
    while (words > 0) {
        size_t run = words > 360 ? 360 : words;
        words -= run;
        while (run--) {
            sum1 += (uint32_t)p[0] << 8 | p[1];
            p += 2;
            sum2 += sum1;
        }
        sum1 = (sum1 & 0xffffu) + (sum1 >> 16);
        sum2 = (sum2 & 0xffffu) + (sum2 >> 16);
    }
    if (n & 1u) {
        sum1 += (uint32_t)p[0] << 8;
        sum2 += sum1;
        sum1 = (sum1 & 0xffffu) + (sum1 >> 16);
        sum2 = (sum2 & 0xffffu) + (sum2 >> 16);
    }
    sum1 = (sum1 & 0xffffu) + (sum1 >> 16);
    sum2 = (sum2 & 0xffffu) + (sum2 >> 16);
    return sum2 << 16 | sum1;
}

static uint32_t k2onnx__fletcher32(const unsigned char *p, size_t n)
{
#ifdef K2ONNX__SSE2
    if (n >= 64) return k2onnx__fletcher32_wide(p, n);
#endif
    return k2onnx__fletcher32_words_loop(p, n);
}

#ifndef K2ONNX_NO_ERROR_STRINGS
static const char *k2onnx__filter_name(unsigned id)
{
    switch (id) {
    case 1: return "deflate";
    case 2: return "shuffle";
    case 3: return "fletcher32";
    case 4: return "szip";
    case 5: return "nbit";
    case 6: return "scaleoffset";
    case 307: return "bzip2";
    case 32000: return "lzf";
    case 32001: return "blosc";
    case 32004: return "lz4";
    case 32008: return "bitshuffle";
    case 32013: return "zfp";
    case 32015: return "zstd";
    case 32017: return "sz";
    case 32026: return "blosc2";
    default: return "unregistered";
    }
}
#endif

/* --- dataset storage: compact, contiguous, chunked (every chunk index) ------------------------ */

typedef struct k2onnx__chunks {
    const k2onnx__h5 *f;
    const k2onnx__h5obj *o;
    unsigned rank;
    uint64_t chunk[K2ONNX__H5_MAX_RANK];  /* chunk shape in elements */
    uint64_t grid[K2ONNX__H5_MAX_RANK];   /* chunks per dimension over the maximum extent */
    uint64_t esize, chunk_bytes, grid_count;
    int unlim;                         /* extensible arrays: the unlimited dimension, else -1 */
    unsigned char *out;
    unsigned char *buf[2];
    size_t buf_cap;
    uint64_t visits, max_visits;
} k2onnx__chunks;

static int k2onnx__chunk_bad(const k2onnx__chunks *s, const char *what)
{
#ifdef K2ONNX_NO_ERROR_STRINGS
    (void)what;
#endif
    return k2onnx__h5_bad(s->f, s->o->path, what);
}

/* Runs the filter pipeline backwards over one stored chunk; data and n become the raw bytes. */
static int k2onnx__chunk_unfilter(k2onnx__chunks *s, const unsigned char **data, uint64_t *n, unsigned mask)
{
    const k2onnx__h5obj *o = s->o;
    unsigned k = o->nfilters, next = 0;
    while (k-- > 0) {
        const k2onnx__h5filter *flt = &o->filters[k];
        if (k < 32 && (mask >> k) & 1u) continue; /* the writer skipped this filter for this chunk */
        if (flt->id == 1) {
#if K2ONNX__INFLATE
            const char *err = NULL;
            size_t got;
            k2onnx__inflate_tables *tables = k2onnx__inflate_tables_of(s->f->ctx);
            if (!tables) return 0;
            got = k2onnx__zlib_inflate(tables, *data, (size_t)*n, s->buf[next], s->buf_cap, &err);
            if (err)
                return k2onnx__fail(s->f->ctx, k2onnx_result_invalid_file, "HDF5 dataset '%s': deflate: %s", o->path, err);
            *data = s->buf[next];
            *n = got;
            next ^= 1u;
#else
            return k2onnx__fail(s->f->ctx, k2onnx_result_unsupported_file, "HDF5 dataset '%s': deflate is left out of this build (K2ONNX_NO_DEFLATE)", o->path);
#endif
        } else if (flt->id == 2) {
            uint64_t elem = flt->nvalues >= 1 ? flt->values[0] : s->esize;
            if (*n > s->buf_cap) return k2onnx__chunk_bad(s, "shuffled chunk is larger than the chunk size");
            k2onnx__unshuffle(*data, s->buf[next], (size_t)*n, (size_t)elem);
            *data = s->buf[next];
            next ^= 1u;
        } else if (flt->id == 3) {
            uint32_t stored, sum;
            if (*n < 4) return k2onnx__chunk_bad(s, "chunk is too small for its Fletcher-32 checksum");
            *n -= 4;
            stored = (uint32_t)k2onnx__le(*data + *n, 4);
            sum = k2onnx__fletcher32(*data, (size_t)*n);
            /* libhdf5 1.6 wrote the checksum byte-swapped; it still accepts that form. */
            if (K2ONNX__VERIFY_SUMS && stored != sum && stored != ((sum & 0xffu) << 24 | (sum & 0xff00u) << 8 | (sum >> 8 & 0xff00u) | sum >> 24))
                return k2onnx__fail(s->f->ctx, k2onnx_result_invalid_file, "HDF5 dataset '%s': Fletcher-32 checksum mismatch in a chunk", o->path);
        } else {
            return k2onnx__fail(s->f->ctx, k2onnx_result_unsupported_file, "HDF5 dataset '%s': filter %d (%s) is not supported",
                                o->path, (int)flt->id, k2onnx__filter_name(flt->id));
        }
    }
    return 1;
}

/* Places one chunk, given by its scaled coordinates (chunk indices), into the output array. */
static int k2onnx__chunk_store(k2onnx__chunks *s, const uint64_t *scaled, uint64_t addr, uint64_t size, unsigned mask)
{
    const k2onnx__h5obj *o = s->o;
    uint64_t off[K2ONNX__H5_MAX_RANK], ext[K2ONNX__H5_MAX_RANK], idx[K2ONNX__H5_MAX_RANK], n = size;
    const unsigned char *data;
    unsigned i, r = s->rank;
    int partial = 0;
    if (++s->visits > s->max_visits) return k2onnx__chunk_bad(s, "chunk index lists more chunks than the file can hold");
    for (i = 0; i < r; i++) {
        if (scaled[i] > UINT64_MAX / s->chunk[i]) return 1;
        off[i] = scaled[i] * s->chunk[i];
        if (off[i] >= o->space.dims[i]) return 1; /* chunk beyond a shrunk extent */
        ext[i] = o->space.dims[i] - off[i] < s->chunk[i] ? o->space.dims[i] - off[i] : s->chunk[i];
        if (ext[i] < s->chunk[i]) partial = 1;
    }
    if (addr == K2ONNX__UNDEF_ADDR) return 1; /* never written: keeps the fill value */
    if (!k2onnx__in_bounds(s->f->size, addr, size)) return k2onnx__chunk_bad(s, "chunk is outside the file");
    data = s->f->buf + addr;
    if (o->nfilters && !(partial && (o->chunk_layout_flags & 0x01u)) && !k2onnx__chunk_unfilter(s, &data, &n, mask)) return 0;
    if (n < s->chunk_bytes) return k2onnx__chunk_bad(s, "chunk holds fewer bytes than its shape needs");
    /* Copy row by row along the last dimension, clipped at the dataset's edge. */
    memset(idx, 0, sizeof idx);
    for (;;) {
        uint64_t src = 0, dst = 0;
        for (i = 0; i < r; i++) {
            src = src * s->chunk[i] + idx[i];
            dst = dst * o->space.dims[i] + off[i] + idx[i];
        }
        memcpy(s->out + dst * s->esize, data + src * s->esize, (size_t)(ext[r - 1] * s->esize));
        for (i = r - 1; i-- > 0;) {
            if (++idx[i] < ext[i]) break;
            idx[i] = 0;
        }
        if (i == (unsigned)-1) break;
    }
    return 1;
}

/* Chunk coordinates of linear index `i` over the chunk grid, in row-major order. */
static void k2onnx__chunk_coords(const k2onnx__chunks *s, uint64_t i, uint64_t *scaled)
{
    unsigned d = s->rank;
    /* Extensible arrays number chunks with the unlimited dimension moved to the front. */
    while (d-- > 0) {
        if ((int)d == s->unlim) continue;
        scaled[d] = i % s->grid[d];
        i /= s->grid[d];
    }
    if (s->unlim >= 0) scaled[s->unlim] = i;
}

static int k2onnx__chunks_btree1(k2onnx__chunks *s, uint64_t addr, int expect_level)
{
    const k2onnx__h5 *f = s->f;
    unsigned i, d;
    k2onnx__cur c = k2onnx__cursor(f, addr, f->size > addr ? f->size - addr : 0);
    int level;
    uint64_t n;
    if (++s->visits > s->max_visits) return k2onnx__chunk_bad(s, "chunk B-tree visits more nodes than the file can hold");
    if (addr == K2ONNX__UNDEF_ADDR || !k2onnx__sig(f, addr, "TREE")) return k2onnx__chunk_bad(s, "chunk B-tree node lacks its TREE signature");
    k2onnx__cur_skip(&c, 4);
    if (k2onnx__cur_uint(&c, 1) != 1) return k2onnx__chunk_bad(s, "chunk B-tree node has the wrong node type");
    level = (int)k2onnx__cur_uint(&c, 1);
    if ((expect_level >= 0 && level != expect_level) || level > 64) return k2onnx__chunk_bad(s, "chunk B-tree levels are inconsistent");
    n = k2onnx__cur_uint(&c, 2);
    k2onnx__cur_skip(&c, 2u * f->so);
    for (i = 0; i < n; i++) {
        uint64_t size = k2onnx__cur_uint(&c, 4), child, scaled[K2ONNX__H5_MAX_RANK];
        unsigned mask = (unsigned)k2onnx__cur_uint(&c, 4);
        for (d = 0; d < s->o->chunk_rank; d++) {
            uint64_t v = k2onnx__cur_uint(&c, 8);
            if (d < s->rank) {
                if (v % s->chunk[d]) return k2onnx__chunk_bad(s, "chunk offset is not a multiple of the chunk shape");
                scaled[d] = v / s->chunk[d];
            }
        }
        child = k2onnx__cur_addr(&c);
        if (c.bad) return k2onnx__chunk_bad(s, "truncated chunk B-tree node");
        if (level > 0 ? !k2onnx__chunks_btree1(s, child, level - 1) : !k2onnx__chunk_store(s, scaled, child, size, mask)) return 0;
    }
    return 1;
}

typedef struct k2onnx__chunk_rec {
    k2onnx__chunks *s;
    int filtered;
} k2onnx__chunk_rec;

/* Records of v2 B-tree types 10 (address, scaled offsets) and 11 (address, size, mask, offsets). */
static int k2onnx__chunks_bt2_cb(void *user, uint64_t pos, unsigned size)
{
    k2onnx__chunk_rec *cr = (k2onnx__chunk_rec *)user;
    k2onnx__chunks *s = cr->s;
    k2onnx__cur c = k2onnx__cursor(s->f, pos, size);
    uint64_t addr = k2onnx__cur_addr(&c), stored = s->chunk_bytes, scaled[K2ONNX__H5_MAX_RANK];
    unsigned mask = 0, d;
    if (cr->filtered) {
        unsigned width = size > s->f->so + 4u + 8u * s->rank ? size - s->f->so - 4u - 8u * s->rank : 0;
        if (width == 0 || width > 8) return k2onnx__chunk_bad(s, "filtered chunk record has no room for its size");
        stored = k2onnx__cur_uint(&c, width);
        mask = (unsigned)k2onnx__cur_uint(&c, 4);
    }
    for (d = 0; d < s->rank; d++) scaled[d] = k2onnx__cur_uint(&c, 8);
    if (c.bad) return k2onnx__chunk_bad(s, "truncated chunk record");
    return k2onnx__chunk_store(s, scaled, addr, stored, mask);
}

/* One element of a fixed or extensible array chunk index: address [, size, filter mask]. */
static int k2onnx__chunks_element(k2onnx__chunks *s, uint64_t pos, unsigned elem_size, int filtered, uint64_t index)
{
    k2onnx__cur c = k2onnx__cursor(s->f, pos, elem_size);
    uint64_t addr = k2onnx__cur_addr(&c), stored = s->chunk_bytes, scaled[K2ONNX__H5_MAX_RANK];
    unsigned mask = 0;
    if (filtered) {
        unsigned width = elem_size > s->f->so + 4u ? elem_size - s->f->so - 4u : 0;
        if (width == 0 || width > 8) return k2onnx__chunk_bad(s, "filtered chunk element has no room for its size");
        stored = k2onnx__cur_uint(&c, width);
        mask = (unsigned)k2onnx__cur_uint(&c, 4);
    }
    if (c.bad) return k2onnx__chunk_bad(s, "truncated chunk index element");
    if (addr == K2ONNX__UNDEF_ADDR || index >= s->grid_count) return 1;
    k2onnx__chunk_coords(s, index, scaled);
    return k2onnx__chunk_store(s, scaled, addr, stored, mask);
}

static int k2onnx__chunks_farray(k2onnx__chunks *s)
{
    const k2onnx__h5 *f = s->f;
    uint64_t addr = s->o->chunk_index_addr, nelmts, dblk, page, npages, i, prefix;
    unsigned client, elem_size, page_bits;
    k2onnx__cur c = k2onnx__cursor(f, addr, f->size > addr ? f->size - addr : 0);
    if (!k2onnx__sig(f, addr, "FAHD")) return k2onnx__chunk_bad(s, "fixed array header lacks its FAHD signature");
    k2onnx__cur_skip(&c, 5);
    client = (unsigned)k2onnx__cur_uint(&c, 1);
    elem_size = (unsigned)k2onnx__cur_uint(&c, 1);
    page_bits = (unsigned)k2onnx__cur_uint(&c, 1);
    nelmts = k2onnx__cur_uint(&c, f->sl);
    dblk = k2onnx__cur_addr(&c);
    if (c.bad || !k2onnx__checksum_ok(f, addr, c.pos + 4 - addr)) return k2onnx__chunk_bad(s, "fixed array header checksum mismatch");
    if (client > 1 || elem_size < f->so || page_bits > 32 || nelmts > f->size / elem_size)
        return k2onnx__chunk_bad(s, "fixed array header has impossible sizes");
    if (dblk == K2ONNX__UNDEF_ADDR) return 1;
    if (!k2onnx__sig(f, dblk, "FADB")) return k2onnx__chunk_bad(s, "fixed array data block lacks its FADB signature");
    page = (uint64_t)1 << page_bits;
    prefix = 6u + f->so;
    if (nelmts <= page) {
        if (!k2onnx__checksum_ok(f, dblk, prefix + nelmts * elem_size + 4)) return k2onnx__chunk_bad(s, "fixed array data block checksum mismatch");
        for (i = 0; i < nelmts; i++)
            if (!k2onnx__chunks_element(s, dblk + prefix + i * elem_size, elem_size, client == 1, i)) return 0;
        return 1;
    }
    npages = (nelmts + page - 1) / page;
    {
        uint64_t bitmap = dblk + prefix, pos = dblk + prefix + (npages + 7) / 8 + 4;
        if (!k2onnx__checksum_ok(f, dblk, prefix + (npages + 7) / 8 + 4)) return k2onnx__chunk_bad(s, "fixed array data block checksum mismatch");
        for (i = 0; i < npages; i++) {
            uint64_t n = i + 1 < npages ? page : nelmts - i * page, j;
            if ((f->buf[bitmap + i / 8] >> (7 - i % 8)) & 1u) {
                if (!k2onnx__checksum_ok(f, pos, n * elem_size + 4)) return k2onnx__chunk_bad(s, "fixed array page checksum mismatch");
                for (j = 0; j < n; j++)
                    if (!k2onnx__chunks_element(s, pos + j * elem_size, elem_size, client == 1, i * page + j)) return 0;
            }
            pos += n * elem_size + 4;
        }
    }
    return 1;
}

static int k2onnx__chunks_earray(k2onnx__chunks *s);

#endif

#ifndef K2ONNX_NO_H5_CHUNKED
/* The chunk grid of a chunked dataset assembled into `out`, and the buffers its filters need. */
static int k2onnx__chunks_open(k2onnx__chunks *s, const k2onnx__h5 *f, const k2onnx__h5obj *o, unsigned char *out)
{
    unsigned i;
    memset(s, 0, sizeof *s);
    s->f = f;
    s->o = o;
    s->out = out;
    s->esize = o->type.size;
    s->rank = o->space.rank;
    s->unlim = -1;
    if (s->rank == 0 || o->chunk_rank != s->rank + 1) return k2onnx__h5_bad(f, o->path, "chunk rank does not match the dataspace");
    s->chunk_bytes = o->type.size;
    s->grid_count = 1;
    for (i = 0; i < s->rank; i++) {
        uint64_t extent = o->space.maxdims[i] == UINT64_MAX ? o->space.dims[i] : o->space.maxdims[i];
        s->chunk[i] = o->chunk_dims[i];
        if (s->chunk[i] == 0) return k2onnx__h5_bad(f, o->path, "chunk dimension is 0");
        if (s->chunk_bytes > f->ctx->opt.max_memory / s->chunk[i]) return k2onnx__h5_bad(f, o->path, "chunk is larger than max_memory");
        s->chunk_bytes *= s->chunk[i];
        s->grid[i] = extent / s->chunk[i] + (extent % s->chunk[i] != 0);
        if (s->grid[i] == 0) s->grid[i] = 1;
        s->grid_count = s->grid_count > UINT64_MAX / s->grid[i] ? UINT64_MAX : s->grid_count * s->grid[i];
    }
    /* Filters may add a few bytes (Fletcher-32) before the last step restores the chunk size. */
    s->buf_cap = (size_t)s->chunk_bytes + 64u * K2ONNX__MAX_FILTERS;
    if (o->nfilters) {
        s->buf[0] = (unsigned char *)k2onnx__alloc(f->ctx, s->buf_cap);
        s->buf[1] = (unsigned char *)k2onnx__alloc(f->ctx, s->buf_cap);
        if (!s->buf[0] || !s->buf[1]) return 0;
    }
    s->max_visits = f->size / 4u + 16u;
    return 1;
}

/* Assembles a chunked dataset into `out` (filled with the fill value) by walking its chunk index. */
static int k2onnx__h5_read_chunked(const k2onnx__h5 *f, const k2onnx__h5obj *o, unsigned char *out)
{
    k2onnx__chunks s;
    if (!k2onnx__chunks_open(&s, f, o, out)) return 0;
    switch (o->chunk_index) {
    case K2ONNX__CHUNK_BTREE1: return k2onnx__chunks_btree1(&s, o->chunk_index_addr, -1);
    case K2ONNX__CHUNK_SINGLE: {
        uint64_t zero[K2ONNX__H5_MAX_RANK];
        memset(zero, 0, sizeof zero);
        return k2onnx__chunk_store(&s, zero, o->chunk_index_addr, (o->chunk_layout_flags & 0x02u) ? o->single_chunk_size : s.chunk_bytes,
                                   o->single_chunk_mask);
    }
    case K2ONNX__CHUNK_IMPLICIT: {
        uint64_t i2, scaled[K2ONNX__H5_MAX_RANK];
        if (s.grid_count > f->size / s.chunk_bytes) return k2onnx__h5_bad(f, o->path, "implicitly indexed chunks do not fit in the file");
        for (i2 = 0; i2 < s.grid_count; i2++) {
            k2onnx__chunk_coords(&s, i2, scaled);
            if (!k2onnx__chunk_store(&s, scaled, o->chunk_index_addr + i2 * s.chunk_bytes, s.chunk_bytes, 0)) return 0;
        }
        return 1;
    }
    case K2ONNX__CHUNK_FARRAY: return k2onnx__chunks_farray(&s);
    case K2ONNX__CHUNK_EARRAY: return k2onnx__chunks_earray(&s);
    case K2ONNX__CHUNK_BTREE2: {
        k2onnx__chunk_rec cr;
        cr.s = &s;
        cr.filtered = o->nfilters > 0;
        return k2onnx__bt2_iterate(f, o->path, o->chunk_index_addr, cr.filtered ? 11u : 10u, k2onnx__chunks_bt2_cb, &cr);
    }
    default: break;
    }
    return k2onnx__fail(f->ctx, k2onnx_result_unsupported_file, "HDF5 dataset '%s': chunk index type %d", o->path, (int)o->chunk_index);
}
#endif

/* Reads a dataset's raw element bytes (file byte order) into *data: a pointer into the file for
   contiguous and compact storage, an assembled arena copy for chunked storage. */
static int k2onnx__h5_read_raw(const k2onnx__h5 *f, const k2onnx__h5obj *o, const unsigned char **data, uint64_t *nbytes)
{
    uint64_t esize = o->type.size, bytes;
    unsigned char *out;
    if (!o->has_type || !o->has_space || !o->has_layout) return k2onnx__h5_bad(f, o->path, "is not a dataset");
    if (o->space.count > UINT64_MAX / (esize ? esize : 1)) return k2onnx__h5_bad(f, o->path, "dataset size overflows");
    bytes = o->space.count * esize;
    *nbytes = bytes;
    *data = f->buf;
    if (bytes == 0) return 1;
    if (o->layout_class == K2ONNX__LAYOUT_COMPACT || (o->layout_class == K2ONNX__LAYOUT_CONTIGUOUS && o->data_pos != K2ONNX__UNDEF_ADDR)) {
        uint64_t have = o->data_size == UINT64_MAX ? bytes : o->data_size;
        if (have < bytes || !k2onnx__in_bounds(f->size, o->data_pos, bytes))
            return k2onnx__h5_bad(f, o->path, "dataset storage is outside the file");
        *data = f->buf + o->data_pos;
        return 1;
    }
    if (o->layout_class == K2ONNX__LAYOUT_VIRTUAL)
        return k2onnx__fail(f->ctx, k2onnx_result_unsupported_file, "HDF5 dataset '%s': virtual dataset layout is not supported", o->path);
    if (o->layout_class != K2ONNX__LAYOUT_CONTIGUOUS && o->layout_class != K2ONNX__LAYOUT_CHUNKED)
        return k2onnx__fail(f->ctx, k2onnx_result_unsupported_file, "HDF5 dataset '%s': layout class %d", o->path, o->layout_class);
    /* Never-written data reads as the fill value, as in libhdf5. */
    if (bytes / f->ctx->opt.max_dataset_ratio > f->size)
        return k2onnx__fail(f->ctx, k2onnx_result_limit_exceeded, "HDF5 dataset '%s' would expand to %u bytes, more than max_dataset_ratio (%u) times the file size",
                            o->path, (unsigned long long)bytes, (unsigned long long)f->ctx->opt.max_dataset_ratio);
    if (bytes > f->ctx->opt.max_memory) return k2onnx__fail(f->ctx, k2onnx_result_limit_exceeded, "HDF5 dataset '%s' needs %u bytes, more than max_memory",
                                                        o->path, (unsigned long long)bytes);
    out = (unsigned char *)k2onnx__alloc(f->ctx, (size_t)bytes);
    if (!out) return 0;
    if (o->fill_defined && o->fill_size == esize && k2onnx__in_bounds(f->size, o->fill_pos, esize)) {
        uint64_t i;
        for (i = 0; i < o->space.count; i++) memcpy(out + i * esize, f->buf + o->fill_pos, (size_t)esize);
    }
    *data = out;
#ifdef K2ONNX_NO_H5_CHUNKED
    if (o->layout_class == K2ONNX__LAYOUT_CHUNKED && o->chunk_index_addr != K2ONNX__UNDEF_ADDR)
        return k2onnx__fail(f->ctx, k2onnx_result_unsupported_file, "HDF5 dataset '%s': chunked storage is left out of this build (K2ONNX_NO_H5_CHUNKED)", o->path);
#else
    if (o->layout_class == K2ONNX__LAYOUT_CHUNKED && o->chunk_index_addr != K2ONNX__UNDEF_ADDR) return k2onnx__h5_read_chunked(f, o, out);
#endif
    return 1;
}

#ifndef K2ONNX_NO_H5_CHUNKED
/* Extensible array chunk index (one unlimited dimension). Elements live in the index block, then
   in data blocks listed by the index block, then in data blocks listed by super blocks; super
   block u holds 2^(u/2) data blocks of 2^((u+1)/2) * min_elements elements. */
typedef struct k2onnx__earray {
    k2onnx__chunks *s;
    unsigned client, elem_size, max_bits, idx_elmts, dblk_min, sblk_min_ptrs, page_bits, off_size;
} k2onnx__earray;

static int k2onnx__earray_dblock(k2onnx__earray *ea, uint64_t addr, uint64_t nelmts, uint64_t first, const unsigned char *page_bitmap,
                                 uint64_t first_bit)
{
    k2onnx__chunks *s = ea->s;
    const k2onnx__h5 *f = s->f;
    uint64_t prefix = 6u + f->so + ea->off_size, page = (uint64_t)1 << ea->page_bits, i;
    if (addr == K2ONNX__UNDEF_ADDR) return 1;
    if (!k2onnx__sig(f, addr, "EADB")) return k2onnx__chunk_bad(s, "extensible array data block lacks its EADB signature");
    if (nelmts > f->size / ea->elem_size) return k2onnx__chunk_bad(s, "extensible array data block is larger than the file");
    if (nelmts <= page) {
        if (!k2onnx__checksum_ok(f, addr, prefix + nelmts * ea->elem_size + 4)) return k2onnx__chunk_bad(s, "extensible array data block checksum mismatch");
        for (i = 0; i < nelmts; i++)
            if (!k2onnx__chunks_element(s, addr + prefix + i * ea->elem_size, ea->elem_size, ea->client == 1, first + i)) return 0;
        return 1;
    }
    if (!page_bitmap) return k2onnx__chunk_bad(s, "paged extensible array data block without a page bitmap");
    if (!k2onnx__checksum_ok(f, addr, prefix + 4)) return k2onnx__chunk_bad(s, "extensible array data block checksum mismatch");
    {
        uint64_t npages = nelmts / page, pos = addr + prefix + 4, p, j;
        for (p = 0; p < npages; p++) {
            uint64_t bit = first_bit + p; /* one packed bit array across the super block's data blocks */
            if ((page_bitmap[bit / 8] >> (7 - bit % 8)) & 1u) {
                if (!k2onnx__checksum_ok(f, pos, page * ea->elem_size + 4)) return k2onnx__chunk_bad(s, "extensible array page checksum mismatch");
                for (j = 0; j < page; j++)
                    if (!k2onnx__chunks_element(s, pos + j * ea->elem_size, ea->elem_size, ea->client == 1, first + p * page + j)) return 0;
            }
            pos += page * ea->elem_size + 4;
        }
    }
    return 1;
}

static int k2onnx__chunks_earray(k2onnx__chunks *s)
{
    const k2onnx__h5 *f = s->f;
    uint64_t addr = s->o->chunk_index_addr, iblock, start_idx[64], u, i;
    unsigned nsblks, ib_nsblks, ndblk_addrs, nsblk_addrs, d;
    k2onnx__earray ea;
    k2onnx__cur c = k2onnx__cursor(f, addr, f->size > addr ? f->size - addr : 0);
    memset(&ea, 0, sizeof ea);
    ea.s = s;
    for (d = 0; d < s->rank; d++)
        if (s->o->space.maxdims[d] == UINT64_MAX) s->unlim = (int)d;
    if (s->unlim < 0) return k2onnx__chunk_bad(s, "extensible array index on a dataset without an unlimited dimension");
    if (!k2onnx__sig(f, addr, "EAHD")) return k2onnx__chunk_bad(s, "extensible array header lacks its EAHD signature");
    k2onnx__cur_skip(&c, 5);
    ea.client = (unsigned)k2onnx__cur_uint(&c, 1);
    ea.elem_size = (unsigned)k2onnx__cur_uint(&c, 1);
    ea.max_bits = (unsigned)k2onnx__cur_uint(&c, 1);
    ea.idx_elmts = (unsigned)k2onnx__cur_uint(&c, 1);
    ea.dblk_min = (unsigned)k2onnx__cur_uint(&c, 1);
    ea.sblk_min_ptrs = (unsigned)k2onnx__cur_uint(&c, 1);
    ea.page_bits = (unsigned)k2onnx__cur_uint(&c, 1);
    k2onnx__cur_skip(&c, 6u * f->sl);
    iblock = k2onnx__cur_addr(&c);
    if (c.bad || !k2onnx__checksum_ok(f, addr, c.pos + 4 - addr)) return k2onnx__chunk_bad(s, "extensible array header checksum mismatch");
    if (ea.client > 1 || ea.elem_size < f->so || ea.max_bits == 0 || ea.max_bits > 64 || ea.dblk_min == 0 ||
        (ea.dblk_min & (ea.dblk_min - 1)) || ea.sblk_min_ptrs == 0 || (ea.sblk_min_ptrs & (ea.sblk_min_ptrs - 1)) ||
        ea.page_bits > 32 || k2onnx__log2(ea.dblk_min) > ea.max_bits)
        return k2onnx__chunk_bad(s, "extensible array header has impossible sizes");
    ea.off_size = (ea.max_bits + 7) / 8;
    nsblks = 1 + ea.max_bits - k2onnx__log2(ea.dblk_min);
    if (nsblks > 64) return k2onnx__chunk_bad(s, "extensible array header has impossible sizes");
    for (u = 0, i = 0; u < nsblks; u++) {
        start_idx[u] = i;
        i += ((uint64_t)1 << (u / 2)) * (((uint64_t)1 << ((u + 1) / 2)) * ea.dblk_min);
    }
    ib_nsblks = 2 * k2onnx__log2(ea.sblk_min_ptrs);
    ndblk_addrs = 2 * (ea.sblk_min_ptrs - 1);
    nsblk_addrs = nsblks > ib_nsblks ? nsblks - ib_nsblks : 0;
    if (iblock == K2ONNX__UNDEF_ADDR) return 1;
    if (!k2onnx__sig(f, iblock, "EAIB")) return k2onnx__chunk_bad(s, "extensible array index block lacks its EAIB signature");
    {
        uint64_t elems = iblock + 6u + f->so, dblks = elems + (uint64_t)ea.idx_elmts * ea.elem_size;
        uint64_t sblks = dblks + (uint64_t)ndblk_addrs * f->so;
        if (!k2onnx__checksum_ok(f, iblock, sblks + (uint64_t)nsblk_addrs * f->so + 4 - iblock))
            return k2onnx__chunk_bad(s, "extensible array index block checksum mismatch");
        for (i = 0; i < ea.idx_elmts; i++)
            if (!k2onnx__chunks_element(s, elems + i * ea.elem_size, ea.elem_size, ea.client == 1, i)) return 0;
        /* Data blocks of the first super blocks are listed in the index block itself. */
        for (u = 0, d = 0; u < ib_nsblks && u < nsblks; u++) {
            uint64_t ndblks = (uint64_t)1 << (u / 2), nelmts = ((uint64_t)1 << ((u + 1) / 2)) * ea.dblk_min, j;
            for (j = 0; j < ndblks && d < ndblk_addrs; j++, d++) {
                k2onnx__cur a = k2onnx__cursor(f, dblks + (uint64_t)d * f->so, f->so);
                uint64_t dblk = k2onnx__cur_addr(&a);
                if (!k2onnx__earray_dblock(&ea, dblk, nelmts, ea.idx_elmts + start_idx[u] + j * nelmts, NULL, 0)) return 0;
            }
        }
        for (u = ib_nsblks; u < nsblks; u++) {
            k2onnx__cur a = k2onnx__cursor(f, sblks + (u - ib_nsblks) * f->so, f->so);
            uint64_t sblk = k2onnx__cur_addr(&a), ndblks = (uint64_t)1 << (u / 2);
            uint64_t nelmts = ((uint64_t)1 << ((u + 1) / 2)) * ea.dblk_min, page = (uint64_t)1 << ea.page_bits;
            uint64_t bitmap_size = nelmts > page ? (nelmts / page + 7) / 8 : 0, prefix, j;
            if (sblk == K2ONNX__UNDEF_ADDR) continue;
            if (!k2onnx__sig(f, sblk, "EASB")) return k2onnx__chunk_bad(s, "extensible array super block lacks its EASB signature");
            prefix = 6u + f->so + ea.off_size;
            if (!k2onnx__in_bounds(f->size, sblk, prefix + ndblks * (bitmap_size + f->so) + 4) ||
                !k2onnx__checksum_ok(f, sblk, prefix + ndblks * (bitmap_size + f->so) + 4))
                return k2onnx__chunk_bad(s, "extensible array super block checksum mismatch");
            for (j = 0; j < ndblks; j++) {
                k2onnx__cur b = k2onnx__cursor(f, sblk + prefix + ndblks * bitmap_size + j * f->so, f->so);
                uint64_t dblk = k2onnx__cur_addr(&b);
                const unsigned char *bitmap = bitmap_size ? f->buf + sblk + prefix : NULL;
                if (!k2onnx__earray_dblock(&ea, dblk, nelmts, ea.idx_elmts + start_idx[u] + j * nelmts, bitmap, j * (nelmts / page))) return 0;
            }
        }
    }
    return 1;
}

#endif

/* --- groups ------------------------------------------------------------------------------- */

typedef int (*k2onnx__h5_visit_fn)(void *user, const k2onnx__h5link *link);

typedef struct k2onnx__h5_walk {
    const k2onnx__h5 *f;
    const char *path;
    uint64_t heap_data, heap_size;
    uint64_t visits, max_visits;
    k2onnx__h5_visit_fn fn;
    void *user;
    int stop;
} k2onnx__h5_walk;

static int k2onnx__h5_snod(k2onnx__h5_walk *w, uint64_t addr)
{
    const k2onnx__h5 *f = w->f;
    k2onnx__cur c = k2onnx__cursor(f, addr, f->size > addr ? f->size - addr : 0);
    uint64_t n, i;
    if (!k2onnx__sig(f, addr, "SNOD")) return k2onnx__h5_bad(f, w->path, "symbol table node lacks its SNOD signature");
    k2onnx__cur_skip(&c, 6);
    n = k2onnx__cur_uint(&c, 2);
    for (i = 0; i < n && !w->stop; i++) {
        uint64_t name_off = k2onnx__cur_uint(&c, f->sl); /* libhdf5 sizes it as a length */
        uint64_t obj = k2onnx__cur_addr(&c);
        unsigned cache = (unsigned)k2onnx__cur_uint(&c, 4);
        uint64_t scratch;
        k2onnx__h5link link;
        k2onnx__cur_skip(&c, 4);
        scratch = k2onnx__cur_uint(&c, 4);
        k2onnx__cur_skip(&c, 12);
        if (c.bad) return k2onnx__h5_bad(f, w->path, "truncated symbol table node");
        if (name_off >= w->heap_size) return k2onnx__h5_bad(f, w->path, "link name is outside the local heap");
        memset(&link, 0, sizeof link);
        link.name = (const char *)f->buf + w->heap_data + name_off;
        link.name_len = k2onnx__strnlen(link.name, (size_t)(w->heap_size - name_off));
        link.addr = obj;
        if (cache == 2) { /* a soft link: the scratch pad holds its target's offset in the local heap */
            if (scratch >= w->heap_size) return k2onnx__h5_bad(f, w->path, "soft link value is outside the local heap");
            link.link_type = K2ONNX__LINK_SOFT;
            link.addr = K2ONNX__UNDEF_ADDR;
            link.value = (const char *)f->buf + w->heap_data + scratch;
            link.value_len = k2onnx__strnlen(link.value, (size_t)(w->heap_size - scratch));
        }
        if (!w->fn(w->user, &link)) w->stop = 1;
    }
    return 1;
}

static int k2onnx__h5_btree(k2onnx__h5_walk *w, uint64_t addr, int expect_level)
{
    const k2onnx__h5 *f = w->f;
    k2onnx__cur c = k2onnx__cursor(f, addr, f->size > addr ? f->size - addr : 0);
    int level;
    uint64_t n, i;
    if (++w->visits > w->max_visits) return k2onnx__h5_bad(f, w->path, "group B-tree visits more nodes than the file can hold");
    if (!k2onnx__sig(f, addr, "TREE")) return k2onnx__h5_bad(f, w->path, "group B-tree node lacks its TREE signature");
    k2onnx__cur_skip(&c, 4);
    if (k2onnx__cur_uint(&c, 1) != 0) return k2onnx__h5_bad(f, w->path, "group B-tree node has the wrong node type");
    level = (int)k2onnx__cur_uint(&c, 1);
    if (expect_level >= 0 && level != expect_level) return k2onnx__h5_bad(f, w->path, "group B-tree levels are inconsistent");
    n = k2onnx__cur_uint(&c, 2);
    k2onnx__cur_skip(&c, 2u * f->so + f->sl); /* siblings, first key */
    for (i = 0; i < n && !w->stop; i++) {
        uint64_t child = k2onnx__cur_addr(&c);
        k2onnx__cur_skip(&c, f->sl);
        if (c.bad || child == K2ONNX__UNDEF_ADDR) return k2onnx__h5_bad(f, w->path, "truncated group B-tree node");
        if (level > 0 ? !k2onnx__h5_btree(w, child, level - 1) : !k2onnx__h5_snod(w, child)) return 0;
    }
    return 1;
}

/* Calls fn for every member of a group, in storage order; fn returns 0 to stop. */
static int k2onnx__h5_iterate(const k2onnx__h5 *f, const k2onnx__h5obj *g, k2onnx__h5_visit_fn fn, void *user)
{
    if (g->has_symtab) {
        k2onnx__h5_walk w;
        k2onnx__cur c = k2onnx__cursor(f, g->heap_addr, 32);
        memset(&w, 0, sizeof w);
        w.f = f;
        w.path = g->path;
        w.fn = fn;
        w.user = user;
        w.max_visits = f->size / 24 + 1;
        if (!k2onnx__sig(f, g->heap_addr, "HEAP")) return k2onnx__h5_bad(f, g->path, "local heap lacks its HEAP signature");
        k2onnx__cur_skip(&c, 8);
        w.heap_size = k2onnx__cur_uint(&c, f->sl);
        k2onnx__cur_skip(&c, f->sl);
        w.heap_data = k2onnx__cur_addr(&c);
        if (c.bad || w.heap_data == K2ONNX__UNDEF_ADDR || !k2onnx__in_bounds(f->size, w.heap_data, w.heap_size))
            return k2onnx__h5_bad(f, g->path, "local heap is outside the file");
        return k2onnx__h5_btree(&w, g->btree_addr, -1);
    }
    {
        size_t i;
        for (i = 0; i < g->nlinks; i++)
            if (!fn(user, &g->links[i])) break;
    }
    return 1;
}

typedef struct k2onnx__h5_find {
    const char *name;
    size_t len;
    k2onnx__h5link link;
    int found;
} k2onnx__h5_find;

static int k2onnx__h5_find_cb(void *user, const k2onnx__h5link *link)
{
    k2onnx__h5_find *s = (k2onnx__h5_find *)user;
    if (link->name_len == s->len && memcmp(link->name, s->name, s->len) == 0) {
        s->link = *link;
        s->found = 1;
        return 0;
    }
    return 1;
}

static int k2onnx__h5_open_path_hops(const k2onnx__h5 *f, const char *path, k2onnx__h5obj *o, int missing_ok, unsigned hops);

/* Continues a path walk through a soft link: its target replaces the components read so far
   (absolute target) or the last one (relative target). */
static int k2onnx__h5_follow_soft(const k2onnx__h5 *f, const char *path, const char *component, const char *rest,
                                  const k2onnx__h5link *link, k2onnx__h5obj *o, int missing_ok, unsigned hops)
{
    size_t vlen = k2onnx__strnlen(link->value, link->value_len), keep = link->value[0] == '/' ? 0 : (size_t)(component - path);
    size_t rlen = strlen(rest);
    char *next;
    if (hops >= 16) return k2onnx__fail(f->ctx, k2onnx_result_invalid_file, "HDF5 path '%s': soft links loop", path);
    next = (char *)k2onnx__alloc(f->ctx, keep + vlen + rlen + 1);
    if (!next) return 0;
    memcpy(next, path, keep);
    memcpy(next + keep, link->value, vlen);
    memcpy(next + keep + vlen, rest, rlen + 1);
    return k2onnx__h5_open_path_hops(f, next, o, missing_ok, hops + 1);
}

/* Opens the object at an absolute path such as "/model_weights/dense_1/dense_1/kernel:0".
   Returns 1 and fills `o`, or 0; when `missing_ok` a missing member is not an error (o->addr
   is left undefined). Soft links are followed; external links are refused. */
static int k2onnx__h5_open_path(const k2onnx__h5 *f, const char *path, k2onnx__h5obj *o, int missing_ok)
{
    return k2onnx__h5_open_path_hops(f, path, o, missing_ok, 0);
}

/* Where the next name of a path starts: past any slashes (a path may repeat or end with them). */
static const char *k2onnx__h5_path_next(const char *p)
{
    while (*p == '/') p++;
    return p;
}

static int k2onnx__h5_open_path_hops(const k2onnx__h5 *f, const char *path, k2onnx__h5obj *o, int missing_ok, unsigned hops)
{
    const char *p = path, *full = k2onnx__strndup(f->ctx, path, strlen(path));
    int depth = 0;
    if (!full) return 0;
    /* Every path is walked from the root: the groups on the way need their links alone, and
       reading their attributes again at each walk would fill the arena with copies. */
    if (!k2onnx__h5_object_at(f, f->root_addr, "/", o, 0, !*k2onnx__h5_path_next(p))) return 0;
    while (*(p = k2onnx__h5_path_next(p))) {
        k2onnx__h5_find s;
        const char *end = strchr(p, '/');
        if (!end) end = p + strlen(p);
        if (++depth > 64) return k2onnx__h5_bad(f, full, "path is too deep");
        memset(&s, 0, sizeof s);
        s.name = p;
        s.len = (size_t)(end - p);
        if (!o->has_symtab && !o->has_link_info && o->nlinks == 0) {
            if (missing_ok) { o->addr = K2ONNX__UNDEF_ADDR; return 0; }
            return k2onnx__fail(f->ctx, k2onnx_result_invalid_model, "HDF5 path '%s': '%.*s' is not a group", full, (int)(p - path), path);
        }
        if (!k2onnx__h5_iterate(f, o, k2onnx__h5_find_cb, &s)) return 0;
        if (!s.found) {
            if (missing_ok) { o->addr = K2ONNX__UNDEF_ADDR; return 0; }
            return k2onnx__fail(f->ctx, k2onnx_result_invalid_model, "HDF5 path '%s' does not exist", full);
        }
        if (s.link.link_type == K2ONNX__LINK_SOFT && s.link.value_len > 0)
            return k2onnx__h5_follow_soft(f, full, full + (p - path), full + (end - path), &s.link, o, missing_ok, hops);
        if (s.link.link_type != K2ONNX__LINK_HARD)
            return k2onnx__fail(f->ctx, k2onnx_result_unsupported_file, "HDF5 path '%s': external and user-defined links are not followed", full);
        if (!k2onnx__h5_object_at(f, s.link.addr, full, o, 0, !*k2onnx__h5_path_next(end))) return 0;
        p = end;
    }
    return 1;
}

static const k2onnx__h5attr *k2onnx__h5_attr(const k2onnx__h5obj *o, const char *name)
{
    size_t i;
    for (i = 0; i < o->nattrs; i++)
        if (k2onnx__streq(o->attrs[i].name, o->attrs[i].name_len, name)) return &o->attrs[i];
    return NULL;
}

/* Finds object `index` of the global heap collection at `coll` (a buffer offset). */
static int k2onnx__h5_global(const k2onnx__h5 *f, const char *path, uint64_t coll, uint64_t index,
                             const unsigned char **data, uint64_t *size)
{
    k2onnx__cur c;
    uint64_t coll_size, end, pos;
    if (coll == K2ONNX__UNDEF_ADDR || !k2onnx__sig(f, coll, "GCOL")) return k2onnx__h5_bad(f, path, "global heap collection lacks its GCOL signature");
    c = k2onnx__cursor(f, coll + 8, f->sl);
    coll_size = k2onnx__cur_uint(&c, f->sl);
    if (c.bad || coll_size < 8u + f->sl || !k2onnx__in_bounds(f->size, coll, coll_size))
        return k2onnx__h5_bad(f, path, "global heap collection is outside the file");
    end = coll + coll_size;
    pos = coll + 8 + f->sl;
    while (end - pos >= 8u + f->sl) {
        uint64_t idx, osize;
        c = k2onnx__cursor(f, pos, end - pos);
        idx = k2onnx__cur_uint(&c, 2);
        k2onnx__cur_skip(&c, 6);
        osize = k2onnx__cur_uint(&c, f->sl);
        if (c.bad || end - c.pos < osize) break;
        if (idx == index && idx != 0) {
            *data = f->buf + c.pos;
            *size = osize;
            return 1;
        }
        if (idx == 0) break; /* free space runs to the end of the collection */
        pos = c.pos + (osize + 7) / 8 * 8;
        if (pos > end) break;
    }
    return k2onnx__h5_bad(f, path, "global heap object not found");
}

/* Element `i` of a string attribute (fixed-length or variable-length) as pointer + length. */
static int k2onnx__h5_attr_string(const k2onnx__h5 *f, const char *path, const k2onnx__h5attr *a, uint64_t i,
                                  const char **s, size_t *len)
{
    const unsigned char *p;
    if (i >= a->space.count) return k2onnx__h5_bad(f, path, "string index out of range");
    p = f->buf + a->data_pos + i * a->type.size;
    if (a->type.cls == K2ONNX__H5T_STRING) {
        size_t n = k2onnx__strnlen((const char *)p, (size_t)a->type.size);
        if ((a->type.bits & 0x0fu) == 2u) while (n > 0 && p[n - 1] == ' ') n--; /* space padded */
        *s = (const char *)p;
        *len = n;
        return 1;
    }
    if (a->type.cls == K2ONNX__H5T_VLEN && (a->type.vlen_string || a->type.base_size == 1)) {
        k2onnx__cur c = k2onnx__cursor(f, a->data_pos + i * a->type.size, a->type.size);
        uint64_t n = k2onnx__cur_uint(&c, 4), coll = k2onnx__cur_addr(&c), idx = k2onnx__cur_uint(&c, 4);
        const unsigned char *d = NULL;
        uint64_t dsize = 0;
        if (c.bad) return k2onnx__h5_bad(f, path, "truncated variable-length string");
        if (n == 0) { *s = ""; *len = 0; return 1; }
        if (!k2onnx__h5_global(f, path, coll, idx, &d, &dsize)) return 0;
        if (n > dsize) return k2onnx__h5_bad(f, path, "variable-length string is longer than its heap object");
        *s = (const char *)d;
        *len = k2onnx__strnlen((const char *)d, (size_t)n);
        return 1;
    }
    return k2onnx__fail(f->ctx, k2onnx_result_invalid_model, "HDF5 attribute '%s' of '%s' is not a string (datatype class %d)",
                        a->name, path, (int)a->type.cls);
}

#ifndef K2ONNX_NO_H5_INSPECT
/* --- inspection: recursive listing and element values ------------------------------------------ */

enum { K2ONNX__KIND_GROUP, K2ONNX__KIND_DATASET, K2ONNX__KIND_DATATYPE, K2ONNX__KIND_ATTRIBUTE,
       K2ONNX__KIND_SOFT, K2ONNX__KIND_EXTERNAL, K2ONNX__KIND_UD, K2ONNX__KIND_COUNT };

typedef struct k2onnx__h5entry {
    const char *path;
    size_t path_len;
    unsigned kind;
    const char *dtype, *shape;
} k2onnx__h5entry;

#define K2ONNX__MAX_GROUP_DEPTH 128
#define K2ONNX__MAX_ENTRIES ((size_t)1 << 22)

typedef struct k2onnx__h5list {
    const k2onnx__h5 *f;
    k2onnx__h5entry *items;
    size_t n, cap;
    uint64_t ancestors[K2ONNX__MAX_GROUP_DEPTH];
    unsigned depth;
} k2onnx__h5list;

/* Names a datatype the way the listing shows it: numpy-like for numbers, the class otherwise. */
static void k2onnx__h5_dtype_name(const k2onnx__h5type *t, char *buf, size_t cap)
{
    buf[0] = '\0';
    if (t->cls == K2ONNX__H5T_FIXED || t->cls == K2ONNX__H5T_FLOAT) {
        int is_float = t->cls == K2ONNX__H5T_FLOAT;
        if (t->big_endian && t->size > 1)
            k2onnx__format_append(buf, cap, ">%c%u", is_float ? 'f' : (t->is_signed ? 'i' : 'u'), (unsigned long long)t->size);
        else
            k2onnx__format_append(buf, cap, "%s%u", is_float ? "float" : (t->is_signed ? "int" : "uint"), (unsigned long long)(8u * t->size));
    } else if (t->cls == K2ONNX__H5T_STRING) {
        k2onnx__format_append(buf, cap, "str");
    } else if (t->cls == K2ONNX__H5T_VLEN) {
        k2onnx__format_append(buf, cap, t->vlen_string ? "vlen-str" : "vlen");
    } else {
        k2onnx__format_append(buf, cap, "%s", k2onnx__h5_class_name(t->cls));
    }
}

static const char *k2onnx__h5_shape_name(k2onnx__ctx *ctx, const k2onnx__h5space *s)
{
    char buf[256];
    unsigned i;
    buf[0] = '\0';
    if (s->is_null) return "null";
    if (s->rank == 0) return "scalar";
    for (i = 0; i < s->rank; i++) k2onnx__format_append(buf, sizeof buf, i ? "x%u" : "%u", (unsigned long long)s->dims[i]);
    return k2onnx__strndup(ctx, buf, strlen(buf));
}

static int k2onnx__h5_list_add(k2onnx__h5list *L, const char *path, size_t path_len, unsigned kind, const char *dtype, const char *shape)
{
    k2onnx__h5entry *e;
    if (L->n >= K2ONNX__MAX_ENTRIES)
        return k2onnx__fail(L->f->ctx, k2onnx_result_limit_exceeded, "HDF5 listing has more than %u entries", (unsigned long long)K2ONNX__MAX_ENTRIES);
    if (!k2onnx__reserve(L->f->ctx, (void **)&L->items, &L->cap, L->n + 1, sizeof *L->items)) return 0;
    e = &L->items[L->n++];
    e->path = path;
    e->path_len = path_len;
    e->kind = kind;
    e->dtype = dtype;
    e->shape = shape;
    return 1;
}

static char *k2onnx__h5_join(k2onnx__ctx *ctx, const char *parent, const char *sep, const char *name, size_t name_len)
{
    size_t a = strlen(parent), b = strlen(sep);
    char *p;
    if (a == 1 && parent[0] == '/' && sep[0] == '/') a = 0; /* children of the root: "/name" */
    p = (char *)k2onnx__alloc(ctx, a + b + name_len + 1);
    if (!p) return NULL;
    memcpy(p, parent, a);
    memcpy(p + a, sep, b);
    memcpy(p + a + b, name, name_len);
    p[a + b + name_len] = '\0';
    return p;
}

static int k2onnx__h5_list_attrs(k2onnx__h5list *L, const k2onnx__h5obj *o, const char *path)
{
    size_t i;
    for (i = 0; i < o->nattrs; i++) {
        const k2onnx__h5attr *a = &o->attrs[i];
        char dtype[32];
        char *p = k2onnx__h5_join(L->f->ctx, path, "@", a->name, a->name_len);
        const char *shape = k2onnx__h5_shape_name(L->f->ctx, &a->space);
        k2onnx__h5_dtype_name(&a->type, dtype, sizeof dtype);
        if (!p || !shape || !k2onnx__h5_list_add(L, p, strlen(p), K2ONNX__KIND_ATTRIBUTE, k2onnx__strndup(L->f->ctx, dtype, strlen(dtype)), shape))
            return 0;
    }
    return 1;
}

static int k2onnx__h5_list_group(k2onnx__h5list *L, const k2onnx__h5obj *g, const char *path);

typedef struct k2onnx__h5_collect {
    k2onnx__ctx *ctx;
    k2onnx__h5link *links;
    size_t n, cap;
} k2onnx__h5_collect;

static int k2onnx__h5_collect_cb(void *user, const k2onnx__h5link *link)
{
    k2onnx__h5_collect *c = (k2onnx__h5_collect *)user;
    if (!k2onnx__reserve(c->ctx, (void **)&c->links, &c->cap, c->n + 1, sizeof *c->links)) return 0;
    c->links[c->n++] = *link;
    return 1;
}

static int k2onnx__h5_list_link(k2onnx__h5list *L, const k2onnx__h5link *link, const char *path)
{
    k2onnx__ctx *ctx = L->f->ctx;
    k2onnx__h5obj o;
    char dtype[32];
    unsigned i;
    if (link->link_type == K2ONNX__LINK_SOFT)
        return k2onnx__h5_list_add(L, path, strlen(path), K2ONNX__KIND_SOFT, k2onnx__strndup(ctx, link->value, k2onnx__strnlen(link->value, link->value_len)), "-");
    if (link->link_type == K2ONNX__LINK_EXTERNAL) {
        /* value: one flags byte, the file name, NUL, the object path, NUL */
        const char *file = link->value_len > 1 ? link->value + 1 : "";
        size_t file_len = link->value_len > 1 ? k2onnx__strnlen(file, link->value_len - 1) : 0;
        const char *obj = file + file_len + 1;
        size_t obj_len = link->value_len > file_len + 2 ? k2onnx__strnlen(obj, link->value_len - file_len - 2) : 0;
        char *target = (char *)k2onnx__alloc(ctx, file_len + obj_len + 2);
        if (!target) return 0;
        memcpy(target, file, file_len);
        target[file_len] = ':';
        if (obj_len) memcpy(target + file_len + 1, obj, obj_len);
        return k2onnx__h5_list_add(L, path, strlen(path), K2ONNX__KIND_EXTERNAL, target, "-");
    }
    if (link->link_type != K2ONNX__LINK_HARD) return k2onnx__h5_list_add(L, path, strlen(path), K2ONNX__KIND_UD, "-", "-");
    if (!k2onnx__h5_object(L->f, link->addr, path, &o)) return 0;
    if (o.has_layout || (o.has_space && o.has_type)) {
        const char *shape = k2onnx__h5_shape_name(ctx, &o.space);
        k2onnx__h5_dtype_name(&o.type, dtype, sizeof dtype);
        if (!shape || !k2onnx__h5_list_add(L, path, strlen(path), K2ONNX__KIND_DATASET, k2onnx__strndup(ctx, dtype, strlen(dtype)), shape)) return 0;
        return k2onnx__h5_list_attrs(L, &o, path);
    }
    if (o.has_type && !o.has_symtab && !o.has_link_info) {
        k2onnx__h5_dtype_name(&o.type, dtype, sizeof dtype);
        if (!k2onnx__h5_list_add(L, path, strlen(path), K2ONNX__KIND_DATATYPE, k2onnx__strndup(ctx, dtype, strlen(dtype)), "-")) return 0;
        return k2onnx__h5_list_attrs(L, &o, path);
    }
    if (!k2onnx__h5_list_add(L, path, strlen(path), K2ONNX__KIND_GROUP, "-", "-") || !k2onnx__h5_list_attrs(L, &o, path)) return 0;
    /* A hard link back to an ancestor would loop forever: list it, do not enter it. */
    for (i = 0; i < L->depth; i++)
        if (L->ancestors[i] == o.addr) return 1;
    if (L->depth >= K2ONNX__MAX_GROUP_DEPTH)
        return k2onnx__fail(ctx, k2onnx_result_limit_exceeded, "HDF5 group '%s' is nested more than %d levels deep", path, K2ONNX__MAX_GROUP_DEPTH);
    return k2onnx__h5_list_group(L, &o, path);
}

static int k2onnx__h5_list_group(k2onnx__h5list *L, const k2onnx__h5obj *g, const char *path)
{
    k2onnx__h5_collect c;
    size_t i;
    memset(&c, 0, sizeof c);
    c.ctx = L->f->ctx;
    if (!k2onnx__h5_iterate(L->f, g, k2onnx__h5_collect_cb, &c) || c.ctx->failed) return 0;
    L->ancestors[L->depth++] = g->addr;
    for (i = 0; i < c.n; i++) {
        char *child = k2onnx__h5_join(c.ctx, path, "/", c.links[i].name, c.links[i].name_len);
        if (!child || !k2onnx__h5_list_link(L, &c.links[i], child)) return 0;
    }
    L->depth--;
    return 1;
}

static int k2onnx__h5entry_before(const k2onnx__h5entry *a, const k2onnx__h5entry *b)
{
    size_t n = a->path_len < b->path_len ? a->path_len : b->path_len;
    int c = memcmp(a->path, b->path, n);
    return c < 0 || (c == 0 && a->path_len < b->path_len);
}

/* Stable bottom-up merge sort by path bytes (no qsort: it is not stable and needs <stdlib.h>). */
static int k2onnx__h5_list_sort(k2onnx__h5list *L)
{
    k2onnx__h5entry *tmp = (k2onnx__h5entry *)k2onnx__alloc_array(L->f->ctx, L->n ? L->n : 1, sizeof *tmp), *src = L->items, *dst = tmp;
    size_t width;
    if (!tmp) return 0;
    for (width = 1; width < L->n; width *= 2) {
        size_t lo;
        for (lo = 0; lo < L->n; lo += 2 * width) {
            size_t mid = lo + width < L->n ? lo + width : L->n, hi = lo + 2 * width < L->n ? lo + 2 * width : L->n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) dst[k++] = k2onnx__h5entry_before(&src[j], &src[i]) ? src[j++] : src[i++];
            while (i < mid) dst[k++] = src[i++];
            while (j < hi) dst[k++] = src[j++];
        }
        tmp = src;
        src = dst;
        dst = tmp;
    }
    L->items = src;
    return 1;
}

static int k2onnx__h5_list(const k2onnx__h5 *f, k2onnx__h5list *L)
{
    k2onnx__h5obj root;
    memset(L, 0, sizeof *L);
    L->f = f;
    if (!k2onnx__h5_object(f, f->root_addr, "/", &root)) return 0;
    if (!k2onnx__h5_list_add(L, "/", 1, K2ONNX__KIND_GROUP, "-", "-") || !k2onnx__h5_list_attrs(L, &root, "/")) return 0;
    return k2onnx__h5_list_group(L, &root, "/") && k2onnx__h5_list_sort(L);
}

/* One decoded element, handed to the caller. */
typedef struct k2onnx__h5value {
    int kind;             /* 0 signed, 1 unsigned, 2 float, 3 string */
    unsigned bits;
    int64_t i;
    uint64_t u;
    double d;
    const char *s;
    size_t len;
} k2onnx__h5value;

typedef int (*k2onnx__h5_value_fn)(void *user, const k2onnx__h5value *v);

static double k2onnx__f64_from_bits(uint64_t u)
{
    double d;
    memcpy(&d, &u, 8);
    return d;
}

/* Decodes `count` elements of type t from raw file-order bytes and passes each to fn. */
static int k2onnx__h5_decode(const k2onnx__h5 *f, const char *path, const k2onnx__h5type *t, const unsigned char *raw,
                             uint64_t count, k2onnx__h5_value_fn fn, void *user)
{
    uint64_t i;
    k2onnx__h5value v;
    memset(&v, 0, sizeof v);
    if ((t->cls == K2ONNX__H5T_FIXED || t->cls == K2ONNX__H5T_BITFIELD || (t->cls == K2ONNX__H5T_ENUM && t->base_size)) && t->size <= 8) {
        unsigned prec = t->precision && t->precision < 64 ? t->precision : 64;
        v.kind = t->is_signed ? 0 : 1;
        v.bits = (unsigned)(8u * t->size);
        if (t->bit_offset >= 64 || t->bit_offset + prec > 8u * t->size)
            return k2onnx__fail(f->ctx, k2onnx_result_unsupported_file, "HDF5 object '%s': integer with bit offset %d and precision %d",
                                path, (int)t->bit_offset, (int)t->precision);
        for (i = 0; i < count; i++) {
            const unsigned char *p = raw + i * t->size;
            uint64_t u = t->big_endian ? k2onnx__be(p, (unsigned)t->size) : k2onnx__le(p, (unsigned)t->size);
            u >>= t->bit_offset;
            if (prec < 64) {
                u &= ((uint64_t)1 << prec) - 1;
                if (t->is_signed && (u >> (prec - 1)) & 1u) u |= ~(((uint64_t)1 << prec) - 1);
            }
            v.u = u;
            v.i = (int64_t)u;
            if (!fn(user, &v)) return 0;
        }
        return 1;
    }
    if (t->cls == K2ONNX__H5T_FLOAT && (t->size == 2 || t->size == 4 || t->size == 8)) {
        v.kind = 2;
        v.bits = (unsigned)(8u * t->size);
        for (i = 0; i < count; i++) {
            const unsigned char *p = raw + i * t->size;
            uint64_t u = t->big_endian ? k2onnx__be(p, (unsigned)t->size) : k2onnx__le(p, (unsigned)t->size);
            v.d = t->size == 8 ? k2onnx__f64_from_bits(u)
                  : t->size == 4 ? (double)k2onnx__f32_from_bits((uint32_t)u) : (double)k2onnx__f16_to_f32((uint16_t)u);
            if (!fn(user, &v)) return 0;
        }
        return 1;
    }
    if (t->cls == K2ONNX__H5T_STRING) {
        v.kind = 3;
        for (i = 0; i < count; i++) {
            const char *p = (const char *)raw + i * t->size;
            size_t n = t->str_pad == 0 ? k2onnx__strnlen(p, (size_t)t->size) : (size_t)t->size;
            if (t->str_pad == 1) while (n > 0 && p[n - 1] == '\0') n--;
            if (t->str_pad == 2) while (n > 0 && p[n - 1] == ' ') n--;
            v.s = p;
            v.len = n;
            if (!fn(user, &v)) return 0;
        }
        return 1;
    }
    if (t->cls == K2ONNX__H5T_VLEN && (t->vlen_string || t->base_size == 1)) {
        if (t->size != 4u + f->so + 4u) return k2onnx__h5_bad(f, path, "variable-length element has an unexpected size");
        v.kind = 3;
        for (i = 0; i < count; i++) {
            const unsigned char *p = raw + i * t->size;
            uint64_t n = k2onnx__le(p, 4), coll = k2onnx__le(p + 4, f->so), idx = k2onnx__le(p + 4 + f->so, 4);
            const unsigned char *d = NULL;
            uint64_t dsize = 0;
            v.s = "";
            v.len = 0;
            if (n > 0) {
                if (coll > UINT64_MAX - f->base) return k2onnx__h5_bad(f, path, "global heap address is outside the file");
                if (!k2onnx__h5_global(f, path, coll + f->base, idx, &d, &dsize)) return 0;
                if (n > dsize) return k2onnx__h5_bad(f, path, "variable-length string is longer than its heap object");
                v.s = (const char *)d;
                v.len = (size_t)n;
                if (t->vlen_string && t->str_pad == 0) v.len = k2onnx__strnlen(v.s, v.len);
            }
            if (!fn(user, &v)) return 0;
        }
        return 1;
    }
    return k2onnx__fail(f->ctx, k2onnx_result_unsupported_file, "HDF5 object '%s': reading %s values (%u bytes) is not supported",
                        path, t->cls == K2ONNX__H5T_VLEN ? "variable-length sequence" : k2onnx__h5_class_name(t->cls),
                        (unsigned long long)t->size);
}

/* Reads the dataset at `path`, or the attribute `object@name` when no object has that path. */
static int k2onnx__h5_values(const k2onnx__h5 *f, const char *path, k2onnx__h5_value_fn fn, void *user)
{
    k2onnx__h5obj o;
    const char *at = strrchr(path, '@');
    if (k2onnx__h5_open_path(f, path, &o, 1)) {
        const unsigned char *raw;
        uint64_t n;
        if (!o.has_layout) return k2onnx__fail(f->ctx, k2onnx_result_invalid_argument, "HDF5 object '%s' is not a dataset", path);
        if (!k2onnx__h5_read_raw(f, &o, &raw, &n)) return 0;
        return k2onnx__h5_decode(f, path, &o.type, raw, o.space.count, fn, user);
    }
    if (f->ctx->failed) return 0;
    if (at) {
        char *obj = k2onnx__strndup(f->ctx, path, (size_t)(at - path));
        size_t i;
        if (!obj) return 0;
        if (!k2onnx__h5_open_path(f, obj[0] ? obj : "/", &o, 1)) {
            if (f->ctx->failed) return 0;
        } else {
            for (i = 0; i < o.nattrs; i++) {
                const k2onnx__h5attr *a = &o.attrs[i];
                if (k2onnx__streq(a->name, a->name_len, at + 1))
                    return k2onnx__h5_decode(f, path, &a->type, f->buf + a->data_pos, a->space.count, fn, user);
            }
        }
    }
    return k2onnx__fail(f->ctx, k2onnx_result_invalid_argument, "HDF5 path '%s' names no dataset or attribute", path);
}

#endif

/* A floating-point dataset's elements as the file holds them (read in place when contiguous). */
typedef struct k2onnx__h5array {
    const unsigned char *data;
    uint64_t count;
    unsigned elem_size;     /* 2, 4 or 8 */
    int big_endian;
    unsigned rank;
    const uint64_t *dims;   /* rank entries */
} k2onnx__h5array;

static float k2onnx__h5array_get(const k2onnx__h5array *a, uint64_t i)
{
    const unsigned char *p = a->data + i * a->elem_size;
    uint64_t bits;
    /* what Keras writes, without the general loop over the bytes */
    if (a->elem_size == 4 && !a->big_endian) return k2onnx__f32_from_bits(k2onnx__le32_at(p));
    bits = a->big_endian ? k2onnx__be(p, a->elem_size) : k2onnx__le(p, a->elem_size);
    if (a->elem_size == 4) return k2onnx__f32_from_bits((uint32_t)bits);
    if (a->elem_size == 8) return k2onnx__f32_from_f64_bits(bits);
    return k2onnx__f16_to_f32((uint16_t)bits);
}

/* Opens the dataset at `path`; 0 with a message when it is none. */
static int k2onnx__h5_open_dataset(const k2onnx__h5 *f, const char *path, k2onnx__h5obj *o)
{
    if (!k2onnx__h5_open_path(f, path, o, 0)) return 0;
    if (!o->has_type || !o->has_space || !o->has_layout) return k2onnx__h5_bad(f, path, "is not a dataset");
    return 1;
}

/* The elements of a floating-point dataset (16, 32 or 64 bits): chunked and filtered data is
   assembled in memory, contiguous data is read in place. */
static int k2onnx__h5_float_array(const k2onnx__h5 *f, const k2onnx__h5obj *o, k2onnx__h5array *out)
{
    uint64_t bytes;
    memset(out, 0, sizeof *out);
    if (!k2onnx__h5_read_raw(f, o, &out->data, &bytes)) return 0;
    out->count = o->space.count;
    out->elem_size = (unsigned)o->type.size;
    out->big_endian = o->type.big_endian;
    out->rank = o->space.rank;
    out->dims = o->space.dims;
    return 1;
}

/* ============================================================================================
   3. ZIP reader
   Finds one member of a ZIP archive (Keras 3 .keras files): end-of-central-directory record,
   central directory, local header; stored and deflated members, CRC-32 checked; the ZIP64
   records and fields that archives past 4 GB (or written with forced ZIP64) carry. Encryption
   and other methods are refused by name.
   ============================================================================================ */

#ifndef K2ONNX_NO_ZIP
static uint64_t k2onnx__zle(const unsigned char *buf, size_t size, size_t at, unsigned n)
{
    return at <= size && n <= size - at ? k2onnx__le(buf + at, n) : 0;
}
#endif

#ifndef K2ONNX_NO_ZIP
/* The ZIP64 end of central directory record that the locator just before the end record (at
   eocd - 20) points to: entry count, directory size and offset, which replace the 16- and 32-bit
   ones. Returns 1 without a locator. */
static int k2onnx__zip64_end(k2onnx__ctx *ctx, const unsigned char *buf, size_t size, size_t eocd, uint64_t *count, uint64_t *cd_size, uint64_t *cd)
{
    uint64_t rec;
    if (eocd < 20 || k2onnx__zle(buf, size, eocd - 20, 4) != 0x07064b50u) return 1;
    rec = k2onnx__zle(buf, size, eocd - 20 + 8, 8);
    if (rec > size || size - rec < 56 || k2onnx__zle(buf, size, (size_t)rec, 4) != 0x06064b50u)
        return k2onnx__fail(ctx, k2onnx_result_invalid_file, "ZIP archive: the ZIP64 end of central directory record is damaged");
    *count = k2onnx__zle(buf, size, (size_t)rec + 32, 8);
    *cd_size = k2onnx__zle(buf, size, (size_t)rec + 40, 8);
    *cd = k2onnx__zle(buf, size, (size_t)rec + 48, 8);
    return 1;
}

/* The 64-bit sizes and offset of a central directory entry whose 32-bit fields are all ones: in
   its ZIP64 extra field (id 1), in the order uncompressed size, compressed size, local header
   offset, each present only where the 32-bit field overflowed. */
static int k2onnx__zip64_fields(k2onnx__ctx *ctx, const unsigned char *buf, size_t size, size_t extra, size_t extra_len, uint64_t *v, const char *name)
{
    size_t at = extra, end = extra + extra_len;
    unsigned k;
    (void)name; /* only in messages, which K2ONNX_NO_ERROR_STRINGS leaves out */
    while (end - at >= 4) {
        size_t id = (size_t)k2onnx__zle(buf, size, at, 2), len = (size_t)k2onnx__zle(buf, size, at + 2, 2), p = at + 4;
        if (len > end - at - 4) break;
        if (id == 1) {
            for (k = 0; k < 3; k++) {
                if (v[k] != 0xffffffffu) continue;
                if (p + 8 > at + 4 + len) return k2onnx__fail(ctx, k2onnx_result_invalid_file, "ZIP member '%s': its ZIP64 extra field is too short", name);
                v[k] = k2onnx__zle(buf, size, p, 8);
                p += 8;
            }
            return 1;
        }
        at += 4 + len;
    }
    return k2onnx__fail(ctx, k2onnx_result_invalid_file, "ZIP member '%s' needs ZIP64 sizes and has no ZIP64 extra field", name);
}
#endif

/* Member `name` of the archive in buf; *data points into buf (stored) or into the arena. */
#ifdef K2ONNX_NO_ZIP
static int k2onnx__zip_member(k2onnx__ctx *ctx, const unsigned char *buf, size_t size, const char *name, const unsigned char **data,
                              size_t *len)
{
    (void)buf;
    (void)size;
    (void)name;
    *data = NULL;
    *len = 0;
    return k2onnx__fail(ctx, k2onnx_result_unsupported_file, "the input is a ZIP archive (.keras): ZIP support is left out of this build (K2ONNX_NO_ZIP)");
}
#else
static int k2onnx__zip_member(k2onnx__ctx *ctx, const unsigned char *buf, size_t size, const char *name, const unsigned char **data,
                              size_t *len)
{
    size_t eocd = 0, at, i, count, cd, cd_end, name_len = strlen(name);
    uint64_t count64, cd_size64, cd64;
    int found = 0;
    /* The end record is 22 bytes plus a comment of up to 65535 bytes, at the end. */
    for (at = size >= 22 ? size - 22 + 1 : 0; at-- > 0 && size - at <= 22u + 65535u;) {
        if (k2onnx__zle(buf, size, at, 4) == 0x06054b50u) {
            eocd = at;
            found = 1;
            break;
        }
    }
    if (!found) return k2onnx__fail(ctx, k2onnx_result_invalid_file, "ZIP archive: no end of central directory record");
    count64 = k2onnx__zle(buf, size, eocd + 10, 2);
    cd_size64 = k2onnx__zle(buf, size, eocd + 12, 4);
    cd64 = k2onnx__zle(buf, size, eocd + 16, 4);
    if (!k2onnx__zip64_end(ctx, buf, size, eocd, &count64, &cd_size64, &cd64)) return 0;
    if (cd64 > size || cd_size64 > size - cd64) return k2onnx__fail(ctx, k2onnx_result_invalid_file, "ZIP archive: central directory is outside the file");
    cd = (size_t)cd64;
    cd_end = cd + (size_t)cd_size64;
    /* every entry takes 46 bytes or more, which bounds the loop by the file */
    if (count64 > cd_size64 / 46) return k2onnx__fail(ctx, k2onnx_result_invalid_file, "ZIP archive: central directory is shorter than its %d entries", (int)(count64 > 0x7fffffff ? 0x7fffffff : count64));
    count = (size_t)count64;
    for (i = 0, at = cd; i < count; i++) {
        size_t n, extra, comment, local, csize, usize, start;
        uint64_t wide[3];
        unsigned method, flags;
        uint32_t crc;
        if (cd_end - at < 46 || k2onnx__zle(buf, size, at, 4) != 0x02014b50u)
            return k2onnx__fail(ctx, k2onnx_result_invalid_file, "ZIP archive: central directory entry %d is damaged", (int)i);
        flags = (unsigned)k2onnx__zle(buf, size, at + 8, 2);
        method = (unsigned)k2onnx__zle(buf, size, at + 10, 2);
        crc = (uint32_t)k2onnx__zle(buf, size, at + 16, 4);
        wide[1] = k2onnx__zle(buf, size, at + 20, 4);
        wide[0] = k2onnx__zle(buf, size, at + 24, 4);
        n = (size_t)k2onnx__zle(buf, size, at + 28, 2);
        extra = (size_t)k2onnx__zle(buf, size, at + 30, 2);
        comment = (size_t)k2onnx__zle(buf, size, at + 32, 2);
        wide[2] = k2onnx__zle(buf, size, at + 42, 4);
        if (cd_end - at - 46 < n + extra + comment) return k2onnx__fail(ctx, k2onnx_result_invalid_file, "ZIP archive: central directory entry %d is damaged", (int)i);
        if (n != name_len || memcmp(buf + at + 46, name, n) != 0) {
            at += 46 + n + extra + comment;
            continue;
        }
        if (flags & 1u) return k2onnx__fail(ctx, k2onnx_result_unsupported_file, "ZIP member '%s' is encrypted", name);
        if ((wide[0] == 0xffffffffu || wide[1] == 0xffffffffu || wide[2] == 0xffffffffu) &&
            !k2onnx__zip64_fields(ctx, buf, size, at + 46 + n, extra, wide, name))
            return 0;
        /* the stored data lies inside the file, and what deflated data inflates to within
           max_memory, so every size fits a size_t */
        if (wide[1] > size || wide[2] > size) return k2onnx__fail(ctx, k2onnx_result_invalid_file, "ZIP member '%s' runs past the end of the file", name);
        if (method == 0 && wide[0] != wide[1]) return k2onnx__fail(ctx, k2onnx_result_invalid_file, "ZIP member '%s': stored sizes differ", name);
        if (method == 8 && wide[0] > (uint64_t)ctx->opt.max_memory)
            return k2onnx__fail(ctx, k2onnx_result_limit_exceeded, "ZIP member '%s' is larger than max_memory", name);
        usize = (size_t)wide[0];
        csize = (size_t)wide[1];
        local = (size_t)wide[2];
        if (k2onnx__zle(buf, size, local, 4) != 0x04034b50u) return k2onnx__fail(ctx, k2onnx_result_invalid_file, "ZIP member '%s': local header is damaged", name);
        start = local + 30 + (size_t)k2onnx__zle(buf, size, local + 26, 2) + (size_t)k2onnx__zle(buf, size, local + 28, 2);
        if (!k2onnx__in_bounds(size, start, csize)) return k2onnx__fail(ctx, k2onnx_result_invalid_file, "ZIP member '%s' runs past the end of the file", name);
        if (method == 0) {
            if (csize != usize) return k2onnx__fail(ctx, k2onnx_result_invalid_file, "ZIP member '%s': stored sizes differ", name);
            *data = buf + start;
        } else if (method == 8) {
#if K2ONNX__INFLATE
            unsigned char *out;
            k2onnx__inflate_tables *tables;
            const char *err = NULL;
            if (usize > ctx->opt.max_memory) return k2onnx__fail(ctx, k2onnx_result_limit_exceeded, "ZIP member '%s' is larger than max_memory", name);
            if (!(out = (unsigned char *)k2onnx__alloc_unzeroed(ctx, usize ? usize : 1))) return 0;
            if (!(tables = k2onnx__inflate_tables_of(ctx))) return 0;
            if (k2onnx__raw_inflate(tables, buf + start, csize, out, usize, &err) != usize || err)
                return k2onnx__fail(ctx, k2onnx_result_invalid_file, "ZIP member '%s': deflate: %s", name, err ? err : "size differs from the directory");
            *data = out;
#else
            return k2onnx__fail(ctx, k2onnx_result_unsupported_file, "ZIP member '%s': deflate is left out of this build (K2ONNX_NO_DEFLATE)", name);
#endif
        } else {
            return k2onnx__fail(ctx, k2onnx_result_unsupported_file, "ZIP member '%s': compression method %d is not supported", name, (int)method);
        }
        if (K2ONNX__VERIFY_SUMS) {
            int sliced = !ctx->memory;
            if (!ctx->crc32_tables && !(ctx->crc32_tables = k2onnx__crc32_tables(ctx, sliced))) return 0;
            if (k2onnx__crc32(ctx->crc32_tables, sliced, *data, usize) != crc)
                return k2onnx__fail(ctx, k2onnx_result_invalid_file, "ZIP member '%s': CRC-32 mismatch", name);
        }
        *len = usize;
        return 1;
    }
    return k2onnx__fail(ctx, k2onnx_result_invalid_model, "ZIP archive has no member '%s'", name);
}
#endif

/* ============================================================================================
   4. JSON parser
   Strict RFC 8259 plus the NaN / Infinity / -Infinity tokens that Python's json module writes.
   Builds a tree in the arena; nesting depth is capped by options.max_json_depth.
   ============================================================================================ */

enum { K2ONNX__JNULL, K2ONNX__JFALSE, K2ONNX__JTRUE, K2ONNX__JNUMBER, K2ONNX__JSTRING, K2ONNX__JARRAY, K2ONNX__JOBJECT };

typedef struct k2onnx__json {
    unsigned char type;
    unsigned char integral;           /* numbers: `integer` holds the exact value */
    float number;                     /* numbers: the nearest float32 */
    int64_t integer;
    const char *str;                  /* strings: decoded UTF-8, NUL-terminated */
    size_t len;
    struct k2onnx__json *items;       /* array elements or object members */
    const char *key;                  /* an object member's name (NUL-terminated) */
    size_t n;
} k2onnx__json;

/* The values of the open containers wait on one stack, and each container takes an array of
   exactly its size when it closes: arrays grown in the arena as values come would leave their
   smaller copies behind, and most containers hold a few values. The stack grows by chunks that
   never move, so a value is parsed in place and the chunks serve every container in turn. */
#define K2ONNX__JSTACK_CHUNK 32u

typedef struct k2onnx__jparser {
    k2onnx__ctx *ctx;
    const char *what;                 /* names the text in error messages */
    const unsigned char *p, *start, *end;
    unsigned depth;
    k2onnx__json **chunks;            /* K2ONNX__JSTACK_CHUNK values each */
    size_t nchunks, chunks_cap, top;
} k2onnx__jparser;

static int k2onnx__jfail(k2onnx__jparser *jp, const char *msg)
{
#ifdef K2ONNX_NO_ERROR_STRINGS
    (void)msg;
    return (k2onnx__fail)(jp->ctx, k2onnx_result_invalid_json, "%s: invalid JSON at byte %u", jp->what,
                          (unsigned long long)(jp->p - jp->start));
#else
    return k2onnx__fail(jp->ctx, k2onnx_result_invalid_json, "%s: invalid JSON at byte %u: %s", jp->what,
                        (unsigned long long)(jp->p - jp->start), msg);
#endif
}
#ifdef K2ONNX_NO_ERROR_STRINGS
#define k2onnx__jfail(jp, msg) (k2onnx__jfail)((jp), NULL)
#endif

static void k2onnx__jspace(k2onnx__jparser *jp)
{
    while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\n' || *jp->p == '\r')) jp->p++;
}

static int k2onnx__jlit(k2onnx__jparser *jp, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(jp->end - jp->p) >= n && memcmp(jp->p, lit, n) == 0) {
        jp->p += n;
        return 1;
    }
    return 0;
}

static int k2onnx__jhex4(k2onnx__jparser *jp, unsigned *out)
{
    unsigned v = 0, i;
    if (jp->end - jp->p < 4) return k2onnx__jfail(jp, "truncated \\u escape");
    for (i = 0; i < 4; i++) {
        unsigned char ch = *jp->p++;
        v <<= 4;
        if (ch >= '0' && ch <= '9') v |= (unsigned)(ch - '0');
        else if (ch >= 'a' && ch <= 'f') v |= (unsigned)(ch - 'a' + 10);
        else if (ch >= 'A' && ch <= 'F') v |= (unsigned)(ch - 'A' + 10);
        else return k2onnx__jfail(jp, "bad hex digit in \\u escape");
    }
    *out = v;
    return 1;
}

static size_t k2onnx__utf8_put(unsigned char *d, unsigned cp)
{
    if (cp < 0x80) { d[0] = (unsigned char)cp; return 1; }
    if (cp < 0x800) { d[0] = (unsigned char)(0xc0 | (cp >> 6)); d[1] = (unsigned char)(0x80 | (cp & 0x3f)); return 2; }
    if (cp < 0x10000) {
        d[0] = (unsigned char)(0xe0 | (cp >> 12)); d[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        d[2] = (unsigned char)(0x80 | (cp & 0x3f));
        return 3;
    }
    d[0] = (unsigned char)(0xf0 | (cp >> 18)); d[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
    d[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f)); d[3] = (unsigned char)(0x80 | (cp & 0x3f));
    return 4;
}

static int k2onnx__jstring(k2onnx__jparser *jp, const char **out, size_t *out_len)
{
    const unsigned char *s = ++jp->p; /* past the opening quote */
    unsigned char *d;
    size_t n = 0;
    while (jp->p < jp->end && *jp->p != '"') {
        if (*jp->p == '\\') jp->p++;
        jp->p++;
    }
    if (jp->p >= jp->end) return k2onnx__jfail(jp, "unterminated string");
    /* Decoding never makes a string longer, so the raw span bounds the buffer. */
    d = (unsigned char *)k2onnx__alloc(jp->ctx, (size_t)(jp->p - s) + 1);
    if (!d) return 0;
    jp->p = s;
    while (*jp->p != '"') {
        unsigned char ch = *jp->p++;
        if (ch < 0x20) return k2onnx__jfail(jp, "control character in string");
        if (ch != '\\') { d[n++] = ch; continue; }
        ch = *jp->p++;
        switch (ch) {
        case '"': d[n++] = '"'; break;
        case '\\': d[n++] = '\\'; break;
        case '/': d[n++] = '/'; break;
        case 'b': d[n++] = '\b'; break;
        case 'f': d[n++] = '\f'; break;
        case 'n': d[n++] = '\n'; break;
        case 'r': d[n++] = '\r'; break;
        case 't': d[n++] = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            if (!k2onnx__jhex4(jp, &cp)) return 0;
            if (cp >= 0xd800 && cp < 0xdc00 && jp->end - jp->p >= 6 && jp->p[0] == '\\' && jp->p[1] == 'u') {
                const unsigned char *save = jp->p;
                jp->p += 2;
                if (!k2onnx__jhex4(jp, &lo)) return 0;
                if (lo >= 0xdc00 && lo < 0xe000) cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                else jp->p = save;
            }
            if (cp >= 0xd800 && cp < 0xe000) cp = 0xfffd; /* lone surrogate */
            n += k2onnx__utf8_put(d + n, cp);
            break;
        }
        default: jp->p--; return k2onnx__jfail(jp, "bad escape in string");
        }
    }
    jp->p++;
    d[n] = '\0';
    *out = (const char *)d;
    *out_len = n;
    return 1;
}

/* A decimal's significant digits: enough that a number cut after them rounds as the whole
   number does. Each float32 halfway point, (2c + 1) * 2^(e - 24), ends at or above the 10^-150
   digit and has at most 113 digits from its first; a cut after more digits than that falls
   below the halfway point only when the digits cut away are all zeros. */
#define K2ONNX__DECIMAL_DIGITS 120

/* The bits of the float32 nearest to m * 10^e10 (ties to even) for a significand of `digits`
   digits; `sticky` says that digits cut after m made the number a little larger. Since
   10^e = 5^e * 2^e, only the power of 5 needs big arithmetic: a product, or a quotient taken
   in steps of at most 5^13 (floor(floor(a / b) / c) = floor(a / bc), exact only when every
   step was), after m was scaled to keep at least 27 bits in the quotient. Sizes: m < 10^120
   < 2^399; with e10 >= 0, m * 5^e10 = number / 2^e10 < 2^130; with e10 < 0, -e10 <= 119 + 46
   and 5^165 < 2^384, so m is scaled to less than 2^(27 + 384 + 16). */
static uint32_t k2onnx__decimal_f32(const k2onnx__big *m, long e10, unsigned digits, int sticky)
{
    k2onnx__big q = *m;
    long mag = e10 + (long)digits - 1, b2 = e10, s, i;
    /* m * 10^e10 lies in [10^mag, 10^(mag + 1)): below 1e-46 it rounds to 0, from 1e39 to inf */
    if (!digits || mag < -46) return 0;
    if (mag > 38) return 0x7f800000u;
    for (i = e10; i > 0;) k2onnx__big_mul(&q, k2onnx__pow5_step(&i), 0);
    if (e10 < 0) {
        /* 5^-e10 has at most 2.3223 * -e10 + 1 bits */
        for (s = 27 + (-e10 * 2378 >> 10) + 1 - k2onnx__big_len(&q); s > 0; s -= 16, b2 -= 16) k2onnx__big_mul(&q, 1u << 16, 0);
        for (i = -e10; i > 0;) sticky |= k2onnx__big_div(&q, k2onnx__pow5_step(&i));
    }
    return k2onnx__round_f32(&q, b2, sticky);
}

/* Locale-independent number conversion (strtod would honour a ',' decimal point): the nearest
   float32, and the exact value when it is an integer that fits in 64 bits. Not inlined: its
   digits would sit on the stack once per nesting level of k2onnx__jvalue. */
static K2ONNX__NOINLINE int k2onnx__jnumber(k2onnx__jparser *jp, k2onnx__json *v)
{
    const unsigned char *p = jp->p;
    int neg = 0, eneg = 0, frac = 0, sticky = 0;
    long e10 = 0, expv = 0;
    unsigned digits = 0, zeros = 0;
    k2onnx__big m;
    uint64_t n;
    uint32_t bits;
    k2onnx__big_set(&m, 0);
    if (p < jp->end && *p == '-') { neg = 1; p++; }
    for (;;) {
        if (p >= jp->end || !(*p >= '0' && *p <= '9')) return k2onnx__jfail(jp, "bad number");
        do {
            unsigned d = (unsigned)(*p++ - '0');
            if (digits < K2ONNX__DECIMAL_DIGITS) {
                if (digits || d) { /* leading zeros are not significant */
                    k2onnx__big_mul(&m, 10, d);
                    digits++;
                }
                zeros = d ? 0 : zeros + 1;
                e10 -= frac;
            } else {
                sticky |= d != 0;
                e10 += !frac;
            }
        } while (p < jp->end && *p >= '0' && *p <= '9' && (frac || digits));
        if (frac || p >= jp->end || *p != '.') break;
        p++;
        frac = 1;
    }
    if (p < jp->end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < jp->end && (*p == '+' || *p == '-')) eneg = *p++ == '-';
        if (p >= jp->end || !(*p >= '0' && *p <= '9')) return k2onnx__jfail(jp, "bad number exponent");
        while (p < jp->end && *p >= '0' && *p <= '9') {
            if (expv < 100000) expv = expv * 10 + (*p - '0');
            p++;
        }
    }
    e10 = digits ? e10 + (eneg ? -expv : expv) : 0;
    for (; e10 < 0 && zeros; zeros--, e10++, digits--) k2onnx__big_div(&m, 10);
    bits = k2onnx__decimal_f32(&m, e10, digits, sticky);
    v->number = k2onnx__f32_from_bits(neg ? bits | 0x80000000u : bits);
    for (expv = 0; expv < e10 && m.n < 3; expv++) k2onnx__big_mul(&m, 10, 0);
    n = (uint64_t)m.w[1] << 32 | m.w[0]; /* w[1] is 0 while n is 1 */
    v->integral = !sticky && expv == e10 && m.n < 3 && n <= (uint64_t)INT64_MAX;
    v->integer = v->integral ? (neg ? -(int64_t)n : (int64_t)n) : 0;
    jp->p = p;
    return 1;
}

static int k2onnx__jvalue(k2onnx__jparser *jp, k2onnx__json *v);

static k2onnx__json *k2onnx__jslot(const k2onnx__jparser *jp, size_t i)
{
    return &jp->chunks[i / K2ONNX__JSTACK_CHUNK][i % K2ONNX__JSTACK_CHUNK];
}

/* A new value on top of the stack, or NULL when out of memory. */
static k2onnx__json *k2onnx__jpush(k2onnx__jparser *jp)
{
    if (jp->top == jp->nchunks * K2ONNX__JSTACK_CHUNK) {
        k2onnx__json *chunk;
        if (!k2onnx__reserve(jp->ctx, (void **)&jp->chunks, &jp->chunks_cap, jp->nchunks + 1, sizeof *jp->chunks) ||
            !(chunk = (k2onnx__json *)k2onnx__alloc_array(jp->ctx, K2ONNX__JSTACK_CHUNK, sizeof *chunk)))
            return NULL;
        jp->chunks[jp->nchunks++] = chunk;
    }
    return k2onnx__jslot(jp, jp->top++);
}

/* v becomes the container of the stack's values from `base` up, which leave the stack. */
static int k2onnx__jclose(k2onnx__jparser *jp, k2onnx__json *v, size_t base, int is_object)
{
    size_t n = jp->top - base, i;
    k2onnx__json *items = NULL;
    if (n && !(items = (k2onnx__json *)k2onnx__alloc_array(jp->ctx, n, sizeof *items))) return 0;
    for (i = 0; i < n; i++) items[i] = *k2onnx__jslot(jp, base + i);
    jp->top = base;
    v->type = is_object ? K2ONNX__JOBJECT : K2ONNX__JARRAY;
    v->items = items;
    v->n = n;
    return 1;
}

static int k2onnx__jcontainer(k2onnx__jparser *jp, k2onnx__json *v, int is_object)
{
    size_t base = jp->top;
    unsigned char close = is_object ? '}' : ']';
    if (++jp->depth > jp->ctx->opt.max_json_depth) {
        return k2onnx__fail(jp->ctx, k2onnx_result_limit_exceeded, "%s: JSON nesting deeper than %d levels",
                            jp->what, (int)jp->ctx->opt.max_json_depth);
    }
    jp->p++;
    k2onnx__jspace(jp);
    if (jp->p < jp->end && *jp->p == close) {
        jp->p++;
    } else {
        for (;;) {
            k2onnx__json *item = k2onnx__jpush(jp);
            const char *key = NULL;
            if (!item) return 0;
            k2onnx__jspace(jp);
            if (is_object) {
                size_t klen;
                if (jp->p >= jp->end || *jp->p != '"') return k2onnx__jfail(jp, "expected a string key");
                if (!k2onnx__jstring(jp, &key, &klen)) return 0;
                k2onnx__jspace(jp);
                if (jp->p >= jp->end || *jp->p != ':') return k2onnx__jfail(jp, "expected ':'");
                jp->p++;
            }
            if (!k2onnx__jvalue(jp, item)) return 0;
            item->key = key;
            k2onnx__jspace(jp);
            if (jp->p < jp->end && *jp->p == ',') { jp->p++; continue; }
            if (jp->p < jp->end && *jp->p == close) { jp->p++; break; }
            return k2onnx__jfail(jp, is_object ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
    jp->depth--;
    return k2onnx__jclose(jp, v, base, is_object);
}

static int k2onnx__jvalue(k2onnx__jparser *jp, k2onnx__json *v)
{
    memset(v, 0, sizeof *v);
    if (!k2onnx__count_object(jp->ctx)) return 0;
    k2onnx__jspace(jp);
    if (jp->p >= jp->end) return k2onnx__jfail(jp, "unexpected end of text");
    switch (*jp->p) {
    case '{': return k2onnx__jcontainer(jp, v, 1);
    case '[': return k2onnx__jcontainer(jp, v, 0);
    case '"': v->type = K2ONNX__JSTRING; return k2onnx__jstring(jp, &v->str, &v->len);
    default: break;
    }
    if (k2onnx__jlit(jp, "null")) { v->type = K2ONNX__JNULL; return 1; }
    if (k2onnx__jlit(jp, "true")) { v->type = K2ONNX__JTRUE; return 1; }
    if (k2onnx__jlit(jp, "false")) { v->type = K2ONNX__JFALSE; return 1; }
    v->type = K2ONNX__JNUMBER;
    if (k2onnx__jlit(jp, "NaN")) { v->number = NAN; return 1; }
    if (k2onnx__jlit(jp, "Infinity")) { v->number = INFINITY; return 1; }
    if (k2onnx__jlit(jp, "-Infinity")) { v->number = -INFINITY; return 1; }
    return k2onnx__jnumber(jp, v);
}

static int k2onnx__json_parse(k2onnx__ctx *ctx, const char *what, const char *text, size_t len, k2onnx__json *root)
{
    k2onnx__jparser jp;
    memset(&jp, 0, sizeof jp);
    jp.ctx = ctx;
    jp.what = what;
    jp.p = jp.start = (const unsigned char *)text;
    jp.end = jp.p + len;
    if (!k2onnx__jvalue(&jp, root)) return 0;
    k2onnx__jspace(&jp);
    if (jp.p != jp.end) return k2onnx__jfail(&jp, "trailing characters after the value");
    return 1;
}

static const k2onnx__json *k2onnx__jget(const k2onnx__json *o, const char *key)
{
    size_t i;
    if (!o || o->type != K2ONNX__JOBJECT) return NULL;
    for (i = 0; i < o->n; i++)
        if (strcmp(o->items[i].key, key) == 0) return &o->items[i];
    return NULL;
}

static const char *k2onnx__jstr(const k2onnx__json *v)
{
    return v && v->type == K2ONNX__JSTRING ? v->str : NULL;
}

static int k2onnx__jis_array(const k2onnx__json *v)
{
    return v && v->type == K2ONNX__JARRAY;
}

/* A missing or null key gives `def`. */
static int k2onnx__jbool(const k2onnx__json *o, const char *key, int def)
{
    const k2onnx__json *v = k2onnx__jget(o, key);
    if (!v || v->type == K2ONNX__JNULL) return def;
    if (v->type == K2ONNX__JTRUE) return 1;
    if (v->type == K2ONNX__JFALSE) return 0;
    if (v->type == K2ONNX__JNUMBER) return !v->integral || v->integer != 0;
    return def;
}

/* Integer-valued number in [lo, hi]; returns 0 when absent or not such a number. */
static int k2onnx__jint(const k2onnx__json *v, long long lo, long long hi, long long *out)
{
    if (!v || v->type != K2ONNX__JNUMBER || !v->integral || v->integer < lo || v->integer > hi) return 0;
    *out = (long long)v->integer;
    return 1;
}

/* ============================================================================================
   5. Keras model
   The model_config JSON becomes a list of layers, each with one or more calls ("inbound nodes")
   whose inputs reference other layers' outputs. Sequential models get synthesized calls.
   ============================================================================================ */

/* ONNX data types used here. */
enum { K2ONNX__FLOAT = 1, K2ONNX__INT32 = 6, K2ONNX__INT64 = 7, K2ONNX__FLOAT16 = 10, K2ONNX__DOUBLE = 11 };

typedef struct k2onnx__kref {
    size_t layer, node, tensor;
    const char *kwarg;        /* the call's keyword for a tensor passed by name (value=, key=, ...) */
} k2onnx__kref;

/* What ONNX knows of a value: its name, element type and shape. Negative dims are dynamic,
   named by params. A Keras value and a graph input or output (k2onnx__value_info) both hold it. */
#define K2ONNX__VALUE_FIELDS \
    const char *name; \
    int elem; \
    unsigned rank; \
    int64_t dims[K2ONNX__MAX_RANK]; \
    const char *params[K2ONNX__MAX_RANK];

/* A Keras tensor as it exists in the ONNX graph. */
typedef struct k2onnx__kvalue {
    K2ONNX__VALUE_FIELDS
    const char *mask;     /* Keras mask of a [batch, time, ...] value: float [batch, time] of 0/1 */
} k2onnx__kvalue;

/* Where the conversion of a call stands. */
enum { K2ONNX__CALL_PENDING, K2ONNX__CALL_CONVERTING, K2ONNX__CALL_DONE };

typedef struct k2onnx__kcall {
    int state;                /* K2ONNX__CALL_PENDING, _CONVERTING (the cycle guard) or _DONE */
    k2onnx__kref *inputs;
    size_t ninputs, inputs_cap;
    const k2onnx__json *kwargs;   /* the call's keyword arguments, when the file records them */
    const k2onnx__json *first_constant; /* an op layer's first argument when it is a constant */
    k2onnx__kvalue *outputs;
    size_t noutputs;
} k2onnx__kcall;

typedef struct k2onnx__klayer {
    const char *name;
    const char *cls;          /* the class being mapped: a wrapper maps its inner layer's */
    const char *file_cls;     /* the class the file names, which Keras 3 weight paths follow */
    const k2onnx__json *config;
    k2onnx__kcall *calls;
    size_t ncalls;
    int weights_loaded;
    k2onnx__h5array *weights;
    const char **weight_paths;
    size_t nweights;
    size_t output_suffix;     /* next suffix to try when the layer is a model output again */
    const char *weights_group;   /* a layer of a nested model: the HDF5 group of the outermost one */
    const char *weights_prefix;  /* ... and the name its weights are listed under there */
    size_t nest_parent;          /* 1 + the index of the nested model the layer belongs to; 0 outside */
    int wrapped;                 /* a model wrapped by TimeDistributed (nest_parent): its Keras 3 group is the wrapper's layer/ */
    unsigned nest_depth;         /* models around the layer inside the file's model */
} k2onnx__klayer;

typedef struct k2onnx__kmodel {
    k2onnx__ctx *ctx;
    const k2onnx__h5 *f;
    const char *keras_version;
    const char *keras_backend; /* the file's backend attribute ("tensorflow", "theano", ...), or NULL */
    int keras_major;
    int tf_keras;             /* saved by tf.keras ("-tf" versions, 2.4 and later) or Keras 3 */
    long keras_version_number; /* major * 10000 + minor * 100 + patch, e.g. 20204 */
    int legacy_mask;          /* standalone Keras before 2.3: a masked step outputs the h state */
    int keras1_backend;       /* Keras 1, from its weight names: 0 not yet known, 1 TensorFlow, 2 Theano */
    const char *name;
    k2onnx__json config;
    k2onnx__klayer *layers;
    size_t nlayers, layers_cap;
    size_t *name_index;       /* open-addressing hash of layer names: layer + 1, 0 = empty */
    size_t name_index_cap;    /* a power of two, at least twice nlayers */
    k2onnx__kref *inputs, *outputs;
    size_t ninputs, noutputs;
    const char *weights_root; /* "/model_weights" for full models, "" when layer groups sit at the root */
    int keras3_paths;         /* 1: Keras 3 weights at layers/<snake_case class>[_N]/.../vars/<i>;
                                 2: tf.keras 2.13 at _layer_checkpoint_dependencies/<snake_case class>[_2N]/... */
} k2onnx__kmodel;

static int k2onnx__kfail(k2onnx__kmodel *m, const char *fmt, const char *detail)
{
#ifdef K2ONNX_NO_ERROR_STRINGS
    (void)fmt;
    return (k2onnx__fail)(m->ctx, k2onnx_result_invalid_model, "model_config: '%s': invalid model", detail);
#else
    return k2onnx__fail(m->ctx, k2onnx_result_invalid_model, fmt, detail);
#endif
}
#ifdef K2ONNX_NO_ERROR_STRINGS
#define k2onnx__kfail(m, fmt, detail) (k2onnx__kfail)((m), NULL, (detail))
#endif

/* A weight: a float16/32/64 dataset of a rank the ONNX graph can hold. */
static int k2onnx__kweight_array(const k2onnx__h5 *f, const char *path, k2onnx__h5array *out)
{
    k2onnx__h5obj o;
    memset(out, 0, sizeof *out);
    if (!k2onnx__h5_open_dataset(f, path, &o)) return 0;
    if (o.type.cls != K2ONNX__H5T_FLOAT || !(o.type.size == 2 || o.type.size == 4 || o.type.size == 8))
        return k2onnx__fail(f->ctx, k2onnx_result_unsupported_model, "HDF5 dataset '%s': weights must be float16/32/64 (datatype class %d, size %u)",
                            path, (int)o.type.cls, (unsigned long long)o.type.size);
    if (o.space.rank > K2ONNX__MAX_RANK)
        return k2onnx__fail(f->ctx, k2onnx_result_unsupported_model, "HDF5 dataset '%s': weights of rank %d", path, (int)o.space.rank);
    return k2onnx__h5_float_array(f, &o, out);
}

static size_t k2onnx__name_hash(const char *s)
{
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    while (*s) h = (h ^ (unsigned char)*s++) * 1099511628211u;
    return (size_t)h;
}

/* Layers are looked up by name for every connection, so a model of many layers needs an index. */
static int k2onnx__kfind_layer(const k2onnx__kmodel *m, const char *name, size_t *index)
{
    size_t mask = m->name_index_cap - 1, i;
    if (!m->name_index_cap) return 0;
    for (i = k2onnx__name_hash(name) & mask; m->name_index[i]; i = (i + 1) & mask)
        if (strcmp(m->layers[m->name_index[i] - 1].name, name) == 0) {
            *index = m->name_index[i] - 1;
            return 1;
        }
    return 0;
}

static void k2onnx__kindex_put(k2onnx__kmodel *m, size_t layer)
{
    size_t mask = m->name_index_cap - 1, i = k2onnx__name_hash(m->layers[layer].name) & mask;
    while (m->name_index[i]) i = (i + 1) & mask;
    m->name_index[i] = layer + 1;
}

/* Keeps the index at most half full; rebuilt from scratch when it grows. */
static int k2onnx__kindex_reserve(k2onnx__kmodel *m, size_t nlayers)
{
    size_t cap = m->name_index_cap ? m->name_index_cap : 16, i;
    size_t *old = m->name_index;
    if (nlayers * 2 <= m->name_index_cap) return 1;
    while (cap < nlayers * 2) cap *= 2;
    if (!(m->name_index = (size_t *)k2onnx__alloc_array(m->ctx, cap, sizeof *m->name_index))) return 0;
    memset(m->name_index, 0, cap * sizeof *m->name_index);
    m->name_index_cap = cap;
    for (i = 0; old && i + 1 < nlayers; i++) k2onnx__kindex_put(m, i);
    return 1;
}

static k2onnx__klayer *k2onnx__kadd_layer(k2onnx__kmodel *m, const char *name, const char *cls, const k2onnx__json *config)
{
    k2onnx__klayer *L;
    size_t dup;
    if (!name) return NULL; /* its allocation failed, and said so */
    if (k2onnx__kfind_layer(m, name, &dup)) {
        k2onnx__kfail(m, "model_config: two layers are named '%s'", name);
        return NULL;
    }
    if (!k2onnx__count_object(m->ctx) || !k2onnx__reserve(m->ctx, (void **)&m->layers, &m->layers_cap, m->nlayers + 1, sizeof *m->layers) ||
        !k2onnx__kindex_reserve(m, m->nlayers + 1))
        return NULL;
    L = &m->layers[m->nlayers++];
    memset(L, 0, sizeof *L);
    L->name = name;
    L->cls = cls;
    L->file_cls = cls;
    L->config = config;
    k2onnx__kindex_put(m, m->nlayers - 1);
    return L;
}

static int k2onnx__kcall_add_input(k2onnx__kmodel *m, k2onnx__kcall *call, size_t layer, size_t node, size_t tensor)
{
    if (!k2onnx__reserve(m->ctx, (void **)&call->inputs, &call->inputs_cap, call->ninputs + 1, sizeof *call->inputs)) return 0;
    call->inputs[call->ninputs].layer = layer;
    call->inputs[call->ninputs].node = node;
    call->inputs[call->ninputs].tensor = tensor;
    call->inputs[call->ninputs].kwarg = NULL;
    call->ninputs++;
    return 1;
}

static int k2onnx__kcall_add_named(k2onnx__kmodel *m, k2onnx__kcall *call, const k2onnx__kref *r, const char *kwarg)
{
    if (!k2onnx__kcall_add_input(m, call, r->layer, r->node, r->tensor)) return 0;
    call->inputs[call->ninputs - 1].kwarg = kwarg;
    return 1;
}

/* [name, node, tensor, ...] as written by Keras 2 / tf.keras; also the keras_history of Keras 3. */
static int k2onnx__kref_from_list(k2onnx__kmodel *m, const k2onnx__json *v, k2onnx__kref *r, int *matched)
{
    long long node, tensor;
    *matched = 0;
    if (!k2onnx__jis_array(v) || v->n < 3 || v->items[0].type != K2ONNX__JSTRING) return 1;
    if (!k2onnx__jint(&v->items[1], 0, 1 << 20, &node) || !k2onnx__jint(&v->items[2], 0, 1 << 20, &tensor)) return 1;
    *matched = 1;
    r->kwarg = NULL;
    if (!k2onnx__kfind_layer(m, v->items[0].str, &r->layer))
        return k2onnx__kfail(m, "model_config: a connection names unknown layer '%s'", v->items[0].str);
    r->node = (size_t)node;
    r->tensor = (size_t)tensor;
    return 1;
}

/* Resolves a Keras 3 keras_history [name, node, tensor] against a scope: the model's own layers
   (scope NULL) or a nested model being unfolded. */
typedef int (*k2onnx__kresolve_fn)(k2onnx__kmodel *m, const void *scope, const k2onnx__json *history, k2onnx__kref *r);

static int k2onnx__kresolve_outer(k2onnx__kmodel *m, const void *scope, const k2onnx__json *history, k2onnx__kref *r)
{
    int matched;
    if (!k2onnx__kref_from_list(m, history, r, &matched)) return 0;
    if (matched) return 1;
    /* scope: the layer whose Keras 1/2 inbound node this is, or NULL in a Keras 3 one */
    if (scope) return k2onnx__kfail(m, "model_config: layer '%s' has a malformed inbound tensor", ((const k2onnx__klayer *)scope)->name);
    return k2onnx__kfail(m, "model_config: %s", "malformed keras_history");
}

/* Collects Keras tensor references anywhere inside a Keras 3 call argument structure. */
static int k2onnx__kcollect_k3(k2onnx__kmodel *m, k2onnx__kresolve_fn resolve, const void *scope, k2onnx__kcall *call, const k2onnx__json *v,
                               unsigned depth)
{
    size_t i;
    if (!v || depth > 64) return 1;
    if (v->type == K2ONNX__JOBJECT) {
        const char *cls = k2onnx__jstr(k2onnx__jget(v, "class_name"));
        k2onnx__kref r;
        if (!cls || strcmp(cls, "__keras_tensor__") != 0) return 1;
        return resolve(m, scope, k2onnx__jget(k2onnx__jget(v, "config"), "keras_history"), &r) &&
               k2onnx__kcall_add_input(m, call, r.layer, r.node, r.tensor);
    }
    if (v->type == K2ONNX__JARRAY)
        for (i = 0; i < v->n; i++)
            if (!k2onnx__kcollect_k3(m, resolve, scope, call, &v->items[i], depth + 1)) return 0;
    return 1;
}

/* True when v looks like a Keras 2 tensor reference [name, node, tensor, ...]; other keyword
   values (training flags, masks of None) are not tensors. */
static int k2onnx__kref_shaped(const k2onnx__json *v)
{
    long long x;
    return k2onnx__jis_array(v) && v->n >= 3 && v->items[0].type == K2ONNX__JSTRING && k2onnx__jint(&v->items[1], 0, 1 << 20, &x) &&
           k2onnx__jint(&v->items[2], 0, 1 << 20, &x);
}

/* Tensors passed by keyword (other than initial_state), kept under their keyword: Keras 2 writes
   [name, node, tensor] lists, Keras 3 __keras_tensor__ objects. */
static int k2onnx__kcollect_named(k2onnx__kmodel *m, k2onnx__kresolve_fn resolve, const void *scope, k2onnx__kcall *call,
                                  const k2onnx__json *kwargs, int keras)
{
    size_t i;
    if (!kwargs || kwargs->type != K2ONNX__JOBJECT) return 1;
    for (i = 0; i < kwargs->n; i++) {
        const k2onnx__json *v = &kwargs->items[i];
        k2onnx__kref r;
        if (strcmp(kwargs->items[i].key, "initial_state") == 0) continue;
        if (keras == 3) {
            const char *cls = k2onnx__jstr(k2onnx__jget(v, "class_name"));
            if (!cls || strcmp(cls, "__keras_tensor__") != 0) continue;
            v = k2onnx__jget(k2onnx__jget(v, "config"), "keras_history");
        } else if (!k2onnx__kref_shaped(v)) {
            continue;
        }
        if (!resolve(m, scope, v, &r) || !k2onnx__kcall_add_named(m, call, &r, kwargs->items[i].key)) return 0;
    }
    return 1;
}

/* A Keras 3 inbound node {"args": [...], "kwargs": {...}}: the tensors of args, then the initial
   states, then the keyword tensors. */
static int k2onnx__kparse_k3_node(k2onnx__kmodel *m, k2onnx__kresolve_fn resolve, const void *scope, k2onnx__kcall *call, const k2onnx__json *node)
{
    const k2onnx__json *kwargs = k2onnx__jget(node, "kwargs");
    call->kwargs = kwargs;
    return k2onnx__kcollect_k3(m, resolve, scope, call, k2onnx__jget(node, "args"), 0) &&
           k2onnx__kcollect_k3(m, resolve, scope, call, k2onnx__jget(kwargs, "initial_state"), 0) &&
           k2onnx__kcollect_named(m, resolve, scope, call, kwargs, 3);
}

/* The keyword arguments tf.keras writes as the fourth item of a call's first inbound tensor: the
   keyword tensors, kept under their keyword, and initial states (some writers pass them so
   rather than as extra inputs), added as inputs. */
static int k2onnx__kparse_k2_kwargs(k2onnx__kmodel *m, k2onnx__kresolve_fn resolve, const void *scope, k2onnx__kcall *call, const k2onnx__json *kwargs)
{
    const k2onnx__json *st = k2onnx__jget(kwargs, "initial_state");
    k2onnx__kref r;
    size_t k;
    call->kwargs = kwargs;
    if (!k2onnx__kcollect_named(m, resolve, scope, call, kwargs, 2)) return 0;
    if (!st || !k2onnx__jis_array(st)) return 1;
    if (k2onnx__kref_shaped(st)) return resolve(m, scope, st, &r) && k2onnx__kcall_add_input(m, call, r.layer, r.node, r.tensor);
    for (k = 0; k < st->n; k++)
        if (k2onnx__kref_shaped(&st->items[k]) &&
            (!resolve(m, scope, &st->items[k], &r) || !k2onnx__kcall_add_input(m, call, r.layer, r.node, r.tensor)))
            return 0;
    return 1;
}

/* A Keras 1/2 inbound node, a list of [layer, node, tensor, kwargs]. An op layer (TFOpLambda)
   keeps the structure of its first argument: a lone tensor, or a constant
   [_CONSTANT_VALUE, -1, value, kwargs], is the node itself. */
static int k2onnx__kparse_k2_node(k2onnx__kmodel *m, k2onnx__kresolve_fn resolve, const void *scope, k2onnx__kcall *call, const k2onnx__json *node)
{
    int lone = node->n >= 4 && node->items[0].type == K2ONNX__JSTRING;
    size_t j;
    k2onnx__kref r;
    for (j = 0; j < (lone ? 1 : node->n); j++) {
        const k2onnx__json *entry = lone ? node : &node->items[j];
        if (lone && strcmp(entry->items[0].str, "_CONSTANT_VALUE") == 0) call->first_constant = &entry->items[2];
        else if (!resolve(m, scope, entry, &r) || !k2onnx__kcall_add_input(m, call, r.layer, r.node, r.tensor)) return 0;
        if (entry->n >= 4 && j == 0 && !k2onnx__kparse_k2_kwargs(m, resolve, scope, call, &entry->items[3])) return 0;
    }
    return 1;
}

/* Reads one layer's inbound_nodes into calls. */
static int k2onnx__kparse_inbound(k2onnx__kmodel *m, k2onnx__klayer *L, const k2onnx__json *nodes)
{
    size_t i;
    if (!nodes || nodes->type == K2ONNX__JNULL) return 1;
    if (!k2onnx__jis_array(nodes)) return k2onnx__kfail(m, "model_config: layer '%s' has malformed inbound_nodes", L->name);
    L->calls = (k2onnx__kcall *)k2onnx__alloc_array(m->ctx, nodes->n, sizeof *L->calls);
    if (!L->calls && nodes->n) return 0;
    L->ncalls = nodes->n;
    for (i = 0; i < nodes->n; i++) {
        const k2onnx__json *node = &nodes->items[i];
        k2onnx__kcall *call = &L->calls[i];
        if (node->type == K2ONNX__JOBJECT) {
            if (!k2onnx__kparse_k3_node(m, k2onnx__kresolve_outer, NULL, call, node)) return 0;
            continue;
        }
        if (!k2onnx__jis_array(node)) return k2onnx__kfail(m, "model_config: layer '%s' has a malformed inbound node", L->name);
        if (!k2onnx__kparse_k2_node(m, k2onnx__kresolve_outer, L, call, node)) return 0;
    }
    return 1;
}

/* input_layers / output_layers: a list of [name, node, tensor], or a single one (Keras 3). */
static int k2onnx__kparse_endpoints(k2onnx__kmodel *m, const k2onnx__json *v, const char *key, k2onnx__kref **out, size_t *n)
{
    size_t i;
    int matched;
    k2onnx__kref r;
    if (!k2onnx__jis_array(v)) return k2onnx__kfail(m, "model_config: missing or malformed '%s'", key);
    if (!k2onnx__kref_from_list(m, v, &r, &matched)) return 0;
    if (matched) {
        *out = (k2onnx__kref *)k2onnx__alloc(m->ctx, sizeof **out);
        if (!*out) return 0;
        **out = r;
        *n = 1;
        return 1;
    }
    /* Output names are made unique by a search over the names so far; no real model comes close. */
    if (v->n > K2ONNX__MAX_ENDPOINTS)
        return k2onnx__fail(m->ctx, k2onnx_result_limit_exceeded, "model_config: '%s' lists more than %d tensors", key, K2ONNX__MAX_ENDPOINTS);
    *out = (k2onnx__kref *)k2onnx__alloc_array(m->ctx, v->n ? v->n : 1, sizeof **out);
    if (!*out) return 0;
    for (i = 0; i < v->n; i++) {
        if (!k2onnx__kref_from_list(m, &v->items[i], &(*out)[i], &matched)) return 0;
        if (!matched) return k2onnx__kfail(m, "model_config: malformed entry in '%s'", key);
    }
    *n = v->n;
    return 1;
}

static int k2onnx__kparse_functional(k2onnx__kmodel *m, const k2onnx__json *cfg)
{
    const k2onnx__json *layers = k2onnx__jget(cfg, "layers");
    size_t i;
    if (!k2onnx__jis_array(layers)) return k2onnx__kfail(m, "model_config: %s", "functional model without a 'layers' list");
    for (i = 0; i < layers->n; i++) {
        const k2onnx__json *lj = &layers->items[i];
        const k2onnx__json *lc = k2onnx__jget(lj, "config");
        const char *cls = k2onnx__jstr(k2onnx__jget(lj, "class_name"));
        const char *name = k2onnx__jstr(k2onnx__jget(lj, "name"));
        if (!name) name = k2onnx__jstr(k2onnx__jget(lc, "name"));
        if (!cls || !name) return k2onnx__kfail(m, "model_config: layer %s lacks class_name or name", "entry");
        if (!k2onnx__kadd_layer(m, name, cls, lc)) return 0;
    }
    for (i = 0; i < layers->n; i++)
        if (!k2onnx__kparse_inbound(m, &m->layers[i], k2onnx__jget(&layers->items[i], "inbound_nodes"))) return 0;
    for (i = 0; i < m->nlayers; i++) /* input layers have no inbound node but one call */
        if (strcmp(m->layers[i].cls, "InputLayer") == 0 && m->layers[i].ncalls == 0) {
            m->layers[i].calls = (k2onnx__kcall *)k2onnx__alloc(m->ctx, sizeof(k2onnx__kcall));
            if (!m->layers[i].calls) return 0;
            m->layers[i].ncalls = 1;
        }
    if (!k2onnx__kparse_endpoints(m, k2onnx__jget(cfg, "input_layers"), "input_layers", &m->inputs, &m->ninputs)) return 0;
    return k2onnx__kparse_endpoints(m, k2onnx__jget(cfg, "output_layers"), "output_layers", &m->outputs, &m->noutputs);
}

/* Adds a layer called once, on the output of layer `prev` (none when SIZE_MAX). */
static int k2onnx__kadd_chained(k2onnx__kmodel *m, const char *name, const char *cls, const k2onnx__json *config, size_t prev)
{
    k2onnx__klayer *L = k2onnx__kadd_layer(m, name, cls, config);
    if (!L || !(L->calls = (k2onnx__kcall *)k2onnx__alloc(m->ctx, sizeof(k2onnx__kcall)))) return 0;
    L->ncalls = 1;
    return prev == SIZE_MAX || k2onnx__kcall_add_input(m, L->calls, prev, 0, 0);
}

static int k2onnx__kparse_chain(k2onnx__kmodel *m, const k2onnx__json *layers, unsigned depth, size_t *last);

#ifndef K2ONNX_NO_KERAS1
/* Keras 1's Merge of models, the first layer of a Sequential: each model a branch with its own
   input, the Merge called on the branches' outputs. Sequential.get_config lists the models under
   the Merge's "layers"; their layers' weights are saved as the outer model's own. */
static int k2onnx__kparse_merged_models(k2onnx__kmodel *m, const char *name, const k2onnx__json *config, unsigned depth, size_t *merged)
{
    const k2onnx__json *models = k2onnx__jget(config, "layers");
    size_t b, *ends;
    if (depth >= 8) return k2onnx__fail(m->ctx, k2onnx_result_limit_exceeded, "model_config: Merges of models nested more than 8 deep at '%s'", name);
    if (!k2onnx__jis_array(models) || models->n == 0) return k2onnx__kfail(m, "model_config: Merge '%s' lists no models", name);
    if (!(ends = (size_t *)k2onnx__alloc_array(m->ctx, models->n, sizeof *ends))) return 0;
    for (b = 0; b < models->n; b++) {
        const k2onnx__json *mj = &models->items[b], *mc = k2onnx__jget(mj, "config");
        const char *cls = k2onnx__jstr(k2onnx__jget(mj, "class_name"));
        const k2onnx__json *inner = k2onnx__jis_array(mc) ? mc : k2onnx__jget(mc, "layers");
        if (!cls || strcmp(cls, "Sequential") != 0)
            return k2onnx__fail(m->ctx, k2onnx_result_unsupported_model, "layer '%s' (Merge): merging a %s is not supported yet, only Sequential models", name,
                                cls ? cls : "model without a class");
        if (!k2onnx__jis_array(inner) || inner->n == 0) return k2onnx__kfail(m, "model_config: a model merged by '%s' has no layers", name);
        if (!k2onnx__kparse_chain(m, inner, depth + 1, &ends[b])) return 0;
    }
    if (!k2onnx__kadd_chained(m, name, "Merge", config, SIZE_MAX)) return 0;
    for (b = 0; b < models->n; b++)
        if (!k2onnx__kcall_add_input(m, m->layers[m->nlayers - 1].calls, ends[b], 0, 0)) return 0;
    *merged = m->nlayers - 1;
    return 1;
}
#endif

/* The layers of a Sequential list, each called on the one before. The input is implicit unless
   the list starts with an InputLayer: Keras names it after the first layer. */
static int k2onnx__kparse_chain(k2onnx__kmodel *m, const k2onnx__json *layers, unsigned depth, size_t *last)
{
    size_t i, prev = SIZE_MAX;
    for (i = 0; i < layers->n; i++) {
        const k2onnx__json *lj = &layers->items[i], *lc = k2onnx__jget(lj, "config");
        const char *cls = k2onnx__jstr(k2onnx__jget(lj, "class_name")), *name = k2onnx__jstr(k2onnx__jget(lc, "name"));
        int input = cls && strcmp(cls, "InputLayer") == 0;
        if (!name) name = k2onnx__jstr(k2onnx__jget(lj, "name"));
        if (!cls || !name) return k2onnx__kfail(m, "model_config: Sequential layer %s lacks class_name or name", "entry");
        if (input && i > 0) return k2onnx__kfail(m, "model_config: InputLayer '%s' in the middle of a Sequential model", name);
        if (i == 0 && strcmp(cls, "Merge") == 0 && k2onnx__jget(lc, "layers")) {
#ifdef K2ONNX_NO_KERAS1
            (void)depth;
            return k2onnx__kfail(m, "layer '%s' (Merge): a Merge of models is left out of this build (K2ONNX_NO_KERAS1)", name);
#else
            if (!k2onnx__kparse_merged_models(m, name, lc, depth, &prev)) return 0;
            continue;
#endif
        }
        if (i == 0 && !input) {
            if (!k2onnx__kadd_chained(m, k2onnx__sprintf(m->ctx, "%s_input", name), "InputLayer", lc, SIZE_MAX)) return 0;
            prev = m->nlayers - 1;
        }
        if (!k2onnx__kadd_chained(m, name, cls, lc, prev)) return 0;
        prev = m->nlayers - 1;
    }
    *last = prev;
    return 1;
}

static int k2onnx__kparse_sequential(k2onnx__kmodel *m, const k2onnx__json *cfg)
{
    /* Keras 2.0-2.2.2 store the layer list itself; later versions wrap it in {"layers": [...]}. */
    const k2onnx__json *layers = k2onnx__jis_array(cfg) ? cfg : k2onnx__jget(cfg, "layers");
    size_t i, last = 0;
    if (!k2onnx__jis_array(layers) || layers->n == 0) return k2onnx__kfail(m, "model_config: %s", "Sequential model without layers");
    if (!k2onnx__kparse_chain(m, layers, 0, &last)) return 0;
#ifdef K2ONNX_NO_KERAS1
    (void)i;
    m->ninputs = 1; /* layer 0: only a Merge of models brings more */
#else
    /* the inputs in the order Keras lists them: depth first through merged models */
    for (i = 0; i < m->nlayers; i++) m->ninputs += strcmp(m->layers[i].cls, "InputLayer") == 0;
#endif
    m->inputs = (k2onnx__kref *)k2onnx__alloc_array(m->ctx, m->ninputs, sizeof *m->inputs);
    m->outputs = (k2onnx__kref *)k2onnx__alloc(m->ctx, sizeof *m->outputs);
    if (!m->inputs || !m->outputs) return 0;
#ifndef K2ONNX_NO_KERAS1
    m->ninputs = 0;
    for (i = 0; i < m->nlayers; i++)
        if (strcmp(m->layers[i].cls, "InputLayer") == 0) m->inputs[m->ninputs++].layer = i;
#endif
    m->noutputs = 1;
    m->outputs[0].layer = last;
    return 1;
}

/* --- nested models ---
   A Sequential or functional model used as a layer is unfolded into the outer model: its layers
   join the outer ones under the name "<model>/<layer>", one call of each per call of the model,
   reading the model's inputs where they read its input layers; the model layer itself then only
   hands the inner outputs on. Weights stay where Keras saved them, in the outermost nested
   model's group, listed under each layer's own name. */

static int k2onnx__is_model_class(const char *cls)
{
    return strcmp(cls, "Sequential") == 0 || strcmp(cls, "Functional") == 0 || strcmp(cls, "Model") == 0;
}

#ifndef K2ONNX_ONLY_RECURRENT
/* Where an inner layer's output, or an inner input, is for call c of the nested model. */
typedef struct k2onnx__nest {
    const k2onnx__json *layers;  /* the nested model's layer list */
    size_t *index;               /* per inner layer: its outer index, or SIZE_MAX for an input */
    size_t *slot;                /* per inner input layer: which model input it is */
    size_t *nodes;               /* per inner layer: how often the model calls it (inbound nodes) */
    const k2onnx__kref *inputs;  /* the model's inputs at this call */
    size_t ninputs, call;
    const char *model;           /* its name, for messages */
} k2onnx__nest;

static int k2onnx__nest_ref(k2onnx__kmodel *m, const k2onnx__nest *n, const char *model, const k2onnx__json *ref, k2onnx__kref *out)
{
    long long node, tensor;
    size_t j;
    if (!k2onnx__jis_array(ref) || ref->n < 3 || ref->items[0].type != K2ONNX__JSTRING || !k2onnx__jint(&ref->items[1], 0, 1 << 20, &node) ||
        !k2onnx__jint(&ref->items[2], 0, 1 << 20, &tensor))
        return k2onnx__kfail(m, "model_config: nested model '%s' has a malformed connection", model);
    for (j = 0; j < n->layers->n; j++) {
        const k2onnx__json *lj = &n->layers->items[j];
        const char *name = k2onnx__jstr(k2onnx__jget(lj, "name"));
        if (!name) name = k2onnx__jstr(k2onnx__jget(k2onnx__jget(lj, "config"), "name"));
        if (name && strcmp(name, ref->items[0].str) == 0) break;
    }
    if (j == n->layers->n)
        return k2onnx__fail(m->ctx, k2onnx_result_invalid_model, "model_config: nested model '%s' names unknown layer '%s'", model, ref->items[0].str);
    if ((size_t)node >= n->nodes[j])
        return k2onnx__fail(m->ctx, k2onnx_result_invalid_model, "model_config: nested model '%s' reads call %d of '%s', whose calls are 0 to %d", model, (int)node,
                            ref->items[0].str, (int)n->nodes[j] - 1);
    if (n->index[j] == SIZE_MAX) {
        if (n->slot[j] >= n->ninputs) return k2onnx__kfail(m, "model_config: nested model '%s' gets fewer inputs than it has", model);
        *out = n->inputs[n->slot[j]];
        return 1;
    }
    out->layer = n->index[j];
    out->node = n->call * n->nodes[j] + (size_t)node;
    out->tensor = (size_t)tensor;
    out->kwarg = NULL;
    return 1;
}

/* The layers of nested model mi join the outer model (calls still empty). */
static int k2onnx__nest_add_layers(k2onnx__kmodel *m, size_t mi, k2onnx__nest *n, int sequential)
{
    const k2onnx__json *cfg = m->layers[mi].config, *inputs = sequential ? NULL : k2onnx__jget(cfg, "input_layers");
    const char *group = m->layers[mi].weights_group, *model = m->layers[mi].name;
    unsigned depth = m->layers[mi].nest_depth + 1;
    size_t j, k;
    if (!group && !(group = k2onnx__sprintf(m->ctx, "%s/%s", m->weights_root, model))) return 0;
    n->index = (size_t *)k2onnx__alloc_array(m->ctx, n->layers->n + 1, sizeof *n->index);
    n->slot = (size_t *)k2onnx__alloc_array(m->ctx, n->layers->n + 1, sizeof *n->slot);
    n->nodes = (size_t *)k2onnx__alloc_array(m->ctx, n->layers->n + 1, sizeof *n->nodes);
    if (!n->index || !n->slot || !n->nodes) return 0;
    for (j = 0; j < n->layers->n; j++) {
        const k2onnx__json *lj = &n->layers->items[j], *lc = k2onnx__jget(lj, "config");
        const char *cls = k2onnx__jstr(k2onnx__jget(lj, "class_name")), *name = k2onnx__jstr(k2onnx__jget(lj, "name"));
        k2onnx__klayer *L;
        if (!name) name = k2onnx__jstr(k2onnx__jget(lc, "name"));
        if (!cls || !name) return k2onnx__kfail(m, "model_config: a layer of nested model '%s' lacks class_name or name", model);
        n->index[j] = SIZE_MAX;
        n->slot[j] = 0;
        n->nodes[j] = 1;
        if (strcmp(cls, "InputLayer") == 0) {
            if (inputs && k2onnx__jis_array(inputs))
                for (k = 0; k < inputs->n; k++) {
                    const k2onnx__json *e = k2onnx__jis_array(&inputs->items[0]) ? &inputs->items[k] : inputs;
                    if (k2onnx__jis_array(e) && e->n >= 1 && k2onnx__jstr(&e->items[0]) && strcmp(e->items[0].str, name) == 0) n->slot[j] = k;
                    if (!k2onnx__jis_array(&inputs->items[0])) break;
                }
            continue;
        }
        if (!sequential) {
            /* a layer the model calls k times: calls c·k .. c·k + k - 1 for call c of the model */
            const k2onnx__json *inbound = k2onnx__jget(lj, "inbound_nodes");
            if (k2onnx__jis_array(inbound) && inbound->n > 1) n->nodes[j] = inbound->n;
            if (n->nodes[j] > ((size_t)1 << 20) / (m->layers[mi].ncalls + 1))
                return k2onnx__fail(m->ctx, k2onnx_result_limit_exceeded, "model_config: layer '%s' of nested model '%s' is called %d times", name, model,
                                    (int)n->nodes[j]);
        }
        if (!(L = k2onnx__kadd_layer(m, k2onnx__sprintf(m->ctx, "%s/%s", model, name), cls, lc))) return 0;
        L->weights_group = group;
        L->weights_prefix = name;
        L->nest_depth = depth;
        L->nest_parent = mi + 1;
        L->ncalls = m->layers[mi].ncalls * n->nodes[j];
        if (!(L->calls = (k2onnx__kcall *)k2onnx__alloc_array(m->ctx, L->ncalls + 1, sizeof *L->calls))) return 0;
        n->index[j] = m->nlayers - 1;
    }
    return 1;
}

/* A keras_history inside nested model n (names its inner layers). */
static int k2onnx__kresolve_nested(k2onnx__kmodel *m, const void *scope, const k2onnx__json *history, k2onnx__kref *r)
{
    const k2onnx__nest *n = (const k2onnx__nest *)scope;
    return k2onnx__nest_ref(m, n, n->model, history, r);
}

/* The inputs of inner layer j's call k at call n->call of the model: its inbound node k
   (functional), or the layer before it (Sequential). */
static int k2onnx__nest_wire(k2onnx__kmodel *m, const k2onnx__nest *n, const char *model, size_t j, size_t k, int sequential)
{
    const k2onnx__json *lj = &n->layers->items[j], *nodes = k2onnx__jget(lj, "inbound_nodes"), *node;
    k2onnx__kcall *call = &m->layers[n->index[j]].calls[n->call * n->nodes[j] + k];
    k2onnx__kref r;
    if (sequential) {
        if (j == 0 || n->index[j - 1] == SIZE_MAX) {
            if (n->ninputs < 1) return k2onnx__kfail(m, "model_config: nested model '%s' gets no input", model);
            r = n->inputs[0];
        } else {
            r.layer = n->index[j - 1], r.node = n->call, r.tensor = 0, r.kwarg = NULL;
        }
        return k2onnx__kcall_add_input(m, call, r.layer, r.node, r.tensor);
    }
    if (!k2onnx__jis_array(nodes) || nodes->n < 1)
        return k2onnx__kfail(m, "model_config: a layer of nested model '%s' is never called in it", model);
    node = &nodes->items[k];
    if (node->type == K2ONNX__JOBJECT) return k2onnx__kparse_k3_node(m, k2onnx__kresolve_nested, n, call, node);
    if (!k2onnx__jis_array(node))
        return k2onnx__kfail(m, "model_config: a layer of nested model '%s' has a malformed inbound node", model);
    return k2onnx__kparse_k2_node(m, k2onnx__kresolve_nested, n, call, node);
}

/* Unfolds nested model mi; its own calls end up reading the inner outputs. */
static int k2onnx__nest_expand(k2onnx__kmodel *m, size_t mi)
{
    const char *model = m->layers[mi].name;
    int sequential = strcmp(m->layers[mi].cls, "Sequential") == 0;
    const k2onnx__json *cfg = m->layers[mi].config, *outputs;
    k2onnx__nest n;
    size_t c, j, k;
    memset(&n, 0, sizeof n);
    n.model = model;
    if (m->layers[mi].nest_depth >= 8)
        return k2onnx__fail(m->ctx, k2onnx_result_limit_exceeded, "model_config: models nested more than 8 deep at '%s'", model);
    n.layers = sequential && k2onnx__jis_array(cfg) ? cfg : k2onnx__jget(cfg, "layers");
    if (!k2onnx__jis_array(n.layers) || n.layers->n == 0) return k2onnx__kfail(m, "model_config: nested model '%s' has no layers", model);
    if (!k2onnx__nest_add_layers(m, mi, &n, sequential)) return 0;
    outputs = sequential ? NULL : k2onnx__jget(cfg, "output_layers");
    for (c = 0; c < m->layers[mi].ncalls; c++) {
        k2onnx__kcall *mc = &m->layers[mi].calls[c];
        n.inputs = mc->inputs;
        n.ninputs = mc->ninputs;
        n.call = c;
        for (j = 0; j < n.layers->n; j++)
            for (k = 0; n.index[j] != SIZE_MAX && k < n.nodes[j]; k++)
                if (!k2onnx__nest_wire(m, &n, model, j, k, sequential)) return 0;
        /* the model's call now reads the inner outputs */
        mc = &m->layers[mi].calls[c];
        mc->inputs = NULL;
        mc->ninputs = mc->inputs_cap = 0;
        if (sequential) {
            j = n.layers->n;
            while (j > 0 && n.index[j - 1] == SIZE_MAX) j--;
            if (j == 0) return k2onnx__kfail(m, "model_config: nested model '%s' has no layers", model);
            if (!k2onnx__kcall_add_input(m, mc, n.index[j - 1], c, 0)) return 0;
        } else {
            int single = k2onnx__jis_array(outputs) && outputs->n >= 1 && !k2onnx__jis_array(&outputs->items[0]);
            if (!k2onnx__jis_array(outputs) || outputs->n == 0) return k2onnx__kfail(m, "model_config: nested model '%s' has no output_layers", model);
            for (k = 0; k < (single ? 1 : outputs->n); k++) {
                k2onnx__kref r;
                memset(&r, 0, sizeof r); /* set by nest_ref; gcc -O3 cannot tell */
                if (!k2onnx__nest_ref(m, &n, model, single ? outputs : &outputs->items[k], &r) ||
                    !k2onnx__kcall_add_input(m, mc, r.layer, r.node, r.tensor))
                    return 0;
            }
        }
    }
    return 1;
}

#endif

#ifndef K2ONNX_ONLY_RECURRENT
/* The class of the layer that folds a TimeDistributed input's steps into its batch when the
   wrapper holds a whole model; not a Keras class. */
#define K2ONNX__FOLD_STEPS "k2onnx.FoldSteps"

/* TimeDistributed(model) becomes three layers: a fold of the steps into the batch, the model
   (then unfolded like any nested model) on the folded input, and the wrapper, which now only
   unfolds the model's output. */
static int k2onnx__nest_time_distributed(k2onnx__kmodel *m, size_t ti)
{
    const k2onnx__json *inner = k2onnx__jget(m->layers[ti].config, "layer"), *icfg = k2onnx__jget(inner, "config");
    const char *icls = k2onnx__jstr(k2onnx__jget(inner, "class_name")), *iname = k2onnx__jstr(k2onnx__jget(icfg, "name"));
    const char *tname = m->layers[ti].name, *group = m->layers[ti].weights_group;
    size_t ncalls = m->layers[ti].ncalls, fi, ni, c;
    unsigned depth = m->layers[ti].nest_depth;
    k2onnx__klayer *L;
    if (!icls || !k2onnx__is_model_class(icls)) return 1;
    if (!group && !(group = k2onnx__sprintf(m->ctx, "%s/%s", m->weights_root, tname))) return 0;
    if (!(L = k2onnx__kadd_layer(m, k2onnx__sprintf(m->ctx, "%s/fold", tname), K2ONNX__FOLD_STEPS, NULL))) return 0;
    fi = m->nlayers - 1;
    L->nest_depth = depth;
    if (!(L->calls = (k2onnx__kcall *)k2onnx__alloc_array(m->ctx, ncalls + 1, sizeof *L->calls))) return 0;
    L->ncalls = ncalls;
    if (!(L = k2onnx__kadd_layer(m, k2onnx__sprintf(m->ctx, "%s/%s", tname, iname ? iname : "model"), icls, icfg))) return 0;
    ni = m->nlayers - 1;
    L->weights_group = group;
    L->nest_depth = depth + 1;
    L->nest_parent = ti + 1;
    L->wrapped = 1;
    if (!(L->calls = (k2onnx__kcall *)k2onnx__alloc_array(m->ctx, ncalls + 1, sizeof *L->calls))) return 0;
    L->ncalls = ncalls;
    for (c = 0; c < ncalls; c++) {
        k2onnx__kcall *tc = &m->layers[ti].calls[c];
        k2onnx__kref x;
        if (tc->ninputs != 1) return k2onnx__fail(m->ctx, k2onnx_result_invalid_model, "layer '%s' (TimeDistributed): expects 1 input", tname);
        x = tc->inputs[0];
        m->layers[fi].calls[c] = *tc;
        if (!k2onnx__kcall_add_input(m, &m->layers[ni].calls[c], fi, c, 0)) return 0;
        tc->inputs = NULL;
        tc->ninputs = tc->inputs_cap = 0;
        if (!k2onnx__kcall_add_input(m, tc, x.layer, x.node, x.tensor) || !k2onnx__kcall_add_input(m, tc, ni, c, 0)) return 0;
    }
    return 1;
}
#endif

static int k2onnx__nest_expand_all(k2onnx__kmodel *m)
{
    size_t i;
    for (i = 0; i < m->nlayers; i++) { /* unfolded layers are appended, and unfolded in turn */
#ifndef K2ONNX_ONLY_RECURRENT
        if (strcmp(m->layers[i].cls, "TimeDistributed") == 0 && !k2onnx__nest_time_distributed(m, i)) return 0;
#endif
        if (k2onnx__is_model_class(m->layers[i].cls)) {
#ifdef K2ONNX_ONLY_RECURRENT
            return k2onnx__fail(m->ctx, k2onnx_result_unsupported_model, "layer '%s' (%s): nested models are left out of this build (K2ONNX_ONLY_RECURRENT)",
                                m->layers[i].name, m->layers[i].cls);
#else
            if (!k2onnx__nest_expand(m, i)) return 0;
#endif
        }
    }
    return 1;
}

/* Reads the attributes of "/" and parses model_config. */
/* The decimal number at the start of s (0 if none), saturating. */
static int k2onnx__leading_int(const char *s)
{
    int v = 0;
    while (*s >= '0' && *s <= '9' && v < 100000) v = v * 10 + (*s++ - '0');
    return v;
}

static int k2onnx__kload(k2onnx__kmodel *m, k2onnx__ctx *ctx, const k2onnx__h5 *f)
{
    k2onnx__h5obj root, mw;
    const k2onnx__h5attr *a;
    const char *s;
    size_t len;
    const k2onnx__json *cfg;
    const char *cls;
    memset(m, 0, sizeof *m);
    m->ctx = ctx;
    m->f = f;
    if (!k2onnx__h5_object(f, f->root_addr, "/", &root)) return 0;
    m->keras_version = "";
    if (ctx->opt.model_config) {
        /* An architecture from model.to_json() carries its own keras_version. */
        if (!k2onnx__json_parse(ctx, "model config", ctx->opt.model_config, ctx->opt.model_config_size, &m->config)) return 0;
        if ((s = k2onnx__jstr(k2onnx__jget(&m->config, "keras_version"))) != NULL) m->keras_version = s;
        if (ctx->keras_version) m->keras_version = ctx->keras_version;
    }
    if (!m->keras_version[0] && (a = k2onnx__h5_attr(&root, "keras_version")) != NULL) {
        if (!k2onnx__h5_attr_string(f, "/", a, 0, &s, &len)) return 0;
        m->keras_version = k2onnx__strndup(ctx, s, len);
        if (!m->keras_version) return 0;
    }
    /* The backend is only recorded in the ONNX metadata: a file without a readable one converts. */
    if ((a = k2onnx__h5_attr(&root, "backend")) != NULL && a->space.count == 1 &&
        (a->type.cls == K2ONNX__H5T_STRING || (a->type.cls == K2ONNX__H5T_VLEN && a->type.vlen_string))) {
        if (!k2onnx__h5_attr_string(f, "/", a, 0, &s, &len)) return 0;
        m->keras_backend = k2onnx__strndup(ctx, s, len);
        if (!m->keras_backend) return 0;
    }
    m->keras_major = m->keras_version[0] >= '1' && m->keras_version[0] <= '9' ? m->keras_version[0] - '0' : 2;
    /* Standalone Keras ended with 2.3.1; later 2.x versions are tf.keras. */
    {
        const char *v = m->keras_version;
        const char *dot1 = strchr(v, '.'), *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
        int minor = dot1 ? k2onnx__leading_int(dot1 + 1) : 0, patch = dot2 ? k2onnx__leading_int(dot2 + 1) : 0;
        if (minor > 99) minor = 99;
        if (patch > 99) patch = 99;
        m->keras_version_number = (long)m->keras_major * 10000 + minor * 100 + patch;
        m->tf_keras = strstr(v, "tf") != NULL || m->keras_major >= 3 || (m->keras_major == 2 && minor >= 4);
        m->legacy_mask = m->keras_version_number < 20300 && !strstr(v, "tf");
    }
    a = k2onnx__h5_attr(&root, "model_config");
    if (!ctx->opt.model_config) {
        if (!a) {
            if (k2onnx__h5_attr(&root, "layer_names") || k2onnx__h5_attr(&root, "layer_names0"))
                return k2onnx__fail(ctx, k2onnx_result_invalid_model,
                                    "file holds weights only (no model_config attribute on '/'); give the architecture JSON too (options.model_config)");
            return k2onnx__fail(ctx, k2onnx_result_invalid_model, "not a Keras model file (no model_config attribute on '/')");
        }
        if (!k2onnx__h5_attr_string(f, "/", a, 0, &s, &len)) return 0;
        if (!k2onnx__json_parse(ctx, "model_config", s, len, &m->config)) return 0;
    }
    cls = k2onnx__jstr(k2onnx__jget(&m->config, "class_name"));
    cfg = k2onnx__jget(&m->config, "config");
    if (!cls || !cfg) return k2onnx__fail(ctx, k2onnx_result_invalid_model, "model_config lacks class_name or config");
    m->name = k2onnx__jstr(k2onnx__jget(cfg, "name"));
    if (!m->name) m->name = "keras_model";
    m->weights_root = "/model_weights";
    if (!k2onnx__h5_open_path(f, "/model_weights", &mw, 1)) {
        if (ctx->failed) return 0;
        m->weights_root = "";
        /* Keras 3 weight files name layers by class, not by layer name. */
        if (!k2onnx__h5_attr(&root, "layer_names") && !k2onnx__h5_attr(&root, "layer_names0")) {
            if (k2onnx__h5_open_path(f, "/layers", &mw, 1)) m->keras3_paths = 1;
            else if (ctx->failed) return 0;
            /* tf.keras 2.13 .keras files keep the layers by name under this group. */
            else if (k2onnx__h5_open_path(f, "/_layer_checkpoint_dependencies", &mw, 1)) m->keras3_paths = 2;
            else if (ctx->failed) return 0;
        }
    }
    if (strcmp(cls, "Sequential") == 0) return k2onnx__kparse_sequential(m, cfg) && k2onnx__nest_expand_all(m);
    if (strcmp(cls, "Model") == 0 || strcmp(cls, "Functional") == 0) return k2onnx__kparse_functional(m, cfg) && k2onnx__nest_expand_all(m);
    return k2onnx__fail(ctx, k2onnx_result_unsupported_model, "model class '%s' is not supported (expected Sequential, Model or Functional)", cls);
}

/* Keras' to_snake_case of a class name: "SimpleRNN" -> "simple_rnn", "CuDNNLSTM" -> "cu_dnnlstm". */
static char *k2onnx__snake_case(k2onnx__ctx *ctx, const char *cls)
{
    size_t n = strlen(cls), i, o = 0;
    char *out = (char *)k2onnx__alloc(ctx, 2 * n + 1);
    if (!out) return NULL;
    for (i = 0; i < n; i++) {
        char c = cls[i];
        int upper = c >= 'A' && c <= 'Z';
        if (!((c >= 'a' && c <= 'z') || upper || (c >= '0' && c <= '9') || c == '_')) continue;
        /* An underscore before a capital that starts a word, or that follows a lower-case letter. */
        if (upper && o > 0 && ((cls[i + 1] >= 'a' && cls[i + 1] <= 'z') || (cls[i - 1] >= 'a' && cls[i - 1] <= 'z')) && out[o - 1] != '_')
            out[o++] = '_';
        out[o++] = upper ? (char)(c - 'A' + 'a') : c;
    }
    out[o] = '\0';
    return out;
}

typedef struct k2onnx__k3_names {
    k2onnx__ctx *ctx;
    char **names;
    size_t n, cap;
} k2onnx__k3_names;

static int k2onnx__k3_name_cb(void *user, const k2onnx__h5link *link)
{
    k2onnx__k3_names *c = (k2onnx__k3_names *)user;
    if (!k2onnx__reserve(c->ctx, (void **)&c->names, &c->cap, c->n + 1, sizeof *c->names)) return 0;
    c->names[c->n] = k2onnx__strndup(c->ctx, link->name, link->name_len);
    return c->names[c->n++] != NULL;
}

/* Rank of a child group when collecting a Keras 3 layer's variables in Keras' order. */
static int k2onnx__k3_child_rank(const char *name)
{
    if (strcmp(name, "forward_layer") == 0) return 0;
    if (strcmp(name, "backward_layer") == 0) return 1;
    return 2;
}

static int k2onnx__k3_before(const char *a, const char *b, int numeric)
{
    if (numeric) {
        size_t la = strlen(a), lb = strlen(b);
        return la < lb || (la == lb && strcmp(a, b) < 0);
    }
    if (k2onnx__k3_child_rank(a) != k2onnx__k3_child_rank(b)) return k2onnx__k3_child_rank(a) < k2onnx__k3_child_rank(b);
    return strcmp(a, b) < 0;
}

/* Appends the datasets of `path`/vars (by index), then those of its child groups, depth first. */
static int k2onnx__k3_collect(k2onnx__kmodel *m, k2onnx__klayer *L, const char *path, unsigned depth, size_t *cap, size_t *pcap)
{
    k2onnx__h5obj g;
    k2onnx__k3_names names;
    size_t i, j;
    int pass;
    if (depth > 8) return k2onnx__fail(m->ctx, k2onnx_result_invalid_model, "HDF5 group '%s' nests too deeply", path);
    if (!k2onnx__h5_open_path(m->f, path, &g, 1)) return !m->ctx->failed;
    for (pass = 0; pass < 2; pass++) {
        const char *dir = pass == 0 ? k2onnx__sprintf(m->ctx, "%s/vars", path) : path;
        memset(&names, 0, sizeof names);
        names.ctx = m->ctx;
        if (!dir) return 0;
        if (!k2onnx__h5_open_path(m->f, dir, &g, 1)) {
            if (m->ctx->failed) return 0;
            continue;
        }
        if (!k2onnx__h5_iterate(m->f, &g, k2onnx__k3_name_cb, &names) || m->ctx->failed) return 0;
        for (i = 1; i < names.n; i++) /* insertion sort: layers have a handful of entries */
            for (j = i; j > 0 && k2onnx__k3_before(names.names[j], names.names[j - 1], pass == 0); j--) {
                char *t = names.names[j];
                names.names[j] = names.names[j - 1];
                names.names[j - 1] = t;
            }
        for (i = 0; i < names.n; i++) {
            const char *child = k2onnx__sprintf(m->ctx, "%s/%s", dir, names.names[i]);
            if (!child) return 0;
            if (pass == 1) {
                if (strcmp(names.names[i], "vars") != 0 && !k2onnx__k3_collect(m, L, child, depth + 1, cap, pcap)) return 0;
                continue;
            }
            if (L->nweights >= 64) return k2onnx__fail(m->ctx, k2onnx_result_invalid_model, "HDF5 group '%s' lists too many weights", path);
            if (!k2onnx__reserve(m->ctx, (void **)&L->weights, cap, L->nweights + 1, sizeof *L->weights) ||
                !k2onnx__reserve(m->ctx, (void **)&L->weight_paths, pcap, L->nweights + 1, sizeof *L->weight_paths))
                return 0;
            L->weight_paths[L->nweights] = child;
            if (!k2onnx__kweight_array(m->f, child, &L->weights[L->nweights])) return 0;
            L->nweights++;
        }
    }
    return 1;
}

/* The Keras 3 group of layer L: saving_lib walks a model's `layers` list first and names each
   entry layers/<snake_case class>[_N], N counting earlier entries of the same class; a nested
   model's layers sit below its own group the same way (tf.keras 2.13:
   _layer_checkpoint_dependencies/..., N doubled). */
static const char *k2onnx__k3_group(k2onnx__kmodel *m, const k2onnx__klayer *L)
{
    const char *snake, *parent = "";
    size_t i, same = 0;
    if (!(snake = k2onnx__snake_case(m->ctx, L->file_cls))) return NULL;
    /* nest_expand_all bounds the depth of this recursion (8) */
    if (L->nest_parent && !(parent = k2onnx__k3_group(m, &m->layers[L->nest_parent - 1]))) return NULL;
    if (L->wrapped) return k2onnx__sprintf(m->ctx, "%s/layer", parent);
    for (i = 0; i < m->nlayers && &m->layers[i] != L; i++) {
        const char *other;
        if (m->layers[i].nest_parent != L->nest_parent) continue;
        if (!(other = k2onnx__snake_case(m->ctx, m->layers[i].file_cls))) return NULL;
        same += strcmp(other, snake) == 0;
    }
    /* tf.keras 2.13 walked a dict listing every layer with weights twice, and counted both. */
    if (m->keras3_paths == 2) same *= 2;
    return k2onnx__sprintf(m->ctx, same ? "%s%s/%s_%u" : "%s%s/%s", parent, m->keras3_paths == 2 ? "/_layer_checkpoint_dependencies" : "/layers",
                           snake, (unsigned long long)same);
}

/* Keras 3 weights of layer L: its group's vars, then its children's (a wrapper's inner layer, an
   RNN's cell). */
static int k2onnx__kweights_keras3(k2onnx__kmodel *m, k2onnx__klayer *L)
{
    size_t cap = 0, pcap = 0;
    const char *base = k2onnx__k3_group(m, L);
    if (!base) return 0;
    L->nweights = 0;
    return k2onnx__k3_collect(m, L, base, 0, &cap, &pcap);
}

/* Loads a layer's weights in weight_names order: the position, not the name, says which is which. */
/* Whether weight name s (len bytes, "dense_1/kernel:0") belongs to layer `layer` of a nested
   model: its path has a component so named before the last. */
static int k2onnx__weight_of(const char *s, size_t len, const char *layer)
{
    size_t n = strlen(layer), i;
    for (i = 0; i + n < len; i++)
        if ((i == 0 || s[i - 1] == '/') && memcmp(s + i, layer, n) == 0 && s[i + n] == '/') return 1;
    return 0;
}

static int k2onnx__kweights(k2onnx__kmodel *m, k2onnx__klayer *L)
{
    k2onnx__h5obj g;
    const k2onnx__h5attr *a;
    const char *gpath;
    size_t i;
    if (L->weights_loaded) return 1;
    L->weights_loaded = 1;
    if (m->keras3_paths) return k2onnx__kweights_keras3(m, L);
    gpath = L->weights_group ? L->weights_group : k2onnx__sprintf(m->ctx, "%s/%s", m->weights_root, L->name);
    if (!gpath) return 0;
    if (!k2onnx__h5_open_path(m->f, gpath, &g, 1)) return !m->ctx->failed; /* no group: no weights */
    /* Keras splits a long list into weight_names0, weight_names1, ... (attributes are limited
       to 64 KiB in the compact form). */
    {
        const k2onnx__h5attr *parts[16];
        size_t nparts = 0, total = 0, p;
        a = k2onnx__h5_attr(&g, "weight_names");
        if (a) parts[nparts++] = a;
        while (!a && nparts < 16) {
            char key[32];
            const k2onnx__h5attr *part;
            key[0] = '\0';
            k2onnx__format_append(key, sizeof key, "weight_names%u", (unsigned long long)nparts);
            if (!(part = k2onnx__h5_attr(&g, key))) break;
            parts[nparts++] = part;
        }
        if (!nparts) return k2onnx__fail(m->ctx, k2onnx_result_invalid_model, "HDF5 group '%s' has no weight_names attribute", gpath);
        for (p = 0; p < nparts; p++) {
            if (parts[p]->type.cls != K2ONNX__H5T_STRING && parts[p]->type.cls != K2ONNX__H5T_VLEN) {
                if (parts[p]->space.count == 0) continue; /* Keras stores an empty float64 array for weightless layers */
                return k2onnx__fail(m->ctx, k2onnx_result_invalid_model, "HDF5 group '%s': weight_names is not a list of strings", gpath);
            }
            total += (size_t)parts[p]->space.count;
        }
        if (total > (L->weights_prefix ? 1u << 16 : 64u))
            return k2onnx__fail(m->ctx, k2onnx_result_invalid_model, "HDF5 group '%s' lists too many weights", gpath);
        if (total > 64) total = 64; /* a nested model's group: this layer's share of it */
        L->weights = (k2onnx__h5array *)k2onnx__alloc_array(m->ctx, total + 1, sizeof *L->weights);
        L->weight_paths = (const char **)k2onnx__alloc_array(m->ctx, total + 1, sizeof *L->weight_paths);
        if (!L->weights || !L->weight_paths) return 0;
        for (p = 0; p < nparts; p++) {
            if (parts[p]->type.cls != K2ONNX__H5T_STRING && parts[p]->type.cls != K2ONNX__H5T_VLEN) continue;
            for (i = 0; i < parts[p]->space.count; i++) {
                const char *s;
                size_t len, w = L->nweights;
                if (!k2onnx__h5_attr_string(m->f, gpath, parts[p], i, &s, &len)) return 0;
                if (L->weights_prefix && !k2onnx__weight_of(s, len, L->weights_prefix)) continue;
                if (w >= 64) return k2onnx__fail(m->ctx, k2onnx_result_invalid_model, "HDF5 group '%s' lists too many weights", gpath);
                L->weight_paths[w] = k2onnx__sprintf(m->ctx, "%s/%.*s", gpath, (int)len, s);
                if (!L->weight_paths[w] || !k2onnx__kweight_array(m->f, L->weight_paths[w], &L->weights[w])) return 0;
                L->nweights++;
            }
        }
    }
    return 1;
}

/* --- layer config readers -------------------------------------------------------------------- */

/* Where a layer's config value is read: the config object (the layer's own, or a wrapped
   layer's) and the layer named in messages. Trimmed builds use only some of the readers. */
typedef struct k2onnx__cfg {
    k2onnx__ctx *ctx;
    const k2onnx__klayer *layer;
    const k2onnx__json *json;
} k2onnx__cfg;


/* "layer 'x' (Class): ..." */
#ifdef K2ONNX_NO_ERROR_STRINGS
static int k2onnx__layer_code(k2onnx__ctx *ctx, const k2onnx__klayer *L, k2onnx_result r)
{
    return (k2onnx__fail)(ctx, r, "layer '%s' (%s): %s", L->name, L->cls, k2onnx__result_text(r));
}
#define k2onnx__cfg_fail(c, r, ...) k2onnx__layer_code((c).ctx, (c).layer, (r))
#else
static int k2onnx__layer_vfail(k2onnx__ctx *ctx, const k2onnx__klayer *L, k2onnx_result r, const char *fmt, va_list ap)
{
    char buf[400];
    k2onnx__vformat(buf, sizeof buf, fmt, ap);
    return k2onnx__fail(ctx, r, "layer '%s' (%s): %s", L->name, L->cls, buf);
}

static int k2onnx__cfg_fail(k2onnx__cfg c, k2onnx_result r, const char *fmt, ...)
{
    va_list ap;
    int ok;
    va_start(ap, fmt);
    ok = k2onnx__layer_vfail(c.ctx, c.layer, r, fmt, ap);
    va_end(ap);
    return ok;
}
#endif

/* A positive integer under key (or alt, its Keras 1 name). */
static K2ONNX__MAYBE_UNUSED int k2onnx__cfg_positive_int(k2onnx__cfg c, const char *key, const char *alt, int64_t *out)
{
    long long v;
    const k2onnx__json *j = k2onnx__jget(c.json, key);
    if (!j && alt) j = k2onnx__jget(c.json, alt);
    if (!k2onnx__jint(j, 1, (long long)1 << 31, &v)) return k2onnx__cfg_fail(c, k2onnx_result_invalid_model, "'%s' is missing or not a positive integer", key);
    *out = v;
    return 1;
}

/* n positive integers from an int or an n-list (kernel_size, strides, dilation_rate). */
static K2ONNX__MAYBE_UNUSED int k2onnx__cfg_int_n(k2onnx__cfg c, const char *key, unsigned n, long long def, int64_t *out)
{
    const k2onnx__json *v = k2onnx__jget(c.json, key);
    unsigned i;
    long long x;
    for (i = 0; i < n; i++) out[i] = def;
    if (!v || v->type == K2ONNX__JNULL) return 1;
    if (k2onnx__jint(v, 1, (long long)1 << 20, &x)) {
        for (i = 0; i < n; i++) out[i] = x;
        return 1;
    }
    if (!k2onnx__jis_array(v) || v->n != n) return k2onnx__cfg_fail(c, k2onnx_result_invalid_model, "'%s' must have %d entries", key, (int)n);
    for (i = 0; i < n; i++) {
        if (!k2onnx__jint(&v->items[i], 1, (long long)1 << 20, &x)) return k2onnx__cfg_fail(c, k2onnx_result_invalid_model, "'%s' holds a non-positive entry", key);
        out[i] = x;
    }
    return 1;
}

/* A positive integer, bare or as a 1-element list (Keras stores kernel_size=[3]). */
static K2ONNX__MAYBE_UNUSED int k2onnx__cfg_int1(k2onnx__cfg c, const char *key, long long def, long long *out)
{
    const k2onnx__json *v = k2onnx__jget(c.json, key);
    if (!v || v->type == K2ONNX__JNULL) { *out = def; return 1; }
    if (k2onnx__jis_array(v)) {
        if (v->n != 1) return k2onnx__cfg_fail(c, k2onnx_result_invalid_model, "'%s' must have one entry", key);
        v = &v->items[0];
    }
    if (!k2onnx__jint(v, 1, (long long)1 << 30, out)) return k2onnx__cfg_fail(c, k2onnx_result_invalid_model, "'%s' is not a positive integer", key);
    return 1;
}

/* A number, `def` when absent or null. */
static K2ONNX__MAYBE_UNUSED int k2onnx__cfg_float(k2onnx__cfg c, const char *key, float def, float *out)
{
    const k2onnx__json *v = k2onnx__jget(c.json, key);
    if (!v || v->type == K2ONNX__JNULL) { *out = def; return 1; }
    if (v->type != K2ONNX__JNUMBER) return k2onnx__cfg_fail(c, k2onnx_result_invalid_model, "'%s' is not a number", key);
    *out = v->number;
    return 1;
}

/* A pair of non-negative integers from an int or a 2-list (cropping, padding). */
static K2ONNX__MAYBE_UNUSED int k2onnx__cfg_int_pair(k2onnx__cfg c, const char *key, long long def, long long pair[2])
{
    const k2onnx__json *v = k2onnx__jget(c.json, key);
    pair[0] = pair[1] = def;
    if (!v || v->type == K2ONNX__JNULL) return 1;
    if (k2onnx__jis_array(v) && v->n == 2 && k2onnx__jint(&v->items[0], 0, (long long)1 << 30, &pair[0]) &&
        k2onnx__jint(&v->items[1], 0, (long long)1 << 30, &pair[1]))
        return 1;
    if (k2onnx__jint(v, 0, (long long)1 << 30, &pair[0])) {
        pair[1] = pair[0];
        return 1;
    }
    return k2onnx__cfg_fail(c, k2onnx_result_invalid_model, "'%s' must be a non-negative integer or a pair of them", key);
}

/* A Keras axis under key (batch axis 0, negative from the end) as a non-negative axis of a
   rank-r value. entry >= 0 picks that entry of a pair (Dot's axes); one integer serves both. */
static K2ONNX__MAYBE_UNUSED int k2onnx__cfg_axis(k2onnx__cfg c, const char *key, int entry, long long def, unsigned rank, int64_t *out)
{
    const k2onnx__json *v = k2onnx__jget(c.json, key);
    long long a = def;
    if (entry >= 0 && k2onnx__jis_array(v) && v->n == 2) v = &v->items[entry];
    if (k2onnx__jis_array(v) && v->n == 1) v = &v->items[0];
    if (v && v->type != K2ONNX__JNULL && !k2onnx__jint(v, -(long long)rank, (long long)rank - 1, &a))
        return k2onnx__cfg_fail(c, k2onnx_result_unsupported_model, "axis must be one integer within the input rank %d", (int)rank);
    if (a < 0) a += rank;
    if (a == 0) return k2onnx__cfg_fail(c, k2onnx_result_unsupported_model, "the batch axis cannot be the axis");
    *out = a;
    return 1;
}

/* ============================================================================================
   6. ONNX graph builder
   An in-memory GraphProto: nodes, initializers and graph inputs/outputs. Large initializers
   are views of the HDF5 bytes with a transform, serialised later without a copy.
   ============================================================================================ */

enum { K2ONNX__AFLOAT = 1, K2ONNX__AINT = 2, K2ONNX__ASTRING = 3, K2ONNX__AGRAPH = 5, K2ONNX__AFLOATS = 6, K2ONNX__AINTS = 7,
       K2ONNX__ASTRINGS = 8 };

struct k2onnx__graph;

/* An attribute holds one value of its type, so the kinds share their room. */
typedef struct k2onnx__attr {
    const char *name;
    int type;
    size_t n;                               /* elements of a list */
    union {
        int64_t i;
        float f;
        const char *s;
        const int64_t *ints;
        const float *floats;
        const char *const *strings;
        const struct k2onnx__graph *graph;  /* a Scan body */
    } v;
} k2onnx__attr;

#define K2ONNX__MAX_ATTRS 8u

typedef struct k2onnx__node {
    const char *op, *name;
    const char **inputs, **outputs;
    size_t ninputs, noutputs;
    k2onnx__attr *attrs;
    unsigned nattrs, attrs_cap;
} k2onnx__node;

enum { K2ONNX__INIT_F32, K2ONNX__INIT_I64, K2ONNX__INIT_MATRIX };

/* A source matrix rows x cols of the file, optionally transposed with its column blocks
   ("gates") reordered by perm. */
typedef struct k2onnx__matrix_part {
    k2onnx__h5array src;
    uint64_t rows, cols;
    uint64_t stride;        /* elements from one source row to the next; 0 = cols (plain parts) */
    int transpose;
    unsigned gates, perm[4];
} k2onnx__matrix_part;

typedef struct k2onnx__initializer {
    const char *name;
    int dtype;
    unsigned rank;
    int64_t dims[K2ONNX__MAX_RANK];
    uint64_t count;
    int kind;
    const float *f32;
    const int64_t *i64;
    /* K2ONNX__INIT_MATRIX: the concatenation of parts (one per direction of a bidirectional
       op, say), each streamed from the file. */
    k2onnx__matrix_part *parts;  /* nparts of them (k2onnx__add_matrix) */
    unsigned nparts;
    const char *two_channels;   /* --unroll, a one-channel Conv kernel: the kernel with a zero
                                   second channel (k2onnx__conv_two_channels) */
    int ungrouped;              /* --unroll, a kernel of one-channel groups widened to a full
                                   kernel (k2onnx__conv_ungroup) */
} k2onnx__initializer;

/* A graph input or output as ONNX declares it (a dim below 0 without a param is "?"). */
typedef struct k2onnx__value_info {
    K2ONNX__VALUE_FIELDS
} k2onnx__value_info;

/* The nodes [first, end) of a graph that one call of a layer made, and the call's outputs. */
typedef struct k2onnx__span {
    k2onnx_layer_info info;          /* name, class, call and parameters; nodes and outputs come later */
    size_t first, end;
    const k2onnx__kvalue *outputs;
} k2onnx__span;

typedef struct k2onnx__graph {
    const char *name;
    k2onnx__node **nodes;
    size_t nnodes, nodes_cap;
    k2onnx__initializer **inits;     /* each allocated once: a doubled array would leave its
                                        old copies of these large records in the arena */
    size_t ninits, inits_cap;
    k2onnx__value_info *inputs, *outputs;
    size_t ninputs, inputs_cap, noutputs, outputs_cap;
    k2onnx__value_info *state_outputs;   /* --state-io: final states, listed after the model outputs */
    size_t nstate_outputs, state_outputs_cap;
    int64_t ir_version;
    int opset;
    struct k2onnx__span *spans;      /* options.describe: the nodes each layer call made */
    size_t nspans, spans_cap;
    const char *doc;                 /* the model's doc_string */
    const char **meta;               /* metadata_props: key, value, key, value, ... */
    size_t nmeta;
} k2onnx__graph;

typedef struct k2onnx__converter {
    k2onnx__ctx *ctx;
    k2onnx__kmodel *m;
    k2onnx__graph *g;
    int opset;
    k2onnx__klayer *layer;  /* layer being converted, for names and messages */
    size_t node;
    const char *vprefix;    /* inserted after "<layer>/" in value names, e.g. inside a Scan body */
    struct k2onnx__walk *walk; /* the depth-first walk over layer calls, one entry per level */
    size_t walk_cap;
    int io_elem;            /* a float64 or float16 model: inputs and outputs of that type around a
                               float32 graph (0 for a float32 model) */
    const char *doubled_in, *doubled; /* --unroll: the last input given two channels, and the
                                         result (k2onnx__conv_two_channels; no Scan bodies there,
                                         so both are values of this graph) */
    k2onnx__attr spare_attr;  /* k2onnx__add_attr's, when memory ran out */
} k2onnx__converter;

/* One level of the walk over layer calls: the call, the input being converted, and whether that
   input's call was pushed. The walk lives in the arena, so the C stack stays flat however deep
   the model. */
typedef struct k2onnx__walk {
    size_t layer, node, next;
    int pushed;
    k2onnx__kvalue *in;
} k2onnx__walk;

/* "layer 'x' (Class): ..." prefix for every mapping error. */
static int k2onnx__lfail(k2onnx__converter *cv, k2onnx_result r, const char *fmt, ...)
{
#ifdef K2ONNX_NO_ERROR_STRINGS
    (void)fmt;
    return k2onnx__layer_code(cv->ctx, cv->layer, r);
#else
    va_list ap;
    int ok;
    va_start(ap, fmt);
    ok = k2onnx__layer_vfail(cv->ctx, cv->layer, r, fmt, ap);
    va_end(ap);
    return ok;
#endif
}

/* The config value reader of the layer being converted. */
static k2onnx__cfg k2onnx__cfg_of(const k2onnx__converter *cv, const k2onnx__json *json)
{
    k2onnx__cfg c;
    c.ctx = cv->ctx;
    c.layer = cv->layer;
    c.json = json;
    return c;
}
#ifdef K2ONNX_NO_ERROR_STRINGS
#define k2onnx__lfail(cv, r, ...) (k2onnx__lfail)((cv), (r), NULL)
#endif

/* A warning about the layer being converted, handed to options.warn when there is one. */
static void k2onnx__lwarn(k2onnx__converter *cv, const char *fmt, ...)
{
    char buf[400], msg[512];
    va_list ap;
    if (!cv->ctx->opt.warn) return;
    va_start(ap, fmt);
    k2onnx__vformat(buf, sizeof buf, fmt, ap);
    va_end(ap);
    msg[0] = '\0';
    k2onnx__format_append(msg, sizeof msg, "layer '%s' (%s): %s", cv->layer->name, cv->layer->cls, buf);
    k2onnx__one_line(msg);
    cv->ctx->opt.warn(cv->ctx->opt.warn_user, msg);
}

/* Value names are "<layer>/<what>", with the call index for shared layers. */
static const char *k2onnx__vname(k2onnx__converter *cv, const char *what)
{
    const char *pre = cv->vprefix ? cv->vprefix : "";
    if (!what) return NULL;
    if (cv->node == 0) return k2onnx__sprintf(cv->ctx, "%s/%s%s", cv->layer->name, pre, what);
    /* not "<layer>_<call>/": Keras names a second layer of a class "<class>_1" */
    return k2onnx__sprintf(cv->ctx, "%s/call_%u/%s%s", cv->layer->name, (unsigned long long)cv->node, pre, what);
}

static k2onnx__node *k2onnx__add_node(k2onnx__converter *cv, const char *op, size_t ninputs, size_t noutputs)
{
    k2onnx__node *n;
    if (!k2onnx__reserve(cv->ctx, (void **)&cv->g->nodes, &cv->g->nodes_cap, cv->g->nnodes + 1, sizeof *cv->g->nodes)) return NULL;
    n = (k2onnx__node *)k2onnx__alloc(cv->ctx, sizeof *n);
    if (!n) return NULL;
    n->op = op;
    n->inputs = (const char **)k2onnx__alloc_array(cv->ctx, ninputs + 1, sizeof(char *));
    n->outputs = (const char **)k2onnx__alloc_array(cv->ctx, noutputs + 1, sizeof(char *));
    if (!n->inputs || !n->outputs) return NULL;
    n->ninputs = ninputs;
    n->noutputs = noutputs;
    cv->g->nodes[cv->g->nnodes++] = n;
    return n;
}

/* A new attribute of n. Most nodes have one or two: the first attribute brings two slots, the
   third all K2ONNX__MAX_ATTRS. When memory runs out the conversion has failed: the value then
   goes to the converter's spare attribute and is never written out. */
static k2onnx__attr *k2onnx__add_attr(k2onnx__converter *cv, k2onnx__node *n, const char *name, int type)
{
    k2onnx__attr *a;
    K2ONNX_ASSERT(n->nattrs < K2ONNX__MAX_ATTRS);
    if (n->nattrs == n->attrs_cap) {
        unsigned cap = n->attrs_cap ? K2ONNX__MAX_ATTRS : 2u;
        k2onnx__attr *more = (k2onnx__attr *)k2onnx__alloc_array(cv->ctx, cap, sizeof *more);
        if (!more) return &cv->spare_attr;
        if (n->nattrs) memcpy(more, n->attrs, n->nattrs * sizeof *more);
        n->attrs = more;
        n->attrs_cap = cap;
    }
    a = &n->attrs[n->nattrs++];
    memset(a, 0, sizeof *a);
    a->name = name;
    a->type = type;
    return a;
}

/* Out of line: their fifty calls stay short. */
static K2ONNX__NOINLINE void k2onnx__attr_int(k2onnx__converter *cv, k2onnx__node *n, const char *name, int64_t v) { k2onnx__add_attr(cv, n, name, K2ONNX__AINT)->v.i = v; }
static K2ONNX__NOINLINE void k2onnx__attr_float(k2onnx__converter *cv, k2onnx__node *n, const char *name, float v) { k2onnx__add_attr(cv, n, name, K2ONNX__AFLOAT)->v.f = v; }
static void k2onnx__attr_string(k2onnx__converter *cv, k2onnx__node *n, const char *name, const char *v) { k2onnx__add_attr(cv, n, name, K2ONNX__ASTRING)->v.s = v; }

static int k2onnx__attr_ints(k2onnx__converter *cv, k2onnx__node *n, const char *name, const int64_t *v, size_t count)
{
    int64_t *copy = (int64_t *)k2onnx__alloc_array(cv->ctx, count + 1, sizeof *copy);
    k2onnx__attr *a;
    if (!copy) return 0;
    memcpy(copy, v, count * sizeof *copy);
    a = k2onnx__add_attr(cv, n, name, K2ONNX__AINTS);
    a->v.ints = copy;
    a->n = count;
    return 1;
}

static k2onnx__initializer *k2onnx__add_init(k2onnx__converter *cv, const char *name, int dtype, unsigned rank, const int64_t *dims)
{
    k2onnx__initializer *t;
    unsigned i;
    if (!name || !k2onnx__reserve(cv->ctx, (void **)&cv->g->inits, &cv->g->inits_cap, cv->g->ninits + 1, sizeof *cv->g->inits)) return NULL;
    if (!(t = (k2onnx__initializer *)k2onnx__alloc(cv->ctx, sizeof *t))) return NULL;
    cv->g->inits[cv->g->ninits++] = t;
    t->name = name;
    t->dtype = dtype;
    t->rank = rank;
    t->count = 1;
    for (i = 0; i < rank; i++) {
        t->dims[i] = dims[i];
        t->count *= (uint64_t)dims[i];
    }
    return t;
}

/* A float initializer streamed from the file (K2ONNX__INIT_MATRIX), of nparts zeroed parts for
   the caller to fill; NULL when out of memory. */
static k2onnx__initializer *k2onnx__add_matrix(k2onnx__converter *cv, const char *name, unsigned rank, const int64_t *dims, unsigned nparts)
{
    k2onnx__initializer *t = k2onnx__add_init(cv, name, K2ONNX__FLOAT, rank, dims);
    if (!t || !(t->parts = (k2onnx__matrix_part *)k2onnx__alloc_array(cv->ctx, nparts, sizeof *t->parts))) return NULL;
    t->kind = K2ONNX__INIT_MATRIX;
    t->nparts = nparts;
    return t;
}

static const char *k2onnx__init_i64(k2onnx__converter *cv, const char *what, const int64_t *v, size_t count)
{
    int64_t dims[1];
    int64_t *copy = (int64_t *)k2onnx__alloc_array(cv->ctx, count + 1, sizeof *copy);
    k2onnx__initializer *t;
    dims[0] = (int64_t)count;
    if (!copy || !(t = k2onnx__add_init(cv, k2onnx__vname(cv, what), K2ONNX__INT64, 1, dims))) return NULL;
    memcpy(copy, v, count * sizeof *copy);
    t->kind = K2ONNX__INIT_I64;
    t->i64 = copy;
    return t->name;
}

static const char *k2onnx__init_f32(k2onnx__converter *cv, const char *what, const float *v, unsigned rank, const int64_t *dims)
{
    k2onnx__initializer *t = k2onnx__add_init(cv, k2onnx__vname(cv, what), K2ONNX__FLOAT, rank, dims);
    if (!t) return NULL;
    t->kind = K2ONNX__INIT_F32;
    t->f32 = v;
    return t->name;
}

/* Weight `index` of the layer as a rows x cols initializer, streamed from the file as stored. */
static const char *k2onnx__matrix_init(k2onnx__converter *cv, size_t index, const char *what, int64_t rows, int64_t cols)
{
    int64_t dims[2];
    k2onnx__initializer *t;
    dims[0] = rows;
    dims[1] = cols;
    if (!(t = k2onnx__add_matrix(cv, k2onnx__vname(cv, what), 2, dims, 1))) return NULL;
    t->parts[0].src = cv->layer->weights[index];
    t->parts[0].rows = (uint64_t)rows;
    t->parts[0].cols = (uint64_t)cols;
    return t->name;
}

/* A 1-D weight of the layer as an initializer, streamed from the file. */
static const char *k2onnx__vector_init(k2onnx__converter *cv, size_t index, const char *what, int64_t count)
{
    k2onnx__initializer *t = k2onnx__add_matrix(cv, k2onnx__vname(cv, what), 1, &count, 1);
    if (!t) return NULL;
    t->parts[0].src = cv->layer->weights[index];
    t->parts[0].rows = 1;
    t->parts[0].cols = (uint64_t)count;
    return t->name;
}

/* Single-input single-output node; returns the output name. */
static const char *k2onnx__op1(k2onnx__converter *cv, const char *op, const char *input, const char *what, k2onnx__node **out)
{
    k2onnx__node *n = k2onnx__add_node(cv, op, 1, 1);
    if (!n) return NULL;
    n->inputs[0] = input;
    n->outputs[0] = n->name = k2onnx__vname(cv, what);
    if (out) *out = n;
    return n->outputs[0];
}

/* A node of two inputs whose output, and the node, are named `name` as it is. */
static const char *k2onnx__op2_as(k2onnx__converter *cv, const char *op, const char *a, const char *b, const char *name, k2onnx__node **node)
{
    k2onnx__node *n = name ? k2onnx__add_node(cv, op, 2, 1) : NULL;
    if (!n) return NULL;
    n->inputs[0] = a;
    n->inputs[1] = b;
    n->outputs[0] = n->name = name;
    if (node) *node = n;
    return name;
}

static const char *k2onnx__op2n(k2onnx__converter *cv, const char *op, const char *a, const char *b, const char *what, k2onnx__node **node)
{
    return k2onnx__op2_as(cv, op, a, b, k2onnx__vname(cv, what), node);
}

static const char *k2onnx__op2(k2onnx__converter *cv, const char *op, const char *a, const char *b, const char *what)
{
    return k2onnx__op2n(cv, op, a, b, what, NULL);
}

/* Concat or Gather of two values along `axis`, named `name` as it is. */
static const char *k2onnx__op2_axis_as(k2onnx__converter *cv, const char *op, const char *a, const char *b, int64_t axis, const char *name)
{
    k2onnx__node *n;
    const char *y = k2onnx__op2_as(cv, op, a, b, name, &n);
    if (y) k2onnx__attr_int(cv, n, "axis", axis);
    return y;
}

/* The same named under the layer. */
static const char *k2onnx__op2_axis(k2onnx__converter *cv, const char *op, const char *a, const char *b, int64_t axis, const char *what)
{
    return k2onnx__op2_axis_as(cv, op, a, b, axis, k2onnx__vname(cv, what));
}

/* Squeeze/Unsqueeze on one axis: an attribute before opset 13, an input from 13 on. */
static const char *k2onnx__squeeze(k2onnx__converter *cv, const char *op, const char *input, int64_t axis, const char *what)
{
    k2onnx__node *n;
    if (cv->opset >= 13) {
        const char *axes = k2onnx__init_i64(cv, k2onnx__sprintf(cv->ctx, "%s_axes", what), &axis, 1);
        return axes ? k2onnx__op2(cv, op, input, axes, what) : NULL;
    }
    if (!k2onnx__op1(cv, op, input, what, &n) || !k2onnx__attr_ints(cv, n, "axes", &axis, 1)) return NULL;
    return n->outputs[0];
}

#ifndef K2ONNX_ONLY_RECURRENT
/* ReduceMean/ReduceMax/ReduceSum over one axis: the axes are an attribute before opset 18
   (13 for ReduceSum), an input since. */
static const char *k2onnx__reduce(k2onnx__converter *cv, const char *op, const char *x, int64_t axis, int keepdims, const char *what)
{
    k2onnx__node *n;
    int as_input = cv->opset >= (strcmp(op, "ReduceSum") == 0 ? 13 : 18);
    const char *axes = as_input ? k2onnx__init_i64(cv, k2onnx__sprintf(cv->ctx, "%s_axes", what), &axis, 1) : NULL;
    if ((as_input && !axes) || !(n = k2onnx__add_node(cv, op, as_input ? 2 : 1, 1))) return NULL;
    n->inputs[0] = x;
    if (as_input) n->inputs[1] = axes;
    else if (!k2onnx__attr_ints(cv, n, "axes", &axis, 1)) return NULL;
    k2onnx__attr_int(cv, n, "keepdims", keepdims);
    n->outputs[0] = k2onnx__vname(cv, what);
    n->name = n->outputs[0];
    return n->outputs[0];
}
#endif

static const char *k2onnx__transpose(k2onnx__converter *cv, const char *input, const int64_t *perm, size_t rank, const char *what)
{
    k2onnx__node *n;
    if (K2ONNX__UNROLLS(cv->ctx)) {
        /* libonnx keeps the input's strides on a Transpose output, which ops reading strides
           (element-wise, reductions, pooling) then misread; an Identity re-lays it out. */
        const char *t = k2onnx__op1(cv, "Transpose", input, k2onnx__sprintf(cv->ctx, "%s_raw_transpose", what), &n);
        if (!t || !k2onnx__attr_ints(cv, n, "perm", perm, rank)) return NULL;
        return k2onnx__op1(cv, "Identity", t, what, NULL);
    }
    if (!k2onnx__op1(cv, "Transpose", input, what, &n) || !k2onnx__attr_ints(cv, n, "perm", perm, rank)) return NULL;
    return n->outputs[0];
}

/* An initializer as a graph value: its name, type and static shape. */
static void k2onnx__init_value(const k2onnx__initializer *t, k2onnx__value_info *v)
{
    unsigned d;
    memset(v, 0, sizeof *v);
    v->name = t->name;
    v->elem = t->dtype;
    v->rank = t->rank;
    for (d = 0; d < t->rank; d++) v->dims[d] = t->dims[d];
}

/* What ONNX declares of a Keras value: everything but its mask. */
static void k2onnx__value_info_of(const k2onnx__kvalue *v, k2onnx__value_info *out)
{
    unsigned d;
    out->name = v->name;
    out->elem = v->elem;
    out->rank = v->rank;
    for (d = 0; d < v->rank; d++) {
        out->dims[d] = v->dims[d];
        out->params[d] = v->params[d];
    }
}

/* A new zeroed entry at the end of a graph's inputs or outputs, or NULL. */
static k2onnx__value_info *k2onnx__new_value_info(k2onnx__ctx *ctx, k2onnx__value_info **arr, size_t *n, size_t *cap)
{
    k2onnx__value_info *v;
    if (!k2onnx__reserve(ctx, (void **)arr, cap, *n + 1, sizeof **arr)) return NULL;
    v = &(*arr)[(*n)++];
    memset(v, 0, sizeof *v);
    return v;
}

static int k2onnx__add_graph_value(k2onnx__converter *cv, k2onnx__value_info **arr, size_t *n, size_t *cap, const k2onnx__kvalue *v)
{
    k2onnx__value_info *vi = k2onnx__new_value_info(cv->ctx, arr, n, cap);
    if (vi) k2onnx__value_info_of(v, vi);
    return vi != NULL;
}

/* --- initializer payloads: the bytes of raw_data, in ONNX order ----------------------- */

/* The encoder hands every initializer to k2onnx__init_bytes with where its bytes go; how they
   are made (streamed from the file, transposed, gates reordered) stays in this section. */
typedef void (*k2onnx__emit_fn)(void *sink, const void *data, size_t size);
typedef void (*k2onnx__payload_fn)(void *user, const k2onnx__initializer *t, k2onnx__emit_fn emit, void *sink);

/* The buffer weight blocks are reordered in. */
typedef struct k2onnx__scratch {
    unsigned char *data;
    size_t size;              /* a multiple of 4 */
} k2onnx__scratch;

typedef struct k2onnx__payload_out {
    unsigned char *scratch;
    size_t scratch_size;
    k2onnx__emit_fn emit;
    void *sink;
} k2onnx__payload_out;

/* Elements [i, i + count) of a file array, `stride` apart, as little-endian float32 bytes. A
   little-endian float32 source is copied byte for byte (the same bytes on any host); other
   widths and byte orders are converted. */
static void k2onnx__le32_elements(unsigned char *out, const k2onnx__h5array *a, uint64_t i, size_t count, uint64_t stride)
{
    size_t k;
    if (a->elem_size == 4 && !a->big_endian) {
        const unsigned char *p = a->data + i * 4;
        if (stride == 1) {
            memcpy(out, p, count * 4);
            return;
        }
        for (k = 0; k < count; k++, p += stride * 4) memcpy(out + 4 * k, p, 4);
        return;
    }
    for (k = 0; k < count; k++) k2onnx__store_le32(out + 4 * k, k2onnx__f32_bits(k2onnx__h5array_get(a, i + k * stride)));
}

/* A part stored as is: rows x cols in file order. Little-endian float32 goes out straight from
   the input bytes, anything else through the scratch buffer. */
static void k2onnx__plain_part_bytes(const k2onnx__payload_out *out, const k2onnx__matrix_part *t)
{
    const k2onnx__h5array *s = &t->src;
    uint64_t total = t->rows * t->cols, at, r;
    size_t per = out->scratch_size / 4;
    if (t->stride && t->stride != t->cols) {
        /* A column block of a wider matrix: row by row. */
        for (r = 0; r < t->rows; r++)
            for (at = 0; at < t->cols; at += per) {
                size_t n = t->cols - at < per ? (size_t)(t->cols - at) : per;
                k2onnx__le32_elements(out->scratch, s, r * t->stride + at, n, 1);
                out->emit(out->sink, out->scratch, n * 4);
            }
        return;
    }
    if (s->elem_size == 4 && !s->big_endian) {
        out->emit(out->sink, s->data, (size_t)(total * 4));
        return;
    }
    for (at = 0; at < total; at += per) {
        size_t n = total - at < per ? (size_t)(total - at) : per;
        k2onnx__le32_elements(out->scratch, s, at, n, 1);
        out->emit(out->sink, out->scratch, n * 4);
    }
}

#ifdef K2ONNX__SSE2
/* How many source rows ahead the transposition asks for its next cache lines. Each row is read in
   pieces of one band's width, too short for the hardware prefetcher to follow, so without this
   every piece waits on memory. */
#define K2ONNX__TRANSPOSE_AHEAD 16

/* The cache line at p in each of four rows `row_bytes` apart, wanted soon. */
static void k2onnx__prefetch_4_rows(const unsigned char *p, size_t row_bytes)
{
    _mm_prefetch((const char *)p, _MM_HINT_T0);
    _mm_prefetch((const char *)(p + row_bytes), _MM_HINT_T0);
    _mm_prefetch((const char *)(p + 2 * row_bytes), _MM_HINT_T0);
    _mm_prefetch((const char *)(p + 3 * row_bytes), _MM_HINT_T0);
}
#endif

/* dst[k * rows + i] = src[i * stride + k] for i < rows, k < cols, on 4-byte values kept as they
   are (the bytes do not change, whatever the host's byte order). Four source rows at a time,
   each read front to back; a column's four values go out as one run of 16 bytes, and the next
   four rows fill the rest of the same cache lines. Every value moves as one 4-byte copy: values
   gathered into a small array and copied out of it as a block are read back wider than they
   were stored, which defeats store-to-load forwarding (8 x 8 tiles built that way ran at half
   this speed on the 100 MB benchmark model). */
static void k2onnx__transpose_le32(unsigned char *dst, const unsigned char *src, size_t rows, size_t cols, size_t stride)
{
    size_t i = 0, k;
    for (; i + 4 <= rows; i += 4) {
        const unsigned char *s = src + i * stride * 4;
        unsigned char *d = dst + i * 4;
        k = 0;
#ifdef K2ONNX__SSE2
        /* 4 x 4 blocks turned in registers: four 16-byte loads and stores instead of 16 each. */
        for (; k + 4 <= cols; k += 4) {
            __m128i r0 = _mm_loadu_si128((const __m128i *)(s + k * 4)), r1 = _mm_loadu_si128((const __m128i *)(s + (stride + k) * 4));
            __m128i r2 = _mm_loadu_si128((const __m128i *)(s + (2 * stride + k) * 4)), r3 = _mm_loadu_si128((const __m128i *)(s + (3 * stride + k) * 4));
            __m128i lo01 = _mm_unpacklo_epi32(r0, r1), lo23 = _mm_unpacklo_epi32(r2, r3);
            __m128i hi01 = _mm_unpackhi_epi32(r0, r1), hi23 = _mm_unpackhi_epi32(r2, r3);
            unsigned char *o = d + k * rows * 4;
            if ((k & 15) == 0 && i + K2ONNX__TRANSPOSE_AHEAD + 4 <= rows)
                k2onnx__prefetch_4_rows(s + (K2ONNX__TRANSPOSE_AHEAD * stride + k) * 4, stride * 4);
            _mm_storeu_si128((__m128i *)o, _mm_unpacklo_epi64(lo01, lo23));
            _mm_storeu_si128((__m128i *)(o + rows * 4), _mm_unpackhi_epi64(lo01, lo23));
            _mm_storeu_si128((__m128i *)(o + 2 * rows * 4), _mm_unpacklo_epi64(hi01, hi23));
            _mm_storeu_si128((__m128i *)(o + 3 * rows * 4), _mm_unpackhi_epi64(hi01, hi23));
        }
#endif
        for (; k < cols; k++) {
            unsigned char *o = d + k * rows * 4;
            memcpy(o, s + k * 4, 4);
            memcpy(o + 4, s + (stride + k) * 4, 4);
            memcpy(o + 8, s + (2 * stride + k) * 4, 4);
            memcpy(o + 12, s + (3 * stride + k) * 4, 4);
        }
    }
    for (; i < rows; i++)
        for (k = 0; k < cols; k++) memcpy(dst + (k * rows + i) * 4, src + (i * stride + k) * 4, 4);
}

/* A part written transposed, its column blocks ("gates") in the order perm gives: output row
   g * H + h is source column perm[g] * H + h. Bands of output rows are gathered in the scratch
   buffer by walking the source rows once per band (short contiguous reads, writes that stay in
   the buffer), then written as one block. */
static void k2onnx__transposed_part_bytes(const k2onnx__payload_out *out, const k2onnx__matrix_part *t)
{
    const k2onnx__h5array *s = &t->src;
    uint64_t H = t->cols / t->gates, rows = t->rows, g, h0, i, k;
    size_t per = out->scratch_size / 4;
    for (g = 0; g < t->gates; g++) {
        uint64_t col0 = t->perm[g] * H;
        if (rows <= per) {
            uint64_t band = per / rows;
            for (h0 = 0; h0 < H; h0 += band) {
                uint64_t nb = H - h0 < band ? H - h0 : band;
                if (s->elem_size == 4 && !s->big_endian) {
                    /* The common case: raw 4-byte values, four source rows at a time. */
                    k2onnx__transpose_le32(out->scratch, s->data + (col0 + h0) * 4, (size_t)rows, (size_t)nb, (size_t)t->cols);
                    out->emit(out->sink, out->scratch, (size_t)(nb * rows * 4));
                    continue;
                }
                for (i = 0; i < rows; i++) {
                    unsigned char tmp[64 * 4];
                    for (k = 0; k < nb; k += 64) {
                        size_t n = nb - k < 64 ? (size_t)(nb - k) : 64, j;
                        k2onnx__le32_elements(tmp, s, i * t->cols + col0 + h0 + k, n, 1);
                        for (j = 0; j < n; j++) memcpy(out->scratch + 4 * ((k + j) * rows + i), tmp + 4 * j, 4);
                    }
                }
                out->emit(out->sink, out->scratch, (size_t)(nb * rows * 4));
            }
        } else {
            /* Source columns longer than the buffer: one output row in pieces. */
            for (h0 = 0; h0 < H; h0++)
                for (i = 0; i < rows; i += per) {
                    size_t n = rows - i < per ? (size_t)(rows - i) : per;
                    k2onnx__le32_elements(out->scratch, s, i * t->cols + col0 + h0, n, t->cols);
                    out->emit(out->sink, out->scratch, n * 4);
                }
        }
    }
}

/* The buffer weights are reordered in: up to 1 MiB (so that a band of output rows stays in the
   cache), smaller when the model's largest initializer is. */
static size_t k2onnx__scratch_size(const k2onnx__graph *g)
{
    uint64_t largest = 64;
    size_t i;
    for (i = 0; i < g->ninits; i++)
        if (g->inits[i]->count * 4 > largest) largest = g->inits[i]->count * 4;
    return largest < ((uint64_t)1 << 20) ? (size_t)(largest + 3) / 4 * 4 : (size_t)1 << 20;
}

/* k2onnx__payload_fn: an initializer's raw_data, little-endian on any host. `user` is the
   k2onnx__scratch to reorder in. */
static void k2onnx__init_bytes(void *user, const k2onnx__initializer *t, k2onnx__emit_fn emit, void *sink)
{
    const k2onnx__scratch *sc = (const k2onnx__scratch *)user;
    k2onnx__payload_out out;
    uint64_t i;
    unsigned p;
    out.scratch = sc->data;
    out.scratch_size = sc->size;
    out.emit = emit;
    out.sink = sink;
    if (t->kind == K2ONNX__INIT_MATRIX) {
        /* the concatenation of the parts */
        for (p = 0; p < t->nparts; p++) {
            if (t->parts[p].transpose) k2onnx__transposed_part_bytes(&out, &t->parts[p]);
            else k2onnx__plain_part_bytes(&out, &t->parts[p]);
        }
    } else if (t->kind == K2ONNX__INIT_F32) {
        size_t per = sc->size / 4, k;
        for (i = 0; i < t->count; i += per) {
            size_t n = t->count - i < per ? (size_t)(t->count - i) : per;
            for (k = 0; k < n; k++) k2onnx__store_le32(sc->data + 4 * k, k2onnx__f32_bits(t->f32[i + k]));
            emit(sink, sc->data, n * 4);
        }
    } else {
        for (i = 0; i < t->count; i++) {
            unsigned char b[8];
            uint64_t u = (uint64_t)t->i64[i];
            k2onnx__store_le32(b, (uint32_t)u);
            k2onnx__store_le32(b + 4, (uint32_t)(u >> 32));
            emit(sink, b, 8);
        }
    }
}

/* --- ONNX operators with their opset and runtime variants ------------------------------- */

/* A float scalar initializer; the value is copied into the arena. */
static const char *k2onnx__const_f32(k2onnx__converter *cv, const char *what, float value)
{
    float *v = (float *)k2onnx__alloc(cv->ctx, sizeof *v);
    if (!v) return NULL;
    *v = value;
    return k2onnx__init_f32(cv, what, v, 0, NULL);
}

/* min(max(x, lo), hi): Clip takes its bounds as attributes before opset 11, as inputs since.
   With --unroll it is Relu(x - lo) - Relu(x - hi) + lo, which every runtime has (libonnx runs
   Clip only from opset 11, and only with bounds named "min" and "max"). */
static const char *k2onnx__clip(k2onnx__converter *cv, const char *x, float lo, float hi, const char *what)
{
    k2onnx__node *n;
    const char *l = NULL, *h = NULL;
    if (K2ONNX__UNROLLS(cv->ctx)) {
        const char *lc = k2onnx__const_f32(cv, k2onnx__sprintf(cv->ctx, "%s_min", what), lo);
        const char *hc = k2onnx__const_f32(cv, k2onnx__sprintf(cv->ctx, "%s_max", what), hi);
        const char *dl = lc ? k2onnx__op2(cv, "Sub", x, lc, k2onnx__sprintf(cv->ctx, "%s_above_min", what)) : NULL;
        const char *dh = hc ? k2onnx__op2(cv, "Sub", x, hc, k2onnx__sprintf(cv->ctx, "%s_above_max", what)) : NULL;
        const char *rl = dl ? k2onnx__op1(cv, "Relu", dl, k2onnx__sprintf(cv->ctx, "%s_from_min", what), NULL) : NULL;
        const char *rh = dh ? k2onnx__op1(cv, "Relu", dh, k2onnx__sprintf(cv->ctx, "%s_past_max", what), NULL) : NULL;
        const char *d = rl && rh ? k2onnx__op2(cv, "Sub", rl, rh, k2onnx__sprintf(cv->ctx, "%s_span", what)) : NULL;
        return d ? k2onnx__op2(cv, "Add", d, lc, what) : NULL;
    }
    if (cv->opset >= 11) {
        l = k2onnx__const_f32(cv, k2onnx__sprintf(cv->ctx, "%s_min", what), lo);
        h = k2onnx__const_f32(cv, k2onnx__sprintf(cv->ctx, "%s_max", what), hi);
        if (!l || !h) return NULL;
    }
    if (!(n = k2onnx__add_node(cv, "Clip", l ? 3 : 1, 1))) return NULL;
    n->inputs[0] = x;
    if (l) {
        n->inputs[1] = l;
        n->inputs[2] = h;
    } else {
        k2onnx__attr_float(cv, n, "min", lo);
        k2onnx__attr_float(cv, n, "max", hi);
    }
    n->outputs[0] = k2onnx__vname(cv, what);
    n->name = n->outputs[0];
    return n->outputs[0];
}

/* A scalar int64 initializer, e.g. the direction index for Gather. */
static const char *k2onnx__const_i64(k2onnx__converter *cv, const char *what, int64_t v)
{
    const char *name = k2onnx__vname(cv, what);
    int64_t *copy = (int64_t *)k2onnx__alloc(cv->ctx, sizeof *copy);
    k2onnx__initializer *t;
    if (!name || !copy) return NULL;
    *copy = v;
    t = k2onnx__add_init(cv, name, K2ONNX__INT64, 0, NULL);
    if (!t) return NULL;
    t->kind = K2ONNX__INIT_I64;
    t->i64 = copy;
    return t->name;
}

/* Softmax over any axis: opset 13 takes the axis as is; before, Softmax flattens from its axis on,
   so a middle axis is moved last around it. */
static const char *k2onnx__softmax(k2onnx__converter *cv, const char *op, const char *x, unsigned rank, int64_t axis, const char *what)
{
    k2onnx__node *n;
    int64_t perm[K2ONNX__MAX_RANK];
    unsigned i;
    const char *t, *y;
    if (cv->opset >= 13 || axis == (int64_t)rank - 1) {
        if ((y = k2onnx__op1(cv, op, x, what, &n)) != NULL) k2onnx__attr_int(cv, n, "axis", axis);
        return y;
    }
    for (i = 0; i < rank; i++) perm[i] = i;
    perm[axis] = rank - 1;
    perm[rank - 1] = axis;
    t = k2onnx__transpose(cv, x, perm, rank, k2onnx__sprintf(cv->ctx, "%s_axis_last", what));
    y = t ? k2onnx__op1(cv, op, t, k2onnx__sprintf(cv->ctx, "%s_moved", what), &n) : NULL;
    if (!y) return NULL;
    k2onnx__attr_int(cv, n, "axis", (int64_t)rank - 1);
    return k2onnx__transpose(cv, y, perm, rank, what);
}

#ifndef K2ONNX_ONLY_RECURRENT
/* A reduction over `axis` of a rank-`rank` tensor that drops the axis. With --unroll it keeps the
   axis and a Reshape drops it: onnx2c drops every axis of size 1 from keepdims=0 reductions. */
static const char *k2onnx__reduce_drop(k2onnx__converter *cv, const char *op, const char *x, unsigned rank, int64_t axis, const char *what)
{
    int64_t shape[K2ONNX__MAX_RANK];
    unsigned i;
    const char *kept, *sh;
    if (axis < 0) axis += rank;
    if (!K2ONNX__UNROLLS(cv->ctx) || rank < 2 || axis < (int64_t)rank - 2) return k2onnx__reduce(cv, op, x, axis, 0, what);
    for (i = 0; i + 1 < rank; i++) shape[i] = (int64_t)i < axis ? 0 : -1; /* 0 copies a dimension, -1 takes the rest */
    kept = k2onnx__reduce(cv, op, x, axis, 1, k2onnx__sprintf(cv->ctx, "%s_kept", what));
    sh = k2onnx__init_i64(cv, k2onnx__sprintf(cv->ctx, "%s_shape", what), shape, rank - 1);
    return kept && sh ? k2onnx__op2(cv, "Reshape", kept, sh, what) : NULL;
}

/* x[start:end] along one axis (end may be INT64_MAX or negative): attributes before opset 10. */
static const char *k2onnx__slice(k2onnx__converter *cv, const char *x, int64_t axis, int64_t start, int64_t end, const char *what)
{
    k2onnx__node *n;
    if (cv->opset < 10) {
        if (!k2onnx__op1(cv, "Slice", x, what, &n) || !k2onnx__attr_ints(cv, n, "starts", &start, 1) || !k2onnx__attr_ints(cv, n, "ends", &end, 1) ||
            !k2onnx__attr_ints(cv, n, "axes", &axis, 1))
            return NULL;
    } else {
        const char *s = k2onnx__init_i64(cv, k2onnx__sprintf(cv->ctx, "%s_starts", what), &start, 1);
        const char *e = k2onnx__init_i64(cv, k2onnx__sprintf(cv->ctx, "%s_ends", what), &end, 1);
        const char *a = k2onnx__init_i64(cv, k2onnx__sprintf(cv->ctx, "%s_axes", what), &axis, 1);
        if (!s || !e || !a || !(n = k2onnx__add_node(cv, "Slice", 4, 1))) return NULL;
        n->inputs[0] = x;
        n->inputs[1] = s;
        n->inputs[2] = e;
        n->inputs[3] = a;
        n->outputs[0] = n->name = k2onnx__vname(cv, what);
    }
    return n->outputs[0];
}
#endif

/* ============================================================================================
   7. Layer mappings
   One function per Keras layer class, found through the K2ONNX__LAYERS table. Each receives the
   call's input values and produces its output values.
   ============================================================================================ */

typedef int (*k2onnx__layer_fn)(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout);

static int k2onnx__outputs(k2onnx__converter *cv, k2onnx__kvalue **out, size_t *nout, size_t n)
{
    *out = (k2onnx__kvalue *)k2onnx__alloc_array(cv->ctx, n, sizeof **out);
    *nout = n;
    return *out != NULL;
}

static int k2onnx__expect_inputs(k2onnx__converter *cv, size_t nin, size_t lo, size_t hi)
{
    if (nin < lo || nin > hi) {
        if (lo == hi) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "expects %d input(s), got %d", (int)lo, (int)nin);
        return k2onnx__lfail(cv, k2onnx_result_invalid_model, "expects %d to %d inputs, got %d", (int)lo, (int)hi, (int)nin);
    }
    return 1;
}

#ifndef K2ONNX_ONLY_RECURRENT
#define K2ONNX__KEYWORD_ONLY ((size_t)-1)

/* The input passed under keyword `key`, else the positional input number `pos`
   (none when pos is K2ONNX__KEYWORD_ONLY), else NULL. */
static const k2onnx__kvalue *k2onnx__call_arg(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, const char *key, size_t pos)
{
    const k2onnx__kcall *call = &cv->layer->calls[cv->node];
    size_t i, at = 0;
    for (i = 0; i < nin && i < call->ninputs; i++)
        if (call->inputs[i].kwarg && strcmp(call->inputs[i].kwarg, key) == 0) return &in[i];
    for (i = 0; i < nin && i < call->ninputs; i++)
        if (!call->inputs[i].kwarg && at++ == pos) return &in[i];
    return NULL;
}
#endif

/* --- core layers: InputLayer ------------------------------------------------------------------ */

static void k2onnx__fix_dim(k2onnx__kvalue *v, unsigned axis, size_t size)
{
    v->dims[axis] = (int64_t)size;
    v->params[axis] = NULL;
}

/* True when a layer reads the input layer being converted directly: float token ids [batch,
   time] (Keras' default input dtype) are sequences too. */
static int k2onnx__feeds_embedding(const k2onnx__converter *cv)
{
    size_t me = (size_t)(cv->layer - cv->m->layers), l, c, i;
    for (l = 0; l < cv->m->nlayers; l++) {
        const k2onnx__klayer *L = &cv->m->layers[l];
        if (strcmp(L->cls, "Embedding") != 0) continue;
        for (c = 0; c < L->ncalls; c++)
            for (i = 0; i < L->calls[c].ninputs; i++)
                if (L->calls[c].inputs[i].layer == me) return 1;
    }
    return 0;
}

/* The shape options: a whole shape given for this input by name, else the batch size and the
   time axis of a sequence (rank 3 and more, or integer token ids [batch, time]). */
static int k2onnx__fix_input_shape(k2onnx__converter *cv, k2onnx__kvalue *v)
{
    const k2onnx__ctx *ctx = cv->ctx;
    size_t i;
    unsigned k;
    for (i = 0; i < ctx->opt.input_shapes_count; i++) {
        const k2onnx_input_shape *is = &ctx->opt.input_shapes[i];
        if (strcmp(is->name, v->name) != 0) continue;
        if (is->rank != v->rank)
            return k2onnx__lfail(cv, k2onnx_result_invalid_argument, "the input shape given has %u dimensions, the input has %u",
                                 (unsigned long long)is->rank, (unsigned long long)v->rank);
        for (k = 0; k < v->rank; k++) {
            if (v->dims[k] >= 0 && k > 0 && (k != 1 || (v->rank < 3 && v->elem == K2ONNX__FLOAT)) && (size_t)v->dims[k] != is->dims[k])
                return k2onnx__lfail(cv, k2onnx_result_invalid_argument, "the input shape given sets dimension %u to %u, the model fixes it to %u",
                                     (unsigned long long)k, (unsigned long long)is->dims[k], (unsigned long long)v->dims[k]);
            k2onnx__fix_dim(v, k, is->dims[k]);
        }
        return 1;
    }
    if (ctx->opt.batch) k2onnx__fix_dim(v, 0, ctx->opt.batch);
    if (ctx->opt.steps && (v->rank >= 3 || (v->rank == 2 && (v->elem != K2ONNX__FLOAT || k2onnx__feeds_embedding(cv)))))
        k2onnx__fix_dim(v, 1, ctx->opt.steps);
    return 1;
}

/* The input of a Sequential model whose first layer gives input_dim (and input_length) rather
   than batch_input_shape, as Keras 1 allowed: [batch, input_length, input_dim] for layers over
   sequences, [batch, input_dim] for Dense, [batch, input_length] for Embedding. */
static int k2onnx__input_dim_shape(k2onnx__converter *cv, k2onnx__kvalue *v)
{
    const k2onnx__json *cfg = cv->layer->config, *len = k2onnx__jget(cfg, "input_length");
    const k2onnx__klayer *first = cv->m->nlayers > 1 && cv->m->layers[1].config == cfg ? &cv->m->layers[1] : NULL;
    long long d = -1;
    int64_t dim;
    if (!first || !k2onnx__jget(cfg, "input_dim"))
        return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "no batch_input_shape/batch_shape");
#ifdef K2ONNX_NO_KERAS1
    (void)len, (void)d, (void)dim, (void)v;
    return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "Keras 1 input_dim configs are left out of this build (K2ONNX_NO_KERAS1)");
#else
    if (len && len->type != K2ONNX__JNULL && !k2onnx__jint(len, 1, (long long)1 << 40, &d))
        return k2onnx__lfail(cv, k2onnx_result_invalid_model, "'input_length' is not a positive integer or null");
    v->dims[0] = -1;
    v->dims[1] = d;
    v->rank = 2;
    if (strcmp(first->cls, "Embedding") == 0) return 1;
    if (!k2onnx__cfg_positive_int(k2onnx__cfg_of(cv, cfg), "input_dim", NULL, &dim)) return 0;
    if (len) v->dims[v->rank++] = dim;
    else v->dims[1] = dim;
    return 1;
#endif
}

static int k2onnx__map_input(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    const k2onnx__json *cfg = cv->layer->config;
    const k2onnx__json *shape = k2onnx__jget(cfg, "batch_input_shape");
    const char *dtype = k2onnx__jstr(k2onnx__jget(cfg, k2onnx__jget(cfg, "dtype") ? "dtype" : "input_dtype")); /* Keras 1: input_dtype */
    k2onnx__kvalue v;
    size_t i;
    int io = 0; /* float64 or float16 at the edges */
    (void)in;
    if (!k2onnx__expect_inputs(cv, nin, 0, 0)) return 0;
    memset(&v, 0, sizeof v);
    if (!shape) shape = k2onnx__jget(cfg, "batch_shape");
    if (!shape) {
        if (!k2onnx__input_dim_shape(cv, &v)) return 0;
    } else if (!k2onnx__jis_array(shape) || shape->n < 1) {
        return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "no batch_input_shape/batch_shape");
    } else if (shape->n > K2ONNX__MAX_RANK) {
        return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "input of rank %d", (int)shape->n);
    } else {
        v.rank = (unsigned)shape->n;
        for (i = 0; i < shape->n; i++) {
            long long d;
            if (shape->items[i].type == K2ONNX__JNULL) {
                v.dims[i] = -1;
            } else if (k2onnx__jint(&shape->items[i], 1, (long long)1 << 40, &d)) {
                v.dims[i] = d;
            } else {
                return k2onnx__lfail(cv, k2onnx_result_invalid_model, "batch_input_shape entry %d is not a positive integer or null", (int)i);
            }
        }
    }
    if (!dtype) dtype = k2onnx__jstr(k2onnx__jget(k2onnx__jget(k2onnx__jget(cfg, "dtype"), "config"), "name"));
    v.elem = K2ONNX__FLOAT;
    if (dtype) {
        /* Integer inputs feed Embedding, which casts them to int64. float64 and float16 models
           (keras.backend.set_floatx) compute in float32 inside: their inputs are cast on the way
           in and their outputs on the way out. */
        static const struct { const char *name; int elem; } types[] = {
            {"float32", K2ONNX__FLOAT}, {"float64", K2ONNX__DOUBLE}, {"float16", K2ONNX__FLOAT16}, {"int32", K2ONNX__INT32},
            {"int64", K2ONNX__INT64}, {"uint8", 2}, {"int8", 3}, {"uint16", 4}, {"int16", 5}};
        size_t k;
        for (k = 0; k < sizeof types / sizeof types[0] && strcmp(dtype, types[k].name) != 0; k++) {}
        if (k == sizeof types / sizeof types[0])
            return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "input dtype '%s' is not supported yet (floats or integers)", dtype);
        if (k == 1 || k == 2) io = cv->io_elem = types[k].elem;
        else v.elem = types[k].elem;
    }
    v.name = cv->layer->name;
    for (i = 0; i < v.rank; i++)
        if (v.dims[i] < 0) {
            v.params[i] = i == 0 ? "N" : k2onnx__sprintf(cv->ctx, "%s_dim%u", cv->layer->name, (unsigned long long)i);
            if (!v.params[i]) return 0;
        }
    if (!k2onnx__fix_input_shape(cv, &v)) return 0;
    if (io) v.elem = io;
    if (!k2onnx__add_graph_value(cv, &cv->g->inputs, &cv->g->ninputs, &cv->g->inputs_cap, &v)) return 0;
    if (!k2onnx__outputs(cv, out, nout, 1)) return 0;
    (*out)[0] = v;
    if (io) {
        k2onnx__node *n;
        const char *y = k2onnx__op1(cv, "Cast", v.name, "as_float32", &n);
        if (!y) return 0;
        k2onnx__attr_int(cv, n, "to", K2ONNX__FLOAT);
        (*out)[0].name = y;
        (*out)[0].elem = K2ONNX__FLOAT;
    }
    return 1;
}

/* --- activations: those written out of several ops, the element-wise ones, Activation --------- */

#ifndef K2ONNX_ONLY_RECURRENT
/* erf(z) of a non-negative z before opset 9, which has no Erf: 1 - t (a1 + t (a2 + ... + t a5))
   exp(-z^2), t = 1 / (1 + p z) (Abramowitz and Stegun 7.1.26, error below 1.5e-7). Its values
   are named after `pre`. */
static const char *k2onnx__erf_of_nonnegative(k2onnx__converter *cv, const char *z, const char *one, const char *pre)
{
    static const float a[5] = {0.254829592f, -0.284496736f, 1.421413741f, -1.453152027f, 1.061405429f};
    const char *pz = z ? k2onnx__op2(cv, "Mul", z, k2onnx__const_f32(cv, k2onnx__sprintf(cv->ctx, "%s_p", pre), 0.3275911f), k2onnx__sprintf(cv->ctx, "%s_pz", pre)) : NULL;
    const char *den = pz && one ? k2onnx__op2(cv, "Add", pz, one, k2onnx__sprintf(cv->ctx, "%s_t_denominator", pre)) : NULL;
    const char *t = den ? k2onnx__op2(cv, "Div", one, den, k2onnx__sprintf(cv->ctx, "%s_t", pre)) : NULL;
    const char *poly = t ? k2onnx__op2(cv, "Mul", t, k2onnx__const_f32(cv, k2onnx__sprintf(cv->ctx, "%s_a5", pre), a[4]), k2onnx__sprintf(cv->ctx, "%s_poly_4", pre)) : NULL;
    const char *z2, *e, *erfc;
    int i;
    for (i = 3; i >= 0 && poly; i--) {
        const char *sum = k2onnx__op2(cv, "Add", poly, k2onnx__const_f32(cv, k2onnx__sprintf(cv->ctx, "%s_a%u", pre, (unsigned long long)(i + 1)), a[i]),
                                      k2onnx__sprintf(cv->ctx, "%s_poly_%u_sum", pre, (unsigned long long)i));
        poly = sum ? k2onnx__op2(cv, "Mul", t, sum, k2onnx__sprintf(cv->ctx, "%s_poly_%u", pre, (unsigned long long)i)) : NULL;
    }
    z2 = z ? k2onnx__op2(cv, "Mul", z, z, k2onnx__sprintf(cv->ctx, "%s_z_squared", pre)) : NULL;
    e = z2 ? k2onnx__op1(cv, "Exp", k2onnx__op1(cv, "Neg", z2, k2onnx__sprintf(cv->ctx, "%s_minus_z_squared", pre), NULL), k2onnx__sprintf(cv->ctx, "%s_exp", pre), NULL) : NULL;
    erfc = poly && e ? k2onnx__op2(cv, "Mul", poly, e, k2onnx__sprintf(cv->ctx, "%s_erfc", pre)) : NULL;
    return erfc ? k2onnx__op2(cv, "Sub", one, erfc, k2onnx__sprintf(cv->ctx, "%s_erf", pre)) : NULL;
}

/* Exact gelu before opset 9: x/2 + |x|/2 * erf(|x| / sqrt(2)). */
static const char *k2onnx__gelu_without_erf(k2onnx__converter *cv, const char *x)
{
    const char *one = k2onnx__const_f32(cv, "gelu_one", 1.0f), *half = k2onnx__const_f32(cv, "gelu_half", 0.5f);
    const char *ax = k2onnx__op1(cv, "Abs", x, "gelu_abs", NULL);
    const char *z = ax ? k2onnx__op2(cv, "Mul", ax, k2onnx__const_f32(cv, "gelu_rsqrt2", 0.70710678118654752f), "gelu_z") : NULL;
    const char *erf = k2onnx__erf_of_nonnegative(cv, z, one, "gelu"), *xe, *hx, *hxe;
    xe = erf ? k2onnx__op2(cv, "Mul", ax, erf, "gelu_abs_erf") : NULL;
    hx = half ? k2onnx__op2(cv, "Mul", x, half, "gelu_half_x") : NULL;
    hxe = xe && half ? k2onnx__op2(cv, "Mul", xe, half, "gelu_half_abs_erf") : NULL;
    return hx && hxe ? k2onnx__op2(cv, "Add", hx, hxe, "gelu") : NULL;
}
#endif

#ifndef K2ONNX_ONLY_RECURRENT
/* Half of the last axis (C of them) as a product with a 0/1 selection matrix, for runtimes that
   lack a Slice of the newer opsets (libonnx). */
static const char *k2onnx__glu_half(k2onnx__converter *cv, const char *x, int64_t C, int second, const char *what)
{
    int64_t h = C / 2, i, dims[2];
    float *m = (float *)k2onnx__alloc_array(cv->ctx, (size_t)(C * h), sizeof *m);
    const char *w;
    if (!m) return NULL;
    for (i = 0; i < C * h; i++) m[i] = 0.0f;
    for (i = 0; i < h; i++) m[(i + (second ? h : 0)) * h + i] = 1.0f;
    dims[0] = C;
    dims[1] = h;
    w = k2onnx__init_f32(cv, k2onnx__sprintf(cv->ctx, "%s_selection", what), m, 2, dims);
    return w ? k2onnx__op2(cv, "MatMul", x, w, what) : NULL;
}
#endif

#ifndef K2ONNX_ONLY_RECURRENT
/* 1 where boolean b holds (0 where it holds with `invert`), as floats: a Where from opset 9. A
   Cast would do, but onnx2c's cast folding frees a Cast output that more than one node reads. */
static const char *k2onnx__float_of(k2onnx__converter *cv, const char *b, int invert, const char *what)
{
    const char *one = k2onnx__const_f32(cv, k2onnx__sprintf(cv->ctx, "%s_one", what), 1.0f), *f;
    const char *zero = k2onnx__const_f32(cv, k2onnx__sprintf(cv->ctx, "%s_zero", what), 0.0f);
    k2onnx__node *n;
    if (!b || !one || !zero) return NULL;
    if (cv->opset >= 9) {
        if (!(n = k2onnx__add_node(cv, "Where", 3, 1))) return NULL;
        n->inputs[0] = b;
        n->inputs[1] = invert ? zero : one;
        n->inputs[2] = invert ? one : zero;
        n->outputs[0] = k2onnx__vname(cv, what);
        n->name = n->outputs[0];
        return n->outputs[0];
    }
    if (!(f = k2onnx__op1(cv, "Cast", b, invert ? k2onnx__sprintf(cv->ctx, "%s_inverse", what) : what, &n))) return NULL;
    k2onnx__attr_int(cv, n, "to", K2ONNX__FLOAT);
    return invert ? k2onnx__op2(cv, "Sub", one, f, what) : f;
}

/* sparsemax over the last axis (D) as Keras 3 computes it, with pairwise comparisons instead of
   a sort (no ONNX sort reaches every opset and consumer). Keras sorts z descending into z_(1..D),
   keeps the first K positions where 1 + k z_(k) > z_(1) + ... + z_(k), and takes
   tau = (sum over k <= K of (z_(1) + ... + z_(k)) - 1) / K, y = max(z - tau, 0). Element j sits at
   sorted positions q_j + 1 .. r_j (q_j of the others are greater, r_j greater or equal, itself
   included); tied elements pass or fail together, and over its position z_j adds, on average,
   (K + 1 - (q_j + r_j + 1) / 2) times to that sum of prefix sums. Worked in columns [..., D, 1]. */
static const char *k2onnx__sparsemax(k2onnx__converter *cv, const char *z, unsigned rank)
{
    const char *one = k2onnx__const_f32(cv, "sparsemax_one", 1.0f), *half = k2onnx__const_f32(cv, "sparsemax_half", 0.5f);
    const char *zj, *zk, *ge, *gt, *r, *q, *s, *sup, *K, *w, *t, *tau, *y;
    if (!one || !half) return NULL;
    zj = k2onnx__squeeze(cv, "Unsqueeze", z, rank, "sparsemax_column");      /* [..., D, 1]: z_j */
    zk = zj ? k2onnx__squeeze(cv, "Unsqueeze", z, rank - 1, "sparsemax_row") : NULL; /* [..., 1, D]: z_k */
    ge = zk ? k2onnx__float_of(cv, k2onnx__op2(cv, "Less", zk, zj, "sparsemax_less"), 1, "sparsemax_at_least") : NULL;
    gt = ge ? k2onnx__float_of(cv, k2onnx__op2(cv, "Greater", zk, zj, "sparsemax_greater_b"), 0, "sparsemax_greater") : NULL;
    r = ge ? k2onnx__reduce(cv, "ReduceSum", ge, rank, 1, "sparsemax_r") : NULL;
    q = r ? k2onnx__reduce(cv, "ReduceSum", gt, rank, 1, "sparsemax_q") : NULL;
    s = q ? k2onnx__op2(cv, "Mul", ge, zk, "sparsemax_at_least_z") : NULL;
    s = s ? k2onnx__reduce(cv, "ReduceSum", s, rank, 1, "sparsemax_s") : NULL;
    sup = s ? k2onnx__op2(cv, "Add", k2onnx__op2(cv, "Mul", r, zj, "sparsemax_rz"), one, "sparsemax_rz1") : NULL;
    sup = sup ? k2onnx__float_of(cv, k2onnx__op2(cv, "Greater", sup, s, "sparsemax_in"), 0, "sparsemax_support") : NULL;
    K = sup ? k2onnx__reduce(cv, "ReduceSum", sup, rank - 1, 1, "sparsemax_k") : NULL;
    w = K ? k2onnx__op2(cv, "Add", k2onnx__op2(cv, "Add", q, r, "sparsemax_qr"), one, "sparsemax_qr1") : NULL;
    w = w ? k2onnx__op2(cv, "Mul", w, half, "sparsemax_mid") : NULL;
    w = w ? k2onnx__op2(cv, "Sub", k2onnx__op2(cv, "Add", K, one, "sparsemax_k1"), w, "sparsemax_weight") : NULL;
    t = w ? k2onnx__op2(cv, "Mul", k2onnx__op2(cv, "Mul", sup, zj, "sparsemax_kept"), w, "sparsemax_weighted") : NULL;
    t = t ? k2onnx__reduce(cv, "ReduceSum", t, rank - 1, 1, "sparsemax_t") : NULL;
    tau = t ? k2onnx__op2(cv, "Div", k2onnx__op2(cv, "Sub", t, one, "sparsemax_t1"), K, "sparsemax_tau") : NULL;
    y = tau ? k2onnx__op1(cv, "Relu", k2onnx__op2(cv, "Sub", zj, tau, "sparsemax_shifted"), "sparsemax_column_out", NULL) : NULL;
    return y ? k2onnx__squeeze(cv, "Squeeze", y, rank, "sparsemax") : NULL;
}
#endif

/* The activations no fused recurrent op has (gelu, mish, ...) and the piecewise ones Keras 3
   added, with their default parameters (a name in a config cannot carry others). Each takes y,
   a copy of the input value, and returns the output's name (NULL on failure); glu halves the
   last axis, so it also sets y's shape. */
typedef const char *(*k2onnx__act_fn)(k2onnx__converter *cv, k2onnx__kvalue *y);

#ifndef K2ONNX_ONLY_RECURRENT
static const char *k2onnx__act_gelu(k2onnx__converter *cv, k2onnx__kvalue *y)
{
    /* The exact form, Keras' default: x/2 * (1 + erf(x / sqrt(2))); Erf came with opset 9. */
    const char *c, *half, *one, *t, *e, *p;
    if (cv->opset < 9) return k2onnx__gelu_without_erf(cv, y->name);
    c = k2onnx__const_f32(cv, "gelu_rsqrt2", 0.70710678118654752f);
    half = k2onnx__const_f32(cv, "gelu_half", 0.5f);
    one = k2onnx__const_f32(cv, "gelu_one", 1.0f);
    t = c ? k2onnx__op2(cv, "Mul", y->name, c, "gelu_scaled") : NULL;
    e = t ? k2onnx__op1(cv, "Erf", t, "gelu_erf", NULL) : NULL;
    p = e && one ? k2onnx__op2(cv, "Add", e, one, "gelu_erf_plus_one") : NULL;
    p = p && half ? k2onnx__op2(cv, "Mul", p, half, "gelu_factor") : NULL;
    return p ? k2onnx__op2(cv, "Mul", y->name, p, "gelu") : NULL;
}

static const char *k2onnx__act_mish(k2onnx__converter *cv, k2onnx__kvalue *y)
{
    const char *sp = k2onnx__op1(cv, "Softplus", y->name, "mish_softplus", NULL);
    const char *t = sp ? k2onnx__op1(cv, "Tanh", sp, "mish_tanh", NULL) : NULL;
    return t ? k2onnx__op2(cv, "Mul", y->name, t, "mish") : NULL;
}

static const char *k2onnx__act_hard_silu(k2onnx__converter *cv, k2onnx__kvalue *y)
{
    k2onnx__node *n;
    const char *h = k2onnx__op1(cv, "HardSigmoid", y->name, "hard_silu_gate", &n);
    if (!h) return NULL;
    k2onnx__attr_float(cv, n, "alpha", 1.0f / 6.0f);
    k2onnx__attr_float(cv, n, "beta", 0.5f);
    return k2onnx__op2(cv, "Mul", y->name, h, "hard_silu");
}

static const char *k2onnx__act_log_softmax(k2onnx__converter *cv, k2onnx__kvalue *y)
{
    return k2onnx__softmax(cv, "LogSoftmax", y->name, y->rank, (int64_t)y->rank - 1, "LogSoftmax");
}

/* An op with one float attribute. */
static const char *k2onnx__act_op_alpha(k2onnx__converter *cv, const char *op, const char *input, const char *what, const char *attr, float value)
{
    k2onnx__node *n;
    const char *r = k2onnx__op1(cv, op, input, what, &n);
    if (r) k2onnx__attr_float(cv, n, attr, value);
    return r;
}

static const char *k2onnx__act_leaky_relu(k2onnx__converter *cv, k2onnx__kvalue *y)
{
    /* Only Keras 3 serializes it by name; its negative_slope defaults to 0.2. */
    return k2onnx__act_op_alpha(cv, "LeakyRelu", y->name, "LeakyRelu", "alpha", 0.2f);
}

static const char *k2onnx__act_log_sigmoid(k2onnx__converter *cv, k2onnx__kvalue *y)
{
    const char *neg = k2onnx__op1(cv, "Neg", y->name, "log_sigmoid_neg", NULL);
    const char *sp = neg ? k2onnx__op1(cv, "Softplus", neg, "log_sigmoid_softplus", NULL) : NULL;
    return sp ? k2onnx__op1(cv, "Neg", sp, "log_sigmoid", NULL) : NULL;
}

static const char *k2onnx__act_tanh_shrink(k2onnx__converter *cv, k2onnx__kvalue *y)
{
    const char *t = k2onnx__op1(cv, "Tanh", y->name, "tanh_shrink_tanh", NULL);
    return t ? k2onnx__op2(cv, "Sub", y->name, t, "tanh_shrink") : NULL;
}

static const char *k2onnx__act_hard_tanh(k2onnx__converter *cv, k2onnx__kvalue *y)
{
    return k2onnx__clip(cv, y->name, -1.0f, 1.0f, "hard_tanh");
}

static const char *k2onnx__act_sparse_sigmoid(k2onnx__converter *cv, k2onnx__kvalue *y)
{
    /* clip((x + 1) / 2, 0, 1) */
    const char *a = k2onnx__op2(cv, "Mul", y->name, k2onnx__const_f32(cv, "sparse_sigmoid_half", 0.5f), "sparse_sigmoid_scaled");
    a = a ? k2onnx__op2(cv, "Add", a, k2onnx__const_f32(cv, "sparse_sigmoid_shift", 0.5f), "sparse_sigmoid_line") : NULL;
    return a ? k2onnx__clip(cv, a, 0.0f, 1.0f, "sparse_sigmoid") : NULL;
}

static const char *k2onnx__act_soft_shrink(k2onnx__converter *cv, k2onnx__kvalue *y)
{
    /* relu(x - 0.5) - relu(-x - 0.5) */
    const char *v = y->name, *t = k2onnx__const_f32(cv, "soft_shrink_threshold", 0.5f), *a, *b;
    a = t ? k2onnx__op1(cv, "Relu", k2onnx__op2(cv, "Sub", v, t, "soft_shrink_above"), "soft_shrink_positive", NULL) : NULL;
    b = a ? k2onnx__op1(cv, "Neg", v, "soft_shrink_negated", NULL) : NULL;
    b = b ? k2onnx__op1(cv, "Relu", k2onnx__op2(cv, "Sub", b, t, "soft_shrink_below"), "soft_shrink_negative", NULL) : NULL;
    return b ? k2onnx__op2(cv, "Sub", a, b, "soft_shrink") : NULL;
}

static const char *k2onnx__act_hard_shrink(k2onnx__converter *cv, k2onnx__kvalue *y)
{
    const char *v = y->name, *a, *r;
    k2onnx__node *n;
    if (cv->opset >= 9) {
        if ((r = k2onnx__op1(cv, "Shrink", v, "hard_shrink", &n)) != NULL) {
            k2onnx__attr_float(cv, n, "lambd", 0.5f);
            k2onnx__attr_float(cv, n, "bias", 0.0f);
        }
        return r;
    }
    /* before Shrink: x * clip(ceil(2|x| - 1), 0, 1), which is 0 up to |x| = 0.5 and 1 past it */
    a = k2onnx__op1(cv, "Abs", v, "hard_shrink_abs", NULL);
    a = a ? k2onnx__op2(cv, "Mul", a, k2onnx__const_f32(cv, "hard_shrink_two", 2.0f), "hard_shrink_scaled") : NULL;
    a = a ? k2onnx__op2(cv, "Sub", a, k2onnx__const_f32(cv, "hard_shrink_one", 1.0f), "hard_shrink_excess") : NULL;
    a = a ? k2onnx__op1(cv, "Ceil", a, "hard_shrink_ceil", NULL) : NULL;
    a = a ? k2onnx__clip(cv, a, 0.0f, 1.0f, "hard_shrink_keep") : NULL;
    return a ? k2onnx__op2(cv, "Mul", v, a, "hard_shrink") : NULL;
}

static const char *k2onnx__act_sparse_plus(k2onnx__converter *cv, k2onnx__kvalue *y)
{
    /* (clip(x, -1, 1) + 1)^2 / 4 + relu(x - 1) */
    const char *v = y->name, *one = k2onnx__const_f32(cv, "sparse_plus_one", 1.0f), *a, *b;
    a = one ? k2onnx__op2(cv, "Add", k2onnx__clip(cv, v, -1.0f, 1.0f, "sparse_plus_clipped"), one, "sparse_plus_shifted") : NULL;
    a = a ? k2onnx__op2(cv, "Mul", a, a, "sparse_plus_squared") : NULL;
    a = a ? k2onnx__op2(cv, "Mul", a, k2onnx__const_f32(cv, "sparse_plus_quarter", 0.25f), "sparse_plus_curve") : NULL;
    b = a ? k2onnx__op1(cv, "Relu", k2onnx__op2(cv, "Sub", v, one, "sparse_plus_above"), "sparse_plus_linear", NULL) : NULL;
    return b ? k2onnx__op2(cv, "Add", a, b, "sparse_plus") : NULL;
}

static const char *k2onnx__act_squareplus(k2onnx__converter *cv, k2onnx__kvalue *y)
{
    /* (x + sqrt(x^2 + 4)) / 2 */
    const char *v = y->name, *a = k2onnx__op2(cv, "Mul", v, v, "squareplus_squared");
    a = a ? k2onnx__op2(cv, "Add", a, k2onnx__const_f32(cv, "squareplus_b", 4.0f), "squareplus_sum") : NULL;
    a = a ? k2onnx__op1(cv, "Sqrt", a, "squareplus_root", NULL) : NULL;
    a = a ? k2onnx__op2(cv, "Add", v, a, "squareplus_twice") : NULL;
    return a ? k2onnx__op2(cv, "Mul", a, k2onnx__const_f32(cv, "squareplus_half", 0.5f), "squareplus") : NULL;
}

static const char *k2onnx__act_celu(k2onnx__converter *cv, k2onnx__kvalue *y)
{
    /* alpha = 1: alpha * (exp(x / alpha) - 1) below zero is elu's */
    return k2onnx__act_op_alpha(cv, "Elu", y->name, "celu", "alpha", 1.0f);
}

static const char *k2onnx__act_glu(k2onnx__converter *cv, k2onnx__kvalue *y)
{
    /* first half * sigmoid(second half) of the last axis */
    const char *v = y->name, *a, *b;
    int64_t C = y->dims[y->rank - 1], last = (int64_t)y->rank - 1;
    if (C < 0 || C % 2) {
        k2onnx__lfail(cv, k2onnx_result_unsupported_model, "activation 'glu' needs a known, even last dimension");
        return NULL;
    }
    if (K2ONNX__UNROLLS(cv->ctx)) {
        a = k2onnx__glu_half(cv, v, C, 0, "glu_first_half");
        b = a ? k2onnx__glu_half(cv, v, C, 1, "glu_second_half") : NULL;
    } else {
        a = k2onnx__slice(cv, v, last, 0, C / 2, "glu_first_half");
        b = a ? k2onnx__slice(cv, v, last, C / 2, C, "glu_second_half") : NULL;
    }
    b = b ? k2onnx__op1(cv, "Sigmoid", b, "glu_gate", NULL) : NULL;
    y->dims[last] = C / 2;
    return b ? k2onnx__op2(cv, "Mul", a, b, "glu") : NULL;
}

static const char *k2onnx__act_sparsemax(k2onnx__converter *cv, k2onnx__kvalue *y)
{
    return k2onnx__sparsemax(cv, y->name, y->rank);
}
#endif

#define K2ONNX__MORE_ACTIVATIONS(X) \
    X("gelu", k2onnx__act_gelu) \
    X("mish", k2onnx__act_mish) \
    X("hard_silu", k2onnx__act_hard_silu) \
    X("hard_swish", k2onnx__act_hard_silu) \
    X("log_softmax", k2onnx__act_log_softmax) \
    X("leaky_relu", k2onnx__act_leaky_relu) \
    X("log_sigmoid", k2onnx__act_log_sigmoid) \
    X("tanh_shrink", k2onnx__act_tanh_shrink) \
    X("hard_tanh", k2onnx__act_hard_tanh) \
    X("sparse_sigmoid", k2onnx__act_sparse_sigmoid) \
    X("soft_shrink", k2onnx__act_soft_shrink) \
    X("hard_shrink", k2onnx__act_hard_shrink) \
    X("sparse_plus", k2onnx__act_sparse_plus) \
    X("squareplus", k2onnx__act_squareplus) \
    X("celu", k2onnx__act_celu) \
    X("glu", k2onnx__act_glu) \
    X("sparsemax", k2onnx__act_sparsemax)

#define K2ONNX__ACT_NAME(name, fn) name "\0"
static const char k2onnx__more_activation_names[] = K2ONNX__MORE_ACTIVATIONS(K2ONNX__ACT_NAME);
#ifndef K2ONNX_ONLY_RECURRENT
#define K2ONNX__ACT_FN(name, fn) fn,
static const k2onnx__act_fn k2onnx__more_activation_fns[] = {K2ONNX__MORE_ACTIVATIONS(K2ONNX__ACT_FN)};
#endif

/* One of the activations above: 0 when act is none of them, else 1 with *r the output (NULL on
   failure). */
static int k2onnx__more_activation(k2onnx__converter *cv, const char *act, k2onnx__kvalue *y, const char **r)
{
    const char *name = k2onnx__more_activation_names;
    size_t i;
    *r = NULL;
    for (i = 0; *name && strcmp(act, name) != 0; i++) name += strlen(name) + 1;
    if (!*name) return 0;
#ifdef K2ONNX_ONLY_RECURRENT
    (void)i, (void)y;
    k2onnx__lfail(cv, k2onnx_result_unsupported_model, "activation '%s' is left out of this build (K2ONNX_ONLY_RECURRENT)", act);
#else
    *r = k2onnx__more_activation_fns[i](cv, y);
#endif
    return 1;
}

/* Keras activation names accepted as ONNX element-wise ops; "linear" maps to nothing. */
static int k2onnx__apply_activation(k2onnx__converter *cv, const char *act, const k2onnx__kvalue *x, k2onnx__kvalue *y)
{
    k2onnx__node *n = NULL;
    const char *r = NULL;
    *y = *x;
    if (!act || strcmp(act, "linear") == 0) return 1;
    if (strcmp(act, "relu") == 0) r = k2onnx__op1(cv, "Relu", x->name, "Relu", NULL);
    else if (strcmp(act, "sigmoid") == 0) r = k2onnx__op1(cv, "Sigmoid", x->name, "Sigmoid", NULL);
    else if (strcmp(act, "tanh") == 0) r = k2onnx__op1(cv, "Tanh", x->name, "Tanh", NULL);
    else if (strcmp(act, "softplus") == 0) r = k2onnx__op1(cv, "Softplus", x->name, "Softplus", NULL);
    else if (strcmp(act, "softsign") == 0) r = k2onnx__op1(cv, "Softsign", x->name, "Softsign", NULL);
    else if (strcmp(act, "exponential") == 0) r = k2onnx__op1(cv, "Exp", x->name, "Exp", NULL);
    else if (strcmp(act, "selu") == 0) r = k2onnx__op1(cv, "Selu", x->name, "Selu", NULL); /* ONNX defaults are Keras' constants */
    else if (strcmp(act, "elu") == 0) {
        if ((r = k2onnx__op1(cv, "Elu", x->name, "Elu", &n)) != NULL) k2onnx__attr_float(cv, n, "alpha", 1.0f);
    } else if (strcmp(act, "hard_sigmoid") == 0) {
        if ((r = k2onnx__op1(cv, "HardSigmoid", x->name, "HardSigmoid", &n)) != NULL) {
            k2onnx__attr_float(cv, n, "alpha", cv->m->keras_major >= 3 ? 1.0f / 6.0f : 0.2f);
            k2onnx__attr_float(cv, n, "beta", 0.5f);
        }
    } else if (strcmp(act, "softmax") == 0) {
        r = k2onnx__softmax(cv, "Softmax", x->name, x->rank, (int64_t)x->rank - 1, "Softmax");
    } else if (strcmp(act, "swish") == 0 || strcmp(act, "silu") == 0) {
        const char *s = k2onnx__op1(cv, "Sigmoid", x->name, "swish_sigmoid", NULL);
        r = s ? k2onnx__op2(cv, "Mul", x->name, s, "swish") : NULL;
    } else if (strcmp(act, "relu6") == 0) {
        r = k2onnx__clip(cv, x->name, 0.0f, 6.0f, "relu6");
    } else if (k2onnx__more_activation(cv, act, y, &r)) {
        if (!r) return 0;
    } else if (strcmp(act, "threshold") == 0) {
        return k2onnx__lfail(cv, k2onnx_result_unsupported_model,
                             "activation 'threshold' needs a threshold and a default value, which a name cannot give (Keras cannot call it by name either)");
    } else {
        return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "activation '%s' is not supported yet", act);
    }
    if (!r) return 0;
    y->name = r;
    return 1;
}

/* Activation names may be strings or, in Keras 3, serialized objects; accept the plain forms. */
static int k2onnx__activation_name(k2onnx__converter *cv, const k2onnx__json *cfg, const char *key, const char *def, const char **out)
{
    const k2onnx__json *v = k2onnx__jget(cfg, key);
    if (!v || v->type == K2ONNX__JNULL) { *out = def; return 1; }
    if (v->type == K2ONNX__JSTRING) { *out = v->str; return 1; }
    {
        const char *cls = k2onnx__jstr(k2onnx__jget(v, "class_name"));
        const char *inner = k2onnx__jstr(k2onnx__jget(v, "config"));
        if (cls && strcmp(cls, "function") == 0 && inner) { *out = inner; return 1; }
    }
    return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "'%s' is not a built-in activation name", key);
}

static int k2onnx__map_activation(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    const char *act;
    if (!k2onnx__expect_inputs(cv, nin, 1, 1) || !k2onnx__activation_name(cv, cv->layer->config, "activation", "linear", &act)) return 0;
    if (!k2onnx__outputs(cv, out, nout, 1)) return 0;
    return k2onnx__apply_activation(cv, act, &in[0], &(*out)[0]);
}

/* --- pass-through layers, Masking, Dense, Highway, MaxoutDense ------------------------------ */

/* A nested model, once unfolded (k2onnx__nest_expand): its call reads the inner outputs and
   hands them on as its own. */
static int k2onnx__map_nested_model(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    size_t i;
    if (!k2onnx__outputs(cv, out, nout, nin)) return 0;
    for (i = 0; i < nin; i++) (*out)[i] = in[i];
    return 1;
}

/* Layers that do nothing at inference time. */
static int k2onnx__map_identity(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    if (!k2onnx__expect_inputs(cv, nin, 1, 1) || !k2onnx__outputs(cv, out, nout, 1)) return 0;
    (*out)[0] = in[0];
    return 1;
}

/* Masking's output: the input zeroed where the [N, T, 1] mask is 0, carrying the [N, T] mask to
   the recurrent layers downstream. */
static int k2onnx__masked_output(k2onnx__converter *cv, const k2onnx__kvalue *x, const char *mask3, const char *mask,
                                 k2onnx__kvalue **out, size_t *nout)
{
    const char *y = mask3 && mask ? k2onnx__op2(cv, "Mul", x->name, mask3, "masked") : NULL;
    if (!y || !k2onnx__outputs(cv, out, nout, 1)) return 0;
    (*out)[0] = *x;
    (*out)[0].name = y;
    (*out)[0].mask = mask;
    return 1;
}

/* Masking for small runtimes (--unroll): Sign of the largest difference is the 0/1 mask, kept
   [N, T, 1] for the product and reshaped to [N, T]; no boolean Greater and Cast (onnx2c crashes
   folding that Cast) and no keepdims=0 reduction (onnx2c drops every size-1 axis from those). */
static int k2onnx__masking_portable(k2onnx__converter *cv, const k2onnx__kvalue *x, const char *value, k2onnx__kvalue **out, size_t *nout)
{
    const int64_t last = -1, flat[2] = {0, 0};
    const char *diff = value ? k2onnx__op2(cv, "Sub", x->name, value, "difference") : NULL;
    const char *absd = diff ? k2onnx__op1(cv, "Abs", diff, "abs_difference", NULL) : NULL;
    const char *axes = cv->opset >= 18 ? k2onnx__init_i64(cv, "feature_axis", &last, 1) : NULL;
    const char *maxd = NULL, *mask3, *mask, *sh;
    k2onnx__node *n;
    if (!absd || (cv->opset >= 18 && !axes) || !(n = k2onnx__add_node(cv, "ReduceMax", axes ? 2 : 1, 1))) return 0;
    n->inputs[0] = absd;
    if (axes) n->inputs[1] = axes;
    else if (!k2onnx__attr_ints(cv, n, "axes", &last, 1)) return 0;
    n->outputs[0] = n->name = maxd = k2onnx__vname(cv, "largest_difference");
    k2onnx__attr_int(cv, n, "keepdims", 1);
    mask3 = maxd ? k2onnx__op1(cv, "Sign", maxd, "mask_expanded", NULL) : NULL;
    sh = k2onnx__init_i64(cv, "mask_shape", flat, 2);
    mask = mask3 && sh ? k2onnx__op2(cv, "Reshape", mask3, sh, "mask") : NULL;
    return k2onnx__masked_output(cv, x, mask3, mask, out, nout);
}

/* Masking(mask_value): steps whose features all equal mask_value are masked for the recurrent
   layers downstream and zeroed in the output, as Keras does. */
static int k2onnx__map_masking(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    const k2onnx__json *mv = k2onnx__jget(cv->layer->config, "mask_value");
    const k2onnx__kvalue *x = &in[0];
    const char *value, *diff, *absd, *maxd, *zero, *any, *mask, *mask3;
    k2onnx__node *n;
    if (!k2onnx__expect_inputs(cv, nin, 1, 1)) return 0;
    if (x->rank != 3) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "Masking is supported on [batch, time, features] inputs only");
    if (mv && mv->type != K2ONNX__JNUMBER) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "mask_value is not a number");
    value = k2onnx__const_f32(cv, "mask_value", mv ? mv->number : 0.0f);
    if (K2ONNX__UNROLLS(cv->ctx) && cv->opset >= 9) return k2onnx__masking_portable(cv, x, value, out, nout);
    zero = k2onnx__const_f32(cv, "zero", 0.0f);
    diff = value ? k2onnx__op2(cv, "Sub", x->name, value, "difference") : NULL;
    absd = diff ? k2onnx__op1(cv, "Abs", diff, "abs_difference", NULL) : NULL;
    if (!absd || !zero || !(n = k2onnx__add_node(cv, "ReduceMax", cv->opset >= 18 ? 2 : 1, 1))) return 0;
    n->inputs[0] = absd;
    n->outputs[0] = maxd = k2onnx__vname(cv, "largest_difference");
    n->name = maxd;
    k2onnx__attr_int(cv, n, "keepdims", 0);
    {
        const int64_t last = -1;
        if (cv->opset >= 18) {
            if (!(n->inputs[1] = k2onnx__init_i64(cv, "feature_axis", &last, 1))) return 0;
        } else if (!k2onnx__attr_ints(cv, n, "axes", &last, 1)) {
            return 0;
        }
    }
    any = maxd ? k2onnx__op2(cv, "Greater", maxd, zero, "kept") : NULL;
    if (!any || !(mask = k2onnx__op1(cv, "Cast", any, "mask", &n))) return 0;
    k2onnx__attr_int(cv, n, "to", K2ONNX__FLOAT);
    mask3 = k2onnx__squeeze(cv, "Unsqueeze", mask, 2, "mask_expanded");
    return k2onnx__masked_output(cv, x, mask3, mask, out, nout);
}

static int k2onnx__check_weight(k2onnx__converter *cv, size_t index, const char *what, unsigned rank, const uint64_t *dims)
{
    const k2onnx__h5array *w = &cv->layer->weights[index];
    unsigned i;
    int ok = w->rank == rank;
#ifdef K2ONNX_NO_ERROR_STRINGS
    (void)what;
#endif
    for (i = 0; ok && i < rank; i++) ok = w->dims[i] == dims[i];
    if (!ok) {
        char shape[200];
        shape[0] = '\0';
        for (i = 0; i < w->rank; i++) k2onnx__format_append(shape, sizeof shape, i ? "x%u" : "%u", (unsigned long long)w->dims[i]);
        return k2onnx__lfail(cv, k2onnx_result_invalid_model, "weight '%s' (%s) has shape [%s], which does not fit the layer config",
                             cv->layer->weight_paths[index], what, shape);
    }
    return 1;
}

static int k2onnx__map_dense(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    const k2onnx__json *cfg = cv->layer->config;
    const k2onnx__kvalue *x = &in[0];
    int use_bias = k2onnx__jbool(cfg, "use_bias", k2onnx__jbool(cfg, "bias", 1));
    int64_t units, features;
    const char *act, *y, *w;
    uint64_t dims[2];
    k2onnx__kvalue lin;
    if (!k2onnx__expect_inputs(cv, nin, 1, 1) || !k2onnx__cfg_positive_int(k2onnx__cfg_of(cv, cfg), "units", "output_dim", &units)) return 0;
    if (!k2onnx__activation_name(cv, cfg, "activation", "linear", &act)) return 0;
    if (x->rank < 2 || x->dims[x->rank - 1] < 0)
        return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "input needs a known last dimension");
    features = x->dims[x->rank - 1];
    if (!k2onnx__kweights(cv->m, cv->layer)) return 0;
    if (cv->layer->nweights != (size_t)(use_bias ? 2 : 1))
        return k2onnx__lfail(cv, k2onnx_result_invalid_model, "expected %d weights, the file has %d", use_bias ? 2 : 1, (int)cv->layer->nweights);
    dims[0] = (uint64_t)features;
    dims[1] = (uint64_t)units;
    if (!k2onnx__check_weight(cv, 0, "kernel", 2, dims)) return 0;
    if (use_bias && !k2onnx__check_weight(cv, 1, "bias", 1, &dims[1])) return 0;
    if (!(w = k2onnx__matrix_init(cv, 0, "kernel", features, units))) return 0;
    y = k2onnx__op2(cv, "MatMul", x->name, w, "MatMul");
    if (y && use_bias) {
        const char *b = k2onnx__vector_init(cv, 1, "bias", units);
        y = b ? k2onnx__op2(cv, "Add", y, b, "BiasAdd") : NULL;
    }
    if (!y || !k2onnx__outputs(cv, out, nout, 1)) return 0;
    lin = *x;
    lin.name = y;
    lin.dims[x->rank - 1] = units;
    lin.params[x->rank - 1] = NULL;
    return k2onnx__apply_activation(cv, act, &lin, &(*out)[0]);
}

#ifndef K2ONNX_ONLY_RECURRENT
/* Highway (Keras 1): t = sigmoid(x·W_carry + b_carry) weighs act(x·W + b) against x itself,
   y = t * act(x·W + b) + (1 - t) * x, written as x + t * (act(x·W + b) - x). */
static int k2onnx__map_highway(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    const k2onnx__json *cfg = cv->layer->config;
    const k2onnx__kvalue *x = &in[0];
    int use_bias = k2onnx__jbool(cfg, "bias", 1);
    int64_t D;
    const char *act, *w, *h, *t, *y;
    uint64_t dims[2];
    k2onnx__kvalue lin, transformed;
    if (!k2onnx__expect_inputs(cv, nin, 1, 1) || !k2onnx__activation_name(cv, cfg, "activation", "linear", &act)) return 0;
    if (x->rank < 2 || x->dims[x->rank - 1] < 0) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "input needs a known last dimension");
    D = x->dims[x->rank - 1];
    if (!k2onnx__kweights(cv->m, cv->layer)) return 0;
    if (cv->layer->nweights != (size_t)(use_bias ? 4 : 2))
        return k2onnx__lfail(cv, k2onnx_result_invalid_model, "expected %d weights, the file has %d", use_bias ? 4 : 2, (int)cv->layer->nweights);
    dims[0] = dims[1] = (uint64_t)D;
    if (!k2onnx__check_weight(cv, 0, "W", 2, dims) || !k2onnx__check_weight(cv, 1, "W_carry", 2, dims)) return 0;
    if (use_bias && (!k2onnx__check_weight(cv, 2, "b", 1, dims) || !k2onnx__check_weight(cv, 3, "b_carry", 1, dims))) return 0;
    w = k2onnx__matrix_init(cv, 1, "W_carry", D, D);
    t = w ? k2onnx__op2(cv, "MatMul", x->name, w, "carry_MatMul") : NULL;
    if (t && use_bias) {
        const char *b = k2onnx__vector_init(cv, 3, "b_carry", D);
        t = b ? k2onnx__op2(cv, "Add", t, b, "carry_BiasAdd") : NULL;
    }
    t = t ? k2onnx__op1(cv, "Sigmoid", t, "transform_weight", NULL) : NULL;
    w = t ? k2onnx__matrix_init(cv, 0, "W", D, D) : NULL;
    h = w ? k2onnx__op2(cv, "MatMul", x->name, w, "MatMul") : NULL;
    if (h && use_bias) {
        const char *b = k2onnx__vector_init(cv, 2, "b", D);
        h = b ? k2onnx__op2(cv, "Add", h, b, "BiasAdd") : NULL;
    }
    if (!h) return 0;
    lin = *x;
    lin.name = h;
    lin.mask = NULL;
    if (!k2onnx__apply_activation(cv, act, &lin, &transformed)) return 0;
    y = k2onnx__op2(cv, "Sub", transformed.name, x->name, "change");
    y = y ? k2onnx__op2(cv, "Mul", t, y, "gated_change") : NULL;
    y = y ? k2onnx__op2(cv, "Add", x->name, y, "Highway") : NULL;
    if (!y || !k2onnx__outputs(cv, out, nout, 1)) return 0;
    (*out)[0] = lin;
    (*out)[0].name = y;
    return 1;
}

/* A weight as the file stores it, as an initializer of the given shape. */
static const char *k2onnx__tensor_init(k2onnx__converter *cv, size_t index, const char *what, unsigned rank, const int64_t *dims)
{
    uint64_t count = 1;
    unsigned i;
    k2onnx__initializer *t = k2onnx__add_matrix(cv, k2onnx__vname(cv, what), rank, dims, 1);
    if (!t) return NULL;
    for (i = 0; i < rank; i++) count *= (uint64_t)dims[i];
    t->parts[0].src = cv->layer->weights[index];
    t->parts[0].rows = 1;
    t->parts[0].cols = count;
    return t->name;
}

/* MaxoutDense (Keras 1): the largest of nb_feature affine maps, W [K, D, O] and b [K, O]:
   x [N, D] · W laid out as [D, K·O] -> [N, K, O], + b, ReduceMax over K. */
static int k2onnx__map_maxout_dense(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    const k2onnx__json *cfg = cv->layer->config;
    const k2onnx__kvalue *x = &in[0];
    int use_bias = k2onnx__jbool(cfg, "bias", 1);
    int64_t K = 4, O, D, k, d, o, wd[3];
    uint64_t dims[3];
    const char *w, *sh, *y;
    float *v;
    if (!k2onnx__expect_inputs(cv, nin, 1, 1) || !k2onnx__cfg_positive_int(k2onnx__cfg_of(cv, cfg), "output_dim", NULL, &O)) return 0;
    if (k2onnx__jget(cfg, "nb_feature") && !k2onnx__cfg_positive_int(k2onnx__cfg_of(cv, cfg), "nb_feature", NULL, &K)) return 0;
    if (x->rank != 2 || x->dims[1] < 0) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "input must be [batch, features] with known features");
    D = x->dims[1];
    if (!k2onnx__kweights(cv->m, cv->layer)) return 0;
    if (cv->layer->nweights != (size_t)(use_bias ? 2 : 1))
        return k2onnx__lfail(cv, k2onnx_result_invalid_model, "expected %d weights, the file has %d", use_bias ? 2 : 1, (int)cv->layer->nweights);
    dims[0] = (uint64_t)K, dims[1] = (uint64_t)D, dims[2] = (uint64_t)O;
    if (!k2onnx__check_weight(cv, 0, "W", 3, dims)) return 0;
    dims[1] = (uint64_t)O;
    if (use_bias && !k2onnx__check_weight(cv, 1, "b", 2, dims)) return 0;
    if (!(v = (float *)k2onnx__alloc_array(cv->ctx, (size_t)(K * D * O), sizeof *v))) return 0;
    for (k = 0; k < K; k++)
        for (d = 0; d < D; d++)
            for (o = 0; o < O; o++) v[(d * K + k) * O + o] = k2onnx__h5array_get(&cv->layer->weights[0], (uint64_t)((k * D + d) * O + o));
    wd[0] = D, wd[1] = K * O;
    w = k2onnx__init_f32(cv, "W", v, 2, wd);
    y = w ? k2onnx__op2(cv, "MatMul", x->name, w, "MatMul") : NULL;
    wd[0] = 0, wd[1] = K, wd[2] = O;
    sh = y ? k2onnx__init_i64(cv, "shape", wd, 3) : NULL;
    y = sh ? k2onnx__op2(cv, "Reshape", y, sh, "features") : NULL;
    if (y && use_bias) {
        const char *b = k2onnx__tensor_init(cv, 1, "b", 2, &wd[1]);
        y = b ? k2onnx__op2(cv, "Add", y, b, "BiasAdd") : NULL;
    }
    y = y ? k2onnx__reduce(cv, "ReduceMax", y, 1, 0, "Maxout") : NULL;
    if (!y || !k2onnx__outputs(cv, out, nout, 1)) return 0;
    (*out)[0] = *x;
    (*out)[0].name = y;
    (*out)[0].mask = NULL;
    (*out)[0].dims[1] = O;
    (*out)[0].params[1] = NULL;
    return 1;
}
#endif

/* --- recurrent layers ----------------------------------------------------------------------- */

enum { K2ONNX__RNN, K2ONNX__GRU, K2ONNX__LSTM };

/* ONNX name of an activation inside RNN/GRU/LSTM, and which of alpha/beta it consumes. */
static int k2onnx__rnn_activation(k2onnx__converter *cv, const char *act, const char **onnx, int *has_alpha, float *alpha,
                                  int *has_beta, float *beta)
{
    *has_alpha = *has_beta = 0;
    if (strcmp(act, "tanh") == 0) *onnx = "Tanh";
    else if (strcmp(act, "sigmoid") == 0) *onnx = "Sigmoid";
    else if (strcmp(act, "relu") == 0) *onnx = "Relu";
    else if (strcmp(act, "softsign") == 0) *onnx = "Softsign";
    else if (strcmp(act, "softplus") == 0) *onnx = "Softplus";
    else if (strcmp(act, "elu") == 0) { *onnx = "Elu"; *has_alpha = 1; *alpha = 1.0f; }
    else if (strcmp(act, "linear") == 0) { *onnx = "Affine"; *has_alpha = *has_beta = 1; *alpha = 1.0f; *beta = 0.0f; }
    else if (strcmp(act, "hard_sigmoid") == 0) {
        /* Keras 3 redefined hard_sigmoid as relu6(x + 3) / 6. */
        *onnx = "HardSigmoid";
        *has_alpha = *has_beta = 1;
        *alpha = cv->m->keras_major >= 3 ? 1.0f / 6.0f : 0.2f;
        *beta = 0.5f;
    } else {
        return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "recurrent activation '%s' is not supported yet", act);
    }
    return 1;
}

/* What one recurrent cell computes, from its Keras config. */
typedef struct k2onnx__rnn_spec {
    int kind;
    int cudnn;                  /* CuDNNLSTM/CuDNNGRU: fixed activations, biases [input; recurrent] */
    const k2onnx__json *cell;   /* config holding units/activation/use_bias */
    int64_t units;
    const char *activation, *recurrent_activation;
    int use_bias, reset_after;
} k2onnx__rnn_spec;

/* Layer-level options of a recurrent layer (or of a Bidirectional wrapper's inner layer). */
typedef struct k2onnx__rnn_layer {
    k2onnx__rnn_spec cells[8];
    unsigned ncells;            /* more than one for RNN(StackedRNNCells) */
    int return_sequences, return_state, go_backwards, time_major, reverse_state_order;
} k2onnx__rnn_layer;

static int k2onnx__rnn_kind(const char *cls, int *cudnn)
{
    *cudnn = strcmp(cls, "CuDNNLSTM") == 0 || strcmp(cls, "CuDNNGRU") == 0;
    if (strcmp(cls, "SimpleRNN") == 0 || strcmp(cls, "SimpleRNNCell") == 0) return K2ONNX__RNN;
    if (strcmp(cls, "GRU") == 0 || strcmp(cls, "GRUCell") == 0 || strcmp(cls, "CuDNNGRU") == 0) return K2ONNX__GRU;
    if (strcmp(cls, "LSTM") == 0 || strcmp(cls, "LSTMCell") == 0 || strcmp(cls, "CuDNNLSTM") == 0) return K2ONNX__LSTM;
    return -1;
}

static int k2onnx__rnn_cell_read(k2onnx__converter *cv, const char *cls, const k2onnx__json *cfg, k2onnx__rnn_spec *s)
{
    memset(s, 0, sizeof *s);
    s->kind = k2onnx__rnn_kind(cls, &s->cudnn);
    if (s->kind < 0) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "cell class '%s' is not supported yet", cls);
    s->cell = cfg;
    if (!k2onnx__cfg_positive_int(k2onnx__cfg_of(cv, cfg), "units", "output_dim", &s->units)) return 0;
    if (s->units > (1 << 20)) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "units is too large");
    if (s->cudnn) {
        s->activation = "tanh";
        s->recurrent_activation = "sigmoid";
        s->use_bias = 1;
        s->reset_after = 1;
        return 1;
    }
    if (!k2onnx__activation_name(cv, cfg, "activation", "tanh", &s->activation)) return 0;
    /* Keras 1/2 defaulted to hard_sigmoid, tf.keras 2.x and Keras 3 to sigmoid; Keras 1 called
       it inner_activation. */
    if (!k2onnx__activation_name(cv, cfg, k2onnx__jget(cfg, "recurrent_activation") ? "recurrent_activation" : "inner_activation",
                                 cv->m->tf_keras ? "sigmoid" : "hard_sigmoid",
                                 &s->recurrent_activation)) return 0;
    /* glu halves its input, which the cell's state cannot follow */
    if (strcmp(s->activation, "glu") == 0 || strcmp(s->recurrent_activation, "glu") == 0)
        return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "activation 'glu' changes the size of the state; a recurrent cell cannot use it");
    s->use_bias = k2onnx__jbool(cfg, "use_bias", 1);
    s->reset_after = k2onnx__jbool(cfg, "reset_after", 0); /* absent before Keras 2.1.3: False */
    return 1;
}

/* Reads a recurrent layer's config: SimpleRNN/GRU/LSTM/CuDNN*, or RNN with one cell or a
   StackedRNNCells list. */
static int k2onnx__rnn_layer_read(k2onnx__converter *cv, const char *cls, const k2onnx__json *cfg, k2onnx__rnn_layer *r)
{
    memset(r, 0, sizeof *r);
    if (strcmp(cls, "RNN") == 0) {
        const k2onnx__json *cell = k2onnx__jget(cfg, "cell");
        const char *cell_cls = k2onnx__jstr(k2onnx__jget(cell, "class_name"));
        if (!cell_cls) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "cell is not a serialized cell object");
        if (strcmp(cell_cls, "StackedRNNCells") == 0) {
            const k2onnx__json *cells = k2onnx__jget(k2onnx__jget(cell, "config"), "cells");
            size_t i;
            if (!k2onnx__jis_array(cells) || cells->n == 0 || cells->n > sizeof r->cells / sizeof r->cells[0])
                return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "StackedRNNCells needs 1 to 8 cells");
            for (i = 0; i < cells->n; i++) {
                const char *c = k2onnx__jstr(k2onnx__jget(&cells->items[i], "class_name"));
                if (!c || !k2onnx__rnn_cell_read(cv, c, k2onnx__jget(&cells->items[i], "config"), &r->cells[i])) {
                    if (!c) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "StackedRNNCells cell %d has no class_name", (int)i);
                    return 0;
                }
            }
            r->ncells = (unsigned)cells->n;
            /* Keras before 2.2.3 kept the states of stacked cells last cell first
               (keras-team/keras#11021 switched to cell order). */
            r->reverse_state_order = k2onnx__jbool(k2onnx__jget(cell, "config"), "reverse_state_order", cv->m->keras_version_number < 20203);
        } else {
            if (!k2onnx__rnn_cell_read(cv, cell_cls, k2onnx__jget(cell, "config"), &r->cells[0])) return 0;
            r->ncells = 1;
        }
    } else {
        if (!k2onnx__rnn_cell_read(cv, cls, cfg, &r->cells[0])) return 0;
        r->ncells = 1;
    }
    r->return_sequences = k2onnx__jbool(cfg, "return_sequences", 0);
    r->return_state = k2onnx__jbool(cfg, "return_state", 0);
    r->go_backwards = k2onnx__jbool(cfg, "go_backwards", 0);
    r->time_major = k2onnx__jbool(cfg, "time_major", 0);
    return 1;
}

static unsigned k2onnx__rnn_gates(const k2onnx__rnn_spec *s)
{
    return s->kind == K2ONNX__RNN ? 1u : s->kind == K2ONNX__GRU ? 3u : 4u;
}

static unsigned k2onnx__rnn_states(const k2onnx__rnn_spec *s)
{
    return s->kind == K2ONNX__LSTM ? 2u : 1u;
}

/* Number of weight arrays Keras stores for a cell. */
static size_t k2onnx__rnn_nweights(const k2onnx__rnn_spec *s)
{
    return s->use_bias ? 3u : 2u;
}

#ifndef K2ONNX_NO_KERAS1
/* Little-endian float32 array in the arena, for weights rebuilt from several datasets. */
static int k2onnx__f32_array(k2onnx__converter *cv, k2onnx__h5array *a, unsigned rank, uint64_t d0, uint64_t d1)
{
    unsigned char *buf;
    uint64_t *dims = (uint64_t *)k2onnx__alloc_array(cv->ctx, 2, sizeof *dims);
    memset(a, 0, sizeof *a);
    if (!dims) return 0;
    dims[0] = d0;
    dims[1] = d1;
    a->rank = rank;
    a->dims = dims;
    a->count = rank == 1 ? d0 : d0 * d1;
    a->elem_size = 4;
    buf = (unsigned char *)k2onnx__alloc_array(cv->ctx, (size_t)a->count + 1, 4);
    a->data = buf;
    return buf != NULL;
}

/* Keras 1 stored recurrent weights per gate (LSTM: W_i, U_i, b_i, W_c, U_c, b_c, W_f, ..., o;
   GRU: z, r, h). Rebuilds Keras 2's kernel [I, G*H], recurrent_kernel [H, G*H] and bias [G*H],
   gates in Keras 2 order, so everything downstream sees one layout. */
static int k2onnx__rnn_merge_gates(k2onnx__converter *cv, const k2onnx__rnn_spec *s, const k2onnx__h5array *src, int64_t I, k2onnx__h5array *dst)
{
    static const unsigned lstm_from[4] = {0, 2, 1, 3}; /* Keras 2 i, f, c, o from Keras 1 i, c, f, o */
    unsigned gates = k2onnx__rnn_gates(s), g, w;
    uint64_t H = (uint64_t)s->units, GH = gates * H, r, h;
    const uint64_t rows[3] = {(uint64_t)I, H, 1};
    for (w = 0; w < 3; w++)
        if (!k2onnx__f32_array(cv, &dst[w], w == 2 ? 1u : 2u, w == 2 ? GH : rows[w], GH)) return 0;
    for (g = 0; g < gates; g++) {
        unsigned from = s->kind == K2ONNX__LSTM ? lstm_from[g] : g;
        for (w = 0; w < 3; w++) {
            const k2onnx__h5array *a = &src[from * 3 + w];
            uint64_t want = rows[w] * H;
            if (a->count != want || (w < 2 && (a->rank != 2 || a->dims[1] != H)))
                return k2onnx__lfail(cv, k2onnx_result_invalid_model, "Keras 1 gate weight %d has %u values, expected %u", (int)(from * 3 + w),
                                     (unsigned long long)a->count, (unsigned long long)want);
            for (r = 0; r < rows[w]; r++)
                for (h = 0; h < H; h++)
                    k2onnx__store_le32((unsigned char *)dst[w].data + 4 * (r * GH + g * H + h), k2onnx__f32_bits(k2onnx__h5array_get(a, r * H + h)));
        }
    }
    return 1;
}

#endif

/* When a layer's file holds Keras 1 per-gate weights for its cells, swaps in merged ones.
   `first` lists where each cell's weights start in the Keras 2 layout. */
static int k2onnx__rnn_keras1_weights(k2onnx__converter *cv, const k2onnx__rnn_spec *const *cells, size_t ncells, int64_t I)
{
    k2onnx__klayer *L = cv->layer;
    size_t c, per_gate = 0, at = 0;
    k2onnx__h5array *merged;
    for (c = 0; c < ncells; c++) per_gate += 3u * k2onnx__rnn_gates(cells[c]);
    /* The count alone tells: Keras 2 stores 2 or 3 arrays per cell, Keras 1 three per gate. */
    if (L->nweights != per_gate || per_gate == 3u * ncells) return 1;
#ifdef K2ONNX_NO_KERAS1
    (void)I;
    (void)merged;
    (void)at;
    return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "Keras 1 per-gate recurrent weights are left out of this build (K2ONNX_NO_KERAS1)");
#else
    merged = (k2onnx__h5array *)k2onnx__alloc_array(cv->ctx, 3 * ncells + 1, sizeof *merged);
    if (!merged) return 0;
    for (c = 0; c < ncells; c++) {
        if (!cells[c]->use_bias) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "Keras 1 layers always have biases");
        if (!k2onnx__rnn_merge_gates(cv, cells[c], &L->weights[at], I, &merged[3 * c])) return 0;
        at += 3u * k2onnx__rnn_gates(cells[c]);
    }
    L->weights = merged;
    L->nweights = 3 * ncells;
    return 1;
#endif
}

static int k2onnx__rnn_check_weights(k2onnx__converter *cv, const k2onnx__rnn_spec *s, size_t first, int64_t I)
{
    uint64_t dims[2];
    uint64_t GH = (uint64_t)k2onnx__rnn_gates(s) * (uint64_t)s->units;
    dims[0] = (uint64_t)I;
    dims[1] = GH;
    if (!k2onnx__check_weight(cv, first, "kernel", 2, dims)) return 0;
    dims[0] = (uint64_t)s->units;
    if (!k2onnx__check_weight(cv, first + 1, "recurrent_kernel", 2, dims)) return 0;
    if (!s->use_bias) return 1;
    if (s->cudnn) {
        dims[0] = 2 * GH;
        return k2onnx__check_weight(cv, first + 2, "bias", 1, dims);
    }
    if (s->kind == K2ONNX__GRU && s->reset_after) {
        dims[0] = 2;
        return k2onnx__check_weight(cv, first + 2, "bias", 2, dims);
    }
    return k2onnx__check_weight(cv, first + 2, "bias", 1, &dims[1]);
}

static const unsigned k2onnx__identity_perm[4] = {0, 1, 2, 3};
static const unsigned k2onnx__lstm_perm[4] = {0, 3, 1, 2}; /* ONNX i,o,f,c from Keras i,f,c,o */

/* One fused RNN/GRU/LSTM node over a time-major input, for one direction or both. */
typedef struct k2onnx__rnn_emit {
    const k2onnx__rnn_spec *spec[2];
    size_t first_weight[2];     /* index of each direction's kernel in the layer's weights */
    unsigned ndir;
    const char *direction;      /* "forward", "reverse" or "bidirectional" */
    const char *x;              /* [T, N, I] */
    int64_t I;
    const char *init_h, *init_c; /* [D, N, H] or NULL */
    const char *tag;            /* distinguishes the nodes of stacked cells, or NULL */
    const char *y, *y_h, *y_c;  /* results: [T, D, N, H], [D, N, H], [D, N, H]; "" when not asked */
    int want_y, want_h, want_c;
} k2onnx__rnn_emit;

static const char *k2onnx__rnn_name(k2onnx__converter *cv, const k2onnx__rnn_emit *e, const char *what)
{
    if (!e->tag) return k2onnx__vname(cv, what);
    return k2onnx__vname(cv, k2onnx__sprintf(cv->ctx, "%s/%s", e->tag, what));
}

/* Bias as ONNX wants it: per direction [Wb; Rb] with the gate blocks in ONNX order. */
static const float *k2onnx__rnn_bias(k2onnx__converter *cv, const k2onnx__rnn_emit *e, int64_t GH)
{
    float *b = (float *)k2onnx__alloc_array(cv->ctx, (size_t)(2 * GH) * e->ndir, sizeof *b);
    unsigned d;
    if (!b) return NULL;
    for (d = 0; d < e->ndir; d++) {
        const k2onnx__rnn_spec *s = e->spec[d];
        const k2onnx__h5array *src = &cv->layer->weights[e->first_weight[d] + 2];
        const unsigned *perm = s->kind == K2ONNX__LSTM ? k2onnx__lstm_perm : k2onnx__identity_perm;
        float *wb = b + (size_t)(2 * GH) * d, *rb = wb + GH;
        size_t g, h, units = (size_t)s->units, gates = k2onnx__rnn_gates(s);
        if (!s->use_bias) continue; /* zeros */
        for (g = 0; g < gates; g++)
            for (h = 0; h < units; h++) {
                size_t to = g * units + h, from = perm[g] * units + h;
                wb[to] = k2onnx__h5array_get(src, from);
                /* GRU reset_after and CuDNN layers carry a second, recurrent bias. */
                if (src->rank == 2 || s->cudnn) rb[to] = k2onnx__h5array_get(src, (uint64_t)GH + from);
            }
    }
    return b;
}

static int k2onnx__rnn_float_list(k2onnx__converter *cv, k2onnx__node *n, const char *name, const float *v, size_t count)
{
    k2onnx__attr *a;
    float *copy;
    if (!count) return 1;
    a = k2onnx__add_attr(cv, n, name, K2ONNX__AFLOATS);
    copy = (float *)k2onnx__alloc_array(cv->ctx, count, sizeof *copy);
    if (!copy) return 0;
    memcpy(copy, v, count * sizeof *copy);
    a->v.floats = copy;
    a->n = count;
    return 1;
}

/* A list of n equal values grown to `total` copies; other lists stay as they are. */
static size_t k2onnx__rnn_pad_uniform(float *v, size_t n, size_t total)
{
    size_t i;
    if (n == 0 || n >= total) return n;
    for (i = 1; i < n; i++)
        if (v[i] != v[0]) return n;
    for (i = n; i < total; i++) v[i] = v[0];
    return total;
}

/* W (which 0) or R (which 1) of a fused node, [directions, GH, rows]: one transposed,
   gate-reordered part per direction. Its name, or NULL when out of memory. */
static const char *k2onnx__rnn_matrix(k2onnx__converter *cv, const k2onnx__rnn_emit *e, const char *what, size_t which, int64_t rows,
                                      unsigned gates, const unsigned *perm, int64_t GH)
{
    int64_t dims[3];
    k2onnx__initializer *t;
    unsigned d;
    dims[0] = e->ndir;
    dims[1] = GH;
    dims[2] = rows;
    if (!(t = k2onnx__add_matrix(cv, k2onnx__rnn_name(cv, e, what), 3, dims, e->ndir))) return NULL;
    for (d = 0; d < e->ndir; d++) {
        k2onnx__matrix_part *p = &t->parts[d];
        p->transpose = 1;
        p->gates = gates;
        memcpy(p->perm, perm, sizeof p->perm);
        p->src = cv->layer->weights[e->first_weight[d] + which];
        p->rows = (uint64_t)rows;
        p->cols = (uint64_t)GH;
    }
    return t->name;
}

static int k2onnx__rnn_emit_node(k2onnx__converter *cv, k2onnx__rnn_emit *e)
{
    static const char *const ops[3] = {"RNN", "GRU", "LSTM"};
    const k2onnx__rnn_spec *s = e->spec[0];
    unsigned gates = k2onnx__rnn_gates(s), nacts = s->kind == K2ONNX__RNN ? 1u : s->kind == K2ONNX__GRU ? 2u : 3u, d, i;
    const unsigned *perm = s->kind == K2ONNX__LSTM ? k2onnx__lstm_perm : k2onnx__identity_perm;
    int64_t H = s->units, GH = (int64_t)gates * H, wd[3];
    const char *acts[6], *b_name = NULL, *w_name, *r_name;
    float alphas[6], betas[6];
    size_t nalpha = 0, nbeta = 0, k;
    int any_bias = 0;
    k2onnx__node *n;
    /* Activations per direction, with alpha/beta lists holding entries only for the functions
       that take them. */
    for (d = 0; d < e->ndir; d++) {
        const k2onnx__rnn_spec *sd = e->spec[d];
        const char *names[3];
        names[0] = sd->kind == K2ONNX__RNN ? sd->activation : sd->recurrent_activation;
        names[1] = names[2] = sd->activation;
        for (i = 0; i < nacts; i++) {
            int ha, hb;
            float a = 0, b = 0;
            if (!k2onnx__rnn_activation(cv, names[i], &acts[d * nacts + i], &ha, &a, &hb, &b)) return 0;
            if (ha) alphas[nalpha++] = a;
            if (hb) betas[nbeta++] = b;
        }
        any_bias |= sd->use_bias;
    }
    /* Weights: W [D, G*H, I], R [D, G*H, H], B [D, 2*G*H], streamed from the file. */
    /* Each pointer from add_init is used before the next call: the array may move. */
    if (!(w_name = k2onnx__rnn_matrix(cv, e, "W", 0, e->I, gates, perm, GH)) || !(r_name = k2onnx__rnn_matrix(cv, e, "R", 1, H, gates, perm, GH)))
        return 0;
    if (any_bias) {
        const float *b = k2onnx__rnn_bias(cv, e, GH);
        wd[0] = e->ndir;
        wd[1] = 2 * GH;
        if (!b || !(b_name = k2onnx__init_f32(cv, e->tag ? k2onnx__sprintf(cv->ctx, "%s/B", e->tag) : "B", b, 2, wd))) return 0;
    }
    n = k2onnx__add_node(cv, ops[s->kind], 7, 3);
    if (!n) return 0;
    n->name = k2onnx__rnn_name(cv, e, ops[s->kind]);
    n->inputs[0] = e->x;
    n->inputs[1] = w_name;
    n->inputs[2] = r_name;
    n->inputs[3] = b_name ? b_name : "";
    n->inputs[4] = "";
    n->inputs[5] = e->init_h ? e->init_h : "";
    n->inputs[6] = e->init_c ? e->init_c : "";
    n->ninputs = 7;
    while (n->ninputs > 0 && n->inputs[n->ninputs - 1][0] == '\0') n->ninputs--;
    n->outputs[0] = e->want_y ? k2onnx__rnn_name(cv, e, "Y") : "";
    n->outputs[1] = e->want_h ? k2onnx__rnn_name(cv, e, "Y_h") : "";
    n->outputs[2] = e->want_c ? k2onnx__rnn_name(cv, e, "Y_c") : "";
    if (!n->name || !n->outputs[0] || !n->outputs[1] || !n->outputs[2]) return 0; /* a name's allocation failed */
    n->noutputs = 3;
    while (n->noutputs > 0 && n->outputs[n->noutputs - 1][0] == '\0') n->noutputs--;
    e->y = n->outputs[0];
    e->y_h = n->noutputs > 1 ? n->outputs[1] : "";
    e->y_c = n->noutputs > 2 ? n->outputs[2] : "";
    if (s->kind != K2ONNX__RNN) {
        /* onnxruntime hands the values out in order to the activations that take them and ignores
           the rest; onnx2c wants one per activation. Equal values satisfy both. */
        nalpha = k2onnx__rnn_pad_uniform(alphas, nalpha, nacts * e->ndir);
        nbeta = k2onnx__rnn_pad_uniform(betas, nbeta, nacts * e->ndir);
    }
    if (!k2onnx__rnn_float_list(cv, n, "activation_alpha", alphas, nalpha) ||
        !k2onnx__rnn_float_list(cv, n, "activation_beta", betas, nbeta))
        return 0;
    {
        k2onnx__attr *a = k2onnx__add_attr(cv, n, "activations", K2ONNX__ASTRINGS);
        const char **copy = (const char **)k2onnx__alloc_array(cv->ctx, nacts * e->ndir, sizeof *copy);
        if (!copy) return 0;
        for (k = 0; k < nacts * e->ndir; k++) copy[k] = acts[k];
        a->v.strings = copy;
        a->n = nacts * e->ndir;
    }
    k2onnx__attr_string(cv, n, "direction", e->direction);
    k2onnx__attr_int(cv, n, "hidden_size", H);
    if (s->kind == K2ONNX__GRU) k2onnx__attr_int(cv, n, "linear_before_reset", s->reset_after ? 1 : 0);
    return 1;
}

/* Takes direction d out of a [.., D, ..] output along `axis`: Squeeze when D is 1. */
static const char *k2onnx__rnn_pick(k2onnx__converter *cv, const char *v, unsigned ndir, unsigned d, int64_t axis, const char *what)
{
    const char *idx;
    if (ndir == 1) return k2onnx__squeeze(cv, "Squeeze", v, axis, what);
    idx = k2onnx__const_i64(cv, k2onnx__sprintf(cv->ctx, "%s_index", what), (int64_t)d);
    return idx ? k2onnx__op2_axis(cv, "Gather", v, idx, axis, what) : NULL;
}

/* Reverses a time-major tensor along time (Slice with step -1, opset 10). */
static const char *k2onnx__reverse_time(k2onnx__converter *cv, const char *v, const char *what)
{
    const int64_t start = -1, end = INT64_MIN, axis = 0, step = -1;
    k2onnx__node *n;
    const char *s, *e, *a, *st;
    if (cv->opset < 10) {
        k2onnx__lfail(cv, k2onnx_result_unsupported_model, "go_backwards with return_sequences needs opset 10 or later");
        return NULL;
    }
    s = k2onnx__init_i64(cv, k2onnx__sprintf(cv->ctx, "%s_starts", what), &start, 1);
    e = k2onnx__init_i64(cv, k2onnx__sprintf(cv->ctx, "%s_ends", what), &end, 1);
    a = k2onnx__init_i64(cv, k2onnx__sprintf(cv->ctx, "%s_axes", what), &axis, 1);
    st = k2onnx__init_i64(cv, k2onnx__sprintf(cv->ctx, "%s_steps", what), &step, 1);
    if (!s || !e || !a || !st || !(n = k2onnx__add_node(cv, "Slice", 5, 1))) return NULL;
    n->inputs[0] = v;
    n->inputs[1] = s;
    n->inputs[2] = e;
    n->inputs[3] = a;
    n->inputs[4] = st;
    n->outputs[0] = k2onnx__vname(cv, what);
    n->name = n->outputs[0];
    return n->outputs[0];
}

static void k2onnx__rnn_value(k2onnx__kvalue *v, const k2onnx__kvalue *x, const char *name, int sequences, int time_major, int64_t H)
{
    *v = *x;
    v->name = name;
    if (!sequences) v->mask = NULL;
    if (sequences) {
        v->rank = 3;
        v->dims[2] = H;
        v->params[2] = NULL;
        return;
    }
    v->rank = 2;
    if (time_major) { /* batch is the second axis of a time-major input */
        v->dims[0] = x->dims[1];
        v->params[0] = x->params[1];
    }
    v->dims[1] = H;
    v->params[1] = NULL;
}

/* Initial states for the node: the layer's state inputs as [D, N, H], h then c. */
static int k2onnx__rnn_initial(k2onnx__converter *cv, k2onnx__rnn_emit *e, const k2onnx__kvalue *states, size_t nstates_in, unsigned nstates)
{
    unsigned k, d;
    if (nstates_in != (size_t)e->ndir * nstates) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "wrong number of initial states");
    for (k = 0; k < nstates; k++) {
        const char *parts[2] = {NULL, NULL};
        for (d = 0; d < e->ndir; d++) {
            const k2onnx__kvalue *v = &states[d * nstates + k];
            if (v->rank != 2 || (v->dims[1] >= 0 && v->dims[1] != e->spec[d]->units))
                return k2onnx__lfail(cv, k2onnx_result_invalid_model, "initial state %d must be [batch, %d]", (int)(d * nstates + k),
                                     (int)e->spec[d]->units);
            parts[d] = k2onnx__squeeze(cv, "Unsqueeze", v->name, 0,
                                       k2onnx__sprintf(cv->ctx, "%s%sinitial_%s_%u", e->tag ? e->tag : "", e->tag ? "/" : "", k ? "c" : "h",
                                                       (unsigned long long)d));
            if (!parts[d]) return 0;
        }
        if (e->ndir == 2) {
            k2onnx__node *n = k2onnx__add_node(cv, "Concat", 2, 1);
            if (!n) return 0;
            n->inputs[0] = parts[0];
            n->inputs[1] = parts[1];
            n->outputs[0] = k2onnx__rnn_name(cv, e, k ? "initial_c" : "initial_h");
            n->name = n->outputs[0];
            k2onnx__attr_int(cv, n, "axis", 0);
            parts[0] = n->outputs[0];
        }
        if (k == 0) e->init_h = parts[0];
        else e->init_c = parts[0];
    }
    return 1;
}

/* --state-io: a graph input [batch, H] that feeds a layer's initial state. */
static int k2onnx__state_input(k2onnx__converter *cv, const k2onnx__kvalue *x, int time_major, int64_t H, const char *what, k2onnx__kvalue *v)
{
    k2onnx__rnn_value(v, x, k2onnx__vname(cv, what), 0, time_major, H);
    return v->name && k2onnx__add_graph_value(cv, &cv->g->inputs, &cv->g->ninputs, &cv->g->inputs_cap, v);
}

/* --state-io: a graph output named `<layer>/<what>` holding a final state. */
static int k2onnx__state_output(k2onnx__converter *cv, const k2onnx__kvalue *state, const char *what)
{
    k2onnx__kvalue v = *state;
    k2onnx__node *n = k2onnx__add_node(cv, "Identity", 1, 1);
    if (!n) return 0;
    n->inputs[0] = state->name;
    n->outputs[0] = k2onnx__vname(cv, what);
    n->name = n->outputs[0];
    v.name = n->outputs[0];
    return v.name && k2onnx__add_graph_value(cv, &cv->g->state_outputs, &cv->g->nstate_outputs, &cv->g->state_outputs_cap, &v);
}

/* True when the fused ONNX op has the activation (see k2onnx__rnn_activation). */
static int k2onnx__rnn_act_fusable(const char *act)
{
    static const char *const names[] = {"tanh", "sigmoid", "relu", "softsign", "softplus", "elu", "linear", "hard_sigmoid"};
    size_t i;
    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(act, names[i]) == 0) return 1;
    return 0;
}

static int k2onnx__rnn_fusable(const k2onnx__converter *cv, const k2onnx__rnn_spec *s)
{
    if (cv->ctx->opt.scan_rnn || K2ONNX__UNROLLS(cv->ctx)) return 0;
    return k2onnx__rnn_act_fusable(s->activation) && (s->kind == K2ONNX__RNN || k2onnx__rnn_act_fusable(s->recurrent_activation));
}

/* What a cell run produces, in the fused, Scan and unrolled forms alike. */
typedef struct k2onnx__rnn_result {
    const char *seq;      /* [T, N, H], aligned with the input's time steps; NULL if not asked */
    int seq_final;        /* seq already has the layer's output layout and order (unrolled form) */
    const char *const *steps; /* unrolled form: the T outputs [N, H], aligned with the input */
    const char *h, *c;    /* [N, H] final states */
    const char *last;     /* [N, H] the output of the last step (h, unless masking repeated one) */
} k2onnx__rnn_result;

/* One run of a cell over a sequence, whatever form it takes. */
/* The sequence a cell reads, in the form the cell runs on. */
typedef struct k2onnx__rnn_seq {
    const char *xt;                /* fused and Scan forms: the input, time-major [T, N, I] */
    const char *const *x_steps;    /* unrolled form: the input's T steps [N, I], in time order */
    const char *const *mask_steps; /* unrolled form: the mask's T steps [N, 1], or NULL */
    const char *mask_tm;           /* Scan form: the mask as [T, N, 1], or NULL */
    int64_t I, T, batch;           /* T and batch are -1 when dynamic */
    int time_major;
    int unroll;                    /* the unrolled form (x_steps and mask_steps are set) */
} k2onnx__rnn_seq;

typedef struct k2onnx__rnn_run {
    const k2onnx__rnn_spec *s;
    size_t first_weight;           /* index of the cell's kernel in the layer's weights */
    k2onnx__rnn_seq in;
    const k2onnx__kvalue *init;    /* the layer's initial states [N, H], h then c, or NULL */
    int init_is_state_io;          /* init are --state-io inputs (carried over from a previous run) */
    int mask_mode;                 /* K2ONNX__MASK_*: what a masked step outputs */
    int reverse;                   /* go_backwards: from the last step to the first */
    int processing_order;          /* reverse runs: the sequence in the order the steps ran */
    int want_seq, want_states;
    const char *tag;               /* names the nodes of one of several cells, or NULL */
} k2onnx__rnn_run;

enum { K2ONNX__MASK_REPEAT, K2ONNX__MASK_ZERO, K2ONNX__MASK_STATE };

#ifndef K2ONNX_NO_SCAN_UNROLL
/* Column block `gate` (of H columns) of a Keras weight, rows from row_offset on, as an
   initializer [rows, H] (or [H] for a vector) streamed from the file: a view, not a copy. */
static const char *k2onnx__scan_block(k2onnx__converter *cv, const k2onnx__h5array *w, uint64_t rows, uint64_t cols, unsigned gate,
                                      int64_t H, uint64_t row_offset, int vector, const char *what)
{
    int64_t dims[2];
    k2onnx__initializer *t;
    dims[0] = (int64_t)rows;
    dims[1] = H;
    if (!(t = k2onnx__add_matrix(cv, k2onnx__vname(cv, what), vector ? 1u : 2u, vector ? &dims[1] : dims, 1))) return NULL;
    t->parts[0].src = *w;
    t->parts[0].src.data += (row_offset * cols + gate * (uint64_t)H) * w->elem_size;
    t->parts[0].rows = rows;
    t->parts[0].cols = (uint64_t)H;
    t->parts[0].stride = cols;
    return t->name;
}

static const char *k2onnx__scan_matmul_add(k2onnx__converter *cv, const char *a, const char *w, const char *b, const char *what)
{
    const char *m = k2onnx__op2(cv, "MatMul", a, w, k2onnx__sprintf(cv->ctx, "%s_matmul", what));
    return m && b ? k2onnx__op2(cv, "Add", m, b, what) : m;
}

/* Applies a Keras activation inside the body with names of its own. */
static const char *k2onnx__scan_act(k2onnx__converter *cv, const char *act, const char *x, int64_t H, const char *prefix)
{
    const char *saved = cv->vprefix;
    k2onnx__kvalue in, out;
    memset(&in, 0, sizeof in);
    in.name = x;
    in.elem = K2ONNX__FLOAT;
    in.rank = 2;
    in.dims[0] = -1;
    in.dims[1] = H;
    cv->vprefix = k2onnx__sprintf(cv->ctx, "%s%s_", saved ? saved : "", prefix);
    if (!cv->vprefix || !k2onnx__apply_activation(cv, act, &in, &out)) out.name = NULL;
    cv->vprefix = saved;
    return out.name;
}

/* A [N, width] value of a Scan body; N is named when the batch is dynamic (batch < 0). */
static int k2onnx__scan_value(k2onnx__converter *cv, k2onnx__value_info **arr, size_t *n, size_t *cap, int64_t batch, const char *name, int64_t width)
{
    k2onnx__value_info *v = name ? k2onnx__new_value_info(cv->ctx, arr, n, cap) : NULL;
    if (!v) return 0;
    v->name = name;
    v->elem = K2ONNX__FLOAT;
    v->rank = 2;
    v->dims[0] = batch;
    v->params[0] = batch < 0 ? "N" : NULL;
    v->dims[1] = width;
    return 1;
}

/* Zeros [N, dims...] with N the batch size of a time-major input [T, N, ...]. */
static const char *k2onnx__batch_zeros(k2onnx__converter *cv, const char *xt, int64_t batch_size, const int64_t *dims, unsigned ndims,
                                       const char *what)
{
    const int64_t one = 1;
    const char *shape, *idx, *hs, *batch, *full;
    k2onnx__node *n;
    if (batch_size > 0) {
        /* A known batch: the zeros are a constant, and no shape is computed at run time. */
        int64_t cdims[K2ONNX__MAX_RANK];
        uint64_t count = (uint64_t)batch_size;
        unsigned i;
        float *v;
        cdims[0] = batch_size;
        for (i = 0; i < ndims && i + 1 < K2ONNX__MAX_RANK; i++) {
            cdims[i + 1] = dims[i];
            count *= (uint64_t)dims[i];
        }
        v = (float *)k2onnx__alloc_array(cv->ctx, (size_t)count, sizeof *v);
        return v ? k2onnx__init_f32(cv, what, v, i + 1, cdims) : NULL;
    }
    shape = k2onnx__op1(cv, "Shape", xt, k2onnx__sprintf(cv->ctx, "%s_input_shape", what), NULL);
    idx = k2onnx__init_i64(cv, k2onnx__sprintf(cv->ctx, "%s_batch_axis", what), &one, 1);
    hs = k2onnx__init_i64(cv, k2onnx__sprintf(cv->ctx, "%s_units", what), dims, ndims);
    if (!shape || !idx || !hs || !(n = k2onnx__add_node(cv, "Gather", 2, 1))) return NULL;
    n->inputs[0] = shape;
    n->inputs[1] = idx;
    n->outputs[0] = batch = k2onnx__vname(cv, k2onnx__sprintf(cv->ctx, "%s_batch", what));
    n->name = batch;
    if (!batch || !(n = k2onnx__add_node(cv, "Concat", 2, 1))) return NULL;
    n->inputs[0] = batch;
    n->inputs[1] = hs;
    n->outputs[0] = full = k2onnx__vname(cv, k2onnx__sprintf(cv->ctx, "%s_shape", what));
    n->name = full;
    k2onnx__attr_int(cv, n, "axis", 0);
    return full ? k2onnx__op1(cv, "ConstantOfShape", full, what, NULL) : NULL;
}

/* [N, H] zeros shaped after the batch axis of a time-major input. */
static const char *k2onnx__scan_zeros(k2onnx__converter *cv, const char *xt, int64_t batch, int64_t H, const char *what)
{
    return k2onnx__batch_zeros(cv, xt, batch, &H, 1, what);
}

/* m ? a : b for a 0/1 mask m, as b + m * (a - b). */
static const char *k2onnx__scan_blend(k2onnx__converter *cv, const char *m, const char *a, const char *b, const char *what)
{
    const char *d = k2onnx__op2(cv, "Sub", a, b, k2onnx__sprintf(cv->ctx, "%s_diff", what));
    const char *md = d ? k2onnx__op2(cv, "Mul", m, d, k2onnx__sprintf(cv->ctx, "%s_step", what)) : NULL;
    return md ? k2onnx__op2(cv, "Add", b, md, what) : NULL;
}

/* Starts the body graph of a Scan: nodes now go there, with value names under `prefix`. The
   caller restores cv->g and cv->vprefix when the body is done. */
static k2onnx__graph *k2onnx__begin_body(k2onnx__converter *cv, const char *name, const char *prefix)
{
    k2onnx__graph *body = (k2onnx__graph *)k2onnx__alloc(cv->ctx, sizeof *body);
    const char *vprefix = k2onnx__sprintf(cv->ctx, "%s%s", cv->vprefix ? cv->vprefix : "", prefix);
    if (!body || !vprefix || !(body->name = k2onnx__vname(cv, name))) return NULL;
    body->opset = cv->g->opset;
    body->ir_version = cv->g->ir_version;
    cv->g = body;
    cv->vprefix = vprefix;
    return body;
}

/* The LSTM state update from the activated gates i, f, c~, o: c = f c_prev + i c~, h = o act(c). */
static const char *k2onnx__lstm_update(k2onnx__converter *cv, const char *const act[4], const char *c_prev, const char *activation, int64_t width,
                                       const char **c_new)
{
    const char *fc = k2onnx__op2(cv, "Mul", act[1], c_prev, "f_c");
    const char *ic = k2onnx__op2(cv, "Mul", act[0], act[2], "i_c");
    const char *tc;
    *c_new = fc && ic ? k2onnx__op2(cv, "Add", fc, ic, "c_new") : NULL;
    tc = *c_new ? k2onnx__scan_act(cv, activation, *c_new, width, "cell") : NULL;
    return tc ? k2onnx__op2(cv, "Mul", act[3], tc, "h_new") : NULL;
}

/* The weights of one cell per gate, in Keras gate order: kernels [I, H], recurrent kernels [H, H],
   input and recurrent biases [H] (NULL where the cell has none). */
typedef struct k2onnx__rnn_blocks {
    const char *W[4], *R[4], *BX[4], *BR[4];
} k2onnx__rnn_blocks;

static const char *const k2onnx__gate_names[3][4] = {{"h"}, {"z", "r", "h"}, {"i", "f", "c", "o"}};

/* Cuts a cell's weights into per-gate initializers named `<stem>W_<gate>` and so on. */
static int k2onnx__rnn_blocks_read(k2onnx__converter *cv, const k2onnx__rnn_spec *s, size_t first_weight, int64_t I, const char *stem,
                                   k2onnx__rnn_blocks *b)
{
    const k2onnx__h5array *kw = &cv->layer->weights[first_weight], *rw = &cv->layer->weights[first_weight + 1];
    const k2onnx__h5array *bw = s->use_bias ? &cv->layer->weights[first_weight + 2] : NULL;
    unsigned gates = k2onnx__rnn_gates(s), g;
    int64_t H = s->units;
    uint64_t GH = (uint64_t)gates * (uint64_t)H;
    int two_biases = (s->kind == K2ONNX__GRU && s->reset_after) || s->cudnn; /* input and recurrent biases */
    memset(b, 0, sizeof *b);
    if (!stem) return 0;
    for (g = 0; g < gates; g++) {
        const char *gn = k2onnx__gate_names[s->kind][g];
        b->W[g] = k2onnx__scan_block(cv, kw, (uint64_t)I, GH, g, H, 0, 0, k2onnx__sprintf(cv->ctx, "%sW_%s", stem, gn));
        b->R[g] = k2onnx__scan_block(cv, rw, (uint64_t)H, GH, g, H, 0, 0, k2onnx__sprintf(cv->ctx, "%sR_%s", stem, gn));
        if (!b->W[g] || !b->R[g]) return 0;
        if (bw) {
            b->BX[g] = k2onnx__scan_block(cv, bw, 1, GH, g, H, 0, 1, k2onnx__sprintf(cv->ctx, "%sbx_%s", stem, gn));
            if (!b->BX[g]) return 0;
            if (two_biases && !(b->BR[g] = k2onnx__scan_block(cv, bw, 1, GH, g, H, 1, 1, k2onnx__sprintf(cv->ctx, "%sbr_%s", stem, gn))))
                return 0;
        }
    }
    return 1;
}

/* The values around one step: x, h, c (LSTM), y (the previous output, kept only when masked steps
   repeat it) and m (the step's mask [N, 1], or NULL) going in; h, c and y coming out. */
typedef struct k2onnx__rnn_step_io {
    const char *x, *h, *c, *y, *m;
} k2onnx__rnn_step_io;

/* One Keras step written with primitive ops, value names under cv->vprefix (a Scan body, or one
   step of the unrolled form). */
static int k2onnx__rnn_step(k2onnx__converter *cv, const k2onnx__rnn_spec *s, const k2onnx__rnn_blocks *b, int mask_mode,
                            const k2onnx__rnn_step_io *in, k2onnx__rnn_step_io *out)
{
    int64_t H = s->units;
    unsigned g, lstm = s->kind == K2ONNX__LSTM;
    const char *h_new = NULL, *c_new = NULL, *y_t;
    memset(out, 0, sizeof *out);
    if (s->kind == K2ONNX__RNN) {
        const char *xw = k2onnx__scan_matmul_add(cv, in->x, b->W[0], b->BX[0], "xw");
        const char *hr = k2onnx__scan_matmul_add(cv, in->h, b->R[0], b->BR[0], "hr");
        const char *sum = xw && hr ? k2onnx__op2(cv, "Add", xw, hr, "pre") : NULL;
        h_new = sum ? k2onnx__scan_act(cv, s->activation, sum, H, "h") : NULL;
    } else if (lstm) {
        const char *act[4];
        for (g = 0; g < 4; g++) {
            const char *gn = k2onnx__gate_names[2][g];
            const char *xw = k2onnx__scan_matmul_add(cv, in->x, b->W[g], b->BX[g], k2onnx__sprintf(cv->ctx, "x_%s", gn));
            const char *hr = k2onnx__scan_matmul_add(cv, in->h, b->R[g], b->BR[g], k2onnx__sprintf(cv->ctx, "h_%s", gn));
            const char *sum = xw && hr ? k2onnx__op2(cv, "Add", xw, hr, k2onnx__sprintf(cv->ctx, "pre_%s", gn)) : NULL;
            act[g] = sum ? k2onnx__scan_act(cv, g == 2 ? s->activation : s->recurrent_activation, sum, H, gn) : NULL;
            if (!act[g]) return 0;
        }
        h_new = k2onnx__lstm_update(cv, act, in->c, s->activation, H, &c_new);
    } else {
        /* GRU: z, r from x and h; the candidate sees r * h (or r * (h R + b) after reset). */
        const char *zr[2], *hh, *cand_h;
        for (g = 0; g < 2; g++) {
            const char *gn = k2onnx__gate_names[1][g];
            const char *xw = k2onnx__scan_matmul_add(cv, in->x, b->W[g], b->BX[g], k2onnx__sprintf(cv->ctx, "x_%s", gn));
            const char *hr = k2onnx__scan_matmul_add(cv, in->h, b->R[g], b->BR[g], k2onnx__sprintf(cv->ctx, "h_%s", gn));
            const char *sum = xw && hr ? k2onnx__op2(cv, "Add", xw, hr, k2onnx__sprintf(cv->ctx, "pre_%s", gn)) : NULL;
            zr[g] = sum ? k2onnx__scan_act(cv, s->recurrent_activation, sum, H, gn) : NULL;
            if (!zr[g]) return 0;
        }
        {
            const char *xh = k2onnx__scan_matmul_add(cv, in->x, b->W[2], b->BX[2], "x_h");
            if (s->reset_after) {
                const char *hr = k2onnx__scan_matmul_add(cv, in->h, b->R[2], b->BR[2], "h_h");
                cand_h = hr ? k2onnx__op2(cv, "Mul", zr[1], hr, "r_h") : NULL;
            } else {
                const char *rh = k2onnx__op2(cv, "Mul", zr[1], in->h, "r_hprev");
                cand_h = rh ? k2onnx__op2(cv, "MatMul", rh, b->R[2], "r_h") : NULL;
            }
            hh = xh && cand_h ? k2onnx__op2(cv, "Add", xh, cand_h, "pre_h") : NULL;
            hh = hh ? k2onnx__scan_act(cv, s->activation, hh, H, "h") : NULL;
            /* h = z * h_prev + (1 - z) * hh = hh + z * (h_prev - hh) */
            {
                const char *d = hh ? k2onnx__op2(cv, "Sub", in->h, hh, "hprev_minus_cand") : NULL;
                const char *zd = d ? k2onnx__op2(cv, "Mul", zr[0], d, "z_diff") : NULL;
                h_new = zd ? k2onnx__op2(cv, "Add", hh, zd, "h_new") : NULL;
            }
        }
    }
    if (!h_new) return 0;
    if (in->m) {
        /* Masked steps keep the states, and repeat the previous output or give zeros. */
        const char *cand = h_new;
        h_new = k2onnx__scan_blend(cv, in->m, cand, in->h, "h_masked");
        if (lstm && c_new) c_new = k2onnx__scan_blend(cv, in->m, c_new, in->c, "c_masked");
        if (mask_mode == K2ONNX__MASK_ZERO) y_t = k2onnx__op2(cv, "Mul", in->m, cand, "y_masked");
        else if (in->y) y_t = k2onnx__scan_blend(cv, in->m, cand, in->y, "y_masked");
        else y_t = h_new;
        if (!h_new || (lstm && !c_new) || !y_t) return 0;
    } else {
        y_t = h_new;
    }
    out->h = h_new;
    out->c = c_new;
    out->y = y_t;
    return 1;
}

/* A cell whose activations the fused ops lack: the Keras step written out with primitive ops
   in the body of an ONNX Scan over the time axis (works for static and dynamic lengths). */
static int k2onnx__rnn_scan(k2onnx__converter *cv, const k2onnx__rnn_run *r, k2onnx__rnn_result *res)
{
    const k2onnx__rnn_spec *s = r->s;
    unsigned lstm = s->kind == K2ONNX__LSTM;
    int64_t H = s->units;
    const char *pre = r->tag ? k2onnx__sprintf(cv->ctx, "%s/", r->tag) : "";
    const char *saved_prefix = cv->vprefix, *y_t, *y0 = NULL;
    const char *init_h = r->init ? r->init[0].name : NULL, *init_c = r->init && lstm ? r->init[1].name : NULL;
    /* Masked steps repeat the previous output (kept as a state of its own), give zeros, or, in
       Keras before 2.3, give the h state. The last output of a zero-filled run without its
       sequence is kept the same way (zeros when the last step is masked). */
    int keep_y = r->in.mask_tm && (r->mask_mode == K2ONNX__MASK_REPEAT || (r->mask_mode == K2ONNX__MASK_ZERO && !r->want_seq));
    unsigned nstate;
    k2onnx__rnn_blocks b;
    k2onnx__rnn_step_io in, out;
    k2onnx__graph *body, *outer = cv->g;
    k2onnx__node *n;
    if (cv->opset < 9) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "%s needs opset 9 or later (ONNX Scan), or a known number of time steps to unroll",
                                              r->in.mask_tm ? "masking" : r->processing_order ? "go_backwards" :
                                              k2onnx__sprintf(cv->ctx, "activation '%s'", k2onnx__rnn_act_fusable(s->activation) ? s->recurrent_activation : s->activation));
    /* Weights per gate, in Keras gate order, in the outer graph. */
    if (!k2onnx__rnn_blocks_read(cv, s, r->first_weight, r->in.I, k2onnx__sprintf(cv->ctx, "%sscan_", pre), &b)) return 0;
    if (!init_h && !(init_h = k2onnx__scan_zeros(cv, r->in.xt, r->in.batch, H, k2onnx__sprintf(cv->ctx, "%sscan_h0", pre)))) return 0;
    if (lstm && !init_c && !(init_c = k2onnx__scan_zeros(cv, r->in.xt, r->in.batch, H, k2onnx__sprintf(cv->ctx, "%sscan_c0", pre)))) return 0;
    if (keep_y && !(y0 = k2onnx__scan_zeros(cv, r->in.xt, r->in.batch, H, k2onnx__sprintf(cv->ctx, "%sscan_y0", pre)))) return 0;

    /* The body: (h_prev[, c_prev][, y_prev], x_t[, mask_t]) -> (h_new[, c_new][, y_state], y_t). */
    if (!(body = k2onnx__begin_body(cv, k2onnx__sprintf(cv->ctx, "%sscan_body", pre), k2onnx__sprintf(cv->ctx, "%sscan/", pre)))) return 0;
    memset(&in, 0, sizeof in);
    in.h = k2onnx__vname(cv, "h_prev");
    if (lstm) in.c = k2onnx__vname(cv, "c_prev");
    if (keep_y) in.y = k2onnx__vname(cv, "y_prev");
    in.x = k2onnx__vname(cv, "x_t");
    if (r->in.mask_tm) in.m = k2onnx__vname(cv, "mask_t");
    if (!k2onnx__scan_value(cv, &body->inputs, &body->ninputs, &body->inputs_cap, r->in.batch, in.h, H) ||
        (lstm && !k2onnx__scan_value(cv, &body->inputs, &body->ninputs, &body->inputs_cap, r->in.batch, in.c, H)) ||
        (keep_y && !k2onnx__scan_value(cv, &body->inputs, &body->ninputs, &body->inputs_cap, r->in.batch, in.y, H)) ||
        !k2onnx__scan_value(cv, &body->inputs, &body->ninputs, &body->inputs_cap, r->in.batch, in.x, r->in.I) ||
        (in.m && !k2onnx__scan_value(cv, &body->inputs, &body->ninputs, &body->inputs_cap, r->in.batch, in.m, 1)))
        goto fail;
    if (!k2onnx__rnn_step(cv, s, &b, r->mask_mode, &in, &out)) goto fail;
    if (!(y_t = k2onnx__op1(cv, "Identity", out.y, "y_t", NULL))) goto fail;
    if (!k2onnx__scan_value(cv, &body->outputs, &body->noutputs, &body->outputs_cap, r->in.batch, out.h, H) ||
        (lstm && !k2onnx__scan_value(cv, &body->outputs, &body->noutputs, &body->outputs_cap, r->in.batch, out.c, H)) ||
        (keep_y && !k2onnx__scan_value(cv, &body->outputs, &body->noutputs, &body->outputs_cap,
                                       r->in.batch, k2onnx__op1(cv, "Identity", y_t, "y_state", NULL), H)) ||
        !k2onnx__scan_value(cv, &body->outputs, &body->noutputs, &body->outputs_cap, r->in.batch, y_t, H))
        goto fail;
    cv->g = outer;
    cv->vprefix = saved_prefix;

    n = k2onnx__add_node(cv, "Scan", 5, 4);
    if (!n) return 0;
    n->name = k2onnx__vname(cv, k2onnx__sprintf(cv->ctx, "%sScan", pre));
    nstate = 0;
    n->inputs[nstate] = init_h;
    res->h = n->outputs[nstate++] = k2onnx__vname(cv, k2onnx__sprintf(cv->ctx, "%sscan_h", pre));
    if (lstm) {
        n->inputs[nstate] = init_c;
        res->c = n->outputs[nstate++] = k2onnx__vname(cv, k2onnx__sprintf(cv->ctx, "%sscan_c", pre));
    }
    res->last = res->h;
    if (keep_y) {
        n->inputs[nstate] = y0;
        res->last = n->outputs[nstate++] = k2onnx__vname(cv, k2onnx__sprintf(cv->ctx, "%sscan_last_output", pre));
    }
    n->inputs[nstate] = r->in.xt;
    n->ninputs = nstate + 1;
    if (r->in.mask_tm) n->inputs[n->ninputs++] = r->in.mask_tm;
    res->seq = n->outputs[nstate] = k2onnx__vname(cv, k2onnx__sprintf(cv->ctx, "%sscan_sequence", pre));
    n->noutputs = nstate + 1;
    {
        k2onnx__attr *a = k2onnx__add_attr(cv, n, "body", K2ONNX__AGRAPH);
        a->v.graph = body;
    }
    k2onnx__attr_int(cv, n, "num_scan_inputs", r->in.mask_tm ? 2 : 1);
    if (r->reverse) {
        /* Run from the last step, but stack outputs at their input positions like the fused op. */
        static const int64_t one[2] = {1, 1};
        if (!k2onnx__attr_ints(cv, n, "scan_input_directions", one, r->in.mask_tm ? 2 : 1) ||
            (!r->processing_order && !k2onnx__attr_ints(cv, n, "scan_output_directions", one, 1)))
            return 0;
    }
    return res->h && res->seq && (!lstm || res->c);
fail:
    cv->g = outer;
    cv->vprefix = saved_prefix;
    return 0;
}

/* --- the unrolled form: every step written out, for runtimes without loops or fused cells --- */

/* Row t of the T x T identity as a [1, T] initializer; one per (T, t), shared by every layer. */
static const char *k2onnx__unroll_selector(k2onnx__converter *cv, int64_t T, int64_t t)
{
    const char *name = k2onnx__sprintf(cv->ctx, "unroll/select_%u_of_%u", (unsigned long long)t, (unsigned long long)T);
    int64_t dims[2];
    k2onnx__initializer *init;
    float *v;
    size_t i;
    if (!name) return NULL;
    for (i = 0; i < cv->g->ninits; i++)
        if (strcmp(cv->g->inits[i]->name, name) == 0) return cv->g->inits[i]->name;
    if (!(v = (float *)k2onnx__alloc_array(cv->ctx, (size_t)T, sizeof *v))) return NULL;
    v[t] = 1.0f;
    dims[0] = 1;
    dims[1] = T;
    if (!(init = k2onnx__add_init(cv, name, K2ONNX__FLOAT, 2, dims))) return NULL;
    init->kind = K2ONNX__INIT_F32;
    init->f32 = v;
    return init->name;
}

/* The T steps of a sequence, each reshaped to `step` (rank `nstep`, -1 for a dynamic batch), in
   time order. The time axis goes first and the rest is flattened, [T, N*...], so that a MatMul
   with a one-hot row picks a step: runtimes for small devices often lack Gather, Slice and Split.
   One step is just a Reshape. `v` is [N, T, ...] (rank `rank`: 2 for a mask [N, T]), or time-major
   [T, N, ...] when time_major. */
static const char **k2onnx__unroll_steps(k2onnx__converter *cv, const char *v, unsigned rank, int time_major, int64_t T, const int64_t *step,
                                          unsigned nstep, const char *what)
{
    const char **steps = (const char **)k2onnx__alloc_array(cv->ctx, (size_t)T, sizeof *steps);
    int64_t flat[2], t;
    unsigned i;
    const char *step_shape = k2onnx__init_i64(cv, k2onnx__sprintf(cv->ctx, "%s_step_shape", what), step, nstep), *flat_shape, *fv;
    if (!steps || !step_shape) return NULL;
    if (T == 1) {
        steps[0] = k2onnx__op2(cv, "Reshape", v, step_shape, k2onnx__sprintf(cv->ctx, "%s_0", what));
        return steps[0] ? steps : NULL;
    }
    if (!time_major) {
        int64_t perm[K2ONNX__MAX_RANK];
        for (i = 0; i < rank; i++) perm[i] = i == 0 ? 1 : i == 1 ? 0 : (int64_t)i;
        v = k2onnx__transpose(cv, v, perm, rank, k2onnx__sprintf(cv->ctx, "%s_time_major", what));
    }
    flat[0] = T;
    flat[1] = 1;
    for (i = 0; i < nstep; i++) flat[1] = step[i] < 0 || flat[1] < 0 ? -1 : flat[1] * step[i];
    flat_shape = k2onnx__init_i64(cv, k2onnx__sprintf(cv->ctx, "%s_flat_shape", what), flat, 2);
    fv = v && flat_shape ? k2onnx__op2(cv, "Reshape", v, flat_shape, k2onnx__sprintf(cv->ctx, "%s_flat", what)) : NULL;
    if (!fv) return NULL;
    for (t = 0; t < T; t++) {
        const char *sel = k2onnx__unroll_selector(cv, T, t);
        const char *row = sel ? k2onnx__op2(cv, "MatMul", sel, fv, k2onnx__sprintf(cv->ctx, "%s_%u_row", what, (unsigned long long)t)) : NULL;
        if (!row || !(steps[t] = k2onnx__op2(cv, "Reshape", row, step_shape, k2onnx__sprintf(cv->ctx, "%s_%u", what, (unsigned long long)t))))
            return NULL;
    }
    return steps;
}

/* The steps of an [N, T, W] sequence (time-major [T, N, W]) or an [N, T] mask (W = 1) as [N, W]. */
static const char **k2onnx__unroll_rows(k2onnx__converter *cv, const char *v, unsigned rank, int time_major, int64_t T, int64_t N, int64_t W,
                                         const char *what)
{
    int64_t step[2];
    step[0] = N > 0 ? N : -1;
    step[1] = W;
    return k2onnx__unroll_steps(cv, v, rank, time_major, T, step, 2, what);
}

/* T values [N, H] stacked along `axis` (0: [T, N, H], 1: [N, T, H]). Reshape rather than
   Unsqueeze, which some runtimes have only in its opset 13 form. */
static const char *k2onnx__unroll_stack(k2onnx__converter *cv, const char *const *ys, int64_t T, int64_t N, int64_t H, int64_t axis, const char *what)
{
    const char **parts = (const char **)k2onnx__alloc_array(cv->ctx, (size_t)T, sizeof *parts);
    int64_t shape[3];
    const char *part_shape;
    k2onnx__node *n;
    int64_t t;
    shape[0] = axis == 0 ? 1 : N > 0 ? N : -1;
    shape[1] = axis == 0 ? (N > 0 ? N : -1) : 1;
    shape[2] = H;
    part_shape = k2onnx__init_i64(cv, k2onnx__sprintf(cv->ctx, "%s_step_shape", what), shape, 3);
    if (!parts || !part_shape) return NULL;
    if (T == 1) return k2onnx__op2(cv, "Reshape", ys[0], part_shape, what);
    for (t = 0; t < T; t++)
        if (!(parts[t] = k2onnx__op2(cv, "Reshape", ys[t], part_shape, k2onnx__sprintf(cv->ctx, "%s_%u", what, (unsigned long long)t))))
            return NULL;
    if (!(n = k2onnx__add_node(cv, "Concat", (size_t)T, 1))) return NULL;
    for (t = 0; t < T; t++) n->inputs[t] = parts[t];
    n->outputs[0] = n->name = k2onnx__vname(cv, what);
    k2onnx__attr_int(cv, n, "axis", axis);
    return n->outputs[0];
}

/* Zero states [N, H] as a constant ([1, H], broadcast, when the batch is dynamic): no Shape or
   ConstantOfShape at run time. */
static const char *k2onnx__unroll_zeros(k2onnx__converter *cv, int64_t N, int64_t H, const char *what)
{
    int64_t dims[2];
    float *v;
    dims[0] = N > 0 ? N : 1;
    dims[1] = H;
    v = (float *)k2onnx__alloc_array(cv->ctx, (size_t)(dims[0] * H), sizeof *v);
    return v ? k2onnx__init_f32(cv, what, v, 2, dims) : NULL;
}

/* The cell's T steps written out one after the other, each step's nodes named `step_<t>/...`;
   the weights are initializers that every step shares. */
static int k2onnx__rnn_unroll(k2onnx__converter *cv, const k2onnx__rnn_run *r, k2onnx__rnn_result *res)
{
    const k2onnx__rnn_spec *s = r->s;
    unsigned lstm = s->kind == K2ONNX__LSTM;
    int64_t T = r->in.T, k;
    const char *pre = r->tag ? k2onnx__sprintf(cv->ctx, "%s/", r->tag) : "", *saved_prefix = cv->vprefix, *zeros = NULL;
    int repeat = r->in.mask_steps && r->mask_mode == K2ONNX__MASK_REPEAT;
    const char **ys;
    k2onnx__rnn_blocks b;
    k2onnx__rnn_step_io in, out;
    memset(&in, 0, sizeof in);
    memset(&out, 0, sizeof out);
    if (!(ys = (const char **)k2onnx__alloc_array(cv->ctx, (size_t)T, sizeof *ys))) return 0;
    if (!k2onnx__rnn_blocks_read(cv, s, r->first_weight, r->in.I, pre, &b)) return 0;
    if ((!r->init || (repeat && !r->init_is_state_io)) && !(zeros = k2onnx__unroll_zeros(cv, r->in.batch, s->units, k2onnx__sprintf(cv->ctx, "%szeros", pre))))
        return 0;
    in.h = r->init ? r->init[0].name : zeros;
    if (lstm) in.c = r->init ? r->init[1].name : zeros;
    /* Masked steps repeat the previous output: zeros before the first step, as in Keras, or the
       carried h state when the states come from --state-io inputs (the previous piece's output). */
    if (repeat) in.y = r->init_is_state_io ? in.h : zeros;
    for (k = 0; k < T; k++) {
        int64_t t = r->reverse ? T - 1 - k : k;
        int ok;
        in.x = r->in.x_steps[t];
        in.m = r->in.mask_steps ? r->in.mask_steps[t] : NULL;
        cv->vprefix = k2onnx__sprintf(cv->ctx, "%s%sstep_%u/", saved_prefix ? saved_prefix : "", pre, (unsigned long long)t);
        ok = cv->vprefix && k2onnx__rnn_step(cv, s, &b, r->mask_mode, &in, &out);
        cv->vprefix = saved_prefix;
        if (!ok) return 0;
        ys[r->processing_order ? k : t] = out.y;
        in.h = out.h;
        in.c = out.c;
        if (repeat) in.y = out.y;
    }
    res->h = out.h;
    res->c = out.c;
    res->last = out.y;
    res->steps = ys;
    if (r->want_seq) {
        res->seq_final = 1;
        if (!(res->seq = k2onnx__unroll_stack(cv, ys, T, r->in.batch, s->units, r->in.time_major ? 0 : 1, k2onnx__sprintf(cv->ctx, "%ssequence", pre)))) return 0;
    }
    return 1;
}

#endif

/* A [N, T] mask as the Scan input [T, N, 1]. */
static const char *k2onnx__mask_time_major(k2onnx__converter *cv, const char *mask, const char *what)
{
    const int64_t perm[2] = {1, 0};
    const char *t = k2onnx__transpose(cv, mask, perm, 2, k2onnx__sprintf(cv->ctx, "%s_transposed", what));
    return t ? k2onnx__squeeze(cv, "Unsqueeze", t, 2, k2onnx__sprintf(cv->ctx, "%s_time_major", what)) : NULL;
}

/* Keras' sequence output from a time-major [T, N, H] sequence aligned with the input: in
   processing order when the layer ran backwards, batch-major unless the layer is time-major. */
static const char *k2onnx__rnn_finish_seq(k2onnx__converter *cv, const char *seq, int reverse, int time_major, const char *what)
{
    const int64_t to_batch_major[3] = {1, 0, 2};
    const char *y = seq;
    if (y && reverse) y = k2onnx__reverse_time(cv, y, k2onnx__sprintf(cv->ctx, "%s_reversed", what));
    if (y && !time_major) y = k2onnx__transpose(cv, y, to_batch_major, 3, what);
    return y;
}

/* Whether a layer is unrolled: with --unroll, and before opset 9 (no Scan) when it needs the
   Scan form and its length is known. */
static int k2onnx__rnn_unrolls(const k2onnx__converter *cv, int needs_scan, int64_t T)
{
    return K2ONNX__UNROLLS(cv->ctx) || (needs_scan && !cv->ctx->opt.scan_rnn && cv->opset < 9 && T > 0);
}

/* Runs one cell: unrolled with --unroll; fused when ONNX has its activations; else as a Scan. */
static int k2onnx__rnn_run_cell(k2onnx__converter *cv, const k2onnx__rnn_run *r, k2onnx__rnn_result *res)
{
    const k2onnx__rnn_spec *s = r->s;
    const char *pre = r->tag ? k2onnx__sprintf(cv->ctx, "%s/", r->tag) : "";
    unsigned nstates = k2onnx__rnn_states(s);
    memset(res, 0, sizeof *res);
    if (!k2onnx__rnn_check_weights(cv, s, r->first_weight, r->in.I)) return 0;
#ifdef K2ONNX_NO_SCAN_UNROLL
    if (r->in.unroll || !k2onnx__rnn_fusable(cv, s) || r->in.mask_tm || r->processing_order)
        return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "%s", r->in.unroll ? "the unrolled form is left out of this build (K2ONNX_NO_SCAN_UNROLL)"
                             : "needs the Scan form (masks, activations the fused op lacks, or a sequence in processing order), which is left out of this build (K2ONNX_NO_SCAN_UNROLL)");
#else
    if (r->in.unroll) return k2onnx__rnn_unroll(cv, r, res);
    /* Masks need per-step blending, which only the Scan form can do; so does a sequence wanted
       in processing order (reversing it takes opset 10). */
    if (!k2onnx__rnn_fusable(cv, s) || r->in.mask_tm || r->processing_order) return k2onnx__rnn_scan(cv, r, res);
#endif
    {
        k2onnx__rnn_emit e;
        memset(&e, 0, sizeof e);
        e.spec[0] = s;
        e.first_weight[0] = r->first_weight;
        e.ndir = 1;
        e.direction = r->reverse ? "reverse" : "forward";
        e.x = r->in.xt;
        e.I = r->in.I;
        e.tag = r->tag;
        e.want_y = r->want_seq;
        e.want_h = r->want_states || !r->want_seq;
        e.want_c = nstates == 2 && r->want_states;
        if (r->init && !k2onnx__rnn_initial(cv, &e, r->init, nstates, nstates)) return 0;
        if (!k2onnx__rnn_emit_node(cv, &e)) return 0;
        if (r->want_seq && !(res->seq = k2onnx__squeeze(cv, "Squeeze", e.y, 1, k2onnx__sprintf(cv->ctx, "%ssequences_time_major", pre)))) return 0;
        if (e.want_h && !(res->h = k2onnx__squeeze(cv, "Squeeze", e.y_h, 0, k2onnx__sprintf(cv->ctx, "%slast_h", pre)))) return 0;
        if (e.want_c && !(res->c = k2onnx__squeeze(cv, "Squeeze", e.y_c, 0, k2onnx__sprintf(cv->ctx, "%slast_c", pre)))) return 0;
        res->last = res->h;
    }
    return 1;
}

/* Where cell c's initial states start among the layer's: state_at in cell order; StackedRNNCells
   with reverse_state_order (Keras before 2.2.3) take them last cell first. */
static unsigned k2onnx__stacked_state_at(const k2onnx__rnn_layer *L, unsigned c, unsigned state_at, int from_keras)
{
    unsigned k, at = 0;
    if (!from_keras || !L->reverse_state_order) return state_at;
    for (k = L->ncells; k-- > c + 1;) at += k2onnx__rnn_states(&L->cells[k]);
    return at;
}

/* --state-io: the layer's initial states as new graph inputs `[cell_<c>/]h0`, `c0`. */
static const k2onnx__kvalue *k2onnx__rnn_state_inputs(k2onnx__converter *cv, const k2onnx__rnn_layer *L, const k2onnx__kvalue *x, unsigned nstates)
{
    k2onnx__kvalue *sv = (k2onnx__kvalue *)k2onnx__alloc_array(cv->ctx, nstates, sizeof *sv);
    unsigned c, k;
    if (!sv) return NULL;
    for (c = 0, k = 0; c < L->ncells; c++) {
        const char *prefix = L->ncells > 1 ? k2onnx__sprintf(cv->ctx, "cell_%u/", (unsigned long long)c) : "";
        if (!k2onnx__state_input(cv, x, L->time_major, L->cells[c].units, k2onnx__sprintf(cv->ctx, "%sh0", prefix), &sv[k++])) return NULL;
        if (L->cells[c].kind == K2ONNX__LSTM &&
            !k2onnx__state_input(cv, x, L->time_major, L->cells[c].units, k2onnx__sprintf(cv->ctx, "%sc0", prefix), &sv[k++]))
            return NULL;
    }
    return sv;
}

/* The layer's outputs from its cells' runs rr: the sequence or the last output, then with
   return_state the `nstates` final states; with --state-io also the final states as graph
   outputs `[cell_<c>/]h_n`, `c_n`. */
static int k2onnx__rnn_layer_outputs(k2onnx__converter *cv, const k2onnx__rnn_layer *L, const k2onnx__kvalue *x, const k2onnx__rnn_result *rr,
                                     int early_order, unsigned nstates, int state_io, k2onnx__kvalue **out, size_t *nout)
{
    unsigned c = L->ncells - 1, k;
    if (!k2onnx__outputs(cv, out, nout, 1 + nstates)) return 0;
    if (L->return_sequences) {
        const char *y = rr[c].seq_final ? rr[c].seq : k2onnx__rnn_finish_seq(cv, rr[c].seq, L->go_backwards && !early_order, L->time_major, "sequences");
        if (!y) return 0;
        /* The sequence keeps the input's mask as it is, even after go_backwards, as in Keras. */
        k2onnx__rnn_value(&(*out)[0], x, y, 1, L->time_major, L->cells[c].units);
    } else {
        k2onnx__rnn_value(&(*out)[0], x, rr[c].last, 0, L->time_major, L->cells[c].units);
    }
    if (L->return_state) {
        size_t o = 1;
        for (k = 0; k < L->ncells; k++) {
            unsigned cell = L->reverse_state_order ? L->ncells - 1 - k : k;
            const k2onnx__rnn_spec *s = &L->cells[cell];
            k2onnx__rnn_value(&(*out)[o++], x, rr[cell].h, 0, L->time_major, s->units);
            if (s->kind == K2ONNX__LSTM) k2onnx__rnn_value(&(*out)[o++], x, rr[cell].c, 0, L->time_major, s->units);
        }
    }
    for (c = 0; state_io && c < L->ncells; c++) {
        const char *prefix = L->ncells > 1 ? k2onnx__sprintf(cv->ctx, "cell_%u/", (unsigned long long)c) : "";
        k2onnx__kvalue v;
        k2onnx__rnn_value(&v, x, rr[c].h, 0, L->time_major, L->cells[c].units);
        if (!k2onnx__state_output(cv, &v, k2onnx__sprintf(cv->ctx, "%sh_n", prefix))) return 0;
        if (L->cells[c].kind != K2ONNX__LSTM) continue;
        v.name = rr[c].c;
        if (!k2onnx__state_output(cv, &v, k2onnx__sprintf(cv->ctx, "%sc_n", prefix))) return 0;
    }
    return 1;
}

/* The input x [N, T, I] (or [T, N, I]) in the form the cells run on: its steps when unrolled,
   else time-major, with its mask likewise. */
static int k2onnx__rnn_seq_of(k2onnx__converter *cv, const k2onnx__kvalue *x, int time_major, int unroll, k2onnx__rnn_seq *q)
{
    const int64_t to_time_major[3] = {1, 0, 2};
    memset(q, 0, sizeof *q);
    q->I = x->dims[2];
    q->T = x->dims[time_major ? 0 : 1];
    q->batch = x->dims[time_major ? 1 : 0];
    q->time_major = time_major;
    q->unroll = unroll;
#ifndef K2ONNX_NO_SCAN_UNROLL
    if (unroll) {
        if (!(q->x_steps = k2onnx__unroll_rows(cv, x->name, 3, time_major, q->T, q->batch, q->I, "x"))) return 0;
        return !x->mask || (q->mask_steps = k2onnx__unroll_rows(cv, x->mask, 2, 0, q->T, q->batch, 1, "mask")) != NULL;
    }
#endif
    if (!(q->xt = time_major ? x->name : k2onnx__transpose(cv, x->name, to_time_major, 3, "X_time_major"))) return 0;
    return !x->mask || (q->mask_tm = k2onnx__mask_time_major(cv, x->mask, "mask")) != NULL;
}

/* SimpleRNN, GRU, LSTM, CuDNNGRU, CuDNNLSTM and RNN(cell or StackedRNNCells). */
static int k2onnx__map_recurrent(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    k2onnx__rnn_layer L;
    const k2onnx__kvalue *x = &in[0], *states = nin > 1 ? in + 1 : NULL;
    k2onnx__rnn_seq seq;
    k2onnx__rnn_result *rr;
    unsigned c, nstates_total = 0, k, state_at = 0;
    size_t weight = 0;
    int state_io = cv->ctx->opt.state_io; /* inputs only where Keras gives no initial_state */
    /* a layer created with zero_output_for_mask=True (the key is written only then) */
    int zero_output = k2onnx__jbool(cv->layer->config, "zero_output_for_mask", 0);
    int unroll, needs_scan;
    int early_order;                  /* the Scan before opset 10, and the unrolled form, emit the reversed order themselves */
    if (!k2onnx__rnn_layer_read(cv, cv->layer->cls, cv->layer->config, &L)) return 0;
    needs_scan = x->mask != NULL || (L.go_backwards && L.return_sequences && cv->opset < 10);
    for (c = 0; c < L.ncells; c++) needs_scan |= !k2onnx__rnn_fusable(cv, &L.cells[c]);
    unroll = k2onnx__rnn_unrolls(cv, needs_scan, x->rank == 3 ? x->dims[L.time_major ? 0 : 1] : -1);
    early_order = L.go_backwards && L.return_sequences && (cv->opset < 10 || unroll);
    if (k2onnx__jbool(cv->layer->config, "stateful", 0) && !state_io)
        k2onnx__lwarn(cv, "stateful=true is converted as a stateless layer starting from zero states; options.state_io carries the states");
    for (c = 0; c < L.ncells; c++) nstates_total += k2onnx__rnn_states(&L.cells[c]);
    if (nin != 1 && nin != 1 + nstates_total)
        return k2onnx__lfail(cv, k2onnx_result_invalid_model, "expects the input plus 0 or %d initial state tensors, got %d inputs",
                             (int)nstates_total, (int)nin);
    if (x->rank != 3 || x->dims[2] < 0) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "input must be [batch, time, features] with known features");
    for (k = 1; k < nin; k++)
        if (in[k].rank != 2) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "initial state %d must be [batch, units]", (int)k - 1);
    if (!k2onnx__kweights(cv->m, cv->layer)) return 0;
    if (L.ncells == 1) {
        const k2onnx__rnn_spec *one = &L.cells[0];
        if (!k2onnx__rnn_keras1_weights(cv, &one, 1, x->dims[2])) return 0;
    }
    {
        size_t want = 0;
        for (c = 0; c < L.ncells; c++) want += k2onnx__rnn_nweights(&L.cells[c]);
        if (cv->layer->nweights != want)
            return k2onnx__lfail(cv, k2onnx_result_invalid_model, "expected %d weights, the file has %d", (int)want, (int)cv->layer->nweights);
    }
    rr = (k2onnx__rnn_result *)k2onnx__alloc_array(cv->ctx, L.ncells, sizeof *rr);
    if (!rr) return 0;
    if (unroll && x->dims[L.time_major ? 0 : 1] < 1) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "options.unroll needs a known number of time steps: give options.steps");
    if (state_io && !states && !(states = k2onnx__rnn_state_inputs(cv, &L, x, nstates_total))) return 0;
    if (x->mask && L.time_major) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "a mask with time_major=true is not supported");
    if (!k2onnx__rnn_seq_of(cv, x, L.time_major, unroll, &seq)) return 0;
    /* Stacked cells run as a chain, each feeding its sequence to the next. */
    for (c = 0; c < L.ncells; c++) {
        const k2onnx__rnn_spec *s = &L.cells[c];
        int last = c + 1 == L.ncells;
        k2onnx__rnn_run r;
        memset(&r, 0, sizeof r);
        r.s = s;
        r.first_weight = weight;
        r.in = seq;
        r.init = states ? states + k2onnx__stacked_state_at(&L, c, state_at, nin > 1) : NULL;
        r.init_is_state_io = state_io && nin == 1;
        r.mask_mode = cv->m->legacy_mask ? K2ONNX__MASK_STATE : zero_output ? K2ONNX__MASK_ZERO : K2ONNX__MASK_REPEAT;
        r.reverse = L.go_backwards;
        r.processing_order = last && early_order;
        /* The unrolled form hands its steps to the next cell; others pass a whole sequence. */
        r.want_seq = (!last && !unroll) || (last && L.return_sequences);
        r.want_states = L.return_state || state_io;
        r.tag = L.ncells > 1 ? k2onnx__sprintf(cv->ctx, "cell_%u", (unsigned long long)c) : NULL;
        if (!k2onnx__rnn_run_cell(cv, &r, &rr[c])) return 0;
        state_at += k2onnx__rnn_states(s);
        weight += k2onnx__rnn_nweights(s);
        seq.xt = rr[c].seq;
        seq.x_steps = rr[c].steps;
        seq.I = s->units;
    }
    return k2onnx__rnn_layer_outputs(cv, &L, x, rr, early_order, L.return_state ? nstates_total : 0, state_io, out, nout);
}

/* Merges the two directions of a Bidirectional output the way merge_mode says. */
static const char *k2onnx__bidi_merge(k2onnx__converter *cv, const char *mode, const char *f, const char *b, int64_t axis, const char *what)
{
    if (strcmp(mode, "concat") == 0) return k2onnx__op2_axis(cv, "Concat", f, b, axis, what);
    if (strcmp(mode, "sum") == 0) return k2onnx__op2(cv, "Add", f, b, what);
    if (strcmp(mode, "mul") == 0) return k2onnx__op2(cv, "Mul", f, b, what);
    if (strcmp(mode, "ave") == 0) {
        float *half = (float *)k2onnx__alloc(cv->ctx, sizeof *half);
        const char *sum = k2onnx__op2(cv, "Add", f, b, k2onnx__sprintf(cv->ctx, "%s_sum", what));
        const char *h = half ? k2onnx__init_f32(cv, k2onnx__sprintf(cv->ctx, "%s_half", what), half, 0, NULL) : NULL;
        if (half) *half = 0.5f;
        return sum && h ? k2onnx__op2(cv, "Mul", sum, h, what) : NULL;
    }
    k2onnx__lfail(cv, k2onnx_result_unsupported_model, "merge_mode '%s' is not supported", mode);
    return NULL;
}

/* Both directions in one fused node (direction "bidirectional"); each result is aligned with
   the input, as Keras flips its backward half back. */
static int k2onnx__bidi_fused(k2onnx__converter *cv, const k2onnx__rnn_layer *F, const k2onnx__rnn_layer *B, size_t nw, const char *xt, int64_t I,
                              const k2onnx__kvalue *states, int want_states, k2onnx__rnn_result *res)
{
    unsigned nstates = k2onnx__rnn_states(&F->cells[0]), d;
    k2onnx__rnn_emit e;
    memset(&e, 0, sizeof e);
    e.spec[0] = &F->cells[0];
    e.spec[1] = &B->cells[0];
    e.first_weight[1] = nw;
    e.ndir = 2;
    e.direction = "bidirectional";
    e.x = xt;
    e.I = I;
    e.want_y = F->return_sequences;
    e.want_h = !F->return_sequences || want_states;
    e.want_c = nstates == 2 && want_states;
    if (states && !k2onnx__rnn_initial(cv, &e, states, 2 * nstates, nstates)) return 0;
    if (!k2onnx__rnn_emit_node(cv, &e)) return 0;
    for (d = 0; d < 2; d++) {
        const char *tag = d ? "backward" : "forward";
        if (e.want_h && !(res[d].h = k2onnx__rnn_pick(cv, e.y_h, 2, d, 0, k2onnx__sprintf(cv->ctx, "%s_last_h", tag)))) return 0;
        if (e.want_c && !(res[d].c = k2onnx__rnn_pick(cv, e.y_c, 2, d, 0, k2onnx__sprintf(cv->ctx, "%s_last_c", tag)))) return 0;
        if (e.want_y && !(res[d].seq = k2onnx__rnn_pick(cv, e.y, 2, d, 1, k2onnx__sprintf(cv->ctx, "%s_sequences_time_major", tag)))) return 0;
        res[d].last = res[d].h;
    }
    return 1;
}

#ifndef K2ONNX_NO_CONV
/* The initializer k2onnx__add_init named `name` (the same pointer), or NULL. */
static k2onnx__initializer *k2onnx__init_named(const k2onnx__converter *cv, const char *name)
{
    size_t i;
    for (i = 0; i < cv->g->ninits; i++)
        if (cv->g->inits[i]->name == name) return cv->g->inits[i];
    return NULL;
}

/* libonnx convolves over one spatial axis wrongly when a kernel [M, 1, k] has one input channel
   and several output channels: each output channel also adds the kernels of the output channels
   after it. The unrolled form, made for runtimes like it, gives such a convolution two input
   channels: the input twice (one Concat, shared by consecutive convolutions of the same input)
   against the kernel with a zero second channel (one Concat per kernel). The sums are the same:
   the second channel adds zeros. Returns 0 when out of memory; *x and *w change only where the
   kernel has that shape. */
static int k2onnx__conv_two_channels(k2onnx__converter *cv, const char **x, const char **w)
{
    k2onnx__initializer *t = k2onnx__init_named(cv, *w);
    const char *kernel = *w;
    if (!t || t->rank != 3 || t->dims[1] != 1 || t->dims[0] < 2) return 1;
    if (!t->two_channels) {
        int64_t dims[3];
        k2onnx__initializer *z;
        const char *doubled;
        memcpy(dims, t->dims, sizeof dims);
        z = k2onnx__add_init(cv, k2onnx__sprintf(cv->ctx, "%s_zero_channel", kernel), K2ONNX__FLOAT, 3, dims);
        if (!z || !(z->f32 = (const float *)k2onnx__alloc_array(cv->ctx, (size_t)z->count, sizeof *z->f32))) return 0;
        z->kind = K2ONNX__INIT_F32;
        if (!(doubled = k2onnx__op2_axis_as(cv, "Concat", kernel, z->name, 1, k2onnx__sprintf(cv->ctx, "%s_two_channels", kernel)))) return 0;
        t->two_channels = doubled;
    }
    if (cv->doubled_in != *x) {
        const char *doubled = k2onnx__op2_axis_as(cv, "Concat", *x, *x, 1, k2onnx__sprintf(cv->ctx, "%s_two_channels", *x));
        if (!doubled) return 0;
        cv->doubled_in = *x;
        cv->doubled = doubled;
    }
    *x = cv->doubled;
    *w = t->two_channels;
    return 1;
}

/* libonnx also gets grouped convolutions wrong when each group has one input channel (a
   depthwise step, a Conv1D with groups equal to its channels). The unrolled form widens such a
   float32 kernel [M, 1, spatial...] in place to a full kernel [M, group, spatial...], zero
   outside each output channel's group, and the Conv gets group 1: the sums are the same. Returns
   0 when out of memory. */
static int k2onnx__conv_ungroup(k2onnx__converter *cv, const char *w, int64_t *group)
{
    k2onnx__initializer *t = k2onnx__init_named(cv, w);
    int64_t M, per, o;
    float *full;
    if (!t || t->kind != K2ONNX__INIT_F32 || t->rank < 3 || t->dims[0] % *group) return 1;
    if (!t->ungrouped) {
        if (t->dims[1] != 1) return 1;
        M = t->dims[0];
        per = (int64_t)t->count / M; /* the spatial taps of one output channel */
        if (!(full = (float *)k2onnx__alloc_array(cv->ctx, (size_t)(t->count * (uint64_t)*group), sizeof *full))) return 0;
        for (o = 0; o < M; o++) memcpy(full + (o * *group + o / (M / *group)) * per, t->f32 + o * per, (size_t)per * sizeof *full);
        t->f32 = full;
        t->dims[1] = *group;
        t->count *= (uint64_t)*group;
        t->ungrouped = 1;
    }
    *group = 1;
    return 1;
}

/* One ONNX Conv over [N, C, spatial...] with nsp spatial axes. */
static const char *k2onnx__conv_node(k2onnx__converter *cv, const char *x, const char *w, const char *b, unsigned nsp, const int64_t *k,
                                     const int64_t *st, const int64_t *d, const int64_t *pads, int64_t group, const char *what)
{
    k2onnx__node *n;
    if (K2ONNX__UNROLLS(cv->ctx) && group > 1 && !k2onnx__conv_ungroup(cv, w, &group)) return NULL;
    if (K2ONNX__UNROLLS(cv->ctx) && nsp == 1 && group == 1 && !k2onnx__conv_two_channels(cv, &x, &w)) return NULL;
    n = k2onnx__add_node(cv, "Conv", b ? 3 : 2, 1);
    if (!n) return NULL;
    n->inputs[0] = x;
    n->inputs[1] = w;
    if (b) n->inputs[2] = b;
    n->outputs[0] = n->name = k2onnx__vname(cv, what);
    if (!k2onnx__attr_ints(cv, n, "kernel_shape", k, nsp) || !k2onnx__attr_ints(cv, n, "strides", st, nsp) ||
        !k2onnx__attr_ints(cv, n, "dilations", d, nsp) || !k2onnx__attr_ints(cv, n, "pads", pads, 2 * nsp))
        return NULL;
    if (group != 1) k2onnx__attr_int(cv, n, "group", group);
    return n->outputs[0];
}
#endif

#if !defined(K2ONNX_NO_CONV) && !defined(K2ONNX_NO_SCAN_UNROLL)
/* --- ConvLSTM1D / ConvLSTM2D ------------------------------------------------------------- */

static int k2onnx__conv_pads(k2onnx__converter *cv, const char *padding, int64_t T, int64_t span, int64_t st, int64_t pads[2]);
static int64_t k2onnx__window_len(int64_t T, const char *padding, int64_t span, int64_t stride);

/* A ConvLSTM layer's config. Inside the graph its values are time-major and channels first:
   x [T, N, C, spatial...], states [N, F, spatial...]. */
typedef struct k2onnx__convlstm {
    unsigned nsp;      /* spatial axes: 1 or 2 */
    int first;         /* data_format channels_first */
    int use_bias, return_sequences, return_state, go_backwards;
    const char *padding, *act, *ract;
    int64_t F, C, k[2], st[2], d[2], in_sp[2], out_sp[2], pads[4], rpads[4], ksize;
    int64_t batch, T;  /* -1 when dynamic */
    const char *mask;  /* the input's [N, T] 0/1 mask, or NULL */
    int mask_mode;     /* K2ONNX__MASK_REPEAT or K2ONNX__MASK_ZERO: what a masked step outputs */
    const char *mask_tm; /* the mask as Scan steps, when already built for another direction */
} k2onnx__convlstm;

static int k2onnx__convlstm_read(k2onnx__converter *cv, const char *cls, const k2onnx__json *cfg, const k2onnx__kvalue *x, k2onnx__convlstm *s)
{
    const char *fmt = k2onnx__jstr(k2onnx__jget(cfg, "data_format"));
    unsigned i;
    memset(s, 0, sizeof *s);
    s->batch = x->rank > 0 ? x->dims[0] : -1;
    s->T = x->rank > 1 ? x->dims[1] : -1;
    s->nsp = strcmp(cls, "ConvLSTM1D") == 0 ? 1u : 2u;
    s->first = fmt && strcmp(fmt, "channels_first") == 0;
    if (fmt && !s->first && strcmp(fmt, "channels_last") != 0)
        return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "data_format '%s' is not supported", fmt);
    s->padding = k2onnx__jstr(k2onnx__jget(cfg, "padding"));
    if (!s->padding) s->padding = "valid";
    if (strcmp(s->padding, "valid") != 0 && strcmp(s->padding, "same") != 0)
        return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "padding '%s' is not supported", s->padding);
    s->use_bias = k2onnx__jbool(cfg, "use_bias", 1);
    s->return_sequences = k2onnx__jbool(cfg, "return_sequences", 0);
    s->return_state = k2onnx__jbool(cfg, "return_state", 0);
    s->go_backwards = k2onnx__jbool(cfg, "go_backwards", 0);
    if (k2onnx__jbool(cfg, "stateful", 0)) k2onnx__lwarn(cv, "stateful=true is converted as a stateless layer starting from zero states");
    if (!k2onnx__cfg_positive_int(k2onnx__cfg_of(cv, cfg), "filters", NULL, &s->F) || !k2onnx__cfg_int_n(k2onnx__cfg_of(cv, cfg), "kernel_size", s->nsp, 1, s->k) ||
        !k2onnx__cfg_int_n(k2onnx__cfg_of(cv, cfg), "strides", s->nsp, 1, s->st) || !k2onnx__cfg_int_n(k2onnx__cfg_of(cv, cfg), "dilation_rate", s->nsp, 1, s->d) ||
        !k2onnx__activation_name(cv, cfg, "activation", "tanh", &s->act) ||
        !k2onnx__activation_name(cv, cfg, "recurrent_activation", cv->m->keras_major >= 3 ? "sigmoid" : "hard_sigmoid", &s->ract))
        return 0;
    if (x->rank != 3 + s->nsp) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "input must be [batch, time, %s]", s->nsp == 1 ? "steps, channels" : "rows, cols, channels");
    s->C = x->dims[s->first ? 2 : 2 + s->nsp];
    s->ksize = 1;
    for (i = 0; i < s->nsp; i++) {
        int64_t span = s->d[i] * (s->k[i] - 1) + 1, p[2];
        s->in_sp[i] = x->dims[(s->first ? 3 : 2) + i];
        if (s->in_sp[i] < 0) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "the spatial axes must have known sizes");
        if (!k2onnx__conv_pads(cv, s->padding, s->in_sp[i], span, s->st[i], p)) return 0;
        s->pads[i] = p[0];
        s->pads[s->nsp + i] = p[1];
        s->out_sp[i] = k2onnx__window_len(s->in_sp[i], s->padding, span, s->st[i]);
        if (s->out_sp[i] <= 0) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "the kernel is larger than the input");
        /* the recurrent convolution: 'same', stride 1, no dilation */
        s->rpads[i] = (s->k[i] - 1) / 2;
        s->rpads[s->nsp + i] = s->k[i] - 1 - (s->k[i] - 1) / 2;
        s->ksize *= s->k[i];
    }
    if (s->C < 0) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "the channel axis must have a known size");
    return 1;
}

/* Weights first..first+2 (kernel [k..., C, 4F], recurrent_kernel [k..., F, 4F], bias [4F]). */
static int k2onnx__convlstm_check(k2onnx__converter *cv, const k2onnx__convlstm *s, size_t first)
{
    uint64_t dims[4];
    unsigned i;
    for (i = 0; i < s->nsp; i++) dims[i] = (uint64_t)s->k[i];
    dims[s->nsp] = (uint64_t)s->C;
    dims[s->nsp + 1] = (uint64_t)(4 * s->F);
    if (!k2onnx__check_weight(cv, first, "kernel", s->nsp + 2, dims)) return 0;
    dims[s->nsp] = (uint64_t)s->F;
    if (!k2onnx__check_weight(cv, first + 1, "recurrent_kernel", s->nsp + 2, dims)) return 0;
    return !s->use_bias || k2onnx__check_weight(cv, first + 2, "bias", 1, &dims[s->nsp + 1]);
}

/* Gate g of a Keras conv kernel [k..., Cin, 4F] as an ONNX Conv weight [F, Cin, k...]. */
static const char *k2onnx__convlstm_kernel(k2onnx__converter *cv, const k2onnx__convlstm *s, const k2onnx__h5array *w, int64_t cin, unsigned g, const char *what)
{
    int64_t dims[4], f, c, p;
    unsigned i;
    float *v = (float *)k2onnx__alloc_array(cv->ctx, (size_t)(s->F * cin * s->ksize), sizeof *v);
    if (!v) return NULL;
    for (f = 0; f < s->F; f++)
        for (c = 0; c < cin; c++)
            for (p = 0; p < s->ksize; p++)
                v[(f * cin + c) * s->ksize + p] = k2onnx__h5array_get(w, ((uint64_t)p * (uint64_t)cin + (uint64_t)c) * (uint64_t)(4 * s->F) + (uint64_t)(g * s->F + f));
    dims[0] = s->F;
    dims[1] = cin;
    for (i = 0; i < s->nsp; i++) dims[2 + i] = s->k[i];
    return k2onnx__init_f32(cv, what, v, 2 + s->nsp, dims);
}

/* The input convolution of a ConvLSTM gate, or the recurrent one ('same', stride 1, no dilation). */
static const char *k2onnx__convlstm_conv(k2onnx__converter *cv, const k2onnx__convlstm *s, const char *x, const char *w, const char *b, int recurrent, const char *what)
{
    static const int64_t ones[2] = {1, 1};
    return k2onnx__conv_node(cv, x, w, b, s->nsp, s->k, recurrent ? ones : s->st, recurrent ? ones : s->d, recurrent ? s->rpads : s->pads, 1, what);
}

/* A value of a Scan body: [N, dims...]. */
static int k2onnx__body_value(k2onnx__converter *cv, k2onnx__value_info **arr, size_t *n, size_t *cap, const char *name, int64_t batch,
                              const int64_t *dims, unsigned ndims)
{
    k2onnx__value_info *v = name ? k2onnx__new_value_info(cv->ctx, arr, n, cap) : NULL;
    unsigned i;
    if (!v) return 0;
    v->name = name;
    v->elem = K2ONNX__FLOAT;
    v->rank = ndims + 1;
    v->dims[0] = batch;
    v->params[0] = batch < 0 ? "N" : NULL;
    for (i = 0; i < ndims; i++) v->dims[i + 1] = dims[i];
    return 1;
}

/* One direction of a ConvLSTM as an ONNX Scan over xt [T, N, C, spatial...]. The sequence is
   stacked at the input positions when `stack_reversed`, else in processing order. */
/* One ConvLSTM step: the eight convolutions and the LSTM update, names under cv->vprefix. */
static const char *k2onnx__convlstm_step(k2onnx__converter *cv, const k2onnx__convlstm *s, const char *const W[4], const char *const R[4],
                                         const char *const B[4], const char *x_t, const char *h_prev, const char *c_prev, const char **c_new)
{
    static const char gate_names[4] = {'i', 'f', 'c', 'o'};
    const char *act[4];
    unsigned g;
    for (g = 0; g < 4; g++) {
        const char *xg = k2onnx__convlstm_conv(cv, s, x_t, W[g], B[g], 0, k2onnx__sprintf(cv->ctx, "x_%c", gate_names[g]));
        const char *hg = k2onnx__convlstm_conv(cv, s, h_prev, R[g], NULL, 1, k2onnx__sprintf(cv->ctx, "h_%c", gate_names[g]));
        const char *sum = xg && hg ? k2onnx__op2(cv, "Add", xg, hg, k2onnx__sprintf(cv->ctx, "pre_%c", gate_names[g])) : NULL;
        act[g] = sum ? k2onnx__scan_act(cv, g == 2 ? s->act : s->ract, sum, s->F, k2onnx__sprintf(cv->ctx, "%c", gate_names[g])) : NULL;
        if (!act[g]) return NULL;
    }
    return k2onnx__lstm_update(cv, act, c_prev, s->act, s->F, c_new);
}

/* A masked ConvLSTM step, as Keras' rnn runs it for a [batch, time] mask: where m is 0 the
   states keep their values and the output repeats the previous one (or is zero: a Keras 3
   Bidirectional that returns sequences). *h and *c hold the step's new values going in. */
static int k2onnx__convlstm_mask_step(k2onnx__converter *cv, const k2onnx__convlstm *s, const char *m, const char *y_prev, const char *h_prev,
                                      const char *c_prev, const char **h, const char **c, const char **y)
{
    const char *cand = *h;
    *y = s->mask_mode == K2ONNX__MASK_ZERO ? k2onnx__op2(cv, "Mul", m, cand, "y_masked") : k2onnx__scan_blend(cv, m, cand, y_prev, "y_masked");
    *h = *y ? k2onnx__scan_blend(cv, m, cand, h_prev, "h_masked") : NULL;
    *c = *h ? k2onnx__scan_blend(cv, m, *c, c_prev, "c_masked") : NULL;
    return *c != NULL;
}

/* A ConvLSTM direction unrolled over its T steps; the sequence is stacked time-major, in
   processing order, or in the reverse of it when `stack_reversed` (as Scan's output direction). */
static int k2onnx__convlstm_unroll(k2onnx__converter *cv, const k2onnx__convlstm *s, const char *const W[4], const char *const R[4],
                                   const char *const B[4], const char *xt, const int64_t *xdims, const int64_t *sdims, const char *h0,
                                   const char *c0, const char *y0, int reverse, int stack_reversed, const char *tag, k2onnx__rnn_result *res)
{
    const char *saved_prefix = cv->vprefix, **ys, **parts, *part_shape, *y = y0;
    const char *const *xs, *const *ms = NULL;
    int64_t step[K2ONNX__MAX_RANK], T = s->T, k;
    unsigned i, r = 2 + s->nsp;
    k2onnx__node *n;
    step[0] = s->batch > 0 ? s->batch : -1;
    for (i = 0; i + 1 < r; i++) step[1 + i] = xdims[i];
    if (!(xs = k2onnx__unroll_steps(cv, xt, r + 1, 1, T, step, r, k2onnx__sprintf(cv->ctx, "%s/x", tag)))) return 0;
    if (s->mask) {
        /* the step masks [N, 1, 1...] broadcast over the states [N, F, spatial...] */
        for (i = 1; i < r; i++) step[i] = 1;
        if (!(ms = k2onnx__unroll_steps(cv, s->mask, 2, 0, T, step, r, k2onnx__sprintf(cv->ctx, "%s/mask", tag)))) return 0;
    }
    ys = (const char **)k2onnx__alloc_array(cv->ctx, (size_t)T, sizeof *ys);
    parts = (const char **)k2onnx__alloc_array(cv->ctx, (size_t)T, sizeof *parts);
    if (!ys || !parts) return 0;
    for (k = 0; k < T; k++) {
        int64_t t = reverse ? T - 1 - k : k;
        const char *h_new, *c_new = NULL;
        int ok;
        cv->vprefix = k2onnx__sprintf(cv->ctx, "%s%s/step_%u/", saved_prefix ? saved_prefix : "", tag, (unsigned long long)t);
        h_new = cv->vprefix ? k2onnx__convlstm_step(cv, s, W, R, B, xs[t], h0, c0, &c_new) : NULL;
        ok = h_new && c_new && (!ms || k2onnx__convlstm_mask_step(cv, s, ms[t], y, h0, c0, &h_new, &c_new, &y));
        cv->vprefix = saved_prefix;
        if (!ok) return 0;
        if (!ms) y = h_new;
        ys[stack_reversed ? T - 1 - k : k] = y;
        h0 = h_new;
        c0 = c_new;
    }
    res->h = h0;
    res->c = c0;
    res->last = y;
    /* [1, N, F, spatial...] parts joined on the time axis. */
    step[0] = 1;
    step[1] = s->batch > 0 ? s->batch : -1;
    for (i = 0; i + 1 < r; i++) step[2 + i] = sdims[i];
    if (!(part_shape = k2onnx__init_i64(cv, k2onnx__sprintf(cv->ctx, "%s/sequence_step_shape", tag), step, r + 1))) return 0;
    for (k = 0; k < T; k++)
        if (!(parts[k] = k2onnx__op2(cv, "Reshape", ys[k], part_shape, k2onnx__sprintf(cv->ctx, "%s/sequence_%u", tag, (unsigned long long)k))))
            return 0;
    if (T == 1) {
        res->seq = parts[0];
        return 1;
    }
    if (!(n = k2onnx__add_node(cv, "Concat", (size_t)T, 1))) return 0;
    for (k = 0; k < T; k++) n->inputs[k] = parts[k];
    res->seq = n->outputs[0] = n->name = k2onnx__vname(cv, k2onnx__sprintf(cv->ctx, "%s/sequence", tag));
    k2onnx__attr_int(cv, n, "axis", 0);
    return res->seq != NULL;
}

/* The [N, T] mask as a Scan input [T, N, 1, 1...] whose steps broadcast over the states. */
static const char *k2onnx__convlstm_mask_tm(k2onnx__converter *cv, const k2onnx__convlstm *s, const char *tag)
{
    static const int64_t perm[2] = {1, 0}, shape[5] = {0, 0, 1, 1, 1};
    const char *t = k2onnx__transpose(cv, s->mask, perm, 2, k2onnx__sprintf(cv->ctx, "%s/mask_time_major", tag));
    const char *sh = k2onnx__init_i64(cv, k2onnx__sprintf(cv->ctx, "%s/mask_steps_shape", tag), shape, 3 + s->nsp);
    return t && sh ? k2onnx__op2(cv, "Reshape", t, sh, k2onnx__sprintf(cv->ctx, "%s/mask_steps", tag)) : NULL;
}

/* The per-gate Conv weights W, R and biases B (NULL without use_bias) of the direction whose
   kernel is weight `first`. */
static int k2onnx__convlstm_gates(k2onnx__converter *cv, const k2onnx__convlstm *s, size_t first, const char *tag, const char *W[4],
                                  const char *R[4], const char *B[4])
{
    static const char gate_names[4] = {'i', 'f', 'c', 'o'};
    const k2onnx__h5array *kw = &cv->layer->weights[first], *rw = &cv->layer->weights[first + 1];
    int64_t F = s->F;
    unsigned g;
    for (g = 0; g < 4; g++) {
        W[g] = k2onnx__convlstm_kernel(cv, s, kw, s->C, g, k2onnx__sprintf(cv->ctx, "%s/W_%c", tag, gate_names[g]));
        R[g] = k2onnx__convlstm_kernel(cv, s, rw, s->F, g, k2onnx__sprintf(cv->ctx, "%s/R_%c", tag, gate_names[g]));
        B[g] = NULL;
        if (!W[g] || !R[g]) return 0;
        if (s->use_bias) {
            float *b = (float *)k2onnx__alloc_array(cv->ctx, (size_t)F, sizeof *b);
            int64_t f;
            if (!b) return 0;
            for (f = 0; f < F; f++) b[f] = k2onnx__h5array_get(&cv->layer->weights[first + 2], (uint64_t)(g * F + f));
            if (!(B[g] = k2onnx__init_f32(cv, k2onnx__sprintf(cv->ctx, "%s/B_%c", tag, gate_names[g]), b, 1, &F))) return 0;
        }
    }
    return 1;
}

static int k2onnx__convlstm_scan(k2onnx__converter *cv, const k2onnx__convlstm *s, size_t first, const char *xt, const char *h0, const char *c0,
                                 int reverse, int stack_reversed, const char *tag, k2onnx__rnn_result *res)
{
    static const int64_t ones[3] = {1, 1, 1};
    const char *W[4], *R[4], *B[4], *h_prev, *c_prev, *x_t, *h_new, *c_new = NULL, *y_t;
    const char *saved_prefix = cv->vprefix, *y0 = NULL, *y_prev = NULL, *m_t = NULL, *y_out = NULL, *mask_tm = NULL;
    int64_t sdims[3], xdims[3], F = s->F;
    unsigned i, nstate = 2;
    int unroll = k2onnx__rnn_unrolls(cv, 1, s->T);
    /* masked steps repeat the previous output, kept as a state of its own (zeros at first) */
    int keep_y = s->mask && s->mask_mode == K2ONNX__MASK_REPEAT;
    k2onnx__graph *body, *outer = cv->g;
    k2onnx__node *n;
    if (cv->opset < 9 && !unroll)
        return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "ConvLSTM needs opset 9 or later (ONNX Scan), or a known number of time steps to unroll");
    if (!k2onnx__convlstm_gates(cv, s, first, tag, W, R, B)) return 0;
    sdims[0] = F;
    xdims[0] = s->C;
    for (i = 0; i < s->nsp; i++) {
        sdims[1 + i] = s->out_sp[i];
        xdims[1 + i] = s->in_sp[i];
    }
    if (unroll) {
        /* Zero states of one batch row broadcast when the batch is dynamic. */
        int64_t zb = s->batch > 0 ? s->batch : 1;
        if ((!h0 && !(h0 = k2onnx__batch_zeros(cv, xt, zb, sdims, 1 + s->nsp, k2onnx__sprintf(cv->ctx, "%s/h0", tag)))) ||
            (!c0 && !(c0 = k2onnx__batch_zeros(cv, xt, zb, sdims, 1 + s->nsp, k2onnx__sprintf(cv->ctx, "%s/c0", tag)))) ||
            (keep_y && !(y0 = k2onnx__batch_zeros(cv, xt, zb, sdims, 1 + s->nsp, k2onnx__sprintf(cv->ctx, "%s/y0", tag)))))
            return 0;
        return k2onnx__convlstm_unroll(cv, s, W, R, B, xt, xdims, sdims, h0, c0, y0, reverse, stack_reversed, tag, res);
    }
    if ((!h0 && !(h0 = k2onnx__batch_zeros(cv, xt, s->batch, sdims, 1 + s->nsp, k2onnx__sprintf(cv->ctx, "%s/h0", tag)))) ||
        (!c0 && !(c0 = k2onnx__batch_zeros(cv, xt, s->batch, sdims, 1 + s->nsp, k2onnx__sprintf(cv->ctx, "%s/c0", tag)))) ||
        (keep_y && !(y0 = k2onnx__batch_zeros(cv, xt, s->batch, sdims, 1 + s->nsp, k2onnx__sprintf(cv->ctx, "%s/y0", tag)))) ||
        (s->mask && !(mask_tm = s->mask_tm ? s->mask_tm : k2onnx__convlstm_mask_tm(cv, s, tag))))
        return 0;

    /* The body: (h_prev, c_prev[, y_prev], x_t[, mask_t]) -> (h_new, c_new[, y_state], y_t). */
    if (!(body = k2onnx__begin_body(cv, k2onnx__sprintf(cv->ctx, "%s/scan_body", tag), k2onnx__sprintf(cv->ctx, "%s/scan/", tag)))) return 0;
    h_prev = k2onnx__vname(cv, "h_prev");
    c_prev = k2onnx__vname(cv, "c_prev");
    if (keep_y) y_prev = k2onnx__vname(cv, "y_prev");
    x_t = k2onnx__vname(cv, "x_t");
    if (s->mask) m_t = k2onnx__vname(cv, "mask_t");
    if (!k2onnx__body_value(cv, &body->inputs, &body->ninputs, &body->inputs_cap, h_prev, s->batch, sdims, 1 + s->nsp) ||
        !k2onnx__body_value(cv, &body->inputs, &body->ninputs, &body->inputs_cap, c_prev, s->batch, sdims, 1 + s->nsp) ||
        (keep_y && !k2onnx__body_value(cv, &body->inputs, &body->ninputs, &body->inputs_cap, y_prev, s->batch, sdims, 1 + s->nsp)) ||
        !k2onnx__body_value(cv, &body->inputs, &body->ninputs, &body->inputs_cap, x_t, s->batch, xdims, 1 + s->nsp) ||
        (m_t && !k2onnx__body_value(cv, &body->inputs, &body->ninputs, &body->inputs_cap, m_t, s->batch, ones, 1 + s->nsp)))
        goto fail;
    h_new = k2onnx__convlstm_step(cv, s, W, R, B, x_t, h_prev, c_prev, &c_new);
    y_t = h_new;
    if (h_new && m_t && !k2onnx__convlstm_mask_step(cv, s, m_t, y_prev, h_prev, c_prev, &h_new, &c_new, &y_t)) goto fail;
    y_t = y_t ? k2onnx__op1(cv, "Identity", y_t, "y_t", NULL) : NULL;
    if (!y_t || !k2onnx__body_value(cv, &body->outputs, &body->noutputs, &body->outputs_cap, h_new, s->batch, sdims, 1 + s->nsp) ||
        !k2onnx__body_value(cv, &body->outputs, &body->noutputs, &body->outputs_cap, c_new, s->batch, sdims, 1 + s->nsp) ||
        (keep_y && !k2onnx__body_value(cv, &body->outputs, &body->noutputs, &body->outputs_cap, k2onnx__op1(cv, "Identity", y_t, "y_state", NULL),
                                       s->batch, sdims, 1 + s->nsp)) ||
        !k2onnx__body_value(cv, &body->outputs, &body->noutputs, &body->outputs_cap, y_t, s->batch, sdims, 1 + s->nsp))
        goto fail;
    cv->g = outer;
    cv->vprefix = saved_prefix;
    if (!(n = k2onnx__add_node(cv, "Scan", 5, 4))) return 0;
    n->name = k2onnx__vname(cv, k2onnx__sprintf(cv->ctx, "%s/Scan", tag));
    n->inputs[0] = h0;
    n->inputs[1] = c0;
    res->h = n->outputs[0] = k2onnx__vname(cv, k2onnx__sprintf(cv->ctx, "%s/h", tag));
    res->c = n->outputs[1] = k2onnx__vname(cv, k2onnx__sprintf(cv->ctx, "%s/c", tag));
    res->last = res->h;
    if (keep_y) {
        n->inputs[nstate] = y0;
        res->last = y_out = n->outputs[nstate++] = k2onnx__vname(cv, k2onnx__sprintf(cv->ctx, "%s/last_output", tag));
    }
    n->inputs[nstate] = xt;
    n->ninputs = nstate + 1;
    if (mask_tm) n->inputs[n->ninputs++] = mask_tm;
    res->seq = n->outputs[nstate] = k2onnx__vname(cv, k2onnx__sprintf(cv->ctx, "%s/sequence", tag));
    n->noutputs = nstate + 1;
    {
        k2onnx__attr *a = k2onnx__add_attr(cv, n, "body", K2ONNX__AGRAPH);
        a->v.graph = body;
    }
    k2onnx__attr_int(cv, n, "num_scan_inputs", mask_tm ? 2 : 1);
    {
        static const int64_t one[2] = {1, 1};
        if ((reverse && !k2onnx__attr_ints(cv, n, "scan_input_directions", one, mask_tm ? 2 : 1)) ||
            (stack_reversed && !k2onnx__attr_ints(cv, n, "scan_output_directions", one, 1)))
            return 0;
    }
    return res->h && res->c && res->seq && (!keep_y || y_out);
fail:
    cv->g = outer;
    cv->vprefix = saved_prefix;
    return 0;
}

/* Keras' layout of a ConvLSTM result: [N, T, spatial..., F] (or [N, T, F, spatial...]) from the
   time-major sequence, [N, spatial..., F] from a state. */
static const char *k2onnx__convlstm_out(k2onnx__converter *cv, const k2onnx__convlstm *s, const char *v, int sequence, const char *what)
{
    int64_t perm[6];
    unsigned r = (sequence ? 3u : 2u) + s->nsp, i, o = 0, lead = sequence ? 2u : 1u;
    if (sequence) {
        perm[o++] = 1;
        perm[o++] = 0;
    } else {
        perm[o++] = 0;
    }
    if (s->first) {
        for (i = lead; i < r; i++) perm[o++] = i;
    } else {
        for (i = lead + 1; i < r; i++) perm[o++] = i;
        perm[o++] = lead;
    }
    if (!sequence && s->first) return v;
    return k2onnx__transpose(cv, v, perm, r, what);
}

static void k2onnx__convlstm_value(const k2onnx__convlstm *s, const k2onnx__kvalue *x, const char *name, int sequence, int64_t last_scale, k2onnx__kvalue *v)
{
    unsigned i, at = 1;
    memset(v, 0, sizeof *v);
    v->name = name;
    v->elem = K2ONNX__FLOAT;
    v->rank = (sequence ? 3u : 2u) + s->nsp;
    v->dims[0] = x->dims[0];
    v->params[0] = x->params[0];
    if (sequence) {
        v->dims[1] = x->dims[1];
        v->params[1] = x->params[1];
        at = 2;
    }
    if (s->first) v->dims[at++] = s->F;
    for (i = 0; i < s->nsp; i++) v->dims[at++] = s->out_sp[i];
    if (!s->first) v->dims[at++] = s->F;
    v->dims[v->rank - 1] *= last_scale;
}

/* x [N, T, ...] in Keras' layout -> [T, N, C, spatial...]. */
static const char *k2onnx__convlstm_input(k2onnx__converter *cv, const k2onnx__convlstm *s, const k2onnx__kvalue *x)
{
    int64_t perm[5];
    unsigned i, r = x->rank, o = 0;
    perm[o++] = 1;
    perm[o++] = 0;
    if (s->first) {
        for (i = 2; i < r; i++) perm[o++] = i;
    } else {
        perm[o++] = r - 1;
        for (i = 2; i + 1 < r; i++) perm[o++] = i;
    }
    return k2onnx__transpose(cv, x->name, perm, r, "X_time_major");
}

/* Initial states of the layer's directions, channels first: Keras initial_state tensors, or with
   --state-io new graph inputs `<layer>/<dir>h0` and `c0` in Keras' layout; NULL = zeros. */
static int k2onnx__convlstm_initial(k2onnx__converter *cv, const k2onnx__convlstm *s, const k2onnx__kvalue *in, size_t nin, unsigned ndir,
                                    const char *states[4])
{
    int64_t perm[4];
    unsigned i, r = 2 + s->nsp;
    k2onnx__kvalue v[4];
    memset(states, 0, 4 * sizeof *states);
    if (nin != 1 && nin != 1 + 2 * ndir)
        return k2onnx__lfail(cv, k2onnx_result_invalid_model, "expects the input plus 0 or %d initial state tensors, got %d inputs", (int)(2 * ndir), (int)nin);
    for (i = 0; i < 2 * ndir; i++) {
        if (nin > 1) {
            v[i] = in[1 + i];
            if (v[i].rank != r) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "initial state %d must have rank %d", (int)i, (int)r);
        } else if (cv->ctx->opt.state_io) {
            const char *what = k2onnx__sprintf(cv->ctx, "%s%c0", ndir == 1 ? "" : i < 2 ? "forward_" : "backward_", i % 2 ? 'c' : 'h');
            k2onnx__convlstm_value(s, &in[0], k2onnx__vname(cv, what), 0, 1, &v[i]);
            if (!v[i].name || !k2onnx__add_graph_value(cv, &cv->g->inputs, &cv->g->ninputs, &cv->g->inputs_cap, &v[i])) return 0;
        } else {
            continue;
        }
        states[i] = v[i].name;
        if (!s->first) {
            unsigned k;
            perm[0] = 0;
            perm[1] = r - 1;
            for (k = 2; k < r; k++) perm[k] = k - 1;
            if (!(states[i] = k2onnx__transpose(cv, v[i].name, perm, r, k2onnx__sprintf(cv->ctx, "initial_state_%u", (unsigned long long)i)))) return 0;
        }
    }
    return 1;
}

/* --state-io: the final states as graph outputs `<layer>/<dir>h_n`, `c_n` in Keras' layout. */
static int k2onnx__convlstm_final(k2onnx__converter *cv, const k2onnx__convlstm *s, const k2onnx__kvalue *x, const char *h, const char *c, const char *dir)
{
    k2onnx__kvalue v;
    const char *ho = k2onnx__convlstm_out(cv, s, h, 0, k2onnx__sprintf(cv->ctx, "%sfinal_h", dir));
    const char *co = k2onnx__convlstm_out(cv, s, c, 0, k2onnx__sprintf(cv->ctx, "%sfinal_c", dir));
    if (!ho || !co) return 0;
    k2onnx__convlstm_value(s, x, ho, 0, 1, &v);
    if (!k2onnx__state_output(cv, &v, k2onnx__sprintf(cv->ctx, "%sh_n", dir))) return 0;
    v.name = co;
    return k2onnx__state_output(cv, &v, k2onnx__sprintf(cv->ctx, "%sc_n", dir));
}

/* Takes the input's [batch, time] mask into the layer's run. Standalone Keras 2.2's rnn tiles a
   step mask for [batch, units] outputs only, so such a file cannot hold a masked ConvLSTM that
   ran. */
static int k2onnx__convlstm_masked(k2onnx__converter *cv, const k2onnx__kvalue *x, int zero_output, k2onnx__convlstm *s)
{
    if (!x->mask) return 1;
    if (cv->m->legacy_mask) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "a masked input is not supported in files of Keras before 2.3");
    s->mask = x->mask;
    s->mask_mode = zero_output ? K2ONNX__MASK_ZERO : K2ONNX__MASK_REPEAT;
    return 1;
}

/* ConvLSTM1D / ConvLSTM2D: padding valid or same, strides, dilation, either data format,
   go_backwards, return_sequences, return_state; a Scan whose body runs the eight convolutions. */
static int k2onnx__map_convlstm(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    k2onnx__convlstm s;
    k2onnx__rnn_result res;
    const k2onnx__kvalue *x = &in[0];
    const char *xt, *y, *init[4];
    /* Keras 3 passes the layer's zero_output_for_mask on to its rnn; tf.keras' ConvRNN does not */
    if (!k2onnx__convlstm_read(cv, cv->layer->cls, cv->layer->config, x, &s) ||
        !k2onnx__convlstm_masked(cv, x, cv->m->keras_major >= 3 && k2onnx__jbool(cv->layer->config, "zero_output_for_mask", 0), &s))
        return 0;
    if (!k2onnx__convlstm_initial(cv, &s, in, nin, 1, init)) return 0;
    if (!k2onnx__kweights(cv->m, cv->layer)) return 0;
    if (cv->layer->nweights != (size_t)(s.use_bias ? 3 : 2))
        return k2onnx__lfail(cv, k2onnx_result_invalid_model, "expected %d weights, the file has %d", s.use_bias ? 3 : 2, (int)cv->layer->nweights);
    if (!k2onnx__convlstm_check(cv, &s, 0) || !(xt = k2onnx__convlstm_input(cv, &s, x))) return 0;
    if (!k2onnx__convlstm_scan(cv, &s, 0, xt, init[0], init[1], s.go_backwards, 0, "convlstm", &res)) return 0;
    if (cv->ctx->opt.state_io && nin == 1 && !k2onnx__convlstm_final(cv, &s, x, res.h, res.c, "")) return 0;
    if (!k2onnx__outputs(cv, out, nout, s.return_state ? 3u : 1u)) return 0;
    y = s.return_sequences ? k2onnx__convlstm_out(cv, &s, res.seq, 1, "sequences") : k2onnx__convlstm_out(cv, &s, res.last, 0, "last_output");
    if (!y) return 0;
    k2onnx__convlstm_value(&s, x, y, s.return_sequences, 1, &(*out)[0]);
    if (s.return_sequences) (*out)[0].mask = x->mask;
    if (s.return_state) {
        const char *ho = k2onnx__convlstm_out(cv, &s, res.h, 0, "h_state"), *co = k2onnx__convlstm_out(cv, &s, res.c, 0, "c_state");
        if (!ho || !co) return 0;
        k2onnx__convlstm_value(&s, x, ho, 0, 1, &(*out)[1]);
        k2onnx__convlstm_value(&s, x, co, 0, 1, &(*out)[2]);
    }
    return 1;
}

/* Bidirectional(ConvLSTM1D/2D). As in Keras, the backward copy flips go_backwards and its
   sequence is reversed in time; merging joins the last axis. */
static int k2onnx__bidi_convlstm(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, const char *mode, k2onnx__kvalue **out, size_t *nout)
{
    const k2onnx__json *cfg = cv->layer->config, *fwd = k2onnx__jget(cfg, "layer"), *bwd = k2onnx__jget(cfg, "backward_layer");
    const char *cls = k2onnx__jstr(k2onnx__jget(fwd, "class_name"));
    k2onnx__convlstm F, B;
    k2onnx__rnn_result res[2];
    const k2onnx__kvalue *x = &in[0];
    const char *xt, *r[2], *init[4];
    unsigned d, rank;
    size_t o = 0;
    if (!k2onnx__convlstm_read(cv, cls, k2onnx__jget(fwd, "config"), x, &F)) return 0;
    if (bwd) {
        const char *bcls = k2onnx__jstr(k2onnx__jget(bwd, "class_name"));
        if (!bcls || strcmp(bcls, cls) != 0) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "a backward_layer of another class is not supported");
        if (!k2onnx__convlstm_read(cv, bcls, k2onnx__jget(bwd, "config"), x, &B)) return 0;
        if (B.F != F.F) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "forward and backward layers of different sizes are not supported");
    } else {
        B = F;
        B.go_backwards = !F.go_backwards;
    }
    /* Keras 3's Bidirectional sets zero_output_for_mask = return_sequences on both layers, and its
       ConvLSTM passes it on; tf.keras' ConvRNN does not. */
    if (!k2onnx__convlstm_masked(cv, x, cv->m->keras_major >= 3 && F.return_sequences, &F) ||
        !k2onnx__convlstm_masked(cv, x, cv->m->keras_major >= 3 && F.return_sequences, &B))
        return 0;
    if (!k2onnx__convlstm_initial(cv, &F, in, nin, 2, init)) return 0;
    if (!k2onnx__kweights(cv->m, cv->layer)) return 0;
    if (cv->layer->nweights != (size_t)((F.use_bias ? 3 : 2) + (B.use_bias ? 3 : 2)))
        return k2onnx__lfail(cv, k2onnx_result_invalid_model, "expected %d weights, the file has %d", (F.use_bias ? 3 : 2) + (B.use_bias ? 3 : 2),
                             (int)cv->layer->nweights);
    if (!k2onnx__convlstm_check(cv, &F, 0) || !k2onnx__convlstm_check(cv, &B, F.use_bias ? 3u : 2u) || !(xt = k2onnx__convlstm_input(cv, &F, x))) return 0;
    /* both directions scan the same mask steps */
    if (F.mask && !k2onnx__rnn_unrolls(cv, 1, F.T) && !(F.mask_tm = B.mask_tm = k2onnx__convlstm_mask_tm(cv, &F, "bidirectional"))) return 0;
    if (!k2onnx__convlstm_scan(cv, &F, 0, xt, init[0], init[1], F.go_backwards, 0, "forward", &res[0]) ||
        !k2onnx__convlstm_scan(cv, &B, F.use_bias ? 3u : 2u, xt, init[2], init[3], B.go_backwards, F.return_sequences, "backward", &res[1]))
        return 0;
    if (cv->ctx->opt.state_io && nin == 1 &&
        (!k2onnx__convlstm_final(cv, &F, x, res[0].h, res[0].c, "forward_") || !k2onnx__convlstm_final(cv, &B, x, res[1].h, res[1].c, "backward_")))
        return 0;
    for (d = 0; d < 2; d++) {
        const char *tag = d ? "backward" : "forward";
        r[d] = F.return_sequences ? k2onnx__convlstm_out(cv, &F, res[d].seq, 1, k2onnx__sprintf(cv->ctx, "%s_sequences", tag))
                                  : k2onnx__convlstm_out(cv, &F, res[d].last, 0, k2onnx__sprintf(cv->ctx, "%s_last_output", tag));
        if (!r[d]) return 0;
    }
    if (!k2onnx__outputs(cv, out, nout, (mode ? 1u : 2u) + (F.return_state ? 4u : 0u))) return 0;
    rank = (F.return_sequences ? 3u : 2u) + F.nsp;
    if (mode) {
        const char *m = k2onnx__bidi_merge(cv, mode, r[0], r[1], (int64_t)rank - 1, "merged");
        if (!m) return 0;
        k2onnx__convlstm_value(&F, x, m, F.return_sequences, strcmp(mode, "concat") == 0 ? 2 : 1, &(*out)[o++]);
    } else {
        for (d = 0; d < 2; d++) k2onnx__convlstm_value(&F, x, r[d], F.return_sequences, 1, &(*out)[o++]);
    }
    for (d = 0; F.return_sequences && d < o; d++) (*out)[d].mask = x->mask;
    for (d = 0; F.return_state && d < 2; d++) {
        const char *ho = k2onnx__convlstm_out(cv, &F, res[d].h, 0, d ? "backward_h_state" : "forward_h_state");
        const char *co = k2onnx__convlstm_out(cv, &F, res[d].c, 0, d ? "backward_c_state" : "forward_c_state");
        if (!ho || !co) return 0;
        k2onnx__convlstm_value(&F, x, ho, 0, 1, &(*out)[o++]);
        k2onnx__convlstm_value(&F, x, co, 0, 1, &(*out)[o++]);
    }
    return 1;
}

#endif

/* --- Bidirectional ---------------------------------------------------------------------------- */

/* The two halves of a Bidirectional recurrent layer: one cell each, of one kind and size, the
   backward one going backwards (a copy of the forward one when the file has no backward_layer). */
static int k2onnx__bidi_read(k2onnx__converter *cv, const char *fcls, const k2onnx__json *fcfg, const char *bcls, const k2onnx__json *bcfg,
                             k2onnx__rnn_layer *F, k2onnx__rnn_layer *B)
{
    if (!k2onnx__rnn_layer_read(cv, fcls, fcfg, F)) return 0;
    if (bcls) {
        if (!k2onnx__rnn_layer_read(cv, bcls, bcfg, B)) return 0;
        if (!B->go_backwards) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "a backward_layer with go_backwards=false is not supported");
    } else {
        *B = *F;
    }
    if (F->ncells != 1 || B->ncells != 1) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "Bidirectional over StackedRNNCells is not supported yet");
    if (F->go_backwards) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "a forward layer with go_backwards=true is not supported");
    if (F->cells[0].kind != B->cells[0].kind || F->cells[0].units != B->cells[0].units)
        return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "forward and backward layers of different kinds or sizes are not supported");
    return 1;
}

/* A Bidirectional layer's outputs from its two runs: the merged output (or both halves), then
   with return_state each half's final states; with --state-io also those as graph outputs
   `forward_h_n`, `backward_h_n` (and `c_n`). */
static int k2onnx__bidi_outputs(k2onnx__converter *cv, const k2onnx__rnn_layer *F, const k2onnx__kvalue *x, const k2onnx__rnn_result res[2],
                                const char *mode, unsigned nstates, int state_io, k2onnx__kvalue **out, size_t *nout)
{
    const char *seq[2] = {NULL, NULL};
    int64_t H = F->cells[0].units;
    int tm = F->time_major;
    unsigned d;
    size_t o = 0;
    for (d = 0; d < 2 && F->return_sequences; d++)
        if (!(seq[d] = res[d].seq_final ? res[d].seq : k2onnx__rnn_finish_seq(cv, res[d].seq, 0, tm, d ? "backward_sequences" : "forward_sequences")))
            return 0;
    if (!k2onnx__outputs(cv, out, nout, (mode ? 1u : 2u) + (F->return_state ? 2u * nstates : 0u))) return 0;
    if (mode) {
        const char *m = F->return_sequences ? k2onnx__bidi_merge(cv, mode, seq[0], seq[1], 2, "merged")
                                            : k2onnx__bidi_merge(cv, mode, res[0].last, res[1].last, 1, "merged");
        int64_t width = strcmp(mode, "concat") == 0 ? 2 * H : H;
        if (!m) return 0;
        k2onnx__rnn_value(&(*out)[o++], x, m, F->return_sequences, tm, width);
    } else {
        for (d = 0; d < 2; d++) k2onnx__rnn_value(&(*out)[o++], x, F->return_sequences ? seq[d] : res[d].last, F->return_sequences, tm, H);
    }
    if (F->return_state)
        for (d = 0; d < 2; d++) {
            k2onnx__rnn_value(&(*out)[o++], x, res[d].h, 0, tm, H);
            if (nstates == 2) k2onnx__rnn_value(&(*out)[o++], x, res[d].c, 0, tm, H);
        }
    for (d = 0; state_io && d < 2; d++) {
        k2onnx__kvalue v;
        k2onnx__rnn_value(&v, x, res[d].h, 0, tm, H);
        if (!k2onnx__state_output(cv, &v, d ? "backward_h_n" : "forward_h_n")) return 0;
        if (nstates == 1) continue;
        v.name = res[d].c;
        if (!k2onnx__state_output(cv, &v, d ? "backward_c_n" : "forward_c_n")) return 0;
    }
    return 1;
}

/* The weights of both halves: the forward layer's first, then the backward layer's from *nw on. */
static int k2onnx__bidi_weights(k2onnx__converter *cv, const k2onnx__rnn_layer *F, const k2onnx__rnn_layer *B, int64_t I, size_t *nw)
{
    const k2onnx__rnn_spec *both[2];
    both[0] = &F->cells[0];
    both[1] = &B->cells[0];
    if (!k2onnx__kweights(cv->m, cv->layer) || !k2onnx__rnn_keras1_weights(cv, both, 2, I)) return 0;
    *nw = k2onnx__rnn_nweights(&F->cells[0]);
    if (cv->layer->nweights != *nw + k2onnx__rnn_nweights(&B->cells[0]))
        return k2onnx__lfail(cv, k2onnx_result_invalid_model, "expected %d weights, the file has %d", (int)(*nw + k2onnx__rnn_nweights(&B->cells[0])),
                             (int)cv->layer->nweights);
    return k2onnx__rnn_check_weights(cv, &F->cells[0], 0, I) && k2onnx__rnn_check_weights(cv, &B->cells[0], *nw, I);
}

/* options.state_io: graph inputs forward_h0, forward_c0, backward_h0, backward_c0 (as many as
   the cells have states) for a Bidirectional layer Keras gives no initial_state. */
static const k2onnx__kvalue *k2onnx__bidi_state_inputs(k2onnx__converter *cv, const k2onnx__kvalue *x, int tm, int64_t units, unsigned nstates)
{
    k2onnx__kvalue *sv = (k2onnx__kvalue *)k2onnx__alloc_array(cv->ctx, 2 * nstates, sizeof *sv);
    unsigned d;
    if (!sv) return NULL;
    for (d = 0; d < 2 * nstates; d++)
        if (!k2onnx__state_input(cv, x, tm, units, k2onnx__sprintf(cv->ctx, "%s_%c0", d < nstates ? "forward" : "backward", d % nstates ? 'c' : 'h'),
                                 &sv[d]))
            return NULL;
    return sv;
}

/* Bidirectional(recurrent layer). */
static int k2onnx__map_bidirectional(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    const k2onnx__json *cfg = cv->layer->config;
    const k2onnx__json *fwd = k2onnx__jget(cfg, "layer"), *bwd = k2onnx__jget(cfg, "backward_layer");
    const char *fcls = k2onnx__jstr(k2onnx__jget(fwd, "class_name")), *bcls = k2onnx__jstr(k2onnx__jget(bwd, "class_name"));
    const k2onnx__json *mj = k2onnx__jget(cfg, "merge_mode");
    const char *mode = mj && mj->type == K2ONNX__JNULL ? NULL : k2onnx__jstr(mj);
    k2onnx__rnn_layer F, B;
    k2onnx__rnn_result res[2];
    const k2onnx__kvalue *x = &in[0], *states = nin > 1 ? in + 1 : NULL;
    k2onnx__rnn_seq seq;
    unsigned nstates, d;
    int fused, unroll;
    size_t nw;
    int64_t T;
    int tm; /* time_major: the input and the sequences are [time, batch, features] */
    int state_io = cv->ctx->opt.state_io; /* inputs only where Keras gives no initial_state */
    if (!mj) mode = "concat";
    if (!fcls) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "Bidirectional without a serialized inner layer");
#if defined(K2ONNX_NO_CONV) || defined(K2ONNX_NO_SCAN_UNROLL)
    if (strcmp(fcls, "ConvLSTM1D") == 0 || strcmp(fcls, "ConvLSTM2D") == 0)
        return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "%s is left out of this build (K2ONNX_NO_CONV or K2ONNX_NO_SCAN_UNROLL)", fcls);
#else
    if (strcmp(fcls, "ConvLSTM1D") == 0 || strcmp(fcls, "ConvLSTM2D") == 0) return k2onnx__bidi_convlstm(cv, in, nin, mode, out, nout);
#endif
    if (!k2onnx__bidi_read(cv, fcls, k2onnx__jget(fwd, "config"), bcls, k2onnx__jget(bwd, "config"), &F, &B)) return 0;
    nstates = k2onnx__rnn_states(&F.cells[0]);
    if (nin != 1 && nin != 1 + 2 * nstates)
        return k2onnx__lfail(cv, k2onnx_result_invalid_model, "expects the input plus 0 or %d initial state tensors, got %d inputs", (int)(2 * nstates), (int)nin);
    if (x->rank != 3 || x->dims[2] < 0) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "input must be [batch, time, features] with known features");
    tm = F.time_major;
    if (x->mask && tm) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "a mask with time_major=true is not supported");
    T = x->dims[tm ? 0 : 1];
    if (!k2onnx__bidi_weights(cv, &F, &B, x->dims[2], &nw)) return 0;
    if (state_io && !states && !(states = k2onnx__bidi_state_inputs(cv, x, tm, F.cells[0].units, nstates))) return 0;
    for (d = 0; states && d < 2 * nstates; d++)
        if (states[d].rank != 2) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "initial state %d must be [batch, units]", (int)d);
    fused = !x->mask && k2onnx__rnn_fusable(cv, &F.cells[0]) && k2onnx__rnn_fusable(cv, &B.cells[0]) &&
            (F.cells[0].kind != K2ONNX__GRU || F.cells[0].reset_after == B.cells[0].reset_after);
    unroll = k2onnx__rnn_unrolls(cv, !fused, T);
    if (unroll && T < 1) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "options.unroll needs a known number of time steps: give options.steps");
    if (!k2onnx__rnn_seq_of(cv, x, tm, unroll, &seq)) return 0;
    memset(res, 0, sizeof res);
    if (fused && !unroll) {
        if (!k2onnx__bidi_fused(cv, &F, &B, nw, seq.xt, x->dims[2], states, F.return_state || state_io, res)) return 0;
    } else {
        for (d = 0; d < 2; d++) {
            k2onnx__rnn_run r;
            memset(&r, 0, sizeof r);
            r.s = d ? &B.cells[0] : &F.cells[0];
            r.first_weight = d ? nw : 0;
            r.in = seq;
            r.init = states ? states + d * nstates : NULL;
            r.init_is_state_io = state_io && nin == 1;
            /* tf.keras and Keras 3 zero-fill masked steps of the halves when Bidirectional returns
               sequences; standalone Keras before 2.3 does not. */
            r.mask_mode = cv->m->legacy_mask ? K2ONNX__MASK_STATE : F.return_sequences ? K2ONNX__MASK_ZERO : K2ONNX__MASK_REPEAT;
            r.reverse = (int)d;
            r.want_seq = F.return_sequences;
            r.want_states = F.return_state || state_io;
            r.tag = d ? "backward" : "forward";
            if (!k2onnx__rnn_run_cell(cv, &r, &res[d])) return 0;
        }
    }
    return k2onnx__bidi_outputs(cv, &F, x, res, mode, nstates, state_io, out, nout);
}

/* --- reshaping: RepeatVector, Flatten, Reshape, Permute --------------------------------------- */

#ifndef K2ONNX_ONLY_RECURRENT
/* RepeatVector(n): [N, F] -> [N, n, F] by Unsqueeze and Tile. */
static int k2onnx__map_repeat_vector(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    const k2onnx__kvalue *x = &in[0];
    int64_t n, reps[3];
    const char *u, *r, *y;
    if (!k2onnx__expect_inputs(cv, nin, 1, 1) || !k2onnx__cfg_positive_int(k2onnx__cfg_of(cv, cv->layer->config), "n", NULL, &n)) return 0;
    if (x->rank != 2) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "input must be [batch, features]");
    reps[0] = 1;
    reps[1] = n;
    reps[2] = 1;
    if (K2ONNX__UNROLLS(cv->ctx)) {
        /* n copies joined on a new axis: onnx2c has no Tile. */
        const int64_t shape[3] = {0, 1, -1};
        k2onnx__node *c;
        int64_t i;
        r = k2onnx__init_i64(cv, "step_shape", shape, 3);
        u = r ? k2onnx__op2(cv, "Reshape", x->name, r, "expanded") : NULL;
        if (!u || !(c = k2onnx__add_node(cv, "Concat", (size_t)n, 1))) return 0;
        for (i = 0; i < n; i++) c->inputs[i] = u;
        c->outputs[0] = c->name = y = k2onnx__vname(cv, "repeated");
        k2onnx__attr_int(cv, c, "axis", 1);
    } else {
        u = k2onnx__squeeze(cv, "Unsqueeze", x->name, 1, "expanded");
        r = k2onnx__init_i64(cv, "repeats", reps, 3);
        y = u && r ? k2onnx__op2(cv, "Tile", u, r, "Tile") : NULL;
    }
    if (!y || !k2onnx__outputs(cv, out, nout, 1)) return 0;
    (*out)[0] = *x;
    (*out)[0].name = y;
    (*out)[0].rank = 3;
    (*out)[0].dims[2] = x->dims[1];
    (*out)[0].params[2] = x->params[1];
    (*out)[0].dims[1] = n;
    (*out)[0].params[1] = NULL;
    (*out)[0].mask = NULL;
    return 1;
}

/* How many values one batch entry of x holds: -1 when a dimension is unknown or the product does
   not fit. */
static int64_t k2onnx__inner_size(const k2onnx__kvalue *x)
{
    int64_t total = 1;
    unsigned i;
    for (i = 1; i < x->rank; i++) total = x->dims[i] >= 0 && total >= 0 && (!x->dims[i] || total <= INT64_MAX / x->dims[i]) ? total * x->dims[i] : -1;
    return total;
}

/* Reshape to [batch] + dims, where one of dims may be -1; the batch axis is kept (0). */
static int k2onnx__reshape_to(k2onnx__converter *cv, const k2onnx__kvalue *x, const int64_t *dims, size_t n, k2onnx__kvalue **out, size_t *nout)
{
    int64_t shape[K2ONNX__MAX_RANK], known = 1, total = k2onnx__inner_size(x);
    size_t i, unknown = 0;
    const char *s, *y;
    if (n + 1 > K2ONNX__MAX_RANK) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "output of rank %d", (int)n + 1);
    shape[0] = 0;
    for (i = 0; i < n; i++) {
        shape[i + 1] = dims[i];
        if (dims[i] == -1) unknown++;
        else if (dims[i] > 0 && known > INT64_MAX / dims[i]) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "target shape is too large");
        else known *= dims[i];
    }
    if (unknown > 1) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "target shape has more than one -1");
    s = k2onnx__init_i64(cv, "shape", shape, n + 1);
    y = s ? k2onnx__op2(cv, "Reshape", x->name, s, "Reshape") : NULL;
    if (!y || !k2onnx__outputs(cv, out, nout, 1)) return 0;
    (*out)[0] = *x;
    (*out)[0].name = y;
    (*out)[0].rank = (unsigned)n + 1;
    (*out)[0].mask = NULL;
    for (i = 0; i < n; i++) {
        int64_t d = dims[i];
        if (d == -1) d = total >= 0 && known > 0 && total % known == 0 ? total / known : -1;
        (*out)[0].dims[i + 1] = d;
        (*out)[0].params[i + 1] = d < 0 ? k2onnx__vname(cv, k2onnx__sprintf(cv->ctx, "dim%u", (unsigned long long)i + 1)) : NULL;
    }
    return 1;
}

static int k2onnx__data_format(k2onnx__converter *cv, int *first);

/* Flatten; channels_first moves the channels last first, as Keras does. */
static int k2onnx__map_flatten(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    int64_t all = -1, perm[K2ONNX__MAX_RANK];
    k2onnx__kvalue x;
    unsigned i;
    int first;
    if (!k2onnx__expect_inputs(cv, nin, 1, 1) || !k2onnx__data_format(cv, &first)) return 0;
    x = in[0];
    if (first && x.rank > 2) {
        perm[0] = 0;
        for (i = 1; i + 1 < x.rank; i++) perm[i] = i + 1;
        perm[x.rank - 1] = 1;
        if (!(x.name = k2onnx__transpose(cv, in[0].name, perm, x.rank, "channels_last"))) return 0;
        for (i = 1; i < x.rank; i++) {
            x.dims[i] = in[0].dims[perm[i]];
            x.params[i] = in[0].params[perm[i]];
        }
    }
    return k2onnx__reshape_to(cv, &x, &all, 1, out, nout);
}

static int k2onnx__map_reshape(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    const k2onnx__json *t = k2onnx__jget(cv->layer->config, "target_shape");
    int64_t dims[K2ONNX__MAX_RANK];
    size_t i;
    if (!k2onnx__expect_inputs(cv, nin, 1, 1)) return 0;
    if (!k2onnx__jis_array(t) || t->n == 0 || t->n + 1 > K2ONNX__MAX_RANK)
        return k2onnx__lfail(cv, k2onnx_result_invalid_model, "target_shape is missing or has an unsupported rank");
    for (i = 0; i < t->n; i++) {
        long long d;
        if (!k2onnx__jint(&t->items[i], -1, (long long)1 << 40, &d) || d == 0)
            return k2onnx__lfail(cv, k2onnx_result_invalid_model, "target_shape entry %d is not a positive integer or -1", (int)i);
        dims[i] = d;
    }
    return k2onnx__reshape_to(cv, &in[0], dims, t->n, out, nout);
}

/* Permute(dims): Keras numbers the axes from 1, after the batch axis. */
static int k2onnx__map_permute(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    const k2onnx__json *d = k2onnx__jget(cv->layer->config, "dims");
    const k2onnx__kvalue *x = &in[0];
    int64_t perm[K2ONNX__MAX_RANK];
    unsigned seen = 0;
    size_t i;
    const char *y;
    if (!k2onnx__expect_inputs(cv, nin, 1, 1)) return 0;
    if (!k2onnx__jis_array(d) || d->n + 1 != x->rank) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "dims does not match the input rank");
    perm[0] = 0;
    for (i = 0; i < d->n; i++) {
        long long v;
        if (!k2onnx__jint(&d->items[i], 1, (long long)d->n, &v) || (seen >> v) & 1u)
            return k2onnx__lfail(cv, k2onnx_result_invalid_model, "dims is not a permutation of 1..%d", (int)d->n);
        seen |= 1u << v;
        perm[i + 1] = v;
    }
    y = k2onnx__transpose(cv, x->name, perm, x->rank, "Transpose");
    if (!y || !k2onnx__outputs(cv, out, nout, 1)) return 0;
    (*out)[0] = *x;
    (*out)[0].name = y;
    (*out)[0].mask = NULL;
    for (i = 1; i < x->rank; i++) {
        (*out)[0].dims[i] = x->dims[perm[i]];
        (*out)[0].params[i] = x->params[perm[i]];
    }
    return 1;
}

/* --- 1-D convolution and pooling -------------------------------------------------------------- */

/* data_format of a 1-D layer: *first is 1 for channels_first ([batch, channels, steps]). */
static int k2onnx__data_format(k2onnx__converter *cv, int *first)
{
    const char *fmt = k2onnx__jstr(k2onnx__jget(cv->layer->config, "data_format"));
    *first = fmt && strcmp(fmt, "channels_first") == 0;
    if (fmt && !*first && strcmp(fmt, "channels_last") != 0)
        return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "data_format '%s' is not supported", fmt);
    return 1;
}

#ifndef K2ONNX_NO_CONV
/* Output length of a 1-D window op, or -1 when the input length is not known. */
static int64_t k2onnx__window_len(int64_t T, const char *padding, int64_t span, int64_t stride)
{
    if (T < 0) return -1;
    if (strcmp(padding, "valid") == 0) return T >= span ? (T - span) / stride + 1 : 0;
    return (T + stride - 1) / stride; /* same and causal */
}

#endif

/* [N, T, C] <-> [N, C, T] around the ONNX ops that want channels first. */
static const int64_t k2onnx__swap12[3] = {0, 2, 1};

#ifndef K2ONNX_NO_CONV
/* A [batch, steps, channels] value (or [batch, channels, steps] when `first`) of T steps and C
   channels, shaped like x otherwise. */
static void k2onnx__seq_value_fmt(k2onnx__kvalue *v, const k2onnx__kvalue *x, const char *name, int64_t T, int64_t C, int first)
{
    unsigned t = first ? 2u : 1u, c = first ? 1u : 2u;
    *v = *x;
    v->name = name;
    v->mask = NULL;
    v->dims[t] = T;
    v->params[t] = T < 0 ? x->params[t] : NULL;
    v->dims[c] = C;
    v->params[c] = NULL;
}

/* ONNX pads [begin, end] of a 1-D window: 'same' split as TensorFlow does (the odd one at the
   end), 'causal' all at the start. */
static int k2onnx__conv_pads(k2onnx__converter *cv, const char *padding, int64_t T, int64_t span, int64_t st, int64_t pads[2])
{
    pads[0] = pads[1] = 0;
    if (strcmp(padding, "causal") == 0) {
        pads[0] = span - 1;
    } else if (strcmp(padding, "same") == 0) {
        int64_t total;
        if (st != 1 && T < 0) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "padding 'same' with strides > 1 needs a known sequence length");
        total = st == 1 ? span - 1 : ((T + st - 1) / st - 1) * st + span - T;
        if (total < 0) total = 0;
        pads[0] = total / 2;
        pads[1] = total - total / 2;
    } else if (strcmp(padding, "valid") != 0) {
        return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "padding '%s' is not supported", padding);
    }
    return 1;
}

/* The geometry shared by Conv1D and SeparableConv1D. */
typedef struct k2onnx__conv1d_cfg {
    const char *padding, *act;
    int64_t k, st, d;
    int first, use_bias;
    int keras1;               /* Keras 1 Convolution1D: nb_filter, filter_length, border_mode, ... */
    int64_t C, T, span, pads[2];
} k2onnx__conv1d_cfg;

/* The config keys of a 1-D convolution in Keras 2 and later, and in Keras 1. */
typedef struct k2onnx__conv1d_keys {
    const char *filters, *kernel, *strides, *dilation, *padding, *bias;
} k2onnx__conv1d_keys;

static const k2onnx__conv1d_keys k2onnx__conv1d_keys_of[2] = {
    {"filters", "kernel_size", "strides", "dilation_rate", "padding", "use_bias"},
    {"nb_filter", "filter_length", "subsample_length", "atrous_rate", "border_mode", "bias"}};

/* 1 when a Keras 1 file was saved by the Theano backend, 0 when by TensorFlow, -1 on error.
   Keras 1 records no backend, but TensorFlow names every variable with a ":0" suffix. */
static int k2onnx__keras1_theano(k2onnx__converter *cv)
{
    k2onnx__kmodel *m = cv->m;
    size_t i;
    if (m->keras_major != 1) return 0;
    for (i = 0; !m->keras1_backend && i < m->nlayers; i++) {
        const char *name;
        size_t n;
        if (!k2onnx__kweights(m, &m->layers[i])) return -1;
        if (!m->layers[i].nweights) continue;
        name = m->layers[i].weight_paths[0];
        n = strlen(name);
        m->keras1_backend = n >= 2 && strcmp(name + n - 2, ":0") == 0 ? 1 : 2;
    }
    return m->keras1_backend == 2;
}

static int k2onnx__conv1d_read(k2onnx__converter *cv, const k2onnx__kvalue *x, k2onnx__conv1d_cfg *c)
{
    const k2onnx__json *cfg = cv->layer->config;
    const k2onnx__conv1d_keys *key;
    long long k, st, d;
    c->keras1 = k2onnx__jget(cfg, "filter_length") != NULL;
    key = &k2onnx__conv1d_keys_of[c->keras1];
    c->padding = k2onnx__jstr(k2onnx__jget(cfg, key->padding));
    if (!c->padding) c->padding = "valid";
    c->use_bias = k2onnx__jbool(cfg, key->bias, 1);
    if (!k2onnx__data_format(cv, &c->first) || !k2onnx__cfg_int1(k2onnx__cfg_of(cv, cfg), key->kernel, 1, &k) || !k2onnx__cfg_int1(k2onnx__cfg_of(cv, cfg), key->strides, 1, &st) ||
        !k2onnx__cfg_int1(k2onnx__cfg_of(cv, cfg), key->dilation, 1, &d) || !k2onnx__activation_name(cv, cfg, "activation", "linear", &c->act))
        return 0;
    if (c->keras1 && strcmp(c->padding, "causal") == 0)
        return k2onnx__lfail(cv, k2onnx_result_invalid_model, "border_mode 'causal' is not a Keras 1 border mode");
    c->k = k;
    c->st = st;
    c->d = d;
    if (x->rank != 3 || x->dims[c->first ? 1 : 2] < 0)
        return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "input must be [batch, steps, channels] (or channels first) with known channels");
    c->C = x->dims[c->first ? 1 : 2];
    c->T = x->dims[c->first ? 2 : 1];
    c->span = c->d * (c->k - 1) + 1;
    if (c->T >= 0 && c->T < c->span && strcmp(c->padding, "valid") == 0)
        return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "the input has %d steps, fewer than the kernel spans (%d) with padding 'valid'",
                             (int)c->T, (int)c->span);
    if (!k2onnx__conv_pads(cv, c->padding, c->T, c->span, c->st, c->pads)) return 0;
    if (c->keras1 && strcmp(c->padding, "same") == 0) {
        int theano = k2onnx__keras1_theano(cv);
        if (theano < 0) return 0;
        /* Theano's 'half' border pads half the dilated kernel's span on both sides, and Keras 1
           cut the extra output an even span gives off the end. */
        if (theano) {
            int64_t total = c->pads[0] + c->pads[1];
            c->pads[0] = c->span / 2;
            c->pads[1] = total - c->pads[0];
            if (c->pads[1] < 0)
                return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "Keras 1 Theano border_mode 'same' with these strides is not supported yet");
        }
    }
    return 1;
}

/* The Conv output back in the layer's data format, then the activation. */
static int k2onnx__conv1d_finish(k2onnx__converter *cv, const k2onnx__kvalue *x, const k2onnx__conv1d_cfg *c, const char *y, int64_t F,
                                 k2onnx__kvalue **out, size_t *nout)
{
    k2onnx__kvalue lin;
    int64_t T2 = k2onnx__window_len(c->T, strcmp(c->padding, "causal") == 0 ? "same" : c->padding, c->span, c->st);
    if (!c->first) y = y ? k2onnx__transpose(cv, y, k2onnx__swap12, 3, "channels_last") : NULL;
    if (!y || !k2onnx__outputs(cv, out, nout, 1)) return 0;
    k2onnx__seq_value_fmt(&lin, x, y, T2, F, c->first);
    return k2onnx__apply_activation(cv, c->act, &lin, &(*out)[0]);
}

static const char *k2onnx__channels_first_input(k2onnx__converter *cv, const k2onnx__kvalue *x, const k2onnx__conv1d_cfg *c)
{
    return c->first ? x->name : k2onnx__transpose(cv, x->name, k2onnx__swap12, 3, "channels_first");
}

/* Conv1D: padding valid, same and causal, strides, dilation, groups, either data format. */
static int k2onnx__map_conv1d(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    const k2onnx__json *cfg = cv->layer->config;
    const k2onnx__kvalue *x = &in[0];
    k2onnx__conv1d_cfg c;
    const char *xt, *wn, *bn = NULL;
    long long g;
    int64_t F, Cg, dims3[3], f, ci, j;
    uint64_t kd[3];
    float *w;
    int kernel_first = 0, flip = 0;
    if (!k2onnx__expect_inputs(cv, nin, 1, 1) || !k2onnx__conv1d_read(cv, x, &c)) return 0;
    if (!k2onnx__cfg_positive_int(k2onnx__cfg_of(cv, cfg), k2onnx__conv1d_keys_of[c.keras1].filters, NULL, &F) || !k2onnx__cfg_int1(k2onnx__cfg_of(cv, cfg), "groups", 1, &g)) return 0;
    if (c.C % g || F % g) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "groups does not divide the channels");
    Cg = c.C / g;
    if (!k2onnx__kweights(cv->m, cv->layer)) return 0;
    if (cv->layer->nweights != (size_t)(c.use_bias ? 2 : 1))
        return k2onnx__lfail(cv, k2onnx_result_invalid_model, "expected %d weights, the file has %d", c.use_bias ? 2 : 1, (int)cv->layer->nweights);
    kd[0] = (uint64_t)c.k;
    kd[1] = (uint64_t)Cg;
    kd[2] = (uint64_t)F;
    if (c.keras1) {
        /* Keras 1.2 keeps the kernel of its 2-D convolution, [k, 1, C, F]; Keras 1.1 kept it
           Theano-ordered, [F, C, k, 1]. A model trained on Theano convolved (its kernel flipped). */
        uint64_t k4[4];
        k4[0] = (uint64_t)c.k, k4[1] = 1, k4[2] = (uint64_t)c.C, k4[3] = (uint64_t)F;
        const k2onnx__h5array *W = &cv->layer->weights[0];
        kernel_first = !(W->rank == 4 && W->dims[0] == (uint64_t)c.k && W->dims[1] == 1 && W->dims[3] == (uint64_t)F);
        if (kernel_first) k4[0] = (uint64_t)F, k4[1] = (uint64_t)c.C, k4[2] = (uint64_t)c.k, k4[3] = 1;
        if (!k2onnx__check_weight(cv, 0, "W", 4, k4) || (c.use_bias && !k2onnx__check_weight(cv, 1, "b", 1, &kd[2]))) return 0;
        if ((flip = k2onnx__keras1_theano(cv)) < 0) return 0;
    } else if (!k2onnx__check_weight(cv, 0, "kernel", 3, kd) || (c.use_bias && !k2onnx__check_weight(cv, 1, "bias", 1, &kd[2]))) {
        return 0;
    }
    /* Keras kernel [k, C/g, F] -> ONNX weight [F, C/g, k]. */
    w = (float *)k2onnx__alloc_array(cv->ctx, (size_t)(F * Cg * c.k), sizeof *w);
    if (!w) return 0;
    for (f = 0; f < F; f++)
        for (ci = 0; ci < Cg; ci++)
            for (j = 0; j < c.k; j++) {
                uint64_t tap = (uint64_t)(flip ? c.k - 1 - j : j);
                uint64_t at = kernel_first ? ((uint64_t)f * (uint64_t)Cg + (uint64_t)ci) * (uint64_t)c.k + tap
                                           : (tap * (uint64_t)Cg + (uint64_t)ci) * (uint64_t)F + (uint64_t)f;
                w[(f * Cg + ci) * c.k + j] = k2onnx__h5array_get(&cv->layer->weights[0], at);
            }
    dims3[0] = F;
    dims3[1] = Cg;
    dims3[2] = c.k;
    if (!(wn = k2onnx__init_f32(cv, "W", w, 3, dims3))) return 0;
    if (c.use_bias && !(bn = k2onnx__vector_init(cv, 1, "B", F))) return 0;
    xt = k2onnx__channels_first_input(cv, x, &c);
    return k2onnx__conv1d_finish(cv, x, &c, xt ? k2onnx__conv_node(cv, xt, wn, bn, 1, &c.k, &c.st, &c.d, c.pads, g, "Conv") : NULL, F, out, nout);
}

/* SeparableConv1D: a depthwise Conv (group = channels, depth_multiplier outputs each) carrying
   the strides and dilation, then a pointwise Conv with the bias. */
static int k2onnx__map_separable_conv1d(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    const k2onnx__json *cfg = cv->layer->config;
    const k2onnx__kvalue *x = &in[0];
    k2onnx__conv1d_cfg c;
    const char *xt, *dn, *pn, *bn = NULL, *y;
    int64_t F, M, dd[3], zero[2] = {0, 0}, ch, m, j;
    uint64_t kd[3];
    float *dw;
    k2onnx__initializer *pw;
    if (!k2onnx__expect_inputs(cv, nin, 1, 1)) return 0;
    if (!k2onnx__cfg_positive_int(k2onnx__cfg_of(cv, cfg), "filters", NULL, &F) || !k2onnx__conv1d_read(cv, x, &c)) return 0;
    if (!k2onnx__jget(cfg, "depth_multiplier")) M = 1;
    else if (!k2onnx__cfg_positive_int(k2onnx__cfg_of(cv, cfg), "depth_multiplier", NULL, &M)) return 0;
    if (!k2onnx__kweights(cv->m, cv->layer)) return 0;
    if (cv->layer->nweights != (size_t)(c.use_bias ? 3 : 2))
        return k2onnx__lfail(cv, k2onnx_result_invalid_model, "expected %d weights, the file has %d", c.use_bias ? 3 : 2, (int)cv->layer->nweights);
    kd[0] = (uint64_t)c.k;
    kd[1] = (uint64_t)c.C;
    kd[2] = (uint64_t)M;
    if (!k2onnx__check_weight(cv, 0, "depthwise_kernel", 3, kd)) return 0;
    kd[0] = 1;
    kd[1] = (uint64_t)(c.C * M);
    kd[2] = (uint64_t)F;
    if (!k2onnx__check_weight(cv, 1, "pointwise_kernel", 3, kd) || (c.use_bias && !k2onnx__check_weight(cv, 2, "bias", 1, &kd[2]))) return 0;
    /* depthwise [k, C, M] -> [C*M, 1, k]; output channel c*M + m reads input channel c. */
    dw = (float *)k2onnx__alloc_array(cv->ctx, (size_t)(c.C * M * c.k), sizeof *dw);
    if (!dw) return 0;
    for (ch = 0; ch < c.C; ch++)
        for (m = 0; m < M; m++)
            for (j = 0; j < c.k; j++)
                dw[(ch * M + m) * c.k + j] =
                    k2onnx__h5array_get(&cv->layer->weights[0], ((uint64_t)j * (uint64_t)c.C + (uint64_t)ch) * (uint64_t)M + (uint64_t)m);
    dd[0] = c.C * M;
    dd[1] = 1;
    dd[2] = c.k;
    if (!(dn = k2onnx__init_f32(cv, "depthwise_W", dw, 3, dd))) return 0;
    /* pointwise [1, C*M, F] -> [F, C*M, 1]: a transpose the file can stream */
    dd[0] = F;
    dd[1] = c.C * M;
    dd[2] = 1;
    if (!(pw = k2onnx__add_matrix(cv, k2onnx__vname(cv, "pointwise_W"), 3, dd, 1))) return 0;
    pw->parts[0].src = cv->layer->weights[1];
    pw->parts[0].rows = (uint64_t)(c.C * M);
    pw->parts[0].cols = (uint64_t)F;
    pw->parts[0].transpose = 1;
    pw->parts[0].gates = 1;
    pn = pw->name;
    if (c.use_bias && !(bn = k2onnx__vector_init(cv, 2, "B", F))) return 0;
    xt = k2onnx__channels_first_input(cv, x, &c);
    y = xt ? k2onnx__conv_node(cv, xt, dn, NULL, 1, &c.k, &c.st, &c.d, c.pads, c.C, "depthwise") : NULL;
    {
        int64_t one = 1;
        y = y ? k2onnx__conv_node(cv, y, pn, bn, 1, &one, &one, &one, zero, 1, "pointwise") : NULL;
    }
    return k2onnx__conv1d_finish(cv, x, &c, y, F, out, nout);
}

/* MaxPooling1D / AveragePooling1D. */
static int k2onnx__map_pool1d(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    const k2onnx__json *cfg = cv->layer->config;
    const k2onnx__kvalue *x = &in[0];
    int keras1 = k2onnx__jget(cfg, "pool_length") != NULL; /* Keras 1: pool_length, stride, border_mode */
    const char *padding = k2onnx__jstr(k2onnx__jget(cfg, keras1 ? "border_mode" : "padding")), *xt, *y;
    int is_max = strcmp(cv->layer->cls, "MaxPooling1D") == 0 || strcmp(cv->layer->cls, "MaxPool1D") == 0, first;
    long long p, st;
    k2onnx__node *n;
    if (!k2onnx__expect_inputs(cv, nin, 1, 1) || !k2onnx__data_format(cv, &first)) return 0;
    if (!k2onnx__cfg_int1(k2onnx__cfg_of(cv, cfg), keras1 ? "pool_length" : "pool_size", 2, &p) || !k2onnx__cfg_int1(k2onnx__cfg_of(cv, cfg), keras1 ? "stride" : "strides", p, &st)) return 0;
    if (!padding) padding = "valid";
    if (strcmp(padding, "valid") != 0 && strcmp(padding, "same") != 0)
        return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "padding '%s' is not supported", padding);
    if (keras1 && strcmp(padding, "same") == 0) {
        int theano = k2onnx__keras1_theano(cv);
        if (theano) return theano < 0 ? 0 : k2onnx__lfail(cv, k2onnx_result_unsupported_model, "Keras 1 Theano border_mode 'same' is not supported yet");
    }
    if (!is_max && strcmp(padding, "same") == 0)
        return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "average pooling with padding 'same' is not supported yet");
    if (x->rank != 3) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "input must be [batch, steps, channels]");
    if (x->dims[first ? 2 : 1] >= 0 && x->dims[first ? 2 : 1] < p && strcmp(padding, "valid") == 0)
        return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "the input has %d steps, fewer than the pool size (%d) with padding 'valid'",
                             (int)x->dims[first ? 2 : 1], (int)p);
    if (!(xt = first ? x->name : k2onnx__transpose(cv, x->name, k2onnx__swap12, 3, "channels_first"))) return 0;
    if (!(n = k2onnx__add_node(cv, is_max ? "MaxPool" : "AveragePool", 1, 1))) return 0;
    n->inputs[0] = xt;
    n->outputs[0] = n->name = k2onnx__vname(cv, is_max ? "MaxPool" : "AveragePool");
    {
        int64_t pk = p, sk = st;
        if (!k2onnx__attr_ints(cv, n, "kernel_shape", &pk, 1) || !k2onnx__attr_ints(cv, n, "strides", &sk, 1)) return 0;
    }
    /* TensorFlow's 'same' puts the extra padding at the end; padded cells never win a max. */
    if (strcmp(padding, "same") == 0) k2onnx__attr_string(cv, n, "auto_pad", "SAME_UPPER");
    y = first ? n->outputs[0] : k2onnx__transpose(cv, n->outputs[0], k2onnx__swap12, 3, "channels_last");
    if (!y || !k2onnx__outputs(cv, out, nout, 1)) return 0;
    k2onnx__seq_value_fmt(&(*out)[0], x, y, k2onnx__window_len(x->dims[first ? 2 : 1], padding, p, st), x->dims[first ? 1 : 2], first);
    return 1;
}

/* --- 2-D convolution and pooling ------------------------------------------------------------ */

static int64_t *k2onnx__step_sources(k2onnx__converter *cv, int64_t T, int64_t T2, int64_t begin, int64_t repeat);

static const int64_t k2onnx__nhwc_to_nchw[4] = {0, 3, 1, 2}, k2onnx__nchw_to_nhwc[4] = {0, 2, 3, 1};

/* An int or a list of two ints from a 2-D layer's config (kernel_size=3 or [3, 3]). */
static int k2onnx__int2(k2onnx__converter *cv, const k2onnx__json *cfg, const char *key, long long def, int64_t out[2])
{
    const k2onnx__json *v = k2onnx__jget(cfg, key);
    long long a = def, b = def;
    if (v && v->type != K2ONNX__JNULL) {
        if (k2onnx__jis_array(v) && v->n == 2) {
            if (!k2onnx__jint(&v->items[0], 1, (long long)1 << 30, &a) || !k2onnx__jint(&v->items[1], 1, (long long)1 << 30, &b))
                return k2onnx__lfail(cv, k2onnx_result_invalid_model, "'%s' must hold two positive integers", key);
        } else if (k2onnx__jint(v, 1, (long long)1 << 30, &a)) {
            b = a;
        } else {
            return k2onnx__lfail(cv, k2onnx_result_invalid_model, "'%s' must be a positive integer or a pair of them", key);
        }
    }
    out[0] = a;
    out[1] = b;
    return 1;
}

/* An image [batch, rows, cols, channels] (or channels first) and where its axes are. */
typedef struct k2onnx__image {
    int first;                /* data_format channels_first */
    int64_t C, sp[2];         /* channels, rows and cols (-1: unknown) */
} k2onnx__image;

static int k2onnx__image_of(k2onnx__converter *cv, const k2onnx__kvalue *x, k2onnx__image *im)
{
    const char *order = k2onnx__jstr(k2onnx__jget(cv->layer->config, "dim_ordering")); /* Keras 1: th or tf */
    if (order) {
        if (strcmp(order, "th") != 0 && strcmp(order, "tf") != 0)
            return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "dim_ordering '%s' is not supported", order);
        im->first = strcmp(order, "th") == 0;
    } else if (!k2onnx__data_format(cv, &im->first)) {
        return 0;
    }
    if (x->rank != 4) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "input must be [batch, rows, cols, channels] (or channels first)");
    im->C = x->dims[im->first ? 1 : 3];
    im->sp[0] = x->dims[im->first ? 2 : 1];
    im->sp[1] = x->dims[im->first ? 3 : 2];
    return 1;
}

static const char *k2onnx__to_nchw(k2onnx__converter *cv, const k2onnx__kvalue *x, const k2onnx__image *im)
{
    return im->first ? x->name : k2onnx__transpose(cv, x->name, k2onnx__nhwc_to_nchw, 4, "channels_first");
}

/* The NCHW result y back in the layer's data format, with C channels and rows/cols sp. */
static int k2onnx__image_output(k2onnx__converter *cv, const k2onnx__kvalue *x, const k2onnx__image *im, const char *y, int64_t C, const int64_t sp[2],
                                k2onnx__kvalue *out)
{
    unsigned i;
    if (y && !im->first) y = k2onnx__transpose(cv, y, k2onnx__nchw_to_nhwc, 4, "channels_last");
    if (!y) return 0;
    *out = *x;
    out->name = y;
    out->mask = NULL;
    out->dims[im->first ? 1 : 3] = C;
    out->dims[im->first ? 2 : 1] = sp[0];
    out->dims[im->first ? 3 : 2] = sp[1];
    for (i = 1; i < 4; i++) out->params[i] = out->dims[i] < 0 ? k2onnx__vname(cv, k2onnx__sprintf(cv->ctx, "dim%u", (unsigned long long)i)) : NULL;
    return 1;
}

/* Kernel, strides, dilation and padding of a 2-D window, and the ONNX pads and output size. */
typedef struct k2onnx__window2d {
    const char *padding;
    int64_t k[2], st[2], d[2], pads[4], out[2];
} k2onnx__window2d;

static int k2onnx__window2d_read(k2onnx__converter *cv, const k2onnx__image *im, const char *ksize_key, long long kdef, k2onnx__window2d *w)
{
    const k2onnx__json *cfg = cv->layer->config;
    /* Keras 1: border_mode, subsample (convolutions), nb_row and nb_col */
    int keras1 = k2onnx__jget(cfg, "border_mode") != NULL;
    const char *strides = keras1 && k2onnx__jget(cfg, "subsample") ? "subsample" : "strides";
    unsigned a;
    w->padding = k2onnx__jstr(k2onnx__jget(cfg, keras1 ? "border_mode" : "padding"));
    if (!w->padding) w->padding = "valid";
    if (keras1 && k2onnx__jget(cfg, "nb_row")) {
        int64_t rows, cols;
        if (!k2onnx__cfg_positive_int(k2onnx__cfg_of(cv, cfg), "nb_row", NULL, &rows) || !k2onnx__cfg_positive_int(k2onnx__cfg_of(cv, cfg), "nb_col", NULL, &cols)) return 0;
        w->k[0] = rows, w->k[1] = cols;
    } else if (!k2onnx__int2(cv, cfg, ksize_key, kdef, w->k)) {
        return 0;
    }
    if (!k2onnx__int2(cv, cfg, keras1 && k2onnx__jget(cfg, "atrous_rate") ? "atrous_rate" : "dilation_rate", 1, w->d)) return 0;
    if (!k2onnx__jget(cfg, strides) || k2onnx__jget(cfg, strides)->type == K2ONNX__JNULL) {
        /* pooling: strides default to the pool size, convolutions to 1 */
        w->st[0] = strcmp(ksize_key, "pool_size") == 0 ? w->k[0] : 1;
        w->st[1] = strcmp(ksize_key, "pool_size") == 0 ? w->k[1] : 1;
    } else if (!k2onnx__int2(cv, cfg, strides, 1, w->st)) {
        return 0;
    }
    if (strcmp(w->padding, "valid") != 0 && strcmp(w->padding, "same") != 0)
        return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "padding '%s' is not supported", w->padding);
    for (a = 0; a < 2; a++) {
        int64_t span = w->d[a] * (w->k[a] - 1) + 1, p[2] = {0, 0};
        if (im->sp[a] >= 0 && im->sp[a] < span && strcmp(w->padding, "valid") == 0)
            return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "the input has %d %s, fewer than the window spans (%d) with padding 'valid'",
                                 (int)im->sp[a], a ? "cols" : "rows", (int)span);
        if (!k2onnx__conv_pads(cv, w->padding, im->sp[a], span, w->st[a], p)) return 0;
        if (keras1 && strcmp(w->padding, "same") == 0) {
            int theano = k2onnx__keras1_theano(cv);
            if (theano < 0) return 0;
            if (theano && strcmp(ksize_key, "pool_size") == 0)
                return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "Keras 1 Theano border_mode 'same' is not supported yet");
            /* Theano's 'half' border, an even kernel's surplus cut off the end (as in 1-D) */
            if (theano) {
                int64_t total = p[0] + p[1];
                p[0] = span / 2;
                p[1] = total - p[0];
                if (p[1] < 0)
                    return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "Keras 1 Theano border_mode 'same' with these strides is not supported yet");
            }
        }
        w->pads[a] = p[0];
        w->pads[a + 2] = p[1];
        w->out[a] = k2onnx__window_len(im->sp[a], w->padding, span, w->st[a]);
    }
    return 1;
}

/* A Conv2D, DepthwiseConv2D or SeparableConv2D layer's config, its weights checked. */
typedef struct k2onnx__conv2d {
    int depthwise, separable, use_bias, keras1;
    int th_kernels;         /* Keras 1 th ordering: kernels [out, in, rows, cols] */
    int flip;               /* a Keras 1 model trained on Theano: kernels run backwards */
    int64_t F, M, g, Cg;    /* filters, depth multiplier, groups, input channels per group */
    size_t bias_at;
    const char *act;
    k2onnx__image im;
    k2onnx__window2d w;
} k2onnx__conv2d;

/* The kernels' shapes in the file, by class and Keras dialect. */
static int k2onnx__conv2d_check_kernels(k2onnx__converter *cv, const k2onnx__conv2d *k)
{
    const k2onnx__image *im = &k->im;
    const k2onnx__window2d *w = &k->w;
    uint64_t kd[4];
    kd[0] = (uint64_t)w->k[0], kd[1] = (uint64_t)w->k[1];
    if (k->depthwise || k->separable) {
        kd[2] = (uint64_t)im->C, kd[3] = (uint64_t)k->M;
        if (k->th_kernels) kd[0] = (uint64_t)k->M, kd[1] = (uint64_t)im->C, kd[2] = (uint64_t)w->k[0], kd[3] = (uint64_t)w->k[1];
        if (!k2onnx__check_weight(cv, 0, "depthwise_kernel", 4, kd)) return 0;
    } else if (k->th_kernels) {
        kd[0] = (uint64_t)k->F, kd[1] = (uint64_t)k->Cg, kd[2] = (uint64_t)w->k[0], kd[3] = (uint64_t)w->k[1];
        if (!k2onnx__check_weight(cv, 0, "W", 4, kd)) return 0;
    } else {
        kd[2] = (uint64_t)k->Cg, kd[3] = (uint64_t)k->F;
        if (!k2onnx__check_weight(cv, 0, k->keras1 ? "W" : "kernel", 4, kd)) return 0;
    }
    return 1;
}

static int k2onnx__conv2d_read(k2onnx__converter *cv, const k2onnx__kvalue *x, k2onnx__conv2d *k)
{
    const k2onnx__json *cfg = cv->layer->config;
    const char *cls = cv->layer->cls;
    long long groups = 1;
    uint64_t kd[4];
    size_t want;
    memset(k, 0, sizeof *k);
    k->depthwise = strcmp(cls, "DepthwiseConv2D") == 0;
    k->separable = strstr(cls, "Separable") != NULL;
    k->keras1 = k2onnx__jget(cfg, "nb_filter") != NULL;
    k->use_bias = k2onnx__jbool(cfg, k->keras1 ? "bias" : "use_bias", 1);
    k->M = k->g = 1;
    if (k->keras1 && k->depthwise) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "Keras 1 %s is not supported yet", cls);
    if (!k2onnx__image_of(cv, x, &k->im) || !k2onnx__window2d_read(cv, &k->im, "kernel_size", 1, &k->w) ||
        !k2onnx__activation_name(cv, cfg, "activation", "linear", &k->act))
        return 0;
    if (k->im.C < 0) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "the channels must have a known size");
    /* SeparableConvolution2D in th ordering: depthwise [M, C, rows, cols], pointwise [F, C*M, 1, 1] */
    k->th_kernels = k->keras1 && k->im.first;
    if ((k->depthwise || k->separable) && k2onnx__jget(cfg, "depth_multiplier") &&
        !k2onnx__cfg_positive_int(k2onnx__cfg_of(cv, cfg), "depth_multiplier", NULL, &k->M))
        return 0;
    if (k->depthwise) k->F = k->im.C * k->M;
    else if (!k2onnx__cfg_positive_int(k2onnx__cfg_of(cv, cfg), k->keras1 ? "nb_filter" : "filters", NULL, &k->F)) return 0;
    if (!k->depthwise && !k->separable) {
        if (!k2onnx__cfg_int1(k2onnx__cfg_of(cv, cfg), "groups", 1, &groups)) return 0;
        k->g = groups;
        if (k->im.C % k->g || k->F % k->g) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "groups does not divide the channels");
    }
    want = (size_t)(k->separable ? 2 : 1) + (size_t)k->use_bias;
    k->bias_at = (size_t)(k->separable ? 2 : 1);
    if (!k2onnx__kweights(cv->m, cv->layer)) return 0;
    if (cv->layer->nweights != want)
        return k2onnx__lfail(cv, k2onnx_result_invalid_model, "expected %d weights, the file has %d", (int)want, (int)cv->layer->nweights);
    k->Cg = k->im.C / k->g;
    if (!k2onnx__conv2d_check_kernels(cv, k)) return 0;
    /* a Keras 1 model trained on Theano convolved: its kernel runs backwards on both axes */
    if (k->keras1 && (k->flip = k2onnx__keras1_theano(cv)) < 0) return 0;
    if (k->flip && k->separable)
        return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "a Theano-saved Keras 1 %s (Keras 1 had it for TensorFlow only)", cls);
    if (k->separable) {
        kd[0] = kd[1] = 1, kd[2] = (uint64_t)(k->im.C * k->M), kd[3] = (uint64_t)k->F;
        if (k->th_kernels) kd[0] = (uint64_t)k->F, kd[1] = (uint64_t)(k->im.C * k->M), kd[2] = kd[3] = 1;
        if (!k2onnx__check_weight(cv, 1, "pointwise_kernel", 4, kd)) return 0;
    }
    kd[0] = (uint64_t)k->F;
    return !k->use_bias || k2onnx__check_weight(cv, k->bias_at, "bias", 1, kd);
}

/* The depthwise step as a grouped Conv (one group per input channel), and for SeparableConv2D the
   pointwise step, a 1x1 Conv. */
static const char *k2onnx__conv2d_depthwise(k2onnx__converter *cv, const k2onnx__conv2d *k, const char *xt)
{
    static const int64_t one[2] = {1, 1}, zero[4] = {0, 0, 0, 0};
    const k2onnx__image *im = &k->im;
    const k2onnx__window2d *w = &k->w;
    int64_t M = k->M, F = k->F, c, f, i, j, wd[4];
    const char *wn, *bn = NULL, *y;
    float *wv;
    /* depthwise [kh, kw, C, M] -> [C*M, 1, kh, kw]; output channel c*M + m reads channel c. */
    if (!(wv = (float *)k2onnx__alloc_array(cv->ctx, (size_t)(im->C * M * w->k[0] * w->k[1]), sizeof *wv))) return NULL;
    for (c = 0; c < im->C; c++)
        for (f = 0; f < M; f++)
            for (i = 0; i < w->k[0]; i++)
                for (j = 0; j < w->k[1]; j++)
                    wv[((c * M + f) * w->k[0] + i) * w->k[1] + j] =
                        k2onnx__h5array_get(&cv->layer->weights[0], k->th_kernels ? (uint64_t)(((f * im->C + c) * w->k[0] + i) * w->k[1] + j)
                                                                                  : (uint64_t)(((i * w->k[1] + j) * im->C + c) * M + f));
    wd[0] = im->C * M, wd[1] = 1, wd[2] = w->k[0], wd[3] = w->k[1];
    if (!(wn = k2onnx__init_f32(cv, "depthwise_W", wv, 4, wd))) return NULL;
    if (k->depthwise && k->use_bias && !(bn = k2onnx__vector_init(cv, k->bias_at, "B", F))) return NULL;
    y = k2onnx__conv_node(cv, xt, wn, bn, 2, w->k, w->st, w->d, w->pads, im->C, "depthwise");
    if (!y || !k->separable) return y;
    /* pointwise [1, 1, C*M, F] -> [F, C*M, 1, 1] */
    if (!(wv = (float *)k2onnx__alloc_array(cv->ctx, (size_t)(im->C * M * F), sizeof *wv))) return NULL;
    for (f = 0; f < F; f++)
        for (c = 0; c < im->C * M; c++)
            wv[f * im->C * M + c] = k2onnx__h5array_get(&cv->layer->weights[1], (uint64_t)(k->th_kernels ? f * im->C * M + c : c * F + f));
    wd[0] = F, wd[1] = im->C * M, wd[2] = wd[3] = 1;
    if (!(wn = k2onnx__init_f32(cv, "pointwise_W", wv, 4, wd))) return NULL;
    if (k->use_bias && !(bn = k2onnx__vector_init(cv, k->bias_at, "B", F))) return NULL;
    return k2onnx__conv_node(cv, y, wn, bn, 2, one, one, one, zero, 1, "pointwise");
}

/* A plain (or grouped) Conv: [kh, kw, C/g, F] (Keras 1 th: [F, C, kh, kw]) -> [F, C/g, kh, kw]. */
static const char *k2onnx__conv2d_plain(k2onnx__converter *cv, const k2onnx__conv2d *k, const char *xt)
{
    const k2onnx__window2d *w = &k->w;
    int64_t F = k->F, Cg = k->Cg, c, f, i, j, wd[4];
    const char *wn, *bn = NULL;
    float *wv = (float *)k2onnx__alloc_array(cv->ctx, (size_t)(F * Cg * w->k[0] * w->k[1]), sizeof *wv);
    if (!wv) return NULL;
    for (f = 0; f < F; f++)
        for (c = 0; c < Cg; c++)
            for (i = 0; i < w->k[0]; i++)
                for (j = 0; j < w->k[1]; j++) {
                    int64_t si = k->flip ? w->k[0] - 1 - i : i, sj = k->flip ? w->k[1] - 1 - j : j;
                    uint64_t at = k->th_kernels ? (uint64_t)(((f * Cg + c) * w->k[0] + si) * w->k[1] + sj)
                                                : (uint64_t)(((si * w->k[1] + sj) * Cg + c) * F + f);
                    wv[((f * Cg + c) * w->k[0] + i) * w->k[1] + j] = k2onnx__h5array_get(&cv->layer->weights[0], at);
                }
    wd[0] = F, wd[1] = Cg, wd[2] = w->k[0], wd[3] = w->k[1];
    if (!(wn = k2onnx__init_f32(cv, "W", wv, 4, wd))) return NULL;
    if (k->use_bias && !(bn = k2onnx__vector_init(cv, k->bias_at, "B", F))) return NULL;
    return k2onnx__conv_node(cv, xt, wn, bn, 2, w->k, w->st, w->d, w->pads, k->g, "Conv");
}

/* Conv2D, DepthwiseConv2D and SeparableConv2D: Keras kernels [kh, kw, in, out] become ONNX
   [out, in, kh, kw]. */
static int k2onnx__map_conv2d(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    k2onnx__conv2d k;
    k2onnx__kvalue lin;
    const char *xt, *y;
    if (!k2onnx__expect_inputs(cv, nin, 1, 1) || !k2onnx__conv2d_read(cv, &in[0], &k) || !(xt = k2onnx__to_nchw(cv, &in[0], &k.im))) return 0;
    y = k.depthwise || k.separable ? k2onnx__conv2d_depthwise(cv, &k, xt) : k2onnx__conv2d_plain(cv, &k, xt);
    if (!y || !k2onnx__image_output(cv, &in[0], &k.im, y, k.F, k.w.out, &lin) || !k2onnx__outputs(cv, out, nout, 1)) return 0;
    return k2onnx__apply_activation(cv, k.act, &lin, &(*out)[0]);
}

/* MaxPooling2D / AveragePooling2D. */
static int k2onnx__map_pool2d(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    int is_max = strstr(cv->layer->cls, "Max") != NULL;
    k2onnx__image im;
    k2onnx__window2d w;
    k2onnx__node *n;
    const char *xt;
    if (!k2onnx__expect_inputs(cv, nin, 1, 1) || !k2onnx__image_of(cv, &in[0], &im) || !k2onnx__window2d_read(cv, &im, "pool_size", 2, &w)) return 0;
    if (!is_max && strcmp(w.padding, "same") == 0)
        return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "average pooling with padding 'same' is not supported yet");
    if (!(xt = k2onnx__to_nchw(cv, &in[0], &im))) return 0;
    if (!(n = k2onnx__add_node(cv, is_max ? "MaxPool" : "AveragePool", 1, 1))) return 0;
    n->inputs[0] = xt;
    n->outputs[0] = n->name = k2onnx__vname(cv, is_max ? "MaxPool" : "AveragePool");
    if (!k2onnx__attr_ints(cv, n, "kernel_shape", w.k, 2) || !k2onnx__attr_ints(cv, n, "strides", w.st, 2)) return 0;
    /* TensorFlow's 'same' puts the extra padding at the end; padded cells never win a max. */
    if (strcmp(w.padding, "same") == 0 && !k2onnx__attr_ints(cv, n, "pads", w.pads, 4)) return 0;
    return k2onnx__outputs(cv, out, nout, 1) && k2onnx__image_output(cv, &in[0], &im, n->outputs[0], im.C, w.out, &(*out)[0]);
}

/* GlobalAveragePooling2D / GlobalMaxPooling2D: the rows, then the cols, reduced away. */
static int k2onnx__map_global_pool2d(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    const k2onnx__kvalue *x = &in[0];
    int is_max = strstr(cv->layer->cls, "Max") != NULL;
    k2onnx__image im;
    int64_t rows;
    const char *y;
    if (!k2onnx__expect_inputs(cv, nin, 1, 1) || !k2onnx__image_of(cv, x, &im)) return 0;
    if (k2onnx__jbool(cv->layer->config, "keepdims", 0)) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "keepdims=true is not supported yet");
    rows = im.first ? 2 : 1;
    y = k2onnx__reduce_drop(cv, is_max ? "ReduceMax" : "ReduceMean", x->name, 4, rows, is_max ? "max_rows" : "average_rows");
    y = y ? k2onnx__reduce_drop(cv, is_max ? "ReduceMax" : "ReduceMean", y, 3, rows, is_max ? "max" : "average") : NULL;
    if (!y || !k2onnx__outputs(cv, out, nout, 1)) return 0;
    (*out)[0] = *x;
    (*out)[0].name = y;
    (*out)[0].rank = 2;
    (*out)[0].dims[1] = im.C;
    (*out)[0].params[1] = im.C < 0 ? k2onnx__vname(cv, "channels") : NULL;
    (*out)[0].mask = NULL;
    return 1;
}

/* ((top, bottom), (left, right)) from an int, a pair of ints or a pair of pairs. */
static int k2onnx__int_pairs2(k2onnx__converter *cv, const char *key, long long v[4])
{
    const k2onnx__json *j = k2onnx__jget(cv->layer->config, key);
    long long a;
    size_t i;
    if (k2onnx__jint(j, 0, (long long)1 << 30, &a)) {
        v[0] = v[1] = v[2] = v[3] = a;
        return 1;
    }
    if (k2onnx__jis_array(j) && j->n == 2) {
        for (i = 0; i < 2; i++) {
            const k2onnx__json *e = &j->items[i];
            if (k2onnx__jint(e, 0, (long long)1 << 30, &a)) {
                v[2 * i] = v[2 * i + 1] = a;
            } else if (!(k2onnx__jis_array(e) && e->n == 2 && k2onnx__jint(&e->items[0], 0, (long long)1 << 30, &v[2 * i]) &&
                         k2onnx__jint(&e->items[1], 0, (long long)1 << 30, &v[2 * i + 1]))) {
                break;
            }
        }
        if (i == 2) return 1;
    }
    return k2onnx__lfail(cv, k2onnx_result_invalid_model, "'%s' must be an int, two ints or two pairs of ints", key);
}

/* One axis of an NCHW image remapped by a 0/1 matrix: [N, C, A, B] is read as [N, C*A, B], times
   [B, B2] (from[b2]: the source of b2, -1 for a zero), then turned to [N, C, B2, A]. */
static const char *k2onnx__image_map_last(k2onnx__converter *cv, const char *x, int64_t C, int64_t A, int64_t B, int64_t B2, const int64_t *from,
                                          const char *what)
{
    static const int64_t swap23[4] = {0, 1, 3, 2};
    int64_t flat[3], shape[4], dims[2], b2;
    float *m = (float *)k2onnx__alloc_array(cv->ctx, (size_t)(B * B2), sizeof *m);
    const char *f, *w, *p, *r;
    if (!m) return NULL;
    memset(m, 0, (size_t)(B * B2) * sizeof *m);
    for (b2 = 0; b2 < B2; b2++)
        if (from[b2] >= 0) m[from[b2] * B2 + b2] = 1.0f;
    flat[0] = 0, flat[1] = C * A, flat[2] = B;
    shape[0] = 0, shape[1] = C, shape[2] = A, shape[3] = B2;
    dims[0] = B, dims[1] = B2;
    f = k2onnx__init_i64(cv, k2onnx__sprintf(cv->ctx, "%s_flat_shape", what), flat, 3);
    f = f ? k2onnx__op2(cv, "Reshape", x, f, k2onnx__sprintf(cv->ctx, "%s_flat", what)) : NULL;
    w = f ? k2onnx__init_f32(cv, k2onnx__sprintf(cv->ctx, "%s_map", what), m, 2, dims) : NULL;
    p = w ? k2onnx__op2(cv, "MatMul", f, w, k2onnx__sprintf(cv->ctx, "%s_mapped", what)) : NULL;
    r = p ? k2onnx__init_i64(cv, k2onnx__sprintf(cv->ctx, "%s_shape", what), shape, 4) : NULL;
    r = r ? k2onnx__op2(cv, "Reshape", p, r, k2onnx__sprintf(cv->ctx, "%s_image", what)) : NULL;
    return r ? k2onnx__transpose(cv, r, swap23, 4, k2onnx__sprintf(cv->ctx, "%s_turned", what)) : NULL;
}

/* --unroll: the image's rows and cols cropped, padded or repeated by 0/1 matrices (MatMul,
   Reshape and Transpose run on every consumer), as the layer's output. */
static int k2onnx__image_remap(k2onnx__converter *cv, const k2onnx__kvalue *x, const k2onnx__image *im, const int64_t sp2[2], const int64_t begin[2],
                               const int64_t repeat[2], k2onnx__kvalue **out, size_t *nout)
{
    const int64_t *rows, *cols;
    const char *xt, *y;
    if (im->C < 0 || im->sp[0] < 0 || im->sp[1] < 0) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "options.unroll needs known rows, cols and channels");
    rows = k2onnx__step_sources(cv, im->sp[0], sp2[0], begin[0], repeat[0]);
    cols = k2onnx__step_sources(cv, im->sp[1], sp2[1], begin[1], repeat[1]);
    xt = rows && cols ? k2onnx__to_nchw(cv, x, im) : NULL;
    y = xt ? k2onnx__image_map_last(cv, xt, im->C, im->sp[0], im->sp[1], sp2[1], cols, "cols") : NULL;
    y = y ? k2onnx__image_map_last(cv, y, im->C, sp2[1], im->sp[0], sp2[0], rows, "rows") : NULL;
    return k2onnx__outputs(cv, out, nout, 1) && k2onnx__image_output(cv, x, im, y, im->C, sp2, &(*out)[0]);
}

/* A transposed convolution's config; a 1-D one is the 2-D one over a single column. */
typedef struct k2onnx__deconv {
    const char *padding, *act;
    int use_bias, has_op;   /* has_op: output_padding is given */
    int64_t F, k[2], st[2], d[2], op[2];
} k2onnx__deconv;

/* padding, activation, use_bias and filters, which both transposed convolutions read alike. */
static int k2onnx__deconv_common(k2onnx__converter *cv, k2onnx__deconv *dc)
{
    const k2onnx__json *cfg = cv->layer->config;
    dc->padding = k2onnx__jstr(k2onnx__jget(cfg, "padding"));
    if (!dc->padding) dc->padding = "valid";
    if (strcmp(dc->padding, "valid") != 0 && strcmp(dc->padding, "same") != 0)
        return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "padding '%s' is not supported", dc->padding);
    dc->use_bias = k2onnx__jbool(cfg, "use_bias", 1);
    return k2onnx__activation_name(cv, cfg, "activation", "linear", &dc->act) && k2onnx__cfg_positive_int(k2onnx__cfg_of(cv, cfg), "filters", NULL, &dc->F);
}

/* The transposed convolution of image x: ONNX ConvTranspose (both are the adjoint of a
   correlation, so the kernel keeps its orientation: Keras [kh, kw, out, in] -> ONNX
   [in, out, kh, kw]; a 1-D kernel [k, out, in] is read as [k, 1, out, in]). The output length
   is Keras' deconv_output_length; its placement in the full (in - 1)·s + k span is TensorFlow's:
   'valid' keeps the start, 'same' crops max(full - length, 0) / 2 first; rows past the span are
   the output_padding. With --unroll (libonnx has no ConvTranspose) a Conv of the flipped kernel
   over the input spread out by 0/1 matrices, s - 1 zeros between rows and cols. `lin` is the
   result before the activation. */
static int k2onnx__conv_transpose(k2onnx__converter *cv, const k2onnx__kvalue *x, const k2onnx__image *im, const k2onnx__deconv *dc,
                                  unsigned kernel_rank, k2onnx__kvalue *lin)
{
    const char *xt, *wn, *bn = NULL, *y;
    k2onnx__node *n;
    int64_t F = dc->F, pads[4], outpad[2], len[2], wd[4], f, c, i, j, one[2] = {1, 1}, zero[4] = {0, 0, 0, 0};
    const int64_t *k = dc->k, *st = dc->st, *d = dc->d;
    int unroll = K2ONNX__UNROLLS(cv->ctx);
    uint64_t kd[4];
    float *wv;
    unsigned a;
    if (im->C < 0 || im->sp[0] < 1 || im->sp[1] < 1) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "needs the rows, cols and channels known");
    for (a = 0; a < 2; a++) {
        int64_t span = d[a] * (k[a] - 1) + 1, full = (im->sp[a] - 1) * st[a] + span, crop;
        if (!dc->has_op) {
            len[a] = strcmp(dc->padding, "valid") == 0 ? im->sp[a] * st[a] + (span > st[a] ? span - st[a] : 0) : im->sp[a] * st[a];
        } else {
            len[a] = (im->sp[a] - 1) * st[a] + span - 2 * (strcmp(dc->padding, "same") == 0 ? span / 2 : 0) + dc->op[a];
        }
        crop = strcmp(dc->padding, "same") == 0 && full > len[a] ? (full - len[a]) / 2 : 0;
        pads[a] = crop;
        pads[a + 2] = full - crop > len[a] ? full - crop - len[a] : 0;
        outpad[a] = len[a] - (full - crop - pads[a + 2]);
        if (len[a] < 1 || outpad[a] < 0 || (outpad[a] > 0 && outpad[a] >= st[a] && outpad[a] >= d[a]))
            return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "an output of %d %s is not supported (its padding exceeds the stride)", (int)len[a],
                                 kernel_rank == 3 ? "steps" : a ? "cols" : "rows");
    }
    if (!k2onnx__kweights(cv->m, cv->layer)) return 0;
    if (cv->layer->nweights != (size_t)(1 + dc->use_bias))
        return k2onnx__lfail(cv, k2onnx_result_invalid_model, "expected %d weights, the file has %d", 1 + dc->use_bias, (int)cv->layer->nweights);
    kd[0] = (uint64_t)k[0], kd[1] = (uint64_t)k[1], kd[kernel_rank - 2] = (uint64_t)F, kd[kernel_rank - 1] = (uint64_t)im->C;
    if (!k2onnx__check_weight(cv, 0, "kernel", kernel_rank, kd)) return 0;
    kd[0] = (uint64_t)F;
    if (dc->use_bias && !k2onnx__check_weight(cv, 1, "bias", 1, kd)) return 0;
    if (!(wv = (float *)k2onnx__alloc_array(cv->ctx, (size_t)(im->C * F * k[0] * k[1]), sizeof *wv))) return 0;
    for (c = 0; c < im->C; c++)
        for (f = 0; f < F; f++)
            for (i = 0; i < k[0]; i++)
                for (j = 0; j < k[1]; j++) {
                    float v = k2onnx__h5array_get(&cv->layer->weights[0], (uint64_t)(((i * k[1] + j) * F + f) * im->C + c));
                    if (unroll) wv[((f * im->C + c) * k[0] + (k[0] - 1 - i)) * k[1] + (k[1] - 1 - j)] = v; /* Conv [F, C, kh, kw], flipped */
                    else wv[((c * F + f) * k[0] + i) * k[1] + j] = v;
                }
    wd[0] = unroll ? F : im->C, wd[1] = unroll ? im->C : F, wd[2] = k[0], wd[3] = k[1];
    if (!(wn = k2onnx__init_f32(cv, "W", wv, 4, wd)) || (dc->use_bias && !(bn = k2onnx__vector_init(cv, 1, "B", F)))) return 0;
    if (!(xt = k2onnx__to_nchw(cv, x, im))) return 0;
    if (unroll) {
        /* z[(span - 1) - crop + i*s] = x[i], zero elsewhere, len + span - 1 long: a valid Conv
           of it gives the len outputs */
        int64_t *from[2], Lz[2], u;
        for (a = 0; a < 2; a++) {
            int64_t span = d[a] * (k[a] - 1) + 1;
            Lz[a] = len[a] + span - 1;
            if (!(from[a] = (int64_t *)k2onnx__alloc_array(cv->ctx, (size_t)Lz[a], sizeof *from[a]))) return 0;
            for (u = 0; u < Lz[a]; u++) from[a][u] = -1;
            for (i = 0; i < im->sp[a]; i++) {
                u = span - 1 - pads[a] + i * st[a];
                if (u >= 0 && u < Lz[a]) from[a][u] = i;
            }
        }
        y = k2onnx__image_map_last(cv, xt, im->C, im->sp[0], im->sp[1], Lz[1], from[1], "spread_cols");
        y = y ? k2onnx__image_map_last(cv, y, im->C, Lz[1], im->sp[0], Lz[0], from[0], "spread_rows") : NULL;
        y = y ? k2onnx__conv_node(cv, y, wn, bn, 2, k, one, d, zero, 1, "Conv") : NULL;
        return k2onnx__image_output(cv, x, im, y, F, len, lin);
    }
    if (!(n = k2onnx__add_node(cv, "ConvTranspose", bn ? 3 : 2, 1))) return 0;
    n->inputs[0] = xt;
    n->inputs[1] = wn;
    if (bn) n->inputs[2] = bn;
    n->outputs[0] = n->name = k2onnx__vname(cv, "ConvTranspose");
    if (!k2onnx__attr_ints(cv, n, "kernel_shape", k, 2) || !k2onnx__attr_ints(cv, n, "strides", st, 2) || !k2onnx__attr_ints(cv, n, "dilations", d, 2) ||
        !k2onnx__attr_ints(cv, n, "pads", pads, 4) || ((outpad[0] || outpad[1]) && !k2onnx__attr_ints(cv, n, "output_padding", outpad, 2)))
        return 0;
    return k2onnx__image_output(cv, x, im, n->outputs[0], F, len, lin);
}

/* Conv2DTranspose: see k2onnx__conv_transpose. */
static int k2onnx__map_conv2d_transpose(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    const k2onnx__json *cfg = cv->layer->config, *opj = k2onnx__jget(cfg, "output_padding");
    k2onnx__deconv dc;
    k2onnx__image im;
    k2onnx__kvalue lin;
    unsigned a;
    memset(&dc, 0, sizeof dc);
    if (!k2onnx__expect_inputs(cv, nin, 1, 1) || !k2onnx__image_of(cv, &in[0], &im) || !k2onnx__deconv_common(cv, &dc) ||
        !k2onnx__int2(cv, cfg, "kernel_size", 1, dc.k) || !k2onnx__int2(cv, cfg, "strides", 1, dc.st) || !k2onnx__int2(cv, cfg, "dilation_rate", 1, dc.d))
        return 0;
    if (opj && opj->type != K2ONNX__JNULL) {
        long long v[2];
        for (a = 0; a < 2; a++)
            if (!k2onnx__jint(k2onnx__jis_array(opj) ? (opj->n == 2 ? &opj->items[a] : NULL) : opj, 0, 1 << 20, &v[a]))
                return k2onnx__lfail(cv, k2onnx_result_invalid_model, "'output_padding' must be an int or two ints, 0 or more");
        dc.op[0] = v[0], dc.op[1] = v[1];
        dc.has_op = 1;
    }
    return k2onnx__conv_transpose(cv, &in[0], &im, &dc, 4, &lin) && k2onnx__outputs(cv, out, nout, 1) &&
           k2onnx__apply_activation(cv, dc.act, &lin, &(*out)[0]);
}

/* Conv1DTranspose: the 2-D one over the steps as rows of one column ([batch, steps, 1,
   channels]), as TensorFlow's conv1d_transpose computes it. */
static int k2onnx__map_conv1d_transpose(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    const k2onnx__json *cfg = cv->layer->config, *opj = k2onnx__jget(cfg, "output_padding");
    k2onnx__deconv dc;
    k2onnx__image im;
    k2onnx__kvalue x4, lin;
    long long v;
    unsigned col, i;
    memset(&dc, 0, sizeof dc);
    if (!k2onnx__expect_inputs(cv, nin, 1, 1) || !k2onnx__data_format(cv, &im.first) || !k2onnx__deconv_common(cv, &dc)) return 0;
    if (in[0].rank != 3) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "input must be [batch, steps, channels] (or channels first)");
    if (!k2onnx__cfg_int1(k2onnx__cfg_of(cv, cfg), "kernel_size", 1, &v)) return 0;
    dc.k[0] = v;
    if (!k2onnx__cfg_int1(k2onnx__cfg_of(cv, cfg), "strides", 1, &v)) return 0;
    dc.st[0] = v;
    if (!k2onnx__cfg_int1(k2onnx__cfg_of(cv, cfg), "dilation_rate", 1, &v)) return 0;
    dc.d[0] = v;
    dc.k[1] = dc.st[1] = dc.d[1] = 1;
    if (opj && opj->type != K2ONNX__JNULL) {
        if (!k2onnx__jint(k2onnx__jis_array(opj) ? (opj->n == 1 ? &opj->items[0] : NULL) : opj, 0, 1 << 20, &v))
            return k2onnx__lfail(cv, k2onnx_result_invalid_model, "'output_padding' must be an int or one int, 0 or more");
        dc.op[0] = v;
        dc.has_op = 1;
    }
    /* the column axis: after the steps */
    col = im.first ? 3u : 2u;
    x4 = in[0];
    x4.rank = 4;
    for (i = 3; i > col; i--) {
        x4.dims[i] = x4.dims[i - 1];
        x4.params[i] = x4.params[i - 1];
    }
    x4.dims[col] = 1;
    x4.params[col] = NULL;
    im.C = in[0].dims[im.first ? 1 : 2];
    im.sp[0] = in[0].dims[im.first ? 2 : 1];
    im.sp[1] = 1;
    if (!(x4.name = k2onnx__squeeze(cv, "Unsqueeze", in[0].name, col, "as_image")) || !k2onnx__conv_transpose(cv, &x4, &im, &dc, 3, &lin)) return 0;
    lin.rank = 3;
    for (i = col; i < 3; i++) {
        lin.dims[i] = lin.dims[i + 1];
        lin.params[i] = lin.params[i + 1];
    }
    if (!(lin.name = k2onnx__squeeze(cv, "Squeeze", lin.name, col, "as_steps")) || !k2onnx__outputs(cv, out, nout, 1)) return 0;
    return k2onnx__apply_activation(cv, dc.act, &lin, &(*out)[0]);
}

/* y: x's image in the same data format, with new rows and cols. */
static int k2onnx__image_resized(k2onnx__converter *cv, const k2onnx__kvalue *x, const k2onnx__image *im, const char *y, const int64_t sp[2],
                                 k2onnx__kvalue **out, size_t *nout)
{
    unsigned a;
    if (!y || !k2onnx__outputs(cv, out, nout, 1)) return 0;
    (*out)[0] = *x;
    (*out)[0].name = y;
    (*out)[0].mask = NULL;
    for (a = 0; a < 2; a++) {
        unsigned ax = (im->first ? 2u : 1u) + a;
        (*out)[0].dims[ax] = sp[a];
        (*out)[0].params[ax] = sp[a] < 0 ? k2onnx__vname(cv, a ? "cols" : "rows") : NULL;
    }
    return 1;
}

/* ZeroPadding2D: zero rows and cols around the image. */
static int k2onnx__map_zero_padding2d(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    const k2onnx__kvalue *x = &in[0];
    k2onnx__image im;
    long long p[4];
    int64_t pads[8] = {0, 0, 0, 0, 0, 0, 0, 0}, sp[2];
    unsigned a;
    k2onnx__node *n;
    const char *y;
    if (!k2onnx__expect_inputs(cv, nin, 1, 1) || !k2onnx__image_of(cv, x, &im) || !k2onnx__int_pairs2(cv, "padding", p)) return 0;
    for (a = 0; a < 2; a++) {
        unsigned ax = (im.first ? 2u : 1u) + a;
        pads[ax] = p[2 * a];
        pads[ax + 4] = p[2 * a + 1];
        sp[a] = im.sp[a] >= 0 ? im.sp[a] + p[2 * a] + p[2 * a + 1] : -1;
    }
    if (K2ONNX__UNROLLS(cv->ctx)) {
        int64_t begin[2], repeat[2] = {1, 1};
        begin[0] = -(int64_t)p[0], begin[1] = -(int64_t)p[2];
        return k2onnx__image_remap(cv, x, &im, sp, begin, repeat, out, nout);
    }
    if (cv->opset < 11) {
        if (!(y = k2onnx__op1(cv, "Pad", x->name, "Pad", &n)) || !k2onnx__attr_ints(cv, n, "pads", pads, 8)) return 0;
    } else {
        const char *pn = k2onnx__init_i64(cv, "pads", pads, 8);
        y = pn ? k2onnx__op2(cv, "Pad", x->name, pn, "Pad") : NULL;
    }
    return k2onnx__image_resized(cv, x, &im, y, sp, out, nout);
}

/* Cropping2D: rows and cols cut off the image's edges. */
static int k2onnx__map_cropping2d(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    const k2onnx__kvalue *x = &in[0];
    k2onnx__image im;
    long long c[4];
    int64_t sp[2];
    unsigned a;
    const char *y;
    if (!k2onnx__expect_inputs(cv, nin, 1, 1) || !k2onnx__image_of(cv, x, &im) || !k2onnx__int_pairs2(cv, "cropping", c)) return 0;
    for (a = 0; a < 2; a++) {
        if (im.sp[a] >= 0 && c[2 * a] + c[2 * a + 1] >= im.sp[a])
            return k2onnx__lfail(cv, k2onnx_result_invalid_model, "crops %d of %d %s", (int)(c[2 * a] + c[2 * a + 1]), (int)im.sp[a], a ? "cols" : "rows");
        sp[a] = im.sp[a] >= 0 ? im.sp[a] - c[2 * a] - c[2 * a + 1] : -1;
    }
    if (K2ONNX__UNROLLS(cv->ctx)) {
        int64_t begin[2], repeat[2] = {1, 1};
        begin[0] = c[0], begin[1] = c[2];
        return k2onnx__image_remap(cv, x, &im, sp, begin, repeat, out, nout);
    }
    y = x->name;
    for (a = 0; a < 2 && y; a++) {
        if (c[2 * a] || c[2 * a + 1])
            y = k2onnx__slice(cv, y, (int64_t)((im.first ? 2u : 1u) + a), c[2 * a], c[2 * a + 1] ? -(int64_t)c[2 * a + 1] : INT64_MAX,
                              a ? "crop_cols" : "crop_rows");
    }
    if (y == x->name) y = k2onnx__op1(cv, "Identity", x->name, "Identity", NULL);
    return k2onnx__image_resized(cv, x, &im, y, sp, out, nout);
}

/* UpSampling2D(size, interpolation='nearest'): every row repeated size[0] times and every col
   size[1] times, as Reshape to [N, H, 1, W, 1, C], Tile and Reshape (channels last). */
static int k2onnx__map_upsampling2d(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    const k2onnx__kvalue *x = &in[0];
    const char *interp = k2onnx__jstr(k2onnx__jget(cv->layer->config, "interpolation")), *s1, *r, *t, *s2, *y;
    k2onnx__image im;
    int64_t size[2], wide[6], reps[6] = {1, 1, 1, 1, 1, 1}, shape[4], sp[2];
    if (!k2onnx__expect_inputs(cv, nin, 1, 1) || !k2onnx__image_of(cv, x, &im) || !k2onnx__int2(cv, cv->layer->config, "size", 2, size)) return 0;
    if (interp && strcmp(interp, "nearest") != 0)
        return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "interpolation '%s' is not supported yet (nearest)", interp);
    if (im.C < 0 || im.sp[0] < 0 || im.sp[1] < 0) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "needs known rows, cols and channels");
    sp[0] = im.sp[0] * size[0];
    sp[1] = im.sp[1] * size[1];
    if (K2ONNX__UNROLLS(cv->ctx)) {
        int64_t begin[2] = {0, 0};
        return k2onnx__image_remap(cv, x, &im, sp, begin, size, out, nout);
    }
    wide[0] = 0;
    wide[1] = im.first ? im.C : im.sp[0];
    shape[0] = 0;
    if (im.first) {
        wide[2] = im.sp[0], wide[3] = 1, wide[4] = im.sp[1], wide[5] = 1;
        reps[3] = size[0], reps[5] = size[1];
        shape[1] = im.C, shape[2] = im.sp[0] * size[0], shape[3] = im.sp[1] * size[1];
    } else {
        wide[2] = 1, wide[3] = im.sp[1], wide[4] = 1, wide[5] = im.C;
        reps[2] = size[0], reps[4] = size[1];
        shape[1] = im.sp[0] * size[0], shape[2] = im.sp[1] * size[1], shape[3] = im.C;
    }
    s1 = k2onnx__init_i64(cv, "wide_shape", wide, 6);
    r = s1 ? k2onnx__op2(cv, "Reshape", x->name, s1, "spread") : NULL;
    t = r ? k2onnx__init_i64(cv, "repeats", reps, 6) : NULL;
    t = t ? k2onnx__op2(cv, "Tile", r, t, "Tile") : NULL;
    s2 = t ? k2onnx__init_i64(cv, "shape", shape, 4) : NULL;
    y = s2 ? k2onnx__op2(cv, "Reshape", t, s2, "Reshape") : NULL;
    return k2onnx__image_resized(cv, x, &im, y, sp, out, nout);
}

#endif

/* --- normalization, global 1-D pooling, merging, Embedding ------------------------------------ */

#ifdef K2ONNX__OWN_SQRT
/* Square root by Newton's method, so that firmware links without libm: the argument is scaled by
   powers of 4 into [1, 4), where eight steps from (1 + r) / 2 reach double precision. */
static double k2onnx__sqrt(double x)
{
    double r = x, g;
    int e = 0, i;
    if (!(x > 0.0) || x > 1e308) return x == 0.0 || x > 1e308 ? x : (double)NAN;
    while (r >= 4.0) {
        r *= 0.25;
        e++;
    }
    while (r < 1.0) {
        r *= 4.0;
        e--;
    }
    g = 0.5 * (1.0 + r);
    for (i = 0; i < 8; i++) g = 0.5 * (g + r / g);
    for (; e > 0; e--) g *= 2.0;
    for (; e < 0; e++) g *= 0.5;
    return g;
}
#endif

/* BatchNormalization at inference over any axis: x * a + b with a = gamma / sqrt(var + eps)
   and b = beta - mean * a folded at conversion time, shaped [C, 1, ...] to broadcast. */
static int k2onnx__map_batchnorm(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    const k2onnx__json *cfg = cv->layer->config, *eps = k2onnx__jget(cfg, "epsilon");
    const k2onnx__kvalue *x = &in[0];
    int center = k2onnx__jbool(cfg, "center", 1), scale = k2onnx__jbool(cfg, "scale", 1);
    size_t want = 2u + (size_t)center + (size_t)scale, at = 0, i;
    int64_t C, ax, vd[K2ONNX__MAX_RANK];
    unsigned vr;
    float *a, *b;
    const char *an, *bn, *y;
    double e = eps && eps->type == K2ONNX__JNUMBER ? (double)eps->number : (double)1e-3f;
    const k2onnx__h5array *gamma = NULL, *beta = NULL, *mean, *var;
    if (!k2onnx__expect_inputs(cv, nin, 1, 1) || !k2onnx__cfg_axis(k2onnx__cfg_of(cv, cfg), "axis", -1, -1, x->rank, &ax)) return 0;
    C = x->dims[ax];
    if (C < 0) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "the normalized axis must have a known size");
    if (!k2onnx__kweights(cv->m, cv->layer)) return 0;
    if (cv->layer->nweights != want) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "expected %d weights, the file has %d", (int)want, (int)cv->layer->nweights);
    for (i = 0; i < want; i++)
        if (cv->layer->weights[i].count != (uint64_t)C) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "weight %d does not have %d values", (int)i, (int)C);
    if (scale) gamma = &cv->layer->weights[at++];
    if (center) beta = &cv->layer->weights[at++];
    mean = &cv->layer->weights[at++];
    var = &cv->layer->weights[at];
    a = (float *)k2onnx__alloc_array(cv->ctx, (size_t)C, sizeof *a);
    b = (float *)k2onnx__alloc_array(cv->ctx, (size_t)C, sizeof *b);
    if (!a || !b) return 0;
    for (i = 0; i < (size_t)C; i++) {
        double s = (gamma ? (double)k2onnx__h5array_get(gamma, i) : 1.0) / K2ONNX_SQRT((double)k2onnx__h5array_get(var, i) + e);
        a[i] = (float)s;
        b[i] = (float)((beta ? (double)k2onnx__h5array_get(beta, i) : 0.0) - (double)k2onnx__h5array_get(mean, i) * s);
    }
    vr = x->rank - (unsigned)ax;
    vd[0] = C;
    for (i = 1; i < vr; i++) vd[i] = 1;
    an = k2onnx__init_f32(cv, "scale", a, vr, vd);
    bn = k2onnx__init_f32(cv, "shift", b, vr, vd);
    y = an ? k2onnx__op2(cv, "Mul", x->name, an, "scaled") : NULL;
    y = y && bn ? k2onnx__op2(cv, "Add", y, bn, "normalized") : NULL;
    if (!y || !k2onnx__outputs(cv, out, nout, 1)) return 0;
    (*out)[0] = *x;
    (*out)[0].name = y;
    return 1;
}

/* GlobalAveragePooling1D (masked steps left out, as Keras does) and GlobalMaxPooling1D. */
static int k2onnx__map_global_pool1d(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    const k2onnx__kvalue *x = &in[0];
    int is_max = strstr(cv->layer->cls, "Max") != NULL, first;
    int64_t t;
    const char *y;
    if (!k2onnx__expect_inputs(cv, nin, 1, 1) || !k2onnx__data_format(cv, &first)) return 0;
    if (x->rank != 3) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "input must be [batch, steps, channels]");
    if (k2onnx__jbool(cv->layer->config, "keepdims", 0)) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "keepdims=true is not supported yet");
    t = first ? 2 : 1;
    if (x->mask && !is_max) {
        /* sum(x * m) / sum(m) over the steps */
        const char *m3 = k2onnx__squeeze(cv, "Unsqueeze", x->mask, first ? 1 : 2, "mask_expanded");
        const char *xm = m3 ? k2onnx__op2(cv, "Mul", x->name, m3, "masked") : NULL;
        const char *sx = xm ? k2onnx__reduce_drop(cv, "ReduceSum", xm, 3, t, "masked_sum") : NULL;
        const char *sm = m3 ? k2onnx__reduce_drop(cv, "ReduceSum", m3, 3, t, "mask_count") : NULL;
        y = sx && sm ? k2onnx__op2(cv, "Div", sx, sm, "average") : NULL;
    } else {
        y = k2onnx__reduce_drop(cv, is_max ? "ReduceMax" : "ReduceMean", x->name, 3, t, is_max ? "max" : "average");
    }
    if (!y || !k2onnx__outputs(cv, out, nout, 1)) return 0;
    (*out)[0] = *x;
    (*out)[0].name = y;
    (*out)[0].rank = 2;
    (*out)[0].dims[1] = x->dims[first ? 1 : 2];
    (*out)[0].params[1] = NULL;
    (*out)[0].mask = NULL;
    return 1;
}

/* y (op) weight `at` of the layer, a [C] initializer: LayerNormalization's gamma and beta. */
static const char *k2onnx__layernorm_affine(k2onnx__converter *cv, const char *y, size_t at, int64_t C, const char *name,
                                            const char *op, const char *what)
{
    float *v = (float *)k2onnx__alloc_array(cv->ctx, (size_t)C, sizeof *v);
    const char *vn;
    size_t i;
    if (!v) return NULL;
    for (i = 0; i < (size_t)C; i++) v[i] = k2onnx__h5array_get(&cv->layer->weights[at], i);
    vn = k2onnx__init_f32(cv, name, v, 1, &C);
    return vn ? k2onnx__op2(cv, op, y, vn, what) : NULL;
}

/* LayerNormalization over the last axis, written out (the ONNX op needs opset 17):
   (x - mean) / sqrt(var + eps) * gamma + beta. */
static int k2onnx__map_layernorm(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    const k2onnx__json *cfg = cv->layer->config, *axis = k2onnx__jget(cfg, "axis"), *eps = k2onnx__jget(cfg, "epsilon");
    const k2onnx__kvalue *x = &in[0];
    int center = k2onnx__jbool(cfg, "center", 1), scale = k2onnx__jbool(cfg, "scale", 1);
    size_t want = (size_t)center + (size_t)scale, at = 0, i;
    long long ax = -1;
    int64_t C = x->dims[x->rank - 1];
    const char *mean, *d, *d2, *var, *ve, *sd, *y, *e;
    if (!k2onnx__expect_inputs(cv, nin, 1, 1)) return 0;
    if (k2onnx__jis_array(axis) && axis->n == 1) axis = &axis->items[0];
    if (axis && !k2onnx__jint(axis, -8, 8, &ax)) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "axis must be one integer");
    if (ax != -1 && ax != (long long)x->rank - 1) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "only the last axis is supported yet");
    if (C < 0) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "the normalized axis must have a known size");
    if (!k2onnx__kweights(cv->m, cv->layer)) return 0;
    if (cv->layer->nweights != want) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "expected %d weights, the file has %d", (int)want, (int)cv->layer->nweights);
    for (i = 0; i < want; i++)
        if (cv->layer->weights[i].count != (uint64_t)C) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "weight %d does not have %d values", (int)i, (int)C);
    mean = k2onnx__reduce(cv, "ReduceMean", x->name, -1, 1, "mean");
    d = mean ? k2onnx__op2(cv, "Sub", x->name, mean, "centered") : NULL;
    d2 = d ? k2onnx__op2(cv, "Mul", d, d, "squared") : NULL;
    var = d2 ? k2onnx__reduce(cv, "ReduceMean", d2, -1, 1, "variance") : NULL;
    e = k2onnx__const_f32(cv, "epsilon", eps && eps->type == K2ONNX__JNUMBER ? eps->number : 1e-3f);
    ve = var && e ? k2onnx__op2(cv, "Add", var, e, "variance_eps") : NULL;
    sd = ve ? k2onnx__op1(cv, "Sqrt", ve, "deviation", NULL) : NULL;
    y = sd ? k2onnx__op2(cv, "Div", d, sd, "standardized") : NULL;
    if (y && scale) y = k2onnx__layernorm_affine(cv, y, at++, C, "gamma", "Mul", "scaled");
    if (y && center) y = k2onnx__layernorm_affine(cv, y, at, C, "beta", "Add", "normalized");
    if (!y || !k2onnx__outputs(cv, out, nout, 1)) return 0;
    (*out)[0] = *x;
    (*out)[0].name = y;
    return 1;
}

/* LeakyReLU layer: alpha (Keras 2, default 0.3) or negative_slope (Keras 3). */
static int k2onnx__map_leaky_relu(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    const k2onnx__json *a = k2onnx__jget(cv->layer->config, "alpha");
    k2onnx__node *n;
    const char *y;
    if (!a) a = k2onnx__jget(cv->layer->config, "negative_slope");
    if (!k2onnx__expect_inputs(cv, nin, 1, 1)) return 0;
    if (a && a->type != K2ONNX__JNUMBER) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "alpha is not a number");
    if (!(y = k2onnx__op1(cv, "LeakyRelu", in[0].name, "LeakyRelu", &n)) || !k2onnx__outputs(cv, out, nout, 1)) return 0;
    k2onnx__attr_float(cv, n, "alpha", a ? a->number : 0.3f);
    (*out)[0] = in[0];
    (*out)[0].name = y;
    return 1;
}

/* Add, Subtract, Multiply, Average, Maximum, Minimum: element-wise over same-shaped inputs. */
/* Inputs folded by an element-wise op (Add, Sub, Mul, Max, Min), divided by their count for an
   average. */
static int k2onnx__merge_elementwise(k2onnx__converter *cv, const char *op, int average, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out,
                                     size_t *nout)
{
    const char *y;
    size_t i;
    if (nin < 2 || (strcmp(op, "Sub") == 0 && nin != 2))
        return k2onnx__lfail(cv, k2onnx_result_invalid_model, "needs %s inputs, got %d", strcmp(op, "Sub") == 0 ? "2" : "2 or more", (int)nin);
    for (i = 1; i < nin; i++)
        if (in[i].rank != in[0].rank) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "inputs of different ranks");
    y = in[0].name;
    for (i = 1; i < nin && y; i++) {
        const char *what = k2onnx__sprintf(cv->ctx, "%s_%u", op, (unsigned long long)i);
        if (K2ONNX__UNROLLS(cv->ctx) && op[0] == 'M' && op[1] != 'u') {
            /* libonnx starts Max and Min from FLT_MIN; max(a, b) = b + relu(a - b) and
               min(a, b) = a - relu(a - b) need neither. */
            const char *d = k2onnx__op2(cv, "Sub", y, in[i].name, k2onnx__sprintf(cv->ctx, "%s_difference", what));
            const char *r = d ? k2onnx__op1(cv, "Relu", d, k2onnx__sprintf(cv->ctx, "%s_excess", what), NULL) : NULL;
            y = r ? k2onnx__op2(cv, op[1] == 'a' ? "Add" : "Sub", op[1] == 'a' ? in[i].name : y, r, what) : NULL;
        } else {
            y = k2onnx__op2(cv, op, y, in[i].name, what);
        }
    }
    if (y && average) {
        const char *inv = k2onnx__const_f32(cv, "inverse_count", 1.0f / (float)nin);
        y = inv ? k2onnx__op2(cv, "Mul", y, inv, "average") : NULL;
    }
    if (!y || !k2onnx__outputs(cv, out, nout, 1)) return 0;
    (*out)[0] = in[0];
    (*out)[0].name = y;
    (*out)[0].mask = NULL;
    return 1;
}

static int k2onnx__map_merge(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    const char *cls = cv->layer->cls;
    const char *op = strcmp(cls, "Subtract") == 0 ? "Sub" : strcmp(cls, "Multiply") == 0 ? "Mul" : strcmp(cls, "Maximum") == 0 ? "Max"
                     : strcmp(cls, "Minimum") == 0 ? "Min" : "Add";
    return k2onnx__merge_elementwise(cv, op, strcmp(cls, "Average") == 0, in, nin, out, nout);
}

static int k2onnx__concat_along(k2onnx__converter *cv, const k2onnx__json *a, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout);

/* Concatenate(axis): Keras counts the axis over the full shape, batch included. */
static int k2onnx__map_concatenate(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    return k2onnx__concat_along(cv, k2onnx__jget(cv->layer->config, "axis"), in, nin, out, nout);
}

static int k2onnx__concat_along(k2onnx__converter *cv, const k2onnx__json *a, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    long long axis = -1;
    k2onnx__node *n;
    size_t i;
    int64_t total = 0;
    if (nin < 1) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "needs inputs");
    if (a && !k2onnx__jint(a, -(long long)in[0].rank, (long long)in[0].rank - 1, &axis))
        return k2onnx__lfail(cv, k2onnx_result_invalid_model, "axis is outside the input rank");
    if (axis < 0) axis += in[0].rank;
    if (axis == 0) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "concatenating along the batch axis is not supported");
    if (!(n = k2onnx__add_node(cv, "Concat", nin, 1))) return 0;
    for (i = 0; i < nin; i++) {
        if (in[i].rank != in[0].rank) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "inputs of different ranks");
        n->inputs[i] = in[i].name;
        total = total >= 0 && in[i].dims[axis] >= 0 ? total + in[i].dims[axis] : -1;
    }
    n->outputs[0] = k2onnx__vname(cv, "Concat");
    n->name = n->outputs[0];
    k2onnx__attr_int(cv, n, "axis", axis);
    if (!n->outputs[0] || !k2onnx__outputs(cv, out, nout, 1)) return 0;
    (*out)[0] = in[0];
    (*out)[0].name = n->outputs[0];
    (*out)[0].mask = NULL;
    (*out)[0].dims[axis] = total;
    (*out)[0].params[axis] = total < 0 ? k2onnx__vname(cv, "concat_dim") : NULL;
    return 1;
}

#ifndef K2ONNX_ONLY_RECURRENT
static int k2onnx__map_time_distributed(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout);
static int k2onnx__map_fold_steps(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout);
#endif

/* An Embedding's output: the indices' shape with a last axis of `dim` float features. */
static int k2onnx__embedding_output(k2onnx__converter *cv, const k2onnx__kvalue *x, const char *y, int64_t dim, k2onnx__kvalue **out, size_t *nout)
{
    if (!k2onnx__outputs(cv, out, nout, 1)) return 0;
    (*out)[0] = *x;
    (*out)[0].name = y;
    (*out)[0].elem = K2ONNX__FLOAT;
    (*out)[0].rank = x->rank + 1;
    (*out)[0].dims[x->rank] = dim;
    (*out)[0].params[x->rank] = NULL;
    (*out)[0].mask = NULL;
    return 1;
}

/* Embedding for runtimes without Gather (--unroll): the indices as one-hot rows,
   relu(1 - |index - v|) for every v of the vocabulary, times the embeddings matrix; mask_zero as
   1 - relu(1 - |index|). Exact for integer indices; its cost grows with the vocabulary. */
static int k2onnx__embedding_one_hot(k2onnx__converter *cv, const k2onnx__kvalue *x, int64_t vocab, int64_t dim, int mask_zero,
                                     k2onnx__kvalue **out, size_t *nout)
{
    float *range = (float *)k2onnx__alloc_array(cv->ctx, (size_t)vocab, sizeof *range);
    int64_t shape[K2ONNX__MAX_RANK + 1];
    const char *idx = x->name, *one = k2onnx__const_f32(cv, "one", 1.0f), *col, *diff, *dist, *near, *hot, *w, *y;
    k2onnx__node *n;
    unsigned k;
    int64_t v;
    if (!range || !one) return 0;
    for (v = 0; v < vocab; v++) range[v] = (float)v;
    /* Keras truncates float indices to integers (Floor, for the valid, non-negative ones). */
    if (x->elem == K2ONNX__FLOAT) {
        if (!(idx = k2onnx__op1(cv, "Floor", idx, "indices", NULL))) return 0;
    } else {
        if (!(idx = k2onnx__op1(cv, "Cast", idx, "indices", &n))) return 0;
        k2onnx__attr_int(cv, n, "to", K2ONNX__FLOAT);
    }
    for (k = 0; k < x->rank; k++) shape[k] = 0; /* Reshape's 0 keeps the dimension */
    shape[x->rank] = 1;
    col = k2onnx__init_i64(cv, "indices_column_shape", shape, x->rank + 1);
    col = col ? k2onnx__op2(cv, "Reshape", idx, col, "indices_column") : NULL;
    diff = col ? k2onnx__op2(cv, "Sub", col, k2onnx__init_f32(cv, "vocabulary", range, 1, &vocab), "index_offsets") : NULL;
    dist = diff ? k2onnx__op1(cv, "Abs", diff, "index_distances", NULL) : NULL;
    near = dist ? k2onnx__op2(cv, "Sub", one, dist, "index_nearness") : NULL;
    hot = near ? k2onnx__op1(cv, "Relu", near, "one_hot", NULL) : NULL;
    w = hot ? k2onnx__matrix_init(cv, 0, "embeddings", vocab, dim) : NULL;
    y = w ? k2onnx__op2(cv, "MatMul", hot, w, "MatMul") : NULL;
    if (!y || !k2onnx__embedding_output(cv, x, y, dim, out, nout)) return 0;
    if (mask_zero) {
        const char *a = k2onnx__op1(cv, "Abs", idx, "index_magnitude", NULL);
        const char *pad = a ? k2onnx__op1(cv, "Relu", k2onnx__op2(cv, "Sub", one, a, "padding_nearness"), "is_padding", NULL) : NULL;
        const char *mask = pad ? k2onnx__op2(cv, "Sub", one, pad, "mask") : NULL;
        if (x->rank != 2) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "mask_zero needs [batch, time] indices");
        if (!mask) return 0;
        (*out)[0].mask = mask;
    }
    return 1;
}

/* Embedding: a Gather from the embeddings matrix; mask_zero makes index 0 a masked step. */
static int k2onnx__map_embedding(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    const k2onnx__json *cfg = cv->layer->config;
    const k2onnx__kvalue *x = &in[0];
    int64_t vocab, dim;
    uint64_t dims[2];
    const char *idx = x->name, *y, *w;
    k2onnx__node *n;
    if (!k2onnx__expect_inputs(cv, nin, 1, 1)) return 0;
    if (!k2onnx__cfg_positive_int(k2onnx__cfg_of(cv, cfg), "input_dim", NULL, &vocab) || !k2onnx__cfg_positive_int(k2onnx__cfg_of(cv, cfg), "output_dim", NULL, &dim)) return 0;
    if (x->rank < 1 || x->rank + 1 > K2ONNX__MAX_RANK) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "input of rank %d", (int)x->rank);
    if (!k2onnx__kweights(cv->m, cv->layer)) return 0;
    if (cv->layer->nweights != 1) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "expected 1 weight, the file has %d", (int)cv->layer->nweights);
    dims[0] = (uint64_t)vocab;
    dims[1] = (uint64_t)dim;
    if (!k2onnx__check_weight(cv, 0, "embeddings", 2, dims)) return 0;
    if (K2ONNX__UNROLLS(cv->ctx)) return k2onnx__embedding_one_hot(cv, x, vocab, dim, k2onnx__jbool(cfg, "mask_zero", 0), out, nout);
    /* Keras casts float indices to integers; Gather takes int64 everywhere. */
    if (x->elem != K2ONNX__INT64) {
        if (!(idx = k2onnx__op1(cv, "Cast", x->name, "indices", &n))) return 0;
        k2onnx__attr_int(cv, n, "to", K2ONNX__INT64);
    }
    if (!(w = k2onnx__matrix_init(cv, 0, "embeddings", vocab, dim))) return 0;
    y = k2onnx__op2(cv, "Gather", w, idx, "Gather");
    if (!y || !k2onnx__embedding_output(cv, x, y, dim, out, nout)) return 0;
    if (k2onnx__jbool(cfg, "mask_zero", 0)) {
        int64_t zero = 0;
        const char *z = k2onnx__init_i64(cv, "zero_index", &zero, 1);
        const char *eq = z ? k2onnx__op2(cv, "Equal", idx, z, "is_padding") : NULL;
        const char *keep = eq ? k2onnx__op1(cv, "Not", eq, "is_token", NULL) : NULL;
        const char *mask = keep ? k2onnx__op1(cv, "Cast", keep, "mask", &n) : NULL;
        if (!mask) return 0;
        k2onnx__attr_int(cv, n, "to", K2ONNX__FLOAT);
        if (x->rank != 2) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "mask_zero needs [batch, time] indices");
        (*out)[0].mask = mask;
    }
    return 1;
}

/* --- activation layers ------------------------------------------------------------------- */

static int k2onnx__one_output(k2onnx__converter *cv, const k2onnx__kvalue *x, const char *y, k2onnx__kvalue **out, size_t *nout)
{
    if (!y || !k2onnx__outputs(cv, out, nout, 1)) return 0;
    (*out)[0] = *x;
    (*out)[0].name = y;
    return 1;
}

/* ReLU(max_value, negative_slope, threshold), following Keras' backend relu step by step:
   x * (x > threshold) (or relu), clipped to [0, max_value], minus slope * relu(threshold - x). */
static int k2onnx__map_relu(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    const k2onnx__json *mv = k2onnx__jget(cv->layer->config, "max_value");
    float slope = 0.0f, thr = 0.0f, maxv = 0.0f;
    int clip_max = mv && mv->type != K2ONNX__JNULL;
    const char *x, *y, *neg = NULL;
    k2onnx__node *n;
    if (!k2onnx__expect_inputs(cv, nin, 1, 1) || !k2onnx__cfg_float(k2onnx__cfg_of(cv, cv->layer->config), "negative_slope", 0.0f, &slope) ||
        !k2onnx__cfg_float(k2onnx__cfg_of(cv, cv->layer->config), "threshold", 0.0f, &thr) || (clip_max && !k2onnx__cfg_float(k2onnx__cfg_of(cv, cv->layer->config), "max_value", 0.0f, &maxv)))
        return 0;
    x = in[0].name;
    if (slope != 0.0f && !clip_max && thr == 0.0f) {
        if (!(y = k2onnx__op1(cv, "LeakyRelu", x, "LeakyRelu", &n))) return 0;
        k2onnx__attr_float(cv, n, "alpha", slope);
        return k2onnx__one_output(cv, &in[0], y, out, nout);
    }
    if (slope != 0.0f) {
        const char *t = thr != 0.0f ? k2onnx__const_f32(cv, "threshold", thr) : NULL;
        const char *d = thr != 0.0f ? (t ? k2onnx__op2(cv, "Sub", t, x, "below_threshold") : NULL) : k2onnx__op1(cv, "Neg", x, "negated", NULL);
        const char *r = d ? k2onnx__op1(cv, "Relu", d, "negative_part", NULL) : NULL;
        const char *s = k2onnx__const_f32(cv, "negative_slope", slope);
        if (!(neg = r && s ? k2onnx__op2(cv, "Mul", r, s, "negative_scaled") : NULL)) return 0;
    }
    if (thr != 0.0f) {
        const char *t = k2onnx__const_f32(cv, "threshold_value", thr);
        const char *g = t ? k2onnx__op2(cv, "Greater", x, t, "above_threshold") : NULL;
        const char *gf = g ? k2onnx__op1(cv, "Cast", g, "above_threshold_float", &n) : NULL;
        if (gf) k2onnx__attr_int(cv, n, "to", K2ONNX__FLOAT);
        y = gf ? k2onnx__op2(cv, "Mul", x, gf, "thresholded") : NULL;
    } else if (clip_max && maxv == 6.0f) {
        y = k2onnx__clip(cv, x, 0.0f, 6.0f, "relu6");
        clip_max = 0;
    } else {
        y = k2onnx__op1(cv, "Relu", x, "Relu", NULL);
    }
    if (y && clip_max) y = k2onnx__clip(cv, y, 0.0f, maxv, "clipped");
    if (y && neg) y = k2onnx__op2(cv, "Sub", y, neg, "relu");
    return k2onnx__one_output(cv, &in[0], y, out, nout);
}

/* ELU layer: alpha * (exp(x) - 1) below zero. */
static int k2onnx__map_elu(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    float alpha = 1.0f;
    k2onnx__node *n;
    const char *y;
    if (!k2onnx__expect_inputs(cv, nin, 1, 1) || !k2onnx__cfg_float(k2onnx__cfg_of(cv, cv->layer->config), "alpha", 1.0f, &alpha)) return 0;
    if ((y = k2onnx__op1(cv, "Elu", in[0].name, "Elu", &n)) != NULL) k2onnx__attr_float(cv, n, "alpha", alpha);
    return k2onnx__one_output(cv, &in[0], y, out, nout);
}

/* ThresholdedReLU: x where x > theta, else 0 (written out: the ONNX op needs opset 10). */
static int k2onnx__map_thresholded_relu(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    float theta = 1.0f;
    k2onnx__node *n;
    const char *t, *g, *gf;
    if (!k2onnx__expect_inputs(cv, nin, 1, 1) || !k2onnx__cfg_float(k2onnx__cfg_of(cv, cv->layer->config), "theta", 1.0f, &theta)) return 0;
    t = k2onnx__const_f32(cv, "theta", theta);
    g = t ? k2onnx__op2(cv, "Greater", in[0].name, t, "above_theta") : NULL;
    gf = g ? k2onnx__op1(cv, "Cast", g, "above_theta_float", &n) : NULL;
    if (gf) k2onnx__attr_int(cv, n, "to", K2ONNX__FLOAT);
    return k2onnx__one_output(cv, &in[0], gf ? k2onnx__op2(cv, "Mul", in[0].name, gf, "ThresholdedRelu") : NULL, out, nout);
}

/* PReLU: alpha has the input's shape without the batch axis, 1 along shared_axes; ONNX PRelu
   broadcasts it the same way. */
static int k2onnx__map_prelu(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    const k2onnx__json *shared = k2onnx__jget(cv->layer->config, "shared_axes");
    const k2onnx__kvalue *x = &in[0];
    int64_t dims[K2ONNX__MAX_RANK], count = 1;
    unsigned i;
    k2onnx__initializer *t;
    if (!k2onnx__expect_inputs(cv, nin, 1, 1)) return 0;
    if (x->rank < 2) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "input must have a batch axis and features");
    for (i = 1; i < x->rank; i++) dims[i - 1] = x->dims[i];
    if (shared && shared->type != K2ONNX__JNULL) {
        const k2onnx__json *one = shared, *arr = k2onnx__jis_array(shared) ? shared : NULL;
        size_t j, n = arr ? arr->n : 1;
        for (j = 0; j < n; j++) {
            long long a;
            if (arr) one = &arr->items[j];
            if (!k2onnx__jint(one, 1, (long long)x->rank - 1, &a))
                return k2onnx__lfail(cv, k2onnx_result_invalid_model, "shared_axes must list axes 1..%d", (int)x->rank - 1);
            dims[a - 1] = 1;
        }
    }
    for (i = 0; i + 1 < x->rank; i++) {
        if (dims[i] < 0) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "axis %d has no fixed size and is not in shared_axes", (int)i + 1);
        count *= dims[i];
    }
    if (!k2onnx__kweights(cv->m, cv->layer)) return 0;
    if (cv->layer->nweights != 1 || cv->layer->weights[0].count != (uint64_t)count)
        return k2onnx__lfail(cv, k2onnx_result_invalid_model, "expected one alpha weight of %d values", (int)count);
    if (!(t = k2onnx__add_matrix(cv, k2onnx__vname(cv, "alpha"), x->rank - 1, dims, 1))) return 0;
    t->parts[0].src = cv->layer->weights[0];
    t->parts[0].rows = 1;
    t->parts[0].cols = (uint64_t)count;
    return k2onnx__one_output(cv, x, k2onnx__op2(cv, "PRelu", x->name, t->name, "PRelu"), out, nout);
}

#endif

#ifndef K2ONNX_ONLY_RECURRENT
/* Softmax layer (axis). */
static int k2onnx__map_softmax(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    int64_t axis = -1;
    if (!k2onnx__expect_inputs(cv, nin, 1, 1) || !k2onnx__cfg_axis(k2onnx__cfg_of(cv, cv->layer->config), "axis", -1, -1, in[0].rank, &axis)) return 0;
    if (in[0].mask) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "a masked input is not supported yet");
    return k2onnx__one_output(cv, &in[0], k2onnx__softmax(cv, "Softmax", in[0].name, in[0].rank, axis, "Softmax"), out, nout);
}

#endif

/* --- sequence edges: Cropping1D, ZeroPadding1D, UpSampling1D ---------------------------------- */

#ifndef K2ONNX_ONLY_RECURRENT

static int k2onnx__expect_sequence(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin)
{
    if (!k2onnx__expect_inputs(cv, nin, 1, 1)) return 0;
    if (in[0].rank != 3) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "input must be [batch, steps, features]");
    return 1;
}

/* A [batch, steps, features] result with a new step count (-1: dynamic). */
static int k2onnx__steps_output(k2onnx__converter *cv, const k2onnx__kvalue *x, const char *y, int64_t T, k2onnx__kvalue **out, size_t *nout)
{
    if (!k2onnx__one_output(cv, x, y, out, nout)) return 0;
    (*out)[0].mask = NULL;
    (*out)[0].dims[1] = T;
    (*out)[0].params[1] = T < 0 ? k2onnx__vname(cv, "steps") : NULL;
    return 1;
}

/* --unroll moves values with rows x cols matrices of zeros and ones (MatMul), at most 2^40
   values; zeroed, the caller sets the ones. */
static float *k2onnx__zero_one_matrix(k2onnx__converter *cv, int64_t rows, int64_t cols, const char *what)
{
    (void)what;
    if (cols && rows > ((int64_t)1 << 40) / cols) {
        k2onnx__lfail(cv, k2onnx_result_limit_exceeded, "%s is too large", what);
        return NULL;
    }
    return (float *)k2onnx__alloc_array(cv->ctx, (size_t)(rows * (cols ? cols : 1)), sizeof(float));
}

/* --unroll: steps of [N, T, F] moved by a 0/1 matrix, y[:, t2] = x[:, from[t2]] (zeros where from
   is -1), as Transpose, MatMul and Transpose: libonnx has no Slice or Pad, onnx2c no Tile. */
static int k2onnx__time_map(k2onnx__converter *cv, const k2onnx__kvalue *x, const int64_t *from, int64_t T2, k2onnx__kvalue **out, size_t *nout)
{
    static const int64_t swap[3] = {0, 2, 1};
    int64_t T = x->dims[1], dims[2], t2;
    float *m;
    const char *xt, *w, *p, *y;
    if (T < 0) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "options.unroll needs a known number of time steps: give options.steps");
    if (!(m = k2onnx__zero_one_matrix(cv, T, T2, "the step map"))) return 0;
    for (t2 = 0; t2 < T2; t2++)
        if (from[t2] >= 0) m[from[t2] * T2 + t2] = 1.0f;
    dims[0] = T;
    dims[1] = T2;
    xt = k2onnx__transpose(cv, x->name, swap, 3, "steps_last");
    w = k2onnx__init_f32(cv, "step_map", m, 2, dims);
    p = xt && w ? k2onnx__op2(cv, "MatMul", xt, w, "mapped") : NULL;
    y = p ? k2onnx__transpose(cv, p, swap, 3, "steps_back") : NULL;
    return k2onnx__steps_output(cv, x, y, T2, out, nout);
}

/* The time_map source of each output step: crop (begin, end) steps, or pad with zero steps. */
static int64_t *k2onnx__step_sources(k2onnx__converter *cv, int64_t T, int64_t T2, int64_t begin, int64_t repeat)
{
    int64_t *from = (int64_t *)k2onnx__alloc_array(cv->ctx, (size_t)T2, sizeof *from), t2;
    if (!from) return NULL;
    for (t2 = 0; t2 < T2; t2++) {
        int64_t t = t2 / repeat + begin;
        from[t2] = t >= 0 && t < T ? t : -1;
    }
    return from;
}

/* Cropping1D((begin, end)): drops steps at both ends. */
static int k2onnx__map_cropping1d(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    long long c[2];
    int64_t T;
    if (!k2onnx__expect_sequence(cv, in, nin) || !k2onnx__cfg_int_pair(k2onnx__cfg_of(cv, cv->layer->config), "cropping", 1, c)) return 0;
    T = in[0].dims[1];
    if (T >= 0 && c[0] + c[1] > T) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "crops %d steps of %d", (int)(c[0] + c[1]), (int)T);
    if (K2ONNX__UNROLLS(cv->ctx) && T >= 0) {
        const int64_t *from = k2onnx__step_sources(cv, T, T - c[0] - c[1], c[0], 1);
        return from && k2onnx__time_map(cv, &in[0], from, T - c[0] - c[1], out, nout);
    }
    return k2onnx__steps_output(cv, &in[0], k2onnx__slice(cv, in[0].name, 1, c[0], c[1] ? -(int64_t)c[1] : INT64_MAX, "Slice"),
                                T >= 0 ? T - c[0] - c[1] : -1, out, nout);
}

/* ZeroPadding1D((begin, end)): zero steps at both ends. */
static int k2onnx__map_zero_padding1d(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    long long p[2];
    int64_t pads[6] = {0, 0, 0, 0, 0, 0}, T;
    k2onnx__node *n;
    const char *y;
    if (!k2onnx__expect_sequence(cv, in, nin) || !k2onnx__cfg_int_pair(k2onnx__cfg_of(cv, cv->layer->config), "padding", 1, p)) return 0;
    T = in[0].dims[1];
    pads[1] = p[0];
    pads[4] = p[1];
    if (K2ONNX__UNROLLS(cv->ctx) && T >= 0) {
        const int64_t *from = k2onnx__step_sources(cv, T, T + p[0] + p[1], -(int64_t)p[0], 1);
        return from && k2onnx__time_map(cv, &in[0], from, T + p[0] + p[1], out, nout);
    }
    if (cv->opset < 11) {
        if (!(y = k2onnx__op1(cv, "Pad", in[0].name, "Pad", &n)) || !k2onnx__attr_ints(cv, n, "pads", pads, 6)) return 0;
    } else {
        const char *pn = k2onnx__init_i64(cv, "pads", pads, 6);
        y = pn ? k2onnx__op2(cv, "Pad", in[0].name, pn, "Pad") : NULL;
    }
    return k2onnx__steps_output(cv, &in[0], y, T >= 0 ? T + p[0] + p[1] : -1, out, nout);
}

/* UpSampling1D(size): every step repeated size times: [N, T, F] -> [N, T, 1, F] -> tiled
   [N, T, size, F] -> [N, T * size, F]. */
static int k2onnx__map_upsampling1d(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    long long size = 2;
    int64_t reps[4] = {1, 1, 1, 1}, shape[3], T, F;
    const char *u, *r, *t, *s;
    if (!k2onnx__expect_sequence(cv, in, nin) || !k2onnx__cfg_int1(k2onnx__cfg_of(cv, cv->layer->config), "size", 2, &size)) return 0;
    T = in[0].dims[1];
    F = in[0].dims[2];
    if (F < 0) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "the feature axis must have a known size");
    if (K2ONNX__UNROLLS(cv->ctx) && T >= 0) {
        const int64_t *from = k2onnx__step_sources(cv, T, T * size, 0, size);
        return from && k2onnx__time_map(cv, &in[0], from, T * size, out, nout);
    }
    reps[2] = size;
    shape[0] = 0;
    shape[1] = -1;
    shape[2] = F;
    u = k2onnx__squeeze(cv, "Unsqueeze", in[0].name, 2, "expanded");
    r = k2onnx__init_i64(cv, "repeats", reps, 4);
    t = u && r ? k2onnx__op2(cv, "Tile", u, r, "Tile") : NULL;
    s = t ? k2onnx__init_i64(cv, "shape", shape, 3) : NULL;
    return k2onnx__steps_output(cv, &in[0], s ? k2onnx__op2(cv, "Reshape", t, s, "Reshape") : NULL, T >= 0 ? T * size : -1, out, nout);
}

/* --- Dot and the Keras 1 Merge layer ------------------------------------------------------- */

/* x / max(|x|, eps) along an axis: Keras 2 uses tf.math.l2_normalize (sum of squares at least
   1e-12), Keras 3 ops.normalize (norm at least 1e-7). */
static const char *k2onnx__l2_normalize(k2onnx__converter *cv, const char *x, int64_t axis, const char *what)
{
    const char *sq = k2onnx__op2(cv, "Mul", x, x, k2onnx__sprintf(cv->ctx, "%s_squared", what));
    const char *ss = sq ? k2onnx__reduce(cv, "ReduceSum", sq, axis, 1, k2onnx__sprintf(cv->ctx, "%s_sum_squares", what)) : NULL;
    const char *norm = ss ? k2onnx__op1(cv, "Sqrt", ss, k2onnx__sprintf(cv->ctx, "%s_norm", what), NULL) : NULL;
    float floor = cv->m->keras_major >= 3 ? 1e-7f : 1e-6f;
    const char *eps, *d;
    /* Max broadcasts from opset 8; before, Clip with attribute bounds does the same, and so does
       the unrolled form's clip (onnx2c crashes on a Max with a rank-0 input). */
    if (cv->opset < 8 || K2ONNX__UNROLLS(cv->ctx)) return norm ? k2onnx__op2(cv, "Div", x, k2onnx__clip(cv, norm, floor, 3.4028234e38f, k2onnx__sprintf(cv->ctx, "%s_denominator", what)), what) : NULL;
    eps = k2onnx__const_f32(cv, k2onnx__sprintf(cv->ctx, "%s_epsilon", what), floor);
    d = norm && eps ? k2onnx__op2(cv, "Max", norm, eps, k2onnx__sprintf(cv->ctx, "%s_denominator", what)) : NULL;
    return d ? k2onnx__op2(cv, "Div", x, d, what) : NULL;
}

/* Dot(axes, normalize) of two [batch, a, b] or two [batch, a] tensors, as Keras' batch_dot:
   the contracted axis of the first moves last, that of the second first, then MatMul. */
static int k2onnx__batch_dot(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, const char *axes, int normalize, const char *tag,
                             k2onnx__kvalue **out, size_t *nout);

static int k2onnx__map_dot(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    const k2onnx__json *cfg = cv->layer->config;
    return k2onnx__batch_dot(cv, in, nin, "axes", k2onnx__jbool(cfg, "normalize", 0), NULL, out, nout);
}

/* A node name set apart by tag, when there is one. */
static const char *k2onnx__tagged(k2onnx__converter *cv, const char *tag, const char *what)
{
    return tag ? k2onnx__sprintf(cv->ctx, "%s_%s", tag, what) : what;
}

/* tag, when not NULL, sets the names of a layer's further dot products apart. */
static int k2onnx__batch_dot(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, const char *axes, int normalize, const char *tag,
                             k2onnx__kvalue **out, size_t *nout)
{
    int64_t ax[2];
    const char *a, *b, *y;
    unsigned r, i;
    if (!k2onnx__expect_inputs(cv, nin, 2, 2)) return 0;
    r = in[0].rank;
    if (in[1].rank != r || (r != 2 && r != 3)) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "only two inputs of rank 2 or two of rank 3 are supported");
    for (i = 0; i < 2; i++)
        if (!k2onnx__cfg_axis(k2onnx__cfg_of(cv, cv->layer->config), axes, (int)i, -1, r, &ax[i])) return 0;
    if (in[0].dims[ax[0]] >= 0 && in[1].dims[ax[1]] >= 0 && in[0].dims[ax[0]] != in[1].dims[ax[1]])
        return k2onnx__lfail(cv, k2onnx_result_invalid_model, "the dotted axes have sizes %d and %d", (int)in[0].dims[ax[0]], (int)in[1].dims[ax[1]]);
    a = in[0].name;
    b = in[1].name;
    if (normalize) {
        a = k2onnx__l2_normalize(cv, a, ax[0], "normalized_0");
        b = a ? k2onnx__l2_normalize(cv, b, ax[1], "normalized_1") : NULL;
        if (!b) return 0;
    }
    if (!k2onnx__outputs(cv, out, nout, 1)) return 0;
    (*out)[0] = in[0];
    (*out)[0].mask = NULL;
    if (r == 2) {
        const char *p = k2onnx__op2(cv, "Mul", a, b, k2onnx__tagged(cv, tag, "product"));
        y = p ? k2onnx__reduce(cv, "ReduceSum", p, 1, 1, k2onnx__tagged(cv, tag, "Dot")) : NULL;
        (*out)[0].dims[1] = 1;
        (*out)[0].params[1] = NULL;
    } else {
        if (ax[0] == 1) a = k2onnx__transpose(cv, a, k2onnx__swap12, 3, k2onnx__tagged(cv, tag, "first_transposed"));
        if (a && ax[1] == 2) b = k2onnx__transpose(cv, b, k2onnx__swap12, 3, k2onnx__tagged(cv, tag, "second_transposed"));
        y = a && b ? k2onnx__op2(cv, "MatMul", a, b, k2onnx__tagged(cv, tag, "Dot")) : NULL;
        (*out)[0].dims[1] = in[0].dims[3 - ax[0]];
        (*out)[0].params[1] = in[0].params[3 - ax[0]];
        (*out)[0].dims[2] = in[1].dims[3 - ax[1]];
        (*out)[0].params[2] = in[1].params[3 - ax[1]];
    }
    (*out)[0].name = y;
    return y != NULL;
}

/* Keras 1 cos merge: batch_dot(a, b) / max(sqrt(batch_dot(a, a) * batch_dot(b, b)), 1e-7),
   with an axis of 1 inserted after the batch axis. */
static int k2onnx__keras1_cos(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, const char *axes, k2onnx__kvalue **out, size_t *nout)
{
    k2onnx__kvalue pair[2], *ab, *aa, *bb;
    size_t n;
    const char *p, *r, *d, *y;
    unsigned i;
    if (!k2onnx__expect_inputs(cv, nin, 2, 2) || !k2onnx__batch_dot(cv, in, nin, axes, 0, NULL, &ab, &n)) return 0;
    pair[0] = pair[1] = in[0];
    if (!k2onnx__batch_dot(cv, pair, 2, axes, 0, "first_norm", &aa, &n)) return 0;
    pair[0] = pair[1] = in[1];
    if (!k2onnx__batch_dot(cv, pair, 2, axes, 0, "second_norm", &bb, &n)) return 0;
    p = k2onnx__op2(cv, "Mul", aa[0].name, bb[0].name, "squared_norms");
    r = p ? k2onnx__op1(cv, "Sqrt", p, "norms", NULL) : NULL;
    d = r ? k2onnx__clip(cv, r, 1e-7f, 3.4028234e38f, "denominator") : NULL;
    y = d ? k2onnx__op2(cv, "Div", ab[0].name, d, "cosine") : NULL;
    y = y ? k2onnx__squeeze(cv, "Unsqueeze", y, 1, "expanded") : NULL;
    if (!y || !k2onnx__outputs(cv, out, nout, 1)) return 0;
    (*out)[0] = ab[0];
    (*out)[0].name = y;
    (*out)[0].rank = ab[0].rank + 1;
    for (i = ab[0].rank; i > 1; i--) {
        (*out)[0].dims[i] = ab[0].dims[i - 1];
        (*out)[0].params[i] = ab[0].params[i - 1];
    }
    (*out)[0].dims[1] = 1;
    (*out)[0].params[1] = NULL;
    return 1;
}

/* Keras 1 Merge (the layer merge([a, b], mode=...) makes): each mode as the Keras 2 layer that
   replaced it. A mode given as a Python function cannot be converted. */
static int k2onnx__map_keras1_merge(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    static const struct { const char *mode, *op; int average; } elementwise[] = {
        {"sum", "Add", 0}, {"mul", "Mul", 0}, {"ave", "Add", 1}, {"max", "Max", 0}};
    const k2onnx__json *cfg = cv->layer->config;
    const char *mode = k2onnx__jstr(k2onnx__jget(cfg, "mode")), *type = k2onnx__jstr(k2onnx__jget(cfg, "mode_type"));
    size_t i;
    if (!mode || (type && strcmp(type, "raw") != 0))
        return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "a merge mode given as a Python %s cannot be converted", type ? type : "object");
    for (i = 0; i < sizeof elementwise / sizeof elementwise[0]; i++)
        if (strcmp(mode, elementwise[i].mode) == 0) return k2onnx__merge_elementwise(cv, elementwise[i].op, elementwise[i].average, in, nin, out, nout);
    if (strcmp(mode, "concat") == 0) return k2onnx__concat_along(cv, k2onnx__jget(cfg, "concat_axis"), in, nin, out, nout);
    if (strcmp(mode, "dot") == 0) return k2onnx__batch_dot(cv, in, nin, "dot_axes", 0, NULL, out, nout);
    if (strcmp(mode, "cos") == 0) return k2onnx__keras1_cos(cv, in, nin, "dot_axes", out, nout);
    return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "merge mode '%s' is not supported", mode);
}

#endif

#ifndef K2ONNX_ONLY_RECURRENT
/* --- TensorFlowOpLayer: raw TensorFlow ops in tf.keras 2.2 / 2.3 functional models ------------ */

/* tf.keras wraps a TensorFlow op applied to Keras tensors in a TensorFlowOpLayer: its config
   holds the op's NodeDef (as JSON) and, keyed by input position, the values of the inputs that
   were not Keras tensors. The ops below are those with one ONNX counterpart; any other op is
   refused by name. Every op keeps the batch axis where it is. */

#define K2ONNX__TF_MAX_ARGS 16

/* The op's inputs in the op's order: the call's tensors with the constants put at their
   positions, as the layer does when it rebuilds the op. */
typedef struct k2onnx__tf_args {
    const k2onnx__kvalue *tensor[K2ONNX__TF_MAX_ARGS]; /* NULL where the input is a constant */
    const k2onnx__json *constant[K2ONNX__TF_MAX_ARGS];
    size_t n;
} k2onnx__tf_args;

static int k2onnx__tf_gather_args(k2onnx__converter *cv, const k2onnx__json *node_def, const k2onnx__kvalue *in, size_t nin, k2onnx__tf_args *a)
{
    const k2onnx__json *names = k2onnx__jget(node_def, "input"), *constants = k2onnx__jget(cv->layer->config, "constants");
    size_t i, used = 0;
    memset(a, 0, sizeof *a);
    if (names && !k2onnx__jis_array(names)) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "node_def.input is not a list");
    for (i = 0; names && i < names->n; i++) {
        const char *s = k2onnx__jstr(&names->items[i]);
        if (s && s[0] == '^') continue; /* a control input carries no value */
        if (a->n == K2ONNX__TF_MAX_ARGS) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "more than %d op inputs", K2ONNX__TF_MAX_ARGS);
        a->constant[a->n] = constants ? k2onnx__jget(constants, k2onnx__sprintf(cv->ctx, "%u", (unsigned long long)a->n)) : NULL;
        if (!a->constant[a->n]) {
            if (used == nin) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "op input %d is neither a Keras tensor nor a constant", (int)a->n);
            a->tensor[a->n] = &in[used++];
        }
        a->n++;
    }
    if (used != nin) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "the op takes %d Keras tensor(s), the layer is called with %d", (int)used, (int)nin);
    return 1;
}

/* An attribute of the NodeDef: {"b": true}, {"type": "DT_FLOAT"}, {"list": {"i": ["1", "2"]}}
   (protobuf's JSON writes 64-bit integers as strings). */
static const k2onnx__json *k2onnx__tf_attr(const k2onnx__json *node_def, const char *name, const char *kind)
{
    return k2onnx__jget(k2onnx__jget(k2onnx__jget(node_def, "attr"), name), kind);
}

static int k2onnx__tf_int(const k2onnx__json *v, long long *out)
{
    const char *s = k2onnx__jstr(v);
    long long r = 0;
    int neg;
    if (!s) return k2onnx__jint(v, -((long long)1 << 40), (long long)1 << 40, out);
    neg = *s == '-';
    s += neg;
    if (!*s) return 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || r > ((long long)1 << 40)) return 0;
        r = r * 10 + (*s - '0');
    }
    *out = neg ? -r : r;
    return 1;
}

/* A constant input as integers: a number or a flat list (Reshape's shape, Transpose's perm, an
   axis). */
static int k2onnx__tf_ints(k2onnx__converter *cv, const k2onnx__json *v, const char *what, int64_t *out, size_t max, size_t *n)
{
    size_t i;
    long long x;
    (void)what;
    if (v && !k2onnx__jis_array(v)) {
        if (!k2onnx__tf_int(v, &x)) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "%s is not an integer", what);
        out[0] = x;
        *n = 1;
        return 1;
    }
    if (!v || v->n > max) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "%s is missing or has more than %d entries", what, (int)max);
    for (i = 0; i < v->n; i++) {
        if (!k2onnx__tf_int(&v->items[i], &x)) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "%s entry %d is not an integer", what, (int)i);
        out[i] = x;
    }
    *n = v->n;
    return 1;
}

/* One axis of a rank-`rank` tensor (negative counts from the end), not the batch axis. */
static int k2onnx__tf_axis(k2onnx__converter *cv, const k2onnx__json *v, unsigned rank, int64_t *axis)
{
    int64_t a[1];
    size_t n;
    if (!k2onnx__tf_ints(cv, v, "axis", a, 1, &n)) return 0;
    if (n != 1 || a[0] < -(int64_t)rank || a[0] >= (int64_t)rank) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "axis is outside the input rank");
    *axis = a[0] < 0 ? a[0] + rank : a[0];
    if (*axis == 0) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "an op along the batch axis is not supported");
    return 1;
}

/* Walks a nested list of numbers: its shape into dims (on the first visit of each depth) and
   its values into v (when v is not NULL), checking every row has the same length. */
static int k2onnx__tf_nested(const k2onnx__json *j, unsigned depth, unsigned *rank, int64_t *dims, float *v, size_t *count)
{
    size_t i;
    if (j->type == K2ONNX__JNUMBER) {
        if (depth != *rank) return 0;
        if (v) v[*count] = j->number;
        (*count)++;
        return 1;
    }
    if (!k2onnx__jis_array(j) || depth >= K2ONNX__MAX_RANK || j->n == 0) return 0;
    if (depth == *rank && *count == 0) {
        dims[depth] = (int64_t)j->n;
        (*rank)++;
    } else if (depth >= *rank || dims[depth] != (int64_t)j->n) {
        return 0;
    }
    for (i = 0; i < j->n; i++)
        if (!k2onnx__tf_nested(&j->items[i], depth + 1, rank, dims, v, count)) return 0;
    return 1;
}

/* A float constant input as an initializer of its own shape. */
static const char *k2onnx__tf_const(k2onnx__converter *cv, const k2onnx__json *c, unsigned *rank, int64_t *dims)
{
    size_t count = 0;
    float *v;
    *rank = 0;
    if (!k2onnx__tf_nested(c, 0, rank, dims, NULL, &count)) {
        k2onnx__lfail(cv, k2onnx_result_unsupported_model, "a constant input is not a number or a regular nested list of numbers");
        return NULL;
    }
    if (!(v = (float *)k2onnx__alloc_array(cv->ctx, count, sizeof *v))) return NULL;
    *rank = 0;
    count = 0;
    k2onnx__tf_nested(c, 0, rank, dims, v, &count);
    return k2onnx__init_f32(cv, "constant", v, *rank, dims);
}

/* The shape of a broadcast of `x` with a value of rank `rank` and `dims` (numpy rules, as both
   TensorFlow and ONNX broadcast); 0 when they do not broadcast. */
static int k2onnx__tf_broadcast(k2onnx__converter *cv, k2onnx__kvalue *x, unsigned rank, const int64_t *dims, const char *const *params)
{
    unsigned i;
    if (rank > x->rank) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "an operand of higher rank than the Keras tensor");
    for (i = 0; i < rank; i++) {
        unsigned k = x->rank - rank + i;
        int64_t d = dims[i];
        if (d == 1 || d == x->dims[k]) continue;
        if (x->dims[k] == 1 && k > 0) {
            x->dims[k] = d;
            x->params[k] = params ? params[i] : NULL;
        } else if (d >= 0 && x->dims[k] >= 0) {
            return k2onnx__lfail(cv, k2onnx_result_invalid_model, "operands of shapes that do not broadcast");
        } else if (x->dims[k] < 0 && d >= 0) {
            x->dims[k] = d;
            x->params[k] = NULL;
        }
    }
    return 1;
}

/* Element-wise op of two operands, one of which may be a constant. */
static int k2onnx__tf_binary(k2onnx__converter *cv, const char *op, const k2onnx__tf_args *a, k2onnx__kvalue **out, size_t *nout)
{
    const char *name[2], *y;
    k2onnx__kvalue shape;
    int64_t dims[K2ONNX__MAX_RANK];
    unsigned i, rank;
    if (a->n != 2) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "expects 2 op inputs, got %d", (int)a->n);
    if (!a->tensor[0] && !a->tensor[1]) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "an op on constants alone is not supported");
    shape = *(a->tensor[0] ? a->tensor[0] : a->tensor[1]);
    shape.mask = NULL;
    for (i = 0; i < 2; i++) {
        if (a->tensor[i]) {
            name[i] = a->tensor[i]->name;
            if (!k2onnx__tf_broadcast(cv, &shape, a->tensor[i]->rank, a->tensor[i]->dims, a->tensor[i]->params)) return 0;
        } else if (!(name[i] = k2onnx__tf_const(cv, a->constant[i], &rank, dims)) || !k2onnx__tf_broadcast(cv, &shape, rank, dims, NULL)) {
            return 0;
        }
    }
    if (strcmp(op, "SquaredDifference") == 0) {
        const char *d = k2onnx__op2(cv, "Sub", name[0], name[1], "difference");
        y = d ? k2onnx__op2(cv, "Mul", d, d, "SquaredDifference") : NULL;
    } else if ((K2ONNX__UNROLLS(cv->ctx) || cv->opset < 8) && (strcmp(op, "Max") == 0 || strcmp(op, "Min") == 0)) {
        /* max(a, b) = b + relu(a - b), min(a, b) = a - relu(a - b): libonnx starts Max and Min
           from FLT_MIN (as for the Maximum and Minimum layers), and before opset 8 they do not
           broadcast. */
        const char *d = k2onnx__op2(cv, "Sub", name[0], name[1], "difference");
        const char *r = d ? k2onnx__op1(cv, "Relu", d, "excess", NULL) : NULL;
        y = r ? k2onnx__op2(cv, op[1] == 'a' ? "Add" : "Sub", op[1] == 'a' ? name[1] : name[0], r, op) : NULL;
    } else {
        y = k2onnx__op2(cv, op, name[0], name[1], op);
    }
    return k2onnx__one_output(cv, &shape, y, out, nout);
}

/* Reshape whose shape starts with -1 (the batch) and has no other unknown entry. */
static int k2onnx__tf_reshape(k2onnx__converter *cv, const k2onnx__tf_args *a, k2onnx__kvalue **out, size_t *nout)
{
    int64_t shape[K2ONNX__MAX_RANK], want = 1, have;
    size_t n, i;
    const k2onnx__kvalue *x = a->tensor[0];
    if (a->n != 2 || !x || a->tensor[1]) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "Reshape needs a Keras tensor and a constant shape");
    if (!k2onnx__tf_ints(cv, a->constant[1], "shape", shape, K2ONNX__MAX_RANK, &n)) return 0;
    if (n < 1 || shape[0] != -1) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "Reshape must keep the batch axis first as -1");
    for (i = 1; i < n; i++) {
        if (shape[i] <= 0) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "Reshape shape entry %d is not a positive size", (int)i);
        if (want > INT64_MAX / shape[i]) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "Reshape shape is too large");
        want *= shape[i];
    }
    have = k2onnx__inner_size(x);
    if (have >= 0 && have != want) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "Reshape changes the batch size");
    return k2onnx__reshape_to(cv, x, shape + 1, n - 1, out, nout);
}

static int k2onnx__tf_transpose(k2onnx__converter *cv, const k2onnx__tf_args *a, k2onnx__kvalue **out, size_t *nout)
{
    int64_t perm[K2ONNX__MAX_RANK];
    const k2onnx__kvalue *x = a->tensor[0];
    unsigned seen = 0, i;
    size_t n;
    const char *y;
    if (a->n != 2 || !x || a->tensor[1]) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "Transpose needs a Keras tensor and a constant perm");
    if (!k2onnx__tf_ints(cv, a->constant[1], "perm", perm, K2ONNX__MAX_RANK, &n)) return 0;
    if (n != x->rank) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "perm has %d entries for a rank-%d input", (int)n, (int)x->rank);
    for (i = 0; i < n; i++) {
        if (perm[i] < 0 || perm[i] >= (int64_t)n || (seen >> perm[i] & 1u)) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "perm is not a permutation");
        seen |= 1u << perm[i];
    }
    if (perm[0] != 0) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "Transpose must keep the batch axis first");
    if (!(y = k2onnx__transpose(cv, x->name, perm, n, "Transpose")) || !k2onnx__one_output(cv, x, y, out, nout)) return 0;
    for (i = 0; i < n; i++) {
        (*out)[0].dims[i] = x->dims[perm[i]];
        (*out)[0].params[i] = x->params[perm[i]];
    }
    (*out)[0].mask = NULL;
    return 1;
}

/* A value's shape without axis k. */
static void k2onnx__drop_axis(k2onnx__kvalue *v, size_t k)
{
    memmove(&v->dims[k], &v->dims[k + 1], (v->rank - k - 1) * sizeof v->dims[0]);
    memmove(&v->params[k], &v->params[k + 1], (v->rank - k - 1) * sizeof v->params[0]);
    v->rank--;
}

/* One Squeeze per axis set in `axes` (bit k: axis k, never the batch axis), the last first so
   that the others keep their numbers. The nodes are named `what`_axisK, or `single`. */
static int k2onnx__squeeze_axes(k2onnx__converter *cv, k2onnx__kvalue *y, unsigned axes, const char *what, const char *single)
{
    size_t k;
    for (k = y->rank; k-- > 1;) {
        if (!(axes >> k & 1u)) continue;
        if (!(y->name = k2onnx__squeeze(cv, "Squeeze", y->name, (int64_t)k, single ? single : k2onnx__sprintf(cv->ctx, "%s_axis%u", what, (unsigned long long)k)))) return 0;
        k2onnx__drop_axis(y, k);
    }
    return 1;
}

/* ExpandDims (an axis input) and Squeeze (squeeze_dims, each of size 1). */
static int k2onnx__tf_expand_squeeze(k2onnx__converter *cv, int expand, const k2onnx__json *dims, const k2onnx__tf_args *a, k2onnx__kvalue **out, size_t *nout)
{
    const k2onnx__kvalue *x = a->tensor[0];
    k2onnx__kvalue y;
    int64_t axes[K2ONNX__MAX_RANK], axis;
    size_t n, i, k;
    unsigned drop = 0;
    if (!x || a->n != (size_t)(expand ? 2 : 1) || (expand && a->tensor[1]))
        return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "%s needs a Keras tensor%s", expand ? "ExpandDims" : "Squeeze", expand ? " and a constant axis" : "");
    y = *x;
    y.mask = NULL;
    if (expand) {
        if (x->rank + 1 > K2ONNX__MAX_RANK) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "output of rank %d", (int)x->rank + 1);
        if (!k2onnx__tf_axis(cv, a->constant[1], x->rank + 1, &axis)) return 0;
        for (k = y.rank; k > (size_t)axis; k--) {
            y.dims[k] = y.dims[k - 1];
            y.params[k] = y.params[k - 1];
        }
        y.dims[axis] = 1;
        y.params[axis] = NULL;
        y.rank++;
        return (y.name = k2onnx__squeeze(cv, "Unsqueeze", x->name, axis, "ExpandDims")) != NULL && k2onnx__one_output(cv, &y, y.name, out, nout);
    }
    if (!dims || dims->type == K2ONNX__JNULL || (k2onnx__jis_array(dims) && dims->n == 0))
        return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "Squeeze without squeeze_dims is not supported");
    if (!k2onnx__tf_ints(cv, dims, "squeeze_dims", axes, K2ONNX__MAX_RANK, &n)) return 0;
    for (i = 0; i < n; i++) {
        if (axes[i] < 0) axes[i] += x->rank;
        if (axes[i] <= 0 || axes[i] >= (int64_t)x->rank || x->dims[axes[i]] != 1)
            return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "squeeze_dims entry %d is not an axis of size 1 after the batch", (int)i);
    }
    for (i = 0; i < n; i++) drop |= 1u << axes[i];
    return k2onnx__squeeze_axes(cv, &y, drop, "Squeeze", n == 1 ? "Squeeze" : NULL) && k2onnx__one_output(cv, &y, y.name, out, nout);
}

/* Mean, Sum, Max, Min, Prod over one constant axis, keeping it when `keep`. */
static int k2onnx__tf_reduce(k2onnx__converter *cv, const char *op, int keep, const k2onnx__tf_args *a, k2onnx__kvalue **out, size_t *nout)
{
    const k2onnx__kvalue *x = a->tensor[0];
    k2onnx__kvalue y;
    int64_t axis;
    if (a->n != 2 || !x || a->tensor[1]) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "a reduction needs a Keras tensor and constant axes");
    if (!k2onnx__tf_axis(cv, a->constant[1], x->rank, &axis)) return 0;
    y = *x;
    y.mask = NULL;
    if (keep) {
        y.name = k2onnx__reduce(cv, op, x->name, axis, 1, op);
        y.dims[axis] = 1;
        y.params[axis] = NULL;
    } else {
        y.name = k2onnx__reduce_drop(cv, op, x->name, x->rank, axis, op);
        k2onnx__drop_axis(&y, (size_t)axis);
    }
    return k2onnx__one_output(cv, &y, y.name, out, nout);
}

/* erf(x) before opset 9 (no Erf, no Sign): sign(x) erf(|x|), the sign as x / (|x| + 1e-30),
   which is exactly -1 or 1 but within 1e-23 of zero, where erf(x) is that small itself. */
static const char *k2onnx__erf_without_erf(k2onnx__converter *cv, const char *x)
{
    const char *one = k2onnx__const_f32(cv, "erf_one", 1.0f), *tiny = k2onnx__const_f32(cv, "erf_tiny", 1e-30f);
    const char *ax = k2onnx__op1(cv, "Abs", x, "erf_abs", NULL);
    const char *den = ax && tiny ? k2onnx__op2(cv, "Add", ax, tiny, "erf_sign_denominator") : NULL;
    const char *sign = den ? k2onnx__op2(cv, "Div", x, den, "erf_sign") : NULL;
    const char *e = sign ? k2onnx__erf_of_nonnegative(cv, ax, one, "erf") : NULL;
    return e ? k2onnx__op2(cv, "Mul", sign, e, "Erf") : NULL;
}

/* TensorFlow op `op` on its arguments: `dims` are Squeeze's axes, `keep` says whether a
   reduction keeps its axis, `in` are the call's tensors (ConcatV2 joins them). */
static int k2onnx__tf_apply(k2onnx__converter *cv, const char *op, const k2onnx__tf_args *a, const k2onnx__json *dims, int keep, const k2onnx__kvalue *in,
                            size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    static const char *const unary[] = {"Relu", "Sigmoid", "Tanh", "Exp", "Log", "Sqrt", "Abs", "Neg", "Floor", "Ceil", "Reciprocal",
                                        "Erf", "Identity", "Softplus", "Softsign", "Elu", "Selu"};
    static const char *const binary[][2] = {{"AddV2", "Add"}, {"Add", "Add"}, {"Sub", "Sub"}, {"Mul", "Mul"}, {"RealDiv", "Div"},
                                            {"Maximum", "Max"}, {"Minimum", "Min"}, {"Pow", "Pow"}, {"SquaredDifference", "SquaredDifference"}};
    static const char *const reductions[][2] = {{"Mean", "ReduceMean"}, {"Sum", "ReduceSum"}, {"Max", "ReduceMax"}, {"Min", "ReduceMin"}, {"Prod", "ReduceProd"}};
    const k2onnx__kvalue *x = a->tensor[0];
    const char *y = NULL;
    size_t i;
    for (i = 0; i < sizeof binary / sizeof binary[0]; i++)
        if (strcmp(op, binary[i][0]) == 0) return k2onnx__tf_binary(cv, binary[i][1], a, out, nout);
    for (i = 0; i < sizeof reductions / sizeof reductions[0]; i++)
        if (strcmp(op, reductions[i][0]) == 0) return k2onnx__tf_reduce(cv, reductions[i][1], keep, a, out, nout);
    if (strcmp(op, "Reshape") == 0) return k2onnx__tf_reshape(cv, a, out, nout);
    if (strcmp(op, "Transpose") == 0) return k2onnx__tf_transpose(cv, a, out, nout);
    if (strcmp(op, "ExpandDims") == 0 || strcmp(op, "Squeeze") == 0) return k2onnx__tf_expand_squeeze(cv, op[0] == 'E', dims, a, out, nout);
    if (strcmp(op, "ConcatV2") == 0) {
        /* the tensors, then the axis */
        for (i = 0; i + 1 < a->n; i++)
            if (!a->tensor[i]) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "ConcatV2 of a constant is not supported");
        if (a->n < 2 || a->tensor[a->n - 1]) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "ConcatV2 needs a constant axis last");
        return k2onnx__concat_along(cv, a->constant[a->n - 1], in, nin, out, nout);
    }
    if (a->n != 1 || !x) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "TensorFlow op '%s' with %d inputs is not supported", op, (int)a->n);
    for (i = 0; i < sizeof unary / sizeof unary[0]; i++)
        if (strcmp(op, unary[i]) == 0) y = strcmp(op, "Erf") == 0 && cv->opset < 9 ? k2onnx__erf_without_erf(cv, x->name) : k2onnx__op1(cv, op, x->name, op, NULL);
    if (strcmp(op, "Relu6") == 0) y = k2onnx__clip(cv, x->name, 0.0f, 6.0f, "Relu6");
    if (strcmp(op, "Square") == 0) y = k2onnx__op2(cv, "Mul", x->name, x->name, "Square");
    if (strcmp(op, "Softmax") == 0) y = k2onnx__softmax(cv, "Softmax", x->name, x->rank, (int64_t)x->rank - 1, "Softmax");
    if (strcmp(op, "Rsqrt") == 0) {
        const char *r = k2onnx__op1(cv, "Sqrt", x->name, "sqrt", NULL);
        y = r ? k2onnx__op1(cv, "Reciprocal", r, "Rsqrt", NULL) : NULL;
    }
    if (!y && !cv->ctx->failed) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "TensorFlow op '%s' is not supported", op);
    return k2onnx__one_output(cv, x, y, out, nout);
}

static int k2onnx__map_tf_op(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    const k2onnx__json *node_def = k2onnx__jget(cv->layer->config, "node_def"), *keep = k2onnx__tf_attr(node_def, "keep_dims", "b");
    const char *op = k2onnx__jstr(k2onnx__jget(node_def, "op")), *type = k2onnx__jstr(k2onnx__tf_attr(node_def, "T", "type"));
    k2onnx__tf_args a;
    if (!op) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "config has no node_def.op");
    if (type && strcmp(type, "DT_FLOAT") != 0) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "TensorFlow op '%s' on %s: only DT_FLOAT is supported", op, type);
    if (nin == 0) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "TensorFlow op '%s' has no Keras tensor input", op);
    if (!k2onnx__tf_gather_args(cv, node_def, in, nin, &a)) return 0;
    return k2onnx__tf_apply(cv, op, &a, k2onnx__jget(k2onnx__tf_attr(node_def, "squeeze_dims", "list"), "i"), keep && keep->type == K2ONNX__JTRUE, in, nin, out,
                            nout);
}

/* An argument of a TFOpLambda call: the tensor passed under `key`, else its constant value. */
static void k2onnx__tf_lambda_arg(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, const char *key, k2onnx__tf_args *a)
{
    a->tensor[a->n] = k2onnx__call_arg(cv, in, nin, key, K2ONNX__KEYWORD_ONLY);
    a->constant[a->n] = NULL;
    if (!a->tensor[a->n]) {
        const k2onnx__json *v = k2onnx__jget(cv->layer->calls[cv->node].kwargs, key);
        a->constant[a->n] = v && v->type != K2ONNX__JNULL ? v : NULL;
    }
    a->n++;
}

/* TFOpLambda (tf.keras 2.4 on): a TensorFlow function applied to Keras tensors, named by its
   API path ("math.multiply", "reshape", "__operators__.add" for x + y); the call's first
   argument is its inbound node, the others are keyword arguments. */
static int k2onnx__map_tf_op_lambda(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    /* function, TensorFlow op, keyword of the second argument */
    static const char *const ops[][3] = {
        {"__operators__.add", "AddV2", "y"}, {"math.add", "AddV2", "y"}, {"math.subtract", "Sub", "y"}, {"math.multiply", "Mul", "y"},
        {"math.truediv", "RealDiv", "y"}, {"math.divide", "RealDiv", "y"}, {"math.maximum", "Maximum", "y"}, {"math.minimum", "Minimum", "y"},
        {"math.pow", "Pow", "y"}, {"math.squared_difference", "SquaredDifference", "y"}, {"nn.relu", "Relu", NULL}, {"nn.relu6", "Relu6", NULL},
        {"math.sigmoid", "Sigmoid", NULL}, {"nn.sigmoid", "Sigmoid", NULL}, {"math.tanh", "Tanh", NULL}, {"nn.tanh", "Tanh", NULL},
        {"math.exp", "Exp", NULL}, {"math.log", "Log", NULL}, {"math.sqrt", "Sqrt", NULL}, {"math.rsqrt", "Rsqrt", NULL},
        {"math.square", "Square", NULL}, {"math.abs", "Abs", NULL}, {"math.negative", "Neg", NULL}, {"math.floor", "Floor", NULL},
        {"math.ceil", "Ceil", NULL}, {"math.reciprocal", "Reciprocal", NULL}, {"math.erf", "Erf", NULL}, {"identity", "Identity", NULL},
        {"math.softplus", "Softplus", NULL}, {"nn.softplus", "Softplus", NULL}, {"math.softsign", "Softsign", NULL}, {"nn.softsign", "Softsign", NULL},
        {"nn.elu", "Elu", NULL}, {"nn.selu", "Selu", NULL}, {"nn.softmax", "Softmax", NULL}, {"math.softmax", "Softmax", NULL},
        {"reshape", "Reshape", "shape"}, {"transpose", "Transpose", "perm"}, {"expand_dims", "ExpandDims", "axis"}, {"squeeze", "Squeeze", NULL},
        {"compat.v1.squeeze", "Squeeze", NULL}, {"concat", "ConcatV2", "axis"}, {"math.reduce_mean", "Mean", "axis"}, {"math.reduce_sum", "Sum", "axis"},
        {"math.reduce_max", "Max", "axis"}, {"math.reduce_min", "Min", "axis"}, {"math.reduce_prod", "Prod", "axis"}};
    const k2onnx__kcall *call = &cv->layer->calls[cv->node];
    const char *fn = k2onnx__jstr(k2onnx__jget(cv->layer->config, "function"));
    const k2onnx__json *dims = k2onnx__jget(call->kwargs, "axis"), *keep = k2onnx__jget(call->kwargs, "keepdims");
    k2onnx__tf_args a;
    size_t row, i, ntensors;
    if (!fn) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "config has no function");
    for (row = 0; row < sizeof ops / sizeof ops[0] && strcmp(fn, ops[row][0]) != 0; row++) {
    }
    if (row == sizeof ops / sizeof ops[0]) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "TensorFlow function '%s' is not supported", fn);
    memset(&a, 0, sizeof a);
    /* the first argument: a constant, or the positional tensors (a list of them for concat) */
    if (call->first_constant) a.constant[a.n++] = call->first_constant;
    for (i = 0; i < nin && i < call->ninputs; i++)
        if (!call->inputs[i].kwarg) {
            if (a.n == K2ONNX__TF_MAX_ARGS - 1) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "more than %d op inputs", K2ONNX__TF_MAX_ARGS);
            a.tensor[a.n++] = &in[i];
        }
    ntensors = a.n - (call->first_constant != NULL);
    if (a.n != 1 && strcmp(ops[row][1], "ConcatV2") != 0)
        return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "TensorFlow function '%s' on a list of tensors is not supported", fn);
    if (ops[row][2]) {
        k2onnx__tf_lambda_arg(cv, in, nin, ops[row][2], &a);
        if (!a.tensor[a.n - 1] && !a.constant[a.n - 1])
            return k2onnx__lfail(cv, k2onnx_result_invalid_model, "TensorFlow function '%s' lacks its argument '%s'", fn, ops[row][2]);
    }
    if (strcmp(ops[row][1], "Squeeze") == 0 && (!dims || dims->type == K2ONNX__JNULL)) dims = k2onnx__jget(call->kwargs, "squeeze_dims");
    if (!keep || keep->type == K2ONNX__JNULL) keep = k2onnx__jget(call->kwargs, "keep_dims");
    if (strcmp(ops[row][1], "Softmax") == 0 && a.tensor[0] && dims && dims->type != K2ONNX__JNULL) {
        long long axis;
        if (!k2onnx__jint(dims, -8, 8, &axis) || (axis != -1 && axis != (long long)a.tensor[0]->rank - 1))
            return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "softmax over another axis than the last is not supported");
    }
    return k2onnx__tf_apply(cv, ops[row][1], &a, dims, keep && keep->type == K2ONNX__JTRUE, in, ntensors, out, nout);
}

/* Start and end of a step-1 slice of an axis of `size` values (-1: unknown), Python's way. */
static int64_t k2onnx__slice_length(int64_t size, int64_t start, int64_t stop)
{
    if (size < 0) return -1;
    if (start < 0) start = start + size < 0 ? 0 : start + size;
    if (stop < 0) stop = stop + size < 0 ? 0 : stop + size;
    if (start > size) start = size;
    if (stop > size) stop = size;
    return stop > start ? stop - start : 0;
}

/* One bound of a {start, stop, step} slice: null gives `def`. */
static int k2onnx__slice_bound(const k2onnx__json *slice, const char *key, int64_t def, int64_t *out)
{
    const k2onnx__json *v = k2onnx__jget(slice, key);
    long long x;
    if (!v || v->type == K2ONNX__JNULL) {
        *out = def;
        return 1;
    }
    if (!k2onnx__jint(v, -((long long)1 << 40), (long long)1 << 40, &x)) return 0;
    *out = x;
    return 1;
}

/* --unroll: values [start, start + len) of axis k (of known size D) of a rank-`rank` tensor as a
   MatMul with a D x len 0/1 matrix, the axis moved last and back: libonnx has no Slice. */
static const char *k2onnx__axis_select(k2onnx__converter *cv, const char *x, unsigned rank, unsigned k, int64_t D, int64_t start, int64_t len, const char *what)
{
    int64_t perm[K2ONNX__MAX_RANK], dims[2], j;
    unsigned i;
    float *m;
    const char *t = x, *w, *p;
    if (!(m = k2onnx__zero_one_matrix(cv, D, len, "the selection matrix of a sliced axis"))) return NULL;
    for (j = 0; j < len; j++) m[(start + j) * len + j] = 1.0f;
    dims[0] = D;
    dims[1] = len;
    for (i = 0; i < rank; i++) perm[i] = i;
    perm[k] = rank - 1;
    perm[rank - 1] = k;
    if (k + 1 != rank) t = k2onnx__transpose(cv, x, perm, rank, k2onnx__sprintf(cv->ctx, "%s_axis_last", what));
    w = k2onnx__init_f32(cv, k2onnx__sprintf(cv->ctx, "%s_selection", what), m, 2, dims);
    p = t && w ? k2onnx__op2(cv, "MatMul", t, w, k2onnx__sprintf(cv->ctx, "%s_selected", what)) : NULL;
    return p && k + 1 != rank ? k2onnx__transpose(cv, p, perm, rank, what) : p;
}

/* SlicingOpLambda (tf.keras 2.4 on): x[...] on a Keras tensor, the function
   "__operators__.getitem" with the index as slice_spec: integers, {start, stop, step} slices and
   an ellipsis ({"class_name": "__ellipsis__"}). The batch axis is taken whole. */
static int k2onnx__map_slicing_op_lambda(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    const k2onnx__kcall *call = &cv->layer->calls[cv->node];
    const char *fn = k2onnx__jstr(k2onnx__jget(cv->layer->config, "function"));
    const k2onnx__json *spec = k2onnx__jget(call->kwargs, "slice_spec"), *axis_spec[K2ONNX__MAX_RANK];
    const k2onnx__kvalue *x = &in[0];
    k2onnx__kvalue y;
    size_t n, i, indices = 0, a = 0;
    unsigned drop = 0, k;
    if (!fn || strcmp(fn, "__operators__.getitem") != 0) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "TensorFlow function '%s' is not supported", fn ? fn : "");
    if (nin != 1 || call->first_constant || !spec || spec->type == K2ONNX__JNULL)
        return k2onnx__lfail(cv, k2onnx_result_invalid_model, "x[...] needs one Keras tensor and a slice_spec");
    n = k2onnx__jis_array(spec) ? spec->n : 1;
    for (i = 0; i < n; i++) {
        const k2onnx__json *e = k2onnx__jis_array(spec) ? &spec->items[i] : spec;
        const char *cls = k2onnx__jstr(k2onnx__jget(e, "class_name"));
        indices += !(cls && strcmp(cls, "__ellipsis__") == 0);
    }
    if (n - indices > 1) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "x[...] has more than one ellipsis");
    if (indices > x->rank) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "x[...] has %d indices for a rank-%d tensor", (int)indices, (int)x->rank);
    /* each axis' entry (NULL: taken whole), the ellipsis standing for the axes no entry names */
    for (k = 0; k < x->rank; k++) axis_spec[k] = NULL;
    for (i = 0; i < n; i++) {
        const k2onnx__json *e = k2onnx__jis_array(spec) ? &spec->items[i] : spec;
        const char *cls = k2onnx__jstr(k2onnx__jget(e, "class_name"));
        if (cls && strcmp(cls, "__ellipsis__") == 0) a += x->rank - indices;
        else axis_spec[a++] = e;
    }
    y = *x;
    y.mask = NULL;
    for (k = 0; k < x->rank; k++) {
        const k2onnx__json *e = axis_spec[k];
        int64_t start, stop, step;
        long long index;
        if (!e) continue;
        if (e->type == K2ONNX__JNUMBER) {
            if (!k2onnx__jint(e, -((long long)1 << 40), (long long)1 << 40, &index))
                return k2onnx__lfail(cv, k2onnx_result_invalid_model, "the index of axis %d is not an integer", (int)k);
            if (x->dims[k] >= 0 && (index < -(long long)x->dims[k] || index >= (long long)x->dims[k]))
                return k2onnx__lfail(cv, k2onnx_result_invalid_model, "index %d is outside axis %d of size %d", (int)index, (int)k, (int)x->dims[k]);
            start = index;
            stop = index == -1 ? INT64_MAX : index + 1;
            drop |= 1u << k;
        } else if (e->type == K2ONNX__JOBJECT && k2onnx__jget(e, "start")) {
            if (!k2onnx__slice_bound(e, "start", 0, &start) || !k2onnx__slice_bound(e, "stop", INT64_MAX, &stop) || !k2onnx__slice_bound(e, "step", 1, &step))
                return k2onnx__lfail(cv, k2onnx_result_invalid_model, "slice of axis %d has a bound that is not an integer", (int)k);
            if (step != 1) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "slices with a step are not supported");
            if (start == 0 && stop == INT64_MAX) continue;
        } else if (e->type == K2ONNX__JNULL) {
            return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "tf.newaxis in x[...] is not supported");
        } else {
            return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "x[...] with an index of this kind is not supported");
        }
        if (k == 0) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "slicing the batch axis is not supported");
        y.dims[k] = (drop >> k & 1u) ? 1 : k2onnx__slice_length(x->dims[k], start, stop);
        if (K2ONNX__UNROLLS(cv->ctx)) {
            int64_t D = x->dims[k], first = start < 0 ? (start + D < 0 ? 0 : start + D) : (start > D ? D : start);
            if (D < 0) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "options.unroll slices only axes of known size");
            y.name = k2onnx__axis_select(cv, y.name, y.rank, k, D, first, y.dims[k], k2onnx__sprintf(cv->ctx, "slice_axis%u", (unsigned long long)k));
        } else {
            y.name = k2onnx__slice(cv, y.name, (int64_t)k, start, stop, k2onnx__sprintf(cv->ctx, "slice_axis%u", (unsigned long long)k));
        }
        if (!y.name) return 0;
        y.params[k] = y.dims[k] < 0 ? k2onnx__vname(cv, k2onnx__sprintf(cv->ctx, "dim%u", (unsigned long long)k)) : NULL;
    }
    if (!k2onnx__squeeze_axes(cv, &y, drop, "index", NULL)) return 0;
    if (y.name == x->name) y.name = k2onnx__op1(cv, "Identity", x->name, "whole", NULL);
    return k2onnx__one_output(cv, &y, y.name, out, nout);
}
#endif

#ifndef K2ONNX_NO_ATTENTION
/* --- attention --------------------------------------------------------------------------- */

/* A boolean keyword argument of the call being converted (use_causal_mask=True, ...). */
static int k2onnx__call_flag(k2onnx__converter *cv, const char *key)
{
    return k2onnx__jbool(cv->layer->calls[cv->node].kwargs, key, 0);
}

/* A scalar weight (Attention's scale, concat_score_weight) as a constant. */
static const char *k2onnx__scalar_weight(k2onnx__converter *cv, size_t index, const char *what)
{
    if (cv->layer->weights[index].count != 1) {
        k2onnx__lfail(cv, k2onnx_result_invalid_model, "weight '%s' must hold one value", what);
        return NULL;
    }
    return k2onnx__const_f32(cv, what, k2onnx__h5array_get(&cv->layer->weights[index], 0));
}

/* Lower-triangular keep mask [1, Tq, Tv] (query step i sees value steps j <= i). */
static const char *k2onnx__causal_mask(k2onnx__converter *cv, int64_t Tq, int64_t Tv)
{
    float *v;
    int64_t i, j, dims[3];
    if (Tq < 0 || Tv < 0) {
        k2onnx__lfail(cv, k2onnx_result_unsupported_model, "a causal mask needs known sequence lengths");
        return NULL;
    }
    if (!(v = (float *)k2onnx__alloc_array(cv->ctx, (size_t)(Tq * Tv) + 1, sizeof *v))) return NULL;
    for (i = 0; i < Tq; i++)
        for (j = 0; j < Tv; j++) v[i * Tv + j] = j <= i ? 1.0f : 0.0f;
    dims[0] = 1;
    dims[1] = Tq;
    dims[2] = Tv;
    return k2onnx__init_f32(cv, "causal_mask", v, 3, dims);
}

/* keep ? scores : scores - 1e9, for a 0/1 keep mask, as Keras' attention layers do it. */
static const char *k2onnx__mask_scores(k2onnx__converter *cv, const char *scores, const char *keep)
{
    const char *one = k2onnx__const_f32(cv, "one", 1.0f), *big = k2onnx__const_f32(cv, "large_negative", -1e9f);
    const char *drop = one ? k2onnx__op2(cv, "Sub", one, keep, "dropped") : NULL;
    const char *add = drop && big ? k2onnx__op2(cv, "Mul", drop, big, "score_adder") : NULL;
    return add ? k2onnx__op2(cv, "Add", scores, add, "masked_scores") : NULL;
}

static const char *k2onnx__and_mask(k2onnx__converter *cv, const char *a, const char *b, const char *what)
{
    if (!a) return b;
    if (!b) return a;
    return k2onnx__op2(cv, "Mul", a, b, what);
}

/* Swaps the last two axes. */
static const char *k2onnx__transpose_last2(k2onnx__converter *cv, const char *x, unsigned rank, const char *what)
{
    int64_t perm[K2ONNX__MAX_RANK];
    unsigned i;
    for (i = 0; i < rank; i++) perm[i] = i;
    perm[rank - 2] = rank - 1;
    perm[rank - 1] = rank - 2;
    return k2onnx__transpose(cv, x, perm, rank, what);
}

/* Attention (dot or concat scores, use_scale) and AdditiveAttention over [query, value(, key)]:
   scores [.., Tq, Tv], masked value steps and future steps (use_causal_mask, or `causal` in
   older configs) pushed to -1e9, softmax, times value; masked query steps give zeros. */
static int k2onnx__map_attention(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    const k2onnx__json *cfg = cv->layer->config;
    int additive = strcmp(cv->layer->cls, "AdditiveAttention") == 0;
    const char *mode = additive ? "additive" : k2onnx__jstr(k2onnx__jget(cfg, "score_mode"));
    int use_scale = k2onnx__jbool(cfg, "use_scale", additive), concat, causal;
    const k2onnx__kvalue *q = k2onnx__call_arg(cv, in, nin, "query", 0), *v = k2onnx__call_arg(cv, in, nin, "value", 1);
    const k2onnx__kvalue *k = k2onnx__call_arg(cv, in, nin, "key", 2);
    unsigned r;
    size_t want, at = 0;
    const char *scores = NULL, *keep = NULL, *w, *y, *scale = NULL;
    int64_t Tq, Tv, D;
    if (!mode) mode = "dot";
    concat = strcmp(mode, "concat") == 0;
    if (!additive && !concat && strcmp(mode, "dot") != 0) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "score_mode '%s' is not supported", mode);
    if (!q || !v || nin > 3) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "expects [query, value] or [query, value, key]");
    if (!k) k = v;
    r = q->rank;
    if ((r != 2 && r != 3) || v->rank != r || k->rank != r) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "query, value and key must all be rank 2 or all rank 3");
    D = q->dims[r - 1];
    if (D < 0 || k->dims[r - 1] != D) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "query and key need the same known feature size");
    causal = k2onnx__call_flag(cv, "use_causal_mask") || k2onnx__jbool(cfg, "causal", 0);
    want = (size_t)use_scale + (size_t)concat;
    if (!k2onnx__kweights(cv->m, cv->layer)) return 0;
    if (cv->layer->nweights != want) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "expected %d weights, the file has %d", (int)want, (int)cv->layer->nweights);
    if (use_scale) {
        if (additive) {
            if (cv->layer->weights[0].count != (uint64_t)D) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "scale must hold %d values", (int)D);
            scale = k2onnx__vector_init(cv, 0, "scale", D);
        } else {
            scale = k2onnx__scalar_weight(cv, 0, "scale");
        }
        if (!scale) return 0;
        at = 1;
    }
    if (additive || concat) {
        /* sum over features of tanh(q_i + k_j) (scaled inside for concat, outside for additive) */
        const char *qe = k2onnx__squeeze(cv, "Unsqueeze", q->name, r - 1, "query_expanded");
        const char *ke = k2onnx__squeeze(cv, "Unsqueeze", k->name, r - 2, "key_expanded");
        const char *sum = qe && ke ? k2onnx__op2(cv, "Add", qe, ke, "query_plus_key") : NULL;
        const char *t;
        if (sum && scale && !additive) sum = k2onnx__op2(cv, "Mul", sum, scale, "scaled_sum");
        t = sum ? k2onnx__op1(cv, "Tanh", sum, "tanh", NULL) : NULL;
        if (t && scale && additive) t = k2onnx__op2(cv, "Mul", t, scale, "scaled_tanh");
        scores = t ? k2onnx__reduce_drop(cv, "ReduceSum", t, r + 1, r, "scores") : NULL;
        if (scores && concat) {
            const char *cw = k2onnx__scalar_weight(cv, at, "concat_score_weight");
            scores = cw ? k2onnx__op2(cv, "Mul", scores, cw, "weighted_scores") : NULL;
        }
    } else {
        const char *kt = k2onnx__transpose_last2(cv, k->name, r, "key_transposed");
        scores = kt ? k2onnx__op2(cv, "MatMul", q->name, kt, "scores") : NULL;
        if (scores && scale) scores = k2onnx__op2(cv, "Mul", scores, scale, "scaled_scores");
    }
    if (!scores) return 0;
    Tq = r == 3 ? q->dims[1] : q->dims[0];
    Tv = r == 3 ? v->dims[1] : v->dims[0];
    if (v->mask && r == 3 && !(keep = k2onnx__squeeze(cv, "Unsqueeze", v->mask, 1, "value_mask_expanded"))) return 0;
    if (causal) {
        const char *cm = k2onnx__causal_mask(cv, r == 3 ? Tq : -1, r == 3 ? Tv : -1);
        if (!cm || !(keep = k2onnx__and_mask(cv, keep, cm, "keep"))) return 0;
    }
    if (keep && !(scores = k2onnx__mask_scores(cv, scores, keep))) return 0;
    w = k2onnx__softmax(cv, "Softmax", scores, r, r - 1, "attention_weights");
    y = w ? k2onnx__op2(cv, "MatMul", w, v->name, "attended") : NULL;
    if (y && q->mask && r == 3) {
        const char *qm = k2onnx__squeeze(cv, "Unsqueeze", q->mask, 2, "query_mask_expanded");
        y = qm ? k2onnx__op2(cv, "Mul", y, qm, "masked_attended") : NULL;
    }
    if (!y || !k2onnx__outputs(cv, out, nout, k2onnx__call_flag(cv, "return_attention_scores") ? 2u : 1u)) return 0;
    (*out)[0] = *q;
    (*out)[0].name = y;
    (*out)[0].dims[r - 1] = v->dims[r - 1];
    (*out)[0].params[r - 1] = v->params[r - 1];
    if (*nout == 2) {
        (*out)[1] = *q;
        (*out)[1].name = w;
        (*out)[1].mask = NULL;
        (*out)[1].dims[r - 1] = r == 3 ? v->dims[1] : v->dims[0];
        (*out)[1].params[r - 1] = r == 3 ? v->params[1] : v->params[0];
        if (r == 2) {
            (*out)[1].dims[1] = -1;
            (*out)[1].params[1] = k2onnx__vname(cv, "batch");
        }
    }
    return 1;
}

/* One EinsumDense projection of MultiHeadAttention: x [N, T, D] -> [N, heads, T, width]. */
static const char *k2onnx__mha_project(k2onnx__converter *cv, const k2onnx__kvalue *x, size_t wi, int use_bias, int64_t heads, int64_t width, const char *what)
{
    int64_t D = x->dims[2], shape[4];
    const char *w, *y, *sh;
    static const int64_t perm[4] = {0, 2, 1, 3};
    uint64_t kd[3];
    kd[0] = (uint64_t)D;
    kd[1] = (uint64_t)heads;
    kd[2] = (uint64_t)width;
    if (!k2onnx__check_weight(cv, wi, k2onnx__sprintf(cv->ctx, "%s/kernel", what), 3, kd)) return NULL;
    if (use_bias && !k2onnx__check_weight(cv, wi + 1, k2onnx__sprintf(cv->ctx, "%s/bias", what), 2, kd + 1)) return NULL;
    if (!(w = k2onnx__matrix_init(cv, wi, k2onnx__sprintf(cv->ctx, "%s_kernel", what), D, heads * width))) return NULL;
    y = k2onnx__op2(cv, "MatMul", x->name, w, k2onnx__sprintf(cv->ctx, "%s_matmul", what));
    if (y && use_bias) {
        const char *b = k2onnx__vector_init(cv, wi + 1, k2onnx__sprintf(cv->ctx, "%s_bias", what), heads * width);
        y = b ? k2onnx__op2(cv, "Add", y, b, k2onnx__sprintf(cv->ctx, "%s_biased", what)) : NULL;
    }
    shape[0] = 0;
    shape[1] = -1;
    shape[2] = heads;
    shape[3] = width;
    sh = y ? k2onnx__init_i64(cv, k2onnx__sprintf(cv->ctx, "%s_heads_shape", what), shape, 4) : NULL;
    y = sh ? k2onnx__op2(cv, "Reshape", y, sh, k2onnx__sprintf(cv->ctx, "%s_heads", what)) : NULL;
    return y ? k2onnx__transpose(cv, y, perm, 4, what) : NULL;
}

/* MultiHeadAttention's attention_axes as bits of `rank`-D inputs: by default every axis between
   the batch and the features. */
static int k2onnx__mha_axes(k2onnx__converter *cv, const k2onnx__json *axes, unsigned rank, unsigned *bits)
{
    size_t i, n;
    unsigned a;
    *bits = 0;
    if (!axes || axes->type == K2ONNX__JNULL) {
        for (a = 1; a + 1 < rank; a++) *bits |= 1u << a;
        return 1;
    }
    n = k2onnx__jis_array(axes) ? axes->n : 1;
    for (i = 0; i < n; i++) {
        long long v;
        if (!k2onnx__jint(k2onnx__jis_array(axes) ? &axes->items[i] : axes, 1, (long long)rank - 2, &v))
            return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "attention_axes must name axes between the batch and the features (1 to %d)",
                                 (int)rank - 2);
        *bits |= 1u << v;
    }
    return *bits ? 1 : k2onnx__lfail(cv, k2onnx_result_invalid_model, "attention_axes names no axis");
}

/* MultiHeadAttention's output_shape (an int or a list): the output's trailing dimensions. */
static int k2onnx__mha_output_shape(k2onnx__converter *cv, const k2onnx__json *os, int64_t Dq, int64_t *dims, unsigned max, unsigned *n)
{
    size_t i;
    if (!os || os->type == K2ONNX__JNULL) {
        dims[0] = Dq;
        *n = 1;
        return 1;
    }
    *n = k2onnx__jis_array(os) ? (unsigned)os->n : 1u;
    if (*n == 0 || *n > max) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "output_shape must have 1 to %d dimensions", (int)max);
    for (i = 0; i < *n; i++) {
        long long v;
        if (!k2onnx__jint(k2onnx__jis_array(os) ? &os->items[i] : os, 1, 1 << 24, &v))
            return k2onnx__lfail(cv, k2onnx_result_invalid_model, "output_shape must hold positive sizes");
        dims[i] = (int64_t)v;
    }
    return 1;
}

/* An input of rank > 3 as the [batch', T', D] a 3-D attention runs on: the axes outside the
   attention joined to the batch, the attention axes joined into one (Keras' softmax runs over
   all of them at once). */
static int k2onnx__mha_fold(k2onnx__converter *cv, const k2onnx__kvalue *x, unsigned bits, const char *what, k2onnx__kvalue *y, int64_t *perm)
{
    unsigned a, k = 0, r = x->rank;
    int64_t T = 1, shape[3];
    const char *t, *sh;
    perm[k++] = 0;
    for (a = 1; a + 1 < r; a++)
        if (!(bits >> a & 1)) perm[k++] = a;
    for (a = 1; a + 1 < r; a++)
        if (bits >> a & 1) {
            perm[k++] = a;
            T *= x->dims[a];
        }
    perm[k] = r - 1;
    for (a = 1; a < r; a++)
        if (x->dims[a] < 1) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "attention over inputs of rank %d needs their sizes known", (int)r);
    t = k2onnx__transpose(cv, x->name, perm, r, k2onnx__sprintf(cv->ctx, "%s_attention_axes_last", what));
    shape[0] = -1;
    shape[1] = T;
    shape[2] = x->dims[r - 1];
    sh = t ? k2onnx__init_i64(cv, k2onnx__sprintf(cv->ctx, "%s_folded_shape", what), shape, 3) : NULL;
    memset(y, 0, sizeof *y);
    y->name = sh ? k2onnx__op2(cv, "Reshape", t, sh, k2onnx__sprintf(cv->ctx, "%s_folded", what)) : NULL;
    y->elem = x->elem;
    y->rank = 3;
    y->dims[0] = -1;
    y->params[0] = k2onnx__vname(cv, k2onnx__sprintf(cv->ctx, "%s_folded_batch", what));
    y->dims[1] = T;
    y->dims[2] = x->dims[r - 1];
    return y->name != NULL;
}

/* The attention scores [batch', heads, Tq', Tk'] of folded inputs in Keras' layout: [batch, the
   other inner axes..., heads, the query's attention axes..., the key's]. */
static int k2onnx__mha_unfold_scores(k2onnx__converter *cv, const char *probs, const k2onnx__kvalue *q, const k2onnx__kvalue *k, unsigned bits, int64_t H,
                                     k2onnx__kvalue *s)
{
    int64_t shape[K2ONNX__MAX_RANK];
    unsigned r = q->rank, a, n = 1, pass;
    const char *sh;
    for (a = 1; a + 1 < r; a++) n += (bits >> a & 1) + 1;
    if (n + 1 > K2ONNX__MAX_RANK) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "attention scores of rank %d are not supported", (int)n + 1);
    *s = *q;
    s->mask = NULL;
    n = 0;
    shape[n++] = -1;
    for (a = 1; a + 1 < r; a++)
        if (!(bits >> a & 1)) shape[n++] = q->dims[a];
    shape[n++] = H;
    for (pass = 0; pass < 2; pass++)
        for (a = 1; a + 1 < r; a++)
            if (bits >> a & 1) shape[n++] = (pass ? k : q)->dims[a];
    sh = k2onnx__init_i64(cv, "attention_scores_shape", shape, n);
    if (!(s->name = sh ? k2onnx__op2(cv, "Reshape", probs, sh, "attention_scores_unfolded") : NULL)) return 0;
    s->rank = n;
    for (a = 1; a < n; a++) {
        s->dims[a] = shape[a];
        s->params[a] = NULL;
    }
    return 1;
}

/* The output [batch', Tq', O] back in the query's layout: [batch, ..., O...]. */
static const char *k2onnx__mha_unfold(k2onnx__converter *cv, const char *y, const k2onnx__kvalue *q, const int64_t *perm, const int64_t *od, unsigned nod)
{
    int64_t shape[K2ONNX__MAX_RANK], inv[K2ONNX__MAX_RANK];
    unsigned r = q->rank, a, k = 0;
    const char *sh;
    shape[k++] = -1;
    for (a = 1; a + 1 < r; a++) shape[k++] = q->dims[perm[a]];
    for (a = 0; a < nod; a++) shape[k++] = od[a];
    sh = k2onnx__init_i64(cv, "output_unfolded_shape", shape, k);
    y = sh ? k2onnx__op2(cv, "Reshape", y, sh, "output_unfolded") : NULL;
    for (a = 0; a + 1 < r; a++) inv[perm[a]] = a;
    for (a = r - 1; a < k; a++) inv[a] = a;
    return y ? k2onnx__transpose(cv, y, inv, k, "output_query_layout") : NULL;
}

/* The keep mask [N, Tq, Tk] of MultiHeadAttention's rank-3 inputs, from the attention_mask, the
   query's, value's and key's masks and use_causal_mask, applied to the scores [N, H, Tq, Tk]. */
static int k2onnx__mha_masks(k2onnx__converter *cv, const k2onnx__kvalue *q, const k2onnx__kvalue *v, const k2onnx__kvalue *k,
                             const k2onnx__kvalue *am, const char **scores)
{
    const char *keep = NULL, *part[4] = {NULL, NULL, NULL, NULL};
    unsigned i;
    if (am) {
        k2onnx__node *n;
        if (am->rank != 3) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "attention_mask must be [batch, query steps, key steps]");
        keep = am->name;
        if (am->elem != K2ONNX__FLOAT) {
            if (!(keep = k2onnx__op1(cv, "Cast", am->name, "attention_mask_float", &n))) return 0;
            k2onnx__attr_int(cv, n, "to", K2ONNX__FLOAT);
        }
    }
    if (q->mask && !(part[0] = k2onnx__squeeze(cv, "Unsqueeze", q->mask, 2, "query_mask_expanded"))) return 0;
    if (v->mask && !(part[1] = k2onnx__squeeze(cv, "Unsqueeze", v->mask, 1, "value_mask_expanded"))) return 0;
    if (k != v && k->mask && !(part[2] = k2onnx__squeeze(cv, "Unsqueeze", k->mask, 1, "key_mask_expanded"))) return 0;
    if (k2onnx__call_flag(cv, "use_causal_mask") && !(part[3] = k2onnx__causal_mask(cv, q->dims[1], k->dims[1]))) return 0;
    for (i = 0; i < 4; i++)
        if (part[i] && !(keep = k2onnx__and_mask(cv, keep, part[i], k2onnx__sprintf(cv->ctx, "keep_%u", (unsigned long long)i)))) return 0;
    if (keep) {
        const char *k4 = k2onnx__squeeze(cv, "Unsqueeze", keep, 1, "keep_heads");
        if (!k4 || !(*scores = k2onnx__mask_scores(cv, *scores, k4))) return 0;
    }
    return 1;
}

/* The heads' attention over [batch, T, D] values, their context merged to [batch, T, H * VD];
   *probs gets the attention scores [batch, H, Tq, Tk]. */
static const char *k2onnx__mha_attend(k2onnx__converter *cv, const k2onnx__kvalue *q, const k2onnx__kvalue *k, const k2onnx__kvalue *v,
                                      const k2onnx__kvalue *am, int64_t H, int64_t KD, int64_t VD, int use_bias, const char **probs)
{
    static const int64_t perm[4] = {0, 2, 1, 3};
    size_t per = use_bias ? 2u : 1u;
    int64_t shape[3];
    const char *Q, *K, *V, *kt, *scores, *ctxv, *sh, *s;
    Q = k2onnx__mha_project(cv, q, 0, use_bias, H, KD, "query");
    K = Q ? k2onnx__mha_project(cv, k, per, use_bias, H, KD, "key") : NULL;
    V = K ? k2onnx__mha_project(cv, v, 2 * per, use_bias, H, VD, "value") : NULL;
    if (!V) return NULL;
    s = k2onnx__const_f32(cv, "query_scale", (float)(1.0 / K2ONNX_SQRT((double)KD)));
    Q = s ? k2onnx__op2(cv, "Mul", Q, s, "query_scaled") : NULL;
    kt = Q ? k2onnx__transpose_last2(cv, K, 4, "key_transposed") : NULL;
    scores = kt ? k2onnx__op2(cv, "MatMul", Q, kt, "scores") : NULL;
    if (!scores || !k2onnx__mha_masks(cv, q, v, k, am, &scores)) return NULL;
    *probs = k2onnx__softmax(cv, "Softmax", scores, 4, 3, "attention_scores");
    ctxv = *probs ? k2onnx__op2(cv, "MatMul", *probs, V, "context") : NULL;
    ctxv = ctxv ? k2onnx__transpose(cv, ctxv, perm, 4, "context_steps_first") : NULL;
    shape[0] = 0;
    shape[1] = -1;
    shape[2] = H * VD;
    sh = ctxv ? k2onnx__init_i64(cv, "context_shape", shape, 3) : NULL;
    return sh ? k2onnx__op2(cv, "Reshape", ctxv, sh, "context_merged") : NULL;
}

/* MultiHeadAttention(num_heads, key_dim, value_dim, use_bias, output_shape, attention_axes) over
   [batch, T, D] query, value and key, with the attention mask Keras builds from an
   attention_mask argument, the query, value and key masks and use_causal_mask; inputs of higher
   rank fold into that form (without masks). */
static int k2onnx__map_multi_head_attention(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    const k2onnx__json *cfg = cv->layer->config, *vd = k2onnx__jget(cfg, "value_dim"), *os = k2onnx__jget(cfg, "output_shape");
    const k2onnx__json *axes = k2onnx__jget(cfg, "attention_axes");
    const k2onnx__kvalue *q = k2onnx__call_arg(cv, in, nin, "query", 0), *v = k2onnx__call_arg(cv, in, nin, "value", 1);
    const k2onnx__kvalue *k = k2onnx__call_arg(cv, in, nin, "key", 2), *am = k2onnx__call_arg(cv, in, nin, "attention_mask", 3);
    const k2onnx__kvalue *query = q, *key = NULL;
    k2onnx__kvalue folded[3];
    int use_bias = k2onnx__jbool(cfg, "use_bias", 1);
    int64_t H, KD, VD, Dout = 1, qperm[K2ONNX__MAX_RANK], kperm[K2ONNX__MAX_RANK], odims[K2ONNX__MAX_RANK];
    size_t per = use_bias ? 2u : 1u;
    const char *probs = NULL, *ctxv, *y, *sh, *w;
    uint64_t od[K2ONNX__MAX_RANK];
    unsigned bits, nod, i, r;
    if (!q || !v) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "expects a query and a value");
    if (!k) k = v;
    r = q->rank;
    if (!k2onnx__cfg_positive_int(k2onnx__cfg_of(cv, cfg), "num_heads", NULL, &H) || !k2onnx__cfg_positive_int(k2onnx__cfg_of(cv, cfg), "key_dim", NULL, &KD)) return 0;
    VD = KD;
    if (vd && vd->type != K2ONNX__JNULL && !k2onnx__cfg_positive_int(k2onnx__cfg_of(cv, cfg), "value_dim", NULL, &VD)) return 0;
    if (r < 3 || v->rank != r || k->rank != r || q->dims[r - 1] < 0 || v->dims[r - 1] < 0 || k->dims[r - 1] < 0)
        return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "query, value and key must be [batch, steps..., features] of one rank with known features");
    if (!k2onnx__mha_axes(cv, axes, r, &bits) || !k2onnx__mha_output_shape(cv, os, q->dims[r - 1], odims, K2ONNX__MAX_RANK + 1 - r, &nod)) return 0;
    for (i = 0; i < nod; i++) Dout *= odims[i];
    if (r > 3) {
        if (q->mask || v->mask || k->mask || am || k2onnx__call_flag(cv, "use_causal_mask"))
            return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "masks with inputs of rank %d are not supported yet", (int)r);
        for (i = 1; i + 1 < r; i++)
            if (!(bits >> i & 1) && (v->dims[i] != q->dims[i] || k->dims[i] != q->dims[i]))
                return k2onnx__lfail(cv, k2onnx_result_invalid_model, "query, value and key differ along axis %d, which is not an attention axis", (int)i);
        if (!k2onnx__mha_fold(cv, q, bits, "query", &folded[0], qperm) || !k2onnx__mha_fold(cv, v, bits, "value", &folded[1], kperm) ||
            (k != v && !k2onnx__mha_fold(cv, k, bits, "key", &folded[2], kperm)))
            return 0;
        q = &folded[0];
        key = k;
        k = k == v ? &folded[1] : &folded[2];
        v = &folded[1];
    } else if (bits != 2u) {
        return k2onnx__lfail(cv, k2onnx_result_invalid_model, "attention_axes of 3-D inputs can only be the time axis");
    }
    if (!k2onnx__kweights(cv->m, cv->layer)) return 0;
    if (cv->layer->nweights != 4 * per) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "expected %d weights, the file has %d", (int)(4 * per), (int)cv->layer->nweights);
    ctxv = k2onnx__mha_attend(cv, q, k, v, am, H, KD, VD, use_bias, &probs);
    if (!ctxv) return 0;
    od[0] = (uint64_t)H;
    od[1] = (uint64_t)VD;
    for (i = 0; i < nod; i++) od[2 + i] = (uint64_t)odims[i];
    if (!k2onnx__check_weight(cv, 3 * per, "attention_output/kernel", 2 + nod, od) ||
        (use_bias && !k2onnx__check_weight(cv, 3 * per + 1, "attention_output/bias", nod, od + 2)))
        return 0;
    if (!(w = k2onnx__matrix_init(cv, 3 * per, "output_kernel", H * VD, Dout))) return 0;
    y = k2onnx__op2(cv, "MatMul", ctxv, w, "output_matmul");
    if (y && use_bias) {
        const char *b = k2onnx__vector_init(cv, 3 * per + 1, "output_bias", Dout);
        y = b ? k2onnx__op2(cv, "Add", y, b, "projected") : NULL;
    }
    if (y && r > 3) {
        y = k2onnx__mha_unfold(cv, y, query, qperm, odims, nod);
    } else if (y && nod > 1) {
        int64_t full[K2ONNX__MAX_RANK];
        full[0] = 0;
        full[1] = 0;
        for (i = 0; i < nod; i++) full[2 + i] = odims[i];
        sh = k2onnx__init_i64(cv, "output_shape", full, 2 + nod);
        y = sh ? k2onnx__op2(cv, "Reshape", y, sh, "output_reshaped") : NULL;
    }
    if (!y || !k2onnx__outputs(cv, out, nout, k2onnx__call_flag(cv, "return_attention_scores") ? 2u : 1u)) return 0;
    (*out)[0] = *query;
    (*out)[0].name = y;
    (*out)[0].rank = r - 1 + nod;
    for (i = 0; i < nod; i++) {
        (*out)[0].dims[r - 1 + i] = odims[i];
        (*out)[0].params[r - 1 + i] = NULL;
    }
    if (*nout == 2 && r > 3) return k2onnx__mha_unfold_scores(cv, probs, query, key, bits, H, &(*out)[1]);
    if (*nout == 2) {
        k2onnx__kvalue *s = &(*out)[1];
        *s = *q;
        s->name = probs;
        s->mask = NULL;
        s->rank = 4;
        s->dims[1] = H;
        s->params[1] = NULL;
        s->dims[2] = q->dims[1];
        s->params[2] = q->params[1];
        s->dims[3] = k->dims[1];
        s->params[3] = k->params[1];
    }
    return 1;
}

#endif

/* The mapping of a layer class that a trimming macro left out: the class is still known, so the
   error names the macro instead of calling the class unsupported. */
/* --- the layer table (and the stubs of trimmed builds) ---------------------------------------- */

/* A trimming macro leaves a layer's mapping out: its table rows then point to the one stub of
   that macro, which refuses the layer by name. With K2ONNX_NO_ERROR_STRINGS such a class would
   be refused with the same result and layer name as a class no row has, so the rows go instead
   and there is no stub. */
#ifdef K2ONNX_NO_ERROR_STRINGS
#define K2ONNX__LEFT_OUT(stub, macro)
#define K2ONNX__ROW_LEFT_OUT(X, stub, flags, names)
#else
#define K2ONNX__LEFT_OUT(stub, macro)                                                                            \
    static int stub(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout) \
    {                                                                                                            \
        (void)in;                                                                                                \
        (void)nin;                                                                                               \
        (void)out;                                                                                               \
        (void)nout;                                                                                              \
        return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "this layer class is left out of this build (" macro ")"); \
    }
#define K2ONNX__ROW_LEFT_OUT(X, stub, flags, names) X(stub, flags, names)
#endif
#define K2ONNX__ROW_KEPT(X, fn, flags, names) X(fn, flags, names)
#ifdef K2ONNX_NO_CONV
K2ONNX__LEFT_OUT(k2onnx__left_out_conv, "K2ONNX_NO_CONV")
#define K2ONNX__ROW_CONV(X, fn, flags, names) K2ONNX__ROW_LEFT_OUT(X, k2onnx__left_out_conv, flags, names)
#else
#define K2ONNX__ROW_CONV K2ONNX__ROW_KEPT
#endif
#if defined(K2ONNX_NO_CONV) || defined(K2ONNX_NO_SCAN_UNROLL)
K2ONNX__LEFT_OUT(k2onnx__left_out_conv_scan, "K2ONNX_NO_CONV or K2ONNX_NO_SCAN_UNROLL")
#define K2ONNX__ROW_CONV_SCAN(X, fn, flags, names) K2ONNX__ROW_LEFT_OUT(X, k2onnx__left_out_conv_scan, flags, names)
#else
#define K2ONNX__ROW_CONV_SCAN K2ONNX__ROW_KEPT
#endif
#ifdef K2ONNX_NO_ATTENTION
K2ONNX__LEFT_OUT(k2onnx__left_out_attention, "K2ONNX_NO_ATTENTION")
#define K2ONNX__ROW_ATTENTION(X, fn, flags, names) K2ONNX__ROW_LEFT_OUT(X, k2onnx__left_out_attention, flags, names)
#else
#define K2ONNX__ROW_ATTENTION K2ONNX__ROW_KEPT
#endif
#ifdef K2ONNX_ONLY_RECURRENT
K2ONNX__LEFT_OUT(k2onnx__left_out_only_recurrent, "K2ONNX_ONLY_RECURRENT")
#define K2ONNX__ROW_NOT_RECURRENT(X, fn, flags, names) K2ONNX__ROW_LEFT_OUT(X, k2onnx__left_out_only_recurrent, flags, names)
#else
#define K2ONNX__ROW_NOT_RECURRENT K2ONNX__ROW_KEPT
#endif

/* What the converter knows of a layer class besides its mapping. */
enum {
    K2ONNX__LAST_AXIS = 1,        /* acts on the last axis alone: TimeDistributed runs it on the whole sequence */
    K2ONNX__CONFIG_AXIS = 2,      /* acts on its config's `axis` alone (the same, when that is the last axis) */
    K2ONNX__KEYWORD_TENSORS = 4,  /* takes tensors as keyword arguments (value, key, attention_mask) */
    K2ONNX__INTEGER_INPUTS = 8,   /* takes integer tensors */
    K2ONNX__NO_INPUTS = 16,       /* a call without input tensors */
    K2ONNX__UNWRAPPABLE = 32      /* cannot be wrapped by TimeDistributed */
};

/* Every layer class the converter maps: one row per mapping function, with what else the
   converter must know of its classes and their Keras class names (aliases included), NUL
   separated. The rows become two arrays and one string of names in the same order (a row's
   names end with an empty one), so that a class costs its name and a row a function pointer
   and a byte. */
#ifdef K2ONNX_ONLY_RECURRENT
#define K2ONNX__FOLD_STEPS_ROW(X)
#else
#define K2ONNX__FOLD_STEPS_ROW(X) X(k2onnx__map_fold_steps, 0, K2ONNX__FOLD_STEPS)
#endif
#define K2ONNX__LAYERS(X) \
    /* core layers */ \
    X(k2onnx__map_input, K2ONNX__NO_INPUTS | K2ONNX__UNWRAPPABLE, "InputLayer") \
    X(k2onnx__map_dense, K2ONNX__LAST_AXIS, "Dense\0TimeDistributedDense") \
    X(k2onnx__map_activation, K2ONNX__LAST_AXIS, "Activation") \
    X(k2onnx__map_identity, K2ONNX__LAST_AXIS, "Dropout\0SpatialDropout1D\0GaussianNoise\0GaussianDropout\0AlphaDropout\0ActivityRegularization") \
    X(k2onnx__map_masking, 0, "Masking") \
    K2ONNX__ROW_NOT_RECURRENT(X, k2onnx__map_highway, 0, "Highway") \
    K2ONNX__ROW_NOT_RECURRENT(X, k2onnx__map_maxout_dense, 0, "MaxoutDense") \
    /* recurrent layers */ \
    X(k2onnx__map_recurrent, 0, "SimpleRNN\0GRU\0LSTM\0RNN\0CuDNNGRU\0CuDNNLSTM") \
    X(k2onnx__map_bidirectional, 0, "Bidirectional") \
    K2ONNX__ROW_CONV_SCAN(X, k2onnx__map_convlstm, 0, "ConvLSTM1D\0ConvLSTM2D") \
    /* reshaping */ \
    K2ONNX__ROW_NOT_RECURRENT(X, k2onnx__map_repeat_vector, 0, "RepeatVector") \
    K2ONNX__ROW_NOT_RECURRENT(X, k2onnx__map_flatten, 0, "Flatten") \
    K2ONNX__ROW_NOT_RECURRENT(X, k2onnx__map_reshape, 0, "Reshape") \
    K2ONNX__ROW_NOT_RECURRENT(X, k2onnx__map_permute, 0, "Permute") \
    /* 1-D convolution, pooling and sequence edges */ \
    K2ONNX__ROW_CONV(X, k2onnx__map_conv1d, 0, "Conv1D\0Convolution1D\0AtrousConvolution1D") \
    K2ONNX__ROW_CONV(X, k2onnx__map_separable_conv1d, 0, "SeparableConv1D\0SeparableConvolution1D") \
    K2ONNX__ROW_CONV(X, k2onnx__map_conv1d_transpose, 0, "Conv1DTranspose") \
    K2ONNX__ROW_CONV(X, k2onnx__map_pool1d, 0, "MaxPooling1D\0MaxPool1D\0AveragePooling1D\0AvgPool1D") \
    K2ONNX__ROW_NOT_RECURRENT(X, k2onnx__map_global_pool1d, 0, "GlobalAveragePooling1D\0GlobalAvgPool1D\0GlobalMaxPooling1D\0GlobalMaxPool1D") \
    K2ONNX__ROW_NOT_RECURRENT(X, k2onnx__map_cropping1d, 0, "Cropping1D") \
    K2ONNX__ROW_NOT_RECURRENT(X, k2onnx__map_zero_padding1d, 0, "ZeroPadding1D") \
    K2ONNX__ROW_NOT_RECURRENT(X, k2onnx__map_upsampling1d, 0, "UpSampling1D") \
    /* 2-D convolution and pooling */ \
    K2ONNX__ROW_CONV(X, k2onnx__map_conv2d, 0, "Conv2D\0Convolution2D\0AtrousConvolution2D\0SeparableConv2D\0SeparableConvolution2D\0DepthwiseConv2D") \
    K2ONNX__ROW_CONV(X, k2onnx__map_conv2d_transpose, 0, "Conv2DTranspose\0Convolution2DTranspose") \
    K2ONNX__ROW_CONV(X, k2onnx__map_pool2d, 0, "MaxPooling2D\0MaxPool2D\0AveragePooling2D\0AvgPool2D") \
    K2ONNX__ROW_CONV(X, k2onnx__map_global_pool2d, 0, "GlobalAveragePooling2D\0GlobalAvgPool2D\0GlobalMaxPooling2D\0GlobalMaxPool2D") \
    K2ONNX__ROW_CONV(X, k2onnx__map_zero_padding2d, 0, "ZeroPadding2D") \
    K2ONNX__ROW_CONV(X, k2onnx__map_cropping2d, 0, "Cropping2D") \
    K2ONNX__ROW_CONV(X, k2onnx__map_upsampling2d, 0, "UpSampling2D") \
    /* normalization, merging, Embedding */ \
    K2ONNX__ROW_NOT_RECURRENT(X, k2onnx__map_batchnorm, K2ONNX__CONFIG_AXIS, "BatchNormalization") \
    K2ONNX__ROW_NOT_RECURRENT(X, k2onnx__map_layernorm, 0, "LayerNormalization") \
    K2ONNX__ROW_NOT_RECURRENT(X, k2onnx__map_merge, 0, "Add\0Subtract\0Multiply\0Average\0Maximum\0Minimum") \
    K2ONNX__ROW_NOT_RECURRENT(X, k2onnx__map_concatenate, 0, "Concatenate") \
    K2ONNX__ROW_NOT_RECURRENT(X, k2onnx__map_dot, 0, "Dot") \
    K2ONNX__ROW_NOT_RECURRENT(X, k2onnx__map_keras1_merge, 0, "Merge") \
    K2ONNX__ROW_NOT_RECURRENT(X, k2onnx__map_embedding, K2ONNX__INTEGER_INPUTS, "Embedding") \
    /* activation layers */ \
    K2ONNX__ROW_NOT_RECURRENT(X, k2onnx__map_leaky_relu, K2ONNX__LAST_AXIS, "LeakyReLU") \
    K2ONNX__ROW_NOT_RECURRENT(X, k2onnx__map_relu, K2ONNX__LAST_AXIS, "ReLU") \
    K2ONNX__ROW_NOT_RECURRENT(X, k2onnx__map_elu, K2ONNX__LAST_AXIS, "ELU") \
    K2ONNX__ROW_NOT_RECURRENT(X, k2onnx__map_thresholded_relu, K2ONNX__LAST_AXIS, "ThresholdedReLU") \
    K2ONNX__ROW_NOT_RECURRENT(X, k2onnx__map_prelu, 0, "PReLU") \
    K2ONNX__ROW_NOT_RECURRENT(X, k2onnx__map_softmax, 0, "Softmax") \
    /* wrappers and nested models */ \
    K2ONNX__ROW_NOT_RECURRENT(X, k2onnx__map_time_distributed, K2ONNX__UNWRAPPABLE, "TimeDistributed") \
    X(k2onnx__map_nested_model, K2ONNX__UNWRAPPABLE, "Sequential\0Functional\0Model") \
    /* attention */ \
    K2ONNX__ROW_ATTENTION(X, k2onnx__map_attention, K2ONNX__KEYWORD_TENSORS, "Attention\0AdditiveAttention") \
    K2ONNX__ROW_ATTENTION(X, k2onnx__map_multi_head_attention, K2ONNX__KEYWORD_TENSORS, "MultiHeadAttention") \
    /* raw TensorFlow ops */ \
    K2ONNX__ROW_NOT_RECURRENT(X, k2onnx__map_tf_op, 0, "TensorFlowOpLayer") \
    K2ONNX__ROW_NOT_RECURRENT(X, k2onnx__map_tf_op_lambda, K2ONNX__KEYWORD_TENSORS | K2ONNX__UNWRAPPABLE, "TFOpLambda") \
    K2ONNX__ROW_NOT_RECURRENT(X, k2onnx__map_slicing_op_lambda, K2ONNX__UNWRAPPABLE, "SlicingOpLambda") \
    K2ONNX__FOLD_STEPS_ROW(X)

#define K2ONNX__LAYER_NAMES(fn, flags, names) names "\0\0"
#define K2ONNX__LAYER_FN(fn, flags, names) fn,
#define K2ONNX__LAYER_FLAGS(fn, flags, names) (flags),
static const char k2onnx__layer_names[] = K2ONNX__LAYERS(K2ONNX__LAYER_NAMES);
static const k2onnx__layer_fn k2onnx__layer_fns[] = {K2ONNX__LAYERS(K2ONNX__LAYER_FN)};
static const unsigned char k2onnx__layer_flags[] = {K2ONNX__LAYERS(K2ONNX__LAYER_FLAGS)};

typedef struct k2onnx__layer_entry {
    k2onnx__layer_fn fn;
    unsigned flags; /* K2ONNX__LAST_AXIS, ... */
} k2onnx__layer_entry;

/* The row of a class name; 0 when no row has it. */
static int k2onnx__layer_lookup(const char *cls, k2onnx__layer_entry *e)
{
    const char *name = k2onnx__layer_names;
    size_t row;
    for (row = 0; row < sizeof k2onnx__layer_fns / sizeof k2onnx__layer_fns[0]; row++, name++) {
        for (; *name; name += strlen(name) + 1) {
            if (strcmp(cls, name) != 0) continue;
            e->fn = k2onnx__layer_fns[row];
            e->flags = k2onnx__layer_flags[row];
            return 1;
        }
    }
    return 0;
}

#ifndef K2ONNX_ONLY_RECURRENT
/* [batch * steps, o...] back to [batch, steps, o...]: with a known step count a plain Reshape,
   otherwise the batch and step sizes are read off the wrapper's input at run time. */
static const char *k2onnx__unfold_steps(k2onnx__converter *cv, const k2onnx__kvalue *x, const k2onnx__kvalue *y)
{
    int64_t shape[K2ONNX__MAX_RANK];
    unsigned i;
    const char *sh, *lead, *rest;
    k2onnx__node *n;
    for (i = 1; i < y->rank; i++)
        if (y->dims[i] < 0) {
            k2onnx__lfail(cv, k2onnx_result_unsupported_model, "the wrapped layer's output needs known sizes after the batch axis");
            return NULL;
        }
    if (x->dims[1] >= 0) {
        shape[0] = -1;
        shape[1] = x->dims[1];
        for (i = 1; i < y->rank; i++) shape[i + 1] = y->dims[i];
        sh = k2onnx__init_i64(cv, "unfolded_shape", shape, y->rank + 1);
        return sh ? k2onnx__op2(cv, "Reshape", y->name, sh, "unfolded") : NULL;
    }
    for (i = 1; i < y->rank; i++) shape[i - 1] = y->dims[i];
    sh = k2onnx__op1(cv, "Shape", x->name, "input_shape", NULL);
    lead = sh ? k2onnx__slice(cv, sh, 0, 0, 2, "batch_and_steps") : NULL;
    rest = k2onnx__init_i64(cv, "inner_shape", shape, y->rank - 1);
    if (!lead || !rest || !(n = k2onnx__add_node(cv, "Concat", 2, 1))) return NULL;
    n->inputs[0] = lead;
    n->inputs[1] = rest;
    n->outputs[0] = n->name = k2onnx__vname(cv, "unfolded_shape");
    k2onnx__attr_int(cv, n, "axis", 0);
    return k2onnx__op2(cv, "Reshape", y->name, n->outputs[0], "unfolded");
}

/* [batch, steps, ...] as [batch * steps, ...]. */
static int k2onnx__fold_steps(k2onnx__converter *cv, const k2onnx__kvalue *x, const char *cls, k2onnx__kvalue *folded)
{
    int64_t shape[K2ONNX__MAX_RANK];
    unsigned i;
    const char *sh;
    (void)cls; /* only in messages, which K2ONNX_NO_ERROR_STRINGS leaves out */
    if (x->rank < 3) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "input must be [batch, steps, ...]");
    for (i = 2; i < x->rank; i++) {
        if (x->dims[i] < 0) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "TimeDistributed(%s) needs known sizes after the time axis", cls);
        shape[i - 1] = x->dims[i];
    }
    shape[0] = -1;
    *folded = *x;
    folded->rank = x->rank - 1;
    folded->mask = NULL;
    folded->dims[0] = x->dims[0] >= 0 && x->dims[1] >= 0 ? x->dims[0] * x->dims[1] : -1;
    folded->params[0] = folded->dims[0] < 0 ? k2onnx__vname(cv, "batch_x_steps") : NULL;
    for (i = 1; i < folded->rank; i++) {
        folded->dims[i] = x->dims[i + 1];
        folded->params[i] = NULL;
    }
    sh = k2onnx__init_i64(cv, "folded_shape", shape, folded->rank);
    folded->name = sh ? k2onnx__op2(cv, "Reshape", x->name, sh, "folded") : NULL;
    return folded->name != NULL;
}

/* The fold before a model that TimeDistributed wraps (k2onnx__nest_time_distributed). */
static int k2onnx__map_fold_steps(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    if (!k2onnx__expect_inputs(cv, nin, 1, 1) || !k2onnx__outputs(cv, out, nout, 1)) return 0;
    return k2onnx__fold_steps(cv, &in[0], "a model", &(*out)[0]);
}

/* A TimeDistributed output from the inner output y [batch * steps, ...]. */
static int k2onnx__unfold_output(k2onnx__converter *cv, const k2onnx__kvalue *x, const k2onnx__kvalue *y, k2onnx__kvalue **out, size_t *nout)
{
    const char *u;
    unsigned i;
    if (y->rank + 1 > K2ONNX__MAX_RANK) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "output of rank %d", (int)y->rank + 1);
    if (!(u = k2onnx__unfold_steps(cv, x, y)) || !k2onnx__outputs(cv, out, nout, 1)) return 0;
    (*out)[0] = *x;
    (*out)[0].name = u;
    (*out)[0].elem = y->elem;
    (*out)[0].rank = y->rank + 1;
    for (i = 1; i < y->rank; i++) {
        (*out)[0].dims[i + 1] = y->dims[i];
        (*out)[0].params[i + 1] = NULL;
    }
    return 1;
}

/* TimeDistributed(layer). Layers that act on the last axis alone (Dense, activations, dropout-type
   no-ops, BatchNormalization on the last axis, LeakyReLU) run on the whole sequence; any other
   layer runs on [batch * steps, ...], folded and unfolded with Reshape. The wrapper holds the
   inner layer's weights. */
static int k2onnx__map_time_distributed(k2onnx__converter *cv, const k2onnx__kvalue *in, size_t nin, k2onnx__kvalue **out, size_t *nout)
{
    const k2onnx__json *inner = k2onnx__jget(cv->layer->config, "layer"), *icfg = k2onnx__jget(inner, "config");
    const char *cls = k2onnx__jstr(k2onnx__jget(inner, "class_name")), *saved_cls = cv->layer->cls;
    const k2onnx__json *saved_cfg = cv->layer->config;
    const k2onnx__kvalue *x = &in[0];
    k2onnx__layer_entry e;
    k2onnx__layer_fn fn;
    k2onnx__kvalue folded, *iout = NULL;
    size_t niout = 0;
    int64_t ax = -1;
    int ok, state_io;
    if (!cls) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "TimeDistributed without a serialized inner layer");
    /* a wrapped model ran already, on the fold of the steps: its output comes second */
    if (k2onnx__is_model_class(cls) && nin == 2) return k2onnx__unfold_output(cv, &in[0], &in[1], out, nout);
    if (!k2onnx__expect_inputs(cv, nin, 1, 1)) return 0;
    if (!k2onnx__layer_lookup(cls, &e) || (e.flags & K2ONNX__UNWRAPPABLE))
        return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "TimeDistributed(%s) is not supported", cls);
    fn = e.fn;
    if (x->rank < 3) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "input must be [batch, steps, ...]");
    if (e.flags & K2ONNX__CONFIG_AXIS) {
        cv->layer->config = icfg;
        ok = k2onnx__cfg_axis(k2onnx__cfg_of(cv, icfg), "axis", -1, -1, x->rank - 1, &ax);
        cv->layer->config = saved_cfg;
        if (!ok) return 0;
    }
    cv->layer->cls = cls;
    cv->layer->config = icfg;
    if ((e.flags & K2ONNX__LAST_AXIS) || ((e.flags & K2ONNX__CONFIG_AXIS) && ax == (int64_t)x->rank - 2)) {
        ok = fn(cv, in, nin, out, nout);
        cv->layer->cls = saved_cls;
        cv->layer->config = saved_cfg;
        return ok;
    }
    if (!k2onnx__fold_steps(cv, x, cls, &folded)) {
        cv->layer->cls = saved_cls;
        cv->layer->config = saved_cfg;
        return 0;
    }
    /* Each step's inner sequence starts afresh, so a wrapped recurrent layer has no states to
       stream (--state-io leaves it alone). */
    state_io = cv->ctx->opt.state_io;
    cv->ctx->opt.state_io = 0;
    ok = fn(cv, &folded, 1, &iout, &niout);
    cv->ctx->opt.state_io = state_io;
    cv->layer->cls = saved_cls;
    cv->layer->config = saved_cfg;
    if (!ok) return 0;
    if (niout != 1) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "TimeDistributed(%s) with %d outputs", cls, (int)niout);
    return k2onnx__unfold_output(cv, x, &iout[0], out, nout);
}

#endif

/* --- the walk over the layer graph ------------------------------------------------------------ */

/* Checks a call when the walk first reaches it and marks it as being converted; sets *done when
   it was converted already. */
static int k2onnx__enter_call(k2onnx__converter *cv, k2onnx__walk *w, size_t depth, int *done)
{
    k2onnx__klayer *L = &cv->m->layers[w->layer];
    k2onnx__kcall *call;
    *done = 0;
    if (w->node >= L->ncalls)
        return k2onnx__fail(cv->ctx, k2onnx_result_invalid_model, "model_config: layer '%s' has no inbound node %d", L->name, (int)w->node);
    call = &L->calls[w->node];
    if (call->state == K2ONNX__CALL_DONE) {
        *done = 1;
        return 1;
    }
    if (call->state == K2ONNX__CALL_CONVERTING) return k2onnx__fail(cv->ctx, k2onnx_result_invalid_model, "model_config: layer '%s' depends on itself", L->name);
    if (depth > cv->ctx->opt.max_graph_depth)
        return k2onnx__fail(cv->ctx, k2onnx_result_limit_exceeded, "the layer graph is deeper than max_graph_depth (%u) at layer '%s'",
                            (unsigned long long)cv->ctx->opt.max_graph_depth, L->name);
    call->state = K2ONNX__CALL_CONVERTING;
    w->next = 0;
    w->pushed = 0;
    w->in = NULL;
    if (call->ninputs) {
        w->in = (k2onnx__kvalue *)k2onnx__alloc_array(cv->ctx, call->ninputs, sizeof *w->in);
        if (!w->in) return 0;
    }
    return 1;
}

/* Takes input w->next of a call from the call that produced it (converted by now). */
static int k2onnx__take_input(k2onnx__converter *cv, k2onnx__walk *w)
{
    k2onnx__kmodel *m = cv->m;
    k2onnx__klayer *L = &m->layers[w->layer];
    const k2onnx__kref *r = &L->calls[w->node].inputs[w->next];
    k2onnx__kcall *src = &m->layers[r->layer].calls[r->node];
    if (r->tensor >= src->noutputs)
        return k2onnx__fail(cv->ctx, k2onnx_result_invalid_model, "model_config: layer '%s' reads output %d of '%s', which has %d",
                            L->name, (int)r->tensor, m->layers[r->layer].name, (int)src->noutputs);
    w->in[w->next++] = src->outputs[r->tensor];
    w->pushed = 0;
    return 1;
}

#ifndef K2ONNX_NO_DESCRIBE
/* options.describe: the nodes a call made since `first`, with the layer's weight count. */
static int k2onnx__add_span(k2onnx__converter *cv, const k2onnx__klayer *L, size_t node, size_t first)
{
    k2onnx__graph *g = cv->g;
    k2onnx__span *sp;
    size_t i;
    if (!k2onnx__reserve(cv->ctx, (void **)&g->spans, &g->spans_cap, g->nspans + 1, sizeof *g->spans)) return 0;
    sp = &g->spans[g->nspans++];
    memset(sp, 0, sizeof *sp);
    sp->info.name = L->name;
    sp->info.cls = L->file_cls ? L->file_cls : L->cls;
    sp->info.call = node;
    sp->info.ncalls = L->ncalls;
    for (i = 0; node == 0 && L->weights_loaded && i < L->nweights; i++) sp->info.params += L->weights[i].count;
    sp->first = first;
    sp->end = g->nnodes;
    sp->outputs = L->calls[node].outputs;
    sp->info.noutputs = L->calls[node].noutputs;
    return 1;
}
#endif

/* Converts one call whose inputs are all converted: finds its mapping and runs it. */
static int k2onnx__map_call(k2onnx__converter *cv, const k2onnx__walk *w)
{
    k2onnx__klayer *L = &cv->m->layers[w->layer];
    k2onnx__kcall *call = &L->calls[w->node];
    k2onnx__kvalue *in = w->in;
    k2onnx__layer_entry e;
    size_t i, first;
    cv->layer = L;
    cv->node = w->node;
    if (!k2onnx__layer_lookup(L->cls, &e)) return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "layer class '%s' is not supported yet", L->cls);
    if (!call->ninputs && !(e.flags & K2ONNX__NO_INPUTS)) return k2onnx__lfail(cv, k2onnx_result_invalid_model, "the call has no input tensors");
    for (i = 0; i < call->ninputs; i++) {
        const char *kw = call->inputs[i].kwarg;
        if (kw && !(e.flags & K2ONNX__KEYWORD_TENSORS))
            return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "the call argument '%s' is not supported", kw);
        if (in[i].elem != K2ONNX__FLOAT && !(e.flags & K2ONNX__INTEGER_INPUTS) && !(kw && strcmp(kw, "attention_mask") == 0))
            return k2onnx__lfail(cv, k2onnx_result_unsupported_model, "integer inputs are supported by Embedding only");
    }
    first = cv->g->nnodes;
    if (!e.fn(cv, in, call->ninputs, &call->outputs, &call->noutputs)) return 0;
    call->state = K2ONNX__CALL_DONE;
#ifndef K2ONNX_NO_DESCRIBE
    if (cv->ctx->describe) return k2onnx__add_span(cv, L, w->node, first);
#else
    (void)first;
#endif
    return 1;
}

/* Converts the call (layer, node) after converting everything it depends on, depth first and in
   input order, with the walk's levels in the arena instead of on the C stack. */
static int k2onnx__convert_call(k2onnx__converter *cv, size_t layer, size_t node)
{
    size_t depth = 1;
    int done;
    if (!cv->walk) {
        size_t i, calls = 1;
        for (i = 0; i < cv->m->nlayers; i++) calls += cv->m->layers[i].ncalls;
        cv->walk = (k2onnx__walk *)k2onnx__alloc_array(cv->ctx, calls, sizeof *cv->walk);
        if (!cv->walk) return 0;
        cv->walk_cap = calls;
    }
    cv->walk[0].layer = layer;
    cv->walk[0].node = node;
    if (!k2onnx__enter_call(cv, &cv->walk[0], 0, &done)) return 0;
    if (done) return 1;
    while (depth > 0) {
        k2onnx__walk *w = &cv->walk[depth - 1];
        const k2onnx__kcall *call = &cv->m->layers[w->layer].calls[w->node];
        if (w->pushed) {
            if (!k2onnx__take_input(cv, w)) return 0;
        } else if (w->next < call->ninputs) {
            const k2onnx__kref *r = &call->inputs[w->next];
            k2onnx__walk *child = &cv->walk[depth];
            /* Every level holds a call being converted, and no call is on the walk twice. */
            if (depth >= cv->walk_cap) return k2onnx__fail(cv->ctx, k2onnx_result_invalid_model, "model_config: the layer graph has a cycle");
            child->layer = r->layer;
            child->node = r->node;
            w->pushed = 1;
            if (!k2onnx__enter_call(cv, child, depth, &done)) return 0;
            if (!done) depth++;
        } else {
            if (!k2onnx__map_call(cv, w)) return 0;
            depth--;
        }
    }
    return 1;
}

static int64_t k2onnx__ir_version(int opset)
{
    if (opset <= 8) return 3;
    if (opset == 9) return 4;
    if (opset == 10) return 5;
    if (opset == 11) return 6;
    if (opset <= 14) return 7;
    if (opset <= 18) return 8;
    if (opset <= 20) return 9;
    if (opset <= 22) return 10;
    return 11;
}

/* True when `name` is a graph input or output of g. */
static int k2onnx__is_endpoint(const k2onnx__graph *g, const char *name)
{
    size_t j;
    for (j = 0; j < g->ninputs + g->noutputs; j++)
        if (strcmp(j < g->ninputs ? g->inputs[j].name : g->outputs[j - g->ninputs].name, name) == 0) return 1;
    return 0;
}

/* A copy of a caller's string that is valid UTF-8 (as ONNX strings must be) on one line: a byte
   that does not belong to a well-formed sequence, or a control character, becomes '?'. */
static char *k2onnx__utf8_copy(k2onnx__ctx *ctx, const char *s)
{
    char *d = k2onnx__strndup(ctx, s, strlen(s));
    unsigned char *p = (unsigned char *)d;
    size_t i, k, n;
    if (!d) return NULL;
    for (i = 0; p[i]; i += n) {
        unsigned c = p[i];
        n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 && c >= 0xc2 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 && c <= 0xf4 ? 4 : 0;
        for (k = 1; k < n; k++)
            if ((p[i + k] & 0xc0) != 0x80) n = 0;
        /* overlong three-byte forms, surrogates and code points past U+10FFFF */
        if ((n == 3 && ((c == 0xe0 && p[i + 1] < 0xa0) || (c == 0xed && p[i + 1] >= 0xa0))) ||
            (n == 4 && ((c == 0xf0 && p[i + 1] < 0x90) || (c == 0xf4 && p[i + 1] >= 0x90))))
            n = 0;
        if (n == 0) {
            p[i] = '?';
            n = 1;
        }
    }
    k2onnx__one_line(d);
    return d;
}

#ifndef K2ONNX_NO_RENAME
/* The new name of `name` under options.renames, or `name` itself. */
static const char *k2onnx__renamed(const k2onnx__ctx *ctx, const char *name)
{
    size_t i;
    for (i = 0; name && i < ctx->opt.renames_count; i++)
        if (strcmp(ctx->opt.renames[i].from, name) == 0) return ctx->opt.renames[i].to;
    return name;
}

/* One name of a graph: renamed (find NULL), or compared with find. */
static int k2onnx__name_visit(const k2onnx__ctx *ctx, const char **name, const char *find)
{
    if (find) return *name && strcmp(*name, find) == 0;
    *name = k2onnx__renamed(ctx, *name);
    return 0;
}

/* Every value name of g and of the graphs inside its nodes (Scan bodies): with find NULL, applies
   all renames at once; else tells whether find is one of them. */
static int k2onnx__graph_names(const k2onnx__ctx *ctx, k2onnx__graph *g, const char *find)
{
    size_t i, k;
    for (i = 0; i < g->ninputs + g->noutputs; i++)
        if (k2onnx__name_visit(ctx, i < g->ninputs ? &g->inputs[i].name : &g->outputs[i - g->ninputs].name, find)) return 1;
    for (i = 0; i < g->ninits; i++)
        if (k2onnx__name_visit(ctx, &g->inits[i]->name, find)) return 1;
    for (i = 0; i < g->nnodes; i++) {
        k2onnx__node *n = g->nodes[i];
        for (k = 0; k < n->ninputs + n->noutputs; k++)
            if (k2onnx__name_visit(ctx, k < n->ninputs ? &n->inputs[k] : &n->outputs[k - n->ninputs], find)) return 1;
        for (k = 0; k < n->nattrs; k++)
            if (n->attrs[k].type == K2ONNX__AGRAPH && k2onnx__graph_names(ctx, (k2onnx__graph *)(size_t)n->attrs[k].v.graph, find)) return 1;
    }
    return 0;
}

/* options.renames: each names a graph input or output and gives it a name that is free in the
   graph; a name is renamed once, and no two get the same new name. */
static int k2onnx__rename_endpoints(k2onnx__ctx *ctx, k2onnx__graph *g)
{
    size_t i, j;
    for (i = 0; i < ctx->opt.renames_count; i++) {
        const k2onnx_rename *r = &ctx->opt.renames[i];
        if (!k2onnx__is_endpoint(g, r->from)) return k2onnx__fail(ctx, k2onnx_result_invalid_argument, "rename: the graph has no input or output named '%s'", r->from);
        /* a name that is renamed away is free again: renames apply at once, so two can swap */
        if (k2onnx__renamed(ctx, r->to) == r->to && k2onnx__graph_names(ctx, g, r->to))
            return k2onnx__fail(ctx, k2onnx_result_invalid_argument, "rename: '%s' is already a name in the graph", r->to);
        for (j = 0; j < i; j++) {
            if (strcmp(ctx->opt.renames[j].from, r->from) == 0)
                return k2onnx__fail(ctx, k2onnx_result_invalid_argument, "rename: '%s' is renamed twice", r->from);
            if (strcmp(ctx->opt.renames[j].to, r->to) == 0)
                return k2onnx__fail(ctx, k2onnx_result_invalid_argument, "rename: two names become '%s'", r->to);
        }
    }
    if (ctx->opt.renames_count) k2onnx__graph_names(ctx, g, NULL);
    return 1;
}
#endif

/* The model's doc_string and metadata_props: where it came from and how it was converted. */
static int k2onnx__model_metadata(k2onnx__ctx *ctx, const k2onnx__kmodel *m, k2onnx__graph *g)
{
    char opts[512];
    const char *source = ctx->opt.source_name ? k2onnx__utf8_copy(ctx, ctx->opt.source_name) : NULL;
    size_t i, n = 0;
    g->meta = (const char **)k2onnx__alloc_array(ctx, 10, sizeof *g->meta);
    if (!g->meta || (ctx->opt.source_name && !source)) return 0;
    opts[0] = '\0';
    k2onnx__format_append(opts, sizeof opts, "opset=%d", ctx->opt.opset);
    if (ctx->opt.state_io) k2onnx__format_append(opts, sizeof opts, " state_io");
    if (ctx->opt.scan_rnn) k2onnx__format_append(opts, sizeof opts, " scan_rnn");
    if (ctx->opt.unroll) k2onnx__format_append(opts, sizeof opts, " unroll");
    if (ctx->opt.batch) k2onnx__format_append(opts, sizeof opts, " batch=%u", (unsigned long long)ctx->opt.batch);
    if (ctx->opt.steps) k2onnx__format_append(opts, sizeof opts, " steps=%u", (unsigned long long)ctx->opt.steps);
    for (i = 0; i < ctx->opt.input_shapes_count; i++) {
        size_t d;
        k2onnx__format_append(opts, sizeof opts, " input_shape=%s=", ctx->opt.input_shapes[i].name);
        for (d = 0; d < ctx->opt.input_shapes[i].rank; d++)
            k2onnx__format_append(opts, sizeof opts, d ? "x%u" : "%u", (unsigned long long)ctx->opt.input_shapes[i].dims[d]);
    }
    g->meta[n++] = "converter";
    g->meta[n++] = "k2onnx " K2ONNX_VERSION_STRING;
    g->meta[n++] = "converter_options";
    g->meta[n++] = k2onnx__utf8_copy(ctx, opts);
    if (m->keras_backend && m->keras_backend[0]) {
        g->meta[n++] = "keras_backend";
        g->meta[n++] = k2onnx__utf8_copy(ctx, m->keras_backend);
    }
    if (m->keras_version[0]) {
        g->meta[n++] = "keras_version";
        g->meta[n++] = k2onnx__utf8_copy(ctx, m->keras_version);
    }
    if (source) {
        g->meta[n++] = "source_file";
        g->meta[n++] = source;
    }
    g->nmeta = n / 2;
    for (i = 0; i < n; i++)
        if (!g->meta[i]) return 0;
    opts[0] = '\0';
    k2onnx__format_append(opts, sizeof opts, "Keras model '%s'%s%s, converted by k2onnx " K2ONNX_VERSION_STRING, m->name,
                          source ? " from " : "", source ? source : "");
    g->doc = k2onnx__utf8_copy(ctx, opts);
    return g->doc != NULL;
}

/* Builds the whole graph: graph outputs are Identity nodes named after the Keras output layers. */
static int k2onnx__build_graph(k2onnx__ctx *ctx, k2onnx__kmodel *m, k2onnx__graph *g)
{
    k2onnx__converter cv;
    size_t i, j, k;
    memset(g, 0, sizeof *g);
    memset(&cv, 0, sizeof cv);
    cv.ctx = ctx;
    cv.m = m;
    cv.g = g;
    cv.opset = ctx->opt.opset;
    g->name = m->name;
    g->opset = ctx->opt.opset;
    g->ir_version = k2onnx__ir_version(ctx->opt.opset);
    /* Graph inputs in the order Keras lists them. */
    for (i = 0; i < m->ninputs; i++)
        if (!k2onnx__convert_call(&cv, m->inputs[i].layer, m->inputs[i].node)) return 0;
    for (i = 0; i < ctx->opt.input_shapes_count; i++) {
        for (j = 0; j < g->ninputs && strcmp(g->inputs[j].name, ctx->opt.input_shapes[i].name) != 0; j++) {}
        if (j == g->ninputs) return k2onnx__fail(ctx, k2onnx_result_invalid_argument, "a shape is given for '%s', which is not an input of the model", ctx->opt.input_shapes[i].name);
    }
    for (i = 0; i < m->noutputs; i++) {
        const k2onnx__kref *r = &m->outputs[i];
        k2onnx__kcall *call;
        k2onnx__kvalue v;
        k2onnx__node *n;
        const char *name = m->layers[r->layer].name;
        if (!k2onnx__convert_call(&cv, r->layer, r->node)) return 0;
        call = &m->layers[r->layer].calls[r->node];
        if (r->tensor >= call->noutputs)
            return k2onnx__fail(ctx, k2onnx_result_invalid_model, "model_config: output_layers reads output %d of '%s', which has %d",
                                (int)r->tensor, name, (int)call->noutputs);
        v = call->outputs[r->tensor];
        /* Output names follow Keras: the layer name, made unique with a suffix when repeated. */
        for (k = m->layers[r->layer].output_suffix;; k++) {
            if (k) name = k2onnx__sprintf(ctx, "%s_%u", m->layers[r->layer].name, (unsigned long long)k);
            if (!name) return 0;
            if (!k2onnx__is_endpoint(g, name)) break;
        }
        m->layers[r->layer].output_suffix = k + 1;
        cv.layer = &m->layers[r->layer];
        cv.node = r->node;
        n = k2onnx__add_node(&cv, cv.io_elem && v.elem == K2ONNX__FLOAT ? "Cast" : "Identity", 1, 1);
        if (!n) return 0;
        if (cv.io_elem && v.elem == K2ONNX__FLOAT) {
            k2onnx__attr_int(&cv, n, "to", cv.io_elem);
            v.elem = cv.io_elem;
        }
        n->inputs[0] = v.name;
        n->outputs[0] = name;
        n->name = k2onnx__sprintf(ctx, "%s/output", name);
        v.name = name;
        if (!k2onnx__add_graph_value(&cv, &g->outputs, &g->noutputs, &g->outputs_cap, &v)) return 0;
    }
    for (i = 0; i < g->nstate_outputs; i++) {
        k2onnx__value_info *v = k2onnx__new_value_info(ctx, &g->outputs, &g->noutputs, &g->outputs_cap);
        if (!v) return 0;
        *v = g->state_outputs[i];
    }
#ifndef K2ONNX_NO_RENAME
    if (!ctx->failed && !k2onnx__rename_endpoints(ctx, g)) return 0;
#endif
    return !ctx->failed && k2onnx__model_metadata(ctx, m, g);
}

/* ============================================================================================
   8. Protobuf encoder
   Writes ModelProto in canonical form (fields ascending, minimal varints, repeated scalars
   unpacked). Nested lengths come from a measuring pass over the same encoder functions; tensor
   payloads are counted, not generated, while measuring.
   ============================================================================================ */

#define K2ONNX__PB_BUF 4096u

typedef struct k2onnx__pb {
    k2onnx_write_fn write;
    void *user;
    int measuring;
    int failed;
    uint64_t n;
    unsigned char *buf;       /* K2ONNX__PB_BUF bytes gathering small writes; NULL while measuring */
    size_t used;
    k2onnx__payload_fn payload; /* the graph's writer of initializer bytes */
    void *payload_user;
} k2onnx__pb;

static void k2onnx__pb_flush(k2onnx__pb *pb)
{
    if (pb->used && !pb->failed && pb->write && pb->write(pb->user, pb->buf, pb->used) != 0) pb->failed = 1;
    pb->used = 0;
}

static void k2onnx__pb_bytes(k2onnx__pb *pb, const void *data, size_t size)
{
    const unsigned char *p = (const unsigned char *)data;
    pb->n += size;
    if (pb->measuring || !pb->write) return;
    if (size >= K2ONNX__PB_BUF) {
        /* Large blocks (weights) go to the writer as they are, without a copy. */
        k2onnx__pb_flush(pb);
        if (!pb->failed && pb->write(pb->user, p, size) != 0) pb->failed = 1;
        return;
    }
    while (size > 0) {
        size_t room = K2ONNX__PB_BUF - pb->used, take = size < room ? size : room;
        memcpy(pb->buf + pb->used, p, take);
        pb->used += take;
        p += take;
        size -= take;
        if (pb->used == K2ONNX__PB_BUF) k2onnx__pb_flush(pb);
    }
}

static size_t k2onnx__varint_encode(unsigned char *out, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (unsigned char)v;
    return n;
}

static void k2onnx__pb_varint(k2onnx__pb *pb, uint64_t v)
{
    unsigned char tmp[10];
    k2onnx__pb_bytes(pb, tmp, k2onnx__varint_encode(tmp, v));
}

static void k2onnx__pb_tag(k2onnx__pb *pb, unsigned field, unsigned wire)
{
    k2onnx__pb_varint(pb, ((uint64_t)field << 3) | wire);
}

static void k2onnx__pb_int(k2onnx__pb *pb, unsigned field, int64_t v)
{
    k2onnx__pb_tag(pb, field, 0);
    k2onnx__pb_varint(pb, (uint64_t)v); /* negative int64 takes ten bytes, as protobuf requires */
}

static void k2onnx__pb_float(k2onnx__pb *pb, unsigned field, float f)
{
    unsigned char b[4];
    k2onnx__store_le32(b, k2onnx__f32_bits(f));
    k2onnx__pb_tag(pb, field, 5);
    k2onnx__pb_bytes(pb, b, 4);
}

static void k2onnx__pb_string(k2onnx__pb *pb, unsigned field, const char *s)
{
    size_t len = strlen(s);
    k2onnx__pb_tag(pb, field, 2);
    k2onnx__pb_varint(pb, len);
    k2onnx__pb_bytes(pb, s, len);
}

typedef void (*k2onnx__pb_fn)(k2onnx__pb *pb, const void *obj);

static void k2onnx__pb_emit(void *sink, const void *data, size_t size)
{
    k2onnx__pb_bytes((k2onnx__pb *)sink, data, size);
}

static void k2onnx__pb_message(k2onnx__pb *pb, unsigned field, k2onnx__pb_fn fn, const void *obj)
{
    k2onnx__pb m;
    memset(&m, 0, sizeof m);
    m.measuring = 1;
    fn(&m, obj);
    k2onnx__pb_tag(pb, field, 2);
    k2onnx__pb_varint(pb, m.n);
    if (pb->measuring) pb->n += m.n;
    else fn(pb, obj);
}

static void k2onnx__pb_opset(k2onnx__pb *pb, const void *obj)
{
    const k2onnx__graph *g = (const k2onnx__graph *)obj;
    k2onnx__pb_string(pb, 1, "");
    k2onnx__pb_int(pb, 2, g->opset);
}

static void k2onnx__pb_graph(k2onnx__pb *pb, const void *obj);

static void k2onnx__pb_attr(k2onnx__pb *pb, const void *obj)
{
    const k2onnx__attr *a = (const k2onnx__attr *)obj;
    size_t i;
    k2onnx__pb_string(pb, 1, a->name);
    switch (a->type) {
    case K2ONNX__AFLOAT: k2onnx__pb_float(pb, 2, a->v.f); break;
    case K2ONNX__AINT: k2onnx__pb_int(pb, 3, a->v.i); break;
    case K2ONNX__ASTRING: k2onnx__pb_string(pb, 4, a->v.s); break;
    case K2ONNX__AGRAPH: k2onnx__pb_message(pb, 6, k2onnx__pb_graph, a->v.graph); break;
    case K2ONNX__AFLOATS: for (i = 0; i < a->n; i++) k2onnx__pb_float(pb, 7, a->v.floats[i]); break;
    case K2ONNX__AINTS: for (i = 0; i < a->n; i++) k2onnx__pb_int(pb, 8, a->v.ints[i]); break;
    case K2ONNX__ASTRINGS: for (i = 0; i < a->n; i++) k2onnx__pb_string(pb, 9, a->v.strings[i]); break;
    default: break;
    }
    k2onnx__pb_int(pb, 20, a->type);
}

static void k2onnx__pb_node(k2onnx__pb *pb, const void *obj)
{
    const k2onnx__node *n = (const k2onnx__node *)obj;
    size_t i;
    for (i = 0; i < n->ninputs; i++) k2onnx__pb_string(pb, 1, n->inputs[i]);
    for (i = 0; i < n->noutputs; i++) k2onnx__pb_string(pb, 2, n->outputs[i]);
    if (n->name) k2onnx__pb_string(pb, 3, n->name);
    k2onnx__pb_string(pb, 4, n->op);
    for (i = 0; i < n->nattrs; i++) k2onnx__pb_message(pb, 5, k2onnx__pb_attr, &n->attrs[i]);
}

static void k2onnx__pb_tensor(k2onnx__pb *pb, const void *obj)
{
    const k2onnx__initializer *t = (const k2onnx__initializer *)obj;
    uint64_t bytes = t->count * (t->dtype == K2ONNX__INT64 ? 8u : 4u);
    unsigned d;
    for (d = 0; d < t->rank; d++) k2onnx__pb_int(pb, 1, t->dims[d]);
    k2onnx__pb_int(pb, 2, t->dtype);
    k2onnx__pb_string(pb, 8, t->name);
    k2onnx__pb_tag(pb, 9, 2);
    k2onnx__pb_varint(pb, bytes);
    if (pb->measuring || !pb->write) pb->n += bytes;
    else pb->payload(pb->payload_user, t, k2onnx__pb_emit, pb);
}

typedef struct k2onnx__pb_dimref {
    const k2onnx__value_info *v;
    unsigned d;
} k2onnx__pb_dimref;

static void k2onnx__pb_dim2(k2onnx__pb *pb, const void *obj)
{
    const k2onnx__pb_dimref *r = (const k2onnx__pb_dimref *)obj;
    if (r->v->dims[r->d] >= 0) k2onnx__pb_int(pb, 1, r->v->dims[r->d]);
    else k2onnx__pb_string(pb, 2, r->v->params[r->d] ? r->v->params[r->d] : "?");
}

static void k2onnx__pb_shape(k2onnx__pb *pb, const void *obj)
{
    const k2onnx__value_info *v = (const k2onnx__value_info *)obj;
    unsigned d;
    for (d = 0; d < v->rank; d++) {
        k2onnx__pb_dimref r;
        r.v = v;
        r.d = d;
        k2onnx__pb_message(pb, 1, k2onnx__pb_dim2, &r);
    }
}

static void k2onnx__pb_tensor_type(k2onnx__pb *pb, const void *obj)
{
    const k2onnx__value_info *v = (const k2onnx__value_info *)obj;
    k2onnx__pb_int(pb, 1, v->elem);
    k2onnx__pb_message(pb, 2, k2onnx__pb_shape, v);
}

static void k2onnx__pb_type(k2onnx__pb *pb, const void *obj)
{
    k2onnx__pb_message(pb, 1, k2onnx__pb_tensor_type, obj);
}

static void k2onnx__pb_value_info(k2onnx__pb *pb, const void *obj)
{
    const k2onnx__value_info *v = (const k2onnx__value_info *)obj;
    k2onnx__pb_string(pb, 1, v->name);
    k2onnx__pb_message(pb, 2, k2onnx__pb_type, v);
}

static void k2onnx__pb_graph(k2onnx__pb *pb, const void *obj)
{
    const k2onnx__graph *g = (const k2onnx__graph *)obj;
    size_t i;
    for (i = 0; i < g->nnodes; i++) k2onnx__pb_message(pb, 1, k2onnx__pb_node, g->nodes[i]);
    k2onnx__pb_string(pb, 2, g->name);
    for (i = 0; i < g->ninits; i++) k2onnx__pb_message(pb, 5, k2onnx__pb_tensor, g->inits[i]);
    for (i = 0; i < g->ninputs; i++) k2onnx__pb_message(pb, 11, k2onnx__pb_value_info, &g->inputs[i]);
    /* IR 3 requires every initializer to be declared as a graph input as well. */
    if (g->ir_version < 4) {
        for (i = 0; i < g->ninits; i++) {
            k2onnx__value_info v;
            k2onnx__init_value(g->inits[i], &v);
            k2onnx__pb_message(pb, 11, k2onnx__pb_value_info, &v);
        }
    }
    for (i = 0; i < g->noutputs; i++) k2onnx__pb_message(pb, 12, k2onnx__pb_value_info, &g->outputs[i]);
}

/* StringStringEntryProto: key, value. */
static void k2onnx__pb_string_pair(k2onnx__pb *pb, const void *obj)
{
    const char *const *kv = (const char *const *)obj;
    k2onnx__pb_string(pb, 1, kv[0]);
    k2onnx__pb_string(pb, 2, kv[1]);
}

static void k2onnx__pb_model(k2onnx__pb *pb, const void *obj)
{
    const k2onnx__graph *g = (const k2onnx__graph *)obj;
    size_t i;
    k2onnx__pb_int(pb, 1, g->ir_version);
    k2onnx__pb_string(pb, 2, "k2onnx");
    k2onnx__pb_string(pb, 3, K2ONNX_VERSION_STRING);
    if (g->doc) k2onnx__pb_string(pb, 6, g->doc);
    k2onnx__pb_message(pb, 7, k2onnx__pb_graph, g);
    k2onnx__pb_message(pb, 8, k2onnx__pb_opset, g);
    for (i = 0; i < g->nmeta; i++) k2onnx__pb_message(pb, 14, k2onnx__pb_string_pair, &g->meta[2 * i]);
}

/* ============================================================================================
   9. Public entry points
   ============================================================================================ */

K2ONNX_DEF const char *k2onnx_result_string(k2onnx_result result)
{
    return k2onnx__result_text(result);
}

static int k2onnx__detect_format(k2onnx__ctx *ctx, const unsigned char *p, size_t size)
{
    if (ctx->opt.model_config) return 1;
    {
        size_t i = 0;
        while (i < size && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' || p[i] == '\t')) i++;
        if (i < size && p[i] == '{')
            return k2onnx__fail(ctx, k2onnx_result_invalid_model, "input is a JSON architecture without weights; give it with options.model_config next to the weights .h5");
    }
    return 1;
}

/* Sizes given in the options must be usable as ONNX dimensions. */
static int k2onnx__check_shape_options(k2onnx__ctx *ctx)
{
    const size_t limit = (size_t)1 << 30;
    size_t i, k;
    if (ctx->opt.batch > limit || ctx->opt.steps > limit) return k2onnx__fail(ctx, k2onnx_result_invalid_argument, "batch or steps is too large");
    if (ctx->opt.input_shapes_count && !ctx->opt.input_shapes) return k2onnx__fail(ctx, k2onnx_result_invalid_argument, "input_shapes is NULL");
#ifdef K2ONNX_NO_DESCRIBE
    if (ctx->describe) return k2onnx__fail(ctx, k2onnx_result_invalid_argument, "options.describe is left out of this build (K2ONNX_NO_DESCRIBE)");
#endif
#ifdef K2ONNX_NO_RENAME
    if (ctx->opt.renames_count) return k2onnx__fail(ctx, k2onnx_result_invalid_argument, "options.renames is left out of this build (K2ONNX_NO_RENAME)");
#else
    if (ctx->opt.renames_count && !ctx->opt.renames) return k2onnx__fail(ctx, k2onnx_result_invalid_argument, "renames is NULL");
    for (i = 0; i < ctx->opt.renames_count; i++)
        if (!ctx->opt.renames[i].from || !ctx->opt.renames[i].to || !ctx->opt.renames[i].to[0])
            return k2onnx__fail(ctx, k2onnx_result_invalid_argument, "rename %u needs a name and a non-empty new name", (unsigned long long)i);
#endif
    for (i = 0; i < ctx->opt.input_shapes_count; i++) {
        const k2onnx_input_shape *is = &ctx->opt.input_shapes[i];
        if (!is->name || !is->dims || is->rank < 1 || is->rank > K2ONNX__MAX_RANK)
            return k2onnx__fail(ctx, k2onnx_result_invalid_argument, "input shape %u needs a name and 1 to %u dimensions",
                                (unsigned long long)i, (unsigned long long)K2ONNX__MAX_RANK);
        for (k = 0; k < is->rank; k++)
            if (is->dims[k] < 1 || is->dims[k] > limit)
                return k2onnx__fail(ctx, k2onnx_result_invalid_argument, "input shape of '%s': dimension %u must be 1 to 2^30",
                                    is->name, (unsigned long long)k);
    }
    return 1;
}

/* A zero in the options stands for the default. */
static void k2onnx__default_options(k2onnx_options *o)
{
    if (!o->max_memory) o->max_memory = K2ONNX__DEFAULT_MAX_MEMORY;
    if (!o->max_json_depth) o->max_json_depth = K2ONNX__DEFAULT_JSON_DEPTH;
    if (!o->max_objects) o->max_objects = K2ONNX__DEFAULT_MAX_OBJECTS;
    if (!o->max_dataset_ratio) o->max_dataset_ratio = K2ONNX__DEFAULT_DATASET_RATIO;
    if (!o->max_graph_depth) o->max_graph_depth = K2ONNX__DEFAULT_GRAPH_DEPTH;
    if (!o->opset) o->opset = K2ONNX_DEFAULT_OPSET;
    if (o->model_config && !o->model_config_size) o->model_config_size = strlen(o->model_config);
}

/* Sets up a call's arena and error reporting; returns 0 (with the error set) for bad arguments. */
static int k2onnx__ctx_init(k2onnx__ctx *ctx, const void *data, size_t size, const k2onnx_options *options, k2onnx_error *error)
{
    k2onnx_options defaults;
    memset(ctx, 0, sizeof *ctx);
    memset(&defaults, 0, sizeof defaults);
    if (!options) options = &defaults;
    ctx->error = error ? error : &ctx->local_error;
    ctx->error->result = k2onnx_result_success;
    ctx->error->message[0] = '\0';
    ctx->opt = *options;
    ctx->next_block = K2ONNX__ARENA_BLOCK < 4096u ? K2ONNX__ARENA_BLOCK : 4096u;
    ctx->memory = (unsigned char *)options->memory;
    ctx->memory_size = options->memory ? options->memory_size : 0;
    ctx->describe = options->describe != NULL;
    k2onnx__default_options(&ctx->opt);
    if ((!data && size) || (options->allocator.alloc == NULL) != (options->allocator.free == NULL))
        return k2onnx__fail(ctx, k2onnx_result_invalid_argument, "invalid arguments (NULL data or half-set allocator)");
    if (ctx->opt.opset < K2ONNX_MIN_OPSET || ctx->opt.opset > K2ONNX_MAX_OPSET)
        return k2onnx__fail(ctx, k2onnx_result_invalid_argument, "opset %d is outside the supported range %d..%d", ctx->opt.opset,
                            K2ONNX_MIN_OPSET, K2ONNX_MAX_OPSET);
    if (ctx->opt.unroll && ctx->opt.scan_rnn) return k2onnx__fail(ctx, k2onnx_result_invalid_argument, "unroll and scan_rnn exclude each other");
#ifdef K2ONNX_NO_SCAN_UNROLL
    if (ctx->opt.unroll || ctx->opt.scan_rnn)
        return k2onnx__fail(ctx, k2onnx_result_invalid_argument, "options.unroll and options.scan_rnn are left out of this build (K2ONNX_NO_SCAN_UNROLL)");
#endif
    if (options->memory && options->memory_size < 256) return k2onnx__fail(ctx, k2onnx_result_invalid_argument, "memory_size is too small for a buffer");
    return k2onnx__check_shape_options(ctx);
}

static int k2onnx__is_zip(const unsigned char *p, size_t size)
{
    return size >= 4 && p[0] == 'P' && p[1] == 'K' && p[2] == 3 && p[3] == 4;
}

/* config.json and metadata.json of a .keras archive become the model config and its version. */
static int k2onnx__keras_zip_config(k2onnx__ctx *ctx, const unsigned char *zip, size_t size)
{
    const unsigned char *cfg, *meta;
    size_t cl, ml;
    k2onnx__json j;
    if (!k2onnx__zip_member(ctx, zip, size, "config.json", &cfg, &cl) || !k2onnx__zip_member(ctx, zip, size, "metadata.json", &meta, &ml) ||
        !k2onnx__json_parse(ctx, "metadata.json", (const char *)meta, ml, &j))
        return 0;
    ctx->opt.model_config = (const char *)cfg;
    ctx->opt.model_config_size = cl;
    ctx->keras_version = k2onnx__jstr(k2onnx__jget(&j, "keras_version"));
    return 1;
}

/* Opens the HDF5 holding the weights: the input itself, or model.weights.h5 of a .keras file. */
static int k2onnx__open_weights(k2onnx__ctx *ctx, const unsigned char *data, size_t size, k2onnx__h5 *f)
{
    if (ctx->opt.model_config && k2onnx__is_zip((const unsigned char *)ctx->opt.model_config, ctx->opt.model_config_size) &&
        !k2onnx__keras_zip_config(ctx, (const unsigned char *)ctx->opt.model_config, ctx->opt.model_config_size))
        return 0;
    if (k2onnx__is_zip(data, size)) {
        const unsigned char *w;
        size_t wl;
        if (!k2onnx__keras_zip_config(ctx, data, size) || !k2onnx__zip_member(ctx, data, size, "model.weights.h5", &w, &wl)) return 0;
        return k2onnx__h5_open(f, ctx, w, wl);
    }
    return k2onnx__detect_format(ctx, data, size) && k2onnx__h5_open(f, ctx, data, size);
}

#ifndef K2ONNX_NO_DESCRIBE
static const char *k2onnx__dtype_name(int elem)
{
    switch (elem) {
    case K2ONNX__FLOAT: return "float32";
    case K2ONNX__DOUBLE: return "float64";
    case K2ONNX__FLOAT16: return "float16";
    case K2ONNX__INT32: return "int32";
    case K2ONNX__INT64: return "int64";
    case 2: return "uint8";
    case 3: return "int8";
    case 4: return "uint16";
    case 5: return "int16";
    default: return "bool";
    }
}

/* A graph value as the public tensor record; names go through options.renames as the graph's did. */
static int k2onnx__tensor_info(k2onnx__ctx *ctx, const k2onnx__value_info *v, k2onnx_tensor_info *t)
{
    long long *dims = (long long *)k2onnx__alloc_array(ctx, v->rank + 1, sizeof *dims);
    const char **params = (const char **)k2onnx__alloc_array(ctx, v->rank + 1, sizeof *params);
    unsigned d;
    if (!dims || !params) return 0;
    for (d = 0; d < v->rank; d++) {
        dims[d] = (long long)v->dims[d];
        params[d] = v->params[d];
    }
#ifdef K2ONNX_NO_RENAME
    t->name = v->name;
#else
    t->name = k2onnx__renamed(ctx, v->name);
#endif
    t->dtype = k2onnx__dtype_name(v->elem);
    t->rank = v->rank;
    t->dims = dims;
    t->dim_params = params;
    return 1;
}

static k2onnx_tensor_info *k2onnx__tensor_infos(k2onnx__ctx *ctx, const k2onnx__value_info *v, size_t n)
{
    k2onnx_tensor_info *t = (k2onnx_tensor_info *)k2onnx__alloc_array(ctx, n + 1, sizeof *t);
    size_t i;
    for (i = 0; t && i < n; i++)
        if (!k2onnx__tensor_info(ctx, &v[i], &t[i])) return NULL;
    return t;
}

/* The outputs of a layer call, which are Keras values. */
static k2onnx_tensor_info *k2onnx__call_output_infos(k2onnx__ctx *ctx, const k2onnx__kvalue *v, size_t n)
{
    k2onnx__value_info *vi = (k2onnx__value_info *)k2onnx__alloc_array(ctx, n + 1, sizeof *vi);
    size_t i;
    if (!vi) return NULL;
    for (i = 0; i < n; i++) k2onnx__value_info_of(&v[i], &vi[i]);
    return k2onnx__tensor_infos(ctx, vi, n);
}

static void k2onnx__node_info(const k2onnx__node *n, k2onnx_node_info *out)
{
    size_t k;
    out->op = n->op;
    out->name = n->name;
    out->inputs = n->inputs;
    out->ninputs = n->ninputs;
    out->outputs = n->outputs;
    out->noutputs = n->noutputs;
    out->body_nodes = 0;
    for (k = 0; k < n->nattrs; k++)
        if (n->attrs[k].type == K2ONNX__AGRAPH) out->body_nodes += n->attrs[k].v.graph->nnodes;
}

/* One layer record per span, and one for the nodes no span holds: the graph outputs', which
   stand between spans when an output is converted before the layers of a later one. */
static int k2onnx__layer_infos(k2onnx__ctx *ctx, const k2onnx__graph *g, k2onnx_model_info *info)
{
    k2onnx_layer_info *layers = (k2onnx_layer_info *)k2onnx__alloc_array(ctx, g->nspans + 1, sizeof *layers);
    k2onnx_node_info *nodes = (k2onnx_node_info *)k2onnx__alloc_array(ctx, g->nnodes + 1, sizeof *nodes);
    unsigned char *held = (unsigned char *)k2onnx__alloc_array(ctx, g->nnodes + 1, 1);
    size_t i, k, used = 0;
    if (!layers || !nodes || !held) return 0;
    memset(held, 0, g->nnodes);
    info->layers = layers;
    for (i = 0; i < g->nspans; i++) {
        const k2onnx__span *sp = &g->spans[i];
        k2onnx_layer_info *L = &layers[info->nlayers++];
        *L = sp->info;
        L->nodes = nodes + used;
        for (k = sp->first; k < sp->end; k++)
            if (!held[k]) {
                k2onnx__node_info(g->nodes[k], &nodes[used++]);
                held[k] = 1;
            }
        L->nnodes = (size_t)(nodes + used - L->nodes);
        if (!(L->outputs = k2onnx__call_output_infos(ctx, sp->outputs, L->noutputs))) return 0;
    }
    if (used < g->nnodes) {
        k2onnx_layer_info *L = &layers[info->nlayers++];
        memset(L, 0, sizeof *L);
        L->nodes = nodes + used;
        L->nnodes = g->nnodes - used;
        for (k = 0; k < g->nnodes; k++)
            if (!held[k]) k2onnx__node_info(g->nodes[k], &nodes[used++]);
    }
    return 1;
}

static k2onnx_tensor_info *k2onnx__init_infos(k2onnx__ctx *ctx, const k2onnx__graph *g, unsigned long long *bytes)
{
    k2onnx_tensor_info *t = (k2onnx_tensor_info *)k2onnx__alloc_array(ctx, g->ninits + 1, sizeof *t);
    size_t i;
    for (i = 0; t && i < g->ninits; i++) {
        const k2onnx__initializer *in = g->inits[i];
        k2onnx__value_info v;
        k2onnx__init_value(in, &v);
        if (!k2onnx__tensor_info(ctx, &v, &t[i])) return NULL;
        *bytes += (unsigned long long)in->count * (in->dtype == K2ONNX__INT64 || in->dtype == K2ONNX__DOUBLE ? 8u : 4u);
    }
    return t;
}

/* options.describe: the built graph as the public records, handed over before the encoding. */
static int k2onnx__describe(k2onnx__ctx *ctx, const k2onnx__graph *g, k2onnx_describe_fn fn, void *user)
{
    k2onnx_model_info info;
    memset(&info, 0, sizeof info);
    info.name = g->name;
    info.opset = g->opset;
    info.ir_version = (long long)g->ir_version;
    info.ninputs = g->ninputs;
    info.noutputs = g->noutputs;
    info.ninitializers = g->ninits;
    info.nnodes = g->nnodes;
    if (!k2onnx__layer_infos(ctx, g, &info) || !(info.inputs = k2onnx__tensor_infos(ctx, g->inputs, g->ninputs)) ||
        !(info.outputs = k2onnx__tensor_infos(ctx, g->outputs, g->noutputs)) ||
        !(info.initializers = k2onnx__init_infos(ctx, g, &info.initializer_bytes)))
        return 0;
    if (fn(user, &info) != 0) return k2onnx__fail(ctx, k2onnx_result_write_failed, "the describe callback stopped the conversion");
    return 1;
}
#endif

K2ONNX_DEF k2onnx_result k2onnx_convert(const void *data, size_t size, const k2onnx_options *options,
                                        k2onnx_write_fn write, void *write_user, size_t *out_size,
                                        k2onnx_error *error)
{
    k2onnx__ctx ctx;
    k2onnx__h5 f;
    k2onnx__kmodel m;
    k2onnx__graph g;
    k2onnx_result result;
    if (out_size) *out_size = 0;
    if (!k2onnx__ctx_init(&ctx, data, size, options, error)) return ctx.error->result;
    if (k2onnx__open_weights(&ctx, (const unsigned char *)data, size, &f) && k2onnx__kload(&m, &ctx, &f) &&
        k2onnx__build_graph(&ctx, &m, &g)
#ifndef K2ONNX_NO_DESCRIBE
        && (!ctx.describe || k2onnx__describe(&ctx, &g, options->describe, options->describe_user))
#endif
    ) {
        k2onnx__pb pb;
        memset(&pb, 0, sizeof pb);
        k2onnx__scratch scratch;
        pb.write = write;
        pb.user = write_user;
        pb.payload = k2onnx__init_bytes;
        pb.payload_user = &scratch;
        /* A caller's buffer gets a small reordering buffer: speed matters less than fitting. */
        scratch.size = k2onnx__scratch_size(&g);
        if (ctx.memory && scratch.size > 4096) scratch.size = 4096;
        scratch.data = NULL;
        if (write) {
            scratch.data = (unsigned char *)k2onnx__alloc_unzeroed(&ctx, scratch.size);
            pb.buf = (unsigned char *)k2onnx__alloc(&ctx, K2ONNX__PB_BUF);
        }
        if (!write || (scratch.data && pb.buf)) {
            /* With options.output_size, a measuring pass first. */
            pb.measuring = write && ctx.opt.output_size;
            for (;;) {
                k2onnx__pb_model(&pb, &g);
                if (!pb.measuring) break;
                ctx.opt.output_size(ctx.opt.output_size_user, (unsigned long long)pb.n);
                pb.measuring = 0;
                pb.n = 0;
            }
        }
        k2onnx__pb_flush(&pb);
        if (pb.failed) k2onnx__fail(&ctx, k2onnx_result_write_failed, "the write callback reported an error");
        else if (out_size) *out_size = (size_t)pb.n;
    }
    result = ctx.failed ? ctx.error->result : k2onnx_result_success;
    if (options && options->memory_used) *options->memory_used = k2onnx__memory_used(&ctx);
    k2onnx__free_all(&ctx);
    return result;
}

#ifndef K2ONNX_NO_H5_INSPECT
/* An HDF5 file, or the model.weights.h5 inside a .keras archive. */
static int k2onnx__h5_open_any(k2onnx__ctx *ctx, const unsigned char *data, size_t size, k2onnx__h5 *f)
{
    if (k2onnx__is_zip(data, size)) {
        const unsigned char *w;
        size_t wl;
        return k2onnx__zip_member(ctx, data, size, "model.weights.h5", &w, &wl) && k2onnx__h5_open(f, ctx, w, wl);
    }
    return k2onnx__h5_open(f, ctx, data, size);
}

K2ONNX_DEF k2onnx_result k2onnx_h5_list(const void *data, size_t size, const k2onnx_options *options,
                                        k2onnx_h5_entry_fn fn, void *user, k2onnx_error *error)
{
    static const char *const kind_names[K2ONNX__KIND_COUNT] = {"group", "dataset", "datatype", "attribute", "softlink", "extlink", "udlink"};
    static const k2onnx_h5_kind kinds[K2ONNX__KIND_COUNT] = {k2onnx_h5_group, k2onnx_h5_dataset, k2onnx_h5_datatype, k2onnx_h5_attribute,
                                                             k2onnx_h5_soft_link, k2onnx_h5_external_link, k2onnx_h5_user_link};
    k2onnx__ctx ctx;
    k2onnx__h5 f;
    k2onnx__h5list L;
    k2onnx_result result;
    if (!k2onnx__ctx_init(&ctx, data, size, options, error)) return ctx.error->result;
    if (!fn) k2onnx__fail(&ctx, k2onnx_result_invalid_argument, "no callback given");
    else if (k2onnx__h5_open_any(&ctx, (const unsigned char *)data, size, &f) && k2onnx__h5_list(&f, &L)) {
        size_t i;
        for (i = 0; i < L.n; i++) {
            k2onnx_h5_entry e;
            e.path = L.items[i].path;
            e.kind = kinds[L.items[i].kind];
            e.kind_name = kind_names[L.items[i].kind];
            e.dtype = L.items[i].dtype;
            e.shape = L.items[i].shape;
            if (fn(user, &e) != 0) {
                k2onnx__fail(&ctx, k2onnx_result_write_failed, "the callback stopped the listing");
                break;
            }
        }
    }
    result = ctx.failed ? ctx.error->result : k2onnx_result_success;
    k2onnx__free_all(&ctx);
    return result;
}

typedef struct k2onnx__read_user {
    k2onnx__ctx *ctx;
    k2onnx_h5_value_fn fn;
    void *user;
} k2onnx__read_user;

static int k2onnx__read_cb(void *user, const k2onnx__h5value *v)
{
    k2onnx__read_user *r = (k2onnx__read_user *)user;
    k2onnx_h5_value out;
    static const k2onnx_value_kind kinds[4] = {k2onnx_value_int, k2onnx_value_uint, k2onnx_value_float, k2onnx_value_string};
    out.kind = kinds[v->kind];
    out.bits = v->bits;
    out.i = (long long)v->i;
    out.u = (unsigned long long)v->u;
    out.f = v->d;
    out.s = v->s;
    out.len = v->len;
    if (r->fn(r->user, &out) != 0) return k2onnx__fail(r->ctx, k2onnx_result_write_failed, "the callback stopped reading");
    return 1;
}

K2ONNX_DEF k2onnx_result k2onnx_h5_read(const void *data, size_t size, const char *path, const k2onnx_options *options,
                                        k2onnx_h5_value_fn fn, void *user, k2onnx_error *error)
{
    k2onnx__ctx ctx;
    k2onnx__h5 f;
    k2onnx_result result;
    if (!k2onnx__ctx_init(&ctx, data, size, options, error)) return ctx.error->result;
    if (!fn || !path) {
        k2onnx__fail(&ctx, k2onnx_result_invalid_argument, "no path or callback given");
    } else if (k2onnx__h5_open_any(&ctx, (const unsigned char *)data, size, &f)) {
        k2onnx__read_user r;
        r.ctx = &ctx;
        r.fn = fn;
        r.user = user;
        k2onnx__h5_values(&f, path, k2onnx__read_cb, &r);
    }
    result = ctx.failed ? ctx.error->result : k2onnx_result_success;
    k2onnx__free_all(&ctx);
    return result;
}

#endif

/* ============================================================================================
   10. stdio helpers
   ============================================================================================ */
#ifndef K2ONNX_NO_STDIO
#include <stdio.h>

static void k2onnx__set_error(k2onnx_error *e, k2onnx_result r, const char *what, const char *path)
{
    size_t len = 0;
    e->result = r;
    e->message[0] = '\0';
    k2onnx__append(e->message, sizeof e->message, &len, what, strlen(what));
    k2onnx__append(e->message, sizeof e->message, &len, path, strlen(path));
}

K2ONNX_DEF void k2onnx_free(void *ptr)
{
    K2ONNX_FREE(ptr);
}

K2ONNX_DEF k2onnx_result k2onnx_read_file(const char *path, void **data, size_t *size, k2onnx_error *error)
{
    k2onnx_error local;
    FILE *fp;
    unsigned char *in = NULL;
    size_t in_size = 0, in_cap = 0;
    if (!error) error = &local;
    *data = NULL;
    *size = 0;
    fp = fopen(path, "rb");
    if (!fp) {
        k2onnx__set_error(error, k2onnx_result_io_error, "cannot open ", path);
        return error->result;
    }
    /* Read in growing steps: no reliance on ftell for non-seekable inputs. */
    for (;;) {
        size_t got;
        if (in_size == in_cap) {
            size_t ncap = in_cap ? in_cap * 2 : 1 << 16;
            unsigned char *bigger = (unsigned char *)K2ONNX_MALLOC(ncap);
            if (!bigger || ncap < in_cap) {
                K2ONNX_FREE(bigger);
                K2ONNX_FREE(in);
                fclose(fp);
                k2onnx__set_error(error, k2onnx_result_out_of_memory, "out of memory reading ", path);
                return error->result;
            }
            if (in_size) memcpy(bigger, in, in_size);
            K2ONNX_FREE(in);
            in = bigger;
            in_cap = ncap;
        }
        got = fread(in + in_size, 1, in_cap - in_size, fp);
        in_size += got;
        if (got == 0) break;
    }
    if (ferror(fp)) {
        fclose(fp);
        K2ONNX_FREE(in);
        k2onnx__set_error(error, k2onnx_result_io_error, "read error on ", path);
        return error->result;
    }
    fclose(fp);
    *data = in;
    *size = in_size;
    error->result = k2onnx_result_success;
    error->message[0] = '\0';
    return k2onnx_result_success;
}

static int k2onnx__file_write(void *user, const void *data, size_t size)
{
    return fwrite(data, 1, size, (FILE *)user) != size;
}

/* One pass: the ONNX bytes go to `<output>.k2onnx-tmp` as they are made, and that file is renamed
   over the output only when all of it was written; on any failure it is removed and an existing
   output stays as it was. */
K2ONNX_DEF k2onnx_result k2onnx_convert_file(const char *input_path, const char *output_path,
                                             const k2onnx_options *options, k2onnx_error *error)
{
    k2onnx_error local;
    FILE *fp;
    void *in;
    char *temp;
    size_t in_size = 0, n;
    k2onnx_result r;
    if (!error) error = &local;
    if (!input_path || !output_path) {
        k2onnx__set_error(error, k2onnx_result_invalid_argument, "no input or output path", "");
        return error->result;
    }
    if (strcmp(input_path, output_path) == 0) {
        k2onnx__set_error(error, k2onnx_result_invalid_argument, "the output is the input file: ", output_path);
        return error->result;
    }
    n = strlen(output_path);
    temp = (char *)K2ONNX_MALLOC(n + 12);
    if (!temp) {
        k2onnx__set_error(error, k2onnx_result_out_of_memory, "out of memory for ", output_path);
        return error->result;
    }
    memcpy(temp, output_path, n);
    memcpy(temp + n, ".k2onnx-tmp", 12);
    if (k2onnx_read_file(input_path, &in, &in_size, error) != k2onnx_result_success) {
        K2ONNX_FREE(temp);
        return error->result;
    }
    fp = fopen(temp, "wb");
    if (!fp) {
        k2onnx__set_error(error, k2onnx_result_io_error, "cannot create ", temp);
        r = error->result;
    } else {
        r = k2onnx_convert(in, in_size, options, k2onnx__file_write, fp, NULL, error);
        if (fclose(fp) != 0 && r == k2onnx_result_success) r = k2onnx_result_write_failed;
        if (r == k2onnx_result_write_failed) k2onnx__set_error(error, k2onnx_result_io_error, "write error on ", output_path);
        if (error->result == k2onnx_result_io_error) r = k2onnx_result_io_error;
        /* rename does not replace an existing file on every platform */
        if (r == k2onnx_result_success && rename(temp, output_path) != 0 && (remove(output_path) != 0 || rename(temp, output_path) != 0)) {
            k2onnx__set_error(error, k2onnx_result_io_error, "cannot write ", output_path);
            r = error->result;
        }
        if (r != k2onnx_result_success) remove(temp);
    }
    K2ONNX_FREE(in);
    K2ONNX_FREE(temp);
    return r;
}
#endif /* K2ONNX_NO_STDIO */

#endif /* K2ONNX_IMPLEMENTATION_DONE */
#endif /* K2ONNX_IMPLEMENTATION */

/*
   LICENSE (MIT)
   Copyright (c) 2026 the k2onnx authors

   Permission is hereby granted, free of charge, to any person obtaining a copy of this software
   and associated documentation files (the "Software"), to deal in the Software without
   restriction, including without limitation the rights to use, copy, modify, merge, publish,
   distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the
   Software is furnished to do so, subject to the following conditions:

   The above copyright notice and this permission notice shall be included in all copies or
   substantial portions of the Software.

   THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING
   BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
   NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
   DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
   OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
*/
