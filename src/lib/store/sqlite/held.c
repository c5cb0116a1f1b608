/* held.c: the rows of syncpack_held (store/held.h). */
#include <stdlib.h>
#include <string.h>

#include "store/held.h"
#include "store/sqlite/backend.h"
#include "store/sqlite/sql.h"
#include "store/sqlite/store_sqlite.h"

int
sqlite_held_any(struct site *s, struct sp_error *err)
{
	return site_step_text(s, "SELECT 1 FROM syncpack_held LIMIT 1", NULL,
	    err);
}

int
sqlite_held_put(struct store *st, const char *guid, const char *table,
    const char *peer, long long flow, long long rowversion,
    const char *reason, const char *line, size_t len, struct sp_error *err)
{
	sqlite3_stmt *stmt = store_sqlite_slot(st, SLOT_HELD_PUT, "INSERT INTO "
	    "syncpack_held(guid, peer, flow, tbl, reason, since, record) VALUES "
	    "(?1, ?2, ?3, ?4, ?5, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?6) ON "
	    "CONFLICT(guid) DO UPDATE SET peer = ?2, flow = ?3, reason = ?5, "
	    "record = ?6 WHERE json_extract(record, '$.rowversion') <= ?7", err);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, guid, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, peer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, flow);
	sqlite3_bind_text(stmt, 4, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 6, line, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 7, rowversion);
	return store_sqlite_step(st, stmt, err) < 0 ? -1 : 0;
}

int
sqlite_held_drop(struct store *st, const char *guid, long long rowversion,
    struct sp_error *err)
{
	sqlite3_stmt *stmt = store_sqlite_slot(st, SLOT_HELD_DROP, "DELETE FROM "
	    "syncpack_held WHERE guid = ? AND json_extract(record, "
	    "'$.rowversion') <= ?", err);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, guid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, rowversion);
	return store_sqlite_step(st, stmt, err) < 0 ? -1 : 0;
}

static char *
dup_column(sqlite3_stmt *stmt, int col)
{
	const unsigned char *v = sqlite3_column_text(stmt, col);

	return strdup(v ? (const char *)v : "");
}

int
sqlite_held_each(struct store *st, store_held_cb cb, void *ctx,
    struct sp_error *err)
{
	struct site *s = store_sqlite_site(st);
	sqlite3_stmt *stmt;
	char *since = NULL;
	long long after = 0;
	int r, rc = 0;

	/* One row per step, no cursor left open while the callback applies
	 * records: a record's savepoint rolled back in a transaction that
	 * changed the schema (the scratch tables of an apply) aborts every
	 * open statement. Prepared for each walk, not kept: the callback
	 * reuses the kept statements meanwhile. */
	if (sqlite3_prepare_v2(s->db, "SELECT guid, peer, flow, record, since, "
	    "rowid FROM syncpack_held WHERE ?1 IS NULL OR (since, rowid) > (?1,"
	    " ?2) ORDER BY since, rowid LIMIT 1", -1, &stmt, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	while (rc == 0) {
		char *guid, *peer, *line;
		long long flow;

		if (since != NULL)
			sqlite3_bind_text(stmt, 1, since, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(stmt, 2, after);
		if ((r = sqlite3_step(stmt)) != SQLITE_ROW)
			break;
		/* Copies: the callback may change the row being read. */
		guid = dup_column(stmt, 0);
		peer = dup_column(stmt, 1);
		line = dup_column(stmt, 3);
		flow = sqlite3_column_int64(stmt, 2);
		free(since);
		since = dup_column(stmt, 4);
		after = sqlite3_column_int64(stmt, 5);
		sqlite3_reset(stmt);
		if (guid == NULL || peer == NULL || line == NULL || since == NULL)
			rc = sp_error_set(err, "out of memory");
		else
			rc = cb(ctx, guid, peer, flow, line, err);
		free(guid);
		free(peer);
		free(line);
	}
	if (rc == 0 && r != SQLITE_DONE)
		rc = site_sqlite_error(s, err, s->path);
	free(since);
	sqlite3_finalize(stmt);
	return rc;
}

int
sqlite_held_release(struct store *st, const char *guid, struct sp_error *err)
{
	return site_exec_owned(store_sqlite_site(st), sqlite3_mprintf("DELETE "
	    "FROM syncpack_held WHERE guid = '%q'; UPDATE syncpack_protocol SET "
	    "outcome = 'released' WHERE direction = 'in' AND guid = '%q' AND "
	    "outcome = 'held'", guid, guid), err);
}
