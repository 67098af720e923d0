/*
 * Address scope and CIDR matching.  A PrivateLink endpoint's addresses are
 * private addresses in the client's VPC; anything else means traffic would
 * not go through the endpoint.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probes/addr.h"

int
pgr_cidr_parse(const char *s, struct pgr_cidr *out, char *err, size_t errlen)
{
	char buf[64], *slash, *end;
	long bits;
	int max;

	memset(out, 0, sizeof(*out));
	if (strlen(s) >= sizeof(buf)) {
		snprintf(err, errlen, "invalid CIDR: too long");
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		out->family = AF_INET6;
		max = 128;
	} else {
		snprintf(err, errlen, "invalid CIDR \"%.40s\": expected ADDRESS/BITS, e.g. 10.0.0.0/16", s);
		return -1;
	}
	bits = max;
	if (slash != NULL) {
		errno = 0;
		bits = strtol(slash, &end, 10);
		if (errno != 0 || end == slash || *end != '\0' || bits < 0 || bits > max) {
			snprintf(err, errlen, "invalid CIDR \"%.40s\": prefix length must be 0 to %d", s, max);
			return -1;
		}
	}
	out->bits = (int)bits;
	snprintf(out->text, sizeof(out->text), "%s", s);
	return 0;
}

static const unsigned char *
sa_bytes(const struct sockaddr *sa, int *family)
{
	*family = sa->sa_family;
	if (sa->sa_family == AF_INET)
		return (const unsigned char *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	if (sa->sa_family == AF_INET6)
		return (const unsigned char *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	return NULL;
}

bool
pgr_cidr_contains(const struct pgr_cidr *c, const struct sockaddr *sa)
{
	const unsigned char *b;
	int family, i, full = c->bits / 8, rest = c->bits % 8;

	b = sa_bytes(sa, &family);
	if (b == NULL || family != c->family)
		return false;
	for (i = 0; i < full; i++)
		if (b[i] != c->addr[i])
			return false;
	if (rest != 0) {
		unsigned char mask = (unsigned char)(0xff << (8 - rest));

		if ((b[full] & mask) != (c->addr[full] & mask))
			return false;
	}
	return true;
}

enum pgr_scope
pgr_addr_scope(const struct sockaddr *sa)
{
	const unsigned char *b;
	int family;

	b = sa_bytes(sa, &family);
	if (b == NULL)
		return PGR_SCOPE_OTHER;
	if (family == AF_INET) {
		if (b[0] == 127)
			return PGR_SCOPE_LOOPBACK;
		if (b[0] == 169 && b[1] == 254)
			return PGR_SCOPE_LINK_LOCAL;
		if (b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
		    (b[0] == 192 && b[1] == 168))
			return PGR_SCOPE_PRIVATE;
		/* 0/8, 100.64/10 (CGNAT), multicast and reserved are not endpoints. */
		if (b[0] == 0 || (b[0] == 100 && (b[1] & 0xc0) == 64) || b[0] >= 224)
			return PGR_SCOPE_OTHER;
		return PGR_SCOPE_PUBLIC;
	}
	if (IN6_IS_ADDR_LOOPBACK((const struct in6_addr *)(const void *)b))
		return PGR_SCOPE_LOOPBACK;
	if (IN6_IS_ADDR_LINKLOCAL((const struct in6_addr *)(const void *)b))
		return PGR_SCOPE_LINK_LOCAL;
	if ((b[0] & 0xfe) == 0xfc)		/* fc00::/7 unique local */
		return PGR_SCOPE_PRIVATE;
	if ((b[0] & 0xe0) == 0x20)		/* 2000::/3 global unicast */
		return PGR_SCOPE_PUBLIC;
	return PGR_SCOPE_OTHER;
}

void
pgr_addr_set(struct pgr_addr *a, const struct sockaddr *sa, int ttl,
    const struct pgr_cidr *vpc, size_t nvpc)
{
	size_t i;

	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET) {
		a->salen = sizeof(struct sockaddr_in);
		a->family = 4;
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
		    a->text, sizeof(a->text));
	} else {
		a->salen = sizeof(struct sockaddr_in6);
		a->family = 6;
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
		    a->text, sizeof(a->text));
	}
	memcpy(&a->sa, sa, a->salen);
	a->ttl = ttl;
	a->scope = pgr_addr_scope(sa);
	/*
	 * Known only against a CIDR of the address's own family: a VPC given
	 * by its IPv4 range says nothing of an AAAA answer (a VPC's IPv6 range
	 * is a separate /56).
	 */
	a->in_vpc = -1;
	for (i = 0; i < nvpc; i++) {
		if (vpc[i].family != sa->sa_family)
			continue;
		if (a->in_vpc < 0)
			a->in_vpc = 0;
		if (pgr_cidr_contains(&vpc[i], sa))
			a->in_vpc = 1;
	}
}
