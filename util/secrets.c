/*
 * The registry of a run's secrets and the scrubber built on it.  See
 * secrets.h for what a scrub finds.  Every copy of a secret this file
 * makes (decoded values, derived encodings, buffers that held one) is
 * wiped before it is freed: a core dump should not carry it.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "util/secrets.h"
#include "util/text.h"

#define NDERIVED	10
#define PGPASS_MAX	(1024 * 1024)	/* a larger password file is not read */

/*
 * One secret and the fixed strings derived from it that a writer or a
 * tool could have produced: hex, sha256 hex, and the base64 characters
 * that depend on its bytes alone at each of the three alignments a 3-byte
 * group allows (so it is found inside a longer encoded blob).
 */
struct secret {
	char	*raw;
	size_t	 len;
	char	*derived[NDERIVED];
};

struct secset {
	struct secret *v;
	size_t	 n;
	/* Pieces of a password (split at / ? # @), matched only as "quoted" words. */
	char	**piece;
	size_t	 npiece;
	bool	 first[256];	/* bytes a match of some secret can start with */
	bool	 digests_due;	/* sha256 forms not made yet: set_digests() */
	bool	 oom;
};

static struct secset registry;
static pthread_rwlock_t registry_lock = PTHREAD_RWLOCK_INITIALIZER;

/* ------------------------------------------------------------------ */
/* A growing buffer that wipes every copy it leaves behind. */

struct wbuf {
	char	*p;
	size_t	 len, cap;
	bool	 oom;
};

