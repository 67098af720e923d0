/*
 * The serve configuration file: a line parser over a buffer, then the
 * checks that need the whole file (every target's module exists, at least
 * one target).  Messages name the file and line and never the value of a
 * password key, nor a URL (it may hold one).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/text.h"
#include "probes/target.h"
#include "serve/config.h"

struct parser {
	struct pgr_serve_config *c;
	const char	*path;
	size_t		 lineno;
	bool		 private_file;
	struct pgr_serve_target *t;	/* the section being read, or */
	struct pgr_serve_module *m;	/* ... NULL for both before any */
	unsigned long	 seen;		/* keys given in this section (bit per key) */
	char		*err;
	size_t		 errlen;
};

static int
perr(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
perr(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(p->err, p->errlen, "%s:%zu: ", p->path, p->lineno);
	if (n < 0 || (size_t)n >= p->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static void
module_defaults(struct pgr_serve_module *m, const char *name)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->timeout_s = 10;
	m->count = 1;
	m->cert_warning_days = 14;
}

static bool
name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > PGR_SERVE_NAME_MAX)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_.-") == n;
}

static int
new_section(struct parser *p, char *line)
{
	char *kind = line + 1, *name, *end = strchr(line, ']');
	size_t i;

	if (end == NULL || end[1] != '\0')
		return perr(p, "a section is [target NAME] or [module NAME]");
	*end = '\0';
	name = strchr(kind, ' ');
	if (name == NULL)
		return perr(p, "a section is [target NAME] or [module NAME]");
	*name++ = '\0';
	while (*name == ' ')
		name++;
	if (!name_valid(name))
		return perr(p, "section name: 1 to %d of A-Z a-z 0-9 _ . -",
		    PGR_SERVE_NAME_MAX);
	p->seen = 0;
	if (strcmp(kind, "target") == 0) {
		struct pgr_serve_target *v;

		if (pgr_serve_config_target(p->c, name) != NULL)
			return perr(p, "target %s defined twice", name);
		if ((v = realloc(p->c->targets, (p->c->ntargets + 1) *
		    sizeof(*v))) == NULL)
			return perr(p, "out of memory");
		p->c->targets = v;
		p->t = &v[p->c->ntargets++];
		memset(p->t, 0, sizeof(*p->t));
		snprintf(p->t->name, sizeof(p->t->name), "%s", name);
		p->m = NULL;
		return 0;
	}
	if (strcmp(kind, "module") == 0) {
		struct pgr_serve_module *v;

		for (i = 0; i < p->c->nmodules; i++)
			if (strcmp(p->c->modules[i].name, name) == 0)
				break;
		/* The built-in default may be redefined once, not twice. */
		if (i < p->c->nmodules && (i > 0 || p->c->modules[0].defined))
			return perr(p, "module %s defined twice", name);
		if (i == 0 && i < p->c->nmodules) {
			p->m = &p->c->modules[0];
			p->m->defined = true;
			p->t = NULL;
			return 0;
		}
		if ((v = realloc(p->c->modules, (p->c->nmodules + 1) *
		    sizeof(*v))) == NULL)
			return perr(p, "out of memory");
		p->c->modules = v;
		p->m = &v[p->c->nmodules++];
		module_defaults(p->m, name);
		p->t = NULL;
		return 0;
	}
	return perr(p, "unknown section kind \"%.20s\": target or module", kind);
}

static bool
parse_bool(const char *v, bool *out)
{
	if (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "1") == 0)
		return *out = true, true;
	if (strcmp(v, "false") == 0 || strcmp(v, "no") == 0 || strcmp(v, "0") == 0)
		return *out = false, true;
	return false;
}

static int
set_str(struct parser *p, char **dst, const char *v)
{
	if ((*dst = strdup(v)) == NULL)
		return perr(p, "out of memory");
	return 0;
}

static int
add_list(struct parser *p, char **list, size_t *n, const char *key, const char *v)
{
	if (*n >= PGR_SERVE_LIST_MAX)
		return perr(p, "%s: at most %d", key, PGR_SERVE_LIST_MAX);
	if ((list[*n] = strdup(v)) == NULL)
		return perr(p, "out of memory");
	(*n)++;
	return 0;
}

