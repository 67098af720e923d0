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

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>

#include "probes/attempt.h"
#include "probes/clock.h"
#include "probes/keepalive.h"
#include "probes/pgmsg.h"
#include "util/secrets.h"

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
 * After the login, single-row mode bounds the rows libpq keeps, not the
 * size of one: a DataRow announces its length, and libpq makes room for
 * all of it (up to 2 GiB) and reads on.  The timed query of a smoke test
 * takes a few hundred bytes a run; past this many bytes on the connection,
 * rows, notices, errors and parameter status alike, the query fails.
 */
#define MAX_SESSION_BYTES (16 * 1024 * 1024)

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

static void tls_progress(struct pgr_probe *p);

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
	p->deadline = cfg->deadline;
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

/* Every record header read from the server counts one record. */
static void
msg_cb(int write_p, int version, int content_type, const void *buf,
    size_t len, SSL *ssl, void *arg)
{
	struct pgr_probe *p = arg;

	(void)version;
	(void)buf;
	(void)len;
	(void)ssl;
	if (p != NULL && !write_p && content_type == SSL3_RT_HEADER)
		p->res->tls.records_received++;
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
	SSL_set_msg_callback(ssl, msg_cb);
	SSL_set_msg_callback_arg(ssl, p);
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
	/* The chain's facts come once the startup packet is out: connect_step(). */
}

/*
 * A NoticeResponse, kept as a fact.  libpq's default receiver formats it
 * and hands it to the notice processor, which prints it to stderr as the
 * server wrote it: escape sequences and forged lines included, in every
 * output format.  This receiver replaces both.
 */
static void
notice_receiver(void *arg, const PGresult *res)
{
	struct pgr_probe *p = arg;
	struct pgr_attempt *r = p->res;
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *code = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	char line[PGR_DETAIL_LEN], *raw, *n;
	size_t old;

	/*
	 * A FATAL that comes while no query runs (an idle session ended by
	 * the server: idle_session_timeout, an administrator) reaches libpq as
	 * a notice; its SQLSTATE says who ended it.
	 */
	if (sev != NULL && code != NULL && strlen(code) == 5 &&
	    (strcmp(sev, "FATAL") == 0 || strcmp(sev, "PANIC") == 0) &&
	    strspn(code, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") == 5)
		memcpy(p->fatal_sqlstate, code, 6);
	if (r->nnotices++ >= PGR_MAX_NOTICES)
		return;
	/* Whole, so that the scrub sees every secret whole before the cut. */
	if (asprintf(&raw, "%s %s: %s", sev != NULL ? sev : "NOTICE",
	    code != NULL ? code : "", msg != NULL ? msg : "") < 0)
		return;
	pgr_secrets_clean(line, sizeof(line), raw, p->target->password);
	explicit_bzero(raw, strlen(raw));
	free(raw);
	old = r->notices != NULL ? strlen(r->notices) : 0;
	if ((n = realloc(r->notices, old + strlen(line) + 2)) == NULL)
		return;
	if (old > 0)
		n[old++] = '\n';
	strcpy(n + old, line);
	r->notices = n;
}

/* Never called while the receiver above is installed; never prints. */
static void
notice_silence(void *arg, const char *message)
{
	(void)arg;
	(void)message;
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

/* Flush what libpq holds and wait for the answer (and for room, if it still holds some). */
static int
session_arm(struct pgr_probe *p)
{
	int r = PQflush(p->conn);

	if (r < 0)
		return -1;
	p->sending = r == 1;
	p->fd = PQsocket(p->conn);
	p->events = (short)(POLLIN | (p->sending ? POLLOUT : 0));
	return 0;
}

static void
query_arm(struct pgr_probe *p)
{
	if (session_arm(p) != 0)
		query_fail(p, PGR_QUERY_ERROR, PQerrorMessage(p->conn));
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

static bool idle_begin(struct pgr_probe *p);

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
		if (!idle_begin(p))
			probe_finish(p);
		return;
	}
	query_send(p);
}

static unsigned long long bytes_received(const struct pgr_probe *p);
static void idle_end(struct pgr_probe *p, enum pgr_idle_status st, int e,
    const char *msg);

/*
 * libpq's read goes on while the socket has data and its buffer has room,
 * and a DataRow's announced length gives it room: one PQconsumeInput()
 * against a fast server can take in hundreds of megabytes and seconds.
 * Over TLS every byte comes through the SSL object's read BIO, so a filter
 * BIO put in front of libpq's own meters it: at most READ_SLICE bytes per
 * step, none past the byte cap or the deadline.  When it holds back,
 * SSL_read() says WANT_READ, libpq returns what it has, the bytes stay in
 * the socket and poll() calls again.  A session without TLS has no such
 * seam in libpq 15; there the cap and the deadline are checked after each
 * read.
 */
#define READ_SLICE (256 * 1024)

static BIO_METHOD *meter_method;
static pthread_once_t meter_once = PTHREAD_ONCE_INIT;

static int
meter_read(BIO *b, char *out, int len)
{
	struct pgr_probe *p = BIO_get_data(b);
	int n;

	BIO_clear_retry_flags(b);
	if (p->read_left <= 0 || bytes_received(p) > MAX_SESSION_BYTES ||
	    (p->deadline > 0 && pgr_now_ms() >= p->deadline)) {
		BIO_set_retry_read(b);
		return -1;
	}
	if (len > p->read_left)
		len = p->read_left;
	n = BIO_read(BIO_next(b), out, len);
	if (n > 0)
		p->read_left -= n;
	BIO_copy_next_retry(b);
	return n;
}

static int
meter_write(BIO *b, const char *in, int len)
{
	int n;

	BIO_clear_retry_flags(b);
	n = BIO_write(BIO_next(b), in, len);
	BIO_copy_next_retry(b);
	return n;
}

static long
meter_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	return BIO_next(b) != NULL ? BIO_ctrl(BIO_next(b), cmd, num, ptr) : 0;
}

static void
meter_init(void)
{
	BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_FILTER,
	    "pgreach read meter");

	if (m != NULL && BIO_meth_set_read(m, meter_read) == 1 &&
	    BIO_meth_set_write(m, meter_write) == 1 &&
	    BIO_meth_set_ctrl(m, meter_ctrl) == 1)
		meter_method = m;
	else
		BIO_meth_free(m);
}

