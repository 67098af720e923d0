/*
 * The Heroku CLI's output: heroku data:privatelink (text) and heroku config
 * (text, shell or JSON), into the evidence model (report/evidence.h).
 */
#include "report/buf.h"
#include "report/evidence.h"
#include "report/evidence_parse.h"
#include "util/utf8.h"
#include "report/endpoint.h"
#include "util/secrets.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>



/* ------------------------------------------------------------------ */
/* Database URLs in config vars */

/*
 * Which database URL a config var holds, and its <ID>, following the
 * names Heroku gives PrivateLink endpoint attachments.
 */
static bool
dburl_key(const char *key, enum pgr_dburl_kind *kind, char **endpoint,
    bool *oom)
{
	static const char pre[] = "DATABASE_ENDPOINT_";
	static const char pgb[] = "_PGBOUNCER_URL";
	static const char url[] = "_URL";
	size_t len = strlen(key), idlen;

	*endpoint = NULL;
	if (strcmp(key, "DATABASE_URL") == 0) {
		*kind = PGR_DBURL_DATABASE;
		return true;
	}
	if (strncmp(key, pre, sizeof(pre) - 1) != 0)
		return false;
	if (len > sizeof(pre) - 1 + sizeof(pgb) - 1 &&
	    strcmp(key + len - (sizeof(pgb) - 1), pgb) == 0) {
		*kind = PGR_DBURL_ENDPOINT_PGBOUNCER;
		idlen = len - (sizeof(pre) - 1) - (sizeof(pgb) - 1);
	} else if (len > sizeof(pre) - 1 + sizeof(url) - 1 &&
	    strcmp(key + len - (sizeof(url) - 1), url) == 0) {
		*kind = PGR_DBURL_ENDPOINT;
		idlen = len - (sizeof(pre) - 1) - (sizeof(url) - 1);
	} else
		return false;
	if ((*endpoint = strndup(key + sizeof(pre) - 1, idlen)) == NULL)
		*oom = true;
	return true;
}

/*
 * The URL without its password or query string (which may carry
 * password=...): postgres://user:REDACTED@host:5432/db.  The userinfo ends
 * at the last '@' anywhere, not at the first '/', '?' or '#': a password
 * with one of those unencoded must still not show.  At worst the host is
 * hidden too.
 */
static char *
redact_url(const char *url)
{
	struct pgr_buf b = { 0 };
	const char *auth, *at, *colon, *q;

	if ((auth = strstr(url, "://")) == NULL)
		return strdup(REDACTED);
	auth += 3;
	pgr_buf_add(&b, url, (size_t)(auth - url));
	if ((at = strrchr(auth, '@')) != NULL) {
		colon = memchr(auth, ':', (size_t)(at - auth));
		pgr_buf_add(&b, auth, (size_t)((colon ? colon : at) - auth));
		if (colon != NULL)
			pgr_buf_puts(&b, ":" REDACTED);
		pgr_buf_puts(&b, "@");
		auth = at + 1;
	}
	if ((q = strpbrk(auth, "?#")) == NULL)
		pgr_buf_puts(&b, auth);
	else {
		pgr_buf_add(&b, auth, (size_t)(q - auth));
		pgr_buf_puts(&b, "?" REDACTED);
	}
	return pgr_buf_take(&b);
}

/*
 * Record one config var: count it, keep it if it is a database URL, and
 * write its redacted line to the bundle copy.
 */
static bool
config_var(struct pgr_ev_heroku_config *c, struct pgr_buf *out, const char *key,
    const char *value)
{
	struct pgr_ev_dburl u;
	bool oom = false;

	c->nvars++;
	memset(&u, 0, sizeof(u));
	pgr_buf_puts(out, key);
	pgr_buf_puts(out, ": ");
	if (!dburl_key(key, &u.kind, &u.endpoint, &oom)) {
		pgr_buf_puts(out, *value ? REDACTED : "");
		pgr_buf_puts(out, "\n");
		return !out->oom;
	}
	u.key = strdup(key);
	u.url = pgr_secrets_add_from(value) == 0 ? strdup(value) : NULL;
	u.redacted = redact_url(value);
	if (oom || u.key == NULL || u.url == NULL || u.redacted == NULL ||
	    !pgr_ev_push(&c->urls, &c->nurls, sizeof(u), &u)) {
		pgr_ev_dburl_free(&u);
		return false;
	}
	pgr_buf_puts(out, u.redacted);
	pgr_buf_puts(out, "\n");
	return !out->oom;
}

/* ------------------------------------------------------------------ */
/* heroku config --json */

static bool
is_db_key(const char *key)
{
	enum pgr_dburl_kind kind;
	char *id = NULL;
	bool oom = false, yes;

	yes = dburl_key(key, &kind, &id, &oom);
	free(id);
	return yes;
}

