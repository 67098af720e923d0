/*
 * The measurements the metric writers (Nagios perfdata, Prometheus) share,
 * declared once: a name, a unit, the phase it belongs to, where it is
 * exported, and a getter.  A writer iterates pgr_fields[] and never names a
 * measurement itself; a new measurement is a new row.  Model: curl
 * src/tool_writeout.c, one variables[] table behind -w and JSON.
 *
 * Getters return values in base units (seconds, days, Unix time, counts)
 * and false when the value does not exist: the phase was skipped, failed
 * or never ran, or the certificate was not seen.
 */
#ifndef PGR_FIELDS_H
#define PGR_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "probes/result.h"

enum pgr_field_scope {
	PGR_FS_TARGET,		/* one value per target (name lookup) */
	PGR_FS_ATTEMPT		/* one value per target x address */
};

enum pgr_unit {
	PGR_UNIT_SECONDS,
	PGR_UNIT_DAYS,
	PGR_UNIT_COUNT,
	PGR_UNIT_UNIXTIME	/* seconds since the epoch */
};

/* Which threshold pair of the command line judges a field, if any. */
enum pgr_threshold {
	PGR_THR_NONE,
	PGR_THR_SESSION,	/* -w/-c: time to a logged-in session */
	PGR_THR_QUERY,		/* --query-warning/--query-critical: p95 */
	PGR_THR_CERT		/* --cert-warning/--cert-critical: days left */
};

/* Prometheus metric families; several fields may share one. */
enum pgr_family {
	PGR_FAM_NONE = -1,
	PGR_FAM_DNS_DURATION,
	PGR_FAM_DNS_ADDRESSES,
	PGR_FAM_PHASE_DURATION,
	PGR_FAM_PHASE_END,
	PGR_FAM_SESSION,
	PGR_FAM_QUERY_LATENCY,
	PGR_FAM_CERT_EXPIRY,
	PGR_FAM__COUNT
};

struct pgr_family_def {
	const char	*name;		/* pgreach_phase_duration_seconds */
	const char	*type;		/* "gauge" */
	const char	*help;
};

#define PGR_FIELD_NAGIOS	0x1	/* in the perfdata */

typedef bool (*pgr_field_get)(const struct pgr_target *t,
    const struct pgr_target_result *tr, const struct pgr_attempt *a,
    double *out);

struct pgr_field {
	const char		*name;		/* stable: "tcp", "query_p95" */
	enum pgr_unit		 unit;
	enum pgr_phase		 phase;
	enum pgr_field_scope	 scope;
	const char		*help;
	unsigned		 flags;		/* PGR_FIELD_* */
	enum pgr_threshold	 threshold;
	enum pgr_family		 family;	/* PGR_FAM_NONE: not exported */
	const char		*label_key;	/* extra Prometheus label, or NULL */
	const char		*label_value;
	pgr_field_get		 get;		/* a is NULL for PGR_FS_TARGET */
};

extern const struct pgr_field pgr_fields[];
extern const size_t pgr_nfields;
extern const struct pgr_family_def pgr_families[PGR_FAM__COUNT];

/* The field called name, or NULL. */
const struct pgr_field *pgr_field_find(const char *name);

/* Run the getter; false (and *out untouched) when the value does not exist. */
bool	pgr_field_value(const struct pgr_field *fd, const struct pgr_target *t,
	    const struct pgr_target_result *tr, const struct pgr_attempt *a,
	    double *out);

/*
 * v as a plain decimal in the C locale, with the digits the unit deserves
 * (microseconds for seconds, whole numbers otherwise): no exponent, so it
 * suits perfdata's [-0-9.] as well as Prometheus.  Returns buf.
 */
const char *pgr_field_format(enum pgr_unit u, double v, char *buf, size_t len);

/* v with that many decimals (0..9), trailing zeros dropped if trim; "U" for NaN. */
const char *pgr_format_fixed(double v, int decimals, bool trim, char *buf,
	    size_t len);

#endif
