/* ack.c: writing and ingesting acknowledgements; vacuum. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sync/ack.h"
#include "store/sqlite/site_schema.h"
#include "store/sqlite/sql.h"

/* The protocol rows of one incoming flow, as a JSON array; NULL with err
 * set on error: an ack must not tell the sender its records were plainly
 * applied because their protocol could not be read. */
static json_t *
flow_protocol(struct site *s, const char *peer, long long flow,
    struct sp_error *err)
{
	json_t *list = json_array();
	sqlite3_stmt *st;
	int r;

	if (list == NULL) {
		sp_error_set(err, "out of memory");
		return NULL;
	}
	if (sqlite3_prepare_v2(s->db, "SELECT guid, tbl, outcome, reason FROM "
	    "syncpack_protocol WHERE peer = ? AND direction = 'in' AND flow = ? "
	    "ORDER BY rowid", -1, &st, NULL) != SQLITE_OK) {
		json_decref(list);
		site_sqlite_error(s, err, s->path);
		return NULL;
	}
	sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, flow);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *row = json_pack("{s:s, s:s, s:s}",
		    "guid", sqlite3_column_text(st, 0),
		    "table", sqlite3_column_text(st, 1),
		    "outcome", sqlite3_column_text(st, 2));
		if (row == NULL)
			break;
		if (sqlite3_column_type(st, 3) != SQLITE_NULL &&
		    json_object_set_new(row, "reason", json_string((const char *)
		    sqlite3_column_text(st, 3))) != 0) {
			json_decref(row);
			break;
		}
		if (json_array_append_new(list, row) != 0)
			break;
	}
	sqlite3_finalize(st);
	if (r != SQLITE_DONE) {
		json_decref(list);
		if (r == SQLITE_ROW)
			sp_error_set(err, "out of memory");
		else
			site_sqlite_error(s, err, s->path);
		return NULL;
	}
	return list;
}

/* transfers.jsonl: the hops of moved records not yet reported, so that the
 * hub holds the complete history of every record. */
