/*
 * Routes:
 *	GET  /			an HTML index of the targets and modules
 *	GET  /probe?target=NAME[&module=M]	one probe, its metrics
 *	GET  /metrics		the exporter's own metrics
 *	GET  /-/healthy, /-/ready
 *	POST /-/reload		read the configuration file again
 *
 * Every error is one line of text/plain.  A target is only ever a name
 * looked up in the configuration: a URL in the query string is an unknown
 * target, so a scrape cannot make the exporter connect anywhere new.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "probes/clock.h"
#include "serve/http.h"
#include "serve/probe.h"

#define TEXT_PLAIN	"text/plain; charset=utf-8"
#define EXPOSITION	"text/plain; version=0.0.4; charset=utf-8"
#define HEADER_LIMIT	(32 * 1024)	/* request line + headers; more: 431 */

/* *con_cls after the first call: the headers are in, the body may follow. */
static int started;

static double
mono_s(void)
{
	return pgr_now_ms() / 1000.0;
}

static enum MHD_Result
respond(struct MHD_Connection *c, unsigned code, const char *ctype,
    void *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if ((r = MHD_create_response_from_buffer(len, body, mode)) == NULL) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
line(struct MHD_Connection *c, unsigned code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum MHD_Result
line(struct MHD_Connection *c, unsigned code, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	buf[n] = '\0';
	return respond(c, code, TEXT_PLAIN, buf, (size_t)n, MHD_RESPMEM_MUST_COPY);
}

static enum MHD_Result
not_allowed(struct MHD_Connection *c, const char *allow)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	static const char body[] = "method not allowed\n";

	r = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body,
	    MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, TEXT_PLAIN);
	MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	ret = MHD_queue_response(c, MHD_HTTP_METHOD_NOT_ALLOWED, r);
	MHD_destroy_response(r);
	return ret;
}

/* --- the probe slots ----------------------------------------------------- */

static void
gauges(struct pgr_server *s)
{
	pthread_mutex_lock(&s->metrics.mu);
	s->metrics.in_flight = s->in_flight;
	s->metrics.queued = s->queued;
	pthread_mutex_unlock(&s->metrics.mu);
}

/*
 * A slot before deadline (CLOCK_MONOTONIC seconds): 0, -1 when the
 * deadline came first (503), -2 when the server is draining (503).
 */
static int
slot_enter(struct pgr_server *s, double deadline)
{
	struct timespec ts;
	int rc;

	ts.tv_sec = (time_t)deadline;
	ts.tv_nsec = (long)((deadline - (double)ts.tv_sec) * 1e9);
	pthread_mutex_lock(&s->mu);
	s->queued++;
	gauges(s);
	while (!s->draining && s->in_flight >= s->max_concurrent)
		if (pthread_cond_timedwait(&s->slot, &s->mu, &ts) == ETIMEDOUT)
			break;
	s->queued--;
	if (s->draining)
		rc = -2;
	else if (s->in_flight >= s->max_concurrent)
		rc = -1;
	else {
		s->in_flight++;
		rc = 0;
	}
	gauges(s);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static void
slot_leave(struct pgr_server *s)
{
	pthread_mutex_lock(&s->mu);
	s->in_flight--;
	gauges(s);
	/* Drain waits for in_flight to reach 0, the queue for a free slot. */
	pthread_cond_broadcast(&s->slot);
	pthread_mutex_unlock(&s->mu);
}

/* --- routes --------------------------------------------------------------- */

static bool
printable_name(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= PGR_SERVE_NAME_MAX &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_.-") == n;
}

/*
 * X-Prometheus-Scrape-Timeout-Seconds minus the offset, capped by the
 * module's timeout plus its idle wait: the answer must reach Prometheus
 * before it gives up.  The wait cannot be shortened (a shorter one proves
 * nothing), so a header that leaves no time beyond it is refused too.
 * 0 and the budget, or -1 for a header that leaves no time.
 */
static int
budget_of(struct pgr_server *s, struct MHD_Connection *c,
    const struct pgr_serve_module *m, double *budget)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "X-Prometheus-Scrape-Timeout-Seconds");
	char *end;
	double v;

	*budget = m->timeout_s + m->idle_s;
	if (h == NULL)
		return 0;
	errno = 0;
	v = strtod(h, &end);
	if (errno != 0 || end == h || *end != '\0' || !isfinite(v) || v <= 0)
		return 0;	/* not Prometheus's: the module decides */
	v -= s->scrape_offset_s;
	if (v < m->idle_s + 0.05)
		return -1;
	if (v < *budget)
		*budget = v;
	return 0;
}

