/*
 * Nagios threshold ranges.  The grammar follows the Monitoring Plugins
 * development guidelines ("Threshold and ranges"); the parser follows
 * monitoring-plugins' mp_parse_range_string() in spirit, but checks every
 * number completely, so "10abc" is an error and not 10.
 */
#include "report/range.h"
#include "probes/result.h"

#include <ctype.h>
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NUM_MAX	64	/* longest number text we take; doubles need ~25 */

/*
 * Length of the longest prefix of p..end that is a plain decimal number:
 * [+-] digits [. digits] [e [+-] digits].  strtod() alone would also take
 * "inf", "nan", hex floats and leading blanks, none of which is a range.
 */
static size_t
number_span(const char *p, const char *end)
{
	const char *q = p, *mark;
	size_t ndig = 0;

	if (q < end && (*q == '+' || *q == '-'))
		q++;
	while (q < end && isdigit((unsigned char)*q)) {
		q++;
		ndig++;
	}
	if (q < end && *q == '.') {
		q++;
		while (q < end && isdigit((unsigned char)*q)) {
			q++;
			ndig++;
		}
	}
	if (ndig == 0)
		return 0;
	if (q < end && (*q == 'e' || *q == 'E')) {
		mark = q++;
		if (q < end && (*q == '+' || *q == '-'))
			q++;
		if (q < end && isdigit((unsigned char)*q)) {
			while (q < end && isdigit((unsigned char)*q))
				q++;
		} else
			q = mark;	/* "1e" is 1 followed by garbage */
	}
	return (size_t)(q - p);
}

/* strtod() in the C locale, so a German LC_NUMERIC does not turn "0.5" into 0. */
static double
strtod_c(const char *s)
{
	locale_t c;
	double v;

	c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	if (c == (locale_t)0)
		return strtod(s, NULL);
	v = strtod_l(s, NULL, c);
	freelocale(c);
	return v;
}

static int
parse_number(const char *p, const char *end, const char *whole, double *out,
    char *err, size_t errlen)
{
	char buf[NUM_MAX];
	size_t n, len = (size_t)(end - p);

	n = number_span(p, end);
	if (n == 0)
		return pgr_fail(err, errlen, "range '%s': '%.*s' is not a number",
		    whole, (int)len, p);
	if (n < len)
		return pgr_fail(err, errlen,
		    "range '%s': unexpected '%.*s' after the number '%.*s'",
		    whole, (int)(len - n), p + n, (int)n, p);
	if (n >= sizeof(buf))
		return pgr_fail(err, errlen, "range '%s': number too long", whole);
	memcpy(buf, p, n);
	buf[n] = '\0';
	*out = strtod_c(buf);
	if (!isfinite(*out))
		return pgr_fail(err, errlen, "range '%s': '%s' is out of range",
		    whole, buf);
	return 0;
}

static int
parse_bounds(const char *p, const char *whole, struct pgr_range *r,
    char *err, size_t errlen)
{
	const char *colon = strchr(p, ':');
	const char *end = p + strlen(p);

	if (colon == NULL)	/* a bare number is the end; start is 0 */
		return parse_number(p, end, whole, &r->end, err, errlen);
	if (strchr(colon + 1, ':') != NULL)
		return pgr_fail(err, errlen, "range '%s': more than one ':'", whole);
	if (colon == p && colon[1] == '\0')
		return pgr_fail(err, errlen, "range '%s': neither start nor end",
		    whole);
	if (colon - p == 1 && *p == '~')
		r->no_start = true;
	else if (colon != p &&
	    parse_number(p, colon, whole, &r->start, err, errlen) == -1)
		return -1;
	if (colon[1] == '\0')
		r->no_end = true;
	else if (parse_number(colon + 1, end, whole, &r->end, err, errlen) == -1)
		return -1;
	return 0;
}

int
pgr_range_parse(const char *s, struct pgr_range *out, char *err,
    size_t errlen)
{
	struct pgr_range r;
	const char *p;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	if (s == NULL || *s == '\0')
		return pgr_fail(err, errlen, "empty range");
	p = s;
	if (*p == '@') {
		r.inside = true;
		p++;
	}
	if (*p == '\0')
		return pgr_fail(err, errlen, "range '%s': nothing after '@'", s);
	if (parse_bounds(p, s, &r, err, errlen) == -1)
		return -1;
	if (!r.no_start && !r.no_end && r.start > r.end)
		return pgr_fail(err, errlen,
		    "range '%s': start %g is greater than end %g",
		    s, r.start, r.end);
	r.set = true;
	*out = r;
	return 0;
}

bool
pgr_range_alerts(const struct pgr_range *r, double value)
{
	bool outside;

	/* A value we could not measure is not judged by a range. */
	if (r == NULL || !r->set || isnan(value))
		return false;
	outside = (!r->no_start && value < r->start) ||
	    (!r->no_end && value > r->end);
	return r->inside ? !outside : outside;
}

/*
 * The shortest plain text that reads back as exactly v, so 0.1 prints as
 * "0.1" and not "0.10000000000000001", yet nothing is lost.
 */
static int
format_number(double v, char *buf, size_t len)
{
	locale_t c, old = (locale_t)0;
	int prec, n = -1;

	c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	if (c != (locale_t)0)
		old = uselocale(c);
	for (prec = 1; prec <= 17; prec++) {
		n = snprintf(buf, len, "%.*g", prec, v);
		if (n < 0 || (size_t)n >= len) {
			n = -1;
			break;
		}
		if (strtod_c(buf) != v)
			continue;
		/* "%.1g" of 10 is "1e+01": take more digits unless tiny or huge. */
		if (strchr(buf, 'e') == NULL || fabs(v) < 1e-4 || fabs(v) >= 1e17)
			break;
	}
	if (c != (locale_t)0) {
		uselocale(old);
		freelocale(c);
	}
	return n;
}

int
pgr_range_format(const struct pgr_range *r, char *buf, size_t len)
{
	char start[NUM_MAX], end[NUM_MAX];
	const char *sep = "";
	int n;

	if (buf == NULL || len == 0)
		return -1;
	buf[0] = '\0';
	if (r == NULL || !r->set)
		return 0;
	start[0] = end[0] = '\0';
	if (r->no_start) {
		strcpy(start, "~");
		sep = ":";
	} else if (r->start != 0 || r->no_end) {
		if (format_number(r->start, start, sizeof(start)) < 0)
			return -1;
		sep = ":";
	}
	if (!r->no_end && format_number(r->end, end, sizeof(end)) < 0)
		return -1;
	n = snprintf(buf, len, "%s%s%s%s", r->inside ? "@" : "", start, sep,
	    end);
	if (n < 0 || (size_t)n >= len) {
		buf[0] = '\0';
		return -1;
	}
	return n;
}
