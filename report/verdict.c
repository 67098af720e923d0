#include "report/verdict.h"

static bool
attempt_failed(const struct pgr_attempt *a)
{
	return pgr_err_failed(a->tcp.status) || pgr_err_failed(a->tls.status) ||
	    pgr_err_failed(a->login.status) || pgr_err_failed(a->query.status);
}

enum pgr_severity
pgr_verdict(const struct pgr_report *r)
{
	enum pgr_severity worst = PGR_SEV_OK;
	size_t i, j;

	for (i = 0; i < r->nfindings; i++)
		if (r->findings[i].severity > worst)
			worst = r->findings[i].severity;
	for (i = 0; i < r->ntargets; i++) {
		const struct pgr_target_result *tr = &r->results[i];

		if (pgr_err_failed(tr->dns.status))
			return PGR_SEV_CRITICAL;
		for (j = 0; j < tr->nattempts; j++)
			if (attempt_failed(&tr->attempts[j]))
				return PGR_SEV_CRITICAL;
	}
	return worst;
}
