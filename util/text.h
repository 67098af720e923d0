/*
 * Small text helpers every layer shares: one of each, where there were
 * copies (two RFC 3339 formatters, two hexvals; UTF-8 is util/utf8.h).
 */
#ifndef PGR_TEXT_H
#define PGR_TEXT_H

#include <stddef.h>
#include <time.h>

/* The value of a hex digit, -1 if c is none. */
int	pgr_hexval(int c);

/* t as "2026-12-06T05:15:26Z" in out; "" for t == 0 or a bad time. */
const char *pgr_rfc3339(time_t t, char *out, size_t len);

/* "90", "90s", "15m", "1.5h" into seconds (at most 7 days); -1 if malformed. */
double	pgr_parse_duration(const char *s);

#endif
