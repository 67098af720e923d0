/* Query latency statistics: nearest-rank p95, median of even counts. */
#include <check.h>

#include "probes/attempt.h"
#include "tests/check_main.h"

static const struct {
	int n;
	double v[20];
	double min, median, p95, max;
} cases[] = {
	{ 1, { 3 }, 3, 3, 3, 3 },
	{ 2, { 4, 2 }, 2, 3, 4, 4 },
	{ 5, { 5, 1, 4, 2, 3 }, 1, 3, 5, 5 },
	{ 20, { 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1 },
	  1, 10.5, 19, 20 },
	{ 10, { 1, 1, 1, 1, 1, 1, 1, 1, 1, 100 }, 1, 1, 100, 100 },
};

START_TEST(test_stats)
{
	double v[20], min, median, p95, max;
	int i;

	for (i = 0; i < cases[_i].n; i++)
		v[i] = cases[_i].v[i];
	pgr_query_stats(v, cases[_i].n, &min, &median, &p95, &max);
	ck_assert_double_eq(min, cases[_i].min);
	ck_assert_double_eq(median, cases[_i].median);
	ck_assert_double_eq(p95, cases[_i].p95);
	ck_assert_double_eq(max, cases[_i].max);
}
END_TEST

START_TEST(test_stats_empty)
{
	double min = 1, median = 1, p95 = 1, max = 1;

	pgr_query_stats(NULL, 0, &min, &median, &p95, &max);
	ck_assert_double_eq(max, 0);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("attempt");
	TCase *tc = tcase_create("stats");

	tcase_add_loop_test(tc, test_stats, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_stats_empty);
	suite_add_tcase(s, tc);
	return s;
}

PGR_CHECK_MAIN(suite)
