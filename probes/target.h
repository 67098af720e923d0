/*
 * Targets: postgres:// URLs, libpq key=value strings, and the Heroku
 * config variables that hold them.
 */
#ifndef PGR_TARGET_H
#define PGR_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#include "probes/result.h"

#define PGR_PORT_POSTGRES	5432
#define PGR_PORT_PGBOUNCER	5433
#define PGR_TARGET_MAX_LEN	8192	/* longer input is refused, not parsed */

/*
 * Parse one target.  On failure returns -1 and writes a message to err that
 * never contains the password.  source says where the string came from.
 */
int	pgr_target_parse(const char *s, const char *source, enum pgr_role role,
	    struct pgr_target *out, char *err, size_t errlen);

/* One of libpq's sslmode values (disable ... verify-full). */
bool	pgr_sslmode_valid(const char *mode);
/* A whole decimal number from min to max, nothing after it: 0, or -1. */
int	pgr_parse_long(const char *s, long *out, long min, long max);

/* The target as a URL with the password replaced; caller frees. */
char	*pgr_target_url(const struct pgr_target *t);

/*
 * Collect the targets of a run: the arguments, or else the environment
 * (DATABASE_ENDPOINT_<ID>_URL, ..._PGBOUNCER_URL, then DATABASE_URL).  Each
 * Postgres target on 5432 gets a PgBouncer sibling on 5433 unless
 * no_pgbouncer.  Duplicates are dropped.
 */
struct pgr_target_list {
	struct pgr_target *v;
	size_t	n;
	size_t	cap;
};

int	pgr_targets_add(struct pgr_target_list *l, const char *s,
	    const char *source, enum pgr_role role, char *err, size_t errlen);
int	pgr_targets_from_env(struct pgr_target_list *l, char **envp,
	    char *err, size_t errlen);
int	pgr_targets_add_siblings(struct pgr_target_list *l);
void	pgr_targets_free(struct pgr_target_list *l);

#endif
