/* row_write.c: the statements that write an incoming version's columns
 * into its table, prepared once per table and column order and kept with
 * the table (records.h), so that a file of one table's records runs one
 * INSERT and one UPDATE from its first record to its last. */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/records.h"
#include "store/sqlite/key_sql.h"
#include "store/sqlite/row_json.h"

/* 1 when col is written from the record's own metadata or this site's
 * key, not from the incoming value. */
static int
skipped(const struct table_info *t, const char *col)
{
	return (t->local_key && strcmp(col, t->pk) == 0) ||
	    (t->rowversion_column && strcmp(col, t->rowversion_column) == 0);
}

static void
row_shape_free(struct row_shape *sh)
{
	sqlite3_finalize(sh->st);
	for (int i = 0; i < sh->ncols; i++)
		free(sh->cols[i]);
	free(sh->cols);
	memset(sh, 0, sizeof(*sh));
}

static int
shape_matches(const struct row_shape *sh, const struct table_info *t,
    json_t *row)
{
	const char *col;
	json_t *v;
	int n = 0;

	if (sh->st == NULL)
		return 0;
	json_object_foreach(row, col, v) {
		if (skipped(t, col))
			continue;
		if (n >= sh->ncols || strcmp(sh->cols[n], col) != 0)
			return 0;
		n++;
	}
	return n == sh->ncols;
}

/* The SQL of the shape: the column list of an INSERT, or the SET list of
 * an UPDATE, with the rowversion column last and the key after it. */
static char *
shape_sql(const struct table_info *t, char **cols, int n, int update)
{
	sqlite3_str *s = sqlite3_str_new(NULL);
	int i, nb = n + (t->rowversion_column != NULL), failed = 0;
	/* The row's rkey, as the capture triggers compute it. */
	char *key = key_sql_expr(t->pk, NULL), *sql;

	if (key == NULL) {
		sqlite3_free(sqlite3_str_finish(s));
		return NULL;
	}

	if (update)
		sqlite3_str_appendf(s, nb ? "UPDATE \"%w\" SET " : "SELECT %s "
		    "FROM \"%w\"", nb ? t->name : key, t->name);
	else
		sqlite3_str_appendf(s, nb ? "INSERT INTO \"%w\"(" : "INSERT INTO "
		    "\"%w\" DEFAULT VALUES", t->name);
	for (i = 0; i < nb; i++)
		sqlite3_str_appendf(s, update ? "%s\"%w\" = ?%d" : "%s\"%w\"",
		    i ? ", " : "", i < n ? cols[i] : t->rowversion_column, i + 1);
	if (!update && nb) {
		sqlite3_str_appendall(s, ") VALUES (");
		for (i = 0; i < nb; i++)
			sqlite3_str_appendf(s, "%s?%d", i ? ", " : "", i + 1);
		sqlite3_str_appendall(s, ")");
	}
	if (update) {
		char *param = sqlite3_mprintf("?%d", nb + 1);
		char *match = param ? key_sql_match(t->pk, NULL, param) : NULL;
		sqlite3_str_appendf(s, " WHERE %s", match ? match : "");
		if (match == NULL)
			failed = 1;
		sqlite3_free(param);
		sqlite3_free(match);
	}
	/* A local key (a rowid alias, or the rowid of a table without a
	 * key) is the rowid SQLite gives the new row: read with
	 * last_insert_rowid(), since RETURNING builds a temporary table for
	 * every row (a tenth of an apply). */
	if (update ? nb : !t->local_key)
		sqlite3_str_appendf(s, " RETURNING %s", key);
	sqlite3_free(key);
	sql = sqlite3_str_finish(s);
	if (failed) {
		sqlite3_free(sql);
		return NULL;
	}
	return sql;
}

/* Makes sh the statement for row's columns in their order. */
static int
shape_make(struct store_sqlite *ss, struct table_info *t,
    struct row_shape *sh, json_t *row, int update, struct sp_error *err)
{
	const char *col;
	json_t *v;
	char *sql;
	int n = 0, rc;

	row_shape_free(sh);
	if ((sh->cols = calloc(json_object_size(row) + 1,
	    sizeof(*sh->cols))) == NULL)
		return sp_error_set(err, "out of memory");
	json_object_foreach(row, col, v) {
		if (!rec_has_column(t, col))
			return sp_error_set(err, "%s has no column %s (schema "
			    "differs)", t->name, col);
		if (skipped(t, col))
			continue;
		if ((sh->cols[n] = strdup(col)) == NULL)
			return sp_error_set(err, "out of memory");
		sh->ncols = ++n;
	}
	if ((sql = shape_sql(t, sh->cols, n, update)) == NULL)
		return sp_error_set(err, "out of memory");
	rc = sqlite3_prepare_v3(ss->site->db, sql, -1,
	    SQLITE_PREPARE_PERSISTENT, &sh->st, NULL);
	sqlite3_free(sql);
	if (rc != SQLITE_OK) {
		sh->st = NULL;
		return rec_db_error(ss, err);
	}
	return 0;
}

int
row_write(struct store_sqlite *ss, struct table_info *t,
    const struct store_record *rec, json_t *row, sqlite3_value *rkey,
    sqlite3_value **new_key, struct sp_error *err)
{
	struct row_shape *sh = rkey == NULL ? &t->insert : &t->update;
	const char *col;
	json_t *v;
	int idx = 1, r;

	if (!shape_matches(sh, t, row) &&
	    shape_make(ss, t, sh, row, rkey != NULL, err) != 0)
		return -1;
	json_object_foreach(row, col, v) {
		if (skipped(t, col))
			continue;
		if (row_json_bind(sh->st, idx++, v, err) != 0) {
			sqlite3_clear_bindings(sh->st);
			return sp_error_prefix(err, "%s.%s", t->name, col);
		}
	}
	if (t->rowversion_column)
		sqlite3_bind_int64(sh->st, idx++, rec->rowversion);
	if (rkey != NULL)
		sqlite3_bind_value(sh->st, idx, rkey);
	r = sqlite3_step(sh->st);
	if (r == SQLITE_ROW)
		*new_key = sqlite3_value_dup(sqlite3_column_value(sh->st, 0));
	else if (r != SQLITE_DONE)
		rec_db_error(ss, err);
	sqlite3_reset(sh->st);
	sqlite3_clear_bindings(sh->st);
	if (r == SQLITE_DONE && rkey == NULL && t->local_key) {
		sqlite3_stmt *id = rec_cached(ss, "SELECT last_insert_rowid()",
		    err);
		if (id == NULL)
			return -1;
		r = sqlite3_step(id);
		if (r == SQLITE_ROW)
			*new_key = sqlite3_value_dup(sqlite3_column_value(id, 0));
		sqlite3_reset(id);
		if (r != SQLITE_ROW)
			return rec_db_error(ss, err);
	}
	if (r == SQLITE_DONE)
		return sp_error_set(err, "%s: row of %s vanished", t->name,
		    rec->guid);
	if (r != SQLITE_ROW)
		return -1;
	return *new_key ? 0 : sp_error_set(err, "out of memory");
}

void
row_shapes_free(struct store_sqlite *ss)
{
	for (int i = 0; i < ss->ntables; i++) {
		row_shape_free(&ss->tables[i].insert);
		row_shape_free(&ss->tables[i].update);
	}
}