/* Put the meter in front of libpq's read BIO, once the session is up. */
static void
meter_tls(struct pgr_probe *p)
{
	SSL *ssl = PQsslStruct(p->conn, "OpenSSL");
	BIO *rbio, *f;

	if (ssl == NULL || (rbio = SSL_get_rbio(ssl)) == NULL)
		return;
	pthread_once(&meter_once, meter_init);
	if (meter_method == NULL || (f = BIO_new(meter_method)) == NULL)
		return;
	BIO_set_data(f, p);
	BIO_set_init(f, 1);
	/*
	 * The SSL object owns its read BIO and frees the one it replaces; the
	 * meter holds its own reference to libpq's BIO, which stays the
	 * write BIO as it was.
	 */
	BIO_up_ref(rbio);
	BIO_push(f, rbio);
	SSL_set0_rbio(ssl, f);
}

/*
 * After each read: the byte cap, and the deadline, which a server that
 * keeps the socket readable would otherwise push back to the next turn
 * of the loop, however long this read took.
 */
static bool
session_over(struct pgr_probe *p)
{
	static const char flood[] = "the server sent more than 16 MiB "
	    "on this connection (a smoke-test query takes a few hundred bytes)";

	if (bytes_received(p) > MAX_SESSION_BYTES) {
		if (pgr_probe_idling(p))
			idle_end(p, PGR_IDLE_ERROR, 0, flood);
		else
			query_fail(p, PGR_QUERY_ERROR, flood);
		return true;
	}
	if (p->deadline > 0 && pgr_now_ms() >= p->deadline) {
		pgr_probe_expire(p);
		return true;
	}
	return false;
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
	p->read_left = READ_SLICE;
	if (!PQconsumeInput(p->conn)) {
		query_fail(p, PGR_QUERY_ERROR, PQerrorMessage(p->conn));
		return;
	}
	if (session_over(p))
		return;
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
				/* The server's bytes: kept only if shaped like a SQLSTATE. */
				if (ss != NULL && strlen(ss) == 5 &&
				    strspn(ss, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") == 5)
					memcpy(q->sqlstate, ss, 6);
				pgr_secrets_clean(q->message, sizeof(q->message),
				    m ? m : PQresultErrorMessage(res),
				    p->target->password);
			}
			break;
		}
		PQclear(res);
	}
}