/* {"KEY": "value", ...} with at least one database URL among the keys. */
bool
pgr_ev_looks_like_config_json(json_t *root)
{
	const char *key;
	json_t *v;
	bool db = false;

	if (!json_is_object(root) || json_object_size(root) == 0)
		return false;
	json_object_foreach(root, key, v) {
		if (!json_is_string(v) || !pgr_ev_is_var_name(key, strlen(key)))
			return false;
		if (is_db_key(key))
			db = true;
	}
	return db;
}

int
pgr_ev_parse_config_json(json_t *root, struct pgr_evidence_item *it, struct pgr_buf *out,
    const char *name, char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	it->type = PGR_EV_HEROKU_CONFIG;
	json_object_foreach(root, key, v) {
		if (!config_var(&it->u.config, out, key, json_string_value(v)))
			return pgr_fail(err, errlen, "%s: out of memory", name);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Text: heroku data:privatelink */

enum pl_section {
	PL_MAIN,
	PL_ACCOUNTS,
	PL_CONNECTIONS
};

struct pl_state {
	struct pgr_ev_privatelink *pl;
	enum pl_section section;
	bool	seen;			/* something only this output has */
	bool	oom;
};

#define PL_MAXTOK	8

/*
 * Split a table row on blanks and on the column rules the CLI may draw,
 * ASCII '|' or box-drawing U+2502 (E2 94 82).  Tokens point into row.
 */
static size_t
tokens(char *row, char *tok[PL_MAXTOK])
{
	size_t n = 0;
	char *p = row;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '|' ||
		    (p[0] == '\xe2' && p[1] == '\x94' && p[2] == '\x82')) {
			if (*p == '\xe2') {
				*p = '\0';
				p += 3;
			} else
				*p++ = '\0';
		}
		if (*p == '\0' || n == PL_MAXTOK)
			return n;
		tok[n++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '|' &&
		    !(p[0] == '\xe2' && p[1] == '\x94' && p[2] == '\x82'))
			p++;
	}
}

static bool
has_alnum(const char *s)
{
	for (; *s != '\0'; s++)
		if (isalnum((unsigned char)*s))
			return true;
	return false;
}

static void
pl_set(char **dst, const char *src, bool *oom)
{
	free(*dst);
	if ((*dst = strdup(src)) == NULL)
		*oom = true;
}

/* The 12-digit account of arn:aws:iam::123456789012:root, or of a bare id. */
static void
account_of(const char *arn, char out[13])
{
	const char *p = arn;
	size_t i;

	out[0] = '\0';
	if (strncmp(p, "arn:", 4) == 0) {
		for (i = 0; i < 4 && p != NULL; i++)
			if ((p = strchr(p, ':')) != NULL)
				p++;
		if (p == NULL)
			return;
	}
	if (strspn(p, "0123456789") == 12 && (p[12] == '\0' || p[12] == ':'))
		snprintf(out, 13, "%.12s", p);
}

static void
pl_account_row(struct pl_state *st, char **tok, size_t n)
{
	struct pgr_pl_account a;

	memset(&a, 0, sizeof(a));
	account_of(tok[0], a.account_id);
	if (strncmp(tok[0], "arn:", 4) != 0 && a.account_id[0] == '\0')
		return;
	a.arn = strdup(tok[0]);
	if (n > 1) {
		a.status_raw = strdup(tok[n - 1]);
		if (a.status_raw == NULL)
			st->oom = true;
		else if (strcasecmp(a.status_raw, "Active") == 0)
			a.status = PGR_PL_ACCOUNT_ACTIVE;
		else if (strcasecmp(a.status_raw, "Pending") == 0)
			a.status = PGR_PL_ACCOUNT_PENDING;
	}
	if (a.arn == NULL || st->oom || !pgr_ev_push(&st->pl->accounts,
	    &st->pl->naccounts, sizeof(a), &a)) {
		free(a.arn);
		free(a.status_raw);
		st->oom = true;
	}
	st->seen = true;
}

static void
pl_connection_row(struct pl_state *st, char **tok, size_t n)
{
	struct pgr_pl_connection c;
	struct pgr_buf status = { 0 };
	size_t i = 1;
	bool oom = false;

	if (strncasecmp(tok[0], "vpce-", 5) != 0)
		return;
	st->seen = true;
	memset(&c, 0, sizeof(c));
	if ((c.endpoint_id = strdup(tok[0])) == NULL)
		oom = true;
	if (n > 1 && strncmp(tok[1], "arn:", 4) == 0) {
		account_of(tok[1], c.owner_account);
		if ((c.owner_arn = strdup(tok[i++])) == NULL)
			oom = true;
	}
	/* The status may be two words: "Pending Acceptance". */
	for (; i < n; i++) {
		pgr_buf_puts(&status, tok[i]);
		if (i + 1 < n)
			pgr_buf_puts(&status, " ");
	}
	if (status.oom)
		oom = true;
	else if (status.p != NULL)
		c.status_raw = pgr_buf_take(&status);
	pgr_buf_wipe(&status);
	c.state = pgr_vpce_state_parse(c.status_raw);
	if (oom || !pgr_ev_push(&st->pl->connections, &st->pl->nconnections,
	    sizeof(c), &c)) {
		free(c.endpoint_id);
		free(c.owner_arn);
		free(c.status_raw);
		st->oom = true;
	}
}

