/* tables.c: tracked tables (store/tables.h) in a site's SQLite database:
 * their policies in syncpack_table, the schema read through the
 * table_info pragmas, and the capture triggers of capture_sql.c; their
 * foreign keys are in table_fks.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store/sqlite/capture_fold.h"
#include "store/sqlite/capture_sql.h"
#include "store/sqlite/key_sql.h"
#include "store/sqlite/row_json.h"
#include "store/sqlite/backend.h"
#include "store/sqlite/sql.h"
#include "store/sqlite/table_fks.h"
#include "store/tables.h"
#include "store/tx.h"

/* Copies a policy word; one missing or too long is left "" (damaged). */
static void
copy_word(char *to, sqlite3_stmt *st, int col)
{
	const char *v = (const char *)sqlite3_column_text(st, col);

	to[0] = '\0';
	if (v != NULL && strlen(v) < TRACKED_WORD_MAX)
		strcpy(to, v);
}

/* The first column of every row of sql (arg bound to ?1 unless NULL). */
static int
load_names(struct site *s, const char *sql, const char *arg, char ***out,
    int *count, struct sp_error *err)
{
	sqlite3_stmt *st;
	char **all = NULL;
	int n = 0, r;

	*out = NULL;
	*count = 0;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	if (arg != NULL && sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC)
	    != SQLITE_OK) {
		sqlite3_finalize(st);
		return site_sqlite_error(s, err, s->path);
	}
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		char **grown = realloc(all, (size_t)(n + 1) * sizeof(*all));
		if (grown == NULL)
			break;
		all = grown;
		if ((all[n] = site_column_dup(st, 0)) == NULL)
			break;
		n++;
	}
	sqlite3_finalize(st);
	if (r != SQLITE_DONE) {
		tracked_columns_free(all, n);
		return site_loop_failed(s, r, err);
	}
	*out = all;
	*count = n;
	return 0;
}

