/* The bundle's archive writer (report/archive.c). */
#ifndef PGR_ARCHIVE_H
#define PGR_ARCHIVE_H

#include <stddef.h>
#include <time.h>

struct pgr_archive_file {
	char	*name;			/* under the top folder */
	char	*data;
	size_t	len;
	char	sha256[65];
};

/* Open libarchive once (dlopen); 0, or -1 with err if it cannot be had. */
int	pgr_archive_load(char *err, size_t errlen);

/* "3.6.2", or NULL when libarchive is not loaded. */
const char *pgr_archive_version(void);

/* The files v[0..n) under top/ as a .tar.gz on fd; 0, or -1 with err naming path. */
int	pgr_archive_write(int fd, const char *path, const char *top, time_t mtime,
	    const struct pgr_archive_file *v, size_t n, char *err, size_t errlen);

#endif
