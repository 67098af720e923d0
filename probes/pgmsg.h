/*
 * libpq and server messages turned into codes.  libpq reports connection
 * failures only as text; with PQERRORS_VERBOSE the server's SQLSTATE is in
 * it ("FATAL:  28P01: password authentication failed ...").  PgBouncer
 * sends most of its own errors as 08P01, so its message decides.
 */
#ifndef PGR_PGMSG_H
#define PGR_PGMSG_H

#include <stddef.h>

#include "probes/result.h"

/*
 * Split a libpq error message into the server's SQLSTATE (or "") and its
 * primary message (or libpq's own first line), cleaned with
 * pgr_secrets_clean(): every secret of the run, and secret if not NULL,
 * replaced by REDACTED, control characters escaped.
 */
void	pgr_pgmsg_parse(const char *msg, const char *secret, char sqlstate[6],
	    char *text, size_t textlen);

enum pgr_err pgr_pgmsg_login_code(const char *sqlstate, const char *text);
enum pgr_err pgr_pgmsg_tls_code(const char *text);

#endif
