/* store_sqlite.c: the store interface over a site's SQLite database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/capture_fold.h"
#include "store/sqlite/row_json.h"
#include "store/sqlite/sql.h"
#include "store/sqlite/store_sqlite.h"
#include "store/store.h"
#include "store/tables.h"

struct table_info {
	long long id;
	char *name;
	char *pk;
	int local_key;
	char *rowversion_column;	/* NULL when the table has none */
	char **columns;
	int ncolumns;
};

#define STMT_CACHE 32

struct store_sqlite {
	struct store_sqlite_slots h;	/* first: the handle starts with it */
	struct site *site;		/* h.site */
	struct table_info *tables;
	int ntables;
	/* Prepared statements by SQL text: records of one table share a
	 * handful of statement shapes. */
	char *cache_sql[STMT_CACHE];
	sqlite3_stmt *cache_stmt[STMT_CACHE];
	int cache_next;
	/* The clock during an apply: advanced in memory per record and
	 * written back once, at commit. */
	int clock_loaded;
	long long clock_lseq, clock_hlc;
};

static int
db_error(struct store_sqlite *ss, struct sp_error *err)
{
	return site_sqlite_error(ss->site, err, ss->site->path);
}

/* Returns a reset statement for sql, prepared once and kept. */
static sqlite3_stmt *
cached(struct store_sqlite *ss, const char *sql, struct sp_error *err)
{
	sqlite3_stmt *st;
	int slot;

	for (int i = 0; i < STMT_CACHE; i++)
		if (ss->cache_sql[i] && strcmp(ss->cache_sql[i], sql) == 0) {
			sqlite3_reset(ss->cache_stmt[i]);
			sqlite3_clear_bindings(ss->cache_stmt[i]);
			return ss->cache_stmt[i];
		}
	if (sqlite3_prepare_v3(ss->site->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &st, NULL) != SQLITE_OK) {
		db_error(ss, err);
		return NULL;
	}
	slot = ss->cache_next;
	ss->cache_next = (ss->cache_next + 1) % STMT_CACHE;
	free(ss->cache_sql[slot]);
	sqlite3_finalize(ss->cache_stmt[slot]);
	ss->cache_sql[slot] = strdup(sql);
	ss->cache_stmt[slot] = st;
	return st;
}

static void
tables_free(struct store_sqlite *ss)
{
	for (int i = 0; i < ss->ntables; i++) {
		struct table_info *t = &ss->tables[i];
		free(t->name);
		free(t->pk);
		free(t->rowversion_column);
		tracked_columns_free(t->columns, t->ncolumns);
	}
	free(ss->tables);
	ss->tables = NULL;
	ss->ntables = 0;
}

/* The tracked tables and their columns, read as every other reader of
 * the backend reads them (tables.c). */
static int
load_tables(struct store_sqlite *ss, struct sp_error *err)
{
	char **names;
	int n, rc = -1;

	if (store_tables_tracked(ss->site, &names, &n, err) != 0)
		return -1;
	if ((ss->tables = calloc((size_t)n + 1, sizeof(*ss->tables))) == NULL) {
		sp_error_set(err, "out of memory");
		goto done;
	}
	for (int i = 0; i < n; i++) {
		struct table_info *t = &ss->tables[i];
		struct tracked_table tt;
		int found = store_table_get(ss->site, names[i], &tt, err);

		if (found == 0)
			sp_error_set(err, "%s: no longer tracked", names[i]);
		if (found != 1)
			goto done;
		ss->ntables = i + 1;
		t->id = tt.id;
		t->name = tt.name;
		t->pk = tt.pk;
		tt.name = tt.pk = NULL;
		t->local_key = strcmp(tt.key, "local") == 0;
		if (tt.rowversion_column) {
			size_t len = strlen(t->name) + 12;
			if ((t->rowversion_column = malloc(len)) == NULL) {
				tracked_table_free(&tt);
				sp_error_set(err, "out of memory");
				goto done;
			}
			snprintf(t->rowversion_column, len, "%s_rowversion",
			    t->name);
		}
		tracked_table_free(&tt);
		if (tracked_columns_load(ss->site, t->name, &t->columns,
		    &t->ncolumns, err) != 0)
			goto done;
	}
	rc = 0;
done:
	tracked_columns_free(names, n);
	return rc;
}

