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
#include "report/writer.h"
#include "tests/check_main.h"
#include "tests/support/support.h"

#define HOST	HOST_DEFAULT

/* A URL with everything a label value must escape, and a byte that is not UTF-8. */
static void
b_escaping(struct pgr_report *r)
{
	add_target(r, HOST, 5432, PGR_ROLE_POSTGRES);
	free(r->targets[0].host);
	r->targets[0].host = strdup("we\"ird\\h\nx\xff\xc3\xa9");
	add_attempt(r, "10.0.1.5");
	plant(PGR_F_EVIDENCE_CONTRADICTS, PGR_SEV_WARNING, PGR_CAUSE_CONFIG,
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

#define U5432	HOST
#define U5433	HOST
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
	  "probe_success 1\n"
	  "probe_duration_seconds 0.1234\n"
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
	  "pgreach_finding\npgreach_failed_step\n", 18 },
	{ "tcp-timeout", b_tcp_timeout,
	  "probe_success 0\n"
	  "pgreach_failed_step" PG ",step=\"tcp\",status=\"timeout\"} 1\n"
	  "pgreach_failed_step" PGB ",step=\"tcp\",status=\"timeout\"} 1\n"
	  "pgreach_up 0\n"
	  "pgreach_exit_status 2\n"
	  "pgreach_phase_success" PG ",address=\"10.0.1.5\",phase=\"tcp\",status=\"timeout\"} 0\n"
	  "pgreach_phase_success" PG ",address=\"10.0.1.5\",phase=\"tls\",status=\"skipped\"} 0\n"
	  "pgreach_finding{code=\"SECURITY_GROUP_BLOCKS\",cause=\"security_group\",severity=\"critical\",target=\"" U5432 "\",port=\"5432\"} 1\n"
	  "pgreach_finding{code=\"ENDPOINT_NOT_ACCEPTED\",cause=\"acceptance\",severity=\"critical\",target=\"" U5432 "\",port=\"5432\"} 1\n",
	  "pgreach_phase_duration_seconds\npgreach_session_seconds\npgreach_certificate\n", 18 },
	{ "auth", b_auth,
	  "pgreach_phase_success" PG ",address=\"10.0.1.5\",phase=\"login\",status=\"auth\"} 0\n"
	  "pgreach_phase_duration_seconds" PG ",address=\"10.0.1.5\",phase=\"tls\"} 0.0027\n"
	  "pgreach_finding{code=\"LOGIN_AUTH\",cause=\"credentials\",severity=\"critical\",target=\"" U5432 "\",port=\"5432\"} 1\n",
	  "phase=\"login\"} \npgreach_session_seconds\n", 18 },
	{ "cert-expired", b_cert_expired,
	  "pgreach_up 0\n"
	  "pgreach_certificate_expiry_timestamp_seconds" PG ",address=\"10.0.1.5\"} 1699740860\n"
	  "pgreach_finding{code=\"CERT_EXPIRED\",cause=\"certificate\",severity=\"critical\",target=\"" U5432 "\",port=\"5432\"} 1\n",
	  "CERT_EXPIRED\",cause=\"certificate\",severity=\"critical\",target=\"" U5433 "\",port=\"5433\"\n", 18 },
	{ "dns-nxdomain", b_nxdomain,
	  "pgreach_up 0\n"
	  "pgreach_dns_addresses" PG "} 0\n"
	  "pgreach_phase_success" PG ",phase=\"dns\",status=\"nxdomain\"} 0\n"
	  "pgreach_phase_success" PGB ",phase=\"dns\",status=\"nxdomain\"} 0\n"
	  "pgreach_failed_step" PG ",step=\"dns\",status=\"nxdomain\"} 1\n"
	  "pgreach_finding{code=\"DNS_NXDOMAIN\",cause=\"dns\",severity=\"critical\",target=\"" U5432 "\",port=\"5432\"} 1\n",
	  "pgreach_dns_duration_seconds\naddress=\n", 2 },
	{ "refused-no-findings", b_refused_no_findings,
	  "pgreach_up 0\n"
	  "pgreach_phase_success" PG ",address=\"10.0.2.5\",phase=\"tcp\",status=\"refused\"} 0\n"
	  "pgreach_finding{code=\"PORT_SERVICE_DOWN\",cause=\"service\",severity=\"critical\",target=\"" U5432 "\",port=\"5432\"} 1\n",
	  NULL, 18 },
	{ "escaping", b_escaping,
	  "pgreach_dns_duration_seconds{target=\"we\\\"ird\\\\h\\nx?\xc3\xa9\",role=\"postgres\",port=\"5432\"} 0.0015\n"
	  "pgreach_finding{code=\"EVIDENCE_CONTRADICTS\",cause=\"config\",severity=\"warning\",target=\"we\\\"ird\\\\h\\nx?\xc3\xa9\",port=\"5432\"} 1\n",
	  "\xff\n", 5 },
	{ "duplicate-target", b_duplicate_target,
	  "pgreach_phase_success" PG ",address=\"10.0.1.5\",phase=\"tcp\",status=\"ok\"} 1\n",
	  NULL, 5 },
	{ "ipv6-hosts", b_ipv6_hosts,
	  "pgreach_phase_duration_seconds" PG ",address=\"2001:db8:ffff:ffff:ffff:ffff:ffff:1005\",phase=\"tcp\"} 0.0004\n"
	  "pgreach_dns_addresses{target=\"10.9.8.7\",role=\"pgbouncer\",port=\"5433\"} 1\n",
	  NULL, 19 },
	{ "cert-expiring", b_cert_expiring,
	  "pgreach_up 1\n"
	  "pgreach_exit_status 1\n"
	  "pgreach_finding{code=\"CERT_EXPIRING\",cause=\"certificate\",severity=\"warning\",target=\"" U5432 "\",port=\"5432\"} 1\n",
	  NULL, 5 },
	{ "unknown", b_unknown,
	  "pgreach_up 0\n"
	  "pgreach_exit_status 3\n"
	  "pgreach_finding{code=\"EVIDENCE_CONTRADICTS\",cause=\"config\",severity=\"unknown\"} 1\n",
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
	struct pgr_analysis an;
	struct pgr_report r;
	char *out = NULL, *want, *save = NULL, *tok;
	size_t len = 0;
	FILE *m;

	report_init(&r);
	c->build(&r);
	analyze(&an, &r, NULL);
	m = open_memstream(&out, &len);
	ck_assert_int_eq(pgr_write_prometheus(m, &an, NULL), 0);
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
	pgr_analysis_free(&an);
	pgr_report_free(&r);
}
END_TEST

/* Without targets: the run-level families only, still valid. */
START_TEST(test_empty)
{
	struct pgr_analysis an;
	struct pgr_report r;
	char *out = NULL;
	size_t len = 0;
	FILE *m;

	report_init(&r);
	analyze(&an, &r, NULL);
	an.status = PGR_SEV_UNKNOWN;
	m = open_memstream(&out, &len);
	ck_assert_int_eq(pgr_write_prometheus(m, &an, NULL), 0);
	fclose(m);
	lint(out);
	ck_assert(strstr(out, "\npgreach_up 0\n") != NULL);
	ck_assert(strstr(out, "pgreach_phase_success") == NULL);
	if (have_promtool())
		ck_assert_int_eq(promtool(out), 0);
	free(out);
	pgr_analysis_free(&an);
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
