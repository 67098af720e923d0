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

#include "report/detail.h"
#include "report/fields.h"
#include "report/writer.h"

#define LABEL_MAX	64
#define NUM_LEN		48

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

static const struct pgr_finding *
top_finding(const struct pgr_analysis *an)
{
	const struct pgr_finding *best = NULL;
	size_t i;

	/* Findings come most likely first; take the first of the worst. */
	for (i = 0; i < an->findings.n; i++)
		if (best == NULL || an->findings.v[i].severity > best->severity)
			best = &an->findings.v[i];
	return best;
}

static void
summary(FILE *f, const struct pgr_analysis *an)
{
	const struct pgr_report *r = an->r;
	const struct pgr_finding *top = top_finding(an);
	char num[NUM_LEN], fail[PGR_ADDRSTRLEN + 256];
	size_t nok = an->nok, natt = an->nattempts, i, more = 0;
	double v;

	if (an->status == PGR_SEV_OK) {
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
		put_clean(f, top->summary ? top->summary : pgr_code_name(top->code));
		for (i = 0; i < an->findings.n; i++)
			if (&an->findings.v[i] != top &&
			    an->findings.v[i].severity > PGR_SEV_OK)
				more++;
		if (more > 0)
			fprintf(f, " (+%zu more)", more);
	} else if (pgr_detail_failure(an, fail, sizeof(fail))[0] != '\0')
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
    const struct pgr_attempt *a, const struct pgr_thresholds *o, bool *first)
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
	pgr_threshold_ranges(o, fd->threshold, &w, &c);
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
perfdata(FILE *f, const struct pgr_report *r, const struct pgr_thresholds *o)
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
	if (!pgr_attempt_failed(a)) {
		fputs("ok", f);
		if (session != NULL && pgr_field_value(session, t, tr, a, &v))
			fprintf(f, ", login %ss", pgr_format_fixed(v, 3, false,
			    num, sizeof(num)));
		return;
	}
	for (p = PGR_PH_TCP; p < PGR_PH__COUNT; p++) {
		enum pgr_err e = pgr_attempt_phase(a, (enum pgr_phase)p);

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
pgr_write_nagios(FILE *f, const struct pgr_analysis *an, const struct pgr_write_opts *o)
{
	const struct pgr_report *r = an->r;
	size_t i;

	(void)o;
	fprintf(f, "PGREACH %s - ", state_word(an->status));
	summary(f, an);
	perfdata(f, r, &an->thr);
	fputc('\n', f);
	for (i = 0; i < an->findings.n; i++) {
		const struct pgr_finding *fd = &an->findings.v[i];

		fprintf(f, "[%s] %s (%s): ", pgr_severity_name(fd->severity),
		    pgr_code_name(fd->code), pgr_cause_name(fd->cause));
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
