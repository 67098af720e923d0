/*
 * Nagios ranges: parse, alert and print back, one table per property.
 * The alert table is the guidelines' own examples plus the edges.
 */
#include <check.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/range.h"
#include "tests/check_main.h"

#define ANY	0	/* "don't care" for a bound the range does not have */

struct parse_case {
	const char *in;
	bool	ok;
	bool	inside, no_start, no_end;
	double	start, end;
	const char *canon;	/* pgr_range_format() of the result */
	const char *err;	/* substring of the error message */
};

static const struct parse_case parse_cases[] = {
	{ "10", true, false, false, false, 0, 10, "10", NULL },
	{ "10:", true, false, false, true, 10, ANY, "10:", NULL },
	{ "~:10", true, false, true, false, ANY, 10, "~:10", NULL },
	{ "10:20", true, false, false, false, 10, 20, "10:20", NULL },
	{ "@10:20", true, true, false, false, 10, 20, "@10:20", NULL },
	{ "@10", true, true, false, false, 0, 10, "@10", NULL },
	{ "0.5", true, false, false, false, 0, 0.5, "0.5", NULL },
	{ "0.25:1.5", true, false, false, false, 0.25, 1.5, "0.25:1.5", NULL },
	{ "-10:-5", true, false, false, false, -10, -5, "-10:-5", NULL },
	{ "-1:", true, false, false, true, -1, ANY, "-1:", NULL },
	{ "~:-3.5", true, false, true, false, ANY, -3.5, "~:-3.5", NULL },
	{ ":10", true, false, false, false, 0, 10, "10", NULL },
	{ "0:", true, false, false, true, 0, ANY, "0:", NULL },
	{ "~:", true, false, true, true, ANY, ANY, "~:", NULL },
	{ "@~:", true, true, true, true, ANY, ANY, "@~:", NULL },
	{ "5:5", true, false, false, false, 5, 5, "5:5", NULL },
	{ "+3", true, false, false, false, 0, 3, "3", NULL },
	{ "1e3", true, false, false, false, 0, 1000, "1000", NULL },
	{ "2.5E-1", true, false, false, false, 0, 0.25, "0.25", NULL },
	{ ".5", true, false, false, false, 0, 0.5, "0.5", NULL },
	{ "5.", true, false, false, false, 0, 5, "5", NULL },
	{ "0.1", true, false, false, false, 0, 0.1, "0.1", NULL },
	{ "0", true, false, false, false, 0, 0, "0", NULL },
	{ "1e20", true, false, false, false, 0, 1e20, "1e+20", NULL },
	{ "0.00001", true, false, false, false, 0, 1e-5, "1e-05", NULL },
	{ "123456.789", true, false, false, false, 0, 123456.789,
	  "123456.789", NULL },
	{ "~:0.30000000000000004", true, false, true, false, ANY,
	  0.30000000000000004, "~:0.30000000000000004", NULL },

	{ "", false, 0, 0, 0, 0, 0, NULL, "empty" },
	{ "@", false, 0, 0, 0, 0, 0, NULL, "nothing after '@'" },
	{ ":", false, 0, 0, 0, 0, 0, NULL, "neither start nor end" },
	{ "@:", false, 0, 0, 0, 0, 0, NULL, "neither start nor end" },
	{ "10abc", false, 0, 0, 0, 0, 0, NULL, "unexpected 'abc'" },
	{ "10:20x", false, 0, 0, 0, 0, 0, NULL, "unexpected 'x'" },
	{ "x10", false, 0, 0, 0, 0, 0, NULL, "is not a number" },
	{ "20:10", false, 0, 0, 0, 0, 0, NULL, "greater than end" },
	{ "-5", false, 0, 0, 0, 0, 0, NULL, "greater than end" },
	{ "1:2:3", false, 0, 0, 0, 0, 0, NULL, "more than one ':'" },
	{ "10::", false, 0, 0, 0, 0, 0, NULL, "more than one ':'" },
	{ "nan", false, 0, 0, 0, 0, 0, NULL, "is not a number" },
	{ "inf", false, 0, 0, 0, 0, 0, NULL, "is not a number" },
	{ "-inf:0", false, 0, 0, 0, 0, 0, NULL, "is not a number" },
	{ "1e999", false, 0, 0, 0, 0, 0, NULL, "out of range" },
	{ "0x10", false, 0, 0, 0, 0, 0, NULL, "unexpected 'x10'" },
	{ " 10", false, 0, 0, 0, 0, 0, NULL, "is not a number" },
	{ "10 ", false, 0, 0, 0, 0, 0, NULL, "unexpected ' '" },
	{ "~", false, 0, 0, 0, 0, 0, NULL, "is not a number" },
	{ "~10", false, 0, 0, 0, 0, 0, NULL, "is not a number" },
	{ "10:~", false, 0, 0, 0, 0, 0, NULL, "is not a number" },
	{ "@@10", false, 0, 0, 0, 0, 0, NULL, "is not a number" },
	{ "10:@20", false, 0, 0, 0, 0, 0, NULL, "is not a number" },
	{ "1e", false, 0, 0, 0, 0, 0, NULL, "unexpected 'e'" },
	{ "1.2.3", false, 0, 0, 0, 0, 0, NULL, "unexpected '.3'" },
	{ "-", false, 0, 0, 0, 0, 0, NULL, "is not a number" },
	{ "1,5", false, 0, 0, 0, 0, 0, NULL, "unexpected ',5'" },
	{ "00000000000000000000000000000000000000000000000000000000000000001",
	  false, 0, 0, 0, 0, 0, NULL, "too long" },
};

