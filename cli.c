/*
 * Option parsing with getopt_long.  Every value is checked here, whole:
 * "10abc" is an error, not 10.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util/text.h"
#include "probes/target.h"
#include "util/secrets.h"

enum {
	OPT_FORMAT = 256, OPT_DNS_SERVER, OPT_REGION, OPT_VPC_CIDR, OPT_SSLMODE,
	OPT_SSLROOTCERT, OPT_QUERY, OPT_COUNT, OPT_QUERY_WARNING,
	OPT_QUERY_CRITICAL, OPT_CERT_WARNING, OPT_CERT_CRITICAL, OPT_EVIDENCE,
	OPT_BUNDLE, OPT_FORCE, OPT_NO_PGBOUNCER, OPT_NO_COLOR, OPT_PERFDATA, OPT_AWS,
	OPT_PARALLEL, OPT_THREADS, OPT_TARGETS, OPT_WAIT, OPT_IDLE
};

static const struct option long_opts[] = {
	{ "format",		required_argument, NULL, OPT_FORMAT },
	{ "timeout",		required_argument, NULL, 't' },
	{ "dns-server",		required_argument, NULL, OPT_DNS_SERVER },
	{ "region",		required_argument, NULL, OPT_REGION },
	{ "vpc-cidr",		required_argument, NULL, OPT_VPC_CIDR },
	{ "sslmode",		required_argument, NULL, OPT_SSLMODE },
	{ "sslrootcert",	required_argument, NULL, OPT_SSLROOTCERT },
	{ "query",		required_argument, NULL, OPT_QUERY },
	{ "count",		required_argument, NULL, OPT_COUNT },
	{ "warning",		required_argument, NULL, 'w' },
	{ "critical",		required_argument, NULL, 'c' },
	{ "query-warning",	required_argument, NULL, OPT_QUERY_WARNING },
	{ "query-critical",	required_argument, NULL, OPT_QUERY_CRITICAL },
	{ "cert-warning",	required_argument, NULL, OPT_CERT_WARNING },
	{ "cert-critical",	required_argument, NULL, OPT_CERT_CRITICAL },
	{ "evidence",		required_argument, NULL, OPT_EVIDENCE },
	{ "bundle",		required_argument, NULL, OPT_BUNDLE },
	{ "force",		no_argument,	   NULL, OPT_FORCE },
	{ "no-pgbouncer",	no_argument,	   NULL, OPT_NO_PGBOUNCER },
	{ "no-color",		no_argument,	   NULL, OPT_NO_COLOR },
	{ "aws",		no_argument,	   NULL, OPT_AWS },
	{ "parallel",		required_argument, NULL, OPT_PARALLEL },
	{ "threads",		required_argument, NULL, OPT_THREADS },
	{ "targets",		required_argument, NULL, OPT_TARGETS },
	{ "wait",		required_argument, NULL, OPT_WAIT },
	{ "idle",		required_argument, NULL, OPT_IDLE },
	{ "verbose",		no_argument,	   NULL, 'v' },
	{ "quiet",		no_argument,	   NULL, 'q' },
	{ "perfdata",		required_argument, NULL, OPT_PERFDATA },
	{ "version",		no_argument,	   NULL, 'V' },
	{ "help",		no_argument,	   NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

void
pgr_cli_usage(FILE *f, const char *progname)
{
	bool plugin = strcmp(progname, "check_pgreach") == 0;

	fprintf(f,
"Usage: %s [OPTIONS] [TARGET ...]\n"
"       pgreach serve --config FILE [...]   a Prometheus exporter: pgreach serve --help\n"
"Prove that this host reaches a Heroku Postgres database through its AWS\n"
"PrivateLink endpoint, or say which setup step is wrong.\n"
"%s"
"\n"
"TARGET is a postgres:// URL or a libpq key=value string.  Without one, the\n"
"DATABASE_ENDPOINT_<ID>_URL, DATABASE_ENDPOINT_<ID>_PGBOUNCER_URL and\n"
"DATABASE_URL environment variables are used.  A target on port 5432 also\n"
"probes its PgBouncer on 5433.\n"
"\n"
"Options:\n"
"      --format FORMAT       %s (default %s)\n"
"  -t, --timeout SECONDS     deadline for the whole run (default 10)\n"
"      --dns-server HOST[:PORT]  resolver to use instead of the system's (repeatable)\n"
"      --region REGION       the database's AWS region (else AWS_REGION, AWS_DEFAULT_REGION)\n"
"      --vpc-cidr CIDR       the client VPC's address range (repeatable)\n"
"      --sslmode MODE        libpq sslmode for the login (default require)\n"
"      --sslrootcert FILE    CA bundle for chain verification\n"
"      --query SQL           the timed query (default SELECT 1)\n"
"      --count N             how many times to run it (default 5)\n"
"  -w, --warning RANGE       warn on seconds to a logged-in session (Nagios range)\n"
"  -c, --critical RANGE      critical on seconds to a logged-in session\n"
"      --query-warning RANGE     warn on query p95, seconds\n"
"      --query-critical RANGE    critical on query p95, seconds\n"
"      --cert-warning DAYS   warn when the certificate expires within DAYS (default 14)\n"
"      --cert-critical DAYS  critical within DAYS (default 0)\n"
"      --evidence FILE       AWS/Heroku CLI output to weigh in (repeatable)\n"
"      --aws                 read the endpoint's state, security groups, subnets,\n"
"                            network ACLs and interfaces from the EC2 API during\n"
"                            the run (also PGREACH_AWS=1)\n"
"      --bundle PATH         also write an evidence bundle (.tar.gz)\n"
"      --force               overwrite an existing bundle\n"
"      --no-pgbouncer        do not add the 5433 PgBouncer sibling\n"
"      --targets FILE        more targets, one per line, or `heroku config` output\n"
"      --parallel N          at most N connections at once\n"
"      --threads N           step connections on N threads (default: one per\n"
"                            core, at most 8; 1: the poll loop alone)\n"
"      --wait DURATION       probe again (2 s doubling to 30 s) until OK or\n"
"                            DURATION (90s, 15m, 1h) has passed; report the last\n"
"      --idle DURATION       after the queries, keep one session per port idle\n"
"                            for DURATION (30s, 6m), then query it again: finds\n"
"                            flows cut when idle (PrivateLink, NLB, NAT: 350 s);\n"
"                            the run may take DURATION plus --timeout\n"
"      --no-color            no colour in text output\n"
"  -v, --verbose             more detail: every address and finding; twice,\n"
"                            the phase timings too, and each --aws request\n"
"                            on stderr\n"
"  -q, --quiet               text: the RESULT line alone\n"
"      --perfdata port|address  Nagios perfdata per port (default) or per address\n"
"  -V, --version             print versions and exit\n"
"  -h, --help                this help\n"
"\n"
"Exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (bad usage or input).\n",
	    progname, plugin ? "As a Nagios/Icinga plugin: one status line with perfdata, then\n"
	    "the findings; -w/-c on seconds to a logged-in session.\n" : "",
	    pgr_writer_names(), plugin ? "nagios" : "text");
}

static int
push(const char **list, size_t *n, const char *v, const char *opt, char *err,
    size_t errlen)
{
	if (*n >= PGR_MAX_LIST) {
		snprintf(err, errlen, "%s given more than %d times", opt, PGR_MAX_LIST);
		return -1;
	}
	list[(*n)++] = v;
	return 0;
}

/*
 * An argument as error messages show it: secrets scrubbed first, then cut
 * to len - 1 bytes.  Cut first, a message could keep a prefix of a
 * password that main()'s scrub no longer recognises, as when a URL lands
 * in an option's place ("-t $DATABASE_URL").
 */
