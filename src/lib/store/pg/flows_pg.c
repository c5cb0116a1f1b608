/* flows_pg.c: syncpack.flow, the peers' marks and the next flow id
 * (store/flows.h) of a PostgreSQL site. */
#include <stdlib.h>

#include "store/flows.h"
#include "store/pg/backend.h"
#include "store/pg/pg.h"

int
pg_flow_add_out(struct site *s, const struct store_flow_out *f,
    struct sp_error *err)
{
	char flow[PG_INT_LEN], link[PG_INT_LEN], covered[PG_INT_LEN];
	const char *p[7] = { f->peer, pg_int(flow, (long long)f->flow),
	    f->kind, pg_int(link, (long long)f->link), f->file, f->sha256,
	    pg_int(covered, f->covered) };

	return pg_exec(s, "INSERT INTO syncpack.flow(peer, direction, flow, "
	    "kind, link, file, sha256, ready, status, covered) VALUES ($1, "
	    "'out', $2, $3, $4, $5, $6, " PG_NOW ", 'sent', $7)", 7, p, err);
}

int
pg_peer_sent(struct site *s, const char *peer, struct sp_error *err)
{
	return pg_exec(s, "UPDATE syncpack.peer SET last_sent = " PG_NOW
	    " WHERE site = $1", 1, &peer, err);
}

int
pg_flow_last_in(struct site *s, const char *peer, long long *flow,
    char **sha256, struct sp_error *err)
{
	return pg_get_int_text(s, "SELECT flow, sha256 FROM syncpack.flow "
	    "WHERE peer = $1 AND direction = 'in' ORDER BY flow DESC LIMIT 1",
	    1, &peer, flow, sha256, err);
}

int
pg_flow_out_sha256(struct site *s, const char *peer, long long flow,
    char **sha256, struct sp_error *err)
{
	char f[PG_INT_LEN];
	const char *p[2] = { peer, pg_int(f, flow) };
	long long got;

	return pg_get_int_text(s, "SELECT flow, sha256 FROM syncpack.flow "
	    "WHERE peer = $1 AND direction = 'out' AND flow = $2", 2, p, &got,
	    sha256, err);
}

int
pg_next_flow_peek(struct site *s, long long *next, struct sp_error *err)
{
	return pg_get_int(s, "SELECT next_flow FROM syncpack.site WHERE id = 1",
	    0, NULL, next, 0, err);
}

int
pg_next_flow_raise(struct site *s, long long seen, struct sp_error *err)
{
	char n[PG_INT_LEN];
	const char *p[1] = { pg_int(n, seen) };

	/* Most files raise nothing: no new row version, no row lock that
	 * two applying sessions would wait on. */
	return pg_exec(s, "UPDATE syncpack.site SET next_flow = $1::bigint + 1"
	    " WHERE id = 1 AND next_flow < $1::bigint + 1", 1, p, err);
}

int
pg_next_flow(struct site *s, uint64_t *flow, struct sp_error *err)
{
	long long n;
	int r = pg_get_int(s, "UPDATE syncpack.site SET next_flow = next_flow "
	    "+ 1 WHERE id = 1 RETURNING next_flow - 1", 0, NULL, &n, 0, err);

	if (r == 0)
		return sp_error_set(err, "%s: no site row", s->path);
	if (r < 0)
		return -1;
	*flow = (uint64_t)n;
	return 0;
}

int
pg_peer_mark(struct site *s, const char *peer, long long *mark,
    struct sp_error *err)
{
	return pg_get_int(s, "SELECT acked_lseq FROM syncpack.peer WHERE site "
	    "= $1", 1, &peer, mark, 0, err);
}

/* Runs sql with $1 peer and $2 mark. */
static int
peer_number(struct site *s, const char *sql, const char *peer,
    long long mark, struct sp_error *err)
{
	char m[PG_INT_LEN];
	const char *p[2] = { peer, pg_int(m, mark) };

	return pg_exec(s, sql, 2, p, err);
}

int
pg_peer_mark_lower(struct site *s, const char *peer, long long mark,
    struct sp_error *err)
{
	return peer_number(s, "UPDATE syncpack.peer SET acked_lseq = "
	    "least(acked_lseq, $2::bigint) WHERE site = $1", peer, mark, err);
}

int
pg_peer_mark_acked(struct site *s, const char *peer, long long mark,
    struct sp_error *err)
{
	return peer_number(s, "UPDATE syncpack.peer SET acked_lseq = "
	    "greatest(acked_lseq, $2::bigint), last_acked = " PG_NOW " WHERE "
	    "site = $1", peer, mark, err);
}

