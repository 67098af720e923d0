/*
 * The bundle's archive: a gzipped pax tar written through libarchive,
 * which is opened only when a bundle is asked for.
 */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "probes/result.h"
#include "report/archive.h"
#include "report/bundle.h"

/*
 * libarchive brings its compressors, libxml2 and ICU (libstdc++ with it):
 * 40 libraries for the loader to map at start instead of 25, about 2 ms on
 * every run, a health check's included.  Only --bundle needs it, so it is
 * opened then, the way systemd opens its optional libraries.  The headers
 * still give every pointer its type.
 */
#define LA_FUNCS(X)							\
	X(archive_version_string) X(archive_error_string)		\
	X(archive_write_new) X(archive_write_free)			\
	X(archive_write_add_filter_gzip)				\
	X(archive_write_set_format_pax_restricted)			\
	X(archive_write_set_bytes_in_last_block)			\
	X(archive_write_open_fd) X(archive_write_header)		\
	X(archive_write_data) X(archive_write_close)			\
	X(archive_entry_new) X(archive_entry_free)			\
	X(archive_entry_set_pathname) X(archive_entry_set_filetype)	\
	X(archive_entry_set_perm) X(archive_entry_set_size)		\
	X(archive_entry_set_uid) X(archive_entry_set_gid)		\
	X(archive_entry_set_mtime)
#define LA_MEMBER(f)	__typeof__(f) *f;
static struct {
	void		*h;
	LA_FUNCS(LA_MEMBER)
} la;

/* Open libarchive once; -1 with err if it cannot be had. */
int
pgr_archive_load(char *err, size_t errlen)
{
	void *h;

	if (la.h != NULL)
		return 0;
	if ((h = dlopen(PGR_LIBARCHIVE_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL)
		return pgr_fail(err, errlen, "bundle: cannot load %s (install the Debian package libarchive13): %s",
		    PGR_LIBARCHIVE_SONAME, dlerror());
#define LA_SYM(f)							\
	if ((*(void **)&la.f = dlsym(h, #f)) == NULL) {			\
		dlclose(h);						\
		memset(&la, 0, sizeof(la));				\
		return pgr_fail(err, errlen, "bundle: %s has no %s",	\
		    PGR_LIBARCHIVE_SONAME, #f);				\
	}
	LA_FUNCS(LA_SYM)
#undef LA_SYM
	la.h = h;
	return 0;
}

void
pgr_bundle_unload(void)
{
	if (la.h != NULL)
		dlclose(la.h);
	memset(&la, 0, sizeof(la));
}

const char *
pgr_archive_version(void)
{
	const char *v;

	if (la.h == NULL || (v = la.archive_version_string()) == NULL)
		return NULL;
	return strncmp(v, "libarchive ", 11) == 0 ? v + 11 : v;
}

int
pgr_archive_write(int fd, const char *path, const char *top, time_t mtime,
    const struct pgr_archive_file *v, size_t nv, char *err, size_t errlen)
{
	struct archive_entry *e = NULL;
	struct archive *a;
	char name[512];
	size_t i, off;
	la_ssize_t n;

	if ((a = la.archive_write_new()) == NULL)
		return pgr_fail(err, errlen, "bundle %s: out of memory", path);
	/* pax: names past ustar's 100 bytes (a vpce host name is ~90). */
	if (la.archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
	    la.archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    la.archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    la.archive_write_open_fd(a, fd) != ARCHIVE_OK)
		goto aerr;
	for (i = 0; i < nv; i++) {
		if ((e = la.archive_entry_new()) == NULL)
			goto aerr;
		snprintf(name, sizeof(name), "%s/%s", top, v[i].name);
		la.archive_entry_set_pathname(e, name);
		la.archive_entry_set_filetype(e, AE_IFREG);
		la.archive_entry_set_perm(e, 0600);
		la.archive_entry_set_size(e, (la_int64_t)v[i].len);
		la.archive_entry_set_uid(e, 0);
		la.archive_entry_set_gid(e, 0);
		la.archive_entry_set_mtime(e, mtime, 0);
		if (la.archive_write_header(a, e) != ARCHIVE_OK)
			goto aerr;
		for (off = 0; off < v[i].len; off += (size_t)n)
			if ((n = la.archive_write_data(a, v[i].data + off,
			    v[i].len - off)) <= 0)
				goto aerr;
		la.archive_entry_free(e);
		e = NULL;
	}
	if (la.archive_write_close(a) != ARCHIVE_OK)
		goto aerr;
	la.archive_write_free(a);
	return 0;
aerr:
	pgr_fail(err, errlen, "bundle %s: %s", path, la.archive_error_string(a) ?
	    la.archive_error_string(a) : "cannot write the archive");
	la.archive_entry_free(e);
	la.archive_write_free(a);
	return -1;
}

