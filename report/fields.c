/*
 * The field table.  Phase ends are offsets from the attempt's start, like
 * curl's time_connect/time_appconnect; durations are the difference from
 * the previous phase's end.  TLS_DISABLED leaves tls.ms == tcp.ms, so the
 * login duration is right with or without TLS.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/fields.h"

static bool
done(enum pgr_err e)
{
	return e == PGR_OK;
}

static bool
put(double *out, double v)
{
	*out = v;
	return true;
}

static bool
get_dns(const struct pgr_target *t, const struct pgr_target_result *tr,
    const struct pgr_attempt *a, double *out)
{
	return done(tr->dns.status) && put(out, tr->dns.ms / 1000.0);
}

/* A failed lookup has no addresses, and that count is worth graphing too. */
static bool
get_dns_addresses(const struct pgr_target *t, const struct pgr_target_result *tr,
    const struct pgr_attempt *a, double *out)
{
	if (tr->dns.status == PGR_PENDING || tr->dns.status == PGR_SKIPPED)
		return false;
	return put(out, (double)(tr->dns.naddrs_total > tr->dns.naddrs ?
	    tr->dns.naddrs_total : tr->dns.naddrs));
}

static bool
get_tcp(const struct pgr_target *t, const struct pgr_target_result *tr,
    const struct pgr_attempt *a, double *out)
{
	return done(a->tcp.status) && put(out, a->tcp.ms / 1000.0);
}

static bool
get_tls(const struct pgr_target *t, const struct pgr_target_result *tr,
    const struct pgr_attempt *a, double *out)
{
	return done(a->tls.status) && put(out, (a->tls.ms - a->tcp.ms) / 1000.0);
}

static bool
get_login(const struct pgr_target *t, const struct pgr_target_result *tr,
    const struct pgr_attempt *a, double *out)
{
	return done(a->login.status) &&
	    put(out, (a->login.ms - a->tls.ms) / 1000.0);
}

static bool
get_query(const struct pgr_target *t, const struct pgr_target_result *tr,
    const struct pgr_attempt *a, double *out)
{
	return done(a->query.status) &&
	    put(out, (a->query.ms - a->login.ms) / 1000.0);
}

static bool
get_tls_end(const struct pgr_target *t, const struct pgr_target_result *tr,
    const struct pgr_attempt *a, double *out)
{
	return done(a->tls.status) && put(out, a->tls.ms / 1000.0);
}

static bool
get_login_end(const struct pgr_target *t, const struct pgr_target_result *tr,
    const struct pgr_attempt *a, double *out)
{
	return done(a->login.status) && put(out, a->login.ms / 1000.0);
}

static bool
get_query_end(const struct pgr_target *t, const struct pgr_target_result *tr,
    const struct pgr_attempt *a, double *out)
{
	return done(a->query.status) && put(out, a->query.ms / 1000.0);
}

/*
 * What a client waits for a usable session: its own lookup, then connect,
 * TLS and login (login.ms counts from the attempt's start).
 */
static bool
get_session(const struct pgr_target *t, const struct pgr_target_result *tr,
    const struct pgr_attempt *a, double *out)
{
	return done(tr->dns.status) && done(a->login.status) &&
	    put(out, (tr->dns.ms + a->login.ms) / 1000.0);
}

/* Statistics over the queries that completed, even if a later one failed. */
static bool
get_query_min(const struct pgr_target *t, const struct pgr_target_result *tr,
    const struct pgr_attempt *a, double *out)
{
	return a->query.done > 0 && put(out, a->query.min_ms / 1000.0);
}

static bool
get_query_median(const struct pgr_target *t, const struct pgr_target_result *tr,
    const struct pgr_attempt *a, double *out)
{
	return a->query.done > 0 && put(out, a->query.median_ms / 1000.0);
}

static bool
get_query_p95(const struct pgr_target *t, const struct pgr_target_result *tr,
    const struct pgr_attempt *a, double *out)
{
	return a->query.done > 0 && put(out, a->query.p95_ms / 1000.0);
}

static bool
get_query_max(const struct pgr_target *t, const struct pgr_target_result *tr,
    const struct pgr_attempt *a, double *out)
{
	return a->query.done > 0 && put(out, a->query.max_ms / 1000.0);
}

