#include <stdlib.h>
#include <string.h>

#include "report/finding.h"

const char *
pgr_severity_name(enum pgr_severity s)
{
	static const char *const names[] = { "ok", "warning", "critical", "unknown" };

	return (unsigned)s <= PGR_SEV_UNKNOWN ? names[s] : "unknown";
}

const char *
pgr_cause_name(enum pgr_cause c)
{
	static const char *const names[PGR_CAUSE__COUNT] = {
		"region", "security_group", "acceptance", "dns", "routing",
		"tls", "certificate", "credentials", "database", "capacity",
		"service", "latency", "config",
	};

	return (unsigned)c < PGR_CAUSE__COUNT ? names[c] : "config";
}

static const char *const code_names[PGR_CODE__COUNT] = {
	[PGR_CODE_NONE] = "NONE",
#define PGR_CODE_NAME(n) [PGR_F_##n] = #n,
	PGR_CODES(PGR_CODE_NAME)
#undef PGR_CODE_NAME
};

const char *
pgr_code_name(enum pgr_code c)
{
	return (unsigned)c < PGR_CODE__COUNT ? code_names[c] : "NONE";
}

enum pgr_code
pgr_code_from_name(const char *name)
{
	int i;

	for (i = 1; name != NULL && i < PGR_CODE__COUNT; i++)
		if (strcmp(code_names[i], name) == 0)
			return (enum pgr_code)i;
	return PGR_CODE_NONE;
}

static char *
dup_or_null(const char *s, int *oom)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*oom = 1;
	return d;
}

int
pgr_findings_add(struct pgr_findings *l, enum pgr_code code,
    enum pgr_severity sev, enum pgr_cause cause, const char *summary,
    const char *evidence, const char *remedy, int target)
{
	struct pgr_finding *f;

	f = realloc(l->v, (l->n + 1) * sizeof(*f));
	if (f == NULL) {
		l->oom = 1;
		return -1;
	}
	l->v = f;
	f = &l->v[l->n++];
	f->code = code;
	f->severity = sev;
	f->cause = cause;
	f->summary = dup_or_null(summary, &l->oom);
	f->evidence = dup_or_null(evidence, &l->oom);
	f->remedy = dup_or_null(remedy, &l->oom);
	f->target = target;
	f->port = 0;
	return l->oom ? -1 : 0;
}

void
pgr_findings_sort(struct pgr_findings *l, size_t from)
{
	struct pgr_finding *f;
	size_t i, j, m = l->n > from ? l->n - from : 0;

	if (m < 2)
		return;		/* and l->v may be NULL: no pointer arithmetic on it */
	f = l->v + from;

	for (i = 1; i < m; i++)		/* insertion sort: stable */
		for (j = i; j > 0 && f[j - 1].severity < f[j].severity; j--) {
			struct pgr_finding t = f[j];

			f[j] = f[j - 1];
			f[j - 1] = t;
		}
}

void
pgr_findings_free(struct pgr_findings *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].summary);
		free(l->v[i].evidence);
		free(l->v[i].remedy);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}
