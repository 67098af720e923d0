/*
 * The same steps as a command-line run (pgreach.c's probe_once), for one
 * configured target.  The password is fetched at each probe, so a rotated
 * file or a changed environment (a restart) is picked up without a reload,
 * and it lives only in the report's target, freed with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input/aws/aws.h"
#include "probes/engine.h"
#include "probes/target.h"
#include "report/analysis.h"
#include "report/endpoint.h"
#include "report/writer.h"
#include "serve/probe.h"

#define PASSWORD_FILE_MAX 1024

/* The first line of a password file; a FIFO or a huge file is refused. */
static char *
read_password_file(const char *path, char *err, size_t errlen)
{
	char buf[PASSWORD_FILE_MAX + 1];
	struct stat st;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return pgr_fail(err, errlen, "password_file %s: %s", path,
		    strerror(errno)), NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return pgr_fail(err, errlen, "password_file %s: not a regular file",
		    path), NULL;
	}
	n = read(fd, buf, PASSWORD_FILE_MAX);
	close(fd);
	if (n <= 0)
		return pgr_fail(err, errlen, "password_file %s: empty or unreadable",
		    path), NULL;
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0] == '\0') {
		explicit_bzero(buf, sizeof(buf));
		return pgr_fail(err, errlen, "password_file %s: empty first line",
		    path), NULL;
	}
	{
		char *pw = strdup(buf);

		explicit_bzero(buf, sizeof(buf));
		if (pw == NULL)
			pgr_fail(err, errlen, "out of memory");
		return pw;
	}
}

static int
add_passfile(struct pgr_target *t, const char *path)
{
	char **k = realloc(t->extra_keys, (t->nextra + 1) * sizeof(*k));

	if (k == NULL)
		return -1;
	t->extra_keys = k;
	k = realloc(t->extra_vals, (t->nextra + 1) * sizeof(*k));
	if (k == NULL)
		return -1;
	t->extra_vals = k;
	t->extra_keys[t->nextra] = strdup("passfile");
	t->extra_vals[t->nextra] = strdup(path);
	t->nextra++;
	return t->extra_keys[t->nextra - 1] && t->extra_vals[t->nextra - 1] ? 0 : -1;
}

static int
set_password(struct pgr_target *pt, const struct pgr_serve_target *t,
    char *err, size_t errlen)
{
	const char *v;
	char *pw = NULL;

	switch (t->pwsrc) {
	case PGR_PW_NONE:
		return 0;
	case PGR_PW_ENV:
		if ((v = getenv(t->pw)) == NULL || v[0] == '\0')
			return pgr_fail(err, errlen, "target %s: environment variable %s "
			    "is not set", t->name, t->pw);
		pw = strdup(v);
		break;
	case PGR_PW_FILE:
		if ((pw = read_password_file(t->pw, err, errlen)) == NULL)
			return -1;
		break;
	case PGR_PW_PGPASS:
		return add_passfile(pt, t->pw) == 0 ? 0 :
		    pgr_fail(err, errlen, "out of memory");
	case PGR_PW_INLINE:
		pw = strdup(t->pw);
		break;
	}
	if (pw == NULL)
		return pgr_fail(err, errlen, "out of memory");
	if (pt->password != NULL) {
		explicit_bzero(pt->password, strlen(pt->password));
		free(pt->password);
	}
	pt->password = pw;
	return 0;
}

static int
build_targets(struct pgr_target_list *l, const struct pgr_serve_target *t,
    const struct pgr_serve_module *m, char *err, size_t errlen)
{
	char e[512];
	size_t k;

	/* Checked at load; a message here would be scrubbed of the password. */
	if (pgr_targets_add(l, t->url, t->name, PGR_ROLE_POSTGRES, e, sizeof(e)) != 0)
		return pgr_fail(err, errlen, "target %s: its url no longer parses",
		    t->name);
	if (set_password(&l->v[0], t, err, errlen) != 0)
		return -1;
	for (k = 0; k < l->n; k++)
		pgr_endpoint_parse(l->v[k].host, &l->v[k].endpoint);
	/* Siblings copy the password and passfile of the target. */
	if (!m->no_pgbouncer && pgr_targets_add_siblings(l) != 0)
		return pgr_fail(err, errlen, "out of memory");
	return 0;
}

/*
 * aws = true: the target's evidence files read again for this probe (the
 * loaded set is shared by concurrent probes), and the AWS fetch for every
 * target's endpoint, run inside the probe's own deadline.
 */
