/*
 * libmicrohttpd (the exporter's HTTP server) and libcrypt (its web
 * configuration's password hashes), opened when `pgreach serve` starts
 * instead of mapped on every run (util/lazylib.h).  The functions serve/
 * calls are defined here under their own names and call the libraries'
 * through the table.
 */
#include "config.h"

#include <stdarg.h>

#include <crypt.h>
#include <microhttpd.h>

#include "serve/servelibs.h"
#include "util/lazylib.h"

#define MHD_FNS(X)							\
	X(MHD_start_daemon_va) X(MHD_stop_daemon) X(MHD_quiesce_daemon)	\
	X(MHD_get_connection_info) X(MHD_lookup_connection_value)	\
	X(MHD_basic_auth_get_username_password)				\
	X(MHD_queue_basic_auth_fail_response) X(MHD_free)		\
	X(MHD_create_response_from_buffer) X(MHD_add_response_header)	\
	X(MHD_queue_response) X(MHD_destroy_response)
#define CRYPT_FNS(X)	X(crypt_r)

#define LZ_INDEX(f)	LZ_##f,
#define LZ_NAME(f)	#f,
enum { MHD_FNS(LZ_INDEX) LZ_MHD_N };
enum { CRYPT_FNS(LZ_INDEX) LZ_CRYPT_N };
static const char *const mhd_names[] = { MHD_FNS(LZ_NAME) };
static const char *const crypt_names[] = { CRYPT_FNS(LZ_NAME) };
static void *mhd_fns[LZ_MHD_N], *crypt_fns[LZ_CRYPT_N];

static struct pgr_lazylib mhd_lib = PGR_LAZYLIB_INIT("libmicrohttpd.so.12",
    "libmicrohttpd12", "pgreach serve", mhd_names, mhd_fns, NULL);
static struct pgr_lazylib crypt_lib = PGR_LAZYLIB_INIT("libcrypt.so.1",
    "libcrypt1", "pgreach serve", crypt_names, crypt_fns, NULL);

int
pgr_serve_libs_load(char *err, size_t errlen)
{
	if (pgr_lazylib_load(&mhd_lib, err, errlen) != 0 ||
	    pgr_lazylib_load(&crypt_lib, err, errlen) != 0)
		return -1;
	return 0;
}

#define MH(f)	((__typeof__(f) *)pgr_lazylib_fn(&mhd_lib, LZ_##f))

/* The options' list goes on as a va_list, the way the library takes it. */
struct MHD_Daemon *
MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc,
    void *apc_cls, MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
	struct MHD_Daemon *d;
	va_list ap;

	va_start(ap, dh_cls);
	d = MH(MHD_start_daemon_va)(flags, port, apc, apc_cls, dh, dh_cls, ap);
	va_end(ap);
	return d;
}

void
MHD_stop_daemon(struct MHD_Daemon *d)
{
	MH(MHD_stop_daemon)(d);
}

MHD_socket
MHD_quiesce_daemon(struct MHD_Daemon *d)
{
	return MH(MHD_quiesce_daemon)(d);
}

/* No info type libmicrohttpd 0.9.7x knows reads an argument after it. */
const union MHD_ConnectionInfo *
MHD_get_connection_info(struct MHD_Connection *c, enum MHD_ConnectionInfoType t, ...)
{
	return MH(MHD_get_connection_info)(c, t);
}

const char *
MHD_lookup_connection_value(struct MHD_Connection *c, enum MHD_ValueKind kind,
    const char *key)
{
	return MH(MHD_lookup_connection_value)(c, kind, key);
}

char *
MHD_basic_auth_get_username_password(struct MHD_Connection *c, char **password)
{
	return MH(MHD_basic_auth_get_username_password)(c, password);
}

enum MHD_Result
MHD_queue_basic_auth_fail_response(struct MHD_Connection *c, const char *realm,
    struct MHD_Response *r)
{
	return MH(MHD_queue_basic_auth_fail_response)(c, realm, r);
}

void
MHD_free(void *p)
{
	MH(MHD_free)(p);
}

struct MHD_Response *
MHD_create_response_from_buffer(size_t size, void *buf,
    enum MHD_ResponseMemoryMode mode)
{
	return MH(MHD_create_response_from_buffer)(size, buf, mode);
}

enum MHD_Result
MHD_add_response_header(struct MHD_Response *r, const char *header,
    const char *content)
{
	return MH(MHD_add_response_header)(r, header, content);
}

enum MHD_Result
MHD_queue_response(struct MHD_Connection *c, unsigned int status,
    struct MHD_Response *r)
{
	return MH(MHD_queue_response)(c, status, r);
}

void
MHD_destroy_response(struct MHD_Response *r)
{
	MH(MHD_destroy_response)(r);
}

char *
crypt_r(const char *phrase, const char *setting, struct crypt_data *data)
{
	return ((__typeof__(crypt_r) *)pgr_lazylib_fn(&crypt_lib, LZ_crypt_r))(phrase, setting, data);
}
