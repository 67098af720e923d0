/*
 * What pgreach reads from the network itself: libpq's error messages,
 * which carry the server's words (PQERRORS_VERBOSE: "FATAL:  28P01: ..."),
 * split into SQLSTATE and text, scrubbed of the password, classified.
 *
 * Input: byte 0 sets the text buffer's size (1..256), byte 1 the secret's
 * length (0..31), then the secret, then the message.
 * Oracles: the SQLSTATE is empty or five characters; the text fits; a
 * secret of at least PGR_MIN_SECRET bytes (shorter ones are left alone on
 * purpose) that shares no byte with "REDACTED" (so that the replacement and
 * its neighbours cannot spell it again) is not in the text.
 */
#include <stdio.h>

#include "fuzz/common.h"
#include "probes/pgmsg.h"

#ifndef PGR_MIN_SECRET
#define PGR_MIN_SECRET 4
#endif

static int
shares_byte_with_redacted(const char *s)
{
	return strpbrk(s, "REDACT") != NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char sqlstate[6], text[257], buf[64], secret[32];
	size_t textlen, slen;
	char *msg;

	if (size < 2)
		return 0;
	textlen = (size_t)data[0] % 256 + 1;
	slen = (size_t)data[1] % 32;
	if (slen > size - 2)
		slen = size - 2;
	memcpy(secret, data + 2, slen);
	secret[slen] = '\0';
	if ((msg = fuzz_cstr(data + 2 + slen, size - 2 - slen)) == NULL)
		return 0;

	memset(text, 'X', sizeof(text));
	pgr_pgmsg_parse(msg, secret[0] ? secret : NULL, sqlstate, text, textlen);
	FUZZ_ASSERT(strlen(sqlstate) == 0 || strlen(sqlstate) == 5);
	FUZZ_ASSERT(memchr(text, '\0', textlen) != NULL);
	FUZZ_ASSERT(text[textlen] == 'X');	/* nothing past textlen */
	if (strlen(secret) >= PGR_MIN_SECRET && !shares_byte_with_redacted(secret))
		FUZZ_ASSERT(strstr(text, secret) == NULL);
	(void)pgr_pgmsg_login_code(sqlstate, text);
	(void)pgr_pgmsg_login_code(NULL, NULL);
	(void)pgr_pgmsg_tls_code(text);
	(void)pgr_pgmsg_tls_code(msg);

	/* The scrubber alone, on a small buffer. */
	snprintf(buf, sizeof(buf), "%s", msg);
	pgr_scrub_secret(buf, sizeof(buf), secret);
	FUZZ_ASSERT(memchr(buf, '\0', sizeof(buf)) != NULL);
	free(msg);
	return 0;
}
