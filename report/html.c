/*
 * The HTML report: one self-contained page for a support engineer, which
 * goes into the evidence bundle as report.html.  It holds the verdict, each
 * host's checklist with the remedies of its failed steps, a waterfall of
 * every attempt's phases drawn in inline SVG the way a browser's network
 * panel draws requests, the findings, and each attempt's phase details.
 *
 * The page fetches nothing: the style is inline, there is no script, and
 * its Content-Security-Policy forbids every fetch in case a later change
 * adds one by mistake.  Every string that is not this file's own markup
 * goes through html_text(), since server messages, certificate subjects,
 * host names and addresses come from the network or the user.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report/detail.h"
#include "report/writer.h"
#include "util/utf8.h"

/* ---- escaping ---------------------------------------------------------- */

/*
 * s as HTML text or as a quoted attribute value (either quote).  HTML5
 * gives control characters no meaning but calls them parse errors, so C0
 * (but tab and LF), DEL and C1 are dropped; CR is dropped too, since LF
 * alone breaks a line.  A byte that is not UTF-8 becomes U+FFFD.
 */
static const char *
html_char(const char *s, size_t i, uint32_t c)
{
	(void)s;
	(void)i;
	switch (c) {
	case '&':	return "&amp;";
	case '<':	return "&lt;";
	case '>':	return "&gt;";
	case '"':	return "&quot;";
	case '\'':	return "&#39;";
	case '\t':	return "&#9;";
	case '\n':	return "&#10;";
	default:
		return c < 0x20 || (c >= 0x7f && c <= 0x9f) ? "" : NULL;
	}
}

static void
html_text(FILE *f, const char *s)
{
	pgr_utf8_escape(f, s, html_char);
}

/* " name="value"", the value escaped. */
static void
attr(FILE *f, const char *name, const char *value)
{
	fprintf(f, " %s=\"", name);
	html_text(f, value);
	fputc('"', f);
}

/* ---- the page's frame -------------------------------------------------- */

static const char style[] =
"body{margin:0;font:14px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,\"DejaVu Sans\",sans-serif;color:#1f2328;background:#f6f8fa}\n"
"main{max-width:1200px;margin:0 auto;padding:0 24px 32px}\n"
"header.verdict{padding:18px 24px;color:#fff}\n"
"header.verdict h1{margin:0 auto;max-width:1200px;font-size:24px}\n"
"header.verdict p{margin:4px auto 0;max-width:1200px;opacity:.95}\n"
".status-ok{background:#1a7f37}.status-warning{background:#9a6700}\n"
".status-critical{background:#cf222e}.status-unknown{background:#57606a}\n"
"h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}\n"
"h3{font-size:15px;margin:16px 0 6px}\n"
"table.checklist td:nth-child(2){white-space:nowrap}\n"
"table.attempts td{white-space:nowrap}table.attempts td.addr.name{white-space:normal;overflow-wrap:anywhere;min-width:12em}\n"
"table.checklist td:nth-child(3),table.attempts td:last-child,ul.fix,.finding{white-space:normal;overflow-wrap:anywhere}\n"
"table{border-collapse:collapse;background:#fff;width:100%}\n"
"th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}\n"
"th{background:#eaeef2;font-weight:600}\n"
"td.mark{text-align:center;font-weight:700;width:2em}\n"
"tr.state-pass td.mark{color:#1a7f37}tr.state-fail td.mark{color:#cf222e}\n"
"tr.state-fail{background:#ffebe9}tr.state-warn{background:#fff8c5}\n"
"tr.state-warn td.mark{color:#9a6700}tr.state-unknown td.mark{color:#57606a}\n"
"ul.fix{background:#fff;border:1px solid #d0d7de;margin:8px 0;padding:8px 8px 8px 28px}\n"
"ul.fix li{margin:4px 0}\n"
".label{font-weight:600}\n"
"code,.mono,td.addr{font-family:ui-monospace,\"DejaVu Sans Mono\",monospace;font-size:13px}\n"
".finding{background:#fff;border:1px solid #d0d7de;border-left:6px solid #57606a;margin:10px 0;padding:6px 12px}\n"
".finding.severity-critical{border-left-color:#cf222e}.finding.severity-warning{border-left-color:#bf8700}\n"
".finding.severity-ok{border-left-color:#1a7f37}\n"
".finding h3{margin:4px 0}.finding p{margin:4px 0}\n"
".sev{display:inline-block;color:#fff;border-radius:3px;padding:0 6px;font-size:12px;text-transform:uppercase}\n"
".sev.severity-critical{background:#cf222e}.sev.severity-warning{background:#9a6700}\n"
".sev.severity-ok{background:#1a7f37}.sev.severity-unknown{background:#57606a}\n"
".cause{color:#57606a}\n"
"td.failed{color:#cf222e;font-weight:600}td.skipped{color:#8c959f}\n"
".legend{margin:6px 0}.legend span{display:inline-block;margin-right:14px}\n"
".legend i.flagged{outline:2px dashed #d50000;outline-offset:-2px;background:#8e24aa}\n"
".legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}\n"
"svg.waterfall{display:block;width:100%;height:auto;background:#fff;border:1px solid #d0d7de}\n"
"svg text{font:12px ui-monospace,\"DejaVu Sans Mono\",monospace;fill:#1f2328}\n"
"svg .addr{font-weight:600}svg .in-bar{fill:#fff;font-weight:700}\n"
"svg .tick{fill:#57606a}svg .grid{stroke:#eaeef2}\n"
"svg .end.failed{fill:#cf222e;font-weight:700}svg .end.ok{fill:#1a7f37}\n"
"svg .bar.flagged{stroke:#d50000;stroke-width:2;stroke-dasharray:4 2}svg .end.flagged{fill:#9a6700;font-weight:700}svg .end.flagged.state-fail{fill:#cf222e}\n"
"svg .wait{stroke:#8c959f;stroke-dasharray:2 2}\n"
".phase-dns{fill:#0097a7;background:#0097a7}.phase-tcp{fill:#f57c00;background:#f57c00}\n"
".phase-tls{fill:#8e24aa;background:#8e24aa}.phase-login{fill:#43a047;background:#43a047}\n"
".phase-query{fill:#1e88e5;background:#1e88e5}\n"
"svg .bar.failed,.legend i.failed{fill:#d50000;background:#d50000;stroke:#7f0000;stroke-width:1}\n"
"footer{color:#57606a;font-size:12px;margin-top:24px}\n";