static int
write_transfers(struct site *s, struct sxf_writer *w, struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	if (sxf_writer_member_begin(w, "transfers.jsonl", err) != 0)
		return -1;
	if (sqlite3_prepare_v2(s->db, "SELECT json_object('guid', guid, "
	    "'table', tbl, 'from', from_site, 'to', to_site, 'flow', flow, "
	    "'at', at, 'state', state) FROM syncpack_transfer WHERE NOT "
	    "reported ORDER BY at", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *text = (const char *)sqlite3_column_text(st, 0);
		if (sxf_writer_member_write(w, text, strlen(text), err) != 0 ||
		    sxf_writer_member_write(w, "\n", 1, err) != 0) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	if (r != SQLITE_DONE)
		return site_sqlite_error(s, err, s->path);
	return sxf_writer_member_end(w, err) != 0 ||
	    site_exec(s, "UPDATE syncpack_transfer SET reported = 1", err) != 0
	    ? -1 : 0;
}

int
ack_transfer_line(struct site *s, const char *line, size_t len,
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
	sqlite3_bind_text(st, 1, line, (int)len, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	return r == SQLITE_DONE ? 0 : sp_error_set(err, "malformed transfer");
}

/* The peer acknowledged flow f: the moves to it that f carried are done
 * (the records leave this site, without a tombstone), or refused (the
 * records are writable here again). */
static int
complete_moves(struct site *s, const char *peer, long long f,
    struct sp_error *err)
{
	sqlite3_stmt *st;
	char *sql = sqlite3_mprintf(
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
	    "flow = %lld AND outcome = 'rejected')", f, s->id, peer, f, s->id,
	    peer, f, peer, f);
	int r = site_exec(s, sql, err);

	sqlite3_free(sql);
	if (r != 0)
		return -1;
	if (sqlite3_prepare_v2(s->db, "SELECT t.guid, tb.name, tb.pk, r.rkey "
	    "FROM syncpack_transfer t JOIN syncpack_record r ON r.guid = t.guid "
	    "JOIN syncpack_table tb ON tb.id = r.tbl WHERE t.from_site = ?1 AND "
	    "t.to_site = ?2 AND t.state = 'in transit' AND t.flow BETWEEN 1 AND "
	    "?3", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	sqlite3_bind_text(st, 1, s->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, peer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, f);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite3_stmt *del;
		char *q = sqlite3_mprintf("DELETE FROM \"%w\" WHERE \"%w\" = ?",
		    sqlite3_column_text(st, 1), sqlite3_column_text(st, 2));
		int ok = sqlite3_prepare_v2(s->db, q, -1, &del, NULL) == SQLITE_OK;

		sqlite3_free(q);
		if (!ok) {
			sqlite3_finalize(st);
			return site_sqlite_error(s, err, s->path);
		}
		/* This apply runs with triggers off: no tombstone is made. */
		sqlite3_bind_value(del, 1, sqlite3_column_value(st, 3));
		r = sqlite3_step(del);
		sqlite3_finalize(del);
		q = sqlite3_mprintf("DELETE FROM syncpack_record WHERE guid = '%q';"
		    "UPDATE syncpack_transfer SET state = 'done', reported = 0 "
		    "WHERE guid = '%q' AND from_site = '%q' AND to_site = '%q' AND "
		    "state = 'in transit'", sqlite3_column_text(st, 0),
		    sqlite3_column_text(st, 0), s->id, peer);
		if (r != SQLITE_DONE || site_exec(s, q, err) != 0) {
			sqlite3_free(q);
			sqlite3_finalize(st);
			return r != SQLITE_DONE ? site_sqlite_error(s, err, s->path)
			    : -1;
		}
		sqlite3_free(q);
	}
	sqlite3_finalize(st);
	return r == SQLITE_DONE ? 0 : site_sqlite_error(s, err, s->path);
}

int
ack_write(struct site *s, const char *peer, const char *target,
    uint64_t link, struct ack_result *res, struct sp_error *err)
{
	struct sxf_writer *w = NULL;
	sqlite3_stmt *st = NULL;
	uint64_t last_flow = 0;
	int rc = -1, r;

	memset(res, 0, sizeof(*res));
	if (site_exec(s, "BEGIN IMMEDIATE", err) != 0)
		return -1;
	if ((w = sxf_writer_new(err)) == NULL ||
	    sxf_writer_member_begin(w, "ack.jsonl", err) != 0)
		goto rollback;
	if (sqlite3_prepare_v2(s->db, "SELECT flow, status, n_applied, "
	    "n_skipped, n_conflict, n_rejected, n_held, sha256 FROM "
	    "syncpack_flow WHERE"
	    " peer = ? AND direction = 'in' AND kind IN ('data', 'answer') AND "
	    "NOT acked AND status IN ('applied', 'partial', 'superseded') ORDER "
	    "BY flow", -1,
	    &st, NULL) != SQLITE_OK) {
		site_sqlite_error(s, err, s->path);
		goto rollback;
	}
	sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		long long flow = sqlite3_column_int64(st, 0);
		json_t *protocol = flow_protocol(s, peer, flow, err);

		if (protocol == NULL)
			goto rollback;
		last_flow = (uint64_t)flow;
		json_t *line = json_pack("{s:I, s:s, s:{s:I, s:I, s:I, s:I, s:I}, "
		    "s:o}", "flow", (json_int_t)flow,
		    "status", sqlite3_column_text(st, 1),
		    "counts", "applied", (json_int_t)sqlite3_column_int64(st, 2),
		    "skipped", (json_int_t)sqlite3_column_int64(st, 3),
		    "conflict", (json_int_t)sqlite3_column_int64(st, 4),
		    "rejected", (json_int_t)sqlite3_column_int64(st, 5),
		    "held", (json_int_t)sqlite3_column_int64(st, 6),
		    "protocol", protocol);
		char *text;

		/* The file acknowledged, so that a sender restored from a
		 * backup does not take it for a later file with its id. */
		if (line != NULL && sqlite3_column_type(st, 7) == SQLITE_TEXT &&
		    json_object_set_new(line, "sha256", json_string((const char *)
		    sqlite3_column_text(st, 7))) != 0) {
			json_decref(line);
			line = NULL;
		}
		text = line ? json_dumps(line, JSON_COMPACT) : NULL;
		json_decref(line);
		if (text == NULL) {
			sp_error_set(err, "out of memory");
			goto rollback;
		}
		r = sxf_writer_member_write(w, text, strlen(text), err) ||
		    sxf_writer_member_write(w, "\n", 1, err);
		free(text);
		if (r != 0)
			goto rollback;
		res->flows++;
	}
	/* Every flow read is marked acknowledged below: one that a failing
	 * step left out of the file must not be. */
	if (r != SQLITE_DONE) {
		site_sqlite_error(s, err, s->path);
		goto rollback;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sxf_writer_member_end(w, err) != 0 ||
	    write_transfers(s, w, err) != 0)
		goto rollback;
	if (res->flows == 0) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		sxf_writer_free(w);
		return 0;
	}
	{
		struct exchange_meta m = { "ack", peer, link ? link : last_flow,
		    0, NULL };
		char *sql;

		if (exchange_file_write(s, w, &m, target, &res->file, err) != 0)
			goto rollback;
		/* The hub's word: records of --freeze tables acknowledged to
		 * their creator may no longer be changed by it. */
		sql = sqlite3_mprintf("UPDATE syncpack_flow SET acked = 1 WHERE "
		    "peer = '%q' AND direction = 'in' AND kind IN ('data', "
		    "'answer') AND NOT acked AND status IN ('applied', 'partial', "
		    "'superseded');"
		    "UPDATE syncpack_record SET flags = flags | 1 WHERE %d AND "
		    "src = '%q' AND owner = '%q' AND NOT deleted AND tbl IN "
		    "(SELECT id FROM syncpack_table WHERE freeze)", peer, s->hub,
		    peer, peer);
		r = site_exec(s, sql, err);
		sqlite3_free(sql);
		if (r != 0)
			goto rollback;
	}
	if (site_exec(s, "COMMIT", err) != 0)
		goto rollback;
	res->written = 1;
	sxf_writer_free(w);
	return 0;
rollback:
	sqlite3_finalize(st);
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	sxf_writer_free(w);
	return rc;
}

static int
save_peer_protocol(struct site *s, const char *peer, long long flow,
    json_t *protocol, struct sp_error *err)
{
	sqlite3_stmt *st;
	size_t i;
	json_t *p;

	if (!json_is_array(protocol))
		return 0;
	if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO syncpack_protocol"
	    "(peer, direction, flow, guid, tbl, outcome, reason) VALUES (?, "
	    "'out', ?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	json_array_foreach(protocol, i, p) {
		json_t *g = json_object_get(p, "guid"), *t = json_object_get(p,
		    "table"), *o = json_object_get(p, "outcome"),
		    *r = json_object_get(p, "reason");
		if (!json_is_string(g) || !json_is_string(t) || !json_is_string(o))
			continue;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, flow);
		sqlite3_bind_text(st, 3, json_string_value(g), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, json_string_value(t), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, json_string_value(o), -1, SQLITE_STATIC);
		if (json_is_string(r))
			sqlite3_bind_text(st, 6, json_string_value(r), -1,
			    SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 6);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			return site_sqlite_error(s, err, s->path);
		}
	}
	sqlite3_finalize(st);
	return 0;
}

