/*
 * Names for result codes, and the release of results.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probes/result.h"

static const struct {
	const char	*name;
	enum pgr_phase	 phase;
} err_table[PGR_ERR__COUNT] = {
	[PGR_PENDING]		= { "pending", PGR_PH__COUNT },
	[PGR_OK]		= { "ok", PGR_PH__COUNT },
	[PGR_SKIPPED]		= { "skipped", PGR_PH__COUNT },
	[PGR_DNS_NXDOMAIN]	= { "nxdomain", PGR_PH_DNS },
	[PGR_DNS_SERVFAIL]	= { "servfail", PGR_PH_DNS },
	[PGR_DNS_TIMEOUT]	= { "timeout", PGR_PH_DNS },
	[PGR_DNS_REFUSED]	= { "refused", PGR_PH_DNS },
	[PGR_DNS_NO_ADDRESS]	= { "no_address", PGR_PH_DNS },
	[PGR_DNS_ERROR]		= { "error", PGR_PH_DNS },
	[PGR_TCP_TIMEOUT]	= { "timeout", PGR_PH_TCP },
	[PGR_TCP_REFUSED]	= { "refused", PGR_PH_TCP },
	[PGR_TCP_UNREACHABLE]	= { "unreachable", PGR_PH_TCP },
	[PGR_TCP_ERROR]		= { "error", PGR_PH_TCP },
	[PGR_TLS_NOT_OFFERED]	= { "not_offered", PGR_PH_TLS },
	[PGR_TLS_TIMEOUT]	= { "timeout", PGR_PH_TLS },
	[PGR_TLS_HANDSHAKE]	= { "handshake", PGR_PH_TLS },
	[PGR_TLS_CLOSED]	= { "closed", PGR_PH_TLS },
	[PGR_TLS_DISABLED]	= { "disabled", PGR_PH_TLS },
	[PGR_LOGIN_AUTH]	= { "auth", PGR_PH_LOGIN },
	[PGR_LOGIN_DATABASE]	= { "database", PGR_PH_LOGIN },
	[PGR_LOGIN_CAPACITY]	= { "capacity", PGR_PH_LOGIN },
	[PGR_LOGIN_TIMEOUT]	= { "timeout", PGR_PH_LOGIN },
	[PGR_LOGIN_CLOSED]	= { "closed", PGR_PH_LOGIN },
	[PGR_LOGIN_ERROR]	= { "error", PGR_PH_LOGIN },
	[PGR_LOGIN_NOT_ACCEPTING] = { "not_accepting", PGR_PH_LOGIN },
	[PGR_LOGIN_CANNOT_CONNECT_NOW] = { "cannot_connect_now", PGR_PH_LOGIN },
	[PGR_LOGIN_PGBOUNCER_FULL] = { "pgbouncer_full", PGR_PH_LOGIN },
	[PGR_QUERY_TIMEOUT]	= { "timeout", PGR_PH_QUERY },
	[PGR_QUERY_ERROR]	= { "error", PGR_PH_QUERY },
};

const char *
pgr_err_name(enum pgr_err e)
{
	if ((unsigned)e >= PGR_ERR__COUNT)
		return "invalid";
	return err_table[e].name;
}

enum pgr_phase
pgr_err_phase(enum pgr_err e)
{
	if ((unsigned)e >= PGR_ERR__COUNT)
		return PGR_PH__COUNT;
	return err_table[e].phase;
}

int
pgr_err_from_name(enum pgr_phase ph, const char *name)
{
	int e;

	for (e = PGR_OK; e < PGR_ERR__COUNT; e++)
		if (strcmp(err_table[e].name, name) == 0 &&
		    (err_table[e].phase == ph || err_table[e].phase == PGR_PH__COUNT))
			return e;
	return -1;
}

bool
pgr_err_failed(enum pgr_err e)
{
	return e != PGR_PENDING && e != PGR_OK && e != PGR_SKIPPED &&
	    e != PGR_TLS_DISABLED && e < PGR_ERR__COUNT;
}

const char *
pgr_phase_name(enum pgr_phase p)
{
	static const char *names[PGR_PH__COUNT] = {
		"dns", "tcp", "tls", "login", "query"
	};

	return (unsigned)p < PGR_PH__COUNT ? names[p] : "none";
}

static const char *const idle_names[PGR_IDLE__COUNT] = {
	[PGR_IDLE_NONE] = "none", [PGR_IDLE_OK] = "ok",
	[PGR_IDLE_TIMEOUT] = "timeout", [PGR_IDLE_RESET] = "reset",
	[PGR_IDLE_EOF] = "eof", [PGR_IDLE_ERROR] = "error",
};

const char *
pgr_idle_status_name(enum pgr_idle_status s)
{
	return (unsigned)s < PGR_IDLE__COUNT ? idle_names[s] : "invalid";
}

int
pgr_idle_status_from_name(const char *name)
{
	int s;

	for (s = 0; s < PGR_IDLE__COUNT; s++)
		if (strcmp(idle_names[s], name) == 0)
			return s;
	return -1;
}

const char *
pgr_role_name(enum pgr_role r)
{
	return r == PGR_ROLE_PGBOUNCER ? "pgbouncer" : "postgres";
}

const char *
pgr_scope_name(enum pgr_scope s)
{
	static const char *names[] = {
		"private", "public", "loopback", "link_local", "other"
	};

	return (unsigned)s <= PGR_SCOPE_OTHER ? names[s] : "other";
}

/* Overwrite the secret before release: a core dump should not carry it. */
static void
free_secret(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

void
pgr_target_free(struct pgr_target *t)
{
	size_t i;

	free(t->url);
	free(t->source);
	free(t->host);
	free(t->dbname);
	free(t->user);
	free_secret(t->password);
	free(t->sslmode);
	free(t->sslrootcert);
	for (i = 0; i < t->nextra; i++) {
		free(t->extra_keys[i]);
		free_secret(t->extra_vals[i]);
	}
	free(t->extra_keys);
	free(t->extra_vals);
	memset(t, 0, sizeof(*t));
}

static void
target_result_free(struct pgr_target_result *tr)
{
	size_t i;

	free(tr->dns.cnames);
	for (i = 0; i < tr->nattempts; i++) {
		free(tr->attempts[i].tls.cert.chain_pem);
		free(tr->attempts[i].notices);
	}
	free(tr->attempts);
	memset(tr, 0, sizeof(*tr));
}

/* Drop the results of a run, keep the targets for the next. */
void
pgr_report_reset(struct pgr_report *r)
{
	size_t i;

	for (i = 0; r->results != NULL && i < r->ntargets; i++)
		target_result_free(&r->results[i]);
	free(r->results);
	r->results = NULL;
}

void
pgr_report_free(struct pgr_report *r)
{
	size_t i;

	pgr_report_reset(r);
	for (i = 0; i < r->ntargets; i++)
		pgr_target_free(&r->targets[i]);
	free(r->targets);
	for (i = 0; i < (size_t)r->argc; i++)
		free(r->argv[i]);
	free(r->argv);
	memset(r, 0, sizeof(*r));
}

int
pgr_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}