static struct table_info *
table_by_name(struct store_sqlite *ss, const char *name)
{
	for (int i = 0; i < ss->ntables; i++)
		if (strcmp(ss->tables[i].name, name) == 0)
			return &ss->tables[i];
	return NULL;
}

static struct table_info *
table_by_id(struct store_sqlite *ss, long long id)
{
	for (int i = 0; i < ss->ntables; i++)
		if (ss->tables[i].id == id)
			return &ss->tables[i];
	return NULL;
}

static int
has_column(const struct table_info *t, const char *col)
{
	for (int i = 0; i < t->ncolumns; i++)
		if (strcmp(t->columns[i], col) == 0)
			return 1;
	return 0;
}

static void
copy_text(char *dst, size_t size, sqlite3_stmt *st, int col)
{
	const unsigned char *v = sqlite3_column_text(st, col);

	snprintf(dst, size, "%s", v ? (const char *)v : "");
}

#define RECORD_COLUMNS "r.guid, r.tbl, r.rkey, r.origin, r.owner, " \
	"r.rowversion, r.hlc, r.hlc_site, r.lseq, r.deleted, r.flags, r.src, " \
	"r.base, r.base_hlc, r.base_site, r.values_hlc, r.values_site"

static void
record_from_row(struct store_sqlite *ss, sqlite3_stmt *st,
    struct store_record *rec)
{
	struct table_info *t = table_by_id(ss, sqlite3_column_int64(st, 1));

	memset(rec, 0, sizeof(*rec));
	copy_text(rec->guid, sizeof(rec->guid), st, 0);
	snprintf(rec->table, sizeof(rec->table), "%s", t ? t->name : "");
	copy_text(rec->origin, sizeof(rec->origin), st, 3);
	copy_text(rec->owner, sizeof(rec->owner), st, 4);
	rec->rowversion = sqlite3_column_int64(st, 5);
	rec->hlc = sqlite3_column_int64(st, 6);
	copy_text(rec->hlc_site, sizeof(rec->hlc_site), st, 7);
	rec->lseq = sqlite3_column_int64(st, 8);
	rec->deleted = sqlite3_column_int(st, 9);
	rec->flags = sqlite3_column_int(st, 10);
	copy_text(rec->src, sizeof(rec->src), st, 11);
	rec->base = sqlite3_column_int64(st, 12);
	rec->base_hlc = sqlite3_column_int64(st, 13);
	copy_text(rec->base_site, sizeof(rec->base_site), st, 14);
	rec->values_hlc = sqlite3_column_int64(st, 15);
	copy_text(rec->values_site, sizeof(rec->values_site), st, 16);
}

/* Reads the row whose key is the value bound from key_stmt's column. */
static int
fetch_row(struct store_sqlite *ss, const struct table_info *t,
    sqlite3_value *key, json_t **row, struct sp_error *err)
{
	char *sql = sqlite3_mprintf("SELECT * FROM \"%w\" WHERE \"%w\" = ?",
	    t->name, t->pk);
	sqlite3_stmt *st = sql ? cached(ss, sql, err) : NULL;
	int r;

	sqlite3_free(sql);
	*row = NULL;
	if (st == NULL)
		return -1;
	sqlite3_bind_value(st, 1, key);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW && (*row = json_object()) == NULL) {
		sqlite3_reset(st);
		return sp_error_set(err, "out of memory");
	}
	/* A column that cannot be encoded fails the record: leaving it out
	 * would make it arrive as NULL. */
	for (int i = 0; r == SQLITE_ROW && i < sqlite3_column_count(st); i++) {
		const char *name = sqlite3_column_name(st, i);
		json_t *v = row_json_from_column(st, i, err);

		if (v == NULL || name == NULL ||
		    json_object_set_new(*row, name, v) != 0) {
			if (v == NULL)
				sp_error_prefix(err, "%s.%s", t->name,
				    name ? name : "?");
			else
				sp_error_set(err, "%s.%s: out of memory", t->name,
				    name ? name : "?");
			sqlite3_reset(st);
			json_decref(*row);
			*row = NULL;
			return -1;
		}
	}
	sqlite3_reset(st);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return db_error(ss, err);
	return 0;
}

