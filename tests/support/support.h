/*
 * The test-support library: see tests/support/support.c.  Tests include
 * this and link libpgrtest.a.
 */
#ifndef PGR_TEST_SUPPORT_H
#define PGR_TEST_SUPPORT_H

#include "probes/result.h"
#include "report/analysis.h"
#include "report/thresholds.h"

#define HOST_DEFAULT	"vpce-0a1b2c3d4e5f67890-abcdefgh.vpce-svc-0123456789abcdef0.us-east-1.vpce.amazonaws.com"
#define SECRET_DEFAULT	"hunter2-S3cr3t'pw"
#define T0	1700000000L	/* 2023-11-14T22:13:20Z */

/* The host and password the builders use; a test may point them elsewhere. */
extern const char *test_host;
extern const char *test_secret;

struct pgr_target *add_target(struct pgr_report *r, const char *host, int port,
	    enum pgr_role role);
/* A healthy attempt on the last target; the k-th is a little slower. */
struct pgr_attempt *add_attempt(struct pgr_report *r, const char *addr);
/* Phase p ends as e; the later phases are skipped, as the engine leaves them. */
void	fail_at(struct pgr_attempt *a, enum pgr_phase p, enum pgr_err e, double ms);
void	two_by_two(struct pgr_report *r);
void	report_init(struct pgr_report *r);

#define EACH_ATTEMPT(r, a) \
	for (size_t i_ = 0; i_ < (r)->ntargets; i_++) \
		for (struct pgr_attempt *a = (r)->results[i_].attempts; \
		    a != NULL && a < (r)->results[i_].attempts + (r)->results[i_].nattempts; a++)

/*
 * A finding the next analyze() appends after the diagnosis's own: text the
 * diagnosis would never write, for the writers' escaping tests.
 */
void	plant(enum pgr_code code, enum pgr_severity sev, enum pgr_cause cause,
	    const char *summary, const char *evidence, const char *remedy, int target);
/* The analysis pgreach would make of r (thr NULL: the default thresholds). */
void	analyze(struct pgr_analysis *an, const struct pgr_report *r,
	    const struct pgr_thresholds *thr);
/* The same with an expected region and evidence (each may be NULL). */
void	analyze_with(struct pgr_analysis *an, const struct pgr_report *r,
	    const struct pgr_thresholds *thr, const char *region,
	    const struct pgr_evidence *ev);

/* The cases every writer's test has. */
void	b_nxdomain(struct pgr_report *r);
void	b_refused_no_findings(struct pgr_report *r);
void	b_healthy(struct pgr_report *r);
void	b_tcp_timeout(struct pgr_report *r);
void	b_auth(struct pgr_report *r);
void	b_cert_expired(struct pgr_report *r);
void	b_single(struct pgr_report *r);
void	b_cert_expiring(struct pgr_report *r);
void	b_ipv6_hosts(struct pgr_report *r);
void	b_duplicate_target(struct pgr_report *r);
void	b_unknown(struct pgr_report *r);
void	b_tls_disabled(struct pgr_report *r);

char	*slurp(const char *path);
/* Compare got with the golden file; PGR_UPDATE_FIXTURES=1 writes it first. */
void	golden(const char *path, const char *got);
/* golden() on FIXTURES/reports/NAME.EXT */
void	check_golden(const char *name, const char *ext, const char *got);

#endif
