/*
 * The analysis pass.  Hosts first: a 5432 target and its 5433 sibling are
 * one endpoint host.  Then the diagnosis and the thresholds give findings;
 * the checklist reads the setup guide's steps in order, each passed by
 * evidence or by inference from a later step (a TCP connection that went
 * through proves the endpoint was accepted and available), failed by a
 * finding or a failed phase, otherwise not checked, with what would check
 * it.  Last the first failure and the verdict.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "report/analysis.h"
#include "report/diagnose.h"
#include "report/idle.h"

#define NO_PHASE PGR_PH__COUNT

static const struct pgr_step_def step_defs[PGR_STEP__COUNT] = {
	[PGR_STEP_PROVISIONED] = { "provisioned", "Heroku endpoint service provisioned", NO_PHASE, PGR_SP_NONE },
	[PGR_STEP_ACCOUNT] = { "account", "AWS account allowed", NO_PHASE, PGR_SP_NONE },
	[PGR_STEP_REGION] = { "region", "Endpoint in the database's region", NO_PHASE, PGR_SP_NONE },
	[PGR_STEP_AVAILABLE] = { "available", "VPC endpoint available", NO_PHASE, PGR_SP_NONE },
	[PGR_STEP_SECURITY_GROUP] = { "security_group", "Security group allows TCP 5432-5433", NO_PHASE, PGR_SP_NONE },
	[PGR_STEP_DNS] = { "dns", "DNS resolves to the endpoint", PGR_PH_DNS, PGR_SP_EITHER },
	[PGR_STEP_TCP_5432] = { "tcp_5432", "TCP 5432", PGR_PH_TCP, PGR_SP_POSTGRES },
	[PGR_STEP_TCP_5433] = { "tcp_5433", "TCP 5433", PGR_PH_TCP, PGR_SP_PGBOUNCER },
	[PGR_STEP_TLS] = { "tls", "TLS 1.2+", PGR_PH_TLS, PGR_SP_EITHER },
	[PGR_STEP_CERTIFICATE] = { "certificate", "Server certificate valid", NO_PHASE, PGR_SP_NONE },
	[PGR_STEP_LOGIN_POSTGRES] = { "login_postgres", "Login to Postgres (5432)", PGR_PH_LOGIN, PGR_SP_POSTGRES },
	[PGR_STEP_LOGIN_PGBOUNCER] = { "login_pgbouncer", "Login to PgBouncer (5433)", PGR_PH_LOGIN, PGR_SP_PGBOUNCER },
	[PGR_STEP_QUERY] = { "query", "Query", PGR_PH_QUERY, PGR_SP_EITHER },
};

/* What would check an evidence step the run could not. */
static const char *const unknown_note[PGR_STEP__COUNT] = {
	[PGR_STEP_PROVISIONED] = "pass `heroku data:privatelink` output with --evidence",
	[PGR_STEP_ACCOUNT] = "pass `heroku data:privatelink` and `aws ec2 describe-vpc-endpoints` output with --evidence",
	[PGR_STEP_REGION] = "give --region or AWS_REGION, or evidence",
	[PGR_STEP_AVAILABLE] = "pass `aws ec2 describe-vpc-endpoints` output with --evidence",
	[PGR_STEP_SECURITY_GROUP] = "pass `aws ec2 describe-security-groups` output with --evidence",
	[PGR_STEP_CERTIFICATE] = "no certificate was seen",
};

#define S(x) (1u << PGR_STEP_##x)
#define TCP_STEPS (S(TCP_5432) | S(TCP_5433))
#define LOGIN_STEPS (S(LOGIN_POSTGRES) | S(LOGIN_PGBOUNCER))