static void
wbuf_add(struct wbuf *b, const char *s, size_t n)
{
	char *np;
	size_t cap;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((np = malloc(cap)) == NULL) {
			b->oom = true;
			return;
		}
		if (b->p != NULL) {
			memcpy(np, b->p, b->len);
			explicit_bzero(b->p, b->cap);
			free(b->p);
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
wbuf_wipe(struct wbuf *b)
{
	if (b->p != NULL)
		explicit_bzero(b->p, b->cap);
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static void
free_wiped(char *s, size_t len)
{
	if (s != NULL)
		explicit_bzero(s, len);
	free(s);
}

/* ------------------------------------------------------------------ */
/* Derived encodings */

static const char b64std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/*
 * The base64 characters of s that no neighbouring byte affects when s
 * starts at byte k (mod 3) of the encoded data.
 */
static char *
b64_core(const char *s, size_t len, int k, const char *alphabet)
{
	size_t bits = 8 * (size_t)k, end = 8 * ((size_t)k + len);
	size_t from = (bits + 5) / 6, to = end / 6, j, bit, i;
	unsigned char *in;
	char *out;

	if (to <= from || (in = calloc(1, (size_t)k + len + 1)) == NULL)
		return NULL;
	memcpy(in + k, s, len);
	if ((out = malloc(to - from + 1)) == NULL) {
		free_wiped((char *)in, (size_t)k + len);
		return NULL;
	}
	for (j = from; j < to; j++) {
		unsigned v = 0;

		for (i = 0; i < 6; i++) {
			bit = 6 * j + i;
			v = v << 1 | ((in[bit / 8] >> (7 - bit % 8)) & 1);
		}
		out[j - from] = alphabet[v];
	}
	out[to - from] = '\0';
	free_wiped((char *)in, (size_t)k + len);
	return out;
}

static char *
hex_of(const unsigned char *p, size_t len, bool upper)
{
	static const char lo[] = "0123456789abcdef", up[] = "0123456789ABCDEF";
	const char *d = upper ? up : lo;
	char *out = malloc(2 * len + 1);
	size_t i;

	if (out == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * len] = '\0';
	return out;
}

static char *
sha256_of(const char *s, size_t len, bool upper)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char *out;

	if (EVP_Digest(s, len, md, &mdlen, EVP_sha256(), NULL) != 1)
		return NULL;
	out = hex_of(md, mdlen, upper);
	explicit_bzero(md, sizeof(md));
	return out;
}

/* ------------------------------------------------------------------ */
/* Sets */

static int
set_add(struct secset *s, const char *pw, size_t len)
{
	struct secret *nv, *x;
	size_t i;
	int k;

	if (pw == NULL || len < PGR_SECRET_MIN || memchr(pw, '\0', len) != NULL ||
	    (len == strlen(PGR_REDACTED) && memcmp(pw, PGR_REDACTED, len) == 0))
		return 0;
	for (i = 0; i < s->n; i++)
		if (s->v[i].len == len && memcmp(s->v[i].raw, pw, len) == 0)
			return 0;
	if ((nv = realloc(s->v, (s->n + 1) * sizeof(*nv))) == NULL) {
		s->oom = true;
		return -1;
	}
	s->v = nv;
	x = &s->v[s->n];
	memset(x, 0, sizeof(*x));
	if ((x->raw = strndup(pw, len)) == NULL) {
		s->oom = true;
		return -1;
	}
	x->len = len;
	s->n++;
	x->derived[0] = hex_of((const unsigned char *)pw, len, false);
	x->derived[1] = hex_of((const unsigned char *)pw, len, true);
	/* derived[2] and [3], the sha256 forms: when a scrub first needs them. */
	__atomic_store_n(&s->digests_due, true, __ATOMIC_RELEASE);
	for (k = 0; k < 3; k++) {
		x->derived[4 + 2 * k] = b64_core(pw, len, k, b64std);
		x->derived[5 + 2 * k] = b64_core(pw, len, k, b64url);
	}
	s->first[(unsigned char)pw[0]] = true;
	s->first['%'] = s->first['\\'] = true;
	if (pw[0] == ' ')
		s->first['+'] = true;
	for (i = 0; i < NDERIVED; i++)
		if (x->derived[i] != NULL)
			s->first[(unsigned char)x->derived[i][0]] = true;
	for (i = 0; i < NDERIVED; i++)
		if (i != 2 && i != 3 && x->derived[i] == NULL) {
			s->oom = true;
			return -1;
		}
	return 0;
}

/*
 * The sha256 forms of s's secrets that are not made yet.  Made when a scrub
 * first needs them, not when a secret is registered: the first digest
 * starts OpenSSL (its configuration and providers, ~5 M instructions),
 * which a run otherwise does while it waits for the server (pgr_tls_warm()).
 * A digest that cannot be made sets oom, and every scrub with s then drops
 * its message.  The caller holds s exclusively.
 */
static void
set_digests(struct secset *s)
{
	struct secret *x;
	size_t i;
	int k;

	if (!__atomic_load_n(&s->digests_due, __ATOMIC_ACQUIRE))
		return;
	for (i = 0; i < s->n; i++)
		for (k = 2, x = &s->v[i]; k <= 3; k++) {
			if (x->derived[k] == NULL &&
			    (x->derived[k] = sha256_of(x->raw, x->len, k == 3)) == NULL)
				s->oom = true;
			if (x->derived[k] != NULL)
				s->first[(unsigned char)x->derived[k][0]] = true;
		}
	__atomic_store_n(&s->digests_due, false, __ATOMIC_RELEASE);
}

/* The registry read-locked, its sha256 forms made first. */
static void
registry_rdlock(void)
{
	if (__atomic_load_n(&registry.digests_due, __ATOMIC_ACQUIRE)) {
		pthread_rwlock_wrlock(&registry_lock);
		set_digests(&registry);
		pthread_rwlock_unlock(&registry_lock);
	}
	pthread_rwlock_rdlock(&registry_lock);
}

static int
set_add_piece(struct secset *s, const char *p, size_t len)
{
	char **nv;
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < s->npiece; i++)
		if (strlen(s->piece[i]) == len && memcmp(s->piece[i], p, len) == 0)
			return 0;
	if ((nv = realloc(s->piece, (s->npiece + 1) * sizeof(*nv))) == NULL) {
		s->oom = true;
		return -1;
	}
	s->piece = nv;
	if ((s->piece[s->npiece] = strndup(p, len)) == NULL) {
		s->oom = true;
		return -1;
	}
	s->npiece++;
	return 0;
}

static void
set_free(struct secset *s)
{
	size_t i, j;

	for (i = 0; i < s->n; i++) {
		free_wiped(s->v[i].raw, s->v[i].len);
		for (j = 0; j < NDERIVED; j++)
			if (s->v[i].derived[j] != NULL)
				free_wiped(s->v[i].derived[j],
				    strlen(s->v[i].derived[j]));
	}
	for (i = 0; i < s->npiece; i++)
		free_wiped(s->piece[i], strlen(s->piece[i]));
	free(s->v);
	free(s->piece);
	memset(s, 0, sizeof(*s));
}

/* ------------------------------------------------------------------ */
/* Finding the secrets written in a target or an argument */

/* Add s[0..n) as written, percent-decoded, and backslash-unescaped. */
static void
add_value(struct secset *set, const char *s, size_t n, bool pieces)
{
	char *dec, *o;
	size_t i, start;

	set_add(set, s, n);
	if ((dec = malloc(n + 1)) == NULL) {
		set->oom = true;
		return;
	}
	for (o = dec, i = 0; i < n; i++)
		if (s[i] == '%' && i + 2 < n && pgr_hexval(s[i + 1]) >= 0 &&
		    pgr_hexval(s[i + 2]) >= 0) {
			*o++ = (char)(pgr_hexval(s[i + 1]) * 16 + pgr_hexval(s[i + 2]));
			i += 2;
		} else
			*o++ = s[i];
	set_add(set, dec, (size_t)(o - dec));
	for (o = dec, i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n)
			i++;
		*o++ = s[i];
	}
	set_add(set, dec, (size_t)(o - dec));
	free_wiped(dec, n + 1);
	if (!pieces)
		return;
	/*
	 * libpq ends the userinfo at a '/' and the authority at '?' or '#':
	 * the part of a password before or after one comes back in its
	 * errors as a port, a host or a token.
	 */
	set_add_piece(set, s, n);
	for (start = 0, i = 0; i <= n; i++)
		if (i == n || strchr("/?#@:", s[i]) != NULL) {
			set_add_piece(set, s + start, i - start);
			start = i + 1;
		}
}

