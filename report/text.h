#ifndef PGR_TEXT_H
#define PGR_TEXT_H

#include <stdbool.h>
#include <stdio.h>

#include "probes/result.h"

struct pgr_evidence;

struct pgr_text_opts {
	bool	color;
	bool	utf8;			/* check marks; else [ok] [FAIL] [ ? ] */
	int	verbose;
	const struct pgr_evidence *ev;	/* for the checklist; may be NULL */
	const char *region;		/* expected region, may be NULL */
};

/* The human report: every target, address and phase, then findings. */
int	pgr_write_text(FILE *f, const struct pgr_report *r,
	    const struct pgr_text_opts *o);

#endif
