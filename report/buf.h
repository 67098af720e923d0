/*
 * A growing byte string for text that may hold a secret (a bundle file
 * before its scrub, a heroku config value): every copy it leaves behind is
 * wiped, when it grows (no realloc, which would free the old copy as is)
 * and when it is freed.  Allocation failure sticks in oom, so callers
 * check once at the end.  Always NUL-terminated once anything is added.
 */
#ifndef PGR_BUF_H
#define PGR_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct pgr_buf {
	char	*p;
	size_t	 len, cap;
	bool	 oom;
};

void	pgr_buf_add(struct pgr_buf *b, const void *p, size_t n);
void	pgr_buf_puts(struct pgr_buf *b, const char *s);
void	pgr_buf_printf(struct pgr_buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* The string (the caller frees it), or NULL, all wiped, after a failure. */
char	*pgr_buf_take(struct pgr_buf *b);
/* Wipe, free, and leave b empty. */
void	pgr_buf_wipe(struct pgr_buf *b);

#endif
