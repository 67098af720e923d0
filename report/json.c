/*
 * The JSON report, built with jansson.  Every key of the contract is always
 * present; a value that does not exist is null.  Times are milliseconds.
 */
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "report/writer.h"
#include "util/text.h"
#include "report/versions.h"

static json_t *
ms(double v)
{
	return json_real(round(v * 1000.0) / 1000.0);
}

/*
 * Server messages, certificate fields and user input need not be UTF-8;
 * jansson refuses such strings, so invalid bytes become '?' first.
 */
static json_t *
str_or_null(const char *s)
{
	const unsigned char *p;
	json_t *j;
	char *copy;
	size_t i, n;

	if (s == NULL || s[0] == '\0')
		return json_null();
	if ((j = json_string(s)) != NULL)
		return j;
	n = strlen(s);
	if ((copy = strdup(s)) == NULL)
		return json_null();
	for (i = 0, p = (const unsigned char *)copy; i < n; i++)
		if (p[i] >= 0x80)
			copy[i] = '?';
	j = json_string(copy);
	free(copy);
	return j != NULL ? j : json_null();
}

static json_t *
rfc3339(time_t t)
{
	char buf[32];

	return pgr_rfc3339(t, buf, sizeof(buf))[0] != '\0' ? json_string(buf) :
	    json_null();
}

static bool
ran(enum pgr_err e)
{
	return e != PGR_SKIPPED && e != PGR_PENDING;
}

/* Offset of a phase's end, or null when it did not run. */
static json_t *
phase_ms(enum pgr_err e, double v)
{
	return ran(e) ? ms(v) : json_null();
}

static json_t *
phase_duration(enum pgr_err e, double end, double start)
{
	return ran(e) ? ms(end - start) : json_null();
}

static json_t *
endpoint_json(const struct pgr_endpoint_name *n)
{
	if (!n->is_endpoint)
		return json_pack("{s:n,s:n,s:n,s:n}", "id", "service", "region", "zone");
	return json_pack("{s:o,s:o,s:o,s:o}", "id", str_or_null(n->id),
	    "service", str_or_null(n->service), "region", str_or_null(n->region),
	    "zone", str_or_null(n->zone));
}

static json_t *
dns_json(const struct pgr_dns_result *d)
{
	json_t *addrs = json_array();
	size_t i;

	for (i = 0; i < d->naddrs; i++) {
		const struct pgr_addr *a = &d->addrs[i];

		json_array_append_new(addrs, json_pack("{s:s,s:i,s:s,s:o,s:o}",
		    "address", a->text, "family", a->family,
		    "scope", pgr_scope_name(a->scope),
		    "in_vpc", a->in_vpc < 0 ? json_null() : json_boolean(a->in_vpc),
		    "ttl", a->ttl < 0 ? json_null() : json_integer(a->ttl)));
	}
	return json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:I}",
	    "status", pgr_err_name(d->status),
	    "ms", phase_ms(d->status, d->ms),
	    "addresses", addrs,
	    "servers", str_or_null(d->servers),
	    "cnames", str_or_null(d->cnames),
	    "error", pgr_err_failed(d->status) ? str_or_null(d->detail) : json_null(),
	    "addresses_total", (json_int_t)d->naddrs_total);
}

static json_t *
cert_json(const struct pgr_cert *c)
{
	if (!c->present)
		return json_null();
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:I,s:b,s:o,s:b,s:I}",
	    "subject", str_or_null(c->subject), "issuer", str_or_null(c->issuer),
	    "sans", str_or_null(c->sans),
	    "not_before", rfc3339(c->not_before),
	    "not_after", rfc3339(c->not_after),
	    "days_left", (json_int_t)c->days_left,
	    "verified", c->verified,
	    "verify_error", c->verified ? json_null() : str_or_null(c->verify_error),
	    "hostname_match", c->hostname_match,
	    "chain_length", (json_int_t)c->chain_len);
}

/* The server's notices, cleaned at capture, one line each. */
static json_t *
notices_json(const struct pgr_attempt *a)
{
	json_t *v = json_array();
	const char *p, *e;

	for (p = a->notices; p != NULL && *p != '\0'; p = *e ? e + 1 : e) {
		e = p + strcspn(p, "\n");
		json_array_append_new(v, json_stringn(p, (size_t)(e - p)));
	}
	return v;
}

/* The keepalive the kernel applied to the socket; null if it never connected. */
static json_t *
keepalive_json(const struct pgr_keepalive_result *k)
{
	if (!k->known)
		return json_null();
	return json_pack("{s:b,s:i,s:i,s:i,s:o}", "enabled", k->enabled,
	    "idle_s", k->idle_s, "interval_s", k->interval_s, "count", k->count,
	    "user_timeout_ms", k->user_timeout_ms > 0 ?
	    json_integer(k->user_timeout_ms) : json_null());
}

