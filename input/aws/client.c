/*
 * The --aws fetch: a small state machine over libcurl's multi interface,
 * stepped by the engine's poll loop (curl_multi_socket_action, with
 * CURLMOPT_SOCKETFUNCTION keeping our list of sockets and
 * CURLMOPT_TIMERFUNCTION our one timer).  No call blocks; every transfer
 * is bounded by what is left of the run's deadline.
 *
 *	credentials: environment / files / credential_process at start;
 *	             else STS AssumeRoleWithWebIdentity, or IMDSv2
 *	             (token PUT, role GET, credentials GET)
 *	per region of the targets, at once:
 *	round 1:     DescribeVpcEndpoints: the vpce- IDs the target names
 *	             carry, in one call; or, when a target's name carries
 *	             none (an alias, an IP literal), every Interface endpoint
 *	             of the account, page by page
 *	match:       a name without an ID is the endpoint whose DnsEntries
 *	             hold it or a name of its CNAME chain; else the one whose
 *	             network interfaces (DescribeNetworkInterfaces, every
 *	             listed endpoint's) hold one of its addresses
 *	round 2:     DescribeSecurityGroups, DescribeSubnets,
 *	             DescribeNetworkAcls, DescribeNetworkInterfaces at once,
 *	             for every endpoint found
 *
 * EC2 facts relied on: the Query API answers XML; a denied call is HTTP
 * 403 UnauthorizedOperation; throttling is HTTP 503 RequestLimitExceeded,
 * to be retried with exponential backoff; an endpoint that is not in this
 * account or region is InvalidVpcEndpointId.NotFound, which fails the whole
 * call and names the ID; DescribeVpcEndpoints has no filter on DNS names,
 * and pages with MaxResults/NextToken.
 */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "config.h"
#include "input/aws/aws.h"
#include "input/aws/awslibs.h"
#include "input/aws/creds.h"
#include "input/aws/ec2xml.h"
#include "probes/clock.h"
#include "report/buf.h"

#define EC2_VERSION	"2016-11-15"
#define STS_VERSION	"2011-06-15"
#define MAX_SOCKS	16
#define MAX_PAGES	20	/* of one listing: 2000 endpoints at MaxResults 100 */
#define MAX_REGIONS	4
#define MAX_IDS		200	/* per call: EC2 takes up to 200 values per filter */
#define MAX_IDS_S	"200"
#define IMDS_MS		1000	/* IMDSv2 answers in microseconds on EC2: off EC2, give up soon */

enum kind {
	REQ_EC2,
	REQ_STS,
	REQ_IMDS_TOKEN,
	REQ_IMDS_ROLE,
	REQ_IMDS_CREDS
};

struct region;

struct req {
	struct pgr_aws	*a;
	struct region	*rg;		/* REQ_EC2: the region asked */
	CURL		*h;
	enum kind	 kind;
	enum pgr_aws_action action;
	char		*form;		/* POST body without NextToken */
	char		*post;		/* what is sent */
	struct curl_slist *hdrs;
	struct pgr_buf	 body;
	bool		 too_big;
	bool		 in_multi;
	bool		 linked;	/* on a->reqs */
	double		 retry_at;	/* > 0: waiting to be sent again */
	double		 sent_at;
	int		 page;		/* 1, 2, ...: NextToken pages */
	char		 label[64];	/* for the -vv trace: what is asked */
	char		 errbuf[CURL_ERROR_SIZE];
	struct req	*next;
};

struct sock {
	curl_socket_t	 fd;
	short		 events;
};

struct answer {
	struct pgr_evidence_item item;	/* parsed pages */
	struct pgr_buf	 raw;		/* the pages as received, redacted */
	bool		 started;
};

enum host_state { H_WAIT, H_MATCHED, H_NONE };

/* A target host to find the endpoint of (the 5433 sibling shares it). */
struct host {
	char		 name[256];
	struct region	*rg;		/* NULL: not looked up (too many regions) */
	bool		 by_name;	/* the name carries no vpce- ID */
	char		 id[64];	/* from the name, or matched */
	const char	*how;		/* "id", "dns_name", "cname", "address" */
	enum host_state	 st;
	const struct pgr_dns_result *dns;	/* once the run resolved it */
	char		 why[256];	/* H_NONE: what was looked for, among what */
};

/* What --aws asks in one region, and what it was answered. */
struct region {
	struct pgr_aws	*a;
	char		 name[32];
	char		 ec2_url[256];
	struct pgr_ev_aws_calls calls;
	struct answer	 ans[PGR_AWS__NACTIONS];
	bool		 decided[PGR_AWS__NACTIONS];	/* the call's outcome is set */
	bool		 listing;	/* a host has no ID: list the Interface endpoints */
	char		 ids[PGR_AWS_MAX_HOSTS][64];	/* else: the IDs to describe */
	size_t		 nids;
	bool		 listed;	/* DescribeVpcEndpoints answered in full */
	bool		 truncated;	/* ... but for the pages past MAX_PAGES */
	bool		 eni_phase;	/* DescribeNetworkInterfaces asked to match addresses */
	bool		 eni_done;	/* ... and answered (or failed) */
	size_t		 neni_asked, neni_all;
	bool		 round2;
};

struct pgr_aws {
	struct pgr_aws_opts o;
	CURLM		*multi;
	struct sock	 socks[MAX_SOCKS];
	size_t		 nsocks;
	double		 timer_at;	/* < 0: no timer */
	double		 t0, deadline;
	struct req	*reqs;		/* in flight or waiting to retry */
	struct pgr_aws_creds creds;
	struct pgr_aws_creds_hint hint;
	char		 imds_token[128];	/* SECRET */
	char		 *web_token;		/* SECRET */
	char		 imds_base[128];
	char		 sts_url[256];
	char		 cred_source[48];
	struct host	 hosts[PGR_AWS_MAX_HOSTS];
	size_t		 nhosts, hosts_left_out;
	struct region	 regions[MAX_REGIONS];
	size_t		 nregions;
	unsigned int	 seed;
	bool		 started;
};

static const char *const action_names[PGR_AWS__NACTIONS] = {
	[PGR_AWS_DESCRIBE_VPC_ENDPOINTS] = "DescribeVpcEndpoints",
	[PGR_AWS_DESCRIBE_SECURITY_GROUPS] = "DescribeSecurityGroups",
	[PGR_AWS_DESCRIBE_SUBNETS] = "DescribeSubnets",
	[PGR_AWS_DESCRIBE_NETWORK_ACLS] = "DescribeNetworkAcls",
	[PGR_AWS_DESCRIBE_NETWORK_INTERFACES] = "DescribeNetworkInterfaces",
};

const char *
pgr_aws_action_name(enum pgr_aws_action a)
{
	return (unsigned)a < PGR_AWS__NACTIONS ? action_names[a] : "?";
}

const char *
pgr_aws_iam_action(enum pgr_aws_action a)
{
	static const char *const iam[PGR_AWS__NACTIONS] = {
		[PGR_AWS_DESCRIBE_VPC_ENDPOINTS] = "ec2:DescribeVpcEndpoints",
		[PGR_AWS_DESCRIBE_SECURITY_GROUPS] = "ec2:DescribeSecurityGroups",
		[PGR_AWS_DESCRIBE_SUBNETS] = "ec2:DescribeSubnets",
		[PGR_AWS_DESCRIBE_NETWORK_ACLS] = "ec2:DescribeNetworkAcls",
		[PGR_AWS_DESCRIBE_NETWORK_INTERFACES] = "ec2:DescribeNetworkInterfaces",
	};

	return (unsigned)a < PGR_AWS__NACTIONS ? iam[a] : "?";
}