static int
sqlite_changes(struct store *base, const char *table, long long since,
    long long upto, store_change_cb cb, void *ctx, struct sp_error *err)
{
	struct store_sqlite *ss = (struct store_sqlite *)base;
	struct table_info *only = NULL;
	struct store_record rec;
	sqlite3_stmt *st;
	int r, rc = 0;

	if (table != NULL && (only = table_by_name(ss, table)) == NULL)
		return sp_error_set(err, "%s is not a tracked table", table);
	if (sqlite3_prepare_v2(ss->site->db, "SELECT " RECORD_COLUMNS ", "
	    "EXISTS (SELECT 1 FROM syncpack_lock l WHERE l.tbl = t.name AND "
	    "l.rkey = r.rkey) FROM syncpack_record r JOIN syncpack_table t ON "
	    "t.id = r.tbl WHERE r.lseq > ?1 AND (?2 = 0 OR r.lseq <= ?2) AND "
	    "(?3 IS NULL OR r.tbl = ?3) ORDER BY r.lseq", -1, &st, NULL)
	    != SQLITE_OK)
		return db_error(ss, err);
	sqlite3_bind_int64(st, 1, since);
	sqlite3_bind_int64(st, 2, upto);
	if (only != NULL)
		sqlite3_bind_int64(st, 3, only->id);
	while (rc == 0 && (r = sqlite3_step(st)) == SQLITE_ROW) {
		struct table_info *t = table_by_id(ss, sqlite3_column_int64(st, 1));
		json_t *row = NULL;

		if (t == NULL)
			continue;	/* a table no longer tracked */
		record_from_row(ss, st, &rec);
		rec.locked = sqlite3_column_int(st, 17);
		if (!rec.deleted && fetch_row(ss, t, sqlite3_column_value(st, 2),
		    &row, err) != 0) {
			rc = -1;
			break;
		}
		if (!rec.deleted && row == NULL)
			continue;	/* row gone, tombstone not yet folded */
		rc = cb(ctx, &rec, row, err);
		json_decref(row);
	}
	if (rc == 0 && r != SQLITE_DONE)
		rc = db_error(ss, err);
	sqlite3_finalize(st);
	return rc;
}

static int
sqlite_lookup_key(struct store *base, const char *table, json_t *key,
    struct store_record *rec, struct sp_error *err)
{
	struct store_sqlite *ss = (struct store_sqlite *)base;
	struct table_info *t = table_by_name(ss, table);
	sqlite3_stmt *st;
	int r;

	if (t == NULL)
		return sp_error_set(err, "%s is not a tracked table", table);
	st = cached(ss, "SELECT " RECORD_COLUMNS " FROM syncpack_record r "
	    "WHERE r.tbl = ? AND r.rkey = ?", err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, t->id);
	if (row_json_bind(st, 2, key, err) != 0)
		return -1;
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		record_from_row(ss, st, rec);
	sqlite3_reset(st);
	if (r == SQLITE_ROW)
		return 1;
	return r == SQLITE_DONE ? 0 : db_error(ss, err);
}

/* Finds the metadata of guid; leaves the record statement positioned on
 * the row (for its key) when found. */
