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
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "probes/tlsinfo.h"
#include "util/secrets.h"

struct pgr_tlsv {
	X509_STORE	*store;
	X509_LOOKUP_METHOD *bundle_meth;	/* the system bundle, read on demand */
	X509_LOOKUP	*bundle_lu;	/* its lookup in store; NULL: --sslrootcert */
	bool		 prepared;	/* pgr_tlsv_prepare() came (atomic) */
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
 * The system CA bundle, read when a verification first asks for an issuer
 * (or just before, in the wait for the server's answer to the ClientHello:
 * pgr_tlsv_prepare()).
 * X509_STORE_set_default_paths() parses every certificate of the default
 * bundle file up front (145 on Debian 12: 238 M instructions, ~70 % of a
 * one-login run, nearly all of it decoding public keys).  This lookup ends
 * with the same certificates in the store for every name OpenSSL asks
 * about: on the first question it reads the file and base64-decodes only
 * as much of each certificate as holds its subject; a certificate is
 * decoded in full, and added to the store as the file lookup would have,
 * only when its subject is the name asked for.  The store is consulted
 * before any lookup, so a name answered once is never asked again.
 *
 * A file this reading does not take in its stride (a PEM header, a
 * character outside base64, a size past BUNDLE_MAX) is handed to OpenSSL's
 * own file loader whole, so that it fails or succeeds as it would have.
 * Only the blocks' boundaries and the base64 up to each subject are read
 * on the first question; the rest of the file (~90 % of it) is checked
 * character by character only when a name is found in it.  Until then the
 * check cannot change an answer: a name found in no subject is in no
 * certificate OpenSSL's loader would give either (it reads the same
 * blocks the same way up to their subjects, or rejects the whole file).
 * Heroku's server certificates chain to no public CA, so their issuer is
 * found nowhere and the file is read at ~1/4 of the cost of a full check.
 */
struct bundle_cert {
	size_t		 body, body_end; /* the block's base64 lines in the text */
	char		*b64;		/* the block's base64, blanks taken out (checked) */
	size_t		 b64len;
	unsigned char	*subj;		/* the subject's DER (NULL: unreadable) */
	size_t		 subjlen;
	unsigned char	*key;		/* see name_key() */
	size_t		 keylen;
	bool		 keyed;		/* the key can rule a name out */
	X509_NAME	*subject;	/* decoded when the key could not */
	bool		 aux;		/* TRUSTED CERTIFICATE: trust settings follow */
	bool		 added;
};

struct bundle {
	char		*path;
	char		*text;		/* the file, until checked */
	size_t		 textlen;
	bool		 indexed;
	bool		 checked;	/* every block read as PEM_read_bio() would */
	bool		 whole;		/* given to OpenSSL's file loader instead */
	struct bundle_cert *certs;
	size_t		 n;
};

/* Debian 12's bundle is 214 KB; anything past this goes to OpenSSL whole. */
#define BUNDLE_MAX	(16 * 1024 * 1024)

/*
 * One DER header at p: its tag byte and content length; the content's
 * start, or NULL when the header does not fit before end or is not DER
 * (a multi-byte tag, an indefinite or over-long length).
 */
static const unsigned char *
der_tlv(const unsigned char *p, const unsigned char *end, int *tag, size_t *len)
{
	size_t n, i;

	if (end - p < 2 || (p[0] & 0x1f) == 0x1f)
		return NULL;
	*tag = p[0];
	if (p[1] < 0x80) {
		*len = p[1];
		return p + 2;
	}
	n = p[1] & 0x7f;
	if (n == 0 || n > 4 || (size_t)(end - p) < 2 + n)
		return NULL;
	for (*len = 0, i = 0; i < n; i++)
		*len = (*len << 8) | p[2 + i];
	return p + 2 + n;
}

/*
 * The subject of a certificate from the first dlen bytes of its DER (RFC
 * 5280 4.1: Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0]
 * version OPTIONAL, serialNumber, signature, issuer, validity, subject,
 * ...).  1 with *at, *atlen; 0: more bytes needed; -1: not a certificate.
 */
