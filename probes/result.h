/*
 * Probe results: plain data, filled by the probes, read by the diagnosis
 * and the writers.  Nothing here holds a library handle; every string is a
 * copy owned by the result and released by pgr_report_free().
 */
#ifndef PGR_RESULT_H
#define PGR_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define PGR_MAX_ADDRS	16	/* addresses kept per name; the rest are counted */
#define PGR_ADDRSTRLEN	46	/* INET6_ADDRSTRLEN */
#define PGR_DETAIL_LEN	256

enum pgr_phase {
	PGR_PH_DNS,
	PGR_PH_TCP,
	PGR_PH_TLS,
	PGR_PH_LOGIN,
	PGR_PH_QUERY,
	PGR_PH__COUNT
};

/*
 * One value per phase/outcome pair.  The JSON status of a phase is
 * pgr_err_name(); the phase it belongs to is pgr_err_phase().  PGR_PENDING
 * never appears in a finished result: the engine turns it into PGR_SKIPPED
 * (an earlier phase failed) or the phase's timeout (the deadline came).
 */
enum pgr_err {
	PGR_PENDING = 0,
	PGR_OK,
	PGR_SKIPPED,

	PGR_DNS_NXDOMAIN,
	PGR_DNS_SERVFAIL,
	PGR_DNS_TIMEOUT,
	PGR_DNS_REFUSED,
	PGR_DNS_NO_ADDRESS,
	PGR_DNS_ERROR,

	PGR_TCP_TIMEOUT,
	PGR_TCP_REFUSED,
	PGR_TCP_UNREACHABLE,
	PGR_TCP_ERROR,

	PGR_TLS_NOT_OFFERED,
	PGR_TLS_TIMEOUT,
	PGR_TLS_HANDSHAKE,
	PGR_TLS_CLOSED,
	PGR_TLS_DISABLED,	/* sslmode=disable: TLS deliberately not asked for */

	PGR_LOGIN_AUTH,
	PGR_LOGIN_DATABASE,
	PGR_LOGIN_CAPACITY,
	PGR_LOGIN_TIMEOUT,
	PGR_LOGIN_CLOSED,
	PGR_LOGIN_ERROR,
	PGR_LOGIN_NOT_ACCEPTING,	/* 55000: the database takes no sessions now */
	PGR_LOGIN_CANNOT_CONNECT_NOW,	/* 57P03: starting up, shutting down, recovering */
	PGR_LOGIN_PGBOUNCER_FULL,	/* PgBouncer's own max_client_conn reached */

	PGR_QUERY_TIMEOUT,
	PGR_QUERY_ERROR,

	PGR_ERR__COUNT
};

const char *pgr_err_name(enum pgr_err e);	/* "ok", "timeout", ... */
enum pgr_phase pgr_err_phase(enum pgr_err e);	/* PGR_PH__COUNT for ok/skipped/pending */
bool pgr_err_failed(enum pgr_err e);		/* a real failure (not ok, skipped, pending, disabled) */
const char *pgr_phase_name(enum pgr_phase p);	/* "dns", "tcp", ... */
/* The code named name in phase ph ("ok" and "skipped" in any): -1 if none. */
int	pgr_err_from_name(enum pgr_phase ph, const char *name);

enum pgr_role {
	PGR_ROLE_POSTGRES,
	PGR_ROLE_PGBOUNCER
};
const char *pgr_role_name(enum pgr_role r);

enum pgr_scope {
	PGR_SCOPE_PRIVATE,
	PGR_SCOPE_PUBLIC,
	PGR_SCOPE_LOOPBACK,
	PGR_SCOPE_LINK_LOCAL,
	PGR_SCOPE_OTHER
};
const char *pgr_scope_name(enum pgr_scope s);

/* The parts of a PrivateLink endpoint DNS name; empty strings where absent. */
struct pgr_endpoint_name {
	bool	is_endpoint;		/* the name has the vpce shape */
	char	id[64];			/* vpce-0123abcd... */
	char	service[64];		/* vpce-svc-0123abcd... */
	char	region[32];		/* us-east-1 */
	char	zone[32];		/* us-east-1a for a zonal name, else "" */
};

struct pgr_addr {
	char	text[PGR_ADDRSTRLEN];
	int	family;			/* 4 or 6 */
	int	ttl;			/* seconds, -1 if unknown */
	enum pgr_scope scope;
	int	in_vpc;			/* 1 yes, 0 no, -1 no --vpc-cidr of its family */
	struct sockaddr_storage sa;	/* port not set */
	socklen_t salen;
};

