/* records_write.c: the record store's writes: incoming versions, tombstones,
 * restamps, and the clock they advance. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/sqlite/capture_fold.h"
#include "store/sqlite/checksums.h"
#include "store/sqlite/key_sql.h"
#include "store/sqlite/row_json.h"
#include "store/sqlite/sql.h"
#include "store/sqlite/store_sqlite.h"
#include "store/store.h"
#include "store/tables.h"
#include "store/sqlite/records.h"
#include "util/clock.h"

static int
tick_clock(struct store_sqlite *ss, long long seen_hlc, long long *lseq,
    struct sp_error *err)
{
	if (!ss->clock_loaded) {
		sqlite3_stmt *st = rec_cached(ss, "SELECT lseq, hlc FROM "
		    "syncpack_clock WHERE id = 1", err);
		if (st == NULL)
			return -1;
		if (sqlite3_step(st) != SQLITE_ROW) {
			sqlite3_reset(st);
			return rec_db_error(ss, err);
		}
		ss->clock_lseq = sqlite3_column_int64(st, 0);
		ss->clock_hlc = sqlite3_column_int64(st, 1);
		sqlite3_reset(st);
		ss->clock_loaded = 1;
	}
	ss->clock_hlc = clock_observe_hlc(ss->clock_hlc, seen_hlc);
	*lseq = ++ss->clock_lseq;
	return 0;
}

int
rec_clock_write_back(struct store_sqlite *ss, struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	if (!ss->clock_loaded)
		return 0;
	st = rec_cached(ss, "UPDATE syncpack_clock SET lseq = max(lseq, ?), hlc = "
	    "max(hlc, ?) WHERE id = 1", err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, ss->clock_lseq);
	sqlite3_bind_int64(st, 2, ss->clock_hlc);
	r = sqlite3_step(st);
	sqlite3_reset(st);
	ss->clock_loaded = 0;
	return r == SQLITE_DONE ? 0 : rec_db_error(ss, err);
}

/* The record of table tbl that held rkey holds it no more (checksums.h). */
static int
note_unmapped(struct store_sqlite *ss, long long tbl, sqlite3_value *rkey,
    struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	if (rkey == NULL || (st = rec_cached(ss, CHECKSUM_UNMAP_SQL, err))
	    == NULL)
		return rkey == NULL ? 0 : -1;
	sqlite3_bind_int64(st, 1, tbl);
	sqlite3_bind_value(st, 2, rkey);
	r = sqlite3_step(st);
	sqlite3_reset(st);
	return r == SQLITE_DONE ? 0 : rec_db_error(ss, err);
}

static int
save_metadata(struct store_sqlite *ss, const struct table_info *t,
    const struct store_record *rec, sqlite3_value *rkey, long long lseq,
    struct sp_error *err)
{
	sqlite3_stmt *st = rec_cached(ss, "INSERT INTO syncpack_record(guid, tbl, "
	    "rkey, origin, owner, rowversion, hlc, hlc_site, lseq, deleted, "
	    "flags, src, base, base_hlc, base_site, values_hlc, values_site) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, nullif(?12, "
	    "''), ?13, ?14, nullif(?15, ''), ?16, nullif(?17, '')) ON "
	    "CONFLICT(guid) DO UPDATE SET tbl = ?2, rkey = ?3, origin = ?4, "
	    "owner = ?5, rowversion = ?6, hlc = ?7, hlc_site = ?8, lseq = ?9, "
	    "deleted = ?10, flags = ?11, src = nullif(?12, ''), base = ?13, "
	    "base_hlc = ?14, base_site = nullif(?15, ''), values_hlc = ?16, "
	    "values_site = nullif(?17, '')",
	    err);

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, rec->guid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, t->id);
	if (rkey != NULL)
		sqlite3_bind_value(st, 3, rkey);
	sqlite3_bind_text(st, 4, rec->origin, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, rec->owner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, rec->rowversion);
	sqlite3_bind_int64(st, 7, rec->hlc);
	sqlite3_bind_text(st, 8, rec->hlc_site, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, lseq);
	sqlite3_bind_int(st, 10, rkey == NULL);
	sqlite3_bind_int(st, 11, rec->flags);
	sqlite3_bind_text(st, 12, rec->src, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 13, rec->base);
	sqlite3_bind_int64(st, 14, rec->base_hlc);
	sqlite3_bind_text(st, 15, rec->base_site, -1, SQLITE_STATIC);
	/* A tombstone has no values: it is compared by its own stamp. */
	sqlite3_bind_int64(st, 16, rkey == NULL ? 0 : rec->values_hlc);
	sqlite3_bind_text(st, 17, rkey == NULL ? "" : rec->values_site, -1,
	    SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_reset(st);
		return rec_db_error(ss, err);
	}
	sqlite3_reset(st);
	return 0;
}