static const char *
shown(const char *arg, char *buf, size_t len)
{
	size_t n = strlen(arg) * 8 + 16;	/* room for PGR_REDACTED */
	char *tmp = malloc(n);

	if (tmp == NULL) {
		snprintf(buf, len, "(not shown)");
		return buf;
	}
	snprintf(tmp, n, "%s", arg);
	pgr_secrets_scrub_from(arg, tmp, n);
	snprintf(buf, len, "%s", tmp);
	explicit_bzero(tmp, n);
	free(tmp);
	return buf;
}

/*
 * HOST[:PORT] with HOST an IPv4 address, [IPv6]:PORT, or a bare IPv6
 * address; PORT from 1 to 65535.  c-ares' own parser would take
 * "127.0.0.1:99999" and keep the port modulo 65536, and skip an empty one.
 */
static bool
valid_dns_server(const char *s)
{
	unsigned char a[sizeof(struct in6_addr)];
	const char *port, *end;
	char host[64], *e;
	size_t n;
	long p;

	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL)
			return false;
		n = (size_t)(end - s - 1);
		port = end[1] == ':' ? end + 2 : end[1] == '\0' ? NULL : "";
		s++;
	} else if (inet_pton(AF_INET6, s, a) == 1) {
		return true;
	} else {
		end = strchr(s, ':');
		n = end != NULL ? (size_t)(end - s) : strlen(s);
		port = end != NULL ? end + 1 : NULL;
	}
	if (n == 0 || n >= sizeof(host))
		return false;
	memcpy(host, s, n);
	host[n] = '\0';
	if (inet_pton(s[-1] == '[' ? AF_INET6 : AF_INET, host, a) != 1)
		return false;
	if (port == NULL)
		return true;
	errno = 0;
	p = strtol(port, &e, 10);
	return port[0] >= '0' && port[0] <= '9' && *e == '\0' && errno == 0 &&
	    p >= 1 && p <= 65535;
}

