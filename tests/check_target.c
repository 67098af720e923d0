/*
 * Target parsing: URLs, key=value strings, the environment, siblings, and
 * that no error message ever carries the password.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "probes/target.h"
#include "util/secrets.h"
#include "tests/check_main.h"

static const struct good_case {
	const char *in;
	const char *host;
	int port;
	const char *db;
	const char *user;
	const char *password;
	const char *sslmode;
	enum pgr_role role;
	const char *url;	/* redacted form */
} good[] = {
	{ "postgres://u:pw9@h.example:5432/db", "h.example", 5432, "db", "u", "pw9", NULL,
	  PGR_ROLE_POSTGRES, "postgres://u:REDACTED@h.example:5432/db" },
	{ "postgresql://u:pw9@h:5433/db", "h", 5433, "db", "u", "pw9", NULL,
	  PGR_ROLE_PGBOUNCER, "postgres://u:REDACTED@h:5433/db" },
	{ "postgres://u:p%40%3A%2F%25%2B@h/db", "h", 5432, "db", "u", "p@:/%+", NULL,
	  PGR_ROLE_POSTGRES, "postgres://u:REDACTED@h:5432/db" },
	{ "postgres://u@[fd00::5]:5432/db?sslmode=verify-full", "fd00::5", 5432, "db", "u",
	  NULL, "verify-full", PGR_ROLE_POSTGRES, "postgres://u@[fd00::5]:5432/db?sslmode=verify-full" },
	{ "host=h.example port=5433 dbname=d user=u password='a b'", "h.example", 5433,
	  "d", "u", "a b", NULL, PGR_ROLE_PGBOUNCER, "postgres://u:REDACTED@h.example:5433/d" },
	{ "postgres://h/d%20b", "h", 5432, "d b", NULL, NULL, NULL, PGR_ROLE_POSTGRES,
	  "postgres://h:5432/d%20b" },
	{ "postgres://u:p@h/db?password=q&target_session_attrs=any", "h", 5432, "db", "u", "q",
	  NULL, PGR_ROLE_POSTGRES, "postgres://u:REDACTED@h:5432/db?target_session_attrs=any" },
};

START_TEST(test_good)
{
	const struct good_case *c = &good[_i];
	struct pgr_target t;
	char err[512];

	ck_assert_int_eq(pgr_target_parse(c->in, "test", PGR_ROLE_POSTGRES, &t,
	    err, sizeof(err)), 0);
	ck_assert_str_eq(t.host, c->host);
	ck_assert_int_eq(t.port, c->port);
	ck_assert_pstr_eq(t.dbname, c->db);
	ck_assert_pstr_eq(t.user, c->user);
	ck_assert_pstr_eq(t.password, c->password);
	ck_assert_pstr_eq(t.sslmode, c->sslmode);
	ck_assert_int_eq(t.role, c->role);
	ck_assert_str_eq(t.url, c->url);
	if (c->password != NULL)
		ck_assert_ptr_null(strstr(t.url, c->password));
	pgr_target_free(&t);
}
END_TEST

static const struct bad_case {
	const char *in;
	const char *expect;	/* substring of the error */
	const char *secret;	/* must not appear in the error */
} bad[] = {
	{ "postgres://u:s3cr%zzet@h/db", "malformed", "s3cr" },
	{ "postgres://u:hunter2@[fd00::5/db", "malformed", "hunter2" },
	{ "postgres://u:hunter2@h:99999/db", "invalid port", "hunter2" },
	{ "postgres://u:hunter2@h:54x/db", "invalid port", "hunter2" },
	{ "postgres://u:hunter2@h/db?bogus=1", "malformed", "hunter2" },
	{ "host=h password=hunter2 bogus", "malformed", "hunter2" },
	{ "host=h password='hunter2", "malformed", "hunter2" },
	{ "dbname=x password=hunter2", "no host", "hunter2" },
	{ "postgres://u:hunter2@h1,h2/db", "several hosts", "hunter2" },
	{ "", "empty", NULL },
	{ "postgres://u:hunter2@h/d\001b", "control", "hunter2" },
	{ "mysql://u:hunter2@h/db", "unsupported scheme mysql; expected a postgres:// URL", "hunter2" },
	{ "http://example/db", "unsupported scheme http", NULL },
};

