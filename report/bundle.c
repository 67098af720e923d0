/*
 * The evidence bundle: members are rendered into memory, scrubbed of every
 * known password, hashed, then written with libarchive in one go, so a
 * failure leaves no half-written archive behind.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "probes/target.h"
#include "report/buf.h"
#include "report/archive.h"
#include "report/bundle.h"
#include "report/sysinfo.h"
#include "report/versions.h"
#include "report/writer.h"
#include "util/secrets.h"
#include "util/text.h"

#define REDACTED	PGR_REDACTED

/* ------------------------------------------------------------------ */
/* (Growable buffers: report/buf.c, wiped when they grow and when freed.) */

/* ------------------------------------------------------------------ */
/* Secrets: the run's registry (util/secrets.c) scrubs every member */

/*
 * What the bundle carries that could hold a password, into the registry:
 * main() has registered the command line and the environment already;
 * a report built elsewhere (tests, the exporter) may not have.
 */
static int
secrets_collect(const struct pgr_report *r, const struct pgr_evidence *ev)
{
	const char *eq;
	size_t i, j;
	int a, rc = 0;

	for (i = 0; i < r->ntargets; i++)
		if (r->targets[i].password != NULL)
			rc |= pgr_secrets_add(r->targets[i].password);
	for (i = 0; ev != NULL && i < ev->n; i++) {
		if (ev->items[i].type != PGR_EV_HEROKU_CONFIG)
			continue;
		for (j = 0; j < ev->items[i].u.config.nurls; j++)
			rc |= pgr_secrets_add_from(ev->items[i].u.config.urls[j].url);
	}
	/* main() redacts argv; an argument it missed is still caught here. */
	for (a = 0; r->argv != NULL && a < r->argc; a++) {
		if (r->argv[a] == NULL)
			continue;
		rc |= pgr_secrets_add_from(r->argv[a]);
		if (strncmp(r->argv[a], "--", 2) == 0 &&
		    (eq = strchr(r->argv[a], '=')) != NULL)
			rc |= pgr_secrets_add_from(eq + 1);
	}
	return rc != 0 ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* Members */

struct members {
	struct pgr_archive_file *v;
	size_t	n;
	bool	oom;
};

static bool
name_taken(const struct members *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->v[i].name, name) == 0)
			return true;
	return false;
}

/* Takes data (malloc'd, may be NULL for empty); frees it on failure. */
static void
members_take(struct members *m, const char *name, char *data, size_t len)
{
	struct pgr_archive_file *nv;

	if (m->oom || (nv = realloc(m->v, (m->n + 1) * sizeof(*nv))) == NULL) {
		m->oom = true;
		goto drop;
	}
	m->v = nv;
	memset(&m->v[m->n], 0, sizeof(m->v[m->n]));
	if ((m->v[m->n].name = strdup(name)) == NULL) {
		m->oom = true;
		goto drop;
	}
	m->v[m->n].data = data;
	m->v[m->n].len = data != NULL ? len : 0;
	m->n++;
	return;
drop:
	if (data != NULL)
		explicit_bzero(data, len);
	free(data);
}

static void
members_add_buf(struct members *m, const char *name, struct pgr_buf *b)
{
	if (b->oom) {
		m->oom = true;
		pgr_buf_wipe(b);
		return;
	}
	members_take(m, name, b->p, b->len);
	memset(b, 0, sizeof(*b));
}

static void
members_add_copy(struct members *m, const char *name, const void *p,
    size_t len)
{
	struct pgr_buf b = { 0 };

	pgr_buf_add(&b, p != NULL ? p : "", p != NULL ? len : 0);
	members_add_buf(m, name, &b);
}

static void
members_free(struct members *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (m->v[i].data != NULL)
			explicit_bzero(m->v[i].data, m->v[i].len);
		free(m->v[i].data);
		free(m->v[i].name);
	}
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/*
 * A file name from outside text (a host, an address, a path): only
 * [A-Za-z0-9._-], no leading dot, so no "..", no folders, nothing hidden.
 */
