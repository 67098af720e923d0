/*
 * The test-support library (libpgrtest.a): synthetic reports built in
 * memory the way the engine leaves them, the analysis run on them, findings
 * planted for the writers' escaping tests, recorded case files, and golden
 * file comparison.  Every test links it; nothing here is in pgreach.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/endpoint.h"
#include "tests/support/support.h"

static struct pgr_findings planted;

const char *test_host = HOST_DEFAULT;
const char *test_secret = SECRET_DEFAULT;

void
plant(enum pgr_code code, enum pgr_severity sev, enum pgr_cause cause,
    const char *summary, const char *evidence, const char *remedy, int target)
{
	ck_assert_int_eq(pgr_findings_add(&planted, code, sev, cause, summary,
	    evidence, remedy, target), 0);
}

void
analyze(struct pgr_analysis *an, const struct pgr_report *r,
    const struct pgr_thresholds *thr)
{
	analyze_with(an, r, thr, NULL, NULL);
}

void
analyze_with(struct pgr_analysis *an, const struct pgr_report *r,
    const struct pgr_thresholds *thr, const char *region,
    const struct pgr_evidence *ev)
{
	static struct pgr_analysis_opts o;
	static struct pgr_thresholds dflt;
	char err[256];
	size_t i, k;

	memset(&o, 0, sizeof(o));
	o.sslmode = "require";
	o.region = region;
	o.region_source = "--region";
	o.ev = ev != NULL && ev->n > 0 ? ev : NULL;
	if (thr == NULL) {
		ck_assert_int_eq(pgr_thresholds_set(&dflt, NULL, NULL, NULL, NULL,
		    14, 0, err, sizeof(err)), 0);
		thr = &dflt;
	}
	o.thr = thr;
	ck_assert_msg(pgr_analyze(an, r, &o, err, sizeof(err)) == 0, "%s", err);
	/* Planted findings go first, so the writers lead with their text; the
	 * checklist's references move along. */
	for (i = 0; i < an->nhosts; i++)
		for (k = 0; k < PGR_STEP__COUNT; k++)
			if (an->hosts[i].steps[k].finding >= 0)
				an->hosts[i].steps[k].finding += (int)planted.n;
	for (i = 0; i < an->findings.n; i++) {
		const struct pgr_finding *f = &an->findings.v[i];

		ck_assert_int_eq(pgr_findings_add(&planted, f->code, f->severity,
		    f->cause, f->summary, f->evidence, f->remedy, f->target), 0);
	}
	for (i = 0; i < planted.n; i++)
		if (planted.v[i].severity > an->status)
			an->status = planted.v[i].severity;
	pgr_findings_free(&an->findings);
	an->findings = planted;
	memset(&planted, 0, sizeof(planted));
}

struct pgr_target *
add_target(struct pgr_report *r, const char *host, int port, enum pgr_role role)
{
	struct pgr_target *t;
	struct pgr_target_result *tr;
	char url[512];

	/* room doubles at each power of two: 20,000 targets build quickly */
	if ((r->ntargets & (r->ntargets - 1)) == 0) {
		size_t cap = r->ntargets ? r->ntargets * 2 : 1;

		r->targets = realloc(r->targets, cap * sizeof(*r->targets));
		r->results = realloc(r->results, cap * sizeof(*r->results));
		ck_assert(r->targets != NULL && r->results != NULL);
	}
	t = &r->targets[r->ntargets];
	tr = &r->results[r->ntargets];
	memset(t, 0, sizeof(*t));
	memset(tr, 0, sizeof(*tr));
	snprintf(url, sizeof(url), "postgres://app:REDACTED@%s:%d/db", host, port);
	t->url = strdup(url);
	t->source = strdup("argument 1");
	t->host = strdup(host);
	t->port = port;
	t->role = role;
	t->dbname = strdup("db");
	t->user = strdup("app");
	t->password = strdup(test_secret);
	t->sibling_of = -1;
	pgr_endpoint_parse(host, &t->endpoint);
	tr->dns.status = PGR_OK;
	tr->dns.ms = 1.5;
	tr->dns.min_ttl = -1;
	snprintf(tr->dns.servers, sizeof(tr->dns.servers), "10.0.0.2:53");
	r->ntargets++;
	return t;
}

