/* conflicts.c: the rows of syncpack_conflict an apply writes, and the
 * statements of resolving a conflict (store/conflicts.h), over a site's
 * SQLite connection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/conflicts.h"
#include "store/sqlite/capture_fold.h"
#include "store/sqlite/row_json.h"
#include "store/sqlite/key_sql.h"
#include "store/sqlite/backend.h"
#include "store/sqlite/sql.h"
#include "store/sqlite/store_sqlite.h"

int
sqlite_conflict_put(struct store *st, const char *guid, const char *table,
    const char *peer, long long flow, const char *local, const char *remote,
    size_t len, struct sp_error *err)
{
	sqlite3_stmt *stmt = store_sqlite_slot(st, SLOT_CONFLICT_PUT, "INSERT "
	    "INTO syncpack_conflict(guid, tbl, peer, flow, local, remote, "
	    "detected) VALUES (?, ?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', "
	    "'now'))", err);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, guid, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, peer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, flow);
	if (local != NULL)
		sqlite3_bind_text(stmt, 5, local, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 6, remote, (int)len, SQLITE_STATIC);
	return store_sqlite_step(st, stmt, err) < 0 ? -1 : 0;
}

int
sqlite_conflicts_resolve(struct store *st, const char *guid,
    struct sp_error *err)
{
	sqlite3_stmt *stmt = store_sqlite_slot(st, SLOT_CONFLICT_RESOLVE,
	    "UPDATE syncpack_conflict SET resolved = strftime("
	    "'%Y-%m-%dT%H:%M:%SZ', 'now') WHERE guid = ? AND resolved IS NULL",
	    err);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_text(stmt, 1, guid, -1, SQLITE_STATIC);
	return store_sqlite_step(st, stmt, err) < 0 ? -1 : 0;
}

int
sqlite_conflict_get(struct site *s, long long id, struct store_conflict *c,
    struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	memset(c, 0, sizeof(*c));
	if (sqlite3_prepare_v2(s->db, "SELECT guid, tbl, remote, json_extract("
	    "remote, '$.rowversion'), json_extract(remote, '$.hlc'), "
	    "json_extract(remote, '$.hlc_site') FROM syncpack_conflict WHERE "
	    "id = ? AND resolved IS NULL", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	if (sqlite3_bind_int64(st, 1, id) != SQLITE_OK) {
		sqlite3_finalize(st);
		return site_sqlite_error(s, err, s->path);
	}
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		const char *remote = (const char *)sqlite3_column_text(st, 2);

		snprintf(c->guid, sizeof(c->guid), "%s",
		    sqlite3_column_text(st, 0));
		snprintf(c->table, sizeof(c->table), "%s",
		    sqlite3_column_text(st, 1));
		c->remote_rowversion = sqlite3_column_int64(st, 3);
		c->remote_hlc = sqlite3_column_int64(st, 4);
		if (sqlite3_column_type(st, 5) == SQLITE_TEXT)
			snprintf(c->remote_site, sizeof(c->remote_site), "%s",
			    sqlite3_column_text(st, 5));
		if (remote == NULL || (c->remote = strdup(remote)) == NULL) {
			sqlite3_finalize(st);
			return sp_error_set(err, remote == NULL ? "conflict %lld "
			    "has no remote version" : "out of memory", id);
		}
	} else if (r != SQLITE_DONE)
		site_sqlite_error(s, err, s->path);
	sqlite3_finalize(st);
	return r == SQLITE_ROW ? 1 : r == SQLITE_DONE ? 0 : -1;
}

/* The statement of store_conflict_write; NULL when memory runs out. */
static char *
write_sql(const char *table, const char *pk, int exists, json_t *values)
{
	char *cols = sqlite3_mprintf("%s", ""), *vals = sqlite3_mprintf("%s",
	    ""), *sql = NULL;
	char *match, *rkey, *first;
	const char *col;
	json_t *v;
	int idx = 1;

	json_object_foreach(values, col, v) {
		char *next_cols, *next_vals;

		if (cols == NULL || vals == NULL)
			break;
		idx++;
		next_cols = !exists ? sqlite3_mprintf("%s%s\"%w\"", cols,
		    idx > 2 ? ", " : "", col) : sqlite3_mprintf(
		    "%s, \"%w\" = ?%d", cols, col, idx);
		next_vals = sqlite3_mprintf("%s%s?%d", vals, idx > 2 ? ", " : "",
		    idx);
		sqlite3_free(cols);
		sqlite3_free(vals);
		cols = next_cols;
		vals = next_vals;
	}
	/* The row is named by its record's rkey, whatever the key. */
	match = key_sql_match(pk, NULL, "(SELECT rkey FROM syncpack_record "
	    "WHERE guid = ?1)");
	rkey = key_sql_expr(pk, NULL);
	first = key_sql_first(pk);
	if (cols == NULL || vals == NULL || match == NULL || rkey == NULL ||
	    first == NULL)
		;
	else if (values == NULL)
		sql = sqlite3_mprintf("DELETE FROM \"%w\" WHERE %s", table,
		    match);
	else if (!exists)
		sql = idx > 1 ? sqlite3_mprintf("INSERT INTO \"%w\"(%s) VALUES "
		    "(%s) RETURNING %s", table, cols, vals, rkey)
		    : sqlite3_mprintf("INSERT INTO \"%w\" DEFAULT VALUES "
		    "RETURNING %s", table, rkey);
	else
		sql = sqlite3_mprintf("UPDATE \"%w\" SET \"%w\" = \"%w\"%s WHERE "
		    "%s", table, first, first, cols, match);
	sqlite3_free(match);
	sqlite3_free(rkey);
	sqlite3_free(first);
	sqlite3_free(cols);
	sqlite3_free(vals);
	return sql;
}

