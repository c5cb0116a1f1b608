/* backend.h: the SQLite backend's entry points, for the files of the
 * interface that pick a backend (store/store_open.c, store/site_open.c). */
#ifndef SYNCPACK_STORE_SQLITE_BACKEND_H
#define SYNCPACK_STORE_SQLITE_BACKEND_H

#include "util/error.h"
#include "store/listings.h"
#include "store/site.h"

struct store;

/* The SQLite record store over an open site; the site stays owned by the
 * caller and must outlive the store. */
SP_MUST_CHECK
struct store *store_sqlite_open(struct site *s, struct sp_error *err);

/* site_open, site_close and site_init (store/site.h) on a SQLite file. */
SP_MUST_CHECK
int sqlite_site_open(struct site *s, const char *path, int allow_uninit,
    struct sp_error *err);
void sqlite_site_close(struct site *s);
SP_MUST_CHECK
int sqlite_site_init(const char *path, const char *site_id, int hub,
    const char *key_path, const char *pub_path, struct sp_error *err);

/* store_list_tables (store/listings.h) of a SQLite site. */
SP_MUST_CHECK
int sqlite_list_tables(struct site *s, store_row_cb cb, void *ctx,
    struct sp_error *err);

#endif
