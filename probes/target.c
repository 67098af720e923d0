/*
 * Target parsing.  libpq's own PQconninfoParse() does the work: it knows
 * both URL and key=value syntax, percent-decoding, IPv6 literals and query
 * parameters exactly as the connection will later read them.  What it does
 * not do is keep secrets out of its error messages, so those are scrubbed,
 * and every secret a target carries or implies joins the run's registry
 * (util/secrets.h) before anything can print it.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <libpq-fe.h>

#include "probes/target.h"
#include "util/secrets.h"

/* Parameters pgreach sets itself, or that would undo its probing. */
static const char *const owned_keys[] = {
	"host", "hostaddr", "port", "dbname", "user", "password",
	"sslmode", "sslrootcert", "connect_timeout", "application_name",
	"gssencmode", NULL
};

static bool
is_owned_key(const char *k)
{
	size_t i;

	for (i = 0; owned_keys[i] != NULL; i++)
		if (strcmp(k, owned_keys[i]) == 0)
			return true;
	return false;
}

static char *
strdup_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? strdup(s) : NULL;
}

int
pgr_parse_long(const char *s, long *out, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static bool
has_control_bytes(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 && *s != '\t')
			return true;
	return false;
}

static int
add_extra(struct pgr_target *t, const char *k, const char *v)
{
	char **keys, **vals;

	keys = realloc(t->extra_keys, (t->nextra + 1) * sizeof(*keys));
	if (keys == NULL)
		return -1;
	t->extra_keys = keys;
	vals = realloc(t->extra_vals, (t->nextra + 1) * sizeof(*vals));
	if (vals == NULL)
		return -1;
	t->extra_vals = vals;
	keys[t->nextra] = strdup(k);
	vals[t->nextra] = strdup(v);
	if (keys[t->nextra] == NULL || vals[t->nextra] == NULL) {
		free(keys[t->nextra]);
		free(vals[t->nextra]);
		return -1;
	}
	t->nextra++;
	return 0;
}

/*
 * libpq reads these files itself, with blocking I/O, inside
 * PQconnectPoll(): a FIFO or a terminal named here would hold the whole run
 * past its deadline.  A missing file is libpq's to report.
 */
static const char *const file_keys[] = {
	"sslrootcert", "sslcert", "sslkey", "sslcrl", "passfile", NULL
};

static int
check_file(const char *key, const char *path, char *err, size_t errlen)
{
	struct stat st;
	size_t i;

	for (i = 0; file_keys[i] != NULL; i++)
		if (strcmp(key, file_keys[i]) == 0)
			break;
	if (file_keys[i] == NULL || path[0] == '\0' || stat(path, &st) != 0 ||
	    S_ISREG(st.st_mode))
		return 0;
	snprintf(err, errlen, "%s \"%.200s\" is not a regular file", key, path);
	return -1;
}

/*
 * A host is an IP literal or a DNS name: letters, digits, '-' and '_' in
 * labels of 1 to 63 bytes, 253 in all (RFC 1035).  libpq has already
 * percent-decoded the URL, so "%0a" or non-ASCII bytes arrive here; sent to
 * the resolver they would come back diagnosed as a DNS fault.
 */
