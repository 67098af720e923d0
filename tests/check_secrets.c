/*
 * The secrets module: what is registered, and every form a scrub finds.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probes/target.h"
#include "util/secrets.h"
#include "tests/check_main.h"

static void
scrubbed(const char *in, const char *want)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s", in);
	pgr_secrets_scrub(buf, sizeof(buf));
	ck_assert_str_eq(buf, want);
}

/* One registered secret, every spelling a writer or a tool may give it. */
static const struct {
	const char *in;
	const char *want;
} spelled[] = {
	{ "x hunter2pass y", "x REDACTED y" },
	{ "hunter2passhunter2pass", "REDACTEDREDACTED" },
	{ "x hunter2%70ass y", "x REDACTED y" },		/* percent, any byte */
	{ "x %68%75%6E%74%65%72%32%70%61%73%73", "x REDACTED" },
	{ "x hunter2\\pass", "x REDACTED" },			/* backslash */
	{ "x hunter2\\\\pass", "x REDACTED" },			/* escaped twice */
	{ "x \\u0068unter2pass", "x REDACTED" },			/* JSON */
	{ "x 68756e74657232706173730a", "x REDACTED0a" },	/* hex */
	{ "x 68756E74657232706173730A", "x REDACTED0A" },
	{ "x aHVudGVyMnBhc3M=", "x REDACTEDM=" },		/* base64 */
	{ "x aHVudGVy\nMnBhc3M=", "x REDACTEDM=" },		/* wrapped */
	{ "x hunter2pas", "x hunter2pas" },			/* a prefix is not it */
};

START_TEST(test_spelled)
{
	ck_assert_int_eq(pgr_secrets_add("hunter2pass"), 0);
	scrubbed(spelled[_i].in, spelled[_i].want);
}
END_TEST

START_TEST(test_sha256)
{
	pgr_secrets_add("hunter2pass");
	scrubbed("sha256 3c78868b4a272dabc628cf88b0db95b9910aad273a8dc78d3b4b6ef1772b7957.",
	    "sha256 REDACTED.");
	scrubbed("sha256 3C78868B4A272DABC628CF88B0DB95B9910AAD273A8DC78D3B4B6EF1772B7957.",
	    "sha256 REDACTED.");
}
END_TEST

/* Keys and URLs, whatever secrets are registered (none here). */
static const struct {
	const char *in;
	const char *want;
} structural[] = {
	{ "host=h password=abc user=u", "host=h password=REDACTED user=u" },
	{ "host=h password = 'a b\\'c' user=u", "host=h password = 'REDACTED' user=u" },
	{ "sslpassword='k\\\\ey' x", "sslpassword='REDACTED' x" },
	{ "PGPASSWORD=x1 ./run", "PGPASSWORD=REDACTED ./run" },
	{ "?sslmode=require&password=p%40ss&x=1", "?sslmode=require&password=REDACTED&x=1" },
	{ "{\"password\": \"abc\"}", "{\"password\": \"REDACTED\"}" },
	{ "postgres://u:pw@h:5432/db", "postgres://u:REDACTED@h:5432/db" },
	{ "invalid URI \"postgres://u:p?w#x@h/db\"", "invalid URI \"postgres://u:REDACTED@h/db\"" },
	{ "postgres://u:a/b@c@h/db rest", "postgres://u:REDACTED@h/db rest" },
	{ "postgres://u@h/db", "postgres://u@h/db" },		/* no password */
	{ "postgres://u:REDACTED@h/db", "postgres://u:REDACTED@h/db" },
	{ "password=REDACTED", "password=REDACTED" },
	{ "password authentication failed for user \"u\"",
	  "password authentication failed for user \"u\"" },
	{ "mypassword=x", "mypassword=x" },			/* another key */
};

START_TEST(test_structural)
{
	scrubbed(structural[_i].in, structural[_i].want);
}
END_TEST

/* What a target or an argument carries, as the user wrote it. */
static const struct {
	const char *raw;		/* registered with pgr_secrets_add_from() */
	const char *secret;		/* as a server would echo it */
} carried[] = {
	{ "postgres://u:s3cr%3Fet@h/db", "s3cr?et" },
	{ "postgres://u:s3cr?et#x@h/db", "s3cr?et#x" },
	{ "postgres://u:ab/cdef@h/db", "ab/cdef" },
	{ "postgres://u:p%40ss%2Fw%23rd@h/db", "p@ss/w#rd" },
	{ "postgres://u:p%C3%A4ssw%C3%B6rd%E2%9C%93@h/db", "p\xc3\xa4ssw\xc3\xb6rd\xe2\x9c\x93" },
	{ "host=h password='it\\'s s3cret'", "it's s3cret" },
	{ "host=h password=back\\\\slash", "back\\slash" },
	{ "postgres://u@h/db?sslpassword=keyphrase1", "keyphrase1" },
	{ "host=h sslpassword='key phrase'", "key phrase" },
	{ "--targets=postgres://u:argv5ecret@h/db", "argv5ecret" },
};

