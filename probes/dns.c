/*
 * c-ares driven from the caller's poll() loop, as PgBouncer's dnslookup.c
 * does: the socket-state callback tells which sockets c-ares wants watched,
 * ares_process_fd() is fed what poll() saw, ares_timeout() bounds the wait.
 * ARES_AI_NOSORT keeps the answer order and skips RFC 6724 sorting.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ares.h>

#include "probes/clock.h"
#include "probes/dns.h"
#include "util/secrets.h"

#define DNS_MAX_SOCKS	16

struct dns_sock {
	ares_socket_t fd;
	int	readable;
	int	writable;
};

struct pgr_dns {
	ares_channel	channel;
	struct dns_sock	socks[DNS_MAX_SOCKS];
	size_t		nsocks;
	size_t		pending;
	char		servers[PGR_DETAIL_LEN];
};

struct lookup {
	struct pgr_dns		*d;
	struct pgr_dns_result	*res;
	double			 t0;
	const struct pgr_cidr	*vpc;
	size_t			 nvpc;
	pgr_dns_cb		 cb;
	void			*arg;
};

static void
sock_state_cb(void *data, ares_socket_t fd, int readable, int writable)
{
	struct pgr_dns *d = data;
	size_t i;

	for (i = 0; i < d->nsocks; i++)
		if (d->socks[i].fd == fd)
			break;
	if (!readable && !writable) {
		if (i < d->nsocks)
			d->socks[i] = d->socks[--d->nsocks];
		return;
	}
	if (i == d->nsocks) {
		if (d->nsocks == DNS_MAX_SOCKS)
			return;	/* c-ares opens one socket per server; 16 is plenty */
		d->nsocks++;
	}
	d->socks[i].fd = fd;
	d->socks[i].readable = readable;
	d->socks[i].writable = writable;
}

static void
describe_servers(struct pgr_dns *d)
{
	struct ares_addr_port_node *servers = NULL, *s;
	size_t n = 0;

	d->servers[0] = '\0';
	if (ares_get_servers_ports(d->channel, &servers) != ARES_SUCCESS)
		return;
	for (s = servers; s != NULL; s = s->next) {
		char ip[PGR_ADDRSTRLEN];
		int port = s->udp_port ? s->udp_port : 53;

		inet_ntop(s->family, &s->addr, ip, sizeof(ip));
		n += (size_t)snprintf(d->servers + n, sizeof(d->servers) - n,
		    s->family == AF_INET6 ? "%s[%s]:%d" : "%s%s:%d",
		    n ? "," : "", ip, port);
		if (n >= sizeof(d->servers))
			break;
	}
	ares_free_data(servers);
}

