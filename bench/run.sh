#!/usr/bin/env bash
# Backquotes in single-quoted strings are markdown here, not commands.
# shellcheck disable=SC2016
#
# bench/run.sh: pgreach's speed and scale against its peers, side by side in
# one run, in the lab (fixtures/lab). As root; about 4 minutes; brings the
# lab up at the start and down at the end (BENCH_KEEP_LAB=1 leaves it up).
#
#   1. healthy: pgreach's full probe and a single login, against psql,
#      pg_isready, check_pgsql (one login, and four one after another),
#      check_tcp and check_postgres (hyperfine, --runs BENCH_RUNS)
#   2. floor: pgbench -C (a TLS + SCRAM connection per transaction), 1 and
#      4 clients
#   3. start-up: `pgreach --version`, time to the first packet (strace),
#      which libraries are set up once per run and which per connection
#      (ltrace call counts), native cost of the per-connection crypto
#   4. instructions: callgrind on the full probe (total, top 10, shares)
#   5. fleet: fixtures/lab/fleet 256, then --targets with 1/16/64/256
#      targets (each with its PgBouncer sibling), default --parallel and 64;
#      wall time, peak RSS (/usr/bin/time -v), DNS datagrams dropped,
#      massif on 64 targets
#   6. failure: scenario sg-drop, every tool with the same timeout
#
# Writes bench/results/<UTC date>.md (the report), <date>-*.json (hyperfine)
# and <date>-callgrind.txt / <date>-massif.txt.
#
# Network safety: every probe, peer tool and profiler runs inside the lab's
# client namespace (ip netns exec pgr-client), which has no default route;
# the root namespace sends nothing anywhere. URLs carry no password: every
# tool gets it from PGPASSWORD.
#
# Environment: PGREACH (binary; default ./pgreach of this tree),
# BENCH_RUNS (healthy runs, default 30), BENCH_FAIL_RUNS (default 3),
# BENCH_FLEET_RUNS (default 3), BENCH_TIMEOUT (failure timeout, default 2),
# BENCH_FLEET (largest fleet, default 256), BENCH_KEEP_LAB=1, BENCH_TAG
# (results named <date>-<tag>), BENCH_AB_ROUNDS, BENCH_TH_ROUNDS, BENCH_ALT
# (a second pgreach binary, e.g. a patched build: adds fleet rows for it).
#
# Debian packages: hyperfine valgrind strace ltrace time
# monitoring-plugins-basic monitoring-plugins-standard check-postgres
# postgresql-15 postgresql-client-15 jq gcc libssl-dev iproute2 (plus the lab's).

set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd -- "$here/.." && pwd)
lab=$repo/fixtures/lab
PGREACH=${PGREACH:-$repo/pgreach}
RUNS=${BENCH_RUNS:-30}
FAIL_RUNS=${BENCH_FAIL_RUNS:-3}
FLEET_RUNS=${BENCH_FLEET_RUNS:-3}
T=${BENCH_TIMEOUT:-2}
FLEET=${BENCH_FLEET:-256}
PLUGINS=/usr/lib/nagios/plugins
PG_BIN=/usr/lib/postgresql/15/bin

