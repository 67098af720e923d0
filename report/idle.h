/*
 * Idle flows: what --idle saw of the session kept idle on each port, and
 * whether the keepalive in effect would keep a flow alive through a
 * middlebox that forgets idle flows.  PrivateLink (like NLB and NAT
 * gateways) forgets a TCP flow idle for 350 s and then drops its packets
 * without a reset: the app hangs, or libpq says "SSL SYSCALL error: EOF
 * detected" much later.  Linux starts keepalive probes after 7200 s.
 */
#ifndef PGR_IDLE_H
#define PGR_IDLE_H

#include "report/analysis.h"

/* A flow idle this long through PrivateLink, NLB or a NAT gateway is forgotten. */
#define PGR_IDLE_TIMEOUT_S	350

/*
 * The keepalive idle in effect for target ti: read from a connected
 * socket of its run if any, else from its parameters and the run's
 * tcp_keepalive_time.  *source says which ("socket", "URL", "kernel").
 * k->known false: not known.
 */
void	pgr_idle_keepalive(const struct pgr_report *r, size_t ti,
	    struct pgr_keepalive_result *k, const char **source);

/*
 * Append IDLE_CUT / IDLE_SESSION_ENDED for each port whose idle session
 * did not survive the wait, and KEEPALIVE_IDLE_LONG once per host whose
 * keepalive idle or interval is PGR_IDLE_TIMEOUT_S or more (or keepalive
 * is off): severity ok on a
 * plain run (information), warning under --idle (o->idle_s > 0).  Hosts
 * reached only over loopback have no middlebox and get none.
 */
void	pgr_idle_apply(const struct pgr_report *r, const struct pgr_host *hosts,
	    size_t nhosts, const struct pgr_analysis_opts *o,
	    struct pgr_findings *out);

#endif
