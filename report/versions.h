#ifndef PGR_VERSIONS_H
#define PGR_VERSIONS_H

#include <stddef.h>

struct pgr_versions {
	char	pgreach[32];
	char	libpq[32];
	char	openssl[64];
	char	cares[32];
};

void	pgr_versions_get(struct pgr_versions *v);

#endif
