/*
 * The credential chain, in botocore's order: environment, web identity
 * (environment or profile), the shared credentials file, the profile's
 * credential_process, keys in the config file, then the instance role.
 * The network sources (STS, IMDS) are only named here; client.c asks them
 * from the run's poll loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "input/aws/creds.h"
#include "probes/clock.h"

extern char **environ;

/* What one profile says, from either file. */
struct profile {
	char	access_key[128];
	char	secret_key[128];	/* SECRET */
	char	session_token[4096];	/* SECRET */
	char	process[1024];		/* credential_process */
	char	role_arn[256];
	char	token_file[1024];	/* web_identity_token_file */
	char	session_name[64];
	char	region[32];
};

static void
copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src != NULL ? src : "");
}

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/*
 * Read section want of the INI file path into p (keys only set if
 * present).  true if the section was there.  In ~/.aws/config a profile
 * other than default is "[profile NAME]"; in ~/.aws/credentials "[NAME]".
 */
static bool
read_section(const char *path, const char *want, bool config, struct profile *p)
{
	static const struct {
		const char *key;
		size_t off, len;
	} keys[] = {
#define K(k, f) { k, offsetof(struct profile, f), sizeof(((struct profile *)0)->f) }
		K("aws_access_key_id", access_key),
		K("aws_secret_access_key", secret_key),
		K("aws_session_token", session_token),
		K("credential_process", process),
		K("role_arn", role_arn),
		K("web_identity_token_file", token_file),
		K("role_session_name", session_name),
		K("region", region),
#undef K
	};
	char line[4096], name[300];
	bool in = false, found = false;
	FILE *f;
	size_t i;

	if (path == NULL || (f = fopen(path, "re")) == NULL)
		return false;
	if (!config || strcmp(want, "default") == 0)
		snprintf(name, sizeof(name), "%s", want);
	else
		snprintf(name, sizeof(name), "profile %s", want);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *s = trim(line), *eq;

		if (*s == '#' || *s == ';' || *s == '\0')
			continue;
		if (*s == '[') {
			char *end = strchr(s, ']');

			if (end != NULL)
				*end = '\0';
			in = strcmp(trim(s + 1), name) == 0;
			found |= in;
			continue;
		}
		if (!in || (eq = strchr(s, '=')) == NULL)
			continue;
		*eq = '\0';
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strcmp(trim(s), keys[i].key) == 0)
				copy((char *)p + keys[i].off, keys[i].len, trim(eq + 1));
	}
	explicit_bzero(line, sizeof(line));
	fclose(f);
	return found;
}

static void
home_path(char *buf, size_t len, const char *var, const char *file)
{
	const char *home = env("HOME");

	if (env(var) != NULL)
		snprintf(buf, len, "%s", env(var));
	else if (home != NULL)
		snprintf(buf, len, "%s/.aws/%s", home, file);
	else
		buf[0] = '\0';
}

static int
set_keys(struct pgr_aws_creds *c, const char *ak, const char *sk, const char *tok,
    const char *source)
{
	copy(c->access_key, sizeof(c->access_key), ak);
	copy(c->secret_key, sizeof(c->secret_key), sk);
	free(c->session_token);
	c->session_token = NULL;
	if (tok != NULL && tok[0] != '\0' && (c->session_token = strdup(tok)) == NULL)
		return -1;
	/* From pgr_aws_creds_from_json() the source is already c's own: no overlapping copy. */
	if (source != c->source)
		copy(c->source, sizeof(c->source), source);
	return 0;
}

