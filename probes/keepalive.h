/*
 * TCP keepalive, the one thing that keeps an idle flow alive through a
 * middlebox that forgets idle flows (PrivateLink, NLB and NAT gateways
 * after 350 s).  What the kernel applies to a socket, what the client
 * namespace's sysctl gives by default, and what a target's libpq
 * parameters make of it.
 */
#ifndef PGR_KEEPALIVE_H
#define PGR_KEEPALIVE_H

#include "probes/result.h"

#define PGR_SYSCTL_KEEPALIVE_TIME "/proc/sys/net/ipv4/tcp_keepalive_time"

/* A sysctl file's text ("7200\n"): seconds from 1 up, or -1. */
int	pgr_keepalive_sysctl_parse(const char *text);
/* Read and parse path: seconds, or -1 (absent, unreadable, malformed). */
int	pgr_keepalive_sysctl_read(const char *path);

/* The keepalive settings of a connected socket, read with getsockopt(). */
void	pgr_keepalive_read_socket(int fd, struct pgr_keepalive_result *k);

/*
 * What libpq will apply for target t, from its parameters (keepalives,
 * keepalives_idle, keepalives_interval, keepalives_count,
 * tcp_user_timeout) and the kernel's keepalive time (0: unknown).
 * k->known is false when the idle is unknown (no parameter, no sysctl).
 * libpq's own rule: keepalives defaults to 1, and a parameter that is not
 * a whole number makes the connection fail, so such a value is ignored
 * here.  Returns where the idle came from: "URL", "kernel" or NULL.
 */
const char *pgr_keepalive_of_target(const struct pgr_target *t,
	    int sysctl_time, struct pgr_keepalive_result *k);

#endif