int
pgr_dns_new(struct pgr_dns **out, const char *const *servers, size_t nservers,
    double budget_ms, char *err, size_t errlen)
{
	struct ares_options opts;
	struct pgr_dns *d;
	int rc, mask;

	*out = NULL;
	d = calloc(1, sizeof(*d));
	if (d == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memset(&opts, 0, sizeof(opts));
	opts.sock_state_cb = sock_state_cb;
	opts.sock_state_cb_data = d;
	/*
	 * c-ares doubles the per-try timeout each round; three tries of
	 * budget/8 end by 7/8 of the budget, so a dead resolver is reported
	 * as such before the run's deadline cancels the lookup.
	 */
	opts.timeout = (int)(budget_ms / 8 > 250 ? budget_ms / 8 : 250);
	opts.tries = 3;
	/*
	 * Without NOCHECKRESP c-ares 1.18 hides a SERVFAIL or REFUSED answer
	 * behind ECONNREFUSED ("could not contact DNS servers") after trying
	 * the next server; the rcode itself is the diagnosis.
	 */
	opts.flags = ARES_FLAG_NOCHECKRESP;
	mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
	    ARES_OPT_FLAGS;
	rc = ares_init_options(&d->channel, &opts, mask);
	if (rc != ARES_SUCCESS) {
		snprintf(err, errlen, "cannot start the resolver: %s", ares_strerror(rc));
		free(d);
		return -1;
	}
	if (nservers > 0) {
		char csv[1024] = "";
		size_t i, n = 0;

		for (i = 0; i < nservers; i++)
			n += (size_t)snprintf(csv + n, sizeof(csv) - n, "%s%s",
			    i ? "," : "", servers[i]);
		if (n >= sizeof(csv) ||
		    (rc = ares_set_servers_ports_csv(d->channel, csv)) != ARES_SUCCESS) {
			snprintf(err, errlen, "invalid --dns-server \"%.200s\": expected HOST[:PORT] with HOST an IP address",
			    csv);
			ares_destroy(d->channel);
			free(d);
			return -1;
		}
	}
	describe_servers(d);
	*out = d;
	return 0;
}

void
pgr_dns_free(struct pgr_dns *d)
{
	if (d == NULL)
		return;
	ares_destroy(d->channel);
	free(d);
}

enum pgr_err
pgr_dns_status_code(int st)
{
	switch (st) {
	case ARES_SUCCESS:
		return PGR_OK;
	case ARES_ENOTFOUND:
		return PGR_DNS_NXDOMAIN;
	case ARES_ENODATA:
		return PGR_DNS_NO_ADDRESS;
	case ARES_ESERVFAIL:
		return PGR_DNS_SERVFAIL;
	case ARES_ETIMEOUT:
	case ARES_ECANCELLED:
	case ARES_EDESTRUCTION:
		return PGR_DNS_TIMEOUT;
	case ARES_EREFUSED:
	case ARES_ECONNREFUSED:
		return PGR_DNS_REFUSED;
	default:
		return PGR_DNS_ERROR;
	}
}

static void
append_cnames(struct pgr_dns_result *res, const struct ares_addrinfo *ai)
{
	const struct ares_addrinfo_cname *c;
	size_t len = 1;
	char *s;

	for (c = ai->cnames; c != NULL; c = c->next)
		len += strlen(c->alias ? c->alias : "") + strlen(c->name ? c->name : "") + 16;
	if (ai->cnames == NULL || (s = calloc(1, len)) == NULL)
		return;
	for (c = ai->cnames; c != NULL; c = c->next) {
		size_t n = strlen(s);

		snprintf(s + n, len - n, "%s%s -> %s (ttl %d)", n ? "; " : "",
		    c->alias ? c->alias : "?", c->name ? c->name : "?", c->ttl);
	}
	/* The DNS server wrote these names: no byte of them reaches a terminal raw. */
	if ((res->cnames = malloc(4 * len + 1)) != NULL)
		pgr_text_escape(res->cnames, 4 * len + 1, s, strlen(s));
	free(s);
}

static void
fill_result(struct lookup *lk, int status, struct ares_addrinfo *ai)
{
	struct pgr_dns_result *res = lk->res;
	const struct ares_addrinfo_node *n;

	res->ms = pgr_now_ms() - lk->t0;
	res->ares_status = status;
	res->status = pgr_dns_status_code(status);
	res->min_ttl = -1;
	snprintf(res->servers, sizeof(res->servers), "%s", lk->d->servers);
	if (status != ARES_SUCCESS) {
		snprintf(res->detail, sizeof(res->detail), "%s",
		    status == ARES_ECANCELLED ? "no answer before the deadline" :
		    ares_strerror(status));
		return;
	}
	append_cnames(res, ai);
	for (n = ai->nodes; n != NULL; n = n->ai_next) {
		if (n->ai_family != AF_INET && n->ai_family != AF_INET6)
			continue;
		res->naddrs_total++;
		if (res->min_ttl < 0 || n->ai_ttl < res->min_ttl)
			res->min_ttl = n->ai_ttl;
		if (res->naddrs < PGR_MAX_ADDRS)
			pgr_addr_set(&res->addrs[res->naddrs++], n->ai_addr,
			    n->ai_ttl, lk->vpc, lk->nvpc);
	}
	if (res->naddrs == 0) {
		res->status = PGR_DNS_NO_ADDRESS;
		snprintf(res->detail, sizeof(res->detail), "the name exists but has no A or AAAA record");
	}
}

static void
lookup_done(void *arg, int status, int timeouts, struct ares_addrinfo *ai)
{
	struct lookup *lk = arg;

	fill_result(lk, status, ai);
	if (timeouts > 0 && status != ARES_SUCCESS && lk->res->status == PGR_DNS_ERROR)
		lk->res->status = PGR_DNS_TIMEOUT;
	if (ai != NULL)
		ares_freeaddrinfo(ai);
	lk->d->pending--;
	lk->cb(lk->arg, lk->res);
	free(lk);
}

/* An address literal needs no resolver: answer it as the system would. */
static bool
literal(const char *name, struct pgr_dns_result *res, const struct pgr_cidr *vpc,
    size_t nvpc)
{
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, name, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		pgr_addr_set(&res->addrs[0], (struct sockaddr *)&sin, -1, vpc, nvpc);
	} else if (inet_pton(AF_INET6, name, &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		pgr_addr_set(&res->addrs[0], (struct sockaddr *)&sin6, -1, vpc, nvpc);
	} else
		return false;
	res->naddrs = res->naddrs_total = 1;
	res->status = PGR_OK;
	res->min_ttl = -1;
	snprintf(res->servers, sizeof(res->servers), "literal");
	snprintf(res->detail, sizeof(res->detail), "address literal, not resolved");
	return true;
}

void
pgr_dns_lookup(struct pgr_dns *d, const char *name, struct pgr_dns_result *res,
    double t0, const struct pgr_cidr *vpc, size_t nvpc, pgr_dns_cb cb, void *arg)
{
	struct ares_addrinfo_hints hints;
	struct lookup *lk;

	memset(res, 0, sizeof(*res));
	if (literal(name, res, vpc, nvpc)) {
		res->ms = pgr_now_ms() - t0;
		cb(arg, res);
		return;
	}
	lk = calloc(1, sizeof(*lk));
	if (lk == NULL) {
		res->status = PGR_DNS_ERROR;
		snprintf(res->detail, sizeof(res->detail), "out of memory");
		cb(arg, res);
		return;
	}
	*lk = (struct lookup){ d, res, t0, vpc, nvpc, cb, arg };
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_flags = ARES_AI_NOSORT;
	d->pending++;
	ares_getaddrinfo(d->channel, name, NULL, &hints, lookup_done, lk);
}

size_t
pgr_dns_pending(const struct pgr_dns *d)
{
	return d->pending;
}

size_t
pgr_dns_pollfds(struct pgr_dns *d, struct pollfd *pfd, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < d->nsocks && n < max; i++, n++) {
		pfd[n].fd = d->socks[i].fd;
		pfd[n].events = (short)((d->socks[i].readable ? POLLIN : 0) |
		    (d->socks[i].writable ? POLLOUT : 0));
		pfd[n].revents = 0;
	}
	return n;
}