/* --idle: only the session kept idle has one; null elsewhere. */
static json_t *
idle_json(const struct pgr_idle_result *d)
{
	if (d->status == PGR_IDLE_NONE)
		return json_null();
	return json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:o}",
	    "status", pgr_idle_status_name(d->status),
	    "seconds", json_real(d->seconds),
	    "start_ms", ms(d->start_ms), "ms", ms(d->ms),
	    "errno", d->err_no ? json_integer(d->err_no) : json_null(),
	    "sqlstate", str_or_null(d->sqlstate),
	    "error", d->status != PGR_IDLE_OK ? str_or_null(d->message) : json_null());
}

static json_t *
attempt_json(const struct pgr_attempt *a)
{
	const struct pgr_query_result *q = &a->query;
	bool qstats = q->done > 0;

	return json_pack(
	    "{s:s,s:o,s:i,s:o"
	    ",s:{s:s,s:o,s:o,s:o,s:o,s:o,s:o}"
	    ",s:{s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:o,s:o,s:o}"
	    ",s:{s:s,s:o,s:o,s:o,s:o,s:o,s:o}"
	    ",s:{s:s,s:o,s:o,s:i,s:i,s:o,s:o,s:o,s:o,s:o,s:o},s:o,s:o,s:o}",
	    "address", a->address, "local_address", str_or_null(a->local),
	    "family", a->family,
	    "start_ms", ms(a->start_ms),
	    "tcp", "status", pgr_err_name(a->tcp.status),
	    "ms", phase_ms(a->tcp.status, a->tcp.ms),
	    "duration_ms", phase_duration(a->tcp.status, a->tcp.ms, 0),
	    "error", pgr_err_failed(a->tcp.status) ? str_or_null(a->tcp.detail) : json_null(),
	    "errno", a->tcp.err_no ? json_integer(a->tcp.err_no) : json_null(),
	    "path_mtu", a->tcp.path_mtu > 0 ? json_integer(a->tcp.path_mtu) : json_null(),
	    "mss", a->tcp.mss > 0 ? json_integer(a->tcp.mss) : json_null(),
	    "tls", "status", pgr_err_name(a->tls.status),
	    "ms", phase_ms(a->tls.status, a->tls.ms),
	    "duration_ms", phase_duration(a->tls.status, a->tls.ms, a->tcp.ms),
	    "version", str_or_null(a->tls.version),
	    "cipher", str_or_null(a->tls.cipher),
	    "key_bits", a->tls.key_bits ? json_integer(a->tls.key_bits) : json_null(),
	    "error", a->tls.status != PGR_OK ? str_or_null(a->tls.detail) : json_null(),
	    "certificate", cert_json(&a->tls.cert),
	    "ssl_answer", a->tls.ssl_answer ?
	    json_stringn(&a->tls.ssl_answer, 1) : json_null(),
	    "client_hello_sent", a->tls.client_hello_sent,
	    "bytes_received", a->tls.ssl_answer == 'S' ?
	    json_integer(a->tls.bytes_received) : json_null(),
	    "records_received", a->tls.ssl_answer == 'S' ?
	    json_integer(a->tls.records_received) : json_null(),
	    "handshake_state", str_or_null(a->tls.handshake_state),
	    "login", "status", pgr_err_name(a->login.status),
	    "ms", phase_ms(a->login.status, a->login.ms),
	    "duration_ms", phase_duration(a->login.status, a->login.ms, a->tls.ms),
	    "sqlstate", str_or_null(a->login.sqlstate),
	    "message", str_or_null(a->login.message),
	    "server_version", str_or_null(a->login.server_version),
	    "auth_method", str_or_null(a->login.auth_method),
	    "query", "status", pgr_err_name(q->status),
	    "ms", phase_ms(q->status, q->ms),
	    "duration_ms", phase_duration(q->status, q->ms, a->login.ms),
	    "count", q->count, "done", q->done,
	    "min_ms", qstats ? ms(q->min_ms) : json_null(),
	    "median_ms", qstats ? ms(q->median_ms) : json_null(),
	    "p95_ms", qstats ? ms(q->p95_ms) : json_null(),
	    "max_ms", qstats ? ms(q->max_ms) : json_null(),
	    "sqlstate", str_or_null(q->sqlstate),
	    "message", str_or_null(q->message),
	    "notices", notices_json(a),
	    "keepalive", keepalive_json(&a->keepalive),
	    "idle", idle_json(&a->idle));
}

