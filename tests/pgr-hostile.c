/*
 * pgr-hostile: a misbehaving PostgreSQL server and DNS server, on loopback,
 * for tests/hostile.test.  One process, one poll() loop, non-blocking
 * sockets, and a bounded life: it exits after --lifetime seconds whatever
 * its clients do, so a test that dies never leaves it behind for long.
 *
 *	pgr-hostile --mode MODE [--listen ADDR] [--port PORT] [--portfile F]
 *	    [--pidfile F] [--lifetime SECONDS] [--size BYTES] [--seed N] [--tls] [-v]
 *
 * --port 0 (the default) binds a free port; --portfile tells which, once
 * the socket is listening (written to a temporary name, then renamed, so a
 * reader never sees half a number).  ADDR must be a loopback address: this
 * program refuses any other, so a test typo cannot put it on a network.
 *
 * Postgres modes (TCP).  The client opens with the 8-byte SSLRequest
 * (length 8, code 80877103); a well-behaved server answers one byte, 'S' or
 * 'N', and nothing else before the TLS ClientHello.
 *
 *	garbage-sslresponse	answer the SSLRequest with random bytes
 *	s-then-plaintext	'S' and plaintext in the same segment
 *	n-then-close		'N', then close
 *	tls-alert		'S', then a TLS fatal alert record on the ClientHello
 *	accept-never-read	accept, then never read nor write
 *	read-never-answer	read everything, never answer
 *	close-mid-handshake	'S', read part of the ClientHello, close (RST)
 *	stream-forever		from the accept on, stream bytes until the client goes
 *	error-stream		'E' to the SSLRequest, then endless non-NUL bytes:
 *				libpq reads an old-protocol error to its NUL
 *	huge-error		'N' (or 'S' and a real handshake with --tls), then on
 *				the startup packet an ErrorResponse whose message
 *				is --size bytes (default 1 MiB)
 *	huge-error-unterminated	the same, the message field never terminated
 *				and the connection then held open
 *	login-error-stream	as huge-error, but the answer to the startup packet
 *				is 'E' and endless non-NUL bytes
 *
 * Query modes: the login succeeds (AuthenticationOk, ParameterStatus,
 * BackendKeyData, ReadyForQuery, over TLS with --tls), then each Query gets
 *
 *	query-copy-in		CopyInResponse, as if the query were COPY FROM STDIN
 *	query-copy-out		CopyOutResponse, then nothing
 *	query-never-answer	nothing at all
 *	query-rows-forever	RowDescription, then DataRows without end
 *	query-huge-row		RowDescription, then one DataRow that claims
 *				1.75 GiB and whose bytes never stop coming
 *	query-notices-forever	NoticeResponses without end
 *	escapes			terminal escapes, newlines and forged result
 *				lines in server_version, another parameter, a
 *				NOTICE at login, and the query's ErrorResponse
 *
 * echo-password asks for the password in cleartext
 * (AuthenticationCleartextPassword), then sends it back in a NOTICE, in a
 * ParameterStatus and in the query's ErrorResponse: the server a password
 * must never be handed to, and whatever it echoes must never be printed.
 *
 * DNS modes (UDP, and TCP on the same port for a client that falls back to
 * it after a truncated answer): --mode dns --dns-mode SUB, or dns:SUB.
 *
 *	truncated	TC bit set and garbage after the question; over TCP, a
 *			length prefix promising more than ever comes
 *	wrong-id	a good answer under another query id
 *	cname-loop	a chain of CNAMEs that comes back to the name asked
 *	huge-answer	ancount 65535 in a 64 KB datagram of A records
 *	many-addresses	a valid answer of 200 A records, all in 127.0.0.0/8
 *	garbage		the query id, the question, then random bytes
 *	ptr-loop	an answer whose owner name is a compression pointer to itself
 *
 * Every address in every answer is a loopback address.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define MAX_CLIENTS	64
#define INBUF		8192
#define STARTUP_MAX	10000	/* PostgreSQL's own MAX_STARTUP_PACKET_LENGTH */
#define CHUNK		65536
#define SSLREQ_CODE	80877103u

enum mode {
	M_GARBAGE_SSLRESPONSE,
	M_S_THEN_PLAINTEXT,
	M_N_THEN_CLOSE,
	M_TLS_ALERT,
	M_ACCEPT_NEVER_READ,
	M_READ_NEVER_ANSWER,
	M_CLOSE_MID_HANDSHAKE,
	M_STREAM_FOREVER,
	M_ERROR_STREAM,
	M_HUGE_ERROR,
	M_HUGE_ERROR_UNTERMINATED,
	M_LOGIN_ERROR_STREAM,
	M_QUERY_COPY_IN,
	M_QUERY_COPY_OUT,
	M_QUERY_NEVER_ANSWER,
	M_QUERY_ROWS_FOREVER,
	M_QUERY_HUGE_ROW,
	M_QUERY_NOTICES_FOREVER,
	M_ESCAPES,
	M_ECHO_PASSWORD,
	M_DNS
};

static const char *const mode_names[] = {
	"garbage-sslresponse", "s-then-plaintext", "n-then-close", "tls-alert",
	"accept-never-read", "read-never-answer", "close-mid-handshake",
	"stream-forever", "error-stream", "huge-error",
	"huge-error-unterminated", "login-error-stream", "query-copy-in",
	"query-copy-out", "query-never-answer", "query-rows-forever",
	"query-huge-row", "query-notices-forever", "escapes", "echo-password",
	"dns", NULL
};

enum dns_mode {
	D_TRUNCATED,
	D_WRONG_ID,
	D_CNAME_LOOP,
	D_HUGE_ANSWER,
	D_MANY_ADDRESSES,
	D_GARBAGE,
	D_PTR_LOOP,
	D__NONE
};