static enum MHD_Result
route_probe(struct pgr_server *s, struct MHD_Connection *c)
{
	const char *tn = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "target");
	const char *mn = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "module");
	const struct pgr_serve_target *t;
	const struct pgr_serve_module *m;
	struct pgr_serve_cfgref *ref;
	struct pgr_serve_probe_out out;
	double t0 = mono_s(), budget, left, ran;
	enum MHD_Result ret;
	char err[512];
	int rc;

	ref = pgr_server_cfg_get(s);
	if (tn == NULL || tn[0] == '\0') {
		pgr_serve_metrics_count(&s->metrics, PGR_SR_BAD_REQUEST);
		ret = line(c, MHD_HTTP_BAD_REQUEST, "missing target: /probe?target=NAME[&module=M]");
		goto out;
	}
	if ((t = pgr_serve_config_target(&ref->c, tn)) == NULL) {
		pgr_serve_metrics_count(&s->metrics, PGR_SR_BAD_REQUEST);
		/* The name is echoed only when it could be one. */
		ret = line(c, MHD_HTTP_BAD_REQUEST, "unknown target%s%s%s: targets are "
		    "names from the configuration, never URLs",
		    printable_name(tn) ? " \"" : "", printable_name(tn) ? tn : "",
		    printable_name(tn) ? "\"" : "");
		goto out;
	}
	if (mn == NULL || mn[0] == '\0')
		mn = t->module != NULL ? t->module : "default";
	if ((m = pgr_serve_config_module(&ref->c, mn)) == NULL) {
		pgr_serve_metrics_count(&s->metrics, PGR_SR_BAD_REQUEST);
		ret = line(c, MHD_HTTP_BAD_REQUEST, "unknown module%s%s%s",
		    printable_name(mn) ? " \"" : "", printable_name(mn) ? mn : "",
		    printable_name(mn) ? "\"" : "");
		goto out;
	}
	if (budget_of(s, c, m, &budget) != 0) {
		pgr_serve_metrics_count(&s->metrics, PGR_SR_BAD_REQUEST);
		ret = line(c, MHD_HTTP_BAD_REQUEST, "X-Prometheus-Scrape-Timeout-Seconds "
		    "leaves no time after the %.2f s offset%s%g%s", s->scrape_offset_s,
		    m->idle_s > 0 ? " and module's idle of " : "", m->idle_s > 0 ? m->idle_s : 0,
		    m->idle_s > 0 ? " s (raise scrape_timeout)" : "");
		goto out;
	}
	/*
	 * Queue at most until the probe would keep less than half its budget
	 * (or 1 s): a probe cut to a sliver would time out at TCP and report
	 * a security group that is fine.  Past that, 503.
	 */
	if ((rc = slot_enter(s, t0 + budget - fmin((budget - m->idle_s) / 2, 1.0))) != 0) {
		pgr_serve_metrics_count(&s->metrics, PGR_SR_OVERLOAD);
		ret = line(c, MHD_HTTP_SERVICE_UNAVAILABLE, rc == -2 ?
		    "shutting down" : "no probe slot within the scrape's %.2f s "
		    "(--max-concurrent %d)", budget, s->max_concurrent);
		goto out;
	}
	/* What the queue left of the budget; never more than the module's. */
	left = t0 + budget - mono_s() - m->idle_s;
	ran = mono_s();
	rc = pgr_serve_probe(t, m, left > 0.05 ? left : 0.05, &out, err, sizeof(err));
	ran = mono_s() - ran;
	slot_leave(s);
	if (rc != 0) {
		pgr_serve_metrics_count(&s->metrics, PGR_SR_ERROR);
		fprintf(stderr, "%s serve: probe %s: %s\n", s->progname, t->name, err);
		ret = line(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", err);
		goto out;
	}
	pgr_serve_metrics_probe(&s->metrics, out.success, ran);
	fprintf(stderr, "%s serve: probe target=%s module=%s success=%d "
	    "duration=%.3fs waited=%.3fs\n", s->progname, t->name, m->name,
	    out.success, ran, mono_s() - t0 - ran);
	ret = respond(c, MHD_HTTP_OK, EXPOSITION, out.body, out.len,
	    MHD_RESPMEM_MUST_FREE);
out:
	pgr_server_cfg_put(s, ref);
	return ret;
}

