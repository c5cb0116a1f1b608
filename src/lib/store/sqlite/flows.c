/* flows.c: syncpack_flow, the peers' marks and the next flow id
 * (store/flows.h). */
#include <stdlib.h>
#include <string.h>

#include "store/flows.h"
#include "store/sqlite/backend.h"
#include "store/sqlite/sql.h"

/* Prepares sql and binds peer to ?1 and, with bind_n, n to ?2. NULL with
 * err set on error. */
static sqlite3_stmt *
prepare_peer(struct site *s, const char *sql, const char *peer, int bind_n,
    long long n, struct sp_error *err)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		site_sqlite_error(s, err, s->path);
		return NULL;
	}
	if (sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC) != SQLITE_OK ||
	    (bind_n && sqlite3_bind_int64(st, 2, n) != SQLITE_OK)) {
		site_sqlite_error(s, err, s->path);
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

/* Steps st, a statement without results, once and finalizes it. */
static int
run_once(struct site *s, sqlite3_stmt *st, struct sp_error *err)
{
	int r;

	if (st == NULL)
		return -1;
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	return r == SQLITE_DONE ? 0 : site_sqlite_error(s, err, s->path);
}

int
sqlite_flow_add_out(struct site *s, const struct store_flow_out *f,
    struct sp_error *err)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(s->db, "INSERT INTO syncpack_flow(peer, "
	    "direction, flow, kind, link, file, sha256, ready, status, covered)"
	    " VALUES (?, 'out', ?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', "
	    "'now'), 'sent', ?)", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	if (sqlite3_bind_text(st, 1, f->peer, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, (sqlite3_int64)f->flow) != SQLITE_OK ||
	    sqlite3_bind_text(st, 3, f->kind, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 4, (sqlite3_int64)f->link) != SQLITE_OK ||
	    sqlite3_bind_text(st, 5, f->file, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 6, f->sha256, -1, SQLITE_STATIC)
	    != SQLITE_OK ||
	    sqlite3_bind_int64(st, 7, f->covered) != SQLITE_OK) {
		sqlite3_finalize(st);
		return site_sqlite_error(s, err, s->path);
	}
	return run_once(s, st, err);
}

int
sqlite_peer_sent(struct site *s, const char *peer, struct sp_error *err)
{
	return run_once(s, prepare_peer(s, "UPDATE syncpack_peer SET last_sent "
	    "= strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE site = ?1", peer, 0,
	    0, err), err);
}

/* Steps st (finalizing it) for a row of an integer and an optional text:
 * 1 with *n and *text (a copy, NULL for a NULL or non-text column), 0
 * without a row. */
static int
step_int_text(struct site *s, sqlite3_stmt *st, long long *n, char **text,
    struct sp_error *err)
{
	int r;

	*text = NULL;
	if (st == NULL)
		return -1;
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		*n = sqlite3_column_int64(st, 0);
		if (sqlite3_column_type(st, 1) == SQLITE_TEXT &&
		    (*text = strdup((const char *)sqlite3_column_text(st, 1)))
		    == NULL) {
			sqlite3_finalize(st);
			return sp_error_set(err, "out of memory");
		}
	}
	sqlite3_finalize(st);
	if (r == SQLITE_ROW)
		return 1;
	return r == SQLITE_DONE ? 0 : site_sqlite_error(s, err, s->path);
}

int
sqlite_flow_last_in(struct site *s, const char *peer, long long *flow,
    char **sha256, struct sp_error *err)
{
	return step_int_text(s, prepare_peer(s, "SELECT flow, sha256 FROM "
	    "syncpack_flow WHERE peer = ?1 AND direction = 'in' ORDER BY flow "
	    "DESC LIMIT 1", peer, 0, 0, err), flow, sha256, err);
}

int
sqlite_flow_out_sha256(struct site *s, const char *peer, long long flow,
    char **sha256, struct sp_error *err)
{
	long long f;

	return step_int_text(s, prepare_peer(s, "SELECT flow, sha256 FROM "
	    "syncpack_flow WHERE peer = ?1 AND direction = 'out' AND flow = ?2",
	    peer, 1, flow, err), &f, sha256, err);
}

