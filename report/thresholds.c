/*
 * The thresholds of the command line, judged once for every format:
 * Nagios ranges (report/range.h) on values of the field table
 * (report/fields.h).  -w/-c on "session" (seconds from the start of the
 * name lookup to a logged-in session), --query-warning/--query-critical on
 * "query_p95" (seconds), --cert-warning/--cert-critical on "cert_days"
 * (whole days left; a DAYS threshold alerts below DAYS, the range "DAYS:").
 * Certificate expiry is decided here and nowhere else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report/detail.h"
#include "report/fields.h"
#include "report/thresholds.h"

#define NUM_LEN		48

static int
range_opt(const char *opt, const char *text, struct pgr_range *out, char *err,
    size_t errlen)
{
	char why[512];

	memset(out, 0, sizeof(*out));
	if (text == NULL)
		return 0;
	if (pgr_range_parse(text, out, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s: %s", opt, why);
		return -1;
	}
	return 0;
}

/* "at least DAYS left" is the range DAYS: (alert below DAYS). */
static void
days_range(long days, struct pgr_range *out)
{
	memset(out, 0, sizeof(*out));
	out->set = true;
	out->start = (double)days;
	out->no_end = true;
}

int
pgr_thresholds_set(struct pgr_thresholds *o, const char *warning,
    const char *critical, const char *query_warning,
    const char *query_critical, long cert_warning_days,
    long cert_critical_days, char *err, size_t errlen)
{
	memset(o, 0, sizeof(*o));
	if (range_opt("--warning", warning, &o->warning, err, errlen) != 0 ||
	    range_opt("--critical", critical, &o->critical, err, errlen) != 0 ||
	    range_opt("--query-warning", query_warning, &o->query_warning,
	    err, errlen) != 0 ||
	    range_opt("--query-critical", query_critical, &o->query_critical,
	    err, errlen) != 0)
		return -1;
	days_range(cert_warning_days, &o->cert_warning);
	days_range(cert_critical_days, &o->cert_critical);
	return 0;
}

/* What each threshold pair is called and what its finding says. */
static const struct thr_def {
	enum pgr_threshold k;
	enum pgr_code	 code;
	enum pgr_code	 code_below_zero;	/* the value says "already past" */
	enum pgr_cause	 cause;
	const char	*wopt, *copt;
	bool		 low_is_bad;		/* smaller values are worse */
	bool		 per_host;		/* judged over every port of a host */
	const char	*remedy;
	const char	*remedy_below_zero;	/* for code_below_zero */
} thr_defs[] = {
	{ PGR_THR_SESSION, PGR_F_SESSION_SLOW, PGR_CODE_NONE, PGR_CAUSE_LATENCY, "-w", "-c", false, false,
	  "Compare the phase times in the evidence: a slow dns phase points at "
	  "the resolver (the VPC's Route 53 Resolver, or --dns-server); slow "
	  "tcp or tls at the path to the endpoint (is the client in the "
	  "endpoint's region and Availability Zone?); slow login at the server "
	  "or its PgBouncer pool (heroku pg:diagnose).", NULL },
	{ PGR_THR_QUERY, PGR_F_QUERY_SLOW, PGR_CODE_NONE, PGR_CAUSE_LATENCY, "--query-warning",
	  "--query-critical", false, false,
	  "The session is up but the query is slow: look at the database's load "
	  "and long-running queries (heroku pg:diagnose, heroku pg:ps); a tcp "
	  "time close to the query time would point at the network instead.", NULL },
	{ PGR_THR_CERT, PGR_F_CERT_EXPIRING, PGR_F_CERT_EXPIRED, PGR_CAUSE_CERTIFICATE,
	  "--cert-warning", "--cert-critical", true, true,
	  "Heroku rotates its certificates itself: make sure clients that pin "
	  "the certificate or verify it will accept the new one.",
	  "The server certificate is Heroku Postgres's, not part of your setup: "
	  "an expired one means the name may point at something else, or the "
	  "rotation failed; open a Heroku support ticket with this report "
	  "(--bundle). Clients using sslmode=verify-ca or verify-full refuse an "
	  "expired certificate." },
};

