/*
 * JUnit XML (--format junit): the checklist as a test report that CI
 * systems read (Jenkins, GitLab, GitHub Actions test reporters).
 *
 *	<testsuites name="pgreach" tests= failures= errors= skipped= time=>
 *	  <testsuite name="<host>" ...>		one per endpoint host (5432 + 5433)
 *	    <testcase classname="pgreach.<host>" name="<step title>" time=>
 *	      <failure message="<summary>" type="<CODE>">	a failed step
 *	      <error ...>		failed by a finding of severity unknown
 *	      <skipped message="<what would check it>"/>	not checked
 *	    <system-out>	the checklist, then every attempt's phases
 *	    <system-err>	findings of the host that no step shows
 *
 * Times are seconds.  Everything from the network or the user is escaped;
 * control characters other than tab, LF and CR are dropped and invalid
 * UTF-8 becomes U+FFFD, so the document is always well-formed XML 1.0.
 */
#ifndef PGR_JUNIT_H
#define PGR_JUNIT_H

#include <stdio.h>

#include "probes/result.h"

struct pgr_evidence;

/*
 * ev (may be NULL) and region (the expected region, may be NULL) feed the
 * checklist as they do for the text report.  0, or -1 on a write error or
 * when out of memory.
 */
int	pgr_write_junit(FILE *f, const struct pgr_report *r,
	    const struct pgr_evidence *ev, const char *region);

#endif
