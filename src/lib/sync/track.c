/* track.c: starts and stops change capture on application tables. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store/sqlite/capture_fold.h"
#include "store/sqlite/capture_sql.h"
#include "sync/track.h"
#include "store/sqlite/sql.h"

static const char *const owners[] = { "central", "creator", "shared", NULL };
static const char *const routes[] = { "all", "owner", "none", NULL };
static const char *const conflicts[] = { "lww", "hub", "owner", "manual", NULL };
static const char *const keys[] = { "local", "natural", NULL };

/* Returns the static spelling of value if it is one of allowed. */
static const char *
pick(const char *const *allowed, const char *value)
{
	if (value == NULL)
		return NULL;
	for (; *allowed != NULL; allowed++)
		if (strcmp(*allowed, value) == 0)
			return *allowed;
	return NULL;
}

void
tracked_table_free(struct tracked_table *t)
{
	free(t->name);
	free(t->pk);
	free(t->window);
	memset(t, 0, sizeof(*t));
}

static char *
dup_col(sqlite3_stmt *st, int col)
{
	const unsigned char *v = sqlite3_column_text(st, col);

	return v ? strdup((const char *)v) : NULL;
}

/* Why a step loop ended before SQLITE_DONE: it stopped itself on a row for
 * want of memory, or SQLite failed. Returns -1. */
static int
loop_failed(struct site *s, int r, struct sp_error *err)
{
	return r == SQLITE_ROW ? sp_error_set(err, "out of memory")
	    : site_sqlite_error(s, err, s->path);
}

/* The first column of every row of sql (arg bound to ?1 unless NULL); a
 * list cut short is an error, never a shorter answer. Free with
 * tracked_columns_free. */
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
	if (arg != NULL)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		char **grown = realloc(all, (size_t)(n + 1) * sizeof(*all));
		if (grown == NULL)
			break;
		all = grown;
		if ((all[n] = dup_col(st, 0)) == NULL)
			break;
		n++;
	}
	sqlite3_finalize(st);
	if (r != SQLITE_DONE) {
		tracked_columns_free(all, n);
		return loop_failed(s, r, err);
	}
	*out = all;
	*count = n;
	return 0;
}

int
tracked_table_load(struct site *s, const char *table,
    struct tracked_table *t, struct sp_error *err)
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
		t->name = dup_col(st, 1);
		t->pk = dup_col(st, 2);
		t->pk_integer = sqlite3_column_int(st, 3);
		t->owner = pick(owners, (const char *)sqlite3_column_text(st, 4));
		t->route = pick(routes, (const char *)sqlite3_column_text(st, 5));
		t->conflict = pick(conflicts,
		    (const char *)sqlite3_column_text(st, 6));
		t->freeze = sqlite3_column_int(st, 7);
		t->movable = sqlite3_column_int(st, 8);
		t->window = dup_col(st, 9);
		t->key = pick(keys, (const char *)sqlite3_column_text(st, 10));
		t->rowversion_column = sqlite3_column_int(st, 11);
		t->tracked = sqlite3_column_int(st, 12);
		if (t->name == NULL || t->pk == NULL ||
		    (sqlite3_column_type(st, 9) != SQLITE_NULL &&
		    t->window == NULL)) {
			sqlite3_finalize(st);
			tracked_table_free(t);
			return sp_error_set(err, "out of memory");
		}
		if (t->owner == NULL || t->route == NULL || t->conflict == NULL ||
		    t->key == NULL) {
			sqlite3_finalize(st);
			sp_error_set(err, "%s: the policy of %s is damaged",
			    s->path, t->name);
			tracked_table_free(t);
			return -1;
		}
	}
	sqlite3_finalize(st);
	if (r == SQLITE_ROW)
		return 1;
	if (r == SQLITE_DONE)
		return 0;
	return site_sqlite_error(s, err, s->path);
}

/* Checks the table itself: exists, is not ours, has exactly one primary
 * key column. Fills t->pk and t->pk_integer. */
static int
inspect_table(struct site *s, const char *table, struct tracked_table *t,
    struct sp_error *err)
{
	sqlite3_stmt *st;
	int r, pk_count = 0, found = 0;

