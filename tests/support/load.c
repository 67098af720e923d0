/*
 * Read a pgreach/1 JSON report back into results, so that the diagnosis
 * can be run again on a report recorded elsewhere (case files in tests, a
 * report attached to a support ticket).  Only what the diagnosis and the
 * writers use is read; the password was never in it.
 */
#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "probes/addr.h"
#include "report/endpoint.h"
#include "tests/support/load.h"

static const char *
jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static double
jnum(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : 0;
}

/*
 * An integer field: a number that fits an int, truncated; anything else is
 * 0, as a missing one (a double outside int's range must not be cast).
 */
static int
jint(json_t *o, const char *key)
{
	double v = jnum(o, key);

	return v > (double)INT_MIN - 1.0 && v < (double)INT_MAX + 1.0 ? (int)v : 0;
}

static void
copy(char *dst, size_t len, const char *s)
{
	snprintf(dst, len, "%s", s != NULL ? s : "");
}

static int
status(json_t *o, enum pgr_phase ph, enum pgr_err *out, char *err, size_t errlen)
{
	const char *s = jstr(o, "status");
	int e;

	if (s == NULL || (e = pgr_err_from_name(ph, s)) < 0) {
		snprintf(err, errlen, "%s: unknown status \"%s\"", pgr_phase_name(ph),
		    s ? s : "(none)");
		return -1;
	}
	*out = (enum pgr_err)e;
	return 0;
}