static const char *
verdict(enum pgr_severity s)
{
	switch (s) {
	case PGR_SEV_OK:	return "\u2713 OK";
	case PGR_SEV_WARNING:	return "! WARNING";
	case PGR_SEV_CRITICAL:	return "\u2717 CRITICAL";
	default:		return "? UNKNOWN";
	}
}

static const char *mark(enum pgr_check_state s);

static void
head(FILE *f, const struct pgr_analysis *an)
{
	const struct pgr_report *r = an->r;
	char where[512], stamp[48];
	struct tm tm;

	gmtime_r(&r->started_at.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	    /* default-src 'none': no script, image, font, frame or connection */
	    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	    "style-src 'unsafe-inline'\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n", f);
	fprintf(f, "<title>pgreach: %s</title>\n<style>\n%s</style>\n</head>\n<body>\n",
	    pgr_severity_name(an->status), style);
	fprintf(f, "<header class=\"verdict status-%s\" data-status=\"%s\">\n"
	    "<h1>pgreach: %s</h1>\n<p>", pgr_severity_name(an->status),
	    pgr_severity_name(an->status), verdict(an->status));
	fprintf(f, "%zu target%s, %zu connection%s, %.1f ms", r->ntargets,
	    r->ntargets == 1 ? "" : "s", an->nattempts, an->nattempts == 1 ? "" : "s",
	    r->duration_ms);
	/* a report read back from a file may not say when it ran */
	if (r->started_at.tv_sec != 0)
		fprintf(f, ", started %s", stamp);
	fputc('.', f);
	if (pgr_detail_failure(an, where, sizeof(where))[0] != '\0') {
		fputs(" First failure: <span class=\"mono\">", f);
		html_text(f, where);
		fputs("</span>.", f);
	}
	if (an->findings.n > 0) {
		fprintf(f, "<br>Most likely: <code>%s</code> ",
		    pgr_code_name(an->findings.v[0].code));
		html_text(f, an->findings.v[0].summary);
	}
	fputs("</p>\n</header>\n<main>\n", f);
}

