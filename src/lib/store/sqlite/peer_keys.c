/* peer_keys.c: sealing keys and per-peer file settings
 * (store/peer_keys.h). */
#include <stdlib.h>
#include <string.h>

#include "store/peer_keys.h"
#include "store/sqlite/backend.h"
#include "store/sqlite/sql.h"

int
sqlite_peer_settings(struct site *s, const char *peer,
    struct store_peer_settings *out, struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	memset(out, 0, sizeof(*out));
	if (sqlite3_prepare_v2(s->db, "SELECT compress, seal_pub, no_seal, "
	    "sealed_seen, reads FROM syncpack_peer WHERE site = ?", -1, &st, NULL)
	    != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	r = sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
	if (r == SQLITE_OK)
		r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		const char *c = (const char *)sqlite3_column_text(st, 0);
		const char *pem = (const char *)sqlite3_column_text(st, 1);
		const char *reads = (const char *)sqlite3_column_text(st, 4);

		if (c == NULL || sxf_compression_parse(c, &out->compression)
		    != 0) {
			sqlite3_finalize(st);
			return sp_error_set(err, "%s: peer %s has an unknown "
			    "compression \"%s\"", s->path, peer, c ? c : "");
		}
		out->no_seal = sqlite3_column_int(st, 2);
		out->sealed_seen = sqlite3_column_int(st, 3);
		if ((pem != NULL && (out->seal_pub = strdup(pem)) == NULL) ||
		    (reads != NULL && (out->reads = strdup(reads)) == NULL))
			r = SQLITE_NOMEM;
	}
	sqlite3_finalize(st);
	if (r == SQLITE_DONE)
		return sp_error_set(err, "%s is not a registered peer of %s",
		    peer, s->id);
	if (r != SQLITE_ROW) {
		store_peer_settings_free(out);
		return r == SQLITE_NOMEM ? sp_error_set(err, "out of memory") :
		    site_sqlite_error(s, err, s->path);
	}
	return 0;
}

/* Runs sql (?1 the value, ?2 the peer) on a registered peer. */
static int
update_peer(struct site *s, const char *sql, const char *text,
    long long num, const char *peer, struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	if (text != NULL)
		r = sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	else if (num >= 0)
		r = sqlite3_bind_int64(st, 1, num);
	else
		r = SQLITE_OK;
	if (r == SQLITE_OK)
		r = sqlite3_bind_text(st, 2, peer, -1, SQLITE_STATIC);
	if (r == SQLITE_OK)
		r = sqlite3_step(st);
	sqlite3_finalize(st);
	if (r != SQLITE_DONE)
		return site_sqlite_error(s, err, s->path);
	if (sqlite3_changes(s->db) == 0)
		return sp_error_set(err, "%s is not a registered peer of %s",
		    peer, s->id);
	return 0;
}

int
sqlite_peer_set_compression(struct site *s, const char *peer,
    enum sxf_compression c, struct sp_error *err)
{
	return update_peer(s, "UPDATE syncpack_peer SET compress = ?1 WHERE "
	    "site = ?2", sxf_compression_name(c), -1, peer, err);
}

int
sqlite_peer_set_no_seal(struct site *s, const char *peer, int no_seal,
    struct sp_error *err)
{
	return update_peer(s, "UPDATE syncpack_peer SET no_seal = ?1 WHERE "
	    "site = ?2", NULL, no_seal != 0, peer, err);
}

int
sqlite_peer_set_expect(struct site *s, const char *peer, long long seconds,
    struct sp_error *err)
{
	return update_peer(s, "UPDATE syncpack_peer SET expect = ?1 WHERE "
	    "site = ?2", NULL, seconds, peer, err);
}

int
sqlite_peer_set_seal_pub(struct site *s, const char *peer, const char *pem,
    struct sp_error *err)
{
	return update_peer(s, "UPDATE syncpack_peer SET sealed_seen = "
	    "sealed_seen AND seal_pub IS ?1, seal_pub = ?1 WHERE site = ?2",
	    pem, -1, peer, err);
}

int
sqlite_peer_note_sealed(struct site *s, const char *peer,
    struct sp_error *err)
{
	return update_peer(s, "UPDATE syncpack_peer SET sealed_seen = 1 "
	    "WHERE site = ?2", NULL, -1, peer, err);
}

int
sqlite_peer_set_signing_pub(struct site *s, const char *peer,
    const char *pem, struct sp_error *err)
{
	return update_peer(s, "UPDATE syncpack_peer SET pubkey = ?1 WHERE "
	    "site = ?2", pem, -1, peer, err);
}

int
sqlite_peer_set_reads(struct site *s, const char *peer, const char *reads,
    struct sp_error *err)
{
	sqlite3_stmt *st;
	int same = 0;

	/* Every file says it, and it seldom changes: read first, so that an
	 * unchanged list costs no write transaction (a journal and its
	 * fsyncs, per file). */
	if (sqlite3_prepare_v2(s->db, "SELECT reads IS ?1 FROM syncpack_peer "
	    "WHERE site = ?2", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	if (sqlite3_bind_text(st, 1, reads, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_bind_text(st, 2, peer, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		same = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (same)
		return 0;
	/* Errors, and a peer not registered, are the update's to report. */
	return update_peer(s, "UPDATE syncpack_peer SET reads = ?1 WHERE "
	    "site = ?2", reads, -1, peer, err);
}

int
sqlite_site_seal_pub(struct site *s, char **pem, struct sp_error *err)
{
	sqlite3_stmt *st;
	const char *v;
	int r;

	*pem = NULL;
	if (sqlite3_prepare_v2(s->db, "SELECT seal_pub FROM syncpack_site "
	    "WHERE id = 1", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW && (v = (const char *)sqlite3_column_text(st, 0))
	    != NULL && (*pem = strdup(v)) == NULL)
		r = SQLITE_NOMEM;
	sqlite3_finalize(st);
	if (r != SQLITE_ROW)
		return r == SQLITE_NOMEM ? sp_error_set(err, "out of memory") :
		    site_sqlite_error(s, err, s->path);
	return *pem != NULL;
}

int
sqlite_site_set_seal_pub(struct site *s, const char *pem,
    struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(s->db, "UPDATE syncpack_site SET seal_pub = ? "
	    "WHERE id = 1", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	r = sqlite3_bind_text(st, 1, pem, -1, SQLITE_STATIC);
	if (r == SQLITE_OK)
		r = sqlite3_step(st);
	sqlite3_finalize(st);
	return r == SQLITE_DONE ? 0 : site_sqlite_error(s, err, s->path);
}