/* The tracked table of rec and the local key of its row (NULL when the
 * record is unknown here or a tombstone); the caller frees *rkey. */
static int
target_of(struct store_sqlite *ss, const struct store_record *rec,
    struct table_info **t, sqlite3_value **rkey, struct sp_error *err)
{
	sqlite3_stmt *st;
	int found;

	*rkey = NULL;
	*t = rec_table_by_name(ss, rec->table);
	if (*t == NULL)
		return sp_error_set(err, "%s is not a tracked table here",
		    rec->table);
	found = rec_find_record(ss, rec->guid, &st, err);
	if (found < 0)
		return -1;
	if (found) {
		if (sqlite3_column_type(st, 2) != SQLITE_NULL)
			*rkey = sqlite3_value_dup(sqlite3_column_value(st, 2));
		sqlite3_reset(st);
	}
	return 0;
}

int
rec_upsert(struct store *base, const struct store_record *rec, json_t *row,
    struct sp_error *err)
{
	struct store_sqlite *ss = (struct store_sqlite *)base;
	struct table_info *t;
	sqlite3_value *rkey = NULL, *new_key = NULL;
	long long lseq;
	int rc = -1;

	if (target_of(ss, rec, &t, &rkey, err) != 0)
		return -1;
	if (row_write(ss, t, rec, row, rkey, &new_key, err) != 0 ||
	    (rkey != NULL && !checksum_key_same(rkey, new_key) &&
	    note_unmapped(ss, t->id, rkey, err) != 0) ||
	    tick_clock(ss, rec->hlc, &lseq, err) != 0 ||
	    save_metadata(ss, t, rec, new_key, lseq, err) != 0 ||
	    rec_unpark(ss, rec->guid, err) != 0)
		goto cleanup;
	rc = 0;
cleanup:
	sqlite3_value_free(rkey);
	sqlite3_value_free(new_key);
	return rc;
}

int
rec_tombstone(struct store *base, const struct store_record *rec,
    struct sp_error *err)
{
	struct store_sqlite *ss = (struct store_sqlite *)base;
	struct table_info *t;
	sqlite3_value *rkey = NULL;
	long long lseq;
	int rc = -1;

	if (target_of(ss, rec, &t, &rkey, err) != 0)
		return -1;
	if (rkey != NULL) {
		char *match = key_sql_match(t->pk, NULL, "?1");
		char *sql = match ? sqlite3_mprintf("DELETE FROM \"%w\" WHERE "
		    "%s", t->name, match) : NULL;
		sqlite3_stmt *del = sql ? rec_cached(ss, sql, err) : NULL;
		if (sql == NULL)
			sp_error_set(err, "out of memory");
		sqlite3_free(match);
		sqlite3_free(sql);
		if (del == NULL)
			goto cleanup;
		sqlite3_bind_value(del, 1, rkey);
		if (sqlite3_step(del) != SQLITE_DONE) {
			sqlite3_reset(del);
			rec_db_error(ss, err);
			goto cleanup;
		}
		sqlite3_reset(del);
		if (note_unmapped(ss, t->id, rkey, err) != 0)
			goto cleanup;
	}
	if (tick_clock(ss, rec->hlc, &lseq, err) != 0 ||
	    save_metadata(ss, t, rec, NULL, lseq, err) != 0 ||
	    rec_unpark(ss, rec->guid, err) != 0)
		goto cleanup;
	rc = 0;
cleanup:
	sqlite3_value_free(rkey);
	return rc;
}

/* 1 when a row of child meets cond (rkey bound to ?1), not counting the
 * parent's own row when child is the parent's table; 0 when none. */
