/*
 * The evidence bundle's picture of this host: versions, uname, os-release,
 * resolv.conf, interfaces and routes.  Each source that is missing is said
 * to be, never fatal; a FIFO in place of a file never hangs the run.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <net/route.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "report/bundle.h"
#include "report/sysinfo.h"
#include "util/text.h"
#include "report/versions.h"

#define ENV_FILE_MAX	(1024 * 1024)	/* os-release, resolv.conf, /proc */

static char sysroot[PATH_MAX];		/* "" is "/" */

void
pgr_bundle_set_sysroot(const char *root)
{
	snprintf(sysroot, sizeof(sysroot), "%s", root != NULL ? root : "");
}


static void
sys_path(char *out, size_t len, const char *path)
{
	snprintf(out, len, "%s%s", sysroot, path);
}

/* Read a small system file (a /proc file has no size); 0 or an errno. */
static int
read_small(const char *path, struct pgr_buf *b)
{
	char tmp[4096];
	ssize_t n;
	int fd, e = 0;

	/* O_NONBLOCK: a FIFO in place of resolv.conf must not hang the run. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return errno;
	while (b->len < ENV_FILE_MAX) {
		n = read(fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			break;
		}
		if (n == 0)
			break;
		pgr_buf_add(b, tmp, (size_t)n);
	}
	close(fd);
	return e;
}

/* "[title]" then the file, or a line saying why it is not there. */
static void
file_section(struct pgr_buf *b, const char *title, const char *const *paths)
{
	char path[PATH_MAX + 64];
	struct pgr_buf f = { 0 };
	size_t i;
	int e = ENOENT, first = 0;

	pgr_buf_printf(b, "\n[%s]\n", title);
	for (i = 0; paths[i] != NULL; i++) {
		sys_path(path, sizeof(path), paths[i]);
		pgr_buf_wipe(&f);
		if ((e = read_small(path, &f)) == 0)
			break;
		if (i == 0)
			first = e;
	}
	if (e != 0) {
		pgr_buf_printf(b, "(not available: %s: %s)\n", paths[0],
		    strerror(first));
	} else {
		pgr_buf_add(b, f.p != NULL ? f.p : "", f.len);
		if (f.len > 0 && f.p[f.len - 1] != '\n')
			pgr_buf_puts(b, "\n");
	}
	pgr_buf_wipe(&f);
}

void
pgr_sysinfo_system(struct pgr_buf *out, time_t started, const char *libarchive)
{
	static const char *const osrel[] = { "/etc/os-release",
	    "/usr/lib/os-release", NULL };
	struct pgr_versions v;
	struct utsname u;
	struct pgr_buf b = { 0 };
	char when[40], start[40];

	pgr_versions_get(&v);
	pgr_rfc3339(time(NULL), when, sizeof(when));
	pgr_rfc3339(started, start, sizeof(start));
	pgr_buf_printf(&b, "pgreach environment, collected %s for the run started %s\n",
	    when, start);
	pgr_buf_printf(&b, "\n[versions]\npgreach    %s\nlibpq      %s\nOpenSSL    %s\n"
	    "c-ares     %s\nlibarchive %s\n", v.pgreach, v.libpq, v.openssl,
	    v.cares, libarchive != NULL ? libarchive : "(not loaded)");
	pgr_buf_puts(&b, "\n[uname]\n");
	if (uname(&u) == 0)
		pgr_buf_printf(&b, "sysname  %s\nnodename %s\nrelease  %s\nversion  %s\n"
		    "machine  %s\n", u.sysname, u.nodename, u.release, u.version,
		    u.machine);
	else
		pgr_buf_printf(&b, "(not available: uname: %s)\n", strerror(errno));
	file_section(&b, "/etc/os-release", osrel);
	*out = b;
}

void
pgr_sysinfo_resolv(struct pgr_buf *out)
{
	char path[PATH_MAX + 64];
	struct pgr_buf b = { 0 };
	int e;

	sys_path(path, sizeof(path), "/etc/resolv.conf");
	if ((e = read_small(path, &b)) != 0) {
		pgr_buf_wipe(&b);
		pgr_buf_printf(&b, "# not available: /etc/resolv.conf: %s\n",
		    strerror(e));
	}
	*out = b;
}

static int
prefix_len(const unsigned char *p, size_t n)
{
	int bits = 0;
	size_t i;

	for (i = 0; i < n; i++)
		bits += __builtin_popcount(p[i]);
	return bits;
}

static void
iface_mtu(struct pgr_buf *b, const char *name)
{
	char rel[IF_NAMESIZE + 32], path[PATH_MAX + 64];
	struct pgr_buf f = { 0 };

	snprintf(rel, sizeof(rel), "/sys/class/net/%s/mtu", name);
	sys_path(path, sizeof(path), rel);
	if (strchr(name, '/') == NULL && read_small(path, &f) == 0 && f.len > 0) {
		f.p[strcspn(f.p, "\n")] = '\0';
		pgr_buf_printf(b, " mtu %s", f.p);
	}
	pgr_buf_wipe(&f);
}

static void
iface_flags(struct pgr_buf *b, unsigned int fl)
{
	static const struct { unsigned int bit; const char *name; } names[] = {
		{ IFF_UP, "UP" }, { IFF_LOOPBACK, "LOOPBACK" },
		{ IFF_POINTOPOINT, "POINTOPOINT" }, { IFF_RUNNING, "RUNNING" },
		{ IFF_NOARP, "NOARP" }, { IFF_MULTICAST, "MULTICAST" },
	};
	size_t i, n = 0;

	pgr_buf_puts(b, " <");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (fl & names[i].bit)
			pgr_buf_printf(b, "%s%s", n++ ? "," : "", names[i].name);
	pgr_buf_puts(b, ">");
}

/* One address line: "inet 10.0.0.5/24"; other families are left out. */
static void
iface_addr(struct pgr_buf *b, const struct sockaddr *sa, const struct sockaddr *nm)
{
	const struct sockaddr_in *a4, *m4;
	const struct sockaddr_in6 *a6, *m6;
	char text[INET6_ADDRSTRLEN];
	int plen = -1;

	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET) {
		a4 = (const void *)sa;
		m4 = (const void *)nm;
		inet_ntop(AF_INET, &a4->sin_addr, text, sizeof(text));
		if (m4 != NULL)
			plen = prefix_len((const void *)&m4->sin_addr, 4);
		pgr_buf_printf(b, "    inet  %s/%d\n", text, plen);
	} else if (sa->sa_family == AF_INET6) {
		a6 = (const void *)sa;
		m6 = (const void *)nm;
		inet_ntop(AF_INET6, &a6->sin6_addr, text, sizeof(text));
		if (m6 != NULL)
			plen = prefix_len(m6->sin6_addr.s6_addr, 16);
		pgr_buf_printf(b, "    inet6 %s/%d\n", text, plen);
	}
}

