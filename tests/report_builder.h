/*
 * Synthetic reports for the writers' tests (Nagios, Prometheus, JUnit):
 * targets, attempts and failures built in memory, the way the engine leaves
 * them.  Included by each test; every function is static.
 */
#ifndef PGR_REPORT_BUILDER_H
#define PGR_REPORT_BUILDER_H

#include "report/endpoint.h"

/* Not every test uses every helper here. */
#define PGR_TEST_HELPER	static __attribute__((unused))

/* A test may define its own SECRET (or HOST) before including this. */
#ifndef HOST
#define HOST	"vpce-0a1b2c3d4e5f67890-abcdefgh.vpce-svc-0123456789abcdef0.us-east-1.vpce.amazonaws.com"
#endif
#ifndef SECRET
#define SECRET	"hunter2-S3cr3t'pw"
#endif
#define T0	1700000000L	/* 2023-11-14T22:13:20Z */

PGR_TEST_HELPER struct pgr_target *
add_target(struct pgr_report *r, const char *host, int port, enum pgr_role role)
{
	struct pgr_target *t;
	struct pgr_target_result *tr;
	char url[512];

	r->targets = realloc(r->targets, (r->ntargets + 1) * sizeof(*r->targets));
	r->results = realloc(r->results, (r->ntargets + 1) * sizeof(*r->results));
	ck_assert(r->targets != NULL && r->results != NULL);
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
	t->password = strdup(SECRET);
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
PGR_TEST_HELPER struct pgr_attempt *
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
PGR_TEST_HELPER void
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

PGR_TEST_HELPER void
two_by_two(struct pgr_report *r)
{
	add_target(r, HOST, 5432, PGR_ROLE_POSTGRES);
	add_attempt(r, "10.0.1.5");
	add_attempt(r, "10.0.2.5");
	add_target(r, HOST, 5433, PGR_ROLE_PGBOUNCER);
	add_attempt(r, "10.0.1.5");
	add_attempt(r, "10.0.2.5");
	r->targets[1].sibling_of = 0;
}

#define EACH_ATTEMPT(r, a) \
	for (size_t i_ = 0; i_ < (r)->ntargets; i_++) \
		for (struct pgr_attempt *a = (r)->results[i_].attempts; \
		    a != NULL && a < (r)->results[i_].attempts + (r)->results[i_].nattempts; a++)

/* --- cases every writer's test has ----------------------------------- */

PGR_TEST_HELPER void
b_nxdomain(struct pgr_report *r)
{
	add_target(r, HOST, 5432, PGR_ROLE_POSTGRES);
	add_target(r, HOST, 5433, PGR_ROLE_PGBOUNCER);
	for (size_t i = 0; i < r->ntargets; i++) {
		r->results[i].dns.status = PGR_DNS_NXDOMAIN;
		r->results[i].dns.ms = 12.5;
		snprintf(r->results[i].dns.detail, PGR_DETAIL_LEN, "Domain name not found");
	}
	pgr_report_add_finding(r, "DNS_NXDOMAIN", PGR_SEV_CRITICAL, "dns",
	    "the endpoint name does not exist", "NXDOMAIN from 10.0.0.2:53",
	    "Check the endpoint id with aws ec2 describe-vpc-endpoints.", 0);
}

/* A failed phase and no diagnosis: what the writer says comes from the phases. */
PGR_TEST_HELPER void
b_refused_no_findings(struct pgr_report *r)
{
	two_by_two(r);
	fail_at(&r->results[0].attempts[1], PGR_PH_TCP, PGR_TCP_REFUSED, 0.3);
	r->results[0].attempts[1].tcp.err_no = 111;
}

PGR_TEST_HELPER void
report_init(struct pgr_report *r)
{
	memset(r, 0, sizeof(*r));
	r->started_at.tv_sec = T0;
	r->started_at.tv_nsec = 250000000;
	r->duration_ms = 123.4;
}

/* --- helpers ------------------------------------------------------------- */

PGR_TEST_HELPER char *
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
PGR_TEST_HELPER void
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
	ck_assert_msg(strcmp(want, got) == 0, "%s differs; got:\n%s", path, got);
	free(want);
}

#endif