prog=${0##*/}
say() { printf '%s: %s\n' "$prog" "$*" >&2; }
die() { printf '%s: error: %s\n' "$prog" "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------
# Preconditions
# ---------------------------------------------------------------------------

[[ $(id -u) -eq 0 ]] || die "run as root (the lab uses network namespaces)"
[[ -x $PGREACH ]] || die "no pgreach at $PGREACH (build it, or set PGREACH)"
PGREACH=$(cd -- "$(dirname -- "$PGREACH")" && pwd)/$(basename -- "$PGREACH")
need() {
    local bin=$1 pkg=$2
    command -v "$bin" >/dev/null 2>&1 || [[ -x $bin ]] || die "$bin not found: apt-get install $pkg"
}
need hyperfine hyperfine
need valgrind valgrind
need callgrind_annotate valgrind
need ms_print valgrind
need strace strace
need ltrace ltrace
need /usr/bin/time time
need jq jq
need cc gcc
need check_postgres check-postgres
need "$PLUGINS/check_pgsql" monitoring-plugins-standard
need "$PLUGINS/check_tcp" monitoring-plugins-basic
need "$PG_BIN/pgbench" postgresql-15
need "$PG_BIN/psql" postgresql-client-15
need "$PG_BIN/pg_isready" postgresql-client-15
need nstat iproute2

# BENCH_TAG: a second run of the day writes <date>-<tag>.* beside the first.
date=$(date -u +%F)${BENCH_TAG:+-$BENCH_TAG}
results=$here/results
mkdir -p "$results"
md=$results/$date.md
work=$(mktemp -d /tmp/pgreach-bench.XXXXXX)
body=$work/body.md
: >"$body"
t_start=$SECONDS

cleanup() {
    local rc=$?
    if [[ ${BENCH_KEEP_LAB:-0} != 1 ]]; then
        "$lab/down" >/dev/null 2>&1 || say "warning: fixtures/lab/down failed"
    fi
    rm -rf -- "$work"
    exit "$rc"
}
trap cleanup EXIT

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

# nsx CMD...: run CMD inside the lab's client namespace (no default route).
nsx() { ip netns exec "$LAB_NS_CLIENT" "$@"; }

out() { printf '%s\n' "$@" >>"$body"; }

# hf JSON ARGS...: hyperfine inside the client namespace, no shell between
# it and the commands, bounded by --runs in ARGS and by a 5-minute timeout.
hf() {
    local json=$1; shift
    nsx timeout 300 hyperfine -N --style basic --export-json "$json" "$@" \
        >>"$work/hyperfine.log" 2>&1 || { tail -20 "$work/hyperfine.log" >&2; die "hyperfine failed ($json)"; }
}

# med JSON NAME: median of command NAME in ms.
med() { jq -r --arg n "$2" '.results[] | select(.command == $n) | .median * 1000' "$1"; }
# maxt JSON NAME: slowest run of NAME in ms.
maxt() { jq -r --arg n "$2" '.results[] | select(.command == $n) | .max * 1000' "$1"; }
# codes JSON NAME: the distinct exit codes of NAME's runs.
codes() { jq -r --arg n "$2" '.results[] | select(.command == $n) | .exit_codes | unique | map(tostring) | join(",")' "$1"; }

# calc EXPR: awk arithmetic, printed with %.3g-like rounding by the caller.
calc() { awk "BEGIN { print $* }"; }
fmt() { awk -v v="$1" -v f="${2:-%.1f}" 'BEGIN { printf f, v }'; }
# grp N: N with thousands separators (the C locale's printf has none).
grp() { sed -E ':a; s/([0-9])([0-9]{3})($|,)/\1,\2\3/; ta' <<<"$1"; }

# table JSON REF: a markdown table of a hyperfine run, ratios to REF's median.
table() {
    local json=$1 ref=$2
    out "| command | median ms | mean ± σ ms | min … max ms | exit | × $ref |" \
        "|---|---:|---:|---:|---:|---:|"
    jq -r --arg ref "$ref" '
        (.results[] | select(.command == $ref) | .median) as $r
        | .results[]
        | "| \(.command) | \(.median * 1000 * 10 | round / 10) | \(.mean * 1000 * 10 | round / 10) ± \(.stddev * 1000 * 10 | round / 10) | \(.min * 1000 * 10 | round / 10) … \(.max * 1000 * 10 | round / 10) | \(.exit_codes | unique | map(tostring) | join(",")) | \(.median / $r * 100 | round / 100) |"
    ' "$json" >>"$body"
}

verdict() { if awk "BEGIN { exit !($1) }"; then echo "**met**"; else echo "**not met**"; fi; }

# udp_counter NS NAME: a kernel UDP counter inside namespace NS.
udp_counter() { ip netns exec "$1" nstat -asz "$2" | awk -v k="$2" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }'; }

# ---------------------------------------------------------------------------
say "lab up"
"$lab/up" >"$work/up.log" 2>&1 || { tail -20 "$work/up.log" >&2; die "fixtures/lab/up failed"; }
# shellcheck disable=SC1091
. "${PGREACH_LAB_DIR:-/run/pgreach-lab}/state.env"
export PGPASSWORD=$LAB_PASSWORD PGSSLMODE=require PGCONNECT_TIMEOUT=10
unset PGHOST PGPORT PGDATABASE PGUSER PGSERVICE 2>/dev/null || true

URL="postgres://$LAB_USER@$LAB_HOST:5432/$LAB_DB"
ZURL="postgres://$LAB_USER@$LAB_HOST_ZONAL_A:5432/$LAB_DB"
PGR=("$PGREACH" --sslrootcert "$LAB_CA")
pgr="$PGREACH --sslrootcert $LAB_CA"

# BENCH_ALT: a second build, measured beside this one (healthy, start-up, fleet).
alt_h=() alt_s=()
if [[ -n ${BENCH_ALT:-} ]]; then
    [[ -x $BENCH_ALT ]] || die "BENCH_ALT=$BENCH_ALT is not executable"
    BENCH_ALT=$(cd -- "$(dirname -- "$BENCH_ALT")" && pwd)/$(basename -- "$BENCH_ALT")
    alt_h=(-n "[alt] pgreach full probe" "$BENCH_ALT --sslrootcert $LAB_CA $URL"
        -n "[alt] pgreach single login" "$BENCH_ALT --sslrootcert $LAB_CA --no-pgbouncer --count 1 $ZURL")
    alt_s=(-n "[alt] pgreach --version" "$BENCH_ALT --version")
fi

pgreach_version=$("$PGREACH" --version)
{
    printf '# pgreach benchmark, %s\n\n' "$date"
    printf -- '- pgreach: `%s` (%s)\n' "$pgreach_version" "$PGREACH"
    printf -- '- machine: %s cores, %s, kernel %s; the servers (PostgreSQL %s, PgBouncer, dnsmasq) run on the same cores in the lab namespaces\n' \
        "$(nproc)" "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)" "$(uname -r)" \
        "$("$PG_BIN/postgres" --version | awk '{ print $3 }')"
    printf -- '- tools: %s; %s; check_postgres %s; %s\n' "$(hyperfine --version)" \
        "$("$PLUGINS/check_pgsql" -V | head -1)" "$(check_postgres --version | awk '{ print $NF }')" \
        "$(valgrind --version)"
    printf -- '- every command runs inside `pgr-client` (hyperfine itself too, `-N`: no shell); TLS required everywhere (`sslmode=require`, PGSSLMODE); password from PGPASSWORD\n\n'
} >"$work/head.md"

# ---------------------------------------------------------------------------
# 1. Healthy
# ---------------------------------------------------------------------------
say "1/6 healthy: hyperfine, $RUNS runs each"
H=$results/$date-healthy.json
hf "$H" --warmup 3 --runs "$RUNS" \
    -n "pgreach URL (README: defaults, text)" "$PGREACH $URL" \
    -n "pgreach --format json URL (defaults)" "$PGREACH --format json $URL" \
    -n "pgreach --threads 1 URL (the poll loop steps every login)" "$PGREACH --threads 1 $URL" \
    -n "[context] pgreach --sslrootcert CA URL" "$pgr $URL" \
    -n "pgreach single login (--no-pgbouncer --count 1, zonal; defaults, text)" "$PGREACH --no-pgbouncer --count 1 $ZURL" \
    -n "pgreach single login, --format json (defaults)" "$PGREACH --format json --no-pgbouncer --count 1 $ZURL" \
    -n "[context] pgreach single login, --sslrootcert CA" "$pgr --no-pgbouncer --count 1 $ZURL" \
    -n "check_pgsql x4 sequential (literal addresses)" "$here/check_pgsql_4x 10 $LAB_ADDR_A $LAB_ADDR_B $LAB_DB $LAB_USER" \
    -n "check_pgsql one login (literal A:5432)" "$PLUGINS/check_pgsql -H $LAB_ADDR_A -P 5432 -d $LAB_DB -l $LAB_USER -o sslmode=require -t 10" \
    -n "check_pgsql one login (zonal name:5432)" "$PLUGINS/check_pgsql -H $LAB_HOST_ZONAL_A -P 5432 -d $LAB_DB -l $LAB_USER -o sslmode=require -t 10" \
    -n "psql -c 'select 1' (5432)" "$PG_BIN/psql -X -At -c 'select 1' 'host=$LAB_HOST port=5432 dbname=$LAB_DB user=$LAB_USER'" \
    -n "pg_isready (5432)" "$PG_BIN/pg_isready -q -h $LAB_HOST -p 5432 -d $LAB_DB" \
    -n "check_tcp x2 (5432, 5433)" "$here/check_tcp_2x 10 $LAB_HOST" \
    -n "check_postgres --action=connection (5432)" "check_postgres --action=connection --host=$LAB_HOST --port=5432 --dbname=$LAB_DB --dbuser=$LAB_USER --timeout=10" \
    "${alt_h[@]}"

full=$(med "$H" "pgreach URL (README: defaults, text)")
single=$(med "$H" "pgreach single login (--no-pgbouncer --count 1, zonal; defaults, text)")
cp4=$(med "$H" "check_pgsql x4 sequential (literal addresses)")
cp1a=$(med "$H" "check_pgsql one login (literal A:5432)")
cp1n=$(med "$H" "check_pgsql one login (zonal name:5432)")

out "## 1. Healthy (scenario \`healthy\`, $RUNS runs, 3 warm-up)" ""
table "$H" "check_pgsql x4 sequential (literal addresses)"
out "" "Every pgreach row without \`[context]\` is a command line as the project README gives it: no \`--sslrootcert\`, so the chain is judged against the system store (read on demand: \`probes/tlsinfo.c\`), default \`--threads\`. pgreach's full probe resolves the regional name and runs TCP, SSLRequest + TLS 1.3, a SCRAM login and 5 timed \`SELECT 1\` on 10.0.1.5 and 10.0.2.5 × 5432 and 5433 at once, checks the chain and writes the report (text, or JSON). check_pgsql logs in (TLS + SCRAM) and disconnects, no query; \`check_pgsql_4x\` runs it on the same four pairs one after another. psql, pg_isready and check_postgres are the PostgreSQL 15 binaries (check_postgres runs Debian's \`psql\` wrapper). check_tcp is a bare TCP connect. Environment here: SSL_CERT_FILE=${SSL_CERT_FILE:-unset}, SSL_CERT_DIR=${SSL_CERT_DIR:-unset}." ""

# Interleaved: hyperfine runs each command's 30 runs in one block, so a
# drift of the shared machine between blocks (seen: 5-8 ms, a whole run's
# median 1.5 x another's) lands on one command only.  Here the commands of
# each target take turns, round after round, and the targets are judged
# on these medians.
AB_ROUNDS=${BENCH_AB_ROUNDS:-60}
say "1/6 healthy: interleaved, $AB_ROUNDS rounds"
ab_names=("pgreach URL (README: defaults, text)" "pgreach --format json URL"
    "pgreach --threads 1 URL" "[context] pgreach --sslrootcert CA URL"
    "check_pgsql x4 sequential (literal addresses)"
    "pgreach single login (--no-pgbouncer --count 1 zonal; text)" "pgreach single login, --format json"
    "[context] pgreach single login, --sslrootcert CA"
    "check_pgsql one login (zonal name:5432)" "check_pgsql one login (literal A:5432)")
ab_peer=(4 4 4 4 4 8 8 8 8 9)
nsx bash "$here/ab.sh" "$AB_ROUNDS" "$PGREACH $URL" "$PGREACH --format json $URL" \
    "$PGREACH --threads 1 $URL" "$pgr $URL" \
    "$here/check_pgsql_4x 10 $LAB_ADDR_A $LAB_ADDR_B $LAB_DB $LAB_USER" \
    "$PGREACH --no-pgbouncer --count 1 $ZURL" "$PGREACH --format json --no-pgbouncer --count 1 $ZURL" \
    "$pgr --no-pgbouncer --count 1 $ZURL" \
    "$PLUGINS/check_pgsql -H $LAB_HOST_ZONAL_A -P 5432 -d $LAB_DB -l $LAB_USER -o sslmode=require -t 10" \
    "$PLUGINS/check_pgsql -H $LAB_ADDR_A -P 5432 -d $LAB_DB -l $LAB_USER -o sslmode=require -t 10" >"$work/ab.txt"
cp "$work/ab.txt" "$results/$date-interleaved.txt"
# abq I Q [COL]: the Q quantile (0.25, 0.5, 0.75) of command I's column COL
# (2: wall ms, 3: user CPU ms, 4: system CPU ms, 5: user + system).
abq() { awk -v i="$1" -v c="${3:-2}" '$1 == i { print (c == 5 ? $3 + $4 : $c) }' "$work/ab.txt" | sort -n |
    awk -v q="$2" '{ v[NR] = $1 } END { print v[int((NR - 1) * q) + 1] }'; }
ab_full=$(abq 0 0.5)
ab_fullj=$(abq 1 0.5)
ab_th1=$(abq 2 0.5)
ab_fullr=$(abq 3 0.5)
ab_cp4=$(abq 4 0.5)
ab_single=$(abq 5 0.5)
ab_singlej=$(abq 6 0.5)
ab_singler=$(abq 7 0.5)
ab_cp1n=$(abq 8 0.5)
ab_cp1a=$(abq 9 0.5)
ab_exits=$(awk '$5 != 0 { n++ } END { print n + 0 }' "$work/ab.txt")
out "Interleaved, $AB_ROUNDS rounds (the ten commands in turn, each round, \`bench/ab.sh\`; wall from \$EPOCHREALTIME around each run, CPU from bash's \`times\` around each run: the run's own rusage, ms resolution; the targets are judged on these; runs that did not exit 0: $ab_exits; raw lines in \`$date-interleaved.txt\`):" "" \
    "| command | median ms | p25 … p75 ms | × its peer | user CPU ms | user + sys ms | peer |" "|---|---:|---:|---:|---:|---:|---|"
for i in 0 1 2 3 4 5 6 7 8 9; do
    out "| ${ab_names[$i]} | $(fmt "$(abq $i 0.5)") | $(fmt "$(abq $i 0.25)") … $(fmt "$(abq $i 0.75)") | $(fmt "$(calc "$(abq $i 0.5) / $(abq "${ab_peer[$i]}" 0.5)")" %.2f) | $(abq $i 0.5 3) | $(abq $i 0.5 5) | ${ab_names[${ab_peer[$i]}]} |"
done
out ""

# ---------------------------------------------------------------------------
# 2. Floor: pgbench -C
# ---------------------------------------------------------------------------
say "2/6 floor: pgbench -C, 2 x 5 s"
printf 'select 1;\n' >"$work/select1.sql"
chmod 0644 "$work/select1.sql"
pgb() {
    nsx timeout 30 "$PG_BIN/pgbench" -n -C -f "$work/select1.sql" -T 5 "$@" \
        -h "$LAB_HOST_ZONAL_A" -p 5432 -U "$LAB_USER" "$LAB_DB" 2>&1
}
pb1=$(pgb -c 1 -j 1)
pb4=$(pgb -c 4 -j 4)
tps1=$(awk -F'= ' '/^tps/ { split($2, a, " "); print a[1] }' <<<"$pb1")
tps4=$(awk -F'= ' '/^tps/ { split($2, a, " "); print a[1] }' <<<"$pb4")
ct1=$(awk -F'= ' '/average connection time/ { split($2, a, " "); print a[1] }' <<<"$pb1")
ct4=$(awk -F'= ' '/average connection time/ { split($2, a, " "); print a[1] }' <<<"$pb4")
[[ -n $tps1 && -n $tps4 ]] || { printf '%s\n%s\n' "$pb1" "$pb4" >&2; die "pgbench gave no tps"; }
out "## 2. Floor: \`pgbench -n -C -f select1.sql -T 5\` (a TLS + SCRAM connection per transaction, zonal name, 5432)" "" \
    "| clients | connections/s | ms per connection (machine: 1000 / conn/s) | pgbench average connection time ms |" \
    "|---:|---:|---:|---:|" \
    "| 1 (-c 1 -j 1) | $(fmt "$tps1") | $(fmt "$(calc "1000 / $tps1")" %.2f) | $ct1 |" \
    "| 4 (-c 4 -j 4) | $(fmt "$tps4") | $(fmt "$(calc "1000 / $tps4")" %.2f) | $ct4 |" "" \
    "At the 4-client rate, the 4 connections of a full probe need at least $(fmt "$(calc "4000 / $tps4")") ms of this machine; pgreach's full probe took $(fmt "$full") ms (×$(fmt "$(calc "$full / (4000 / $tps4)")" %.2f) that floor)." ""

# ---------------------------------------------------------------------------
# 3. Start-up
# ---------------------------------------------------------------------------
say "3/6 start-up: --version, first packet, per-run vs per-connection set-up"
S=$results/$date-startup.json
hf "$S" -i --warmup 5 --runs 50 \
    -n "pgreach --version" "$PGREACH --version" \
    -n "psql --version" "$PG_BIN/psql --version" \
    -n "check_pgsql -V" "$PLUGINS/check_pgsql -V" "${alt_s[@]}"

# Time from execve to the first connect()/send*() (strace with seccomp-bpf,
# so untraced syscalls run at full speed); median of 5.
first_packet() {
    local f=$work/strace.txt
    for _ in 1 2 3 4 5; do
        nsx strace -f --seccomp-bpf -ttt -e trace=execve,connect,sendto,sendmsg,sendmmsg \
            -o "$f" "$@" >/dev/null 2>&1 || true
        awk '/ execve\(/ && !t0 { t0 = $2 } / (connect|sendto|sendmsg|sendmmsg)\(/ && !t1 { t1 = $2 }
             END { printf "%.2f\n", (t1 - t0) * 1000 }' "$f"
    done | sort -n | sed -n 3p
}
fp_pgreach=$(first_packet "$PGREACH" "$URL")
pv_ver=$(med "$S" "pgreach --version")
cp_ver=$(med "$S" "check_pgsql -V")
fp_cp=$(first_packet "$PLUGINS/check_pgsql" -H "$LAB_ADDR_A" -P 5432 -d "$LAB_DB" -l "$LAB_USER" -o sslmode=require)
fp_psql=$(first_packet "$PG_BIN/psql" -X -At -c 'select 1' "host=$LAB_HOST port=5432 dbname=$LAB_DB user=$LAB_USER")


cc -O2 -o "$work/cryptocost" "$here/cryptocost.c" -lssl -lcrypto
"$work/cryptocost" >"$work/crypto.txt"
cost() { awk -v k="$1" '$1 == k { print $2 }' "$work/crypto.txt"; }

out "## 3. Start-up" ""
table "$S" "check_pgsql -V"
out "" "Time from \`execve\` to the first \`connect\`/\`send*\` (strace -f --seccomp-bpf -ttt, median of 5): pgreach $fp_pgreach ms (the UDP connect to the resolver), check_pgsql $fp_cp ms, psql $fp_psql ms." "" "@@LTRACE@@" ""
out "" "Native cost of the per-connection crypto on this machine (\`bench/cryptocost.c\`, median of 7 rounds): \`SSL_CTX_new\`+free $(cost ssl_ctx) µs; SCRAM SaltedPassword (4096 iterations) as libpq 15 computes it (a fresh \`HMAC_Init_ex\` per iteration) $(cost scram_pq) µs, against $(cost scram_ossl) µs for the same PBKDF2 through \`PKCS5_PBKDF2_HMAC\`." ""

# ---------------------------------------------------------------------------
# 4. Instructions: callgrind
# ---------------------------------------------------------------------------
say "4/6 callgrind: the default commands, and check_pgsql"
# cg NAME CMD...: callgrind on CMD inside the client namespace.
cg() {
    local name=$1; shift
    nsx timeout 300 valgrind --tool=callgrind --callgrind-out-file="$work/cg-$name.out" "$@" \
        >/dev/null 2>"$work/cg-$name.err" || { tail "$work/cg-$name.err" >&2; die "callgrind run failed ($name)"; }
    awk '/^summary:/ { print $2 }' "$work/cg-$name.out"
}
cg_total=$(cg full "$PGREACH" -t 60 "$URL")
cg_single=$(cg single "$PGREACH" -t 60 --no-pgbouncer --count 1 "$ZURL")
cg_singler=$(cg singler "${PGR[@]}" -t 60 --no-pgbouncer --count 1 "$ZURL")
cg_cp=$(cg cp "$PLUGINS/check_pgsql" -H "$LAB_HOST_ZONAL_A" -P 5432 -d "$LAB_DB" -l "$LAB_USER" -o sslmode=require -t 60)
callgrind_annotate --inclusive=yes "$work/cg-full.out" >"$results/$date-callgrind.txt" 2>/dev/null
callgrind_annotate --inclusive=yes "$work/cg-single.out" >"$results/$date-callgrind-single.txt" 2>/dev/null
# cgsum OUT FNS: calls and inclusive Ir of FNS, summed over call sites.
cgsum() { awk -v FNS="$2" -f "$here/cgcalls.awk" "$work/cg-$1.out" | awk '{ n += $2; ir += $3 } END { print n + 0, ir + 0 }'; }
out "## 4. Instructions (callgrind, the README's default command lines)" "" \
    "| run | instructions | × one check_pgsql login |" "|---|---:|---:|" \
    "| \`pgreach URL\` (full probe, 4 connections) | $(grp "$cg_total") | $(fmt "$(calc "$cg_total / $cg_cp")" %.2f) |" \
    "| \`pgreach --no-pgbouncer --count 1 ZONAL-URL\` (one login) | $(grp "$cg_single") | $(fmt "$(calc "$cg_single / $cg_cp")" %.2f) |" \
    "| [context] the same, \`--sslrootcert CA\` | $(grp "$cg_singler") | $(fmt "$(calc "$cg_singler / $cg_cp")" %.2f) |" \
    "| \`check_pgsql\` one login (libpq's own cost, and the plugin's) | $(grp "$cg_cp") | 1.00 |" "" \
    "Where the instructions go (inclusive, summed over every call site, calls from every library counted; a part can hold another: the chain check holds the trust-store lookups):" "" \
    '| part | function(s) | one login: calls | Ir | share | full probe: calls | Ir | share | check_pgsql: Ir |' \
    '|---|---|---:|---:|---:|---:|---:|---:|---:|'
split_row() {
    local what=$1 fns=$2 n1 i1 n4 i4 nc ic
    read -r n1 i1 < <(cgsum single "$fns")
    read -r n4 i4 < <(cgsum full "$fns")
    read -r nc ic < <(cgsum cp "$fns")
    out "| $what | \`${fns//,/\`, \`}\` | $n1 | $(grp "$i1") | $(fmt "$(calc "100 * $i1 / $cg_single")")% | $n4 | $(grp "$i4") | $(fmt "$(calc "100 * $i4 / $cg_total")")% | $(grp "$ic") |"
}
split_row "start-up: dynamic linking, library constructors" "_dl_start,_dl_init"
split_row "start-up: OpenSSL's config and providers" "OPENSSL_init_ssl"
split_row "OpenSSL started in the wait for the server's 'S' (config, providers, a first SSL_CTX)" "pgr_tls_warm"
split_row "trust store: set up" "pgr_tlsv_new"
split_row "trust store: bundle read, subjects found (in the ClientHello's wait)" "pgr_tlsv_prepare"
split_row "trust store: bundle lookups on demand" "bundle_get"
split_row "chain check + certificate facts (pgreach)" "pgr_cert_fill"
split_row "TLS: libpq's SSL_CTX per connection" "SSL_CTX_new"
split_row "TLS: handshakes" "SSL_do_handshake"
split_row "SCRAM: SaltedPassword (libpq → OpenSSL HMAC)" "HMAC_Init_ex,HMAC_Update,HMAC_Final"
split_row "queries" "PQsendQuery,PQconsumeInput,PQgetResult"
split_row "DNS (c-ares)" "ares_init_options,ares_getaddrinfo,ares_process_fd"
split_row "diagnosis" "pgr_diagnose"
split_row "writers" "pgr_write_text,pgr_write_json"
split_row "exit (atexit handlers: OpenSSL's cleanup for check_pgsql)" "exit"
out "" "Full lists: \`$date-callgrind.txt\` (full probe), \`$date-callgrind-single.txt\` (one login), \`callgrind_annotate --inclusive=yes\`." ""

# ---------------------------------------------------------------------------
# 5. Fleet
# ---------------------------------------------------------------------------
say "5/6 fleet: fixtures/lab/fleet $FLEET"
"$lab/fleet" "$FLEET" >"$work/fleet.log" 2>&1 || { tail -20 "$work/fleet.log" >&2; die "fixtures/lab/fleet failed"; }
sizes=()
for n in 1 16 64 256; do ((n <= FLEET)) && sizes+=("$n"); done
for n in "${sizes[@]}" 4; do
    head -n "$n" "$LAB_DIR/fleet.txt" | awk -v u="$LAB_USER" -v d="$LAB_DB" '{ print "postgres://" u "@" $1 ":5432/" d }' >"$work/t$n.txt"
    chmod 0644 "$work/t$n.txt"
done
# ltrace call counts, 1 target (4 connections) against 16 fleet targets
# (32 connections): what grows 8-fold is set up per connection.
LT_FNS='SSL_CTX_new+SSL_new+OPENSSL_init_ssl+ares_library_init+ares_init_options+ares_getaddrinfo+PQconnectStartParams+X509_STORE_new+X509_STORE_load_file+X509_verify_cert'
ltcount() {
    local try
    # ltrace now and then counts nothing (seen once in ten runs): try again.
    for try in 1 2 3; do
        nsx timeout 120 ltrace -f -c -e "$LT_FNS" -o "$work/ltrace.txt" "$@" >/dev/null 2>&1 || true
        grep -q 'SSL_CTX_new' "$work/ltrace.txt" 2>/dev/null && break
        say "ltrace counted nothing (try $try)"
    done
    awk '$NF ~ /^[A-Za-z_]/ && $NF != "total" && $(NF-1) ~ /^[0-9]+$/ { print $NF, $(NF-1) }' "$work/ltrace.txt"
}
ltcount "$PGREACH" "$URL" >"$work/lt1.txt"
ltcount "$PGREACH" --targets "$work/t16.txt" >"$work/lt16.txt"
lt() { printf '%s\n' "$@" >>"$work/lt.md"; }
lt "Set-up calls counted with \`ltrace -f -c\`: one target (4 connections) against 16 fleet targets (32 connections):" "" \
    "| call | 4 connections | 32 connections | so |" "|---|---:|---:|---|"
while read -r fn n1; do
    n16=$(awk -v f="$fn" '$1 == f { print $2 }' "$work/lt16.txt"); n16=${n16:-0}
    if [[ $n1 == "$n16" ]]; then so="once per run"
    elif [[ $n16 == $((n1 * 8)) ]]; then so="per connection (×8)"
    else so="grows with targets"; fi
    lt "| \`$fn\` | $n1 | $n16 | $so |"
done <"$work/lt1.txt"

F=$results/$date-fleet.json
# rows: "label|binary|--parallel (0: default)|targets|--threads (0: default)"
rows=()
for n in "${sizes[@]}"; do
    rows+=("$n targets|$PGREACH|0|$n|0" "$n targets --parallel 64|$PGREACH|64|$n|0")
done
rows+=("${sizes[-1]} targets --threads 1|$PGREACH|0|${sizes[-1]}|1")
if [[ -n ${BENCH_ALT:-} ]]; then
    nmax=${sizes[-1]}
    rows+=("$nmax targets [alt]|$BENCH_ALT|0|$nmax|0" "$nmax targets --parallel 64 [alt]|$BENCH_ALT|64|$nmax|0")
fi
fargs=()
for r in "${rows[@]}"; do
    IFS='|' read -r label bin par n th <<<"$r"
    popt=""; ((par > 0)) && popt="--parallel $par "
    ((th > 0)) && popt+="--threads $th "
    fargs+=(-n "$label" "$bin $popt--targets $work/t$n.txt")
done
say "5/6 fleet: hyperfine, $FLEET_RUNS runs each"
hf "$F" -i --warmup 1 --runs "$FLEET_RUNS" "${fargs[@]}"

say "5/6 fleet: peak RSS, DNS drops"
out "## 5. Fleet (\`fixtures/lab/fleet $FLEET\`: one name and address per target, each with its PgBouncer sibling)" "" \
    "Wall time: hyperfine, $FLEET_RUNS runs (1 warm-up). The other columns come from one more run under \`/usr/bin/time -v\` with \`--format json\`: peak RSS, pgreach's own CPU, logins that ended with all 5 queries done, targets whose lookup ended in a DNS timeout, and UDP datagrams the kernel dropped because pgreach's resolver socket was full (\`UdpRcvbufErrors\` in pgr-client)." "" \
    "| run | connections | median ms | min … max ms | exit codes | × 1 target | connections/s | peak RSS KB | CPU s | logins ok | DNS timeouts | DNS replies dropped |" \
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
declare -A rss wall
m1=$(med "$F" "1 targets")
for r in "${rows[@]}"; do
    IFS='|' read -r label bin par n th <<<"$r"
    popt=(); ((par > 0)) && popt=(--parallel "$par")
    ((th > 0)) && popt+=(--threads "$th")
    d0=$(udp_counter "$LAB_NS_CLIENT" UdpRcvbufErrors)
    nsx /usr/bin/time -v -o "$work/timev.txt" "$bin" "${popt[@]}" \
        --format json --targets "$work/t$n.txt" >"$work/f.json" 2>/dev/null || true
    d1=$(udp_counter "$LAB_NS_CLIENT" UdpRcvbufErrors)
    rss[$label]=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/timev.txt")
    cpu=$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { print u + s }' "$work/timev.txt")
    ok=$(jq '[.targets[].attempts[] | select(.query.status == "ok" and .query.done == 5)] | length' "$work/f.json")
    dnsto=$(jq '[.targets[] | select(.dns.status == "timeout")] | length' "$work/f.json")
    mn=$(med "$F" "$label")
    wall[$label]=$mn
    out "| $label | $((2 * n)) | $(fmt "$mn") | $(fmt "$(jq -r --arg n "$label" '.results[] | select(.command == $n) | .min * 1000' "$F")") … $(fmt "$(maxt "$F" "$label")") | $(codes "$F" "$label") | $(fmt "$(calc "$mn / $m1")" %.1f) | $(fmt "$(calc "2000 * $n / $mn")" %.0f) | ${rss[$label]} | $cpu | $ok / $((2 * n)) | $dnsto | $((d1 - d0)) |"
done
nmax=${sizes[-1]}
per_target=$(calc "(${rss[$nmax targets]} - ${rss[1 targets]}) / ($nmax - 1)")
out "" "Peak RSS grows by **$(fmt "$per_target") KB per target** ($(fmt "$(calc "$per_target / 2")") KB per connection) from 1 to $nmax targets; with \`--parallel 64\` it is ${rss[$nmax targets --parallel 64]} KB at $nmax targets. At $nmax targets pgreach made $(fmt "$(calc "2000 * $nmax / ${wall[$nmax targets]}")" %.0f) connections/s; pgbench -C made $(fmt "$tps4") with 4 clients (5432 only; PgBouncer logins cost the server less than a PostgreSQL backend fork)."
[[ -n ${BENCH_ALT:-} ]] && out "" "\`[alt]\` rows: $BENCH_ALT (\`$("$BENCH_ALT" --version)\`)."
out ""

# Threads: --threads 1 against the default, interleaved, on 1, 4, 32 and
# 128 connections (the default --threads is what bench/README.md's table
# of these numbers chose).
TH_ROUNDS=${BENCH_TH_ROUNDS:-10}
say "5/6 fleet: threads, interleaved, $TH_ROUNDS rounds"
th_names=("1 connection (single login)" "4 connections (full probe)" "8 connections (4 targets)" "32 connections (16 targets)" "128 connections (64 targets)")
th_cmds=("--no-pgbouncer --count 1 $ZURL" "$URL" "--targets $work/t4.txt" "--targets $work/t16.txt" "--targets $work/t64.txt")
th_args=()
for c in "${th_cmds[@]}"; do th_args+=("$PGREACH --threads 1 $c" "$PGREACH $c" "$PGREACH --threads 4 $c"); done
if ((FLEET >= 64)); then
    nsx bash "$here/ab.sh" "$TH_ROUNDS" "${th_args[@]}" >"$work/th.txt"
    cp "$work/th.txt" "$results/$date-threads.txt"
    thq() { awk -v i="$1" -v c="$2" '$1 == i { print (c == 5 ? $3 + $4 : $c) }' "$work/th.txt" | sort -n |
        awk '{ v[NR] = $1 } END { print v[int((NR - 1) / 2) + 1] }'; }
    out "Threads, interleaved ($TH_ROUNDS rounds, \`bench/ab.sh\`, medians; default \`--threads\` here: $(nproc) cores → $(nproc) workers, started from 8 connections on; raw lines in \`$date-threads.txt\`):" "" \
        "| connections | --threads 1 wall ms | default wall ms | --threads 4 wall ms | --threads 1 CPU ms | default CPU ms | --threads 4 CPU ms |" \
        "|---|---:|---:|---:|---:|---:|---:|"
    for k in 0 1 2 3 4; do
        out "| ${th_names[$k]} | $(fmt "$(thq $((3 * k)) 2)") | $(fmt "$(thq $((3 * k + 1)) 2)") | $(fmt "$(thq $((3 * k + 2)) 2)") | $(thq $((3 * k)) 5) | $(thq $((3 * k + 1)) 5) | $(thq $((3 * k + 2)) 5) |"
    done
    out ""
fi

say "5/6 fleet: massif on 64 targets"
if ((FLEET >= 64)); then
    nsx timeout 300 valgrind --tool=massif --massif-out-file="$work/massif.out" \
        "$PGREACH" -t 120 --format json --targets "$work/t64.txt" >"$work/massif.json" 2>"$work/massif.err" || true
    ms_print "$work/massif.out" >"$work/massif.txt"
    peak_heap=$(awk '/^ *[0-9]+ +[0-9,]+ +[0-9,]+ +[0-9,]+/ { gsub(/,/, "", $3); if ($3 + 0 > m) m = $3 + 0 } END { print m }' "$work/massif.txt")
    # The peak snapshot's tree goes with the results (cut to 400 lines).
    awk -v p="$(sed -nE 's/.*[[ ]([0-9]+) \(peak\).*/\1/p' "$work/massif.txt")" \
        '$1 == p && $2 ~ /^[0-9,]+$/ { on = 1 } on && n++ < 400' "$work/massif.txt" >"$results/$date-massif.txt"
    out "Massif, 64 targets (128 connections open at once): peak heap **$(grp "$peak_heap") B**, $(fmt "$(calc "$peak_heap / 128 / 1024")") KB per connection. Largest allocation sites at the peak (who asked for the memory):" "" \
        '| bytes | % of peak heap | allocated by | reached from |' '|---:|---:|---|---|'
    awk -v max=12 -f "$here/massif_peak.awk" "$work/massif.txt" >>"$body"
    out ""
fi

# ---------------------------------------------------------------------------
# 6. Failure: sg-drop
# ---------------------------------------------------------------------------
say "6/6 failure: scenario sg-drop, timeout $T s, $FAIL_RUNS runs each"
"$lab/scenario" sg-drop >"$work/scenario.log" 2>&1 || { tail "$work/scenario.log" >&2; die "scenario sg-drop failed"; }
X=$results/$date-failure.json
xargs_=(
    -n "pgreach -t $T full probe (4 pairs)" "$PGREACH -t $T $URL"
)
((FLEET >= 256)) && xargs_+=(-n "pgreach -t $T --targets (256 targets, 512 pairs)" "$PGREACH -t $T --targets $work/t256.txt")
xargs_+=(
    -n "check_pgsql -t $T (one pair)" "$PLUGINS/check_pgsql -H $LAB_ADDR_A -P 5432 -d $LAB_DB -l $LAB_USER -o sslmode=require -t $T"
    -n "check_pgsql x4 sequential -t $T" "$here/check_pgsql_4x $T $LAB_ADDR_A $LAB_ADDR_B $LAB_DB $LAB_USER"
    -n "psql connect_timeout=$T (5432)" "$PG_BIN/psql -X -At -c 'select 1' 'host=$LAB_HOST port=5432 dbname=$LAB_DB user=$LAB_USER connect_timeout=$T'"
    -n "pg_isready -t $T (5432)" "$PG_BIN/pg_isready -q -h $LAB_HOST -p 5432 -d $LAB_DB -t $T"
    -n "check_tcp x2 -t $T" "$here/check_tcp_2x $T $LAB_HOST"
    -n "check_postgres --timeout=$T" "check_postgres --action=connection --host=$LAB_HOST --port=5432 --dbname=$LAB_DB --dbuser=$LAB_USER --timeout=$T"
)
hf "$X" -i --runs "$FAIL_RUNS" "${xargs_[@]}"
fx4=$(maxt "$X" "pgreach -t $T full probe (4 pairs)")
out "## 6. Failure (scenario \`sg-drop\`: SYNs to 5432/5433 dropped; timeout $T s for every tool; $FAIL_RUNS runs)" ""
table "$X" "pgreach -t $T full probe (4 pairs)"
out "" "Exit codes: pgreach 2 = CRITICAL (with the cause \`security_group\`); check_pgsql 2 = CRITICAL; pg_isready 2 = no response; psql 2 = connection failed. libpq tools (psql, pg_isready) apply connect_timeout to each address in turn, so a name with two addresses takes twice the timeout." ""

# ---------------------------------------------------------------------------
# Targets
# ---------------------------------------------------------------------------
fx256=""
((FLEET >= 256)) && fx256=$(maxt "$X" "pgreach -t $T --targets (256 targets, 512 pairs)")
lim=$(calc "$T * 1000 * 1.05")
{
    cat "$work/head.md"
    printf '## Targets\n\n| target | measured | result |\n|---|---|---|\n'
    printf '| full probe ≤ ½ × check_pgsql over the same 4 pairs in sequence: `pgreach URL` (interleaved) | %s ms vs %s ms (×%s) | %s |\n' \
        "$(fmt "$ab_full")" "$(fmt "$ab_cp4")" "$(fmt "$(calc "$ab_full / $ab_cp4")" %.2f)" "$(verdict "$ab_full <= 0.5 * $ab_cp4")"
    printf '| the same, `pgreach --format json URL` | %s ms (×%s) | %s |\n' \
        "$(fmt "$ab_fullj")" "$(fmt "$(calc "$ab_fullj / $ab_cp4")" %.2f)" "$(verdict "$ab_fullj <= 0.5 * $ab_cp4")"
    printf '| one login ≤ one check_pgsql login by name: `pgreach --no-pgbouncer --count 1 URL` (interleaved) | %s ms vs %s ms (×%s) | %s |\n' \
        "$(fmt "$ab_single")" "$(fmt "$ab_cp1n")" "$(fmt "$(calc "$ab_single / $ab_cp1n")" %.2f)" "$(verdict "$ab_single <= $ab_cp1n")"
    printf '| the same, `--format json` | %s ms (×%s) | %s |\n' \
        "$(fmt "$ab_singlej")" "$(fmt "$(calc "$ab_singlej / $ab_cp1n")" %.2f)" "$(verdict "$ab_singlej <= $ab_cp1n")"
    printf '| one login ≤ one check_pgsql login to a literal address, no DNS (interleaved) | %s ms vs %s ms (×%s) | %s |\n' \
        "$(fmt "$ab_single")" "$(fmt "$ab_cp1a")" "$(fmt "$(calc "$ab_single / $ab_cp1a")" %.2f)" "$(verdict "$ab_single <= $ab_cp1a")"
    for pair in "one login|6|7" "full probe|0|3"; do
        IFS='|' read -r what d r <<<"$pair"
        printf '| user CPU of the default run within 10 %% of the `--sslrootcert` run, %s (median, interleaved) | %s vs %s ms (×%s) | %s |\n' \
            "$what" "$(abq "$d" 0.5 3)" "$(abq "$r" 0.5 3)" "$(fmt "$(calc "$(abq "$d" 0.5 3) / $(abq "$r" 0.5 3)")" %.2f)" \
            "$(verdict "$(abq "$d" 0.5 3) <= 1.1 * $(abq "$r" 0.5 3)")"
    done
    printf '| the same in instructions, one login (callgrind) | %s vs %s (×%s) | %s |\n' \
        "$(grp "$cg_single")" "$(grp "$cg_singler")" "$(fmt "$(calc "$cg_single / $cg_singler")" %.3f)" "$(verdict "$cg_single <= 1.1 * $cg_singler")"
    # Absolute start-up times follow the machine's load (check_pgsql -V was
    # 5.6 ms on a quiet day, 19 ms on a busy one): judged against check_pgsql,
    # measured in the same run (2026-11-28: ×0.87 and ×1.08).
    printf '| `pgreach --version` stays about 5 ms: against check_pgsql -V (hyperfine, section 3; 2026-11-28: 4.9 vs 5.6 ms, ×0.87) | %s ms vs %s ms (×%s) | %s |\n' \
        "$(fmt "$pv_ver")" "$(fmt "$cp_ver")" "$(fmt "$(calc "$pv_ver / $cp_ver")" %.2f)" "$(verdict "$pv_ver <= 0.95 * $cp_ver")"
    printf '| first packet after execve stays about 5 ms: against check_pgsql (strace, section 3; 2026-11-28: 5.2 vs 4.8 ms, ×1.08) | %s ms vs %s ms (×%s) | %s |\n' \
        "$fp_pgreach" "$fp_cp" "$(fmt "$(calc "$fp_pgreach / $fp_cp")" %.2f)" "$(verdict "$fp_pgreach <= 1.1 * $fp_cp")"
    printf '| (hyperfine blocks, section 1) full probe / single login | %s / %s ms vs %s / %s ms (×%s / ×%s) | |\n' \
        "$(fmt "$full")" "$(fmt "$single")" "$(fmt "$cp4")" "$(fmt "$cp1n")" \
        "$(fmt "$(calc "$full / $cp4")" %.2f)" "$(fmt "$(calc "$single / $cp1n")" %.2f)"
    printf '| failure verdict ≤ --timeout + 5 %% (%s ms), 4 pairs, slowest run | %s ms | %s |\n' \
        "$(fmt "$lim" %.0f)" "$(fmt "$fx4")" "$(verdict "$fx4 <= $lim")"
    if [[ -n $fx256 ]]; then
        printf '| failure verdict ≤ --timeout + 5 %%, 512 pairs, slowest run | %s ms | %s |\n' \
            "$(fmt "$fx256")" "$(verdict "$fx256 <= $lim")"
    fi
    if ((FLEET >= 256)); then
        printf '| 256 targets < 3 × one target | %s ms vs %s ms (×%s) | %s |\n' \
            "$(fmt "${wall[256 targets]}")" "$(fmt "$m1")" "$(fmt "$(calc "${wall[256 targets]} / $m1")" %.1f)" "$(verdict "${wall[256 targets]} < 3 * $m1")"
        printf '| (context) 512 connections at pgbench -C -c 4 rate | ≥ %s ms of this machine | |\n' \
            "$(fmt "$(calc "512000 / $tps4")" %.0f)"
    fi
    printf '\n'
    awk -v f="$work/lt.md" '$0 == "@@LTRACE@@" { while ((getline l < f) > 0) print l; next } { print }' "$body"
    printf 'Run time: %d s.\n' $((SECONDS - t_start))
} >"$md"

say "done in $((SECONDS - t_start)) s: $md"
