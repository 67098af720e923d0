/*
 * The diagnosis, one case file per rule: fixtures/diagnose/NAME.case names
 * a recorded report (pgreach/1 JSON, taken from the lab), evidence files,
 * options, and the finding codes expected, in order.
 *
 *	{ "report": "reports/sg-drop.json",
 *	  "evidence": ["../evidence/vpce-pending-acceptance.json"],
 *	  "region": "us-east-1", "cert_warning_days": 14,
 *	  "expect": ["ENDPOINT_NOT_AVAILABLE"],
 *	  "causes": ["acceptance"] }
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report/diagnose.h"
#include "tests/check_main.h"
#include "tests/support/cases.h"

#define CASEDIR FIXTURES "/diagnose"
#define MAXCASES 128

static char *cases[MAXCASES];
static int ncases;

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
find_cases(void)
{
	DIR *d = opendir(CASEDIR);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL && ncases < MAXCASES) {
		size_t n = strlen(e->d_name);

		if (n > 5 && strcmp(e->d_name + n - 5, ".case") == 0)
			cases[ncases++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(cases, (size_t)ncases, sizeof(*cases), cmp);
}

static json_t *
load_json(const char *rel)
{
	char path[1024];
	json_error_t jerr;
	json_t *j;

	snprintf(path, sizeof(path), "%s/%s", CASEDIR, rel);
	j = json_load_file(path, 0, &jerr);
	ck_assert_msg(j != NULL, "%s: %s", path, jerr.text);
	return j;
}

static void
codes_of(const struct pgr_analysis *an, char *buf, size_t len)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < an->findings.n && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? "," : "",
		    pgr_code_name(an->findings.v[i].code));
}

START_TEST(test_case)
{
	struct pgr_case k;
	char path[1024], err[512], got[1024], want[1024] = "";
	size_t i, n = 0;
	json_t *v;

	snprintf(path, sizeof(path), "%s/%s", CASEDIR, cases[_i]);
	ck_assert_msg(case_load(path, &k, err, sizeof(err)) == 0, "%s: %s",
	    cases[_i], err);
	codes_of(&k.an, got, sizeof(got));
	json_array_foreach(json_object_get(k.c, "expect"), i, v)
		n += (size_t)snprintf(want + n, sizeof(want) - n, "%s%s", i ? "," : "",
		    json_string_value(v));
	ck_assert_msg(strcmp(got, want) == 0, "%s: findings [%s], want [%s]",
	    cases[_i], got, want);
	/* Every finding is whole: summary, evidence and remedy. */
	for (i = 0; i < k.an.findings.n; i++) {
		const struct pgr_finding *f = &k.an.findings.v[i];

		ck_assert_msg(f->summary && f->summary[0] && f->evidence &&
		    f->evidence[0] && f->remedy && f->remedy[0],
		    "%s: finding %s is not whole", cases[_i], pgr_code_name(f->code));
	}
	json_array_foreach(json_object_get(k.c, "causes"), i, v) {
		ck_assert_uint_gt(k.an.findings.n, i);
		ck_assert_str_eq(pgr_cause_name(k.an.findings.v[i].cause),
		    json_string_value(v));
	}
	case_free(&k);
}
END_TEST

/* Every code the analysis can give (rules and thresholds) has a case file. */
START_TEST(test_every_rule_has_a_case)
{
	char all[65536] = "", missing[2048] = "";
	size_t n = 0, m = 0;
	int i;

	for (i = 0; i < ncases; i++) {
		json_t *c = load_json(cases[i]), *v;
		size_t k;

		json_array_foreach(json_object_get(c, "expect"), k, v)
			n += (size_t)snprintf(all + n, sizeof(all) - n, ",%s,",
			    json_string_value(v));
		json_decref(c);
	}
	for (i = 1; i < PGR_CODE__COUNT; i++) {
		char key[80];

		snprintf(key, sizeof(key), ",%s,", pgr_code_name((enum pgr_code)i));
		if (strstr(all, key) == NULL && m < sizeof(missing))
			m += (size_t)snprintf(missing + m, sizeof(missing) - m, " %s",
			    pgr_code_name((enum pgr_code)i));
	}
	ck_assert_msg(m == 0, "codes with no case file:%s", missing);
	ck_assert_int_gt(ncases, 10);
}
END_TEST

