/*
 * The checklist reads the setup guide's steps in order.  A step is passed
 * by evidence, or by inference from a later step (a TCP connection that
 * went through proves the endpoint was accepted and available); failed by
 * a finding; otherwise not checked, with what would check it.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "report/checklist.h"

static const struct {
	const char *title;
	const char *causes;	/* the findings' causes (or codes) that fail this step */
	const char *unknown;	/* what would check it */
} steps[PGR_STEP__COUNT] = {
	[PGR_STEP_PROVISIONED] = { "Heroku endpoint service provisioned", "|PRIVATELINK_PROVISIONING|",
	    "pass `heroku data:privatelink` output with --evidence" },
	[PGR_STEP_ACCOUNT] = { "AWS account allowed", "|ACCOUNT_NOT_ALLOWED|",
	    "pass `heroku data:privatelink` and `aws ec2 describe-vpc-endpoints` output with --evidence" },
	[PGR_STEP_REGION] = { "Endpoint in the database's region", "|region|",
	    "give --region or AWS_REGION, or evidence" },
	[PGR_STEP_AVAILABLE] = { "VPC endpoint available",
	    "|ENDPOINT_NOT_AVAILABLE|ENDPOINT_STATE|ENDPOINT_NOT_ACCEPTED|",
	    "pass `aws ec2 describe-vpc-endpoints` output with --evidence" },
	[PGR_STEP_SECURITY_GROUP] = { "Security group allows TCP 5432-5433", "|security_group|",
	    "pass `aws ec2 describe-security-groups` output with --evidence" },
	[PGR_STEP_DNS] = { "DNS resolves to the endpoint",
	    "|dns|PUBLIC_ADDRESS|ADDRESS_OUTSIDE_VPC|", "" },
	[PGR_STEP_TCP_5432] = { "TCP 5432", "|security_group|routing|acceptance|", "" },
	[PGR_STEP_TCP_5433] = { "TCP 5433", "|security_group|routing|acceptance|", "" },
	[PGR_STEP_TLS] = { "TLS 1.2+", "|tls|certificate|service|", "" },
	[PGR_STEP_LOGIN_POSTGRES] = { "Login to Postgres (5432)", "|credentials|database|capacity|service|", "" },
	[PGR_STEP_LOGIN_PGBOUNCER] = { "Login to PgBouncer (5433)", "|credentials|database|capacity|service|", "" },
	[PGR_STEP_QUERY] = { "Query", "|service|latency|", "" },
};

struct group {
	const struct pgr_report	*r;
	const struct pgr_evidence *ev;
	int			 first;
	const struct pgr_target_result *tr;	/* of the first target */
	int			 pg, bouncer;		/* target indexes, -1 */
	const struct pgr_ev_privatelink *pl;
	const struct pgr_vpce	*vpce;
};

struct tally {
	size_t	n, ok, ran;
	double	max_ms;
	const char *extra;
};

static void
tally_phase(const struct group *g, int ti, enum pgr_phase ph, struct tally *t)
{
	const struct pgr_target_result *tr;
	size_t i;

	memset(t, 0, sizeof(*t));
	if (ti < 0)
		return;
	tr = &g->r->results[ti];
	for (i = 0; i < tr->nattempts; i++) {
		const struct pgr_attempt *a = &tr->attempts[i];
		enum pgr_err e = ph == PGR_PH_TCP ? a->tcp.status :
		    ph == PGR_PH_TLS ? a->tls.status :
		    ph == PGR_PH_LOGIN ? a->login.status : a->query.status;
		double ms = ph == PGR_PH_TCP ? a->tcp.ms : ph == PGR_PH_TLS ? a->tls.ms :
		    ph == PGR_PH_LOGIN ? a->login.ms : a->query.p95_ms;

		t->n++;
		if (e != PGR_SKIPPED && e != PGR_PENDING)
			t->ran++;
		if (e == PGR_OK) {
			t->ok++;
			if (ms > t->max_ms)
				t->max_ms = ms;
		}
		if (ph == PGR_PH_TLS && e == PGR_OK)
			t->extra = a->tls.version;
	}
}