static int
aws_start(const struct pgr_serve_target *t, const char *region,
    const struct pgr_report *rep, struct pgr_evidence *ev, struct pgr_aws **aws,
    struct pgr_run_source *src, char *err, size_t errlen)
{
	struct pgr_aws_opts ao;
	size_t i;

	for (i = 0; i < t->nevidence; i++)
		if (pgr_evidence_load(ev, t->evidence[i], err, errlen) != 0)
			return -1;
	memset(&ao, 0, sizeof(ao));
	ao.rep = rep;
	ao.region = region;
	if (pgr_aws_new(aws, &ao, err, errlen) != 0)
		return -1;
	pgr_aws_source(*aws, src);
	return 0;
}

int
pgr_serve_probe(const struct pgr_serve_target *t,
    const struct pgr_serve_module *m, double timeout_s,
    struct pgr_serve_probe_out *out, char *err, size_t errlen)
{
	struct pgr_target_list l = { 0 };
	struct pgr_evidence ev = { 0 };
	struct pgr_aws *aws = NULL;
	struct pgr_run_source src;
	const char *region, *region_source;
	struct pgr_analysis_opts d;
	struct pgr_analysis an;
	struct pgr_run_opts ro;
	struct pgr_report rep;
	FILE *f;
	int rc;

	memset(out, 0, sizeof(*out));
	if (build_targets(&l, t, m, err, errlen) != 0) {
		pgr_targets_free(&l);
		return -1;
	}
	memset(&rep, 0, sizeof(rep));
	rep.targets = l.v;			/* the report owns them now */
	rep.ntargets = l.n;
	ro = (struct pgr_run_opts){
		.timeout_s = timeout_s,
		.dns_servers = (const char *const *)m->dns_servers,
		.ndns_servers = m->ndns_servers,
		.sslmode = m->sslmode != NULL ? m->sslmode : "require",
		.sslrootcert = m->sslrootcert,
		.query = m->query != NULL ? m->query : "SELECT 1",
		.count = m->count,
		.vpc = m->vpc, .nvpc = m->nvpc,
		/* Concurrency comes from the scrapes; one thread per probe. */
		.workers = 1,
		/* The wait comes on top of timeout_s: serve/http.c budgets both. */
		.idle_s = m->idle_s,
	};
	region_source = "region in the serve config";
	region = t->region != NULL ? t->region : pgr_env_region(&region_source);
	if (t->aws && aws_start(t, region, &rep, &ev, &aws, &src, err, errlen) != 0) {
		pgr_evidence_free(&ev);
		pgr_report_free(&rep);
		return -1;
	}
	if (aws != NULL)
		ro.source = &src;
	rc = pgr_engine_run(&rep, &ro, err, errlen);
	if (rc == 0 && aws != NULL && pgr_aws_finish(aws, &ev) != 0)
		rc = pgr_fail(err, errlen, "aws: out of memory");
	pgr_aws_free(aws);
	if (rc != 0) {
		pgr_evidence_free(&ev);
		pgr_report_free(&rep);
		return -1;
	}
	memset(&d, 0, sizeof(d));
	d.region = region;
	d.region_source = region_source;
	/* With aws, this probe's own copy of the files plus the API's answers. */
	d.ev = t->aws ? &ev : t->ev.n > 0 ? &t->ev : NULL;
	d.vpc_given = m->nvpc > 0;
	d.sslmode = ro.sslmode;
	d.thr = &m->thresholds;
	d.idle_s = m->idle_s;
	/* The same analysis and the same writer as --format prometheus. */
	if (pgr_analyze(&an, &rep, &d, err, errlen) != 0) {
		pgr_evidence_free(&ev);
		pgr_report_free(&rep);
		return -1;
	}

	if ((f = open_memstream(&out->body, &out->len)) == NULL) {
		pgr_analysis_free(&an);
		pgr_evidence_free(&ev);
		pgr_report_free(&rep);
		return pgr_fail(err, errlen, "out of memory");
	}
	rc = pgr_write_prometheus(f, &an, NULL);
	if (fclose(f) != 0 || rc != 0) {
		free(out->body);
		out->body = NULL;
		pgr_analysis_free(&an);
		pgr_evidence_free(&ev);
		pgr_report_free(&rep);
		return pgr_fail(err, errlen, "cannot write the metrics");
	}
	out->success = an.status == PGR_SEV_OK || an.status == PGR_SEV_WARNING;
	out->seconds = rep.duration_ms / 1000.0;
	pgr_analysis_free(&an);
	pgr_evidence_free(&ev);
	pgr_report_free(&rep);
	return 0;
}
