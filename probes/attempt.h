/*
 * One attempt: one address x one port, one libpq connection that carries
 * the tcp, tls, login and query phases in turn.  A small state machine
 * stepped by the run's poll() loop; it never blocks.
 */
#ifndef PGR_ATTEMPT_H
#define PGR_ATTEMPT_H

#include <poll.h>
#include <stdbool.h>

#include <libpq-fe.h>
#include <openssl/x509.h>

#include "probes/result.h"
#include "probes/tlsinfo.h"

struct pgr_attempt_cfg {
	const char	*sslmode;	/* run default; the target's wins */
	const char	*sslrootcert;
	const char	*query;
	int		 count;
	struct pgr_tlsv	*tlsv;
	double		 deadline;	/* pgr_now_ms() the run ends at; 0: none */
	/*
	 * --idle: the wait (0: none), and when the query after it must be
	 * answered by: the run's deadline plus the wait, so no run passes
	 * --timeout plus --idle.
	 */
	double		 idle_ms;
	double		 idle_deadline;
};

enum pgr_attempt_state {
	PGR_AS_QUEUED,
	PGR_AS_CONNECTING,	/* libpq: tcp, tls, login */
	PGR_AS_CLASSIFY,	/* bare connect to learn why tcp failed */
	PGR_AS_QUERY,
	PGR_AS_IDLE,		/* --idle: the session waits, nothing sent */
	PGR_AS_IDLE_QUERY,	/* ... then is queried once more */
	PGR_AS_DONE
};

struct pgr_probe {
	struct pgr_attempt	*res;
	const struct pgr_target	*target;
	const struct pgr_addr	*addr;
	const struct pgr_attempt_cfg *cfg;
	enum pgr_attempt_state	 state;
	double			 t0;		/* monotonic start */
	PGconn			*conn;
	PostgresPollingStatusType poll;
	int			 fd;		/* socket to watch, -1 none */
	short			 events;
	bool			 tcp_done, tls_seen, tls_done;
	bool			 sending;	/* query: flushing */
	int			 queries;
	double			 qstart;
	double			*qtimes;
	STACK_OF(X509)		*chain;		/* peer chain copied mid-handshake */
	char			 libpq_error[PGR_DETAIL_LEN];
	int			 read_left;	/* TLS bytes this step may still read */
	bool			 auth_seen;	/* the first auth request was looked at */
	double			 deadline;	/* this probe's: cfg's, or the idle one */
	/*
	 * --idle: the flag its target's attempts share (the first to claim
	 * it is the session kept idle; atomic, steps run on several
	 * threads), and when the loop must step it without an event (0: never).
	 */
	int			*idle_claim;
	double			 wake;
	bool			 metered;	/* the TLS read meter is in place */
	char			 fatal_sqlstate[6];	/* of a FATAL the server sent unasked */
	bool			 qerror;	/* the query after the wait failed */
	char			 idle_error[PGR_DETAIL_LEN];
};

void	pgr_probe_init(struct pgr_probe *p, struct pgr_attempt *res,
	    const struct pgr_target *t, const struct pgr_addr *a,
	    const struct pgr_attempt_cfg *cfg);
void	pgr_probe_start(struct pgr_probe *p);
void	pgr_probe_step(struct pgr_probe *p, short revents);
/* The probe holds the session kept idle (--idle): the run's deadline is not its own. */
bool	pgr_probe_idling(const struct pgr_probe *p);
/* The deadline came: the phase under way times out, the rest are skipped. */
void	pgr_probe_expire(struct pgr_probe *p);

/* Statistics of n query times (ms), sorted in place. */
void	pgr_query_stats(double *v, int n, double *min, double *median,
	    double *p95, double *max);

#endif
