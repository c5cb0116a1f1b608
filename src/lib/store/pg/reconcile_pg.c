/* reconcile_pg.c: the flows of a reconciliation (store/reconcile.h) and
 * the purging of tombstones (store/vacuum.h) of a PostgreSQL site. */
#include "store/pg/backend.h"
#include "store/pg/pg.h"
#include "store/reconcile.h"
#include "store/vacuum.h"

/* Runs sql with $1 peer and $2 flow: 1 on a row, 0 without. */
static int
flow_exists(struct site *s, const char *sql, const char *peer,
    uint64_t flow, struct sp_error *err)
{
	char f[PG_INT_LEN];
	const char *p[2] = { peer, pg_int(f, (long long)flow) };

	return pg_exists(s, sql, 2, p, err);
}

int
pg_recon_answered(struct site *s, const char *peer, uint64_t flow,
    struct sp_error *err)
{
	return flow_exists(s, "SELECT 1 FROM syncpack.flow WHERE peer = $1 AND "
	    "direction = 'out' AND kind = 'answer' AND link = $2", peer, flow,
	    err);
}

int
pg_recon_applied(struct site *s, const char *peer, uint64_t flow,
    struct sp_error *err)
{
	return flow_exists(s, "SELECT 1 FROM syncpack.flow WHERE peer = $1 AND "
	    "direction = 'in' AND flow = $2 AND status IN ('applied', "
	    "'partial')", peer, flow, err);
}

int
pg_recon_log_request(struct site *s, const struct sxf_header *h,
    const char *file, const char *sha, struct sp_error *err)
{
	char flow[PG_INT_LEN], link[PG_INT_LEN];
	const char *p[7] = { h->from, pg_int(flow, (long long)h->flow),
	    h->kind, pg_int(link, (long long)h->link), file, sha, h->created };

	return pg_exec(s, "INSERT INTO syncpack.flow(peer, direction, flow, "
	    "kind, link, file, sha256, ready, started, ended, executions, "
	    "status) VALUES ($1, 'in', $2, $3, $4, $5, $6, $7, " PG_NOW ", "
	    PG_NOW ", 1, 'answered') ON CONFLICT DO NOTHING", 7, p, err);
}

int
pg_tombstones_purge(struct site *s, long long upto, long long *purged,
    struct sp_error *err)
{
	char n[PG_INT_LEN];
	const char *p[1] = { pg_int(n, upto) };
	PGresult *res;

/* The tombstone of a merged record stays: versions of it still on their
 * way are versions of the record it merged into (syncpack(7), Keys). */
#define PURGEABLE "deleted <> 0 AND merged IS NULL AND lseq <= $1 AND " \
	"guid NOT IN (SELECT " \
	"guid FROM syncpack.conflict WHERE resolved IS NULL)"
	if (pg_exec(s, "INSERT INTO syncpack.purged(guid, tbl, origin, owner, "
	    "rowversion, hlc, hlc_site, purged) SELECT guid, tbl, origin, owner,"
	    " rowversion, hlc, hlc_site, " PG_NOW " FROM syncpack.record WHERE "
	    PURGEABLE " ON CONFLICT (guid) DO UPDATE SET tbl = excluded.tbl, "
	    "origin = excluded.origin, owner = excluded.owner, rowversion = "
	    "excluded.rowversion, hlc = excluded.hlc, hlc_site = "
	    "excluded.hlc_site, purged = excluded.purged", 1, p, err) != 0 ||
	    (res = pg_query(s, "DELETE FROM syncpack.record WHERE " PURGEABLE,
	    1, p, err)) == NULL)
		return -1;
#undef PURGEABLE
	if (purged != NULL)
		*purged = pg_changed(res);
	PQclear(res);
	return 0;
}

int
pg_purged_expire(struct site *s, int days, struct sp_error *err)
{
	char n[PG_INT_LEN];
	const char *p[1] = { pg_int(n, days) };

	return pg_exec(s, "DELETE FROM syncpack.purged WHERE purged < "
	    "to_char((now() - make_interval(days => $1::integer)) AT TIME ZONE "
	    "'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')", 1, p, err);
}
