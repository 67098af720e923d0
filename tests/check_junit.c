/*
 * The JUnit writer on synthetic reports built here: each output is parsed
 * back by xmllint (libxml2-utils), validated against fixtures/junit/junit.xsd,
 * and queried with XPath for its counts, its failures and what escaping
 * left of hostile strings; the password is nowhere.  Whole outputs are
 * compared with fixtures/junit/<case>.xml (hostname and version blanked);
 * PGR_UPDATE_FIXTURES=1 rewrites them.  Without xmllint only the checks
 * done here in C run, and the test says so on stderr.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probes/result.h"
#include "report/endpoint.h"
#include "report/evidence.h"
#include "report/writer.h"
#include "tests/check_main.h"

/* --- synthetic reports (shaped like tests/check_nagios.c's) --------------- */

#define HOST	"vpce-0a1b2c3d4e5f60718-k2x9abcd.vpce-svc-0123456789abcdef0.us-east-1.vpce.amazonaws.com"
#define HOST2	"vpce-0fedcba9876543210-zyxwvuts.vpce-svc-0123456789abcdef0.us-east-1.vpce.amazonaws.com"
#define SECRET	"hunter2-S3cr3t'pw<&>"

/*
 * Bytes an attacker controls (a server's message, a certificate subject):
 * markup, quotes, C0 and C1 controls, an ANSI escape, CR, invalid UTF-8
 * (a lone lead byte, an overlong '/', a UTF-16 surrogate, 0xff) and valid
 * multibyte characters that must survive.
 */
#define HOSTILE	"a<b>&c\"d'e\x01\x1b[31m\x7f\xc2\x85\tf\ng\rh\xffi\xc3(j\xc0\xafk\xed\xa0\x80l \xc3\xa9 \xf0\x9f\x99\x82 ]]>"
/* ...and what a parser reads back: the controls gone, U+FFFD per bad byte. */
#define HOSTILE_BACK "a<b>&c\"d'e[31m\tf\ng\rh\xef\xbf\xbdi\xef\xbf\xbd(j\xef\xbf\xbd\xef\xbf\xbdk" \
	"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdl \xc3\xa9 \xf0\x9f\x99\x82 ]]>"

#include "tests/support/support.h"

/* Every port times out; the diagnosis gives both causes; one more about the run. */
static void
b_tcp_timeout_note(struct pgr_report *r)
{
	two_by_two(r);
	EACH_ATTEMPT(r, a)
		fail_at(a, PGR_PH_TCP, PGR_TCP_TIMEOUT, 3000.0);
	plant(PGR_F_EVIDENCE_CONTRADICTS, PGR_SEV_WARNING, PGR_CAUSE_CONFIG,
	    "a finding about the run, not a host", NULL, NULL, -1);
}

/* Every port times out, and the evidence says why. */
static void
b_timeout_no_findings(struct pgr_report *r)
{
	two_by_two(r);
	EACH_ATTEMPT(r, a)
		fail_at(a, PGR_PH_TCP, PGR_TCP_TIMEOUT, 3000.0);
}

/* Whatever the network and the user can put in a report, everywhere. */
static void
b_hostile(struct pgr_report *r)
{
	const char *h = "db<&\"'>.example";
	struct pgr_attempt *a;

	add_target(r, h, 5432, PGR_ROLE_POSTGRES);
	free(r->targets[0].url);
	r->targets[0].url = strdup("postgres://" HOSTILE ":REDACTED@x/db");
	snprintf(r->results[0].dns.servers, PGR_DETAIL_LEN, "%s", HOSTILE);
	a = add_attempt(r, "10.0.1.5");
	snprintf(a->tls.cert.subject, PGR_DETAIL_LEN, "CN=%s", HOSTILE);
	fail_at(a, PGR_PH_LOGIN, PGR_LOGIN_ERROR, 8.0);
	snprintf(a->login.message, sizeof(a->login.message), "%s", HOSTILE);
	a = add_attempt(r, "10.0.2.5");
	fail_at(a, PGR_PH_TLS, PGR_TLS_HANDSHAKE, 5.0);
	snprintf(a->tls.detail, sizeof(a->tls.detail), "%s", HOSTILE);
	plant(PGR_F_TLS_HANDSHAKE, PGR_SEV_CRITICAL, PGR_CAUSE_TLS,
	    HOSTILE, HOSTILE, HOSTILE, 0);
}

