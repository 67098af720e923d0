/*
 * The plain text report.  Colour only when asked (the caller decides from
 * isatty and NO_COLOR); the same words either way.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "report/checklist.h"
#include "report/text.h"

#define GREEN	"\033[32m"
#define RED	"\033[31m"
#define YELLOW	"\033[33m"
#define DIM	"\033[2m"
#define RESET	"\033[0m"

static const char *
status_color(const struct pgr_text_opts *o, enum pgr_err e)
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
phase_line(FILE *f, const struct pgr_text_opts *o, const char *phase,
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
tls_info(const struct pgr_attempt *a, char *buf, size_t len)
{
	const struct pgr_cert *c = &a->tls.cert;
	size_t n = 0;

	buf[0] = '\0';
	if (a->tls.status != PGR_OK) {
		snprintf(buf, len, "%s", a->tls.detail);
		if (!c->present)
			return;
		n = strlen(buf);
	} else
		n = (size_t)snprintf(buf, len, "%s %s", a->tls.version, a->tls.cipher);
	if (c->present && n < len)
		snprintf(buf + n, len - n, "%scert %s, %ld days left, %s, name %s",
		    n ? "; " : "", c->subject, c->days_left,
		    c->verified ? "chain verifies" : c->verify_error,
		    c->hostname_match ? "matches" : "does not match");
}

static void
query_info(const struct pgr_query_result *q, char *buf, size_t len)
{
	if (q->done > 0)
		snprintf(buf, len, "%d/%d: min %.2f, median %.2f, p95 %.2f, max %.2f ms%s%s",
		    q->done, q->count, q->min_ms, q->median_ms, q->p95_ms,
		    q->max_ms, q->message[0] ? "; " : "", q->message);
	else
		snprintf(buf, len, "%s", q->message);
}

static void
attempt_text(FILE *f, const struct pgr_text_opts *o, const struct pgr_attempt *a,
    int port)
{
	char info[1024], login[PGR_DETAIL_LEN + 64];

	fprintf(f, "  %s%s%s port %d\n", a->family == 6 ? "[" : "",
	    a->address, a->family == 6 ? "]" : "", port);
	phase_line(f, o, "tcp", a->tcp.status, a->tcp.ms, 0,
	    pgr_err_failed(a->tcp.status) ? a->tcp.detail : NULL);
	tls_info(a, info, sizeof(info));
	phase_line(f, o, "tls", a->tls.status, a->tls.ms, a->tcp.ms, info);
	if (a->login.status == PGR_OK)
		snprintf(login, sizeof(login), "server %s", a->login.server_version);
	else if (a->login.sqlstate[0])
		snprintf(login, sizeof(login), "%s %s", a->login.sqlstate, a->login.message);
	else
		snprintf(login, sizeof(login), "%s", a->login.message);
	phase_line(f, o, "login", a->login.status, a->login.ms, a->tls.ms, login);
	query_info(&a->query, info, sizeof(info));
	phase_line(f, o, "query", a->query.status, a->query.ms, a->login.ms, info);
}

static void
target_text(FILE *f, const struct pgr_text_opts *o, const struct pgr_target *t,
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
mark(const struct pgr_text_opts *o, enum pgr_check_state s)
{
	static const char *const utf8[] = { "\u2713", "\u2717", "?" };
	static const char *const ascii[] = { "[ok]  ", "[FAIL]", "[ ? ] " };
	static const char *const color[] = { GREEN, RED, YELLOW };
	static char buf[32];

	snprintf(buf, sizeof(buf), "%s%s%s", o->color ? color[s] : "",
	    o->utf8 ? utf8[s] : ascii[s], o->color ? RESET : "");
	return buf;
}

/* The setup guide's steps for one endpoint host, remedies under failures. */
static void
checklist_text(FILE *f, const struct pgr_report *r, const struct pgr_text_opts *o,
    size_t first)
{
	struct pgr_check_item it[PGR_STEP__COUNT];
	int s, shown[64] = { 0 };

	pgr_checklist(r, o->ev, o->region, (int)first, it);
	fprintf(f, "\nChecklist for %s\n", r->targets[first].host);
	for (s = 0; s < PGR_STEP__COUNT; s++) {
		fprintf(f, "  %s %-38s %s\n", mark(o, it[s].state), it[s].title, it[s].note);
		if (it[s].state != PGR_CHECK_PASS && it[s].finding >= 0 &&
		    (it[s].finding >= 64 || !shown[it[s].finding])) {
			const struct pgr_finding *fd = &r->findings[it[s].finding];

			if (it[s].finding < 64)
				shown[it[s].finding] = 1;
			fprintf(f, "        why: %s\n        fix: %s\n",
			    fd->evidence ? fd->evidence : "", fd->remedy ? fd->remedy : "");
		}
	}
}

static bool
first_of_host(const struct pgr_report *r, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (strcasecmp(r->targets[j].host, r->targets[i].host) == 0)
			return false;
	return true;
}

int
pgr_write_text(FILE *f, const struct pgr_report *r, const struct pgr_text_opts *o)
{
	size_t i, natt = 0;

	for (i = 0; i < r->ntargets; i++)
		natt += r->results[i].nattempts;
	fprintf(f, "pgreach: %zu target%s, %zu connection%s, %.1f ms\n",
	    r->ntargets, r->ntargets == 1 ? "" : "s", natt, natt == 1 ? "" : "s",
	    r->duration_ms);
	for (i = 0; i < r->ntargets; i++)
		if (first_of_host(r, i))
			checklist_text(f, r, o, i);
	if (r->ntargets > 0)
		fputs("\nDetails:\n", f);
	for (i = 0; i < r->ntargets; i++)
		target_text(f, o, &r->targets[i], &r->results[i]);
	if (r->nfindings > 0)
		fputs("\nFindings, most likely first:\n", f);
	for (i = 0; i < r->nfindings; i++) {
		const struct pgr_finding *fd = &r->findings[i];

		fprintf(f, "  [%s] %s (%s): %s\n", pgr_severity_name(fd->severity),
		    fd->code, fd->cause, fd->summary);
		if (fd->evidence != NULL)
			fprintf(f, "      evidence: %s\n", fd->evidence);
		if (fd->remedy != NULL)
			fprintf(f, "      remedy:   %s\n", fd->remedy);
	}
	fprintf(f, "\n%s\n", r->status == PGR_SEV_OK ? "RESULT: OK" :
	    r->status == PGR_SEV_WARNING ? "RESULT: WARNING" :
	    r->status == PGR_SEV_CRITICAL ? "RESULT: CRITICAL" : "RESULT: UNKNOWN");
	return ferror(f) ? -1 : 0;
}
