#!/usr/bin/python3
"""Write the small HDF5 files that tests/run_h5_compare.py checks `k2onnx --ls/--dump` on.

    /usr/bin/python3 tests/gen_h5_fixtures.py [--outdir tests/fixtures/h5]

Needs h5py and numpy (Debian's /usr/bin/python3). Each file exercises a part of the HDF5 format
that the public corpus (../shared/corpus) covers thinly or not at all; tests/fixtures/h5/README.md
says which. The output is byte-for-byte reproducible: fixed seeds, and no object timestamps
(track_times off for files, groups and datasets), so regenerating does not churn the repository.
Prints a size summary; fails if a file exceeds its size budget.
"""
import argparse
import os
import sys
import zlib

import h5py
import numpy as np
from h5py import h5a, h5d, h5f, h5g, h5p, h5s, h5t

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_FILE = 300 * 1024
MAX_TOTAL = 2 * 1024 * 1024
CRT_ORDER = h5p.CRT_ORDER_TRACKED | h5p.CRT_ORDER_INDEXED


# --- helpers: h5py's high-level API stamps groups with times; these do not ---------------

def new_file(path, latest=False, userblock=0, track_order=False):
    fcpl = h5p.create(h5p.FILE_CREATE)
    fcpl.set_obj_track_times(False)
    if userblock:
        fcpl.set_userblock(userblock)
    if track_order:
        fcpl.set_link_creation_order(CRT_ORDER)
        fcpl.set_attr_creation_order(CRT_ORDER)
    fapl = h5p.create(h5p.FILE_ACCESS)
    if latest:
        fapl.set_libver_bounds(h5f.LIBVER_LATEST, h5f.LIBVER_LATEST)
    return h5py.File(h5f.create(path.encode(), h5f.ACC_TRUNC, fcpl=fcpl, fapl=fapl))


def new_group(parent, name, track_order=False):
    gcpl = h5p.create(h5p.GROUP_CREATE)
    gcpl.set_obj_track_times(False)
    if track_order:
        gcpl.set_link_creation_order(CRT_ORDER)
        gcpl.set_attr_creation_order(CRT_ORDER)
    return h5py.Group(h5g.create(parent.id, name.encode(), gcpl=gcpl))


def dataset(parent, name, data=None, **kw):
    kw.setdefault("track_times", False)
    return parent.create_dataset(name, data=data, **kw)


def lowlevel_dataset(parent, name, tid, shape, dcpl=None, maxshape=None):
    """A dataset made with h5d.create, for what create_dataset cannot express."""
    if dcpl is None:
        dcpl = h5p.create(h5p.DATASET_CREATE)
    dcpl.set_obj_track_times(False)
    space = h5s.create_simple(shape, maxshape) if shape != () else h5s.create(h5s.SCALAR)
    return h5d.create(parent.id, name.encode(), tid, space, dcpl=dcpl)


def fixed_str_type(size, pad, utf8=False):
    t = h5t.C_S1.copy()
    t.set_size(size)
    t.set_strpad(pad)
    if utf8:
        t.set_cset(h5t.CSET_UTF8)
    return t


def raw_attr(obj, name, tid, values, shape=None):
    """Attribute written byte-for-byte (values: bytes already padded to the type's size)."""
    arr = np.array(values, dtype="S%d" % tid.get_size())
    space = h5s.create_simple(shape or arr.shape) if arr.ndim else h5s.create(h5s.SCALAR)
    a = h5a.create(obj.id, name.encode(), tid, space)
    a.write(arr, mtype=tid)


def rng(seed):
    return np.random.default_rng(seed)


# --- the fixtures -------------------------------------------------------------------------

