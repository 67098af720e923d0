/*
 * The exporter's own metrics (/metrics): probes by result, a histogram of
 * probe durations, probes in flight and queued, the configuration's reload
 * status and build info.  Counters only go up; one mutex guards them all.
 */
#ifndef PGR_SERVE_METRICS_H
#define PGR_SERVE_METRICS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum pgr_serve_result {
	PGR_SR_SUCCESS,		/* probe_success 1 */
	PGR_SR_FAILURE,		/* probe_success 0 */
	PGR_SR_ERROR,		/* the probe could not run (password source, ...) */
	PGR_SR_BAD_REQUEST,	/* unknown target or module: 400 */
	PGR_SR_OVERLOAD,	/* no slot before the scrape's deadline: 503 */
	PGR_SR__COUNT
};

#define PGR_SERVE_NBUCKETS 12

struct pgr_serve_metrics {
	pthread_mutex_t	 mu;
	uint64_t	 probes[PGR_SR__COUNT];
	uint64_t	 buckets[PGR_SERVE_NBUCKETS];	/* cumulative at write time */
	uint64_t	 count;
	double		 sum;
	int		 in_flight, queued, max_concurrent;
	bool		 reload_ok;
	double		 reload_time;		/* Unix time of the last good load */
	uint64_t	 reloads_failed;
	double		 start_time;
};

void	pgr_serve_metrics_init(struct pgr_serve_metrics *m, int max_concurrent);
void	pgr_serve_metrics_count(struct pgr_serve_metrics *m,
	    enum pgr_serve_result r);
/* A probe that ran: its result and how long it took, seconds. */
void	pgr_serve_metrics_probe(struct pgr_serve_metrics *m, bool success,
	    double seconds);
void	pgr_serve_metrics_reload(struct pgr_serve_metrics *m, bool ok);
int	pgr_serve_metrics_write(FILE *f, struct pgr_serve_metrics *m);

#endif
