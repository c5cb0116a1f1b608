/* locks.c: the rows of syncpack_lock (store/locks.h). */
#include "store/locks.h"
#include "store/sqlite/row_json.h"
#include "store/sqlite/backend.h"
#include "store/sqlite/sql.h"

/* Runs sql with table and key bound to ?1 and ?2 (and by, when not NULL,
 * to ?3): 1 when it changed a row, 0 when not, -1 on error. */
static int
lock_change(struct site *s, const char *sql, const char *table, json_t *key,
    const char *by, struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	if (sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC) != SQLITE_OK ||
	    (by != NULL && sqlite3_bind_text(st, 3, by, -1, SQLITE_STATIC)
	    != SQLITE_OK)) {
		sqlite3_finalize(st);
		return site_sqlite_error(s, err, s->path);
	}
	if (row_json_bind(st, 2, key, err) != 0) {
		sqlite3_finalize(st);
		return -1;
	}
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	if (r != SQLITE_DONE)
		return site_sqlite_error(s, err, s->path);
	return sqlite3_changes(s->db) > 0;
}

int
sqlite_lock_add(struct site *s, const char *table, json_t *key,
    const char *by, struct sp_error *err)
{
	return lock_change(s, "INSERT INTO syncpack_lock(tbl, rkey, locked_by) "
	    "VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING", table, key, by, err);
}

int
sqlite_lock_remove(struct site *s, const char *table, json_t *key,
    struct sp_error *err)
{
	return lock_change(s, "DELETE FROM syncpack_lock WHERE tbl = ?1 AND "
	    "rkey = ?2", table, key, NULL, err);
}

int
sqlite_locks_any(struct site *s, struct sp_error *err)
{
	return site_step_text(s, "SELECT 1 FROM syncpack_lock LIMIT 1", NULL,
	    err);
}