	for (const char *p = table; *p; p++)
		if ((unsigned char)*p < 0x20)
			return sp_error_set(err, "table name with control "
			    "characters is not supported");
	if (strncmp(table, "syncpack_", 9) == 0 ||
	    strncmp(table, "sqlite_", 7) == 0)
		return sp_error_set(err, "%s: internal tables cannot be tracked",
		    table);
	if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM sqlite_master WHERE "
	    "type = 'table' AND name = ?", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return site_sqlite_error(s, err, s->path);
	found = r == SQLITE_ROW;
	if (!found)
		return sp_error_set(err, "%s: no such table", table);
	if (sqlite3_prepare_v2(s->db, "SELECT name, type, pk FROM "
	    "pragma_table_info(?) WHERE pk > 0", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		pk_count++;
		if (pk_count == 1) {
			const char *type = (const char *)sqlite3_column_text(st, 1);
			t->pk = dup_col(st, 0);
			t->pk_integer = type && strcasecmp(type, "INTEGER") == 0;
			if (t->pk == NULL) {
				sqlite3_finalize(st);
				return sp_error_set(err, "out of memory");
			}
		}
	}
	sqlite3_finalize(st);
	if (r != SQLITE_DONE)
		return site_sqlite_error(s, err, s->path);
	if (pk_count == 0)
		return sp_error_set(err, "%s: has no primary key; syncpack "
		    "needs a single-column primary key to identify rows", table);
	if (pk_count > 1)
		return sp_error_set(err, "%s: has a composite primary key "
		    "(%d columns); syncpack tracks single-column keys only",
		    table, pk_count);
	return 0;
}

/* 1 when table has the column, 0 when not, -1 on error. */
static int
column_exists(struct site *s, const char *table, const char *column,
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

static int
resolve_policy(struct site *s, const char *table,
    const struct track_request *req, struct tracked_table *t,
    struct sp_error *err)
{
	t->owner = pick(owners, req->owner ? req->owner : "shared");
	t->route = pick(routes, req->route ? req->route : "all");
	t->conflict = pick(conflicts, req->conflict ? req->conflict : "lww");
	t->key = pick(keys, req->key ? req->key
	    : (t->pk_integer ? "local" : "natural"));
	if (t->owner == NULL)
		return sp_error_set(err, "--owner must be central, creator or "
		    "shared");
	if (t->route == NULL)
		return sp_error_set(err, "--route must be all, owner or none");
	if (t->conflict == NULL)
		return sp_error_set(err, "--conflict must be lww, hub, owner or "
		    "manual");
	if (t->key == NULL)
		return sp_error_set(err, "--key must be local or natural");
	if (strcmp(t->key, "local") == 0 && !t->pk_integer)
		return sp_error_set(err, "%s: --key local needs an INTEGER "
		    "primary key (renumbered per site); %s is not one: use "
		    "--key natural", table, t->pk);
	if (req->freeze && strcmp(t->owner, "creator") != 0)
		return sp_error_set(err, "%s: --freeze applies to --owner "
		    "creator tables only", table);
	if (req->window != NULL) {
		int found = column_exists(s, table, req->window, err);
		if (found < 0)
			return -1;
		if (!found)
			return sp_error_set(err, "%s: --window: no column %s",
			    table, req->window);
		if ((t->window = strdup(req->window)) == NULL)
			return sp_error_set(err, "out of memory");
	}
	t->freeze = req->freeze;
	t->movable = req->movable;
	t->rowversion_column = req->rowversion_column;
	return 0;
}

static int
save_policy(struct site *s, struct tracked_table *t, struct sp_error *err)
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

static int
exec_owned(struct site *s, char *sql, struct sp_error *err)
{
	int rc;

	if (sql == NULL)
		return sp_error_set(err, "out of memory");
	rc = site_exec(s, sql, err);
	sqlite3_free(sql);
	return rc;
}

/* Rows without metadata get a GUID, owner = this site, rowversion 1; the
 * metadata of rows deleted while the table was not tracked becomes a
 * tombstone so that the delete travels. Both go through the change log,
 * like any other change. */
static int
adopt_existing_rows(struct site *s, const struct tracked_table *t,
    struct sp_error *err)
{
	char col[1024];
	int has;
	char *sql = sqlite3_mprintf(
	    "INSERT INTO syncpack_change(tbl, rkey, op, ms) SELECT %lld, "
	    "x.\"%w\", 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS "
	    "INTEGER) FROM \"%w\" x WHERE NOT EXISTS (SELECT 1 FROM "
	    "syncpack_record r WHERE r.tbl = %lld AND r.rkey = +x.\"%w\");"
	    "INSERT INTO syncpack_change(tbl, rkey, op, ms) SELECT %lld, "
	    "r.rkey, 3, CAST((julianday('now') - 2440587.5) * 86400000.0 AS "
	    "INTEGER) FROM syncpack_record r WHERE r.tbl = %lld AND r.rkey IS "
	    "NOT NULL AND NOT EXISTS (SELECT 1 FROM \"%w\" x WHERE x.\"%w\" = "
	    "r.rkey);", t->id, t->pk, t->name, t->id, t->pk, t->id, t->id,
	    t->name, t->pk);

	if (exec_owned(s, sql, err) != 0 || capture_fold(s, err) != 0)
		return -1;
	if (!t->rowversion_column)
		return 0;
	snprintf(col, sizeof(col), "%s_rowversion", t->name);
	if ((has = column_exists(s, t->name, col, err)) < 0)
		return -1;
	if (!has && exec_owned(s, sqlite3_mprintf("ALTER TABLE \"%w\" ADD "
	    "COLUMN \"%w\" INTEGER NOT NULL DEFAULT 1", t->name, col), err) != 0)
		return -1;
	return exec_owned(s, sqlite3_mprintf("UPDATE \"%w\" SET "
	    "\"%w_rowversion\" = (SELECT rowversion FROM syncpack_record r "
	    "WHERE r.tbl = %lld AND r.rkey = +\"%w\".\"%w\")", t->name, t->name,
	    t->id, t->name, t->pk), err);
}

/* Foreign keys are re-read for every tracked table, since tracking a
 * parent makes its children's references travel as GUIDs. */
static int
record_foreign_keys(struct site *s, struct sp_error *err)
{
	return site_exec(s, "DELETE FROM syncpack_fk;"
	    "INSERT OR IGNORE INTO syncpack_fk(tbl, col, parent, parent_col) "
	    "SELECT c.id, f.\"from\", p.id, coalesce(f.\"to\", p.pk) "
	    "FROM syncpack_table c, pragma_foreign_key_list(c.name) f "
	    "JOIN syncpack_table p ON p.name = f.\"table\" "
	    "WHERE c.tracked AND p.tracked AND f.seq = 0 AND NOT EXISTS "
	    "(SELECT 1 FROM pragma_foreign_key_list(c.name) g WHERE g.id = f.id"
	    " AND g.seq > 0)", err);
}

/* The (column, parent table) pairs sql selects for table (bound to ?1);
 * a list cut short is an error, never a shorter answer. */
static int
fk_pairs_load(struct site *s, const char *sql, const char *table,
    struct tracked_fk **fks, int *count, struct sp_error *err)
{
	sqlite3_stmt *st;
	int n = 0, r;

	*fks = NULL;
	*count = 0;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct tracked_fk *grown = realloc(*fks, (size_t)(n + 1) *
		    sizeof(**fks));
		if (grown == NULL)
			break;
		*fks = grown;
		grown[n].col = dup_col(st, 0);
		grown[n].parent = dup_col(st, 1);
		n++;
		if (grown[n - 1].col == NULL || grown[n - 1].parent == NULL)
			break;
	}
	sqlite3_finalize(st);
	if (r != SQLITE_DONE) {
		tracked_fks_free(*fks, n);
		*fks = NULL;
		return loop_failed(s, r, err);
	}
	*count = n;
	return 0;
}

/* The table's declared single-column references to another table's key,
 * whether that table is tracked yet or not, for the triggers' guard against
 * new references to records in transit (capture_sql.c). A reference left
 * out would let a record be left behind by a move. */
static int
declared_refs(struct site *s, const char *table, struct tracked_fk **refs,
    int *count, struct sp_error *err)
{
	/* "to" NULL names the parent's primary key; a named column counts
	 * only when it is the parent's single key column. */
	return fk_pairs_load(s, "SELECT f.\"from\", f.\"table\" FROM "
	    "pragma_foreign_key_list(?1) f WHERE f.seq = 0 AND NOT EXISTS "
	    "(SELECT 1 FROM pragma_foreign_key_list(?1) g WHERE g.id = f.id AND"
	    " g.seq > 0) AND (f.\"to\" IS NULL OR f.\"to\" = (SELECT k.name "
	    "FROM pragma_table_info(f.\"table\") k WHERE k.pk = 1 AND NOT "
	    "EXISTS (SELECT 1 FROM pragma_table_info(f.\"table\") m WHERE m.pk "
	    "> 1)) COLLATE NOCASE) ORDER BY f.id", table, refs, count, err);
}

/* The triggers of t, with its references as declared now. */
static int
create_triggers(struct site *s, const struct tracked_table *t,
    struct sp_error *err)
{
	struct tracked_fk *refs;
	int nrefs, rc;

