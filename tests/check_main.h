/* The shared main() of the Check unit tests: run one suite, exit 0 or 1. */
#ifndef PGR_CHECK_MAIN_H
#define PGR_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

#define PGR_CHECK_MAIN(suite_fn)					\
int									\
main(void)								\
{									\
	SRunner *sr = srunner_create(suite_fn());			\
	int failed;							\
									\
	srunner_run_all(sr, CK_NORMAL);					\
	failed = srunner_ntests_failed(sr);				\
	srunner_free(sr);						\
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;		\
}

#endif