static const char *const dns_names[] = {
	"truncated", "wrong-id", "cname-loop", "huge-answer", "many-addresses",
	"garbage", "ptr-loop", NULL
};

/* Where a Postgres connection is in the conversation. */
enum cstate {
	C_SSLREQ,		/* waiting for the 8-byte SSLRequest */
	C_TLS_ACCEPT,		/* SSL_accept() under way */
	C_STARTUP,		/* waiting for the startup packet */
	C_CLIENTHELLO,		/* 'S' sent, waiting for the ClientHello */
	C_PASSWORD,		/* cleartext asked for, waiting for 'p' */
	C_QUERY,		/* logged in, answering Query messages */
	C_DRAIN,		/* reading and discarding until EOF */
	C_HOLD,			/* nothing more to do; keep the socket open */
	C_STREAM		/* writing forever */
};

struct client {
	int		fd;
	enum cstate	state;
	unsigned char	in[INBUF];
	size_t		inlen;
	unsigned char	*out;		/* pending output */
	size_t		outlen, outoff;
	bool		close_after;	/* close once out is written */
	SSL		*ssl;
	bool		dns;		/* a DNS-over-TCP client */
	char		password[256];	/* what echo-password was sent */
};

struct opts {
	enum mode	mode;
	enum dns_mode	dns;
	const char	*listen;
	int		port;
	const char	*portfile, *pidfile, *certout;
	double		lifetime;
	size_t		size;
	uint64_t	seed;
	bool		tls;
	bool		verbose;
};

static struct opts o = {
	.dns = D__NONE, .listen = "127.0.0.1", .port = 0, .lifetime = 30,
	.size = 1024 * 1024, .seed = 1
};
static struct client clients[MAX_CLIENTS];
static SSL_CTX *ssl_ctx;
static uint64_t rng;

static void
die(const char *what)
{
	fprintf(stderr, "pgr-hostile: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void
usage(void)
{
	size_t i;

	fprintf(stderr, "usage: pgr-hostile --mode MODE [--listen ADDR] [--port PORT] "
	    "[--portfile FILE] [--pidfile FILE] [--lifetime SECONDS] "
	    "[--size BYTES] [--seed N] [--tls] [--certout FILE] [--dns-mode SUB] [-v]\nmodes:");
	for (i = 0; mode_names[i] != NULL; i++)
		fprintf(stderr, " %s", mode_names[i]);
	fprintf(stderr, "\ndns sub-modes:");
	for (i = 0; dns_names[i] != NULL; i++)
		fprintf(stderr, " %s", dns_names[i]);
	fprintf(stderr, "\n");
	exit(2);
}

/* xorshift64*: the same bytes for the same --seed, run after run. */
static uint8_t
rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint8_t)((rng * 2685821657736338717ULL) >> 56);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
lookup(const char *const *names, const char *s)
{
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

static void
parse_args(int argc, char **argv)
{
	int i, m;
	char *end;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--tls") == 0) {
			o.tls = true;
			continue;
		}
		if (strcmp(a, "-v") == 0) {
			o.verbose = true;
			continue;
		}
		if (v == NULL)
			usage();
		i++;
		if (strcmp(a, "--mode") == 0) {
			if (strncmp(v, "dns:", 4) == 0) {
				o.mode = M_DNS;
				if ((m = lookup(dns_names, v + 4)) < 0)
					usage();
				o.dns = (enum dns_mode)m;
			} else if ((m = lookup(mode_names, v)) < 0)
				usage();
			else
				o.mode = (enum mode)m;
		} else if (strcmp(a, "--dns-mode") == 0) {
			if ((m = lookup(dns_names, v)) < 0)
				usage();
			o.dns = (enum dns_mode)m;
		} else if (strcmp(a, "--listen") == 0)
			o.listen = v;
		else if (strcmp(a, "--port") == 0) {
			long p = strtol(v, &end, 10);

			if (*end != '\0' || p < 0 || p > 65535)
				usage();
			o.port = (int)p;
		} else if (strcmp(a, "--portfile") == 0)
			o.portfile = v;
		else if (strcmp(a, "--pidfile") == 0)
			o.pidfile = v;
		else if (strcmp(a, "--certout") == 0)
			o.certout = v;
		else if (strcmp(a, "--lifetime") == 0) {
			o.lifetime = strtod(v, &end);
			if (*end != '\0' || !(o.lifetime > 0 && o.lifetime <= 3600))
				usage();
		} else if (strcmp(a, "--size") == 0) {
			unsigned long long s = strtoull(v, &end, 10);

			if (*end != '\0' || s == 0 || s > 256ULL * 1024 * 1024)
				usage();
			o.size = (size_t)s;
		} else if (strcmp(a, "--seed") == 0) {
			o.seed = strtoull(v, &end, 10);
			if (*end != '\0')
				usage();
		} else
			usage();
	}
	if (o.mode == M_DNS && o.dns == D__NONE)
		usage();
	rng = o.seed ? o.seed : 1;
}

/* ---- sockets ---- */

static void
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		die("fcntl");
}

/* Loopback only: 127.0.0.0/8 or ::1. */
static socklen_t
loopback_addr(int port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, o.listen, &sin->sin_addr) == 1) {
		if ((ntohl(sin->sin_addr.s_addr) >> 24) != 127)
			goto refuse;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		return sizeof(*sin);
	}
	if (inet_pton(AF_INET6, o.listen, &sin6->sin6_addr) == 1) {
		if (!IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
			goto refuse;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		return sizeof(*sin6);
	}
refuse:
	fprintf(stderr, "pgr-hostile: --listen %s: not a loopback address\n", o.listen);
	exit(2);
}

