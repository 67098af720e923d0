/*
 * Keepalive facts and the idle findings: the sysctl's text, what a URL's
 * libpq parameters make of the keepalive, what a real socket says, and
 * KEEPALIVE_IDLE_LONG's severity on a plain run and under --idle.
 */
#include <check.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probes/keepalive.h"
#include "probes/target.h"
#include "report/analysis.h"
#include "tests/check_main.h"
#include "tests/support/support.h"

static const struct { const char *text; int want; } sysctls[] = {
	{ "7200\n", 7200 }, { "60", 60 }, { "1\n", 1 }, { "", -1 },
	{ "\n", -1 }, { "0\n", -1 }, { "-5\n", -1 }, { "7200abc\n", -1 },
	{ "72 00\n", -1 }, { "7200\n5\n", -1 }, { "99999999999999999999\n", -1 },
	{ " 7200\n", 7200 },	/* strtol skips leading blanks, as /proc never writes */
};

START_TEST(test_sysctl_parse)
{
	ck_assert_msg(pgr_keepalive_sysctl_parse(sysctls[_i].text) == sysctls[_i].want,
	    "\"%s\": %d, want %d", sysctls[_i].text,
	    pgr_keepalive_sysctl_parse(sysctls[_i].text), sysctls[_i].want);
}
END_TEST

START_TEST(test_sysctl_read)
{
	char path[] = "/tmp/pgr-keepalive-XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "300\n", 4), 4);
	close(fd);
	ck_assert_int_eq(pgr_keepalive_sysctl_read(path), 300);
	unlink(path);
	ck_assert_int_eq(pgr_keepalive_sysctl_read(path), -1);
	ck_assert_int_eq(pgr_keepalive_sysctl_read("/nonexistent/x"), -1);
	/* This namespace's own value, whatever it is, parses. */
	ck_assert_int_gt(pgr_keepalive_sysctl_read(PGR_SYSCTL_KEEPALIVE_TIME), 0);
}
END_TEST

static const struct {
	const char	*url;
	int		 sysctl;
	bool		 known, enabled;
	int		 idle;
	const char	*source;
} urls[] = {
	{ "postgres://u@h:5432/d", 7200, true, true, 7200, "kernel" },
	{ "postgres://u@h:5432/d?keepalives_idle=60&keepalives_interval=10&keepalives_count=6",
	  7200, true, true, 60, "URL" },
	{ "host=h port=5432 dbname=d keepalives_idle=400", 60, true, true, 400, "URL" },
	{ "postgres://u@h:5432/d?keepalives=0", 7200, true, false, 7200, "kernel" },
	{ "postgres://u@h:5432/d?keepalives_idle=0", 7200, true, true, 7200, "kernel" },
	{ "postgres://u@h:5432/d", 0, false, true, 0, NULL },
	{ "postgres://u@h:5432/d?keepalives_idle=60", 0, true, true, 60, "URL" },
};

START_TEST(test_of_target)
{
	struct pgr_keepalive_result k;
	struct pgr_target t;
	const char *src;
	char err[256];

	memset(&t, 0, sizeof(t));
	ck_assert_msg(pgr_target_parse(urls[_i].url, "test", PGR_ROLE_POSTGRES, &t,
	    err, sizeof(err)) == 0, "%s: %s", urls[_i].url, err);
	src = pgr_keepalive_of_target(&t, urls[_i].sysctl, &k);
	ck_assert_msg(k.known == urls[_i].known && k.enabled == urls[_i].enabled &&
	    k.idle_s == urls[_i].idle, "%s: known %d enabled %d idle %d", urls[_i].url,
	    k.known, k.enabled, k.idle_s);
	if (urls[_i].source == NULL)
		ck_assert_ptr_null(src);
	else
		ck_assert_str_eq(src, urls[_i].source);
	pgr_target_free(&t);
}
END_TEST

/* TCP_KEEPIDLE read back: the socket's own value, else the namespace's default. */
START_TEST(test_socket)
{
	struct pgr_keepalive_result k;
	int fd = socket(AF_INET, SOCK_STREAM, 0), on = 1, idle = 45;

	ck_assert_int_ge(fd, 0);
	pgr_keepalive_read_socket(fd, &k);
	ck_assert(k.known && !k.enabled);
	ck_assert_int_eq(k.idle_s, pgr_keepalive_sysctl_read(PGR_SYSCTL_KEEPALIVE_TIME));
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)), 0);
	ck_assert_int_eq(setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)), 0);
	pgr_keepalive_read_socket(fd, &k);
	ck_assert(k.known && k.enabled);
	ck_assert_int_eq(k.idle_s, 45);
	close(fd);
	pgr_keepalive_read_socket(-1, &k);
	ck_assert(!k.known);
}
END_TEST

/* The codes and severities of the findings of r, "CODE:severity,...". */
static void
findings_of(struct pgr_report *r, double idle_s, char *buf, size_t len)
{
	struct pgr_analysis_opts o;
	struct pgr_analysis an;
	char err[256];
	size_t i, n = 0;

	memset(&o, 0, sizeof(o));
	o.sslmode = "require";
	o.idle_s = idle_s;
	ck_assert_int_eq(pgr_analyze(&an, r, &o, err, sizeof(err)), 0);
	buf[0] = '\0';
	for (i = 0; i < an.findings.n && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s:%s", i ? "," : "",
		    pgr_code_name(an.findings.v[i].code),
		    pgr_severity_name(an.findings.v[i].severity));
	if (an.findings.n > 0)
		ck_assert_str_eq(pgr_cause_name(an.findings.v[0].cause),
		    an.findings.v[0].code == PGR_F_IDLE_SESSION_ENDED ? "service" : "routing");
	pgr_analysis_free(&an);
}

