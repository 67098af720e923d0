/*
 * Keepalive facts.  Linux's TCP_KEEPIDLE getsockopt() returns the socket's
 * own value or, when none was set, the namespace's tcp_keepalive_time: the
 * value in effect either way.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probes/keepalive.h"
#include "probes/target.h"

int
pgr_keepalive_sysctl_parse(const char *text)
{
	char buf[32];
	size_t n;
	long v;

	if (text == NULL)
		return -1;
	n = strcspn(text, "\n");
	if (n == 0 || n >= sizeof(buf) || text[n + (text[n] != '\0')] != '\0')
		return -1;	/* one line, one number */
	memcpy(buf, text, n);
	buf[n] = '\0';
	if (pgr_parse_long(buf, &v, 1, 1L << 30) != 0)
		return -1;
	return (int)v;
}

int
pgr_keepalive_sysctl_read(const char *path)
{
	char buf[64];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return pgr_keepalive_sysctl_parse(buf);
}

static int
sockopt_int(int fd, int level, int name, int *out)
{
	socklen_t len = sizeof(*out);

	*out = 0;
	return getsockopt(fd, level, name, out, &len);
}

void
pgr_keepalive_read_socket(int fd, struct pgr_keepalive_result *k)
{
	int on = 0, ut = 0;

	memset(k, 0, sizeof(*k));
	if (fd < 0 || sockopt_int(fd, SOL_SOCKET, SO_KEEPALIVE, &on) != 0)
		return;
	k->known = true;
	k->enabled = on != 0;
	sockopt_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, &k->idle_s);
	sockopt_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, &k->interval_s);
	sockopt_int(fd, IPPROTO_TCP, TCP_KEEPCNT, &k->count);
	if (sockopt_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut) == 0)
		k->user_timeout_ms = ut;
}

/* The last value of parameter key among t's libpq parameters, or NULL. */
static const char *
param(const struct pgr_target *t, const char *key)
{
	const char *v = NULL;
	size_t i;

	for (i = 0; i < t->nextra; i++)
		if (strcmp(t->extra_keys[i], key) == 0)
			v = t->extra_vals[i];
	return v;
}

static int
whole(const char *v, long lo, long hi, int dflt)
{
	long l;

	return v != NULL && pgr_parse_long(v, &l, lo, hi) == 0 ? (int)l : dflt;
}

const char *
pgr_keepalive_of_target(const struct pgr_target *t, int sysctl_time,
    struct pgr_keepalive_result *k)
{
	int idle = whole(param(t, "keepalives_idle"), 0, 1L << 30, 0);

	memset(k, 0, sizeof(*k));
	/* libpq: keepalives=0 turns SO_KEEPALIVE off; any other number, on. */
	k->enabled = whole(param(t, "keepalives"), 0, 1L << 30, 1) != 0;
	k->interval_s = whole(param(t, "keepalives_interval"), 0, 1L << 30, 0);
	k->count = whole(param(t, "keepalives_count"), 0, 1L << 30, 0);
	k->user_timeout_ms = whole(param(t, "tcp_user_timeout"), 0, 1L << 30, 0);
	/* libpq leaves TCP_KEEPIDLE alone for keepalives_idle=0 (or none). */
	if (idle > 0) {
		k->known = true;
		k->idle_s = idle;
		return "URL";
	}
	if (sysctl_time > 0) {
		k->known = true;
		k->idle_s = sysctl_time;
		return "kernel";
	}
	return NULL;
}