int
ack_ingest_line(struct site *s, const char *peer, const char *line,
    size_t len, struct sp_error *err)
{
	json_error_t jerr;
	json_t *o = json_loadb(line, len, 0, &jerr), *flow, *sha;
	sqlite3_stmt *st;
	long long covered = -1, f;
	int rc = -1, r;

	if (o == NULL || !json_is_integer(flow = json_object_get(o, "flow"))) {
		json_decref(o);
		return sp_error_set(err, "malformed ack line");
	}
	f = json_integer_value(flow);
	sha = json_object_get(o, "sha256");
	if (sqlite3_prepare_v2(s->db, "UPDATE syncpack_flow SET acked = 1 "
	    "WHERE peer = ?1 AND direction = 'out' AND flow = ?2 AND (?3 IS NULL"
	    " OR sha256 IS NULL OR sha256 = ?3) RETURNING covered", -1, &st,
	    NULL) != SQLITE_OK) {
		site_sqlite_error(s, err, s->path);
		goto cleanup;
	}
	sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, f);
	if (json_is_string(sha))
		sqlite3_bind_text(st, 3, json_string_value(sha), -1,
		    SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		covered = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (r == SQLITE_DONE) {
		/* A flow this site does not know, or one of its own with
		 * that id from before it was restored: ignored. */
		rc = 0;
		goto cleanup;
	}
	if (r != SQLITE_ROW) {
		site_sqlite_error(s, err, s->path);
		goto cleanup;
	}
	if (save_peer_protocol(s, peer, f, json_object_get(o, "protocol"),
	    err) != 0 || complete_moves(s, peer, f, err) != 0)
		goto cleanup;
	{
		char *sql = sqlite3_mprintf("UPDATE syncpack_peer SET acked_lseq ="
		    " max(acked_lseq, %lld), last_acked = strftime("
		    "'%%Y-%%m-%%dT%%H:%%M:%%SZ', 'now') WHERE site = '%q';"
		    /* At a spoke, its acknowledged documents freeze. */
		    "UPDATE syncpack_record SET flags = flags | 1 WHERE %d AND "
		    "owner = '%q' AND lseq <= %lld AND NOT deleted AND tbl IN "
		    "(SELECT id FROM syncpack_table WHERE freeze) AND guid NOT IN "
		    "(SELECT guid FROM syncpack_protocol WHERE peer = '%q' AND "
		    "direction = 'out' AND flow = %lld AND outcome IN "
		    "('rejected', 'held'));"
		    /* A reconciliation is complete once the answer to its
		     * echo is acknowledged: request <- answer <- answer. */
		    "UPDATE syncpack_flow SET status = 'complete' WHERE peer = "
		    "'%q' AND direction = 'out' AND kind = 'request' AND flow = "
		    "(SELECT i.link FROM syncpack_flow o JOIN syncpack_flow i ON "
		    "i.peer = o.peer AND i.direction = 'in' AND i.kind = 'answer' "
		    "AND i.flow = o.link WHERE o.peer = '%q' AND o.direction = "
		    "'out' AND o.kind = 'answer' AND o.flow = %lld)", covered, peer,
		    !s->hub, s->id, covered, peer, f, peer, peer, f);
		r = site_exec(s, sql, err);
		sqlite3_free(sql);
		if (r != 0)
			goto cleanup;
	}
	rc = 0;
cleanup:
	json_decref(o);
	return rc;
}

