/*
 * util/secrets.c: the registry and every scrub, on hostile text.
 *
 * Input: byte 0 sets the output buffer's size (1..256), byte 1 the
 * secret's length (0..31), then the secret, then the text.
 * Oracles: every output is NUL-terminated inside its buffer and nothing is
 * written past it; pgr_secrets_clean() leaves no control byte; a secret of
 * at least PGR_SECRET_MIN bytes that shares no byte with "REDACTED" (so
 * that the replacement and its neighbours cannot spell it again) survives
 * none of the scrubs: registered, given as extra, or written in a URL that
 * pgr_secrets_scrub_from() is handed; scrub_buf() and scrub_dup() agree.
 */
#include <stdio.h>

#include "fuzz/common.h"
#include "util/secrets.h"

static int
plain_secret(const char *s)
{
	return strlen(s) >= PGR_SECRET_MIN && strpbrk(s, "REDACT") == NULL;
}

/*
 * clean() escapes after it scrubs: "\xbd" beside "ddd" spells "dddd"
 * anew with no byte of the secret getting through.
 */
static int
escape_safe(const char *s)
{
	return plain_secret(s) && strpbrk(s, "\\xu0123456789abcdefnrt") == NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char secret[32], small[257], url[128], *text, *big, *dup, *buf;
	size_t cap, slen, n, len, i;

	if (size < 2)
		return 0;
	cap = (size_t)data[0] % 256 + 1;
	slen = (size_t)data[1] % 32;
	if (slen > size - 2)
		slen = size - 2;
	memcpy(secret, data + 2, slen);
	secret[slen] = '\0';
	if ((text = fuzz_cstr(data + 2 + slen, size - 2 - slen)) == NULL)
		return 0;
	n = strlen(text);

	/* Given as extra, then registered. */
	memset(small, 'X', sizeof(small));
	pgr_secrets_clean(small, cap, text, secret);
	FUZZ_ASSERT(memchr(small, '\0', cap) != NULL && small[cap] == 'X');
	for (i = 0; small[i] != '\0'; i++)
		FUZZ_ASSERT((unsigned char)small[i] >= 0x20 && small[i] != 0x7f);
	if (escape_safe(secret))
		FUZZ_ASSERT(strstr(small, secret) == NULL);

	pgr_secrets_add(secret);
	pgr_secrets_add_from(text);
	big = malloc(n * 8 + 16);
	if (big != NULL) {
		memcpy(big, text, n + 1);
		pgr_secrets_scrub(big, n * 8 + 16);
		if (plain_secret(secret))
			FUZZ_ASSERT(strstr(big, secret) == NULL);
		dup = pgr_secrets_scrub_dup(text);
		buf = strdup(text);
		len = n;
		if (dup != NULL && buf != NULL &&
		    pgr_secrets_scrub_buf(&buf, &len) >= 0) {
			FUZZ_ASSERT(len == strlen(dup) && memcmp(buf, dup, len) == 0);
			FUZZ_ASSERT(strcmp(big, dup) == 0);
		}
		free(dup);
		free(buf);
		free(big);
	}
	memset(small, 'X', sizeof(small));
	snprintf(small, cap, "%s", text);
	pgr_secrets_scrub(small, cap);
	FUZZ_ASSERT(memchr(small, '\0', cap) != NULL && small[cap] == 'X');
	pgr_secrets_clear();

	/* Not registered: found in the URL the message echoes. */
	if (plain_secret(secret) && strpbrk(secret, " \t\r\n\v\f\"'<>`:") == NULL) {
		snprintf(url, sizeof(url), "postgres://u:%s@h/db", secret);
		big = malloc(n * 8 + 16 + 64);
		if (big != NULL) {
			snprintf(big, n * 8 + 16 + 64, "%s %s", text, secret);
			pgr_secrets_scrub_from(url, big, n * 8 + 16 + 64);
			FUZZ_ASSERT(strstr(big, secret) == NULL);
			free(big);
		}
		FUZZ_ASSERT(pgr_secrets_count() == 0);
	}
	free(text);
	return 0;
}
