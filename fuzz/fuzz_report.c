/*
 * pgr_report_load(): a pgreach/1 JSON report read back (a report attached
 * to a support ticket), through jansson; then what is done with a loaded
 * report: the diagnosis, the verdict, the thresholds and every writer.
 */
#include <stdio.h>

#include <jansson.h>

#include "fuzz/common.h"
#include "report/analysis.h"
#include "report/writer.h"
#include "tests/support/load.h"

static FILE *devnull;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct pgr_writer *w;
	struct pgr_analysis_opts o;
	struct pgr_write_opts wo;
	struct pgr_thresholds thr;
	struct pgr_analysis an;
	struct pgr_report r;
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
	memset(&o, 0, sizeof(o));
	o.region = "us-east-1";
	o.region_source = "--region";
	o.sslmode = "require";
	if (pgr_thresholds_set(&thr, "0.5", "2", "0.1", "1", 14, 0, err,
	    sizeof(err)) == 0)
		o.thr = &thr;
	if (pgr_analyze(&an, &r, &o, err, sizeof(err)) == 0) {
		memset(&wo, 0, sizeof(wo));
		wo.utf8 = true;
		wo.verbose = 2;
		for (w = pgr_writers; w->name != NULL; w++)
			(void)w->write(devnull, &an, &wo);
		pgr_analysis_free(&an);
	}
	pgr_report_free(&r);
	json_decref(root);
	return 0;
}
