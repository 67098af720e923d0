/*
 * The web configuration: read once at start.  Passwords are checked with
 * libcrypt's crypt_r(), whose bcrypt ($2b$) is the hash the exporter-toolkit
 * asks for; the comparison runs over the whole hash whatever it finds.
 */
#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "probes/result.h"
#include "serve/webconfig.h"

#define WEB_FILE_MAX (1024 * 1024)

static char *
slurp(const char *path, char *err, size_t errlen)
{
	struct stat st;
	char *buf;
	size_t n;
	FILE *f;

	if ((f = fopen(path, "re")) == NULL)
		return pgr_fail(err, errlen, "%s: %s", path, strerror(errno)), NULL;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > WEB_FILE_MAX) {
		fclose(f);
		return pgr_fail(err, errlen, "%s: not a regular file of at most 1 MiB",
		    path), NULL;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		fclose(f);
		return pgr_fail(err, errlen, "out of memory"), NULL;
	}
	n = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	buf[n] = '\0';
	if (strlen(buf) != n) {
		free(buf);
		return pgr_fail(err, errlen, "%s: NUL byte in file", path), NULL;
	}
	return buf;
}

/* Strip blanks, a trailing comment and one pair of quotes. */
static char *
scalar(char *v)
{
	size_t n;
	char *hash;

	v += strspn(v, " \t");
	if ((v[0] == '"' || v[0] == '\'') && (hash = strchr(v + 1, v[0])) != NULL) {
		*hash = '\0';
		return v + 1;
	}
	if ((hash = strstr(v, " #")) != NULL)
		*hash = '\0';
	n = strlen(v);
	while (n > 0 && strchr(" \t\r", v[n - 1]) != NULL)
		v[--n] = '\0';
	return v;
}

static int
tls_key(struct pgr_webconfig *w, const char *k, const char *v, char **cert,
    char **key, char **ca, const char *path, size_t ln, char *err, size_t errlen)
{
	char **dst = NULL;

	if (strcmp(k, "cert_file") == 0)
		dst = cert;
	else if (strcmp(k, "key_file") == 0)
		dst = key;
	else if (strcmp(k, "client_ca_file") == 0)
		dst = ca;
	if (dst != NULL) {
		free(*dst);
		return (*dst = strdup(v)) != NULL ? 0 : pgr_fail(err, errlen, "out of memory");
	}
	if (strcmp(k, "min_version") == 0) {
		const char *p;

		/* GnuTLS priorities: no version below the minimum. */
		if (strcmp(v, "TLS12") == 0)
			p = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2";
		else if (strcmp(v, "TLS13") == 0)
			p = "NORMAL:-VERS-ALL:+VERS-TLS1.3";
		else
			return pgr_fail(err, errlen, "%s:%zu: min_version: TLS12 or TLS13",
			    path, ln);
		free(w->priorities);
		return (w->priorities = strdup(p)) != NULL ? 0 :
		    pgr_fail(err, errlen, "out of memory");
	}
	if (strcmp(k, "client_auth_type") == 0) {
		if (strcmp(v, "RequireAndVerifyClientCert") == 0)
			w->require_client_cert = true;
		else if (strcmp(v, "NoClientCert") == 0 ||
		    strcmp(v, "VerifyClientCertIfGiven") == 0)
			w->require_client_cert = false;
		else
			return pgr_fail(err, errlen, "%s:%zu: client_auth_type: "
			    "RequireAndVerifyClientCert, VerifyClientCertIfGiven or "
			    "NoClientCert", path, ln);
		return 0;
	}
	return pgr_fail(err, errlen, "%s:%zu: unknown tls_server_config key \"%.40s\"",
	    path, ln, k);
}

static int
user_key(struct pgr_webconfig *w, const char *k, const char *v, const char *path,
    size_t ln, char *err, size_t errlen)
{
	if (strncmp(v, "$2b$", 4) != 0 && strncmp(v, "$2y$", 4) != 0 &&
	    strncmp(v, "$2a$", 4) != 0)
		return pgr_fail(err, errlen, "%s:%zu: user %.40s: not a bcrypt hash "
		    "($2b$...; make one with htpasswd -nBC 10)", path, ln, k);
	if (w->nusers >= PGR_WEB_USERS_MAX)
		return pgr_fail(err, errlen, "%s:%zu: more than %d users", path, ln,
		    PGR_WEB_USERS_MAX);
	w->users[w->nusers].name = strdup(k);
	w->users[w->nusers].hash = strdup(v);
	w->nusers++;
	return w->users[w->nusers - 1].name && w->users[w->nusers - 1].hash ? 0 :
	    pgr_fail(err, errlen, "out of memory");
}

