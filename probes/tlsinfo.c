/*
 * Certificate facts with OpenSSL: subject, issuer, SANs, validity, whether
 * the chain verifies against --sslrootcert (or the system store) and
 * whether the name matches, the way `openssl s_client -verify_hostname`
 * would judge them.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "probes/tlsinfo.h"
#include "util/secrets.h"

struct pgr_tlsv {
	X509_STORE	*store;
	/*
	 * One verification at a time: the store's trust anchors are shared,
	 * and OpenSSL 3.0 fills their cached fields (key identifiers) while
	 * other verifications read them (ThreadSanitizer saw it with four
	 * workers).  A verification is ~0.1 ms against a login's ~3 ms.
	 */
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;		/* ready turned true */
	bool		 ready;		/* loaded, or failed (error[0]) */
	bool		 loader_started;
	pthread_t	 loader;
	char		*rootcert;	/* NULL: the system store */
	char		 error[320];
};

/* A c_rehash'ed directory: OpenSSL looks issuers up in it one at a time. */
static bool
hashed_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool found = false;

	if (d == NULL)
		return false;
	while (!found && (e = readdir(d)) != NULL)
		found = strlen(e->d_name) == 10 && e->d_name[8] == '.' &&
		    strspn(e->d_name, "0123456789abcdef") == 8;
	closedir(d);
	return found;
}

/* The file is there, regular, readable and looks like PEM: checked at once. */
static int
precheck(const char *rootcert, char *err, size_t errlen)
{
	static const char pem[] = "-----BEGIN ";
	char buf[8192];
	struct stat st;
	bool found = false;
	size_t n, keep = 0;
	FILE *f;

	/*
	 * A regular file only: fopen() of a FIFO with no writer never
	 * returns, and libpq (verify-ca, verify-full) would read the same
	 * file with blocking I/O inside PQconnectPoll().
	 */
	if (stat(rootcert, &st) == 0 && !S_ISREG(st.st_mode))
		return snprintf(err, errlen, "cannot read CA bundle \"%s\": not a regular file",
		    rootcert), -1;
	if ((f = fopen(rootcert, "r")) == NULL)
		return snprintf(err, errlen, "cannot read CA bundle \"%s\": %s",
		    rootcert, strerror(errno)), -1;
	/* Scan for a PEM header, keeping a header's length across reads. */
	while (!found && (n = fread(buf + keep, 1, sizeof(buf) - keep - 1, f)) > 0) {
		n += keep;
		buf[n] = '\0';
		found = memmem(buf, n, pem, sizeof(pem) - 1) != NULL;
		keep = n < sizeof(pem) - 1 ? n : sizeof(pem) - 1;
		memmove(buf, buf + n - keep, keep);
	}
	fclose(f);
	if (!found)
		return snprintf(err, errlen, "cannot read CA bundle \"%s\": no PEM certificates",
		    rootcert), -1;
	return 0;
}

/* Fill the store: the file, or the system store; a failure in v->error. */
static void
load(struct pgr_tlsv *v)
{
	if (v->rootcert != NULL) {
		if (X509_STORE_load_file(v->store, v->rootcert) != 1)
			snprintf(v->error, sizeof(v->error), "cannot read CA bundle \"%s\": %s",
			    v->rootcert, ERR_reason_error_string(ERR_peek_last_error()) ?
			    ERR_reason_error_string(ERR_peek_last_error()) : "no certificates");
	} else {
		/*
		 * The system store.  X509_STORE_set_default_paths() also loads
		 * the default bundle file, parsing every CA in it on each run
		 * (144 on Debian 12: 194 M instructions, ~16 ms, more than four
		 * SCRAM logins).  Where the default directory is hashed (Debian,
		 * Ubuntu, Alpine), its lookup finds the same CAs, one issuer at
		 * a time and only when a chain is verified.
		 */
		const char *dir = getenv(X509_get_default_cert_dir_env());

		if (dir == NULL || dir[0] == '\0')
			dir = X509_get_default_cert_dir();
		if (getenv(X509_get_default_cert_file_env()) != NULL ||
		    !hashed_dir(dir) || X509_STORE_load_path(v->store, dir) != 1)
			(void)X509_STORE_set_default_paths(v->store);
		/* No system store: nothing will verify, said per certificate. */
	}
	ERR_clear_error();
}

static void *
loader(void *arg)
{
	struct pgr_tlsv *v = arg;

	load(v);
	pthread_mutex_lock(&v->mu);
	v->ready = true;
	pthread_cond_broadcast(&v->cv);
	pthread_mutex_unlock(&v->mu);
	return NULL;
}

