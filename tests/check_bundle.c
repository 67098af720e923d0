/*
 * The evidence bundle, on a synthetic report built here: written, read
 * back with libarchive, every member there, the MANIFEST true to them,
 * modes 0600 (file and entries), and the password in none of them in any
 * encoding: raw, percent-encoded (either case), form-encoded, JSON-escaped,
 * hex, sha256, base64 standard and URL-safe (whole, and at each of the
 * three alignments it can have inside a longer blob, across line breaks).
 * Also: no overwrite without --force, an atomic one with it, and clear
 * errors for an unwritable or missing directory.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "probes/result.h"
#include "report/bundle.h"
#include "report/evidence.h"
#include "report/thresholds.h"
#include "tests/check_main.h"

#define HOST	"vpce-0a1b2c3d4e5f67890-abcdefgh.vpce-svc-0123456789abcdef0.us-east-1.vpce.amazonaws.com"
#define PW	"S3cr3t/p@ss%+word"
#define PW_PCT	"S3cr3t%2Fp%40ss%25%2Bword"
#define URL	"postgres://app:" PW_PCT "@" HOST ":5432/db"
#define TOP	"pgreach-20231114T221320Z/"

#include "tests/support/support.h"

static const char fake_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBszCCAVmgAwIBAgIUQk9HVVNDRVJUSUZJQ0FURUZPUlRFU1RTMAoGCCqGSM49\n"
    "BAMCMBUxEzARBgNVBAMMCmRiLmV4YW1wbGUwHhcNMjMxMTE0MDAwMDAwWhcNMjQx\n"
    "-----END CERTIFICATE-----\n";

/* --- scratch directory ---------------------------------------------- */

static char tmpdir[64];

static void
setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_bundle.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	/* The unwritable-directory case runs as nobody, who must get in. */
	ck_assert_int_eq(chmod(tmpdir, 0755), 0);
	pgr_bundle_set_sysroot(NULL);
}

static void
rm_rf(const char *path)
{
	struct dirent *d;
	struct stat st;
	char sub[512];
	DIR *dir;

	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode) && (dir = opendir(path)) != NULL) {
		chmod(path, 0700);
		while ((d = readdir(dir)) != NULL) {
			if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, d->d_name);
			rm_rf(sub);
		}
		closedir(dir);
		rmdir(path);
	} else
		unlink(path);
}

