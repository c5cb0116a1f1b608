/* track.c: which tables can be tracked and with which policies; starts
 * and stops change capture on them through the store (store/tables.h),
 * the same decisions whichever backend holds the site. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/track.h"

static const char *const owners[] = { "central", "creator", "shared", NULL };
static const char *const routes[] = { "all", "owner", "none", NULL };
static const char *const conflicts[] = { "lww", "hub", "owner", "manual", NULL };
static const char *const keys[] = { "local", "natural", NULL };

/* 1 when value is one of allowed. */
static int
known(const char *const *allowed, const char *value)
{
	for (; *allowed != NULL; allowed++)
		if (strcmp(*allowed, value) == 0)
			return 1;
	return 0;
}

/* Sets word to value if it is one of allowed; 0 if it is not. */
static int
pick(char word[TRACKED_WORD_MAX], const char *const *allowed,
    const char *value)
{
	if (!known(allowed, value))
		return 0;
	snprintf(word, TRACKED_WORD_MAX, "%s", value);
	return 1;
}

int
tracked_table_load(struct site *s, const char *table,
    struct tracked_table *t, struct sp_error *err)
{
	int found = store_tables_ops(s)->table_get(s, table, t, err);

	if (found != 1)
		return found;
	if (!known(owners, t->owner) || !known(routes, t->route) ||
	    !known(conflicts, t->conflict) || !known(keys, t->key)) {
		sp_error_set(err, "%s: the policy of %s is damaged", s->path,
		    t->name);
		tracked_table_free(t);
		return -1;
	}
	return 1;
}

/* Checks the table itself: exists, is not ours. Fills t->pk and
 * t->pk_integer (store_table_primary_key); *keyless when the table has no
 * primary key and its rowid names its rows, *composite for a key of
 * several columns. */
static int
inspect_table(struct site *s, const char *table, struct tracked_table *t,
    int *keyless, int *composite, struct sp_error *err)
{
	const struct store_tables_ops *op = store_tables_ops(s);
	int found, pk_count;

	for (const char *p = table; *p; p++)
		if ((unsigned char)*p < 0x20)
			return sp_error_set(err, "table name with control "
			    "characters is not supported");
	if (strncmp(table, "syncpack_", 9) == 0 ||
	    strncmp(table, "sqlite_", 7) == 0)
		return sp_error_set(err, "%s: internal tables cannot be tracked",
		    table);
	if ((found = op->table_exists(s, table, err)) < 0)
		return -1;
	if (!found)
		return sp_error_set(err, "%s: no such table", table);
	if (op->table_primary_key(s, table, &t->pk, &t->pk_integer, &pk_count,
	    err) != 0)
		return -1;
	*keyless = pk_count == 0;
	*composite = pk_count > 1;
	return 0;
}

static int
resolve_policy(struct site *s, const char *table,
    const struct track_request *req, int keyless, int composite,
    struct tracked_table *t, struct sp_error *err)
{
	if (!pick(t->owner, owners, req->owner ? req->owner : "shared"))
		return sp_error_set(err, "--owner must be central, creator or "
		    "shared");
	if (!pick(t->route, routes, req->route ? req->route : "all"))
		return sp_error_set(err, "--route must be all, owner or none");
	if (!pick(t->conflict, conflicts, req->conflict ? req->conflict
	    : "lww"))
		return sp_error_set(err, "--conflict must be lww, hub, owner or "
		    "manual");
	if (!pick(t->key, keys, req->key ? req->key
	    : (t->pk_integer ? "local" : "natural")))
		return sp_error_set(err, "--key must be local or natural");
	/* Without a key, rows are named by their rowid, which only this
	 * site's numbering gives; a composite key is made of values that
	 * travel (its references translated like any other). */
	if (keyless && strcmp(t->key, "local") != 0)
		return sp_error_set(err, "%s: has no primary key: its rows are "
		    "told apart by their rowid, a local key; --key natural needs"
		    " a primary key", table);
	if (composite && strcmp(t->key, "local") == 0)
		return sp_error_set(err, "%s: --key local needs a single INTEGER "
		    "primary key; the key of %s has several columns: use --key "
		    "natural", table, table);
	if (strcmp(t->key, "local") == 0 && !t->pk_integer)
		return sp_error_set(err, "%s: --key local needs an INTEGER "
		    "primary key that the database numbers (a rowid in SQLite, "
		    "serial or identity in PostgreSQL); %s is not one: use --key"
		    " natural", table, t->pk);
	if (req->freeze && strcmp(t->owner, "creator") != 0)
		return sp_error_set(err, "%s: --freeze applies to --owner "
		    "creator tables only", table);
	if (req->window != NULL) {
		int found = store_tables_ops(s)->column_exists(s, table,
		    req->window, err);
		if (found < 0)
			return -1;
		if (!found)
			return sp_error_set(err, "%s: --window: no column %s",
			    table, req->window);
		if ((t->window = strdup(req->window)) == NULL)
			return sp_error_set(err, "out of memory");
	}
	t->freeze = req->freeze;
	t->movable = req->movable;
	t->rowversion_column = req->rowversion_column;
	return 0;
}