int
pgr_aws_creds_from_json(struct pgr_aws_creds *c, const char *json, size_t len,
    char *err, size_t errlen)
{
	json_t *root = json_loadb(json, len, 0, NULL);
	const char *ak, *sk, *tok;
	int rc = -1;

	if (!json_is_object(root)) {
		snprintf(err, errlen, "the credentials are not a JSON object");
		goto out;
	}
	ak = json_string_value(json_object_get(root, "AccessKeyId"));
	sk = json_string_value(json_object_get(root, "SecretAccessKey"));
	/* credential_process says SessionToken; IMDS says Token. */
	tok = json_string_value(json_object_get(root, "SessionToken"));
	if (tok == NULL)
		tok = json_string_value(json_object_get(root, "Token"));
	if (ak == NULL || sk == NULL || ak[0] == '\0' || sk[0] == '\0') {
		snprintf(err, errlen, "the credentials lack AccessKeyId or SecretAccessKey");
		goto out;
	}
	if (set_keys(c, ak, sk, tok, c->source) != 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	/* jansson keeps its own copy of the secret: wipe it before freeing. */
	if (json_is_object(root)) {
		json_t *v;

		if ((v = json_object_get(root, "SecretAccessKey")) != NULL && json_is_string(v))
			explicit_bzero((char *)json_string_value(v), json_string_length(v));
		if ((v = json_object_get(root, "SessionToken")) != NULL && json_is_string(v))
			explicit_bzero((char *)json_string_value(v), json_string_length(v));
		if ((v = json_object_get(root, "Token")) != NULL && json_is_string(v))
			explicit_bzero((char *)json_string_value(v), json_string_length(v));
	}
	json_decref(root);
	return rc;
}

/*
 * credential_process: run through /bin/sh (the CLI splits the line like a
 * shell, without one; the same for every line without shell syntax),
 * stdout read up to 64 KiB, stderr left to the user's terminal, killed at
 * the deadline.  Its own stdin is /dev/null.
 */
static int
run_process(struct pgr_aws_creds *c, const char *cmd, int timeout_ms, char *err,
    size_t errlen)
{
	char *argv[] = { "/bin/sh", "-c", (char *)cmd, NULL };
	posix_spawn_file_actions_t fa;
	char *out = NULL;
	size_t n = 0, cap = 65536;
	double end = pgr_now_ms() + timeout_ms;
	int fds[2], status = 0, rc = -1;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) != 0 || (out = malloc(cap)) == NULL) {
		snprintf(err, errlen, "credential_process: %s", strerror(errno));
		free(out);
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	if (posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		close(fds[0]);
		close(fds[1]);
		free(out);
		snprintf(err, errlen, "credential_process: cannot start /bin/sh");
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	for (;;) {
		struct pollfd p = { fds[0], POLLIN, 0 };
		double left = end - pgr_now_ms();
		ssize_t r;

		if (left <= 0) {
			kill(pid, SIGKILL);
			snprintf(err, errlen, "credential_process: no answer within %d ms",
			    timeout_ms);
			goto reap;
		}
		if (poll(&p, 1, (int)left + 1) < 0 && errno != EINTR)
			break;
		if (p.revents == 0)
			continue;
		r = read(fds[0], out + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n == cap - 1) {
			kill(pid, SIGKILL);
			snprintf(err, errlen, "credential_process: more than 64 KiB of output");
			goto reap;
		}
	}
	rc = 0;
reap:
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
		snprintf(err, errlen, "credential_process exited with status %d",
		    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		rc = -1;
	}
	if (rc == 0)
		rc = pgr_aws_creds_from_json(c, out, n, err, errlen);
	explicit_bzero(out, cap);
	free(out);
	return rc;
}

enum pgr_aws_creds_next
pgr_aws_creds_find(struct pgr_aws_creds *c, struct pgr_aws_creds_hint *h,
    int timeout_ms, char *err, size_t errlen)
{
	const char *name = env("AWS_PROFILE") ? env("AWS_PROFILE") :
	    env("AWS_DEFAULT_PROFILE") ? env("AWS_DEFAULT_PROFILE") : "default";
	char cred_path[1024], conf_path[1024], src[48];
	struct profile fromcred, fromconf;
	bool in_cred, in_conf;
	enum pgr_aws_creds_next next = PGR_CREDS_FAILED;

	memset(h, 0, sizeof(*h));
	err[0] = '\0';
	if (env("AWS_ACCESS_KEY_ID") && env("AWS_SECRET_ACCESS_KEY")) {
		if (set_keys(c, env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"),
		    env("AWS_SESSION_TOKEN"), "environment") != 0) {
			snprintf(err, errlen, "out of memory");
			return PGR_CREDS_FAILED;
		}
		return PGR_CREDS_READY;
	}
	memset(&fromcred, 0, sizeof(fromcred));
	memset(&fromconf, 0, sizeof(fromconf));
	home_path(cred_path, sizeof(cred_path), "AWS_SHARED_CREDENTIALS_FILE", "credentials");
	home_path(conf_path, sizeof(conf_path), "AWS_CONFIG_FILE", "config");
	in_cred = cred_path[0] && read_section(cred_path, name, false, &fromcred);
	in_conf = conf_path[0] && read_section(conf_path, name, true, &fromconf);
	copy(h->region, sizeof(h->region), fromconf.region);
	if (env("AWS_PROFILE") != NULL && !in_cred && !in_conf) {
		snprintf(err, errlen, "AWS_PROFILE=%.64s: no such profile in %s or %s",
		    name, cred_path, conf_path);
		goto out;
	}
	/* Web identity: the environment, else the profile's two settings. */
	if (env("AWS_WEB_IDENTITY_TOKEN_FILE") && env("AWS_ROLE_ARN")) {
		copy(h->role_arn, sizeof(h->role_arn), env("AWS_ROLE_ARN"));
		copy(h->token_file, sizeof(h->token_file), env("AWS_WEB_IDENTITY_TOKEN_FILE"));
		copy(h->session_name, sizeof(h->session_name), env("AWS_ROLE_SESSION_NAME"));
	} else if (fromconf.role_arn[0] && fromconf.token_file[0]) {
		copy(h->role_arn, sizeof(h->role_arn), fromconf.role_arn);
		copy(h->token_file, sizeof(h->token_file), fromconf.token_file);
		copy(h->session_name, sizeof(h->session_name), fromconf.session_name);
	}
	if (h->role_arn[0]) {
		if (h->session_name[0] == '\0')
			copy(h->session_name, sizeof(h->session_name), "pgreach");
		next = PGR_CREDS_WEB_IDENTITY;
		goto out;
	}
	snprintf(src, sizeof(src), "profile %.38s", name);
	if (fromcred.access_key[0] && fromcred.secret_key[0]) {
		next = set_keys(c, fromcred.access_key, fromcred.secret_key,
		    fromcred.session_token, src) == 0 ? PGR_CREDS_READY : PGR_CREDS_FAILED;
		goto out;
	}
	if (fromconf.process[0]) {
		snprintf(c->source, sizeof(c->source), "credential_process (%.24s)", name);
		next = run_process(c, fromconf.process, timeout_ms, err, errlen) == 0 ?
		    PGR_CREDS_READY : PGR_CREDS_FAILED;
		goto out;
	}
	if (fromconf.access_key[0] && fromconf.secret_key[0]) {
		next = set_keys(c, fromconf.access_key, fromconf.secret_key,
		    fromconf.session_token, src) == 0 ? PGR_CREDS_READY : PGR_CREDS_FAILED;
		goto out;
	}
	/* Like the CLI: AWS_EC2_METADATA_DISABLED=true ends the chain here. */
	if (env("AWS_EC2_METADATA_DISABLED") && strcasecmp(env("AWS_EC2_METADATA_DISABLED"),
	    "true") == 0) {
		snprintf(err, errlen, "none in the environment or the shared files, "
		    "and AWS_EC2_METADATA_DISABLED=true");
		goto out;
	}
	next = PGR_CREDS_IMDS;
out:
	explicit_bzero(&fromcred, sizeof(fromcred));
	explicit_bzero(&fromconf, sizeof(fromconf));
	return next;
}

void
pgr_aws_creds_clear(struct pgr_aws_creds *c)
{
	if (c->session_token != NULL) {
		explicit_bzero(c->session_token, strlen(c->session_token));
		free(c->session_token);
	}
	explicit_bzero(c, sizeof(*c));
}
