/*
 * The command line: options into a plain struct.  Nothing here exits;
 * main() maps the result to an exit status.
 */
#ifndef PGR_CLI_H
#define PGR_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "probes/addr.h"
#include "report/writer.h"

#define PGR_MAX_LIST 32

struct pgr_cli {
	const struct pgr_writer *format;	/* from report/writer.c's table */
	double		 timeout_s;
	const char	*dns_servers[PGR_MAX_LIST];
	size_t		 ndns_servers;
	const char	*region;
	struct pgr_cidr	 vpc[PGR_MAX_LIST];
	size_t		 nvpc;
	const char	*sslmode;
	const char	*sslrootcert;
	const char	*query;
	int		 count;
	const char	*warning, *critical;		/* ranges, parsed by report */
	const char	*query_warning, *query_critical;
	long		 cert_warning_days, cert_critical_days;
	const char	*evidence[PGR_MAX_LIST];
	size_t		 nevidence;
	const char	*bundle;
	bool		 force;
	bool		 no_pgbouncer;
	bool		 no_color;
	bool		 aws;				/* --aws or PGREACH_AWS=1 */
	int		 verbose;
	bool		 quiet;		/* -q */
	enum pgr_perfdata perfdata;	/* --perfdata */
	int		 parallel;
	int		 threads;			/* --threads; 0: one per core */
	const char	*targets_file;			/* --targets FILE */
	double		 wait_s;			/* --wait: keep probing until OK, 0 no */
	double		 idle_s;			/* --idle: keep a session idle, 0 no */
	bool		 show_help, show_version;
	char		**targets;			/* argv tail */
	int		 ntargets;
};

enum pgr_cli_result {
	PGR_CLI_RUN,
	PGR_CLI_ERROR	/* err holds one line for stderr; exit 3 */
};

/* progname: argv[0]'s base name; "check_pgreach" defaults to nagios. */
enum pgr_cli_result pgr_cli_parse(struct pgr_cli *c, int argc, char **argv,
	    const char *progname, char *err, size_t errlen);
void	pgr_cli_usage(FILE *f, const char *progname);

#endif