static void
teardown(void)
{
	if (getenv("PGR_KEEP_TMP") != NULL)	/* to look at what a test wrote */
		fprintf(stderr, "kept %s\n", tmpdir);
	else
		rm_rf(tmpdir);
	pgr_bundle_set_sysroot(NULL);
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

static void
in_tmp(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", tmpdir, name);
}

/* --- a synthetic report (tests/report_builder.h) ------------------------ */

/* The builder's target, with what dns.txt shows of it: a CNAME and a TTL. */
static void
bundle_target(struct pgr_report *r, int port, enum pgr_role role)
{
	struct pgr_target_result *tr;

	add_target(r, HOST, port, role);
	tr = &r->results[r->ntargets - 1];
	tr->dns.min_ttl = 60;
	tr->dns.cnames = strdup("db.example -> " HOST " (ttl 60)");
}

/*
 * The builder's attempt, with what the bundle shows of it: an address in
 * the VPC, the local address, and a chain (one certificate) that does not
 * verify.
 */
static struct pgr_attempt *
bundle_attempt(struct pgr_report *r, const char *addr)
{
	struct pgr_target_result *tr = &r->results[r->ntargets - 1];
	struct pgr_attempt *a = add_attempt(r, addr);

	tr->dns.addrs[tr->dns.naddrs - 1].in_vpc = 1;
	snprintf(a->local, sizeof(a->local), "10.0.9.9");
	a->tls.cert.verified = false;
	a->tls.cert.hostname_match = false;
	a->tls.cert.not_after = T0 + 300 * 86400L;
	a->tls.cert.chain_len = 1;
	a->tls.cert.chain_pem = strdup(fake_pem);
	return a;
}

/* 5432 with a good and a refused address, and its 5433 sibling. */
static void
build_report(struct pgr_report *r)
{
	struct pgr_attempt *a;

	test_secret = PW;
	memset(r, 0, sizeof(*r));
	r->started_at.tv_sec = T0;
	r->started_at.tv_nsec = 123000000;
	r->duration_ms = 42.0;
	bundle_target(r, 5432, PGR_ROLE_POSTGRES);
	bundle_attempt(r, "10.0.1.5");
	a = bundle_attempt(r, "fd00::5");
	a->tcp = (struct pgr_tcp_result){ .status = PGR_TCP_REFUSED, .ms = 0.2,
	    .err_no = 111 };
	snprintf(a->tcp.detail, sizeof(a->tcp.detail), "connect: Connection\trefused");
	free(a->tls.cert.chain_pem);
	memset(&a->tls, 0, sizeof(a->tls));
	a->tls.status = PGR_SKIPPED;
	memset(&a->login, 0, sizeof(a->login));
	a->login.status = PGR_SKIPPED;
	a->query = (struct pgr_query_result){ .status = PGR_SKIPPED, .count = 5 };
	bundle_target(r, 5433, PGR_ROLE_PGBOUNCER);
	bundle_attempt(r, "10.0.1.5");
	r->targets[1].sibling_of = 0;
}

/* What main() does: the analysis, then the bundle of it. */
static int
bw(const char *out, bool force, struct pgr_report *r,
    const struct pgr_evidence *ev, char *err, size_t errlen)
{
	struct pgr_thresholds thr;
	struct pgr_analysis an;
	int rc;

	ck_assert_int_eq(pgr_thresholds_set(&thr, "1", "5", NULL, NULL, 14, 0,
	    err, errlen), 0);
	analyze_with(&an, r, &thr, NULL, ev);
	rc = pgr_bundle_write(out, force, &an, ev, NULL, err, errlen);
	pgr_analysis_free(&an);
	return rc;
}

static char *const raw_argv[] = {
	"pgreach", "--format=json", "--evidence", NULL /* config */, URL,
	"--bundle", NULL /* out */, NULL
};
#define RAW_ARGC 7

static void
set_argv(struct pgr_report *r, const char *config, const char *out,
    bool redact)
{
	char *v[RAW_ARGC + 1];
	int i;

	memcpy(v, raw_argv, sizeof(v));
	v[3] = (char *)config;
	v[6] = (char *)out;
	if (redact) {
		r->argv = pgr_bundle_argv(RAW_ARGC, v);
		ck_assert_ptr_nonnull(r->argv);
	} else {
		/* as if main() had forgotten: the bundle must still hold */
		r->argv = calloc(RAW_ARGC + 1, sizeof(char *));
		ck_assert_ptr_nonnull(r->argv);
		for (i = 0; i < RAW_ARGC; i++)
			r->argv[i] = strdup(v[i]);
	}
	r->argc = RAW_ARGC;
}

static void
load_config(struct pgr_evidence *ev, char *path, size_t len)
{
	char err[512];

	in_tmp(path, len, "heroku-config.txt");
	write_file(path, "=== lab-app Config Vars\n"
	    "DATABASE_URL: " URL "\n"
	    "LANG:         en_US.UTF-8\n", 0600);
	memset(ev, 0, sizeof(*ev));
	if (pgr_evidence_load(ev, path, err, sizeof(err)) != 0)
		ck_abort_msg("evidence: %s", err);
	ck_assert_ptr_nonnull(strstr(ev->items[0].content, "REDACTED"));
}

/* --- reading a bundle back ------------------------------------------ */

struct entry {
	char	*name;			/* without the top folder */
	char	*data;
	size_t	len;
};

struct bundle {
	struct entry v[64];
	size_t	n;
};

static void
bundle_free(struct bundle *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		free(b->v[i].name);
		free(b->v[i].data);
	}
	b->n = 0;
}

static void
read_bundle(const char *path, struct bundle *b)
{
	struct archive_entry *e;
	struct archive *a = archive_read_new();
	struct stat st;
	la_ssize_t n;

	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	memset(b, 0, sizeof(*b));
	archive_read_support_filter_gzip(a);
	archive_read_support_format_all(a);
	ck_assert_int_eq(archive_read_open_filename(a, path, 10240), ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		struct entry *x = &b->v[b->n];
		const char *name = archive_entry_pathname(e);

		ck_assert_uint_lt(b->n, 64);
		ck_assert_msg(strncmp(name, TOP, strlen(TOP)) == 0,
		    "%s is not under " TOP, name);
		ck_assert_msg(archive_entry_filetype(e) == AE_IFREG,
		    "%s is not a regular file", name);
		ck_assert_msg((archive_entry_perm(e) & 07777) == 0600,
		    "%s has mode %o", name, archive_entry_perm(e));
		ck_assert_int_eq(archive_entry_uid(e), 0);
		ck_assert_int_eq(archive_entry_gid(e), 0);
		ck_assert_int_eq(archive_entry_mtime(e), T0);
		x->name = strdup(name + strlen(TOP));
		x->len = (size_t)archive_entry_size(e);
		x->data = calloc(1, x->len + 1);
		ck_assert(x->name != NULL && x->data != NULL);
		n = archive_read_data(a, x->data, x->len);
		ck_assert_int_eq(n, (la_ssize_t)x->len);
		b->n++;
	}
	ck_assert_int_eq(archive_read_free(a), ARCHIVE_OK);
}

