/*
 * The EC2 Query API's XML answers (API version 2016-11-15) into the
 * evidence model of report/evidence.h, the same structs the JSON of
 * `aws ec2 describe-*` fills, so --aws feeds the same diagnosis.
 */
#ifndef PGR_EC2XML_H
#define PGR_EC2XML_H

#include <stddef.h>

#include "report/evidence.h"

/*
 * An EC2 error document (<Response><Errors><Error><Code>...): true, with
 * its code, message and request ID copied (each "" if absent).  false if
 * xml is not one.
 */
bool	pgr_ec2xml_error(const char *xml, size_t len, char *code, size_t codelen,
	    char *msg, size_t msglen, char *request_id, size_t idlen);

/*
 * The answer to action a into it (type and u set; path and content are
 * the caller's), appending to what it already holds, so that the pages of
 * a paged answer add up.  next_token gets <nextToken> ("" if none) and
 * request_id the <requestId>.  0, or -1 with err if the XML is malformed
 * or not that action's answer (it then holds what was parsed before).
 */
int	pgr_ec2xml_parse(enum pgr_aws_action a, const char *xml, size_t len,
	    struct pgr_evidence_item *it, char *next_token, size_t ntlen,
	    char *request_id, size_t idlen, char *err, size_t errlen);

/* The STS AssumeRoleWithWebIdentity answer's credentials; 0 or -1. */
struct pgr_aws_creds;
int	pgr_ec2xml_sts_creds(const char *xml, size_t len,
	    struct pgr_aws_creds *c, char *err, size_t errlen);

#endif
