/*
 * pgr_range_parse(): Nagios threshold ranges from -w, -c and friends.
 * Oracle (range.h): what pgr_range_format() prints parses back to the
 * same range.
 */
#include <math.h>

#include "fuzz/common.h"
#include "report/range.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pgr_range r, back;
	char err[256], buf[160];
	char *s = fuzz_cstr(data, size);
	static const double probes[] = { -1e300, -1, 0, 0.5, 1, 10, 1e300, NAN };
	size_t i;

	if (s == NULL)
		return 0;
	if (pgr_range_parse(s, &r, err, sizeof(err)) == 0) {
		FUZZ_ASSERT(r.set);
		FUZZ_ASSERT(pgr_range_format(&r, buf, sizeof(buf)) >= 0);
		FUZZ_ASSERT(pgr_range_parse(buf, &back, err, sizeof(err)) == 0);
		FUZZ_ASSERT(back.inside == r.inside && back.no_start == r.no_start &&
		    back.no_end == r.no_end);
		FUZZ_ASSERT(r.no_start || back.start == r.start);
		FUZZ_ASSERT(r.no_end || back.end == r.end);
		for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
			FUZZ_ASSERT(pgr_range_alerts(&r, probes[i]) ==
			    pgr_range_alerts(&back, probes[i]));
		/* Too small a buffer is an error, never an overflow. */
		(void)pgr_range_format(&r, buf, 3);
	}
	free(s);
	return 0;
}
