/*
 * The Markdown writer on synthetic reports: the title carries the verdict,
 * each checklist table has one row per step with the analysis's mark, the
 * connections table one row per attempt (or per lookup that found no
 * address), every table row has its columns' number of cell pipes, and
 * hostile text (a server message, an evidence file, a host name) comes out
 * as text: no HTML, no link, no mention, no code span, no extra row, no
 * control character, nothing but UTF-8, and no password.  Each output is
 * also read back by cmark-gfm, GitHub's own parser (Debian: cmark-gfm),
 * with GitHub's extensions: the HTML it makes has exactly the tables' rows
 * and no link, image, raw HTML or emphasis the writer did not write.
 * Without cmark-gfm only the checks done here in C run, and the test says
 * so on stderr.
 */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probes/result.h"
#include "report/writer.h"
#include "tests/check_main.h"
#include "tests/support/support.h"
#include "util/utf8.h"

/*
 * Markup an attacker would try: a row break and a fake row, raw HTML and
 * an entity, a link, an image, an autolink and GFM's extended autolinks
 * (URL, www., e-mail), a mention, code spans, emphasis, strike-through,
 * C0 and C1 controls, an ANSI escape, DEL, U+2028, and bytes that are not
 * UTF-8 (a lone lead byte, an overlong '/', a surrogate, 0xff).
 */
#define HOSTILE "a|b\n| fake | row |\r\n<script>alert(1)</script>&amp;" \
	"[click](http://evil.example/) ![img](https://evil.example/x.png) " \
	"<https://evil.example> https://evil.example/p www.evil.example " \
	"ops@evil.example @everyone `code` ``x`` **b** _i_ ~~s~~ \\| " \
	"\x01\x1b[31m\x7f\xc2\x85 \xe2\x80\xa8 \xc3( \xc0\xaf \xed\xa0\x80 \xff \xc3\xa9"

static char *
render(const struct pgr_report *r)
{
	struct pgr_write_opts wo;
	struct pgr_analysis an;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	memset(&wo, 0, sizeof(wo));
	analyze(&an, r, NULL);
	f = open_memstream(&out, &len);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(pgr_write_markdown(f, &an, &wo), 0);
	ck_assert_int_eq(fclose(f), 0);
	pgr_analysis_free(&an);
	return out;
}

/* Pipes that end a table cell: those no backslash escapes. */
static size_t
cell_pipes(const char *line, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (line[i] == '\\')
			i++;
		else if (line[i] == '|')
			n++;
	}
	return n;
}

/* A character with meaning in GFM that no backslash escapes, outside `CODE`. */
static const char *
unescaped(const char *s, char c)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' && s[1] != '\0')
			s++;
		else if (*s == c)
			return s;
	}
	return NULL;
}

static size_t
count(const char *s, const char *what)
{
	size_t n = 0;

	for (; (s = strstr(s, what)) != NULL; s += strlen(what))
		n++;
	return n;
}

/*
 * The output through cmark-gfm with GitHub's extensions: one <tr> per
 * table line but the delimiter rows, no element the writer does not write
 * (a link, an image, emphasis, strike-through, raw HTML), and <code> only
 * around a finding code.
 */
static void
read_back(const char *md)
{
	static bool warned;
	char path[] = "/tmp/check_markdown.XXXXXX", cmd[256], *html = NULL;
	size_t len = 0, lines = 0, n;
	const char *p, *q;
	char buf[4096];
	FILE *f, *m;
	int fd;

	if (access("/usr/bin/cmark-gfm", X_OK) != 0) {
		if (!warned)
			fprintf(stderr, "check_markdown: cmark-gfm not installed: outputs not read back\n");
		warned = true;
		return;
	}
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, md, strlen(md)), (ssize_t)strlen(md));
	close(fd);
	snprintf(cmd, sizeof(cmd), "/usr/bin/cmark-gfm -e table -e autolink -e strikethrough "
	    "-e tagfilter %s", path);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	m = open_memstream(&html, &len);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, m);
	ck_assert_int_eq(pclose(f), 0);
	fclose(m);
	unlink(path);
	for (p = md; (q = strchr(p, '\n')) != NULL; p = q + 1)
		if (p[0] == '|' && strncmp(p, "| ---", 5) != 0)
			lines++;
	ck_assert_msg(count(html, "<tr>") == lines, "%zu <tr> for %zu table lines:\n%.3000s",
	    count(html, "<tr>"), lines, html);
	ck_assert_msg(strstr(html, "<a ") == NULL, "a link in:\n%.3000s", html);
	ck_assert_msg(strstr(html, "<img") == NULL, "an image in:\n%.3000s", html);
	ck_assert_msg(strstr(html, "<em>") == NULL, "emphasis in:\n%.3000s", html);
	ck_assert_msg(strstr(html, "<del>") == NULL, "strike-through in:\n%.3000s", html);
	ck_assert_msg(strstr(html, "raw HTML") == NULL, "raw HTML in:\n%.3000s", html);
	ck_assert_msg(strstr(html, "<script") == NULL, "a script in:\n%.3000s", html);
	for (p = html; (p = strstr(p, "<code>")) != NULL; p++) {
		q = strstr(p, "</code>");
		ck_assert_msg(q != NULL && strspn(p + 6, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") ==
		    (size_t)(q - p - 6), "a code span of other text: %.80s", p);
	}
	free(html);
}