def latest_big_attr(path):
    """Dense attribute storage (fractal heap + v2 B-tree name index), an attribute too big for
    any object header (> 64 KiB, so it lives in the fractal heap as a huge object), and
    creation-order indexed attributes, all with libver latest."""
    with new_file(path, latest=True) as f:
        big = rng(1).standard_normal(20000).astype(np.float32)
        f.attrs["big_f32"] = big                       # 80000 bytes
        f.attrs["note"] = "root has one huge attribute"
        g = new_group(f, "many_attrs")
        for i in range(20):                            # > 8 attributes: dense storage
            kind = i % 4
            if kind == 0:
                g.attrs["attr_%02d_i32" % i] = np.arange(i, i + 3, dtype=np.int32)
            elif kind == 1:
                g.attrs["attr_%02d_f64" % i] = np.float64(i) / 7
            elif kind == 2:
                g.attrs["attr_%02d_str" % i] = "value %d" % i
            else:
                g.attrs["attr_%02d_u8" % i] = np.array([[i, 255], [0, 1]], dtype=np.uint8)
        # enough attributes that their fractal heap needs a root indirect block
        h = new_group(f, "hundred_attrs")
        for i in range(120):
            h.attrs["name_%03d" % i] = "text value number %d" % i
        d = dataset(f, "data_with_attrs", np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4))
        for i in range(12):
            d.attrs["a%d" % (11 - i)] = np.int16(-i)
        # attributes with a creation-order index, compact (few) and dense (many), added in an
        # order that differs from name order
        o = new_group(f, "ordered_compact", track_order=True)
        for name in ("zulu", "alpha", "mike", "bravo"):
            o.attrs[name] = np.float32(len(name))
        o = new_group(f, "ordered_dense", track_order=True)
        for i in range(25):
            o.attrs["k%02d" % ((i * 7) % 25)] = np.int64(i * 1000003)
        o.attrs["mid_size"] = np.arange(3000, dtype=np.float64)  # 24000 bytes, in the heap


def group_1000(path, latest):
    """1000 links in one group: a multi-level v1 B-tree of symbol-table nodes (earliest) or
    dense links in a fractal heap with indirect blocks plus a v2 B-tree name index (latest).

    To stay small, about half the links are extra hard links to the member before them (and
    some are soft links): what is tested is the group's link storage, not 1000 headers."""
    with new_file(path, latest=latest) as f:
        g = new_group(f, "big")
        last = None
        for i in range(1000):
            # names that sort differently as bytes than as numbers
            name = "m%d" % i
            if i % 50 == 7:
                sub = new_group(g, name)
                sub.attrs["index"] = np.int32(i)
            elif i % 20 == 9:
                g[name] = h5py.SoftLink("/big/m%d" % (i - 1))
            elif i % 2 == 1 and last is not None:
                g[name] = last
            elif i % 3 == 0:
                last = dataset(g, name, np.int16(i - 500))
            elif i % 3 == 1:
                last = dataset(g, name, np.array([i, -i], dtype=np.int32))
            else:
                last = dataset(g, name, np.float32(i) / 8)
        g.attrs["count"] = np.int32(1000)
        if latest:
            o = new_group(f, "ordered", track_order=True)  # dense, with a creation-order index
            for i in range(40):
                dataset(o, "n%02d" % ((i * 13) % 40), np.uint8(i))


def deflate_block_types(ds):
    """BTYPE of the first deflate block of every chunk of a gzip-only dataset (0 stored,
    1 fixed Huffman, 2 dynamic Huffman): used to check that each kind occurs."""
    types = []
    chunks = ds.chunks
    grid = [range(0, n, c) for n, c in zip(ds.shape, chunks)]
    for offset in np.array(np.meshgrid(*grid, indexing="ij")).reshape(len(chunks), -1).T:
        _, raw = ds.id.read_direct_chunk(tuple(int(x) for x in offset))
        zlib.decompress(raw)  # a sanity check that the chunk is a plain zlib stream
        types.append((raw[2] >> 1) & 3)
    return types


