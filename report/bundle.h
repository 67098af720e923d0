/*
 * The support-ticket evidence bundle (--bundle out.tar.gz): one gzip'd tar
 * with everything a support engineer asks for first, under a single top
 * folder pgreach-<UTC start time, 20231114T221320Z>/:
 *
 *	MANIFEST		sha256, size and name of every other file
 *	report.json, report.txt, nagios.txt	the writers' output
 *	phases.tsv		every phase of every target x address, timed
 *	dns.txt			the answers: addresses, TTLs, CNAMEs, resolvers
 *	certs/<host>_<port>-<address>.pem	each server's chain as sent
 *	evidence/<basename>	the --evidence files (heroku config redacted)
 *	cmdline.txt		the command line, secrets redacted
 *	env/system.txt		versions, uname, /etc/os-release
 *	env/resolv.conf		/etc/resolv.conf as read
 *	env/network.txt		interfaces, addresses, MTUs, IPv4/IPv6 routes
 *
 * A source that cannot be read (no /proc, no resolv.conf) is noted in its
 * file; it never fails the bundle.
 *
 * Secrets: every file and every name goes through a scrubber before it is
 * written.  It knows every password of the run (the targets', the URLs in
 * a heroku config evidence file, any URL or password= in the command line)
 * and replaces each by REDACTED wherever it appears raw, percent-encoded in
 * any mix (either hex case, '+' for space), backslash- or \u-escaped, as
 * hex, as its sha256, or base64 (standard or URL-safe, at any of the three
 * byte alignments, across line breaks).  The writers are meant to be
 * secret-free already; this is the second lock.  Passwords shorter than
 * PGR_BUNDLE_MIN_SECRET bytes are not searched for: they would match all
 * over the reports and say nothing about a leak.
 *
 * The archive is mode 0600, created with O_EXCL; with force, it is written
 * to a temporary file in the same directory and renamed over the old one.
 * Entries are regular files, mode 0600, uid/gid 0, mtime the run's start.
 */
#ifndef PGR_BUNDLE_H
#define PGR_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>

#include "probes/result.h"
#include "report/evidence.h"
#include "report/analysis.h"

#define PGR_BUNDLE_MIN_SECRET	4

/*
 * Write the bundle of an analysed run (and ev, may be NULL) to path; how
 * many files it holds goes to *nfiles (may be NULL).  0, or -1 with one line in err that names path and says what is
 * wrong ("bundle out.tar.gz exists; use --force to overwrite").  Nothing
 * is left behind on failure.
 */
int	pgr_bundle_write(const char *path, bool force,
	    const struct pgr_analysis *an, const struct pgr_evidence *ev,
	    size_t *nfiles, char *err, size_t errlen);

/*
 * What pgr_bundle_write() would refuse, asked before the run so that a
 * typo does not cost a whole probe: 0, or -1 with the same messages.
 */
int	pgr_bundle_check(const char *path, bool force, char *err,
	    size_t errlen);

/*
 * A copy of argv for pgr_report.argv, each argument with the secrets of
 * every argument (URL passwords, percent-encoded or not, password=...)
 * replaced by REDACTED, as pgr_target_scrub() finds them.  argc + 1
 * entries, NULL-terminated; NULL if out of memory.  pgr_report_free()
 * releases it.
 */
char	**pgr_bundle_argv(int argc, char *const argv[]);

/* Close libarchive if --bundle opened it (at exit: nothing is left mapped). */
void	pgr_bundle_unload(void);

/*
 * Tests only: read /etc and /proc and /sys under root instead of "/"
 * (NULL restores "/").
 */
void	pgr_bundle_set_sysroot(const char *root);

#endif
