/*
 * PrivateLink name shapes: endpoint DNS names, service names, regions.
 * The lab's names come first; hostile and near-miss names follow.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/endpoint.h"
#include "tests/check_main.h"

#define LAB_REGIONAL \
	"vpce-0a1b2c3d4e5f60718-k2x9abcd.vpce-svc-0123456789abcdef0." \
	"us-east-1.vpce.amazonaws.com"
#define LAB_ZONAL \
	"vpce-0a1b2c3d4e5f60718-k2x9abcd-us-east-1a.vpce-svc-0123456789abcdef0." \
	"us-east-1.vpce.amazonaws.com"

struct name_case {
	const char *name;
	bool	is_endpoint;
	const char *id, *service, *region, *zone;
};

/* A name that is not an endpoint name: every part empty. */
#define NOT(n)	{ n, false, NULL, NULL, NULL, NULL }

static const struct name_case name_cases[] = {
	{ LAB_REGIONAL, true, "vpce-0a1b2c3d4e5f60718",
	  "vpce-svc-0123456789abcdef0", "us-east-1", "" },
	{ LAB_ZONAL, true, "vpce-0a1b2c3d4e5f60718",
	  "vpce-svc-0123456789abcdef0", "us-east-1", "us-east-1a" },
	{ LAB_REGIONAL ".", true, "vpce-0a1b2c3d4e5f60718",
	  "vpce-svc-0123456789abcdef0", "us-east-1", "" },
	{ "VPCE-0A1B2C3D4E5F60718-K2X9ABCD-US-EAST-1A.VPCE-SVC-0123456789ABCDEF0"
	  ".US-EAST-1.VPCE.AMAZONAWS.COM.", true, "vpce-0a1b2c3d4e5f60718",
	  "vpce-svc-0123456789abcdef0", "us-east-1", "us-east-1a" },
	{ "vpce-01234567-abcdefgh.vpce-svc-89abcdef.eu-west-2.vpce.amazonaws.com",
	  true, "vpce-01234567", "vpce-svc-89abcdef", "eu-west-2", "" },
	{ "vpce-0fedcba9876543210-zz99yy88-ap-southeast-1b.vpce-svc-"
	  "0aaaabbbbccccdddd.ap-southeast-1.vpce.amazonaws.com", true,
	  "vpce-0fedcba9876543210", "vpce-svc-0aaaabbbbccccdddd",
	  "ap-southeast-1", "ap-southeast-1b" },
	{ "vpce-0123456789abcdef0-a1b2c3d4.vpce-svc-0123456789abcdef0."
	  "us-gov-west-1.vpce.amazonaws.com", true, "vpce-0123456789abcdef0",
	  "vpce-svc-0123456789abcdef0", "us-gov-west-1", "" },
	{ "vpce-0123456789abcdef0-a1b2c3d4-us-gov-west-1c.vpce-svc-"
	  "0123456789abcdef0.us-gov-west-1.vpce.amazonaws.com", true,
	  "vpce-0123456789abcdef0", "vpce-svc-0123456789abcdef0",
	  "us-gov-west-1", "us-gov-west-1c" },
	{ "vpce-0123456789abcdef0-a1b2c3d4.vpce-svc-0123456789abcdef0."
	  "cn-north-1.vpce.amazonaws.com.cn", true, "vpce-0123456789abcdef0",
	  "vpce-svc-0123456789abcdef0", "cn-north-1", "" },
	{ "vpce-0123456789abcdef0-a1b2c3d4-cn-northwest-1a.vpce-svc-"
	  "0123456789abcdef0.cn-northwest-1.vpce.amazonaws.com.cn.", true,
	  "vpce-0123456789abcdef0", "vpce-svc-0123456789abcdef0",
	  "cn-northwest-1", "cn-northwest-1a" },

	/* near misses */
	NOT("vpce-0a1b2c3d4e5f60718-k2x9abcd-us-west-2a.vpce-svc-0123456789abcdef0"
	  ".us-east-1.vpce.amazonaws.com"),	/* zone of another region */
	NOT("vpce-0a1b2c3d4e5f60718-k2x9abcd-us-east-1.vpce-svc-0123456789abcdef0"
	  ".us-east-1.vpce.amazonaws.com"),	/* zone without letter */
	NOT("vpce-0a1b2c3d4e5f60718-k2x9abcd-us-east-1ab.vpce-svc-"
	  "0123456789abcdef0.us-east-1.vpce.amazonaws.com"),
	NOT("vpce-0123456789abcdef0-a1b2c3d4.vpce-svc-0123456789abcdef0."
	  "cn-north-1.vpce.amazonaws.com"),	/* cn region, .com */
	NOT("vpce-0123456789abcdef0-a1b2c3d4.vpce-svc-0123456789abcdef0."
	  "us-east-1.vpce.amazonaws.com.cn"),	/* .com.cn, not cn */
	NOT("vpce-0a1b2c3d4e5f60718.vpce-svc-0123456789abcdef0.us-east-1.vpce."
	  "amazonaws.com"),			/* no suffix */
	NOT("vpce-0a1b2c3d4e5f60718-.vpce-svc-0123456789abcdef0.us-east-1.vpce."
	  "amazonaws.com"),
	NOT("vpce-0a1b2c3d4e5f6071g-k2x9abcd.vpce-svc-0123456789abcdef0.us-east-1."
	  "vpce.amazonaws.com"),		/* not hex */
	NOT("vpce-0a1b2c3-k2x9abcd.vpce-svc-0123456789abcdef0.us-east-1.vpce."
	  "amazonaws.com"),			/* id too short */
	NOT("vpce-0a1b2c3d4e5f607189-k2x9abcd.vpce-svc-0123456789abcdef0.us-east-1"
	  ".vpce.amazonaws.com"),		/* id too long */
	NOT("vpce-0a1b2c3d4e5f60718-k2x9abcd.vpce-0123456789abcdef0.us-east-1."
	  "vpce.amazonaws.com"),		/* not a service */
	NOT("vpce-0a1b2c3d4e5f60718-k2x9abcd.vpce-svc-0123456789abcdef0.useast1."
	  "vpce.amazonaws.com"),		/* bad region */
	NOT("vpce-0a1b2c3d4e5f60718-k2x9abcd.vpce-svc-0123456789abcdef0.us-east-1."
	  "vpce.amazonaws.net"),
	NOT("vpce-0a1b2c3d4e5f60718-k2x9abcd.vpce-svc-0123456789abcdef0.us-east-1."
	  "amazonaws.com"),			/* missing vpce label */
	NOT("vpce-0a1b2c3d4e5f60718-k2x9abcd.s3.us-east-1.vpce.amazonaws.com"),
							/* an AWS service */
	NOT("x.vpce-0a1b2c3d4e5f60718-k2x9abcd.vpce-svc-0123456789abcdef0."
	  "us-east-1.vpce.amazonaws.com"),	/* one label too many */
	NOT("vpce-0a1b2c3d4e5f60718-k2x9abcd..vpce-svc-0123456789abcdef0."
	  "us-east-1.vpce.amazonaws.com"),	/* empty label */
	NOT(LAB_REGIONAL ".."),
	NOT("." LAB_REGIONAL),
	NOT("ec2-3-91-1-1.compute-1.amazonaws.com"),
	NOT("ec2-1-2-3-4.us-east-1.vpce.amazonaws.com"),
	NOT("localhost"),
	NOT("10.0.1.5"),
	NOT(""),
	NOT("."),
	NOT("vpce-k2x9abcd"),
};