static int
der_subject(const unsigned char *der, size_t dlen, bool whole,
    const unsigned char **at, size_t *atlen)
{
	const unsigned char *p, *q, *end = der + dlen;
	int tag, i, n = 0;
	size_t len;

	if ((p = der_tlv(der, end, &tag, &len)) == NULL || tag != 0x30 ||
	    (p = der_tlv(p, end, &tag, &len)) == NULL || tag != 0x30)
		return whole ? -1 : 0;
	for (i = 0; ; i++) {
		if ((q = der_tlv(p, end, &tag, &len)) == NULL || len > (size_t)(end - q))
			return whole ? -1 : 0;
		if (i == 0 && tag == 0xa0) {	/* [0] version */
			p = q + len;
			continue;
		}
		if (++n == 5) {
			*at = p;
			*atlen = (size_t)(q + len - p);
			return tag == 0x30 ? 1 : -1;
		}
		p = q + len;
	}
}

/*
 * A key of a Name that equal names share: per RDN, per attribute, the OID
 * and the value's characters lowercased with every blank left out.
 * X509_NAME_cmp() compares canonical encodings, which keep the RDNs and
 * OIDs and, for ASCII strings of the types it canonicalises, lowercase
 * the value and fold its blanks (x509_name_canon()), and keep a UTF8String's
 * other bytes as they are; so names with different keys cannot be equal.
 * *keyed false: a value of another type or with other bytes, or an RDN of
 * several attributes (the canonical encoding sorts them), where only
 * X509_NAME_cmp() can tell.
 */
static unsigned char *
name_key(const unsigned char *der, size_t dlen, size_t *keylen, bool *keyed)
{
	const unsigned char *p, *end = der + dlen, *rdn_end, *atv_end, *v;
	unsigned char *k, *o;
	size_t len, vlen, i;
	int tag;

	*keyed = false;
	*keylen = 0;
	if ((k = malloc(dlen + 1)) == NULL)
		return NULL;
	o = k;
	if ((p = der_tlv(der, end, &tag, &len)) == NULL || tag != 0x30 || len > (size_t)(end - p))
		return k;
	end = p + len;
	while (p < end) {
		if ((p = der_tlv(p, end, &tag, &len)) == NULL || tag != 0x31 ||
		    len > (size_t)(end - p))
			return k;
		rdn_end = p + len;
		*o++ = 'S';
		while (p < rdn_end) {
			if (o[-1] != 'S')
				return k;	/* a second attribute in the RDN */
			if ((p = der_tlv(p, rdn_end, &tag, &len)) == NULL || tag != 0x30 ||
			    len > (size_t)(rdn_end - p))
				return k;
			atv_end = p + len;
			if ((v = der_tlv(p, atv_end, &tag, &len)) == NULL || tag != 0x06 ||
			    len > (size_t)(atv_end - v) || len > 255)
				return k;
			*o++ = (unsigned char)len;	/* the OID, its length first */
			memcpy(o, v, len);
			o += len;
			p = v + len;
			if ((v = der_tlv(p, atv_end, &tag, &vlen)) == NULL ||
			    vlen != (size_t)(atv_end - v))
				return k;
			/* UTF8String, PrintableString, IA5String, VisibleString */
			if (tag != 0x0c && tag != 0x13 && tag != 0x16 && tag != 0x1a)
				return k;
			*o++ = '=';
			for (i = 0; i < vlen; i++) {
				if (v[i] == 0 || (v[i] >= 0x80 && tag != 0x0c))
					return k;
				if (v[i] != ' ' && (v[i] < '\t' || v[i] > '\r'))
					*o++ = (unsigned char)(v[i] >= 'A' && v[i] <= 'Z' ?
					    v[i] - 'A' + 'a' : v[i]);
			}
			*o++ = ';';
			p = atv_end;
		}
	}
	*keyed = true;
	*keylen = (size_t)(o - k);
	return k;
}

