/*
 * The diagnosis: a pure function from probe results (and offline evidence)
 * to findings, each naming the setup step that is wrong and what to run.
 * The rules are a table read top to bottom; the order is the order of
 * likelihood, so the findings come out most likely first.
 */
#ifndef PGR_DIAGNOSE_H
#define PGR_DIAGNOSE_H

#include <stdbool.h>

#include "probes/result.h"
#include "report/evidence.h"

struct pgr_diag_opts {
	const char	*region;		/* expected region, NULL if unknown */
	const char	*region_source;		/* "--region", "AWS_REGION", ... */
	const struct pgr_evidence *ev;		/* NULL: none given */
	bool		 vpc_given;		/* --vpc-cidr was given */
	long		 cert_warning_days;	/* warn below this many days */
	long		 cert_critical_days;	/* critical below this many days */
	const char	*sslmode;		/* the run's default sslmode */
};

/* Append the findings for r to r->findings, most likely first. */
void	pgr_diagnose(struct pgr_report *r, const struct pgr_diag_opts *o);

/* The rule codes, in table order, NULL-terminated (for docs and tests). */
const char *const *pgr_diagnose_codes(void);

#endif