def filters(path):
    """Chunked datasets through the filter pipeline: deflate (levels 0/1/9, stored, fixed and
    dynamic Huffman blocks), shuffle, fletcher32, all three together, partial edge chunks in
    1/2/3-D, several element types; plus LZF (filter 32000), which k2onnx refuses."""
    r = rng(2)
    with new_file(path) as f:
        dataset(f, "gzip_shuffle_fletcher_f32_2d",
                r.standard_normal((37, 23)).astype(np.float32), chunks=(8, 8),
                compression="gzip", compression_opts=4, shuffle=True, fletcher32=True)
        dataset(f, "gzip_shuffle_fletcher_i32_3d",
                r.integers(-100000, 100000, (6, 7, 9), dtype=np.int32), chunks=(4, 3, 4),
                compression="gzip", shuffle=True, fletcher32=True)
        noisy = r.integers(0, 40, 1000).astype(np.int32) * 1000 + r.integers(0, 3, 1000)
        dataset(f, "gzip0_i32_1d", noisy, chunks=(128,), compression="gzip",
                compression_opts=0)
        dataset(f, "gzip1_i32_1d_random", noisy, chunks=(128,), compression="gzip",
                compression_opts=1)
        dataset(f, "gzip9_i32_1d_repetitive", (np.arange(1000, dtype=np.int32) % 7) * 3,
                chunks=(128,), compression="gzip", compression_opts=9)
        dataset(f, "gzip1_u8_tiny_chunks", (np.arange(100) % 5).astype(np.uint8), chunks=(10,),
                compression="gzip", compression_opts=1)
        dataset(f, "gzip9_f64_3d", r.standard_normal((5, 6, 7)), chunks=(2, 4, 3),
                compression="gzip", compression_opts=9)
        dataset(f, "gzip6_i16_2d_edge",
                (np.arange(33 * 17, dtype=np.int16).reshape(33, 17) * 37) % 1000 - 500,
                chunks=(10, 5), compression="gzip", compression_opts=6)
        dataset(f, "shuffle_i16_3d", r.integers(-32768, 32767, (9, 10, 11), dtype=np.int16),
                chunks=(4, 4, 4), shuffle=True)
        dataset(f, "shuffle_gzip_f64_2d", np.cumsum(r.standard_normal((20, 30)), axis=1),
                chunks=(7, 11), shuffle=True, compression="gzip")
        # odd chunk byte size: fletcher32 over an odd number of bytes
        dataset(f, "fletcher32_u8_1d", r.integers(0, 256, 1000, dtype=np.uint8),
                chunks=(301,), fletcher32=True)
        dataset(f, "fletcher32_f64_2d", r.standard_normal((10, 10)), chunks=(3, 4),
                fletcher32=True)
        dataset(f, "lzf_f32", np.linspace(-1, 1, 100, dtype=np.float32), chunks=(30,),
                compression="lzf")
        seen = set()
        for name in ("gzip0_i32_1d", "gzip1_i32_1d_random", "gzip9_i32_1d_repetitive",
                     "gzip1_u8_tiny_chunks", "gzip9_f64_3d", "gzip6_i16_2d_edge"):
            seen.update(deflate_block_types(f[name]))
        if seen != {0, 1, 2}:
            raise SystemExit("filters.h5: deflate block types %s, want stored, fixed and "
                             "dynamic" % sorted(seen))