static enum MHD_Result
route_metrics(struct pgr_server *s, struct MHD_Connection *c)
{
	char *body = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	if ((f = open_memstream(&body, &len)) == NULL)
		return line(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	rc = pgr_serve_metrics_write(f, &s->metrics);
	if (fclose(f) != 0 || rc != 0) {
		free(body);
		return line(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	}
	return respond(c, MHD_HTTP_OK, EXPOSITION, body, len, MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result
route_index(struct pgr_server *s, struct MHD_Connection *c)
{
	struct pgr_serve_cfgref *ref = pgr_server_cfg_get(s);
	char *body = NULL;
	size_t len = 0, i;
	FILE *f;

	if ((f = open_memstream(&body, &len)) == NULL) {
		pgr_server_cfg_put(s, ref);
		return line(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	}
	/* Names are [A-Za-z0-9_.-]: nothing in them needs HTML escaping. */
	fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	    "<title>pgreach exporter</title></head><body>\n"
	    "<h1>pgreach exporter</h1>\n<p><a href=\"metrics\">metrics</a> &middot; "
	    "<a href=\"-/healthy\">healthy</a> &middot; <a href=\"-/ready\">ready</a></p>\n"
	    "<h2>Targets</h2>\n<ul>\n", f);
	for (i = 0; i < ref->c.ntargets; i++) {
		const struct pgr_serve_target *t = &ref->c.targets[i];

		fprintf(f, "<li><a href=\"probe?target=%s\">%s</a> (module %s)</li>\n",
		    t->name, t->name, t->module != NULL ? t->module : "default");
	}
	fputs("</ul>\n<h2>Modules</h2>\n<ul>\n", f);
	for (i = 0; i < ref->c.nmodules; i++)
		fprintf(f, "<li>%s: timeout %gs, count %d, idle %gs</li>\n", ref->c.modules[i].name,
		    ref->c.modules[i].timeout_s, ref->c.modules[i].count,
		    ref->c.modules[i].idle_s);
	fputs("</ul>\n</body></html>\n", f);
	pgr_server_cfg_put(s, ref);
	if (fclose(f) != 0) {
		free(body);
		return line(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	}
	return respond(c, MHD_HTTP_OK, "text/html; charset=utf-8", body, len,
	    MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result
route_reload(struct pgr_server *s, struct MHD_Connection *c)
{
	char err[512];

	if (pgr_server_reload(s, err, sizeof(err)) != 0)
		return line(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "reload failed, "
		    "the previous configuration stays: %s", err);
	return line(c, MHD_HTTP_OK, "configuration reloaded");
}

/* --- access control ------------------------------------------------------- */

/* With RequireAndVerifyClientCert: a chain the client CA signs, or 403. */
static bool
client_cert_ok(struct pgr_server *s, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci;
	unsigned int n = 0, status = 1;

	if (s->web.client_ca_pem == NULL)
		return true;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci == NULL || ci->tls_session == NULL)
		return false;
	if (gnutls_certificate_get_peers(ci->tls_session, &n) == NULL || n == 0)
		return !s->web.require_client_cert;
	return gnutls_certificate_verify_peers2(ci->tls_session, &status) == 0 &&
	    status == 0;
}

static bool
authorized(struct pgr_server *s, struct MHD_Connection *c)
{
	char *user, *pass = NULL;
	bool ok;

	if (s->web.nusers == 0)
		return true;
	user = MHD_basic_auth_get_username_password(c, &pass);
	ok = pgr_webconfig_auth(&s->web, user, pass);
	if (pass != NULL) {
		explicit_bzero(pass, strlen(pass));
		MHD_free(pass);
	}
	if (user != NULL)
		MHD_free(user);
	return ok;
}

static enum MHD_Result
unauthorized(struct MHD_Connection *c)
{
	static const char body[] = "unauthorized\n";
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body,
	    MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, TEXT_PLAIN);
	ret = MHD_queue_basic_auth_fail_response(c, "pgreach", r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct pgr_server *s = cls;
	bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;

	if (*con_cls == NULL) {
		*con_cls = &started;
		return MHD_YES;
	}
	/* No route reads a body: take it and drop it. */
	if (*upload_data_size != 0) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (!client_cert_ok(s, c))
		return line(c, MHD_HTTP_FORBIDDEN, "a client certificate signed by "
		    "the configured client CA is required");
	if (!authorized(s, c))
		return unauthorized(c);
	if (strcmp(url, "/-/reload") == 0)
		return strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ?
		    route_reload(s, c) : not_allowed(c, "POST, PUT");
	if (strcmp(url, "/probe") != 0 && strcmp(url, "/metrics") != 0 &&
	    strcmp(url, "/") != 0 && strcmp(url, "/-/healthy") != 0 &&
	    strcmp(url, "/-/ready") != 0)
		return line(c, MHD_HTTP_NOT_FOUND, "not found: see / for the routes");
	if (!get)
		return not_allowed(c, "GET, HEAD");
	if (strcmp(url, "/probe") == 0)
		return route_probe(s, c);
	if (strcmp(url, "/metrics") == 0)
		return route_metrics(s, c);
	if (strcmp(url, "/-/healthy") == 0)
		return line(c, MHD_HTTP_OK, "healthy");
	if (strcmp(url, "/-/ready") == 0) {
		bool draining;

		pthread_mutex_lock(&s->mu);
		draining = s->draining;
		pthread_mutex_unlock(&s->mu);
		return draining ? line(c, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting down") :
		    line(c, MHD_HTTP_OK, "ready");
	}
	return route_index(s, c);
}

static void
log_mhd(void *cls, const char *fmt, va_list ap)
{
	struct pgr_server *s = cls;
	char buf[512];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = '\0';
	fprintf(stderr, "%s serve: http: %s\n", s->progname, buf);
}

int
pgr_http_start(struct pgr_server *s, const struct sockaddr *sa, char *err,
    size_t errlen)
{
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ITC |
	    MHD_USE_ERROR_LOG;
	struct MHD_OptionItem opts[16];
	size_t n = 0;

	if (sa->sa_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (s->web.tls)
		flags |= MHD_USE_TLS;
#define OPT(o, v, p) (opts[n++] = (struct MHD_OptionItem){ (o), (intptr_t)(v), (p) })
	/* First, or MHD logs the options before it through its own logger. */
	OPT(MHD_OPTION_EXTERNAL_LOGGER, log_mhd, s);
	OPT(MHD_OPTION_SOCK_ADDR, 0, (void *)sa);
	OPT(MHD_OPTION_CONNECTION_LIMIT, s->max_connections, NULL);
	/* Idle clients, slow senders and unfinished headers all end here. */
	OPT(MHD_OPTION_CONNECTION_TIMEOUT, s->conn_timeout_s, NULL);
	OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, HEADER_LIMIT, NULL);
	/* libpq, OpenSSL and c-ares are happy in 1 MiB; 64 threads stay small. */
	OPT(MHD_OPTION_THREAD_STACK_SIZE, 1024 * 1024, NULL);
	if (s->web.tls) {
		OPT(MHD_OPTION_HTTPS_MEM_CERT, 0, s->web.cert_pem);
		OPT(MHD_OPTION_HTTPS_MEM_KEY, 0, s->web.key_pem);
		OPT(MHD_OPTION_HTTPS_PRIORITIES, 0, s->web.priorities);
		if (s->web.client_ca_pem != NULL)
			OPT(MHD_OPTION_HTTPS_MEM_TRUST, 0, s->web.client_ca_pem);
	}
	OPT(MHD_OPTION_END, 0, NULL);
#undef OPT
	s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, handler, s,
	    MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (s->daemon == NULL)
		return pgr_fail(err, errlen, "cannot listen (address in use, or a bad "
		    "TLS certificate or key)");
	return 0;
}

void
pgr_http_quiesce(struct pgr_server *s)
{
	MHD_socket fd = MHD_quiesce_daemon(s->daemon);

	if (fd != MHD_INVALID_SOCKET)
		close(fd);
}

void
pgr_http_stop(struct pgr_server *s)
{
	if (s->daemon != NULL)
		MHD_stop_daemon(s->daemon);
	s->daemon = NULL;
}