static int
bound_socket(int type, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback_addr(port, &ss);
	int fd, one = 1;

	if ((fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0)) < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) != 0) {
		close(fd);
		return -1;
	}
	if (type == SOCK_STREAM && listen(fd, 16) != 0)
		die("listen");
	set_nonblock(fd);
	return fd;
}

static int
port_of(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		die("getsockname");
	return ntohs(ss.ss_family == AF_INET ?
	    ((struct sockaddr_in *)&ss)->sin_port :
	    ((struct sockaddr_in6 *)&ss)->sin6_port);
}

static void
write_file(const char *path, long v)
{
	char tmp[4096];
	FILE *f;

	if (path == NULL)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		die(tmp);
	fprintf(f, "%ld\n", v);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		die(path);
}

/* ---- TLS: a throwaway key and self-signed certificate ---- */

static void
tls_setup(void)
{
	EVP_PKEY *key;
	X509 *crt;
	X509_NAME *name;

	key = EVP_EC_gen("P-256");
	crt = X509_new();
	if (key == NULL || crt == NULL)
		goto fail;
	ASN1_INTEGER_set(X509_get_serialNumber(crt), 1);
	X509_gmtime_adj(X509_getm_notBefore(crt), -3600);
	X509_gmtime_adj(X509_getm_notAfter(crt), 86400);
	X509_set_pubkey(crt, key);
	name = X509_get_subject_name(crt);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"pgr-hostile", -1, -1, 0);
	X509_set_issuer_name(crt, name);
	if (!X509_sign(crt, key, EVP_sha256()))
		goto fail;
	ssl_ctx = SSL_CTX_new(TLS_server_method());
	if (ssl_ctx == NULL || SSL_CTX_use_certificate(ssl_ctx, crt) != 1 ||
	    SSL_CTX_use_PrivateKey(ssl_ctx, key) != 1)
		goto fail;
	if (o.certout != NULL) {
		/* The self-signed certificate, for a client that should trust it. */
		FILE *f = fopen(o.certout, "w");

		if (f == NULL || PEM_write_X509(f, crt) != 1 || fclose(f) != 0)
			goto fail;
	}
	X509_free(crt);
	EVP_PKEY_free(key);
	return;
fail:
	ERR_print_errors_fp(stderr);
	fprintf(stderr, "pgr-hostile: cannot set up TLS\n");
	exit(2);
}

/* ---- Postgres connections ---- */

