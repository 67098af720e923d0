/*
 * An attempt rides libpq's own connection through every phase, so there is
 * exactly one TCP connection, one TLS handshake and one login per address
 * and port.  Phase boundaries come from PQstatus() as PQconnectPoll()
 * advances it: CONNECTION_STARTED is the TCP connect, CONNECTION_SSL_STARTUP
 * the SSLRequest (code 80877103) and handshake, the states after it the
 * login.  Each wait is armed by the run's loop with the run's deadline.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/tcp.h>		/* TCP_INFO with tcpi_bytes_received */
#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "probes/attempt.h"
#include "probes/clock.h"
#include "probes/pgmsg.h"

#define MAX_PARAMS 48

/*
 * A TLS handshake and a login take a few kilobytes from the server.  A
 * server that answers the SSLRequest or the startup packet with an
 * old-protocol error and no NUL makes libpq read and keep everything it
 * sends (hundreds of megabytes a second on a fast link); past this many
 * bytes the attempt ends instead.
 */
#define MAX_LOGIN_BYTES (1024 * 1024)

/*
 * Taken once per process: `pgreach serve` runs several engines at once, and
 * two threads racing on a lazy "if (ex_index < 0)" would get two indexes.
 */
static int ex_index = -1;
static pthread_once_t ex_once = PTHREAD_ONCE_INIT;

static void
ex_index_init(void)
{
	ex_index = SSL_get_ex_new_index(0, "pgreach probe", NULL, NULL, NULL);
}

void
pgr_probe_init(struct pgr_probe *p, struct pgr_attempt *res,
    const struct pgr_target *t, const struct pgr_addr *a,
    const struct pgr_attempt_cfg *cfg)
{
	memset(p, 0, sizeof(*p));
	p->res = res;
	p->target = t;
	p->addr = a;
	p->cfg = cfg;
	p->fd = -1;
	p->state = PGR_AS_QUEUED;
	memset(res, 0, sizeof(*res));
	snprintf(res->address, sizeof(res->address), "%s", a->text);
	res->family = a->family;
	res->query.count = cfg->count;
}

static double
since(const struct pgr_probe *p)
{
	return pgr_now_ms() - p->t0;
}

static const char *
sslmode_of(const struct pgr_probe *p)
{
	return p->target->sslmode != NULL ? p->target->sslmode : p->cfg->sslmode;
}

static void
capture_cert(struct pgr_probe *p)
{
	if (p->chain != NULL && !p->res->tls.cert.present)
		pgr_cert_fill(&p->res->tls.cert, p->chain, p->cfg->tlsv,
		    p->target->host, time(NULL));
}

