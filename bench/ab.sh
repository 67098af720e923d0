#!/usr/bin/env bash
# bench/ab.sh ROUNDS CMD...: run the commands in turn, ROUNDS times, so that
# a drift of this shared machine lands on every command alike (hyperfine
# runs each command's runs in one block).  Each CMD is one string, split on
# blanks (no quoting inside).  One line per run on stdout:
#   INDEX WALL_MS USER_MS SYS_MS EXIT
# wall from $EPOCHREALTIME around the run; CPU is the run's own rusage:
# bash's `times` (children's totals, ms resolution) before and after, read
# in this shell without forking anything else between the two.
set -u
rounds=$1; shift
tf=$(mktemp /tmp/pgreach-ab.XXXXXX)
trap 'rm -f "$tf"' EXIT
# ms NmS.SSSs: milliseconds, in $v (no command substitution: no fork)
ms() { local m=${1%%m*} s=${1#*m}; s=${s%s}; v=$((10#$m * 60000 + 10#${s/./})); }
kids() {
    local _ u s
    times >"$tf"
    { read -r _ _; read -r u s; } <"$tf"
    ms "$u"; cu=$v
    ms "$s"; cs=$v
}
for ((r = 0; r < rounds; r++)); do
    i=0
    for c in "$@"; do
        kids; u0=$cu s0=$cs
        t0=$EPOCHREALTIME
        # shellcheck disable=SC2086
        $c >/dev/null 2>&1
        rc=$?
        t1=$EPOCHREALTIME
        kids
        w=$(( (${t1/./} - ${t0/./}) ))
        printf '%d %d.%03d %d %d %d\n' "$i" $((w / 1000)) $((w % 1000)) $((cu - u0)) $((cs - s0)) "$rc"
        i=$((i + 1))
    done
done