static void
client_close(struct client *c)
{
	if (o.verbose)
		fprintf(stderr, "pgr-hostile: %.3f closing a connection\n", now_s());
	if (c->ssl != NULL)
		SSL_free(c->ssl);
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static void
queue(struct client *c, const void *p, size_t n)
{
	unsigned char *b = realloc(c->out, c->outlen + n);

	if (b == NULL)
		die("realloc");
	memcpy(b + c->outlen, p, n);
	c->out = b;
	c->outlen += n;
}

static void
queue_byte(struct client *c, unsigned char b)
{
	queue(c, &b, 1);
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/*
 * ErrorResponse: 'E', int32 length (itself included), fields "S", "V",
 * "C", "M", each NUL-terminated, and a final NUL.  The message is o.size
 * bytes of text; unterminated, its NUL and the final one are left out.
 */
static void
queue_error(struct client *c, bool unterminated)
{
	static const char head[] = "SFATAL\0VFATAL\0C28000\0M";
	size_t body = sizeof(head) - 1 + o.size + (unterminated ? 0 : 2);
	unsigned char hdr[5];
	unsigned char *msg;
	size_t i;

	hdr[0] = 'E';
	put32(hdr + 1, (uint32_t)(body + 4));
	if ((msg = malloc(body)) == NULL)
		die("malloc");
	memcpy(msg, head, sizeof(head) - 1);
	for (i = 0; i < o.size; i++)
		msg[sizeof(head) - 1 + i] = (unsigned char)('a' + i % 26);
	if (!unterminated) {
		msg[body - 2] = '\0';
		msg[body - 1] = '\0';
	}
	queue(c, hdr, sizeof(hdr));
	queue(c, msg, body);
	free(msg);
}

static void
refill_stream(struct client *c)
{
	unsigned char buf[CHUNK];
	size_t i;

	if (o.mode == M_QUERY_ROWS_FOREVER) {
		/* DataRows: 'D', length, one column of 1000 bytes. */
		free(c->out);
		c->out = NULL;
		c->outlen = c->outoff = 0;
		for (i = 0; i + 1011 <= sizeof(buf); i += 1011) {
			buf[i] = 'D';
			put32(buf + i + 1, 1010);
			buf[i + 5] = 0;
			buf[i + 6] = 1;
			put32(buf + i + 7, 1000);
			memset(buf + i + 11, 'r', 1000);
		}
		queue(c, buf, i);
		return;
	}
	if (o.mode == M_QUERY_NOTICES_FOREVER) {
		static const char body[] = "SNOTICE\0VNOTICE\0C00000\0"
		    "Mone more notice\0";	/* and the final NUL */
		size_t n = sizeof(body) + 4 + 1;

		free(c->out);
		c->out = NULL;
		c->outlen = c->outoff = 0;
		for (i = 0; i + n <= sizeof(buf); i += n) {
			buf[i] = 'N';
			put32(buf + i + 1, (uint32_t)(sizeof(body) + 4));
			memcpy(buf + i + 5, body, sizeof(body));
		}
		queue(c, buf, i);
		return;
	}
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = o.mode != M_STREAM_FOREVER ? (unsigned char)('A' + i % 26) :
		    (unsigned char)(rnd() | 1);	/* never NUL */
	free(c->out);
	c->out = NULL;
	c->outlen = c->outoff = 0;
	queue(c, buf, sizeof(buf));
}

/* Consume the 8-byte SSLRequest at the head of in; false if not all here. */
static bool
take_sslrequest(struct client *c)
{
	if (c->inlen < 8)
		return false;
	if (get32(c->in) != 8 || get32(c->in + 4) != SSLREQ_CODE)
		fprintf(stderr, "pgr-hostile: first packet is not an SSLRequest\n");
	memmove(c->in, c->in + 8, c->inlen - 8);
	c->inlen -= 8;
	return true;
}

/* The startup packet: int32 length, then the rest.  true once complete. */
static bool
take_startup(struct client *c)
{
	uint32_t len;

	if (c->inlen < 4)
		return false;
	len = get32(c->in);
	if (len < 8 || len > STARTUP_MAX) {
		c->inlen = 0;
		return true;	/* not a startup packet; answer anyway */
	}
	if (c->inlen < len)
		return false;
	memmove(c->in, c->in + len, c->inlen - len);
	c->inlen -= len;
	return true;
}

/* A backend message: type, int32 length (itself included), body. */
static void
queue_msg(struct client *c, char type, const void *body, size_t n)
{
	unsigned char hdr[5];

	hdr[0] = (unsigned char)type;
	put32(hdr + 1, (uint32_t)(n + 4));
	queue(c, hdr, sizeof(hdr));
	if (n > 0)
		queue(c, body, n);
}

/* ParameterStatus: name and value, each NUL-terminated. */
static void
queue_param(struct client *c, const char *name, const char *value)
{
	size_t a = strlen(name) + 1, b = strlen(value) + 1;
	char *body = malloc(a + b);

	if (body == NULL)
		die("malloc");
	memcpy(body, name, a);
	memcpy(body + a, value, b);
	queue_msg(c, 'S', body, a + b);
	free(body);
}

/* NoticeResponse ('N') or ErrorResponse ('E') with these fields. */
static void
queue_report(struct client *c, char type, const char *sqlstate, const char *text)
{
	char body[2048];
	int n = snprintf(body, sizeof(body), "S%s%cV%s%cC%s%cM%s%c",
	    type == 'N' ? "NOTICE" : "ERROR", 0, type == 'N' ? "NOTICE" : "ERROR",
	    0, sqlstate, 0, text, 0);

	if (n < 0 || (size_t)n + 1 > sizeof(body))
		die("snprintf");
	body[n] = '\0';		/* the list's final NUL */
	queue_msg(c, type, body, (size_t)n + 1);
}

/*
 * What escapes writes where a server's text goes: a colour, an OSC that
 * sets the terminal's title, a screen clear, and a forged status line.
 */
static const char hostile_text[] = "\x1b[31mred\x1b]0;pwned\x07"
    "\x1b[2J\n\nRESULT: OK\nPGREACH OK - forged";

/* What a trusting server says after the startup packet. */
static void
queue_login_ok(struct client *c)
{
	unsigned char b[8];

	put32(b, 0);
	queue_msg(c, 'R', b, 4);		/* AuthenticationOk */
	if (o.mode == M_ESCAPES) {
		queue_param(c, "server_version", "15.99\x1b]0;pwned\x07\nRESULT: OK");
		queue_param(c, "application_name", hostile_text);
		queue_report(c, 'N', "01000", hostile_text);
	} else if (o.mode == M_ECHO_PASSWORD) {
		queue_report(c, 'N', "01000", c->password);
		queue_param(c, "server_version", "15.99");
		queue_param(c, "application_name", c->password);
	} else
		queue_param(c, "server_version", "15.99");
	put32(b, (uint32_t)getpid());
	put32(b + 4, 0x5eed);
	queue_msg(c, 'K', b, 8);		/* BackendKeyData */
	queue_msg(c, 'Z', "I", 1);		/* ReadyForQuery, idle */
}

/* RowDescription: one text column, "x". */
static void
queue_rowdesc(struct client *c)
{
	unsigned char b[2 + 2 + 18];

	memset(b, 0, sizeof(b));
	b[1] = 1;			/* one field */
	b[2] = 'x';			/* name "x\0", table 0, attnum 0 */
	put32(b + 10, 25);		/* type oid: text */
	b[14] = 0xff;			/* typlen -1 */
	b[15] = 0xff;
	memset(b + 16, 0xff, 4);	/* typmod -1 */
	queue_msg(c, 'T', b, sizeof(b));	/* format 0: text */
}

/* Frontend messages after the login: answer each Query per the mode. */
static void
query_input(struct client *c)
{
	static const unsigned char copy[3] = { 0, 0, 0 };	/* text, 0 columns */
	size_t len;
	char type;

	while (c->inlen >= 5) {
		type = (char)c->in[0];
		len = get32(c->in + 1);
		if (len < 4 || len > sizeof(c->in) - 1) {
			c->inlen = 0;
			c->state = C_DRAIN;
			return;
		}
		if (c->inlen < len + 1)
			return;
		memmove(c->in, c->in + len + 1, c->inlen - len - 1);
		c->inlen -= len + 1;
		if (type == 'X') {		/* Terminate */
			c->close_after = true;
			c->state = C_HOLD;
			return;
		}
		if (type != 'Q')
			continue;
		switch (o.mode) {
		case M_QUERY_COPY_IN:
			queue_msg(c, 'G', copy, sizeof(copy));
			break;
		case M_QUERY_COPY_OUT:
			queue_msg(c, 'H', copy, sizeof(copy));
			break;
		case M_QUERY_ROWS_FOREVER:
		case M_QUERY_NOTICES_FOREVER:
			queue_rowdesc(c);
			c->state = C_STREAM;
			return;
		case M_QUERY_HUGE_ROW: {
			/* 'D', length, one column: 1.75 GiB promised, never all sent. */
			unsigned char d[1 + 4 + 2 + 4];

			queue_rowdesc(c);
			d[0] = 'D';
			put32(d + 1, 0x70000000u);
			d[5] = 0;
			d[6] = 1;
			put32(d + 7, 0x70000000u - 10);
			queue(c, d, sizeof(d));
			c->state = C_STREAM;
			return;
		}
		case M_ESCAPES:
			queue_report(c, 'N', "01000", hostile_text);
			/* Five bytes, shaped nothing like a SQLSTATE. */
			queue_report(c, 'E', "\x1b[31m", hostile_text);
			queue_msg(c, 'Z', "I", 1);
			break;
		case M_ECHO_PASSWORD: {
			char m[300];

			snprintf(m, sizeof(m), "you said %s", c->password);
			queue_report(c, 'N', "01000", m);
			queue_report(c, 'E', "42000", m);
			queue_msg(c, 'Z', "I", 1);
			break;
		}
		default:
			break;
		}
	}
}

/* React to what has been read so far. */
static void
pg_input(struct client *c)
{
	static const unsigned char alert[] = { 0x15, 0x03, 0x03, 0x00, 0x02,
	    0x02, 0x28 };	/* fatal handshake_failure */
	static const char plain[] = "HTTP/1.0 400 Bad Request\r\n"
	    "Content-Type: text/plain\r\n\r\nthis is not PostgreSQL\r\n";
	unsigned char junk[64];
	size_t i;

	switch (c->state) {
	case C_SSLREQ:
		if (!take_sslrequest(c))
			return;
		switch (o.mode) {
		case M_GARBAGE_SSLRESPONSE:
			for (i = 0; i < sizeof(junk); i++)
				junk[i] = rnd();
			/* Not one of the answers libpq knows: S, N, E. */
			if (junk[0] == 'S' || junk[0] == 'N' || junk[0] == 'E')
				junk[0] ^= 0x80;
			queue(c, junk, sizeof(junk));
			c->state = C_DRAIN;
			break;
		case M_S_THEN_PLAINTEXT:
			queue_byte(c, 'S');
			queue(c, plain, sizeof(plain) - 1);
			c->state = C_DRAIN;
			break;
		case M_N_THEN_CLOSE:
			queue_byte(c, 'N');
			c->close_after = true;
			c->state = C_HOLD;
			break;
		case M_TLS_ALERT:
		case M_CLOSE_MID_HANDSHAKE:
			queue_byte(c, 'S');
			c->state = C_CLIENTHELLO;
			break;
		case M_ERROR_STREAM:
			queue_byte(c, 'E');
			c->state = C_STREAM;
			break;
		case M_HUGE_ERROR:
		case M_HUGE_ERROR_UNTERMINATED:
		case M_LOGIN_ERROR_STREAM:
		case M_QUERY_COPY_IN:
		case M_QUERY_COPY_OUT:
		case M_QUERY_NEVER_ANSWER:
		case M_QUERY_ROWS_FOREVER:
		case M_QUERY_HUGE_ROW:
		case M_QUERY_NOTICES_FOREVER:
		case M_ESCAPES:
		case M_ECHO_PASSWORD:
			if (o.tls) {
				queue_byte(c, 'S');
				if ((c->ssl = SSL_new(ssl_ctx)) == NULL ||
				    SSL_set_fd(c->ssl, c->fd) != 1)
					die("SSL_new");
				c->state = C_TLS_ACCEPT;
			} else {
				queue_byte(c, 'N');
				c->state = C_STARTUP;
			}
			break;
		default:
			c->state = C_DRAIN;
			break;
		}
		return;
	case C_CLIENTHELLO:
		/* A TLS record header (type 22, handshake) is five bytes. */
		if (c->inlen < 5)
			return;
		if (o.mode == M_TLS_ALERT) {
			queue(c, alert, sizeof(alert));
			c->state = C_DRAIN;
		} else {
			/* Closing with unread data makes the kernel send a RST. */
			c->close_after = true;
			c->state = C_HOLD;
		}
		c->inlen = 0;
		return;
	case C_STARTUP:
		if (!take_startup(c))
			return;
		if (o.mode == M_LOGIN_ERROR_STREAM) {
			queue_byte(c, 'E');
			c->state = C_STREAM;
			return;
		}
		if (o.mode == M_ECHO_PASSWORD) {
			unsigned char b[4];

			put32(b, 3);		/* AuthenticationCleartextPassword */
			queue_msg(c, 'R', b, 4);
			c->state = C_PASSWORD;
			return;
		}
		if (o.mode >= M_QUERY_COPY_IN && o.mode <= M_ESCAPES) {
			queue_login_ok(c);
			c->state = C_QUERY;
			pg_input(c);	/* a Query may have come with it */
			return;
		}
		queue_error(c, o.mode == M_HUGE_ERROR_UNTERMINATED);
		c->state = o.mode == M_HUGE_ERROR_UNTERMINATED ? C_DRAIN : C_HOLD;
		c->close_after = o.mode == M_HUGE_ERROR;
		return;
	case C_PASSWORD: {
		/* PasswordMessage: 'p', int32 length, the password and a NUL. */
		uint32_t len;

		if (c->inlen < 5)
			return;
		len = get32(c->in + 1);
		if (c->in[0] != 'p' || len < 5 || len > sizeof(c->password) + 4) {
			c->state = C_DRAIN;
			return;
		}
		if (c->inlen < len + 1)
			return;
		memcpy(c->password, c->in + 5, len - 4);
		c->password[len - 5] = '\0';
		/* Told, never shown: the test learns whether it was sent. */
		fprintf(stderr, "pgr-hostile: received a cleartext password (%zu bytes)\n",
		    strlen(c->password));
		memmove(c->in, c->in + len + 1, c->inlen - len - 1);
		c->inlen -= len + 1;
		queue_login_ok(c);
		c->state = C_QUERY;
		pg_input(c);
		return;
	}
	case C_QUERY:
		query_input(c);
		return;
	default:
		c->inlen = 0;	/* discard */
		return;
	}
}

/* Bytes to read now: close-mid-handshake reads only part of the hello. */
static size_t
read_room(const struct client *c)
{
	if (c->state == C_SSLREQ && (o.mode == M_TLS_ALERT ||
	    o.mode == M_CLOSE_MID_HANDSHAKE || o.tls))
		return 8 - c->inlen;	/* leave the ClientHello in the socket */
	if (c->state == C_CLIENTHELLO && o.mode == M_CLOSE_MID_HANDSHAKE)
		return c->inlen < 16 ? 16 - c->inlen : 0;
	return sizeof(c->in) - c->inlen;
}

static bool
pg_read(struct client *c)
{
	ssize_t n;
	size_t room = read_room(c);

	if (room == 0)
		return true;
	if (c->ssl != NULL) {
		int r = SSL_read(c->ssl, c->in + c->inlen, (int)room);

		if (r <= 0) {
			int e = SSL_get_error(c->ssl, r);

			return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
		}
		n = r;
	} else {
		n = read(c->fd, c->in + c->inlen, room);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		if (n == 0)
			return false;	/* the client went away */
	}
	c->inlen += (size_t)n;
	pg_input(c);
	return true;
}

static bool
pg_write(struct client *c)
{
	ssize_t n;

	while (c->outoff < c->outlen) {
		size_t len = c->outlen - c->outoff;

		if (c->ssl != NULL && c->state != C_TLS_ACCEPT) {
			int r = SSL_write(c->ssl, c->out + c->outoff,
			    (int)(len > 16384 ? 16384 : len));

			if (r <= 0) {
				int e = SSL_get_error(c->ssl, r);

				return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
			}
			n = r;
		} else {
			n = send(c->fd, c->out + c->outoff, len, MSG_NOSIGNAL);
			if (n < 0)
				return errno == EAGAIN || errno == EINTR;
		}
		c->outoff += (size_t)n;
	}
	free(c->out);
	c->out = NULL;
	c->outlen = c->outoff = 0;
	if (c->close_after)
		return false;
	if (c->state == C_STREAM)
		refill_stream(c);
	return true;
}

/* The 'S' is out (plain); now the handshake, then the startup packet over TLS. */
static bool
tls_step(struct client *c)
{
	int r, e;

	if (c->outoff < c->outlen)
		return pg_write(c);
	r = SSL_accept(c->ssl);
	if (r == 1) {
		c->state = C_STARTUP;
		/* The startup packet may already sit in OpenSSL's buffer. */
		return SSL_pending(c->ssl) > 0 ? pg_read(c) : true;
	}
	e = SSL_get_error(c->ssl, r);
	return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
}

static short
pg_events(const struct client *c)
{
	short ev = 0;

	if (c->outoff < c->outlen)
		ev |= POLLOUT;
	switch (o.mode) {
	case M_ACCEPT_NEVER_READ:
		return POLLRDHUP;	/* see the client go, read nothing */
	default:
		break;
	}
	if (c->state == C_TLS_ACCEPT)
		return (short)(ev | POLLIN);	/* SSL_accept wants either */
	if (c->state == C_HOLD)
		return (short)(ev | POLLRDHUP);
	if (read_room(c) > 0 || c->state == C_DRAIN)
		ev |= POLLIN;
	return (short)(ev | POLLRDHUP);
}

static void
pg_accept(int lfd)
{
	struct client *c = NULL;
	size_t i;
	int fd;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) < 0)
		return;
	if (o.verbose)
		fprintf(stderr, "pgr-hostile: %.3f accepted a connection\n", now_s());
	for (i = 0; i < MAX_CLIENTS; i++)
		if (clients[i].fd < 0) {
			c = &clients[i];
			break;
		}
	if (c == NULL) {
		close(fd);
		return;
	}
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->state = C_SSLREQ;
	c->dns = o.mode == M_DNS;	/* a resolver's fallback to TCP */
	if (o.mode == M_STREAM_FOREVER) {
		c->state = C_STREAM;
		refill_stream(c);
	}
}

