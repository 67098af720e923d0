/*
 * What the server's certificate says, and whether its chain would verify.
 * Reported always; enforced only when the sslmode asks (verify-ca/-full).
 */
#ifndef PGR_TLSINFO_H
#define PGR_TLSINFO_H

#include <stdbool.h>
#include <time.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "probes/result.h"

struct pgr_tlsv;

/*
 * rootcert NULL: the system store, as X509_STORE_set_default_paths() would
 * set it up, read on demand when a chain is verified (nothing is parsed
 * here, and background does not matter).  A rootcert file that is
 * missing, not regular, unreadable or holds no PEM header is an error at
 * once.  With background, its CAs are parsed on a thread of their own
 * while the run goes on (the first chain verification waits for them),
 * and a parse failure comes from pgr_tlsv_wait(); without, it is an error
 * here.
 */
int	pgr_tlsv_new(struct pgr_tlsv **out, const char *rootcert,
	    bool background, char *err, size_t errlen);
/* Wait until the store is loaded: 0, or -1 with why it could not be. */
int	pgr_tlsv_wait(struct pgr_tlsv *v, char *err, size_t errlen);
void	pgr_tlsv_free(struct pgr_tlsv *v);

/*
 * The system bundle read and its subjects found now, in a wait (the server
 * answering a ClientHello), instead of at the first issuer question: the
 * same read, off the run's critical path.  Once per store; nothing with
 * --sslrootcert.
 */
void	pgr_tlsv_prepare(struct pgr_tlsv *v);

/*
 * OpenSSL started as libpq starts it (its configuration file, providers)
 * and a first SSL_CTX made and dropped, so that libpq's own SSL_CTX_new()
 * after the server's 'S' finds every algorithm fetched already (~1.5 ms
 * first, ~0.1 ms after).  Called in the wait for that 'S', while the server
 * starts a backend; once per process, never waited for by a second caller.
 */
void	pgr_tls_warm(void);

/* Facts of a peer chain (leaf first) for host, verified against v. */
void	pgr_cert_fill(struct pgr_cert *c, STACK_OF(X509) *chain,
	    struct pgr_tlsv *v, const char *host, time_t now);

#endif
