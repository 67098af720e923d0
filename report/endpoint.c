/*
 * PrivateLink name shapes.  AWS documents the endpoint DNS names in
 * "Access an AWS service using an interface VPC endpoint" (regional and
 * zonal names) and the service names as com.amazonaws.vpce.<region>.
 * vpce-svc-<id>.  Resource ids are "vpce-" plus 8 (older) or 17 hex digits.
 */
#include "report/endpoint.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DNS_NAME_MAX	253	/* RFC 1035, without the trailing dot */
#define DNS_LABEL_MAX	63
#define NLABELS_MAX	8
#define HEX_MIN		8
#define HEX_MAX		17
#define SUFFIX_MAX	16	/* AWS uses 8 */

struct labels {
	char	buf[DNS_NAME_MAX + 2];
	char	*v[NLABELS_MAX];
	size_t	n;
};

/* Length of the run of characters at s for which pred() holds. */
static size_t
span(const char *s, int (*pred)(int))
{
	size_t n = 0;

	while (s[n] != '\0' && pred((unsigned char)s[n]))
		n++;
	return n;
}

static int
is_lower(int c)
{
	return c >= 'a' && c <= 'z';
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_hex(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f');
}

static int
is_alnum(int c)
{
	return is_lower(c) || is_digit(c);
}

/* "<prefix><8..17 hex>" followed by the end of s or by stop. */
static size_t
prefixed_hex(const char *s, const char *prefix, char stop)
{
	size_t plen = strlen(prefix), n;

	if (strncmp(s, prefix, plen) != 0)
		return 0;
	n = span(s + plen, is_hex);
	if (n < HEX_MIN || n > HEX_MAX)
		return 0;
	if (s[plen + n] != '\0' && s[plen + n] != stop)
		return 0;
	return plen + n;
}

bool
pgr_region_valid(const char *s)
{
	size_t n, nparts = 0;
	const char *p = s;

	if (s == NULL || strlen(s) > 31)
		return false;
	/* Two letters of geography, one or two words, a number. */
	if (span(p, is_lower) != 2 || p[2] != '-')
		return false;
	p += 3;
	for (;;) {
		n = span(p, is_lower);
		if (n == 0)
			break;
		if (n > 16 || p[n] != '-')
			return false;
		p += n + 1;
		nparts++;
	}
	if (nparts < 1 || nparts > 2)
		return false;
	n = span(p, is_digit);
	return n >= 1 && n <= 2 && p[n] == '\0' && p[0] != '0';
}

/* Lower-case copy of name split into labels; false if not a sane DNS name. */
static bool
split_labels(const char *name, struct labels *l)
{
	size_t len, i;
	char *p;

	len = strlen(name);
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > DNS_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		l->buf[i] = (char)tolower((unsigned char)name[i]);
	l->buf[len] = '\0';
	l->n = 0;
	for (p = l->buf; p != NULL; ) {
		if (l->n == NLABELS_MAX)
			return false;
		l->v[l->n++] = p;
		p = strchr(p, '.');
		if (p != NULL)
			*p++ = '\0';
	}
	for (i = 0; i < l->n; i++) {
		len = strlen(l->v[i]);
		if (len == 0 || len > DNS_LABEL_MAX)
			return false;
	}
	return true;
}

/*
 * The first label: vpce-<hex>-<suffix>[-<az>], where the zone must be the
 * region plus one letter (us-east-1a in us-east-1).
 */
static bool
parse_first_label(const char *label, const char *region,
    struct pgr_endpoint_name *out)
{
	size_t idlen, n;
	const char *p, *az;

	idlen = prefixed_hex(label, "vpce-", '-');
	if (idlen == 0 || label[idlen] != '-')
		return false;
	p = label + idlen + 1;
	n = span(p, is_alnum);
	if (n == 0 || n > SUFFIX_MAX || (p[n] != '\0' && p[n] != '-'))
		return false;
	if (p[n] == '-') {
		az = p + n + 1;
		n = strlen(region);
		if (strncmp(az, region, n) != 0 || !is_lower(az[n]) ||
		    az[n + 1] != '\0' || n + 1 >= sizeof(out->zone))
			return false;
		snprintf(out->zone, sizeof(out->zone), "%s", az);
	}
	snprintf(out->id, sizeof(out->id), "%.*s", (int)idlen, label);
	return true;
}

bool
pgr_endpoint_parse(const char *host, struct pgr_endpoint_name *out)
{
	struct labels l;
	bool cn;

	memset(out, 0, sizeof(*out));
	if (host == NULL || !split_labels(host, &l))
		return false;
	if (l.n != 6 && l.n != 7)
		return false;
	cn = l.n == 7;
	if (strcmp(l.v[3], "vpce") != 0 || strcmp(l.v[4], "amazonaws") != 0 ||
	    strcmp(l.v[5], "com") != 0 || (cn && strcmp(l.v[6], "cn") != 0))
		return false;
	/* The China partition, and only it, lives under amazonaws.com.cn. */
	if (!pgr_region_valid(l.v[2]) || cn != (strncmp(l.v[2], "cn-", 3) == 0))
		return false;
	if (prefixed_hex(l.v[1], "vpce-svc-", '\0') == 0)
		return false;
	if (!parse_first_label(l.v[0], l.v[2], out)) {
		memset(out, 0, sizeof(*out));
		return false;
	}
	snprintf(out->service, sizeof(out->service), "%s", l.v[1]);
	snprintf(out->region, sizeof(out->region), "%s", l.v[2]);
	out->is_endpoint = true;
	return true;
}

/*
 * Split a service name into its region label and what follows it:
 * [cn.]com.amazonaws.[vpce.]<region>.<rest>.  Lower case, in l.
 */
static bool
service_parts(const char *service_name, struct labels *l, size_t *region_ix)
{
	size_t i = 0;

	if (service_name == NULL || !split_labels(service_name, l))
		return false;
	if (l->n > 0 && strcmp(l->v[0], "cn") == 0)
		i++;
	if (l->n < i + 4 || strcmp(l->v[i], "com") != 0 ||
	    strcmp(l->v[i + 1], "amazonaws") != 0)
		return false;
	i += 2;
	if (strcmp(l->v[i], "vpce") == 0)
		i++;
	if (i + 1 >= l->n || !pgr_region_valid(l->v[i]))
		return false;
	*region_ix = i;
	return true;
}

bool
pgr_endpoint_region_from_service(const char *service_name, char *region,
    size_t len)
{
	struct labels l;
	size_t ix;

	if (region == NULL || len == 0)
		return false;
	region[0] = '\0';
	if (!service_parts(service_name, &l, &ix) || strlen(l.v[ix]) >= len)
		return false;
	snprintf(region, len, "%s", l.v[ix]);
	return true;
}

bool
pgr_endpoint_service_id(const char *service_name, char *svc, size_t len)
{
	struct labels l;
	size_t ix;

	if (svc == NULL || len == 0)
		return false;
	svc[0] = '\0';
	if (!service_parts(service_name, &l, &ix) || ix + 2 != l.n)
		return false;
	if (prefixed_hex(l.v[ix + 1], "vpce-svc-", '\0') == 0 ||
	    strlen(l.v[ix + 1]) >= len)
		return false;
	snprintf(svc, len, "%s", l.v[ix + 1]);
	return true;
}

const char *
pgr_env_region(const char **var)
{
	static const char *const vars[] = { "AWS_REGION", "AWS_DEFAULT_REGION" };
	size_t i;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);

		if (v != NULL && v[0] != '\0') {
			if (var != NULL)
				*var = vars[i];
			return v;
		}
	}
	return NULL;
}
