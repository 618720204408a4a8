#!/usr/bin/python3
"""Validate ONNX files written by k2onnx.

usage: /usr/bin/python3 tests/check_onnx.py [--static] [--unrolled] FILE.onnx [FILE.onnx ...]

For every file, prints one line:
    OK <file>  [opset N ir I; ops=A,B,...]
    OK <file>  [opset N ir I; checker skipped: opset N; structural checks only; ops=A,B,...]
    FAIL <file>: <reason>
and exits 1 if any file failed (2 on a usage error).

Checks:
  * the file parses (onnx.load);
  * it imports the ai.onnx domain, and ir_version is exactly the minimum IR version for that
    opset (onnx helper VERSION_TABLE, see docs FACTS section 1);
  * ai.onnx opset <= 17 and ir_version <= 8: onnx.checker.check_model(m, full_check=True)
    (schema checks + strict shape inference). onnx 1.12 knows nothing newer, so for higher opsets
    the checker is skipped and only our own structural checks run (names defined before use,
    single assignment, graph outputs produced, initializers not duplicated).

  * the model records where it came from: producer k2onnx, metadata_props with unique keys
    among converter, converter_options, keras_backend, keras_version and source_file, where
    converter is "k2onnx <producer_version>" and converter_options starts with "opset=<opset>",
    and a doc_string naming the Keras model.

`ops=` lists the operator types used, subgraphs (Scan bodies) included, sorted.

  --static    every dimension of every graph input, output and value info (subgraphs included)
              is a number, and no Shape or ConstantOfShape computes a shape at run time (what
              --batch/--steps/--input-shape promise);
  --unrolled  no RNN, GRU, LSTM, Scan, Loop or If anywhere (what --unroll promises).

Runs all files in one process so python and onnx start only once.
"""
import sys

# Minimum IR version per ai.onnx opset (onnx helper.py VERSION_TABLE).
MIN_IR = {}
for _lo, _hi, _ir in ((7, 8, 3), (9, 9, 4), (10, 10, 5), (11, 11, 6), (12, 14, 7),
                      (15, 18, 8), (19, 20, 9), (21, 22, 10), (23, 23, 11)):
    for _o in range(_lo, _hi + 1):
        MIN_IR[_o] = _ir

CHECKER_MAX_OPSET = 17
CHECKER_MAX_IR = 8


class CheckError(Exception):
    pass