/* A healthy attempt on the last target; the k-th is a little slower. */
struct pgr_attempt *
add_attempt(struct pgr_report *r, const char *addr)
{
	struct pgr_target_result *tr = &r->results[r->ntargets - 1];
	struct pgr_attempt *a;
	double k = (double)tr->nattempts;

	tr->attempts = realloc(tr->attempts, (tr->nattempts + 1) * sizeof(*a));
	ck_assert(tr->attempts != NULL);
	a = &tr->attempts[tr->nattempts++];
	memset(a, 0, sizeof(*a));
	snprintf(a->address, sizeof(a->address), "%s", addr);
	a->family = strchr(addr, ':') ? 6 : 4;
	if (tr->dns.naddrs < PGR_MAX_ADDRS) {
		snprintf(tr->dns.addrs[tr->dns.naddrs].text, PGR_ADDRSTRLEN, "%s", addr);
		tr->dns.addrs[tr->dns.naddrs].in_vpc = -1;	/* no --vpc-cidr */
		tr->dns.addrs[tr->dns.naddrs].ttl = 60;
		tr->dns.addrs[tr->dns.naddrs++].family = a->family;
	}
	tr->dns.naddrs_total = tr->dns.naddrs;
	a->start_ms = 1.6;
	a->tcp = (struct pgr_tcp_result){ .status = PGR_OK, .ms = 0.4 + k };
	a->tls.status = PGR_OK;
	a->tls.ms = 3.1 + k;
	snprintf(a->tls.version, sizeof(a->tls.version), "TLSv1.3");
	snprintf(a->tls.cipher, sizeof(a->tls.cipher), "TLS_AES_256_GCM_SHA384");
	a->tls.cert.present = true;
	a->tls.cert.verified = true;
	a->tls.cert.hostname_match = true;
	a->tls.cert.days_left = 300;
	a->tls.cert.not_after = T0 + 300 * 86400L + 3600;
	snprintf(a->tls.cert.subject, PGR_DETAIL_LEN, "CN=%s", "db.example");
	a->login = (struct pgr_login_result){ .status = PGR_OK, .ms = 9.8 + k };
	snprintf(a->login.server_version, sizeof(a->login.server_version), "15.18");
	a->query = (struct pgr_query_result){ .status = PGR_OK, .ms = 12.0 + k,
	    .count = 5, .done = 5, .min_ms = 0.1, .median_ms = 0.2,
	    .p95_ms = 0.4, .max_ms = 0.5 };
	return a;
}

/* Phase p ends as e; the later phases are skipped, as the engine leaves them. */
void
fail_at(struct pgr_attempt *a, enum pgr_phase p, enum pgr_err e, double ms)
{
	if (p == PGR_PH_TCP)
		a->tcp = (struct pgr_tcp_result){ .status = e, .ms = ms };
	if (p == PGR_PH_TLS) {
		a->tls.status = e;
		a->tls.ms = ms;
	}
	if (p == PGR_PH_LOGIN) {
		a->login.status = e;
		a->login.ms = ms;
	}
	if (p == PGR_PH_QUERY) {
		a->query.status = e;
		a->query.ms = ms;
	}
	if (p < PGR_PH_TLS)
		memset(&a->tls, 0, sizeof(a->tls)), a->tls.status = PGR_SKIPPED;
	if (p == PGR_PH_TLS)
		a->tls.cert.present = false;
	if (p < PGR_PH_LOGIN)
		memset(&a->login, 0, sizeof(a->login)), a->login.status = PGR_SKIPPED;
	if (p <= PGR_PH_LOGIN)
		a->login.server_version[0] = '\0';
	if (p < PGR_PH_QUERY)
		a->query = (struct pgr_query_result){ .status = PGR_SKIPPED, .count = 5 };
}

void
two_by_two(struct pgr_report *r)
{
	add_target(r, test_host, 5432, PGR_ROLE_POSTGRES);
	add_attempt(r, "10.0.1.5");
	add_attempt(r, "10.0.2.5");
	add_target(r, test_host, 5433, PGR_ROLE_PGBOUNCER);
	add_attempt(r, "10.0.1.5");
	add_attempt(r, "10.0.2.5");
	r->targets[1].sibling_of = 0;
}

#define EACH_ATTEMPT(r, a) \
	for (size_t i_ = 0; i_ < (r)->ntargets; i_++) \
		for (struct pgr_attempt *a = (r)->results[i_].attempts; \
		    a != NULL && a < (r)->results[i_].attempts + (r)->results[i_].nattempts; a++)

/* --- cases every writer's test has ----------------------------------- */

void
b_nxdomain(struct pgr_report *r)
{
	add_target(r, test_host, 5432, PGR_ROLE_POSTGRES);
	add_target(r, test_host, 5433, PGR_ROLE_PGBOUNCER);
	for (size_t i = 0; i < r->ntargets; i++) {
		r->results[i].dns.status = PGR_DNS_NXDOMAIN;
		r->results[i].dns.ms = 12.5;
		snprintf(r->results[i].dns.detail, PGR_DETAIL_LEN, "Domain name not found");
	}
}

/* A failed phase and no diagnosis: what the writer says comes from the phases. */
void
b_refused_no_findings(struct pgr_report *r)
{
	two_by_two(r);
	fail_at(&r->results[0].attempts[1], PGR_PH_TCP, PGR_TCP_REFUSED, 0.3);
	r->results[0].attempts[1].tcp.err_no = 111;
}

void
report_init(struct pgr_report *r)
{
	memset(r, 0, sizeof(*r));
	r->started_at.tv_sec = T0;
	r->started_at.tv_nsec = 250000000;
	r->duration_ms = 123.4;
}

