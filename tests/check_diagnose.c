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
#include <strings.h>

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

/*
 * The endpoint's State as the case's evidence gives it (describe-vpc-
 * endpoints, else heroku data:privatelink's Connections row), what the
 * Heroku file answers, and whether every TCP connect timed out.
 */
struct ev_facts {
	enum pgr_vpce_state state;
	bool	owner_known, database_known, accounts_listed, all_timeout;
};

static void
ev_facts(const struct pgr_case *k, struct ev_facts *f)
{
	const char *id = k->r.ntargets ? k->r.targets[0].endpoint.id : "";
	const struct pgr_vpce *v = pgr_evidence_find_vpce(&k->ev, id);
	size_t i, j, n = 0, to = 0;

	memset(f, 0, sizeof(*f));
	if (v != NULL) {
		f->state = v->state;
		f->owner_known = v->owner_id != NULL;
	}
	for (i = 0; i < k->ev.n; i++) {
		const struct pgr_ev_privatelink *pl = &k->ev.items[i].u.privatelink;

		if (k->ev.items[i].type != PGR_EV_PRIVATELINK)
			continue;
		f->database_known = pl->database != NULL;
		f->accounts_listed = pl->naccounts > 0;
		for (j = 0; j < pl->nconnections && f->state == PGR_VPCE_UNKNOWN; j++)
			if (strcasecmp(pl->connections[j].endpoint_id, id) == 0)
				f->state = pl->connections[j].state;
	}
	for (i = 0; i < k->r.ntargets; i++)
		for (j = 0; j < k->r.results[i].nattempts; j++, n++)
			to += k->r.results[i].attempts[j].tcp.status == PGR_TCP_TIMEOUT;
	f->all_timeout = n > 0 && to == n;
}

/*
 * Evidence that settles a question: next to a timeout everywhere, an
 * endpoint pendingAcceptance or rejected is acceptance and never the
 * security group; available is the security group and never acceptance.
 * And no remedy asks what the evidence answered: the endpoint's State,
 * its owner, the database's name, whether the account is Active.
 */
START_TEST(test_evidence_decides)
{
	struct pgr_case k;
	struct ev_facts f;
	char path[1024], err[512];
	size_t i;

	snprintf(path, sizeof(path), "%s/%s", CASEDIR, cases[_i]);
	ck_assert_msg(case_load(path, &k, err, sizeof(err)) == 0, "%s: %s",
	    cases[_i], err);
	ev_facts(&k, &f);
	for (i = 0; i < k.an.findings.n; i++) {
		const struct pgr_finding *fd = &k.an.findings.v[i];
		const char *rem = fd->remedy ? fd->remedy : "";

		if (f.all_timeout && (f.state == PGR_VPCE_PENDING_ACCEPTANCE ||
		    f.state == PGR_VPCE_REJECTED))
			ck_assert_msg(fd->cause != PGR_CAUSE_SECURITY_GROUP,
			    "%s: %s blames the security group of an endpoint the evidence shows %s",
			    cases[_i], pgr_code_name(fd->code), pgr_vpce_state_name(f.state));
		if (f.all_timeout && f.state == PGR_VPCE_AVAILABLE)
			ck_assert_msg(fd->cause != PGR_CAUSE_ACCEPTANCE,
			    "%s: %s blames acceptance of an endpoint the evidence shows available",
			    cases[_i], pgr_code_name(fd->code));
		ck_assert_msg(f.state == PGR_VPCE_UNKNOWN ||
		    strstr(rem, "VpcEndpoints[0].State'") == NULL,
		    "%s: %s asks for the State the evidence gives: %s", cases[_i],
		    pgr_code_name(fd->code), rem);
		ck_assert_msg(!f.owner_known || strstr(rem, "<account-id>") == NULL,
		    "%s: %s leaves <account-id> unfilled: %s", cases[_i],
		    pgr_code_name(fd->code), rem);
		ck_assert_msg(!f.database_known || strstr(rem, "<database>") == NULL,
		    "%s: %s leaves <database> unfilled: %s", cases[_i],
		    pgr_code_name(fd->code), rem);
		ck_assert_msg(!f.accounts_listed ||
		    strstr(rem, "Active in heroku data:privatelink?") == NULL,
		    "%s: %s asks whether the account is Active, which the file says: %s",
		    cases[_i], pgr_code_name(fd->code), rem);
	}
	case_free(&k);
}
END_TEST