static int
load_pem(char **dst, const char *path, char *err, size_t errlen)
{
	if (path == NULL)
		return 0;
	return (*dst = slurp(path, err, errlen)) != NULL ? 0 : -1;
}

int
pgr_webconfig_load(struct pgr_webconfig *w, const char *path, char *err,
    size_t errlen)
{
	char *buf, *line, *next, *cert = NULL, *key = NULL, *ca = NULL;
	enum { NONE, TLS, USERS } sect = NONE;
	size_t ln = 0;
	int rc = 0;

	memset(w, 0, sizeof(*w));
	if ((buf = slurp(path, err, errlen)) == NULL)
		return -1;
	for (line = buf; rc == 0 && line != NULL && *line != '\0'; line = next) {
		char *colon, *k, *v;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		ln++;
		k = line + strspn(line, " \t");
		if (*k == '#' || *scalar(k) == '\0')
			continue;
		if ((colon = strchr(k, ':')) == NULL) {
			rc = pgr_fail(err, errlen, "%s:%zu: expected key: value", path, ln);
			break;
		}
		*colon = '\0';
		v = scalar(colon + 1);
		if (k == line) {
			if (*v != '\0')
				rc = pgr_fail(err, errlen, "%s:%zu: %.40s: expected a block",
				    path, ln, k);
			else if (strcmp(k, "tls_server_config") == 0)
				sect = TLS, w->tls = true;
			else if (strcmp(k, "basic_auth_users") == 0)
				sect = USERS;
			else
				rc = pgr_fail(err, errlen, "%s:%zu: unknown key \"%.40s\" "
				    "(tls_server_config, basic_auth_users)", path, ln, k);
			continue;
		}
		if (sect == NONE || *v == '\0')
			rc = pgr_fail(err, errlen, "%s:%zu: expected key: value inside a block",
			    path, ln);
		else if (sect == TLS)
			rc = tls_key(w, k, v, &cert, &key, &ca, path, ln, err, errlen);
		else
			rc = user_key(w, k, v, path, ln, err, errlen);
	}
	free(buf);
	if (rc == 0 && w->tls && (cert == NULL || key == NULL))
		rc = pgr_fail(err, errlen, "%s: tls_server_config needs cert_file and key_file",
		    path);
	if (rc == 0 && w->require_client_cert && ca == NULL)
		rc = pgr_fail(err, errlen, "%s: RequireAndVerifyClientCert needs client_ca_file",
		    path);
	if (rc == 0 && w->tls)
		rc = load_pem(&w->cert_pem, cert, err, errlen) != 0 ||
		    load_pem(&w->key_pem, key, err, errlen) != 0 ||
		    load_pem(&w->client_ca_pem, ca, err, errlen) != 0 ? -1 : 0;
	if (rc == 0 && w->tls && w->priorities == NULL &&
	    (w->priorities = strdup("NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2")) == NULL)
		rc = pgr_fail(err, errlen, "out of memory");
	free(cert);
	free(key);
	free(ca);
	if (rc != 0)
		pgr_webconfig_free(w);
	return rc;
}

void
pgr_webconfig_free(struct pgr_webconfig *w)
{
	size_t i;

	free(w->cert_pem);
	if (w->key_pem != NULL)
		explicit_bzero(w->key_pem, strlen(w->key_pem));
	free(w->key_pem);
	free(w->client_ca_pem);
	free(w->priorities);
	for (i = 0; i < w->nusers; i++) {
		free(w->users[i].name);
		free(w->users[i].hash);
	}
	memset(w, 0, sizeof(*w));
}

bool
pgr_webconfig_auth(const struct pgr_webconfig *w, const char *user,
    const char *password)
{
	struct crypt_data *cd;
	const char *h;
	bool ok = false;
	size_t i, n;
	unsigned char diff;

	if (user == NULL || password == NULL)
		return false;
	for (i = 0; i < w->nusers; i++)
		if (strcmp(w->users[i].name, user) == 0)
			break;
	if (i == w->nusers)
		return false;
	/* struct crypt_data is ~32 KiB: not on a connection thread's stack. */
	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return false;
	h = crypt_r(password, w->users[i].hash, cd);
	n = strlen(w->users[i].hash);
	if (h != NULL && h[0] != '*' && strlen(h) == n) {
		size_t j;

		diff = 0;
		for (j = 0; j < n; j++)
			diff |= (unsigned char)(h[j] ^ w->users[i].hash[j]);
		ok = diff == 0;
	}
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}
