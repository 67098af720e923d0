/*
 * Certificate facts and chain verification, on certificates made here and
 * now with OpenSSL: a CA, a leaf it signed, an expired leaf, a stranger.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
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

/* fill() reads the bundle first, as the ClientHello's wait does (twice: once counts). */
static bool prepare_first;

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
	if (prepare_first) {
		pgr_tlsv_prepare(v);
		pgr_tlsv_prepare(v);
	}
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
	ck_assert_ptr_nonnull(strstr(err, "cannot read the CA bundle"));
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
	ck_assert_ptr_nonnull(strstr(err, "cannot read the CA bundle"));
	ck_assert_int_eq(pgr_tlsv_new(&v, bad, true, err, sizeof(err)), 0);
	ck_assert_int_eq(pgr_tlsv_wait(v, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "cannot read the CA bundle"));
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

/*
 * The system store read on demand gives the facts OpenSSL's own default
 * store gives (X509_STORE_set_default_paths(): every CA of the bundle
 * parsed first).  SSL_CERT_FILE is a bundle made here: other CAs first, a
 * second, expired "Lab CA" with another key, before the real one (the
 * lookup must offer every certificate of a name), the lab CA as TRUSTED CERTIFICATE or plain;
 * SSL_CERT_DIR a hashed directory with one more CA, or empty.
 */
static const struct {
	const char *what;
	bool lab_ca_in_file;	/* the lab CA in the bundle */
	bool trusted_form;	/* ... as a TRUSTED CERTIFICATE block */
	bool lab_ca_in_dir;	/* the lab CA in the hashed directory */
	bool twin;		/* the expired "Lab CA" in the bundle */
	const char *twin_cn;	/* the twin's name, if not "Lab CA" */
	const char *extra;	/* appended to the bundle */
	bool want_verified;
	bool odd_tail;		/* then a CA with a '!' past its subject */
} stores[] = {
	{ "bundle without the lab CA", false, false, false, true, NULL, NULL, false, false },
	{ "lab CA in the bundle", true, false, false, true, NULL, NULL, true, false },
	{ "lab CA in the bundle, TRUSTED CERTIFICATE", true, true, false, true, NULL, NULL, true, false },
	{ "lab CA in the hashed directory only", false, false, true, false, NULL, NULL, true, false },
	/* The bundle answers first: the directory is never asked for the name. */
	{ "lab CA in the directory, its expired twin in the bundle", false, false, true, true, NULL, NULL, false, false },
	/* X509_NAME_cmp() folds case and blanks: " LAB   ca " is the same name. */
	{ "a twin named \" LAB   ca \" in the bundle, the lab CA in the directory", false, false, true, true,
	  " LAB   ca ", NULL, false, false },
	{ "a twin named \"Lab CA2\", the lab CA in the bundle", true, false, false, true, "Lab CA2", NULL, true, false },
	/* Odd PEM goes to OpenSSL's loader whole, which rejects the file. */
	{ "lab CA in the bundle, then a block whose END label differs", true, false, false, false, NULL,
	  "-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END X509 CRL-----\n", false, false },
	{ "lab CA in the bundle, then a block with a PEM header", true, false, false, false, NULL,
	  "-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\n\nMAMCAQA=\n-----END CERTIFICATE-----\n", false, false },
	/*
	 * A character outside base64 past every subject: only read once a
	 * name is found in the file, and then the file goes to OpenSSL whole.
	 */
	{ "lab CA in the bundle, then a CA with a '!' past its subject", true, false, false, false, NULL,
	  NULL, false, true },
	{ "lab CA in the directory, a CA with a '!' past its subject in the bundle", false, false, true, false,
	  NULL, NULL, true, true },
};

/* x's PEM with its last line's tenth character made a '!'. */
static void
write_odd_tail(FILE *f, X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *pem, *last;
	long n;

	ck_assert_int_eq(PEM_write_bio_X509(b, x), 1);
	n = BIO_get_mem_data(b, &pem);
	ck_assert_int_gt(n, 100);
	last = memrchr(pem, '\n', (size_t)n - 30);	/* the END line's start - 1 */
	ck_assert_ptr_nonnull(last);
	last = memrchr(pem, '\n', (size_t)(last - pem));
	ck_assert_ptr_nonnull(last);
	last[10] = '!';
	ck_assert_uint_eq(fwrite(pem, 1, (size_t)n, f), (size_t)n);
	BIO_free(b);
}

