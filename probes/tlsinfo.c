/*
 * Certificate facts with OpenSSL: subject, issuer, SANs, validity, whether
 * the chain verifies against --sslrootcert (or the system store) and
 * whether the name matches, the way `openssl s_client -verify_hostname`
 * would judge them.
 */
#include <arpa/inet.h>
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

struct pgr_tlsv {
	X509_STORE	*store;
	X509_LOOKUP_METHOD *bundle_meth;	/* the system bundle, read on demand */
	/*
	 * One verification at a time: the store's trust anchors are shared,
	 * OpenSSL 3.0 fills their cached fields (key identifiers) while other
	 * verifications read them (ThreadSanitizer saw it with four workers),
	 * and the bundle lookup below keeps an index of its own.  A
	 * verification is ~0.1 ms against a login's ~3 ms.
	 */
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;		/* ready turned true */
	bool		 ready;		/* loaded, or failed (error[0]) */
	bool		 loader_started;
	pthread_t	 loader;
	char		*rootcert;	/* NULL: the system store */
	char		 error[320];
};

/*
 * The system CA bundle, read when a verification first asks for an issuer.
 * X509_STORE_set_default_paths() parses every certificate of the default
 * bundle file up front (145 on Debian 12: 238 M instructions, ~70 % of a
 * one-login run, nearly all of it decoding public keys).  This lookup ends
 * with the same certificates in the store for every name OpenSSL asks
 * about: on the first question it reads the file and decodes only each
 * certificate's subject name; a certificate is decoded in full, and added
 * to the store as the file lookup would have, only when its subject is
 * the name asked for.  The store is consulted before any lookup, so a name
 * answered once is never asked again.
 */
struct bundle_cert {
	X509_NAME	*subject;
	unsigned char	*der;
	long		 len;
	bool		 aux;		/* TRUSTED CERTIFICATE: trust settings follow */
	bool		 added;
};

struct bundle {
	char		*path;
	bool		 indexed;
	struct bundle_cert *certs;
	size_t		 n;
};

/* Bounds for a file the system gives us: Debian 12's bundle is 214 KB, 145 CAs. */
#define BUNDLE_MAX_CERTS	4096

/*
 * The subject of a DER certificate, without decoding the rest (RFC 5280
 * 4.1: Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version
 * OPTIONAL, serialNumber, signature, issuer, validity, subject, ...
 */
static X509_NAME *
der_subject(const unsigned char *der, long len)
{
	const unsigned char *p = der, *end, *at;
	bool first = true;
	long l;
	int tag, cls, r, i, n = 0;

	for (i = 0; i < 2; i++) {	/* Certificate, then tbsCertificate */
		r = ASN1_get_object(&p, &l, &tag, &cls, der + len - p);
		if ((r & 0x80) || r != V_ASN1_CONSTRUCTED || tag != V_ASN1_SEQUENCE)
			return NULL;
	}
	for (end = p + l; p < end; first = false) {
		at = p;
		r = ASN1_get_object(&p, &l, &tag, &cls, end - p);
		if ((r & 0x80) || r == (V_ASN1_CONSTRUCTED | 1))	/* DER: no indefinite length */
			return NULL;
		p += l;
		if (first && cls == V_ASN1_CONTEXT_SPECIFIC && tag == 0)
			continue;	/* [0] version */
		if (++n == 5)
			return d2i_X509_NAME(NULL, &at, p - at);
	}
	return NULL;
}

/* Read the file once: each certificate's DER and subject. */
static void
bundle_index(struct bundle *b)
{
	BIO *in;
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	long len;

	b->indexed = true;
	if ((in = BIO_new_file(b->path, "r")) == NULL)
		return;		/* no bundle: as OpenSSL's file lookup, no CAs */
	while (b->n < BUNDLE_MAX_CERTS &&
	    PEM_read_bio(in, &name, &header, &data, &len) == 1) {
		bool aux = strcmp(name, PEM_STRING_X509_TRUSTED) == 0;
		struct bundle_cert *c;

		if ((aux || strcmp(name, PEM_STRING_X509) == 0 ||
		    strcmp(name, PEM_STRING_X509_OLD) == 0) &&
		    (c = realloc(b->certs, (b->n + 1) * sizeof(*c))) != NULL) {
			b->certs = c;
			c += b->n;
			memset(c, 0, sizeof(*c));
			c->subject = der_subject(data, len);
			if (c->subject != NULL) {
				c->der = data;
				c->len = len;
				c->aux = aux;
				b->n++;
				data = NULL;
			}
		}
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(data);
		name = header = NULL;
		data = NULL;
	}
	BIO_free(in);
	ERR_clear_error();	/* PEM_read_bio() ends on "no start line" */
}