struct pgr_dns_result {
	enum pgr_err status;
	double	ms;			/* end of lookup, from the target's start */
	int	ares_status;		/* ARES_* detail, 0 when ok */
	char	detail[PGR_DETAIL_LEN];
	char	servers[PGR_DETAIL_LEN];	/* resolvers asked, "a:53,b:53" or "literal" */
	char	*cnames;		/* "a -> b -> c", NULL if none */
	int	min_ttl;		/* -1 unknown */
	size_t	naddrs;
	size_t	naddrs_total;		/* answers before PGR_MAX_ADDRS cut */
	struct pgr_addr addrs[PGR_MAX_ADDRS];
};

struct pgr_cert {
	bool	present;
	char	subject[PGR_DETAIL_LEN];
	char	issuer[PGR_DETAIL_LEN];
	char	sans[512];		/* "DNS:a, DNS:b, IP:1.2.3.4" */
	time_t	not_before;
	time_t	not_after;
	long	days_left;		/* floor((not_after - now) / 86400), may be negative */
	bool	verified;		/* chain verified against sslrootcert or system store */
	char	verify_error[128];	/* X509 verify string when !verified */
	bool	hostname_match;
	size_t	chain_len;
	char	*chain_pem;		/* peer chain, PEM, for the bundle; NULL if none */
};

struct pgr_tcp_result {
	enum pgr_err status;
	double	ms;			/* end, from the attempt's start */
	int	err_no;			/* errno of a failed connect, 0 otherwise */
	char	detail[PGR_DETAIL_LEN];
	int	path_mtu;		/* the kernel's path MTU for it, 0 unknown */
	int	mss;			/* the MSS we advertised: the server's largest segment, 0 unknown */
};

struct pgr_tls_result {
	enum pgr_err status;
	double	ms;
	char	version[16];		/* "TLSv1.3" */
	char	cipher[64];
	int	key_bits;
	char	detail[PGR_DETAIL_LEN];
	struct pgr_cert cert;
	/*
	 * How far the phase got, so a handshake that stalls after the server's
	 * 'S' is told apart from a server that never answered.
	 */
	char	ssl_answer;		/* 'S', 'N', 0 when no answer was seen */
	bool	client_hello_sent;
	long long bytes_received;	/* from the server after its 'S' (valid with 'S') */
	int	records_received;	/* TLS records read from the server */
	char	handshake_state[64];	/* OpenSSL's last state, "" if none */
};

struct pgr_login_result {
	enum pgr_err status;
	double	ms;
	char	sqlstate[6];		/* "" if none */
	char	message[PGR_DETAIL_LEN];	/* server's or libpq's message, secret-free */
	char	server_version[32];	/* "15.18", "" if unknown */
	/*
	 * What the server's first authentication request asked for: "trust"
	 * (AuthenticationOk at once), "password" (cleartext), "md5",
	 * "scram-sha-256", "scram-sha-256-plus" (channel binding offered),
	 * "gss", "sspi", "other"; "" if the login never got that far.
	 */
	char	auth_method[24];
};

struct pgr_query_result {
	enum pgr_err status;
	double	ms;			/* end of the last query, from the attempt's start */
	int	count;			/* asked for */
	int	done;			/* completed */
	double	min_ms, median_ms, p95_ms, max_ms;	/* valid when done > 0 */
	char	sqlstate[6];
	char	message[PGR_DETAIL_LEN];
};

/*
 * The TCP keepalive the kernel applies to the attempt's socket, read back
 * with getsockopt() once it connected: libpq sets SO_KEEPALIVE (keepalives=1
 * is its default) and TCP_KEEPIDLE/KEEPINTVL/KEEPCNT and TCP_USER_TIMEOUT
 * only when the URL gives them, so the rest are the client namespace's
 * net.ipv4.tcp_keepalive_* defaults.
 */
struct pgr_keepalive_result {
	bool	known;			/* read from a connected socket */
	bool	enabled;		/* SO_KEEPALIVE */
	int	idle_s;			/* TCP_KEEPIDLE */
	int	interval_s;		/* TCP_KEEPINTVL */
	int	count;			/* TCP_KEEPCNT */
	int	user_timeout_ms;	/* TCP_USER_TIMEOUT, 0: the kernel's retries */
};

