/*
 * render CASE FORMAT: a recorded report (a fixtures/diagnose case file: a
 * pgreach/1 JSON report, evidence files, options) through the analysis and
 * one writer, to stdout.  tests/golden.test compares every case in every
 * format with fixtures/golden/, so a change to report/ that changes any
 * output shows as a diff.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report/diagnose.h"
#include "report/json.h"
#include "report/junit.h"
#include "report/load.h"
#include "report/nagios.h"
#include "report/prometheus.h"
#include "report/text.h"
#include "report/verdict.h"

static json_t *
load_json(const char *dir, const char *rel)
{
	char path[2048];
	json_error_t jerr;
	json_t *j;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if ((j = json_load_file(path, 0, &jerr)) == NULL)
		fprintf(stderr, "render: %s: %s\n", path, jerr.text);
	return j;
}

int
main(int argc, char **argv)
{
	struct pgr_evidence ev = { 0 };
	struct pgr_nagios_opts no;
	struct pgr_diag_opts o;
	struct pgr_report r;
	json_t *c, *rep, *v;
	char dir[1024], err[512], *slash;
	const char *fmt, *region, *sslmode;
	enum pgr_severity sev;
	long warn_days = 14;
	size_t i;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: render CASE FORMAT\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s", argv[1]);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		*slash = '\0';
	fmt = argv[2];
	if ((c = load_json(".", argv[1])) == NULL ||
	    (rep = load_json(dir, json_string_value(json_object_get(c, "report")))) == NULL)
		return 2;
	if (pgr_report_load(rep, &r, err, sizeof(err)) != 0) {
		fprintf(stderr, "render: %s\n", err);
		return 2;
	}
	json_array_foreach(json_object_get(c, "evidence"), i, v) {
		char path[2048];

		snprintf(path, sizeof(path), "%s/%s", dir, json_string_value(v));
		if (pgr_evidence_load(&ev, path, err, sizeof(err)) != 0) {
			fprintf(stderr, "render: %s\n", err);
			return 2;
		}
	}
	region = json_string_value(json_object_get(c, "region"));
	sslmode = json_string_value(json_object_get(c, "sslmode"));
	if (json_object_get(c, "cert_warning_days") != NULL)
		warn_days = (long)json_integer_value(json_object_get(c, "cert_warning_days"));
	memset(&o, 0, sizeof(o));
	o.region = region;
	o.region_source = "--region";
	o.ev = ev.n ? &ev : NULL;
	o.sslmode = sslmode ? sslmode : "require";
	o.cert_warning_days = warn_days;
	o.cert_critical_days = 0;
	if (pgr_nagios_opts_set(&no, NULL, NULL, NULL, NULL, warn_days, 0, err,
	    sizeof(err)) != 0)
		return 2;
	pgr_diagnose(&r, &o);
	r.status = pgr_verdict(&r);
	sev = pgr_thresholds_apply(&r, &no);
	if (sev > r.status)
		r.status = sev;
	if (strcmp(fmt, "json") == 0)
		rc = pgr_write_json(stdout, &r);
	else if (strcmp(fmt, "nagios") == 0)
		rc = pgr_write_nagios(stdout, &r, &no);
	else if (strcmp(fmt, "prometheus") == 0)
		rc = pgr_write_prometheus(stdout, &r);
	else if (strcmp(fmt, "junit") == 0)
		rc = pgr_write_junit(stdout, &r, o.ev, region);
	else {
		struct pgr_text_opts to = { 0 };

		to.ev = o.ev;
		to.region = region;
		to.utf8 = strcmp(fmt, "text-utf8") == 0;
		rc = pgr_write_text(stdout, &r, &to);
	}
	printf("exit %d\n", (int)r.status);
	pgr_report_free(&r);
	pgr_evidence_free(&ev);
	json_decref(rep);
	json_decref(c);
	return rc != 0 ? 1 : 0;
}
