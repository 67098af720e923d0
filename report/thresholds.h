/*
 * The thresholds of the command line, for every format (see thresholds.c):
 * -w/-c on seconds to a logged-in session, --query-warning/--query-critical
 * on query p95, --cert-warning/--cert-critical on certificate days left.
 */
#ifndef PGR_THRESHOLDS_H
#define PGR_THRESHOLDS_H

#include <stddef.h>

#include "probes/result.h"
#include "report/fields.h"
#include "report/finding.h"
#include "report/range.h"

struct pgr_thresholds {
	struct pgr_range warning, critical;		/* session, seconds */
	struct pgr_range query_warning, query_critical;	/* query p95, seconds */
	struct pgr_range cert_warning, cert_critical;	/* days left */
};

/*
 * Fill o from the command line's texts (NULL: not given, never alerts)
 * and the certificate days.  0, or -1 with one line in err naming the
 * option ("-w: range '10abc': unexpected 'abc' after the number '10'").
 */
int	pgr_thresholds_set(struct pgr_thresholds *o, const char *warning,
	    const char *critical, const char *query_warning,
	    const char *query_critical, long cert_warning_days,
	    long cert_critical_days, char *err, size_t errlen);

/* The warning and critical ranges of a kind of threshold (NULL: none). */
void	pgr_threshold_ranges(const struct pgr_thresholds *o, enum pgr_threshold k,
	    const struct pgr_range **w, const struct pgr_range **c);

/* How one value fares against a kind of threshold. */
enum pgr_severity pgr_threshold_judge(const struct pgr_thresholds *o,
	    enum pgr_threshold k, double v);

/* The worst severity the thresholds give any value of r. */
enum pgr_severity pgr_thresholds_status(const struct pgr_report *r,
	    const size_t *hosts, const struct pgr_thresholds *o);

/*
 * Append one finding per target (per host, for a certificate: hosts[i] is
 * target i's host) and threshold that alerts: cause latency (SESSION_SLOW,
 * QUERY_SLOW) or certificate (CERT_EXPIRING, CERT_EXPIRED), severity by the
 * range that fired, about the worst address.  A value that does not exist
 * (phase skipped or failed) is not judged.  Returns the worst severity added.
 */
enum pgr_severity pgr_thresholds_apply(const struct pgr_report *r,
	    const struct pgr_thresholds *o, const size_t *hosts,
	    struct pgr_findings *out);

#endif