/* getifaddrs(): one block per interface, its addresses under it. */
static void
net_interfaces(struct pgr_buf *b)
{
	struct ifaddrs *ifa, *i, *j;

	pgr_buf_puts(b, "[interfaces and addresses] (getifaddrs)\n");
	if (getifaddrs(&ifa) != 0) {
		pgr_buf_printf(b, "(not available: getifaddrs: %s)\n", strerror(errno));
		return;
	}
	for (i = ifa; i != NULL; i = i->ifa_next) {
		for (j = ifa; j != i; j = j->ifa_next)
			if (strcmp(j->ifa_name, i->ifa_name) == 0)
				break;
		if (j != i)
			continue;	/* shown with its first entry */
		pgr_buf_printf(b, "%s:", i->ifa_name);
		iface_flags(b, i->ifa_flags);
		iface_mtu(b, i->ifa_name);
		pgr_buf_puts(b, "\n");
		for (j = i; j != NULL; j = j->ifa_next)
			if (strcmp(j->ifa_name, i->ifa_name) == 0)
				iface_addr(b, j->ifa_addr, j->ifa_netmask);
	}
	freeifaddrs(ifa);
}

/*
 * /proc/net/route: Iface Destination Gateway Flags RefCnt Use Metric Mask
 * ...; addresses are the kernel's __be32 printed as a host-order %08X, so
 * the parsed number is already s_addr.
 */