int
pgr_tlsv_new(struct pgr_tlsv **out, const char *rootcert, bool background,
    char *err, size_t errlen)
{
	struct pgr_tlsv *v;

	*out = NULL;
	if (rootcert != NULL && precheck(rootcert, err, errlen) != 0)
		return -1;
	v = calloc(1, sizeof(*v));
	if (v == NULL || (v->store = X509_STORE_new()) == NULL ||
	    (rootcert != NULL && (v->rootcert = strdup(rootcert)) == NULL)) {
		if (v != NULL)
			X509_STORE_free(v->store);
		free(v);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&v->mu, NULL);
	pthread_cond_init(&v->cv, NULL);
	if (background) {
		sigset_t all, old;

		/* Signals stay with the main thread. */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		v->loader_started = pthread_create(&v->loader, NULL, loader, v) == 0;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	if (!v->loader_started) {
		load(v);
		v->ready = true;
		if (v->error[0] != '\0') {
			snprintf(err, errlen, "%s", v->error);
			pgr_tlsv_free(v);
			return -1;
		}
	}
	*out = v;
	return 0;
}

/* Wait for the store (v->mu held). */
static void
wait_ready(struct pgr_tlsv *v)
{
	while (!v->ready)
		pthread_cond_wait(&v->cv, &v->mu);
}

int
pgr_tlsv_wait(struct pgr_tlsv *v, char *err, size_t errlen)
{
	int rc = 0;

	pthread_mutex_lock(&v->mu);
	wait_ready(v);
	if (v->error[0] != '\0') {
		snprintf(err, errlen, "%s", v->error);
		rc = -1;
	}
	pthread_mutex_unlock(&v->mu);
	return rc;
}

void
pgr_tlsv_free(struct pgr_tlsv *v)
{
	if (v == NULL)
		return;
	if (v->loader_started)
		pthread_join(v->loader, NULL);
	X509_STORE_free(v->store);
	pthread_cond_destroy(&v->cv);
	pthread_mutex_destroy(&v->mu);
	free(v->rootcert);
	free(v);
}

static void
name_text(const X509_NAME *n, char *buf, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	int r;

	buf[0] = '\0';
	if (b == NULL)
		return;
	X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253);
	r = BIO_read(b, buf, (int)len - 1);
	buf[r > 0 ? r : 0] = '\0';
	BIO_free(b);
}

/*
 * SAN names are the certificate's bytes as sent (subject and issuer come
 * escaped from XN_FLAG_RFC2253): escaped in place before any output.
 */
static void
escape_field(char *buf, size_t len)
{
	char *raw = strdup(buf);

	if (raw != NULL)
		pgr_text_escape(buf, len, raw, strlen(raw));
	free(raw);
}

static void
sans_text(X509 *x, char *buf, size_t len)
{
	GENERAL_NAMES *gens;
	size_t n = 0;
	int i;

	buf[0] = '\0';
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	if (gens == NULL)
		return;
	for (i = 0; i < sk_GENERAL_NAME_num(gens) && n < len; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		char ip[PGR_ADDRSTRLEN] = "?";

		if (g->type == GEN_DNS)
			n += (size_t)snprintf(buf + n, len - n, "%sDNS:%.*s", n ? ", " : "",
			    ASN1_STRING_length(g->d.dNSName),
			    (const char *)ASN1_STRING_get0_data(g->d.dNSName));
		else if (g->type == GEN_IPADD) {
			int l = ASN1_STRING_length(g->d.iPAddress);

			inet_ntop(l == 16 ? AF_INET6 : AF_INET,
			    ASN1_STRING_get0_data(g->d.iPAddress), ip, sizeof(ip));
			n += (size_t)snprintf(buf + n, len - n, "%sIP:%s", n ? ", " : "", ip);
		}
	}
	GENERAL_NAMES_free(gens);
}

static time_t
asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

static char *
chain_pem(STACK_OF(X509) *chain)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	long len;
	int i;

	if (b == NULL)
		return NULL;
	for (i = 0; i < sk_X509_num(chain); i++)
		PEM_write_bio_X509(b, sk_X509_value(chain, i));
	len = BIO_get_mem_data(b, &data);
	if (len > 0 && (out = malloc((size_t)len + 1)) != NULL) {
		memcpy(out, data, (size_t)len);
		out[len] = '\0';
	}
	BIO_free(b);
	return out;
}

static void
verify_chain(struct pgr_cert *c, X509 *leaf, STACK_OF(X509) *chain,
    struct pgr_tlsv *v)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();

	c->verified = false;
	if (v != NULL) {
		pthread_mutex_lock(&v->mu);
		wait_ready(v);	/* the loader may still be reading the CAs */
	}
	if (ctx == NULL || v == NULL || v->error[0] != '\0' ||
	    X509_STORE_CTX_init(ctx, v->store, leaf, chain) != 1) {
		snprintf(c->verify_error, sizeof(c->verify_error), "cannot verify");
	} else if (X509_verify_cert(ctx) == 1) {
		c->verified = true;
	} else {
		snprintf(c->verify_error, sizeof(c->verify_error), "%s",
		    X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	}
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	if (v != NULL)
		pthread_mutex_unlock(&v->mu);
}

static bool
host_matches(X509 *leaf, const char *host)
{
	unsigned char buf[16];

	if (host == NULL)
		return false;
	if (inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1)
		return X509_check_ip_asc(leaf, host, 0) == 1;
	return X509_check_host(leaf, host, strlen(host), 0, NULL) == 1;
}

void
pgr_cert_fill(struct pgr_cert *c, STACK_OF(X509) *chain,
    struct pgr_tlsv *v, const char *host, time_t now)
{
	X509 *leaf;
	double secs;

	free(c->chain_pem);
	memset(c, 0, sizeof(*c));
	if (chain == NULL || sk_X509_num(chain) == 0)
		return;
	leaf = sk_X509_value(chain, 0);
	c->present = true;
	c->chain_len = (size_t)sk_X509_num(chain);
	name_text(X509_get_subject_name(leaf), c->subject, sizeof(c->subject));
	name_text(X509_get_issuer_name(leaf), c->issuer, sizeof(c->issuer));
	sans_text(leaf, c->sans, sizeof(c->sans));
	escape_field(c->sans, sizeof(c->sans));
	c->not_before = asn1_time(X509_get0_notBefore(leaf));
	c->not_after = asn1_time(X509_get0_notAfter(leaf));
	secs = difftime(c->not_after, now);
	c->days_left = (long)floor(secs / 86400.0);
	verify_chain(c, leaf, chain, v);
	c->hostname_match = host_matches(leaf, host);
	c->chain_pem = chain_pem(chain);
}
