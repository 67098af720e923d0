/*
 * AWS PrivateLink names: interface endpoint DNS names, endpoint service
 * names and region names.  Shape checks only; nothing here asks DNS or AWS.
 *
 * An interface endpoint has a regional name and one zonal name per subnet:
 *
 *   vpce-<id>-<suffix>.vpce-svc-<id>.<region>.vpce.amazonaws.com
 *   vpce-<id>-<suffix>-<az>.vpce-svc-<id>.<region>.vpce.amazonaws.com
 *
 * and, in the China regions, the same under vpce.amazonaws.com.cn.
 */
#ifndef PGR_ENDPOINT_H
#define PGR_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>

#include "probes/result.h"

/*
 * Fill *out from a host name (any case, trailing dot allowed).  Returns
 * out->is_endpoint; a name of another shape is not an error, it just is
 * not an endpoint name (out is then all empty).  Parts are lower case.
 */
bool	pgr_endpoint_parse(const char *host, struct pgr_endpoint_name *out);

/*
 * The region of an endpoint service name, e.g. "us-east-1" from
 * "com.amazonaws.vpce.us-east-1.vpce-svc-0123abcd" (also the AWS service
 * form "com.amazonaws.us-east-1.s3" and the "cn.com.amazonaws." prefix).
 * false, region "", if the name has no region in the expected place or
 * len is too small.
 */
bool	pgr_endpoint_region_from_service(const char *service_name,
	    char *region, size_t len);

/*
 * The "vpce-svc-<hex>" part of an endpoint service name, to compare with
 * the service of an endpoint DNS name.  false, svc "", if there is none.
 */
bool	pgr_endpoint_service_id(const char *service_name, char *svc,
	    size_t len);

/*
 * true if s has the shape of an AWS region name: lower case, like
 * us-east-1, eu-west-2, ap-southeast-1, us-gov-west-1, cn-north-1.
 * Whether AWS has such a region today is not checked.
 */
bool	pgr_region_valid(const char *s);

/*
 * The region the environment names, as the AWS CLI reads it: AWS_REGION,
 * then AWS_DEFAULT_REGION (an empty one is unset); NULL if neither.  *var:
 * the variable it came from.
 */
const char *pgr_env_region(const char **var);

#endif
