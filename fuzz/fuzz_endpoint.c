/*
 * pgr_endpoint_parse() and friends: host names and endpoint service names
 * taken apart into endpoint id, service, region and zone.  Oracles: an
 * endpoint name's parts are non-empty, its region is a valid region name,
 * a zone is the region plus one letter; a failed parse leaves all empty.
 */
#include "fuzz/common.h"
#include "report/endpoint.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pgr_endpoint_name e;
	char region[32], svc[64], tiny[4];
	char *s = fuzz_cstr(data, size);
	size_t rl;

	if (s == NULL)
		return 0;
	if (pgr_endpoint_parse(s, &e)) {
		FUZZ_ASSERT(e.is_endpoint && e.id[0] != '\0' && e.service[0] != '\0');
		FUZZ_ASSERT(pgr_region_valid(e.region));
		rl = strlen(e.region);
		FUZZ_ASSERT(e.zone[0] == '\0' || (strncmp(e.zone, e.region, rl) == 0 &&
		    strlen(e.zone) == rl + 1));
	} else
		FUZZ_ASSERT(!e.is_endpoint && e.id[0] == '\0' && e.region[0] == '\0');
	if (pgr_endpoint_region_from_service(s, region, sizeof(region)))
		FUZZ_ASSERT(region[0] != '\0');
	else
		FUZZ_ASSERT(region[0] == '\0');
	(void)pgr_endpoint_region_from_service(s, tiny, sizeof(tiny));
	(void)pgr_endpoint_service_id(s, svc, sizeof(svc));
	(void)pgr_endpoint_service_id(s, tiny, sizeof(tiny));
	(void)pgr_region_valid(s);
	free(s);
	return 0;
}
