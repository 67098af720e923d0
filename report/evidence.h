/*
 * Offline evidence: files the user saved from the AWS and Heroku CLIs and
 * passed with --evidence.  The type comes from the content, never from the
 * file name:
 *
 *	aws ec2 describe-vpc-endpoints		JSON, "VpcEndpoints"
 *	aws ec2 describe-security-groups	JSON, "SecurityGroups"
 *	heroku data:privatelink			text ("Service Name:", accounts)
 *	heroku config [--shell|--json]		text or JSON, config vars
 *
 * A struct pgr_evidence starts zeroed ({0}) and gains one item per file
 * loaded.  Everything in it is a copy; pgr_evidence_free() releases it.
 *
 * Secrets: the heroku config holds database URLs with passwords.  They are
 * kept in memory only (pgr_ev_dburl.url, read it with pgr_evidence_db_url())
 * and wiped on free; every other field, the stored content and its sha256
 * are free of them and safe to print or bundle.
 */
#ifndef PGR_EVIDENCE_H
#define PGR_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>

#define PGR_EVIDENCE_MAX_SIZE	(4 * 1024 * 1024)

enum pgr_evidence_type {
	PGR_EV_VPC_ENDPOINTS,
	PGR_EV_SECURITY_GROUPS,
	PGR_EV_PRIVATELINK,
	PGR_EV_HEROKU_CONFIG,
	/* Fetched by --aws (input/aws), never detected in a file: */
	PGR_EV_SUBNETS,			/* DescribeSubnets */
	PGR_EV_NETWORK_ACLS,		/* DescribeNetworkAcls */
	PGR_EV_NETWORK_INTERFACES,	/* DescribeNetworkInterfaces */
	PGR_EV_AWS_CALLS		/* how each --aws call went */
};
const char *pgr_evidence_type_name(enum pgr_evidence_type t);

/*
 * VpcEndpoint.State, and the state of a Heroku "Connections" row, which
 * shows the same AWS connection state in words ("Pending Acceptance").
 */
enum pgr_vpce_state {
	PGR_VPCE_UNKNOWN,
	PGR_VPCE_PENDING_ACCEPTANCE,
	PGR_VPCE_PENDING,
	PGR_VPCE_AVAILABLE,
	PGR_VPCE_REJECTED,
	PGR_VPCE_EXPIRED,
	PGR_VPCE_FAILED,
	PGR_VPCE_DELETED,
	PGR_VPCE_DELETING,
	PGR_VPCE_PARTIAL
};
const char *pgr_vpce_state_name(enum pgr_vpce_state s);	/* "pendingAcceptance" */
/* Any case, spaces, '-' and '_' ignored; PGR_VPCE_UNKNOWN if none fits. */
enum pgr_vpce_state pgr_vpce_state_parse(const char *s);

struct pgr_vpce_dns {
	char	*name;			/* DnsName */
	char	*hosted_zone_id;	/* HostedZoneId, NULL if absent */
};

struct pgr_vpce_group {
	char	*id;			/* sg-... */
	char	*name;			/* NULL if absent */
};

/* One element of describe-vpc-endpoints' VpcEndpoints; NULL if absent. */
struct pgr_vpce {
	char	*id;			/* VpcEndpointId */
	char	*type;			/* VpcEndpointType: Interface, ... */
	char	*vpc_id;
	char	*owner_id;		/* the AWS account that owns the endpoint */
	char	*service_name;		/* com.amazonaws.vpce.<region>.vpce-svc-... */
	char	region[32];		/* from service_name, else from a DNS name; "" */
	char	service_region[32];	/* ServiceRegion (cross-region endpoints); "" */
	char	dns_region[32];		/* the region its own DNS names are in; "" */
	enum pgr_vpce_state state;
	char	*state_raw;		/* State as written */
	int	private_dns;		/* PrivateDnsEnabled: 1, 0, -1 absent */
	size_t	ndns;
	struct pgr_vpce_dns *dns;
	size_t	ngroups;
	struct pgr_vpce_group *groups;
	size_t	nsubnets;
	char	**subnets;
	/* Appended for --aws (input/aws); the JSON parser leaves them 0. */
	size_t	nenis;
	char	**enis;			/* NetworkInterfaceIds */
	char	*ip_address_type;	/* IpAddressType: ipv4, dualstack; NULL */
};

struct pgr_ev_vpc_endpoints {
	size_t	n;
	struct pgr_vpce *v;
};

enum pgr_sg_source {
	PGR_SG_CIDR4,			/* IpRanges[].CidrIp */
	PGR_SG_CIDR6,			/* Ipv6Ranges[].CidrIpv6 */
	PGR_SG_GROUP,			/* UserIdGroupPairs[].GroupId */
	PGR_SG_PREFIX_LIST		/* PrefixListIds[].PrefixListId */
};