static void
safe_name(const char *in, char *out, size_t outlen)
{
	size_t i, n = 0;

	for (i = 0; in != NULL && in[i] != '\0' && n + 1 < outlen && n < 120;
	    i++) {
		unsigned char c = (unsigned char)in[i];

		/* ASCII ranges, not isalnum(): a locale must not let bytes in */
		out[n++] = (char)((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' ?
		    c : '_');
	}
	out[n] = '\0';
	if (n == 0)
		snprintf(out, outlen, "_");
	else if (out[0] == '.')
		out[0] = '_';
}

/* dir/base.ext, or dir/base-2.ext, ... if taken. */
static void
unique_name(const struct members *m, const char *dir, const char *base,
    const char *ext, char *out, size_t outlen)
{
	int k;

	snprintf(out, outlen, "%s/%s%s", dir, base, ext);
	for (k = 2; name_taken(m, out) && k < 10000; k++)
		snprintf(out, outlen, "%s/%s-%d%s", dir, base, k, ext);
}

/* ------------------------------------------------------------------ */
/* The reports, rendered by the writers into memory */

/* Every writer that names a bundle member, as the user would run it with -v. */
static void
render(struct members *m, const struct pgr_writer *w, const struct pgr_analysis *an)
{
	struct pgr_write_opts o;
	char *data = NULL;
	size_t len = 0;
	FILE *f;

	if ((f = open_memstream(&data, &len)) == NULL) {
		m->oom = true;
		return;
	}
	memset(&o, 0, sizeof(o));
	o.verbose = 1;
	/* Best effort: a support bundle with a note beats no bundle. */
	if (w->write(f, an, &o) != 0)
		fprintf(f, "\n(pgreach: rendering %s failed; this file may be "
		    "incomplete)\n", w->bundle_member);
	if (fclose(f) != 0) {
		free(data);
		m->oom = true;
		return;
	}
	members_take(m, w->bundle_member, data, len);
}

/* ------------------------------------------------------------------ */
/* phases.tsv and dns.txt */

/* A TSV field: no tabs or line breaks, no control bytes. */
static void
tsv_field(struct pgr_buf *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\t' || c == '\n' || c == '\r')
			pgr_buf_add(b, " ", 1);
		else if (c < 0x20 || c == 0x7f)
			pgr_buf_add(b, "?", 1);
		else
			pgr_buf_add(b, s, 1);
	}
}

static bool
ran(enum pgr_err e)
{
	return e != PGR_SKIPPED && e != PGR_PENDING;
}

static void
tsv_row(struct pgr_buf *b, const struct pgr_target *t, const char *address,
    const char *phase, enum pgr_err st, double end, double start,
    const char *code, const char *detail)
{
	char num[64];

	tsv_field(b, t->url != NULL ? t->url : t->host);
	snprintf(num, sizeof(num), "\t%d\t", t->port);
	pgr_buf_puts(b, num);
	tsv_field(b, address);
	pgr_buf_puts(b, "\t");
	pgr_buf_puts(b, phase);
	pgr_buf_puts(b, "\t");
	pgr_buf_puts(b, pgr_err_name(st));
	if (ran(st))
		snprintf(num, sizeof(num), "\t%.3f\t%.3f\t", end, end - start);
	else
		snprintf(num, sizeof(num), "\t\t\t");
	pgr_buf_puts(b, num);
	tsv_field(b, code);
	pgr_buf_puts(b, "\t");
	tsv_field(b, detail);
	pgr_buf_puts(b, "\n");
}