static void
pg_event(struct client *c, short rev)
{
	bool ok = true;

	if (c->state == C_TLS_ACCEPT) {
		if (!tls_step(c))
			client_close(c);
		return;
	}
	if (rev & POLLOUT)
		ok = pg_write(c);
	if (ok && (rev & POLLIN))
		ok = pg_read(c);
	if (ok && c->state == C_DRAIN && c->inlen == 0 && (rev & POLLIN) == 0 &&
	    (rev & (POLLRDHUP | POLLHUP | POLLERR)))
		ok = false;
	if (ok && (rev & (POLLHUP | POLLERR)))
		ok = false;
	if (ok && (rev & POLLRDHUP) && !(rev & POLLIN) &&
	    (o.mode == M_ACCEPT_NEVER_READ || c->state == C_HOLD))
		ok = false;
	/* Output queued by input: try it at once. */
	if (ok && c->outoff < c->outlen)
		ok = pg_write(c);
	if (ok && c->close_after && c->outoff >= c->outlen)
		ok = false;
	if (!ok)
		client_close(c);
}

/* ---- DNS ---- */

struct dnsq {
	uint16_t	id;
	uint16_t	flags;
	const unsigned char *question;	/* qname, qtype, qclass */
	size_t		qlen;
	uint16_t	qtype;
};

