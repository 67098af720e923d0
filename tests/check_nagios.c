/*
 * The Nagios writer and the thresholds, on synthetic reports built here:
 * exact status lines, perfdata read back and checked against the
 * guidelines' grammar, severity from ranges at their boundaries, findings
 * the thresholds add, and the password nowhere.  Whole outputs are
 * compared with fixtures/reports/<case>.nagios; PGR_UPDATE_FIXTURES=1
 * rewrites them.
 */
#include <check.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probes/result.h"
#include "report/fields.h"
#include "report/range.h"
#include "report/thresholds.h"
#include "report/writer.h"
#include "tests/check_main.h"
#include "tests/support/support.h"

#define HOST	HOST_DEFAULT
#define SECRET	SECRET_DEFAULT

static const char *perf_item_re =
    "^('([^']|'')+'|[^' =]+)=(U|-?[0-9]+(\\.[0-9]+)?(s|))"
    "(;([^;]*)(;([^;]*)(;(-?[0-9]+(\\.[0-9]+)?)?(;(-?[0-9]+(\\.[0-9]+)?)?)?)?)?)?$";

/*
 * Split perfdata into items (a quoted label may hold blanks), check each
 * against the grammar, its warn/crit as ranges, and labels for length and
 * uniqueness.  Returns the labels, unquoted, space-separated.
 */
static char *
parse_perfdata(const char *perf)
{
	regex_t re;
	regmatch_t m[8];
	char *labels = calloc(1, strlen(perf) + 2);
	char seen[256][128];
	size_t nseen = 0, k;
	const char *p = perf;

	ck_assert_int_eq(regcomp(&re, perf_item_re, REG_EXTENDED), 0);
	while (*p != '\0') {
		const char *q = p;
		char item[512], label[128], range[128];
		bool inq = false;
		size_t n, ln = 0;
		const char *semi[4];
		int ns = 0;

		while (*q != '\0' && (inq || *q != ' ')) {
			if (*q == '\'')
				inq = !inq;
			q++;
		}
		n = (size_t)(q - p);
		ck_assert(n < sizeof(item));
		memcpy(item, p, n);
		item[n] = '\0';
		ck_assert_msg(regexec(&re, item, 8, m, 0) == 0, "bad perfdata item '%s'", item);
		/* the label, unquoted */
		if (item[0] == '\'') {
			for (k = 1; item[k] != '\0'; k++) {
				if (item[k] == '\'' && item[k + 1] == '\'')
					label[ln++] = item[k++];
				else if (item[k] == '\'')
					break;
				else
					label[ln++] = item[k];
			}
		} else
			for (k = 0; item[k] != '='; k++)
				label[ln++] = item[k];
		label[ln] = '\0';
		ck_assert_msg(ln > 0 && ln <= 64, "label '%s' is %zu long", label, ln);
		for (k = 0; k < nseen; k++)
			ck_assert_msg(strcmp(seen[k], label) != 0, "label '%s' twice", label);
		ck_assert(nseen < 256);
		snprintf(seen[nseen++], sizeof(seen[0]), "%s", label);
		strcat(labels, label);
		strcat(labels, " ");
		/* warn and crit must read back as ranges */
		for (k = strcspn(item, "="); item[k] != '\0' && ns < 4; k++)
			if (item[k] == ';')
				semi[ns++] = &item[k];
		for (int s = 0; s < ns && s < 2; s++) {
			size_t rl = strcspn(semi[s] + 1, ";");
			struct pgr_range rg;
			char err[128];

			if (rl == 0)
				continue;
			snprintf(range, sizeof(range), "%.*s", (int)rl, semi[s] + 1);
			ck_assert_msg(pgr_range_parse(range, &rg, err, sizeof(err)) == 0,
			    "threshold '%s' of %s: %s", range, label, err);
		}
		p = *q == ' ' ? q + 1 : q;
	}
	regfree(&re);
	if (labels[0] != '\0')
		labels[strlen(labels) - 1] = '\0';
	return labels;
}

/* The value text of one perfdata item, "U" or "0.7s". */
static void
perf_value(const char *perf, const char *label, char *out, size_t len)
{
	char key[128];
	const char *p;

	/* perf follows " | ", so every item starts after a blank */
	snprintf(key, sizeof(key), " %s=", label);
	p = strstr(perf - 1, key);
	ck_assert_msg(p != NULL, "no perfdata for %s", label);
	p += strlen(key);
	snprintf(out, len, "%.*s", (int)strcspn(p, "; "), p);
}

