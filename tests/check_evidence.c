/*
 * Offline evidence: detection from content, every endpoint state, the
 * security-group verdicts, Heroku's text output, secrets kept out of the
 * bundle copy, and malformed or hostile input.  Case files live in
 * fixtures/evidence/; each table below says what each one must give.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "report/evidence.h"
#include "tests/check_main.h"

#ifndef FIXTURES
#define FIXTURES "fixtures"
#endif
#define EV(f)	FIXTURES "/evidence/" f

#define LAB_VPCE	"vpce-0a1b2c3d4e5f60718"
#define LAB_SG		"sg-0f1e2d3c4b5a69788"
#define LAB_SERVICE	"com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0"
#define LAB_HOST	LAB_VPCE "-k2x9abcd.vpce-svc-0123456789abcdef0." \
			"us-east-1.vpce.amazonaws.com"

/* Load one fixture into a fresh ev, failing the test if it does not load. */
static void
load_ok(struct pgr_evidence *ev, const char *path)
{
	char err[512] = "";

	ck_assert_msg(pgr_evidence_load(ev, path, err, sizeof(err)) == 0,
	    "%s: %s", path, err);
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

/* ------------------------------------------------------------------ */
/* Detection: every fixture, its type or its error */

struct detect_case {
	const char *file;
	int	type;		/* enum pgr_evidence_type, or -1: must fail */
	const char *err;	/* substring of the error when type is -1 */
};

static const struct detect_case detect_cases[] = {
	{ "vpce-available.json", PGR_EV_VPC_ENDPOINTS, NULL },
	{ "vpce-pending-acceptance.json", PGR_EV_VPC_ENDPOINTS, NULL },
	{ "vpce-pending.json", PGR_EV_VPC_ENDPOINTS, NULL },
	{ "vpce-rejected.json", PGR_EV_VPC_ENDPOINTS, NULL },
	{ "vpce-expired.json", PGR_EV_VPC_ENDPOINTS, NULL },
	{ "vpce-failed.json", PGR_EV_VPC_ENDPOINTS, NULL },
	{ "vpce-deleted.json", PGR_EV_VPC_ENDPOINTS, NULL },
	{ "vpce-deleting.json", PGR_EV_VPC_ENDPOINTS, NULL },
	{ "vpce-us-west-2.json", PGR_EV_VPC_ENDPOINTS, NULL },
	{ "vpce-empty.json", PGR_EV_VPC_ENDPOINTS, NULL },
	{ "vpce-mixed.json", PGR_EV_VPC_ENDPOINTS, NULL },
	{ "sg-5432-5433.json", PGR_EV_SECURITY_GROUPS, NULL },
	{ "sg-5432-only.json", PGR_EV_SECURITY_GROUPS, NULL },
	{ "sg-all-traffic.json", PGR_EV_SECURITY_GROUPS, NULL },
	{ "sg-excludes-client.json", PGR_EV_SECURITY_GROUPS, NULL },
	{ "sg-group-ref.json", PGR_EV_SECURITY_GROUPS, NULL },
	{ "sg-prefix-list.json", PGR_EV_SECURITY_GROUPS, NULL },
	{ "sg-open-world.json", PGR_EV_SECURITY_GROUPS, NULL },
	{ "sg-numeric-proto.json", PGR_EV_SECURITY_GROUPS, NULL },
	{ "sg-no-ingress.json", PGR_EV_SECURITY_GROUPS, NULL },
	{ "sg-ipv6.json", PGR_EV_SECURITY_GROUPS, NULL },
	{ "sg-odd-prefix.json", PGR_EV_SECURITY_GROUPS, NULL },
	{ "sg-two-groups.json", PGR_EV_SECURITY_GROUPS, NULL },
	{ "privatelink-operational.txt", PGR_EV_PRIVATELINK, NULL },
	{ "privatelink-pending-account.txt", PGR_EV_PRIVATELINK, NULL },
	{ "privatelink-provisioning.txt", PGR_EV_PRIVATELINK, NULL },
	{ "privatelink-provisioning-crlf.txt", PGR_EV_PRIVATELINK, NULL },
	{ "privatelink-color-boxed.txt", PGR_EV_PRIVATELINK, NULL },
	{ "privatelink-us-west-2.txt", PGR_EV_PRIVATELINK, NULL },
	{ "privatelink-access.txt", PGR_EV_PRIVATELINK, NULL },
	{ "privatelink-connections-pending.txt", PGR_EV_PRIVATELINK, NULL },
	{ "privatelink-connections-rejected.txt", PGR_EV_PRIVATELINK, NULL },
	{ "privatelink-whitelisted-2019.txt", PGR_EV_PRIVATELINK, NULL },
	{ "privatelink-whitelisted-connections.txt", PGR_EV_PRIVATELINK, NULL },
	{ "vpce-partial.json", PGR_EV_VPC_ENDPOINTS, NULL },
	{ "vpce-cross-region.json", PGR_EV_VPC_ENDPOINTS, NULL },
	{ "vpce-text-pending-acceptance.txt", PGR_EV_VPC_ENDPOINTS, NULL },
	{ "vpce-text-partial.txt", PGR_EV_VPC_ENDPOINTS, NULL },
	{ "vpce-table-rejected.txt", PGR_EV_VPC_ENDPOINTS, NULL },
	{ "config-styled.txt", PGR_EV_HEROKU_CONFIG, NULL },
	{ "config-shell.txt", PGR_EV_HEROKU_CONFIG, NULL },
	{ "config-json.json", PGR_EV_HEROKU_CONFIG, NULL },
	{ "config-no-database.txt", PGR_EV_HEROKU_CONFIG, NULL },

	{ "bad-truncated.json", -1, "malformed JSON at line" },
	{ "bad-unknown-shape.json", -1, "JSON without \"VpcEndpoints\"" },
	{ "bad-sts-identity.json", -1, "JSON without \"VpcEndpoints\"" },
	{ "bad-vpce-not-list.json", -1, "VpcEndpoints is not a list" },
	{ "bad-sg-not-objects.json", -1, "SecurityGroups[0] is not an object" },
	{ "bad-binary.bin", -1, "contains NUL bytes" },
	{ "bad-empty.txt", -1, "the file is empty" },
	{ "bad-blank.txt", -1, "the file is empty" },
	{ "bad-latin1.txt", -1, "not UTF-8 text (byte 108)" },
	{ "bad-prose.txt", -1, "not a recognised evidence file" },
	{ "bad-vpce-text-no-id.txt", -1, "text output, but endpoint 1 has no VpcEndpointId" },
	{ "bad-vpce-table-empty.txt", -1, "table output without an endpoint" },
	{ "no-such-file.json", -1, "No such file or directory" },
};

START_TEST(test_detect)
{
	const struct detect_case *c = &detect_cases[_i];
	struct pgr_evidence ev = { 0 };
	char path[1024], err[512] = "";
	int rc;

	snprintf(path, sizeof(path), "%s/evidence/%s", FIXTURES, c->file);
	rc = pgr_evidence_load(&ev, path, err, sizeof(err));
	if (c->type == -1) {
		ck_assert_msg(rc == -1, "%s loaded as %s", c->file,
		    ev.n ? pgr_evidence_type_name(ev.items[0].type) : "?");
		ck_assert_uint_eq(ev.n, 0);
		ck_assert_msg(strstr(err, c->err) != NULL,
		    "%s: error '%s' lacks '%s'", c->file, err, c->err);
		/* every error names the file it is about */
		ck_assert_msg(strstr(err, c->file) != NULL, "%s: '%s'",
		    c->file, err);
	} else {
		ck_assert_msg(rc == 0, "%s: %s", c->file, err);
		ck_assert_uint_eq(ev.n, 1);
		ck_assert_msg(ev.items[0].type == (enum pgr_evidence_type)c->type,
		    "%s: detected as %s", c->file,
		    pgr_evidence_type_name(ev.items[0].type));
		ck_assert_str_eq(ev.items[0].path, path);
		ck_assert_uint_eq(strlen(ev.items[0].sha256), 64);
	}
	pgr_evidence_free(&ev);
	ck_assert_uint_eq(ev.n, 0);
	ck_assert_ptr_null(ev.items);
}
END_TEST

/* ------------------------------------------------------------------ */
/* describe-vpc-endpoints: every state */

struct vpce_case {
	const char *file;
	enum pgr_vpce_state state;
	const char *state_raw;
	const char *region;
	size_t	ndns;
};

static const struct vpce_case vpce_cases[] = {
	{ "vpce-available.json", PGR_VPCE_AVAILABLE, "available", "us-east-1", 3 },
	{ "vpce-pending-acceptance.json", PGR_VPCE_PENDING_ACCEPTANCE,
	  "pendingAcceptance", "us-east-1", 3 },
	{ "vpce-pending.json", PGR_VPCE_PENDING, "pending", "us-east-1", 3 },
	{ "vpce-rejected.json", PGR_VPCE_REJECTED, "rejected", "us-east-1", 0 },
	{ "vpce-expired.json", PGR_VPCE_EXPIRED, "expired", "us-east-1", 0 },
	{ "vpce-failed.json", PGR_VPCE_FAILED, "failed", "us-east-1", 0 },
	{ "vpce-deleted.json", PGR_VPCE_DELETED, "deleted", "us-east-1", 0 },
	{ "vpce-deleting.json", PGR_VPCE_DELETING, "deleting", "us-east-1", 3 },
	{ "vpce-us-west-2.json", PGR_VPCE_AVAILABLE, "available", "us-west-2", 3 },
	{ "vpce-partial.json", PGR_VPCE_PARTIAL, "partial", "us-east-1", 3 },
};

/* --output text / table: what the shape reader finds beyond the JSON's. */
START_TEST(test_vpce_text_table)
{
	struct pgr_evidence ev = { 0 };
	const struct pgr_vpce *v;

	load_ok(&ev, EV("vpce-table-rejected.txt"));
	ck_assert_int_eq(ev.items[0].type, PGR_EV_VPC_ENDPOINTS);
	ck_assert_uint_eq(ev.items[0].u.endpoints.n, 1);
	v = &ev.items[0].u.endpoints.v[0];
	ck_assert_str_eq(v->id, LAB_VPCE);
	ck_assert_int_eq(v->state, PGR_VPCE_REJECTED);
	ck_assert_str_eq(v->state_raw, "rejected");
	ck_assert_str_eq(v->owner_id, "123456789012");
	ck_assert_str_eq(v->service_name, LAB_SERVICE);
	ck_assert_str_eq(v->type, "Interface");
	ck_assert_str_eq(v->vpc_id, "vpc-0c1d2e3f4a5b6c7d8");
	ck_assert_int_eq(v->private_dns, 0);
	ck_assert_uint_eq(v->ndns, 3);	/* a table of columns: DnsName, HostedZoneId */
	ck_assert_str_eq(v->dns[1].hosted_zone_id, "Z7HUB22UULQXV");
	ck_assert_uint_eq(v->ngroups, 1);
	ck_assert_str_eq(v->groups[0].id, LAB_SG);
	ck_assert_str_eq(v->groups[0].name, "pgreach-endpoint");
	ck_assert_uint_eq(v->nsubnets, 2);
	ck_assert_uint_eq(v->nenis, 2);
	ck_assert_str_eq(v->region, "us-east-1");
	ck_assert_str_eq(v->dns_region, "us-east-1");
	ck_assert_str_eq(v->service_region, "");
	pgr_evidence_free(&ev);

	load_ok(&ev, EV("vpce-text-pending-acceptance.txt"));
	v = &ev.items[0].u.endpoints.v[0];
	ck_assert_str_eq(v->id, LAB_VPCE);
	ck_assert_int_eq(v->state, PGR_VPCE_PENDING_ACCEPTANCE);
	ck_assert_str_eq(v->owner_id, "123456789012");
	ck_assert_str_eq(v->service_name, LAB_SERVICE);
	ck_assert_uint_eq(v->ndns, 3);
	ck_assert_ptr_nonnull(strstr(v->dns[2].name, "us-east-1b"));
	ck_assert_str_eq(v->groups[0].name, "pgreach-endpoint");
	ck_assert_uint_eq(v->nsubnets, 2);
	ck_assert_ptr_eq(pgr_evidence_find_vpce(&ev, LAB_VPCE), v);
	pgr_evidence_free(&ev);

	load_ok(&ev, EV("vpce-text-partial.txt"));
	v = &ev.items[0].u.endpoints.v[0];
	ck_assert_int_eq(v->state, PGR_VPCE_PARTIAL);
	ck_assert_str_eq(v->state_raw, "partial");
	ck_assert_uint_eq(v->nenis, 2);
	ck_assert_str_eq(v->enis[1], "eni-0fedcba987654321a");
	ck_assert_int_eq(v->private_dns, -1);	/* two unnamed booleans */
	pgr_evidence_free(&ev);

	/* A cross-region endpoint: ServiceRegion, and its own region from DNS. */
	load_ok(&ev, EV("vpce-cross-region.json"));
	v = &ev.items[0].u.endpoints.v[0];
	ck_assert_str_eq(v->service_region, "us-west-2");
	ck_assert_str_eq(v->region, "us-west-2");
	ck_assert_str_eq(v->dns_region, "us-east-1");
	pgr_evidence_free(&ev);
}
END_TEST

/* Text and table output cut anywhere, or with a cell changed: never a crash. */
START_TEST(test_vpce_text_hostile)
{
	static const char *const rows[] = {
		"VPCENDPOINTS\tvpce-0a1b2c3d4e5f60718\n",
		"VPCENDPOINTS\tvpce-0a1b2c3d4e5f60718\tdeleted\tdeleted\n"
		    "DNSENTRIES\tZ7HUB22UULQXV\nGROUPS\tpgreach\nSUBNETIDS\tx\n",
		"DNSENTRIES\tx.amazonaws.com\nVPCENDPOINTS\tvpce-0a1b2c3d4e5f60718\n",
		"VPCENDPOINTS\t\t\t\t\n",
		"|  DescribeVpcEndpoints  |\n||  VpcEndpoints ||\n||  State | available ||\n",
		"|  DescribeVpcEndpoints  |\n||VpcEndpoints||\n||VpcEndpointId|vpce-0a1b2c3d4e5f60718||\n"
		    "||VpcEndpoints||\n||VpcEndpointId|vpce-0fedcba9876543210||\n||State|Expired||\n",
	};
	static const int want[] = { 0, 0, 0, -1, -1, 0 };
	struct pgr_evidence ev = { 0 };
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int rc = pgr_evidence_load_buffer(&ev, "t", rows[i], strlen(rows[i]),
		    err, sizeof(err));

		ck_assert_msg(rc == want[i], "row %zu: %d (%s)", i, rc, err);
		if (rc == 0)
			ck_assert_int_eq(ev.items[ev.n - 1].type, PGR_EV_VPC_ENDPOINTS);
	}
	/* the second: the first state cell is the endpoint's */
	ck_assert_int_eq(ev.items[1].u.endpoints.v[0].state, PGR_VPCE_DELETED);
	ck_assert_uint_eq(ev.items[1].u.endpoints.v[0].ndns, 0);
	/* the table of two endpoints */
	ck_assert_uint_eq(ev.items[3].u.endpoints.n, 2);
	ck_assert_int_eq(ev.items[3].u.endpoints.v[1].state, PGR_VPCE_EXPIRED);
	ck_assert_int_eq(ev.items[3].u.endpoints.v[0].state, PGR_VPCE_UNKNOWN);
	pgr_evidence_free(&ev);
}
END_TEST

