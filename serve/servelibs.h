/* libmicrohttpd and libcrypt, opened for `pgreach serve` only (serve/servelibs.c). */
#ifndef PGR_SERVELIBS_H
#define PGR_SERVELIBS_H

#include <stddef.h>

/* Open both, once per process; 0, or -1 with err naming the missing one. */
int	pgr_serve_libs_load(char *err, size_t errlen);

#endif
