/*
 * Diagnosis.  First the facts: for every endpoint host, what each port's
 * attempts showed, what its DNS answer was, and what the evidence files
 * say of it.  Then the rules, a table read top to bottom: each row matches
 * facts, and a match becomes a finding whose summary and remedy are
 * templates filled from the facts.  Nothing here reads message text; only
 * codes, numbers and evidence.
 *
 * AWS facts the rules rely on: a security group or network ACL drops
 * silently, so a blocked port is a connect *timeout*, never a refusal; an
 * endpoint that is pendingAcceptance or rejected also times out; interface
 * endpoints reach only services of their own region; endpoint names resolve
 * to the endpoint's private addresses in the client's VPC.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "probes/target.h"
#include "report/diagnose.h"

enum { P_PG, P_BOUNCER, P__N };

struct port_facts {
	int	target;			/* index, -1 when this port was not probed */
	int	port;
	size_t	n;			/* attempts */
	size_t	cnt[PGR_PH__COUNT][PGR_ERR__COUNT];
	char	sqlstate[6];		/* of the first failed login */
	enum pgr_err login_err;		/* the first failed login's status */
	char	qsqlstate[6];		/* of the first failed query */
	char	local[PGR_ADDRSTRLEN];	/* a source address we used */
	int	sg;			/* evidence: 1 allows, 0 blocks, -1 unknown */
	char	sg_why[256];
	int	nacl;			/* --aws network ACLs: 1 allow, 0 deny, -1 unknown */
	char	nacl_why[256];
	size_t	ssl_s;			/* attempts the server answered 'S' */
	size_t	hello;			/* attempts whose ClientHello left */
	long long tls_bytes;		/* most bytes back after an 'S' of a failed TLS */
	int	records;		/* most records back in a failed TLS */
	int	mtu, mss;		/* of a failed TLS, 0 unknown */
	char	state[64];		/* last handshake state of a failed TLS */
};

/* What one address did on each port: facts across ports and addresses. */
struct addr_facts {
	const char	*addr;
	int		 family;		/* 4 or 6 */
	bool		 seen[P__N];
	enum pgr_err	 tcp[P__N], tls[P__N], login[P__N];
	int		 tcp_errno[P__N];
};

struct host_facts {
	const char		*host;
	int			 first;		/* first target of this host */
	const struct pgr_target	*t;
	const struct pgr_target_result *tr;
	struct port_facts	 p[P__N];
	size_t			 naddrs, npublic, noutside;
	char			 addrs[256];
	long			 min_days;
	bool			 have_cert, cert_unverified, verify_asked;
	char			 verify_error[128];
	bool			 old_tls;
	const struct pgr_vpce	*vpce;
	const struct pgr_ev_privatelink *pl;
	bool			 account_pending, account_missing;
	bool			 account_active;	/* the owner is listed Active */
	bool			 all_pending;	/* every allowed account Pending */
	bool			 all_active;	/* every allowed account Active */
	char			 account[64];
	/* heroku data:privatelink's Connections row for this endpoint, NULL */
	const struct pgr_pl_connection *conn;
	/*
	 * The endpoint's State as the evidence says it: AWS's
	 * describe-vpc-endpoints first, else the Heroku Connections row (the
	 * same AWS connection state in words).  UNKNOWN without either.
	 */
	enum pgr_vpce_state	 acc;
	const char		*acc_id;	/* the endpoint it is of */
	const char		*acc_src;	/* which file said it */
	const struct pgr_ev_aws_calls *aws;	/* --aws: how the calls went */
	const struct pgr_aws_host *aws_host;	/* --aws: how this host was looked up */
	size_t			 nstray;	/* DNS answers on no endpoint interface */
	char			 stray[512];
	size_t			 nad;
	struct addr_facts	 ad[2 * PGR_MAX_ADDRS];
};

/* The context a rule sees, and the values its templates may name. */
struct ctx {
	const struct pgr_analysis_opts *o;
	const struct host_facts	*h;
	int	only;			/* a per-port rule's port (P_PG, P_BOUNCER), -1 */
	int	pi;			/* the port index matched, -1 */
	char	port[8];		/* the port a per-port rule matched */
	char	other_port[8];
	char	bad[256];		/* the addresses concerned */
	char	good[256];		/* the addresses that work */
	char	how[128];		/* "time out", "refuse", ... on "5432 and 5433" */
	char	zones[128];		/* the zones of the addresses concerned */
	char	mtu[16];
	char	h_account[64];		/* the account to allow, "<account-id>" */
	char	evidence[1024];		/* written by the rule's match */
	char	action[48];		/* --aws: the IAM action a rule names */
	char	reg_a[32];		/* a region finding: the endpoint's region */
	char	reg_b[32];		/* and the other region */
	char	reg_b_of[64];		/* whose the other region is */
	char	service[160];		/* the endpoint service's full name */
	char	account_of[80];		/* " (123456789012)", "" */
	char	allowed[256];		/* the allowed accounts, listed */
};

/*
 * Facts that contradict a rule, checked after it matched against every
 * fact of the run: a contradicted finding is not emitted, and a later rule
 * that the facts support speaks instead.
 */
enum {
	X_OTHER_PORT_ANSWERS = 1u << 0,	/* same address, other port connects */
	X_S_ANSWERED = 1u << 1,		/* the server answered the SSLRequest 'S' */
	X_OTHER_ADDRS_OK = 1u << 2,	/* same port, other addresses connect */
	X_CERT_UNVERIFIED = 1u << 3,	/* a verify-* failure explains the handshake */
	X_ALL_PENDING = 1u << 4,	/* evidence: every allowed account Pending */
	X_TLS_OFF = 1u << 5,		/* sslmode=disable met a server requiring TLS */
	X_POSTGRES_LOGS_IN = 1u << 6,	/* on 5433: the same login on 5432 works */
	X_POSTGRES_DOWN = 1u << 7	/* on 5433: 5432 refuses at every address */
};

struct rule {
	enum pgr_code	 code;
	enum pgr_cause	 cause;
	enum pgr_severity sev;
	bool		(*match)(struct ctx *);
	const char	*summary;
	const char	*remedy;
	unsigned	 contra;	/* X_*: facts that contradict it */
	bool		 per_port;	/* matched and reported once per port */
};

/* ---- facts ---- */

static bool
all(const struct port_facts *p, enum pgr_phase ph, enum pgr_err e)
{
	return p->target >= 0 && p->n > 0 && p->cnt[ph][e] == p->n;
}

static size_t
count(const struct port_facts *p, enum pgr_phase ph, enum pgr_err e)
{
	return p->target >= 0 ? p->cnt[ph][e] : 0;
}

static bool
probed(const struct port_facts *p)
{
	return p->target >= 0 && p->n > 0;
}

static void
count_attempt(struct port_facts *p, const struct pgr_attempt *a)
{
	p->n++;
	p->cnt[PGR_PH_TCP][a->tcp.status]++;
	p->cnt[PGR_PH_TLS][a->tls.status]++;
	p->cnt[PGR_PH_LOGIN][a->login.status]++;
	p->cnt[PGR_PH_QUERY][a->query.status]++;
	if (p->sqlstate[0] == '\0' && a->login.sqlstate[0] != '\0')
		memcpy(p->sqlstate, a->login.sqlstate, sizeof(p->sqlstate));
	if (p->login_err == PGR_PENDING && pgr_err_failed(a->login.status))
		p->login_err = a->login.status;
	if (p->qsqlstate[0] == '\0' && a->query.sqlstate[0] != '\0')
		memcpy(p->qsqlstate, a->query.sqlstate, sizeof(p->qsqlstate));
	if (p->local[0] == '\0' && a->local[0] != '\0')
		memcpy(p->local, a->local, sizeof(p->local));
	if (a->tls.ssl_answer == 'S')
		p->ssl_s++;
	if (a->tls.client_hello_sent)
		p->hello++;
	if (a->tls.ssl_answer == 'S' && pgr_err_failed(a->tls.status)) {
		if (a->tls.bytes_received > p->tls_bytes)
			p->tls_bytes = a->tls.bytes_received;
		if (a->tls.records_received > p->records)
			p->records = a->tls.records_received;
		if (a->tcp.path_mtu > 0)
			p->mtu = a->tcp.path_mtu;
		if (a->tcp.mss > 0)
			p->mss = a->tcp.mss;
		if (p->state[0] == '\0')
			snprintf(p->state, sizeof(p->state), "%s", a->tls.handshake_state);
	}
}

static void
addr_add(struct host_facts *h, int pi, const struct pgr_attempt *a)
{
	size_t k;

	for (k = 0; k < h->nad; k++)
		if (strcmp(h->ad[k].addr, a->address) == 0)
			break;
	if (k == h->nad) {
		if (h->nad == sizeof(h->ad) / sizeof(h->ad[0]))
			return;
		h->ad[h->nad].family = a->family;
		h->ad[h->nad++].addr = a->address;
	}
	if (h->ad[k].seen[pi])
		return;
	h->ad[k].seen[pi] = true;
	h->ad[k].tcp[pi] = a->tcp.status;
	h->ad[k].tcp_errno[pi] = a->tcp.err_no;
	h->ad[k].tls[pi] = a->tls.status;
	h->ad[k].login[pi] = a->login.status;
}

static bool
verify_mode(const char *m)
{
	return m != NULL && strncmp(m, "verify-", 7) == 0;
}

static void
cert_facts(struct host_facts *h, const struct pgr_attempt *a,
    const struct pgr_analysis_opts *o)
{
	const struct pgr_cert *c = &a->tls.cert;
	const char *mode = h->t->sslmode ? h->t->sslmode : o->sslmode;

	if (a->tls.status == PGR_OK && a->tls.version[0] != '\0' &&
	    (strcmp(a->tls.version, "TLSv1") == 0 ||
	    strcmp(a->tls.version, "TLSv1.1") == 0 ||
	    strncmp(a->tls.version, "SSLv", 4) == 0))
		h->old_tls = true;
	if (!c->present)
		return;
	if (!h->have_cert || c->days_left < h->min_days)
		h->min_days = c->days_left;
	h->have_cert = true;
	if (verify_mode(mode)) {
		h->verify_asked = true;
		if (!c->verified || (strcmp(mode, "verify-full") == 0 && !c->hostname_match)) {
			h->cert_unverified = true;
			snprintf(h->verify_error, sizeof(h->verify_error), "%s",
			    !c->verified ? c->verify_error :
			    "the certificate does not name the host");
		}
	}
}

static void
dns_facts(struct host_facts *h)
{
	const struct pgr_dns_result *d = &h->tr->dns;
	size_t i, n = 0;

	h->naddrs = d->naddrs;
	for (i = 0; i < d->naddrs; i++) {
		const struct pgr_addr *a = &d->addrs[i];

		if (a->scope == PGR_SCOPE_PUBLIC)
			h->npublic++;
		if (a->in_vpc == 0)
			h->noutside++;
		if (n < sizeof(h->addrs))
			n += (size_t)snprintf(h->addrs + n, sizeof(h->addrs) - n,
			    "%s%s", i ? ", " : "", a->text);
	}
}

/*
 * heroku data:privatelink: the allowed accounts, and where the account
 * that owns the endpoint (describe-vpc-endpoints' OwnerId, else the
 * Connections row's Owner ARN) stands among them.
 */
static void
account_facts(struct host_facts *h, const struct pgr_evidence *ev)
{
	size_t i, j;

	if (h->vpce != NULL && h->vpce->owner_id != NULL)
		snprintf(h->account, sizeof(h->account), "%s", h->vpce->owner_id);
	for (i = 0; ev != NULL && i < ev->n; i++) {
		const struct pgr_ev_privatelink *pl;

		if (ev->items[i].type != PGR_EV_PRIVATELINK)
			continue;
		pl = h->pl = &ev->items[i].u.privatelink;
		h->conn = pgr_evidence_find_connection(ev, h->t->endpoint.is_endpoint ?
		    h->t->endpoint.id : h->vpce != NULL ? h->vpce->id : NULL);
		h->all_pending = h->all_active = pl->naccounts > 0;
		for (j = 0; j < pl->naccounts; j++) {
			if (pl->accounts[j].status != PGR_PL_ACCOUNT_PENDING)
				h->all_pending = false;
			if (pl->accounts[j].status != PGR_PL_ACCOUNT_ACTIVE)
				h->all_active = false;
		}
		if (h->account[0] == '\0' && h->conn != NULL)
			snprintf(h->account, sizeof(h->account), "%s", h->conn->owner_account);
		if (h->account[0] == '\0' || pl->naccounts == 0)
			continue;
		h->account_missing = true;
		for (j = 0; j < pl->naccounts; j++) {
			if (strcmp(pl->accounts[j].account_id, h->account) != 0)
				continue;
			h->account_missing = false;
			h->account_pending =
			    pl->accounts[j].status == PGR_PL_ACCOUNT_PENDING;
			h->account_active =
			    pl->accounts[j].status == PGR_PL_ACCOUNT_ACTIVE;
		}
	}
	if (h->vpce != NULL && h->vpce->state != PGR_VPCE_UNKNOWN) {
		h->acc = h->vpce->state;
		h->acc_id = h->vpce->id;
		h->acc_src = pgr_evidence_aws(ev) != NULL ? "DescribeVpcEndpoints (--aws)" :
		    "aws ec2 describe-vpc-endpoints";
	} else if (h->conn != NULL && h->conn->state != PGR_VPCE_UNKNOWN) {
		h->acc = h->conn->state;
		h->acc_id = h->conn->endpoint_id;
		h->acc_src = "heroku data:privatelink (Connections)";
	}
}

