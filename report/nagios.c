/*
 * Monitoring Plugins output, per the development guidelines: one status
 * line "PGREACH <STATE> - <summary> | <perfdata>", then long output.
 * Perfdata is 'label'=value[UOM];[warn];[crit];[min];[max], a value that
 * could not be measured is the literal U (guidelines, "Performance data"),
 * and labels stay within 64 characters and unique.  A '|' anywhere after
 * the first one starts more perfdata, so text from findings and servers has
 * its '|' replaced.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "report/fields.h"
#include "report/nagios.h"

#define LABEL_MAX	64
#define NUM_LEN		48

/* --- thresholds ---------------------------------------------------------- */

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
pgr_nagios_opts_set(struct pgr_nagios_opts *o, const char *warning,
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
	const char	*code;
	const char	*code_below_zero;	/* the value says "already past" */
	const char	*cause;
	const char	*wopt, *copt;
	bool		 low_is_bad;		/* smaller values are worse */
	bool		 per_host;		/* judged over every port of a host */
	const char	*remedy;
} thr_defs[] = {
	{ PGR_THR_SESSION, "SESSION_SLOW", NULL, "latency", "-w", "-c", false, false,
	  "Compare the phase times in the evidence: a slow dns phase points at "
	  "the resolver (the VPC's Route 53 Resolver, or --dns-server); slow "
	  "tcp or tls at the path to the endpoint (is the client in the "
	  "endpoint's region and Availability Zone?); slow login at the server "
	  "or its PgBouncer pool (heroku pg:diagnose)." },
	{ PGR_THR_QUERY, "QUERY_SLOW", NULL, "latency", "--query-warning",
	  "--query-critical", false, false,
	  "The session is up but the query is slow: look at the database's load "
	  "and long-running queries (heroku pg:diagnose, heroku pg:ps); a tcp "
	  "time close to the query time would point at the network instead." },
	{ PGR_THR_CERT, "CERT_EXPIRING", "CERT_EXPIRED", "certificate",
	  "--cert-warning", "--cert-critical", true, true,
	  "The server certificate is Heroku Postgres's, not part of your setup: "
	  "open a Heroku support ticket with this report. Clients using "
	  "sslmode=verify-ca or verify-full refuse an expired certificate." },
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

static void
ranges_of(const struct pgr_nagios_opts *o, enum pgr_threshold k,
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

static enum pgr_severity
judge(const struct pgr_nagios_opts *o, enum pgr_threshold k, double v)
{
	const struct pgr_range *w, *c;

	ranges_of(o, k, &w, &c);
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

static bool
same_group(const struct pgr_report *r, const struct thr_def *d, size_t i,
    size_t j)
{
	return i == j || (d->per_host && r->targets[i].host != NULL &&
	    r->targets[j].host != NULL &&
	    strcasecmp(r->targets[i].host, r->targets[j].host) == 0);
}

static bool
first_of_group(const struct pgr_report *r, const struct thr_def *d, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (same_group(r, d, i, j))
			return false;
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
judge_group(const struct pgr_report *r, size_t i, const struct pgr_field *fd,
    const struct pgr_nagios_opts *o)
{
	const struct thr_def *d = thr_def(fd->threshold);
	struct worst w = { PGR_SEV_OK, i, NULL, 0, 0 };
	size_t ti, j;

	for (ti = 0; d != NULL && ti < r->ntargets; ti++) {
		const struct pgr_target_result *tr = &r->results[ti];
		size_t n = fd->scope == PGR_FS_TARGET ? 1 : tr->nattempts;

		if (!same_group(r, d, i, ti))
			continue;
		for (j = 0; j < n; j++) {
			const struct pgr_attempt *a = fd->scope == PGR_FS_TARGET ?
			    NULL : &tr->attempts[j];
			enum pgr_severity sev;
			double v;

			if (!pgr_field_value(fd, &r->targets[ti], tr, a, &v))
				continue;
			sev = judge(o, fd->threshold, v);
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
pgr_nagios_threshold_status(const struct pgr_report *r,
    const struct pgr_nagios_opts *o)
{
	enum pgr_severity worst = PGR_SEV_OK;
	size_t i, k;

	for (k = 0; k < pgr_nfields; k++) {
		if (pgr_fields[k].threshold == PGR_THR_NONE)
			continue;
		for (i = 0; i < r->ntargets; i++) {
			struct worst w = judge_group(r, i, &pgr_fields[k], o);

			if (w.sev > worst)
				worst = w.sev;
		}
	}
	return worst;
}

static void
where(const struct pgr_target *t, const struct pgr_attempt *a, char *buf,
    size_t len)
{
	if (a == NULL)
		snprintf(buf, len, "%s port %d", t->host ? t->host : "?", t->port);
	else if (a->family == 6)
		snprintf(buf, len, "[%s]:%d", a->address, t->port);
	else
		snprintf(buf, len, "%s:%d", a->address, t->port);
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
fired_text(const struct thr_def *d, const struct pgr_nagios_opts *o,
    enum pgr_severity sev, char *buf, size_t len)
{
	const struct pgr_range *w, *c, *rg;
	char num[NUM_LEN];

	ranges_of(o, d->k, &w, &c);
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
    const struct pgr_nagios_opts *o, const struct pgr_report *r,
    const struct worst *w, char *buf, size_t len)
{
	const struct pgr_target *t = &r->targets[w->ti];
	char at[PGR_ADDRSTRLEN + 64], num[NUM_LEN], fired[128], day[32];
	char more[48] = "";

	where(t, w->at, at, sizeof(at));
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
finding_evidence(const struct pgr_report *r, size_t i,
    const struct pgr_field *fd, const struct pgr_nagios_opts *o,
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
	for (ti = 0; ti < r->ntargets; ti++) {
		const struct pgr_target_result *tr = &r->results[ti];

		for (j = 0; same_group(r, d, i, ti) && j < tr->nattempts; j++) {
			double v;

			if (!pgr_field_value(fd, &r->targets[ti], tr,
			    &tr->attempts[j], &v))
				continue;
			where(&r->targets[ti], &tr->attempts[j], at, sizeof(at));
			fprintf(m, "%s %s %s%s", n++ ? "," : "", at,
			    pgr_field_format(fd->unit, v, num, sizeof(num)),
			    fd->unit == PGR_UNIT_SECONDS ? "s" : "");
		}
	}
	ranges_of(o, fd->threshold, &wr, &cr);
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

/*
 * Already said: the same code for this target, for the run, or (for a
 * certificate) for another port of the host, as the diagnosis's own
 * CERT_EXPIRED/CERT_EXPIRING rules report it.
 */
static bool
has_finding(const struct pgr_report *r, const struct thr_def *d,
    const char *code, size_t i)
{
	size_t k;

	for (k = 0; k < r->nfindings; k++) {
		const struct pgr_finding *f = &r->findings[k];

		if (f->code == NULL || strcmp(f->code, code) != 0)
			continue;
		if (f->target < 0 || (size_t)f->target >= r->ntargets ||
		    same_group(r, d, i, (size_t)f->target))
			return true;
	}
	return false;
}

enum pgr_severity
pgr_thresholds_apply(struct pgr_report *r, const struct pgr_nagios_opts *o)
{
	enum pgr_severity added = PGR_SEV_OK;
	size_t i, k;

	for (i = 0; i < r->ntargets; i++) {
		for (k = 0; k < pgr_nfields; k++) {
			const struct pgr_field *fd = &pgr_fields[k];
			const struct thr_def *d = thr_def(fd->threshold);
			struct worst w;
			const char *code;
			char text[512];
			char *evidence;

			if (d == NULL || !first_of_group(r, d, i))
				continue;
			w = judge_group(r, i, fd, o);
			if (w.sev == PGR_SEV_OK)
				continue;
			code = d->code_below_zero != NULL && w.value < 0 ?
			    d->code_below_zero : d->code;
			if (has_finding(r, d, code, i))
				continue;
			finding_summary(fd, d, o, r, &w, text,
			    sizeof(text));
			evidence = finding_evidence(r, i, fd, o, &w);
			pgr_report_add_finding(r, code, w.sev, d->cause, text,
			    evidence, d->remedy, (int)w.ti);
			free(evidence);
			if (w.sev > added)
				added = w.sev;
		}
	}
	return added;
}

/* --- text ---------------------------------------------------------------- */

/* One line of plugin output: no newline, no '|', no control characters. */
static void
put_clean(FILE *f, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '|')
			fputc('/', f);
		else if (c < 0x20 || c == 0x7f)
			fputc(' ', f);
		else
			fputc(c, f);
	}
}

static const char *
state_word(enum pgr_severity s)
{
	static const char *words[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

	return (unsigned)s <= PGR_SEV_UNKNOWN ? words[s] : "UNKNOWN";
}

/* The largest value of a field over every address of every target. */
static bool
field_max(const struct pgr_report *r, const char *name, double *out)
{
	const struct pgr_field *fd = pgr_field_find(name);
	bool any = false;
	size_t i, j;

	for (i = 0; fd != NULL && i < r->ntargets; i++)
		for (j = 0; j < r->results[i].nattempts; j++) {
			double v;

			if (pgr_field_value(fd, &r->targets[i], &r->results[i],
			    &r->results[i].attempts[j], &v) && (!any || v > *out)) {
				*out = v;
				any = true;
			}
		}
	return any;
}

static void
count_attempts(const struct pgr_report *r, size_t *nok, size_t *natt)
{
	size_t i, j;

	*nok = *natt = 0;
	for (i = 0; i < r->ntargets; i++)
		for (j = 0; j < r->results[i].nattempts; j++) {
			(*natt)++;
			if (pgr_attempt_ok(&r->results[i].attempts[j]))
				(*nok)++;
		}
}

/* The first phase that failed, as "tcp timeout at 10.0.1.5:5432". */
static bool
first_failure(const struct pgr_report *r, char *buf, size_t len)
{
	size_t i, j;
	int p;

	for (i = 0; i < r->ntargets; i++) {
		const struct pgr_target *t = &r->targets[i];
		const struct pgr_target_result *tr = &r->results[i];

		if (pgr_err_failed(tr->dns.status)) {
			snprintf(buf, len, "dns %s for %s", pgr_err_name(tr->dns.status),
			    t->host ? t->host : "?");
			return true;
		}
		for (j = 0; j < tr->nattempts; j++)
			for (p = PGR_PH_TCP; p < PGR_PH__COUNT; p++) {
				enum pgr_err e = pgr_field_phase_status(tr,
				    &tr->attempts[j], (enum pgr_phase)p);
				char at[PGR_ADDRSTRLEN + 16];

				if (!pgr_err_failed(e))
					continue;
				where(t, &tr->attempts[j], at, sizeof(at));
				snprintf(buf, len, "%s %s at %s",
				    pgr_phase_name((enum pgr_phase)p),
				    pgr_err_name(e), at);
				return true;
			}
	}
	return false;
}

static const struct pgr_finding *
top_finding(const struct pgr_report *r)
{
	const struct pgr_finding *best = NULL;
	size_t i;

	/* Findings come most likely first; take the first of the worst. */
	for (i = 0; i < r->nfindings; i++)
		if (best == NULL || r->findings[i].severity > best->severity)
			best = &r->findings[i];
	return best;
}

static void
summary(FILE *f, const struct pgr_report *r)
{
	const struct pgr_finding *top = top_finding(r);
	char num[NUM_LEN], fail[PGR_ADDRSTRLEN + 256];
	size_t nok, natt, i, more = 0;
	double v;

	count_attempts(r, &nok, &natt);
	if (r->status == PGR_SEV_OK) {
		fprintf(f, "%zu/%zu connection%s ok", nok, natt, natt == 1 ? "" : "s");
		if (field_max(r, "session", &v))
			fprintf(f, ", login %ss", pgr_format_fixed(v, 3, false,
			    num, sizeof(num)));
		if (field_max(r, "query_p95", &v))
			fprintf(f, ", p95 %sms", pgr_format_fixed(v * 1000.0, 1,
			    false, num, sizeof(num)));
		return;
	}
	if (natt > 0)
		fprintf(f, "%zu/%zu connection%s ok: ", nok, natt,
		    natt == 1 ? "" : "s");
	if (top != NULL && top->severity > PGR_SEV_OK) {
		put_clean(f, top->summary ? top->summary : top->code);
		for (i = 0; i < r->nfindings; i++)
			if (&r->findings[i] != top &&
			    r->findings[i].severity > PGR_SEV_OK)
				more++;
		if (more > 0)
			fprintf(f, " (+%zu more)", more);
	} else if (first_failure(r, fail, sizeof(fail)))
		put_clean(f, fail);
	else if (r->ntargets == 0)
		fputs("no target was checked", f);
	else
		fputs("no result", f);
}

/* --- perfdata labels ----------------------------------------------------- */

/*
 * A label names the field, then only what tells its series apart: the
 * host when targets differ in it, the port when they differ in it, the
 * address when there is more than one.  "dns", "tcp_5432_10.0.1.5".
 */
struct labeler {
	const struct pgr_report	*r;
	bool			 host, port, addr;
	char			(*seen)[LABEL_MAX + 1];
	size_t			 nseen, cap;
};

static const char *
host_of(const struct pgr_report *r, size_t i)
{
	return r->targets[i].host != NULL ? r->targets[i].host : "";
}

static void
labeler_init(struct labeler *lb, const struct pgr_report *r)
{
	const char *first_addr = NULL;
	size_t i, j;

	memset(lb, 0, sizeof(*lb));
	lb->r = r;
	for (i = 1; i < r->ntargets; i++) {
		if (strcmp(host_of(r, i), host_of(r, 0)) != 0)
			lb->host = true;
		if (r->targets[i].port != r->targets[0].port)
			lb->port = true;
	}
	for (i = 0; i < r->ntargets; i++)
		for (j = 0; j < r->results[i].nattempts; j++) {
			const char *a = r->results[i].attempts[j].address;

			if (first_addr == NULL)
				first_addr = a;
			else if (strcmp(a, first_addr) != 0)
				lb->addr = true;
		}
}

static bool
ip_literal(const char *h)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, h, buf) == 1 || inet_pton(AF_INET6, h, buf) == 1;
}

/*
 * The host's first DNS label if that alone tells it from the others, else
 * "tN" (the target's number), also when the longest label this target can
 * get would pass the limit: one target keeps one name across its labels.
 */
static void
host_part(const struct labeler *lb, size_t i, char *buf, size_t len)
{
	const struct pgr_target_result *tr = &lb->r->results[i];
	const char *h = host_of(lb->r, i);
	size_t n = strcspn(h, "."), j, longest = 0, addr = 0;

	if (ip_literal(h) || h[n] == '\0')
		n = strlen(h);
	for (j = 0; j < lb->r->ntargets; j++) {
		const char *o = host_of(lb->r, j);

		if (strcmp(o, h) != 0 && strncmp(o, h, n) == 0 &&
		    (o[n] == '.' || o[n] == '\0'))
			goto numbered;
	}
	for (j = 0; j < pgr_nfields; j++)
		if ((pgr_fields[j].flags & PGR_FIELD_NAGIOS) &&
		    strlen(pgr_fields[j].name) > longest)
			longest = strlen(pgr_fields[j].name);
	for (j = 0; lb->addr && j < tr->nattempts; j++)
		if (strlen(tr->attempts[j].address) + 1 > addr)
			addr = strlen(tr->attempts[j].address) + 1;
	if (longest + 1 + n + (lb->port ? 6 : 0) + addr > LABEL_MAX)
		goto numbered;
	if (n == 0)
		snprintf(buf, len, "none");
	else
		snprintf(buf, len, "%.*s", (int)n, h);
	return;
numbered:
	snprintf(buf, len, "t%zu", i + 1);
}

static void
compose(const struct labeler *lb, const char *name, const char *host,
    size_t i, const struct pgr_attempt *a, char *buf, size_t len)
{
	size_t n;

	n = (size_t)snprintf(buf, len, "%s", name);
	if (lb->host && n < len)
		n += (size_t)snprintf(buf + n, len - n, "_%s", host);
	if (lb->port && n < len)
		n += (size_t)snprintf(buf + n, len - n, "_%d", lb->r->targets[i].port);
	if (lb->addr && a != NULL && n < len)
		snprintf(buf + n, len - n, "_%s", a->address);
}

static bool
label_seen(const struct labeler *lb, const char *l)
{
	size_t k;

	for (k = 0; k < lb->nseen; k++)
		if (strcmp(lb->seen[k], l) == 0)
			return true;
	return false;
}

static void
make_label(struct labeler *lb, const struct pgr_field *fd, size_t i,
    const struct pgr_attempt *a, char out[LABEL_MAX + 1])
{
	char host[256], buf[512], suffix[24];
	size_t k, n;
	int dup;

	host_part(lb, i, host, sizeof(host));
	compose(lb, fd->name, host, i, a, buf, sizeof(buf));
	/* '=' ends a label, blanks and non-ASCII confuse graphers. */
	for (k = 0; buf[k] != '\0'; k++)
		if (buf[k] == '=' || (unsigned char)buf[k] <= ' ' ||
		    (unsigned char)buf[k] >= 0x7f)
			buf[k] = '_';
	buf[LABEL_MAX] = '\0';	/* buf is larger: cut to the guidelines' limit */
	memcpy(out, buf, strlen(buf) + 1);
	for (dup = 2; label_seen(lb, out); dup++) {
		snprintf(suffix, sizeof(suffix), "_%d", dup);
		n = strlen(buf);
		if (n > LABEL_MAX - strlen(suffix))
			n = LABEL_MAX - strlen(suffix);
		snprintf(out, LABEL_MAX + 1, "%.*s%s", (int)n, buf, suffix);
	}
	if (lb->nseen == lb->cap) {
		size_t cap = lb->cap ? lb->cap * 2 : 32;
		void *v = realloc(lb->seen, cap * sizeof(*lb->seen));

		if (v == NULL)
			return;	/* uniqueness is then best effort */
		lb->seen = v;
		lb->cap = cap;
	}
	memcpy(lb->seen[lb->nseen++], out, LABEL_MAX + 1);
}

/* Quoted when it holds anything but [A-Za-z0-9_.-]; a quote is doubled. */
static void
put_label(FILE *f, const char *l)
{
	const char *p;
	bool quote = false;

	for (p = l; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '-'))
			quote = true;
	if (!quote) {
		fputs(l, f);
		return;
	}
	fputc('\'', f);
	for (p = l; *p; p++) {
		if (*p == '\'')
			fputc('\'', f);
		fputc(*p, f);
	}
	fputc('\'', f);
}

static void
put_perf(FILE *f, struct labeler *lb, const struct pgr_field *fd, size_t i,
    const struct pgr_attempt *a, const struct pgr_nagios_opts *o, bool *first)
{
	const struct pgr_range *w, *c;
	char label[LABEL_MAX + 1], val[NUM_LEN + 4], warn[NUM_LEN], crit[NUM_LEN];
	const char *parts[5];
	double v;
	int k, last;

	make_label(lb, fd, i, a, label);
	if (pgr_field_value(fd, &lb->r->targets[i], &lb->r->results[i], a, &v)) {
		pgr_field_format(fd->unit, v, val, NUM_LEN);
		if (fd->unit == PGR_UNIT_SECONDS)
			strcat(val, "s");
	} else
		snprintf(val, sizeof(val), "U");	/* no UOM after U */
	ranges_of(o, fd->threshold, &w, &c);
	if (pgr_range_format(w, warn, sizeof(warn)) < 0)
		warn[0] = '\0';
	if (pgr_range_format(c, crit, sizeof(crit)) < 0)
		crit[0] = '\0';
	parts[0] = val;
	parts[1] = warn;
	parts[2] = crit;
	parts[3] = fd->unit == PGR_UNIT_SECONDS || fd->unit == PGR_UNIT_COUNT ?
	    "0" : "";
	parts[4] = "";
	for (last = 4; last > 0 && parts[last][0] == '\0'; last--)
		;
	fputs(*first ? " | " : " ", f);
	*first = false;
	put_label(f, label);
	fputc('=', f);
	for (k = 0; k <= last; k++)
		fprintf(f, "%s%s", k ? ";" : "", parts[k]);
}

static void
perfdata(FILE *f, const struct pgr_report *r, const struct pgr_nagios_opts *o)
{
	struct labeler lb;
	bool first = true;
	size_t k, i, j;

	labeler_init(&lb, r);
	for (k = 0; k < pgr_nfields; k++) {
		const struct pgr_field *fd = &pgr_fields[k];

		if (!(fd->flags & PGR_FIELD_NAGIOS))
			continue;
		for (i = 0; i < r->ntargets; i++) {
			if (fd->scope == PGR_FS_TARGET) {
				put_perf(f, &lb, fd, i, NULL, o, &first);
				continue;
			}
			for (j = 0; j < r->results[i].nattempts; j++)
				put_perf(f, &lb, fd, i, &r->results[i].attempts[j],
				    o, &first);
		}
	}
	free(lb.seen);
}

/* --- long output --------------------------------------------------------- */

static void
attempt_line(FILE *f, const struct pgr_target *t,
    const struct pgr_target_result *tr, const struct pgr_attempt *a)
{
	const struct pgr_field *session = pgr_field_find("session");
	char num[NUM_LEN];
	double v;
	int p;

	fprintf(f, "; %s ", a->address);
	if (pgr_attempt_ok(a)) {
		fputs("ok", f);
		if (session != NULL && pgr_field_value(session, t, tr, a, &v))
			fprintf(f, ", login %ss", pgr_format_fixed(v, 3, false,
			    num, sizeof(num)));
		return;
	}
	for (p = PGR_PH_TCP; p < PGR_PH__COUNT; p++) {
		enum pgr_err e = pgr_field_phase_status(tr, a, (enum pgr_phase)p);

		if (!pgr_err_failed(e))
			continue;
		fprintf(f, "%s %s", pgr_phase_name((enum pgr_phase)p),
		    pgr_err_name(e));
		if (p == PGR_PH_LOGIN && a->login.sqlstate[0])
			fprintf(f, " %s", a->login.sqlstate);
		return;
	}
	fputs("not finished", f);
}

static void
target_line(FILE *f, const struct pgr_target *t, const struct pgr_target_result *tr)
{
	char num[NUM_LEN];
	size_t j;

	put_clean(f, t->url);
	fprintf(f, " (%s): dns %s", pgr_role_name(t->role),
	    pgr_err_name(tr->dns.status));
	if (tr->dns.status == PGR_OK)
		fprintf(f, " %ss", pgr_format_fixed(tr->dns.ms / 1000.0, 3, false,
		    num, sizeof(num)));
	for (j = 0; j < tr->nattempts; j++)
		attempt_line(f, t, tr, &tr->attempts[j]);
	fputc('\n', f);
}

int
pgr_write_nagios(FILE *f, const struct pgr_report *r,
    const struct pgr_nagios_opts *o)
{
	size_t i;

	fprintf(f, "PGREACH %s - ", state_word(r->status));
	summary(f, r);
	perfdata(f, r, o);
	fputc('\n', f);
	for (i = 0; i < r->nfindings; i++) {
		const struct pgr_finding *fd = &r->findings[i];

		fprintf(f, "[%s] ", pgr_severity_name(fd->severity));
		put_clean(f, fd->code);
		fputs(" (", f);
		put_clean(f, fd->cause);
		fputs("): ", f);
		put_clean(f, fd->summary);
		fputc('\n', f);
		if (fd->evidence != NULL) {
			fputs("    evidence: ", f);
			put_clean(f, fd->evidence);
			fputc('\n', f);
		}
		if (fd->remedy != NULL) {
			fputs("    remedy: ", f);
			put_clean(f, fd->remedy);
			fputc('\n', f);
		}
	}
	for (i = 0; i < r->ntargets; i++)
		target_line(f, &r->targets[i], &r->results[i]);
	return ferror(f) ? -1 : 0;
}
