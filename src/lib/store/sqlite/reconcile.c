/* reconcile.c: the flows and moves of a reconciliation
 * (store/reconcile.h) over a site's SQLite connection. */
#include "store/reconcile.h"
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
store_recon_answered(struct site *s, const char *peer, uint64_t flow,
    struct sp_error *err)
{
	return flow_exists(s, "SELECT 1 FROM syncpack_flow WHERE peer = ? AND "
	    "direction = 'out' AND kind = 'answer' AND link = ?", peer, flow,
	    err);
}

int
store_recon_applied(struct site *s, const char *peer, uint64_t flow,
    struct sp_error *err)
{
	return flow_exists(s, "SELECT 1 FROM syncpack_flow WHERE peer = ? AND "
	    "direction = 'in' AND flow = ? AND status IN ('applied', "
	    "'partial')", peer, flow, err);
}

int
store_recon_log_request(struct site *s, const struct sxf_header *h,
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

int
store_recon_moves(struct site *s, long long table_id, const char *from,
    const char *to, store_guid_cb cb, void *ctx, struct sp_error *err)
{
	sqlite3_stmt *st;
	int r = SQLITE_DONE, rc = 0;

	if (sqlite3_prepare_v2(s->db, "SELECT r.guid FROM syncpack_record r "
	    "JOIN syncpack_transfer t ON t.guid = r.guid WHERE r.tbl = ?1 AND "
	    "r.rkey IS NOT NULL AND t.from_site = ?2 AND t.to_site = ?3 AND "
	    "t.state = 'in transit' ORDER BY r.lseq", -1, &st, NULL)
	    != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	if (sqlite3_bind_int64(st, 1, table_id) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, from, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 3, to, -1, SQLITE_STATIC) != SQLITE_OK) {
		sqlite3_finalize(st);
		return site_sqlite_error(s, err, s->path);
	}
	while (rc == 0 && (r = sqlite3_step(st)) == SQLITE_ROW)
		rc = cb(ctx, (const char *)sqlite3_column_text(st, 0), err);
	if (rc == 0 && r != SQLITE_DONE)
		rc = site_sqlite_error(s, err, s->path);
	sqlite3_finalize(st);
	return rc != 0 ? -1 : 0;
}

int
store_recon_moves_sent(struct site *s, const char *from, const char *to,
    uint64_t flow, struct sp_error *err)
{
	char *sql = sqlite3_mprintf("UPDATE syncpack_transfer SET flow = %llu "
	    "WHERE from_site = '%q' AND to_site = '%q' AND state = 'in transit'"
	    " AND flow = 0", (unsigned long long)flow, from, to);
	int r;

	if (sql == NULL)
		return sp_error_set(err, "out of memory");
	r = site_exec(s, sql, err);
	sqlite3_free(sql);
	return r;
}