/*
 * What --aws adds: the network ACLs of the endpoint's subnets, both ways,
 * and which DNS answers no interface of the endpoint holds.
 */
static void
aws_facts(struct host_facts *h, const struct pgr_evidence *ev)
{
	const struct pgr_dns_result *d = &h->tr->dns;
	size_t i, n = 0;
	int k;

	h->aws = pgr_evidence_aws_host(ev, h->t->host, &h->aws_host);
	for (k = 0; k < P__N; k++) {
		struct port_facts *p = &h->p[k];
		char in_why[256], out_why[256];
		int port = k == P_PG ? PGR_PORT_POSTGRES : PGR_PORT_PGBOUNCER;
		int in = pgr_nacl_allows(ev, h->vpce, p->local[0] ? p->local : NULL, port, 0,
		    in_why, sizeof(in_why));
		int out = pgr_nacl_allows(ev, h->vpce, p->local[0] ? p->local : NULL, port, 1,
		    out_why, sizeof(out_why));

		p->nacl = in == 0 || out == 0 ? 0 : in == 1 && out == 1 ? 1 : -1;
		snprintf(p->nacl_why, sizeof(p->nacl_why), "%s", in == 0 ? in_why : out_why);
	}
	for (i = 0; i < d->naddrs; i++) {
		bool known;

		if (pgr_eni_for_addr(ev, h->vpce, d->addrs[i].text, NULL, &known) != NULL ||
		    !known)
			continue;
		h->nstray++;
		if (n < sizeof(h->stray))
			n += (size_t)snprintf(h->stray + n, sizeof(h->stray) - n, "%s%s",
			    n ? ", " : "", d->addrs[i].text);
	}
}

static void
evidence_facts(struct host_facts *h, const struct pgr_evidence *ev)
{
	int i;

	for (i = 0; i < P__N; i++)
		h->p[i].sg = h->p[i].nacl = -1;
	if (ev == NULL)
		return;
	h->vpce = pgr_evidence_vpce_for(ev, h->t->host,
	    h->t->endpoint.is_endpoint ? h->t->endpoint.id : NULL);
	account_facts(h, ev);
	for (i = 0; i < P__N; i++)
		h->p[i].sg = pgr_sg_allows_vpce(ev, h->vpce, h->p[i].local[0] ? h->p[i].local : NULL,
		    i == P_PG ? PGR_PORT_POSTGRES : PGR_PORT_PGBOUNCER,
		    h->p[i].sg_why, sizeof(h->p[i].sg_why));
	aws_facts(h, ev);
}

static void
host_add_target(struct host_facts *h, const struct pgr_report *r, size_t ti,
    const struct pgr_analysis_opts *o)
{
	const struct pgr_target *t = &r->targets[ti];
	struct port_facts *p = &h->p[t->role == PGR_ROLE_PGBOUNCER ? P_BOUNCER : P_PG];
	size_t j;

	if (p->target >= 0)
		return;		/* a second target on the same port: first wins */
	p->target = (int)ti;
	p->port = t->port;
	for (j = 0; j < r->results[ti].nattempts; j++) {
		count_attempt(p, &r->results[ti].attempts[j]);
		addr_add(h, (int)(p - h->p), &r->results[ti].attempts[j]);
		cert_facts(h, &r->results[ti].attempts[j], o);
	}
}

/* The analysis's hosts: a 5432 target and its 5433 sibling are one. */
static void
gather(const struct pgr_report *r, const struct pgr_analysis_opts *o,
    const struct pgr_host *hosts, size_t nhosts, struct host_facts *facts)
{
	size_t k;

	for (k = 0; k < nhosts; k++) {
		struct host_facts *h = &facts[k];

		memset(h, 0, sizeof(*h));
		h->host = hosts[k].name;
		h->first = hosts[k].first;
		h->t = &r->targets[h->first];
		h->tr = &r->results[h->first];
		h->p[P_PG].target = h->p[P_BOUNCER].target = -1;
		dns_facts(h);
		if (hosts[k].pg >= 0)
			host_add_target(h, r, (size_t)hosts[k].pg, o);
		if (hosts[k].bouncer >= 0)
			host_add_target(h, r, (size_t)hosts[k].bouncer, o);
		evidence_facts(h, o->ev);
	}
}

/* ---- rule helpers ---- */

#define EV(c, ...) snprintf((c)->evidence, sizeof((c)->evidence), __VA_ARGS__)

/* The endpoint's State from the evidence ("pendingAcceptance"), NULL. */
static const char *
vpce_state(const struct ctx *c)
{
	return c->h->acc != PGR_VPCE_UNKNOWN ? pgr_vpce_state_name(c->h->acc) : NULL;
}

static bool
vpce_not_available(const struct ctx *c)
{
	return c->h->acc != PGR_VPCE_AVAILABLE && c->h->acc != PGR_VPCE_UNKNOWN;
}

static bool
every_port(const struct ctx *c, enum pgr_phase ph, enum pgr_err e)
{
	int i, seen = 0;

	for (i = 0; i < P__N; i++) {
		if (!probed(&c->h->p[i]))
			continue;
		if (!all(&c->h->p[i], ph, e))
			return false;
		seen++;
	}
	return seen > 0;
}

/* The first probed port where every attempt shows e in phase ph. */
static const struct port_facts *
some_port(struct ctx *c, enum pgr_phase ph, enum pgr_err e)
{
	int i;

	for (i = 0; i < P__N; i++) {
		const struct port_facts *p = &c->h->p[i], *q = &c->h->p[1 - i];

		if ((c->only >= 0 && i != c->only) || !all(p, ph, e))
			continue;
		c->pi = i;
		snprintf(c->port, sizeof(c->port), "%d", p->port);
		snprintf(c->other_port, sizeof(c->other_port), "%d",
		    q->target >= 0 ? q->port : (i == P_PG ? 5433 : 5432));
		return p;
	}
	return NULL;
}

static bool
dns_is(struct ctx *c, enum pgr_err e)
{
	if (c->h->tr->dns.status != e)
		return false;
	EV(c, "resolving %.300s via %.200s: %s (%.200s)", c->h->host,
	    c->h->tr->dns.servers[0] ? c->h->tr->dns.servers : "the system resolver",
	    pgr_err_name(e), c->h->tr->dns.detail);
	return true;
}

/* Every port timed out, and no evidence already explains why. */
static bool
timeout_everywhere(struct ctx *c)
{
	if (c->h->pl != NULL && c->h->pl->status == PGR_PL_PROVISIONING)
		return false;	/* nothing connects before Heroku is Operational */
	return every_port(c, PGR_PH_TCP, PGR_TCP_TIMEOUT);
}

/* Append s to a ", "-separated list in buf. */
static void
list_add(char *buf, size_t len, const char *s)
{
	size_t n = strlen(buf);

	if (n < len)
		snprintf(buf + n, len - n, "%s%s", n ? ", " : "", s);
}

/*
 * What each VpcEndpoint State means for a client, and what to do about
 * it: the {state_why} and {state_remedy} of the acceptance findings.
 */
#define CMD_VPCE "aws ec2 describe-vpc-endpoints --vpc-endpoint-ids {id}"
#define CMD_RECREATE "delete it (aws ec2 delete-vpc-endpoints --vpc-endpoint-ids {id}) and create a new interface endpoint to the service (aws ec2 create-vpc-endpoint --vpc-endpoint-type Interface --service-name {service} --vpc-id <vpc> --subnet-ids <subnets> --security-group-ids <sg>), then use its DNS name"

static const struct {
	const char *why;
	const char *remedy;
} state_text[] = {
	[PGR_VPCE_UNKNOWN] = { "the security groups let the traffic in, and an endpoint not yet accepted drops it the same way",
	  "An endpoint must go from pendingAcceptance to available; Heroku accepts it only for allowed accounts. Check " CMD_VPCE " --query 'VpcEndpoints[0].State' and heroku data:privatelink (the account must be Active). A rejected, expired or failed endpoint must be deleted and created again." },
	[PGR_VPCE_PENDING_ACCEPTANCE] = { "its connection request waits for Heroku to accept it, and until then AWS drops every connection to it",
	  "{accept_step}" },
	[PGR_VPCE_PENDING] = { "Heroku accepted it and AWS is still setting it up (pending)",
	  "Wait: AWS makes a pending endpoint available by itself within minutes, then run pgreach again. If it is still pending after 10 minutes, " CMD_RECREATE "." },
	[PGR_VPCE_AVAILABLE] = { "it is accepted and in service", "" },
	[PGR_VPCE_REJECTED] = { "Heroku rejected its connection request; a rejected endpoint never becomes available",
	  "Make sure the AWS account that owns it{account_of} is allowed and Active (heroku data:privatelink:access {database} --app <app>), then " CMD_RECREATE "." },
	[PGR_VPCE_EXPIRED] = { "its connection request expired before Heroku accepted it; an expired endpoint never becomes available",
	  "Make sure the AWS account that owns it{account_of} is allowed and Active (heroku data:privatelink:access {database} --app <app>), then " CMD_RECREATE "." },
	[PGR_VPCE_FAILED] = { "AWS could not create it (for example a subnet without free addresses, or a zone the service does not offer)",
	  "See why in the VPC console (the endpoint's State reason), then " CMD_RECREATE ", in subnets of zones the service offers (aws ec2 describe-vpc-endpoint-services --service-names {service} --query 'ServiceDetails[0].AvailabilityZones')." },
	[PGR_VPCE_DELETED] = { "it was deleted, and its addresses no longer belong to it",
	  "It does not come back: create a new interface endpoint to the service (aws ec2 create-vpc-endpoint --vpc-endpoint-type Interface --service-name {service} --vpc-id <vpc> --subnet-ids <subnets> --security-group-ids <sg>) and point the app at the new endpoint's DNS name." },
	[PGR_VPCE_DELETING] = { "it is being deleted",
	  "It does not come back: create a new interface endpoint to the service (aws ec2 create-vpc-endpoint --vpc-endpoint-type Interface --service-name {service} --vpc-id <vpc> --subnet-ids <subnets> --security-group-ids <sg>) and point the app at the new endpoint's DNS name." },
	[PGR_VPCE_PARTIAL] = { "AWS has it only partly in service: part of it (some of its subnets or network interfaces) is not available, so some of its addresses may not answer",
	  "See which part is missing: " CMD_VPCE " --query 'VpcEndpoints[0].[SubnetIds,NetworkInterfaceIds]' and aws ec2 describe-network-interfaces --network-interface-ids <eni>. Remove a subnet that failed (aws ec2 modify-vpc-endpoint --vpc-endpoint-id {id} --remove-subnet-ids <subnet>), or " CMD_RECREATE "." },
};

_Static_assert(sizeof(state_text) / sizeof(state_text[0]) == PGR_VPCE_PARTIAL + 1,
    "every VpcEndpoint State has its explanation");

/* ---- rules: evidence and configuration ---- */

/* A region finding's two sides: where the endpoint is, and what is elsewhere. */
static bool
region_pair(struct ctx *c, const char *a, const char *b, const char *b_of)
{
	if (a == NULL || b == NULL || a[0] == '\0' || b[0] == '\0' ||
	    strcasecmp(a, b) == 0)
		return false;
	snprintf(c->reg_a, sizeof(c->reg_a), "%s", a);
	snprintf(c->reg_b, sizeof(c->reg_b), "%s", b);
	snprintf(c->reg_b_of, sizeof(c->reg_b_of), "%s", b_of);
	return true;
}

/*
 * The endpoint and what it must share a region with: the client's region
 * (--region), its own service (describe-vpc-endpoints' ServiceRegion or
 * ServiceName), the Heroku endpoint service (heroku data:privatelink).
 * Each pair cites both facts.
 */
static bool
region_evidence(struct ctx *c)
{
	const struct pgr_endpoint_name *ep = &c->h->t->endpoint;
	const struct pgr_vpce *v = c->h->vpce;
	const struct pgr_ev_privatelink *pl = c->h->pl;
	const char *here = ep->is_endpoint ? ep->region : v != NULL ? v->dns_region : NULL;
	const char *svc = pl != NULL && pl->service_name ? pl->service_name : "?";

	/* With --aws, ENDPOINT_SERVICE_REGION says this. */
	if (v != NULL && c->h->aws == NULL &&
	    region_pair(c, v->dns_region, v->region, "its service")) {
		EV(c, "aws ec2 describe-vpc-endpoints: endpoint %s is in %s (its DNS names), its service %s is in %s%s",
		    v->id, v->dns_region, v->service_name ? v->service_name : "?", v->region,
		    v->service_region[0] ? " (ServiceRegion: a cross-region endpoint)" : "");
		return true;
	}
	if (pl != NULL && region_pair(c, here, pl->region, "the Heroku endpoint service")) {
		EV(c, "the endpoint %s is in %s (%s); heroku data:privatelink says the database's endpoint service %s is in %s",
		    ep->is_endpoint ? c->h->host : v->id, here,
		    ep->is_endpoint ? "its DNS name" : "aws ec2 describe-vpc-endpoints",
		    svc, pl->region);
		return true;
	}
	if (v != NULL && pl != NULL && region_pair(c, v->region, pl->region,
	    "the Heroku endpoint service")) {
		EV(c, "aws ec2 describe-vpc-endpoints: endpoint %s is to %s, a service in %s; heroku data:privatelink says the database's endpoint service %s is in %s",
		    v->id, v->service_name ? v->service_name : "?", v->region, svc, pl->region);
		return true;
	}
	return false;
}

