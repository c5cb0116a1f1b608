/* protocol.c: the rows an apply writes about the records of a flow, the
 * protocol acknowledgements carry and the freezing of acknowledged
 * records (store/protocol.h). */
#include "store/protocol.h"
#include "store/sqlite/backend.h"
#include "store/sqlite/sql.h"
#include "store/sqlite/store_sqlite.h"

int
sqlite_protocol_note(struct store *st, const char *peer, long long flow,
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
sqlite_transfer_done(struct store *st, const char *guid, const char *table,
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
sqlite_move_requested(struct site *s, const char *guid, const char *table,
    const char *peer, struct sp_error *err)
{
	return site_exec_owned(s, sqlite3_mprintf("INSERT OR REPLACE INTO "
	    "syncpack_move_request(guid, tbl, peer, requested) VALUES (upper("
	    "'%q'), '%q', '%q', strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', 'now'))",
	    guid, table, peer), err);
}

json_t *
sqlite_protocol_in(struct site *s, const char *peer, long long f,
    struct sp_error *err)
{
	json_t *list = json_array();
	sqlite3_stmt *st;
	int r;

	if (list == NULL) {
		sp_error_set(err, "out of memory");
		return NULL;
	}
	if (sqlite3_prepare_v2(s->db, "SELECT guid, tbl, outcome, reason FROM "
	    "syncpack_protocol WHERE peer = ? AND direction = 'in' AND flow = ? "
	    "ORDER BY rowid", -1, &st, NULL) != SQLITE_OK) {
		json_decref(list);
		site_sqlite_error(s, err, s->path);
		return NULL;
	}
	if (sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, f) != SQLITE_OK) {
		site_sqlite_error(s, err, s->path);
		sqlite3_finalize(st);
		json_decref(list);
		return NULL;
	}
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *row = json_pack("{s:s, s:s, s:s}",
		    "guid", sqlite3_column_text(st, 0),
		    "table", sqlite3_column_text(st, 1),
		    "outcome", sqlite3_column_text(st, 2));
		if (row == NULL)
			break;
		if (sqlite3_column_type(st, 3) != SQLITE_NULL &&
		    json_object_set_new(row, "reason", json_string((const char *)
		    sqlite3_column_text(st, 3))) != 0) {
			json_decref(row);
			break;
		}
		if (json_array_append_new(list, row) != 0)
			break;
	}
	if (r != SQLITE_DONE) {
		json_decref(list);
		if (r == SQLITE_ROW)
			sp_error_set(err, "out of memory");
		else
			site_sqlite_error(s, err, s->path);
		sqlite3_finalize(st);
		return NULL;
	}
	sqlite3_finalize(st);
	return list;
}

int
sqlite_protocol_save_out(struct site *s, const char *peer, long long f,
    json_t *protocol, struct sp_error *err)
{
	sqlite3_stmt *st;
	size_t i;
	json_t *p;

	if (!json_is_array(protocol))
		return 0;
	if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO syncpack_protocol"
	    "(peer, direction, flow, guid, tbl, outcome, reason) VALUES (?, "
	    "'out', ?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	json_array_foreach(protocol, i, p) {
		json_t *g = json_object_get(p, "guid"), *t = json_object_get(p,
		    "table"), *o = json_object_get(p, "outcome"),
		    *r = json_object_get(p, "reason");
		int b;

		if (!json_is_string(g) || !json_is_string(t) || !json_is_string(o))
			continue;
		sqlite3_reset(st);
		b = sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC) |
		    sqlite3_bind_int64(st, 2, f) |
		    sqlite3_bind_text(st, 3, json_string_value(g), -1,
		    SQLITE_STATIC) |
		    sqlite3_bind_text(st, 4, json_string_value(t), -1,
		    SQLITE_STATIC) |
		    sqlite3_bind_text(st, 5, json_string_value(o), -1,
		    SQLITE_STATIC) |
		    (json_is_string(r) ? sqlite3_bind_text(st, 6,
		    json_string_value(r), -1, SQLITE_STATIC) :
		    sqlite3_bind_null(st, 6));
		if (b != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE)
			break;
	}
	/* Broken off early only by a failed statement. */
	if (i < json_array_size(protocol))
		site_sqlite_error(s, err, s->path);
	sqlite3_finalize(st);
	return i < json_array_size(protocol) ? -1 : 0;
}

int
sqlite_freeze_from(struct site *s, const char *peer, struct sp_error *err)
{
	/* A record with a version of peer's held here is not frozen yet:
	 * that version came before this acknowledgement, which tells peer
	 * it is held, so peer does not freeze it (sqlite_freeze_acked) and
	 * it is applied once it can be, to freeze with the next one. */
	return site_exec_owned(s, sqlite3_mprintf("UPDATE syncpack_record SET "
	    "flags = flags | 1 WHERE src = '%q' AND owner = '%q' AND NOT deleted AND tbl IN "
	    "(SELECT id FROM syncpack_table WHERE freeze) AND guid NOT IN "
	    "(SELECT guid FROM syncpack_held WHERE peer = '%q')", peer, peer,
	    peer), err);
}

int
sqlite_freeze_acked(struct site *s, const char *owner, long long upto,
    const char *peer, long long f, struct sp_error *err)
{
	return site_exec_owned(s, sqlite3_mprintf("UPDATE syncpack_record SET "
	    "flags = flags | 1 WHERE owner = '%q' AND lseq <= %lld AND NOT deleted AND tbl IN "
	    "(SELECT id FROM syncpack_table WHERE freeze) AND guid NOT IN "
	    "(SELECT guid FROM syncpack_protocol WHERE peer = '%q' AND "
	    "direction = 'out' AND flow = %lld AND outcome IN "
	    "('rejected', 'held'))", owner, upto, peer, f), err);
}
