#!/usr/bin/python3
"""Check `k2onnx --ls` and `k2onnx --dump` against h5py on HDF5 files.

    /usr/bin/python3 tests/run_h5_compare.py [FILE|DIR ...]

Default: tests/fixtures/h5, plus ../shared/corpus/hdf5 and ../shared/corpus/keras when present
(relative to the repository root; K2ONNX_CORPUS names another corpus directory, as for
tests/run_e2e.js). Directories are searched recursively; files without an HDF5
signature (at offset 0, 512, 1024, 2048, ...) such as .keras zips and .json are ignored.

Environment: K2ONNX (binary, default ./k2onnx of the repository), K2ONNX_TIMEOUT (seconds per
k2onnx call, default 60), H5_COMPARE_JOBS (files checked at once, default min(8, CPUs)).

For each file the expected output comes from tests/h5_expected.py (run as a separate process so
that a libhdf5 crash on a strange file cannot take the runner down). Then:
  1. `k2onnx --ls FILE` must print exactly the expected listing;
  2. every integer and float dataset/attribute, and every string one without newline/CR/NUL in
     its values, is dumped with one batched `k2onnx --dump FILE PATH...` call (per-path calls
     when the batch fails or differs, to name the path and its message); the text must match.
A path whose values h5py cannot read (e.g. a filter plugin is missing) is not compared (SKIP).
A file that h5py cannot open is skipped when k2onnx reads it.

Refusals: k2onnx may refuse a file or a path (exit status 1 and `k2onnx: <message>` on stderr)
only if tests/h5_refused.txt lists it: `<file basename>\\t<path or *>\\t<message substring>`.
`*` covers the file as a whole: `--ls`, or any path of it that has no entry of its own (so one
line covers e.g. a file whose every dataset uses an unsupported filter). A listed refusal that
no longer happens (a path entry whose path is dumped fine or is not dumped at all, a `*` entry
with nothing refused) fails as a stale entry. A crash (signal, timeout, sanitizer report) or any
other failure (exit status other than 1, no `k2onnx: ` line) always fails.

Output, one line per file (plus indented details after a FAIL, and REFUSED/SKIP lines for paths):
    PASS <basename> (<n> entries, <m> values compared)    m counts datasets/attributes
    FAIL <basename>: <reason>
    REFUSED <basename> <path>: <message>                    expected refusal (a pass)
    SKIP <basename>[ <path>]: <reason>                       not compared
and last `N passed, M failed` (files; skipped files are in neither). Exit status 1 if any failed.
"""
import concurrent.futures
import difflib
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from h5_expected import superblock_offset  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXPECTED_TOOL = os.path.join(ROOT, "tests", "h5_expected.py")
REFUSED_LIST = os.path.join(ROOT, "tests", "h5_refused.txt")
CORPUS = os.path.abspath(os.environ.get("K2ONNX_CORPUS")
                         or os.path.join(ROOT, "..", "shared", "corpus"))
DEFAULT_INPUTS = [os.path.join(ROOT, "tests", "fixtures", "h5"),
                  os.path.join(CORPUS, "hdf5"), os.path.join(CORPUS, "keras")]

K2ONNX = os.environ.get("K2ONNX") or os.path.join(ROOT, "k2onnx")
TIMEOUT = float(os.environ.get("K2ONNX_TIMEOUT") or 60)
JOBS = int(os.environ.get("H5_COMPARE_JOBS") or min(8, os.cpu_count() or 1))
PLAN_TIMEOUT = 600      # h5py on the largest corpus file takes about a second
MAX_DIFF_LINES = 20
MAX_DETAIL_LINES = 40   # per file, so a broken build does not flood the log
MAX_NOTE_LINES = 10     # REFUSED / SKIP path lines per file
MAX_BATCH_ARG_BYTES = 100000  # split --dump batches well below ARG_MAX

SANITIZER_MARKS = (b"AddressSanitizer", b"LeakSanitizer", b"UndefinedBehaviorSanitizer",
                   b"MemorySanitizer", b"ThreadSanitizer", b"runtime error:")


def enc(s):
    """Paths and texts travel as str with surrogateescape (see h5_expected.py); back to bytes."""
    return s.encode("utf-8", "surrogateescape")