static int
child_refers(struct store_sqlite *ss, const char *child, const char *child_pk,
    const char *cond, int self, sqlite3_value *rkey, struct sp_error *err)
{
	char *c_key = key_sql_expr(child_pk, "c");
	/* A row referring to itself does not keep itself alive. */
	char *sql = c_key ? sqlite3_mprintf("SELECT 1 FROM \"%w\" c WHERE %s "
	    "AND NOT (%d AND %s IS ?1) LIMIT 1", child, cond, self, c_key) : NULL;
	sqlite3_stmt *st;
	int r;

	sqlite3_free(c_key);
	if (sql == NULL)
		return sp_error_set(err, "out of memory");
	r = sqlite3_prepare_v2(ss->site->db, sql, -1, &st, NULL);
	sqlite3_free(sql);
	if (r != SQLITE_OK)
		return rec_db_error(ss, err);
	sqlite3_bind_value(st, 1, rkey);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	if (r == SQLITE_ROW)
		return 1;
	return r == SQLITE_DONE ? 0 : rec_db_error(ss, err);
}

/* The references to parent's row, by child table and reference: every
 * column of a composite one must hold the parent's value. */
static int
referenced_by(struct store_sqlite *ss, const struct table_info *parent,
    sqlite3_value *rkey, char *by, size_t bylen, struct sp_error *err)
{
	char *p_is = key_sql_match(parent->pk, "p", "?1"), *cond = NULL;
	char child[256] = "", child_pk[1024] = "";
	long long group_tbl = 0, group = 0;
	sqlite3_stmt *fk;
	int r, hit = 0, rc = -1;

	if (p_is == NULL)
		return sp_error_set(err, "out of memory");
	fk = rec_cached(ss, "SELECT c.name, c.pk, f.col, f.parent_col, f.tbl, "
	    "iif(?2, f.ref, f.rowid) FROM syncpack_fk f JOIN syncpack_table c "
	    "ON c.id = f.tbl WHERE f.parent = ?1 AND c.tracked ORDER BY 5, 6",
	    err);
	if (fk == NULL)
		goto done;
	sqlite3_bind_int64(fk, 1, parent->id);
	sqlite3_bind_int(fk, 2, key_is_composite(parent->pk));
	for (;;) {
		int more = (r = sqlite3_step(fk)) == SQLITE_ROW;
		char *next;

		if (cond != NULL && (!more || sqlite3_column_int64(fk, 4) !=
		    group_tbl || sqlite3_column_int64(fk, 5) != group)) {
			hit = child_refers(ss, child, child_pk, cond,
			    strcmp(child, parent->name) == 0, rkey, err);
			sqlite3_free(cond);
			cond = NULL;
			if (hit != 0)
				break;
		}
		if (!more)
			break;
		group_tbl = sqlite3_column_int64(fk, 4);
		group = sqlite3_column_int64(fk, 5);
		snprintf(child, sizeof(child), "%s", sqlite3_column_text(fk, 0));
		snprintf(child_pk, sizeof(child_pk), "%s",
		    sqlite3_column_text(fk, 1));
		next = sqlite3_mprintf("%s%sc.\"%w\" = (SELECT p.\"%w\" FROM "
		    "\"%w\" p WHERE %s)", cond ? cond : "", cond ? " AND " : "",
		    sqlite3_column_text(fk, 2), sqlite3_column_text(fk, 3),
		    parent->name, p_is);
		sqlite3_free(cond);
		if ((cond = next) == NULL) {
			sp_error_set(err, "out of memory");
			hit = -1;
			break;
		}
	}
	if (hit > 0)
		snprintf(by, bylen, "%s", child);
	if (hit >= 0 && r != SQLITE_ROW && r != SQLITE_DONE)
		rec_db_error(ss, err);
	else if (hit >= 0)
		rc = hit;
	sqlite3_reset(fk);
done:
	sqlite3_free(cond);
	sqlite3_free(p_is);
	return rc;
}

int
rec_referenced(struct store *base, const char *guid, char *by,
    size_t bylen, struct sp_error *err)
{
	struct store_sqlite *ss = (struct store_sqlite *)base;
	struct table_info *parent;
	sqlite3_stmt *rec;
	sqlite3_value *rkey = NULL;
	int found = rec_find_record(ss, guid, &rec, err);

	if (found <= 0)
		return found;
	parent = rec_table_by_id(ss, sqlite3_column_int64(rec, 1));
	if (sqlite3_column_type(rec, 2) != SQLITE_NULL)
		rkey = sqlite3_value_dup(sqlite3_column_value(rec, 2));
	sqlite3_reset(rec);
	if (parent == NULL || rkey == NULL) {
		sqlite3_value_free(rkey);
		return 0;
	}
	found = referenced_by(ss, parent, rkey, by, bylen, err);
	sqlite3_value_free(rkey);
	return found;
}