static int
find_record(struct store_sqlite *ss, const char *guid, sqlite3_stmt **out,
    struct sp_error *err)
{
	sqlite3_stmt *st = cached(ss, "SELECT " RECORD_COLUMNS " FROM "
	    "syncpack_record r WHERE r.guid = ?", err);
	int r;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, guid, -1, SQLITE_TRANSIENT);
	r = sqlite3_step(st);
	*out = st;
	if (r == SQLITE_ROW)
		return 1;
	sqlite3_reset(st);
	return r == SQLITE_DONE ? 0 : db_error(ss, err);
}

static int
sqlite_lookup(struct store *base, const char *guid, struct store_record *rec,
    json_t **row, struct sp_error *err)
{
	struct store_sqlite *ss = (struct store_sqlite *)base;
	sqlite3_stmt *st;
	struct table_info *t;
	int found = find_record(ss, guid, &st, err);

	if (row != NULL)
		*row = NULL;
	if (found <= 0)
		return found;
	record_from_row(ss, st, rec);
	t = table_by_id(ss, sqlite3_column_int64(st, 1));
	if (row != NULL && t != NULL && !rec->deleted) {
		sqlite3_value *key = sqlite3_value_dup(sqlite3_column_value(st, 2));
		sqlite3_reset(st);
		found = fetch_row(ss, t, key, row, err) == 0 ? 1 : -1;
		sqlite3_value_free(key);
		return found;
	}
	sqlite3_reset(st);
	return 1;
}

static int
tick_clock(struct store_sqlite *ss, long long seen_hlc, long long *lseq,
    struct sp_error *err)
{
	if (!ss->clock_loaded) {
		sqlite3_stmt *st = cached(ss, "SELECT lseq, hlc FROM "
		    "syncpack_clock WHERE id = 1", err);
		if (st == NULL)
			return -1;
		if (sqlite3_step(st) != SQLITE_ROW) {
			sqlite3_reset(st);
			return db_error(ss, err);
		}
		ss->clock_lseq = sqlite3_column_int64(st, 0);
		ss->clock_hlc = sqlite3_column_int64(st, 1);
		sqlite3_reset(st);
		ss->clock_loaded = 1;
	}
	/* Receiving a stamp moves this site's clock past it (HLC rule). */
	if (seen_hlc > ss->clock_hlc)
		ss->clock_hlc = seen_hlc;
	*lseq = ++ss->clock_lseq;
	return 0;
}

static int
clock_write_back(struct store_sqlite *ss, struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	if (!ss->clock_loaded)
		return 0;
	st = cached(ss, "UPDATE syncpack_clock SET lseq = max(lseq, ?), hlc = "
	    "max(hlc, ?) WHERE id = 1", err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, ss->clock_lseq);
	sqlite3_bind_int64(st, 2, ss->clock_hlc);
	r = sqlite3_step(st);
	sqlite3_reset(st);
	ss->clock_loaded = 0;
	return r == SQLITE_DONE ? 0 : db_error(ss, err);
}

static int
save_metadata(struct store_sqlite *ss, const struct table_info *t,
    const struct store_record *rec, sqlite3_value *rkey, long long lseq,
    struct sp_error *err)
{
	sqlite3_stmt *st = cached(ss, "INSERT INTO syncpack_record(guid, tbl, "
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
		return db_error(ss, err);
	}
	sqlite3_reset(st);
	return 0;
}

/* Builds INSERT (rkey NULL) or UPDATE (of the row with key rkey) for the
 * columns of row, binds and runs it, and returns the row's key. */
