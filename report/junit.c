/*
 * The JUnit report.  One <testsuite> per endpoint host, one <testcase>
 * per checklist step, so a CI job shows the setup guide's steps as tests:
 * a failed step is a <failure> carrying the finding that explains it, a
 * step nothing could check is <skipped>.
 *
 * The element and attribute names are those of Ant's JUnit report, which
 * Jenkins, GitLab and the GitHub Actions reporters all read; the counts on
 * <testsuites> and <testsuite> are the sums of what follows them, since
 * some readers trust the counts and others count the elements.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "report/detail.h"
#include "util/utf8.h"
#include "report/writer.h"
#include "report/versions.h"

/* ---- escaping ---------------------------------------------------------- */

/*
 * s as XML character data or an attribute value; in an attribute both
 * quotes are escaped, so either delimiter is safe.  XML 1.0 (section 2.2)
 * has no way to write most control characters, not even as references, so
 * they are dropped, C1 and DEL with them; a byte that is not UTF-8 becomes
 * U+FFFD.  Tab, LF and CR are written as references inside attributes,
 * which a parser would otherwise normalise to blanks (section 3.3.3), and
 * CR in text too, which it would turn into LF (section 2.11).
 */
static void
xml_put(FILE *f, const char *s, bool attr)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, i = 0;

	if (s == NULL)
		return;
	n = strlen(s);
	while (i < n) {
		uint32_t cp = 0;
		size_t len = pgr_utf8_seq(p + i, n - i, &cp);

		if (len == 0) {
			fputs("\xef\xbf\xbd", f);
			i++;
			continue;
		}
		switch (cp) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"':
			fputs(attr ? "&quot;" : "\"", f);
			break;
		case '\'':
			fputs(attr ? "&apos;" : "'", f);
			break;
		case '\t':
		case '\n':
		case '\r':
			if (attr || cp == '\r')
				fprintf(f, "&#%u;", (unsigned)cp);
			else
				fputc((int)cp, f);
			break;
		default:
			if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
			    cp == 0xfffe || cp == 0xffff)
				break;
			fwrite(p + i, 1, len, f);
		}
		i += len;
	}
}

static void
attr(FILE *f, const char *name, const char *value)
{
	fprintf(f, " %s=\"", name);
	xml_put(f, value != NULL ? value : "", true);
	fputc('"', f);
}

/* Seconds from milliseconds: at most six decimals, no trailing zeros. */
static void
attr_secs(FILE *f, const char *name, double ms)
{
	char buf[64];
	size_t n;

	if (!isfinite(ms) || ms < 0)
		ms = 0;
	if (ms > 1e15)		/* 31,000 years: keeps the digits inside buf */
		ms = 1e15;
	n = (size_t)snprintf(buf, sizeof(buf), "%.6f", ms / 1000.0);
	while (buf[n - 1] == '0')
		buf[--n] = '\0';
	if (buf[n - 1] == '.')
		buf[--n] = '\0';
	fprintf(f, " %s=\"%s\"", name, buf);
}

/* ---- a failed step ----------------------------------------------------- */

static bool
ran(enum pgr_err e)
{
	return e != PGR_SKIPPED && e != PGR_PENDING;
}

static const char *
host_name(const struct pgr_host *h)
{
	return h->name != NULL && h->name[0] != '\0' ? h->name : "(no host)";
}

/* "tcp.timeout": the step's phase and how it ended, for a step no finding explains. */
static void
failure_type(const struct pgr_check_item *it, char *buf, size_t len)
{
	const struct pgr_step_def *d = pgr_step_def(it->step);

	if (d->phase == PGR_PH__COUNT)
		/* the evidence itself failed the step (an endpoint not available) */
		snprintf(buf, len, "evidence");
	else if (it->err != PGR_OK)
		snprintf(buf, len, "%s.%s", pgr_phase_name(d->phase), pgr_err_name(it->err));
	else
		snprintf(buf, len, "%s", pgr_phase_name(d->phase));
}

static void
finding_text(FILE *f, const struct pgr_finding *fd)
{
	fprintf(f, "[%s] %s (%s)\n", pgr_severity_name(fd->severity),
	    pgr_code_name(fd->code), pgr_cause_name(fd->cause));
	if (fd->summary != NULL)
		fprintf(f, "summary:  %s\n", fd->summary);
	if (fd->evidence != NULL)
		fprintf(f, "evidence: %s\n", fd->evidence);
	if (fd->remedy != NULL)
		fprintf(f, "remedy:   %s\n", fd->remedy);
}

