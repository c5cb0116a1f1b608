/* protocol_pg.c: the rows an apply writes about the records of a flow,
 * the protocol acknowledgements carry and the freezing of acknowledged
 * records (store/protocol.h) of a PostgreSQL site. */
#include "store/pg/backend.h"
#include "store/pg/pg.h"
#include "store/pg/store_pg.h"
#include "store/protocol.h"

/* Keeps one protocol row ($1 peer, $2 direction, $3 flow, $4 guid, $5
 * table, $6 outcome, $7 reason); a row replaced goes to the end, as
 * SQLite's INSERT OR REPLACE gives it a new rowid. */
#define PROTOCOL_PUT "INSERT INTO syncpack.protocol(peer, direction, flow, " \
	"guid, tbl, outcome, reason) VALUES ($1, $2, $3, $4, $5, $6, $7) ON " \
	"CONFLICT (peer, direction, flow, guid) DO UPDATE SET tbl = " \
	"excluded.tbl, outcome = excluded.outcome, reason = excluded.reason, " \
	"seq = DEFAULT"

int
pg_protocol_note(struct store *st, const char *peer, long long flow,
    const char *guid, const char *table, const char *outcome,
    const char *reason, struct sp_error *err)
{
	char f[PG_INT_LEN];
	const char *p[7] = { peer, "in", pg_int(f, flow), guid, table, outcome,
	    reason != NULL && reason[0] ? reason : NULL };

	return pg_store_exec(st, PROTOCOL_PUT, 7, p, err);
}

int
pg_transfer_done(struct store *st, const char *guid, const char *table,
    const char *peer, long long flow, struct sp_error *err)
{
	char f[PG_INT_LEN];
	const char *p[5] = { guid, table, peer, store_pg_site(st)->id,
	    pg_int(f, flow) };

	return pg_store_exec(st, "INSERT INTO syncpack.transfer(guid, tbl, "
	    "from_site, to_site, flow, at, state) VALUES ($1, $2, $3, $4, $5, "
	    PG_NOW ", 'done') ON CONFLICT (guid, from_site, to_site, flow) DO "
	    "UPDATE SET tbl = excluded.tbl, at = excluded.at, state = "
	    "excluded.state, reported = 0", 5, p, err);
}

int
pg_move_requested(struct site *s, const char *guid, const char *table,
    const char *peer, struct sp_error *err)
{
	const char *p[3] = { guid, table, peer };

	return pg_exec(s, "INSERT INTO syncpack.move_request(guid, tbl, peer, "
	    "requested) VALUES (upper($1), $2, $3, " PG_NOW ") ON CONFLICT "
	    "(guid, peer) DO UPDATE SET tbl = excluded.tbl, requested = "
	    "excluded.requested, answered = 0", 3, p, err);
}

json_t *
pg_protocol_in(struct site *s, const char *peer, long long f,
    struct sp_error *err)
{
	char n[PG_INT_LEN];
	const char *p[2] = { peer, pg_int(n, f) };
	PGresult *res = pg_query(s, "SELECT guid, tbl, outcome, reason FROM "
	    "syncpack.protocol WHERE peer = $1 AND direction = 'in' AND flow = "
	    "$2 ORDER BY seq", 2, p, err);
	json_t *list;
	int i;

	if (res == NULL)
		return NULL;
	if ((list = json_array()) == NULL)
		goto oom;
	for (i = 0; i < PQntuples(res); i++) {
		json_t *row = json_pack("{s:s, s:s, s:s}", "guid",
		    PQgetvalue(res, i, 0), "table", PQgetvalue(res, i, 1),
		    "outcome", PQgetvalue(res, i, 2));

		if (row == NULL)
			goto oom;
		if ((!PQgetisnull(res, i, 3) && json_object_set_new(row,
		    "reason", json_string(PQgetvalue(res, i, 3))) != 0) ||
		    json_array_append_new(list, row) != 0) {
			json_decref(row);
			goto oom;
		}
	}
	PQclear(res);
	return list;
oom:
	PQclear(res);
	json_decref(list);
	sp_error_set(err, "out of memory");
	return NULL;
}

int
pg_protocol_save_out(struct site *s, const char *peer, long long f,
    json_t *protocol, struct sp_error *err)
{
	char n[PG_INT_LEN];
	size_t i;
	json_t *e;

	if (!json_is_array(protocol))
		return 0;
	pg_int(n, f);
	json_array_foreach(protocol, i, e) {
		json_t *g = json_object_get(e, "guid"),
		    *t = json_object_get(e, "table"),
		    *o = json_object_get(e, "outcome"),
		    *r = json_object_get(e, "reason");
		const char *p[7] = { peer, "out", n, json_string_value(g),
		    json_string_value(t), json_string_value(o),
		    json_string_value(r) };

		if (!json_is_string(g) || !json_is_string(t) ||
		    !json_is_string(o))
			continue;
		if (pg_exec(s, PROTOCOL_PUT, 7, p, err) != 0)
			return -1;
	}
	return 0;
}

int
pg_freeze_from(struct site *s, const char *peer, struct sp_error *err)
{
	/* Not a record with a version of peer's held here (as
	 * sqlite_freeze_from). */
	return pg_exec(s, "UPDATE syncpack.record SET flags = flags | 1 WHERE "
	    "src = $1 AND owner = $1 AND deleted = 0 AND tbl IN (SELECT id FROM "
	    "syncpack.tracked_table WHERE \"freeze\" <> 0) AND guid NOT IN "
	    "(SELECT guid FROM syncpack.held WHERE peer = $1)", 1, &peer, err);
}

int
pg_freeze_acked(struct site *s, const char *owner, long long upto,
    const char *peer, long long f, struct sp_error *err)
{
	char u[PG_INT_LEN], n[PG_INT_LEN];
	const char *p[4] = { owner, pg_int(u, upto), peer, pg_int(n, f) };

	return pg_exec(s, "UPDATE syncpack.record SET flags = flags | 1 WHERE "
	    "owner = $1 AND lseq <= $2 AND deleted = 0 AND tbl IN (SELECT id "
	    "FROM syncpack.tracked_table WHERE \"freeze\" <> 0) AND guid NOT IN "
	    "(SELECT guid FROM syncpack.protocol WHERE peer = $3 AND direction "
	    "= 'out' AND flow = $4 AND outcome IN ('rejected', 'held'))", 4, p,
	    err);
}
