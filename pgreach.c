/*
 * pgreach: prove a client reaches Heroku Postgres through its AWS
 * PrivateLink endpoint, or say which setup step is wrong.
 *
 * main() is the only place that knows exit codes: options, targets, the
 * run, the verdict, the writer, then 0/1/2/3.
 */
#include <ares.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <time.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "probes/engine.h"
#include "probes/result.h"
#include "probes/target.h"
#include "probes/workers.h"
#include "report/bundle.h"
#include "report/diagnose.h"
#include "report/endpoint.h"
#include "report/evidence.h"
#include "report/json.h"
#include "report/junit.h"
#include "report/nagios.h"
#include "report/prometheus.h"
#include "report/text.h"
#include "report/verdict.h"
#include "report/versions.h"
#include "serve/serve.h"

#define EXIT_UNKNOWN 3

extern char **environ;

static const char *progname = "pgreach";
static bool nagios_out;	/* a plugin's UNKNOWN goes to stdout: Nagios reads nothing else */

/* One line on stderr, with anything that looks like a secret in argv removed. */
static void
complain(int argc, char **argv, const char *msg, char *buf, size_t len)
{
	int i;

	snprintf(buf, len, "%s", msg);
	for (i = 1; i < argc; i++)
		pgr_target_scrub(argv[i], buf, len);
	fprintf(stderr, "%s: %s\n", progname, buf);
}

static int
fail(int argc, char **argv, const char *msg)
{
	char buf[1024];

	complain(argc, argv, msg, buf, sizeof(buf));
	if (nagios_out)
		printf("PGREACH UNKNOWN - %s\n", buf);
	return EXIT_UNKNOWN;
}

static void
print_versions(void)
{
	struct pgr_versions v;

	pgr_versions_get(&v);
	printf("pgreach %s (libpq %s, OpenSSL %s, c-ares %s)\n", v.pgreach,
	    v.libpq, v.openssl, v.cares);
}

static int
load_evidence(const struct pgr_cli *c, struct pgr_evidence *ev, char *err,
    size_t errlen)
{
	size_t i;

	for (i = 0; i < c->nevidence; i++)
		if (pgr_evidence_load(ev, c->evidence[i], err, errlen) != 0)
			return -1;
	return 0;
}

/* The database URLs of a `heroku config` evidence file become targets. */
static int
targets_from_config(struct pgr_target_list *l, const struct pgr_evidence *ev,
    char *err, size_t errlen)
{
	size_t i, j;

	for (i = 0; i < ev->n; i++) {
		const struct pgr_ev_heroku_config *cf = &ev->items[i].u.config;

		if (ev->items[i].type != PGR_EV_HEROKU_CONFIG)
			continue;
		for (j = 0; j < cf->nurls; j++) {
			char src[300];

			snprintf(src, sizeof(src), "%s in %s", cf->urls[j].key,
			    ev->items[i].path);
			if (pgr_targets_add(l, cf->urls[j].url, src,
			    cf->urls[j].kind == PGR_DBURL_ENDPOINT_PGBOUNCER ?
			    PGR_ROLE_PGBOUNCER : PGR_ROLE_POSTGRES, err, errlen) != 0)
				return -1;
		}
	}
	return 0;
}

/*
 * All of path, read once (a pipe cannot be read twice), NUL-terminated, at
 * most PGR_EVIDENCE_MAX_SIZE bytes.  O_NONBLOCK for the open only: open()
 * of a FIFO that nobody writes to never returns.
 */
