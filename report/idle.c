/*
 * The idle findings, from the attempts' idle and keepalive facts and the
 * run's tcp_keepalive_time: a pure function of the results, like the
 * rules of diagnose.c, so a recorded report gives the same findings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probes/keepalive.h"
#include "report/idle.h"

/* The libpq parameters that keep a flow alive, and make a cut one fail fast. */
#define KEEPALIVE_PARAMS "keepalives_idle=60 keepalives_interval=10 keepalives_count=6"
#define KEEPALIVE_URL "?keepalives_idle=60&keepalives_interval=10&keepalives_count=6&tcp_user_timeout=30000"

static const char cut_remedy[] =
    "PrivateLink, like NLB and NAT gateways, forgets a TCP flow idle for 350 s "
    "and then drops its packets without a reset; only traffic keeps it alive. "
    "Have the client send TCP keepalives well inside that: add "
    KEEPALIVE_PARAMS " to the connection string (" KEEPALIVE_URL
    " in a URL, or the driver's equivalent), where tcp_user_timeout=30000 makes a "
    "connection that was cut anyway fail in 30 s instead of hanging; or lower "
    "net.ipv4.tcp_keepalive_time to 60 on this host (sysctl -w, and in "
    "/etc/sysctl.d). Let connection pools recycle connections idle longer than "
    "5 minutes. Check with pgreach --idle 400s and the new parameters in the URL.";

static const char long_remedy[] =
    "A flow idle for 350 s through PrivateLink (or an NLB, or a NAT gateway) is "
    "forgotten and its next packets are lost: the app hangs, then gets \"SSL "
    "SYSCALL error: EOF detected\". Add " KEEPALIVE_PARAMS
    " (and tcp_user_timeout=30000) to the connection string (" KEEPALIVE_URL
    " in a URL), or lower net.ipv4.tcp_keepalive_time to 60 on this host; "
    "pgreach --idle 400s proves it.";

static const char ended_remedy[] =
    "The path kept the flow: the session itself ended. A FATAL from the server "
    "names why: 57P05 is Postgres's idle_session_timeout (SHOW "
    "idle_session_timeout), 57P01 an administrator or a restart; PgBouncer's "
    "client_idle_timeout closes idle clients too. Let the app's pool recycle "
    "connections before that limit, and check heroku pg:info for restarts.";

/* The keepalive as a phrase: "on, idle 7200 s, interval 75 s, 9 probes". */
static void
keepalive_text(const struct pgr_keepalive_result *k, const char *source,
    char *buf, size_t len)
{
	if (!k->enabled) {
		snprintf(buf, len, "keepalive off (%s)", source);
		return;
	}
	snprintf(buf, len, "keepalive idle %d s (%s)", k->idle_s, source);
	if (k->interval_s > 0 && k->count > 0)
		snprintf(buf + strlen(buf), len - strlen(buf),
		    ", then a probe every %d s, %d unanswered ones end it",
		    k->interval_s, k->count);
	if (k->user_timeout_ms > 0)
		snprintf(buf + strlen(buf), len - strlen(buf),
		    ", tcp_user_timeout %d ms", k->user_timeout_ms);
}

void
pgr_idle_keepalive(const struct pgr_report *r, size_t ti,
    struct pgr_keepalive_result *k, const char **source)
{
	const struct pgr_target_result *tr = &r->results[ti];
	size_t j;

	for (j = 0; j < tr->nattempts; j++)
		if (tr->attempts[j].keepalive.known) {
			*k = tr->attempts[j].keepalive;
			*source = "socket";
			return;
		}
	*source = pgr_keepalive_of_target(&r->targets[ti], r->tcp_keepalive_time, k);
	if (*source == NULL)
		*source = "unknown";
}

static const char *
role_of(const struct pgr_target *t)
{
	return t->role == PGR_ROLE_PGBOUNCER ? "PgBouncer" : "Postgres";
}

static void
add(struct pgr_findings *out, enum pgr_code code, enum pgr_severity sev,
    enum pgr_cause cause, const char *summary, const char *evidence,
    const char *remedy, int target, int port)
{
	if (pgr_findings_add(out, code, sev, cause, summary, evidence, remedy,
	    target) == 0)
		out->v[out->n - 1].port = port;
}

