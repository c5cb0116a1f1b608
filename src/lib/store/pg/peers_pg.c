/* peers_pg.c: the peers of a PostgreSQL site, their keys and the
 * settings of files to and from them, in syncpack.peer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/peer_keys.h"
#include "store/peers.h"
#include "store/pg/backend.h"
#include "store/pg/pg.h"
#include "sxf/keys.h"

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

EVP_PKEY *
pg_peer_key(struct site *s, const char *peer, struct sp_error *err)
{
	PGresult *res = pg_query(s, "SELECT pubkey FROM syncpack.peer WHERE "
	    "site = $1", 1, &peer, err);
	EVP_PKEY *key;

	if (res == NULL)
		return NULL;
	if (PQntuples(res) == 0) {
		PQclear(res);
		sp_error_setk(err, SP_ERR_REFUSED, 0, "unknown signer %s (not a "
		    "registered peer of %s)", peer, s->id);
		return NULL;
	}
	key = key_parse_public(PQgetvalue(res, 0, 0), err);
	PQclear(res);
	return key;
}

int
pg_peer_settings(struct site *s, const char *peer,
    struct store_peer_settings *out, struct sp_error *err)
{
	PGresult *res = pg_query(s, "SELECT compress, seal_pub, no_seal, "
	    "sealed_seen, reads FROM syncpack.peer WHERE site = $1", 1, &peer,
	    err);
	const char *c;
	int oom = 0;

	memset(out, 0, sizeof(*out));
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return sp_error_set(err, "%s is not a registered peer of %s",
		    peer, s->id);
	}
	c = PQgetvalue(res, 0, 0);
	if (sxf_compression_parse(c, &out->compression) != 0) {
		sp_error_set(err, "%s: peer %s has an unknown compression "
		    "\"%s\"", s->path, peer, c);
		PQclear(res);
		return -1;
	}
	out->no_seal = (int)pg_ll(res, 0, 2);
	out->sealed_seen = (int)pg_ll(res, 0, 3);
	out->seal_pub = pg_dup(res, 0, 1, &oom);
	out->reads = pg_dup(res, 0, 4, &oom);
	PQclear(res);
	if (oom) {
		store_peer_settings_free(out);
		return sp_error_set(err, "out of memory");
	}
	return 0;
}

int
pg_peer_note_sealed(struct site *s, const char *peer, struct sp_error *err)
{
	return update_peer(s, "UPDATE syncpack.peer SET sealed_seen = 1 WHERE "
	    "site = $2 AND $1::text IS NULL", NULL, peer, err);
}

int
pg_peer_set_reads(struct site *s, const char *peer, const char *reads,
    struct sp_error *err)
{
	const char *p[2] = { reads, peer };
	int same;

	/* Every file says it, and it seldom changes: read first, so that an
	 * unchanged list writes nothing. A peer not registered is the
	 * update's to report. */
	same = pg_exists(s, "SELECT 1 FROM syncpack.peer WHERE site = $2 AND "
	    "reads IS NOT DISTINCT FROM $1", 2, p, err);
	if (same != 0)
		return same < 0 ? -1 : 0;
	return update_peer(s, "UPDATE syncpack.peer SET reads = $1 WHERE site "
	    "= $2", reads, peer, err);
}

int
pg_peers(struct site *s, struct store_peer **peers, size_t *count,
    struct sp_error *err)
{
	PGresult *res = pg_query(s, "SELECT site, url, added FROM syncpack.peer "
	    "ORDER BY site COLLATE \"C\"", 0, NULL, err);
	struct store_peer *all;
	size_t n;
	int oom = 0;

	*peers = NULL;
	*count = 0;
	if (res == NULL)
		return -1;
	n = (size_t)PQntuples(res);
	if ((all = calloc(n ? n : 1, sizeof(*all))) == NULL) {
		PQclear(res);
		return sp_error_set(err, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		all[i].site = pg_dup(res, (int)i, 0, &oom);
		all[i].url = pg_dup(res, (int)i, 1, &oom);
		all[i].added = pg_dup(res, (int)i, 2, &oom);
	}
	PQclear(res);
	if (oom) {
		store_peers_free(all, n);
		return sp_error_set(err, "out of memory");
	}
	*peers = all;
	*count = n;
	return 0;
}