static const struct entry *
member(const struct bundle *b, const char *name)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (strcmp(b->v[i].name, name) == 0)
			return &b->v[i];
	return NULL;
}

static const struct entry *
must(const struct bundle *b, const char *name)
{
	const struct entry *e = member(b, name);

	ck_assert_msg(e != NULL, "no member %s", name);
	return e;
}

static void
sha256_hex(const void *p, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	ck_assert_int_eq(EVP_Digest(p, len, md, &mdlen, EVP_sha256(), NULL), 1);
	for (i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* Every line names a member with its true size and sha256; every member is named. */
static void
check_manifest(const struct bundle *b)
{
	const struct entry *m = must(b, "MANIFEST");
	char *copy = strdup(m->data), *line, *save = NULL;
	char sha[65], name[256], want[65];
	size_t size, listed = 0;

	ck_assert_str_eq(b->v[0].name, "MANIFEST");
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		const struct entry *e;

		if (line[0] == '#')
			continue;
		ck_assert_int_eq(sscanf(line, "%64s %zu %255s", sha, &size, name), 3);
		e = must(b, name);
		ck_assert_str_ne(name, "MANIFEST");
		ck_assert_uint_eq(size, e->len);
		sha256_hex(e->data, e->len, want);
		ck_assert_str_eq(sha, want);
		listed++;
	}
	ck_assert_uint_eq(listed, b->n - 1);
	free(copy);
}

/* --- the password's encodings ------------------------------------------ */

static char needles[32][256];
static size_t nneedles;

static void
needle(const char *s)
{
	ck_assert_uint_lt(nneedles, 32);
	ck_assert_uint_lt(strlen(s), 256);
	snprintf(needles[nneedles++], 256, "%s", s);
}

static void
pct(const char *s, bool upper, bool form, char *out)
{
	static const char unreserved[] = "-._~";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr(unreserved, c) != NULL)
			*out++ = (char)c;
		else if (form && c == ' ')
			*out++ = '+';
		else
			out += sprintf(out, upper ? "%%%02X" : "%%%02x", c);
	}
	*out = '\0';
}

static void
b64(const unsigned char *in, size_t len, bool url, char *out)
{
	int n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	char *p;

	for (p = out; url && p < out + n; p++)
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
}

/*
 * Every encoding the test looks for.  The base64 "cores" are the
 * characters of base64(k filler bytes + PW + 2 filler bytes) that only PW's
 * bytes decide: what a base64 blob holding the password would contain
 * wherever it sits.
 */
static void
make_needles(void)
{
	char tmp[256], enc[512], hex[128];
	unsigned char in[64];
	size_t len = strlen(PW), i, from, to;
	int k, url;

	nneedles = 0;
	needle(PW);
	needle(PW_PCT);
	pct(PW, false, false, tmp);
	needle(tmp);
	pct(PW, true, true, tmp);
	needle(tmp);
	needle("S3cr3t\\/p@ss%+word");		/* JSON with JSON_ESCAPE_SLASH */
	needle("S3cr3t\\\\/p@ss%+word");		/* that, escaped again */
	for (i = 0; i < len; i++)
		sprintf(hex + 2 * i, "%02x", (unsigned char)PW[i]);
	needle(hex);
	for (i = 0; i < 2 * len; i++)
		tmp[i] = (char)(hex[i] >= 'a' ? hex[i] - 32 : hex[i]);
	tmp[2 * len] = '\0';
	needle(tmp);
	sha256_hex(PW, len, tmp);
	needle(tmp);
	for (url = 0; url < 2; url++) {
		b64((const unsigned char *)PW, len, url, enc);
		needle(enc);			/* whole, padded */
		enc[strcspn(enc, "=")] = '\0';
		needle(enc);			/* unpadded */
		for (k = 0; k < 3; k++) {
			memset(in, 0xA5, sizeof(in));
			memcpy(in + k, PW, len);
			b64(in, (size_t)k + len + 2, url, enc);
			from = (8 * (size_t)k + 5) / 6;
			to = 8 * ((size_t)k + len) / 6;
			snprintf(tmp, sizeof(tmp), "%.*s", (int)(to - from), enc + from);
			needle(tmp);
		}
	}
}

