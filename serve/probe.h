/*
 * One scrape's probe: the configured target (and its PgBouncer sibling
 * unless the module says no_pgbouncer), the module's options, the engine,
 * the diagnosis, the thresholds, then the Prometheus writer into memory.
 */
#ifndef PGR_SERVE_PROBE_H
#define PGR_SERVE_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "serve/config.h"

struct pgr_serve_probe_out {
	char	*body;		/* the exposition text; caller frees */
	size_t	 len;
	bool	 success;	/* probe_success */
	double	 seconds;	/* the engine's run, as probe_duration_seconds */
};

/*
 * Probe t with m's options within timeout_s, plus m->idle_s when the
 * module keeps a session idle (--idle).  0, or -1 with one line in
 * err for a probe that could not run (its password source is missing):
 * never the password, never the URL.
 */
int	pgr_serve_probe(const struct pgr_serve_target *t,
	    const struct pgr_serve_module *m, double timeout_s,
	    struct pgr_serve_probe_out *out, char *err, size_t errlen);

#endif