static X509 *
verify_ref(X509 *x, bool *ok, char *why, size_t whylen)
{
	X509_STORE *s = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();

	ck_assert_int_eq(X509_STORE_set_default_paths(s), 1);
	ck_assert_int_eq(X509_STORE_CTX_init(ctx, s, x, NULL), 1);
	*ok = X509_verify_cert(ctx) == 1;
	snprintf(why, whylen, "%s", *ok ? "" :
	    X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(s);
	return x;
}

START_TEST(test_system_store_same_facts)
{
	char file[] = "/tmp/pgr-check-bundle-XXXXXX", dir[] = "/tmp/pgr-check-dir-XXXXXX";
	char link[512], why[256];
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *others[3], *twin, *cases[3];
	FILE *f;
	int fd, i, j;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	fd = mkstemp(file);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	others[0] = make_cert("Other Root A", k, NULL, NULL, -3600, 86400, NULL);
	others[1] = make_cert("Other Root B", k, NULL, NULL, -3600, 86400, NULL);
	others[2] = make_cert("Other Root C", k, NULL, NULL, -3600, 86400, NULL);
	/* Expired: OpenSSL prefers a time-valid issuer of the name, if offered. */
	twin = make_cert(stores[_i].twin_cn ? stores[_i].twin_cn : "Lab CA", k, NULL, NULL,
	    -86400 * 10, -86400 * 2, NULL);
	for (j = 0; j < 3; j++)
		PEM_write_X509(f, others[j]);
	fputs("# a comment line between blocks, as in some bundles\n", f);
	if (stores[_i].twin)
		PEM_write_X509(f, twin);
	if (stores[_i].lab_ca_in_file && stores[_i].trusted_form)
		PEM_write_X509_AUX(f, ca);
	else if (stores[_i].lab_ca_in_file)
		PEM_write_X509(f, ca);
	if (stores[_i].extra != NULL)
		fputs(stores[_i].extra, f);
	if (stores[_i].odd_tail)
		write_odd_tail(f, others[1]);
	fclose(f);
	snprintf(link, sizeof(link), "%s/%08lx.0", dir, X509_NAME_hash_ex(
	    X509_get_subject_name(stores[_i].lab_ca_in_dir ? ca : others[0]), NULL, NULL, NULL));
	ck_assert_ptr_nonnull(f = fopen(link, "w"));
	PEM_write_X509(f, stores[_i].lab_ca_in_dir ? ca : others[0]);
	fclose(f);
	setenv("SSL_CERT_FILE", file, 1);
	setenv("SSL_CERT_DIR", dir, 1);

	cases[0] = leaf;
	cases[1] = expired;
	cases[2] = stranger;
	for (i = 0; i < 3; i++) {
		struct pgr_cert c, r;
		bool ok;

		fill(&c, cases[i], "db.example", false);
		fill(&r, cases[i], "db.example", true);	/* --sslrootcert, for the other facts */
		verify_ref(cases[i], &ok, why, sizeof(why));
		ck_assert_msg(c.verified == ok && strcmp(c.verify_error, why) == 0,
		    "%s, case %d: on demand %d \"%s\", OpenSSL's default store %d \"%s\"",
		    stores[_i].what, i, c.verified, c.verify_error, ok, why);
		if (i == 0)
			ck_assert_msg(c.verified == stores[_i].want_verified, "%s: %s",
			    stores[_i].what, c.verify_error);
		ck_assert_str_eq(c.subject, r.subject);
		ck_assert_str_eq(c.issuer, r.issuer);
		ck_assert_str_eq(c.sans, r.sans);
		ck_assert_int_eq(c.hostname_match, r.hostname_match);
		ck_assert_int_eq(c.days_left, r.days_left);
		ck_assert_str_eq(c.chain_pem, r.chain_pem);
		if (stores[_i].want_verified)
			ck_assert(c.verified == r.verified && strcmp(c.verify_error, r.verify_error) == 0);
		free(c.chain_pem);
		free(r.chain_pem);
		/* The bundle read in the handshake's wait: the same verdict. */
		prepare_first = true;
		fill(&r, cases[i], "db.example", false);
		prepare_first = false;
		ck_assert_msg(r.verified == ok && strcmp(r.verify_error, why) == 0,
		    "%s, case %d, read first: %d \"%s\", OpenSSL's default store %d \"%s\"",
		    stores[_i].what, i, r.verified, r.verify_error, ok, why);
		free(r.chain_pem);
	}
	unsetenv("SSL_CERT_FILE");
	unsetenv("SSL_CERT_DIR");
	unlink(link);
	rmdir(dir);
	unlink(file);
	for (j = 0; j < 3; j++)
		X509_free(others[j]);
	X509_free(twin);
	EVP_PKEY_free(k);
}
END_TEST

/*
 * Every CA of this machine's own bundle, as a chain of its own, gets the
 * same verdict from the store read on demand as from OpenSSL's (the
 * directory left out, so that the bundle has to answer).
 */
START_TEST(test_system_bundle_every_ca)
{
	const char *path = X509_get_default_cert_file();
	X509_STORE *ref = X509_STORE_new();
	struct pgr_tlsv *v;
	char err[256];
	X509 *x;
	FILE *f;
	int n = 0, verified = 0;

	setenv("SSL_CERT_FILE", path, 1);
	setenv("SSL_CERT_DIR", "/nonexistent", 1);
	if ((f = fopen(path, "r")) == NULL) {
		X509_STORE_free(ref);
		return;		/* no system bundle here: nothing to compare */
	}
	ck_assert_int_eq(X509_STORE_set_default_paths(ref), 1);
	ck_assert_int_eq(pgr_tlsv_new(&v, NULL, false, err, sizeof(err)), 0);
	while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
		STACK_OF(X509) *chain = sk_X509_new_null();
		X509_STORE_CTX *ctx = X509_STORE_CTX_new();
		struct pgr_cert c;
		bool ok;

		sk_X509_push(chain, x);
		memset(&c, 0, sizeof(c));
		pgr_cert_fill(&c, chain, v, "db.example", time(NULL));
		ck_assert_int_eq(X509_STORE_CTX_init(ctx, ref, x, NULL), 1);
		ok = X509_verify_cert(ctx) == 1;
		ck_assert_msg(c.verified == ok && (ok || strcmp(c.verify_error,
		    X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx))) == 0),
		    "CA %d (%s): on demand %d \"%s\", OpenSSL %d", n, c.subject,
		    c.verified, c.verify_error, ok);
		verified += c.verified;
		n++;
		free(c.chain_pem);
		X509_STORE_CTX_free(ctx);
		sk_X509_free(chain);
		X509_free(x);
	}
	fclose(f);
	ERR_clear_error();
	pgr_tlsv_free(v);
	X509_STORE_free(ref);
	ck_assert_int_gt(verified, 0);
}
END_TEST

