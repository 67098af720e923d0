/*
 * Families are named pgreach_serve_* so that they never meet the probe's
 * own series; a histogram's buckets are cumulative and end with +Inf, as
 * the text format requires.
 */
#include <string.h>
#include <time.h>

#include "report/versions.h"
#include "serve/metrics.h"

/* Seconds; the probe's default budget is 10 s, its longest 1 h. */
static const double bounds[PGR_SERVE_NBUCKETS] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30
};

static const char *const result_names[PGR_SR__COUNT] = {
	[PGR_SR_SUCCESS] = "success",
	[PGR_SR_FAILURE] = "failure",
	[PGR_SR_ERROR] = "error",
	[PGR_SR_BAD_REQUEST] = "bad_request",
	[PGR_SR_OVERLOAD] = "overload",
};

static double
unix_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
pgr_serve_metrics_init(struct pgr_serve_metrics *m, int max_concurrent)
{
	memset(m, 0, sizeof(*m));
	pthread_mutex_init(&m->mu, NULL);
	m->max_concurrent = max_concurrent;
	m->start_time = unix_now();
}

void
pgr_serve_metrics_count(struct pgr_serve_metrics *m, enum pgr_serve_result r)
{
	pthread_mutex_lock(&m->mu);
	m->probes[r]++;
	pthread_mutex_unlock(&m->mu);
}

void
pgr_serve_metrics_probe(struct pgr_serve_metrics *m, bool success, double s)
{
	size_t i;

	pthread_mutex_lock(&m->mu);
	m->probes[success ? PGR_SR_SUCCESS : PGR_SR_FAILURE]++;
	for (i = 0; i < PGR_SERVE_NBUCKETS; i++)
		if (s <= bounds[i]) {
			m->buckets[i]++;
			break;
		}
	m->count++;
	m->sum += s;
	pthread_mutex_unlock(&m->mu);
}

void
pgr_serve_metrics_reload(struct pgr_serve_metrics *m, bool ok)
{
	pthread_mutex_lock(&m->mu);
	m->reload_ok = ok;
	if (ok)
		m->reload_time = unix_now();
	else
		m->reloads_failed++;
	pthread_mutex_unlock(&m->mu);
}

static void
header(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

int
pgr_serve_metrics_write(FILE *f, struct pgr_serve_metrics *m)
{
	struct pgr_serve_metrics c;
	struct pgr_versions v;
	uint64_t cum = 0;
	size_t i;

	pthread_mutex_lock(&m->mu);
	memcpy(&c, m, sizeof(c));
	pthread_mutex_unlock(&m->mu);
	pgr_versions_get(&v);

	header(f, "pgreach_serve_probes_total", "counter",
	    "Scrapes of /probe by result: success, failure (probe_success 0), "
	    "error (could not run), bad_request (400), overload (503).");
	for (i = 0; i < PGR_SR__COUNT; i++)
		fprintf(f, "pgreach_serve_probes_total{result=\"%s\"} %llu\n",
		    result_names[i], (unsigned long long)c.probes[i]);
	header(f, "pgreach_serve_probe_duration_seconds", "histogram",
	    "How long the probes that ran took, queue wait excluded.");
	for (i = 0; i < PGR_SERVE_NBUCKETS; i++) {
		cum += c.buckets[i];
		fprintf(f, "pgreach_serve_probe_duration_seconds_bucket{le=\"%g\"} %llu\n",
		    bounds[i], (unsigned long long)cum);
	}
	fprintf(f, "pgreach_serve_probe_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
	    (unsigned long long)c.count);
	fprintf(f, "pgreach_serve_probe_duration_seconds_sum %.6f\n", c.sum);
	fprintf(f, "pgreach_serve_probe_duration_seconds_count %llu\n",
	    (unsigned long long)c.count);
	header(f, "pgreach_serve_probes_in_flight", "gauge", "Probes running now.");
	fprintf(f, "pgreach_serve_probes_in_flight %d\n", c.in_flight);
	header(f, "pgreach_serve_probes_queued", "gauge",
	    "Scrapes waiting for a probe slot.");
	fprintf(f, "pgreach_serve_probes_queued %d\n", c.queued);
	header(f, "pgreach_serve_max_concurrent_probes", "gauge",
	    "Probes allowed at once (--max-concurrent).");
	fprintf(f, "pgreach_serve_max_concurrent_probes %d\n", c.max_concurrent);
	header(f, "pgreach_serve_config_last_reload_successful", "gauge",
	    "1 when the last load of the configuration file succeeded.");
	fprintf(f, "pgreach_serve_config_last_reload_successful %d\n", c.reload_ok);
	header(f, "pgreach_serve_config_last_reload_success_timestamp_seconds", "gauge",
	    "When the configuration in use was loaded, as Unix time.");
	fprintf(f, "pgreach_serve_config_last_reload_success_timestamp_seconds %.3f\n",
	    c.reload_time);
	header(f, "pgreach_serve_config_reloads_failed_total", "counter",
	    "Reloads that kept the old configuration because the file was bad.");
	fprintf(f, "pgreach_serve_config_reloads_failed_total %llu\n",
	    (unsigned long long)c.reloads_failed);
	header(f, "pgreach_serve_start_time_seconds", "gauge",
	    "When the exporter started, as Unix time.");
	fprintf(f, "pgreach_serve_start_time_seconds %.3f\n", c.start_time);
	header(f, "pgreach_serve_build_info", "gauge",
	    "Always 1; the labels give the versions of pgreach and its libraries.");
	fprintf(f, "pgreach_serve_build_info{version=\"%s\",libpq=\"%s\",openssl=\"%s\","
	    "cares=\"%s\"} 1\n", v.pgreach, v.libpq, v.openssl, v.cares);
	return ferror(f) ? -1 : 0;
}
