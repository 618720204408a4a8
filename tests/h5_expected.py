#!/usr/bin/python3
"""What `k2onnx --ls` and `k2onnx --dump` must print for an HDF5 file, computed with h5py.

    /usr/bin/python3 tests/h5_expected.py ls FILE
    /usr/bin/python3 tests/h5_expected.py dump FILE PATH [PATH ...]
    /usr/bin/python3 tests/h5_expected.py plan FILE      (JSON for tests/run_h5_compare.py)

`ls` and `dump` print exactly the text k2onnx is expected to print (same bytes), or one line
`h5_expected: <message>` on stderr and exit status 1.

Listing (one line per entry, `<path>\\t<kind>\\t<dtype>\\t<shape>`, sorted by the path's bytes; two
entries with the same path, e.g. a link `a@b` beside an attribute `b` of `a`, are ordered by their
whole line):
  - the walk starts at `/` and follows every hard link; a group whose object header is already
    one of the ancestors on the current path (a cycle) is listed but not entered; a group or
    dataset reachable by several hard links is listed (and entered) at each of its paths;
  - attributes are listed for every listed group, dataset and committed datatype, cycle entries
    included (`<objpath>@<name>`, `/@<name>` for the root);
  - soft links: `softlink\\t<target>\\t-`; external links: `extlink\\t<file>:<object>\\t-`.
dtype and shape follow the HDF5 type class and dataspace (see `type_name` and `shape_name`).

Dump: the values in C order, one per line: float16/float32 `%.9g`, float64 `%.17g`, `nan`, `inf`,
`-inf`; integers in decimal; strings as text (fixed-length ones with their padding removed).
With several paths each block is preceded by `# PATH`.

Names are handled as bytes throughout so that non-ASCII (even non-UTF-8) names come out as
stored; the JSON of `plan` carries them as str with surrogateescape.
"""
import contextlib
import json
import os
import shutil
import sys
import tempfile

import h5py
import numpy as np
from h5py import h5a, h5g, h5i, h5l, h5o, h5s, h5t

# Type classes that are named by their class alone (no size/order in the name).
_CLASS_NAMES = {
    h5t.VLEN: "vlen",
    h5t.COMPOUND: "compound",
    h5t.ENUM: "enum",
    h5t.ARRAY: "array",
    h5t.OPAQUE: "opaque",
    h5t.BITFIELD: "bitfield",
    h5t.REFERENCE: "reference",
    h5t.TIME: "time",
}

# Sizes whose values --dump prints; other integer/float widths (e.g. 3-byte ints, 80-bit long
# doubles) are listed but their values are not compared.
_INT_SIZES = (1, 2, 4, 8)
_FLOAT_FORMATS = {2: "%.9g", 4: "%.9g", 8: "%.17g"}


class ExpectError(Exception):
    """h5py could not give the expected answer (file unreadable, value undecodable, ...)."""


HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def superblock_offset(path):
    """Offset of the HDF5 superblock (0, 512, 1024, 2048, ...), or None if not an HDF5 file."""
    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        off = 0
        while off + 8 <= size:
            fh.seek(off)
            if fh.read(8) == HDF5_SIGNATURE:
                return off
            off = 512 if off == 0 else off * 2
    return None


def _rot(x, k):
    return ((x << k) | (x >> (32 - k))) & 0xFFFFFFFF


def lookup3(data, initval=0):
    """Bob Jenkins' hashlittle (lookup3), the checksum of HDF5 metadata; needed to rewrite a
    superblock. The two blocks of statements are lookup3's mix() and final() steps."""
    M = 0xFFFFFFFF
    n = len(data)
    a = b = c = (0xDEADBEEF + n + initval) & M
    i = 0
    while n - i > 12:
        a = (a + int.from_bytes(data[i:i + 4], "little")) & M
        b = (b + int.from_bytes(data[i + 4:i + 8], "little")) & M
        c = (c + int.from_bytes(data[i + 8:i + 12], "little")) & M
        a = (a - c) & M; a ^= _rot(c, 4); c = (c + b) & M
        b = (b - a) & M; b ^= _rot(a, 6); a = (a + c) & M
        c = (c - b) & M; c ^= _rot(b, 8); b = (b + a) & M
        a = (a - c) & M; a ^= _rot(c, 16); c = (c + b) & M
        b = (b - a) & M; b ^= _rot(a, 19); a = (a + c) & M
        c = (c - b) & M; c ^= _rot(b, 4); b = (b + a) & M
        i += 12
    rest = data[i:]
    if not rest:
        return c
    rest = rest + bytes(12 - len(rest))
    a = (a + int.from_bytes(rest[0:4], "little")) & M
    b = (b + int.from_bytes(rest[4:8], "little")) & M
    c = (c + int.from_bytes(rest[8:12], "little")) & M
    c ^= b; c = (c - _rot(b, 14)) & M
    a ^= c; a = (a - _rot(c, 11)) & M
    b ^= a; b = (b - _rot(a, 25)) & M
    c ^= b; c = (c - _rot(b, 16)) & M
    a ^= c; a = (a - _rot(c, 4)) & M
    b ^= a; b = (b - _rot(a, 14)) & M
    c ^= b; c = (c - _rot(b, 24)) & M
    return c