static void
phases_attempt(struct pgr_buf *b, const struct pgr_target *t,
    const struct pgr_attempt *a)
{
	char code[32], detail[2 * PGR_DETAIL_LEN + 256];
	const struct pgr_query_result *q = &a->query;
	const struct pgr_cert *c = &a->tls.cert;
	size_t n;

	code[0] = '\0';
	if (a->tcp.err_no != 0)
		snprintf(code, sizeof(code), "%d", a->tcp.err_no);
	if (pgr_err_failed(a->tcp.status))
		snprintf(detail, sizeof(detail), "%s", a->tcp.detail);
	else if (a->local[0] != '\0')
		snprintf(detail, sizeof(detail), "from %s", a->local);
	else
		detail[0] = '\0';
	tsv_row(b, t, a->address, "tcp", a->tcp.status, a->tcp.ms, 0, code,
	    detail);

	if (a->tls.status == PGR_OK)
		snprintf(detail, sizeof(detail), "%s %s", a->tls.version,
		    a->tls.cipher);
	else
		snprintf(detail, sizeof(detail), "%s", a->tls.detail);
	n = strlen(detail);
	if (c->present)
		snprintf(detail + n, sizeof(detail) - n, "%scert %s, %ld days "
		    "left, %s, name %s", n ? "; " : "", c->subject, c->days_left,
		    c->verified ? "chain verifies" : c->verify_error[0] ?
		    c->verify_error : "chain not verified",
		    c->hostname_match ? "matches" : "does not match");
	tsv_row(b, t, a->address, "tls", a->tls.status, a->tls.ms, a->tcp.ms,
	    "", detail);

	if (a->login.status == PGR_OK && a->login.server_version[0] != '\0')
		snprintf(detail, sizeof(detail), "server %s",
		    a->login.server_version);
	else
		snprintf(detail, sizeof(detail), "%s", a->login.message);
	tsv_row(b, t, a->address, "login", a->login.status, a->login.ms,
	    a->tls.ms, a->login.sqlstate, detail);

	if (q->done > 0)
		snprintf(detail, sizeof(detail), "%d/%d: min %.3f, median %.3f, "
		    "p95 %.3f, max %.3f ms%s%s", q->done, q->count, q->min_ms,
		    q->median_ms, q->p95_ms, q->max_ms, q->message[0] ? "; " : "",
		    q->message);
	else
		snprintf(detail, sizeof(detail), "%s", q->message);
	tsv_row(b, t, a->address, "query", q->status, q->ms, a->login.ms,
	    q->sqlstate, detail);
}

/*
 * ms is the phase's end from the start of its target (dns) or attempt
 * (the others), cumulative like curl's time_*; duration_ms is the phase
 * alone, as the JSON report derives it.
 */
static void
phases_tsv(struct members *m, const struct pgr_report *r)
{
	struct pgr_buf b = { 0 };
	char code[32], detail[PGR_DETAIL_LEN + 64];
	size_t i, j;

	pgr_buf_puts(&b, "target\tport\taddress\tphase\tstatus\tms\tduration_ms\t"
	    "errno/sqlstate\tdetail\n");
	for (i = 0; i < r->ntargets; i++) {
		const struct pgr_target *t = &r->targets[i];
		const struct pgr_target_result *tr = &r->results[i];
		const struct pgr_dns_result *d = &tr->dns;

		code[0] = '\0';
		if (d->ares_status != 0)
			snprintf(code, sizeof(code), "ares:%d", d->ares_status);
		if (pgr_err_failed(d->status))
			snprintf(detail, sizeof(detail), "%s", d->detail);
		else
			snprintf(detail, sizeof(detail), "%zu address%s via %s",
			    d->naddrs_total, d->naddrs_total == 1 ? "" : "es",
			    d->servers[0] ? d->servers : "system resolver");
		tsv_row(&b, t, "", "dns", d->status, d->ms, 0, code, detail);
		for (j = 0; j < tr->nattempts; j++)
			phases_attempt(&b, t, &tr->attempts[j]);
	}
	members_add_buf(m, "phases.tsv", &b);
}