static void
routes_v4(struct pgr_buf *b)
{
	char path[PATH_MAX + 64], ifname[64];
	char dst[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];
	unsigned int d, g, flags, metric, mask, refcnt, use;
	struct pgr_buf f = { 0 };
	struct in_addr a;
	char *line, *save = NULL;
	int e, first = 1;

	pgr_buf_puts(b, "\n[IPv4 routes] (/proc/net/route, main table)\n");
	sys_path(path, sizeof(path), "/proc/net/route");
	if ((e = read_small(path, &f)) != 0 || f.p == NULL) {
		pgr_buf_printf(b, "(not available: /proc/net/route: %s)\n",
		    strerror(e ? e : ENODATA));
		pgr_buf_wipe(&f);
		return;
	}
	for (line = strtok_r(f.p, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (first) {
			first = 0;	/* the header */
			continue;
		}
		if (sscanf(line, "%63s %x %x %x %u %u %u %x", ifname, &d, &g,
		    &flags, &refcnt, &use, &metric, &mask) != 8)
			continue;
		a.s_addr = d;
		inet_ntop(AF_INET, &a, dst, sizeof(dst));
		pgr_buf_printf(b, "%s/%d", dst, prefix_len((const void *)&mask, 4));
		if (flags & RTF_GATEWAY) {
			a.s_addr = g;
			inet_ntop(AF_INET, &a, gw, sizeof(gw));
			pgr_buf_printf(b, " via %s", gw);
		}
		pgr_buf_printf(b, " dev %s metric %u%s%s\n", ifname, metric,
		    flags & RTF_UP ? "" : " down",
		    flags & RTF_REJECT ? " reject" : "");
	}
	pgr_buf_wipe(&f);
}

static bool
hex16(const char *s, unsigned char out[16])
{
	int i, hi, lo;

	for (i = 0; i < 16; i++) {
		if ((hi = pgr_hexval(s[2 * i])) < 0 || (lo = pgr_hexval(s[2 * i + 1])) < 0)
			return false;
		out[i] = (unsigned char)(hi * 16 + lo);
	}
	return true;
}

/*
 * /proc/net/ipv6_route: dst dst_len src src_len next_hop metric refcnt use
 * flags iface; addresses as 32 hex digits in network order; every table.
 */
static void
routes_v6(struct pgr_buf *b)
{
	char path[PATH_MAX + 64], sdst[33], ssrc[33], snh[33], ifname[64];
	char dst[INET6_ADDRSTRLEN], src[INET6_ADDRSTRLEN], nh[INET6_ADDRSTRLEN];
	unsigned char addr[16];
	unsigned int dlen, slen, metric, refcnt, use, flags;
	struct pgr_buf f = { 0 };
	char *line, *save = NULL;
	int e;

	pgr_buf_puts(b, "\n[IPv6 routes] (/proc/net/ipv6_route, all tables)\n");
	sys_path(path, sizeof(path), "/proc/net/ipv6_route");
	if ((e = read_small(path, &f)) != 0 || f.p == NULL) {
		pgr_buf_printf(b, "(not available: /proc/net/ipv6_route: %s)\n",
		    strerror(e ? e : ENODATA));
		pgr_buf_wipe(&f);
		return;
	}
	for (line = strtok_r(f.p, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%32s %x %32s %x %32s %x %x %x %x %63s", sdst,
		    &dlen, ssrc, &slen, snh, &metric, &refcnt, &use, &flags,
		    ifname) != 10 || !hex16(sdst, addr))
			continue;
		inet_ntop(AF_INET6, addr, dst, sizeof(dst));
		pgr_buf_printf(b, "%s/%u", dst, dlen);
		if (slen > 0 && hex16(ssrc, addr)) {
			inet_ntop(AF_INET6, addr, src, sizeof(src));
			pgr_buf_printf(b, " from %s/%u", src, slen);
		}
		if (hex16(snh, addr) && memcmp(addr, &in6addr_any, 16) != 0) {
			inet_ntop(AF_INET6, addr, nh, sizeof(nh));
			pgr_buf_printf(b, " via %s", nh);
		}
		pgr_buf_printf(b, " dev %s metric %u%s\n", ifname, metric,
		    flags & RTF_REJECT ? " reject" : "");
	}
	pgr_buf_wipe(&f);
}

void
pgr_sysinfo_network(struct pgr_buf *out)
{
	struct pgr_buf b = { 0 };

	net_interfaces(&b);
	routes_v4(&b);
	routes_v6(&b);
	*out = b;
}