/*
 * A dual-stack answer whose AAAA this client cannot route: a warning (exit
 * 1), not a failure.  The TCP steps warn and name the IPv6 address, the
 * later steps pass on the IPv4 addresses, nothing is the run's first
 * failure, and no line says "no route" of an address that connected.  With
 * only the AAAA (no A record that works), it is CRITICAL as before.
 */
static const struct {
	const char *file;
	enum pgr_severity status;
	enum pgr_check_state tcp, later;
} dual[] = {
	{ "lab-dual-stack-unroutable.case", PGR_SEV_WARNING, PGR_CHECK_WARN, PGR_CHECK_PASS },
	{ "lab-dual-stack.case", PGR_SEV_OK, PGR_CHECK_PASS, PGR_CHECK_PASS },
	{ "synthetic-ipv6-only-unreachable.case", PGR_SEV_CRITICAL, PGR_CHECK_FAIL,
	  PGR_CHECK_UNKNOWN },
	{ "synthetic-ipv6-zone.case", PGR_SEV_CRITICAL, PGR_CHECK_FAIL, PGR_CHECK_FAIL },
};

START_TEST(test_dual_stack)
{
	static const enum pgr_check_step later[] = { PGR_STEP_TLS,
	    PGR_STEP_LOGIN_POSTGRES, PGR_STEP_LOGIN_PGBOUNCER, PGR_STEP_QUERY };
	const char *v6 = "fd5b:3f1c:9e20:ff::5";
	struct pgr_case k;
	char path[1024], err[512];
	const struct pgr_host *h;
	size_t i;

	snprintf(path, sizeof(path), "%s/%s", CASEDIR, dual[_i].file);
	ck_assert_msg(case_load(path, &k, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(k.an.status, dual[_i].status);
	ck_assert_uint_eq(k.an.nhosts, 1);
	h = &k.an.hosts[0];
	ck_assert_int_eq(h->steps[PGR_STEP_TCP_5432].state, dual[_i].tcp);
	ck_assert_int_eq(h->steps[PGR_STEP_TCP_5433].state, dual[_i].tcp);
	for (i = 0; i < sizeof(later) / sizeof(later[0]); i++)
		ck_assert_msg(h->steps[later[i]].state == dual[_i].later, "%s: %s is %s",
		    dual[_i].file, h->steps[later[i]].title,
		    pgr_check_state_name(h->steps[later[i]].state));
	if (dual[_i].status == PGR_SEV_WARNING) {
		const struct pgr_finding *f = &k.an.findings.v[0];

		ck_assert_int_eq(k.an.first_failure.target, -1);
		ck_assert_int_eq(f->code, PGR_F_IPV6_UNREACHABLE);
		ck_assert_int_eq(f->severity, PGR_SEV_WARNING);
		ck_assert_ptr_nonnull(strstr(f->summary, v6));
		ck_assert_ptr_nonnull(strstr(h->steps[PGR_STEP_TCP_5432].note, v6));
		ck_assert_ptr_nonnull(strstr(f->remedy, "DnsRecordIpType=ipv4"));
		ck_assert_ptr_nonnull(strstr(f->remedy, "hostaddr="));
	}
	/* "no route" is said only of addresses that did not connect. */
	for (i = 0; i < k.an.findings.n; i++) {
		const char *ev = k.an.findings.v[i].evidence;
		const char *nr = strstr(ev, "no route from here to ");

		if (nr != NULL) {
			ck_assert_ptr_null(strstr(nr, "10.0.1.5"));
			ck_assert_ptr_null(strstr(nr, "10.0.2.5"));
		}
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
	tcase_add_loop_test(tc, test_evidence_decides, 0, ncases);
	tcase_add_test(tc, test_every_rule_has_a_case);
	tcase_add_test(tc, test_rule_codes_known);
	tcase_add_loop_test(tc, test_dual_stack, 0, sizeof(dual) / sizeof(dual[0]));
	suite_add_tcase(s, tc);
	return s;
}

PGR_CHECK_MAIN(suite)
