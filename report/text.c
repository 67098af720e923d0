/*
 * The plain text report, for a person at a terminal: the answer first.
 *
 *   -q        the RESULT line alone
 *   default   one summary line, the checklist, each failed step once with
 *             its reason and remedy, the RESULT line
 *   -v        also every address and port with its phase statuses and
 *             messages, and every finding
 *   -vv       also the phase timings, the resolver and the certificate
 *
 * Colour only when asked (the caller decides from isatty and NO_COLOR);
 * the same words either way.  With a width, notes are cut and remedies
 * wrapped at word boundaries so nothing wraps on its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/detail.h"
#include "report/writer.h"

#define GREEN	"\033[32m"
#define RED	"\033[31m"
#define YELLOW	"\033[33m"
#define DIM	"\033[2m"
#define BOLD	"\033[1m"
#define RESET	"\033[0m"

#define TITLE_W	38	/* the longest step title */

static const char *
paint(const struct pgr_write_opts *o, const char *color)
{
	return o->color ? color : "";
}

static const char *
status_color(const struct pgr_write_opts *o, enum pgr_err e)
{
	if (e == PGR_OK)
		return paint(o, GREEN);
	if (pgr_err_failed(e))
		return paint(o, RED);
	return paint(o, DIM);
}

static const char *
result_word(enum pgr_severity s)
{
	static const char *const w[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

	return (unsigned)s <= PGR_SEV_UNKNOWN ? w[s] : "UNKNOWN";
}

static const char *
result_color(const struct pgr_write_opts *o, enum pgr_severity s)
{
	return s == PGR_SEV_OK ? paint(o, GREEN) : s == PGR_SEV_WARNING ?
	    paint(o, YELLOW) : paint(o, RED);
}

/* Bytes of s that fit in cols columns, counting a UTF-8 sequence as one. */
static size_t
fit(const char *s, size_t cols, bool *cut)
{
	size_t i = 0, n = 0;

	*cut = false;
	while (s[i] != '\0') {
		size_t len = 1;

		while (((unsigned char)s[i + len] & 0xc0) == 0x80)
			len++;
		if (n + 1 > cols) {
			*cut = true;
			return i;
		}
		i += len;
		n++;
	}
	return i;
}

/* s on what is left of the line (from column col), cut with "..." to fit. */
static void
put_cut(FILE *f, const struct pgr_write_opts *o, const char *s, size_t col)
{
	size_t room, n;
	bool cut;

	if (o->width <= 0 || (size_t)o->width <= col + 4) {
		fputs(s, f);
		return;
	}
	room = (size_t)o->width - col - 1;
	n = fit(s, room, &cut);
	if (!cut) {
		fputs(s, f);
		return;
	}
	n = fit(s, room - 3, &cut);
	fprintf(f, "%.*s...", (int)n, s);
}

/*
 * s after a label that ends at column indent, wrapped at word boundaries to
 * the width, following lines indented to the same column.
 */
static void
put_wrapped(FILE *f, const struct pgr_write_opts *o, const char *s, size_t indent)
{
	size_t width = o->width > 0 ? (size_t)o->width : 0, col = indent;
	const char *p = s;

	if (width == 0 || width <= indent + 20) {
		fprintf(f, "%s\n", s);
		return;
	}
	while (*p != '\0') {
		size_t w = strcspn(p, " ");

		if (col > indent && col + 1 + w > width) {
			fprintf(f, "\n%*s", (int)indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', f);
			col++;
		}
		fwrite(p, 1, w, f);
		col += w;
		p += w;
		while (*p == ' ')
			p++;
	}
	fputc('\n', f);
}

static const char *
mark(const struct pgr_write_opts *o, enum pgr_check_state s)
{
	static const char *const utf8[] = { "\u2713", "\u2717", "?", "!" };
	static const char *const ascii[] = { "[ok]  ", "[FAIL]", "[ ? ] ", "[WARN]" };
	static const char *const color[] = { GREEN, RED, YELLOW, YELLOW };
	static __thread char buf[32];

	snprintf(buf, sizeof(buf), "%s%s%s", paint(o, color[s]),
	    o->utf8 ? utf8[s] : ascii[s], paint(o, RESET));
	return buf;
}

/* The finding the summary line states: the first of the worst, NULL. */
static const struct pgr_finding *
top_finding(const struct pgr_analysis *an)
{
	const struct pgr_finding *top = NULL;
	size_t i;

	for (i = 0; i < an->findings.n; i++)
		if (an->findings.v[i].severity > PGR_SEV_OK &&
		    (top == NULL || an->findings.v[i].severity > top->severity))
			top = &an->findings.v[i];
	return top;
}

/* The summary line: the verdict and, when something is wrong, the top finding. */
static void
summary_line(FILE *f, const struct pgr_analysis *an, const struct pgr_write_opts *o)
{
	const struct pgr_finding *top = top_finding(an);
	char buf[1024], fail[PGR_ADDRSTRLEN + 300];

	if (top != NULL)
		pgr_detail_headline(an, top, buf, sizeof(buf));
	else if (pgr_detail_failure(an, fail, sizeof(fail))[0] != '\0')
		snprintf(buf, sizeof(buf), "%s", fail);
	else if (an->r->ntargets == 0)
		snprintf(buf, sizeof(buf), "no target was checked");
	else
		snprintf(buf, sizeof(buf), "%zu/%zu connection%s ok in %.0f ms",
		    an->nok, an->nattempts, an->nattempts == 1 ? "" : "s",
		    an->r->duration_ms);
	/* the answer: wrapped, never cut */
	fprintf(f, "pgreach: %s%s%s - ", result_color(o, an->status),
	    result_word(an->status), paint(o, RESET));
	put_wrapped(f, o, buf, 12 + strlen(result_word(an->status)));
}

static void
checklist_text(FILE *f, const struct pgr_analysis *an, const struct pgr_write_opts *o,
    const struct pgr_host *h)
{
	const struct pgr_check_item *it = h->steps;
	int s;

	fprintf(f, "\n%s%s%s\n", paint(o, BOLD), h->name, paint(o, RESET));
	for (s = 0; s < PGR_STEP__COUNT; s++) {
		fprintf(f, "  %s %-*s ", mark(o, it[s].state), TITLE_W, it[s].title);
		put_cut(f, o, it[s].note, 2 + (o->utf8 ? 1 : 6) + 1 + TITLE_W + 1);
		fputc('\n', f);
	}
}

/* One fix: the steps a finding fails, then its summary, reason and remedy. */
static void
fix_text(FILE *f, const struct pgr_analysis *an, const struct pgr_write_opts *o,
    const struct pgr_host *h, const struct pgr_check_item *it)
{
	const struct pgr_finding *fd = pgr_step_finding(an, it);
	char titles[512], line[1200], head[1024];
	size_t n;
	int t;

	n = (size_t)snprintf(titles, sizeof(titles), "%s", it->title);
	for (t = it->step + 1; fd != NULL && t < PGR_STEP__COUNT && n < sizeof(titles); t++)
		if (h->steps[t].finding == it->finding && h->steps[t].state != PGR_CHECK_PASS)
			n += (size_t)snprintf(titles + n, sizeof(titles) - n, ", %s",
			    h->steps[t].title);
	fprintf(f, "\n%s %s%s%s\n", mark(o, it->state), paint(o, BOLD), titles,
	    paint(o, RESET));
	if (fd == NULL) {
		fputs("  why: ", f);
		put_wrapped(f, o, it->note, 7);
		fputs(pgr_step_def(it->step)->phase == PGR_PH__COUNT ?
		    "  fix: the remedies below; this step fails on the evidence alone\n" :
		    "  fix: see the phases with -v; no rule explains this failure\n", f);
		return;
	}
	/* the top finding's summary is the report's first line already */
	if (fd != top_finding(an)) {
		snprintf(line, sizeof(line), "%s%s", it->possible ? "Possibly (not confirmed): " : "",
		    pgr_detail_headline(an, fd, head, sizeof(head)));
		fputs("  ", f);
		put_wrapped(f, o, line, 2);
	}
	if (fd->evidence != NULL && fd->evidence[0] != '\0') {
		fputs("  why: ", f);
		put_wrapped(f, o, fd->evidence, 7);
	}
	if (fd->remedy != NULL && fd->remedy[0] != '\0') {
		fputs("  fix: ", f);
		put_wrapped(f, o, fd->remedy, 7);
	}
}

/*
 * What to fix, once per finding (the analysis's list; steps that share a
 * finding are named together), then any failed step no finding explains.
 */
static void
remedies_text(FILE *f, const struct pgr_analysis *an, const struct pgr_write_opts *o,
    const struct pgr_host *h)
{
	size_t k;
	int s;

	for (k = 0; k < h->nfix; k++)
		fix_text(f, an, o, h, &h->steps[h->fix[k]]);
	for (s = 0; s < PGR_STEP__COUNT; s++)
		if ((h->steps[s].state == PGR_CHECK_FAIL || h->steps[s].state == PGR_CHECK_WARN) &&
		    h->steps[s].finding < 0)
			fix_text(f, an, o, h, &h->steps[s]);
}

static void
phase_line(FILE *f, const struct pgr_write_opts *o, const struct pgr_attempt *a,
    enum pgr_phase p, double start)
{
	enum pgr_err st = pgr_attempt_phase(a, p);
	double end = p == PGR_PH_TCP ? a->tcp.ms : p == PGR_PH_TLS ? a->tls.ms :
	    p == PGR_PH_LOGIN ? a->login.ms : a->query.ms;
	bool ran = st != PGR_SKIPPED && st != PGR_PENDING;
	char info[1024], ms[24], d[24];

	fprintf(f, "    %-6s %s%-12s%s", pgr_phase_name(p), status_color(o, st),
	    pgr_err_name(st), paint(o, RESET));
	if (o->verbose >= 2) {
		if (ran)
			fprintf(f, " %9s ms (+%s)", pgr_format_ms(end, ms, sizeof(ms)),
			    pgr_format_ms(end - start, d, sizeof(d)));
		else
			fprintf(f, " %9s   %6s ", "-", "");
	}
	pgr_detail_phase(a, p, info, sizeof(info));
	/* -v: what went wrong; -vv: what went right too */
	if (info[0] != '\0' && (o->verbose >= 2 || pgr_err_failed(st)))
		fprintf(f, "  %s", info);
	fputc('\n', f);
}

/* --idle: the session kept idle, then queried again. */
static void
idle_line(FILE *f, const struct pgr_write_opts *o, const struct pgr_attempt *a)
{
	const struct pgr_idle_result *d = &a->idle;
	bool ok = d->status == PGR_IDLE_OK;
	char ms[24], w[24];

	fprintf(f, "    %-6s %s%-12s%s", "idle", paint(o, ok ? GREEN : RED),
	    pgr_idle_status_name(d->status), paint(o, RESET));
	if (o->verbose >= 2)
		fprintf(f, " %9s ms (+%s)", pgr_format_ms(d->ms, ms, sizeof(ms)),
		    pgr_format_ms(d->ms - d->start_ms, w, sizeof(w)));
	fprintf(f, "  %.0f s idle, then %s", d->seconds, ok ? "the query was answered" :
	    d->message[0] ? d->message : "no answer");
	if (d->sqlstate[0])
		fprintf(f, " (SQLSTATE %s)", d->sqlstate);
	fputc('\n', f);
}

static void
target_text(FILE *f, const struct pgr_write_opts *o, const struct pgr_target *t,
    const struct pgr_target_result *tr)
{
	const struct pgr_dns_result *d = &tr->dns;
	char ms[24];
	size_t i;

	fprintf(f, "\n%s (%s, from %s)\n", t->url, pgr_role_name(t->role), t->source);
	if (o->verbose >= 2 && t->endpoint.is_endpoint)
		fprintf(f, "  endpoint %s, service %s, region %s%s%s\n",
		    t->endpoint.id, t->endpoint.service, t->endpoint.region,
		    t->endpoint.zone[0] ? ", zone " : "", t->endpoint.zone);
	fprintf(f, "  dns    %s%-12s%s", status_color(o, d->status),
	    pgr_err_name(d->status), paint(o, RESET));
	if (o->verbose >= 2)
		fprintf(f, " %9s ms", pgr_format_ms(d->ms, ms, sizeof(ms)));
	for (i = 0; i < d->naddrs; i++)
		fprintf(f, "%s%s (%s%s)", i ? ", " : "  ", d->addrs[i].text,
		    pgr_scope_name(d->addrs[i].scope),
		    d->addrs[i].in_vpc == 0 ? ", outside the VPC" : "");
	if (pgr_err_failed(d->status))
		fprintf(f, "  %s", d->detail);
	if (o->verbose >= 2)
		fprintf(f, "  [resolver %s]", d->servers[0] ? d->servers : "system");
	fputc('\n', f);
	if (o->verbose >= 2 && d->cnames != NULL)
		fprintf(f, "         cname %s\n", d->cnames);
	for (i = 0; i < tr->nattempts; i++) {
		const struct pgr_attempt *a = &tr->attempts[i];

		fprintf(f, "  %s%s%s port %d\n", a->family == 6 ? "[" : "",
		    a->address, a->family == 6 ? "]" : "", t->port);
		phase_line(f, o, a, PGR_PH_TCP, 0);
		phase_line(f, o, a, PGR_PH_TLS, a->tcp.ms);
		phase_line(f, o, a, PGR_PH_LOGIN, a->tls.ms);
		phase_line(f, o, a, PGR_PH_QUERY, a->login.ms);
		if (a->idle.status != PGR_IDLE_NONE)
			idle_line(f, o, a);
	}
}

static void
findings_text(FILE *f, const struct pgr_analysis *an)
{
	size_t i;

	if (an->findings.n > 0)
		fputs("\nFindings, most likely first:\n", f);
	for (i = 0; i < an->findings.n; i++) {
		const struct pgr_finding *fd = &an->findings.v[i];

		fprintf(f, "  [%s] %s (%s): %s\n", pgr_severity_name(fd->severity),
		    pgr_code_name(fd->code), pgr_cause_name(fd->cause), fd->summary);
		if (fd->evidence != NULL)
			fprintf(f, "      evidence: %s\n", fd->evidence);
		if (fd->remedy != NULL)
			fprintf(f, "      remedy:   %s\n", fd->remedy);
	}
}

int
pgr_write_text(FILE *f, const struct pgr_analysis *an, const struct pgr_write_opts *o)
{
	const struct pgr_report *r = an->r;
	size_t i;

	if (o->verbose >= 0) {
		summary_line(f, an, o);
		for (i = 0; i < an->nhosts; i++)
			checklist_text(f, an, o, &an->hosts[i]);
		for (i = 0; i < an->nhosts; i++)
			remedies_text(f, an, o, &an->hosts[i]);
	}
	if (o->verbose >= 1) {
		if (r->ntargets > 0)
			fprintf(f, "\nDetails: %zu target%s, %zu connection%s, %.1f ms\n",
			    r->ntargets, r->ntargets == 1 ? "" : "s", an->nattempts,
			    an->nattempts == 1 ? "" : "s", r->duration_ms);
		for (i = 0; i < r->ntargets; i++)
			target_text(f, o, &r->targets[i], &r->results[i]);
		findings_text(f, an);
	}
	fprintf(f, "%sRESULT: %s%s%s\n", o->verbose >= 0 ? "\n" : "",
	    result_color(o, an->status), result_word(an->status), paint(o, RESET));
	return ferror(f) ? -1 : 0;
}
