/* pack.c: builds data files from the captured changes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "sync/ack.h"
#include "util/hexenc.h"
#include "sync/pack.h"
#include "store/store.h"
#include "sync/track.h"
#include "sxf/wire_record.h"
#include "store/sqlite/sql.h"

#define CLOSURE_MEMORY 1024

struct pack_state {
	struct site *site;
	struct store *store;
	struct sxf_writer *w;
	const char *peer;
	const struct tracked_table *table;
	struct tracked_fk *fks;
	int nfks;
	long long records, moved;
	long long acked, covered;	/* the lseq range of this pack */
	long long held_back;	/* records not sent: a parent is not here */
	long long first_held;	/* the lowest lseq among them */
	const struct pack_options *opt;
	struct tracked_table *tables;	/* every tracked table, parents first */
	int ntables;
	/* Parents sent ahead of a child (dependency closure), remembered so
	 * that siblings do not send them again; bounded. */
	char sent[CLOSURE_MEMORY][33];
	int nsent;
};

/* Adds {table, guid, rowversion} of each parent the row refers to. A
 * reference never travels as a local key: returns 1 (err says which)
 * when a parent is not a live record here. */
static int
build_fk(struct pack_state *ps, const struct store_record *rec, json_t *row,
    json_t **out, struct sp_error *err)
{
	*out = NULL;
	for (int i = 0; i < ps->nfks; i++) {
		json_t *key = json_object_get(row, ps->fks[i].col);
		struct store_record parent;
		int found;

		if (key == NULL || json_is_null(key))
			continue;
		found = store_lookup_key(ps->store, ps->fks[i].parent, key,
		    &parent, err);
		if (found < 0) {
			json_decref(*out);
			*out = NULL;
			return -1;
		}
		if (!found) {
			char *text = json_dumps(key, JSON_ENCODE_ANY);
			sp_error_set(err, "%s %s: %s = %s names no record of %s "
			    "here; not sent until it does", rec->table, rec->guid,
			    ps->fks[i].col, text ? text : "?", ps->fks[i].parent);
			free(text);
			json_decref(*out);
			*out = NULL;
			return 1;
		}
		if (*out == NULL)
			*out = json_object();
		json_object_set_new(*out, ps->fks[i].col, json_pack("{s:s, s:s, "
		    "s:I}", "table", ps->fks[i].parent, "guid", parent.guid,
		    "rowversion", (json_int_t)parent.rowversion));
	}
	return 0;
}

static const struct tracked_table *
table_named(struct pack_state *ps, const char *name)
{
	for (int i = 0; i < ps->ntables; i++)
		if (strcmp(ps->tables[i].name, name) == 0)
			return &ps->tables[i];
	return NULL;
}

/* Whether the table's records go to the peer in regular packs. */
static int
routed(struct pack_state *ps, const struct tracked_table *t,
    const struct store_record *rec)
{
	if (t->movable)
		return 0;	/* movable records travel as moves only */
	if (!ps->site->hub)
		/* A spoke sends central data only to bring back a record
		 * whose delete lost here (syncpack(7)). */
		return strcmp(t->owner, "central") != 0 || (rec->flags & 8);
	if (strcmp(t->route, "none") == 0)
		/* Upload only: the hub sends nothing down, except to a spoke
		 * it sends everything from 0 (restored from a backup): its own
		 * records, whose versions here may be later than the ones it
		 * was restored with (syncpack(7)). */
		return ps->acked <= 0 && strcmp(rec->owner, ps->peer) == 0;
	return strcmp(t->route, "owner") != 0 ||
	    strcmp(rec->owner, ps->peer) == 0;
}

/* Whether the peer holds this version of a parent, or gets it in this
 * pack anyway (parent tables come first). */