START_TEST(test_name)
{
	const struct name_case *c = &name_cases[_i];
	struct pgr_endpoint_name e;

	memset(&e, 'x', sizeof(e));
	ck_assert_msg(pgr_endpoint_parse(c->name, &e) == c->is_endpoint,
	    "'%s': expected is_endpoint=%d", c->name, c->is_endpoint);
	ck_assert_int_eq(e.is_endpoint, c->is_endpoint);
	if (!c->is_endpoint) {
		ck_assert_str_eq(e.id, "");
		ck_assert_str_eq(e.service, "");
		ck_assert_str_eq(e.region, "");
		ck_assert_str_eq(e.zone, "");
		return;
	}
	ck_assert_str_eq(e.id, c->id);
	ck_assert_str_eq(e.service, c->service);
	ck_assert_str_eq(e.region, c->region);
	ck_assert_str_eq(e.zone, c->zone);
}
END_TEST

/* Names far past DNS limits: refused quickly, no overflow (ASan/valgrind). */
START_TEST(test_hostile_names)
{
	struct pgr_endpoint_name e;
	size_t big = 10 * 1024;
	char *s = malloc(big + 1);
	char label64[65];
	char name[512];

	ck_assert_ptr_nonnull(s);
	memset(s, 'a', big);
	s[big] = '\0';
	ck_assert(!pgr_endpoint_parse(s, &e));

	/* 10 KB of dots, then of labels, then one huge zone label */
	memset(s, '.', big);
	ck_assert(!pgr_endpoint_parse(s, &e));
	for (size_t i = 0; i < big; i++)
		s[i] = (i % 2) ? '.' : 'a';
	ck_assert(!pgr_endpoint_parse(s, &e));
	snprintf(s, big + 1, "vpce-0a1b2c3d4e5f60718-k2x9abcd-us-east-1a%0*d."
	    "vpce-svc-0123456789abcdef0.us-east-1.vpce.amazonaws.com",
	    9000, 0);
	ck_assert(!pgr_endpoint_parse(s, &e));
	free(s);

	/* a 64-byte label, one over the DNS limit */
	memset(label64, 'a', 64);
	label64[64] = '\0';
	snprintf(name, sizeof(name), "vpce-0a1b2c3d4e5f60718-%s.vpce-svc-"
	    "0123456789abcdef0.us-east-1.vpce.amazonaws.com", label64);
	ck_assert(!pgr_endpoint_parse(name, &e));

	/*
	 * A 31-byte region is valid, but its zone would not fit
	 * pgr_endpoint_name.zone: refused, not cut.  Short id and suffix
	 * keep the first label under 63 bytes, so this is the zone check.
	 */
	snprintf(name, sizeof(name), "vpce-01234567-k-"
	    "us-aaaaaaaaaaaaaaaa-bbbbbbbbb-1a.vpce-svc-0123456789abcdef0."
	    "us-aaaaaaaaaaaaaaaa-bbbbbbbbb-1.vpce.amazonaws.com");
	ck_assert(pgr_region_valid("us-aaaaaaaaaaaaaaaa-bbbbbbbbb-1"));
	ck_assert(!pgr_endpoint_parse(name, &e));
	ck_assert_str_eq(e.zone, "");
	/* the same region, regional name: fits, so it is an endpoint */
	snprintf(name, sizeof(name), "vpce-01234567-k.vpce-svc-0123456789abcdef0."
	    "us-aaaaaaaaaaaaaaaa-bbbbbbbbb-1.vpce.amazonaws.com");
	ck_assert(pgr_endpoint_parse(name, &e));
	ck_assert_str_eq(e.region, "us-aaaaaaaaaaaaaaaa-bbbbbbbbb-1");

	ck_assert(!pgr_endpoint_parse(NULL, &e));
	/* a byte above 0x7f and an embedded control character */
	ck_assert(!pgr_endpoint_parse("vpce-0a1b2c3d4e5f60718-k2x9\xe9" "bcd."
	    "vpce-svc-0123456789abcdef0.us-east-1.vpce.amazonaws.com", &e));
	ck_assert(!pgr_endpoint_parse("vpce-0a1b2c3d4e5f60718-k2x9abcd\n."
	    "vpce-svc-0123456789abcdef0.us-east-1.vpce.amazonaws.com", &e));
}
END_TEST

