/*
 * input/aws/ec2xml.c: every EC2 answer parser (the first input byte picks
 * the action), the error-document reader and the STS credentials reader,
 * then the queries the diagnosis makes of what was parsed.
 */
#include <stdio.h>

#include "fuzz/common.h"
#include "input/aws/creds.h"
#include "input/aws/ec2xml.h"
#include "report/evidence.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pgr_evidence ev = { 0 };
	struct pgr_evidence_item it;
	struct pgr_aws_creds cr;
	enum pgr_aws_action a;
	char tok[1024], rid[64], err[160], code[64], msg[200];
	const char *xml;
	bool known;
	size_t len;

	if (size < 1)
		return 0;
	a = (enum pgr_aws_action)(data[0] % PGR_AWS__NACTIONS);
	xml = (const char *)data + 1;
	len = size - 1;
	memset(&it, 0, sizeof(it));
	if (pgr_ec2xml_parse(a, xml, len, &it, tok, sizeof(tok), rid, sizeof(rid),
	    err, sizeof(err)) != 0)
		FUZZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL);
	FUZZ_ASSERT(memchr(tok, '\0', sizeof(tok)) != NULL);
	/* Whatever was parsed, even half, must be safe to query and free. */
	ev.n = 1;
	ev.items = &it;
	if (it.type == PGR_EV_VPC_ENDPOINTS && it.u.endpoints.n > 0) {
		const struct pgr_vpce *v = &it.u.endpoints.v[0];
		char why[256];

		(void)pgr_nacl_allows(&ev, v, "10.0.0.10", 5432, 0, why, sizeof(why));
		(void)pgr_nacl_allows(&ev, v, "10.0.0.10", 5432, 1, why, sizeof(why));
		(void)pgr_eni_for_addr(&ev, v, "10.0.1.5", NULL, &known);
	}
	(void)pgr_sg_allows(&ev, "10.0.0.10", 5432, err, sizeof(err));
	pgr_evidence_truncate(&ev, 0);
	(void)pgr_ec2xml_error(xml, len, code, sizeof(code), msg, sizeof(msg), rid,
	    sizeof(rid));
	memset(&cr, 0, sizeof(cr));
	if (pgr_ec2xml_sts_creds(xml, len, &cr, err, sizeof(err)) == 0)
		FUZZ_ASSERT(cr.access_key[0] != '\0' && cr.secret_key[0] != '\0');
	pgr_aws_creds_clear(&cr);
	return 0;
}