static void
pl_header(struct pl_state *st, const char *title)
{
	static const char pre[] = "privatelink endpoint status for ";

	if (strcasestr(title, "Accounts") != NULL) {
		st->section = PL_ACCOUNTS;
		st->seen = true;
	} else if (strcasestr(title, "Connections") != NULL ||
	    strcasestr(title, "Endpoints") != NULL) {
		st->section = PL_CONNECTIONS;
		st->seen = true;
	} else {
		st->section = PL_MAIN;
		if (strncasecmp(title, pre, sizeof(pre) - 1) == 0)
			title += sizeof(pre) - 1;
		if (st->pl->database == NULL && *title != '\0')
			pl_set(&st->pl->database, title, &st->oom);
	}
}

static void
pl_status(struct pl_state *st, const char *value)
{
	pl_set(&st->pl->status_raw, value, &st->oom);
	/* The service is up: "Operational" (and "Available", as some say it). */
	if (strcasecmp(value, "Operational") == 0 || strcasecmp(value, "Available") == 0)
		st->pl->status = PGR_PL_OPERATIONAL;
	else if (strcasecmp(value, "Provisioning") == 0)
		st->pl->status = PGR_PL_PROVISIONING;
	else
		st->pl->status = PGR_PL_UNKNOWN;
}

/* "Service Name: ..." and "Status: ..." of the styled object. */
static bool
pl_field(struct pl_state *st, const char *line)
{
	const char *colon = strchr(line, ':'), *v;
	size_t klen;

	if (colon == NULL)
		return false;
	klen = (size_t)(colon - line);
	v = pgr_ev_skip_blanks(colon + 1);
	if (klen == 12 && strncasecmp(line, "Service Name", 12) == 0) {
		st->seen = true;
		/* The plugin prints "Provisioning" until the service exists. */
		if (strcasecmp(v, "Provisioning") != 0 && *v != '\0') {
			pl_set(&st->pl->service_name, v, &st->oom);
			pgr_endpoint_region_from_service(v, st->pl->region,
			    sizeof(st->pl->region));
		}
		return true;
	}
	if (klen == 6 && strncasecmp(line, "Status", 6) == 0) {
		pl_status(st, v);
		return true;
	}
	return false;
}

/* "The privatelink endpoint is now being provisioned for <db>." */
static bool
pl_provisioning(struct pl_state *st, const char *line)
{
	static const char pre[] = "being provisioned for ";
	const char *p = strcasestr(line, pre);
	size_t n;

	if (p == NULL || strcasestr(line, "privatelink") == NULL)
		return false;
	p += sizeof(pre) - 1;
	n = strcspn(p, " ");
	while (n > 0 && p[n - 1] == '.')
		n--;
	st->seen = true;
	pl_status(st, "Provisioning");
	if (n > 0 && st->pl->database == NULL &&
	    (st->pl->database = strndup(p, n)) == NULL)
		st->oom = true;
	return true;
}

static void
pl_line(struct pl_state *st, char *line)
{
	char *tok[PL_MAXTOK];
	const char *title;
	size_t n;

	if ((title = pgr_ev_header_title(line)) != NULL) {
		pl_header(st, title);
		return;
	}
	line = (char *)pgr_ev_skip_blanks(line);
	if (*line == '\0' || !has_alnum(line) || pl_provisioning(st, line))
		return;
	if (st->section == PL_MAIN && pl_field(st, line))
		return;
	n = tokens(line, tok);
	if (n == 0)
		return;
	/* Column headers; they also tell a bare access table apart. */
	if (n >= 2 && strcasecmp(tok[0], "ARN") == 0) {
		st->section = PL_ACCOUNTS;
		return;
	}
	if (n >= 2 && strcasecmp(tok[0], "Endpoint") == 0) {
		st->section = PL_CONNECTIONS;
		return;
	}
	if (st->section == PL_ACCOUNTS)
		pl_account_row(st, tok, n);
	else if (st->section == PL_CONNECTIONS)
		pl_connection_row(st, tok, n);
}