static int
write_row(struct store_sqlite *ss, const struct table_info *t,
    const struct store_record *rec, json_t *row, sqlite3_value *rkey,
    sqlite3_value **new_key, struct sp_error *err)
{
	const char *col;
	json_t *v;
	char *sql, *cols = sqlite3_mprintf("%s", ""), *vals = NULL;
	sqlite3_stmt *st;
	int n = 0, idx, r;

	json_object_foreach(row, col, v) {
		if (!has_column(t, col))
			return sqlite3_free(cols), sp_error_set(err, "%s has no "
			    "column %s (schema differs)", t->name, col);
		if ((t->local_key && strcmp(col, t->pk) == 0) ||
		    (t->rowversion_column && strcmp(col, t->rowversion_column) == 0))
			continue;
		if (rkey == NULL) {
			char *next = sqlite3_mprintf("%s%s\"%w\"", cols,
			    n ? ", " : "", col);
			sqlite3_free(cols);
			cols = next;
		} else {
			char *next = sqlite3_mprintf("%s%s\"%w\" = ?%d", cols,
			    n ? ", " : "", col, n + 1);
			sqlite3_free(cols);
			cols = next;
		}
		n++;
	}
	if (t->rowversion_column) {
		char *next = rkey == NULL
		    ? sqlite3_mprintf("%s%s\"%w\"", cols, n ? ", " : "",
		    t->rowversion_column)
		    : sqlite3_mprintf("%s%s\"%w\" = ?%d", cols, n ? ", " : "",
		    t->rowversion_column, n + 1);
		sqlite3_free(cols);
		cols = next;
		n++;
	}
	if (rkey == NULL) {
		vals = sqlite3_mprintf("%s", "");
		for (int i = 1; i <= n; i++) {
			char *next = sqlite3_mprintf("%s%s?%d", vals,
			    i > 1 ? ", " : "", i);
			sqlite3_free(vals);
			vals = next;
		}
		sql = n ? sqlite3_mprintf("INSERT INTO \"%w\"(%s) VALUES (%s) "
		    "RETURNING \"%w\"", t->name, cols, vals, t->pk)
		    : sqlite3_mprintf("INSERT INTO \"%w\" DEFAULT VALUES "
		    "RETURNING \"%w\"", t->name, t->pk);
	} else
		sql = n ? sqlite3_mprintf("UPDATE \"%w\" SET %s WHERE \"%w\" = "
		    "?%d RETURNING \"%w\"", t->name, cols, t->pk, n + 1, t->pk)
		    : sqlite3_mprintf("SELECT \"%w\" FROM \"%w\" WHERE \"%w\" = "
		    "?%d", t->pk, t->name, t->pk, n + 1);
	sqlite3_free(cols);
	sqlite3_free(vals);
	st = sql ? cached(ss, sql, err) : NULL;
	sqlite3_free(sql);
	if (st == NULL)
		return -1;
	idx = 1;
	json_object_foreach(row, col, v) {
		if ((t->local_key && strcmp(col, t->pk) == 0) ||
		    (t->rowversion_column && strcmp(col, t->rowversion_column) == 0))
			continue;
		if (row_json_bind(st, idx++, v, err) != 0)
			return sp_error_prefix(err, "%s.%s", t->name, col);
	}
	if (t->rowversion_column)
		sqlite3_bind_int64(st, idx++, rec->rowversion);
	if (rkey != NULL)
		sqlite3_bind_value(st, idx, rkey);
	r = sqlite3_step(st);
	if (r != SQLITE_ROW) {
		sqlite3_reset(st);
		if (r == SQLITE_DONE)
			return sp_error_set(err, "%s: row of %s vanished",
			    t->name, rec->guid);
		return db_error(ss, err);
	}
	*new_key = sqlite3_value_dup(sqlite3_column_value(st, 0));
	sqlite3_reset(st);
	return *new_key ? 0 : sp_error_set(err, "out of memory");
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
	*t = table_by_name(ss, rec->table);
	if (*t == NULL)
		return sp_error_set(err, "%s is not a tracked table here",
		    rec->table);
	found = find_record(ss, rec->guid, &st, err);
	if (found < 0)
		return -1;
	if (found) {
		if (sqlite3_column_type(st, 2) != SQLITE_NULL)
			*rkey = sqlite3_value_dup(sqlite3_column_value(st, 2));
		sqlite3_reset(st);
	}
	return 0;
}

