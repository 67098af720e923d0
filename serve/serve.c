/*
 * pgreach serve: options, the configuration's life cycle and signals.
 *
 * The main thread only waits for signals (sigtimedwait: every thread
 * blocks them, so none is interrupted mid-probe).  SIGHUP reloads;
 * SIGTERM and SIGINT drain: no new connections, ready answers 503, queued
 * scrapes get 503, probes in flight finish (each within its own timeout),
 * then the server stops.
 */
#include <ares.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "probes/clock.h"
#include "probes/result.h"
#include "probes/target.h"
#include "serve/http.h"
#include "serve/serve.h"
#include "serve/servelibs.h"

#define DEFAULT_LISTEN		"127.0.0.1:9839"
#define DEFAULT_CONCURRENT	8

struct pgr_serve_cfgref *
pgr_server_cfg_get(struct pgr_server *s)
{
	struct pgr_serve_cfgref *r;

	pthread_mutex_lock(&s->mu);
	r = s->cfg;
	r->refs++;
	pthread_mutex_unlock(&s->mu);
	return r;
}

void
pgr_server_cfg_put(struct pgr_server *s, struct pgr_serve_cfgref *r)
{
	bool last;

	pthread_mutex_lock(&s->mu);
	last = --r->refs == 0;
	pthread_mutex_unlock(&s->mu);
	if (last) {
		pgr_serve_config_free(&r->c);
		free(r);
	}
}

static struct pgr_serve_cfgref *
cfg_load(const char *path, char *err, size_t errlen)
{
	struct pgr_serve_cfgref *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return pgr_fail(err, errlen, "out of memory"), NULL;
	if (pgr_serve_config_load(&r->c, path, err, errlen) != 0) {
		free(r);
		return NULL;
	}
	r->refs = 1;
	return r;
}

/* A bad file leaves the configuration in use as it was. */
int
pgr_server_reload(struct pgr_server *s, char *err, size_t errlen)
{
	struct pgr_serve_cfgref *r, *old;

	pthread_mutex_lock(&s->reload_mu);
	if ((r = cfg_load(s->config_path, err, errlen)) == NULL) {
		pgr_serve_metrics_reload(&s->metrics, false);
		fprintf(stderr, "%s serve: reload failed, keeping the previous "
		    "configuration: %s\n", s->progname, err);
		pthread_mutex_unlock(&s->reload_mu);
		return -1;
	}
	pthread_mutex_lock(&s->mu);
	old = s->cfg;
	s->cfg = r;
	pthread_mutex_unlock(&s->mu);
	pgr_server_cfg_put(s, old);
	pgr_serve_metrics_reload(&s->metrics, true);
	fprintf(stderr, "%s serve: configuration reloaded: %zu targets, %zu modules\n",
	    s->progname, r->c.ntargets, r->c.nmodules);
	pthread_mutex_unlock(&s->reload_mu);
	return 0;
}

static void
usage(FILE *f, const char *progname)
{
	fprintf(f,
"Usage: %s serve --config FILE [options]\n"
"A Prometheus multi-target exporter: GET /probe?target=NAME[&module=M] probes\n"
"a target named in FILE and answers with its metrics.\n"
"\n"
"      --config FILE             targets and modules (see pgreach(1), SERVE)\n"
"      --web.listen-address ADDR host:port to listen on (default " DEFAULT_LISTEN ")\n"
"      --web.config.file FILE    TLS and basic auth, exporter-toolkit format\n"
"      --max-concurrent N        probes at once; more scrapes queue while half\n"
"                                their budget is left, then get 503 (default %d)\n"
"      --max-connections N       HTTP connections at once (default 4 x N + 64)\n"
"      --web.timeout SECONDS     idle or slow HTTP client limit (default 10)\n"
"      --scrape-timeout-offset S kept off Prometheus's scrape timeout (default 0.5)\n"
"      --check-config            load FILE (and the web config), report, exit\n"
"  -h, --help                    this help\n"
"\n"
"Routes: / (targets), /probe, /metrics, /-/healthy, /-/ready, POST /-/reload.\n"
"SIGHUP reloads the configuration; SIGTERM drains probes in flight and exits.\n",
	    progname, DEFAULT_CONCURRENT);
}

