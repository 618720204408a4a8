#!/usr/bin/python3
"""Dump the datasets of HDF5 groups to little-endian .npy files for the node test runner.

usage: /usr/bin/python3 tests/dump_h5_arrays.py OUTDIR GROUPS FILE.h5 [FILE.h5 ...]

GROUPS is a comma-separated list of group paths (e.g. "inputs,predictions"). For each FILE, the
datasets directly inside each group (in the file's own order) are written to
OUTDIR/<file basename>/<group>/<index>.npy and described in OUTDIR/<file basename>/manifest.json:

    {"file": "...", "groups": {"inputs": [{"name": "lstm_1_input", "npy": ".../0.npy",
                                             "shape": [25, 1, 1], "dtype": "<f4"}], ...},
     "missing": ["predictions"], "error": null}

A group that is absent is listed under "missing"; a file that cannot be read gets "error".
Prints one line per file: the manifest path. Exit status 0 unless the arguments are wrong.
"""
import json
import os
import sys


def dump(outdir, groups, path):
    import h5py
    import numpy as np

    base = os.path.basename(path)
    fdir = os.path.join(outdir, base)
    os.makedirs(fdir, exist_ok=True)
    manifest = {"file": path, "groups": {}, "missing": [], "error": None}
    try:
        with h5py.File(path, "r") as f:
            for g in groups:
                obj = f.get(g)
                if obj is None or not isinstance(obj, h5py.Group):
                    manifest["missing"].append(g)
                    continue
                gdir = os.path.join(fdir, g.replace("/", "_"))
                os.makedirs(gdir, exist_ok=True)
                entries = []
                for name, ds in obj.items():
                    if not isinstance(ds, h5py.Dataset):
                        continue
                    arr = np.asarray(ds[()])
                    if arr.dtype.kind == "f":
                        arr = arr.astype("<f8" if arr.dtype.itemsize > 4 else "<f4")
                    elif arr.dtype.kind in "iu":
                        arr = arr.astype("<i8" if arr.dtype.itemsize > 4 else "<i4")
                    else:
                        continue  # strings etc. are of no use to the runner
                    npy = os.path.join(gdir, "%d.npy" % len(entries))
                    np.save(npy, np.ascontiguousarray(arr), allow_pickle=False)
                    entries.append({"name": name, "npy": npy, "shape": list(arr.shape),
                                    "dtype": arr.dtype.str})
                manifest["groups"][g] = entries
    except Exception as e:  # noqa: BLE001 - report, do not abort the batch
        manifest["error"] = "%s: %s" % (type(e).__name__, " ".join(str(e).split()))
    mpath = os.path.join(fdir, "manifest.json")
    with open(mpath, "w") as fh:
        json.dump(manifest, fh, indent=1)
    return mpath


def main(argv):
    if len(argv) < 4:
        sys.stderr.write("usage: %s OUTDIR GROUPS FILE.h5 [FILE.h5 ...]\n" % argv[0])
        return 2
    outdir, groups = argv[1], [g for g in argv[2].split(",") if g]
    for path in argv[3:]:
        print(dump(outdir, groups, path))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
