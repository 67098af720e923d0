/*
 * The run: every target's dns lookup and every address x port attempt,
 * driven at once by one poll() loop under one deadline.
 */
#ifndef PGR_ENGINE_H
#define PGR_ENGINE_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#include "probes/addr.h"
#include "probes/result.h"

/*
 * Another user of the loop (--aws: input/aws/client.c), polled beside the
 * probes under the same deadline.  The run is over when it is not pending.
 */
struct pgr_run_source {
	void	*arg;
	void	(*start)(void *arg, double t0_ms, double deadline_ms);
	size_t	(*pollfds)(void *arg, struct pollfd *pfd, size_t max);
	int	(*wait_ms)(void *arg, int max_ms);	/* <= max_ms */
	void	(*process)(void *arg, const struct pollfd *pfd, size_t n);
	bool	(*pending)(void *arg);
	void	(*expire)(void *arg);			/* the deadline passed */
	/* A target's DNS answer (or failure) is in; d lives as long as the report.  NULL: not told. */
	void	(*resolved)(void *arg, size_t target, const struct pgr_dns_result *d);
};

struct pgr_run_opts {
	double		 timeout_s;	/* the whole run */
	const char	*const *dns_servers;
	size_t		 ndns_servers;
	const char	*sslmode;
	const char	*sslrootcert;
	const char	*query;
	int		 count;
	int		 parallel;	/* attempts at once; 0: as the fd limit allows */
	int		 workers;	/* threads to step probes on; <= 1: none */
	size_t		 workers_after;	/* ... started once this many connections
					   are queued; 0: at once */
	const struct pgr_cidr *vpc;
	size_t		 nvpc;
	/* Called about every 100 ms while the run goes on; may be NULL. */
	void		(*progress)(void *arg, size_t done, size_t total,
			    size_t dns_pending, double elapsed_ms);
	void		*progress_arg;
	const struct pgr_run_source *source;	/* NULL: none */
	/*
	 * --idle: once its queries are done, the first session on each
	 * target (port) waits this long and is queried again, under a
	 * deadline of timeout_s + idle_s; every other phase keeps timeout_s.
	 * 0: no wait.
	 */
	double		 idle_s;
};

/*
 * Probe rep->targets[0 .. rep->ntargets) and fill rep->results.  Returns 0,
 * or -1 with err for a failure to start at all (bad --sslrootcert, bad
 * --dns-server): input errors, exit 3.
 */
int	pgr_engine_run(struct pgr_report *rep, const struct pgr_run_opts *o,
	    char *err, size_t errlen);

#endif