static int
finding_for(const struct group *g, enum pgr_check_step s)
{
	size_t i;

	for (i = 0; i < g->r->nfindings; i++) {
		const struct pgr_finding *f = &g->r->findings[i];
		char key[64];

		if (f->severity == PGR_SEV_OK || f->cause == NULL)
			continue;
		if (f->target != g->first && f->target != g->pg && f->target != g->bouncer)
			continue;
		snprintf(key, sizeof(key), "|%s|", f->cause);
		if (strstr(steps[s].causes, key) != NULL)
			return (int)i;
		snprintf(key, sizeof(key), "|%s|", f->code ? f->code : "");
		if (strstr(steps[s].causes, key) != NULL)
			return (int)i;
	}
	return -1;
}

/*
 * A finding the network alone cannot confirm (the second of "security
 * group or acceptance") leaves its step unknown, not failed.
 */
static bool
possible_only(const struct pgr_finding *f)
{
	return f->code != NULL && strcmp(f->code, "ENDPOINT_NOT_ACCEPTED") == 0;
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

static bool
any_connected(const struct group *g)
{
	struct tally a, b;

	tally_phase(g, g->pg, PGR_PH_TCP, &a);
	tally_phase(g, g->bouncer, PGR_PH_TCP, &b);
	return a.ok + b.ok > 0;
}

static void
evidence_steps(const struct group *g, struct pgr_check_item *it, const char *region)
{
	const struct pgr_endpoint_name *ep = &g->r->targets[g->first].endpoint;
	bool conn = any_connected(g);

	if (g->pl != NULL && g->pl->status == PGR_PL_OPERATIONAL)
		set(&it[PGR_STEP_PROVISIONED], PGR_CHECK_PASS, "Operational%s", "");
	else if (g->pl != NULL && g->pl->status == PGR_PL_PROVISIONING)
		set(&it[PGR_STEP_PROVISIONED], PGR_CHECK_FAIL, "Provisioning%s", "");
	else if (conn)
		set(&it[PGR_STEP_PROVISIONED], PGR_CHECK_PASS, "inferred: connections went through%s", "");

	if (it[PGR_STEP_ACCOUNT].finding < 0 && conn)
		set(&it[PGR_STEP_ACCOUNT], PGR_CHECK_PASS, "inferred: the endpoint accepts connections%s", "");
	else if (it[PGR_STEP_ACCOUNT].finding < 0 && g->pl != NULL && g->vpce != NULL &&
	    g->pl->naccounts > 0)
		set(&it[PGR_STEP_ACCOUNT], PGR_CHECK_PASS, "account %s is allowed",
		    g->vpce->owner_id ? g->vpce->owner_id : "?");

	if (ep->is_endpoint && ((region != NULL && strcasecmp(region, ep->region) == 0) ||
	    (g->pl != NULL && strcasecmp(g->pl->region, ep->region) == 0)))
		set(&it[PGR_STEP_REGION], PGR_CHECK_PASS, "%s", ep->region);
	else if (ep->is_endpoint && it[PGR_STEP_REGION].state == PGR_CHECK_UNKNOWN)
		snprintf(it[PGR_STEP_REGION].note, sizeof(it[PGR_STEP_REGION].note),
		    "the endpoint is in %s; give --region or AWS_REGION to compare", ep->region);

	if (g->vpce != NULL)
		set(&it[PGR_STEP_AVAILABLE], g->vpce->state == PGR_VPCE_AVAILABLE ?
		    PGR_CHECK_PASS : PGR_CHECK_FAIL, "%s", pgr_vpce_state_name(g->vpce->state));
	else if (conn)
		set(&it[PGR_STEP_AVAILABLE], PGR_CHECK_PASS, "inferred: connections went through%s", "");
}

/* The client's own address, as a probe of this host bound it; NULL. */
static const char *
client_addr(const struct group *g)
{
	int t[2] = { g->pg, g->bouncer }, k;
	size_t i;

	for (k = 0; k < 2; k++)
		for (i = 0; t[k] >= 0 && i < g->r->results[t[k]].nattempts; i++)
			if (g->r->results[t[k]].attempts[i].local[0] != '\0')
				return g->r->results[t[k]].attempts[i].local;
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
aws_steps(const struct group *g, struct pgr_check_item *it)
{
	static const enum pgr_check_step aws_owned[] = { PGR_STEP_PROVISIONED,
	    PGR_STEP_ACCOUNT, PGR_STEP_REGION, PGR_STEP_AVAILABLE, PGR_STEP_SECURITY_GROUP };
	const struct pgr_ev_aws_calls *a = pgr_evidence_aws(g->ev);
	const struct pgr_aws_call *sgc;
	const struct pgr_vpce *v = g->vpce;
	char why5432[256], why5433[256];
	size_t i;
	int p, b;

	if (a == NULL)
		return;
	if (v == NULL) {
		const struct pgr_aws_call *vc = &a->calls[PGR_AWS_DESCRIBE_VPC_ENDPOINTS];

		for (i = 0; i < sizeof(aws_owned) / sizeof(aws_owned[0]); i++)
			if (open_step(&it[aws_owned[i]]))
				set(&it[aws_owned[i]], PGR_CHECK_UNKNOWN, "--aws: %s",
				    vc->detail[0] ? vc->detail : pgr_aws_status_name(vc->status));
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
	p = pgr_sg_allows(g->ev, client_addr(g), 5432, why5432, sizeof(why5432));
	b = pgr_sg_allows(g->ev, client_addr(g), 5433, why5433, sizeof(why5433));
	if (p == 1 && b == 1)
		set(&it[PGR_STEP_SECURITY_GROUP], PGR_CHECK_PASS, "%s", why5432);
	else if (p == 0 || b == 0)
		set(&it[PGR_STEP_SECURITY_GROUP], PGR_CHECK_FAIL, "%s", p == 0 ? why5432 : why5433);
	else
		set(&it[PGR_STEP_SECURITY_GROUP], PGR_CHECK_UNKNOWN, "%s", why5432);
}

static void
phase_step(const struct group *g, struct pgr_check_item *it, int ti,
    enum pgr_phase ph, const char *unreached)
{
	struct tally t;
	char buf[160];

	tally_phase(g, ti, ph, &t);
	if (ti < 0) {
		set(it, PGR_CHECK_UNKNOWN, "%s", unreached);
		return;
	}
	if (t.ran == 0) {
		set(it, it->finding >= 0 ? PGR_CHECK_FAIL : PGR_CHECK_UNKNOWN,
		    "%s", t.n == 0 ? "not reached: DNS failed" : "not reached: an earlier step failed");
		return;
	}
	if (ph == PGR_PH_QUERY)
		snprintf(buf, sizeof(buf), "%zu/%zu sessions, p95 up to %.2f ms", t.ok, t.n, t.max_ms);
	else if (t.ok > 0)
		snprintf(buf, sizeof(buf), "%zu/%zu addresses%s%s, up to %.1f ms", t.ok, t.n,
		    t.extra ? ", " : "", t.extra ? t.extra : "", t.max_ms);
	else
		snprintf(buf, sizeof(buf), "0/%zu addresses", t.n);
	set(it, t.ok == t.n ? PGR_CHECK_PASS : PGR_CHECK_FAIL, "%s", buf);
}

static void
find_evidence(struct group *g, const struct pgr_evidence *ev)
{
	const struct pgr_endpoint_name *ep = &g->r->targets[g->first].endpoint;
	size_t i;

	for (i = 0; ev != NULL && i < ev->n; i++)
		if (ev->items[i].type == PGR_EV_PRIVATELINK)
			g->pl = &ev->items[i].u.privatelink;
	if (ev != NULL && ep->is_endpoint)
		g->vpce = pgr_evidence_find_vpce(ev, ep->id);
}

void
pgr_checklist(const struct pgr_report *r, const struct pgr_evidence *ev,
    const char *region, int first, struct pgr_check_item items[PGR_STEP__COUNT])
{
	struct group g = { r, ev, first, &r->results[first], -1, -1, NULL, NULL };
	const struct pgr_dns_result *d = &r->results[first].dns;
	size_t i;
	int s;

	for (i = 0; i < r->ntargets; i++) {
		if (strcasecmp(r->targets[i].host, r->targets[first].host) != 0)
			continue;
		if (r->targets[i].role == PGR_ROLE_PGBOUNCER && g.bouncer < 0)
			g.bouncer = (int)i;
		else if (r->targets[i].role == PGR_ROLE_POSTGRES && g.pg < 0)
			g.pg = (int)i;
	}
	find_evidence(&g, ev);
	for (s = 0; s < PGR_STEP__COUNT; s++) {
		const struct pgr_finding *f;

		items[s].step = (enum pgr_check_step)s;
		items[s].title = steps[s].title;
		items[s].finding = finding_for(&g, (enum pgr_check_step)s);
		f = items[s].finding >= 0 ? &r->findings[items[s].finding] : NULL;
		if (f == NULL)
			set(&items[s], PGR_CHECK_UNKNOWN, "%s", steps[s].unknown);
		else if (possible_only(f))
			set(&items[s], PGR_CHECK_UNKNOWN, "possibly: %s", f->summary);
		else
			set(&items[s], PGR_CHECK_FAIL, "%s", f->summary);
	}
	if (items[PGR_STEP_REGION].finding < 0 || items[PGR_STEP_ACCOUNT].finding < 0 ||
	    items[PGR_STEP_PROVISIONED].finding < 0 || items[PGR_STEP_AVAILABLE].finding < 0)
		evidence_steps(&g, items, region);
	aws_steps(&g, items);
	if (items[PGR_STEP_SECURITY_GROUP].finding < 0 &&
	    items[PGR_STEP_SECURITY_GROUP].state == PGR_CHECK_UNKNOWN) {
		struct tally a, b;

		tally_phase(&g, g.pg, PGR_PH_TCP, &a);
		tally_phase(&g, g.bouncer, PGR_PH_TCP, &b);
		if (a.ok > 0 && b.ok > 0)
			set(&items[PGR_STEP_SECURITY_GROUP], PGR_CHECK_PASS,
			    "inferred: TCP 5432 and 5433 connect%s", "");
	}
	if (items[PGR_STEP_DNS].finding < 0)
		set(&items[PGR_STEP_DNS], d->status == PGR_OK ? PGR_CHECK_PASS :
		    PGR_CHECK_FAIL, "%s", d->status == PGR_OK ? (d->naddrs > 1 ?
		    "private addresses" : "one address") : pgr_err_name(d->status));
	phase_step(&g, &items[PGR_STEP_TCP_5432], g.pg, PGR_PH_TCP, "not probed");
	phase_step(&g, &items[PGR_STEP_TCP_5433], g.bouncer, PGR_PH_TCP,
	    "not probed (--no-pgbouncer)");
	phase_step(&g, &items[PGR_STEP_TLS], g.pg >= 0 ? g.pg : g.bouncer, PGR_PH_TLS, "not probed");
	phase_step(&g, &items[PGR_STEP_LOGIN_POSTGRES], g.pg, PGR_PH_LOGIN, "not probed");
	phase_step(&g, &items[PGR_STEP_LOGIN_PGBOUNCER], g.bouncer, PGR_PH_LOGIN,
	    "not probed (--no-pgbouncer)");
	phase_step(&g, &items[PGR_STEP_QUERY], g.pg >= 0 ? g.pg : g.bouncer, PGR_PH_QUERY, "not probed");
}
