/*
 * Offline evidence files.  JSON goes through jansson; the Heroku CLI's
 * text output is read line by line, tolerant of the things terminals and
 * CLI versions change: CRLF, colour escapes, column widths, box-drawing or
 * ASCII table rules, "Whitelisted" for "Allowed".
 *
 * The shapes read here:
 *  - aws ec2 describe-vpc-endpoints: {"VpcEndpoints":[{VpcEndpointId,
 *    VpcEndpointType, VpcId, OwnerId, ServiceName, State, DnsEntries,
 *    Groups, SubnetIds, PrivateDnsEnabled}]}
 *  - the same as --output text (VPCENDPOINTS lines) or --output table
 *    (input/aws_cli.c says how they are read)
 *  - aws ec2 describe-security-groups: {"SecurityGroups":[{GroupId,
 *    GroupName, VpcId, IpPermissions:[{IpProtocol, FromPort, ToPort,
 *    IpRanges, Ipv6Ranges, UserIdGroupPairs, PrefixListIds}]}]}
 *  - heroku data:privatelink (plugin-data-privatelink): a styled header,
 *    "Service Name:" and "Status:" lines, then "Allowed Accounts" (ARN,
 *    Status) and "Connections" (Endpoint ID, Owner ARN, Status) tables; or,
 *    while provisioning, "The privatelink endpoint is now being provisioned
 *    for <db>."
 *  - heroku config: "=== <app> Config Vars" and "KEY: value" lines, or
 *    --shell's KEY='value', or --json's {"KEY": "value"}.
 */
#include "report/buf.h"
#include "report/evidence.h"
#include "report/evidence_parse.h"
#include "util/utf8.h"
#include "report/endpoint.h"
#include "util/secrets.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#define ACCEPTED_TYPES \
	"expected the output of 'aws ec2 describe-vpc-endpoints', " \
	"'aws ec2 describe-security-groups', 'heroku data:privatelink' " \
	"or 'heroku config'"


/* ------------------------------------------------------------------ */
/* Names */

static const char *const type_names[] = {
	[PGR_EV_VPC_ENDPOINTS] = "vpc_endpoints",
	[PGR_EV_SECURITY_GROUPS] = "security_groups",
	[PGR_EV_PRIVATELINK] = "privatelink",
	[PGR_EV_HEROKU_CONFIG] = "heroku_config",
	[PGR_EV_SUBNETS] = "subnets",
	[PGR_EV_NETWORK_ACLS] = "network_acls",
	[PGR_EV_NETWORK_INTERFACES] = "network_interfaces",
	[PGR_EV_AWS_CALLS] = "aws_calls",
};

const char *
pgr_evidence_type_name(enum pgr_evidence_type t)
{
	if ((size_t)t >= sizeof(type_names) / sizeof(type_names[0]))
		return "unknown";
	return type_names[t];
}

/* The spelling of the EC2 API (VpcEndpoint.State). */
static const char *const state_names[] = {
	[PGR_VPCE_UNKNOWN] = "unknown",
	[PGR_VPCE_PENDING_ACCEPTANCE] = "pendingAcceptance",
	[PGR_VPCE_PENDING] = "pending",
	[PGR_VPCE_AVAILABLE] = "available",
	[PGR_VPCE_REJECTED] = "rejected",
	[PGR_VPCE_EXPIRED] = "expired",
	[PGR_VPCE_FAILED] = "failed",
	[PGR_VPCE_DELETED] = "deleted",
	[PGR_VPCE_DELETING] = "deleting",
	[PGR_VPCE_PARTIAL] = "partial",
};

const char *
pgr_vpce_state_name(enum pgr_vpce_state s)
{
	if ((size_t)s >= sizeof(state_names) / sizeof(state_names[0]))
		return "unknown";
	return state_names[s];
}

/* Compare ignoring case, blanks, '-' and '_': "Pending Acceptance" fits. */
static bool
loose_eq(const char *a, const char *b)
{
	for (;;) {
		while (*a == ' ' || *a == '-' || *a == '_')
			a++;
		while (*b == ' ' || *b == '-' || *b == '_')
			b++;
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return false;
		if (*a == '\0')
			return true;
		a++;
		b++;
	}
}