@contextlib.contextmanager
def open_file(path):
    """h5py.File for `path`, read-only.

    libhdf5 1.10 refuses a version 2/3 superblock whose file-consistency flags say "open for
    write" (a writer that did not close the file, e.g. a jhdf corpus file). Those flags do not
    change what the file holds, so such a file is read from a temporary copy with the flags
    cleared and the superblock checksum recomputed (what `h5clear -s` does)."""
    try:
        f = h5py.File(path, "r")
    except OSError as ex:
        if "already open for write" not in str(ex):
            raise
        f = None
    if f is not None:
        with f:
            yield f
        return
    base = superblock_offset(path)
    with tempfile.TemporaryDirectory(prefix="h5_expected") as tmp:
        copy = os.path.join(tmp, "cleared.h5")
        shutil.copyfile(path, copy)
        with open(copy, "r+b") as fh:
            fh.seek(base)
            head = bytearray(fh.read(12))
            if head[8] < 2:
                raise ExpectError("consistency flags set in a version %d superblock" % head[8])
            n = 12 + 4 * head[9]  # fixed fields + base, extension, EOF and root addresses
            fh.seek(base)
            sb = bytearray(fh.read(n))
            sb[11] = 0
            fh.seek(base)
            fh.write(bytes(sb) + lookup3(bytes(sb)).to_bytes(4, "little"))
        with h5py.File(copy, "r") as f:
            yield f


def type_name(tid):
    """dtype column for an h5py TypeID, named from its HDF5 class rather than from numpy."""
    cls = tid.get_class()
    size = tid.get_size()
    if cls == h5t.INTEGER:
        signed = tid.get_sign() != h5t.SGN_NONE
        if size == 1:  # byte order means nothing for one byte
            return "int8" if signed else "uint8"
        if tid.get_order() == h5t.ORDER_BE:
            return ">%s%d" % ("i" if signed else "u", size)
        return "%sint%d" % ("" if signed else "u", 8 * size)
    if cls == h5t.FLOAT:
        if tid.get_order() == h5t.ORDER_BE:
            return ">f%d" % size
        return "float%d" % (8 * size)
    if cls == h5t.STRING:
        return "vlen-str" if tid.is_variable_str() else "str"
    if cls in _CLASS_NAMES:
        return _CLASS_NAMES[cls]
    raise ExpectError("unknown datatype class %d" % cls)


def shape_name(space):
    """shape column for an h5py SpaceID."""
    kind = space.get_simple_extent_type()
    if kind == h5s.NULL:
        return "null"
    if kind == h5s.SCALAR:
        return "scalar"
    return "x".join(str(d) for d in space.get_simple_extent_dims())


class Entry:
    """One line of the listing; `reader` (datasets and attributes only) opens the object again
    when its values are wanted, so that the walk itself never reads data."""

    __slots__ = ("path", "kind", "dtype", "shape", "reader", "tid", "owner", "aname")

    def __init__(self, path, kind, dtype="-", shape="-", reader=None, tid=None, owner=None,
                 aname=None):
        self.path = path      # bytes
        self.kind = kind      # str
        self.dtype = dtype    # str, or bytes for link targets
        self.shape = shape    # str
        self.reader = reader  # None, or ("dataset", DatasetID) / ("attribute", AttrID)
        self.tid = tid        # TypeID of a dataset/attribute
        self.owner = owner    # attributes: path of the object carrying it (bytes)
        self.aname = aname    # attributes: its name (bytes)

    def line(self):
        dt = self.dtype if isinstance(self.dtype, bytes) else self.dtype.encode()
        return b"%s\t%s\t%s\t%s\n" % (self.path, self.kind.encode(), dt, self.shape.encode())


def _attributes(oid, objpath, out):
    """Append an entry for every attribute of the open object `oid`."""
    names = []
    # the callback's None return keeps the iteration going; names arrive as bytes
    h5a.iterate(oid, lambda name, *_: names.append(name))
    for name in names:
        aid = h5a.open(oid, name)
        tid = aid.get_type()
        out.append(Entry(objpath + b"@" + name, "attribute", type_name(tid),
                         shape_name(aid.get_space()), ("attribute", aid), tid, objpath, name))