def ai_onnx_opset(model):
    versions = [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")]
    if not versions:
        raise CheckError("no ai.onnx entry in opset_import")
    if len(versions) > 1:
        raise CheckError("ai.onnx imported %d times in opset_import" % len(versions))
    return versions[0]


def unique_names(items, kind, where):
    """Names of graph inputs or initializers; each must be present and unique."""
    names = set()
    for item in items:
        if not item.name:
            raise CheckError("%s: %s without a name" % (where, kind))
        if item.name in names:
            raise CheckError("%s: duplicate %s '%s'" % (where, kind, item.name))
        names.add(item.name)
    return names


def structural_check(graph, where="graph"):
    """Cheap checks the onnx checker would also do; used when the checker cannot run."""
    defined = unique_names(graph.input, "graph input", where)
    inits = unique_names(graph.initializer, "initializer", where)
    defined |= inits
    for i, node in enumerate(graph.node):
        label = "%s: node %d (%s '%s')" % (where, i, node.op_type, node.name)
        if not node.op_type:
            raise CheckError("%s: empty op_type" % label)
        for name in node.input:
            if name and name not in defined:
                raise CheckError("%s: input '%s' not defined before use" % (label, name))
        for name in node.output:
            if not name:
                continue
            if name in defined:
                raise CheckError("%s: output '%s' assigned twice" % (label, name))
            defined.add(name)
        for attr in node.attribute:
            if attr.type == 0:
                raise CheckError("%s: attribute '%s' has no type" % (label, attr.name))
    if not graph.output:
        raise CheckError("%s: no graph outputs" % where)
    for vi in graph.output:
        if vi.name not in defined:
            raise CheckError("%s: graph output '%s' is never produced" % (where, vi.name))


def op_types(graph):
    """Operator types of a graph and of the graphs inside its nodes' attributes."""
    ops = set()
    for node in graph.node:
        ops.add(node.op_type)
        for attr in node.attribute:
            if attr.type == 5:  # GRAPH
                ops |= op_types(attr.g)
    return ops


LOOP_OPS = ("RNN", "GRU", "LSTM", "Scan", "Loop", "If")
RUNTIME_SHAPE_OPS = ("Shape", "ConstantOfShape")


def value_infos(graph, where="graph"):
    """(where, ValueInfoProto) of a graph and of the graphs inside its nodes' attributes."""
    for kind in ("input", "output", "value_info"):
        for vi in getattr(graph, kind):
            yield "%s %s" % (where, kind), vi
    for node in graph.node:
        for attr in node.attribute:
            if attr.type == 5:
                yield from value_infos(attr.g, "%s/%s" % (where, node.name))


def static_check(model):
    for where, vi in value_infos(model.graph):
        if not vi.type.tensor_type.HasField("shape"):
            raise CheckError("--static: %s '%s' has no shape" % (where, vi.name))
        for i, d in enumerate(vi.type.tensor_type.shape.dim):
            if not d.HasField("dim_value"):
                raise CheckError("--static: %s '%s' dimension %d is '%s', not a number"
                                 % (where, vi.name, i, d.dim_param))
    used = sorted(set(op_types(model.graph)) & set(RUNTIME_SHAPE_OPS))
    if used:
        raise CheckError("--static: shapes computed at run time (%s)" % ",".join(used))


def unrolled_check(model):
    used = sorted(set(op_types(model.graph)) & set(LOOP_OPS))
    if used:
        raise CheckError("--unrolled: the graph uses %s" % ",".join(used))


METADATA_KEYS = ("converter", "converter_options", "keras_backend", "keras_version", "source_file")


def metadata_check(model, opset):
    if model.producer_name != "k2onnx":
        raise CheckError("producer_name is %r, not 'k2onnx'" % model.producer_name)
    props = {}
    for p in model.metadata_props:
        if p.key in props:
            raise CheckError("metadata key %r appears twice" % p.key)
        if p.key not in METADATA_KEYS:
            raise CheckError("unexpected metadata key %r" % p.key)
        props[p.key] = p.value
    want = "k2onnx " + model.producer_version
    if props.get("converter") != want:
        raise CheckError("metadata converter is %r, want %r" % (props.get("converter"), want))
    opts = props.get("converter_options", "").split(" ")
    if opts[0] != "opset=%d" % opset:
        raise CheckError("metadata converter_options %r does not start with opset=%d"
                         % (props.get("converter_options"), opset))
    if not model.doc_string.startswith("Keras model '") or "converted by " + want not in model.doc_string:
        raise CheckError("doc_string %r does not name the Keras model and the converter" % model.doc_string)
    if "source_file" in props and " from %s, " % props["source_file"] not in model.doc_string:
        raise CheckError("doc_string %r does not name the source %r" % (model.doc_string, props["source_file"]))


def check_file(path, static=False, unrolled=False):
    import onnx
    try:
        model = onnx.load(path)
    except Exception as e:  # noqa: BLE001 - any parse problem is a failure of this file
        raise CheckError("onnx.load failed: %s" % one_line(e))
    opset = ai_onnx_opset(model)
    if opset not in MIN_IR:
        raise CheckError("ai.onnx opset %d is outside 7..23 (the range k2onnx writes)" % opset)
    metadata_check(model, opset)
    if static:
        static_check(model)
    if unrolled:
        unrolled_check(model)
    want_ir = MIN_IR[opset]
    if model.ir_version != want_ir:
        raise CheckError("ir_version %d does not match opset %d (expected %d)"
                         % (model.ir_version, opset, want_ir))
    if opset <= CHECKER_MAX_OPSET and model.ir_version <= CHECKER_MAX_IR:
        try:
            onnx.checker.check_model(model, full_check=True)
        except Exception as e:  # noqa: BLE001
            raise CheckError("check_model: %s" % one_line(e))
        return "opset %d ir %d; ops=%s" % (opset, model.ir_version, ",".join(sorted(op_types(model.graph))))
    structural_check(model.graph)
    return "opset %d ir %d; checker skipped: opset %d; structural checks only; ops=%s" % (
        opset, model.ir_version, opset, ",".join(sorted(op_types(model.graph))))


def one_line(e):
    text = " ".join(str(e).split())
    if len(text) > 400:
        text = text[:400] + "..."
    return "%s: %s" % (type(e).__name__, text) if text else type(e).__name__


def main(argv):
    flags = [a for a in argv[1:] if a in ("--static", "--unrolled")]
    files = [a for a in argv[1:] if a not in flags]
    if not files or files[0] in ("-h", "--help"):
        sys.stderr.write("usage: %s [--static] [--unrolled] FILE.onnx [FILE.onnx ...]\n" % argv[0])
        return 2
    failed = 0
    for path in files:
        try:
            note = check_file(path, "--static" in flags, "--unrolled" in flags)
            print("OK %s%s" % (path, "  [%s]" % note if note else ""))
        except CheckError as e:
            failed += 1
            print("FAIL %s: %s" % (path, e))
        except Exception as e:  # noqa: BLE001 - never let one file stop the batch
            failed += 1
            print("FAIL %s: unexpected %s" % (path, one_line(e)))
        sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
