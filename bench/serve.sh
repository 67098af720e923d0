#!/usr/bin/env bash
# bench/serve.sh: what `pgreach serve` costs, in the lab.  Writes
# bench/results/serve-<UTC date>.md and prints it.
#
#   1. overhead: the /probe wall (curl's time_total) minus the probe's own
#      probe_duration_seconds, over BENCH_SERVE_SEQ sequential scrapes;
#   2. throughput: probes per second with BENCH_SERVE_CLIENTS clients
#      scraping at once, --max-concurrent as many, for BENCH_SERVE_TOTAL
#      probes (the module "quick": one connection, Postgres only);
#   3. memory per in-flight probe: RSS with BENCH_SERVE_INFLIGHT probes
#      held in flight (scenario sg-drop: each waits for its timeout) minus
#      the idle RSS, divided by their number;
#   4. stability: RSS and open fds after 1,000 and after BENCH_SERVE_LONG
#      (10,000) probes.
#
# As root on Debian 12, pgreach built, under the lab lock:
#     flock -w 1200 /run/pgreach-dev-lab.lock bench/serve.sh
# Every process runs inside pgr-client, on its loopback; the lab comes down
# on exit.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
srcdir=$(cd "$here/.." && pwd)
pgreach=${PGREACH:-$srcdir/pgreach}
lab=$srcdir/fixtures/lab
seq_n=${BENCH_SERVE_SEQ:-200}
clients=${BENCH_SERVE_CLIENTS:-8}
total=${BENCH_SERVE_TOTAL:-2000}
inflight=${BENCH_SERVE_INFLIGHT:-64}
long=${BENCH_SERVE_LONG:-10000}
port=19841

# With SSL_CERT_FILE set, OpenSSL parses that whole bundle for every probe
# (~45 ms on Debian 12's, more than the probe); a service has it unset.
unset SSL_CERT_FILE
[ "$(id -u)" = 0 ] || { echo "bench/serve.sh: run as root (the lab)" >&2; exit 1; }
[ -x "$pgreach" ] || { echo "bench/serve.sh: $pgreach not built" >&2; exit 1; }
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ -z "${BENCH_KEEP_LAB:-}" ] && "$lab/down" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
"$lab/up" >/dev/null 2>&1 || { echo "bench/serve.sh: lab did not come up" >&2; exit 1; }
# shellcheck disable=SC1091
. "${PGREACH_LAB_DIR:-/run/pgreach-lab}/state.env"
export LAB_PASSWORD
ns() { ip netns exec "$LAB_NS_CLIENT" "$@"; }
url=http://127.0.0.1:$port

start() {
	# ip netns exec execs pgreach: $! is its PID (RSS, fds, signals).
	ip netns exec "$LAB_NS_CLIENT" "$pgreach" serve --config "$srcdir/contrib/serve/pgreach-exporter.conf" \
		--web.listen-address "127.0.0.1:$port" --max-concurrent "$1" 2>"$tmp/serve.log" &
	pid=$!
	for _ in $(seq 100); do
		ns curl -s -o /dev/null "$url/-/healthy" && return 0
		sleep 0.05
	done
	echo "bench/serve.sh: pgreach serve did not start" >&2
	exit 1
}
stop() { kill -TERM "$pid"; wait "$pid" 2>/dev/null; pid=; }
rss() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
fds() { ls "/proc/$pid/fd" | wc -l; }
# N probes of target $2 from one client, via a curl config (one process).
burst() {
	local i f
	f=$(mktemp -p "$tmp")
	for i in $(seq "$1"); do printf 'url = "%s/probe?target=%s"\noutput = /dev/null\n' "$url" "$2"; done >"$f"
	ns curl -s --max-time 600 -K "$f"
}
quantiles() { sort -n | awk '{ v[NR] = $1 } END { printf "median %.2f ms, p95 %.2f ms, max %.2f ms", v[int(NR * 0.5) + 1] * 1000, v[int(NR * 0.95) + 1] * 1000, v[NR] * 1000 }'; }

mkdir -p "$here/results"
out=$here/results/serve-$(date -u +%Y-%m-%dT%H%MZ).md
# Each row is written as soon as it is measured.
row() { echo "| $1 | $2 |" | tee -a "$out"; }
{
	echo "# pgreach serve, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "$("$pgreach" --version), $(nproc) cores; lab target lab-zone-a (module quick: one"
	echo "connection, TLS + SCRAM login + 1 query), target lab for the in-flight probes."
	echo
	echo "| measure | result |"
	echo "|---|---|"
} | tee "$out"

"$lab/scenario" healthy >/dev/null 2>&1
start 8
# 1. Overhead.
for _ in $(seq "$seq_n"); do
	ns curl -s -o "$tmp/body" -w '%{time_total}\n' "$url/probe?target=lab-zone-a" >"$tmp/wall"
	awk -v w="$(cat "$tmp/wall")" '/^probe_duration_seconds/ { print w - $2 }' "$tmp/body"
done >"$tmp/overhead"
over=$(quantiles <"$tmp/overhead")
probe_d=$(awk '/^probe_duration_seconds/ {print $2 * 1000}' "$tmp/body")
stop
row "exporter overhead (/probe wall - probe_duration_seconds), $seq_n sequential scrapes" "$over (the probe itself ~${probe_d} ms)"

# 2. Throughput at the engine's limit.
start "$clients"
per=$((total / clients))
t0=$(date +%s.%N)
for _ in $(seq "$clients"); do burst "$per" lab-zone-a & done
wait $(jobs -p | grep -v "^$pid$") 2>/dev/null
t1=$(date +%s.%N)
ok=$(ns curl -s "$url/metrics" | awk '/^pgreach_serve_probes_total\{result="success"\}/ {print $2}')
rate=$(awk -v n="$((per * clients))" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
stop
row "probes/s, $clients clients, --max-concurrent $clients, $((per * clients)) probes" "$rate/s ($ok ok)"

# 3. Memory per in-flight probe (sg-drop: every probe waits its timeout).
start "$inflight"
burst 5 lab-zone-a
idle=$(rss)
"$lab/scenario" sg-drop >/dev/null 2>&1
for _ in $(seq "$inflight"); do
	ns curl -s -o /dev/null -H 'X-Prometheus-Scrape-Timeout-Seconds: 4.5' "$url/probe?target=lab" &
done
sleep 2
busy=$(rss)
held=$(ns curl -s "$url/metrics" | awk '/^pgreach_serve_probes_in_flight/ {print $2}')
wait $(jobs -p | grep -v "^$pid$") 2>/dev/null
per_probe=$(awk -v a="$idle" -v b="$busy" -v n="$held" 'BEGIN { printf "%.0f", (b - a) / (n > 0 ? n : 1) }')
"$lab/scenario" healthy >/dev/null 2>&1
stop
row "memory per in-flight probe ($held held in flight, sg-drop)" "$per_probe kB (RSS $idle -> $busy kB)"

# 4. RSS and fds over many probes.
start 8
burst 1000 lab-zone-a
r1=$(rss); f1=$(fds)
for _ in $(seq 4); do burst $(((long - 1000) / 4)) lab-zone-a & done
wait $(jobs -p | grep -v "^$pid$") 2>/dev/null
r2=$(rss); f2=$(fds)
n_done=$(ns curl -s "$url/metrics" | awk '/^pgreach_serve_probe_duration_seconds_count/ {print $2}')
stop

row "RSS / open fds after 1,000 and $n_done probes" "$r1 -> $r2 kB, $f1 -> $f2 fds"
