#!/bin/sh
# Rebuilds the seed corpora tests/fuzz/seeds/{h5,json,zip,convert,inflate}/ from tests/fixtures.
#
#     sh tests/fuzz/make_seeds.sh
#
# Needs Debian's /usr/bin/python3 with h5py and numpy (the python3 first on PATH may lack
# them; set PYTHON to override). The output is deterministic: fixtures are picked in sorted order
# by a fixed rule, generated HDF5 files carry no timestamps and ZIP members have fixed dates.
#   h5      fixtures <= 16 KiB chosen to cover distinct layer classes and options, the small files of
#           tests/fixtures/h5 (<= 40 KiB), and a few tiny generated files in the newest format
#           (dense attributes and links, every chunk index, filters, vlen strings)
#   json    model_config strings of the fixtures (covering distinct layer classes and options), the
#           config.json and metadata.json of the .keras fixtures
#   zip     the .keras fixtures re-packed deflated (and variants: stored, comment, extra field,
#           no weights)
#   convert fixtures <= 16 KiB covering distinct layer classes and options, and the small
#           .keras archives
#   inflate zlib and raw deflate streams (stored, fixed, dynamic, RLE blocks) of a fixture's bytes
#           and of text, after a mode byte and a 2-byte output capacity
# At most 40 files per target, each <= 40 KiB, all together under 1 MiB.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
exec "$PYTHON" - "$ROOT" <<'PY'
import glob
import hashlib
import io
import json
import os
import shutil
import sys
import tempfile
import zipfile
import zlib

import h5py
import numpy as np
from h5py import h5f, h5g, h5p

ROOT = sys.argv[1]
FIX = os.path.join(ROOT, "tests", "fixtures")
OUT = os.path.join(ROOT, "tests", "fuzz", "seeds")
MAX_PER_TARGET = 40
H5_MODELS = 12      # Keras-written files add little HDF5 structure beyond the first few
CONVERT_FILES = 24
SMALL = 16 * 1024
SMALL_H5_DIR = 40 * 1024
DATE = (2020, 1, 1, 0, 0, 0)


def reset(target):
    d = os.path.join(OUT, target)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    return d


def classes(cfg):
    """The set of Keras class names anywhere in a config tree."""
    found = set()

    def walk(v):
        if isinstance(v, dict):
            c = v.get("class_name")
            if isinstance(c, str):
                found.add(c)
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    walk(cfg)
    return found


FLAGS = ("return_sequences", "return_state", "go_backwards", "reset_after", "mask_zero", "time_major",
         "stateful", "unit_forget_bias", "use_bias", "center", "scale")


def features(cfg, version):
    """Layer classes, boolean options set to true, activations and the Keras major version."""
    found = set(classes(cfg))

    def walk(v):
        if isinstance(v, dict):
            for k, x in v.items():
                if k in FLAGS and x is True:
                    found.add(k)
                elif k in ("activation", "recurrent_activation", "merge_mode", "padding", "data_format") and isinstance(x, str):
                    found.add(k + "=" + x)
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    walk(cfg)
    found.add("keras=" + version.split(".")[0])
    return found


def model_config(path):
    with h5py.File(path, "r") as f:
        mc = f.attrs.get("model_config")
        kv = f.attrs.get("keras_version", b"?")
    if mc is None:
        return None, None
    kv = kv.decode() if isinstance(kv, bytes) else str(kv)
    return (mc.decode() if isinstance(mc, bytes) else str(mc)), kv


def cover(items, limit):
    """Greedy set cover: items are (name, size, features); smallest first among equals."""
    items = sorted(items, key=lambda t: (t[1], t[0]))
    seen, picked = set(), []
    while len(picked) < limit:
        best = None
        for it in items:
            if it in picked:
                continue
            gain = len(it[2] - seen)
            if gain and (best is None or gain > len(best[2] - seen)):
                best = it
        if best is None:
            break
        picked.append(best)
        seen |= best[2]
    # Fill the rest with one file per name prefix (k1_, k22_, k3_, tfk2_ ...), in order.
    prefixes = {p[0].split("_")[0] for p in picked}
    for it in items:
        if len(picked) >= limit:
            break
        pre = it[0].split("_")[0]
        if it not in picked and pre not in prefixes:
            picked.append(it)
            prefixes.add(pre)
    return sorted(picked)


def copy(src, dst_dir, name=None):
    shutil.copyfile(src, os.path.join(dst_dir, name or os.path.basename(src)))


def fixtures():
    rows = []
    for p in sorted(glob.glob(os.path.join(FIX, "*.h5"))):
        cfg, version = model_config(p)
        if cfg is None:
            continue
        rows.append((os.path.basename(p), os.path.getsize(p), frozenset(features(json.loads(cfg), version)), cfg))
    return rows


