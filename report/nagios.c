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
#include <stdint.h>
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
#define STATUS_MAX	119	/* "PGREACH STATE - text" */

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
/* A set of labels with, for each, the next number to try when it repeats. */
struct labelset {
	struct lslot { char label[LABEL_MAX + 1]; unsigned next; bool used; } *v;
	size_t	cap, n;
};

static uint32_t
fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The slot of l: its own, or the empty one where it would go; NULL if full. */
static struct lslot *
ls_find(struct labelset *ls, const char *l)
{
	size_t i, k;

	if (ls->cap == 0)
		return NULL;
	for (i = fnv1a(l) & (ls->cap - 1), k = 0; k < ls->cap; k++, i = (i + 1) & (ls->cap - 1))
		if (!ls->v[i].used || strcmp(ls->v[i].label, l) == 0)
			return &ls->v[i];
	return NULL;
}

/* Add l; false if it was there already (or memory ran out: best effort). */
static bool
ls_add(struct labelset *ls, const char *l, struct lslot **slot)
{
	struct lslot *e;

	if (ls->n * 2 >= ls->cap) {
		struct labelset big = { calloc(ls->cap ? ls->cap * 2 : 64, sizeof(*big.v)),
		    ls->cap ? ls->cap * 2 : 64, 0 };
		size_t i;

		if (big.v == NULL)
			return true;
		for (i = 0; i < ls->cap; i++)
			if (ls->v[i].used) {
				e = ls_find(&big, ls->v[i].label);
				*e = ls->v[i];
				big.n++;
			}
		free(ls->v);
		*ls = big;
	}
	e = ls_find(ls, l);
	if (slot != NULL)
		*slot = e;
	if (e == NULL || e->used)
		return false;
	snprintf(e->label, sizeof(e->label), "%s", l);
	e->used = true;
	e->next = 2;
	ls->n++;
	return true;
}

/* The largest value of a field over every address of every target, and where. */
static bool
field_max(const struct pgr_report *r, const char *name, double *out,
    size_t *ti, const struct pgr_attempt **at)
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
				*ti = i;
				*at = &r->results[i].attempts[j];
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

/* What the status line calls the run: the endpoint's ID, its host, or a count. */
static void
run_name(const struct pgr_analysis *an, char *buf, size_t len)
{
	const struct pgr_target *t;

	if (an->nhosts != 1) {
		snprintf(buf, len, "%zu endpoints", an->nhosts);
		return;
	}
	t = &an->r->targets[an->hosts[0].first];
	snprintf(buf, len, "%s", t->endpoint.is_endpoint ? t->endpoint.id :
	    t->host ? t->host : "?");
}

/*
 * The status line's text, at most STATUS_MAX bytes in all: the endpoint by
 * its ID (never the 85-character host name), how many connections went
 * through, then the top finding or, when all is well, the slowest session
 * (DNS to a logged-in session) and the slowest single phase.
 */