/* The rules table names each code once, and only codes of PGR_CODES. */
START_TEST(test_rule_codes_known)
{
	const enum pgr_code *codes = pgr_diagnose_codes();
	int seen[PGR_CODE__COUNT] = { 0 };
	size_t i;

	for (i = 0; codes[i] != PGR_CODE_NONE; i++) {
		ck_assert_int_lt(codes[i], PGR_CODE__COUNT);
		ck_assert_msg(seen[codes[i]]++ == 0, "%s twice", pgr_code_name(codes[i]));
		ck_assert_int_eq(pgr_code_from_name(pgr_code_name(codes[i])), codes[i]);
	}
	ck_assert_uint_gt(i, 30);
}
END_TEST

/*
 * Every remedy read against its own run: it never weakens TLS verification
 * the run asked for, never points at PgBouncer when every PgBouncer login
 * failed nor at the direct URL when every Postgres login failed, never
 * tells the user to use the endpoint's name when the target already is
 * it, and fills every placeholder the run has the facts for.
 */
static bool
role_failed(const struct pgr_report *r, enum pgr_role role)
{
	size_t t, j, n = 0;

	for (t = 0; t < r->ntargets; t++) {
		if (r->targets[t].role != role)
			continue;
		for (j = 0; j < r->results[t].nattempts; j++) {
			if (r->results[t].attempts[j].login.status == PGR_OK)
				return false;
			n++;
		}
	}
	return n > 0;
}

START_TEST(test_remedies)
{
	struct pgr_case k;
	char path[1024], err[512];
	const char *mode;
	bool verify, endpoint_name, owner_known = false, bouncer_failed, pg_failed;
	size_t i;

	snprintf(path, sizeof(path), "%s/%s", CASEDIR, cases[_i]);
	ck_assert_msg(case_load(path, &k, err, sizeof(err)) == 0, "%s: %s",
	    cases[_i], err);
	mode = k.r.ntargets && k.r.targets[0].sslmode ? k.r.targets[0].sslmode :
	    k.o.sslmode;
	verify = mode != NULL && strncmp(mode, "verify-", 7) == 0;
	endpoint_name = k.r.ntargets > 0 && k.r.targets[0].endpoint.is_endpoint;
	for (i = 0; i < k.ev.n; i++)
		if (k.ev.items[i].type == PGR_EV_VPC_ENDPOINTS)
			owner_known = true;
	bouncer_failed = role_failed(&k.r, PGR_ROLE_PGBOUNCER);
	pg_failed = role_failed(&k.r, PGR_ROLE_POSTGRES);
	for (i = 0; i < k.an.findings.n; i++) {
		const struct pgr_finding *f = &k.an.findings.v[i];
		const char *rem = f->remedy ? f->remedy : "";

		ck_assert_msg(!verify || (strstr(rem, "sslmode=require") == NULL &&
		    strstr(rem, "sslmode=prefer") == NULL &&
		    strstr(rem, "sslmode=disable") == NULL),
		    "%s: %s weakens the verification the run asked for: %s",
		    cases[_i], pgr_code_name(f->code), rem);
		ck_assert_msg(!bouncer_failed || (strstr(rem, "through PgBouncer") == NULL &&
		    strstr(rem, "PGBOUNCER_URL") == NULL),
		    "%s: %s points at PgBouncer, whose logins all failed: %s",
		    cases[_i], pgr_code_name(f->code), rem);
		ck_assert_msg(!pg_failed || (strstr(rem, "direct URL") == NULL &&
		    strstr(rem, "straight to Postgres") == NULL),
		    "%s: %s points at Postgres on 5432, whose logins all failed: %s",
		    cases[_i], pgr_code_name(f->code), rem);
		ck_assert_msg(!endpoint_name || strstr(rem, "use the endpoint's name") == NULL,
		    "%s: %s tells the user to use the endpoint's name, which the target is: %s",
		    cases[_i], pgr_code_name(f->code), rem);
		ck_assert_msg(!endpoint_name || strstr(rem, "<endpoint-id>") == NULL,
		    "%s: %s leaves <endpoint-id> unfilled", cases[_i], pgr_code_name(f->code));
		ck_assert_msg(!owner_known || f->code != PGR_F_ACCOUNT_NOT_ALLOWED ||
		    strstr(rem, "<account-id>") == NULL,
		    "%s: %s leaves <account-id> unfilled: %s", cases[_i],
		    pgr_code_name(f->code), rem);
	}
	case_free(&k);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("diagnose");
	TCase *tc = tcase_create("cases");

	find_cases();
	tcase_add_loop_test(tc, test_case, 0, ncases);
	tcase_add_loop_test(tc, test_remedies, 0, ncases);
	tcase_add_test(tc, test_every_rule_has_a_case);
	tcase_add_test(tc, test_rule_codes_known);
	suite_add_tcase(s, tc);
	return s;
}

PGR_CHECK_MAIN(suite)
