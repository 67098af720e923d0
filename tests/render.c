/*
 * render CASE FORMAT: a recorded case (tests/support/cases.h) through the
 * analysis and one writer, to stdout, then "exit N".  tests/golden.test
 * compares every case in every format with fixtures/golden/, so a change
 * to report/ that changes any output shows as a diff.  FORMAT "text-utf8"
 * is the text writer with check marks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>

#include "report/writer.h"
#include "tests/support/cases.h"

int
main(int argc, char **argv)
{
	const struct pgr_writer *w;
	struct pgr_write_opts wo;
	struct timespec t0, t1;
	struct pgr_case k;
	char err[512];
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: render CASE FORMAT\n");
		return 2;
	}
	memset(&wo, 0, sizeof(wo));
	/* text, text-utf8, text-v, text-vv, text-q: the text writer as a
	 * 100-column terminal shows it, with check marks or at a verbosity */
	if (strncmp(argv[2], "text", 4) == 0) {
		wo.utf8 = strstr(argv[2], "utf8") != NULL;
		wo.verbose = strstr(argv[2], "-vv") ? 2 : strstr(argv[2], "-v") ? 1 :
		    strstr(argv[2], "-q") ? -1 : 0;
		wo.width = 100;
	}
	/* nagios-address: the Nagios writer with --perfdata address */
	if (strcmp(argv[2], "nagios-address") == 0)
		wo.perfdata = PGR_PERF_ADDRESS;
	if ((w = pgr_writer_find(strncmp(argv[2], "text", 4) == 0 ? "text" :
	    wo.perfdata == PGR_PERF_ADDRESS ? "nagios" : argv[2])) == NULL) {
		fprintf(stderr, "render: no format %s\n", argv[2]);
		return 2;
	}
	if (case_load(argv[1], &k, err, sizeof(err)) != 0) {
		fprintf(stderr, "render: %s: %s\n", argv[1], err);
		case_free(&k);
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = w->write(stdout, &k.an, &wo);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* bench/nagios-labels.sh: the writer's own time, apart from loading */
	if (getenv("PGR_RENDER_TIME") != NULL)
		fprintf(stderr, "write %.3f s\n", (double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	printf("exit %d\n", (int)k.an.status);
	case_free(&k);
	return rc != 0 ? 1 : 0;
}