def _link_names(gid):
    names = []
    gid.links.iterate(lambda name: names.append(name))
    return names


def _walk(gid, path, ancestors, out):
    """List the members of the open group `gid` at `path` (bytes, '/' for the root).

    `ancestors` holds the object header addresses of the groups from the root down to `gid`
    (inclusive): a hard link back to one of them closes a cycle."""
    prefix = b"/" if path == b"/" else path + b"/"
    for name in _link_names(gid):
        child = prefix + name
        info = gid.links.get_info(name)
        if info.type == h5l.TYPE_SOFT:
            out.append(Entry(child, "softlink", gid.links.get_val(name)))
            continue
        if info.type == h5l.TYPE_EXTERNAL:
            fname, obj = gid.links.get_val(name)
            out.append(Entry(child, "extlink", fname + b":" + obj))
            continue
        if info.type != h5l.TYPE_HARD:
            raise ExpectError("%s: user-defined link type %d" % (child.decode("utf-8", "replace"),
                                                                 info.type))
        oid = h5o.open(gid, name)
        kind = h5i.get_type(oid)
        if kind == h5i.GROUP:
            out.append(Entry(child, "group"))
            _attributes(oid, child, out)
            addr = h5o.get_info(oid).addr
            if addr not in ancestors:
                _walk(oid, child, ancestors + (addr,), out)
        elif kind == h5i.DATASET:
            tid = oid.get_type()
            out.append(Entry(child, "dataset", type_name(tid), shape_name(oid.get_space()),
                             ("dataset", oid), tid))
            _attributes(oid, child, out)
        elif kind == h5i.DATATYPE:
            out.append(Entry(child, "datatype", type_name(oid)))
            _attributes(oid, child, out)
        else:
            raise ExpectError("%s: object of unknown kind %d" % (child.decode("utf-8", "replace"),
                                                                 kind))


def entries(f):
    """All listing entries of the open h5py.File `f`, sorted as k2onnx sorts them."""
    root = h5g.open(f.id, b"/")
    out = [Entry(b"/", "group")]
    _attributes(root, b"/", out)
    _walk(root, b"/", (h5o.get_info(root).addr,), out)
    out.sort(key=lambda e: (e.path, e.line()))
    return out


def listing(entries_):
    return b"".join(e.line() for e in entries_)


def dumpable(e):
    """True if --dump must be able to print this entry's values (integer, enum, bitfield, float,
    string)."""
    if e.reader is None:
        return False
    cls = e.tid.get_class()
    if cls in (h5t.INTEGER, h5t.ENUM, h5t.BITFIELD):
        return e.tid.get_size() in _INT_SIZES
    if cls == h5t.FLOAT:
        return e.tid.get_size() in _FLOAT_FORMATS
    return cls == h5t.STRING


def _read(e):
    """The raw values of a dataset/attribute entry as a flat numpy array (C order).

    Fixed-length strings come back as an (n, size) uint8 array with every stored byte, because
    numpy's 'S' type would drop trailing NULs and h5py converts the padding."""
    what, oid = e.reader
    space = oid.get_space()
    if space.get_simple_extent_type() == h5s.NULL:
        return np.empty((0,))
    n = space.get_simple_extent_npoints()
    tid = e.tid
    fixed_str = tid.get_class() == h5t.STRING and not tid.is_variable_str()
    if fixed_str:
        arr = np.empty((n, tid.get_size()), dtype=np.uint8)
        mtype = tid
    else:
        arr = np.empty(oid.shape, dtype=oid.dtype)
        mtype = None
    if n:
        if what == "dataset":
            oid.read(h5s.ALL, h5s.ALL, arr, mtype=mtype)
        else:
            oid.read(arr, mtype=mtype)
    return arr if fixed_str else arr.reshape(-1)


def _unpad(raw, pad):
    if pad == h5t.STR_NULLTERM:
        i = raw.find(b"\0")
        return raw if i < 0 else raw[:i]
    if pad == h5t.STR_SPACEPAD:
        return raw.rstrip(b" ")
    return raw.rstrip(b"\0")


def _fmt_float(fmt, v):
    v = float(v)
    if v != v:  # C may print -nan; the contract says nan
        return b"nan"
    return (fmt % v).encode()  # Python's %g matches C's for finite values and gives inf/-inf