/* The answers as a zone file would show them, one target at a time. */
static void
dns_txt(struct members *m, const struct pgr_report *r)
{
	struct pgr_buf b = { 0 };
	size_t i, j;

	pgr_buf_puts(&b, "; DNS answers as pgreach got them (c-ares "
	    "ares_getaddrinfo, A and AAAA).\n"
	    "; ms is the end of the lookup from the start of the target.\n");
	for (i = 0; i < r->ntargets; i++) {
		const struct pgr_target *t = &r->targets[i];
		const struct pgr_dns_result *d = &r->results[i].dns;

		pgr_buf_printf(&b, "\n; target %zu: %s (%s, port %d)\n", i,
		    t->url ? t->url : "", pgr_role_name(t->role), t->port);
		pgr_buf_printf(&b, "; name      %s\n", t->host ? t->host : "");
		pgr_buf_printf(&b, "; status    %s", pgr_err_name(d->status));
		if (ran(d->status))
			pgr_buf_printf(&b, " in %.3f ms", d->ms);
		if (d->ares_status != 0)
			pgr_buf_printf(&b, " (ares status %d)", d->ares_status);
		pgr_buf_puts(&b, "\n");
		if (d->detail[0] != '\0')
			pgr_buf_printf(&b, "; detail    %s\n", d->detail);
		pgr_buf_printf(&b, "; servers   %s\n", d->servers[0] ? d->servers :
		    "system resolver (see env/resolv.conf)");
		pgr_buf_printf(&b, "; cnames    %s\n", d->cnames ? d->cnames : "none");
		if (d->min_ttl >= 0)
			pgr_buf_printf(&b, "; min ttl   %d\n", d->min_ttl);
		pgr_buf_printf(&b, "; answers   %zu", d->naddrs_total);
		if (d->naddrs_total > d->naddrs)
			pgr_buf_printf(&b, " (the first %zu kept)", d->naddrs);
		pgr_buf_puts(&b, "\n");
		for (j = 0; j < d->naddrs; j++) {
			const struct pgr_addr *a = &d->addrs[j];
			char ttl[16];

			if (a->ttl >= 0)
				snprintf(ttl, sizeof(ttl), "%d", a->ttl);
			else
				snprintf(ttl, sizeof(ttl), "?");
			pgr_buf_printf(&b, "%s.\t%s\tIN\t%s\t%s\t; %s%s\n",
			    t->host ? t->host : "", ttl,
			    a->family == 6 ? "AAAA" : "A", a->text,
			    pgr_scope_name(a->scope),
			    a->in_vpc == 1 ? ", in the VPC" :
			    a->in_vpc == 0 ? ", outside the VPC" : "");
		}
	}
	members_add_buf(m, "dns.txt", &b);
}

/* ------------------------------------------------------------------ */
/* Certificates, evidence, command line */

static void
certs(struct members *m, const struct pgr_report *r)
{
	char host[160], addr[64], base[240], name[320];
	size_t i, j;

	for (i = 0; i < r->ntargets; i++) {
		const struct pgr_target *t = &r->targets[i];

		for (j = 0; j < r->results[i].nattempts; j++) {
			const struct pgr_attempt *a = &r->results[i].attempts[j];
			const char *pem = a->tls.cert.chain_pem;

			if (pem == NULL || pem[0] == '\0')
				continue;
			safe_name(t->host, host, sizeof(host));
			safe_name(a->address, addr, sizeof(addr));
			snprintf(base, sizeof(base), "%s_%d-%s", host, t->port,
			    addr);
			unique_name(m, "certs", base, ".pem", name, sizeof(name));
			members_add_copy(m, name, pem, strlen(pem));
		}
	}
}

static void
evidence(struct members *m, const struct pgr_evidence *ev)
{
	char base[160], name[200];
	const char *slash;
	size_t i;

	for (i = 0; ev != NULL && i < ev->n; i++) {
		const struct pgr_evidence_item *it = &ev->items[i];
		const char *path = it->path != NULL ? it->path : "evidence";

		slash = strrchr(path, '/');
		safe_name(slash != NULL ? slash + 1 : path, base, sizeof(base));
		unique_name(m, "evidence", base, "", name, sizeof(name));
		members_add_copy(m, name, it->content, it->content_len);
	}
}