START_TEST(test_vpce)
{
	const struct vpce_case *c = &vpce_cases[_i];
	struct pgr_evidence ev = { 0 };
	char path[1024];
	const struct pgr_vpce *v;

	snprintf(path, sizeof(path), "%s/evidence/%s", FIXTURES, c->file);
	load_ok(&ev, path);
	ck_assert_uint_eq(ev.items[0].u.endpoints.n, 1);
	v = &ev.items[0].u.endpoints.v[0];
	ck_assert_str_eq(v->id, LAB_VPCE);
	ck_assert_str_eq(v->type, "Interface");
	ck_assert_str_eq(v->vpc_id, "vpc-0c1d2e3f4a5b6c7d8");
	ck_assert_str_eq(v->owner_id, "123456789012");
	ck_assert_int_eq(v->state, c->state);
	ck_assert_str_eq(v->state_raw, c->state_raw);
	ck_assert_str_eq(pgr_vpce_state_name(v->state), c->state_raw);
	ck_assert_str_eq(v->region, c->region);
	ck_assert_int_eq(v->private_dns, 0);
	ck_assert_uint_eq(v->ndns, c->ndns);
	if (c->ndns > 0) {
		ck_assert_ptr_nonnull(strstr(v->dns[0].name, c->region));
		ck_assert_ptr_nonnull(v->dns[1].hosted_zone_id);
	}
	ck_assert_uint_eq(v->ngroups, 1);
	ck_assert_str_eq(v->groups[0].id, LAB_SG);
	ck_assert_str_eq(v->groups[0].name, "pgreach-endpoint");
	ck_assert_uint_eq(v->nsubnets, 2);
	ck_assert_str_eq(v->subnets[1], "subnet-0ee55ff66aa77bb88");
	ck_assert_ptr_eq(pgr_evidence_find_vpce(&ev, LAB_VPCE), v);
	pgr_evidence_free(&ev);
}
END_TEST

START_TEST(test_vpce_mixed)
{
	struct pgr_evidence ev = { 0 };
	const struct pgr_vpce *gw, *v;

	load_ok(&ev, EV("vpce-mixed.json"));
	ck_assert_uint_eq(ev.items[0].u.endpoints.n, 2);
	gw = &ev.items[0].u.endpoints.v[0];
	ck_assert_str_eq(gw->type, "Gateway");
	ck_assert_str_eq(gw->region, "us-east-1");	/* com.amazonaws.us-east-1.s3 */
	ck_assert_uint_eq(gw->ngroups, 0);
	ck_assert_uint_eq(gw->ndns, 0);
	/* "Available": states compare without regard to case */
	ck_assert_int_eq(gw->state, PGR_VPCE_AVAILABLE);
	ck_assert_str_eq(gw->state_raw, "Available");
	v = pgr_evidence_find_vpce(&ev, "VPCE-0A1B2C3D4E5F60718");
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(v->service_name, LAB_SERVICE);
	ck_assert_ptr_null(pgr_evidence_find_vpce(&ev, "vpce-0000000000000000"));
	ck_assert_ptr_null(pgr_evidence_find_vpce(&ev, NULL));
	pgr_evidence_free(&ev);

	load_ok(&ev, EV("vpce-empty.json"));
	ck_assert_uint_eq(ev.items[0].u.endpoints.n, 0);
	ck_assert_ptr_null(pgr_evidence_find_vpce(&ev, LAB_VPCE));
	pgr_evidence_free(&ev);
}
END_TEST

/* Fields of the wrong type are as good as absent; the region then comes from a DNS name. */
START_TEST(test_vpce_odd_fields)
{
	static const char j[] = "{\"VpcEndpoints\":[{\"VpcEndpointId\":42,"
	    "\"State\":[],\"ServiceName\":\"something.else\","
	    "\"PrivateDnsEnabled\":true,\"Groups\":[{\"GroupName\":\"x\"},7],"
	    "\"SubnetIds\":[1,\"subnet-1\"],\"DnsEntries\":[{\"DnsName\":"
	    "\"" LAB_HOST "\"},{\"HostedZoneId\":\"Z\"}]}]}";
	struct pgr_evidence ev = { 0 };
	const struct pgr_vpce *v;
	char err[256];

	ck_assert_int_eq(pgr_evidence_load_buffer(&ev, "odd", j, strlen(j),
	    err, sizeof(err)), 0);
	v = &ev.items[0].u.endpoints.v[0];
	ck_assert_ptr_null(v->id);
	ck_assert_ptr_null(v->state_raw);
	ck_assert_int_eq(v->state, PGR_VPCE_UNKNOWN);
	ck_assert_int_eq(v->private_dns, 1);
	ck_assert_uint_eq(v->ngroups, 0);
	ck_assert_uint_eq(v->nsubnets, 1);
	ck_assert_uint_eq(v->ndns, 1);
	ck_assert_ptr_null(v->dns[0].hosted_zone_id);
	ck_assert_str_eq(v->region, "us-east-1");
	pgr_evidence_free(&ev);
}
END_TEST

