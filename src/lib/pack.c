/* pack.c: builds data files from the captured changes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "hexenc.h"
#include "pack.h"
#include "store.h"
#include "track.h"
#include "wire_record.h"

struct pack_state {
	struct site *site;
	struct store *store;
	struct sxf_writer *w;
	const char *peer;
	const struct tracked_table *table;
	struct tracked_fk *fks;
	int nfks;
	long long records;
};

/* Adds {table, guid, rowversion} of each parent the row refers to. */
static int
build_fk(struct pack_state *ps, json_t *row, json_t **out,
    struct sp_error *err)
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
		if (found < 0)
			return -1;
		if (!found)
			continue;	/* refers to an untracked row */
		if (*out == NULL)
			*out = json_object();
		json_object_set_new(*out, ps->fks[i].col, json_pack("{s:s, s:s, "
		    "s:I}", "table", ps->fks[i].parent, "guid", parent.guid,
		    "rowversion", (json_int_t)parent.rowversion));
	}
	return 0;
}

static int
pack_one(void *ctx, const struct store_record *rec, json_t *row,
    struct sp_error *err)
{
	struct pack_state *ps = ctx;
	json_t *fk = NULL, *line;
	char *text;
	int rc;

	if (rec->locked || rec->flags & 2)
		return 0;	/* reserved or moving: sent once released */
	if (rec->src[0] && strcmp(rec->src, ps->peer) == 0)
		return 0;	/* never echoed to the site it came from */
	if (ps->site->hub && strcmp(ps->table->route, "owner") == 0 &&
	    strcmp(rec->owner, ps->peer) != 0)
		return 0;
	if (row != NULL && build_fk(ps, row, &fk, err) != 0)
		return -1;
	line = wire_record_build(rec, row, fk);
	json_decref(fk);
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
	if (row != NULL && build_fk(&ps, row, &fk, err) != 0)
		goto cleanup;
	if (owner != NULL)
		snprintf(rec.owner, sizeof(rec.owner), "%s", owner);
	*out = wire_record_build(&rec, row, fk);
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

int
pack_data(struct site *s, const char *peer, const char *target,
    const struct pack_options *opt, struct pack_result *res,
    struct sp_error *err)
{
	struct pack_state ps;
	struct tracked_table *tables = NULL;
	long long acked = 0, covered = 0;
	int ntables = 0, rc = -1, in_txn = 0;
	char covered_text[32], records_text[32];

	memset(&ps, 0, sizeof(ps));
	memset(res, 0, sizeof(*res));
	ps.site = s;
	ps.peer = peer;
	/* One read transaction: the lseq range and the rows agree. */
	if (site_exec(s, "BEGIN", err) != 0)
		return -1;
	in_txn = 1;
	if (peer_mark(s, peer, &acked, &covered, err) != 0 ||
	    tracked_tables_load(s, &tables, &ntables, err) != 0 ||
	    (ps.store = store_sqlite_open(s, err)) == NULL ||
	    (ps.w = sxf_writer_new(err)) == NULL ||
	    write_schema(&ps, tables, ntables, err) != 0 ||
	    sxf_writer_member_begin(ps.w, "data.jsonl", err) != 0)
		goto cleanup;
	for (int i = 0; i < ntables; i++) {
		const struct tracked_table *t = &tables[i];

		if (!s->hub && strcmp(t->owner, "central") == 0)
			continue;	/* a spoke never sends central data */
		if (s->hub && strcmp(t->route, "none") == 0)
			continue;	/* upload-only */
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
	if (sxf_writer_member_end(ps.w, err) != 0)
		goto cleanup;
	site_exec(s, "COMMIT", NULL);
	in_txn = 0;
	res->records = ps.records;
	if (ps.records == 0 && opt->if_changed) {
		rc = 0;
		goto cleanup;
	}
	snprintf(covered_text, sizeof(covered_text), "%lld", covered);
	snprintf(records_text, sizeof(records_text), "%lld", ps.records);
	{
		const char *extra[] = { "lseq", covered_text, "records",
		    records_text, NULL };
		struct exchange_meta m = { "data", peer, opt->link, covered,
		    extra };
		if (exchange_file_write(s, ps.w, &m, target, &res->file, err) != 0)
			goto cleanup;
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
