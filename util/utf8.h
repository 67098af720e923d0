/*
 * UTF-8 as RFC 3629 defines it, for the writers that must pass text from
 * the network on without letting a malformed byte through.
 */
#ifndef PGR_UTF8_H
#define PGR_UTF8_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PGR_UTF8_REPLACEMENT	"\xef\xbf\xbd"	/* U+FFFD */

/*
 * The length of the well-formed sequence at p (at most n bytes) and its
 * code point in *cp; 0 if the byte at p does not start one: a stray
 * continuation byte, an overlong form, a surrogate, a code point above
 * U+10FFFF or a sequence cut short.
 */
size_t	pgr_utf8_seq(const unsigned char *p, size_t n, uint32_t *cp);

/* Offset of the first byte of s that breaks UTF-8, or len if none does. */
size_t	pgr_utf8_invalid_at(const unsigned char *s, size_t len);

/*
 * What a format writes for the code point c at byte i of s: a string, ""
 * to drop it, or NULL to copy it as it is.
 */
typedef const char *(*pgr_utf8_escape_fn)(const char *s, size_t i, uint32_t c);

/*
 * s to f through esc, one code point at a time; a byte that does not start
 * a well-formed sequence becomes U+FFFD.  Nothing if s is NULL.
 */
void	pgr_utf8_escape(FILE *f, const char *s, pgr_utf8_escape_fn esc);

#endif