/* The certificate is read as soon as the handshake ends, even if TLS then failed. */
static bool
get_cert_days(const struct pgr_target *t, const struct pgr_target_result *tr,
    const struct pgr_attempt *a, double *out)
{
	return a->tls.cert.present && put(out, (double)a->tls.cert.days_left);
}

static bool
get_cert_not_after(const struct pgr_target *t, const struct pgr_target_result *tr,
    const struct pgr_attempt *a, double *out)
{
	return a->tls.cert.present && a->tls.cert.not_after != 0 &&
	    put(out, (double)a->tls.cert.not_after);
}

/*
 * Prometheus wants base units in names, so the certificate is exported as
 * a timestamp (as blackbox_exporter's probe_ssl_earliest_cert_expiry);
 * days left are for Nagios, whose cert thresholds are in days.
 */
const struct pgr_family_def pgr_families[PGR_FAM__COUNT] = {
	[PGR_FAM_DNS_DURATION] = { "pgreach_dns_duration_seconds", "gauge",
	    "Time the name lookup (A and AAAA, following CNAMEs) took." },
	[PGR_FAM_DNS_ADDRESSES] = { "pgreach_dns_addresses", "gauge",
	    "Addresses the name resolved to." },
	[PGR_FAM_PHASE_DURATION] = { "pgreach_phase_duration_seconds", "gauge",
	    "Time each phase of a connection attempt took on its own." },
	[PGR_FAM_PHASE_END] = { "pgreach_phase_end_seconds", "gauge",
	    "End of each phase, from the start of the connection attempt (cumulative)." },
	[PGR_FAM_SESSION] = { "pgreach_session_seconds", "gauge",
	    "Time to a logged-in session: the name lookup plus connect, TLS and login." },
	[PGR_FAM_QUERY_LATENCY] = { "pgreach_query_latency_seconds", "gauge",
	    "Latency of the timed query over its runs, by statistic." },
	[PGR_FAM_CERT_EXPIRY] = { "pgreach_certificate_expiry_timestamp_seconds", "gauge",
	    "When the server certificate expires (its notAfter), as Unix time." },
};

#define S	PGR_UNIT_SECONDS
#define T	PGR_FS_TARGET
#define A	PGR_FS_ATTEMPT
#define NAGIOS	PGR_FIELD_NAGIOS

const struct pgr_field pgr_fields[] = {
	{ "dns", S, PGR_PH_DNS, T, "name lookup time", NAGIOS,
	  PGR_THR_NONE, PGR_FAM_DNS_DURATION, NULL, NULL, get_dns },
	{ "dns_addresses", PGR_UNIT_COUNT, PGR_PH_DNS, T, "addresses resolved",
	  NAGIOS, PGR_THR_NONE, PGR_FAM_DNS_ADDRESSES, NULL, NULL,
	  get_dns_addresses },
	{ "tcp", S, PGR_PH_TCP, A, "TCP connect time", NAGIOS,
	  PGR_THR_NONE, PGR_FAM_PHASE_DURATION, "phase", "tcp", get_tcp },
	{ "tls", S, PGR_PH_TLS, A, "SSLRequest and TLS handshake time", NAGIOS,
	  PGR_THR_NONE, PGR_FAM_PHASE_DURATION, "phase", "tls", get_tls },
	{ "login", S, PGR_PH_LOGIN, A, "startup and authentication time", NAGIOS,
	  PGR_THR_NONE, PGR_FAM_PHASE_DURATION, "phase", "login", get_login },
	{ "query", S, PGR_PH_QUERY, A, "time for all runs of the query", 0,
	  PGR_THR_NONE, PGR_FAM_PHASE_DURATION, "phase", "query", get_query },
	{ "tcp_end", S, PGR_PH_TCP, A, "connected, from the attempt's start", 0,
	  PGR_THR_NONE, PGR_FAM_PHASE_END, "phase", "tcp", get_tcp },
	{ "tls_end", S, PGR_PH_TLS, A, "TLS up, from the attempt's start", 0,
	  PGR_THR_NONE, PGR_FAM_PHASE_END, "phase", "tls", get_tls_end },
	{ "login_end", S, PGR_PH_LOGIN, A, "logged in, from the attempt's start", 0,
	  PGR_THR_NONE, PGR_FAM_PHASE_END, "phase", "login", get_login_end },
	{ "query_end", S, PGR_PH_QUERY, A, "queries done, from the attempt's start", 0,
	  PGR_THR_NONE, PGR_FAM_PHASE_END, "phase", "query", get_query_end },
	{ "session", S, PGR_PH_LOGIN, A, "time to a logged-in session, dns included",
	  NAGIOS, PGR_THR_SESSION, PGR_FAM_SESSION, NULL, NULL, get_session },
	{ "query_min", S, PGR_PH_QUERY, A, "fastest query", 0,
	  PGR_THR_NONE, PGR_FAM_QUERY_LATENCY, "stat", "min", get_query_min },
	{ "query_median", S, PGR_PH_QUERY, A, "median query", 0,
	  PGR_THR_NONE, PGR_FAM_QUERY_LATENCY, "stat", "median", get_query_median },
	{ "query_p95", S, PGR_PH_QUERY, A, "95th percentile query", NAGIOS,
	  PGR_THR_QUERY, PGR_FAM_QUERY_LATENCY, "stat", "p95", get_query_p95 },
	{ "query_max", S, PGR_PH_QUERY, A, "slowest query", 0,
	  PGR_THR_NONE, PGR_FAM_QUERY_LATENCY, "stat", "max", get_query_max },
	{ "cert_days", PGR_UNIT_DAYS, PGR_PH_TLS, A,
	  "whole days until the server certificate expires", NAGIOS,
	  PGR_THR_CERT, PGR_FAM_NONE, NULL, NULL, get_cert_days },
	{ "cert_not_after", PGR_UNIT_UNIXTIME, PGR_PH_TLS, A,
	  "server certificate notAfter", 0,
	  PGR_THR_NONE, PGR_FAM_CERT_EXPIRY, NULL, NULL, get_cert_not_after },
};