/* Steps st (finalizing it) for one integer: 1 with *n (0 for NULL, with
 * null_none: 0 returned), 0 without a row. */
static int
step_int(struct site *s, sqlite3_stmt *st, long long *n, int null_none,
    struct sp_error *err)
{
	int r, got = 0;

	if (st == NULL)
		return -1;
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		got = !null_none || sqlite3_column_type(st, 0) != SQLITE_NULL;
		*n = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (r == SQLITE_ROW)
		return got;
	return r == SQLITE_DONE ? 0 : site_sqlite_error(s, err, s->path);
}

int
sqlite_next_flow_peek(struct site *s, long long *next, struct sp_error *err)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(s->db, "SELECT next_flow FROM syncpack_site "
	    "WHERE id = 1", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	return step_int(s, st, next, 0, err);
}

int
sqlite_next_flow_raise(struct site *s, long long seen, struct sp_error *err)
{
	sqlite3_stmt *st;

	/* Most files raise nothing: a row left as it was costs no write
	 * transaction, so no journal and no fsyncs. */
	if (sqlite3_prepare_v2(s->db, "UPDATE syncpack_site SET next_flow = "
	    "?1 + 1 WHERE id = 1 AND next_flow < ?1 + 1", -1, &st, NULL)
	    != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	if (sqlite3_bind_int64(st, 1, seen) != SQLITE_OK) {
		sqlite3_finalize(st);
		return site_sqlite_error(s, err, s->path);
	}
	return run_once(s, st, err);
}

int
sqlite_peer_mark(struct site *s, const char *peer, long long *mark,
    struct sp_error *err)
{
	return step_int(s, prepare_peer(s, "SELECT acked_lseq FROM "
	    "syncpack_peer WHERE site = ?1", peer, 0, 0, err), mark, 0, err);
}

int
sqlite_peer_mark_lower(struct site *s, const char *peer, long long mark,
    struct sp_error *err)
{
	return run_once(s, prepare_peer(s, "UPDATE syncpack_peer SET "
	    "acked_lseq = min(acked_lseq, ?2) WHERE site = ?1", peer, 1, mark,
	    err), err);
}

int
sqlite_peer_mark_acked(struct site *s, const char *peer, long long mark,
    struct sp_error *err)
{
	return run_once(s, prepare_peer(s, "UPDATE syncpack_peer SET "
	    "acked_lseq = max(acked_lseq, ?2), last_acked = strftime("
	    "'%Y-%m-%dT%H:%M:%SZ', 'now') WHERE site = ?1", peer, 1, mark, err),
	    err);
}

int
sqlite_peers_min_mark(struct site *s, long long *mark, struct sp_error *err)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(s->db, "SELECT min(acked_lseq) FROM "
	    "syncpack_peer", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	return step_int(s, st, mark, 1, err);
}

int
sqlite_flows_out_uncover(struct site *s, const char *peer,
    struct sp_error *err)
{
	return run_once(s, prepare_peer(s, "UPDATE syncpack_flow SET covered = "
	    "-1 WHERE peer = ?1 AND direction = 'out'", peer, 0, 0, err), err);
}

/* The flows store_flows_unacked_in walks and store_flows_ack_in marks. */
#define UNACKED_IN "peer = ?1 AND direction = 'in' AND kind IN ('data', " \
	"'answer') AND NOT acked AND (status IN ('applied', 'partial', " \
	"'superseded') OR (status = 'refused' AND refused))"

int
sqlite_flows_unacked_in(struct site *s, const char *peer, int refused,
    store_flow_in_cb cb, void *ctx, struct sp_error *err)
{
	sqlite3_stmt *st = prepare_peer(s, "SELECT flow, status, n_applied, "
	    "n_skipped, n_conflict, n_rejected, n_held, sha256, reason FROM "
	    "syncpack_flow WHERE " UNACKED_IN " AND refused = ?2 ORDER BY "
	    "flow", peer, 1, refused != 0, err);
	int r;

	if (st == NULL)
		return -1;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_flow_in f = {
			.flow = sqlite3_column_int64(st, 0),
			.status = (const char *)sqlite3_column_text(st, 1),
			.n = {
				.applied = sqlite3_column_int64(st, 2),
				.skipped = sqlite3_column_int64(st, 3),
				.conflict = sqlite3_column_int64(st, 4),
				.rejected = sqlite3_column_int64(st, 5),
				.held = sqlite3_column_int64(st, 6),
			},
		};

		if (sqlite3_column_type(st, 7) == SQLITE_TEXT)
			f.sha256 = (const char *)sqlite3_column_text(st, 7);
		if (sqlite3_column_type(st, 8) == SQLITE_TEXT)
			f.reason = (const char *)sqlite3_column_text(st, 8);
		if (cb(ctx, &f, err) != 0)
			break;
	}
	sqlite3_finalize(st);
	if (r == SQLITE_ROW)
		return -1;
	return r == SQLITE_DONE ? 0 : site_sqlite_error(s, err, s->path);
}

