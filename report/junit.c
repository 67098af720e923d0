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

#include "report/checklist.h"
#include "report/junit.h"
#include "report/versions.h"

/* ---- escaping ---------------------------------------------------------- */

/*
 * Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF) and its code point; 0 if
 * the byte at p does not start one.
 */
static size_t
utf8_seq(const unsigned char *p, size_t n, uint32_t *cp)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	*cp = p[0] & (0x7f >> len);
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (p[i] & 0x3f);
	}
	return len;
}

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
		size_t len = utf8_seq(p + i, n - i, &cp);

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
	n = (size_t)snprintf(buf, sizeof(buf), "%.6f", ms / 1000.0);
	while (buf[n - 1] == '0')
		buf[--n] = '\0';
	if (buf[n - 1] == '.')
		buf[--n] = '\0';
	fprintf(f, " %s=\"%s\"", name, buf);
}

/* ---- a host and its times ---------------------------------------------- */

/* The targets one checklist covers, found the way pgr_checklist() finds them. */
struct group {
	size_t	first;
	int	pg, bouncer;
	struct pgr_check_item items[PGR_STEP__COUNT];
};

static const char *
host_of(const struct pgr_report *r, size_t i)
{
	return r->targets[i].host != NULL && r->targets[i].host[0] != '\0' ?
	    r->targets[i].host : "(no host)";
}

static bool
same_host(const struct pgr_report *r, size_t i, size_t j)
{
	return strcasecmp(host_of(r, i), host_of(r, j)) == 0;
}

static bool
ran(enum pgr_err e)
{
	return e != PGR_SKIPPED && e != PGR_PENDING;
}

/* The longest run of one phase over a target's attempts (they run at once). */
static double
phase_ms(const struct pgr_report *r, int ti, enum pgr_phase ph)
{
	const struct pgr_target_result *tr;
	double max = 0, d;
	size_t i;

	if (ti < 0)
		return 0;
	tr = &r->results[ti];
	for (i = 0; i < tr->nattempts; i++) {
		const struct pgr_attempt *a = &tr->attempts[i];

		switch (ph) {
		case PGR_PH_TCP:
			d = ran(a->tcp.status) ? a->tcp.ms : 0;
			break;
		case PGR_PH_TLS:
			d = ran(a->tls.status) ? a->tls.ms - a->tcp.ms : 0;
			break;
		case PGR_PH_LOGIN:
			d = ran(a->login.status) ? a->login.ms - a->tls.ms : 0;
			break;
		case PGR_PH_QUERY:
			d = ran(a->query.status) ? a->query.ms - a->login.ms : 0;
			break;
		default:
			d = 0;
		}
		if (d > max)
			max = d;
	}
	return max;
}

/* The steps the probes time; the evidence steps take no time of their own. */
static double
step_ms(const struct pgr_report *r, const struct group *g, enum pgr_check_step s)
{
	int either = g->pg >= 0 ? g->pg : g->bouncer;
	const struct pgr_dns_result *d = &r->results[g->first].dns;

	switch (s) {
	case PGR_STEP_DNS:
		return ran(d->status) ? d->ms : 0;
	case PGR_STEP_TCP_5432:
		return phase_ms(r, g->pg, PGR_PH_TCP);
	case PGR_STEP_TCP_5433:
		return phase_ms(r, g->bouncer, PGR_PH_TCP);
	case PGR_STEP_TLS:
		return phase_ms(r, either, PGR_PH_TLS);
	case PGR_STEP_LOGIN_POSTGRES:
		return phase_ms(r, g->pg, PGR_PH_LOGIN);
	case PGR_STEP_LOGIN_PGBOUNCER:
		return phase_ms(r, g->bouncer, PGR_PH_LOGIN);
	case PGR_STEP_QUERY:
		return phase_ms(r, either, PGR_PH_QUERY);
	default:
		return 0;
	}
}

/* The last phase end of an attempt, from the attempt's start. */
static double
attempt_end(const struct pgr_attempt *a)
{
	if (ran(a->query.status))
		return a->query.ms;
	if (ran(a->login.status))
		return a->login.ms;
	if (ran(a->tls.status))
		return a->tls.ms;
	return ran(a->tcp.status) ? a->tcp.ms : 0;
}

