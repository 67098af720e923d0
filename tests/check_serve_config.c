/*
 * The serve configuration parser: a table of files, each accepted or
 * refused with a message naming its line; a password in a file that is
 * not private is refused; no message ever holds a password.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "serve/config.h"
#include "tests/check_main.h"

#define PW	"s3cret-Passw0rd"

struct cfg_case {
	const char	*name;
	const char	*text;
	bool		 private_file;
	bool		 ok;
	const char	*err;		/* substring of the message */
};

static const struct cfg_case cases[] = {
	{ "minimal", "[target a]\nurl = postgres://app@h:5432/db\n", false, true, NULL },
	{ "full",
	  "# comment\n[module fast]\ntimeout = 2.5s\ncount = 3\nquery = SELECT 2\n"
	  "sslmode = verify-full\nsslrootcert = /ca.pem\nno_pgbouncer = yes\n"
	  "dns_server = 10.0.0.2\ndns_server = 10.0.0.3\nvpc_cidr = 10.0.0.0/16\n"
	  "warning = 0.5\ncritical = 2\nquery_warning = 0.1\ncert_warning_days = 30\n"
	  "idle = 6m\n"
	  "\n[target orders-db]\nurl = host=h port=5432 dbname=d user=u\n"
	  "password_env = ORDERS_PW\nmodule = fast\nregion = us-east-1\n"
	  "  ; another comment\r\n", false, true, NULL },
	{ "default redefined", "[module default]\ntimeout = 3\n[target a]\nurl = postgres://h/d\n",
	  false, true, NULL },
	{ "default twice", "[module default]\n[module default]\n[target a]\nurl = postgres://h/d\n",
	  false, false, ":2: module default defined twice" },
	{ "no target", "[module m]\ntimeout = 3\n", false, false, "no [target NAME]" },
	{ "no url", "[target a]\npassword_env = X\n", false, false, "target a: no url" },
	{ "unknown module", "[target a]\nurl = postgres://h/d\nmodule = nope\n",
	  false, false, "no module nope" },
	{ "unknown key", "[target a]\nurl = postgres://h/d\ntimeout = 3\n",
	  false, false, ":3: unknown target key \"timeout\"" },
	{ "key twice", "[target a]\nurl = postgres://h/d\nurl = postgres://h/e\n",
	  false, false, ":3: url given twice" },
	{ "key before section", "url = postgres://h/d\n", false, false, ":1: key before any" },
	{ "bad section", "[target]\n", false, false, ":1: a section is" },
	{ "bad kind", "[host a]\n", false, false, "unknown section kind" },
	{ "bad name", "[target a/b]\n", false, false, ":1: section name" },
	{ "target twice", "[target a]\nurl = postgres://h/d\n[target a]\n", false, false,
	  ":3: target a defined twice" },
	{ "bad timeout", "[module m]\ntimeout = soon\n", false, false, ":2: timeout:" },
	{ "bad count", "[module m]\ncount = -1\n", false, false, ":2: count:" },
	{ "bad sslmode", "[module m]\nsslmode = maybe\n", false, false, ":2: sslmode:" },
	{ "bad cidr", "[module m]\nvpc_cidr = 10.0.0.0/99\n", false, false, ":2: vpc_cidr:" },
	{ "bad range", "[module m]\nwarning = 10abc\n[target a]\nurl = postgres://h/d\n",
	  false, false, "module m:" },
	{ "bad bool", "[module m]\nno_pgbouncer = maybe\n", false, false, "true or false" },
	{ "idle", "[module m]\nidle = 400s\n[target a]\nurl = postgres://h/d\n", false, true, NULL },
	{ "idle off", "[module m]\nidle = 0\n[target a]\nurl = postgres://h/d\n", false, true, NULL },
	{ "bad idle", "[module m]\nidle = soon\n", false, false, ":2: idle: a duration" },
	{ "idle too long", "[module m]\nidle = 2h\n", false, false, ":2: idle: a duration" },
	{ "aws", "[target a]\nurl = postgres://h/d\naws = true\n", false, true, NULL },
	{ "aws not a bool", "[target a]\nurl = postgres://h/d\naws = yes please\n", false, false,
	  ":3: aws: true or false" },
	{ "empty value", "[target a]\nurl =\n", false, false, ":2: url: empty value" },
	{ "no equals", "[target a]\nurl\n", false, false, ":2: expected key = value" },
	{ "bad url", "[target a]\nurl = mysql://h/d\n", false, false, ":2: url:" },
	{ "two password sources", "[target a]\nurl = postgres://h/d\npassword_env = A\n"
	  "password_file = /p\n", false, false, "one password source only" },
	{ "bad env name", "[target a]\nurl = postgres://h/d\npassword_env = A B\n", false,
	  false, "password_env: a variable name" },
	{ "inline password, shared file", "[target a]\nurl = postgres://h/d\npassword = " PW "\n",
	  false, false, "mode to be 0600" },
	{ "inline password, private file", "[target a]\nurl = postgres://h/d\npassword = " PW "\n",
	  true, true, NULL },
	{ "password in url, shared file", "[target a]\nurl = postgres://u:" PW "@h/d\n",
	  false, false, "mode to be 0600" },
	{ "password in url, private file", "[target a]\nurl = postgres://u:" PW "@h/d\n",
	  true, true, NULL },
	{ "password in conninfo, shared file", "[target a]\nurl = host=h password=" PW "\n",
	  false, false, "mode to be 0600" },
	{ "NUL byte", "[target a]\nurl = postgres://h/d\n\0x\n", false, false, "NUL byte" },
};

