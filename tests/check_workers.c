/*
 * The workers: every job submitted runs exactly once, comes back through
 * reap() with its revents, the wake-up fd is readable while finished jobs
 * wait, and free() finishes the jobs still in flight.  Jobs here stand in
 * for probe steps: some burn CPU, some sleep, the way a SCRAM step and a
 * short read do.
 */
#include <check.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "probes/workers.h"
#include "tests/check_main.h"

#define NJOBS	500

struct item {
	struct pgr_job	 job;
	atomic_int	 runs;		/* times fn ran on it */
	short		 seen;		/* revents fn was given */
	int		 reaped;	/* times reap() returned it */
	unsigned	 spin;		/* the busy work's result, kept */
};

static void
work(void *arg, short revents)
{
	struct item *it = arg;
	volatile unsigned x = 0;
	int i;

	/* A mix: most jobs spin a little, one in 16 sleeps 1 ms. */
	if (revents % 16 == 0) {
		struct timespec ts = { 0, 1000000 };

		nanosleep(&ts, NULL);
	} else {
		for (i = 0; i < 2000; i++)
			x += (unsigned)i;
	}
	it->spin = x;
	it->seen = revents;
	atomic_fetch_add(&it->runs, 1);
}

static struct item *
items_new(size_t n)
{
	struct item *v = calloc(n, sizeof(*v));
	size_t i;

	ck_assert_ptr_nonnull(v);
	for (i = 0; i < n; i++) {
		v[i].job.arg = &v[i];
		v[i].job.revents = (short)(i + 1);
		atomic_init(&v[i].runs, 0);
	}
	return v;
}

/* Reap until every job is back; each wait bounded by poll's 5 s. */
static size_t
reap_all(struct pgr_workers *w)
{
	struct pollfd pfd = { .fd = pgr_workers_fd(w), .events = POLLIN };
	size_t got = 0;
	struct pgr_job *j;

	while (pgr_workers_busy(w) > 0) {
		ck_assert_int_eq(poll(&pfd, 1, 5000), 1);
		for (j = pgr_workers_reap(w); j != NULL; j = j->next) {
			((struct item *)j->arg)->reaped++;
			got++;
		}
	}
	return got;
}

START_TEST(every_job_once)
{
	static const int threads[] = { 1, 2, 4, 8 };
	struct pgr_workers *w;
	struct item *v = items_new(NJOBS);
	char err[128];
	size_t i;

	ck_assert_int_eq(pgr_workers_new(&w, threads[_i], work, err, sizeof(err)), 0);
	for (i = 0; i < NJOBS; i++)
		pgr_workers_submit(w, &v[i].job);
	ck_assert_uint_eq(pgr_workers_busy(w), NJOBS);
	ck_assert_uint_eq(reap_all(w), NJOBS);
	ck_assert_uint_eq(pgr_workers_busy(w), 0);
	for (i = 0; i < NJOBS; i++) {
		ck_assert_int_eq(atomic_load(&v[i].runs), 1);
		ck_assert_int_eq(v[i].reaped, 1);
		ck_assert_int_eq(v[i].seen, (short)(i + 1));
	}
	pgr_workers_free(w);
	free(v);
}
END_TEST

/* A job resubmitted after each return, as the loop does with a probe. */
START_TEST(resubmit_after_reap)
{
	struct pgr_workers *w;
	struct item *v = items_new(8);
	struct pollfd pfd;
	struct pgr_job *j;
	char err[128];
	int rounds = 0, i;

	ck_assert_int_eq(pgr_workers_new(&w, 3, work, err, sizeof(err)), 0);
	pfd = (struct pollfd){ .fd = pgr_workers_fd(w), .events = POLLIN };
	for (i = 0; i < 8; i++)
		pgr_workers_submit(w, &v[i].job);
	while (rounds < 400) {
		ck_assert_int_eq(poll(&pfd, 1, 5000), 1);
		for (j = pgr_workers_reap(w); j != NULL; ) {
			struct pgr_job *next = j->next;	/* submit() relinks it */

			rounds++;
			pgr_workers_submit(w, j);
			j = next;
		}
	}
	reap_all(w);
	for (i = 0, rounds = 0; i < 8; i++)
		rounds += atomic_load(&v[i].runs);
	ck_assert_int_ge(rounds, 400 + 8);
	pgr_workers_free(w);
	free(v);
}
END_TEST

/* Nothing done: the fd stays quiet; free() waits for what is in flight. */
START_TEST(quiet_then_free_in_flight)
{
	struct pgr_workers *w;
	struct item *v = items_new(64);
	struct pollfd pfd;
	char err[128];
	int i;

	ck_assert_int_eq(pgr_workers_new(&w, 2, work, err, sizeof(err)), 0);
	pfd = (struct pollfd){ .fd = pgr_workers_fd(w), .events = POLLIN };
	ck_assert_int_eq(poll(&pfd, 1, 20), 0);
	ck_assert_ptr_null(pgr_workers_reap(w));
	for (i = 0; i < 64; i++)
		pgr_workers_submit(w, &v[i].job);
	pgr_workers_wait(w);	/* returns once at least one is done */
	ck_assert_int_eq(poll(&pfd, 1, 0), 1);
	pgr_workers_free(w);	/* the rest still queued or running */
	for (i = 0; i < 64; i++)
		ck_assert_int_eq(atomic_load(&v[i].runs), 1);
	free(v);
}
END_TEST

START_TEST(default_count)
{
	int n = pgr_workers_default();
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	ck_assert_int_ge(n, 1);
	ck_assert_int_le(n, 8);
	if (online >= 1 && online <= 8)
		ck_assert_int_eq(n, (int)online);
}
END_TEST

static Suite *
workers_suite(void)
{
	Suite *s = suite_create("workers");
	TCase *tc = tcase_create("workers");

	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, every_job_once, 0, 4);
	tcase_add_test(tc, resubmit_after_reap);
	tcase_add_test(tc, quiet_then_free_in_flight);
	tcase_add_test(tc, default_count);
	suite_add_tcase(s, tc);
	return s;
}

PGR_CHECK_MAIN(workers_suite)
