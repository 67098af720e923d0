/*
 * The Prometheus writer on the synthetic reports of tests/check_nagios.c:
 * every line checked against the exposition format's grammar (families
 * contiguous, HELP and TYPE once, escapes, no repeated series), expected
 * series present, the password nowhere, promtool check metrics happy when
 * it is installed, and whole outputs equal to fixtures/reports/<case>.prom
 * (PGR_UPDATE_FIXTURES=1 rewrites them).
 */
#include <check.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "probes/result.h"
#include "report/nagios.h"
#include "report/prometheus.h"
#include "report/verdict.h"
#include "tests/check_main.h"

/* --- synthetic reports (the same builder is in tests/check_nagios.c) --- */

#define HOST	"vpce-0a1b2c3d4e5f67890-abcdefgh.vpce-svc-0123456789abcdef0.us-east-1.vpce.amazonaws.com"
#define SECRET	"hunter2-S3cr3t'pw"
#define T0	1700000000L	/* 2023-11-14T22:13:20Z */

static struct pgr_target *
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
	tr->dns.status = PGR_OK;
	tr->dns.ms = 1.5;
	tr->dns.min_ttl = -1;
	r->ntargets++;
	return t;
}

/* A healthy attempt on the last target; the k-th is a little slower. */
static struct pgr_attempt *
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
static void
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

static void
two_by_two(struct pgr_report *r)
{
	add_target(r, HOST, 5432, PGR_ROLE_POSTGRES);
	add_attempt(r, "10.0.1.5");
	add_attempt(r, "10.0.2.5");
	add_target(r, HOST, 5433, PGR_ROLE_PGBOUNCER);
	add_attempt(r, "10.0.1.5");
	add_attempt(r, "10.0.2.5");
}

#define EACH_ATTEMPT(r, a) \
	for (size_t i_ = 0; i_ < (r)->ntargets; i_++) \
		for (struct pgr_attempt *a = (r)->results[i_].attempts; \
		    a != NULL && a < (r)->results[i_].attempts + (r)->results[i_].nattempts; a++)

static void
b_healthy(struct pgr_report *r)
{
	two_by_two(r);
}

static void
b_tcp_timeout(struct pgr_report *r)
{
	two_by_two(r);
	EACH_ATTEMPT(r, a)
		fail_at(a, PGR_PH_TCP, PGR_TCP_TIMEOUT, 3000.0);
	pgr_report_add_finding(r, "TCP_TIMEOUT_SG", PGR_SEV_CRITICAL,
	    "security_group", "no TCP answer on 5432 or 5433 from any endpoint address",
	    "tcp timeout x4", "Allow TCP 5432-5433 from the client in the endpoint's security group.", -1);
	pgr_report_add_finding(r, "TCP_TIMEOUT_ACCEPTANCE", PGR_SEV_CRITICAL,
	    "acceptance", "the endpoint may not be accepted yet",
	    "tcp timeout x4", "Run heroku data:privatelink to see the endpoint's status.", -1);
}

static void
b_auth(struct pgr_report *r)
{
	two_by_two(r);
	EACH_ATTEMPT(r, a) {
		fail_at(a, PGR_PH_LOGIN, PGR_LOGIN_AUTH, 8.0);
		snprintf(a->login.sqlstate, sizeof(a->login.sqlstate), "28P01");
		snprintf(a->login.message, sizeof(a->login.message),
		    "password authentication failed for user \"app\"");
	}
	pgr_report_add_finding(r, "LOGIN_REJECTED", PGR_SEV_CRITICAL, "credentials",
	    "password rejected for user app | rotate\nthe credentials",
	    "28P01 on 4 of 4", "heroku pg:credentials:url | grep password", 0);
}

static void
b_cert_expired(struct pgr_report *r)
{
	two_by_two(r);
	EACH_ATTEMPT(r, a) {
		a->tls.cert.days_left = -3;
		a->tls.cert.not_after = T0 - 3 * 86400L + 60;
	}
}

/* The diagnosis's own certificate rule got there first. */
static void
b_cert_diagnosed(struct pgr_report *r)
{
	b_cert_expired(r);
	pgr_report_add_finding(r, "CERT_EXPIRED", PGR_SEV_CRITICAL, "certificate",
	    "The server certificate has expired", "3 days ago",
	    "Open a Heroku support ticket.", 0);
}

static void
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

