/*
 * input/aws/ec2xml.c and report/evidence_aws.c: moto's answers (kept in
 * fixtures/aws/, captured from the lab seed) into the evidence model, and
 * the questions the diagnosis asks of them; errors, malformed and hostile
 * XML; the redaction of secrets from an answer.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input/aws/aws.h"
#include "input/aws/creds.h"
#include "input/aws/ec2xml.h"
#include "report/evidence.h"
#include "tests/check_main.h"

static char *
slurp(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	char *buf;

	snprintf(path, sizeof(path), "%s/aws/%s", FIXTURES, name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	buf = calloc(1, 1 << 20);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	return buf;
}

/* The five answers into one evidence set, as --aws makes it. */
static void
load_all(struct pgr_evidence *ev, const char *nacl_file)
{
	static const struct { enum pgr_aws_action a; const char *file; } f[] = {
		{ PGR_AWS_DESCRIBE_VPC_ENDPOINTS, "vpce.xml" },
		{ PGR_AWS_DESCRIBE_SECURITY_GROUPS, "sg.xml" },
		{ PGR_AWS_DESCRIBE_SUBNETS, "subnets.xml" },
		{ PGR_AWS_DESCRIBE_NETWORK_ACLS, NULL },
		{ PGR_AWS_DESCRIBE_NETWORK_INTERFACES, "enis.xml" },
	};
	char tok[256], rid[64], err[160];
	size_t i, len;

	memset(ev, 0, sizeof(*ev));
	ev->items = calloc(5, sizeof(*ev->items));
	for (i = 0; i < 5; i++) {
		char *xml = slurp(f[i].file ? f[i].file : nacl_file, &len);

		ck_assert_int_eq(pgr_ec2xml_parse(f[i].a, xml, len, &ev->items[i], tok,
		    sizeof(tok), rid, sizeof(rid), err, sizeof(err)), 0);
		ck_assert_str_eq(rid, "request-id");	/* moto's fixed request ID */
		ck_assert_str_eq(tok, "");
		ev->n++;
		free(xml);
	}
}

START_TEST(test_vpce)
{
	struct pgr_evidence ev;
	const struct pgr_vpce *v;

	load_all(&ev, "nacl-return.xml");
	v = pgr_evidence_find_vpce(&ev, "vpce-0a1b2c3d4e5f60718");
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(v->state, PGR_VPCE_AVAILABLE);
	ck_assert_str_eq(v->region, "us-east-1");
	ck_assert_str_eq(v->owner_id, "123456789012");
	ck_assert_str_eq(v->type, "Interface");
	ck_assert_int_eq(v->private_dns, 0);
	ck_assert_uint_eq(v->nsubnets, 2);
	ck_assert_uint_eq(v->nenis, 2);
	ck_assert_uint_eq(v->ngroups, 1);
	ck_assert_str_eq(v->groups[0].name, "heroku-postgres-endpoint");
	ck_assert_uint_eq(v->ndns, 3);
	ck_assert_ptr_nonnull(strstr(v->dns[1].name, "-us-east-1a."));
	pgr_evidence_free(&ev);
}
END_TEST

START_TEST(test_sg_and_subnets)
{
	struct pgr_evidence ev;
	const struct pgr_evidence_item *sn;
	char why[256];

	load_all(&ev, "nacl-return.xml");
	/* The lab group: tcp 5432-5433 from 10.0.0.0/16. */
	ck_assert_int_eq(pgr_sg_allows(&ev, "10.0.0.10", 5432, why, sizeof(why)), 1);
	ck_assert_int_eq(pgr_sg_allows(&ev, "10.0.0.10", 5433, why, sizeof(why)), 1);
	ck_assert_int_eq(pgr_sg_allows(&ev, "10.9.0.10", 5432, why, sizeof(why)), 0);
	ck_assert_int_eq(pgr_sg_allows(&ev, "10.0.0.10", 443, why, sizeof(why)), 0);
	sn = pgr_evidence_find(&ev, PGR_EV_SUBNETS);
	ck_assert_ptr_nonnull(sn);
	ck_assert_uint_eq(sn->u.subnets.n, 2);
	ck_assert_str_eq(sn->u.subnets.v[0].az, "us-east-1a");
	ck_assert_ptr_nonnull(sn->u.subnets.v[0].az_id);
	ck_assert_str_eq(sn->u.subnets.v[1].cidr, "10.0.2.0/24");
	pgr_evidence_free(&ev);
}
END_TEST

