/*
 * The Markdown report, for pasting into a ticket or a pull request
 * (GitHub-flavoured Markdown: pipe tables, autolinks): the verdict, each
 * host's checklist as a table with the remedies of its failed steps, the
 * findings, and one row per address and port with every phase's status and
 * duration.
 *
 * Everything that is not this file's own markup goes through md_text():
 * server messages, certificate subjects, host names and addresses all come
 * from the network or the user, and the findings quote them.  A pasted
 * report must not become a link, an image, a mention or a broken table.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "report/detail.h"
#include "report/writer.h"
#include "util/utf8.h"

static bool
is_word(uint32_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

/*
 * s as inline Markdown that reads back as s, on one line.
 *
 * - '<', '>' and '&' become entities: no raw HTML, no <autolink>, no
 *   entity of the sender's choosing.
 * - The other characters with inline meaning are backslash-escaped
 *   (CommonMark 6.1 allows it before any ASCII punctuation): code spans,
 *   emphasis, strike-through, links and images (an escaped '[' leaves a
 *   '!' nothing to open), and '|', which GFM unescapes inside a table
 *   cell before anything else (GFM 4.10).
 * - GFM's extended autolinks (6.9) start at "www." and "SCHEME:"; a
 *   backslash before that '.' or ':' leaves no trigger in the source.  An
 *   e-mail address is found in the text after unescaping, and GitHub finds
 *   "@name" mentions in the rendered page, so '@' is followed by a
 *   zero-width space, which neither pattern lets through.
 * - Line breaks (CR, LF, U+2028, U+2029) and tabs become a space, so text
 *   cannot end a table row or start a block; the other C0 and C1 controls
 *   and DEL are dropped, and a byte that is not UTF-8 becomes U+FFFD.
 */
static const char *
md_char(const char *s, size_t i, uint32_t c)
{
	switch (c) {
	case '<':	return "&lt;";
	case '>':	return "&gt;";
	case '&':	return "&amp;";
	case '\\':	return "\\\\";
	case '`':	return "\\`";
	case '*':	return "\\*";
	case '_':	return "\\_";
	case '~':	return "\\~";
	case '|':	return "\\|";
	case '[':	return "\\[";
	case ']':	return "\\]";
	case ':':
		return s[i + 1] == '/' ? "\\:" : NULL;
	case '.':
		/* "www." at the start of a word */
		return i >= 3 && strncasecmp(s + i - 3, "www", 3) == 0 &&
		    (i == 3 || !is_word((unsigned char)s[i - 4])) ? "\\." : NULL;
	case '@':
		return "@\xe2\x80\x8b";
	case '\t': case '\n': case '\r': case 0x2028: case 0x2029:
		return " ";
	default:
		return c < 0x20 || (c >= 0x7f && c <= 0x9f) ? "" : NULL;
	}
}

static void
md_text(FILE *f, const char *s)
{
	pgr_utf8_escape(f, s, md_char);
}

static const char *
mark(enum pgr_check_state s)
{
	static const char *const marks[] = { "\u2713", "\u2717", "?", "!" };

	return marks[s];
}

static const char *
verdict(enum pgr_severity s)
{
	switch (s) {
	case PGR_SEV_OK:	return "\u2713 pgreach: OK";
	case PGR_SEV_WARNING:	return "! pgreach: WARNING";
	case PGR_SEV_CRITICAL:	return "\u2717 pgreach: CRITICAL";
	default:		return "? pgreach: UNKNOWN";
	}
}

/* One host's checklist, then the remedy of each finding on a step, once. */
static void
checklist_md(FILE *f, const struct pgr_analysis *an, const struct pgr_host *h)
{
	size_t k;
	bool any = false;
	int s;

	fputs("\n### Checklist for ", f);
	md_text(f, h->name != NULL && h->name[0] != '\0' ? h->name : "(no host)");
	fputs("\n\n| Step | Status | Reason |\n| --- | :---: | --- |\n", f);
	for (s = 0; s < PGR_STEP__COUNT; s++) {
		fputs("| ", f);
		md_text(f, h->steps[s].title);
		fprintf(f, " | %s | ", mark(h->steps[s].state));
		md_text(f, h->steps[s].note);
		fputs(" |\n", f);
	}
	for (k = 0; k < h->nfix; k++) {
		const struct pgr_check_item *it = &h->steps[h->fix[k]];
		const struct pgr_finding *fd = pgr_step_finding(an, it);

		if (!any)
			fputs("\n**To fix:**\n\n", f);
		any = true;
		fprintf(f, "- %s **", mark(it->state));
		md_text(f, it->title);
		fputs("**", f);
		if (fd->evidence != NULL) {
			fputs(": ", f);
			md_text(f, fd->evidence);
		}
		if (fd->remedy != NULL) {
			fputs("\n  - Fix: ", f);
			md_text(f, fd->remedy);
		}
		fputc('\n', f);
	}
}