static char *
read_input(const char *path, size_t *lenp, char *err, size_t errlen)
{
	size_t len = 0, cap = 0;
	char *buf = NULL, *nb;
	struct stat st;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "--targets %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || S_ISDIR(st.st_mode) ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == -1) {
		snprintf(err, errlen, "--targets %s: %s", path,
		    strerror(S_ISDIR(st.st_mode) ? EISDIR : errno));
		close(fd);
		return NULL;
	}
	for (;;) {
		if (len + 1 >= cap) {
			if (cap > PGR_EVIDENCE_MAX_SIZE) {
				snprintf(err, errlen, "--targets %s: larger than %d bytes",
				    path, PGR_EVIDENCE_MAX_SIZE);
				break;
			}
			cap = cap ? cap * 2 : 64 * 1024;
			if ((nb = realloc(buf, cap)) == NULL) {
				snprintf(err, errlen, "out of memory");
				break;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "--targets %s: %s", path, strerror(errno));
			break;
		}
		if (n == 0) {
			close(fd);
			buf[len] = '\0';
			*lenp = len;
			return buf;
		}
		len += (size_t)n;
	}
	close(fd);
	if (buf != NULL)
		explicit_bzero(buf, len);
	free(buf);
	return NULL;
}

/*
 * --targets FILE: `heroku config` output (its database URLs), or one target
 * per line; blank lines and # comments are skipped.
 */
static int
targets_from_file(struct pgr_target_list *l, const char *path, char *err,
    size_t errlen)
{
	struct pgr_evidence cf = { 0 };
	char *buf, *line, *next, *end, *p, src[300], ignored[512];
	size_t len = 0, lineno = 0, n;
	int rc = 0;

	if ((buf = read_input(path, &len, err, errlen)) == NULL)
		return -1;
	if (pgr_evidence_load_buffer(&cf, path, buf, len, ignored,
	    sizeof(ignored)) == 0 && cf.items[0].type == PGR_EV_HEROKU_CONFIG &&
	    cf.items[0].u.config.nurls > 0) {
		rc = targets_from_config(l, &cf, err, errlen);
		goto out;
	}
	for (line = buf; rc == 0 && line < buf + len; line = next) {
		end = memchr(line, '\n', (size_t)(buf + len - line));
		if (end == NULL)
			end = buf + len;
		next = end < buf + len ? end + 1 : end;
		lineno++;
		if (memchr(line, '\0', (size_t)(end - line)) != NULL) {
			snprintf(err, errlen, "--targets %s:%zu: NUL byte in line", path, lineno);
			rc = -1;
			break;
		}
		*end = '\0';
		n = (size_t)(end - line);
		while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' ' ||
		    line[n - 1] == '\t'))
			line[--n] = '\0';
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '\0' || *p == '#')
			continue;
		snprintf(src, sizeof(src), "%s:%zu", path, lineno);
		rc = pgr_targets_add(l, p, src, PGR_ROLE_POSTGRES, err, errlen);
	}
out:
	pgr_evidence_free(&cf);
	explicit_bzero(buf, len);
	free(buf);
	return rc;
}

static int
collect_targets(const struct pgr_cli *c, const struct pgr_evidence *ev,
    struct pgr_target_list *l, char *err, size_t errlen)
{
	size_t k;
	int i;