static int
bundle_get(X509_LOOKUP *lu, X509_LOOKUP_TYPE type, const X509_NAME *name,
    X509_OBJECT *ret)
{
	struct bundle *b = X509_LOOKUP_get_method_data(lu);
	X509_STORE *store = X509_LOOKUP_get_store(lu);
	X509_OBJECT *o;
	bool any = false;
	int ok = 0;
	size_t i;

	if (type != X509_LU_X509 || b == NULL || store == NULL)
		return 0;
	if (!b->indexed)
		bundle_index(b);
	for (i = 0; i < b->n; i++) {
		struct bundle_cert *c = &b->certs[i];
		const unsigned char *p = c->der;
		X509 *x;

		if (X509_NAME_cmp(c->subject, name) != 0)
			continue;
		any = true;
		if (c->added)
			continue;
		c->added = true;
		x = c->aux ? d2i_X509_AUX(NULL, &p, c->len) : d2i_X509(NULL, &p, c->len);
		if (x != NULL)
			(void)X509_STORE_add_cert(store, x);	/* 1 also when there already */
		X509_free(x);
	}
	if (!any)
		return 0;
	if (!X509_STORE_lock(store))
		return 0;
	o = X509_OBJECT_retrieve_by_subject(X509_STORE_get0_objects(store), type, name);
	if (o != NULL && X509_OBJECT_set1_X509(ret, X509_OBJECT_get0_X509(o)) == 1) {
		/*
		 * The answer borrows the store's reference, as OpenSSL's own
		 * lookups' answers do: X509_STORE_CTX_get_by_subject() takes
		 * a reference of its own and never frees what a lookup returned.
		 */
		X509_free(X509_OBJECT_get0_X509(ret));
		ok = 1;
	}
	X509_STORE_unlock(store);
	ERR_clear_error();
	return ok;
}

static void
bundle_free(X509_LOOKUP *lu)
{
	struct bundle *b = X509_LOOKUP_get_method_data(lu);
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n; i++) {
		X509_NAME_free(b->certs[i].subject);
		OPENSSL_free(b->certs[i].der);
	}
	free(b->certs);
	free(b->path);
	free(b);
}

/*
 * What X509_STORE_set_default_paths() sets up, in its order (the file,
 * the hashed directory, the default store URI), with the file read on
 * demand.  The directory and store lookups read only the files of the
 * hash asked for, and only when asked.  The file is SSL_CERT_FILE or the
 * default, as OpenSSL picks it (secure_getenv: ignored when setuid).
 */
static int
system_store(struct pgr_tlsv *v)
{
	const char *file = secure_getenv(X509_get_default_cert_file_env());
	struct bundle *b;
	X509_LOOKUP *lu;

	if (file == NULL)
		file = X509_get_default_cert_file();
	if ((v->bundle_meth = X509_LOOKUP_meth_new("pgreach system bundle")) == NULL ||
	    X509_LOOKUP_meth_set_get_by_subject(v->bundle_meth, bundle_get) != 1 ||
	    X509_LOOKUP_meth_set_free(v->bundle_meth, bundle_free) != 1 ||
	    (lu = X509_STORE_add_lookup(v->store, v->bundle_meth)) == NULL)
		return -1;
	if ((b = calloc(1, sizeof(*b))) == NULL || (b->path = strdup(file)) == NULL ||
	    X509_LOOKUP_set_method_data(lu, b) != 1) {
		if (b != NULL)
			free(b->path);
		free(b);
		return -1;
	}
	if ((lu = X509_STORE_add_lookup(v->store, X509_LOOKUP_hash_dir())) == NULL ||
	    X509_LOOKUP_add_dir(lu, NULL, X509_FILETYPE_DEFAULT) != 1 ||
	    (lu = X509_STORE_add_lookup(v->store, X509_LOOKUP_store())) == NULL ||
	    X509_LOOKUP_add_store(lu, NULL) != 1)
		return -1;
	ERR_clear_error();
	return 0;
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

/* Fill the store from --sslrootcert; a failure in v->error. */
static void
load(struct pgr_tlsv *v)
{
	if (X509_STORE_load_file(v->store, v->rootcert) != 1)
		snprintf(v->error, sizeof(v->error), "cannot read CA bundle \"%s\": %s",
		    v->rootcert, ERR_reason_error_string(ERR_peek_last_error()) ?
		    ERR_reason_error_string(ERR_peek_last_error()) : "no certificates");
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
	if (rootcert == NULL) {
		/* Nothing read until a verification asks: no thread needed. */
		if (system_store(v) != 0) {
			pgr_tlsv_free(v);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		v->ready = true;
	} else if (background) {
		sigset_t all, old;

		/* Signals stay with the main thread. */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		v->loader_started = pthread_create(&v->loader, NULL, loader, v) == 0;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	if (!v->ready && !v->loader_started) {
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
	X509_LOOKUP_meth_free(v->bundle_meth);	/* after the store's lookups */
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
	c->not_before = asn1_time(X509_get0_notBefore(leaf));
	c->not_after = asn1_time(X509_get0_notAfter(leaf));
	secs = difftime(c->not_after, now);
	c->days_left = (long)floor(secs / 86400.0);
	verify_chain(c, leaf, chain, v);
	c->hostname_match = host_matches(leaf, host);
	c->chain_pem = chain_pem(chain);
}