static int
sqlite_upsert(struct store *base, const struct store_record *rec, json_t *row,
    struct sp_error *err)
{
	struct store_sqlite *ss = (struct store_sqlite *)base;
	struct table_info *t;
	sqlite3_value *rkey = NULL, *new_key = NULL;
	long long lseq;
	int rc = -1;

	if (target_of(ss, rec, &t, &rkey, err) != 0)
		return -1;
	if (write_row(ss, t, rec, row, rkey, &new_key, err) != 0 ||
	    tick_clock(ss, rec->hlc, &lseq, err) != 0 ||
	    save_metadata(ss, t, rec, new_key, lseq, err) != 0)
		goto cleanup;
	rc = 0;
cleanup:
	sqlite3_value_free(rkey);
	sqlite3_value_free(new_key);
	return rc;
}

static int
sqlite_tombstone(struct store *base, const struct store_record *rec,
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
		char *sql = sqlite3_mprintf("DELETE FROM \"%w\" WHERE \"%w\" = ?",
		    t->name, t->pk);
		sqlite3_stmt *del = sql ? cached(ss, sql, err) : NULL;
		sqlite3_free(sql);
		if (del == NULL)
			goto cleanup;
		sqlite3_bind_value(del, 1, rkey);
		if (sqlite3_step(del) != SQLITE_DONE) {
			sqlite3_reset(del);
			db_error(ss, err);
			goto cleanup;
		}
		sqlite3_reset(del);
	}
	if (tick_clock(ss, rec->hlc, &lseq, err) != 0 ||
	    save_metadata(ss, t, rec, NULL, lseq, err) != 0)
		goto cleanup;
	rc = 0;
cleanup:
	sqlite3_value_free(rkey);
	return rc;
}

static int
sqlite_referenced(struct store *base, const char *guid, char *by,
    size_t bylen, struct sp_error *err)
{
	struct store_sqlite *ss = (struct store_sqlite *)base;
	struct table_info *parent;
	sqlite3_stmt *rec, *fk;
	sqlite3_value *rkey = NULL;
	int found = find_record(ss, guid, &rec, err), r, hit = 0;

	if (found <= 0)
		return found;
	parent = table_by_id(ss, sqlite3_column_int64(rec, 1));
	if (sqlite3_column_type(rec, 2) != SQLITE_NULL)
		rkey = sqlite3_value_dup(sqlite3_column_value(rec, 2));
	sqlite3_reset(rec);
	if (parent == NULL || rkey == NULL) {
		sqlite3_value_free(rkey);
		return 0;
	}
	fk = cached(ss, "SELECT c.name, c.pk, f.col, f.parent_col FROM "
	    "syncpack_fk f JOIN syncpack_table c ON c.id = f.tbl WHERE f.parent"
	    " = ? AND c.tracked", err);
	if (fk == NULL) {
		sqlite3_value_free(rkey);
		return -1;
	}
	sqlite3_bind_int64(fk, 1, parent->id);
	while (!hit && (r = sqlite3_step(fk)) == SQLITE_ROW) {
		const char *child = (const char *)sqlite3_column_text(fk, 0);
		/* A row referring to itself does not keep itself alive. */
		char *sql = sqlite3_mprintf("SELECT 1 FROM \"%w\" c WHERE c.\"%w\""
		    " = (SELECT p.\"%w\" FROM \"%w\" p WHERE p.\"%w\" = ?1) AND "
		    "NOT (%d AND c.\"%w\" IS ?1) LIMIT 1", child,
		    sqlite3_column_text(fk, 2), sqlite3_column_text(fk, 3),
		    parent->name, parent->pk, strcmp(child, parent->name) == 0,
		    sqlite3_column_text(fk, 1));
		sqlite3_stmt *st;

		if (sql == NULL ||
		    sqlite3_prepare_v2(ss->site->db, sql, -1, &st, NULL)
		    != SQLITE_OK) {
			sqlite3_free(sql);
			sqlite3_reset(fk);
			sqlite3_value_free(rkey);
			return db_error(ss, err);
		}
		sqlite3_free(sql);
		sqlite3_bind_value(st, 1, rkey);
		r = sqlite3_step(st);
		sqlite3_finalize(st);
		if (r == SQLITE_ROW) {
			hit = 1;
			snprintf(by, bylen, "%s", child);
		} else if (r != SQLITE_DONE) {
			sqlite3_reset(fk);
			sqlite3_value_free(rkey);
			return db_error(ss, err);
		}
	}
	sqlite3_reset(fk);
	sqlite3_value_free(rkey);
	if (!hit && r != SQLITE_DONE)
		return db_error(ss, err);
	return hit;
}