static void
summary(FILE *f, const struct pgr_analysis *an, size_t room)
{
	const struct pgr_report *r = an->r;
	const struct pgr_finding *top = top_finding(an);
	char name[128], text[2048], num[NUM_LEN], at[PGR_ADDRSTRLEN + 300], tail[32] = "";
	char headline[1024];
	const struct pgr_attempt *a = NULL;
	size_t n, i, more = 0, ti = 0;
	double v;

	run_name(an, name, sizeof(name));
	if (an->nattempts > 0)
		n = (size_t)snprintf(text, sizeof(text), "%s: %zu/%zu connection%s ok", name,
		    an->nok, an->nattempts, an->nattempts == 1 ? "" : "s");
	else	/* nothing to connect to: the lookup failed */
		n = (size_t)snprintf(text, sizeof(text), "%s", name);
	if (r->ntargets == 0)
		n = (size_t)snprintf(text, sizeof(text), "no target was checked");
	else if (an->status == PGR_SEV_OK || top == NULL || top->severity == PGR_SEV_OK) {
		if (field_max(r, "session", &v, &ti, &a))
			n += (size_t)snprintf(text + n, sizeof(text) - n,
			    ", slowest session %ss", pgr_format_s(v, num, sizeof(num)));
		if (an->status != PGR_SEV_OK && n < sizeof(text) &&
		    pgr_detail_failure(an, at, sizeof(at))[0] != '\0')
			n += (size_t)snprintf(text + n, sizeof(text) - n, ": %s", at);
		else {
			static const char *const phases[] = { "tcp", "tls", "login" };
			const char *worst = NULL;
			double wv = 0;

			for (i = 0; i < 3; i++)
				if (field_max(r, phases[i], &v, &ti, &a) && (worst == NULL || v > wv)) {
					worst = phases[i];
					wv = v;
				}
			if (worst != NULL && n < sizeof(text))
				n += (size_t)snprintf(text + n, sizeof(text) - n,
				    ", slowest phase %s %ss", worst, pgr_format_s(wv, num, sizeof(num)));
		}
	} else {
		for (i = 0; i < an->findings.n; i++)
			if (&an->findings.v[i] != top && an->findings.v[i].severity > PGR_SEV_OK)
				more++;
		n += (size_t)snprintf(text + n, sizeof(text) - n, ": %s",
		    pgr_detail_headline(an, top, headline, sizeof(headline)));
	}
	/* cut to the room, keeping "(+N more)" whole */
	if (more > 0)
		snprintf(tail, sizeof(tail), " (+%zu more)", more);
	if (strlen(text) + strlen(tail) > room && room > strlen(tail) + 3)
		snprintf(text + room - strlen(tail) - 3, 4, "...");
	strncat(text, tail, sizeof(text) - strlen(text) - 1);
	put_clean(f, text);
}

/* --- perfdata labels ----------------------------------------------------- */

/*
 * A label names the field, then only what tells its series apart: the
 * host when targets differ in it, the port when they differ in it, the
 * address when there is more than one and --perfdata address asks for
 * them.  "tcp_5432", "tcp_5432_10.0.1.5".  Labels are unique: a repeat
 * gets _2, _3, ...; the work is linear in the number of labels.
 */
struct labeler {
	const struct pgr_analysis *an;
	bool			 host, port, addr;
	char			(*hostpart)[LABEL_MAX + 1];	/* per host */
	struct labelset		 seen;
};

static const char *
host_name(const struct pgr_host *h)
{
	return h->name != NULL ? h->name : "";
}

static bool
ip_literal(const char *h)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, h, buf) == 1 || inet_pton(AF_INET6, h, buf) == 1;
}

/*
 * A host's first DNS label if that alone tells it from the other hosts,
 * else "tN" (its first target's number), also when the longest label it
 * can get would pass the limit: one host keeps one name across its labels.
 */
static void
host_part(const struct labeler *lb, size_t hi, size_t longest_addr, char *buf,
    size_t len)
{
	const struct pgr_analysis *an = lb->an;
	const char *h = host_name(&an->hosts[hi]);
	size_t n = strcspn(h, "."), j, longest = 0;

	if (ip_literal(h) || h[n] == '\0')
		n = strlen(h);
	for (j = 0; j < an->nhosts; j++) {
		const char *o = host_name(&an->hosts[j]);

		if (j != hi && strncmp(o, h, n) == 0 && (o[n] == '.' || o[n] == '\0'))
			goto numbered;
	}
	for (j = 0; j < pgr_nfields; j++)
		if ((pgr_fields[j].flags & PGR_FIELD_NAGIOS) &&
		    strlen(pgr_fields[j].name) > longest)
			longest = strlen(pgr_fields[j].name);
	if (longest + 1 + n + (lb->port ? 6 : 0) + (lb->addr ? longest_addr + 1 : 0) > LABEL_MAX)
		goto numbered;
	if (n == 0)
		snprintf(buf, len, "none");
	else
		snprintf(buf, len, "%.*s", (int)n, h);
	return;
numbered:
	snprintf(buf, len, "t%d", an->hosts[hi].first + 1);
}

