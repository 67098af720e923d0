/*
 * Findings: what the analysis concludes from a run.  Codes and causes are
 * enums, named for output through one table each; nothing compares their
 * names.  A new rule adds its code to PGR_CODES and a row to its table.
 */
#ifndef PGR_FINDING_H
#define PGR_FINDING_H

#include <stddef.h>

enum pgr_severity {
	PGR_SEV_OK,
	PGR_SEV_WARNING,
	PGR_SEV_CRITICAL,
	PGR_SEV_UNKNOWN
};
const char *pgr_severity_name(enum pgr_severity s);	/* "ok", "warning", ... */

/* The contract's causes, in its order. */
enum pgr_cause {
	PGR_CAUSE_REGION,
	PGR_CAUSE_SECURITY_GROUP,
	PGR_CAUSE_ACCEPTANCE,
	PGR_CAUSE_DNS,
	PGR_CAUSE_ROUTING,
	PGR_CAUSE_TLS,
	PGR_CAUSE_CERTIFICATE,
	PGR_CAUSE_CREDENTIALS,
	PGR_CAUSE_DATABASE,
	PGR_CAUSE_CAPACITY,
	PGR_CAUSE_SERVICE,
	PGR_CAUSE_LATENCY,
	PGR_CAUSE_CONFIG,
	PGR_CAUSE__COUNT
};
const char *pgr_cause_name(enum pgr_cause c);		/* "security_group" */

/* Every finding code, stable and documented (doc/pgreach.1). */
#define PGR_CODES(X) \
	X(REGION_MISMATCH) X(PRIVATELINK_PROVISIONING) X(ACCOUNT_NOT_ALLOWED) \
	X(ENDPOINT_NOT_AVAILABLE) X(SECURITY_GROUP_EVIDENCE) \
	X(SECURITY_GROUP_BLOCKS) X(NETWORK_ACL_BLOCKS) X(ENDPOINT_NOT_ACCEPTED) \
	X(ENDPOINT_STATE) X(DNS_NXDOMAIN) X(DNS_SERVFAIL) X(DNS_TIMEOUT) \
	X(DNS_REFUSED) X(DNS_NO_ADDRESS) X(DNS_ERROR) X(PUBLIC_ADDRESS) \
	X(ADDRESS_OUTSIDE_VPC) X(TCP_UNREACHABLE) X(SECURITY_GROUP_PORT) \
	X(ZONE_UNREACHABLE) X(TCP_REFUSED) X(TCP_ERROR) X(TLS_NOT_OFFERED) \
	X(CERT_VERIFY_FAILED) X(TLS_HANDSHAKE) X(TLS_OLD) X(SERVER_SILENT) \
	X(SERVER_CLOSED_TLS) X(CERT_EXPIRED) X(CERT_EXPIRING) \
	X(LOGIN_CAPACITY_USE_PGBOUNCER) X(LOGIN_AUTH) X(LOGIN_DATABASE) \
	X(LOGIN_CAPACITY) X(LOGIN_CLOSED) X(LOGIN_TIMEOUT) X(LOGIN_ERROR) \
	X(QUERY_ERROR) X(QUERY_TIMEOUT) X(EVIDENCE_CONTRADICTS) \
	X(SESSION_SLOW) X(QUERY_SLOW) \
	X(ENDPOINT_SERVICE_REGION) X(NETWORK_ACL_EVIDENCE) X(ADDRESS_NOT_ENDPOINT) \
	X(AWS_NO_CREDENTIALS) X(AWS_ACCESS_DENIED) X(AWS_THROTTLED) X(AWS_TIMEOUT) \
	X(AWS_ENDPOINT_NOT_FOUND) X(AWS_BAD_ANSWER) X(AWS_ERROR) \
	X(PATH_MTU_BLACKHOLE) X(PORT_SERVICE_DOWN) X(TLS_REQUIRED) \
	X(AWS_ENDPOINT_NO_MATCH) \
	X(IDLE_CUT) X(IDLE_SESSION_ENDED) X(KEEPALIVE_IDLE_LONG) \
	X(ENDPOINT_PENDING_ACCEPTANCE) \
	X(IPV6_UNREACHABLE) \
	X(ZONE_REFUSED) X(PGBOUNCER_BACKEND_FAILS) X(PGBOUNCER_MAX_CLIENT_CONN) \
	X(DATABASE_NOT_ACCEPTING) X(SERVER_STARTING_OR_STOPPING) X(SESSION_TERMINATED)

enum pgr_code {
	PGR_CODE_NONE = 0,
#define PGR_CODE_ENUM(n) PGR_F_##n,
	PGR_CODES(PGR_CODE_ENUM)
#undef PGR_CODE_ENUM
	PGR_CODE__COUNT
};
const char *pgr_code_name(enum pgr_code c);		/* "SECURITY_GROUP_BLOCKS" */
/* The code called name: PGR_CODE_NONE if none. */
enum pgr_code pgr_code_from_name(const char *name);

struct pgr_finding {
	enum pgr_code	 code;
	enum pgr_severity severity;
	enum pgr_cause	 cause;
	char		*summary;
	char		*evidence;
	char		*remedy;
	int		 target;	/* index into the report's targets, -1 for the run */
	int		 port;		/* the one port it concerns, 0: the whole host */
};

/* A growing list of findings; every string is owned by it. */
struct pgr_findings {
	size_t			 n;
	struct pgr_finding	*v;
	int			 oom;	/* an allocation failed: the list is short */
};

int	pgr_findings_add(struct pgr_findings *l, enum pgr_code code,
	    enum pgr_severity sev, enum pgr_cause cause, const char *summary,
	    const char *evidence, const char *remedy, int target);
/* Critical first, then warning, then ok; the order of addition within each. */
void	pgr_findings_sort(struct pgr_findings *l, size_t from);
void	pgr_findings_free(struct pgr_findings *l);

#endif