/* The steps each finding code fails.  A code with none fails no step. */
static unsigned
steps_of(enum pgr_code c)
{
	switch (c) {
	case PGR_F_REGION_MISMATCH:
	case PGR_F_ENDPOINT_SERVICE_REGION:
		return S(REGION);
	case PGR_F_PRIVATELINK_PROVISIONING: return S(PROVISIONED);
	case PGR_F_ACCOUNT_NOT_ALLOWED: return S(ACCOUNT) | TCP_STEPS;
	case PGR_F_ENDPOINT_PENDING_ACCEPTANCE:
		return S(AVAILABLE) | TCP_STEPS;
	case PGR_F_ENDPOINT_NOT_AVAILABLE:
	case PGR_F_ENDPOINT_STATE:
	case PGR_F_ENDPOINT_NOT_ACCEPTED:
		return S(AVAILABLE) | TCP_STEPS;
	case PGR_F_SECURITY_GROUP_EVIDENCE:
	case PGR_F_SECURITY_GROUP_BLOCKS:
	case PGR_F_NETWORK_ACL_BLOCKS:
	case PGR_F_SECURITY_GROUP_PORT:
	case PGR_F_NETWORK_ACL_EVIDENCE:
		return S(SECURITY_GROUP) | TCP_STEPS;
	case PGR_F_ZONE_UNREACHABLE:	/* one group covers every interface */
	case PGR_F_ZONE_REFUSED:
		return TCP_STEPS;
	case PGR_F_DNS_NXDOMAIN: case PGR_F_DNS_SERVFAIL: case PGR_F_DNS_TIMEOUT:
	case PGR_F_DNS_REFUSED: case PGR_F_DNS_NO_ADDRESS: case PGR_F_DNS_ERROR:
	case PGR_F_PUBLIC_ADDRESS: case PGR_F_ADDRESS_OUTSIDE_VPC:
	case PGR_F_ADDRESS_NOT_ENDPOINT:
		return S(DNS);
	case PGR_F_TCP_UNREACHABLE: case PGR_F_TCP_REFUSED: case PGR_F_TCP_ERROR:
	case PGR_F_PORT_SERVICE_DOWN:
	case PGR_F_IPV6_UNREACHABLE:	/* a warning: the IPv4 addresses pass */
		return TCP_STEPS;
	case PGR_F_PATH_MTU_BLACKHOLE:
		return S(TLS);
	case PGR_F_TLS_REQUIRED:
		return S(TLS) | LOGIN_STEPS;
	case PGR_F_TLS_NOT_OFFERED: case PGR_F_TLS_HANDSHAKE: case PGR_F_TLS_OLD:
	case PGR_F_SERVER_SILENT: case PGR_F_SERVER_CLOSED_TLS:
		return S(TLS);
	case PGR_F_CERT_VERIFY_FAILED: case PGR_F_CERT_EXPIRED: case PGR_F_CERT_EXPIRING:
		return S(CERTIFICATE);
	case PGR_F_LOGIN_CAPACITY_USE_PGBOUNCER:
		return S(LOGIN_POSTGRES);
	case PGR_F_PGBOUNCER_BACKEND_FAILS: case PGR_F_PGBOUNCER_MAX_CLIENT_CONN:
		return S(LOGIN_PGBOUNCER);
	case PGR_F_LOGIN_AUTH: case PGR_F_LOGIN_DATABASE: case PGR_F_LOGIN_CAPACITY:
	case PGR_F_LOGIN_CLOSED: case PGR_F_LOGIN_TIMEOUT: case PGR_F_LOGIN_ERROR:
	case PGR_F_DATABASE_NOT_ACCEPTING: case PGR_F_SERVER_STARTING_OR_STOPPING:
	case PGR_F_SESSION_SLOW:
		return LOGIN_STEPS;
	case PGR_F_QUERY_ERROR: case PGR_F_QUERY_TIMEOUT: case PGR_F_QUERY_SLOW:
	case PGR_F_IDLE_CUT: case PGR_F_IDLE_SESSION_ENDED:
	case PGR_F_KEEPALIVE_IDLE_LONG:
	case PGR_F_SESSION_TERMINATED:
		return S(QUERY);
	default:
		return 0;
	}
}

/*
 * A finding the network alone cannot confirm (the second of "security
 * group or acceptance") leaves its step unknown, not failed.
 */
static bool
possible_only(const struct pgr_finding *f)
{
	return f->code == PGR_F_ENDPOINT_NOT_ACCEPTED;
}

const struct pgr_step_def *
pgr_step_def(enum pgr_check_step s)
{
	return (unsigned)s < PGR_STEP__COUNT ? &step_defs[s] : NULL;
}

const char *
pgr_check_state_name(enum pgr_check_state s)
{
	static const char *const names[] = { "pass", "fail", "unknown", "warning" };

	return (unsigned)s <= PGR_CHECK_WARN ? names[s] : "unknown";
}

enum pgr_err
pgr_attempt_phase(const struct pgr_attempt *a, enum pgr_phase p)
{
	switch (p) {
	case PGR_PH_TCP: return a->tcp.status;
	case PGR_PH_TLS: return a->tls.status;
	case PGR_PH_LOGIN: return a->login.status;
	case PGR_PH_QUERY: return a->query.status;
	default: return PGR_SKIPPED;
	}
}

static double
phase_end(const struct pgr_attempt *a, enum pgr_phase p)
{
	switch (p) {
	case PGR_PH_TCP: return a->tcp.ms;
	case PGR_PH_TLS: return a->tls.ms;
	case PGR_PH_LOGIN: return a->login.ms;
	case PGR_PH_QUERY: return a->query.ms;
	default: return 0;
	}
}

static bool
ran(enum pgr_err e)
{
	return e != PGR_SKIPPED && e != PGR_PENDING;
}

bool
pgr_attempt_failed(const struct pgr_attempt *a)
{
	int p;

	for (p = PGR_PH_TCP; p < PGR_PH__COUNT; p++)
		if (pgr_err_failed(pgr_attempt_phase(a, (enum pgr_phase)p)))
			return true;
	return false;
}

const struct pgr_finding *
pgr_step_finding(const struct pgr_analysis *an, const struct pgr_check_item *it)
{
	return it->finding >= 0 && (size_t)it->finding < an->findings.n ?
	    &an->findings.v[it->finding] : NULL;
}

