/* store_sqlite.c: the store interface over a site's SQLite database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/capture_fold.h"
#include "store/sqlite/key_sql.h"
#include "store/sqlite/row_json.h"
#include "store/sqlite/sql.h"
#include "store/sqlite/backend.h"
#include "store/manifest.h"
#include "store/sqlite/store_sqlite.h"
#include "store/store.h"
#include "store/tables.h"
#include "store/sqlite/records.h"

/* The records changed in (since, upto], with their rows when with_rows. */
static int
walk_changes(struct store *base, const char *table, const char *owner,
    long long since, long long upto, int with_rows, store_change_cb cb,
    void *ctx, struct sp_error *err)
{
	struct store_sqlite *ss = (struct store_sqlite *)base;
	struct table_info *only = NULL;
	struct store_record rec;
	sqlite3_stmt *st;
	int r, rc = 0;

	if (table != NULL && (only = rec_table_by_name(ss, table)) == NULL)
		return sp_error_set(err, "%s is not a tracked table", table);
	if (sqlite3_prepare_v2(ss->site->db, "SELECT " RECORD_COLUMNS ", "
	    "EXISTS (SELECT 1 FROM syncpack_lock l WHERE l.tbl = t.name AND "
	    "l.rkey = r.rkey) FROM syncpack_record r JOIN syncpack_table t ON "
	    "t.id = r.tbl WHERE r.lseq > ?1 AND (?2 = 0 OR r.lseq <= ?2) AND "
	    "(?3 IS NULL OR r.tbl = ?3) AND (?4 IS NULL OR r.owner = ?4) ORDER "
	    "BY r.lseq", -1, &st, NULL)
	    != SQLITE_OK)
		return rec_db_error(ss, err);
	if (sqlite3_bind_int64(st, 1, since) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, upto) != SQLITE_OK ||
	    (only != NULL && sqlite3_bind_int64(st, 3, only->id) != SQLITE_OK) ||
	    (owner != NULL && sqlite3_bind_text(st, 4, owner, -1,
	    SQLITE_STATIC) != SQLITE_OK)) {
		sqlite3_finalize(st);
		return rec_db_error(ss, err);
	}
	r = SQLITE_DONE;
	while (rc == 0 && (r = sqlite3_step(st)) == SQLITE_ROW) {
		struct table_info *t = rec_table_by_id(ss, sqlite3_column_int64(st, 1));
		json_t *row = NULL;

		if (t == NULL)
			continue;	/* a table no longer tracked */
		rec_record_from_row(ss, st, &rec);
		rec.locked = sqlite3_column_int(st, 18);
		if (with_rows && !rec.deleted && rec_fetch_row(ss, t,
		    sqlite3_column_value(st, 2), &row, err) != 0) {
			rc = -1;
			break;
		}
		if (with_rows && !rec.deleted && row == NULL)
			continue;	/* row gone, tombstone not yet folded */
		rc = cb(ctx, &rec, row, err);
		json_decref(row);
	}
	if (rc == 0 && r != SQLITE_DONE)
		rc = rec_db_error(ss, err);
	sqlite3_finalize(st);
	return rc;
}

static int
sqlite_changes(struct store *base, const char *table, const char *owner,
    long long since, long long upto, store_change_cb cb, void *ctx,
    struct sp_error *err)
{
	return walk_changes(base, table, owner, since, upto, 1, cb, ctx, err);
}

static int
sqlite_changed_records(struct store *base, const char *table,
    long long since, long long upto, store_change_cb cb, void *ctx,
    struct sp_error *err)
{
	return walk_changes(base, table, NULL, since, upto, 0, cb, ctx, err);
}

static int
sqlite_columns(struct store *base, const char *table, char *const **names,
    int *count, struct sp_error *err)
{
	struct table_info *t = rec_table_by_name((struct store_sqlite *)base,
	    table);

	(void)err;
	*names = t != NULL ? t->columns : NULL;
	*count = t != NULL ? t->ncolumns : 0;
	return t != NULL;
}

static int
sqlite_lookup_key(struct store *base, const char *table, json_t *key,
    struct store_record *rec, struct sp_error *err)
{
	struct store_sqlite *ss = (struct store_sqlite *)base;
	struct table_info *t = rec_table_by_name(ss, table);
	sqlite3_stmt *st;
	int r;