/* Non-blocking, the read meter in place: ready for queries. */
static bool
session_ready(struct pgr_probe *p)
{
	if (PQsetnonblocking(p->conn, 1) != 0)
		return false;
	if (!p->metered)
		meter_tls(p);
	p->metered = true;
	return true;
}

/* ---- --idle: one session per port left idle, then queried again ---- */

static void
idle_end(struct pgr_probe *p, enum pgr_idle_status st, int e, const char *msg)
{
	struct pgr_idle_result *d = &p->res->idle;
	char sqlstate[6];

	d->status = st;
	d->ms = since(p);
	d->err_no = e;
	pgr_pgmsg_parse(msg, p->target->password, sqlstate, d->message,
	    sizeof(d->message));
	memcpy(d->sqlstate, sqlstate[0] ? sqlstate : p->fatal_sqlstate, 6);
	probe_finish(p);
}

static enum pgr_idle_status
idle_errno_status(int e)
{
	return e == ECONNRESET ? PGR_IDLE_RESET :
	    e == ETIMEDOUT ? PGR_IDLE_TIMEOUT : e == EPIPE ? PGR_IDLE_EOF :
	    PGR_IDLE_ERROR;
}

/*
 * Did the connection end?  Asked of the socket before libpq reads it: a
 * pending error (a reset; ETIMEDOUT when keepalive probes or
 * tcp_user_timeout gave up) is taken by the first read, and after it the
 * socket only says end of file.  True when the attempt ended here.
 */
static bool
idle_cut_seen(struct pgr_probe *p)
{
	socklen_t len = sizeof(int);
	int fd = PQsocket(p->conn), e = 0;
	char b;
	ssize_t n;

	if (fd < 0)
		return false;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) == 0 && e != 0) {
		idle_end(p, idle_errno_status(e), e, e == ETIMEDOUT ?
		    "the kernel gave up on the connection (keepalive probes or "
		    "tcp_user_timeout went unanswered)" : strerror(e));
		return true;
	}
	n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n == 0) {
		idle_end(p, PGR_IDLE_EOF, 0, p->fatal_sqlstate[0] ?
		    "the server ended the session and closed the connection" :
		    "the connection was closed (FIN) while the session was idle");
		return true;
	}
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
		e = errno;
		idle_end(p, idle_errno_status(e), e, strerror(e));
		return true;
	}
	return false;
}

/* A failure libpq reported: how the connection ended, else its words. */
static void
idle_fail(struct pgr_probe *p, const char *msg)
{
	if (!idle_cut_seen(p))
		idle_end(p, PGR_IDLE_ERROR, 0, msg);
}

/*
 * The first attempt on each port whose login and queries all succeeded
 * keeps its session: a session known good before the wait, so that a cut
 * is not mistaken for a session that never worked.  True when it does.
 */
static bool
idle_begin(struct pgr_probe *p)
{
	struct pgr_idle_result *d = &p->res->idle;

	if (p->cfg->idle_ms <= 0 || p->idle_claim == NULL ||
	    __atomic_exchange_n(p->idle_claim, 1, __ATOMIC_ACQ_REL) != 0)
		return false;
	d->seconds = p->cfg->idle_ms / 1000.0;
	d->start_ms = since(p);
	if (!session_ready(p)) {
		idle_end(p, PGR_IDLE_ERROR, 0, "out of memory");
		return true;
	}
	p->state = PGR_AS_IDLE;
	p->deadline = p->cfg->idle_deadline;
	p->wake = pgr_now_ms() + p->cfg->idle_ms;
	/* Nothing is sent; the server or the path may still end it. */
	p->fd = PQsocket(p->conn);
	p->events = POLLIN;
	return true;
}

