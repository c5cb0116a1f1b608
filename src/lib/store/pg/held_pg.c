/* held_pg.c: the rows of syncpack.held (store/held.h) and the deletes
 * an apply sets aside (store/deferred.h) of a PostgreSQL site. */
#include <stdlib.h>
#include <string.h>

#include "store/deferred.h"
#include "store/held.h"
#include "store/pg/backend.h"
#include "store/pg/pg.h"
#include "store/pg/store_pg.h"

int
pg_held_put(struct store *st, const char *guid, const char *table,
    const char *peer, long long flow, long long rowversion,
    const char *reason, const char *line, size_t len, struct sp_error *err)
{
	char f[PG_INT_LEN], rv[PG_INT_LEN], *copy = strndup(line, len);
	const char *p[7] = { guid, peer, pg_int(f, flow), table, reason, copy,
	    pg_int(rv, rowversion) };
	int rc;

	if (copy == NULL)
		return sp_error_set(err, "out of memory");
	rc = pg_store_exec(st, "INSERT INTO syncpack.held(guid, peer, flow, "
	    "tbl, reason, since, record) VALUES ($1, $2, $3, $4, $5, " PG_NOW
	    ", $6) ON CONFLICT (guid) DO UPDATE SET peer = $2, flow = $3, "
	    "reason = $5, record = $6 WHERE (syncpack.held.record::jsonb ->> "
	    "'rowversion')::bigint <= $7::bigint", 7, p, err);
	free(copy);
	return rc;
}

int
pg_held_drop(struct store *st, const char *guid, long long rowversion,
    struct sp_error *err)
{
	char rv[PG_INT_LEN];
	const char *p[2] = { guid, pg_int(rv, rowversion) };

	return pg_store_exec(st, "DELETE FROM syncpack.held WHERE guid = $1 AND "
	    "(record::jsonb ->> 'rowversion')::bigint <= $2::bigint", 2, p,
	    err);
}

int
pg_held_each(struct store *st, store_held_cb cb, void *ctx,
    struct sp_error *err)
{
	struct site *s = store_pg_site(st);
	char *since = NULL, after[PG_INT_LEN] = "0";
	int rc = 0;

	/* One row per query, none kept open, as the callback puts, drops
	 * and releases held records meanwhile. */
	while (rc == 0) {
		const char *p[2] = { since, after };
		PGresult *res = pg_query(s, "SELECT guid, peer, flow, record, "
		    "since, seq FROM syncpack.held WHERE $1::text IS NULL OR "
		    "(since, seq) > ($1, $2::bigint) ORDER BY since, seq LIMIT "
		    "1", 2, p, err);

		if (res == NULL) {
			rc = -1;
			break;
		}
		if (PQntuples(res) == 0) {
			PQclear(res);
			break;
		}
		free(since);
		since = strdup(PQgetvalue(res, 0, 4));
		pg_int(after, pg_ll(res, 0, 5));
		rc = since == NULL ? sp_error_set(err, "out of memory") :
		    cb(ctx, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
		    pg_ll(res, 0, 2), PQgetvalue(res, 0, 3), err);
		PQclear(res);
	}
	free(since);
	return rc;
}

int
pg_held_release(struct store *st, const char *guid, struct sp_error *err)
{
	if (pg_store_exec(st, "DELETE FROM syncpack.held WHERE guid = $1", 1,
	    &guid, err) != 0)
		return -1;
	return pg_store_exec(st, "UPDATE syncpack.protocol SET outcome = "
	    "'released' WHERE direction = 'in' AND guid = $1 AND outcome = "
	    "'held'", 1, &guid, err);
}

/* The scratch table of set-aside deletes, in the session's temporary
 * schema: no other connection sees it; made again after a rollback
 * took it away. */
static int
deferred_table(struct store *st, struct sp_error *err)
{
	return pg_exec(store_pg_site(st), "CREATE TEMP TABLE IF NOT EXISTS "
	    "syncpack_deferred(id bigint GENERATED ALWAYS AS IDENTITY PRIMARY "
	    "KEY, line text NOT NULL)", 0, NULL, err);
}

int
pg_deferred_put(struct store *st, const char *line, size_t len,
    struct sp_error *err)
{
	char *copy = strndup(line, len);
	int rc;

	if (copy == NULL)
		return sp_error_set(err, "out of memory");
	rc = deferred_table(st, err) != 0 ? -1 : pg_exec(store_pg_site(st),
	    "INSERT INTO pg_temp.syncpack_deferred(line) VALUES ($1)", 1,
	    (const char *const *)&copy, err);
	free(copy);
	return rc;
}

int
pg_deferred_each(struct store *st, store_deferred_cb cb, void *ctx,
    struct sp_error *err)
{
	struct site *s = store_pg_site(st);
	char after[PG_INT_LEN] = "0";
	int rc = 0;

	if (deferred_table(st, err) != 0)
		return -1;
	while (rc == 0) {
		const char *p[1] = { after };
		PGresult *res = pg_query(s, "SELECT id, line FROM "
		    "pg_temp.syncpack_deferred WHERE id > $1 ORDER BY id LIMIT "
		    "1", 1, p, err);
		long long id;

		if (res == NULL)
			return -1;
		if (PQntuples(res) == 0) {
			PQclear(res);
			break;
		}
		id = pg_ll(res, 0, 0);
		pg_int(after, id);
		rc = cb(ctx, id, PQgetvalue(res, 0, 1),
		    (size_t)PQgetlength(res, 0, 1), err);
		PQclear(res);
	}
	return rc;
}

int
pg_deferred_drop(struct store *st, long long id, struct sp_error *err)
{
	char n[PG_INT_LEN];
	const char *p[1] = { pg_int(n, id) };

	if (deferred_table(st, err) != 0)
		return -1;
	return pg_exec(store_pg_site(st), "DELETE FROM "
	    "pg_temp.syncpack_deferred WHERE id = $1", 1, p, err);
}
