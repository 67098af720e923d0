/*
 * The security-group policy: does TCP to a port get in from this client,
 * by the groups of the evidence (the endpoint's, where the evidence names
 * them)?  The analysis asks it for the diagnosis and for the checklist.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "probes/result.h"
#include "report/evidence.h"

struct sg_scan {
	bool	have_client;
	int	family;			/* of the client: 4 or 6 */
	unsigned char addr[16];
	int	port;
	const struct pgr_sg *g[3];	/* allowed, partial, by reference */
	const struct pgr_sg_rule *r[3];
};

enum { SCAN_ALLOW, SCAN_PARTIAL, SCAN_REF };

static bool
rule_covers_port(const struct pgr_sg_rule *r, int port)
{
	if (r->protocol == -1)
		return true;	/* all traffic: EC2 ignores the ports */
	if (r->protocol != 6)
		return false;
	if (r->from_port == -1 && r->to_port == -1)
		return true;
	return r->from_port <= port && port <= r->to_port;
}

static bool
cidr_contains(const struct pgr_sg_rule *r, int family,
    const unsigned char *addr)
{
	int bits = r->prefix_len, i;
	unsigned char mask;

	if (bits < 0 || r->family != family)
		return false;
	for (i = 0; bits >= 8; i++, bits -= 8)
		if (r->net[i] != addr[i])
			return false;
	if (bits == 0)
		return true;
	mask = (unsigned char)(0xff << (8 - bits));
	return (r->net[i] & mask) == (addr[i] & mask);
}

static void
describe_rule(const struct pgr_sg_rule *r, char *buf, size_t len)
{
	if (r->protocol == -1)
		snprintf(buf, len, "all traffic");
	else if (r->from_port == -1 && r->to_port == -1)
		snprintf(buf, len, "tcp, all ports,");
	else if (r->from_port == r->to_port)
		snprintf(buf, len, "tcp %d", r->from_port);
	else
		snprintf(buf, len, "tcp %d-%d", r->from_port, r->to_port);
}

static void
describe_group(const struct pgr_sg *g, char *buf, size_t len)
{
	if (g->name != NULL)
		snprintf(buf, len, "%s (%s)", g->id ? g->id : "?", g->name);
	else
		snprintf(buf, len, "%s", g->id ? g->id : "?");
}

static void
scan_note(struct sg_scan *sc, int what, const struct pgr_sg *g,
    const struct pgr_sg_rule *r)
{
	if (sc->r[what] == NULL) {
		sc->g[what] = g;
		sc->r[what] = r;
	}
}

static void
scan_group(struct sg_scan *sc, const struct pgr_sg *g)
{
	const struct pgr_sg_rule *r;
	size_t i;

	for (i = 0; i < g->nrules; i++) {
		r = &g->rules[i];
		if (!rule_covers_port(r, sc->port))
			continue;
		if (r->source_type == PGR_SG_GROUP ||
		    r->source_type == PGR_SG_PREFIX_LIST)
			scan_note(sc, SCAN_REF, g, r);
		else if (sc->have_client ?
		    cidr_contains(r, sc->family, sc->addr) : r->prefix_len == 0)
			scan_note(sc, SCAN_ALLOW, g, r);
		else
			scan_note(sc, SCAN_PARTIAL, g, r);
	}
}

/* Does endpoint v name a group (sg_id, or any if NULL)? */
static bool
vpce_names_group(const struct pgr_vpce *v, const char *sg_id, bool *attached)
{
	size_t k;

	for (k = 0; k < v->ngroups; k++)
		if (sg_id != NULL && v->groups[k].id != NULL &&
		    strcmp(v->groups[k].id, sg_id) == 0)
			*attached = true;
	return v->ngroups > 0;
}

/*
 * The endpoint's groups, if a describe-vpc-endpoints item names any; with
 * only (the endpoint the target stands for) its own groups alone.
 */
static bool
endpoint_groups_known(const struct pgr_evidence *ev, const struct pgr_vpce *only,
    const char *sg_id, bool *attached)
{
	const struct pgr_ev_vpc_endpoints *e;
	bool known = false;
	size_t i, j;

	*attached = false;
	if (only != NULL && only->ngroups > 0)
		return vpce_names_group(only, sg_id, attached);
	for (i = 0; i < ev->n; i++) {
		if (ev->items[i].type != PGR_EV_VPC_ENDPOINTS)
			continue;
		e = &ev->items[i].u.endpoints;
		for (j = 0; j < e->n; j++)
			known |= vpce_names_group(&e->v[j], sg_id, attached);
	}
	return known;
}

static void
group_list_add(const struct pgr_vpce *v, char *buf, size_t len)
{
	size_t k, used;

	for (k = 0; k < v->ngroups; k++) {
		used = strlen(buf);
		snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
		    v->groups[k].id);
	}
}

/* "sg-a, sg-b": the groups the endpoints name (only's, if given), for a message. */
static void
endpoint_group_list(const struct pgr_evidence *ev, const struct pgr_vpce *only,
    char *buf, size_t len)
{
	const struct pgr_ev_vpc_endpoints *e;
	size_t i, j;

	buf[0] = '\0';
	if (only != NULL && only->ngroups > 0) {
		group_list_add(only, buf, len);
		return;
	}
	for (i = 0; i < ev->n; i++) {
		if (ev->items[i].type != PGR_EV_VPC_ENDPOINTS)
			continue;
		e = &ev->items[i].u.endpoints;
		for (j = 0; j < e->n; j++)
			group_list_add(&e->v[j], buf, len);
	}
}

