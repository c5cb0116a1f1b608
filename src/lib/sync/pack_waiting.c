/* pack_waiting.c: how many records the next data file to a peer would
 * carry (pack.h), decided by the same routing rule as the pack itself,
 * on the records' metadata only. */
#include <string.h>

#include "sync/pack.h"
#include "sync/routing.h"
#include "sync/track.h"
#include "store/moving.h"
#include "store/packing.h"
#include "store/store.h"

struct waiting {
	struct site *site;
	const char *peer;
	long long acked;
	const struct tracked_table *table;	/* NULL: look it up */
	const struct tracked_table *tables;
	int ntables;
	long long count;
};

static const struct tracked_table *
table_named(const struct waiting *w, const char *name)
{
	for (int i = 0; i < w->ntables; i++)
		if (strcmp(w->tables[i].name, name) == 0)
			return &w->tables[i];
	return NULL;
}

static int
count_change(void *ctx, const struct store_record *rec, json_t *row,
    struct sp_error *err)
{
	struct waiting *w = ctx;

	(void)row;
	(void)err;
	if (routing_packs_now(w->site, w->table, rec, w->peer, w->acked))
		w->count++;
	return 0;
}

static int
count_purged(void *ctx, const struct store_record *rec, json_t *row,
    struct sp_error *err)
{
	struct waiting *w = ctx;
	const struct tracked_table *t = table_named(w, rec->table);

	(void)row;
	(void)err;
	if (t != NULL && routing_sends(w->site, t, rec, w->peer, w->acked))
		w->count++;
	return 0;
}

static int
count_tables(struct waiting *w, struct store *store, long long upto,
    struct sp_error *err)
{
	for (int i = 0; i < w->ntables; i++) {
		const struct tracked_table *t = &w->tables[i];

		if (t->movable) {
			struct store_guids out;

			int rc = 0;

			if (store_moves_outgoing(w->site, w->peer, t->id, &out,
			    err) != 0)
				return -1;
			/* As emit_moves: a move goes out with its row. */
			for (int j = 0; rc == 0 && j < out.count; j++) {
				struct store_record rec;
				json_t *row = NULL;
				int found = store_lookup(store, out.guid[j], &rec,
				    &row, err);

				if (found < 0)
					rc = -1;
				else if (found && row != NULL)
					w->count++;
				json_decref(row);
			}
			store_guids_free(&out);
			if (rc != 0)
				return -1;
			continue;
		}
		w->table = t;
		if (store_changed_records(store, t->name, w->acked, upto,
		    count_change, w, err) != 0)
			return -1;
	}
	if (w->site->hub && w->acked <= 0)
		return store_purged_each(w->site, count_purged, w, err);
	return 0;
}

int
pack_waiting(struct site *s, const char *peer, long long *n,
    struct sp_error *err)
{
	struct waiting w = { s, peer, 0, NULL, NULL, 0, 0 };
	struct tracked_table *tables = NULL;
	struct store *store = NULL;
	long long upto;
	int found, rc = -1;

	*n = 0;
	found = store_peer_marks(s, peer, &w.acked, &upto, err);
	if (found < 0)
		return -1;
	if (found == 0)
		return sp_error_set(err, "%s is not a registered peer of %s",
		    peer, s->id);
	if (tracked_tables_load(s, &tables, &w.ntables, err) != 0)
		return -1;
	w.tables = tables;
	if ((store = store_open(s, err)) != NULL &&
	    count_tables(&w, store, upto, err) == 0) {
		*n = w.count;
		rc = 0;
	}
	if (store != NULL)
		store_close(store);
	tracked_tables_free(tables, w.ntables);
	return rc;
}