int
track_table(struct site *s, const char *table,
    const struct track_request *req, struct sp_error *err)
{
	const struct store_tables_ops *op = store_tables_ops(s);
	struct tracked_table t;
	int rc = -1, keyless = 0, composite = 0;

	memset(&t, 0, sizeof(t));
	if (op->tx_begin(s, err) != 0)
		return -1;
	if (inspect_table(s, table, &t, &keyless, &composite, err) != 0 ||
	    resolve_policy(s, table, req, keyless, composite, &t, err) != 0)
		goto rollback;
	t.name = strdup(table);
	if (t.name == NULL) {
		sp_error_set(err, "out of memory");
		goto rollback;
	}
	/* The old capture goes before existing rows are adopted: a policy
	 * changed while tracked must not have its old guards in the way. */
	if (op->table_save(s, &t, err) != 0 ||
	    op->capture_remove(s, t.id, err) != 0 ||
	    op->table_adopt(s, &t, err) != 0 ||
	    op->capture_install(s, &t, err) != 0 ||
	    op->fks_refresh(s, err) != 0 ||
	    op->tx_commit(s, err) != 0)
		goto rollback;
	rc = 0;
	goto cleanup;
rollback:
	op->tx_rollback(s);
cleanup:
	tracked_table_free(&t);
	return rc;
}

int
untrack_table(struct site *s, const char *table, struct sp_error *err)
{
	const struct store_tables_ops *op = store_tables_ops(s);
	struct tracked_table t;
	int found, rc = -1;

	if (op->tx_begin(s, err) != 0)
		return -1;
	found = tracked_table_load(s, table, &t, err);
	if (found < 0)
		goto rollback;
	if (found == 0 || !t.tracked) {
		sp_error_set(err, "%s: not a tracked table", table);
		goto rollback;
	}
	if (op->capture_remove(s, t.id, err) != 0 ||
	    op->table_untrack(s, t.id, err) != 0 ||
	    op->fks_refresh(s, err) != 0 ||
	    op->tx_commit(s, err) != 0)
		goto rollback;
	rc = 0;
	goto cleanup;
rollback:
	op->tx_rollback(s);
cleanup:
	if (found > 0)
		tracked_table_free(&t);
	return rc;
}

/* 1 when every id of want is among the first n of have. */
static int
all_placed(const long long *want, int nwant, const struct tracked_table *have,
    int n)
{
	for (int i = 0; i < nwant; i++) {
		int in = 0;
		for (int j = 0; j < n && !in; j++)
			in = have[j].id == want[i];
		if (!in)
			return 0;
	}
	return 1;
}

/* Kahn's algorithm: a table is placed once its parents are; when none can
 * be (a cycle), the first left is placed, so cycles keep table order.
 * Moves all[0..n) into ordered; done has room for n flags, all zero. */
static void
order_tables(const struct tracked_table *all, long long *const *parents,
    const int *nparents, int n, int *done, struct tracked_table *ordered)
{
	int placed = 0;

	while (placed < n) {
		int progress = 0;
		for (int i = 0; i < n; i++) {
			if (done[i] || !all_placed(parents[i], nparents[i],
			    ordered, placed))
				continue;
			ordered[placed++] = all[i];
			done[i] = 1;
			progress = 1;
		}
		if (!progress)
			for (int i = 0; i < n; i++)
				if (!done[i]) {
					ordered[placed++] = all[i];
					done[i] = 1;
					break;
				}
	}
}

int
tracked_tables_load(struct site *s, struct tracked_table **tables,
    int *count, struct sp_error *err)
{
	struct tracked_table *all = NULL, *ordered = NULL;
	char **names = NULL;
	long long **parents = NULL;
	int *nparents = NULL, *done = NULL;
	int n = 0, loaded = 0, rc = -1;

	*tables = NULL;
	*count = 0;
	if (store_tables_tracked(s, &names, &n, err) != 0)
		return -1;
	all = calloc((size_t)n + 1, sizeof(*all));
	ordered = calloc((size_t)n + 1, sizeof(*ordered));
	parents = calloc((size_t)n + 1, sizeof(*parents));
	nparents = calloc((size_t)n + 1, sizeof(*nparents));
	done = calloc((size_t)n + 1, sizeof(*done));
	if (all == NULL || ordered == NULL || parents == NULL ||
	    nparents == NULL || done == NULL) {
		sp_error_set(err, "out of memory");
		goto cleanup;
	}
	for (; loaded < n; loaded++) {
		int found = tracked_table_load(s, names[loaded], &all[loaded],
		    err);
		if (found == 0)
			sp_error_set(err, "%s: no longer tracked", names[loaded]);
		if (found != 1)
			goto cleanup;
		if (store_table_parents(s, all[loaded].id, &parents[loaded],
		    &nparents[loaded], err) != 0) {
			tracked_table_free(&all[loaded]);
			goto cleanup;
		}
	}
	order_tables(all, parents, nparents, n, done, ordered);
	*tables = ordered;
	*count = n;
	ordered = NULL;
	rc = 0;
cleanup:
	if (rc != 0)
		for (int i = 0; i < loaded; i++)
			tracked_table_free(&all[i]);
	for (int i = 0; parents != NULL && i < loaded; i++)
		free(parents[i]);
	free(all);
	free(ordered);
	free(parents);
	free(nparents);
	free(done);
	tracked_columns_free(names, n);
	return rc;
}

void
tracked_tables_free(struct tracked_table *tables, int count)
{
	for (int i = 0; i < count; i++)
		tracked_table_free(&tables[i]);
	free(tables);
}
