/*
 * One poll() loop, one deadline.  The resolver's sockets and every
 * attempt's socket are polled together; each wait is bounded by what is
 * left of the run's budget, so no phase can overrun the whole.  With
 * workers, a probe the loop finds ready is stepped on a worker thread
 * (it leaves the poll set until the step is back), so four SCRAM logins
 * take two cores' time, not one core's four times over.
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

#include "probes/attempt.h"
#include "probes/clock.h"
#include "probes/dns.h"
#include "probes/engine.h"
#include "probes/keepalive.h"
#include "probes/tlsinfo.h"
#include "probes/workers.h"

struct engine;
struct slot;

static void step(struct engine *e, struct slot *s, short revents);

/*
 * DNS lookups in flight at once.  Each is an A and an AAAA query on the
 * one UDP socket c-ares 1.18 keeps per server; a burst of hundreds of them
 * overflows that socket's receive buffer while the loop is busy with TLS
 * and SCRAM, and every lost answer costs a retry after budget/8 (1.25 s at
 * the default 10 s timeout) or, three losses in a row, a false "timeout".
 */
#define DNS_INFLIGHT 32

struct target_ctx {
	struct engine	*e;
	size_t		 idx;
};

/* A probe, and its place in the workers' queue while a step is out. */
struct slot {
	struct pgr_probe probe;
	struct pgr_job	 job;
	bool		 busy;		/* on a worker: not to be touched */
};

struct engine {
	const struct pgr_run_opts *o;
	struct pgr_report	*rep;
	struct pgr_dns		*dns;
	struct pgr_tlsv		*tlsv;
	struct pgr_attempt_cfg	 cfg;
	struct target_ctx	*tctx;
	double			 t0, deadline;
	double			 idle_deadline;	/* --idle: the idle sessions' */
	bool			 over;		/* deadline passed; idle sessions go on */
	int			*idle_claim;	/* per target: its idle session is taken */
	struct slot		**probes;
	size_t			 nprobes, cap;
	size_t			 next;		/* first probe not yet started */
	size_t			 next_lookup;	/* first target not yet looked up */
	size_t			*leader;	/* target whose lookup a target shares */
	bool			*resolved;	/* a target's dns result is in */
	size_t			 max_active;
	struct pollfd		*pfd;
	size_t			*pfd_probe;	/* pfd slot -> probe index */
	size_t			 pfdcap;
	int			 failed;	/* 0, or the errno that ended the run */
	double			 last_progress;
	struct pgr_workers	*pool;		/* NULL: the loop steps probes itself */
	bool			 pool_tried;
};

