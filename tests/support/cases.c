#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/cases.h"
#include "tests/support/load.h"

static json_t *
load_json(const char *dir, const char *rel, char *err, size_t errlen)
{
	char path[2048];
	json_error_t jerr;
	json_t *j;

	if (rel == NULL) {
		snprintf(err, errlen, "no file named");
		return NULL;
	}
	if (dir != NULL)
		snprintf(path, sizeof(path), "%s/%s", dir, rel);
	else
		snprintf(path, sizeof(path), "%s", rel);
	if ((j = json_load_file(path, 0, &jerr)) == NULL)
		snprintf(err, errlen, "%s: %s", path, jerr.text);
	return j;
}

static const char *
str(json_t *c, const char *key)
{
	return json_string_value(json_object_get(c, key));
}

int
case_load(const char *path, struct pgr_case *k, char *err, size_t errlen)
{
	char dir[1024], *slash;
	json_t *rep, *v;
	long warn_days = 14;
	size_t i;

	memset(k, 0, sizeof(*k));
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	if ((k->c = load_json(NULL, path, err, errlen)) == NULL)
		return -1;
	if ((rep = load_json(dir, str(k->c, "report"), err, errlen)) == NULL)
		return -1;
	if (pgr_report_load(rep, &k->r, err, errlen) != 0) {
		json_decref(rep);
		return -1;
	}
	json_decref(rep);
	json_array_foreach(json_object_get(k->c, "evidence"), i, v) {
		char ev[2048];

		snprintf(ev, sizeof(ev), "%s/%s", dir, json_string_value(v));
		if (pgr_evidence_load(&k->ev, ev, err, errlen) != 0)
			return -1;
	}
	if (json_object_get(k->c, "cert_warning_days") != NULL)
		warn_days = (long)json_integer_value(json_object_get(k->c, "cert_warning_days"));
	if (pgr_thresholds_set(&k->thr, str(k->c, "warning"), str(k->c, "critical"),
	    str(k->c, "query_warning"), str(k->c, "query_critical"), warn_days, 0,
	    err, errlen) != 0)
		return -1;
	k->o.region = str(k->c, "region");
	k->o.region_source = "--region";
	k->o.ev = k->ev.n ? &k->ev : NULL;
	k->o.sslmode = str(k->c, "sslmode") ? str(k->c, "sslmode") : "require";
	k->o.thr = &k->thr;
	return pgr_analyze(&k->an, &k->r, &k->o, err, errlen);
}

void
case_free(struct pgr_case *k)
{
	pgr_analysis_free(&k->an);
	pgr_report_free(&k->r);
	pgr_evidence_free(&k->ev);
	json_decref(k->c);
	memset(k, 0, sizeof(*k));
}
