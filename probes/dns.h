/*
 * The dns phase: one c-ares channel per run, stepped by the run's poll()
 * loop through ARES_OPT_SOCK_STATE_CB, ares_process_fd() and ares_timeout().
 */
#ifndef PGR_DNS_H
#define PGR_DNS_H

#include <poll.h>
#include <stddef.h>

#include "probes/addr.h"
#include "probes/result.h"

struct pgr_dns;

/* Called once per lookup, from inside pgr_dns_process() or pgr_dns_cancel(). */
typedef void (*pgr_dns_cb)(void *arg, struct pgr_dns_result *res);

/*
 * servers: "HOST[:PORT]" strings (IPv6 as [addr]:port), or none for the
 * system's resolv.conf.  budget_ms bounds one lookup's retries.
 */
int	pgr_dns_new(struct pgr_dns **out, const char *const *servers,
	    size_t nservers, double budget_ms, char *err, size_t errlen);
void	pgr_dns_free(struct pgr_dns *d);

/*
 * Resolve name into res (which must outlive the lookup).  res->ms is
 * stamped relative to t0.  An IP literal is answered at once.
 */
void	pgr_dns_lookup(struct pgr_dns *d, const char *name,
	    struct pgr_dns_result *res, double t0,
	    const struct pgr_cidr *vpc, size_t nvpc, pgr_dns_cb cb, void *arg);

size_t	pgr_dns_pending(const struct pgr_dns *d);
size_t	pgr_dns_pollfds(struct pgr_dns *d, struct pollfd *pfd, size_t max);
/* Millisecond wait c-ares wants, at most max_ms. */
int	pgr_dns_wait_ms(struct pgr_dns *d, int max_ms);
void	pgr_dns_process(struct pgr_dns *d, const struct pollfd *pfd, size_t n);
/* The deadline came: every pending lookup ends as a timeout. */
void	pgr_dns_cancel(struct pgr_dns *d);

enum pgr_err pgr_dns_status_code(int ares_status);
const char *pgr_dns_version(void);

#endif