int
site_vacuum(struct site *s, long long *purged, struct sp_error *err)
{
	/* A tombstone can go once every peer has acknowledged an lseq past
	 * it: no peer will need the delete again, unless restored from an
	 * older backup; syncpack_purged remembers it for that. */
	/* A tombstone in an open conflict stays: the operator may keep the
	 * other side, which needs the record. */
#define PURGEABLE "deleted AND EXISTS (SELECT 1 FROM syncpack_peer) AND " \
	"lseq <= (SELECT min(acked_lseq) FROM syncpack_peer) AND guid NOT IN " \
	"(SELECT guid FROM syncpack_conflict WHERE resolved IS NULL)"
	long long n;
	char *sql;

	if (site_exec(s, "INSERT OR REPLACE INTO syncpack_purged(guid, tbl, "
	    "origin, owner, rowversion, hlc, hlc_site, purged) SELECT guid, tbl,"
	    " origin, owner, rowversion, hlc, hlc_site, strftime("
	    "'%Y-%m-%dT%H:%M:%SZ', 'now') FROM syncpack_record WHERE "
	    PURGEABLE, err) != 0 ||
	    site_exec(s, "DELETE FROM syncpack_record WHERE " PURGEABLE, err)
	    != 0)
		return -1;
#undef PURGEABLE
	n = sqlite3_changes(s->db);
	sql = sqlite3_mprintf("DELETE FROM syncpack_purged WHERE purged < "
	    "strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', 'now', '-%d days')",
	    SITE_PURGED_DAYS);
	if (sql == NULL)
		return sp_error_set(err, "out of memory");
	if (site_exec(s, sql, err) != 0) {
		sqlite3_free(sql);
		return -1;
	}
	sqlite3_free(sql);
	if (purged != NULL)
		*purged = n;
	return 0;
}

int
ack_after_ingest(struct site *s, const char *peer, struct sp_error *err)
{
	(void)peer;
	return site_vacuum(s, NULL, err);
}
