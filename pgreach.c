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
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "config.h"
#include "input/aws/aws.h"
#include "probes/engine.h"
#include "probes/result.h"
#include "probes/target.h"
#include "probes/workers.h"
#include "report/analysis.h"
#include "report/bundle.h"
#include "report/endpoint.h"
#include "report/evidence.h"
#include "report/thresholds.h"
#include "report/versions.h"
#include "report/writer.h"
#include "util/secrets.h"
#include "serve/serve.h"

#define EXIT_UNKNOWN 3

extern char **environ;

static const char *progname = "pgreach";
/*
 * The format an early error is written in, so that stdout still holds a
 * document (Nagios reads nothing else; a script pipes JSON into jq).
 */
static const struct pgr_writer *error_format;

/* One line on stderr, with anything that looks like a secret in argv removed. */
static void
complain(int argc, char **argv, const char *msg, char *buf, size_t len)
{
	int i;

	snprintf(buf, len, "%s", msg);
	for (i = 1; i < argc; i++)
		pgr_secrets_scrub_from(argv[i], buf, len);
	fprintf(stderr, "%s: %s\n", progname, buf);
}

static int
fail(int argc, char **argv, const char *msg)
{
	char buf[1024];

	complain(argc, argv, msg, buf, sizeof(buf));
	if (error_format != NULL && error_format->error != NULL)
		error_format->error(stdout, buf);
	return EXIT_UNKNOWN;
}

/* --format as argv says it before the options are parsed, else the default. */
static const struct pgr_writer *
format_in(int argc, char **argv)
{
	const struct pgr_writer *w = pgr_writer_find(strcmp(progname,
	    "check_pgreach") == 0 ? "nagios" : "text");
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		const char *v = NULL;

		if (strncmp(argv[i], "--format=", 9) == 0)
			v = argv[i] + 9;
		else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
			v = argv[++i];
		if (v != NULL && pgr_writer_find(v) != NULL)
			w = pgr_writer_find(v);
	}
	return w;
}

static void
print_versions(void)
{
	struct pgr_versions v;

	pgr_versions_get(&v);
	/* A plugin prints "check_NAME vX.Y (...)", as the Monitoring Plugins do. */
	if (strcmp(progname, "check_pgreach") == 0)
		printf("check_pgreach v%s (pgreach %s; libpq %s, OpenSSL %s, c-ares %s)\n",
		    v.pgreach, v.pgreach, v.libpq, v.openssl, v.cares);
	else
		printf("pgreach %s (libpq %s, OpenSSL %s, c-ares %s)\n", v.pgreach,
		    v.libpq, v.openssl, v.cares);
}

