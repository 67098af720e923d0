/*
 * The AWS CLI's JSON: aws ec2 describe-vpc-endpoints and
 * describe-security-groups, into the evidence model (report/evidence.h).
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



/* ------------------------------------------------------------------ */
/* describe-vpc-endpoints */

/*
 * The regions of an endpoint: its own, from its DNS names, and its
 * service's, from ServiceRegion (a cross-region endpoint) or the service
 * name.  region is the service's, else the endpoint's own.
 */
void
pgr_vpce_regions(struct pgr_vpce *v)
{
	struct pgr_endpoint_name en;
	size_t i;

	for (i = 0; i < v->ndns && v->dns_region[0] == '\0'; i++)
		if (pgr_endpoint_parse(v->dns[i].name, &en))
			snprintf(v->dns_region, sizeof(v->dns_region), "%s", en.region);
	if (v->service_region[0] != '\0')
		snprintf(v->region, sizeof(v->region), "%s", v->service_region);
	else if (!pgr_endpoint_region_from_service(v->service_name, v->region,
	    sizeof(v->region)))
		snprintf(v->region, sizeof(v->region), "%s", v->dns_region);
}

static bool
vpce_lists(json_t *o, struct pgr_vpce *v, bool *oom)
{
	json_t *a, *e;
	size_t i;

	if ((a = pgr_ev_jarray(o, "DnsEntries")) != NULL) {
		v->dns = calloc(json_array_size(a) + 1, sizeof(*v->dns));
		if (v->dns == NULL)
			return false;
		json_array_foreach(a, i, e) {
			if ((v->dns[v->ndns].name = pgr_ev_jstr(e, "DnsName", oom)) == NULL)
				continue;
			v->dns[v->ndns++].hosted_zone_id =
			    pgr_ev_jstr(e, "HostedZoneId", oom);
		}
	}
	if ((a = pgr_ev_jarray(o, "Groups")) != NULL) {
		v->groups = calloc(json_array_size(a) + 1, sizeof(*v->groups));
		if (v->groups == NULL)
			return false;
		json_array_foreach(a, i, e) {
			if ((v->groups[v->ngroups].id = pgr_ev_jstr(e, "GroupId", oom)) == NULL)
				continue;
			v->groups[v->ngroups++].name = pgr_ev_jstr(e, "GroupName", oom);
		}
	}
	if ((a = pgr_ev_jarray(o, "SubnetIds")) != NULL) {
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
	json_t *pd, *sr;
	bool oom = false;

	v->id = pgr_ev_jstr(o, "VpcEndpointId", &oom);
	v->type = pgr_ev_jstr(o, "VpcEndpointType", &oom);
	v->vpc_id = pgr_ev_jstr(o, "VpcId", &oom);
	v->owner_id = pgr_ev_jstr(o, "OwnerId", &oom);
	v->service_name = pgr_ev_jstr(o, "ServiceName", &oom);
	v->state_raw = pgr_ev_jstr(o, "State", &oom);
	v->state = pgr_vpce_state_parse(v->state_raw);
	pd = json_object_get(o, "PrivateDnsEnabled");
	v->private_dns = json_is_boolean(pd) ? json_is_true(pd) : -1;
	if (oom || !vpce_lists(o, v, &oom))
		return false;
	sr = json_object_get(o, "ServiceRegion");
	if (json_is_string(sr) && pgr_region_valid(json_string_value(sr)))
		snprintf(v->service_region, sizeof(v->service_region), "%s",
		    json_string_value(sr));
	pgr_vpce_regions(v);
	return true;
}

int
pgr_ev_parse_vpc_endpoints(json_t *list, struct pgr_evidence_item *it,
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
	proto.from_port = pgr_ev_jport(perm, "FromPort");
	proto.to_port = pgr_ev_jport(perm, "ToPort");
	for (s = 0; s < sizeof(sg_sources) / sizeof(sg_sources[0]); s++) {
		if ((list = pgr_ev_jarray(perm, sg_sources[s].list)) == NULL)
			continue;
		json_array_foreach(list, i, e) {
			r = proto;
			r.source_type = sg_sources[s].type;
			r.prefix_len = -1;
			if ((r.source = pgr_ev_jstr(e, sg_sources[s].field, &oom)) == NULL) {
				if (oom)
					return false;
				continue;
			}
			if (r.source_type == PGR_SG_CIDR4 ||
			    r.source_type == PGR_SG_CIDR6)
				parse_cidr(&r);
			if (!pgr_ev_push(&g->rules, &g->nrules, sizeof(r), &r)) {
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

	g->id = pgr_ev_jstr(o, "GroupId", &oom);
	g->name = pgr_ev_jstr(o, "GroupName", &oom);
	g->vpc_id = pgr_ev_jstr(o, "VpcId", &oom);
	if (oom)
		return false;
	/* IpPermissions is inbound; IpPermissionsEgress does not matter here. */
	if ((perms = pgr_ev_jarray(o, "IpPermissions")) == NULL)
		return true;
	json_array_foreach(perms, i, p) {
		if (json_is_object(p) && !sg_permission(p, g))
			return false;
	}
	return true;
}

int
pgr_ev_parse_security_groups(json_t *list, struct pgr_evidence_item *it,
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
/* describe-vpc-endpoints --output text / --output table */

/*
 * awscli's text output writes each object as one tab-separated line: its
 * name in capitals (VPCENDPOINTS), then its scalar values in the order of
 * their sorted keys; each list in it follows as lines of its own
 * (DNSENTRIES, GROUPS, SUBNETIDS, NETWORKINTERFACEIDS).  Which keys an
 * endpoint has varies, so a value is known by its shape, not its column.
 * The table output draws the same tree as boxes: a title row per object
 * ("VpcEndpoints", "DnsEntries") and key | value rows, or a row of keys
 * over a row of values; a value is known by its shape there too.
 */

enum vt_section {
	VT_OTHER,
	VT_ENDPOINT,		/* VPCENDPOINTS / VpcEndpoints */
	VT_DNS,			/* DNSENTRIES / DnsEntries */
	VT_GROUPS,		/* GROUPS / Groups */
	VT_SUBNETS,		/* SUBNETIDS / SubnetIds */
	VT_ENIS			/* NETWORKINTERFACEIDS / NetworkInterfaceIds */
};

static const struct {
	const char *name;
	enum vt_section s;
} vt_sections[] = {
	{ "VpcEndpoints", VT_ENDPOINT }, { "DnsEntries", VT_DNS },
	{ "Groups", VT_GROUPS }, { "SubnetIds", VT_SUBNETS },
	{ "NetworkInterfaceIds", VT_ENIS }, { "DnsOptions", VT_OTHER },
	{ "Tags", VT_OTHER }, { "RouteTableIds", VT_OTHER },
	{ "Ipv4Prefixes", VT_OTHER }, { "Ipv6Prefixes", VT_OTHER },
	{ "LastError", VT_OTHER }, { "DescribeVpcEndpoints", VT_OTHER },
};

/* The section a title names (any case: text writes it in capitals); -1. */
static int
vt_section_of(const char *cell)
{
	size_t i;

	for (i = 0; i < sizeof(vt_sections) / sizeof(vt_sections[0]); i++)
		if (strcasecmp(cell, vt_sections[i].name) == 0)
			return (int)vt_sections[i].s;
	return -1;
}

/* "<prefix><hex>" with at least 8 hex digits: vpce-0a1b..., sg-..., vpc-... */
static bool
vt_id(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(s, prefix, n) == 0 && strlen(s + n) >= 8 &&
	    strspn(s + n, "0123456789abcdef") == strlen(s + n);
}

#define VT_MAXCELLS	24

/*
 * Split a row into trimmed cells on tabs (text) or on '|' (table).  Empty
 * cells of a table's borders are dropped; a rule (+----+) gives none.
 */
static size_t
vt_cells(char *row, bool table, char *cell[VT_MAXCELLS])
{
	size_t n = 0;
	char *p = row, *end;

	if (table && strspn(row, " -+|") == strlen(row))
		return 0;
	while (p != NULL && n < VT_MAXCELLS) {
		char *c = p;

		if ((p = strchr(p, table ? '|' : '\t')) != NULL)
			*p++ = '\0';
		c = (char *)pgr_ev_skip_blanks(c);
		end = c + strlen(c);
		while (end > c && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (*c != '\0' || !table)
			cell[n++] = c;
	}
	return n;
}

struct vt_state {
	struct pgr_ev_vpc_endpoints *e;
	struct pgr_vpce *v;		/* the endpoint being read, NULL */
	enum vt_section section;
	const char *key;		/* a table's key cell before its value */
	bool	oom;
	bool	noid;			/* an endpoint ended without its ID */
};

static void
vt_set(char **dst, const char *src, bool *oom)
{
	if (*dst != NULL)
		return;		/* the first one seen is the endpoint's */
	if ((*dst = strdup(src)) == NULL)
		*oom = true;
}

static void
vt_push_str(char ***v, size_t *n, const char *s, bool *oom)
{
	char *copy = strdup(s);

	if (copy == NULL || !pgr_ev_push(v, n, sizeof(copy), &copy)) {
		free(copy);
		*oom = true;
	}
}

/* One value cell of the endpoint itself, known by its shape. */
static void
vt_endpoint_value(struct vt_state *st, const char *c)
{
	struct pgr_vpce *v = st->v;
	enum pgr_vpce_state s;

	if (vt_id(c, "vpce-") && strncmp(c, "vpce-svc-", 9) != 0)
		vt_set(&v->id, c, &st->oom);
	else if (vt_id(c, "vpc-"))
		vt_set(&v->vpc_id, c, &st->oom);
	else if (strncmp(c, "com.amazonaws.", 14) == 0 ||
	    strncmp(c, "cn.com.amazonaws.", 17) == 0)
		vt_set(&v->service_name, c, &st->oom);
	else if (strlen(c) == 12 && strspn(c, "0123456789") == 12)
		vt_set(&v->owner_id, c, &st->oom);
	else if (pgr_region_valid(c) && v->service_region[0] == '\0')
		snprintf(v->service_region, sizeof(v->service_region), "%s", c);
	else if (strcmp(c, "Interface") == 0 || strcmp(c, "Gateway") == 0 ||
	    strcmp(c, "GatewayLoadBalancer") == 0 || strcmp(c, "Resource") == 0 ||
	    strcmp(c, "ServiceNetwork") == 0)
		vt_set(&v->type, c, &st->oom);
	else if (v->state_raw == NULL &&
	    (s = pgr_vpce_state_parse(c)) != PGR_VPCE_UNKNOWN) {
		v->state = s;
		vt_set(&v->state_raw, c, &st->oom);
	} else if (st->key != NULL && strcmp(st->key, "PrivateDnsEnabled") == 0)
		v->private_dns = strcasecmp(c, "True") == 0 ? 1 :
		    strcasecmp(c, "False") == 0 ? 0 : -1;
}

static void
vt_value(struct vt_state *st, const char *c)
{
	struct pgr_vpce *v = st->v;

	switch (st->section) {
	case VT_ENDPOINT:
		vt_endpoint_value(st, c);
		break;
	case VT_DNS:
		if (strstr(c, ".amazonaws.com") != NULL) {
			struct pgr_vpce_dns d = { NULL, NULL };

			if ((d.name = strdup(c)) == NULL ||
			    !pgr_ev_push(&v->dns, &v->ndns, sizeof(d), &d)) {
				free(d.name);
				st->oom = true;
			}
		} else if (c[0] == 'Z' && v->ndns > 0 &&
		    strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == strlen(c))
			vt_set(&v->dns[v->ndns - 1].hosted_zone_id, c, &st->oom);
		break;
	case VT_GROUPS:
		if (vt_id(c, "sg-")) {
			struct pgr_vpce_group g = { NULL, NULL };

			if ((g.id = strdup(c)) == NULL ||
			    !pgr_ev_push(&v->groups, &v->ngroups, sizeof(g), &g)) {
				free(g.id);
				st->oom = true;
			}
		} else if (v->ngroups > 0 && strcmp(c, "GroupName") != 0 &&
		    strcmp(c, "GroupId") != 0)
			vt_set(&v->groups[v->ngroups - 1].name, c, &st->oom);
		break;
	case VT_SUBNETS:
		if (vt_id(c, "subnet-"))
			vt_push_str(&v->subnets, &v->nsubnets, c, &st->oom);
		break;
	case VT_ENIS:
		if (vt_id(c, "eni-"))
			vt_push_str(&v->enis, &v->nenis, c, &st->oom);
		break;
	case VT_OTHER:
		break;
	}
}

static void
vt_new_endpoint(struct vt_state *st)
{
	struct pgr_vpce v;

	/* One without an ID is an error: stop at once, not after a million. */
	if (st->v != NULL && st->v->id == NULL) {
		st->noid = true;
		return;
	}
	memset(&v, 0, sizeof(v));
	v.private_dns = -1;
	if (!pgr_ev_push(&st->e->v, &st->e->n, sizeof(v), &v)) {
		st->oom = true;
		st->v = NULL;
		return;
	}
	st->v = &st->e->v[st->e->n - 1];
}

static void
vt_row(struct vt_state *st, char *line, bool table)
{
	char *cell[VT_MAXCELLS];
	size_t n = vt_cells(line, table, cell), i = 0;
	int s;

	if (n == 0)
		return;
	/* A title: text's first cell, or a table row of one known name. */
	if ((s = vt_section_of(cell[0])) >= 0 && (!table || n == 1)) {
		st->section = (enum vt_section)s;
		if (st->section == VT_ENDPOINT && (!table || st->v == NULL ||
		    st->v->id != NULL))
			vt_new_endpoint(st);
		if (table)
			return;
		i = 1;
	}
	if (st->v == NULL)
		return;
	st->key = table && n == 2 ? cell[0] : NULL;
	for (; i < n && !st->oom; i++)
		vt_value(st, cell[i]);
}

/*
 * 1 parsed, 0 not this output, -1 an error in err (out of memory, or the
 * output of describe-vpc-endpoints with no endpoint ID in it).
 */
int
pgr_ev_parse_vpc_endpoints_text(struct pgr_ev_text *t, struct pgr_evidence_item *it,
    const char *name, char *err, size_t errlen)
{
	struct vt_state st;
	bool text = false, table = false;
	size_t i;

	for (i = 0; i < t->n && !text && !table; i++) {
		text = strncmp(t->line[i], "VPCENDPOINTS\t", 13) == 0;
		table = t->line[i][0] == '|' &&
		    strstr(t->line[i], " DescribeVpcEndpoints ") != NULL;
	}
	if (!text && !table)
		return 0;
	memset(&st, 0, sizeof(st));
	st.e = &it->u.endpoints;
	it->type = PGR_EV_VPC_ENDPOINTS;
	for (i = 0; i < t->n && !st.oom && !st.noid; i++)
		vt_row(&st, t->line[i], table);
	if (st.oom)
		return pgr_fail(err, errlen, "%s: out of memory", name);
	for (i = 0; i < st.e->n; i++) {
		if (st.e->v[i].id == NULL)
			return pgr_fail(err, errlen, "%s: aws ec2 describe-vpc-endpoints "
			    "%s output, but endpoint %zu has no VpcEndpointId (vpce-...)",
			    name, table ? "table" : "text", i + 1);
		pgr_vpce_regions(&st.e->v[i]);
	}
	if (st.e->n == 0)
		return pgr_fail(err, errlen, "%s: aws ec2 describe-vpc-endpoints "
		    "%s output without an endpoint", name, table ? "table" : "text");
	return 1;
}
