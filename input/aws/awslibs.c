/*
 * libcurl and libxml2 for --aws, opened at the first AWS client instead of
 * mapped on every run (util/lazylib.h).  Each function the client and the
 * EC2 XML parser call is defined here under its own name and calls the
 * library's through the table, so their code reads as libcurl's and
 * libxml2's documentation has it.  pgreach exports none of these names, so
 * the libraries' own calls stay inside them.
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>

/* The functions, not curl's type-checking macros of the same names. */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>
#include <libxml/globals.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "input/aws/awslibs.h"
#include "util/lazylib.h"

#define CURL_FNS(X)							\
	X(curl_global_init) X(curl_easy_init) X(curl_easy_setopt)	\
	X(curl_easy_getinfo) X(curl_easy_cleanup) X(curl_easy_strerror)	\
	X(curl_easy_escape) X(curl_free) X(curl_slist_append)		\
	X(curl_slist_free_all) X(curl_multi_init) X(curl_multi_setopt)	\
	X(curl_multi_add_handle) X(curl_multi_remove_handle)		\
	X(curl_multi_socket_action) X(curl_multi_info_read)		\
	X(curl_multi_cleanup)
/* xmlFree is a variable (a function pointer): its address. */
#define XML_FNS(X)							\
	X(xmlReadMemory) X(xmlDocGetRootElement) X(xmlNodeGetContent)	\
	X(xmlFreeDoc) X(xmlFree)

#define LZ_INDEX(f)	LZ_##f,
#define LZ_NAME(f)	#f,
enum { CURL_FNS(LZ_INDEX) LZ_CURL_N };
enum { XML_FNS(LZ_INDEX) LZ_XML_N };
static const char *const curl_names[] = { CURL_FNS(LZ_NAME) };
static const char *const xml_names[] = { XML_FNS(LZ_NAME) };
static void *curl_fns[LZ_CURL_N], *xml_fns[LZ_XML_N];

/* libxml2's, read once it is open (it is never reset: no xmlMemSetup). */
xmlFreeFunc xmlFree = free;

static void
xml_loaded(void **fns)
{
	xmlFree = *(xmlFreeFunc *)fns[LZ_xmlFree];
}

static struct pgr_lazylib curl_lib = PGR_LAZYLIB_INIT("libcurl.so.4", "libcurl4",
    "--aws", curl_names, curl_fns, NULL);
static struct pgr_lazylib xml_lib = PGR_LAZYLIB_INIT("libxml2.so.2", "libxml2",
    "--aws", xml_names, xml_fns, xml_loaded);

int
pgr_aws_libs_load(char *err, size_t errlen)
{
	if (pgr_lazylib_load(&curl_lib, err, errlen) != 0 ||
	    pgr_lazylib_load(&xml_lib, err, errlen) != 0)
		return -1;
	return 0;
}

#define CU(f)	((__typeof__(f) *)pgr_lazylib_fn(&curl_lib, LZ_##f))
#define XM(f)	((__typeof__(f) *)pgr_lazylib_fn(&xml_lib, LZ_##f))

/*
 * The option's type by its number, as libcurl reads its variadic argument:
 * a long, a pointer (object or function), a curl_off_t, or a blob pointer.
 */
#define OPT_CALL(fn, h, opt, ap)					\
	((opt) < CURLOPTTYPE_OBJECTPOINT ? (fn)((h), (opt), va_arg((ap), long)) : \
	 (opt) >= CURLOPTTYPE_OFF_T && (opt) < CURLOPTTYPE_BLOB ?	\
	    (fn)((h), (opt), va_arg((ap), curl_off_t)) :		\
	    (fn)((h), (opt), va_arg((ap), void *)))

CURLcode
curl_global_init(long flags)
{
	return CU(curl_global_init)(flags);
}

CURL *
curl_easy_init(void)
{
	return CU(curl_easy_init)();
}

CURLcode
curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
	CURLcode rc;
	va_list ap;

	va_start(ap, opt);
	rc = OPT_CALL(CU(curl_easy_setopt), h, opt, ap);
	va_end(ap);
	return rc;
}

/* Every CURLINFO's argument is a pointer to where the answer goes. */
CURLcode
curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
	CURLcode rc;
	va_list ap;

	va_start(ap, info);
	rc = CU(curl_easy_getinfo)(h, info, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

void
curl_easy_cleanup(CURL *h)
{
	CU(curl_easy_cleanup)(h);
}

const char *
curl_easy_strerror(CURLcode rc)
{
	return CU(curl_easy_strerror)(rc);
}

char *
curl_easy_escape(CURL *h, const char *s, int len)
{
	return CU(curl_easy_escape)(h, s, len);
}

void
curl_free(void *p)
{
	CU(curl_free)(p);
}

struct curl_slist *
curl_slist_append(struct curl_slist *l, const char *s)
{
	return CU(curl_slist_append)(l, s);
}

void
curl_slist_free_all(struct curl_slist *l)
{
	CU(curl_slist_free_all)(l);
}

CURLM *
curl_multi_init(void)
{
	return CU(curl_multi_init)();
}

CURLMcode
curl_multi_setopt(CURLM *m, CURLMoption opt, ...)
{
	CURLMcode rc;
	va_list ap;

	va_start(ap, opt);
	rc = OPT_CALL(CU(curl_multi_setopt), m, opt, ap);
	va_end(ap);
	return rc;
}

CURLMcode
curl_multi_add_handle(CURLM *m, CURL *h)
{
	return CU(curl_multi_add_handle)(m, h);
}

CURLMcode
curl_multi_remove_handle(CURLM *m, CURL *h)
{
	return CU(curl_multi_remove_handle)(m, h);
}

CURLMcode
curl_multi_socket_action(CURLM *m, curl_socket_t s, int ev, int *running)
{
	return CU(curl_multi_socket_action)(m, s, ev, running);
}

CURLMsg *
curl_multi_info_read(CURLM *m, int *left)
{
	return CU(curl_multi_info_read)(m, left);
}

CURLMcode
curl_multi_cleanup(CURLM *m)
{
	return CU(curl_multi_cleanup)(m);
}

xmlDocPtr
xmlReadMemory(const char *buf, int size, const char *url, const char *enc,
    int options)
{
	return XM(xmlReadMemory)(buf, size, url, enc, options);
}

xmlNodePtr
xmlDocGetRootElement(const xmlDoc *doc)
{
	return XM(xmlDocGetRootElement)(doc);
}

xmlChar *
xmlNodeGetContent(const xmlNode *n)
{
	return XM(xmlNodeGetContent)(n);
}

void
xmlFreeDoc(xmlDocPtr doc)
{
	XM(xmlFreeDoc)(doc);
}
