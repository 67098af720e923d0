/*
 * The Prometheus text exposition format (0.0.4), for node_exporter's
 * textfile collector: write to a temporary file in the collector's
 * directory and rename() it into place, so a scrape never reads half a run.
 *
 * Families: pgreach_up, pgreach_exit_status, pgreach_last_run_timestamp_seconds,
 * pgreach_run_duration_seconds, one per exported row of the field table
 * (report/fields.h), pgreach_phase_success and pgreach_finding.  Series
 * carry target (the redacted URL), role and port, and address for
 * per-address values.  No sample has a timestamp: the textfile collector
 * refuses them.
 */
#ifndef PGR_PROMETHEUS_H
#define PGR_PROMETHEUS_H

#include <stdio.h>

#include "probes/result.h"

int	pgr_write_prometheus(FILE *f, const struct pgr_report *r);

#endif
