#!/usr/bin/python3
"""Check that `k2onnx --ls` / `k2onnx --dump` refuse corrupted HDF5 files cleanly.

    /usr/bin/python3 tests/h5_corrupt.py [-v] [CASE ...]

Each case copies a fixture (tests/fixtures/h5, or a Keras fixture of tests/fixtures) into a
temporary directory, changes a few bytes, runs k2onnx on the copy and requires exit status 1,
exactly one stderr line, starting `k2onnx: ` and containing the case's expected text, and no
sanitizer report. A crash (signal, sanitizer report), a hang (TIMEOUT seconds) or any other exit
status fails the case. The same command must succeed on the unmodified fixture, so that what is
refused is the corruption and not the file.

Nothing is found at a fixed offset: object header and chunk addresses come from h5py's low-level
API, and the structures under them are followed as the HDF5 File Format Specification lays them
out, for the offset and length sizes the file declares. Before a byte of a checksummed (version 2)
structure is changed, the structure's extent is found by searching for the length whose Jenkins
lookup3 hash is stored right after it (a fractal heap direct block, whose checksum field sits
inside it, is hashed over its whole size with that field as zeros); the byte changed lies
strictly between the signature and the checksum, so the damage is one the checksum must catch.

Environment: K2ONNX (binary, default ./k2onnx of the repository); K2ONNX_EXPECT, the text every
message must contain instead of each case's own (for a build with K2ONNX_NO_ERROR_STRINGS, whose
messages are the result's text and the object).

Output: `PASS <case>` or `FAIL <case>: <reason>` (then the bytes changed and what k2onnx printed,
indented) per case, with -v the bytes and the message after PASS too; last `N passed, M failed`.
Exit status 1 if any case failed. CASE arguments run only the cases whose names contain them.
"""
import os
import subprocess
import sys
import tempfile
import time

import h5py

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from h5_expected import lookup3, superblock_offset  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
K2ONNX = os.environ.get("K2ONNX") or os.path.join(ROOT, "k2onnx")
EXPECT = os.environ.get("K2ONNX_EXPECT")
TIMEOUT = 30
UNDEF = 0xFFFFFFFFFFFFFFFF

SANITIZER_MARKS = (b"AddressSanitizer", b"LeakSanitizer", b"UndefinedBehaviorSanitizer",
                   b"MemorySanitizer", b"ThreadSanitizer", b"runtime error:")

# Header message types used below.
MSG_LINK_INFO = 0x02
MSG_LAYOUT = 0x08
MSG_CONTINUATION = 0x10
MSG_SYMBOL_TABLE = 0x11
MSG_ATTR_INFO = 0x15


class Broken(Exception):
    """A fixture does not have the structure a case needs: the case fails, naming it."""


# --- reading a fixture ----------------------------------------------------------------------

class Image:
    """The bytes of a fixture, with the address and length widths its superblock declares."""

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as fh:
            self.buf = fh.read()
        with h5py.File(path, "r") as f:
            self.so, self.sl = f.id.get_create_plist().get_sizes()
        self.base = superblock_offset(path)

    def uint(self, pos, n):
        if pos < 0 or pos + n > len(self.buf):
            raise Broken("%s: field at %d+%d is outside the file" % (self.name(), pos, n))
        return int.from_bytes(self.buf[pos:pos + n], "little")

    def addr(self, pos):
        """An address field; the all-ones undefined address is returned as UNDEF."""
        v = self.uint(pos, self.so)
        if v == (1 << (8 * self.so)) - 1:
            return UNDEF
        # Addresses are relative to the superblock (the end of a user block).
        return v + self.base

    def length(self, pos):
        return self.uint(pos, self.sl)

    def sig(self, pos, sig):
        if self.buf[pos:pos + len(sig)] != sig:
            raise Broken("%s: no %s signature at %d" % (self.name(), sig.decode(), pos))

    def name(self):
        return os.path.basename(self.path)

    def header(self, objpath):
        """Address of an object's header."""
        with h5py.File(self.path, "r") as f:
            info = h5py.h5o.get_info(f[objpath].id)
        if not hasattr(info, "addr"):
            raise Broken("this h5py/libhdf5 gives object tokens, not header addresses")
        return info.addr + self.base


