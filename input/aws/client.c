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
 *	round 1:     DescribeVpcEndpoints (VpcEndpointId from the name)
 *	round 2:     DescribeSecurityGroups, DescribeSubnets,
 *	             DescribeNetworkAcls, DescribeNetworkInterfaces at once
 *
 * EC2 facts relied on: the Query API answers XML; a denied call is HTTP
 * 403 UnauthorizedOperation; throttling is HTTP 503 RequestLimitExceeded,
 * to be retried with exponential backoff; an endpoint that is not in this
 * account or region is InvalidVpcEndpointId.NotFound.
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
#define MAX_PAGES	20
#define IMDS_MS		1000	/* IMDSv2 answers in microseconds on EC2: off EC2, give up soon */

enum kind {
	REQ_EC2,
	REQ_STS,
	REQ_IMDS_TOKEN,
	REQ_IMDS_ROLE,
	REQ_IMDS_CREDS
};

struct req {
	struct pgr_aws	*a;
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
	char		 ec2_url[256];
	char		 sts_url[256];
	struct pgr_ev_aws_calls calls;
	struct answer	 ans[PGR_AWS__NACTIONS];
	bool		 decided[PGR_AWS__NACTIONS];	/* the call's outcome is set */
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
call(struct pgr_aws *a, enum pgr_aws_action act)
{
	return &a->calls.calls[act];
}

static void set_call(struct pgr_aws *, enum pgr_aws_action, enum pgr_aws_status,
    const char *, ...) __attribute__((format(printf, 4, 5)));

/* The outcome of one call, once: a later outcome does not overwrite it. */
static void
set_call(struct pgr_aws *a, enum pgr_aws_action act, enum pgr_aws_status st,
    const char *fmt, ...)
{
	struct pgr_aws_call *c = call(a, act);
	va_list ap;

	if (a->decided[act])
		return;
	a->decided[act] = true;
	c->status = st;
	c->ms = pgr_now_ms() - a->t0;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
	redact(a, c->detail, strlen(c->detail));
}

/* Every call not yet answered ends with st (no credentials, deadline). */
static void
set_all(struct pgr_aws *a, enum pgr_aws_status st, const char *detail)
{
	int i;

	for (i = 0; i < PGR_AWS__NACTIONS; i++)
		set_call(a, (enum pgr_aws_action)i, st, "%s", detail);
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
	if (r->kind == REQ_EC2)
		call(a, r->action)->tries++;
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

/* The EC2 request for action act, its parameters from what round 1 found. */
static int
ec2_request(struct pgr_aws *a, enum pgr_aws_action act, const struct pgr_vpce *v)
{
	struct pgr_buf b = { 0 };
	char sigv4[96];
	struct req *r;

	param(&b, "Action", action_names[act]);
	param(&b, "Version", EC2_VERSION);
	switch (act) {
	case PGR_AWS_DESCRIBE_VPC_ENDPOINTS:
		param(&b, "VpcEndpointId.1", a->calls.endpoint_id);
		break;
	case PGR_AWS_DESCRIBE_SECURITY_GROUPS:
		for (size_t i = 0; i < v->ngroups; i++) {
			char k[32];

			snprintf(k, sizeof(k), "GroupId.%zu", i + 1);
			param(&b, k, v->groups[i].id ? v->groups[i].id : "");
		}
		break;
	case PGR_AWS_DESCRIBE_SUBNETS:
		params(&b, "SubnetId", v->subnets, v->nsubnets);
		break;
	case PGR_AWS_DESCRIBE_NETWORK_ACLS:
		/* The ACLs that govern the endpoint's subnets. */
		param(&b, "Filter.1.Name", "association.subnet-id");
		params(&b, "Filter.1.Value", v->subnets, v->nsubnets);
		break;
	case PGR_AWS_DESCRIBE_NETWORK_INTERFACES:
		params(&b, "NetworkInterfaceId", v->enis, v->nenis);
		break;
	default:
		break;
	}
	if (b.oom || (r = new_req(a, REQ_EC2, a->ec2_url)) == NULL) {
		pgr_buf_wipe(&b);
		return -1;
	}
	r->action = act;
	r->form = pgr_buf_take(&b);
	if (r->form == NULL || (r->post = strdup(r->form)) == NULL)
		goto fail;
	/* libcurl signs: provider aws, amz, the region, service ec2. */
	snprintf(sigv4, sizeof(sigv4), "aws:amz:%s:ec2", a->calls.region);
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
	return send_req(r);
}

static void
round2(struct pgr_aws *a, const struct pgr_vpce *v)
{
	static const struct { enum pgr_aws_action act; const char *what; } r2[] = {
		{ PGR_AWS_DESCRIBE_SECURITY_GROUPS, "security groups" },
		{ PGR_AWS_DESCRIBE_SUBNETS, "subnets" },
		{ PGR_AWS_DESCRIBE_NETWORK_ACLS, "subnets" },
		{ PGR_AWS_DESCRIBE_NETWORK_INTERFACES, "network interfaces" },
	};
	size_t i, n[] = { v->ngroups, v->nsubnets, v->nsubnets, v->nenis };

	for (i = 0; i < sizeof(r2) / sizeof(r2[0]); i++) {
		if (n[i] == 0) {
			set_call(a, r2[i].act, PGR_AWS_NOT_ASKED, "the endpoint has no %s",
			    r2[i].what);
			continue;
		}
		if (ec2_request(a, r2[i].act, v) != 0)
			set_call(a, r2[i].act, PGR_AWS_ERROR, "out of memory");
	}
}

static void
start_describe(struct pgr_aws *a)
{
	if (ec2_request(a, PGR_AWS_DESCRIBE_VPC_ENDPOINTS, NULL) != 0)
		set_all(a, PGR_AWS_ERROR, "out of memory");
}

/* ---- credentials over the network ---- */

static void
creds_failed(struct pgr_aws *a, const char *why)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "no AWS credentials: %.230s", why);
	set_all(a, PGR_AWS_NO_CREDENTIALS, buf);
}