/* --- helpers ------------------------------------------------------------- */

char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf != NULL)
		buf[n] = '\0';
	fclose(f);
	return buf;
}

/*
 * Compare got with the golden file at path; PGR_UPDATE_FIXTURES=1 writes
 * got there first.
 */
void
golden(const char *path, const char *got)
{
	char *want;

	if (getenv("PGR_UPDATE_FIXTURES") != NULL) {
		FILE *f = fopen(path, "wb");

		ck_assert_msg(f != NULL, "cannot write %s", path);
		fputs(got, f);
		fclose(f);
	}
	want = slurp(path);
	ck_assert_msg(want != NULL, "%s missing (PGR_UPDATE_FIXTURES=1 writes it)", path);
	ck_assert_msg(strcmp(want, got) == 0, "%s differs (PGR_UPDATE_FIXTURES=1 rewrites it); got:\n%.2000s", path, got);
	free(want);
}

void
b_healthy(struct pgr_report *r)
{
	two_by_two(r);
}

void
b_tcp_timeout(struct pgr_report *r)
{
	two_by_two(r);
	EACH_ATTEMPT(r, a)
		fail_at(a, PGR_PH_TCP, PGR_TCP_TIMEOUT, 3000.0);
}

void
b_auth(struct pgr_report *r)
{
	two_by_two(r);
	EACH_ATTEMPT(r, a) {
		fail_at(a, PGR_PH_LOGIN, PGR_LOGIN_AUTH, 8.0);
		snprintf(a->login.sqlstate, sizeof(a->login.sqlstate), "28P01");
		snprintf(a->login.message, sizeof(a->login.message),
		    "password authentication failed for user \"app\"");
	}
	/* Text a plugin line must not pass on raw: '|' and a line break. */
	plant(PGR_F_LOGIN_AUTH, PGR_SEV_CRITICAL, PGR_CAUSE_CREDENTIALS,
	    "password rejected for user app | rotate\nthe credentials",
	    "28P01 on 4 of 4", "heroku pg:credentials:url | grep password", 0);
}

void
b_cert_expired(struct pgr_report *r)
{
	two_by_two(r);
	EACH_ATTEMPT(r, a) {
		a->tls.cert.days_left = -3;
		a->tls.cert.not_after = T0 - 3 * 86400L + 60;
	}
}

/* One target, one address, a session of exactly dns 100 ms + login 600 ms. */
void
b_single(struct pgr_report *r)
{
	struct pgr_attempt *a;

	add_target(r, test_host, 5432, PGR_ROLE_POSTGRES);
	a = add_attempt(r, "10.0.1.5");
	r->results[0].dns.ms = 100.0;
	a->login.ms = 600.0;
	a->query.ms = 700.0;
	a->query.p95_ms = 120.0;
}

void
b_cert_expiring(struct pgr_report *r)
{
	b_single(r);
	r->results[0].attempts[0].tls.cert.days_left = 10;
	r->results[0].attempts[0].tls.cert.not_after = T0 + 10 * 86400L + 60;
}

void
b_ipv6_hosts(struct pgr_report *r)
{
	add_target(r, test_host, 5432, PGR_ROLE_POSTGRES);
	add_attempt(r, "2001:db8:ffff:ffff:ffff:ffff:ffff:1005");
	add_attempt(r, "10.0.1.5");
	add_target(r, "vpce-0fedcba9876543210-zyxwvuts.vpce-svc-0123456789abcdef0.us-east-1.vpce.amazonaws.com",
	    5432, PGR_ROLE_POSTGRES);
	add_attempt(r, "2001:db8:ffff:ffff:ffff:ffff:ffff:2005");
	add_target(r, "10.9.8.7", 5433, PGR_ROLE_PGBOUNCER);
	add_attempt(r, "10.9.8.7");
}

void
b_duplicate_target(struct pgr_report *r)
{
	add_target(r, test_host, 5432, PGR_ROLE_POSTGRES);
	add_attempt(r, "10.0.1.5");
	add_target(r, test_host, 5432, PGR_ROLE_POSTGRES);
	add_attempt(r, "10.0.1.5");
}

void
b_unknown(struct pgr_report *r)
{
	b_single(r);
	plant(PGR_F_EVIDENCE_CONTRADICTS, PGR_SEV_UNKNOWN, PGR_CAUSE_CONFIG,
	    "vpce.json is not JSON", NULL, NULL, -1);
}

/* A phase that did not fail but a later one never got the chance. */
void
b_tls_disabled(struct pgr_report *r)
{
	struct pgr_attempt *a;

	b_single(r);
	a = &r->results[0].attempts[0];
	a->tls.status = PGR_TLS_DISABLED;
	a->tls.ms = a->tcp.ms;
	a->tls.cert.present = false;
}

void
check_golden(const char *name, const char *ext, const char *got)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/reports/%s.%s", FIXTURES, name, ext);
	golden(path, got);
}

