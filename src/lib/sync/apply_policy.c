/* apply_policy.c: the tracked tables' policies and columns an apply
 * looks up, loaded once per table. */
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "sync/apply_record.h"
#include "sync/track.h"

void
policy_cache_free(struct policy_cache *pc)
{
	if (pc == NULL)
		return;
	for (int i = 0; i < pc->n; i++)
		tracked_table_free(&pc->e[i].t);
	free(pc->e);
	free(pc);
}

int
policy_find(struct apply_ctx *ac, const char *table, struct policy_entry **out,
    struct sp_error *err)
{
	struct policy_cache *pc = ac->policies;
	struct policy_entry *e, *grown;
	int found;

	*out = NULL;
	for (int i = 0; i < pc->n; i++)
		if (strcmp(pc->e[i].t.name, table) == 0) {
			*out = &pc->e[i];
			return 1;
		}
	grown = realloc(pc->e, (size_t)(pc->n + 1) * sizeof(*grown));
	if (grown == NULL)
		return sp_error_set(err, "out of memory");
	pc->e = grown;
	e = &pc->e[pc->n];
	memset(e, 0, sizeof(*e));
	found = tracked_table_load(ac->site, table, &e->t, err);
	if (found <= 0)
		return found;
	if (!e->t.tracked) {
		tracked_table_free(&e->t);
		return 0;
	}
	found = store_columns(ac->store, table, &e->columns, &e->ncolumns,
	    err);
	if (found <= 0) {
		tracked_table_free(&e->t);
		return found < 0 ? -1 : sp_error_set(err, "%s: tracked, but "
		    "unknown to the store opened before it was", table);
	}
	pc->n++;
	*out = e;
	return 1;
}

int
policy_has_column(const struct policy_entry *e, const char *col)
{
	for (int i = 0; i < e->ncolumns; i++)
		if (strcmp(e->columns[i], col) == 0)
			return 1;
	return 0;
}
