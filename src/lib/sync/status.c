/* status.c: per-peer counters, the verdict, and resolving conflicts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/capture_fold.h"
#include "store/sqlite/row_json.h"
#include "sync/status.h"
#include "store/store.h"
#include "sxf/wire_record.h"
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

/* Records the next pack for the peer would carry, as pack.c chooses them:
 * changes since the peer's ack that are routed to it, not echoed back,
 * neither locked nor moving, and never of a movable table (those travel as
 * moves only); plus the moves in transit to the peer, which every pack
 * repeats until the peer acknowledges one. */
static const char waiting_sql[] =
    "SELECT (SELECT count(*) FROM syncpack_record r JOIN syncpack_table t ON"
    " t.id = r.tbl, syncpack_peer p WHERE p.site = ?1 AND t.tracked AND NOT "
    "t.movable AND r.lseq > p.acked_lseq AND (r.src IS NULL OR r.src <> ?1)"
    " AND NOT (?2 AND t.route = 'none') AND NOT (?2 AND t.route = 'owner' "
    "AND r.owner <> ?1) AND NOT (NOT ?2 AND t.owner = 'central') AND NOT "
    "(r.flags & 2) AND NOT EXISTS (SELECT 1 FROM syncpack_lock l WHERE "
    "l.tbl = t.name AND l.rkey = r.rkey)) + (SELECT count(*) FROM "
    "syncpack_transfer x JOIN syncpack_record r ON r.guid = x.guid JOIN "
    "syncpack_table t ON t.id = r.tbl WHERE x.from_site = ?3 AND x.to_site "
    "= ?1 AND x.state = 'in transit' AND t.tracked AND t.movable AND "
    "r.rkey IS NOT NULL)";

/* Rejections the peer reported that still stand: the record has not
 * changed here since the flow that carried it. */
static const char rejections_sql[] =
    "SELECT count(*) FROM syncpack_protocol p JOIN syncpack_flow f ON "
    "f.peer = p.peer AND f.direction = 'out' AND f.flow = p.flow JOIN "
    "syncpack_record r ON r.guid = p.guid WHERE p.peer = ?1 AND "
    "p.direction = 'out' AND p.outcome = 'rejected' AND r.lseq <= f.covered";

json_t *
site_status(struct site *s, struct sp_error *err)
{
	json_t *out = json_object(), *peers = json_array();
	long long held = 0, conflicts = 0, rejections = 0, failed;
	sqlite3_stmt *st;
	char reason[256] = "";
	int r;

	if (sqlite3_prepare_v2(s->db, "SELECT site, last_sent, last_received, "
	    "last_acked FROM syncpack_peer ORDER BY site", -1, &st, NULL)
	    != SQLITE_OK) {
		json_decref(out);
		json_decref(peers);
		site_sqlite_error(s, err, s->path);
		return NULL;
	}
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *peer = (const char *)sqlite3_column_text(st, 0);
		json_t *p;
		long long h = count(s, "SELECT count(*) FROM syncpack_held WHERE "
		    "peer = ?1", peer, err);
		long long c = h < 0 ? -1 : count(s, "SELECT count(*) FROM "
		    "syncpack_conflict WHERE peer = ?1 AND resolved IS NULL", peer,
		    err);
		long long rj = c < 0 ? -1 : count(s, rejections_sql, peer, err);
		long long w = rj < 0 ? -1 : count(s, waiting_sql, peer, err);

		if (w < 0)
			goto fail;
		p = json_object();
		json_object_set_new(p, "peer", json_string(peer));
		for (int i = 1; i <= 3; i++) {
			static const char *const names[] = { NULL, "last_sent",
			    "last_received", "last_acked" };
			const char *v = (const char *)sqlite3_column_text(st, i);
			json_object_set_new(p, names[i], v ? json_string(v)
			    : json_null());
		}
		json_object_set_new(p, "waiting", json_integer(w));
		json_object_set_new(p, "held", json_integer(h));
		json_object_set_new(p, "conflicts", json_integer(c));
		json_object_set_new(p, "rejections", json_integer(rj));
		json_array_append_new(peers, p);
		held += h;
		conflicts += c;
		rejections += rj;
	}
	if (r != SQLITE_DONE) {
		site_sqlite_error(s, err, s->path);
		goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;
	failed = count(s, "SELECT count(*) FROM syncpack_flow f WHERE "
	    "direction = 'in' AND status IN ('refused', 'failed', 'running') "
	    "AND NOT EXISTS (SELECT 1 FROM syncpack_flow g WHERE g.peer = "
	    "f.peer AND g.direction = 'in' AND g.flow > f.flow AND g.status IN "
	    "('applied', 'partial'))", NULL, err);
	if (failed < 0)
		goto fail;
	json_object_set_new(out, "site", json_string(s->id));
	json_object_set_new(out, "hub", json_boolean(s->hub));
	json_object_set_new(out, "peers", peers);
	json_object_set_new(out, "held", json_integer(held));
	json_object_set_new(out, "conflicts", json_integer(conflicts));
	json_object_set_new(out, "rejections", json_integer(rejections));
	json_object_set_new(out, "failed_flows", json_integer(failed));
	if (held)
		snprintf(reason + strlen(reason), sizeof(reason) - strlen(reason),
		    "%s%lld held records", reason[0] ? ", " : "", held);
	if (conflicts)
		snprintf(reason + strlen(reason), sizeof(reason) - strlen(reason),
		    "%s%lld unresolved conflicts", reason[0] ? ", " : "", conflicts);
	if (rejections)
		snprintf(reason + strlen(reason), sizeof(reason) - strlen(reason),
		    "%s%lld records rejected by a peer", reason[0] ? ", " : "",
		    rejections);
	if (failed)
		snprintf(reason + strlen(reason), sizeof(reason) - strlen(reason),
		    "%s%lld incoming files refused or failed", reason[0] ? ", " :
		    "", failed);
	json_object_set_new(out, "verdict", json_string(reason[0] ? "attention"
	    : "ok"));
	json_object_set_new(out, "reason", reason[0] ? json_string(reason) :
	    json_null());
	return out;
fail:
	sqlite3_finalize(st);
	json_decref(out);
	json_decref(peers);
	return NULL;
}