/* One exit: every terminal path comes here exactly once. */
static void
probe_finish(struct pgr_probe *p)
{
	struct pgr_attempt *r = p->res;

	if (p->state == PGR_AS_DONE)
		return;
	if (r->tcp.status == PGR_PENDING)
		r->tcp.status = PGR_SKIPPED;
	if (r->tls.status == PGR_PENDING)
		r->tls.status = PGR_SKIPPED;
	if (r->login.status == PGR_PENDING)
		r->login.status = PGR_SKIPPED;
	if (r->query.status == PGR_PENDING)
		r->query.status = PGR_SKIPPED;
	capture_cert(p);
	if (p->conn != NULL)
		PQfinish(p->conn);	/* sends Terminate on a live session */
	p->conn = NULL;
	if (p->state == PGR_AS_CLASSIFY && p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	p->events = 0;
	free(p->qtimes);
	p->qtimes = NULL;
	if (p->chain != NULL)
		sk_X509_pop_free(p->chain, X509_free);
	p->chain = NULL;
	p->state = PGR_AS_DONE;
}

/*
 * libpq's SSL object is ours to read, not to steer.  An info callback sees
 * every handshake step, so the peer chain is copied as soon as OpenSSL has
 * parsed it: even when verify-full then fails the handshake, or the login
 * after it, the report still shows the certificate.
 */
static void
info_cb(const SSL *ssl, int where, int ret)
{
	struct pgr_probe *p = SSL_get_ex_data(ssl, ex_index);
	STACK_OF(X509) *chain;

	(void)where;
	(void)ret;
	if (p == NULL || p->chain != NULL)
		return;
	chain = SSL_get_peer_cert_chain(ssl);
	if (chain != NULL && sk_X509_num(chain) > 0)
		p->chain = X509_chain_up_ref(chain);
}

static void
watch_ssl(struct pgr_probe *p)
{
	SSL *ssl;

	if (p->tls_done || p->chain != NULL)
		return;
	ssl = PQsslStruct(p->conn, "OpenSSL");
	if (ssl == NULL || SSL_get_ex_data(ssl, ex_index) == p)
		return;
	SSL_set_ex_data(ssl, ex_index, p);
	SSL_set_info_callback(ssl, info_cb);
}

static void
tls_facts(struct pgr_probe *p)
{
	struct pgr_tls_result *t = &p->res->tls;
	const char *v;
	SSL *ssl = PQsslStruct(p->conn, "OpenSSL");

	if ((v = PQsslAttribute(p->conn, "protocol")) != NULL)
		snprintf(t->version, sizeof(t->version), "%s", v);
	if ((v = PQsslAttribute(p->conn, "cipher")) != NULL)
		snprintf(t->cipher, sizeof(t->cipher), "%s", v);
	/*
	 * Not PQsslAttribute(conn, "key_bits"): libpq 15 formats it into one
	 * static buffer, which two workers would write at once.
	 */
	if (ssl != NULL)
		SSL_get_cipher_bits(ssl, &t->key_bits);
	if (p->chain == NULL && ssl != NULL && SSL_get_peer_cert_chain(ssl) != NULL)
		p->chain = X509_chain_up_ref(SSL_get_peer_cert_chain(ssl));
	capture_cert(p);
}

static void
set_detail(char *dst, size_t len, const char *msg)
{
	snprintf(dst, len, "%s", msg);
}

/* ---- the tcp failure classifier: a bare connect, closed unused ---- */

static enum pgr_err
connect_errno_code(int e)
{
	switch (e) {
	case ECONNREFUSED:
		return PGR_TCP_REFUSED;
	case ENETUNREACH:
	case EHOSTUNREACH:
	case EADDRNOTAVAIL:
		return PGR_TCP_UNREACHABLE;
	case ETIMEDOUT:
		return PGR_TCP_TIMEOUT;
	default:
		return PGR_TCP_ERROR;
	}
}

static void
classify_done(struct pgr_probe *p, int e)
{
	struct pgr_tcp_result *t = &p->res->tcp;

	t->ms = since(p);
	t->err_no = e;
	t->status = e == 0 ? PGR_TCP_ERROR : connect_errno_code(e);
	if (e != 0)
		snprintf(t->detail, sizeof(t->detail), "%s", strerror(e));
	else
		set_detail(t->detail, sizeof(t->detail), p->libpq_error);
	probe_finish(p);
}

/*
 * libpq says only in words why a connect failed.  PostgreSQL logs nothing
 * for a connect closed before any byte, so a second, bare connect is a
 * harmless way to get the errno itself.
 */
static void
classify_start(struct pgr_probe *p)
{
	struct sockaddr_storage ss = p->addr->sa;
	int fd, e;

	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)p->target->port);
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)p->target->port);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		classify_done(p, errno);
		return;
	}
	if (connect(fd, (struct sockaddr *)&ss, p->addr->salen) == 0) {
		close(fd);
		classify_done(p, 0);
		return;
	}
	if (errno != EINPROGRESS) {
		e = errno;
		close(fd);
		classify_done(p, e);
		return;
	}
	p->state = PGR_AS_CLASSIFY;
	p->fd = fd;
	p->events = POLLOUT;
}

static void
classify_step(struct pgr_probe *p)
{
	socklen_t len = sizeof(int);
	int e = 0;

	if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
		e = errno;
	close(p->fd);
	p->fd = -1;
	classify_done(p, e);
}