/* --- the status line and perfdata ---------------------------------------- */

struct opts_text {
	const char *w, *c, *qw, *qc;
	long cw, cc;
};

#define DEFAULTS	{ NULL, NULL, NULL, NULL, 14, 0 }

struct out_case {
	const char	*name;
	void		(*build)(struct pgr_report *);
	struct opts_text o;
	enum pgr_severity want;
	const char	*head;		/* the first line before " | " */
	const char	*labels;	/* every perfdata label, in order */
	const char	*values;	/* "label=value ..." spot checks */
};

static const struct out_case out_cases[] = {
	{ "healthy", b_healthy, DEFAULTS, PGR_SEV_OK,
	  "PGREACH OK - vpce-0a1b2c3d4e5f67890: 4/4 connections ok, slowest session 0.0123s, slowest phase login 0.00670s",
	  "dns_5432 dns_5433 dns_addresses_5432 dns_addresses_5433 "
	  "tcp_5432_10.0.1.5 tcp_5432_10.0.2.5 tcp_5433_10.0.1.5 tcp_5433_10.0.2.5 "
	  "tls_5432_10.0.1.5 tls_5432_10.0.2.5 tls_5433_10.0.1.5 tls_5433_10.0.2.5 "
	  "login_5432_10.0.1.5 login_5432_10.0.2.5 login_5433_10.0.1.5 login_5433_10.0.2.5 "
	  "session_5432_10.0.1.5 session_5432_10.0.2.5 session_5433_10.0.1.5 session_5433_10.0.2.5 "
	  "query_p95_5432_10.0.1.5 query_p95_5432_10.0.2.5 query_p95_5433_10.0.1.5 query_p95_5433_10.0.2.5 "
	  "cert_days_5432_10.0.1.5 cert_days_5432_10.0.2.5 cert_days_5433_10.0.1.5 cert_days_5433_10.0.2.5",
	  "dns_5432=0.0015s dns_addresses_5433=2 tcp_5432_10.0.2.5=0.0014s "
	  "tls_5432_10.0.1.5=0.0027s login_5433_10.0.1.5=0.0067s "
	  "session_5432_10.0.2.5=0.0123s query_p95_5432_10.0.1.5=0.0004s "
	  "cert_days_5433_10.0.2.5=300" },
	{ "tcp-timeout", b_tcp_timeout, DEFAULTS, PGR_SEV_CRITICAL,
	  "PGREACH CRITICAL - vpce-0a1b2c3d4e5f67890: 0/4 connections ok: TCP to vpce-0a1b2c3d4e5f67890 times out on ... (+1 more)",
	  NULL, "tcp_5432_10.0.1.5=U tls_5433_10.0.2.5=U session_5432_10.0.1.5=U "
	  "cert_days_5432_10.0.1.5=U dns_5432=0.0015s" },
	{ "auth", b_auth, DEFAULTS, PGR_SEV_CRITICAL,
	  "PGREACH CRITICAL - vpce-0a1b2c3d4e5f67890: 0/4 connections ok: password rejected for user app / rotate the... (+2 more)",
	  NULL, "tcp_5432_10.0.1.5=0.0004s tls_5432_10.0.1.5=0.0027s login_5432_10.0.1.5=U "
	  "cert_days_5432_10.0.1.5=300" },
	{ "cert-expired", b_cert_expired, DEFAULTS, PGR_SEV_CRITICAL,
	  "PGREACH CRITICAL - vpce-0a1b2c3d4e5f67890: 4/4 connections ok: certificate at 10.0.1.5:5432 and 3 more addresses exp...",
	  NULL, "cert_days_5432_10.0.1.5=-3" },
	{ "dns-nxdomain", b_nxdomain, DEFAULTS, PGR_SEV_CRITICAL,
	  "PGREACH CRITICAL - vpce-0a1b2c3d4e5f67890: The name vpce-0a1b2c3d4e5f67890-abcdefgh.vpce-svc-0123456789abcdef0.us-ea...",
	  "dns_5432 dns_5433 dns_addresses_5432 dns_addresses_5433",
	  "dns_5432=U dns_addresses_5433=0" },
	{ "refused-no-findings", b_refused_no_findings, DEFAULTS, PGR_SEV_CRITICAL,
	  "PGREACH CRITICAL - vpce-0a1b2c3d4e5f67890: 3/4 connections ok: Postgres on port 5432 refuses connections at 10.0.2.5...",
	  NULL, "tcp_5432_10.0.2.5=U tcp_5433_10.0.2.5=0.0014s" },
	{ "session-warning", b_single, { "0.5", "1", NULL, NULL, 14, 0 }, PGR_SEV_WARNING,
	  "PGREACH WARNING - vpce-0a1b2c3d4e5f67890: 1/1 connection ok: login at 10.0.1.5:5432 took 0.7s, dns included (-w 0.5)",
	  "dns dns_addresses tcp tls login session query_p95 cert_days",
	  "session=0.7s dns=0.1s query_p95=0.12s" },
	{ "session-critical-inside", b_single, { "0.5", "@0.6:0.8", NULL, NULL, 14, 0 }, PGR_SEV_CRITICAL,
	  "PGREACH CRITICAL - vpce-0a1b2c3d4e5f67890: 1/1 connection ok: login at 10.0.1.5:5432 took 0.7s, dns included (-c @0....",
	  NULL, NULL },
	{ "query-warning", b_single, { NULL, NULL, "0.1", "0.5", 14, 0 }, PGR_SEV_WARNING,
	  "PGREACH WARNING - vpce-0a1b2c3d4e5f67890: 1/1 connection ok: query p95 at 10.0.1.5:5432 was 0.12s (--query-warning 0.1)",
	  NULL, NULL },
	{ "cert-expiring", b_cert_expiring, DEFAULTS, PGR_SEV_WARNING,
	  "PGREACH WARNING - vpce-0a1b2c3d4e5f67890: 1/1 connection ok: certificate at 10.0.1.5:5432 expires in 10 days, on 202...",
	  NULL, "cert_days=10" },
	{ "ipv6-hosts", b_ipv6_hosts, DEFAULTS, PGR_SEV_OK,
	  "PGREACH OK - 3 endpoints: 4/4 connections ok, slowest session 0.0123s, slowest phase login 0.00670s",
	  NULL, "'tcp_t1_5432_2001:db8:ffff:ffff:ffff:ffff:ffff:1005'=0.0004s "
	  "tcp_t1_5432_10.0.1.5=0.0014s "
	  "tcp_10.9.8.7_5433_10.9.8.7=0.0004s "
	  "dns_addresses_t2_5432=1" },
	{ "duplicate-target", b_duplicate_target, DEFAULTS, PGR_SEV_OK,
	  "PGREACH OK - vpce-0a1b2c3d4e5f67890: 2/2 connections ok, slowest session 0.0113s, slowest phase login 0.00670s",
	  "dns dns_2 dns_addresses dns_addresses_2 tcp tcp_2 tls tls_2 login login_2 "
	  "session session_2 query_p95 query_p95_2 cert_days cert_days_2", NULL },
	{ "unknown", b_unknown, DEFAULTS, PGR_SEV_UNKNOWN,
	  "PGREACH UNKNOWN - vpce-0a1b2c3d4e5f67890: 1/1 connection ok: vpce.json is not JSON", NULL, NULL },
	{ "tls-disabled", b_tls_disabled, DEFAULTS, PGR_SEV_OK,
	  "PGREACH OK - vpce-0a1b2c3d4e5f67890: 1/1 connection ok, slowest session 0.700s, slowest phase login 0.600s",
	  NULL, "tls=U login=0.6s cert_days=U" },
};