/* The local key of the parent a reference of the remote version names:
 * a new reference, as it travels, by GUID. */
static json_t *
parent_key(struct site *s, struct store *store, json_t *ref, const char *col,
    struct sp_error *err)
{
	json_t *g = json_object_get(ref, "guid"), *t = json_object_get(ref,
	    "table"), *prow = NULL, *key = NULL;
	struct store_record parent;
	sqlite3_stmt *st;
	int found, r;

	if (!json_is_string(g) || !json_is_string(t)) {
		sp_error_set(err, "bad foreign key %s", col);
		return NULL;
	}
	found = store_lookup(store, json_string_value(g), &parent, &prow, err);
	if (found < 0)
		return NULL;
	if (!found || prow == NULL) {
		json_decref(prow);
		sp_error_set(err, "%s: parent %s %s is not here", col,
		    json_string_value(t), json_string_value(g));
		return NULL;
	}
	if (sqlite3_prepare_v2(s->db, "SELECT pk FROM syncpack_table WHERE "
	    "name = ?", -1, &st, NULL) != SQLITE_OK) {
		json_decref(prow);
		site_sqlite_error(s, err, s->path);
		return NULL;
	}
	sqlite3_bind_text(st, 1, parent.table, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		key = json_incref(json_object_get(prow, (const char *)
		    sqlite3_column_text(st, 0)));
	else
		site_sqlite_error(s, err, s->path);
	sqlite3_finalize(st);
	json_decref(prow);
	if (r == SQLITE_ROW && key == NULL)
		sp_error_set(err, "%s: parent %s has no key", col,
		    json_string_value(g));
	return key;
}

/* Writes the chosen version's values into the row as a local change, so
 * that the capture triggers stamp it: an update of the row, or when the
 * record is a tombstone here, an insert that takes the record's GUID
 * again. References take the parents the remote version names. */
static int
write_values(struct site *s, struct store *store, const char *table,
    json_t *remote, const char *guid, struct sp_error *err)
{
	struct wire_record w;
	const char *text = json_string_value(remote);
	char *sql = NULL, *cols = NULL, *vals = NULL;
	sqlite3_stmt *st = NULL;
	json_t *row = NULL, *v, *bound = NULL;
	struct store_record local;
	const char *col, *pk = NULL;
	int idx = 1, rc = -1, r, found, insert;

	if (wire_record_parse(text, strlen(text), &w, err) != 0)
		return -1;
	found = store_lookup(store, guid, &local, &row, err);
	if (found < 0)
		goto cleanup;
	if (found == 0 || (row == NULL && w.rec.deleted)) {
		sp_error_set(err, "record %s is not here", guid);
		goto cleanup;
	}
	insert = row == NULL;
	if (sqlite3_prepare_v2(s->db, "SELECT pk FROM syncpack_table WHERE "
	    "name = ?", -1, &st, NULL) != SQLITE_OK) {
		site_sqlite_error(s, err, s->path);
		goto cleanup;
	}
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW && (pk = strdup((const char *)
	    sqlite3_column_text(st, 0))) == NULL)
		sp_error_set(err, "out of memory");
	else if (r == SQLITE_DONE)
		sp_error_set(err, "%s is not tracked", table);
	else if (r != SQLITE_ROW)
		site_sqlite_error(s, err, s->path);
	sqlite3_finalize(st);
	st = NULL;
	if (pk == NULL)
		goto cleanup;
	/* The values to bind, references made local, the key left out: it
	 * stays this site's. */
	if ((bound = json_array()) == NULL) {
		sp_error_set(err, "out of memory");
		goto cleanup;
	}
	cols = sqlite3_mprintf("%s", "");
	vals = sqlite3_mprintf("%s", "");
	if (!w.rec.deleted)
		json_object_foreach(w.columns, col, v) {
			json_t *ref = w.fk ? json_object_get(w.fk, col) : NULL;
			json_t *value = ref ? parent_key(s, store, ref, col, err)
			    : json_incref(v);
			char *next_cols, *next_vals;

			if (strcmp(col, pk) == 0) {
				json_decref(value);
				continue;
			}
			if (value == NULL || json_array_append_new(bound, value)
			    != 0)
				goto cleanup;
			idx++;
			next_cols = insert ? sqlite3_mprintf("%s%s\"%w\"", cols,
			    idx > 2 ? ", " : "", col) : sqlite3_mprintf(
			    "%s, \"%w\" = ?%d", cols, col, idx);
			next_vals = sqlite3_mprintf("%s%s?%d", vals, idx > 2 ? ", "
			    : "", idx);
			sqlite3_free(cols);
			sqlite3_free(vals);
			cols = next_cols;
			vals = next_vals;
		}
	if (cols == NULL || vals == NULL) {
		sp_error_set(err, "out of memory");
		goto cleanup;
	}
	if (w.rec.deleted)
		sql = sqlite3_mprintf("DELETE FROM \"%w\" WHERE \"%w\" = ?1",
		    table, pk);
	else if (insert)
		sql = idx > 1 ? sqlite3_mprintf("INSERT INTO \"%w\"(%s) VALUES "
		    "(%s) RETURNING \"%w\"", table, cols, vals, pk)
		    : sqlite3_mprintf("INSERT INTO \"%w\" DEFAULT VALUES "
		    "RETURNING \"%w\"", table, pk);
	else
		sql = sqlite3_mprintf("UPDATE \"%w\" SET \"%w\" = \"%w\"%s WHERE "
		    "\"%w\" = ?1", table, pk, pk, cols, pk);
	if (sql == NULL) {
		sp_error_set(err, "out of memory");
		goto cleanup;
	}
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		site_sqlite_error(s, err, s->path);
		goto cleanup;
	}
	/* A value that cannot be bound must not be written as NULL. */
	if (!insert && row_json_bind(st, 1, json_object_get(row, pk), err) != 0)
		goto cleanup;
	for (size_t i = 0; i < json_array_size(bound); i++)
		if (row_json_bind(st, (int)i + 2, json_array_get(bound, i), err)
		    != 0)
			goto cleanup;
	r = sqlite3_step(st);
	if (insert && r == SQLITE_ROW) {
		/* The new row is the record's again: the fold finds it by
		 * its key and stamps a new version of the same GUID. */
		sqlite3_stmt *take;
		if (sqlite3_prepare_v2(s->db, "UPDATE syncpack_record SET rkey = "
		    "?1 WHERE guid = ?2", -1, &take, NULL) != SQLITE_OK) {
			site_sqlite_error(s, err, s->path);
			goto cleanup;
		}
		sqlite3_bind_value(take, 1, sqlite3_column_value(st, 0));
		sqlite3_bind_text(take, 2, guid, -1, SQLITE_STATIC);
		r = sqlite3_step(take);
		sqlite3_finalize(take);
		if (r != SQLITE_DONE) {
			site_sqlite_error(s, err, s->path);
			goto cleanup;
		}
		r = sqlite3_step(st);
	}
	if (r != SQLITE_DONE)
		site_sqlite_error(s, err, s->path);
	else
		rc = 0;