static int
parent_covered(struct pack_state *ps, const struct store_record *p)
{
	const struct tracked_table *t = table_named(ps, p->table);

	if (strcmp(p->src, ps->peer) == 0 || p->lseq <= ps->acked)
		return 1;
	if (t != NULL && routed(ps, t, p) && p->lseq <= ps->covered &&
	    !(p->flags & 2))
		return 1;
	if (p->flags & 2) {
		/* Moving to this peer: it goes in this file, parents first. */
		sqlite3_stmt *st;
		int moving = 0;
		if (sqlite3_prepare_v2(ps->site->db, "SELECT 1 FROM "
		    "syncpack_transfer WHERE guid = ? AND to_site = ? AND state = "
		    "'in transit'", -1, &st, NULL) == SQLITE_OK) {
			sqlite3_bind_text(st, 1, p->guid, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, ps->peer, -1, SQLITE_STATIC);
			moving = sqlite3_step(st) == SQLITE_ROW;
			sqlite3_finalize(st);
		}
		if (moving)
			return 1;
	}
	for (int i = 0; i < ps->nsent; i++)
		if (strcmp(ps->sent[i], p->guid) == 0)
			return 1;
	return 0;
}

static int emit(struct pack_state *ps, const struct store_record *rec,
    json_t *row, const char *op, const char *owner, int depth,
    struct sp_error *err);

/* A record whose parent is not here stays unsent, and the file covers the
 * changes only up to it, so that it goes in a later file once fixed. */
static int
hold_back(struct pack_state *ps, const struct store_record *rec,
    struct sp_error *err)
{
	if (ps->held_back == 0 || rec->lseq < ps->first_held)
		ps->first_held = rec->lseq;
	ps->held_back++;
	if (ps->opt->warn != NULL)
		ps->opt->warn(ps->opt->warn_ctx, err->msg);
	return 0;
}

/* Dependency closure: parents the peer lacks at the version a record was
 * made against go first, in the same file. */
static int
send_missing_parents(struct pack_state *ps, const char *table, json_t *row,
    int depth, struct sp_error *err)
{
	struct tracked_fk *fks = ps->fks;
	int nfks = ps->nfks, rc = 0;

	if (depth > 16)
		return 0;	/* a cycle of references: the receiver holds */
	/* The table being packed has its foreign keys loaded already; a
	 * parent sent ahead needs its own table's. */
	if (depth > 0 && tracked_fks_load(ps->site, table, &fks, &nfks, err)
	    != 0)
		return -1;
	for (int i = 0; rc == 0 && i < nfks; i++) {
		json_t *key = json_object_get(row, fks[i].col), *prow = NULL;
		struct store_record p;
		int found;

		if (key == NULL || json_is_null(key))
			continue;
		found = store_lookup_key(ps->store, fks[i].parent, key, &p, err);
		if (found < 0) {
			rc = -1;
			break;
		}
		if (!found || parent_covered(ps, &p))
			continue;
		if (store_lookup(ps->store, p.guid, &p, &prow, err) < 0) {
			rc = -1;
			break;
		}
		if (prow != NULL && !p.locked)
			rc = emit(ps, &p, prow, "upsert", NULL, depth + 1, err);
		json_decref(prow);
	}
	if (depth > 0)
		tracked_fks_free(fks, nfks);
	return rc;
}

/* Writes one record line (parents it needs first). */
static int
emit(struct pack_state *ps, const struct store_record *rec, json_t *row,
    const char *op, const char *owner, int depth, struct sp_error *err)
{
	struct pack_state sub;
	struct store_record copy = *rec;
	json_t *fk = NULL, *line;
	char *text;
	int rc;

	if (row != NULL && send_missing_parents(ps, rec->table, row, depth,
	    err) != 0)
		return -1;
	if (depth > 0) {
		if (ps->nsent < CLOSURE_MEMORY)
			strcpy(ps->sent[ps->nsent++], rec->guid);
		/* The foreign keys of the parent's own table. */
		memset(&sub, 0, sizeof(sub));
		sub.site = ps->site;
		sub.store = ps->store;
		if (tracked_fks_load(ps->site, rec->table, &sub.fks, &sub.nfks,
		    err) != 0)
			return -1;
		rc = row != NULL ? build_fk(&sub, rec, row, &fk, err) : 0;
		tracked_fks_free(sub.fks, sub.nfks);
		if (rc > 0)
			return 0;	/* the child's receiver holds it */
		if (rc != 0)
			return -1;
	} else if (row != NULL) {
		rc = build_fk(ps, rec, row, &fk, err);
		if (rc > 0)
			return hold_back(ps, rec, err);
		if (rc != 0)
			return -1;
	}
	if (owner != NULL)
		snprintf(copy.owner, sizeof(copy.owner), "%s", owner);
	line = wire_record_build(&copy, row, fk);
	json_decref(fk);
	if (line != NULL && strcmp(op, "upsert") != 0)
		json_object_set_new(line, "op", json_string(op));
	if (line != NULL && (rec->flags & 8))
		json_object_set_new(line, "revived", json_true());
	text = line ? json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(line);
	if (text == NULL)
		return sp_error_set(err, "out of memory");
	rc = sxf_writer_member_write(ps->w, text, strlen(text), err);
	if (rc == 0)
		rc = sxf_writer_member_write(ps->w, "\n", 1, err);
	free(text);
	ps->records++;
	return rc;
}