static const char *const module_keys[] = {
	"timeout", "count", "query", "sslmode", "sslrootcert", "no_pgbouncer",
	"idle", "dns_server", "vpc_cidr", "warning", "critical", "query_warning",
	"query_critical", "cert_warning_days", "cert_critical_days", NULL
};
static const char *const target_keys[] = {
	"url", "password_env", "password_file", "pgpass", "password", "module",
	"region", "aws", "evidence", NULL
};

static int
module_key(struct parser *p, int k, const char *v)
{
	struct pgr_serve_module *m = p->m;
	char e[256];
	long l;

	switch (k) {
	case 0:
		if ((m->timeout_s = pgr_parse_duration(v)) <= 0 || m->timeout_s > 3600)
			return perr(p, "timeout: a duration such as 10s, at most 1h");
		return 0;
	case 1:
		if (pgr_parse_long(v, &l, 0, 10000) != 0)
			return perr(p, "count: a whole number from 0 to 10000");
		m->count = (int)l;
		return 0;
	case 2: return set_str(p, &m->query, v);
	case 3:
		if (!pgr_sslmode_valid(v))
			return perr(p, "sslmode: one of libpq's (disable ... verify-full)");
		return set_str(p, &m->sslmode, v);
	case 4: return set_str(p, &m->sslrootcert, v);
	case 5:
		if (!parse_bool(v, &m->no_pgbouncer))
			return perr(p, "no_pgbouncer: true or false");
		return 0;
	case 6:
		/*
		 * --idle: a probe then takes idle + timeout, and the scrape
		 * timeout must cover both (serve/http.c).  0 turns it off.
		 */
		if (strcmp(v, "0") == 0 || strcmp(v, "0s") == 0) {
			m->idle_s = 0;
			return 0;
		}
		if ((m->idle_s = pgr_parse_duration(v)) <= 0 || m->idle_s > 3600)
			return perr(p, "idle: a duration such as 400s or 7m, at most 1h (0: none)");
		return 0;
	case 7:
		return add_list(p, m->dns_servers, &m->ndns_servers, "dns_server", v);
	case 8:
		if (m->nvpc >= PGR_SERVE_LIST_MAX)
			return perr(p, "vpc_cidr: at most %d", PGR_SERVE_LIST_MAX);
		if (pgr_cidr_parse(v, &m->vpc[m->nvpc], e, sizeof(e)) != 0)
			return perr(p, "vpc_cidr: %s", e);
		m->nvpc++;
		return 0;
	case 9: return set_str(p, &m->warning, v);
	case 10: return set_str(p, &m->critical, v);
	case 11: return set_str(p, &m->query_warning, v);
	case 12: return set_str(p, &m->query_critical, v);
	case 13:
	case 14:
		if (pgr_parse_long(v, &l, 0, 3650) != 0)
			return perr(p, "%s: whole days from 0 to 3650", module_keys[k]);
		*(k == 13 ? &m->cert_warning_days : &m->cert_critical_days) = l;
		return 0;
	}
	return -1;
}

static int
set_password_source(struct parser *p, enum pgr_serve_pwsrc src, const char *v)
{
	if (p->t->pwsrc != PGR_PW_NONE)
		return perr(p, "target %s: one password source only (password_env, "
		    "password_file, pgpass or password)", p->t->name);
	if (src == PGR_PW_INLINE && !p->private_file)
		return perr(p, "target %s: a password in the file needs the file's "
		    "mode to be 0600 (or use password_env / password_file)", p->t->name);
	if (src == PGR_PW_ENV && !name_valid(v))
		return perr(p, "password_env: a variable name");
	p->t->pwsrc = src;
	return set_str(p, &p->t->pw, v);
}