const struct pgr_host *
pgr_host_of(const struct pgr_analysis *an, size_t target)
{
	return target < an->r->ntargets ? &an->hosts[an->host_of[target]] : NULL;
}

/* ---- hosts ---- */

static int
group_hosts(struct pgr_analysis *an)
{
	const struct pgr_report *r = an->r;
	size_t i, k;

	an->hosts = calloc(r->ntargets ? r->ntargets : 1, sizeof(*an->hosts));
	an->host_of = calloc(r->ntargets ? r->ntargets : 1, sizeof(*an->host_of));
	if (an->hosts == NULL || an->host_of == NULL)
		return -1;
	for (i = 0; i < r->ntargets; i++) {
		const struct pgr_target *t = &r->targets[i];
		struct pgr_host *h;

		for (k = 0; k < an->nhosts; k++)
			if (strcasecmp(an->hosts[k].name, t->host) == 0)
				break;
		h = &an->hosts[k];
		if (k == an->nhosts) {
			h->name = t->host;
			h->first = (int)i;
			h->pg = h->bouncer = -1;
			an->nhosts++;
		}
		an->host_of[i] = k;
		/* A second target on the same port: the first one speaks for it. */
		if (t->role == PGR_ROLE_PGBOUNCER && h->bouncer < 0)
			h->bouncer = (int)i;
		else if (t->role == PGR_ROLE_POSTGRES && h->pg < 0)
			h->pg = (int)i;
	}
	return 0;
}

/* The last phase end of an attempt, from the attempt's start. */
static double
attempt_end(const struct pgr_attempt *a)
{
	int p;

	for (p = PGR_PH_QUERY; p >= PGR_PH_TCP; p--)
		if (ran(pgr_attempt_phase(a, (enum pgr_phase)p)))
			return phase_end(a, (enum pgr_phase)p);
	return 0;
}

/* Wall time of a host: its first target's start to its last phase's end. */
static double
host_ms(const struct pgr_analysis *an, size_t hi)
{
	const struct pgr_report *r = an->r;
	double start = r->results[an->hosts[hi].first].start_ms, end = start;
	size_t i, k;

	for (i = 0; i < r->ntargets; i++) {
		const struct pgr_target_result *tr = &r->results[i];

		if (an->host_of[i] != hi)
			continue;
		if (tr->start_ms < start)
			start = tr->start_ms;
		if (ran(tr->dns.status) && tr->start_ms + tr->dns.ms > end)
			end = tr->start_ms + tr->dns.ms;
		for (k = 0; k < tr->nattempts; k++)
			if (tr->attempts[k].start_ms + attempt_end(&tr->attempts[k]) > end)
				end = tr->attempts[k].start_ms + attempt_end(&tr->attempts[k]);
	}
	return end - start;
}

/*
 * An attempt that IPV6_UNREACHABLE on its host explains: an IPv6 address
 * this client cannot route, beside addresses that work.  A warning, so it
 * fails no step and is not the run's first failure; the phases after TCP
 * are judged on the addresses that could be reached.
 */
bool
pgr_attempt_excused(const struct pgr_analysis *an, size_t target,
    const struct pgr_attempt *a)
{
	size_t i;

	if (a->family != 6 || a->tcp.status != PGR_TCP_UNREACHABLE)
		return false;
	for (i = 0; i < an->findings.n; i++) {
		const struct pgr_finding *f = &an->findings.v[i];

		if (f->code == PGR_F_IPV6_UNREACHABLE && f->target >= 0 &&
		    (size_t)f->target < an->r->ntargets &&
		    an->host_of[f->target] == an->host_of[target])
			return true;
	}
	return false;
}

/* ---- the checklist ---- */

struct tally {
	size_t	n, ok, ran;
	size_t	excused;	/* attempts left out: pgr_attempt_excused() */
	const char *excused_addr;
	double	max_ms;		/* longest successful end (p95 for the query) */
	double	max_dur;	/* longest duration of the phase itself */
	const char *extra;	/* the TLS version */
	enum pgr_err err;	/* first failure, else first not-ok status */
};

static int
step_target(const struct pgr_host *h, enum pgr_check_step s)
{
	switch (step_defs[s].port) {
	case PGR_SP_POSTGRES: return h->pg;
	case PGR_SP_PGBOUNCER: return h->bouncer;
	case PGR_SP_EITHER: return h->pg >= 0 ? h->pg : h->bouncer;
	default: return -1;
	}
}