/* Three hosts: three suites; a PgBouncer alone leaves the 5432 steps unchecked. */
static void
b_three_hosts(struct pgr_report *r)
{
	add_target(r, HOST, 5432, PGR_ROLE_POSTGRES);
	add_attempt(r, "2001:db8:ffff:ffff:ffff:ffff:ffff:1005");
	add_attempt(r, "10.0.1.5");
	add_target(r, HOST2, 5432, PGR_ROLE_POSTGRES);
	add_attempt(r, "2001:db8:ffff:ffff:ffff:ffff:ffff:2005");
	add_target(r, "10.9.8.7", 5433, PGR_ROLE_PGBOUNCER);
	add_attempt(r, "10.9.8.7");
	/* the second host's name, written in another case, is the same host */
	add_target(r, "VPCE-0FEDCBA9876543210-ZYXWVUTS.vpce-svc-0123456789abcdef0.us-east-1.vpce.amazonaws.com",
	    5433, PGR_ROLE_PGBOUNCER);
	add_attempt(r, "2001:db8:ffff:ffff:ffff:ffff:ffff:2005");
}

static void
b_empty(struct pgr_report *r)
{
	(void)r;
}


/*
 * Run argv (no shell: XPath is full of quotes) and capture stdout and
 * stderr together; the exit status, or -1.
 */
static int
run(char *const argv[], char **out)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	*out = NULL;
	if (pipe(fds) != 0)
		return -1;
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = cap * 2 + 8192;
			buf = realloc(buf, cap);
			ck_assert(buf != NULL);
		}
		n = read(fds[0], buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fds[0]);
	buf[len] = '\0';
	*out = buf;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool
have_xmllint(void)
{
	static int have = -1;
	char *out;

	if (have < 0) {
		char *argv[] = { "xmllint", "--version", NULL };

		have = run(argv, &out) == 0;
		free(out);
		if (!have)
			fprintf(stderr, "check_junit: xmllint not installed (libxml2-utils): "
			    "the output is not parsed back\n");
	}
	return have;
}

/* The value of an XPath expression over file, as xmllint prints it. */
static char *
xpath(const char *file, const char *expr)
{
	char *argv[] = { "xmllint", "--xpath", (char *)expr, (char *)file, NULL };
	char *out;
	size_t n;
	int rc = run(argv, &out);

	/* 10: "XPath set is empty", a node-set query that found nothing */
	ck_assert_msg(rc == 0 || rc == 10, "xmllint --xpath '%s': exit %d: %s", expr, rc, out);
	n = strlen(out);
	if (rc == 10)
		out[0] = '\0';
	else if (n > 0 && out[n - 1] == '\n')	/* xmllint adds one */
		out[n - 1] = '\0';
	return out;
}

/* Blank what differs between machines and versions, for the golden files. */
static char *
normalise(const char *xml)
{
	static const char *const keys[] = { " hostname=\"", "name=\"pgreach.version\" value=\"" };
	char *s = strdup(xml);
	size_t k;

	ck_assert(s != NULL);
	for (k = 0; k < 2; k++) {
		char *p = strstr(s, keys[k]), *q;

		while (p != NULL) {
			p += strlen(keys[k]);
			q = strchr(p, '"');
			ck_assert(q != NULL);
			memmove(p + 1, q, strlen(q) + 1);
			*p = '-';
			p = strstr(p, keys[k]);
		}
	}
	return s;
}

static void
junit_golden(const char *name, const char *got)
{
	char path[512];
	char *norm = normalise(got);

	snprintf(path, sizeof(path), "%s/junit/%s.xml", FIXTURES, name);
	golden(path, norm);
	free(norm);
}

/* --- the cases ----------------------------------------------------------- */

struct xp {
	const char *expr, *want;
};

struct jcase {
	const char	*name;
	void		(*build)(struct pgr_report *);
	const char	*region;
	const char	*evidence[3];	/* files under fixtures/evidence */
	int		 suites, tests, failures, errors, skipped;
	struct xp	 xp[12];
};

#define STEP(name)	"/testsuites/testsuite[1]/testcase[@name=\"" name "\"]"