static void
findings_md(FILE *f, const struct pgr_analysis *an)
{
	size_t i;

	if (an->findings.n == 0)
		return;
	fputs("\n### Findings, most likely first\n\n", f);
	for (i = 0; i < an->findings.n; i++) {
		const struct pgr_finding *fd = &an->findings.v[i];

		/* Codes and causes are this program's own names, safe in a code span. */
		fprintf(f, "%zu. **%s** `%s` (%s): ", i + 1,
		    pgr_severity_name(fd->severity), pgr_code_name(fd->code),
		    pgr_cause_name(fd->cause));
		md_text(f, fd->summary);
		fputc('\n', f);
		if (fd->evidence != NULL) {
			fputs("   - Evidence: ", f);
			md_text(f, fd->evidence);
			fputc('\n', f);
		}
		if (fd->remedy != NULL) {
			fputs("   - Remedy: ", f);
			md_text(f, fd->remedy);
			fputc('\n', f);
		}
	}
}

/* "ok 0.20", "**timeout** 2002", "–" for a phase that did not run. */
static void
phase_cell(FILE *f, enum pgr_err st, double ms)
{
	char num[32];

	fputs(" | ", f);
	if (st == PGR_SKIPPED || st == PGR_PENDING) {
		fputs("\u2013", f);
		return;
	}
	fprintf(f, pgr_err_failed(st) ? "**%s**" : "%s", pgr_err_name(st));
	if (st != PGR_TLS_DISABLED)
		fprintf(f, " %s", pgr_format_ms(ms < 0 ? 0 : ms, num, sizeof(num)));
}

static void
phases_md(FILE *f, const struct pgr_report *r)
{
	size_t i, k;

	if (r->ntargets == 0)
		return;
	fputs("\n### Connections\n\nEach phase's status and duration in ms.\n\n"
	    "| Address | Port | DNS | TCP | TLS | Login | Query |\n"
	    "| --- | ---: | --- | --- | --- | --- | --- |\n", f);
	for (i = 0; i < r->ntargets; i++) {
		const struct pgr_target_result *tr = &r->results[i];

		for (k = 0; k < tr->nattempts || (k == 0 && tr->nattempts == 0); k++) {
			const struct pgr_attempt *a = tr->nattempts ? &tr->attempts[k] : NULL;

			fputs("| ", f);
			if (a != NULL)
				md_text(f, a->address);
			else {
				/* no address to try: the row is the lookup of the name */
				md_text(f, r->targets[i].host);
			}
			fprintf(f, " | %d", r->targets[i].port);
			phase_cell(f, tr->dns.status, tr->dns.ms);
			if (a == NULL) {
				fputs(" | \u2013 | \u2013 | \u2013 | \u2013 |\n", f);
				continue;
			}
			phase_cell(f, a->tcp.status, a->tcp.ms);
			phase_cell(f, a->tls.status, a->tls.ms - a->tcp.ms);
			phase_cell(f, a->login.status, a->login.ms - a->tls.ms);
			phase_cell(f, a->query.status, a->query.ms - a->login.ms);
			fputs(" |\n", f);
		}
	}
}

int
pgr_write_markdown(FILE *f, const struct pgr_analysis *an,
    const struct pgr_write_opts *o)
{
	const struct pgr_report *r = an->r;
	char where[512];
	size_t i;

	(void)o;
	fprintf(f, "## %s\n\n%zu target%s, %zu connection%s, %.1f ms.", verdict(an->status),
	    r->ntargets, r->ntargets == 1 ? "" : "s", an->nattempts,
	    an->nattempts == 1 ? "" : "s", r->duration_ms);
	if (pgr_detail_failure(an, where, sizeof(where))[0] != '\0') {
		fputs(" First failure: ", f);
		md_text(f, where);
		fputc('.', f);
	}
	fputc('\n', f);
	for (i = 0; i < an->nhosts; i++)
		checklist_md(f, an, &an->hosts[i]);
	findings_md(f, an);
	phases_md(f, r);
	return ferror(f) ? -1 : 0;
}