static size_t
connected(const struct ctx *c)
{
	size_t n = 0;
	int i;

	for (i = 0; i < P__N; i++)
		n += count(&c->h->p[i], PGR_PH_TCP, PGR_OK);
	return n;
}

/*
 * A region mismatch the evidence shows, where nothing connected (where
 * something did, the evidence is of another database: EVIDENCE_CONTRADICTS).
 */
static bool
m_region(struct ctx *c)
{
	const struct pgr_endpoint_name *ep = &c->h->t->endpoint;

	if (ep->is_endpoint && region_pair(c, ep->region, c->o->region,
	    "the client (--region)")) {
		EV(c, "the endpoint name %s is in %s; %s says %s", c->h->host,
		    ep->region, c->o->region_source ? c->o->region_source : "--region",
		    c->o->region);
		return true;
	}
	return connected(c) == 0 && region_evidence(c);
}

static bool
m_provisioning(struct ctx *c)
{
	int i;

	if (c->h->pl == NULL || c->h->pl->status != PGR_PL_PROVISIONING)
		return false;
	for (i = 0; i < P__N; i++)	/* it connected: the contradiction rule speaks */
		if (count(&c->h->p[i], PGR_PH_TCP, PGR_OK) > 0)
			return false;
	EV(c, "heroku data:privatelink: Status %s", c->h->pl->status_raw ?
	    c->h->pl->status_raw : "Provisioning");
	return true;
}

static bool
m_account(struct ctx *c)
{
	if (connected(c) > 0)	/* accepted after all: the contradiction rule speaks */
		return false;
	if (c->h->all_pending && !c->h->account_missing && !c->h->account_pending) {
		size_t j;

		for (j = 0; j < c->h->pl->naccounts; j++)
			list_add(c->bad, sizeof(c->bad), c->h->pl->accounts[j].account_id);
		snprintf(c->h_account, sizeof(c->h_account), "%s",
		    c->h->pl->naccounts == 1 ? c->h->pl->accounts[0].account_id : "<account-id>");
		EV(c, "heroku data:privatelink lists every allowed account as Pending (%s): none is Active yet, so no endpoint is accepted",
		    c->bad);
		return true;
	}
	if (!c->h->account_missing && !c->h->account_pending)
		return false;
	snprintf(c->h_account, sizeof(c->h_account), "%s", c->h->account);
	EV(c, "endpoint %s is owned by AWS account %s, which heroku data:privatelink lists as %s",
	    c->h->vpce != NULL ? c->h->vpce->id : c->h->conn->endpoint_id, c->h->account,
	    c->h->account_missing ? "not allowed (absent)" : "Pending");
	return true;
}

/* Some TCP connects went through and some did not. */
static bool
some_connected(const struct ctx *c)
{
	size_t n = 0, ok = 0;
	int i;

	for (i = 0; i < P__N; i++) {
		n += probed(&c->h->p[i]) ? c->h->p[i].n : 0;
		ok += count(&c->h->p[i], PGR_PH_TCP, PGR_OK);
	}
	return ok > 0 && ok < n;
}

/* An endpoint partly in service: some addresses answer, others not. */
static bool
partial_fits(const struct ctx *c)
{
	return c->h->acc == PGR_VPCE_PARTIAL && some_connected(c);
}

static bool
m_vpce_state(struct ctx *c)
{
	int i;

	if (!vpce_not_available(c) || timeout_everywhere(c))
		return false;
	for (i = 0; i < P__N && !partial_fits(c); i++)	/* it connected: the contradiction rule speaks */
		if (count(&c->h->p[i], PGR_PH_TCP, PGR_OK) > 0)
			return false;
	if (partial_fits(c)) {
		size_t k;

		for (k = 0; k < c->h->nad; k++) {
			const struct addr_facts *a = &c->h->ad[k];
			bool bad = (a->seen[P_PG] && a->tcp[P_PG] != PGR_OK) ||
			    (a->seen[P_BOUNCER] && a->tcp[P_BOUNCER] != PGR_OK);

			list_add(bad ? c->bad : c->good, sizeof(c->bad), a->addr);
		}
		EV(c, "%s: %s is %s; TCP to %s fails while TCP to %s connects",
		    c->h->acc_src, c->h->acc_id, vpce_state(c), c->bad, c->good);
		return true;
	}
	EV(c, "%s: %s is %s", c->h->acc_src, c->h->acc_id, vpce_state(c));
	return true;
}

static bool
m_sg_evidence(struct ctx *c)
{
	int i;

	for (i = 0; i < P__N; i++) {
		if (c->h->p[i].sg != 0 || count(&c->h->p[i], PGR_PH_TCP, PGR_OK) > 0)
			continue;
		snprintf(c->port, sizeof(c->port), "%d", i == P_PG ? 5432 : 5433);
		EV(c, "aws ec2 describe-security-groups: no inbound rule lets TCP %s in%s%s (%s)",
		    c->port, c->h->p[i].local[0] ? " from " : "", c->h->p[i].local,
		    c->h->p[i].sg_why);
		return true;
	}
	return false;
}

/* --aws: the endpoint is to a service of another region than its own. */
static bool
m_service_region(struct ctx *c)
{
	const struct pgr_vpce *v = c->h->vpce;
	const char *here = c->h->aws != NULL ? c->h->aws->region : NULL;

	if (v == NULL || !region_pair(c, here, v->region, "its service"))
		return false;
	EV(c, "DescribeVpcEndpoints in %s: %s is an endpoint to %s, a service in %s",
	    here, v->id, v->service_name ? v->service_name : "?", v->region);
	return true;
}

static bool
m_nacl_evidence(struct ctx *c)
{
	int i;

	for (i = 0; i < P__N; i++) {
		if (c->h->p[i].nacl != 0 || count(&c->h->p[i], PGR_PH_TCP, PGR_OK) > 0)
			continue;
		snprintf(c->port, sizeof(c->port), "%d", i == P_PG ? 5432 : 5433);
		EV(c, "DescribeNetworkAcls: %s", c->h->p[i].nacl_why);
		return true;
	}
	return false;
}

static bool
m_stray_address(struct ctx *c)
{
	if (c->h->nstray == 0)
		return false;
	EV(c, "DescribeNetworkInterfaces: %s (in the DNS answer for %s) belongs to no network interface of %s",
	    c->h->stray, c->h->host, c->h->vpce ? c->h->vpce->id : "the endpoint");
	return true;
}

/* ---- rules: --aws outcomes (severity ok: the exit code stays the probes') ---- */

static bool
m_aws(struct ctx *c, enum pgr_aws_status st)
{
	const struct pgr_ev_aws_calls *a = c->h->aws;
	size_t n = 0;
	int i;

	if (a == NULL)
		return false;
	c->evidence[0] = '\0';
	for (i = 0; i < PGR_AWS__NACTIONS; i++) {
		const struct pgr_aws_call *k = &a->calls[i];

		if (k->status != st)
			continue;
		if (n == 0)
			snprintf(c->action, sizeof(c->action), "%s",
			    pgr_aws_iam_action((enum pgr_aws_action)i));
		/* No credentials: one reason for all five; say it once. */
		if (n > 0 && st == PGR_AWS_NO_CREDENTIALS)
			break;
		if (n < sizeof(c->evidence))
			n += (size_t)snprintf(c->evidence + n, sizeof(c->evidence) - n,
			    "%s%s%s%s", n ? "; " : "", k->detail,
			    k->request_id[0] ? ", request ID " : "", k->request_id);
	}
	return n > 0;
}

static bool m_aws_no_creds(struct ctx *c) { return m_aws(c, PGR_AWS_NO_CREDENTIALS); }
static bool m_aws_denied(struct ctx *c) { return m_aws(c, PGR_AWS_ACCESS_DENIED); }
static bool m_aws_throttled(struct ctx *c) { return m_aws(c, PGR_AWS_THROTTLED); }
static bool m_aws_timeout(struct ctx *c) { return m_aws(c, PGR_AWS_TIMEOUT); }

/* --aws asked for the vpce- ID in the host's name; a batch names the missing one. */
static bool
m_aws_not_found(struct ctx *c)
{
	const struct pgr_aws_host *hm = c->h->aws_host;

	if (m_aws(c, PGR_AWS_NOT_FOUND))
		return true;
	if (!c->h->t->endpoint.is_endpoint || hm == NULL || hm->endpoint_id[0] != '\0' ||
	    hm->why[0] == '\0')
		return false;
	EV(c, "%s", hm->why);
	return true;
}

/* --aws looked a host without a vpce- ID up among the account's endpoints: none fits. */
static bool
m_aws_no_match(struct ctx *c)
{
	const struct pgr_aws_host *hm = c->h->aws_host;

	if (c->h->t->endpoint.is_endpoint || hm == NULL || hm->endpoint_id[0] != '\0' ||
	    hm->why[0] == '\0' ||
	    c->h->aws->calls[PGR_AWS_DESCRIBE_VPC_ENDPOINTS].status != PGR_AWS_OK)
		return false;
	EV(c, "%s", hm->why);
	return true;
}
static bool m_aws_bad_answer(struct ctx *c) { return m_aws(c, PGR_AWS_BAD_ANSWER); }
static bool m_aws_error(struct ctx *c) { return m_aws(c, PGR_AWS_ERROR); }

/* ---- rules: dns ---- */

static bool m_nxdomain(struct ctx *c) { return dns_is(c, PGR_DNS_NXDOMAIN); }
static bool m_servfail(struct ctx *c) { return dns_is(c, PGR_DNS_SERVFAIL); }
static bool m_dns_timeout(struct ctx *c) { return dns_is(c, PGR_DNS_TIMEOUT); }
static bool m_dns_refused(struct ctx *c) { return dns_is(c, PGR_DNS_REFUSED); }
static bool m_no_address(struct ctx *c) { return dns_is(c, PGR_DNS_NO_ADDRESS); }
static bool m_dns_error(struct ctx *c) { return dns_is(c, PGR_DNS_ERROR); }

static bool
m_public(struct ctx *c)
{
	if (c->h->npublic == 0)
		return false;
	EV(c, "%s resolves to %s: %zu of %zu addresses are public", c->h->host,
	    c->h->addrs, c->h->npublic, c->h->naddrs);
	return true;
}

static bool
m_outside_vpc(struct ctx *c)
{
	if (c->h->noutside == 0 || c->h->npublic > 0)
		return false;
	EV(c, "%s resolves to %s: %zu of %zu addresses are outside --vpc-cidr",
	    c->h->host, c->h->addrs, c->h->noutside, c->h->naddrs);
	return true;
}

/* ---- rules: tcp ---- */

/* Security-group evidence: 1 every probed port allowed, 0 one blocked, -1 unsure. */
static int
sg_verdict(const struct ctx *c)
{
	int i, v = 1, seen = 0;

	for (i = 0; i < P__N; i++) {
		if (!probed(&c->h->p[i]))
			continue;
		seen++;
		if (c->h->p[i].sg == 0)
			return 0;
		if (c->h->p[i].sg < 0)
			v = -1;
	}
	return seen ? v : -1;
}

/*
 * Heroku's side is up (Operational) and the account that owns the endpoint
 * is not Pending or missing there, yet AWS holds the endpoint
 * pendingAcceptance: the acceptance itself is what is missing.
 */
static bool
pending_while_operational(const struct ctx *c)
{
	return c->h->acc == PGR_VPCE_PENDING_ACCEPTANCE && c->h->pl != NULL &&
	    c->h->pl->status == PGR_PL_OPERATIONAL && !c->h->all_pending &&
	    !c->h->account_pending && !c->h->account_missing;
}

/* Heroku's Connections row and describe-vpc-endpoints give two States. */
static bool
files_disagree(const struct ctx *c)
{
	return c->h->conn != NULL && c->h->vpce != NULL && c->h->conn->status_raw != NULL &&
	    c->h->conn->state != PGR_VPCE_UNKNOWN && c->h->vpce->state != PGR_VPCE_UNKNOWN &&
	    c->h->conn->state != c->h->vpce->state;
}

static bool
m_pending_operational(struct ctx *c)
{
	if (!timeout_everywhere(c) || !pending_while_operational(c))
		return false;
	snprintf(c->h_account, sizeof(c->h_account), "%s", c->h->account);
	EV(c, "heroku data:privatelink: Status %s%s%s%s%s%s; %s: endpoint %s is %s; TCP connects to %s time out on every port",
	    c->h->pl->status_raw ? c->h->pl->status_raw : "Operational",
	    c->h->account_active ? ", account " : "", c->h->account_active ? c->h->account : "",
	    c->h->account_active ? " Active" : "",
	    files_disagree(c) ? ", its Connections row says " : "",
	    files_disagree(c) ? c->h->conn->status_raw : "", c->h->acc_src, c->h->acc_id,
	    vpce_state(c), c->h->addrs);
	return true;
}

static bool
m_timeout_acceptance_first(struct ctx *c)
{
	if (!timeout_everywhere(c) || pending_while_operational(c))
		return false;
	if (vpce_not_available(c)) {
		EV(c, "TCP connects to %s time out on every port, and %s says endpoint %s is %s",
		    c->h->addrs, c->h->acc_src, c->h->acc_id, vpce_state(c));
		return true;
	}
	if (c->h->acc == PGR_VPCE_UNKNOWN && sg_verdict(c) == 1) {
		EV(c, "TCP connects to %s time out on every port although the security-group evidence allows them; an endpoint not yet accepted drops them the same way",
		    c->h->addrs);
		return true;
	}
	return false;
}