/* Base64 to DER: the first chars of b64 (a multiple of 4), or all of it. */
static unsigned char *
b64_decode(const char *b64, size_t chars, bool all, size_t *len)
{
	unsigned char *out = malloc(chars / 4 * 3 + 1);
	int n;

	if (out == NULL)
		return NULL;
	n = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)chars);
	if (n < 0) {
		free(out);
		return NULL;
	}
	/* EVP_DecodeBlock() counts the padding as bytes. */
	if (all && chars > 0 && b64[chars - 1] == '=')
		n -= b64[chars - 2] == '=' ? 2 : 1;
	*len = (size_t)n;
	return out;
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
enum { B64_OTHER, B64_CHAR, B64_BLANK };

/*
 * The DER whose base64 is text [*p, end), decoded on into out[*n] up to
 * max bytes: blanks and line ends skipped, '=' ending it.  0, with *all
 * when the text ended; -1 at a character the full check would refuse.
 * Four characters at a time while they are all base64 (a line is 64).
 */
static int
b64_more(const unsigned char **p, const unsigned char *end,
    const signed char val[256], unsigned char *out, size_t *n, size_t max,
    unsigned *acc, int *bits, bool *all)
{
	const unsigned char *q = *p;
	int v;

	while (q < end && *n < max) {
		if (*bits == 0 && end - q >= 4 && max - *n >= 3) {
			int a = val[q[0]], b = val[q[1]], c = val[q[2]], d = val[q[3]];

			if ((a | b | c | d) >= 0) {
				out[(*n)++] = (unsigned char)(a << 2 | b >> 4);
				out[(*n)++] = (unsigned char)(b << 4 | c >> 2);
				out[(*n)++] = (unsigned char)(c << 6 | d);
				q += 4;
				continue;
			}
		}
		if ((v = val[*q]) >= 0) {
			*acc = *acc << 6 | (unsigned)v;
			if ((*bits += 6) >= 8) {
				*bits -= 8;
				out[(*n)++] = (unsigned char)(*acc >> *bits);
			}
		} else if (v == -3) {
			break;			/* '=': the padding */
		} else if (v != -2) {		/* -2: blank, CR, LF */
			*p = q;
			return -1;
		}
		q++;
	}
	*all = q == end || *q == '=';
	*p = q;
	return 0;
}

/*
 * The subject of c from as little of its base64 as holds it, decoded 96
 * bytes at a time; false at a character PEM_read_bio() would not take
 * (the file then goes to OpenSSL).
 */
static bool
bundle_subject(const char *text, struct bundle_cert *c, const signed char val[256])
{
	const unsigned char *at, *p = (const unsigned char *)text + c->body;
	const unsigned char *end = (const unsigned char *)text + c->body_end;
	unsigned char first[768], *der = first, *bigger;	/* most subjects end before */
	size_t cap = sizeof(first), max = 0, n = 0, atlen;
	unsigned acc = 0;
	int bits = 0, r;
	bool all, ok = true;

	for (;;) {
		if ((max += 96) > cap) {
			if ((bigger = malloc(cap * 2)) == NULL)
				break;		/* unreadable: never a match */
			memcpy(bigger, der, n);
			if (der != first)
				free(der);
			der = bigger;
			cap *= 2;
		}
		if (b64_more(&p, end, val, der, &n, max, &acc, &bits, &all) != 0) {
			ok = false;
			break;
		}
		r = der_subject(der, n, all, &at, &atlen);
		if (r == 1 && (c->subj = malloc(atlen)) != NULL) {
			memcpy(c->subj, at, atlen);
			c->subjlen = atlen;
			c->key = name_key(c->subj, atlen, &c->keylen, &c->keyed);
		}
		if (r != 0 || all)
			break;
	}
	if (der != first)
		free(der);
	return ok;
}

