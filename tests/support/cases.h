/*
 * A recorded case (fixtures/diagnose/NAME.case): a pgreach/1 JSON report
 * taken from the lab, evidence files, options, and what the diagnosis must
 * conclude; loaded and analysed as pgreach would.
 *
 *	{ "report": "reports/sg-drop.json",
 *	  "evidence": ["../evidence/vpce-pending-acceptance.json"],
 *	  "region": "us-east-1", "sslmode": "verify-full",
 *	  "cert_warning_days": 14, "warning": "0.5", "critical": "2",
 *	  "query_warning": "0.1", "query_critical": "1", "idle": 25,
 *	  "aws": { "region": "us-east-1", "DescribeVpcEndpoints": "../aws/vpce.xml",
 *	           "calls": { "DescribeNetworkAcls": "access_denied" } },
 *	  "expect": ["ENDPOINT_NOT_AVAILABLE"], "causes": ["acceptance"] }
 *
 * "aws" is --aws evidence as input/aws/client.c hands it over: the EC2
 * answers by action name, each call ok, "calls" setting other outcomes.
 */
#ifndef PGR_TEST_CASES_H
#define PGR_TEST_CASES_H

#include <jansson.h>

#include "report/analysis.h"

struct pgr_case {
	json_t			*c;
	struct pgr_report	 r;
	struct pgr_evidence	 ev;
	struct pgr_thresholds	 thr;
	struct pgr_analysis_opts o;
	struct pgr_analysis	 an;
};

/* Load and analyse the case at path: 0, or -1 with err. */
int	case_load(const char *path, struct pgr_case *k, char *err, size_t errlen);
void	case_free(struct pgr_case *k);

#endif