START_TEST(test_carried)
{
	char buf[512];

	ck_assert_int_eq(pgr_secrets_add_from(carried[_i].raw), 0);
	ck_assert_uint_ge(pgr_secrets_count(), 1);
	snprintf(buf, sizeof(buf), "FATAL: echo [%s] and [%s]",
	    carried[_i].secret, carried[_i].secret);
	pgr_secrets_scrub(buf, sizeof(buf));
	ck_assert_str_eq(buf, "FATAL: echo [REDACTED] and [REDACTED]");
}
END_TEST

/* libpq's own errors on a target, which quote the piece it choked on. */
static const struct {
	const char *raw;
	const char *msg;
	const char *want;
} pieces[] = {
	{ "postgres://user:abc/def@host/db", "invalid port number: \"abc\"",
	  "invalid port number: \"REDACTED\"" },
	{ "postgres://user:abc/def@host/db", "invalid integer value \"def@host\"",
	  "invalid integer value \"REDACTED\"" },
	{ "postgres://u:pw?x=1@h/db", "invalid URI query parameter: \"x\"",
	  "invalid URI query parameter: \"REDACTED\"" },
	{ "postgres://u:s3cr%zzet@h/db", "bad token \"s3cr%zzet\" and s3cr%zzet again",
	  "bad token \"REDACTED\" and REDACTED again" },
	{ "postgres://u@h/db", "invalid port number: \"abc\"",
	  "invalid port number: \"abc\"" },
};

START_TEST(test_pieces)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "%s", pieces[_i].msg);
	pgr_secrets_scrub_from(pieces[_i].raw, buf, sizeof(buf));
	ck_assert_str_eq(buf, pieces[_i].want);
	/* scrub_from registers nothing */
	ck_assert_uint_eq(pgr_secrets_count(), 0);
}
END_TEST

/* A real parse error of a target whose password looks like a port. */
START_TEST(test_target_errors)
{
	static const char *const bad[] = {
		"postgres://user:abc/def@host/db",
		"postgres://user:9999999/x@host/db",
		"postgres://u:pa?ss#wd@host:99999/db",
		"host=h port=x password='a\\'bcdef'",
	};
	struct pgr_target t;
	char err[512];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(pgr_target_parse(bad[i], "argument 1",
		    PGR_ROLE_POSTGRES, &t, err, sizeof(err)), -1);
		ck_assert_ptr_null(strstr(err, "abc"));
		ck_assert_ptr_null(strstr(err, "def"));
		ck_assert_ptr_null(strstr(err, "9999999"));
		ck_assert_ptr_null(strstr(err, "pa?ss"));
		ck_assert_ptr_null(strstr(err, "bcdef"));
		ck_assert_ptr_nonnull(strstr(err, "argument 1"));
	}
}
END_TEST

START_TEST(test_short_and_redacted)
{
	pgr_secrets_add("abc");
	pgr_secrets_add("REDACTED");
	pgr_secrets_add("");
	pgr_secrets_add(NULL);
	ck_assert_uint_eq(pgr_secrets_count(), 0);
	pgr_secrets_add("abcd");
	pgr_secrets_add("abcd");
	ck_assert_uint_eq(pgr_secrets_count(), 1);
	pgr_secrets_clear();
	ck_assert_uint_eq(pgr_secrets_count(), 0);
	scrubbed("abcd", "abcd");
}
END_TEST

START_TEST(test_env)
{
	setenv("PGPASSWORD", "fromTheEnv", 1);
	ck_assert_int_eq(pgr_secrets_add_env(), 0);
	scrubbed("echo: fromTheEnv", "echo: REDACTED");
	unsetenv("PGPASSWORD");
}
END_TEST

