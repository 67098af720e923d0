/*
 * Inside the evidence loader: what report/evidence.c (the file reader,
 * the type detection, the dispatch) shares with the parsers of each
 * tool's output, input/aws_cli.c and input/heroku_cli.c.  Not an API.
 */
#ifndef PGR_EVIDENCE_PARSE_H
#define PGR_EVIDENCE_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "report/buf.h"
#include "report/evidence.h"

#define REDACTED	PGR_REDACTED

/* A text split into lines, in place. */
struct pgr_ev_text {
	char	*buf;
	size_t	n;
	char	**line;
};

/* ---- small tools (report/evidence.c) ---- */
bool	pgr_ev_push(void *vp, size_t *n, size_t size, const void *elem);
const char *pgr_ev_skip_blanks(const char *s);
bool	pgr_ev_is_var_name(const char *s, size_t n);
void	pgr_ev_dburl_free(struct pgr_ev_dburl *u);
char	*pgr_ev_jstr(json_t *obj, const char *key, bool *oom);
json_t	*pgr_ev_jarray(json_t *obj, const char *key);
int	pgr_ev_jport(json_t *obj, const char *key);
const char *pgr_ev_header_title(const char *line);
bool	pgr_ev_ends_with_ci(const char *s, const char *suffix);

/* ---- aws ec2 describe-* JSON (input/aws_cli.c) ---- */
int	pgr_ev_parse_vpc_endpoints(json_t *list, struct pgr_evidence_item *it,
	    const char *name, char *err, size_t errlen);
/* describe-vpc-endpoints --output text or table: 1, 0 not it, -1 err. */
int	pgr_ev_parse_vpc_endpoints_text(struct pgr_ev_text *t,
	    struct pgr_evidence_item *it, const char *name, char *err, size_t errlen);
/* Fill v's dns_region and region from its names and ServiceRegion. */
void	pgr_vpce_regions(struct pgr_vpce *v);
int	pgr_ev_parse_security_groups(json_t *list, struct pgr_evidence_item *it,
	    const char *name, char *err, size_t errlen);

/* ---- heroku data:privatelink and heroku config (input/heroku_cli.c) ---- */
bool	pgr_ev_looks_like_config_json(json_t *root);
int	pgr_ev_parse_config_json(json_t *root, struct pgr_evidence_item *it,
	    struct pgr_buf *out, const char *name, char *err, size_t errlen);
int	pgr_ev_parse_privatelink(struct pgr_ev_text *t, struct pgr_evidence_item *it);
int	pgr_ev_parse_config_text(struct pgr_ev_text *t, struct pgr_evidence_item *it,
	    struct pgr_buf *out);

#endif