int
sqlite_flows_ack_in(struct site *s, const char *peer, struct sp_error *err)
{
	return run_once(s, prepare_peer(s, "UPDATE syncpack_flow SET acked = 1 "
	    "WHERE " UNACKED_IN, peer, 0, 0, err), err);
}

#undef UNACKED_IN

/* Prepares sql, an answer of peer to its outgoing flow f: ?1 peer, ?2 f,
 * ?3 sha256 (NULL binds NULL: not said). NULL with err set on error. */
static sqlite3_stmt *
prepare_answer(struct site *s, const char *sql, const char *peer,
    long long f, const char *sha256, struct sp_error *err)
{
	sqlite3_stmt *st = prepare_peer(s, sql, peer, 1, f, err);

	if (st != NULL && sqlite3_bind_text(st, 3, sha256, -1, SQLITE_STATIC)
	    != SQLITE_OK) {
		site_sqlite_error(s, err, s->path);
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

/* The outgoing flow an answer is about: the file written under that id,
 * not one written before a restore of this site. */
#define ANSWERED_OUT "peer = ?1 AND direction = 'out' AND flow = ?2 AND " \
	"(?3 IS NULL OR sha256 IS NULL OR sha256 = ?3)"

int
sqlite_flow_ack_out(struct site *s, const char *peer, long long f,
    const char *sha256, long long *covered, struct sp_error *err)
{
	return step_int(s, prepare_answer(s, "UPDATE syncpack_flow SET acked = "
	    "1, status = iif(refused, 'sent', status), refused = 0, reason = "
	    "NULL WHERE " ANSWERED_OUT " RETURNING covered", peer, f, sha256,
	    err), covered, 0, err);
}

int
sqlite_flow_refused_out(struct site *s, const char *peer, long long f,
    const char *sha256, const char *reason, struct sp_error *err)
{
	sqlite3_stmt *st = prepare_answer(s, "UPDATE syncpack_flow SET acked = "
	    "1, status = 'refused', refused = 1, reason = ?4 WHERE kind = 'data'"
	    " AND " ANSWERED_OUT " RETURNING flow", peer, f, sha256, err);
	long long got;

	if (st != NULL && sqlite3_bind_text(st, 4, reason, -1, SQLITE_STATIC)
	    != SQLITE_OK) {
		site_sqlite_error(s, err, s->path);
		sqlite3_finalize(st);
		return -1;
	}
	return step_int(s, st, &got, 0, err);
}

#undef ANSWERED_OUT

int
sqlite_flow_request_complete(struct site *s, const char *peer, long long f,
    struct sp_error *err)
{
	return run_once(s, prepare_peer(s, "UPDATE syncpack_flow SET status = "
	    "'complete' WHERE peer = ?1 AND direction = 'out' AND kind = "
	    "'request' AND flow = (SELECT i.link FROM syncpack_flow o JOIN "
	    "syncpack_flow i ON i.peer = o.peer AND i.direction = 'in' AND "
	    "i.kind = 'answer' AND i.flow = o.link WHERE o.peer = ?1 AND "
	    "o.direction = 'out' AND o.kind = 'answer' AND o.flow = ?2)", peer,
	    1, f, err), err);
}