START_TEST(test_pgpass)
{
	char path[] = "/tmp/check_secrets.XXXXXX";
	int fd = mkstemp(path);
	static const char body[] =
	    "# comment:*:*:*:commentpw\n"
	    "other.example:5432:db:app:otherpass\n"
	    "h.example:5433:*:app:bouncerpw\n"
	    "h.example:5432:*:app:colon\\:pass\\\\word\n"
	    "*:*:*:*:fallbackpw\n"
	    "too:few:fields\n";

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, body, sizeof(body) - 1), (int)sizeof(body) - 1);
	close(fd);
	ck_assert_int_eq(pgr_secrets_add_pgpass(path, "h.example", 5432, "db",
	    "app"), 0);
	ck_assert_uint_eq(pgr_secrets_count(), 1);
	scrubbed("colon:pass\\word otherpass", "REDACTED otherpass");
	ck_assert_int_eq(pgr_secrets_add_pgpass(path, "h.example", 5433, "db",
	    "app"), 0);
	scrubbed("bouncerpw", "REDACTED");
	ck_assert_int_eq(pgr_secrets_add_pgpass(path, "x.example", 1, NULL,
	    "nobody"), 0);
	scrubbed("fallbackpw commentpw", "REDACTED commentpw");
	ck_assert_uint_eq(pgr_secrets_count(), 3);
	/* PGPASSFILE, and a missing file is no error */
	setenv("PGPASSFILE", "/nonexistent/pgpass", 1);
	ck_assert_int_eq(pgr_secrets_add_pgpass(NULL, "h", 5432, NULL, NULL), 0);
	unsetenv("PGPASSFILE");
	unlink(path);
}
END_TEST

/* A parsed target registers its password, sslpassword and .pgpass entry. */
START_TEST(test_target_registers)
{
	char path[] = "/tmp/check_secrets.XXXXXX";
	int fd = mkstemp(path);
	struct pgr_target t;
	char err[256], raw[512];

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "h.example:*:*:*:pgpassEntry\n", 28), 28);
	close(fd);
	snprintf(raw, sizeof(raw), "host=h.example user=app passfile=%s "
	    "sslpassword='ssl\\'phrase'", path);
	unsetenv("PGPASSWORD");
	ck_assert_int_eq(pgr_target_parse(raw, "t", PGR_ROLE_POSTGRES, &t,
	    err, sizeof(err)), 0);
	ck_assert_ptr_null(strstr(t.url, "ssl'phrase"));
	pgr_target_free(&t);
	scrubbed("a pgpassEntry b ssl'phrase c", "a REDACTED b REDACTED c");
	unlink(path);
}
END_TEST

/*
 * libpq reads the password file only when it has no password: not with
 * PGPASSWORD set, nor with one in the target; an empty one sends it there.
 */
START_TEST(test_pgpass_when_libpq_reads_it)
{
	char path[] = "/tmp/check_secrets.XXXXXX";
	int fd = mkstemp(path);
	struct pgr_target t;
	char err[256], raw[512];

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "*:*:*:*:fileSecretOne\n", 22), 22);
	close(fd);
	setenv("PGPASSWORD", "envSecretTwo", 1);
	snprintf(raw, sizeof(raw), "host=h.example user=app passfile=%s", path);
	ck_assert_int_eq(pgr_target_parse(raw, "t", PGR_ROLE_POSTGRES, &t,
	    err, sizeof(err)), 0);
	pgr_target_free(&t);
	scrubbed("x fileSecretOne y", "x fileSecretOne y");
	snprintf(raw, sizeof(raw), "host=h.example user=app password=inUrlThree passfile=%s", path);
	unsetenv("PGPASSWORD");
	ck_assert_int_eq(pgr_target_parse(raw, "t", PGR_ROLE_POSTGRES, &t,
	    err, sizeof(err)), 0);
	pgr_target_free(&t);
	scrubbed("x fileSecretOne y", "x fileSecretOne y");
	setenv("PGPASSWORD", "", 1);
	snprintf(raw, sizeof(raw), "host=h.example user=app passfile=%s", path);
	ck_assert_int_eq(pgr_target_parse(raw, "t", PGR_ROLE_POSTGRES, &t,
	    err, sizeof(err)), 0);
	pgr_target_free(&t);
	scrubbed("x fileSecretOne y", "x REDACTED y");
	unsetenv("PGPASSWORD");
	unlink(path);
}
END_TEST

START_TEST(test_cut_after_scrub)
{
	char buf[12] = "abc hunter2";

	pgr_secrets_add("hunter2pass");
	/* cut first, "hunter2" would be left; scrubbed first, nothing is */
	{
		char small[12];

		pgr_secrets_clean(small, sizeof(small), "abc hunter2pass tail", NULL);
		ck_assert_str_eq(small, "abc REDACTE");
	}
	pgr_secrets_scrub(buf, sizeof(buf));
	ck_assert_str_eq(buf, "abc hunter2");
}
END_TEST