static int
pack_one(void *ctx, const struct store_record *rec, json_t *row,
    struct sp_error *err)
{
	struct pack_state *ps = ctx;

	if (rec->locked || rec->flags & 2)
		return 0;	/* reserved or moving: sent once released */
	/* Never echoed to the site it came from, unless the hub sends a
	 * spoke everything from 0 (new, or restored from a backup: it may
	 * lack them). */
	if (rec->src[0] && strcmp(rec->src, ps->peer) == 0 &&
	    (ps->acked > 0 || !ps->site->hub))
		return 0;
	if (!routed(ps, ps->table, rec))
		return 0;
	for (int i = 0; i < ps->nsent; i++)
		if (strcmp(ps->sent[i], rec->guid) == 0)
			return 0;	/* sent ahead as a parent */
	return emit(ps, rec, row, "upsert", NULL, 0, err);
}

int
pack_record_by_guid(struct site *s, struct store *store, const char *guid,
    const char *owner, json_t **out, struct sp_error *err)
{
	struct pack_state ps;
	struct store_record rec;
	json_t *row = NULL, *fk = NULL;
	int found, rc = -1;

	*out = NULL;
	found = store_lookup(store, guid, &rec, &row, err);
	if (found <= 0)
		return found;
	memset(&ps, 0, sizeof(ps));
	ps.site = s;
	ps.store = store;
	if (tracked_fks_load(s, rec.table, &ps.fks, &ps.nfks, err) != 0)
		goto cleanup;
	if (row != NULL && build_fk(&ps, &rec, row, &fk, err) != 0)
		goto cleanup;
	if (owner != NULL)
		snprintf(rec.owner, sizeof(rec.owner), "%s", owner);
	*out = wire_record_build(&rec, row, fk);
	if (*out != NULL && (rec.flags & 8))
		json_object_set_new(*out, "revived", json_true());
	rc = *out ? 0 : sp_error_set(err, "out of memory");
cleanup:
	tracked_fks_free(ps.fks, ps.nfks);
	json_decref(row);
	json_decref(fk);
	return rc;
}

/* schema.json: each table's columns and a fingerprint of them, so that a
 * receiver can tell schema drift from bad data. */
static int
write_schema(struct pack_state *ps, struct tracked_table *tables, int n,
    struct sp_error *err)
{
	json_t *all = json_object();
	char *text;
	int rc;