def header_blocks(img, addr):
    """Message blocks of the object header at `addr`, continuations followed:
    (version, [(start of the block, end of its messages)], [(type, body position, body size)])."""
    buf = img.buf
    if buf[addr:addr + 4] == b"OHDR":
        flags = buf[addr + 5]
        pos = addr + 6 + (16 if flags & 0x20 else 0) + (4 if flags & 0x10 else 0)
        width = 1 << (flags & 3)
        first = img.uint(pos, width)
        blocks = [(pos + width, pos + width + first)]
        msg_head = 6 if flags & 0x04 else 4   # creation-order field in each message header
        version = 2
    elif buf[addr] == 1:
        blocks = [(addr + 16, addr + 16 + img.uint(addr + 8, 4))]
        msg_head = 8
        version = 1
    else:
        raise Broken("%s: no object header at %d" % (img.name(), addr))
    messages = []
    i = 0
    while i < len(blocks):
        pos, end = blocks[i]
        i += 1
        if len(blocks) > 64:
            raise Broken("%s: header at %d has a continuation cycle" % (img.name(), addr))
        while end - pos >= msg_head:
            if version == 1:
                mtype, size = img.uint(pos, 2), img.uint(pos + 2, 2)
            else:
                mtype, size = buf[pos], img.uint(pos + 1, 2)
            body = pos + msg_head
            messages.append((mtype, body, size))
            if mtype == MSG_CONTINUATION:
                cpos, clen = img.addr(body), img.length(body + img.so)
                if version == 1:
                    blocks.append((cpos, cpos + clen))
                else:  # OCHK signature first, checksum last
                    img.sig(cpos, b"OCHK")
                    blocks.append((cpos + 4, cpos + clen - 4))
            pos = body + size
    return version, blocks, messages


def message(img, addr, mtype):
    """(body position, size) of the first message of a type in a header."""
    for t, body, size in header_blocks(img, addr)[2]:
        if t == mtype:
            return body, size
    raise Broken("%s: header at %d has no message of type %#x" % (img.name(), addr, mtype))


def dense_storage(img, objpath, attrs):
    """(fractal heap, v2 B-tree name index) of an object's dense links or attributes."""
    body, _ = message(img, img.header(objpath), MSG_ATTR_INFO if attrs else MSG_LINK_INFO)
    flags = img.buf[body + 1]
    pos = body + 2 + ((2 if attrs else 8) if flags & 1 else 0)  # maximum creation index
    return img.addr(pos), img.addr(pos + img.so)


def chunk_index(img, dspath):
    """(index type, index address) of a dataset with a version 4 chunked layout."""
    body, _ = message(img, img.header(dspath), MSG_LAYOUT)
    buf = img.buf
    if buf[body] != 4 or buf[body + 1] != 2:
        raise Broken("%s: %s has no version 4 chunked layout" % (img.name(), dspath))
    flags, rank, width = buf[body + 2], buf[body + 3], buf[body + 4]
    pos = body + 5 + rank * width
    kind = buf[pos]
    info = {1: 4 + img.sl if flags & 2 else 0, 2: 0, 3: 1, 4: 5, 5: 6}.get(kind)
    if info is None:
        raise Broken("%s: %s has chunk index type %d" % (img.name(), dspath, kind))
    return kind, img.addr(pos + 1 + info)


class FractalHeap:
    def __init__(self, img, addr):
        img.sig(addr, b"FRHP")
        so, sl = img.so, img.sl
        self.addr = addr
        self.huge_btree = img.addr(addr + 14 + sl)
        pos = addr + 14 + sl + so + sl + so + 8 * sl   # past the free-space info and statistics
        self.width = img.uint(pos, 2)
        self.start_block = img.length(pos + 2)
        self.max_heap_bits = img.uint(pos + 2 + 2 * sl, 2)
        self.root = img.addr(pos + 2 + 2 * sl + 4)
        self.rows = img.uint(pos + 2 + 2 * sl + 4 + so, 2)
        self.off_size = (self.max_heap_bits + 7) // 8
        self.img = img

    def first_direct_block(self):
        """The direct block of heap offset 0; its size is the starting block size."""
        if self.rows == 0:
            return self.root
        self.img.sig(self.root, b"FHIB")
        return self.img.addr(self.root + 5 + self.img.so + self.off_size)


