/*
 * Monotonic time, as milliseconds in a double.  Phase ends are stored as
 * offsets from a start, like curl's time_namelookup / time_connect.
 */
#ifndef PGR_CLOCK_H
#define PGR_CLOCK_H

#include <time.h>

static inline double
pgr_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

#endif