static int
imds_request(struct pgr_aws *a, enum kind kind, const char *path)
{
	char url[512], hdr[192];
	struct req *r;

	snprintf(url, sizeof(url), "%.127s%.300s", a->imds_base, path);
	if ((r = new_req(a, kind, url)) == NULL)
		return -1;
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
	int tries = call(a, r->action)->tries;
	double cap = fmin(100.0 * pow(2, tries), 2000.0);
	double delay = cap * (0.5 + 0.5 * rand_r(&a->seed) / (double)RAND_MAX);
	double now = pgr_now_ms();

	if (now + delay + 50 >= a->deadline || tries >= 10)
		return false;
	r->retry_at = now + delay;
	return true;
}

static void
store_page(struct pgr_aws *a, enum pgr_aws_action act, struct req *r)
{
	struct answer *an = &a->ans[act];

	redact(a, r->body.p, r->body.len);
	if (an->raw.len > 0)
		pgr_buf_puts(&an->raw, "\n");
	pgr_buf_add(&an->raw, r->body.p, r->body.len);
}

static void
ec2_done(struct req *r, CURLcode rc, long http)
{
	struct pgr_aws *a = r->a;
	enum pgr_aws_action act = r->action;
	struct pgr_aws_call *c = call(a, act);
	struct answer *an = &a->ans[act];
	char code[64], msg[200], rid[64], token[1024], err[160];

	c->http_status = (int)http;
	if (rc != CURLE_OK) {
		if (rc == CURLE_OPERATION_TIMEDOUT)
			set_call(a, act, PGR_AWS_TIMEOUT, "no answer from %s before the deadline",
			    a->ec2_url);
		else if (r->too_big)
			set_call(a, act, PGR_AWS_BAD_ANSWER, "the answer is larger than %d bytes",
			    PGR_EVIDENCE_MAX_SIZE);
		else
			set_call(a, act, PGR_AWS_ERROR, "%s: %s", a->ec2_url,
			    r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc));
		goto out;
	}
	if (http < 200 || http > 299) {
		bool doc = pgr_ec2xml_error(r->body.p, r->body.len, code, sizeof(code),
		    msg, sizeof(msg), rid, sizeof(rid));

		if (!doc)
			code[0] = msg[0] = rid[0] = '\0';
		snprintf(c->error_code, sizeof(c->error_code), "%s", code);
		snprintf(c->request_id, sizeof(c->request_id), "%s", rid);
		/* Only answers that were used go to the bundle; this one's ID is in the calls. */
		if (retryable(http, code) && schedule_retry(r))
			return;		/* stays linked, sent again at retry_at */
		if (strcmp(code, "UnauthorizedOperation") == 0 ||
		    strcmp(code, "AccessDenied") == 0 || http == 403)
			set_call(a, act, PGR_AWS_ACCESS_DENIED, "%s: %s (HTTP %ld): grant %s",
			    action_names[act], code[0] ? code : "denied", http,
			    pgr_aws_iam_action(act));
		else if (strstr(code, ".NotFound") != NULL)
			set_call(a, act, PGR_AWS_NOT_FOUND, "%s: %s: %.160s", action_names[act],
			    code, msg);
		else if (retryable(http, code))
			set_call(a, act, PGR_AWS_THROTTLED, "%s: %s (HTTP %ld) after %d tries, "
			    "no time left for another", action_names[act],
			    code[0] ? code : "throttled", http, c->tries);
		else if (!doc)
			set_call(a, act, PGR_AWS_BAD_ANSWER, "%s: HTTP %ld without an EC2 error document",
			    action_names[act], http);
		else
			set_call(a, act, PGR_AWS_ERROR, "%s: %s (HTTP %ld): %.160s",
			    action_names[act], code, http, msg);
		goto out;
	}
	an->started = true;
	if (pgr_ec2xml_parse(act, r->body.p, r->body.len, &an->item, token, sizeof(token),
	    rid, sizeof(rid), err, sizeof(err)) != 0) {
		set_call(a, act, PGR_AWS_BAD_ANSWER, "%s: %s", action_names[act], err);
		goto out;
	}
	snprintf(c->request_id, sizeof(c->request_id), "%s", rid);
	c->error_code[0] = '\0';	/* an earlier try's throttling is over */
	store_page(a, act, r);
	if (token[0] != '\0' && c->tries < MAX_PAGES) {
		if (next_page(r, token) == 0)
			return;
		set_call(a, act, PGR_AWS_ERROR, "out of memory");
		goto out;
	}
	if (act == PGR_AWS_DESCRIBE_VPC_ENDPOINTS) {
		const struct pgr_vpce *v = NULL;

		for (size_t i = 0; i < an->item.u.endpoints.n; i++)
			if (an->item.u.endpoints.v[i].id != NULL && strcasecmp(
			    an->item.u.endpoints.v[i].id, a->calls.endpoint_id) == 0)
				v = &an->item.u.endpoints.v[i];
		if (v == NULL) {
			set_call(a, act, PGR_AWS_NOT_FOUND,
			    "%s: %s is not in this account's endpoints in %s",
			    action_names[act], a->calls.endpoint_id, a->calls.region);
			set_all(a, PGR_AWS_NOT_ASKED, "the endpoint was not found");
			goto out;
		}
		set_call(a, act, PGR_AWS_OK, "%s", "");
		round2(a, v);
		goto out;
	}
	set_call(a, act, PGR_AWS_OK, "%s", "");