/* ---- queries ---- */

static void
query_fail(struct pgr_probe *p, enum pgr_err code, const char *msg)
{
	struct pgr_query_result *q = &p->res->query;

	q->status = code;
	q->ms = since(p);
	pgr_pgmsg_parse(msg, p->target->password, q->sqlstate, q->message,
	    sizeof(q->message));
	probe_finish(p);
}

static void
query_arm(struct pgr_probe *p)
{
	int r = PQflush(p->conn);

	if (r < 0) {
		query_fail(p, PGR_QUERY_ERROR, PQerrorMessage(p->conn));
		return;
	}
	p->sending = r == 1;
	p->fd = PQsocket(p->conn);
	p->events = (short)(POLLIN | (p->sending ? POLLOUT : 0));
}

static void
query_send(struct pgr_probe *p)
{
	p->qstart = pgr_now_ms();
	if (!PQsendQuery(p->conn, p->cfg->query)) {
		query_fail(p, PGR_QUERY_ERROR, PQerrorMessage(p->conn));
		return;
	}
	/*
	 * Rows one at a time: libpq otherwise keeps a whole result until its
	 * last row, and a server can send rows without end.
	 */
	PQsetSingleRowMode(p->conn);
	query_arm(p);
}

static void
query_finished(struct pgr_probe *p)
{
	struct pgr_query_result *q = &p->res->query;

	p->qtimes[p->queries++] = pgr_now_ms() - p->qstart;
	q->done = p->queries;
	q->ms = since(p);
	pgr_query_stats(p->qtimes, p->queries, &q->min_ms, &q->median_ms,
	    &q->p95_ms, &q->max_ms);
	if (q->status == PGR_QUERY_ERROR) {
		probe_finish(p);
		return;
	}
	if (p->queries >= p->cfg->count) {
		q->status = PGR_OK;
		probe_finish(p);
		return;
	}
	query_send(p);
}

static void
query_step(struct pgr_probe *p, short revents)
{
	struct pgr_query_result *q = &p->res->query;
	PGresult *res;

	if (p->sending && (revents & POLLOUT)) {
		query_arm(p);
		if (p->state == PGR_AS_DONE)
			return;
	}
	if (!(revents & (POLLIN | POLLERR | POLLHUP)))
		return;
	if (!PQconsumeInput(p->conn)) {
		query_fail(p, PGR_QUERY_ERROR, PQerrorMessage(p->conn));
		return;
	}
	while (p->state == PGR_AS_QUERY && !PQisBusy(p->conn)) {
		res = PQgetResult(p->conn);
		if (res == NULL) {
			query_finished(p);
			return;
		}
		switch (PQresultStatus(res)) {
		case PGRES_TUPLES_OK:
		case PGRES_COMMAND_OK:
		case PGRES_SINGLE_TUPLE:
			break;
		case PGRES_COPY_IN:
		case PGRES_COPY_OUT:
		case PGRES_COPY_BOTH:
			/*
			 * In a COPY state PQisBusy() is false and PQgetResult()
			 * returns a COPY result again and again, never NULL.
			 */
			PQclear(res);
			query_fail(p, PGR_QUERY_ERROR,
			    "the server answered with COPY; pgreach times plain queries only");
			return;
		default:
			if (q->status != PGR_QUERY_ERROR) {
				const char *ss = PQresultErrorField(res, PG_DIAG_SQLSTATE);
				const char *m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

				q->status = PGR_QUERY_ERROR;
				snprintf(q->sqlstate, sizeof(q->sqlstate), "%s", ss ? ss : "");
				snprintf(q->message, sizeof(q->message), "%s",
				    m ? m : PQresultErrorMessage(res));
				pgr_scrub_secret(q->message, sizeof(q->message),
				    p->target->password);
			}
			break;
		}
		PQclear(res);
	}
}