static const struct thr_def *
thr_def(enum pgr_threshold k)
{
	size_t i;

	for (i = 0; i < sizeof(thr_defs) / sizeof(thr_defs[0]); i++)
		if (thr_defs[i].k == k)
			return &thr_defs[i];
	return NULL;
}

void
pgr_threshold_ranges(const struct pgr_thresholds *o, enum pgr_threshold k,
    const struct pgr_range **w, const struct pgr_range **c)
{
	*w = *c = NULL;
	if (o == NULL)
		return;
	switch (k) {
	case PGR_THR_SESSION:
		*w = &o->warning;
		*c = &o->critical;
		break;
	case PGR_THR_QUERY:
		*w = &o->query_warning;
		*c = &o->query_critical;
		break;
	case PGR_THR_CERT:
		*w = &o->cert_warning;
		*c = &o->cert_critical;
		break;
	default:
		break;
	}
}

enum pgr_severity
pgr_threshold_judge(const struct pgr_thresholds *o, enum pgr_threshold k, double v)
{
	const struct pgr_range *w, *c;

	pgr_threshold_ranges(o, k, &w, &c);
	if (pgr_range_alerts(c, v))
		return PGR_SEV_CRITICAL;
	if (pgr_range_alerts(w, v))
		return PGR_SEV_WARNING;
	return PGR_SEV_OK;
}

/*
 * The worst value of one field over a target's addresses; for a
 * certificate over every target on the same host, since 5432 and its
 * PgBouncer sibling on 5433 are one server, as the diagnosis groups them.
 */
struct worst {
	enum pgr_severity	 sev;
	size_t			 ti;	/* target of the worst value */
	const struct pgr_attempt *at;
	double			 value;
	size_t			 nalert;
};

/* hosts: the analysis's host of each target, so "same host" is its. */
static bool
same_group(const size_t *hosts, const struct thr_def *d, size_t i, size_t j)
{
	return i == j || (d->per_host && hosts != NULL && hosts[i] == hosts[j]);
}

/*
 * The targets a group can hold: target i alone, or for a judgement per
 * host every target (same_group() then picks the host's).  Keeps the work
 * linear when thousands of targets share nothing.
 */
static size_t
group_from(const struct thr_def *d, size_t i)
{
	return d->per_host ? 0 : i;
}

static size_t
group_to(const struct thr_def *d, size_t i, size_t n)
{
	return d->per_host ? n : i + 1;
}

/* i is the first target of its group: seen[] marks the hosts judged already. */
static bool
first_of_group(const size_t *hosts, const struct thr_def *d, size_t i, bool *seen)
{
	if (!d->per_host || hosts == NULL || seen == NULL)
		return true;
	if (seen[hosts[i]])
		return false;
	seen[hosts[i]] = true;
	return true;
}

static bool
worse(const struct thr_def *d, enum pgr_severity sev, double v,
    const struct worst *w)
{
	if (sev != w->sev)
		return sev > w->sev;
	return d->low_is_bad ? v < w->value : v > w->value;
}

static struct worst
judge_group(const struct pgr_report *r, const size_t *hosts, size_t i,
    const struct pgr_field *fd, const struct pgr_thresholds *o)
{
	const struct thr_def *d = thr_def(fd->threshold);
	struct worst w = { PGR_SEV_OK, i, NULL, 0, 0 };
	size_t ti, j;

	for (ti = d != NULL ? group_from(d, i) : 0; d != NULL && ti < group_to(d, i, r->ntargets); ti++) {
		const struct pgr_target_result *tr = &r->results[ti];
		size_t n = fd->scope == PGR_FS_TARGET ? 1 : tr->nattempts;

		if (!same_group(hosts, d, i, ti))
			continue;
		for (j = 0; j < n; j++) {
			const struct pgr_attempt *a = fd->scope == PGR_FS_TARGET ?
			    NULL : &tr->attempts[j];
			enum pgr_severity sev;
			double v;

			if (!pgr_field_value(fd, &r->targets[ti], tr, a, &v))
				continue;
			sev = pgr_threshold_judge(o, fd->threshold, v);
			if (sev == PGR_SEV_OK)
				continue;
			w.nalert++;
			if (worse(d, sev, v, &w)) {
				w.sev = sev;
				w.ti = ti;
				w.at = a;
				w.value = v;
			}
		}
	}
	return w;
}