static bool
valid_host(const char *h)
{
	unsigned char a[sizeof(struct in6_addr)];
	size_t len = strlen(h), label = 0, i;

	if (inet_pton(AF_INET, h, a) == 1 || inet_pton(AF_INET6, h, a) == 1)
		return true;
	if (len > 0 && h[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return false;
	for (i = 0; i < len; i++) {
		char c = h[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_') {
			if (++label > 63)
				return false;
		} else
			return false;
	}
	return label > 0;
}

/*
 * An '@' in a user name or password must be written %40.  Unencoded,
 * libpq ends the user info at the first '@' and takes the rest of the
 * password for the host name, which would then be sent to the resolver
 * and printed in the report.
 */
static bool
several_at(const char *s)
{
	const char *p, *end;
	int n = 0;

	if (strncmp(s, "postgres://", 11) != 0 &&
	    strncmp(s, "postgresql://", 13) != 0)
		return false;
	p = strstr(s, "://") + 3;
	for (end = p + strcspn(p, "/?#"); p < end; p++)
		n += *p == '@';
	return n > 1;
}

bool
pgr_sslmode_valid(const char *m)
{
	static const char *const modes[] = { "disable", "allow", "prefer",
	    "require", "verify-ca", "verify-full", NULL };
	size_t i;

	for (i = 0; modes[i] != NULL; i++)
		if (strcmp(m, modes[i]) == 0)
			return true;
	return false;
}

/* Copy libpq's parsed options into the target; -1 with err on a bad value. */
/*
 * "http://..." and the like: a URL, but not one libpq reads (it would call
 * it a key=value string with no "=").  The scheme, up to 20 letters, in out.
 */
static bool
other_scheme(const char *s, char *out, size_t len)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");

	if (n == 0 || n > 20 || strncmp(s + n, "://", 3) != 0)
		return false;
	if ((n == 8 && strncasecmp(s, "postgres", 8) == 0) ||
	    (n == 10 && strncasecmp(s, "postgresql", 10) == 0))
		return false;
	snprintf(out, len, "%.*s", (int)n, s);
	return true;
}

static int
fill_target(struct pgr_target *t, PQconninfoOption *opts, char *err,
    size_t errlen)
{
	const char *port = NULL, *hostaddr = NULL;
	long l;
	PQconninfoOption *o;

	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL)
			continue;
		if (check_file(o->keyword, o->val, err, errlen) != 0)
			return -1;
		if (strcmp(o->keyword, "host") == 0)
			t->host = strdup_or_null(o->val);
		else if (strcmp(o->keyword, "hostaddr") == 0)
			hostaddr = o->val;
		else if (strcmp(o->keyword, "port") == 0)
			port = o->val;
		else if (strcmp(o->keyword, "dbname") == 0)
			t->dbname = strdup_or_null(o->val);
		else if (strcmp(o->keyword, "user") == 0)
			t->user = strdup_or_null(o->val);
		else if (strcmp(o->keyword, "password") == 0)
			t->password = strdup(o->val);
		else if (strcmp(o->keyword, "sslmode") == 0)
			t->sslmode = strdup_or_null(o->val);
		else if (strcmp(o->keyword, "sslrootcert") == 0)
			t->sslrootcert = strdup_or_null(o->val);
		else if (!is_owned_key(o->keyword) &&
		    add_extra(t, o->keyword, o->val) != 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	/* A hostaddr alone names the address to probe; libpq allows it. */
	if (t->host == NULL && hostaddr != NULL && hostaddr[0] != '\0')
		t->host = strdup(hostaddr);
	if (t->host == NULL && getenv("PGHOST") != NULL && getenv("PGHOST")[0] != '/')
		t->host = strdup(getenv("PGHOST"));
	if (t->host == NULL) {
		snprintf(err, errlen, "no host: a PrivateLink target needs the endpoint's DNS name");
		return -1;
	}
	if (strchr(t->host, ',') != NULL) {
		snprintf(err, errlen, "several hosts in one target are not supported; give each as its own target");
		return -1;
	}
	if (t->host[0] == '/') {
		snprintf(err, errlen, "a Unix-domain socket (%s) cannot be a PrivateLink endpoint", t->host);
		return -1;
	}
	if (t->sslmode != NULL && !pgr_sslmode_valid(t->sslmode)) {
		snprintf(err, errlen, "invalid sslmode \"%.20s\": expected disable, allow, prefer, require, verify-ca or verify-full",
		    has_control_bytes(t->sslmode) ? "?" : t->sslmode);
		return -1;
	}
	if (!valid_host(t->host)) {
		char shown[72];
		size_t i;

		snprintf(shown, sizeof(shown), "%s", t->host);
		for (i = 0; shown[i] != '\0'; i++)
			if ((unsigned char)shown[i] < 0x20 || (unsigned char)shown[i] >= 0x7f)
				shown[i] = '?';
		snprintf(err, errlen, "invalid host \"%s\": expected a DNS name or an IP address", shown);
		return -1;
	}
	if (port == NULL || port[0] == '\0')
		port = getenv("PGPORT");
	if (port == NULL || port[0] == '\0')
		t->port = PGR_PORT_POSTGRES;
	else if (pgr_parse_long(port, &l, 1, 65535) != 0) {
		snprintf(err, errlen, "invalid port \"%.32s\": expected a number from 1 to 65535", port);
		return -1;
	} else
		t->port = (int)l;
	return 0;
}

/*
 * The secrets libpq will use for this target: its password, the client
 * key's passphrase, and, when libpq has no password, the .pgpass entry it
 * will find.  libpq 15 reads the file only when the password it was given,
 * or else PGPASSWORD, is empty (connectOptions2()); the file and the user
 * database (NSS: ~0.5 ms before the first packet) are not read otherwise.
 * PGPASSWORD is main()'s to add.
 */
static int
register_secrets(const struct pgr_target *t)
{
	const char *passfile = NULL, *pw = t->password;
	size_t i;
	int rc = pgr_secrets_add(t->password);

	for (i = 0; i < t->nextra; i++) {
		if (strcmp(t->extra_keys[i], "sslpassword") == 0 &&
		    pgr_secrets_add(t->extra_vals[i]) != 0)
			rc = -1;
		if (strcmp(t->extra_keys[i], "passfile") == 0)
			passfile = t->extra_vals[i];
	}
	if (pw == NULL)
		pw = getenv("PGPASSWORD");
	if ((pw == NULL || pw[0] == '\0') && pgr_secrets_add_pgpass(passfile, t->host,
	    t->port, t->dbname, t->user) != 0)
		rc = -1;
	return rc;
}

int
pgr_target_parse(const char *s, const char *source, enum pgr_role role,
    struct pgr_target *out, char *err, size_t errlen)
{
	char scheme[24];
	PQconninfoOption *opts;
	char *perr = NULL;

	memset(out, 0, sizeof(*out));
	out->sibling_of = -1;
	if (strlen(s) > PGR_TARGET_MAX_LEN) {
		snprintf(err, errlen, "%s: target is longer than %d bytes", source, PGR_TARGET_MAX_LEN);
		return -1;
	}
	if (has_control_bytes(s)) {
		snprintf(err, errlen, "%s: target contains control characters", source);
		return -1;
	}
	if (s[0] == '\0') {
		snprintf(err, errlen, "%s: empty target", source);
		return -1;
	}
	if (several_at(s)) {
		snprintf(err, errlen, "%s: more than one '@' before the host: write an '@' in the user name or password as %%40", source);
		return -1;
	}
	if (other_scheme(s, scheme, sizeof(scheme))) {
		/* The form said without a password: one there would be scrubbed. */
		snprintf(err, errlen, "%s: unsupported scheme %s; expected a postgres:// URL, postgres://USER@HOST:5432/DB (the password in PGPASSWORD, ~/.pgpass or USER:PASSWORD@)",
		    source, scheme);
		return -1;
	}
	/* Before libpq sees it: its error messages may echo any part. */
	if (pgr_secrets_add_from(s) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	opts = PQconninfoParse(s, &perr);
	if (opts == NULL) {
		char msg[512];
		size_t n;

		snprintf(msg, sizeof(msg), "%s", perr != NULL ? perr : "out of memory");
		n = strlen(msg);
		while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
			msg[--n] = '\0';
		pgr_secrets_scrub_from(s, msg, sizeof(msg));
		snprintf(err, errlen, "%s: malformed target: %s", source, msg);
		PQfreemem(perr);
		return -1;
	}
	out->role = role;
	if (fill_target(out, opts, err, errlen) != 0) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", err);
		pgr_secrets_scrub_from(s, msg, sizeof(msg));
		snprintf(err, errlen, "%s: %s", source, msg);
		PQconninfoFree(opts);
		pgr_target_free(out);
		return -1;
	}
	PQconninfoFree(opts);
	if (register_secrets(out) != 0) {
		snprintf(err, errlen, "out of memory");
		pgr_target_free(out);
		return -1;
	}
	if (out->port == PGR_PORT_PGBOUNCER)
		out->role = PGR_ROLE_PGBOUNCER;
	out->source = strdup(source);
	out->url = pgr_target_url(out);
	if (out->source == NULL || out->url == NULL) {
		snprintf(err, errlen, "out of memory");
		pgr_target_free(out);
		return -1;
	}
	return 0;
}

/* Append s percent-encoded (RFC 3986 unreserved kept) to buf. */
static void
pct_encode(char *buf, size_t len, const char *s)
{
	size_t n = strlen(buf);

	for (; *s && n + 4 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || strchr("-._~", c) != NULL)
			buf[n++] = (char)c;
		else
			n += (size_t)snprintf(buf + n, len - n, "%%%02X", c);
	}
	buf[n] = '\0';
}