out:
	if (act == PGR_AWS_DESCRIBE_VPC_ENDPOINTS && c->status != PGR_AWS_OK)
		set_all(a, PGR_AWS_NOT_ASKED, "DescribeVpcEndpoints did not answer");
	unlink_req(a, r);
	req_free(r);
}

static void
creds_done(struct req *r, CURLcode rc, long http)
{
	struct pgr_aws *a = r->a;
	char err[300], code[64], msg[160], rid[64];
	enum kind kind = r->kind;
	int ok = rc == CURLE_OK && http >= 200 && http <= 299 && !r->body.oom;

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

static void
hook_start(void *arg, double t0, double deadline)
{
	struct pgr_aws *a = arg;
	const struct pgr_endpoint_name *ep = &a->o.target->endpoint;
	enum pgr_aws_creds_next next;
	char err[256], dflt[128];
	double left = deadline - t0;

	a->t0 = t0;
	a->deadline = deadline;
	a->started = true;
	a->seed = (unsigned int)t0 ^ (unsigned int)getpid();
	for (int i = 0; i < PGR_AWS__NACTIONS; i++)
		a->calls.calls[i].status = PGR_AWS_NOT_ASKED;
	if (!ep->is_endpoint) {
		set_all(a, PGR_AWS_NOT_ASKED, "--aws needs a VPC endpoint name "
		    "(vpce-...vpce.amazonaws.com) to know which endpoint to describe");
		return;
	}
	snprintf(a->calls.endpoint_id, sizeof(a->calls.endpoint_id), "%s", ep->id);
	/* The endpoint's region is in its name; --region only without one. */
	snprintf(a->calls.region, sizeof(a->calls.region), "%s",
	    ep->region[0] ? ep->region : a->o.region ? a->o.region : "");
	next = pgr_aws_creds_find(&a->creds, &a->hint, (int)fmin(left, 5000), err,
	    sizeof(err));
	if (a->calls.region[0] == '\0')
		snprintf(a->calls.region, sizeof(a->calls.region), "%s", a->hint.region);
	snprintf(dflt, sizeof(dflt), "https://ec2.%s.amazonaws.com", a->calls.region);
	url_from_env(a->ec2_url, sizeof(a->ec2_url), "AWS_ENDPOINT_URL_EC2", dflt);
	snprintf(dflt, sizeof(dflt), "https://sts.%s.amazonaws.com", a->calls.region);
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
	snprintf(a->calls.cred_source, sizeof(a->calls.cred_source), "%s",
	    next == PGR_CREDS_READY ? a->creds.source : next == PGR_CREDS_WEB_IDENTITY ?
	    "web identity" : next == PGR_CREDS_IMDS ? "instance role (IMDSv2)" : "none");
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
			set_call(a, r->action, PGR_AWS_ERROR, "cannot send again");
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

	while ((r = a->reqs) != NULL) {
		a->reqs = r->next;
		if (r->kind == REQ_EC2) {
			set_call(a, r->action, r->retry_at > 0 ? PGR_AWS_THROTTLED : PGR_AWS_TIMEOUT,
			    r->retry_at > 0 ? "%s: still throttled at the run's deadline (raise --timeout)" :
			    "%s: no answer before the run's deadline (raise --timeout)",
			    action_names[r->action]);
		} else
			creds_failed(a, "the credential source did not answer before the run's deadline");
		req_free(r);
	}
	set_all(a, PGR_AWS_TIMEOUT, "not asked before the run's deadline");
}

void
pgr_aws_source(struct pgr_aws *a, struct pgr_run_source *s)
{
	*s = (struct pgr_run_source){ a, hook_start, hook_pollfds, hook_wait_ms,
	    hook_process, hook_pending, hook_expire };
}

const struct pgr_target *
pgr_aws_target(const struct pgr_report *rep)
{
	size_t i;

	for (i = 0; i < rep->ntargets; i++)
		if (rep->targets[i].endpoint.is_endpoint)
			return &rep->targets[i];
	return &rep->targets[0];
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

int
pgr_aws_finish(struct pgr_aws *a, struct pgr_evidence *ev)
{
	struct pgr_evidence_item calls;
	struct pgr_buf b = { 0 };
	char path[96];
	int i, rc = 0;

	if (a == NULL || !a->started)
		return 0;
	pgr_buf_printf(&b, "pgreach --aws: region %s, EC2 at %s, credentials: %s\n",
	    a->calls.region[0] ? a->calls.region : "?", a->ec2_url, a->calls.cred_source);
	for (i = 0; i < PGR_AWS__NACTIONS; i++) {
		const struct pgr_aws_call *c = &a->calls.calls[i];

		pgr_buf_printf(&b, "%s: %s, HTTP %d, %d tr%s, %.1f ms, request ID %s%s%s\n",
		    action_names[i], pgr_aws_status_name(c->status), c->http_status,
		    c->tries, c->tries == 1 ? "y" : "ies", c->ms,
		    c->request_id[0] ? c->request_id : "-", c->error_code[0] ? ", " : "",
		    c->error_code);
		if (c->detail[0])
			pgr_buf_printf(&b, "  %s\n", c->detail);
	}
	for (i = 0; i < PGR_AWS__NACTIONS; i++) {
		struct answer *an = &a->ans[i];
		char *raw;
		size_t len;

		if (!an->started || a->calls.calls[i].status != PGR_AWS_OK)
			continue;
		len = an->raw.len;
		raw = pgr_buf_take(&an->raw);
		snprintf(path, sizeof(path), "aws-%s.xml", action_names[i]);
		if (raw == NULL || add_item(ev, &an->item, path, raw, len) != 0) {
			free(raw);
			rc = -1;
		}
	}
	memset(&calls, 0, sizeof(calls));
	calls.type = PGR_EV_AWS_CALLS;
	calls.u.aws = a->calls;
	{
		size_t len = b.len;
		char *text = pgr_buf_take(&b);

		if (text == NULL || add_item(ev, &calls, "aws-calls.txt", text, len) != 0) {
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
	int i;

	if (a == NULL)
		return;
	while ((r = a->reqs) != NULL) {
		a->reqs = r->next;
		req_free(r);
	}
	for (i = 0; i < PGR_AWS__NACTIONS; i++) {
		struct pgr_evidence one = { 1, &a->ans[i].item };

		/* What was parsed and not handed over (a call that failed late). */
		pgr_evidence_truncate(&one, 0);
		pgr_buf_wipe(&a->ans[i].raw);
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