static int
load_dns(json_t *j, struct pgr_dns_result *d, char *err, size_t errlen)
{
	json_t *addrs = json_object_get(j, "addresses"), *a;
	size_t i;

	if (!json_is_object(j) || status(j, PGR_PH_DNS, &d->status, err, errlen) != 0)
		return -1;
	d->ms = jnum(j, "ms");
	copy(d->servers, sizeof(d->servers), jstr(j, "servers"));
	copy(d->detail, sizeof(d->detail), jstr(j, "error"));
	json_array_foreach(addrs, i, a) {
		struct sockaddr_storage ss;
		const char *text = jstr(a, "address");
		json_t *inv = json_object_get(a, "in_vpc");

		if (text == NULL || d->naddrs >= PGR_MAX_ADDRS)
			continue;
		memset(&ss, 0, sizeof(ss));
		if (inet_pton(AF_INET, text, &((struct sockaddr_in *)&ss)->sin_addr) == 1)
			ss.ss_family = AF_INET;
		else if (inet_pton(AF_INET6, text, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1)
			ss.ss_family = AF_INET6;
		else
			continue;
		pgr_addr_set(&d->addrs[d->naddrs], (struct sockaddr *)&ss,
		    jint(a, "ttl"), NULL, 0);
		d->addrs[d->naddrs].in_vpc = json_is_boolean(inv) ? json_is_true(inv) : -1;
		d->naddrs++;
	}
	d->naddrs_total = d->naddrs;
	return 0;
}

/* The keepalive the socket had, and the --idle session's outcome (both may be null). */
static int
load_idle(json_t *j, struct pgr_attempt *a, char *err, size_t errlen)
{
	json_t *k = json_object_get(j, "keepalive"), *d = json_object_get(j, "idle");
	const char *st;
	int s;

	if (json_is_object(k)) {
		a->keepalive.known = true;
		a->keepalive.enabled = json_is_true(json_object_get(k, "enabled"));
		a->keepalive.idle_s = jint(k, "idle_s");
		a->keepalive.interval_s = jint(k, "interval_s");
		a->keepalive.count = jint(k, "count");
		a->keepalive.user_timeout_ms = jint(k, "user_timeout_ms");
	}
	if (!json_is_object(d))
		return 0;
	st = jstr(d, "status");
	if (st == NULL || (s = pgr_idle_status_from_name(st)) <= PGR_IDLE_NONE) {
		snprintf(err, errlen, "idle: unknown status \"%s\"", st ? st : "(none)");
		return -1;
	}
	a->idle.status = (enum pgr_idle_status)s;
	a->idle.seconds = jnum(d, "seconds");
	a->idle.start_ms = jnum(d, "start_ms");
	a->idle.ms = jnum(d, "ms");
	a->idle.err_no = jint(d, "errno");
	copy(a->idle.sqlstate, sizeof(a->idle.sqlstate), jstr(d, "sqlstate"));
	copy(a->idle.message, sizeof(a->idle.message), jstr(d, "error"));
	return 0;
}

static int
load_attempt(json_t *j, struct pgr_attempt *a, char *err, size_t errlen)
{
	json_t *tcp = json_object_get(j, "tcp"), *tls = json_object_get(j, "tls");
	json_t *login = json_object_get(j, "login"), *q = json_object_get(j, "query");
	json_t *cert = json_object_get(tls, "certificate");

	copy(a->address, sizeof(a->address), jstr(j, "address"));
	copy(a->local, sizeof(a->local), jstr(j, "local_address"));
	a->family = jint(j, "family");
	if (status(tcp, PGR_PH_TCP, &a->tcp.status, err, errlen) != 0 ||
	    status(tls, PGR_PH_TLS, &a->tls.status, err, errlen) != 0 ||
	    status(login, PGR_PH_LOGIN, &a->login.status, err, errlen) != 0 ||
	    status(q, PGR_PH_QUERY, &a->query.status, err, errlen) != 0)
		return -1;
	a->tcp.ms = jnum(tcp, "ms");
	a->tcp.err_no = jint(tcp, "errno");
	copy(a->tcp.detail, sizeof(a->tcp.detail), jstr(tcp, "error"));
	a->tls.ms = jnum(tls, "ms");
	copy(a->tls.version, sizeof(a->tls.version), jstr(tls, "version"));
	copy(a->tls.cipher, sizeof(a->tls.cipher), jstr(tls, "cipher"));
	copy(a->tls.detail, sizeof(a->tls.detail), jstr(tls, "error"));
	a->tcp.path_mtu = jint(tcp, "path_mtu");
	a->tcp.mss = jint(tcp, "mss");
	if (jstr(tls, "ssl_answer") != NULL)
		a->tls.ssl_answer = jstr(tls, "ssl_answer")[0];
	a->tls.client_hello_sent = json_is_true(json_object_get(tls, "client_hello_sent"));
	a->tls.bytes_received = jint(tls, "bytes_received");
	a->tls.records_received = jint(tls, "records_received");
	copy(a->tls.handshake_state, sizeof(a->tls.handshake_state),
	    jstr(tls, "handshake_state"));
	if (json_is_object(cert)) {
		a->tls.cert.present = true;
		copy(a->tls.cert.subject, sizeof(a->tls.cert.subject), jstr(cert, "subject"));
		copy(a->tls.cert.issuer, sizeof(a->tls.cert.issuer), jstr(cert, "issuer"));
		a->tls.cert.days_left = jint(cert, "days_left");
		a->tls.cert.verified = json_is_true(json_object_get(cert, "verified"));
		a->tls.cert.hostname_match = json_is_true(json_object_get(cert, "hostname_match"));
		copy(a->tls.cert.verify_error, sizeof(a->tls.cert.verify_error),
		    jstr(cert, "verify_error"));
	}
	a->login.ms = jnum(login, "ms");
	copy(a->login.sqlstate, sizeof(a->login.sqlstate), jstr(login, "sqlstate"));
	copy(a->login.message, sizeof(a->login.message), jstr(login, "message"));
	copy(a->login.server_version, sizeof(a->login.server_version),
	    jstr(login, "server_version"));
	a->query.ms = jnum(q, "ms");
	a->query.count = jint(q, "count");
	a->query.done = jint(q, "done");
	a->query.min_ms = jnum(q, "min_ms");
	a->query.median_ms = jnum(q, "median_ms");
	a->query.p95_ms = jnum(q, "p95_ms");
	a->query.max_ms = jnum(q, "max_ms");
	copy(a->query.sqlstate, sizeof(a->query.sqlstate), jstr(q, "sqlstate"));
	copy(a->query.message, sizeof(a->query.message), jstr(q, "message"));
	return load_idle(j, a, err, errlen);
}

static char *
dup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static int
load_target(json_t *j, struct pgr_target *t, struct pgr_target_result *tr,
    char *err, size_t errlen)
{
	json_t *atts = json_object_get(j, "attempts"), *a;
	const char *host = jstr(j, "host"), *role = jstr(j, "role");
	size_t i;

	if (host == NULL || !json_is_array(atts)) {
		snprintf(err, errlen, "a target lacks host or attempts");
		return -1;
	}
	t->host = strdup(host);
	t->url = dup(jstr(j, "url"));
	t->source = dup(jstr(j, "source"));
	t->dbname = dup(jstr(j, "database"));
	t->user = dup(jstr(j, "user"));
	t->port = jint(j, "port");
	t->role = role != NULL && strcmp(role, "pgbouncer") == 0 ?
	    PGR_ROLE_PGBOUNCER : PGR_ROLE_POSTGRES;
	t->sibling_of = -1;
	pgr_endpoint_parse(t->host, &t->endpoint);
	if (load_dns(json_object_get(j, "dns"), &tr->dns, err, errlen) != 0)
		return -1;
	tr->attempts = calloc(json_array_size(atts) + 1, sizeof(*tr->attempts));
	if (tr->attempts == NULL)
		return -1;
	json_array_foreach(atts, i, a) {
		if (load_attempt(a, &tr->attempts[i], err, errlen) != 0)
			return -1;
		tr->nattempts++;
	}
	return 0;
}

int
pgr_report_load(json_t *root, struct pgr_report *r, char *err, size_t errlen)
{
	json_t *targets = json_object_get(root, "targets"), *t;
	const char *schema = jstr(root, "schema");
	size_t i, n;

	memset(r, 0, sizeof(*r));
	if (schema == NULL || strcmp(schema, "pgreach/1") != 0 || !json_is_array(targets)) {
		snprintf(err, errlen, "not a pgreach/1 report");
		return -1;
	}
	n = json_array_size(targets);
	r->targets = calloc(n + 1, sizeof(*r->targets));
	r->results = calloc(n + 1, sizeof(*r->results));
	if (r->targets == NULL || r->results == NULL)
		return -1;
	json_array_foreach(targets, i, t) {
		r->ntargets++;
		if (load_target(t, &r->targets[i], &r->results[i], err, errlen) != 0) {
			pgr_report_free(r);
			return -1;
		}
	}
	r->duration_ms = jnum(root, "duration_ms");
	r->tcp_keepalive_time = jint(root, "tcp_keepalive_time_s");
	return 0;
}
