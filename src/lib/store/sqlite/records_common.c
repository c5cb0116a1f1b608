/* records_common.c: the record store's statement cache and its view of
 * the tracked tables, shared by its reads and writes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/sqlite/capture_fold.h"
#include "store/sqlite/key_sql.h"
#include "store/sqlite/row_json.h"
#include "store/sqlite/backend.h"
#include "store/sqlite/sql.h"
#include "store/sqlite/store_sqlite.h"
#include "store/store.h"
#include "store/tables.h"
#include "store/sqlite/records.h"

int
rec_db_error(struct store_sqlite *ss, struct sp_error *err)
{
	return site_sqlite_error(ss->site, err, ss->site->path);
}

/* Returns a reset statement for sql, prepared once and kept. */
sqlite3_stmt *
rec_cached(struct store_sqlite *ss, const char *sql, struct sp_error *err)
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
		rec_db_error(ss, err);
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

void
rec_tables_free(struct store_sqlite *ss)
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
int
rec_load_tables(struct store_sqlite *ss, struct sp_error *err)
{
	char **names;
	int n, rc = -1;

	if (sqlite_tables_tracked(ss->site, &names, &n, err) != 0)
		return -1;
	if ((ss->tables = calloc((size_t)n + 1, sizeof(*ss->tables))) == NULL) {
		sp_error_set(err, "out of memory");
		goto done;
	}
	for (int i = 0; i < n; i++) {
		struct table_info *t = &ss->tables[i];
		struct tracked_table tt;
		int found = sqlite_table_get(ss->site, names[i], &tt, err);

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
		if (sqlite_columns_load(ss->site, t->name, &t->columns,
		    &t->ncolumns, err) != 0)
			goto done;
	}
	rc = 0;
done:
	tracked_columns_free(names, n);
	return rc;
}

struct table_info *
rec_table_by_name(struct store_sqlite *ss, const char *name)
{
	for (int i = 0; i < ss->ntables; i++)
		if (strcmp(ss->tables[i].name, name) == 0)
			return &ss->tables[i];
	return NULL;
}

struct table_info *
rec_table_by_id(struct store_sqlite *ss, long long id)
{
	for (int i = 0; i < ss->ntables; i++)
		if (ss->tables[i].id == id)
			return &ss->tables[i];
	return NULL;
}

int
rec_has_column(const struct table_info *t, const char *col)
{
	for (int i = 0; i < t->ncolumns; i++)
		if (strcmp(t->columns[i], col) == 0)
			return 1;
	return 0;
}

void
rec_copy_text(char *dst, size_t size, sqlite3_stmt *st, int col)
{
	const unsigned char *v = sqlite3_column_text(st, col);

	snprintf(dst, size, "%s", v ? (const char *)v : "");
}


void
rec_record_from_row(struct store_sqlite *ss, sqlite3_stmt *st,
    struct store_record *rec)
{
	struct table_info *t = rec_table_by_id(ss, sqlite3_column_int64(st, 1));

	memset(rec, 0, sizeof(*rec));
	rec_copy_text(rec->guid, sizeof(rec->guid), st, 0);
	snprintf(rec->table, sizeof(rec->table), "%s", t ? t->name : "");
	rec_copy_text(rec->origin, sizeof(rec->origin), st, 3);
	rec_copy_text(rec->owner, sizeof(rec->owner), st, 4);
	rec->rowversion = sqlite3_column_int64(st, 5);
	rec->hlc = sqlite3_column_int64(st, 6);
	rec_copy_text(rec->hlc_site, sizeof(rec->hlc_site), st, 7);
	rec->lseq = sqlite3_column_int64(st, 8);
	rec->deleted = sqlite3_column_int(st, 9);
	rec->flags = sqlite3_column_int(st, 10);
	rec_copy_text(rec->src, sizeof(rec->src), st, 11);
	rec->base = sqlite3_column_int64(st, 12);
	rec->base_hlc = sqlite3_column_int64(st, 13);
	rec_copy_text(rec->base_site, sizeof(rec->base_site), st, 14);
	rec->values_hlc = sqlite3_column_int64(st, 15);
	rec_copy_text(rec->values_site, sizeof(rec->values_site), st, 16);
}

/* Reads the row whose key is the value bound from key_stmt's column. */
int
rec_fetch_row(struct store_sqlite *ss, const struct table_info *t,
    sqlite3_value *key, json_t **row, struct sp_error *err)
{
	char *match = key_sql_match(t->pk, NULL, "?1");
	char *sql = match ? sqlite3_mprintf("SELECT * FROM \"%w\" WHERE %s",
	    t->name, match) : NULL;
	sqlite3_stmt *st = sql ? rec_cached(ss, sql, err) : NULL;
	int r;

	if (sql == NULL)
		sp_error_set(err, "out of memory");
	sqlite3_free(match);
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
		return rec_db_error(ss, err);
	return 0;
}

/* Finds the metadata of guid; leaves the record statement positioned on
 * the row (for its key) when found. */
int
rec_find_record(struct store_sqlite *ss, const char *guid, sqlite3_stmt **out,
    struct sp_error *err)
{
	sqlite3_stmt *st = rec_cached(ss, "SELECT " RECORD_COLUMNS " FROM "
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
	return r == SQLITE_DONE ? 0 : rec_db_error(ss, err);
}

