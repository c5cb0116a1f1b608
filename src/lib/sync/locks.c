/* locks.c: lock and unlock records of tracked tables. */
#include <stdlib.h>
#include <string.h>

#include "sync/locks.h"
#include "sync/track.h"
#include "store/sqlite/sql.h"

/* Binds key with the type of the table's key column, so that the lock row
 * compares equal to the record's key. */
static int
bind_key(sqlite3_stmt *st, int idx, const struct tracked_table *t,
    const char *key, struct sp_error *err)
{
	char *end;
	long long v;

	if (!t->pk_integer) {
		sqlite3_bind_text(st, idx, key, -1, SQLITE_TRANSIENT);
		return 0;
	}
	v = strtoll(key, &end, 10);
	if (key[0] == '\0' || *end != '\0')
		return sp_error_set(err, "%s: key \"%s\" is not an integer",
		    t->name, key);
	sqlite3_bind_int64(st, idx, v);
	return 0;
}

static enum lock_result
load_tracked(struct site *s, const char *table, struct tracked_table *t,
    struct sp_error *err)
{
	int found = tracked_table_load(s, table, t, err);

	if (found < 0)
		return LOCK_ERROR;
	if (found == 0 || !t->tracked) {
		if (found)
			tracked_table_free(t);
		sp_error_set(err, "%s: not a tracked table", table);
		return LOCK_ERROR;
	}
	return LOCK_DONE;
}

enum lock_result
lock_record(struct site *s, const char *table, const char *key,
    const char *by, struct sp_error *err)
{
	struct tracked_table t;
	sqlite3_stmt *st = NULL;
	enum lock_result rc = LOCK_ERROR;
	int r;

	if (load_tracked(s, table, &t, err) != LOCK_DONE)
		return LOCK_ERROR;
	if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM syncpack_record WHERE "
	    "tbl = ? AND rkey = ?", -1, &st, NULL) != SQLITE_OK) {
		site_sqlite_error(s, err, s->path);
		goto cleanup;
	}
	sqlite3_bind_int64(st, 1, t.id);
	if (bind_key(st, 2, &t, key, err) != 0)
		goto cleanup;
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	st = NULL;
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		site_sqlite_error(s, err, s->path);
		goto cleanup;
	}
	if (r != SQLITE_ROW) {
		sp_error_set(err, "%s: no record with key %s", table, key);
		goto cleanup;
	}
	if (sqlite3_prepare_v2(s->db, "INSERT INTO syncpack_lock(tbl, rkey, "
	    "locked_by) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", -1, &st, NULL)
	    != SQLITE_OK) {
		site_sqlite_error(s, err, s->path);
		goto cleanup;
	}
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	if (bind_key(st, 2, &t, key, err) != 0)
		goto cleanup;
	if (by != NULL)
		sqlite3_bind_text(st, 3, by, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		site_sqlite_error(s, err, s->path);
		goto cleanup;
	}
	if (sqlite3_changes(s->db) == 0) {
		sp_error_set(err, "%s %s is already locked", table, key);
		rc = LOCK_REFUSED;
		goto cleanup;
	}
	rc = LOCK_DONE;
cleanup:
	sqlite3_finalize(st);
	tracked_table_free(&t);
	return rc;
}

enum lock_result
unlock_record(struct site *s, const char *table, const char *key,
    struct sp_error *err)
{
	struct tracked_table t;
	sqlite3_stmt *st = NULL;
	enum lock_result rc = LOCK_ERROR;

	if (load_tracked(s, table, &t, err) != LOCK_DONE)
		return LOCK_ERROR;
	if (sqlite3_prepare_v2(s->db, "DELETE FROM syncpack_lock WHERE tbl = ?"
	    " AND rkey = ?", -1, &st, NULL) != SQLITE_OK) {
		site_sqlite_error(s, err, s->path);
		goto cleanup;
	}
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	if (bind_key(st, 2, &t, key, err) != 0)
		goto cleanup;
	if (sqlite3_step(st) != SQLITE_DONE) {
		site_sqlite_error(s, err, s->path);
		goto cleanup;
	}
	if (sqlite3_changes(s->db) == 0) {
		sp_error_set(err, "%s %s is not locked", table, key);
		rc = LOCK_REFUSED;
		goto cleanup;
	}
	rc = LOCK_DONE;
cleanup:
	sqlite3_finalize(st);
	tracked_table_free(&t);
	return rc;
}