/* A failed phase and no diagnosis: the verdict comes from the phases. */
static void
b_refused_no_findings(struct pgr_report *r)
{
	two_by_two(r);
	fail_at(&r->results[0].attempts[1], PGR_PH_TCP, PGR_TCP_REFUSED, 0.3);
	r->results[0].attempts[1].tcp.err_no = 111;
}

/* One target, one address, a session of exactly dns 100 ms + login 600 ms. */
static void
b_single(struct pgr_report *r)
{
	struct pgr_attempt *a;

	add_target(r, HOST, 5432, PGR_ROLE_POSTGRES);
	a = add_attempt(r, "10.0.1.5");
	r->results[0].dns.ms = 100.0;
	a->login.ms = 600.0;
	a->query.ms = 700.0;
	a->query.p95_ms = 120.0;
}

static void
b_cert_expiring(struct pgr_report *r)
{
	b_single(r);
	r->results[0].attempts[0].tls.cert.days_left = 10;
	r->results[0].attempts[0].tls.cert.not_after = T0 + 10 * 86400L + 60;
}

static void
b_ipv6_hosts(struct pgr_report *r)
{
	add_target(r, HOST, 5432, PGR_ROLE_POSTGRES);
	add_attempt(r, "2001:db8:ffff:ffff:ffff:ffff:ffff:1005");
	add_attempt(r, "10.0.1.5");
	add_target(r, "vpce-0fedcba9876543210-zyxwvuts.vpce-svc-0123456789abcdef0.us-east-1.vpce.amazonaws.com",
	    5432, PGR_ROLE_POSTGRES);
	add_attempt(r, "2001:db8:ffff:ffff:ffff:ffff:ffff:2005");
	add_target(r, "10.9.8.7", 5433, PGR_ROLE_PGBOUNCER);
	add_attempt(r, "10.9.8.7");
}

static void
b_duplicate_target(struct pgr_report *r)
{
	add_target(r, HOST, 5432, PGR_ROLE_POSTGRES);
	add_attempt(r, "10.0.1.5");
	add_target(r, HOST, 5432, PGR_ROLE_POSTGRES);
	add_attempt(r, "10.0.1.5");
}

static void
b_unknown(struct pgr_report *r)
{
	b_single(r);
	pgr_report_add_finding(r, "EVIDENCE_UNREADABLE", PGR_SEV_UNKNOWN, "config",
	    "vpce.json is not JSON", NULL, NULL, -1);
}

/* A phase that did not fail but a later one never got the chance. */
static void
b_tls_disabled(struct pgr_report *r)
{
	struct pgr_attempt *a;

	b_single(r);
	a = &r->results[0].attempts[0];
	a->tls.status = PGR_TLS_DISABLED;
	a->tls.ms = a->tcp.ms;
	a->tls.cert.present = false;
}

static void
report_init(struct pgr_report *r)
{
	memset(r, 0, sizeof(*r));
	r->started_at.tv_sec = T0;
	r->started_at.tv_nsec = 250000000;
	r->duration_ms = 123.4;
}

/* --- helpers ------------------------------------------------------------- */

static char *
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