/*
 * The text is built raw in memory and escaped as a whole, so nothing
 * written here can reach the document unescaped.
 */
static void
put_text(FILE *f, char *raw, size_t len)
{
	if (raw != NULL && len > 0)
		xml_put(f, raw, false);
	free(raw);
}

static int
failure_xml(FILE *f, const struct pgr_analysis *an, const struct pgr_check_item *it)
{
	const struct pgr_finding *fd = pgr_step_finding(an, it);
	const char *el = "failure";
	char type[64] = "finding", *raw = NULL;
	size_t len = 0;
	FILE *m;

	if ((m = open_memstream(&raw, &len)) == NULL)
		return -1;
	if (fd != NULL) {
		finding_text(m, fd);
		if (strcmp(it->note, fd->summary ? fd->summary : "") != 0)
			fprintf(m, "checked:  %s\n", it->note);
	} else
		fprintf(m, "checked:  %s\nNo finding explains this step: the attempts are in <system-out>.\n",
		    it->note);
	if (fclose(m) != 0) {
		free(raw);
		return -1;
	}
	if (fd == NULL)
		failure_type(it, type, sizeof(type));
	fprintf(f, "      <%s", el);
	attr(f, "message", fd != NULL && fd->summary != NULL && fd->summary[0] != '\0' ?
	    fd->summary : it->note[0] != '\0' ? it->note : it->title);
	attr(f, "type", fd != NULL ? pgr_code_name(fd->code) : type);
	fputc('>', f);
	put_text(f, raw, len);
	fprintf(f, "</%s>\n", el);
	return 0;
}

/* ---- system-out: the checklist and the attempts ----------------------- */

static void
phase_line(FILE *f, const struct pgr_attempt *a, enum pgr_phase p, double start)
{
	enum pgr_err st = pgr_attempt_phase(a, p);
	double end = p == PGR_PH_TCP ? a->tcp.ms : p == PGR_PH_TLS ? a->tls.ms :
	    p == PGR_PH_LOGIN ? a->login.ms : a->query.ms;
	char info[1024];

	fprintf(f, "    %-6s %-12s", pgr_phase_name(p), pgr_err_name(st));
	if (ran(st))
		fprintf(f, " %9.1f ms (+%.1f)", end, end - start);
	else
		fprintf(f, " %9s", "-");
	if (pgr_detail_phase(a, p, info, sizeof(info))[0] != '\0')
		fprintf(f, "  %s", info);
	fputc('\n', f);
}

static void
attempt_lines(FILE *f, const struct pgr_attempt *a, int port)
{
	fprintf(f, "  %s%s%s port %d\n", a->family == 6 ? "[" : "", a->address,
	    a->family == 6 ? "]" : "", port);
	phase_line(f, a, PGR_PH_TCP, 0);
	phase_line(f, a, PGR_PH_TLS, a->tcp.ms);
	phase_line(f, a, PGR_PH_LOGIN, a->tls.ms);
	phase_line(f, a, PGR_PH_QUERY, a->login.ms);
}

static void
target_lines(FILE *f, const struct pgr_target *t, const struct pgr_target_result *tr)
{
	const struct pgr_dns_result *d = &tr->dns;
	size_t i;

	fprintf(f, "\n%s (%s, from %s)\n", t->url ? t->url : "(no url)",
	    pgr_role_name(t->role), t->source ? t->source : "?");
	fprintf(f, "  dns    %-12s", pgr_err_name(d->status));
	if (ran(d->status))
		fprintf(f, " %9.1f ms", d->ms);
	else
		fprintf(f, " %9s", "-");
	for (i = 0; i < d->naddrs; i++)
		fprintf(f, "%s%s (%s%s)", i ? ", " : "  ", d->addrs[i].text,
		    pgr_scope_name(d->addrs[i].scope),
		    d->addrs[i].in_vpc == 0 ? ", outside the VPC" : "");
	if (pgr_err_failed(d->status) && d->detail[0])
		fprintf(f, "  %s", d->detail);
	fprintf(f, "  [resolver %s]\n", d->servers[0] ? d->servers : "system");
	if (d->cnames != NULL)
		fprintf(f, "         cname %s\n", d->cnames);
	for (i = 0; i < tr->nattempts; i++)
		attempt_lines(f, &tr->attempts[i], t->port);
}