int
sqlite_table_get(struct site *s, const char *table, struct tracked_table *t,
    struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	memset(t, 0, sizeof(*t));
	if (sqlite3_prepare_v2(s->db, "SELECT id, name, pk, pk_integer, owner,"
	    " route, conflict, freeze, movable, window_column, key_kind,"
	    " rowversion_column, tracked FROM syncpack_table WHERE name = ?",
	    -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		t->id = sqlite3_column_int64(st, 0);
		t->name = site_column_dup(st, 1);
		t->pk = site_column_dup(st, 2);
		t->pk_integer = sqlite3_column_int(st, 3);
		copy_word(t->owner, st, 4);
		copy_word(t->route, st, 5);
		copy_word(t->conflict, st, 6);
		t->freeze = sqlite3_column_int(st, 7);
		t->movable = sqlite3_column_int(st, 8);
		t->window = site_column_dup(st, 9);
		copy_word(t->key, st, 10);
		t->rowversion_column = sqlite3_column_int(st, 11);
		t->tracked = sqlite3_column_int(st, 12);
		if (t->name == NULL || t->pk == NULL ||
		    (sqlite3_column_type(st, 9) != SQLITE_NULL &&
		    t->window == NULL)) {
			sqlite3_finalize(st);
			tracked_table_free(t);
			return sp_error_set(err, "out of memory");
		}
	}
	sqlite3_finalize(st);
	if (r == SQLITE_ROW)
		return 1;
	if (r == SQLITE_DONE)
		return 0;
	return site_sqlite_error(s, err, s->path);
}

int
sqlite_tables_tracked(struct site *s, char ***names, int *count,
    struct sp_error *err)
{
	return load_names(s, "SELECT name FROM syncpack_table WHERE tracked "
	    "ORDER BY id", NULL, names, count, err);
}

int
sqlite_columns_load(struct site *s, const char *table, char ***columns,
    int *count, struct sp_error *err)
{
	/* A column missing from the list would be dropped from every incoming
	 * record. */
	return load_names(s, "SELECT name FROM pragma_table_info(?) ORDER BY "
	    "cid", table, columns, count, err);
}

int
store_table_exists(struct site *s, const char *table, struct sp_error *err)
{
	return site_step_text(s, "SELECT 1 FROM sqlite_master WHERE type = "
	    "'table' AND name = ?", table, err);
}

int
store_column_exists(struct site *s, const char *table, const char *column,
    struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM pragma_table_info(?) "
	    "WHERE name = ?", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	if (r == SQLITE_ROW)
		return 1;
	return r == SQLITE_DONE ? 0 : site_sqlite_error(s, err, s->path);
}

/* The name the rowid goes by in table: the first of rowid, _rowid_ and
 * oid that no column takes; NULL when all three are columns. */
static const char *
rowid_name(struct site *s, const char *table, struct sp_error *err)
{
	static const char *const names[] = { "rowid", "_rowid_", "oid" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int taken = store_column_exists(s, table, names[i], err);
		if (taken < 0)
			return NULL;
		if (!taken)
			return names[i];
	}
	sp_error_set(err, "%s: has no primary key, and columns named rowid, "
	    "_rowid_ and oid hide its rowid", table);
	return NULL;
}

int
sqlite_table_primary_key(struct site *s, const char *table, char **pk,
    int *pk_integer, int *ncols, struct sp_error *err)
{
	char **cols = NULL;
	sqlite3_stmt *st;
	int r, integer = 0, indexed = 0;

	*pk = NULL;
	*pk_integer = 0;
	*ncols = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT name, type FROM "
	    "pragma_table_info(?) WHERE pk > 0 ORDER BY pk", -1, &st, NULL)
	    != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(st, 1);
		char **grown = realloc(cols, (size_t)(*ncols + 1) *
		    sizeof(*cols));
		if (grown == NULL)
			break;
		cols = grown;
		if ((cols[*ncols] = site_column_dup(st, 0)) == NULL)
			break;
		integer = type && strcasecmp(type, "INTEGER") == 0;
		++*ncols;
	}
	sqlite3_finalize(st);
	if (r != SQLITE_DONE) {
		tracked_columns_free(cols, *ncols);
		*ncols = 0;
		return site_loop_failed(s, r, err);
	}
	if (*ncols == 0) {
		/* No key: the rowid, renumbered per site like a local key. */
		const char *rowid = rowid_name(s, table, err);
		if (rowid == NULL)
			return -1;
		*pk_integer = 1;
		return (*pk = strdup(rowid)) ? 0 : sp_error_set(err,
		    "out of memory");
	}
	if (*ncols > 1) {
		*pk = key_pk_text(cols, *ncols);
		tracked_columns_free(cols, *ncols);
		return *pk ? 0 : sp_error_set(err, "out of memory");
	}
	*pk = cols[0];
	free(cols);
	/* A key text starting with [ is a composite key (key_sql.h). */
	if ((*pk)[0] == '[') {
		sp_error_set(err, "%s: a key column whose name starts with [ is "
		    "not supported", table);
		free(*pk);
		*pk = NULL;
		return -1;
	}
	/* A single INTEGER key is the rowid, which SQLite numbers, unless
	 * the key has an index of its own: WITHOUT ROWID, or declared
	 * INTEGER PRIMARY KEY DESC. */
	if (integer && (indexed = site_step_text(s, "SELECT 1 FROM "
	    "pragma_index_list(?) WHERE origin = 'pk'", table, err)) < 0) {
		free(*pk);
		*pk = NULL;
		return -1;
	}
	*pk_integer = integer && !indexed;
	return 0;
}

int
store_table_save(struct site *s, struct tracked_table *t, struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(s->db, "INSERT INTO syncpack_table(name, pk, "
	    "pk_integer, owner, route, conflict, freeze, movable, window_column,"
	    " key_kind, rowversion_column, tracked, since) VALUES (?1, ?2, ?3, "
	    "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 1, strftime('%Y-%m-%dT%H:%M:%SZ',"
	    " 'now')) ON CONFLICT(name) DO UPDATE SET pk = ?2, pk_integer = ?3,"
	    " owner = ?4, route = ?5, conflict = ?6, freeze = ?7, movable = ?8,"
	    " window_column = ?9, key_kind = ?10, rowversion_column = ?11, "
	    "tracked = 1 RETURNING id", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, t->pk, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, t->pk_integer);
	sqlite3_bind_text(st, 4, t->owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, t->route, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, t->conflict, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, t->freeze);
	sqlite3_bind_int(st, 8, t->movable);
	if (t->window)
		sqlite3_bind_text(st, 9, t->window, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, t->key, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 11, t->rowversion_column);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		t->id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return r == SQLITE_ROW ? 0 : site_sqlite_error(s, err, s->path);
}

