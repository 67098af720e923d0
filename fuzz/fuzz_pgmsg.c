/*
 * What pgreach reads from the network itself: libpq's error messages,
 * which carry the server's words (PQERRORS_VERBOSE: "FATAL:  28P01: ..."),
 * split into SQLSTATE and text, scrubbed of the password, classified.
 *
 * Input: byte 0 sets the text buffer's size (1..256), byte 1 the secret's
 * length (0..31), then the secret, then the message.
 * Oracles: the SQLSTATE is empty or five characters; the text fits; a
 * secret of at least PGR_SECRET_MIN bytes (shorter ones are left alone on
 * purpose) that shares no byte with "REDACTED" or the escapes (so that the
 * replacement and its neighbours cannot spell it again) is not in the text;
 * the cleaner alone leaves no control byte.
 */
#include <stdio.h>

#include "fuzz/common.h"
#include "probes/pgmsg.h"
#include "util/secrets.h"

/*
 * The text is escaped after it is scrubbed: "\xbd" next to "ddd" spells
 * "dddd" anew without any byte of the secret getting through, so the
 * oracle leaves out secrets made of the escapes' own characters too.
 */
static int
shares_byte_with_redacted(const char *s)
{
	return strpbrk(s, "REDACT\\xu0123456789abcdefnrt") != NULL;
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
	if (strlen(secret) >= PGR_SECRET_MIN && !shares_byte_with_redacted(secret))
		FUZZ_ASSERT(strstr(text, secret) == NULL);
	(void)pgr_pgmsg_login_code(sqlstate, text);
	(void)pgr_pgmsg_login_code(NULL, NULL);
	(void)pgr_pgmsg_tls_code(text);
	(void)pgr_pgmsg_tls_code(msg);

	/* The cleaner alone, on a small buffer: one line, no control byte. */
	pgr_secrets_clean(buf, sizeof(buf), msg, secret);
	FUZZ_ASSERT(memchr(buf, '\0', sizeof(buf)) != NULL);
	for (size_t i = 0; buf[i] != '\0'; i++)
		FUZZ_ASSERT((unsigned char)buf[i] >= 0x20 && buf[i] != 0x7f);
	free(msg);
	return 0;
}
