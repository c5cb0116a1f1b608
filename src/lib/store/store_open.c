/* store_open.c: the record store of a site, from the backend the site was
 * opened with. The one file above the backends that names them. */
#include "store/store.h"
#include "store/pg/backend.h"
#include "store/sqlite/backend.h"

struct store *
store_open(struct site *s, struct sp_error *err)
{
	if (s->backend == SITE_POSTGRESQL)
		return pg_store_open(s, err);
	return store_sqlite_open(s, err);
}