struct state_case {
	const char *s;
	enum pgr_vpce_state state;
};

static const struct state_case state_cases[] = {
	{ "pendingAcceptance", PGR_VPCE_PENDING_ACCEPTANCE },
	{ "PendingAcceptance", PGR_VPCE_PENDING_ACCEPTANCE },
	{ "Pending Acceptance", PGR_VPCE_PENDING_ACCEPTANCE },
	{ "PENDING_ACCEPTANCE", PGR_VPCE_PENDING_ACCEPTANCE },
	{ "pending-acceptance", PGR_VPCE_PENDING_ACCEPTANCE },
	{ "pending", PGR_VPCE_PENDING },
	{ "available", PGR_VPCE_AVAILABLE },
	{ "AVAILABLE", PGR_VPCE_AVAILABLE },
	{ "rejected", PGR_VPCE_REJECTED },
	{ "expired", PGR_VPCE_EXPIRED },
	{ "failed", PGR_VPCE_FAILED },
	{ "deleted", PGR_VPCE_DELETED },
	{ "deleting", PGR_VPCE_DELETING },
	{ "partial", PGR_VPCE_PARTIAL },
	{ "Partial", PGR_VPCE_PARTIAL },
	{ "PENDING", PGR_VPCE_PENDING },
	{ "Rejected", PGR_VPCE_REJECTED },
	{ "Expired", PGR_VPCE_EXPIRED },
	{ "FAILED", PGR_VPCE_FAILED },
	{ "Deleted", PGR_VPCE_DELETED },
	{ "Deleting", PGR_VPCE_DELETING },
	{ "pending acceptance", PGR_VPCE_PENDING_ACCEPTANCE },
	{ "partially", PGR_VPCE_UNKNOWN },
	{ "availableish", PGR_VPCE_UNKNOWN },
	{ "avail", PGR_VPCE_UNKNOWN },
	{ "", PGR_VPCE_UNKNOWN },
	{ NULL, PGR_VPCE_UNKNOWN },
};

