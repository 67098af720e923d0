/*
 * Certificate facts and chain verification, on certificates made here and
 * now with OpenSSL: a CA, a leaf it signed, an expired leaf, a stranger.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "probes/tlsinfo.h"
#include "tests/check_main.h"

static EVP_PKEY *ca_key, *leaf_key;
static X509 *ca, *leaf, *expired, *stranger;
static char ca_path[] = "/tmp/pgr-check-ca-XXXXXX";

static X509 *
make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
    long from_s, long to_s, const char *san)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), rand());
	X509_gmtime_adj(X509_getm_notBefore(x), from_s);
	X509_gmtime_adj(X509_getm_notAfter(x), to_s);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	if (san != NULL) {
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	} else {
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, "critical,CA:TRUE");
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256());
	X509_NAME_free(n);
	return x;
}

static void
setup(void)
{
	FILE *f;
	int fd;

	ca_key = EVP_EC_gen("P-256");
	leaf_key = EVP_EC_gen("P-256");
	ca = make_cert("Lab CA", ca_key, NULL, NULL, -3600, 86400 * 365, NULL);
	leaf = make_cert("db.example", leaf_key, ca, ca_key, -3600, 86400 * 30 + 3600,
	    "DNS:db.example,DNS:*.zone.example,IP:10.0.1.5");
	expired = make_cert("db.example", leaf_key, ca, ca_key, -86400 * 10,
	    -86400 * 2 - 3600, "DNS:db.example");
	stranger = make_cert("db.example", leaf_key, NULL, NULL, -3600, 86400 * 30,
	    "DNS:db.example");
	fd = mkstemp(ca_path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	PEM_write_X509(f, ca);
	fclose(f);
}

static void
teardown(void)
{
	unlink(ca_path);
	X509_free(ca);
	X509_free(leaf);
	X509_free(expired);
	X509_free(stranger);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(leaf_key);
}

static void
fill(struct pgr_cert *c, X509 *x, const char *host, bool with_ca_store)
{
	STACK_OF(X509) *chain = sk_X509_new_null();
	struct pgr_tlsv *v = NULL;
	char err[256];

	sk_X509_push(chain, x);
	if (with_ca_store)
		ck_assert_int_eq(pgr_tlsv_new(&v, ca_path, false, err, sizeof(err)), 0);
	else
		ck_assert_int_eq(pgr_tlsv_new(&v, NULL, false, err, sizeof(err)), 0);
	memset(c, 0, sizeof(*c));
	pgr_cert_fill(c, chain, v, host, time(NULL));
	sk_X509_free(chain);
	pgr_tlsv_free(v);
}

START_TEST(test_leaf_verifies)
{
	struct pgr_cert c;

	fill(&c, leaf, "db.example", true);
	ck_assert(c.present);
	ck_assert_str_eq(c.subject, "CN=db.example");
	ck_assert_str_eq(c.issuer, "CN=Lab CA");
	ck_assert_str_eq(c.sans, "DNS:db.example, DNS:*.zone.example, IP:10.0.1.5");
	ck_assert(c.verified);
	ck_assert(c.hostname_match);
	ck_assert_int_eq(c.days_left, 30);
	ck_assert_ptr_nonnull(strstr(c.chain_pem, "BEGIN CERTIFICATE"));
	free(c.chain_pem);
}
END_TEST

static const struct {
	const char *host;
	bool match;
} hosts[] = {
	{ "db.example", true }, { "DB.EXAMPLE", true }, { "a.zone.example", true },
	{ "a.b.zone.example", false }, { "other.example", false },
	{ "10.0.1.5", true }, { "10.0.2.5", false },
};

START_TEST(test_hostname)
{
	struct pgr_cert c;

	fill(&c, leaf, hosts[_i].host, true);
	ck_assert_int_eq(c.hostname_match, hosts[_i].match);
	free(c.chain_pem);
}
END_TEST

START_TEST(test_expired)
{
	struct pgr_cert c;

	fill(&c, expired, "db.example", true);
	ck_assert(!c.verified);
	ck_assert_str_eq(c.verify_error, "certificate has expired");
	ck_assert_int_eq(c.days_left, -3);
	free(c.chain_pem);
}
END_TEST

START_TEST(test_untrusted)
{
	struct pgr_cert c;

	fill(&c, stranger, "db.example", true);
	ck_assert(!c.verified);
	ck_assert_str_eq(c.verify_error, "self-signed certificate");
	free(c.chain_pem);
	fill(&c, leaf, "db.example", false);	/* system store lacks the lab CA */
	ck_assert(!c.verified);
	free(c.chain_pem);
}
END_TEST

START_TEST(test_bad_rootcert)
{
	struct pgr_tlsv *v;
	char err[256];

	ck_assert_int_eq(pgr_tlsv_new(&v, "/nonexistent/ca.pem", true, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
	ck_assert_int_eq(pgr_tlsv_new(&v, "/etc/hostname", true, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "cannot read CA bundle"));
}
END_TEST

/*
 * In the background: a file with a PEM header but no certificate passes
 * the first checks and fails in pgr_tlsv_wait(); the lab CA loads, and a
 * verification made before the loader is done waits for it.
 */
START_TEST(test_background_load)
{
	char bad[] = "/tmp/pgr-check-badpem-XXXXXX";
	static const char junk[] = "-----BEGIN CERTIFICATE-----\nnot base64 !!\n-----END CERTIFICATE-----\n";
	struct pgr_tlsv *v;
	struct pgr_cert c;
	STACK_OF(X509) *chain;
	char err[256];
	int fd = mkstemp(bad);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, junk, sizeof(junk) - 1), (ssize_t)(sizeof(junk) - 1));
	close(fd);
	ck_assert_int_eq(pgr_tlsv_new(&v, bad, false, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "cannot read CA bundle"));
	ck_assert_int_eq(pgr_tlsv_new(&v, bad, true, err, sizeof(err)), 0);
	ck_assert_int_eq(pgr_tlsv_wait(v, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "cannot read CA bundle"));
	pgr_tlsv_free(v);
	unlink(bad);

	ck_assert_int_eq(pgr_tlsv_new(&v, ca_path, true, err, sizeof(err)), 0);
	chain = sk_X509_new_null();
	sk_X509_push(chain, leaf);
	memset(&c, 0, sizeof(c));
	pgr_cert_fill(&c, chain, v, "db.example", time(NULL));
	ck_assert(c.verified);
	ck_assert_int_eq(pgr_tlsv_wait(v, err, sizeof(err)), 0);
	sk_X509_free(chain);
	free(c.chain_pem);
	pgr_tlsv_free(v);
}
END_TEST

START_TEST(test_empty_chain)
{
	struct pgr_cert c;

	memset(&c, 0, sizeof(c));
	pgr_cert_fill(&c, NULL, NULL, "x", time(NULL));
	ck_assert(!c.present);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("tlsinfo");
	TCase *tc = tcase_create("cert");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_leaf_verifies);
	tcase_add_test(tc, test_background_load);
	tcase_add_loop_test(tc, test_hostname, 0, sizeof(hosts) / sizeof(hosts[0]));
	tcase_add_test(tc, test_expired);
	tcase_add_test(tc, test_untrusted);
	tcase_add_test(tc, test_bad_rootcert);
	tcase_add_test(tc, test_empty_chain);
	suite_add_tcase(s, tc);
	return s;
}

PGR_CHECK_MAIN(suite)
