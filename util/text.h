/*
 * Small text helpers every layer shares: one of each, where there were
 * copies (three UTF-8 validators, two RFC 3339 formatters, two hexvals).
 */
#ifndef PGR_TEXT_H
#define PGR_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* The value of a hex digit, -1 if c is none. */
int	pgr_hexval(int c);

/*
 * Length of the well-formed UTF-8 sequence at p, at most n bytes (RFC 3629:
 * no overlong forms, no surrogates, nothing above U+10FFFF), and its code
 * point in *cp; 0 if the byte at p does not start one.
 */
size_t	pgr_utf8_seq(const unsigned char *p, size_t n, uint32_t *cp);

/* Offset of the first byte of s that breaks UTF-8, or len if none does. */
size_t	pgr_utf8_invalid_at(const unsigned char *s, size_t len);

/* t as "2026-12-06T05:15:26Z" in out; "" for t == 0 or a bad time. */
const char *pgr_rfc3339(time_t t, char *out, size_t len);

#endif
