#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/buf.h"

void
pgr_buf_add(struct pgr_buf *b, const void *p, size_t n)
{
	char *np;
	size_t cap;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (b->len + n + 1 > cap)
			cap *= 2;
		if ((np = malloc(cap)) == NULL) {
			b->oom = true;
			return;
		}
		if (b->p != NULL) {
			memcpy(np, b->p, b->len);
			explicit_bzero(b->p, b->cap);
			free(b->p);
		}
		b->p = np;
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
pgr_buf_puts(struct pgr_buf *b, const char *s)
{
	pgr_buf_add(b, s, strlen(s));
}

void
pgr_buf_printf(struct pgr_buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[512], *big;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		pgr_buf_add(b, small, (size_t)n);
		explicit_bzero(small, (size_t)n);
		return;
	}
	if ((big = malloc((size_t)n + 1)) == NULL) {
		b->oom = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	pgr_buf_add(b, big, (size_t)n);
	explicit_bzero(big, (size_t)n);
	free(big);
}

char *
pgr_buf_take(struct pgr_buf *b)
{
	char *s;

	if (b->p == NULL)
		pgr_buf_add(b, "", 0);
	if (b->oom) {
		pgr_buf_wipe(b);
		return NULL;
	}
	s = b->p;
	memset(b, 0, sizeof(*b));
	return s;
}

void
pgr_buf_wipe(struct pgr_buf *b)
{
	if (b->p != NULL) {
		explicit_bzero(b->p, b->cap);
		free(b->p);
	}
	memset(b, 0, sizeof(*b));
}
