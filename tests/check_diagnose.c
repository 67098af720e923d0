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

#include "input/aws/ec2xml.h"
#include "report/diagnose.h"
#include "report/load.h"
#include "tests/check_main.h"

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
codes_of(const struct pgr_report *r, char *buf, size_t len)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < r->nfindings && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? "," : "",
		    r->findings[i].code);
}

/*
 * "aws": --aws evidence, as input/aws/client.c hands it over: the EC2
 * answers by action name ("DescribeVpcEndpoints": "../aws/vpce.xml"), each
 * call ok, and "calls" setting other outcomes ("DescribeNetworkAcls":
 * "access_denied"), "region" where the calls were made.
 */
static void
aws_evidence(json_t *aws, struct pgr_evidence *ev)
{
	static const char *const names[PGR_AWS__NACTIONS] = { "DescribeVpcEndpoints",
	    "DescribeSecurityGroups", "DescribeSubnets", "DescribeNetworkAcls",
	    "DescribeNetworkInterfaces" };
	struct pgr_ev_aws_calls calls;
	json_t *o = json_object_get(aws, "calls"), *v;
	char path[1024], tok[256], rid[64], err[160];
	int a, s;

	if (aws == NULL)
		return;
	memset(&calls, 0, sizeof(calls));
	snprintf(calls.region, sizeof(calls.region), "%s",
	    json_string_value(json_object_get(aws, "region")));
	for (a = 0; a < PGR_AWS__NACTIONS; a++) {
		const char *file = json_string_value(json_object_get(aws, names[a]));
		struct pgr_evidence_item *it;
		FILE *f;
		char *buf;
		size_t len;

		calls.calls[a].status = PGR_AWS_NOT_ASKED;
		if ((v = json_object_get(o, names[a])) != NULL)
			for (s = 0; s <= PGR_AWS_ERROR; s++)
				if (strcmp(pgr_aws_status_name((enum pgr_aws_status)s),
				    json_string_value(v)) == 0) {
					calls.calls[a].status = (enum pgr_aws_status)s;
					snprintf(calls.calls[a].detail, sizeof(calls.calls[a].detail),
					    "%s: %s", names[a], json_string_value(v));
				}
		if (file == NULL)
			continue;
		calls.calls[a].status = PGR_AWS_OK;
		snprintf(path, sizeof(path), "%s/%s", CASEDIR, file);
		ck_assert_msg((f = fopen(path, "rb")) != NULL, "%s", path);
		buf = malloc(1 << 20);
		len = fread(buf, 1, 1 << 20, f);
		fclose(f);
		ev->items = realloc(ev->items, (ev->n + 1) * sizeof(*ev->items));
		it = &ev->items[ev->n++];
		memset(it, 0, sizeof(*it));
		ck_assert_msg(pgr_ec2xml_parse((enum pgr_aws_action)a, buf, len, it, tok,
		    sizeof(tok), rid, sizeof(rid), err, sizeof(err)) == 0, "%s: %s", path, err);
		free(buf);
	}
	ev->items = realloc(ev->items, (ev->n + 1) * sizeof(*ev->items));
	memset(&ev->items[ev->n], 0, sizeof(ev->items[ev->n]));
	ev->items[ev->n].type = PGR_EV_AWS_CALLS;
	ev->items[ev->n++].u.aws = calls;
}

START_TEST(test_case)
{
	json_t *c = load_json(cases[_i]), *rep, *v, *ev = json_object_get(c, "evidence");
	struct pgr_evidence evidence = { 0 };
	struct pgr_diag_opts o;
	struct pgr_report r;
	char err[512], got[1024], want[1024] = "";
	size_t i, n = 0;

	rep = load_json(json_string_value(json_object_get(c, "report")));
	ck_assert_msg(pgr_report_load(rep, &r, err, sizeof(err)) == 0, "%s: %s",
	    cases[_i], err);
	json_array_foreach(ev, i, v) {
		char path[1024];

		snprintf(path, sizeof(path), "%s/%s", CASEDIR, json_string_value(v));
		ck_assert_msg(pgr_evidence_load(&evidence, path, err, sizeof(err)) == 0,
		    "%s", err);
	}
	aws_evidence(json_object_get(c, "aws"), &evidence);
	memset(&o, 0, sizeof(o));
	o.region = json_string_value(json_object_get(c, "region"));
	o.region_source = "--region";
	o.ev = evidence.n ? &evidence : NULL;
	o.sslmode = json_string_value(json_object_get(c, "sslmode")) ?
	    json_string_value(json_object_get(c, "sslmode")) : "require";
	o.cert_warning_days = json_object_get(c, "cert_warning_days") ?
	    json_integer_value(json_object_get(c, "cert_warning_days")) : 14;
	o.cert_critical_days = 0;
	pgr_diagnose(&r, &o);
	codes_of(&r, got, sizeof(got));
	json_array_foreach(json_object_get(c, "expect"), i, v)
		n += (size_t)snprintf(want + n, sizeof(want) - n, "%s%s", i ? "," : "",
		    json_string_value(v));
	ck_assert_msg(strcmp(got, want) == 0, "%s: findings [%s], want [%s]",
	    cases[_i], got, want);
	/* Every finding is whole: cause, summary, evidence and remedy. */
	for (i = 0; i < r.nfindings; i++) {
		ck_assert_ptr_nonnull(r.findings[i].cause);
		ck_assert_msg(r.findings[i].summary && r.findings[i].summary[0] &&
		    r.findings[i].evidence && r.findings[i].evidence[0] &&
		    r.findings[i].remedy && r.findings[i].remedy[0],
		    "%s: finding %s is not whole", cases[_i], r.findings[i].code);
	}
	json_array_foreach(json_object_get(c, "causes"), i, v) {
		ck_assert_uint_gt(r.nfindings, i);
		ck_assert_str_eq(r.findings[i].cause, json_string_value(v));
	}
	pgr_report_free(&r);
	pgr_evidence_free(&evidence);
	json_decref(rep);
	json_decref(c);
}
END_TEST

START_TEST(test_every_rule_has_a_case)
{
	const char *const *codes = pgr_diagnose_codes();
	char all[65536] = "";
	size_t n = 0;
	int i;

	for (i = 0; i < ncases; i++) {
		json_t *c = load_json(cases[i]), *v;
		size_t k;

		json_array_foreach(json_object_get(c, "expect"), k, v)
			n += (size_t)snprintf(all + n, sizeof(all) - n, ",%s,",
			    json_string_value(v));
		json_decref(c);
	}
	for (i = 0; codes[i] != NULL; i++) {
		char key[80];

		snprintf(key, sizeof(key), ",%s,", codes[i]);
		if (strstr(all, key) == NULL)
			fprintf(stderr, "rule %s has no case file yet\n", codes[i]);
	}
	ck_assert_int_gt(ncases, 10);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("diagnose");
	TCase *tc = tcase_create("cases");

	find_cases();
	tcase_add_loop_test(tc, test_case, 0, ncases);
	tcase_add_test(tc, test_every_rule_has_a_case);
	suite_add_tcase(s, tc);
	return s;
}

PGR_CHECK_MAIN(suite)
