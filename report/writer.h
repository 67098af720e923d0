/*
 * The writers: each formats one analysis and derives nothing again.  A new
 * format is one file with its pgr_write_NAME() and one row in pgr_writers[]
 * (report/writer.c); --format, --help and the bundle read the table.
 */
#ifndef PGR_WRITER_H
#define PGR_WRITER_H

#include <stdbool.h>
#include <stdio.h>

#include "report/analysis.h"

enum pgr_perfdata {
	PGR_PERF_PORT,		/* Nagios: one value per port, worst address */
	PGR_PERF_ADDRESS	/* one per address, as earlier releases did */
};

/* What the command line says about presentation; zero is a fine default. */
struct pgr_write_opts {
	bool		 color;		/* ANSI colour (text) */
	bool		 utf8;		/* check marks (text) */
	int		 verbose;	/* -v count; -1 for -q */
	int		 width;		/* terminal columns, 0: no wrapping */
	enum pgr_perfdata perfdata;
};

typedef int (*pgr_write_fn)(FILE *f, const struct pgr_analysis *an,
    const struct pgr_write_opts *o);
/*
 * The run ended in UNKNOWN before a report existed (bad usage, unreadable
 * input): a valid document in the format all the same, so a script reading
 * stdout gets one.  msg is one line, already free of secrets.
 */
typedef void (*pgr_write_error_fn)(FILE *f, const char *msg);

struct pgr_writer {
	const char	*name;		/* --format NAME */
	pgr_write_fn	 write;
	pgr_write_error_fn error;	/* NULL: the error goes to stderr alone */
	const char	*bundle_member;	/* its file in the evidence bundle, NULL */
	const char	*mime;		/* what it is, for --help and the exporter */
};

extern const struct pgr_writer pgr_writers[];	/* ends with a NULL name */

/* The writer called name, NULL. */
const struct pgr_writer *pgr_writer_find(const char *name);

/* The writers' names, "text, json, ..." (for --help and errors). */
const char *pgr_writer_names(void);

int	pgr_write_text(FILE *f, const struct pgr_analysis *an, const struct pgr_write_opts *o);
int	pgr_write_json(FILE *f, const struct pgr_analysis *an, const struct pgr_write_opts *o);
int	pgr_write_nagios(FILE *f, const struct pgr_analysis *an, const struct pgr_write_opts *o);
int	pgr_write_prometheus(FILE *f, const struct pgr_analysis *an, const struct pgr_write_opts *o);
int	pgr_write_junit(FILE *f, const struct pgr_analysis *an, const struct pgr_write_opts *o);
int	pgr_write_markdown(FILE *f, const struct pgr_analysis *an, const struct pgr_write_opts *o);
int	pgr_write_html(FILE *f, const struct pgr_analysis *an, const struct pgr_write_opts *o);

void	pgr_error_json(FILE *f, const char *msg);
void	pgr_error_nagios(FILE *f, const char *msg);
void	pgr_error_prometheus(FILE *f, const char *msg);
void	pgr_error_junit(FILE *f, const char *msg);

#endif
