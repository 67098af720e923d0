#ifndef PGR_TEXT_H
#define PGR_TEXT_H

#include <stdbool.h>
#include <stdio.h>

#include "probes/result.h"

struct pgr_text_opts {
	bool	color;
	int	verbose;
};

/* The human report: every target, address and phase, then findings. */
int	pgr_write_text(FILE *f, const struct pgr_report *r,
	    const struct pgr_text_opts *o);

#endif