	if (declared_refs(s, t->name, &refs, &nrefs, err) != 0)
		return -1;
	rc = exec_owned(s, capture_sql_create(t, s->id, s->hub, refs, nrefs),
	    err);
	tracked_fks_free(refs, nrefs);
	return rc;
}

int
track_table(struct site *s, const char *table,
    const struct track_request *req, struct sp_error *err)
{
	struct tracked_table t;
	int rc = -1;

	memset(&t, 0, sizeof(t));
	if (site_exec(s, "BEGIN IMMEDIATE", err) != 0)
		return -1;
	if (inspect_table(s, table, &t, err) != 0 ||
	    resolve_policy(s, table, req, &t, err) != 0)
		goto rollback;
	t.name = strdup(table);
	if (t.name == NULL) {
		sp_error_set(err, "out of memory");
		goto rollback;
	}
	if (save_policy(s, &t, err) != 0 ||
	    exec_owned(s, capture_sql_drop(t.id), err) != 0 ||
	    adopt_existing_rows(s, &t, err) != 0 ||
	    create_triggers(s, &t, err) != 0 ||
	    record_foreign_keys(s, err) != 0 ||
	    site_exec(s, "COMMIT", err) != 0)
		goto rollback;
	rc = 0;
	goto cleanup;
rollback:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
cleanup:
	tracked_table_free(&t);
	return rc;
}

int
untrack_table(struct site *s, const char *table, struct sp_error *err)
{
	struct tracked_table t;
	int found, rc = -1;

	if (site_exec(s, "BEGIN IMMEDIATE", err) != 0)
		return -1;
	found = tracked_table_load(s, table, &t, err);
	if (found < 0)
		goto rollback;
	if (found == 0 || !t.tracked) {
		sp_error_set(err, "%s: not a tracked table", table);
		goto rollback;
	}
	if (exec_owned(s, capture_sql_drop(t.id), err) != 0 ||
	    exec_owned(s, sqlite3_mprintf("UPDATE syncpack_table SET tracked = "
	    "0 WHERE id = %lld", t.id), err) != 0 ||
	    record_foreign_keys(s, err) != 0 ||
	    site_exec(s, "COMMIT", err) != 0)
		goto rollback;
	rc = 0;
	goto cleanup;
rollback:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
cleanup:
	if (found > 0)
		tracked_table_free(&t);
	return rc;
}

int
tracked_tables_load(struct site *s, struct tracked_table **tables,
    int *count, struct sp_error *err)
{
	sqlite3_stmt *st;
	struct tracked_table *all = NULL, *ordered = NULL;
	char **names = NULL;
	int n = 0, placed = 0, r, rc = -1;
	int *done = NULL;

	*tables = NULL;
	*count = 0;
	/* A short list would leave tables out of every pack. */
	if (load_names(s, "SELECT name FROM syncpack_table WHERE tracked ORDER "
	    "BY id", NULL, &names, &n, err) != 0)
		return -1;
	all = calloc((size_t)n + 1, sizeof(*all));
	ordered = calloc((size_t)n + 1, sizeof(*ordered));
	done = calloc((size_t)n + 1, sizeof(*done));
	if (all == NULL || ordered == NULL || done == NULL) {
		sp_error_set(err, "out of memory");
		goto cleanup;
	}
	for (int i = 0; i < n; i++) {
		int found = tracked_table_load(s, names[i], &all[i], err);
		if (found == 0)
			sp_error_set(err, "%s: no longer tracked", names[i]);
		if (found != 1)
			goto cleanup;
	}
	if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM syncpack_fk f JOIN "
	    "syncpack_table p ON p.id = f.parent WHERE f.tbl = ?1 AND f.parent "
	    "<> ?1 AND p.tracked AND f.parent NOT IN (SELECT value FROM "
	    "json_each(?2))", -1, &st, NULL) != SQLITE_OK) {
		site_sqlite_error(s, err, s->path);
		goto cleanup;
	}
	/* Kahn's algorithm: place a table once its parents are placed. */
	while (placed < n) {
		int progress = 0;
		for (int i = 0; i < n; i++) {
			char list[8192] = "[";
			size_t len = 1;
			if (done[i])
				continue;
			for (int j = 0; j < placed; j++)
				len += (size_t)snprintf(list + len, sizeof(list) - len,
				    "%s%lld", j ? "," : "", ordered[j].id);
			snprintf(list + len, sizeof(list) - len, "]");
			sqlite3_reset(st);
			sqlite3_bind_int64(st, 1, all[i].id);
			sqlite3_bind_text(st, 2, list, -1, SQLITE_TRANSIENT);
			if ((r = sqlite3_step(st)) != SQLITE_ROW) {
				site_sqlite_error(s, err, s->path);
				sqlite3_finalize(st);
				goto cleanup;
			}
			if (sqlite3_column_int(st, 0) == 0) {
				ordered[placed++] = all[i];
				done[i] = 1;
				progress = 1;
			}
		}
		if (!progress)
			for (int i = 0; i < n; i++)
				if (!done[i]) {
					ordered[placed++] = all[i];
					done[i] = 1;
					break;
				}
	}
	sqlite3_finalize(st);
	*tables = ordered;
	*count = n;
	ordered = NULL;
	rc = 0;