def values(e):
    """The value lines (list of bytes, no newlines) that --dump prints for entry `e`."""
    try:
        arr = _read(e)
    except Exception as ex:  # noqa: BLE001 - any h5py failure means "cannot compare"
        raise ExpectError("h5py cannot read %s: %s" % (e.path.decode("utf-8", "replace"),
                                                       " ".join(str(ex).split()))) from None
    cls = e.tid.get_class()
    if cls in (h5t.INTEGER, h5t.ENUM, h5t.BITFIELD):  # enums as their stored integer values
        return [str(int(v)).encode() for v in arr.tolist()]
    if cls == h5t.FLOAT:
        fmt = _FLOAT_FORMATS[e.tid.get_size()]
        return [_fmt_float(fmt, v) for v in arr.tolist()]
    if cls == h5t.STRING:
        if e.tid.is_variable_str():
            return [v if isinstance(v, bytes) else str(v).encode("utf-8") for v in arr]
        pad = e.tid.get_strpad()
        return [_unpad(bytes(row), pad) for row in arr]
    raise ExpectError("%s: values of type %s are not dumped" % (e.path.decode("utf-8", "replace"),
                                                                e.dtype))


def resolve(entries_, path):
    """The entry --dump prints for `path` (bytes): an object path as-is, else split at the last
    '@' into object path and attribute name."""
    for e in entries_:
        if e.path == path and e.kind != "attribute":
            if e.kind != "dataset":
                raise ExpectError("%s is a %s, not a dataset" % (path.decode("utf-8", "replace"),
                                                                 e.kind))
            return e
    i = path.rfind(b"@")
    for e in entries_:
        if i >= 0 and e.kind == "attribute" and e.owner == path[:i] and e.aname == path[i + 1:]:
            return e
    raise ExpectError("no dataset or attribute %s" % path.decode("utf-8", "replace"))


def dump_text(entries_, paths):
    """Expected stdout of `k2onnx --dump FILE PATH...` (bytes)."""
    out = []
    for p in paths:
        e = resolve(entries_, p)
        if not dumpable(e):
            raise ExpectError("%s: values of type %s are not dumped" % (
                p.decode("utf-8", "replace"), e.dtype))
        if len(paths) > 1:
            out.append(b"# " + p + b"\n")
        out.extend(v + b"\n" for v in values(e))
    return b"".join(out)


def _s(b):
    """bytes -> str that survives JSON and turns back into the same bytes."""
    return b.decode("utf-8", "surrogateescape")


def plan(path):
    """Everything the runner needs for one file, as a JSON-able dict.

    dump: one item per dumpable dataset/attribute, with `expect` (the value lines as text) or
    `skip` (why it is not compared). Strings holding a newline, CR or NUL are left out (the
    line-based output cannot show them), as are attribute paths that --dump cannot address
    (the attribute name holds '@', or the path also names an object)."""
    result = {"file": path, "error": None, "ls": None, "entries": 0, "dump": [], "omitted": 0}
    try:
        with open_file(path) as f:
            _plan_file(f, result)
    except Exception as ex:  # noqa: BLE001 - report, the runner decides
        result["error"] = "h5py cannot open the file: %s" % " ".join(str(ex).split())
    return result


def _plan_file(f, result):
    try:
        ents = entries(f)
    except Exception as ex:  # noqa: BLE001
        result["error"] = "h5py cannot list the file: %s" % " ".join(str(ex).split())
        return
    result["ls"] = _s(listing(ents))
    result["entries"] = len(ents)
    objects = {e.path for e in ents if e.kind != "attribute"}
    for e in ents:
        if not dumpable(e):
            continue
        if e.kind == "attribute" and (b"@" in e.aname or e.path in objects):
            result["omitted"] += 1
            continue
        item = {"path": _s(e.path), "expect": None, "skip": None}
        try:
            vals = values(e)
        except ExpectError as ex:
            item["skip"] = str(ex)
        else:
            if any(c in v for v in vals for c in (b"\n", b"\r", b"\0")):
                result["omitted"] += 1
                continue
            item["expect"] = _s(b"".join(v + b"\n" for v in vals))
        result["dump"].append(item)


def main(argv):
    if len(argv) < 3 or argv[1] not in ("ls", "dump", "plan") or \
            (argv[1] != "dump" and len(argv) != 3) or (argv[1] == "dump" and len(argv) < 4):
        sys.stderr.write(__doc__.split("\n\n")[1] + "\n")
        return 2
    cmd, path = argv[1], argv[2]
    out = sys.stdout.buffer
    if cmd == "plan":
        json.dump(plan(path), sys.stdout)
        sys.stdout.write("\n")
        return 0
    try:
        with open_file(path) as f:
            ents = entries(f)
            if cmd == "ls":
                out.write(listing(ents))
            else:
                out.write(dump_text(ents, [a.encode("utf-8", "surrogateescape")
                                           for a in argv[3:]]))
    except Exception as ex:  # noqa: BLE001 - one line like k2onnx's own errors
        sys.stderr.write("h5_expected: %s\n" % " ".join(str(ex).split()))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