static int
add_probe(struct engine *e, struct pgr_attempt *res, size_t target,
    const struct pgr_addr *a)
{
	struct slot *p;

	if (e->nprobes == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 16;
		struct slot **v = realloc(e->probes, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		e->probes = v;
		e->cap = cap;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -1;
	pgr_probe_init(&p->probe, res, &e->rep->targets[target], a, &e->cfg);
	p->probe.idle_claim = &e->idle_claim[target];
	p->job.arg = &p->probe;
	e->probes[e->nprobes++] = p;
	return 0;
}

/* Queue one attempt per address of target idx, whose dns result is in. */
static void
queue_attempts(struct engine *e, size_t idx)
{
	struct pgr_target_result *tr = &e->rep->results[idx];
	const struct pgr_dns_result *dns = &tr->dns;
	size_t i;

	e->resolved[idx] = true;
	if (e->o->source != NULL && e->o->source->resolved != NULL)
		e->o->source->resolved(e->o->source->arg, idx, dns);
	if (dns->status != PGR_OK || dns->naddrs == 0)
		return;
	tr->attempts = calloc(dns->naddrs, sizeof(*tr->attempts));
	if (tr->attempts == NULL) {
		e->failed = ENOMEM;
		return;
	}
	tr->nattempts = dns->naddrs;
	for (i = 0; i < dns->naddrs; i++)
		if (add_probe(e, &tr->attempts[i], idx, &dns->addrs[i]) != 0)
			e->failed = ENOMEM;
}

/* A target that shares its leader's name takes a copy of its answer. */
static void
adopt(struct engine *e, size_t follower, size_t leader)
{
	struct pgr_dns_result *d = &e->rep->results[follower].dns;

	*d = e->rep->results[leader].dns;
	if (d->cnames != NULL && (d->cnames = strdup(d->cnames)) == NULL)
		e->failed = ENOMEM;
	queue_attempts(e, follower);
}

/* A name resolved (or failed): queue its attempts and its followers'. */
static void
on_resolved(void *arg, struct pgr_dns_result *dns)
{
	struct target_ctx *tc = arg;
	struct engine *e = tc->e;
	size_t k;

	(void)dns;
	queue_attempts(e, tc->idx);
	for (k = tc->idx + 1; k < e->next_lookup; k++)
		if (e->leader[k] == tc->idx && !e->resolved[k])
			adopt(e, k, tc->idx);
}

static size_t
fd_budget(int parallel)
{
	struct rlimit rl;
	size_t n;

	if (parallel > 0)
		return (size_t)parallel;
	/* Each attempt holds one socket; keep room for stdio, c-ares, files. */
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return 256;
	n = rl.rlim_cur > 40 ? (size_t)rl.rlim_cur - 32 : 1;
	return n;
}

/*
 * Start lookups up to DNS_INFLIGHT in flight (literals answer at once).  A
 * name asked before (a PgBouncer sibling's) is not asked again: the target
 * follows the first one that asked it.
 */
static void
start_lookups(struct engine *e)
{
	while (e->next_lookup < e->rep->ntargets &&
	    pgr_dns_pending(e->dns) < DNS_INFLIGHT) {
		size_t i = e->next_lookup++, j;

		e->leader[i] = i;
		for (j = 0; j < i; j++)
			if (e->leader[j] == j && strcasecmp(e->rep->targets[j].host,
			    e->rep->targets[i].host) == 0) {
				e->leader[i] = j;
				break;
			}
		if (e->leader[i] != i) {
			if (e->resolved[e->leader[i]])
				adopt(e, i, e->leader[i]);
			continue;
		}
		e->tctx[i] = (struct target_ctx){ e, i };
		pgr_dns_lookup(e->dns, e->rep->targets[i].host,
		    &e->rep->results[i].dns, e->t0, e->o->vpc, e->o->nvpc,
		    on_resolved, &e->tctx[i]);
	}
}

/* A probe out on a worker counts as under way; its state is not read. */
static bool
underway(const struct slot *s)
{
	return s->busy || s->probe.state != PGR_AS_DONE;
}

static size_t
start_queued(struct engine *e)
{
	size_t i, active = 0;

	for (i = 0; i < e->next; i++)
		active += underway(e->probes[i]);
	while (e->next < e->nprobes && active < e->max_active) {
		struct pgr_probe *p = &e->probes[e->next++]->probe;

		p->res->start_ms = pgr_now_ms() - e->t0;
		pgr_probe_start(p);
		if (p->state != PGR_AS_DONE)
			active++;
	}
	return active;
}

static int
grow_pfd(struct engine *e, size_t need)
{
	struct pollfd *pfd;
	size_t *map;

	if (need <= e->pfdcap)
		return 0;
	need = need * 2;
	pfd = realloc(e->pfd, need * sizeof(*pfd));
	if (pfd == NULL)
		return -1;
	e->pfd = pfd;
	map = realloc(e->pfd_probe, need * sizeof(*map));
	if (map == NULL)
		return -1;
	e->pfd_probe = map;
	e->pfdcap = need;
	return 0;
}

/*
 * The run's deadline: lookups and every probe end, except (keep_idle) the
 * sessions kept idle, whose deadline is later.  Nothing queued starts
 * after it.
 */
static void
expire_all(struct engine *e, bool keep_idle)
{
	size_t i;

	pgr_dns_cancel(e->dns);
	for (i = e->next_lookup; i < e->rep->ntargets; i++) {
		struct pgr_dns_result *d = &e->rep->results[i].dns;

		d->status = PGR_DNS_TIMEOUT;
		d->ms = e->deadline - e->t0;
		snprintf(d->detail, sizeof(d->detail),
		    "not looked up before the deadline (raise --timeout)");
	}
	e->next_lookup = e->rep->ntargets;
	for (i = 0; i < e->nprobes; i++)
		if (!keep_idle || !pgr_probe_idling(&e->probes[i]->probe))
			pgr_probe_expire(&e->probes[i]->probe);
	e->next = e->nprobes;
}

static bool
idling(const struct engine *e)
{
	size_t i;

	for (i = 0; i < e->next; i++)
		if (e->probes[i]->busy || pgr_probe_idling(&e->probes[i]->probe))
			return true;
	return false;
}

/* An idle session's wait is over: it is stepped without an event. */
static void
wake_due(struct engine *e)
{
	double now = pgr_now_ms();
	size_t i;

	for (i = 0; i < e->next; i++) {
		struct slot *s = e->probes[i];

		if (!s->busy && s->probe.state != PGR_AS_DONE && s->probe.wake > 0 &&
		    now >= s->probe.wake)
			step(e, s, 0);
	}
}

/* ms until the first idle session's wait is over, at most max. */
static int
wake_ms(const struct engine *e, int max)
{
	double now = pgr_now_ms(), d;
	size_t i;

	for (i = 0; i < e->next; i++) {
		const struct slot *s = e->probes[i];

		if (s->busy || s->probe.state == PGR_AS_DONE || s->probe.wake <= 0)
			continue;
		d = ceil(s->probe.wake - now);
		if (d < max)
			max = d > 0 ? (int)d : 0;
	}
	return max;
}

/* Take back the probes whose step is done. */
static void
reap(struct engine *e)
{
	struct pgr_job *j;

	for (j = pgr_workers_reap(e->pool); j != NULL; j = j->next)
		((struct slot *)((char *)j - offsetof(struct slot, job)))->busy = false;
}

/* Every probe back from the workers, so that none is stepped and expired at once. */
static void
recall_all(struct engine *e)
{
	if (e->pool == NULL)
		return;
	reap(e);
	while (pgr_workers_busy(e->pool) > 0) {
		pgr_workers_wait(e->pool);
		reap(e);
	}
}

static void
step(struct engine *e, struct slot *s, short revents)
{
	if (e->pool == NULL) {
		pgr_probe_step(&s->probe, revents);
		return;
	}
	s->busy = true;
	s->job.revents = revents;
	pgr_workers_submit(e->pool, &s->job);
}

static void
step_job(void *arg, short revents)
{
	pgr_probe_step(arg, revents);
}

/*
 * Start the workers once there are workers_after connections to step at
 * once (8 by default).  Fewer logins gain nothing from them: the loop
 * derives one SCRAM key (~5 ms) while the others wait on the network, and
 * threads cost CPU (with OpenSSL 3.0, threads deriving SCRAM keys contend
 * on its algorithm-fetch lock).  Measured, the full probe's 4 connections
 * took 70 ms in one thread against 76 ms with 2 workers; see bench/README.md.
 */
static void
maybe_start_workers(struct engine *e)
{
	char err[128];

	if (e->pool_tried || e->o->workers <= 1 || e->nprobes < e->o->workers_after)
		return;
	e->pool_tried = true;
	if (pgr_workers_new(&e->pool, e->o->workers, step_job, err, sizeof(err)) != 0)
		e->pool = NULL;	/* no threads to be had: the loop steps them */
}

/* Sockets the run's other source (--aws) may have in the poll set at once. */
#define SOURCE_FDS 16

static bool
source_pending(const struct engine *e)
{
	return e->o->source != NULL && e->o->source->pending(e->o->source->arg);
}

/* One turn of the loop; returns false when the run is over. */
static bool
turn(struct engine *e)
{
	size_t nd, ns, n, i, active;
	double now, left;
	int wait, r;

	start_lookups(e);
	maybe_start_workers(e);
	active = start_queued(e);
	if (active == 0 && e->next == e->nprobes && pgr_dns_pending(e->dns) == 0 &&
	    e->next_lookup == e->rep->ntargets && !source_pending(e))
		return false;
	now = pgr_now_ms();
	if (e->failed != 0 || (e->over && now >= e->idle_deadline)) {
		recall_all(e);
		expire_all(e, false);
		if (!e->over && e->o->source != NULL)
			e->o->source->expire(e->o->source->arg);
		return false;
	}
	if (!e->over && now >= e->deadline) {
		recall_all(e);
		expire_all(e, true);
		if (e->o->source != NULL)
			e->o->source->expire(e->o->source->arg);
		e->over = true;
	}
	if (e->over && !idling(e))
		return false;
	left = (e->over ? e->idle_deadline : e->deadline) - now;
	if (grow_pfd(e, active + 17 + SOURCE_FDS) != 0) {
		e->failed = ENOMEM;
		return true;
	}
	nd = pgr_dns_pollfds(e->dns, e->pfd, 16);
	ns = e->o->source != NULL && !e->over ?
	    e->o->source->pollfds(e->o->source->arg, e->pfd + nd, SOURCE_FDS) : 0;
	n = nd + ns;
	if (e->pool != NULL) {
		e->pfd[n].fd = pgr_workers_fd(e->pool);
		e->pfd[n].events = POLLIN;
		e->pfd[n++].revents = 0;
	}
	for (i = 0; i < e->next; i++) {
		struct pgr_probe *p = &e->probes[i]->probe;

		if (e->probes[i]->busy || p->state == PGR_AS_DONE || p->fd < 0)
			continue;
		e->pfd[n].fd = p->fd;
		e->pfd[n].events = p->events;
		e->pfd[n].revents = 0;
		e->pfd_probe[n++] = i;
	}
	wait = pgr_dns_wait_ms(e->dns, (int)ceil(left));
	if (e->o->source != NULL && !e->over)
		wait = e->o->source->wait_ms(e->o->source->arg, wait);
	wait = wake_ms(e, wait);
	if (e->o->progress != NULL) {
		if (now - e->last_progress >= 100) {
			size_t done = 0;

			for (i = 0; i < e->nprobes; i++)
				done += !underway(e->probes[i]);
			e->o->progress(e->o->progress_arg, done, e->nprobes,
			    pgr_dns_pending(e->dns), now - e->t0);
			e->last_progress = now;
		}
		if (wait > 100)
			wait = 100;
	}
	r = poll(e->pfd, n, wait);
	if (r < 0 && errno != EINTR) {
		e->failed = errno;	/* cannot wait: the run ends, as an error */
		return true;
	}
	pgr_dns_process(e->dns, e->pfd, nd);
	if (e->o->source != NULL && !e->over)
		e->o->source->process(e->o->source->arg, e->pfd + nd, ns);
	i = nd + ns;
	if (e->pool != NULL && e->pfd[i++].revents != 0)
		reap(e);
	for (; r > 0 && i < n; i++)
		if (e->pfd[i].revents != 0)
			step(e, e->probes[e->pfd_probe[i]], e->pfd[i].revents);
	wake_due(e);
	return true;
}

static void
engine_free(struct engine *e)
{
	size_t i;

	pgr_workers_free(e->pool);
	for (i = 0; i < e->nprobes; i++)
		free(e->probes[i]);
	free(e->probes);
	free(e->pfd);
	free(e->pfd_probe);
	free(e->tctx);
	free(e->leader);
	free(e->resolved);
	free(e->idle_claim);
	pgr_dns_free(e->dns);
	pgr_tlsv_free(e->tlsv);
}

int
pgr_engine_run(struct pgr_report *rep, const struct pgr_run_opts *o, char *err,
    size_t errlen)
{
	struct engine e;

	memset(&e, 0, sizeof(e));
	e.o = o;
	e.rep = rep;
	e.max_active = fd_budget(o->parallel);
	/*
	 * With threads allowed, a --sslrootcert file is parsed beside the
	 * first lookups and connects (OpenSSL's start-up and the file: ~1.5 ms
	 * before the first packet otherwise).  The system store needs no
	 * thread: it is read on demand (probes/tlsinfo.c).
	 */
	if (pgr_tlsv_new(&e.tlsv, o->sslrootcert, o->workers > 1, err, errlen) != 0 ||
	    pgr_dns_new(&e.dns, o->dns_servers, o->ndns_servers,
	    o->timeout_s * 1000.0, err, errlen) != 0) {
		engine_free(&e);
		return -1;
	}
	/* The clock starts once the libraries are set up, at the first lookup. */
	e.t0 = pgr_now_ms();
	e.deadline = e.t0 + o->timeout_s * 1000.0;
	e.idle_deadline = e.deadline + (o->idle_s > 0 ? o->idle_s * 1000.0 : 0);
	clock_gettime(CLOCK_REALTIME, &rep->started_at);
	/* This namespace's default keepalive idle: what the URL does not set. */
	rep->tcp_keepalive_time = pgr_keepalive_sysctl_read(PGR_SYSCTL_KEEPALIVE_TIME);
	if (rep->tcp_keepalive_time < 0)
		rep->tcp_keepalive_time = 0;
	if (o->source != NULL)
		o->source->start(o->source->arg, e.t0, e.deadline);
	e.cfg = (struct pgr_attempt_cfg){ o->sslmode, o->sslrootcert, o->query,
	    o->count, e.tlsv, e.deadline,
	    o->idle_s > 0 ? o->idle_s * 1000.0 : 0, e.idle_deadline };
	rep->results = calloc(rep->ntargets ? rep->ntargets : 1, sizeof(*rep->results));
	e.tctx = calloc(rep->ntargets ? rep->ntargets : 1, sizeof(*e.tctx));
	e.leader = calloc(rep->ntargets ? rep->ntargets : 1, sizeof(*e.leader));
	e.resolved = calloc(rep->ntargets ? rep->ntargets : 1, sizeof(*e.resolved));
	e.idle_claim = calloc(rep->ntargets ? rep->ntargets : 1, sizeof(*e.idle_claim));
	if (rep->results == NULL || e.tctx == NULL || e.leader == NULL ||
	    e.resolved == NULL || e.idle_claim == NULL) {
		snprintf(err, errlen, "out of memory");
		engine_free(&e);
		return -1;
	}
	while (turn(&e))
		;
	rep->duration_ms = pgr_now_ms() - e.t0;
	/*
	 * Memory or poll() gave out: the probes were closed, but what they
	 * show is not the network's doing.  Never report it as timeouts (a
	 * security group would be blamed): the run fails, exit 3.
	 */
	if (e.failed != 0) {
		snprintf(err, errlen, "the run was cut short: %s", e.failed == ENOMEM ?
		    "out of memory" : strerror(e.failed));
		engine_free(&e);
		return -1;
	}
	/* A CA file that did not parse is bad input, whatever the run saw. */
	if (pgr_tlsv_wait(e.tlsv, err, errlen) != 0) {
		engine_free(&e);
		return -1;
	}
	engine_free(&e);
	return 0;
}
