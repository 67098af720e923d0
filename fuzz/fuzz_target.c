/*
 * pgr_target_parse(): postgres:// URLs and libpq key=value strings, as
 * given on the command line, in DATABASE_URL or in a --targets file.
 * Oracles: the redacted URL of a parsed target parses again, to the same
 * host and port; the scrubber never writes past the buffer it is given.
 */
#include <stdio.h>

#include "fuzz/common.h"
#include "probes/target.h"
#include "util/secrets.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pgr_target t, again;
	char err[512], msg[64];
	char *s = fuzz_cstr(data, size);

	if (s == NULL)
		return 0;
	if (pgr_target_parse(s, "fuzz", PGR_ROLE_POSTGRES, &t, err,
	    sizeof(err)) == 0) {
		FUZZ_ASSERT(t.host != NULL && t.url != NULL);
		FUZZ_ASSERT(t.port >= 1 && t.port <= 65535);
		if (pgr_target_parse(t.url, "fuzz", PGR_ROLE_POSTGRES, &again,
		    err, sizeof(err)) == 0) {
			FUZZ_ASSERT(again.port == t.port);
			pgr_target_free(&again);
		}
		pgr_target_free(&t);
	}
	/* A message that echoes the input, scrubbed into a small buffer. */
	snprintf(msg, sizeof(msg), "bad target: %s", s);
	pgr_secrets_scrub_from(s, msg, sizeof(msg));
	FUZZ_ASSERT(memchr(msg, '\0', sizeof(msg)) != NULL);
	/* Parsing registers the target's secrets; one run's worth at a time. */
	pgr_secrets_clear();
	free(s);
	return 0;
}