/*
 * What holds for any output: well-formed UTF-8 and no control character
 * but LF; no '<' at all (the writer writes no HTML, and text's '<' is
 * "&lt;"); no "://" or "www." for an autolink; '@' only escaped; backticks
 * only escaped or around a finding code this program named; every table
 * row with the number of cell pipes of its table's header.
 */
static void
check_safe(const char *out)
{
	const unsigned char *p = (const unsigned char *)out;
	size_t n = strlen(out), i = 0, want = 0;
	const char *line, *q;

	while (i < n) {
		uint32_t c;
		size_t len = pgr_utf8_seq(p + i, n - i, &c);

		ck_assert_msg(len > 0, "not UTF-8 at byte %zu: %s", i, out + i);
		ck_assert_msg(c == '\n' || (c >= 0x20 && c != 0x7f && (c < 0x80 || c > 0x9f) &&
		    c != 0x2028 && c != 0x2029), "control U+%04X at byte %zu", (unsigned)c, i);
		i += len;
	}
	ck_assert_msg(strchr(out, '<') == NULL, "raw '<' in:\n%.2000s", out);
	for (q = out; (q = strstr(q, "://")) != NULL; q++)
		ck_assert_msg(q > out && q[-1] == '\\', "an autolink's \"://\": %.60s", q - 8);
	ck_assert_msg(strstr(out, "www.") == NULL, "an autolink's \"www.\" in:\n%.2000s", out);
	for (q = out; (q = strchr(q, '@')) != NULL; q++)
		ck_assert_msg(strncmp(q + 1, "\xe2\x80\x8b", 3) == 0, "'@' with no zero-width space: %.60s", q);
	ck_assert_msg(unescaped(out, '[') == NULL, "an unescaped '[' in:\n%.2000s", out);
	for (q = out; (q = unescaped(q, '`')) != NULL; q++) {
		const char *end = strchr(q + 1, '`');

		ck_assert_msg(end != NULL && end > q + 1 &&
		    strspn(q + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789") == (size_t)(end - q - 1),
		    "a code span of other text than a finding code: %.60s", q);
		q = end;
	}
	for (line = out; *line != '\0'; line = q + 1) {
		size_t len;

		q = strchr(line, '\n');
		ck_assert_ptr_nonnull(q);	/* every line ends */
		len = (size_t)(q - line);
		if (len == 0 || line[0] != '|') {
			want = 0;
			continue;
		}
		if (want == 0)
			want = cell_pipes(line, len);	/* the header */
		ck_assert_msg(cell_pipes(line, len) == want, "row has %zu cell pipes, header %zu: %.*s",
		    cell_pipes(line, len), want, (int)len, line);
	}
	ck_assert_msg(strstr(out, SECRET_DEFAULT) == NULL, "the password is in:\n%.2000s", out);
	read_back(out);
}

/* The lines of the table whose header is hdr, delimiter row excluded. */
static size_t
table_rows(const char *out, const char *hdr, char rows[][512], size_t max)
{
	const char *p = strstr(out, hdr), *q;
	size_t n = 0;

	ck_assert_msg(p != NULL, "no table %s in:\n%.2000s", hdr, out);
	p = strchr(p, '\n') + 1;
	ck_assert(strncmp(p, "| ---", 5) == 0);
	p = strchr(p, '\n') + 1;
	while (*p == '|' && n < max) {
		q = strchr(p, '\n');
		snprintf(rows[n++], 512, "%.*s", (int)(q - p), p);
		p = q + 1;
	}
	return n;
}

static bool
starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static const char *const marks[] = { "\u2713", "\u2717", "?", "!" };

/* Each checklist row: the step's title and the analysis's mark. */
static void
check_checklist(const char *out, const struct pgr_report *r)
{
	struct pgr_analysis an;
	char rows[PGR_STEP__COUNT + 4][512], cell[64];
	size_t n;
	int s;

	analyze(&an, r, NULL);
	n = table_rows(out, "| Step | Status | Reason |", rows, PGR_STEP__COUNT + 4);
	ck_assert_uint_eq(n, PGR_STEP__COUNT);
	for (s = 0; s < PGR_STEP__COUNT; s++) {
		snprintf(cell, sizeof(cell), " | %s | ", marks[an.hosts[0].steps[s].state]);
		ck_assert_msg(strncmp(rows[s] + 2, an.hosts[0].steps[s].title,
		    strlen(an.hosts[0].steps[s].title)) == 0, "row %d: %s", s, rows[s]);
		ck_assert_msg(strstr(rows[s], cell) != NULL, "row %d: want %s: %s", s, cell, rows[s]);
	}
	pgr_analysis_free(&an);
}

START_TEST(test_healthy)
{
	struct pgr_report r;
	char rows[8][512];
	char *out;

	report_init(&r);
	b_healthy(&r);
	out = render(&r);
	check_safe(out);
	ck_assert_msg(starts(out, "## \u2713 pgreach: OK\n"), "%.200s", out);
	check_checklist(out, &r);
	ck_assert_ptr_null(strstr(out, "To fix"));
	ck_assert_ptr_null(strstr(out, "### Findings"));
	ck_assert_uint_eq(table_rows(out, "| Address | Port | DNS |", rows, 8), 4);
	ck_assert_str_eq(rows[0], "| 10.0.1.5 | 5432 | ok 1.50 | ok 0.400 | ok 2.70 | ok 6.70 | ok 2.20 |");
	ck_assert_str_eq(rows[3], "| 10.0.2.5 | 5433 | ok 1.50 | ok 1.40 | ok 2.70 | ok 6.70 | ok 2.20 |");
	free(out);
	pgr_report_free(&r);
}
END_TEST

START_TEST(test_tcp_timeout)
{
	struct pgr_report r;
	char rows[8][512];
	const char *p;
	char *out;
	size_t fixes = 0;

	report_init(&r);
	b_tcp_timeout(&r);
	out = render(&r);
	check_safe(out);
	ck_assert_msg(starts(out, "## \u2717 pgreach: CRITICAL\n"), "%.200s", out);
	ck_assert_ptr_nonnull(strstr(out, "First failure: tcp timeout at 10.0.1.5:5432."));
	check_checklist(out, &r);
	ck_assert_uint_eq(table_rows(out, "| Address | Port | DNS |", rows, 8), 4);
	ck_assert_str_eq(rows[1], "| 10.0.2.5 | 5432 | ok 1.50 | **timeout** 3000 | \u2013 | \u2013 | \u2013 |");
	/* the two causes a timeout on every port has, each remedy once */
	for (p = out; (p = strstr(p, "\n  - Fix: ")) != NULL; p++)
		fixes++;
	ck_assert_uint_eq(fixes, 2);
	ck_assert_ptr_nonnull(strstr(out, "1. **critical** `SECURITY_GROUP_BLOCKS` (security_group): "));
	ck_assert_ptr_nonnull(strstr(out, "2. **critical** `ENDPOINT_NOT_ACCEPTED` (acceptance): "));
	free(out);
	pgr_report_free(&r);
}
END_TEST

/* No address to try: one row for the lookup, under the name. */
START_TEST(test_nxdomain)
{
	struct pgr_report r;
	char rows[8][512], want[512];
	char *out;

	report_init(&r);
	b_nxdomain(&r);
	out = render(&r);
	check_safe(out);
	ck_assert_uint_eq(table_rows(out, "| Address | Port | DNS |", rows, 8), 2);
	snprintf(want, sizeof(want), "| %s | 5433 | **nxdomain** 12.5 | \u2013 | \u2013 | \u2013 | \u2013 |",
	    HOST_DEFAULT);
	ck_assert_str_eq(rows[1], want);
	free(out);
	pgr_report_free(&r);
}
END_TEST

/*
 * Hostile text in every place it can reach: a finding's summary, evidence
 * and remedy (a list item each), an address (a recorded
 * report is input too) and the host name (a heading and the checklist's
 * notes).  check_safe() holds, the fake row is no row, and the text reads
 * back: its letters are there, escaped.
 */
START_TEST(test_hostile)
{
	struct pgr_report r;
	char rows[8][512];
	const char *host = test_host;
	char *out;

	report_init(&r);
	test_host = "db|`x`<b>@evil.example\n| row |";
	b_auth(&r);
	test_host = host;
	snprintf(r.results[0].attempts[0].address, PGR_ADDRSTRLEN, "%s", "1.2.3.4|<i>`x`\n|");
	plant(PGR_F_LOGIN_ERROR, PGR_SEV_WARNING, PGR_CAUSE_DATABASE, HOSTILE, HOSTILE,
	    HOSTILE, 0);
	out = render(&r);
	check_safe(out);
	ck_assert_ptr_null(strstr(out, "\n| fake"));
	ck_assert_ptr_null(strstr(out, "\n| row"));
	ck_assert_ptr_nonnull(strstr(out, "a\\|b \\| fake \\| row \\|  &lt;script&gt;alert(1)&lt;/script&gt;&amp;amp;"));
	ck_assert_ptr_nonnull(strstr(out, "\\[click\\](http\\://evil.example/) !\\[img\\](https\\://evil.example/x.png)"));
	ck_assert_ptr_nonnull(strstr(out, "&lt;https\\://evil.example&gt; https\\://evil.example/p www\\.evil.example"));
	/* a zero-width space after '@': no mention, no e-mail autolink */
	ck_assert_ptr_nonnull(strstr(out, "ops@\xe2\x80\x8b" "evil.example @\xe2\x80\x8b" "everyone \\`code\\` \\`\\`x\\`\\`"));
	ck_assert_ptr_nonnull(strstr(out, "\\*\\*b\\*\\* \\_i\\_ \\~\\~s\\~\\~ \\\\\\| \\[31m"));
	/* controls gone, U+2028 a space, each bad byte one U+FFFD, é kept */
	ck_assert_ptr_nonnull(strstr(out, "\\[31m   \xef\xbf\xbd( \xef\xbf\xbd\xef\xbf\xbd "
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd \xc3\xa9"));
	ck_assert_ptr_nonnull(strstr(out, "### Checklist for db\\|\\`x\\`&lt;b&gt;@\xe2\x80\x8b" "evil.example \\| row \\|\n"));
	ck_assert_uint_eq(table_rows(out, "| Address | Port | DNS |", rows, 8), 4);
	ck_assert_str_eq(rows[0], "| 1.2.3.4\\|&lt;i&gt;\\`x\\` \\| | 5432 | ok 1.50 | ok 0.400 | ok 2.70 | **auth** 4.90 | \u2013 |");
	free(out);
	pgr_report_free(&r);
}
END_TEST

/* No target at all: the verdict and nothing else, still well-formed. */
START_TEST(test_empty)
{
	struct pgr_report r;
	char *out;

	report_init(&r);
	plant(PGR_F_EVIDENCE_CONTRADICTS, PGR_SEV_UNKNOWN, PGR_CAUSE_CONFIG,
	    "no target | given", NULL, NULL, -1);
	out = render(&r);
	check_safe(out);
	ck_assert_msg(starts(out, "## ? pgreach: UNKNOWN\n"), "%.200s", out);
	ck_assert_ptr_null(strstr(out, "| Address"));
	ck_assert_ptr_nonnull(strstr(out, "`EVIDENCE_CONTRADICTS` (config): no target \\| given\n"));
	free(out);
	pgr_report_free(&r);
}
END_TEST

static Suite *
markdown_suite(void)
{
	Suite *s = suite_create("markdown");
	TCase *tc = tcase_create("writer");

	tcase_add_test(tc, test_healthy);
	tcase_add_test(tc, test_tcp_timeout);
	tcase_add_test(tc, test_nxdomain);
	tcase_add_test(tc, test_hostile);
	tcase_add_test(tc, test_empty);
	suite_add_tcase(s, tc);
	return s;
}

PGR_CHECK_MAIN(markdown_suite)