const char *
pgr_aws_status_name(enum pgr_aws_status s)
{
	static const char *const names[] = {
		[PGR_AWS_OK] = "ok",
		[PGR_AWS_NOT_ASKED] = "not_asked",
		[PGR_AWS_NO_CREDENTIALS] = "no_credentials",
		[PGR_AWS_ACCESS_DENIED] = "access_denied",
		[PGR_AWS_THROTTLED] = "throttled",
		[PGR_AWS_NOT_FOUND] = "not_found",
		[PGR_AWS_TIMEOUT] = "timeout",
		[PGR_AWS_BAD_ANSWER] = "bad_answer",
		[PGR_AWS_ERROR] = "error",
	};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

/* ---- secrets ---- */

void
pgr_aws_redact(char *buf, size_t len, const char *const *secrets, size_t n)
{
	size_t i, k;

	for (k = 0; buf != NULL && k < n; k++) {
		size_t sl = secrets[k] != NULL ? strlen(secrets[k]) : 0;
		char *p = buf;

		/* Short strings would match by chance; no real secret is this short. */
		if (sl < 8)
			continue;
		while ((size_t)(p - buf) + sl <= len &&
		    (p = memmem(p, len - (size_t)(p - buf), secrets[k], sl)) != NULL) {
			for (i = 0; i < sl; i++)
				p[i] = i < 8 ? "REDACTED"[i] : '*';
			p += sl;
		}
	}
}

static void
redact(struct pgr_aws *a, char *buf, size_t len)
{
	const char *s[] = { a->creds.secret_key, a->creds.session_token,
	    a->imds_token, a->web_token };

	pgr_aws_redact(buf, len, s, sizeof(s) / sizeof(s[0]));
}

/* ---- calls ---- */

static struct pgr_aws_call *
call(struct region *rg, enum pgr_aws_action act)
{
	return &rg->calls.calls[act];
}

static void set_call(struct region *, enum pgr_aws_action, enum pgr_aws_status,
    const char *, ...) __attribute__((format(printf, 4, 5)));

/* The outcome of one call, once: a later outcome does not overwrite it. */
static void
set_call(struct region *rg, enum pgr_aws_action act, enum pgr_aws_status st,
    const char *fmt, ...)
{
	struct pgr_aws_call *c = call(rg, act);
	va_list ap;

	if (rg->decided[act])
		return;
	rg->decided[act] = true;
	c->status = st;
	c->ms = pgr_now_ms() - rg->a->t0;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
	redact(rg->a, c->detail, strlen(c->detail));
}

/* Every call not yet answered ends with st (no credentials, deadline). */
static void
set_all(struct region *rg, enum pgr_aws_status st, const char *detail)
{
	int i;

	for (i = 0; i < PGR_AWS__NACTIONS; i++)
		set_call(rg, (enum pgr_aws_action)i, st, "%s", detail);
}

/* The same in every region. */
static void
set_all_regions(struct pgr_aws *a, enum pgr_aws_status st, const char *detail)
{
	size_t k;

	for (k = 0; k < a->nregions; k++)
		set_all(&a->regions[k], st, detail);
}

/*
 * -vv: one line per AWS request on the trace stream.  Only what is safe
 * to show: method, host, what was asked, status, time, request ID.  No
 * header, no body, no URL query; the line is redacted all the same.
 */
static void
trace(struct req *r, CURLcode rc, long http, const char *rid)
{
	struct pgr_aws *a = r->a;
	char line[512], host[128];
	const char *url = NULL, *p;
	size_t n;

	if (a->o.trace == NULL)
		return;
	curl_easy_getinfo(r->h, CURLINFO_EFFECTIVE_URL, &url);
	p = url != NULL && strstr(url, "://") != NULL ? strstr(url, "://") + 3 : "?";
	n = strcspn(p, "/?#");
	snprintf(host, sizeof(host), "%.*s", (int)(n < sizeof(host) ? n : sizeof(host) - 1), p);
	if (rc != CURLE_OK)
		snprintf(line, sizeof(line), "pgreach: aws: %s %s %s: %s, %.1f ms",
		    r->kind == REQ_IMDS_TOKEN ? "PUT" : r->kind >= REQ_IMDS_ROLE ? "GET" : "POST",
		    host, r->label, r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc),
		    pgr_now_ms() - r->sent_at);
	else
		snprintf(line, sizeof(line), "pgreach: aws: %s %s %s: HTTP %ld, %.1f ms, request ID %s",
		    r->kind == REQ_IMDS_TOKEN ? "PUT" : r->kind >= REQ_IMDS_ROLE ? "GET" : "POST",
		    host, r->label, http, pgr_now_ms() - r->sent_at,
		    rid != NULL && rid[0] ? rid : "-");
	redact(a, line, strlen(line));
	fprintf(a->o.trace, "%s\n", line);
}

/* ---- libcurl's sockets and timer ---- */

static int
on_socket(CURL *h, curl_socket_t fd, int what, void *arg, void *sockp)
{
	struct pgr_aws *a = arg;
	size_t i;

	(void)h;
	(void)sockp;
	for (i = 0; i < a->nsocks; i++)
		if (a->socks[i].fd == fd)
			break;
	if (what == CURL_POLL_REMOVE) {
		if (i < a->nsocks)
			a->socks[i] = a->socks[--a->nsocks];
		return 0;
	}
	if (i == a->nsocks) {
		if (a->nsocks == MAX_SOCKS)
			return -1;	/* libcurl fails that transfer */
		a->nsocks++;
	}
	a->socks[i].fd = fd;
	a->socks[i].events = (short)(((what & CURL_POLL_IN) ? POLLIN : 0) |
	    ((what & CURL_POLL_OUT) ? POLLOUT : 0));
	return 0;
}

static int
on_timer(CURLM *m, long ms, void *arg)
{
	struct pgr_aws *a = arg;

	(void)m;
	a->timer_at = ms < 0 ? -1 : pgr_now_ms() + (double)ms;
	return 0;
}

static size_t
on_data(char *p, size_t size, size_t n, void *arg)
{
	struct req *r = arg;

	if (r->body.len + n > PGR_EVIDENCE_MAX_SIZE) {
		r->too_big = true;
		return 0;	/* ends the transfer: CURLE_WRITE_ERROR */
	}
	pgr_buf_add(&r->body, p, size * n);
	return r->body.oom ? 0 : n;
}

/* ---- requests ---- */

static void
req_free(struct req *r)
{
	struct curl_slist *s;

	if (r == NULL)
		return;
	if (r->in_multi)
		curl_multi_remove_handle(r->a->multi, r->h);
	/* Headers may hold the session token or the IMDS token. */
	for (s = r->hdrs; s != NULL; s = s->next)
		explicit_bzero(s->data, strlen(s->data));
	curl_slist_free_all(r->hdrs);
	curl_easy_cleanup(r->h);
	if (r->form != NULL) {
		explicit_bzero(r->form, strlen(r->form));
		free(r->form);
	}
	if (r->post != NULL) {
		explicit_bzero(r->post, strlen(r->post));
		free(r->post);
	}
	pgr_buf_wipe(&r->body);
	free(r);
}

