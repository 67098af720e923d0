/* Libraries opened when a feature first needs them (see lazylib.h). */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/lazylib.h"

/* Under l->mu: open and resolve, or keep the reason in l->err. */
static int
load_locked(struct pgr_lazylib *l)
{
	void *h;
	size_t i;

	if ((h = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(l->err, sizeof(l->err), "%s needs %s (install the Debian package %s): %s",
		    l->what, l->soname, l->package, dlerror());
		return -1;
	}
	for (i = 0; i < l->n; i++)
		if ((l->fns[i] = dlsym(h, l->names[i])) == NULL) {
			snprintf(l->err, sizeof(l->err), "%s needs %s, and this one has no %s",
			    l->what, l->soname, l->names[i]);
			memset(l->fns, 0, l->n * sizeof(*l->fns));
			dlclose(h);
			return -1;
		}
	if (l->on_load != NULL)
		l->on_load(l->fns);
	/* Kept open: the process ends with it, the way a linked library does. */
	return 1;
}

int
pgr_lazylib_load(struct pgr_lazylib *l, char *err, size_t errlen)
{
	int st = __atomic_load_n(&l->state, __ATOMIC_ACQUIRE);

	if (st == 0) {
		pthread_mutex_lock(&l->mu);
		if ((st = l->state) == 0)
			__atomic_store_n(&l->state, st = load_locked(l), __ATOMIC_RELEASE);
		pthread_mutex_unlock(&l->mu);
	}
	if (st > 0)
		return 0;
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", l->err);
	return -1;
}

void *
pgr_lazylib_fn(struct pgr_lazylib *l, size_t i)
{
	if (__atomic_load_n(&l->state, __ATOMIC_ACQUIRE) <= 0 &&
	    pgr_lazylib_load(l, NULL, 0) != 0) {
		fprintf(stderr, "pgreach: %s\n", l->err);
		exit(3);
	}
	return l->fns[i];
}
