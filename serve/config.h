/*
 * The configuration of `pgreach serve`: targets by name and modules of
 * probe options.  A scrape names a target and a module; it never carries a
 * URL, so what the exporter may connect to is exactly what this file says.
 *
 * Format (documented in doc/pgreach.1 and contrib/serve/pgreach-exporter.conf):
 *
 *	# comment
 *	[module default]
 *	timeout = 10s
 *	[target orders-db]
 *	url = postgres://app@db.example:5432/orders
 *	password_env = ORDERS_DB_PASSWORD
 *
 * One "key = value" a line, sections [target NAME] and [module NAME].
 * Names are [A-Za-z0-9_.-], at most 64 bytes.  A key given twice is an
 * error, except evidence, vpc_cidr and dns_server, which add to a list.
 */
#ifndef PGR_SERVE_CONFIG_H
#define PGR_SERVE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "probes/addr.h"
#include "report/evidence.h"
#include "report/thresholds.h"

#define PGR_SERVE_NAME_MAX	64
#define PGR_SERVE_LIST_MAX	16
#define PGR_SERVE_CONFIG_MAX	(1024 * 1024)	/* a larger file is refused */

struct pgr_serve_module {
	char	 name[PGR_SERVE_NAME_MAX + 1];
	bool	 defined;		/* given in the file (the default may not be) */
	double	 timeout_s;		/* the probe's budget; a scrape may shorten it */
	int	 count;
	char	*query;
	char	*sslmode;
	char	*sslrootcert;
	bool	 no_pgbouncer;
	double	 idle_s;		/* 0: none */
	char	*dns_servers[PGR_SERVE_LIST_MAX];
	size_t	 ndns_servers;
	struct pgr_cidr vpc[PGR_SERVE_LIST_MAX];
	size_t	 nvpc;
	char	*warning, *critical, *query_warning, *query_critical;
	long	 cert_warning_days, cert_critical_days;
	struct pgr_thresholds thresholds;	/* parsed from the strings above */
};

enum pgr_serve_pwsrc {
	PGR_PW_NONE,		/* libpq's own: PGPASSWORD, ~/.pgpass */
	PGR_PW_ENV,		/* an environment variable, read at each probe */
	PGR_PW_FILE,		/* a file, read at each probe (rotation works) */
	PGR_PW_PGPASS,		/* a .pgpass file, given to libpq as passfile */
	PGR_PW_INLINE		/* in the config file itself: needs mode 0600 */
};

struct pgr_serve_target {
	char	 name[PGR_SERVE_NAME_MAX + 1];
	char	*url;			/* URL or conninfo, no password in it */
	enum pgr_serve_pwsrc pwsrc;
	char	*pw;			/* variable name, path or the password */
	char	*module;		/* default module, NULL: "default" */
	char	*region;
	bool	 aws;
	char	*evidence[PGR_SERVE_LIST_MAX];
	size_t	 nevidence;
	struct pgr_evidence ev;		/* loaded by pgr_serve_config_load() */
};

struct pgr_serve_config {
	struct pgr_serve_target *targets;
	size_t	 ntargets;
	struct pgr_serve_module *modules;	/* modules[0] is "default" */
	size_t	 nmodules;
};

/*
 * Parse buf (len bytes, any content).  private_file: the file's mode is
 * 0600 or stricter, so an inline password may stand in it.  0, or -1 with
 * one line in err ("FILE:LINE: ...") that never quotes a password.  No
 * file is opened: evidence is loaded by pgr_serve_config_load().
 */
int	pgr_serve_config_parse(struct pgr_serve_config *c, const char *path,
	    const char *buf, size_t len, bool private_file, char *err,
	    size_t errlen);
/* Read path, parse it and load every target's evidence files. */
int	pgr_serve_config_load(struct pgr_serve_config *c, const char *path,
	    char *err, size_t errlen);
void	pgr_serve_config_free(struct pgr_serve_config *c);

const struct pgr_serve_target *pgr_serve_config_target(
	    const struct pgr_serve_config *c, const char *name);
const struct pgr_serve_module *pgr_serve_config_module(
	    const struct pgr_serve_config *c, const char *name);

#endif
