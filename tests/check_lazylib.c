/*
 * util/lazylib: a library opened at first need, once per process, from any
 * thread; what a missing library or symbol says.
 */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/lazylib.h"
#include "tests/check_main.h"

static const char *const m_names[] = { "cos", "sqrt" };
static void *m_fns[2];
static int m_loaded;

static void
m_on_load(void **fns)
{
	__atomic_add_fetch(&m_loaded, 1, __ATOMIC_RELAXED);
	ck_assert_ptr_nonnull(fns[0]);
}

static struct pgr_lazylib m_lib = PGR_LAZYLIB_INIT("libm.so.6", "libc6",
    "the test", m_names, m_fns, m_on_load);

static void *
load_m(void *arg)
{
	char err[256];

	*(int *)arg = pgr_lazylib_load(&m_lib, err, sizeof(err));
	return NULL;
}

START_TEST(test_loads_once_from_threads)
{
	pthread_t t[4];
	int rc[4], i;
	double (*c)(double), (*s)(double);

	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, load_m, &rc[i]), 0);
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(rc[i], 0);
	}
	ck_assert_int_eq(m_loaded, 1);
	*(void **)&c = pgr_lazylib_fn(&m_lib, 0);
	*(void **)&s = pgr_lazylib_fn(&m_lib, 1);
	ck_assert(c(0.0) == 1.0);
	ck_assert(s(16.0) == 4.0);
	ck_assert_int_eq(m_loaded, 1);
}
END_TEST

static const char *const x_names[] = { "cos" };
static void *x_fns[1];
static struct pgr_lazylib x_lib = PGR_LAZYLIB_INIT("libpgreach-absent.so.9",
    "libpgreach-absent9", "--frobnicate", x_names, x_fns, NULL);

START_TEST(test_missing_library)
{
	char err[256];

	ck_assert_int_eq(pgr_lazylib_load(&x_lib, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "--frobnicate needs libpgreach-absent.so.9 "
	    "(install the Debian package libpgreach-absent9): "));
	/* Tried once: the second answer is the first's. */
	err[0] = '\0';
	ck_assert_int_eq(pgr_lazylib_load(&x_lib, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "install the Debian package libpgreach-absent9"));
	ck_assert_ptr_null(x_fns[0]);
}
END_TEST

static const char *const y_names[] = { "cos", "pgr_no_such_function" };
static void *y_fns[2];
static struct pgr_lazylib y_lib = PGR_LAZYLIB_INIT("libm.so.6", "libc6",
    "--frobnicate", y_names, y_fns, NULL);

START_TEST(test_missing_symbol)
{
	char err[256];

	ck_assert_int_eq(pgr_lazylib_load(&y_lib, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "--frobnicate needs libm.so.6, and this one has no pgr_no_such_function");
	/* No half table: nothing resolved stays. */
	ck_assert_ptr_null(y_fns[0]);
}
END_TEST

/* A call before any load, with the library missing: the message, exit 3. */
START_TEST(test_call_without_library_exits_3)
{
	pgr_lazylib_fn(&x_lib, 0);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("lazylib");
	TCase *tc = tcase_create("core");
	const char *fork = getenv("CK_FORK");

	tcase_add_test(tc, test_loads_once_from_threads);
	tcase_add_test(tc, test_missing_library);
	tcase_add_test(tc, test_missing_symbol);
	/* An exit test ends the runner itself without fork (CK_FORK=no). */
	if (fork == NULL || strcmp(fork, "no") != 0)
		tcase_add_exit_test(tc, test_call_without_library_exits_3, 3);
	suite_add_tcase(s, tc);
	return s;
}

PGR_CHECK_MAIN(suite)