static void
queries_begin(struct pgr_probe *p)
{
	const char *v;

	if ((v = PQparameterStatus(p->conn, "server_version")) != NULL)
		snprintf(p->res->login.server_version,
		    sizeof(p->res->login.server_version), "%s", v);
	if (p->cfg->count <= 0) {
		p->res->query.status = PGR_SKIPPED;
		probe_finish(p);
		return;
	}
	p->qtimes = calloc((size_t)p->cfg->count, sizeof(*p->qtimes));
	if (p->qtimes == NULL || PQsetnonblocking(p->conn, 1) != 0) {
		query_fail(p, PGR_QUERY_ERROR, "out of memory");
		return;
	}
	p->state = PGR_AS_QUERY;
	query_send(p);
}

/* ---- connecting: tcp, tls, login ---- */

static void
connect_failed(struct pgr_probe *p)
{
	struct pgr_attempt *r = p->res;
	char sqlstate[6], text[PGR_DETAIL_LEN];

	pgr_pgmsg_parse(PQerrorMessage(p->conn), p->target->password, sqlstate,
	    text, sizeof(text));
	snprintf(p->libpq_error, sizeof(p->libpq_error), "%s", text);
	if (!p->tcp_done) {
		PQfinish(p->conn);
		p->conn = NULL;
		classify_start(p);
		return;
	}
	if (!p->tls_done) {
		r->tls.status = pgr_pgmsg_tls_code(text);
		r->tls.ms = since(p);
		set_detail(r->tls.detail, sizeof(r->tls.detail), text);
	} else {
		r->login.status = pgr_pgmsg_login_code(sqlstate, text);
		r->login.ms = since(p);
		memcpy(r->login.sqlstate, sqlstate, sizeof(sqlstate));
		set_detail(r->login.message, sizeof(r->login.message), text);
	}
	probe_finish(p);
}

static bool
ssl_wanted(const char *mode)
{
	return strcmp(mode, "disable") != 0 && strcmp(mode, "allow") != 0;
}

/* Where we came from: the source address the security group sees. */
static void
local_address(struct pgr_probe *p)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	const void *a;

	if (getsockname(PQsocket(p->conn), (struct sockaddr *)&ss, &len) != 0)
		return;
	a = ss.ss_family == AF_INET6 ?
	    (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr :
	    (const void *)&((struct sockaddr_in *)&ss)->sin_addr;
	inet_ntop(ss.ss_family, a, p->res->local, sizeof(p->res->local));
}

/* Stamp the phases that the last PQconnectPoll() call completed. */
static void
advance(struct pgr_probe *p, ConnStatusType after)
{
	struct pgr_attempt *r = p->res;

	if (!p->tcp_done && after != CONNECTION_STARTED) {
		p->tcp_done = true;
		r->tcp.status = PGR_OK;
		r->tcp.ms = since(p);
	}
	if (p->tcp_done && after == CONNECTION_SSL_STARTUP)
		p->tls_seen = true;
	watch_ssl(p);
	if (p->tls_done || !p->tcp_done || after == CONNECTION_SSL_STARTUP)
		return;
	if (p->tls_seen) {
		p->tls_done = true;
		r->tls.ms = since(p);
		r->tls.status = PQsslInUse(p->conn) ? PGR_OK : PGR_TLS_NOT_OFFERED;
		if (r->tls.status == PGR_OK)
			tls_facts(p);
		else
			set_detail(r->tls.detail, sizeof(r->tls.detail),
			    "server answered N to SSLRequest; continuing without TLS");
	} else if (after != CONNECTION_MADE || !ssl_wanted(sslmode_of(p))) {
		p->tls_done = true;
		r->tls.ms = r->tcp.ms;
		r->tls.status = PGR_TLS_DISABLED;
		snprintf(r->tls.detail, sizeof(r->tls.detail),
		    "sslmode=%s: TLS not requested", sslmode_of(p));
	}
}

/* Bytes the server has sent on this connection so far; 0 if unknown. */
static unsigned long long
bytes_received(const struct pgr_probe *p)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	int fd = PQsocket(p->conn);

	memset(&ti, 0, sizeof(ti));
	if (fd < 0 || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
	    len < offsetof(struct tcp_info, tcpi_bytes_received) +
	    sizeof(ti.tcpi_bytes_received))
		return 0;
	return ti.tcpi_bytes_received;
}

