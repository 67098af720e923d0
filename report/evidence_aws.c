/*
 * Reading the evidence --aws adds (input/aws): network ACLs and network
 * interfaces.  AWS facts: a network ACL is stateless, so the answers to a
 * client leave through its outbound rules to the client's ephemeral port
 * (Linux picks 32768-60999, AWS documents 1024-65535); its rules are
 * evaluated lowest number first and the first match decides; rule 32767
 * ("*") denies what no rule matched.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "report/evidence.h"

const struct pgr_ev_aws_calls *
pgr_evidence_aws(const struct pgr_evidence *ev)
{
	const struct pgr_evidence_item *it = pgr_evidence_find(ev, PGR_EV_AWS_CALLS);

	return it != NULL ? &it->u.aws : NULL;
}

static bool
contains(const struct pgr_nacl_entry *e, int family, const unsigned char *a)
{
	int bits = e->prefix_len, i;

	if (e->prefix_len < 0 || e->family != family)
		return false;
	for (i = 0; bits > 0; i++, bits -= 8) {
		unsigned char m = bits >= 8 ? 0xff : (unsigned char)(0xff << (8 - bits));

		if ((a[i] & m) != (e->net[i] & m))
			return false;
	}
	return true;
}

/* The first entry of a that decides TCP to port (one direction); NULL: none. */
static const struct pgr_nacl_entry *
decide(const struct pgr_nacl *a, bool egress, int family, const unsigned char *addr,
    int port)
{
	size_t i;

	for (i = 0; i < a->nentries; i++) {
		const struct pgr_nacl_entry *e = &a->entries[i];

		if (e->egress != egress || (e->protocol != -1 && e->protocol != 6))
			continue;
		if (e->protocol == 6 && e->from_port >= 0 &&
		    (port < e->from_port || port > e->to_port))
			continue;
		if (contains(e, family, addr))
			return e;
	}
	return NULL;
}

/* --aws in several regions gives one item per region: every item counts. */
static const struct pgr_nacl *
acl_of(const struct pgr_evidence *ev, const char *subnet)
{
	size_t n, i, j;

	for (n = 0; n < ev->n; n++) {
		const struct pgr_evidence_item *it = &ev->items[n];

		if (it->type != PGR_EV_NETWORK_ACLS)
			continue;
		for (i = 0; i < it->u.acls.n; i++)
			for (j = 0; j < it->u.acls.v[i].nsubnets; j++)
				if (strcmp(it->u.acls.v[i].subnets[j], subnet) == 0)
					return &it->u.acls.v[i];
	}
	return NULL;
}

int
pgr_nacl_allows(const struct pgr_evidence *ev, const struct pgr_vpce *v,
    const char *client_addr, int port, int direction, char *why, size_t len)
{
	/* The return traffic: both ends and the middle of the ephemeral range. */
	static const int ephemeral[] = { 1024, 32768, 49152, 60999, 65535 };
	unsigned char addr[16];
	int family, verdict = 1;
	size_t s, k, nports = direction ? sizeof(ephemeral) / sizeof(ephemeral[0]) : 1;

	why[0] = '\0';
	if (v == NULL || v->nsubnets == 0 || client_addr == NULL ||
	    pgr_evidence_find(ev, PGR_EV_NETWORK_ACLS) == NULL)
		return -1;
	family = strchr(client_addr, ':') != NULL ? 6 : 4;
	if (inet_pton(family == 4 ? AF_INET : AF_INET6, client_addr, addr) != 1)
		return -1;
	for (s = 0; s < v->nsubnets; s++) {
		const struct pgr_nacl *a = acl_of(ev, v->subnets[s]);

		if (a == NULL) {
			verdict = -1;	/* that subnet's ACL was not in the answer */
			continue;
		}
		for (k = 0; k < nports; k++) {
			int p = direction ? ephemeral[k] : port;
			const struct pgr_nacl_entry *e = decide(a, direction == 1, family, addr, p);

			if (e != NULL && e->allow)
				continue;
			if (e == NULL)
				snprintf(why, len, "%s (subnet %s): no %s rule matches TCP %d %s %s, "
				    "so the default rule * denies it", a->id, v->subnets[s],
				    direction ? "outbound" : "inbound", p,
				    direction ? "to" : "from", client_addr);
			else {
				char ports[32];

				if (e->from_port < 0)
					snprintf(ports, sizeof(ports), "on every port");
				else if (e->from_port == e->to_port)
					snprintf(ports, sizeof(ports), "port %d", e->from_port);
				else
					snprintf(ports, sizeof(ports), "ports %d-%d", e->from_port,
					    e->to_port);
				snprintf(why, len, "%s (subnet %s): %s rule %d denies TCP %s %s %s%s",
				    a->id, v->subnets[s], direction ? "outbound" : "inbound",
				    e->rule_number, ports, direction ? "to" : "from",
				    e->cidr ? e->cidr : "?", direction ?
				    ": the answers to the client's ephemeral ports" : "");
			}
			return 0;
		}
	}
	return verdict;
}

