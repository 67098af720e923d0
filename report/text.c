/*
 * The plain text report.  Colour only when asked (the caller decides from
 * isatty and NO_COLOR); the same words either way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "report/detail.h"
#include "report/writer.h"

#define GREEN	"\033[32m"
#define RED	"\033[31m"
#define YELLOW	"\033[33m"
#define DIM	"\033[2m"
#define RESET	"\033[0m"

static const char *
status_color(const struct pgr_write_opts *o, enum pgr_err e)
{
	if (!o->color)
		return "";
	if (e == PGR_OK)
		return GREEN;
	if (pgr_err_failed(e))
		return RED;
	return DIM;
}

static void
phase_line(FILE *f, const struct pgr_write_opts *o, const char *phase,
    enum pgr_err st, double end, double start, const char *info)
{
	bool ran = st != PGR_SKIPPED && st != PGR_PENDING;

	fprintf(f, "    %-6s %s%-12s%s", phase, status_color(o, st),
	    pgr_err_name(st), o->color ? RESET : "");
	if (ran)
		fprintf(f, " %9.1f ms (+%.1f)", end, end - start);
	else
		fprintf(f, " %9s   %6s ", "-", "");
	if (info != NULL && info[0] != '\0')
		fprintf(f, "  %s", info);
	fputc('\n', f);
}

static void
attempt_text(FILE *f, const struct pgr_write_opts *o, const struct pgr_attempt *a,
    int port)
{
	char info[1024];

	fprintf(f, "  %s%s%s port %d\n", a->family == 6 ? "[" : "",
	    a->address, a->family == 6 ? "]" : "", port);
	phase_line(f, o, "tcp", a->tcp.status, a->tcp.ms, 0,
	    pgr_detail_phase(a, PGR_PH_TCP, info, sizeof(info)));
	phase_line(f, o, "tls", a->tls.status, a->tls.ms, a->tcp.ms,
	    pgr_detail_phase(a, PGR_PH_TLS, info, sizeof(info)));
	phase_line(f, o, "login", a->login.status, a->login.ms, a->tls.ms,
	    pgr_detail_phase(a, PGR_PH_LOGIN, info, sizeof(info)));
	phase_line(f, o, "query", a->query.status, a->query.ms, a->login.ms,
	    pgr_detail_phase(a, PGR_PH_QUERY, info, sizeof(info)));
}

static void
target_text(FILE *f, const struct pgr_write_opts *o, const struct pgr_target *t,
    const struct pgr_target_result *tr)
{
	const struct pgr_dns_result *d = &tr->dns;
	size_t i;

	fprintf(f, "\n%s (%s, from %s)\n", t->url, pgr_role_name(t->role), t->source);
	if (t->endpoint.is_endpoint)
		fprintf(f, "  endpoint %s, service %s, region %s%s%s\n",
		    t->endpoint.id, t->endpoint.service, t->endpoint.region,
		    t->endpoint.zone[0] ? ", zone " : "", t->endpoint.zone);
	fprintf(f, "  dns    %s%-12s%s %9.1f ms", status_color(o, d->status),
	    pgr_err_name(d->status), o->color ? RESET : "", d->ms);
	for (i = 0; i < d->naddrs; i++)
		fprintf(f, "%s%s (%s%s)", i ? ", " : "  ", d->addrs[i].text,
		    pgr_scope_name(d->addrs[i].scope),
		    d->addrs[i].in_vpc == 0 ? ", outside the VPC" : "");
	if (pgr_err_failed(d->status))
		fprintf(f, "  %s", d->detail);
	fprintf(f, "  [resolver %s]\n", d->servers[0] ? d->servers : "system");
	if (d->cnames != NULL)
		fprintf(f, "         cname %s\n", d->cnames);
	for (i = 0; i < tr->nattempts; i++)
		attempt_text(f, o, &tr->attempts[i], t->port);
}

static const char *
mark(const struct pgr_write_opts *o, enum pgr_check_state s)
{
	static const char *const utf8[] = { "\u2713", "\u2717", "?", "!" };
	static const char *const ascii[] = { "[ok]  ", "[FAIL]", "[ ? ] ", "[WARN]" };
	static const char *const color[] = { GREEN, RED, YELLOW, YELLOW };
	static char buf[32];

	snprintf(buf, sizeof(buf), "%s%s%s", o->color ? color[s] : "",
	    o->utf8 ? utf8[s] : ascii[s], o->color ? RESET : "");
	return buf;
}

/* The setup guide's steps for one endpoint host, remedies under failures. */
static void
checklist_text(FILE *f, const struct pgr_analysis *an, const struct pgr_write_opts *o,
    const struct pgr_host *h)
{
	const struct pgr_check_item *it = h->steps;
	bool *shown = calloc(an->findings.n + 1, sizeof(*shown));
	int s;

	fprintf(f, "\nChecklist for %s\n", h->name);
	for (s = 0; s < PGR_STEP__COUNT; s++) {
		const struct pgr_finding *fd = pgr_step_finding(an, &it[s]);

		fprintf(f, "  %s %-38s %s\n", mark(o, it[s].state), it[s].title, it[s].note);
		if (it[s].state != PGR_CHECK_PASS && fd != NULL &&
		    (shown == NULL || !shown[it[s].finding])) {
			if (shown != NULL)
				shown[it[s].finding] = true;
			fprintf(f, "        why: %s\n        fix: %s\n",
			    fd->evidence ? fd->evidence : "", fd->remedy ? fd->remedy : "");
		}
	}
	free(shown);
}

int
pgr_write_text(FILE *f, const struct pgr_analysis *an, const struct pgr_write_opts *o)
{
	const struct pgr_report *r = an->r;
	size_t i, natt = an->nattempts;

	fprintf(f, "pgreach: %zu target%s, %zu connection%s, %.1f ms\n",
	    r->ntargets, r->ntargets == 1 ? "" : "s", natt, natt == 1 ? "" : "s",
	    r->duration_ms);
	for (i = 0; i < an->nhosts; i++)
		checklist_text(f, an, o, &an->hosts[i]);
	if (r->ntargets > 0)
		fputs("\nDetails:\n", f);
	for (i = 0; i < r->ntargets; i++)
		target_text(f, o, &r->targets[i], &r->results[i]);
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
	fprintf(f, "\n%s\n", an->status == PGR_SEV_OK ? "RESULT: OK" :
	    an->status == PGR_SEV_WARNING ? "RESULT: WARNING" :
	    an->status == PGR_SEV_CRITICAL ? "RESULT: CRITICAL" : "RESULT: UNKNOWN");
	return ferror(f) ? -1 : 0;
}
