#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probes/pgmsg.h"
#include "util/secrets.h"

static bool
is_sqlstate(const char *p)
{
	int i;

	for (i = 0; i < 5; i++)
		if (!isdigit((unsigned char)p[i]) && !isupper((unsigned char)p[i]))
			return false;
	return p[5] == ':';
}

void
pgr_pgmsg_parse(const char *msg, const char *secret, char sqlstate[6],
    char *text, size_t textlen)
{
	static const char *const sev[] = { "FATAL:  ", "ERROR:  ", "PANIC:  ", NULL };
	const char *p = NULL, *start;
	char *line;
	size_t i, n;

	sqlstate[0] = '\0';
	text[0] = '\0';
	if (msg == NULL)
		return;
	for (i = 0; sev[i] != NULL && p == NULL; i++)
		if ((p = strstr(msg, sev[i])) != NULL)
			p += strlen(sev[i]);
	if (p != NULL && is_sqlstate(p)) {
		memcpy(sqlstate, p, 5);
		sqlstate[5] = '\0';
		p += 6;
		while (*p == ' ')
			p++;
	}
	start = p != NULL ? p : msg;
	/* libpq prefixes "connection to server at ... failed: "; keep the cause. */
	if (p == NULL && (p = strstr(msg, " failed: ")) != NULL)
		start = p + strlen(" failed: ");
	n = strcspn(start, "\n");
	/*
	 * The server wrote this line: scrubbed of every secret of the run,
	 * whole, before it is escaped for a terminal and cut to size, so that
	 * no prefix of a secret survives at the cut.
	 */
	line = strndup(start, n);
	if (line == NULL) {
		snprintf(text, textlen, "(message dropped: out of memory)");
		return;
	}
	pgr_secrets_clean(text, textlen, line, secret);
	explicit_bzero(line, n);
	free(line);
}

struct login_rule {
	const char	*sqlstate;	/* NULL: any */
	const char	*needle;	/* NULL: any; matched case-insensitively */
	enum pgr_err	 code;
};

/* Top to bottom, first match wins. */
static const struct login_rule login_rules[] = {
	{ "28P01", NULL, PGR_LOGIN_AUTH },
	{ "28000", NULL, PGR_LOGIN_AUTH },
	{ "3D000", NULL, PGR_LOGIN_DATABASE },
	{ "53300", NULL, PGR_LOGIN_CAPACITY },
	{ "53400", NULL, PGR_LOGIN_CAPACITY },
	{ "55000", NULL, PGR_LOGIN_NOT_ACCEPTING },
	{ "57P03", NULL, PGR_LOGIN_CANNOT_CONNECT_NOW },
	/*
	 * PgBouncer's own refusals (sent as 08P01, or without a code): its
	 * client limit is its own, not the server's.
	 */
	{ NULL, "no more connections allowed", PGR_LOGIN_PGBOUNCER_FULL },
	{ NULL, "max_client_conn", PGR_LOGIN_PGBOUNCER_FULL },
	/* The server's refusals that PgBouncer relays under 08P01. */
	{ NULL, "is not currently accepting connections", PGR_LOGIN_NOT_ACCEPTING },
	{ NULL, "the database system is starting up", PGR_LOGIN_CANNOT_CONNECT_NOW },
	{ NULL, "the database system is shutting down", PGR_LOGIN_CANNOT_CONNECT_NOW },
	{ NULL, "the database system is in recovery mode", PGR_LOGIN_CANNOT_CONNECT_NOW },
	{ NULL, "the database system is not yet accepting connections", PGR_LOGIN_CANNOT_CONNECT_NOW },
	{ NULL, "the database system is not accepting connections", PGR_LOGIN_CANNOT_CONNECT_NOW },
	{ NULL, "too many connections", PGR_LOGIN_CAPACITY },
	{ NULL, "query_wait_timeout", PGR_LOGIN_CAPACITY },
	{ NULL, "no such database", PGR_LOGIN_DATABASE },
	{ NULL, "does not exist", PGR_LOGIN_DATABASE },
	{ NULL, "password authentication failed", PGR_LOGIN_AUTH },
	{ NULL, "SASL authentication failed", PGR_LOGIN_AUTH },
	{ NULL, "no password supplied", PGR_LOGIN_AUTH },
	{ NULL, "password is required", PGR_LOGIN_AUTH },
	{ NULL, "server closed the connection", PGR_LOGIN_CLOSED },
	{ NULL, "connection has been closed", PGR_LOGIN_CLOSED },
	{ NULL, "EOF detected", PGR_LOGIN_CLOSED },
	{ NULL, "Connection reset by peer", PGR_LOGIN_CLOSED },
	{ NULL, NULL, PGR_LOGIN_ERROR },
};

enum pgr_err
pgr_pgmsg_login_code(const char *sqlstate, const char *text)
{
	const struct login_rule *r;

	for (r = login_rules; ; r++) {
		if (r->sqlstate != NULL &&
		    (sqlstate == NULL || strcmp(r->sqlstate, sqlstate) != 0))
			continue;
		if (r->needle != NULL &&
		    (text == NULL || strcasestr(text, r->needle) == NULL))
			continue;
		return r->code;
	}
}

static const struct {
	const char	*needle;
	enum pgr_err	 code;
} tls_rules[] = {
	{ "does not support SSL", PGR_TLS_NOT_OFFERED },
	{ "server closed the connection", PGR_TLS_CLOSED },
	{ "connection has been closed", PGR_TLS_CLOSED },
	{ "EOF detected", PGR_TLS_CLOSED },
	{ "Connection reset by peer", PGR_TLS_CLOSED },
	{ "unexpected eof", PGR_TLS_CLOSED },
	{ NULL, PGR_TLS_HANDSHAKE },
};

enum pgr_err
pgr_pgmsg_tls_code(const char *text)
{
	size_t i;

	for (i = 0; tls_rules[i].needle != NULL; i++)
		if (text != NULL && strcasestr(text, tls_rules[i].needle) != NULL)
			return tls_rules[i].code;
	return PGR_TLS_HANDSHAKE;
}
