/* pack.c: builds data files from the captured changes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/ack.h"
#include "sync/moves.h"
#include "sync/vacuum.h"
#include "sync/pack.h"
#include "sync/pack_schema.h"
#include "sync/routing.h"
#include "store/moving.h"
#include "store/packing.h"
#include "store/store.h"
#include "store/tx.h"
#include "sync/track.h"
#include "sxf/wire_record.h"

#define CLOSURE_MEMORY 1024

struct table_fks {
	struct tracked_fk *fks;
	int nfks;
	int loaded;
};

struct pack_state {
	struct site *site;
	struct store *store;
	struct sxf_writer *w;
	struct wire_writer *ww;	/* the lines of data.jsonl */
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
	/* The foreign keys of tables[i], read once per pack: a parent sent
	 * ahead needs its table's for every record that brings it. */
	struct table_fks *fks_of;
	/* Every record in transit to the peer, sorted: whether a parent
	 * that is leaving goes in this file. */
	struct store_guids transit;
	/* Parents sent ahead of a child (dependency closure), remembered so
	 * that siblings do not send them again; bounded. */
	char sent[CLOSURE_MEMORY][33];
	int nsent;
};

/* The parent record fk names in row: 1 and *parent filled, 0 when it
 * names no record here, 2 when the reference is NULL (a composite one:
 * any of its columns, as SQL has it), -1 on error. */
static int
fk_parent(struct store *store, const struct tracked_fk *fk, json_t *row,
    struct store_record *parent, struct sp_error *err)
{
	json_t *key = json_object_get(row, fk->col);

	if (key == NULL || json_is_null(key))
		return 2;
	if (fk->ref == NULL)
		return store_lookup_key(store, fk->parent, key, parent, err);
	{
		const char *col;
		json_t *v;
		json_t *cols = json_loads(fk->ref, 0, NULL);
		size_t i;
		int null = 0;

		if (cols == NULL)
			return sp_error_set(err, "%s: a damaged reference",
			    fk->parent);
		json_array_foreach(cols, i, v) {
			col = json_string_value(v);
			key = col ? json_object_get(row, col) : NULL;
			null |= key == NULL || json_is_null(key);
		}
		json_decref(cols);
		if (null)
			return 2;
	}
	return store_lookup_ref(store, fk->parent, fk->ref, row, parent, err);
}

/* Adds {table, guid, rowversion} of each parent the row refers to, and
 * for a column of a composite reference the parent's column it holds. A
 * reference never travels as a local key: returns 1 (err says which)
 * when a parent is not a live record here. */