static const char *
zone_id_of(const struct pgr_evidence *ev, const char *subnet)
{
	size_t n, k;

	for (n = 0; subnet != NULL && n < ev->n; n++) {
		const struct pgr_evidence_item *sn = &ev->items[n];

		if (sn->type != PGR_EV_SUBNETS)
			continue;
		for (k = 0; k < sn->u.subnets.n; k++)
			if (sn->u.subnets.v[k].id != NULL &&
			    strcmp(sn->u.subnets.v[k].id, subnet) == 0)
				return sn->u.subnets.v[k].az_id;
	}
	return NULL;
}

const struct pgr_eni *
pgr_eni_for_addr(const struct pgr_evidence *ev, const struct pgr_vpce *v,
    const char *addr, const char **zone_id, bool *known)
{
	size_t n, i, j, k;

	*known = v != NULL && pgr_evidence_find(ev, PGR_EV_NETWORK_INTERFACES) != NULL;
	if (zone_id != NULL)
		*zone_id = NULL;
	if (!*known)
		return NULL;
	for (n = 0; n < ev->n; n++) {
		const struct pgr_evidence_item *it = &ev->items[n];

		if (it->type != PGR_EV_NETWORK_INTERFACES)
			continue;
		for (i = 0; i < it->u.enis.n; i++) {
			const struct pgr_eni *e = &it->u.enis.v[i];
			bool ours = false;

			for (k = 0; k < v->nenis; k++)
				ours |= e->id != NULL && strcmp(e->id, v->enis[k]) == 0;
			if (!ours)
				continue;
			for (j = 0; j < e->naddrs; j++) {
				if (strcasecmp(e->addrs[j], addr) != 0)
					continue;
				if (zone_id != NULL)
					*zone_id = zone_id_of(ev, e->subnet_id);
				return e;
			}
		}
	}
	return NULL;
}

/* Host names compare in any case, with or without the root's dot. */
bool
pgr_evidence_same_host(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

const struct pgr_ev_aws_calls *
pgr_evidence_aws_host(const struct pgr_evidence *ev, const char *host,
    const struct pgr_aws_host **hp)
{
	size_t n, k;

	if (hp != NULL)
		*hp = NULL;
	for (n = 0; ev != NULL && host != NULL && n < ev->n; n++) {
		const struct pgr_ev_aws_calls *a = &ev->items[n].u.aws;

		if (ev->items[n].type != PGR_EV_AWS_CALLS)
			continue;
		for (k = 0; k < a->nhosts && k < PGR_AWS_MAX_HOSTS; k++)
			if (pgr_evidence_same_host(a->hosts[k].host, host)) {
				if (hp != NULL)
					*hp = &a->hosts[k];
				return a;
			}
	}
	return pgr_evidence_aws(ev);
}

const struct pgr_vpce *
pgr_evidence_vpce_for(const struct pgr_evidence *ev, const char *host,
    const char *vpce_id)
{
	const struct pgr_aws_host *h;

	if (ev == NULL)
		return NULL;
	if (vpce_id != NULL && vpce_id[0] != '\0')
		return pgr_evidence_find_vpce(ev, vpce_id);
	if (pgr_evidence_aws_host(ev, host, &h) == NULL || h == NULL ||
	    h->endpoint_id[0] == '\0')
		return NULL;
	return pgr_evidence_find_vpce(ev, h->endpoint_id);
}
