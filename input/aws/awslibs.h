/* libcurl and libxml2, opened for --aws only (input/aws/awslibs.c). */
#ifndef PGR_AWSLIBS_H
#define PGR_AWSLIBS_H

#include <stddef.h>

/* Open both, once per process; 0, or -1 with err naming the missing one. */
int	pgr_aws_libs_load(char *err, size_t errlen);

#endif
