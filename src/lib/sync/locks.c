/* locks.c: which records may be locked and unlocked; the store keeps the
 * locks (store/locks.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/locks.h"
#include "sync/track.h"
#include "store/locks.h"
#include "store/store.h"
#include "store/tables.h"

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

/* The key of a composite-key table's row from the values given: one per
 * key column, or all in one argument, comma-separated (a value holding a
 * comma goes as its own argument). NULL with err set when no row has it. */
static json_t *
composite_key(struct site *s, const struct tracked_table *t,
    const char *const *key, int nkey, struct sp_error *err)
{
	char *copy = NULL, **parts = NULL;
	json_t *rkey = NULL;
	int n = 0, r;

	if (nkey == 1 && strchr(key[0], ',') != NULL) {
		if ((copy = strdup(key[0])) == NULL ||
		    (parts = calloc(strlen(key[0]) + 1, sizeof(*parts))) == NULL)
			goto oom;
		for (char *p = copy, *next; p != NULL; p = next) {
			next = strchr(p, ',');
			if (next != NULL)
				*next++ = '\0';
			parts[n++] = p;
		}
		key = (const char *const *)parts;
		nkey = n;
	}
	r = store_table_rkey(s, t, key, nkey, &rkey, err);
	if (r == 0)
		sp_error_set(err, "%s: no row with that key", t->name);
	free(parts);
	free(copy);
	return r == 1 ? rkey : NULL;
oom:
	free(copy);
	sp_error_set(err, "out of memory");
	return NULL;
}

/* Loads a tracked table and the key typed for it; LOCK_ERROR with err set
 * for a table that is not tracked or a key it cannot have. */
static enum lock_result
load_tracked(struct site *s, const char *table, const char *const *key,
    int nkey, struct tracked_table *t, json_t **typed, struct sp_error *err)
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
	if (tracked_key_composite(t))
		*typed = composite_key(s, t, key, nkey, err);
	else if (nkey != 1) {
		sp_error_set(err, "%s: the key has one column, %d values given",
		    table, nkey);
		*typed = NULL;
	} else
		*typed = typed_key(t, key[0], err);
	if (*typed == NULL) {
		tracked_table_free(t);
		return LOCK_ERROR;
	}
	return LOCK_DONE;
}

/* The key as given, for messages: its values joined by commas. */
static void
key_words(const char *const *key, int nkey, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (int i = 0; i < nkey && used < len; i++) {
		int w = snprintf(out + used, len - used, "%s%s", i ? "," : "",
		    key[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
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
lock_record(struct site *s, const char *table, const char *const *key,
    int nkey, const char *by, struct sp_error *err)
{
	struct tracked_table t;
	json_t *typed;
	enum lock_result rc = LOCK_ERROR;
	char words[512];
	int r;

	if (load_tracked(s, table, key, nkey, &t, &typed, err) != LOCK_DONE)
		return LOCK_ERROR;
	key_words(key, nkey, words, sizeof(words));
	r = record_exists(s, table, typed, err);
	if (r == 0)
		sp_error_set(err, "%s: no record with key %s", table, words);
	else if (r > 0 && (r = store_lock_add(s, table, typed, by, err)) == 0) {
		sp_error_set(err, "%s %s is already locked", table, words);
		rc = LOCK_REFUSED;
	} else if (r > 0)
		rc = LOCK_DONE;
	json_decref(typed);
	tracked_table_free(&t);
	return rc;
}

enum lock_result
unlock_record(struct site *s, const char *table, const char *const *key,
    int nkey, struct sp_error *err)
{
	struct tracked_table t;
	json_t *typed;
	char words[512];
	int r;

	if (load_tracked(s, table, key, nkey, &t, &typed, err) != LOCK_DONE)
		return LOCK_ERROR;
	key_words(key, nkey, words, sizeof(words));
	r = store_lock_remove(s, table, typed, err);
	if (r == 0)
		sp_error_set(err, "%s %s is not locked", table, words);
	json_decref(typed);
	tracked_table_free(&t);
	return r > 0 ? LOCK_DONE : r == 0 ? LOCK_REFUSED : LOCK_ERROR;
}