static void
unlink_req(struct pgr_aws *a, struct req *r)
{
	struct req **pp;

	r->linked = false;
	for (pp = &a->reqs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
}

static int
send_req(struct req *r)
{
	struct pgr_aws *a = r->a;
	double left = a->deadline - pgr_now_ms();
	long ms = left > 1 ? (long)left : 1;

	if (r->kind >= REQ_IMDS_TOKEN && ms > IMDS_MS)
		ms = IMDS_MS;
	pgr_buf_wipe(&r->body);
	r->too_big = false;
	r->errbuf[0] = '\0';
	r->retry_at = 0;
	curl_easy_setopt(r->h, CURLOPT_TIMEOUT_MS, ms);
	if (curl_multi_add_handle(a->multi, r->h) != CURLM_OK)
		return -1;
	r->in_multi = true;
	if (!r->linked) {
		r->next = a->reqs;
		a->reqs = r;
		r->linked = true;
	}
	r->sent_at = pgr_now_ms();
	if (r->kind == REQ_EC2)
		call(r->rg, r->action)->tries++;
	return 0;
}

static struct req *
new_req(struct pgr_aws *a, enum kind kind, const char *url)
{
	struct req *r = calloc(1, sizeof(*r));

	if (r == NULL || (r->h = curl_easy_init()) == NULL) {
		free(r);
		return NULL;
	}
	r->a = a;
	r->kind = kind;
	curl_easy_setopt(r->h, CURLOPT_URL, url);
	curl_easy_setopt(r->h, CURLOPT_PRIVATE, r);
	curl_easy_setopt(r->h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(r->h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(r->h, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(r->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(r->h, CURLOPT_USERAGENT, "pgreach/" PACKAGE_VERSION);
	return r;
}

/* "k=v&" with v form-encoded, onto b. */
static void
param(struct pgr_buf *b, const char *k, const char *v)
{
	char *e = curl_easy_escape(NULL, v, 0);

	if (e == NULL) {
		b->oom = true;
		return;
	}
	pgr_buf_printf(b, "%s%s=%s", b->len ? "&" : "", k, e);
	explicit_bzero(e, strlen(e));
	curl_free(e);
}

/* prefix.1=v[0]&prefix.2=v[1]...: the Query API's lists. */
static void
params(struct pgr_buf *b, const char *prefix, char *const *v, size_t n)
{
	char k[64];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(k, sizeof(k), "%s.%zu", prefix, i + 1);
		param(b, k, v[i]);
	}
}

/* Distinct IDs for one call's list, at most MAX_IDS. */
struct idset {
	const char	*v[MAX_IDS];
	size_t		 n, dropped;
};

static void
idset_add(struct idset *s, const char *id)
{
	size_t i;

	if (id == NULL || id[0] == '\0')
		return;
	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i], id) == 0)
			return;
	if (s->n == MAX_IDS)
		s->dropped++;
	else
		s->v[s->n++] = id;
}

static void
idset_params(struct pgr_buf *b, const char *prefix, const struct idset *s)
{
	params(b, prefix, (char *const *)s->v, s->n);
}

/* The endpoint service's name, if the caller knows it (heroku data:privatelink). */
static const char *
a_service(const struct region *rg)
{
	return rg->a->o.service != NULL ? rg->a->o.service : "";
}

/* A listing narrowed to that service: only when no host of rg carries an ID. */
static bool
service_filter(const struct region *rg)
{
	return rg->listing && a_service(rg)[0] != '\0' && rg->nids == 0;
}

/* The EC2 request for action act in region rg, for the IDs in ids. */
static int
ec2_request(struct region *rg, enum pgr_aws_action act, const struct idset *ids)
{
	struct pgr_aws *a = rg->a;
	struct pgr_buf b = { 0 };
	char sigv4[96];
	struct req *r;

	param(&b, "Action", action_names[act]);
	param(&b, "Version", EC2_VERSION);
	switch (act) {
	case PGR_AWS_DESCRIBE_VPC_ENDPOINTS:
		if (!rg->listing) {
			idset_params(&b, "VpcEndpointId", ids);
			break;
		}
		/* No filter on DNS names exists: every interface endpoint, paged. */
		param(&b, "Filter.1.Name", "vpc-endpoint-type");
		param(&b, "Filter.1.Value.1", "Interface");
		if (service_filter(rg)) {
			param(&b, "Filter.2.Name", "service-name");
			param(&b, "Filter.2.Value.1", a_service(rg));
		}
		param(&b, "MaxResults", "100");
		break;
	case PGR_AWS_DESCRIBE_SECURITY_GROUPS:
		idset_params(&b, "GroupId", ids);
		break;
	case PGR_AWS_DESCRIBE_SUBNETS:
		idset_params(&b, "SubnetId", ids);
		break;
	case PGR_AWS_DESCRIBE_NETWORK_ACLS:
		/* The ACLs that govern the endpoints' subnets. */
		param(&b, "Filter.1.Name", "association.subnet-id");
		idset_params(&b, "Filter.1.Value", ids);
		break;
	case PGR_AWS_DESCRIBE_NETWORK_INTERFACES:
		idset_params(&b, "NetworkInterfaceId", ids);
		break;
	default:
		break;
	}
	if (b.oom || (r = new_req(a, REQ_EC2, rg->ec2_url)) == NULL) {
		pgr_buf_wipe(&b);
		return -1;
	}
	r->rg = rg;
	r->action = act;
	r->page = 1;
	snprintf(r->label, sizeof(r->label), "%s (%s)", action_names[act], rg->name);
	r->form = pgr_buf_take(&b);
	if (r->form == NULL || (r->post = strdup(r->form)) == NULL)
		goto fail;
	/* libcurl signs: provider aws, amz, the region, service ec2. */
	snprintf(sigv4, sizeof(sigv4), "aws:amz:%s:ec2", rg->name);
	curl_easy_setopt(r->h, CURLOPT_AWS_SIGV4, sigv4);
	curl_easy_setopt(r->h, CURLOPT_USERNAME, a->creds.access_key);
	curl_easy_setopt(r->h, CURLOPT_PASSWORD, a->creds.secret_key);
	curl_easy_setopt(r->h, CURLOPT_POSTFIELDS, r->post);
	if (a->creds.session_token != NULL) {
		char *h = NULL;

		if (asprintf(&h, "X-Amz-Security-Token: %s", a->creds.session_token) < 0)
			goto fail;
		r->hdrs = curl_slist_append(NULL, h);
		explicit_bzero(h, strlen(h));
		free(h);
		if (r->hdrs == NULL)
			goto fail;
		curl_easy_setopt(r->h, CURLOPT_HTTPHEADER, r->hdrs);
	}
	if (send_req(r) == 0)
		return 0;
fail:
	req_free(r);
	return -1;
}

/* The same action's next page: the form again with NextToken. */
static int
next_page(struct req *r, const char *token)
{
	struct pgr_buf b = { 0 };

	pgr_buf_puts(&b, r->form);
	param(&b, "NextToken", token);
	if (b.oom)
		return -1;
	explicit_bzero(r->post, strlen(r->post));
	free(r->post);
	r->post = pgr_buf_take(&b);
	curl_easy_setopt(r->h, CURLOPT_POSTFIELDS, r->post);
	r->page++;
	snprintf(r->label, sizeof(r->label), "%s (%s) page %d", action_names[r->action],
	    r->rg->name, r->page);
	return send_req(r);
}

/* The endpoint with this ID in the region's answer, or NULL. */
static const struct pgr_vpce *
listed_vpce(const struct region *rg, const char *id)
{
	const struct pgr_ev_vpc_endpoints *e =
	    &rg->ans[PGR_AWS_DESCRIBE_VPC_ENDPOINTS].item.u.endpoints;
	size_t i;

	for (i = 0; i < e->n; i++)
		if (e->v[i].id != NULL && strcasecmp(e->v[i].id, id) == 0)
			return &e->v[i];
	return NULL;
}

/*
 * Round 2, once every host of the region is matched or not: the groups,
 * subnets, ACLs and interfaces of every endpoint found, one call each.
 * The interfaces may be in already (asked for to match addresses).
 */
static void
round2(struct region *rg)
{
	static const struct { enum pgr_aws_action act; const char *what; } r2[] = {
		{ PGR_AWS_DESCRIBE_SECURITY_GROUPS, "security groups" },
		{ PGR_AWS_DESCRIBE_SUBNETS, "subnets" },
		{ PGR_AWS_DESCRIBE_NETWORK_ACLS, "subnets" },
		{ PGR_AWS_DESCRIBE_NETWORK_INTERFACES, "network interfaces" },
	};
	struct pgr_aws *a = rg->a;
	struct idset *ids = calloc(4, sizeof(*ids));
	size_t i, k, nfound = 0;

	rg->round2 = true;
	if (ids == NULL) {
		set_all(rg, PGR_AWS_ERROR, "out of memory");
		return;
	}
	for (i = 0; i < a->nhosts; i++) {
		const struct pgr_vpce *v;

		if (a->hosts[i].rg != rg || a->hosts[i].st != H_MATCHED ||
		    (v = listed_vpce(rg, a->hosts[i].id)) == NULL)
			continue;
		nfound++;
		for (k = 0; k < v->ngroups; k++)
			idset_add(&ids[0], v->groups[k].id);
		for (k = 0; k < v->nsubnets; k++) {
			idset_add(&ids[1], v->subnets[k]);
			idset_add(&ids[2], v->subnets[k]);
		}
		for (k = 0; k < v->nenis; k++)
			idset_add(&ids[3], v->enis[k]);
	}
	if (nfound == 0)
		set_all(rg, PGR_AWS_NOT_ASKED, "no endpoint was found to describe");
	for (i = 0; nfound > 0 && i < sizeof(r2) / sizeof(r2[0]); i++) {
		if (rg->decided[r2[i].act])
			continue;
		if (ids[i].n == 0)
			set_call(rg, r2[i].act, PGR_AWS_NOT_ASKED, "the endpoint has no %s",
			    r2[i].what);
		else if (ec2_request(rg, r2[i].act, &ids[i]) != 0)
			set_call(rg, r2[i].act, PGR_AWS_ERROR, "out of memory");
	}
	free(ids);
}

/* Both host names the same, in any case, a trailing dot ignored. */
static bool
dns_entry_match(const struct pgr_vpce *v, const char *name)
{
	size_t k;

	for (k = 0; k < v->ndns; k++)
		if (v->dns[k].name != NULL && pgr_evidence_same_host(v->dns[k].name, name))
			return true;
	return false;
}

/* The listed endpoint with name among its DnsEntries, or NULL. */
static const struct pgr_vpce *
match_name(const struct region *rg, const char *name)
{
	const struct pgr_ev_vpc_endpoints *e =
	    &rg->ans[PGR_AWS_DESCRIBE_VPC_ENDPOINTS].item.u.endpoints;
	size_t i;

	for (i = 0; i < e->n; i++)
		if (e->v[i].id != NULL && dns_entry_match(&e->v[i], name))
			return &e->v[i];
	return NULL;
}

/* "a -> b -> c": the listed endpoint that has one of the chain's names. */
static const struct pgr_vpce *
match_cnames(const struct region *rg, const char *chain)
{
	char name[256];
	const char *p = chain;

	while (p != NULL && *p != '\0') {
		size_t n = strcspn(p, " ");
		const struct pgr_vpce *v;

		if (n > 0 && n < sizeof(name) && strncmp(p, "->", n) != 0) {
			memcpy(name, p, n);
			name[n] = '\0';
			if ((v = match_name(rg, name)) != NULL)
				return v;
		}
		p += n;
		p += strspn(p, " ");
	}
	return NULL;
}

/* The listed endpoint one of whose interfaces holds one of d's addresses. */
static const struct pgr_vpce *
match_addrs(const struct region *rg, const struct pgr_dns_result *d)
{
	const struct pgr_ev_vpc_endpoints *e =
	    &rg->ans[PGR_AWS_DESCRIBE_VPC_ENDPOINTS].item.u.endpoints;
	const struct pgr_ev_network_interfaces *ni =
	    &rg->ans[PGR_AWS_DESCRIBE_NETWORK_INTERFACES].item.u.enis;
	size_t i, j, k, m, x;

	for (x = 0; x < d->naddrs; x++)
		for (j = 0; j < ni->n; j++)
			for (k = 0; k < ni->v[j].naddrs; k++) {
				if (ni->v[j].id == NULL ||
				    strcasecmp(ni->v[j].addrs[k], d->addrs[x].text) != 0)
					continue;
				for (i = 0; i < e->n; i++)
					for (m = 0; m < e->v[i].nenis; m++)
						if (strcmp(e->v[i].enis[m], ni->v[j].id) == 0)
							return &e->v[i];
			}
	return NULL;
}

static void
host_matched(struct host *h, const struct pgr_vpce *v, const char *how)
{
	snprintf(h->id, sizeof(h->id), "%s", v->id);
	h->how = how;
	h->st = H_MATCHED;
}

/* Why no endpoint fits a name without an ID: what was looked for, among what. */
static void
host_none(struct host *h)
{
	struct region *rg = h->rg;
	const struct pgr_aws_call *ec = call(rg, PGR_AWS_DESCRIBE_NETWORK_INTERFACES);
	const struct pgr_dns_result *d = h->dns;
	char addrs[200] = "";
	size_t i, n = 0;

	for (i = 0; d != NULL && i < d->naddrs && n < sizeof(addrs); i++)
		n += (size_t)snprintf(addrs + n, sizeof(addrs) - n, "%s%s", i ? ", " : "",
		    d->addrs[i].text);
	h->st = H_NONE;
	snprintf(h->why, sizeof(h->why), "none of the %zu interface endpoints%s%s%s in %s "
	    "has %s%s%s as a DNS name%s%s%s%s%s",
	    rg->ans[PGR_AWS_DESCRIBE_VPC_ENDPOINTS].item.u.endpoints.n,
	    rg->truncated ? " listed (more pages were left)" : "",
	    service_filter(rg) ? " of " : "", service_filter(rg) ? a_service(rg) : "",
	    rg->name, h->name,
	    d != NULL && d->cnames != NULL ? " or its CNAMEs " : "",
	    d != NULL && d->cnames != NULL ? d->cnames : "",
	    addrs[0] ? ", nor an interface holding " : "", addrs,
	    d == NULL || d->status != PGR_OK ? "; the name did not resolve" : "",
	    addrs[0] && rg->eni_phase && ec->status != PGR_AWS_OK ?
	    "; the interfaces could not be read" : "",
	    addrs[0] && rg->neni_all > rg->neni_asked ?
	    "; only the first " MAX_IDS_S " interfaces were read" : "");
}

/*
 * Match what can be matched; once no host of the region waits, round 2.
 * Called whenever a piece comes in: the endpoints, the interfaces, a DNS
 * answer.
 */
static void
advance(struct region *rg)
{
	struct pgr_aws *a = rg->a;
	bool waiting = false;
	size_t i;

	if (!rg->listed || rg->round2)
		return;
	for (i = 0; i < a->nhosts; i++) {
		struct host *h = &a->hosts[i];
		const struct pgr_vpce *v;

		if (h->rg != rg || h->st != H_WAIT)
			continue;
		if (h->dns == NULL) {
			waiting = true;		/* the run has not resolved it yet */
			continue;
		}
		if (h->dns->cnames != NULL && (v = match_cnames(rg, h->dns->cnames)) != NULL) {
			host_matched(h, v, "cname");
			continue;
		}
		if (h->dns->naddrs > 0 && rg->eni_phase && !rg->eni_done) {
			waiting = true;		/* the interfaces are not in yet */
			continue;
		}
		if (rg->eni_done && (v = match_addrs(rg, h->dns)) != NULL)
			host_matched(h, v, "address");
		else
			host_none(h);
	}
	if (!waiting)
		round2(rg);
}

/*
 * DescribeVpcEndpoints answered in full: the hosts that carry an ID, and
 * the names among the endpoints' DnsEntries; for the rest, the listed
 * endpoints' interfaces, to match addresses.
 */
static void
endpoints_done(struct region *rg)
{
	const struct pgr_ev_vpc_endpoints *e =
	    &rg->ans[PGR_AWS_DESCRIBE_VPC_ENDPOINTS].item.u.endpoints;
	struct pgr_aws *a = rg->a;
	size_t i, k, nwait = 0, nfound = 0;
	const char *missing = NULL;
	struct idset *enis;

	for (i = 0; i < a->nhosts; i++) {
		struct host *h = &a->hosts[i];
		const struct pgr_vpce *v;

		if (h->rg != rg || h->st != H_WAIT)
			continue;
		if (!h->by_name) {
			if ((v = listed_vpce(rg, h->id)) != NULL) {
				host_matched(h, v, "id");
				nfound++;
				continue;
			}
			h->st = H_NONE;
			snprintf(h->why, sizeof(h->why), "DescribeVpcEndpoints: %s is not in this "
			    "account's endpoints in %s", h->id, rg->name);
			missing = missing != NULL ? missing : h->id;
		} else if ((v = match_name(rg, h->name)) != NULL) {
			host_matched(h, v, "dns_name");
			nfound++;
		} else
			nwait++;
	}
	rg->listed = true;
	if (nfound == 0 && nwait == 0 && missing != NULL) {
		set_call(rg, PGR_AWS_DESCRIBE_VPC_ENDPOINTS, PGR_AWS_NOT_FOUND,
		    "DescribeVpcEndpoints: %s is not in this account's endpoints in %s",
		    missing, rg->name);
		set_all(rg, PGR_AWS_NOT_ASKED, "the endpoint was not found");
		rg->round2 = true;
		return;
	}
	set_call(rg, PGR_AWS_DESCRIBE_VPC_ENDPOINTS, PGR_AWS_OK, "%s", "");
	if (nwait > 0 && (enis = calloc(1, sizeof(*enis))) != NULL) {
		for (i = 0; i < e->n; i++)
			for (k = 0; k < e->v[i].nenis; k++)
				idset_add(enis, e->v[i].enis[k]);
		rg->neni_asked = enis->n;
		rg->neni_all = enis->n + enis->dropped;
		if (enis->n > 0) {
			rg->eni_phase = true;
			if (ec2_request(rg, PGR_AWS_DESCRIBE_NETWORK_INTERFACES, enis) != 0) {
				set_call(rg, PGR_AWS_DESCRIBE_NETWORK_INTERFACES, PGR_AWS_ERROR,
				    "out of memory");
				rg->eni_done = true;
			}
		} else
			rg->eni_done = true;
		free(enis);
	} else if (nwait > 0)
		rg->eni_done = true;
	advance(rg);
}

/* Round 1 in rg: the IDs the names carry, or the account's listing. */
static void
describe_endpoints(struct region *rg)
{
	struct idset ids = { .n = 0 };
	size_t i;

	if (rg->name[0] == '\0') {
		set_all(rg, PGR_AWS_NOT_ASKED, "no region: the host name carries none; give "
		    "--region or AWS_REGION");
		return;
	}
	for (i = 0; i < rg->nids; i++)
		idset_add(&ids, rg->ids[i]);
	if (ec2_request(rg, PGR_AWS_DESCRIBE_VPC_ENDPOINTS, &ids) != 0)
		set_all(rg, PGR_AWS_ERROR, "out of memory");
}

static void
start_describe(struct pgr_aws *a)
{
	size_t k;

	for (k = 0; k < a->nregions; k++)
		describe_endpoints(&a->regions[k]);
}

/* ---- credentials over the network ---- */

static void
creds_failed(struct pgr_aws *a, const char *why)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "no AWS credentials: %.230s", why);
	set_all_regions(a, PGR_AWS_NO_CREDENTIALS, buf);
}