int
pgr_dns_wait_ms(struct pgr_dns *d, int max_ms)
{
	struct timeval maxtv, tv, *t;
	int ms;

	maxtv.tv_sec = max_ms / 1000;
	maxtv.tv_usec = (max_ms % 1000) * 1000;
	t = ares_timeout(d->channel, &maxtv, &tv);
	if (t == NULL)
		return max_ms;
	ms = (int)(t->tv_sec * 1000 + (t->tv_usec + 999) / 1000);
	return ms < max_ms ? ms : max_ms;
}

void
pgr_dns_process(struct pgr_dns *d, const struct pollfd *pfd, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		ares_socket_t r = ARES_SOCKET_BAD, w = ARES_SOCKET_BAD;

		if (pfd[i].revents & (POLLIN | POLLERR | POLLHUP))
			r = pfd[i].fd;
		if (pfd[i].revents & POLLOUT)
			w = pfd[i].fd;
		if (r != ARES_SOCKET_BAD || w != ARES_SOCKET_BAD)
			ares_process_fd(d->channel, r, w);
	}
	/* With no socket ready this only runs c-ares' timeouts and retries. */
	ares_process_fd(d->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

void
pgr_dns_cancel(struct pgr_dns *d)
{
	ares_cancel(d->channel);
}

const char *
pgr_dns_version(void)
{
	return ares_version(NULL);
}
