/*
 * One analysis pass over a run, computed once after the probes: the
 * findings (the diagnosis, then the thresholds), the endpoint hosts with
 * their checklist of setup steps, the first failure and the verdict.  Every
 * writer formats this and derives nothing again, so every format reports
 * the same status and the same failed steps.
 */
#ifndef PGR_ANALYSIS_H
#define PGR_ANALYSIS_H

#include <stdbool.h>

#include "probes/result.h"
#include "report/evidence.h"
#include "report/finding.h"
#include "report/thresholds.h"

enum pgr_check_state {
	PGR_CHECK_PASS,
	PGR_CHECK_FAIL,
	PGR_CHECK_UNKNOWN,	/* not checked; the note says what would check it */
	PGR_CHECK_WARN		/* passed, with a warning finding on it */
};
const char *pgr_check_state_name(enum pgr_check_state s);	/* "pass", ... */

/* The setup guide's steps, in its order. */
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
	PGR_STEP_CERTIFICATE,
	PGR_STEP_LOGIN_POSTGRES,
	PGR_STEP_LOGIN_PGBOUNCER,
	PGR_STEP_QUERY,
	PGR_STEP__COUNT
};

/* Which probe phase a step reads, on which port's target. */
enum pgr_step_port {
	PGR_SP_NONE,		/* an evidence step: no probe phase */
	PGR_SP_POSTGRES,	/* the host's 5432 target */
	PGR_SP_PGBOUNCER,	/* its 5433 target */
	PGR_SP_EITHER		/* 5432, else 5433 */
};

struct pgr_step_def {
	const char	*name;		/* stable, for JSON: "tcp_5432" */
	const char	*title;		/* "TCP 5432" */
	enum pgr_phase	 phase;		/* PGR_PH__COUNT for an evidence step */
	enum pgr_step_port port;
};
const struct pgr_step_def *pgr_step_def(enum pgr_check_step s);

struct pgr_check_item {
	enum pgr_check_step step;
	const char	*title;
	enum pgr_check_state state;
	char		 note[256];
	int		 finding;	/* the finding on this step, -1 */
	bool		 possible;	/* the finding is unconfirmed ("possibly") */
	enum pgr_err	 err;		/* the phase's first failure (or skip), PGR_OK */
	double		 ms;		/* the phase's longest duration, 0 */
};

struct pgr_host {
	const char	*name;
	int		 first;		/* first target of this host */
	int		 pg, bouncer;	/* its 5432 and 5433 targets, -1 */
	double		 ms;		/* its first start to its last phase end */
	struct pgr_check_item steps[PGR_STEP__COUNT];
	size_t		 nfail, nwarn, nunknown;
	/*
	 * What to fix, once each: the steps, in the guide's order, that are
	 * not passed and carry a finding no earlier step carries.
	 */
	enum pgr_check_step fix[PGR_STEP__COUNT];
	size_t		 nfix;
};

/* Where the run first failed, in target and attempt order. */
struct pgr_failure {
	int		 target;	/* -1: nothing failed */
	int		 attempt;	/* -1: the lookup */
	enum pgr_phase	 phase;
	enum pgr_err	 err;
};

struct pgr_analysis_opts {
	const char	*region;		/* expected region, NULL if unknown */
	const char	*region_source;		/* "--region", "AWS_REGION", ... */
	const struct pgr_evidence *ev;		/* NULL: none given */
	bool		 vpc_given;		/* --vpc-cidr was given */
	const char	*sslmode;		/* the run's default sslmode */
	const struct pgr_thresholds *thr;	/* NULL: the defaults */
	double		 idle_s;		/* --idle asked for; 0: not */
};

struct pgr_analysis {
	const struct pgr_report	*r;
	const struct pgr_analysis_opts *o;
	struct pgr_findings	 findings;	/* most likely first */
	size_t			 nhosts;
	struct pgr_host		*hosts;
	size_t			*host_of;	/* per target: index into hosts */
	struct pgr_failure	 first_failure;
	size_t			 nattempts, nok;	/* attempts; those with no failed phase */
	enum pgr_severity	 status;	/* the verdict: every format's exit code */
	struct pgr_thresholds	 thr;		/* as judged */
};

/*
 * Analyse r.  0 on success; -1 when memory ran out (err says so), and the
 * analysis must not be written as if it were whole.  o must outlive an.
 */
int	pgr_analyze(struct pgr_analysis *an, const struct pgr_report *r,
	    const struct pgr_analysis_opts *o, char *err, size_t errlen);
void	pgr_analysis_free(struct pgr_analysis *an);

/* A phase of an attempt failed (not ok, skipped, pending or disabled). */
bool	pgr_attempt_failed(const struct pgr_attempt *a);
/* An attempt's status in phase p. */
enum pgr_err pgr_attempt_phase(const struct pgr_attempt *a, enum pgr_phase p);
/* The finding on a host's step, NULL. */
const struct pgr_finding *pgr_step_finding(const struct pgr_analysis *an,
	    const struct pgr_check_item *it);
/*
 * An attempt the analysis does not count as a failure: an IPv6 address this
 * client cannot route, which IPV6_UNREACHABLE (a warning) explains.
 */
bool	pgr_attempt_excused(const struct pgr_analysis *an, size_t target,
	    const struct pgr_attempt *a);
/* The host a target belongs to. */
const struct pgr_host *pgr_host_of(const struct pgr_analysis *an, size_t target);

#endif