START_TEST(test_bad)
{
	const struct bad_case *c = &bad[_i];
	struct pgr_target t;
	char err[512];

	unsetenv("PGHOST");
	ck_assert_int_eq(pgr_target_parse(c->in, "test", PGR_ROLE_POSTGRES, &t,
	    err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, c->expect) != NULL, "error \"%s\" lacks \"%s\"",
	    err, c->expect);
	if (c->secret != NULL)
		ck_assert_msg(strstr(err, c->secret) == NULL, "secret in \"%s\"", err);
}
END_TEST

START_TEST(test_too_long)
{
	char *s = malloc(20000);
	struct pgr_target t;
	char err[512];

	memset(s, 'a', 19999);
	s[19999] = '\0';
	memcpy(s, "postgres://u:hunter2@", 21);
	ck_assert_int_eq(pgr_target_parse(s, "test", PGR_ROLE_POSTGRES, &t, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "longer than"));
	free(s);
}
END_TEST

START_TEST(test_scrub)
{
	char msg[256] = "bad token \"s3cr%zzet\" and s3cr%zzet again";

	pgr_secrets_scrub_from("postgres://u:s3cr%zzet@h/db", msg, sizeof(msg));
	ck_assert_str_eq(msg, "bad token \"REDACTED\" and REDACTED again");
}
END_TEST

START_TEST(test_env_and_siblings)
{
	char *env[] = {
		"DATABASE_ENDPOINT_B2_URL=postgres://u:p@b.example:5432/db",
		"DATABASE_ENDPOINT_A1_PGBOUNCER_URL=postgres://u:p@a.example:5433/db",
		"DATABASE_ENDPOINT_A1_URL=postgres://u:p@a.example:5432/db",
		"DATABASE_ENDPOINT_X_SOMETHING=ignored",
		"PATH=/bin",
		NULL
	};
	struct pgr_target_list l = { 0 };
	char err[256];

	unsetenv("DATABASE_URL");
	ck_assert_int_eq(pgr_targets_from_env(&l, env, err, sizeof(err)), 0);
	ck_assert_uint_eq(l.n, 3);
	/* sorted by variable name */
	ck_assert_str_eq(l.v[0].source, "DATABASE_ENDPOINT_A1_PGBOUNCER_URL");
	ck_assert_int_eq(l.v[0].role, PGR_ROLE_PGBOUNCER);
	ck_assert_str_eq(l.v[1].source, "DATABASE_ENDPOINT_A1_URL");
	ck_assert_int_eq(pgr_targets_add_siblings(&l), 0);
	/* a.example's 5433 already exists; b.example gets one */
	ck_assert_uint_eq(l.n, 4);
	ck_assert_str_eq(l.v[3].host, "b.example");
	ck_assert_int_eq(l.v[3].port, 5433);
	ck_assert_int_eq(l.v[3].role, PGR_ROLE_PGBOUNCER);
	ck_assert_int_eq(l.v[3].sibling_of, 2);
	ck_assert_str_eq(l.v[3].password, "p");
	pgr_targets_free(&l);
}
END_TEST

START_TEST(test_database_url_fallback)
{
	char *env[] = { NULL };
	struct pgr_target_list l = { 0 };
	char err[256];

	setenv("DATABASE_URL", "postgres://u:p@c.example/db", 1);
	ck_assert_int_eq(pgr_targets_from_env(&l, env, err, sizeof(err)), 0);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.v[0].source, "DATABASE_URL");
	unsetenv("DATABASE_URL");
	pgr_targets_free(&l);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("target");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_good, 0, sizeof(good) / sizeof(good[0]));
	tcase_add_loop_test(tc, test_bad, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_too_long);
	tcase_add_test(tc, test_scrub);
	tcase_add_test(tc, test_env_and_siblings);
	tcase_add_test(tc, test_database_url_fallback);
	suite_add_tcase(s, tc);
	return s;
}

PGR_CHECK_MAIN(suite)
