/*
 * The run: every target's dns lookup and every address x port attempt,
 * driven at once by one poll() loop under one deadline.
 */
#ifndef PGR_ENGINE_H
#define PGR_ENGINE_H

#include <stddef.h>

#include "probes/addr.h"
#include "probes/result.h"

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
};

/*
 * Probe rep->targets[0 .. rep->ntargets) and fill rep->results.  Returns 0,
 * or -1 with err for a failure to start at all (bad --sslrootcert, bad
 * --dns-server): input errors, exit 3.
 */
int	pgr_engine_run(struct pgr_report *rep, const struct pgr_run_opts *o,
	    char *err, size_t errlen);

#endif
