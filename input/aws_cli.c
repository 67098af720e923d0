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
	struct pgr_endpoint_name en;
	json_t *pd;
	bool oom = false;
	size_t i;

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
	/* The service name says the region; failing that, a DNS name does. */
	if (!pgr_endpoint_region_from_service(v->service_name, v->region,
	    sizeof(v->region))) {
		for (i = 0; i < v->ndns && v->region[0] == '\0'; i++)
			if (pgr_endpoint_parse(v->dns[i].name, &en))
				memcpy(v->region, en.region, sizeof(v->region));
	}
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