/* The row just inserted (the key st returns) is guid's record again: the
 * fold finds it by its key and stamps a new version of the same GUID. */
static int
retake_guid(struct site *s, sqlite3_stmt *st, const char *guid,
    struct sp_error *err)
{
	sqlite3_stmt *take;
	int r;

	if (sqlite3_prepare_v2(s->db, "UPDATE syncpack_record SET rkey = ?1 "
	    "WHERE guid = ?2", -1, &take, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	if (sqlite3_bind_value(take, 1, sqlite3_column_value(st, 0))
	    != SQLITE_OK || sqlite3_bind_text(take, 2, guid, -1, SQLITE_STATIC)
	    != SQLITE_OK) {
		sqlite3_finalize(take);
		return site_sqlite_error(s, err, s->path);
	}
	r = sqlite3_step(take);
	sqlite3_finalize(take);
	return r == SQLITE_DONE ? 0 : site_sqlite_error(s, err, s->path);
}

int
sqlite_conflict_write(struct site *s, const char *table, const char *pk,
    const char *guid, int exists, json_t *values, struct sp_error *err)
{
	char *sql = write_sql(table, pk, exists, values);
	sqlite3_stmt *st = NULL;
	const char *col;
	json_t *v;
	int idx = 1, r, rc = -1;

	if (sql == NULL)
		return sp_error_set(err, "out of memory");
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		site_sqlite_error(s, err, s->path);
		goto cleanup;
	}
	/* A value that cannot be bound must not be written as NULL. */
	if (exists && sqlite3_bind_text(st, 1, guid, -1, SQLITE_STATIC)
	    != SQLITE_OK) {
		site_sqlite_error(s, err, s->path);
		goto cleanup;
	}
	json_object_foreach(values, col, v)
		if (row_json_bind(st, ++idx, v, err) != 0)
			goto cleanup;
	r = sqlite3_step(st);
	if (!exists && r == SQLITE_ROW) {
		if (retake_guid(s, st, guid, err) != 0)
			goto cleanup;
		r = sqlite3_step(st);
	}
	if (r != SQLITE_DONE)
		site_sqlite_error(s, err, s->path);
	else
		rc = 0;
cleanup:
	sqlite3_finalize(st);
	sqlite3_free(sql);
	return rc;
}

/* Runs sql, made by sqlite3_mprintf (NULL: out of memory), and frees it. */
static int
exec_made(struct site *s, char *sql, struct sp_error *err)
{
	int r;

	if (sql == NULL)
		return sp_error_set(err, "out of memory");
	r = site_exec(s, sql, err);
	sqlite3_free(sql);
	return r;
}

int
sqlite_conflict_touch(struct site *s, const char *guid, struct sp_error *err)
{
	return exec_made(s, sqlite3_mprintf("INSERT INTO syncpack_change(tbl, "
	    "rkey, okey, op, ms) SELECT tbl, rkey, rkey, 2, CAST((julianday("
	    "'now') - 2440587.5) * 86400000.0 AS INTEGER) FROM syncpack_record "
	    "WHERE guid = '%q' AND rkey IS NOT NULL", guid), err);
}

int
sqlite_conflict_fold(struct site *s, struct sp_error *err)
{
	return capture_fold(s, err);
}

int
sqlite_conflict_settle(struct site *s, const struct store_conflict *c,
    struct sp_error *err)
{
	return exec_made(s, sqlite3_mprintf("UPDATE syncpack_record SET base = "
	    "%lld, base_hlc = %lld, base_site = %Q, rowversion = max(rowversion,"
	    " %lld + 1) WHERE guid = '%q'; UPDATE syncpack_conflict SET resolved "
	    "= strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', 'now') WHERE guid = '%q' AND "
	    "resolved IS NULL", c->remote_rowversion, c->remote_hlc,
	    c->remote_site[0] ? c->remote_site : NULL, c->remote_rowversion,
	    c->guid, c->guid), err);
}
