/* peers_pg.c: the peers of a PostgreSQL site and their keys, in
 * syncpack.peer. */
#include <stdio.h>

#include "store/pg/backend.h"
#include "store/pg/pg.h"

int
pg_peer_insert(struct site *s, const char *peer, const char *pem,
    const char *url, char clash[SITEID_MAX + 1], struct sp_error *err)
{
	const char *p[3] = { peer, s->hub ? "1" : "0", NULL };
	PGresult *res;

	/* One writer of peers at a time, as BEGIN IMMEDIATE in SQLite: two
	 * spokes' hubs must not both pass the check below. */
	if (pg_exec(s, "BEGIN", 0, NULL, err) != 0 ||
	    pg_exec(s, "LOCK TABLE syncpack.peer IN SHARE ROW EXCLUSIVE MODE",
	    0, NULL, err) != 0)
		goto rollback;
	if ((res = pg_query(s, "SELECT site FROM syncpack.peer WHERE site <> "
	    "$1 AND ($2::integer = 0 OR lower(site) = lower($1)) LIMIT 1", 2, p,
	    err)) == NULL)
		goto rollback;
	if (PQntuples(res) > 0) {
		snprintf(clash, SITEID_MAX + 1, "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
		pg_rollback(s);
		return 1;
	}
	PQclear(res);
	p[1] = pem;
	p[2] = url;
	if (pg_exec(s, "INSERT INTO syncpack.peer(site, pubkey, url, added) "
	    "VALUES ($1, $2, $3, to_char(now() AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')) ON CONFLICT (site) DO UPDATE "
	    "SET pubkey = excluded.pubkey, url = coalesce(excluded.url, "
	    "syncpack.peer.url)", 3, p, err) != 0 ||
	    pg_exec(s, "COMMIT", 0, NULL, err) != 0)
		goto rollback;
	return 0;
rollback:
	pg_rollback(s);
	return -1;
}

/* Runs sql with $1 value and $2 peer; a peer not registered is an
 * error. */
static int
update_peer(struct site *s, const char *sql, const char *value,
    const char *peer, struct sp_error *err)
{
	const char *p[2] = { value, peer };
	PGresult *res = pg_query(s, sql, 2, p, err);
	int changed;

	if (res == NULL)
		return -1;
	changed = PQcmdTuples(res)[0] != '0';
	PQclear(res);
	if (!changed)
		return sp_error_set(err, "%s is not a registered peer of %s",
		    peer, s->id);
	return 0;
}

int
pg_peer_set_signing_pub(struct site *s, const char *peer, const char *pem,
    struct sp_error *err)
{
	return update_peer(s, "UPDATE syncpack.peer SET pubkey = $1 WHERE "
	    "site = $2", pem, peer, err);
}

int
pg_peer_set_seal_pub(struct site *s, const char *peer, const char *pem,
    struct sp_error *err)
{
	/* A new key, or none, forgets that a sealed file was seen. */
	return update_peer(s, "UPDATE syncpack.peer SET sealed_seen = CASE "
	    "WHEN seal_pub IS NOT DISTINCT FROM $1 THEN sealed_seen ELSE 0 END,"
	    " seal_pub = $1 WHERE site = $2", pem, peer, err);
}

int
pg_peer_set_compression(struct site *s, const char *peer, const char *name,
    struct sp_error *err)
{
	return update_peer(s, "UPDATE syncpack.peer SET compress = $1 WHERE "
	    "site = $2", name, peer, err);
}

int
pg_peer_exists(struct site *s, const char *peer, struct sp_error *err)
{
	const char *p[1] = { peer };

	return pg_exists(s, "SELECT 1 FROM syncpack.peer WHERE site = $1", 1,
	    p, err);
}

int
pg_peer_set_no_seal(struct site *s, const char *peer, int no_seal,
    struct sp_error *err)
{
	return update_peer(s, "UPDATE syncpack.peer SET no_seal = $1::integer "
	    "WHERE site = $2", no_seal ? "1" : "0", peer, err);
}

int
pg_peer_set_expect(struct site *s, const char *peer, long long seconds,
    struct sp_error *err)
{
	char v[24];

	snprintf(v, sizeof(v), "%lld", seconds);
	return update_peer(s, "UPDATE syncpack.peer SET expect = $1::bigint "
	    "WHERE site = $2", v, peer, err);
}
