/* store_open.c: the record store of a site, from the backend the site was
 * opened with. The one file above the backends that names them. */
#include "store/store.h"
#include "store/sqlite/backend.h"

struct store *
store_open(struct site *s, struct sp_error *err)
{
	/* SQLite is the only backend a site can be opened with so far
	 * (site_open); a second one is chosen here by the site's kind. */
	return store_sqlite_open(s, err);
}
