/*
 * Text exposition format: "# HELP" and "# TYPE" once per family, then all
 * of the family's samples together; label values escape backslash,
 * double quote and newline, and must be UTF-8, so invalid bytes become
 * '?'.  A series must not repeat, so a target given twice (the same host,
 * port and role) and an address listed twice are written once.
 *
 * The target label is the host name, never the URL: a URL carries user and
 * database (cardinality, and more than a dashboard should show), and in
 * `pgreach serve` Prometheus adds the target's configured name as instance.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/fields.h"
#include "report/writer.h"
#include "util/utf8.h"

#define NUM_LEN	48

static void
put_escaped(FILE *f, const char *s, bool quote)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	uint32_t cp;
	size_t n;

	while (*p != '\0') {
		if (*p == '\\')
			fputs("\\\\", f);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '"' && quote)
			fputs("\\\"", f);
		else if ((n = pgr_utf8_seq(p, 4, &cp)) == 0)
			fputc('?', f);
		else {
			fwrite(p, 1, n, f);
			p += n;
			continue;
		}
		p++;
	}
}

static void
label(FILE *f, bool *first, const char *key, const char *value)
{
	fprintf(f, "%s%s=\"", *first ? "{" : ",", key);
	put_escaped(f, value, true);
	fputc('"', f);
	*first = false;
}

/* target, role, port, and address when there is one. */
static void
series_labels(FILE *f, const struct pgr_target *t, const struct pgr_attempt *a,
    bool *first)
{
	char port[16];

	snprintf(port, sizeof(port), "%d", t->port);
	label(f, first, "target", t->host);
	label(f, first, "role", pgr_role_name(t->role));
	label(f, first, "port", port);
	if (a != NULL)
		label(f, first, "address", a->address);
}

static void
family_header(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s ", name);
	put_escaped(f, help, false);
	fprintf(f, "\n# TYPE %s %s\n", name, type);
}

static void
sample_end(FILE *f, bool first, const char *value)
{
	fprintf(f, "%s %s\n", first ? "" : "}", value);
}

static bool
target_repeated(const struct pgr_report *r, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (r->targets[i].host != NULL && r->targets[j].host != NULL &&
		    strcmp(r->targets[i].host, r->targets[j].host) == 0 &&
		    r->targets[i].port == r->targets[j].port &&
		    r->targets[i].role == r->targets[j].role)
			return true;
	return false;
}

static bool
attempt_repeated(const struct pgr_target_result *tr, size_t k)
{
	size_t j;

	for (j = 0; j < k; j++)
		if (strcmp(tr->attempts[j].address, tr->attempts[k].address) == 0)
			return true;
	return false;
}

/*
 * Every sample of one family, from every row of the field table that maps
 * to it.  With f NULL only counts, so a family without samples gets no
 * header either.
 */
static size_t
field_family(FILE *f, const struct pgr_report *r, enum pgr_family fam)
{
	char num[NUM_LEN];
	size_t k, i, j, n = 0;

	for (k = 0; k < pgr_nfields; k++) {
		const struct pgr_field *fd = &pgr_fields[k];

		if (fd->family != fam)
			continue;
		for (i = 0; i < r->ntargets; i++) {
			const struct pgr_target_result *tr = &r->results[i];
			size_t na = fd->scope == PGR_FS_TARGET ? 1 : tr->nattempts;

			if (target_repeated(r, i))
				continue;
			for (j = 0; j < na; j++) {
				const struct pgr_attempt *a = fd->scope ==
				    PGR_FS_TARGET ? NULL : &tr->attempts[j];
				bool first = true;
				double v;

				if (a != NULL && attempt_repeated(tr, j))
					continue;
				if (!pgr_field_value(fd, &r->targets[i], tr, a, &v))
					continue;
				n++;
				if (f == NULL)
					continue;
				fputs(pgr_families[fam].name, f);
				series_labels(f, &r->targets[i], a, &first);
				if (fd->label_key != NULL)
					label(f, &first, fd->label_key, fd->label_value);
				sample_end(f, first, pgr_field_format(fd->unit, v,
				    num, sizeof(num)));
			}
		}
	}
	return n;
}

/* Did the phase do its job?  TLS left off on purpose (sslmode=disable) counts as done. */
static bool
phase_succeeded(enum pgr_err e)
{
	return e == PGR_OK || e == PGR_TLS_DISABLED;
}

