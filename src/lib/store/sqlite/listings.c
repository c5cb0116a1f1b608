/* listings.c: the listings the tools print (store/listings.h), each one
 * statement whose columns are named as the interface names them. */
#include <stdlib.h>

#include "store/listings.h"
#include "store/sqlite/backend.h"
#include "store/sqlite/sql.h"

/* Wider rows than any listing has would be cut; there is none. */
#define LISTING_COLUMNS_MAX 32

static int
prepare(struct site *s, const char *sql, sqlite3_stmt **st,
    struct sp_error *err)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	return 0;
}

/* NULL binds SQL NULL, which the statements read as "no filter". */
static int
bind_text(struct site *s, sqlite3_stmt *st, int i, const char *v,
    struct sp_error *err)
{
	int r = v != NULL ? sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC)
	    : sqlite3_bind_null(st, i);

	return r == SQLITE_OK ? 0 : site_sqlite_error(s, err, s->path);
}

/* Steps st to the end, one callback per row, and finalizes it. */
static int
give_rows(struct site *s, sqlite3_stmt *st, store_row_cb cb, void *ctx,
    struct sp_error *err)
{
	struct store_cell cells[LISTING_COLUMNS_MAX];
	int n = sqlite3_column_count(st), r;

	if (n > LISTING_COLUMNS_MAX) {
		sqlite3_finalize(st);
		return sp_error_set(err, "a listing with %d columns", n);
	}
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < n; i++) {
			struct store_cell *c = &cells[i];

			c->name = sqlite3_column_name(st, i);
			/* The type before the text: reading it as text
			 * must not decide what it is. */
			c->kind = sqlite3_column_type(st, i) == SQLITE_INTEGER
			    ? STORE_CELL_INTEGER : STORE_CELL_TEXT;
			c->integer = c->kind == STORE_CELL_INTEGER ?
			    sqlite3_column_int64(st, i) : 0;
			c->text = (const char *)sqlite3_column_text(st, i);
			if (c->text == NULL)
				c->kind = STORE_CELL_NULL;
		}
		if (cb(ctx, cells, n, err) != 0) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	if (r != SQLITE_DONE) {
		site_sqlite_error(s, err, s->path);
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

/* A listing without parameters. */
static int
list(struct site *s, const char *sql, store_row_cb cb, void *ctx,
    struct sp_error *err)
{
	sqlite3_stmt *st;

	if (prepare(s, sql, &st, err) != 0)
		return -1;
	return give_rows(s, st, cb, ctx, err);
}

/* Binds arg to parameter i of st, then gives st's rows. */
static int
give_rows_by(struct site *s, sqlite3_stmt *st, int i, const char *arg,
    store_row_cb cb, void *ctx, struct sp_error *err)
{
	if (bind_text(s, st, i, arg, err) != 0) {
		sqlite3_finalize(st);
		return -1;
	}
	return give_rows(s, st, cb, ctx, err);
}

/* A listing whose one parameter ?1 is text, or NULL for all rows. */
static int
list_by(struct site *s, const char *sql, const char *arg, store_row_cb cb,
    void *ctx, struct sp_error *err)
{
	sqlite3_stmt *st;

	if (prepare(s, sql, &st, err) != 0)
		return -1;
	return give_rows_by(s, st, 1, arg, cb, ctx, err);
}

int
sqlite_list_flows(struct site *s, const struct store_flow_filter *f,
    store_row_cb cb, void *ctx, struct sp_error *err)
{
	sqlite3_stmt *st;

	if (prepare(s, "SELECT peer, direction, flow, link, kind, ready, "
	    "started, ended, executions, status, n_applied AS applied, "
	    "n_skipped AS skipped, n_conflict AS conflicts, n_rejected AS "
	    "rejected, n_held AS held, iif(acked, 'yes', 'no') AS acked, file,"
	    " sha256, reason FROM syncpack_flow WHERE (?1 IS NULL OR peer = ?1) AND "
	    "(?2 IS NULL OR coalesce(started, ready) >= ?2) AND (?3 IS NULL OR "
	    "status = ?3) ORDER BY coalesce(started, ready), direction, peer, "
	    "flow", &st, err) != 0)
		return -1;
	if (bind_text(s, st, 1, f->peer, err) != 0 ||
	    bind_text(s, st, 2, f->since, err) != 0) {
		sqlite3_finalize(st);
		return -1;
	}
	return give_rows_by(s, st, 3, f->status, cb, ctx, err);
}

int
sqlite_list_protocol(struct site *s, long long flow, const char *peer,
    store_row_cb cb, void *ctx, struct sp_error *err)
{
	sqlite3_stmt *st;

	if (prepare(s, "SELECT direction, peer, flow, tbl AS \"table\", guid, "
	    "outcome, reason FROM syncpack_protocol WHERE flow = ?1 AND (?2 IS "
	    "NULL OR peer = ?2) ORDER BY direction, peer, rowid", &st, err) != 0)
		return -1;
	if (sqlite3_bind_int64(st, 1, flow) != SQLITE_OK) {
		site_sqlite_error(s, err, s->path);
		sqlite3_finalize(st);
		return -1;
	}
	return give_rows_by(s, st, 2, peer, cb, ctx, err);
}

int
sqlite_list_transfers(struct site *s, const char *guid, store_row_cb cb,
    void *ctx, struct sp_error *err)
{
	return list_by(s, "SELECT guid, tbl AS \"table\", from_site AS \"from\","
	    " to_site AS \"to\", flow, at, state FROM syncpack_transfer WHERE ?1 "
	    "IS NULL OR guid = upper(?1) ORDER BY guid, at, rowid", guid, cb,
	    ctx, err);
}

int
sqlite_list_held(struct site *s, store_row_cb cb, void *ctx,
    struct sp_error *err)
{
	return list(s, "SELECT tbl, guid, peer, flow, since, reason FROM "
	    "syncpack_held ORDER BY since, tbl, guid", cb, ctx, err);
}

int
sqlite_list_conflicts(struct site *s, store_row_cb cb, void *ctx,
    struct sp_error *err)
{
	return list(s, "SELECT id, tbl, guid, peer, flow, detected, "
	    "coalesce(resolved, 'unresolved') AS resolved FROM "
	    "syncpack_conflict ORDER BY id", cb, ctx, err);
}

int
sqlite_list_locks(struct site *s, store_row_cb cb, void *ctx,
    struct sp_error *err)
{
	return list(s, "SELECT tbl, rkey, coalesce(locked_by, '-') AS "
	    "locked_by, since FROM syncpack_lock ORDER BY tbl, rkey", cb, ctx,
	    err);
}

int
sqlite_list_tables(struct site *s, store_row_cb cb, void *ctx,
    struct sp_error *err)
{
	return list(s, "SELECT name AS \"table\", owner, route, conflict, "
	    /* A composite key is recorded as a JSON array (key_sql.h). */
	    "key_kind || '(' || iif(pk LIKE '[%', (SELECT group_concat(value, "
	    "',') FROM json_each(pk)), pk) || ')' AS key, window_column AS "
	    "window,"
	    " nullif(trim(iif(freeze, 'freeze ', '') ||"
	    " iif(movable, 'movable ', '') || iif(rowversion_column,"
	    " 'rowversion-column', '')), '') AS flags,"
	    " iif(tracked, 'tracked', 'untracked') AS state"
	    " FROM syncpack_table ORDER BY name", cb, ctx, err);
}

/* EXPECT is written as util/duration.c's duration_format writes it. */
int
sqlite_list_peers(struct site *s, store_row_cb cb, void *ctx,
    struct sp_error *err)
{
	return list(s, "SELECT site AS peer, url, added, compress, "
	    "iif(no_seal, 'off', iif(seal_pub IS NULL, 'no-key', 'sealed')) "
	    "AS seal, reads, CASE WHEN expect <= 0 THEN 'never' WHEN expect % "
	    "86400 = 0 THEN (expect / 86400) || 'd' WHEN expect % 3600 = 0 THEN "
	    "(expect / 3600) || 'h' WHEN expect % 60 = 0 THEN (expect / 60) || "
	    "'m' ELSE expect || 's' END AS expect FROM syncpack_peer ORDER BY "
	    "site", cb, ctx, err);
}