static json_t *
target_json(const struct pgr_target *t, const struct pgr_target_result *tr)
{
	json_t *atts = json_array();
	size_t i;

	for (i = 0; i < tr->nattempts; i++)
		json_array_append_new(atts, attempt_json(&tr->attempts[i]));
	return json_pack("{s:o,s:o,s:s,s:o,s:i,s:o,s:o,s:o,s:o,s:o}",
	    "url", str_or_null(t->url), "source", str_or_null(t->source),
	    "role", pgr_role_name(t->role),
	    "host", str_or_null(t->host), "port", t->port,
	    "database", str_or_null(t->dbname), "user", str_or_null(t->user),
	    "endpoint", endpoint_json(&t->endpoint),
	    "dns", dns_json(&tr->dns), "attempts", atts);
}

static json_t *
finding_json(const struct pgr_finding *f)
{
	return json_pack("{s:o,s:s,s:o,s:o,s:o,s:o,s:o,s:o}",
	    "code", json_string(pgr_code_name(f->code)), "severity", pgr_severity_name(f->severity),
	    "cause", json_string(pgr_cause_name(f->cause)), "summary", str_or_null(f->summary),
	    "evidence", str_or_null(f->evidence), "remedy", str_or_null(f->remedy),
	    "target", f->target < 0 ? json_null() : json_integer(f->target),
	    "port", f->port > 0 ? json_integer(f->port) : json_null());
}

/* The setup guide's steps, host by host, as the text report's checklist. */
static json_t *
checklist_json(const struct pgr_analysis *an)
{
	json_t *list = json_array();
	size_t i;
	int s;

	for (i = 0; i < an->nhosts; i++)
		for (s = 0; s < PGR_STEP__COUNT; s++) {
			const struct pgr_check_item *it = &an->hosts[i].steps[s];
			const struct pgr_finding *fd = pgr_step_finding(an, it);

			json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:o}",
			    "host", an->hosts[i].name, "step", pgr_step_def(it->step)->name,
			    "title", it->title, "status", pgr_check_state_name(it->state),
			    "reason", str_or_null(it->note[0] ? it->note : NULL),
			    "remedy", str_or_null(fd != NULL && it->state != PGR_CHECK_PASS ?
			    fd->remedy : NULL),
			    "finding", it->finding >= 0 ? json_integer(it->finding) : json_null()));
		}
	return list;
}

static const int exit_codes[] = { 0, 1, 2, 3 };

int
pgr_write_json(FILE *f, const struct pgr_analysis *an, const struct pgr_write_opts *o)
{
	const struct pgr_report *r = an->r;
	struct pgr_versions v;
	json_t *root, *targets = json_array(), *findings = json_array();
	char started[40];
	struct tm tm;
	size_t i;
	int rc;

	(void)o;
	pgr_versions_get(&v);
	gmtime_r(&r->started_at.tv_sec, &tm);
	strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(started + strlen(started), sizeof(started) - strlen(started),
	    ".%03ldZ", r->started_at.tv_nsec / 1000000);
	for (i = 0; i < r->ntargets; i++)
		json_array_append_new(targets, target_json(&r->targets[i], &r->results[i]));
	for (i = 0; i < an->findings.n; i++)
		json_array_append_new(findings, finding_json(&an->findings.v[i]));
	root = json_pack("{s:s,s:s,s:i,s:s,s:o,s:{s:s,s:s,s:s,s:s},s:o,s:o,s:o,s:o}",
	    "schema", "pgreach/1", "status", pgr_severity_name(an->status),
	    "exit_code", exit_codes[an->status], "started_at", started,
	    "duration_ms", ms(r->duration_ms),
	    "versions", "pgreach", v.pgreach, "libpq", v.libpq,
	    "openssl", v.openssl, "c-ares", v.cares,
	    "targets", targets, "checklist", checklist_json(an), "findings", findings,
	    "tcp_keepalive_time_s", r->tcp_keepalive_time > 0 ?
	    json_integer(r->tcp_keepalive_time) : json_null());
	if (root == NULL)
		return -1;
	rc = json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
	    JSON_REAL_PRECISION(10));
	fputc('\n', f);
	json_decref(root);
	return rc;
}

void
pgr_error_json(FILE *f, const char *msg)
{
	json_t *root = json_pack("{s:s,s:s,s:i,s:s}", "schema", "pgreach/1",
	    "status", "unknown", "exit_code", 3, "error", msg != NULL ? msg : "error");

	if (root == NULL)
		return;
	json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', f);
	json_decref(root);
}
