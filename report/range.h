/*
 * Nagios threshold ranges, as the Monitoring Plugins development
 * guidelines define them: [@][start|~]:[end] or a bare end.
 *
 *	10	alert if < 0 or > 10
 *	10:	alert if < 10
 *	~:10	alert if > 10
 *	10:20	alert if < 10 or > 20
 *	@10:20	alert if >= 10 and <= 20
 *
 * Parsing is strict (trailing garbage, start > end, NaN and infinities are
 * errors) and locale independent: "0.5" means a half whatever LC_NUMERIC
 * says.
 */
#ifndef PGR_RANGE_H
#define PGR_RANGE_H

#include <stdbool.h>
#include <stddef.h>

struct pgr_range {
	bool	set;		/* a range was given; an unset range never alerts */
	bool	inside;		/* '@': alert when the value is inside start..end */
	bool	no_start;	/* '~': start is minus infinity */
	double	start;
	bool	no_end;		/* "start:": end is plus infinity */
	double	end;
};

/* 0 and *out filled, or -1 with a message in err (out is then unset). */
int	pgr_range_parse(const char *s, struct pgr_range *out, char *err,
	    size_t errlen);

/* true when value should raise the alert this range stands for. */
bool	pgr_range_alerts(const struct pgr_range *r, double value);

/*
 * The canonical text of r ("" for an unset range), for the warn and crit
 * fields of perfdata; what it prints parses back to the same range.
 * Returns the length written, or -1 (buf set to "") if len is too small.
 */
int	pgr_range_format(const struct pgr_range *r, char *buf, size_t len);

#endif