static int
sqlite_restamp(struct store *base, const char *guid,
    const struct store_record *deleted, int revived, struct sp_error *err)
{
	struct store_sqlite *ss = (struct store_sqlite *)base;
	struct table_info *t;
	sqlite3_stmt *rec, *st;
	sqlite3_value *rkey = NULL;
	long long lseq, hlc, rowversion;
	int found = find_record(ss, guid, &rec, err), rc = -1;

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
	hlc = sqlite3_column_int64(rec, 6);
	if (deleted->hlc > hlc)
		hlc = deleted->hlc;
	hlc++;
	t = table_by_id(ss, sqlite3_column_int64(rec, 1));
	if (sqlite3_column_type(rec, 2) != SQLITE_NULL)
		rkey = sqlite3_value_dup(sqlite3_column_value(rec, 2));
	sqlite3_reset(rec);
	if (t == NULL || rkey == NULL) {
		sqlite3_value_free(rkey);
		return sp_error_set(err, "record %s has no row to keep", guid);
	}
	if (tick_clock(ss, hlc, &lseq, err) != 0)
		goto cleanup;
	st = cached(ss, "UPDATE syncpack_record SET rowversion = max(rowversion,"
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
		db_error(ss, err);
		goto cleanup;
	}
	rowversion = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (t->rowversion_column) {
		/* The application's copy of the rowversion follows. */
		char *sql = sqlite3_mprintf("UPDATE \"%w\" SET \"%w\" = ? WHERE "
		    "\"%w\" = ?", t->name, t->rowversion_column, t->pk);
		st = sql ? cached(ss, sql, err) : NULL;
		sqlite3_free(sql);
		if (st == NULL)
			goto cleanup;
		sqlite3_bind_int64(st, 1, rowversion);
		sqlite3_bind_value(st, 2, rkey);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_reset(st);
			db_error(ss, err);
			goto cleanup;
		}
		sqlite3_reset(st);
	}
	rc = 0;
cleanup:
	sqlite3_value_free(rkey);
	return rc;
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
	if (clock_write_back(ss, err) != 0) {
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
	tables_free(ss);
	free(ss);
}

static const struct store_ops sqlite_ops = {
	.close = sqlite_close,
	.begin_apply = sqlite_begin_apply,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.changes = sqlite_changes,
	.lookup_key = sqlite_lookup_key,
	.lookup = sqlite_lookup,
	.upsert = sqlite_upsert,
	.tombstone = sqlite_tombstone,
	.referenced = sqlite_referenced,
	.restamp = sqlite_restamp,
	.savepoint = store_sqlite_savepoint,
	.release = store_sqlite_release,
	.rollback_to = store_sqlite_rollback_to,
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
	if (load_tables(ss, err) != 0) {
		sqlite_close(&ss->h.base);
		return NULL;
	}
	return &ss->h.base;
}