static int
load_evidence(const struct pgr_cli *c, struct pgr_evidence *ev, char *err,
    size_t errlen)
{
	size_t i;

	for (i = 0; i < c->nevidence; i++)
		if (pgr_evidence_load(ev, c->evidence[i], err, errlen) != 0) {
			char why[768];

			/* name the option: "--evidence /x: No such file or directory" */
			snprintf(why, sizeof(why), "%.700s", err);
			snprintf(err, errlen, "--evidence %.700s", why);
			return -1;
		}
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
 * An error about a line of a --targets file names the file and the line
 * number and never shows the line: under sudo, --targets /etc/shadow
 * would print a password hash.  Every "quoted" piece of the message (what
 * libpq and the target parser quote is the input) goes.
 */
static void
unquote(char *err, size_t errlen)
{
	char *out = malloc(errlen), *r, *e;
	size_t o = 0;

	if (out == NULL) {
		snprintf(err, errlen, "out of memory");
		return;
	}
	for (r = err; *r != '\0' && *r != '\n' && o + 1 < errlen; r++) {
		if (*r != '"') {
			out[o++] = *r;
			continue;
		}
		e = strchr(r + 1, '"');
		o += (size_t)snprintf(out + o, errlen - o, "(not shown)");
		if (o >= errlen)
			o = errlen - 1;
		if (e == NULL)
			break;
		r = e;
	}
	out[o] = '\0';
	memcpy(err, out, o + 1);
	explicit_bzero(out, errlen);
	free(out);
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
	if (rc != 0)
		unquote(err, errlen);
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
	if (source != NULL)
		*source = "--region";
	return c->region != NULL ? c->region : pgr_env_region(source);
}

/* What the analysis needs of the command line and the evidence. */
static void
analysis_opts(const struct pgr_cli *c, const struct pgr_evidence *ev,
    const struct pgr_thresholds *thr, struct pgr_analysis_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->region = region_of(c, &o->region_source);
	o->ev = ev->n > 0 ? ev : NULL;
	o->vpc_given = c->nvpc > 0;
	o->sslmode = c->sslmode;
	o->thr = thr;
	o->idle_s = c->idle_s;
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

/* Columns to fit the text to: the terminal's, else $COLUMNS, else none. */
static int
term_width(void)
{
	struct winsize ws;
	const char *v = getenv("COLUMNS");
	long n;

	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
	    ws.ws_col > 0)
		return ws.ws_col;
	if (v != NULL && pgr_parse_long(v, &n, 20, 1000) == 0)
		return (int)n;
	return 0;
}

static int
write_report(const struct pgr_cli *c, const struct pgr_analysis *an)
{
	struct pgr_write_opts o;

	memset(&o, 0, sizeof(o));
	o.color = !c->no_color && getenv("NO_COLOR") == NULL && isatty(STDOUT_FILENO);
	o.verbose = c->quiet ? -1 : c->verbose;
	o.utf8 = utf8_locale();
	o.width = term_width();
	o.perfdata = c->perfdata;
	return c->format->write(stdout, an, &o);
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
 * The engine's run, with --aws reading the configuration of every target's
 * endpoint in the same loop.  What --aws fetched on an earlier round
 * of --wait is dropped first: only the last round's answers count.
 */
static int
run_with_aws(const struct pgr_cli *c, struct pgr_evidence *ev,
    const struct pgr_run_opts *ro, struct pgr_report *rep, char *err, size_t errlen)
{
	static size_t nfiles = (size_t)-1;
	struct pgr_run_source src;
	struct pgr_run_opts o = *ro;
	struct pgr_aws_opts ao;
	struct pgr_aws *aws = NULL;
	int rc;

	if (nfiles == (size_t)-1)
		nfiles = ev->n;
	pgr_evidence_truncate(ev, nfiles);
	if (c->aws && rep->ntargets > 0) {
		const struct pgr_evidence_item *pl = pgr_evidence_find(ev, PGR_EV_PRIVATELINK);

		memset(&ao, 0, sizeof(ao));
		ao.rep = rep;
		ao.region = region_of(c, NULL);
		ao.service = pl != NULL ? pl->u.privatelink.service_name : NULL;
		/* -vv: each AWS request on stderr, as the probes' details go to the report. */
		ao.trace = c->verbose >= 2 && !c->quiet ? stderr : NULL;
		if (pgr_aws_new(&aws, &ao, err, errlen) != 0)
			return -1;
		pgr_aws_source(aws, &src);
		o.source = &src;
	}
	rc = pgr_engine_run(rep, &o, err, errlen);
	if (rc == 0 && aws != NULL && pgr_aws_finish(aws, ev) != 0) {
		snprintf(err, errlen, "--aws: out of memory");
		rc = -1;
	}
	pgr_aws_free(aws);
	return rc;
}

/*
 * One probe of every target, then the one analysis every format writes:
 * findings, checklist, verdict.  The previous probe's analysis goes first;
 * the evidence --aws fetched during the run counts in this analysis.
 */
static int
probe_once(const struct pgr_cli *c, struct pgr_evidence *ev,
    const struct pgr_run_opts *ro, struct pgr_analysis_opts *ao,
    struct pgr_report *rep, struct pgr_analysis *an, char *err, size_t errlen)
{
	pgr_analysis_free(an);
	pgr_report_reset(rep);
	if (run_with_aws(c, ev, ro, rep, err, errlen) != 0)
		return -1;
	if (ro->progress != NULL)
		fputs("\r\033[K", stderr);
	ao->ev = ev->n > 0 ? ev : NULL;
	return pgr_analyze(an, rep, ao, err, errlen);
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
finding_set(const struct pgr_analysis *an, char *buf, size_t len)
{
	size_t i, n = 1;

	snprintf(buf, len, ",");
	for (i = 0; i < an->findings.n && n < len; i++)
		if (an->findings.v[i].severity != PGR_SEV_OK)
			n += (size_t)snprintf(buf + n, len - n, "%s@%d,",
			    pgr_code_name(an->findings.v[i].code), an->findings.v[i].target);
}

/* One line per change of state, never a wall of repeats. */
static void
print_changes(const struct pgr_analysis *an, const char *before, const char *now,
    double elapsed)
{
	char key[128];
	size_t i;

	for (i = 0; i < an->findings.n; i++) {
		const struct pgr_finding *f = &an->findings.v[i];

		snprintf(key, sizeof(key), ",%s@%d,", pgr_code_name(f->code), f->target);
		if (f->severity != PGR_SEV_OK && strstr(before, key) == NULL)
			fprintf(stderr, "%s: [%6.1fs] failing: %s (%s): %s\n", progname,
			    elapsed, pgr_code_name(f->code), pgr_cause_name(f->cause), f->summary);
	}
	for (const char *p = before + 1; *p; ) {
		const char *end = strchr(p, ',');

		if (end == NULL)
			break;
		snprintf(key, sizeof(key), ",%.*s,", (int)(end - p), p);
		if (strstr(now, key) == NULL)
			fprintf(stderr, "%s: [%6.1fs] resolved: %.*s\n", progname,
			    elapsed, (int)(strchr(p, '@') ? strchr(p, '@') - p : end - p), p);
		p = end + 1;
	}
}

/* "probe 4: still failing (SECURITY_GROUP_BLOCKS); next in 16 s" */
static void
heartbeat(const struct pgr_analysis *an, int round, double next_s)
{
	char codes[512];
	size_t i, n = 0;

	codes[0] = '\0';
	for (i = 0; i < an->findings.n && n < sizeof(codes); i++)
		if (an->findings.v[i].severity > PGR_SEV_OK &&
		    strstr(codes, pgr_code_name(an->findings.v[i].code)) == NULL)
			n += (size_t)snprintf(codes + n, sizeof(codes) - n, "%s%s",
			    n ? ", " : "", pgr_code_name(an->findings.v[i].code));
	fprintf(stderr, "%s: probe %d: still failing (%s); next in %.0f s\n", progname,
	    round, codes[0] ? codes : "a phase failed", next_s);
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
wait_loop(const struct pgr_cli *c, struct pgr_evidence *ev,
    const struct pgr_run_opts *ro, struct pgr_analysis_opts *ao,
    struct pgr_report *rep, struct pgr_analysis *an, char *err, size_t errlen)
{
	struct pgr_run_opts o = *ro;
	struct sigaction sa;
	char before[4096] = ",", now[4096];
	double start = mono_s(), end = start + c->wait_s, delay = 2, pause_s;
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
		if (probe_once(c, ev, &o, ao, rep, an, err, errlen) != 0)
			return -1;
		round++;
		finding_set(an, now, sizeof(now));
		print_changes(an, before, now, mono_s() - start);
		memcpy(before, now, sizeof(before));
		if (an->status == PGR_SEV_OK || interrupted)
			break;
		left = end - mono_s();
		if (left <= 0.2)
			break;
		/* Jitter of +-20% keeps a fleet of pipelines from probing in step. */
		pause_s = fmin(delay * (0.8 + 0.4 * rand_r(&seed) / (double)RAND_MAX), left);
		/* A CI log has no terminal to watch: one line per probe says it lives. */
		if (!isatty(STDERR_FILENO))
			heartbeat(an, round, pause_s);
		if (!nap(pause_s))
			break;
		delay = fmin(delay * 2, 30);
	}
	fprintf(stderr, "%s: %s after %d probe%s in %.1f s%s\n", progname,
	    an->status == PGR_SEV_OK ? "OK" : "still failing", round,
	    round == 1 ? "" : "s", mono_s() - start, interrupted ? " (interrupted)" : "");
	return 0;
}

/*
 * A core dump holds the password (libpq keeps it, and every buffer that
 * ever read it).  No core file, whatever ulimit -c says, and not
 * dumpable: no core through a core_pattern pipe either, and no ptrace or
 * /proc/PID/mem for other processes of the same user.
 */
static void
harden(void)
{
	struct rlimit rl = { 0, 0 };

	setrlimit(RLIMIT_CORE, &rl);
#ifndef __SANITIZE_ADDRESS__
	/*
	 * Not under ASan: LeakSanitizer stops the process with ptrace at exit,
	 * which a process that is not dumpable refuses to anyone but root.
	 */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
}

int
main(int argc, char **argv)
{
	struct pgr_target_list targets = { 0 };
	struct pgr_evidence ev = { 0 };
	struct pgr_analysis_opts ao;
	struct pgr_analysis an = { 0 };
	struct pgr_thresholds thr;
	struct pgr_report rep;
	size_t nfiles = 0;
	struct pgr_run_opts ro;
	struct pgr_cli c;
	char err[1024];
	int rc, i;

	harden();
	/*
	 * No OPENSSL_cleanup() at exit: it frees what the kernel takes back
	 * anyway (1.4 M instructions, a quarter of a millisecond after the
	 * report).  First, before anything starts OpenSSL without the option.
	 */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
	progname = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	error_format = format_in(argc, argv);
	/* Every secret the command line and the environment carry, first. */
	atexit(pgr_secrets_clear);	/* wiped on every way out */
	pgr_secrets_add_env();
	for (i = 1; i < argc; i++)
		pgr_secrets_add_from(argv[i]);
	/* pgreach serve: the exporter has its own options (serve/serve.c). */
	if (argc > 1 && strcmp(argv[1], "serve") == 0)
		return pgr_serve_main(argc - 1, argv + 1, progname);
	if (pgr_cli_parse(&c, argc, argv, progname, err, sizeof(err)) != PGR_CLI_RUN)
		return fail(argc, argv, err);
	error_format = c.format;
	if (c.show_help) {
		pgr_cli_usage(stdout, progname);
		return 0;
	}
	if (c.show_version) {
		print_versions();
		return 0;
	}
	if (pgr_thresholds_set(&thr, c.warning, c.critical, c.query_warning,
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
	/*
	 * The bundle's cmdline.txt: every argument's password already
	 * REDACTED, made before argv is masked, and only for a bundle.
	 */
	rep.argv = c.bundle != NULL ? pgr_bundle_argv(argc, argv) : NULL;
	rep.argc = rep.argv != NULL ? argc : 0;
	/*
	 * The targets are parsed into copies and the registry knows every
	 * password: argv need not hold them any longer, and any user can read
	 * it in /proc/PID/cmdline while the run lasts.
	 */
	for (i = 1; i < argc; i++)
		pgr_secrets_mask(argv[i]);
	rep.targets = targets.v;
	rep.ntargets = targets.n;
	ro = (struct pgr_run_opts){
		.timeout_s = c.timeout_s, .dns_servers = c.dns_servers,
		.ndns_servers = c.ndns_servers, .sslmode = c.sslmode,
		.sslrootcert = c.sslrootcert, .query = c.query, .count = c.count,
		.parallel = c.parallel, .vpc = c.vpc, .nvpc = c.nvpc,
		.workers = c.threads > 0 ? c.threads : pgr_workers_default(),
		.workers_after = c.threads > 0 ? 0 : PGR_WORKERS_AFTER,
		.idle_s = c.idle_s,
	};
	/* Only a person watching a terminal wants the progress line. */
	if (isatty(STDERR_FILENO) && !c.no_color && getenv("NO_COLOR") == NULL &&
	    getenv("TERM") != NULL && strcmp(getenv("TERM"), "dumb") != 0)
		ro.progress = progress_line;
	analysis_opts(&c, &ev, &thr, &ao);
	if ((c.wait_s > 0 ? wait_loop(&c, &ev, &ro, &ao, &rep, &an, err, sizeof(err)) :
	    probe_once(&c, &ev, &ro, &ao, &rep, &an, err, sizeof(err))) != 0) {
		pgr_analysis_free(&an);
		pgr_report_free(&rep);
		pgr_evidence_free(&ev);
		ares_library_cleanup();
		pgr_bundle_unload();
		return fail(argc, argv, err);
	}
	rc = write_report(&c, &an) != 0 ? EXIT_UNKNOWN : (int)an.status;
	fflush(stdout);
	if (c.bundle != NULL && pgr_bundle_write(c.bundle, c.force, &an, &ev,
	    &nfiles, err, sizeof(err)) == 0) {
		struct stat st;

		if (stat(c.bundle, &st) == 0)
			fprintf(stderr, "%s: wrote %s (%zu files, %lld KB)\n", progname,
			    c.bundle, nfiles, (long long)(st.st_size + 1023) / 1024);
	} else if (c.bundle != NULL) {
		char buf[1024];

		/* The report is out already: no second Nagios status line. */
		complain(argc, argv, err, buf, sizeof(buf));
		rc = EXIT_UNKNOWN;
	}
	pgr_analysis_free(&an);
	pgr_report_free(&rep);
	pgr_evidence_free(&ev);
	ares_library_cleanup();
	pgr_bundle_unload();
	return rc;
}
