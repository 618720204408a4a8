#!/bin/sh
# A short fuzzing run for CI: tests/fuzz/run.sh (FUZZ_SECONDS per target), then one test per
# target, passed when the target built and found nothing. Ends with "N passed, M failed".
out=$(sh "$(dirname "$0")/run.sh" 2>&1)
echo "$out"
p=$(echo "$out" | grep -c '^fuzz .*crash: no$')
f=$(echo "$out" | grep '^fuzz ' | grep -vc 'crash: no$')
echo "$p passed, $f failed"
[ "$f" = 0 ]
