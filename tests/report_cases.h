/*
 * The report cases the Nagios and Prometheus tests share, and the golden
 * file comparison under fixtures/reports/.  Included by each; static.
 */
#ifndef PGR_REPORT_CASES_H
#define PGR_REPORT_CASES_H

#include "tests/report_builder.h"

static void
b_healthy(struct pgr_report *r)
{
	two_by_two(r);
}

static void
b_tcp_timeout(struct pgr_report *r)
{
	two_by_two(r);
	EACH_ATTEMPT(r, a)
		fail_at(a, PGR_PH_TCP, PGR_TCP_TIMEOUT, 3000.0);
	pgr_report_add_finding(r, "TCP_TIMEOUT_SG", PGR_SEV_CRITICAL,
	    "security_group", "no TCP answer on 5432 or 5433 from any endpoint address",
	    "tcp timeout x4", "Allow TCP 5432-5433 from the client in the endpoint's security group.", -1);
	pgr_report_add_finding(r, "TCP_TIMEOUT_ACCEPTANCE", PGR_SEV_CRITICAL,
	    "acceptance", "the endpoint may not be accepted yet",
	    "tcp timeout x4", "Run heroku data:privatelink to see the endpoint's status.", -1);
}

static void
b_auth(struct pgr_report *r)
{
	two_by_two(r);
	EACH_ATTEMPT(r, a) {
		fail_at(a, PGR_PH_LOGIN, PGR_LOGIN_AUTH, 8.0);
		snprintf(a->login.sqlstate, sizeof(a->login.sqlstate), "28P01");
		snprintf(a->login.message, sizeof(a->login.message),
		    "password authentication failed for user \"app\"");
	}
	pgr_report_add_finding(r, "LOGIN_REJECTED", PGR_SEV_CRITICAL, "credentials",
	    "password rejected for user app | rotate\nthe credentials",
	    "28P01 on 4 of 4", "heroku pg:credentials:url | grep password", 0);
}

static void
b_cert_expired(struct pgr_report *r)
{
	two_by_two(r);
	EACH_ATTEMPT(r, a) {
		a->tls.cert.days_left = -3;
		a->tls.cert.not_after = T0 - 3 * 86400L + 60;
	}
}

/* The diagnosis's own certificate rule got there first. */
static void
b_cert_diagnosed(struct pgr_report *r)
{
	b_cert_expired(r);
	pgr_report_add_finding(r, "CERT_EXPIRED", PGR_SEV_CRITICAL, "certificate",
	    "The server certificate has expired", "3 days ago",
	    "Open a Heroku support ticket.", 0);
}

/* One target, one address, a session of exactly dns 100 ms + login 600 ms. */
static void
b_single(struct pgr_report *r)
{
	struct pgr_attempt *a;

	add_target(r, HOST, 5432, PGR_ROLE_POSTGRES);
	a = add_attempt(r, "10.0.1.5");
	r->results[0].dns.ms = 100.0;
	a->login.ms = 600.0;
	a->query.ms = 700.0;
	a->query.p95_ms = 120.0;
}

static void
b_cert_expiring(struct pgr_report *r)
{
	b_single(r);
	r->results[0].attempts[0].tls.cert.days_left = 10;
	r->results[0].attempts[0].tls.cert.not_after = T0 + 10 * 86400L + 60;
}

static void
b_ipv6_hosts(struct pgr_report *r)
{
	add_target(r, HOST, 5432, PGR_ROLE_POSTGRES);
	add_attempt(r, "2001:db8:ffff:ffff:ffff:ffff:ffff:1005");
	add_attempt(r, "10.0.1.5");
	add_target(r, "vpce-0fedcba9876543210-zyxwvuts.vpce-svc-0123456789abcdef0.us-east-1.vpce.amazonaws.com",
	    5432, PGR_ROLE_POSTGRES);
	add_attempt(r, "2001:db8:ffff:ffff:ffff:ffff:ffff:2005");
	add_target(r, "10.9.8.7", 5433, PGR_ROLE_PGBOUNCER);
	add_attempt(r, "10.9.8.7");
}

static void
b_duplicate_target(struct pgr_report *r)
{
	add_target(r, HOST, 5432, PGR_ROLE_POSTGRES);
	add_attempt(r, "10.0.1.5");
	add_target(r, HOST, 5432, PGR_ROLE_POSTGRES);
	add_attempt(r, "10.0.1.5");
}

static void
b_unknown(struct pgr_report *r)
{
	b_single(r);
	pgr_report_add_finding(r, "EVIDENCE_UNREADABLE", PGR_SEV_UNKNOWN, "config",
	    "vpce.json is not JSON", NULL, NULL, -1);
}

/* A phase that did not fail but a later one never got the chance. */
static void
b_tls_disabled(struct pgr_report *r)
{
	struct pgr_attempt *a;

	b_single(r);
	a = &r->results[0].attempts[0];
	a->tls.status = PGR_TLS_DISABLED;
	a->tls.ms = a->tcp.ms;
	a->tls.cert.present = false;
}

static void
check_golden(const char *name, const char *ext, const char *got)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/reports/%s.%s", FIXTURES, name, ext);
	golden(path, got);
}

#endif