static void
set_keepalive(struct pgr_report *r, bool known, bool enabled, int idle)
{
	EACH_ATTEMPT(r, a) {
		a->keepalive.known = known;
		a->keepalive.enabled = enabled;
		a->keepalive.idle_s = idle;
		a->keepalive.interval_s = 75;
		a->keepalive.count = 9;
	}
}

START_TEST(test_keepalive_finding)
{
	struct pgr_report r;
	char got[512];

	report_init(&r);
	b_healthy(&r);
	/* Nothing known (a recorded report of an older version): no finding. */
	findings_of(&r, 0, got, sizeof(got));
	ck_assert_str_eq(got, "");
	/* The stock kernel's 7200 s: information on a plain run ... */
	set_keepalive(&r, true, true, 7200);
	findings_of(&r, 0, got, sizeof(got));
	ck_assert_str_eq(got, "KEEPALIVE_IDLE_LONG:ok");
	/* ... a warning under --idle. */
	findings_of(&r, 400, got, sizeof(got));
	ck_assert_str_eq(got, "KEEPALIVE_IDLE_LONG:warning");
	/* 350 s is already too long; 349 is not. */
	set_keepalive(&r, true, true, 350);
	findings_of(&r, 0, got, sizeof(got));
	ck_assert_str_eq(got, "KEEPALIVE_IDLE_LONG:ok");
	set_keepalive(&r, true, true, 60);
	findings_of(&r, 400, got, sizeof(got));
	ck_assert_str_eq(got, "");
	/* A short idle, but then a probe only every 400 s: silent too long. */
	EACH_ATTEMPT(&r, a)
		a->keepalive.interval_s = 400;
	findings_of(&r, 0, got, sizeof(got));
	ck_assert_str_eq(got, "KEEPALIVE_IDLE_LONG:ok");
	/* keepalives=0: nothing keeps the flow, whatever the idle says. */
	set_keepalive(&r, true, false, 60);
	findings_of(&r, 0, got, sizeof(got));
	ck_assert_str_eq(got, "KEEPALIVE_IDLE_LONG:ok");
	/* No socket: the sysctl read by the run stands in. */
	set_keepalive(&r, false, false, 0);
	r.tcp_keepalive_time = 7200;
	findings_of(&r, 0, got, sizeof(got));
	ck_assert_str_eq(got, "KEEPALIVE_IDLE_LONG:ok");
	r.tcp_keepalive_time = 120;
	findings_of(&r, 0, got, sizeof(got));
	ck_assert_str_eq(got, "");
	/* Loopback: no middlebox in between. */
	r.tcp_keepalive_time = 7200;
	for (size_t i = 0; i < r.ntargets; i++)
		for (size_t k = 0; k < r.results[i].dns.naddrs; k++)
			r.results[i].dns.addrs[k].scope = PGR_SCOPE_LOOPBACK;
	findings_of(&r, 0, got, sizeof(got));
	ck_assert_str_eq(got, "");
	pgr_report_free(&r);
}
END_TEST

START_TEST(test_idle_findings)
{
	struct pgr_report r;
	struct pgr_attempt *a;
	char got[512];

	report_init(&r);
	b_healthy(&r);
	set_keepalive(&r, true, true, 60);
	/* The first attempt of each port was kept idle. */
	for (size_t i = 0; i < r.ntargets; i++) {
		a = &r.results[i].attempts[0];
		a->idle = (struct pgr_idle_result){ .status = PGR_IDLE_OK,
		    .seconds = 25, .start_ms = 20, .ms = 25030 };
	}
	findings_of(&r, 25, got, sizeof(got));
	ck_assert_str_eq(got, "");
	/* 5433's is cut silently: one IDLE_CUT, on that port. */
	r.results[1].attempts[0].idle.status = PGR_IDLE_TIMEOUT;
	findings_of(&r, 25, got, sizeof(got));
	ck_assert_str_eq(got, "IDLE_CUT:critical");
	r.results[1].attempts[0].idle.status = PGR_IDLE_RESET;
	r.results[1].attempts[0].idle.err_no = 104;
	findings_of(&r, 25, got, sizeof(got));
	ck_assert_str_eq(got, "IDLE_CUT:critical");
	/* An end of file after the server's FATAL: the server ended it. */
	r.results[1].attempts[0].idle.status = PGR_IDLE_EOF;
	snprintf(r.results[1].attempts[0].idle.sqlstate, 6, "57P05");
	findings_of(&r, 25, got, sizeof(got));
	ck_assert_str_eq(got, "IDLE_SESSION_ENDED:critical");
	pgr_report_free(&r);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("keepalive");
	TCase *tc = tcase_create("keepalive");

	tcase_add_loop_test(tc, test_sysctl_parse, 0,
	    (int)(sizeof(sysctls) / sizeof(sysctls[0])));
	tcase_add_test(tc, test_sysctl_read);
	tcase_add_loop_test(tc, test_of_target, 0, (int)(sizeof(urls) / sizeof(urls[0])));
	tcase_add_test(tc, test_socket);
	tcase_add_test(tc, test_keepalive_finding);
	tcase_add_test(tc, test_idle_findings);
	suite_add_tcase(s, tc);
	return s;
}

PGR_CHECK_MAIN(suite)