/* Run scan_group() over the groups that count; returns how many did. */
static size_t
scan_groups(const struct pgr_evidence *ev, const struct pgr_vpce *only,
    struct sg_scan *sc, char *names, size_t len)
{
	const struct pgr_ev_security_groups *e;
	char one[160];
	size_t i, j, n = 0, used;
	bool restrict_, attached;

	restrict_ = endpoint_groups_known(ev, only, NULL, &attached);
	names[0] = '\0';
	for (i = 0; i < ev->n; i++) {
		if (ev->items[i].type != PGR_EV_SECURITY_GROUPS)
			continue;
		e = &ev->items[i].u.groups;
		for (j = 0; j < e->n; j++) {
			endpoint_groups_known(ev, only, e->v[j].id, &attached);
			if (restrict_ && !attached)
				continue;
			scan_group(sc, &e->v[j]);
			describe_group(&e->v[j], one, sizeof(one));
			used = strlen(names);
			if (n < 3)
				snprintf(names + used, len - used, "%s%s",
				    n ? ", " : "", one);
			else if (n == 3)
				snprintf(names + used, len - used, " and more");
			n++;
		}
	}
	return n;
}

static int
client_parse(struct sg_scan *sc, const char *client)
{
	static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0xff, 0xff };

	if (client == NULL)
		return 0;
	sc->have_client = true;
	if (inet_pton(AF_INET, client, sc->addr) == 1) {
		sc->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, client, sc->addr) != 1)
		return -1;
	sc->family = 6;
	/* ::ffff:10.0.0.10 is 10.0.0.10 to a security group. */
	if (memcmp(sc->addr, v4mapped, sizeof(v4mapped)) == 0) {
		memmove(sc->addr, sc->addr + 12, 4);
		sc->family = 4;
	}
	return 0;
}

static int
sg_verdict(const struct sg_scan *sc, const char *client, const char *names,
    char *why, size_t len)
{
	char rule[48], grp[160];
	const char *from = client ? client : "anywhere";

	if (sc->r[SCAN_ALLOW] != NULL) {
		describe_rule(sc->r[SCAN_ALLOW], rule, sizeof(rule));
		describe_group(sc->g[SCAN_ALLOW], grp, sizeof(grp));
		snprintf(why, len, "%s allows %s from %s", grp, rule,
		    sc->r[SCAN_ALLOW]->source);
		return 1;
	}
	if (sc->r[SCAN_REF] != NULL) {
		describe_group(sc->g[SCAN_REF], grp, sizeof(grp));
		snprintf(why, len, "tcp %d is allowed only from %s %s (by %s); "
		    "whether %s is in it is not in the evidence", sc->port,
		    sc->r[SCAN_REF]->source_type == PGR_SG_GROUP ?
		    "security group" : "prefix list", sc->r[SCAN_REF]->source,
		    grp, client ? client : "the client");
		return -1;
	}
	if (sc->r[SCAN_PARTIAL] != NULL) {
		describe_group(sc->g[SCAN_PARTIAL], grp, sizeof(grp));
		if (client == NULL) {
			snprintf(why, len, "tcp %d is open only to %s (%s); give "
			    "the client address to tell", sc->port,
			    sc->r[SCAN_PARTIAL]->source, grp);
			return -1;
		}
		snprintf(why, len, "no inbound rule of %s allows tcp %d from %s; "
		    "tcp %d is open only to %s (%s)", names, sc->port, client,
		    sc->port, sc->r[SCAN_PARTIAL]->source, grp);
		return 0;
	}
	snprintf(why, len, "no inbound rule of %s allows tcp %d from %s",
	    names, sc->port, from);
	return 0;
}

int
pgr_sg_allows(const struct pgr_evidence *ev, const char *client_addr,
    int port, char *why, size_t len)
{
	return pgr_sg_allows_vpce(ev, NULL, client_addr, port, why, len);
}

int
pgr_sg_allows_vpce(const struct pgr_evidence *ev, const struct pgr_vpce *v,
    const char *client_addr, int port, char *why, size_t len)
{
	struct sg_scan sc;
	char names[512], dummy[1];
	bool attached;
	size_t i, nsg = 0;

	if (why == NULL || len == 0) {
		why = dummy;
		len = sizeof(dummy);
	}
	why[0] = '\0';
	memset(&sc, 0, sizeof(sc));
	sc.port = port;
	if (port < 1 || port > 65535)
		return pgr_fail(why, len, "%d is not a TCP port", port);
	if (client_parse(&sc, client_addr) == -1)
		return pgr_fail(why, len, "'%s' is not an IP address", client_addr);
	for (i = 0; ev != NULL && i < ev->n; i++)
		if (ev->items[i].type == PGR_EV_SECURITY_GROUPS)
			nsg++;
	if (nsg == 0)
		return pgr_fail(why, len, "no describe-security-groups evidence");
	if (scan_groups(ev, v, &sc, names, sizeof(names)) == 0) {
		if (endpoint_groups_known(ev, v, NULL, &attached)) {
			endpoint_group_list(ev, v, names, sizeof(names));
			return pgr_fail(why, len, "the endpoint's security groups "
			    "(%s) are not in the describe-security-groups "
			    "evidence", names);
		}
		return pgr_fail(why, len, "the describe-security-groups evidence "
		    "lists no groups");
	}
	return sg_verdict(&sc, client_addr, names, why, len);
}