def keras_members(path):
    with zipfile.ZipFile(path) as z:
        return [(i.filename, z.read(i.filename)) for i in z.infolist()]


def pack(members, method=zipfile.ZIP_DEFLATED, comment=b"", extra=b""):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=DATE)
            info.compress_type = method
            info.external_attr = 0o644 << 16
            info.create_system = 3
            if extra:
                info.extra = extra
            z.writestr(info, data, compress_type=method, compresslevel=9 if method == zipfile.ZIP_DEFLATED else None)
        z.comment = comment
    return buf.getvalue()


# --- generated HDF5 files: the newest format's structures in a few KiB each --------------

def new_file(path, latest=True, track_order=False, phase=None):
    fcpl = h5p.create(h5p.FILE_CREATE)
    fcpl.set_obj_track_times(False)
    if track_order:
        order = h5p.CRT_ORDER_TRACKED | h5p.CRT_ORDER_INDEXED
        fcpl.set_link_creation_order(order)
        fcpl.set_attr_creation_order(order)
    if phase is not None:
        fcpl.set_attr_phase_change(*phase)
    fapl = h5p.create(h5p.FILE_ACCESS)
    if latest:
        fapl.set_libver_bounds(h5f.LIBVER_LATEST, h5f.LIBVER_LATEST)
    return h5py.File(h5f.create(path.encode(), h5f.ACC_TRUNC, fcpl=fcpl, fapl=fapl))


def new_group(parent, name):
    gcpl = h5p.create(h5p.GROUP_CREATE)
    gcpl.set_obj_track_times(False)
    gcpl.set_attr_phase_change(0, 0)
    return h5py.Group(h5g.create(parent.id, name.encode(), gcpl=gcpl))


def ds(parent, name, data=None, **kw):
    kw.setdefault("track_times", False)
    return parent.create_dataset(name, data=data, **kw)


def gen_h5(d):
    made = []
    tmp = tempfile.mkdtemp()
    try:
        # Dense attributes and links (fractal heap + v2 B-tree name index), creation order.
        p = os.path.join(tmp, "gen_dense_latest.h5")
        with new_file(p, track_order=True, phase=(0, 0)) as f:
            g = new_group(f, "g")
            for i in range(10):  # more than 8 links: dense link storage
                g.attrs["a%d" % i] = np.arange(i + 1, dtype=np.int16)
                ds(g, "d%d" % i, data=np.float32(i))
            g["soft"] = h5py.SoftLink("/g/d0")
            f.attrs["model_config"] = b'{"class_name": "Sequential", "config": {"layers": []}}'
        made.append(p)
        # Every version-4 chunk index, with and without filters.
        p = os.path.join(tmp, "gen_chunks_latest.h5")
        with new_file(p) as f:
            a = np.arange(24, dtype=np.float32).reshape(4, 6)
            ds(f, "single", data=a, chunks=(4, 6))
            ds(f, "implicit", data=a, chunks=(2, 3), maxshape=(4, 6))
            ds(f, "fixed", data=a, chunks=(1, 2), compression="gzip", shuffle=True)
            ds(f, "earray", data=a, chunks=(1, 3), maxshape=(None, 6), fletcher32=True)
            ds(f, "btree2", data=a, chunks=(2, 2), maxshape=(None, None), compression="gzip")
        made.append(p)
        # Older format: v1 B-trees, symbol tables, global heap strings, compact and fill values.
        p = os.path.join(tmp, "gen_misc_earliest.h5")
        with new_file(p, latest=False) as f:
            s = h5py.string_dtype()
            ds(f, "vlen", data=np.array(["kernel:0", "bias:0", "x" * 20], dtype=object), dtype=s)
            ds(f, "fixed_str", data=np.array([b"abc", b"de"], dtype="S4"))
            ds(f, "chunked", data=np.arange(10, dtype=">i4"), chunks=(3,), compression="gzip")
            ds(f, "fill", shape=(3,), dtype=np.float64, fillvalue=1.5)
            dcpl = h5p.create(h5p.DATASET_CREATE)
            dcpl.set_layout(h5py.h5d.COMPACT)
            dcpl.set_obj_track_times(False)
            sp = h5py.h5s.create_simple((4,))
            h5py.h5d.create(f.id, b"compact", h5py.h5t.NATIVE_INT8, sp, dcpl=dcpl).write(
                h5py.h5s.ALL, h5py.h5s.ALL, np.arange(4, dtype=np.int8))
            f.attrs["weight_names"] = np.array([b"kernel:0", b"bias:0"])
            f.attrs["half"] = np.float16(0.5)
            f.attrs["enum"] = np.array([1], dtype=h5py.enum_dtype({"a": 0, "b": 1}, basetype="i1"))
        made.append(p)
        for p in made:
            copy(p, d)
    finally:
        shutil.rmtree(tmp)
    return len(made)


