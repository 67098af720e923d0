/*
 * Address facts: scope (private, public, ...) and VPC CIDR membership.
 */
#ifndef PGR_ADDR_H
#define PGR_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "probes/result.h"

struct pgr_cidr {
	int	family;			/* AF_INET or AF_INET6 */
	unsigned char addr[16];
	int	bits;
	char	text[64];
};

int	pgr_cidr_parse(const char *s, struct pgr_cidr *out, char *err, size_t errlen);
bool	pgr_cidr_contains(const struct pgr_cidr *c, const struct sockaddr *sa);
enum pgr_scope pgr_addr_scope(const struct sockaddr *sa);

/* Fill a pgr_addr from a socket address (port ignored). */
void	pgr_addr_set(struct pgr_addr *a, const struct sockaddr *sa, int ttl,
	    const struct pgr_cidr *vpc, size_t nvpc);

#endif
