/*
 * pgr_report_load(): a pgreach/1 JSON report read back (a report attached
 * to a support ticket), through jansson; then what is done with a loaded
 * report: the diagnosis, the verdict, the thresholds and every writer.
 */
#include <stdio.h>

#include <jansson.h>

#include "fuzz/common.h"
#include "report/diagnose.h"
#include "report/json.h"
#include "report/load.h"
#include "report/nagios.h"
#include "report/prometheus.h"
#include "report/text.h"
#include "report/verdict.h"

static FILE *devnull;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pgr_report r;
	struct pgr_diag_opts d;
	struct pgr_nagios_opts no;
	struct pgr_text_opts to;
	json_error_t jerr;
	json_t *root;
	char err[512];

	if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL)
		return 0;
	root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return 0;
	if (pgr_report_load(root, &r, err, sizeof(err)) != 0) {
		pgr_report_free(&r);	/* safe after a failure: it zeroes r */
		json_decref(root);
		return 0;
	}
	memset(&d, 0, sizeof(d));
	d.region = "us-east-1";
	d.region_source = "--region";
	d.cert_warning_days = 14;
	d.sslmode = "require";
	pgr_diagnose(&r, &d);
	r.status = pgr_verdict(&r);
	memset(&no, 0, sizeof(no));
	if (pgr_nagios_opts_set(&no, "0.5", "2", "0.1", "1", 14, 0, err,
	    sizeof(err)) == 0)
		(void)pgr_thresholds_apply(&r, &no);
	(void)pgr_write_json(devnull, &r);
	(void)pgr_write_nagios(devnull, &r, &no);
	(void)pgr_write_prometheus(devnull, &r);
	memset(&to, 0, sizeof(to));
	to.utf8 = true;
	to.verbose = 2;
	to.region = "us-east-1";
	(void)pgr_write_text(devnull, &r, &to);
	pgr_report_free(&r);
	json_decref(root);
	return 0;
}