static void
tally_phase(const struct pgr_analysis *an, int ti, enum pgr_phase ph, struct tally *t)
{
	const struct pgr_target_result *tr;
	size_t i;

	memset(t, 0, sizeof(*t));
	t->err = PGR_OK;
	if (ti < 0)
		return;
	tr = &an->r->results[ti];
	for (i = 0; i < tr->nattempts; i++) {
		const struct pgr_attempt *a = &tr->attempts[i];
		enum pgr_err e = pgr_attempt_phase(a, ph);
		double ms = ph == PGR_PH_QUERY ? a->query.p95_ms : phase_end(a, ph);
		double start = ph == PGR_PH_TCP ? 0 : phase_end(a, (enum pgr_phase)(ph - 1));

		if (pgr_attempt_excused(an, (size_t)ti, a)) {
			if (t->excused++ == 0)
				t->excused_addr = a->address;
			continue;
		}
		t->n++;
		if (ran(e)) {
			t->ran++;
			if (phase_end(a, ph) - start > t->max_dur)
				t->max_dur = phase_end(a, ph) - start;
		}
		if (pgr_err_failed(e) && !pgr_err_failed(t->err))
			t->err = e;
		else if (e != PGR_OK && t->err == PGR_OK)
			t->err = e;
		if (e == PGR_OK) {
			t->ok++;
			if (ms > t->max_ms)
				t->max_ms = ms;
		}
		if (ph == PGR_PH_TLS && e == PGR_OK)
			t->extra = a->tls.version;
	}
}

