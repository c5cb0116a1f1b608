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

/* One callback per row of sql's result. */
static int
list(struct site *s, const char *sql, store_row_cb cb, void *ctx,
    struct sp_error *err)
{
	struct store_cell cells[LISTING_COLUMNS_MAX];
	PGresult *res = pg_query(s, sql, 0, NULL, err);
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
	    "key_kind || '(' || pk || ')' AS key, window_column AS \"window\","
	    " nullif(trim(CASE WHEN \"freeze\" = 1 THEN 'freeze ' ELSE '' END"
	    " || CASE WHEN movable = 1 THEN 'movable ' ELSE '' END || CASE "
	    "WHEN rowversion_column = 1 THEN 'rowversion-column' ELSE '' END),"
	    " '') AS flags, CASE WHEN tracked = 1 THEN 'tracked' ELSE "
	    "'untracked' END AS state FROM syncpack.tracked_table ORDER BY "
	    "name COLLATE \"C\"", cb, ctx, err);
}