static int
imds_request(struct pgr_aws *a, enum kind kind, const char *path)
{
	char url[512], hdr[192];
	struct req *r;

	snprintf(url, sizeof(url), "%.127s%.300s", a->imds_base, path);
	if ((r = new_req(a, kind, url)) == NULL)
		return -1;
	snprintf(r->label, sizeof(r->label), "%.63s", path);
	if (kind == REQ_IMDS_TOKEN) {
		/* IMDSv2: a PUT for a session token, then GETs that carry it. */
		curl_easy_setopt(r->h, CURLOPT_CUSTOMREQUEST, "PUT");
		curl_easy_setopt(r->h, CURLOPT_POSTFIELDS, "");
		snprintf(hdr, sizeof(hdr), "X-aws-ec2-metadata-token-ttl-seconds: 60");
	} else
		snprintf(hdr, sizeof(hdr), "X-aws-ec2-metadata-token: %s", a->imds_token);
	r->hdrs = curl_slist_append(NULL, hdr);
	explicit_bzero(hdr, sizeof(hdr));
	if (r->hdrs != NULL) {
		curl_easy_setopt(r->h, CURLOPT_HTTPHEADER, r->hdrs);
		if (send_req(r) == 0)
			return 0;
	}
	req_free(r);
	return -1;
}

