/* backend_via.h: for the files above the backends that pass a call on
 * to the site's backend (store/facets_*.c): the backend's function of
 * the same job, sqlite_NAME or pg_NAME. Both have the same type, which
 * the conditional checks. */
#ifndef SYNCPACK_STORE_BACKEND_VIA_H
#define SYNCPACK_STORE_BACKEND_VIA_H

#include "store/pg/backend.h"
#include "store/sqlite/backend.h"

#define VIA(s, name) \
	((s)->backend == SITE_POSTGRESQL ? pg_##name : sqlite_##name)

/* The same by the backend of a record store (store/store.h). */
#define VIA_STORE(st, name) \
	(pg_store_is(st) ? pg_##name : sqlite_##name)

#endif
