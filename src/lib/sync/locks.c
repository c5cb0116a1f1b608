/* locks.c: which records may be locked and unlocked; the store keeps the
 * locks (store/locks.h). */
#include <stdlib.h>

#include "sync/locks.h"
#include "sync/track.h"
#include "store/locks.h"
#include "store/store.h"

/* The key as the table's key column types it, so that the lock compares
 * equal to the record's key; NULL with err set when it cannot be one. */
static json_t *
typed_key(const struct tracked_table *t, const char *key,
    struct sp_error *err)
{
	json_t *v;
	char *end;
	long long n;

	if (!t->pk_integer)
		v = json_string(key);
	else {
		n = strtoll(key, &end, 10);
		if (key[0] == '\0' || *end != '\0') {
			sp_error_set(err, "%s: key \"%s\" is not an integer",
			    t->name, key);
			return NULL;
		}
		v = json_integer(n);
	}
	if (v == NULL)
		sp_error_set(err, "out of memory");
	return v;
}

/* Loads a tracked table and the key typed for it; LOCK_ERROR with err set
 * for a table that is not tracked or a key it cannot have. */
static enum lock_result
load_tracked(struct site *s, const char *table, const char *key,
    struct tracked_table *t, json_t **typed, struct sp_error *err)
{
	int found = tracked_table_load(s, table, t, err);

	if (found < 0)
		return LOCK_ERROR;
	if (found == 0 || !t->tracked) {
		if (found)
			tracked_table_free(t);
		sp_error_set(err, "%s: not a tracked table", table);
		return LOCK_ERROR;
	}
	if ((*typed = typed_key(t, key, err)) == NULL) {
		tracked_table_free(t);
		return LOCK_ERROR;
	}
	return LOCK_DONE;
}

/* 1 when table has a record (live or deleted) with key, 0 when not. */
static int
record_exists(struct site *s, const char *table, json_t *key,
    struct sp_error *err)
{
	struct store *st = store_open(s, err);
	struct store_record rec;
	int r;

	if (st == NULL)
		return -1;
	r = store_lookup_key(st, table, key, &rec, err);
	store_close(st);
	return r;
}

enum lock_result
lock_record(struct site *s, const char *table, const char *key,
    const char *by, struct sp_error *err)
{
	struct tracked_table t;
	json_t *typed;
	enum lock_result rc = LOCK_ERROR;
	int r;

	if (load_tracked(s, table, key, &t, &typed, err) != LOCK_DONE)
		return LOCK_ERROR;
	r = record_exists(s, table, typed, err);
	if (r == 0)
		sp_error_set(err, "%s: no record with key %s", table, key);
	else if (r > 0 && (r = store_lock_add(s, table, typed, by, err)) == 0) {
		sp_error_set(err, "%s %s is already locked", table, key);
		rc = LOCK_REFUSED;
	} else if (r > 0)
		rc = LOCK_DONE;
	json_decref(typed);
	tracked_table_free(&t);
	return rc;
}

enum lock_result
unlock_record(struct site *s, const char *table, const char *key,
    struct sp_error *err)
{
	struct tracked_table t;
	json_t *typed;
	int r;

	if (load_tracked(s, table, key, &t, &typed, err) != LOCK_DONE)
		return LOCK_ERROR;
	r = store_lock_remove(s, table, typed, err);
	if (r == 0)
		sp_error_set(err, "%s %s is not locked", table, key);
	json_decref(typed);
	tracked_table_free(&t);
	return r > 0 ? LOCK_DONE : r == 0 ? LOCK_REFUSED : LOCK_ERROR;
}