static bool
dns_parse_query(const unsigned char *p, size_t n, struct dnsq *q)
{
	size_t off = 12;

	if (n < 12 || (p[4] << 8 | p[5]) != 1)
		return false;
	q->id = (uint16_t)(p[0] << 8 | p[1]);
	q->flags = (uint16_t)(p[2] << 8 | p[3]);
	while (off < n && p[off] != 0) {
		if (p[off] & 0xc0)
			return false;
		off += (size_t)p[off] + 1;
	}
	if (off + 5 > n)
		return false;
	off++;
	q->qtype = (uint16_t)(p[off] << 8 | p[off + 1]);
	q->question = p + 12;
	q->qlen = off + 4 - 12;
	if (o.verbose) {
		char name[256];
		size_t i, k = 0;

		for (i = 12; p[i] != 0 && k + 65 < sizeof(name); i += (size_t)p[i] + 1)
			k += (size_t)snprintf(name + k, sizeof(name) - k, "%.*s.",
			    (int)p[i], (const char *)p + i + 1);
		name[k] = '\0';
		fprintf(stderr, "pgr-hostile: %.3f query id %u type %u %s\n",
		    now_s(), q->id, q->qtype, name);
	}
	return true;
}

struct dbuf {
	unsigned char	b[65535];
	size_t		len;
};