	for (int i = 0; i < n; i++) {
		sqlite3_stmt *st;
		json_t *cols = json_array();
		EVP_MD_CTX *h = EVP_MD_CTX_new();
		unsigned char digest[32];
		char hex[65];

		EVP_DigestInit_ex(h, EVP_sha256(), NULL);
		if (sqlite3_prepare_v2(ps->site->db, "SELECT name, upper(type), "
		    "pk FROM pragma_table_info(?) ORDER BY cid", -1, &st, NULL)
		    == SQLITE_OK) {
			sqlite3_bind_text(st, 1, tables[i].name, -1, SQLITE_STATIC);
			while (sqlite3_step(st) == SQLITE_ROW) {
				char line[1024];
				int len = snprintf(line, sizeof(line), "%s|%s|%d\n",
				    sqlite3_column_text(st, 0),
				    sqlite3_column_text(st, 1),
				    sqlite3_column_int(st, 2));
				EVP_DigestUpdate(h, line, (size_t)len);
				json_array_append_new(cols, json_string((const char *)
				    sqlite3_column_text(st, 0)));
			}
			sqlite3_finalize(st);
		}
		EVP_DigestFinal_ex(h, digest, NULL);
		EVP_MD_CTX_free(h);
		hex_encode(digest, sizeof(digest), hex);
		json_object_set_new(all, tables[i].name, json_pack("{s:s, s:o}",
		    "fingerprint", hex, "columns", cols));
	}
	text = json_dumps(all, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(all);
	if (text == NULL)
		return sp_error_set(err, "out of memory");
	rc = sxf_writer_member_begin(ps->w, "schema.json", err);
	if (rc == 0)
		rc = sxf_writer_member_write(ps->w, text, strlen(text), err);
	if (rc == 0)
		rc = sxf_writer_member_end(ps->w, err);
	free(text);
	return rc;
}

/* Resolves TABLE:KEY (a local key or a GUID) of a movable table. */
static int
resolve_move(struct site *s, const struct pack_ref *ref, char guid[33],
    struct sp_error *err)
{
	struct tracked_table t;
	sqlite3_stmt *st;
	int found = tracked_table_load(s, ref->table, &t, err), r;

	if (found < 0)
		return -1;
	if (found == 0 || !t.tracked || !t.movable) {
		if (found)
			tracked_table_free(&t);
		return sp_error_set(err, "%s: not a table tracked --movable",
		    ref->table);
	}
	/* A GUID names the record everywhere; anything else is a local key. */
	if (sqlite3_prepare_v2(s->db, "SELECT guid FROM syncpack_record WHERE "
	    "tbl = ?1 AND rkey IS NOT NULL AND iif(?4, guid = upper(?2), rkey = "
	    "iif(?3, cast(?2 AS INTEGER), ?2))", -1, &st, NULL) != SQLITE_OK) {
		tracked_table_free(&t);
		return site_sqlite_error(s, err, s->path);
	}
	sqlite3_bind_int64(st, 1, t.id);
	sqlite3_bind_text(st, 2, ref->key, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, t.pk_integer);
	sqlite3_bind_int(st, 4, guid_valid(ref->key));
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		snprintf(guid, 33, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	tracked_table_free(&t);
	if (r != SQLITE_ROW)
		return sp_error_set(err, "%s: no record %s here", ref->table,
		    ref->key);
	return 0;
}

static int start_move(struct site *s, const char *guid, const char *peer,
    int depth, struct sp_error *err);

/* The records of movable tables whose foreign key names guid's row. */
static int
move_children(struct site *s, const char *guid, const char *peer, int depth,
    struct sp_error *err)
{
	sqlite3_stmt *st, *fk;
	sqlite3_value *rkey = NULL;
	long long tbl = 0;
	char **kids = NULL;
	int n = 0, rc = 0;

