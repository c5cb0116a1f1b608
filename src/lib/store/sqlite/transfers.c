/* transfers.c: syncpack_transfer and the records that leave with a move
 * (store/transfers.h). */
#include <string.h>

#include "store/transfers.h"
#include "store/sqlite/key_sql.h"
#include "store/sqlite/backend.h"
#include "store/sqlite/sql.h"

/* Steps st, finalizing it, and calls cb with the text of its first
 * column on each row. */
static int
walk_text(struct site *s, sqlite3_stmt *st,
    int (*cb)(void *, const char *, struct sp_error *), void *ctx,
    struct sp_error *err)
{
	int r;

	while ((r = sqlite3_step(st)) == SQLITE_ROW)
		if (cb(ctx, (const char *)sqlite3_column_text(st, 0), err) != 0) {
			sqlite3_finalize(st);
			return -1;
		}
	sqlite3_finalize(st);
	return r == SQLITE_DONE ? 0 : site_sqlite_error(s, err, s->path);
}

int
sqlite_transfers_unreported(struct site *s, store_transfer_cb cb, void *ctx,
    struct sp_error *err)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(s->db, "SELECT json_object('guid', guid, "
	    "'table', tbl, 'from', from_site, 'to', to_site, 'flow', flow, "
	    "'at', at, 'state', state) FROM syncpack_transfer WHERE NOT "
	    "reported ORDER BY at", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	return walk_text(s, st, cb, ctx, err);
}

int
sqlite_transfers_reported(struct site *s, struct sp_error *err)
{
	return site_exec(s, "UPDATE syncpack_transfer SET reported = 1", err);
}

int
sqlite_transfer_merge(struct site *s, const char *line, size_t len,
    struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO syncpack_transfer("
	    "guid, tbl, from_site, to_site, flow, at, state, reported) SELECT "
	    "j ->> 'guid', j ->> 'table', j ->> 'from', j ->> 'to', j ->> "
	    "'flow', j ->> 'at', j ->> 'state', 1 FROM (SELECT json(?) AS j) "
	    "WHERE j ->> 'guid' IS NOT NULL AND j ->> 'from' IS NOT NULL AND "
	    "j ->> 'to' IS NOT NULL", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	/* A failed bind fails the step, which says the same. */
	sqlite3_bind_text(st, 1, line, (int)len, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	return r == SQLITE_DONE ? 0 : 1;
}

int
sqlite_transfers_refuse(struct site *s, const char *peer, long long upto,
    struct sp_error *err)
{
	return site_exec_owned(s, sqlite3_mprintf(
	    "UPDATE syncpack_record SET flags = flags & ~2 WHERE guid IN "
	    "(SELECT t.guid FROM syncpack_transfer t JOIN syncpack_protocol p "
	    "ON p.guid = t.guid AND p.peer = t.to_site AND p.direction = 'out' "
	    "AND p.flow = %lld AND p.outcome = 'rejected' WHERE t.from_site = "
	    "'%q' AND t.to_site = '%q' AND t.state = 'in transit' AND t.flow "
	    "BETWEEN 1 AND %lld);"
	    "UPDATE syncpack_transfer SET state = 'refused', reported = 0 WHERE "
	    "from_site = '%q' AND to_site = '%q' AND state = 'in transit' AND "
	    "flow BETWEEN 1 AND %lld AND guid IN (SELECT guid FROM "
	    "syncpack_protocol WHERE peer = '%q' AND direction = 'out' AND "
	    "flow = %lld AND outcome = 'rejected')", upto, s->id, peer, upto,
	    s->id, peer, upto, peer, upto), err);
}

int
sqlite_transfers_in_transit(struct site *s, const char *peer, long long upto,
    store_transit_cb cb, void *ctx, struct sp_error *err)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(s->db, "SELECT t.guid FROM syncpack_transfer t "
	    "JOIN syncpack_record r ON r.guid = t.guid JOIN syncpack_table tb ON "
	    "tb.id = r.tbl WHERE t.from_site = ?1 AND t.to_site = ?2 AND "
	    "t.state = 'in transit' AND t.flow BETWEEN 1 AND ?3", -1, &st, NULL)
	    != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	if (sqlite3_bind_text(st, 1, s->id, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, peer, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 3, upto) != SQLITE_OK) {
		site_sqlite_error(s, err, s->path);
		sqlite3_finalize(st);
		return -1;
	}
	return walk_text(s, st, cb, ctx, err);
}

/* Deletes the application row of guid, if it has one. */
static int
delete_row(struct site *s, const char *guid, struct sp_error *err)
{
	sqlite3_stmt *st, *del;
	char *q, *match;
	int r;

	if (sqlite3_prepare_v2(s->db, "SELECT tb.name, tb.pk, r.rkey FROM "
	    "syncpack_record r JOIN syncpack_table tb ON tb.id = r.tbl WHERE "
	    "r.guid = ?", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	if (sqlite3_bind_text(st, 1, guid, -1, SQLITE_STATIC) != SQLITE_OK) {
		site_sqlite_error(s, err, s->path);
		sqlite3_finalize(st);
		return -1;
	}
	if ((r = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return r == SQLITE_DONE ? 0 : site_sqlite_error(s, err, s->path);
	}
	match = key_sql_match((const char *)sqlite3_column_text(st, 1), NULL,
	    "?1");
	q = match ? sqlite3_mprintf("DELETE FROM \"%w\" WHERE %s",
	    sqlite3_column_text(st, 0), match) : NULL;
	sqlite3_free(match);
	if (q == NULL) {
		sqlite3_finalize(st);
		return sp_error_set(err, "out of memory");
	}
	r = sqlite3_prepare_v2(s->db, q, -1, &del, NULL);
	sqlite3_free(q);
	if (r != SQLITE_OK) {
		site_sqlite_error(s, err, s->path);
		sqlite3_finalize(st);
		return -1;
	}
	if (sqlite3_bind_value(del, 1, sqlite3_column_value(st, 2))
	    == SQLITE_OK)
		r = sqlite3_step(del);
	else
		r = SQLITE_ERROR;
	sqlite3_finalize(del);
	sqlite3_finalize(st);
	return r == SQLITE_DONE ? 0 : site_sqlite_error(s, err, s->path);
}

int
sqlite_move_complete(struct site *s, const char *guid, const char *peer,
    struct sp_error *err)
{
	if (delete_row(s, guid, err) != 0)
		return -1;
	return site_exec_owned(s, sqlite3_mprintf("DELETE FROM syncpack_record "
	    "WHERE guid = '%q'; UPDATE syncpack_transfer SET state = 'done', "
	    "reported = 0 WHERE guid = '%q' AND from_site = '%q' AND to_site = '%q' AND "
	    "state = 'in transit'", guid, guid, s->id, peer), err);
}