static int
sts_request(struct pgr_aws *a)
{
	struct pgr_buf b = { 0 };
	struct req *r;

	param(&b, "Action", "AssumeRoleWithWebIdentity");
	param(&b, "Version", STS_VERSION);
	param(&b, "RoleArn", a->hint.role_arn);
	param(&b, "RoleSessionName", a->hint.session_name);
	param(&b, "WebIdentityToken", a->web_token);
	if (b.oom || (r = new_req(a, REQ_STS, a->sts_url)) == NULL) {
		pgr_buf_wipe(&b);
		return -1;
	}
	snprintf(r->label, sizeof(r->label), "AssumeRoleWithWebIdentity");
	/* AssumeRoleWithWebIdentity is not signed: the token is the proof. */
	r->post = pgr_buf_take(&b);
	if (r->post != NULL) {
		curl_easy_setopt(r->h, CURLOPT_POSTFIELDS, r->post);
		if (send_req(r) == 0)
			return 0;
	}
	req_free(r);
	return -1;
}

static int
read_token_file(struct pgr_aws *a, char *err, size_t errlen)
{
	struct pgr_buf b = { 0 };
	char buf[4096];
	size_t n;
	FILE *f = fopen(a->hint.token_file, "re");

	if (f == NULL) {
		snprintf(err, errlen, "AWS_WEB_IDENTITY_TOKEN_FILE %.200s: cannot be read",
		    a->hint.token_file);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && b.len < 65536)
		pgr_buf_add(&b, buf, n);
	fclose(f);
	explicit_bzero(buf, sizeof(buf));
	while (b.len > 0 && (b.p[b.len - 1] == '\n' || b.p[b.len - 1] == '\r'))
		b.p[--b.len] = '\0';
	if (b.oom || b.len == 0) {
		pgr_buf_wipe(&b);
		snprintf(err, errlen, "AWS_WEB_IDENTITY_TOKEN_FILE %.200s is empty",
		    a->hint.token_file);
		return -1;
	}
	a->web_token = pgr_buf_take(&b);
	return a->web_token != NULL ? 0 : -1;
}

/* ---- answers ---- */

static bool
retryable(long http, const char *code)
{
	return http == 429 || http == 500 || http == 502 || http == 503 || http == 504 ||
	    strcmp(code, "RequestLimitExceeded") == 0 || strcmp(code, "Throttling") == 0 ||
	    strcmp(code, "ThrottlingException") == 0;
}

/*
 * Exponential backoff with full jitter (the AWS SDKs' rule): up to
 * 100 ms * 2^tries, capped at 2 s; false if the next try would not be
 * answered before the deadline.
 */
static bool
schedule_retry(struct req *r)
{
	struct pgr_aws *a = r->a;
	int tries = call(r->rg, r->action)->tries;
	double cap = fmin(100.0 * pow(2, tries), 2000.0);
	double delay = cap * (0.5 + 0.5 * rand_r(&a->seed) / (double)RAND_MAX);
	double now = pgr_now_ms();

	if (now + delay + 50 >= a->deadline || tries >= 10)
		return false;
	r->retry_at = now + delay;
	return true;
}

static void
store_page(struct req *r)
{
	struct answer *an = &r->rg->ans[r->action];

	redact(r->a, r->body.p, r->body.len);
	if (an->raw.len > 0)
		pgr_buf_puts(&an->raw, "\n");
	pgr_buf_add(&an->raw, r->body.p, r->body.len);
}

/*
 * InvalidVpcEndpointId.NotFound fails the whole call; its message names
 * the ID ("The Vpc Endpoint Id 'vpce-...' does not exist").  With other
 * IDs in the batch, that one is marked and the rest asked again: true.
 */
static bool
drop_missing_id(struct region *rg, const char *msg)
{
	struct pgr_aws *a = rg->a;
	const char *p = strstr(msg, "vpce-");
	char id[64];
	size_t i, n, k;
	bool found = false;

	if (rg->listing || rg->nids < 2 || p == NULL)
		return false;
	n = strspn(p, "vpce-0123456789abcdefABCDEF");
	if (n >= sizeof(id))
		return false;
	memcpy(id, p, n);
	id[n] = '\0';
	for (i = 0; i < rg->nids; i++) {
		if (strcasecmp(rg->ids[i], id) != 0)
			continue;
		found = true;
		for (k = i + 1; k < rg->nids; k++)
			memcpy(rg->ids[k - 1], rg->ids[k], sizeof(rg->ids[k]));
		rg->nids--;
		break;
	}
	if (!found)
		return false;
	for (i = 0; i < a->nhosts; i++)
		if (a->hosts[i].rg == rg && a->hosts[i].st == H_WAIT &&
		    strcasecmp(a->hosts[i].id, id) == 0) {
			a->hosts[i].st = H_NONE;
			snprintf(a->hosts[i].why, sizeof(a->hosts[i].why),
			    "DescribeVpcEndpoints: InvalidVpcEndpointId.NotFound: %s is not in "
			    "this account's endpoints in %s", id, rg->name);
		}
	return true;
}