static void
idle_arm(struct pgr_probe *p)
{
	if (session_arm(p) != 0)
		idle_fail(p, PQerrorMessage(p->conn));
}

/*
 * The idle session's socket is readable: a cut (reset, timeout, end of
 * file) ends the probe; else libpq takes the bytes in.  True: the probe
 * ended here.
 */
static bool
idle_read(struct pgr_probe *p)
{
	if (idle_cut_seen(p))
		return true;
	p->read_left = READ_SLICE;
	if (!PQconsumeInput(p->conn)) {
		idle_fail(p, PQerrorMessage(p->conn));
		return true;
	}
	return session_over(p);
}

static void
idle_step(struct pgr_probe *p, short revents)
{
	/* A notice, or the FATAL before a close: libpq takes it in. */
	if ((revents & (POLLIN | POLLERR | POLLHUP)) && idle_read(p))
		return;
	if (p->wake == 0 || pgr_now_ms() < p->wake)
		return;
	p->wake = 0;
	p->state = PGR_AS_IDLE_QUERY;
	p->qerror = false;
	if (!PQsendQuery(p->conn, p->cfg->query)) {
		idle_fail(p, PQerrorMessage(p->conn));
		return;
	}
	PQsetSingleRowMode(p->conn);
	idle_arm(p);
}

static void
idle_query_step(struct pgr_probe *p, short revents)
{
	PGresult *res;

	if (p->sending && (revents & POLLOUT)) {
		idle_arm(p);
		if (p->state == PGR_AS_DONE)
			return;
	}
	if (!(revents & (POLLIN | POLLERR | POLLHUP)) || idle_read(p))
		return;
	while (p->state == PGR_AS_IDLE_QUERY && !PQisBusy(p->conn)) {
		ExecStatusType st;

		if ((res = PQgetResult(p->conn)) == NULL) {
			if (p->qerror)
				idle_end(p, PGR_IDLE_ERROR, 0, p->idle_error);
			else
				idle_end(p, PGR_IDLE_OK, 0, "");
			return;
		}
		st = PQresultStatus(res);
		if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
			PQclear(res);
			idle_end(p, PGR_IDLE_ERROR, 0,
			    "the server answered with COPY; pgreach times plain queries only");
			return;
		}
		if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK &&
		    st != PGRES_SINGLE_TUPLE && !p->qerror) {
			p->qerror = true;
			snprintf(p->idle_error, sizeof(p->idle_error), "%s",
			    PQresultErrorMessage(res));
		}
		PQclear(res);
	}
}