static bool
m_timeout_sg(struct ctx *c)
{
	if (!timeout_everywhere(c) || vpce_not_available(c) || sg_verdict(c) >= 0)
		return false;
	EV(c, "TCP connects to %s time out on every port probed (a silent drop, not a refusal)%s%s",
	    c->h->addrs, c->h->acc == PGR_VPCE_AVAILABLE ? "; the endpoint is available, says " : "",
	    c->h->acc == PGR_VPCE_AVAILABLE ? c->h->acc_src : "");
	return true;
}

static bool
m_timeout_nacl(struct ctx *c)
{
	if (!timeout_everywhere(c) || vpce_not_available(c) || sg_verdict(c) != 1)
		return false;
	EV(c, "TCP connects to %s time out on every port, yet the security groups allow 5432-5433%s%s",
	    c->h->addrs, c->h->acc == PGR_VPCE_AVAILABLE ? " and the endpoint is available, says " : "",
	    c->h->acc == PGR_VPCE_AVAILABLE ? c->h->acc_src : "");
	return true;
}

static bool
m_timeout_acceptance_second(struct ctx *c)
{
	if (!timeout_everywhere(c) || c->h->acc != PGR_VPCE_UNKNOWN || sg_verdict(c) >= 0)
		return false;
	EV(c, "TCP connects to %s time out on every port; an endpoint that is not yet accepted drops them the same way",
	    c->h->addrs);
	return true;
}

static bool
m_timeout_port(struct ctx *c)
{
	const struct port_facts *p = some_port(c, PGR_PH_TCP, PGR_TCP_TIMEOUT);

	if (p == NULL || every_port(c, PGR_PH_TCP, PGR_TCP_TIMEOUT))
		return false;
	EV(c, "TCP to port %s times out on every address while port %s connects",
	    c->port, c->other_port);
	return true;
}

static bool
tcp_bad(enum pgr_err e)
{
	return e == PGR_TCP_TIMEOUT || e == PGR_TCP_REFUSED ||
	    e == PGR_TCP_UNREACHABLE || e == PGR_TCP_ERROR;
}

static const char *
how_name(enum pgr_err e)
{
	return e == PGR_TCP_TIMEOUT ? "times out" : e == PGR_TCP_REFUSED ?
	    "is refused" : e == PGR_TCP_UNREACHABLE ? "is unreachable" : "fails";
}

/* TCP connects on every port probed at this address. */
static bool
addr_works(const struct addr_facts *a)
{
	int i, seen = 0;

	for (i = 0; i < P__N; i++) {
		if (!a->seen[i])
			continue;
		if (a->tcp[i] != PGR_OK)
			return false;
		seen++;
	}
	return seen > 0;
}

/*
 * An IPv6 address this client cannot reach (no IPv6 route, no IPv6 source
 * address: connect() fails at once) on every port, while another address
 * of the same name works on every port.  IPV6_UNREACHABLE speaks for it,
 * so the partial rules leave it out.
 */
static bool
v6_unroutable(const struct host_facts *h, const struct addr_facts *a)
{
	size_t k;
	int i, seen = 0;

	if (a->family != 6)
		return false;
	for (i = 0; i < P__N; i++) {
		if (!a->seen[i])
			continue;
		if (a->tcp[i] != PGR_TCP_UNREACHABLE)
			return false;
		seen++;
	}
	if (seen == 0)
		return false;
	for (k = 0; k < h->nad; k++)
		if (addr_works(&h->ad[k]))
			return true;
	return false;
}

/* Some addresses fail at TCP on one port where others connect on it. */
static bool
partial_port(struct ctx *c)
{
	const struct host_facts *h = c->h;
	size_t k;
	int i;

	for (i = 0; i < P__N; i++) {
		enum pgr_err how = PGR_OK;

		c->bad[0] = c->good[0] = '\0';
		for (k = 0; k < h->nad; k++) {
			const struct addr_facts *a = &h->ad[k];

			if (!a->seen[i] || v6_unroutable(h, a))
				continue;
			/* refused here, answered on the other port: PORT_SERVICE_DOWN */
			if (a->tcp[i] == PGR_TCP_REFUSED && a->seen[1 - i] &&
			    a->tcp[1 - i] == PGR_OK)
				continue;
			if (tcp_bad(a->tcp[i])) {
				list_add(c->bad, sizeof(c->bad), a->addr);
				how = how == PGR_OK || how == a->tcp[i] ? a->tcp[i] : PGR_TCP_ERROR;
			} else if (a->tcp[i] == PGR_OK)
				list_add(c->good, sizeof(c->good), a->addr);
		}
		if (c->bad[0] == '\0' || c->good[0] == '\0')
			continue;
		snprintf(c->port, sizeof(c->port), "%d", h->p[i].port);
		snprintf(c->how, sizeof(c->how), "%s on port %d", how_name(how),
		    h->p[i].port);
		EV(c, "%s: TCP to %s %s, while TCP to %s connects on it", h->host,
		    c->bad, c->how, c->good);
		return true;
	}
	return false;
}

/*
 * The zone of an endpoint address: its network interface's subnet in the
 * --aws evidence, else the zone of a zonal target name; NULL unknown.
 */
static const char *
zone_of(const struct ctx *c, const char *addr)
{
	const struct pgr_eni *e;
	bool known = false;

	if (c->o->ev != NULL &&
	    (e = pgr_eni_for_addr(c->o->ev, c->h->vpce, addr, NULL, &known)) != NULL &&
	    e->az != NULL && e->az[0] != '\0')
		return e->az;
	return c->h->t->endpoint.zone[0] ? c->h->t->endpoint.zone : NULL;
}

/*
 * Which addresses fail at TCP on every port probed while others connect:
 * fills {bad} (with their zones in {zone}) and {good}; *how is the one way
 * they fail, PGR_TCP_ERROR when they fail in several ways.
 */
static void
zone_split(struct ctx *c, size_t *nbad, size_t *ngood, enum pgr_err *how)
{
	const struct host_facts *h = c->h;
	bool mixed = false;
	size_t k;
	int i;

	*nbad = *ngood = 0;
	*how = PGR_OK;
	for (k = 0; k < h->nad; k++) {
		const struct addr_facts *a = &h->ad[k];
		bool bad = true, good = false, any = false;
		const char *z;

		if (v6_unroutable(h, a))
			continue;
		for (i = 0; i < P__N; i++) {
			if (!a->seen[i])
				continue;
			any = true;
			if (!tcp_bad(a->tcp[i]))
				bad = false;
			if (a->tcp[i] == PGR_OK)
				good = true;
		}
		if (!any)
			continue;
		if (bad) {
			list_add(c->bad, sizeof(c->bad), a->addr);
			if ((z = zone_of(c, a->addr)) != NULL && strstr(c->zones, z) == NULL)
				list_add(c->zones, sizeof(c->zones), z);
			for (i = 0; i < P__N; i++)
				if (a->seen[i]) {
					if (*how != PGR_OK && *how != a->tcp[i])
						mixed = true;
					*how = a->tcp[i];
				}
			(*nbad)++;
		} else if (good) {
			list_add(c->good, sizeof(c->good), a->addr);
			(*ngood)++;
		}
	}
	if (mixed)
		*how = PGR_TCP_ERROR;
}

/* The {how} and evidence of a zone finding. */
static void
zone_evidence(struct ctx *c, enum pgr_err how)
{
	const struct host_facts *h = c->h;

	snprintf(c->how, sizeof(c->how), "%s on %s", how_name(how),
	    probed(&h->p[P_PG]) && probed(&h->p[P_BOUNCER]) ? "every port (5432 and 5433)" :
	    probed(&h->p[P_PG]) ? "port 5432" : "port 5433");
	EV(c, "%s: TCP to %s %s, while TCP to %s connects%s%s", h->host, c->bad, c->how,
	    c->good, c->zones[0] ? "; zone of " : "", c->zones[0] ? c->bad : "");
	if (c->zones[0] != '\0') {
		size_t n = strlen(c->evidence);

		snprintf(c->evidence + n, sizeof(c->evidence) - n, ": %s", c->zones);
	} else if (h->t->endpoint.zone[0] == '\0') {
		size_t n = strlen(c->evidence);

		snprintf(c->evidence + n, sizeof(c->evidence) - n, "%s",
		    "; the zonal names (the endpoint name with -<zone> after its id) tell which zone each address is in");
	}
}

/*
 * Some addresses refuse on every port probed while others connect: at
 * that address something answers, with a reset, for the endpoint's every
 * port.  Neither a security group (it drops silently, and one covers every
 * interface) nor a route (that is ICMP or a timeout): the endpoint's
 * interface in that zone has nothing behind it to take the connection.
 */
static bool
m_zone_refused(struct ctx *c)
{
	size_t nbad, ngood;
	enum pgr_err how;

	zone_split(c, &nbad, &ngood, &how);
	if (nbad == 0 || ngood == 0 || how != PGR_TCP_REFUSED)
		return false;
	zone_evidence(c, how);
	return true;
}

/*
 * Some addresses fail at TCP on every port probed while others connect:
 * one endpoint interface or its zone's path is broken.  One security group
 * covers every interface of an endpoint, so this is not the group.  Names
 * every address that fails, how, on which ports, and those that work.
 */
static bool
m_partial(struct ctx *c)
{
	size_t nbad, ngood;
	enum pgr_err how;

	zone_split(c, &nbad, &ngood, &how);
	if (nbad == 0 || ngood == 0) {
		c->zones[0] = '\0';
		return partial_port(c);
	}
	if (how == PGR_TCP_REFUSED)
		return false;	/* ZONE_REFUSED */
	zone_evidence(c, how);
	return true;
}

/*
 * The first probed port where some attempt ended with e in phase ph: sets
 * {port} and {other_port} and the evidence "port P (role): N of M <what>".
 */
static bool
m_phase(struct ctx *c, enum pgr_phase ph, enum pgr_err e, const char *what)
{
	static const char *const noun[PGR_PH__COUNT] = {
		"lookups", "addresses", "connections", "logins", "sessions"
	};
	int i;

	for (i = 0; i < P__N; i++) {
		const struct port_facts *p = &c->h->p[i];
		size_t n = count(p, ph, e);

		if (n == 0 || (c->only >= 0 && i != c->only))
			continue;
		c->pi = i;
		snprintf(c->port, sizeof(c->port), "%d", p->port);
		snprintf(c->other_port, sizeof(c->other_port), "%d", i == P_PG ? 5433 : 5432);
		EV(c, "port %d (%s): %zu of %zu %s: %s%s%s", p->port,
		    i == P_PG ? "Postgres" : "PgBouncer", n, p->n, noun[ph], what,
		    ph == PGR_PH_LOGIN && p->sqlstate[0] ? ", SQLSTATE " : "",
		    ph == PGR_PH_LOGIN ? p->sqlstate : "");
		return true;
	}
	return false;
}

static bool
m_refused(struct ctx *c)
{
	return m_phase(c, PGR_PH_TCP, PGR_TCP_REFUSED, "refused the connection (TCP reset)");
}

/* Only the addresses that were unreachable: never one that connected. */
static bool
m_unreachable(struct ctx *c)
{
	size_t k;
	int i;

	for (k = 0; k < c->h->nad; k++)
		for (i = 0; i < P__N; i++)
			if (c->h->ad[k].seen[i] && c->h->ad[k].tcp[i] == PGR_TCP_UNREACHABLE) {
				list_add(c->bad, sizeof(c->bad), c->h->ad[k].addr);
				break;
			}
	if (c->bad[0] == '\0')
		return false;
	EV(c, "no route from here to %s (network or host unreachable)", c->bad);
	return true;
}

static const char *
unreach_why(int e)
{
	switch (e) {
	case ENETUNREACH:
		return "no IPv6 route to it: ENETUNREACH";
	case EADDRNOTAVAIL:
		return "no IPv6 address to send from: EADDRNOTAVAIL";
	case EHOSTUNREACH:
		return "host unreachable over IPv6: EHOSTUNREACH";
	default:
		return "unreachable over IPv6";
	}
}

/*
 * The name answers A records that work and AAAA records this client cannot
 * route.  Not the endpoint's fault and not fatal: libpq tries the next
 * address when connect() fails.  Names the IPv6 addresses and how they
 * failed; the working addresses are only said to work.
 */
static bool
m_v6_unroutable(struct ctx *c)
{
	const struct host_facts *h = c->h;
	size_t k;
	int i, e = 0;

	for (k = 0; k < h->nad; k++) {
		const struct addr_facts *a = &h->ad[k];

		if (v6_unroutable(h, a)) {
			list_add(c->bad, sizeof(c->bad), a->addr);
			for (i = 0; i < P__N && e == 0; i++)
				if (a->seen[i])
					e = a->tcp_errno[i];
		} else if (addr_works(a))
			list_add(c->good, sizeof(c->good), a->addr);
	}
	if (c->bad[0] == '\0' || c->good[0] == '\0')
		return false;
	snprintf(c->how, sizeof(c->how), "%s", unreach_why(e));
	EV(c, "%s answers AAAA %s: connect() to it failed at once on %s (%s); TCP to %s connects on every port",
	    h->host, c->bad,
	    probed(&h->p[P_PG]) && probed(&h->p[P_BOUNCER]) ? "5432 and 5433" :
	    probed(&h->p[P_PG]) ? "5432" : "5433", c->how, c->good);
	return true;
}

static bool
m_tcp_error(struct ctx *c)
{
	return some_port(c, PGR_PH_TCP, PGR_TCP_ERROR) != NULL &&
	    EV(c, "connect to port %s failed with an unexpected error", c->port) > 0;
}

/* ---- rules: tls, certificate ---- */