START_TEST(test_parse)
{
	const struct cfg_case *k = &cases[_i];
	struct pgr_serve_config c;
	char err[512] = "";
	size_t len = strlen(k->text);
	int rc;

	if (strcmp(k->name, "NUL byte") == 0)
		len = sizeof("[target a]\nurl = postgres://h/d\n\0x\n") - 1;
	rc = pgr_serve_config_parse(&c, "t.conf", k->text, len, k->private_file,
	    err, sizeof(err));
	ck_assert_msg((rc == 0) == k->ok, "%s: rc %d, err %s", k->name, rc, err);
	ck_assert_msg(strstr(err, PW) == NULL, "%s: password in message", k->name);
	if (!k->ok) {
		ck_assert_msg(strstr(err, k->err) != NULL, "%s: '%s' not in '%s'",
		    k->name, k->err, err);
		ck_assert_msg(strncmp(err, "t.conf", 6) == 0, "%s: no file name", k->name);
		ck_assert_ptr_null(c.targets);
	} else {
		ck_assert_ptr_nonnull(pgr_serve_config_target(&c, c.targets[0].name));
		ck_assert_ptr_nonnull(pgr_serve_config_module(&c, "default"));
		pgr_serve_config_free(&c);
	}
}
END_TEST

START_TEST(test_values)
{
	struct pgr_serve_config c;
	const struct pgr_serve_module *m;
	const struct pgr_serve_target *t;
	char err[256];

	ck_assert_int_eq(pgr_serve_config_parse(&c, "t", cases[1].text,
	    strlen(cases[1].text), false, err, sizeof(err)), 0);
	t = pgr_serve_config_target(&c, "orders-db");
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(t->pwsrc, PGR_PW_ENV);
	ck_assert_str_eq(t->pw, "ORDERS_PW");
	ck_assert_str_eq(t->region, "us-east-1");
	m = pgr_serve_config_module(&c, t->module);
	ck_assert_ptr_nonnull(m);
	ck_assert(m->timeout_s == 2.5);
	ck_assert_int_eq(m->count, 3);
	ck_assert_str_eq(m->query, "SELECT 2");
	ck_assert(m->no_pgbouncer);
	ck_assert_uint_eq(m->ndns_servers, 2);
	ck_assert_uint_eq(m->nvpc, 1);
	ck_assert_int_eq(m->cert_warning_days, 30);
	ck_assert(m->thresholds.warning.set);
	ck_assert(m->idle_s == 360);
	ck_assert(pgr_serve_config_module(&c, "default")->timeout_s == 10);
	ck_assert(pgr_serve_config_module(&c, "default")->idle_s == 0);
	ck_assert_ptr_null(pgr_serve_config_target(&c, "postgres://h/d"));
	pgr_serve_config_free(&c);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("serve_config");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_parse, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_values);
	suite_add_tcase(s, tc);
	return s;
}

PGR_CHECK_MAIN(suite)
