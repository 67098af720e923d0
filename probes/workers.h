/*
 * Hands for the poll loop.  The loop stays the only one that waits on
 * sockets; a worker only runs a step the loop found ready, so the CPU a
 * step needs (libpq's SCRAM key derivation is 4096 HMAC-SHA-256 rounds,
 * about 3 ms here) is spent on every core instead of one after another.
 */
#ifndef PGR_WORKERS_H
#define PGR_WORKERS_H

#include <stddef.h>

/* One piece of work, owned by the caller; linked in while queued. */
struct pgr_job {
	struct pgr_job	*next;
	void		*arg;
	short		 revents;
};

struct pgr_workers;

/* How many workers a run gets by default: the online cores, at most 8, */
int	pgr_workers_default(void);
/* ... once it has this many connections. */
#define PGR_WORKERS_AFTER	8
/*
 * Start n threads that call fn(job->arg, job->revents) for each job
 * submitted.  0, or -1 with err (no thread could start).
 */
int	pgr_workers_new(struct pgr_workers **out, int n,
	    void (*fn)(void *arg, short revents), char *err, size_t errlen);
/* Readable while finished jobs wait to be reaped. */
int	pgr_workers_fd(const struct pgr_workers *w);
void	pgr_workers_submit(struct pgr_workers *w, struct pgr_job *job);
/* Take every finished job: a list linked by next, oldest first. */
struct pgr_job *pgr_workers_reap(struct pgr_workers *w);
/* Jobs submitted and not yet reaped. */
size_t	pgr_workers_busy(const struct pgr_workers *w);
/* Block until a job finishes (there must be one in flight). */
void	pgr_workers_wait(struct pgr_workers *w);
/* Finish the jobs in flight, stop the threads, free. */
void	pgr_workers_free(struct pgr_workers *w);

#endif