static void
shell_quote(struct pgr_buf *b, const char *s)
{
	const char *p;

	for (p = s; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("_@%+=:,./-", *p) != NULL))
			break;
	if (*s != '\0' && *p == '\0') {
		pgr_buf_puts(b, s);
		return;
	}
	pgr_buf_puts(b, "'");
	for (p = s; *p != '\0'; p++)
		if (*p == '\'')
			pgr_buf_puts(b, "'\\''");
		else
			pgr_buf_add(b, p, 1);
	pgr_buf_puts(b, "'");
}

static void
cmdline(struct members *m, const struct pgr_report *r)
{
	struct pgr_buf b = { 0 };
	int i;

	pgr_buf_puts(&b, "# the command line, passwords replaced by REDACTED\n");
	if (r->argv == NULL || r->argc == 0)
		pgr_buf_puts(&b, "(not recorded)\n");
	for (i = 0; r->argv != NULL && i < r->argc; i++) {
		if (i > 0)
			pgr_buf_puts(&b, " ");
		shell_quote(&b, r->argv[i] != NULL ? r->argv[i] : "");
	}
	if (r->argv != NULL && r->argc > 0)
		pgr_buf_puts(&b, "\n");
	members_add_buf(m, "cmdline.txt", &b);
}

/* ------------------------------------------------------------------ */
/* The environment (report/sysinfo.c) */

static void
env_members(struct members *m, const struct pgr_report *r)
{
	struct pgr_buf b = { 0 };
	const char *la_version = pgr_archive_version();
	pgr_sysinfo_system(&b, r->started_at.tv_sec, la_version);
	members_add_buf(m, "env/system.txt", &b);
	pgr_sysinfo_resolv(&b);
	members_add_buf(m, "env/resolv.conf", &b);
	pgr_sysinfo_network(&b);
	members_add_buf(m, "env/network.txt", &b);
}

/* ------------------------------------------------------------------ */
/* The archive file */

/* The directory part of path: "." for a bare name. */
static void
dir_of(const char *path, char *out, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(out, len, ".");
	else if (slash == path)
		snprintf(out, len, "/");
	else
		snprintf(out, len, "%.*s", (int)(slash - path), path);
}

/* The message for an errno from creating a file in path's directory. */
static int
create_error(const char *path, int e, char *err, size_t errlen)
{
	char dir[PATH_MAX];

	dir_of(path, dir, sizeof(dir));
	switch (e) {
	case EEXIST:
		return pgr_fail(err, errlen, "bundle %s exists; use --force to "
		    "overwrite", path);
	case ENOENT:
		return pgr_fail(err, errlen, "bundle %s: directory %s does not exist",
		    path, dir);
	case ENOTDIR:
		return pgr_fail(err, errlen, "bundle %s: %s is not a directory",
		    path, dir);
	case EISDIR:
		return pgr_fail(err, errlen, "bundle %s: is a directory", path);
	case EINVAL:
		return pgr_fail(err, errlen, "bundle %s: not a regular file; --force "
		    "replaces only a bundle", path);
	case EACCES:
	case EPERM:
	case EROFS:
		return pgr_fail(err, errlen, "bundle %s: cannot write in %s: %s",
		    path, dir, strerror(e));
	default:
		return pgr_fail(err, errlen, "bundle %s: %s", path, strerror(e));
	}
}

