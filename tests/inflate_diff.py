#!/usr/bin/python3
"""The inflater and checksums of k2onnx.h against Python's zlib (the reference implementation).

usage: /usr/bin/python3 tests/inflate_diff.py [INFLATE_CHECK]   (default build/inflate_check)

All jobs go to one inflate_check process (tests/inflate_check.c).

Streams are made by zlib itself over data of every kind a model file holds (float weights,
text, zeros, random bytes, an HDF5 file) with every level, strategy, window and memory level and
with flushes that split the data into stored, fixed and dynamic blocks. Each must inflate to the
very bytes zlib inflates, in zlib and raw (ZIP) form; a buffer one byte short must be an error,
and so must every truncation. Corrupted streams (bit flips) must never crash: whenever zlib still
inflates them, the result must be zlib's. CRC-32 and Adler-32 must equal zlib's, Fletcher-32 a
port of HDF5's H5_checksum_fletcher32. One test per line; ends with "N passed, M failed".
"""
import os
import random
import struct
import subprocess
import sys
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOL = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "inflate_check")
passed = failed = 0


def report(ok, name, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("PASS", name)
    else:
        failed += 1
        print("FAIL", name, detail)


class Batch:
    """Jobs for one inflate_check process; results() runs them all."""

    def __init__(self):
        self.jobs = []

    def add(self, kind, cap, data):
        self.jobs.append(struct.pack("<cII", kind.encode()[:1], cap, len(data)) + data)
        return len(self.jobs) - 1

    def results(self):
        p = subprocess.run([TOOL], input=b"".join(self.jobs), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, at, res = p.stdout, 0, []
        while len(out) - at >= 5:
            status, n = struct.unpack_from("<BI", out, at)
            res.append((status, out[at + 5:at + 5 + n]))
            at += 5 + n
        if p.returncode != 0 or len(res) != len(self.jobs):
            report(False, "inflate_check ran %d jobs" % len(self.jobs),
                   "exit %d after %d results: %s" % (p.returncode, len(res), p.stderr.decode(errors="replace")[-2000:]))
            res += [(9, b"(not run)")] * (len(self.jobs) - len(res))
        return res


def datasets():
    rng = random.Random(1234)
    floats = struct.pack("<%df" % 60000, *[rng.gauss(0.0, 0.05) for _ in range(60000)])
    text = b"".join(b"layer %d: LSTM(units=%d, return_sequences=True)\n" % (i, 16 + i % 7) for i in range(3000))
    fixture = open(os.path.join(ROOT, "tests", "fixtures", "k22_lstm_state.h5"), "rb").read()
    return [
        ("empty", b""),
        ("one-byte", b"k"),
        ("zeros", bytes(200000)),
        ("period-3", b"abc" * 30000),
        ("text", text),
        ("random", bytes(rng.getrandbits(8) for _ in range(70000))),
        ("float32", floats),
        ("hdf5-file", fixture),
        ("mixed", bytes(5000) + floats[:100000] + text[:50000] + bytes(rng.getrandbits(8) for _ in range(3000))),
    ]


def compress(data, level, wbits, strategy=zlib.Z_DEFAULT_STRATEGY, mem=8, pieces=1, flush=zlib.Z_SYNC_FLUSH):
    c = zlib.compressobj(level, zlib.DEFLATED, wbits, mem, strategy)
    out = []
    step = max(1, len(data) // pieces)
    for i in range(0, len(data), step):
        out.append(c.compress(data[i:i + step]))
        if pieces > 1:
            out.append(c.flush(flush))
    out.append(c.flush())
    return b"".join(out)


def settings():
    for level in range(10):
        yield "level %d" % level, dict(level=level)
    for name, strategy in (("filtered", zlib.Z_FILTERED), ("huffman-only", zlib.Z_HUFFMAN_ONLY), ("rle", zlib.Z_RLE),
                           ("fixed", zlib.Z_FIXED)):
        yield name, dict(level=6, strategy=strategy)
    yield "window 2^9, memlevel 1", dict(level=9, wbits=9, mem=1)
    yield "memlevel 9", dict(level=9, mem=9)
    yield "7 sync-flushed pieces", dict(level=6, pieces=7)
    yield "5 full-flushed pieces", dict(level=1, pieces=5, flush=zlib.Z_FULL_FLUSH)


def check_stream(batch, checks, name, data, stream, kind):
    k = kind[0]
    checks.append((batch.add(k, len(data), stream), "ok", data, "%s (%s)" % (name, kind)))
    if data:
        checks.append((batch.add(k, len(data) - 1, stream), "short", None, "%s (%s), buffer one byte short" % (name, kind)))


def judge(results, checks):
    for i, want, data, name in checks:
        status, out = results[i]
        if want == "ok":
            report(status == 0 and out == data, name, "status %d, %d bytes %s" % (status, len(out), out[:80] if status else ""))
        elif want == "short":
            report(status == 1 and b"larger than" in out, name, "status %d %s" % (status, out[:80]))


def main():
    if not os.access(TOOL, os.X_OK):
        report(False, "inflate_check is built", TOOL)
        print("%d passed, %d failed" % (passed, failed))
        return 1
    sets = datasets()
    streams, batch, checks = [], Batch(), []
    for dname, data in sets:
        for sname, kw in settings():
            wbits = kw.pop("wbits", 15)
            z = compress(data, wbits=wbits, **kw)
            raw = compress(data, wbits=-wbits, **kw)
            name = "%s, %s" % (dname, sname)
            check_stream(batch, checks, name, data, z, "zlib")
            check_stream(batch, checks, name, data, raw, "raw")
            streams.append((name, data, z, raw))

    # Every truncation of small streams, a spread of them for the large ones: always an error.
    truncations = []
    for name, data, z, raw in streams[::7]:
        for kind, s in (("zlib", z), ("raw", raw)):
            cuts = range(len(s)) if len(s) <= 300 else sorted(set([0, 1, 2, len(s) - 1, len(s) - 2, len(s) - 5] +
                                                                  [len(s) * k // 40 for k in range(40)]))
            truncations.append(("%s (%s): %d truncations fail" % (name, kind, len(cuts)), list(cuts),
                                [batch.add(kind[0], len(data), s[:n]) for n in cuts]))

    # Bit flips: never a crash; when zlib accepts the stream, the same bytes.
    rng = random.Random(99)
    flips = []
    for name, data, z, raw in streams[::3]:
        for kind, s, wbits in (("zlib", z, 15), ("raw", raw, -15)):
            if not s:
                continue
            copies = []
            for _ in range(12):
                b = bytearray(s)
                for _ in range(rng.choice((1, 1, 2, 8))):
                    i = rng.randrange(len(b))
                    b[i] ^= 1 << rng.randrange(8)
                b = bytes(b)
                try:
                    d = zlib.decompressobj(wbits)
                    ref = d.decompress(b) + d.flush()
                    ref = ref if d.eof and len(ref) <= len(data) else None
                except zlib.error:
                    ref = None
                copies.append((batch.add(kind[0], len(data), b), ref))
            flips.append(("%s (%s): 12 corrupted copies" % (name, kind), copies))

    # Checksums.
    rng = random.Random(7)
    # 12288 bytes and more: three 4096-byte blocks' CRCs run side by side, then join
    blobs = [bytes(rng.getrandbits(8) for _ in range(n)) for n in list(range(0, 70)) + [5551, 5552, 5553, 12287, 12288, 12289, 24593, 100003]]
    blobs += [b"\xff" * 1000003, b"123456789"] + [d for _, d in sets]
    sums = [(batch.add("s", 0, blob), blob) for blob in blobs]

    results = batch.results()
    judge(results, checks)
    for name, cuts, ids in truncations:
        bad = [n for n, i in zip(cuts, ids) if results[i][0] != 1]
        report(not bad, name, "accepted at %s" % bad[:5])
    for name, copies in flips:
        problems = ["zlib inflates %d bytes, k2onnx status %d %s" % (len(ref), results[i][0], results[i][1][:80])
                    for i, ref in copies if ref is not None and results[i] != (0, ref)]
        problems += ["status %d" % results[i][0] for i, ref in copies if results[i][0] not in (0, 1)]
        report(not problems, name, "; ".join(problems[:3]))
    for n, (i, blob) in enumerate(sums):
        want = "%08x %08x %08x" % (zlib.crc32(blob), zlib.adler32(blob), fletcher32(blob))
        got = results[i][1].decode(errors="replace")
        report(results[i][0] == 0 and got == want, "checksums of blob %d (%d bytes)" % (n, len(blob)), "got %s want %s" % (got, want))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


def fletcher32(b):
    """HDF5's H5_checksum_fletcher32, ported line by line."""
    sum1 = sum2 = 0
    words, p = len(b) // 2, 0
    while words:
        tlen = min(words, 360)
        words -= tlen
        for _ in range(tlen):
            sum1 += (b[p] << 8) | b[p + 1]
            p += 2
            sum2 += sum1
        sum1 = (sum1 & 0xffff) + (sum1 >> 16)
        sum2 = (sum2 & 0xffff) + (sum2 >> 16)
    if len(b) % 2:
        sum1 += b[p] << 8
        sum2 += sum1
        sum1 = (sum1 & 0xffff) + (sum1 >> 16)
        sum2 = (sum2 & 0xffff) + (sum2 >> 16)
    sum1 = (sum1 & 0xffff) + (sum1 >> 16)
    sum2 = (sum2 & 0xffff) + (sum2 >> 16)
    return (sum2 << 16) | sum1


if __name__ == "__main__":
    sys.exit(main())