static int
one_option(struct pgr_cli *c, int ch, const char *arg, char *err, size_t errlen)
{
	char v[41];
	long l;

	switch (ch) {
	case OPT_FORMAT:
		if ((c->format = pgr_writer_find(arg)) == NULL)
			return snprintf(err, errlen, "--format: \"%s\" is not one of %s", shown(arg, v, sizeof(v)), pgr_writer_names()), -1;
		return 0;
	case 't':
		/* the same durations as --wait: 10, 1.5, 10s, 2m */
		if ((c->timeout_s = pgr_parse_duration(arg)) < 0.001 || c->timeout_s > 86400)
			return snprintf(err, errlen, "--timeout: \"%s\" is not a duration from 0.001 s to 24 h (10, 1.5, 10s, 2m)", shown(arg, v, sizeof(v))), -1;
		return 0;
	case OPT_DNS_SERVER:
		if (!valid_dns_server(arg))
			return snprintf(err, errlen, "--dns-server: \"%s\" is not HOST[:PORT] with HOST an IP address and PORT from 1 to 65535",
			    shown(arg, v, sizeof(v))), -1;
		return push(c->dns_servers, &c->ndns_servers, arg, "--dns-server", err, errlen);
	case OPT_REGION:
		c->region = arg;
		return 0;
	case OPT_VPC_CIDR:
		if (c->nvpc >= PGR_MAX_LIST)
			return snprintf(err, errlen, "--vpc-cidr given more than %d times", PGR_MAX_LIST), -1;
		if (pgr_cidr_parse(arg, &c->vpc[c->nvpc], err, errlen) != 0)
			return -1;
		c->nvpc++;
		return 0;
	case OPT_SSLMODE:
		if (!pgr_sslmode_valid(arg))
			return snprintf(err, errlen, "--sslmode: \"%s\" is not a libpq sslmode (disable, allow, prefer, require, verify-ca, verify-full)", shown(arg, v, sizeof(v))), -1;
		c->sslmode = arg;
		return 0;
	case OPT_SSLROOTCERT:
		c->sslrootcert = arg;
		return 0;
	case OPT_QUERY:
		if (arg[0] == '\0')
			return snprintf(err, errlen, "--query: empty query"), -1;
		c->query = arg;
		return 0;
	case OPT_COUNT:
		if (pgr_parse_long(arg, &l, 0, 10000) != 0)
			return snprintf(err, errlen, "--count: \"%s\" is not a whole number from 0 to 10000", shown(arg, v, sizeof(v))), -1;
		c->count = (int)l;
		return 0;
	case OPT_PARALLEL:
		if (pgr_parse_long(arg, &l, 1, 100000) != 0)
			return snprintf(err, errlen, "--parallel: \"%s\" is not a whole number from 1 to 100000", shown(arg, v, sizeof(v))), -1;
		c->parallel = (int)l;
		return 0;
	case OPT_THREADS:
		if (pgr_parse_long(arg, &l, 1, 8) != 0)
			return snprintf(err, errlen, "--threads: \"%s\" is not a whole number from 1 to 8", shown(arg, v, sizeof(v))), -1;
		c->threads = (int)l;
		return 0;
	case 'w': c->warning = arg; return 0;
	case 'c': c->critical = arg; return 0;
	case OPT_QUERY_WARNING: c->query_warning = arg; return 0;
	case OPT_QUERY_CRITICAL: c->query_critical = arg; return 0;
	case OPT_CERT_WARNING:
	case OPT_CERT_CRITICAL:
		if (pgr_parse_long(arg, &l, -100000, 100000) != 0)
			return snprintf(err, errlen, "%s: \"%s\" is not a whole number of days",
			    ch == OPT_CERT_WARNING ? "--cert-warning" : "--cert-critical", shown(arg, v, sizeof(v))), -1;
		*(ch == OPT_CERT_WARNING ? &c->cert_warning_days : &c->cert_critical_days) = l;
		return 0;
	case OPT_EVIDENCE:
		return push(c->evidence, &c->nevidence, arg, "--evidence", err, errlen);
	case OPT_BUNDLE: c->bundle = arg; return 0;
	case OPT_TARGETS: c->targets_file = arg; return 0;
	case OPT_WAIT:
		if ((c->wait_s = pgr_parse_duration(arg)) <= 0)
			return snprintf(err, errlen, "--wait: \"%s\" is not a duration such as 90s, 15m or 1h", shown(arg, v, sizeof(v))), -1;
		return 0;
	case OPT_IDLE:
		/* the same durations as --timeout; a day is past any middlebox's */
		if ((c->idle_s = pgr_parse_duration(arg)) < 0.001 || c->idle_s > 86400)
			return snprintf(err, errlen, "--idle: \"%s\" is not a duration from 0.001 s to 24 h (30s, 6m, 400)", shown(arg, v, sizeof(v))), -1;
		return 0;
	case OPT_FORCE: c->force = true; return 0;
	case OPT_NO_PGBOUNCER: c->no_pgbouncer = true; return 0;
	case OPT_NO_COLOR: c->no_color = true; return 0;
	case OPT_AWS: c->aws = true; return 0;
	case 'v': c->verbose++; return 0;
	case 'q': c->quiet = true; return 0;
	case OPT_PERFDATA:
		if (strcmp(arg, "port") == 0)
			c->perfdata = PGR_PERF_PORT;
		else if (strcmp(arg, "address") == 0)
			c->perfdata = PGR_PERF_ADDRESS;
		else
			return snprintf(err, errlen, "--perfdata: \"%s\" is not port or address", shown(arg, v, sizeof(v))), -1;
		return 0;
	case 'V': c->show_version = true; return 0;
	case 'h': c->show_help = true; return 0;
	default:
		return -1;
	}
}