cleanup:
	if (rc != 0 && all != NULL)
		for (int i = 0; i < n; i++)
			tracked_table_free(&all[i]);
	free(all);
	free(ordered);
	free(done);
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

void
tracked_tables_free(struct tracked_table *tables, int count)
{
	for (int i = 0; i < count; i++)
		tracked_table_free(&tables[i]);
	free(tables);
}

int
tracked_fks_load(struct site *s, const char *table, struct tracked_fk **fks,
    int *count, struct sp_error *err)
{
	/* A reference to another column than the parent's key travels as
	 * its plain value (syncpack(7)); one left out of the list would
	 * travel as a raw local key. */
	return fk_pairs_load(s, "SELECT f.col, p.name FROM syncpack_fk f "
	    "JOIN syncpack_table c ON c.id = f.tbl JOIN syncpack_table p ON "
	    "p.id = f.parent WHERE c.name = ? AND f.parent_col = p.pk ORDER BY "
	    "f.col", table, fks, count, err);
}

int
tracked_columns_load(struct site *s, const char *table, char ***columns,
    int *count, struct sp_error *err)
{
	/* A column missing from the list would be dropped from every incoming
	 * record. */
	return load_names(s, "SELECT name FROM pragma_table_info(?)", table,
	    columns, count, err);
}

void
tracked_columns_free(char **columns, int count)
{
	for (int i = 0; i < count; i++)
		free(columns[i]);
	free(columns);
}

void
tracked_fks_free(struct tracked_fk *fks, int count)
{
	for (int i = 0; i < count; i++) {
		free(fks[i].col);
		free(fks[i].parent);
	}
	free(fks);
}