	if (t == NULL)
		return sp_error_set(err, "%s is not a tracked table", table);
	st = rec_cached(ss, "SELECT " RECORD_COLUMNS " FROM syncpack_record r "
	    "WHERE r.tbl = ? AND r.rkey = ?", err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, t->id);
	if (row_json_bind(st, 2, key, err) != 0)
		return -1;
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		rec_record_from_row(ss, st, rec);
	sqlite3_reset(st);
	if (r == SQLITE_ROW)
		return 1;
	return r == SQLITE_DONE ? 0 : rec_db_error(ss, err);
}

/* The parent's key columns matched against row's columns named by ref,
 * bound from ?1 on; NULL with err set. */
static char *
ref_query(const struct table_info *t, char **keys, int nkeys,
    struct sp_error *err)
{
	char *where = sqlite3_mprintf("%s", ""), *key = key_sql_expr(t->pk,
	    "p"), *sql = NULL;

	for (int i = 0; i < nkeys && where != NULL; i++) {
		char *next = sqlite3_mprintf("%s%sp.\"%w\" = ?%d", where,
		    i ? " AND " : "", keys[i], i + 1);
		sqlite3_free(where);
		where = next;
	}
	if (where != NULL && key != NULL)
		sql = sqlite3_mprintf("SELECT " RECORD_COLUMNS " FROM \"%w\" p "
		    "JOIN syncpack_record r ON r.tbl = %lld AND r.rkey = +(%s) "
		    "WHERE %s", t->name, t->id, key, where);
	if (sql == NULL)
		sp_error_set(err, "out of memory");
	sqlite3_free(where);
	sqlite3_free(key);
	return sql;
}

static int
sqlite_lookup_ref(struct store *base, const char *table, const char *ref,
    json_t *row, struct store_record *rec, struct sp_error *err)
{
	struct store_sqlite *ss = (struct store_sqlite *)base;
	struct table_info *t = rec_table_by_name(ss, table);
	char **keys = NULL, **cols = NULL, *sql = NULL;
	int nkeys = 0, ncols = 0, r, rc = -1;
	sqlite3_stmt *st;

	if (t == NULL)
		return sp_error_set(err, "%s is not a tracked table", table);
	if (key_columns(t->pk, &keys, &nkeys) != 1 ||
	    key_columns(ref, &cols, &ncols) != 1 || ncols != nkeys) {
		sp_error_set(err, "%s: a reference to it does not match its key",
		    table);
		goto done;
	}
	if ((sql = ref_query(t, keys, nkeys, err)) == NULL ||
	    (st = rec_cached(ss, sql, err)) == NULL)
		goto done;
	for (int i = 0; i < ncols; i++) {
		json_t *v = json_object_get(row, cols[i]);
		if (v == NULL) {
			sp_error_set(err, "%s: no column %s", table, cols[i]);
			goto done;
		}
		if (row_json_bind(st, i + 1, v, err) != 0)
			goto done;
	}
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		rec_record_from_row(ss, st, rec);
	sqlite3_reset(st);
	rc = r == SQLITE_ROW ? 1 : r == SQLITE_DONE ? 0 : rec_db_error(ss, err);
done:
	sqlite3_free(sql);
	tracked_columns_free(keys, nkeys);
	tracked_columns_free(cols, ncols);
	return rc;
}

static int
sqlite_lookup(struct store *base, const char *guid, struct store_record *rec,
    json_t **row, struct sp_error *err)
{
	struct store_sqlite *ss = (struct store_sqlite *)base;
	sqlite3_stmt *st;
	struct table_info *t;
	int found = rec_find_record(ss, guid, &st, err);

	if (row != NULL)
		*row = NULL;
	if (found <= 0)
		return found;
	rec_record_from_row(ss, st, rec);
	t = rec_table_by_id(ss, sqlite3_column_int64(st, 1));
	if (row != NULL && t != NULL && !rec->deleted) {
		sqlite3_value *key = sqlite3_value_dup(sqlite3_column_value(st, 2));
		sqlite3_reset(st);
		found = rec_fetch_row(ss, t, key, row, err) == 0 ? 1 : -1;
		sqlite3_value_free(key);
		return found;
	}
	sqlite3_reset(st);
	return 1;
}

