/* status.c: the counts of a site's status (store/status.h) over a site's
 * SQLite connection. */
#include "store/status.h"
#include "store/sqlite/backend.h"
#include "store/sqlite/sql.h"

/* Runs a count query: ?1 is the peer (when given), ?2 whether this site is
 * the hub, ?3 this site's id, each bound only when the query uses it.
 * Returns the count, or -1 with err set. */
static long long
count(struct site *s, const char *sql, const char *peer,
    struct sp_error *err)
{
	sqlite3_stmt *st;
	long long n = -1;
	int params, r = SQLITE_OK;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		site_sqlite_error(s, err, s->path);
		return -1;
	}
	params = sqlite3_bind_parameter_count(st);
	if (peer != NULL && params >= 1)
		r = sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
	if (r == SQLITE_OK && params >= 2)
		r = sqlite3_bind_int(st, 2, s->hub);
	if (r == SQLITE_OK && params >= 3)
		r = sqlite3_bind_text(st, 3, s->id, -1, SQLITE_STATIC);
	if (r == SQLITE_OK && (r = sqlite3_step(st)) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	else
		site_sqlite_error(s, err, s->path);
	sqlite3_finalize(st);
	return n;
}

/* Rejections that still stand: the record has not changed since. */
static const char rejections_sql[] =
    "SELECT count(*) FROM syncpack_protocol p JOIN syncpack_flow f ON "
    "f.peer = p.peer AND f.direction = 'out' AND f.flow = p.flow JOIN "
    "syncpack_record r ON r.guid = p.guid WHERE p.peer = ?1 AND "
    "p.direction = 'out' AND p.outcome = 'rejected' AND r.lseq <= f.covered";

/* A failed incoming file stands until a later one from the peer applies. */
static const char failed_sql[] =
    "SELECT count(*) FROM syncpack_flow f WHERE peer = ?1 AND direction = "
    "'in' AND status IN ('refused', 'failed', 'running') AND NOT EXISTS "
    "(SELECT 1 FROM syncpack_flow g WHERE g.peer = f.peer AND "
    "g.direction = 'in' AND g.flow > f.flow AND g.status IN ('applied', "
    "'partial'))";
/* A refused file is made up for by the acknowledgement of a later one:
 * files are cumulative, the later one carried its records again. */
static const char refused_sql[] =
    "SELECT count(*) FROM syncpack_flow f WHERE f.peer = ?1 AND "
    "f.direction = 'out' AND f.status = 'refused' AND f.refused AND NOT "
    "EXISTS (SELECT 1 FROM syncpack_flow g WHERE g.peer = f.peer AND "
    "g.direction = 'out' AND g.kind = 'data' AND g.flow > f.flow AND "
    "g.acked AND NOT g.refused)";

int
sqlite_status_peers(struct site *s, store_peer_status_cb cb, void *ctx,
    struct sp_error *err)
{
	sqlite3_stmt *st;
	int r = SQLITE_DONE, rc = 0;

	if (sqlite3_prepare_v2(s->db, "SELECT site, last_sent, last_received, "
	    "last_acked, added, expect FROM syncpack_peer ORDER BY site", -1,
	    &st, NULL)
	    != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	while (rc == 0 && (r = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_peer_status p;

		p.peer = (const char *)sqlite3_column_text(st, 0);
		p.held = count(s, "SELECT count(*) FROM syncpack_held WHERE "
		    "peer = ?1", p.peer, err);
		p.conflicts = p.held < 0 ? -1 : count(s, "SELECT count(*) FROM "
		    "syncpack_conflict WHERE peer = ?1 AND resolved IS NULL",
		    p.peer, err);
		p.rejections = p.conflicts < 0 ? -1 : count(s, rejections_sql,
		    p.peer, err);
		p.failed = p.rejections < 0 ? -1 : count(s, failed_sql,
		    p.peer, err);
		p.refused = p.failed < 0 ? -1 : count(s, refused_sql,
		    p.peer, err);
		if (p.refused < 0) {
			rc = -1;
			break;
		}
		p.last_sent = (const char *)sqlite3_column_text(st, 1);
		p.last_received = (const char *)sqlite3_column_text(st, 2);
		p.last_acked = (const char *)sqlite3_column_text(st, 3);
		p.added = (const char *)sqlite3_column_text(st, 4);
		p.expect = sqlite3_column_int64(st, 5);
		rc = cb(ctx, &p, err);
	}
	if (rc == 0 && r != SQLITE_DONE)
		rc = site_sqlite_error(s, err, s->path);
	sqlite3_finalize(st);
	return rc != 0 ? -1 : 0;
}
