/* moving_pg.c: moves from this site and move requests (store/moving.h)
 * of a PostgreSQL site. syncadm track does not yet make a table movable
 * there, so these find no moving records until it does; they work on the
 * tables all the same. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/moving.h"
#include "store/pg/backend.h"
#include "store/pg/pg.h"

/* Appends column 0 of every row of res to g. */
static int
collect(PGresult *res, struct store_guids *g, struct sp_error *err)
{
	int n = PQntuples(res);
	char **grown;

	if (n == 0)
		return 0;
	grown = realloc(g->guid, (size_t)(g->count + n) * sizeof(*g->guid));
	if (grown == NULL)
		return sp_error_set(err, "out of memory");
	g->guid = grown;
	for (int i = 0; i < n; i++) {
		if ((g->guid[g->count] = strdup(PQgetvalue(res, i, 0))) == NULL)
			return sp_error_set(err, "out of memory");
		g->count++;
	}
	return 0;
}

/* Collects column 0 of sql over the n texts p into *g, emptied first. */
static int
collect_query(struct site *s, const char *sql, int n, const char *const *p,
    struct store_guids *g, struct sp_error *err)
{
	PGresult *res = pg_query(s, sql, n, p, err);
	int rc;

	g->guid = NULL;
	g->count = 0;
	if (res == NULL)
		return -1;
	rc = collect(res, g, err);
	PQclear(res);
	if (rc != 0)
		store_guids_free(g);
	return rc;
}

