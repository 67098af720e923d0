#ifndef PGR_VERDICT_H
#define PGR_VERDICT_H

#include "probes/result.h"

/*
 * The run's status: the worst finding's severity, and critical wherever a
 * phase failed (a connection that cannot be made is CRITICAL, never
 * UNKNOWN), whether or not a rule explained it.
 */
enum pgr_severity pgr_verdict(const struct pgr_report *r);

#endif