static void set(struct pgr_check_item *, enum pgr_check_state, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
set(struct pgr_check_item *it, enum pgr_check_state st, const char *fmt, ...)
{
	va_list ap;

	it->state = st;
	va_start(ap, fmt);
	vsnprintf(it->note, sizeof(it->note), fmt, ap);
	va_end(ap);
}

/* The first finding of this host (or the run) on step s, -1. */
static int
finding_for(const struct pgr_analysis *an, size_t hi, enum pgr_check_step s)
{
	size_t i;

	for (i = 0; i < an->findings.n; i++) {
		const struct pgr_finding *f = &an->findings.v[i];

		if (f->severity == PGR_SEV_OK || !(steps_of(f->code) & (1u << s)))
			continue;
		if (f->target >= 0 && ((size_t)f->target >= an->r->ntargets ||
		    an->host_of[f->target] != hi))
			continue;
		/* A finding on one port fails only that port's steps. */
		if (f->port != 0 && f->target >= 0 && ((step_defs[s].port ==
		    PGR_SP_POSTGRES && an->r->targets[f->target].role ==
		    PGR_ROLE_PGBOUNCER) || (step_defs[s].port == PGR_SP_PGBOUNCER &&
		    an->r->targets[f->target].role != PGR_ROLE_PGBOUNCER)))
			continue;
		return (int)i;
	}
	return -1;
}

static const struct pgr_ev_privatelink *
find_privatelink(const struct pgr_evidence *ev)
{
	const struct pgr_ev_privatelink *pl = NULL;
	size_t i;

	for (i = 0; ev != NULL && i < ev->n; i++)
		if (ev->items[i].type == PGR_EV_PRIVATELINK)
			pl = &ev->items[i].u.privatelink;
	return pl;
}

/* The endpoint's owner on Heroku's allow-list (owner "": unknown). */
static void
account_step(const struct pgr_ev_privatelink *pl, const char *owner,
    struct pgr_check_item *it)
{
	size_t j;

	if (owner[0] == '\0')
		return;
	for (j = 0; j < pl->naccounts; j++) {
		if (strcmp(pl->accounts[j].account_id, owner) != 0)
			continue;
		set(it, pl->accounts[j].status == PGR_PL_ACCOUNT_ACTIVE ? PGR_CHECK_PASS :
		    PGR_CHECK_FAIL, "account %s is %s on the allow-list", owner,
		    pl->accounts[j].status_raw ? pl->accounts[j].status_raw : "listed");
		return;
	}
	set(it, PGR_CHECK_FAIL, "account %s is not on the allow-list", owner);
}

static void
evidence_steps(const struct pgr_analysis *an, const struct pgr_host *h,
    struct pgr_check_item *it, bool conn)
{
	const struct pgr_endpoint_name *ep = &an->r->targets[h->first].endpoint;
	const struct pgr_evidence *ev = an->o->ev;
	const struct pgr_ev_privatelink *pl = find_privatelink(ev);
	const struct pgr_vpce *vpce = pgr_evidence_vpce_for(ev,
	    an->r->targets[h->first].host, ep->is_endpoint ? ep->id : NULL);
	const struct pgr_pl_connection *pc = pgr_evidence_find_connection(ev,
	    ep->is_endpoint ? ep->id : vpce != NULL ? vpce->id : NULL);
	const char *region = an->o->region;

	if (it[PGR_STEP_PROVISIONED].finding < 0) {
		if (pl != NULL && pl->status == PGR_PL_OPERATIONAL)
			set(&it[PGR_STEP_PROVISIONED], PGR_CHECK_PASS, "Operational%s", "");
		else if (pl != NULL && pl->status == PGR_PL_PROVISIONING)
			set(&it[PGR_STEP_PROVISIONED], PGR_CHECK_FAIL, "Provisioning%s", "");
		else if (conn)
			set(&it[PGR_STEP_PROVISIONED], PGR_CHECK_PASS, "inferred: connections went through%s", "");
	}
	if (it[PGR_STEP_ACCOUNT].finding < 0 && conn)
		set(&it[PGR_STEP_ACCOUNT], PGR_CHECK_PASS, "inferred: the endpoint accepts connections%s", "");
	else if (it[PGR_STEP_ACCOUNT].finding < 0 && pl != NULL && pl->naccounts > 0)
		account_step(pl, vpce != NULL && vpce->owner_id != NULL ? vpce->owner_id :
		    pc != NULL ? pc->owner_account : "", &it[PGR_STEP_ACCOUNT]);

	if (it[PGR_STEP_REGION].finding < 0) {
		if (ep->is_endpoint && ((region != NULL && strcasecmp(region, ep->region) == 0) ||
		    (pl != NULL && strcasecmp(pl->region, ep->region) == 0)))
			set(&it[PGR_STEP_REGION], PGR_CHECK_PASS, "%s", ep->region);
		else if (ep->is_endpoint)
			set(&it[PGR_STEP_REGION], PGR_CHECK_UNKNOWN,
			    "the endpoint is in %s; give --region or AWS_REGION to compare", ep->region);
	}
	if (it[PGR_STEP_AVAILABLE].finding < 0) {
		if (vpce != NULL)
			set(&it[PGR_STEP_AVAILABLE], vpce->state == PGR_VPCE_AVAILABLE ?
			    PGR_CHECK_PASS : PGR_CHECK_FAIL, "%s", pgr_vpce_state_name(vpce->state));
		else if (pc != NULL && pc->state != PGR_VPCE_UNKNOWN)
			set(&it[PGR_STEP_AVAILABLE], pc->state == PGR_VPCE_AVAILABLE ?
			    PGR_CHECK_PASS : PGR_CHECK_FAIL, "%s (heroku data:privatelink Connections)",
			    pgr_vpce_state_name(pc->state));
		else if (conn)
			set(&it[PGR_STEP_AVAILABLE], PGR_CHECK_PASS, "inferred: connections went through%s", "");
	}
}

/* The client's own address, as a probe of this host bound it; NULL. */
static const char *
client_addr(const struct pgr_analysis *an, const struct pgr_host *h)
{
	int t[2] = { h->pg, h->bouncer }, k;
	size_t i;

	for (k = 0; k < 2; k++)
		for (i = 0; t[k] >= 0 && i < an->r->results[t[k]].nattempts; i++)
			if (an->r->results[t[k]].attempts[i].local[0] != '\0')
				return an->r->results[t[k]].attempts[i].local;
	return NULL;
}

static bool
open_step(const struct pgr_check_item *it)
{
	return it->finding < 0 && it->state == PGR_CHECK_UNKNOWN;
}

/*
 * --aws: the AWS steps from the API's answers, each with its reason; a
 * call that failed leaves its steps unknown and says why.
 */
static void
aws_steps(const struct pgr_analysis *an, const struct pgr_host *h,
    struct pgr_check_item *it)
{
	static const enum pgr_check_step aws_owned[] = { PGR_STEP_PROVISIONED,
	    PGR_STEP_ACCOUNT, PGR_STEP_REGION, PGR_STEP_AVAILABLE, PGR_STEP_SECURITY_GROUP };
	const struct pgr_evidence *ev = an->o->ev;
	const struct pgr_endpoint_name *ep = &an->r->targets[h->first].endpoint;
	const char *host = an->r->targets[h->first].host;
	const struct pgr_aws_host *hm;
	const struct pgr_ev_aws_calls *a = pgr_evidence_aws_host(ev, host, &hm);
	const struct pgr_vpce *v;
	const struct pgr_aws_call *sgc;
	char why5432[256], why5433[256];
	size_t i;
	int p, b;

	if (a == NULL)
		return;
	v = pgr_evidence_vpce_for(ev, host, ep->is_endpoint ? ep->id : NULL);
	if (v == NULL) {
		const struct pgr_aws_call *vc = &a->calls[PGR_AWS_DESCRIBE_VPC_ENDPOINTS];
		/* The call's own failure first; else why no endpoint matched the name. */
		const char *why = vc->status != PGR_AWS_OK && vc->detail[0] ? vc->detail :
		    hm != NULL && hm->why[0] ? hm->why : vc->detail[0] ? vc->detail :
		    pgr_aws_status_name(vc->status);

		for (i = 0; i < sizeof(aws_owned) / sizeof(aws_owned[0]); i++)
			if (open_step(&it[aws_owned[i]]))
				set(&it[aws_owned[i]], PGR_CHECK_UNKNOWN, "--aws: %s", why);
		return;
	}
	/* An endpoint is only created to a service that exists. */
	if (open_step(&it[PGR_STEP_PROVISIONED]) && v->state != PGR_VPCE_FAILED)
		set(&it[PGR_STEP_PROVISIONED], PGR_CHECK_PASS, "the service %s exists (%s)",
		    v->service_name ? v->service_name : "?", pgr_vpce_state_name(v->state));
	if (open_step(&it[PGR_STEP_ACCOUNT])) {
		if (v->state == PGR_VPCE_AVAILABLE)
			set(&it[PGR_STEP_ACCOUNT], PGR_CHECK_PASS, "endpoint accepted (owner %s)",
			    v->owner_id ? v->owner_id : "?");
		else if (v->state == PGR_VPCE_PENDING_ACCEPTANCE || v->state == PGR_VPCE_REJECTED)
			set(&it[PGR_STEP_ACCOUNT], PGR_CHECK_FAIL, "endpoint %s: Heroku has not accepted account %s",
			    pgr_vpce_state_name(v->state), v->owner_id ? v->owner_id : "?");
	}
	if (open_step(&it[PGR_STEP_REGION]) && v->region[0] &&
	    strcasecmp(v->region, a->region) == 0)
		set(&it[PGR_STEP_REGION], PGR_CHECK_PASS, "endpoint and service in %s", a->region);
	if (!open_step(&it[PGR_STEP_SECURITY_GROUP]))
		return;
	sgc = &a->calls[PGR_AWS_DESCRIBE_SECURITY_GROUPS];
	if (sgc->status != PGR_AWS_OK) {
		set(&it[PGR_STEP_SECURITY_GROUP], PGR_CHECK_UNKNOWN, "--aws: %s",
		    sgc->detail[0] ? sgc->detail : pgr_aws_status_name(sgc->status));
		return;
	}
	p = pgr_sg_allows_vpce(ev, v, client_addr(an, h), 5432, why5432, sizeof(why5432));
	b = pgr_sg_allows_vpce(ev, v, client_addr(an, h), 5433, why5433, sizeof(why5433));
	if (p == 1 && b == 1)
		set(&it[PGR_STEP_SECURITY_GROUP], PGR_CHECK_PASS, "%s", why5432);
	else if (p == 0 || b == 0)
		set(&it[PGR_STEP_SECURITY_GROUP], PGR_CHECK_FAIL, "%s", p == 0 ? why5432 : why5433);
	else
		set(&it[PGR_STEP_SECURITY_GROUP], PGR_CHECK_UNKNOWN, "%s", why5432);
}

/* The finding of the first failed phase step before s on host h, -1. */
static int
earlier_finding(const struct pgr_host *h, enum pgr_check_step s)
{
	int t;

	for (t = PGR_STEP_TCP_5432; t < (int)s; t++)
		if (step_defs[t].phase != NO_PHASE && h->steps[t].state == PGR_CHECK_FAIL &&
		    h->steps[t].finding >= 0 && !h->steps[t].possible)
			return h->steps[t].finding;
	return -1;
}

static void
phase_step(const struct pgr_analysis *an, const struct pgr_host *h,
    struct pgr_check_item *it)
{
	const struct pgr_step_def *d = &step_defs[it->step];
	int ti = step_target(h, it->step);
	struct tally t;
	char buf[160];

	tally_phase(an, ti, d->phase, &t);
	it->err = t.err;
	it->ms = t.max_dur;
	if (ti < 0) {
		set(it, PGR_CHECK_UNKNOWN, "%s", d->port == PGR_SP_PGBOUNCER ?
		    "not probed (--no-pgbouncer)" : "not probed");
		return;
	}
	if (t.ran == 0) {
		if (d->phase == PGR_PH_QUERY && t.n > 0 &&
		    an->r->results[ti].attempts[0].query.count == 0 && t.err == PGR_SKIPPED &&
		    it->finding < 0) {
			set(it, PGR_CHECK_UNKNOWN, "not run (--count 0)%s", "");
			return;
		}
		set(it, it->finding >= 0 && !it->possible ? PGR_CHECK_FAIL : PGR_CHECK_UNKNOWN,
		    "%s", t.n == 0 ? "not reached: DNS failed" : "not reached: an earlier step failed");
		return;
	}
	if (d->phase == PGR_PH_QUERY)
		snprintf(buf, sizeof(buf), "%zu/%zu sessions, p95 up to %.2f ms", t.ok, t.n, t.max_ms);
	else if (t.ok > 0)
		snprintf(buf, sizeof(buf), "%zu/%zu addresses%s%s, up to %.1f ms", t.ok,
		    t.n + (d->phase == PGR_PH_TCP ? t.excused : 0), t.extra ? ", " : "", t.extra ? t.extra : "", t.max_ms);
	else
		snprintf(buf, sizeof(buf), "0/%zu addresses", t.n);
	if (t.ok == t.n && t.excused > 0 && d->phase == PGR_PH_TCP) {
		set(it, PGR_CHECK_WARN, "%zu/%zu addresses (IPv6 %s%s unreachable), up to %.1f ms",
		    t.ok, t.n + t.excused, t.excused_addr, t.excused > 1 ? " and others" : "",
		    t.max_ms);
		return;
	}
	set(it, t.ok == t.n ? PGR_CHECK_PASS : PGR_CHECK_FAIL, "%s", buf);
	/*
	 * Failed only where an earlier phase stopped the attempt (nothing in
	 * this phase itself failed): the earlier step's finding explains it.
	 */
	if (it->state == PGR_CHECK_FAIL && it->finding < 0 && t.err == PGR_SKIPPED)
		it->finding = earlier_finding(h, it->step);
}

static void
certificate_step(const struct pgr_analysis *an, const struct pgr_host *h,
    struct pgr_check_item *it)
{
	const struct pgr_report *r = an->r;
	const struct pgr_cert *seen = NULL;
	size_t i, k;

	for (i = 0; i < r->ntargets; i++) {
		if (an->host_of[i] != (size_t)(h - an->hosts))
			continue;
		for (k = 0; k < r->results[i].nattempts; k++) {
			const struct pgr_cert *c = &r->results[i].attempts[k].tls.cert;

			if (c->present && (seen == NULL || c->days_left < seen->days_left))
				seen = c;
		}
	}
	if (seen != NULL)
		set(it, PGR_CHECK_PASS, "%ld days left, %s", seen->days_left,
		    seen->verified ? "chain verifies" : "chain not verified (not asked for)");
}

/*
 * Findings about how a phase went rather than whether it did (old TLS,
 * slow login or query) fail or warn a step whose phase passed; a warning
 * leaves it passed, with a warning.  Only on the port the finding names.
 */
static void
apply_finding(const struct pgr_analysis *an, const struct pgr_host *h,
    struct pgr_check_item *it)
{
	const struct pgr_finding *f = pgr_step_finding(an, it);
	enum pgr_step_port port = step_defs[it->step].port;

	if (f == NULL || it->possible)
		return;
	/*
	 * A step of either port tallies Postgres's attempts: a critical
	 * finding on PgBouncer's alone (its TLS stalls, its sessions end)
	 * still fails it, or the failure would show on no step.
	 */
	if (port == PGR_SP_EITHER && f->port != 0 && f->target >= 0 &&
	    f->target != step_target(h, it->step) && f->severity >= PGR_SEV_CRITICAL &&
	    it->state == PGR_CHECK_PASS) {
		set(it, PGR_CHECK_FAIL, "%s", f->summary ? f->summary : "");
		return;
	}
	if (f->code != PGR_F_TLS_OLD && f->code != PGR_F_SESSION_SLOW &&
	    f->code != PGR_F_QUERY_SLOW && f->code != PGR_F_IDLE_CUT &&
	    f->code != PGR_F_IDLE_SESSION_ENDED && f->code != PGR_F_KEEPALIVE_IDLE_LONG)
		return;
	if ((port == PGR_SP_POSTGRES && f->target != h->pg) ||
	    (port == PGR_SP_PGBOUNCER && f->target != h->bouncer))
		return;
	if (f->severity >= PGR_SEV_CRITICAL && it->state != PGR_CHECK_UNKNOWN)
		set(it, PGR_CHECK_FAIL, "%s", f->summary ? f->summary : "");
	else if (f->severity == PGR_SEV_WARNING && it->state == PGR_CHECK_PASS)
		it->state = PGR_CHECK_WARN;
}

/* a is fixed before b: confirmed before unconfirmed, then the findings' order. */
static bool
fix_before(const struct pgr_check_item *a, const struct pgr_check_item *b)
{
	if (a->possible != b->possible)
		return !a->possible;
	return a->finding < b->finding;
}

static void
checklist(struct pgr_analysis *an, size_t hi)
{
	struct pgr_host *h = &an->hosts[hi];
	struct pgr_check_item *it = h->steps;
	const struct pgr_dns_result *d = &an->r->results[h->first].dns;
	struct tally a, b;
	int s;

	for (s = 0; s < PGR_STEP__COUNT; s++) {
		const struct pgr_finding *f;

		it[s].step = (enum pgr_check_step)s;
		it[s].title = step_defs[s].title;
		it[s].err = PGR_OK;
		it[s].finding = finding_for(an, hi, (enum pgr_check_step)s);
		f = pgr_step_finding(an, &it[s]);
		it[s].possible = f != NULL && possible_only(f);
		if (f == NULL)
			set(&it[s], PGR_CHECK_UNKNOWN, "%s", unknown_note[s] ? unknown_note[s] : "");
		else if (it[s].possible)
			set(&it[s], PGR_CHECK_UNKNOWN, "possibly: %s", f->summary);
		else
			set(&it[s], f->severity >= PGR_SEV_CRITICAL ? PGR_CHECK_FAIL :
			    PGR_CHECK_WARN, "%s", f->summary);
	}
	tally_phase(an, h->pg, PGR_PH_TCP, &a);
	tally_phase(an, h->bouncer, PGR_PH_TCP, &b);
	evidence_steps(an, h, it, a.ok + b.ok > 0);
	aws_steps(an, h, it);
	if (it[PGR_STEP_SECURITY_GROUP].finding < 0 &&
	    it[PGR_STEP_SECURITY_GROUP].state == PGR_CHECK_UNKNOWN && a.ok > 0 && b.ok > 0)
		set(&it[PGR_STEP_SECURITY_GROUP], PGR_CHECK_PASS,
		    "inferred: TCP 5432 and 5433 connect%s", "");
	it[PGR_STEP_DNS].err = d->status;
	it[PGR_STEP_DNS].ms = ran(d->status) ? d->ms : 0;
	if (it[PGR_STEP_DNS].finding < 0)
		set(&it[PGR_STEP_DNS], d->status == PGR_OK ? PGR_CHECK_PASS :
		    PGR_CHECK_FAIL, "%s", d->status == PGR_OK ? (d->naddrs > 1 ?
		    "private addresses" : "one address") : pgr_err_name(d->status));
	if (it[PGR_STEP_CERTIFICATE].finding < 0)
		certificate_step(an, h, &it[PGR_STEP_CERTIFICATE]);
	for (s = PGR_STEP_TCP_5432; s < PGR_STEP__COUNT; s++) {
		if (step_defs[s].phase == NO_PHASE)
			continue;
		phase_step(an, h, &it[s]);
		apply_finding(an, h, &it[s]);
	}
	for (s = 0; s < PGR_STEP__COUNT; s++) {
		int t;

		h->nfail += it[s].state == PGR_CHECK_FAIL;
		h->nwarn += it[s].state == PGR_CHECK_WARN;
		h->nunknown += it[s].state == PGR_CHECK_UNKNOWN;
		if (it[s].state == PGR_CHECK_PASS || it[s].finding < 0)
			continue;
		for (t = 0; t < s; t++)
			if (it[t].finding == it[s].finding && it[t].state != PGR_CHECK_PASS)
				break;
		if (t == s)
			h->fix[h->nfix++] = (enum pgr_check_step)s;
	}
	/* Most likely first, as the findings are; the unconfirmed last. */
	for (s = 1; s < (int)h->nfix; s++) {
		int t;

		for (t = s; t > 0 && fix_before(&it[h->fix[t]], &it[h->fix[t - 1]]); t--) {
			enum pgr_check_step x = h->fix[t];

			h->fix[t] = h->fix[t - 1];
			h->fix[t - 1] = x;
		}
	}
	h->ms = host_ms(an, hi);
}

/* ---- first failure, verdict ---- */

static void
first_failure(struct pgr_analysis *an)
{
	const struct pgr_report *r = an->r;
	size_t i, j;
	int p;

	an->first_failure.target = -1;
	for (i = 0; i < r->ntargets; i++) {
		const struct pgr_target_result *tr = &r->results[i];

		if (pgr_err_failed(tr->dns.status)) {
			an->first_failure = (struct pgr_failure){ (int)i, -1, PGR_PH_DNS,
			    tr->dns.status };
			return;
		}
		for (j = 0; j < tr->nattempts; j++)
			for (p = PGR_PH_TCP; p < PGR_PH__COUNT; p++) {
				enum pgr_err e = pgr_attempt_phase(&tr->attempts[j], (enum pgr_phase)p);

				if (!pgr_err_failed(e) || pgr_attempt_excused(an, i, &tr->attempts[j]))
					continue;
				an->first_failure = (struct pgr_failure){ (int)i, (int)j,
				    (enum pgr_phase)p, e };
				return;
			}
	}
}

/* The worst finding, and CRITICAL for any failed phase: a connection that
 * cannot be made is CRITICAL even where no rule explains it. */
static enum pgr_severity
verdict(const struct pgr_analysis *an)
{
	enum pgr_severity worst = PGR_SEV_OK;
	size_t i;

	for (i = 0; i < an->findings.n; i++)
		if (an->findings.v[i].severity > worst)
			worst = an->findings.v[i].severity;
	if (an->first_failure.target >= 0 && worst < PGR_SEV_CRITICAL)
		worst = PGR_SEV_CRITICAL;
	return worst;
}

int
pgr_analyze(struct pgr_analysis *an, const struct pgr_report *r,
    const struct pgr_analysis_opts *o, char *err, size_t errlen)
{
	size_t i, j;

	memset(an, 0, sizeof(*an));
	an->r = r;
	an->o = o;
	if (o->thr != NULL)
		an->thr = *o->thr;
	else if (pgr_thresholds_set(&an->thr, NULL, NULL, NULL, NULL, 14, 0, err,
	    errlen) != 0)
		return -1;
	if (group_hosts(an) != 0)
		goto oom;
	pgr_diagnose(r, an->hosts, an->nhosts, o, &an->findings);
	pgr_thresholds_apply(r, &an->thr, an->host_of, &an->findings);
	pgr_idle_apply(r, an->hosts, an->nhosts, o, &an->findings);
	if (an->findings.oom)
		goto oom;
	pgr_findings_sort(&an->findings, 0);
	for (i = 0; i < an->nhosts; i++)
		checklist(an, i);
	first_failure(an);
	for (i = 0; i < r->ntargets; i++)
		for (j = 0; j < r->results[i].nattempts; j++) {
			an->nattempts++;
			an->nok += !pgr_attempt_failed(&r->results[i].attempts[j]);
		}
	an->status = verdict(an);
	return 0;
oom:
	pgr_analysis_free(an);
	return pgr_fail(err, errlen, "out of memory while analysing the results");
}

void
pgr_analysis_free(struct pgr_analysis *an)
{
	pgr_findings_free(&an->findings);
	free(an->hosts);
	free(an->host_of);
	an->hosts = NULL;
	an->host_of = NULL;
	an->nhosts = 0;
}
