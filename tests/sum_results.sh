#!/bin/sh
# Adds up the final "N passed, M failed" lines of several test logs; a log without one, or
# whose run exited non-zero with no failure counted, adds a failure.
p=0; f=0
for log in "$@"; do
    last=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
    code=$(grep -E '^exit [0-9]+$' "$log" | tail -n 1 | cut -d' ' -f2)
    if [ -z "$last" ]; then f=$((f + 1)); continue; fi
    lp=${last%% passed*}; lf=${last#*, }; lf=${lf%% failed}
    p=$((p + lp)); f=$((f + lf))
    if [ "${code:-0}" != 0 ] && [ "$lf" = 0 ]; then f=$((f + 1)); fi
done
echo "$p passed, $f failed"
[ "$f" = 0 ]