static void
login_flooded(struct pgr_probe *p)
{
	struct pgr_attempt *r = p->res;
	static const char msg[] = "the server sent more than 1 MiB before the "
	    "login completed (a login takes a few kilobytes)";

	if (!p->tls_done) {
		r->tls.status = PGR_TLS_HANDSHAKE;
		r->tls.ms = since(p);
		set_detail(r->tls.detail, sizeof(r->tls.detail), msg);
	} else {
		r->login.status = PGR_LOGIN_ERROR;
		r->login.ms = since(p);
		set_detail(r->login.message, sizeof(r->login.message), msg);
	}
	probe_finish(p);
}

static void
connect_step(struct pgr_probe *p)
{
	ConnStatusType after;

	p->poll = PQconnectPoll(p->conn);
	after = PQstatus(p->conn);
	if (p->poll == PGRES_POLLING_FAILED) {
		watch_ssl(p);
		connect_failed(p);
		return;
	}
	advance(p, after);
	if (p->poll != PGRES_POLLING_OK && p->tcp_done &&
	    bytes_received(p) > MAX_LOGIN_BYTES) {
		login_flooded(p);
		return;
	}
	switch (p->poll) {
	case PGRES_POLLING_OK:
		p->res->login.status = PGR_OK;
		p->res->login.ms = since(p);
		queries_begin(p);
		return;
	case PGRES_POLLING_READING:
		p->events = POLLIN;
		break;
	default:
		p->events = POLLOUT;
		break;
	}
	/* libpq may have moved to a new socket; always read it afresh. */
	p->fd = PQsocket(p->conn);
}

/* portbuf is the caller's: engines run in several threads at once (serve). */
static int
build_params(const struct pgr_probe *p, const char **k, const char **v,
    char *portbuf, size_t portlen)
{
	const struct pgr_target *t = p->target;
	const char *mode = sslmode_of(p);
	int n = 0;
	size_t i;

	snprintf(portbuf, portlen, "%d", t->port);
	k[n] = "host"; v[n++] = t->host;
	k[n] = "hostaddr"; v[n++] = p->addr->text;	/* libpq does no DNS */
	k[n] = "port"; v[n++] = portbuf;
	k[n] = "sslmode"; v[n++] = mode;
	k[n] = "gssencmode"; v[n++] = "disable";	/* one handshake: TLS */
	k[n] = "application_name"; v[n++] = "pgreach";
	if (t->dbname != NULL) { k[n] = "dbname"; v[n++] = t->dbname; }
	if (t->user != NULL) { k[n] = "user"; v[n++] = t->user; }
	if (t->password != NULL) { k[n] = "password"; v[n++] = t->password; }
	/*
	 * libpq makes sslmode=require verify the chain whenever it is given a
	 * root file; pass it only when verification was asked for, and verify
	 * it ourselves otherwise.
	 */
	if (strncmp(mode, "verify-", 7) == 0) {
		const char *rc = t->sslrootcert ? t->sslrootcert : p->cfg->sslrootcert;

		if (rc != NULL) { k[n] = "sslrootcert"; v[n++] = rc; }
	}
	for (i = 0; i < t->nextra && n < MAX_PARAMS - 1; i++) {
		k[n] = t->extra_keys[i];
		v[n++] = t->extra_vals[i];
	}
	k[n] = NULL;
	v[n] = NULL;
	return n;
}