def is_hdf5(path):
    """True if the HDF5 signature is at 0 or at a power of two >= 512 (after a user block)."""
    try:
        return superblock_offset(path) is not None
    except OSError:
        return False


def collect(inputs):
    files = []
    for p in inputs:
        if os.path.isdir(p):
            for d, subdirs, names in os.walk(p):
                subdirs.sort()
                files.extend(os.path.join(d, n) for n in sorted(names))
        else:
            files.append(p)
    return files


# --- tests/h5_refused.txt -------------------------------------------------------------------

class Refusal:
    def __init__(self, lineno, file, path, substring):
        self.lineno = lineno
        self.file = file
        self.path = path          # '*' = the whole file
        self.substring = substring

    def where(self):
        return "h5_refused.txt:%d" % self.lineno


def load_refusals(path):
    """{basename: {path: Refusal}}, and a list of problems with the file itself."""
    table, problems = {}, []
    if not os.path.exists(path):
        return table, problems
    with open(path, encoding="utf-8", errors="surrogateescape") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            fields = line.split("\t")
            if len(fields) != 3 or not fields[0] or not fields[1]:
                problems.append("h5_refused.txt:%d: want 3 tab-separated fields "
                                "(file, path or *, message substring)" % lineno)
                continue
            per_file = table.setdefault(fields[0], {})
            if fields[1] in per_file:
                problems.append("h5_refused.txt:%d: duplicate of line %d"
                                % (lineno, per_file[fields[1]].lineno))
                continue
            per_file[fields[1]] = Refusal(lineno, *fields)
    return table, problems


# --- running things -------------------------------------------------------------------------

class Call:
    """Outcome of one k2onnx run."""

    def __init__(self, args):
        self.args = args
        self.timed_out = False
        try:
            r = subprocess.run([K2ONNX] + args, stdin=subprocess.DEVNULL, capture_output=True,
                               timeout=TIMEOUT)
            self.rc, self.out, self.err = r.returncode, r.stdout, r.stderr
        except subprocess.TimeoutExpired as ex:
            self.timed_out = True
            self.rc, self.out, self.err = None, ex.stdout or b"", ex.stderr or b""
        except OSError as ex:
            self.rc, self.out, self.err = 127, b"", ("cannot run %s: %s" % (K2ONNX, ex)).encode()

    def crash(self):
        """Why this run counts as a crash, or None."""
        if self.timed_out:
            return "timed out after %gs" % TIMEOUT
        if self.rc < 0:
            return "killed by signal %d" % -self.rc
        for mark in SANITIZER_MARKS:
            if mark in self.err:
                line = next(ln for ln in self.err.splitlines() if mark in ln)
                return "sanitizer report: %s" % line.decode("utf-8", "replace").strip()[:200]
        return None

    def message(self):
        """The text after `k2onnx: ` of the first such stderr line, or None."""
        for ln in self.err.splitlines():
            if ln.startswith(b"k2onnx: "):
                return ln[len(b"k2onnx: "):].decode("utf-8", "replace")
        return None

    def failure(self):
        """None if the run succeeded; else ("refused", message) for a clean refusal (exit 1 with
        the message line) or ("bad", reason) for anything else."""
        why = self.crash()
        if why:
            return ("bad", why)
        if self.rc == 0:
            return None
        msg = self.message()
        if self.rc == 1 and msg is not None:
            return ("refused", msg)
        tail = self.err.decode("utf-8", "replace").strip().splitlines()
        return ("bad", "exit status %d, stderr: %s" % (self.rc, " | ".join(tail[:3]) or "(empty)"))


def get_plan(path):
    try:
        r = subprocess.run([sys.executable, EXPECTED_TOOL, "plan", path], capture_output=True,
                           stdin=subprocess.DEVNULL, timeout=PLAN_TIMEOUT)
    except subprocess.TimeoutExpired:
        return {"error": "h5_expected.py timed out", "tool_failed": True}
    if r.returncode != 0:
        tail = r.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        return {"error": "h5_expected.py failed (exit status %d): %s" % (r.returncode, tail[0]),
                "tool_failed": True}
    return json.loads(r.stdout)


