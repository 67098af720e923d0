/*
 * Monitoring Plugins output and the thresholds of the command line.
 *
 *	PGREACH OK - 4/4 connections ok, login 0.012s, p95 0.4ms | dns_5432=...
 *	[critical] CODE (cause): summary		(long output, one per finding)
 *
 * The thresholds are Nagios ranges (report/range.h) on values of the field
 * table (report/fields.h): -w/-c on "session" (seconds from the start of
 * the name lookup to a logged-in session), --query-warning/--query-critical
 * on "query_p95" (seconds), --cert-warning/--cert-critical on "cert_days"
 * (whole days left; a DAYS threshold alerts below DAYS, i.e. the range
 * "DAYS:").  They apply to every format: main() calls pgr_thresholds_apply()
 * whatever --format says, so the exit status is the same for all.
 */
#ifndef PGR_NAGIOS_H
#define PGR_NAGIOS_H

#include <stddef.h>
#include <stdio.h>

#include "probes/result.h"
#include "report/range.h"

struct pgr_nagios_opts {
	struct pgr_range warning, critical;		/* session, seconds */
	struct pgr_range query_warning, query_critical;	/* query p95, seconds */
	struct pgr_range cert_warning, cert_critical;	/* days left */
};

/*
 * Fill o from the command line's texts (NULL: not given, never alerts)
 * and the certificate days.  0, or -1 with one line in err naming the
 * option ("-w: range '10abc': unexpected 'abc' after the number '10'").
 */
int	pgr_nagios_opts_set(struct pgr_nagios_opts *o, const char *warning,
	    const char *critical, const char *query_warning,
	    const char *query_critical, long cert_warning_days,
	    long cert_critical_days, char *err, size_t errlen);

/* The worst severity the thresholds give any value of r; r is not changed. */
enum pgr_severity pgr_nagios_threshold_status(const struct pgr_report *r,
	    const struct pgr_nagios_opts *o);

/*
 * Append one finding per target and threshold that alerts: cause
 * "latency" (SESSION_SLOW, QUERY_SLOW) or "certificate" (CERT_EXPIRING,
 * CERT_EXPIRED), severity warning or critical by the range that fired,
 * about the worst address.  A value that does not exist (phase skipped or
 * failed) is not judged, and a finding with the same code and target
 * already in r is not repeated.  Returns the worst severity added
 * (PGR_SEV_OK for none); r->status is not touched.
 */
enum pgr_severity pgr_thresholds_apply(struct pgr_report *r,
	    const struct pgr_nagios_opts *o);

/*
 * The plugin output: status line with perfdata, then findings and one line
 * per target.  The status word is r->status's (a timeout is CRITICAL,
 * never UNKNOWN).  o may be NULL: perfdata without warn/crit.
 */
int	pgr_write_nagios(FILE *f, const struct pgr_report *r,
	    const struct pgr_nagios_opts *o);

#endif