START_TEST(test_state_parse)
{
	const struct state_case *c = &state_cases[_i];

	ck_assert_msg(pgr_vpce_state_parse(c->s) == c->state, "'%s'",
	    c->s ? c->s : "(null)");
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(pgr_evidence_type_name(PGR_EV_VPC_ENDPOINTS),
	    "vpc_endpoints");
	ck_assert_str_eq(pgr_evidence_type_name(PGR_EV_SECURITY_GROUPS),
	    "security_groups");
	ck_assert_str_eq(pgr_evidence_type_name(PGR_EV_PRIVATELINK),
	    "privatelink");
	ck_assert_str_eq(pgr_evidence_type_name(PGR_EV_HEROKU_CONFIG),
	    "heroku_config");
	ck_assert_str_eq(pgr_evidence_type_name((enum pgr_evidence_type)99),
	    "unknown");
	ck_assert_str_eq(pgr_vpce_state_name(PGR_VPCE_PENDING_ACCEPTANCE),
	    "pendingAcceptance");
	ck_assert_str_eq(pgr_vpce_state_name((enum pgr_vpce_state)99),
	    "unknown");
	ck_assert_str_eq(pgr_pl_status_name(PGR_PL_OPERATIONAL), "Operational");
	ck_assert_str_eq(pgr_pl_status_name(PGR_PL_PROVISIONING),
	    "Provisioning");
	ck_assert_str_eq(pgr_pl_status_name(PGR_PL_UNKNOWN), "unknown");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Security groups: pgr_sg_allows() */

struct sg_case {
	const char *files[2];	/* loaded in order; NULL ends */
	const char *client;
	int	port;
	int	rc;
	const char *why;	/* substring */
};

static const struct sg_case sg_cases[] = {
	/* 5432-5433 open to the lab VPC */
	{ { "sg-5432-5433.json" }, "10.0.0.10", 5432, 1,
	  LAB_SG " (pgreach-endpoint) allows tcp 5432-5433 from 10.0.0.0/16" },
	{ { "sg-5432-5433.json" }, "10.0.0.10", 5433, 1, "tcp 5432-5433" },
	{ { "sg-5432-5433.json" }, "10.0.0.10", 5434, 0,
	  "no inbound rule of " LAB_SG " (pgreach-endpoint) allows tcp 5434 "
	  "from 10.0.0.10" },
	{ { "sg-5432-5433.json" }, "10.1.0.10", 5432, 0,
	  "tcp 5432 is open only to 10.0.0.0/16" },
	{ { "sg-5432-5433.json" }, NULL, 5432, -1,
	  "open only to 10.0.0.0/16 (" LAB_SG " (pgreach-endpoint)); give the "
	  "client address" },
	{ { "sg-5432-5433.json" }, "::ffff:10.0.0.10", 5432, 1, "10.0.0.0/16" },
	{ { "sg-5432-5433.json" }, "2600:1f18::1", 5432, 0, "open only to" },
	/* only 5432: PgBouncer's 5433 is shut */
	{ { "sg-5432-only.json" }, "10.0.0.10", 5432, 1, "allows tcp 5432 from" },
	{ { "sg-5432-only.json" }, "10.0.0.10", 5433, 0,
	  "allows tcp 5433 from 10.0.0.10" },
	/* all traffic: ports do not matter */
	{ { "sg-all-traffic.json" }, "10.0.0.10", 5433, 1,
	  "allows all traffic from 10.0.0.0/8" },
	{ { "sg-all-traffic.json" }, "172.16.0.1", 5433, 0,
	  "open only to 10.0.0.0/8" },
	/* a CIDR that leaves the client out */
	{ { "sg-excludes-client.json" }, "10.0.0.10", 5432, 0,
	  "tcp 5432 is open only to 10.1.0.0/16" },
	{ { "sg-excludes-client.json" }, "192.168.10.77", 5433, 1,
	  "from 192.168.10.0/24" },
	{ { "sg-excludes-client.json" }, "10.0.0.10", 443, 1, "tcp 443" },
	/* references to other groups and prefix lists: cannot tell */
	{ { "sg-group-ref.json" }, "10.0.0.10", 5432, -1,
	  "only from security group sg-0aa1bb2cc3dd4ee5f" },
	{ { "sg-group-ref.json" }, NULL, 5432, -1, "whether the client is in it" },
	{ { "sg-group-ref.json" }, "10.0.0.10", 22, 0, "allows tcp 22" },
	{ { "sg-prefix-list.json" }, "10.0.0.10", 5433, -1,
	  "only from prefix list pl-0123abcd4567ef890" },
	/* open to the world, v4 and v6 */
	{ { "sg-open-world.json" }, NULL, 5432, 1, "from 0.0.0.0/0" },
	{ { "sg-open-world.json" }, "2600:1f18::1", 5433, 1, "from ::/0" },
	{ { "sg-open-world.json" }, "203.0.113.9", 5433, 1, "from 0.0.0.0/0" },
	/* protocol numbers: "6" is tcp, "17" is udp and does not count */
	{ { "sg-numeric-proto.json" }, "10.0.0.10", 5432, 1,
	  "tcp 5400-5500 from 10.0.0.10/32" },
	{ { "sg-numeric-proto.json" }, "10.0.0.11", 5432, 0,
	  "open only to 10.0.0.10/32" },
	{ { "sg-numeric-proto.json" }, NULL, 5432, -1, "10.0.0.10/32" },
	/* no inbound rules at all: EC2 denies */
	{ { "sg-no-ingress.json" }, "10.0.0.10", 5432, 0, "no inbound rule" },
	{ { "sg-no-ingress.json" }, NULL, 5432, 0, "from anywhere" },
	{ { "sg-ipv6.json" }, "2600:1f18:abcd:12ff::5", 5432, 1,
	  "2600:1f18:abcd:1200::/56" },
	{ { "sg-ipv6.json" }, "2600:1f18:abcd:1300::5", 5432, 0, "open only" },
	{ { "sg-ipv6.json" }, "10.0.0.10", 5432, 0, "open only" },
	/* prefixes that end inside a byte */
	{ { "sg-odd-prefix.json" }, "172.31.15.200", 5432, 1, "172.31.0.0/20" },
	{ { "sg-odd-prefix.json" }, "172.31.16.1", 5432, 0, "open only" },
	{ { "sg-odd-prefix.json" }, "172.30.15.200", 5432, 0, "open only" },
	{ { "sg-odd-prefix.json" }, "2600:1f18:abcd:12ff::1", 5433, 1,
	  "2600:1f18:abcd:1280::/57" },
	{ { "sg-odd-prefix.json" }, "2600:1f18:abcd:127f::1", 5433, 0,
	  "open only" },
	/* without endpoint evidence every group counts... */
	{ { "sg-two-groups.json" }, "10.0.0.10", 5432, 1,
	  "sg-0bb2cc3dd4ee5ff60 (default) allows all traffic" },
	/* ...with it, only the endpoint's own groups do */
	{ { "vpce-available.json", "sg-two-groups.json" }, "10.0.0.10", 5432, 0,
	  "no inbound rule of " LAB_SG " (pgreach-endpoint) allows tcp 5432" },
	{ { "sg-5432-5433.json", "vpce-available.json" }, "10.0.0.10", 5433, 1,
	  "allows tcp 5432-5433" },
	/* no security-group evidence, or not the endpoint's groups */
	{ { "vpce-available.json" }, "10.0.0.10", 5432, -1,
	  "no describe-security-groups evidence" },
	{ { NULL }, "10.0.0.10", 5432, -1, "no describe-security-groups" },
	/* bad arguments */
	{ { "sg-5432-5433.json" }, "10.0.0", 5432, -1, "not an IP address" },
	{ { "sg-5432-5433.json" }, "db.example.com", 5432, -1,
	  "not an IP address" },
	{ { "sg-5432-5433.json" }, "10.0.0.10", 0, -1, "not a TCP port" },
	{ { "sg-5432-5433.json" }, "10.0.0.10", 65536, -1, "not a TCP port" },
};

START_TEST(test_sg)
{
	const struct sg_case *c = &sg_cases[_i];
	struct pgr_evidence ev = { 0 };
	char path[1024], why[512];
	size_t i;
	int rc;

	for (i = 0; i < 2 && c->files[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/evidence/%s", FIXTURES,
		    c->files[i]);
		load_ok(&ev, path);
	}
	memset(why, 'x', sizeof(why));
	rc = pgr_sg_allows(&ev, c->client, c->port, why, sizeof(why));
	ck_assert_msg(rc == c->rc, "case %d: rc %d, expected %d (%s)", _i, rc,
	    c->rc, why);
	ck_assert_msg(strstr(why, c->why) != NULL, "case %d: '%s' lacks '%s'",
	    _i, why, c->why);
	pgr_evidence_free(&ev);
}
END_TEST

START_TEST(test_sg_edges)
{
	static const char missing[] = "{\"SecurityGroups\":[{\"GroupId\":"
	    "\"sg-0999\",\"IpPermissions\":[{\"IpProtocol\":\"tcp\","
	    "\"FromPort\":5432,\"ToPort\":5433,\"IpRanges\":[{\"CidrIp\":"
	    "\"0.0.0.0/0\"}]}]}]}";
	static const char weird[] = "{\"SecurityGroups\":[{\"GroupId\":"
	    "\"sg-1\",\"IpPermissions\":[{\"IpProtocol\":\"tcp\",\"FromPort\":"
	    "5432,\"ToPort\":5433,\"IpRanges\":[{\"CidrIp\":\"10.0.0.0/33\"},"
	    "{\"CidrIp\":\"bogus\"},{\"CidrIp\":\"10.0.0.10\"},{\"Nope\":1}]},"
	    "{\"IpProtocol\":\"gre\",\"IpRanges\":[{\"CidrIp\":\"0.0.0.0/0\"}]},"
	    "7]}], \"Extra\": true}";
	static const char empty[] = "{\"SecurityGroups\":[]}";
	struct pgr_evidence ev = { 0 };
	const struct pgr_sg *g;
	char err[256], why[256];

	/* groups of another VPC endpoint: cannot tell */
	load_ok(&ev, EV("vpce-available.json"));
	ck_assert_int_eq(pgr_evidence_load_buffer(&ev, "other-sg", missing,
	    strlen(missing), err, sizeof(err)), 0);
	ck_assert_int_eq(pgr_sg_allows(&ev, "10.0.0.10", 5432, why,
	    sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "endpoint's security groups (" LAB_SG
	    ") are not in"));
	pgr_evidence_free(&ev);

	/* bad CIDRs never match; a bare address is one host; unknown protocol */
	ck_assert_int_eq(pgr_evidence_load_buffer(&ev, "weird", weird,
	    strlen(weird), err, sizeof(err)), 0);
	g = &ev.items[0].u.groups.v[0];
	ck_assert_uint_eq(g->nrules, 4);
	ck_assert_int_eq(g->rules[0].prefix_len, -1);
	ck_assert_int_eq(g->rules[1].prefix_len, -1);
	ck_assert_int_eq(g->rules[2].prefix_len, 32);
	ck_assert_int_eq(g->rules[3].protocol, -2);
	ck_assert_str_eq(g->rules[3].protocol_raw, "gre");
	ck_assert_int_eq(pgr_sg_allows(&ev, "10.0.0.10", 5432, why,
	    sizeof(why)), 1);
	ck_assert_int_eq(pgr_sg_allows(&ev, "10.0.0.11", 5432, why,
	    sizeof(why)), 0);
	/* a NULL why is allowed */
	ck_assert_int_eq(pgr_sg_allows(&ev, "10.0.0.10", 5432, NULL, 0), 1);
	pgr_evidence_free(&ev);

	ck_assert_int_eq(pgr_evidence_load_buffer(&ev, "empty", empty,
	    strlen(empty), err, sizeof(err)), 0);
	ck_assert_int_eq(pgr_sg_allows(&ev, "10.0.0.10", 5432, why,
	    sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "lists no groups"));
	pgr_evidence_free(&ev);
	ck_assert_int_eq(pgr_sg_allows(NULL, NULL, 5432, why, sizeof(why)), -1);
}
END_TEST

/*
 * Two endpoints in the evidence (--aws for two targets, or a listing),
 * each with its own group: the union allows, each endpoint's verdict is
 * its own group's.
 */
START_TEST(test_sg_per_endpoint)
{
	static const char vpces[] = "{\"VpcEndpoints\":["
	    "{\"VpcEndpointId\":\"vpce-0aaa\",\"State\":\"available\","
	    "\"Groups\":[{\"GroupId\":\"sg-0open\"}]},"
	    "{\"VpcEndpointId\":\"vpce-0bbb\",\"State\":\"available\","
	    "\"Groups\":[{\"GroupId\":\"sg-0shut\"}]}]}";
	static const char groups[] = "{\"SecurityGroups\":["
	    "{\"GroupId\":\"sg-0open\",\"IpPermissions\":[{\"IpProtocol\":\"tcp\","
	    "\"FromPort\":5432,\"ToPort\":5433,\"IpRanges\":[{\"CidrIp\":\"10.0.0.0/16\"}]}]},"
	    "{\"GroupId\":\"sg-0shut\",\"IpPermissions\":[{\"IpProtocol\":\"tcp\","
	    "\"FromPort\":443,\"ToPort\":443,\"IpRanges\":[{\"CidrIp\":\"10.0.0.0/16\"}]}]}]}";
	struct pgr_evidence ev = { 0 };
	char err[256], why[256];

	ck_assert_int_eq(pgr_evidence_load_buffer(&ev, "vpces", vpces, strlen(vpces),
	    err, sizeof(err)), 0);
	ck_assert_int_eq(pgr_evidence_load_buffer(&ev, "groups", groups, strlen(groups),
	    err, sizeof(err)), 0);
	ck_assert_int_eq(pgr_sg_allows(&ev, "10.0.0.10", 5432, why, sizeof(why)), 1);
	ck_assert_int_eq(pgr_sg_allows_vpce(&ev, pgr_evidence_find_vpce(&ev, "vpce-0aaa"),
	    "10.0.0.10", 5432, why, sizeof(why)), 1);
	ck_assert_int_eq(pgr_sg_allows_vpce(&ev, pgr_evidence_find_vpce(&ev, "vpce-0bbb"),
	    "10.0.0.10", 5432, why, sizeof(why)), 0);
	ck_assert_ptr_nonnull(strstr(why, "sg-0shut"));
	ck_assert_ptr_null(strstr(why, "sg-0open"));
	ck_assert_int_eq(pgr_sg_allows_vpce(&ev, NULL, "10.0.0.10", 5432, why,
	    sizeof(why)), 1);
	pgr_evidence_free(&ev);
}
END_TEST

/* --aws's hosts: which calls item and endpoint a target host stands for. */
START_TEST(test_aws_host_lookup)
{
	static const char vpces[] = "{\"VpcEndpoints\":["
	    "{\"VpcEndpointId\":\"vpce-0aaa\",\"State\":\"available\"},"
	    "{\"VpcEndpointId\":\"vpce-0bbb\",\"State\":\"pendingAcceptance\"}]}";
	struct pgr_evidence ev = { 0 };
	const struct pgr_aws_host *hm;
	struct pgr_evidence_item *it;
	char err[256];

	ck_assert(pgr_evidence_same_host("DB.Example.Internal.", "db.example.internal"));
	ck_assert(!pgr_evidence_same_host("db.example.internal.x", "db.example.internal"));
	ck_assert(!pgr_evidence_same_host("db.example", "db.example.internal"));
	ck_assert_ptr_null(pgr_evidence_aws_host(&ev, "x", &hm));
	ck_assert_int_eq(pgr_evidence_load_buffer(&ev, "vpces", vpces, strlen(vpces),
	    err, sizeof(err)), 0);
	/* two regions' calls items: the host is in the second */
	ev.items = reallocarray(ev.items, ev.n + 2, sizeof(*ev.items));
	ck_assert_ptr_nonnull(ev.items);
	memset(&ev.items[ev.n], 0, 2 * sizeof(*ev.items));
	it = &ev.items[ev.n++];
	it->type = PGR_EV_AWS_CALLS;
	snprintf(it->u.aws.region, sizeof(it->u.aws.region), "us-east-1");
	it = &ev.items[ev.n++];
	it->type = PGR_EV_AWS_CALLS;
	snprintf(it->u.aws.region, sizeof(it->u.aws.region), "us-west-2");
	it->u.aws.nhosts = 2;
	snprintf(it->u.aws.hosts[0].host, sizeof(it->u.aws.hosts[0].host), "db.example.internal");
	snprintf(it->u.aws.hosts[0].endpoint_id, sizeof(it->u.aws.hosts[0].endpoint_id), "vpce-0bbb");
	snprintf(it->u.aws.hosts[1].host, sizeof(it->u.aws.hosts[1].host), "10.0.0.9");
	snprintf(it->u.aws.hosts[1].why, sizeof(it->u.aws.hosts[1].why), "none");
	ck_assert_str_eq(pgr_evidence_aws_host(&ev, "DB.example.internal.", &hm)->region,
	    "us-west-2");
	ck_assert_ptr_nonnull(hm);
	ck_assert_str_eq(hm->endpoint_id, "vpce-0bbb");
	ck_assert_str_eq(pgr_evidence_vpce_for(&ev, "db.example.internal", NULL)->id,
	    "vpce-0bbb");
	/* the ID in the name wins; a host matched to nothing stands for none */
	ck_assert_str_eq(pgr_evidence_vpce_for(&ev, "db.example.internal", "vpce-0aaa")->id,
	    "vpce-0aaa");
	ck_assert_ptr_null(pgr_evidence_vpce_for(&ev, "10.0.0.9", NULL));
	/* a host --aws did not look up: the first calls item, no entry */
	ck_assert_str_eq(pgr_evidence_aws_host(&ev, "other", &hm)->region, "us-east-1");
	ck_assert_ptr_null(hm);
	ck_assert_ptr_null(pgr_evidence_vpce_for(&ev, "other", NULL));
	pgr_evidence_free(&ev);
}
END_TEST

START_TEST(test_sg_rules_parsed)
{
	struct pgr_evidence ev = { 0 };
	const struct pgr_sg *g;

	load_ok(&ev, EV("sg-open-world.json"));
	g = &ev.items[0].u.groups.v[0];
	ck_assert_str_eq(g->id, LAB_SG);
	ck_assert_str_eq(g->vpc_id, "vpc-0c1d2e3f4a5b6c7d8");
	/* inbound only: the egress rule is not among them */
	ck_assert_uint_eq(g->nrules, 2);
	ck_assert_int_eq(g->rules[0].source_type, PGR_SG_CIDR4);
	ck_assert_int_eq(g->rules[0].family, 4);
	ck_assert_int_eq(g->rules[0].prefix_len, 0);
	ck_assert_int_eq(g->rules[1].source_type, PGR_SG_CIDR6);
	ck_assert_int_eq(g->rules[1].family, 6);
	ck_assert_int_eq(g->rules[1].protocol, 6);
	ck_assert_int_eq(g->rules[1].from_port, 5432);
	ck_assert_int_eq(g->rules[1].to_port, 5433);
	pgr_evidence_free(&ev);

	load_ok(&ev, EV("sg-all-traffic.json"));
	g = &ev.items[0].u.groups.v[0];
	ck_assert_int_eq(g->rules[0].protocol, -1);
	ck_assert_str_eq(g->rules[0].protocol_raw, "-1");
	ck_assert_int_eq(g->rules[0].from_port, -1);
	pgr_evidence_free(&ev);

	load_ok(&ev, EV("sg-group-ref.json"));
	g = &ev.items[0].u.groups.v[0];
	ck_assert_int_eq(g->rules[0].source_type, PGR_SG_GROUP);
	ck_assert_str_eq(g->rules[0].source, "sg-0aa1bb2cc3dd4ee5f");
	ck_assert_int_eq(g->rules[0].family, 0);
	pgr_evidence_free(&ev);
}
END_TEST

/* ------------------------------------------------------------------ */
/* heroku data:privatelink */

struct pl_case {
	const char *file;
	enum pgr_pl_status status;
	const char *status_raw;		/* NULL: none */
	const char *database;
	const char *service;		/* NULL: none */
	const char *region;
	size_t	naccounts;
	const char *account;		/* first account's id */
	enum pgr_pl_account_status account_status;
	size_t	nconnections;
	enum pgr_vpce_state conn_state;	/* of the first connection */
	const char *conn_raw;
};

static const struct pl_case pl_cases[] = {
	{ "privatelink-operational.txt", PGR_PL_OPERATIONAL, "Operational",
	  "postgresql-sushi-12345", LAB_SERVICE, "us-east-1", 1, "123456789012",
	  PGR_PL_ACCOUNT_ACTIVE, 1, PGR_VPCE_AVAILABLE, "Available" },
	{ "privatelink-pending-account.txt", PGR_PL_OPERATIONAL, "Operational",
	  "postgresql-sushi-12345", LAB_SERVICE, "us-east-1", 1, "123456789012",
	  PGR_PL_ACCOUNT_PENDING, 0, 0, NULL },
	{ "privatelink-provisioning.txt", PGR_PL_PROVISIONING, "Provisioning",
	  "postgresql-sushi-12345", NULL, "", 0, NULL, 0, 0, 0, NULL },
	{ "privatelink-provisioning-crlf.txt", PGR_PL_PROVISIONING,
	  "Provisioning", "privatelink-sushi-12345", NULL, "", 2, "123456789012",
	  PGR_PL_ACCOUNT_PENDING, 0, 0, NULL },
	{ "privatelink-color-boxed.txt", PGR_PL_OPERATIONAL, "Operational",
	  "postgresql-sushi-12345", LAB_SERVICE, "us-east-1", 1, "123456789012",
	  PGR_PL_ACCOUNT_ACTIVE, 2, PGR_VPCE_PENDING_ACCEPTANCE,
	  "Pending Acceptance" },
	{ "privatelink-us-west-2.txt", PGR_PL_OPERATIONAL, "Operational",
	  "privatelink-sushi-67890",
	  "com.amazonaws.vpce.us-west-2.vpce-svc-0fedcba9876543210", "us-west-2",
	  1, "123456789012", PGR_PL_ACCOUNT_ACTIVE, 1, PGR_VPCE_AVAILABLE,
	  "available" },
	{ "privatelink-access.txt", PGR_PL_UNKNOWN, NULL, NULL, NULL, "", 2,
	  "123456789012", PGR_PL_ACCOUNT_ACTIVE, 0, 0, NULL },
	/* The Connections table's states, as Heroku words them */
	{ "privatelink-connections-pending.txt", PGR_PL_OPERATIONAL, "Operational",
	  "postgresql-sushi-12345", LAB_SERVICE, "us-east-1", 1, "123456789012",
	  PGR_PL_ACCOUNT_ACTIVE, 1, PGR_VPCE_PENDING_ACCEPTANCE, "Pending Acceptance" },
	{ "privatelink-connections-rejected.txt", PGR_PL_OPERATIONAL, "Operational",
	  "postgresql-sushi-12345", LAB_SERVICE, "us-east-1", 1, "123456789012",
	  PGR_PL_ACCOUNT_ACTIVE, 2, PGR_VPCE_REJECTED, "Rejected" },
	/* The plugin before June 2020: "Whitelisted Accounts", Status first */
	{ "privatelink-whitelisted-2019.txt", PGR_PL_OPERATIONAL, "Operational",
	  "postgresql-sushi-12345", LAB_SERVICE, "us-east-1", 1, "123456789012",
	  PGR_PL_ACCOUNT_PENDING, 0, 0, NULL },
	{ "privatelink-whitelisted-connections.txt", PGR_PL_OPERATIONAL, "Operational",
	  "postgresql-sushi-12345", LAB_SERVICE, "us-east-1", 1, "123456789012",
	  PGR_PL_ACCOUNT_ACTIVE, 1, PGR_VPCE_PENDING_ACCEPTANCE, "pending acceptance" },
};

#define STR_OR_NULL(got, want) do {					\
	if ((want) == NULL)						\
		ck_assert_ptr_null(got);				\
	else {								\
		ck_assert_ptr_nonnull(got);				\
		ck_assert_str_eq(got, want);				\
	}								\
} while (0)