static const struct jcase cases[] = {
	{ "healthy", b_healthy, "us-east-1", { NULL }, 1, 13, 0, 0, 0, {
	  { "string(/testsuites/@name)", "pgreach" },
	  { "string(/testsuites/@time)", "0.1234" },
	  { "string(/testsuites/testsuite/@name)", HOST },
	  { "string(/testsuites/testsuite/@timestamp)", "2023-11-14T22:13:20.250Z" },
	  { "string(/testsuites/testsuite/@time)", "0.0146" },
	  { "string(" STEP("DNS resolves to the endpoint") "/@time)", "0.0015" },
	  { "string(" STEP("TCP 5432") "/@time)", "0.0014" },
	  { "string(" STEP("TLS 1.2+") "/@time)", "0.0027" },
	  { "string(" STEP("Query") "/@time)", "0.0022" },
	  { "string(" STEP("Endpoint in the database's region") "/@time)", "0" },
	  { "string(/testsuites/testsuite/properties/property[@name='endpoint.id']/@value)",
	    "vpce-0a1b2c3d4e5f60718" },
	  { "boolean(/testsuites/testsuite/system-err)", "false" } } },
	{ "healthy-no-region", b_healthy, NULL, { NULL }, 1, 13, 0, 0, 1, {
	  { "string(" STEP("Endpoint in the database's region") "/skipped/@message)",
	    "the endpoint is in us-east-1; give --region or AWS_REGION to compare" },
	  { "boolean(/testsuites/testsuite/properties/property[@name='region.expected'])", "false" } } },
	{ "healthy-evidence", b_healthy, NULL,
	  { "vpce-available.json", "privatelink-operational.txt", "sg-5432-5433.json" },
	  1, 13, 0, 0, 0, {
	  { "boolean(//skipped)", "false" },
	  { "contains(string(/testsuites/testsuite/system-out), 'VPC endpoint available')", "true" } } },
	{ "tcp-timeout", b_tcp_timeout_note, "us-east-1", { NULL }, 1, 13, 3, 0, 8, {
	  { "string(" STEP("TCP 5432") "/failure/@type)", "SECURITY_GROUP_BLOCKS" },
	  { "string(" STEP("TCP 5432") "/failure/@message)",
	    "TCP to " HOST " times out on every address and port: a security group or network ACL drops it" },
	  { "contains(" STEP("TCP 5432") "/failure, 'remedy:   Allow inbound TCP 5432-5433')", "true" },
	  { "contains(" STEP("TCP 5432") "/failure, 'evidence: TCP connects to 10.0.1.5, 10.0.2.5 time out on every port probed')", "true" },
	  { "contains(" STEP("TCP 5432") "/failure, 'checked:  0/2 addresses')", "true" },
	  { "string(" STEP("TCP 5433") "/@time)", "3" },
	  { "string(" STEP("VPC endpoint available") "/skipped/@message)",
	    "possibly: The VPC endpoint may not be accepted yet (pendingAcceptance or rejected), which also times out" },
	  { "string(" STEP("TLS 1.2+") "/skipped/@message)", "not reached: an earlier step failed" },
	  { "string(" STEP("TLS 1.2+") "/@time)", "0" },
	  { "contains(/testsuites/testsuite/system-err, 'a finding about the run, not a host')", "true" },
	  { "contains(/testsuites/testsuite/system-err, 'SECURITY_GROUP_BLOCKS')", "false" },
	  { "contains(/testsuites/testsuite/system-out, '    tcp    timeout         3000.0 ms')", "true" } } },
	{ "evidence-pending", b_timeout_no_findings, "us-east-1",
	  { "vpce-pending-acceptance.json", NULL }, 1, 13, 3, 0, 8, {
	  { "string(" STEP("VPC endpoint available") "/failure/@type)", "ENDPOINT_NOT_AVAILABLE" },
	  { "string(" STEP("TCP 5432") "/failure/@type)", "ENDPOINT_NOT_AVAILABLE" },
	  { "boolean(/testsuites/testsuite/system-err)", "false" } } },
	{ "dns-nxdomain", b_nxdomain, "us-east-1", { NULL }, 1, 13, 1, 0, 11, {
	  { "string(" STEP("DNS resolves to the endpoint") "/failure/@type)", "DNS_NXDOMAIN" },
	  { "string(" STEP("DNS resolves to the endpoint") "/@time)", "0.0125" },
	  { "string(" STEP("TCP 5432") "/skipped/@message)", "not reached: DNS failed" },
	  { "contains(/testsuites/testsuite/system-out, 'Domain name not found')", "true" } } },
	{ "auth", b_auth, "us-east-1", { NULL }, 1, 13, 2, 0, 1, {
	  { "string(" STEP("Login to Postgres (5432)") "/failure/@type)", "LOGIN_AUTH" },
	  { "string(" STEP("Login to PgBouncer (5433)") "/failure/@message)",
	    "Password or role rejected on port 5433" },
	  { "contains(" STEP("Login to PgBouncer (5433)") "/failure, 'heroku config:get DATABASE_ENDPOINT_')", "true" },
	  { "string(" STEP("Login to Postgres (5432)") "/@time)", "0.0049" },
	  { "contains(/testsuites/testsuite/system-out, '28P01 password authentication failed for user \"app\"')", "true" } } },
	{ "hostile", b_hostile, NULL, { NULL }, 1, 13, 2, 0, 5, {
	  { "string(/testsuites/testsuite/@name)", "db<&\"'>.example" },
	  { "string(/testsuites/testsuite/testcase[1]/@classname)", "pgreach.db<&\"'>.example" },
	  { "string(" STEP("TLS 1.2+") "/failure/@type)", "TLS_HANDSHAKE" },
	  /* the planted finding, which no step carries, with every hostile byte */
	  { "contains(/testsuites/testsuite/system-err, 'summary:  a<b>&c\"d')", "true" },
	  { "contains(/testsuites/testsuite/system-err, 'l \xc3\xa9 \xf0\x9f\x99\x82 ]]>')", "true" },
	  { "contains(/testsuites/testsuite/system-err, 'remedy:   " "a<b>&c\"d')", "true" },
	  { "string(/testsuites/testsuite/properties/property[@name='target.0.url']/@value)",
	    "postgres://" HOSTILE_BACK ":REDACTED@x/db" } } },
	{ "refused-no-findings", b_refused_no_findings, "us-east-1", { NULL }, 1, 13, 4, 0, 0, {
	  { "string(" STEP("TCP 5432") "/failure/@type)", "PORT_SERVICE_DOWN" },
	  { "string(" STEP("TCP 5432") "/failure/@message)", "Postgres on port 5432 refuses connections at 10.0.2.5 while PgBouncer on 5433 at the same address answers TLS: the endpoint is right, Postgres behind it is down" },
	  { "string(" STEP("TCP 5433") "/@time)", "0.0014" } } },
	{ "three-hosts", b_three_hosts, "us-east-1", { NULL }, 3, 39, 0, 0, 7, {
	  { "string(/testsuites/testsuite[2]/@name)", HOST2 },
	  { "string(/testsuites/testsuite[3]/@name)", "10.9.8.7" },
	  { "string(/testsuites/testsuite[3]/testcase[@name='TCP 5432']/skipped/@message)", "not probed" },
	  { "string(/testsuites/testsuite[2]/testcase[@name='Login to PgBouncer (5433)']/@time)", "0.0067" },
	  { "count(/testsuites/testsuite[2]/properties/property[starts-with(@name, 'target.')])", "4" },
	  { "contains(/testsuites/testsuite[2]/system-out, '[2001:db8:ffff:ffff:ffff:ffff:ffff:2005] port 5433')", "true" },
	  { "string(/testsuites/testsuite[3]/@id)", "2" } } },
	{ "empty", b_empty, NULL, { NULL }, 0, 0, 0, 0, 0, {
	  { "string(/testsuites/@time)", "0.1234" } } },
};