/*
 * One inbound permission for one source: IpPermissions[] flattened, so a
 * permission with two CIDRs is two rules.
 */
struct pgr_sg_rule {
	int	protocol;		/* -1 all traffic, 6 tcp, 17 udp, ...; -2 unknown name */
	char	protocol_raw[16];	/* IpProtocol as written */
	int	from_port;		/* -1 if absent (all ports) */
	int	to_port;
	enum pgr_sg_source source_type;
	char	*source;		/* "10.0.0.0/16", "sg-...", "pl-..." */
	int	family;			/* 4 or 6 for a CIDR, else 0 */
	unsigned char net[16];		/* network, for a valid CIDR */
	int	prefix_len;		/* -1 if the CIDR did not parse */
};

struct pgr_sg {
	char	*id;			/* GroupId */
	char	*name;			/* GroupName */
	char	*vpc_id;
	size_t	nrules;
	struct pgr_sg_rule *rules;	/* inbound only */
};

struct pgr_ev_security_groups {
	size_t	n;
	struct pgr_sg *v;
};

enum pgr_pl_status {
	PGR_PL_UNKNOWN,
	PGR_PL_PROVISIONING,
	PGR_PL_OPERATIONAL
};
const char *pgr_pl_status_name(enum pgr_pl_status s);

enum pgr_pl_account_status {
	PGR_PL_ACCOUNT_UNKNOWN,
	PGR_PL_ACCOUNT_PENDING,
	PGR_PL_ACCOUNT_ACTIVE
};

struct pgr_pl_account {
	char	*arn;			/* arn:aws:iam::123456789012:root */
	char	account_id[13];		/* 12 digits from the ARN, "" if none */
	enum pgr_pl_account_status status;
	char	*status_raw;		/* NULL if the row had no status */
};

struct pgr_pl_connection {
	char	*endpoint_id;		/* vpce-... */
	char	*owner_arn;		/* NULL if absent */
	char	owner_account[13];	/* its 12 digits, "" */
	enum pgr_vpce_state state;
	char	*status_raw;
};

/* heroku data:privatelink; NULL / "" where the output did not say. */
struct pgr_ev_privatelink {
	char	*database;		/* postgresql-sushi-12345 */
	char	*service_name;
	char	region[32];		/* from service_name */
	enum pgr_pl_status status;
	char	*status_raw;
	size_t	naccounts;
	struct pgr_pl_account *accounts;
	size_t	nconnections;
	struct pgr_pl_connection *connections;
};

enum pgr_dburl_kind {
	PGR_DBURL_DATABASE,		/* DATABASE_URL */
	PGR_DBURL_ENDPOINT,		/* DATABASE_ENDPOINT_<ID>_URL */
	PGR_DBURL_ENDPOINT_PGBOUNCER	/* DATABASE_ENDPOINT_<ID>_PGBOUNCER_URL */
};

struct pgr_ev_dburl {
	char	*key;			/* the config var name */
	enum pgr_dburl_kind kind;
	char	*endpoint;		/* <ID>, NULL for DATABASE_URL */
	char	*redacted;		/* the URL without its password: printable */
	char	*url;			/* SECRET, as configured; never print */
};

struct pgr_ev_heroku_config {
	char	*app;			/* from "=== <app> Config Vars", NULL if absent */
	size_t	nvars;			/* config vars seen, database or not */
	size_t	nurls;
	struct pgr_ev_dburl *urls;
};

/* DescribeSubnets: where each of the endpoint's subnets is. */
struct pgr_subnet {
	char	*id;
	char	*vpc_id;
	char	*cidr;			/* CidrBlock */
	char	*az;			/* AvailabilityZone: us-east-1a */
	char	*az_id;			/* AvailabilityZoneId: use1-az4 */
};

struct pgr_ev_subnets {
	size_t	n;
	struct pgr_subnet *v;
};

/* One entry of a network ACL, either direction. */
struct pgr_nacl_entry {
	int	rule_number;		/* 32767 is the default "*" rule */
	bool	egress;
	bool	allow;			/* RuleAction allow, else deny */
	int	protocol;		/* -1 all, 6 tcp, 17 udp, ...; -2 unknown */
	int	from_port;		/* PortRange; -1 if absent (all ports) */
	int	to_port;
	char	*cidr;			/* CidrBlock or Ipv6CidrBlock */
	int	family;			/* 4 or 6 */
	unsigned char net[16];
	int	prefix_len;		/* -1 if the CIDR did not parse */
};

struct pgr_nacl {
	char	*id;
	char	*vpc_id;
	bool	is_default;
	size_t	nsubnets;
	char	**subnets;		/* Associations[].SubnetId */
	size_t	nentries;
	struct pgr_nacl_entry *entries;	/* sorted by rule number, as evaluated */
};