START_TEST(test_privatelink)
{
	const struct pl_case *c = &pl_cases[_i];
	struct pgr_evidence ev = { 0 };
	const struct pgr_ev_privatelink *pl;
	char path[1024];

	snprintf(path, sizeof(path), "%s/evidence/%s", FIXTURES, c->file);
	load_ok(&ev, path);
	pl = &ev.items[0].u.privatelink;
	ck_assert_int_eq(pl->status, c->status);
	STR_OR_NULL(pl->status_raw, c->status_raw);
	STR_OR_NULL(pl->database, c->database);
	STR_OR_NULL(pl->service_name, c->service);
	ck_assert_str_eq(pl->region, c->region);
	ck_assert_uint_eq(pl->naccounts, c->naccounts);
	if (c->naccounts > 0) {
		ck_assert_str_eq(pl->accounts[0].account_id, c->account);
		ck_assert_str_eq(pl->accounts[0].arn,
		    "arn:aws:iam::123456789012:root");
		ck_assert_int_eq(pl->accounts[0].status, c->account_status);
	}
	ck_assert_uint_eq(pl->nconnections, c->nconnections);
	if (c->nconnections > 0) {
		ck_assert_str_eq(pl->connections[0].endpoint_id, LAB_VPCE);
		ck_assert_int_eq(pl->connections[0].state, c->conn_state);
		ck_assert_str_eq(pl->connections[0].status_raw, c->conn_raw);
	}
	pgr_evidence_free(&ev);
}
END_TEST

START_TEST(test_privatelink_details)
{
	struct pgr_evidence ev = { 0 };
	const struct pgr_ev_privatelink *pl;

	load_ok(&ev, EV("privatelink-color-boxed.txt"));
	pl = &ev.items[0].u.privatelink;
	ck_assert_str_eq(pl->connections[0].owner_arn,
	    "arn:aws:iam::123456789012:root");
	ck_assert_str_eq(pl->connections[1].endpoint_id,
	    "vpce-0fedcba9876543210");
	ck_assert_int_eq(pl->connections[1].state, PGR_VPCE_REJECTED);
	ck_assert_str_eq(pl->accounts[0].status_raw, "Active");
	pgr_evidence_free(&ev);

	load_ok(&ev, EV("privatelink-provisioning-crlf.txt"));
	pl = &ev.items[0].u.privatelink;
	ck_assert_str_eq(pl->accounts[1].account_id, "210987654321");
	ck_assert_int_eq(pl->accounts[1].status, PGR_PL_ACCOUNT_ACTIVE);
	pgr_evidence_free(&ev);

	load_ok(&ev, EV("privatelink-us-west-2.txt"));
	pl = &ev.items[0].u.privatelink;
	ck_assert_ptr_null(pl->connections[0].owner_arn);
	pgr_evidence_free(&ev);

	/* Another endpoint of the same database, Available */
	load_ok(&ev, EV("privatelink-connections-rejected.txt"));
	pl = &ev.items[0].u.privatelink;
	ck_assert_str_eq(pl->connections[1].endpoint_id, "vpce-0fedcba9876543210");
	ck_assert_int_eq(pl->connections[1].state, PGR_VPCE_AVAILABLE);
	pgr_evidence_free(&ev);
}
END_TEST

/* ------------------------------------------------------------------ */
/* heroku config and its secrets */