static int
parse_addr(const char *s, struct sockaddr_storage *ss, char *err, size_t errlen)
{
	struct addrinfo hints, *ai = NULL;
	char host[256], *colon;
	const char *h, *port;
	int rc;

	if (strlen(s) >= sizeof(host))
		return pgr_fail(err, errlen, "--web.listen-address: too long");
	snprintf(host, sizeof(host), "%s", s);
	if ((colon = strrchr(host, ':')) == NULL)
		return pgr_fail(err, errlen, "--web.listen-address: expected HOST:PORT, "
		    "[V6]:PORT or :PORT");
	*colon = '\0';
	port = colon + 1;
	h = host;
	if (host[0] == '[') {
		size_t n = strlen(host);

		if (n < 2 || host[n - 1] != ']')
			return pgr_fail(err, errlen, "--web.listen-address: unclosed [");
		host[n - 1] = '\0';
		h = host + 1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	/* ":9839" is every address, as with the Go exporters. */
	if ((rc = getaddrinfo(h[0] != '\0' ? h : NULL, port, &hints, &ai)) != 0)
		return pgr_fail(err, errlen, "--web.listen-address %s: %s", s,
		    gai_strerror(rc));
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	return 0;
}

static int
positive(const char *opt, const char *v, long max, long *out, char *err,
    size_t errlen)
{
	if (pgr_parse_long(v, out, 1, max) != 0)
		return pgr_fail(err, errlen, "%s: a whole number from 1 to %ld", opt, max);
	return 0;
}

static int
parse_options(struct pgr_server *s, int argc, char **argv, const char **listen,
    const char **webcfg, bool *check, bool *help, char *err, size_t errlen)
{
	enum { O_CONFIG = 1, O_LISTEN, O_WEB, O_MAX, O_CONN, O_TIMEOUT, O_OFFSET,
		O_CHECK };
	static const struct option lo[] = {
		{ "config", required_argument, NULL, O_CONFIG },
		{ "web.listen-address", required_argument, NULL, O_LISTEN },
		{ "web.config.file", required_argument, NULL, O_WEB },
		{ "max-concurrent", required_argument, NULL, O_MAX },
		{ "max-connections", required_argument, NULL, O_CONN },
		{ "web.timeout", required_argument, NULL, O_TIMEOUT },
		{ "scrape-timeout-offset", required_argument, NULL, O_OFFSET },
		{ "check-config", no_argument, NULL, O_CHECK },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	long l;
	char *end;
	int ch;

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		switch (ch) {
		case O_CONFIG: s->config_path = optarg; break;
		case O_LISTEN: *listen = optarg; break;
		case O_WEB: *webcfg = optarg; break;
		case O_MAX:
			if (positive("--max-concurrent", optarg, 1024, &l, err, errlen) != 0)
				return -1;
			s->max_concurrent = (int)l;
			break;
		case O_CONN:
			if (positive("--max-connections", optarg, 4096, &l, err, errlen) != 0)
				return -1;
			s->max_connections = (unsigned)l;
			break;
		case O_TIMEOUT:
			if (positive("--web.timeout", optarg, 3600, &l, err, errlen) != 0)
				return -1;
			s->conn_timeout_s = (unsigned)l;
			break;
		case O_OFFSET:
			errno = 0;
			s->scrape_offset_s = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    !(s->scrape_offset_s >= 0 && s->scrape_offset_s <= 60))
				return pgr_fail(err, errlen, "--scrape-timeout-offset: "
				    "seconds from 0 to 60");
			break;
		case O_CHECK: *check = true; break;
		case 'h': *help = true; break;
		case ':':
			return pgr_fail(err, errlen, "serve: option %s needs a value",
			    argv[optind - 1]);
		default:
			return pgr_fail(err, errlen, "serve: unknown option %.40s "
			    "(see pgreach serve --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return pgr_fail(err, errlen, "serve: unexpected argument %.40s: targets "
		    "are named in --config FILE", argv[optind]);
	if (!*help && s->config_path == NULL)
		return pgr_fail(err, errlen, "serve: --config FILE is required");
	return 0;
}

/* The longest a probe in flight may still take: the largest module timeout (plus idle). */
static double
longest_timeout(struct pgr_server *s)
{
	struct pgr_serve_cfgref *r = pgr_server_cfg_get(s);
	double m = 0;
	size_t i;

	for (i = 0; i < r->c.nmodules; i++)
		if (r->c.modules[i].timeout_s + r->c.modules[i].idle_s > m)
			m = r->c.modules[i].timeout_s + r->c.modules[i].idle_s;
	pgr_server_cfg_put(s, r);
	return m;
}

static void
drain(struct pgr_server *s)
{
	double deadline = pgr_now_ms() / 1000.0 + longest_timeout(s) + 1;
	struct timespec ts;

	pgr_http_quiesce(s);
	pthread_mutex_lock(&s->mu);
	s->draining = true;
	pthread_cond_broadcast(&s->slot);
	fprintf(stderr, "%s serve: draining %d probe%s in flight\n", s->progname,
	    s->in_flight, s->in_flight == 1 ? "" : "s");
	ts.tv_sec = (time_t)deadline;
	ts.tv_nsec = (long)((deadline - (double)ts.tv_sec) * 1e9);
	while (s->in_flight > 0)
		if (pthread_cond_timedwait(&s->slot, &s->mu, &ts) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&s->mu);
	pgr_http_stop(s);
}

static int
run(struct pgr_server *s, const sigset_t *set)
{
	char err[512];
	int sig;

	for (;;) {
		struct timespec ts = { 1, 0 };

		sig = sigtimedwait(set, NULL, &ts);
		if (sig == SIGHUP)
			(void)pgr_server_reload(s, err, sizeof(err));
		else if (sig == SIGTERM || sig == SIGINT) {
			fprintf(stderr, "%s serve: %s, shutting down\n", s->progname,
			    sig == SIGTERM ? "SIGTERM" : "SIGINT");
			drain(s);
			return 0;
		}
	}
}

int
pgr_serve_main(int argc, char **argv, const char *progname)
{
	struct pgr_server s;
	struct sockaddr_storage ss;
	const char *listen = DEFAULT_LISTEN, *webcfg = NULL;
	bool check = false, help = false;
	pthread_condattr_t ca;
	sigset_t set;
	char err[512];
	int rc = 3;

	memset(&s, 0, sizeof(s));
	s.progname = progname;
	s.max_concurrent = DEFAULT_CONCURRENT;
	s.conn_timeout_s = 10;
	s.scrape_offset_s = 0.5;
	if (parse_options(&s, argc, argv, &listen, &webcfg, &check, &help, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", progname, err);
		return 3;
	}
	if (help) {
		usage(stdout, progname);
		return 0;
	}
	if (s.max_connections == 0)
		s.max_connections = 4 * (unsigned)s.max_concurrent + 64;
	if (parse_addr(listen, &ss, err, sizeof(err)) != 0 ||
	    (webcfg != NULL && pgr_webconfig_load(&s.web, webcfg, err, sizeof(err)) != 0) ||
	    (s.cfg = cfg_load(s.config_path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s: %s\n", progname, err);
		pgr_webconfig_free(&s.web);
		return 3;
	}
	if (check) {
		printf("%s: %zu targets, %zu modules: ok\n", s.config_path,
		    s.cfg->c.ntargets, s.cfg->c.nmodules);
		pgr_server_cfg_put(&s, s.cfg);
		pgr_webconfig_free(&s.web);
		return 0;
	}
	/* libmicrohttpd and libcrypt are opened now, not on every run. */
	if (pgr_serve_libs_load(err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", progname, err);
		pgr_server_cfg_put(&s, s.cfg);
		pgr_webconfig_free(&s.web);
		return 3;
	}
	pthread_mutex_init(&s.mu, NULL);
	pthread_mutex_init(&s.reload_mu, NULL);
	/* The queue's deadlines are CLOCK_MONOTONIC, like the probe's. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s.slot, &ca);
	pthread_condattr_destroy(&ca);
	pgr_serve_metrics_init(&s.metrics, s.max_concurrent);
	pgr_serve_metrics_reload(&s.metrics, true);

	/* Blocked before any thread starts, so every thread inherits it. */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	ares_library_init(ARES_LIB_INIT_ALL);

	if (pgr_http_start(&s, (struct sockaddr *)&ss, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s %s\n", progname, listen, err);
	} else {
		fprintf(stderr, "%s serve: listening on %s%s, %zu targets, "
		    "--max-concurrent %d\n", progname, listen,
		    s.web.tls ? " (TLS)" : "", s.cfg->c.ntargets, s.max_concurrent);
		rc = run(&s, &set);
	}
	pgr_server_cfg_put(&s, s.cfg);
	pgr_webconfig_free(&s.web);
	ares_library_cleanup();
	pthread_cond_destroy(&s.slot);
	pthread_mutex_destroy(&s.mu);
	pthread_mutex_destroy(&s.reload_mu);
	pthread_mutex_destroy(&s.metrics.mu);
	return rc;
}
