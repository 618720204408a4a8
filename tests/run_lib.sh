# Shared by tests/run_all.sh and tests/valgrind.sh (sourced): the running totals and run().
total_pass=0
total_fail=0

# run LABEL LOG CMD... : run a runner, show its output, add its summary line to the totals.
run() {
    label=$1; log=$2; shift 2
    echo "=== $label: $*"
    t0=$(date +%s)
    # stream the output while keeping it and the exit status (POSIX sh has no pipefail)
    { "$@" 2>&1; echo $? > "$log.rc"; } | tee "$log"
    rc=$(cat "$log.rc" 2>/dev/null || echo 99)
    summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
    if [ -z "$summary" ]; then
        echo "=== $label: no 'N passed, M failed' line (exit status $rc): counted as 1 failure"
        total_fail=$((total_fail + 1))
        return
    fi
    p=${summary%% passed*}
    f=${summary#*, }; f=${f%% failed}
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "=== $label: exit status $rc with no failed test: counted as 1 failure"
        f=1
    fi
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
    echo "=== $label: $p passed, $f failed ($(( $(date +%s) - t0 )) s)"
}