int
pgr_bundle_check(const char *path, bool force, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	struct stat st;

	if (path == NULL || path[0] == '\0')
		return pgr_fail(err, errlen, "bundle: no file name");
	if (pgr_archive_load(err, errlen) != 0)
		return -1;
	if (strlen(path) >= PATH_MAX - 32)
		return create_error(path, ENAMETOOLONG, err, errlen);
	if (path[strlen(path) - 1] == '/')
		return create_error(path, EISDIR, err, errlen);
	if (lstat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return create_error(path, EISDIR, err, errlen);
		if (!force)
			return create_error(path, EEXIST, err, errlen);
		if (!S_ISREG(st.st_mode))
			return create_error(path, EINVAL, err, errlen);
	} else if (errno != ENOENT)
		return create_error(path, errno, err, errlen);
	dir_of(path, dir, sizeof(dir));
	if (stat(dir, &st) != 0)
		return create_error(path, errno, err, errlen);
	if (!S_ISDIR(st.st_mode))
		return create_error(path, ENOTDIR, err, errlen);
	if (access(dir, W_OK | X_OK) != 0)
		return create_error(path, errno, err, errlen);
	return 0;
}

/*
 * Without force: O_EXCL creates path itself, 0600 from the start.  With
 * force: a mkstemp file (0600) beside it, renamed over it when complete,
 * so the old bundle stays whole until the new one is.
 */
static int
open_output(const char *path, bool force, char *tmp, size_t tmplen,
    char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	struct stat st;
	char dir[PATH_MAX];
	int fd;

	tmp[0] = '\0';
	if (path[strlen(path) - 1] == '/' ||
	    (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)))
		return create_error(path, EISDIR, err, errlen);
	if (!force) {
		if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0600)) == -1)
			return create_error(path, errno, err, errlen);
		return fd;
	}
	/*
	 * rename() would put the bundle in place of whatever is there: a
	 * symlink (--bundle /dev/stdout), a device.  Only an old file goes.
	 */
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return create_error(path, EINVAL, err, errlen);
	dir_of(path, dir, sizeof(dir));
	snprintf(tmp, tmplen, "%s/.%s.XXXXXX", dir, slash ? slash + 1 : path);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		int e = errno;

		tmp[0] = '\0';
		return create_error(path, e, err, errlen);
	}
	return fd;
}

/* ------------------------------------------------------------------ */

/* Scrub the name and content of members [from, n), then hash them as written. */
static int
seal(struct members *m, size_t from)
{
	size_t i, len;

	for (i = from; i < m->n; i++) {
		len = strlen(m->v[i].name);
		if (pgr_secrets_scrub_buf(&m->v[i].name, &len) < 0 ||
		    pgr_secrets_scrub_buf(&m->v[i].data, &m->v[i].len) < 0 ||
		    !pgr_sha256_hex(m->v[i].data != NULL ? m->v[i].data : "",
		    m->v[i].len, m->v[i].sha256))
			return -1;
	}
	return 0;
}

/* Lists the sealed members; sealed itself, then moved first. */
static int
manifest(struct members *m, const char *top)
{
	struct pgr_archive_file last;
	struct pgr_buf b = { 0 };
	size_t i, n = m->n;

	pgr_buf_printf(&b, "# %s: sha256, size in bytes, file (this one excepted)\n"
	    "# check: awk '!/^#/ {print $1 \"  \" $3}' MANIFEST | sha256sum -c\n",
	    top);
	for (i = 0; i < n; i++)
		pgr_buf_printf(&b, "%s  %zu  %s\n", m->v[i].sha256, m->v[i].len,
		    m->v[i].name);
	members_add_buf(m, "MANIFEST", &b);
	if (m->oom || m->n != n + 1 || seal(m, n) != 0)
		return -1;
	/* First in the archive: what `tar tzf` shows first, read first. */
	last = m->v[n];
	memmove(&m->v[1], &m->v[0], n * sizeof(m->v[0]));
	m->v[0] = last;
	return 0;
}