static bool
m_tls_phase(struct ctx *c, enum pgr_err e, const char *what)
{
	return m_phase(c, PGR_PH_TLS, e, what);
}

static bool
m_not_offered(struct ctx *c)
{
	return m_tls_phase(c, PGR_TLS_NOT_OFFERED, "the server answered N to SSLRequest");
}

static bool
m_cert_verify(struct ctx *c)
{
	if (!c->h->cert_unverified)
		return false;
	EV(c, "sslmode verify-* was asked and the certificate does not verify: %s",
	    c->h->verify_error);
	return true;
}

static bool
m_handshake(struct ctx *c)
{
	return m_tls_phase(c, PGR_TLS_HANDSHAKE, "the TLS handshake failed");
}

static bool
m_old_tls(struct ctx *c)
{
	if (!c->h->old_tls)
		return false;
	EV(c, "a connection negotiated a TLS version below 1.2");
	return true;
}

/* ---- rules: service, login, query ---- */

static bool
m_silent(struct ctx *c)
{
	return m_tls_phase(c, PGR_TLS_TIMEOUT,
	    "TCP connected, then no answer to SSLRequest before the deadline");
}

static bool
m_tls_closed(struct ctx *c)
{
	return m_tls_phase(c, PGR_TLS_CLOSED, "the server closed the connection during TLS");
}

/*
 * The server answered 'S', our ClientHello left, and its handshake flight
 * never came: large segments are lost on the way in, small ones pass.
 */
static bool
m_mtu(struct ctx *c)
{
	const struct port_facts *p;

	if (!m_tls_phase(c, PGR_TLS_TIMEOUT, "TLS stalled"))
		return false;
	p = &c->h->p[c->pi];
	if (p->ssl_s == 0 || p->hello == 0)
		return false;
	snprintf(c->mtu, sizeof(c->mtu), "%d", p->mtu > 0 ? p->mtu : 1500);
	EV(c, "port %d (%s): %zu of %zu handshakes stalled at %s: the server answered S to SSLRequest, our ClientHello left, then %lld bytes (%d TLS records) came back before the deadline%s%s; full-size segments (MSS %d, path MTU %s as this host assumes) never arrived",
	    p->port, c->pi == P_PG ? "Postgres" : "PgBouncer",
	    count(p, PGR_PH_TLS, PGR_TLS_TIMEOUT), p->n, c->h->addrs, p->tls_bytes,
	    p->records, p->state[0] ? "; last state: " : "", p->state,
	    p->mss > 0 ? p->mss : 1460, c->mtu);
	return true;
}

/*
 * This port refuses where the other port on the same address answers TLS:
 * the endpoint is right, the service behind this port is down.
 */
static bool
m_port_down(struct ctx *c)
{
	const struct host_facts *h = c->h;
	size_t k;
	int i, o;
	bool login_bad = false;

	for (i = 0; i < P__N; i++) {
		if (c->only >= 0 && i != c->only)
			continue;
		o = 1 - i;
		c->bad[0] = '\0';
		for (k = 0; k < h->nad; k++) {
			const struct addr_facts *a = &h->ad[k];

			if (!a->seen[i] || !a->seen[o] || a->tcp[i] != PGR_TCP_REFUSED ||
			    a->tls[o] != PGR_OK)
				continue;
			list_add(c->bad, sizeof(c->bad), a->addr);
			if (pgr_err_failed(a->login[o]))
				login_bad = true;
		}
		if (c->bad[0] == '\0')
			continue;
		c->pi = i;
		snprintf(c->port, sizeof(c->port), "%d", h->p[i].port);
		snprintf(c->other_port, sizeof(c->other_port), "%d", h->p[o].port);
		EV(c, "%s on port %d refused the connection (TCP reset) at %s; %s on port %d at the same address%s completed TLS%s%s%s",
		    i == P_PG ? "Postgres" : "PgBouncer", h->p[i].port, c->bad,
		    o == P_PG ? "Postgres" : "PgBouncer", h->p[o].port,
		    strchr(c->bad, ',') ? "es" : "",
		    login_bad ? ", and its logins failed" : "",
		    login_bad && h->p[o].sqlstate[0] ? ", SQLSTATE " : "",
		    login_bad ? h->p[o].sqlstate : "");
		return true;
	}
	return false;
}

/* The user's own sslmode=disable met a server that requires TLS at login. */
static bool
m_tls_required(struct ctx *c)
{
	int i;

	for (i = 0; i < P__N; i++) {
		const struct port_facts *p = &c->h->p[i];

		if ((c->only >= 0 && i != c->only) || !all(p, PGR_PH_TLS, PGR_TLS_DISABLED) ||
		    (strcmp(p->sqlstate, "08P01") != 0 && strcmp(p->sqlstate, "28000") != 0) ||
		    count(p, PGR_PH_LOGIN, PGR_OK) > 0)
			continue;
		c->pi = i;
		snprintf(c->port, sizeof(c->port), "%d", p->port);
		EV(c, "port %d (%s): TLS was not asked for (sslmode=disable) and the login was refused with SQLSTATE %s",
		    p->port, i == P_PG ? "Postgres" : "PgBouncer", p->sqlstate);
		return true;
	}
	return false;
}

static bool
m_login(struct ctx *c, enum pgr_err e, const char *what)
{
	return m_phase(c, PGR_PH_LOGIN, e, what);
}

/*
 * PgBouncer takes TLS and fails every login it has to pass on, while the
 * same login straight to Postgres works: PgBouncer's own way to the
 * database is broken (its server login, its auth_file, its [databases]
 * entry), not the client's credentials, database name or network.
 */
static bool
m_bouncer_backend(struct ctx *c)
{
	const struct port_facts *b = &c->h->p[P_BOUNCER], *pg = &c->h->p[P_PG];

	if (c->only != P_BOUNCER || !all(b, PGR_PH_TLS, PGR_OK) ||
	    count(b, PGR_PH_LOGIN, PGR_OK) > 0 ||
	    count(b, PGR_PH_LOGIN, PGR_LOGIN_PGBOUNCER_FULL) > 0 ||
	    count(pg, PGR_PH_LOGIN, PGR_OK) == 0)
		return false;
	c->pi = P_BOUNCER;
	snprintf(c->port, sizeof(c->port), "%d", b->port);
	snprintf(c->other_port, sizeof(c->other_port), "%d", pg->port);
	EV(c, "port %d (PgBouncer): TLS completed and %zu of %zu logins failed (%s%s%s); port %d (Postgres): %zu of %zu logins with the same user, password and database succeeded",
	    b->port, b->n - count(b, PGR_PH_LOGIN, PGR_OK), b->n, pgr_err_name(b->login_err),
	    b->sqlstate[0] ? ", SQLSTATE " : "", b->sqlstate, pg->port,
	    count(pg, PGR_PH_LOGIN, PGR_OK), pg->n);
	return true;
}

static bool
m_bouncer_full(struct ctx *c)
{
	return m_login(c, PGR_LOGIN_PGBOUNCER_FULL,
	    "PgBouncer turned the client away: no more connections allowed (max_client_conn)");
}

static bool
m_not_accepting(struct ctx *c)
{
	return m_login(c, PGR_LOGIN_NOT_ACCEPTING,
	    "the database is not currently accepting connections (55000)");
}

static bool
m_cannot_connect_now(struct ctx *c)
{
	return m_login(c, PGR_LOGIN_CANNOT_CONNECT_NOW,
	    "the database system is starting up, shutting down or recovering (57P03)");
}

/* 57P01: the session was terminated by an administrator while in use. */
static bool
m_terminated(struct ctx *c)
{
	if (c->only < 0 || strcmp(c->h->p[c->only].qsqlstate, "57P01") != 0)
		return false;
	return m_phase(c, PGR_PH_QUERY, PGR_QUERY_ERROR,
	    "logged in, then the server ended the session mid-query with SQLSTATE 57P01 (terminating connection due to administrator command)");
}

static bool m_auth(struct ctx *c) { return m_login(c, PGR_LOGIN_AUTH, "password or role rejected"); }
static bool m_database(struct ctx *c) { return m_login(c, PGR_LOGIN_DATABASE, "no such database"); }

static bool
m_capacity_pg(struct ctx *c)
{
	if (!m_login(c, PGR_LOGIN_CAPACITY, "no connection slot left"))
		return false;
	/* Postgres is full but PgBouncer still serves: the pooler is the way. */
	return strcmp(c->port, "5432") == 0 && probed(&c->h->p[P_BOUNCER]) &&
	    count(&c->h->p[P_BOUNCER], PGR_PH_LOGIN, PGR_OK) > 0;
}

static bool
m_capacity(struct ctx *c)
{
	return !m_capacity_pg(c) &&
	    m_login(c, PGR_LOGIN_CAPACITY, "no connection slot left");
}

static bool m_login_closed(struct ctx *c) { return m_login(c, PGR_LOGIN_CLOSED, "the server closed the connection"); }
static bool m_login_timeout(struct ctx *c) { return m_login(c, PGR_LOGIN_TIMEOUT, "no answer before the deadline"); }
static bool m_login_error(struct ctx *c) { return m_login(c, PGR_LOGIN_ERROR, "the server refused the login"); }

static bool
m_query(struct ctx *c, enum pgr_err e, const char *what)
{
	return m_phase(c, PGR_PH_QUERY, e, what);
}

static bool
m_query_error(struct ctx *c)
{
	if (c->only >= 0 && strcmp(c->h->p[c->only].qsqlstate, "57P01") == 0)
		return false;	/* SESSION_TERMINATED */
	return m_query(c, PGR_QUERY_ERROR, "the query failed");
}
static bool m_query_timeout(struct ctx *c) { return m_query(c, PGR_QUERY_TIMEOUT, "the queries did not finish before the deadline"); }

/* Evidence that says "blocked" where the probes went through is stale or wrong. */
static bool
m_contradiction(struct ctx *c)
{
	size_t n = connected(c);
	struct ctx t = *c;
	int i;

	if (n == 0)
		return false;
	if (region_evidence(&t)) {
		EV(c, "%.900s, yet %zu connections from here went through", t.evidence, n);
		return true;
	}
	if (c->h->all_pending || c->h->account_pending || c->h->account_missing) {
		EV(c, "heroku data:privatelink lists %s as %s, yet %zu connections went through (the endpoint is accepted)",
		    c->h->account[0] ? c->h->account : "every allowed account",
		    c->h->account_missing ? "not allowed (absent)" : "Pending", n);
		return true;
	}
	if (vpce_not_available(c) && !partial_fits(c)) {
		EV(c, "%s says endpoint %s is %s, yet %zu connections went through",
		    c->h->acc_src, c->h->acc_id, vpce_state(c), n);
		return true;
	}
	if (c->h->pl != NULL && c->h->pl->status == PGR_PL_PROVISIONING) {
		EV(c, "heroku data:privatelink says Provisioning, yet %zu connections went through",
		    n);
		return true;
	}
	for (i = 0; i < P__N; i++) {
		if (c->h->p[i].sg == 0 && count(&c->h->p[i], PGR_PH_TCP, PGR_OK) > 0) {
			EV(c, "the security-group evidence blocks port %d, yet it connected",
			    c->h->p[i].port);
			return true;
		}
	}
	return false;
}