/* Wall time of the host: its first target's start to its last phase's end. */
static double
group_ms(const struct pgr_report *r, const struct group *g)
{
	double start = r->results[g->first].start_ms, end = start;
	size_t i, k;

	for (i = g->first; i < r->ntargets; i++) {
		const struct pgr_target_result *tr = &r->results[i];

		if (!same_host(r, i, g->first))
			continue;
		if (tr->start_ms < start)
			start = tr->start_ms;
		if (ran(tr->dns.status) && tr->start_ms + tr->dns.ms > end)
			end = tr->start_ms + tr->dns.ms;
		for (k = 0; k < tr->nattempts; k++)
			if (tr->attempts[k].start_ms + attempt_end(&tr->attempts[k]) > end)
				end = tr->attempts[k].start_ms + attempt_end(&tr->attempts[k]);
	}
	return end - start;
}

/* ---- a failed step ----------------------------------------------------- */

/* "tcp.timeout": the first failure of a phase, for a step no finding explains. */
static void
phase_failure(const struct pgr_report *r, int ti, enum pgr_phase ph, char *buf,
    size_t len)
{
	const struct pgr_target_result *tr;
	size_t i;

	snprintf(buf, len, "%s", pgr_phase_name(ph));
	if (ti < 0)
		return;
	tr = &r->results[ti];
	if (ph == PGR_PH_DNS && pgr_err_failed(tr->dns.status)) {
		snprintf(buf, len, "dns.%s", pgr_err_name(tr->dns.status));
		return;
	}
	for (i = 0; i < tr->nattempts; i++) {
		const struct pgr_attempt *a = &tr->attempts[i];
		enum pgr_err e = ph == PGR_PH_TCP ? a->tcp.status :
		    ph == PGR_PH_TLS ? a->tls.status :
		    ph == PGR_PH_LOGIN ? a->login.status : a->query.status;

		if (pgr_err_failed(e)) {
			snprintf(buf, len, "%s.%s", pgr_phase_name(ph), pgr_err_name(e));
			return;
		}
		/* not reached on some address: an earlier phase failed there */
		if (e != PGR_OK && strchr(buf, '.') == NULL)
			snprintf(buf, len, "%s.%s", pgr_phase_name(ph), pgr_err_name(e));
	}
}

static void
failure_type(const struct pgr_report *r, const struct group *g,
    enum pgr_check_step s, char *buf, size_t len)
{
	int either = g->pg >= 0 ? g->pg : g->bouncer;

	switch (s) {
	case PGR_STEP_DNS:
		phase_failure(r, (int)g->first, PGR_PH_DNS, buf, len);
		break;
	case PGR_STEP_TCP_5432:
		phase_failure(r, g->pg, PGR_PH_TCP, buf, len);
		break;
	case PGR_STEP_TCP_5433:
		phase_failure(r, g->bouncer, PGR_PH_TCP, buf, len);
		break;
	case PGR_STEP_TLS:
		phase_failure(r, either, PGR_PH_TLS, buf, len);
		break;
	case PGR_STEP_LOGIN_POSTGRES:
		phase_failure(r, g->pg, PGR_PH_LOGIN, buf, len);
		break;
	case PGR_STEP_LOGIN_PGBOUNCER:
		phase_failure(r, g->bouncer, PGR_PH_LOGIN, buf, len);
		break;
	case PGR_STEP_QUERY:
		phase_failure(r, either, PGR_PH_QUERY, buf, len);
		break;
	default:
		/* the evidence itself failed the step (an endpoint not available) */
		snprintf(buf, len, "evidence");
	}
}