/*
 * --idle: one session per port, once its queries are done, is left idle
 * for the asked time and then queried again.  A middlebox that forgets
 * idle flows (PrivateLink, NLB and NAT gateways after 350 s) shows as a
 * query that gets no answer (timeout), a reset, or an end of file.
 */
enum pgr_idle_status {
	PGR_IDLE_NONE = 0,	/* this attempt was not the one kept idle */
	PGR_IDLE_OK,		/* the query after the wait was answered */
	PGR_IDLE_TIMEOUT,	/* no answer before the deadline: a silent cut */
	PGR_IDLE_RESET,		/* ECONNRESET: the flow was cut with a reset */
	PGR_IDLE_EOF,		/* the connection was closed (FIN) */
	PGR_IDLE_ERROR,		/* the query failed on a live session, or another error */
	PGR_IDLE__COUNT
};
const char *pgr_idle_status_name(enum pgr_idle_status s);	/* "ok", "timeout", ... */
/* The status called name (PGR_IDLE_NONE for none): -1 if unknown. */
int	pgr_idle_status_from_name(const char *name);

struct pgr_idle_result {
	enum pgr_idle_status status;
	double	seconds;		/* the wait asked for */
	double	start_ms;		/* the wait began (queries done), from the attempt's start */
	double	ms;			/* the query after it ended, or the cut was seen */
	int	err_no;			/* of a reset or a kernel timeout, 0 otherwise */
	char	sqlstate[6];
	char	message[PGR_DETAIL_LEN];
};

/* One address x port: tcp -> tls -> login -> query, on one libpq connection. */
struct pgr_attempt {
	char	address[PGR_ADDRSTRLEN];
	char	local[PGR_ADDRSTRLEN];	/* our source address, "" until connected */
	int	family;
	double	start_ms;		/* from the run's start */
	struct pgr_tcp_result	tcp;
	struct pgr_tls_result	tls;
	struct pgr_login_result	login;
	struct pgr_query_result	query;
	struct pgr_keepalive_result keepalive;
	struct pgr_idle_result	idle;
	/*
	 * The server's NoticeResponses (login and queries), the first
	 * PGR_MAX_NOTICES of them, each cleaned into one line ("NOTICE 01000:
	 * text"), joined by '\n'; NULL if none.  nnotices counts them all.
	 */
	char	*notices;
	int	 nnotices;
};

#define PGR_MAX_NOTICES	8

/*
 * A target as given (URL, key=value string or environment variable), after
 * parsing.  password is the only secret; nothing prints it.
 */
struct pgr_target {
	char	*url;			/* redacted form, safe to print */
	char	*source;		/* "argument", "DATABASE_URL", "--targets:3", ... */
	enum pgr_role role;
	char	*host;			/* name or literal as written */
	int	port;
	char	*dbname;
	char	*user;
	char	*password;		/* secret; may be NULL (libpq env/.pgpass) */
	char	*sslmode;		/* from the target, NULL to use the run's */
	char	*sslrootcert;		/* from the target, NULL to use the run's */
	char	**extra_keys;		/* other libpq parameters, passed through */
	char	**extra_vals;
	size_t	nextra;
	int	sibling_of;		/* index of the 5432 target this 5433 one came from, -1 */
	struct pgr_endpoint_name endpoint;
};

struct pgr_target_result {
	double	start_ms;		/* from the run's start */
	struct pgr_dns_result dns;
	size_t	nattempts;
	struct pgr_attempt *attempts;
};

struct pgr_report {
	struct timespec started_at;	/* CLOCK_REALTIME at start */
	double	duration_ms;
	size_t	ntargets;
	struct pgr_target *targets;	/* owned */
	struct pgr_target_result *results;	/* parallel to targets */
	/*
	 * The client namespace's net.ipv4.tcp_keepalive_time, seconds (Linux's
	 * default is 7200); 0 unknown.  With the URL's keepalives and
	 * keepalives_idle it gives the keepalive idle of every connection.
	 */
	int	tcp_keepalive_time;
	char	**argv;			/* command line, redacted */
	int	argc;
};

void pgr_target_free(struct pgr_target *t);
void pgr_report_free(struct pgr_report *r);

/*
 * Format one error line into err (when err is not NULL) and return -1: the
 * library's way to fail with a message, `return pgr_fail(err, len, ...)`.
 */
int	pgr_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Drop the results of a run, keep the targets for the next. */
void pgr_report_reset(struct pgr_report *r);

#endif
