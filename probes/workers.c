/*
 * A small pool of threads for the poll loop's CPU-bound steps.  Jobs go in
 * through a locked list; finished ones come back through another, and a
 * pipe wakes the loop's poll() when that list turns non-empty, the way
 * libuv's thread pool signals its loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probes/workers.h"

#define MAX_WORKERS 8

struct pgr_workers {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;		/* work queued, or stop */
	struct pgr_job	*todo, **todo_tail;
	struct pgr_job	*done, **done_tail;
	bool		 stop;
	size_t		 busy;		/* the loop's count: submitted, not reaped */
	int		 wake[2];	/* a byte when done turns non-empty */
	void		(*fn)(void *arg, short revents);
	int		 n;
	pthread_t	 th[MAX_WORKERS];
};

int
pgr_workers_default(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > MAX_WORKERS ? MAX_WORKERS : (int)n;
}

static void *
worker(void *arg)
{
	struct pgr_workers *w = arg;
	struct pgr_job *job;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->todo == NULL && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if ((job = w->todo) == NULL)
			break;		/* stopping, and nothing left */
		if ((w->todo = job->next) == NULL)
			w->todo_tail = &w->todo;
		pthread_mutex_unlock(&w->mu);

		w->fn(job->arg, job->revents);

		pthread_mutex_lock(&w->mu);
		job->next = NULL;
		if (w->done == NULL) {
			ssize_t r;

			/*
			 * Written under the lock, and the loop empties the pipe
			 * before it takes the list: a job is never left without
			 * a byte to wake the loop for it.
			 */
			do
				r = write(w->wake[1], "", 1);
			while (r < 0 && errno == EINTR);
		}
		*w->done_tail = job;
		w->done_tail = &job->next;
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int
pgr_workers_new(struct pgr_workers **out, int n,
    void (*fn)(void *arg, short revents), char *err, size_t errlen)
{
	struct pgr_workers *w;
	sigset_t all, old;
	int e = 0;

	*out = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (pipe2(w->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		free(w);
		return -1;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->todo_tail = &w->todo;
	w->done_tail = &w->done;
	w->fn = fn;
	if (n > MAX_WORKERS)
		n = MAX_WORKERS;
	/* Signals stay with the main thread; the workers take none. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	while (w->n < n && (e = pthread_create(&w->th[w->n], NULL, worker, w)) == 0)
		w->n++;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (w->n == 0) {
		snprintf(err, errlen, "cannot start a thread: %s", strerror(e));
		pgr_workers_free(w);
		return -1;
	}
	*out = w;
	return 0;
}

int
pgr_workers_fd(const struct pgr_workers *w)
{
	return w->wake[0];
}

void
pgr_workers_submit(struct pgr_workers *w, struct pgr_job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&w->mu);
	*w->todo_tail = job;
	w->todo_tail = &job->next;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	w->busy++;
}

struct pgr_job *
pgr_workers_reap(struct pgr_workers *w)
{
	struct pgr_job *list, *j;
	char buf[64];

	while (read(w->wake[0], buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&w->mu);
	list = w->done;
	w->done = NULL;
	w->done_tail = &w->done;
	pthread_mutex_unlock(&w->mu);
	for (j = list; j != NULL; j = j->next)
		w->busy--;
	return list;
}

size_t
pgr_workers_busy(const struct pgr_workers *w)
{
	return w->busy;
}

void
pgr_workers_wait(struct pgr_workers *w)
{
	struct pollfd pfd = { .fd = w->wake[0], .events = POLLIN };

	/*
	 * A job is one non-blocking step (a few ms of CPU at most), so this
	 * wait ends soon; it only lets the deadline's expiry see every probe
	 * back in the loop's hands.
	 */
	while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
		;
}

void
pgr_workers_free(struct pgr_workers *w)
{
	int i;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	for (i = 0; i < w->n; i++)
		pthread_join(w->th[i], NULL);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	close(w->wake[0]);
	close(w->wake[1]);
	free(w);
}
