/*
 * One way to say what happened in a phase, shared by every writer that
 * prints phases as text (the text report, JUnit's system-out, the bundle's
 * phases.tsv, Nagios long output), so a fact is worded once.
 */
#ifndef PGR_DETAIL_H
#define PGR_DETAIL_H

#include <stddef.h>

#include "report/analysis.h"

/* "10.0.1.5:5432", "[fd00::5]:5432", or "HOST port 5432" without an attempt. */
const char *pgr_detail_where(const struct pgr_target *t,
	    const struct pgr_attempt *a, char *buf, size_t len);

/*
 * What phase p of an attempt showed, beyond its status: the error of a
 * failed connect or the local address of a good one; the TLS version and
 * cipher or the handshake error, then the certificate; the server version or
 * SQLSTATE and message of the login; the query statistics.  "" if nothing.
 */
const char *pgr_detail_phase(const struct pgr_attempt *a, enum pgr_phase p,
	    char *buf, size_t len);

/* The certificate in one clause: "cert CN, 300 days left, chain verifies, name matches". */
const char *pgr_detail_cert(const struct pgr_cert *c, char *buf, size_t len);

/* Where the run first failed: "tcp timeout at 10.0.1.5:5432", "" if nowhere. */
const char *pgr_detail_failure(const struct pgr_analysis *an, char *buf,
	    size_t len);

/*
 * A finding's summary for a headline: the endpoint's 85-character host name
 * said by its ID (vpce-0a1b...), which the line names already; lookups keep
 * the full name, since the name itself is the question there.
 */
const char *pgr_detail_headline(const struct pgr_analysis *an,
	    const struct pgr_finding *f, char *buf, size_t len);

/* Milliseconds with three significant digits: 0.442, 4.42, 44.2, 442. */
const char *pgr_format_ms(double ms, char *buf, size_t len);

/* Seconds with three significant digits and no exponent: 0.000442, 0.0442, 4.42. */
const char *pgr_format_s(double s, char *buf, size_t len);

#endif
