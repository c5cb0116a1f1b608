/* conflicts.c: the rows of syncpack_conflict an apply writes
 * (store/conflicts.h). */
#include "store/conflicts.h"
#include "store/sqlite/store_sqlite.h"

int
store_conflict_put(struct store *st, const char *guid, const char *table,
    const char *peer, long long flow, const char *local, const char *remote,
    size_t len, struct sp_error *err)
{
	sqlite3_stmt *stmt = store_sqlite_slot(st, SLOT_CONFLICT_PUT, "INSERT "
	    "INTO syncpack_conflict(guid, tbl, peer, flow, local, remote, "
	    "detected) VALUES (?, ?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', "
	    "'now'))", err);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, guid, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, peer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, flow);
	if (local != NULL)
		sqlite3_bind_text(stmt, 5, local, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 6, remote, (int)len, SQLITE_STATIC);
	return store_sqlite_step(st, stmt, err) < 0 ? -1 : 0;
}

int
store_conflicts_resolve(struct store *st, const char *guid,
    struct sp_error *err)
{
	sqlite3_stmt *stmt = store_sqlite_slot(st, SLOT_CONFLICT_RESOLVE,
	    "UPDATE syncpack_conflict SET resolved = strftime("
	    "'%Y-%m-%dT%H:%M:%SZ', 'now') WHERE guid = ? AND resolved IS NULL",
	    err);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, guid, -1, SQLITE_STATIC);
	return store_sqlite_step(st, stmt, err) < 0 ? -1 : 0;
}
