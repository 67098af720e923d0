#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report/detail.h"

const char *
pgr_detail_where(const struct pgr_target *t, const struct pgr_attempt *a,
    char *buf, size_t len)
{
	if (a == NULL)
		snprintf(buf, len, "%s port %d", t->host ? t->host : "?", t->port);
	else if (a->family == 6)
		snprintf(buf, len, "[%s]:%d", a->address, t->port);
	else
		snprintf(buf, len, "%s:%d", a->address, t->port);
	return buf;
}

const char *
pgr_format_ms(double ms, char *buf, size_t len)
{
	double m = fabs(ms);
	int dec = m >= 100 ? 0 : m >= 10 ? 1 : m >= 1 ? 2 : 3;

	snprintf(buf, len, "%.*f", dec, ms);
	return buf;
}

const char *
pgr_format_s(double s, char *buf, size_t len)
{
	double m = fabs(s);
	int dec = 3;

	/* Three significant digits: one more decimal per decade below 1 s. */
	while (m > 0 && m < 0.1 && dec < 9) {
		m *= 10;
		dec++;
	}
	if (fabs(s) >= 100)
		dec = 0;
	else if (fabs(s) >= 10)
		dec = 1;
	else if (fabs(s) >= 1)
		dec = 2;
	snprintf(buf, len, "%.*f", dec, s);
	return buf;
}

const char *
pgr_detail_cert(const struct pgr_cert *c, char *buf, size_t len)
{
	if (!c->present) {
		snprintf(buf, len, "%s", "");
		return buf;
	}
	snprintf(buf, len, "cert %s, %ld days left, %s, name %s", c->subject,
	    c->days_left, c->verified ? "chain verifies" :
	    c->verify_error[0] ? c->verify_error : "chain not verified",
	    c->hostname_match ? "matches" : "does not match");
	return buf;
}

static size_t
add(char *buf, size_t len, size_t n, const char *sep, const char *s)
{
	if (s == NULL || s[0] == '\0' || n >= len)
		return n;
	n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? sep : "", s);
	return n < len ? n : len - 1;
}

/*
 * How far a failed handshake got: "server answered S, ClientHello sent,
 * 0 bytes (0 TLS records) back, last state SSLv3/TLS write client hello".
 */
static const char *
tls_progress(const struct pgr_attempt *a, char *buf, size_t len)
{
	const struct pgr_tls_result *t = &a->tls;

	buf[0] = '\0';
	if (t->ssl_answer != 'S')
		return buf;
	snprintf(buf, len, "server answered S, ClientHello %s, %lld bytes (%d TLS records) back%s%s",
	    t->client_hello_sent ? "sent" : "not sent", t->bytes_received,
	    t->records_received, t->handshake_state[0] ? ", last state " : "",
	    t->handshake_state);
	return buf;
}

const char *
pgr_detail_phase(const struct pgr_attempt *a, enum pgr_phase p, char *buf,
    size_t len)
{
	const struct pgr_query_result *q = &a->query;
	char tmp[PGR_DETAIL_LEN + 700], s[4][24];
	size_t n = 0;

	buf[0] = '\0';
	switch (p) {
	case PGR_PH_TCP:
		if (pgr_err_failed(a->tcp.status))
			add(buf, len, 0, "", a->tcp.detail);
		else if (a->local[0] != '\0' && a->tcp.status == PGR_OK) {
			snprintf(tmp, sizeof(tmp), "from %s", a->local);
			add(buf, len, 0, "", tmp);
		}
		break;
	case PGR_PH_TLS:
		if (a->tls.status == PGR_OK) {
			snprintf(tmp, sizeof(tmp), "%s %s", a->tls.version, a->tls.cipher);
			n = add(buf, len, n, "", tmp);
		} else {
			n = add(buf, len, n, "", a->tls.detail);
			n = add(buf, len, n, "; ", tls_progress(a, tmp, sizeof(tmp)));
		}
		add(buf, len, n, "; ", pgr_detail_cert(&a->tls.cert, tmp, sizeof(tmp)));
		break;
	case PGR_PH_LOGIN:
		if (a->login.status == PGR_OK && a->login.server_version[0] != '\0') {
			snprintf(tmp, sizeof(tmp), "server %s", a->login.server_version);
			add(buf, len, 0, "", tmp);
		} else if (a->login.status != PGR_OK) {
			n = add(buf, len, n, "", a->login.sqlstate);
			add(buf, len, n, " ", a->login.message);
		}
		break;
	case PGR_PH_QUERY:
		if (q->done > 0) {
			snprintf(tmp, sizeof(tmp), "%d/%d: min %s, median %s, p95 %s, max %s ms",
			    q->done, q->count, pgr_format_ms(q->min_ms, s[0], sizeof(s[0])),
			    pgr_format_ms(q->median_ms, s[1], sizeof(s[1])),
			    pgr_format_ms(q->p95_ms, s[2], sizeof(s[2])),
			    pgr_format_ms(q->max_ms, s[3], sizeof(s[3])));
			n = add(buf, len, n, "", tmp);
			n = add(buf, len, n, "; ", q->sqlstate);
		} else
			n = add(buf, len, n, "", q->sqlstate);
		add(buf, len, n, q->done > 0 && !q->sqlstate[0] ? "; " : " ", q->message);
		break;
	default:
		break;
	}
	return buf;
}

const char *
pgr_detail_failure(const struct pgr_analysis *an, char *buf, size_t len)
{
	const struct pgr_failure *f = &an->first_failure;
	const struct pgr_target *t;
	char at[PGR_ADDRSTRLEN + 300];

	buf[0] = '\0';
	if (f->target < 0)
		return buf;
	t = &an->r->targets[f->target];
	if (f->attempt < 0)
		snprintf(buf, len, "dns %s for %s", pgr_err_name(f->err),
		    t->host ? t->host : "?");
	else
		snprintf(buf, len, "%s %s at %s", pgr_phase_name(f->phase),
		    pgr_err_name(f->err), pgr_detail_where(t,
		    &an->r->results[f->target].attempts[f->attempt], at, sizeof(at)));
	return buf;
}

const char *
pgr_detail_headline(const struct pgr_analysis *an, const struct pgr_finding *f,
    char *buf, size_t len)
{
	const struct pgr_target *t;
	const char *host;
	char *q;
	size_t hl, il;

	snprintf(buf, len, "%s", f->summary != NULL ? f->summary : pgr_code_name(f->code));
	if (f->target < 0 || (size_t)f->target >= an->r->ntargets ||
	    f->cause == PGR_CAUSE_DNS)
		return buf;
	t = &an->r->targets[f->target];
	host = t->host;
	if (!t->endpoint.is_endpoint || host == NULL)
		return buf;
	hl = strlen(host);
	il = strlen(t->endpoint.id);
	if (il == 0 || il >= hl)
		return buf;
	while ((q = strstr(buf, host)) != NULL) {
		memmove(q + il, q + hl, strlen(q + hl) + 1);
		memcpy(q, t->endpoint.id, il);
	}
	return buf;
}
