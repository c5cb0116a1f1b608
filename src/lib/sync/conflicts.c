/* conflicts.c: resolving a conflict kept for an operator. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sync/conflicts.h"
#include "store/conflicts.h"
#include "store/store.h"
#include "store/tables.h"
#include "store/tx.h"
#include "sxf/wire_record.h"

/* The key column of table, a new string; NULL with err set. */
static char *
table_pk(struct site *s, const char *table, struct sp_error *err)
{
	struct tracked_table t;
	char *pk;
	int found = store_table_get(s, table, &t, err);

	if (found <= 0) {
		if (found == 0)
			sp_error_set(err, "%s is not tracked", table);
		return NULL;
	}
	pk = t.pk;
	t.pk = NULL;
	tracked_table_free(&t);
	return pk;
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
	char *pk;
	int found;

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
	/* A column of a composite reference holds the parent's column it
	 * names (sxf(5)). */
	if (!json_is_string(json_object_get(ref, "column")))
		pk = table_pk(s, parent.table, err);
	else if ((pk = strdup(json_string_value(json_object_get(ref,
	    "column")))) == NULL)
		sp_error_set(err, "out of memory");
	if (pk != NULL) {
		key = json_incref(json_object_get(prow, pk));
		if (key == NULL)
			sp_error_set(err, "%s: parent %s has no key", col,
			    json_string_value(g));
	}
	free(pk);
	json_decref(prow);
	return key;
}

/* Writes the chosen version's values into the row as a local change, so
 * that the capture triggers stamp it: an update of the row, or when the
 * record is a tombstone here, an insert that takes the record's GUID
 * again. References take the parents the remote version names; the key
 * is left out: it stays this site's. */
static int
write_values(struct site *s, struct store *store, const char *table,
    const char *remote, const char *guid, struct sp_error *err)
{
	struct wire_record w;
	json_t *row = NULL, *v, *values = NULL;
	struct store_record local;
	const char *col;
	char *pk = NULL;
	int rc = -1, found;

	if (wire_record_parse(remote, strlen(remote), &w, err) != 0)
		return -1;
	found = store_lookup(store, guid, &local, &row, err);
	if (found < 0)
		goto cleanup;
	if (found == 0 || (row == NULL && w.rec.deleted)) {
		sp_error_set(err, "record %s is not here", guid);
		goto cleanup;
	}
	if ((pk = table_pk(s, table, err)) == NULL)
		goto cleanup;
	if (!w.rec.deleted) {
		if ((values = json_object()) == NULL) {
			sp_error_set(err, "out of memory");
			goto cleanup;
		}
		json_object_foreach(w.columns, col, v) {
			json_t *ref = w.fk ? json_object_get(w.fk, col) : NULL;
			json_t *value;

			if (strcmp(col, pk) == 0)
				continue;
			value = ref ? parent_key(s, store, ref, col, err) :
			    json_incref(v);
			if (value == NULL)
				goto cleanup;
			if (json_object_set_new(values, col, value) != 0) {
				sp_error_set(err, "out of memory");
				goto cleanup;
			}
		}
	}
	rc = store_conflict_write(s, table, pk, guid, row != NULL, values,
	    err);
cleanup:
	free(pk);
	json_decref(values);
	json_decref(row);
	wire_record_free(&w);
	return rc;
}

int
conflict_resolve(struct site *s, long long id, int keep_remote,
    struct sp_error *err)
{
	struct store *store = NULL;
	struct store_conflict c = { 0 };
	int rc = -1, found;

	if (store_tx_begin(s, err) != 0)
		return -1;
	found = store_conflict_get(s, id, &c, err);
	if (found <= 0) {
		if (found == 0)
			sp_error_set(err, "no unresolved conflict %lld", id);
		goto rollback;
	}
	if ((store = store_open(s, err)) == NULL)
		goto rollback;
	if (keep_remote) {
		if (write_values(s, store, c.table, c.remote, c.guid, err) != 0)
			goto rollback;
	} else if (store_conflict_touch(s, c.guid, err) != 0)
		goto rollback;
	/* The kept version has seen the remote one: peers holding the remote
	 * version take it as a plain successor. */
	if (store_conflict_fold(s, err) != 0 ||
	    store_conflict_settle(s, &c, err) != 0 ||
	    store_tx_commit(s, err) != 0)
		goto rollback;
	rc = 0;
	goto cleanup;
rollback:
	store_tx_rollback(s);
cleanup:
	if (store != NULL)
		store_close(store);
	store_conflict_free(&c);
	return rc;
}