/*
 * A PEM label PEM_read_bio_X509_AUX() takes as a certificate; *aux: the
 * TRUSTED CERTIFICATE form, with OpenSSL's trust settings after it.
 */
static bool
cert_label(const char *label, size_t len, bool *aux)
{
#define IS(s) (len == sizeof(s) - 1 && memcmp(label, s, len) == 0)
	*aux = IS(PEM_STRING_X509_TRUSTED);
	return *aux || IS(PEM_STRING_X509) || IS(PEM_STRING_X509_OLD);
#undef IS
}

/* One more certificate block in b, zeroed; NULL: out of memory. */
static struct bundle_cert *
bundle_add_cert(struct bundle *b, bool aux)
{
	struct bundle_cert *c;

	if ((c = realloc(b->certs, (b->n + 1) * sizeof(*c))) == NULL)
		return NULL;
	b->certs = c;
	c += b->n++;
	memset(c, 0, sizeof(*c));
	c->aux = aux;
	return c;
}

/*
 * The blocks of text, found as bundle_scan() finds them, their base64
 * left where it is; false: something PEM_read_bio() might read otherwise.
 */
static bool
bundle_find(struct bundle *b, const char *text, size_t n)
{
	static const char begin[] = "-----BEGIN ", end_[] = "-----END ";
	const char *line, *eol, *lend, *label, *body_end;
	struct bundle_cert *c;
	size_t labellen;
	bool cert, aux;

	for (line = text; line < text + n; line = eol + 1) {
		if ((eol = memchr(line, '\n', (size_t)(text + n - line))) == NULL)
			eol = text + n;
		lend = eol;
		while (lend > line && (lend[-1] == '\r' || lend[-1] == ' ' || lend[-1] == '\t'))
			lend--;
		if ((size_t)(lend - line) <= sizeof(begin) - 1 + 5 ||
		    memcmp(line, begin, sizeof(begin) - 1) != 0 ||
		    memcmp(lend - 5, "-----", 5) != 0)
			continue;
		label = line + sizeof(begin) - 1;
		labellen = (size_t)(lend - 5 - label);
		/* Base64 has no '-': the first one is the END line's, mostly. */
		body_end = eol < text + n ? memchr(eol, '-', (size_t)(text + n - eol)) : NULL;
		if (body_end != NULL && (body_end[-1] != '\n' ||
		    (size_t)(text + n - body_end) < 9 || memcmp(body_end, "-----END ", 9) != 0))
			body_end = memmem(eol, (size_t)(text + n - eol), "\n-----END ", 10);
		else if (body_end != NULL)
			body_end--;
		if (body_end == NULL)
			return false;		/* no END: PEM_read_bio() fails */
		/* The END line: the same label, as PEM_read_bio() wants. */
		line = body_end + 1;
		if ((eol = memchr(line, '\n', (size_t)(text + n - line))) == NULL)
			eol = text + n;
		lend = eol;
		while (lend > line && (lend[-1] == '\r' || lend[-1] == ' ' || lend[-1] == '\t'))
			lend--;
		if ((size_t)(lend - line) != sizeof(end_) - 1 + labellen + 5 ||
		    memcmp(line + sizeof(end_) - 1, label, labellen) != 0 ||
		    memcmp(lend - 5, "-----", 5) != 0)
			return false;
		cert = cert_label(label, labellen, &aux);
		if (!cert)
			continue;
		if ((c = bundle_add_cert(b, aux)) == NULL)
			return false;
		c->body = (size_t)(label - text) + labellen + 5;
		c->body_end = (size_t)(body_end - text);
	}
	return true;
}

/*
 * Find the certificate blocks in text, the way PEM_read_bio() would;
 * false: something it might read otherwise (then OpenSSL reads the file).
 */