/* Levenshtein distance of a and b, at most 99. */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, prev[64], cur[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, (lb + 1) * sizeof(*prev));
	}
	return prev[lb];
}

/* "unknown option --formt; did you mean --format?" for a near miss. */
static void
unknown_long(const char *arg, char *err, size_t errlen)
{
	const struct option *o, *best = NULL;
	char name[64], v[61];
	size_t d, bestd = 3;

	snprintf(name, sizeof(name), "%.*s", (int)strcspn(arg + 2, "="), arg + 2);
	for (o = long_opts; o->name != NULL; o++)
		if ((d = edit_distance(name, o->name)) < bestd ||
		    (d == bestd && best == NULL && d <= strlen(name) / 3)) {
			best = o;
			bestd = d;
		}
	if (best != NULL && bestd <= 2)
		snprintf(err, errlen, "unknown option %s; did you mean --%s? (see --help)",
		    shown(arg, v, sizeof(v)), best->name);
	else
		snprintf(err, errlen, "unknown option %s (see --help)", shown(arg, v, sizeof(v)));
}

enum pgr_cli_result
pgr_cli_parse(struct pgr_cli *c, int argc, char **argv, const char *progname,
    char *err, size_t errlen)
{
	char v[61];
	int ch;

	memset(c, 0, sizeof(*c));
	c->format = pgr_writer_find(strcmp(progname, "check_pgreach") == 0 ? "nagios" : "text");
	c->timeout_s = 10;
	c->sslmode = "require";
	c->query = "SELECT 1";
	c->count = 5;
	c->cert_warning_days = 14;
	c->cert_critical_days = 0;
	/* PGREACH_AWS=1: --aws for every run of a pipeline or a monitoring host. */
	c->aws = getenv("PGREACH_AWS") != NULL && strcmp(getenv("PGREACH_AWS"), "1") == 0;
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":t:w:c:vqVh", long_opts, NULL)) != -1) {
		if (ch == '?') {
			if (optopt != 0)
				snprintf(err, errlen, "unknown option -%c (see --help)", optopt);
			else
				unknown_long(argv[optind - 1], err, errlen);
			return PGR_CLI_ERROR;
		}
		if (ch == ':') {
			snprintf(err, errlen, "option %s needs a value (see --help)",
			    shown(argv[optind - 1], v, sizeof(v)));
			return PGR_CLI_ERROR;
		}
		err[0] = '\0';
		if (one_option(c, ch, optarg, err, errlen) != 0) {
			if (err[0] == '\0')
				snprintf(err, errlen, "bad option (see --help)");
			return PGR_CLI_ERROR;
		}
	}
	c->targets = argv + optind;
	c->ntargets = argc - optind;
	return PGR_CLI_RUN;
}
