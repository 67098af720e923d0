/*
 * cryptocost: what the per-connection crypto that libpq 15 does on the
 * client costs natively, one call at a time (no network).  bench/run.sh
 * compiles and runs it to put times on what callgrind counts:
 *
 *   ssl_ctx    SSL_CTX_new(TLS_client_method()) + SSL_CTX_free: libpq
 *              makes one SSL_CTX per connection (initialize_SSL()).
 *   scram_pq   SCRAM's SaltedPassword the way PostgreSQL 15's
 *              scram_SaltedPassword() runs it: Hi() with 4096 iterations
 *              (the server's default scram_iterations), each iteration a
 *              fresh HMAC_Init_ex(key) through pg_hmac_init(), which in
 *              OpenSSL 3 fetches the digest from the provider every time.
 *   scram_ossl the same 4096-iteration PBKDF2-HMAC-SHA256 through
 *              PKCS5_PBKDF2_HMAC(), which keys the HMAC once.
 *
 * Output: one "name microseconds-per-call" line each (median of 7 rounds).
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>

#define ITER 4096
#define ROUNDS 7

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
ssl_ctx(void)
{
	SSL_CTX *c = SSL_CTX_new(TLS_client_method());

	SSL_CTX_free(c);
}

/* PostgreSQL 15 src/common/scram-common.c scram_SaltedPassword(), with
 * src/common/hmac_openssl.c's pg_hmac_init/update/final inlined. */
static void
scram_pq(void)
{
	static const char pw[] = "o1PpCjtJs3UCqW6LJbPuJ8QG@:/%+";
	static const unsigned char salt[16] = "0123456789abcdef";
	unsigned char u[32], prev[32], res[32];
	unsigned int len;
	uint32_t one = htonl(1);	/* INT(1): the first block */
	HMAC_CTX *h = HMAC_CTX_new();
	int i, j;

	HMAC_Init_ex(h, pw, (int)strlen(pw), EVP_sha256(), NULL);
	HMAC_Update(h, salt, sizeof(salt));
	HMAC_Update(h, (const unsigned char *)&one, sizeof(one));
	HMAC_Final(h, u, &len);
	memcpy(res, u, 32);
	for (i = 2; i <= ITER; i++) {
		memcpy(prev, u, 32);
		HMAC_Init_ex(h, pw, (int)strlen(pw), EVP_sha256(), NULL);
		HMAC_Update(h, prev, 32);
		HMAC_Final(h, u, &len);
		for (j = 0; j < 32; j++)
			res[j] ^= u[j];
	}
	HMAC_CTX_free(h);
}

static void
scram_ossl(void)
{
	static const char pw[] = "o1PpCjtJs3UCqW6LJbPuJ8QG@:/%+";
	static const unsigned char salt[16] = "0123456789abcdef";
	unsigned char out[32];

	PKCS5_PBKDF2_HMAC(pw, (int)strlen(pw), salt, sizeof(salt), ITER,
	    EVP_sha256(), sizeof(out), out);
}

static void
measure(const char *name, void (*fn)(void), int n)
{
	double t[ROUNDS];
	int r, i;

	fn();	/* warm: first-use initialisation is not per connection */
	for (r = 0; r < ROUNDS; r++) {
		double t0 = now_us();

		for (i = 0; i < n; i++)
			fn();
		t[r] = (now_us() - t0) / n;
	}
	qsort(t, ROUNDS, sizeof(*t), cmp);
	printf("%s %.1f\n", name, t[ROUNDS / 2]);
}

int
main(void)
{
	measure("ssl_ctx", ssl_ctx, 200);
	measure("scram_pq", scram_pq, 20);
	measure("scram_ossl", scram_ossl, 20);
	return 0;
}
