"""Sums, from a GNU ld map file, the bytes of the input sections one object file contributes to
the linked image (after --gc-sections): code (.text), constants (.rodata) and data (.data, .bss).
Usage: lib_size.py MAP OBJECT -> prints "text N rodata N data N bss N"."""
import re
import sys

def main():
    path, obj = sys.argv[1], sys.argv[2]
    sizes = {"text": 0, "rodata": 0, "data": 0, "bss": 0}
    lines = open(path).read().split("\n")
    start = next(i for i, l in enumerate(lines) if l.startswith("Linker script and memory map"))
    pending = None
    for line in lines[start:]:
        m = re.match(r"^ (\.[\w.$]+)\s*$", line)
        if m:
            pending = m.group(1)
            continue
        m = re.match(r"^ (\.[\w.$]+)?\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+)$", line)
        if m:
            name = m.group(1) or pending
            pending = None
            if not name or not m.group(4).endswith(obj):
                continue
            for kind in ("text", "rodata", "data", "bss"):
                if name == "." + kind or name.startswith("." + kind + "."):
                    sizes[kind] += int(m.group(3), 16)
        else:
            pending = None
    print(" ".join("%s %d" % (k, v) for k, v in sizes.items()))

main()