static int
system_out(FILE *f, const struct pgr_analysis *an, const struct pgr_host *h)
{
	static const char *const marks[] = { "[ok]  ", "[FAIL]", "[ ? ] ", "[WARN]" };
	const struct pgr_report *r = an->r;
	char *raw = NULL;
	size_t len = 0, i;
	FILE *m;
	int s;

	if ((m = open_memstream(&raw, &len)) == NULL)
		return -1;
	fprintf(m, "Checklist for %s\n", host_name(h));
	for (s = 0; s < PGR_STEP__COUNT; s++)
		fprintf(m, "  %s %-38s %s\n", marks[h->steps[s].state],
		    h->steps[s].title, h->steps[s].note);
	for (i = 0; i < r->ntargets; i++)
		if (pgr_host_of(an, i) == h)
			target_lines(m, &r->targets[i], &r->results[i]);
	if (fclose(m) != 0) {
		free(raw);
		return -1;
	}
	fputs("    <system-out>", f);
	put_text(f, raw, len);
	fputs("</system-out>\n", f);
	return 0;
}

/*
 * Findings of this host that no failed step carries (a contradiction in
 * the evidence, a second finding on one step), and in the first suite the
 * run's own: they would be lost to a CI reader otherwise.
 */
static int
system_err(FILE *f, const struct pgr_analysis *an, const struct pgr_host *h,
    bool first_suite)
{
	char *raw = NULL;
	size_t len = 0, i;
	bool any = false;
	FILE *m;
	int s;

	if ((m = open_memstream(&raw, &len)) == NULL)
		return -1;
	for (i = 0; i < an->findings.n; i++) {
		const struct pgr_finding *fd = &an->findings.v[i];
		bool mine = fd->target < 0 ? first_suite :
		    pgr_host_of(an, (size_t)fd->target) == h;

		for (s = 0; mine && s < PGR_STEP__COUNT; s++)
			if ((h->steps[s].state == PGR_CHECK_FAIL ||
			    h->steps[s].state == PGR_CHECK_WARN) &&
			    h->steps[s].finding == (int)i)
				mine = false;
		if (!mine)
			continue;
		if (!any)
			fputs("Findings no checklist step shows:\n", m);
		any = true;
		finding_text(m, fd);
	}
	if (fclose(m) != 0) {
		free(raw);
		return -1;
	}
	if (!any) {
		free(raw);
		return 0;
	}
	fputs("    <system-err>", f);
	put_text(f, raw, len);
	fputs("</system-err>\n", f);
	return 0;
}

/* ---- the document ------------------------------------------------------ */

static void
properties(FILE *f, const struct pgr_analysis *an, const struct pgr_host *h,
    const struct pgr_versions *v)
{
	const struct pgr_report *r = an->r;
	const struct pgr_endpoint_name *ep = &r->targets[h->first].endpoint;
	char name[64];
	size_t i;

	fputs("    <properties>\n", f);
#define PROP(n, val) do {						\
	fputs("      <property", f);					\
	attr(f, "name", (n));						\
	attr(f, "value", (val));					\
	fputs("/>\n", f);						\
} while (0)
	PROP("pgreach.version", v->pgreach);
	for (i = 0; i < r->ntargets; i++) {
		if (pgr_host_of(an, i) != h)
			continue;
		snprintf(name, sizeof(name), "target.%zu.url", i);
		PROP(name, r->targets[i].url);
		snprintf(name, sizeof(name), "target.%zu.role", i);
		PROP(name, pgr_role_name(r->targets[i].role));
	}
	if (ep->is_endpoint) {
		PROP("endpoint.id", ep->id);
		PROP("endpoint.service", ep->service);
		PROP("endpoint.region", ep->region);
		if (ep->zone[0] != '\0')
			PROP("endpoint.zone", ep->zone);
	}
	if (an->o->region != NULL)
		PROP("region.expected", an->o->region);
#undef PROP
	fputs("    </properties>\n", f);
}

/*
 * A warning is a passed test: JUnit has no warning, and a CI job should
 * not fail on one; the finding shows in system-err.
 */