/* The idle session of target ti, if it did not survive the wait. */
static void
idle_target(const struct pgr_report *r, size_t ti, struct pgr_findings *out)
{
	const struct pgr_target *t = &r->targets[ti];
	const struct pgr_target_result *tr = &r->results[ti];
	const struct pgr_keepalive_result *k;
	const struct pgr_idle_result *d;
	const struct pgr_attempt *a = NULL;
	char summary[512], evidence[1024], ka[200], what[400];
	size_t j;

	for (j = 0; j < tr->nattempts && a == NULL; j++)
		if (tr->attempts[j].idle.status != PGR_IDLE_NONE)
			a = &tr->attempts[j];
	if (a == NULL || a->idle.status == PGR_IDLE_OK)
		return;
	d = &a->idle;
	k = &a->keepalive;
	if (k->known)
		keepalive_text(k, "socket", ka, sizeof(ka));
	else
		snprintf(ka, sizeof(ka), "keepalive unknown");
	/* The server said why it ended the session: not the path's doing. */
	if (d->status == PGR_IDLE_ERROR || (d->status == PGR_IDLE_EOF && d->sqlstate[0])) {
		snprintf(summary, sizeof(summary), "The session kept idle on %s "
		    "port %d at %s failed after %.0f s idle%s%s",
		    role_of(t), t->port, a->address, d->seconds,
		    d->sqlstate[0] ? ": the server ended it, SQLSTATE " : "",
		    d->sqlstate);
		snprintf(evidence, sizeof(evidence), "after %.0f s idle, %s:%d: %s "
		    "(%s)%s%s", d->seconds, a->address, t->port,
		    pgr_idle_status_name(d->status), d->message[0] ? d->message : "no message",
		    d->sqlstate[0] ? ", SQLSTATE " : "", d->sqlstate);
		add(out, PGR_F_IDLE_SESSION_ENDED, PGR_SEV_CRITICAL, PGR_CAUSE_SERVICE,
		    summary, evidence, ended_remedy, (int)ti, t->port);
		return;
	}
	switch (d->status) {
	case PGR_IDLE_TIMEOUT:
		snprintf(what, sizeof(what), "%s", d->err_no ?
		    "the kernel gave up on the connection: its keepalive probes or "
		    "tcp_user_timeout went unanswered" :
		    "the query sent after it got no answer, no reset and no end of "
		    "file before the deadline");
		break;
	case PGR_IDLE_RESET:
		snprintf(what, sizeof(what), "the query sent after it was answered "
		    "by a reset (ECONNRESET)");
		break;
	default:
		snprintf(what, sizeof(what), "the connection was closed (end of file, "
		    "no message from the server): libpq says \"SSL SYSCALL error: "
		    "EOF detected\" or \"server closed the connection unexpectedly\"");
		break;
	}
	snprintf(summary, sizeof(summary), "An idle session on %s port %d at %s "
	    "was cut after %.0f s idle: %s", role_of(t), t->port, a->address,
	    d->seconds, d->status == PGR_IDLE_TIMEOUT ? "the flow was forgotten "
	    "and its packets are lost silently" : d->status == PGR_IDLE_RESET ?
	    "the path answered with a reset" : "the connection was closed");
	snprintf(evidence, sizeof(evidence), "%s:%d (%s): queries answered, then "
	    "%.0f s idle; %s (%.1f s after the wait began); %s",
	    a->address, t->port, role_of(t), d->seconds, what,
	    (d->ms - d->start_ms) / 1000.0, ka);
	add(out, PGR_F_IDLE_CUT, PGR_SEV_CRITICAL, PGR_CAUSE_ROUTING, summary,
	    evidence, cut_remedy, (int)ti, t->port);
}

/* Reached over loopback only: nothing between that forgets flows. */
static bool
loopback_only(const struct pgr_report *r, size_t ti)
{
	const struct pgr_dns_result *d = &r->results[ti].dns;
	size_t i;

	if (d->naddrs == 0)
		return false;
	for (i = 0; i < d->naddrs; i++)
		if (d->addrs[i].scope != PGR_SCOPE_LOOPBACK)
			return false;
	return true;
}

static void
keepalive_host(const struct pgr_report *r, const struct pgr_host *h,
    const struct pgr_analysis_opts *o, struct pgr_findings *out)
{
	int ports[2] = { h->pg, h->bouncer }, i;
	struct pgr_keepalive_result k;
	const char *source;
	char summary[512], evidence[512], ka[200], sys[64];

	for (i = 0; i < 2; i++) {
		size_t ti;

		if (ports[i] < 0)
			continue;
		ti = (size_t)ports[i];
		if (loopback_only(r, ti))
			continue;
		pgr_idle_keepalive(r, ti, &k, &source);
		/*
		 * Linux sends the first probe after the idle time, then one
		 * every interval: the flow's longest silence is the larger.
		 */
		if (!k.known || (k.enabled && k.idle_s < PGR_IDLE_TIMEOUT_S &&
		    k.interval_s < PGR_IDLE_TIMEOUT_S))
			continue;
		keepalive_text(&k, source, ka, sizeof(ka));
		if (k.enabled && k.idle_s >= PGR_IDLE_TIMEOUT_S)
			snprintf(summary, sizeof(summary), "Connections to %s send "
			    "their first keepalive after %d s idle: PrivateLink "
			    "forgets a flow idle for 350 s", h->name, k.idle_s);
		else if (k.enabled)
			snprintf(summary, sizeof(summary), "Connections to %s send "
			    "a keepalive only every %d s: PrivateLink forgets a flow "
			    "idle for 350 s", h->name, k.interval_s);
		else
			snprintf(summary, sizeof(summary), "Connections to %s send "
			    "no keepalive: a flow idle 350 s is forgotten", h->name);
		if (r->tcp_keepalive_time > 0)
			snprintf(sys, sizeof(sys), "net.ipv4.tcp_keepalive_time is %d s",
			    r->tcp_keepalive_time);
		else
			snprintf(sys, sizeof(sys), "net.ipv4.tcp_keepalive_time not read");
		snprintf(evidence, sizeof(evidence), "port %d: %s; %s; PrivateLink "
		    "forgets a flow idle for %d s", r->targets[ti].port, ka, sys,
		    PGR_IDLE_TIMEOUT_S);
		add(out, PGR_F_KEEPALIVE_IDLE_LONG, o->idle_s > 0 ?
		    PGR_SEV_WARNING : PGR_SEV_OK, PGR_CAUSE_ROUTING, summary,
		    evidence, long_remedy, (int)ti, 0);
		return;	/* once per host */
	}
}

void
pgr_idle_apply(const struct pgr_report *r, const struct pgr_host *hosts,
    size_t nhosts, const struct pgr_analysis_opts *o, struct pgr_findings *out)
{
	size_t i;

	if (r->results == NULL)
		return;
	for (i = 0; i < r->ntargets; i++)
		idle_target(r, i, out);
	for (i = 0; i < nhosts; i++)
		keepalive_host(r, &hosts[i], o, out);
}