static void
phase_sample(FILE *f, const struct pgr_target *t, const struct pgr_attempt *a,
    enum pgr_phase p, enum pgr_err e)
{
	bool first = true;

	fputs("pgreach_phase_success", f);
	series_labels(f, t, a, &first);
	label(f, &first, "phase", pgr_phase_name(p));
	label(f, &first, "status", pgr_err_name(e));
	sample_end(f, first, phase_succeeded(e) ? "1" : "0");
}

static void
phase_success(FILE *f, const struct pgr_report *r)
{
	size_t i, j;
	int p;

	if (r->ntargets == 0)
		return;
	family_header(f, "pgreach_phase_success", "gauge",
	    "1 when the phase succeeded, else 0; status says how it ended "
	    "(ok, timeout, refused, auth, skipped, ...).");
	for (i = 0; i < r->ntargets; i++) {
		const struct pgr_target_result *tr = &r->results[i];

		if (target_repeated(r, i))
			continue;
		phase_sample(f, &r->targets[i], NULL, PGR_PH_DNS, tr->dns.status);
		for (j = 0; j < tr->nattempts; j++) {
			if (attempt_repeated(tr, j))
				continue;
			for (p = PGR_PH_TCP; p < PGR_PH__COUNT; p++)
				phase_sample(f, &r->targets[i], &tr->attempts[j],
				    (enum pgr_phase)p, pgr_attempt_phase(
				    &tr->attempts[j], (enum pgr_phase)p));
		}
	}
}

/*
 * The step where a target failed: its lookup, else the earliest phase in
 * which any of its connections failed.  Blackbox exporter users ask for
 * this (blackbox_exporter#1077, #1528): probe_success alone says nothing
 * of where.  Written only for targets that failed: an IPv6 address this
 * client cannot route, beside addresses that work, is a warning
 * (IPV6_UNREACHABLE), not the target's failure.
 */
static bool
failed_step(const struct pgr_analysis *an, size_t ti, enum pgr_phase *ph,
    enum pgr_err *e)
{
	const struct pgr_target_result *tr = &an->r->results[ti];
	size_t j;
	int p;

	if (pgr_err_failed(tr->dns.status)) {
		*ph = PGR_PH_DNS;
		*e = tr->dns.status;
		return true;
	}
	for (p = PGR_PH_TCP; p < PGR_PH__COUNT; p++)
		for (j = 0; j < tr->nattempts; j++) {
			enum pgr_err s = pgr_attempt_phase(&tr->attempts[j],
			    (enum pgr_phase)p);

			if (pgr_err_failed(s) &&
			    !pgr_attempt_excused(an, ti, &tr->attempts[j])) {
				*ph = (enum pgr_phase)p;
				*e = s;
				return true;
			}
		}
	return false;
}

static void
failure_steps(FILE *f, const struct pgr_analysis *an)
{
	const struct pgr_report *r = an->r;
	enum pgr_phase ph;
	enum pgr_err e;
	bool header = false;
	size_t i;

	for (i = 0; i < r->ntargets; i++) {
		bool first = true;

		if (target_repeated(r, i) || !failed_step(an, i, &ph, &e))
			continue;
		if (!header)
			family_header(f, "pgreach_failed_step", "gauge",
			    "1 for the first step at which a target failed (dns, tcp, "
			    "tls, login, query), with how it failed.");
		header = true;
		fputs("pgreach_failed_step", f);
		series_labels(f, &r->targets[i], NULL, &first);
		label(f, &first, "step", pgr_phase_name(ph));
		label(f, &first, "status", pgr_err_name(e));
		sample_end(f, first, "1");
	}
}

static const char *
finding_target(const struct pgr_report *r, const struct pgr_finding *fd)
{
	if (fd->target < 0 || (size_t)fd->target >= r->ntargets)
		return NULL;
	return r->targets[fd->target].host;
}

static bool
finding_repeated(const struct pgr_analysis *an, size_t k)
{
	const struct pgr_finding *a = &an->findings.v[k];
	const char *ta = finding_target(an->r, a), *tb;
	size_t j;

	for (j = 0; j < k; j++) {
		const struct pgr_finding *b = &an->findings.v[j];

		tb = finding_target(an->r, b);
		if (a->severity == b->severity && a->code == b->code &&
		    a->cause == b->cause && (ta == NULL || tb == NULL ? ta == tb :
		    strcmp(ta, tb) == 0) && (ta == NULL || (a->port > 0 ? a->port :
		    an->r->targets[a->target].port) == (b->port > 0 ? b->port :
		    an->r->targets[b->target].port)))
			return true;
	}
	return false;
}

