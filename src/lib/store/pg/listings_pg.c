/* listings_pg.c: the listings of a PostgreSQL site (store/listings.h),
 * each one statement whose columns are named as the interface names
 * them. */
#include <stdlib.h>

#include "store/pg/backend.h"
#include "store/pg/pg.h"

/* Wider rows than any listing has would be cut; there is none. */
#define LISTING_COLUMNS_MAX 32

/* The type oids of int2, int4 and int8 (pg_type.dat). */
#define PG_INT8_OID 20
#define PG_INT2_OID 21
#define PG_INT4_OID 23

/* One callback per row of the result of sql with the n text parameters
 * p. */
static int
list_by(struct site *s, const char *sql, int np, const char *const *p,
    store_row_cb cb, void *ctx, struct sp_error *err)
{
	struct store_cell cells[LISTING_COLUMNS_MAX];
	PGresult *res = pg_query(s, sql, np, p, err);
	int n, rc = 0;

	if (res == NULL)
		return -1;
	if ((n = PQnfields(res)) > LISTING_COLUMNS_MAX) {
		PQclear(res);
		return sp_error_set(err, "a listing with %d columns", n);
	}
	for (int row = 0; rc == 0 && row < PQntuples(res); row++) {
		for (int i = 0; i < n; i++) {
			struct store_cell *c = &cells[i];
			Oid type = PQftype(res, i);

			c->name = PQfname(res, i);
			c->kind = type == PG_INT2_OID || type == PG_INT4_OID ||
			    type == PG_INT8_OID ? STORE_CELL_INTEGER :
			    STORE_CELL_TEXT;
			c->text = PQgetvalue(res, row, i);
			if (PQgetisnull(res, row, i)) {
				c->kind = STORE_CELL_NULL;
				c->text = NULL;
			}
			c->integer = c->kind == STORE_CELL_INTEGER ?
			    strtoll(c->text, NULL, 10) : 0;
		}
		if (cb(ctx, cells, n, err) != 0)
			rc = -1;
	}
	PQclear(res);
	return rc;
}

/* A listing without parameters. */
static int
list(struct site *s, const char *sql, store_row_cb cb, void *ctx,
    struct sp_error *err)
{
	return list_by(s, sql, 0, NULL, cb, ctx, err);
}

/* As SQLite's, with EXPECT written as util/duration.c's duration_format
 * writes it. */
int
pg_list_peers(struct site *s, store_row_cb cb, void *ctx,
    struct sp_error *err)
{
	return list(s, "SELECT site AS peer, url, added, compress, CASE WHEN "
	    "no_seal = 1 THEN 'off' WHEN seal_pub IS NULL THEN 'no-key' ELSE "
	    "'sealed' END AS seal, reads, CASE WHEN expect <= 0 THEN 'never' "
	    "WHEN expect % 86400 = 0 THEN (expect / 86400) || 'd' WHEN expect "
	    "% 3600 = 0 THEN (expect / 3600) || 'h' WHEN expect % 60 = 0 THEN "
	    "(expect / 60) || 'm' ELSE expect || 's' END AS expect FROM "
	    "syncpack.peer ORDER BY site COLLATE \"C\"", cb, ctx, err);
}

int
pg_list_tables(struct site *s, store_row_cb cb, void *ctx,
    struct sp_error *err)
{
	return list(s, "SELECT name AS \"table\", owner, route, conflict, "
	    "key_kind || '(' || CASE WHEN left(pk, 1) = '[' THEN (SELECT "
	    "string_agg(e.k, ',' ORDER BY e.o) FROM jsonb_array_elements_text("
	    "pk::jsonb) WITH ORDINALITY AS e(k, o)) ELSE pk END || ')' AS key, "
	    "window_column AS \"window\","
	    " nullif(trim(CASE WHEN \"freeze\" = 1 THEN 'freeze ' ELSE '' END"
	    " || CASE WHEN movable = 1 THEN 'movable ' ELSE '' END || CASE "
	    "WHEN rowversion_column = 1 THEN 'rowversion-column' ELSE '' END),"
	    " '') AS flags, CASE WHEN tracked = 1 THEN 'tracked' ELSE "
	    "'untracked' END AS state FROM syncpack.tracked_table ORDER BY "
	    "name COLLATE \"C\"", cb, ctx, err);
}

/* The listings of the exchange, as SQLite's, with text ordered bytewise
 * as SQLite orders it. */
int
pg_list_flows(struct site *s, const struct store_flow_filter *f,
    store_row_cb cb, void *ctx, struct sp_error *err)
{
	const char *p[3] = { f->peer, f->since, f->status };

	return list_by(s, "SELECT peer, direction, flow, link, kind, ready, "
	    "started, ended, executions, status, n_applied AS applied, "
	    "n_skipped AS skipped, n_conflict AS conflicts, n_rejected AS "
	    "rejected, n_held AS held, CASE WHEN acked <> 0 THEN 'yes' ELSE "
	    "'no' END AS acked, file, sha256, reason FROM syncpack.flow WHERE "
	    "($1::text IS NULL OR peer = $1) AND ($2::text IS NULL OR "
	    "coalesce(started, ready) >= $2) AND ($3::text IS NULL OR status = "
	    "$3) ORDER BY coalesce(started, ready) COLLATE \"C\", direction "
	    "COLLATE \"C\", peer COLLATE \"C\", flow", 3, p, cb, ctx, err);
}

int
pg_list_protocol(struct site *s, long long flow, const char *peer,
    store_row_cb cb, void *ctx, struct sp_error *err)
{
	char n[PG_INT_LEN];
	const char *p[2] = { pg_int(n, flow), peer };

	return list_by(s, "SELECT direction, peer, flow, tbl AS \"table\", "
	    "guid, outcome, reason FROM syncpack.protocol WHERE flow = $1 AND "
	    "($2::text IS NULL OR peer = $2) ORDER BY direction COLLATE \"C\","
	    " peer COLLATE \"C\", seq", 2, p, cb, ctx, err);
}

int
pg_list_transfers(struct site *s, const char *guid, store_row_cb cb,
    void *ctx, struct sp_error *err)
{
	return list_by(s, "SELECT guid, tbl AS \"table\", from_site AS "
	    "\"from\", to_site AS \"to\", flow, at, state FROM "
	    "syncpack.transfer WHERE $1::text IS NULL OR guid = upper($1) "
	    "ORDER BY guid, at COLLATE \"C\", ctid", 1, &guid, cb, ctx, err);
}

int
pg_list_held(struct site *s, store_row_cb cb, void *ctx,
    struct sp_error *err)
{
	return list(s, "SELECT tbl, guid, peer, flow, since, reason FROM "
	    "syncpack.held ORDER BY since COLLATE \"C\", tbl COLLATE \"C\", "
	    "guid", cb, ctx, err);
}

int
pg_list_conflicts(struct site *s, store_row_cb cb, void *ctx,
    struct sp_error *err)
{
	return list(s, "SELECT id, tbl, guid, peer, flow, detected, "
	    "coalesce(resolved, 'unresolved') AS resolved FROM "
	    "syncpack.conflict ORDER BY id", cb, ctx, err);
}

int
pg_list_locks(struct site *s, store_row_cb cb, void *ctx,
    struct sp_error *err)
{
	return list(s, "SELECT tbl, rkey, coalesce(locked_by, '-') AS "
	    "locked_by, since FROM syncpack.lock ORDER BY tbl COLLATE \"C\", "
	    "rkey COLLATE \"C\"", cb, ctx, err);
}