/* True of every output, whatever the report. */
static const struct xp invariants[] = {
	{ "count(//testcase) = /testsuites/@tests", "true" },
	{ "count(//testcase/failure) = /testsuites/@failures", "true" },
	{ "count(//testcase/error) = /testsuites/@errors", "true" },
	{ "count(//testcase/skipped) = /testsuites/@skipped", "true" },
	{ "count(/testsuites/testsuite[count(testcase) != @tests])", "0" },
	{ "count(/testsuites/testsuite[count(testcase/failure) != @failures])", "0" },
	{ "count(/testsuites/testsuite[count(testcase/error) != @errors])", "0" },
	{ "count(/testsuites/testsuite[count(testcase/skipped) != @skipped])", "0" },
	{ "count(//testcase[count(failure | error | skipped) > 1])", "0" },
	{ "count(//testcase[@classname != concat('pgreach.', ../@name)])", "0" },
	{ "count(//failure[not(@type) or @type = '' or not(@message) or @message = ''])", "0" },
	{ "count(//error[not(@type) or @type = '' or not(@message) or @message = ''])", "0" },
	{ "count(//skipped[not(@message) or @message = ''])", "0" },
	{ "count(/testsuites/testsuite[not(@hostname) or @hostname = ''])", "0" },
	{ "count(/testsuites/testsuite[@timestamp != '2023-11-14T22:13:20.250Z'])", "0" },
	{ "count(/testsuites/testsuite[not(system-out)])", "0" },
	{ "count(/testsuites/testsuite[count(testcase) != 13])", "0" },
	{ "count(//testcase[@name = following-sibling::testcase/@name])", "0" },
};