static void
finding_text(FILE *f, const struct pgr_finding *fd)
{
	fprintf(f, "[%s] %s (%s)\n", pgr_severity_name(fd->severity),
	    fd->code ? fd->code : "", fd->cause ? fd->cause : "");
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
failure_xml(FILE *f, const struct pgr_report *r, const struct group *g,
    const struct pgr_check_item *it)
{
	const struct pgr_finding *fd = it->finding >= 0 &&
	    (size_t)it->finding < r->nfindings ? &r->findings[it->finding] : NULL;
	const char *el = fd != NULL && fd->severity == PGR_SEV_UNKNOWN ? "error" : "failure";
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
	if (fd == NULL || fd->code == NULL || fd->code[0] == '\0')
		failure_type(r, g, it->step, type, sizeof(type));
	fprintf(f, "      <%s", el);
	attr(f, "message", fd != NULL && fd->summary != NULL && fd->summary[0] != '\0' ?
	    fd->summary : it->note[0] != '\0' ? it->note : it->title);
	attr(f, "type", fd != NULL && fd->code != NULL && fd->code[0] != '\0' ? fd->code : type);
	fputc('>', f);
	put_text(f, raw, len);
	fprintf(f, "</%s>\n", el);
	return 0;
}

/* ---- system-out: the checklist and the attempts ----------------------- */

static void
phase_line(FILE *f, const char *phase, enum pgr_err st, double end, double start,
    const char *info)
{
	fprintf(f, "    %-6s %-12s", phase, pgr_err_name(st));
	if (ran(st))
		fprintf(f, " %9.1f ms (+%.1f)", end, end - start);
	else
		fprintf(f, " %9s", "-");
	if (info != NULL && info[0] != '\0')
		fprintf(f, "  %s", info);
	fputc('\n', f);
}

static void
attempt_lines(FILE *f, const struct pgr_attempt *a, int port)
{
	const struct pgr_cert *c = &a->tls.cert;
	const struct pgr_query_result *q = &a->query;
	char info[1024];

	fprintf(f, "  %s%s%s port %d\n", a->family == 6 ? "[" : "", a->address,
	    a->family == 6 ? "]" : "", port);
	phase_line(f, "tcp", a->tcp.status, a->tcp.ms, 0,
	    pgr_err_failed(a->tcp.status) ? a->tcp.detail : NULL);
	if (a->tls.status == PGR_OK)
		snprintf(info, sizeof(info), "%s %s", a->tls.version, a->tls.cipher);
	else
		snprintf(info, sizeof(info), "%s", a->tls.detail);
	if (c->present)
		snprintf(info + strlen(info), sizeof(info) - strlen(info),
		    "%scert %s, %ld days left, %s, name %s", info[0] ? "; " : "",
		    c->subject, c->days_left,
		    c->verified ? "chain verifies" : c->verify_error[0] ? c->verify_error : "not verified",
		    c->hostname_match ? "matches" : "does not match");
	phase_line(f, "tls", a->tls.status, a->tls.ms, a->tcp.ms, info);
	if (a->login.status == PGR_OK)
		snprintf(info, sizeof(info), "server %s", a->login.server_version);
	else
		snprintf(info, sizeof(info), "%s%s%s", a->login.sqlstate,
		    a->login.sqlstate[0] ? " " : "", a->login.message);
	phase_line(f, "login", a->login.status, a->login.ms, a->tls.ms, info);
	if (q->done > 0)
		snprintf(info, sizeof(info), "%d/%d: min %.2f, median %.2f, p95 %.2f, max %.2f ms%s%s",
		    q->done, q->count, q->min_ms, q->median_ms, q->p95_ms, q->max_ms,
		    q->message[0] ? "; " : "", q->message);
	else
		snprintf(info, sizeof(info), "%s%s%s", q->sqlstate,
		    q->sqlstate[0] ? " " : "", q->message);
	phase_line(f, "query", q->status, q->ms, a->login.ms, info);
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
system_out(FILE *f, const struct pgr_report *r, const struct group *g)
{
	static const char *const marks[] = { "[ok]  ", "[FAIL]", "[ ? ] " };
	char *raw = NULL;
	size_t len = 0, i;
	FILE *m;
	int s;

	if ((m = open_memstream(&raw, &len)) == NULL)
		return -1;
	fprintf(m, "Checklist for %s\n", host_of(r, g->first));
	for (s = 0; s < PGR_STEP__COUNT; s++)
		fprintf(m, "  %s %-38s %s\n", marks[g->items[s].state],
		    g->items[s].title, g->items[s].note);
	for (i = g->first; i < r->ntargets; i++)
		if (same_host(r, i, g->first))
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
system_err(FILE *f, const struct pgr_report *r, const struct group *g, bool first_suite)
{
	char *raw = NULL;
	size_t len = 0, i;
	bool any = false;
	FILE *m;
	int s;

	if ((m = open_memstream(&raw, &len)) == NULL)
		return -1;
	for (i = 0; i < r->nfindings; i++) {
		const struct pgr_finding *fd = &r->findings[i];
		bool mine = fd->target < 0 ? first_suite :
		    (size_t)fd->target < r->ntargets && same_host(r, (size_t)fd->target, g->first);

		for (s = 0; mine && s < PGR_STEP__COUNT; s++)
			if (g->items[s].state == PGR_CHECK_FAIL && g->items[s].finding == (int)i)
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
properties(FILE *f, const struct pgr_report *r, const struct group *g,
    const char *region, const struct pgr_versions *v)
{
	const struct pgr_endpoint_name *ep = &r->targets[g->first].endpoint;
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
	for (i = g->first; i < r->ntargets; i++) {
		if (!same_host(r, i, g->first))
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
	if (region != NULL)
		PROP("region.expected", region);
#undef PROP
	fputs("    </properties>\n", f);
}

static void
count(const struct group *g, size_t *fail, size_t *err, size_t *skip,
    const struct pgr_report *r)
{
	int s;

	*fail = *err = *skip = 0;
	for (s = 0; s < PGR_STEP__COUNT; s++) {
		const struct pgr_check_item *it = &g->items[s];

		if (it->state == PGR_CHECK_UNKNOWN)
			(*skip)++;
		else if (it->state == PGR_CHECK_FAIL && it->finding >= 0 &&
		    (size_t)it->finding < r->nfindings &&
		    r->findings[it->finding].severity == PGR_SEV_UNKNOWN)
			(*err)++;
		else if (it->state == PGR_CHECK_FAIL)
			(*fail)++;
	}
}

static int
suite_xml(FILE *f, const struct pgr_report *r, const struct group *g, size_t id,
    const char *stamp, const char *hostname, const char *region,
    const struct pgr_versions *v)
{
	const char *host = host_of(r, g->first);
	size_t nfail, nerr, nskip;
	char classname[600], num[32];
	int s;

	count(g, &nfail, &nerr, &nskip, r);
	snprintf(classname, sizeof(classname), "pgreach.%s", host);
	fputs("  <testsuite", f);
	attr(f, "name", host);
	snprintf(num, sizeof(num), "%d", PGR_STEP__COUNT);
	attr(f, "tests", num);
	snprintf(num, sizeof(num), "%zu", nfail);
	attr(f, "failures", num);
	snprintf(num, sizeof(num), "%zu", nerr);
	attr(f, "errors", num);
	snprintf(num, sizeof(num), "%zu", nskip);
	attr(f, "skipped", num);
	attr_secs(f, "time", group_ms(r, g));
	attr(f, "timestamp", stamp);
	attr(f, "hostname", hostname);
	snprintf(num, sizeof(num), "%zu", id);
	attr(f, "id", num);
	attr(f, "package", "pgreach");
	fputs(">\n", f);
	properties(f, r, g, region, v);
	for (s = 0; s < PGR_STEP__COUNT; s++) {
		const struct pgr_check_item *it = &g->items[s];

		fputs("    <testcase", f);
		attr(f, "classname", classname);
		attr(f, "name", it->title);
		attr_secs(f, "time", step_ms(r, g, it->step));
		if (it->state == PGR_CHECK_PASS) {
			fputs("/>\n", f);
			continue;
		}
		fputs(">\n", f);
		if (it->state == PGR_CHECK_FAIL) {
			if (failure_xml(f, r, g, it) != 0)
				return -1;
		} else {
			fputs("      <skipped", f);
			attr(f, "message", it->note[0] ? it->note : "not checked");
			fputs("/>\n", f);
		}
		fputs("    </testcase>\n", f);
	}
	if (system_out(f, r, g) != 0 || system_err(f, r, g, id == 0) != 0)
		return -1;
	fputs("  </testsuite>\n", f);
	return 0;
}

int
pgr_write_junit(FILE *f, const struct pgr_report *r,
    const struct pgr_evidence *ev, const char *region)
{
	struct pgr_versions v;
	struct group *groups;
	size_t ngroups = 0, i, j, tests = 0, nfail = 0, nerr = 0, nskip = 0;
	char stamp[48], hostname[256], num[32];
	struct tm tm;
	int rc = 0;

	groups = calloc(r->ntargets > 0 ? r->ntargets : 1, sizeof(*groups));
	if (groups == NULL)
		return -1;
	for (i = 0; i < r->ntargets; i++) {
		struct group *g = &groups[ngroups];
		size_t a, b, c;

		for (j = 0; j < i && !same_host(r, i, j); j++)
			;
		if (j < i)
			continue;
		g->first = i;
		g->pg = g->bouncer = -1;
		for (j = i; j < r->ntargets; j++) {
			if (!same_host(r, i, j))
				continue;
			if (r->targets[j].role == PGR_ROLE_PGBOUNCER && g->bouncer < 0)
				g->bouncer = (int)j;
			else if (r->targets[j].role == PGR_ROLE_POSTGRES && g->pg < 0)
				g->pg = (int)j;
		}
		pgr_checklist(r, ev, region, (int)i, g->items);
		count(g, &a, &b, &c, r);
		tests += PGR_STEP__COUNT;
		nfail += a;
		nerr += b;
		nskip += c;
		ngroups++;
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
	snprintf(num, sizeof(num), "%zu", nerr);
	attr(f, "errors", num);
	snprintf(num, sizeof(num), "%zu", nskip);
	attr(f, "skipped", num);
	attr_secs(f, "time", r->duration_ms);
	fputs(">\n", f);
	for (i = 0; i < ngroups && rc == 0; i++)
		rc = suite_xml(f, r, &groups[i], i, stamp, hostname, region, &v);
	fputs("</testsuites>\n", f);
	free(groups);
	return rc != 0 || ferror(f) ? -1 : 0;
}
