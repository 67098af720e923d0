#ifndef PGR_LOAD_H
#define PGR_LOAD_H

#include <stddef.h>

#include <jansson.h>

#include "probes/result.h"

/* Results from a pgreach/1 JSON report; findings are not read. */
int	pgr_report_load(json_t *root, struct pgr_report *r, char *err, size_t errlen);

#endif
