/*
 * The diagnosis: a pure function from probe results (and offline evidence)
 * to findings, each naming the setup step that is wrong and what to run.
 * The rules are a table read top to bottom; the order is the order of
 * likelihood, so the findings come out most likely first.  It runs inside
 * the analysis (report/analysis.c), on the analysis's hosts.
 */
#ifndef PGR_DIAGNOSE_H
#define PGR_DIAGNOSE_H

#include "report/analysis.h"

/* Append the findings for r's hosts to out, in the table's order. */
void	pgr_diagnose(const struct pgr_report *r, const struct pgr_host *hosts,
	    size_t nhosts, const struct pgr_analysis_opts *o, struct pgr_findings *out);

/* The rule codes, in table order, ending with PGR_CODE_NONE (docs, tests). */
const enum pgr_code *pgr_diagnose_codes(void);

#endif