enum pgr_severity
pgr_thresholds_status(const struct pgr_report *r, const size_t *hosts,
    const struct pgr_thresholds *o)
{
	enum pgr_severity worst = PGR_SEV_OK;
	bool *seen = calloc(r->ntargets + 1, sizeof(*seen));
	size_t i, k;

	for (k = 0; seen != NULL && k < pgr_nfields; k++) {
		const struct thr_def *d = thr_def(pgr_fields[k].threshold);

		if (d == NULL)
			continue;
		memset(seen, 0, (r->ntargets + 1) * sizeof(*seen));
		for (i = 0; i < r->ntargets; i++) {
			struct worst w;

			if (!first_of_group(hosts, d, i, seen))
				continue;
			w = judge_group(r, hosts, i, &pgr_fields[k], o);
			if (w.sev > worst)
				worst = w.sev;
		}
	}
	free(seen);
	return worst;
}

static void
day_text(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL)
		snprintf(buf, len, "an unknown date");
	else
		strftime(buf, len, "%Y-%m-%d", &tm);
}

/* "-w 0.5", "--cert-warning 14": the option as the user would write it. */
static void
fired_text(const struct thr_def *d, const struct pgr_thresholds *o,
    enum pgr_severity sev, char *buf, size_t len)
{
	const struct pgr_range *w, *c, *rg;
	char num[NUM_LEN];

	pgr_threshold_ranges(o, d->k, &w, &c);
	rg = sev == PGR_SEV_CRITICAL ? c : w;
	if (d->k == PGR_THR_CERT)
		pgr_format_fixed(rg->start, 0, false, num, sizeof(num));
	else if (pgr_range_format(rg, num, sizeof(num)) < 0)
		snprintf(num, sizeof(num), "?");
	snprintf(buf, len, "%s %s", sev == PGR_SEV_CRITICAL ? d->copt : d->wopt,
	    num);
}

static void
finding_summary(const struct pgr_field *fd, const struct thr_def *d,
    const struct pgr_thresholds *o, const struct pgr_report *r,
    const struct worst *w, char *buf, size_t len)
{
	const struct pgr_target *t = &r->targets[w->ti];
	char at[PGR_ADDRSTRLEN + 64], num[NUM_LEN], fired[128], day[32];
	char more[48] = "";

	pgr_detail_where(t, w->at, at, sizeof(at));
	fired_text(d, o, w->sev, fired, sizeof(fired));
	if (w->nalert > 1)
		snprintf(more, sizeof(more), " and %zu more address%s",
		    w->nalert - 1, w->nalert > 2 ? "es" : "");
	switch (d->k) {
	case PGR_THR_CERT:
		day_text(w->at ? w->at->tls.cert.not_after : 0, day, sizeof(day));
		if (w->value < 0)
			snprintf(buf, len, "certificate at %s%s expired on %s (%s)",
			    at, more, day, fired);
		else
			snprintf(buf, len, "certificate at %s%s expires in %s day%s, on %s (%s)",
			    at, more, pgr_format_fixed(w->value, 0, false, num,
			    sizeof(num)), w->value == 1 ? "" : "s", day, fired);
		break;
	case PGR_THR_QUERY:
		snprintf(buf, len, "query p95 at %s%s was %ss (%s)", at, more,
		    pgr_field_format(fd->unit, w->value, num, sizeof(num)), fired);
		break;
	default:
		snprintf(buf, len, "login at %s%s took %ss, dns included (%s)", at,
		    more, pgr_field_format(fd->unit, w->value, num, sizeof(num)),
		    fired);
		break;
	}
}

