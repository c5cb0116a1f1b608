/* locks_pg.c: the rows of syncpack.lock (store/locks.h) of a PostgreSQL
 * site, and whether records are held (store/held.h). */
#include <stdio.h>

#include "store/held.h"
#include "store/locks.h"
#include "store/pg/backend.h"
#include "store/pg/pg.h"

/* A lock's rkey as the capture writes a record's (to_jsonb(row) ->> key
 * column): the text of an integer or of a string. A key column has one
 * type, so its keys cannot be 1 here and "1" there as in SQLite. */
static const char *
key_text(json_t *key, char buf[PG_INT_LEN], struct sp_error *err)
{
	if (json_is_string(key))
		return json_string_value(key);
	if (json_is_integer(key))
		return pg_int(buf, (long long)json_integer_value(key));
	sp_error_set(err, "a key of a PostgreSQL site is an integer or a "
	    "string");
	return NULL;
}

/* Runs sql with $1 table, $2 the key's text and, with n 3, $3 by: 1 when
 * it changed a row, 0 when not, -1 on error. */
static int
lock_change(struct site *s, const char *sql, int n, const char *table,
    json_t *key, const char *by, struct sp_error *err)
{
	char buf[PG_INT_LEN];
	const char *p[3] = { table, key_text(key, buf, err), by };
	PGresult *res;
	int changed;

	if (p[1] == NULL)
		return -1;
	if ((res = pg_query(s, sql, n, p, err)) == NULL)
		return -1;
	changed = pg_changed(res) > 0;
	PQclear(res);
	return changed;
}

int
pg_lock_add(struct site *s, const char *table, json_t *key, const char *by,
    struct sp_error *err)
{
	return lock_change(s, "INSERT INTO syncpack.lock(tbl, rkey, locked_by) "
	    "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", 3, table, key, by,
	    err);
}

int
pg_lock_remove(struct site *s, const char *table, json_t *key,
    struct sp_error *err)
{
	return lock_change(s, "DELETE FROM syncpack.lock WHERE tbl = $1 AND "
	    "rkey = $2", 2, table, key, NULL, err);
}

int
pg_locks_any(struct site *s, struct sp_error *err)
{
	return pg_exists(s, "SELECT 1 FROM syncpack.lock LIMIT 1", 0, NULL,
	    err);
}

int
pg_held_any(struct site *s, struct sp_error *err)
{
	return pg_exists(s, "SELECT 1 FROM syncpack.held LIMIT 1", 0, NULL,
	    err);
}