/* ---- the checklist ----------------------------------------------------- */

static const char *
mark(enum pgr_check_state s)
{
	static const char *const marks[] = { "\u2713", "\u2717", "?", "!" };

	return marks[s];
}

static void
checklist_html(FILE *f, const struct pgr_analysis *an, const struct pgr_host *h)
{
	size_t k;
	bool any = false;
	int s;

	fputs("<section class=\"host\"", f);
	attr(f, "data-host", h->name != NULL ? h->name : "");
	fputs(">\n<h2>Checklist for <span class=\"mono\">", f);
	html_text(f, h->name != NULL && h->name[0] != '\0' ? h->name : "(no host)");
	fputs("</span></h2>\n<table class=\"checklist\">\n"
	    "<thead><tr><th></th><th>Step</th><th>Reason</th></tr></thead>\n<tbody>\n", f);
	for (s = 0; s < PGR_STEP__COUNT; s++) {
		const struct pgr_check_item *it = &h->steps[s];

		fprintf(f, "<tr class=\"step state-%s\" data-step=\"%s\">"
		    "<td class=\"mark\">%s</td><td>", pgr_check_state_name(it->state),
		    pgr_step_def(it->step)->name, mark(it->state));
		html_text(f, it->title);
		fputs("</td><td>", f);
		html_text(f, it->note);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
	for (k = 0; k < h->nfix; k++) {
		const struct pgr_check_item *it = &h->steps[h->fix[k]];
		const struct pgr_finding *fd = pgr_step_finding(an, it);

		if (!any)
			fputs("<h3>To fix</h3>\n<ul class=\"fix\">\n", f);
		any = true;
		fprintf(f, "<li data-code=\"%s\"><span class=\"label\">%s ",
		    pgr_code_name(fd->code), mark(it->state));
		html_text(f, it->title);
		fputs("</span>", f);
		if (fd->evidence != NULL) {
			fputs(": ", f);
			html_text(f, fd->evidence);
		}
		if (fd->remedy != NULL) {
			fputs("<br><span class=\"label\">Fix:</span> ", f);
			html_text(f, fd->remedy);
		}
		fputs("</li>\n", f);
	}
	if (any)
		fputs("</ul>\n", f);
	fputs("</section>\n", f);
}

static void details(FILE *f, const struct pgr_report *r);

/* ---- the waterfall ----------------------------------------------------- */

#define W		1100.0	/* the drawing's width, in its own units */
#define ROW		24.0	/* one row per attempt */
#define BAR		14.0
#define AXIS		28.0	/* the time axis above the rows */
#define END_W		190.0	/* the column after the bars: the outcome */
#define CHAR_W		7.3	/* 12px monospace, to size the labels' column */

struct span {
	enum pgr_phase	 phase;
	enum pgr_err	 st;
	double		 from, to;	/* ms from the run's start */
};

struct geom {
	double	label_w;		/* the addresses' column */
	double	x0, plot_w;		/* the bars' area */
	double	max_ms;			/* the axis's end */
};

static double
x_of(const struct geom *g, double ms)
{
	return g->x0 + ms / g->max_ms * g->plot_w;
}

/*
 * A time as drawn: a recorded report is input like any other, so a
 * negative, infinite or backwards time is held to the phase before it
 * rather than drawn off the axis.
 */
static double
clamp_ms(double ms, double lo)
{
	return isfinite(ms) && ms > lo ? ms : lo;
}

static bool
ran(enum pgr_err e)
{
	return e != PGR_SKIPPED && e != PGR_PENDING && e != PGR_TLS_DISABLED;
}

/*
 * The phases of one row, from the run's start: the lookup of the name
 * (shared by the name's attempts, drawn in each as a network panel does),
 * then the attempt's own phases, each from the end of the one before.
 */
static size_t
row_spans(const struct pgr_target_result *tr, const struct pgr_attempt *a,
    struct span *sp)
{
	double t0 = clamp_ms(tr->start_ms, 0), end, prev;
	const struct { enum pgr_phase p; enum pgr_err st; double ms; } ph[] = {
		{ PGR_PH_TCP, a ? a->tcp.status : PGR_SKIPPED, a ? a->tcp.ms : 0 },
		{ PGR_PH_TLS, a ? a->tls.status : PGR_SKIPPED, a ? a->tls.ms : 0 },
		{ PGR_PH_LOGIN, a ? a->login.status : PGR_SKIPPED, a ? a->login.ms : 0 },
		{ PGR_PH_QUERY, a ? a->query.status : PGR_SKIPPED, a ? a->query.ms : 0 },
	};
	size_t n = 0, i;

	if (ran(tr->dns.status)) {
		end = clamp_ms(t0 + tr->dns.ms, t0);
		sp[n++] = (struct span){ PGR_PH_DNS, tr->dns.status, t0, end };
	}
	if (a == NULL)
		return n;
	t0 = clamp_ms(a->start_ms, 0);
	prev = t0;
	for (i = 0; i < sizeof(ph) / sizeof(ph[0]); i++) {
		if (!ran(ph[i].st))
			continue;
		end = clamp_ms(t0 + ph[i].ms, prev);
		sp[n++] = (struct span){ ph[i].p, ph[i].st, prev, end };
		prev = end;
	}
	return n;
}

/* A step of 1, 2 or 5 times a power of ten, for about six ticks. */
static double
tick_step(double max)
{
	double raw = max / 6, p = pow(10, floor(log10(raw))), m = raw / p;

	return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

static void
axis(FILE *f, const struct geom *g, double height)
{
	double step = tick_step(g->max_ms), t;
	char num[32];
	int i;

	fputs("<g class=\"axis\">\n", f);
	for (i = 0; (t = i * step) <= g->max_ms * 1.0001 && i < 100; i++) {
		snprintf(num, sizeof(num), "%.10g", t);
		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
		    "<text class=\"tick\" x=\"%.1f\" y=\"18\" text-anchor=\"%s\">%s%s</text>\n",
		    x_of(g, t), AXIS - 6, x_of(g, t), height, x_of(g, t),
		    i == 0 ? "start" : "middle", num, i == 0 ? " ms" : "");
	}
	fputs("</g>\n", f);
}

/* One bar: its phase's colour, or red with its status when it failed. */
static void
bar(FILE *f, const struct geom *g, const struct span *s, double y,
    const char *where, const struct pgr_attempt *a, const struct pgr_check_item *flag)
{
	bool failed = pgr_err_failed(s->st);
	double x = x_of(g, s->from), w = x_of(g, s->to) - x;
	char d1[32], d2[32], d3[32], info[1024];

	/* A phase too short for a pixel still shows; a failed one more so. */
	if (w < (failed ? 3 : 1))
		w = failed ? 3 : 1;
	if (x + w > g->x0 + g->plot_w)
		x = g->x0 + g->plot_w - w;
	fprintf(f, "<rect class=\"bar phase-%s status-%s%s%s\" data-phase=\"%s\" "
	    "data-status=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">",
	    pgr_phase_name(s->phase), pgr_err_name(s->st), failed ? " failed" : "",
	    flag != NULL ? " flagged" : "", pgr_phase_name(s->phase),
	    pgr_err_name(s->st), x, y + (ROW - BAR) / 2, w, BAR);
	fputs("<title>", f);
	html_text(f, where);
	fprintf(f, " %s %s: %s ms (%s to %s ms)", pgr_phase_name(s->phase),
	    pgr_err_name(s->st), pgr_format_ms(s->to - s->from, d1, sizeof(d1)),
	    pgr_format_ms(s->from, d2, sizeof(d2)), pgr_format_ms(s->to, d3, sizeof(d3)));
	if (a != NULL && s->phase != PGR_PH_DNS &&
	    pgr_detail_phase(a, s->phase, info, sizeof(info))[0] != '\0') {
		fputs("; ", f);
		html_text(f, info);
	}
	if (flag != NULL) {
		fprintf(f, "; %s %s: ", mark(flag->state), flag->title);
		html_text(f, flag->note);
	}
	fputs("</title></rect>\n", f);
	/* the status on the failed bar itself, where it fits */
	if (failed && w > 12 * CHAR_W + strlen(pgr_err_name(s->st)) * CHAR_W)
		fprintf(f, "<text class=\"in-bar\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">"
		    "%s %s</text>\n", x + w - 6, y + ROW / 2 + 4, pgr_phase_name(s->phase),
		    pgr_err_name(s->st));
}

/* One row: an attempt, or a name's lookup when it left no address to try. */
static void
row(FILE *f, const struct geom *g, const struct pgr_analysis *an, size_t ti,
    const struct pgr_attempt *a, double y)
{
	const struct pgr_report *r = an->r;
	const struct pgr_host *h = pgr_host_of(an, ti);
	const struct pgr_check_item *cert = NULL;
	const struct pgr_target *t = &r->targets[ti];
	const struct pgr_target_result *tr = &r->results[ti];
	struct span sp[PGR_PH__COUNT];
	const struct span *bad = NULL;
	char where[600], num[32], label[sizeof(where) + 4];
	size_t n = row_spans(tr, a, sp), i, len, fit;
	double total = 0;

	for (i = 0; i < n; i++)
		if (pgr_err_failed(sp[i].st) && bad == NULL)
			bad = &sp[i];
	/*
	 * A handshake can succeed on a certificate the checklist fails (expired,
	 * not verified): the host's TLS bars carry that step, so the drawing
	 * shows it too.
	 */
	if (h != NULL && a != NULL && a->tls.cert.present &&
	    (h->steps[PGR_STEP_CERTIFICATE].state == PGR_CHECK_FAIL ||
	    h->steps[PGR_STEP_CERTIFICATE].state == PGR_CHECK_WARN))
		cert = &h->steps[PGR_STEP_CERTIFICATE];
	pgr_detail_where(t, a, where, sizeof(where));
	fprintf(f, "<g class=\"%s%s\" data-target=\"%zu\"", a ? "attempt" : "lookup",
	    bad ? " failed" : "", ti);
	attr(f, "data-address", a ? a->address : "");
	fprintf(f, " data-port=\"%d\"", t->port);
	if (bad != NULL)
		fprintf(f, " data-failed=\"%s.%s\"", pgr_phase_name(bad->phase),
		    pgr_err_name(bad->st));
	fputs(">\n<title>", f);
	html_text(f, where);
	fputs("</title>\n", f);
	/*
	 * The column fits an address and its port; a name that found no
	 * address is cut to fit before its port, and its title is whole.
	 */
	fit = (size_t)((g->label_w - 12) / CHAR_W);
	if (a != NULL || t->host == NULL)
		snprintf(label, sizeof(label), "%s", where);
	else if ((len = strlen(t->host)) + 6 > fit && fit > 16)
		snprintf(label, sizeof(label), "%.*s\u2026:%d", (int)(fit - 8), t->host, t->port);
	else
		snprintf(label, sizeof(label), "%s:%d", t->host, t->port);
	fprintf(f, "<text class=\"addr\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">",
	    g->label_w - 8, y + ROW / 2 + 4);
	html_text(f, label);
	fputs("</text>\n", f);
	/* The wait between the lookup and the connection, as a dotted line. */
	if (n >= 2 && sp[0].phase == PGR_PH_DNS && sp[1].from > sp[0].to)
		fprintf(f, "<line class=\"wait\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
		    x_of(g, sp[0].to), y + ROW / 2, x_of(g, sp[1].from), y + ROW / 2);
	for (i = 0; i < n; i++)
		bar(f, g, &sp[i], y, where, a, sp[i].phase == PGR_PH_TLS ? cert : NULL);
	/* the connection's own time, as a network panel gives a request's */
	if (n > 0 && a != NULL)
		total = sp[n - 1].to - clamp_ms(a->start_ms, 0);
	if (bad == NULL && cert != NULL)
		fprintf(f, "<text class=\"end flagged state-%s\" x=\"%.1f\" y=\"%.1f\">%s certificate, %s ms</text>\n",
		    pgr_check_state_name(cert->state), g->x0 + g->plot_w + 10,
		    y + ROW / 2 + 4, mark(cert->state),
		    pgr_format_ms(total, num, sizeof(num)));
	else if (bad != NULL)
		fprintf(f, "<text class=\"end failed\" x=\"%.1f\" y=\"%.1f\">\u2717 %s %s, %s ms</text>\n",
		    g->x0 + g->plot_w + 10, y + ROW / 2 + 4, pgr_phase_name(bad->phase),
		    pgr_err_name(bad->st), pgr_format_ms(bad->to - bad->from, num, sizeof(num)));
	else
		fprintf(f, "<text class=\"end ok\" x=\"%.1f\" y=\"%.1f\">\u2713 %s ms</text>\n",
		    g->x0 + g->plot_w + 10, y + ROW / 2 + 4,
		    pgr_format_ms(total, num, sizeof(num)));
	fputs("</g>\n", f);
}

static void
legend(FILE *f)
{
	enum pgr_phase p;

	fputs("<div class=\"legend\">", f);
	for (p = PGR_PH_DNS; p < PGR_PH__COUNT; p++)
		fprintf(f, "<span><i class=\"phase-%s\"></i>%s</span>", pgr_phase_name(p),
		    p == PGR_PH_DNS ? "DNS" : p == PGR_PH_TCP ? "TCP" :
		    p == PGR_PH_TLS ? "TLS" : p == PGR_PH_LOGIN ? "login" : "queries");
	fputs("<span><i class=\"failed\"></i>failed (status at the right)</span>"
	    "<span><i class=\"flagged\"></i>certificate step failed or warns</span></div>\n", f);
}

static void
waterfall(FILE *f, const struct pgr_analysis *an)
{
	const struct pgr_report *r = an->r;
	struct span sp[PGR_PH__COUNT];
	struct geom g;
	size_t i, k, rows = 0, n, longest = 0;
	char where[600];
	double y, height;

	memset(&g, 0, sizeof(g));
	g.max_ms = clamp_ms(r->duration_ms, 0);
	for (i = 0; i < r->ntargets; i++) {
		const struct pgr_target_result *tr = &r->results[i];

		for (k = 0; k < tr->nattempts || (k == 0 && tr->nattempts == 0); k++) {
			const struct pgr_attempt *a = tr->nattempts ? &tr->attempts[k] : NULL;

			rows++;
			n = row_spans(tr, a, sp);
			if (n > 0 && sp[n - 1].to > g.max_ms)
				g.max_ms = sp[n - 1].to;
			pgr_detail_where(&r->targets[i], a, where, sizeof(where));
			if (strlen(where) > longest)
				longest = strlen(where);
		}
	}
	if (rows == 0)
		return;
	if (!(g.max_ms > 0))
		g.max_ms = 1;
	g.label_w = fmin(fmax(longest * CHAR_W + 16, 140), 420);
	g.x0 = g.label_w;
	g.plot_w = W - g.label_w - END_W;
	height = AXIS + rows * ROW + 6;

	fputs("<section id=\"waterfall\">\n<h2>Connections</h2>\n", f);
	legend(f);
	fprintf(f, "<svg class=\"waterfall\" "
	    "viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\" "
	    "aria-label=\"Phases of every connection attempt on a shared time axis\">\n",
	    W, height, W, height);
	axis(f, &g, height);
	y = AXIS;
	for (i = 0; i < r->ntargets; i++) {
		const struct pgr_target_result *tr = &r->results[i];

		for (k = 0; k < tr->nattempts || (k == 0 && tr->nattempts == 0); k++) {
			row(f, &g, an, i, tr->nattempts ? &tr->attempts[k] : NULL, y);
			y += ROW;
		}
	}
	fputs("</svg>\n", f);
	details(f, r);
	fputs("</section>\n", f);
}

/* ---- the attempts' details --------------------------------------------- */

static void
phase_td(FILE *f, enum pgr_err st, double ms)
{
	char num[32];

	if (!ran(st)) {
		fprintf(f, "<td class=\"skipped\">%s</td>", pgr_err_name(st));
		return;
	}
	fprintf(f, "<td class=\"%s\">%s %s</td>", pgr_err_failed(st) ? "failed" : "ok",
	    pgr_err_name(st), pgr_format_ms(clamp_ms(ms, 0), num, sizeof(num)));
}

static void
details(FILE *f, const struct pgr_report *r)
{
	static const enum pgr_phase phases[] = { PGR_PH_TCP, PGR_PH_TLS, PGR_PH_LOGIN,
	    PGR_PH_QUERY };
	char where[600], info[1024];
	size_t i, k, p;

	if (r->ntargets == 0)
		return;
	fputs("<h3>Each attempt, phase by phase</h3>\n<table class=\"attempts\">\n"
	    "<thead><tr><th>Address</th><th>Role</th><th>DNS ms</th><th>TCP ms</th>"
	    "<th>TLS ms</th><th>Login ms</th><th>Query ms</th><th>Detail</th></tr></thead>\n"
	    "<tbody>\n", f);
	for (i = 0; i < r->ntargets; i++) {
		const struct pgr_target *t = &r->targets[i];
		const struct pgr_target_result *tr = &r->results[i];

		for (k = 0; k < tr->nattempts || (k == 0 && tr->nattempts == 0); k++) {
			const struct pgr_attempt *a = tr->nattempts ? &tr->attempts[k] : NULL;
			bool any = false;

			fprintf(f, "<tr><td class=\"addr%s\">", a == NULL ? " name" : "");
			html_text(f, pgr_detail_where(t, a, where, sizeof(where)));
			fprintf(f, "</td><td>%s</td>", pgr_role_name(t->role));
			phase_td(f, tr->dns.status, tr->dns.ms);
			if (a == NULL) {
				fputs("<td class=\"skipped\">-</td><td class=\"skipped\">-</td>"
				    "<td class=\"skipped\">-</td><td class=\"skipped\">-</td><td>", f);
				html_text(f, tr->dns.detail);
				fputs("</td></tr>\n", f);
				continue;
			}
			/* each phase alone, as the bars show it */
			phase_td(f, a->tcp.status, a->tcp.ms);
			phase_td(f, a->tls.status, a->tls.ms - a->tcp.ms);
			phase_td(f, a->login.status, a->login.ms - a->tls.ms);
			phase_td(f, a->query.status, a->query.ms - a->login.ms);
			fputs("<td>", f);
			for (p = 0; p < sizeof(phases) / sizeof(phases[0]); p++) {
				if (pgr_detail_phase(a, phases[p], info, sizeof(info))[0] == '\0')
					continue;
				fprintf(f, "%s<span class=\"label\">%s</span> ", any ? "<br>" : "",
				    pgr_phase_name(phases[p]));
				html_text(f, info);
				any = true;
			}
			fputs("</td></tr>\n", f);
		}
	}
	fputs("</tbody>\n</table>\n", f);
}

/* ---- the findings ------------------------------------------------------ */

static void
findings_html(FILE *f, const struct pgr_analysis *an)
{
	size_t i;

	if (an->findings.n == 0)
		return;
	fputs("<section id=\"findings\">\n<h2>Findings, most likely first</h2>\n", f);
	for (i = 0; i < an->findings.n; i++) {
		const struct pgr_finding *fd = &an->findings.v[i];
		const char *sev = pgr_severity_name(fd->severity);

		fprintf(f, "<article class=\"finding severity-%s\" data-code=\"%s\" "
		    "data-cause=\"%s\">\n<h3><span class=\"sev severity-%s\">%s</span> "
		    "<code>%s</code> <span class=\"cause\">(%s)</span></h3>\n<p class=\"summary\">",
		    sev, pgr_code_name(fd->code), pgr_cause_name(fd->cause), sev, sev,
		    pgr_code_name(fd->code), pgr_cause_name(fd->cause));
		html_text(f, fd->summary);
		fputs("</p>\n", f);
		if (fd->evidence != NULL) {
			fputs("<p class=\"evidence\"><span class=\"label\">Evidence:</span> ", f);
			html_text(f, fd->evidence);
			fputs("</p>\n", f);
		}
		if (fd->remedy != NULL) {
			fputs("<p class=\"remedy\"><span class=\"label\">Remedy:</span> ", f);
			html_text(f, fd->remedy);
			fputs("</p>\n", f);
		}
		fputs("</article>\n", f);
	}
	fputs("</section>\n", f);
}

int
pgr_write_html(FILE *f, const struct pgr_analysis *an, const struct pgr_write_opts *o)
{
	size_t i;

	(void)o;
	head(f, an);
	for (i = 0; i < an->nhosts; i++)
		checklist_html(f, an, &an->hosts[i]);
	waterfall(f, an);
	findings_html(f, an);
	fputs("<footer>Written by pgreach. Times are from the start of the run; "
	    "hover a bar for its phase, status and detail.</footer>\n"
	    "</main>\n</body>\n</html>\n", f);
	return ferror(f) ? -1 : 0;
}