static void
check_golden(const char *name, const char *ext, const char *got)
{
	char path[512];
	char *want;

	snprintf(path, sizeof(path), "%s/reports/%s.%s", FIXTURES, name, ext);
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

/* A URL with everything a label value must escape, and a byte that is not UTF-8. */
static void
b_escaping(struct pgr_report *r)
{
	add_target(r, HOST, 5432, PGR_ROLE_POSTGRES);
	free(r->targets[0].url);
	r->targets[0].url = strdup("postgres://app:REDACTED@h:5432/we\"ird\\db\nx\xff\xc3\xa9");
	add_attempt(r, "10.0.1.5");
	pgr_report_add_finding(r, "ODD\"CODE\\", PGR_SEV_WARNING, "config",
	    "a finding with odd text", NULL, NULL, 0);
}

/* --- the exposition format, line by line --------------------------------- */

#define LNAME	"[a-zA-Z_][a-zA-Z0-9_]*"
#define LVALUE	"\"([^\"\\\\]|\\\\[\\\\\"n])*\""
static const char *sample_re =
    "^[a-zA-Z_:][a-zA-Z0-9_:]*"
    "(\\{" LNAME "=" LVALUE "(," LNAME "=" LVALUE ")*\\})?"
    " -?[0-9]+(\\.[0-9]+)?$";

static void
lint(const char *out)
{
	char help[64][96], series[512][640], family[96] = "";
	size_t nhelp = 0, nseries = 0, k;
	const char *line = out;
	bool typed = false;
	regex_t re;

	ck_assert_int_eq(regcomp(&re, sample_re, REG_EXTENDED | REG_NOSUB), 0);
	ck_assert_msg(out[0] != '\0' && out[strlen(out) - 1] == '\n', "last line unterminated");
	while (*line != '\0') {
		size_t n = strcspn(line, "\n");
		char l[640], name[96];

		ck_assert_msg(n < sizeof(l), "line too long");
		memcpy(l, line, n);
		l[n] = '\0';
		line += n + 1;
		if (strncmp(l, "# HELP ", 7) == 0) {
			sscanf(l + 7, "%95s", name);
			for (k = 0; k < nhelp; k++)
				ck_assert_msg(strcmp(help[k], name) != 0, "family %s twice", name);
			ck_assert(nhelp < 64);
			snprintf(help[nhelp++], sizeof(help[0]), "%s", name);
			snprintf(family, sizeof(family), "%s", name);
			typed = false;
			continue;
		}
		if (strncmp(l, "# TYPE ", 7) == 0) {
			char type[32];

			ck_assert_int_eq(sscanf(l + 7, "%95s %31s", name, type), 2);
			ck_assert_str_eq(name, family);
			ck_assert_str_eq(type, "gauge");
			typed = true;
			continue;
		}
		ck_assert_msg(regexec(&re, l, 0, NULL, 0) == 0, "bad sample line: %s", l);
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(l, "{ "), l);
		ck_assert_msg(typed && strcmp(name, family) == 0,
		    "%s outside its family (in %s)", name, family);
		*strrchr(l, ' ') = '\0';
		for (k = 0; k < nseries; k++)
			ck_assert_msg(strcmp(series[k], l) != 0, "series twice: %s", l);
		ck_assert(nseries < 512);
		snprintf(series[nseries++], sizeof(series[0]), "%s", l);
	}
	regfree(&re);
}

static bool
have_promtool(void)
{
	return system("command -v promtool >/dev/null 2>&1") == 0;
}

