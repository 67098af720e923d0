/* Address scope and VPC CIDR membership. */
#include <arpa/inet.h>
#include <check.h>
#include <string.h>

#include "probes/addr.h"
#include "tests/check_main.h"

static struct sockaddr_storage
sa(const char *text)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, text, &((struct sockaddr_in *)&ss)->sin_addr) == 1)
		ss.ss_family = AF_INET;
	else {
		ck_assert_int_eq(inet_pton(AF_INET6, text,
		    &((struct sockaddr_in6 *)&ss)->sin6_addr), 1);
		ss.ss_family = AF_INET6;
	}
	return ss;
}

static const struct {
	const char *addr;
	enum pgr_scope scope;
} scopes[] = {
	{ "10.0.1.5", PGR_SCOPE_PRIVATE }, { "172.16.0.1", PGR_SCOPE_PRIVATE },
	{ "172.31.255.1", PGR_SCOPE_PRIVATE }, { "172.32.0.1", PGR_SCOPE_PUBLIC },
	{ "192.168.1.1", PGR_SCOPE_PRIVATE }, { "203.0.113.10", PGR_SCOPE_PUBLIC },
	{ "127.0.0.1", PGR_SCOPE_LOOPBACK }, { "169.254.169.254", PGR_SCOPE_LINK_LOCAL },
	{ "100.64.0.1", PGR_SCOPE_OTHER }, { "224.0.0.1", PGR_SCOPE_OTHER },
	{ "::1", PGR_SCOPE_LOOPBACK }, { "fe80::1", PGR_SCOPE_LINK_LOCAL },
	{ "fd00::5", PGR_SCOPE_PRIVATE }, { "2600:1f18::1", PGR_SCOPE_PUBLIC },
};

START_TEST(test_scope)
{
	struct sockaddr_storage ss = sa(scopes[_i].addr);

	ck_assert_int_eq(pgr_addr_scope((struct sockaddr *)&ss), scopes[_i].scope);
}
END_TEST

static const struct {
	const char *cidr;
	const char *addr;
	bool in;
} cidrs[] = {
	{ "10.0.0.0/16", "10.0.1.5", true }, { "10.0.0.0/16", "10.1.0.5", false },
	{ "10.0.0.0/8", "10.1.0.5", true }, { "10.0.1.0/25", "10.0.1.127", true },
	{ "10.0.1.0/25", "10.0.1.128", false }, { "0.0.0.0/0", "203.0.113.1", true },
	{ "10.0.1.5", "10.0.1.5", true }, { "10.0.1.5/32", "10.0.1.6", false },
	{ "fd00::/8", "fd00::5", true }, { "fd00::/8", "10.0.1.5", false },
	{ "10.0.0.0/16", "fd00::5", false },
};

START_TEST(test_cidr)
{
	struct sockaddr_storage ss = sa(cidrs[_i].addr);
	struct pgr_cidr c;
	char err[128];

	ck_assert_int_eq(pgr_cidr_parse(cidrs[_i].cidr, &c, err, sizeof(err)), 0);
	ck_assert_int_eq(pgr_cidr_contains(&c, (struct sockaddr *)&ss), cidrs[_i].in);
}
END_TEST

static const char *const bad_cidrs[] = {
	"", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/16x", "10.0.0/16",
	"fd00::/129", "hello", "10.0.0.0/16/2",
};

START_TEST(test_bad_cidr)
{
	struct pgr_cidr c;
	char err[128];

	ck_assert_int_eq(pgr_cidr_parse(bad_cidrs[_i], &c, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "CIDR"));
}
END_TEST

/*
 * in_vpc is known only against a CIDR of the address's family: an AAAA
 * answer is not "outside the VPC" because the VPC was given by its IPv4 range.
 */
static const struct {
	const char *cidrs[2];
	const char *addr;
	int in_vpc;
} vpcs[] = {
	{ { "10.0.0.0/16", NULL }, "10.0.1.5", 1 },
	{ { "10.0.0.0/16", NULL }, "10.1.0.5", 0 },
	{ { "10.0.0.0/16", NULL }, "fd5b:3f1c:9e20:ff::5", -1 },
	{ { "10.0.0.0/16", "fd5b:3f1c:9e20::/56" }, "fd5b:3f1c:9e20:ff::5", 1 },
	{ { "10.0.0.0/16", "fd5b:3f1c:9e20::/56" }, "fd00::5", 0 },
	{ { "fd5b:3f1c:9e20::/56", NULL }, "10.0.1.5", -1 },
	{ { NULL, NULL }, "10.0.1.5", -1 },
};

START_TEST(test_in_vpc)
{
	struct sockaddr_storage ss = sa(vpcs[_i].addr);
	struct pgr_cidr c[2];
	struct pgr_addr a;
	char err[128];
	size_t n = 0;

	while (n < 2 && vpcs[_i].cidrs[n] != NULL) {
		ck_assert_int_eq(pgr_cidr_parse(vpcs[_i].cidrs[n], &c[n], err, sizeof(err)), 0);
		n++;
	}
	pgr_addr_set(&a, (struct sockaddr *)&ss, 60, c, n);
	ck_assert_int_eq(a.in_vpc, vpcs[_i].in_vpc);
	ck_assert_int_eq(a.family, ss.ss_family == AF_INET6 ? 6 : 4);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = tcase_create("addr");

	tcase_add_loop_test(tc, test_scope, 0, sizeof(scopes) / sizeof(scopes[0]));
	tcase_add_loop_test(tc, test_cidr, 0, sizeof(cidrs) / sizeof(cidrs[0]));
	tcase_add_loop_test(tc, test_bad_cidr, 0, sizeof(bad_cidrs) / sizeof(bad_cidrs[0]));
	tcase_add_loop_test(tc, test_in_vpc, 0, sizeof(vpcs) / sizeof(vpcs[0]));
	suite_add_tcase(s, tc);
	return s;
}

PGR_CHECK_MAIN(suite)