START_TEST(test_nacl)
{
	struct pgr_evidence ev;
	const struct pgr_vpce *v;
	const struct pgr_evidence_item *acl;
	char why[256];

	load_all(&ev, "nacl-return.xml");
	v = pgr_evidence_find_vpce(&ev, "vpce-0a1b2c3d4e5f60718");
	acl = pgr_evidence_find(&ev, PGR_EV_NETWORK_ACLS);
	ck_assert_uint_eq(acl->u.acls.v[0].nentries, 3);
	/* Sorted by rule number: the egress deny (90) before the allows (100). */
	ck_assert_int_eq(acl->u.acls.v[0].entries[0].rule_number, 90);
	ck_assert(!acl->u.acls.v[0].entries[0].allow);
	ck_assert(acl->u.acls.v[0].entries[0].egress);
	ck_assert_int_eq(pgr_nacl_allows(&ev, v, "10.0.0.10", 5432, 0, why, sizeof(why)), 1);
	ck_assert_int_eq(pgr_nacl_allows(&ev, v, "10.0.0.10", 5432, 1, why, sizeof(why)), 0);
	ck_assert_ptr_nonnull(strstr(why, "outbound rule 90 denies TCP ports 1024-65535"));
	/* Inbound from outside 10.0.0.0/16: no rule matches, so "*" denies. */
	ck_assert_int_eq(pgr_nacl_allows(&ev, v, "192.0.2.1", 5432, 0, why, sizeof(why)), 0);
	ck_assert_ptr_nonnull(strstr(why, "default rule"));
	ck_assert_int_eq(pgr_nacl_allows(&ev, v, NULL, 5432, 0, why, sizeof(why)), -1);
	pgr_evidence_free(&ev);
}
END_TEST

START_TEST(test_enis)
{
	struct pgr_evidence ev;
	const struct pgr_vpce *v;
	const struct pgr_eni *e;
	const char *zid;
	bool known;

	load_all(&ev, "nacl-return.xml");
	v = pgr_evidence_find_vpce(&ev, "vpce-0a1b2c3d4e5f60718");
	e = pgr_eni_for_addr(&ev, v, "10.0.1.5", &zid, &known);
	ck_assert(known);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->az, "us-east-1a");
	ck_assert_ptr_nonnull(zid);
	ck_assert_ptr_nonnull(pgr_eni_for_addr(&ev, v, "10.0.2.5", NULL, &known));
	ck_assert_ptr_null(pgr_eni_for_addr(&ev, v, "10.0.2.6", NULL, &known));
	ck_assert(known);
	pgr_evidence_free(&ev);
}
END_TEST

START_TEST(test_errors)
{
	static const char denied[] = "<?xml version=\"1.0\"?>\n<Response><Errors><Error>"
	    "<Code>UnauthorizedOperation</Code><Message>no</Message></Error></Errors>"
	    "<RequestID>abc-123</RequestID></Response>";
	static const char sts[] = "<ErrorResponse><Error><Code>AccessDenied</Code>"
	    "<Message>m</Message></Error><RequestId>r-1</RequestId></ErrorResponse>";
	char code[64], msg[128], rid[64];

	ck_assert(pgr_ec2xml_error(denied, strlen(denied), code, sizeof(code), msg,
	    sizeof(msg), rid, sizeof(rid)));
	ck_assert_str_eq(code, "UnauthorizedOperation");
	ck_assert_str_eq(rid, "abc-123");
	ck_assert(pgr_ec2xml_error(sts, strlen(sts), code, sizeof(code), msg,
	    sizeof(msg), rid, sizeof(rid)));
	ck_assert_str_eq(code, "AccessDenied");
	ck_assert_str_eq(rid, "r-1");
	ck_assert(!pgr_ec2xml_error("<a>", 3, code, sizeof(code), msg, sizeof(msg),
	    rid, sizeof(rid)));
}
END_TEST

