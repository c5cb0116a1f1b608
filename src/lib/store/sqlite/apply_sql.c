/* apply_sql.c: the store_ops entries an apply runs per record besides the
 * writes (store/store.h): the savepoint around one write, the lock of a
 * record, a purged tombstone. */
#include <stdio.h>
#include <string.h>

#include "store/sqlite/sql.h"
#include "store/sqlite/store_sqlite.h"

static int
run_slot(struct store *st, enum store_sqlite_slot slot, const char *sql,
    struct sp_error *err)
{
	sqlite3_stmt *stmt = store_sqlite_slot(st, slot, sql, err);

	return stmt == NULL ? -1 : store_sqlite_step(st, stmt, err) < 0 ? -1
	    : 0;
}

static enum store_sqlite_batch_state *
batch_of(struct store *st)
{
	return &((struct store_sqlite_slots *)st)->batch;
}

/* The error of every record call of a batch that failed. */
static int
batch_failed(struct store *st, struct sp_error *err)
{
	return sp_error_setk(err, SP_ERR_BATCH, 0, "%s: the batch was undone",
	    store_sqlite_site(st)->path);
}

int
store_sqlite_batch_begin(struct store *st, const char *const *guids, int n,
    struct sp_error *err)
{
	(void)guids;	/* every lookup is a call, not a round trip */
	(void)n;
	if (run_slot(st, SLOT_BATCH_BEGIN, "SAVEPOINT syncpack_batch", err)
	    != 0)
		return -1;
	*batch_of(st) = BATCH_ON;
	return 1;
}

int
store_sqlite_batch_end(struct store *st, int keep, struct sp_error *err)
{
	int failed = *batch_of(st) == BATCH_FAILED;

	if (*batch_of(st) == BATCH_OFF)
		return 0;	/* ended already */
	*batch_of(st) = BATCH_OFF;
	if (keep && !failed)
		return run_slot(st, SLOT_BATCH_RELEASE,
		    "RELEASE syncpack_batch", err);
	if (run_slot(st, SLOT_BATCH_UNDO, "ROLLBACK TO syncpack_batch", err)
	    != 0 || run_slot(st, SLOT_BATCH_RELEASE, "RELEASE syncpack_batch",
	    err) != 0)
		return -1;
	return keep ? batch_failed(st, err) : 0;
}

/* In a batch, a record's savepoint is the batch's. */
int
store_sqlite_savepoint(struct store *st, struct sp_error *err)
{
	if (*batch_of(st) != BATCH_OFF)
		return *batch_of(st) == BATCH_FAILED ? batch_failed(st, err) : 0;
	return run_slot(st, SLOT_SAVEPOINT, "SAVEPOINT syncpack_record", err);
}

int
store_sqlite_release(struct store *st, struct sp_error *err)
{
	if (*batch_of(st) != BATCH_OFF)
		return *batch_of(st) == BATCH_FAILED ? batch_failed(st, err) : 0;
	return run_slot(st, SLOT_RELEASE, "RELEASE syncpack_record", err);
}

/* A write refused in a batch cannot be undone alone: the whole batch is,
 * and its records are applied again one by one (store_batch_begin). */
int
store_sqlite_rollback_to(struct store *st, struct sp_error *err)
{
	if (*batch_of(st) == BATCH_ON) {
		if (run_slot(st, SLOT_BATCH_UNDO, "ROLLBACK TO syncpack_batch",
		    err) != 0)
			return -1;
		*batch_of(st) = BATCH_FAILED;
	}
	if (*batch_of(st) == BATCH_FAILED)
		return batch_failed(st, err);
	return run_slot(st, SLOT_ROLLBACK_TO, "ROLLBACK TO syncpack_record",
	    err);
}

int
store_sqlite_locked(struct store *st, const char *table, const char *guid,
    struct sp_error *err)
{
	sqlite3_stmt *stmt = store_sqlite_slot(st, SLOT_LOCKED, "SELECT 1 FROM "
	    "syncpack_lock l JOIN syncpack_record r ON r.rkey = l.rkey WHERE "
	    "r.guid = ? AND l.tbl = ?", err);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, guid, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, table, -1, SQLITE_STATIC);
	return store_sqlite_step(st, stmt, err);
}

static void
copy_text(char *dst, size_t size, sqlite3_stmt *stmt, int col)
{
	const unsigned char *v = sqlite3_column_text(stmt, col);

	snprintf(dst, size, "%s", v ? (const char *)v : "");
}

int
store_sqlite_purged_take(struct store *st, const char *guid,
    struct store_record *rec, struct sp_error *err)
{
	struct site *s = store_sqlite_site(st);
	sqlite3_stmt *stmt = store_sqlite_slot(st, SLOT_PURGED_GET, "SELECT "
	    "origin, owner, rowversion, hlc, hlc_site FROM syncpack_purged "
	    "WHERE guid = ?", err);
	int r;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, guid, -1, SQLITE_STATIC);
	r = sqlite3_step(stmt);
	if (r != SQLITE_ROW) {
		sqlite3_reset(stmt);
		return r == SQLITE_DONE ? 0 : site_sqlite_error(s, err, s->path);
	}
	copy_text(rec->origin, sizeof(rec->origin), stmt, 0);
	copy_text(rec->owner, sizeof(rec->owner), stmt, 1);
	rec->rowversion = sqlite3_column_int64(stmt, 2);
	rec->hlc = sqlite3_column_int64(stmt, 3);
	copy_text(rec->hlc_site, sizeof(rec->hlc_site), stmt, 4);
	sqlite3_reset(stmt);
	stmt = store_sqlite_slot(st, SLOT_PURGED_DROP, "DELETE FROM "
	    "syncpack_purged WHERE guid = ?", err);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, guid, -1, SQLITE_STATIC);
	return store_sqlite_step(st, stmt, err) < 0 ? -1 : 1;
}