START_TEST(test_buf_binary)
{
	static const char in[] = "a\0hunter2pass\0b";
	char *data = malloc(sizeof(in) - 1);
	size_t len = sizeof(in) - 1;

	memcpy(data, in, len);
	pgr_secrets_add("hunter2pass");
	ck_assert_int_eq(pgr_secrets_scrub_buf(&data, &len), 1);
	ck_assert_uint_eq(len, 2 + 8 + 2);
	ck_assert_int_eq(memcmp(data, "a\0REDACTED\0b", len), 0);
	free(data);
}
END_TEST

static const struct {
	const char *in;
	const char *want;
} escapes[] = {
	{ "plain text", "plain text" },
	{ "\x1b]0;pwned\x07title", "\\x1b]0;pwned\\x07title" },
	{ "boom\n\nRESULT: OK\n", "boom\\n\\nRESULT: OK\\n" },
	{ "cr\rtab\t", "cr\\rtab\\t" },
	{ "del\x7f", "del\\x7f" },
	{ "csi \xc2\x9b" "2J", "csi \\u009b2J" },
	{ "bidi \xe2\x80\xae" "txt", "bidi \\u202etxt" },
	{ "bad \xff\xfe utf8", "bad \\xff\\xfe utf8" },
	{ "overlong \xc0\xaf", "overlong \\xc0\\xaf" },
	{ "ok \xc3\xa4\xe2\x9c\x93", "ok \xc3\xa4\xe2\x9c\x93" },
};

START_TEST(test_clean)
{
	char buf[128];

	pgr_secrets_clean(buf, sizeof(buf), escapes[_i].in, NULL);
	ck_assert_str_eq(buf, escapes[_i].want);
}
END_TEST

START_TEST(test_clean_cut_and_extra)
{
	char buf[8];

	/* never half an escape, never half a character */
	pgr_secrets_clean(buf, sizeof(buf), "abcde\x1b", NULL);
	ck_assert_str_eq(buf, "abcde");
	pgr_secrets_clean(buf, sizeof(buf), "abcdef\xe2\x9c\x93", NULL);
	ck_assert_str_eq(buf, "abcdef");
	{
		char big[64];

		pgr_secrets_clean(big, sizeof(big), "NOTICE: extraSecret\n", "extraSecret");
		ck_assert_str_eq(big, "NOTICE: REDACTED\\n");
		ck_assert_uint_eq(pgr_secrets_count(), 0);
	}
}
END_TEST

START_TEST(test_dup)
{
	char *s;

	pgr_secrets_add("hunter2pass");
	s = pgr_secrets_scrub_dup("[hunter2pass]");
	ck_assert_str_eq(s, "[REDACTED]");
	free(s);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("secrets");
	TCase *tc = tcase_create("secrets");

	/* Each test starts with an empty registry, forked or not (CK_FORK=no). */
	tcase_add_checked_fixture(tc, pgr_secrets_clear, pgr_secrets_clear);

	tcase_add_loop_test(tc, test_spelled, 0, sizeof(spelled) / sizeof(spelled[0]));
	tcase_add_test(tc, test_sha256);
	tcase_add_loop_test(tc, test_structural, 0, sizeof(structural) / sizeof(structural[0]));
	tcase_add_loop_test(tc, test_carried, 0, sizeof(carried) / sizeof(carried[0]));
	tcase_add_loop_test(tc, test_pieces, 0, sizeof(pieces) / sizeof(pieces[0]));
	tcase_add_test(tc, test_target_errors);
	tcase_add_test(tc, test_short_and_redacted);
	tcase_add_test(tc, test_env);
	tcase_add_test(tc, test_pgpass);
	tcase_add_test(tc, test_target_registers);
	tcase_add_test(tc, test_pgpass_when_libpq_reads_it);
	tcase_add_test(tc, test_cut_after_scrub);
	tcase_add_test(tc, test_buf_binary);
	tcase_add_loop_test(tc, test_clean, 0, sizeof(escapes) / sizeof(escapes[0]));
	tcase_add_test(tc, test_clean_cut_and_extra);
	tcase_add_test(tc, test_dup);
	suite_add_tcase(s, tc);
	return s;
}

PGR_CHECK_MAIN(suite)