/* Malformed, foreign, hostile: an error with a message, never a crash. */
static const char *const bad[] = {
	"",
	"<DescribeVpcEndpointsResponse><vpcEndpointSet><item><vpcEndpointId>vpce-1",
	"<DescribeSecurityGroupsResponse/>",
	"{\"VpcEndpoints\": []}",
	"<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
	    "<DescribeVpcEndpointsResponse><vpcEndpointSet><item><vpcEndpointId>&x;"
	    "</vpcEndpointId></item></vpcEndpointSet></DescribeVpcEndpointsResponse>",
};

START_TEST(test_bad)
{
	struct pgr_evidence_item it;
	struct pgr_evidence one = { 1, &it };
	char tok[64], rid[64], err[160];
	const char *x = bad[_i];
	int rc;

	memset(&it, 0, sizeof(it));
	rc = pgr_ec2xml_parse(PGR_AWS_DESCRIBE_VPC_ENDPOINTS, x, strlen(x), &it, tok,
	    sizeof(tok), rid, sizeof(rid), err, sizeof(err));
	if (_i == 4) {
		/* Parsed, but the external entity was neither fetched nor expanded. */
		ck_assert_int_eq(rc, 0);
		ck_assert(it.u.endpoints.n == 0 || it.u.endpoints.v[0].id == NULL ||
		    strstr(it.u.endpoints.v[0].id, "root:") == NULL);
	} else {
		ck_assert_int_eq(rc, -1);
		ck_assert(err[0] != '\0');
	}
	pgr_evidence_truncate(&one, 0);
}
END_TEST

START_TEST(test_sts)
{
	static const char ok[] = "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult>"
	    "<Credentials><AccessKeyId>ASIAX</AccessKeyId><SecretAccessKey>s3cr3tKey</SecretAccessKey>"
	    "<SessionToken>tok3n</SessionToken></Credentials></AssumeRoleWithWebIdentityResult>"
	    "</AssumeRoleWithWebIdentityResponse>";
	struct pgr_aws_creds c;
	char err[160];

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(pgr_ec2xml_sts_creds(ok, strlen(ok), &c, err, sizeof(err)), 0);
	ck_assert_str_eq(c.access_key, "ASIAX");
	ck_assert_str_eq(c.session_token, "tok3n");
	pgr_aws_creds_clear(&c);
	ck_assert_int_eq(pgr_ec2xml_sts_creds("<x/>", 4, &c, err, sizeof(err)), -1);
	ck_assert_ptr_null(c.session_token);
}
END_TEST

START_TEST(test_redact)
{
	char buf[] = "a SECRETKEY0123456789 b tok and SECRETKEY0123456789";
	const char *s[] = { "SECRETKEY0123456789", "tok", NULL };

	pgr_aws_redact(buf, strlen(buf), s, 3);
	ck_assert_ptr_null(strstr(buf, "SECRETKEY"));
	ck_assert_ptr_nonnull(strstr(buf, "a REDACTED*********** b tok"));
}
END_TEST

static Suite *
ec2xml_suite(void)
{
	Suite *s = suite_create("ec2xml");
	TCase *tc = tcase_create("ec2xml");

	tcase_add_test(tc, test_vpce);
	tcase_add_test(tc, test_sg_and_subnets);
	tcase_add_test(tc, test_nacl);
	tcase_add_test(tc, test_enis);
	tcase_add_test(tc, test_errors);
	tcase_add_loop_test(tc, test_bad, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_sts);
	tcase_add_test(tc, test_redact);
	suite_add_tcase(s, tc);
	return s;
}

PGR_CHECK_MAIN(ec2xml_suite)