cleanup:
	sqlite3_finalize(st);
	sqlite3_free(sql);
	sqlite3_free(cols);
	sqlite3_free(vals);
	free((char *)pk);
	json_decref(bound);
	json_decref(row);
	wire_record_free(&w);
	return rc;
}

int
conflict_resolve(struct site *s, long long id, int keep_remote,
    struct sp_error *err)
{
	sqlite3_stmt *st;
	struct store *store = NULL;
	char guid[33] = "", table[256] = "";
	json_t *remote = NULL;
	long long remote_rv = 0, remote_hlc = 0;
	char remote_site[SITEID_MAX + 1] = "";
	int rc = -1, r;

	if (site_exec(s, "BEGIN IMMEDIATE", err) != 0)
		return -1;
	if (sqlite3_prepare_v2(s->db, "SELECT guid, tbl, remote, json_extract("
	    "remote, '$.rowversion'), json_extract(remote, '$.hlc'), "
	    "json_extract(remote, '$.hlc_site') FROM "
	    "syncpack_conflict WHERE id = ? AND "
	    "resolved IS NULL", -1, &st, NULL) != SQLITE_OK) {
		site_sqlite_error(s, err, s->path);
		goto rollback;
	}
	sqlite3_bind_int64(st, 1, id);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		snprintf(guid, sizeof(guid), "%s", sqlite3_column_text(st, 0));
		snprintf(table, sizeof(table), "%s", sqlite3_column_text(st, 1));
		remote = json_string((const char *)sqlite3_column_text(st, 2));
		remote_rv = sqlite3_column_int64(st, 3);
		remote_hlc = sqlite3_column_int64(st, 4);
		if (sqlite3_column_type(st, 5) == SQLITE_TEXT)
			snprintf(remote_site, sizeof(remote_site), "%s",
			    sqlite3_column_text(st, 5));
	}
	sqlite3_finalize(st);
	if (r != SQLITE_ROW) {
		sp_error_set(err, "no unresolved conflict %lld", id);
		goto rollback;
	}
	if ((store = store_sqlite_open(s, err)) == NULL)
		goto rollback;
	if (keep_remote) {
		if (write_values(s, store, table, remote, guid, err) != 0)
			goto rollback;
	} else {
		char *sql = sqlite3_mprintf("INSERT INTO syncpack_change(tbl, "
		    "rkey, okey, op, ms) SELECT tbl, rkey, rkey, 2, CAST(("
		    "julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) FROM "
		    "syncpack_record WHERE guid = '%q' AND rkey IS NOT NULL", guid);
		r = site_exec(s, sql, err);
		sqlite3_free(sql);
		if (r != 0)
			goto rollback;
	}
	if (capture_fold(s, err) != 0)
		goto rollback;
	{
		/* The kept version has seen the remote one: peers holding the
		 * remote version take it as a plain successor. */
		char *sql = sqlite3_mprintf("UPDATE syncpack_record SET base = "
		    "%lld, base_hlc = %lld, base_site = %Q, rowversion = max("
		    "rowversion, %lld + 1) WHERE guid = '%q'; UPDATE "
		    "syncpack_conflict SET resolved = "
		    "strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', 'now') WHERE guid = '%q' "
		    "AND resolved IS NULL", remote_rv, remote_hlc,
		    remote_site[0] ? remote_site : NULL, remote_rv, guid, guid);
		r = site_exec(s, sql, err);
		sqlite3_free(sql);
		if (r != 0)
			goto rollback;
	}
	if (site_exec(s, "COMMIT", err) != 0)
		goto rollback;
	rc = 0;
	goto cleanup;
rollback:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
cleanup:
	if (store != NULL)
		store_close(store);
	json_decref(remote);
	return rc;
}