static void
db_put(struct dbuf *d, const void *p, size_t n)
{
	if (d->len + n > sizeof(d->b))
		n = sizeof(d->b) - d->len;
	memcpy(d->b + d->len, p, n);
	d->len += n;
}

static void
db_u16(struct dbuf *d, unsigned v)
{
	unsigned char b[2] = { (unsigned char)(v >> 8), (unsigned char)v };

	db_put(d, b, 2);
}

static void
db_u32(struct dbuf *d, uint32_t v)
{
	unsigned char b[4];

	put32(b, v);
	db_put(d, b, 4);
}

static void
db_header(struct dbuf *d, uint16_t id, uint16_t flags, unsigned qd, unsigned an)
{
	d->len = 0;
	db_u16(d, id);
	db_u16(d, flags);
	db_u16(d, qd);
	db_u16(d, an);
	db_u16(d, 0);
	db_u16(d, 0);
}

/* A name label by label: "c12" then a pointer to the question's name. */
static void
db_name(struct dbuf *d, unsigned n)
{
	char lab[16];
	int l = snprintf(lab, sizeof(lab), "c%u", n);

	db_put(d, (unsigned char[]){ (unsigned char)l }, 1);
	db_put(d, lab, (size_t)l);
	db_u16(d, 0xc000 | 12);	/* ... .<the name asked> */
}

#define T_A	1
#define T_CNAME	5
#define T_AAAA	28

/* An A record, class IN, whose owner name is a pointer to offset at. */
static void
db_a(struct dbuf *d, unsigned at, uint32_t ttl, uint32_t addr)
{
	db_u16(d, 0xc000 | at);
	db_u16(d, T_A);
	db_u16(d, 1);
	db_u32(d, ttl);
	db_u16(d, 4);
	db_u32(d, addr);
}

/* Build the reply to q in d; d->len 0 means no reply. */
static void
dns_answer(const struct dnsq *q, struct dbuf *d, bool tcp)
{
	/* QR, opcode 0, RD copied, RA. */
	uint16_t ok = (uint16_t)(0x8000 | (q->flags & 0x0100) | 0x0080);
	unsigned i, n;
	size_t off;

	switch (o.dns) {
	case D_TRUNCATED:
		db_header(d, q->id, (uint16_t)(ok | 0x0200), 1, 3);
		db_put(d, q->question, q->qlen);
		for (i = 0; i < 40; i++)
			db_put(d, (unsigned char[]){ rnd() }, 1);
		break;
	case D_WRONG_ID:
		db_header(d, (uint16_t)(q->id ^ 0x5a5a), ok, 1,
		    q->qtype == T_A ? 1 : 0);
		db_put(d, q->question, q->qlen);
		if (q->qtype == T_A)
			db_a(d, 12, 60, 0x7f000001);
		break;
	case D_CNAME_LOOP:
		/* name -> c1.name -> c2.name -> ... -> c99.name -> name */
		n = 100;
		db_header(d, q->id, ok, 1, n);
		db_put(d, q->question, q->qlen);
		for (i = 0; i < n; i++) {
			if (i == 0)
				db_u16(d, 0xc000 | 12);
			else
				db_name(d, i);
			db_u16(d, T_CNAME);
			db_u16(d, 1);
			db_u32(d, 60);
			if (i + 1 < n) {
				db_u16(d, (unsigned)snprintf(NULL, 0, "c%u", i + 1) + 3);
				db_name(d, i + 1);
			} else {
				db_u16(d, 2);
				db_u16(d, 0xc000 | 12);
			}
		}
		break;
	case D_HUGE_ANSWER:
	case D_MANY_ADDRESSES:
		n = o.dns == D_HUGE_ANSWER ? 65535 : 200;
		if (q->qtype != T_A)
			n = 0;	/* no AAAA: IPv4 loopback only */
		db_header(d, q->id, ok, 1, n);
		db_put(d, q->question, q->qlen);
		/* 127.1.x.y: loopback, and nothing listens there. */
		for (i = 0; i < n && d->len + 16 <= (tcp ? 65535 : 65000); i++)
			db_a(d, 12, 300, 0x7f010000u | ((i + 1) & 0xffff));
		break;
	case D_GARBAGE:
		db_header(d, q->id, ok, 1, 1 + rnd() % 8);
		db_put(d, q->question, q->qlen);
		n = 12 + rnd() % 300;
		for (i = 0; i < n; i++)
			db_put(d, (unsigned char[]){ rnd() }, 1);
		break;
	case D_PTR_LOOP:
		db_header(d, q->id, ok, 1, 1);
		db_put(d, q->question, q->qlen);
		off = d->len;
		db_a(d, (unsigned)off, 60, 0x7f000001);	/* its name points at itself */
		break;
	default:
		d->len = 0;
		break;
	}
}