def chunk_indexes_latest(path):
    """One dataset per version-4 layout chunk index (libver latest), unfiltered and gzip:
    single chunk, implicit, fixed array, fixed array with paged data blocks, extensible array
    (one unlimited dimension, enough chunks for several super/data blocks), v2 B-tree (two
    unlimited dimensions); plus partially written ones with a fill value (missing chunks)."""
    r = rng(3)
    with new_file(path, latest=True) as f:
        a = r.standard_normal((50, 20)).astype(np.float32)
        for gz in (False, True):
            sfx = "_gzip" if gz else ""
            kw = dict(compression="gzip") if gz else {}
            dataset(f, "single_chunk" + sfx, a, chunks=(50, 20), maxshape=(50, 20), **kw)
            if not gz:
                dataset(f, "fixed_array_paged_2d",
                        (np.arange(40 * 120, dtype=np.int16) % 251).reshape(40, 120),
                        chunks=(1, 4), maxshape=(40, 120))
            dataset(f, "fixed_array" + sfx, np.arange(60 * 64, dtype=np.int32).reshape(60, 64),
                    chunks=(10, 8), maxshape=(60, 64), **kw)
            # more than 1024 chunks: the fixed array data block is split into pages
            dataset(f, "fixed_array_paged_1d" + sfx, np.arange(4400, dtype=np.uint16),
                    chunks=(4,), maxshape=(4400,), **kw)
            # one unlimited dimension; 2000 chunks (600 filtered, whose chunks gzip makes
            # bigger) need the index block, super blocks and many data blocks
            n = 1200 if gz else 4000
            dataset(f, "extensible_array" + sfx, np.arange(n, dtype=np.int16) - 2000,
                    chunks=(2,), maxshape=(None,), **kw)
            dataset(f, "extensible_array_2d" + sfx,
                    r.integers(0, 1000, (90, 10), dtype=np.int32), chunks=(3, 5),
                    maxshape=(None, 10), **kw)
            # 400 chunks: more records than one v2 B-tree leaf holds
            dataset(f, "btree_v2" + sfx, np.arange(40 * 100, dtype=np.int16).reshape(40, 100),
                    chunks=(2, 5), maxshape=(None, None), **kw)
            # partially written: the index has holes, the reader must fill them in
            for name, shape, chunks, maxshape in (
                    ("fixed_array_partial", (30, 30), (4, 4), (30, 30)),
                    ("extensible_array_partial", (200,), (8,), (None,)),
                    ("btree_v2_partial", (30, 30), (4, 4), (None, None))):
                d = dataset(f, name + sfx, shape=shape, dtype=np.int32, chunks=chunks,
                            maxshape=maxshape, fillvalue=-1, **kw)
                if len(shape) == 1:
                    d[10:50] = np.arange(40)
                    d[150:151] = 7
                else:
                    d[0:9, 5:7] = np.arange(18).reshape(9, 2)
                    d[29, 29] = 99
        # implicit index: no filter, fixed maximum shape, space allocated at creation
        dcpl = h5p.create(h5p.DATASET_CREATE)
        dcpl.set_chunk((8, 8))
        dcpl.set_alloc_time(h5d.ALLOC_TIME_EARLY)
        d = lowlevel_dataset(f, "implicit", h5t.NATIVE_INT32, (30, 40), dcpl, (30, 40))
        d.write(h5s.ALL, h5s.ALL, np.arange(1200, dtype=np.int32).reshape(30, 40) * 3)
        dcpl = h5p.create(h5p.DATASET_CREATE)
        dcpl.set_chunk((5,))
        dcpl.set_alloc_time(h5d.ALLOC_TIME_EARLY)
        dcpl.set_fill_value(np.array(-5, dtype=np.float64))
        d = lowlevel_dataset(f, "implicit_partial", h5t.NATIVE_DOUBLE, (23,), dcpl, (23,))
        d.write(h5s.create_simple((4,)), _hyperslab((23,), (3,), (4,)),
                np.array([1.5, 2.5, 3.5, 4.5]))


def _hyperslab(shape, start, count):
    space = h5s.create_simple(shape)
    space.select_hyperslab(start, count)
    return space


def chunk_btree_earliest(path):
    """Version-1 B-tree chunk index with several levels (more chunks than one node holds)."""
    with new_file(path) as f:
        dataset(f, "many_chunks_i16",
                ((np.arange(100 * 100, dtype=np.int32) * 7919) % 65536 - 32768)
                .astype(np.int16).reshape(100, 100), chunks=(2, 5))
        dataset(f, "many_chunks_gzip_f32",
                np.sin(np.arange(60 * 70, dtype=np.float32) / 10).reshape(60, 70),
                chunks=(3, 3), compression="gzip")


