/*
 * --aws: the endpoint's configuration read from the EC2 API during the
 * run, under the run's deadline, through libcurl's multi interface driven
 * by the engine's poll loop (probes/engine.c, struct pgr_run_source).
 *
 *	DescribeVpcEndpoints		by the IDs in the endpoint names, or
 *					(a name without one) every Interface
 *					endpoint, matched by DnsEntries, CNAMEs
 *					or addresses (DescribeNetworkInterfaces)
 *	then, for what it names:	DescribeSecurityGroups, DescribeSubnets,
 *					DescribeNetworkAcls, DescribeNetworkInterfaces
 *
 * Requests are signed by libcurl (CURLOPT_AWS_SIGV4); answers are read
 * with libxml2 (input/aws/ec2xml.c) into the evidence model, so the
 * diagnosis is the one --evidence feeds.  A failure is an outcome in the
 * PGR_EV_AWS_CALLS item, never an error of the run.
 */
#ifndef PGR_AWS_H
#define PGR_AWS_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "probes/engine.h"
#include "probes/result.h"
#include "report/evidence.h"

struct pgr_aws;

struct pgr_aws_opts {
	/*
	 * The run's targets: every host is looked up, each in its region, by
	 * the vpce- ID its name carries, else by DNS name or address.
	 */
	const struct pgr_report	*rep;
	const char		*region;	/* --region / AWS_REGION; NULL */
	const char		*service;	/* the endpoint service's name if known
						   (heroku data:privatelink); NULL */
	FILE			*trace;		/* -vv: a line per AWS request; NULL */
};

/* 0, or -1 with err (out of memory, libcurl cannot start). */
int	pgr_aws_new(struct pgr_aws **out, const struct pgr_aws_opts *o,
	    char *err, size_t errlen);
/* The run's source hooks (probes/engine.h) for this fetch. */
void	pgr_aws_source(struct pgr_aws *a, struct pgr_run_source *s);
/*
 * After the run: every answer used becomes an evidence item appended to
 * ev (content: the answer as received, redacted; its request ID inside),
 * plus one PGR_EV_AWS_CALLS item with each call's outcome.  0 or -1 (OOM).
 */
int	pgr_aws_finish(struct pgr_aws *a, struct pgr_evidence *ev);
void	pgr_aws_free(struct pgr_aws *a);

/*
 * The one place secrets are taken out of text (the lead may switch it to
 * util/secrets.c): every occurrence of each of the n non-empty secrets in
 * buf[0..len) is replaced in place by "REDACTED" padding with '*'s.
 */
void	pgr_aws_redact(char *buf, size_t len, const char *const *secrets, size_t n);

#endif