int
pg_move_find(struct site *s, long long table_id, int pk_integer,
    const char *key, int by_guid, char guid[33], struct sp_error *err)
{
	char id[PG_INT_LEN];
	const char *p[3] = { key, pg_int(id, table_id), by_guid ? "1" : "0" };
	PGresult *res;
	int got;

	/* rkey is the key's text whatever its type, so pk_integer changes
	 * nothing here. */
	(void)pk_integer;
	res = pg_query(s, "SELECT guid FROM syncpack.record WHERE tbl = $2 AND "
	    "rkey IS NOT NULL AND CASE WHEN $3::integer <> 0 THEN guid = "
	    "upper($1) ELSE rkey = $1 END", 3, p, err);
	if (res == NULL)
		return -1;
	if ((got = PQntuples(res) > 0))
		snprintf(guid, 33, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return got;
}

int
pg_move_state(struct site *s, const char *guid, int *flags, char *to,
    size_t tolen, struct sp_error *err)
{
	PGresult *res = pg_query(s, "SELECT r.flags, (SELECT to_site FROM "
	    "syncpack.transfer t WHERE t.guid = r.guid AND t.state = 'in "
	    "transit' LIMIT 1) FROM syncpack.record r WHERE r.guid = $1", 1,
	    &guid, err);

	*flags = 0;
	if (tolen > 0)
		to[0] = '\0';
	if (res == NULL)
		return -1;
	if (PQntuples(res) > 0) {
		*flags = (int)pg_ll(res, 0, 0);
		if (!PQgetisnull(res, 0, 1))
			snprintf(to, tolen, "%s", PQgetvalue(res, 0, 1));
	}
	PQclear(res);
	return 0;
}

int
pg_move_start(struct site *s, const char *guid, const char *peer,
    struct sp_error *err)
{
	const char *p[3] = { guid, s->id, peer };

	if (pg_exec(s, "UPDATE syncpack.record SET flags = flags | 2 WHERE "
	    "guid = $1", 1, p, err) != 0)
		return -1;
	return pg_exec(s, "INSERT INTO syncpack.transfer(guid, tbl, from_site, "
	    "to_site, flow, at, state) SELECT guid, (SELECT name FROM "
	    "syncpack.tracked_table WHERE id = tbl), $2, $3, 0, " PG_NOW ", 'in "
	    "transit' FROM syncpack.record WHERE guid = $1 ON CONFLICT (guid, "
	    "from_site, to_site, flow) DO UPDATE SET tbl = excluded.tbl, at = "
	    "excluded.at, state = excluded.state, reported = 0", 3, p, err);
}

/* Appends to kids the records of the child table of row i of fks (its
 * column, name, key and id) whose column holds rkey. */
static int
children_of(struct site *s, PGresult *fks, int i, const char *rkey,
    struct store_guids *kids, struct sp_error *err)
{
	const char *pk = PQgetvalue(fks, i, 2);
	char *col, *sql = NULL;
	PGresult *res;
	int rc;

	col = PQescapeIdentifier(s->pg, PQgetvalue(fks, i, 0),
	    strlen(PQgetvalue(fks, i, 0)));
	if (col == NULL || asprintf(&sql, "SELECT r.guid FROM %s c JOIN "
	    "syncpack.record r ON r.tbl = %lld AND r.rkey = syncpack.rkey_of("
	    "to_jsonb(c), $2) "
	    "WHERE c.%s = $1", PQgetvalue(fks, i, 1), pg_ll(fks, i, 3), col)
	    < 0) {
		PQfreemem(col);
		return sp_error_set(err, "out of memory");
	}
	PQfreemem(col);
	res = pg_query(s, sql, 2, (const char *[]){ rkey, pk }, err);
	free(sql);
	if (res == NULL)
		return -1;
	rc = collect(res, kids, err);
	PQclear(res);
	return rc;
}

int
pg_move_children(struct site *s, const char *guid, struct store_guids *kids,
    struct sp_error *err)
{
	PGresult *rec, *fks;
	int rc = 0;

	kids->guid = NULL;
	kids->count = 0;
	if ((rec = pg_query(s, "SELECT tbl, rkey FROM syncpack.record WHERE "
	    "guid = $1 AND rkey IS NOT NULL", 1, &guid, err)) == NULL)
		return -1;
	if (PQntuples(rec) == 0) {
		/* Not here, or a tombstone: nothing refers to it. */
		PQclear(rec);
		return 0;
	}
	fks = pg_query(s, "SELECT f.col, c.name, c.pk, c.id FROM syncpack.fk f "
	    "JOIN syncpack.tracked_table c ON c.id = f.tbl WHERE f.parent = $1 "
	    "AND c.movable <> 0 AND c.tracked <> 0", 1,
	    (const char *[]){ PQgetvalue(rec, 0, 0) }, err);
	if (fks == NULL)
		rc = -1;
	for (int i = 0; rc == 0 && fks != NULL && i < PQntuples(fks); i++)
		rc = children_of(s, fks, i, PQgetvalue(rec, 0, 1), kids, err);
	PQclear(fks);
	PQclear(rec);
	if (rc != 0)
		store_guids_free(kids);
	return rc;
}

int
pg_move_requests(struct site *s, const char *peer, struct store_guids *guids,
    struct sp_error *err)
{
	return collect_query(s, "SELECT q.guid FROM syncpack.move_request q "
	    "JOIN syncpack.record r ON r.guid = q.guid WHERE q.peer = $1 AND "
	    "q.answered = 0 AND r.rkey IS NOT NULL AND r.flags & 2 = 0", 1,
	    &peer, guids, err);
}

int
pg_move_request_answered(struct site *s, const char *guid, const char *peer,
    struct sp_error *err)
{
	const char *p[2] = { guid, peer };

	return pg_exec(s, "UPDATE syncpack.move_request SET answered = 1 WHERE "
	    "guid = $1 AND peer = $2", 2, p, err);
}

int
pg_moves_outgoing(struct site *s, const char *peer, long long table_id,
    struct store_guids *guids, struct sp_error *err)
{
	char id[PG_INT_LEN];
	const char *p[3] = { s->id, peer, pg_int(id, table_id) };

	return collect_query(s, "SELECT r.guid FROM syncpack.transfer t JOIN "
	    "syncpack.record r ON r.guid = t.guid WHERE t.from_site = $1 AND "
	    "t.to_site = $2 AND t.state = 'in transit' AND r.tbl = $3 AND "
	    "r.rkey IS NOT NULL ORDER BY r.lseq", 3, p, guids, err);
}

int
pg_moves_in_transit_to(struct site *s, const char *peer,
    struct store_guids *guids, struct sp_error *err)
{
	/* guid is COLLATE "C": ordered as strcmp orders. */
	return collect_query(s, "SELECT DISTINCT guid FROM syncpack.transfer "
	    "WHERE to_site = $1 AND state = 'in transit' ORDER BY guid", 1,
	    &peer, guids, err);
}

int
pg_moves_set_flow(struct site *s, const char *peer, uint64_t flow,
    struct sp_error *err)
{
	char f[PG_INT_LEN];
	const char *p[3] = { s->id, peer, pg_int(f, (long long)flow) };

	return pg_exec(s, "UPDATE syncpack.transfer SET flow = $3 WHERE "
	    "from_site = $1 AND to_site = $2 AND state = 'in transit' AND flow "
	    "= 0", 3, p, err);
}
