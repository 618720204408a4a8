#!/bin/sh
# Valgrind memcheck runs: the C unit tests, and the k2onnx command line inside the end-to-end
# suites (through tests/valgrind-k2onnx).
#
#   sh tests/valgrind.sh          unit tests; `fixtures` on every VALGRIND_STRIDE-th fixture;
#                                 `bad` on the two smallest fixtures of each family; `corpus`
#                                 (about 4-5 minutes on an idle 2-core machine, twice that busy)
#   sh tests/valgrind.sh all      the same with `fixtures` and `bad` on every fixture (hours)
#
# Environment:
#   VALGRIND_STRIDE     take every Nth fixture (ordered by model name) for `fixtures` (default 2)
#   VALGRIND_BAD        fixture files (names in tests/fixtures) for `bad`, space separated
#                       (default: the two smallest of each of k3_keras_ k1_ k22_ k3_ tf224_ tfk2_)
#   VALGRIND_CORPUS     0 to leave out the corpus suite (which SKIPs by itself without a corpus)
#   K2ONNX_VALGRIND_BIN converter to run under valgrind (default ./k2onnx, built with make)
#   UNIT_TESTS          unit test binary (default build/unit_tests, built with make)
#   NODE                node executable (default node)
#   K2ONNX_TIMEOUT      seconds per conversion for run_e2e.js (default here 120)
# plus what run_e2e.js reads (K2ONNX_PYTHON, ...).
#
# Memcheck runs with --error-exitcode=99 --leak-check=full and definite, indirect and possible
# leaks counted as errors; quiet when clean. An error turns into a failure: the unit test binary
# exits 99, and a conversion that exits 99 with memcheck's report on stderr is a FAIL in
# run_e2e.js. Ends with the summed `N passed, M failed`; exit 1 if anything failed.

cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)
NODE=${NODE:-node}
UNIT_TESTS=${UNIT_TESTS:-build/unit_tests}
STRIDE=${VALGRIND_STRIDE:-2}
LOG_DIR=tests/out
WORK=$LOG_DIR/valgrind
K2ONNX_TIMEOUT=${K2ONNX_TIMEOUT:-120}
export K2ONNX_TIMEOUT
vg() {
    valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect,possible --track-origins=no -q "$@"
}
mode=${1:-default}
case $mode in
    default|all) ;;
    *) echo "usage: sh tests/valgrind.sh [all]" >&2; exit 2 ;;
esac

mkdir -p "$LOG_DIR"
start=$(date +%s)

if ! command -v valgrind > /dev/null 2>&1; then
    echo "valgrind: not installed"
    echo "0 passed, 1 failed"
    exit 1
fi

# Build what is missing or stale the Makefile way; a failed build leaves the old binary in use.
if [ -z "$K2ONNX_VALGRIND_BIN" ]; then
    make -s k2onnx || echo "=== valgrind: 'make k2onnx' failed; using the existing ./k2onnx"
fi
if [ "$UNIT_TESTS" = build/unit_tests ]; then
    make -s build/unit_tests || echo "=== valgrind: 'make build/unit_tests' failed; using the existing binary"
fi

. tests/run_lib.sh

# 1. The unit tests, whole, under memcheck.
if [ -x "$UNIT_TESTS" ]; then
    run "unit tests under valgrind" "$LOG_DIR/valgrind_unit.log" vg "$UNIT_TESTS"
else
    echo "=== unit tests: $UNIT_TESTS not built: counted as 1 failure"
    total_fail=$((total_fail + 1))
fi

# 2. The fixture subsets: directories of symbolic links that run_e2e.js takes as K2ONNX_FIXTURES.
rm -rf "$WORK"
mkdir -p "$WORK/fixtures" "$WORK/bad"
if ! "$NODE" - "$ROOT/tests/fixtures" "$WORK" "$mode" "$STRIDE" "${VALGRIND_BAD:-}" <<'EOF'
const fs = require('fs');
const path = require('path');
const [src, work, mode, strideArg, badArg] = process.argv.slice(2);
const stride = Math.max(1, Number(strideArg) || 1);
const link = (dir, name) => {
  const to = path.join(work, dir, name);
  if (!fs.existsSync(to)) fs.symlinkSync(path.join(src, name), to);
};
const model = (f) => f.replace(/^[^_]*_/, '');
// fixtures: reference files ordered by model name (so that the stride spreads over the models,
// not over the Keras versions of one model), every stride-th with the file it names
const refs = fs.readdirSync(src).filter((f) => f.endsWith('.ref.json'))
  .sort((a, b) => (model(a) < model(b) ? -1 : model(a) > model(b) ? 1 : a < b ? -1 : 1));
let n = 0;
refs.forEach((r, i) => {
  if (mode !== 'all' && i % stride !== 0) return;
  let file;
  try { file = JSON.parse(fs.readFileSync(path.join(src, r), 'utf8')).file; } catch (e) { file = null; }
  link('fixtures', r);
  if (typeof file === 'string' && fs.existsSync(path.join(src, file))) link('fixtures', file);
  n++;
});
// bad: the given files, or every model file, or the two smallest of each family
const models = fs.readdirSync(src).filter((f) => /\.(h5|hdf5|keras)$/i.test(f)).sort();
let bad;
if (badArg && badArg.trim()) bad = badArg.trim().split(/\s+/);
else if (mode === 'all') bad = models;
else {
  const families = ['k3_keras_', 'k1_', 'k22_', 'k3_', 'tf224_', 'tfk2_'];
  const size = (f) => fs.statSync(path.join(src, f)).size;
  bad = [];
  for (const fam of families) {
    const m = models.filter((f) => f.startsWith(fam) && !bad.includes(f) && (fam === 'k3_' ? !f.startsWith('k3_keras_') : true))
      .sort((a, b) => size(a) - size(b) || (a < b ? -1 : 1));
    bad.push(...m.slice(0, 2));
  }
}
for (const f of bad) {
  if (!fs.existsSync(path.join(src, f))) { console.error(`valgrind.sh: no fixture ${f}`); process.exit(1); }
  link('bad', f);
}
console.log(`=== valgrind: fixtures suite on ${n} of ${refs.length} reference files; bad suite on ${bad.join(' ')}`);
EOF
then
    echo "=== valgrind: could not make the fixture subsets: counted as 1 failure"
    total_fail=$((total_fail + 1))
fi

# 3. The converter under memcheck in the end-to-end suites.
run "fixtures with k2onnx under valgrind" "$LOG_DIR/valgrind_fixtures.log" \
    env K2ONNX="$ROOT/tests/valgrind-k2onnx" K2ONNX_FIXTURES="$WORK/fixtures" "$NODE" tests/run_e2e.js fixtures
run "bad with k2onnx under valgrind" "$LOG_DIR/valgrind_bad.log" \
    env K2ONNX="$ROOT/tests/valgrind-k2onnx" K2ONNX_FIXTURES="$WORK/bad" "$NODE" tests/run_e2e.js bad

if [ "${VALGRIND_CORPUS:-1}" != 0 ]; then
    run "corpus with k2onnx under valgrind" "$LOG_DIR/valgrind_corpus.log" \
        env K2ONNX="$ROOT/tests/valgrind-k2onnx" "$NODE" tests/run_e2e.js corpus
fi

echo "=== valgrind: $(( $(date +%s) - start )) s wall"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