def fill_values(path):
    """Datasets never written (no storage), with a custom and with the default fill value, in
    contiguous, chunked and compact layouts; partially written chunked datasets."""
    with new_file(path) as f:
        dataset(f, "contig_unwritten_fill", shape=(5, 4), dtype=np.int32, fillvalue=-7)
        dataset(f, "contig_unwritten_default", shape=(3, 3), dtype=np.float64)
        dataset(f, "chunked_unwritten_fill", shape=(10, 10), dtype=np.float32, chunks=(4, 4),
                fillvalue=3.5)
        dataset(f, "chunked_unwritten_default", shape=(7,), dtype=np.int16, chunks=(3,))
        dataset(f, "chunked_unwritten_nan", shape=(2, 3), dtype=np.float64, chunks=(1, 3),
                fillvalue=np.nan)
        dataset(f, "chunked_unwritten_gzip_fill", shape=(9,), dtype=np.uint32, chunks=(4,),
                compression="gzip", fillvalue=4000000000)
        dataset(f, "str_unwritten_fill", shape=(3,), dtype="S4", fillvalue=b"xy")
        for sfx, kw in (("", {}), ("_gzip", dict(compression="gzip"))):
            d = dataset(f, "chunked_partial" + sfx, shape=(20, 20), dtype=np.int32,
                        chunks=(5, 5), fillvalue=9, **kw)
            d[0:5, 0:10] = np.arange(50).reshape(5, 10)
            d[12:20, 15:20] = -np.arange(40).reshape(8, 5)
        # compact layout is allocated (and filled) at creation
        dcpl = h5p.create(h5p.DATASET_CREATE)
        dcpl.set_layout(h5d.COMPACT)
        dcpl.set_fill_value(np.array(77, dtype=np.int16))
        lowlevel_dataset(f, "compact_unwritten_fill", h5t.NATIVE_INT16, (6,), dcpl)
        # contiguous allocated early: the fill value is written into the file
        dcpl = h5p.create(h5p.DATASET_CREATE)
        dcpl.set_alloc_time(h5d.ALLOC_TIME_EARLY)
        dcpl.set_fill_value(np.array(42, dtype=np.int64))
        lowlevel_dataset(f, "contig_early_fill", h5t.NATIVE_INT64, (4,), dcpl)


def _special_floats(dtype):
    """Ordinary values, then NaN (both signs), infinities, signed zeros, extremes and
    subnormals of `dtype`."""
    fi = np.finfo(dtype)
    tiny_sub = np.nextafter(dtype(0), dtype(1))                 # smallest subnormal
    big_sub = np.nextafter(fi.tiny.astype(dtype), dtype(0))      # largest subnormal
    vals = np.array([1.0, -2.5, 0.1, 1 / 3.0, 65504.0 if dtype == np.float16 else 123456.789],
                    dtype=dtype)
    neg_nan = np.array([np.nan], dtype=dtype)
    neg_nan = np.negative(neg_nan)  # sign bit set: must still print as "nan"
    special = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, fi.max, -fi.max, fi.tiny,
                        tiny_sub, big_sub, -tiny_sub], dtype=dtype)
    return np.concatenate([vals, neg_nan, special])


def big_endian(path):
    """Big-endian integer and float datasets and attributes (contiguous and chunked with
    shuffle+gzip), float16 in both orders, and float special values."""
    with new_file(path) as f:
        for dt in (np.float16, np.float32, np.float64):
            v = _special_floats(dt)
            dataset(f, "%s_le" % np.dtype(dt).name, v.astype(np.dtype(dt).newbyteorder("<")))
            dataset(f, "%s_be" % np.dtype(dt).name, v.astype(np.dtype(dt).newbyteorder(">")))
            f.attrs["%s_be" % np.dtype(dt).name] = v.astype(np.dtype(dt).newbyteorder(">"))
        ints = {">i2": [-32768, -1, 0, 1, 258, 32767], ">u2": [0, 1, 258, 65535],
                ">i4": [-2147483648, -1, 0, 16909060, 2147483647],
                ">u4": [0, 1, 16909060, 4294967295],
                ">i8": [-9223372036854775808, -1, 0, 72623859790382856, 9223372036854775807],
                ">u8": [0, 1, 72623859790382856, 18446744073709551615]}
        for code, vals in ints.items():
            arr = np.array(vals, dtype=code)
            name = code.replace(">", "be_")
            dataset(f, name, arr)
            f.attrs[name] = arr
            f.attrs[name + "_scalar"] = arr[-1]
        # one-byte integers declared big-endian: byte order is meaningless for them
        d = lowlevel_dataset(f, "be_i1", h5t.STD_I8BE, (4,))
        d.write(h5s.ALL, h5s.ALL, np.array([-128, -1, 0, 127], dtype=np.int8))
        r = rng(4)
        dataset(f, "chunked_shuffle_gzip_be_f8", r.standard_normal((11, 13)).astype(">f8"),
                chunks=(4, 4), shuffle=True, compression="gzip")
        dataset(f, "chunked_be_i4_2d", r.integers(-10**9, 10**9, (6, 5)).astype(">i4"),
                chunks=(4, 4))
        dataset(f, "scalar_be_f4", np.array(-0.75, dtype=">f4"))