def main():
    rows = fixtures()
    small = [r for r in rows if r[1] <= SMALL]
    keras = sorted(glob.glob(os.path.join(FIX, "*.keras")))

    # h5
    d = reset("h5")
    n = gen_h5(d)
    extra = [p for p in sorted(glob.glob(os.path.join(FIX, "h5", "*.h5"))) if os.path.getsize(p) <= SMALL_H5_DIR]
    for p in extra:
        copy(p, d, "fixture_h5_" + os.path.basename(p))
    for r in cover([(a, b, c) for a, b, c, _ in small], min(H5_MODELS, MAX_PER_TARGET - n - len(extra))):
        copy(os.path.join(FIX, r[0]), d)

    # json
    d = reset("json")
    k = 0
    for p in keras:
        for name, data in keras_members(p):
            if name.endswith(".json"):
                base = os.path.basename(p)[:-len(".keras")]
                with open(os.path.join(d, base + "." + name), "wb") as fp:
                    fp.write(data)
                k += 1
    cfgs = {r[0]: r[3] for r in rows}
    for r in cover([(a, len(cfgs[a]), c) for a, b, c, _ in rows], MAX_PER_TARGET - k):
        with open(os.path.join(d, r[0][:-3] + ".json"), "wb") as fp:
            fp.write(cfgs[r[0]].encode())

    # zip
    d = reset("zip")
    for p in keras:
        base = os.path.basename(p)[:-len(".keras")]
        members = keras_members(p)
        with open(os.path.join(d, base + ".deflated.zip"), "wb") as fp:
            fp.write(pack(members))
        cfg_only = [m for m in members if m[0] != "model.weights.h5"]
        with open(os.path.join(d, base + ".stored_no_weights.zip"), "wb") as fp:
            fp.write(pack(cfg_only, method=zipfile.ZIP_STORED))
    members = keras_members(keras[0])
    with open(os.path.join(d, "comment_extra.zip"), "wb") as fp:
        fp.write(pack(members, comment=b"k2onnx fuzz seed", extra=b"\x75\x70\x05\x00\x01\x00\x00\x00\x00"))
    with open(os.path.join(d, "weights_only_stored.zip"), "wb") as fp:
        fp.write(pack([("model.weights.h5", open(os.path.join(FIX, "h5", "ints.h5"), "rb").read())], method=zipfile.ZIP_STORED))
    for p in keras:
        if os.path.getsize(p) <= SMALL:
            copy(p, d)

    # convert
    d = reset("convert")
    k = 0
    for p in keras:
        base = os.path.basename(p)[:-len(".keras")]
        data = pack(keras_members(p))
        if len(data) <= SMALL:
            with open(os.path.join(d, base + ".keras"), "wb") as fp:
                fp.write(data)
            k += 1
    for r in cover([(a, b, c) for a, b, c, _ in small], CONVERT_FILES - k):
        copy(os.path.join(FIX, r[0]), d)

    # inflate: a mode byte (bit 0: zlib, else raw), a 2-byte little-endian output capacity, the
    # stream; zlib's streams of a fixture and of text, one per kind of block.
    d = reset("inflate")
    h5 = open(os.path.join(FIX, "k22_lstm_state.h5"), "rb").read()[:6000]
    text = b"".join(b"lstm_%d/lstm_cell/kernel:0 " % i for i in range(80))
    for name, data in (("h5", h5), ("text", text)):
        for label, level, strategy in (("stored", 0, zlib.Z_DEFAULT_STRATEGY), ("fixed", 6, zlib.Z_FIXED),
                                       ("dynamic", 9, zlib.Z_DEFAULT_STRATEGY), ("rle", 6, zlib.Z_RLE)):
            for mode, wbits in ((1, 15), (0, -15)):
                c = zlib.compressobj(level, zlib.DEFLATED, wbits, 8, strategy)
                stream = c.compress(data) + c.flush()
                with open(os.path.join(d, "%s_%s_%s" % (name, label, "zlib" if mode else "raw")), "wb") as fp:
                    fp.write(bytes([mode, len(data) & 0xff, len(data) >> 8]) + stream)

    total = 0
    for t in ("h5", "json", "zip", "convert", "inflate"):
        files = sorted(os.listdir(os.path.join(OUT, t)))
        size = sum(os.path.getsize(os.path.join(OUT, t, x)) for x in files)
        big = max(os.path.getsize(os.path.join(OUT, t, x)) for x in files)
        total += size
        print("%-8s %3d files, %7d bytes (largest %d)" % (t, len(files), size, big))
        if len(files) > MAX_PER_TARGET or big > SMALL_H5_DIR:
            sys.exit("seed budget exceeded for %s" % t)
    print("total    %d bytes" % total)
    if total > 1024 * 1024:
        sys.exit("seed corpora exceed 1 MiB")


main()
PY
