/*
 * EC2 Query API XML into evidence.  The answers are parsed with libxml2
 * into a tree and read by element name (the namespace is ignored: EC2 has
 * answered under several versions of it).  Lists are <xSet>/<item>;
 * absent elements are absent fields, as in the CLI's JSON.  Entities are
 * not substituted and nothing is fetched (XML_PARSE_NONET): an answer is
 * data, never a pointer to more.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "input/aws/creds.h"
#include "input/aws/ec2xml.h"
#include "report/endpoint.h"

/* ---- tree helpers ---- */

static bool
is_el(const xmlNode *n, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE &&
	    strcmp((const char *)n->name, name) == 0;
}

static xmlNode *
child(const xmlNode *n, const char *name)
{
	xmlNode *c;

	for (c = n != NULL ? n->children : NULL; c != NULL; c = c->next)
		if (is_el(c, name))
			return c;
	return NULL;
}

/* The next <item> after c (or the first under set when c is NULL). */
static xmlNode *
next_item(const xmlNode *set, xmlNode *c)
{
	for (c = c != NULL ? c->next : set != NULL ? set->children : NULL; c != NULL;
	    c = c->next)
		if (is_el(c, "item"))
			return c;
	return NULL;
}

#define FOREACH_ITEM(it, set) \
	for ((it) = next_item((set), NULL); (it) != NULL; (it) = next_item((set), (it)))

/* A malloc'd copy of child name's text, NULL if absent; *oom on failure. */
static char *
text(const xmlNode *n, const char *name, bool *oom)
{
	xmlNode *c = child(n, name);
	xmlChar *t;
	char *s;

	if (c == NULL)
		return NULL;
	if ((t = xmlNodeGetContent(c)) == NULL) {
		*oom = true;
		return NULL;
	}
	if ((s = strdup((const char *)t)) == NULL)
		*oom = true;
	xmlFree(t);
	return s;
}

/* Child name's text into buf ("" if absent or too long to be real). */
static void
text_buf(const xmlNode *n, const char *name, char *buf, size_t len)
{
	xmlNode *c = child(n, name);
	xmlChar *t;

	buf[0] = '\0';
	if (c == NULL || (t = xmlNodeGetContent(c)) == NULL)
		return;
	if (strlen((const char *)t) < len)
		memcpy(buf, t, strlen((const char *)t) + 1);
	xmlFree(t);
}

static int
int_of(const xmlNode *n, const char *name, int absent)
{
	char buf[32], *end;
	long v;

	text_buf(n, name, buf, sizeof(buf));
	if (buf[0] == '\0')
		return absent;
	errno = 0;
	v = strtol(buf, &end, 10);
	if (*end != '\0' || errno != 0 || v < -1 || v > 65535)
		return absent;
	return (int)v;
}

static int
bool_of(const xmlNode *n, const char *name)
{
	char buf[8];

	text_buf(n, name, buf, sizeof(buf));
	return buf[0] == '\0' ? -1 : strcmp(buf, "true") == 0;
}

static bool
grow(void *vp, size_t n, size_t size)
{
	void **v = vp;
	char *nv = reallocarray(*v, n + 1, size);

	if (nv == NULL)
		return false;
	memset(nv + n * size, 0, size);
	*v = nv;
	return true;
}

/* Every <item>'s field (or the item's own text if field is NULL) into *v. */
static bool
strings(const xmlNode *set, const char *field, char ***v, size_t *n)
{
	xmlNode *it;
	bool oom = false;

	FOREACH_ITEM(it, set) {
		char *s;

		if (field != NULL)
			s = text(it, field, &oom);
		else {
			xmlChar *t = xmlNodeGetContent(it);

			s = t != NULL ? strdup((const char *)t) : NULL;
			oom = s == NULL;
			xmlFree(t);
		}
		if (oom || !grow(v, *n, sizeof(**v))) {
			free(s);
			return false;
		}
		if (s != NULL)
			(*v)[(*n)++] = s;
	}
	return true;
}

/* ---- protocol and CIDR, as the CLI's JSON is read (report/evidence.c) ---- */