struct cfg_case {
	const char *file;
	const char *app;		/* NULL: no header */
	size_t	nvars;
	size_t	nurls;
	const char *password;		/* must appear nowhere but .url */
};

static const struct cfg_case cfg_cases[] = {
	{ "config-styled.txt", "pgreach-lab", 7, 3, "FAKE-pw-not-real-0001" },
	{ "config-shell.txt", NULL, 7, 3, "FAKE-pw-not-real-0002" },
	{ "config-json.json", NULL, 3, 2, "FAKE-pw-not-real-0003" },
	{ "config-no-database.txt", "pgreach-lab", 2, 0, "FAKE-pw" },
};

static const struct pgr_ev_dburl *
find_url(const struct pgr_ev_heroku_config *c, const char *key)
{
	size_t i;

	for (i = 0; i < c->nurls; i++)
		if (strcmp(c->urls[i].key, key) == 0)
			return &c->urls[i];
	return NULL;
}

static void
check_sha256(const struct pgr_evidence_item *it)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n, i;
	char hex[65];

	ck_assert_int_eq(EVP_Digest(it->content, it->content_len, md, &n,
	    EVP_sha256(), NULL), 1);
	for (i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	ck_assert_str_eq(it->sha256, hex);
}

START_TEST(test_config)
{
	const struct cfg_case *c = &cfg_cases[_i];
	struct pgr_evidence ev = { 0 };
	const struct pgr_ev_heroku_config *cfg;
	const struct pgr_ev_dburl *u;
	const struct pgr_evidence_item *it;
	char path[1024];
	size_t i;

	snprintf(path, sizeof(path), "%s/evidence/%s", FIXTURES, c->file);
	load_ok(&ev, path);
	it = &ev.items[0];
	cfg = &it->u.config;
	STR_OR_NULL(cfg->app, c->app);
	ck_assert_uint_eq(cfg->nvars, c->nvars);
	ck_assert_uint_eq(cfg->nurls, c->nurls);

	/* The bundle copy and every printable field are free of the password. */
	ck_assert_ptr_null(strstr(it->content, c->password));
	ck_assert_ptr_null(strstr(it->content, "FAKE-secret"));
	ck_assert_ptr_null(strstr(it->content, "MIIFAKE"));
	ck_assert_uint_eq(strlen(it->content), it->content_len);
	check_sha256(it);
	for (i = 0; i < cfg->nurls; i++) {
		ck_assert_ptr_null(strstr(cfg->urls[i].redacted, c->password));
		ck_assert_ptr_null(strstr(cfg->urls[i].key, c->password));
		ck_assert_ptr_nonnull(strstr(cfg->urls[i].redacted, "REDACTED"));
		ck_assert_ptr_nonnull(strstr(cfg->urls[i].url, c->password));
		ck_assert_ptr_nonnull(strstr(it->content, cfg->urls[i].redacted));
	}
	if (c->nurls == 0) {
		ck_assert_ptr_null(pgr_evidence_db_url(&ev, "DATABASE_URL"));
		pgr_evidence_free(&ev);
		return;
	}
	u = find_url(cfg, "DATABASE_ENDPOINT_0A1B2C3D4E5F60718_URL");
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(u->kind, PGR_DBURL_ENDPOINT);
	ck_assert_str_eq(u->endpoint, "0A1B2C3D4E5F60718");
	ck_assert_str_eq(u->redacted, "postgres://u1a2b3c4d5e6f:REDACTED@"
	    LAB_HOST ":5432/d9f8e7c6b5a4");
	ck_assert_ptr_eq(pgr_evidence_db_url(&ev, u->key), u->url);
	ck_assert_ptr_nonnull(strstr(pgr_evidence_db_url(&ev, "DATABASE_URL"),
	    c->password));
	ck_assert_int_eq(find_url(cfg, "DATABASE_URL")->kind,
	    PGR_DBURL_DATABASE);
	ck_assert_ptr_null(find_url(cfg, "DATABASE_URL")->endpoint);
	ck_assert_ptr_null(pgr_evidence_db_url(&ev, "LANG"));
	ck_assert_ptr_null(pgr_evidence_db_url(&ev, "database_url"));
	pgr_evidence_free(&ev);
}
END_TEST

START_TEST(test_config_forms)
{
	struct pgr_evidence ev = { 0 };
	const struct pgr_ev_dburl *u;

	load_ok(&ev, EV("config-styled.txt"));
	u = find_url(&ev.items[0].u.config,
	    "DATABASE_ENDPOINT_0A1B2C3D4E5F60718_PGBOUNCER_URL");
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(u->kind, PGR_DBURL_ENDPOINT_PGBOUNCER);
	ck_assert_str_eq(u->endpoint, "0A1B2C3D4E5F60718");
	ck_assert_str_eq(u->url, "postgres://u1a2b3c4d5e6f:FAKE-pw-not-real-"
	    "0001@" LAB_HOST ":5433/d9f8e7c6b5a4");
	ck_assert_str_eq(ev.items[0].content, "=== pgreach-lab Config Vars\n"
	    "DATABASE_ENDPOINT_0A1B2C3D4E5F60718_PGBOUNCER_URL: postgres://"
	    "u1a2b3c4d5e6f:REDACTED@" LAB_HOST ":5433/d9f8e7c6b5a4\n"
	    "DATABASE_ENDPOINT_0A1B2C3D4E5F60718_URL: postgres://"
	    "u1a2b3c4d5e6f:REDACTED@" LAB_HOST ":5432/d9f8e7c6b5a4\n"
	    "DATABASE_URL: postgres://u1a2b3c4d5e6f:REDACTED@ec2-0-0-0-0."
	    "compute-1.amazonaws.com:5432/d9f8e7c6b5a4\n"
	    "LANG: REDACTED\nRAILS_ENV: REDACTED\nSECRET_KEY_BASE: REDACTED\n"
	    "TLS_CA_BUNDLE: REDACTED\n");
	pgr_evidence_free(&ev);

	/* --shell quoting, unquoted and single-quoted URLs alike */
	load_ok(&ev, EV("config-shell.txt"));
	u = find_url(&ev.items[0].u.config, "DATABASE_URL");
	ck_assert_str_eq(u->url, "postgres://u1a2b3c4d5e6f:FAKE-pw-not-real-"
	    "0002@ec2-0-0-0-0.compute-1.amazonaws.com:5432/d9f8e7c6b5a4");
	u = find_url(&ev.items[0].u.config,
	    "DATABASE_ENDPOINT_0A1B2C3D4E5F60718_URL");
	ck_assert_str_eq(u->redacted, "postgres://u1a2b3c4d5e6f:REDACTED@"
	    LAB_HOST ":5432/d9f8e7c6b5a4");
	pgr_evidence_free(&ev);

	/* --json: a query string may carry password=, so it goes too */
	load_ok(&ev, EV("config-json.json"));
	u = find_url(&ev.items[0].u.config, "DATABASE_URL");
	ck_assert_str_eq(u->redacted, "postgres://u1a2b3c4d5e6f:REDACTED@"
	    "ec2-0-0-0-0.compute-1.amazonaws.com:5432/d9f8e7c6b5a4?REDACTED");
	pgr_evidence_free(&ev);
}
END_TEST

struct redact_case {
	const char *line;	/* one heroku config line */
	const char *url;	/* what the URL must read */
	const char *redacted;
};

static const struct redact_case redact_cases[] = {
	{ "DATABASE_URL: postgres://u:p@h:5432/d", "postgres://u:p@h:5432/d",
	  "postgres://u:REDACTED@h:5432/d" },
	{ "DATABASE_URL: postgresql://u@h/d", "postgresql://u@h/d",
	  "postgresql://u@h/d" },
	{ "DATABASE_URL: postgres://h/d", "postgres://h/d", "postgres://h/d" },
	{ "DATABASE_URL: postgres://u:p@ss:w@rd@h/d", "postgres://u:p@ss:w@rd@h/d",
	  "postgres://u:REDACTED@h/d" },
	{ "DATABASE_URL: postgres://u:p@h/d?password=p#frag",
	  "postgres://u:p@h/d?password=p#frag", "postgres://u:REDACTED@h/d?REDACTED" },
	{ "DATABASE_URL: postgres://u:p@h?sslmode=require",
	  "postgres://u:p@h?sslmode=require", "postgres://u:REDACTED@h?REDACTED" },
	{ "DATABASE_URL: host=h password=p", "host=h password=p", "REDACTED" },
	/* unencoded '/', '?', '#' in a password: malformed, still hidden */
	{ "DATABASE_URL: postgres://u:pa/ss@h/d", "postgres://u:pa/ss@h/d",
	  "postgres://u:REDACTED@h/d" },
	{ "DATABASE_URL: postgres://u:p?s#s@h:5432/d", "postgres://u:p?s#s@h:5432/d",
	  "postgres://u:REDACTED@h:5432/d" },
	{ "DATABASE_URL: postgres://u:p@h/d?application_name=a@b",
	  "postgres://u:p@h/d?application_name=a@b", "postgres://u:REDACTED@b" },
	{ "DATABASE_URL: postgres://u:p%40ss@h/d", "postgres://u:p%40ss@h/d",
	  "postgres://u:REDACTED@h/d" },
	{ "DATABASE_URL: postgres://:p@h/d", "postgres://:p@h/d",
	  "postgres://:REDACTED@h/d" },
	{ "DATABASE_URL:", "", "REDACTED" },
	{ "DATABASE_URL='a b'\\''c'", "a b'c", "REDACTED" },
	{ "DATABASE_URL=\"x\\\"y\\\\z\\$\"", "x\"y\\z$", "REDACTED" },
	{ "DATABASE_URL=a\\ b", "a b", "REDACTED" },
	/* inside double quotes sh keeps a backslash before an ordinary char */
	{ "DATABASE_URL=\"C:\\path x\" ignored", "C:\\path x", "REDACTED" },
	{ "export DATABASE_URL=postgres://u:p@h/d", "postgres://u:p@h/d",
	  "postgres://u:REDACTED@h/d" },
	{ "DATABASE_URL=postgres://u:p@h/d trailing", "postgres://u:p@h/d",
	  "postgres://u:REDACTED@h/d" },
	{ "DATABASE_URL='unterminated", "unterminated", "REDACTED" },
	{ "DATABASE_ENDPOINT_X_Y_PGBOUNCER_URL=postgres://u:p@h:5433/d",
	  "postgres://u:p@h:5433/d", "postgres://u:REDACTED@h:5433/d" },
};