/* No byte XML 1.0 cannot carry, and the password nowhere, however encoded. */
static void
check_bytes(const struct jcase *c, const char *out)
{
	const unsigned char *p;

	ck_assert_msg(strncmp(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 39) == 0,
	    "%s: no XML declaration", c->name);
	for (p = (const unsigned char *)out; *p != '\0'; p++)
		ck_assert_msg(*p >= 0x20 || *p == '\t' || *p == '\n',
		    "%s: byte 0x%02x at %zu", c->name, *p, (size_t)(p - (const unsigned char *)out));
	ck_assert_msg(strstr(out, "\x7f") == NULL && strstr(out, "\xc2\x85") == NULL,
	    "%s: DEL or NEL in output", c->name);
	ck_assert_msg(strstr(out, SECRET) == NULL, "%s: password in output", c->name);
	ck_assert_msg(strstr(out, "hunter2") == NULL, "%s: password in output", c->name);
	ck_assert_msg(strstr(out, "S3cr3t") == NULL, "%s: password in output", c->name);
}

static int
occurrences(const char *s, const char *needle)
{
	int n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

START_TEST(test_junit)
{
	const struct jcase *c = &cases[_i];
	struct pgr_evidence ev = { 0 };
	struct pgr_analysis an;
	struct pgr_report r;
	char *out = NULL, file[] = "/tmp/check_junit.XXXXXX", num[32], expr[128];
	size_t len = 0, k;
	FILE *m;
	int fd;

	test_host = HOST;
	test_secret = SECRET;
	report_init(&r);
	c->build(&r);
	for (k = 0; k < 3 && c->evidence[k] != NULL; k++) {
		char path[512], err[256];

		snprintf(path, sizeof(path), "%s/evidence/%s", FIXTURES, c->evidence[k]);
		ck_assert_msg(pgr_evidence_load(&ev, path, err, sizeof(err)) == 0, "%s", err);
	}
	analyze_with(&an, &r, NULL, c->region, &ev);
	m = open_memstream(&out, &len);
	ck_assert_int_eq(pgr_write_junit(m, &an, NULL), 0);
	fclose(m);

	check_bytes(c, out);
	ck_assert_int_eq(occurrences(out, "<testsuite "), c->suites);
	ck_assert_int_eq(occurrences(out, "<testcase "), c->tests);
	ck_assert_int_eq(occurrences(out, "<failure "), c->failures);
	ck_assert_int_eq(occurrences(out, "<error "), c->errors);
	ck_assert_int_eq(occurrences(out, "<skipped "), c->skipped);
	junit_golden(c->name, out);

	if (have_xmllint()) {
		char xsd[512], *res;
		char *argv[] = { "xmllint", "--noout", "--schema", xsd, file, NULL };

		fd = mkstemp(file);
		ck_assert(fd >= 0);
		ck_assert(write(fd, out, len) == (ssize_t)len);
		close(fd);
		snprintf(xsd, sizeof(xsd), "%s/junit/junit.xsd", FIXTURES);
		ck_assert_msg(run(argv, &res) == 0, "%s: not valid against junit.xsd:\n%s\n%s",
		    c->name, res, out);
		free(res);
		for (k = 0; k < sizeof(invariants) / sizeof(invariants[0]); k++) {
			res = xpath(file, invariants[k].expr);
			ck_assert_msg(strcmp(res, invariants[k].want) == 0, "%s: %s is '%s', want '%s'",
			    c->name, invariants[k].expr, res, invariants[k].want);
			free(res);
		}
#define TOTAL(attr, want) do {							\
		snprintf(num, sizeof(num), "%d", (want));				\
		snprintf(expr, sizeof(expr), "string(/testsuites/@%s)", (attr));	\
		res = xpath(file, expr);						\
		ck_assert_msg(strcmp(res, num) == 0, "%s: %s is '%s', want %s",	\
		    c->name, expr, res, num);						\
		free(res);								\
} while (0)
		TOTAL("tests", c->tests);
		TOTAL("failures", c->failures);
		TOTAL("errors", c->errors);
		TOTAL("skipped", c->skipped);
#undef TOTAL
		res = xpath(file, "count(/testsuites/testsuite)");
		snprintf(num, sizeof(num), "%d", c->suites);
		ck_assert_str_eq(res, num);
		free(res);
		for (k = 0; k < sizeof(c->xp) / sizeof(c->xp[0]) && c->xp[k].expr; k++) {
			res = xpath(file, c->xp[k].expr);
			ck_assert_msg(strcmp(res, c->xp[k].want) == 0, "%s: %s is '%s', want '%s'",
			    c->name, c->xp[k].expr, res, c->xp[k].want);
			free(res);
		}
		unlink(file);
	}
	free(out);
	pgr_analysis_free(&an);
	pgr_evidence_free(&ev);
	pgr_report_free(&r);
}
END_TEST