int
pg_peers_min_mark(struct site *s, long long *mark, struct sp_error *err)
{
	return pg_get_int(s, "SELECT min(acked_lseq) FROM syncpack.peer", 0,
	    NULL, mark, 1, err);
}

int
pg_flows_out_uncover(struct site *s, const char *peer, struct sp_error *err)
{
	return pg_exec(s, "UPDATE syncpack.flow SET covered = -1 WHERE peer = "
	    "$1 AND direction = 'out'", 1, &peer, err);
}

/* The flows store_flows_unacked_in walks and store_flows_ack_in marks. */
#define UNACKED_IN "peer = $1 AND direction = 'in' AND kind IN ('data', " \
	"'answer') AND acked = 0 AND (status IN ('applied', 'partial', " \
	"'superseded') OR (status = 'refused' AND refused <> 0))"

struct unacked_walk {
	store_flow_in_cb cb;
	void *ctx;
};

static int
unacked_row(void *ctx, PGresult *res, int i, struct sp_error *err)
{
	struct unacked_walk *w = ctx;
	struct store_flow_in f = {
		.flow = pg_ll(res, i, 0),
		.status = PQgetvalue(res, i, 1),
		.n = {
			.applied = pg_ll(res, i, 2),
			.skipped = pg_ll(res, i, 3),
			.conflict = pg_ll(res, i, 4),
			.rejected = pg_ll(res, i, 5),
			.held = pg_ll(res, i, 6),
		},
	};

	if (!PQgetisnull(res, i, 7))
		f.sha256 = PQgetvalue(res, i, 7);
	if (!PQgetisnull(res, i, 8))
		f.reason = PQgetvalue(res, i, 8);
	return w->cb(w->ctx, &f, err) != 0 ? -1 : 0;
}

int
pg_flows_unacked_in(struct site *s, const char *peer, int refused,
    store_flow_in_cb cb, void *ctx, struct sp_error *err)
{
	struct unacked_walk w = { cb, ctx };
	const char *p[2] = { peer, refused ? "1" : "0" };

	return pg_each(s, "SELECT flow, status, n_applied, n_skipped, "
	    "n_conflict, n_rejected, n_held, sha256, reason FROM syncpack.flow "
	    "WHERE " UNACKED_IN " AND refused = $2::integer ORDER BY flow", 2,
	    p, unacked_row, &w, err);
}

int
pg_flows_ack_in(struct site *s, const char *peer, struct sp_error *err)
{
	return pg_exec(s, "UPDATE syncpack.flow SET acked = 1 WHERE "
	    UNACKED_IN, 1, &peer, err);
}

#undef UNACKED_IN

/* The outgoing flow an answer is about: the file written under that id,
 * not one written before a restore of this site. */
#define ANSWERED_OUT "peer = $1 AND direction = 'out' AND flow = $2 AND " \
	"($3::text IS NULL OR sha256 IS NULL OR sha256 = $3)"

int
pg_flow_ack_out(struct site *s, const char *peer, long long f,
    const char *sha256, long long *covered, struct sp_error *err)
{
	char n[PG_INT_LEN];
	const char *p[3] = { peer, pg_int(n, f), sha256 };

	return pg_get_int(s, "UPDATE syncpack.flow SET acked = 1, status = "
	    "CASE WHEN refused <> 0 THEN 'sent' ELSE status END, refused = 0, "
	    "reason = NULL WHERE " ANSWERED_OUT " RETURNING covered", 3, p,
	    covered, 0, err);
}

int
pg_flow_refused_out(struct site *s, const char *peer, long long f,
    const char *sha256, const char *reason, struct sp_error *err)
{
	char n[PG_INT_LEN];
	const char *p[4] = { peer, pg_int(n, f), sha256, reason };
	long long got;

	return pg_get_int(s, "UPDATE syncpack.flow SET acked = 1, status = "
	    "'refused', refused = 1, reason = $4 WHERE kind = 'data' AND "
	    ANSWERED_OUT " RETURNING flow", 4, p, &got, 0, err);
}

#undef ANSWERED_OUT

int
pg_flow_request_complete(struct site *s, const char *peer, long long f,
    struct sp_error *err)
{
	return peer_number(s, "UPDATE syncpack.flow SET status = 'complete' "
	    "WHERE peer = $1 AND direction = 'out' AND kind = 'request' AND "
	    "flow = (SELECT i.link FROM syncpack.flow o JOIN syncpack.flow i ON "
	    "i.peer = o.peer AND i.direction = 'in' AND i.kind = 'answer' AND "
	    "i.flow = o.link WHERE o.peer = $1 AND o.direction = 'out' AND "
	    "o.kind = 'answer' AND o.flow = $2)", peer, f, err);
}