int
store_table_untrack(struct site *s, long long id, struct sp_error *err)
{
	return site_exec_owned(s, sqlite3_mprintf("UPDATE syncpack_table SET "
	    "tracked = 0 WHERE id = %lld", id), err);
}

/* A composite key with a NULL in it names no row: SQLite lets a rowid
 * table hold several such rows with the same values. */
static int
refuse_null_keys(struct site *s, const struct tracked_table *t,
    struct sp_error *err)
{
	char *cond = key_sql_any_null(t->pk, "x");
	char *sql = cond ? sqlite3_mprintf("SELECT 1 FROM \"%w\" x WHERE %s "
	    "LIMIT 1", t->name, cond) : NULL;
	int found;

	sqlite3_free(cond);
	if (sql == NULL)
		return sp_error_set(err, "out of memory");
	found = site_step_text(s, sql, NULL, err);
	sqlite3_free(sql);
	if (found < 0)
		return -1;
	return found ? sp_error_set(err, "%s: a row has NULL in a column of "
	    "its primary key; syncpack cannot tell such rows apart", t->name)
	    : 0;
}

int
store_table_adopt(struct site *s, const struct tracked_table *t,
    struct sp_error *err)
{
	char col[1024];
	int has;
	char *x_key = key_sql_expr(t->pk, "x");
	char *x_is_r = key_sql_match(t->pk, "x", "r.rkey");
	char *alias = sqlite3_mprintf("\"%w\"", t->name);
	char *t_key = alias ? key_sql_expr(t->pk, alias) : NULL;
	char *sql = x_key && x_is_r ? sqlite3_mprintf(
	    "INSERT INTO syncpack_change(tbl, rkey, op, ms) SELECT %lld, "
	    "%s, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS "
	    "INTEGER) FROM \"%w\" x WHERE NOT EXISTS (SELECT 1 FROM "
	    "syncpack_record r WHERE r.tbl = %lld AND r.rkey = +(%s));"
	    "INSERT INTO syncpack_change(tbl, rkey, op, ms) SELECT %lld, "
	    "r.rkey, 3, CAST((julianday('now') - 2440587.5) * 86400000.0 AS "
	    "INTEGER) FROM syncpack_record r WHERE r.tbl = %lld AND r.rkey IS "
	    "NOT NULL AND NOT EXISTS (SELECT 1 FROM \"%w\" x WHERE %s);",
	    t->id, x_key, t->name, t->id, x_key, t->id, t->id, t->name, x_is_r)
	    : NULL;
	int rc = -1;

	sqlite3_free(x_key);
	sqlite3_free(x_is_r);
	sqlite3_free(alias);
	if (sql == NULL || t_key == NULL) {
		sqlite3_free(sql);
		sqlite3_free(t_key);
		return sp_error_set(err, "out of memory");
	}
	if (key_is_composite(t->pk) && refuse_null_keys(s, t, err) != 0) {
		sqlite3_free(sql);
		goto done;
	}
	if (site_exec_owned(s, sql, err) != 0 || capture_fold(s, err) != 0)
		goto done;
	rc = 0;
	if (!t->rowversion_column)
		goto done;
	rc = -1;
	snprintf(col, sizeof(col), "%s_rowversion", t->name);
	if ((has = store_column_exists(s, t->name, col, err)) < 0)
		goto done;
	if (!has && site_exec_owned(s, sqlite3_mprintf("ALTER TABLE \"%w\" ADD "
	    "COLUMN \"%w\" INTEGER NOT NULL DEFAULT 1", t->name, col), err) != 0)
		goto done;
	rc = site_exec_owned(s, sqlite3_mprintf("UPDATE \"%w\" SET "
	    "\"%w_rowversion\" = (SELECT rowversion FROM syncpack_record r "
	    "WHERE r.tbl = %lld AND r.rkey = +(%s))", t->name, t->name,
	    t->id, t_key), err);
done:
	sqlite3_free(t_key);
	return rc;
}

int
store_capture_install(struct site *s, const struct tracked_table *t,
    struct sp_error *err)
{
	struct tracked_fk *refs;
	int nrefs, rc;

	/* The triggers take the table's references as declared now. */
	if (table_declared_refs(s, t->name, &refs, &nrefs, err) != 0)
		return -1;
	rc = site_exec_owned(s, capture_sql_create(t, s->id, s->hub, refs, nrefs),
	    err);
	tracked_fks_free(refs, nrefs);
	return rc;
}

int
store_capture_remove(struct site *s, long long id, struct sp_error *err)
{
	return site_exec_owned(s, capture_sql_drop(id), err);
}