#undef S
#undef T
#undef A
#undef NAGIOS

const size_t pgr_nfields = sizeof(pgr_fields) / sizeof(pgr_fields[0]);

const struct pgr_field *
pgr_field_find(const char *name)
{
	size_t i;

	for (i = 0; i < pgr_nfields; i++)
		if (strcmp(pgr_fields[i].name, name) == 0)
			return &pgr_fields[i];
	return NULL;
}

bool
pgr_field_value(const struct pgr_field *fd, const struct pgr_target *t,
    const struct pgr_target_result *tr, const struct pgr_attempt *a,
    double *out)
{
	double v;

	if (fd->scope == PGR_FS_ATTEMPT && a == NULL)
		return false;
	if (!fd->get(t, tr, a, &v) || !isfinite(v))
		return false;
	*out = v;
	return true;
}

/*
 * Fixed point by hand: printf's "%f" follows LC_NUMERIC, and perfdata, the
 * exposition format and the summaries want a '.' whatever the locale.
 */
const char *
pgr_format_fixed(double v, int decimals, bool trim, char *buf, size_t len)
{
	unsigned long long whole, frac, scale = 1, mag;
	long long scaled;
	size_t n;
	int i;

	if (decimals < 0)
		decimals = 0;
	if (decimals > 9)
		decimals = 9;
	for (i = 0; i < decimals; i++)
		scale *= 10;
	if (!isfinite(v) || fabs(v) * (double)scale > 9e18) {
		snprintf(buf, len, isfinite(v) ? "%.0f" : "U", v);
		return buf;
	}
	scaled = llround(v * (double)scale);
	mag = (unsigned long long)(scaled < 0 ? -scaled : scaled);
	whole = mag / scale;
	frac = mag % scale;
	if (decimals == 0)
		snprintf(buf, len, "%s%llu", scaled < 0 ? "-" : "", whole);
	else
		snprintf(buf, len, "%s%llu.%0*llu", scaled < 0 ? "-" : "", whole,
		    decimals, frac);
	if (!trim || decimals == 0)
		return buf;
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '.')
		buf[--n] = '\0';
	return buf;
}

const char *
pgr_field_format(enum pgr_unit u, double v, char *buf, size_t len)
{
	return pgr_format_fixed(v, u == PGR_UNIT_SECONDS ? 6 : 0, true, buf, len);
}
