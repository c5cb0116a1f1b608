/* flows_in.c: the incoming rows of syncpack_flow and the peers'
 * last_received (store/flows_in.h). */
#include "store/flows_in.h"
#include "store/sqlite/backend.h"
#include "store/sqlite/sql.h"

int
sqlite_flow_in_state(struct site *s, const char *peer, long long flow,
    const char *created, int *applied, int *later, int *reused,
    int *refused, struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	*applied = *later = *reused = *refused = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT (SELECT count(*) FROM "
	    "syncpack_flow WHERE peer = ?1 AND direction = 'in' AND flow = ?2 "
	    "AND status IN ('applied', 'partial', 'superseded')), (SELECT "
	    "count(*) FROM syncpack_flow WHERE peer = ?1 AND direction = 'in' "
	    "AND kind = 'data' AND flow > ?2 AND status IN ('applied', "
	    "'partial')), (SELECT count(*) FROM syncpack_flow WHERE peer = ?1 "
	    "AND direction = 'in' AND flow = ?2 AND ready IS NOT ?3), (SELECT "
	    "count(*) FROM syncpack_flow WHERE peer = ?1 AND direction = 'in' "
	    "AND flow = ?2 AND status = 'refused' AND refused)", -1, &st, NULL)
	    != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)flow);
	sqlite3_bind_text(st, 3, created, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		*applied = sqlite3_column_int(st, 0) > 0;
		*later = sqlite3_column_int(st, 1) > 0;
		*reused = sqlite3_column_int(st, 2) > 0;
		*refused = sqlite3_column_int(st, 3) > 0;
	}
	sqlite3_finalize(st);
	return r == SQLITE_ROW ? 0 : site_sqlite_error(s, err, s->path);
}

int
sqlite_flow_in_start(struct site *s, const char *peer, long long flow,
    const char *kind, long long link, const char *file, const char *created,
    struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(s->db, "INSERT INTO syncpack_flow(peer, "
	    "direction, flow, kind, link, file, ready, started, executions, "
	    "status) VALUES (?1, 'in', ?2, ?3, ?4, ?5, ?6, strftime("
	    "'%Y-%m-%dT%H:%M:%SZ', 'now'), 1, 'running') ON CONFLICT(peer, "
	    "direction, flow) DO UPDATE SET executions = executions + 1, "
	    "file = ?5, started = coalesce(started, strftime("
	    "'%Y-%m-%dT%H:%M:%SZ', 'now')), status = 'running'", -1, &st, NULL)
	    != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)flow);
	sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)link);
	sqlite3_bind_text(st, 5, file, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, created, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	return r == SQLITE_DONE ? 0 : site_sqlite_error(s, err, s->path);
}

/* Stamps peer's last_received with the time now. */
static int
heard_from(struct site *s, const char *peer, struct sp_error *err)
{
	return site_step_text(s, "UPDATE syncpack_peer SET last_received = "
	    "strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE site = ?", peer, err)
	    < 0 ? -1 : 0;
}

int
sqlite_flow_in_finish(struct site *s, const char *peer, long long flow,
    const char *status, const char *sha256,
    const struct store_flow_counts *n, long long covered,
    struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(s->db, "UPDATE syncpack_flow SET status = ?3, "
	    "ended = strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), sha256 = "
	    "coalesce(?4, sha256), n_applied = ?5, n_skipped = ?6, n_conflict ="
	    " ?7, n_rejected = ?8, n_held = ?9, covered = ?10 WHERE peer = ?1 "
	    "AND direction = 'in' AND flow = ?2", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)flow);
	sqlite3_bind_text(st, 3, status, -1, SQLITE_STATIC);
	if (sha256 != NULL && sha256[0])
		sqlite3_bind_text(st, 4, sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, n ? n->applied : 0);
	sqlite3_bind_int64(st, 6, n ? n->skipped : 0);
	sqlite3_bind_int64(st, 7, n ? n->conflict : 0);
	sqlite3_bind_int64(st, 8, n ? n->rejected : 0);
	sqlite3_bind_int64(st, 9, n ? n->held : 0);
	sqlite3_bind_int64(st, 10, covered);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	if (r != SQLITE_DONE)
		return site_sqlite_error(s, err, s->path);
	return heard_from(s, peer, err);
}

int
sqlite_flow_in_refuse(struct site *s, const struct store_flow_refusal *f,
    struct sp_error *err)
{
	/* %Q: the text quoted, or NULL for a NULL pointer. */
	if (site_exec_owned(s, sqlite3_mprintf("INSERT INTO syncpack_flow(peer,"
	    " direction, flow, kind, link, file, sha256, ready, ended, status, "
	    "covered, refused, reason) VALUES (%Q, 'in', %lld, 'data', %lld, "
	    "%Q, %Q, %Q, strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', 'now'), "
	    "'refused', %lld, 1, %Q) ON CONFLICT(peer, direction, flow) DO "
	    "UPDATE SET kind = 'data', link = excluded.link, file = "
	    "excluded.file, sha256 = excluded.sha256, ended = excluded.ended, "
	    "status = 'refused', covered = excluded.covered, refused = 1, "
	    "reason = excluded.reason, acked = 0, n_applied = 0, n_skipped = 0, "
	    "n_conflict = 0, n_rejected = 0, n_held = 0", f->peer, f->flow,
	    f->link, f->file, f->sha256, f->created, f->covered, f->reason), err)
	    != 0)
		return -1;
	return heard_from(s, f->peer, err);
}