struct service_case {
	const char *service;
	const char *region;	/* NULL: no region */
	const char *svc;	/* NULL: no vpce-svc id */
};

static const struct service_case service_cases[] = {
	{ "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0",
	  "us-east-1", "vpce-svc-0123456789abcdef0" },
	{ "com.amazonaws.vpce.us-east-1.vpce-svc-0123abcd", "us-east-1",
	  "vpce-svc-0123abcd" },
	{ "com.amazonaws.vpce.us-west-2.vpce-svc-0123456789abcdef0",
	  "us-west-2", "vpce-svc-0123456789abcdef0" },
	{ "COM.AMAZONAWS.VPCE.EU-WEST-2.VPCE-SVC-0123456789ABCDEF0",
	  "eu-west-2", "vpce-svc-0123456789abcdef0" },
	{ "com.amazonaws.vpce.us-gov-west-1.vpce-svc-0123456789abcdef0",
	  "us-gov-west-1", "vpce-svc-0123456789abcdef0" },
	{ "cn.com.amazonaws.vpce.cn-north-1.vpce-svc-0123456789abcdef0",
	  "cn-north-1", "vpce-svc-0123456789abcdef0" },
	{ "com.amazonaws.us-east-1.s3", "us-east-1", NULL },
	{ "com.amazonaws.ap-southeast-1.execute-api", "ap-southeast-1", NULL },
	{ "com.amazonaws.vpce.us-east-1", NULL, NULL },
	{ "com.amazonaws.vpce.useast1.vpce-svc-0123456789abcdef0", NULL, NULL },
	{ "com.amazonaws.vpce.us-east-1.vpce-svc-xyz", "us-east-1", NULL },
	{ "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0.extra",
	  "us-east-1", NULL },
	{ "org.example.vpce.us-east-1.vpce-svc-0123456789abcdef0", NULL, NULL },
	{ "vpce-svc-0123456789abcdef0", NULL, NULL },
	{ "Provisioning", NULL, NULL },
	{ "", NULL, NULL },
	{ NULL, NULL, NULL },
};