static bool
bundle_scan(struct bundle *b, char *text, size_t n)
{
	static const char begin[] = "-----BEGIN ", end_[] = "-----END ";
	char *line = text, *eol, *label = NULL, *lend, *body_end;
	struct bundle_cert *c = NULL;
	bool in = false, cert = false, aux;
	unsigned char b64class[256];
	size_t i;

	/* One table look-up per character: the bundle is ~200 K of base64. */
	memset(b64class, B64_OTHER, sizeof(b64class));
	for (i = 0; b64_alphabet[i] != '\0'; i++)
		b64class[(unsigned char)b64_alphabet[i]] = B64_CHAR;
	b64class[' '] = b64class['\t'] = B64_BLANK;
	for (; line < text + n; line = eol + 1) {
		if ((eol = memchr(line, '\n', (size_t)(text + n - line))) == NULL)
			eol = text + n;
		lend = eol;
		while (lend > line && (lend[-1] == '\r' || lend[-1] == ' ' || lend[-1] == '\t'))
			lend--;
		if (!in) {
			if ((size_t)(lend - line) <= sizeof(begin) - 1 + 5 ||
			    memcmp(line, begin, sizeof(begin) - 1) != 0 ||
			    memcmp(lend - 5, "-----", 5) != 0)
				continue;
			label = line + sizeof(begin) - 1;
			*(lend - 5) = '\0';
			in = true;
			cert = cert_label(label, strlen(label), &aux);
			if (!cert)
				continue;
			if ((c = bundle_add_cert(b, aux)) == NULL)
				return false;
			body_end = eol < text + n ?
			    memmem(eol, (size_t)(text + n - eol), "\n-----END ", 10) : NULL;
			if (body_end == NULL ||
			    (c->b64 = malloc((size_t)(body_end - eol) + 1)) == NULL)
				return false;
		} else if ((size_t)(lend - line) >= sizeof(end_) - 1 &&
		    memcmp(line, end_, sizeof(end_) - 1) == 0) {
			/* PEM_read_bio() wants the same label, and '=' only at the end. */
			if ((size_t)(lend - line) != sizeof(end_) - 1 + strlen(label) + 5 ||
			    memcmp(line + sizeof(end_) - 1, label, strlen(label)) != 0 ||
			    memcmp(lend - 5, "-----", 5) != 0)
				return false;
			in = false;
			if (!cert)
				continue;
			if (c->b64len < 4 || c->b64len % 4 != 0 ||
			    memchr(c->b64, '=', c->b64len - 2) != NULL ||
			    (c->b64len >= 2 && c->b64[c->b64len - 2] == '=' && c->b64[c->b64len - 1] != '='))
				return false;
		} else if (cert) {
			char *to = c->b64 + c->b64len;

			for (; line < lend; line++) {
				unsigned char k = b64class[(unsigned char)*line];

				if (k == B64_CHAR)
					*to++ = *line;
				else if (k != B64_BLANK)
					return false;	/* a PEM header, or not base64 */
			}
			c->b64len = (size_t)(to - c->b64);
		}
	}
	return !in;
}

/*
 * Memory for the file's text, its pages made in one call: malloc() maps a
 * fresh region for 200 K and each of its 54 pages then faults on first
 * write, ~1 ms in all on a virtual machine, twice the whole read this way.
 * (A mapping of the file itself would be faster still, but a file cut
 * short while mapped kills the process with SIGBUS.)
 */