static int
protocol_of(const char *s)
{
	char *end;
	long n;

	if (s == NULL || strcmp(s, "-1") == 0 || strcasecmp(s, "all") == 0)
		return -1;	/* EC2's "all traffic" */
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

/* "10.0.0.0/16" or "::/0" into family/net/prefix; prefix -1 if malformed. */
static void
cidr_of(const char *s, int family, unsigned char net[16], int *prefix)
{
	char addr[64];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	int max = family == 4 ? 32 : 128;
	char *end;
	long plen;

	*prefix = -1;
	if (alen >= sizeof(addr))
		return;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (inet_pton(family == 4 ? AF_INET : AF_INET6, addr, net) != 1)
		return;
	if (slash == NULL) {
		*prefix = max;
		return;
	}
	errno = 0;
	plen = strtol(slash + 1, &end, 10);
	if (slash[1] == '\0' || *end != '\0' || errno != 0 || plen < 0 || plen > max)
		return;
	*prefix = (int)plen;
}

/* ---- DescribeVpcEndpoints ---- */

static bool
vpce_item(const xmlNode *x, struct pgr_vpce *v)
{
	xmlNode *it;
	bool oom = false;
	int pd;
	size_t i;

	v->id = text(x, "vpcEndpointId", &oom);
	v->type = text(x, "vpcEndpointType", &oom);
	v->vpc_id = text(x, "vpcId", &oom);
	v->owner_id = text(x, "ownerId", &oom);
	v->service_name = text(x, "serviceName", &oom);
	v->state_raw = text(x, "state", &oom);
	v->ip_address_type = text(x, "ipAddressType", &oom);
	if (oom)
		return false;
	v->state = v->state_raw ? pgr_vpce_state_parse(v->state_raw) : PGR_VPCE_UNKNOWN;
	pd = bool_of(x, "privateDnsEnabled");
	v->private_dns = pd;
	FOREACH_ITEM(it, child(x, "dnsEntrySet")) {
		if (!grow(&v->dns, v->ndns, sizeof(*v->dns)))
			return false;
		v->dns[v->ndns].name = text(it, "dnsName", &oom);
		v->dns[v->ndns].hosted_zone_id = text(it, "hostedZoneId", &oom);
		v->ndns++;
		if (oom)
			return false;
	}
	FOREACH_ITEM(it, child(x, "groupSet")) {
		if (!grow(&v->groups, v->ngroups, sizeof(*v->groups)))
			return false;
		v->groups[v->ngroups].id = text(it, "groupId", &oom);
		v->groups[v->ngroups].name = text(it, "groupName", &oom);
		v->ngroups++;
		if (oom)
			return false;
	}
	if (!strings(child(x, "subnetIdSet"), NULL, &v->subnets, &v->nsubnets) ||
	    !strings(child(x, "networkInterfaceIdSet"), NULL, &v->enis, &v->nenis))
		return false;
	/* The service name says the region; failing that, a DNS name does. */
	if (!pgr_endpoint_region_from_service(v->service_name, v->region,
	    sizeof(v->region))) {
		for (i = 0; i < v->ndns && v->region[0] == '\0'; i++) {
			struct pgr_endpoint_name en;

			if (v->dns[i].name && pgr_endpoint_parse(v->dns[i].name, &en))
				memcpy(v->region, en.region, sizeof(v->region));
		}
	}
	return true;
}

static bool
parse_vpce(const xmlNode *root, struct pgr_evidence_item *it)
{
	struct pgr_ev_vpc_endpoints *e = &it->u.endpoints;
	xmlNode *x;

	FOREACH_ITEM(x, child(root, "vpcEndpointSet")) {
		if (!grow(&e->v, e->n, sizeof(*e->v)))
			return false;
		e->n++;		/* counted first: a half-filled one is freed too */
		if (!vpce_item(x, &e->v[e->n - 1]))
			return false;
	}
	return true;
}

/* ---- DescribeSecurityGroups ---- */

static const struct {
	const char *set, *field;
	enum pgr_sg_source type;
} sg_sources[] = {
	{ "ipRanges", "cidrIp", PGR_SG_CIDR4 },
	{ "ipv6Ranges", "cidrIpv6", PGR_SG_CIDR6 },
	{ "groups", "groupId", PGR_SG_GROUP },
	{ "prefixListIds", "prefixListId", PGR_SG_PREFIX_LIST },
};

static bool
sg_permission(const xmlNode *p, struct pgr_sg *g)
{
	struct pgr_sg_rule proto;
	xmlNode *it;
	size_t s;
	bool oom = false;

	memset(&proto, 0, sizeof(proto));
	text_buf(p, "ipProtocol", proto.protocol_raw, sizeof(proto.protocol_raw));
	proto.protocol = protocol_of(proto.protocol_raw);
	proto.from_port = int_of(p, "fromPort", -1);
	proto.to_port = int_of(p, "toPort", -1);
	for (s = 0; s < sizeof(sg_sources) / sizeof(sg_sources[0]); s++) {
		FOREACH_ITEM(it, child(p, sg_sources[s].set)) {
			struct pgr_sg_rule r = proto;

			r.source_type = sg_sources[s].type;
			r.prefix_len = -1;
			if ((r.source = text(it, sg_sources[s].field, &oom)) == NULL) {
				if (oom)
					return false;
				continue;
			}
			if (r.source_type == PGR_SG_CIDR4 || r.source_type == PGR_SG_CIDR6) {
				r.family = r.source_type == PGR_SG_CIDR4 ? 4 : 6;
				cidr_of(r.source, r.family, r.net, &r.prefix_len);
			}
			if (!grow(&g->rules, g->nrules, sizeof(*g->rules))) {
				free(r.source);
				return false;
			}
			g->rules[g->nrules++] = r;
		}
	}
	return true;
}

static bool
parse_sg(const xmlNode *root, struct pgr_evidence_item *it)
{
	struct pgr_ev_security_groups *e = &it->u.groups;
	xmlNode *x, *p;
	bool oom = false;

	FOREACH_ITEM(x, child(root, "securityGroupInfo")) {
		struct pgr_sg *g;

		if (!grow(&e->v, e->n, sizeof(*e->v)))
			return false;
		g = &e->v[e->n++];
		g->id = text(x, "groupId", &oom);
		g->name = text(x, "groupName", &oom);
		g->vpc_id = text(x, "vpcId", &oom);
		if (oom)
			return false;
		/* ipPermissions is inbound; egress does not matter here. */
		FOREACH_ITEM(p, child(x, "ipPermissions"))
			if (!sg_permission(p, g))
				return false;
	}
	return true;
}

/* ---- DescribeSubnets ---- */

static bool
parse_subnets(const xmlNode *root, struct pgr_evidence_item *it)
{
	struct pgr_ev_subnets *e = &it->u.subnets;
	xmlNode *x;
	bool oom = false;

	FOREACH_ITEM(x, child(root, "subnetSet")) {
		struct pgr_subnet *s;

		if (!grow(&e->v, e->n, sizeof(*e->v)))
			return false;
		s = &e->v[e->n++];
		s->id = text(x, "subnetId", &oom);
		s->vpc_id = text(x, "vpcId", &oom);
		s->cidr = text(x, "cidrBlock", &oom);
		s->az = text(x, "availabilityZone", &oom);
		s->az_id = text(x, "availabilityZoneId", &oom);
		if (oom)
			return false;
	}
	return true;
}

/* ---- DescribeNetworkAcls ---- */

static int
by_rule_number(const void *a, const void *b)
{
	const struct pgr_nacl_entry *x = a, *y = b;

	return (x->rule_number > y->rule_number) - (x->rule_number < y->rule_number);
}

static bool
nacl_entry(const xmlNode *x, struct pgr_nacl *a)
{
	struct pgr_nacl_entry en;
	char proto[16], action[16];
	xmlNode *range = child(x, "portRange");
	bool oom = false;

	memset(&en, 0, sizeof(en));
	en.rule_number = int_of(x, "ruleNumber", 32767);
	en.egress = bool_of(x, "egress") == 1;
	text_buf(x, "ruleAction", action, sizeof(action));
	en.allow = strcmp(action, "allow") == 0;
	text_buf(x, "protocol", proto, sizeof(proto));
	en.protocol = protocol_of(proto);
	en.from_port = range ? int_of(range, "from", -1) : -1;
	en.to_port = range ? int_of(range, "to", -1) : -1;
	en.prefix_len = -1;
	if ((en.cidr = text(x, "cidrBlock", &oom)) != NULL)
		en.family = 4;
	else if (!oom && (en.cidr = text(x, "ipv6CidrBlock", &oom)) != NULL)
		en.family = 6;
	if (oom)
		return false;
	if (en.cidr != NULL)
		cidr_of(en.cidr, en.family, en.net, &en.prefix_len);
	if (!grow(&a->entries, a->nentries, sizeof(*a->entries))) {
		free(en.cidr);
		return false;
	}
	a->entries[a->nentries++] = en;
	return true;
}

static bool
parse_nacls(const xmlNode *root, struct pgr_evidence_item *it)
{
	struct pgr_ev_network_acls *e = &it->u.acls;
	xmlNode *x, *y;
	bool oom = false;

	FOREACH_ITEM(x, child(root, "networkAclSet")) {
		struct pgr_nacl *a;

		if (!grow(&e->v, e->n, sizeof(*e->v)))
			return false;
		a = &e->v[e->n++];
		a->id = text(x, "networkAclId", &oom);
		a->vpc_id = text(x, "vpcId", &oom);
		a->is_default = bool_of(x, "default") == 1;
		if (oom || !strings(child(x, "associationSet"), "subnetId",
		    &a->subnets, &a->nsubnets))
			return false;
		FOREACH_ITEM(y, child(x, "entrySet"))
			if (!nacl_entry(y, a))
				return false;
		/* A network ACL is evaluated lowest rule number first. */
		if (a->nentries > 1)
			qsort(a->entries, a->nentries, sizeof(*a->entries), by_rule_number);
	}
	return true;
}

/* ---- DescribeNetworkInterfaces ---- */

static bool
parse_enis(const xmlNode *root, struct pgr_evidence_item *it)
{
	struct pgr_ev_network_interfaces *e = &it->u.enis;
	xmlNode *x;
	bool oom = false;

	FOREACH_ITEM(x, child(root, "networkInterfaceSet")) {
		struct pgr_eni *n;

		if (!grow(&e->v, e->n, sizeof(*e->v)))
			return false;
		n = &e->v[e->n++];
		n->id = text(x, "networkInterfaceId", &oom);
		n->subnet_id = text(x, "subnetId", &oom);
		n->vpc_id = text(x, "vpcId", &oom);
		n->az = text(x, "availabilityZone", &oom);
		n->status = text(x, "status", &oom);
		n->type = text(x, "interfaceType", &oom);
		if (oom || !strings(child(x, "privateIpAddressesSet"), "privateIpAddress",
		    &n->addrs, &n->naddrs) ||
		    !strings(child(x, "ipv6AddressesSet"), "ipv6Address",
		    &n->addrs, &n->naddrs))
			return false;
		/* Older answers carry only the primary address at the top. */
		if (n->naddrs == 0) {
			char *a = text(x, "privateIpAddress", &oom);

			if (oom)
				return false;
			if (a != NULL) {
				if (!grow(&n->addrs, 0, sizeof(*n->addrs))) {
					free(a);
					return false;
				}
				n->addrs[n->naddrs++] = a;
			}
		}
	}
	return true;
}

/* ---- entry points ---- */

static const struct {
	const char *root;		/* the answer's document element */
	enum pgr_evidence_type type;
	bool (*parse)(const xmlNode *, struct pgr_evidence_item *);
} answers[PGR_AWS__NACTIONS] = {
	[PGR_AWS_DESCRIBE_VPC_ENDPOINTS] = { "DescribeVpcEndpointsResponse",
	    PGR_EV_VPC_ENDPOINTS, parse_vpce },
	[PGR_AWS_DESCRIBE_SECURITY_GROUPS] = { "DescribeSecurityGroupsResponse",
	    PGR_EV_SECURITY_GROUPS, parse_sg },
	[PGR_AWS_DESCRIBE_SUBNETS] = { "DescribeSubnetsResponse",
	    PGR_EV_SUBNETS, parse_subnets },
	[PGR_AWS_DESCRIBE_NETWORK_ACLS] = { "DescribeNetworkAclsResponse",
	    PGR_EV_NETWORK_ACLS, parse_nacls },
	[PGR_AWS_DESCRIBE_NETWORK_INTERFACES] = { "DescribeNetworkInterfacesResponse",
	    PGR_EV_NETWORK_INTERFACES, parse_enis },
};

/* No network, no entity expansion, no DTD; errors are ours to report, not stderr's. */
static xmlDoc *
read_doc(const char *xml, size_t len)
{
	if (xml == NULL || len == 0 || len > PGR_EVIDENCE_MAX_SIZE)
		return NULL;
	return xmlReadMemory(xml, (int)len, "aws.xml", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

bool
pgr_ec2xml_error(const char *xml, size_t len, char *code, size_t codelen,
    char *msg, size_t msglen, char *request_id, size_t idlen)
{
	xmlDoc *doc = read_doc(xml, len);
	xmlNode *root, *err;
	bool found = false;

	code[0] = msg[0] = request_id[0] = '\0';
	if (doc == NULL)
		return false;
	root = xmlDocGetRootElement(doc);
	/* EC2: <Response><Errors><Error>; STS: <ErrorResponse><Error>. */
	if (is_el(root, "Response") || is_el(root, "ErrorResponse")) {
		err = child(child(root, "Errors"), "Error");
		if (err == NULL)
			err = child(root, "Error");
		if (err != NULL) {
			found = true;
			text_buf(err, "Code", code, codelen);
			text_buf(err, "Message", msg, msglen);
			text_buf(root, "RequestID", request_id, idlen);
			if (request_id[0] == '\0')
				text_buf(root, "RequestId", request_id, idlen);
		}
	}
	xmlFreeDoc(doc);
	return found;
}

int
pgr_ec2xml_parse(enum pgr_aws_action a, const char *xml, size_t len,
    struct pgr_evidence_item *it, char *next_token, size_t ntlen,
    char *request_id, size_t idlen, char *err, size_t errlen)
{
	xmlDoc *doc;
	xmlNode *root;
	bool ok;

	next_token[0] = request_id[0] = '\0';
	if ((unsigned)a >= PGR_AWS__NACTIONS) {
		snprintf(err, errlen, "unknown action");
		return -1;
	}
	it->type = answers[a].type;
	if ((doc = read_doc(xml, len)) == NULL) {
		snprintf(err, errlen, "the answer is not well-formed XML");
		return -1;
	}
	root = xmlDocGetRootElement(doc);
	if (!is_el(root, answers[a].root)) {
		snprintf(err, errlen, "expected <%s>, got <%.60s>", answers[a].root,
		    root != NULL ? (const char *)root->name : "");
		xmlFreeDoc(doc);
		return -1;
	}
	text_buf(root, "requestId", request_id, idlen);
	text_buf(root, "nextToken", next_token, ntlen);
	ok = answers[a].parse(root, it);
	xmlFreeDoc(doc);
	if (!ok) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

int
pgr_ec2xml_sts_creds(const char *xml, size_t len, struct pgr_aws_creds *c,
    char *err, size_t errlen)
{
	xmlDoc *doc = read_doc(xml, len);
	xmlNode *root, *cr;
	char token[4096];
	int rc = -1;

	if (doc == NULL) {
		snprintf(err, errlen, "STS: the answer is not well-formed XML");
		return -1;
	}
	root = xmlDocGetRootElement(doc);
	cr = child(child(root, "AssumeRoleWithWebIdentityResult"), "Credentials");
	if (!is_el(root, "AssumeRoleWithWebIdentityResponse") || cr == NULL) {
		snprintf(err, errlen, "STS: no credentials in the answer");
		goto out;
	}
	text_buf(cr, "AccessKeyId", c->access_key, sizeof(c->access_key));
	text_buf(cr, "SecretAccessKey", c->secret_key, sizeof(c->secret_key));
	text_buf(cr, "SessionToken", token, sizeof(token));
	if (c->access_key[0] == '\0' || c->secret_key[0] == '\0') {
		snprintf(err, errlen, "STS: the credentials are incomplete");
		goto out;
	}
	free(c->session_token);
	c->session_token = token[0] ? strdup(token) : NULL;
	rc = token[0] && c->session_token == NULL ? -1 : 0;
	if (rc != 0)
		snprintf(err, errlen, "out of memory");
out:
	explicit_bzero(token, sizeof(token));
	xmlFreeDoc(doc);
	return rc;
}