START_TEST(test_service)
{
	const struct service_case *c = &service_cases[_i];
	char region[32], svc[64];
	bool ok;

	ok = pgr_endpoint_region_from_service(c->service, region,
	    sizeof(region));
	ck_assert_msg(ok == (c->region != NULL), "'%s': region ok=%d",
	    c->service ? c->service : "(null)", ok);
	ck_assert_str_eq(region, c->region ? c->region : "");

	ok = pgr_endpoint_service_id(c->service, svc, sizeof(svc));
	ck_assert_msg(ok == (c->svc != NULL), "'%s': svc ok=%d",
	    c->service ? c->service : "(null)", ok);
	ck_assert_str_eq(svc, c->svc ? c->svc : "");
}
END_TEST

START_TEST(test_service_small_buffers)
{
	const char *s = "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0";
	char region[9], svc[26];

	/* "us-east-1" needs 10 bytes, the svc id 27: refuse, do not cut. */
	ck_assert(!pgr_endpoint_region_from_service(s, region, sizeof(region)));
	ck_assert_str_eq(region, "");
	ck_assert(!pgr_endpoint_service_id(s, svc, sizeof(svc)));
	ck_assert_str_eq(svc, "");
	ck_assert(!pgr_endpoint_region_from_service(s, NULL, 0));
	ck_assert(pgr_endpoint_region_from_service(s, svc, 10));
	ck_assert_str_eq(svc, "us-east-1");
}
END_TEST

struct region_case {
	const char *s;
	bool	valid;
};

static const struct region_case region_cases[] = {
	{ "us-east-1", true }, { "us-west-2", true }, { "eu-west-2", true },
	{ "ap-southeast-1", true }, { "us-gov-west-1", true },
	{ "cn-north-1", true }, { "cn-northwest-1", true },
	{ "eu-central-2", true }, { "me-south-1", true },
	{ "il-central-1", true }, { "us-isob-east-1", true },
	{ "ap-northeast-10", true },

	{ "", false }, { "us", false }, { "us-east", false },
	{ "us-east-", false }, { "us-1", false }, { "useast1", false },
	{ "US-EAST-1", false }, { "us-east-1a", false }, { "us-east-01", false },
	{ "us-east-100", false }, { "usa-east-1", false }, { "u-east-1", false },
	{ "us--east-1", false }, { "us-east-1 ", false }, { " us-east-1", false },
	{ "us-east-1\n", false }, { "us-a-b-c-d-1", false },
	{ "us-east-west-north-1", false }, { "us_east_1", false },
	{ "us-eastttttttttttttttttt-1", false }, { NULL, false },
};

START_TEST(test_region)
{
	const struct region_case *c = &region_cases[_i];

	ck_assert_msg(pgr_region_valid(c->s) == c->valid, "'%s': expected %d",
	    c->s ? c->s : "(null)", c->valid);
}
END_TEST

/* AWS_REGION, then AWS_DEFAULT_REGION, an empty one unset: the CLI and serve. */
START_TEST(test_env_region)
{
	const char *var = "unchanged";

	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");
	ck_assert_ptr_null(pgr_env_region(&var));
	ck_assert_str_eq(var, "unchanged");
	setenv("AWS_REGION", "", 1);
	setenv("AWS_DEFAULT_REGION", "us-west-2", 1);
	ck_assert_str_eq(pgr_env_region(&var), "us-west-2");
	ck_assert_str_eq(var, "AWS_DEFAULT_REGION");
	setenv("AWS_REGION", "eu-west-1", 1);
	ck_assert_str_eq(pgr_env_region(&var), "eu-west-1");
	ck_assert_str_eq(var, "AWS_REGION");
	ck_assert_str_eq(pgr_env_region(NULL), "eu-west-1");
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");
}
END_TEST

static Suite *
endpoint_suite(void)
{
	Suite *s = suite_create("endpoint");
	TCase *tc = tcase_create("endpoint");

	tcase_add_loop_test(tc, test_name, 0,
	    sizeof(name_cases) / sizeof(name_cases[0]));
	tcase_add_test(tc, test_hostile_names);
	tcase_add_loop_test(tc, test_service, 0,
	    sizeof(service_cases) / sizeof(service_cases[0]));
	tcase_add_test(tc, test_service_small_buffers);
	tcase_add_loop_test(tc, test_region, 0,
	    sizeof(region_cases) / sizeof(region_cases[0]));
	tcase_add_test(tc, test_env_region);
	suite_add_tcase(s, tc);
	return s;
}

PGR_CHECK_MAIN(endpoint_suite)
