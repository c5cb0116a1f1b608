/* peers.c: the list of registered peers (store/peers.h). */
#include <stdlib.h>
#include <string.h>

#include "store/peers.h"
#include "store/sqlite/backend.h"
#include "store/sqlite/sql.h"

/* A copy of column i, NULL staying NULL; -1 when out of memory. */
static int
column_dup(sqlite3_stmt *st, int i, char **out)
{
	const char *v = (const char *)sqlite3_column_text(st, i);

	*out = v != NULL ? strdup(v) : NULL;
	return v != NULL && *out == NULL ? -1 : 0;
}

int
sqlite_peers(struct site *s, struct store_peer **peers, size_t *count,
    struct sp_error *err)
{
	struct store_peer *all = NULL;
	sqlite3_stmt *st;
	size_t n = 0;
	int r;

	*peers = NULL;
	*count = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT site, url, added FROM "
	    "syncpack_peer ORDER BY site", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_peer *grown = realloc(all, (n + 1) * sizeof(*all));
		struct store_peer *p;

		if (grown == NULL)
			break;
		all = grown;
		p = &all[n++];
		memset(p, 0, sizeof(*p));
		if (column_dup(st, 0, &p->site) != 0 ||
		    column_dup(st, 1, &p->url) != 0 ||
		    column_dup(st, 2, &p->added) != 0)
			break;
	}
	sqlite3_finalize(st);
	if (r != SQLITE_DONE) {
		store_peers_free(all, n);
		return r == SQLITE_ROW ? sp_error_set(err, "out of memory")
		    : site_sqlite_error(s, err, s->path);
	}
	*peers = all;
	*count = n;
	return 0;
}