START_TEST(test_redact)
{
	const struct redact_case *c = &redact_cases[_i];
	struct pgr_evidence ev = { 0 };
	const struct pgr_ev_heroku_config *cfg;
	char err[256];

	ck_assert_msg(pgr_evidence_load_buffer(&ev, "line", c->line,
	    strlen(c->line), err, sizeof(err)) == 0, "%s: %s", c->line, err);
	cfg = &ev.items[0].u.config;
	ck_assert_uint_eq(cfg->nurls, 1);
	ck_assert_str_eq(cfg->urls[0].url, c->url);
	ck_assert_str_eq(cfg->urls[0].redacted, c->redacted);
	pgr_evidence_free(&ev);
}
END_TEST

struct dbkey_case {
	const char *key;
	bool	db;
	enum pgr_dburl_kind kind;
	const char *endpoint;
};

static const struct dbkey_case dbkey_cases[] = {
	{ "DATABASE_URL", true, PGR_DBURL_DATABASE, NULL },
	{ "DATABASE_ENDPOINT_A_URL", true, PGR_DBURL_ENDPOINT, "A" },
	{ "DATABASE_ENDPOINT_A_PGBOUNCER_URL", true,
	  PGR_DBURL_ENDPOINT_PGBOUNCER, "A" },
	/* "PGBOUNCER" is the <ID> here: there is nothing before _URL's ID */
	{ "DATABASE_ENDPOINT_PGBOUNCER_URL", true, PGR_DBURL_ENDPOINT,
	  "PGBOUNCER" },
	{ "DATABASE_ENDPOINT__URL", false, 0, NULL },
	{ "DATABASE_ENDPOINT_URL", false, 0, NULL },
	{ "DATABASE_ENDPOINT_A", false, 0, NULL },
	{ "DATABASE_URLS", false, 0, NULL },
	{ "HEROKU_POSTGRESQL_RED_URL", false, 0, NULL },
	{ "database_url", false, 0, NULL },
};

START_TEST(test_dbkey)
{
	const struct dbkey_case *c = &dbkey_cases[_i];
	struct pgr_evidence ev = { 0 };
	const struct pgr_ev_heroku_config *cfg;
	char line[128], err[256];

	snprintf(line, sizeof(line), "%s=postgres://u:p@h/d", c->key);
	ck_assert_int_eq(pgr_evidence_load_buffer(&ev, "key", line,
	    strlen(line), err, sizeof(err)), 0);
	cfg = &ev.items[0].u.config;
	ck_assert_uint_eq(cfg->nvars, 1);
	ck_assert_uint_eq(cfg->nurls, c->db ? 1 : 0);
	if (c->db) {
		ck_assert_int_eq(cfg->urls[0].kind, c->kind);
		STR_OR_NULL(cfg->urls[0].endpoint, c->endpoint);
	}
	pgr_evidence_free(&ev);
}
END_TEST

/* The bundle copy of a config loads again, as the same vars, still redacted. */
START_TEST(test_config_reload)
{
	struct pgr_evidence ev = { 0 }, again = { 0 };
	const struct pgr_evidence_item *it;
	char err[256];

	load_ok(&ev, EV("config-shell.txt"));
	it = &ev.items[0];
	ck_assert_int_eq(pgr_evidence_load_buffer(&again, "bundle", it->content,
	    it->content_len, err, sizeof(err)), 0);
	ck_assert_int_eq(again.items[0].type, PGR_EV_HEROKU_CONFIG);
	ck_assert_uint_eq(again.items[0].u.config.nvars, it->u.config.nvars);
	ck_assert_uint_eq(again.items[0].u.config.nurls, it->u.config.nurls);
	ck_assert_str_eq(again.items[0].u.config.urls[0].url,
	    it->u.config.urls[0].redacted);
	ck_assert_str_eq(again.items[0].content, it->content);
	ck_assert_str_eq(again.items[0].sha256, it->sha256);
	pgr_evidence_free(&again);
	pgr_evidence_free(&ev);
}
END_TEST

/* Other types keep the file as read: the digest is the file's own. */
START_TEST(test_content_verbatim)
{
	static const char *files[] = { EV("vpce-available.json"),
	    EV("privatelink-provisioning-crlf.txt"), EV("sg-ipv6.json") };
	struct pgr_evidence ev = { 0 };
	size_t i, len;
	char *raw;

	for (i = 0; i < 3; i++) {
		load_ok(&ev, files[i]);
		raw = slurp(files[i], &len);
		ck_assert_uint_eq(ev.items[i].content_len, len);
		ck_assert(memcmp(ev.items[i].content, raw, len) == 0);
		check_sha256(&ev.items[i]);
		free(raw);
	}
	ck_assert_uint_eq(ev.n, 3);
	pgr_evidence_free(&ev);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Several files in one evidence set */

START_TEST(test_multi)
{
	struct pgr_evidence ev = { 0 };
	char err[256];

	load_ok(&ev, EV("vpce-pending-acceptance.json"));
	load_ok(&ev, EV("sg-5432-only.json"));
	load_ok(&ev, EV("privatelink-pending-account.txt"));
	load_ok(&ev, EV("config-styled.txt"));
	ck_assert_uint_eq(ev.n, 4);
	/* a failed load leaves the set as it was */
	ck_assert_int_eq(pgr_evidence_load(&ev, EV("bad-truncated.json"), err,
	    sizeof(err)), -1);
	ck_assert_uint_eq(ev.n, 4);
	ck_assert_int_eq(ev.items[0].type, PGR_EV_VPC_ENDPOINTS);
	ck_assert_int_eq(ev.items[3].type, PGR_EV_HEROKU_CONFIG);
	ck_assert_int_eq(pgr_evidence_find_vpce(&ev, LAB_VPCE)->state,
	    PGR_VPCE_PENDING_ACCEPTANCE);
	ck_assert_ptr_nonnull(pgr_evidence_db_url(&ev,
	    "DATABASE_ENDPOINT_0A1B2C3D4E5F60718_PGBOUNCER_URL"));
	ck_assert_int_eq(pgr_sg_allows(&ev, "10.0.0.10", 5433, err,
	    sizeof(err)), 0);
	pgr_evidence_free(&ev);
	pgr_evidence_free(&ev);		/* twice is harmless */
	pgr_evidence_free(NULL);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Reading files */

START_TEST(test_load_errors)
{
	struct pgr_evidence ev = { 0 };
	char err[512], tmpl[] = "/tmp/check_evidence.XXXXXX";
	char *big;
	int fd;
	size_t n = PGR_EVIDENCE_MAX_SIZE + 1;

	ck_assert_int_eq(pgr_evidence_load(&ev, FIXTURES "/evidence", err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "Is a directory"));
	ck_assert_int_eq(pgr_evidence_load(&ev, "", err, sizeof(err)), -1);
	ck_assert_int_eq(pgr_evidence_load(&ev, NULL, err, sizeof(err)), -1);

	/* one byte over the cap, as a file and as a buffer */
	big = malloc(n);
	ck_assert_ptr_nonnull(big);
	memset(big, ' ', n);
	big[0] = '{';
	fd = mkstemp(tmpl);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, big, n), (ssize_t)n);
	close(fd);
	ck_assert_int_eq(pgr_evidence_load(&ev, tmpl, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "larger than 4194304 bytes"));
	ck_assert_int_eq(pgr_evidence_load_buffer(&ev, "big", big, n, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "larger than"));
	unlink(tmpl);
	free(big);

	ck_assert_int_eq(pgr_evidence_load_buffer(&ev, NULL, NULL, 0, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "(buffer): the file is empty"));
	/* permission denied is reported with strerror (not as root) */
	if (geteuid() != 0) {
		char tmpl2[] = "/tmp/check_evidence.XXXXXX";

		fd = mkstemp(tmpl2);
		ck_assert_int_ge(fd, 0);
		close(fd);
		chmod(tmpl2, 0);
		ck_assert_int_eq(pgr_evidence_load(&ev, tmpl2, err,
		    sizeof(err)), -1);
		ck_assert_ptr_nonnull(strstr(err, "Permission denied"));
		unlink(tmpl2);
	}
	ck_assert_uint_eq(ev.n, 0);
}
END_TEST

/* --evidence <(aws ec2 describe-vpc-endpoints ...) gives a pipe. */
START_TEST(test_load_pipe)
{
	struct pgr_evidence ev = { 0 };
	char path[64], err[256];
	size_t len;
	char *raw;
	int p[2];

	raw = slurp(EV("privatelink-operational.txt"), &len);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], raw, len), (ssize_t)len);
	close(p[1]);
	snprintf(path, sizeof(path), "/dev/fd/%d", p[0]);
	ck_assert_msg(pgr_evidence_load(&ev, path, err, sizeof(err)) == 0,
	    "%s", err);
	close(p[0]);
	ck_assert_int_eq(ev.items[0].type, PGR_EV_PRIVATELINK);
	ck_assert_uint_eq(ev.items[0].content_len, len);
	pgr_evidence_free(&ev);
	free(raw);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Hostile input: never a crash, always a verdict */

static const char *all_fixtures[] = {
	"vpce-available.json", "vpce-mixed.json", "sg-5432-5433.json",
	"sg-two-groups.json", "sg-excludes-client.json",
	"privatelink-operational.txt", "privatelink-color-boxed.txt",
	"privatelink-provisioning-crlf.txt", "config-styled.txt",
	"config-shell.txt", "config-json.json",
};

/*
 * An exact-size heap copy, no NUL after it: ASan and valgrind then see
 * any read past the end that a terminated test string would hide.
 */
