/* protocol.c: the rows an apply writes about the records of a flow
 * (store/protocol.h). */
#include "store/protocol.h"
#include "store/sqlite/sql.h"
#include "store/sqlite/store_sqlite.h"

int
store_protocol_note(struct store *st, const char *peer, long long flow,
    const char *guid, const char *table, const char *outcome,
    const char *reason, struct sp_error *err)
{
	sqlite3_stmt *stmt = store_sqlite_slot(st, SLOT_PROTOCOL, "INSERT OR "
	    "REPLACE INTO syncpack_protocol(peer, direction, flow, guid, tbl, "
	    "outcome, reason) VALUES (?, 'in', ?, ?, ?, ?, ?)", err);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, peer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, flow);
	sqlite3_bind_text(stmt, 3, guid, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, outcome, -1, SQLITE_STATIC);
	if (reason != NULL && reason[0])
		sqlite3_bind_text(stmt, 6, reason, -1, SQLITE_STATIC);
	return store_sqlite_step(st, stmt, err) < 0 ? -1 : 0;
}

int
store_transfer_done(struct store *st, const char *guid, const char *table,
    const char *peer, long long flow, struct sp_error *err)
{
	struct site *s = store_sqlite_site(st);

	return site_exec_owned(s, sqlite3_mprintf("INSERT OR REPLACE INTO "
	    "syncpack_transfer(guid, tbl, from_site, to_site, flow, at, state) "
	    "VALUES ('%q', '%q', '%q', '%q', %lld, strftime("
	    "'%%Y-%%m-%%dT%%H:%%M:%%SZ', 'now'), 'done')", guid, table, peer,
	    s->id, flow), err);
}

int
store_move_requested(struct site *s, const char *guid, const char *table,
    const char *peer, struct sp_error *err)
{
	return site_exec_owned(s, sqlite3_mprintf("INSERT OR REPLACE INTO "
	    "syncpack_move_request(guid, tbl, peer, requested) VALUES (upper("
	    "'%q'), '%q', '%q', strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', 'now'))",
	    guid, table, peer), err);
}