static int
target_key(struct parser *p, int k, const char *v)
{
	struct pgr_serve_target *t = p->t;
	struct pgr_target pt;
	char e[512];
	bool has_pw;

	switch (k) {
	case 0:
		memset(&pt, 0, sizeof(pt));
		/* The message of a failed parse has the password scrubbed. */
		if (pgr_target_parse(v, t->name, PGR_ROLE_POSTGRES, &pt, e, sizeof(e)) != 0)
			return perr(p, "url: %s", e);
		has_pw = pt.password != NULL;
		pgr_target_free(&pt);
		if (has_pw && !p->private_file)
			return perr(p, "target %s: a password in the url needs the file's "
			    "mode to be 0600 (or use password_env / password_file)", t->name);
		return set_str(p, &t->url, v);
	case 1: return set_password_source(p, PGR_PW_ENV, v);
	case 2: return set_password_source(p, PGR_PW_FILE, v);
	case 3: return set_password_source(p, PGR_PW_PGPASS, v);
	case 4: return set_password_source(p, PGR_PW_INLINE, v);
	case 5:
		if (!name_valid(v))
			return perr(p, "module: a module name");
		return set_str(p, &t->module, v);
	case 6: return set_str(p, &t->region, v);
	case 7:
		if (!parse_bool(v, &t->aws))
			return perr(p, "aws: true or false");
		return 0;
	case 8:
		return add_list(p, t->evidence, &t->nevidence, "evidence", v);
	}
	return -1;
}

static int
key_line(struct parser *p, char *line)
{
	const char *const *keys;
	char *eq = strchr(line, '='), *k = line, *v, *end;
	int i;

	if (eq == NULL)
		return perr(p, "expected key = value");
	*eq = '\0';
	v = eq + 1;
	for (end = eq; end > k && (end[-1] == ' ' || end[-1] == '\t'); end--)
		end[-1] = '\0';
	while (*v == ' ' || *v == '\t')
		v++;
	if (p->t == NULL && p->m == NULL)
		return perr(p, "key before any [target NAME] or [module NAME]");
	keys = p->t != NULL ? target_keys : module_keys;
	for (i = 0; keys[i] != NULL; i++)
		if (strcmp(k, keys[i]) == 0)
			break;
	if (keys[i] == NULL)
		return perr(p, "unknown %s key \"%.40s\"", p->t ? "target" : "module", k);
	if (*v == '\0')
		return perr(p, "%s: empty value", keys[i]);
	/* Lists add up; anything else given twice is a mistake. */
	if ((p->seen & (1UL << i)) && strcmp(k, "evidence") != 0 &&
	    strcmp(k, "dns_server") != 0 && strcmp(k, "vpc_cidr") != 0)
		return perr(p, "%s given twice", keys[i]);
	p->seen |= 1UL << i;
	return p->t != NULL ? target_key(p, i, v) : module_key(p, i, v);
}

static int
finish(struct parser *p)
{
	size_t i;
	char e[256];

	if (p->c->ntargets == 0)
		return snprintf(p->err, p->errlen, "%s: no [target NAME] section",
		    p->path), -1;
	for (i = 0; i < p->c->nmodules; i++) {
		struct pgr_serve_module *m = &p->c->modules[i];

		if (pgr_thresholds_set(&m->thresholds, m->warning, m->critical,
		    m->query_warning, m->query_critical, m->cert_warning_days,
		    m->cert_critical_days, e, sizeof(e)) != 0)
			return snprintf(p->err, p->errlen, "%s: module %s: %s",
			    p->path, m->name, e), -1;
	}
	for (i = 0; i < p->c->ntargets; i++) {
		const struct pgr_serve_target *t = &p->c->targets[i];

		if (t->url == NULL)
			return snprintf(p->err, p->errlen, "%s: target %s: no url",
			    p->path, t->name), -1;
		if (t->module != NULL && pgr_serve_config_module(p->c, t->module) == NULL)
			return snprintf(p->err, p->errlen, "%s: target %s: no module %s",
			    p->path, t->name, t->module), -1;
	}
	return 0;
}

