#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/text.h"

int
pgr_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

const char *
pgr_rfc3339(time_t t, char *out, size_t len)
{
	struct tm tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL || strftime(out, len,
	    "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, len, "%s", "");
	return out;
}

double
pgr_parse_duration(const char *s)
{
	static const struct { char unit; double mult; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }
	};
	char buf[32], *end;
	double v, mult = 1;
	size_t n = strlen(s), i;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n + 1);
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (buf[n - 1] == units[i].unit) {
			mult = units[i].mult;
			buf[--n] = '\0';
			break;
		}
	errno = 0;
	v = strtod(buf, &end);
	if (n == 0 || errno != 0 || end == buf || *end != '\0' || !isfinite(v) ||
	    v <= 0 || v * mult > 7 * 86400)
		return -1;
	return v * mult;
}
