/*
 * --web.config.file, the exporter-toolkit's file, in the subset of YAML it
 * uses: two levels of "key: value", values plain or quoted.
 *
 *	tls_server_config:
 *	  cert_file: /etc/pgreach/tls.crt
 *	  key_file: /etc/pgreach/tls.key
 *	  min_version: TLS12			# or TLS13
 *	  client_auth_type: RequireAndVerifyClientCert
 *	  client_ca_file: /etc/pgreach/clients-ca.crt
 *	basic_auth_users:
 *	  prometheus: $2b$10$...		# bcrypt (htpasswd -B)
 *
 * Anything else is an error, so a typo never leaves an endpoint open.
 */
#ifndef PGR_SERVE_WEBCONFIG_H
#define PGR_SERVE_WEBCONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define PGR_WEB_USERS_MAX 64

struct pgr_web_user {
	char	*name;
	char	*hash;		/* $2b$/$2y$/$2a$ bcrypt */
};

struct pgr_webconfig {
	bool	 tls;
	char	*cert_pem, *key_pem;	/* the files' contents */
	char	*client_ca_pem;		/* NULL: no client certificates */
	bool	 require_client_cert;
	char	*priorities;		/* GnuTLS priority string */
	struct pgr_web_user users[PGR_WEB_USERS_MAX];
	size_t	 nusers;
};

int	pgr_webconfig_load(struct pgr_webconfig *w, const char *path, char *err,
	    size_t errlen);
void	pgr_webconfig_free(struct pgr_webconfig *w);
/* true when user and password match a bcrypt hash of the file. */
bool	pgr_webconfig_auth(const struct pgr_webconfig *w, const char *user,
	    const char *password);

#endif