static void
assert_secret_free(const char *what, const char *data, size_t len)
{
	char *flat = malloc(len + 1);
	size_t i, n = 0;

	ck_assert_ptr_nonnull(flat);
	for (i = 0; i < len; i++)
		if (data[i] != '\n' && data[i] != '\r')
			flat[n++] = data[i];
	flat[n] = '\0';
	for (i = 0; i < nneedles; i++) {
		ck_assert_msg(memmem(data, len, needles[i], strlen(needles[i])) == NULL,
		    "%s holds the password as %s", what, needles[i]);
		ck_assert_msg(memmem(flat, n, needles[i], strlen(needles[i])) == NULL,
		    "%s holds the password as %s across lines", what, needles[i]);
	}
	free(flat);
}

static void
assert_bundle_secret_free(const struct bundle *b)
{
	size_t i;

	make_needles();
	for (i = 0; i < b->n; i++) {
		assert_secret_free(b->v[i].name, b->v[i].name, strlen(b->v[i].name));
		assert_secret_free(b->v[i].name, b->v[i].data, b->v[i].len);
	}
}

/* --- tests --------------------------------------------------------------- */

static const char *const expected[] = {
	"MANIFEST", "report.json", "report.txt", "nagios.txt", "report.html", "phases.tsv",
	"dns.txt", "cmdline.txt", "env/system.txt", "env/resolv.conf",
	"env/network.txt", "evidence/heroku-config.txt",
	"certs/" HOST "_5432-10.0.1.5.pem", "certs/" HOST "_5433-10.0.1.5.pem",
};

static void
write_and_read(bool redact_argv, struct bundle *b)
{
	struct pgr_evidence ev;
	struct pgr_report r;
	char cfg[256], out[256], err[512];

	load_config(&ev, cfg, sizeof(cfg));
	build_report(&r);
	in_tmp(out, sizeof(out), "out.tar.gz");
	set_argv(&r, cfg, out, redact_argv);
	if (bw(out, false, &r, &ev, err, sizeof(err)) != 0)
		ck_abort_msg("bundle: %s", err);
	read_bundle(out, b);
	/* the evidence is bundled as loaded: already redacted, same digest */
	ck_assert_uint_eq(must(b, "evidence/heroku-config.txt")->len,
	    ev.items[0].content_len);
	ck_assert_mem_eq(must(b, "evidence/heroku-config.txt")->data,
	    ev.items[0].content, ev.items[0].content_len);
	ck_assert_ptr_nonnull(strstr(must(b, "MANIFEST")->data, ev.items[0].sha256));
	pgr_report_free(&r);
	pgr_evidence_free(&ev);
}

