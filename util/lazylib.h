/*
 * Libraries opened when a feature first needs them (dlopen), not mapped by
 * the dynamic loader on every run: libcurl and libxml2 for --aws,
 * libmicrohttpd and libcrypt for `pgreach serve`.  Together they bring 17
 * more libraries (ICU and libstdc++ among them): 7.9 M instructions and
 * about 5 ms of every run's start on the bench machine, a health check's
 * included (bench/results/2026-12-06-startup-libs.txt).
 *
 * A feature's file defines the library's functions under their own names,
 * each calling through the table this loads, so the code that uses the
 * library keeps calling it as its documentation says.
 */
#ifndef PGR_LAZYLIB_H
#define PGR_LAZYLIB_H

#include <pthread.h>
#include <stddef.h>

struct pgr_lazylib {
	const char		*soname;	/* "libcurl.so.4" */
	const char		*package;	/* Debian package that ships it */
	const char		*what;		/* "--aws": what needs it */
	const char *const	*names;		/* the symbols, in fns order */
	void			**fns;		/* filled by the load */
	size_t			n;
	void			(*on_load)(void **fns); /* or NULL */
	pthread_mutex_t		mu;
	int			state;		/* 0 untried, 1 loaded, -1 failed */
	char			err[256];
};

#define PGR_LAZYLIB_INIT(so, pkg, what, names, fns, on_load)		\
	{ (so), (pkg), (what), (names), (fns),				\
	    sizeof(names) / sizeof((names)[0]), (on_load),		\
	    PTHREAD_MUTEX_INITIALIZER, 0, "" }

/*
 * Open the library and resolve every name, once per process, from any
 * thread; 0, or -1 with err saying what is missing and which package has it.
 */
int	pgr_lazylib_load(struct pgr_lazylib *l, char *err, size_t errlen);

/*
 * fns[i], loading first if need be.  The features load at their start and
 * fail there with a message; a call that comes first and finds the library
 * missing prints the same message and exits 3 (the environment is unusable).
 */
void	*pgr_lazylib_fn(struct pgr_lazylib *l, size_t i);

#endif
