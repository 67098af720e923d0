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

#define REDACTED	PGR_REDACTED

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
static bool
push(void *vp, size_t *n, size_t size, const void *elem)
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

static const char *
skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static bool
is_var_name(const char *s, size_t n)
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

static void
dburl_free(struct pgr_ev_dburl *u)
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
		dburl_free(&c->urls[i]);
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
static char *
jstr(json_t *obj, const char *key, bool *oom)
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
static json_t *
jarray(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_array(v) ? v : NULL;
}

static int
jport(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	json_int_t n;

	if (!json_is_integer(v))
		return -1;
	n = json_integer_value(v);
	return (n < -1 || n > 65535) ? -1 : (int)n;
}

/* ------------------------------------------------------------------ */
/* describe-vpc-endpoints */

static bool
vpce_lists(json_t *o, struct pgr_vpce *v, bool *oom)
{
	json_t *a, *e;
	size_t i;

	if ((a = jarray(o, "DnsEntries")) != NULL) {
		v->dns = calloc(json_array_size(a) + 1, sizeof(*v->dns));
		if (v->dns == NULL)
			return false;
		json_array_foreach(a, i, e) {
			if ((v->dns[v->ndns].name = jstr(e, "DnsName", oom)) == NULL)
				continue;
			v->dns[v->ndns++].hosted_zone_id =
			    jstr(e, "HostedZoneId", oom);
		}
	}
	if ((a = jarray(o, "Groups")) != NULL) {
		v->groups = calloc(json_array_size(a) + 1, sizeof(*v->groups));
		if (v->groups == NULL)
			return false;
		json_array_foreach(a, i, e) {
			if ((v->groups[v->ngroups].id = jstr(e, "GroupId", oom)) == NULL)
				continue;
			v->groups[v->ngroups++].name = jstr(e, "GroupName", oom);
		}
	}
	if ((a = jarray(o, "SubnetIds")) != NULL) {
		v->subnets = calloc(json_array_size(a) + 1, sizeof(*v->subnets));
		if (v->subnets == NULL)
			return false;
		json_array_foreach(a, i, e) {
			if (!json_is_string(e))
				continue;
			if ((v->subnets[v->nsubnets] = strdup(json_string_value(e))) == NULL)
				return false;
			v->nsubnets++;
		}
	}
	return !*oom;
}

static bool
vpce_parse(json_t *o, struct pgr_vpce *v)
{
	struct pgr_endpoint_name en;
	json_t *pd;
	bool oom = false;
	size_t i;

	v->id = jstr(o, "VpcEndpointId", &oom);
	v->type = jstr(o, "VpcEndpointType", &oom);
	v->vpc_id = jstr(o, "VpcId", &oom);
	v->owner_id = jstr(o, "OwnerId", &oom);
	v->service_name = jstr(o, "ServiceName", &oom);
	v->state_raw = jstr(o, "State", &oom);
	v->state = pgr_vpce_state_parse(v->state_raw);
	pd = json_object_get(o, "PrivateDnsEnabled");
	v->private_dns = json_is_boolean(pd) ? json_is_true(pd) : -1;
	if (oom || !vpce_lists(o, v, &oom))
		return false;
	/* The service name says the region; failing that, a DNS name does. */
	if (!pgr_endpoint_region_from_service(v->service_name, v->region,
	    sizeof(v->region))) {
		for (i = 0; i < v->ndns && v->region[0] == '\0'; i++)
			if (pgr_endpoint_parse(v->dns[i].name, &en))
				memcpy(v->region, en.region, sizeof(v->region));
	}
	return true;
}