/* capture_version of the site: 1 and *version set, or -1. */
static int
capture_version(struct site *s, int *version, struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(s->db, "SELECT capture_version FROM "
	    "syncpack_site WHERE id = 1", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	if ((r = sqlite3_step(st)) == SQLITE_ROW)
		*version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return r == SQLITE_ROW ? 0 : site_sqlite_error(s, err, s->path);
}

static int
capture_reinstall_all(struct site *s, struct sp_error *err)
{
	char **names;
	int n, rc = 0;

	if (sqlite_tables_tracked(s, &names, &n, err) != 0)
		return -1;
	for (int i = 0; i < n && rc == 0; i++) {
		struct tracked_table t;

		int r = sqlite_table_get(s, names[i], &t, err);

		if (r != 1) {
			rc = r < 0 ? -1 : sp_error_set(err, "table %s is "
			    "listed as tracked but has no policy", names[i]);
			break;
		}
		rc = store_capture_remove(s, t.id, err) != 0 ||
		    store_capture_install(s, &t, err) != 0 ? -1 : 0;
		tracked_table_free(&t);
	}
	tracked_columns_free(names, n);
	return rc;
}

int
store_capture_upgrade(struct site *s, struct sp_error *err)
{
	char sql[96];
	int version;

	if (capture_version(s, &version, err) != 0)
		return -1;
	if (version == CAPTURE_SQL_VERSION)
		return 0;
	/* Read again under the write lock: another tool may have upgraded
	 * the site meanwhile. */
	if (sqlite_tx_begin(s, err) != 0)
		return -1;
	if (capture_version(s, &version, err) != 0)
		goto rollback;
	if (version != CAPTURE_SQL_VERSION) {
		snprintf(sql, sizeof(sql), "UPDATE syncpack_site SET "
		    "capture_version = %d WHERE id = 1", CAPTURE_SQL_VERSION);
		if (capture_reinstall_all(s, err) != 0 ||
		    site_exec(s, sql, err) != 0)
			goto rollback;
	}
	if (sqlite_tx_commit(s, err) == 0)
		return 0;
rollback:
	sqlite_tx_rollback(s);
	return sp_error_prefix(err, "rebuilding the capture triggers");
}

int
sqlite_table_rkey(struct site *s, const struct tracked_table *t,
    const char *const *values, int n, json_t **rkey, struct sp_error *err)
{
	char **cols, *key, *sql = NULL, *where = NULL;
	sqlite3_stmt *st = NULL;
	int ncols, r, rc = -1;

	*rkey = NULL;
	if ((r = key_columns(t->pk, &cols, &ncols)) != 1)
		return sp_error_set(err, r < 0 ? "out of memory" : "%s: the key "
		    "recorded for it is damaged", t->name);
	if (n != ncols) {
		sp_error_set(err, "%s: the key has %d column%s, %d value%s given",
		    t->name, ncols, ncols == 1 ? "" : "s", n, n == 1 ? "" : "s");
		goto done;
	}
	where = sqlite3_mprintf("%s", "");
	for (int i = 0; i < ncols && where != NULL; i++) {
		char *next = sqlite3_mprintf("%s%sx.\"%w\" = ?%d", where,
		    i ? " AND " : "", cols[i], i + 1);
		sqlite3_free(where);
		where = next;
	}
	key = key_sql_expr(t->pk, "x");
	if (where != NULL && key != NULL)
		sql = sqlite3_mprintf("SELECT %s FROM \"%w\" x WHERE %s", key,
		    t->name, where);
	sqlite3_free(key);
	if (sql == NULL) {
		sp_error_set(err, "out of memory");
		goto done;
	}
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		site_sqlite_error(s, err, s->path);
		goto done;
	}
	for (int i = 0; i < n; i++)
		if (sqlite3_bind_text(st, i + 1, values[i], -1, SQLITE_STATIC)
		    != SQLITE_OK) {
			site_sqlite_error(s, err, s->path);
			goto done;
		}
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		*rkey = row_json_from_column(st, 0, err);
		rc = *rkey ? 1 : -1;
	} else if (r == SQLITE_DONE)
		rc = 0;
	else
		site_sqlite_error(s, err, s->path);
done:
	sqlite3_finalize(st);
	sqlite3_free(sql);
	sqlite3_free(where);
	tracked_columns_free(cols, ncols);
	return rc;
}