char *
pgr_target_url(const struct pgr_target *t)
{
	char buf[PGR_TARGET_MAX_LEN + 256] = "postgres://";
	size_t i;
	bool v6 = strchr(t->host, ':') != NULL;

	if (t->user != NULL) {
		pct_encode(buf, sizeof(buf), t->user);
		if (t->password != NULL)
			strncat(buf, ":" PGR_REDACTED, sizeof(buf) - strlen(buf) - 1);
		strncat(buf, "@", sizeof(buf) - strlen(buf) - 1);
	} else if (t->password != NULL)
		strncat(buf, ":" PGR_REDACTED "@", sizeof(buf) - strlen(buf) - 1);
	if (v6)
		strncat(buf, "[", sizeof(buf) - strlen(buf) - 1);
	strncat(buf, t->host, sizeof(buf) - strlen(buf) - 1);
	if (v6)
		strncat(buf, "]", sizeof(buf) - strlen(buf) - 1);
	snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), ":%d/", t->port);
	if (t->dbname != NULL)
		pct_encode(buf, sizeof(buf), t->dbname);
	for (i = 0; i < t->nextra; i++) {
		strncat(buf, i == 0 ? "?" : "&", sizeof(buf) - strlen(buf) - 1);
		pct_encode(buf, sizeof(buf), t->extra_keys[i]);
		strncat(buf, "=", sizeof(buf) - strlen(buf) - 1);
		/* sslpassword: the client key's passphrase, a secret like the password */
		if (strstr(t->extra_keys[i], "password") != NULL)
			strncat(buf, PGR_REDACTED, sizeof(buf) - strlen(buf) - 1);
		else
			pct_encode(buf, sizeof(buf), t->extra_vals[i]);
	}
	if (t->sslmode != NULL) {
		strncat(buf, t->nextra == 0 ? "?sslmode=" : "&sslmode=", sizeof(buf) - strlen(buf) - 1);
		pct_encode(buf, sizeof(buf), t->sslmode);
	}
	return strdup(buf);
}