static const struct rule rules[] = {
	{ PGR_F_REGION_MISMATCH, PGR_CAUSE_REGION, PGR_SEV_CRITICAL, m_region,
	  "The endpoint is in {region_a} but {region_b_of} is in {region_b}: Heroku needs them in one region",
	  "AWS lets an endpoint reach a service in another region only when the service's provider opts in to cross-region PrivateLink, and Heroku requires the endpoint in the database's own region (Heroku's PrivateLink documentation), so an endpoint in {region_a} does not reach a database whose service is in another region. Create the endpoint in the region of the Heroku endpoint service ({service_region}; heroku data:privatelink shows its Service Name, com.amazonaws.vpce.<region>.vpce-svc-...), in a VPC of that region, and use its DNS name.", 0, false },
	{ PGR_F_ENDPOINT_SERVICE_REGION, PGR_CAUSE_REGION, PGR_SEV_CRITICAL, m_service_region,
	  "The VPC endpoint {id} is in {region_a}, but its service is in {region_b}",
	  "AWS lets an endpoint reach a service in another region only when the service's provider opts in to cross-region PrivateLink, and Heroku requires the endpoint in the database's own region. Create the endpoint in {region_b}, the region the service name names ({service}), in a VPC of that region, and use its DNS name.", 0, false },
	{ PGR_F_PRIVATELINK_PROVISIONING, PGR_CAUSE_ACCEPTANCE, PGR_SEV_CRITICAL, m_provisioning,
	  "Heroku is still provisioning the PrivateLink endpoint service",
	  "Wait until heroku data:privatelink shows Status: Operational (it takes several minutes), then create or re-check the VPC endpoint.", 0, false },
	{ PGR_F_ACCOUNT_NOT_ALLOWED, PGR_CAUSE_ACCEPTANCE, PGR_SEV_CRITICAL, m_account,
	  "The AWS account {account_list} is {account_status} Heroku's allow-list, so Heroku does not accept the endpoint",
	  "{accept_step}", 0, false },
	{ PGR_F_ENDPOINT_PENDING_ACCEPTANCE, PGR_CAUSE_ACCEPTANCE, PGR_SEV_CRITICAL, m_pending_operational,
	  "Heroku's service is Operational but AWS holds endpoint {id} pendingAcceptance, so TCP connects to it time out on every port",
	  "{accept_step}", 0, false },
	{ PGR_F_ENDPOINT_NOT_AVAILABLE, PGR_CAUSE_ACCEPTANCE, PGR_SEV_CRITICAL, m_timeout_acceptance_first,
	  "The VPC endpoint {id} {state_is}, so TCP connects to it time out: {state_why}",
	  "{state_remedy}", 0, false },
	{ PGR_F_SECURITY_GROUP_EVIDENCE, PGR_CAUSE_SECURITY_GROUP, PGR_SEV_CRITICAL, m_sg_evidence,
	  "The endpoint's security groups do not let TCP {port} in from this client",
	  "Add an inbound rule for TCP 5432-5433 from the client's address range to the endpoint's security group (aws ec2 authorize-security-group-ingress --group-id <sg> --protocol tcp --port 5432-5433 --cidr <client CIDR>).", 0, false },
	{ PGR_F_NETWORK_ACL_EVIDENCE, PGR_CAUSE_SECURITY_GROUP, PGR_SEV_CRITICAL, m_nacl_evidence,
	  "A network ACL of the endpoint's subnets drops TCP {port} or its return traffic",
	  "Network ACLs are stateless: the endpoint's subnets need inbound TCP 5432-5433 from the client and outbound TCP 1024-65535 (the return traffic) to it, each allowed by a rule numbered below any deny that matches (aws ec2 create-network-acl-entry / replace-network-acl-entry).", 0, false },
	{ PGR_F_SECURITY_GROUP_BLOCKS, PGR_CAUSE_SECURITY_GROUP, PGR_SEV_CRITICAL, m_timeout_sg,
	  "TCP to {host} times out on every address and port: a security group or network ACL drops it",
	  "Allow inbound TCP 5432-5433 from the client on the endpoint's security group: find it with " CMD_VPCE " --query 'VpcEndpoints[0].Groups', then aws ec2 authorize-security-group-ingress --group-id <sg> --protocol tcp --port 5432-5433 --cidr <client CIDR>. Check the subnets' network ACLs too (inbound 5432-5433 and outbound ephemeral ports).{state_hint}", X_ALL_PENDING, false },
	{ PGR_F_NETWORK_ACL_BLOCKS, PGR_CAUSE_SECURITY_GROUP, PGR_SEV_CRITICAL, m_timeout_nacl,
	  "TCP to {host} times out although the security groups allow it: a network ACL drops it",
	  "Check the network ACLs of the client's and the endpoint's subnets: inbound TCP 5432-5433 to the endpoint, and the return traffic on ephemeral ports 1024-65535 (aws ec2 describe-network-acls --filters Name=association.subnet-id,Values=<subnet>). Check that the security groups in the evidence are the ones attached to the endpoint (" CMD_VPCE " --query 'VpcEndpoints[0].Groups').", X_ALL_PENDING, false },
	{ PGR_F_ENDPOINT_NOT_ACCEPTED, PGR_CAUSE_ACCEPTANCE, PGR_SEV_CRITICAL, m_timeout_acceptance_second,
	  "The VPC endpoint may not be accepted yet (pendingAcceptance or rejected), which also times out",
	  "Tell the two apart with " CMD_VPCE " --query 'VpcEndpoints[0].State': available means the security group; pendingAcceptance or rejected means acceptance ({account_question}). Or give pgreach that output with --evidence.", X_ALL_PENDING, false },
	{ PGR_F_ENDPOINT_STATE, PGR_CAUSE_ACCEPTANCE, PGR_SEV_CRITICAL, m_vpce_state,
	  "The VPC endpoint {id} is {state}, not available: {state_why}{state_where}",
	  "{state_remedy}", 0, false },
	{ PGR_F_DNS_NXDOMAIN, PGR_CAUSE_DNS, PGR_SEV_CRITICAL, m_nxdomain,
	  "The name {host} does not exist (NXDOMAIN)",
	  "The endpoint may be deleted or failed, or the name mistyped. Take the name from " CMD_VPCE " --query 'VpcEndpoints[0].DnsEntries' or from the DATABASE_ENDPOINT_<ID>_URL config var (heroku config -a <app>).", 0, false },
	{ PGR_F_DNS_SERVFAIL, PGR_CAUSE_DNS, PGR_SEV_CRITICAL, m_servfail,
	  "The resolver failed to resolve {host} (SERVFAIL)",
	  "The VPC's resolver could not answer: check that the VPC has DNS support on (aws ec2 describe-vpc-attribute --vpc-id <vpc> --attribute enableDnsSupport) and that the client uses the Amazon-provided resolver (the VPC base address + 2) or forwards vpce.amazonaws.com to it.", 0, false },
	{ PGR_F_DNS_TIMEOUT, PGR_CAUSE_DNS, PGR_SEV_CRITICAL, m_dns_timeout,
	  "No DNS answer for {host}: the resolver is down or unreachable",
	  "Check /etc/resolv.conf and that the resolver answers from this host (dig {host}); in a VPC the Amazon-provided resolver is the VPC base address + 2 and needs enableDnsSupport. Try --dns-server to point pgreach at another resolver.", 0, false },
	{ PGR_F_DNS_REFUSED, PGR_CAUSE_DNS, PGR_SEV_CRITICAL, m_dns_refused,
	  "The resolver refused to resolve {host}",
	  "The resolver does not serve this client or this name: use the VPC's Amazon-provided resolver (VPC base + 2), or --dns-server.", 0, false },
	{ PGR_F_DNS_NO_ADDRESS, PGR_CAUSE_DNS, PGR_SEV_CRITICAL, m_no_address,
	  "{host} exists but has no address record",
	  "An endpoint name always has A records; check that this is the endpoint's DNS name (" CMD_VPCE " --query 'VpcEndpoints[0].DnsEntries').", 0, false },
	{ PGR_F_DNS_ERROR, PGR_CAUSE_DNS, PGR_SEV_CRITICAL, m_dns_error,
	  "Resolving {host} failed",
	  "Check the name and the resolver configuration (dig {host}).", 0, false },
	{ PGR_F_PUBLIC_ADDRESS, PGR_CAUSE_ROUTING, PGR_SEV_CRITICAL, m_public,
	  "{host} resolves to public addresses: traffic would not go through the endpoint",
	  "Endpoint names resolve to private addresses inside the VPC. {name_hint}", 0, false },
	{ PGR_F_ADDRESS_OUTSIDE_VPC, PGR_CAUSE_ROUTING, PGR_SEV_CRITICAL, m_outside_vpc,
	  "{host} resolves to private addresses outside this VPC: another VPC's endpoint",
	  "Use the endpoint created in this client's VPC, or route/peer to the VPC that holds it.", 0, false },
	{ PGR_F_ADDRESS_NOT_ENDPOINT, PGR_CAUSE_DNS, PGR_SEV_WARNING, m_stray_address,
	  "{host} resolves to an address that no network interface of the endpoint holds",
	  "A stale or overridden DNS answer (an /etc/hosts entry, a private hosted zone, a resolver cache) points away from the endpoint: its addresses are those of aws ec2 describe-network-interfaces --network-interface-ids <the endpoint's NetworkInterfaceIds>.", 0, false },
	{ PGR_F_TCP_UNREACHABLE, PGR_CAUSE_ROUTING, PGR_SEV_CRITICAL, m_unreachable,
	  "No route from this host to the endpoint's addresses",
	  "The client must be in the endpoint's VPC (or a routed, peered one): check the client's subnet route table and that the endpoint's subnets are in this VPC.", X_OTHER_ADDRS_OK, false },
	{ PGR_F_IPV6_UNREACHABLE, PGR_CAUSE_ROUTING, PGR_SEV_WARNING, m_v6_unroutable,
	  "The AAAA answer {bad} is unreachable from this client ({how}), while every port connects at {good}",
	  "libpq tries a name's addresses one after another in the order getaddrinfo gives them and moves on when one fails; glibc sorts an address it has no route to last (RFC 6724), and connect() to it failed at once here, so apps still connect. Where an IPv6 attempt hangs instead (a route without a path), every new connection that tries it first waits connect_timeout. Make the answer match the client: set the endpoint's DNS record type to IPv4 (aws ec2 modify-vpc-endpoint --vpc-endpoint-id {id} --dns-options DnsRecordIpType=ipv4; DnsOptions.DnsRecordIpType is ipv4, dualstack or ipv6), or give this client IPv6 routing into the VPC (an IPv6 address in a subnet with an IPv6 CIDR), or pin the working addresses ({good}) with hostaddr= beside host= (the name, for TLS).", 0, false },
	{ PGR_F_SECURITY_GROUP_PORT, PGR_CAUSE_SECURITY_GROUP, PGR_SEV_CRITICAL, m_timeout_port,
	  "TCP {port} is dropped while {other_port} connects: the security group lacks port {port}",
	  "Allow inbound TCP 5432-5433 (both ports: Postgres and PgBouncer) on the endpoint's security group: aws ec2 authorize-security-group-ingress --group-id <sg> --protocol tcp --port 5432-5433 --cidr <client CIDR>.", 0, true },
	{ PGR_F_ZONE_REFUSED, PGR_CAUSE_SERVICE, PGR_SEV_CRITICAL, m_zone_refused,
	  "TCP to {bad} ({zone}) {how} while TCP to {good} connects: the endpoint's interface there has nothing behind it",
	  "A reset is an answer: this is neither a security group (it drops silently, and one group covers every interface of the endpoint) nor a route. The endpoint's network interface at {bad} answers, but the service behind it does not take connections in that zone. Check that the address is the endpoint's (" CMD_VPCE " --query 'VpcEndpoints[0].NetworkInterfaceIds', then aws ec2 describe-network-interfaces), then open a Heroku support ticket with --bundle naming {bad} and its zone. Until it is fixed, a client that tries the next address (libpq tries them in order) gets past the refusal at once.", 0, false },
	{ PGR_F_ZONE_UNREACHABLE, PGR_CAUSE_ROUTING, PGR_SEV_CRITICAL, m_partial,
	  "TCP to {bad} ({zone}) {how} while TCP to {good} connects: one endpoint interface or its zone's path is broken",
	  "One security group covers every interface of the endpoint, so it is not the group. Compare, for the subnet of {bad} against the others: its network ACL (inbound 5432-5433, outbound ephemeral ports), its route table, and that the endpoint still has a network interface in that subnet (" CMD_VPCE " --query 'VpcEndpoints[0].NetworkInterfaceIds'). Until it is fixed, a client that tries the next address (libpq tries them in order, with connect_timeout) still connects.", 0, false },
	{ PGR_F_PORT_SERVICE_DOWN, PGR_CAUSE_SERVICE, PGR_SEV_CRITICAL, m_port_down,
	  "{role} on port {port} refuses connections at {bad} while {other_role} on {other_port} at the same address answers TLS: the endpoint is right, {role} behind it is down",
	  "The endpoint, its security group and DNS work: port {other_port} answers through them. Check the database's state (heroku pg:info -a <app>: Status, and heroku pg:connection-pooling for PgBouncer) and the Heroku status page.{other_serves} Open a support ticket with --bundle if it stays down.", 0, true },
	{ PGR_F_TCP_REFUSED, PGR_CAUSE_ROUTING, PGR_SEV_CRITICAL, m_refused,
	  "The connection to port {port} is refused: that is not the endpoint",
	  "Security groups and ACLs drop silently, they never refuse. Something else answers at that address: a stale DNS answer, a wrong name, or a host that is not the endpoint. Check the name resolves to the endpoint's addresses (" CMD_VPCE " --query 'VpcEndpoints[0].NetworkInterfaceIds').", X_OTHER_PORT_ANSWERS | X_OTHER_ADDRS_OK, true },
	{ PGR_F_TCP_ERROR, PGR_CAUSE_ROUTING, PGR_SEV_CRITICAL, m_tcp_error,
	  "Connecting to port {port} failed",
	  "See the attempt's error; run again with -v.", 0, true },
	{ PGR_F_TLS_NOT_OFFERED, PGR_CAUSE_TLS, PGR_SEV_CRITICAL, m_not_offered,
	  "The server on port {port} does not offer TLS",
	  "Heroku Postgres requires TLS 1.2 or newer and always offers it: something else answers at this address (a proxy or another server). Check the name points at the Heroku endpoint.", 0, true },
	{ PGR_F_CERT_VERIFY_FAILED, PGR_CAUSE_CERTIFICATE, PGR_SEV_CRITICAL, m_cert_verify,
	  "The server certificate does not verify, and verification was asked for",
	  "Keep verifying. If the certificate has expired or is not yet valid, the server must renew it (open a support ticket with --bundle; check the clock of this host). If the chain does not verify, give the CA bundle that issued it with --sslrootcert (and to the app as sslrootcert=); Heroku's is the Amazon RDS or Heroku CA its documentation names. If the name does not match, connect by the name the certificate covers.", 0, false },
	{ PGR_F_TLS_HANDSHAKE, PGR_CAUSE_TLS, PGR_SEV_CRITICAL, m_handshake,
	  "The TLS handshake on port {port} failed",
	  "Heroku requires TLS 1.2+: check the client's OpenSSL and its minimum protocol version, and that nothing between intercepts TLS. With sslmode verify-ca or verify-full, libpq needs the CA bundle: give it with --sslrootcert (or sslrootcert= in the URL); see the attempt's error.", X_CERT_UNVERIFIED, true },
	{ PGR_F_TLS_OLD, PGR_CAUSE_TLS, PGR_SEV_CRITICAL, m_old_tls,
	  "TLS below 1.2 was negotiated",
	  "Heroku requires TLS 1.2 or newer: update the client's TLS library or its settings.", 0, false },
	{ PGR_F_PATH_MTU_BLACKHOLE, PGR_CAUSE_ROUTING, PGR_SEV_CRITICAL, m_mtu,
	  "TLS on port {port} stalls after the server's S: its handshake flight never arrives, large packets are lost on the way (a path MTU black hole below {mtu} bytes)",
	  "Something on the path carries less than this host's MTU ({mtu}) and drops larger packets without an ICMP \"fragmentation needed\" (PrivateLink itself carries 8500 bytes but does no path MTU discovery; VPN and Transit Gateway paths carry less). Find the largest packet that passes: ping -M do -s 1472 <address> (1500 bytes), then smaller sizes until one passes (size + 28 is the path MTU). Then lower this host's MTU to it (ip link set dev <interface> mtu <path MTU>) or clamp the TCP MSS on the VPN or gateway (iptables -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu).", 0, true },
	{ PGR_F_SERVER_SILENT, PGR_CAUSE_SERVICE, PGR_SEV_CRITICAL, m_silent,
	  "The server on port {port} accepts TCP but never answers{other_answers}",
	  "The service behind the endpoint is hung or not Postgres. Check heroku pg:info and the Heroku status page; open a support ticket with a bundle (--bundle).", X_S_ANSWERED, true },
	{ PGR_F_SERVER_CLOSED_TLS, PGR_CAUSE_SERVICE, PGR_SEV_CRITICAL, m_tls_closed,
	  "The server on port {port} closed the connection during TLS",
	  "The service behind the endpoint dropped the connection: check heroku pg:info; open a support ticket with a bundle (--bundle).", 0, true },
	{ PGR_F_TLS_REQUIRED, PGR_CAUSE_TLS, PGR_SEV_CRITICAL, m_tls_required,
	  "{role} on port {port} requires TLS, and this run asked for none (sslmode=disable)",
	  "Heroku Postgres and its PgBouncer accept only TLS connections: use sslmode=require, or better verify-full with the CA bundle (--sslmode, or sslmode= in the URL and in the app's connection string).", 0, true },
	{ PGR_F_PGBOUNCER_BACKEND_FAILS, PGR_CAUSE_SERVICE, PGR_SEV_CRITICAL, m_bouncer_backend,
	  "PgBouncer on port {port} takes TLS but cannot pass any login on to Postgres, while the same login straight to Postgres on {other_port} works",
	  "Your credentials, database name, endpoint, security group and DNS are right: Postgres on {other_port} accepts this very login. PgBouncer's own connection to the database is what fails (its server login, its auth file or its database entry). Check heroku pg:connection-pooling -a <app> and the Heroku status page, and open a Heroku support ticket with --bundle. Meanwhile the direct URL (DATABASE_ENDPOINT_<ID>_URL, port {other_port}) works.", 0, true },
	{ PGR_F_LOGIN_CAPACITY_USE_PGBOUNCER, PGR_CAUSE_CAPACITY, PGR_SEV_CRITICAL, m_capacity_pg,
	  "Postgres has no connection slot left, while PgBouncer on 5433 still lets clients in",
	  "Connect through PgBouncer (the DATABASE_ENDPOINT_<ID>_PGBOUNCER_URL, port 5433), and close idle connections (SELECT count(*) FROM pg_stat_activity).", 0, true },
	{ PGR_F_PGBOUNCER_MAX_CLIENT_CONN, PGR_CAUSE_CAPACITY, PGR_SEV_CRITICAL, m_bouncer_full,
	  "PgBouncer on port {port} has reached its max_client_conn and turns new clients away",
	  "This is PgBouncer's own client limit, not Postgres's max_connections: every client connection open to PgBouncer counts, idle or not. Find who holds them (each app process's pool, workers, one-off dynos), lower the apps' pool sizes or process counts, close leaked connections, or move to a plan whose pooler takes more clients (heroku pg:connection-pooling -a <app>).{postgres_hint}", 0, true },
	{ PGR_F_DATABASE_NOT_ACCEPTING, PGR_CAUSE_SERVICE, PGR_SEV_CRITICAL, m_not_accepting,
	  "The database is not accepting connections (55000), seen on port {port}{relayed}",
	  "The server answered and the database exists, but it is closed to new sessions: its owner ran ALTER DATABASE ... ALLOW_CONNECTIONS false, or it is being restored, copied or recreated. Check heroku pg:info -a <app> (Status) and heroku pg:backups; the database owner re-opens it with ALTER DATABASE <database> ALLOW_CONNECTIONS true. The endpoint, network, TLS and credentials are not the problem.", 0, true },
	{ PGR_F_SERVER_STARTING_OR_STOPPING, PGR_CAUSE_SERVICE, PGR_SEV_CRITICAL, m_cannot_connect_now,
	  "Postgres is starting up, shutting down or recovering and takes no new sessions (57P03), seen on port {port}{relayed}",
	  "A restart, failover or maintenance is under way; sessions already open may go on, new ones are refused until it ends. Retry with a backoff; check heroku pg:info -a <app> (Status), heroku pg:maintenance and the Heroku status page. If it lasts more than a few minutes, open a Heroku support ticket with --bundle. The endpoint, network, TLS and credentials are not the problem.", 0, true },
	{ PGR_F_LOGIN_AUTH, PGR_CAUSE_CREDENTIALS, PGR_SEV_CRITICAL, m_auth,
	  "Password or role rejected on port {port}",
	  "A role that does not exist looks the same as a wrong password (28P01). Credentials rotate: re-read the config var (heroku config:get DATABASE_ENDPOINT_<ID>_URL -a <app>) and update the client.", X_TLS_OFF | X_POSTGRES_LOGS_IN | X_POSTGRES_DOWN, true },
	{ PGR_F_LOGIN_DATABASE, PGR_CAUSE_DATABASE, PGR_SEV_CRITICAL, m_database,
	  "The database does not exist (port {port})",
	  "Take the database name from the config var's URL (the path after the port).", X_POSTGRES_LOGS_IN | X_POSTGRES_DOWN, true },
	{ PGR_F_LOGIN_CAPACITY, PGR_CAUSE_CAPACITY, PGR_SEV_CRITICAL, m_capacity,
	  "No connection slot left on port {port} ({capacity_who})",
	  "Close idle connections (SELECT count(*) FROM pg_stat_activity), lower the app's pool sizes{pgbouncer_hint}, or move to a plan with more connections.", 0, true },
	{ PGR_F_LOGIN_CLOSED, PGR_CAUSE_SERVICE, PGR_SEV_CRITICAL, m_login_closed,
	  "The server closed the connection during login on port {port}",
	  "Check heroku pg:info; a restarting or failing-over database drops logins for a while. Try again; open a support ticket with --bundle if it persists.", X_POSTGRES_LOGS_IN | X_POSTGRES_DOWN, true },
	{ PGR_F_LOGIN_TIMEOUT, PGR_CAUSE_SERVICE, PGR_SEV_CRITICAL, m_login_timeout,
	  "The login on port {port} got no answer in time",
	  "The server is slow or stuck: check heroku pg:info and try a longer --timeout.", X_POSTGRES_LOGS_IN | X_POSTGRES_DOWN, true },
	{ PGR_F_LOGIN_ERROR, PGR_CAUSE_SERVICE, PGR_SEV_CRITICAL, m_login_error,
	  "The server refused the login on port {port}",
	  "See the attempt's SQLSTATE and message; check heroku pg:info.", X_TLS_OFF | X_POSTGRES_LOGS_IN | X_POSTGRES_DOWN, true },
	{ PGR_F_SESSION_TERMINATED, PGR_CAUSE_SERVICE, PGR_SEV_CRITICAL, m_terminated,
	  "An administrator ended the session mid-query on port {port} (57P01)",
	  "The endpoint, network, TLS and login work: the server itself ended the session (pg_terminate_backend, heroku pg:kill or pg:killall, a statement or idle timeout job, or a restart). Find who in the database's logs (heroku logs -p postgres -a <app>) and pg_stat_activity; make the app reconnect and retry when its connection is ended this way.", 0, true },
	{ PGR_F_QUERY_ERROR, PGR_CAUSE_SERVICE, PGR_SEV_CRITICAL, m_query_error,
	  "The timed query failed on port {port}",
	  "See the attempt's SQLSTATE and message; pass a query the role may run with --query.", 0, true },
	{ PGR_F_QUERY_TIMEOUT, PGR_CAUSE_LATENCY, PGR_SEV_CRITICAL, m_query_timeout,
	  "The timed queries did not finish in time on port {port}",
	  "The server is slow: check heroku pg:diagnose, or give pgreach a longer --timeout.", 0, true },
	{ PGR_F_EVIDENCE_CONTRADICTS, PGR_CAUSE_CONFIG, PGR_SEV_WARNING, m_contradiction,
	  "The evidence files disagree with what the probes saw",
	  "The evidence is stale or describes another endpoint: run the AWS/Heroku commands again and pass their fresh output.", 0, false },
	{ PGR_F_AWS_NO_CREDENTIALS, PGR_CAUSE_CONFIG, PGR_SEV_OK, m_aws_no_creds,
	  "--aws found no AWS credentials, so the AWS steps were not read from the API",
	  "Give pgreach credentials the way the AWS CLI takes them: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE (keys or credential_process), a web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN) or an instance role. Check with aws sts get-caller-identity.", 0, false },
	{ PGR_F_AWS_ACCESS_DENIED, PGR_CAUSE_CONFIG, PGR_SEV_OK, m_aws_denied,
	  "AWS denied {action} to these credentials",
	  "Grant the five read-only actions of contrib/aws/pgreach-iam-policy.json (ec2:DescribeVpcEndpoints, ec2:DescribeSecurityGroups, ec2:DescribeSubnets, ec2:DescribeNetworkAcls, ec2:DescribeNetworkInterfaces) to the user or role pgreach runs as.", 0, false },
	{ PGR_F_AWS_THROTTLED, PGR_CAUSE_CONFIG, PGR_SEV_OK, m_aws_throttled,
	  "The EC2 API throttled {action} (RequestLimitExceeded) until the deadline",
	  "Other tools in the account use up its EC2 API request rate: run again later, or with a longer --timeout.", 0, false },
	{ PGR_F_AWS_TIMEOUT, PGR_CAUSE_CONFIG, PGR_SEV_OK, m_aws_timeout,
	  "The EC2 API did not answer {action} before the deadline",
	  "Check that this host reaches the EC2 API (ec2.<region>.amazonaws.com, or an ec2 interface endpoint in a VPC without internet access), or give a longer --timeout.", 0, false },
	{ PGR_F_AWS_ENDPOINT_NOT_FOUND, PGR_CAUSE_CONFIG, PGR_SEV_OK, m_aws_not_found,
	  "The EC2 API does not know the endpoint {id} in {region} for these credentials",
	  "The endpoint belongs to another AWS account: run pgreach with the credentials (AWS_PROFILE) of the account that created it. If it was deleted, create it again.", 0, false },
	{ PGR_F_AWS_BAD_ANSWER, PGR_CAUSE_CONFIG, PGR_SEV_OK, m_aws_bad_answer,
	  "The answer to {action} was not the EC2 API's XML",
	  "Something other than the EC2 API answered: check AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_EC2 and any HTTPS proxy. The bundle keeps the answer.", 0, false },
	{ PGR_F_AWS_ERROR, PGR_CAUSE_CONFIG, PGR_SEV_OK, m_aws_error,
	  "The EC2 API call {action} failed",
	  "See the evidence for the API's error code; check the credentials (aws sts get-caller-identity) and AWS_ENDPOINT_URL.", 0, false },
	{ PGR_F_AWS_ENDPOINT_NO_MATCH, PGR_CAUSE_CONFIG, PGR_SEV_OK, m_aws_no_match,
	  "No interface endpoint of this account in {region} has {host} as a DNS name or holds its addresses",
	  "Use the endpoint's own DNS name (vpce-...vpce.amazonaws.com) as the host, so that --aws asks for it by ID; or run pgreach with the credentials (AWS_PROFILE) and --region of the account and region that own the endpoint. aws ec2 describe-vpc-endpoints --query 'VpcEndpoints[].DnsEntries' shows the names each endpoint has.", 0, false },
	{ PGR_CODE_NONE, PGR_CAUSE_CONFIG, PGR_SEV_OK, NULL, NULL, NULL, 0, false }
};