/* 1 parsed, 0 not this type, -1 out of memory. */
int
pgr_ev_parse_privatelink(struct pgr_ev_text *t, struct pgr_evidence_item *it)
{
	struct pl_state st;
	size_t i;

	memset(&st, 0, sizeof(st));
	st.pl = &it->u.privatelink;
	it->type = PGR_EV_PRIVATELINK;
	for (i = 0; i < t->n && !st.oom; i++)
		pl_line(&st, t->line[i]);
	if (st.oom)
		return -1;
	return st.seen ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* Text: heroku config */

/*
 * Append the shell-quoted word at *pp to b, as sh would read it; stops at
 * an unquoted blank or the end of the line.  *quote carries an open quote
 * across lines (a multi-line value); 0 when none is open.
 */
static void
shell_word(const char **pp, struct pgr_buf *b, char *quote)
{
	const char *p = *pp;

	for (; *p != '\0'; p++) {
		if (*quote == '\'') {
			if (*p == '\'')
				*quote = 0;
			else
				pgr_buf_add(b, p, 1);
		} else if (*quote == '"') {
			if (*p == '"')
				*quote = 0;
			else if (*p == '\\' && strchr("\"\\$`", p[1]) != NULL &&
			    p[1] != '\0')
				pgr_buf_add(b, ++p, 1);
			else
				pgr_buf_add(b, p, 1);
		} else if (*p == '\'' || *p == '"')
			*quote = *p;
		else if (*p == '\\' && p[1] != '\0')
			pgr_buf_add(b, ++p, 1);
		else if (*p == ' ' || *p == '\t')
			break;
		else
			pgr_buf_add(b, p, 1);
	}
	*pp = p;
}

struct cfg_state {
	struct pgr_ev_heroku_config *c;
	struct pgr_buf *out;
	bool	header;
	size_t	unknown;		/* lines that are neither var nor header */
	bool	oom;
};

/*
 * One "KEY: value" or "[export ]KEY=value" line; with --shell a quoted
 * value may go on over the next lines.  Returns the lines consumed.
 */
static size_t
cfg_var(struct cfg_state *st, struct pgr_ev_text *t, size_t i)
{
	const char *line = pgr_ev_skip_blanks(t->line[i]), *p;
	struct pgr_buf v = { 0 };
	char key[256], quote = 0;
	size_t klen, used = 1;

	if (strncmp(line, "export ", 7) == 0)
		line = pgr_ev_skip_blanks(line + 7);
	klen = strspn(line, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_");
	if (!pgr_ev_is_var_name(line, klen) || klen >= sizeof(key) ||
	    (line[klen] != ':' && line[klen] != '=')) {
		st->unknown++;
		return 1;
	}
	memcpy(key, line, klen);
	key[klen] = '\0';
	p = line + klen + 1;
	if (line[klen] == ':')
		pgr_buf_puts(&v, pgr_ev_skip_blanks(p));
	else {
		shell_word(&p, &v, &quote);
		while (quote != 0 && i + used < t->n) {
			pgr_buf_puts(&v, "\n");
			p = t->line[i + used++];
			shell_word(&p, &v, &quote);
		}
	}
	if (v.oom || !config_var(st->c, st->out, key, v.p ? v.p : ""))
		st->oom = true;
	pgr_buf_wipe(&v);
	return used;
}

/* "<app> Config Vars" */
static void
config_app(struct pgr_ev_heroku_config *c, const char *title, bool *oom)
{
	size_t n = strlen(title) - strlen("Config Vars");

	while (n > 0 && (title[n - 1] == ' ' || title[n - 1] == '\t'))
		n--;
	if (c->app != NULL || n == 0)
		return;
	if ((c->app = strndup(title, n)) == NULL)
		*oom = true;
}

/* 1 parsed, 0 not this type, -1 out of memory. */
int
pgr_ev_parse_config_text(struct pgr_ev_text *t, struct pgr_evidence_item *it,
    struct pgr_buf *out)
{
	struct cfg_state st;
	const char *title;
	size_t i = 0;

	memset(&st, 0, sizeof(st));
	st.c = &it->u.config;
	st.out = out;
	it->type = PGR_EV_HEROKU_CONFIG;
	while (i < t->n && !st.oom) {
		title = pgr_ev_header_title(t->line[i]);
		if (title != NULL && pgr_ev_ends_with_ci(title, "Config Vars")) {
			st.header = true;
			config_app(st.c, title, &st.oom);
			i++;
		} else if (*t->line[i] == '\0')
			i++;
		else if (*t->line[i] == ' ' || *t->line[i] == '\t')
			i++;	/* the rest of a multi-line value */
		else
			i += cfg_var(&st, t, i);
	}
	if (st.oom)
		return -1;
	/* Without the header, every line must be a variable. */
	if (!st.header && (st.unknown > 0 || st.c->nvars == 0))
		return 0;
	return 1;
}