/* The breakdown of a session, so the remedy's "which phase" can be read off. */
static void
phase_breakdown(FILE *m, const struct pgr_report *r, size_t i,
    const struct pgr_attempt *a)
{
	static const char *parts[] = { "dns", "tcp", "tls", "login" };
	char num[NUM_LEN];
	size_t k;

	fputs("; phases at the worst address:", m);
	for (k = 0; k < sizeof(parts) / sizeof(parts[0]); k++) {
		const struct pgr_field *fd = pgr_field_find(parts[k]);
		double v;

		if (fd != NULL && pgr_field_value(fd, &r->targets[i], &r->results[i],
		    fd->scope == PGR_FS_TARGET ? NULL : a, &v))
			fprintf(m, " %s %ss", parts[k],
			    pgr_field_format(fd->unit, v, num, sizeof(num)));
	}
}

static char *
finding_evidence(const struct pgr_report *r, const size_t *hosts, size_t i,
    const struct pgr_field *fd, const struct pgr_thresholds *o,
    const struct worst *w)
{
	const struct thr_def *d = thr_def(fd->threshold);
	const struct pgr_range *wr, *cr;
	char num[NUM_LEN], rw[NUM_LEN], rc[NUM_LEN], at[PGR_ADDRSTRLEN + 16];
	char *buf = NULL;
	size_t len = 0, ti, j, n = 0;
	FILE *m;

	if (d == NULL || (m = open_memstream(&buf, &len)) == NULL)
		return NULL;
	fprintf(m, "%s (%s) per address:", fd->name, fd->help);
	for (ti = group_from(d, i); ti < group_to(d, i, r->ntargets); ti++) {
		const struct pgr_target_result *tr = &r->results[ti];

		for (j = 0; same_group(hosts, d, i, ti) && j < tr->nattempts; j++) {
			double v;

			if (!pgr_field_value(fd, &r->targets[ti], tr,
			    &tr->attempts[j], &v))
				continue;
			pgr_detail_where(&r->targets[ti], &tr->attempts[j], at, sizeof(at));
			fprintf(m, "%s %s %s%s", n++ ? "," : "", at,
			    pgr_field_format(fd->unit, v, num, sizeof(num)),
			    fd->unit == PGR_UNIT_SECONDS ? "s" : "");
		}
	}
	pgr_threshold_ranges(o, fd->threshold, &wr, &cr);
	if (pgr_range_format(wr, rw, sizeof(rw)) < 0)
		rw[0] = '\0';
	if (pgr_range_format(cr, rc, sizeof(rc)) < 0)
		rc[0] = '\0';
	fprintf(m, "; warning range %s, critical range %s", rw[0] ? rw : "none",
	    rc[0] ? rc : "none");
	if (d->k == PGR_THR_SESSION && w->at != NULL)
		phase_breakdown(m, r, w->ti, w->at);
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

enum pgr_severity
pgr_thresholds_apply(const struct pgr_report *r, const struct pgr_thresholds *o,
    const size_t *hosts, struct pgr_findings *out)
{
	enum pgr_severity added = PGR_SEV_OK;
	bool *seen = calloc(pgr_nfields * (r->ntargets + 1), sizeof(*seen));
	size_t i, k;

	if (seen == NULL) {
		out->oom = 1;
		return PGR_SEV_OK;
	}
	for (i = 0; i < r->ntargets; i++) {
		for (k = 0; k < pgr_nfields; k++) {
			const struct pgr_field *fd = &pgr_fields[k];
			const struct thr_def *d = thr_def(fd->threshold);
			struct worst w;
			enum pgr_code code;
			char text[512];
			char *evidence;

			if (d == NULL || !first_of_group(hosts, d, i, seen + k * (r->ntargets + 1)))
				continue;
			w = judge_group(r, hosts, i, fd, o);
			if (w.sev == PGR_SEV_OK)
				continue;
			code = d->code_below_zero != PGR_CODE_NONE && w.value < 0 ?
			    d->code_below_zero : d->code;
			finding_summary(fd, d, o, r, &w, text,
			    sizeof(text));
			evidence = finding_evidence(r, hosts, i, fd, o, &w);
			pgr_findings_add(out, code, w.sev, d->cause, text,
			    evidence, code == d->code_below_zero && d->remedy_below_zero ?
			    d->remedy_below_zero : d->remedy, (int)w.ti);
			free(evidence);
			if (w.sev > added)
				added = w.sev;
		}
	}
	free(seen);
	return added;
}