static const char *const secret_keys[] = {
	"sslpassword", "pgpassword", "password", NULL
};

/*
 * Is there a secret key at p[i] ("password=", "sslpassword = '...'",
 * "PGPASSWORD=", JSON "password": "...")?  Its value is [*vs, *ve).
 */
static bool
keyed_value(const char *p, size_t n, size_t i, size_t *vs, size_t *ve)
{
	size_t k, kl, j;
	bool json;
	char q;

	if (i > 0 && (isalnum((unsigned char)p[i - 1]) || p[i - 1] == '_'))
		return false;
	for (k = 0; secret_keys[k] != NULL; k++) {
		kl = strlen(secret_keys[k]);
		if (i + kl > n || strncasecmp(p + i, secret_keys[k], kl) != 0)
			continue;
		j = i + kl;
		json = j < n && p[j] == '"';
		j += json;
		while (j < n && (p[j] == ' ' || p[j] == '\t'))
			j++;
		if (j >= n || p[j] != (json ? ':' : '='))
			continue;
		j++;
		while (j < n && (p[j] == ' ' || p[j] == '\t'))
			j++;
		if (j < n && (p[j] == '\'' || p[j] == '"')) {
			q = p[j++];
			*vs = j;
			/* conninfo: \' and \\ inside quotes */
			while (j < n && p[j] != q) {
				if (p[j] == '\\' && j + 1 < n)
					j++;
				j++;
			}
			*ve = j < n ? j : n;
		} else {
			if (json)
				continue;
			*vs = j;
			while (j < n && !isspace((unsigned char)p[j]) &&
			    strchr("&\"'<>", p[j]) == NULL) {
				if (p[j] == '\\' && j + 1 < n)
					j++;
				j++;
			}
			*ve = j < n ? j : n;
		}
		return *ve > *vs;
	}
	return false;
}

/* The end of a URL in free text. */
static size_t
url_end(const char *p, size_t n, size_t a)
{
	while (a < n && !isspace((unsigned char)p[a]) &&
	    strchr("\"'<>`", p[a]) == NULL)
		a++;
	return a;
}

/*
 * For "://" at p[i]: the password of its userinfo, [*vs, *ve), ending at
 * the URL's last '@' (as the user meant it) or, with first_at, at its
 * first (as libpq splits it).
 */
static bool
url_password(const char *p, size_t n, size_t i, bool first_at, size_t *vs,
    size_t *ve)
{
	size_t a = i + 3, e = url_end(p, n, a), j, at = 0, colon = 0;
	bool found = false;

	for (j = a; j < e; j++)
		if (p[j] == '@') {
			at = j;
			found = true;
			if (first_at)
				break;
		}
	if (!found)
		return false;
	for (j = a; j < at && p[j] != ':'; j++)
		;
	if (j >= at)
		return false;
	colon = j;
	*vs = colon + 1;
	*ve = at;
	return *ve > *vs;
}

