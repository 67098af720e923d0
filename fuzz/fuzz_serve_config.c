/*
 * pgr_serve_config_parse(): the `pgreach serve` configuration file.
 * Oracles: a file that is not private never yields an inline password;
 * every target parsed is found again by its name, and its module exists;
 * a refused file leaves nothing allocated (ASan's leak check).
 */
#include "fuzz/common.h"
#include "serve/config.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pgr_serve_config c;
	char err[512];
	size_t i;

	if (pgr_serve_config_parse(&c, "fuzz.conf", (const char *)data, size,
	    size > 0 && data[0] == '#', err, sizeof(err)) != 0) {
		FUZZ_ASSERT(c.targets == NULL && c.modules == NULL);
		FUZZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL);
		return 0;
	}
	FUZZ_ASSERT(c.ntargets > 0 && c.nmodules > 0);
	for (i = 0; i < c.ntargets; i++) {
		const struct pgr_serve_target *t = &c.targets[i];

		FUZZ_ASSERT(pgr_serve_config_target(&c, t->name) == t);
		FUZZ_ASSERT(t->url != NULL);
		FUZZ_ASSERT(pgr_serve_config_module(&c,
		    t->module != NULL ? t->module : "default") != NULL);
		if (size == 0 || data[0] != '#')
			FUZZ_ASSERT(t->pwsrc != PGR_PW_INLINE);
	}
	pgr_serve_config_free(&c);
	return 0;
}