class BTree2:
    def __init__(self, img, addr):
        img.sig(addr, b"BTHD")
        node_size = img.uint(addr + 6, 4)
        self.rec_size = img.uint(addr + 10, 2)
        self.depth = img.uint(addr + 12, 2)
        self.root = img.addr(addr + 16)
        self.root_nrec = img.uint(addr + 16 + img.so, 2)
        # A child pointer is an address, then the child's record count in as many bytes as a
        # leaf's maximum record count needs.
        max_leaf = (node_size - 10) // self.rec_size
        self.nrec_size = max(1, (max_leaf.bit_length() + 7) // 8)
        self.img = img

    def first_leaf(self):
        """The leftmost leaf: a node's first child pointer follows its records."""
        node, nrec = self.root, self.root_nrec
        for _ in range(self.depth):
            self.img.sig(node, b"BTIN")
            ptr = node + 6 + nrec * self.rec_size
            node, nrec = self.img.addr(ptr), self.img.uint(ptr + self.img.so, self.nrec_size)
        self.img.sig(node, b"BTLF")
        return node


class ExtensibleArray:
    def __init__(self, img, addr):
        img.sig(addr, b"EAHD")
        so = img.so
        elem_size, max_bits, idx_elmts = img.buf[addr + 6], img.buf[addr + 7], img.buf[addr + 8]
        dblk_min, sblk_min_ptrs = img.buf[addr + 9], img.buf[addr + 10]
        self.iblock = img.addr(addr + 12 + 6 * img.sl)
        img.sig(self.iblock, b"EAIB")
        nsblks = 1 + max_bits - (dblk_min.bit_length() - 1)
        ib_nsblks = 2 * (sblk_min_ptrs.bit_length() - 1)
        ndblk_addrs = 2 * (sblk_min_ptrs - 1)
        dblks = self.iblock + 6 + so + idx_elmts * elem_size
        sblks = dblks + ndblk_addrs * so
        self.dblocks = [a for a in (img.addr(dblks + i * so) for i in range(ndblk_addrs))
                        if a != UNDEF]
        self.sblocks = [a for a in (img.addr(sblks + i * so)
                                    for i in range(max(0, nsblks - ib_nsblks))) if a != UNDEF]


def checked_extent(img, start, limit=8192):
    """Length of the bytes from `start` that the lookup3 checksum stored right after them
    covers (the first length that matches; a chance match is a 2^-32 event)."""
    buf = img.buf
    for n in range(8, min(limit, len(buf) - start - 4) + 1):
        if lookup3(buf[start:start + n]) == int.from_bytes(buf[start + n:start + n + 4], "little"):
            return n
    raise Broken("%s: no valid checksum within %d bytes of %d" % (img.name(), limit, start))


def inside_checksum(img, start, at=None):
    """A byte strictly between the 4-byte signature at `start` and the checksum: `at` when given
    (checked to be in range), else the middle of the covered bytes."""
    n = checked_extent(img, start)
    pos = start + 4 + (n - 4) // 2 if at is None else at
    if not start + 4 <= pos < start + n:
        raise Broken("%s: byte %d is not covered by the checksum of %d..%d"
                     % (img.name(), pos, start, start + n))
    return pos


# --- changes --------------------------------------------------------------------------------

class Change:
    """The new file content and a description of what differs from the fixture."""

    def __init__(self, img):
        self.data = bytearray(img.buf)
        self.notes = []

    def flip(self, pos, why):
        old = self.data[pos]
        self.data[pos] ^= 0xFF
        self.notes.append("byte %d (%s): %#04x -> %#04x" % (pos, why, old, self.data[pos]))
        return self

    def put(self, pos, value, why):
        old = bytes(self.data[pos:pos + len(value)])
        self.data[pos:pos + len(value)] = value
        self.notes.append("bytes %d..%d (%s): %s -> %s"
                          % (pos, pos + len(value) - 1, why, old.hex(), value.hex()))
        return self

    def put_addr(self, img, pos, addr, why):
        return self.put(pos, (addr - img.base).to_bytes(img.so, "little"), why)

    def reseal(self, start, n, why):
        """Stores a fresh checksum after the n bytes at `start`, so that only the structure's
        meaning is wrong."""
        return self.put(start + n, lookup3(bytes(self.data[start:start + n])).to_bytes(4, "little"),
                        why)

    def truncate(self, size):
        self.notes.append("file cut from %d to %d bytes" % (len(self.data), size))
        del self.data[size:]
        return self


# --- the cases ------------------------------------------------------------------------------
# Each returns a Change; CASES names the fixture, the arguments after the file and the expected
# text of the message.

def chunk_byte(dspath, index, where):
    """A byte of a stored chunk: `where` is 'middle', 'first' or a negative offset from its end."""
    def make(img):
        with h5py.File(img.path, "r") as f:
            info = f[dspath].id.get_chunk_info(index)
        start, size = info.byte_offset + img.base, info.size
        if size < 8:
            raise Broken("%s: chunk %d of %s has only %d bytes" % (img.name(), index, dspath, size))
        pos = {"middle": start + size // 2, "first": start}.get(where)
        if pos is None:
            pos = start + size + where
        return Change(img).flip(pos, "chunk %d of %s, %d-byte chunk at %d"
                                % (index, dspath, size, start))
    return make


def ohdr_body(objpath):
    def make(img):
        addr = img.header(objpath)
        img.sig(addr, b"OHDR")
        _, blocks, _ = header_blocks(img, addr)
        start, end = blocks[0]
        pos = inside_checksum(img, addr, start + (end - start) // 2)
        return Change(img).flip(pos, "message bytes of %s's OHDR at %d" % (objpath, addr))
    return make


def ochk_body(objpath):
    def make(img):
        addr = img.header(objpath)
        _, blocks, _ = header_blocks(img, addr)
        if len(blocks) < 2:
            raise Broken("%s: %s's header has no OCHK block" % (img.name(), objpath))
        start, end = blocks[1]
        pos = inside_checksum(img, start - 4, start + (end - start) // 2)
        return Change(img).flip(pos, "message bytes of %s's OCHK at %d" % (objpath, start - 4))
    return make


def dense(objpath, attrs, part):
    """A byte of one structure of an object's dense links or attributes."""
    def make(img):
        heap_addr, names_addr = dense_storage(img, objpath, attrs)
        heap = FractalHeap(img, heap_addr)
        what = "%s of %s's dense %s" % (part, objpath, "attributes" if attrs else "links")
        if part == "FRHP":
            start = heap.addr
        elif part == "FHIB":
            if heap.rows == 0:
                raise Broken("%s: %s has no indirect block" % (img.name(), what))
            start = heap.root
            img.sig(start, b"FHIB")
        elif part == "FHDB":
            return fhdb_object_byte(img, heap, what)
        elif part == "huge BTHD":
            start = heap.huge_btree
            if start == UNDEF:
                raise Broken("%s: %s: heap has no huge objects" % (img.name(), what))
            img.sig(start, b"BTHD")
        else:
            tree = BTree2(img, names_addr)
            if part == "BTHD":
                start = names_addr
            elif part == "BTIN":
                if tree.depth == 0:
                    raise Broken("%s: %s: the name index is a single leaf" % (img.name(), what))
                start = tree.root
            else:
                start = tree.first_leaf()
        return Change(img).flip(inside_checksum(img, start), "%s at %d" % (what, start))
    return make


def fhdb_object_byte(img, heap, what):
    """A byte of the first object in the heap's first direct block. The direct block checksum
    covers the whole block with its own field read as zeros."""
    block = heap.first_direct_block()
    img.sig(block, b"FHDB")
    field = block + 5 + img.so + heap.off_size
    data = bytearray(img.buf[block:block + heap.start_block])
    data[field - block:field - block + 4] = bytes(4)
    if lookup3(bytes(data)) != img.uint(field, 4):
        raise Broken("%s: %s: the direct block at %d has no valid checksum over %d bytes"
                     % (img.name(), what, block, heap.start_block))
    return Change(img).flip(field + 4 + 2, "%s at %d, object data" % (what, block))


def chunk_index_part(dspath, part):
    def make(img):
        kind, addr = chunk_index(img, dspath)
        want = {"FAHD": 3, "FADB": 3, "EAHD": 4, "EAIB": 4, "EASB": 4, "EADB": 4,
                "BTHD": 5, "BTLF": 5, "BTIN": 5}[part]
        if kind != want:
            raise Broken("%s: %s has chunk index type %d, not %d"
                         % (img.name(), dspath, kind, want))
        if part in ("FAHD", "EAHD", "BTHD"):
            start = addr
            img.sig(start, part.encode())
        elif part == "FADB":
            img.sig(addr, b"FAHD")
            start = img.addr(addr + 8 + img.sl)
            img.sig(start, b"FADB")
        elif part == "BTLF":
            start = BTree2(img, addr).first_leaf()
        elif part == "BTIN":
            start = BTree2(img, addr).root
            img.sig(start, b"BTIN")
        else:
            ea = ExtensibleArray(img, addr)
            blocks = {"EAIB": [ea.iblock], "EASB": ea.sblocks, "EADB": ea.dblocks}[part]
            if not blocks:
                raise Broken("%s: %s's extensible array has no %s" % (img.name(), dspath, part))
            start = blocks[0]
            img.sig(start, part.encode())
        return Change(img).flip(inside_checksum(img, start),
                                "%s of %s's chunk index at %d" % (part, dspath, start))
    return make


def superblock(field):
    """A byte of a version 2/3 superblock: of its stored checksum, or of the root group's
    header address (the field just before the checksum)."""
    def make(img):
        sb = img.base
        if img.buf[sb + 8] not in (2, 3):
            raise Broken("%s: superblock version %d" % (img.name(), img.buf[sb + 8]))
        n = checked_extent(img, sb)
        if field == "checksum":
            pos = sb + n + 1
        else:
            pos = inside_checksum(img, sb, sb + n - img.so)
        return Change(img).flip(pos, "superblock %s" % field)
    return make


def cut_in_half(img):
    return Change(img).truncate(len(img.buf) // 2)


def v1_continuations(img, addr):
    """[(message body position, target block start, length)] of a v1 header's continuations,
    and the header's blocks."""
    version, blocks, messages = header_blocks(img, addr)
    if version != 1:
        raise Broken("%s: header at %d is not version 1" % (img.name(), addr))
    conts = [(body, img.addr(body), img.length(body + img.so))
             for t, body, _ in messages if t == MSG_CONTINUATION]
    if not conts:
        raise Broken("%s: header at %d has no continuation message" % (img.name(), addr))
    return conts, blocks


def v1_loop(objpath, target):
    """Points a continuation of a v1 header back into the same header's chain. target: 'first'
    (the last continuation points to the first continuation block: a loop through the chain),
    'self' (the first continuation block continues into itself), 'head' (the header's first
    block, which holds the continuation, continues into itself)."""
    def make(img):
        addr = img.header(objpath)
        conts, blocks = v1_continuations(img, addr)
        if target == "first":
            if len(conts) < 2:
                raise Broken("%s: %s has a single continuation" % (img.name(), objpath))
            body, dest, n = conts[-1][0], conts[0][1], conts[0][2]
        elif target == "self":
            dest, end = blocks[1]
            n = end - dest
            inside = [b for b, _, _ in conts if dest <= b < end]
            if not inside:
                raise Broken("%s: %s's first continuation block does not continue"
                             % (img.name(), objpath))
            body = inside[0]
        else:
            dest, end = blocks[0]
            n = end - dest
            body = conts[0][0]
            if not dest <= body < end:
                raise Broken("%s: %s's continuation is not in its first block"
                             % (img.name(), objpath))
        ch = Change(img).put_addr(img, body, dest, "continuation address in %s's header at %d"
                                  % (objpath, addr))
        return ch.put(body + img.so, n.to_bytes(img.sl, "little"), "continuation length")
    return make


def v2_self_loop(objpath):
    """An OCHK block that continues into another one, pointed at itself instead, with its
    checksum recomputed: only the loop is wrong."""
    def make(img):
        addr = img.header(objpath)
        version, blocks, messages = header_blocks(img, addr)
        if version != 2:
            raise Broken("%s: %s's header is not version 2" % (img.name(), objpath))
        for start, end in blocks[1:]:
            for mtype, body, _ in messages:
                if mtype == MSG_CONTINUATION and start <= body < end:
                    ochk = start - 4
                    n = end + 4 - ochk
                    ch = Change(img).put_addr(img, body, ochk, "continuation address in %s's "
                                              "OCHK at %d" % (objpath, ochk))
                    ch.put(body + img.so, n.to_bytes(img.sl, "little"), "continuation length")
                    return ch.reseal(ochk, n - 4, "OCHK checksum")
        raise Broken("%s: no OCHK block of %s continues" % (img.name(), objpath))
    return make


def bt2_child_is_root(objpath):
    """The first child pointer of the root of an object's dense-link name index (a v2 B-tree of
    depth > 0) pointed at the root itself, the root's checksum recomputed. Read as a child, the
    root is hashed over the extent of a node one level down, so any clean refusal naming the
    v2 B-tree will do: what is tested is that the loop ends."""
    def make(img):
        _, names_addr = dense_storage(img, objpath, False)
        tree = BTree2(img, names_addr)
        if tree.depth == 0:
            raise Broken("%s: %s's name index is a single leaf" % (img.name(), objpath))
        img.sig(tree.root, b"BTIN")
        n = checked_extent(img, tree.root)
        ch = Change(img).put_addr(img, tree.root + 6 + tree.root_nrec * tree.rec_size, tree.root,
                                  "first child of %s's name index root at %d (depth %d)"
                                  % (objpath, tree.root, tree.depth))
        return ch.reseal(tree.root, n, "BTIN checksum")
    return make


def bt2_short_records(objpath):
    """The record size in the header of an object's dense-attribute name index (a single leaf)
    set to 8 bytes, the header's and the leaf's checksums recomputed for that size: a record then
    holds the heap ID but not the message flags byte that follows it."""
    def make(img):
        _, names_addr = dense_storage(img, objpath, True)
        tree = BTree2(img, names_addr)
        if tree.depth != 0:
            raise Broken("%s: %s's attribute name index is not a single leaf" % (img.name(), objpath))
        n = checked_extent(img, names_addr)
        ch = Change(img).put(names_addr + 10, (8).to_bytes(2, "little"),
                             "record size in %s's attribute name index header at %d" % (objpath, names_addr))
        ch.reseal(names_addr, n, "BTHD checksum")
        return ch.reseal(tree.root, 6 + tree.root_nrec * 8, "BTLF checksum over 8-byte records")
    return make


def symtab_btree_self(objpath, child):
    """In a symbol-table group's v1 B-tree root (level > 0), child pointer `child` (0 = first,
    -1 = last) pointed at the root itself."""
    def make(img):
        body, _ = message(img, img.header(objpath), MSG_SYMBOL_TABLE)
        root = img.addr(body)
        img.sig(root, b"TREE")
        node_type, level, entries = img.buf[root + 4], img.buf[root + 5], img.uint(root + 6, 2)
        if node_type != 0 or level == 0:
            raise Broken("%s: %s's B-tree root has type %d, level %d"
                         % (img.name(), objpath, node_type, level))
        i = child % entries
        # keys (one length each) alternate with child addresses after the two sibling addresses
        pos = root + 8 + 2 * img.so + img.sl + i * (img.so + img.sl)
        return Change(img).put_addr(img, pos, root, "child %d of %s's group B-tree root at %d "
                                    "(level %d, %d children)" % (i, objpath, root, level, entries))
    return make


def chunk_btree_self(dspath):
    """In a dataset's v1 chunk B-tree root (level > 0), the first child pointed at the root."""
    def make(img):
        body, _ = message(img, img.header(dspath), MSG_LAYOUT)
        if img.buf[body] != 3 or img.buf[body + 1] != 2:
            raise Broken("%s: %s has no version 3 chunked layout" % (img.name(), dspath))
        rank = img.buf[body + 2]  # dataset rank + 1
        root = img.addr(body + 3)
        img.sig(root, b"TREE")
        if img.buf[root + 4] != 1 or img.buf[root + 5] == 0:
            raise Broken("%s: %s's chunk B-tree root is not an inner node" % (img.name(), dspath))
        pos = root + 8 + 2 * img.so + 8 + 8 * rank   # after chunk size, filter mask, offsets
        return Change(img).put_addr(img, pos, root, "first child of %s's chunk B-tree root at %d"
                                    % (dspath, root))
    return make


# name, fixture, arguments after the file, expected text, change
CASES = [
    ("fletcher32 chunk byte", "h5/filters.h5", ["--dump", "/fletcher32_u8_1d"],
     "Fletcher-32 checksum mismatch", chunk_byte("/fletcher32_u8_1d", 1, "middle")),
    ("fletcher32 stored checksum", "h5/filters.h5", ["--dump", "/fletcher32_f64_2d"],
     "Fletcher-32 checksum mismatch", chunk_byte("/fletcher32_f64_2d", 0, -2)),
    ("gzip+shuffle+fletcher32 chunk byte", "h5/filters.h5",
     ["--dump", "/gzip_shuffle_fletcher_f32_2d"], "Fletcher-32 checksum mismatch",
     chunk_byte("/gzip_shuffle_fletcher_f32_2d", 2, "middle")),
    ("deflate adler32", "h5/filters.h5", ["--dump", "/gzip9_i32_1d_repetitive"], "deflate",
     chunk_byte("/gzip9_i32_1d_repetitive", 0, -1)),
    ("deflate stream middle", "h5/filters.h5", ["--dump", "/gzip9_i32_1d_repetitive"], "deflate",
     chunk_byte("/gzip9_i32_1d_repetitive", 0, "middle")),
    ("deflate dynamic block middle", "h5/filters.h5", ["--dump", "/gzip1_i32_1d_random"], "deflate",
     chunk_byte("/gzip1_i32_1d_random", 3, "middle")),
    ("deflate zlib header", "h5/filters.h5", ["--dump", "/gzip1_i32_1d_random"], "deflate",
     chunk_byte("/gzip1_i32_1d_random", 0, "first")),
    ("OHDR body", "h5/group_1000_latest.h5", ["--ls"], "object header checksum mismatch",
     ohdr_body("/big")),
    ("OHDR body of the root", "h5/latest_big_attr.h5", ["--ls"], "object header checksum mismatch",
     ohdr_body("/")),
    ("OCHK body", "h5/latest_big_attr.h5", ["--ls"], "continuation block checksum mismatch",
     ochk_body("/")),
    ("FRHP of dense links", "h5/group_1000_latest.h5", ["--ls"],
     "fractal heap header checksum mismatch", dense("/big", False, "FRHP")),
    ("FHIB of dense links", "h5/group_1000_latest.h5", ["--ls"],
     "fractal heap indirect block checksum mismatch", dense("/big", False, "FHIB")),
    ("FHDB of dense links", "h5/group_1000_latest.h5", ["--ls"],
     "fractal heap direct block checksum mismatch", dense("/big", False, "FHDB")),
    ("dense attribute records without flags", "h5/latest_big_attr.h5", ["--ls"],
     "dense attribute record has no message flags", bt2_short_records("/")),
    ("BTHD of dense links", "h5/group_1000_latest.h5", ["--ls"],
     "v2 B-tree header checksum mismatch", dense("/big", False, "BTHD")),
    ("BTIN of dense links", "h5/group_1000_latest.h5", ["--ls"],
     "v2 B-tree node checksum mismatch", dense("/big", False, "BTIN")),
    ("BTLF of dense links", "h5/group_1000_latest.h5", ["--ls"],
     "v2 B-tree node checksum mismatch", dense("/big", False, "BTLF")),
    ("FRHP of dense attributes", "h5/latest_big_attr.h5", ["--ls"],
     "fractal heap header checksum mismatch", dense("/hundred_attrs", True, "FRHP")),
    ("FHIB of dense attributes", "h5/latest_big_attr.h5", ["--ls"],
     "fractal heap indirect block checksum mismatch", dense("/hundred_attrs", True, "FHIB")),
    ("FHDB of dense attributes", "h5/latest_big_attr.h5", ["--ls"],
     "fractal heap direct block checksum mismatch", dense("/hundred_attrs", True, "FHDB")),
    ("BTLF of dense attributes", "h5/latest_big_attr.h5", ["--ls"],
     "v2 B-tree node checksum mismatch", dense("/hundred_attrs", True, "BTLF")),
    ("BTHD of a huge-object index", "h5/latest_big_attr.h5", ["--ls"],
     "v2 B-tree header checksum mismatch", dense("/", True, "huge BTHD")),
    ("FAHD", "h5/chunk_indexes_latest.h5", ["--dump", "/fixed_array"],
     "fixed array header checksum mismatch", chunk_index_part("/fixed_array", "FAHD")),
    ("FADB", "h5/chunk_indexes_latest.h5", ["--dump", "/fixed_array_gzip"],
     "fixed array data block checksum mismatch", chunk_index_part("/fixed_array_gzip", "FADB")),
    ("EAHD", "h5/chunk_indexes_latest.h5", ["--dump", "/extensible_array"],
     "extensible array header checksum mismatch", chunk_index_part("/extensible_array", "EAHD")),
    ("EAIB", "h5/chunk_indexes_latest.h5", ["--dump", "/extensible_array"],
     "extensible array index block checksum mismatch",
     chunk_index_part("/extensible_array", "EAIB")),
    ("EASB", "h5/chunk_indexes_latest.h5", ["--dump", "/extensible_array"],
     "extensible array super block checksum mismatch",
     chunk_index_part("/extensible_array", "EASB")),
    ("EADB", "h5/chunk_indexes_latest.h5", ["--dump", "/extensible_array"],
     "extensible array data block checksum mismatch",
     chunk_index_part("/extensible_array", "EADB")),
    ("BTHD of a chunk index", "h5/chunk_indexes_latest.h5", ["--dump", "/btree_v2_gzip"],
     "v2 B-tree header checksum mismatch", chunk_index_part("/btree_v2_gzip", "BTHD")),
    ("BTIN of a chunk index", "h5/chunk_indexes_latest.h5", ["--dump", "/btree_v2"],
     "v2 B-tree node checksum mismatch", chunk_index_part("/btree_v2", "BTIN")),
    ("BTLF of a chunk index", "h5/chunk_indexes_latest.h5", ["--dump", "/btree_v2"],
     "v2 B-tree node checksum mismatch", chunk_index_part("/btree_v2", "BTLF")),
    ("superblock v2 checksum field", "h5/group_1000_latest.h5", ["--ls"],
     "superblock checksum mismatch", superblock("checksum")),
    ("superblock v2 root address", "h5/latest_big_attr.h5", ["--ls"],
     "superblock checksum mismatch", superblock("root address")),
    ("truncated latest file", "h5/group_1000_latest.h5", ["--ls"], "truncated", cut_in_half),
    ("truncated earliest file", "h5/group_1000_earliest.h5", ["--ls"], "truncated", cut_in_half),
    ("v1 continuation loop through the chain", "h5/ints.h5", ["--ls"], "continuation",
     v1_loop("/", "first")),
    ("v1 continuation block into itself (Keras)", "k22_seq_rnn.h5", ["--ls"], "continuation",
     v1_loop("/", "self")),
    ("v1 first header block into itself", "h5/group_1000_earliest.h5", ["--ls"], "continuation",
     v1_loop("/big", "head")),
    ("v2 OCHK into itself, checksums valid", "h5/latest_big_attr.h5", ["--ls"], "continuation",
     v2_self_loop("/ordered_compact")),
    ("v2 B-tree first child is the root, checksum valid", "h5/group_1000_latest.h5", ["--ls"],
     "v2 B-tree", bt2_child_is_root("/big")),
    ("group B-tree first child is the root", "h5/group_1000_earliest.h5", ["--ls"], "B-tree",
     symtab_btree_self("/big", 0)),
    ("group B-tree last child is the root", "h5/group_1000_earliest.h5", ["--ls"], "B-tree",
     symtab_btree_self("/big", -1)),
    ("chunk B-tree first child is the root", "h5/chunk_btree_earliest.h5",
     ["--dump", "/many_chunks_i16"], "B-tree", chunk_btree_self("/many_chunks_i16")),
]


# --- running --------------------------------------------------------------------------------

class Run:
    def __init__(self, args):
        self.timed_out = False
        t0 = time.monotonic()
        try:
            r = subprocess.run([K2ONNX] + args, stdin=subprocess.DEVNULL, capture_output=True,
                               timeout=TIMEOUT)
            self.rc, self.out, self.err = r.returncode, r.stdout, r.stderr
        except subprocess.TimeoutExpired as ex:
            self.timed_out = True
            self.rc, self.out, self.err = None, ex.stdout or b"", ex.stderr or b""
        self.seconds = time.monotonic() - t0

    def stderr_text(self):
        lines = self.err.decode("utf-8", "replace").strip().splitlines()
        return " | ".join(lines[:3]) + (" | ..." if len(lines) > 3 else "") or "(empty)"

    def refusal_problem(self, expect):
        """None if this is a clean refusal whose message contains `expect`, else why not."""
        if self.timed_out:
            return "hang: no exit within %ds" % TIMEOUT
        if self.rc < 0:
            return "crash: killed by signal %d (stderr: %s)" % (-self.rc, self.stderr_text())
        for mark in SANITIZER_MARKS:
            if mark in self.err:
                return "sanitizer report: %s" % self.stderr_text()
        if self.rc != 1:
            return "exit status %d, want 1 (stderr: %s)" % (self.rc, self.stderr_text())
        lines = self.err.splitlines()
        if len(lines) != 1 or not lines[0].startswith(b"k2onnx: "):
            return "want one stderr line starting 'k2onnx: ', got: %s" % self.stderr_text()
        if expect.encode() not in lines[0]:
            return "message lacks '%s'" % expect
        return None


def message_of(run):
    return " | ".join(run.err.decode("utf-8", "replace").strip().splitlines())


def run_case(case, tmp, controls):
    """(ok, reason, details) of one case."""
    name, fixture, args, expect, make = case
    src = os.path.join(FIXTURES, fixture)
    details = []
    key = (src, tuple(args))
    if key not in controls:
        controls[key] = Run(args[:1] + [src] + args[1:])
    ctl = controls[key]
    if ctl.timed_out or ctl.rc != 0:
        return False, "the unmodified fixture already fails: %s" % (
            "hang" if ctl.timed_out else ctl.stderr_text()), details
    try:
        change = make(Image(src))
    except Broken as ex:
        return False, "cannot build the corruption: %s" % ex, details
    details.extend(change.notes)
    path = os.path.join(tmp, "%02d_%s" % (CASES.index(case), os.path.basename(fixture)))
    with open(path, "wb") as fh:
        fh.write(change.data)
    run = Run(args[:1] + [path] + args[1:])
    details.append("k2onnx %s (%.2fs): %s" % (" ".join(args[:1] + [fixture] + args[1:]),
                                              run.seconds, message_of(run) or "(no stderr)"))
    why = run.refusal_problem(EXPECT or expect)
    if why:
        return False, why, details
    return True, None, details


def check_cycle_listing():
    """links_types.h5 has hard-link cycles (/cycle/loop is /cycle, /cycle/sub/root_again is /):
    --ls must finish, list each such link once per path and not enter it."""
    src = os.path.join(FIXTURES, "h5", "links_types.h5")
    run = Run(["--ls", src])
    details = ["k2onnx --ls links_types.h5: exit %s in %.2fs" % (run.rc, run.seconds)]
    if run.timed_out:
        return False, "hang: no exit within %ds" % TIMEOUT, details
    if run.rc != 0 or run.err:
        return False, "exit status %s, stderr: %s" % (run.rc, run.stderr_text()), details
    lines = run.out.splitlines()
    paths = [ln.split(b"\t")[0] for ln in lines]
    if len(set(lines)) != len(lines):
        return False, "some lines are listed twice", details
    for loop in (b"/cycle/loop", b"/cycle/sub/root_again"):
        if paths.count(loop) != 1:
            return False, "%s is listed %d times, want once" % (loop.decode(),
                                                                paths.count(loop)), details
        if not any(ln.startswith(loop + b"\tgroup\t") for ln in lines):
            return False, "%s is not listed as a group" % loop.decode(), details
        inside = [p for p in paths if p.startswith(loop + b"/")]
        if inside:
            return False, "%s was entered: %s" % (loop.decode(), inside[0].decode()), details
    details.append("%d entries, both cycle links listed once and not entered" % len(lines))
    return True, None, details


def main(argv):
    sys.stdout.reconfigure(errors="backslashreplace", line_buffering=True)
    verbose = "-v" in argv[1:]
    only = [a for a in argv[1:] if a != "-v"]
    if not os.access(K2ONNX, os.X_OK):
        print("FAIL k2onnx: %s is not an executable (build it first, or set K2ONNX)" % K2ONNX)
        print("0 passed, 1 failed")
        return 1
    checks = [(c[0], c) for c in CASES]
    checks.append(("hard-link cycles listed once", None))
    passed = failed = 0
    controls = {}
    with tempfile.TemporaryDirectory(prefix="h5_corrupt") as tmp:
        for name, case in checks:
            if only and not any(o in name for o in only):
                continue
            if case is None:
                ok, why, details = check_cycle_listing()
            else:
                ok, why, details = run_case(case, tmp, controls)
            if ok:
                passed += 1
                print("PASS %s" % name)
            else:
                failed += 1
                print("FAIL %s: %s" % (name, why))
            if verbose or not ok:
                for d in details:
                    print("    " + d)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
