/* curl_api.h: libcurl, loaded on the first transfer (curl_api.c). Linked
 * in, it and the two dozen libraries it pulls (GnuTLS, Kerberos, LDAP,
 * SSH, ...) were loaded and relocated at every start of every tool, most
 * of the time a one-record file took to apply; most runs move no file. */
#ifndef SYNCPACK_CURL_API_H
#define SYNCPACK_CURL_API_H

#define CURL_DISABLE_TYPECHECK	/* setopt goes through a pointer */
#include <curl/curl.h>

#include "util/error.h"

struct curl_api {
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	char *(*easy_unescape)(CURL *, const char *, int, int *);
	void (*free)(void *);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
};

/* The functions of libcurl, loaded once and kept until exit; NULL with err
 * set when the library cannot be loaded. */
const struct curl_api *curl_api_load(struct sp_error *err);

#endif