/* The schema itself refuses what CI readers would refuse. */
static const struct {
	const char *name, *xml;
} bad_docs[] = {
	{ "testcase outside a suite", "<testsuites><testcase name='x'/></testsuites>" },
	{ "suite without a name", "<testsuites><testsuite tests='0'/></testsuites>" },
	{ "time not a number", "<testsuite name='s' tests='1'><testcase name='x' time='1s'/></testsuite>" },
	{ "negative count", "<testsuite name='s' tests='-1'/>" },
	{ "unknown element", "<testsuite name='s' tests='1'><testcase name='x'><oops/></testcase></testsuite>" },
	{ "system-out before testcase", "<testsuite name='s' tests='1'><system-out/><testcase name='x'/></testsuite>" },
	{ "timestamp not a date", "<testsuite name='s' tests='0' timestamp='yesterday'/>" },
};

START_TEST(test_schema_refuses)
{
	char file[] = "/tmp/check_junit.XXXXXX", xsd[512], *res;
	char *argv[] = { "xmllint", "--noout", "--schema", xsd, file, NULL };
	int fd;

	if (!have_xmllint())
		return;
	fd = mkstemp(file);
	ck_assert(fd >= 0);
	ck_assert(write(fd, bad_docs[_i].xml, strlen(bad_docs[_i].xml)) > 0);
	close(fd);
	snprintf(xsd, sizeof(xsd), "%s/junit/junit.xsd", FIXTURES);
	ck_assert_msg(run(argv, &res) != 0, "junit.xsd accepts %s", bad_docs[_i].name);
	free(res);
	unlink(file);
}
END_TEST

/* A write error is reported, not swallowed. */
/* A duration no clock gives (fuzz_report found one): seconds, not a stack smash. */
START_TEST(test_huge_duration)
{
	struct pgr_analysis an;
	struct pgr_report r;
	char *out = NULL;
	size_t len = 0;
	FILE *m;

	test_host = HOST;
	test_secret = SECRET;
	report_init(&r);
	two_by_two(&r);
	EACH_ATTEMPT(&r, a)
		fail_at(a, PGR_PH_TCP, PGR_TCP_TIMEOUT, 1e300);
	r.duration_ms = 1e300;
	analyze(&an, &r, NULL);
	m = open_memstream(&out, &len);
	ck_assert_int_eq(pgr_write_junit(m, &an, NULL), 0);
	fclose(m);
	ck_assert_ptr_nonnull(strstr(out, "time=\"1000000000000\""));
	free(out);
	pgr_analysis_free(&an);
	pgr_report_free(&r);
}
END_TEST

START_TEST(test_write_error)
{
	struct pgr_analysis an;
	struct pgr_report r;
	FILE *f = fopen("/dev/full", "w");

	if (f == NULL)
		return;
	setvbuf(f, NULL, _IONBF, 0);
	test_host = HOST;
	test_secret = SECRET;
	report_init(&r);
	b_healthy(&r);
	analyze(&an, &r, NULL);
	ck_assert_int_eq(pgr_write_junit(f, &an, NULL), -1);
	fclose(f);
	pgr_analysis_free(&an);
	pgr_report_free(&r);
}
END_TEST

static Suite *
junit_suite(void)
{
	Suite *s = suite_create("junit");
	TCase *tc = tcase_create("junit");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_junit, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_loop_test(tc, test_schema_refuses, 0, sizeof(bad_docs) / sizeof(bad_docs[0]));
	tcase_add_test(tc, test_write_error);
	tcase_add_test(tc, test_huge_duration);
	suite_add_tcase(s, tc);
	return s;
}

PGR_CHECK_MAIN(junit_suite)