static int
labeler_init(struct labeler *lb, const struct pgr_analysis *an, bool per_address)
{
	const struct pgr_report *r = an->r;
	const char *first_addr = NULL;
	size_t i, j, *hostaddr;

	memset(lb, 0, sizeof(*lb));
	lb->an = an;
	lb->host = an->nhosts > 1;
	for (i = 1; i < r->ntargets; i++)
		if (r->targets[i].port != r->targets[0].port)
			lb->port = true;
	for (i = 0; per_address && i < r->ntargets; i++)
		for (j = 0; j < r->results[i].nattempts; j++) {
			const char *a = r->results[i].attempts[j].address;

			if (first_addr == NULL)
				first_addr = a;
			else if (strcmp(a, first_addr) != 0)
				lb->addr = true;
		}
	if ((lb->hostpart = calloc(an->nhosts + 1, sizeof(*lb->hostpart))) == NULL ||
	    (hostaddr = calloc(an->nhosts + 1, sizeof(*hostaddr))) == NULL) {
		free(lb->hostpart);
		return -1;
	}
	/* each host's longest address, for its labels' length */
	for (i = 0; per_address && i < r->ntargets; i++)
		for (j = 0; j < r->results[i].nattempts; j++)
			if (strlen(r->results[i].attempts[j].address) > hostaddr[an->host_of[i]])
				hostaddr[an->host_of[i]] = strlen(r->results[i].attempts[j].address);
	for (i = 0; lb->host && i < an->nhosts; i++)
		host_part(lb, i, hostaddr[i], lb->hostpart[i], sizeof(lb->hostpart[i]));
	free(hostaddr);
	return 0;
}

static void
labeler_free(struct labeler *lb)
{
	free(lb->hostpart);
	free(lb->seen.v);
}

static void
make_label(struct labeler *lb, const struct pgr_field *fd, size_t i,
    const struct pgr_attempt *a, char out[LABEL_MAX + 1])
{
	char buf[512], suffix[24];
	struct lslot *base;
	size_t k, n;

	n = (size_t)snprintf(buf, sizeof(buf), "%s", fd->name);
	if (lb->host)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "_%s",
		    lb->hostpart[lb->an->host_of[i]]);
	if (lb->port)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "_%d",
		    lb->an->r->targets[i].port);
	if (lb->addr && a != NULL)
		snprintf(buf + n, sizeof(buf) - n, "_%s", a->address);
	/* '=' ends a label, blanks and non-ASCII confuse graphers. */
	for (k = 0; buf[k] != '\0'; k++)
		if (buf[k] == '=' || (unsigned char)buf[k] <= ' ' ||
		    (unsigned char)buf[k] >= 0x7f)
			buf[k] = '_';
	buf[LABEL_MAX] = '\0';	/* buf is larger: cut to the guidelines' limit */
	memcpy(out, buf, strlen(buf) + 1);
	if (ls_add(&lb->seen, out, &base) || base == NULL)
		return;
	/* A repeat: the next free number for this label, remembered. */
	for (;;) {
		snprintf(suffix, sizeof(suffix), "_%u", base->next++);
		n = strlen(buf);
		if (n > LABEL_MAX - strlen(suffix))
			n = LABEL_MAX - strlen(suffix);
		snprintf(out, LABEL_MAX + 1, "%.*s%s", (int)n, buf, suffix);
		if (ls_add(&lb->seen, out, NULL))
			return;
		if ((base = ls_find(&lb->seen, buf)) == NULL)
			return;
	}
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

