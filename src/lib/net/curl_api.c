/* curl_api.c: loads libcurl on the first transfer (curl_api.h). */
#include <dlfcn.h>
#include <stddef.h>

#include "net/curl_api.h"

/* libcurl's soname since 7.16 (2006); the ABI it names is the one
 * curl/curl.h describes. */
#define CURL_SONAME "libcurl.so.4"

static struct curl_api api;
static int loaded;

/* Symbol name, then where its address goes, in struct curl_api's order. */
static const struct {
	const char *name;
	size_t offset;
} symbols[] = {
	{ "curl_easy_init", offsetof(struct curl_api, easy_init) },
	{ "curl_easy_setopt", offsetof(struct curl_api, easy_setopt) },
	{ "curl_easy_perform", offsetof(struct curl_api, easy_perform) },
	{ "curl_easy_cleanup", offsetof(struct curl_api, easy_cleanup) },
	{ "curl_easy_strerror", offsetof(struct curl_api, easy_strerror) },
	{ "curl_easy_unescape", offsetof(struct curl_api, easy_unescape) },
	{ "curl_free", offsetof(struct curl_api, free) },
	{ "curl_slist_append", offsetof(struct curl_api, slist_append) },
	{ "curl_slist_free_all", offsetof(struct curl_api, slist_free_all) },
};

const struct curl_api *
curl_api_load(struct sp_error *err)
{
	struct curl_api found;
	void *lib;

	if (loaded)
		return &api;
	/* Kept open: the handles and strings it returns outlive any one
	 * transfer. */
	lib = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL) {
		const char *why = dlerror();
		sp_error_set(err, "cannot load libcurl: %s", why ? why :
		    CURL_SONAME);
		return NULL;
	}
	for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
		void *f = dlsym(lib, symbols[i].name);
		if (f == NULL) {
			sp_error_set(err, "cannot load libcurl: %s has no %s",
			    CURL_SONAME, symbols[i].name);
			dlclose(lib);
			return NULL;
		}
		/* POSIX makes a function's address from dlsym usable. */
		*(void **)((char *)&found + symbols[i].offset) = f;
	}
	api = found;
	loaded = 1;
	return &api;
}