static void
findings(FILE *f, const struct pgr_analysis *an)
{
	size_t k;

	if (an->findings.n == 0)
		return;
	family_header(f, "pgreach_finding", "gauge",
	    "One series per finding of the diagnosis, always 1.");
	for (k = 0; k < an->findings.n; k++) {
		const struct pgr_finding *fd = &an->findings.v[k];
		const char *t = finding_target(an->r, fd);
		bool first = true;

		if (finding_repeated(an, k))
			continue;
		fputs("pgreach_finding", f);
		label(f, &first, "code", pgr_code_name(fd->code));
		label(f, &first, "cause", pgr_cause_name(fd->cause));
		label(f, &first, "severity", pgr_severity_name(fd->severity));
		if (t != NULL) {
			char port[16];

			snprintf(port, sizeof(port), "%d", fd->port > 0 ? fd->port :
			    an->r->targets[fd->target].port);
			label(f, &first, "target", t);
			label(f, &first, "port", port);
		}
		sample_end(f, first, "1");
	}
}

int
pgr_write_prometheus(FILE *f, const struct pgr_analysis *an,
    const struct pgr_write_opts *o)
{
	const struct pgr_report *r = an->r;
	char num[NUM_LEN];
	int fam;

	/* The blackbox exporter's two families, with its meaning. */
	family_header(f, "probe_success", "gauge",
	    "1 when the probe's status was OK or WARNING, else 0.");
	fprintf(f, "probe_success %d\n", an->status == PGR_SEV_OK ||
	    an->status == PGR_SEV_WARNING);
	family_header(f, "probe_duration_seconds", "gauge",
	    "How long the probe took, name lookups to the last query.");
	fprintf(f, "probe_duration_seconds %s\n",
	    pgr_field_format(PGR_UNIT_SECONDS, r->duration_ms / 1000.0, num,
	    sizeof(num)));
	family_header(f, "pgreach_up", "gauge",
	    "1 when the last run's status was OK or WARNING, 0 when CRITICAL or UNKNOWN.");
	(void)o;
	fprintf(f, "pgreach_up %d\n", an->status == PGR_SEV_OK ||
	    an->status == PGR_SEV_WARNING);
	family_header(f, "pgreach_exit_status", "gauge",
	    "The run's status as its exit code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.");
	fprintf(f, "pgreach_exit_status %d\n",
	    (unsigned)an->status <= PGR_SEV_UNKNOWN ? (int)an->status : 3);
	family_header(f, "pgreach_last_run_timestamp_seconds", "gauge",
	    "When the last run started, as Unix time.");
	fprintf(f, "pgreach_last_run_timestamp_seconds %s\n",
	    pgr_format_fixed((double)r->started_at.tv_sec +
	    (double)r->started_at.tv_nsec / 1e9, 3, true, num, sizeof(num)));
	family_header(f, "pgreach_run_duration_seconds", "gauge",
	    "How long the last run took.");
	fprintf(f, "pgreach_run_duration_seconds %s\n",
	    pgr_field_format(PGR_UNIT_SECONDS, r->duration_ms / 1000.0, num,
	    sizeof(num)));
	for (fam = 0; fam < PGR_FAM__COUNT; fam++) {
		if (field_family(NULL, r, (enum pgr_family)fam) == 0)
			continue;
		family_header(f, pgr_families[fam].name, pgr_families[fam].type,
		    pgr_families[fam].help);
		field_family(f, r, (enum pgr_family)fam);
	}
	phase_success(f, r);
	failure_steps(f, an);
	findings(f, an);
	return ferror(f) ? -1 : 0;
}

/* No measurement: the run itself failed.  The message stays on stderr: a
 * label is no place for free text. */
void
pgr_error_prometheus(FILE *f, const char *msg)
{
	(void)msg;
	family_header(f, "pgreach_up", "gauge",
	    "1 when the last run's status was OK or WARNING, 0 when CRITICAL or UNKNOWN.");
	fputs("pgreach_up 0\n", f);
	family_header(f, "pgreach_exit_status", "gauge",
	    "The run's status as its exit code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.");
	fputs("pgreach_exit_status 3\n", f);
}