static char *
exact_copy(const char *buf, size_t len)
{
	char *p = malloc(len ? len : 1);

	ck_assert_ptr_nonnull(p);
	memcpy(p, buf, len);
	return p;
}

/* Load buf; success or an error message, and nothing leaks either way. */
static void
must_decide(const char *src, size_t len)
{
	struct pgr_evidence ev = { 0 };
	char err[512] = "";
	char *buf = exact_copy(src, len);
	int rc;

	rc = pgr_evidence_load_buffer(&ev, "fuzz", buf, len, err, sizeof(err));
	free(buf);
	if (rc == 0) {
		ck_assert_uint_eq(ev.n, 1);
		(void)pgr_sg_allows(&ev, "10.0.0.10", 5432, err, sizeof(err));
	} else {
		ck_assert_int_eq(rc, -1);
		ck_assert_uint_eq(ev.n, 0);
		ck_assert_msg(err[0] != '\0', "no message at %zu bytes", len);
	}
	pgr_evidence_free(&ev);
}

/* Every prefix a dropped connection or a full disk could leave behind. */
START_TEST(test_truncated)
{
	char path[1024];
	size_t len, n, step;
	char *raw;

	snprintf(path, sizeof(path), "%s/evidence/%s", FIXTURES,
	    all_fixtures[_i]);
	raw = slurp(path, &len);
	step = len / 128 + 1;
	for (n = 0; n <= len; n += (n + 64 >= len) ? 1 : step)
		must_decide(raw, n);
	free(raw);
}
END_TEST

/* Deterministic byte mutations, including NULs and high bytes. */
START_TEST(test_mutated)
{
	char path[1024];
	size_t len, k, round;
	uint32_t x = 2463534242u + (uint32_t)_i;
	char *raw, *buf;

	snprintf(path, sizeof(path), "%s/evidence/%s", FIXTURES,
	    all_fixtures[_i]);
	raw = slurp(path, &len);
	buf = malloc(len);
	ck_assert_ptr_nonnull(buf);
	for (round = 0; round < 60; round++) {
		memcpy(buf, raw, len);
		for (k = 0; k < 1 + round % 4; k++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			buf[x % len] = (char)(x >> 24);
		}
		must_decide(buf, len);
	}
	free(buf);
	free(raw);
}
END_TEST

START_TEST(test_hostile)
{
	struct pgr_evidence ev = { 0 };
	size_t n = 200000, i;
	char err[512];
	char *buf = malloc(n + 1);
	static const char nul[] = "{\"VpcEndpoints\": []}\0garbage";
	static const char bom[] = "\xef\xbb\xbf=== x Config Vars\r\n"
	    "DATABASE_URL: postgres://u:p@h/d\r\n";
	static const char dup[] = "{\"VpcEndpoints\": [], \"VpcEndpoints\": []}";
	static const char esc[] = "{\"SecurityGroups\": [{\"GroupId\": "
	    "\"sg-\\u0000x\"}]}";

	ck_assert_ptr_nonnull(buf);
	/* deep nesting: jansson's depth limit, not our stack */
	memset(buf, '[', n);
	must_decide(buf, n);
	memset(buf, '{', n);
	must_decide(buf, n);
	/* one enormous line of text, and many tiny ones */
	memset(buf, 'A', n);
	must_decide(buf, n);
	for (i = 0; i < n; i++)
		buf[i] = (i % 2) ? '\n' : '|';
	must_decide(buf, n);
	/* an enormous "config var" name and an enormous header */
	memset(buf, 'A', n);
	buf[n - 2] = '=';
	buf[n - 1] = 'x';
	must_decide(buf, n);
	memcpy(buf, "=== ", 4);
	must_decide(buf, n);
	free(buf);

	ck_assert_int_eq(pgr_evidence_load_buffer(&ev, "nul", nul,
	    sizeof(nul) - 1, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "NUL"));
	ck_assert_int_eq(pgr_evidence_load_buffer(&ev, "dup", dup,
	    strlen(dup), err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "malformed JSON"));
	/* "\u0000" inside a JSON string is refused by jansson by default */
	ck_assert_int_eq(pgr_evidence_load_buffer(&ev, "esc", esc,
	    strlen(esc), err, sizeof(err)), -1);
	ck_assert_uint_eq(ev.n, 0);
	/* a BOM and CRLF */
	ck_assert_int_eq(pgr_evidence_load_buffer(&ev, "bom", bom,
	    strlen(bom), err, sizeof(err)), 0);
	ck_assert_str_eq(ev.items[0].u.config.app, "x");
	ck_assert_str_eq(ev.items[0].u.config.urls[0].url, "postgres://u:p@h/d");
	pgr_evidence_free(&ev);
}
END_TEST

/* RFC 3629: what is UTF-8 and what is not, after "LANG=" (5 bytes). */
struct utf8_case {
	const char *bytes;
	int	bad;		/* offset of the bad byte, -1 if valid */
};

static const struct utf8_case utf8_cases[] = {
	{ "h\xc3\xa9llo", -1 },			/* U+00E9 */
	{ "\xe2\x94\x80", -1 },			/* U+2500, a table rule */
	{ "\xf0\x9f\x90\x98", -1 },			/* U+1F418 */
	{ "\xf4\x8f\xbf\xbf", -1 },			/* U+10FFFF */
	{ "\xef\xbf\xbd", -1 },			/* U+FFFD */
	{ "\xc0\xaf", 5 },				/* overlong '/' */
	{ "\xc1\xbf", 5 },
	{ "\xe0\x80\xaf", 5 },			/* overlong, 3 bytes */
	{ "\xe0\x9f\xbf", 5 },			/* U+07FF in 3 bytes */
	{ "\xf0\x80\x80\xaf", 5 },			/* overlong, 4 bytes */
	{ "\xf0\x8f\xbf\xbf", 5 },			/* U+FFFF in 4 bytes */
	{ "\xed\xa0\x80", 5 },			/* a lone surrogate */
	{ "\xf4\x90\x80\x80", 5 },			/* past U+10FFFF */
	{ "\xf5\x80\x80\x80", 5 },
	{ "\xff", 5 },
	{ "ab\x80", 7 },				/* a stray continuation */
	{ "\xe2\x94", 5 },				/* cut short */
	{ "\xe2\x94x", 5 },
	{ "\xc3\xa9\xc3", 7 },
	{ "\xe9t\xe9", 5 },				/* Latin-1 */
};

START_TEST(test_utf8)
{
	const struct utf8_case *c = &utf8_cases[_i];
	struct pgr_evidence ev = { 0 };
	char buf[64], err[512], want[64], *exact;
	int rc;

	snprintf(buf, sizeof(buf), "LANG=%s", c->bytes);
	exact = exact_copy(buf, strlen(buf));
	rc = pgr_evidence_load_buffer(&ev, "utf8", exact, strlen(buf), err,
	    sizeof(err));
	free(exact);
	if (c->bad == -1) {
		ck_assert_msg(rc == 0, "case %d: %s", _i, err);
		ck_assert_uint_eq(ev.items[0].u.config.nvars, 1);
	} else {
		ck_assert_msg(rc == -1, "case %d accepted", _i);
		snprintf(want, sizeof(want), "not UTF-8 text (byte %d)", c->bad);
		ck_assert_msg(strstr(err, want) != NULL, "case %d: '%s'", _i,
		    err);
	}
	pgr_evidence_free(&ev);
}
END_TEST

/* The JSON parse error must not quote the text it choked on: it may be a password. */
START_TEST(test_error_no_secret)
{
	static const char j[] = "{\"DATABASE_URL\": \"postgres://u:SECRET@h/d\" "
	    "SECRETTOKEN}";
	struct pgr_evidence ev = { 0 };
	char err[512];

	ck_assert_int_eq(pgr_evidence_load_buffer(&ev, "cfg", j, strlen(j), err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "malformed JSON at line 1"));
	ck_assert_ptr_null(strstr(err, "SECRET"));
}
END_TEST

static Suite *
evidence_suite(void)
{
	Suite *s = suite_create("evidence");
	TCase *tc = tcase_create("evidence");
#define N(a)	((int)(sizeof(a) / sizeof((a)[0])))

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_detect, 0, N(detect_cases));
	tcase_add_loop_test(tc, test_vpce, 0, N(vpce_cases));
	tcase_add_test(tc, test_vpce_mixed);
	tcase_add_test(tc, test_vpce_odd_fields);
	tcase_add_loop_test(tc, test_state_parse, 0, N(state_cases));
	tcase_add_test(tc, test_names);
	tcase_add_loop_test(tc, test_sg, 0, N(sg_cases));
	tcase_add_test(tc, test_sg_edges);
	tcase_add_test(tc, test_sg_rules_parsed);
	tcase_add_test(tc, test_sg_per_endpoint);
	tcase_add_test(tc, test_aws_host_lookup);
	tcase_add_loop_test(tc, test_privatelink, 0, N(pl_cases));
	tcase_add_test(tc, test_privatelink_details);
	tcase_add_test(tc, test_vpce_text_table);
	tcase_add_test(tc, test_vpce_text_hostile);
	tcase_add_loop_test(tc, test_config, 0, N(cfg_cases));
	tcase_add_test(tc, test_config_forms);
	tcase_add_loop_test(tc, test_redact, 0, N(redact_cases));
	tcase_add_loop_test(tc, test_dbkey, 0, N(dbkey_cases));
	tcase_add_test(tc, test_config_reload);
	tcase_add_test(tc, test_content_verbatim);
	tcase_add_test(tc, test_multi);
	tcase_add_test(tc, test_load_errors);
	tcase_add_test(tc, test_load_pipe);
	tcase_add_loop_test(tc, test_truncated, 0, N(all_fixtures));
	tcase_add_loop_test(tc, test_mutated, 0, N(all_fixtures));
	tcase_add_test(tc, test_hostile);
	tcase_add_loop_test(tc, test_utf8, 0, N(utf8_cases));
	tcase_add_test(tc, test_error_no_secret);
	suite_add_tcase(s, tc);
#undef N
	return s;
}

PGR_CHECK_MAIN(evidence_suite)
