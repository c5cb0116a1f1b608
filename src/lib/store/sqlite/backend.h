/* backend.h: the SQLite backend's entry point, for the one file of the
 * interface that picks a backend (store/store_open.c). */
#ifndef SYNCPACK_STORE_SQLITE_BACKEND_H
#define SYNCPACK_STORE_SQLITE_BACKEND_H

#include "util/error.h"
#include "store/site.h"

struct store;

/* The SQLite record store over an open site; the site stays owned by the
 * caller and must outlive the store. */
SP_MUST_CHECK
struct store *store_sqlite_open(struct site *s, struct sp_error *err);

#endif
