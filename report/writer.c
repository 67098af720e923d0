#include <stdio.h>
#include <string.h>

#include "report/writer.h"

const struct pgr_writer pgr_writers[] = {
	{ "text", pgr_write_text, NULL, "report.txt", "text/plain" },
	{ "json", pgr_write_json, pgr_error_json, "report.json", "application/json" },
	{ "nagios", pgr_write_nagios, pgr_error_nagios, "nagios.txt", "text/plain" },
	{ "prometheus", pgr_write_prometheus, pgr_error_prometheus, NULL, "text/plain; version=0.0.4" },
	{ "junit", pgr_write_junit, pgr_error_junit, NULL, "application/xml" },
	{ "markdown", pgr_write_markdown, NULL, NULL, "text/markdown; charset=utf-8; variant=GFM" },
	{ "html", pgr_write_html, NULL, "report.html", "text/html; charset=utf-8" },
	{ NULL, NULL, NULL, NULL, NULL }
};

const struct pgr_writer *
pgr_writer_find(const char *name)
{
	const struct pgr_writer *w;

	for (w = pgr_writers; name != NULL && w->name != NULL; w++)
		if (strcmp(w->name, name) == 0)
			return w;
	return NULL;
}

const char *
pgr_writer_names(void)
{
	static char names[256];
	const struct pgr_writer *w;
	size_t n = 0;

	if (names[0] != '\0')
		return names;
	for (w = pgr_writers; w->name != NULL && n < sizeof(names); w++)
		n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s",
		    n ? ", " : "", w->name);
	return names;
}