static const char *const bad_bodies[] = {
	NULL, "", "-----BEGIN CERTIFICATE-----\nnot base64 !!\n-----END CERTIFICATE-----\n",
	"-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----\n",
	"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
	"-----BEGIN CERTIFICATE-----\nMA\n-----END CERTIFICATE-----\n",
	"-----BEGIN CERTIFICATE-----\nMAMCAQA=\n",
};

/* A bundle that is missing, empty or garbage: nothing verifies, nothing breaks. */
START_TEST(test_system_store_bad_bundle)
{
	char file[] = "/tmp/pgr-check-bundle-XXXXXX", why[256];
	struct pgr_cert c;
	int fd = mkstemp(file);
	bool ok;

	ck_assert_int_ge(fd, 0);
	if (bad_bodies[_i] == NULL)
		unlink(file);
	else
		ck_assert_int_eq(write(fd, bad_bodies[_i], strlen(bad_bodies[_i])), (ssize_t)strlen(bad_bodies[_i]));
	close(fd);
	setenv("SSL_CERT_FILE", file, 1);
	setenv("SSL_CERT_DIR", "/nonexistent", 1);
	fill(&c, leaf, "db.example", false);
	verify_ref(leaf, &ok, why, sizeof(why));
	ck_assert(!c.verified && !ok);
	ck_assert_str_eq(c.verify_error, why);
	free(c.chain_pem);
	prepare_first = true;
	fill(&c, leaf, "db.example", false);
	prepare_first = false;
	ck_assert(!c.verified);
	ck_assert_str_eq(c.verify_error, why);
	free(c.chain_pem);
	unsetenv("SSL_CERT_FILE");
	unsetenv("SSL_CERT_DIR");
	unlink(file);
}
END_TEST

/* SSL_CERT_FILE naming a FIFO nobody writes: read as no CAs, not waited on. */
START_TEST(test_system_store_fifo)
{
	char dir[] = "/tmp/pgr-check-fifo-XXXXXX", path[64];
	struct pgr_cert c;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/bundle", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	setenv("SSL_CERT_FILE", path, 1);
	setenv("SSL_CERT_DIR", "/nonexistent", 1);
	prepare_first = true;
	fill(&c, leaf, "db.example", false);
	prepare_first = false;
	ck_assert(!c.verified);
	ck_assert(c.verify_error[0] != '\0');
	free(c.chain_pem);
	unsetenv("SSL_CERT_FILE");
	unsetenv("SSL_CERT_DIR");
	unlink(path);
	rmdir(dir);
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
	tcase_add_loop_test(tc, test_system_store_same_facts, 0, sizeof(stores) / sizeof(stores[0]));
	tcase_add_loop_test(tc, test_system_store_bad_bundle, 0, sizeof(bad_bodies) / sizeof(bad_bodies[0]));
	tcase_add_test(tc, test_system_bundle_every_ca);
	tcase_add_test(tc, test_system_store_fifo);
	suite_add_tcase(s, tc);
	return s;
}

PGR_CHECK_MAIN(suite)