/* What main() does: the one analysis, thresholds included. */
static enum pgr_severity
run(struct pgr_report *r, const struct out_case *c, struct pgr_thresholds *o,
    struct pgr_analysis *an)
{
	char err[256];

	ck_assert_msg(pgr_thresholds_set(o, c->o.w, c->o.c, c->o.qw, c->o.qc,
	    c->o.cw, c->o.cc, err, sizeof(err)) == 0, "%s", err);
	c->build(r);
	analyze(an, r, o);
	return an->status;
}

START_TEST(test_output)
{
	const struct out_case *c = &out_cases[_i];
	struct pgr_write_opts wo = { 0 };
	struct pgr_thresholds o;
	struct pgr_analysis an;
	struct pgr_report r;
	char *out = NULL, *perf, *labels, *nl, *line;
	size_t len = 0;
	FILE *m;

	report_init(&r);
	ck_assert_int_eq(run(&r, c, &o, &an), c->want);
	/* the labeler's cases are per address; per port has its own test */
	wo.perfdata = PGR_PERF_ADDRESS;
	m = open_memstream(&out, &len);
	ck_assert_int_eq(pgr_write_nagios(m, &an, &wo), 0);
	fclose(m);

	ck_assert_msg(strstr(out, SECRET) == NULL, "%s: password in output", c->name);
	ck_assert_msg(strcspn(out, "|\n") <= 120, "%s: status line of %zu characters",
	    c->name, strcspn(out, "|\n"));
	ck_assert_msg(strstr(out, "hunter2") == NULL, "%s: password in output", c->name);
	nl = strchr(out, '\n');
	ck_assert(nl != NULL);
	*nl = '\0';
	perf = strstr(out, " | ");
	ck_assert_msg(perf == NULL || strstr(perf + 3, " | ") == NULL, "two '|'");
	if (perf != NULL)
		*perf = '\0';
	ck_assert_str_eq(out, c->head);
	ck_assert_msg(perf != NULL, "%s: no perfdata", c->name);
	labels = parse_perfdata(perf + 3);
	if (c->labels != NULL)
		ck_assert_str_eq(labels, c->labels);
	free(labels);
	if (c->values != NULL) {
		char *vals = strdup(c->values), *save = NULL, *tok;

		for (tok = strtok_r(vals, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
			char *eq = strrchr(tok, '='), got[64];

			*eq = '\0';
			perf_value(perf + 3, tok, got, sizeof(got));
			ck_assert_msg(strcmp(got, eq + 1) == 0, "%s: %s=%s, want %s",
			    c->name, tok, got, eq + 1);
		}
		free(vals);
	}
	/* long output: no '|' (it would start perfdata), one finding per line */
	for (line = nl + 1; *line != '\0'; line += strcspn(line, "\n") + 1)
		ck_assert_msg(memchr(line, '|', strcspn(line, "\n")) == NULL,
		    "'|' in long output: %.*s", (int)strcspn(line, "\n"), line);
	*nl = '\n';
	if (perf != NULL)
		*perf = ' ';
	check_golden(c->name, "nagios", out);
	free(out);
	pgr_analysis_free(&an);
	pgr_report_free(&r);
}
END_TEST

/* The default perfdata: one value per port, the worst of its addresses. */
START_TEST(test_perfdata_per_port)
{
	struct pgr_analysis an;
	struct pgr_report r;
	char *out = NULL, *perf, *labels, got[64];
	size_t len = 0;
	FILE *m;

	report_init(&r);
	two_by_two(&r);
	r.results[0].attempts[1].tls.cert.days_left = 20;	/* the fewest days count */
	analyze(&an, &r, NULL);
	m = open_memstream(&out, &len);
	ck_assert_int_eq(pgr_write_nagios(m, &an, NULL), 0);
	fclose(m);
	*strchr(out, '\n') = '\0';
	perf = strstr(out, " | ");
	ck_assert_ptr_nonnull(perf);
	labels = parse_perfdata(perf + 3);
	ck_assert_str_eq(labels, "dns_5432 dns_5433 dns_addresses_5432 dns_addresses_5433 "
	    "tcp_5432 tcp_5433 tls_5432 tls_5433 login_5432 login_5433 session_5432 "
	    "session_5433 query_p95_5432 query_p95_5433 cert_days_5432 cert_days_5433");
	free(labels);
	/* tcp on 10.0.2.5 (1.4 ms) is slower than on 10.0.1.5 (0.4 ms) */
	perf_value(perf + 3, "tcp_5432", got, sizeof(got));
	ck_assert_str_eq(got, "0.0014s");
	perf_value(perf + 3, "cert_days_5432", got, sizeof(got));
	ck_assert_str_eq(got, "20");
	perf_value(perf + 3, "cert_days_5433", got, sizeof(got));
	ck_assert_str_eq(got, "300");
	free(out);
	pgr_analysis_free(&an);
	pgr_report_free(&r);
}
END_TEST

/*
 * Labels stay unique, found without rescanning every earlier label: 3,000
 * targets on one host get _2, _3, ... (scanning took 46 s for 1,000; the
 * 20,000-target timing is in bench/).
 */
START_TEST(test_many_labels)
{
	struct pgr_write_opts wo = { 0 };
	struct pgr_analysis an;
	struct pgr_report r;
	char *out = NULL;
	size_t len = 0, i, n = 0;
	const char *p;
	FILE *m;

	report_init(&r);
	for (i = 0; i < 3000; i++) {
		add_target(&r, HOST, 5432, PGR_ROLE_POSTGRES);
		add_attempt(&r, "10.0.1.5");
	}
	analyze(&an, &r, NULL);
	wo.perfdata = PGR_PERF_ADDRESS;
	m = open_memstream(&out, &len);
	ck_assert_int_eq(pgr_write_nagios(m, &an, &wo), 0);
	fclose(m);
	for (p = out; (p = strstr(p, " tcp_")) != NULL; p++)
		n++;
	ck_assert_uint_eq(n, 2999);	/* "tcp" itself, then tcp_2 .. tcp_3000 */
	ck_assert_ptr_nonnull(strstr(out, " tcp_3000="));
	free(out);
	pgr_analysis_free(&an);
	pgr_report_free(&r);
}
END_TEST

/* --- thresholds, value by value ------------------------------------------ */

struct thr_case {
	const char	*w, *c, *qw, *qc;
	long		 cw, cc;
	double		 login_ms;	/* session = login_ms / 1000, dns 0 */
	double		 p95_ms;
	long		 days;
	bool		 login_failed;
	enum pgr_severity want;
	const char	*codes;		/* findings added, space-separated */
};

static const struct thr_case thr_cases[] = {
	/* -w 0.5 -c 1 */
	{ "0.5", "1", NULL, NULL, 14, 0, 700, 1, 300, false, PGR_SEV_WARNING, "SESSION_SLOW" },
	{ "0.5", "1", NULL, NULL, 14, 0, 1200, 1, 300, false, PGR_SEV_CRITICAL, "SESSION_SLOW" },
	{ "0.5", "1", NULL, NULL, 14, 0, 300, 1, 300, false, PGR_SEV_OK, "" },
	/* boundaries: a range alerts strictly outside */
	{ "0.7", NULL, NULL, NULL, 14, 0, 700, 1, 300, false, PGR_SEV_OK, "" },
	{ "0.5", "1", NULL, NULL, 14, 0, 1000, 1, 300, false, PGR_SEV_WARNING, "SESSION_SLOW" },
	{ "0.5", "1", NULL, NULL, 14, 0, 500, 1, 300, false, PGR_SEV_OK, "" },
	{ "0.69", NULL, NULL, NULL, 14, 0, 700, 1, 300, false, PGR_SEV_WARNING, "SESSION_SLOW" },
	/* '@': alert inside, ends included */
	{ "@0.5:1", NULL, NULL, NULL, 14, 0, 700, 1, 300, false, PGR_SEV_WARNING, "SESSION_SLOW" },
	{ "@0.5:1", NULL, NULL, NULL, 14, 0, 500, 1, 300, false, PGR_SEV_WARNING, "SESSION_SLOW" },
	{ NULL, "@0.5:1", NULL, NULL, 14, 0, 1000, 1, 300, false, PGR_SEV_CRITICAL, "SESSION_SLOW" },
	{ NULL, "@0.5:1", NULL, NULL, 14, 0, 1200, 1, 300, false, PGR_SEV_OK, "" },
	{ "10:", NULL, NULL, NULL, 14, 0, 700, 1, 300, false, PGR_SEV_WARNING, "SESSION_SLOW" },
	{ "~:0.5", NULL, NULL, NULL, 14, 0, 700, 1, 300, false, PGR_SEV_WARNING, "SESSION_SLOW" },
	{ "1", "0.5", NULL, NULL, 14, 0, 700, 1, 300, false, PGR_SEV_CRITICAL, "SESSION_SLOW" },
	{ NULL, NULL, NULL, NULL, 14, 0, 99000, 1, 300, false, PGR_SEV_OK, "" },
	/* a value that does not exist is not judged */
	{ "0", "0", NULL, NULL, 14, 0, 700, 1, 300, true, PGR_SEV_OK, "" },
	/* query p95 */
	{ NULL, NULL, "0.1", "0.5", 14, 0, 10, 120, 300, false, PGR_SEV_WARNING, "QUERY_SLOW" },
	{ NULL, NULL, "0.1", "0.5", 14, 0, 10, 600, 300, false, PGR_SEV_CRITICAL, "QUERY_SLOW" },
	{ NULL, NULL, "0.1", "0.5", 14, 0, 10, 100, 300, false, PGR_SEV_OK, "" },
	/* certificate days: alert below the number */
	{ NULL, NULL, NULL, NULL, 14, 0, 10, 1, 15, false, PGR_SEV_OK, "" },
	{ NULL, NULL, NULL, NULL, 14, 0, 10, 1, 14, false, PGR_SEV_OK, "" },
	{ NULL, NULL, NULL, NULL, 14, 0, 10, 1, 13, false, PGR_SEV_WARNING, "CERT_EXPIRING" },
	{ NULL, NULL, NULL, NULL, 14, 0, 10, 1, 0, false, PGR_SEV_WARNING, "CERT_EXPIRING" },
	{ NULL, NULL, NULL, NULL, 14, 0, 10, 1, -1, false, PGR_SEV_CRITICAL, "CERT_EXPIRED" },
	{ NULL, NULL, NULL, NULL, 30, 7, 10, 1, 6, false, PGR_SEV_CRITICAL, "CERT_EXPIRING" },
	{ NULL, NULL, NULL, NULL, 14, -30, 10, 1, -5, false, PGR_SEV_WARNING, "CERT_EXPIRED" },
	/* several at once, in field-table order */
	{ "0.5", "1", "0.1", NULL, 14, 0, 1500, 200, -2, false, PGR_SEV_CRITICAL,
	  "SESSION_SLOW QUERY_SLOW CERT_EXPIRED" },
};

START_TEST(test_thresholds)
{
	const struct thr_case *c = &thr_cases[_i];
	struct pgr_findings fs = { 0 };
	struct pgr_thresholds o;
	struct pgr_report r;
	struct pgr_attempt *a;
	char err[256], codes[256] = "";
	size_t k, host0 = 0;

	ck_assert_msg(pgr_thresholds_set(&o, c->w, c->c, c->qw, c->qc, c->cw,
	    c->cc, err, sizeof(err)) == 0, "%s", err);
	report_init(&r);
	add_target(&r, HOST, 5432, PGR_ROLE_POSTGRES);
	a = add_attempt(&r, "10.0.1.5");
	r.results[0].dns.ms = 0;
	a->login.ms = c->login_ms;
	a->query.ms = c->login_ms + 5 * c->p95_ms;
	a->query.p95_ms = c->p95_ms;
	a->tls.cert.days_left = c->days;
	if (c->login_failed)
		fail_at(a, PGR_PH_LOGIN, PGR_LOGIN_AUTH, c->login_ms);

	ck_assert_int_eq(pgr_thresholds_status(&r, &host0, &o), c->want);
	ck_assert_int_eq(pgr_thresholds_apply(&r, &o, &host0, &fs), c->want);
	for (k = 0; k < fs.n; k++) {
		const struct pgr_finding *f = &fs.v[k];

		ck_assert_int_eq(f->target, 0);
		ck_assert(f->severity == PGR_SEV_WARNING || f->severity == PGR_SEV_CRITICAL);
		ck_assert_int_eq(f->cause, f->code == PGR_F_CERT_EXPIRED ||
		    f->code == PGR_F_CERT_EXPIRING ? PGR_CAUSE_CERTIFICATE : PGR_CAUSE_LATENCY);
		ck_assert(f->summary && f->evidence && f->remedy);
		if (k)
			strcat(codes, " ");
		strcat(codes, pgr_code_name(f->code));
	}
	ck_assert_str_eq(codes, c->codes);
	pgr_findings_free(&fs);
	pgr_report_free(&r);
}
END_TEST

/* --- options ------------------------------------------------------------- */

struct opt_case {
	const char *w, *c, *qw, *qc;
	const char *err;	/* substring, NULL when it parses */
};

static const struct opt_case opt_cases[] = {
	{ "0.5", "1", "0.1", "0.2", NULL },
	{ "@0.5:1", "~:2", "10:", NULL, NULL },
	{ "10abc", NULL, NULL, NULL, "--warning: range '10abc'" },
	{ NULL, "1:0", NULL, NULL, "--critical: range '1:0'" },
	{ NULL, NULL, "", NULL, "--query-warning: empty range" },
	{ NULL, NULL, NULL, "x", "--query-critical: range 'x'" },
};

START_TEST(test_opts)
{
	const struct opt_case *c = &opt_cases[_i];
	struct pgr_thresholds o;
	char err[256] = "";
	int rc;

	rc = pgr_thresholds_set(&o, c->w, c->c, c->qw, c->qc, 14, 0, err, sizeof(err));
	if (c->err == NULL) {
		ck_assert_int_eq(rc, 0);
		ck_assert(o.warning.set == (c->w != NULL));
		ck_assert(o.query_critical.set == (c->qc != NULL));
		ck_assert(o.cert_warning.set && o.cert_warning.no_end &&
		    o.cert_warning.start == 14);
	} else {
		ck_assert_int_eq(rc, -1);
		ck_assert_msg(strstr(err, c->err) != NULL, "error '%s', want '%s'", err, c->err);
	}
}
END_TEST

/* --- the field table and number formatting -------------------------------- */

struct fmt_case {
	enum pgr_unit u;
	double v;
	const char *want;
};

static const struct fmt_case fmt_cases[] = {
	{ PGR_UNIT_SECONDS, 0.0123, "0.0123" },
	{ PGR_UNIT_SECONDS, 0.7, "0.7" },
	{ PGR_UNIT_SECONDS, 1.0, "1" },
	{ PGR_UNIT_SECONDS, 0.0000004, "0" },
	{ PGR_UNIT_SECONDS, -0.25, "-0.25" },
	{ PGR_UNIT_SECONDS, 12.3456789, "12.345679" },
	{ PGR_UNIT_DAYS, -3, "-3" },
	{ PGR_UNIT_COUNT, 16, "16" },
	{ PGR_UNIT_UNIXTIME, 1700000000, "1700000000" },
};

START_TEST(test_format)
{
	const struct fmt_case *c = &fmt_cases[_i];
	char buf[64];

	ck_assert_str_eq(pgr_field_format(c->u, c->v, buf, sizeof(buf)), c->want);
}
END_TEST

START_TEST(test_field_table)
{
	size_t i, j;

	ck_assert_uint_gt(pgr_nfields, 0);
	for (i = 0; i < pgr_nfields; i++) {
		const struct pgr_field *f = &pgr_fields[i];
		const char *p;

		ck_assert(f->name && f->help && f->get);
		for (p = f->name; *p; p++)
			ck_assert_msg((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_', "name %s", f->name);
		ck_assert_ptr_eq(pgr_field_find(f->name), f);
		for (j = 0; j < i; j++)
			ck_assert_str_ne(pgr_fields[j].name, f->name);
		ck_assert((f->label_key == NULL) == (f->label_value == NULL));
		ck_assert(f->family == PGR_FAM_NONE ||
		    (f->family >= 0 && f->family < PGR_FAM__COUNT));
	}
	/* the contract's perfdata minimum */
	ck_assert(pgr_field_find("dns")->flags & PGR_FIELD_NAGIOS);
	ck_assert(pgr_field_find("tcp")->flags & PGR_FIELD_NAGIOS);
	ck_assert(pgr_field_find("tls")->flags & PGR_FIELD_NAGIOS);
	ck_assert(pgr_field_find("login")->flags & PGR_FIELD_NAGIOS);
	ck_assert(pgr_field_find("query_p95")->flags & PGR_FIELD_NAGIOS);
	ck_assert(pgr_field_find("cert_days")->flags & PGR_FIELD_NAGIOS);
	ck_assert_ptr_null(pgr_field_find("nope"));
}
END_TEST

/* A writer given no targets at all still says something valid. */
START_TEST(test_empty_report)
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
	ck_assert_int_eq(pgr_write_nagios(m, &an, NULL), 0);
	fclose(m);
	ck_assert_str_eq(out, "PGREACH UNKNOWN - no target was checked\n");
	free(out);
	pgr_analysis_free(&an);
}
END_TEST

static Suite *
nagios_suite(void)
{
	Suite *s = suite_create("nagios");
	TCase *tc = tcase_create("nagios");

	tcase_add_loop_test(tc, test_output, 0, sizeof(out_cases) / sizeof(out_cases[0]));
	tcase_add_loop_test(tc, test_thresholds, 0, sizeof(thr_cases) / sizeof(thr_cases[0]));
	tcase_add_loop_test(tc, test_opts, 0, sizeof(opt_cases) / sizeof(opt_cases[0]));
	tcase_add_loop_test(tc, test_format, 0, sizeof(fmt_cases) / sizeof(fmt_cases[0]));
	tcase_add_test(tc, test_field_table);
	tcase_add_test(tc, test_empty_report);
	tcase_add_test(tc, test_perfdata_per_port);
	tcase_add_test(tc, test_many_labels);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

PGR_CHECK_MAIN(nagios_suite)