static int
build_fk(struct pack_state *ps, const struct store_record *rec, json_t *row,
    json_t **out, struct sp_error *err)
{
	*out = NULL;
	for (int i = 0; i < ps->nfks; i++) {
		json_t *key = json_object_get(row, ps->fks[i].col), *ref;
		struct store_record parent;
		int found = fk_parent(ps->store, &ps->fks[i], row, &parent, err);

		if (found == 2)
			continue;
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
		ref = json_pack("{s:s, s:s, s:I}", "table", ps->fks[i].parent,
		    "guid", parent.guid, "rowversion",
		    (json_int_t)parent.rowversion);
		if (*out == NULL || ref == NULL || (ps->fks[i].parent_col &&
		    json_object_set_new(ref, "column", json_string(
		    ps->fks[i].parent_col)) != 0) ||
		    json_object_set_new(*out, ps->fks[i].col, ref) != 0) {
			json_decref(*out);
			*out = NULL;
			return sp_error_set(err, "out of memory");
		}
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

/* The foreign keys of table: the pack's copy when it is one of the
 * tracked tables (*owned 0), else read now for the caller to free. */
static int
fks_of(struct pack_state *ps, const char *table, struct tracked_fk **fks,
    int *nfks, int *owned, struct sp_error *err)
{
	const struct tracked_table *t = ps->fks_of ? table_named(ps, table) :
	    NULL;
	struct table_fks *memo;

	*owned = t == NULL;
	if (t == NULL)
		return tracked_fks_load(ps->site, table, fks, nfks, err);
	memo = &ps->fks_of[t - ps->tables];
	if (!memo->loaded && tracked_fks_load(ps->site, table, &memo->fks,
	    &memo->nfks, err) != 0)
		return -1;
	memo->loaded = 1;
	*fks = memo->fks;
	*nfks = memo->nfks;
	return 0;
}

static int
guid_cmp(const void *a, const void *b)
{
	return strcmp(a, *(char *const *)b);
}

/* Whether the peer holds this version of a parent, or gets it in this
 * pack anyway (parent tables come first). */
static int
parent_covered(struct pack_state *ps, const struct store_record *p)
{
	const struct tracked_table *t = table_named(ps, p->table);

	if ((strcmp(p->src, ps->peer) == 0 && !(p->flags & 16)) ||
	    p->lseq <= ps->acked)
		return 1;
	if (t != NULL && routing_sends(ps->site, t, p, ps->peer, ps->acked) &&
	    p->lseq <= ps->covered && !(p->flags & 2))
		return 1;
	/* Moving to this peer: it goes in this file, parents first. */
	if ((p->flags & 2) && ps->transit.count > 0 && bsearch(p->guid,
	    ps->transit.guid, (size_t)ps->transit.count, sizeof(char *),
	    guid_cmp) != NULL)
		return 1;
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
	int nfks = ps->nfks, owned = 0, rc = 0;

	if (depth > 16)
		return 0;	/* a cycle of references: the receiver holds */
	/* The table being packed has its foreign keys loaded already; a
	 * parent sent ahead needs its own table's. */
	if (depth > 0 && fks_of(ps, table, &fks, &nfks, &owned, err) != 0)
		return -1;
	for (int i = 0; rc == 0 && i < nfks; i++) {
		json_t *prow = NULL;
		struct store_record p;
		int found = fk_parent(ps->store, &fks[i], row, &p, err);

		if (found == 2)
			continue;
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
	if (owned)
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
	json_t *fk = NULL;
	const char *text;
	size_t len;
	int rc, owned;

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
		if (fks_of(ps, rec->table, &sub.fks, &sub.nfks, &owned, err)
		    != 0)
			return -1;
		rc = row != NULL ? build_fk(&sub, rec, row, &fk, err) : 0;
		if (owned)
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
	rc = wire_writer_line(ps->ww, &copy, row, fk, op, rec->flags & 8,
	    &text, &len, err);
	json_decref(fk);
	if (rc == 0)
		rc = sxf_writer_member_write(ps->w, text, len, err);
	ps->records++;
	return rc;
}

static int
pack_one(void *ctx, const struct store_record *rec, json_t *row,
    struct sp_error *err)
{
	struct pack_state *ps = ctx;

	if (!routing_packs_now(ps->site, ps->table, rec, ps->peer, ps->acked))
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

/* Every record in transit to the peer goes in every pack until the peer
 * acknowledges one that carried it: a lost file repeats the move. */
static int
emit_moves(struct pack_state *ps, struct sp_error *err)
{
	for (int i = 0; i < ps->ntables; i++) {
		struct store_guids out;
		int rc = 0, owned;

		if (!ps->tables[i].movable)
			continue;
		if (store_moves_outgoing(ps->site, ps->peer, ps->tables[i].id,
		    &out, err) != 0)
			return -1;
		ps->table = &ps->tables[i];
		if (fks_of(ps, ps->table->name, &ps->fks, &ps->nfks, &owned,
		    err) != 0) {
			store_guids_free(&out);
			return -1;
		}
		for (int j = 0; rc == 0 && j < out.count; j++) {
			struct store_record rec;
			json_t *row = NULL;
			int found = store_lookup(ps->store, out.guid[j], &rec, &row,
			    err);
			if (found < 0)
				rc = -1;
			else if (found && row != NULL) {
				rc = emit(ps, &rec, row, "move", ps->peer, 0, err);
				ps->moved++;
			}
			json_decref(row);
		}
		store_guids_free(&out);
		if (owned)
			tracked_fks_free(ps->fks, ps->nfks);
		ps->fks = NULL;
		ps->nfks = 0;
		if (rc != 0)
			return -1;
	}
	return 0;
}

int
pack_purged_lookup(struct site *s, const char *guid, struct store_record *rec,
    struct sp_error *err)
{
	return store_purged_lookup(s, guid, rec, err);
}

static int
emit_one_purged(void *ctx, const struct store_record *rec, json_t *row,
    struct sp_error *err)
{
	struct pack_state *ps = ctx;
	const struct tracked_table *t = table_named(ps, rec->table);

	(void)row;
	if (t == NULL || !routing_sends(ps->site, t, rec, ps->peer, ps->acked))
		return 0;
	return emit(ps, rec, NULL, "upsert", NULL, 0, err);
}

/* A spoke that starts from 0 (new, or restored from a backup) also gets
 * the deletes whose tombstones were purged here, so that a restored one
 * does not keep records deleted since its backup. */
static int
emit_purged(struct pack_state *ps, struct sp_error *err)
{
	return store_purged_each(ps->site, emit_one_purged, ps, err);
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
	if (store_peer_advance(s, peer, covered, err) != 0)
		return -1;
	return site_vacuum(s, NULL, err);
}

static void
fks_memo_free(struct pack_state *ps)
{
	for (int i = 0; ps->fks_of != NULL && i < ps->ntables; i++)
		tracked_fks_free(ps->fks_of[i].fks, ps->fks_of[i].nfks);
	free(ps->fks_of);
	ps->fks_of = NULL;
}

/* The peer's marks and what the pack reads once, inside its read
 * transaction. */
static int
pack_begin(struct pack_state *ps, struct sp_error *err)
{
	struct site *s = ps->site;
	int found = store_peer_marks(s, ps->peer, &ps->acked, &ps->covered,
	    err);

	if (found < 0)
		return -1;
	if (found == 0)
		return sp_error_set(err, "%s is not a registered peer of %s",
		    ps->peer, s->id);
	if (tracked_tables_load(s, &ps->tables, &ps->ntables, err) != 0)
		return -1;
	if ((ps->fks_of = calloc((size_t)ps->ntables + 1,
	    sizeof(*ps->fks_of))) == NULL)
		return sp_error_set(err, "out of memory");
	return store_moves_in_transit_to(s, ps->peer, &ps->transit, err);
}

int
pack_data(struct site *s, const char *peer, const char *target,
    const struct pack_options *opt, struct pack_result *res,
    struct sp_error *err)
{
	struct pack_state ps;
	long long acked, covered;
	int rc = -1, in_txn = 0;
	char covered_text[32], records_text[32], since_text[32];

	memset(&ps, 0, sizeof(ps));
	memset(res, 0, sizeof(*res));
	ps.site = s;
	ps.peer = peer;
	ps.opt = opt;
	if (site_peer_exists(s, peer, err) != 1)
		return sp_error_set(err, "%s is not a registered peer of %s", peer,
		    s->id);
	if ((opt->nmoves > 0 || s->hub) && moves_mark(s, peer, opt->moves,
	    opt->nmoves, err) != 0)
		return -1;
	/* One read transaction: the lseq range and the rows agree. */
	if (store_tx_begin_read(s, err) != 0)
		return -1;
	in_txn = 1;
	if (pack_begin(&ps, err) != 0 ||
	    (ps.store = store_open(s, err)) == NULL ||
	    (ps.w = sxf_writer_new(err)) == NULL ||
	    (ps.ww = wire_writer_new(err)) == NULL ||
	    pack_write_schema(s, ps.w, ps.tables, ps.ntables, err) != 0 ||
	    sxf_writer_member_begin(ps.w, "data.jsonl", err) != 0)
		goto cleanup;
	acked = ps.acked;
	covered = ps.covered;
	for (int i = 0; i < ps.ntables; i++) {
		const struct tracked_table *t = &ps.tables[i];
		int owned;

		if (s->hub && strcmp(t->route, "none") == 0 && acked > 0)
			continue;	/* upload-only: nothing goes down (routing) */
		ps.table = t;
		if (fks_of(&ps, t->name, &ps.fks, &ps.nfks, &owned, err) != 0)
			goto cleanup;
		/* A hub sends a table routed to owners only its own records
		 * (routing.c): the others are not read, so that the night's
		 * return to each spoke does not walk every spoke's changes. */
		rc = store_changes_owned(ps.store, t->name, s->hub &&
		    (strcmp(t->route, "owner") == 0 || strcmp(t->route, "none") ==
		    0) ? peer : NULL, acked, covered, pack_one, &ps, err);
		if (owned)
			tracked_fks_free(ps.fks, ps.nfks);
		ps.fks = NULL;
		ps.nfks = 0;
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
	if (store_tx_commit(s, err) != 0)
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
		    records_text, "since", since_text,
		    opt->nrequests > 0 ? "requests" : NULL, "1", NULL };
		struct exchange_meta m = { "data", peer, opt->link, covered,
		    extra };
		if (exchange_file_write(s, ps.w, &m, target, &res->file, err)
		    != 0 || exchange_file_publish(&res->file, err) != 0)
			goto cleanup;
	}
	/* The file is out even if this fails: its moves repeat in the next
	 * one. */
	res->written = 1;
	if (store_moves_set_flow(s, peer, res->file.flow, err) != 0)
		goto cleanup;
	rc = 0;
cleanup:
	if (in_txn)
		store_tx_rollback(s);
	sxf_writer_free(ps.w);
	wire_writer_free(ps.ww);
	if (ps.store != NULL)
		store_close(ps.store);
	fks_memo_free(&ps);
	store_guids_free(&ps.transit);
	tracked_tables_free(ps.tables, ps.ntables);
	return rc;
}