static void
queries_begin(struct pgr_probe *p)
{
	const char *v;

	if ((v = PQparameterStatus(p->conn, "server_version")) != NULL)
		pgr_secrets_clean(p->res->login.server_version,
		    sizeof(p->res->login.server_version), v, NULL);
	if (p->cfg->count <= 0) {
		p->res->query.status = PGR_SKIPPED;
		if (!idle_begin(p))
			probe_finish(p);
		return;
	}
	p->qtimes = calloc((size_t)p->cfg->count, sizeof(*p->qtimes));
	if (p->qtimes == NULL || !session_ready(p)) {
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
		if (p->tls_seen)
			tls_progress(p);
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
		pgr_keepalive_read_socket(PQsocket(p->conn), &r->keepalive);
	}
	if (p->tcp_done && after == CONNECTION_SSL_STARTUP)
		p->tls_seen = true;
	watch_ssl(p);
	if (p->tls_seen && !p->tls_done)
		tls_progress(p);
	if (p->tls_done || !p->tcp_done || after == CONNECTION_SSL_STARTUP)
		return;
	if (p->tls_seen) {
		p->tls_done = true;
		if (!PQsslInUse(p->conn))
			r->tls.ssl_answer = 'N';
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

/*
 * How far the TLS phase got: libpq creates its SSL object only once the
 * server answered 'S', and OpenSSL's state says whether our ClientHello
 * left.  Bytes count from after the 'S' (one byte).
 */
static void
tls_progress(struct pgr_probe *p)
{
	struct pgr_tls_result *t = &p->res->tls;
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	SSL *ssl;
	OSSL_HANDSHAKE_STATE st;
	unsigned long long b;
	int fd;

	if (p->conn == NULL)
		return;
	fd = PQsocket(p->conn);
	memset(&ti, 0, sizeof(ti));
	if (fd >= 0 && getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0) {
		p->res->tcp.path_mtu = (int)ti.tcpi_pmtu;
		p->res->tcp.mss = (int)ti.tcpi_advmss;
	}
	if ((ssl = PQsslStruct(p->conn, "OpenSSL")) == NULL)
		return;
	t->ssl_answer = 'S';
	st = SSL_get_state(ssl);
	t->client_hello_sent = st != TLS_ST_BEFORE &&
	    !(st == TLS_ST_CW_CLNT_HELLO && SSL_want_write(ssl));
	snprintf(t->handshake_state, sizeof(t->handshake_state), "%s",
	    SSL_state_string_long(ssl));
	b = bytes_received(p);
	t->bytes_received = b > 0 ? (long long)b - 1 : 0;
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

/*
 * Is the server's identity verified?  libpq checked the chain itself under
 * verify-ca and verify-full; otherwise pgreach's own check of the chain
 * (system store or --sslrootcert) and of the host name decides.
 */
static bool
identity_verified(const struct pgr_probe *p)
{
	const struct pgr_cert *c = &p->res->tls.cert;

	if (p->res->tls.status != PGR_OK)
		return false;
	if (strncmp(sslmode_of(p), "verify-", 7) == 0)
		return true;
	return c->present && c->verified && c->hostname_match;
}

/*
 * The first authentication request, read before libpq answers it: libpq
 * 15 has no require_auth (16 has), and answers a cleartext request with
 * the password within the same PQconnectPoll() call that reads it.  The
 * bytes are only peeked at (SSL_peek, MSG_PEEK): libpq then reads them as
 * if nobody had looked.  Returns false when the attempt ended here.
 */
static bool
auth_check(struct pgr_probe *p)
{
	static const struct { int code; const char *name; } methods[] = {
		{ 0, "trust" }, { 3, "password" }, { 5, "md5" }, { 7, "gss" },
		{ 9, "sspi" }, { 10, "scram-sha-256" },
	};
	struct pgr_login_result *l = &p->res->login;
	unsigned char b[256];
	SSL *ssl = PQsslStruct(p->conn, "OpenSSL");
	int n, code;
	size_t i;

	if (p->auth_seen || PQstatus(p->conn) != CONNECTION_AWAITING_RESPONSE)
		return true;
	if (ssl != NULL)
		n = SSL_peek(ssl, b, sizeof(b));
	else
		n = (int)recv(PQsocket(p->conn), b, sizeof(b), MSG_PEEK | MSG_DONTWAIT);
	if (ssl != NULL && n <= 0)
		ERR_clear_error();	/* WANT_READ: libpq must not see it */
	if (n < 9 || b[0] != 'R')
		return true;	/* not yet, or not an auth request: libpq's to judge */
	p->auth_seen = true;
	code = (int)((uint32_t)b[5] << 24 | (uint32_t)b[6] << 16 | (uint32_t)b[7] << 8 | b[8]);
	snprintf(l->auth_method, sizeof(l->auth_method), "other");
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (methods[i].code == code)
			snprintf(l->auth_method, sizeof(l->auth_method), "%s",
			    methods[i].name);
	/*
	 * With SCRAM-SHA-256-PLUS offered over TLS, libpq's default
	 * channel_binding=prefer binds the exchange to this very certificate:
	 * a man in the middle learns nothing.  The list is NUL-separated.
	 */
	if (code == 10 && ssl != NULL &&
	    memmem(b + 9, (size_t)n - 9, "SCRAM-SHA-256-PLUS", 19) != NULL)
		snprintf(l->auth_method, sizeof(l->auth_method), "scram-sha-256-plus");
	capture_cert(p);	/* done already, unless libpq skipped a wait */
	if (code != 3 || identity_verified(p))
		return true;
	/* The password itself, to a server nobody vouched for: not sent. */
	l->status = PGR_LOGIN_ERROR;
	l->ms = since(p);
	snprintf(l->message, sizeof(l->message), "the server asked for the "
	    "password in cleartext and its identity is not verified (%s): "
	    "pgreach did not send it; use sslmode=verify-full to allow it",
	    p->res->tls.status != PGR_OK ? "no TLS" :
	    p->res->tls.cert.verified ? "certificate not issued to this host name" :
	    "certificate not verified");
	probe_finish(p);
	return false;
}

static void
connect_step(struct pgr_probe *p)
{
	ConnStatusType after;

	if (!auth_check(p))
		return;
	p->poll = PQconnectPoll(p->conn);
	after = PQstatus(p->conn);
	if (p->poll == PGRES_POLLING_FAILED) {
		watch_ssl(p);
		connect_failed(p);
		return;
	}
	advance(p, after);
	/*
	 * sslmode=allow and prefer may open a second connection after the
	 * first fails: its first authentication request is looked at too.
	 */
	if (after == CONNECTION_STARTED || after == CONNECTION_MADE ||
	    after == CONNECTION_SSL_STARTUP)
		p->auth_seen = false;
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
		/* The SSLRequest is out: OpenSSL starts while the server forks. */
		if (after == CONNECTION_SSL_STARTUP && !p->res->tls.client_hello_sent)
			pgr_tls_warm();
		/* Waiting for the server's first flight: read the CA bundle now. */
		if (!p->tls_done && p->res->tls.client_hello_sent)
			pgr_tlsv_prepare(p->cfg->tlsv);
		/*
		 * After the handshake libpq asks to write, then sends the
		 * startup packet and waits: the chain is checked in that wait,
		 * while the server reads the packet, not before it (the system
		 * bundle's lookups, ~1/60 of a login's instructions, off its
		 * critical path).  auth_check() needs it next.
		 */
		if (p->tls_done)
			capture_cert(p);
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
	PQsetNoticeProcessor(p->conn, notice_silence, NULL);
	PQsetNoticeReceiver(p->conn, notice_receiver, p);
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
	case PGR_AS_IDLE:
		idle_step(p, revents);
		break;
	case PGR_AS_IDLE_QUERY:
		idle_query_step(p, revents);
		break;
	default:
		break;
	}
}

bool
pgr_probe_idling(const struct pgr_probe *p)
{
	return p->state == PGR_AS_IDLE || p->state == PGR_AS_IDLE_QUERY;
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
			if (p->tls_seen)
				tls_progress(p);
			r->tls.status = PGR_TLS_TIMEOUT;
			r->tls.ms = now;
			set_detail(r->tls.detail, sizeof(r->tls.detail),
			    r->tls.ssl_answer == 'S' ?
			    "the server answered S, then its TLS handshake did not complete before the deadline" :
			    p->tls_seen ?
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
	case PGR_AS_IDLE:
		/* Only a run cut short (serve's shutdown, no memory) ends a wait. */
		idle_end(p, PGR_IDLE_ERROR, 0, "the run ended before the wait was over");
		return;
	case PGR_AS_IDLE_QUERY:
		/*
		 * Nothing came back, no reset, no end of file: the flow was
		 * forgotten by something on the path and its packets are lost.
		 */
		idle_end(p, PGR_IDLE_TIMEOUT, 0, "no answer to the query sent after the wait, before the deadline");
		return;
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