enum pgr_vpce_state
pgr_vpce_state_parse(const char *s)
{
	size_t i;

	if (s == NULL || *s == '\0')
		return PGR_VPCE_UNKNOWN;
	for (i = 1; i < sizeof(state_names) / sizeof(state_names[0]); i++)
		if (loose_eq(s, state_names[i]))
			return (enum pgr_vpce_state)i;
	return PGR_VPCE_UNKNOWN;
}

const char *
pgr_pl_status_name(enum pgr_pl_status s)
{
	switch (s) {
	case PGR_PL_PROVISIONING:
		return "Provisioning";
	case PGR_PL_OPERATIONAL:
		return "Operational";
	default:
		return "unknown";
	}
}

/* ------------------------------------------------------------------ */
/* Small tools */

static void
free_secret(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* Append one element to *v (n elements of size); false on OOM. */
bool
pgr_ev_push(void *vp, size_t *n, size_t size, const void *elem)
{
	void **v = vp;
	char *nv;

	nv = reallocarray(*v, *n + 1, size);
	if (nv == NULL)
		return false;
	memcpy(nv + *n * size, elem, size);
	*v = nv;
	(*n)++;
	return true;
}

bool
pgr_sha256_hex(const void *p, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	out[0] = '\0';
	if (EVP_Digest(p, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32)
		return false;
	for (i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return true;
}

const char *
pgr_ev_skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

bool
pgr_ev_is_var_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (i = 1; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
			return false;
	return true;
}

/* ------------------------------------------------------------------ */
/* Freeing */

static void
vpce_free(struct pgr_vpce *v)
{
	size_t i;

	free(v->id);
	free(v->type);
	free(v->vpc_id);
	free(v->owner_id);
	free(v->service_name);
	free(v->state_raw);
	for (i = 0; i < v->ndns; i++) {
		free(v->dns[i].name);
		free(v->dns[i].hosted_zone_id);
	}
	free(v->dns);
	for (i = 0; i < v->ngroups; i++) {
		free(v->groups[i].id);
		free(v->groups[i].name);
	}
	free(v->groups);
	for (i = 0; i < v->nsubnets; i++)
		free(v->subnets[i]);
	free(v->subnets);
	for (i = 0; i < v->nenis; i++)
		free(v->enis[i]);
	free(v->enis);
	free(v->ip_address_type);
}

static void
strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The types --aws adds (input/aws/ec2xml.c fills them). */
static void
aws_item_free(struct pgr_evidence_item *it)
{
	size_t i, j;

	switch (it->type) {
	case PGR_EV_SUBNETS:
		for (i = 0; i < it->u.subnets.n; i++) {
			struct pgr_subnet *s = &it->u.subnets.v[i];

			free(s->id);
			free(s->vpc_id);
			free(s->cidr);
			free(s->az);
			free(s->az_id);
		}
		free(it->u.subnets.v);
		break;
	case PGR_EV_NETWORK_ACLS:
		for (i = 0; i < it->u.acls.n; i++) {
			struct pgr_nacl *a = &it->u.acls.v[i];

			free(a->id);
			free(a->vpc_id);
			strv_free(a->subnets, a->nsubnets);
			for (j = 0; j < a->nentries; j++)
				free(a->entries[j].cidr);
			free(a->entries);
		}
		free(it->u.acls.v);
		break;
	case PGR_EV_NETWORK_INTERFACES:
		for (i = 0; i < it->u.enis.n; i++) {
			struct pgr_eni *e = &it->u.enis.v[i];

			free(e->id);
			free(e->subnet_id);
			free(e->vpc_id);
			free(e->az);
			free(e->status);
			free(e->type);
			strv_free(e->addrs, e->naddrs);
		}
		free(it->u.enis.v);
		break;
	default:
		break;
	}
}

static void
sg_free(struct pgr_sg *g)
{
	size_t i;

	free(g->id);
	free(g->name);
	free(g->vpc_id);
	for (i = 0; i < g->nrules; i++)
		free(g->rules[i].source);
	free(g->rules);
}

static void
privatelink_free(struct pgr_ev_privatelink *p)
{
	size_t i;

	free(p->database);
	free(p->service_name);
	free(p->status_raw);
	for (i = 0; i < p->naccounts; i++) {
		free(p->accounts[i].arn);
		free(p->accounts[i].status_raw);
	}
	free(p->accounts);
	for (i = 0; i < p->nconnections; i++) {
		free(p->connections[i].endpoint_id);
		free(p->connections[i].owner_arn);
		free(p->connections[i].status_raw);
	}
	free(p->connections);
}

void
pgr_ev_dburl_free(struct pgr_ev_dburl *u)
{
	free(u->key);
	free(u->endpoint);
	free(u->redacted);
	free_secret(u->url);
}

static void
config_free(struct pgr_ev_heroku_config *c)
{
	size_t i;

	free(c->app);
	for (i = 0; i < c->nurls; i++)
		pgr_ev_dburl_free(&c->urls[i]);
	free(c->urls);
}

static void
item_free(struct pgr_evidence_item *it)
{
	size_t i;

	switch (it->type) {
	case PGR_EV_VPC_ENDPOINTS:
		for (i = 0; i < it->u.endpoints.n; i++)
			vpce_free(&it->u.endpoints.v[i]);
		free(it->u.endpoints.v);
		break;
	case PGR_EV_SECURITY_GROUPS:
		for (i = 0; i < it->u.groups.n; i++)
			sg_free(&it->u.groups.v[i]);
		free(it->u.groups.v);
		break;
	case PGR_EV_PRIVATELINK:
		privatelink_free(&it->u.privatelink);
		break;
	case PGR_EV_HEROKU_CONFIG:
		config_free(&it->u.config);
		break;
	default:
		aws_item_free(it);
		break;
	}
	free(it->path);
	free(it->content);
	memset(it, 0, sizeof(*it));
}

void
pgr_evidence_truncate(struct pgr_evidence *ev, size_t n)
{
	while (ev != NULL && ev->n > n)
		item_free(&ev->items[--ev->n]);
}

const struct pgr_evidence_item *
pgr_evidence_find(const struct pgr_evidence *ev, enum pgr_evidence_type t)
{
	size_t i;

	for (i = 0; ev != NULL && i < ev->n; i++)
		if (ev->items[i].type == t)
			return &ev->items[i];
	return NULL;
}

void
pgr_evidence_free(struct pgr_evidence *ev)
{
	size_t i;

	if (ev == NULL)
		return;
	for (i = 0; i < ev->n; i++)
		item_free(&ev->items[i]);
	free(ev->items);
	ev->items = NULL;
	ev->n = 0;
}

/* ------------------------------------------------------------------ */
/* JSON helpers */

/*
 * A copy of obj[key] if it is a string, NULL if absent or of another
 * type: the AWS CLI omits empty fields, and a field of the wrong type is
 * as good as absent.  *oom is set if the copy failed.
 */
char *
pgr_ev_jstr(json_t *obj, const char *key, bool *oom)
{
	json_t *v = json_object_get(obj, key);
	char *s;

	if (!json_is_string(v))
		return NULL;
	s = strndup(json_string_value(v), json_string_length(v));
	if (s == NULL)
		*oom = true;
	return s;
}

/* obj[key] as a list; NULL if absent or not a list. */
json_t *
pgr_ev_jarray(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_array(v) ? v : NULL;
}

int
pgr_ev_jport(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	json_int_t n;

	if (!json_is_integer(v))
		return -1;
	n = json_integer_value(v);
	return (n < -1 || n > 65535) ? -1 : (int)n;
}

/* ------------------------------------------------------------------ */
/* JSON dispatch */

static int
parse_json(const char *buf, size_t len, struct pgr_evidence_item *it,
    struct pgr_buf *out, const char *name, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root, *v;
	char *near;
	int rc;

	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		/* jansson quotes the token near the error; it may be a secret. */
		if ((near = strstr(je.text, " near ")) != NULL)
			*near = '\0';
		return pgr_fail(err, errlen,
		    "%s: malformed JSON at line %d, column %d: %s", name,
		    je.line, je.column, je.text);
	}
	if ((v = json_object_get(root, "VpcEndpoints")) != NULL)
		rc = pgr_ev_parse_vpc_endpoints(v, it, name, err, errlen);
	else if ((v = json_object_get(root, "SecurityGroups")) != NULL)
		rc = pgr_ev_parse_security_groups(v, it, name, err, errlen);
	else if (pgr_ev_looks_like_config_json(root))
		rc = pgr_ev_parse_config_json(root, it, out, name, err, errlen);
	else
		rc = pgr_fail(err, errlen,
		    "%s: JSON without \"VpcEndpoints\" or \"SecurityGroups\" and "
		    "not heroku config --json; " ACCEPTED_TYPES, name);
	json_decref(root);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Text: lines */

/*
 * Remove ANSI escape sequences in place: the Heroku CLI colours its
 * output when it believes it writes to a terminal (FORCE_COLOR, script).
 */
static void
strip_ansi(char *s)
{
	char *w = s;

	while (*s != '\0') {
		if (*s != '\033') {
			*w++ = *s++;
			continue;
		}
		s++;
		if (*s == '[') {
			s++;
			while (*s != '\0' && !(*s >= 0x40 && *s <= 0x7e))
				s++;
			if (*s != '\0')
				s++;
		}
	}
	*w = '\0';
}

static void
rtrim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

static bool
text_split(struct pgr_ev_text *t, const char *buf, size_t len)
{
	char *p, *nl;
	size_t nlines;

	memset(t, 0, sizeof(*t));
	if ((t->buf = malloc(len + 1)) == NULL)
		return false;
	memcpy(t->buf, buf, len);
	t->buf[len] = '\0';
	/* One allocation for the line table: a file of a million short lines
	 * must not cost a million reallocs. */
	nlines = 1;
	for (p = t->buf; (p = strchr(p, '\n')) != NULL; p++)
		nlines++;
	if ((t->line = reallocarray(NULL, nlines, sizeof(char *))) == NULL)
		return false;
	for (p = t->buf; p != NULL; p = nl) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		strip_ansi(p);
		rtrim(p);
		t->line[t->n++] = p;
	}
	return true;
}

static void
text_free(struct pgr_ev_text *t)
{
	if (t->buf != NULL) {
		explicit_bzero(t->buf, strlen(t->buf));
		free(t->buf);
	}
	free(t->line);
	memset(t, 0, sizeof(*t));
}

/* "=== <title>" styled header: the title, else NULL. */
const char *
pgr_ev_header_title(const char *line)
{
	line = pgr_ev_skip_blanks(line);
	if (strncmp(line, "===", 3) != 0)
		return NULL;
	line += 3;
	while (*line == '=')
		line++;
	return pgr_ev_skip_blanks(line);
}

bool
pgr_ev_ends_with_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* ------------------------------------------------------------------ */
/* Text dispatch */

static bool
has_config_header(struct pgr_ev_text *t)
{
	const char *title;
	size_t i;

	for (i = 0; i < t->n; i++)
		if ((title = pgr_ev_header_title(t->line[i])) != NULL &&
		    pgr_ev_ends_with_ci(title, "Config Vars"))
			return true;
	return false;
}

static int
parse_text(const char *buf, size_t len, struct pgr_evidence_item *it,
    struct pgr_buf *out, const char *name, char *err, size_t errlen)
{
	struct pgr_ev_text t;
	bool header;
	int rc = 0;

	if (!text_split(&t, buf, len))
		goto oom;
	/*
	 * A config var name has no blanks, so "Service Name:" is never one;
	 * only the config's own header settles it the other way.
	 */
	header = has_config_header(&t);
	if (!header) {
		rc = pgr_ev_parse_vpc_endpoints_text(&t, it, name, err, errlen);
		if (rc != 0) {
			text_free(&t);
			return rc == 1 ? 0 : -1;
		}
		rc = pgr_ev_parse_privatelink(&t, it);
		if (rc == 0) {
			privatelink_free(&it->u.privatelink);
			memset(&it->u, 0, sizeof(it->u));
		}
	}
	if (rc == 0) {
		/* The table reader cut the lines up; read them afresh. */
		text_free(&t);
		if (!text_split(&t, buf, len))
			goto oom;
		rc = pgr_ev_parse_config_text(&t, it, out);
	}
	text_free(&t);
	if (rc == -1)
		return pgr_fail(err, errlen, "%s: out of memory", name);
	if (rc == 0)
		return pgr_fail(err, errlen, "%s: not a recognised evidence file; "
		    ACCEPTED_TYPES, name);
	return 0;
oom:
	text_free(&t);
	return pgr_fail(err, errlen, "%s: out of memory", name);
}

/* ------------------------------------------------------------------ */
/* Loading */

/* Empty, binary or non-UTF-8 content is refused before any parsing. */
static int
check_content(const unsigned char *p, size_t len, const char *name,
    char *err, size_t errlen)
{
	size_t i, bad;

	for (i = 0; i < len && isspace(p[i]); i++)
		;
	if (i == len)
		return pgr_fail(err, errlen, "%s: the file is empty", name);
	if (memchr(p, '\0', len) != NULL)
		return pgr_fail(err, errlen, "%s: contains NUL bytes, a binary "
		    "file? " ACCEPTED_TYPES, name);
	if ((bad = pgr_utf8_invalid_at(p, len)) != len)
		return pgr_fail(err, errlen, "%s: not UTF-8 text (byte %zu); "
		    ACCEPTED_TYPES, name, bad);
	return 0;
}

/* The bundle copy: the file as read, or the redacted config text. */
static int
finish_item(struct pgr_evidence_item *it, const char *buf, size_t len,
    struct pgr_buf *out, const char *name)
{
	struct pgr_buf h = { 0 };

	if (it->type == PGR_EV_HEROKU_CONFIG) {
		/* The same styled header the CLI prints, then the vars. */
		if (it->u.config.app != NULL) {
			pgr_buf_puts(&h, "=== ");
			pgr_buf_puts(&h, it->u.config.app);
			pgr_buf_puts(&h, " Config Vars\n");
		}
		pgr_buf_add(&h, out->p ? out->p : "", out->len);
		it->content_len = h.len;
		it->content = pgr_buf_take(&h);
	} else {
		it->content_len = len;
		if ((it->content = malloc(len + 1)) != NULL) {
			memcpy(it->content, buf, len);
			it->content[len] = '\0';
		}
	}
	it->path = strdup(name);
	if (it->content == NULL || it->path == NULL)
		return -1;
	return pgr_sha256_hex(it->content, it->content_len, it->sha256) ? 0 : -1;
}

int
pgr_evidence_load_buffer(struct pgr_evidence *ev, const char *name,
    const void *buf, size_t len, char *err, size_t errlen)
{
	struct pgr_evidence_item it;
	struct pgr_buf out = { 0 };
	const char *p = buf;
	size_t skip = 0, bom = 0;
	int rc;

	if (name == NULL)
		name = "(buffer)";
	if (len > PGR_EVIDENCE_MAX_SIZE)
		return pgr_fail(err, errlen, "%s: larger than %d bytes", name,
		    PGR_EVIDENCE_MAX_SIZE);
	if (len == 0 || p == NULL)
		return pgr_fail(err, errlen, "%s: the file is empty", name);
	if (check_content(buf, len, name, err, errlen) == -1)
		return -1;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		skip = bom = 3;	/* a BOM, as Windows editors save */
	while (skip < len && isspace((unsigned char)p[skip]))
		skip++;
	/* Only a BOM and blanks: p[skip] would be one past the end. */
	if (skip == len)
		return pgr_fail(err, errlen, "%s: the file is blank", name);
	memset(&it, 0, sizeof(it));
	if (p[skip] == '{' || p[skip] == '[')
		rc = parse_json(p + skip, len - skip, &it, &out, name, err, errlen);
	else
		rc = parse_text(p + bom, len - bom, &it, &out, name, err,
		    errlen);
	if (rc == 0 && (finish_item(&it, p, len, &out, name) == -1 ||
	    !pgr_ev_push(&ev->items, &ev->n, sizeof(it), &it)))
		rc = pgr_fail(err, errlen, "%s: out of memory", name);
	if (rc == -1)
		item_free(&it);
	pgr_buf_wipe(&out);
	return rc;
}

/* Read all of fd, up to the cap; pipes and process substitution work. */
/* Read fd to its end into b, at most PGR_EVIDENCE_MAX_SIZE bytes. */
static int
read_all(int fd, struct pgr_buf *b, const char *path, char *err, size_t errlen)
{
	char chunk[64 * 1024];
	ssize_t n;
	int rc = 0;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = pgr_fail(err, errlen, "%s: %s", path, strerror(errno));
			break;
		}
		pgr_buf_add(b, chunk, (size_t)n);
		if (b->oom) {
			rc = pgr_fail(err, errlen, "%s: out of memory", path);
			break;
		}
		if (b->len > PGR_EVIDENCE_MAX_SIZE) {
			rc = pgr_fail(err, errlen, "%s: larger than %d bytes", path,
			    PGR_EVIDENCE_MAX_SIZE);
			break;
		}
	}
	explicit_bzero(chunk, sizeof(chunk));
	if (rc != 0)
		pgr_buf_wipe(b);
	return rc;
}

