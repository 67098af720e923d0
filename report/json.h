#ifndef PGR_JSON_H
#define PGR_JSON_H

#include <stdio.h>

#include "probes/result.h"

/* The contract's JSON (schema pgreach/1), one object, to f. */
int	pgr_write_json(FILE *f, const struct pgr_report *r);

#endif