static int
promtool(const char *out)
{
	FILE *p = popen("promtool check metrics", "w");
	int st;

	ck_assert(p != NULL);
	fputs(out, p);
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define U5432	"postgres://app:REDACTED@" HOST ":5432/db"
#define U5433	"postgres://app:REDACTED@" HOST ":5433/db"
#define PG	"{target=\"" U5432 "\",role=\"postgres\",port=\"5432\""
#define PGB	"{target=\"" U5433 "\",role=\"pgbouncer\",port=\"5433\""

struct prom_case {
	const char	*name;
	void		(*build)(struct pgr_report *);
	const char	*present;	/* whole lines, '\n'-separated */
	const char	*absent;	/* substrings, '\n'-separated */
	int		 nsuccess;	/* pgreach_phase_success series */
};

static const struct prom_case prom_cases[] = {
	{ "healthy", b_healthy,
	  "pgreach_up 1\n"
	  "pgreach_exit_status 0\n"
	  "pgreach_last_run_timestamp_seconds 1700000000.25\n"
	  "pgreach_run_duration_seconds 0.1234\n"
	  "pgreach_dns_duration_seconds" PG "} 0.0015\n"
	  "pgreach_dns_addresses" PGB "} 2\n"
	  "pgreach_phase_duration_seconds" PGB ",address=\"10.0.2.5\",phase=\"tcp\"} 0.0014\n"
	  "pgreach_phase_duration_seconds" PG ",address=\"10.0.1.5\",phase=\"tls\"} 0.0027\n"
	  "pgreach_phase_duration_seconds" PG ",address=\"10.0.1.5\",phase=\"query\"} 0.0022\n"
	  "pgreach_phase_end_seconds" PG ",address=\"10.0.1.5\",phase=\"login\"} 0.0098\n"
	  "pgreach_session_seconds" PG ",address=\"10.0.2.5\"} 0.0123\n"
	  "pgreach_query_latency_seconds" PG ",address=\"10.0.1.5\",stat=\"p95\"} 0.0004\n"
	  "pgreach_query_latency_seconds" PG ",address=\"10.0.1.5\",stat=\"median\"} 0.0002\n"
	  "pgreach_certificate_expiry_timestamp_seconds" PG ",address=\"10.0.1.5\"} 1725923600\n"
	  "pgreach_phase_success" PG ",phase=\"dns\",status=\"ok\"} 1\n"
	  "pgreach_phase_success" PGB ",address=\"10.0.2.5\",phase=\"query\",status=\"ok\"} 1\n",
	  "pgreach_finding\n", 18 },
	{ "tcp-timeout", b_tcp_timeout,
	  "pgreach_up 0\n"
	  "pgreach_exit_status 2\n"
	  "pgreach_phase_success" PG ",address=\"10.0.1.5\",phase=\"tcp\",status=\"timeout\"} 0\n"
	  "pgreach_phase_success" PG ",address=\"10.0.1.5\",phase=\"tls\",status=\"skipped\"} 0\n"
	  "pgreach_finding{code=\"TCP_TIMEOUT_SG\",cause=\"security_group\",severity=\"critical\"} 1\n"
	  "pgreach_finding{code=\"TCP_TIMEOUT_ACCEPTANCE\",cause=\"acceptance\",severity=\"critical\"} 1\n",
	  "pgreach_phase_duration_seconds\npgreach_session_seconds\npgreach_certificate\n", 18 },
	{ "auth", b_auth,
	  "pgreach_phase_success" PG ",address=\"10.0.1.5\",phase=\"login\",status=\"auth\"} 0\n"
	  "pgreach_phase_duration_seconds" PG ",address=\"10.0.1.5\",phase=\"tls\"} 0.0027\n"
	  "pgreach_finding{code=\"LOGIN_REJECTED\",cause=\"credentials\",severity=\"critical\",target=\"" U5432 "\"} 1\n",
	  "phase=\"login\"} \npgreach_session_seconds\n", 18 },
	{ "cert-expired", b_cert_expired,
	  "pgreach_up 0\n"
	  "pgreach_certificate_expiry_timestamp_seconds" PG ",address=\"10.0.1.5\"} 1699740860\n"
	  "pgreach_finding{code=\"CERT_EXPIRED\",cause=\"certificate\",severity=\"critical\",target=\"" U5432 "\"} 1\n",
	  "CERT_EXPIRED\",cause=\"certificate\",severity=\"critical\",target=\"" U5433 "\"\n", 18 },
	{ "cert-diagnosed", b_cert_diagnosed,
	  "pgreach_finding{code=\"CERT_EXPIRED\",cause=\"certificate\",severity=\"critical\",target=\"" U5432 "\"} 1\n",
	  NULL, 18 },
	{ "dns-nxdomain", b_nxdomain,
	  "pgreach_up 0\n"
	  "pgreach_dns_addresses" PG "} 0\n"
	  "pgreach_phase_success" PG ",phase=\"dns\",status=\"nxdomain\"} 0\n"
	  "pgreach_phase_success" PGB ",phase=\"dns\",status=\"nxdomain\"} 0\n"
	  "pgreach_finding{code=\"DNS_NXDOMAIN\",cause=\"dns\",severity=\"critical\",target=\"" U5432 "\"} 1\n",
	  "pgreach_dns_duration_seconds\naddress=\n", 2 },
	{ "refused-no-findings", b_refused_no_findings,
	  "pgreach_up 0\n"
	  "pgreach_phase_success" PG ",address=\"10.0.2.5\",phase=\"tcp\",status=\"refused\"} 0\n",
	  "pgreach_finding\n", 18 },
	{ "escaping", b_escaping,
	  "pgreach_dns_duration_seconds{target=\"postgres://app:REDACTED@h:5432/we\\\"ird\\\\db\\nx?\xc3\xa9\",role=\"postgres\",port=\"5432\"} 0.0015\n"
	  "pgreach_finding{code=\"ODD\\\"CODE\\\\\",cause=\"config\",severity=\"warning\",target=\"postgres://app:REDACTED@h:5432/we\\\"ird\\\\db\\nx?\xc3\xa9\"} 1\n",
	  "\xff\n", 5 },
	{ "duplicate-target", b_duplicate_target,
	  "pgreach_phase_success" PG ",address=\"10.0.1.5\",phase=\"tcp\",status=\"ok\"} 1\n",
	  NULL, 5 },
	{ "ipv6-hosts", b_ipv6_hosts,
	  "pgreach_phase_duration_seconds" PG ",address=\"2001:db8:ffff:ffff:ffff:ffff:ffff:1005\",phase=\"tcp\"} 0.0004\n"
	  "pgreach_dns_addresses{target=\"postgres://app:REDACTED@10.9.8.7:5433/db\",role=\"pgbouncer\",port=\"5433\"} 1\n",
	  NULL, 19 },
	{ "cert-expiring", b_cert_expiring,
	  "pgreach_up 1\n"
	  "pgreach_exit_status 1\n"
	  "pgreach_finding{code=\"CERT_EXPIRING\",cause=\"certificate\",severity=\"warning\",target=\"" U5432 "\"} 1\n",
	  NULL, 5 },
	{ "unknown", b_unknown,
	  "pgreach_up 0\n"
	  "pgreach_exit_status 3\n"
	  "pgreach_finding{code=\"EVIDENCE_UNREADABLE\",cause=\"config\",severity=\"unknown\"} 1\n",
	  NULL, 5 },
	{ "tls-disabled", b_tls_disabled,
	  "pgreach_phase_success" PG ",address=\"10.0.1.5\",phase=\"tls\",status=\"disabled\"} 1\n"
	  "pgreach_phase_duration_seconds" PG ",address=\"10.0.1.5\",phase=\"login\"} 0.5996\n",
	  "phase=\"tls\"} \npgreach_certificate\n", 5 },
};

static size_t
count_lines(const char *out, const char *prefix)
{
	size_t n = 0;
	const char *l;

	for (l = out; *l != '\0'; l += strcspn(l, "\n") + 1)
		if (strncmp(l, prefix, strlen(prefix)) == 0)
			n++;
	return n;
}

START_TEST(test_prometheus)
{
	const struct prom_case *c = &prom_cases[_i];
	struct pgr_nagios_opts o;
	struct pgr_report r;
	enum pgr_severity added;
	char *out = NULL, *want, *save = NULL, *tok, err[128];
	size_t len = 0;
	FILE *m;

	report_init(&r);
	ck_assert_int_eq(pgr_nagios_opts_set(&o, NULL, NULL, NULL, NULL, 14, 0,
	    err, sizeof(err)), 0);
	c->build(&r);
	r.status = pgr_verdict(&r);
	added = pgr_thresholds_apply(&r, &o);
	if (added > r.status)
		r.status = added;
	m = open_memstream(&out, &len);
	ck_assert_int_eq(pgr_write_prometheus(m, &r), 0);
	fclose(m);

	ck_assert_msg(strstr(out, "hunter2") == NULL, "%s: password in output", c->name);
	lint(out);
	want = strdup(c->present);
	for (tok = strtok_r(want, "\n", &save); tok; tok = strtok_r(NULL, "\n", &save)) {
		char line[1024];

		snprintf(line, sizeof(line), "\n%s\n", tok);
		ck_assert_msg(strstr(out, line) != NULL, "%s: no line %s in\n%s",
		    c->name, tok, out);
	}
	free(want);
	if (c->absent != NULL) {
		want = strdup(c->absent);
		for (tok = strtok_r(want, "\n", &save); tok; tok = strtok_r(NULL, "\n", &save))
			ck_assert_msg(strstr(out, tok) == NULL, "%s: '%s' present", c->name, tok);
		free(want);
	}
	ck_assert_int_eq(count_lines(out, "pgreach_phase_success{"), c->nsuccess);
	if (have_promtool())
		ck_assert_msg(promtool(out) == 0, "%s: promtool check metrics failed", c->name);
	check_golden(c->name, "prom", out);
	free(out);
	pgr_report_free(&r);
}
END_TEST

/* Without targets: the run-level families only, still valid. */
START_TEST(test_empty)
{
	struct pgr_report r;
	char *out = NULL;
	size_t len = 0;
	FILE *m;

	report_init(&r);
	r.status = PGR_SEV_UNKNOWN;
	m = open_memstream(&out, &len);
	ck_assert_int_eq(pgr_write_prometheus(m, &r), 0);
	fclose(m);
	lint(out);
	ck_assert(strstr(out, "\npgreach_up 0\n") != NULL);
	ck_assert(strstr(out, "pgreach_phase_success") == NULL);
	if (have_promtool())
		ck_assert_int_eq(promtool(out), 0);
	free(out);
}
END_TEST

static Suite *
prometheus_suite(void)
{
	Suite *s = suite_create("prometheus");
	TCase *tc = tcase_create("prometheus");

	tcase_set_timeout(tc, 30);	/* promtool starts a Go runtime per case */
	tcase_add_loop_test(tc, test_prometheus, 0, sizeof(prom_cases) / sizeof(prom_cases[0]));
	tcase_add_test(tc, test_empty);
	suite_add_tcase(s, tc);
	return s;
}

PGR_CHECK_MAIN(prometheus_suite)