int
pgr_bundle_write(const char *path, bool force, const struct pgr_analysis *an,
    const struct pgr_evidence *ev, size_t *nfiles, char *err, size_t errlen)
{
	const struct pgr_report *r = an != NULL ? an->r : NULL;
	const struct pgr_writer *w;
	struct members m = { 0 };
	char top[64], tmp[PATH_MAX + 32];
	const char *made = NULL;	/* ours, to remove until complete */
	struct tm tm;
	time_t t0;
	int fd = -1, rc = -1;

	if (path == NULL || path[0] == '\0')
		return pgr_fail(err, errlen, "bundle: no file name");
	if (strlen(path) >= PATH_MAX - 32)
		return create_error(path, ENAMETOOLONG, err, errlen);
	if (r == NULL)
		return pgr_fail(err, errlen, "bundle %s: no report", path);
	if (pgr_archive_load(err, errlen) != 0)
		return -1;
	t0 = r->started_at.tv_sec != 0 ? r->started_at.tv_sec : time(NULL);
	if (gmtime_r(&t0, &tm) == NULL ||
	    strftime(top, sizeof(top), "pgreach-%Y%m%dT%H%M%SZ", &tm) == 0)
		snprintf(top, sizeof(top), "pgreach");

	if (secrets_collect(r, ev) != 0)
		m.oom = true;
	for (w = pgr_writers; w->name != NULL; w++)
		if (w->bundle_member != NULL)
			render(&m, w, an);
	phases_tsv(&m, r);
	dns_txt(&m, r);
	certs(&m, r);
	evidence(&m, ev);
	cmdline(&m, r);
	env_members(&m, r);
	if (m.oom || seal(&m, 0) != 0 ||
	    manifest(&m, top) != 0) {
		pgr_fail(err, errlen, "bundle %s: out of memory", path);
		goto out;
	}

	if ((fd = open_output(path, force, tmp, sizeof(tmp), err, errlen)) < 0)
		goto out;
	made = tmp[0] != '\0' ? tmp : path;
	if (pgr_archive_write(fd, path, top, t0, m.v, m.n, err, errlen) != 0)
		goto out;
	/* umask may have taken bits from open()'s 0600; it can add none. */
	if (fchmod(fd, 0600) != 0 || fsync(fd) != 0) {
		pgr_fail(err, errlen, "bundle %s: %s", path, strerror(errno));
		goto out;
	}
	rc = close(fd);
	fd = -1;
	if (rc != 0) {
		pgr_fail(err, errlen, "bundle %s: %s", path, strerror(errno));
		goto out;
	}
	rc = -1;
	if (made == tmp && rename(tmp, path) != 0) {
		pgr_fail(err, errlen, "bundle %s: %s", path, strerror(errno));
		goto out;
	}
	made = NULL;
	if (nfiles != NULL)
		*nfiles = m.n;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (made != NULL)
		unlink(made);
	members_free(&m);
	return rc;
}

/* ------------------------------------------------------------------ */

char **
pgr_bundle_argv(int argc, char *const argv[])
{
	char **out, *buf;
	size_t cap;
	int i, j;

	if (argc < 0 || (out = calloc((size_t)argc + 1, sizeof(*out))) == NULL)
		return NULL;
	for (i = 0; i < argc; i++) {
		/* A secret shorter than REDACTED makes the text grow. */
		cap = 8 * strlen(argv[i]) + 16;
		if ((buf = malloc(cap)) == NULL)
			goto oom;
		snprintf(buf, cap, "%s", argv[i]);
		for (j = 0; j < argc; j++) {
			const char *eq = strchr(argv[j], '=');

			pgr_secrets_scrub_from(argv[j], buf, cap);
			/* --opt=postgres://... : the value alone, too */
			if (strncmp(argv[j], "--", 2) == 0 && eq != NULL)
				pgr_secrets_scrub_from(eq + 1, buf, cap);
		}
		out[i] = strdup(buf);
		explicit_bzero(buf, cap);
		free(buf);
		if (out[i] == NULL)
			goto oom;
	}
	return out;
oom:
	for (j = 0; j < argc; j++)
		free(out[j]);
	free(out);
	return NULL;
}