static void
dns_udp(int fd)
{
	static struct dbuf d;
	unsigned char q[4096];
	struct sockaddr_storage from;
	socklen_t flen;
	struct dnsq dq;
	ssize_t n;
	int i;

	for (i = 0; i < 64; i++) {
		flen = sizeof(from);
		n = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &flen);
		if (n < 0)
			return;
		if (!dns_parse_query(q, (size_t)n, &dq))
			continue;
		dns_answer(&dq, &d, false);
		if (d.len > 0)
			sendto(fd, d.b, d.len, 0, (struct sockaddr *)&from, flen);
	}
}

/*
 * DNS over TCP: two bytes of length, then the message.  A truncated answer
 * sends the client here, where the length promises 65535 bytes and 100
 * come.
 */
static void
dns_tcp_input(struct client *c)
{
	static struct dbuf d;
	struct dnsq dq;
	size_t len;

	/* A resolver may send several queries in one segment: take each. */
	while (c->inlen >= 2) {
		len = (size_t)(c->in[0] << 8 | c->in[1]);
		if (c->inlen < 2 + len)
			return;
		if (!dns_parse_query(c->in + 2, len, &dq))
			;
		else if (o.dns == D_TRUNCATED) {
			unsigned char hdr[2] = { 0xff, 0xff };
			size_t i;

			queue(c, hdr, 2);
			for (i = 0; i < 100; i++)
				queue_byte(c, rnd());
		} else {
			unsigned char hdr[2];

			dns_answer(&dq, &d, true);
			hdr[0] = (unsigned char)(d.len >> 8);
			hdr[1] = (unsigned char)d.len;
			queue(c, hdr, 2);
			queue(c, d.b, d.len);
		}
		memmove(c->in, c->in + 2 + len, c->inlen - 2 - len);
		c->inlen -= 2 + len;
	}
}

static void
dns_tcp_event(struct client *c, short rev)
{
	ssize_t n;

	if (rev & POLLOUT) {
		while (c->outoff < c->outlen) {
			n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
			    MSG_NOSIGNAL);
			if (n <= 0)
				break;
			c->outoff += (size_t)n;
		}
	}
	if (rev & POLLIN) {
		if (c->inlen == sizeof(c->in))
			c->inlen = 0;	/* a query longer than a DNS message can be */
		n = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			client_close(c);
			return;
		}
		if (n > 0) {
			c->inlen += (size_t)n;
			dns_tcp_input(c);
		}
	}
	if (rev & (POLLHUP | POLLERR))
		client_close(c);
}

/* ---- the loop ---- */

int
main(int argc, char **argv)
{
	struct pollfd pfd[2 + MAX_CLIENTS];
	size_t map[2 + MAX_CLIENTS];
	int lfd = -1, ufd = -1, port = 0, tries, i;
	double end;

	parse_args(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < MAX_CLIENTS; i++)
		clients[i].fd = -1;
	if (o.tls)
		tls_setup();
	if (o.mode == M_DNS) {
		/* The same port number for UDP and TCP, as a resolver has it. */
		for (tries = 0; tries < 50 && lfd < 0; tries++) {
			if ((ufd = bound_socket(SOCK_DGRAM, o.port)) < 0)
				die("bind udp");
			port = port_of(ufd);
			if ((lfd = bound_socket(SOCK_STREAM, port)) < 0) {
				close(ufd);
				ufd = -1;
				if (o.port != 0)
					die("bind tcp");
			}
		}
		if (lfd < 0)
			die("bind");
	} else {
		if ((lfd = bound_socket(SOCK_STREAM, o.port)) < 0)
			die("bind");
		port = port_of(lfd);
	}
	write_file(o.pidfile, (long)getpid());
	write_file(o.portfile, port);

	end = now_s() + o.lifetime;
	for (;;) {
		double left = end - now_s();
		size_t n = 0, k;
		int r;

		if (left <= 0)
			break;
		pfd[n].fd = lfd;
		pfd[n].events = POLLIN;
		map[n++] = SIZE_MAX;
		if (ufd >= 0) {
			pfd[n].fd = ufd;
			pfd[n].events = POLLIN;
			map[n++] = SIZE_MAX;
		}
		for (k = 0; k < MAX_CLIENTS; k++) {
			struct client *c = &clients[k];

			if (c->fd < 0)
				continue;
			pfd[n].fd = c->fd;
			pfd[n].events = c->dns ?
			    (short)(POLLIN | (c->outoff < c->outlen ? POLLOUT : 0)) :
			    pg_events(c);
			map[n++] = k;
		}
		r = poll(pfd, (nfds_t)n, left > 1 ? 1000 : (int)(left * 1000) + 1);
		if (r < 0 && errno != EINTR)
			die("poll");
		if (r <= 0)
			continue;
		for (k = 0; k < n; k++) {
			if (pfd[k].revents == 0)
				continue;
			if (pfd[k].fd == lfd) {
				pg_accept(lfd);
				continue;
			}
			if (pfd[k].fd == ufd) {
				dns_udp(ufd);
				continue;
			}
			if (clients[map[k]].fd != pfd[k].fd)
				continue;
			if (clients[map[k]].dns)
				dns_tcp_event(&clients[map[k]], pfd[k].revents);
			else
				pg_event(&clients[map[k]], pfd[k].revents);
		}
	}
	for (i = 0; i < MAX_CLIENTS; i++)
		if (clients[i].fd >= 0)
			client_close(&clients[i]);
	SSL_CTX_free(ssl_ctx);
	if (o.pidfile != NULL)
		unlink(o.pidfile);
	return 0;
}
