/* status_pg.c: the counts of a site's status (store/status.h) of a
 * PostgreSQL site. */
#include "store/pg/backend.h"
#include "store/pg/pg.h"
#include "store/status.h"

/* Rejections that still stand: the record has not changed since. */
#define REJECTIONS "(SELECT count(*) FROM syncpack.protocol p JOIN " \
	"syncpack.flow f ON f.peer = p.peer AND f.direction = 'out' AND " \
	"f.flow = p.flow JOIN syncpack.record r ON r.guid = p.guid WHERE " \
	"p.peer = e.site AND p.direction = 'out' AND p.outcome = 'rejected' " \
	"AND r.lseq <= f.covered)"
/* A failed incoming file stands until a later one from the peer
 * applies. */
#define FAILED "(SELECT count(*) FROM syncpack.flow f WHERE f.peer = e.site " \
	"AND f.direction = 'in' AND f.status IN ('refused', 'failed', " \
	"'running') AND NOT EXISTS (SELECT 1 FROM syncpack.flow g WHERE " \
	"g.peer = f.peer AND g.direction = 'in' AND g.flow > f.flow AND " \
	"g.status IN ('applied', 'partial')))"
/* A refused file is made up for by the acknowledgement of a later one:
 * files are cumulative, the later one carried its records again. */
#define REFUSED "(SELECT count(*) FROM syncpack.flow f WHERE f.peer = " \
	"e.site AND f.direction = 'out' AND f.status = 'refused' AND " \
	"f.refused <> 0 AND NOT EXISTS (SELECT 1 FROM syncpack.flow g WHERE " \
	"g.peer = f.peer AND g.direction = 'out' AND g.kind = 'data' AND " \
	"g.flow > f.flow AND g.acked <> 0 AND g.refused = 0))"

static const char *
text_or_null(PGresult *res, int i, int col)
{
	return PQgetisnull(res, i, col) ? NULL : PQgetvalue(res, i, col);
}

struct status_walk {
	store_peer_status_cb cb;
	void *ctx;
};

static int
status_row(void *ctx, PGresult *res, int i, struct sp_error *err)
{
	struct status_walk *w = ctx;
	struct store_peer_status p = {
		.peer = PQgetvalue(res, i, 0),
		.last_sent = text_or_null(res, i, 1),
		.last_received = text_or_null(res, i, 2),
		.last_acked = text_or_null(res, i, 3),
		.added = text_or_null(res, i, 4),
		.expect = pg_ll(res, i, 5),
		.held = pg_ll(res, i, 6),
		.conflicts = pg_ll(res, i, 7),
		.rejections = pg_ll(res, i, 8),
		.failed = pg_ll(res, i, 9),
		.refused = pg_ll(res, i, 10),
	};

	return w->cb(w->ctx, &p, err) != 0 ? -1 : 0;
}

int
pg_status_peers(struct site *s, store_peer_status_cb cb, void *ctx,
    struct sp_error *err)
{
	struct status_walk w = { cb, ctx };

	/* One statement: every count from the same snapshot. */
	return pg_each(s, "SELECT e.site, e.last_sent, e.last_received, "
	    "e.last_acked, e.added, e.expect, (SELECT count(*) FROM "
	    "syncpack.held h WHERE h.peer = e.site), (SELECT count(*) FROM "
	    "syncpack.conflict c WHERE c.peer = e.site AND c.resolved IS NULL), "
	    REJECTIONS ", " FAILED ", " REFUSED " FROM syncpack.peer e ORDER BY "
	    "e.site COLLATE \"C\"", 0, NULL, status_row, &w, err) != 0 ? -1 : 0;
}
