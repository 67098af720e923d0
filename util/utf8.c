#include <string.h>

#include "util/utf8.h"

size_t
pgr_utf8_seq(const unsigned char *p, size_t n, uint32_t *cp)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (n == 0)
		return 0;
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	/* RFC 3629 section 4: the second byte's range excludes overlong
	 * forms (E0, F0), surrogates (ED) and code points past U+10FFFF (F4). */
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	*cp = p[0] & (0x7f >> len);
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (p[i] & 0x3f);
	}
	return len;
}

size_t
pgr_utf8_invalid_at(const unsigned char *s, size_t len)
{
	size_t i = 0, n;
	uint32_t cp;

	while (i < len) {
		if ((n = pgr_utf8_seq(s + i, len - i, &cp)) == 0)
			return i;
		i += n;
	}
	return len;
}

void
pgr_utf8_escape(FILE *f, const char *s, pgr_utf8_escape_fn esc)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, i = 0;

	if (s == NULL)
		return;
	n = strlen(s);
	while (i < n) {
		uint32_t c = 0;
		size_t len = pgr_utf8_seq(p + i, n - i, &c);
		const char *out;

		if (len == 0) {
			fputs(PGR_UTF8_REPLACEMENT, f);
			i++;
			continue;
		}
		if ((out = esc(s, i, c)) != NULL)
			fputs(out, f);
		else
			fwrite(p + i, 1, len, f);
		i += len;
	}
}
