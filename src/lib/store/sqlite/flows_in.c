/* flows_in.c: the incoming rows of syncpack_flow and the peers'
 * last_received (store/flows_in.h). */
#include "store/flows_in.h"
#include "store/sqlite/sql.h"

int
store_flow_in_state(struct site *s, const char *peer, long long flow,
    const char *created, int *applied, int *later, int *reused,
    struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	*applied = *later = *reused = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT (SELECT count(*) FROM "
	    "syncpack_flow WHERE peer = ?1 AND direction = 'in' AND flow = ?2 "
	    "AND status IN ('applied', 'partial', 'superseded')), (SELECT "
	    "count(*) FROM syncpack_flow WHERE peer = ?1 AND direction = 'in' "
	    "AND kind = 'data' AND flow > ?2 AND status IN ('applied', "
	    "'partial')), (SELECT count(*) FROM syncpack_flow WHERE peer = ?1 "
	    "AND direction = 'in' AND flow = ?2 AND ready IS NOT ?3)", -1, &st,
	    NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)flow);
	sqlite3_bind_text(st, 3, created, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		*applied = sqlite3_column_int(st, 0) > 0;
		*later = sqlite3_column_int(st, 1) > 0;
		*reused = sqlite3_column_int(st, 2) > 0;
	}
	sqlite3_finalize(st);
	return r == SQLITE_ROW ? 0 : site_sqlite_error(s, err, s->path);
}

int
store_flow_in_start(struct site *s, const char *peer, long long flow,
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

int
store_flow_in_finish(struct site *s, const char *peer, long long flow,
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
	return site_step_text(s, "UPDATE syncpack_peer SET last_received = "
	    "strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE site = ?", peer, err)
	    < 0 ? -1 : 0;
}