static void
ec2_done(struct req *r, CURLcode rc, long http)
{
	struct pgr_aws *a = r->a;
	struct region *rg = r->rg;
	enum pgr_aws_action act = r->action;
	struct pgr_aws_call *c = call(rg, act);
	struct answer *an = &rg->ans[act];
	char code[64], msg[200], rid[64], token[1024], err[160];

	c->http_status = (int)http;
	if (rc != CURLE_OK) {
		trace(r, rc, http, NULL);
		if (rc == CURLE_OPERATION_TIMEDOUT)
			set_call(rg, act, PGR_AWS_TIMEOUT, "no answer from %s before the deadline",
			    rg->ec2_url);
		else if (r->too_big)
			set_call(rg, act, PGR_AWS_BAD_ANSWER, "the answer is larger than %d bytes",
			    PGR_EVIDENCE_MAX_SIZE);
		else
			set_call(rg, act, PGR_AWS_ERROR, "%s: %s", rg->ec2_url,
			    r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc));
		goto out;
	}
	if (http < 200 || http > 299) {
		bool doc = pgr_ec2xml_error(r->body.p, r->body.len, code, sizeof(code),
		    msg, sizeof(msg), rid, sizeof(rid));

		if (!doc)
			code[0] = msg[0] = rid[0] = '\0';
		trace(r, rc, http, rid);
		snprintf(c->error_code, sizeof(c->error_code), "%s", code);
		snprintf(c->request_id, sizeof(c->request_id), "%s", rid);
		/* Only answers that were used go to the bundle; this one's ID is in the calls. */
		if (retryable(http, code) && schedule_retry(r))
			return;		/* stays linked, sent again at retry_at */
		if (act == PGR_AWS_DESCRIBE_VPC_ENDPOINTS && strstr(code, ".NotFound") != NULL &&
		    drop_missing_id(rg, msg)) {
			unlink_req(a, r);
			req_free(r);
			describe_endpoints(rg);
			return;
		}
		if (strcmp(code, "UnauthorizedOperation") == 0 ||
		    strcmp(code, "AccessDenied") == 0 || http == 403)
			set_call(rg, act, PGR_AWS_ACCESS_DENIED, "%s: %s (HTTP %ld): grant %s",
			    action_names[act], code[0] ? code : "denied", http,
			    pgr_aws_iam_action(act));
		else if (strstr(code, ".NotFound") != NULL)
			set_call(rg, act, PGR_AWS_NOT_FOUND, "%s: %s: %.160s", action_names[act],
			    code, msg);
		else if (retryable(http, code))
			set_call(rg, act, PGR_AWS_THROTTLED, "%s: %s (HTTP %ld) after %d tries, "
			    "no time left for another", action_names[act],
			    code[0] ? code : "throttled", http, c->tries);
		else if (!doc)
			set_call(rg, act, PGR_AWS_BAD_ANSWER, "%s: HTTP %ld without an EC2 error document",
			    action_names[act], http);
		else
			set_call(rg, act, PGR_AWS_ERROR, "%s: %s (HTTP %ld): %.160s",
			    action_names[act], code, http, msg);
		goto out;
	}
	an->started = true;
	if (pgr_ec2xml_parse(act, r->body.p, r->body.len, &an->item, token, sizeof(token),
	    rid, sizeof(rid), err, sizeof(err)) != 0) {
		trace(r, rc, http, NULL);
		set_call(rg, act, PGR_AWS_BAD_ANSWER, "%s: %s", action_names[act], err);
		goto out;
	}
	trace(r, rc, http, rid);
	snprintf(c->request_id, sizeof(c->request_id), "%s", rid);
	c->error_code[0] = '\0';	/* an earlier try's throttling is over */
	store_page(r);
	if (token[0] != '\0' && r->page < MAX_PAGES) {
		if (next_page(r, token) == 0)
			return;
		set_call(rg, act, PGR_AWS_ERROR, "out of memory");
		goto out;
	}
	rg->truncated |= token[0] != '\0';
	if (act == PGR_AWS_DESCRIBE_VPC_ENDPOINTS) {
		unlink_req(a, r);
		req_free(r);
		endpoints_done(rg);
		return;
	}
	set_call(rg, act, PGR_AWS_OK, "%s", "");
out:
	if (act == PGR_AWS_DESCRIBE_VPC_ENDPOINTS && c->status != PGR_AWS_OK)
		set_all(rg, PGR_AWS_NOT_ASKED, "DescribeVpcEndpoints did not answer");
	unlink_req(a, r);
	req_free(r);
	/* The interfaces asked for to match addresses: match now, then round 2. */
	if (act == PGR_AWS_DESCRIBE_NETWORK_INTERFACES && rg->eni_phase && !rg->eni_done) {
		rg->eni_done = true;
		advance(rg);
	}
}

static void
creds_done(struct req *r, CURLcode rc, long http)
{
	struct pgr_aws *a = r->a;
	char err[300], code[64], msg[160], rid[64];
	enum kind kind = r->kind;
	int ok = rc == CURLE_OK && http >= 200 && http <= 299 && !r->body.oom;

	trace(r, rc, http, NULL);

	if (!ok) {
		if (kind == REQ_STS) {
			if (rc == CURLE_OK && pgr_ec2xml_error(r->body.p, r->body.len, code,
			    sizeof(code), msg, sizeof(msg), rid, sizeof(rid)))
				snprintf(err, sizeof(err), "STS AssumeRoleWithWebIdentity for %.100s: %s: %.60s",
				    a->hint.role_arn, code, msg);
			else
				snprintf(err, sizeof(err), "STS AssumeRoleWithWebIdentity: %s",
				    rc != CURLE_OK ? curl_easy_strerror(rc) : "HTTP error");
		} else
			snprintf(err, sizeof(err), "none in the environment or the shared files, "
			    "and the instance metadata service (%.40s) did not answer%s%.60s",
			    a->imds_base, rc != CURLE_OK ? ": " : "",
			    rc != CURLE_OK ? curl_easy_strerror(rc) : "");
		creds_failed(a, err);
		goto out;
	}
	switch (kind) {
	case REQ_STS:
		snprintf(a->creds.source, sizeof(a->creds.source), "web identity");
		if (pgr_ec2xml_sts_creds(r->body.p, r->body.len, &a->creds, err,
		    sizeof(err)) != 0) {
			creds_failed(a, err);
			goto out;
		}
		start_describe(a);
		break;
	case REQ_IMDS_TOKEN:
		if (r->body.len == 0 || r->body.len >= sizeof(a->imds_token)) {
			creds_failed(a, "the instance metadata service gave no usable token");
			goto out;
		}
		memcpy(a->imds_token, r->body.p, r->body.len);
		a->imds_token[r->body.len] = '\0';
		if (imds_request(a, REQ_IMDS_ROLE, "/latest/meta-data/iam/security-credentials/") != 0)
			creds_failed(a, "out of memory");
		break;
	case REQ_IMDS_ROLE: {
		char path[256];
		size_t n = strcspn(r->body.p, "\r\n");

		if (n == 0 || n > 128 || strchr(r->body.p, '/') != NULL ||
		    strcspn(r->body.p, " ?#%") < n) {
			creds_failed(a, "the instance has no IAM role");
			goto out;
		}
		snprintf(path, sizeof(path), "/latest/meta-data/iam/security-credentials/%.*s",
		    (int)n, r->body.p);
		if (imds_request(a, REQ_IMDS_CREDS, path) != 0)
			creds_failed(a, "out of memory");
		break;
	}
	case REQ_IMDS_CREDS:
		snprintf(a->creds.source, sizeof(a->creds.source), "instance role (IMDSv2)");
		if (pgr_aws_creds_from_json(&a->creds, r->body.p, r->body.len, err,
		    sizeof(err)) != 0) {
			creds_failed(a, err);
			goto out;
		}
		start_describe(a);
		break;
	default:
		break;
	}
out:
	unlink_req(a, r);
	req_free(r);
}

static void
drain(struct pgr_aws *a)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(a->multi, &left)) != NULL) {
		struct req *r = NULL;
		long http = 0;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &http);
		curl_multi_remove_handle(a->multi, r->h);
		r->in_multi = false;
		if (r->kind == REQ_EC2)
			ec2_done(r, m->data.result, http);
		else
			creds_done(r, m->data.result, http);
	}
}

/* ---- the loop's hooks ---- */

static void
url_from_env(char *buf, size_t len, const char *svc_var, const char *dflt)
{
	const char *v = getenv(svc_var);

	if (v == NULL || v[0] == '\0')
		v = getenv("AWS_ENDPOINT_URL");
	if (v == NULL || v[0] == '\0')
		v = dflt;
	snprintf(buf, len, "%s%s", v, v[strlen(v) - 1] == '/' ? "" : "/");
}

/* The region rg of name, added if new; NULL past MAX_REGIONS. */
static struct region *
region_of(struct pgr_aws *a, const char *name)
{
	struct region *rg;
	char dflt[128];
	size_t k;
	int i;

	for (k = 0; k < a->nregions; k++)
		if (strcmp(a->regions[k].name, name) == 0)
			return &a->regions[k];
	if (a->nregions == MAX_REGIONS)
		return NULL;
	rg = &a->regions[a->nregions++];
	rg->a = a;
	snprintf(rg->name, sizeof(rg->name), "%s", name);
	snprintf(rg->calls.region, sizeof(rg->calls.region), "%s", name);
	for (i = 0; i < PGR_AWS__NACTIONS; i++)
		rg->calls.calls[i].status = PGR_AWS_NOT_ASKED;
	snprintf(dflt, sizeof(dflt), "https://ec2.%s.amazonaws.com", name);
	url_from_env(rg->ec2_url, sizeof(rg->ec2_url), "AWS_ENDPOINT_URL_EC2", dflt);
	return rg;
}

