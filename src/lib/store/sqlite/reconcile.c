/* reconcile.c: the flows of a reconciliation
 * (store/reconcile.h) over a site's SQLite connection. */
#include "store/reconcile.h"
#include "store/sqlite/backend.h"
#include "store/sqlite/sql.h"

/* Steps sql with peer as ?1 and flow as ?2: 1 on a row, 0 without. */
static int
flow_exists(struct site *s, const char *sql, const char *peer,
    uint64_t flow, struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	if (sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, (sqlite3_int64)flow) != SQLITE_OK) {
		sqlite3_finalize(st);
		return site_sqlite_error(s, err, s->path);
	}
	r = sqlite3_step(st);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		site_sqlite_error(s, err, s->path);
	sqlite3_finalize(st);
	return r == SQLITE_ROW ? 1 : r == SQLITE_DONE ? 0 : -1;
}

int
sqlite_recon_answered(struct site *s, const char *peer, uint64_t flow,
    struct sp_error *err)
{
	return flow_exists(s, "SELECT 1 FROM syncpack_flow WHERE peer = ? AND "
	    "direction = 'out' AND kind = 'answer' AND link = ?", peer, flow,
	    err);
}

int
sqlite_recon_applied(struct site *s, const char *peer, uint64_t flow,
    struct sp_error *err)
{
	return flow_exists(s, "SELECT 1 FROM syncpack_flow WHERE peer = ? AND "
	    "direction = 'in' AND flow = ? AND status IN ('applied', "
	    "'partial')", peer, flow, err);
}

int
sqlite_recon_log_request(struct site *s, const struct sxf_header *h,
    const char *file, const char *sha, struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO syncpack_flow("
	    "peer, direction, flow, kind, link, file, sha256, ready, started, "
	    "ended, executions, status) VALUES (?, 'in', ?, ?, ?, ?, ?, ?, "
	    "strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), strftime("
	    "'%Y-%m-%dT%H:%M:%SZ', 'now'), 1, 'answered')", -1, &st, NULL)
	    != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	if (sqlite3_bind_text(st, 1, h->from, -1, SQLITE_STATIC) != SQLITE_OK
	    || sqlite3_bind_int64(st, 2, (sqlite3_int64)h->flow) != SQLITE_OK
	    || sqlite3_bind_text(st, 3, h->kind, -1, SQLITE_STATIC) != SQLITE_OK
	    || sqlite3_bind_int64(st, 4, (sqlite3_int64)h->link) != SQLITE_OK
	    || sqlite3_bind_text(st, 5, file, -1, SQLITE_STATIC) != SQLITE_OK
	    || sqlite3_bind_text(st, 6, sha, -1, SQLITE_STATIC) != SQLITE_OK
	    || sqlite3_bind_text(st, 7, h->created, -1, SQLITE_STATIC)
	    != SQLITE_OK) {
		sqlite3_finalize(st);
		return site_sqlite_error(s, err, s->path);
	}
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	return r == SQLITE_DONE ? 0 : site_sqlite_error(s, err, s->path);
}
