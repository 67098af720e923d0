#!/bin/sh
# Build the libFuzzer harnesses and run each for SECONDS (default 60), one
# after the other; print one line per harness (runs, coverage, features,
# corpus) and exit 1 if any of them found a crash, 2 if the build failed.
#
#   fuzz/run-all.sh 30            # from the source tree, after ./configure
#   fuzz/run-all.sh 60 evidence report   # only these harnesses
#   PGREACH_BUILDDIR=/b fuzz/run-all.sh 60
#
# Corpora grow in $BUILDDIR/fuzz/corpus/<harness>, seeded from
# fixtures/fuzz/<harness> (and the evidence and report fixtures); crashes
# land in $BUILDDIR/fuzz/artifacts/<harness>/, logs in fuzz/<harness>.log.
set -u
secs=${1:-60}
[ $# -gt 0 ] && shift
harnesses=${*:-target range endpoint evidence pgmsg report secrets ec2xml serve_config}
here=$(cd "$(dirname "$0")" && pwd)
srcdir=$(cd "$here/.." && pwd)
builddir=${PGREACH_BUILDDIR:-$srcdir}
out=$builddir/fuzz

if ! command -v "${FUZZ_CC:-clang}" >/dev/null 2>&1; then
	echo "run-all.sh: clang not found (apt-get install clang libclang-rt-14-dev)" >&2
	exit 2
fi
make -s -f "$srcdir/fuzz/fuzz.mk" SRCDIR="$srcdir" BUILDDIR="$builddir" ||
	exit 2

status=0
for h in $harnesses; do
	corpus=$out/corpus/$h
	artifacts=$out/artifacts/$h
	mkdir -p "$corpus" "$artifacts"
	seeds=$srcdir/fixtures/fuzz/$h
	extra=
	case $h in
	evidence) extra=$srcdir/fixtures/evidence ;;
	report) extra="$srcdir/fixtures/diagnose/reports $srcdir/fixtures/schema" ;;
	esac
	dict=
	[ -f "$srcdir/fuzz/$h.dict" ] && dict=-dict=$srcdir/fuzz/$h.dict
	# shellcheck disable=SC2086
	"$out/fuzz_$h" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$artifacts/" $dict \
		"$corpus" "$seeds" $extra >"$out/$h.log" 2>&1
	rc=$?
	# The last status line: "#N  DONE  cov: C ft: F corp: K/S ..."
	last=$(grep -E '^#[0-9]+' "$out/$h.log" | tail -1)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$h.log")
	cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$last" | sed -n 's/.*corp: \([0-9]*\).*/\1/p')
	crashes=$(find "$artifacts" -type f | wc -l)
	echo "fuzz_$h: ${secs}s runs=${runs:-?} cov=${cov:-?} ft=${ft:-?} corpus=${corp:-?} crashes=$crashes exit=$rc"
	if [ "$rc" != 0 ] || [ "$crashes" != 0 ]; then
		status=1
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$out/$h.log" | head -5 | sed 's/^/    /'
		find "$artifacts" -type f | head -5 | sed 's/^/    /'
	fi
done
exit $status