static char *
text_alloc(size_t len)
{
	void *p = mmap(NULL, len + 1, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void
text_free(char *p, size_t len)
{
	if (p != NULL)
		munmap(p, len + 1);
}

/* Read the file once and find its certificates' subjects. */
static void
bundle_index(struct bundle *b)
{
	signed char val[256];
	struct stat st;
	char *text = NULL;
	size_t got = 0, i;
	ssize_t r;
	int fd;

	b->indexed = true;
	/* A regular file only: a FIFO would block (OpenSSL's loader too). */
	if ((fd = open(b->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return;		/* as OpenSSL's file lookup: no CAs */
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return;
	}
	if (st.st_size <= BUNDLE_MAX && (text = text_alloc((size_t)st.st_size)) != NULL)
		while (got < (size_t)st.st_size &&
		    ((r = read(fd, text + got, (size_t)st.st_size - got)) > 0 ||
		    (r < 0 && errno == EINTR)))
			got += r > 0 ? (size_t)r : 0;
	close(fd);
	if (text == NULL || got != (size_t)st.st_size || !bundle_find(b, text, got)) {
		b->whole = true;
		text_free(text, (size_t)st.st_size);
		return;
	}
	memset(val, -1, sizeof(val));
	for (i = 0; b64_alphabet[i] != '=' ; i++)
		val[(unsigned char)b64_alphabet[i]] = (signed char)i;
	val[' '] = val['\t'] = val['\r'] = val['\n'] = -2;
	val['='] = -3;
	for (i = 0; i < b->n && !b->whole; i++)
		if (!bundle_subject(text, &b->certs[i], val))
			b->whole = true;
	b->text = text;
	b->textlen = got;
}

/*
 * The whole file checked as PEM_read_bio() would read it (bundle_scan(),
 * which keeps each block's base64 for the full decode, and marks up the
 * text: it is ours, and not needed after); false: OpenSSL's loader is to
 * have it.
 */
static bool
bundle_check(struct bundle *b)
{
	struct bundle s = { 0 };
	size_t i;
	bool ok;

	b->checked = true;
	ok = bundle_scan(&s, b->text, b->textlen) && s.n == b->n;
	for (i = 0; i < s.n; i++) {
		if (ok) {
			b->certs[i].b64 = s.certs[i].b64;
			b->certs[i].b64len = s.certs[i].b64len;
		} else {
			free(s.certs[i].b64);
		}
	}
	free(s.certs);
	text_free(b->text, b->textlen);
	b->text = NULL;
	return ok;
}

/* The certificates of c's name go into the store, decoded in full. */
static void
bundle_add(X509_STORE *store, struct bundle_cert *c)
{
	unsigned char *der;
	const unsigned char *p;
	size_t len;
	X509 *x;

	c->added = true;
	if ((der = b64_decode(c->b64, c->b64len, true, &len)) == NULL)
		return;
	p = der;
	x = c->aux ? d2i_X509_AUX(NULL, &p, (long)len) : d2i_X509(NULL, &p, (long)len);
	if (x != NULL)
		(void)X509_STORE_add_cert(store, x);	/* 1 also when there already */
	X509_free(x);
	free(der);
}

/* Indexed once; a file read whole is in the store from then on. */
static void
bundle_ready(X509_LOOKUP *lu, struct bundle *b)
{
	if (b->indexed)
		return;
	bundle_index(b);
	if (b->whole)
		(void)X509_load_cert_crl_file(lu, b->path, X509_FILETYPE_PEM);
}

static int
bundle_get(X509_LOOKUP *lu, X509_LOOKUP_TYPE type, const X509_NAME *name,
    X509_OBJECT *ret)
{
	struct bundle *b = X509_LOOKUP_get_method_data(lu);
	X509_STORE *store = X509_LOOKUP_get_store(lu);
	const unsigned char *der;
	unsigned char *key = NULL;
	size_t derlen, keylen = 0, i;
	bool keyed = false, any = false;
	X509_OBJECT *o;
	int ok = 0;

	if (type != X509_LU_X509 || b == NULL || store == NULL)
		return 0;
	bundle_ready(lu, b);
	if (b->whole)
		any = true;	/* all of it in the store, or none */
	else if (X509_NAME_get0_der(name, &der, &derlen) == 1)
		key = name_key(der, derlen, &keylen, &keyed);
	for (i = 0; !b->whole && i < b->n; i++) {
		struct bundle_cert *c = &b->certs[i];
		const unsigned char *p = c->subj;

		if (c->subj == NULL || (keyed && c->keyed &&
		    (keylen != c->keylen || memcmp(key, c->key, keylen) != 0)))
			continue;
		if (c->subject == NULL &&
		    (c->subject = d2i_X509_NAME(NULL, &p, (long)c->subjlen)) == NULL) {
			free(c->subj);	/* not a Name: never a match */
			c->subj = NULL;
			continue;
		}
		if (X509_NAME_cmp(c->subject, name) != 0)
			continue;
		any = true;
		/* Found: now the rest of the file counts (see struct bundle_cert). */
		if (!b->checked && !bundle_check(b)) {
			b->whole = true;
			(void)X509_load_cert_crl_file(lu, b->path, X509_FILETYPE_PEM);
			break;
		}
		if (!c->added)
			bundle_add(store, c);
	}
	free(key);
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
		free(b->certs[i].b64);
		free(b->certs[i].subj);
		free(b->certs[i].key);
		X509_NAME_free(b->certs[i].subject);
	}
	free(b->certs);
	text_free(b->text, b->textlen);
	free(b->path);
	free(b);
}

/*
 * What X509_STORE_set_default_paths() sets up, with the file read on
 * demand: the bundle file (SSL_CERT_FILE or the default, as OpenSSL picks
 * it; secure_getenv: ignored when setuid), then the hashed directory
 * (SSL_CERT_DIR or the default), which reads only the files of the hash
 * asked for, and only when asked.  Its third lookup, the default store
 * URI, is left out: in OpenSSL 3.0 that URI is the same directory, read
 * for the same <hash>.<n> files, and adding it opens an OSSL_STORE at once
 * (4.7 M instructions, loader fetch included; ~1 M more per question).
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
	v->bundle_lu = lu;
	/*
	 * Nothing here leaves an error on success, and the run ends on a
	 * failure: no ERR_clear_error(), whose first call loads OpenSSL's
	 * error strings (0.9 M instructions) before the first packet.
	 */
	if ((lu = X509_STORE_add_lookup(v->store, X509_LOOKUP_hash_dir())) == NULL ||
	    X509_LOOKUP_add_dir(lu, NULL, X509_FILETYPE_DEFAULT) != 1)
		return -1;
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
		return snprintf(err, errlen, "--sslrootcert %s: cannot read the CA bundle: not a regular file",
		    rootcert), -1;
	if ((f = fopen(rootcert, "r")) == NULL)
		return snprintf(err, errlen, "--sslrootcert %s: cannot read the CA bundle: %s",
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
		return snprintf(err, errlen, "--sslrootcert %s: cannot read the CA bundle: no PEM certificates",
		    rootcert), -1;
	return 0;
}

/* Fill the store from --sslrootcert; a failure in v->error. */
static void
load(struct pgr_tlsv *v)
{
	if (X509_STORE_load_file(v->store, v->rootcert) != 1)
		snprintf(v->error, sizeof(v->error), "--sslrootcert %s: cannot read the CA bundle: %s",
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
	/* ready belongs to the loader once it runs: not read here then. */
	if (!v->loader_started && !v->ready) {
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

void
pgr_tlsv_prepare(struct pgr_tlsv *v)
{
	struct bundle *b;

	if (v == NULL || v->bundle_lu == NULL ||
	    __atomic_exchange_n(&v->prepared, true, __ATOMIC_ACQ_REL))
		return;
	/* The lookups run under mu too (verify_chain()). */
	pthread_mutex_lock(&v->mu);
	if ((b = X509_LOOKUP_get_method_data(v->bundle_lu)) != NULL)
		bundle_ready(v->bundle_lu, b);
	ERR_clear_error();
	pthread_mutex_unlock(&v->mu);
}

void
pgr_tls_warm(void)
{
	static bool started;
	SSL_CTX *ctx;

	if (__atomic_exchange_n(&started, true, __ATOMIC_ACQ_REL))
		return;
	/* As libpq's pgtls_init(): the same configuration, loaded once. */
	if (OPENSSL_init_ssl(OPENSSL_INIT_LOAD_CONFIG, NULL) == 1 &&
	    (ctx = SSL_CTX_new(TLS_method())) != NULL)
		SSL_CTX_free(ctx);
	ERR_clear_error();
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
