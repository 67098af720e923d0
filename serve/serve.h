/*
 * `pgreach serve`: a Prometheus multi-target exporter.  Prometheus names a
 * target of the configuration in /probe?target=NAME; pgreach runs one full
 * probe of it and answers with the same series `--format prometheus`
 * writes.  Prometheus does the scheduling, sharding and alerting.
 */
#ifndef PGR_SERVE_H
#define PGR_SERVE_H

/* argv[0] is "serve".  Returns the process's exit status (0, or 3). */
int	pgr_serve_main(int argc, char **argv, const char *progname);

#endif