	if (sqlite3_prepare_v2(s->db, "SELECT tbl, rkey FROM syncpack_record "
	    "WHERE guid = ?", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	sqlite3_bind_text(st, 1, guid, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		tbl = sqlite3_column_int64(st, 0);
		rkey = sqlite3_value_dup(sqlite3_column_value(st, 1));
	}
	sqlite3_finalize(st);
	if (rkey == NULL)
		return 0;
	if (sqlite3_prepare_v2(s->db, "SELECT f.col, c.name, c.pk, c.id FROM "
	    "syncpack_fk f JOIN syncpack_table c ON c.id = f.tbl WHERE "
	    "f.parent = ? AND c.movable AND c.tracked", -1, &fk, NULL)
	    != SQLITE_OK) {
		sqlite3_value_free(rkey);
		return site_sqlite_error(s, err, s->path);
	}
	sqlite3_bind_int64(fk, 1, tbl);
	while (rc == 0 && sqlite3_step(fk) == SQLITE_ROW) {
		char *sql = sqlite3_mprintf("SELECT r.guid FROM \"%w\" c JOIN "
		    "syncpack_record r ON r.tbl = %lld AND r.rkey = +c.\"%w\" "
		    "WHERE c.\"%w\" = ?", sqlite3_column_text(fk, 1),
		    (long long)sqlite3_column_int64(fk, 3),
		    sqlite3_column_text(fk, 2), sqlite3_column_text(fk, 0));
		if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
			rc = site_sqlite_error(s, err, s->path);
		sqlite3_free(sql);
		if (rc != 0)
			break;
		sqlite3_bind_value(st, 1, rkey);
		while (sqlite3_step(st) == SQLITE_ROW) {
			char **grown = realloc(kids, (size_t)(n + 1) * sizeof(*kids));
			if (grown == NULL)
				break;
			kids = grown;
			kids[n++] = strdup((const char *)sqlite3_column_text(st, 0));
		}
		sqlite3_finalize(st);
	}
	sqlite3_finalize(fk);
	sqlite3_value_free(rkey);
	for (int i = 0; i < n; i++) {
		if (rc == 0)
			rc = start_move(s, kids[i], peer, depth + 1, err);
		free(kids[i]);
	}
	free(kids);
	return rc;
}

/* Puts guid, and the records of movable tables that refer to it (an
 * intervention's lines), in transit to peer. */
static int
start_move(struct site *s, const char *guid, const char *peer, int depth,
    struct sp_error *err)
{
	sqlite3_stmt *st;
	char *sql;
	int r, flags = 0;
	char to[SITEID_MAX + 1] = "";

	if (depth > 16)
		return 0;
	if (sqlite3_prepare_v2(s->db, "SELECT r.flags, (SELECT to_site FROM "
	    "syncpack_transfer t WHERE t.guid = r.guid AND t.state = 'in "
	    "transit') FROM syncpack_record r WHERE r.guid = ?", -1, &st, NULL)
	    != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	sqlite3_bind_text(st, 1, guid, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		flags = sqlite3_column_int(st, 0);
		if (sqlite3_column_text(st, 1))
			snprintf(to, sizeof(to), "%s", sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	if (flags & 2) {
		if (strcmp(to, peer) == 0)
			return 0;	/* already on its way there */
		return sp_error_set(err, "record %s is already in transit to %s",
		    guid, to);
	}
	sql = sqlite3_mprintf("UPDATE syncpack_record SET flags = flags | 2 "
	    "WHERE guid = '%q'; INSERT OR REPLACE INTO syncpack_transfer(guid, "
	    "tbl, from_site, to_site, flow, at, state) SELECT guid, (SELECT name"
	    " FROM syncpack_table WHERE id = tbl), '%q', '%q', 0, strftime("
	    "'%%Y-%%m-%%dT%%H:%%M:%%SZ', 'now'), 'in transit' FROM "
	    "syncpack_record WHERE guid = '%q'", guid, s->id, peer, guid);
	r = site_exec(s, sql, err);
	sqlite3_free(sql);
	if (r != 0)
		return -1;
	return move_children(s, guid, peer, depth, err);
}

static int
peer_mark(struct site *s, const char *peer, long long *acked,
    long long *covered, struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(s->db, "SELECT p.acked_lseq, c.lseq FROM "
	    "syncpack_peer p, syncpack_clock c WHERE p.site = ? AND c.id = 1",
	    -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		*acked = sqlite3_column_int64(st, 0);
		*covered = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (r == SQLITE_ROW)
		return 0;
	if (r == SQLITE_DONE)
		return sp_error_set(err, "%s is not a registered peer of %s",
		    peer, s->id);
	return site_sqlite_error(s, err, s->path);
}

/* Marks the records to move in one transaction: those named by --move,
 * and at the hub those the peer asked for that are here. */
static int
mark_moves(struct site *s, const char *peer, const struct pack_options *opt,
    struct sp_error *err)
{
	sqlite3_stmt *st;
	int rc = -1;

	if (site_exec(s, "BEGIN IMMEDIATE", err) != 0)
		return -1;
	for (int i = 0; i < opt->nmoves; i++) {
		char guid[33];
		if (resolve_move(s, &opt->moves[i], guid, err) != 0 ||
		    start_move(s, guid, peer, 0, err) != 0)
			goto done;
	}
	if (s->hub) {
		if (sqlite3_prepare_v2(s->db, "SELECT q.guid FROM "
		    "syncpack_move_request q JOIN syncpack_record r ON r.guid = "
		    "q.guid WHERE q.peer = ? AND NOT q.answered AND r.rkey IS NOT "
		    "NULL AND NOT (r.flags & 2)", -1, &st, NULL) != SQLITE_OK) {
			site_sqlite_error(s, err, s->path);
			goto done;
		}
		sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW) {
			char guid[33];
			char *sql;
			snprintf(guid, sizeof(guid), "%s", sqlite3_column_text(st, 0));
			sql = sqlite3_mprintf("UPDATE syncpack_move_request SET "
			    "answered = 1 WHERE guid = '%q' AND peer = '%q'", guid,
			    peer);
			if (start_move(s, guid, peer, 0, err) != 0 ||
			    site_exec(s, sql, err) != 0) {
				sqlite3_free(sql);
				sqlite3_finalize(st);
				goto done;
			}
			sqlite3_free(sql);
		}
		sqlite3_finalize(st);
	}
	rc = site_exec(s, "COMMIT", err);
done:
	if (rc != 0)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* Every record in transit to the peer goes in every pack until the peer
 * acknowledges one that carried it: a lost file repeats the move. */
static int
emit_moves(struct pack_state *ps, struct sp_error *err)
{
	for (int i = 0; i < ps->ntables; i++) {
		sqlite3_stmt *st;
		int rc = 0;

		if (!ps->tables[i].movable)
			continue;
		if (sqlite3_prepare_v2(ps->site->db, "SELECT r.guid FROM "
		    "syncpack_transfer t JOIN syncpack_record r ON r.guid = t.guid "
		    "WHERE t.from_site = ?1 AND t.to_site = ?2 AND t.state = 'in "
		    "transit' AND r.tbl = ?3 AND r.rkey IS NOT NULL ORDER BY "
		    "r.lseq", -1, &st, NULL) != SQLITE_OK)
			return site_sqlite_error(ps->site, err, ps->site->path);
		sqlite3_bind_text(st, 1, ps->site->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, ps->peer, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, ps->tables[i].id);
		ps->table = &ps->tables[i];
		if (tracked_fks_load(ps->site, ps->table->name, &ps->fks,
		    &ps->nfks, err) != 0) {
			sqlite3_finalize(st);
			return -1;
		}
		while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
			struct store_record rec;
			json_t *row = NULL;
			int found = store_lookup(ps->store, (const char *)
			    sqlite3_column_text(st, 0), &rec, &row, err);
			if (found < 0)
				rc = -1;
			else if (found && row != NULL) {
				rc = emit(ps, &rec, row, "move", ps->peer, 0, err);
				ps->moved++;
			}
			json_decref(row);
		}
		sqlite3_finalize(st);
		tracked_fks_free(ps->fks, ps->nfks);
		ps->fks = NULL;
		ps->nfks = 0;
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* The columns purged_record reads, from syncpack_purged p joined with
 * syncpack_table t. */
#define PURGED_COLUMNS "p.guid, t.name, p.origin, p.owner, p.rowversion, " \
	"p.hlc, p.hlc_site"

/* The tombstone a row of PURGED_COLUMNS remembers. */
static void
purged_record(sqlite3_stmt *st, struct store_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	snprintf(rec->guid, sizeof(rec->guid), "%s", sqlite3_column_text(st, 0));
	snprintf(rec->table, sizeof(rec->table), "%s",
	    sqlite3_column_text(st, 1));
	snprintf(rec->origin, sizeof(rec->origin), "%s",
	    sqlite3_column_text(st, 2));
	snprintf(rec->owner, sizeof(rec->owner), "%s",
	    sqlite3_column_text(st, 3));
	rec->rowversion = sqlite3_column_int64(st, 4);
	rec->hlc = sqlite3_column_int64(st, 5);
	snprintf(rec->hlc_site, sizeof(rec->hlc_site), "%s",
	    sqlite3_column_text(st, 6));
	rec->deleted = 1;
}

int
pack_purged_lookup(struct site *s, const char *guid, struct store_record *rec,
    struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(s->db, "SELECT " PURGED_COLUMNS " FROM "
	    "syncpack_purged p JOIN syncpack_table t ON t.id = p.tbl WHERE "
	    "t.tracked AND p.guid = ?", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	if (sqlite3_bind_text(st, 1, guid, -1, SQLITE_STATIC) != SQLITE_OK) {
		sqlite3_finalize(st);
		return site_sqlite_error(s, err, s->path);
	}
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		purged_record(st, rec);
	sqlite3_finalize(st);
	if (r == SQLITE_ROW)
		return 1;
	return r == SQLITE_DONE ? 0 : site_sqlite_error(s, err, s->path);
}

/* A spoke that starts from 0 (new, or restored from a backup) also gets
 * the deletes whose tombstones were purged here, so that a restored one
 * does not keep records deleted since its backup. */
static int
emit_purged(struct pack_state *ps, struct sp_error *err)
{
	sqlite3_stmt *st;
	int r, rc = 0;

	if (sqlite3_prepare_v2(ps->site->db, "SELECT " PURGED_COLUMNS " FROM "
	    "syncpack_purged p JOIN syncpack_table t ON t.id = p.tbl WHERE "
	    "t.tracked ORDER BY p.tbl, p.guid", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(ps->site, err, ps->site->path);
	while (rc == 0 && (r = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_record rec;
		const struct tracked_table *t;

		purged_record(st, &rec);
		t = table_named(ps, rec.table);
		if (t == NULL || !routed(ps, t, &rec))
			continue;
		rc = emit(ps, &rec, NULL, "upsert", NULL, 0, err);
	}
	if (rc == 0 && r != SQLITE_DONE)
		rc = site_sqlite_error(ps->site, err, ps->site->path);
	sqlite3_finalize(st);
	return rc;
}

/* A spoke's requests for records to be moved to it: requests.jsonl. */
static int
write_requests(struct pack_state *ps, const struct pack_options *opt,
    struct sp_error *err)
{
	if (opt->nrequests == 0)
		return 0;
	if (sxf_writer_member_begin(ps->w, "requests.jsonl", err) != 0)
		return -1;
	for (int i = 0; i < opt->nrequests; i++) {
		json_t *o = json_pack("{s:s, s:s}", "table", opt->requests[i].table,
		    "guid", opt->requests[i].key);
		char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
		int rc;

		json_decref(o);
		if (text == NULL || !guid_valid(opt->requests[i].key)) {
			free(text);
			return sp_error_set(err, "--request-move wants TABLE:GUID");
		}
		rc = sxf_writer_member_write(ps->w, text, strlen(text), err) ||
		    sxf_writer_member_write(ps->w, "\n", 1, err);
		free(text);
		if (rc != 0)
			return -1;
	}
	return sxf_writer_member_end(ps->w, err);
}

/* Moves the peer's acknowledged mark to covered, as an acknowledged empty
 * file would, and purges the tombstones every peer is past. */
static int
advance_mark(struct site *s, const char *peer, long long covered,
    struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(s->db, "UPDATE syncpack_peer SET acked_lseq = "
	    "max(acked_lseq, ?) WHERE site = ?", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	sqlite3_bind_int64(st, 1, covered);
	sqlite3_bind_text(st, 2, peer, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	if (r != SQLITE_DONE)
		return site_sqlite_error(s, err, s->path);
	return site_vacuum(s, NULL, err);
}

int
pack_data(struct site *s, const char *peer, const char *target,
    const struct pack_options *opt, struct pack_result *res,
    struct sp_error *err)
{
	struct pack_state ps;
	struct tracked_table *tables = NULL;
	long long acked = 0, covered = 0;
	int ntables = 0, rc = -1, in_txn = 0;
	char covered_text[32], records_text[32], since_text[32];

	memset(&ps, 0, sizeof(ps));
	memset(res, 0, sizeof(*res));
	ps.site = s;
	ps.peer = peer;
	ps.opt = opt;
	if (site_peer_exists(s, peer, err) != 1)
		return sp_error_set(err, "%s is not a registered peer of %s", peer,
		    s->id);
	if ((opt->nmoves > 0 || s->hub) && mark_moves(s, peer, opt, err) != 0)
		return -1;
	/* One read transaction: the lseq range and the rows agree. */
	if (site_exec(s, "BEGIN", err) != 0)
		return -1;
	in_txn = 1;
	if (peer_mark(s, peer, &acked, &covered, err) != 0 ||
	    tracked_tables_load(s, &tables, &ntables, err) != 0 ||
	    (ps.tables = tables, ps.ntables = ntables, ps.acked = acked,
	    ps.covered = covered, 0) ||
	    (ps.store = store_sqlite_open(s, err)) == NULL ||
	    (ps.w = sxf_writer_new(err)) == NULL ||
	    write_schema(&ps, tables, ntables, err) != 0 ||
	    sxf_writer_member_begin(ps.w, "data.jsonl", err) != 0)
		goto cleanup;
	for (int i = 0; i < ntables; i++) {
		const struct tracked_table *t = &tables[i];

		if (s->hub && strcmp(t->route, "none") == 0 && acked > 0)
			continue;	/* upload-only: nothing goes down (routed) */
		ps.table = t;
		if (tracked_fks_load(s, t->name, &ps.fks, &ps.nfks, err) != 0)
			goto cleanup;
		rc = store_changes(ps.store, t->name, acked, covered, pack_one,
		    &ps, err);
		tracked_fks_free(ps.fks, ps.nfks);
		ps.fks = NULL;
		if (rc != 0) {
			rc = -1;
			goto cleanup;
		}
		rc = -1;
	}
	if ((s->hub && acked <= 0 && emit_purged(&ps, err) != 0) ||
	    emit_moves(&ps, err) != 0 ||
	    sxf_writer_member_end(ps.w, err) != 0 ||
	    write_requests(&ps, opt, err) != 0)
		goto cleanup;
	if (site_exec(s, "COMMIT", err) != 0)
		goto cleanup;
	in_txn = 0;
	res->records = ps.records;
	res->moved = ps.moved;
	res->held_back = ps.held_back;
	if (ps.held_back > 0)
		covered = ps.first_held - 1;
	if (ps.records == 0 && opt->nrequests == 0 && opt->if_changed &&
	    acked >= 0) {
		/* Nothing in the range is for the peer (changes that came from
		 * it, records routed elsewhere): it needs no file to have seen
		 * them, and tombstones it never needed can go. Not from a site
		 * that found it was restored (-1): its file, empty or not, is
		 * how the peer learns it (since -1) and sends it everything
		 * again. */
		rc = advance_mark(s, peer, covered, err);
		goto cleanup;
	}
	snprintf(covered_text, sizeof(covered_text), "%lld", covered);
	snprintf(records_text, sizeof(records_text), "%lld", ps.records);
	snprintf(since_text, sizeof(since_text), "%lld", acked);
	{
		/* since: where this file starts; -1 from a site that found it
		 * was restored from a backup (exchange_note_seen). */
		const char *extra[] = { "lseq", covered_text, "records",
		    records_text, "since", since_text, NULL };
		struct exchange_meta m = { "data", peer, opt->link, covered,
		    extra };
		if (exchange_file_write(s, ps.w, &m, target, &res->file, err) != 0)
			goto cleanup;
	}
	{
		char *sql = sqlite3_mprintf("UPDATE syncpack_transfer SET flow = "
		    "%llu WHERE from_site = '%q' AND to_site = '%q' AND state = "
		    "'in transit' AND flow = 0", (unsigned long long)res->file.flow,
		    s->id, peer);
		int r = site_exec(s, sql, err);
		sqlite3_free(sql);
		if (r != 0) {
			/* The file is out: its moves repeat in the next one. */
			res->written = 1;
			goto cleanup;
		}
	}
	res->written = 1;
	rc = 0;
cleanup:
	if (in_txn)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	sxf_writer_free(ps.w);
	if (ps.store != NULL)
		store_close(ps.store);
	tracked_tables_free(tables, ntables);
	return rc;
}