static int
suite_xml(FILE *f, const struct pgr_analysis *an, const struct pgr_host *h,
    size_t id, const char *stamp, const char *hostname,
    const struct pgr_versions *v)
{
	const char *host = host_name(h);
	char classname[600], num[32];
	int s;

	snprintf(classname, sizeof(classname), "pgreach.%s", host);
	fputs("  <testsuite", f);
	attr(f, "name", host);
	snprintf(num, sizeof(num), "%d", PGR_STEP__COUNT);
	attr(f, "tests", num);
	snprintf(num, sizeof(num), "%zu", h->nfail);
	attr(f, "failures", num);
	attr(f, "errors", "0");
	snprintf(num, sizeof(num), "%zu", h->nunknown);
	attr(f, "skipped", num);
	attr_secs(f, "time", h->ms);
	attr(f, "timestamp", stamp);
	attr(f, "hostname", hostname);
	snprintf(num, sizeof(num), "%zu", id);
	attr(f, "id", num);
	attr(f, "package", "pgreach");
	fputs(">\n", f);
	properties(f, an, h, v);
	for (s = 0; s < PGR_STEP__COUNT; s++) {
		const struct pgr_check_item *it = &h->steps[s];

		fputs("    <testcase", f);
		attr(f, "classname", classname);
		attr(f, "name", it->title);
		attr_secs(f, "time", it->ms);
		if (it->state == PGR_CHECK_PASS || it->state == PGR_CHECK_WARN) {
			fputs("/>\n", f);
			continue;
		}
		fputs(">\n", f);
		if (it->state == PGR_CHECK_FAIL) {
			if (failure_xml(f, an, it) != 0)
				return -1;
		} else {
			fputs("      <skipped", f);
			attr(f, "message", it->note[0] ? it->note : "not checked");
			fputs("/>\n", f);
		}
		fputs("    </testcase>\n", f);
	}
	if (system_out(f, an, h) != 0 || system_err(f, an, h, id == 0) != 0)
		return -1;
	fputs("  </testsuite>\n", f);
	return 0;
}

int
pgr_write_junit(FILE *f, const struct pgr_analysis *an, const struct pgr_write_opts *o)
{
	const struct pgr_report *r = an->r;
	struct pgr_versions v;
	size_t i, tests = 0, nfail = 0, nskip = 0;
	char stamp[48], hostname[256], num[32];
	struct tm tm;
	int rc = 0;

	(void)o;
	for (i = 0; i < an->nhosts; i++) {
		tests += PGR_STEP__COUNT;
		nfail += an->hosts[i].nfail;
		nskip += an->hosts[i].nunknown;
	}
	pgr_versions_get(&v);
	if (gethostname(hostname, sizeof(hostname)) != 0 || hostname[0] == '\0')
		snprintf(hostname, sizeof(hostname), "localhost");
	hostname[sizeof(hostname) - 1] = '\0';
	gmtime_r(&r->started_at.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(stamp + strlen(stamp), sizeof(stamp) - strlen(stamp), ".%03ldZ",
	    r->started_at.tv_nsec / 1000000);

	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", f);
	attr(f, "name", "pgreach");
	snprintf(num, sizeof(num), "%zu", tests);
	attr(f, "tests", num);
	snprintf(num, sizeof(num), "%zu", nfail);
	attr(f, "failures", num);
	attr(f, "errors", "0");
	snprintf(num, sizeof(num), "%zu", nskip);
	attr(f, "skipped", num);
	attr_secs(f, "time", r->duration_ms);
	fputs(">\n", f);
	for (i = 0; i < an->nhosts && rc == 0; i++)
		rc = suite_xml(f, an, &an->hosts[i], i, stamp, hostname, &v);
	fputs("</testsuites>\n", f);
	return rc != 0 || ferror(f) ? -1 : 0;
}

/* One suite, one test: the run, as an <error> (it could not run at all). */
void
pgr_error_junit(FILE *f, const char *msg)
{
	char hostname[256];

	if (gethostname(hostname, sizeof(hostname)) != 0 || hostname[0] == '\0')
		snprintf(hostname, sizeof(hostname), "localhost");
	hostname[sizeof(hostname) - 1] = '\0';
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<testsuites name=\"pgreach\" tests=\"1\" failures=\"0\" errors=\"1\" "
	    "skipped=\"0\" time=\"0\">\n  <testsuite name=\"pgreach\" tests=\"1\" "
	    "failures=\"0\" errors=\"1\" skipped=\"0\" time=\"0\"", f);
	attr(f, "hostname", hostname);
	fputs(" id=\"0\" package=\"pgreach\">\n    <testcase classname=\"pgreach\" "
	    "name=\"pgreach run\" time=\"0\">\n      <error type=\"unknown\"", f);
	attr(f, "message", msg != NULL ? msg : "error");
	fputs("/>\n    </testcase>\n  </testsuite>\n</testsuites>\n", f);
}