int
pgr_evidence_load(struct pgr_evidence *ev, const char *path, char *err,
    size_t errlen)
{
	struct pgr_buf b = { 0 };
	struct stat st;
	int fd, rc;

	if (path == NULL || *path == '\0')
		return pgr_fail(err, errlen, "evidence: no file name");
	/*
	 * O_NONBLOCK for the open only: open() of a FIFO that nobody writes
	 * to never returns.  Reads then block as usual, so a pipe with a slow
	 * writer (process substitution) is still read to its end, and a FIFO
	 * with no writer reads as empty.
	 */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1)
		return pgr_fail(err, errlen, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) == -1 || S_ISDIR(st.st_mode) ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == -1) {
		rc = S_ISDIR(st.st_mode) ? EISDIR : errno;
		close(fd);
		return pgr_fail(err, errlen, "%s: %s", path, strerror(rc));
	}
	rc = read_all(fd, &b, path, err, errlen);
	close(fd);
	if (rc == -1)
		return -1;
	rc = pgr_evidence_load_buffer(ev, path, b.p != NULL ? b.p : "", b.len,
	    err, errlen);
	pgr_buf_wipe(&b);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Queries */

const struct pgr_pl_connection *
pgr_evidence_find_connection(const struct pgr_evidence *ev, const char *vpce_id)
{
	const struct pgr_ev_privatelink *pl;
	size_t i, j;

	for (i = 0; ev != NULL && vpce_id != NULL && i < ev->n; i++) {
		if (ev->items[i].type != PGR_EV_PRIVATELINK)
			continue;
		pl = &ev->items[i].u.privatelink;
		for (j = 0; j < pl->nconnections; j++)
			if (strcasecmp(pl->connections[j].endpoint_id, vpce_id) == 0)
				return &pl->connections[j];
	}
	return NULL;
}

