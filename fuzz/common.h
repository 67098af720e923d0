/*
 * Shared bits of the libFuzzer harnesses: the input as a NUL-terminated
 * string (the parsers take C strings; an embedded NUL just ends it early,
 * as it would coming from argv or the environment).
 */
#ifndef PGR_FUZZ_COMMON_H
#define PGR_FUZZ_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s != NULL) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

/* A failed oracle: abort, so libFuzzer keeps the input as a crash. */
#define FUZZ_ASSERT(cond)	do { if (!(cond)) __builtin_trap(); } while (0)

#endif