START_TEST(test_parse)
{
	const struct parse_case *c = &parse_cases[_i];
	struct pgr_range r;
	char err[256] = "", buf[128];
	int rc;

	memset(&r, 0xa5, sizeof(r));
	rc = pgr_range_parse(c->in, &r, err, sizeof(err));
	if (!c->ok) {
		ck_assert_msg(rc == -1, "'%s' should fail", c->in);
		ck_assert(!r.set);
		ck_assert_msg(strstr(err, c->err) != NULL,
		    "'%s': error '%s' lacks '%s'", c->in, err, c->err);
		return;
	}
	ck_assert_msg(rc == 0, "'%s' failed: %s", c->in, err);
	ck_assert(r.set);
	ck_assert_int_eq(r.inside, c->inside);
	ck_assert_int_eq(r.no_start, c->no_start);
	ck_assert_int_eq(r.no_end, c->no_end);
	if (!c->no_start)
		ck_assert_double_eq(r.start, c->start);
	if (!c->no_end)
		ck_assert_double_eq(r.end, c->end);

	ck_assert_int_eq(pgr_range_format(&r, buf, sizeof(buf)),
	    (int)strlen(c->canon));
	ck_assert_str_eq(buf, c->canon);
}
END_TEST

/* The canonical text parses back to the same range. */
START_TEST(test_roundtrip)
{
	const struct parse_case *c = &parse_cases[_i];
	struct pgr_range a, b;
	char buf[128], err[256];

	if (!c->ok)
		return;
	ck_assert_int_eq(pgr_range_parse(c->in, &a, err, sizeof(err)), 0);
	ck_assert_int_ge(pgr_range_format(&a, buf, sizeof(buf)), 0);
	ck_assert_msg(pgr_range_parse(buf, &b, err, sizeof(err)) == 0,
	    "'%s' -> '%s': %s", c->in, buf, err);
	ck_assert(b.set);
	ck_assert_int_eq(a.inside, b.inside);
	ck_assert_int_eq(a.no_start, b.no_start);
	ck_assert_int_eq(a.no_end, b.no_end);
	if (!a.no_start)
		ck_assert_double_eq(a.start, b.start);
	if (!a.no_end)
		ck_assert_double_eq(a.end, b.end);
}
END_TEST

struct alert_case {
	const char *range;
	double	value;
	bool	alerts;
};

static const struct alert_case alert_cases[] = {
	/* 10: OK 0..10 */
	{ "10", -0.1, true }, { "10", 0, false }, { "10", 5, false },
	{ "10", 10, false }, { "10", 10.0001, true },
	/* 10: OK >= 10 */
	{ "10:", 9.99, true }, { "10:", 10, false }, { "10:", 1e12, false },
	/* ~:10: OK <= 10 */
	{ "~:10", -1e12, false }, { "~:10", 10, false }, { "~:10", 11, true },
	/* 10:20: OK inside */
	{ "10:20", 9, true }, { "10:20", 10, false }, { "10:20", 20, false },
	{ "10:20", 21, true },
	/* @10:20: alert inside, ends included */
	{ "@10:20", 9, false }, { "@10:20", 10, true }, { "@10:20", 15, true },
	{ "@10:20", 20, true }, { "@10:20", 20.5, false },
	/* decimals, the usual seconds thresholds */
	{ "0.5", 0.499, false }, { "0.5", 0.501, true },
	{ "-10:-5", -7, false }, { "-10:-5", -4, true }, { "-10:-5", -11, true },
	{ "~:", 1e300, false }, { "@~:", 0, true },
	{ "5:5", 5, false }, { "5:5", 5.0000001, true },
	/* an unmeasured value is never judged */
	{ "10", NAN, false }, { "@10:20", NAN, false },
};

