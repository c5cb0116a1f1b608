/* flows_in_pg.c: the incoming rows of syncpack.flow and the peers'
 * last_received (store/flows_in.h) of a PostgreSQL site. */
#include "store/flows_in.h"
#include "store/pg/backend.h"
#include "store/pg/pg.h"

int
pg_flow_in_state(struct site *s, const char *peer, long long flow,
    const char *created, int *applied, int *later, int *reused,
    int *refused, struct sp_error *err)
{
	char f[PG_INT_LEN];
	const char *p[3] = { peer, pg_int(f, flow), created };
	PGresult *res;

	*applied = *later = *reused = *refused = 0;
	res = pg_query(s, "SELECT (SELECT count(*) FROM syncpack.flow WHERE "
	    "peer = $1 AND direction = 'in' AND flow = $2 AND status IN "
	    "('applied', 'partial', 'superseded')), (SELECT count(*) FROM "
	    "syncpack.flow WHERE peer = $1 AND direction = 'in' AND kind = "
	    "'data' AND flow > $2 AND status IN ('applied', 'partial')), "
	    "(SELECT count(*) FROM syncpack.flow WHERE peer = $1 AND direction "
	    "= 'in' AND flow = $2 AND ready IS DISTINCT FROM $3::text), (SELECT "
	    "count(*) FROM syncpack.flow WHERE peer = $1 AND direction = 'in' "
	    "AND flow = $2 AND status = 'refused' AND refused <> 0)", 3, p,
	    err);
	if (res == NULL)
		return -1;
	*applied = pg_ll(res, 0, 0) > 0;
	*later = pg_ll(res, 0, 1) > 0;
	*reused = pg_ll(res, 0, 2) > 0;
	*refused = pg_ll(res, 0, 3) > 0;
	PQclear(res);
	return 0;
}

int
pg_flow_in_start(struct site *s, const char *peer, long long flow,
    const char *kind, long long link, const char *file, const char *created,
    struct sp_error *err)
{
	char f[PG_INT_LEN], l[PG_INT_LEN];
	const char *p[6] = { peer, pg_int(f, flow), kind, pg_int(l, link),
	    file, created };

	return pg_exec(s, "INSERT INTO syncpack.flow(peer, direction, flow, "
	    "kind, link, file, ready, started, executions, status) VALUES ($1, "
	    "'in', $2, $3, $4, $5, $6, " PG_NOW ", 1, 'running') ON CONFLICT "
	    "(peer, direction, flow) DO UPDATE SET executions = "
	    "syncpack.flow.executions + 1, file = $5, started = "
	    "coalesce(syncpack.flow.started, " PG_NOW "), status = 'running'",
	    6, p, err);
}

/* Stamps peer's last_received with the time now. */
static int
heard_from(struct site *s, const char *peer, struct sp_error *err)
{
	return pg_exec(s, "UPDATE syncpack.peer SET last_received = " PG_NOW
	    " WHERE site = $1", 1, &peer, err);
}

int
pg_flow_in_finish(struct site *s, const char *peer, long long flow,
    const char *status, const char *sha256,
    const struct store_flow_counts *n, long long covered,
    struct sp_error *err)
{
	static const struct store_flow_counts none;
	char num[7][PG_INT_LEN];
	const char *p[10];

	if (n == NULL)
		n = &none;
	p[0] = peer;
	p[1] = pg_int(num[0], flow);
	p[2] = status;
	p[3] = sha256 != NULL && sha256[0] ? sha256 : NULL;
	p[4] = pg_int(num[1], n->applied);
	p[5] = pg_int(num[2], n->skipped);
	p[6] = pg_int(num[3], n->conflict);
	p[7] = pg_int(num[4], n->rejected);
	p[8] = pg_int(num[5], n->held);
	p[9] = pg_int(num[6], covered);
	if (pg_exec(s, "UPDATE syncpack.flow SET status = $3, ended = " PG_NOW
	    ", sha256 = coalesce($4, sha256), n_applied = $5, n_skipped = $6, "
	    "n_conflict = $7, n_rejected = $8, n_held = $9, covered = $10 WHERE "
	    "peer = $1 AND direction = 'in' AND flow = $2", 10, p, err) != 0)
		return -1;
	return heard_from(s, peer, err);
}

int
pg_flow_in_refuse(struct site *s, const struct store_flow_refusal *f,
    struct sp_error *err)
{
	char flow[PG_INT_LEN], link[PG_INT_LEN], covered[PG_INT_LEN];
	const char *p[8] = { f->peer, pg_int(flow, f->flow),
	    pg_int(link, f->link), f->file, f->sha256, f->created,
	    pg_int(covered, f->covered), f->reason };

	if (pg_exec(s, "INSERT INTO syncpack.flow(peer, direction, flow, kind, "
	    "link, file, sha256, ready, ended, status, covered, refused, "
	    "reason) VALUES ($1, 'in', $2, 'data', $3, $4, $5, $6, " PG_NOW ", "
	    "'refused', $7, 1, $8) ON CONFLICT (peer, direction, flow) DO "
	    "UPDATE SET kind = 'data', link = excluded.link, file = "
	    "excluded.file, sha256 = excluded.sha256, ended = excluded.ended, "
	    "status = 'refused', covered = excluded.covered, refused = 1, "
	    "reason = excluded.reason, acked = 0, n_applied = 0, n_skipped = 0, "
	    "n_conflict = 0, n_rejected = 0, n_held = 0", 8, p, err) != 0)
		return -1;
	return heard_from(s, f->peer, err);
}