static int
sqlite_begin_apply(struct store *base, struct sp_error *err)
{
	struct store_sqlite *ss = (struct store_sqlite *)base;

	/* Local changes are folded first so that conflicts see them. Then
	 * this connection's triggers are switched off: nothing applied is
	 * captured or checked as a local change. The marker says the same to
	 * anyone reading syncpack_clock inside the transaction, and whatever
	 * the change log holds at commit is dropped. */
	if (site_exec(ss->site, "BEGIN IMMEDIATE", err) != 0)
		return -1;
	if (capture_fold(ss->site, err) != 0 ||
	    site_exec(ss->site, "UPDATE syncpack_clock SET applying = 1 WHERE "
	    "id = 1", err) != 0) {
		sqlite3_exec(ss->site->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	sqlite3_db_config(ss->site->db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
	return 0;
}

static int
sqlite_commit(struct store *base, struct sp_error *err)
{
	struct store_sqlite *ss = (struct store_sqlite *)base;

	/* The marker is cleared in the same transaction, so it is never
	 * committed as set. */
	sqlite3_db_config(ss->site->db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 1, NULL);
	/* The records applied get their checksums in the same transaction
	 * (checksums.h), once the clock says which they are. */
	if (rec_clock_write_back(ss, err) != 0 ||
	    store_checksums_refresh(ss->site, 0, err) < 0) {
		sqlite3_exec(ss->site->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	if (site_exec(ss->site, "DELETE FROM syncpack_change; UPDATE "
	    "syncpack_clock SET applying = 0 WHERE id = 1; COMMIT", err) != 0) {
		sqlite3_exec(ss->site->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

static void
sqlite_rollback(struct store *base)
{
	struct store_sqlite *ss = (struct store_sqlite *)base;

	for (int i = 0; i < STMT_CACHE; i++)
		if (ss->cache_stmt[i])
			sqlite3_reset(ss->cache_stmt[i]);
	store_sqlite_slots_reset(&ss->h);
	ss->h.batch = BATCH_OFF;
	sqlite3_db_config(ss->site->db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 1, NULL);
	ss->clock_loaded = 0;
	sqlite3_exec(ss->site->db, "ROLLBACK", NULL, NULL, NULL);
}

static void
sqlite_close(struct store *base)
{
	struct store_sqlite *ss = (struct store_sqlite *)base;

	for (int i = 0; i < STMT_CACHE; i++) {
		sqlite3_finalize(ss->cache_stmt[i]);
		free(ss->cache_sql[i]);
	}
	store_sqlite_slots_free(&ss->h);
	row_shapes_free(ss);
	rec_tables_free(ss);
	free(ss);
}

static const struct store_ops sqlite_ops = {
	.close = sqlite_close,
	.begin_apply = sqlite_begin_apply,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.changes = sqlite_changes,
	.changed_records = sqlite_changed_records,
	.columns = sqlite_columns,
	.lookup_key = sqlite_lookup_key,
	.lookup_ref = sqlite_lookup_ref,
	.lookup = sqlite_lookup,
	.upsert = rec_upsert,
	.tombstone = rec_tombstone,
	.referenced = rec_referenced,
	.park = rec_park,
	.parked = rec_parked,
	.restamp = rec_restamp,
	.merge = rec_merge,
	.savepoint = store_sqlite_savepoint,
	.release = store_sqlite_release,
	.rollback_to = store_sqlite_rollback_to,
	.batch_begin = store_sqlite_batch_begin,
	.batch_end = store_sqlite_batch_end,
	.locked = store_sqlite_locked,
	.purged_take = store_sqlite_purged_take,
};

struct store *
store_sqlite_open(struct site *s, struct sp_error *err)
{
	struct store_sqlite *ss = calloc(1, sizeof(*ss));

	if (ss == NULL) {
		sp_error_set(err, "out of memory");
		return NULL;
	}
	ss->h.base.ops = &sqlite_ops;
	ss->site = ss->h.site = s;
	if (rec_load_tables(ss, err) != 0) {
		sqlite_close(&ss->h.base);
		return NULL;
	}
	return &ss->h.base;
}
