/* apply_parents.c: whether an incoming version can be written here: its
 * columns known, its parents present and recent enough, its references
 * turned into this site's keys. */
#include <stdio.h>
#include <string.h>

#include "sync/apply_record.h"

/* Replaces each foreign key's value with the parent's local key; sets
 * reason and returns 1 when a parent is missing or older than required. */
static int
translate_parents(struct apply_ctx *ac, struct wire_record *w, char *reason,
    size_t rlen, struct sp_error *err)
{
	const char *col;
	json_t *ref;

	if (w->fk == NULL)
		return 0;
	json_object_foreach(w->fk, col, ref) {
		json_t *t = json_object_get(ref, "table");
		json_t *g = json_object_get(ref, "guid");
		json_t *rv = json_object_get(ref, "rowversion");
		/* A column of a composite reference names the parent's column
		 * it holds; a single one holds the parent's key. */
		json_t *pcol = json_object_get(ref, "column");
		struct store_record parent;
		struct policy_entry *pp;
		json_t *prow = NULL, *value;
		int found, via;

		if (!json_is_string(t) || !json_is_string(g) ||
		    !json_is_integer(rv) || (pcol != NULL &&
		    !json_is_string(pcol))) {
			snprintf(reason, rlen, "bad foreign key %s", col);
			return 2;
		}
		/* A parent merged into another here is that one. */
		found = lookup_resolved(ac, json_string_value(g), &parent,
		    &prow, &via, err);
		if (found < 0)
			return -1;
		if (!found || parent.deleted || prow == NULL) {
			snprintf(reason, rlen, "parent %s %s %s", json_string_value(t),
			    json_string_value(g), found ? "is deleted" : "is missing");
			json_decref(prow);
			return 1;
		}
		/* The rowversion the child needs counts the merged record's
		 * changes, not those of the one it merged into. */
		if (!via && parent.rowversion < json_integer_value(rv)) {
			snprintf(reason, rlen, "parent %s %s is at rowversion %lld, "
			    "the record needs %lld", json_string_value(t),
			    json_string_value(g), parent.rowversion,
			    (long long)json_integer_value(rv));
			json_decref(prow);
			return 1;
		}
		found = policy_find(ac, parent.table, &pp, err);
		if (found <= 0) {
			json_decref(prow);
			if (found < 0)
				return -1;
			snprintf(reason, rlen, "parent table %s is not tracked here",
			    parent.table);
			return 1;
		}
		value = json_object_get(prow, pcol ? json_string_value(pcol)
		    : pp->t.pk);
		if (value == NULL) {
			snprintf(reason, rlen, "parent %s %s has no column %s",
			    json_string_value(t), json_string_value(g), pcol ?
			    json_string_value(pcol) : pp->t.pk);
			json_decref(prow);
			return 2;
		}
		if (w->columns != NULL && json_object_set(w->columns, col,
		    value) != 0) {
			json_decref(prow);
			return sp_error_set(err, "out of memory");
		}
		json_decref(prow);
	}
	return 0;
}

/* 0 when upsert w can be written here, its references made local keys;
 * 1 with *o and reason set when a column or a parent is not; -1: error. */
int
writable_here(struct apply_ctx *ac, const struct policy_entry *p,
    struct wire_record *w, enum apply_outcome *o, char *reason, size_t rlen,
    struct sp_error *err)
{
	const char *col;
	json_t *v;
	int r;

	json_object_foreach(w->columns, col, v)
		if (!policy_has_column(p, col)) {
			snprintf(reason, rlen, "schema: table %s has no column %s "
			    "here", w->rec.table, col);
			*o = OUTCOME_HELD;
			return 1;
		}
	if ((r = translate_parents(ac, w, reason, rlen, err)) > 0)
		*o = r == 1 ? OUTCOME_HELD : OUTCOME_REJECTED;
	return r < 0 ? -1 : r > 0;
}
