/*
 * The smoke-test view: the setup guide's steps, each passed, failed or not
 * checked, computed from results, evidence and findings.
 */
#ifndef PGR_CHECKLIST_H
#define PGR_CHECKLIST_H

#include "probes/result.h"
#include "report/evidence.h"

enum pgr_check_state {
	PGR_CHECK_PASS,
	PGR_CHECK_FAIL,
	PGR_CHECK_UNKNOWN	/* not checked; note says what would check it */
};

enum pgr_check_step {
	PGR_STEP_PROVISIONED,
	PGR_STEP_ACCOUNT,
	PGR_STEP_REGION,
	PGR_STEP_AVAILABLE,
	PGR_STEP_SECURITY_GROUP,
	PGR_STEP_DNS,
	PGR_STEP_TCP_5432,
	PGR_STEP_TCP_5433,
	PGR_STEP_TLS,
	PGR_STEP_LOGIN_POSTGRES,
	PGR_STEP_LOGIN_PGBOUNCER,
	PGR_STEP_QUERY,
	PGR_STEP__COUNT
};

struct pgr_check_item {
	enum pgr_check_step step;
	const char	*title;
	enum pgr_check_state state;
	char		 note[256];
	int		 finding;	/* index of the finding that explains a FAIL, -1 */
};

/* The checklist for the host of target index first (its 5433 sibling too). */
void	pgr_checklist(const struct pgr_report *r, const struct pgr_evidence *ev,
	    const char *region, int first, struct pgr_check_item items[PGR_STEP__COUNT]);

#endif
