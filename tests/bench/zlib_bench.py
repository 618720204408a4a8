#!/usr/bin/python3
"""zlib's side of the codec benchmark (`make bench`): the figures tests/bench/codec_bench.c prints
for k2onnx, measured the same way on Python's zlib module (the zlib C library underneath).

usage: /usr/bin/python3 tests/bench/zlib_bench.py DATA ZLIB_STREAM

Prints "crc32 MB/s", "adler32 MB/s" and "inflate MB/s" (MB of DATA per second), each the best of 5
rounds of at least 0.2 s.
"""
import sys
import time
import zlib


def mb_per_s(n, fn):
    best = 0.0
    for _ in range(5):
        t0, reps = time.perf_counter(), 0
        while True:
            fn()
            reps += 1
            t = time.perf_counter() - t0
            if t >= 0.2:
                break
        best = max(best, n * reps / t / 1e6)
    return best


def main():
    data = open(sys.argv[1], "rb").read()
    stream = open(sys.argv[2], "rb").read()
    if zlib.decompress(stream) != data:
        sys.exit("the stream does not inflate to DATA")
    print("crc32 %.0f" % mb_per_s(len(data), lambda: zlib.crc32(data)))
    print("adler32 %.0f" % mb_per_s(len(data), lambda: zlib.adler32(data)))
    print("inflate %.0f" % mb_per_s(len(data), lambda: zlib.decompress(stream)))


if __name__ == "__main__":
    main()