	for (i = 0; i < c->ntargets; i++) {
		char src[32];

		snprintf(src, sizeof(src), "argument %d", i + 1);
		if (pgr_targets_add(l, c->targets[i], src, PGR_ROLE_POSTGRES, err, errlen) != 0)
			return -1;
	}
	if (c->targets_file != NULL &&
	    targets_from_file(l, c->targets_file, err, errlen) != 0)
		return -1;
	if (c->ntargets == 0 && targets_from_config(l, ev, err, errlen) != 0)
		return -1;
	if (c->ntargets == 0 && l->n == 0 &&
	    pgr_targets_from_env(l, environ, err, errlen) != 0)
		return -1;
	if (l->n == 0) {
		snprintf(err, errlen, "no target: give a postgres:// URL, or set DATABASE_URL or DATABASE_ENDPOINT_<ID>_URL (see --help)");
		return -1;
	}
	for (k = 0; k < l->n; k++)
		pgr_endpoint_parse(l->v[k].host, &l->v[k].endpoint);
	if (!c->no_pgbouncer && pgr_targets_add_siblings(l) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* The expected region: --region, then AWS_REGION, then AWS_DEFAULT_REGION. */
static const char *
region_of(const struct pgr_cli *c, const char **source)
{
	static const char *const vars[] = { "AWS_REGION", "AWS_DEFAULT_REGION" };
	size_t i;

	if (source != NULL)
		*source = "--region";
	if (c->region != NULL)
		return c->region;
	for (i = 0; i < 2; i++) {
		const char *v = getenv(vars[i]);

		if (v != NULL && v[0] != '\0') {
			if (source != NULL)
				*source = vars[i];
			return v;
		}
	}
	return NULL;
}

static void
diagnose(const struct pgr_cli *c, const struct pgr_evidence *ev,
    struct pgr_report *rep)
{
	struct pgr_diag_opts d;

	memset(&d, 0, sizeof(d));
	d.region = region_of(c, &d.region_source);
	d.ev = ev->n > 0 ? ev : NULL;
	d.vpc_given = c->nvpc > 0;
	d.cert_warning_days = c->cert_warning_days;
	d.cert_critical_days = c->cert_critical_days;
	d.sslmode = c->sslmode;
	pgr_diagnose(rep, &d);
}

static bool
utf8_locale(void)
{
	const char *v = getenv("LC_ALL");

	if (v == NULL || v[0] == '\0')
		v = getenv("LC_CTYPE");
	if (v == NULL || v[0] == '\0')
		v = getenv("LANG");
	return v != NULL && (strcasestr(v, "utf-8") != NULL || strcasestr(v, "utf8") != NULL);
}

static int
write_report(const struct pgr_cli *c, const struct pgr_evidence *ev,
    const struct pgr_nagios_opts *no, const struct pgr_report *rep)
{
	struct pgr_text_opts to;

	switch (c->format) {
	case PGR_FMT_JSON:
		return pgr_write_json(stdout, rep);
	case PGR_FMT_NAGIOS:
		return pgr_write_nagios(stdout, rep, no);
	case PGR_FMT_PROMETHEUS:
		return pgr_write_prometheus(stdout, rep);
	case PGR_FMT_JUNIT:
		return pgr_write_junit(stdout, rep, ev->n > 0 ? ev : NULL,
		    region_of(c, NULL));
	default:
		to.color = !c->no_color && getenv("NO_COLOR") == NULL &&
		    isatty(STDOUT_FILENO);
		to.verbose = c->verbose;
		to.utf8 = utf8_locale();
		to.ev = ev->n > 0 ? ev : NULL;
		to.region = region_of(c, NULL);
		return pgr_write_text(stdout, rep, &to);
	}
}

/* A live progress line on a terminal's stderr; erased before the report. */
static void
progress_line(void *arg, size_t done, size_t total, size_t dns_pending,
    double elapsed_ms)
{
	(void)arg;
	fprintf(stderr, "\r\033[K%s: %zu/%zu connections done%s, %.1f s", progname,
	    done, total, dns_pending ? ", resolving" : "", elapsed_ms / 1000);
	fflush(stderr);
}

/*
 * One probe of every target, its diagnosis and its verdict.  Thresholds
 * come after the verdict's phase check so that a latency finding cannot
 * hide a failed phase; every format gets the same status and exit code.
 */
static int
probe_once(const struct pgr_cli *c, const struct pgr_evidence *ev,
    const struct pgr_nagios_opts *no, const struct pgr_run_opts *ro,
    struct pgr_report *rep, char *err, size_t errlen)
{
	enum pgr_severity sev;

	pgr_report_reset(rep);
	if (pgr_engine_run(rep, ro, err, errlen) != 0)
		return -1;
	if (ro->progress != NULL)
		fputs("\r\033[K", stderr);
	diagnose(c, ev, rep);
	rep->status = pgr_verdict(rep);
	sev = pgr_thresholds_apply(rep, no);
	if (sev > rep->status)
		rep->status = sev;
	return 0;
}

static volatile sig_atomic_t interrupted;

static void
on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* ",CODE@target," for every finding that is not ok: the state --wait compares. */
static void
finding_set(const struct pgr_report *r, char *buf, size_t len)
{
	size_t i, n = 1;

	snprintf(buf, len, ",");
	for (i = 0; i < r->nfindings && n < len; i++)
		if (r->findings[i].severity != PGR_SEV_OK)
			n += (size_t)snprintf(buf + n, len - n, "%s@%d,",
			    r->findings[i].code, r->findings[i].target);
}

/* One line per change of state, never a wall of repeats. */
static void
print_changes(const struct pgr_report *r, const char *before, const char *now,
    double elapsed)
{
	char key[128];
	size_t i;

	for (i = 0; i < r->nfindings; i++) {
		const struct pgr_finding *f = &r->findings[i];

		snprintf(key, sizeof(key), ",%s@%d,", f->code, f->target);
		if (f->severity != PGR_SEV_OK && strstr(before, key) == NULL)
			fprintf(stderr, "%s: [%6.1fs] failing: %s (%s): %s\n", progname,
			    elapsed, f->code, f->cause, f->summary);
	}
	for (const char *p = before + 1; *p; ) {
		const char *end = strchr(p, ',');

		if (end == NULL)
			break;
		snprintf(key, sizeof(key), ",%.*s,", (int)(end - p), p);
		if (strstr(now, key) == NULL)
			fprintf(stderr, "%s: [%6.1fs] passing now: %.*s\n", progname,
			    elapsed, (int)(strchr(p, '@') ? strchr(p, '@') - p : end - p), p);
		p = end + 1;
	}
}

static double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sleep up to s seconds; false if interrupted. */
static bool
nap(double s)
{
	struct timespec ts;

	if (s <= 0)
		return !interrupted;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (!interrupted && nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	return !interrupted;
}

/*
 * --wait: a new endpoint takes minutes to be accepted.  Probe, and while
 * the verdict is not OK probe again with capped, jittered exponential
 * backoff (2 s doubling to 30 s) until OK or the time is up.  The report
 * is the last probe's.  Ctrl-C ends the wait with the last report.
 */
static int
wait_loop(const struct pgr_cli *c, const struct pgr_evidence *ev,
    const struct pgr_nagios_opts *no, const struct pgr_run_opts *ro,
    struct pgr_report *rep, char *err, size_t errlen)
{
	struct pgr_run_opts o = *ro;
	struct sigaction sa;
	char before[4096] = ",", now[4096];
	double start = mono_s(), end = start + c->wait_s, delay = 2;
	unsigned int seed = (unsigned int)(start * 1000) ^ (unsigned int)getpid();
	int round = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (;;) {
		double left = end - mono_s();

		/* Each probe obeys --timeout, and none outlives the wait. */
		o.timeout_s = left < ro->timeout_s ? (left > 0.2 ? left : 0.2) : ro->timeout_s;
		if (probe_once(c, ev, no, &o, rep, err, errlen) != 0)
			return -1;
		round++;
		finding_set(rep, now, sizeof(now));
		print_changes(rep, before, now, mono_s() - start);
		memcpy(before, now, sizeof(before));
		if (rep->status == PGR_SEV_OK || interrupted)
			break;
		left = end - mono_s();
		if (left <= 0.2)
			break;
		/* Jitter of +-20% keeps a fleet of pipelines from probing in step. */
		if (!nap(fmin(delay * (0.8 + 0.4 * rand_r(&seed) / (double)RAND_MAX), left)))
			break;
		delay = fmin(delay * 2, 30);
	}
	fprintf(stderr, "%s: %s after %d probe%s in %.1f s%s\n", progname,
	    rep->status == PGR_SEV_OK ? "OK" : "still failing", round,
	    round == 1 ? "" : "s", mono_s() - start, interrupted ? " (interrupted)" : "");
	return 0;
}

int
main(int argc, char **argv)
{
	struct pgr_target_list targets = { 0 };
	struct pgr_evidence ev = { 0 };
	struct pgr_nagios_opts no;
	struct pgr_report rep;
	struct pgr_run_opts ro;
	struct pgr_cli c;
	char err[1024];
	int rc;

	progname = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	nagios_out = strcmp(progname, "check_pgreach") == 0;
	/* pgreach serve: the exporter has its own options (serve/serve.c). */
	if (argc > 1 && strcmp(argv[1], "serve") == 0)
		return pgr_serve_main(argc - 1, argv + 1, progname);
	if (pgr_cli_parse(&c, argc, argv, progname, err, sizeof(err)) != PGR_CLI_RUN)
		return fail(argc, argv, err);
	nagios_out = c.format == PGR_FMT_NAGIOS;
	if (c.show_help) {
		pgr_cli_usage(stdout, progname);
		return 0;
	}
	if (c.show_version) {
		print_versions();
		return 0;
	}
	if (pgr_nagios_opts_set(&no, c.warning, c.critical, c.query_warning,
	    c.query_critical, c.cert_warning_days, c.cert_critical_days, err,
	    sizeof(err)) != 0)
		return fail(argc, argv, err);
	if (c.region != NULL && !pgr_region_valid(c.region))
		return fail(argc, argv, "--region: expected an AWS region such as us-east-1");
	/* Before the run: a bundle that cannot be written should not cost one. */
	if (c.bundle != NULL &&
	    pgr_bundle_check(c.bundle, c.force, err, sizeof(err)) != 0)
		return fail(argc, argv, err);
	if (load_evidence(&c, &ev, err, sizeof(err)) != 0 ||
	    collect_targets(&c, &ev, &targets, err, sizeof(err)) != 0) {
		pgr_targets_free(&targets);
		pgr_evidence_free(&ev);
		return fail(argc, argv, err);
	}
	signal(SIGPIPE, SIG_IGN);
	ares_library_init(ARES_LIB_INIT_ALL);

	memset(&rep, 0, sizeof(rep));
	/* The bundle's cmdline.txt: every argument's password already REDACTED. */
	rep.argv = pgr_bundle_argv(argc, argv);
	rep.argc = rep.argv != NULL ? argc : 0;
	rep.targets = targets.v;
	rep.ntargets = targets.n;
	ro = (struct pgr_run_opts){
		.timeout_s = c.timeout_s, .dns_servers = c.dns_servers,
		.ndns_servers = c.ndns_servers, .sslmode = c.sslmode,
		.sslrootcert = c.sslrootcert, .query = c.query, .count = c.count,
		.parallel = c.parallel, .vpc = c.vpc, .nvpc = c.nvpc,
		.workers = c.threads > 0 ? c.threads : pgr_workers_default(),
		.workers_after = c.threads > 0 ? 0 : PGR_WORKERS_AFTER,
	};
	/* Only a person watching a terminal wants the progress line. */
	if (isatty(STDERR_FILENO) && !c.no_color && getenv("NO_COLOR") == NULL &&
	    getenv("TERM") != NULL && strcmp(getenv("TERM"), "dumb") != 0)
		ro.progress = progress_line;
	if ((c.wait_s > 0 ? wait_loop(&c, &ev, &no, &ro, &rep, err, sizeof(err)) :
	    probe_once(&c, &ev, &no, &ro, &rep, err, sizeof(err))) != 0) {
		pgr_report_free(&rep);
		pgr_evidence_free(&ev);
		ares_library_cleanup();
		pgr_bundle_unload();
		return fail(argc, argv, err);
	}
	rc = write_report(&c, &ev, &no, &rep) != 0 ? EXIT_UNKNOWN : (int)rep.status;
	fflush(stdout);
	if (c.bundle != NULL && pgr_bundle_write(c.bundle, c.force, &rep, &ev,
	    &no, err, sizeof(err)) != 0) {
		char buf[1024];

		/* The report is out already: no second Nagios status line. */
		complain(argc, argv, err, buf, sizeof(buf));
		rc = EXIT_UNKNOWN;
	}
	pgr_report_free(&rep);
	pgr_evidence_free(&ev);
	ares_library_cleanup();
	pgr_bundle_unload();
	return rc;
}