int
rec_restamp(struct store *base, const char *guid,
    const struct store_record *deleted, int revived, struct sp_error *err)
{
	struct store_sqlite *ss = (struct store_sqlite *)base;
	struct table_info *t;
	sqlite3_stmt *rec, *st;
	sqlite3_value *rkey = NULL;
	long long lseq, hlc, rowversion;
	int found = rec_find_record(ss, guid, &rec, err), rc = -1;

	if (found <= 0)
		return found < 0 ? -1 : sp_error_set(err, "record %s vanished",
		    guid);
	/* Stamped just past both versions, not at the wall clock: the new
	 * version undoes the one that did not land, and still loses to a
	 * change another site made after it. Kept alive (revived), the
	 * values keep the stamp of the write that made them, so that
	 * between live versions the latest write still wins (syncpack(7)):
	 * the new stamp only has to beat the delete; values that already
	 * carry their own stamp keep it through any restamp. */
	hlc = clock_past_hlc(sqlite3_column_int64(rec, 6), deleted->hlc);
	t = rec_table_by_id(ss, sqlite3_column_int64(rec, 1));
	if (sqlite3_column_type(rec, 2) != SQLITE_NULL)
		rkey = sqlite3_value_dup(sqlite3_column_value(rec, 2));
	sqlite3_reset(rec);
	if (t == NULL || rkey == NULL) {
		sqlite3_value_free(rkey);
		return sp_error_set(err, "record %s has no row to keep", guid);
	}
	if (tick_clock(ss, hlc, &lseq, err) != 0)
		goto cleanup;
	st = rec_cached(ss, "UPDATE syncpack_record SET rowversion = max(rowversion,"
	    " ?2) + 1, hlc = ?3, hlc_site = ?4, lseq = ?5, src = NULL, base = "
	    "?2, base_hlc = ?6, base_site = ?8, flags = flags | ?7, values_hlc = "
	    "iif(values_hlc = 0 AND ?7 <> 0, hlc, values_hlc), values_site = "
	    "iif(values_hlc = 0 AND ?7 <> 0, hlc_site, values_site) WHERE guid "
	    "= ?1 RETURNING rowversion", err);
	if (st == NULL)
		goto cleanup;
	sqlite3_bind_text(st, 1, guid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, deleted->rowversion);
	sqlite3_bind_int64(st, 3, hlc);
	sqlite3_bind_text(st, 4, ss->site->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, lseq);
	sqlite3_bind_int64(st, 6, deleted->hlc);
	sqlite3_bind_int(st, 7, revived ? 8 : 0);
	sqlite3_bind_text(st, 8, deleted->hlc_site, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		rec_db_error(ss, err);
		goto cleanup;
	}
	rowversion = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (t->rowversion_column) {
		/* The application's copy of the rowversion follows. */
		char *match = key_sql_match(t->pk, NULL, "?2");
		char *sql = match ? sqlite3_mprintf("UPDATE \"%w\" SET \"%w\" = "
		    "?1 WHERE %s", t->name, t->rowversion_column, match) : NULL;
		st = sql ? rec_cached(ss, sql, err) : NULL;
		if (sql == NULL)
			sp_error_set(err, "out of memory");
		sqlite3_free(match);
		sqlite3_free(sql);
		if (st == NULL)
			goto cleanup;
		sqlite3_bind_int64(st, 1, rowversion);
		sqlite3_bind_value(st, 2, rkey);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_reset(st);
			rec_db_error(ss, err);
			goto cleanup;
		}
		sqlite3_reset(st);
	}
	rc = 0;
cleanup:
	sqlite3_value_free(rkey);
	return rc;
}