static bool
same_endpoint(const struct pgr_target *a, const struct pgr_target *b)
{
#define EQ(x, y) (((x) == NULL && (y) == NULL) || \
	((x) != NULL && (y) != NULL && strcmp((x), (y)) == 0))
	return a->port == b->port && strcasecmp(a->host, b->host) == 0 &&
	    EQ(a->user, b->user) && EQ(a->dbname, b->dbname);
#undef EQ
}

static int
list_push(struct pgr_target_list *l, struct pgr_target *t)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (same_endpoint(&l->v[i], t)) {
			pgr_target_free(t);
			return 0;
		}
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct pgr_target *v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *t;
	return 0;
}

int
pgr_targets_add(struct pgr_target_list *l, const char *s, const char *source,
    enum pgr_role role, char *err, size_t errlen)
{
	struct pgr_target t;

	if (pgr_target_parse(s, source, role, &t, err, errlen) != 0)
		return -1;
	if (list_push(l, &t) != 0) {
		pgr_target_free(&t);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static bool
is_endpoint_var(const char *name, size_t len, bool *pgbouncer)
{
	static const char pre[] = "DATABASE_ENDPOINT_";
	static const char pgb[] = "_PGBOUNCER_URL";
	size_t i;

	if (len <= sizeof(pre) - 1 + 4 || strncmp(name, pre, sizeof(pre) - 1) != 0)
		return false;
	for (i = sizeof(pre) - 1; i < len; i++)
		if (!isupper((unsigned char)name[i]) &&
		    !isdigit((unsigned char)name[i]) && name[i] != '_')
			return false;
	*pgbouncer = len > sizeof(pgb) - 1 &&
	    strncmp(name + len - (sizeof(pgb) - 1), pgb, sizeof(pgb) - 1) == 0;
	return strncmp(name + len - 4, "_URL", 4) == 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
pgr_targets_from_env(struct pgr_target_list *l, char **envp, char *err,
    size_t errlen)
{
	const char **vars;
	size_t n = 0, i, cnt = 0;
	int rc = 0;

	for (i = 0; envp[i] != NULL; i++)
		cnt++;
	vars = calloc(cnt + 1, sizeof(*vars));
	if (vars == NULL)
		return -1;
	for (i = 0; envp[i] != NULL; i++) {
		const char *eq = strchr(envp[i], '=');
		bool pgb;

		if (eq != NULL && is_endpoint_var(envp[i], (size_t)(eq - envp[i]), &pgb))
			vars[n++] = envp[i];
	}
	/* Sorted, so that reports list the endpoints in a stable order. */
	qsort(vars, n, sizeof(*vars), cmp_str);
	for (i = 0; i < n && rc == 0; i++) {
		const char *eq = strchr(vars[i], '=');
		char name[256];
		bool pgb = false;

		snprintf(name, sizeof(name), "%.*s", (int)(eq - vars[i]), vars[i]);
		is_endpoint_var(vars[i], (size_t)(eq - vars[i]), &pgb);
		rc = pgr_targets_add(l, eq + 1, name,
		    pgb ? PGR_ROLE_PGBOUNCER : PGR_ROLE_POSTGRES, err, errlen);
	}
	if (rc == 0 && getenv("DATABASE_URL") != NULL)
		rc = pgr_targets_add(l, getenv("DATABASE_URL"), "DATABASE_URL",
		    PGR_ROLE_POSTGRES, err, errlen);
	free(vars);
	return rc;
}

static int
clone_target(const struct pgr_target *src, struct pgr_target *t)
{
	size_t i;

	memset(t, 0, sizeof(*t));
	t->host = strdup(src->host);
	t->dbname = src->dbname ? strdup(src->dbname) : NULL;
	t->user = src->user ? strdup(src->user) : NULL;
	t->password = src->password ? strdup(src->password) : NULL;
	t->sslmode = src->sslmode ? strdup(src->sslmode) : NULL;
	t->sslrootcert = src->sslrootcert ? strdup(src->sslrootcert) : NULL;
	for (i = 0; i < src->nextra; i++)
		if (add_extra(t, src->extra_keys[i], src->extra_vals[i]) != 0)
			return -1;
	t->endpoint = src->endpoint;
	return t->host == NULL ? -1 : 0;
}

int
pgr_targets_add_siblings(struct pgr_target_list *l)
{
	size_t i, n = l->n;

	for (i = 0; i < n; i++) {
		struct pgr_target sib;
		char src[300];

		if (l->v[i].role != PGR_ROLE_POSTGRES ||
		    l->v[i].port != PGR_PORT_POSTGRES)
			continue;
		if (clone_target(&l->v[i], &sib) != 0) {
			pgr_target_free(&sib);
			return -1;
		}
		sib.role = PGR_ROLE_PGBOUNCER;
		sib.port = PGR_PORT_PGBOUNCER;
		sib.sibling_of = (int)i;
		snprintf(src, sizeof(src), "%s (PgBouncer sibling)", l->v[i].source);
		sib.source = strdup(src);
		sib.url = pgr_target_url(&sib);
		/* Another port: maybe another .pgpass entry. */
		if (sib.source == NULL || sib.url == NULL ||
		    register_secrets(&sib) != 0 || list_push(l, &sib) != 0) {
			pgr_target_free(&sib);
			return -1;
		}
	}
	return 0;
}

void
pgr_targets_free(struct pgr_target_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		pgr_target_free(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}