/* ---- contradictions ---- */

/* One contradicting fact, checked for the port the rule matched (any, -1). */
static bool
contradicts(const struct ctx *c, unsigned x)
{
	const struct host_facts *h = c->h;
	size_t k;
	int i;

	for (i = 0; i < P__N; i++) {
		if (c->pi >= 0 && i != c->pi)
			continue;
		for (k = 0; k < h->nad; k++) {
			const struct addr_facts *a = &h->ad[k];

			if (!a->seen[i] || !tcp_bad(a->tcp[i]))
				continue;
			if (x == X_OTHER_PORT_ANSWERS && a->seen[1 - i] &&
			    a->tcp[1 - i] == PGR_OK)
				return true;
		}
		if (x == X_OTHER_ADDRS_OK && count(&h->p[i], PGR_PH_TCP, PGR_OK) > 0 &&
		    count(&h->p[i], PGR_PH_TCP, PGR_OK) < h->p[i].n)
			return true;
		if (x == X_S_ANSWERED && h->p[i].ssl_s > 0)
			return true;
	}
	if (x == X_CERT_UNVERIFIED)
		return h->cert_unverified;
	if (x == X_ALL_PENDING)
		return h->all_pending || h->account_pending;
	if (x == X_TLS_OFF) {
		struct ctx t = *c;

		return m_tls_required(&t);
	}
	if (x == X_POSTGRES_LOGS_IN)
		return c->pi == P_BOUNCER && count(&h->p[P_PG], PGR_PH_LOGIN, PGR_OK) > 0;
	if (x == X_POSTGRES_DOWN)
		return c->pi == P_BOUNCER && all(&h->p[P_PG], PGR_PH_TCP, PGR_TCP_REFUSED);
	return false;
}

