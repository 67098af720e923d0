/*
 * What the server's certificate says, and whether its chain would verify.
 * Reported always; enforced only when the sslmode asks (verify-ca/-full).
 */
#ifndef PGR_TLSINFO_H
#define PGR_TLSINFO_H

#include <time.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "probes/result.h"

struct pgr_tlsv;

/* rootcert NULL: the system store.  An unreadable file is an error. */
int	pgr_tlsv_new(struct pgr_tlsv **out, const char *rootcert, char *err,
	    size_t errlen);
void	pgr_tlsv_free(struct pgr_tlsv *v);

/* Facts of a peer chain (leaf first) for host, verified against v. */
void	pgr_cert_fill(struct pgr_cert *c, STACK_OF(X509) *chain,
	    struct pgr_tlsv *v, const char *host, time_t now);

#endif
