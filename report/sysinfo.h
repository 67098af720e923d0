/* The bundle's system inventory (report/sysinfo.c): each fills *out. */
#ifndef PGR_SYSINFO_H
#define PGR_SYSINFO_H

#include <time.h>

#include "report/buf.h"

/* env/system.txt: versions (libarchive's as loaded, NULL: not), uname, os-release. */
void	pgr_sysinfo_system(struct pgr_buf *out, time_t started, const char *libarchive);
/* env/resolv.conf, or a comment saying why it is not there. */
void	pgr_sysinfo_resolv(struct pgr_buf *out);
/* env/network.txt: interfaces, MTUs, addresses, IPv4 and IPv6 routes. */
void	pgr_sysinfo_network(struct pgr_buf *out);

#endif