int
rec_park(struct store *base, const char *guid, struct sp_error *err)
{
	struct store_sqlite *ss = (struct store_sqlite *)base;
	struct table_info *t;
	sqlite3_stmt *rec, *st = NULL;
	sqlite3_value *rkey = NULL;
	char *first = NULL, *match = NULL, *key = NULL, *sql = NULL;
	char parked[64];
	int found = rec_find_record(ss, guid, &rec, err), r, rc = -1;

	if (found <= 0)
		return found;
	t = rec_table_by_id(ss, sqlite3_column_int64(rec, 1));
	if (sqlite3_column_type(rec, 2) != SQLITE_NULL)
		rkey = sqlite3_value_dup(sqlite3_column_value(rec, 2));
	sqlite3_reset(rec);
	if (t == NULL || rkey == NULL || t->local_key) {
		sqlite3_value_free(rkey);
		return 0;
	}
	snprintf(parked, sizeof(parked), "syncpack-parked:%s", guid);
	first = key_sql_first(t->pk);
	match = key_sql_match(t->pk, NULL, "?2");
	key = key_sql_expr(t->pk, NULL);
	if (first && match && key)
		sql = sqlite3_mprintf("UPDATE \"%w\" SET \"%w\" = CAST(?1 AS BLOB) "
		    "WHERE %s RETURNING %s", t->name, first, match, key);
	if (sql == NULL) {
		sp_error_set(err, "out of memory");
		goto done;
	}
	if ((st = rec_cached(ss, sql, err)) == NULL)
		goto done;
	sqlite3_bind_blob(st, 1, parked, (int)strlen(parked), SQLITE_STATIC);
	sqlite3_bind_value(st, 2, rkey);
	r = sqlite3_step(st);
	if (r != SQLITE_ROW) {
		/* A column that refuses the value (a CHECK, a STRICT type)
		 * leaves the row where it is: not parked. */
		rc = r == SQLITE_DONE || (sqlite3_errcode(ss->site->db) & 0xff) ==
		    SQLITE_CONSTRAINT ? 0 : rec_db_error(ss, err);
		sqlite3_reset(st);
		goto done;
	}
	{
		sqlite3_value *parked_key = sqlite3_value_dup(
		    sqlite3_column_value(st, 0));

		sqlite3_reset(st);
		r = note_unmapped(ss, t->id, rkey, err);
		sqlite3_value_free(rkey);
		rkey = parked_key;
		if (r != 0)
			goto done;
	}
	st = rec_cached(ss, "UPDATE syncpack_record SET rkey = ?1 WHERE guid = "
	    "?2", err);
	if (st == NULL || rkey == NULL) {
		if (rkey == NULL)
			sp_error_set(err, "out of memory");
		goto done;
	}
	sqlite3_bind_value(st, 1, rkey);
	sqlite3_bind_text(st, 2, guid, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_reset(st);
	if (r != SQLITE_DONE) {
		rec_db_error(ss, err);
		goto done;
	}
	st = rec_cached(ss, "INSERT OR IGNORE INTO temp.syncpack_parked(guid) "
	    "VALUES (?1)", err);
	if (st == NULL)
		goto done;
	sqlite3_bind_text(st, 1, guid, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_reset(st);
	ss->parking = 1;
	rc = r == SQLITE_DONE ? 1 : rec_db_error(ss, err);
done:
	sqlite3_value_free(rkey);
	sqlite3_free(first);
	sqlite3_free(match);
	sqlite3_free(key);
	sqlite3_free(sql);
	return rc;
}

int
rec_parked(struct store *base, struct sp_error *err)
{
	struct store_sqlite *ss = (struct store_sqlite *)base;
	sqlite3_stmt *st;
	int r, n;

	if (site_exec(ss->site, "CREATE TEMP TABLE IF NOT EXISTS "
	    "syncpack_parked(guid TEXT PRIMARY KEY)", err) != 0)
		return -1;
	if ((st = rec_cached(ss, "SELECT count(*) FROM temp.syncpack_parked",
	    err)) == NULL)
		return -1;
	r = sqlite3_step(st);
	n = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return r == SQLITE_ROW ? n : rec_db_error(ss, err);
}

/* guid's row is written again: no longer parked. */
int
rec_unpark(struct store_sqlite *ss, const char *guid, struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	if (!ss->parking)
		return 0;
	if ((st = rec_cached(ss, "DELETE FROM temp.syncpack_parked WHERE guid = "
	    "?1", err)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, guid, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_reset(st);
	return r == SQLITE_DONE ? 0 : rec_db_error(ss, err);
}