static bool
contradicted(const struct ctx *c, unsigned contra)
{
	unsigned x;

	for (x = 1; x != 0 && x <= contra; x <<= 1)
		if ((contra & x) && contradicts(c, x))
			return true;
	return false;
}

/* ---- templates ---- */

/* Some PgBouncer login went through: pointing there is sound advice. */
static bool
pgbouncer_works(const struct ctx *c)
{
	return count(&c->h->p[P_BOUNCER], PGR_PH_LOGIN, PGR_OK) > 0;
}

#define RECREATE_IF_STILL "If the endpoint is still pendingAcceptance once the account is Active, it was requested too early: " CMD_RECREATE "."

/* How to get the endpoint accepted, from what the evidence already says. */
static const char *
accept_step(const struct ctx *c)
{
	const struct host_facts *h = c->h;

	if (h->account_pending || (h->all_pending && h->account[0] == '\0'))
		return "Act on the Heroku side: Heroku lists {account_list} as Pending on the allow-list, which means it is still adding the account. Wait until heroku data:privatelink:access {database} --app <app> shows it Active; Heroku then accepts the endpoint. " RECREATE_IF_STILL;
	if (h->account_missing)
		return "Act on the Heroku side: the AWS account {account}, which owns the endpoint, is not on the allow-list. Add it: heroku data:privatelink:access:add {database} --aws-account-id arn:aws:iam::{account}:root --app <app>, and wait until heroku data:privatelink:access {database} --app <app> shows it Active. " RECREATE_IF_STILL;
	if (h->account_active && files_disagree(c))
		return "The two files disagree: Heroku's Connections row says {conn_state}, AWS says {state}. The AWS side is what drops the connections, so act there, after taking both outputs again (one may be older): if AWS still says pendingAcceptance while the AWS account {account} is Active on Heroku's allow-list, the endpoint was requested before the account was Active and is not accepted afterwards: " CMD_RECREATE ".";
	if (h->account_active)
		return "Act on the AWS side: Heroku's service is up and the AWS account {account} that owns the endpoint is Active on its allow-list, yet AWS still holds the endpoint for acceptance. An endpoint requested before its account was Active is not accepted afterwards: " CMD_RECREATE ".";
	if (h->all_active)
		return "Heroku accepts an endpoint automatically only when the AWS account that owns it is on the allow-list and Active. heroku data:privatelink lists its allowed accounts ({allowed}) Active: check that the endpoint's owner (" CMD_VPCE " --query 'VpcEndpoints[0].OwnerId') is one of them, or add it with heroku data:privatelink:access:add {database} --aws-account-id arn:aws:iam::<account-id>:root --app <app>. If it is one of them, the endpoint was requested before the account was Active: " CMD_RECREATE ".";
	return "Heroku accepts an endpoint automatically only when the AWS account that owns it is on the database's allow-list and Active: check with heroku data:privatelink:access {database} --app <app>, and add the account with heroku data:privatelink:access:add {database} --aws-account-id arn:aws:iam::{account}:root --app <app>. " RECREATE_IF_STILL;
}

/* ENDPOINT_NOT_ACCEPTED's question about the account, unless answered. */
static const char *
account_question(const struct ctx *c)
{
	if (c->h->pl == NULL || c->h->pl->naccounts == 0)
		return "is the AWS account that owns it Active in heroku data:privatelink?";
	if (c->h->all_active)
		return "heroku data:privatelink lists every allowed account Active, so check that the endpoint's owner, " CMD_VPCE " --query 'VpcEndpoints[0].OwnerId', is among them";
	return "is the AWS account that owns it among those heroku data:privatelink lists Active?";
}

static const char *
var(const struct ctx *c, const char *name, size_t len)
{
	const struct pgr_endpoint_name *ep = &c->h->t->endpoint;

#define IS(s) (len == sizeof(s) - 1 && strncmp(name, s, len) == 0)
	if (IS("host"))
		return c->h->host;
	if (IS("id"))
		return ep->is_endpoint ? ep->id : c->h->vpce ? c->h->vpce->id :
		    c->h->acc_id ? c->h->acc_id : "<endpoint-id>";
	if (IS("region"))
		return ep->is_endpoint ? ep->region :
		    c->h->aws != NULL && c->h->aws->region[0] ? c->h->aws->region : "?";
	if (IS("port"))
		return c->port;
	if (IS("other_port"))
		return c->other_port;
	if (IS("state"))
		return vpce_state(c) ? vpce_state(c) : "?";
	if (IS("state_is"))
		return c->h->acc == PGR_VPCE_UNKNOWN ? "may not be accepted yet" : "is {state}";
	if (IS("state_where"))
		return c->bad[0] && c->good[0] ? " (here TCP to {bad} fails, to {good} it connects)" : "";
	if (IS("state_hint"))
		return c->h->acc == PGR_VPCE_UNKNOWN ? " If the endpoint's State is not available, see acceptance instead." : "";
	if (IS("conn_state"))
		return c->h->conn && c->h->conn->status_raw ? c->h->conn->status_raw : "?";
	if (IS("state_why"))
		return state_text[c->h->acc].why;
	if (IS("state_remedy"))
		return state_text[c->h->acc].remedy;
	if (IS("accept_step"))
		return accept_step(c);
	if (IS("account_question"))
		return account_question(c);
	if (IS("account_of"))
		return c->h->account[0] ? c->account_of : "";
	if (IS("account_list"))
		return c->h->all_pending && !c->h->account_pending ? c->bad :
		    c->h->account[0] ? c->h->account : "<account-id>";
	if (IS("account_status"))
		return c->h->account_missing ? "not on" : "still Pending on";
	if (IS("database"))
		return c->h->pl && c->h->pl->database ? c->h->pl->database : "<database>";
	if (IS("service"))
		return c->service;
	if (IS("region_a"))
		return c->reg_a;
	if (IS("region_b"))
		return c->reg_b;
	if (IS("region_b_of"))
		return c->reg_b_of;
	if (IS("service_region"))
		return c->h->pl && c->h->pl->region[0] ? c->h->pl->region :
		    c->h->vpce && c->h->vpce->region[0] ? c->h->vpce->region :
		    "the database's region";
	if (IS("action"))
		return c->action[0] ? c->action : "an EC2 action";
	if (IS("bad"))
		return c->bad;
	if (IS("good"))
		return c->good;
	if (IS("how"))
		return c->how;
	if (IS("mtu"))
		return c->mtu;
	if (IS("account"))
		return c->h_account[0] ? c->h_account : c->h->account[0] ? c->h->account :
		    "<account-id>";
	if (IS("allowed"))
		return c->allowed;
	if (IS("role"))
		return c->pi == P_BOUNCER ? "PgBouncer" : "Postgres";
	if (IS("other_role"))
		return c->pi == P_BOUNCER ? "Postgres" : "PgBouncer";
	if (IS("zone"))
		return c->zones[0] ? c->zones :
		    c->h->t->endpoint.zone[0] ? c->h->t->endpoint.zone : "one zone";
	if (IS("other_answers"))
		return c->pi >= 0 && count(&c->h->p[1 - c->pi], PGR_PH_TLS, PGR_OK) > 0 ?
		    (c->pi == P_BOUNCER ? ", while Postgres on 5432 at the same addresses answers" :
		    ", while PgBouncer on 5433 at the same addresses answers") : "";
	if (IS("other_serves"))
		return c->pi < 0 ? "" : count(&c->h->p[1 - c->pi], PGR_PH_LOGIN, PGR_OK) > 0 ?
		    " While it is down, the other port still serves logins." :
		    " The other port's logins fail too: it has nothing to pass them on to.";
	if (IS("capacity_who"))
		return strcmp(c->port, "5433") != 0 ? "Postgres: too many connections" :
		    c->h->p[P_PG].login_err == PGR_LOGIN_CAPACITY ?
		    "PgBouncer relays Postgres's too many connections" :
		    "PgBouncer could not get a server connection from its pool";
	if (IS("relayed"))
		return c->pi == P_BOUNCER ?
		    "; PgBouncer on 5433 passes on Postgres's answer" : "";
	if (IS("postgres_hint"))
		return count(&c->h->p[P_PG], PGR_PH_LOGIN, PGR_OK) > 0 ?
		    " Meanwhile the direct URL (port 5432) still logs in, within Postgres's own connection limit." : "";
	if (IS("pgbouncer_hint"))
		return pgbouncer_works(c) ? ", connect through PgBouncer on 5433" : "";
	if (IS("name_hint"))
		return c->h->t->endpoint.is_endpoint ?
		    "The name already is the endpoint's, so this resolver does not answer as the VPC's would: use the Amazon-provided resolver (the VPC base address + 2, with enableDnsSupport), and check that no private hosted zone or forwarder overrides vpce.amazonaws.com." :
		    "Run from a host inside the VPC, and use the endpoint's name (vpce-...vpce.amazonaws.com), not the database's public host.";
#undef IS
	return NULL;
}

/* Append tmpl to buf with its {names} filled in; a value may hold names too. */
static void
expand_into(const struct ctx *c, const char *tmpl, char *buf, size_t len,
    size_t *n, int depth)
{
	const char *p;

	for (p = tmpl; *p && *n < len - 1; p++) {
		const char *end = *p == '{' ? strchr(p, '}') : NULL;
		const char *v = end ? var(c, p + 1, (size_t)(end - p - 1)) : NULL;

		if (v != NULL && depth < 3 && strchr(v, '{') != NULL) {
			expand_into(c, v, buf, len, n, depth + 1);
			p = end;
		} else if (v != NULL) {
			*n += (size_t)snprintf(buf + *n, len - *n, "%s", v);
			if (*n >= len)
				*n = len - 1;
			p = end;
		} else
			buf[(*n)++] = *p;
	}
	buf[*n] = '\0';
}

static char *
expand(const struct ctx *c, const char *tmpl)
{
	char buf[4096];
	size_t n = 0;

	expand_into(c, tmpl, buf, sizeof(buf), &n, 0);
	return strdup(buf);
}

/* The names every template may use, from the evidence. */
static void
ctx_names(struct ctx *c)
{
	const struct host_facts *h = c->h;
	const struct pgr_endpoint_name *ep = &h->t->endpoint;
	size_t j;

	if (h->vpce != NULL && h->vpce->service_name != NULL)
		snprintf(c->service, sizeof(c->service), "%s", h->vpce->service_name);
	else if (h->pl != NULL && h->pl->service_name != NULL)
		snprintf(c->service, sizeof(c->service), "%s", h->pl->service_name);
	else if (ep->is_endpoint)
		snprintf(c->service, sizeof(c->service), "com.amazonaws.vpce.%s.%s",
		    ep->region, ep->service);
	else
		snprintf(c->service, sizeof(c->service), "<service-name>");
	if (h->account[0] != '\0')
		snprintf(c->account_of, sizeof(c->account_of), " (%s)", h->account);
	for (j = 0; h->pl != NULL && j < h->pl->naccounts; j++)
		list_add(c->allowed, sizeof(c->allowed), h->pl->accounts[j].account_id[0] ?
		    h->pl->accounts[j].account_id : h->pl->accounts[j].arn);
}

static void
apply_rules(struct pgr_findings *out, const struct pgr_analysis_opts *o,
    const struct host_facts *h)
{
	const struct rule *ru;

	for (ru = rules; ru->code != PGR_CODE_NONE; ru++) {
		int only;

		for (only = ru->per_port ? 0 : -1; only < (ru->per_port ? P__N : 0); only++) {
			struct ctx c;
			char *summary, *remedy;
			int port = 0, target = h->first;

			memset(&c, 0, sizeof(c));
			c.o = o;
			c.h = h;
			c.only = only;
			c.pi = only;
			ctx_names(&c);
			if (only >= 0 && !probed(&h->p[only]))
				continue;
			if (!ru->match(&c) || contradicted(&c, ru->contra))
				continue;
			if (ru->per_port && c.pi >= 0) {
				port = h->p[c.pi].port;
				target = h->p[c.pi].target;
			}
			summary = expand(&c, ru->summary);
			remedy = expand(&c, ru->remedy);
			if (pgr_findings_add(out, ru->code, ru->sev, ru->cause, summary,
			    c.evidence, remedy, target) == 0)
				out->v[out->n - 1].port = port;
			free(summary);
			free(remedy);
		}
	}
}

void
pgr_diagnose(const struct pgr_report *r, const struct pgr_host *hosts,
    size_t nhosts, const struct pgr_analysis_opts *o, struct pgr_findings *out)
{
	struct host_facts *facts;
	size_t k;

	if (nhosts == 0 || r->results == NULL)
		return;
	if ((facts = calloc(nhosts, sizeof(*facts))) == NULL) {
		out->oom = 1;
		return;
	}
	gather(r, o, hosts, nhosts, facts);
	for (k = 0; k < nhosts; k++)
		apply_rules(out, o, &facts[k]);
	free(facts);
}

const enum pgr_code *
pgr_diagnose_codes(void)
{
	static enum pgr_code codes[sizeof(rules) / sizeof(rules[0])];
	size_t i;

	for (i = 0; rules[i].code != PGR_CODE_NONE; i++)
		codes[i] = rules[i].code;
	codes[i] = PGR_CODE_NONE;
	return codes;
}