static void
collect(struct secset *set, const char *text, bool local)
{
	size_t n = strlen(text), i, vs, ve;

	for (i = 0; i + 3 <= n; i++) {
		if (memcmp(text + i, "://", 3) == 0) {
			if (url_password(text, n, i, false, &vs, &ve))
				add_value(set, text + vs, ve - vs, local);
			if (local && url_password(text, n, i, true, &vs, &ve))
				add_value(set, text + vs, ve - vs, local);
		}
	}
	for (i = 0; i < n; i++) {
		if (!keyed_value(text, n, i, &vs, &ve))
			continue;
		add_value(set, text + vs, ve - vs, local);
		/* A URL query value ends at '&' or '#'; a conninfo one does not. */
		if (text[vs - 1] != '\'' && text[vs - 1] != '"') {
			size_t e = vs + strcspn(text + vs, "&#");

			if (e < ve)
				add_value(set, text + vs, e - vs, local);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Matching */

/*
 * The ways p[k...] can spell the byte c, as lengths: itself, %XX (any
 * case: URLs, form posts), '+' for a space, \X (JSON's \/ and \", conninfo
 * \' and \\, shells; any number of backslashes, for text escaped twice) or
 * \u00XX (JSON).
 */
static size_t
spellings(const char *p, size_t n, size_t k, unsigned char c, size_t out[4])
{
	size_t m = 0, e;

	if (k >= n)
		return 0;
	if (p[k] == '%' && k + 2 < n && pgr_hexval(p[k + 1]) >= 0 &&
	    pgr_hexval(p[k + 2]) >= 0 &&
	    pgr_hexval(p[k + 1]) * 16 + pgr_hexval(p[k + 2]) == c)
		out[m++] = 3;
	if (p[k] == '\\') {
		for (e = k; e < n && p[e] == '\\'; e++)
			;
		if (e < n && (unsigned char)p[e] == c)
			out[m++] = e + 1 - k;
		else if (e + 4 < n && p[e] == 'u' && p[e + 1] == '0' &&
		    p[e + 2] == '0' && pgr_hexval(p[e + 3]) >= 0 &&
		    pgr_hexval(p[e + 4]) >= 0 &&
		    pgr_hexval(p[e + 3]) * 16 + pgr_hexval(p[e + 4]) == c)
			out[m++] = e + 5 - k;
	}
	if (c == ' ' && p[k] == '+')
		out[m++] = 1;
	if ((unsigned char)p[k] == c)
		out[m++] = 1;
	return m;
}

/*
 * Does an encoding of s[j...] start at p[k]?  The end offset, 0 if none.
 * Spellings can overlap ("%25" is '%' or the three bytes), so an
 * ambiguous byte tries each; budget bounds the search on hostile input.
 */
static size_t
match_encoded(const char *p, size_t n, size_t k, const struct secret *s,
    size_t j, unsigned *budget)
{
	size_t alt[4], m, i, r;

	for (; j < s->len; j++) {
		if (*budget == 0)
			return 0;
		(*budget)--;
		if ((m = spellings(p, n, k, (unsigned char)s->raw[j], alt)) == 0)
			return 0;
		if (m > 1) {
			for (i = 0; i < m; i++)
				if ((r = match_encoded(p, n, k + alt[i], s, j + 1,
				    budget)) > 0)
					return r;
			return 0;
		}
		k += alt[0];
	}
	return k;
}

/* Does needle start at p, line breaks in p skipped (PEM, wrapped base64)? */
static size_t
match_wrapped(const char *p, size_t n, const char *needle)
{
	size_t k = 0;

	for (; *needle != '\0'; needle++) {
		while (k < n && (p[k] == '\n' || p[k] == '\r') && k > 0)
			k++;
		if (k >= n || p[k] != *needle)
			return 0;
		k++;
	}
	return k;
}

static size_t
match_secret(const char *p, size_t n, const struct secret *s)
{
	unsigned budget = (unsigned)s->len * 8 + 256;
	size_t m, j;

	/* As written, whatever the budget of the search below. */
	if (n >= s->len && memcmp(p, s->raw, s->len) == 0)
		return s->len;
	if ((m = match_encoded(p, n, 0, s, 0, &budget)) > 0)
		return m;
	for (j = 0; j < NDERIVED; j++)
		if (s->derived[j] != NULL && s->derived[j][0] == p[0] &&
		    (m = match_wrapped(p, n, s->derived[j])) > 0)
			return m;
	return 0;
}

static bool
is_redacted(const char *p, size_t n)
{
	return n == strlen(PGR_REDACTED) && memcmp(p, PGR_REDACTED, n) == 0;
}

/*
 * Scrub p[0..n) into out with the secrets of sets[0..nsets) (NULL entries
 * skipped) and the structural rules.  Returns the number of replacements.
 */
static long
scrub_into(const struct secset *const *sets, size_t nsets, const char *p,
    size_t n, struct wbuf *out)
{
	size_t i = 0, start = 0, m, k, x, vs, ve, end;
	size_t pend_s = SIZE_MAX, pend_e = 0;	/* a keyed or URL value ahead */
	long hits = 0;

	/* A secret whose forms could not all be made: nothing is let out. */
	for (k = 0; k < nsets; k++)
		if (sets[k] != NULL && sets[k]->oom)
			out->oom = true;

	while (i < n) {
		if (i == pend_s) {
			end = pend_e;
			pend_s = SIZE_MAX;
			goto redact;
		}
		m = 0;
		for (k = 0; k < nsets && m == 0; k++) {
			if (sets[k] == NULL || !sets[k]->first[(unsigned char)p[i]])
				continue;
			for (x = 0; x < sets[k]->n && m == 0; x++)
				m = match_secret(p + i, n - i, &sets[k]->v[x]);
		}
		if (m > 0) {
			end = i + m;
			/* A secret that runs into a pending value takes it along. */
			if (pend_s != SIZE_MAX && end > pend_s) {
				if (pend_e > end)
					end = pend_e;
				pend_s = SIZE_MAX;
			}
			goto redact;
		}
		/*
		 * The key or the user name before a value is scanned on like
		 * any text (a secret may hide there too); the value is replaced
		 * when the scan reaches it.
		 */
		if (pend_s == SIZE_MAX && (keyed_value(p, n, i, &vs, &ve) ||
		    (i + 3 <= n && memcmp(p + i, "://", 3) == 0 &&
		    url_password(p, n, i, false, &vs, &ve))) &&
		    !is_redacted(p + vs, ve - vs)) {
			pend_s = vs;
			pend_e = ve;
		}
		i++;
		continue;
redact:
		wbuf_add(out, p + start, i - start);
		wbuf_add(out, PGR_REDACTED, strlen(PGR_REDACTED));
		hits++;
		i = start = end;
	}
	wbuf_add(out, p + start, n - start);
	return hits;
}

/*
 * Replace each "quoted" word of buf that is a piece of a password in set
 * (or holds one) by REDACTED.
 */
static long
scrub_pieces(const struct secset *set, struct wbuf *in, struct wbuf *out)
{
	const char *p = in->p, *q, *e;
	size_t k, n = in->len, start = 0;
	long hits = 0;

	if (set->npiece == 0 || p == NULL)
		return 0;
	for (q = p; (q = memchr(q, '"', (size_t)(p + n - q))) != NULL; q = e + 1) {
		e = memchr(q + 1, '"', (size_t)(p + n - q - 1));
		if (e == NULL)
			break;
		if (e == q + 1 || is_redacted(q + 1, (size_t)(e - q - 1)))
			continue;
		for (k = 0; k < set->npiece; k++) {
			const char *pc = set->piece[k];
			size_t wl = (size_t)(e - q - 1), pl = strlen(pc);

			if ((wl <= pl && memmem(pc, pl, q + 1, wl) != NULL) ||
			    (pl <= wl && memmem(q + 1, wl, pc, pl) != NULL))
				break;
		}
		if (k == set->npiece)
			continue;
		wbuf_add(out, p + start, (size_t)(q + 1 - p) - start);
		wbuf_add(out, PGR_REDACTED, strlen(PGR_REDACTED));
		start = (size_t)(e - p);
		hits++;
	}
	if (hits > 0)
		wbuf_add(out, p + start, n - start);
	return hits;
}

/* Copy the NUL-terminated src into buf[cap], cut at a UTF-8 boundary. */
static void
put_cut(char *buf, size_t cap, const char *src, size_t n)
{
	if (cap == 0)
		return;
	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	memmove(buf, src, n);
	buf[n] = '\0';
}

static void
scrub_text(const struct secset *local, char *buf, size_t cap)
{
	const struct secset *sets[2] = { &registry, local };
	struct wbuf out = { 0 }, out2 = { 0 };
	size_t n;

	if (buf == NULL || cap == 0)
		return;
	n = strnlen(buf, cap);
	if (n == cap) {		/* not terminated: treat the last byte as the end */
		n = cap - 1;
		buf[n] = '\0';
	}
	registry_rdlock();
	scrub_into(sets, 2, buf, n, &out);
	pthread_rwlock_unlock(&registry_lock);
	if (local != NULL && !out.oom && scrub_pieces(local, &out, &out2) > 0) {
		wbuf_wipe(&out);
		out = out2;
	} else
		wbuf_wipe(&out2);
	if (out.oom) {
		/* Nothing is safer than nothing. */
		explicit_bzero(buf, cap);
		snprintf(buf, cap, "(message dropped: out of memory)");
	} else
		put_cut(buf, cap, out.p != NULL ? out.p : "", out.len);
	wbuf_wipe(&out);
}

/* ------------------------------------------------------------------ */
/* The registry */

int
pgr_secrets_add_len(const char *secret, size_t len)
{
	int rc;

	if (secret == NULL)
		return 0;
	pthread_rwlock_wrlock(&registry_lock);
	rc = set_add(&registry, secret, len);
	pthread_rwlock_unlock(&registry_lock);
	return rc;
}

int
pgr_secrets_add(const char *secret)
{
	return secret != NULL ? pgr_secrets_add_len(secret, strlen(secret)) : 0;
}

int
pgr_secrets_add_from(const char *text)
{
	int rc;

	if (text == NULL)
		return 0;
	pthread_rwlock_wrlock(&registry_lock);
	collect(&registry, text, false);
	rc = registry.oom ? -1 : 0;
	pthread_rwlock_unlock(&registry_lock);
	return rc;
}

int
pgr_secrets_add_env(void)
{
	return pgr_secrets_add(getenv("PGPASSWORD"));
}

size_t
pgr_secrets_count(void)
{
	size_t n;

	pthread_rwlock_rdlock(&registry_lock);
	n = registry.n;
	pthread_rwlock_unlock(&registry_lock);
	return n;
}

static void pgpass_forget(void);

void
pgr_secrets_clear(void)
{
	pthread_rwlock_wrlock(&registry_lock);
	set_free(&registry);
	pthread_rwlock_unlock(&registry_lock);
	pgpass_forget();
}

/* ------------------------------------------------------------------ */
/* .pgpass */

/*
 * The next ':'-separated field of a .pgpass line, unescaped in place
 * (\: and \\), or NULL at the end of the line.
 */
static char *
pgpass_field(char **cur, bool last)
{
	char *s = *cur, *r, *w;

	if (s == NULL)
		return NULL;
	for (r = w = s; *r != '\0'; r++) {
		if (*r == '\\' && r[1] != '\0')
			r++;
		else if (*r == ':')
			break;	/* the password too ends at an unescaped ':' */
		*w++ = *r;
	}
	*cur = *r == ':' ? r + 1 : NULL;
	*w = '\0';
	/* A line with too few fields is skipped, as libpq does. */
	return *cur != NULL || last ? s : NULL;
}

static bool
pgpass_match(const char *field, const char *want)
{
	return strcmp(field, "*") == 0 || strcmp(field, want) == 0;
}

/* Read at most PGPASS_MAX bytes of a regular file; NULL otherwise. */
static char *
read_small(const char *path, size_t *lenp)
{
	struct stat st;
	char *buf;
	ssize_t r;
	size_t len = 0;
	int fd;

	/* O_NONBLOCK: a FIFO named PGPASSFILE must not hold the run. */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)) < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > PGPASS_MAX ||
	    (buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return NULL;
	}
	while (len < (size_t)st.st_size) {
		r = read(fd, buf + len, (size_t)st.st_size - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

/*
 * The last password file read, kept: a --targets file of 20 000 targets
 * without passwords asks for the same file 40 000 times (with siblings).
 * Targets are parsed on one thread, before the probes.
 */
static struct {
	char	*path;
	char	*buf;		/* NULL: missing or unreadable */
	size_t	 len;
} pgpass_cache;
static pthread_mutex_t pgpass_lock = PTHREAD_MUTEX_INITIALIZER;

/* A private copy of the file at path (cached), or NULL. */
static char *
pgpass_read(const char *path, size_t *lenp)
{
	char *copy = NULL;

	pthread_mutex_lock(&pgpass_lock);
	if (pgpass_cache.path == NULL || strcmp(pgpass_cache.path, path) != 0) {
		free(pgpass_cache.path);
		free_wiped(pgpass_cache.buf, pgpass_cache.len);
		pgpass_cache.len = 0;
		pgpass_cache.buf = read_small(path, &pgpass_cache.len);
		pgpass_cache.path = strdup(path);
	}
	if (pgpass_cache.buf != NULL && (copy = malloc(pgpass_cache.len + 1)) != NULL) {
		memcpy(copy, pgpass_cache.buf, pgpass_cache.len + 1);
		*lenp = pgpass_cache.len;
	}
	pthread_mutex_unlock(&pgpass_lock);
	return copy;
}

static void
pgpass_forget(void)
{
	pthread_mutex_lock(&pgpass_lock);
	free(pgpass_cache.path);
	free_wiped(pgpass_cache.buf, pgpass_cache.len);
	memset(&pgpass_cache, 0, sizeof(pgpass_cache));
	pthread_mutex_unlock(&pgpass_lock);
}

static int
pgpass_file(const char *path, const char *host, const char *port,
    const char *db, const char *user)
{
	char *buf, *line, *next, *cur, *f[5];
	size_t len = 0, i;
	int rc = 0;

	if ((buf = pgpass_read(path, &len)) == NULL)
		return 0;
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (line[0] == '#')
			continue;
		line[strcspn(line, "\r")] = '\0';
		cur = line;
		for (i = 0; i < 5; i++)
			if ((f[i] = pgpass_field(&cur, i == 4)) == NULL)
				break;
		if (i < 5)
			continue;
		if (pgpass_match(f[0], host) && pgpass_match(f[1], port) &&
		    pgpass_match(f[2], db) && pgpass_match(f[3], user)) {
			rc = pgr_secrets_add(f[4]);
			break;
		}
	}
	explicit_bzero(buf, len);
	free(buf);
	return rc;
}

/* Our login name and home directory, looked up once (NSS reads files). */
static char *login_name, *login_home;
static pthread_once_t login_once = PTHREAD_ONCE_INIT;

static void
login_lookup(void)
{
	struct passwd *pw = getpwuid(getuid());

	if (pw != NULL) {
		login_name = strdup(pw->pw_name);
		login_home = strdup(pw->pw_dir);
	}
}

int
pgr_secrets_add_pgpass(const char *passfile, const char *host, int port,
    const char *dbname, const char *user)
{
	char path[4096], portbuf[16];
	const char *home;

	pthread_once(&login_once, login_lookup);
	if (user == NULL || user[0] == '\0')
		user = getenv("PGUSER");
	if (user == NULL || user[0] == '\0')
		user = login_name;
	if (user == NULL)
		user = "";
	if (dbname == NULL || dbname[0] == '\0')
		dbname = getenv("PGDATABASE");
	if (dbname == NULL || dbname[0] == '\0')
		dbname = user;
	/* libpq looks up "localhost" for a socket directory or no host. */
	if (host == NULL || host[0] == '\0' || host[0] == '/')
		host = "localhost";
	snprintf(portbuf, sizeof(portbuf), "%d", port);
	if (passfile == NULL || passfile[0] == '\0')
		passfile = getenv("PGPASSFILE");
	if (passfile != NULL && passfile[0] != '\0')
		return pgpass_file(passfile, host, portbuf, dbname, user);
	/* libpq 15 takes the home directory from the password database. */
	home = login_home;
	if (home != NULL && snprintf(path, sizeof(path), "%s/.pgpass", home) <
	    (int)sizeof(path) && pgpass_file(path, host, portbuf, dbname, user) != 0)
		return -1;
	home = getenv("HOME");
	/* Under sudo, HOME may name another user's file: that one too. */
	if (home != NULL && (login_home == NULL || strcmp(home, login_home) != 0) &&
	    snprintf(path, sizeof(path), "%s/.pgpass", home) <
	    (int)sizeof(path))
		return pgpass_file(path, host, portbuf, dbname, user);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Scrubbing */

void
pgr_secrets_scrub(char *buf, size_t cap)
{
	scrub_text(NULL, buf, cap);
}

void
pgr_secrets_scrub_from(const char *raw, char *buf, size_t cap)
{
	struct secset local = { 0 };

	if (raw != NULL)
		collect(&local, raw, true);
	set_digests(&local);
	scrub_text(&local, buf, cap);
	set_free(&local);
}

long
pgr_secrets_scrub_buf(char **data, size_t *len)
{
	const struct secset *sets[1] = { &registry };
	struct wbuf out = { 0 };
	long hits;

	if (*data == NULL || *len == 0)
		return 0;
	registry_rdlock();
	hits = scrub_into(sets, 1, *data, *len, &out);
	pthread_rwlock_unlock(&registry_lock);
	if (out.oom) {
		wbuf_wipe(&out);
		return -1;
	}
	if (hits == 0) {
		wbuf_wipe(&out);
		return 0;
	}
	explicit_bzero(*data, *len);
	free(*data);
	*data = out.p;
	*len = out.len;
	return hits;
}

char *
pgr_secrets_scrub_dup(const char *s)
{
	const struct secset *sets[1] = { &registry };
	struct wbuf out = { 0 };

	if (s == NULL)
		return NULL;
	registry_rdlock();
	scrub_into(sets, 1, s, strlen(s), &out);
	pthread_rwlock_unlock(&registry_lock);
	if (out.oom) {
		wbuf_wipe(&out);
		return NULL;
	}
	if (out.p == NULL)
		return strdup("");
	return out.p;
}

void
pgr_secrets_mask(char *text)
{
	size_t n, i, vs, ve;

	if (text == NULL)
		return;
	n = strlen(text);
	for (i = 0; i < n; i++)
		if ((keyed_value(text, n, i, &vs, &ve) ||
		    (i + 3 <= n && memcmp(text + i, "://", 3) == 0 &&
		    url_password(text, n, i, false, &vs, &ve))) && vs > i) {
			memset(text + vs, 'x', ve - vs);
			i = ve - 1;
		}
}

/* ------------------------------------------------------------------ */
/* Escaping for terminals */

/* The length of a valid UTF-8 sequence at s (at most n bytes), 0 if none. */
static size_t
utf8_len(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		len = 2;
		c = s[0] & 0x1F;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		len = 3;
		c = s[0] & 0x0F;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		len = 4;
		c = s[0] & 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3F);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
	    (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return len;
}

/*
 * Code points a terminal acts on although they are not ASCII controls: C1
 * controls (0x9B is CSI on many terminals), the line and paragraph
 * separators, and the bidirectional overrides that make text read in
 * another order than it is stored.
 */
static bool
unsafe_cp(uint32_t c)
{
	return (c >= 0x80 && c <= 0x9F) || c == 0x2028 || c == 0x2029 ||
	    (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) ||
	    c == 0x200E || c == 0x200F || c == 0xFEFF;
}

void
pgr_text_escape(char *dst, size_t cap, const char *src, size_t n)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0, i = 0, l;
	char tmp[8];
	uint32_t cp;

	if (cap == 0)
		return;
	while (i < n) {
		const char *piece;
		size_t pl;

		l = utf8_len(s + i, n - i, &cp);
		if (l == 0) {
			snprintf(tmp, sizeof(tmp), "\\x%02x", s[i]);
			piece = tmp;
			pl = 4;
			l = 1;
		} else if (l == 1 && (cp < 0x20 || cp == 0x7F)) {
			if (cp == '\n' || cp == '\r' || cp == '\t')
				snprintf(tmp, sizeof(tmp), "\\%c",
				    cp == '\n' ? 'n' : cp == '\r' ? 'r' : 't');
			else
				snprintf(tmp, sizeof(tmp), "\\x%02x", (unsigned)cp);
			piece = tmp;
			pl = strlen(tmp);
		} else if (unsafe_cp(cp)) {
			snprintf(tmp, sizeof(tmp), "\\u%04x", (unsigned)cp);
			piece = tmp;
			pl = 6;
		} else {
			piece = src + i;
			pl = l;
		}
		if (o + pl + 1 > cap)
			break;
		memcpy(dst + o, piece, pl);
		o += pl;
		i += l;
	}
	dst[o] = '\0';
}

void
pgr_secrets_clean(char *dst, size_t cap, const char *src, const char *extra)
{
	struct secset local = { 0 };
	const struct secset *sets[2] = { &registry, &local };
	struct wbuf out = { 0 };

	if (cap == 0)
		return;
	if (src == NULL) {
		dst[0] = '\0';
		return;
	}
	if (extra != NULL)
		set_add(&local, extra, strlen(extra));
	set_digests(&local);
	registry_rdlock();
	scrub_into(sets, 2, src, strlen(src), &out);
	pthread_rwlock_unlock(&registry_lock);
	set_free(&local);
	if (out.oom)
		snprintf(dst, cap, "(message dropped: out of memory)");
	else
		pgr_text_escape(dst, cap, out.p != NULL ? out.p : "", out.len);
	wbuf_wipe(&out);
}