START_TEST(test_members)
{
	struct bundle b;
	const struct entry *e;
	json_t *j;
	size_t i;

	write_and_read(true, &b);
	for (i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
		must(&b, expected[i]);
	ck_assert_uint_eq(b.n, sizeof(expected) / sizeof(expected[0]));
	check_manifest(&b);

	e = must(&b, "report.json");
	j = json_loadb(e->data, e->len, 0, NULL);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(json_string_value(json_object_get(j, "schema")), "pgreach/1");
	json_decref(j);
	ck_assert_ptr_nonnull(strstr(must(&b, "report.txt")->data, "RESULT: CRITICAL"));
	ck_assert(strncmp(must(&b, "nagios.txt")->data, "PGREACH CRITICAL - ", 19) == 0);
	ck_assert_str_eq(must(&b, "certs/" HOST "_5432-10.0.1.5.pem")->data, fake_pem);

	e = must(&b, "cmdline.txt");
	ck_assert_ptr_nonnull(strstr(e->data, "pgreach --format=json --evidence "));
	ck_assert_ptr_nonnull(strstr(e->data, " postgres://app:REDACTED@" HOST ":5432/db "));

	e = must(&b, "dns.txt");
	ck_assert_ptr_nonnull(strstr(e->data, "\n" HOST ".\t60\tIN\tA\t10.0.1.5\t"
	    "; private, in the VPC\n" HOST ".\t60\tIN\tAAAA\tfd00::5\t; private, in the VPC\n"));
	ck_assert_ptr_nonnull(strstr(e->data, "; servers   10.0.0.2:53\n"));
	ck_assert_ptr_nonnull(strstr(e->data, "; cnames    db.example -> " HOST " (ttl 60)\n"));

	e = must(&b, "env/system.txt");
	ck_assert_ptr_nonnull(strstr(e->data, "[versions]\npgreach "));
	ck_assert_ptr_nonnull(strstr(e->data, "[uname]\nsysname  Linux\n"));
	ck_assert_ptr_nonnull(strstr(must(&b, "env/network.txt")->data,
	    "[interfaces and addresses] (getifaddrs)\n"));
	assert_bundle_secret_free(&b);
	bundle_free(&b);
}
END_TEST

/* Every row has the nine columns; a refused connect keeps its errno. */
START_TEST(test_phases)
{
	static const char header[] = "target\tport\taddress\tphase\tstatus\t"
	    "ms\tduration_ms\terrno/sqlstate\tdetail\n";
	struct bundle b;
	const struct entry *e;
	char *copy, *line, *save = NULL;
	size_t rows = 0;
	const char *p;
	int tabs;

	write_and_read(true, &b);
	e = must(&b, "phases.tsv");
	ck_assert(strncmp(e->data, header, strlen(header)) == 0);
	copy = strdup(e->data);
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save), rows++)
		for (tabs = 0, p = line; (p = strchr(p, '\t')) != NULL; p++)
			ck_assert_int_le(++tabs, 8);
	free(copy);
	/* header + 2 targets x (dns + attempts x 4): 1 + (1 + 8) + (1 + 4) */
	ck_assert_uint_eq(rows, 15);
	ck_assert_ptr_nonnull(strstr(e->data, "postgres://app:REDACTED@" HOST
	    ":5432/db\t5432\tfd00::5\ttcp\trefused\t0.200\t0.200\t111\t"
	    "connect: Connection refused\n"));
	ck_assert_ptr_nonnull(strstr(e->data, "\tfd00::5\ttls\tskipped\t\t\t\t\n"));
	ck_assert_ptr_nonnull(strstr(e->data, "\t10.0.1.5\ttls\tok\t3.100\t2.700\t\t"
	    "TLSv1.3 TLS_AES_256_GCM_SHA384; cert CN=db.example, 300 days left, "
	    "chain not verified, name does not match\n"));
	ck_assert_ptr_nonnull(strstr(e->data, "\t5432\t\tdns\tok\t1.500\t1.500\t\t"
	    "2 addresses via 10.0.0.2:53\n"));
	bundle_free(&b);
}
END_TEST

/* main() forgot to redact argv: the scrubber still keeps the password out. */
START_TEST(test_raw_argv_scrubbed)
{
	struct bundle b;
	const struct entry *e;

	write_and_read(false, &b);
	e = must(&b, "cmdline.txt");
	ck_assert_ptr_nonnull(strstr(e->data, " postgres://app:REDACTED@" HOST ":5432/db "));
	check_manifest(&b);
	assert_bundle_secret_free(&b);
	bundle_free(&b);
}
END_TEST

/* Base64 of s with k filler bytes before it, wrapped at 64 like PEM. */
static char *
pem_with(const char *s, int k)
{
	unsigned char in[256];
	char enc[512], *out = malloc(1024), *o = out;
	size_t len = strlen(s), n, i;

	memset(in, 'x', (size_t)k);
	memcpy(in + k, s, len);
	n = (size_t)EVP_EncodeBlock((unsigned char *)enc, in, (int)(k + len));
	o += sprintf(o, "-----BEGIN CERTIFICATE-----\n");
	for (i = 0; i < n; i += 64)
		o += sprintf(o, "%.64s\n", enc + i);
	sprintf(o, "-----END CERTIFICATE-----\n");
	return out;
}

/*
 * The password planted where writers print server and user text, in the
 * encodings a leak would take: every one comes out REDACTED.
 */