int
pgr_serve_config_parse(struct pgr_serve_config *c, const char *path,
    const char *buf, size_t len, bool private_file, char *err, size_t errlen)
{
	struct parser p = { c, path, 0, private_file, NULL, NULL, 0, err, errlen };
	const char *line = buf, *nl;
	char *l;
	size_t n;
	int rc = 0;

	memset(c, 0, sizeof(*c));
	if ((c->modules = calloc(1, sizeof(*c->modules))) == NULL)
		return pgr_fail(err, errlen, "out of memory");
	c->nmodules = 1;
	module_defaults(&c->modules[0], "default");
	if (len > PGR_SERVE_CONFIG_MAX)
		rc = pgr_fail(err, errlen, "%s: larger than %d bytes", path,
		    PGR_SERVE_CONFIG_MAX);
	while (rc == 0 && line < buf + len) {
		nl = memchr(line, '\n', (size_t)(buf + len - line));
		n = (size_t)((nl != NULL ? nl : buf + len) - line);
		p.lineno++;
		if (memchr(line, '\0', n) != NULL) {
			rc = perr(&p, "NUL byte in line");
			break;
		}
		if ((l = strndup(line, n)) == NULL) {
			rc = perr(&p, "out of memory");
			break;
		}
		line += n + (nl != NULL);
		/* Trim blanks and a CR at both ends. */
		while (n > 0 && strchr(" \t\r", l[n - 1]) != NULL)
			l[--n] = '\0';
		{
			char *s = l + strspn(l, " \t");

			if (*s == '[')
				rc = new_section(&p, s);
			else if (*s != '\0' && *s != '#' && *s != ';')
				rc = key_line(&p, s);
		}
		explicit_bzero(l, n);
		free(l);
	}
	if (rc == 0)
		rc = finish(&p);
	if (rc != 0)
		pgr_serve_config_free(c);
	return rc;
}

int
pgr_serve_config_load(struct pgr_serve_config *c, const char *path, char *err,
    size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0, i, j;
	ssize_t r;
	int fd, rc;

	memset(c, 0, sizeof(*c));
	/* O_NONBLOCK for the open only: a FIFO with no writer never opens. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return pgr_fail(err, errlen, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return pgr_fail(err, errlen, "%s: not a regular file", path);
	}
	if (st.st_size > PGR_SERVE_CONFIG_MAX) {
		close(fd);
		return pgr_fail(err, errlen, "%s: larger than %d bytes", path,
		    PGR_SERVE_CONFIG_MAX);
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return pgr_fail(err, errlen, "out of memory");
	}
	while (len < (size_t)st.st_size) {
		r = read(fd, buf + len, (size_t)st.st_size - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	/* Group or world may read it: no secret may stand in it. */
	rc = pgr_serve_config_parse(c, path, buf, len,
	    (st.st_mode & 077) == 0, err, errlen);
	explicit_bzero(buf, len);
	free(buf);
	if (rc != 0)
		return -1;
	for (i = 0; i < c->ntargets; i++)
		for (j = 0; j < c->targets[i].nevidence; j++)
			if (pgr_evidence_load(&c->targets[i].ev,
			    c->targets[i].evidence[j], err, errlen) != 0) {
				pgr_serve_config_free(c);
				return -1;
			}
	return 0;
}

static void
free_secret(char *s)
{
	if (s != NULL)
		explicit_bzero(s, strlen(s));
	free(s);
}

void
pgr_serve_config_free(struct pgr_serve_config *c)
{
	size_t i, j;

	for (i = 0; i < c->ntargets; i++) {
		struct pgr_serve_target *t = &c->targets[i];

		free_secret(t->url);
		free_secret(t->pw);
		free(t->module);
		free(t->region);
		for (j = 0; j < t->nevidence; j++)
			free(t->evidence[j]);
		pgr_evidence_free(&t->ev);
	}
	for (i = 0; i < c->nmodules; i++) {
		struct pgr_serve_module *m = &c->modules[i];

		free(m->query);
		free(m->sslmode);
		free(m->sslrootcert);
		for (j = 0; j < m->ndns_servers; j++)
			free(m->dns_servers[j]);
		free(m->warning);
		free(m->critical);
		free(m->query_warning);
		free(m->query_critical);
	}
	free(c->targets);
	free(c->modules);
	memset(c, 0, sizeof(*c));
}

const struct pgr_serve_target *
pgr_serve_config_target(const struct pgr_serve_config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->ntargets; i++)
		if (strcmp(c->targets[i].name, name) == 0)
			return &c->targets[i];
	return NULL;
}

const struct pgr_serve_module *
pgr_serve_config_module(const struct pgr_serve_config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nmodules; i++)
		if (strcmp(c->modules[i].name, name) == 0)
			return &c->modules[i];
	return NULL;
}
