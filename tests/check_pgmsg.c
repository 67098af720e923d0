/*
 * libpq and server messages into codes: the SQLSTATE is taken from the
 * verbose message, PgBouncer's words decide where it sends 08P01.
 */
#include <check.h>
#include <string.h>

#include "probes/pgmsg.h"
#include "tests/check_main.h"

static const struct {
	const char *msg;
	const char *sqlstate;
	const char *text;
	enum pgr_err login;
} login_cases[] = {
	{ "connection to server at \"h\" (10.0.1.5), port 5432 failed: FATAL:  28P01: password authentication failed for user \"app\"\nLOCATION:  auth_failed, auth.c:335\n",
	  "28P01", "password authentication failed for user \"app\"", PGR_LOGIN_AUTH },
	{ "connection to server at \"h\" (10.0.1.5), port 5432 failed: FATAL:  3D000: database \"appdb\" does not exist\n",
	  "3D000", "database \"appdb\" does not exist", PGR_LOGIN_DATABASE },
	{ "connection to server at \"h\" (10.0.1.5), port 5432 failed: FATAL:  53300: too many connections for role \"app\"\n",
	  "53300", "too many connections for role \"app\"", PGR_LOGIN_CAPACITY },
	{ "connection to server at \"h\" (10.0.2.5), port 5433 failed: FATAL:  08P01: no more connections allowed (max_client_conn)\n",
	  "08P01", "no more connections allowed (max_client_conn)", PGR_LOGIN_PGBOUNCER_FULL },
	/* Postgres's 53300 relayed by PgBouncer stays the server's capacity. */
	{ "connection to server at \"h\" (10.0.2.5), port 5433 failed: FATAL:  08P01: too many connections for role \"app\"\n",
	  "08P01", "too many connections for role \"app\"", PGR_LOGIN_CAPACITY },
	{ "connection to server at \"h\" (10.0.1.5), port 5432 failed: FATAL:  55000: database \"appdb\" is not currently accepting connections\n",
	  "55000", "database \"appdb\" is not currently accepting connections", PGR_LOGIN_NOT_ACCEPTING },
	{ "connection to server at \"h\" (10.0.2.5), port 5433 failed: FATAL:  08P01: database \"appdb\" is not currently accepting connections\n",
	  "08P01", "database \"appdb\" is not currently accepting connections", PGR_LOGIN_NOT_ACCEPTING },
	{ "connection to server at \"h\" (10.0.2.5), port 5433 failed: FATAL:  08P01: the database system is shutting down\n",
	  "08P01", "the database system is shutting down", PGR_LOGIN_CANNOT_CONNECT_NOW },
	{ "connection to server at \"h\" (10.0.2.5), port 5433 failed: FATAL:  08P01: password authentication failed\n",
	  "08P01", "password authentication failed", PGR_LOGIN_AUTH },
	{ "connection to server at \"h\" (10.0.2.5), port 5433 failed: FATAL:  08P01: no such database: appdb\n",
	  "08P01", "no such database: appdb", PGR_LOGIN_DATABASE },
	{ "connection to server at \"h\" (10.0.1.5), port 5432 failed: server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally\n",
	  "", "server closed the connection unexpectedly", PGR_LOGIN_CLOSED },
	{ "connection to server at \"h\" (10.0.1.5), port 5432 failed: FATAL:  57P03: the database system is starting up\n",
	  "57P03", "the database system is starting up", PGR_LOGIN_CANNOT_CONNECT_NOW },
	{ "", "", "", PGR_LOGIN_ERROR },
};

START_TEST(test_login)
{
	char ss[6], text[256];

	pgr_pgmsg_parse(login_cases[_i].msg, NULL, ss, text, sizeof(text));
	ck_assert_str_eq(ss, login_cases[_i].sqlstate);
	ck_assert_str_eq(text, login_cases[_i].text);
	ck_assert_int_eq(pgr_pgmsg_login_code(ss, text), login_cases[_i].login);
}
END_TEST

static const struct {
	const char *msg;
	enum pgr_err code;
} tls_cases[] = {
	{ "connection to server at \"h\" (10.0.1.5), port 5432 failed: server does not support SSL, but SSL was required", PGR_TLS_NOT_OFFERED },
	{ "connection to server at \"h\" (10.0.1.5), port 5432 failed: SSL SYSCALL error: EOF detected", PGR_TLS_CLOSED },
	{ "connection to server at \"h\" (10.0.1.5), port 5432 failed: server closed the connection unexpectedly", PGR_TLS_CLOSED },
	{ "connection to server at \"h\" (10.0.1.5), port 5432 failed: SSL error: tlsv1 alert protocol version", PGR_TLS_HANDSHAKE },
	{ "connection to server at \"h\" (10.0.1.5), port 5432 failed: received invalid response to SSL negotiation: X", PGR_TLS_HANDSHAKE },
	{ "connection to server at \"h\" (10.0.1.5), port 5432 failed: SSL error: certificate verify failed", PGR_TLS_HANDSHAKE },
};

START_TEST(test_tls)
{
	char ss[6], text[256];

	pgr_pgmsg_parse(tls_cases[_i].msg, NULL, ss, text, sizeof(text));
	ck_assert_int_eq(pgr_pgmsg_tls_code(text), tls_cases[_i].code);
}
END_TEST

START_TEST(test_secret_scrubbed)
{
	char ss[6], text[256];

	pgr_pgmsg_parse("FATAL:  28P01: no such user hunter2 here", "hunter2", ss,
	    text, sizeof(text));
	ck_assert_str_eq(text, "no such user REDACTED here");
	pgr_pgmsg_parse("FATAL:  28P01: hunter2hunter2", "hunter2", ss, text, 12);
	ck_assert_ptr_null(strstr(text, "hunter2"));
	ck_assert_ptr_null(strstr(text, "hunt"));
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("pgmsg");
	TCase *tc = tcase_create("classify");

	tcase_add_loop_test(tc, test_login, 0, sizeof(login_cases) / sizeof(login_cases[0]));
	tcase_add_loop_test(tc, test_tls, 0, sizeof(tls_cases) / sizeof(tls_cases[0]));
	tcase_add_test(tc, test_secret_scrubbed);
	suite_add_tcase(s, tc);
	return s;
}

PGR_CHECK_MAIN(suite)
