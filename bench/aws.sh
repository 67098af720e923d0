#!/usr/bin/env bash
# bench/aws.sh [ROUNDS]: the extra wall time of --aws on a healthy run.
#
# The lab (healthy) and moto's EC2 server seeded as the healthy endpoint
# (fixtures/lab/aws/moto-lab, on loopback inside pgr-client).  ROUNDS
# (default 30) interleaved pairs: pgreach without and with --aws, each
# timed from outside (wall clock of the process) and from inside (the
# report's duration_ms).  Prints medians and p90s, and writes them to
# bench/results/DATE-aws.txt.  Run as root, under the lab lock:
#
#   flock -w 1200 /run/pgreach-dev-lab.lock bench/aws.sh 30
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
srcdir=$(cd "$here/.." && pwd)
pgreach=${PGREACH:-$srcdir/pgreach}
lab=$srcdir/fixtures/lab
rounds=${1:-30}
port=5989
tmp=$(mktemp -d)
moto=
cleanup() {
	[ -n "$moto" ] && kill "$moto" 2>/dev/null && wait "$moto" 2>/dev/null
	rm -rf "$tmp"
	"$lab/down" >/dev/null 2>&1 || true
}
trap cleanup EXIT
"$lab/up" >/dev/null
"$lab/scenario" healthy >/dev/null
. "${PGREACH_LAB_DIR:-/run/pgreach-lab}/state.env"
ip netns exec "$LAB_NS_CLIENT" python3 "$lab/aws/moto-lab" healthy --port "$port" >"$tmp/ready" 2>/dev/null &
moto=$!
for _ in $(seq 1 160); do grep -q '^ready' "$tmp/ready" 2>/dev/null && break; sleep 0.25; done
grep -q '^ready' "$tmp/ready" || { echo "bench/aws.sh: moto-lab did not come up" >&2; exit 1; }

# The same database by the address 10.0.1.5: --aws then lists the account's
# endpoints and their interfaces to find the one that holds it.
ADDR_URL=$(printf '%s' "$LAB_URL" | sed -E 's#@[^@:/]+:#@10.0.1.5:#')

# one MODE: one run; appends "wall_ms duration_ms" to $tmp/MODE.
# MODE: plain, aws (the endpoint's name), plain_addr, aws_addr (10.0.1.5).
one() {
	local extra=() s e url=$LAB_URL
	case $1 in aws|aws_addr) extra=(--aws) ;; esac
	case $1 in *_addr) url=$ADDR_URL ;; esac
	s=$(date +%s%N)
	ip netns exec "$LAB_NS_CLIENT" env AWS_ENDPOINT_URL="http://127.0.0.1:$port" \
		AWS_ACCESS_KEY_ID=AKIAPGREACHBENCH0001 AWS_SECRET_ACCESS_KEY=benchSecretKey0123456789abcdefghij \
		AWS_EC2_METADATA_DISABLED=true AWS_REGION=us-east-1 \
		"$pgreach" "${extra[@]}" --format json --sslrootcert "$LAB_CA" "$url" >"$tmp/out.json" 2>/dev/null || {
		echo "bench/aws.sh: $1 run not OK" >&2; exit 1; }
	e=$(date +%s%N)
	echo "$(( (e - s) / 1000 )) $(jq -r .duration_ms "$tmp/out.json")" | awk '{ printf "%.1f %s\n", $1 / 1000, $2 }' >>"$tmp/$1"
}
one plain; one aws; one plain_addr; one aws_addr	# warm-up, not counted
: >"$tmp/plain"; : >"$tmp/aws"; : >"$tmp/plain_addr"; : >"$tmp/aws_addr"
for _ in $(seq 1 "$rounds"); do one plain; one aws; one plain_addr; one aws_addr; done
# The address run must have found the endpoint, or it measured nothing.
jq -e '[.findings[].code] | index("AWS_ENDPOINT_NO_MATCH") == null' "$tmp/out.json" >/dev/null ||
	{ echo "bench/aws.sh: --aws did not match 10.0.1.5 to the endpoint" >&2; exit 1; }

stats() {	# FILE COLUMN: median and p90
	awk -v c="$2" '{ print $c }' "$1" | sort -n | awk '{ v[NR] = $1 } END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		p = v[int(NR * 0.9 + 0.999)]
		printf "median %7.1f ms  p90 %7.1f ms", m, p }'
}
out=$srcdir/bench/results/$(date -u +%Y-%m-%d)-aws.txt
{
	echo "bench/aws.sh: $rounds interleaved rounds, healthy lab, moto $(python3 -c 'import moto; print(moto.__version__)') on loopback in pgr-client"
	"$pgreach" --version 2>/dev/null | head -1
	echo "wall clock, plain:     $(stats "$tmp/plain" 1)"
	echo "wall clock, --aws:     $(stats "$tmp/aws" 1)"
	echo "duration_ms, plain:    $(stats "$tmp/plain" 2)"
	echo "duration_ms, --aws:    $(stats "$tmp/aws" 2)"
	echo "by address 10.0.1.5 (listing + interfaces):"
	echo "wall clock, plain:     $(stats "$tmp/plain_addr" 1)"
	echo "wall clock, --aws:     $(stats "$tmp/aws_addr" 1)"
	echo "duration_ms, plain:    $(stats "$tmp/plain_addr" 2)"
	echo "duration_ms, --aws:    $(stats "$tmp/aws_addr" 2)"
} | tee "$out"