/*
 * Every target host once (a 5432 target and its 5433 sibling are one
 * host), each in its region: the one in its name, else --region or
 * AWS_REGION, else the profile's.  A region lists the account's endpoints
 * if one of its hosts carries no vpce- ID, else asks for the IDs.
 */
static void
pick_hosts(struct pgr_aws *a)
{
	const struct pgr_report *rep = a->o.rep;
	size_t i, k;

	for (i = 0; rep != NULL && i < rep->ntargets; i++) {
		const struct pgr_target *t = &rep->targets[i];
		const struct pgr_endpoint_name *ep = &t->endpoint;
		const char *region = ep->is_endpoint && ep->region[0] ? ep->region :
		    a->o.region != NULL ? a->o.region : a->hint.region;
		struct host *h;

		if (t->host == NULL)
			continue;
		for (k = 0; k < a->nhosts; k++)
			if (pgr_evidence_same_host(a->hosts[k].name, t->host))
				break;
		if (k < a->nhosts)
			continue;
		if (a->nhosts == PGR_AWS_MAX_HOSTS) {
			a->hosts_left_out++;
			continue;
		}
		h = &a->hosts[a->nhosts++];
		snprintf(h->name, sizeof(h->name), "%s", t->host);
		h->by_name = !ep->is_endpoint;
		snprintf(h->id, sizeof(h->id), "%s", ep->is_endpoint ? ep->id : "");
		h->st = H_WAIT;
		if ((h->rg = region_of(a, region)) == NULL) {
			h->st = H_NONE;
			snprintf(h->why, sizeof(h->why), "not looked up: --aws asks in at most "
			    "%d regions in one run", MAX_REGIONS);
			continue;
		}
		if (h->by_name)
			h->rg->listing = true;
		else if (h->rg->nids < PGR_AWS_MAX_HOSTS) {
			for (k = 0; k < h->rg->nids; k++)
				if (strcasecmp(h->rg->ids[k], h->id) == 0)
					break;
			if (k == h->rg->nids)
				snprintf(h->rg->ids[h->rg->nids++], sizeof(h->rg->ids[0]), "%s", h->id);
		}
	}
}