def short_diff(expected, actual):
    """At most MAX_DIFF_LINES of unified diff around the first difference (bytes in, str out).

    Only a window after the common prefix is diffed: outputs can have millions of lines."""
    exp, act = expected.splitlines(), actual.splitlines()
    i = 0
    while i < len(exp) and i < len(act) and exp[i] == act[i]:
        i += 1
    lo = max(0, i - 2)
    window = MAX_DIFF_LINES * 4
    e = [x.decode("utf-8", "backslashreplace") for x in exp[lo:i + window]]
    a = [x.decode("utf-8", "backslashreplace") for x in act[lo:i + window]]
    lines = list(difflib.unified_diff(e, a, "h5py (line %d on)" % (lo + 1),
                                      "k2onnx (line %d on)" % (lo + 1), n=2, lineterm=""))
    if len(lines) > MAX_DIFF_LINES:
        lines = lines[:MAX_DIFF_LINES] + ["... (diff cut)"]
    if len(exp) != len(act):
        lines.append("(h5py: %d lines, k2onnx: %d lines)" % (len(exp), len(act)))
    return lines


# --- one file -------------------------------------------------------------------------------

class Result:
    def __init__(self, path):
        self.base = os.path.basename(path)
        self.star_used = False    # the file's `*` refusal entry matched something
        self.status = "pass"      # pass / fail / skip
        self.head = ""            # text after "FAIL <base>: " or "SKIP <base>: "
        self.details = []         # indented lines after FAIL
        self.notes = []           # REFUSED / SKIP lines for paths, printed first
        self.entries = 0
        self.compared = 0
        self.skipped = []         # (path, why) not compared
        self.refused_file = False  # the REFUSED line then stands for the file

    def fail(self, reason, details=()):
        if self.status != "fail":
            self.status, self.head = "fail", reason
        else:
            self.details.append(reason)
        self.details.extend("  " + d for d in details)

    def lines(self):
        out = self.notes[:MAX_NOTE_LINES]
        if len(self.notes) > MAX_NOTE_LINES:
            out.append("REFUSED %s: ... and %d more paths" % (self.base,
                                                            len(self.notes) - MAX_NOTE_LINES))
        for p, why in self.skipped[:MAX_NOTE_LINES]:
            out.append("SKIP %s %s: %s" % (self.base, p, why))
        if len(self.skipped) > MAX_NOTE_LINES:
            out.append("SKIP %s: ... and %d more paths" % (self.base,
                                                         len(self.skipped) - MAX_NOTE_LINES))
        if self.status == "pass":
            if not self.refused_file:
                out.append("PASS %s (%d entries, %d values compared)"
                           % (self.base, self.entries, self.compared))
        elif self.status == "skip":
            out.append("SKIP %s: %s" % (self.base, self.head))
        else:
            out.append("FAIL %s: %s" % (self.base, self.head))
            d = self.details
            if len(d) > MAX_DETAIL_LINES:
                d = d[:MAX_DETAIL_LINES] + ["  ... (%d more lines)" % (len(d) - MAX_DETAIL_LINES)]
            out.extend("    " + x for x in d)
        return out


def check_refusal(res, refusal, what, msg):
    """A clean refusal of `what` ('*' or a path): pass if listed with a matching substring."""
    if refusal is None:
        res.fail("k2onnx refused %s: %s" % ("the file" if what == "*" else what, msg))
    elif refusal.substring not in msg:
        res.fail("k2onnx refused %s with '%s', but %s expects '%s'"
                 % ("the file" if what == "*" else what, msg, refusal.where(),
                    refusal.substring))
    else:
        res.notes.append("REFUSED %s %s: %s" % (res.base, what, msg))
        if refusal.path == "*":
            res.star_used = True
        return True
    return False


def check_file(path, refusals):
    res = Result(path)
    listed = refusals.get(res.base, {})
    plan = get_plan(path)
    if plan.get("tool_failed"):
        res.fail(plan["error"])
        return res

    ls = Call(["--ls", path])
    f = ls.failure()
    star = listed.get("*")
    if f and f[0] == "bad":
        res.fail("--ls: " + f[1])
        return res
    if f:  # clean refusal of the whole file
        if check_refusal(res, star, "*", f[1]):
            res.refused_file = True
        elif plan["error"]:
            res.details.append("(h5py cannot read it either: %s)" % plan["error"])
        return res
    if plan["error"]:  # k2onnx read it, but there is nothing to compare with
        res.status, res.head = "skip", plan["error"]
        return res

    res.entries = plan["entries"]
    expected_ls = enc(plan["ls"])
    if ls.out != expected_ls:
        res.fail("--ls differs from h5py", short_diff(expected_ls, ls.out))

    check_dumps(res, plan, listed)
    if star and not res.star_used:
        res.fail("stale %s entry: k2onnx refused neither --ls nor any path" % star.where())
    return res


