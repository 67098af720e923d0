#include <stdio.h>

#include <ares.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "config.h"
#include "report/versions.h"

void
pgr_versions_get(struct pgr_versions *v)
{
	int pq = PQlibVersion();

	snprintf(v->pgreach, sizeof(v->pgreach), "%s", PACKAGE_VERSION);
	/* Since PostgreSQL 10 the number is major * 10000 + minor. */
	if (pq >= 100000)
		snprintf(v->libpq, sizeof(v->libpq), "%d.%d", pq / 10000, pq % 10000);
	else
		snprintf(v->libpq, sizeof(v->libpq), "%d.%d.%d", pq / 10000,
		    pq / 100 % 100, pq % 100);
	snprintf(v->openssl, sizeof(v->openssl), "%s", OpenSSL_version(OPENSSL_VERSION_STRING));
	snprintf(v->cares, sizeof(v->cares), "%s", ares_version(NULL));
}
