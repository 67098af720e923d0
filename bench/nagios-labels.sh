#!/usr/bin/env bash
# Nagios perfdata labels for many targets on one host (issue 19): a recorded
# lab report (fixtures/diagnose/reports/healthy.json) with its first target
# repeated N times, rendered by tests/render in Nagios with --perfdata address
# (one label per address, the case that repeats labels).  No network.
# whole_s includes loading the JSON and the analysis; write_s is the
# Nagios writer alone (labels, perfdata, long output).
#   bench/nagios-labels.sh [N ...]     default: 1000 5000 20000
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
render=${RENDER:-$top/tests/render}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -x "$render" ] || { echo "bench/nagios-labels.sh: build tests/render first (make tests/render)" >&2; exit 1; }
printf '%-8s %10s %10s %10s\n' targets whole_s write_s labels
for n in "${@:-1000 5000 20000}"; do
	for k in $n; do
		jq --argjson n "$k" '.targets = [range($n) as $i | .targets[0]]' \
			"$top/fixtures/diagnose/reports/healthy.json" >"$tmp/report.json"
		printf '{"report": "report.json", "expect": []}\n' >"$tmp/c.case"
		start=$(date +%s.%N)
		(cd "$tmp" && PGR_RENDER_TIME=1 "$render" c.case nagios-address >"$tmp/out" 2>"$tmp/err")
		end=$(date +%s.%N)
		labels=$(head -1 "$tmp/out" | sed 's/^[^|]*| //' | tr ' ' '\n' | grep -c '=')
		printf '%-8s %10.3f %10s %10s\n' "$k" "$(echo "$end - $start" | bc)" \
		    "$(sed -n 's/^write \([0-9.]*\) s$/\1/p' "$tmp/err")" "$labels"
	done
done