def check_dumps(res, plan, listed):
    dumped = {d["path"] for d in plan["dump"]}
    for p, r in listed.items():
        if p != "*" and p not in dumped:
            res.fail("stale %s entry: %s is not a dumped path of this file" % (r.where(), p))
    # Known refusals and paths h5py cannot read are checked one by one: each is expected to
    # fail or cannot be compared, and either would spoil the batch.
    batch, single = [], []
    for d in plan["dump"]:
        (batch if d["expect"] is not None and d["path"] not in listed else single).append(d)

    for group in split_batches(batch):
        call = Call(["--dump", plan["file"]] + [enc(d["path"]) for d in group])
        expected = b"".join(block(d, len(group) > 1) for d in group)
        if call.failure() is None and call.out == expected:
            res.compared += len(group)
            continue
        # Find the culprit(s) path by path; if every path alone matches, blame the batch.
        alone_ok = [check_single(res, plan, d, listed.get("*")) for d in group]
        if all(alone_ok):
            f = call.failure()
            if f:
                res.fail("batched --dump of %d paths failed (%s) though each path alone works"
                         % (len(group), f[1]))
            else:
                res.fail("batched --dump output differs though each path alone matches",
                         short_diff(expected, call.out))
    for d in single:
        check_single(res, plan, d, listed.get(d["path"]) or listed.get("*"))


def block(d, header):
    return (b"# " + enc(d["path"]) + b"\n" if header else b"") + enc(d["expect"])


def split_batches(items):
    """Groups of items whose paths fit in one command line."""
    groups, cur, size = [], [], 0
    for d in items:
        n = len(enc(d["path"])) + 1
        if cur and size + n > MAX_BATCH_ARG_BYTES:
            groups.append(cur)
            cur, size = [], 0
        cur.append(d)
        size += n
    if cur:
        groups.append(cur)
    return groups


def check_single(res, plan, d, refusal):
    """Dump one path and judge it; True if its values were printed and match h5py."""
    p = d["path"]
    call = Call(["--dump", plan["file"], enc(p)])
    f = call.failure()
    if f and f[0] == "bad":
        res.fail("--dump %s: %s" % (p, f[1]))
    elif f:
        check_refusal(res, refusal, p, f[1])
    elif refusal and refusal.path != "*":
        res.fail("stale %s entry: --dump %s no longer refused" % (refusal.where(), p))
    elif d["expect"] is None:
        res.skipped.append((p, d["skip"]))
    elif call.out != enc(d["expect"]):
        res.fail("--dump %s differs from h5py" % p, short_diff(enc(d["expect"]), call.out))
    else:
        res.compared += 1
        return True
    return False


# --- main -----------------------------------------------------------------------------------

def main(argv):
    sys.stdout.reconfigure(errors="backslashreplace", line_buffering=True)
    inputs = argv[1:] or [p for p in DEFAULT_INPUTS if os.path.isdir(p)]
    if not os.access(K2ONNX, os.X_OK):
        print("FAIL k2onnx: %s is not an executable (build it first, or set K2ONNX)" % K2ONNX)
        print("0 passed, 1 failed")
        return 1
    refusals, problems = load_refusals(REFUSED_LIST)
    files = collect(inputs)
    h5files = [p for p in files if is_hdf5(p)]
    ignored = len(files) - len(h5files)

    passed = failed = skipped = 0
    for problem in problems:
        print("FAIL " + problem)
        failed += 1
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, JOBS)) as pool:
        futures = [pool.submit(check_file, p, refusals) for p in h5files]
        for fut in futures:  # in input order, each as soon as it and those before are done
            res = fut.result()
            for line in res.lines():
                print(line)
            if res.status == "pass":
                passed += 1
            elif res.status == "skip":
                skipped += 1
            else:
                failed += 1
    if ignored:
        print("(%d files without an HDF5 signature ignored)" % ignored)
    if skipped:
        print("(%d files skipped: h5py cannot read them)" % skipped)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