struct pgr_ev_network_acls {
	size_t	n;
	struct pgr_nacl *v;
};

/* DescribeNetworkInterfaces: which interface holds which address. */
struct pgr_eni {
	char	*id;
	char	*subnet_id;
	char	*vpc_id;
	char	*az;			/* AvailabilityZone */
	char	*status;		/* in-use, available, ... */
	char	*type;			/* InterfaceType: vpc_endpoint, interface */
	size_t	naddrs;
	char	**addrs;		/* private IPv4 and IPv6 addresses */
};

struct pgr_ev_network_interfaces {
	size_t	n;
	struct pgr_eni *v;
};

/* How one --aws API call went: an outcome code, never only text. */
enum pgr_aws_status {
	PGR_AWS_OK,
	PGR_AWS_NOT_ASKED,		/* an earlier call's answer was needed */
	PGR_AWS_NO_CREDENTIALS,
	PGR_AWS_ACCESS_DENIED,		/* UnauthorizedOperation, AccessDenied */
	PGR_AWS_THROTTLED,		/* RequestLimitExceeded past the retries */
	PGR_AWS_NOT_FOUND,		/* InvalidVpcEndpointId.NotFound & co. */
	PGR_AWS_TIMEOUT,		/* no answer before the run's deadline */
	PGR_AWS_BAD_ANSWER,		/* not the EC2 XML expected */
	PGR_AWS_ERROR			/* any other error: connect, HTTP, API */
};
const char *pgr_aws_status_name(enum pgr_aws_status s);

enum pgr_aws_action {
	PGR_AWS_DESCRIBE_VPC_ENDPOINTS,
	PGR_AWS_DESCRIBE_SECURITY_GROUPS,
	PGR_AWS_DESCRIBE_SUBNETS,
	PGR_AWS_DESCRIBE_NETWORK_ACLS,
	PGR_AWS_DESCRIBE_NETWORK_INTERFACES,
	PGR_AWS__NACTIONS
};

struct pgr_aws_call {
	enum pgr_aws_status status;
	int	http_status;		/* 0: no answer */
	int	tries;
	double	ms;			/* from the run's start to the last answer */
	char	error_code[64];		/* the API's <Code>, "" */
	char	request_id[64];		/* the API's RequestId, "" */
	char	detail[256];		/* printable, free of secrets */
};

/*
 * A target host --aws looked up, and the endpoint it stands for: by the
 * vpce- ID in its name, or, for a name without one (a private hosted
 * zone's alias, an IP literal), by the endpoints' DnsEntries, its CNAME
 * chain or its addresses on the endpoints' network interfaces.
 */
#define PGR_AWS_MAX_HOSTS	8
struct pgr_aws_host {
	char	host[256];		/* as the target names it */
	char	endpoint_id[64];	/* the endpoint it stands for; "" none */
	char	how[16];		/* "id", "dns_name", "cname", "address", "" */
	char	why[256];		/* none: what was looked for, among what */
};

/* The --aws run in one region: where it asked, as whom, each call's outcome. */
struct pgr_ev_aws_calls {
	char	region[32];
	char	endpoint_id[64];	/* the first vpce- ID asked for or matched */
	char	cred_source[48];	/* "environment", "profile default", ... */
	struct pgr_aws_call calls[PGR_AWS__NACTIONS];
	size_t	nhosts;
	struct pgr_aws_host hosts[PGR_AWS_MAX_HOSTS];
};
/* "DescribeNetworkAcls" and "ec2:DescribeNetworkAcls". */
const char *pgr_aws_action_name(enum pgr_aws_action a);
const char *pgr_aws_iam_action(enum pgr_aws_action a);

struct pgr_evidence_item {
	enum pgr_evidence_type type;
	char	*path;			/* as given; "(buffer)" from load_buffer */
	/*
	 * What the bundle may hold: the file as read, except a heroku
	 * config, which is rewritten with every value redacted.  sha256 is
	 * of this content (hex), so no digest of a password leaves memory.
	 */
	char	*content;
	size_t	content_len;
	char	sha256[65];
	union {
		struct pgr_ev_vpc_endpoints endpoints;
		struct pgr_ev_security_groups groups;
		struct pgr_ev_privatelink privatelink;
		struct pgr_ev_heroku_config config;
		struct pgr_ev_subnets subnets;
		struct pgr_ev_network_acls acls;
		struct pgr_ev_network_interfaces enis;
		struct pgr_ev_aws_calls aws;
	} u;
};

struct pgr_evidence {
	size_t	n;
	struct pgr_evidence_item *items;
};

/*
 * Read path (at most PGR_EVIDENCE_MAX_SIZE bytes; pipes are fine), detect
 * its type and append it to ev.  0, or -1 with a message in err naming the
 * file and what is wrong (ev is then unchanged).
 */