START_TEST(test_planted_secrets_scrubbed)
{
	struct pgr_evidence ev;
	struct pgr_report r;
	struct bundle b;
	static const int fill[] = { 0, 1, 2, 30, 31, 32 };	/* 30+: across a line break */
	char cfg[256], out[256], err[512], *pem, all[4096], sha[65];
	char remedy[200];
	int k;

	load_config(&ev, cfg, sizeof(cfg));
	build_report(&r);
	in_tmp(out, sizeof(out), "planted.tar.gz");
	set_argv(&r, cfg, out, true);
	sha256_hex(PW, strlen(PW), sha);
	snprintf(remedy, sizeof(remedy), "json S3cr3t\\/p@ss%%+word, sha256 %s", sha);
	plant(PGR_F_EVIDENCE_CONTRADICTS, PGR_SEV_WARNING, PGR_CAUSE_CONFIG,
	    "raw " PW " here", "hex 5333637233742f70407373252b776f7264 and "
	    "5333637233742F70407373252B776F7264", remedy, -1);
	snprintf(r.results[0].attempts[0].login.message, PGR_DETAIL_LEN,
	    "lower %s", "S3cr3t%2fp%40ss%25%2bword");
	snprintf(r.results[0].attempts[0].query.message, PGR_DETAIL_LEN,
	    "mixed S3cr3t/p%%40ss%%+word and upper %s", PW_PCT);
	snprintf(r.results[0].dns.detail, PGR_DETAIL_LEN, "unicode "
	    "S3cr3t\\u002fp\\u0040ss%%+word");
	all[0] = '\0';
	for (k = 0; k < 6; k++) {
		pem = pem_with("postgres://app:" PW "@" HOST ":5432/db?sslmode=require"
		    "&application_name=pgreach-with-a-longish-tail", fill[k]);
		ck_assert_uint_lt(strlen(all) + strlen(pem), sizeof(all));
		strcat(all, pem);
		free(pem);
	}
	free(r.results[0].attempts[0].tls.cert.chain_pem);
	r.results[0].attempts[0].tls.cert.chain_pem = strdup(all);
	if (bw(out, false, &r, &ev, err, sizeof(err)) != 0)
		ck_abort_msg("bundle: %s", err);
	read_bundle(out, &b);
	check_manifest(&b);
	assert_bundle_secret_free(&b);
	ck_assert_ptr_nonnull(strstr(must(&b, "report.txt")->data, "raw REDACTED here"));
	ck_assert_ptr_nonnull(strstr(must(&b, "report.json")->data, "lower REDACTED"));
	ck_assert_ptr_nonnull(strstr(must(&b, "phases.tsv")->data,
	    "mixed REDACTED and upper REDACTED"));
	ck_assert_ptr_nonnull(strstr(must(&b, "dns.txt")->data, "unicode REDACTED"));
	pem = must(&b, "certs/" HOST "_5432-10.0.1.5.pem")->data;
	for (k = 0; k < 6; k++, pem++)
		ck_assert_ptr_nonnull(pem = strstr(pem, "REDACTED"));
	bundle_free(&b);
	pgr_report_free(&r);
	pgr_evidence_free(&ev);
}
END_TEST

START_TEST(test_no_overwrite_without_force)
{
	struct pgr_report r;
	char out[256], err[512], want[600], buf[16] = { 0 };
	FILE *f;

	build_report(&r);
	in_tmp(out, sizeof(out), "exists.tar.gz");
	write_file(out, "old", 0644);
	snprintf(want, sizeof(want), "bundle %s exists; use --force to overwrite", out);
	ck_assert_int_eq(pgr_bundle_check(out, false, err, sizeof(err)), -1);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(bw(out, false, &r, NULL, err, sizeof(err)), -1);
	ck_assert_str_eq(err, want);
	f = fopen(out, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fread(buf, 1, sizeof(buf) - 1, f), 3);
	fclose(f);
	ck_assert_str_eq(buf, "old");
	pgr_report_free(&r);
}
END_TEST

START_TEST(test_overwrite_with_force)
{
	struct pgr_report r;
	struct bundle b;
	struct dirent *d;
	char out[256], err[512];
	int others = 0;
	DIR *dir;

	build_report(&r);
	in_tmp(out, sizeof(out), "exists.tar.gz");
	write_file(out, "old", 0644);
	ck_assert_int_eq(pgr_bundle_check(out, true, err, sizeof(err)), 0);
	if (bw(out, true, &r, NULL, err, sizeof(err)) != 0)
		ck_abort_msg("bundle: %s", err);
	read_bundle(out, &b);		/* a bundle now, and 0600 */
	must(&b, "report.json");
	ck_assert_ptr_nonnull(strstr(must(&b, "cmdline.txt")->data, "(not recorded)"));
	check_manifest(&b);
	bundle_free(&b);
	/* no temporary file left beside it */
	dir = opendir(tmpdir);
	ck_assert_ptr_nonnull(dir);
	while ((d = readdir(dir)) != NULL)
		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0 &&
		    strcmp(d->d_name, "exists.tar.gz") != 0)
			others++;
	closedir(dir);
	ck_assert_int_eq(others, 0);
	pgr_report_free(&r);
}
END_TEST