def ints(path):
    """Every integer width, signed and unsigned, with its extremes, as datasets and
    attributes (little-endian; the big-endian ones are in big_endian.h5)."""
    with new_file(path) as f:
        for bits in (8, 16, 32, 64):
            for signed in (True, False):
                dt = np.dtype("%sint%d" % ("" if signed else "u", bits))
                info = np.iinfo(dt)
                if signed:
                    vals = [info.min, info.min + 1, -1, 0, 1, info.max - 1, info.max]
                else:
                    vals = [0, 1, 2, info.max // 2, info.max // 2 + 1, info.max - 1, info.max]
                arr = np.array(vals, dtype=dt)
                dataset(f, dt.name, arr)
                f.attrs[dt.name + "_min"] = dt.type(info.min)
                f.attrs[dt.name + "_max"] = dt.type(info.max)
                f.attrs[dt.name + "_array"] = arr[::-1]
        dataset(f, "int32_2d", (np.arange(12, dtype=np.int32) - 6).reshape(3, 4) * 1000003)
        dataset(f, "int64_3d", (np.arange(24, dtype=np.int64) - 12).reshape(2, 3, 4) << 40)
        dataset(f, "uint64_chunked", np.arange(10, dtype=np.uint64) * (2**63 // 5) + 1,
                chunks=(3,))
        dataset(f, "int8_scalar", np.int8(-128))
        dataset(f, "uint64_scalar", np.uint64(18446744073709551615))


def links_types(path):
    """Every link kind and every datatype class h5py can write: soft (also dangling) and
    external links, hard-link cycles, shared hard links, committed datatypes, compound / enum /
    array / opaque / bitfield / reference / vlen, fixed strings with each padding, ASCII and
    UTF-8 strings, non-ASCII and '@' names, null / scalar / zero-length dataspaces."""
    with new_file(path) as f:
        data = new_group(f, "data")
        x = dataset(data, "x", np.arange(6, dtype=np.float32).reshape(2, 3))
        x.attrs["units"] = "m"
        f["soft"] = h5py.SoftLink("/data/x")
        f["soft_dangling"] = h5py.SoftLink("/no/such/object")
        f["soft_relative"] = h5py.SoftLink("x")
        f["ext"] = h5py.ExternalLink("missing_file.h5", "/some/where")

        # cycles: a group linking to itself and a grandchild linking back to the root
        g = new_group(f, "cycle")
        g.attrs["listed_at_every_path"] = np.int32(1)
        g["loop"] = g
        sub = new_group(g, "sub")
        sub["root_again"] = f["/"]
        dataset(sub, "leaf", np.int8(5))
        # shared (acyclic) hard links: the same dataset / group under two names
        a, b = new_group(f, "a"), new_group(f, "b")
        shared = dataset(a, "shared", np.array([1.5, -1.5], dtype=np.float64))
        shared.attrs["note"] = "one object, two paths"
        b["shared_too"] = shared
        sg = new_group(a, "shared_group")
        dataset(sg, "inner", np.uint16(7))
        b["shared_group_too"] = sg

        # committed datatypes, used by datasets and attributes
        types = new_group(f, "types")
        types["f32_t"] = np.dtype("<f4")
        types["point_t"] = np.dtype([("x", "<i4"), ("y", "<f8")])
        ft, pt = types["f32_t"], types["point_t"]
        ft.attrs["about"] = "committed float32"
        dataset(types, "uses_f32_t", np.array([0.5, 0.25], dtype="<f4"), dtype=ft)
        dataset(types, "uses_point_t", np.array([(1, 2.0), (3, 4.0)], dtype=pt.dtype),
                dtype=pt)
        types.attrs.create("attr_uses_f32_t", np.array([9.5], dtype="<f4"), dtype=ft)

        # datatype classes beyond integer/float/string
        cls = new_group(f, "classes")
        dataset(cls, "compound", np.array([(1, 2.5, b"ab"), (-3, 4.0, b"cd")],
                                          dtype=[("i", "<i2"), ("f", "<f4"), ("s", "S2")]))
        dataset(cls, "enum", np.array([0, 2, 1], dtype=np.int8),
                dtype=h5py.enum_dtype({"RED": 0, "GREEN": 1, "BLUE": 2}, basetype="i1"))
        arr_t = h5t.array_create(h5t.STD_I32LE, (2, 3))
        d = lowlevel_dataset(cls, "array", arr_t, (2,))
        d.write(h5s.ALL, h5s.ALL, np.arange(12, dtype="<i4").reshape(2, 2, 3), mtype=arr_t)
        dataset(cls, "opaque", np.array([b"\x01\x02\x03\x04\x05\x06\x07"] * 2, dtype="V7"))
        d = lowlevel_dataset(cls, "bitfield", h5t.STD_B16LE, (3,))
        d.write(h5s.ALL, h5s.ALL, np.array([0x0001, 0x8000, 0xBEEF], dtype="<u2"),
                mtype=h5t.STD_B16LE)
        refs = dataset(cls, "object_refs", shape=(2,), dtype=h5py.ref_dtype)
        refs[0] = f["data/x"].ref
        refs[1] = f["cycle"].ref
        cls.attrs["ref_attr"] = f["data"].ref
        vl = dataset(cls, "vlen_int", shape=(3,), dtype=h5py.vlen_dtype(np.int32))
        vl[0] = [1]
        vl[1] = [2, 3]
        vl[2] = []
        dataset(cls, "compound_with_array",
                np.zeros(2, dtype=[("v", "<f4", (3,)), ("n", "<u1")]))

        # strings: fixed-length with each padding, ASCII and UTF-8, fixed and variable length
        s = new_group(f, "strings")
        cases = (("nullterm", h5t.STR_NULLTERM, [b"abc\0\0\0\0\0", b"abcdefg\0", b"\0" * 8,
                                                 b"a\0bcdefg"]),
                 ("nullpad", h5t.STR_NULLPAD, [b"abc\0\0\0\0\0", b"abcdefgh", b"\0" * 8,
                                               b" lead\0\0\0"]),
                 ("spacepad", h5t.STR_SPACEPAD, [b"abc     ", b"abcdefgh", b" " * 8,
                                                 b"a b  c  "]))
        for name, pad, vals in cases:
            t = fixed_str_type(8, pad)
            d = lowlevel_dataset(s, "fixed_" + name, t, (len(vals),))
            d.write(h5s.ALL, h5s.ALL, np.array(vals, dtype="S8"), mtype=t)
            raw_attr(s, "fixed_" + name, t, vals[:2])
        t = fixed_str_type(12, h5t.STR_NULLPAD, utf8=True)
        vals = ["héllo".encode(), "日本".encode(), b"plain"]
        d = lowlevel_dataset(s, "fixed_utf8", t, (3,))
        d.write(h5s.ALL, h5s.ALL, np.array(vals, dtype="S12"), mtype=t)
        raw_attr(s, "fixed_utf8_scalar", t, "ünïcode".encode())
        t = fixed_str_type(5, h5t.STR_NULLPAD)
        d = lowlevel_dataset(s, "fixed_2d", t, (2, 2))
        d.write(h5s.ALL, h5s.ALL, np.array([[b"a", b"bb"], [b"ccc", b"ddddd"]], dtype="S5"),
                mtype=t)
        dataset(s, "vlen_ascii", np.array([b"first", b"", b"third one"], dtype=object),
                dtype=h5py.string_dtype("ascii"))
        dataset(s, "vlen_utf8", np.array(["Grüße", "日本語", "", "end"], dtype=object),
                dtype=h5py.string_dtype("utf-8"))
        dataset(s, "vlen_utf8_scalar", "scalar vlen", dtype=h5py.string_dtype("utf-8"))
        dataset(s, "vlen_2d", np.array([["a", "b"], ["c", "dd"]], dtype=object),
                dtype=h5py.string_dtype("utf-8"))
        dataset(s, "with_newline", np.array(["two\nlines", "ok"], dtype=object),
                dtype=h5py.string_dtype("utf-8"))
        s.attrs["vlen_ascii_attr"] = np.array([b"x", b"yz"], dtype=h5py.string_dtype("ascii"))
        s.attrs["vlen_utf8_attr"] = "ça va"
        s.attrs.create("vlen_utf8_array", ["α", "β", "γ"], dtype=h5py.string_dtype("utf-8"))

        # dataspaces
        sp = new_group(f, "spaces")
        sp.attrs["empty_f4"] = h5py.Empty("f4")
        sp.attrs["empty_str"] = h5py.Empty(h5py.string_dtype("utf-8"))
        sp.attrs["scalar_i"] = np.int32(-3)
        dataset(sp, "scalar_f64", np.float64(3.25))
        dataset(sp, "null_i32", h5py.Empty("i4"))
        dataset(sp, "zero_length", np.zeros((0,), dtype=np.float32))
        dataset(sp, "zero_in_middle", np.zeros((2, 0, 3), dtype=np.int16))
        dataset(sp, "zero_chunked", shape=(0,), dtype=np.int32, chunks=(4,), maxshape=(None,))

        # names: non-ASCII (UTF-8 link names), byte-order sorting, '@' in link and attr names
        n = new_group(f, "names")
        for name in ("données", "日本", "Zeta", "alpha", "alpha beta", "alpha-beta",
                     "alpha.beta", "alpha_beta", "alpha0", "A"):
            dataset(n, name, np.int16(len(name)))
        m = dataset(n, "mail@host", np.array([1, 2], dtype=np.int32))
        m.attrs["note"] = np.int32(3)        # dumped as /names/mail@host@note
        n["alpha"].attrs["at@tr"] = np.int32(4)  # listed; --dump cannot address it
        n["alpha"].attrs["çédille"] = np.float32(0.5)
        f["soft_to_utf8"] = h5py.SoftLink("/names/données")


def userblock_1024(path):
    """A 1024-byte user block before the superblock: every address in the file is relative to
    the superblock, so contiguous, chunked and global-heap data must all be offset."""
    with new_file(path, userblock=1024) as f:
        dataset(f, "contiguous_f32", np.linspace(0, 1, 7, dtype=np.float32))
        dataset(f, "chunked_gzip_i32", np.arange(50, dtype=np.int32) * -3, chunks=(8,),
                compression="gzip")
        dataset(f, "vlen_str", np.array(["user", "block"], dtype=object),
                dtype=h5py.string_dtype("utf-8"))
        g = new_group(f, "group")
        g.attrs["answer"] = np.int64(42)
        dataset(g, "compact_like_small", np.int8(1))
    text = b"k2onnx test fixture: 1024-byte user block; the HDF5 superblock follows.\n"
    with open(path, "r+b") as fh:
        fh.write(text + b"\0" * (1024 - len(text)))


def expands(path):
    """A file far smaller than its data: 1 MiB of zeros in gzip-9 chunks (about 400 times the
    file size), under the default max_dataset_ratio; tests/unit_tests.c reads it with a lower
    ratio to see the named limit error."""
    with new_file(path) as f:
        dataset(f, "zeros_f32", np.zeros((512, 512), dtype=np.float32), chunks=(128, 512),
                compression="gzip", compression_opts=9)


FIXTURES = [
    ("latest_big_attr.h5", latest_big_attr),
    ("group_1000_earliest.h5", lambda p: group_1000(p, latest=False)),
    ("group_1000_latest.h5", lambda p: group_1000(p, latest=True)),
    ("filters.h5", filters),
    ("chunk_indexes_latest.h5", chunk_indexes_latest),
    ("chunk_btree_earliest.h5", chunk_btree_earliest),
    ("fill_values.h5", fill_values),
    ("big_endian.h5", big_endian),
    ("ints.h5", ints),
    ("links_types.h5", links_types),
    ("userblock_1024.h5", userblock_1024),
    ("expands.h5", expands),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--outdir", default=os.path.join(ROOT, "tests", "fixtures", "h5"))
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    total, ok = 0, True
    for name, make in FIXTURES:
        path = os.path.join(args.outdir, name)
        make(path)
        size = os.path.getsize(path)
        total += size
        flag = "" if size <= MAX_FILE else "   TOO BIG (> %d)" % MAX_FILE
        ok = ok and not flag
        print("%8d  %s%s" % (size, name, flag))
    print("%8d  total%s" % (total, "" if total <= MAX_TOTAL else "   TOO BIG (> %d)" % MAX_TOTAL))
    return 0 if ok and total <= MAX_TOTAL else 1


if __name__ == "__main__":
    sys.exit(main())
