/* outbox_pg.c: syncpack.outbox and the peers' URLs (store/outbox.h) of a
 * PostgreSQL site. */
#include <string.h>

#include "store/outbox.h"
#include "store/pg/backend.h"
#include "store/pg/pg.h"

int
pg_peer_url(struct site *s, const char *peer, char **url,
    struct sp_error *err)
{
	PGresult *res = pg_query(s, "SELECT url FROM syncpack.peer WHERE site "
	    "= $1", 1, &peer, err);
	int oom = 0;

	*url = NULL;
	if (res == NULL)
		return -1;
	if (PQntuples(res) > 0)
		*url = pg_dup(res, 0, 0, &oom);
	PQclear(res);
	if (oom)
		return sp_error_set(err, "out of memory");
	return *url != NULL;
}

int
pg_outbox_add(struct site *s, const char *name, const char *peer,
    const char *kind, const char *url, struct sp_error *err)
{
	const char *p[4] = { name, peer, kind, url };

	return pg_exec(s, "INSERT INTO syncpack.outbox(name, peer, kind, url, "
	    "added) VALUES ($1, $2, $3, $4, " PG_NOW ") ON CONFLICT (name) DO "
	    "UPDATE SET peer = excluded.peer, kind = excluded.kind, url = "
	    "excluded.url, added = excluded.added", 4, p, err);
}

int
pg_outbox_forget(struct site *s, const char *name, struct sp_error *err)
{
	return pg_exec(s, "DELETE FROM syncpack.outbox WHERE name = $1", 1,
	    &name, err);
}

int
pg_outbox_has(struct site *s, const char *name, struct sp_error *err)
{
	return pg_exists(s, "SELECT 1 FROM syncpack.outbox WHERE name = $1", 1,
	    &name, err);
}

int
pg_outbox_any(struct site *s, struct sp_error *err)
{
	return pg_exists(s, "SELECT 1 FROM syncpack.outbox LIMIT 1", 0, NULL,
	    err);
}

int
pg_outbox_list(struct site *s, struct store_outbox_file **files,
    size_t *count, struct sp_error *err)
{
	PGresult *res = pg_query(s, "SELECT name, peer, kind, url FROM "
	    "syncpack.outbox", 0, NULL, err);
	struct store_outbox_file *all;
	size_t n;

	*files = NULL;
	*count = 0;
	if (res == NULL)
		return -1;
	n = (size_t)PQntuples(res);
	if (n == 0) {
		PQclear(res);
		return 0;
	}
	if ((all = calloc(n, sizeof(*all))) == NULL) {
		PQclear(res);
		return sp_error_set(err, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		struct store_outbox_file *f = &all[i];

		/* Every column is NOT NULL. */
		f->name = strdup(PQgetvalue(res, (int)i, 0));
		f->peer = strdup(PQgetvalue(res, (int)i, 1));
		f->kind = strdup(PQgetvalue(res, (int)i, 2));
		f->url = strdup(PQgetvalue(res, (int)i, 3));
		if (!f->name || !f->peer || !f->kind || !f->url) {
			PQclear(res);
			store_outbox_files_free(all, i + 1);
			return sp_error_set(err, "out of memory");
		}
	}
	PQclear(res);
	*files = all;
	*count = n;
	return 0;
}
