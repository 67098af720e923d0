/*
 * AWS credentials, found the way the AWS CLI finds them:
 *
 *	1. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN)
 *	2. AWS_PROFILE (else "default") in ~/.aws/credentials, then in
 *	   ~/.aws/config ("[profile NAME]"), keys or credential_process
 *	3. AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN: STS
 *	   AssumeRoleWithWebIdentity (an HTTP call: input/aws/client.c)
 *	4. the EC2 instance role through IMDSv2 (HTTP calls: client.c)
 *
 * AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE move the two files.
 * Every secret (secret key, session token) lives in memory only and is
 * wiped by pgr_aws_creds_clear().
 */
#ifndef PGR_AWS_CREDS_H
#define PGR_AWS_CREDS_H

#include <stdbool.h>
#include <stddef.h>

struct pgr_aws_creds {
	char	access_key[128];
	char	secret_key[128];	/* SECRET */
	char	*session_token;		/* SECRET; NULL if none */
	char	source[48];		/* printable: "environment", "profile prod" */
};

/* What pgr_aws_creds_find() found, or what the caller must fetch itself. */
enum pgr_aws_creds_next {
	PGR_CREDS_READY,		/* c is filled */
	PGR_CREDS_WEB_IDENTITY,		/* ask STS: role_arn, token_file set */
	PGR_CREDS_IMDS,			/* ask the instance metadata service */
	PGR_CREDS_FAILED		/* err says why (a broken profile, process) */
};

struct pgr_aws_creds_hint {
	char	role_arn[256];
	char	token_file[1024];
	char	session_name[64];
	char	region[32];		/* the profile's region, "" */
};

/*
 * Look through the sources that need no network (1, 2) and say what is
 * next.  credential_process runs here, bounded by timeout_ms.
 */
enum pgr_aws_creds_next pgr_aws_creds_find(struct pgr_aws_creds *c,
	    struct pgr_aws_creds_hint *h, int timeout_ms, char *err, size_t errlen);

/* Set c from the JSON of an IMDS credentials document or credential_process. */
int	pgr_aws_creds_from_json(struct pgr_aws_creds *c, const char *json,
	    size_t len, char *err, size_t errlen);

void	pgr_aws_creds_clear(struct pgr_aws_creds *c);

#endif
