#!/usr/bin/python3
"""Validate ONNX files and describe their graph inputs and outputs, for run_consumers.js.

usage: /usr/bin/python3 tests/consumers/onnx_info.py [--static] [--unrolled] FILE.onnx [FILE.onnx ...]

Prints one JSON object per file and line:
    {"file": F, "check": {"ok": true|false, "text": "..."},
     "inputs": [{"name", "type", "shape"}], "outputs": [...]}
`check` is tests/check_onnx.py's verdict (the same text it prints after OK/FAIL), with its
--static and --unrolled checks when those flags are given. `type` is a
numpy-style name (float32, int64, ...); `shape` lists ints for fixed dimensions and strings for
symbolic ones (null where the dimension is not given at all). Graph inputs that are also
initializers are left out: they are weights, not values a caller feeds.

All files run in one process so python and onnx start once per test run.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import check_onnx  # noqa: E402

TYPES = {1: "float32", 2: "uint8", 3: "int8", 5: "int16", 6: "int32", 7: "int64", 9: "bool",
         10: "float16", 11: "float64"}


def value_info(vi):
    tt = vi.type.tensor_type
    shape = None
    if tt.HasField("shape"):
        shape = []
        for d in tt.shape.dim:
            if d.HasField("dim_value"):
                shape.append(d.dim_value)
            elif d.HasField("dim_param"):
                shape.append(d.dim_param)
            else:
                shape.append(None)
    return {"name": vi.name, "type": TYPES.get(tt.elem_type, "type%d" % tt.elem_type), "shape": shape}


def describe(path, static, unrolled):
    import onnx
    info = {"file": path}
    try:
        info["check"] = {"ok": True, "text": check_onnx.check_file(path, static, unrolled)}
    except check_onnx.CheckError as e:
        info["check"] = {"ok": False, "text": str(e)}
    except Exception as e:  # noqa: BLE001 - one bad file must not stop the batch
        info["check"] = {"ok": False, "text": "unexpected " + check_onnx.one_line(e)}
    try:
        graph = onnx.load(path).graph
        weights = {t.name for t in graph.initializer}
        info["inputs"] = [value_info(v) for v in graph.input if v.name not in weights]
        info["outputs"] = [value_info(v) for v in graph.output]
    except Exception as e:  # noqa: BLE001
        info["error"] = check_onnx.one_line(e)
    return info


def main(argv):
    flags = [a for a in argv[1:] if a in ("--static", "--unrolled")]
    files = [a for a in argv[1:] if a not in flags]
    if not files:
        sys.stderr.write("usage: %s [--static] [--unrolled] FILE.onnx [FILE.onnx ...]\n" % argv[0])
        return 2
    for path in files:
        print(json.dumps(describe(path, "--static" in flags, "--unrolled" in flags)))
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