static int
parse_vpc_endpoints(json_t *list, struct pgr_evidence_item *it,
    const char *name, char *err, size_t errlen)
{
	struct pgr_ev_vpc_endpoints *e = &it->u.endpoints;
	json_t *o;
	size_t i;

	it->type = PGR_EV_VPC_ENDPOINTS;
	if (!json_is_array(list))
		return pgr_fail(err, errlen, "%s: VpcEndpoints is not a list", name);
	e->v = calloc(json_array_size(list) + 1, sizeof(*e->v));
	if (e->v == NULL)
		return pgr_fail(err, errlen, "%s: out of memory", name);
	json_array_foreach(list, i, o) {
		if (!json_is_object(o))
			return pgr_fail(err, errlen,
			    "%s: VpcEndpoints[%zu] is not an object", name, i);
		e->n++;
		if (!vpce_parse(o, &e->v[e->n - 1]))
			return pgr_fail(err, errlen, "%s: out of memory", name);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* describe-security-groups */

static int
parse_protocol(json_t *v, char raw[16])
{
	const char *s;
	char *end;
	long n;

	raw[0] = '\0';
	if (json_is_integer(v)) {
		snprintf(raw, 16, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	} else if (json_is_string(v))
		snprintf(raw, 16, "%s", json_string_value(v));
	s = raw;
	/* "-1" is EC2's "all traffic"; names and numbers are both accepted. */
	if (strcmp(s, "-1") == 0 || strcasecmp(s, "all") == 0)
		return -1;
	if (strcasecmp(s, "tcp") == 0)
		return 6;
	if (strcasecmp(s, "udp") == 0)
		return 17;
	if (strcasecmp(s, "icmp") == 0)
		return 1;
	if (strcasecmp(s, "icmpv6") == 0)
		return 58;
	errno = 0;
	n = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || n < 0 || n > 255)
		return -2;
	return (int)n;
}

/* "10.0.0.0/16", "::/0", or a bare address meaning a single host. */
static void
parse_cidr(struct pgr_sg_rule *r)
{
	char addr[64];
	const char *slash = strchr(r->source, '/');
	size_t alen = slash ? (size_t)(slash - r->source) : strlen(r->source);
	char *end;
	long plen;
	int max;

	r->prefix_len = -1;
	r->family = r->source_type == PGR_SG_CIDR4 ? 4 : 6;
	if (alen >= sizeof(addr))
		return;
	memcpy(addr, r->source, alen);
	addr[alen] = '\0';
	if (inet_pton(r->family == 4 ? AF_INET : AF_INET6, addr, r->net) != 1)
		return;
	max = r->family == 4 ? 32 : 128;
	if (slash == NULL) {
		r->prefix_len = max;
		return;
	}
	errno = 0;
	plen = strtol(slash + 1, &end, 10);
	if (slash[1] == '\0' || *end != '\0' || errno != 0 || plen < 0 ||
	    plen > max)
		return;
	r->prefix_len = (int)plen;
}

/* The sources of one IpPermission: list key, field key, kind. */
static const struct {
	const char *list, *field;
	enum pgr_sg_source type;
} sg_sources[] = {
	{ "IpRanges", "CidrIp", PGR_SG_CIDR4 },
	{ "Ipv6Ranges", "CidrIpv6", PGR_SG_CIDR6 },
	{ "UserIdGroupPairs", "GroupId", PGR_SG_GROUP },
	{ "PrefixListIds", "PrefixListId", PGR_SG_PREFIX_LIST },
};

static bool
sg_permission(json_t *perm, struct pgr_sg *g)
{
	struct pgr_sg_rule proto, r;
	json_t *list, *e;
	size_t s, i;
	bool oom = false;

	memset(&proto, 0, sizeof(proto));
	proto.protocol = parse_protocol(json_object_get(perm, "IpProtocol"),
	    proto.protocol_raw);
	proto.from_port = jport(perm, "FromPort");
	proto.to_port = jport(perm, "ToPort");
	for (s = 0; s < sizeof(sg_sources) / sizeof(sg_sources[0]); s++) {
		if ((list = jarray(perm, sg_sources[s].list)) == NULL)
			continue;
		json_array_foreach(list, i, e) {
			r = proto;
			r.source_type = sg_sources[s].type;
			r.prefix_len = -1;
			if ((r.source = jstr(e, sg_sources[s].field, &oom)) == NULL) {
				if (oom)
					return false;
				continue;
			}
			if (r.source_type == PGR_SG_CIDR4 ||
			    r.source_type == PGR_SG_CIDR6)
				parse_cidr(&r);
			if (!push(&g->rules, &g->nrules, sizeof(r), &r)) {
				free(r.source);
				return false;
			}
		}
	}
	return true;
}

static bool
sg_parse(json_t *o, struct pgr_sg *g)
{
	json_t *perms, *p;
	bool oom = false;
	size_t i;

	g->id = jstr(o, "GroupId", &oom);
	g->name = jstr(o, "GroupName", &oom);
	g->vpc_id = jstr(o, "VpcId", &oom);
	if (oom)
		return false;
	/* IpPermissions is inbound; IpPermissionsEgress does not matter here. */
	if ((perms = jarray(o, "IpPermissions")) == NULL)
		return true;
	json_array_foreach(perms, i, p) {
		if (json_is_object(p) && !sg_permission(p, g))
			return false;
	}
	return true;
}

static int
parse_security_groups(json_t *list, struct pgr_evidence_item *it,
    const char *name, char *err, size_t errlen)
{
	struct pgr_ev_security_groups *e = &it->u.groups;
	json_t *o;
	size_t i;

	it->type = PGR_EV_SECURITY_GROUPS;
	if (!json_is_array(list))
		return pgr_fail(err, errlen, "%s: SecurityGroups is not a list", name);
	e->v = calloc(json_array_size(list) + 1, sizeof(*e->v));
	if (e->v == NULL)
		return pgr_fail(err, errlen, "%s: out of memory", name);
	json_array_foreach(list, i, o) {
		if (!json_is_object(o))
			return pgr_fail(err, errlen,
			    "%s: SecurityGroups[%zu] is not an object", name, i);
		e->n++;
		if (!sg_parse(o, &e->v[e->n - 1]))
			return pgr_fail(err, errlen, "%s: out of memory", name);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Database URLs in config vars */

/*
 * Which database URL a config var holds, and its <ID>, following the
 * names Heroku gives PrivateLink endpoint attachments.
 */
static bool
dburl_key(const char *key, enum pgr_dburl_kind *kind, char **endpoint,
    bool *oom)
{
	static const char pre[] = "DATABASE_ENDPOINT_";
	static const char pgb[] = "_PGBOUNCER_URL";
	static const char url[] = "_URL";
	size_t len = strlen(key), idlen;

	*endpoint = NULL;
	if (strcmp(key, "DATABASE_URL") == 0) {
		*kind = PGR_DBURL_DATABASE;
		return true;
	}
	if (strncmp(key, pre, sizeof(pre) - 1) != 0)
		return false;
	if (len > sizeof(pre) - 1 + sizeof(pgb) - 1 &&
	    strcmp(key + len - (sizeof(pgb) - 1), pgb) == 0) {
		*kind = PGR_DBURL_ENDPOINT_PGBOUNCER;
		idlen = len - (sizeof(pre) - 1) - (sizeof(pgb) - 1);
	} else if (len > sizeof(pre) - 1 + sizeof(url) - 1 &&
	    strcmp(key + len - (sizeof(url) - 1), url) == 0) {
		*kind = PGR_DBURL_ENDPOINT;
		idlen = len - (sizeof(pre) - 1) - (sizeof(url) - 1);
	} else
		return false;
	if ((*endpoint = strndup(key + sizeof(pre) - 1, idlen)) == NULL)
		*oom = true;
	return true;
}

/*
 * The URL without its password or query string (which may carry
 * password=...): postgres://user:REDACTED@host:5432/db.  The userinfo ends
 * at the last '@' anywhere, not at the first '/', '?' or '#': a password
 * with one of those unencoded must still not show.  At worst the host is
 * hidden too.
 */
static char *
redact_url(const char *url)
{
	struct pgr_buf b = { 0 };
	const char *auth, *at, *colon, *q;

	if ((auth = strstr(url, "://")) == NULL)
		return strdup(REDACTED);
	auth += 3;
	pgr_buf_add(&b, url, (size_t)(auth - url));
	if ((at = strrchr(auth, '@')) != NULL) {
		colon = memchr(auth, ':', (size_t)(at - auth));
		pgr_buf_add(&b, auth, (size_t)((colon ? colon : at) - auth));
		if (colon != NULL)
			pgr_buf_puts(&b, ":" REDACTED);
		pgr_buf_puts(&b, "@");
		auth = at + 1;
	}
	if ((q = strpbrk(auth, "?#")) == NULL)
		pgr_buf_puts(&b, auth);
	else {
		pgr_buf_add(&b, auth, (size_t)(q - auth));
		pgr_buf_puts(&b, "?" REDACTED);
	}
	return pgr_buf_take(&b);
}

/*
 * Record one config var: count it, keep it if it is a database URL, and
 * write its redacted line to the bundle copy.
 */
static bool
config_var(struct pgr_ev_heroku_config *c, struct pgr_buf *out, const char *key,
    const char *value)
{
	struct pgr_ev_dburl u;
	bool oom = false;

	c->nvars++;
	memset(&u, 0, sizeof(u));
	pgr_buf_puts(out, key);
	pgr_buf_puts(out, ": ");
	if (!dburl_key(key, &u.kind, &u.endpoint, &oom)) {
		pgr_buf_puts(out, *value ? REDACTED : "");
		pgr_buf_puts(out, "\n");
		return !out->oom;
	}
	u.key = strdup(key);
	u.url = pgr_secrets_add_from(value) == 0 ? strdup(value) : NULL;
	u.redacted = redact_url(value);
	if (oom || u.key == NULL || u.url == NULL || u.redacted == NULL ||
	    !push(&c->urls, &c->nurls, sizeof(u), &u)) {
		dburl_free(&u);
		return false;
	}
	pgr_buf_puts(out, u.redacted);
	pgr_buf_puts(out, "\n");
	return !out->oom;
}

/* ------------------------------------------------------------------ */
/* heroku config --json */

static bool
is_db_key(const char *key)
{
	enum pgr_dburl_kind kind;
	char *id = NULL;
	bool oom = false, yes;

	yes = dburl_key(key, &kind, &id, &oom);
	free(id);
	return yes;
}

/* {"KEY": "value", ...} with at least one database URL among the keys. */
static bool
looks_like_config_json(json_t *root)
{
	const char *key;
	json_t *v;
	bool db = false;

	if (!json_is_object(root) || json_object_size(root) == 0)
		return false;
	json_object_foreach(root, key, v) {
		if (!json_is_string(v) || !is_var_name(key, strlen(key)))
			return false;
		if (is_db_key(key))
			db = true;
	}
	return db;
}

static int
parse_config_json(json_t *root, struct pgr_evidence_item *it, struct pgr_buf *out,
    const char *name, char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	it->type = PGR_EV_HEROKU_CONFIG;
	json_object_foreach(root, key, v) {
		if (!config_var(&it->u.config, out, key, json_string_value(v)))
			return pgr_fail(err, errlen, "%s: out of memory", name);
	}
	return 0;
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
		rc = parse_vpc_endpoints(v, it, name, err, errlen);
	else if ((v = json_object_get(root, "SecurityGroups")) != NULL)
		rc = parse_security_groups(v, it, name, err, errlen);
	else if (looks_like_config_json(root))
		rc = parse_config_json(root, it, out, name, err, errlen);
	else
		rc = pgr_fail(err, errlen,
		    "%s: JSON without \"VpcEndpoints\" or \"SecurityGroups\" and "
		    "not heroku config --json; " ACCEPTED_TYPES, name);
	json_decref(root);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Text: lines */

struct text {
	char	*buf;
	size_t	n;
	char	**line;
};

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
text_split(struct text *t, const char *buf, size_t len)
{
	char *p, *nl;

	memset(t, 0, sizeof(*t));
	if ((t->buf = malloc(len + 1)) == NULL)
		return false;
	memcpy(t->buf, buf, len);
	t->buf[len] = '\0';
	for (p = t->buf; p != NULL; p = nl) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		strip_ansi(p);
		rtrim(p);
		if (!push(&t->line, &t->n, sizeof(char *), &p))
			return false;
	}
	return true;
}

static void
text_free(struct text *t)
{
	if (t->buf != NULL) {
		explicit_bzero(t->buf, strlen(t->buf));
		free(t->buf);
	}
	free(t->line);
	memset(t, 0, sizeof(*t));
}

/* "=== <title>" styled header: the title, else NULL. */
static const char *
header_title(const char *line)
{
	line = skip_blanks(line);
	if (strncmp(line, "===", 3) != 0)
		return NULL;
	line += 3;
	while (*line == '=')
		line++;
	return skip_blanks(line);
}

static bool
ends_with_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* ------------------------------------------------------------------ */
/* Text: heroku data:privatelink */

enum pl_section {
	PL_MAIN,
	PL_ACCOUNTS,
	PL_CONNECTIONS
};

struct pl_state {
	struct pgr_ev_privatelink *pl;
	enum pl_section section;
	bool	seen;			/* something only this output has */
	bool	oom;
};

#define PL_MAXTOK	8

/*
 * Split a table row on blanks and on the column rules the CLI may draw,
 * ASCII '|' or box-drawing U+2502 (E2 94 82).  Tokens point into row.
 */
static size_t
tokens(char *row, char *tok[PL_MAXTOK])
{
	size_t n = 0;
	char *p = row;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '|' ||
		    (p[0] == '\xe2' && p[1] == '\x94' && p[2] == '\x82')) {
			if (*p == '\xe2') {
				*p = '\0';
				p += 3;
			} else
				*p++ = '\0';
		}
		if (*p == '\0' || n == PL_MAXTOK)
			return n;
		tok[n++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '|' &&
		    !(p[0] == '\xe2' && p[1] == '\x94' && p[2] == '\x82'))
			p++;
	}
}

static bool
has_alnum(const char *s)
{
	for (; *s != '\0'; s++)
		if (isalnum((unsigned char)*s))
			return true;
	return false;
}

static void
pl_set(char **dst, const char *src, bool *oom)
{
	free(*dst);
	if ((*dst = strdup(src)) == NULL)
		*oom = true;
}

/* The 12-digit account of arn:aws:iam::123456789012:root, or of a bare id. */
static void
account_of(const char *arn, char out[13])
{
	const char *p = arn;
	size_t i;

	out[0] = '\0';
	if (strncmp(p, "arn:", 4) == 0) {
		for (i = 0; i < 4 && p != NULL; i++)
			if ((p = strchr(p, ':')) != NULL)
				p++;
		if (p == NULL)
			return;
	}
	if (strspn(p, "0123456789") == 12 && (p[12] == '\0' || p[12] == ':'))
		snprintf(out, 13, "%.12s", p);
}

static void
pl_account_row(struct pl_state *st, char **tok, size_t n)
{
	struct pgr_pl_account a;

	memset(&a, 0, sizeof(a));
	account_of(tok[0], a.account_id);
	if (strncmp(tok[0], "arn:", 4) != 0 && a.account_id[0] == '\0')
		return;
	a.arn = strdup(tok[0]);
	if (n > 1) {
		a.status_raw = strdup(tok[n - 1]);
		if (a.status_raw == NULL)
			st->oom = true;
		else if (strcasecmp(a.status_raw, "Active") == 0)
			a.status = PGR_PL_ACCOUNT_ACTIVE;
		else if (strcasecmp(a.status_raw, "Pending") == 0)
			a.status = PGR_PL_ACCOUNT_PENDING;
	}
	if (a.arn == NULL || st->oom || !push(&st->pl->accounts,
	    &st->pl->naccounts, sizeof(a), &a)) {
		free(a.arn);
		free(a.status_raw);
		st->oom = true;
	}
	st->seen = true;
}

static void
pl_connection_row(struct pl_state *st, char **tok, size_t n)
{
	struct pgr_pl_connection c;
	struct pgr_buf status = { 0 };
	size_t i = 1;
	bool oom = false;

	if (strncasecmp(tok[0], "vpce-", 5) != 0)
		return;
	st->seen = true;
	memset(&c, 0, sizeof(c));
	if ((c.endpoint_id = strdup(tok[0])) == NULL)
		oom = true;
	if (n > 1 && strncmp(tok[1], "arn:", 4) == 0 &&
	    (c.owner_arn = strdup(tok[i++])) == NULL)
		oom = true;
	/* The status may be two words: "Pending Acceptance". */
	for (; i < n; i++) {
		pgr_buf_puts(&status, tok[i]);
		if (i + 1 < n)
			pgr_buf_puts(&status, " ");
	}
	if (status.oom)
		oom = true;
	else if (status.p != NULL)
		c.status_raw = pgr_buf_take(&status);
	pgr_buf_wipe(&status);
	c.state = pgr_vpce_state_parse(c.status_raw);
	if (oom || !push(&st->pl->connections, &st->pl->nconnections,
	    sizeof(c), &c)) {
		free(c.endpoint_id);
		free(c.owner_arn);
		free(c.status_raw);
		st->oom = true;
	}
}

static void
pl_header(struct pl_state *st, const char *title)
{
	static const char pre[] = "privatelink endpoint status for ";

	if (strcasestr(title, "Accounts") != NULL) {
		st->section = PL_ACCOUNTS;
		st->seen = true;
	} else if (strcasestr(title, "Connections") != NULL ||
	    strcasestr(title, "Endpoints") != NULL) {
		st->section = PL_CONNECTIONS;
		st->seen = true;
	} else {
		st->section = PL_MAIN;
		if (strncasecmp(title, pre, sizeof(pre) - 1) == 0)
			title += sizeof(pre) - 1;
		if (st->pl->database == NULL && *title != '\0')
			pl_set(&st->pl->database, title, &st->oom);
	}
}

static void
pl_status(struct pl_state *st, const char *value)
{
	pl_set(&st->pl->status_raw, value, &st->oom);
	if (strcasecmp(value, "Operational") == 0)
		st->pl->status = PGR_PL_OPERATIONAL;
	else if (strcasecmp(value, "Provisioning") == 0)
		st->pl->status = PGR_PL_PROVISIONING;
	else
		st->pl->status = PGR_PL_UNKNOWN;
}

/* "Service Name: ..." and "Status: ..." of the styled object. */
static bool
pl_field(struct pl_state *st, const char *line)
{
	const char *colon = strchr(line, ':'), *v;
	size_t klen;

	if (colon == NULL)
		return false;
	klen = (size_t)(colon - line);
	v = skip_blanks(colon + 1);
	if (klen == 12 && strncasecmp(line, "Service Name", 12) == 0) {
		st->seen = true;
		/* The plugin prints "Provisioning" until the service exists. */
		if (strcasecmp(v, "Provisioning") != 0 && *v != '\0') {
			pl_set(&st->pl->service_name, v, &st->oom);
			pgr_endpoint_region_from_service(v, st->pl->region,
			    sizeof(st->pl->region));
		}
		return true;
	}
	if (klen == 6 && strncasecmp(line, "Status", 6) == 0) {
		pl_status(st, v);
		return true;
	}
	return false;
}

/* "The privatelink endpoint is now being provisioned for <db>." */
static bool
pl_provisioning(struct pl_state *st, const char *line)
{
	static const char pre[] = "being provisioned for ";
	const char *p = strcasestr(line, pre);
	size_t n;

	if (p == NULL || strcasestr(line, "privatelink") == NULL)
		return false;
	p += sizeof(pre) - 1;
	n = strcspn(p, " ");
	while (n > 0 && p[n - 1] == '.')
		n--;
	st->seen = true;
	pl_status(st, "Provisioning");
	if (n > 0 && st->pl->database == NULL &&
	    (st->pl->database = strndup(p, n)) == NULL)
		st->oom = true;
	return true;
}

static void
pl_line(struct pl_state *st, char *line)
{
	char *tok[PL_MAXTOK];
	const char *title;
	size_t n;

	if ((title = header_title(line)) != NULL) {
		pl_header(st, title);
		return;
	}
	line = (char *)skip_blanks(line);
	if (*line == '\0' || !has_alnum(line) || pl_provisioning(st, line))
		return;
	if (st->section == PL_MAIN && pl_field(st, line))
		return;
	n = tokens(line, tok);
	if (n == 0)
		return;
	/* Column headers; they also tell a bare access table apart. */
	if (n >= 2 && strcasecmp(tok[0], "ARN") == 0) {
		st->section = PL_ACCOUNTS;
		return;
	}
	if (n >= 2 && strcasecmp(tok[0], "Endpoint") == 0) {
		st->section = PL_CONNECTIONS;
		return;
	}
	if (st->section == PL_ACCOUNTS)
		pl_account_row(st, tok, n);
	else if (st->section == PL_CONNECTIONS)
		pl_connection_row(st, tok, n);
}

/* 1 parsed, 0 not this type, -1 out of memory. */
static int
parse_privatelink(struct text *t, struct pgr_evidence_item *it)
{
	struct pl_state st;
	size_t i;

	memset(&st, 0, sizeof(st));
	st.pl = &it->u.privatelink;
	it->type = PGR_EV_PRIVATELINK;
	for (i = 0; i < t->n && !st.oom; i++)
		pl_line(&st, t->line[i]);
	if (st.oom)
		return -1;
	return st.seen ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* Text: heroku config */

/*
 * Append the shell-quoted word at *pp to b, as sh would read it; stops at
 * an unquoted blank or the end of the line.  *quote carries an open quote
 * across lines (a multi-line value); 0 when none is open.
 */
static void
shell_word(const char **pp, struct pgr_buf *b, char *quote)
{
	const char *p = *pp;

	for (; *p != '\0'; p++) {
		if (*quote == '\'') {
			if (*p == '\'')
				*quote = 0;
			else
				pgr_buf_add(b, p, 1);
		} else if (*quote == '"') {
			if (*p == '"')
				*quote = 0;
			else if (*p == '\\' && strchr("\"\\$`", p[1]) != NULL &&
			    p[1] != '\0')
				pgr_buf_add(b, ++p, 1);
			else
				pgr_buf_add(b, p, 1);
		} else if (*p == '\'' || *p == '"')
			*quote = *p;
		else if (*p == '\\' && p[1] != '\0')
			pgr_buf_add(b, ++p, 1);
		else if (*p == ' ' || *p == '\t')
			break;
		else
			pgr_buf_add(b, p, 1);
	}
	*pp = p;
}

struct cfg_state {
	struct pgr_ev_heroku_config *c;
	struct pgr_buf *out;
	bool	header;
	size_t	unknown;		/* lines that are neither var nor header */
	bool	oom;
};

/*
 * One "KEY: value" or "[export ]KEY=value" line; with --shell a quoted
 * value may go on over the next lines.  Returns the lines consumed.
 */
static size_t
cfg_var(struct cfg_state *st, struct text *t, size_t i)
{
	const char *line = skip_blanks(t->line[i]), *p;
	struct pgr_buf v = { 0 };
	char key[256], quote = 0;
	size_t klen, used = 1;

	if (strncmp(line, "export ", 7) == 0)
		line = skip_blanks(line + 7);
	klen = strspn(line, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_");
	if (!is_var_name(line, klen) || klen >= sizeof(key) ||
	    (line[klen] != ':' && line[klen] != '=')) {
		st->unknown++;
		return 1;
	}
	memcpy(key, line, klen);
	key[klen] = '\0';
	p = line + klen + 1;
	if (line[klen] == ':')
		pgr_buf_puts(&v, skip_blanks(p));
	else {
		shell_word(&p, &v, &quote);
		while (quote != 0 && i + used < t->n) {
			pgr_buf_puts(&v, "\n");
			p = t->line[i + used++];
			shell_word(&p, &v, &quote);
		}
	}
	if (v.oom || !config_var(st->c, st->out, key, v.p ? v.p : ""))
		st->oom = true;
	pgr_buf_wipe(&v);
	return used;
}

/* "<app> Config Vars" */
static void
config_app(struct pgr_ev_heroku_config *c, const char *title, bool *oom)
{
	size_t n = strlen(title) - strlen("Config Vars");

	while (n > 0 && (title[n - 1] == ' ' || title[n - 1] == '\t'))
		n--;
	if (c->app != NULL || n == 0)
		return;
	if ((c->app = strndup(title, n)) == NULL)
		*oom = true;
}

/* 1 parsed, 0 not this type, -1 out of memory. */
static int
parse_config_text(struct text *t, struct pgr_evidence_item *it,
    struct pgr_buf *out)
{
	struct cfg_state st;
	const char *title;
	size_t i = 0;

	memset(&st, 0, sizeof(st));
	st.c = &it->u.config;
	st.out = out;
	it->type = PGR_EV_HEROKU_CONFIG;
	while (i < t->n && !st.oom) {
		title = header_title(t->line[i]);
		if (title != NULL && ends_with_ci(title, "Config Vars")) {
			st.header = true;
			config_app(st.c, title, &st.oom);
			i++;
		} else if (*t->line[i] == '\0')
			i++;
		else if (*t->line[i] == ' ' || *t->line[i] == '\t')
			i++;	/* the rest of a multi-line value */
		else
			i += cfg_var(&st, t, i);
	}
	if (st.oom)
		return -1;
	/* Without the header, every line must be a variable. */
	if (!st.header && (st.unknown > 0 || st.c->nvars == 0))
		return 0;
	return 1;
}

/* ------------------------------------------------------------------ */
/* Text dispatch */

static bool
has_config_header(struct text *t)
{
	const char *title;
	size_t i;

	for (i = 0; i < t->n; i++)
		if ((title = header_title(t->line[i])) != NULL &&
		    ends_with_ci(title, "Config Vars"))
			return true;
	return false;
}

static int
parse_text(const char *buf, size_t len, struct pgr_evidence_item *it,
    struct pgr_buf *out, const char *name, char *err, size_t errlen)
{
	struct text t;
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
		rc = parse_privatelink(&t, it);
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
		rc = parse_config_text(&t, it, out);
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
	    !push(&ev->items, &ev->n, sizeof(it), &it)))
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