/* One item 'label'=value[UOM];warn;crit;min;max; v NULL: the value U. */
static void
put_perf(FILE *f, struct labeler *lb, const struct pgr_field *fd, size_t i,
    const struct pgr_attempt *a, const double *v, const struct pgr_thresholds *o,
    bool *first)
{
	const struct pgr_range *w, *c;
	char label[LABEL_MAX + 1], val[NUM_LEN + 4], warn[NUM_LEN], crit[NUM_LEN];
	const char *parts[5];
	int k, last;

	make_label(lb, fd, i, a, label);
	if (v != NULL && fd->unit == PGR_UNIT_SECONDS) {
		/* three significant digits, trailing zeros dropped: 0.00044s */
		char *e = val + strlen(pgr_format_s(*v, val, NUM_LEN));

		while (strchr(val, '.') != NULL && e > val && e[-1] == '0')
			*--e = '\0';
		if (e > val && e[-1] == '.')
			*--e = '\0';
		strcat(val, "s");
	} else if (v != NULL) {
		pgr_field_format(fd->unit, *v, val, NUM_LEN);
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

/* The worst value of a field over a target's addresses: the largest time or
 * count, the fewest days left.  false when no address has one. */
static bool
worst_value(const struct pgr_field *fd, const struct pgr_report *r, size_t i,
    double *out)
{
	const struct pgr_target_result *tr = &r->results[i];
	bool any = false;
	size_t j;

	for (j = 0; j < tr->nattempts; j++) {
		double v;

		if (!pgr_field_value(fd, &r->targets[i], tr, &tr->attempts[j], &v))
			continue;
		if (!any || (fd->unit == PGR_UNIT_DAYS ? v < *out : v > *out))
			*out = v;
		any = true;
	}
	return any;
}

static void
perfdata(FILE *f, const struct pgr_analysis *an, bool per_address)
{
	const struct pgr_report *r = an->r;
	struct labeler lb;
	bool first = true;
	size_t k, i, j;

	if (labeler_init(&lb, an, per_address) != 0)
		return;
	for (k = 0; k < pgr_nfields; k++) {
		const struct pgr_field *fd = &pgr_fields[k];

		if (!(fd->flags & PGR_FIELD_NAGIOS))
			continue;
		for (i = 0; i < r->ntargets; i++) {
			double v;

			if (fd->scope == PGR_FS_TARGET || !per_address) {
				bool have = fd->scope == PGR_FS_TARGET ?
				    pgr_field_value(fd, &r->targets[i], &r->results[i], NULL, &v) :
				    worst_value(fd, r, i, &v);

				put_perf(f, &lb, fd, i, NULL, have ? &v : NULL, &an->thr, &first);
				continue;
			}
			for (j = 0; j < r->results[i].nattempts; j++) {
				const struct pgr_attempt *a = &r->results[i].attempts[j];
				bool have = pgr_field_value(fd, &r->targets[i], &r->results[i], a, &v);

				put_perf(f, &lb, fd, i, a, have ? &v : NULL, &an->thr, &first);
			}
		}
	}
	labeler_free(&lb);
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
			fprintf(f, ", session %ss", pgr_format_s(v, num, sizeof(num)));
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
		fprintf(f, " %ss", pgr_format_s(tr->dns.ms / 1000.0, num, sizeof(num)));
	for (j = 0; j < tr->nattempts; j++)
		attempt_line(f, t, tr, &tr->attempts[j]);
	fputc('\n', f);
}

int
pgr_write_nagios(FILE *f, const struct pgr_analysis *an, const struct pgr_write_opts *o)
{
	const struct pgr_report *r = an->r;
	size_t i;

	fprintf(f, "PGREACH %s - ", state_word(an->status));
	/* under 120 characters before the perfdata, as plugin lines should be */
	summary(f, an, STATUS_MAX - 11 - strlen(state_word(an->status)));
	perfdata(f, an, o != NULL && o->perfdata == PGR_PERF_ADDRESS);
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

void
pgr_error_nagios(FILE *f, const char *msg)
{
	fputs("PGREACH UNKNOWN - ", f);
	put_clean(f, msg);
	fputc('\n', f);
}
