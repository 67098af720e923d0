/*
 * The secrets of a run, and the one scrubber that keeps them out of every
 * message, report, log and bundle member.
 *
 * The registry holds every secret pgreach knows of: the password of each
 * target (URL userinfo, password=), its sslpassword (the client key's
 * passphrase), PGPASSWORD, the .pgpass entry libpq will use for a target,
 * and whatever a later input adds (AWS keys and session tokens, the
 * exporter's basic-auth passwords: pgr_secrets_add()).  Secrets are added
 * before the probes start, from one thread; scrubbing may run on any
 * number of threads at once.
 *
 * A scrub replaces, wherever it appears:
 *  - each registered secret, raw, percent-encoded in any mix (either hex
 *    case, '+' for a space), backslash-escaped (conninfo's \' and \\, JSON,
 *    shells, escaped twice) or \u00XX-escaped, as lower/upper hex, as its
 *    sha256 in hex, or in base64 (standard or URL-safe, at each of the
 *    three byte alignments, across line breaks);
 *  - whatever follows "password=", "sslpassword=" or "PGPASSWORD=" (any
 *    case, quoted or not, with \' escapes), and "password": "..." in JSON;
 *  - the password of any scheme://user:password@ in the text, even when it
 *    holds an unencoded '/', '?', '#' or '@' (the userinfo ends at the last
 *    '@' of the URL),
 * by REDACTED.  Secrets shorter than PGR_SECRET_MIN bytes are not searched
 * for as such (they would match all over ordinary words and protect
 * nothing); the two structural rules apply whatever the length.
 */
#ifndef PGR_SECRETS_H
#define PGR_SECRETS_H

#include <stdbool.h>
#include <stddef.h>

#define PGR_REDACTED	"REDACTED"
#define PGR_SECRET_MIN	4

/* Register one secret (NUL-terminated, or len bytes): 0, or -1 out of memory. */
int	pgr_secrets_add(const char *secret);
int	pgr_secrets_add_len(const char *secret, size_t len);

/*
 * Register the secrets written in a target string or a command-line
 * argument: a URL's userinfo password (as written and percent-decoded, as
 * libpq splits it and as the user meant it), password= and sslpassword=
 * values (URL query or key=value, quoted with \' escapes or not).
 */
int	pgr_secrets_add_from(const char *text);

/* PGPASSWORD from the environment. */
int	pgr_secrets_add_env(void);

/*
 * The password of the .pgpass entry libpq would use for this connection
 * (passfile, else PGPASSFILE, else ~/.pgpass; host:port:db:user:password,
 * '*' wildcards, \: and \\ escapes, first match).  NULL dbname or user
 * take libpq's defaults (PGDATABASE, PGUSER, the login name).  0 also when
 * there is no file or no entry.
 */
int	pgr_secrets_add_pgpass(const char *passfile, const char *host, int port,
	    const char *dbname, const char *user);

/* How many secrets are registered. */
size_t	pgr_secrets_count(void);

/* Wipe and forget every registered secret. */
void	pgr_secrets_clear(void);

/*
 * Scrub the NUL-terminated text in buf (capacity cap) in place, cutting
 * the result to cap - 1 bytes.  The whole text is scrubbed before it is
 * cut, so no prefix of a secret survives at the cut.
 */
void	pgr_secrets_scrub(char *buf, size_t cap);

/*
 * The same, plus the secrets written in raw (a target or argument the
 * message may echo, as pgr_secrets_add_from() finds them, without
 * registering them) and any "quoted" word of the message that is a piece
 * of one of them (libpq quotes the token it could not parse: a password
 * with an unencoded '/' comes back as the "port").  raw may be NULL.
 */
void	pgr_secrets_scrub_from(const char *raw, char *buf, size_t cap);

/*
 * Scrub len bytes at *data (binary safe), replacing the buffer when
 * anything changed (the old one is wiped).  The number of replacements,
 * or -1 out of memory (*data unchanged).
 */
long	pgr_secrets_scrub_buf(char **data, size_t *len);

/*
 * Overwrite, in place and keeping its length, every password written in
 * text (URL userinfo, password=, sslpassword=, PGPASSWORD=) with 'x': for
 * argv, which /proc/PID/cmdline shows to every user for the whole run.
 */
void	pgr_secrets_mask(char *text);

/* A scrubbed copy of s, or NULL out of memory. */
char	*pgr_secrets_scrub_dup(const char *s);

/*
 * Text the server or the DNS controls, made fit for a terminal, a log or a
 * report line: scrubbed (registry, and extra if not NULL), then every
 * control character escaped visibly (\x1b, \n, \r, \t), C1 controls and
 * bidirectional overrides as \u202e, bytes that are not UTF-8 as \xff, all
 * on one line, cut to cap - 1 bytes at a character boundary.
 */
void	pgr_secrets_clean(char *dst, size_t cap, const char *src,
	    const char *extra);

/* Only the escaping of pgr_secrets_clean(): src is n bytes. */
void	pgr_text_escape(char *dst, size_t cap, const char *src, size_t n);

#endif
