#ifndef PGR_VERDICT_H
#define PGR_VERDICT_H

#include "probes/result.h"

/*
 * The run's status: the worst finding's severity; with no findings, what
 * the phases show (a failed phase anywhere is critical: a connection that
 * cannot be made is CRITICAL, never UNKNOWN).
 */
enum pgr_severity pgr_verdict(const struct pgr_report *r);

#endif