START_TEST(test_alerts)
{
	const struct alert_case *c = &alert_cases[_i];
	struct pgr_range r;
	char err[256];

	ck_assert_msg(pgr_range_parse(c->range, &r, err, sizeof(err)) == 0,
	    "%s: %s", c->range, err);
	ck_assert_msg(pgr_range_alerts(&r, c->value) == c->alerts,
	    "range '%s' value %g: expected alerts=%d", c->range, c->value,
	    c->alerts);
}
END_TEST

START_TEST(test_unset)
{
	struct pgr_range r;
	char buf[16] = "junk";

	memset(&r, 0, sizeof(r));
	ck_assert(!pgr_range_alerts(&r, 1e300));
	ck_assert(!pgr_range_alerts(&r, -1e300));
	ck_assert(!pgr_range_alerts(NULL, 5));
	ck_assert_int_eq(pgr_range_format(&r, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(pgr_range_format(NULL, buf, sizeof(buf)), 0);
	ck_assert_int_eq(pgr_range_parse(NULL, &r, NULL, 0), -1);
}
END_TEST

START_TEST(test_format_small_buffer)
{
	struct pgr_range r;
	char buf[5];
	char err[64];

	ck_assert_int_eq(pgr_range_parse("@10:20", &r, err, sizeof(err)), 0);
	ck_assert_int_eq(pgr_range_format(&r, buf, sizeof(buf)), -1);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(pgr_range_format(&r, buf, 0), -1);
	/* exactly enough room: 6 chars and the NUL */
	{
		char fit[7];

		ck_assert_int_eq(pgr_range_format(&r, fit, sizeof(fit)), 6);
		ck_assert_str_eq(fit, "@10:20");
	}
}
END_TEST

/* A tiny error buffer truncates the message, never overflows it. */
START_TEST(test_error_truncation)
{
	struct pgr_range r;
	char err[8];

	memset(err, 'x', sizeof(err));
	ck_assert_int_eq(pgr_range_parse("10abc", &r, err, sizeof(err)), -1);
	ck_assert_int_eq(err[sizeof(err) - 1], '\0');
	ck_assert_int_eq(pgr_range_parse("10abc", &r, NULL, 0), -1);
}
END_TEST

/* A locale with a decimal comma must not change what "0.5" means. */
START_TEST(test_locale_independent)
{
	static const char *locales[] = { "de_DE.UTF-8", "fr_FR.UTF-8",
	    "C.UTF-8" };
	struct pgr_range r;
	char err[128], buf[32];
	size_t i;

	for (i = 0; i < sizeof(locales) / sizeof(locales[0]); i++) {
		if (setlocale(LC_NUMERIC, locales[i]) == NULL)
			continue;
		ck_assert_int_eq(pgr_range_parse("0.5:1.25", &r, err,
		    sizeof(err)), 0);
		ck_assert_double_eq(r.start, 0.5);
		ck_assert_double_eq(r.end, 1.25);
		ck_assert_int_ge(pgr_range_format(&r, buf, sizeof(buf)), 0);
		ck_assert_str_eq(buf, "0.5:1.25");
	}
	setlocale(LC_NUMERIC, "C");
}
END_TEST

static Suite *
range_suite(void)
{
	Suite *s = suite_create("range");
	TCase *tc = tcase_create("range");
	int nparse = sizeof(parse_cases) / sizeof(parse_cases[0]);
	int nalert = sizeof(alert_cases) / sizeof(alert_cases[0]);

	tcase_add_loop_test(tc, test_parse, 0, nparse);
	tcase_add_loop_test(tc, test_roundtrip, 0, nparse);
	tcase_add_loop_test(tc, test_alerts, 0, nalert);
	tcase_add_test(tc, test_unset);
	tcase_add_test(tc, test_format_small_buffer);
	tcase_add_test(tc, test_error_truncation);
	tcase_add_test(tc, test_locale_independent);
	suite_add_tcase(s, tc);
	return s;
}

PGR_CHECK_MAIN(range_suite)