static void
hook_start(void *arg, double t0, double deadline)
{
	struct pgr_aws *a = arg;
	enum pgr_aws_creds_next next;
	char err[256], dflt[128];
	double left = deadline - t0;

	a->t0 = t0;
	a->deadline = deadline;
	a->started = true;
	a->seed = (unsigned int)t0 ^ (unsigned int)getpid();
	next = pgr_aws_creds_find(&a->creds, &a->hint, (int)fmin(left, 5000), err,
	    sizeof(err));
	pick_hosts(a);
	if (a->nregions == 0)
		return;
	snprintf(dflt, sizeof(dflt), "https://sts.%s.amazonaws.com", a->regions[0].name);
	url_from_env(a->sts_url, sizeof(a->sts_url), "AWS_ENDPOINT_URL_STS", dflt);
	snprintf(a->imds_base, sizeof(a->imds_base), "%s",
	    getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT") ?
	    getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT") : "http://169.254.169.254");
	if (a->imds_base[0] && a->imds_base[strlen(a->imds_base) - 1] == '/')
		a->imds_base[strlen(a->imds_base) - 1] = '\0';
	switch (next) {
	case PGR_CREDS_READY:
		start_describe(a);
		break;
	case PGR_CREDS_WEB_IDENTITY:
		if (read_token_file(a, err, sizeof(err)) != 0)
			creds_failed(a, err);
		else if (sts_request(a) != 0)
			creds_failed(a, "out of memory");
		break;
	case PGR_CREDS_IMDS:
		if (imds_request(a, REQ_IMDS_TOKEN, "/latest/api/token") != 0)
			creds_failed(a, "out of memory");
		break;
	case PGR_CREDS_FAILED:
		creds_failed(a, err[0] ? err : "unknown");
		break;
	}
	snprintf(a->cred_source, sizeof(a->cred_source), "%s",
	    next == PGR_CREDS_READY ? a->creds.source : next == PGR_CREDS_WEB_IDENTITY ?
	    "web identity" : next == PGR_CREDS_IMDS ? "instance role (IMDSv2)" : "none");
	if (a->o.trace != NULL)
		fprintf(a->o.trace, "pgreach: aws: credentials: %s; %zu host%s in %zu region%s\n",
		    a->cred_source, a->nhosts, a->nhosts == 1 ? "" : "s", a->nregions,
		    a->nregions == 1 ? "" : "s");
}

/* The run resolved a target: a host waiting for its addresses may match now. */
static void
hook_resolved(void *arg, size_t target, const struct pgr_dns_result *d)
{
	struct pgr_aws *a = arg;
	const struct pgr_report *rep = a->o.rep;
	size_t i;

	if (rep == NULL || target >= rep->ntargets || rep->targets[target].host == NULL)
		return;
	for (i = 0; i < a->nhosts; i++) {
		struct host *h = &a->hosts[i];

		if (h->dns != NULL || !pgr_evidence_same_host(h->name, rep->targets[target].host))
			continue;
		h->dns = d;
		if (h->rg != NULL && h->st == H_WAIT && h->by_name)
			advance(h->rg);
	}
}

static size_t
hook_pollfds(void *arg, struct pollfd *pfd, size_t max)
{
	struct pgr_aws *a = arg;
	size_t i;

	for (i = 0; i < a->nsocks && i < max; i++) {
		pfd[i].fd = a->socks[i].fd;
		pfd[i].events = a->socks[i].events;
		pfd[i].revents = 0;
	}
	return i;
}

static int
hook_wait_ms(void *arg, int max)
{
	struct pgr_aws *a = arg;
	double now = pgr_now_ms(), at = a->timer_at;
	struct req *r;

	for (r = a->reqs; r != NULL; r = r->next)
		if (r->retry_at > 0 && (at < 0 || r->retry_at < at))
			at = r->retry_at;
	if (at < 0)
		return max;
	if (at <= now)
		return 0;
	return (int)fmin(max, ceil(at - now));
}

static void
hook_process(void *arg, const struct pollfd *pfd, size_t n)
{
	struct pgr_aws *a = arg;
	double now = pgr_now_ms();
	struct req *r, *next;
	int running;
	size_t i;

	for (i = 0; i < n; i++) {
		int mask = 0;

		if (pfd[i].revents == 0)
			continue;
		if (pfd[i].revents & POLLIN)
			mask |= CURL_CSELECT_IN;
		if (pfd[i].revents & POLLOUT)
			mask |= CURL_CSELECT_OUT;
		if (pfd[i].revents & (POLLERR | POLLHUP | POLLNVAL))
			mask |= CURL_CSELECT_ERR;
		curl_multi_socket_action(a->multi, pfd[i].fd, mask, &running);
	}
	if (a->timer_at >= 0 && a->timer_at <= now) {
		a->timer_at = -1;
		curl_multi_socket_action(a->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	}
	drain(a);
	for (r = a->reqs; r != NULL; r = next) {
		next = r->next;
		if (r->retry_at > 0 && r->retry_at <= now && send_req(r) != 0) {
			set_call(r->rg, r->action, PGR_AWS_ERROR, "cannot send again");
			unlink_req(a, r);
			req_free(r);
		}
	}
	/* A handle just added needs its first kick before the next poll. */
	if (a->timer_at >= 0 && a->timer_at <= pgr_now_ms()) {
		a->timer_at = -1;
		curl_multi_socket_action(a->multi, CURL_SOCKET_TIMEOUT, 0, &running);
		drain(a);
	}
}

static bool
hook_pending(void *arg)
{
	return ((struct pgr_aws *)arg)->reqs != NULL;
}

static void
hook_expire(void *arg)
{
	struct pgr_aws *a = arg;
	struct req *r;
	size_t i;

	while ((r = a->reqs) != NULL) {
		a->reqs = r->next;
		if (r->kind == REQ_EC2) {
			set_call(r->rg, r->action, r->retry_at > 0 ? PGR_AWS_THROTTLED : PGR_AWS_TIMEOUT,
			    r->retry_at > 0 ? "%s: still throttled at the run's deadline (raise --timeout)" :
			    "%s: no answer before the run's deadline (raise --timeout)",
			    action_names[r->action]);
		} else
			creds_failed(a, "the credential source did not answer before the run's deadline");
		req_free(r);
	}
	set_all_regions(a, PGR_AWS_TIMEOUT, "not asked before the run's deadline");
	for (i = 0; i < a->nhosts; i++)
		if (a->hosts[i].st == H_WAIT && a->hosts[i].rg != NULL && a->hosts[i].rg->listed) {
			a->hosts[i].st = H_NONE;
			snprintf(a->hosts[i].why, sizeof(a->hosts[i].why), "%s: not matched "
			    "before the run's deadline (raise --timeout)", a->hosts[i].name);
		}
}

void
pgr_aws_source(struct pgr_aws *a, struct pgr_run_source *s)
{
	*s = (struct pgr_run_source){ a, hook_start, hook_pollfds, hook_wait_ms,
	    hook_process, hook_pending, hook_expire, hook_resolved };
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_start_rc = CURLE_FAILED_INIT;
static char curl_start_err[256] = "libcurl cannot start";

/* OpenSSL and c-ares are already initialised by then. */
static void
curl_start(void)
{
	/* libcurl and libxml2 are opened here, for --aws only (awslibs.c). */
	if (pgr_aws_libs_load(curl_start_err, sizeof(curl_start_err)) == 0)
		curl_start_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int
pgr_aws_new(struct pgr_aws **out, const struct pgr_aws_opts *o, char *err,
    size_t errlen)
{
	struct pgr_aws *a;

	*out = NULL;
	/* Once per process, whichever thread comes first (pgreach serve). */
	pthread_once(&curl_once, curl_start);
	if (curl_start_rc != CURLE_OK) {
		snprintf(err, errlen, "%s", curl_start_err);
		return -1;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL || (a->multi = curl_multi_init()) == NULL) {
		free(a);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	a->o = *o;
	a->timer_at = -1;
	curl_multi_setopt(a->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(a->multi, CURLMOPT_SOCKETDATA, a);
	curl_multi_setopt(a->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(a->multi, CURLMOPT_TIMERDATA, a);
	*out = a;
	return 0;
}

static int
add_item(struct pgr_evidence *ev, struct pgr_evidence_item *it, const char *path,
    char *content, size_t len)
{
	struct pgr_evidence_item *v = reallocarray(ev->items, ev->n + 1, sizeof(*v));

	if (v == NULL)
		return -1;
	ev->items = v;
	it->path = strdup(path);
	it->content = content;
	it->content_len = len;
	if (it->path == NULL || !pgr_sha256_hex(content, len, it->sha256))
		return -1;
	ev->items[ev->n++] = *it;
	memset(it, 0, sizeof(*it));
	return 0;
}

/* Region rg's part of the bundle's aws-calls text, and its hosts into its calls. */
static void
region_text(struct pgr_aws *a, struct region *rg, struct pgr_buf *b)
{
	struct pgr_ev_aws_calls *ac = &rg->calls;
	size_t i;
	int k;

	snprintf(ac->cred_source, sizeof(ac->cred_source), "%s", a->cred_source);
	pgr_buf_printf(b, "pgreach --aws: region %s, EC2 at %s, credentials: %s\n",
	    rg->name[0] ? rg->name : "?", rg->ec2_url, a->cred_source);
	for (i = 0; i < a->nhosts; i++) {
		struct host *h = &a->hosts[i];
		struct pgr_aws_host *o;

		if (h->rg != rg || ac->nhosts == PGR_AWS_MAX_HOSTS)
			continue;
		o = &ac->hosts[ac->nhosts++];
		snprintf(o->host, sizeof(o->host), "%s", h->name);
		if (h->st == H_MATCHED) {
			snprintf(o->endpoint_id, sizeof(o->endpoint_id), "%s", h->id);
			snprintf(o->how, sizeof(o->how), "%s", h->how);
		}
		snprintf(o->why, sizeof(o->why), "%s", h->why);
		if (ac->endpoint_id[0] == '\0')
			snprintf(ac->endpoint_id, sizeof(ac->endpoint_id), "%s", h->id);
		if (h->st == H_MATCHED)
			pgr_buf_printf(b, "host %s: endpoint %s (by %s)\n", h->name, h->id, h->how);
		else
			pgr_buf_printf(b, "host %s: no endpoint%s%s\n", h->name,
			    h->why[0] ? ": " : "", h->why);
	}
	if (rg->eni_phase)
		pgr_buf_printf(b, "DescribeNetworkInterfaces asked for %zu of the %zu interfaces "
		    "of the listed endpoints, to match addresses\n", rg->neni_asked, rg->neni_all);
	for (k = 0; k < PGR_AWS__NACTIONS; k++) {
		const struct pgr_aws_call *c = &ac->calls[k];

		pgr_buf_printf(b, "%s: %s, HTTP %d, %d tr%s, %.1f ms, request ID %s%s%s\n",
		    action_names[k], pgr_aws_status_name(c->status), c->http_status,
		    c->tries, c->tries == 1 ? "y" : "ies", c->ms,
		    c->request_id[0] ? c->request_id : "-", c->error_code[0] ? ", " : "",
		    c->error_code);
		if (c->detail[0])
			pgr_buf_printf(b, "  %s\n", c->detail);
	}
}

int
pgr_aws_finish(struct pgr_aws *a, struct pgr_evidence *ev)
{
	char path[96];
	size_t r;
	int i, rc = 0;

	if (a == NULL || !a->started)
		return 0;
	/* The first region's files keep their plain names; the others carry theirs. */
	for (r = 0; r < a->nregions; r++) {
		struct region *rg = &a->regions[r];
		struct pgr_evidence_item calls;
		struct pgr_buf b = { 0 };
		size_t len;
		char *text;

		region_text(a, rg, &b);
		if (r == 0 && a->hosts_left_out > 0)
			pgr_buf_printf(&b, "%zu more hosts were not looked up (at most %d)\n",
			    a->hosts_left_out, PGR_AWS_MAX_HOSTS);
		for (i = 0; i < PGR_AWS__NACTIONS; i++) {
			struct answer *an = &rg->ans[i];
			char *raw;

			if (!an->started || rg->calls.calls[i].status != PGR_AWS_OK)
				continue;
			len = an->raw.len;
			raw = pgr_buf_take(&an->raw);
			if (r == 0)
				snprintf(path, sizeof(path), "aws-%s.xml", action_names[i]);
			else
				snprintf(path, sizeof(path), "aws-%s-%s.xml", rg->name, action_names[i]);
			if (raw == NULL || add_item(ev, &an->item, path, raw, len) != 0) {
				free(raw);
				rc = -1;
			}
		}
		memset(&calls, 0, sizeof(calls));
		calls.type = PGR_EV_AWS_CALLS;
		calls.u.aws = rg->calls;
		len = b.len;
		text = pgr_buf_take(&b);
		if (r == 0)
			snprintf(path, sizeof(path), "aws-calls.txt");
		else
			snprintf(path, sizeof(path), "aws-calls-%s.txt", rg->name);
		if (text == NULL || add_item(ev, &calls, path, text, len) != 0) {
			free(text);
			rc = -1;
		}
	}
	return rc;
}

void
pgr_aws_free(struct pgr_aws *a)
{
	struct req *r;
	size_t k;
	int i;

	if (a == NULL)
		return;
	while ((r = a->reqs) != NULL) {
		a->reqs = r->next;
		req_free(r);
	}
	for (k = 0; k < a->nregions; k++)
		for (i = 0; i < PGR_AWS__NACTIONS; i++) {
			struct pgr_evidence one = { 1, &a->regions[k].ans[i].item };

			/* What was parsed and not handed over (a call that failed late). */
			pgr_evidence_truncate(&one, 0);
			pgr_buf_wipe(&a->regions[k].ans[i].raw);
		}
	curl_multi_cleanup(a->multi);
	pgr_aws_creds_clear(&a->creds);
	explicit_bzero(a->imds_token, sizeof(a->imds_token));
	if (a->web_token != NULL) {
		explicit_bzero(a->web_token, strlen(a->web_token));
		free(a->web_token);
	}
	free(a);
}
