/*
 * pgr_evidence_load_buffer(): every evidence parser (describe-vpc-
 * endpoints JSON, text and table, describe-security-groups JSON, heroku
 * data:privatelink text, heroku config in its three forms), type detected
 * from content, then the queries the diagnosis makes of the result.
 */
#include <stdio.h>

#include "fuzz/common.h"
#include "report/evidence.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pgr_evidence ev = { 0 };
	char err[512], why[256];
	size_t i, j;

	if (pgr_evidence_load_buffer(&ev, "fuzz", data, size, err,
	    sizeof(err)) != 0) {
		FUZZ_ASSERT(ev.n == 0);
		FUZZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL);
		return 0;
	}
	FUZZ_ASSERT(ev.n == 1 && ev.items[0].content != NULL);
	FUZZ_ASSERT(strlen(ev.items[0].sha256) == 64);
	for (i = 0; i < ev.n; i++) {
		const struct pgr_evidence_item *it = &ev.items[i];

		if (it->type == PGR_EV_VPC_ENDPOINTS)
			for (j = 0; j < it->u.endpoints.n; j++)
				if (it->u.endpoints.v[j].id != NULL)
					FUZZ_ASSERT(pgr_evidence_find_vpce(&ev,
					    it->u.endpoints.v[j].id) != NULL);
		if (it->type == PGR_EV_HEROKU_CONFIG)
			for (j = 0; j < it->u.config.nurls; j++)
				(void)pgr_evidence_db_url(&ev, it->u.config.urls[j].key);
	}
	(void)pgr_evidence_find_vpce(&ev, "vpce-0123456789abcdef0");
	(void)pgr_evidence_find_connection(&ev, "vpce-0a1b2c3d4e5f60718");
	for (i = 0; i < ev.n; i++)
		if (ev.items[i].type == PGR_EV_VPC_ENDPOINTS)
			for (j = 0; j < ev.items[i].u.endpoints.n; j++)
				FUZZ_ASSERT(strlen(ev.items[i].u.endpoints.v[j].region) <
				    sizeof(ev.items[i].u.endpoints.v[j].region));
	(void)pgr_evidence_db_url(&ev, "DATABASE_URL");
	(void)pgr_sg_allows(&ev, "10.0.1.5", 5432, why, sizeof(why));
	(void)pgr_sg_allows(&ev, "2001:db8::5", 5433, why, sizeof(why));
	(void)pgr_sg_allows(&ev, NULL, 5432, why, sizeof(why));
	(void)pgr_sg_allows(&ev, "10.0.1.5", 5432, why, 1);
	pgr_evidence_free(&ev);
	return 0;
}
