/* store_open.c: the record store of a site, from the backend the site was
 * opened with. The one file above the backends that names them. */
#include "store/store.h"
#include "store/sqlite/backend.h"

struct store *
store_open(struct site *s, struct sp_error *err)
{
	/* The records of a PostgreSQL site (packing and applying) are the
	 * next part of that backend to come. */
	if (s->backend == SITE_POSTGRESQL) {
		sp_error_set(err, "%s: not yet available on a PostgreSQL site",
		    s->path);
		return NULL;
	}
	return store_sqlite_open(s, err);
}
