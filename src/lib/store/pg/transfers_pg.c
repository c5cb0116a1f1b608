/* transfers_pg.c: syncpack.transfer and the records that leave with a
 * move (store/transfers.h) of a PostgreSQL site. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "store/pg/backend.h"
#include "store/pg/pg.h"
#include "store/transfers.h"

struct text_walk {
	int (*cb)(void *, const char *, struct sp_error *);
	void *ctx;
};

static int
text_row(void *ctx, PGresult *res, int i, struct sp_error *err)
{
	struct text_walk *w = ctx;

	return w->cb(w->ctx, PQgetvalue(res, i, 0), err) != 0 ? -1 : 0;
}

int
pg_transfers_unreported(struct site *s, store_transfer_cb cb, void *ctx,
    struct sp_error *err)
{
	struct text_walk w = { cb, ctx };

	/* json, not jsonb: the keys stay in this order, as SQLite's
	 * json_object writes them. */
	return pg_each(s, "SELECT json_build_object('guid', guid, 'table', "
	    "tbl, 'from', from_site, 'to', to_site, 'flow', flow, 'at', at, "
	    "'state', state)::text FROM syncpack.transfer WHERE reported = 0 "
	    "ORDER BY at", 0, NULL, text_row, &w, err);
}

int
pg_transfers_reported(struct site *s, struct sp_error *err)
{
	return pg_exec(s, "UPDATE syncpack.transfer SET reported = 1", 0, NULL,
	    err);
}

/* The string member key of o, or NULL. */
static const char *
member(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

int
pg_transfer_merge(struct site *s, const char *line, size_t len,
    struct sp_error *err)
{
	json_t *j = json_loadb(line, len, 0, NULL), *flow;
	char f[PG_INT_LEN];
	const char *p[7];
	int rc;

	/* Read here, not by the server: a line it cannot take would fail
	 * the statement and with it the caller's transaction. */
	if (!json_is_object(j)) {
		json_decref(j);
		return 1;
	}
	p[0] = member(j, "guid");
	p[1] = member(j, "table");
	p[2] = member(j, "from");
	p[3] = member(j, "to");
	p[5] = member(j, "at");
	p[6] = member(j, "state");
	flow = json_object_get(j, "flow");
	if (p[0] == NULL || p[2] == NULL || p[3] == NULL)
		rc = 0;
	else if (p[1] == NULL || p[5] == NULL || p[6] == NULL ||
	    !json_is_integer(flow))
		rc = 1;
	else {
		p[4] = pg_int(f, (long long)json_integer_value(flow));
		rc = pg_exec(s, "INSERT INTO syncpack.transfer(guid, tbl, "
		    "from_site, to_site, flow, at, state, reported) VALUES ($1,"
		    " $2, $3, $4, $5, $6, $7, 1) ON CONFLICT (guid, from_site, "
		    "to_site, flow) DO UPDATE SET tbl = excluded.tbl, at = "
		    "excluded.at, state = excluded.state, reported = 1", 7, p,
		    err);
	}
	json_decref(j);
	return rc;
}

int
pg_transfers_refuse(struct site *s, const char *peer, long long upto,
    struct sp_error *err)
{
	char n[PG_INT_LEN];
	const char *p[3] = { s->id, peer, pg_int(n, upto) };

	return pg_exec(s, "UPDATE syncpack.record SET flags = flags & ~2 WHERE "
	    "guid IN (SELECT t.guid FROM syncpack.transfer t JOIN "
	    "syncpack.protocol p ON p.guid = t.guid AND p.peer = t.to_site AND "
	    "p.direction = 'out' AND p.flow = $3 AND p.outcome = 'rejected' "
	    "WHERE t.from_site = $1 AND t.to_site = $2 AND t.state = 'in "
	    "transit' AND t.flow BETWEEN 1 AND $3)", 3, p, err) ||
	    pg_exec(s, "UPDATE syncpack.transfer SET state = 'refused', "
	    "reported = 0 WHERE from_site = $1 AND to_site = $2 AND state = 'in "
	    "transit' AND flow BETWEEN 1 AND $3 AND guid IN (SELECT guid FROM "
	    "syncpack.protocol WHERE peer = $2 AND direction = 'out' AND flow = "
	    "$3 AND outcome = 'rejected')", 3, p, err) ? -1 : 0;
}

int
pg_transfers_in_transit(struct site *s, const char *peer, long long upto,
    store_transit_cb cb, void *ctx, struct sp_error *err)
{
	struct text_walk w = { cb, ctx };
	char n[PG_INT_LEN];
	const char *p[3] = { s->id, peer, pg_int(n, upto) };

	/* Children before their parents (a table's height over the tables
	 * that refer to it), since the rows leave one by one and the
	 * server checks every foreign key as each goes. */
	return pg_each(s, "WITH RECURSIVE h(tbl, d) AS (SELECT id, 0 FROM "
	    "syncpack.tracked_table UNION ALL SELECT f.parent, h.d + 1 FROM "
	    "syncpack.fk f JOIN h ON h.tbl = f.tbl WHERE f.parent <> f.tbl AND "
	    "h.d < 32) SELECT t.guid FROM syncpack.transfer t JOIN "
	    "syncpack.record r ON r.guid = t.guid JOIN syncpack.tracked_table tb"
	    " ON tb.id = r.tbl WHERE t.from_site = $1 AND t.to_site = $2 AND "
	    "t.state = 'in transit' AND t.flow BETWEEN 1 AND $3 ORDER BY "
	    "(SELECT max(d) FROM h WHERE h.tbl = r.tbl), t.guid", 3, p,
	    text_row, &w, err);
}

/* Deletes the application row of guid, if it has one. */
static int
delete_row(struct site *s, const char *guid, struct sp_error *err)
{
	PGresult *res = pg_query(s, "SELECT tb.name, tb.pk, r.rkey FROM "
	    "syncpack.record r JOIN syncpack.tracked_table tb ON tb.id = r.tbl "
	    "WHERE r.guid = $1 AND r.rkey IS NOT NULL", 1, &guid, err);
	struct pg_key_sql k;
	const char *rkey;
	char *sql = NULL;
	int rc;

	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 0;
	}
	/* The name as regclass prints it, quoted where it needs to be. */
	if (pg_key_sql_load(s, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
	    NULL, "$1", &k, err) != 0) {
		PQclear(res);
		return -1;
	}
	if (asprintf(&sql, "DELETE FROM %s WHERE %s", PQgetvalue(res, 0, 0),
	    k.match) < 0) {
		pg_key_sql_free(&k);
		PQclear(res);
		return sp_error_set(err, "out of memory");
	}
	pg_key_sql_free(&k);
	rkey = PQgetvalue(res, 0, 2);
	rc = pg_exec(s, sql, 1, &rkey, err);
	free(sql);
	PQclear(res);
	return rc;
}

int
pg_move_complete(struct site *s, const char *guid, const char *peer,
    struct sp_error *err)
{
	const char *p[3] = { guid, s->id, peer };

	if (delete_row(s, guid, err) != 0 ||
	    pg_exec(s, "DELETE FROM syncpack.record WHERE guid = $1", 1, p,
	    err) != 0)
		return -1;
	return pg_exec(s, "UPDATE syncpack.transfer SET state = 'done', "
	    "reported = 0 WHERE guid = $1 AND from_site = $2 AND to_site = $3 "
	    "AND state = 'in transit'", 3, p, err);
}