/* Missing directory; a directory or a symlink where the bundle goes. */
START_TEST(test_bad_paths)
{
	struct pgr_report r;
	char out[256], err[512], want[600];

	build_report(&r);
	in_tmp(out, sizeof(out), "nope/out.tar.gz");
	snprintf(want, sizeof(want), "bundle %s: directory %s/nope does not exist",
	    out, tmpdir);
	ck_assert_int_eq(pgr_bundle_check(out, false, err, sizeof(err)), -1);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(bw(out, false, &r, NULL, err, sizeof(err)), -1);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(bw(out, true, &r, NULL, err, sizeof(err)), -1);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(pgr_bundle_check(tmpdir, true, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "is a directory"));
	ck_assert_int_eq(bw(tmpdir, true, &r, NULL, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "is a directory"));
	ck_assert_int_eq(bw(tmpdir, false, &r, NULL, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "is a directory"));
	/* --force replaces an old bundle, not what a symlink points at */
	in_tmp(out, sizeof(out), "link.tar.gz");
	ck_assert_int_eq(symlink("/dev/null", out), 0);
	ck_assert_int_eq(pgr_bundle_check(out, true, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
	ck_assert_int_eq(bw(out, true, &r, NULL, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
	ck_assert_int_eq(bw(out, false, &r, NULL, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "exists; use --force"));
	pgr_report_free(&r);
}
END_TEST

/*
 * Root writes anywhere, so as root the attempt runs in a child that has
 * become nobody; the messages come back through a pipe.
 */
START_TEST(test_unwritable_directory)
{
	struct pgr_report r;
	char dir[256], out[300], err[2][512], want[700];
	int fds[2], status;
	bool force;
	pid_t pid;

	build_report(&r);
	in_tmp(dir, sizeof(dir), "ro");
	ck_assert_int_eq(mkdir(dir, 0555), 0);
	ck_assert_int_eq(chmod(dir, 0555), 0);
	snprintf(out, sizeof(out), "%s/out.tar.gz", dir);
	snprintf(want, sizeof(want), "bundle %s: cannot write in %s: %s", out,
	    dir, strerror(EACCES));
	for (force = false; ; force = true) {
		memset(err, 0, sizeof(err));
		ck_assert_int_eq(pipe(fds), 0);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			int rc;

			close(fds[0]);
			if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
				_exit(2);
			rc = pgr_bundle_check(out, force, err[0], sizeof(err[0])) == -1 &&
			    bw(out, force, &r, NULL, err[1],
			    sizeof(err[1])) == -1;
			if (write(fds[1], err, sizeof(err)) != (ssize_t)sizeof(err))
				_exit(3);
			_exit(rc ? 0 : 1);
		}
		close(fds[1]);
		ck_assert_int_eq(read(fds[0], err, sizeof(err)), (ssize_t)sizeof(err));
		close(fds[0]);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert(WIFEXITED(status));
		ck_assert_int_eq(WEXITSTATUS(status), 0);
		ck_assert_str_eq(err[0], want);
		ck_assert_str_eq(err[1], want);
		ck_assert_int_eq(access(out, F_OK), -1);
		if (force)
			break;
	}
	pgr_report_free(&r);
}
END_TEST

/* Sources that are missing are said to be; the /proc tables are read right. */
START_TEST(test_environment_sources)
{
	struct pgr_report r;
	struct bundle b;
	char root[256], path[400], out[300], err[512];
	const char *net;

	build_report(&r);
	in_tmp(root, sizeof(root), "root");
	ck_assert_int_eq(mkdir(root, 0755), 0);
	snprintf(path, sizeof(path), "%s/etc", root);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/etc/os-release", root);
	write_file(path, "ID=testos\nVERSION_ID=\"1\"", 0644);
	pgr_bundle_set_sysroot(root);
	in_tmp(out, sizeof(out), "empty.tar.gz");
	if (bw(out, false, &r, NULL, err, sizeof(err)) != 0)
		ck_abort_msg("bundle: %s", err);
	read_bundle(out, &b);
	ck_assert_ptr_nonnull(strstr(must(&b, "env/system.txt")->data,
	    "[/etc/os-release]\nID=testos\nVERSION_ID=\"1\"\n"));
	ck_assert_str_eq(must(&b, "env/resolv.conf")->data,
	    "# not available: /etc/resolv.conf: No such file or directory\n");
	net = must(&b, "env/network.txt")->data;
	ck_assert_ptr_nonnull(strstr(net, "[IPv4 routes] (/proc/net/route, main table)\n"
	    "(not available: /proc/net/route: No such file or directory)\n"));
	ck_assert_ptr_nonnull(strstr(net, "(not available: /proc/net/ipv6_route: "
	    "No such file or directory)\n"));
	bundle_free(&b);

	/* Now with tables: addresses as the kernel prints them (little-endian host). */
	snprintf(path, sizeof(path), "%s/proc", root);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/proc/net", root);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/proc/net/route", root);
	write_file(path,
	    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
	    "eth0\t00000000\t0100000A\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
	    "eth0\t0000000A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n", 0644);
	snprintf(path, sizeof(path), "%s/proc/net/ipv6_route", root);
	write_file(path,
	    "20010db8000000000000000000000000 20 00000000000000000000000000000000 00 "
	    "fe800000000000000000000000000001 00000400 00000001 00000000 00000003     eth0\n"
	    "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
	    "00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n",
	    0644);
	snprintf(path, sizeof(path), "%s/etc/resolv.conf", root);
	write_file(path, "nameserver 10.0.0.2\n", 0644);
	in_tmp(out, sizeof(out), "tables.tar.gz");
	if (bw(out, false, &r, NULL, err, sizeof(err)) != 0)
		ck_abort_msg("bundle: %s", err);
	read_bundle(out, &b);
	ck_assert_str_eq(must(&b, "env/resolv.conf")->data, "nameserver 10.0.0.2\n");
	net = must(&b, "env/network.txt")->data;
	ck_assert_ptr_nonnull(strstr(net, "\n0.0.0.0/0 via 10.0.0.1 dev eth0 metric 100\n"
	    "10.0.0.0/16 dev eth0 metric 0\n"));
	ck_assert_ptr_nonnull(strstr(net, "\n2001:db8::/32 via fe80::1 dev eth0 metric 1024\n"
	    "::/0 dev lo metric 4294967295 reject\n"));
	bundle_free(&b);
	pgr_report_free(&r);
}
END_TEST

/* What main() puts in pgr_report.argv. */
static const struct {
	const char *args[4];
	const char *want[4];
} argv_cases[] = {
	{ { "pgreach", URL }, { "pgreach", "postgres://app:REDACTED@" HOST ":5432/db" } },
	{ { "pgreach", "--targets=postgres://u:pw1234@h/db", "-v" },
	  { "pgreach", "--targets=postgres://u:REDACTED@h/db", "-v" } },
	{ { "pgreach", "host=h password=pw1234 dbname=d" },
	  { "pgreach", "host=h password=REDACTED dbname=d" } },
	{ { "pgreach", "postgres://u:pw1234@h/db", "--query=SELECT 'pw1234'" },
	  { "pgreach", "postgres://u:REDACTED@h/db", "--query=SELECT 'REDACTED'" } },
	{ { "pgreach", "--query", "SELECT 'S3cr3t/p@ss%+word'", URL },
	  { "pgreach", "--query", "SELECT 'REDACTED'", "postgres://app:REDACTED@" HOST ":5432/db" } },
	{ { "pgreach", "--format", "json" }, { "pgreach", "--format", "json" } },
};

START_TEST(test_argv)
{
	char **v;
	int n, i;

	for (n = 0; n < 4 && argv_cases[_i].args[n] != NULL; n++)
		;
	v = pgr_bundle_argv(n, (char *const *)argv_cases[_i].args);
	ck_assert_ptr_nonnull(v);
	for (i = 0; i < n; i++) {
		ck_assert_str_eq(v[i], argv_cases[_i].want[i]);
		free(v[i]);
	}
	ck_assert_ptr_null(v[n]);
	free(v);
}
END_TEST

static Suite *
bundle_suite(void)
{
	Suite *s = suite_create("bundle");
	TCase *tc = tcase_create("bundle");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_members);
	tcase_add_test(tc, test_phases);
	tcase_add_test(tc, test_raw_argv_scrubbed);
	tcase_add_test(tc, test_planted_secrets_scrubbed);
	tcase_add_test(tc, test_no_overwrite_without_force);
	tcase_add_test(tc, test_overwrite_with_force);
	tcase_add_test(tc, test_bad_paths);
	tcase_add_test(tc, test_unwritable_directory);
	tcase_add_test(tc, test_environment_sources);
	tcase_add_loop_test(tc, test_argv, 0,
	    sizeof(argv_cases) / sizeof(argv_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}

PGR_CHECK_MAIN(bundle_suite)