int	pgr_evidence_load(struct pgr_evidence *ev, const char *path,
	    char *err, size_t errlen);
/* The same from memory; name is used in messages and as the item's path. */
int	pgr_evidence_load_buffer(struct pgr_evidence *ev, const char *name,
	    const void *buf, size_t len, char *err, size_t errlen);
void	pgr_evidence_free(struct pgr_evidence *ev);
/* Free items [n, ev->n): what --aws added on an earlier round of --wait. */
void	pgr_evidence_truncate(struct pgr_evidence *ev, size_t n);
/* The first item of type t, or NULL. */
const struct pgr_evidence_item *pgr_evidence_find(const struct pgr_evidence *ev,
	    enum pgr_evidence_type t);

/* The SHA-256 of len bytes at p as 64 hex digits; false if OpenSSL fails. */
bool	pgr_sha256_hex(const void *p, size_t len, char out[65]);

/* The endpoint with this VpcEndpointId (any case) in any item, or NULL. */
const struct pgr_vpce *pgr_evidence_find_vpce(const struct pgr_evidence *ev,
	    const char *vpce_id);

/* heroku data:privatelink's Connections row for this endpoint (any case), NULL. */
const struct pgr_pl_connection *pgr_evidence_find_connection(
	    const struct pgr_evidence *ev, const char *vpce_id);

/*
 * The configured URL of config var key (e.g. "DATABASE_URL"), password
 * included, or NULL.  The one way to the secret: hand it to libpq, never
 * to a writer.
 */
const char *pgr_evidence_db_url(const struct pgr_evidence *ev,
	    const char *key);

/*
 * Do the inbound rules of the security groups in ev let TCP to port in
 * from client_addr (an IPv4 or IPv6 literal, or NULL for "from anywhere")?
 * When a describe-vpc-endpoints item names the endpoint's groups, only
 * those groups count; otherwise every group in ev does.
 *
 *  1  allowed; why names the group and rule
 *  0  no rule allows it; why says what is open instead, if anything
 * -1  cannot tell: no security-group evidence, the endpoint's groups are
 *     missing from it, only group-reference or prefix-list rules match,
 *     or (client_addr NULL) only some source ranges are allowed
 */
int	pgr_sg_allows(const struct pgr_evidence *ev, const char *client_addr,
	    int port, char *why, size_t len);
/*
 * The same for the endpoint v a target stands for: only v's own groups
 * count when v names any (several endpoints in the evidence, as --aws
 * gives for several targets or a listing); v NULL is pgr_sg_allows().
 */
int	pgr_sg_allows_vpce(const struct pgr_evidence *ev, const struct pgr_vpce *v,
	    const char *client_addr, int port, char *why, size_t len);

/*
 * The network ACLs of the endpoint's subnets (needs --aws): do they let
 * TCP to port in from client_addr (direction 0, inbound), or let the
 * endpoint's answers out to client_addr's ephemeral ports 1024-65535
 * (direction 1, the return traffic; a network ACL is stateless)?
 * Entries are read lowest rule number first, the first match decides.
 *  1  every subnet's ACL allows it
 *  0  one denies it; why names the ACL, subnet and rule
 * -1  cannot tell: no ACL evidence, or no client address to match
 */
int	pgr_nacl_allows(const struct pgr_evidence *ev, const struct pgr_vpce *v,
	    const char *client_addr, int port, int direction, char *why, size_t len);

/*
 * The network interface of the endpoint v that holds addr, and its
 * subnet's zone (AvailabilityZone, and the zone ID if DescribeSubnets
 * answered).  NULL if none does; *known false if the interfaces were not
 * described (then NULL says nothing).
 */
const struct pgr_eni *pgr_eni_for_addr(const struct pgr_evidence *ev,
	    const struct pgr_vpce *v, const char *addr, const char **zone_id,
	    bool *known);

/* The --aws calls item, NULL without --aws. */
const struct pgr_ev_aws_calls *pgr_evidence_aws(const struct pgr_evidence *ev);
/*
 * The --aws calls item of the region host was looked up in (any case, a
 * trailing dot ignored), and that host's entry in *hp (NULL if none);
 * else the first calls item.  NULL without --aws.
 */
const struct pgr_ev_aws_calls *pgr_evidence_aws_host(const struct pgr_evidence *ev,
	    const char *host, const struct pgr_aws_host **hp);
/* Two host names are one: any case, a trailing dot ignored. */
bool	pgr_evidence_same_host(const char *a, const char *b);
/*
 * The endpoint a target stands for: the one with vpce_id (from its name;
 * NULL if the name has none), else the one --aws matched to host.  NULL.
 */
const struct pgr_vpce *pgr_evidence_vpce_for(const struct pgr_evidence *ev,
	    const char *host, const char *vpce_id);

#endif