const struct pgr_vpce *
pgr_evidence_find_vpce(const struct pgr_evidence *ev, const char *vpce_id)
{
	const struct pgr_evidence_item *it;
	size_t i, j;

	if (ev == NULL || vpce_id == NULL)
		return NULL;
	for (i = 0; i < ev->n; i++) {
		it = &ev->items[i];
		if (it->type != PGR_EV_VPC_ENDPOINTS)
			continue;
		for (j = 0; j < it->u.endpoints.n; j++)
			if (it->u.endpoints.v[j].id != NULL &&
			    strcasecmp(it->u.endpoints.v[j].id, vpce_id) == 0)
				return &it->u.endpoints.v[j];
	}
	return NULL;
}

const char *
pgr_evidence_db_url(const struct pgr_evidence *ev, const char *key)
{
	const struct pgr_ev_heroku_config *c;
	size_t i, j;

	if (ev == NULL || key == NULL)
		return NULL;
	for (i = 0; i < ev->n; i++) {
		if (ev->items[i].type != PGR_EV_HEROKU_CONFIG)
			continue;
		c = &ev->items[i].u.config;
		for (j = 0; j < c->nurls; j++)
			if (strcmp(c->urls[j].key, key) == 0)
				return c->urls[j].url;
	}
	return NULL;
}