void
pgr_probe_start(struct pgr_probe *p)
{
	const char *k[MAX_PARAMS], *v[MAX_PARAMS];
	char sqlstate[6], portbuf[8];	/* copied by libpq before it returns */

	pthread_once(&ex_once, ex_index_init);
	p->t0 = pgr_now_ms();
	p->state = PGR_AS_CONNECTING;
	build_params(p, k, v, portbuf, sizeof(portbuf));
	p->conn = PQconnectStartParams(k, v, 0);
	if (p->conn != NULL && PQstatus(p->conn) == CONNECTION_BAD &&
	    PQsocket(p->conn) < 0 && strstr(PQerrorMessage(p->conn), "connection to server") != NULL) {
		/* connect() itself failed at once (ENETUNREACH): learn why. */
		pgr_pgmsg_parse(PQerrorMessage(p->conn), p->target->password, sqlstate,
		    p->libpq_error, sizeof(p->libpq_error));
		PQfinish(p->conn);
		p->conn = NULL;
		classify_start(p);
		return;
	}
	if (p->conn == NULL || PQstatus(p->conn) == CONNECTION_BAD) {
		p->res->tcp.status = PGR_TCP_ERROR;
		pgr_pgmsg_parse(p->conn ? PQerrorMessage(p->conn) : "out of memory",
		    p->target->password, sqlstate, p->res->tcp.detail,
		    sizeof(p->res->tcp.detail));
		probe_finish(p);
		return;
	}
	/* The server's SQLSTATE goes into the message only at this verbosity. */
	PQsetErrorVerbosity(p->conn, PQERRORS_VERBOSE);
	/* connect() has bound the source address, even if no SYN is answered. */
	local_address(p);
	p->poll = PGRES_POLLING_WRITING;
	p->fd = PQsocket(p->conn);
	p->events = POLLOUT;
}

void
pgr_probe_step(struct pgr_probe *p, short revents)
{
	switch (p->state) {
	case PGR_AS_CONNECTING:
		connect_step(p);
		break;
	case PGR_AS_CLASSIFY:
		classify_step(p);
		break;
	case PGR_AS_QUERY:
		query_step(p, revents);
		break;
	default:
		break;
	}
}

void
pgr_probe_expire(struct pgr_probe *p)
{
	struct pgr_attempt *r = p->res;
	double now = p->state == PGR_AS_QUEUED ? 0 : since(p);

	switch (p->state) {
	case PGR_AS_QUEUED:
		r->tcp.status = PGR_TCP_TIMEOUT;
		set_detail(r->tcp.detail, sizeof(r->tcp.detail),
		    "not started before the deadline (raise --parallel or --timeout)");
		break;
	case PGR_AS_CLASSIFY:
		r->tcp.status = PGR_TCP_TIMEOUT;
		r->tcp.ms = now;
		set_detail(r->tcp.detail, sizeof(r->tcp.detail), p->libpq_error);
		break;
	case PGR_AS_CONNECTING:
		if (!p->tcp_done) {
			r->tcp.status = PGR_TCP_TIMEOUT;
			r->tcp.ms = now;
			set_detail(r->tcp.detail, sizeof(r->tcp.detail),
			    "no answer to the TCP handshake (SYN) before the deadline");
		} else if (!p->tls_done) {
			r->tls.status = PGR_TLS_TIMEOUT;
			r->tls.ms = now;
			set_detail(r->tls.detail, sizeof(r->tls.detail), p->tls_seen ?
			    "no answer to SSLRequest or the TLS handshake before the deadline" :
			    "connected, then nothing before the deadline");
		} else {
			r->login.status = PGR_LOGIN_TIMEOUT;
			r->login.ms = now;
			set_detail(r->login.message, sizeof(r->login.message),
			    "no answer to the login before the deadline");
		}
		break;
	case PGR_AS_QUERY:
		r->query.status = PGR_QUERY_TIMEOUT;
		r->query.ms = now;
		snprintf(r->query.message, sizeof(r->query.message),
		    "%d of %d queries done before the deadline", p->queries,
		    p->cfg->count);
		break;
	default:
		return;
	}
	probe_finish(p);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentiles, as most latency tools report them. */
void
pgr_query_stats(double *v, int n, double *min, double *median, double *p95,
    double *max)
{
	int i95;

	if (n <= 0) {
		*min = *median = *p95 = *max = 0;
		return;
	}
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	*min = v[0];
	*max = v[n - 1];
	*median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	i95 = (95 * n + 99) / 100;	/* ceil(0.95 n) */
	*p95 = v[i95 - 1];
}
