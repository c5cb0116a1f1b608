/* deferred.c: deletes set aside during an apply (store/deferred.h), in a
 * table of the connection's temporary database: scratch that no other
 * connection sees and that is never written to the file. */
#include <stdlib.h>

#include "store/deferred.h"
#include "store/sqlite/backend.h"
#include "store/sqlite/sql.h"
#include "store/sqlite/store_sqlite.h"

int
sqlite_deferred_put(struct store *st, const char *line, size_t len,
    struct sp_error *err)
{
	sqlite3_stmt *stmt;

	/* Made before the statement is prepared, which needs the table. */
	if (site_exec(store_sqlite_site(st), "CREATE TEMP TABLE IF NOT EXISTS "
	    "syncpack_deferred(line TEXT NOT NULL)", err) != 0)
		return -1;
	stmt = store_sqlite_slot(st, SLOT_DEFERRED_PUT, "INSERT INTO "
	    "temp.syncpack_deferred(line) VALUES (?)", err);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, line, (int)len, SQLITE_STATIC);
	return store_sqlite_step(st, stmt, err) < 0 ? -1 : 0;
}

int
sqlite_deferred_each(struct store *st, store_deferred_cb cb, void *ctx,
    struct sp_error *err)
{
	struct site *s = store_sqlite_site(st);
	sqlite3_stmt *stmt;
	long long after = 0;
	int r, rc = 0;

	if (site_exec(s, "CREATE TEMP TABLE IF NOT EXISTS syncpack_deferred("
	    "line TEXT NOT NULL)", err) != 0)
		return -1;
	/* One row per step, no cursor left open while the callback applies
	 * records: a record's savepoint rolled back in a transaction that
	 * made this table (a schema change) aborts every open statement.
	 * Prepared for each walk, not kept: the callback reuses the kept
	 * statements meanwhile. */
	if (sqlite3_prepare_v2(s->db, "SELECT rowid, line FROM "
	    "temp.syncpack_deferred WHERE rowid > ? ORDER BY rowid LIMIT 1", -1,
	    &stmt, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	while (rc == 0) {
		char *line;
		size_t len;

		sqlite3_bind_int64(stmt, 1, after);
		if ((r = sqlite3_step(stmt)) != SQLITE_ROW)
			break;
		after = sqlite3_column_int64(stmt, 0);
		len = (size_t)sqlite3_column_bytes(stmt, 1);
		line = site_column_dup(stmt, 1);
		sqlite3_reset(stmt);
		if (line == NULL) {
			rc = sp_error_set(err, "out of memory");
			break;
		}
		rc = cb(ctx, after, line, len, err);
		free(line);
	}
	if (rc == 0 && r != SQLITE_DONE)
		rc = site_sqlite_error(s, err, s->path);
	sqlite3_finalize(stmt);
	return rc;
}

int
sqlite_deferred_drop(struct store *st, long long id, struct sp_error *err)
{
	sqlite3_stmt *stmt = store_sqlite_slot(st, SLOT_DEFERRED_DROP, "DELETE "
	    "FROM temp.syncpack_deferred WHERE rowid = ?", err);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	return store_sqlite_step(st, stmt, err) < 0 ? -1 : 0;
}
